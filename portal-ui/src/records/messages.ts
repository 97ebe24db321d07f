// The records pages' words, in English and Spanish (ICU message syntax).
export const en = {
  "records.placeholder": "records",
} as const;

export const es: Record<keyof typeof en, string> = {
  "records.placeholder": "records",
};
