// What the record pages share: the way back to the record's index, the check that a caregiver's
// grant lets them see this, the loading and error states of a query, "show more" paging,
// and whether the patient asked for less motion.
import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { Link } from "react-router";
import type { CombinedError } from "@portico/client";
import { allows, usePortal, type Scope } from "../app/portal";
import { useProblem } from "../app/problem";
import { useT } from "../i18n/I18n";
import { ErrorState, LoadingState } from "../components/PageState";
import "./records.css";

/** "Your records" above the page's heading, back to the index. */
export function BackToRecords({ to = "/records", label }: { to?: string; label?: string }) {
  const t = useT();
  return (
    <p className="records-back no-print">
      <Link to={to}>
        <span aria-hidden="true" className="back-arrow">←</span>
        {label ?? t("records.back")}
      </Link>
    </p>
  );
}

/**
 * The page's content, only when the chart's grant allows one of `scopes` (a patient's own
 * chart allows everything); otherwise a sentence saying whom to ask.
 */
export function Allowed({ scopes, title, children, refusal }: { scopes: Scope[]; title: string; children: ReactNode; refusal?: string }) {
  const { chart } = usePortal();
  const t = useT();
  if (scopes.some((s) => allows(chart, s))) return <>{children}</>;
  return (
    <>
      <h1>{title}</h1>
      <p>{refusal ?? t("records.notAllowed", { name: chart.patient.givenName })}</p>
      <p>
        <Link to="/">{t("records.backHome")}</Link>
      </p>
    </>
  );
}

/** Loading (a skeleton) or failed (a sentence and a retry) while a query has no data. */
export function Waiting({ error, retry, label, lines = 4 }: { error?: CombinedError; retry: () => void; label: string; lines?: number }) {
  const describe = useProblem();
  return error ? <ErrorState problem={describe(error)} retry={retry} /> : <LoadingState label={label} lines={lines} />;
}

/** The cursors of the pages shown so far: `[null]` first, one more per "show more". */
export function usePages(): [Array<string | null>, (cursor: string) => void] {
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const more = useCallback((cursor: string) => setCursors((c) => (c.includes(cursor) ? c : [...c, cursor])), []);
  return [cursors, more];
}

/** A later page's first item takes focus when it arrives, so keyboards carry on from there. */
export function useFocusFirst<T extends HTMLElement>(active: boolean, ready: boolean) {
  const ref = useRef<T>(null);
  const done = useRef(false);
  useEffect(() => {
    if (active && ready && !done.current) {
      done.current = true;
      ref.current?.focus();
    }
  }, [active, ready]);
  return ref;
}

/** The "show more" button under a list whose connection has more. */
export function ShowMore({ label, onClick }: { label: string; onClick: () => void }) {
  return (
    <p className="records-more no-print">
      <button type="button" className="button secondary" onClick={onClick}>
        {label}
      </button>
    </p>
  );
}

/** Whether the patient asked their device for less motion. */
export function useReducedMotion(): boolean {
  const query = "(prefers-reduced-motion: reduce)";
  const [reduced, setReduced] = useState(() => typeof window.matchMedia === "function" && window.matchMedia(query).matches);
  useEffect(() => {
    if (typeof window.matchMedia !== "function") return;
    const list = window.matchMedia(query);
    const change = () => setReduced(list.matches);
    list.addEventListener("change", change);
    return () => list.removeEventListener("change", change);
  }, []);
  return reduced;
}

/** Today's date in the practice's time zone, as YYYY-MM-DD. */
export function todayIn(timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}
