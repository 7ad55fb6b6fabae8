#!/usr/bin/env bash
# Everything a fresh machine needs before `npm run demo` or `npm test`:
# Debian packages (redis-server, redis-tools, openssl), npm dependencies, and
# the control-plane binaries built from source (cached per version). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-cli >/dev/null || need+=(redis-tools)
command -v openssl >/dev/null || need+=(openssl)
command -v flock >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
command -v go >/dev/null || { echo "go (>= 1.26) is required to build the control plane" >&2; exit 1; }
command -v node >/dev/null || { echo "node (>= 20.18) is required" >&2; exit 1; }
echo "go: $(go version | cut -d' ' -f3)  node: $(node --version)  redis: $(redis-server --version | cut -d' ' -f3)"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash test/tools/build.sh >/dev/null
