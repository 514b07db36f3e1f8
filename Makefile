# newsroom — quick start: `make run` (set up and serve), `make test` (the whole suite).
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
export DJANGO_SETTINGS_MODULE := newsroom.settings
SAMPLES ?= tests/fixtures/seeds
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install node migrate samples run test test-fast lint audit check bench clean

help:
	@echo "make run     set up a virtualenv, migrate, import the sample articles, serve on http://$(HOST):$(PORT)"
	@echo "make test    run the whole test suite (SQLite by default; DATABASE_URL=postgres://... for PostgreSQL)"
	@echo "make test-fast  the suite without its slow tests (browser, real processes, fault drills)"
	@echo "make lint    ruff, migrations in sync, deploy checks"
	@echo "make audit   Lighthouse and axe-core on the public pages as production serves them (docs/audit.md; about 5 min)"

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Lighthouse and axe-core for `make audit` and the suite's axe test (package.json; the site
# itself has no build step).
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "error: npm not found (apt-get install -y nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

node: node_modules/.installed

migrate: install
	mkdir -p var
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py setup_roles

samples: migrate
	DJANGO_DEBUG=1 $(PY) manage.py import_articles --status published $(SAMPLES) tests/fixtures/finews

run: samples
	@echo
	@echo "  Site:  http://$(HOST):$(PORT)/"
	@echo "  Admin: http://$(HOST):$(PORT)/admin/  (create a login first: $(PY) manage.py createsuperuser)"
	@echo
	DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

test: install node
	mkdir -p var
	DJANGO_DEBUG=1 $(PY) manage.py test tests --noinput -v 2

test-fast: install
	mkdir -p var
	DJANGO_DEBUG=1 $(PY) manage.py test tests --noinput --exclude-tag slow --parallel auto

lint: install
	$(VENV)/bin/ruff check .
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SECRET_KEY=lint-only-$$(date +%s)-a-long-random-enough-secret-key-value DJANGO_ALLOWED_HOSTS=example.com $(PY) manage.py check --deploy --fail-level WARNING

audit: install node
	mkdir -p var
	DJANGO_DEBUG=1 $(PY) manage.py audit_pages

clean:
	rm -rf $(VENV) var staticfiles node_modules
