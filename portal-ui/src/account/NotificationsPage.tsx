// How the practice reaches the patient (the notification emails link here): email, text
// messages (which need a mobile number), or nothing at all.
import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql } from "@portico/client";
import { usePortal } from "../app/portal";
import { useProblem } from "../app/problem";
import type { MessageId } from "../i18n/catalog";
import { idsByField } from "./problems";
import { useFormat, useT } from "../i18n/I18n";
import { ErrorState, LoadingState } from "../components/PageState";
import { Summary } from "./Summary";
import { OwnChartOnly } from "./OwnChartOnly";
import "./account.css";

const PreferencesQuery = graphql(`
  query AccountNotificationPreferences($patientId: ID!) {
    patient(id: $patientId) {
      id
      email
      phone
      notificationPreferences {
        email
        sms
        optedOut
        emailBouncedAt
        smsBouncedAt
      }
    }
  }
`);

const SavePreferences = graphql(`
  mutation AccountSaveNotificationPreferences($input: UpdateNotificationPreferencesInput!) {
    updateNotificationPreferences(input: $input) {
      patient {
        id
        notificationPreferences {
          email
          sms
          optedOut
          emailBouncedAt
          smsBouncedAt
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

interface Choice {
  email: boolean;
  sms: boolean;
  optedOut: boolean;
}

export default function NotificationsPage() {
  const t = useT();
  return (
    <OwnChartOnly title={t("account.notifications.title")}>
      <Notifications />
    </OwnChartOnly>
  );
}

function Notifications() {
  const { chart } = usePortal();
  const t = useT();
  const f = useFormat();
  const describe = useProblem();
  const patientId = chart.patient.id;
  const [{ data, error }, reload] = useQuery({ query: PreferencesQuery, variables: { patientId } });
  const [saving, save] = useMutation(SavePreferences);
  const [choice, setChoice] = useState<Choice | null>(null);
  const [saved, setSaved] = useState<Choice | null>(null);
  const [problemIds, setProblems] = useState<Record<string, MessageId>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [status, setStatus] = useState<"saved" | "unchanged" | null>(null);

  useEffect(() => {
    if (!data || choice) return;
    const p = data.patient.notificationPreferences;
    const initial = { email: p.email, sms: p.sms, optedOut: p.optedOut };
    setChoice(initial);
    setSaved(initial);
  }, [data, choice]);

  const problems = Object.fromEntries(Object.entries(problemIds).map(([f, id]) => [f, t(id)]));
  const title = t("account.notifications.title");
  if (!data || !choice || !saved) {
    return (
      <>
        <h1>{title}</h1>
        {error ? <ErrorState problem={describe(error)} retry={() => reload({ requestPolicy: "network-only" })} /> : <LoadingState lines={5} />}
      </>
    );
  }
  const prefs = data.patient.notificationPreferences;

  const set = (key: keyof Choice, value: boolean) => {
    setChoice({ ...choice, [key]: value });
    setStatus(null);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    setStatus(null);
    const input: { patientId: string; email?: boolean; sms?: boolean; optedOut?: boolean } = { patientId };
    let any = false;
    for (const key of ["email", "sms", "optedOut"] as const) {
      if (choice[key] !== saved[key]) {
        input[key] = choice[key];
        any = true;
      }
    }
    if (!any) {
      setProblems({});
      setStatus("unchanged");
      return;
    }
    const result = await save({ input });
    if (result.error) return setFailure(result.error);
    const payload = result.data?.updateNotificationPreferences;
    if (!payload) return;
    if (payload.userErrors.length) return setProblems(idsByField(payload.userErrors));
    setProblems({});
    setSaved(choice);
    setStatus("saved");
  };

  const summary = Object.entries(problems).map(([field, sentence]) => ({
    field: field === "sms" || field === "email" ? `notify-${field}` : undefined,
    sentence,
  }));

  return (
    <>
      <h1>{title}</h1>
      <p className="lead">{t("account.notifications.lead")}</p>
      <Summary problems={summary} />
      {failure !== null && <ErrorState problem={describe(failure)} />}
      {status === "saved" && (
        <p className="notice notice-ok" role="status">
          {saved.optedOut ? t("account.notifications.saved.off") : t("account.notifications.saved")}
        </p>
      )}
      {status === "unchanged" && (
        <p className="notice" role="status">
          {t("account.profile.unchanged")}
        </p>
      )}
      {prefs.emailBouncedAt && <p className="notice">{t("account.notifications.emailBounced", { date: f.date(prefs.emailBouncedAt) })}</p>}
      {prefs.smsBouncedAt && <p className="notice">{t("account.notifications.smsBounced", { date: f.date(prefs.smsBouncedAt) })}</p>}
      <form onSubmit={submit} noValidate className="stack">
        <fieldset className={`group${problems.email || problems.sms ? " field-error" : ""}`} disabled={choice.optedOut}>
          <legend>
            <h2>{t("account.notifications.how")}</h2>
          </legend>
          <div className="choice">
            <input id="notify-email" type="checkbox" checked={choice.email && !choice.optedOut} onChange={(e) => set("email", e.target.checked)} aria-describedby="notify-email-hint" />
            <label htmlFor="notify-email">
              {t("account.notifications.email")}
              <span className="hint" id="notify-email-hint">
                {data.patient.email ? t("account.notifications.email.to", { email: data.patient.email }) : t("account.notifications.email.none")}
              </span>
            </label>
          </div>
          <div className="choice">
            <input
              id="notify-sms"
              type="checkbox"
              checked={choice.sms && !choice.optedOut}
              onChange={(e) => set("sms", e.target.checked)}
              aria-describedby={`notify-sms-hint${problems.sms ? " notify-sms-error" : ""}`}
              aria-invalid={Boolean(problems.sms)}
            />
            <label htmlFor="notify-sms">
              {t("account.notifications.sms")}
              <span className="hint" id="notify-sms-hint">
                {data.patient.phone ? t("account.notifications.sms.to", { phone: data.patient.phone }) : t("account.notifications.sms.none")}
              </span>
            </label>
          </div>
          {problems.sms && (
            <p className="error-message" id="notify-sms-error">
              {problems.sms}
            </p>
          )}
          <p className="hint">
            {t("account.notifications.sms.needs")} <Link to="/profile">{t("account.notifications.changeContact")}</Link>
          </p>
        </fieldset>
        <fieldset className="group">
          <legend>
            <h2>{t("account.notifications.stop.title")}</h2>
          </legend>
          <div className="choice">
            <input id="notify-optout" type="checkbox" checked={choice.optedOut} onChange={(e) => set("optedOut", e.target.checked)} aria-describedby="notify-optout-hint" />
            <label htmlFor="notify-optout">
              {t("account.notifications.stop")}
              <span className="hint" id="notify-optout-hint">
                {t("account.notifications.stop.hint")}
              </span>
            </label>
          </div>
        </fieldset>
        <div className="actions">
          <button type="submit" className="button" disabled={saving.fetching}>
            {saving.fetching ? t("account.saving") : t("account.notifications.save")}
          </button>
        </div>
      </form>
    </>
  );
}
