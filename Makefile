# Wayfinder's one task runner. `make help` lists every target; CI runs `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Settings live in the environment; a local .env (see .env.example) is read when present.
ifneq (,$(wildcard .env))
include .env
export
endif

VENV := .venv
VENV_RASA := .venv-rasa
PY := $(VENV)/bin/python
WAYFINDER := $(VENV)/bin/wayfinder
PIP_FLAGS := --quiet --disable-pip-version-check
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: help run setup db seed test lint typecheck unit bench clean

help: ## list every target
	@grep -E '^[a-zA-Z_.-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | sort | \
		awk -F'\t' '{ printf "  make %-12s %s\n", $$1, $$2 }'

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	@echo "Creating $(VENV) (our code, Python 3.10)…"
	@test -x $(PY) || "$$(scripts/find-python310)" -m venv $(VENV)
	@$(PY) -m pip install $(PIP_FLAGS) --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	@$(PY) -m pip install $(PIP_FLAGS) -r requirements-dev.txt 2>&1 | grep -v '^WARNING: Location' || true
	@$(PY) -m pip install $(PIP_FLAGS) --no-deps -e . 2>&1 | grep -v '^WARNING: Location' || true
	@$(PY) -c 'import knowledge, sqlalchemy, spacy, rasa_sdk, telegram' # fail loudly if an install broke
	@touch $@

$(VENV_RASA)/.installed: requirements-rasa.txt
	@echo "Creating $(VENV_RASA) (the Rasa server, Python 3.10; takes a few minutes)…"
	@test -x $(VENV_RASA)/bin/python || "$$(scripts/find-python310)" -m venv $(VENV_RASA)
	@$(VENV_RASA)/bin/python -m pip install $(PIP_FLAGS) -r requirements-rasa.txt 2>&1 | grep -v '^WARNING: Location' || true
	@$(VENV_RASA)/bin/rasa --version >/dev/null # fail loudly if the install broke
	@touch $@

setup: $(VENV)/.installed $(VENV_RASA)/.installed ## create both virtual environments if missing

db: $(VENV)/.installed ## apply database migrations (WAYFINDER_DATABASE_URL, default var/wayfinder.db)
	@$(WAYFINDER) db upgrade

seed: db ## load the demo city (fictional Alder Bay) into the directory; idempotent
	@$(WAYFINDER) directory seed

run: setup seed ## set everything up on the embedded defaults and show the directory working
	@$(WAYFINDER) directory stats
	@echo
	@echo 'Example search: wayfinder directory search "free coding club for a 12 year old"'
	@$(WAYFINDER) directory search "free coding club for a 12 year old"
	@echo
	@echo "The directory is ready in $${WAYFINDER_DATABASE_URL:-var/wayfinder.db}."
	@echo "Search it with: $(WAYFINDER) directory search \"...\" [--age N] [--neighborhood NAME] [--free] [--json]"

lint: $(VENV)/.installed ## ruff on all Python code
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check knowledge tests benchmarks

typecheck: $(VENV)/.installed ## mypy --strict on our packages
	@$(VENV)/bin/mypy knowledge benchmarks

unit: $(VENV)/.installed ## the pytest suite only (PYTEST_ARGS=... to filter)
	@$(VENV)/bin/pytest $(PYTEST_ARGS)

test: lint typecheck unit ## everything CI checks (set WAYFINDER_TEST_POSTGRES_URL to include PostgreSQL)

bench: $(VENV)/.installed ## measure search speed, import speed and relevance; writes docs/benchmarks.md
	@$(PY) -m benchmarks.run $(BENCH_ARGS)

clean: ## remove the environments, the local database and caches (keeps your .env)
	rm -rf $(VENV) $(VENV_RASA) var .mypy_cache .ruff_cache .pytest_cache benchmarks/data
