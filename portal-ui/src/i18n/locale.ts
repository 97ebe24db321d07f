// Which language the portal speaks: the patient's saved preference once signed in, before
// that the choice made on this device, else the browser's languages, else English.
export const LOCALES = ["en", "es"] as const;
export type Locale = (typeof LOCALES)[number];

const KEY = "portico.portal.locale";

export function asLocale(tag: string | null | undefined): Locale | null {
  const base = tag?.trim().toLowerCase().split(/[-_]/)[0];
  return (LOCALES as readonly string[]).includes(base ?? "") ? (base as Locale) : null;
}

export function initialLocale(): Locale {
  try {
    const saved = asLocale(window.localStorage.getItem(KEY));
    if (saved) return saved;
  } catch {
    // Storage can be off (private mode); the browser's languages still decide.
  }
  for (const tag of navigator.languages ?? [navigator.language]) {
    const locale = asLocale(tag);
    if (locale) return locale;
  }
  return "en";
}

/** Remembered on this device for the sign-in pages; the profile keeps it for the patient. */
export function rememberLocale(locale: Locale): void {
  try {
    window.localStorage.setItem(KEY, locale);
  } catch {
    // Not remembered on this device; the patient's preference still is, once signed in.
  }
}
