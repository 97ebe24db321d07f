// "Who opened my record": every look at or change to the patient's own chart, newest first,
// with who it was (name and role), what they did in plain words, and when; an emergency
// (break-glass) access is said in words.
import { Link } from "react-router";
import { useQuery } from "urql";
import { graphql } from "@portico/client";
import { usePortal } from "../app/portal";
import { useProblem } from "../app/problem";
import { useFormat, useT } from "../i18n/I18n";
import type { MessageId } from "../i18n/catalog";
import { EmptyState, ErrorState, LoadingState } from "../components/PageState";
import "./account.css";

const AccessLogQuery = graphql(`
  query AccountAccessLog($first: Int) {
    chartAccessLog(first: $first) {
      at
      who
      role
      action
      breakGlass
    }
  }
`);

const WHAT: Record<string, string> = {
  patient: "record",
  chart: "record",
  observation: "results",
  diagnostic_report: "results",
  encounter: "visitNotes",
  medication: "medicines",
  allergy: "allergies",
  immunization: "vaccines",
  condition: "problems",
  appointment: "visits",
  thread: "messages",
  attachment: "messages",
  refill: "refills",
  proxy: "caregivers",
  emergency_contact: "emergencyContacts",
};
const VIEWING = new Set(["read", "list", "series", "download", "emergency_summary", "contact_history"]);

/** "patient.read" → "Looked at your record"; an action the portal does not know stays general. */
function useDescribeAction(): (action: string) => string {
  const t = useT();
  return (action) => {
    if (action === "chart.export") return t("account.access.exported");
    if (action === "chart.break_glass") return t("account.access.breakGlassOpened");
    const [resource = "", verb = ""] = action.split(".");
    const what = t(`account.access.what.${WHAT[resource] ?? "record"}` as MessageId);
    return VIEWING.has(verb) ? t("account.access.viewed", { what }) : t("account.access.changed", { what });
  };
}

const ROLES = new Set(["practice_admin", "provider", "staff", "operator"]);

export default function AccessLogPage() {
  const { me } = usePortal();
  const t = useT();
  const f = useFormat();
  const describe = useProblem();
  const describeAction = useDescribeAction();
  const [{ data, error }, reload] = useQuery({ query: AccessLogQuery, variables: { first: 100 } });
  const title = t("account.access.title");

  const roleOf = (who: string, role: string | null | undefined) => {
    if (role === "patient") return who === me.displayName ? t("account.access.role.you") : t("account.access.role.caregiver");
    if (role && ROLES.has(role)) return t(`account.access.role.${role}` as MessageId);
    return null;
  };

  return (
    <>
      <h1>{title}</h1>
      <p className="lead">{t("account.access.lead")}</p>
      {!data ? (
        error ? (
          <ErrorState problem={describe(error)} retry={() => reload({ requestPolicy: "network-only" })} />
        ) : (
          <LoadingState lines={6} />
        )
      ) : data.chartAccessLog.length === 0 ? (
        <EmptyState>
          <p>{t("account.access.empty")}</p>
        </EmptyState>
      ) : (
        <>
          {f.zoneNote() && <p className="hint">{f.zoneNote()}</p>}
          <ol className="plain access-log">
            {data.chartAccessLog.map((e, i) => {
              const role = roleOf(e.who, e.role);
              return (
                <li key={`${e.at}-${i}`} className={e.breakGlass ? "break-glass" : undefined}>
                  <p className="access-when">{t("account.access.at", { date: f.date(e.at), time: f.time(e.at) })}</p>
                  <p className="access-who">
                    <strong>{e.who}</strong>
                    {role && <> ({role})</>}
                  </p>
                  <p className="access-what">{describeAction(e.action)}</p>
                  {e.breakGlass && (
                    <p className="access-flag">
                      <span aria-hidden="true">⚠ </span>
                      <strong>{t("account.access.breakGlass")}</strong> {t("account.access.breakGlass.body")}
                    </p>
                  )}
                </li>
              );
            })}
          </ol>
          <p className="hint">{t("account.access.questions")}</p>
        </>
      )}
      <ul className="links">
        <li>
          <Link to="/profile">{t("account.backToProfile")}</Link>
        </li>
      </ul>
    </>
  );
}
