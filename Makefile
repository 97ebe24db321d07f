# Portico: `make run` starts it with a demo practice; `make test` runs every check and test.

CARGO ?= cargo
# Both set: the black-box suite runs a second time on PostgreSQL + Redis.
PG_URL := $(PORTICO_TEST_DATABASE_URL)
REDIS_URL := $(PORTICO_TEST_REDIS_URL)

.PHONY: run build ui bench-portal test fmt fmt-check lint arch-check deps-check infra-check schema-compat schema-publish test-deps test-sqlite test-postgres test-ui test-cluster test-cluster-if-configured schema bench bench-scale bench-compare bench-reminders bench-practices bench-memory bench-overhead bench-ehr bench-export clean

run: ui
	$(CARGO) run --locked -p portico-server --bin portico -- serve --demo

# The web apps (npm workspace: packages/client, admin-ui, portal-ui), rebuilt only when their
# sources, the lock file or the GraphQL schema changed. A release build of the binary embeds
# admin-ui/dist and portal-ui/dist, so build the UI first (`make ui`, then
# `cargo build --release`).
UI_SOURCES := $(shell find admin-ui/src admin-ui/scripts admin-ui/public portal-ui/src portal-ui/scripts portal-ui/public packages/client/src -type f -not -path '*/gql/*' 2>/dev/null) \
	admin-ui/index.html admin-ui/vite.config.ts admin-ui/tsconfig.json packages/client/tsconfig.json \
	portal-ui/index.html portal-ui/vite.config.ts portal-ui/tsconfig.json \
	codegen.ts schema/schema.graphql package-lock.json

ui: admin-ui/dist/index.html

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

admin-ui/dist/index.html: node_modules/.package-lock.json $(UI_SOURCES)
	npm run build
	touch admin-ui/dist/index.html

build:
	$(CARGO) build --locked --workspace

test: fmt-check lint arch-check deps-check infra-check schema-compat test-deps test-sqlite test-postgres test-ui test-cluster-if-configured

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

# No crate declares a dependency it does not use (cargo-machete, installed on first use).
# async-stripe's crates are used under other library names: each Cargo.toml lists them.
deps-check:
	@command -v cargo-machete >/dev/null 2>&1 || $(CARGO) install --locked --quiet cargo-machete --version 0.9.2
	cargo machete

# The deployment files: infra/Dockerfile (hadolint), infra/compose.yaml (the Compose
# specification's schema and its references) and infra/k8s (rendered like kustomize and
# validated against Kubernetes 1.33's schemas, strict). Needs no Docker engine or cluster;
# the tools (infra/requirements.txt) are installed into target/infra-tools on first use.
infra-check:
	scripts/infra-check

# The GraphQL API against schema/published.graphql, the schema clients build against (GraphQL
# Inspector): a breaking change fails unless schema/deliberate-breaks.txt lists it, and every
# @deprecated must give a reason. Then the self-test proves the check still fails when it should.
# See "Schema stability" in docs/api.md.
schema-compat: node_modules/.package-lock.json
	scripts/schema-compat
	scripts/schema-compat --self-test

# After a release: the check, then schema/schema.graphql becomes schema/published.graphql and
# schema/deliberate-breaks.txt is emptied (its header kept).
schema-publish: node_modules/.package-lock.json
	scripts/schema-compat --publish

test-sqlite:
	env -u PORTICO_TEST_DATABASE_URL -u PORTICO_TEST_REDIS_URL $(CARGO) test --locked --workspace

test-postgres:
ifneq ($(and $(PG_URL),$(REDIS_URL)),)
	$(CARGO) test --locked -p portico-tests
else
	@echo "PostgreSQL + Redis suite skipped: set PORTICO_TEST_DATABASE_URL and PORTICO_TEST_REDIS_URL to run it"
endif

# The production topology under faults (tests/it/cluster/mod.rs): its own PostgreSQL and
# Redis, two API replicas and two workers behind HAProxy, a real SMTP server; one replica and
# one worker killed, Redis and PostgreSQL restarted, under load; prints its figures. Installs
# HAProxy (and PostgreSQL's server, Redis, aiosmtpd) when missing. `make test` runs it where
# PostgreSQL + Redis are configured for the suite (as in CI).
test-cluster: test-deps
	scripts/test-cluster

test-cluster-if-configured: test-deps
ifneq ($(and $(PG_URL),$(REDIS_URL)),)
	scripts/test-cluster
else
	@echo "cluster run skipped: set PORTICO_TEST_DATABASE_URL and PORTICO_TEST_REDIS_URL, or run make test-cluster"
endif

# The console's and the portal's journeys in headless Chromium (Debian's `chromium`; nothing
# is downloaded) against a real `portico serve --demo` on SQLite with billing on against the
# local Stripe stand-in (tests/bin/stripe_stand_in.rs), with axe-core on every page.
# Screenshots land in admin-ui/test-results/screenshots/ and portal-ui/test-results/screenshots/.
test-ui: ui
	$(CARGO) build --locked -p portico-server --bin portico -p portico-tests --bin stripe-stand-in
	npx tsc -p admin-ui/tsconfig.e2e.json
	npx tsc -p portal-ui/tsconfig.e2e.json
	npm run test:e2e

# How soon a signed-in patient sees the portal's home page: 20 loads in headless Chromium on
# the embedded profile, timed with Navigation and User Timing (median; target within 1 s).
bench-portal: ui
	$(CARGO) build --locked -p portico-server --bin portico -p portico-tests --bin stripe-stand-in
	cd portal-ui && npx playwright test -c playwright.bench.config.ts

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

# Portico's dashboard next to PostGraphile 5 (from bench/compare/postgraphile's lock file) and
# pgbench replaying the SQL Portico ran for one request, on the same database (docs/benchmarks.md).
# `scripts/bench-compare [practices] [patients] [seconds] [clients]`.
bench-compare:
	scripts/bench-compare

# One practice's dashboard load against the same load over 1,000 practices, and p50 over
# 10,000 practices against 10 (PostgreSQL + Redis). `scripts/bench-practices [seconds] [clients]`.
bench-practices:
	scripts/bench-practices

# Resident memory: PostgreSQL profile after 1,000 sign-ins and 60 s of dashboard load, and
# the embedded profile idle. `scripts/bench-memory [seconds]`.
bench-memory:
	scripts/bench-memory

# `{ __typename }` with a practice against without one, on the embedded profile and on
# PostgreSQL + Redis (needs wrk). `scripts/bench-overhead [seconds] [connections]`.
bench-overhead:
	scripts/bench-overhead

# Reminders per second through the Redis queue, end to end, on PostgreSQL + Redis (figures
# in docs/benchmarks.md). `scripts/bench-reminders [reminders] [practices]`.
bench-reminders:
	scripts/bench-reminders

# EHR ingest: a full sync of ~10,000 FHIR resources, next to serde_json parsing them alone.
bench-ehr:
	scripts/bench-ehr

# Bulk Data export of the practice the EHR benchmark fills (600 patients, about 10,000
# resources), on SQLite; `scripts/bench-ehr 600 postgres://postgres@127.0.0.1:5432 --export`
# for PostgreSQL.
bench-export:
	scripts/bench-ehr 600 "" --export

clean:
	$(CARGO) clean
