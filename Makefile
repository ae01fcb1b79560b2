# MASH referral hub. `make` lists the targets; `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_WORKERS ?= 2
GOVUK_DIST := node_modules/govuk-frontend/dist/govuk

.DEFAULT_GOAL := help
.PHONY: help run test lint typecheck unit browser bench package build-venv assets chromium clean token fuzz faults ropa

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed (apt-get install python3.11 python3.11-venv)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

static/.built: package.json
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm; }
	npm install --no-audit --no-fund --silent
	rm -rf static && mkdir -p static
	cp $(GOVUK_DIST)/govuk-frontend.min.css $(GOVUK_DIST)/govuk-frontend.min.js static/
	cp -r $(GOVUK_DIST)/assets static/assets
	touch $@

assets: static/.built ## Fetch GOV.UK Frontend and build static/

chromium: ## Install Debian's Chromium for the browser tests, if missing
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

build-venv: $(STAMP) ## Make (or check) the Python 3.12 venv the Lambda package is built with (local/package.py)
	@$(BIN)/python -m local.package --build-venv

run: $(STAMP) assets ## Run the whole hub locally on the moto emulator (http://127.0.0.1:8000)
	$(BIN)/python -m local.run

# Every test, the fault suite too, on two workers (each test has its own moto). The fault suite's
# runs stay together, in order, on one worker (an xdist group) while the other takes the rest, so its
# printed counts no longer depend on how the runs were split. TEST_WORKERS=1 runs everything in one process.
# pip-audit mostly waits on the network (PyPI's JSON API): it runs beside the rest, and its verdict
# is printed and counted at the end. The time is printed last: the goal is 5 minutes on a 2-core machine.
test: $(STAMP) assets chromium build-venv ## Lint, format check, mypy, bandit, pip-audit, then every test (unit, API, events, browser, package, faults), timed
	@start=$$(date +%s); status=0; audit_log=$$(mktemp); \
	$(BIN)/python -m tests.security.dependency_audit >$$audit_log 2>&1 & audit=$$!; \
	$(BIN)/ruff check . && \
	$(BIN)/ruff format --check . && \
	$(BIN)/mypy && \
	$(BIN)/bandit -q -r chalicelib app.py local --severity-level medium && \
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup || status=$$?; \
	wait $$audit || status=1; cat $$audit_log; rm -f $$audit_log; \
	echo "make test: $$(( $$(date +%s) - start )) s on $$(nproc) cores, exit $$status"; exit $$status

faults: $(STAMP) ## The fault-injection suite on every seed (make test runs every fourth; CI runs both)
	FAULT_BUDGET=full $(BIN)/python -m pytest -q -p no:cacheprovider tests/faults

fuzz: $(STAMP) ## Fuzz the API and the form with a long budget: make fuzz FUZZ_EXAMPLES=1000 (examples per strategy)
	FUZZ_EXAMPLES=$(or $(FUZZ_EXAMPLES),500) $(BIN)/python -m pytest -q -p no:cacheprovider tests/fuzz

lint: $(STAMP) ## ruff only
	$(BIN)/ruff check .

typecheck: $(STAMP) ## mypy over chalicelib and app.py ([tool.mypy] in pyproject.toml)
	$(BIN)/mypy

bench: $(STAMP) assets ## Print the benchmark figures (cold import, KMS/DynamoDB per referral, latency, zip size)
	$(BIN)/python -m bench.run

package: $(STAMP) assets ## Build the deployment package into build/ with `chalice package` run by Python 3.12+ (build/venv312)
	$(BIN)/python -m local.package

ropa: $(STAMP) ## Write the records of processing to build/ropa.md, from the code and this stage's settings (MASH_*)
	$(BIN)/python -m deploy.ropa

token: $(STAMP) ## Print a staff token for the local stage: make token ROLE=practitioner|manager|auditor|edt
	@$(BIN)/python -m local.tokens $(or $(ROLE),practitioner)

clean: ## Remove the virtualenv, node_modules and build output
	rm -rf $(VENV) node_modules static vendor build
