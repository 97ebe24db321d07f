// What the practice admin's settings pages share: the set-up pages' one-submit-at-a-time
// guard and field problems, whole numbers typed in fields, and one small settings form.
import type { FormEvent, ReactNode } from "react";
import { ErrorSummary } from "../components/PageState";
import "./settings.css";

export { problemsFrom, useOnce, wholeNumber } from "../practice/shared";

/**
 * A whole number from a field, or a sentence saying what to type. The range itself is the
 * API's to check (its userErrors name the field); this only catches what is not a number.
 */
export function numberOrProblem(text: string, sentence: string): { value: number } | { problem: string } {
  const t = text.trim();
  return /^\d+$/.test(t) ? { value: Number(t) } : { problem: sentence };
}

/** A section with its own form: a heading, what it does, the problems, the saved line. */
export function SettingsForm({
  id,
  title,
  about,
  problems,
  labels,
  saved,
  pending,
  submitLabel,
  onSubmit,
  children,
}: {
  id: string;
  title: string;
  about?: ReactNode;
  problems: Record<string, string>;
  labels: Record<string, string>;
  saved: string | null;
  pending: boolean;
  submitLabel: string;
  onSubmit: () => void;
  children: ReactNode;
}) {
  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit();
  }
  return (
    <form onSubmit={submit} noValidate className="form settings-form" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {about && <p className="meta">{about}</p>}
      <ErrorSummary problems={problems} labels={labels} />
      {children}
      <div className="settings-submit">
        <button type="submit" className="primary" disabled={pending}>
          {submitLabel}
        </button>
        {saved && (
          <p className="notice" role="status">
            {saved}
          </p>
        )}
      </div>
    </form>
  );
}

/** Hours in words: "48 hours (2 days)". */
export function hoursInWords(hours: number): string {
  const h = `${hours} ${hours === 1 ? "hour" : "hours"}`;
  if (hours >= 24 && hours % 24 === 0) {
    const days = hours / 24;
    return `${h} (${days} ${days === 1 ? "day" : "days"})`;
  }
  return h;
}

/** Minutes in words: "15 minutes", "2 hours", "3 days". */
export function minutesInWords(minutes: number): string {
  const unit = (n: number, one: string) => `${n} ${n === 1 ? one : `${one}s`}`;
  if (minutes % 1440 === 0) return unit(minutes / 1440, "day");
  if (minutes % 60 === 0) return unit(minutes / 60, "hour");
  return unit(minutes, "minute");
}
