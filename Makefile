# gcrisk — every target creates the environment it needs (uv, from the committed uv.lock).
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export OMP_WAIT_POLICY := PASSIVE
export DO_NOT_TRACK := true
export MLFLOW_DISABLE_TELEMETRY := true
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export GX_ANALYTICS_ENABLED := false

# uv from PATH; on a machine without it, install it with pip and run it as a module.
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(shell python3 -m pip install --quiet uv >/dev/null 2>&1; echo python3 -m uv)
endif
PACKAGES := data_contracts simulation features models casestudy pipelines
ENV_STAMP := .venv/.synced

.PHONY: help env demo test check lint format typecheck layers bench clean

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

$(ENV_STAMP): uv.lock pyproject.toml
	@$(UV) sync --frozen --quiet
	@touch $@

env: $(ENV_STAMP) ## Create or update the environment (.venv) from uv.lock

demo: env ## Run the whole story on a simulated world (outputs in $$GCRISK_HOME, default ./gcrisk-home)
	@$(UV) run --frozen --no-sync gcrisk demo

# Test files are spread over PYTEST_WORKERS processes (pytest-xdist), whole files at a time so
# that a module's fixtures (a small world, a server) are built once (832 tests in 537 s on 2 cores).
PYTEST_WORKERS ?= 2

test: env ## Run the test suite (PYTEST_WORKERS processes, default 2)
	@$(UV) run --frozen --no-sync pytest -q -n $(PYTEST_WORKERS) --dist loadfile

lint: env ## Ruff lint and format check
	@$(UV) run --frozen --no-sync ruff check .
	@$(UV) run --frozen --no-sync ruff format --check .

format: env ## Format the code with ruff
	@$(UV) run --frozen --no-sync ruff format .
	@$(UV) run --frozen --no-sync ruff check --fix .

typecheck: env ## Type-check the packages with mypy
	@$(UV) run --frozen --no-sync mypy

layers: env ## Check the package layers with import-linter
	@$(UV) run --frozen --no-sync lint-imports

check: lint typecheck layers test ## Everything CI runs: ruff, mypy, import-linter, pytest

bench: env ## Run the speed and memory benchmarks and print their figures
	@$(UV) run --frozen --no-sync python -m benchmarks

clean: ## Remove the environment and generated outputs
	rm -rf .venv gcrisk-home .pytest_cache .mypy_cache .ruff_cache
