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

run: $(STAMP)
	$(BIN)/slipstream dags list --dags-folder src/slipstream/example_dags
	for d in example_etl example_taskflow example_branching example_mapping; do \
		$(BIN)/slipstream dags test $$d --dags-folder src/slipstream/example_dags || exit 1; \
	done

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
