// The account pages' words, in English and Spanish (ICU message syntax).
export const en = {
  "account.placeholder": "account",
} as const;

export const es: Record<keyof typeof en, string> = {
  "account.placeholder": "account",
};
