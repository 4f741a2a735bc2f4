# Slipstream developer commands. `make test` and `make run` set everything up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install deps run test lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# System packages the tests need: a PostgreSQL server (tests start a throwaway one themselves).
deps:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian's postgresql package (the tests start their own server)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
		else \
			echo "The tests need PostgreSQL's server binaries (/usr/lib/postgresql/*/bin/initdb)." >&2; \
			echo "Install them as root: apt-get install postgresql" >&2; \
			exit 1; \
		fi; \
	fi

# Everything on this machine, with the example DAGs loaded (unpaused) next to $SLIPSTREAM_HOME/dags.
run: $(STAMP)
	SLIPSTREAM__CORE__LOAD_EXAMPLES=True SLIPSTREAM__CORE__DAGS_ARE_PAUSED_AT_CREATION=False \
		$(BIN)/slipstream standalone

test: $(STAMP) deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info

.PHONY: bench bench-quick
bench: $(STAMP)
	$(BIN)/python bench/run.py

bench-quick: $(STAMP)
	$(BIN)/python bench/run.py --quick
