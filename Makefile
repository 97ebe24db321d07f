# Portico: `make run` starts it with a demo practice; `make test` runs every check and test.

CARGO ?= cargo
# Both set: the black-box suite runs a second time on PostgreSQL + Redis.
PG_URL := $(PORTICO_TEST_DATABASE_URL)
REDIS_URL := $(PORTICO_TEST_REDIS_URL)

.PHONY: run build test fmt fmt-check lint arch-check test-deps test-sqlite test-postgres schema bench bench-scale bench-reminders bench-ehr clean

run:
	$(CARGO) run --locked -p portico-server --bin portico -- serve --demo

build:
	$(CARGO) build --locked --workspace

test: fmt-check lint arch-check test-deps test-sqlite test-postgres

# The FHIR server the EHR tests run against (Medplum's router behind a small Node wrapper),
# installed once from its lock file.
test-deps: tests/fhir-server/node_modules/.package-lock.json

tests/fhir-server/node_modules/.package-lock.json: tests/fhir-server/package-lock.json
	npm ci --prefix tests/fhir-server --no-audit --no-fund --loglevel=error

fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all --check

lint:
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

# Dependency direction and tenancy rules the compiler cannot see.
arch-check:
	scripts/arch-check

test-sqlite:
	env -u PORTICO_TEST_DATABASE_URL -u PORTICO_TEST_REDIS_URL $(CARGO) test --locked --workspace

test-postgres:
ifneq ($(and $(PG_URL),$(REDIS_URL)),)
	$(CARGO) test --locked -p portico-tests
else
	@echo "PostgreSQL + Redis suite skipped: set PORTICO_TEST_DATABASE_URL and PORTICO_TEST_REDIS_URL to run it"
endif

# Regenerates schema/schema.graphql from the code.
schema:
	$(CARGO) run --locked -q -p portico-server --bin portico -- export-schema --output schema/schema.graphql

# Throughput and latency on the embedded profile (needs wrk); figures in the closing notes.
bench:
	scripts/bench

# Many practices on PostgreSQL + Redis: dashboard and slot search under load (figures in the
# closing notes). `scripts/bench-scale [practices] [patients] [seconds] [clients]`.
bench-scale:
	scripts/bench-scale

# Reminders per second through the Redis queue, end to end, on PostgreSQL + Redis (figures
# in the README). `scripts/bench-reminders [reminders] [practices]`.
bench-reminders:
	scripts/bench-reminders

# EHR ingest: a full sync of ~10,000 FHIR resources, next to serde_json parsing them alone.
bench-ehr:
	scripts/bench-ehr

clean:
	$(CARGO) clean
