# Two commands on a fresh machine (Python >= 3.11 with venv):
#   make run    set up .venv and run the whole pipeline on the built-in mock catalogue (OUT: mwdisk-out/)
#   make test   set up .venv and run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: setup run test bench clean

$(BIN)/mwdisk: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(BIN)/mwdisk

setup: $(BIN)/mwdisk

run: setup
	$(BIN)/mwdisk run

# lint first (ruff, configured in pyproject.toml); a lint error fails the target before any test runs.
# pytest exits 5 when it collects no tests: that is a failure of the suite, not a pass
LINT_PATHS = mwdisk pipelines tests benchmarks scripts deploy

test: setup
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/python -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 1; fi; exit $$rc

bench: setup
	for b in benchmarks/*_bench.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) mwdisk-out .pytest_cache
