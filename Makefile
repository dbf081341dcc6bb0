# Two commands for a newcomer: `make run` (everything, with demo data) and `make test` (every suite).
# Both set up what they need: the Python environment, Kafka's jars, a local PostgreSQL and Kafka.
# Point at existing servers with DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS to start neither.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)
PYTEST_ARGS ?=

# Where the servers are, given to the Python processes only: set in the environment of the
# scripts, these would tell them an external server is in use and to start none.
SERVERS := DATABASE_URL=$(shell bash scripts/postgres.sh url app) DATABASE_OWNER_URL=$(shell bash scripts/postgres.sh url owner) AUDITOR_DATABASE_URL=$(shell bash scripts/postgres.sh url auditor) KAFKA_BOOTSTRAP_SERVERS=$(shell bash scripts/kafka.sh bootstrap)

.PHONY: help run test test-unit test-contract test-integration test-e2e test-browser test-faults console chromium bench-pipeline bench-replay bench-reservations bench-recall bench-pricing bench-rebates bench-ar bench-scale-out infra keycloak down token schemas clean venv

help:
	@echo "make run     start Kafka, PostgreSQL and all five services with demo data (Ctrl-C stops)"
	@echo "make test    set up and run every test suite"
	@echo "make console build the web console (console/dist) from the committed lockfile; make run serves it"
	@echo "make down    stop the local Kafka and PostgreSQL (and Keycloak if it runs)"
	@echo "make run IDP=keycloak   the same, signing in with a local Keycloak (users in deploy/keycloak/erp-realm.json)"
	@echo "make token NAME=alice ROLE=order_desk   print a bearer token"
	@echo "make schemas regenerate the JSON Schemas of the event contracts"
	@echo "make bench-replay / bench-reservations / bench-recall / bench-pipeline / bench-pricing / bench-rebates / bench-ar / bench-scale-out   benchmarks, results in bench/results/"
	@echo "make test-faults   the fault suite in its long form (FAULTS_ROUNDS=10): kills, broker and database outages"

venv: $(STAMP)
# constraints.txt pins every package installed, not only the direct dependencies pyproject.toml pins:
# regenerate it with `.venv/bin/pip freeze --exclude-editable > constraints.txt` after changing those.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==25.3
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

infra:
	bash scripts/postgres.sh start
	bash scripts/kafka.sh start

# IDP=keycloak: the services also trust a local Keycloak's tokens (README "Identity provider"); local tokens still work.
ifeq ($(IDP),keycloak)
IDP_ENV = OIDC_ISSUER=$(shell bash scripts/keycloak.sh issuer) OIDC_AUDIENCE=erp-services
endif

# The web console (console/): npm ci from the committed lockfile only when it changed, the build only when the
# sources did; the gateway (services/gateway.py) serves console/dist. Nothing is fetched from a CDN at run time.
CONSOLE_SOURCES := $(shell find console/src -type f 2>/dev/null) console/index.html console/vite.config.ts console/tsconfig.json
console: console/dist/index.html
console/node_modules/.package-lock.json: console/package-lock.json
	cd console && npm ci --no-audit --no-fund
	touch $@
console/dist/index.html: console/node_modules/.package-lock.json $(CONSOLE_SOURCES)
	cd console && npm run build
	touch $@

# The browser tests drive Debian's Chromium (Playwright's own download is not used), with a CJK font for the pages.
chromium:
	@(command -v chromium >/dev/null && fc-list :lang=zh | grep -q .) || \
		(apt-get update && apt-get install -y --no-install-recommends chromium fonts-noto-cjk)

run: venv infra console $(if $(filter keycloak,$(IDP)),keycloak)
	$(SERVERS) $(IDP_ENV) $(PY) -m services.run

# The identity provider in dev mode on 127.0.0.1:18080, realm erp (scripts/keycloak.sh).
keycloak:
	bash scripts/keycloak.sh start

test: venv infra console chromium
	$(SERVERS) $(PY) -m pytest tests $(PYTEST_ARGS)

test-unit: venv
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-contract test-integration test-e2e: venv infra
	$(SERVERS) $(PY) -m pytest tests/$(subst test-,,$@) $(PYTEST_ARGS)

# The console in headless Chromium against the running services (tests/browser; screenshots in docs/screenshots/).
test-browser: venv infra console chromium
	$(SERVERS) $(PY) -m pytest tests/browser $(PYTEST_ARGS)

# Processes killed, broker and database stopped under load: tests/faults with FAULTS_ROUNDS rounds (10 here;
# `make test` runs it with the default 2). Its own throwaway broker and database: the shared ones keep running.
test-faults: venv infra
	FAULTS_ROUNDS=$(or $(FAULTS_ROUNDS),10) $(SERVERS) $(PY) -m pytest tests/faults $(PYTEST_ARGS)

# Rebuild speed against raw Kafka reads, on BENCH_EVENTS (default 1,000,000) events: bench/results/replay.json.
bench-replay: venv infra
	$(SERVERS) $(PY) -m bench.replay

# One channel worker process against two (same consumer groups) draining a backlog of BENCH_EVENTS (default 100,000)
# events, BENCH_ROUNDS (2) times each: bench/results/scale_out.json (ratio = one's drain time / two's).
bench-scale-out: venv infra
	$(SERVERS) $(PY) -m bench.scale_out

# FEFO reservations per second with 8 concurrent writers, spread and contended: bench/results/reservations.json.
bench-reservations: venv infra
	$(SERVERS) $(PY) -m bench.reservations

# The whole system under BENCH_RATE orders/s (200) for BENCH_SECONDS (20): command latency, lag to each read
# model, sustained events/s against the store-only append rate: bench/results/pipeline.json.
bench-pipeline: venv infra
	$(SERVERS) $(PY) -m bench.pipeline

# Pricing: BENCH_LINES (100,000) order lines against BENCH_RULES (10,000) rules, engine against brute force, pure
# CPU (no servers): bench/results/pricing.json.
bench-pricing: venv
	$(PY) -m bench.pricing

# Rebates: BENCH_REBATE_LINES (1,000,000) sell-out lines of BENCH_DISTRIBUTORS (1,000) distributors accrued by the
# rebate engine, against a brute-force recomputation, pure CPU (no servers): bench/results/rebates.json.
bench-rebates: venv
	$(PY) -m bench.rebates

# Recall lookup p50/p99 over HTTP on 1,000,000 shipment lines, against a brute-force walk: bench/results/recall.json.
bench-recall: venv infra
	$(SERVERS) $(PY) -m bench.recall

# Imports: BENCH_ROWS (1,000,000) historical shipment rows through run_import, against raw appends of the same
# events in the same run: bench/results/import.json.
.PHONY: bench-import
bench-import: venv infra
	$(SERVERS) $(PY) -m bench.imports

# Statement and aging p50/p99 over HTTP on 2,000,000 billing events, against folding the events: bench/results/ar.json.
bench-ar: venv
	$(PY) -m bench.ar

# The dashboard's sales queries p50/p99 over HTTP on 1,000,000 invoice lines, against folding the events per query:
# bench/results/analytics.json.
.PHONY: bench-analytics
bench-analytics: venv infra
	$(SERVERS) $(PY) -m bench.analytics

down:
	bash scripts/keycloak.sh stop
	bash scripts/kafka.sh stop
	bash scripts/postgres.sh stop

token: venv
	@$(VENV)/bin/erp token $(or $(NAME),alice) --role $(or $(ROLE),order_desk)

schemas: venv
	$(PY) -m shared.events.schemas

clean: down
	rm -rf .local $(VENV)
