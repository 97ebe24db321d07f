# Shared by scripts/bench-scale and scripts/bench-compare (sourced from the repository's
# root): the defaults, the release build, a fresh seeded `portico_bench`, and Portico
# serving it as the row-level-security role.
# Env: PORTICO_BENCH_PG (owner, default postgres://postgres@127.0.0.1:5432),
#      PORTICO_BENCH_APP_PG (default postgres://portico_app@127.0.0.1:5432),
#      PORTICO_BENCH_REDIS (default redis://127.0.0.1:6379),
#      PORTICO_BENCH_POOL (Portico's database connections, default 32),
#      PORTICO_BENCH_PG_LINK (appended to the serving URL, default `?sslmode=disable`:
#      every client, Portico, PostGraphile and pgbench, talks to PostgreSQL over loopback
#      without TLS, so none pays for encryption the others skip; node-postgres never asks
#      for TLS by itself, while libpq and sqlx take it when the server offers it).
owner=${PORTICO_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
app=${PORTICO_BENCH_APP_PG:-postgres://portico_app@127.0.0.1:5432}
redis=${PORTICO_BENCH_REDIS:-redis://127.0.0.1:6379}
db=portico_bench
link=${PORTICO_BENCH_PG_LINK-?sslmode=disable}
bin=${CARGO_TARGET_DIR:-$PWD/target}/release
export PORTICO_REDIS_URL=$redis PORTICO_REDIS_PREFIX=portico-bench PORTICO_LOG=warn

bench_build() {
  cargo build --release --locked -q -p portico-server -p portico-bench --bins
}

# bench_seed PRACTICES PATIENTS: drops and recreates $db, migrates it and seeds it.
bench_seed() {
  psql "$owner/postgres" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  PORTICO_DATABASE_URL="$owner/$db" "$bin/portico" migrate >/dev/null
  "$bin/portico-bench" seed --database-url "$owner/$db" --tenants "$1" --patients "$2"
}

# bench_wait URL [any]: until URL answers 2xx (with `any`: answers at all), at most 60 s.
bench_wait() {
  local code
  for _ in $(seq 1 600); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$1" 2>/dev/null || true)
    case "${2:-}:$code" in
      any:000) ;;
      any:*|*:2??) return 0 ;;
    esac
    sleep 0.1
  done
  echo "nothing answered at $1" >&2
  return 1
}

# bench_serve PORT: starts Portico on $db as the row-level-security role, workers off, in
# the background (its pid in $server) and waits until it is ready.
bench_serve() {
  PORTICO_DATABASE_URL="$app/$db$link" PORTICO_MIGRATION_DATABASE_URL="$owner/$db" \
    PORTICO_LISTEN=127.0.0.1:$1 PORTICO_DATABASE_MAX_CONNECTIONS=${PORTICO_BENCH_POOL:-32} \
    "$bin/portico" serve --no-workers --no-migrate >/dev/null &
  server=$!
  bench_wait "http://127.0.0.1:$1/readyz"
}

# bench_stop [PID]: stops a server started here, if it still runs.
bench_stop() {
  [ -n "${1:-}" ] || return 0
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
