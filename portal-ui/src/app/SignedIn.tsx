// Everything a signed-in page needs: `me` with the charts this person may open, the chart
// chosen (kept for the tab), the language from the patient's saved preference, and the
// automatic log-off the practice set.
import { useCallback, useEffect, useMemo, useState, type ReactNode } from "react";
import { Provider, useQuery } from "urql";
import { graphql, type Client } from "@portico/client";
import { useAuth } from "./session";
import { useBrand } from "./brandContext";
import { PortalContextValue, type Chart } from "./portal";
import { useProblem } from "./problem";
import { asLocale } from "../i18n/locale";
import { useLocale } from "../i18n/I18n";
import { ErrorState, LoadingState } from "../components/PageState";

const MeQuery = graphql(`
  query PortalMe {
    me {
      userId
      displayName
      email
      role
      mfaEnrolled
      charts {
        relationship
        scopes
        patient {
          id
          givenName
          familyName
          preferredLanguage
        }
      }
    }
  }
`);

const CHART_KEY = "portico.portal.chart";

export function SignedIn({ client, children }: { client: Client; children: ReactNode }) {
  return (
    <Provider value={client}>
      <WithMe>{children}</WithMe>
    </Provider>
  );
}

function WithMe({ children }: { children: ReactNode }) {
  const { session, signedOut } = useAuth();
  const brand = useBrand();
  const describe = useProblem();
  const { locale, setLocale } = useLocale();
  const [{ data, error }, reload] = useQuery({ query: MeQuery });
  const reloadMe = useCallback(() => reload({ requestPolicy: "network-only" }), [reload]);
  const [chosen, setChosen] = useState<string | null>(() => sessionStorage.getItem(CHART_KEY));

  const charts = useMemo(() => data?.me.charts ?? [], [data]);
  const own = charts.find((c) => c.relationship === "self");
  const chart: Chart | undefined = charts.find((c) => c.patient.id === chosen) ?? own ?? charts[0];

  // The patient's saved language wins over this device's, once, when they sign in.
  const saved = asLocale(own?.patient.preferredLanguage);
  const [applied, setApplied] = useState(false);
  useEffect(() => {
    if (applied || !data) return;
    setApplied(true);
    if (saved && saved !== locale) setLocale(saved);
  }, [applied, data, saved, locale, setLocale]);

  const selectChart = useCallback((patientId: string) => {
    sessionStorage.setItem(CHART_KEY, patientId);
    setChosen(patientId);
  }, []);
  const signOut = useCallback(() => {
    sessionStorage.removeItem(CHART_KEY);
    session.signOut().finally(() => signedOut("signed-out"));
  }, [session, signedOut]);

  if (error && !data) {
    return (
      <main className="standalone" id="main">
        <ErrorState problem={describe(error)} retry={reloadMe} />
      </main>
    );
  }
  if (!data) {
    return (
      <main className="standalone">
        <LoadingState />
      </main>
    );
  }
  if (!chart) {
    // Signed in as staff, or with no chart yet: the portal has nothing to show.
    return (
      <main className="standalone" id="main">
        <ErrorState problem={describe({ graphQLErrors: [{ extensions: { code: "FORBIDDEN" } }] })} />
      </main>
    );
  }
  return (
    <PortalContextValue.Provider value={{ session, me: data.me, brand, chart, selectChart, reloadMe, signOut }}>
      {children}
    </PortalContextValue.Provider>
  );
}
