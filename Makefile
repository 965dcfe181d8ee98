# Thin targets: the work lives in Go code and scripts. `make help` lists them.
ENV ?= dev
GO ?= go
BIN := bin/eksbalance
PKGS := ./...
# Tools installed with go install (conftest) live here.
export PATH := $(shell $(GO) env GOPATH)/bin:$(PATH)

.PHONY: help plan render test test-unit test-controlplane test-live lint up deps bench build FORCE

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 20

build: $(BIN) ## build the eksbalance command into bin/

$(BIN): FORCE
	$(GO) build -o $(BIN) ./cmd/eksbalance

plan: $(BIN) ## plan the $(ENV) stack offline: resources, policy findings, traffic prediction
	$(BIN) plan . --stack $(ENV)

render: $(BIN) ## write the $(ENV) stack's Kubernetes objects as YAML under out/$(ENV)
	$(BIN) render . --stack $(ENV) -o out/$(ENV)

test: deps test-unit test-controlplane ## everything CI runs: unit, component, lab and control-plane tests

test-unit: $(BIN) ## Go tests of the root module: components under mocks, plan, policies, model, lab, live preflight
	EKSBALANCE_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 $$($(GO) list ./... | grep -v /tests/lab)
	@echo "--- benchmarks, one iteration each: they still run (figures: make bench)"
	$(GO) test -count=1 -run '^$$' -bench . -benchtime 1x ./model/ ./policies/... > /dev/null
	@echo "--- awslb: the load-balancer stand-in's timeline (fake clock, then real haproxy connections)"
	cd tests/awslb && $(GO) test -count=1 ./...
	@echo "--- lab: haproxy on loopback (tables: model share vs measured share; rollout side by side; preStop sweep)"
	$(GO) test -count=1 -v ./tests/lab/
	@echo "--- live suite: compiled with -tags live; it says here why it skips"
	$(GO) test -count=1 -v -tags live -run 'TestLive$$' ./tests/live/

test-controlplane: $(BIN) ## tests against a local kube-apiserver, scheduler and kwok nodes (first build is slow)
	$(MAKE) -C tests/controlplane test EKSBALANCE_BIN=$(CURDIR)/$(BIN)

test-live: ## live suite against your AWS account (needs AWS credentials and the Pulumi CLI; creates billable resources)
	$(GO) test -count=1 -tags live -timeout 90m -v ./tests/live/

lint: ## gofmt and go vet (also with the live build tag)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) vet -tags live ./tests/live/
	cd tests/awslb && $(GO) vet ./...
	$(MAKE) -C tests/controlplane vet

bench: ## benchmarks and timing scripts that print figures (model, policies, load generator vs wrk, plan), and the lab's preStop sweep chart
	$(GO) test -run '^$$' -bench . -benchtime 3x ./model/ ./policies/... ./tests/lab/
	scripts/timings.sh
	EKSBALANCE_SWEEP_SVG=$(CURDIR)/out/bench/prestop-sweep.svg $(GO) test -count=1 -run 'TestPreStopSweep$$' -v ./tests/lab/
	@echo "chart: out/bench/prestop-sweep.svg"

up: ## the real deployment: pulumi up -s $(ENV) (needs AWS credentials and the Pulumi CLI)
	pulumi up -s $(ENV)

deps: ## install the Debian packages the tests need (haproxy, wrk) when missing
	scripts/install-deps.sh
