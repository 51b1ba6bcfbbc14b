# The two commands of the README: `make run` and `make test`.
# Both create .venv with the first Python >= 3.11 they find and install the project into it.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
BASE := $(VENV)/.installed
DEV := $(VENV)/.installed-dev
TEST_WORKERS ?= auto

.PHONY: run test bench eval-llm install clean

$(BASE): pyproject.toml
	@test -n "$(PYTHON)" || { echo "ccobot needs Python 3.11 or newer on PATH (python3.11, python3.12, ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

# The tests also need a local embedding model. torch is pinned first so that pip takes the
# CPU build (a local wheel on these machines) instead of resolving a multi-GB CUDA build.
$(DEV): $(BASE)
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(BASE)

# The bot's main job: the Slack app when SLACK_BOT_TOKEN is in the environment or .env,
# else the terminal chat over the embedded defaults (demo store built on first use).
run: $(BASE)
	$(BIN)/ccobot start

# The suite in two parts: everything but the timed tests spread over the machine's cores
# (pytest-xdist, a test file per worker at a time), then the timed ones (marked `serial`:
# load, latency and kill tests) alone, where their bounds mean something.
test: $(DEV)
	@status=0; \
	$(BIN)/python -m pytest -m "not serial" -n $(TEST_WORKERS) --dist loadfile || status=$$?; \
	$(BIN)/python -m pytest -m serial || status=$$?; \
	exit $$status

# Benchmarks run on demand, never as part of the tests. SIZES=100000,1000000 to choose.
# The warehouse bench starts a throwaway PostgreSQL; WAREHOUSE_SIZES=1000000,10000000 for the full run.
bench: $(DEV)
	$(BIN)/python bench/bench_engine.py $(if $(SIZES),--sizes $(SIZES),)
	$(BIN)/python bench/bench_ask.py
	$(BIN)/python bench/bench_playbook.py
	$(BIN)/python bench/bench_warehouse.py --sizes $(or $(WAREHOUSE_SIZES),100000) --repeat 3

# The language model's evaluation against the endpoint in OPENAI_API_KEY / OPENAI_BASE_URL /
# CCOBOT_MODEL (environment or .env); says it is skipped when no key is set.
eval-llm: $(DEV)
	$(BIN)/python -m tests.eval.llm_eval

clean:
	rm -rf $(VENV) .ccobot .pytest_cache
