// The record's index: each section with a line saying what is in it, then the whole record to
// download (a FHIR file, for another doctor or an app) and a summary to print.
import { useState } from "react";
import { Link } from "react-router";
import { useClient } from "urql";
import { graphql } from "@portico/client";
import { allows, usePortal } from "../app/portal";
import { useBrand } from "../app/brandContext";
import { useProblem, type PortalProblem } from "../app/problem";
import { useT } from "../i18n/I18n";
import type { MessageId } from "../i18n/catalog";
import { ErrorState } from "../components/PageState";
import { Allowed, todayIn } from "./common";

const BundleQuery = graphql(`
  query PortalRecordBundle($patientId: ID!) {
    patient(id: $patientId) {
      id
      fhirBundle
    }
  }
`);

const SECTIONS: { to: string; title: MessageId; line: MessageId }[] = [
  { to: "/records/results", title: "records.results.title", line: "records.index.results" },
  { to: "/records/reports", title: "records.reports.title", line: "records.index.reports" },
  { to: "/records/visits", title: "records.visits.title", line: "records.index.visits" },
  { to: "/records/medications", title: "records.meds.title", line: "records.index.meds" },
  { to: "/records/allergies", title: "records.allergies.title", line: "records.index.allergies" },
  { to: "/records/problems", title: "records.problems.title", line: "records.index.problems" },
  { to: "/records/immunizations", title: "records.vaccines.title", line: "records.index.vaccines" },
  { to: "/records/emergency", title: "records.emergency.title", line: "records.index.emergency" },
  { to: "/records/readings", title: "readings.title", line: "readings.index" },
];

export default function RecordsPage() {
  const t = useT();
  const { chart } = usePortal();
  const self = chart.relationship === "self";
  const title = self ? t("records.index.title") : t("records.index.titleProxy", { name: chart.patient.givenName });
  return (
    <Allowed scopes={["READ"]} title={title}>
      <h1>{title}</h1>
      <p className="lead">{t("records.index.lead")}</p>
      <ul className="plain section-list">
        {SECTIONS.map((s) => (
          <li key={s.to}>
            <Link to={s.to} className="section-link" aria-describedby={`line-${s.to.replace(/\W/g, "")}`}>
              {t(s.title)}
            </Link>
            <p id={`line-${s.to.replace(/\W/g, "")}`} className="hint">
              {t(s.line)}
            </p>
          </li>
        ))}
        {(allows(chart, "REFILLS") || allows(chart, "READ")) && (
          <li>
            <Link to="/refills" className="section-link" aria-describedby="line-refills">
              {t("records.refills.title")}
            </Link>
            <p id="line-refills" className="hint">
              {t("records.index.refills")}
            </p>
          </li>
        )}
      </ul>
      <section className="card whole-record" aria-labelledby="whole-record">
        <h2 id="whole-record">{t("records.index.whole")}</h2>
        <p>{t("records.index.wholeLead")}</p>
        <Download />
        <p className="card-actions">
          <Link className="button secondary" to="/records/summary">
            {t("records.index.print")}
          </Link>
        </p>
      </section>
    </Allowed>
  );
}

function Download() {
  const t = useT();
  const client = useClient();
  const brand = useBrand();
  const { chart } = usePortal();
  const describe = useProblem();
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const [failure, setFailure] = useState<PortalProblem | null>(null);

  const download = async () => {
    setBusy(true);
    setSaved(null);
    setFailure(null);
    const result = await client.query(BundleQuery, { patientId: chart.patient.id }, { requestPolicy: "network-only" }).toPromise();
    setBusy(false);
    if (result.error || !result.data) {
      setFailure(describe(result.error));
      return;
    }
    const name = `${brand.slug}-record-${todayIn(brand.timeZone)}.json`;
    const blob = new Blob([JSON.stringify(result.data.patient.fhirBundle, null, 2)], { type: "application/fhir+json" });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setSaved(name);
  };

  return (
    <>
      <p className="card-actions">
        <button type="button" className="button" onClick={download} disabled={busy}>
          {busy ? t("records.index.downloading") : t("records.index.download")}
        </button>
      </p>
      <p className="hint">{t("records.index.downloadHint")}</p>
      <div role="status">{saved && <p className="notice success-notice">{t("records.index.saved", { file: saved })}</p>}</div>
      {failure && <ErrorState problem={failure} retry={download} />}
    </>
  );
}
