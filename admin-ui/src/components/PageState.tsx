// The four states every page designs on purpose: loading (a skeleton), empty (what to do
// next), error (a sentence, a retry, the request id small for support) and content.
import { useEffect, useRef, type ReactNode } from "react";
import type { Problem } from "@portico/client";

export function LoadingState({ label, rows = 4 }: { label: string; rows?: number }) {
  return (
    <div className="skeleton" role="status" aria-live="polite">
      <span className="visually-hidden">{label}…</span>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton-row" aria-hidden="true" />
      ))}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children && <div className="empty-next">{children}</div>}
    </div>
  );
}

export function ErrorState({ problem, retry }: { problem: Problem; retry?: () => void }) {
  return (
    <div className="error-state" role="alert">
      <p>{problem.sentence}</p>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
      {problem.requestId && <p className="request-id">Reference for support: {problem.requestId}</p>}
    </div>
  );
}

/** A problem with a form as a whole, at the top, linking to the fields it names. */
export function ErrorSummary({ problems, labels }: { problems: Record<string, string>; labels: Record<string, string> }) {
  const entries = Object.entries(problems);
  const box = useRef<HTMLDivElement>(null);
  // Focus moves to the summary when it appears or its problems change, never on a re-render
  // while someone types a correction (an inline ref callback would run on every render).
  const shown = entries.map(([field, sentence]) => `${field}\u0000${sentence}`).join("\u0001");
  useEffect(() => {
    if (shown) box.current?.focus();
  }, [shown]);
  if (entries.length === 0) return null;
  return (
    <div className="error-summary" role="alert" tabIndex={-1} ref={box}>
      <h2>There is a problem</h2>
      <ul>
        {entries.map(([field, sentence]) => (
          <li key={field}>
            {labels[field] ? <a href={`#field-${field}`}>{labels[field]}: {sentence}</a> : sentence}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** A labelled input with its own error, announced with the control. */
export function Field({
  name,
  label,
  error,
  hint,
  children,
}: {
  name: string;
  label: string;
  error?: string;
  hint?: string;
  children: (props: { id: string; "aria-invalid": boolean; "aria-describedby"?: string; name: string }) => ReactNode;
}) {
  const id = `field-${name}`;
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={error ? "field field-error" : "field"}>
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="error-text" id={`${id}-error`}>
          {error}
        </p>
      )}
      {children({ id, "aria-invalid": Boolean(error), "aria-describedby": described, name })}
    </div>
  );
}
