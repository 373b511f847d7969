# Primus Lens: everything starts from one of these.
#   make demo    build, start the server on :8080, run the quickstart, show the result, keep serving
#   make test    every suite (server, exporter, end-to-end, manifests, bench smoke);
#                the last line is "N passed, M failed"
# Targets are stamp files, so a second run only redoes what changed.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8080
JUNIT_DIR := test-artifacts/junit
SUITE := $(PYTHON) scripts/run_suite.py

# Node.js itself is pinned (.node-version, an LTS) and installed into .tools/ by
# scripts/ensure-node.sh; every recipe below, and every process the tests start, finds it first on
# PATH, so the build, the tests and `make serve` run on the version the container image uses.
NODE_VERSION := $(shell tr -d ' \n' < .node-version)
NODE_HOME := $(CURDIR)/.tools/node-$(NODE_VERSION)
NODE_STAMP := .tools/node-$(NODE_VERSION)/.installed
export PATH := $(NODE_HOME)/bin:$(PATH)
# node-gyp builds native add-ons against these headers instead of downloading them.
export npm_config_nodedir := $(NODE_HOME)

NODE_DEPS := server/node_modules/.package-lock.json
SERVER_BUILD := server/dist/.build-stamp
SERVER_SOURCES := $(shell find server/src server/web server/scripts server/test -type f 2>/dev/null) \
	server/tsconfig.json server/package.json
PY_DEPS := $(VENV)/.deps-stamp
EXPORTER_WHEEL := $(VENV)/.exporter-stamp
# What goes into the wheel; tests and build leftovers do not, so editing a test reinstalls nothing.
EXPORTER_SOURCES := $(shell find exporter -type f -not -path 'exporter/tests/*' -not -path 'exporter/build/*' \
	-not -path '*/__pycache__/*' -not -path '*.egg-info/*' -not -path '*/.pytest_cache/*' \
	-not -path '*/.ruff_cache/*' -not -path '*/.mypy_cache/*' 2>/dev/null)

.PHONY: help build build-node build-server build-python demo serve test bench clean lint lint-server lint-exporter

help:
	@echo "make demo    build, start the server on :$(PORT), run examples/quickstart.py, show the result"
	@echo "make serve   the server alone in the foreground (PORT, LENS_DATABASE_URL, ... from the environment)"
	@echo "make test    every test suite; ends with 'N passed, M failed'"
	@echo "make bench   the benchmarks (bench/run.sh); results in BENCHMARKS.md"
	@echo "make build   install and build everything, run nothing"

build: build-server build-python

build-node: $(NODE_STAMP)

build-server: $(SERVER_BUILD)

build-python: $(EXPORTER_WHEEL)

$(NODE_STAMP): .node-version
	scripts/ensure-node.sh >/dev/null

# npm ci wipes node_modules; npm writes node_modules/.package-lock.json on every install, so it is
# the stamp: newer than the lockfile (and than the Node install) means the tree already matches it.
$(NODE_DEPS): server/package-lock.json $(NODE_STAMP)
	cd server && npm ci --no-audit --no-fund
	touch $@

$(SERVER_BUILD): $(SERVER_SOURCES) $(NODE_DEPS)
	cd server && npm run build
	touch $@

$(PY):
	$(PYTHON) -m venv $(VENV)

$(PY_DEPS): scripts/requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r scripts/requirements-dev.txt
	touch $@

# A real wheel install, as users get it (the .pth file only exists in a wheel install). The
# setuptools build folder is removed first: a module deleted from src/ would otherwise linger in it.
$(EXPORTER_WHEEL): $(EXPORTER_SOURCES) $(PY_DEPS)
	rm -rf exporter/build
	$(PY) -m pip install --quiet --no-deps --force-reinstall ./exporter
	touch $@

demo: build
	@PORT=$(PORT) PY=$(PY) scripts/demo.sh

serve: build-server
	@PORT=$(PORT) exec node server/dist/src/main.js

bench: build
	bench/run.sh

# The exporter's lint, format and type checks (settings in exporter/pyproject.toml); every check
# runs even when an earlier one fails, and the target fails if any did.
lint-exporter: $(PY_DEPS)
	@cd exporter && status=0; \
		../$(VENV)/bin/ruff check . || status=1; \
		../$(VENV)/bin/ruff format --check . || status=1; \
		../$(VENV)/bin/mypy || status=1; \
		exit $$status

# The server's lint and format check (biome, settings in server/biome.json: what `biome check
# --write` would change fails here) and the type checks of the server and of the dashboard.
lint-server: $(NODE_DEPS)
	@cd server && status=0; \
		npx --no-install biome ci --colors=off . || status=1; \
		npx --no-install tsc -p tsconfig.json --noEmit || status=1; \
		npx --no-install tsc -p web/tsconfig.json || status=1; \
		exit $$status

lint: lint-server lint-exporter

# Each suite runs through run_suite.py, which never stops make: a red or crashed suite is
# recorded, and summarize_junit.py turns the records into the last line and the exit status.
test:
	@rm -rf $(JUNIT_DIR) && mkdir -p $(JUNIT_DIR)
	@$(SUITE) --kind setup --name setup-server --report $(JUNIT_DIR)/setup-server.xml -- \
		$(MAKE) --no-print-directory build-server
	@$(SUITE) --kind setup --name setup-python --report $(JUNIT_DIR)/setup-python.xml -- \
		$(MAKE) --no-print-directory build-python
	@if [ -x server/scripts/ensure-chromium.sh ]; then \
		$(SUITE) --kind setup --name setup-chromium --report $(JUNIT_DIR)/setup-chromium.xml -- \
			server/scripts/ensure-chromium.sh; fi
	@$(SUITE) --kind setup --name setup-postgres --report $(JUNIT_DIR)/setup-postgres.xml -- \
		server/scripts/ensure-postgres.sh
	@# helm and kubestrict for tests/manifests, built from Go modules once (5-8 min cold, instant after).
	@$(SUITE) --kind setup --name setup-helm --report $(JUNIT_DIR)/setup-helm.xml --timeout 1800 -- \
		scripts/ensure-helm.sh
	@# promtool (Debian's prometheus package) for the alert rules in deploy/prometheus.
	@$(SUITE) --kind setup --name setup-promtool --report $(JUNIT_DIR)/setup-promtool.xml -- \
		scripts/ensure-promtool.sh
	@# The extra wandb/Python venvs are mostly downloads: make them while the server suite
	@# uses the CPU, and show their log once both are done (saves ~4 minutes on a fresh clone).
	@venvs_pid=; \
	if [ -x exporter/tests/setup_venvs.sh ]; then \
		$(SUITE) --kind setup --name setup-exporter-venvs --report $(JUNIT_DIR)/setup-exporter-venvs.xml \
			--timeout 1200 -- exporter/tests/setup_venvs.sh >/dev/null 2>&1 & venvs_pid=$$!; fi; \
	$(SUITE) --name server --report $(JUNIT_DIR)/server.xml --cwd server -- \
		env JUNIT_OUT=$(CURDIR)/$(JUNIT_DIR)/server.xml npm test; \
	if [ -n "$$venvs_pid" ]; then \
		wait $$venvs_pid; echo; echo "==> suite setup-exporter-venvs (ran beside the server suite)"; \
		cat $(JUNIT_DIR)/setup-exporter-venvs.log; fi
	@$(SUITE) --kind fallback --name server-lint --report $(JUNIT_DIR)/server-lint.xml -- \
		$(MAKE) --no-print-directory lint-server
	@$(SUITE) --kind fallback --name exporter-lint --report $(JUNIT_DIR)/exporter-lint.xml -- \
		$(MAKE) --no-print-directory lint-exporter
	@$(SUITE) --name exporter --report $(JUNIT_DIR)/exporter.xml -- \
		$(PY) -m pytest -q -p no:cacheprovider exporter/tests --junitxml=$(JUNIT_DIR)/exporter.xml
	@$(SUITE) --name e2e --report $(JUNIT_DIR)/e2e.xml -- \
		$(PY) -m pytest -q -p no:cacheprovider tests/e2e --junitxml=$(JUNIT_DIR)/e2e.xml
	@$(SUITE) --name manifests --report $(JUNIT_DIR)/manifests.xml -- \
		$(PY) -m pytest -q -p no:cacheprovider tests/manifests --junitxml=$(JUNIT_DIR)/manifests.xml
	@if [ -x bench/smoke.sh ]; then \
		$(SUITE) --kind fallback --name bench-smoke --report $(JUNIT_DIR)/bench-smoke.xml -- \
			env JUNIT_OUT=$(CURDIR)/$(JUNIT_DIR)/bench-smoke.xml bench/smoke.sh; fi
	@$(PYTHON) scripts/summarize_junit.py $(JUNIT_DIR)

# Build outputs and stamps only; node_modules and .venv stay (they are slow to rebuild).
clean:
	rm -rf server/dist exporter/build test-artifacts $(PY_DEPS) $(EXPORTER_WHEEL)
