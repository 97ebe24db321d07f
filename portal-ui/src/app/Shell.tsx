// The signed-in frame: the practice's brand, the navigation (a row of five on phones), whose
// records are shown (a caregiver switches here), the language (saved to the patient's
// preferences), sign-out, and the automatic log-off warning. A `focused` page (an app's
// consent request) keeps the brand, language, sign-out and log-off, without the navigation
// and the chart switch: the patient answers it before going anywhere else.
import { useRef } from "react";
import { NavLink, Outlet } from "react-router";
import { useMutation } from "urql";
import { graphql, useIdleLogoff } from "@portico/client";
import { usePortal } from "./portal";
import { useAuth } from "./session";
import { BrandMark, Footer, LanguageSwitch, SkipLink, useFocusOnNavigate } from "./chrome";
import { useT } from "../i18n/I18n";
import type { Locale } from "../i18n/locale";

const SaveLanguage = graphql(`
  mutation SavePortalLanguage($input: UpdateContactDetailsInput!) {
    updateContactDetails(input: $input) {
      patient {
        id
        preferredLanguage
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const NAV = [
  { to: "/", key: "app.nav.home", end: true },
  { to: "/visits", key: "app.nav.visits" },
  { to: "/records", key: "app.nav.records" },
  { to: "/messages", key: "app.nav.messages" },
  { to: "/profile", key: "app.nav.profile" },
] as const;

export function Shell({ focused = false }: { focused?: boolean }) {
  const { me, chart, selectChart, session, signOut } = usePortal();
  const { signedOut } = useAuth();
  const t = useT();
  const main = useRef<HTMLElement>(null);
  useFocusOnNavigate(main);
  const idle = useIdleLogoff(session, () => signedOut("ended"));
  const [, saveLanguage] = useMutation(SaveLanguage);
  const own = me.charts.find((c) => c.relationship === "self");

  const onLanguage = (locale: Locale) => {
    if (own) void saveLanguage({ input: { patientId: own.patient.id, preferredLanguage: locale } });
  };

  return (
    <div className="page">
      <SkipLink />
      <header className="site-header">
        <div className="site-header-inner">
          <BrandMark />
          <div className="header-tools">
            <LanguageSwitch onChange={onLanguage} />
            <button type="button" className="link-button" onClick={signOut}>
              {t("app.signOut")}
            </button>
          </div>
        </div>
        {!focused && (
          <nav className="main-nav" aria-label={t("app.nav.label")}>
            <ul>
              {NAV.map((item) => (
                <li key={item.to}>
                  <NavLink to={item.to} end={"end" in item}>
                    {t(item.key)}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
        )}
      </header>
      {!focused && me.charts.length > 1 && (
        <div className="chart-switch">
          <label htmlFor="chart-switch">{t("app.chart.label")}</label>
          <select id="chart-switch" value={chart.patient.id} onChange={(e) => selectChart(e.target.value)}>
            {me.charts.map((c) => (
              <option key={c.patient.id} value={c.patient.id}>
                {c.relationship === "self"
                  ? t("app.chart.self", { name: c.patient.givenName })
                  : t("app.chart.proxy", { name: `${c.patient.givenName} ${c.patient.familyName}` })}
              </option>
            ))}
          </select>
          {chart.relationship !== "self" && (
            <p className="chart-note" role="status">
              {t("app.chart.viewing", { name: chart.patient.givenName })}
            </p>
          )}
        </div>
      )}
      <main id="main" ref={main} className={focused ? "content narrow" : "content"} key={chart.patient.id}>
        <Outlet />
      </main>
      <Footer />
      {idle.warningLeftMs !== null && (
        <div className="dialog-backdrop">
          <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby="idle-title" aria-describedby="idle-body">
            <h2 id="idle-title">{t("app.idle.title")}</h2>
            <p id="idle-body">{t("app.idle.body", { seconds: Math.ceil(idle.warningLeftMs / 1000) })}</p>
            <button type="button" className="button" onClick={idle.stay} autoFocus>
              {t("app.idle.stay")}
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
