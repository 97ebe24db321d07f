// What global set-up tells the journeys: Playwright hands environment variables set in
// global set-up to every worker.
export const STATE_ENV = "PORTICO_E2E_STATE";

export interface ServerState {
  pid: number;
  stripePid: number;
  port: number;
  totpSecret: string;
  dir: string;
}

export function serverState(): ServerState {
  const raw = process.env[STATE_ENV];
  if (!raw) throw new Error("global set-up did not run");
  return JSON.parse(raw) as ServerState;
}
