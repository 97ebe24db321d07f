// The people who may use the portal for the patient (a parent, a partner, a carer): who they
// are, what each may do and until when; giving someone access by email; ending it after a
// confirmation. Only for the patient's own chart.
import { useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql } from "@portico/client";
import { usePortal } from "../app/portal";
import { useProblem } from "../app/problem";
import type { MessageId } from "../i18n/catalog";
import { idsByField } from "./problems";
import { useFormat, useT } from "../i18n/I18n";
import { EmptyState, ErrorState, Field, LoadingState } from "../components/PageState";
import { Summary } from "./Summary";
import { OwnChartOnly } from "./OwnChartOnly";
import "./account.css";

const GrantsQuery = graphql(`
  query AccountProxyGrants($patientId: ID!) {
    proxyGrants(patientId: $patientId) {
      id
      granteeEmail
      scopes
      createdAt
      endsAt
      revokedAt
    }
  }
`);

const Grant = graphql(`
  mutation AccountGrantProxy($input: GrantProxyAccessInput!) {
    grantProxyAccess(input: $input) {
      grant {
        id
        granteeEmail
        scopes
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const Revoke = graphql(`
  mutation AccountRevokeProxy($id: ID!) {
    revokeProxyAccess(input: { id: $id }) {
      grant {
        id
        revokedAt
      }
    }
  }
`);

const SCOPES = ["READ", "MESSAGE", "BOOK", "REFILLS", "READINGS"] as const;
type ProxyScope = (typeof SCOPES)[number];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The first day an end date may be, as the date box takes it (YYYY-MM-DD, this device's day). */
function tomorrow(): string {
  const d = new Date(Date.now() + 86_400_000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

export default function CaregiversPage() {
  const t = useT();
  return (
    <OwnChartOnly title={t("account.caregivers.title")}>
      <Caregivers />
    </OwnChartOnly>
  );
}

function Caregivers() {
  const { chart } = usePortal();
  const t = useT();
  const f = useFormat();
  const describe = useProblem();
  const patientId = chart.patient.id;
  const [{ data, error }, reload] = useQuery({ query: GrantsQuery, variables: { patientId } });
  const [granting, grant] = useMutation(Grant);
  const [revoking, revoke] = useMutation(Revoke);
  const refresh = () => reload({ requestPolicy: "network-only" });

  const [email, setEmail] = useState("");
  const [scopes, setScopes] = useState<ProxyScope[]>(["READ"]);
  const [endsOn, setEndsOn] = useState("");
  const [problemIds, setProblems] = useState<Record<string, MessageId>>({});
  const problems = Object.fromEntries(Object.entries(problemIds).map(([f, id]) => [f, t(id)]));
  const [failure, setFailure] = useState<unknown>(null);
  const [done, setDone] = useState<{ kind: "granted" | "revoked"; email: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const listHeading = useRef<HTMLHeadingElement>(null);

  const now = Date.now();
  const grants = data?.proxyGrants ?? [];
  const active = grants.filter((g) => !g.revokedAt && (!g.endsAt || Date.parse(g.endsAt) > now));
  const ended = grants.filter((g) => !active.includes(g));

  const scopeWords = (list: readonly string[]) => list.map((s) => t(`account.caregivers.scope.${s}` as "account.caregivers.scope.READ")).join(", ");

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    setDone(null);
    const found: Record<string, MessageId> = {};
    if (!EMAIL.test(email.trim())) found.granteeEmail = email.trim() ? "error.INVALID_EMAIL" : "account.activate.required.email";
    if (scopes.length === 0) found.scopes = "error.INVALID_SCOPES";
    if (endsOn && !(Date.parse(`${endsOn}T23:59:59`) > now)) found.endsAt = "account.caregivers.endsOn.future";
    setProblems(found);
    if (Object.keys(found).length) return;
    const result = await grant({
      input: {
        patientId,
        granteeEmail: email.trim(),
        scopes: SCOPES.filter((s) => scopes.includes(s)),
        endsAt: endsOn ? new Date(`${endsOn}T23:59:59`).toISOString() : null,
      },
    });
    if (result.error) return setFailure(result.error);
    const payload = result.data?.grantProxyAccess;
    if (!payload) return;
    if (payload.userErrors.length) return setProblems(idsByField(payload.userErrors));
    setDone({ kind: "granted", email: email.trim() });
    setEmail("");
    setScopes(["READ"]);
    setEndsOn("");
    refresh();
  };

  const stop = async (id: string, who: string) => {
    setFailure(null);
    const result = await revoke({ id });
    if (result.error) return setFailure(result.error);
    setConfirming(null);
    setDone({ kind: "revoked", email: who });
    refresh();
    // The button pressed is gone: the list's heading takes the focus.
    listHeading.current?.focus();
  };

  const ids: Record<string, string> = { granteeEmail: "grantee-email", scopes: "scope-READ", endsAt: "ends-on" };
  const summary = Object.entries(problems).map(([field, sentence]) => ({ field: ids[field], sentence }));

  return (
    <>
      <h1>{t("account.caregivers.title")}</h1>
      <p className="lead">{t("account.caregivers.lead")}</p>
      {done && (
        <p className="notice notice-ok" role="status">
          {done.kind === "granted" ? t("account.caregivers.granted", { email: done.email }) : t("account.caregivers.revoked", { email: done.email })}
        </p>
      )}
      {failure !== null && <ErrorState problem={describe(failure)} />}
      <section aria-labelledby="caregivers-now">
        <h2 id="caregivers-now" ref={listHeading} tabIndex={-1}>{t("account.caregivers.now")}</h2>
        {!data ? (
          error ? (
            <ErrorState problem={describe(error)} retry={refresh} />
          ) : (
            <LoadingState lines={3} />
          )
        ) : active.length === 0 ? (
          <EmptyState>
            <p>{t("account.caregivers.none")}</p>
          </EmptyState>
        ) : (
          <ul className="plain grants">
            {active.map((g) => (
              <li key={g.id}>
                <p className="grant-who">
                  <strong>{g.granteeEmail}</strong>
                </p>
                <p>{t("account.caregivers.can", { what: scopeWords(g.scopes) })}</p>
                <p className="hint">
                  {g.endsAt
                    ? t("account.caregivers.sinceUntil", { since: f.date(g.createdAt), until: f.date(g.endsAt) })
                    : t("account.caregivers.since", { since: f.date(g.createdAt) })}
                </p>
                {confirming === g.id ? (
                  <div className="confirm" role="group" aria-labelledby={`confirm-${g.id}`}>
                    <p id={`confirm-${g.id}`}>
                      <strong>{t("account.caregivers.confirm", { email: g.granteeEmail })}</strong>
                    </p>
                    <div className="actions">
                      <button type="button" className="button danger" disabled={revoking.fetching} onClick={() => void stop(g.id, g.granteeEmail)}>
                        {t("account.caregivers.confirm.yes")}
                      </button>
                      <button type="button" className="button secondary" onClick={() => setConfirming(null)} autoFocus>
                        {t("account.caregivers.confirm.no")}
                      </button>
                    </div>
                  </div>
                ) : (
                  <button type="button" className="button secondary" onClick={() => setConfirming(g.id)} aria-label={t("account.caregivers.revoke.label", { email: g.granteeEmail })}>
                    {t("account.caregivers.revoke")}
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="caregivers-add" className="card add-grant">
        <h2 id="caregivers-add">{t("account.caregivers.add")}</h2>
        <p>{t("account.caregivers.add.lead")}</p>
        <Summary problems={summary} />
        <form onSubmit={submit} noValidate className="stack">
          <Field id="grantee-email" label={t("account.caregivers.email")} hint={t("account.caregivers.email.hint")} error={problems.granteeEmail}>
            {(describedBy, invalid) => (
              <input
                id="grantee-email"
                type="email"
                autoComplete="off"
                value={email}
                onChange={(e) => setEmail(e.target.value)}
                aria-describedby={describedBy}
                aria-invalid={invalid}
              />
            )}
          </Field>
          <fieldset className={`group${problems.scopes ? " field-error" : ""}`} aria-describedby={problems.scopes ? "scopes-error" : undefined}>
            <legend>{t("account.caregivers.scopes")}</legend>
            {problems.scopes && (
              <p className="error-message" id="scopes-error">
                {problems.scopes}
              </p>
            )}
            {SCOPES.map((s) => (
              <div className="choice" key={s}>
                <input
                  id={`scope-${s}`}
                  type="checkbox"
                  checked={scopes.includes(s)}
                  onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))}
                  aria-describedby={`scope-${s}-hint`}
                />
                <label htmlFor={`scope-${s}`}>
                  {t(`account.caregivers.scope.${s}`)}
                  <span className="hint" id={`scope-${s}-hint`}>
                    {t(`account.caregivers.scope.${s}.hint`)}
                  </span>
                </label>
              </div>
            ))}
          </fieldset>
          <Field id="ends-on" label={t("account.caregivers.endsOn")} hint={t("account.caregivers.endsOn.hint")} error={problems.endsAt}>
            {(describedBy, invalid) => (
              <input id="ends-on" type="date" min={tomorrow()} value={endsOn} onChange={(e) => setEndsOn(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} className="medium-input" />
            )}
          </Field>
          <div className="actions">
            <button type="submit" className="button" disabled={granting.fetching}>
              {granting.fetching ? t("account.saving") : t("account.caregivers.give")}
            </button>
          </div>
        </form>
      </section>
      {ended.length > 0 && (
        <section aria-labelledby="caregivers-ended">
          <h2 id="caregivers-ended">{t("account.caregivers.ended")}</h2>
          <ul className="plain grants">
            {ended.map((g) => (
              <li key={g.id}>
                <strong>{g.granteeEmail}</strong>
                <br />
                <span className="hint">{t("account.caregivers.endedOn", { date: f.date(g.revokedAt ?? g.endsAt ?? g.createdAt) })}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <ul className="links">
        <li>
          <Link to="/profile">{t("account.backToProfile")}</Link>
        </li>
      </ul>
    </>
  );
}
