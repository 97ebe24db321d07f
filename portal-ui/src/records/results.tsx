// A result in words (UI.md): the value with its unit, the usual range, the flag in words with
// a shape beside it (never colour alone), and a plain sentence of what that means.
import { useCallback, useMemo } from "react";
import { useFormat, useT } from "../i18n/I18n";

export const FLAGS = ["N", "H", "L", "HH", "LL", "A", "AA"] as const;
export type Flag = (typeof FLAGS)[number];

export function asFlag(value: string | null | undefined): Flag | null {
  return value && (FLAGS as readonly string[]).includes(value) ? (value as Flag) : null;
}

/** How a flag is drawn: its tone (colour) and its shape (an arrow up or down, a mark). */
function look(flag: Flag): { tone: "ok" | "warn" | "alert"; shape: "check" | "up" | "down" | "upup" | "downdown" | "mark" } {
  switch (flag) {
    case "N":
      return { tone: "ok", shape: "check" };
    case "H":
      return { tone: "warn", shape: "up" };
    case "L":
      return { tone: "warn", shape: "down" };
    case "HH":
      return { tone: "alert", shape: "upup" };
    case "LL":
      return { tone: "alert", shape: "downdown" };
    case "A":
      return { tone: "warn", shape: "mark" };
    case "AA":
      return { tone: "alert", shape: "mark" };
  }
}

function FlagIcon({ shape }: { shape: ReturnType<typeof look>["shape"] }) {
  const paths: Record<typeof shape, string> = {
    check: "M4 10.5l4 4 8-9",
    up: "M10 16V4M5 9l5-5 5 5",
    down: "M10 4v12M5 11l5 5 5-5",
    upup: "M5 9l5-5 5 5M5 15l5-5 5 5",
    downdown: "M5 5l5 5 5-5M5 11l5 5 5-5",
    mark: "M10 4v8M10 15.5v.5",
  };
  return (
    <svg className="flag-icon" viewBox="0 0 20 20" width="18" height="18" aria-hidden="true" focusable="false">
      <path d={paths[shape]} fill="none" stroke="currentColor" strokeWidth="2.5" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

/** "High" with an arrow up, in a tinted box with a border. */
export function FlagBadge({ flag }: { flag: Flag }) {
  const t = useT();
  const { tone, shape } = look(flag);
  return (
    <span className={`flag flag-${tone}`}>
      <FlagIcon shape={shape} />
      <span>{t(`records.flag.${flag}`)}</span>
    </span>
  );
}

export interface ResultLike {
  value?: number | null;
  unit?: string | null;
  valueText?: string | null;
  rangeLow?: number | null;
  rangeHigh?: number | null;
  rangeText?: string | null;
  components?: readonly { code: string; display: string; value?: number | null; unit?: string | null }[];
}

/** The words for results in the patient's language. */
export function useResultWords() {
  const t = useT();
  const f = useFormat();
  const num = useCallback((n: number) => f.number(n, 3), [f]);
  const withUnit = useCallback((n: number, unit?: string | null) => (unit ? `${num(n)} ${unit}` : num(n)), [num]);

  return useMemo(
    () => ({
      /** "162 mg/dL", a text result as it is, a blood pressure as "128/82 mmHg". */
      value(r: ResultLike): string {
        if (r.value != null) return withUnit(r.value, r.unit);
        if (r.valueText) return r.valueText;
        const parts = r.components ?? [];
        if (parts.length) {
          const units = new Set(parts.map((c) => c.unit ?? ""));
          const values = parts.map((c) => (c.value != null ? num(c.value) : "—")).join("/");
          return units.size === 1 && parts[0]!.unit ? `${values} ${parts[0]!.unit}` : values;
        }
        return t("records.result.noValue");
      },
      /** "Systolic 128 mmHg, diastolic 82 mmHg" for a measurement made of several parts. */
      parts(r: ResultLike): string | null {
        const parts = r.components ?? [];
        if (!parts.length || r.value != null) return null;
        return parts.map((c) => `${c.display}: ${c.value != null ? withUnit(c.value, c.unit) : "—"}`).join(" · ");
      },
      /** "Usual range: 70–99 mg/dL". */
      range(r: ResultLike, unit?: string | null): string {
        const u = unit ?? r.unit;
        if (r.rangeLow != null && r.rangeHigh != null) return t("records.range.between", { range: `${num(r.rangeLow)}–${withUnit(r.rangeHigh, u)}` });
        if (r.rangeHigh != null) return t("records.range.atMost", { value: withUnit(r.rangeHigh, u) });
        if (r.rangeLow != null) return t("records.range.atLeast", { value: withUnit(r.rangeLow, u) });
        if (r.rangeText) return t("records.range.text", { text: r.rangeText });
        return t("records.range.none");
      },
      /** The range alone, for a column already headed "Usual range": "70–99 mg/dL". */
      rangeValue(r: ResultLike, unit?: string | null): string {
        const u = unit ?? r.unit;
        if (r.rangeLow != null && r.rangeHigh != null) return `${num(r.rangeLow)}–${withUnit(r.rangeHigh, u)}`;
        if (r.rangeHigh != null) return t("records.range.atMostValue", { value: withUnit(r.rangeHigh, u) });
        if (r.rangeLow != null) return t("records.range.atLeastValue", { value: withUnit(r.rangeLow, u) });
        return r.rangeText ?? "—";
      },
      /** What the flag means for the patient, in a sentence. */
      meaning(flag: Flag): string {
        return t(`records.meaning.${flag}`);
      },
      /** A result's status when it is not simply final. */
      status(status: string): string | null {
        if (status === "preliminary") return t("records.status.preliminary");
        if (status === "amended" || status === "corrected") return t("records.status.corrected");
        return null;
      },
    }),
    [t, num, withUnit],
  );
}
