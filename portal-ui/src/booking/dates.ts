// Calendar arithmetic in the practice's time zone: which local day an instant falls on, the
// practice's today, and the instant a local day ends (for "tell me before this date").

/** The practice's local date (YYYY-MM-DD) of an instant. */
export function localDay(iso: string | Date, timeZone: string): string {
  const d = typeof iso === "string" ? new Date(iso) : iso;
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(d);
}

/** Today in the practice's time zone. */
export function todayIn(timeZone: string): string {
  return localDay(new Date(), timeZone);
}

/** A calendar date moved by whole days. */
export function addDays(ymd: string, days: number): string {
  return new Date(Date.parse(`${ymd}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Whole days from `a` to `b` (calendar dates). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

export function isDate(value: string | null): value is string {
  return value !== null && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
}

/** The offset (ms) of `timeZone` from UTC at `instant`. */
function offsetAt(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour") % 24, get("minute"), get("second"));
  return asUtc - instant;
}

/** The instant local midnight starts `ymd` in `timeZone`, as an ISO string. */
export function startOfDay(ymd: string, timeZone: string): string {
  const guess = Date.parse(`${ymd}T00:00:00Z`);
  let instant = guess - offsetAt(guess, timeZone);
  instant = guess - offsetAt(instant, timeZone);
  return new Date(instant).toISOString();
}

/** The instant the local day `ymd` ends (the next day's midnight). */
export function endOfDay(ymd: string, timeZone: string): string {
  return startOfDay(addDays(ymd, 1), timeZone);
}

/** Midday of a local day, as an instant: formats as that day in `timeZone`. */
export function noonOf(ymd: string, timeZone: string): string {
  return new Date(Date.parse(startOfDay(ymd, timeZone)) + 12 * 3_600_000).toISOString();
}
