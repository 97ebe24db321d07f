// Ask for a refill of one medicine: which pharmacy (the patient's usual one filled in) and an
// optional note for the care team. What was typed stays when something is wrong; once sent,
// the refill requests page says so.
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql } from "@portico/client";
import { usePortal } from "../app/portal";
import { useFieldProblems, useProblem, type PortalProblem } from "../app/problem";
import { useFormat, useT } from "../i18n/I18n";
import { EmptyState, ErrorState, ErrorSummary, Field } from "../components/PageState";
import { Allowed, BackToRecords, Waiting } from "./common";

const RefillFormQuery = graphql(`
  query PortalRefillForm($patientId: ID!) {
    patient(id: $patientId) {
      id
      preferredPharmacy
      medications(first: 100) {
        nodes {
          id
          status
          name
          dosage
          refillsLeft
          lastFilledOn
          controlled
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

const RequestRefill = graphql(`
  mutation PortalRequestRefill($input: RequestRefillInput!) {
    requestRefill(input: $input) {
      refillRequest {
        id
        status
        createdAt
        medication {
          id
          name
        }
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const PHARMACY_MAX = 200;
export const NOTE_MAX = 1000;

export default function RefillRequestPage() {
  const t = useT();
  const { chart } = usePortal();
  return (
    <Allowed scopes={["REFILLS"]} title={t("records.refill.title")} refusal={t("records.notAllowed.refill", { name: chart.patient.givenName })}>
      <RefillForm />
    </Allowed>
  );
}

function RefillForm() {
  const { id = "" } = useParams();
  const { chart } = usePortal();
  const t = useT();
  const [{ data, error }, reload] = useQuery({ query: RefillFormQuery, variables: { patientId: chart.patient.id }, requestPolicy: "cache-and-network" });
  const medication = data?.patient.medications.nodes.find((m) => m.id === id);
  const pending = data?.refillRequests.some((r) => r.medicationId === id && (r.status === "requested" || r.status === "routed"));
  return (
    <>
      <BackToRecords to="/records/medications" label={t("records.refill.back")} />
      <h1>{t("records.refill.title")}</h1>
      {!data ? (
        <Waiting error={error} retry={() => reload({ requestPolicy: "network-only" })} label={t("records.refill.loading")} />
      ) : !medication || medication.status !== "active" ? (
        <EmptyState>
          <p>{t("records.refill.notActive")}</p>
          <p>
            <Link to="/records/medications">{t("records.refill.back")}</Link>
          </p>
        </EmptyState>
      ) : pending ? (
        <EmptyState>
          <p>{t("records.refill.alreadyPending", { name: medication.name })}</p>
          <p>
            <Link to="/refills">{t("records.meds.pendingLink")}</Link>
          </p>
        </EmptyState>
      ) : (
        <Form medication={medication} preferredPharmacy={data.patient.preferredPharmacy ?? ""} />
      )}
    </>
  );
}

function Form({
  medication,
  preferredPharmacy,
}: {
  medication: { id: string; name: string; dosage: string; refillsLeft: number; lastFilledOn?: string | null; controlled: boolean };
  preferredPharmacy: string;
}) {
  const t = useT();
  const f = useFormat();
  const navigate = useNavigate();
  const describe = useProblem();
  const fieldProblems = useFieldProblems();
  const [pharmacy, setPharmacy] = useState(preferredPharmacy);
  const [note, setNote] = useState("");
  const [problems, setProblems] = useState<{ field?: string; sentence: string }[]>([]);
  const [failure, setFailure] = useState<PortalProblem | null>(null);
  const [{ fetching }, request] = useMutation(RequestRefill);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const gaps = [
      !pharmacy.trim() && { field: "pharmacy", sentence: t("records.refill.required.pharmacy") },
      pharmacy.trim().length > PHARMACY_MAX && { field: "pharmacy", sentence: t("records.refill.tooLong.pharmacy", { max: PHARMACY_MAX }) },
      note.trim().length > NOTE_MAX && { field: "note", sentence: t("records.refill.tooLong.note", { max: NOTE_MAX }) },
    ].filter((g): g is { field: string; sentence: string } => Boolean(g));
    setProblems(gaps);
    setFailure(null);
    if (gaps.length) return;
    const result = await request({ input: { medicationId: medication.id, pharmacy: pharmacy.trim(), note: note.trim() || null } });
    const payload = result.data?.requestRefill;
    if (result.error || !payload) {
      setFailure(describe(result.error));
      return;
    }
    if (payload.userErrors.length) {
      const byField = fieldProblems(payload.userErrors);
      setProblems(
        Object.entries(byField).map(([field, sentence]) => (field === "pharmacy" || field === "note" ? { field, sentence } : { sentence })),
      );
      return;
    }
    navigate("/refills", { state: { requested: medication.name } });
  };

  const fieldError = (field: string) => problems.find((p) => p.field === field)?.sentence;
  return (
    <>
      <div className="card refill-medicine">
        <h2>{medication.name}</h2>
        <p>{medication.dosage}</p>
        {medication.lastFilledOn && <p className="hint">{t("records.refill.lastFilled", { date: f.calendarDate(medication.lastFilledOn) })}</p>}
        <p className="hint">{t("records.meds.refillsLeft", { count: medication.refillsLeft })}</p>
        {medication.controlled && <p className="hint">{t("records.meds.controlled")}</p>}
      </div>
      <ErrorSummary problems={problems} />
      {failure && <ErrorState problem={failure} />}
      <form onSubmit={submit} noValidate className="stack refill-form">
        <Field id="pharmacy" label={t("records.refill.pharmacy")} hint={t("records.refill.pharmacy.hint")} error={fieldError("pharmacy")}>
          {(describedBy, invalid) => (
            <input
              id="pharmacy"
              type="text"
              autoComplete="off"
              value={pharmacy}
              onChange={(e) => setPharmacy(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </Field>
        <Field id="note" label={t("records.refill.note")} hint={t("records.refill.note.hint", { max: NOTE_MAX })} error={fieldError("note")}>
          {(describedBy, invalid) => (
            <textarea id="note" value={note} onChange={(e) => setNote(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} />
          )}
        </Field>
        <p className="hint">{t("records.refill.next")}</p>
        <div className="card-actions">
          <button type="submit" className="button" disabled={fetching}>
            {fetching ? t("records.refill.sending") : t("records.refill.submit")}
          </button>
          <Link to="/records/medications">{t("records.refill.cancel")}</Link>
        </div>
      </form>
    </>
  );
}
