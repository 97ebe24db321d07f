// The emergency card: who the patient is, their allergies first, then the medicines they
// take, their health problems, vaccines and whom to call. Laid out to hand a phone to a
// clinician (large, high-contrast, no clutter), and printable.
import { useQuery } from "urql";
import { graphql } from "@portico/client";
import type { EmergencyCardFragment } from "@portico/client/gql/graphql";
import { usePortal } from "../app/portal";
import { useBrand } from "../app/brandContext";
import { useFormat, useT } from "../i18n/I18n";
import { Allowed, BackToRecords, Waiting } from "./common";
import { asSeverity } from "./ListPages";

// What the card shows; the printable summary asks for the same.
graphql(`
  fragment EmergencyCard on EmergencySummary {
    allergies {
      id
      substance
      reaction
      severity
    }
    medications {
      id
      name
      dosage
      status
    }
    problems {
      id
      name
      onsetOn
    }
    immunizations {
      id
      vaccineName
      occurredOn
    }
    emergencyContacts {
      id
      name
      relationship
      phone
      email
    }
  }
`);

const EmergencyQuery = graphql(`
  query PortalEmergency($patientId: ID!) {
    patient(id: $patientId) {
      id
      givenName
      familyName
      birthDate
      emergencySummary {
        ...EmergencyCard
      }
    }
  }
`);

export type Emergency = EmergencyCardFragment;

export default function EmergencyPage() {
  const t = useT();
  return (
    <Allowed scopes={["READ"]} title={t("records.emergency.title")}>
      <BackToRecords />
      <h1>{t("records.emergency.title")}</h1>
      <Card />
    </Allowed>
  );
}

function Card() {
  const { chart } = usePortal();
  const brand = useBrand();
  const t = useT();
  const f = useFormat();
  const [{ data, error }, reload] = useQuery({ query: EmergencyQuery, variables: { patientId: chart.patient.id }, requestPolicy: "cache-and-network" });
  if (!data) return <Waiting error={error} retry={() => reload({ requestPolicy: "network-only" })} label={t("records.emergency.loading")} lines={8} />;
  const p = data.patient;
  return (
    <>
      <p className="lead no-print">{t("records.emergency.lead")}</p>
      <div className="emergency-card">
        <div className="emergency-who">
          <p className="emergency-name">
            {p.givenName} {p.familyName}
          </p>
          <p>{t("records.emergency.born", { date: f.calendarDate(p.birthDate) })}</p>
          <p className="hint">{t("records.emergency.practice", { practice: brand.displayName })}</p>
        </div>
        <EmergencySections summary={p.emergencySummary} headingLevel={2} />
      </div>
      <p className="card-actions no-print">
        <button type="button" className="button secondary" onClick={() => window.print()}>
          {t("records.print")}
        </button>
      </p>
    </>
  );
}

/** Allergies, medicines, problems, vaccines and contacts; also used by the printable summary. */
export function EmergencySections({ summary: s, headingLevel }: { summary: Emergency; headingLevel: 2 | 3 }) {
  const t = useT();
  const f = useFormat();
  const H = headingLevel === 2 ? "h2" : "h3";
  return (
    <>
      <section className="emergency-section emergency-allergies" aria-labelledby="em-allergies">
        <H id="em-allergies">
          <span aria-hidden="true" className="em-mark">
            ⚠{" "}
          </span>
          {t("records.emergency.allergies")}
        </H>
        {s.allergies.length === 0 ? (
          <p>{t("records.emergency.noAllergies")}</p>
        ) : (
          <ul className="em-list">
            {s.allergies.map((a) => {
              const severity = asSeverity(a.severity);
              return (
                <li key={a.id}>
                  <strong>{a.substance}</strong>
                  {a.reaction && <> — {a.reaction}</>}
                  {severity && <> ({t(`records.severity.${severity}`)})</>}
                </li>
              );
            })}
          </ul>
        )}
      </section>
      <section className="emergency-section" aria-labelledby="em-meds">
        <H id="em-meds">{t("records.emergency.medications")}</H>
        {s.medications.length === 0 ? (
          <p>{t("records.emergency.noMedications")}</p>
        ) : (
          <ul className="em-list">
            {s.medications.map((m) => (
              <li key={m.id}>
                <strong>{m.name}</strong> — {m.dosage}
                {m.status === "on-hold" && <> ({t("records.meds.status.on-hold")})</>}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="emergency-section" aria-labelledby="em-problems">
        <H id="em-problems">{t("records.emergency.problems")}</H>
        {s.problems.length === 0 ? (
          <p>{t("records.emergency.noProblems")}</p>
        ) : (
          <ul className="em-list">
            {s.problems.map((c) => (
              <li key={c.id}>
                <strong>{c.name}</strong>
                {c.onsetOn && <> — {t("records.emergency.since", { date: f.calendarDate(c.onsetOn) })}</>}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="emergency-section" aria-labelledby="em-vaccines">
        <H id="em-vaccines">{t("records.emergency.vaccines")}</H>
        {s.immunizations.length === 0 ? (
          <p>{t("records.emergency.noVaccines")}</p>
        ) : (
          <ul className="em-list">
            {s.immunizations.map((v) => (
              <li key={v.id}>
                <strong>{v.vaccineName}</strong> — {f.calendarDate(v.occurredOn)}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="emergency-section" aria-labelledby="em-contacts">
        <H id="em-contacts">{t("records.emergency.contacts")}</H>
        {s.emergencyContacts.length === 0 ? (
          <p>{t("records.emergency.noContacts")}</p>
        ) : (
          <ul className="em-list">
            {s.emergencyContacts.map((c) => (
              <li key={c.id}>
                <strong>{c.name}</strong> ({c.relationship})
                <br />
                <a className="em-phone" href={`tel:${c.phone.replace(/[^\d+]/g, "")}`}>
                  {c.phone}
                </a>
                {c.email && (
                  <>
                    <br />
                    {c.email}
                  </>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
