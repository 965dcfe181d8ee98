#!/usr/bin/env bash
# Builds the control-plane binaries the tests in this module start: etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler (from the k8s.io/kubernetes
# version pinned in go.mod) and kwok (go install at KWOK_VERSION).
#
# Binaries land in ${EKSBALANCE_CACHE:-$HOME/.cache/eksbalance}/controlplane/<k8s version>/bin
# and are reused while their key (version + go.mod + go.sum + main.go) is unchanged.
# The last line printed on stdout is that bin directory, so callers can capture it.
#
# Environment:
#   EKSBALANCE_CACHE  cache root (default $HOME/.cache/eksbalance)
#   KWOK_VERSION      kwok release to install (default v0.6.1, the one seen working here)
#   FORCE=1           rebuild even when a binary with the right key exists
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

kwok_version="${KWOK_VERSION:-v0.6.1}"
kwok_module="sigs.k8s.io/kwok"

# Versions come from go.mod, so bumping k8s.io/kubernetes there is the only change needed.
k8s_version="$(go list -m -f '{{.Version}}' k8s.io/kubernetes)"
etcd_version="$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
major="${k8s_version#v}"; major="${major%%.*}"
minor="${k8s_version#v*.}"; minor="${minor%%.*}"

cache_root="${EKSBALANCE_CACHE:-$HOME/.cache/eksbalance}"
bin_dir="$cache_root/controlplane/$k8s_version/bin"
mkdir -p "$bin_dir"

# One build at a time across concurrent callers: two cold apiserver links on a 2-core
# machine would each need ~2.2 GB and twice the time.
exec 9>"$bin_dir/.lock"
flock 9

key_of() {
	# The key covers everything that changes what a binary contains.
	{
		echo "$1"
		cat go.mod go.sum
		if [[ -f "cmd/$1/main.go" ]]; then cat "cmd/$1/main.go"; fi
		echo "kwok=$kwok_version go=$(go env GOVERSION)"
	} | sha256sum | cut -c1-16
}

# A binary is reused only when it exists and was built with today's key.
is_current() {
	[[ "${FORCE:-}" != "1" ]] && [[ -x "$bin_dir/$1" ]] && [[ "$(cat "$bin_dir/.key-$1" 2>/dev/null)" == "${key[$1]}" ]]
}

# Keys are computed before anything is built, so a go.mod edited during a long build
# leaves the binary marked stale rather than stamped with a key it was not built from.
declare -A key
todo=()
for name in etcd kube-scheduler kube-controller-manager kube-apiserver kwok; do
	key[$name]="$(key_of "$name")"
	is_current "$name" || todo+=("$name")
done

if ((${#todo[@]} == 0)); then
	echo "controlplane: reusing binaries for Kubernetes $k8s_version in $bin_dir" >&2
	echo "$bin_dir"
	exit 0
fi

cat >&2 <<EOF
controlplane: building ${todo[*]} for Kubernetes $k8s_version (etcd $etcd_version, kwok $kwok_version)
controlplane: the FIRST build is slow: with a cold Go build cache all five take ~11 min and
controlplane: ~2.1 GB of memory on 2 cores, and several times that while other builds share
controlplane: the cores (44 min seen). Relinking after a go.sum change takes about a minute.
controlplane: later runs reuse the binaries in $bin_dir.
EOF

stamp="-X k8s.io/component-base/version.gitVersion=$k8s_version"
stamp+=" -X k8s.io/component-base/version.gitMajor=$major"
stamp+=" -X k8s.io/component-base/version.gitMinor=$minor"
stamp+=" -X k8s.io/component-base/version.gitTreeState=clean"
stamp+=" -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"

for name in "${todo[@]}"; do
	start=$SECONDS
	tmp="$bin_dir/.$name.tmp"
	rm -f "$tmp"
	if [[ "$name" == "kwok" ]]; then
		# kwok is installed from its own module graph, not from this go.mod: required here
		# it does not compile (its easycel dependency failed against Kubernetes 1.33's
		# cel-go) and it would raise libraries under the API server.
		gobin="$(mktemp -d)"
		GOBIN="$gobin" go install -trimpath \
			-ldflags "-s -w -X $kwok_module/pkg/consts.Version=$kwok_version" \
			"$kwok_module/cmd/kwok@$kwok_version"
		mv "$gobin/kwok" "$tmp"
		rmdir "$gobin"
	else
		go build -trimpath -ldflags "-s -w $stamp" -o "$tmp" "./cmd/$name"
	fi
	mv -f "$tmp" "$bin_dir/$name"
	echo "${key[$name]}" >"$bin_dir/.key-$name"
	echo "controlplane: built $name in $((SECONDS - start)) s" >&2
done

echo "$bin_dir"
