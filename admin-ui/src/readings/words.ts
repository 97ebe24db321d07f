// How the console writes a home reading: the kind in words and the value with its unit as
// people write it.
const KIND: Record<string, string> = {
  BLOOD_PRESSURE: "Blood pressure",
  GLUCOSE: "Blood glucose",
  WEIGHT: "Weight",
  TEMPERATURE: "Temperature",
  SPO2: "Oxygen saturation",
  PEAK_FLOW: "Peak flow",
};
const UNIT: Record<string, string> = { "mm[Hg]": "mmHg", "[lb_av]": "lb", Cel: "°C", "[degF]": "°F" };

export const kindWords = (kind: string) => KIND[kind] ?? kind;

export function readingWords(r: { value: number; diastolic?: number | null; unit: string }): string {
  const unit = UNIT[r.unit] ?? r.unit;
  return r.diastolic != null ? `${r.value}/${r.diastolic} ${unit}` : `${r.value} ${unit}`;
}
