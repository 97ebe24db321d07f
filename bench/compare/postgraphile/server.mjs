// PostGraphile 5 over Portico's bench database, for scripts/bench-compare.
//
// Connects as the row-level-security role Portico serves as (DATABASE_URL, e.g.
// postgres://portico_app@127.0.0.1:5432/portico_bench) and, like Portico, scopes every
// request to one practice: each request carries a bearer token (HS256, signed with
// JWT_SECRET by `portico-bench load --target postgraphile`) whose `tenant` claim must match
// the X-Portico-Tenant header; the context callback verifies both and hands PostGraphile
// `pgSettings: { "app.tenant_id": tenant }`, which it sets with set_config(..., true) in the
// transaction of each request, where the policies of migrations/src/postgres.rs read it.
// A request without a valid token, or for another practice, gets an error and no data.
//
// Schema: the amber preset, simplified inflection, and the connection-filter plugin (for
// `status <> 'entered-in-error'`, `effectiveAt > $since` and `startsAt > $now`); no smart
// tags and no SQL functions of its own. Relations come from Portico's foreign keys. The
// amber preset offers conditions and ordering only on indexed columns; that check is off
// (PgIndexBehaviorsPlugin disabled, as PostGraphile's V4 preset does by default), since
// Portico's queries filter on `status`, which its indexes do not cover.
//
// Env: DATABASE_URL, JWT_SECRET, PORT (default 18283), POOL (connections, default 32),
// WORKERS (node processes sharing the port, default 1).
import cluster from "node:cluster";
import { createServer } from "node:http";

import { PgSimplifyInflectionPreset } from "@graphile/simplify-inflection";
import jwt from "jsonwebtoken";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

const databaseUrl = process.env.DATABASE_URL;
const secret = process.env.JWT_SECRET;
if (!databaseUrl || !secret) {
  console.error("server.mjs needs DATABASE_URL and JWT_SECRET");
  process.exit(2);
}
const port = Number(process.env.PORT ?? 18283);
const workers = Number(process.env.WORKERS ?? 1);
const pool = Number(process.env.POOL ?? 32);

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on("exit", (_worker, code) => process.exit(code ?? 1));
} else {
  await serve();
}

async function serve() {
  const preset = {
    extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset, PostGraphileConnectionFilterPreset],
    disablePlugins: ["PgIndexBehaviorsPlugin"],
    pgServices: [
      makePgService({
        connectionString: databaseUrl,
        schemas: ["public"],
        // The cluster's connections are split between the processes.
        poolConfig: { max: Math.max(1, Math.floor(pool / workers)) },
      }),
    ],
    grafserv: { port, graphqlPath: "/graphql", graphiql: false, watch: false },
    grafast: {
      explain: false,
      context(requestContext) {
        const req = requestContext.node?.req;
        const header = req?.headers["x-portico-tenant"];
        const auth = req?.headers.authorization ?? "";
        if (!header || !auth.startsWith("Bearer ")) {
          throw new Error("a bearer token and X-Portico-Tenant are required");
        }
        const claims = jwt.verify(auth.slice(7), secret, { algorithms: ["HS256"] });
        if (typeof claims.tenant !== "string" || claims.tenant !== header) {
          throw new Error("the token is not for this practice");
        }
        return { pgSettings: { "app.tenant_id": claims.tenant } };
      },
    },
    schema: {
      connectionFilterAllowedOperators: ["equalTo", "notEqualTo", "greaterThan", "lessThan"],
    },
  };

  const pgl = postgraphile(preset);
  const serv = pgl.createServ(grafserv);
  const server = createServer();
  server.on("error", (e) => {
    console.error(e);
    process.exit(1);
  });
  serv.addTo(server).catch((e) => {
    console.error(e);
    process.exit(1);
  });
  // Answer once the schema is built, so the caller can wait for the port.
  await pgl.getSchema();
  server.listen(port, "127.0.0.1");
}
