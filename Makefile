# Two commands matter (README "Quick start"): `make demo` and `make test`.
# Each makes its own virtual environment in .venv on first use.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	&& echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint screenshots translations bench clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "retention-tui needs Python 3.11 or newer on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

## Build the demo database (20,000 customers, fixed seed) and open the app on it.
demo: $(STAMP)
	$(BIN)/retention-tui demo

## Run the whole test suite.
test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

## Regenerate screenshots/*.svg from a fixed demo seed and a fixed today.
screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

## Extract every user-facing string, merge it into each language's catalogue, compile them.
translations: $(STAMP)
	$(BIN)/python scripts/translations.py all

bench: $(STAMP)
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_demo.py --big
	$(BIN)/python bench/bench_desktop.py
	$(BIN)/python bench/bench_loyalty.py
	$(BIN)/python bench/bench_reasons.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .ruff_cache
