// "Who opened my record": every look at or change to the patient's own chart, newest first,
// with who it was (name and role), what they did in plain words, and when; an emergency
// (break-glass) access is said in words.
import { useState } from "react";
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
    if (action === "smart_grant.create") return t("account.access.appConnected");
    if (action === "smart_grant.revoke") return t("account.access.appRemoved");
    const [resource = "", verb = ""] = action.split(".");
    const what = t(`account.access.what.${WHAT[resource] ?? "record"}` as MessageId);
    return VIEWING.has(verb) ? t("account.access.viewed", { what }) : t("account.access.changed", { what });
  };
}

const ROLES = new Set(["practice_admin", "provider", "staff", "operator"]);

const LOADED = 200;
const PAGE = 20;

interface Group {
  key: string;
  who: string;
  role: string | null;
  /** What they did, each with how many times, in the order first seen. */
  actions: { what: string; count: number }[];
  breakGlass: boolean;
  day: string;
  latest: string;
  earliest: string;
  count: number;
}

export default function AccessLogPage() {
  const { me } = usePortal();
  const t = useT();
  const f = useFormat();
  const describe = useProblem();
  const describeAction = useDescribeAction();
  const [{ data, error }, reload] = useQuery({ query: AccessLogQuery, variables: { first: LOADED } });
  const [shown, setShown] = useState(PAGE);
  const title = t("account.access.title");

  const roleOf = (who: string, role: string | null | undefined) => {
    if (role === "patient") return who === me.displayName ? t("account.access.role.you") : t("account.access.role.caregiver");
    if (role && ROLES.has(role)) return t(`account.access.role.${role}` as MessageId);
    return null;
  };

  // The API names automatic work and API clients in English words: said in the patient's
  // language instead (and the platform's own name stays in the footer).
  const nameOf = (who: string, role: string | null | undefined) => {
    if (who === "a former user") return t("account.access.who.former");
    if (role) return who;
    if (who === "Portico") return t("account.access.who.system");
    if (who === "an API client") return t("account.access.who.api");
    return who;
  };

  // One entry per person per day (while no one else comes between): what they did, with how
  // many times ("Looked at your record (3 times)").
  const groups: Group[] = [];
  for (const [i, e] of (data?.chartAccessLog ?? []).entries()) {
    const role = roleOf(e.who, e.role);
    const who = nameOf(e.who, e.role);
    const what = describeAction(e.action);
    const day = f.date(e.at);
    const last = groups[groups.length - 1];
    if (last && last.who === who && last.role === role && last.breakGlass === e.breakGlass && last.day === day) {
      last.earliest = e.at;
      last.count += 1;
      const same = last.actions.find((a) => a.what === what);
      if (same) same.count += 1;
      else last.actions.push({ what, count: 1 });
    } else {
      groups.push({ key: `${e.at}-${i}`, who, role, actions: [{ what, count: 1 }], breakGlass: e.breakGlass, day, latest: e.at, earliest: e.at, count: 1 });
    }
  }
  const zone = f.zoneNote();

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
      ) : groups.length === 0 ? (
        <EmptyState>
          <p>{t("account.access.empty")}</p>
        </EmptyState>
      ) : (
        <>
          {zone && <p className="hint">{zone}</p>}
          <ol className="plain access-log">
            {groups.slice(0, shown).map((g) => (
              <li key={g.key} className={g.breakGlass ? "break-glass" : undefined}>
                <p className="access-when">
                  {g.count === 1 || f.time(g.earliest) === f.time(g.latest)
                    ? t("account.access.at", { date: g.day, time: f.time(g.latest) })
                    : t("account.access.between", { date: g.day, from: f.time(g.earliest), to: f.time(g.latest) })}
                </p>
                <p className="access-who">
                  <strong>{g.who}</strong>
                  {g.role && <> ({g.role})</>}
                </p>
                <ul className="access-what">
                  {g.actions.map((a) => (
                    <li key={a.what}>
                      {a.what}
                      {a.count > 1 && <> {t("account.access.times", { count: a.count })}</>}
                    </li>
                  ))}
                </ul>
                {g.breakGlass && (
                  <p className="access-flag">
                    <span aria-hidden="true">⚠ </span>
                    <strong>{t("account.access.breakGlass")}</strong> {t("account.access.breakGlass.body")}
                  </p>
                )}
              </li>
            ))}
          </ol>
          {shown < groups.length ? (
            <p>
              <button type="button" className="button secondary" onClick={() => setShown(shown + PAGE)}>
                {t("account.access.more")}
              </button>
            </p>
          ) : (
            data.chartAccessLog.length >= LOADED && <p className="hint">{t("account.access.older")}</p>
          )}
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
