# Two entry points for a fresh machine (see README):
#   make suggest Q="客户说的话"   set everything up, build the index, answer one lookup
#   make test                     set everything up and run the whole test suite
PYTHON ?= python3
PIP := $(PYTHON) -m pip
STAMP := .setup.stamp
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup suggest build test lint bench bench-serve wheel clean

$(STAMP): pyproject.toml Makefile
	# torch first, pinned: the CPU build on this machine class; unpinned, pip pulls a CUDA build.
	# Only the st extra (sentence-transformers models) needs it; the tests cover that path too.
	$(PIP) install --quiet "torch==2.13.0"
	# dev: test tools; st: sentence-transformers (torch); ray: `--engine ray` batch runs.
	$(PIP) install --quiet -e ".[dev,st,ray]"
	# pip byte-compiles wheels but not an editable checkout, and this machine class sets
	# PYTHONDONTWRITEBYTECODE: compiled once here, a one-shot lookup skips ~60 ms of compiling.
	$(PYTHON) -m compileall -q assist
	# Debian's Chromium drives the console's real-browser test (Playwright's own browser
	# download is unreachable on closed networks); CJK fonts make its screenshots readable.
	test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)
	# Debian's PostgreSQL: the call-store tests start their own server from its binaries.
	ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq postgresql)
	fc-list :lang=zh 2>/dev/null | grep -q . || (apt-get update -qq && apt-get install -y -qq fonts-noto-cjk)
	touch $(STAMP)

setup: $(STAMP)

build: setup
	assist build

suggest: setup
	@test -n "$(Q)" || (echo 'usage: make suggest Q="customer utterance"' >&2; exit 2)
	assist suggest "$(Q)"

test: setup
	$(PYTHON) -m pytest -q
	$(PYTHON) -m ruff check assist tests bench
	$(PYTHON) -m mypy

bench: setup
	assist bench

# The team server under load (docs/server.md): the single-engine server before the team server
# (a68e1c6^) as baseline, then 1 worker and one per core; loopback, ~10 minutes.
bench-serve: setup
	$(PYTHON) bench/load_serve.py --baseline 'a68e1c6^'

# The wheel a user installs (library, rules and console inside; no torch unless [st]).
wheel:
	$(PIP) wheel --no-deps --no-build-isolation -w dist .

clean:
	rm -rf index/manifest.json index/build-* index/calibration.json index/quick $(STAMP)
