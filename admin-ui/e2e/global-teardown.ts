import { rmSync } from "node:fs";
import { serverState } from "./server-state";

export default async function globalTeardown(): Promise<void> {
  // Nothing to stop when set-up failed before starting the server.
  if (!process.env.PORTICO_E2E_STATE) return;
  const { pid, stripePid, dir } = serverState();
  for (const process_ of [pid, stripePid]) {
    try {
      process.kill(process_, "SIGTERM");
    } catch {
      // Already gone: nothing to stop.
    }
  }
  // The database, secrets key and outbox of this run only.
  await new Promise((r) => setTimeout(r, 500));
  rmSync(dir, { recursive: true, force: true });
}
