#!/usr/bin/env bash
# Prints how long a warm `make plan` and the unit suite take, each beside a
# baseline measured in the same run, so the figures read as ratios rather than
# as absolute times of one machine:
#   plan   vs  `go build ./stacks`      (compiling the program, which plan must do first)
#   suite  vs  `go test -run '^$' ./...` (building every test binary, running none)
# Run it twice: the first run warms the build cache.
set -euo pipefail
cd "$(dirname "$0")/.."

secs() { # secs CMD... : run CMD quietly, print wall seconds
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

make -s build >/dev/null
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/stacks" ./stacks  # warm

build=$(secs go build -o "$tmp/stacks" ./stacks)
plan=$(secs ./bin/eksbalance plan . --stack dev)
printf 'warm go build ./stacks   %6.1fs  (baseline)\n' "$build"
printf 'warm make plan (dev)     %6.1fs  %sx the build\n' "$plan" "$(ratio "$plan" "$build")"

pkgs=$(go list ./... | grep -v -e /tests/lab -e /tests/live)
compile=$(secs go test -count=1 -run '^$' $pkgs)
suite=$(secs go test -count=1 $pkgs)
printf 'test binaries, no tests  %6.1fs  (baseline)\n' "$compile"
printf 'unit suite               %6.1fs  %sx the baseline\n' "$suite" "$(ratio "$suite" "$compile")"
