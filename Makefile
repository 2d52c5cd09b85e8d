# Freshet: the two set-up commands are `make demo` and `make test`.
SHELL := /bin/bash
GO ?= go
BIN := bin/freshet
DEMO_FOR ?= 30s
SERVICES ?= kafka connect postgres redis prometheus
SERVICES_DIR ?= /tmp/freshet-services
export FRESHET_SERVICES_DIR := $(SERVICES_DIR)

.PHONY: all build demo test unit e2e services services-down bench lint proto docs clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/freshet

# The embedded demo: datagen → in-process Kafka → file sink, for $(DEMO_FOR)
# (make demo DEMO_FOR= runs until Ctrl-C).
demo: build
	./$(BIN) demo $(if $(DEMO_FOR),--for $(DEMO_FOR))

# Unit tests (no servers), then the end-to-end suite against real servers,
# which it starts and stops.
test: lint unit e2e

unit:
	$(GO) test -count=1 ./...

# FRESHET_SERVICES_LEASE: this run's lease on the servers (see tests/services/lib.sh), so
# its down.sh leaves alone a server that another run on this machine still uses.
e2e: build
	@export FRESHET_SERVICES_LEASE=$$$$; trap 'tests/services/down.sh $(SERVICES) >/dev/null 2>&1 || true' EXIT; \
	tests/services/up.sh $(SERVICES) && \
	source $(SERVICES_DIR)/env && \
	FRESHET_E2E=1 FRESHET_BIN=$(CURDIR)/$(BIN) $(GO) test -p 1 -count=1 -timeout 60m -v ./tests/e2e/...

services:
	tests/services/up.sh $(SERVICES)

services-down:
	tests/services/down.sh

# Micro-benchmarks, then the system benchmarks against real servers (Kafka, PostgreSQL, and
# Debezium's JDBC sink from Maven Central); SCENARIO=name[,name] runs some of them only, and
# skips the micro-benchmarks. Counts: BENCH_RECORDS, BENCH_RUNS, BENCH_SIZES, BENCH_RATE,
# BENCH_FRESH_FOR (see tests/bench/README.md).
bench: build
	$(if $(SCENARIO),,$(GO) test -run '^$$' -bench . -benchmem ./connectors/... ./runtime/... ./dlq/...)
	@export FRESHET_SERVICES_LEASE=$$$$; trap 'tests/services/down.sh kafka postgres >/dev/null 2>&1 || true' EXIT; \
	tests/services/up.sh kafka postgres && source $(SERVICES_DIR)/env && \
	jdbc=$$(tests/bench/jdbc/fetch.sh || true) && \
	FRESHET_BIN=$(CURDIR)/$(BIN) FRESHET_JDBC_SINK_DIR=$$jdbc $(GO) run ./tests/bench $(if $(SCENARIO),-scenario $(SCENARIO))

# Regenerate the plugin protocol's Go (and Python) code.
proto:
	connectors/sdk/proto/generate.sh

# Regenerate the connector reference from the config definitions.
docs:
	$(GO) run ./cmd/freshet docs docs/connectors

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf bin .freshet
