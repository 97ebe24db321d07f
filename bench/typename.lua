-- `{ __typename }` addressed to no practice (scripts/bench-overhead).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"{ __typename }"}'
