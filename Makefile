# Two commands for a fresh machine (README "Quick start"):
#   make demo   sets up .venv and opens the console on a fresh demo database
#   make test   sets up .venv and runs the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test screenshots snapshot-update lint clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "procmod needs Python >= 3.11; run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

demo: $(BIN)/.installed
	$(BIN)/procmod demo

test: $(BIN)/.installed
	$(BIN)/python -m pytest

screenshots: $(BIN)/.installed
	$(BIN)/python scripts/screenshots.py

snapshot-update: $(BIN)/.installed
	$(BIN)/python -m pytest tests/tui/test_snapshots.py --snapshot-update

lint: $(BIN)/.installed
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache snapshot_report.html
