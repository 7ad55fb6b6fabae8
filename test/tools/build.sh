#!/usr/bin/env bash
# Builds the real control-plane binaries the tests run against, from their Go
# modules at the versions pinned in the go.mod files beside this script:
#   kubernetes/ -> kube-apiserver, kube-controller-manager, kubectl
#   etcd/       -> etcd (the version Kubernetes pairs with that apiserver)
#   helm/       -> helm
# Each build is cached under $TOLLGATE_TOOLS_DIR (default ~/.cache/tollgate/tools)
# in a folder named after its version, so it happens once per machine.
# Prints a PATH fragment (the cached bin folders, colon-separated) on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${TOLLGATE_TOOLS_DIR:-$HOME/.cache/tollgate/tools}
export CGO_ENABLED=0 GOFLAGS=-mod=readonly
mkdir -p "$cache"
# One build at a time per machine: a second caller waits, then finds the cache.
exec 9>"$cache/.lock"
flock 9

required_version() { awk -v m="$2" '($1 == "require" && $2 == m) { print $3 } ($1 == m && $2 ~ /^v/) { print $2 }' "$here/$1/go.mod" | head -n1; }

# build NAME MODULE_DIR VERSION LDFLAGS PACKAGE...
build() {
  local name=$1 dir=$2 version=$3 ldflags=$4; shift 4
  local out="$cache/$name-$version"
  if [ -f "$out/.complete" ]; then echo "$out"; return; fi
  echo "building $name $version (cached in $out; a cold build takes a while)" >&2
  local start=$SECONDS tmp="$out.tmp.$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  (cd "$here/$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$tmp/" "$@") >&2
  # etcd's main package is its server module, go.etcd.io/etcd/server/v3, which go names "server".
  if [ "$name" = etcd ]; then mv "$tmp/server" "$tmp/etcd"; fi
  rm -rf "$out" && mv "$tmp" "$out" && touch "$out/.complete"
  echo "built $name $version in $((SECONDS - start)) s" >&2
  echo "$out"
}

k8s=$(required_version kubernetes k8s.io/kubernetes)
k8s_minor=$(echo "$k8s" | cut -d. -f2)
k8s_flags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_flags+=" -X $pkg.gitVersion=$k8s -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor -X $pkg.gitTreeState=clean"
  k8s_flags+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
etcd=$(required_version etcd go.etcd.io/etcd/server/v3)
helm=$(required_version helm helm.sh/helm/v3)

dirs=()
dirs+=("$(build kubernetes kubernetes "$k8s" "$k8s_flags" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl)")
dirs+=("$(build etcd etcd "$etcd" "" go.etcd.io/etcd/server/v3)")
dirs+=("$(build helm helm "$helm" "-X helm.sh/helm/v3/internal/version.version=$helm" helm.sh/helm/v3/cmd/helm)")
(IFS=:; echo "${dirs[*]}")
