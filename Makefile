# trustsim: every target builds .venv itself with a Python 3.12+ interpreter.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SCENARIO ?= scenarios/baseline.toml

# First interpreter that is Python >= 3.12: $(PYTHON) if given, then common names.
FIND_PY = for c in $(PYTHON) python3.12 python3.13 python3.14 python3 python; do \
	  p=$$(command -v $$c 2>/dev/null) || continue; \
	  $$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null && { echo $$p; exit 0; }; \
	done; exit 1

.PHONY: run test test-fast lint bench golden mutation notebooks dashboard clean

$(STAMP): pyproject.toml
	@base=$$($(FIND_PY)) || { echo "error: trustsim needs Python 3.12 or newer and none was found." >&2; \
	  echo "       Install one (e.g. 'pyenv install 3.12', 'uv python install 3.12', or your OS package)" >&2; \
	  echo "       or pass it explicitly: make PYTHON=/path/to/python3.12 ..." >&2; exit 1; }; \
	echo "using $$base ($$($$base --version))"; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then \
	  rm -rf $(VENV); $$base -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)  ## run the default scenario and write its results folder
	$(VENV)/bin/trustsim run $(SCENARIO)

test: $(STAMP)  ## the full test suite (what CI runs; HYPOTHESIS_PROFILE=dev for a longer hunt)
	$(PY) -m pytest -n 2 -q

test-fast: $(STAMP)  ## everything but the tests marked slow (under a minute)
	$(PY) -m pytest -n 2 -q -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check sim tests benchmarks

bench: $(STAMP)  ## speed and memory figures (reported, not asserted)
	$(PY) benchmarks/run_all.py

golden: $(STAMP)  ## rewrite tests/golden/ on purpose (a behaviour change; say why in the commit)
	$(PY) -m tests.golden.regenerate

mutation: $(STAMP)  ## mutation score of the mechanisms and wiring (mutmut 3; minutes)
	$(PY) tests/mutation_score.py --workers 2

notebooks: $(STAMP)  ## open JupyterLab on the notebooks folder
	$(VENV)/bin/jupyter lab notebooks

dashboard: $(STAMP)  ## serve the interactive dashboard on http://127.0.0.1:8765/
	$(VENV)/bin/trustsim dashboard $(SCENARIO) --host 127.0.0.1 --port $(or $(PORT),8765)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
