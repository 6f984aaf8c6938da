# Wayfinder's one task runner. `make help` lists every target; CI runs `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Settings live in the environment; a local .env (see .env.example) is read when present, and
# what the environment already sets wins over it (as with docker compose), so
# `WAYFINDER_DATABASE_URL=… make run` works beside a .env copied from .env.example.
ifneq (,$(wildcard .env))
DOTENV_NAMES := $(shell sed -nE 's/^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=.*/\1/p' .env)
DOTENV_KEPT := $(foreach name,$(DOTENV_NAMES),$(if $(filter environment,$(origin $(name))),$(name)))
$(foreach name,$(DOTENV_KEPT),$(eval DOTENV_WAS_$(name) := $$(value $(name))))
include .env
$(foreach name,$(DOTENV_KEPT),$(eval $(name) := $$(value DOTENV_WAS_$(name))))
export
endif

VENV := .venv
VENV_RASA := .venv-rasa
PY := $(VENV)/bin/python
WAYFINDER := $(VENV)/bin/wayfinder
PIP_FLAGS := --quiet --disable-pip-version-check
PYTEST_ARGS ?=
BENCH_ARGS ?=
RASA := $(VENV_RASA)/bin/rasa
MODELS := models
# What a model is trained from: the domain, the dialogue and NLU data, the pipeline.
TRAIN_INPUTS = config.yml $(shell find bot/domain bot/data nlu_data -name '*.yml' 2>/dev/null | sort)
TRAIN_ARGS = --domain bot/domain --data nlu_data bot/data --config config.yml
TEST_WORK := var/test

.PHONY: help run setup browser haproxy db seed lookups train shell test lint typecheck unit unit-rasa unit-browser conversation e2e e2e-scale bench clean

help: ## list every target
	@grep -E '^[a-zA-Z0-9_.-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | sort | \
		awk -F'\t' '{ printf "  make %-12s %s\n", $$1, $$2 }'

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	@echo "Creating $(VENV) (our code, Python 3.12)…"
	@$(PY) -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null \
		|| "$$(scripts/find-python 3.12)" -m venv --clear $(VENV) # a .venv of another Python is made anew
	@$(PY) -m pip install $(PIP_FLAGS) --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	@$(PY) -m pip install $(PIP_FLAGS) -r requirements-dev.txt 2>&1 | grep -v '^WARNING: Location' || true
	@$(PY) -m pip install $(PIP_FLAGS) --no-deps -e . 2>&1 | grep -v '^WARNING: Location' || true
	@$(PY) -c 'import knowledge, sqlalchemy, spacy, rasa_sdk, telegram' # fail loudly if an install broke
	@touch $@

$(VENV_RASA)/.installed: requirements-rasa.txt
	@echo "Creating $(VENV_RASA) (the Rasa server, Python 3.10 as Rasa 3.6 needs; takes a few minutes)…"
	@$(VENV_RASA)/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null \
		|| "$$(scripts/find-python 3.10)" -m venv --clear $(VENV_RASA)
	@$(VENV_RASA)/bin/python -m pip install $(PIP_FLAGS) -r requirements-rasa.txt 2>&1 | grep -v '^WARNING: Location' || true
	@$(VENV_RASA)/bin/rasa --version >/dev/null # fail loudly if the install broke
	@touch $@

setup: $(VENV)/.installed $(VENV_RASA)/.installed ## create both virtual environments if missing

# The web widget's browser tests drive Debian's Chromium (never a downloaded browser).
browser: ## install Debian's chromium and chromium-driver if missing (for the browser tests)
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		echo "Installing Debian's chromium and chromium-driver for the browser tests…"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

db: $(VENV)/.installed ## apply database migrations (WAYFINDER_DATABASE_URL, default var/wayfinder.db)
	@$(WAYFINDER) db upgrade

seed: db ## load the demo city (fictional Alder Bay) into an empty directory (WAYFINDER_SEED_DEMO=1: always); idempotent
	@$(WAYFINDER) directory seed --if-empty

run: setup seed train ## set everything up on the embedded defaults and start the assistant
	@$(PY) -m bot.serve

lookups: seed ## regenerate the NLU lookup tables (topics, places, providers) from the directory
	@$(WAYFINDER) nlu lookups

$(MODELS)/.trained: $(TRAIN_INPUTS) | $(VENV_RASA)/.installed
	@echo "Training the assistant's model (about 2 minutes for the demo city, longer for a big directory; Rasa shows its progress below)…"
	@$(RASA) train $(TRAIN_ARGS) --out $(MODELS) --fixed-model-name wayfinder
	@touch $@

train: setup lookups ## regenerate the lookups, then train the model if anything it learns from changed
	@$(MAKE) --no-print-directory $(MODELS)/.trained

shell: $(VENV)/.installed ## chat in this terminal with the assistant that `make run` started
	@$(PY) -m bot.shell

lint: $(VENV)/.installed ## ruff on all Python code
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check knowledge actions bot tests benchmarks

typecheck: $(VENV)/.installed ## mypy --strict on our packages
	@$(VENV)/bin/mypy knowledge actions bot benchmarks

# The load balancer's configuration is checked by Debian's HAProxy, the one the images install.
haproxy: ## install Debian's haproxy if missing (for the load balancer's tests and make e2e-scale)
	@if ! command -v haproxy >/dev/null && [ ! -x /usr/sbin/haproxy ]; then \
		echo "Installing Debian's haproxy for the load balancer's tests…"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq haproxy >/dev/null; \
	fi

unit: $(VENV)/.installed haproxy ## the pytest suite without the servers or a browser (PYTEST_ARGS=... to filter)
	@$(VENV)/bin/pytest -m "not e2e and not browser" $(PYTEST_ARGS)

$(VENV_RASA)/.dev-installed: requirements-rasa-dev.txt | $(VENV_RASA)/.installed
	@$(VENV_RASA)/bin/python -m pip install $(PIP_FLAGS) -r requirements-rasa-dev.txt 2>&1 | grep -v '^WARNING: Location' || true
	@touch $@

unit-rasa: $(VENV_RASA)/.dev-installed ## tests of what the Rasa server loads (bot/rasa_ext), in .venv-rasa
	@$(VENV_RASA)/bin/python -m pytest --confcutdir=tests/bot/rasa_ext -p no:cacheprovider tests/bot/rasa_ext $(PYTEST_ARGS)

unit-browser: $(VENV)/.installed browser ## the web widget in headless Chromium against a stub gateway (installs the browser)
	@$(VENV)/bin/pytest -m "browser and not e2e" $(PYTEST_ARGS)

# The conversation checks share one model, trained once per run from the committed data.
$(TEST_WORK)/model.tar.gz: $(TRAIN_INPUTS) | $(VENV_RASA)/.installed
	@mkdir -p $(TEST_WORK)
	@echo "Validating the domain and training data (rasa data validate, strict)…"
	@$(PY) -m bot.validate
	@echo "Training the test model…"
	@$(RASA) train $(TRAIN_ARGS) --out $(TEST_WORK) --fixed-model-name model

conversation: setup $(TEST_WORK)/model.tar.gz ## test stories, then NLU floors (5-fold cross-validation, held-out set)
	@$(RASA) test core --stories tests/conversation --model $(TEST_WORK)/model.tar.gz \
		--fail-on-prediction-errors --out $(TEST_WORK)/stories
	@$(PY) -m benchmarks.nlu --model $(TEST_WORK)/model.tar.gz --out $(TEST_WORK)/nlu --check

e2e: setup browser $(TEST_WORK)/model.tar.gz ## the whole stack on localhost: REST, Telegram (fake Bot API), the widget in Chromium, each city's scripted conversations
	@WAYFINDER_TEST_MODEL=$(TEST_WORK)/model.tar.gz WAYFINDER_TEST_CITY_MODELS=$(TEST_WORK)/cities \
		$(VENV)/bin/pytest -m e2e tests/e2e $(PYTEST_ARGS)

# Two of each server as processes behind Debian's HAProxy, on this machine's PostgreSQL and Redis.
e2e-scale: setup haproxy $(TEST_WORK)/model.tar.gz ## 100 learners through HAProxy to two gateways, Rasa and action servers while one gateway and one Rasa are killed (installs haproxy)
	@WAYFINDER_TEST_MODEL=$(TEST_WORK)/model.tar.gz \
		$(VENV)/bin/pytest -s -m e2e_scale tests/e2e_scale $(PYTEST_ARGS)

test: lint typecheck unit unit-rasa unit-browser conversation e2e e2e-scale ## everything CI checks (set WAYFINDER_TEST_POSTGRES_URL to include PostgreSQL)

bench: setup train ## measure the directory, the assistant and the channels under load, each city's scripted conversations and the reading level of the replies; writes docs/benchmarks*.md
	@$(PY) -m benchmarks.run $(BENCH_ARGS)
	@$(PY) -m benchmarks.assistant
	@$(PY) -m benchmarks.capacity
	@$(PY) -m benchmarks.channels
	@$(PY) -m benchmarks.conversations
	@$(PY) -m benchmarks.reports
	@$(PY) -m benchmarks.readability

clean: ## remove the environments, the local database and caches (keeps your .env)
	rm -rf $(VENV) $(VENV_RASA) var .mypy_cache .ruff_cache .pytest_cache benchmarks/data
