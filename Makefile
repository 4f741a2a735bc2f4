# Slipstream developer commands. `make test` and `make run` set everything up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install deps run test lint format clean ui

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ui

# The web UI (ui/, TypeScript + Vite) built into src/slipstream/ui/static, where the API server
# serves it and the wheel picks it up. Rebuilt only when a file of ui/ is newer than the build;
# `npm ci` only when the lock file changed.
UI_BUILD := src/slipstream/ui/static/index.html
UI_DEPS := ui/node_modules/.package-lock.json
UI_SOURCES := $(shell find ui -path ui/node_modules -prune -o -type f -print 2>/dev/null)

ui: $(UI_BUILD)

$(UI_BUILD): $(UI_SOURCES) $(UI_DEPS)
	cd ui && npm run build

$(UI_DEPS): ui/package.json ui/package-lock.json
	@command -v npm >/dev/null || { echo "Building the web UI needs Node.js (20.19 or newer) and npm" >&2; exit 1; }
	cd ui && npm ci --no-audit --no-fund
	touch $@

# System packages the tests need: a PostgreSQL server (tests start a throwaway one themselves)
# and Chromium (the UI tests drive it headless with Playwright).
deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian's$$missing (the tests start their own PostgreSQL server and Chromium)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "The tests need Debian's$$missing (PostgreSQL's server binaries, /usr/bin/chromium)." >&2; \
			echo "Install them as root: apt-get install$$missing" >&2; \
			exit 1; \
		fi; \
	fi

# Everything on this machine, with the example DAGs loaded (unpaused) next to $SLIPSTREAM_HOME/dags.
run: $(STAMP) ui
	SLIPSTREAM__CORE__LOAD_EXAMPLES=True SLIPSTREAM__CORE__DAGS_ARE_PAUSED_AT_CREATION=False \
		$(BIN)/slipstream standalone

# The suite runs on every core (at most 4) with pytest-xdist; the tests of one file stay in one
# worker, as they share module-scoped servers.
test: $(STAMP) deps ui
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n auto --maxprocesses 4 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info ui/node_modules src/slipstream/ui/static

.PHONY: bench bench-quick bench-compare
# Benchmarks (bench/README.md): results in bench/results/ (latest.json, latest.md and a dated copy).
# Extra options through ARGS, e.g. `make bench ARGS="--only sched_chain20 sched_gap"`.
bench: $(STAMP)
	$(BIN)/python bench/run.py $(ARGS)

bench-quick: $(STAMP)
	$(BIN)/python bench/run.py --quick $(ARGS)

# Slipstream and Apache Airflow (installed into bench/.airflow-venv on first use) in turns, both on
# a throwaway PostgreSQL server (`ARGS="--db sqlite"` for SQLite on both). Takes about 1 h 30.
bench-compare: $(STAMP) deps
	$(BIN)/python bench/run.py --compare $(ARGS)
