-- The cheapest route: the HTTP stack alone (request id, trace span, metrics, compression).
wrk.method = "GET"
