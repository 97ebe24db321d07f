// A date of birth as three short boxes (month, day, year; day first in Spanish), easy to type
// on a phone and by keyboard, checked before it is sent.
import { useLocale, useT } from "../i18n/I18n";

export interface DateParts {
  day: string;
  month: string;
  year: string;
}

export const EMPTY_DATE: DateParts = { day: "", month: "", year: "" };

/** `YYYY-MM-DD` when the parts make a real date in the past, else null. */
export function isoDate(parts: DateParts): string | null {
  const d = Number(parts.day.trim());
  const m = Number(parts.month.trim());
  const y = Number(parts.year.trim());
  if (!/^\d{1,2}$/.test(parts.day.trim()) || !/^\d{1,2}$/.test(parts.month.trim()) || !/^\d{4}$/.test(parts.year.trim())) return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  if (y < 1900 || date.getTime() > Date.now()) return null;
  return `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

export function DateOfBirth({
  id,
  value,
  onChange,
  error,
  highlight = false,
}: {
  id: string;
  value: DateParts;
  onChange: (next: DateParts) => void;
  error?: string;
  /** Marked as part of a problem named elsewhere (a wrong code or date of birth). */
  highlight?: boolean;
}) {
  const t = useT();
  const { locale } = useLocale();
  const order: (keyof DateParts)[] = locale === "es" ? ["day", "month", "year"] : ["month", "day", "year"];
  const describedBy = [`${id}-hint`, error ? `${id}-error` : null].filter(Boolean).join(" ");
  return (
    <div className={`field${error || highlight ? " field-error" : ""}`}>
      <fieldset className="date-parts" aria-describedby={describedBy}>
        <legend>{t("account.dob.label")}</legend>
        <p className="hint" id={`${id}-hint`}>
          {t("account.dob.hint")}
        </p>
        {error && (
          <p className="error-message" id={`${id}-error`}>
            {error}
          </p>
        )}
        <div className="date-parts-row">
          {order.map((part, i) => (
            <div key={part} className={`date-part date-part-${part}`}>
              <label htmlFor={i === 0 ? id : `${id}-${part}`}>{t(`account.dob.${part}`)}</label>
              <input
                id={i === 0 ? id : `${id}-${part}`}
                inputMode="numeric"
                autoComplete={part === "day" ? "bday-day" : part === "month" ? "bday-month" : "bday-year"}
                maxLength={part === "year" ? 4 : 2}
                value={value[part]}
                aria-invalid={Boolean(error) || highlight}
                onChange={(e) => onChange({ ...value, [part]: e.target.value.replace(/\D/g, "") })}
              />
            </div>
          ))}
        </div>
      </fieldset>
    </div>
  );
}
