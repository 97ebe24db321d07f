// The reminder email's link, signed out: `/visit#token=…`. The token is read from the
// address and removed from it at once; the patient confirms or cancels the visit (cancelling
// asks once more), and sees what happened, or why the link no longer works.
import { useEffect, useRef, useState } from "react";
import { Link } from "react-router";
import { graphql, post } from "@portico/client";
import { PRACTICE_SLUG } from "../app/address";
import { useProblem } from "../app/problem";
import { useT } from "../i18n/I18n";
import { ErrorState } from "../components/PageState";
import { CallPractice, codeError, useHeadingFocus } from "./shared";
import "./booking.css";

const AnswerMutation = graphql(`
  mutation PortalAnswerReminder($input: AnswerReminderInput!) {
    answerReminder(input: $input) {
      confirmed
      cancelled
      userErrors {
        field
        code
        message
      }
    }
  }
`);

type State =
  | { kind: "ask" }
  | { kind: "confirm-cancel" }
  | { kind: "done"; confirmed: boolean; cancelled: boolean }
  | { kind: "refused"; error: unknown };

/** The token in `#token=…`, read once. */
function readToken(): string | null {
  const hash = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  return hash.get("token");
}

export default function ReminderPage() {
  const t = useT();
  const describe = useProblem();
  const [token, setToken] = useState(readToken);
  const [state, setState] = useState<State>({ kind: "ask" });
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const firstState = useRef(true);
  useHeadingFocus();

  // The token leaves the address bar (and the history) as soon as it is read.
  useEffect(() => {
    const strip = () => {
      if (window.location.hash) window.history.replaceState(window.history.state, "", window.location.pathname + window.location.search);
    };
    strip();
    // A link opened while this page is already showing (the same tab).
    const onHash = () => {
      const next = readToken();
      if (next) {
        setToken(next);
        setState({ kind: "ask" });
      }
      strip();
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    if (firstState.current) {
      firstState.current = false;
      return;
    }
    heading.current?.setAttribute("tabindex", "-1");
    heading.current?.focus();
  }, [state.kind]);

  const answer = async (value: "CONFIRM" | "CANCEL") => {
    if (!token || busy) return;
    setBusy(true);
    try {
      const data = await post(AnswerMutation, { input: { token, answer: value } }, PRACTICE_SLUG);
      const error = data.answerReminder.userErrors[0];
      if (error) {
        setState({ kind: "refused", error: codeError(error.code) });
      } else {
        setState({ kind: "done", confirmed: data.answerReminder.confirmed, cancelled: data.answerReminder.cancelled });
      }
    } catch (error) {
      // A network failure: the patient may try again (the link was not used).
      setState({ kind: "ask" });
      setNetworkError(error);
    } finally {
      setBusy(false);
    }
  };
  const [networkError, setNetworkError] = useState<unknown>(null);
  const networkProblem = networkError === null ? null : describe(networkError);

  if (!token) {
    return (
      <>
        <h1 ref={heading}>{t("booking.reminder.title")}</h1>
        <p>{t("booking.reminder.noToken")}</p>
        <SignInLinks />
      </>
    );
  }
  if (state.kind === "done") {
    return (
      <>
        <h1 ref={heading}>{state.cancelled ? t("booking.reminder.cancelledTitle") : t("booking.reminder.confirmedTitle")}</h1>
        <p className="notice booking-done" role="status">
          {state.cancelled ? t("booking.reminder.cancelled") : t("booking.reminder.confirmed")}
        </p>
        {state.cancelled && <p>{t("booking.reminder.bookAgain")}</p>}
        <SignInLinks />
      </>
    );
  }
  if (state.kind === "refused") {
    const problem = describe(state.error);
    return (
      <>
        <h1 ref={heading}>{t("booking.reminder.refusedTitle")}</h1>
        <ErrorState problem={problem} />
        {problem.code === "INSIDE_CANCELLATION_WINDOW" && (
          <p>
            <CallPractice />
          </p>
        )}
        <SignInLinks />
      </>
    );
  }
  if (state.kind === "confirm-cancel") {
    return (
      <>
        <h1 ref={heading}>{t("booking.reminder.cancelTitle")}</h1>
        <p>{t("booking.reminder.cancelLead")}</p>
        {networkProblem && <ErrorState problem={networkProblem} />}
        <div className="booking-actions">
          <button type="button" className="button danger" disabled={busy} onClick={() => void answer("CANCEL")}>
            {busy ? t("booking.reminder.working") : t("booking.reminder.cancelYes")}
          </button>
          <button type="button" className="button secondary" disabled={busy} onClick={() => setState({ kind: "ask" })}>
            {t("booking.reminder.cancelNo")}
          </button>
        </div>
      </>
    );
  }
  return (
    <>
      <h1 ref={heading}>{t("booking.reminder.title")}</h1>
      <p className="lead">{t("booking.reminder.lead")}</p>
      {networkProblem && <ErrorState problem={networkProblem} />}
      <div className="booking-actions">
        <button type="button" className="button" disabled={busy} onClick={() => void answer("CONFIRM")}>
          {busy ? t("booking.reminder.working") : t("booking.reminder.confirm")}
        </button>
        <button type="button" className="button secondary" disabled={busy} onClick={() => (setNetworkError(null), setState({ kind: "confirm-cancel" }))}>
          {t("booking.reminder.cancel")}
        </button>
      </div>
      <p className="hint">{t("booking.reminder.noSignIn")}</p>
    </>
  );
}

function SignInLinks() {
  const t = useT();
  return (
    <ul className="links">
      <li>
        <Link to="/visits">{t("booking.reminder.signIn")}</Link>
      </li>
    </ul>
  );
}
