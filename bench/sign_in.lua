-- The demo patient signs in: argon2id verification, a refresh token and an audit event.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Portico-Tenant"] = "lakeside"
wrk.body = '{"query":"mutation SignIn { signIn(input: { email: \\"avery@lakeside.example\\", password: \\"lakeside demo portal\\" }) { session { accessToken } } }","operationName":"SignIn"}'
