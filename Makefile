# Thin targets: the work lives in Go code and scripts. `make help` lists them.
ENV ?= dev
GO ?= go
BIN := bin/eksbalance
PKGS := ./...
# Tools installed with go install (conftest) live here.
export PATH := $(shell $(GO) env GOPATH)/bin:$(PATH)

.PHONY: help plan render test test-unit test-controlplane test-engine pulumi-tools test-live lint up deps bench build FORCE

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 20

build: $(BIN) ## build the eksbalance command into bin/

$(BIN): FORCE
	$(GO) build -o $(BIN) ./cmd/eksbalance

plan: $(BIN) ## plan the $(ENV) stack offline: resources, policy findings, traffic prediction
	$(BIN) plan . --stack $(ENV)

render: $(BIN) ## write the $(ENV) stack's Kubernetes objects as YAML under out/$(ENV)
	$(BIN) render . --stack $(ENV) -o out/$(ENV)

test: deps test-unit test-controlplane test-engine ## everything CI runs: unit, component, lab, control-plane and real-engine tests

test-unit: $(BIN) ## Go tests of the root module and serve: components under mocks, plan, policies, model, lab, live preflight
	EKSBALANCE_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 $$($(GO) list ./... | grep -v /tests/lab)
	@echo "--- serve: its own module (standard library only)"
	cd serve && $(GO) test -count=1 ./...
	@echo "--- benchmarks, one iteration each: they still run (figures: make bench)"
	$(GO) test -count=1 -run '^$$' -bench . -benchtime 1x ./model/ ./policies/... > /dev/null
	@echo "--- awslb: the load-balancer stand-in's timeline (fake clock, then real haproxy connections)"
	cd tests/awslb && $(GO) test -count=1 ./...
	@echo "--- lab: haproxy on loopback (tables: model share vs measured share; rollout side by side; preStop sweep)"
	$(GO) test -count=1 -v ./tests/lab/
	@echo "--- live suite: compiled with -tags live; it says here why it skips; its ELBv2 checks run against moto_server"
	$(GO) test -count=1 -v -tags live -run 'TestLive$$|TestELBAttributesOnMoto' ./tests/live/

test-controlplane: $(BIN) ## tests against a local kube-apiserver, scheduler and kwok nodes (first build is slow)
	$(MAKE) -C tests/controlplane test EKSBALANCE_BIN=$(CURDIR)/$(BIN)

pulumi-tools: ## build (or reuse) the pulumi CLI and Kubernetes provider from the Go module proxy (first build: ~9 min on 2 idle cores with a warm Go cache, far longer on busy ones)
	tools/build.sh

test-engine: ## the real Pulumi engine (CLI + Kubernetes provider) on the local control plane, through the live suite's code
	$(MAKE) -C tests/controlplane build
	bin=$$(tools/build.sh) && cd tests/engine && EKSBALANCE_PULUMI_BIN=$$bin $(GO) test -count=1 -v -tags live -timeout 30m ./...

test-live: ## live suite against your AWS account (needs AWS credentials and the Pulumi CLI; creates billable resources)
	$(GO) test -count=1 -tags live -timeout 90m -v ./tests/live/

lint: ## gofmt and go vet (also with the live build tag)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	cd serve && $(GO) vet ./...
	$(GO) vet -tags live ./tests/live/
	cd tests/engine && $(GO) vet -tags live ./...
	cd tests/awslb && $(GO) vet ./...
	$(MAKE) -C tests/controlplane vet

bench: ## benchmarks and timing scripts that print figures (model, policies, load generator vs wrk, plan); lab charts (client populations, preStop sweep) in out/charts
	$(GO) test -run '^$$' -bench . -benchtime 3x ./model/ ./policies/... ./tests/lab/
	scripts/timings.sh
	EKSBALANCE_LAB_CHARTS=$(CURDIR)/out/charts $(GO) test -count=1 -run 'TestClientPopulationsMatchModel|TestPreStopSweep$$' -v ./tests/lab/

up: ## the real deployment: pulumi up -s $(ENV) (needs AWS credentials and the Pulumi CLI)
	pulumi up -s $(ENV)

deps: ## install the Debian packages the tests need (haproxy, wrk) when missing
	scripts/install-deps.sh
