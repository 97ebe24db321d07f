// Register a patient and hand them the activation code that lets them join the portal.
import { useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation } from "urql";
import { fieldProblems, graphql, problemOf } from "@portico/client";
import { ErrorSummary, Field } from "../components/PageState";
import { formatDate, formatDateTime } from "../components/format";
import { useConsole } from "../app/session";

const Create = graphql(`
  mutation CreatePatient($input: CreatePatientInput!) {
    createPatient(input: $input) {
      patient {
        id
        givenName
        familyName
        birthDate
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const IssueCode = graphql(`
  mutation IssueActivationCode($patientId: ID!) {
    issueActivationCode(input: { patientId: $patientId }) {
      code
      expiresAt
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const LABELS: Record<string, string> = {
  givenName: "Given name",
  familyName: "Family name",
  birthDate: "Date of birth",
  gender: "Sex",
  mrn: "MRN",
  email: "Email",
  phone: "Mobile phone",
};

export default function RegisterPatientPage() {
  const { me } = useConsole();
  const [form, setForm] = useState({ givenName: "", familyName: "", birthDate: "", gender: "", mrn: "", email: "", phone: "" });
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<{ id: string; name: string; birthDate: string } | null>(null);
  const [activation, setActivation] = useState<{ code: string; expiresAt: string } | null>(null);
  const [, create] = useMutation(Create);
  const [issuing, issue] = useMutation(IssueCode);
  const busy = useRef(false);
  const [pending, setPending] = useState(false);

  const set = (name: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [name]: e.target.value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    // A double click registers one patient.
    if (busy.current) return;
    const missing: Record<string, string> = {};
    if (!form.givenName.trim()) missing.givenName = "Enter the patient's given name.";
    if (!form.familyName.trim()) missing.familyName = "Enter the patient's family name.";
    if (!form.birthDate) missing.birthDate = "Enter the date of birth.";
    if (!form.gender) missing.gender = "Choose the patient's sex as recorded.";
    setProblems(missing);
    if (Object.keys(missing).length) return;
    busy.current = true;
    setPending(true);
    try {
      const optional = (v: string) => v.trim() || null;
      const result = await create({
        input: {
          givenName: form.givenName.trim(),
          familyName: form.familyName.trim(),
          birthDate: form.birthDate,
          gender: form.gender,
          mrn: optional(form.mrn),
          email: optional(form.email),
          phone: optional(form.phone),
        },
      });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.createPatient;
      if (payload?.userErrors.length) return setProblems(fieldProblems(payload.userErrors));
      const p = payload?.patient;
      if (p) setCreated({ id: p.id, name: `${p.givenName} ${p.familyName}`, birthDate: p.birthDate });
    } finally {
      busy.current = false;
      setPending(false);
    }
  }

  async function issueCode() {
    if (!created || issuing.fetching) return;
    const result = await issue({ patientId: created.id });
    if (result.error) return setProblems({ _: problemOf(result.error).sentence });
    const payload = result.data?.issueActivationCode;
    if (payload?.userErrors.length) return setProblems(fieldProblems(payload.userErrors));
    if (payload?.code && payload.expiresAt) setActivation({ code: payload.code, expiresAt: payload.expiresAt });
  }

  if (created) {
    return (
      <>
        <h1>{created.name} is registered</h1>
        <p>Born {formatDate(created.birthDate)}.</p>
        <ErrorSummary problems={problems} labels={{}} />
        {activation ? (
          <section className="activation" aria-labelledby="activation-title">
            <h2 id="activation-title">Activation code</h2>
            <p className="code-display">{activation.code}</p>
            <p>
              Give this code to the patient. With it and their date of birth they can join the portal until{" "}
              {formatDateTime(activation.expiresAt, me.tenant.timeZone)}.
            </p>
            <button type="button" onClick={() => window.print()}>
              Print
            </button>
          </section>
        ) : (
          <button type="button" className="primary" onClick={() => void issueCode()} disabled={issuing.fetching}>
            Create an activation code
          </button>
        )}
        <p>
          <Link className="button" to={`/schedule/book?patient=${encodeURIComponent(created.id)}`} state={{ name: created.name }}>
            Book a visit for {created.name}
          </Link>
        </p>
        <p>
          <Link to="/patients">Back to patients</Link>
        </p>
      </>
    );
  }

  return (
    <>
      <h1>Register a patient</h1>
      <form onSubmit={submit} noValidate className="form">
        <ErrorSummary problems={problems} labels={LABELS} />
        <Field name="givenName" label={LABELS.givenName!} error={problems.givenName}>
          {(p) => <input {...p} value={form.givenName} onChange={set("givenName")} autoComplete="off" />}
        </Field>
        <Field name="familyName" label={LABELS.familyName!} error={problems.familyName}>
          {(p) => <input {...p} value={form.familyName} onChange={set("familyName")} autoComplete="off" />}
        </Field>
        <Field name="birthDate" label={LABELS.birthDate!} error={problems.birthDate}>
          {(p) => <input {...p} type="date" value={form.birthDate} onChange={set("birthDate")} />}
        </Field>
        <Field name="gender" label={LABELS.gender!} error={problems.gender}>
          {(p) => (
            <select {...p} value={form.gender} onChange={set("gender")}>
              <option value="">Choose…</option>
              <option value="female">Female</option>
              <option value="male">Male</option>
              <option value="other">Other</option>
              <option value="unknown">Unknown</option>
            </select>
          )}
        </Field>
        <Field name="mrn" label={`${LABELS.mrn} (optional)`} error={problems.mrn}>
          {(p) => <input {...p} value={form.mrn} onChange={set("mrn")} autoComplete="off" />}
        </Field>
        <Field name="email" label={`${LABELS.email} (optional)`} error={problems.email}>
          {(p) => <input {...p} type="email" value={form.email} onChange={set("email")} autoComplete="off" />}
        </Field>
        <Field name="phone" label={`${LABELS.phone} (optional)`} error={problems.phone}>
          {(p) => <input {...p} type="tel" value={form.phone} onChange={set("phone")} autoComplete="off" />}
        </Field>
        <button type="submit" className="primary" disabled={pending}>
          Register
        </button>
      </form>
    </>
  );
}
