// The booking pages' words, in English and Spanish (ICU message syntax).
export const en = {
  "booking.placeholder": "booking",
} as const;

export const es: Record<keyof typeof en, string> = {
  "booking.placeholder": "booking",
};
