// Three short lists of the record, each its own page: allergies (what, the reaction, how bad),
// health problems (what, since when, whether still active) and vaccines (what, when, when the
// next dose is due).
import { useQuery } from "urql";
import { graphql } from "@portico/client";
import { usePortal } from "../app/portal";
import { useFormat, useT } from "../i18n/I18n";
import { EmptyState } from "../components/PageState";
import { Allowed, BackToRecords, ShowMore, Waiting, usePages } from "./common";
import { LearnMore } from "../education/LearnMore";
import { problemCode, useLearnMore } from "../education/learnMore";

const AllergiesQuery = graphql(`
  query PortalAllergies($patientId: ID!, $after: String) {
    patient(id: $patientId) {
      id
      allergies(first: 50, after: $after) {
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          id
          status
          substance
          reaction
          severity
          recordedOn
        }
      }
    }
  }
`);

const ProblemsQuery = graphql(`
  query PortalProblems($patientId: ID!, $after: String) {
    patient(id: $patientId) {
      id
      problems(first: 50, after: $after) {
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          id
          status
          name
          code
          onsetOn
          abatedOn
        }
      }
    }
  }
`);

const ImmunizationsQuery = graphql(`
  query PortalImmunizations($patientId: ID!, $after: String) {
    patient(id: $patientId) {
      id
      immunizations(first: 50, after: $after) {
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          id
          status
          vaccineName
          occurredOn
          nextDueOn
        }
      }
    }
  }
`);

export const SEVERITIES = ["mild", "moderate", "severe"] as const;
export type Severity = (typeof SEVERITIES)[number];
export const asSeverity = (s: string | null | undefined): Severity | null => (s && (SEVERITIES as readonly string[]).includes(s) ? (s as Severity) : null);

const ALLERGY_STATUS = ["active", "inactive", "resolved", "refuted"] as const;
const PROBLEM_STATUS = ["active", "recurrence", "relapse", "inactive", "remission", "resolved", "refuted"] as const;

function oneOf<T extends string>(list: readonly T[], value: string): T | null {
  return (list as readonly string[]).includes(value) ? (value as T) : null;
}

export function AllergiesPage() {
  const t = useT();
  const [cursors, more] = usePages();
  return (
    <Allowed scopes={["READ"]} title={t("records.allergies.title")}>
      <BackToRecords />
      <h1>{t("records.allergies.title")}</h1>
      <p className="lead">{t("records.allergies.lead")}</p>
      {cursors.map((after, i) => (
        <AllergyChunk key={after ?? "first"} after={after} last={i === cursors.length - 1} onMore={more} />
      ))}
    </Allowed>
  );
}

function AllergyChunk({ after, last, onMore }: { after: string | null; last: boolean; onMore: (c: string) => void }) {
  const { chart } = usePortal();
  const t = useT();
  const f = useFormat();
  const [{ data, error }, reload] = useQuery({ query: AllergiesQuery, variables: { patientId: chart.patient.id, after } });
  if (!data) return <Waiting error={error} retry={() => reload({ requestPolicy: "network-only" })} label={t("records.allergies.loading")} />;
  const { nodes, pageInfo } = data.patient.allergies;
  if (!nodes.length && after === null) {
    return (
      <EmptyState>
        <p>{t("records.allergies.empty")}</p>
      </EmptyState>
    );
  }
  return (
    <>
      <ul className="plain card-list">
        {nodes.map((a) => {
          const severity = asSeverity(a.severity);
          const status = oneOf(ALLERGY_STATUS, a.status);
          return (
            <li key={a.id} className="card">
              <h2 className="med-name">{a.substance}</h2>
              <dl className="facts">
                {a.reaction && (
                  <div>
                    <dt>{t("records.allergies.reaction")}</dt>
                    <dd>{a.reaction}</dd>
                  </div>
                )}
                {severity && (
                  <div>
                    <dt>{t("records.allergies.severity")}</dt>
                    <dd>{t(`records.severity.${severity}`)}</dd>
                  </div>
                )}
                {status && (
                  <div>
                    <dt>{t("records.statusLabel")}</dt>
                    <dd>{t(`records.allergies.status.${status}`)}</dd>
                  </div>
                )}
                {a.recordedOn && (
                  <div>
                    <dt>{t("records.allergies.recorded")}</dt>
                    <dd>{f.calendarDate(a.recordedOn)}</dd>
                  </div>
                )}
              </dl>
            </li>
          );
        })}
      </ul>
      {last && pageInfo.hasNextPage && pageInfo.endCursor && <ShowMore label={t("records.showMore")} onClick={() => onMore(pageInfo.endCursor!)} />}
    </>
  );
}

export function ProblemsPage() {
  const t = useT();
  const [cursors, more] = usePages();
  return (
    <Allowed scopes={["READ"]} title={t("records.problems.title")}>
      <BackToRecords />
      <h1>{t("records.problems.title")}</h1>
      <p className="lead">{t("records.problems.lead")}</p>
      {cursors.map((after, i) => (
        <ProblemChunk key={after ?? "first"} after={after} last={i === cursors.length - 1} onMore={more} />
      ))}
    </Allowed>
  );
}

function ProblemChunk({ after, last, onMore }: { after: string | null; last: boolean; onMore: (c: string) => void }) {
  const { chart } = usePortal();
  const t = useT();
  const f = useFormat();
  const [{ data, error }, reload] = useQuery({ query: ProblemsQuery, variables: { patientId: chart.patient.id, after } });
  const learnMore = useLearnMore(chart.patient.id, (data?.patient.problems.nodes ?? []).map((p) => problemCode(p.code)));
  if (!data) return <Waiting error={error} retry={() => reload({ requestPolicy: "network-only" })} label={t("records.problems.loading")} />;
  const { nodes, pageInfo } = data.patient.problems;
  if (!nodes.length && after === null) {
    return (
      <EmptyState>
        <p>{t("records.problems.empty")}</p>
      </EmptyState>
    );
  }
  return (
    <>
      <ul className="plain card-list">
        {nodes.map((p) => {
          const status = oneOf(PROBLEM_STATUS, p.status);
          return (
            <li key={p.id} className="card">
              <h2 className="med-name">{p.name}</h2>
              <dl className="facts">
                {status && (
                  <div>
                    <dt>{t("records.statusLabel")}</dt>
                    <dd>{t(`records.problems.status.${status}`)}</dd>
                  </div>
                )}
                {p.onsetOn && (
                  <div>
                    <dt>{t("records.problems.since")}</dt>
                    <dd>{f.calendarDate(p.onsetOn)}</dd>
                  </div>
                )}
                {p.abatedOn && (
                  <div>
                    <dt>{t("records.problems.ended")}</dt>
                    <dd>{f.calendarDate(p.abatedOn)}</dd>
                  </div>
                )}
              </dl>
              <LearnMore resources={learnMore(problemCode(p.code))} />
            </li>
          );
        })}
      </ul>
      {last && pageInfo.hasNextPage && pageInfo.endCursor && <ShowMore label={t("records.showMore")} onClick={() => onMore(pageInfo.endCursor!)} />}
    </>
  );
}

export function ImmunizationsPage() {
  const t = useT();
  const [cursors, more] = usePages();
  return (
    <Allowed scopes={["READ"]} title={t("records.vaccines.title")}>
      <BackToRecords />
      <h1>{t("records.vaccines.title")}</h1>
      <p className="lead">{t("records.vaccines.lead")}</p>
      {cursors.map((after, i) => (
        <VaccineChunk key={after ?? "first"} after={after} last={i === cursors.length - 1} onMore={more} />
      ))}
    </Allowed>
  );
}

function VaccineChunk({ after, last, onMore }: { after: string | null; last: boolean; onMore: (c: string) => void }) {
  const { chart } = usePortal();
  const t = useT();
  const f = useFormat();
  const [{ data, error }, reload] = useQuery({ query: ImmunizationsQuery, variables: { patientId: chart.patient.id, after } });
  if (!data) return <Waiting error={error} retry={() => reload({ requestPolicy: "network-only" })} label={t("records.vaccines.loading")} />;
  const { nodes, pageInfo } = data.patient.immunizations;
  if (!nodes.length && after === null) {
    return (
      <EmptyState>
        <p>{t("records.vaccines.empty")}</p>
      </EmptyState>
    );
  }
  return (
    <>
      <ul className="plain card-list">
        {nodes.map((v) => (
          <li key={v.id} className="card">
            <h2 className="med-name">{v.vaccineName}</h2>
            <dl className="facts">
              <div>
                <dt>{v.status === "not-done" ? t("records.vaccines.notGiven") : t("records.vaccines.given")}</dt>
                <dd>{f.calendarDate(v.occurredOn)}</dd>
              </div>
              {v.nextDueOn && (
                <div>
                  <dt>{t("records.vaccines.nextDue")}</dt>
                  <dd>{f.calendarDate(v.nextDueOn)}</dd>
                </div>
              )}
            </dl>
          </li>
        ))}
      </ul>
      {last && pageInfo.hasNextPage && pageInfo.endCursor && <ShowMore label={t("records.showMore")} onClick={() => onMore(pageInfo.endCursor!)} />}
    </>
  );
}
