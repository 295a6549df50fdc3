# ipt-network: two commands do everything.
#   make demo   set up and start the dashboard on the shipped sample clients
#   make test   set up (including the browser for the page tests) and run every check
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test setup browser postgres sqlite3 lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/ipt-network demo

browser:
	@if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then \
		echo "Installing Debian's chromium and chromium-driver for the page tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

# Debian's PostgreSQL server binaries for the store tests, which start a throwaway server in a
# temporary folder (tests/_postgres.py); nothing is started or enabled here.
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "Installing Debian's postgresql for the store tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi

# SQLite's own command-line program, with which the audit tests tamper with a store as an
# attacker holding the file would (tests/test_audit.py).
sqlite3:
	@if ! command -v sqlite3 >/dev/null 2>&1; then \
		echo "Installing Debian's sqlite3 for the audit tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 >/dev/null; \
	fi

# axe-core, the accessibility checker the page tests inject, from the npm registry into a
# git-ignored folder (to change the version, edit it here and delete .cache/axe).
AXE_JS := .cache/axe/node_modules/axe-core/axe.min.js
.PHONY: axe
axe: $(AXE_JS)
$(AXE_JS):
	npm install --silent --no-audit --no-fund --prefix .cache/axe axe-core@4.14.1

lint: setup
	$(BIN)/ruff check ipt_network dashboards tests benchmarks
	$(BIN)/ruff format --check ipt_network dashboards tests benchmarks

typecheck: setup
	$(BIN)/mypy

pytest: setup browser postgres sqlite3 axe
	$(BIN)/pytest --headless

test: lint typecheck pytest

bench: setup browser
	$(BIN)/python benchmarks/cohort.py
	$(BIN)/python benchmarks/dashboard.py
	$(BIN)/python benchmarks/slider.py
	$(BIN)/python benchmarks/store.py
	$(BIN)/python benchmarks/problem_areas.py
	$(BIN)/python benchmarks/cohort_page.py
	$(BIN)/python benchmarks/dask_cluster.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
