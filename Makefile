# The README's two commands: `make run` (the main job) and `make test` (the test suite).
# Each creates or updates the project's own virtual environment first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint kb clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,dev]"
	rm -f $(VENV)/.installed-*
	touch $@

# The main job on the bundled data set; the report goes to senox-report/ (replaced on each run).
run: $(STAMP)
	$(BIN)/senox run --out senox-report --force

lint: $(STAMP)
	$(BIN)/ruff check --output-format concise src tests tools benchmarks validation
	$(BIN)/ruff format --check src tests tools benchmarks validation
	$(BIN)/mypy

test: lint
	$(BIN)/senox kb lint
	$(BIN)/pytest

# Recompile the shipped evidence-base database from the curated TSV files.
kb: $(STAMP)
	$(BIN)/python tools/build_kb.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
