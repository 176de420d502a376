# crier — `make demo` and `make test` each do everything on a fresh Debian 12 with Swift.
SHELL := /bin/bash
SWIFT ?= swift
# Debian packages for the C libraries crier links (DESIGN §3), and for the tests: journal
# files (systemd-journal-remote), a TLS front for the loopback webhook server (socat, openssl)
# and a look into the state database (sqlite3).
DEB_PACKAGES := libsystemd-dev libcurl4-openssl-dev libpcre2-dev libsimdjson-dev libsqlite3-dev pkg-config systemd-journal-remote socat openssl sqlite3
CRIER := .build/debug/crier

.PHONY: all install-deps build demo test bench clean

all: build

# Idempotent: installs only what is missing; needs root (or sudo) only then.
install-deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "install-deps: all Debian packages present"; exit 0; fi; \
	echo "install-deps: installing $$missing"; \
	if [ "$$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO=sudo; else \
	  echo "install-deps: run as root (or install sudo) to install: $$missing" >&2; exit 1; fi; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing

build: install-deps
	$(SWIFT) build

# Replays the bundled sample through the shipped packs and prints what would be sent.
demo: build
	$(CRIER) replay demo/sample.log

test: build
	$(SWIFT) test
	$(CRIER) test patterns/*/

bench: install-deps
	$(MAKE) -C Benchmarks run

clean:
	rm -rf .build
