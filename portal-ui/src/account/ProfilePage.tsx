// The patient's profile: contact details, preferred pharmacy and language (which also switches
// the portal's language), saved together; and the way to the other account pages.
import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql } from "@portico/client";
import { usePortal } from "../app/portal";
import { useProblem } from "../app/problem";
import type { MessageId } from "../i18n/catalog";
import { idsByField } from "./problems";
import { useLocale, useT } from "../i18n/I18n";
import { asLocale, LOCALES } from "../i18n/locale";
import { ErrorState, Field, LoadingState } from "../components/PageState";
import { Summary } from "./Summary";
import { OwnChartOnly } from "./OwnChartOnly";
import "./account.css";

const ProfileQuery = graphql(`
  query AccountProfile($patientId: ID!) {
    patient(id: $patientId) {
      id
      givenName
      familyName
      email
      phone
      addressLine
      city
      region
      postalCode
      preferredLanguage
      preferredPharmacy
    }
  }
`);

const SaveProfile = graphql(`
  mutation AccountSaveProfile($input: UpdateContactDetailsInput!) {
    updateContactDetails(input: $input) {
      patient {
        id
        email
        phone
        addressLine
        city
        region
        postalCode
        preferredLanguage
        preferredPharmacy
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const FIELDS = ["email", "phone", "addressLine", "city", "region", "postalCode", "preferredPharmacy", "preferredLanguage"] as const;
type FieldName = (typeof FIELDS)[number];
type Values = Record<FieldName, string>;

export default function ProfilePage() {
  const t = useT();
  return (
    <OwnChartOnly title={t("account.profile.title")}>
      <Profile />
    </OwnChartOnly>
  );
}

function Profile() {
  const { chart, me, reloadMe } = usePortal();
  const t = useT();
  const describe = useProblem();
  const { locale, setLocale } = useLocale();
  const patientId = chart.patient.id;
  const [{ data, error }, reload] = useQuery({ query: ProfileQuery, variables: { patientId } });
  const [saving, save] = useMutation(SaveProfile);
  const [values, setValues] = useState<Values | null>(null);
  const [saved, setSaved] = useState<Values | null>(null);
  const [problemIds, setProblems] = useState<Record<string, MessageId>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [status, setStatus] = useState<"saved" | "unchanged" | null>(null);

  useEffect(() => {
    if (!data || values) return;
    const p = data.patient;
    const initial: Values = {
      email: p.email ?? "",
      phone: p.phone ?? "",
      addressLine: p.addressLine ?? "",
      city: p.city ?? "",
      region: p.region ?? "",
      postalCode: p.postalCode ?? "",
      preferredPharmacy: p.preferredPharmacy ?? "",
      preferredLanguage: asLocale(p.preferredLanguage) ?? locale,
    };
    setValues(initial);
    setSaved(initial);
  }, [data, values, locale]);

  const problems = Object.fromEntries(Object.entries(problemIds).map(([f, id]) => [f, t(id)]));
  const title = t("account.profile.title");
  if (!values || !saved) {
    return (
      <>
        <h1>{title}</h1>
        {error ? <ErrorState problem={describe(error)} retry={() => reload({ requestPolicy: "network-only" })} /> : <LoadingState lines={8} />}
      </>
    );
  }

  const set = (name: FieldName, value: string) => {
    setValues({ ...values, [name]: value });
    setStatus(null);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    setStatus(null);
    const changed = FIELDS.filter((f) => values[f].trim() !== saved[f].trim());
    if (changed.length === 0) {
      setProblems({});
      setStatus("unchanged");
      return;
    }
    const input: { patientId: string } & Partial<Values> = { patientId };
    for (const f of changed) input[f] = values[f].trim();
    const result = await save({ input });
    if (result.error) {
      setFailure(result.error);
      return;
    }
    const payload = result.data?.updateContactDetails;
    if (!payload) return;
    if (payload.userErrors.length) {
      setProblems(idsByField(payload.userErrors));
      return;
    }
    setProblems({});
    const next = { ...values };
    for (const f of FIELDS) next[f] = next[f].trim();
    setValues(next);
    setSaved(next);
    setStatus("saved");
    const language = asLocale(next.preferredLanguage);
    if (changed.includes("preferredLanguage") && language && language !== locale) setLocale(language);
    if (changed.includes("preferredLanguage")) reloadMe();
  };

  const summary = Object.entries(problems).map(([field, sentence]) => ({ field: field === "_" || field === "input" ? undefined : field, sentence }));
  const text = (
    name: Exclude<FieldName, "preferredLanguage">,
    autoComplete: string,
    extra: { type?: string; inputMode?: "tel" | "email" | "text"; short?: boolean } = {},
    hint?: string,
  ) => (
    <Field id={name} label={t(`account.profile.${name}`)} hint={hint} error={problems[name]}>
      {(describedBy, invalid) => (
        <input
          id={name}
          type={extra.type ?? "text"}
          inputMode={extra.inputMode}
          autoComplete={autoComplete}
          value={values[name]}
          onChange={(e) => set(name, e.target.value)}
          aria-describedby={describedBy}
          aria-invalid={invalid}
          className={extra.short ? "medium-input" : undefined}
        />
      )}
    </Field>
  );

  return (
    <>
      <h1>{title}</h1>
      <p className="lead">{t("account.profile.lead", { name: `${chart.patient.givenName} ${chart.patient.familyName}` })}</p>
      <section aria-labelledby="profile-more" className="card more">
        <h2 id="profile-more">{t("account.profile.more")}</h2>
        <ul className="links compact">
          <li>
            <Link to="/settings/notifications">{t("account.nav.notifications")}</Link>
          </li>
          <li>
            <Link to="/profile/security">{t("account.nav.security")}</Link>
          </li>
          <li>
            <Link to="/profile/caregivers">{t("account.nav.caregivers")}</Link>
          </li>
          <li>
            <Link to="/profile/access-log">{t("account.nav.accessLog")}</Link>
          </li>
          <li>
            <Link to="/profile/feedback">{t("feedback.form.title")}</Link>
          </li>
        </ul>
      </section>
      <Summary problems={summary} />
      {failure !== null && <ErrorState problem={describe(failure)} />}
      {status === "saved" && (
        <p className="notice notice-ok" role="status">
          {t("account.profile.saved")}
        </p>
      )}
      {status === "unchanged" && (
        <p className="notice" role="status">
          {t("account.profile.unchanged")}
        </p>
      )}
      <form onSubmit={submit} noValidate className="stack profile-form">
        <fieldset className="group">
          <legend>
            <h2>{t("account.profile.contact")}</h2>
          </legend>
          {text("email", "email", { type: "email", inputMode: "email" }, t("account.profile.email.hint", { signIn: me.email }))}
          {text("phone", "tel", { type: "tel", inputMode: "tel" }, t("account.profile.phone.hint"))}
        </fieldset>
        <fieldset className="group">
          <legend>
            <h2>{t("account.profile.address")}</h2>
          </legend>
          {text("addressLine", "street-address")}
          {text("city", "address-level2")}
          {text("region", "address-level1", { short: true })}
          {text("postalCode", "postal-code", { short: true })}
        </fieldset>
        <fieldset className="group">
          <legend>
            <h2>{t("account.profile.care")}</h2>
          </legend>
          {text("preferredPharmacy", "off", {}, t("account.profile.preferredPharmacy.hint"))}
          <Field id="preferredLanguage" label={t("account.profile.preferredLanguage")} hint={t("account.profile.preferredLanguage.hint")} error={problems.preferredLanguage}>
            {(describedBy, invalid) => (
              <select
                id="preferredLanguage"
                value={values.preferredLanguage}
                onChange={(e) => set("preferredLanguage", e.target.value)}
                aria-describedby={describedBy}
                aria-invalid={invalid}
              >
                {LOCALES.map((l) => (
                  <option key={l} value={l} lang={l}>
                    {t(`app.language.${l}`)}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </fieldset>
        <div className="actions">
          <button type="submit" className="button" disabled={saving.fetching}>
            {saving.fetching ? t("account.saving") : t("account.profile.save")}
          </button>
        </div>
      </form>
    </>
  );
}
