// The consent page of SMART App Launch: an app sent the patient here (through the server's
// authorize endpoint) to ask to read a record. The patient sees the app's name and where they
// will be sent back to, chooses whose record (their own or one shared with them), unticks
// what they do not want to share, and allows or refuses; either way the browser goes back to
// the app. A request answered or older than ten minutes cannot be used again.
import { useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";
import { useMutation, useQuery, type CombinedError } from "urql";
import { graphql } from "@portico/client";
import type { ConnectSmartRequestQuery } from "@portico/client/gql/graphql";
import { usePortal } from "../app/portal";
import { useProblem } from "../app/problem";
import { useT } from "../i18n/I18n";
import type { MessageId } from "../i18n/catalog";
import { ErrorState, LoadingState } from "../components/PageState";
import { Summary } from "../account/Summary";
import { idsByField } from "../account/problems";
import { hostOf, useScopeWords } from "./scopes";
import "../account/account.css";
import "./connect.css";

const RequestQuery = graphql(`
  query ConnectSmartRequest($id: ID!) {
    smartAuthorizationRequest(id: $id) {
      id
      appName
      redirectUri
      scopes {
        scope
        resourceType
        filter
      }
      charts {
        patientId
        givenName
        familyName
        relationship
      }
      expiresAt
    }
  }
`);

const Approve = graphql(`
  mutation ConnectApprove($i: ApproveSmartAuthorizationInput!) {
    approveSmartAuthorization(input: $i) {
      redirectUrl
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const Deny = graphql(`
  mutation ConnectDeny($id: ID!) {
    denySmartAuthorization(requestId: $id) {
      redirectUrl
      userErrors {
        field
        code
        message
      }
    }
  }
`);

type Request = ConnectSmartRequestQuery["smartAuthorizationRequest"];

/** Why the request cannot be shown: answered or too old, or no such request (a wrong or
 * damaged link, an app the practice turned off). */
type Gone = "expired" | "notFound";

function goneOf(error: CombinedError | undefined): Gone | null {
  const first = error?.graphQLErrors?.[0]?.extensions;
  if (!first) return null;
  if (first.code === "BAD_USER_INPUT" && first.reason === "SMART_REQUEST_EXPIRED") return "expired";
  // A request id that is not one at all is refused as bad input.
  if (first.code === "NOT_FOUND" || first.code === "BAD_USER_INPUT") return "notFound";
  return null;
}

export default function ConnectPage() {
  const { requestId = "" } = useParams();
  const t = useT();
  const describe = useProblem();
  const [{ data, error, fetching }, reload] = useQuery({ query: RequestQuery, variables: { id: requestId }, requestPolicy: "network-only" });
  const [gone, setGone] = useState<Gone | null>(null);

  const shownGone = gone ?? goneOf(error);
  if (shownGone) return <GonePage gone={shownGone} />;
  if (!data) {
    if (error && !fetching) {
      return (
        <>
          <h1>{t("app.opening")}</h1>
          <ErrorState problem={describe(error)} retry={() => reload({ requestPolicy: "network-only" })} />
        </>
      );
    }
    return <LoadingState label={t("connect.loading")} lines={6} />;
  }
  return <Consent request={data.smartAuthorizationRequest} onGone={setGone} />;
}

function GonePage({ gone }: { gone: Gone }) {
  const t = useT();
  return (
    <>
      <h1>{t(gone === "expired" ? "connect.expired.title" : "connect.notFound.title")}</h1>
      <p>{t(gone === "expired" ? "connect.expired.body" : "connect.notFound.body")}</p>
      <ul className="links">
        <li>
          <Link to="/">{t("connect.home")}</Link>
        </li>
      </ul>
    </>
  );
}

function Consent({ request, onGone }: { request: Request; onGone: (gone: Gone) => void }) {
  const t = useT();
  const words = useScopeWords();
  const describe = useProblem();
  const { chart } = usePortal();
  const [approving, approve] = useMutation(Approve);
  const [denying, deny] = useMutation(Deny);
  const charts = request.charts;
  // The chart open in the portal when it is one the app may read, else the patient's own.
  const [patientId, setPatientId] = useState(
    () =>
      (charts.find((c) => c.patientId === chart.patient.id) ?? charts.find((c) => c.relationship === "self") ?? charts[0])?.patientId ?? "",
  );
  const [ticked, setTicked] = useState<Set<string>>(() => new Set(request.scopes.map((s) => s.scope)));
  const [problemIds, setProblems] = useState<Record<string, MessageId>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [leaving, setLeaving] = useState(false);
  const host = hostOf(request.redirectUri);
  const busy = approving.fetching || denying.fetching || leaving;
  const problems = Object.fromEntries(Object.entries(problemIds).map(([f, id]) => [f, t(id)]));

  const toggle = (scope: string, on: boolean) => {
    const next = new Set(ticked);
    if (on) next.add(scope);
    else next.delete(scope);
    setTicked(next);
  };

  /** Where the answer leads: back to the app, or this page's reason it cannot be used. */
  const settle = (
    result: { error?: CombinedError; data?: { redirectUrl?: string | null; userErrors: readonly { field: string; code: string }[] } },
  ) => {
    if (result.error) {
      const g = goneOf(result.error);
      if (g) onGone(g);
      else setFailure(result.error);
      return;
    }
    const payload = result.data;
    if (!payload) return;
    if (payload.userErrors.some((e) => e.code === "SMART_REQUEST_EXPIRED")) return onGone("expired");
    if (payload.userErrors.length) return setProblems(idsByField(payload.userErrors));
    if (payload.redirectUrl) {
      setLeaving(true);
      // Back to the app: an address outside the portal.
      window.location.href = payload.redirectUrl;
    }
  };

  const allow = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    const scopes = request.scopes.filter((s) => ticked.has(s.scope)).map((s) => s.scope);
    const result = await approve({ i: { requestId: request.id, patientId, scopes } });
    settle({ error: result.error, data: result.data?.approveSmartAuthorization });
  };

  const refuse = async () => {
    setFailure(null);
    setProblems({});
    const result = await deny({ id: request.id });
    settle({ error: result.error, data: result.data?.denySmartAuthorization });
  };

  const summary = Object.entries(problems).map(([field, sentence]) => ({
    field: field === "scopes" ? "scope-0" : field === "patientId" ? "chart-0" : undefined,
    sentence,
  }));
  const only = charts[0];

  return (
    <>
      <h1>{t("connect.title", { app: request.appName })}</h1>
      <p className="lead">{t("connect.backTo", { host })}</p>
      <Summary problems={summary} />
      {failure !== null && <ErrorState problem={describe(failure)} />}
      <form onSubmit={allow} noValidate className="stack consent">
        {charts.length > 1 ? (
          <fieldset className={`group${problems.patientId ? " field-error" : ""}`}>
            <legend>
              <h2>{t("connect.chart.legend")}</h2>
            </legend>
            {problems.patientId && <p className="error-message">{problems.patientId}</p>}
            {charts.map((c, i) => (
              <div className="choice" key={c.patientId}>
                <input
                  id={`chart-${i}`}
                  type="radio"
                  name="chart"
                  value={c.patientId}
                  checked={patientId === c.patientId}
                  onChange={() => setPatientId(c.patientId)}
                  aria-describedby={c.relationship === "self" ? undefined : `chart-${i}-hint`}
                />
                <label htmlFor={`chart-${i}`}>
                  {c.relationship === "self" ? t("connect.chart.self") : t("connect.chart.proxy", { name: `${c.givenName} ${c.familyName}` })}
                  {c.relationship !== "self" && (
                    <span className="hint" id={`chart-${i}-hint`}>
                      {t("connect.chart.proxy.hint")}
                    </span>
                  )}
                </label>
              </div>
            ))}
          </fieldset>
        ) : (
          only && (
            <p className="consent-chart">
              {only.relationship === "self"
                ? t("connect.chart.onlySelf")
                : t("connect.chart.onlyProxy", { name: `${only.givenName} ${only.familyName}` })}
            </p>
          )
        )}
        <fieldset
          className={`group${problems.scopes ? " field-error" : ""}`}
          aria-describedby={`connect-scopes-hint${problems.scopes ? " connect-scopes-error" : ""}`}
        >
          <legend>
            <h2>{t("connect.scopes.legend")}</h2>
          </legend>
          <p className="hint" id="connect-scopes-hint">
            {t("connect.scopes.hint")}
          </p>
          {problems.scopes && (
            <p className="error-message" id="connect-scopes-error">
              {problems.scopes}
            </p>
          )}
          {request.scopes.map((s, i) => (
            <div className="choice" key={s.scope}>
              <input id={`scope-${i}`} type="checkbox" checked={ticked.has(s.scope)} onChange={(e) => toggle(s.scope, e.target.checked)} />
              <label htmlFor={`scope-${i}`}>{words(s)}</label>
            </div>
          ))}
        </fieldset>
        <div className="consent-promise">
          <p>{t("connect.readOnly")}</p>
          <p>{t("connect.removeLater")}</p>
        </div>
        <div className="actions">
          <button type="submit" className="button" disabled={busy}>
            {t("connect.allow")}
          </button>
          <button type="button" className="button secondary" disabled={busy} onClick={() => void refuse()}>
            {t("connect.deny")}
          </button>
        </div>
        {leaving && (
          <p className="notice" role="status">
            {t("connect.sending", { host })}
          </p>
        )}
      </form>
    </>
  );
}
