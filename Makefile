# annotation-qc: `make run` sets up and serves the demo; `make test` sets up and runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOCK := requirements/dev.lock
UV_COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --generate-hashes --universal --python-version 3.11 \
	--custom-compile-command "make lock" --quiet $(if $(UPGRADE),--upgrade)
UI_STAMP := frontend/node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/annotation_qc_make
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
CHROMIUM ?= /usr/bin/chromium

.PHONY: setup lock lock-check run serve build-ui migrate demo test lint typecheck migrations-check test-python test-services \
        test-ui test-browser browser bench clean

setup: $(STAMP) $(UI_STAMP)

# Python packages come from the lock, every one checked against its hash; then the project itself.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Re-resolve pyproject.toml into the locks after changing its dependencies (versions already locked are
# kept where they still fit; `make lock UPGRADE=1` takes the newest allowed). Commit requirements/*.lock.
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	test -x $(VENV)/bin/uv || $(PY) -m pip install --quiet 'uv>=0.13,<0.14'
	$(UV_COMPILE) --extra dev -o requirements/dev.lock
	cp requirements/dev.lock requirements/base.lock  # the dev pins as preferences: the same versions
	$(UV_COMPILE) -o requirements/base.lock
	$(PY) requirements/lock.py stamp

# CI: the locks must match pyproject.toml (the message says to run `make lock`).
lock-check: $(STAMP)
	$(PY) requirements/lock.py check

$(UI_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $(UI_STAMP)

build-ui: $(UI_STAMP)
	cd frontend && npm run build

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput -v0

demo: migrate
	$(PY) manage.py load_demo

# The embedded default: SQLite, and a Celery worker (with beat) on a broker kept in files, no Redis needed.
run: setup build-ui demo
	@mkdir -p .celery/queue .celery/processed .celery/results .celery/control
	@echo "Serving on http://$(HOST):$(PORT)  (API docs: http://$(HOST):$(PORT)/api/docs/)"
	CELERY_BROKER_URL=filesystem:// CELERY_TASK_ALWAYS_EAGER=0 $(VENV)/bin/celery -A config worker --beat \
	    --loglevel=WARNING --concurrency=1 --schedule=.celery/beat-schedule & \
	  worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	  CELERY_BROKER_URL=filesystem:// CELERY_TASK_ALWAYS_EAGER=0 $(PY) manage.py runserver $(HOST):$(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@if command -v docker-compose >/dev/null; then DJANGO_SECRET_KEY=check docker-compose config -q && \
	  echo "docker-compose.yml: valid"; else echo "docker-compose not installed: compose file not validated"; fi

typecheck: $(STAMP)
	$(VENV)/bin/mypy annotation_qc config client/src

migrations-check: $(STAMP)
	$(PY) manage.py makemigrations --check --dry-run

# Unit and API tests on the embedded default (SQLite).
# Two processes (pytest-xdist): each has its own in-memory SQLite database and media folder.
test-python: $(STAMP)
	$(VENV)/bin/pytest -n 2 -m "not postgres and not redis and not browser" -q

# Everything that touches the database again on PostgreSQL, plus the PostgreSQL- and Redis-only tests.
test-services: $(STAMP)
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  $(VENV)/bin/pytest -n 2 --dist worksteal -m "not browser" -q --ignore=tests/domain

test-ui: $(UI_STAMP)
	cd frontend && npm test
	cd frontend && npm run build

browser:
	@test -x $(CHROMIUM) || { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium not found at $(CHROMIUM): install Debian's chromium package (browser tests will skip)"; fi; }

# Exit status 5 is pytest's "no tests collected" (no browser tests in this checkout).
test-browser: $(STAMP) browser test-ui
	$(VENV)/bin/pytest -m browser -q; status=$$?; [ $$status -eq 0 ] || [ $$status -eq 5 ]

test: setup lock-check lint typecheck migrations-check test-python test-services test-browser

bench: $(STAMP)
	@echo "See bench/README.md for each benchmark's command."

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist staticfiles .pytest_cache .mypy_cache .ruff_cache .celery
