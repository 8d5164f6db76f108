# make targets mirror what CI runs (.ci/run calls `make test`).
SHELL := /bin/bash
# Static by default (a release is); the sandbox relays are static whatever
# this says (sandbox/relays/build.go).
export CGO_ENABLED ?= 0
GO      ?= go
BIN     := bin/coach
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/coachcli/coach/internal/cli.version=$(VERSION)

.PHONY: build relays bench-transport run verify setup sandbox-setup test test-podman unit fuzz lint bench clean

# The in-pod relay for each engine architecture, embedded into coach
# (sandbox/relays): coach built for any OS can then start a Linux pod.
relays:
	$(GO) run ./sandbox/relays/build.go

build: relays
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/coach

# Evaluated once: every binary and archive of one run gets the same version.
VERSION := $(VERSION)
# The platforms a release ships (GOOS/GOARCH); .goreleaser.yaml names the same.
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64

.PHONY: cross release-local

# coach for every release platform into dist/ (coach-OS-ARCH[.exe]), and
# go vet as Windows and macOS see the code (build tags differ there).
cross: relays
	@set -e; for p in $(PLATFORMS); do os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
	  echo "build $$os/$$arch"; \
	  GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/coach-$$os-$$arch$$ext ./cmd/coach; \
	done
	GOOS=windows $(GO) vet ./...
	GOOS=darwin $(GO) vet ./...

# What `goreleaser release` makes, without goreleaser: one archive per
# platform (zip for Windows) with coach and the README, and their sha256 sums.
release-local: cross
	@set -e; cd dist; rm -f coach_$(VERSION)_*; for p in $(PLATFORMS); do os=$${p%/*}; arch=$${p#*/}; \
	  name=coach_$(VERSION)_$${os}_$${arch}; rm -rf $$name; mkdir $$name; cp ../README.md $$name/; \
	  if [ $$os = windows ]; then cp coach-$$os-$$arch.exe $$name/coach.exe; zip -qrX $$name.zip $$name; \
	  else cp coach-$$os-$$arch $$name/coach; tar -czf $$name.tar.gz --owner=0 --group=0 $$name; fi; rm -rf $$name; \
	done; sha256sum coach_$(VERSION)_*.tar.gz coach_$(VERSION)_*.zip > coach_$(VERSION)_checksums.txt; \
	ls -l coach_$(VERSION)_*; cat coach_$(VERSION)_checksums.txt

# A Docker engine and the runtime images (built locally: no registry needed),
# and Chromium, in which the class HTML report is checked (grader/report).
setup: sandbox-setup
	bash scripts/build-service-images.sh
	bash scripts/qemu-binfmt.sh
	command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

sandbox-setup:
	bash scripts/docker-engine.sh
	bash scripts/build-images.sh

# The main job a learner does: coach check of workspaces made from the
# embedded catalogue (step 3's solution in each language passes, the step-1
# starter fails with its hints) in the Docker sandbox.
run: sandbox-setup build
	COACH=$(BIN) bash scripts/first-run.sh

# Prove the whole catalogue: every reference solution and style passes
# steps 1..N, every mutant is caught. Styles download their dependencies
# (npm, the Go module proxy): behind a TLS-intercepting proxy run
# COACH_SANDBOX_CA_FILE=/path/to/ca.pem make verify.
verify: sandbox-setup build
	$(BIN) exercise verify --all

# Everything CI checks, against a real Docker engine.
test: setup relays cross lint
	COACH_REQUIRE_DOCKER=1 $(GO) test -count=1 -timeout 60m ./...
	$(MAKE) test-podman
	$(MAKE) fuzz

# The engine tests again, against Podman's Docker-compatible API started
# beside Docker (scripts/podman-engine.sh): the sandbox's, and the CLI's
# checks, verdicts, Ctrl-C and class grading. The catalogue's proof and the
# ways of reaching an engine run against Docker only (in `test`).
PODMAN_SOCK ?= /run/podman/podman.sock
# Database services are not tried under Podman yet (their stand-in images are
# built into Docker only): those tests run against Docker in `test`.
PODMAN_SKIP := Service|Postgres
test-podman: setup relays
	PODMAN_SOCK=$(PODMAN_SOCK) bash scripts/podman-engine.sh
	DOCKER_HOST=unix://$(PODMAN_SOCK) COACH_REQUIRE_DOCKER=1 $(GO) test -count=1 -timeout 30m -run '^TestDocker' \
		-skip '$(PODMAN_SKIP)' ./sandbox/docker/
	DOCKER_HOST=unix://$(PODMAN_SOCK) COACH_REQUIRE_DOCKER=1 $(GO) test -count=1 -timeout 30m \
		-run '^(TestDockerCheck|TestDockerSigint|TestGradeMixedClassDocker|TestDoctorNamesEngine)' -skip '$(PODMAN_SKIP)' ./internal/cli/

unit:
	$(GO) test -count=1 -short ./...

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseSuite -fuzztime 20s ./grader/

# staticcheck, pinned, fetched through the Go module proxy on first use.
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	gofmt -l . | (! grep .)
	$(GO) mod tidy -diff
	$(GO) vet ./...
	$(STATICCHECK) ./...

bench: setup relays
	COACH_REQUIRE_DOCKER=1 $(GO) test -run '^$$' -bench . -benchtime 5x $$($(GO) list ./... | grep -v /internal/cli$$)
	# Grading 24 submissions twice per iteration, and the edit-check loop's
	# figures (medians of 5 rounds, each figure printed with its target):
	# once is enough.
	COACH_REQUIRE_DOCKER=1 $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./internal/cli/

# The sandbox transport against the socket relay it replaced, side by side.
bench-transport: setup
	bash scripts/bench-transport.sh

clean:
	rm -rf bin
	-$(BIN) clean --all
