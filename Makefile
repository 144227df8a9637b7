# Fundament: the two set-up commands are `make lab` and `make test`.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

GO        ?= go
BIN       := bin/fundament
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/fundament-cloud/fundament/internal/cli.Version=$(VERSION)
FUZZTIME  ?= 30s

.PHONY: all build deps test vet fmt-check lab fuzz bench clean

all: build

## deps: fetch the Go modules go.mod pins and the Debian packages the tests and the lab need
deps:
	@command -v $(GO) >/dev/null || { echo "Go is missing: install Go 1.26 into /usr/local/go"; exit 1; }
	$(GO) mod download
	bash .ci/apt-deps

## build: the fundament binary in bin/
build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/fundament

fmt-check:
	@out=$$(gofmt -l cmd internal); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

## test: formatting, vet, every test (root/lab tests skip with a reason where they cannot run;
## the first lab test on a machine builds the Debian image, about 4 minutes; each package's test binary
## may take 60 minutes: rabbitmq's two lab tests run one after the other). go test -json read by
## internal/testutil/testrun: prints each package's and lab test's time and every skip with its
## reason; with CI=true a skip not in .ci/skip-allowlist fails. TESTFLAGS: testrun's flags, then
## packages, then -- and go test's flags (TESTFLAGS='-v ./internal/plan -- -run TestX').
TESTFLAGS ?=
test: fmt-check vet build
	$(GO) run ./internal/testutil/testrun $(TESTFLAGS)
	./$(BIN) validate --repo examples/lab
	./$(BIN) validate --repo examples/production

## lab: build and bring up the lab cloud from examples/lab (root): image, hosts, switches, cables, apply
# LAB_COMPONENTS=fabric,hostnet applies only those (and what they need).
LAB_COMPONENTS ?=
lab: deps build
	./$(BIN) validate --repo examples/lab
	./$(BIN) secrets generate --repo examples/lab
	./$(BIN) lab up --repo examples/lab $(if $(LAB_COMPONENTS),--component $(LAB_COMPONENTS))
	./$(BIN) lab status --repo examples/lab
	./$(BIN) status --repo examples/lab --wait 3m

## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run XXX -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

## bench: the benchmarks recorded in docs/benchmarks.md
bench:
	$(GO) test -run XXX -bench . -benchmem ./internal/validate/

clean:
	rm -rf bin
