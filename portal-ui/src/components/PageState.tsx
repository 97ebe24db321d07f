// The four states every page designs on purpose (UI.md): loading (a skeleton), empty (what to
// do next), error (a sentence, a retry, the request id small) and content; plus the error
// summary and labelled field every form uses.
import { useEffect, useRef, type ReactNode } from "react";
import { useT } from "../i18n/I18n";
import type { PortalProblem } from "../app/problem";

export function LoadingState({ label, lines = 3 }: { label?: string; lines?: number }) {
  const t = useT();
  return (
    <div className="skeleton" role="status" aria-live="polite">
      <span className="visually-hidden">{label ?? t("app.loading")}</span>
      {Array.from({ length: lines }, (_, i) => (
        <div key={i} className="skeleton-line" aria-hidden="true" />
      ))}
    </div>
  );
}

export function EmptyState({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function ErrorState({ problem, retry }: { problem: PortalProblem; retry?: () => void }) {
  const t = useT();
  return (
    <div className="error-state" role="alert">
      <p>{problem.sentence}</p>
      {retry && (
        <button type="button" className="button secondary" onClick={retry}>
          {t("app.retry")}
        </button>
      )}
      {problem.requestId && <p className="request-id">{t("app.requestId", { id: problem.requestId })}</p>}
    </div>
  );
}

/** At the top of a form: what is wrong, each linking to its field; focused when it appears. */
export function ErrorSummary({ problems }: { problems: { field?: string; sentence: string }[] }) {
  const t = useT();
  const box = useRef<HTMLDivElement>(null);
  const shown = problems.length > 0;
  // Focus moves here when the summary appears or names other fields, not when the same
  // problems are re-rendered (a language switch must leave focus on the language select).
  const fields = problems.map((p) => p.field ?? "").join("|");
  useEffect(() => {
    if (shown) box.current?.focus();
  }, [shown, fields]);
  if (!shown) return null;
  return (
    <div className="error-summary" role="alert" tabIndex={-1} ref={box} aria-labelledby="error-summary-title">
      <h2 id="error-summary-title">{t("app.problemSummary")}</h2>
      <ul>
        {problems.map((p, i) => (
          <li key={i}>{p.field ? <a href={`#${p.field}`}>{p.sentence}</a> : p.sentence}</li>
        ))}
      </ul>
    </div>
  );
}

/** A labelled control with its hint and error, wired with `aria-describedby`. */
export function Field({
  id,
  label,
  hint,
  error,
  children,
}: {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  children: (describedBy: string | undefined, invalid: boolean) => ReactNode;
}) {
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field${error ? " field-error" : ""}`}>
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="error-message" id={`${id}-error`}>
          {error}
        </p>
      )}
      {children(describedBy, Boolean(error))}
    </div>
  );
}
