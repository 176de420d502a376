# crier — `make demo` and `make test` each do everything on a fresh Debian 12 with Swift.
SHELL := /bin/bash
SWIFT ?= swift
# Debian packages for the C libraries crier links (DESIGN §3), and for the tests: journal
# files (systemd-journal-remote), a TLS front for the loopback webhook server (socat, openssl)
# and a look into the state database (sqlite3).
DEB_PACKAGES := libsystemd-dev libcurl4-openssl-dev libpcre2-dev libsimdjson-dev libsqlite3-dev pkg-config systemd-journal-remote socat openssl sqlite3
CRIER := .build/debug/crier
# `make deb` needs dpkg-shlibdeps; the packaging tests a container engine (rootful podman
# with runc: crun refuses this machine's cgroup v1/v2 hybrid) and offline Kubernetes schemas.
DEB_BUILD_PACKAGES := dpkg-dev ca-certificates
PACKAGING_TEST_PACKAGES := podman runc
KUBERNETES_VALIDATE := kubernetes-validate==1.37.0

.PHONY: all install-deps install-packaging-deps build demo test test-packaging dist deb man image bench clean

all: build

# Idempotent: installs only what is missing; needs root (or sudo) only then.
install-deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(DEB_PACKAGES)"

install-packaging-deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(DEB_BUILD_PACKAGES) $(PACKAGING_TEST_PACKAGES)"
	@command -v kubernetes-validate >/dev/null || python3 -m pip install -q --disable-pip-version-check "$(KUBERNETES_VALIDATE)"

.PHONY: apt-install
apt-install:
	@missing=$$(for p in $(PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
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
	$(MAKE) test-packaging

# The shipped artefacts, from the real release binary: a bare root, the .deb installed and
# purged, the unit's exposure score, the container image, the manifests, the dashboard.
test-packaging: deb install-packaging-deps
	Tests/packaging/run.sh

# One release binary with the Swift runtime linked in, stripped: needs only glibc and the C
# libraries of the Debian packages above (and CA certificates) at run time.
dist: install-deps
	$(SWIFT) build -c release --product crier --static-swift-stdlib
	mkdir -p dist
	strip --strip-all -o dist/crier.tmp "$$($(SWIFT) build -c release --show-bin-path)/crier"
	mv dist/crier.tmp dist/crier
	@ls -l dist/crier && dist/crier --version

# crier(1), from the CLI's own help through swift-argument-parser's generate-manual tool
# (built from the checkout SwiftPM already has: offline; its plugin would rebuild crier).
man: dist
	$(SWIFT) build --package-path .build/checkouts/swift-argument-parser \
	  --scratch-path .build/argument-parser-tools --product generate-manual
	mkdir -p .build/man
	.build/argument-parser-tools/debug/generate-manual dist/crier --output-directory .build/man \
	  --section 1 --authors "the crier authors"

deb: dist man
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(DEB_BUILD_PACKAGES)"
	packaging/deb/build-deb.sh dist/crier dist .build/man/crier.1

# The container image (rootful podman, or docker), from the same binary: see packaging/container.
image: dist
	packaging/container/rootfs.sh dist/crier .build/image/rootfs
	cp packaging/container/Containerfile .build/image/
	$(or $(CONTAINER),podman) build -t crier:$$(dist/crier --version | sed -n '1s/^crier \([^ ]*\).*/\1/p') \
	  -f .build/image/Containerfile .build/image

bench: install-deps
	$(MAKE) -C Benchmarks run

clean:
	rm -rf .build dist
