// How the console writes a threshold: the measure in words, its canonical unit as people
// write it and its limits ("above 160 or below 90"). The plausible ranges mirror the
// server's (portico-core readings/kinds.rs), for hints only: the server decides.
import type { ReadingKind, ReadingMeasure } from "@portico/client/gql/graphql";
import { kindWords } from "./words";

export interface Measure {
  kind: ReadingKind;
  measure: ReadingMeasure;
}

/** Every measure a threshold can bound, in the order the page lists them. */
export const MEASURES: Measure[] = [
  { kind: "BLOOD_PRESSURE", measure: "SYSTOLIC" },
  { kind: "BLOOD_PRESSURE", measure: "DIASTOLIC" },
  { kind: "GLUCOSE", measure: "VALUE" },
  { kind: "WEIGHT", measure: "VALUE" },
  { kind: "TEMPERATURE", measure: "VALUE" },
  { kind: "SPO2", measure: "VALUE" },
  { kind: "PEAK_FLOW", measure: "VALUE" },
];

const UNIT: Record<ReadingKind, string> = {
  BLOOD_PRESSURE: "mm Hg",
  GLUCOSE: "mg/dL",
  WEIGHT: "kg",
  TEMPERATURE: "°C",
  SPO2: "%",
  PEAK_FLOW: "L/min",
};

export const measureKey = (m: { kind: string; measure: string }) => `${m.kind}:${m.measure}`;

export const unitWords = (kind: ReadingKind) => UNIT[kind] ?? kind;

export function measureWords(m: { kind: ReadingKind; measure: ReadingMeasure }): string {
  const kind = kindWords(m.kind);
  if (m.measure === "SYSTOLIC") return `${kind}, systolic`;
  if (m.measure === "DIASTOLIC") return `${kind}, diastolic`;
  return kind;
}

export function rangeOf(m: Measure): [number, number] {
  switch (m.kind) {
    case "BLOOD_PRESSURE":
      return m.measure === "DIASTOLIC" ? [30, 200] : [50, 300];
    case "GLUCOSE":
      return [10, 1000];
    case "WEIGHT":
      return [0.5, 500];
    case "TEMPERATURE":
      return [30, 45];
    case "SPO2":
      return [50, 100];
    case "PEAK_FLOW":
      return [50, 1000];
  }
}

const number = (n: number) => new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 }).format(n);

/** "above 160 or below 90", "above 100", "below 92". */
export function limitsWords(t: { low?: number | null; high?: number | null }): string {
  const parts = [t.high != null ? `above ${number(t.high)}` : null, t.low != null ? `below ${number(t.low)}` : null].filter(Boolean);
  return parts.join(" or ") || "never";
}
