-- One public GraphQL query, addressed to the demo practice by header.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Portico-Tenant"] = "lakeside"
wrk.body = '{"query":"query PortalBranding { tenantBranding { slug displayName primaryColor timeZone } }","operationName":"PortalBranding"}'
