// Apps the patient let read a record (SMART App Launch): each with whose record it reads,
// what it can read in plain words, whether it keeps access while the patient is away, when
// it was connected and last used; removed after asking, which stops its tokens at once.
import { useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "@portico/client";
import { usePortal } from "../app/portal";
import { useProblem, type PortalProblem } from "../app/problem";
import { useFormat, useT } from "../i18n/I18n";
import { EmptyState, ErrorState, LoadingState } from "../components/PageState";
import { readsRecords, useScopeWords } from "../connect/scopes";

const ConnectedApps = graphql(`
  query MyConnectedApps {
    connectedApps {
      id
      appName
      patientId
      offline
      scopes {
        scope
        resourceType
        filter
      }
      createdAt
      lastUsedAt
    }
  }
`);

const Remove = graphql(`
  mutation RemoveConnectedApp($id: ID!) {
    removeConnectedApp(id: $id) {
      connectedApp {
        id
      }
    }
  }
`);

export function ConnectedAppsSection() {
  const t = useT();
  const f = useFormat();
  const describe = useProblem();
  const words = useScopeWords();
  const { me } = usePortal();
  const [{ data, error }, reload] = useQuery({ query: ConnectedApps });
  const [removing, remove] = useMutation(Remove);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [removed, setRemoved] = useState<string | null>(null);
  const [problem, setProblem] = useState<PortalProblem | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const refresh = () => reload({ requestPolicy: "network-only" });

  const whose = (patientId: string) => {
    const c = me.charts.find((x) => x.patient.id === patientId);
    if (!c) return null;
    return c.relationship === "self"
      ? t("account.apps.whose.self")
      : t("account.apps.whose.proxy", { name: `${c.patient.givenName} ${c.patient.familyName}` });
  };

  const confirmRemove = async (id: string, app: string) => {
    setProblem(null);
    setRemoved(null);
    const result = await remove({ id });
    if (result.error) {
      setProblem(describe(result.error));
      return;
    }
    setConfirming(null);
    setRemoved(app);
    refresh();
    // The button pressed is gone: the section's heading takes the focus.
    heading.current?.focus();
  };

  return (
    <section className="card" aria-labelledby="security-apps">
      <h2 id="security-apps" ref={heading} tabIndex={-1}>
        {t("account.apps.title")}
      </h2>
      <p>{t("account.apps.lead")}</p>
      {removed && (
        <p className="notice notice-ok" role="status">
          {t("account.apps.removed", { app: removed })}
        </p>
      )}
      {problem && <ErrorState problem={problem} />}
      {!data && !error && <LoadingState lines={2} />}
      {error && !data && <ErrorState problem={describe(error)} retry={refresh} />}
      {data &&
        (data.connectedApps.length === 0 ? (
          <EmptyState>
            <p>{t("account.apps.none")}</p>
          </EmptyState>
        ) : (
          <ul className="plain apps">
            {data.connectedApps.map((a) => {
              const reads = a.scopes.filter(readsRecords);
              const chartWords = whose(a.patientId);
              return (
                <li key={a.id}>
                  <p>
                    <strong>{a.appName}</strong>
                  </p>
                  {chartWords && <p>{chartWords}</p>}
                  {reads.length > 0 && (
                    <>
                      <p>{t("account.apps.reads")}</p>
                      <ul className="app-scopes">
                        {reads.map((s) => (
                          <li key={s.scope}>{words(s)}</li>
                        ))}
                      </ul>
                    </>
                  )}
                  {a.offline && <p>{t("account.apps.offline")}</p>}
                  <p className="hint">
                    {t("account.apps.connected", { date: f.date(a.createdAt) })} ·{" "}
                    {a.lastUsedAt ? t("account.apps.used", { date: f.date(a.lastUsedAt) }) : t("account.apps.neverUsed")}
                  </p>
                  {confirming === a.id ? (
                    <div className="confirm" role="group" aria-labelledby={`confirm-app-${a.id}`}>
                      <p id={`confirm-app-${a.id}`}>
                        <strong>{t("account.apps.confirm", { app: a.appName })}</strong>
                      </p>
                      <div className="actions">
                        <button type="button" className="button danger" disabled={removing.fetching} onClick={() => void confirmRemove(a.id, a.appName)}>
                          {t("account.apps.confirm.yes")}
                        </button>
                        <button type="button" className="button secondary" onClick={() => setConfirming(null)} autoFocus>
                          {t("account.apps.confirm.no")}
                        </button>
                      </div>
                    </div>
                  ) : (
                    <button
                      type="button"
                      className="button secondary"
                      onClick={() => setConfirming(a.id)}
                      aria-label={t("account.apps.remove.label", { app: a.appName })}
                    >
                      {t("account.apps.remove")}
                    </button>
                  )}
                </li>
              );
            })}
          </ul>
        ))}
    </section>
  );
}
