// Helpers for the practice set-up journey: TOTP codes for a secret read off the enrolment
// page (each 30-second step works once per account), and dates in a practice's time zone.
import { TOTP, Secret } from "otpauth";

const lastStep = new Map<string, number>();

/** A code for `secret` the server has not seen from this account yet. */
export async function codeFor(secret: string): Promise<string> {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: "SHA1" });
  let step = Math.floor(Date.now() / 30_000);
  if (lastStep.get(secret) === step) {
    await new Promise((r) => setTimeout(r, (step + 1) * 30_000 - Date.now() + 250));
    step += 1;
  }
  lastStep.set(secret, step);
  return totp.generate({ timestamp: step * 30_000 + 1_000 });
}

/** Today's date in a time zone, as YYYY-MM-DD, and a date some days later. */
export function dayIn(timeZone: string, plusDays = 0): string {
  const today = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
  return new Date(Date.parse(`${today}T00:00:00Z`) + plusDays * 86_400_000).toISOString().slice(0, 10);
}

/** A web address no earlier run has taken. */
export function uniqueSlug(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}`;
}
