# Run `make` or `make help` for the list of targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
UV_VERSION ?= 0.13.9
# Locust run of the main job; override as `make loadtest USERS=100 RUN_TIME=2m`.
USERS ?= 50
SPAWN_RATE ?= 10
RUN_TIME ?= 60s
SEED_COUNT ?= 1000
# Gateway port of `make run`; the services take 8001 to 8003, or free ports when it is 0.
GATEWAY_PORT ?= 8080
# Empty for a plain run; step, spike, soak or ramp-down for `make loadtest LOADTEST_SHAPE=step`.
LOADTEST_SHAPE ?=
PYTEST_ARGS ?=

export UV_PYTHON_DOWNLOADS := never
UV := $(PYTHON) -m uv
VENV_PYTHON := .venv/bin/python

.PHONY: help install run loadtest test lint clean

# Targets for images, Kubernetes and load tests live in mk/*.mk, one file per topic.
-include mk/*.mk

help: ## Show the targets and what they do
	@grep -hE '^[a-z][a-z-]+:.*## ' $(MAKEFILE_LIST) \
	  | awk 'BEGIN {FS = ":.*## "}; {printf "  %-12s %s\n", $$1, $$2}'

install: ## Create .venv with the locked dependencies (installs uv with pip if missing)
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) sync --frozen --python $(PYTHON)

run: install ## Start PostgreSQL, Redis and the four services; Ctrl-C stops them
	$(VENV_PYTHON) -m devstack run --seed-count $(SEED_COUNT) --gateway-port $(GATEWAY_PORT)

loadtest: install ## Main job: start the stack, run a bounded Locust test, print a summary
	$(VENV_PYTHON) -m devstack loadtest --seed-count $(SEED_COUNT) \
	  --users $(USERS) --spawn-rate $(SPAWN_RATE) --run-time $(RUN_TIME) --no-access-log \
	  $(if $(LOADTEST_SHAPE),--shape $(LOADTEST_SHAPE))

test: install ## Run the test suite against real PostgreSQL, Redis and service processes
	$(VENV_PYTHON) -m pytest $(PYTEST_ARGS)

lint: install ## Check style and common bugs with ruff
	$(VENV_PYTHON) -m ruff check services stack loadtest

clean: ## Remove the virtual environment, reports and local stack logs
	rm -rf .venv reports .stack .pytest_cache .ruff_cache
