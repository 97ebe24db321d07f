// A result in words: its value with the unit, the normal range, and the flag ("High"), never
// colour alone.
interface ResultLike {
  value?: number | null;
  unit?: string | null;
  valueText?: string | null;
  rangeLow?: number | null;
  rangeHigh?: number | null;
  rangeText?: string | null;
  components?: readonly { display: string; value?: number | null; unit?: string | null }[];
}

const FLAGS: Record<string, { text: string; abnormal: boolean }> = {
  N: { text: "Normal", abnormal: false },
  H: { text: "High", abnormal: true },
  L: { text: "Low", abnormal: true },
  HH: { text: "Critically high", abnormal: true },
  LL: { text: "Critically low", abnormal: true },
  A: { text: "Abnormal", abnormal: true },
  AA: { text: "Critically abnormal", abnormal: true },
};

export function flagWords(interpretation: string | null | undefined): { text: string; abnormal: boolean } | null {
  if (!interpretation) return null;
  return FLAGS[interpretation] ?? { text: "Flagged", abnormal: true };
}

const num = (n: number) => new Intl.NumberFormat(undefined, { maximumFractionDigits: 3 }).format(n);

export function valueWords(r: ResultLike): string {
  if (r.value != null) return r.unit ? `${num(r.value)} ${r.unit}` : num(r.value);
  if (r.valueText) return r.valueText;
  if (r.components?.length) {
    return r.components.map((c) => `${c.display} ${c.value != null ? num(c.value) : "—"}${c.unit ? ` ${c.unit}` : ""}`).join(", ");
  }
  return "—";
}

export function rangeWords(r: ResultLike): string {
  if (r.rangeText) return r.rangeText;
  const unit = r.unit ? ` ${r.unit}` : "";
  if (r.rangeLow != null && r.rangeHigh != null) return `${num(r.rangeLow)} to ${num(r.rangeHigh)}${unit}`;
  if (r.rangeHigh != null) return `Up to ${num(r.rangeHigh)}${unit}`;
  if (r.rangeLow != null) return `${num(r.rangeLow)} or more${unit}`;
  return "Not given";
}
