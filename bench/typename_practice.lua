-- `{ __typename }` addressed to a practice by header (scripts/bench-overhead), the practice
-- from PORTICO_BENCH_SLUG.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Portico-Tenant"] = os.getenv("PORTICO_BENCH_SLUG") or "lakeside"
wrk.body = '{"query":"{ __typename }"}'
