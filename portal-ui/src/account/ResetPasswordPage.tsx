// The emailed link: /reset-password#token=... The token is read from the fragment (never sent
// to the server in a URL) and taken out of the address bar at once; then a new password.
import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { graphql, post } from "@portico/client";
import { PRACTICE_SLUG } from "../app/address";
import { useProblem } from "../app/problem";
import { errorId, useSentences, type Problem } from "./problems";
import { useT } from "../i18n/I18n";
import { ErrorState } from "../components/PageState";
import { Summary } from "./Summary";
import { NewPassword } from "./NewPassword";
import { usePasswordMinimum } from "./policy";
import "./account.css";

const ResetPassword = graphql(`
  mutation AccountResetPassword($input: ResetPasswordInput!) {
    resetPassword(input: $input) {
      reset
      userErrors {
        field
        code
        message
      }
    }
  }
`);

function tokenFromAddress(): string | null {
  const hash = window.location.hash.replace(/^#/, "");
  return new URLSearchParams(hash).get("token");
}

export default function ResetPasswordPage() {
  const t = useT();
  const minLength = usePasswordMinimum();
  const describe = useProblem();
  const sentences = useSentences();
  const [token] = useState(tokenFromAddress);
  const [password, setPassword] = useState("");
  const [problem, setError] = useState<Problem | undefined>();
  const error = problem && sentences([problem])[0]?.sentence;
  // Why the link cannot be used: none in the address, or the API's code (expired, used).
  const [linkCode, setLinkCode] = useState<string | null>(token ? null : "MISSING");
  const [failure, setFailure] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    // Out of the address bar (and so out of the history and of anything copied from it).
    if (window.location.hash) window.history.replaceState(window.history.state, "", window.location.pathname + window.location.search);
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    if ([...password].length < minLength) {
      setError({ field: "password", id: "account.password.tooShort", values: { min: minLength } });
      return;
    }
    setError(undefined);
    setBusy(true);
    try {
      const data = await post(ResetPassword, { input: { token: token ?? "", password } }, PRACTICE_SLUG);
      const payload = data.resetPassword;
      if (payload.reset) {
        setDone(true);
        return;
      }
      const tokenError = payload.userErrors.find((u) => u.field === "token");
      if (tokenError) setLinkCode(tokenError.code);
      else {
        const other = payload.userErrors.find((u) => u.field === "password") ?? payload.userErrors[0];
        setError({ field: "password", id: other ? errorId(other.code) : "error.INTERNAL" });
      }
    } catch (err) {
      setFailure(err);
    } finally {
      setBusy(false);
    }
  };

  if (done) {
    return (
      <>
        <h1>{t("account.reset.done.title")}</h1>
        <p className="notice notice-ok" role="status">
          {t("account.reset.done.body")}
        </p>
        <p>
          <Link className="button" to="/sign-in">
            {t("account.reset.done.signIn")}
          </Link>
        </p>
      </>
    );
  }

  if (linkCode) {
    return (
      <>
        <h1>{t("account.reset.bad.title")}</h1>
        <p>{linkCode === "MISSING" ? t("account.reset.noToken") : t(errorId(linkCode))}</p>
        <p>
          <Link className="button" to="/forgot-password">
            {t("account.reset.bad.again")}
          </Link>
        </p>
      </>
    );
  }

  return (
    <>
      <h1>{t("account.reset.title")}</h1>
      <p>{t("account.reset.lead")}</p>
      <Summary problems={error ? [{ field: "password", sentence: error }] : []} />
      {failure !== null && <ErrorState problem={describe(failure)} />}
      <form onSubmit={submit} noValidate className="stack">
        <NewPassword id="password" value={password} onChange={setPassword} error={error} />
        <button type="submit" className="button" disabled={busy}>
          {busy ? t("account.reset.working") : t("account.reset.submit")}
        </button>
      </form>
    </>
  );
}
