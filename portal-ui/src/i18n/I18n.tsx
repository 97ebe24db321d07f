// The i18n layer: react-intl (ICU messages, `Intl` formatting) set to the patient's language
// and the practice's time zone, and typed message ids. Pages call `useT()` for words and
// `useFormat()` for dates, times and numbers.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { IntlProvider, useIntl } from "react-intl";
import { en, loadCatalog, type Catalog, type MessageId } from "./catalog";
import type { Locale } from "./locale";

type Values = Record<string, string | number | boolean | Date | null | undefined | ((chunks: ReactNode[]) => ReactNode)>;

interface LocaleControl {
  locale: Locale;
  setLocale: (locale: Locale) => void;
  timeZone: string;
}

const LocaleContext = createContext<LocaleControl | null>(null);

export function I18nProvider({
  locale,
  setLocale,
  timeZone,
  children,
}: LocaleControl & { children: ReactNode }) {
  // The words shown are those of the last catalog loaded: a switch to Spanish takes effect
  // when its chunk arrives, and a page opened in Spanish waits for it (no English flash).
  const [shown, setShown] = useState<{ locale: Locale; messages: Catalog } | null>(locale === "en" ? { locale, messages: en } : null);
  useEffect(() => {
    let live = true;
    loadCatalog(locale).then(
      (messages) => live && setShown({ locale, messages }),
      // The chunk could not be fetched (offline, a newer release): stay in English.
      () => live && setShown({ locale: "en", messages: en }),
    );
    return () => {
      live = false;
    };
  }, [locale]);
  useEffect(() => {
    if (shown) document.documentElement.lang = shown.locale;
  }, [shown]);
  const control = useMemo(() => ({ locale, setLocale, timeZone }), [locale, setLocale, timeZone]);
  if (!shown) return null;
  return (
    <LocaleContext.Provider value={control}>
      <IntlProvider locale={shown.locale === "es" ? "es-US" : "en-US"} messages={shown.messages} timeZone={timeZone} defaultLocale="en-US">
        {children}
      </IntlProvider>
    </LocaleContext.Provider>
  );
}

export function useLocale(): LocaleControl {
  const value = useContext(LocaleContext);
  if (!value) throw new Error("useLocale outside I18nProvider");
  return value;
}

/** `t("home.title")`, `t("home.unread", { count: 2 })`: a string in the patient's language. */
export function useT(): (id: MessageId, values?: Values) => string {
  const intl = useIntl();
  return useCallback((id: MessageId, values?: Values) => intl.formatMessage({ id }, values as never) as string, [intl]);
}

/** Dates and times in the practice's time zone, numbers in the patient's language. */
export function useFormat() {
  const intl = useIntl();
  const { timeZone } = useLocale();
  return useMemo(
    () => ({
      /** "Tuesday, March 9" */
      day: (iso: string) => intl.formatDate(iso, { weekday: "long", month: "long", day: "numeric" }),
      /** "Tuesday, March 9, 2027" */
      dayWithYear: (iso: string) => intl.formatDate(iso, { weekday: "long", month: "long", day: "numeric", year: "numeric" }),
      /** "Mar 9, 2027" */
      date: (iso: string) => intl.formatDate(iso, { month: "short", day: "numeric", year: "numeric" }),
      /** A calendar date (no time, no zone): "March 9, 2027". */
      calendarDate: (ymd: string) => intl.formatDate(`${ymd}T12:00:00Z`, { month: "long", day: "numeric", year: "numeric", timeZone: "UTC" }),
      /** "10:30 AM" */
      time: (iso: string) => intl.formatTime(iso, { hour: "numeric", minute: "2-digit" }),
      /** "Tuesday, March 9 at 10:30 AM" */
      when: (iso: string) =>
        intl.formatDate(iso, { weekday: "long", month: "long", day: "numeric", hour: "numeric", minute: "2-digit" }),
      number: (value: number, maximumFractionDigits = 2) => intl.formatNumber(value, { maximumFractionDigits }),
      /** "Times are shown in Central Standard Time.", when the practice's zone is not this
       * device's; else null. */
      zoneNote: () => {
        const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
        if (here === timeZone) return null;
        const part = new Intl.DateTimeFormat(intl.locale, { timeZone, timeZoneName: "long" })
          .formatToParts(new Date())
          .find((p) => p.type === "timeZoneName");
        return intl.formatMessage({ id: "app.zone" }, { zone: part?.value ?? timeZone });
      },
    }),
    [intl, timeZone],
  );
}
