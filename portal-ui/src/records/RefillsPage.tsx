// The chart's refill requests, newest first (the notification emails link here): the medicine,
// when it was asked for, and where it stands in words: waiting, approved (with the quantity
// and refills), not approved (with the reason) or a visit needed first (with a way to book).
import { Link, useLocation } from "react-router";
import { useQuery } from "urql";
import { graphql } from "@portico/client";
import type { PortalRefillRequestsQuery } from "@portico/client/gql/graphql";
import { allows, usePortal } from "../app/portal";
import { useFormat, useT } from "../i18n/I18n";
import { EmptyState } from "../components/PageState";
import { Allowed, BackToRecords, Waiting } from "./common";

const RefillRequestsQuery = graphql(`
  query PortalRefillRequests($patientId: ID!) {
    refillRequests(patientId: $patientId) {
      id
      status
      pharmacy
      note
      dueAt
      overdue
      decidedAt
      approvedQuantity
      approvedRefills
      reason
      createdAt
      medication {
        id
        name
        dosage
      }
    }
  }
`);

type Refill = PortalRefillRequestsQuery["refillRequests"][number];

export default function RefillsPage() {
  const t = useT();
  return (
    <Allowed scopes={["READ", "REFILLS"]} title={t("records.refills.title")}>
      <BackToRecords to="/" label={t("records.backHome")} />
      <h1>{t("records.refills.title")}</h1>
      <Refills />
    </Allowed>
  );
}

function Refills() {
  const { chart } = usePortal();
  const t = useT();
  const location = useLocation();
  const requested = (location.state as { requested?: string } | null)?.requested;
  const [{ data, error }, reload] = useQuery({
    query: RefillRequestsQuery,
    variables: { patientId: chart.patient.id },
    requestPolicy: "cache-and-network",
  });
  const canAsk = allows(chart, "REFILLS") && allows(chart, "READ");
  return (
    <>
      {requested && (
        <p className="notice success-notice" role="status">
          <span aria-hidden="true">✓ </span>
          {t("records.refills.sent", { name: requested })}
        </p>
      )}
      <p className="lead">{t("records.refills.lead")}</p>
      {!data ? (
        <Waiting error={error} retry={() => reload({ requestPolicy: "network-only" })} label={t("records.refills.loading")} />
      ) : data.refillRequests.length === 0 ? (
        <EmptyState>
          <p>{t("records.refills.empty")}</p>
          {canAsk && (
            <p>
              <Link to="/records/medications">{t("records.refills.ask")}</Link>
            </p>
          )}
        </EmptyState>
      ) : (
        <>
          <ul className="plain card-list">
            {[...data.refillRequests]
              .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
              .map((r) => (
                <li key={r.id} className="card">
                  <RefillItem refill={r} />
                </li>
              ))}
          </ul>
          {canAsk && (
            <p>
              <Link to="/records/medications">{t("records.refills.ask")}</Link>
            </p>
          )}
        </>
      )}
    </>
  );
}

type Tone = "waiting" | "ok" | "no" | "visit";

function RefillItem({ refill: r }: { refill: Refill }) {
  const t = useT();
  const f = useFormat();
  const { chart } = usePortal();
  const name = r.medication?.name ?? t("records.refills.someMedicine");
  const [tone, label]: [Tone, string] =
    r.status === "approved"
      ? ["ok", t("records.refills.status.approved")]
      : r.status === "denied"
        ? ["no", t("records.refills.status.denied")]
        : r.status === "needs_appointment"
          ? ["visit", t("records.refills.status.needsAppointment")]
          : ["waiting", t("records.refills.status.waiting")];
  const icon = { waiting: "◷", ok: "✓", no: "✕", visit: "!" }[tone];
  return (
    <article aria-labelledby={`refill-${r.id}`}>
      <h2 id={`refill-${r.id}`} className="med-name">
        {name}
      </h2>
      <p>
        <span className={`refill-status refill-${tone}`}>
          <span aria-hidden="true" className="refill-icon">
            {icon}
          </span>{" "}
          {label}
        </span>
      </p>
      <dl className="facts">
        <div>
          <dt>{t("records.refills.asked")}</dt>
          <dd>{f.date(r.createdAt)}</dd>
        </div>
        {r.pharmacy && (
          <div>
            <dt>{t("records.refills.pharmacy")}</dt>
            <dd>{r.pharmacy}</dd>
          </div>
        )}
        {r.decidedAt && (
          <div>
            <dt>{t("records.refills.decided")}</dt>
            <dd>{f.date(r.decidedAt)}</dd>
          </div>
        )}
        {r.status === "approved" && r.approvedQuantity != null && (
          <div>
            <dt>{t("records.refills.quantity")}</dt>
            <dd>{f.number(r.approvedQuantity)}</dd>
          </div>
        )}
        {r.status === "approved" && r.approvedRefills != null && (
          <div>
            <dt>{t("records.refills.refills")}</dt>
            <dd>{f.number(r.approvedRefills)}</dd>
          </div>
        )}
      </dl>
      {r.note && (
        <div className="refill-reason">
          <h3>{t("records.refills.note")}</h3>
          <p>{r.note}</p>
        </div>
      )}
      {tone === "waiting" && r.dueAt && !r.overdue && <p className="hint">{t("records.refills.expected", { date: f.when(r.dueAt) })}</p>}
      {tone === "waiting" && r.overdue && <p className="hint">{t("records.refills.overdue")}</p>}
      {tone === "ok" && <p>{r.pharmacy ? t("records.refills.approvedNext", { pharmacy: r.pharmacy }) : t("records.refills.approvedNextNoPharmacy")}</p>}
      {r.reason && (tone === "no" || tone === "visit") && (
        <div className="refill-reason">
          <h3>{t("records.refills.reason")}</h3>
          <p>{r.reason}</p>
        </div>
      )}
      {tone === "no" && <p>{t("records.refills.deniedNext")}</p>}
      {tone === "visit" &&
        (allows(chart, "BOOK") ? (
          <p className="card-actions">
            <Link className="button" to="/book">
              {t("records.refills.book")}
            </Link>
          </p>
        ) : (
          <p>{t("records.refills.callToBook")}</p>
        ))}
    </article>
  );
}
