# The README's two commands: `make run` (the main job) and `make test` (the test suite).
# Each creates or updates the project's own virtual environment first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint kb validate docs clean

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

# senox on every real data set in ../shared/data, against the biology written in
# validation/expectations.py → validation/results/real_data.md (a few minutes).
validate: $(STAMP)
	cd validation && ../$(BIN)/python real_data.py

# The documentation site, offline, warnings as errors (the tutorial runs on the bundled data);
# open docs/_build/html/index.html.
docs: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[doc]"
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

# Recompile the shipped evidence-base database from the curated TSV files.
kb: $(STAMP)
	$(BIN)/python tools/build_kb.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
