#!/usr/bin/env bash
# Builds the real Pulumi engine the tests drive, from the Go module proxy:
#   pulumi                       the CLI (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi),
#                                from the wrapper module tools/pulumi
#   pulumi-resource-kubernetes   the Kubernetes provider plugin
#                                (github.com/pulumi/pulumi-kubernetes/provider/v4),
#                                from the wrapper module tools/pulumi-kubernetes
#
# Neither builds with `go install MOD@VERSION`: both upstream go.mod files carry replace
# directives, which go install refuses. The wrappers are small modules of this project
# that require them (go.mod + go.sum committed, so -mod=readonly works in CI).
#
# Binaries land in ${EKSBALANCE_CACHE:-$HOME/.cache/eksbalance}/pulumi/bin and are reused
# while their key (wrapper go.mod + go.sum, the recipe number below, the Go version) is
# unchanged.
# The last line printed on stdout is that bin directory: put it first on PATH and the
# engine finds the provider there (the tests disable plugin downloads).
#
# Usage: tools/build.sh [pulumi] [pulumi-resource-kubernetes]   (default: both)
# Environment:
#   EKSBALANCE_CACHE  cache root (default $HOME/.cache/eksbalance)
#   FORCE=1           rebuild even when a binary with the right key exists
#   BUILD_TIME=1      run each build under /usr/bin/time -v and print wall time and peak RSS
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${EKSBALANCE_CACHE:-$HOME/.cache/eksbalance}"
bin_dir="$cache_root/pulumi/bin"
mkdir -p "$bin_dir"

names=("$@")
if ((${#names[@]} == 0)); then names=(pulumi pulumi-resource-kubernetes); fi

declare -A wrapper=([pulumi]=pulumi [pulumi-resource-kubernetes]=pulumi-kubernetes)
for name in "${names[@]}"; do
	if [[ -z "${wrapper[$name]:-}" ]]; then
		echo "tools/build.sh: unknown binary \"$name\" (want pulumi or pulumi-resource-kubernetes)" >&2
		exit 2
	fi
done

# One heavy build at a time across concurrent callers: a cold provider link alone peaks
# at several GB on a 2-core machine.
exec 9>"$bin_dir/.lock"
flock 9

# recipe names the build steps below (flags, stamps, generated files): bump it when they
# change what a binary contains. Messages and comments do not count, so editing them does
# not throw away a 20-minute provider build.
recipe=1

key_of() {
	{
		echo "$1 recipe=$recipe"
		cat "$here/${wrapper[$1]}/go.mod" "$here/${wrapper[$1]}/go.sum"
		echo "go=$(go env GOVERSION)"
	} | sha256sum | cut -c1-16
}

is_current() {
	[[ "${FORCE:-}" != "1" ]] && [[ -x "$bin_dir/$1" ]] && [[ "$(cat "$bin_dir/.key-$1" 2>/dev/null)" == "$2" ]]
}

scratch=()
trap 'rm -rf "${scratch[@]}"' EXIT

# timed NAME CMD...: runs CMD, under /usr/bin/time -v when BUILD_TIME=1.
timed() {
	local label="$1"
	shift
	if [[ "${BUILD_TIME:-}" == "1" && -x /usr/bin/time ]]; then
		local report
		report="$(mktemp)"
		/usr/bin/time -v -o "$report" "$@"
		awk -v l="$label" -F': ' '
			/Elapsed \(wall clock\)/ {wall=$2}
			/Maximum resident set size/ {rss=$2}
			END {printf "pulumi-build: %s: wall %s, peak RSS %.2f GB (largest single process)\n", l, wall, rss/1048576}' "$report" >&2
		rm -f "$report"
	else
		"$@"
	fi
}

# The module version pinned in a wrapper's go.mod.
mod_version() { (cd "$here/$1" && go list -m -f '{{.Version}}' "$2"); }

build_pulumi() {
	local out="$1" version
	version="$(mod_version pulumi github.com/pulumi/pulumi/pkg/v3)"
	# Without the version stamp `pulumi version` prints nothing, and the Automation API
	# cannot check the CLI against the SDK.
	(cd "$here/pulumi" && timed "pulumi $version" go build -trimpath \
		-ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
		-o "$out" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}

build_kubernetes() {
	local out="$1" mod=github.com/pulumi/pulumi-kubernetes/provider/v4 version src work
	# The provider module is a pseudo-version (v4.24.0 itself is not served); the SDK it
	# pins is the release it belongs to, and the plugin must report that version.
	version="$(mod_version pulumi-kubernetes github.com/pulumi/pulumi-kubernetes/sdk/v4)"
	version="${version#v}"
	(cd "$here/pulumi-kubernetes" && go mod download "$mod")
	src="$(cd "$here/pulumi-kubernetes" && go list -m -f '{{.Dir}}' "$mod")"
	# The main package embeds schema-embed.json and terraform-mapping-embed.json, which
	# the module zip lacks: upstream makes them with `go run ./generate.go`. Build in a
	# scratch copy of the wrapper so nothing is written into the source tree.
	work="$(mktemp -d "$cache_root/pulumi/.build-kubernetes.XXXXXX")"
	scratch+=("$work")
	cp "$here/pulumi-kubernetes/go.mod" "$here/pulumi-kubernetes/go.sum" "$work/"
	mkdir -p "$work/cmd/pulumi-resource-kubernetes"
	cp "$src"/cmd/pulumi-resource-kubernetes/{main.go,generate.go,schema.json,terraform-mapping.json} \
		"$work/cmd/pulumi-resource-kubernetes/"
	chmod -R u+w "$work"
	(cd "$work/cmd/pulumi-resource-kubernetes" && VERSION="$version" go run ./generate.go)
	(cd "$work" && timed "pulumi-resource-kubernetes $version" go build -trimpath \
		-ldflags "-s -w -X $mod/pkg/version.Version=$version" \
		-o "$out" ./cmd/pulumi-resource-kubernetes)
}

for name in "${names[@]}"; do
	key="$(key_of "$name")"
	if is_current "$name" "$key"; then
		echo "pulumi-build: reusing $name in $bin_dir" >&2
		continue
	fi
	case "$name" in
	pulumi) echo "pulumi-build: building the Pulumi CLI (cold: ~4-5 min, ~1 GB; reused afterwards)" >&2 ;;
	pulumi-resource-kubernetes) echo "pulumi-build: building the Kubernetes provider (cold: 7 min on an idle 2-core machine with the Go cache of a CI run, 87 min seen from scratch on a shared one, 4.4 GB; reused afterwards)" >&2 ;;
	esac
	start=$SECONDS
	tmp="$bin_dir/.$name.tmp"
	rm -f "$tmp"
	if [[ "$name" == pulumi ]]; then build_pulumi "$tmp"; else build_kubernetes "$tmp"; fi
	mv -f "$tmp" "$bin_dir/$name"
	echo "$key" >"$bin_dir/.key-$name"
	echo "pulumi-build: built $name in $((SECONDS - start)) s" >&2
done

echo "$bin_dir"
