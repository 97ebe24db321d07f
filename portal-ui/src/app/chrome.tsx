// What frames every page, signed in or not: the practice's mark, the language switch, the
// footer (Portico's own name appears only there), and focus moved to each new page's heading.
import { useEffect, useRef, type RefObject } from "react";
import { useLocation } from "react-router";
import { useBrand } from "./brandContext";
import { useLocale, useT } from "../i18n/I18n";
import { LOCALES, type Locale } from "../i18n/locale";

export function BrandMark() {
  const brand = useBrand();
  return (
    <span className="brand-mark">
      {brand.logoUrl?.startsWith("https://") && <img src={brand.logoUrl} alt="" className="brand-logo" />}
      <span className="brand-name">{brand.displayName}</span>
    </span>
  );
}

export function LanguageSwitch({ onChange }: { onChange?: (locale: Locale) => void }) {
  const { locale, setLocale } = useLocale();
  const t = useT();
  return (
    <label className="language-switch">
      <span className="visually-hidden">{t("app.language")}</span>
      <select
        value={locale}
        onChange={(e) => {
          const next = e.target.value as Locale;
          setLocale(next);
          onChange?.(next);
        }}
      >
        {LOCALES.map((l) => (
          <option key={l} value={l} lang={l}>
            {t(`app.language.${l}`)}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Footer() {
  const t = useT();
  return (
    <footer className="site-footer">
      <p>{t("app.poweredBy")}</p>
    </footer>
  );
}

export function SkipLink() {
  const t = useT();
  return (
    <a className="skip-link" href="#main">
      {t("app.skip")}
    </a>
  );
}

/** After navigation, focus moves to the new page's heading (screen readers announce it). */
export function useFocusOnNavigate(main: RefObject<HTMLElement | null>): void {
  const location = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    // A page that arrives with an error summary (sent back a step with the reason) gets
    // focus on the summary, as GOV.UK does; every other page on its heading.
    const summary = main.current?.querySelector<HTMLElement>(".error-summary");
    if (summary) {
      summary.focus({ preventScroll: false });
      return;
    }
    const heading = main.current?.querySelector("h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: false });
    }
  }, [location.pathname, main]);
}
