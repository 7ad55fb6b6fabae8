#!/usr/bin/env bash
# Installs the two gateways the sidecar is compared against, from their public
# registries, into bench/.deps (ignored by git). Idempotent.
#   Portkey's open-source gateway: npm @portkey-ai/gateway
#   LiteLLM's proxy:               PyPI litellm[proxy], in a virtualenv
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deps="$here/.deps"
portkey_version=${PORTKEY_VERSION:-1.15.2}
# 1.108.4: the newest litellm whose [proxy] extra (litellm-proxy-extras,
# litellm-enterprise) resolves on the registry this project installs from.
litellm_version=${LITELLM_VERSION:-1.108.4}
mkdir -p "$deps"

# @hono/node-server pinned to 1.14.2: newer versions hand the gateway immutable
# response headers and every streaming call fails with "TypeError: immutable"
# (Portkey-AI/gateway issue 1389).
hono_version=1.14.2
portkey_marker="$deps/portkey/.installed-$portkey_version-hono-$hono_version"
if [ ! -f "$portkey_marker" ]; then
  echo "installing @portkey-ai/gateway@$portkey_version with @hono/node-server@$hono_version" >&2
  rm -rf "$deps/portkey" && mkdir -p "$deps/portkey"
  cat >"$deps/portkey/package.json" <<JSON
{
  "private": true,
  "dependencies": { "@portkey-ai/gateway": "$portkey_version" },
  "overrides": { "@hono/node-server": "$hono_version" }
}
JSON
  npm install --prefix "$deps/portkey" --no-audit --no-fund --silent >&2
  touch "$portkey_marker"
fi

if [ ! -x "$deps/litellm/bin/litellm" ]; then
  echo "installing litellm[proxy]==$litellm_version" >&2
  python3 -m venv "$deps/litellm"
  "$deps/litellm/bin/pip" install --quiet --disable-pip-version-check "litellm[proxy]==$litellm_version" >&2
fi
echo "$deps"
