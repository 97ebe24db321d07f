// Dates and times in the practice's time zone, through Intl, with the zone named when it is
// not the browser's.
export function formatDateTime(iso: string, timeZone: string): string {
  const text = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone }).format(new Date(iso));
  return sameZone(timeZone) ? text : `${text} (${timeZone})`;
}

export function formatDate(isoDate: string): string {
  // A calendar date (birth date, day of a chart point) has no time zone: read it as UTC.
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" }).format(new Date(`${isoDate.slice(0, 10)}T00:00:00Z`));
}

export function formatRelative(iso: string): string {
  const minutes = Math.round((new Date(iso).getTime() - Date.now()) / 60_000);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  if (Math.abs(minutes) < 60) return rtf.format(minutes, "minute");
  const hours = Math.round(minutes / 60);
  if (Math.abs(hours) < 48) return rtf.format(hours, "hour");
  return rtf.format(Math.round(hours / 24), "day");
}

export function sameZone(timeZone: string): boolean {
  return Intl.DateTimeFormat().resolvedOptions().timeZone === timeZone;
}

/** The UTC instants a calendar day spans in a time zone (DST days are 23 or 25 hours). */
export function zonedDayRange(isoDate: string, timeZone: string): { from: string; to: string } {
  const start = zonedMidnight(isoDate, timeZone);
  const next = new Date(Date.parse(`${isoDate}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  return { from: new Date(start).toISOString(), to: new Date(zonedMidnight(next, timeZone)).toISOString() };
}

function zonedMidnight(isoDate: string, timeZone: string): number {
  return Date.parse(zonedInstant(isoDate, "00:00", timeZone));
}

/** The instant a local date and time (`YYYY-MM-DD`, `HH:MM`) names in a time zone. */
export function zonedInstant(date: string, time: string, timeZone: string): string {
  const guess = Date.parse(`${date}T${time}:00Z`);
  // Twice: the offset at the guess may differ from the offset at the answer across a change.
  let at = guess - offsetMs(guess, timeZone);
  at = guess - offsetMs(at, timeZone);
  return new Date(at).toISOString();
}

function offsetMs(instant: number, timeZone: string): number {
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
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const local = Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second"));
  return local - Math.floor(instant / 1000) * 1000;
}

/** Today's date in the practice's time zone, as YYYY-MM-DD. */
export function todayIn(timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

export function formatTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat(undefined, { timeStyle: "short", timeZone }).format(new Date(iso));
}
