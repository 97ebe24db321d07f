// Starts Portico once for all journeys (the console's and the portal's, whose setup is this
// one): a fresh SQLite file, the demo practice, the built console from admin-ui/dist and
// portal from portal-ui/dist, on a free port. What the journeys need (the URL and the demo's
// TOTP secret) goes to a file they read.
import { spawn } from "node:child_process";
import { mkdtempSync, existsSync, openSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { STATE_ENV, type ServerState } from "./server-state";

const repo = resolve(fileURLToPath(new URL("../..", import.meta.url)));

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? ok(address.port) : fail(new Error("no port"))));
    });
  });
}

export default async function globalSetup(): Promise<void> {
  const binary = process.env.PORTICO_BIN ?? join(repo, "target/debug/portico");
  if (!existsSync(binary)) throw new Error(`${binary} is missing: build it with cargo build -p portico-server --bin portico`);
  const dist = join(repo, "admin-ui/dist/index.html");
  if (!existsSync(dist)) throw new Error("admin-ui/dist is missing: run npm run build");
  if (!existsSync(join(repo, "portal-ui/dist/index.html"))) throw new Error("portal-ui/dist is missing: run npm run build");
  const dir = mkdtempSync(join(tmpdir(), "portico-e2e-"));
  const port = await freePort();

  // Billing on, against the local Stripe stand-in (Stripe itself cannot be reached here).
  const standIn = process.env.PORTICO_STRIPE_STAND_IN ?? join(repo, "target/debug/stripe-stand-in");
  if (!existsSync(standIn)) throw new Error(`${standIn} is missing: build it with cargo build -p portico-tests --bin stripe-stand-in`);
  const stripe = spawn(standIn, [], { stdio: ["ignore", "pipe", "inherit"] });
  const stripeBase = await new Promise<string>((ok, fail) => {
    let seen = "";
    stripe.stdout!.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      const m = /STRIPE_API_BASE=(\S+)/.exec(seen);
      if (m) ok(m[1]!);
    });
    stripe.on("exit", (code) => fail(new Error(`the Stripe stand-in exited (${code})`)));
  });
  const config = join(dir, "portico.toml");
  writeFileSync(
    config,
    [
      "[[billing_plans]]",
      'code = "starter"',
      'name = "Starter"',
      'base_price = "price_starter_base"',
      'patient_price = "price_starter_map"',
      "",
      "[[billing_plans]]",
      'code = "practice"',
      'name = "Practice"',
      'base_price = "price_practice_base"',
      'seat_price = "price_practice_seat"',
      "",
    ].join("\n"),
  );
  const log = openSync(join(dir, "server.log"), "w");
  const child = spawn(binary, ["serve", "--demo"], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      PORTICO_DATABASE_URL: `sqlite://${join(dir, "portico.db")}`,
      PORTICO_LISTEN: `127.0.0.1:${port}`,
      PORTICO_PUBLIC_URL: `http://localhost:${port}`,
      PORTICO_CONSOLE_DIR: join(repo, "admin-ui/dist"),
      PORTICO_PORTAL_DIR: join(repo, "portal-ui/dist"),
      PORTICO_SECRETS_KEY_FILE: join(dir, "secrets.key"),
      PORTICO_OUTBOX_DIR: join(dir, "outbox"),
      PORTICO_LOG: "warn",
      PORTICO_CONFIG: config,
      PORTICO_STRIPE_SECRET_KEY: "sk_test_portico",
      PORTICO_STRIPE_WEBHOOK_SECRET: "whsec_portico_test",
      PORTICO_STRIPE_API_BASE: stripeBase,
      // The webhooks journey's receiver listens on plain http on 127.0.0.1.
      PORTICO_WEBHOOKS_ALLOW_LOOPBACK_HTTP: "true",
    },
    stdio: ["ignore", "pipe", log],
  });
  let output = "";
  const ready = new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`Portico did not start:\n${output}`)), 120_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const secret = /TOTP secret ([A-Z2-7]+)/.exec(output);
      if (output.includes("Console logins") && secret) {
        clearTimeout(timer);
        ok(secret[1]!);
      }
    });
    child.on("exit", (code) => fail(new Error(`Portico exited (${code}):\n${output}`)));
  });
  const totpSecret = await ready;
  child.stdout!.removeAllListeners("data");
  child.stdout!.resume();
  const state: ServerState = { pid: child.pid!, stripePid: stripe.pid!, port, totpSecret, dir };
  process.env[STATE_ENV] = JSON.stringify(state);
}
