# somed: developer and CI entry points. GNU make; Debian 12, Python 3.11.
#   make demo    run the daemon against the bundled platform emulators (./demo-data)
#   make test    install what the suite needs, then ruff + pytest
#   make lint    ruff only
#   make bench   throughput and memory benchmarks (docs/performance.md)
#   make catalogues  compile the gettext catalogues (.po -> .mo) edited since their .mo
#   make clean   remove the venv, demo data and caches

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Tests run in four processes (pytest-xdist): most of their time is spent waiting on the
# emulators, browsers and somed subprocesses they start, so two cores run four at once.
# The slowest tests are listed at the end, to keep the suite well inside its time.
# --dist=loadgroup: the modules that share the archived demo and its snapshots (xdist_group
# "demo", tests/demo_support.py) run in one process, so that work is done once.
PYTEST_ARGS ?= --numprocesses=4 --dist=loadgroup --durations=15

# Shell snippet: install the Debian packages named in $$missing (as root), or
# say what is missing (not root). apt-get update runs only when needed.
# --no-install-recommends: only what is named and what it depends on (Chromium's
# recommends alone pull ~480 MB: cups, avahi, samba, none of which the suite uses).
APT_INSTALL = \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" -eq 0 ]; then \
		echo "make: installing Debian packages:$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -q; \
		apt-get install -y -q --no-install-recommends $$missing; \
	else \
		echo "make: not root, not installing; please run: sudo apt-get install --no-install-recommends$$missing" >&2; \
	fi

.PHONY: help venv demo test lint bench catalogues clean sysdeps

help:
	@sed -n '2,8s/^# \{0,1\}//p' Makefile

# --- virtualenv -----------------------------------------------------------
venv: $(STAMP)

# Re-installs only when pyproject.toml changed (or the venv is new).
$(STAMP): pyproject.toml
	@missing=""; \
	if [ ! -x $(BIN)/python ] && ! $(PYTHON) -c 'import ensurepip' >/dev/null 2>&1; then \
		missing=" python3-venv"; \
	fi; \
	$(APT_INSTALL)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# --- system packages the test suite needs ---------------------------------
# Only these, each installed only when missing:
# chromium: page screenshots (Playwright drives the Debian build), when
#           /usr/bin/chromium is missing.
# systemd:  provides systemd-analyze, used by tests/test_systemd_unit.py.
# xmlsec1:  signs and checks SAML messages (pysaml2 calls it) for the web UI's single sign-on.
# fonts-dejavu-core: DejaVu Sans, the font of the bundles' PDF/A rendition (embedded by ReportLab).
# (useradd, runuser and mount, used by the read-only and disk-full tests, are in
# every Debian base system: passwd, util-linux, mount.)
sysdeps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v systemd-analyze >/dev/null 2>&1 || missing="$$missing systemd"; \
	command -v xmlsec1 >/dev/null 2>&1 || missing="$$missing xmlsec1"; \
	for pkg in fonts-dejavu-core; do \
		dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	$(APT_INSTALL)

# --- targets --------------------------------------------------------------
demo: venv
	$(BIN)/somed demo --dir demo-data

lint: venv
	$(BIN)/ruff check .

# pytest exit code 5 means "no tests collected": that is a failure here.
test: sysdeps venv
	$(BIN)/ruff check .
	@if [ -f ../shared/tools/eark-validate ]; then echo "make: E-ARK validator tests will run (../shared/tools/eark-validate)"; else echo "make: E-ARK validator tests will be skipped: ../shared/tools/eark-validate is missing"; fi
	@rc=0; $(BIN)/python -m pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make: pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc

bench: venv
	$(BIN)/python bench/archive_throughput.py --overheads 2 --platforms 5000
	$(BIN)/python bench/peak_rss.py
	$(BIN)/python bench/capture.py
	$(BIN)/python bench/flags.py

# The .mo files are committed (a fresh install needs no build step); tests/test_i18n.py checks
# that each one matches its .po.
catalogues: venv
	@for po in $$(find somed/locale connectors -path '*/LC_MESSAGES/*.po' | sort); do \
		mo="$${po%.po}.mo"; \
		if [ ! -e "$$mo" ] || [ "$$po" -nt "$$mo" ]; then $(BIN)/pybabel compile -i "$$po" -o "$$mo"; fi; \
	done

clean:
	rm -rf $(VENV) demo-data .pytest_cache .ruff_cache build bench/out *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
