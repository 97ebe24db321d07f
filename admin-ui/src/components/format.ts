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

function sameZone(timeZone: string): boolean {
  return Intl.DateTimeFormat().resolvedOptions().timeZone === timeZone;
}
