// What the practice set-up pages share: one change per submit, the API's field problems in
// the words of these pages, weekdays, and local times in the practice's time zone.
import { useCallback, useRef, useState } from "react";
import { fieldProblems, type FieldProblem } from "@portico/client";
import "./practice.css";

/**
 * Runs one submit at a time: a double click (or Enter pressed twice) makes one change. The
 * ref closes the gap before React re-renders the disabled button.
 */
export function useOnce(): [pending: boolean, run: (work: () => Promise<void>) => Promise<void>] {
  const busy = useRef(false);
  const [pending, setPending] = useState(false);
  const run = useCallback(async (work: () => Promise<void>) => {
    if (busy.current) return;
    busy.current = true;
    setPending(true);
    try {
      await work();
    } finally {
      busy.current = false;
      setPending(false);
    }
  }, []);
  return [pending, run];
}

/** `userErrors` by field; a code these pages know better (per field or for any) wins. */
export function problemsFrom(errors: readonly FieldProblem[], sentences: Record<string, string> = {}): Record<string, string> {
  const base = fieldProblems(errors);
  for (const e of errors) {
    const field = e.field || "_";
    const better = sentences[`${field}:${e.code}`] ?? sentences[e.code];
    if (better) base[field] = better;
  }
  return base;
}

/** ISO weekdays, Monday first, named in the browser's language. */
export const WEEKDAYS: { iso: number; name: string }[] = [1, 2, 3, 4, 5, 6, 7].map((iso) => ({
  iso,
  // 5 January 1970 was a Monday.
  name: new Intl.DateTimeFormat(undefined, { weekday: "long", timeZone: "UTC" }).format(new Date(Date.UTC(1970, 0, 4 + iso))),
}));

// Local dates and times in the practice's zone are computed in one place.
export { zonedInstant } from "../components/format";

/** A whole number typed in a field, or null when it is not one. */
export function wholeNumber(text: string): number | null {
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : null;
}
