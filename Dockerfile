# syntax=docker/dockerfile:1
# One image, every role: `tollgate operator`, `tollgate sidecar`, `tollgate report`.

# Build: compile TypeScript with the full dev toolchain.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json cli.ts ./
COPY core ./core
COPY operator ./operator
COPY sidecar ./sidecar
COPY ledger ./ledger
RUN npm run build

# Production dependencies only, installed apart so no dev tooling reaches the runtime.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# Runtime: slim Node, non-root, nothing written outside /tmp (an emptyDir when
# the root file system is read-only).
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# `tollgate` on PATH: the injected sidecar runs `tollgate sidecar`.
RUN ln -s /app/dist/cli.js /usr/local/bin/tollgate && chmod 0555 /app/dist/cli.js
USER 65532:65532
ENTRYPOINT ["tollgate"]
CMD ["--help"]
