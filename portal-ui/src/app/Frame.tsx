// The signed-out pages' frame: the practice's brand, the language switch, one column.
import { useRef } from "react";
import { Outlet } from "react-router";
import { BrandMark, Footer, LanguageSwitch, SkipLink, useFocusOnNavigate } from "./chrome";
import { useBrand } from "./brandContext";
import { useT } from "../i18n/I18n";

export function Frame() {
  const main = useRef<HTMLElement>(null);
  useFocusOnNavigate(main);
  const brand = useBrand();
  const t = useT();
  return (
    <div className="page">
      <SkipLink />
      <header className="site-header">
        <div className="site-header-inner">
          <BrandMark />
          <LanguageSwitch />
        </div>
      </header>
      {brand.status === "suspended" && (
        <p className="notice" role="status">
          {t("app.suspended", { practice: brand.displayName })}
        </p>
      )}
      <main id="main" ref={main} className="content narrow">
        <Outlet />
      </main>
      <Footer />
    </div>
  );
}
