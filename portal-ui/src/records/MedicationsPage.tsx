// The patient's medicines: the ones they take now, each with how to take it, who prescribed
// it, when it was last filled, refills left and a "Request a refill" action (or the request
// already waiting); then past medicines.
import { Link } from "react-router";
import { useQuery } from "urql";
import { graphql } from "@portico/client";
import type { PortalMedicationsQuery } from "@portico/client/gql/graphql";
import { allows, usePortal } from "../app/portal";
import { useFormat, useT } from "../i18n/I18n";
import { EmptyState } from "../components/PageState";
import { Allowed, BackToRecords, Waiting } from "./common";
import { LearnMore } from "../education/LearnMore";
import { useLearnMore, type Code, type Resource } from "../education/learnMore";

const rxnorm = (code: string | null | undefined): Code | null => (code ? { system: "rxnorm", code } : null);

const MedicationsQuery = graphql(`
  query PortalMedications($patientId: ID!) {
    patient(id: $patientId) {
      id
      medications(first: 100) {
        pageInfo {
          hasNextPage
        }
        nodes {
          id
          status
          name
          rxnormCode
          dosage
          refillsLeft
          prescriberName
          lastFilledOn
          controlled
          authoredAt
        }
      }
    }
    refillRequests(patientId: $patientId) {
      id
      medicationId
      status
    }
  }
`);

type Medication = PortalMedicationsQuery["patient"]["medications"]["nodes"][number];
const PENDING = new Set(["requested", "routed"]);
const CURRENT = new Set(["active", "on-hold"]);

export default function MedicationsPage() {
  const t = useT();
  return (
    <Allowed scopes={["READ"]} title={t("records.meds.title")}>
      <BackToRecords />
      <h1>{t("records.meds.title")}</h1>
      <Medications />
    </Allowed>
  );
}

function Medications() {
  const { chart } = usePortal();
  const t = useT();
  const [{ data, error }, reload] = useQuery({ query: MedicationsQuery, variables: { patientId: chart.patient.id }, requestPolicy: "cache-and-network" });
  const learnMore = useLearnMore(chart.patient.id, (data?.patient.medications.nodes ?? []).map((m) => rxnorm(m.rxnormCode)));
  if (!data) return <Waiting error={error} retry={() => reload({ requestPolicy: "network-only" })} label={t("records.meds.loading")} />;
  const meds = data.patient.medications.nodes;
  const pending = new Set(data.refillRequests.filter((r) => PENDING.has(r.status)).map((r) => r.medicationId));
  const current = meds.filter((m) => CURRENT.has(m.status));
  const past = meds.filter((m) => !CURRENT.has(m.status));
  const canRefill = allows(chart, "REFILLS");
  return (
    <>
      <p className="lead">{t("records.meds.lead")}</p>
      {canRefill && (
        <p>
          <Link to="/refills">{t("records.meds.seeRefills")}</Link>
        </p>
      )}
      <section aria-labelledby="meds-current">
        <h2 id="meds-current">{t("records.meds.current")}</h2>
        {current.length === 0 ? (
          <EmptyState>
            <p>{t("records.meds.noneCurrent")}</p>
          </EmptyState>
        ) : (
          <ul className="plain card-list">
            {current.map((m) => (
              <li key={m.id} className="card">
                <MedicationItem medication={m} pending={pending.has(m.id)} canRefill={canRefill} learnMore={learnMore(rxnorm(m.rxnormCode))} />
              </li>
            ))}
          </ul>
        )}
      </section>
      {past.length > 0 && (
        <section aria-labelledby="meds-past">
          <h2 id="meds-past">{t("records.meds.past")}</h2>
          <ul className="plain card-list">
            {past.map((m) => (
              <li key={m.id} className="card">
                <MedicationItem medication={m} pending={false} canRefill={false} learnMore={learnMore(rxnorm(m.rxnormCode))} />
              </li>
            ))}
          </ul>
        </section>
      )}
      {data.patient.medications.pageInfo.hasNextPage && <p className="hint">{t("records.meds.more")}</p>}
    </>
  );
}

function MedicationItem({ medication: m, pending, canRefill, learnMore }: { medication: Medication; pending: boolean; canRefill: boolean; learnMore: Resource[] }) {
  const t = useT();
  const f = useFormat();
  const status = MED_STATUS.includes(m.status as MedStatus) ? t(`records.meds.status.${m.status as MedStatus}`) : null;
  return (
    <article aria-labelledby={`med-${m.id}`}>
      <h3 id={`med-${m.id}`} className="med-name">
        {m.name}
      </h3>
      <p className="med-dosage">{m.dosage}</p>
      <dl className="facts">
        {status && (
          <div>
            <dt>{t("records.meds.statusLabel")}</dt>
            <dd>{status}</dd>
          </div>
        )}
        {m.prescriberName && (
          <div>
            <dt>{t("records.meds.prescriber")}</dt>
            <dd>{m.prescriberName}</dd>
          </div>
        )}
        {m.lastFilledOn && (
          <div>
            <dt>{t("records.meds.lastFilled")}</dt>
            <dd>{f.calendarDate(m.lastFilledOn)}</dd>
          </div>
        )}
        {m.status === "active" && (
          <div>
            <dt>{t("records.meds.refillsLeftLabel")}</dt>
            <dd>{t("records.meds.refillsLeftValue", { count: m.refillsLeft })}</dd>
          </div>
        )}
      </dl>
      {m.controlled && m.status === "active" && <p className="hint">{t("records.meds.controlled")}</p>}
      <LearnMore resources={learnMore} />
      {m.status === "active" && canRefill && (
        <p className="card-actions no-print">
          {pending ? (
            <span className="pending-note">
              <span aria-hidden="true">⏳ </span>
              {t("records.meds.pending")} <Link to="/refills">{t("records.meds.pendingLink")}</Link>
            </span>
          ) : (
            <Link className="button secondary" to={`/records/medications/${encodeURIComponent(m.id)}/refill`} aria-describedby={`med-${m.id}`}>
              {t("records.meds.request")}
            </Link>
          )}
        </p>
      )}
    </article>
  );
}

const MED_STATUS = ["active", "on-hold", "cancelled", "completed", "stopped"] as const;
type MedStatus = (typeof MED_STATUS)[number];
