// The feedback survey's link, signed out: `/feedback#token=…`. The token is read from the
// address and removed from it at once; the patient picks a rating from 0 to 10, may add a
// comment, and sees a thank-you, or why the link no longer works (answered, expired).
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { graphql, post } from "@portico/client";
import { PRACTICE_SLUG } from "../app/address";
import { useBrand } from "../app/brandContext";
import { useProblem } from "../app/problem";
import { useT } from "../i18n/I18n";
import { ErrorState, ErrorSummary } from "../components/PageState";
import "./feedback.css";

const AnswerMutation = graphql(`
  mutation PortalAnswerFeedbackSurvey($input: AnswerFeedbackSurveyInput!) {
    answerFeedbackSurvey(input: $input) {
      answered
      userErrors {
        field
        code
        message
      }
    }
  }
`);

/** The longest comment the practice keeps. */
export const COMMENT_MAX = 2000;
const RATINGS = Array.from({ length: 11 }, (_, i) => i);

type Refusal = "SURVEY_ALREADY_ANSWERED" | "SURVEY_EXPIRED" | "INVALID_LINK";
type State = { kind: "ask" } | { kind: "done" } | { kind: "refused"; code: Refusal };

/** The token in `#token=…`, read once. */
function readToken(): string | null {
  const hash = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  return hash.get("token");
}

export default function SurveyPage() {
  const t = useT();
  const brand = useBrand();
  const describe = useProblem();
  const [token] = useState(readToken);
  const [state, setState] = useState<State>({ kind: "ask" });
  const [rating, setRating] = useState<number | null>(null);
  const [comment, setComment] = useState("");
  const [problems, setProblems] = useState<{ field?: string; sentence: string }[]>([]);
  const [networkError, setNetworkError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const firstState = useRef(true);

  // The token leaves the address bar (and the history) as soon as it is read.
  useEffect(() => {
    if (window.location.hash) window.history.replaceState(window.history.state, "", window.location.pathname + window.location.search);
  }, []);
  useEffect(() => {
    if (firstState.current) {
      firstState.current = false;
      return;
    }
    heading.current?.setAttribute("tabindex", "-1");
    heading.current?.focus();
  }, [state.kind]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!token || busy) return;
    const gaps = [
      rating === null && { field: "rating-0", sentence: t("feedback.survey.required.rating") },
      comment.trim().length > COMMENT_MAX && { field: "comment", sentence: t("feedback.tooLong.comment", { max: COMMENT_MAX }) },
    ].filter((g): g is { field: string; sentence: string } => Boolean(g));
    setProblems(gaps);
    setNetworkError(null);
    if (gaps.length || rating === null) return;
    setBusy(true);
    try {
      const data = await post(AnswerMutation, { input: { token, rating, comment: comment.trim() || null } }, PRACTICE_SLUG);
      const error = data.answerFeedbackSurvey.userErrors[0];
      if (!error) {
        setState({ kind: "done" });
      } else if (error.code === "SURVEY_ALREADY_ANSWERED" || error.code === "SURVEY_EXPIRED" || error.code === "INVALID_LINK") {
        setState({ kind: "refused", code: error.code });
      } else if (error.field === "comment") {
        setProblems([{ field: "comment", sentence: t("feedback.tooLong.comment", { max: COMMENT_MAX }) }]);
      } else {
        setProblems([{ field: "rating-0", sentence: t("feedback.survey.required.rating") }]);
      }
    } catch (error) {
      // A network failure: the patient may try again (nothing was saved).
      setNetworkError(error);
    } finally {
      setBusy(false);
    }
  };

  if (!token) {
    return (
      <>
        <h1 ref={heading}>{t("feedback.survey.title")}</h1>
        <p>{t("feedback.survey.noToken")}</p>
      </>
    );
  }
  if (state.kind === "done") {
    return (
      <>
        <h1 ref={heading}>{t("feedback.survey.thanksTitle")}</h1>
        <p className="notice feedback-done" role="status">
          {t("feedback.survey.thanks", { practice: brand.displayName })}
        </p>
        <SignInLink />
      </>
    );
  }
  if (state.kind === "refused") {
    const [title, body] =
      state.code === "SURVEY_ALREADY_ANSWERED"
        ? (["feedback.survey.answeredTitle", "feedback.survey.answered"] as const)
        : state.code === "SURVEY_EXPIRED"
          ? (["feedback.survey.expiredTitle", "feedback.survey.expired"] as const)
          : (["feedback.survey.invalidTitle", "feedback.survey.invalid"] as const);
    return (
      <>
        <h1 ref={heading}>{t(title)}</h1>
        <p>{t(body)}</p>
        <SignInLink />
      </>
    );
  }
  const fieldError = (field: string) => problems.find((p) => p.field === field)?.sentence;
  const ratingError = fieldError("rating-0");
  const commentError = fieldError("comment");
  return (
    <>
      <h1 ref={heading}>{t("feedback.survey.title")}</h1>
      <p className="lead">{t("feedback.survey.lead", { practice: brand.displayName })}</p>
      <ErrorSummary problems={problems} />
      {networkError !== null && <ErrorState problem={describe(networkError)} />}
      <form onSubmit={submit} noValidate className="stack feedback-form">
        <fieldset className={`field${ratingError ? " field-error" : ""}`} aria-describedby={`rating-hint${ratingError ? " rating-error" : ""}`}>
          <legend>{t("feedback.survey.question", { practice: brand.displayName })}</legend>
          <p className="hint" id="rating-hint">
            {t("feedback.survey.scale")}
          </p>
          {ratingError && (
            <p className="error-message" id="rating-error">
              {ratingError}
            </p>
          )}
          <div className="rating-scale">
            {RATINGS.map((value) => (
              <label key={value} className="rating-option">
                <input id={`rating-${value}`} type="radio" name="rating" value={value} checked={rating === value} onChange={() => setRating(value)} />
                <span>{value}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <div className={`field${commentError ? " field-error" : ""}`}>
          <label htmlFor="comment">{t("feedback.comment")}</label>
          <p className="hint" id="comment-hint">
            {t("feedback.comment.hint", { max: COMMENT_MAX })}
          </p>
          {commentError && (
            <p className="error-message" id="comment-error">
              {commentError}
            </p>
          )}
          <textarea
            id="comment"
            value={comment}
            maxLength={COMMENT_MAX}
            onChange={(e) => setComment(e.target.value)}
            aria-describedby={`comment-hint${commentError ? " comment-error" : ""}`}
            aria-invalid={Boolean(commentError)}
          />
        </div>
        <button type="submit" className="button" disabled={busy}>
          {busy ? t("feedback.sending") : t("feedback.survey.submit")}
        </button>
      </form>
      <p className="hint">{t("feedback.survey.noSignIn")}</p>
    </>
  );
}

function SignInLink() {
  const t = useT();
  return (
    <ul className="links">
      <li>
        <Link to="/">{t("feedback.survey.signIn")}</Link>
      </li>
    </ul>
  );
}
