import { serverState } from "./server-state";

export default async function globalTeardown(): Promise<void> {
  const { pid } = serverState();
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    // Already gone: nothing to stop.
  }
}
