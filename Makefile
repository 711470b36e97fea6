# rtfx: the two set-up commands (and a few more). Run as root on Debian 12; every target is idempotent.
#   make run    install what is missing, build, start rtfx-launch on http://127.0.0.1:8080
#   make test   install what is missing, build, build the Debian packages, run every test
#   make deb    the Debian packages gstreamer1.0-rtfx and rtfx-launch, into build-deb/ (debian/)
#   make bench  speed comparisons: the elements against OpenCV's, whole sessions against aiortc's example
#               server (docs/performance.md; not part of make test, which runs a short session bench)
#   make fuzz   a million inputs into each fuzz target of tests/fuzz (make test runs each briefly)
#   make soak   200 session cycles against the ASan and the release server (make test runs 25)

BUILD ?= build

# Debian packages the project needs: to build, to run its demos, and for its tests and benches.
APT_BUILD := gcc meson ninja-build pkg-config libglib2.0-dev \
	libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev \
	libsoup-3.0-dev libjson-glib-dev libgnutls28-dev libssl-dev glib-networking
APT_RUN := gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
	gstreamer1.0-plugins-bad gstreamer1.0-nice gstreamer1.0-libav gstreamer1.0-plugins-ugly
# rtfxpyfilter (Python filters): GStreamer's Python plugin loader, and what its examples use (zbar:
# examples/python/qrcode.py, as Debian's OpenCV cannot decode QR codes).
APT_PYTHON := gstreamer1.0-python3-plugin-loader python3-gst-1.0 python3-numpy python3-opencv \
	python3-zbar
# clang for the fuzz targets; a second WebRTC stack (aiortc) and nftables for the peer and fault tests;
# aiortc's example server (aiohttp) and matplotlib for the session bench, which make test runs briefly.
APT_TEST := python3 opencv-doc opencv-data clang libclang-rt-14-dev \
	python3-aiortc python3-websockets nftables python3-aiohttp python3-matplotlib
APT_BENCH := gstreamer1.0-opencv gstreamer1.0-libav util-linux
# Browser tests: Debian's browsers, and namespaces so they only ever see loopback; gst-discoverer-1.0
# reads the recordings back.
APT_E2E := chromium firefox-esr iproute2 util-linux coturn nginx gstreamer1.0-plugins-base-apps
# The Debian packages (make deb): debhelper builds them, help2man writes the man page, lintian checks.
APT_DEB := debhelper dpkg-dev help2man lintian
APT_PACKAGES := $(APT_BUILD) $(APT_RUN) $(APT_PYTHON) $(APT_TEST) $(APT_BENCH) $(APT_E2E) $(APT_DEB)

# puppeteer-core for the browser tests, from npm. These machines ship Node 20 with its own npm,
# which Debian's npm package conflicts with: install that only where there is no npm at all.
E2E_DIR := tests/e2e
E2E_MODULES := $(E2E_DIR)/node_modules/.package-lock.json

.PHONY: all deps e2e-deps build test bench run install clean

all: build

# Installs only what is missing, so a machine that has everything is not touched.
deps:
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "Installing missing packages:" $$missing; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing || exit 1; \
		for service in coturn nginx; do \
			case " $$missing " in *" $$service "*) \
				echo "$$service is only for the tests, which start their own: not running it as a service"; \
				systemctl disable --now $$service 2>/dev/null || true;; \
			esac; \
		done; \
	fi

$(E2E_MODULES): $(E2E_DIR)/package.json $(E2E_DIR)/package-lock.json
	@command -v npm >/dev/null || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm)
	cd $(E2E_DIR) && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund
	@touch $@

e2e-deps: deps $(E2E_MODULES)

build: deps
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD)
	meson compile -C $(BUILD)

# The fuzz targets need clang (libFuzzer), so they have a build directory of their own: the one
# the main build's fuzz tests look in (meson option fuzz_build).
FUZZ_BUILD := build-fuzz
FUZZ_TARGETS := fuzz-message fuzz-controls fuzz-offer

.PHONY: fuzz-build fuzz
fuzz-build: deps
	@[ -f $(FUZZ_BUILD)/build.ninja ] || CC=clang meson setup $(FUZZ_BUILD) -Dfuzzing=enabled -Dtests=disabled
	meson compile -C $(FUZZ_BUILD)

# Stops at the first crash, naming its reproducer (tests/fuzz/README.md says what to do with it).
fuzz: fuzz-build
	@for target in $(FUZZ_TARGETS); do \
		tests/fuzz/run.sh $(FUZZ_BUILD)/tests/fuzz/$$target $(FUZZ_BUILD)/fuzz-work -runs=1000000 || exit 1; \
	done

# deb first (a minute here): the test `packages` installs, checks and purges what it built.
test: build fuzz-build e2e-deps deb
	meson test -C $(BUILD) --print-errorlogs

# Everything in a namespace with only lo (run-in-netns.sh). The element benches: pinned to one core,
# OpenCV on one thread. The session bench (bench/session/README.md): ROUNDS rounds in Chromium and
# Firefox, then its tables and plots into docs/performance.md, also when some session failed (the page
# lists them). RTFX_LAUNCH picks another server binary, RTFX_ARGS more arguments for it (a JSON array).
ROUNDS ?= 3
RTFX_LAUNCH ?= $(BUILD)/launcher/rtfx-launch
RTFX_ARGS ?= []
SESSION_BENCH := $(BUILD)/bench/session
# The plugins built here; GST_PLUGIN_PATH too: the Python plugin loader's registry entry follows only it
# (rtfxpyfilter, the Python filters' bench and presets).
PLUGIN_ENV := GST_PLUGIN_PATH_1_0=$(BUILD)/gst GST_PLUGIN_PATH=$(BUILD)/gst
bench: build e2e-deps
	@echo "Element benches: pinned to one core (taskset -c 0); OpenCV limited to one thread."
	OPENCV_FOR_THREADS_NUM=1 $(PLUGIN_ENV) \
		tests/launcher/run-in-netns.sh taskset -c 0 $(BUILD)/bench/rtfx-bench-edges
	OPENCV_FOR_THREADS_NUM=1 $(PLUGIN_ENV) \
		tests/launcher/run-in-netns.sh taskset -c 0 $(BUILD)/bench/rtfx-bench-facedetect
	$(PLUGIN_ENV) tests/launcher/run-in-netns.sh taskset -c 0 $(BUILD)/bench/rtfx-bench-encoder
	@echo "Python filters: rtfxpyfilter's cost per frame, edges.py against rtfxedges, the GIL (docs/tutorial-python.md):"
	OPENCV_FOR_THREADS_NUM=1 $(PLUGIN_ENV) \
		tests/launcher/run-in-netns.sh /usr/bin/python3 bench/python/pyfilter-bench.py
	@echo "The video bitrate on a path limited to 1 Mbit/s for 15 s (docs/performance.md):"
	RTFX_BITRATE_CSV=$(CURDIR)/$(BUILD)/bitrate.csv tests/e2e/run.sh $(BUILD)/launcher/rtfx-launch bitrate
	bench/bitrate-plot.py $(BUILD)/bitrate.csv docs/img/bitrate.png \
		"Chromium, 640x480 film clip sent back untouched (chain identity)"
	@echo "Concurrent sessions against aiortc's example server (bench/capacity):"
	$(PLUGIN_ENV) tests/launcher/run-in-netns.sh /usr/bin/python3 bench/capacity/capacity.py \
		--rtfx-launch $(BUILD)/launcher/rtfx-launch --peer $(BUILD)/tests/peer/rtfx-test-peer \
		--doc docs/performance.md --img-dir docs/img --json $(BUILD)/capacity.json
	@echo "Session bench: load average now $$(cut -d' ' -f1-3 /proc/loadavg)"
	$(PLUGIN_ENV) bench/session/run.sh $(RTFX_LAUNCH) $(SESSION_BENCH) \
		--rounds $(ROUNDS) --variants --rtfx-args '$(RTFX_ARGS)'; status=$$?; \
	if [ -f $(SESSION_BENCH)/results.json ]; then /usr/bin/python3 bench/session/report.py \
		$(SESSION_BENCH)/results.json --doc docs/performance.md --img docs/img || status=1; fi; \
	exit $$status

# ARGS passes options and a chain, e.g. make run ARGS="--port 9000 'rtfxedges mode=overlay'"
run: build
	$(PLUGIN_ENV) $(BUILD)/launcher/rtfx-launch $(ARGS)

# 200 session cycles against the ASan server, then the release one (tests/soak/soak.py): the
# soak-short tests, made longer.
.PHONY: soak
soak: build
	meson test -C $(BUILD) soak-short soak-short-rss --test-args=--cycles=200 \
		--timeout-multiplier=0 --verbose

install: build
	meson install -C $(BUILD)

# The Debian packages gstreamer1.0-rtfx and rtfx-launch (debian/), then lintian on them, failing on
# an error (docs/deploy.md explains what it says). dpkg-buildpackage works in the source it
# is given and writes the packages next to it: it gets a copy of the checkout's files (tracked, and
# new ones not ignored) in $(DEB_DIR)/src, so the packages land in $(DEB_DIR) and the tree stays clean.
DEB_DIR := build-deb
.PHONY: deb
deb: deps
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/src
	git ls-files -z --cached --others --exclude-standard -- . ':!:$(E2E_DIR)/node_modules' | \
		tar --null --files-from=- --ignore-failed-read -cf - | tar -xf - -C $(DEB_DIR)/src
	cd $(DEB_DIR)/src && dpkg-buildpackage -b -us -uc
	lintian --fail-on error --display-info --pedantic $(DEB_DIR)/*.changes

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD) $(DEB_DIR)
