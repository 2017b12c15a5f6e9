# The whole service and every check, on a fresh machine with only Python 3.11+.
#   make run    web + worker + beat (SQLite and an embedded broker unless DATABASE_URL /
#               CELERY_BROKER_URL are set)
#   make test   lint, types, import layers, unit and integration tests (SQLite, and
#               PostgreSQL / Redis / RabbitMQ where they answer)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
TEST_RABBITMQ_URL ?= amqp://guest:guest@127.0.0.1:5672//
export TEST_REDIS_URL TEST_RABBITMQ_URL
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install check lint types layers test test-unit test-sqlite test-postgres run format

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: install
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/ruff format --check src tests scripts bench

types: install
	$(BIN)/mypy src

layers: install
	$(BIN)/lint-imports --config importlinter.ini

check: lint types layers

test-unit: install
	$(BIN)/pytest tests/unit -q

# Unit and integration tests on the embedded defaults (SQLite, in-process broker).
test-sqlite: install
	env -u DATABASE_URL -u CELERY_BROKER_URL DEBUG=1 \
		$(BIN)/pytest tests -q

# The integration tests again on PostgreSQL; skipped with a reason where none answers,
# an error in CI.
test-postgres: install
	@if $(BIN)/python scripts/reachable.py "$(TEST_POSTGRES_URL)"; then \
		DATABASE_URL="$(TEST_POSTGRES_URL)" DEBUG=1 \
			$(BIN)/pytest tests/integration -q; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL does not answer at $(TEST_POSTGRES_URL), and CI requires it" >&2; exit 1; \
	else \
		echo "SKIPPED the PostgreSQL run: nothing answers at $(TEST_POSTGRES_URL)" \
			"(start PostgreSQL or set TEST_POSTGRES_URL)"; \
	fi

test: check test-sqlite test-postgres

# Web, worker and beat in one terminal; Ctrl-C stops all three (scripts/run.py).
run: install
	$(BIN)/python scripts/run.py

format: install
	$(BIN)/ruff check --fix src tests scripts
	$(BIN)/ruff format src tests scripts
