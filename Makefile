# The two commands a new user runs: `make demo` and `make test`.
# Each creates .venv and installs everything it needs on a fresh machine.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
CLI    := $(VENV)/bin/drugpolicy-kg
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast lint bench clean reference system-deps notebooks docs bytecode

# Debian packages the test suite drives: Virtuoso (a second SPARQL server) and Chromium (browser tests). The PDF
# reader's tests read the budget sections as LibreOffice printed them (tests/fixtures/printed, made by
# tools/print_fixtures.py), so LibreOffice is needed only to print them again.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-deps:
	@command -v virtuoso-t >/dev/null 2>&1 || { \
	  echo "installing Debian's virtuoso-opensource for the SPARQL server tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq virtuoso-opensource >/dev/null; }
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# uv installs the same packages from PyPI in about 6 s where pip takes 45-55 s; where uv cannot be had or fails, pip
# installs them as before.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c "import pip, sys; sys.exit(int(pip.__version__.split('.')[0]) < 22)" || $(PY) -m pip install --quiet --upgrade pip
	{ $(PY) -m pip install --quiet --disable-pip-version-check 'uv>=0.5,<1' 2>/dev/null && \
	  $(PY) -m uv pip install --quiet --python $(PY) -e '.[dev]'; } || $(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The bytecode of every module a command imports, written once: uv installs without it and an editable install
# leaves the package's to the first run, so where PYTHONDONTWRITEBYTECODE is set (CI images often set it; so did
# this machine's shell) every command compiled what it imported again: numpy, networkx, matplotlib, scipy, rdflib,
# pyvis and pySHACL took 3.1 s to import in each process that needs them, 0.95 s compiled (the package alone:
# ~50 ms a run). The installed packages are compiled after each install (about 14 s on two cores), the package's
# own modules each time (they change).
COMPILED := $(VENV)/.compiled
$(COMPILED): $(STAMP)
	$(PY) -m compileall -q -j 0 "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" >/dev/null
	touch $(COMPILED)

bytecode: $(COMPILED)
	@$(PY) -m compileall -q src

demo: $(STAMP) bytecode
	$(CLI) build --out build
	$(CLI) validate
	$(CLI) stats
	$(CLI) trace 64/3 --direction forward --format markdown -o build/trace-64-3.md
	$(CLI) trace ITWG --direction backward
	$(CLI) views --out build/site

# Three workers on this 2-core machine (the suite waits on servers and browsers for about a sixth of
# its time, and a third worker fills it: 485 s against 516 s with two, measured here at 24deb6e), each test file
# on one worker so its fixtures are built once; a test that hangs fails after 15 minutes instead of holding the suite.
PYTEST_WORKERS ?= 3
test: $(STAMP) system-deps bytecode
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile --timeout 900 --durations=30

# The inner loop: no wheel build, servers or browsers (the `slow` tier, which `make test` and CI run).
test-fast: $(STAMP) bytecode
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile -m "not slow"

# The documentation site, built offline into build/docs (strict: a broken link or a page left out of the nav fails).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

notebooks: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests tools bench

bench: $(STAMP) bytecode
	$(PY) bench/run_bench.py

reference: $(STAMP)
	$(PY) tools/make_reference.py

clean:
	rm -rf build dist .pytest_cache
	find src -name __pycache__ -prune -exec rm -rf {} +
