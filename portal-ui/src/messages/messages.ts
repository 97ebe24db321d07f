// The messages pages' words, in English and Spanish (ICU message syntax).
export const en = {
  "messages.placeholder": "messages",
} as const;

export const es: Record<keyof typeof en, string> = {
  "messages.placeholder": "messages",
};
