# make targets mirror what CI runs (.ci/run calls `make test`).
SHELL := /bin/bash
# Static by default (a release is); the sandbox relays are static whatever
# this says (sandbox/relays/build.go).
export CGO_ENABLED ?= 0
GO      ?= go
BIN     := bin/coach
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/coachcli/coach/internal/cli.version=$(VERSION)

.PHONY: build relays bench-transport run setup test test-podman unit fuzz lint bench clean

# The in-pod relay for each engine architecture, embedded into coach
# (sandbox/relays): coach built for any OS can then start a Linux pod.
relays:
	$(GO) run ./sandbox/relays/build.go

build: relays
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/coach

# A Docker engine and the runtime images (built locally: no registry needed),
# and Chromium, in which the class HTML report is checked (grader/report).
setup:
	bash scripts/docker-engine.sh
	bash scripts/build-images.sh
	bash scripts/build-service-images.sh
	bash scripts/qemu-binfmt.sh
	command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The main job: prove the embedded catalogue (every reference solution passes
# steps 1..N, every mutant is caught) in the Docker sandbox.
run: setup build
	$(BIN) exercise verify --all

# Everything CI checks, against a real Docker engine.
test: setup relays
	$(GO) vet ./...
	COACH_REQUIRE_DOCKER=1 $(GO) test -count=1 -timeout 60m ./...
	$(MAKE) test-podman
	$(MAKE) fuzz

# The engine tests again, against Podman's Docker-compatible API started
# beside Docker (scripts/podman-engine.sh): the sandbox's, and the CLI's
# checks, verdicts, Ctrl-C and class grading. The catalogue's proof and the
# ways of reaching an engine run against Docker only (in `test`).
PODMAN_SOCK ?= /run/podman/podman.sock
test-podman: setup relays
	PODMAN_SOCK=$(PODMAN_SOCK) bash scripts/podman-engine.sh
	DOCKER_HOST=unix://$(PODMAN_SOCK) COACH_REQUIRE_DOCKER=1 $(GO) test -count=1 -timeout 30m -run '^TestDocker' ./sandbox/
	DOCKER_HOST=unix://$(PODMAN_SOCK) COACH_REQUIRE_DOCKER=1 $(GO) test -count=1 -timeout 30m \
		-run '^(TestDockerCheck|TestDockerSigint|TestGradeMixedClassDocker|TestDoctorNamesEngine)' ./internal/cli/

unit:
	$(GO) test -count=1 -short ./...

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseSuite -fuzztime 20s ./grader/

lint:
	gofmt -l . | (! grep .)
	$(GO) vet ./...
	@command -v golangci-lint >/dev/null && golangci-lint run || echo "golangci-lint not installed; ran gofmt and go vet"

bench: setup relays
	COACH_REQUIRE_DOCKER=1 $(GO) test -run '^$$' -bench . -benchtime 5x $$($(GO) list ./... | grep -v /internal/cli$$)
	# Grading 24 submissions twice per iteration: once is enough.
	COACH_REQUIRE_DOCKER=1 $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./internal/cli/

# The sandbox transport against the socket relay it replaced, side by side.
bench-transport: setup
	bash scripts/bench-transport.sh

clean:
	rm -rf bin
	-$(BIN) clean --all
