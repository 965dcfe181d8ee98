#!/usr/bin/env bash
# Installs the Debian packages the test suites need, when missing:
#   haproxy            the local lab's load balancer (tests/lab, tests/awslb,
#                      tests/controlplane/follow)
#   wrk                the load generator baseline for the lab benchmark
# (The control-plane tests talk to the API server with client-go, not kubectl.)
# and, from the Go module proxy, conftest (the policy tests prove the Rego
# directory works there too).
# Needs root (or sudo) and Debian's package lists; prints what it does. It
# checks again after installing and fails when a tool is still missing: the
# tests skip without these tools outside CI and fail under CI, so a quiet gap
# here would only show up later as a red test.
set -euo pipefail

# conftest goes to $(go env GOPATH)/bin, which the Makefile puts on PATH.
gobin="$(go env GOPATH)/bin"
has_conftest() { command -v conftest >/dev/null 2>&1 || [ -x "$gobin/conftest" ]; }
if ! has_conftest; then
  echo "install-deps: go install conftest v0.71.1 (about 2 minutes the first time)"
  GOFLAGS= go install github.com/open-policy-agent/conftest@v0.71.1
fi

need=()
command -v haproxy >/dev/null 2>&1 || need+=(haproxy)
command -v wrk >/dev/null 2>&1 || need+=(wrk)

if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo="sudo"
    else
      echo "install-deps: need root to install: ${need[*]}" >&2
      exit 1
    fi
  fi
  echo "install-deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

missing=()
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
has_conftest || missing+=("conftest (in $gobin)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: still missing after installing: ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: haproxy $(haproxy -v | head -1 | awk '{print $3}'), wrk and conftest are present"
