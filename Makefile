# The two commands of the README: `make run` and `make test`.
# Both create .venv with the first Python >= 3.11 they find and install the project into it.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench install clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "ccobot needs Python 3.11 or newer on PATH (python3.11, python3.12, ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP)

# The bot's main job on the embedded defaults. Until the chat faces land (issues 3 and 5)
# that is: build the demo store if it is missing, check it, and answer example KPI plans.
run: $(STAMP)
	$(BIN)/ccobot data check
	$(BIN)/ccobot kpi revenue --by region --period "last quarter"
	$(BIN)/ccobot kpi win_rate --by segment --period "this year"
	$(BIN)/ccobot kpi pipeline --by stage --period "this quarter"
	$(BIN)/ccobot kpi quota_attainment --by owner --top 5 --period "last quarter"

test: $(STAMP)
	$(BIN)/python -m pytest

# Benchmarks run on demand, never as part of the tests. SIZES=100000,1000000 to choose.
bench: $(STAMP)
	$(BIN)/python bench/bench_engine.py $(if $(SIZES),--sizes $(SIZES),)

clean:
	rm -rf $(VENV) .ccobot .pytest_cache
