// Feedback from a signed-in patient, at any time: a comment, a rating if they want to give
// one, and which of their past visits it is about, if any. Only for their own chart (a
// caregiver's feedback is theirs to send from their own account).
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql } from "@portico/client";
import { usePortal } from "../app/portal";
import { useProblem } from "../app/problem";
import { useFormat, useT } from "../i18n/I18n";
import { ErrorState, ErrorSummary } from "../components/PageState";
import { OwnChartOnly } from "../account/OwnChartOnly";
import { COMMENT_MAX } from "./SurveyPage";
import "./feedback.css";

const PastVisitsQuery = graphql(`
  query PortalFeedbackPastVisits($patientId: ID!) {
    appointments(patientId: $patientId, upcoming: false, first: 50) {
      id
      start
      status
      provider {
        id
        displayName
      }
    }
  }
`);

const SubmitMutation = graphql(`
  mutation PortalSubmitFeedback($input: SubmitFeedbackInput!) {
    submitFeedback(input: $input) {
      feedbackId
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const RATINGS = Array.from({ length: 11 }, (_, i) => i);

export default function FeedbackFormPage() {
  const t = useT();
  return (
    <OwnChartOnly title={t("feedback.form.title")}>
      <FeedbackForm />
    </OwnChartOnly>
  );
}

function FeedbackForm() {
  const t = useT();
  const f = useFormat();
  const describe = useProblem();
  const { chart } = usePortal();
  const [{ data: visits }] = useQuery({ query: PastVisitsQuery, variables: { patientId: chart.patient.id } });
  const [{ fetching }, submit] = useMutation(SubmitMutation);
  const [rating, setRating] = useState<number | null>(null);
  const [comment, setComment] = useState("");
  const [visit, setVisit] = useState("");
  const [problems, setProblems] = useState<{ field?: string; sentence: string }[]>([]);
  const [failure, setFailure] = useState<unknown>(null);
  const [sent, setSent] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (sent) heading.current?.focus();
  }, [sent]);

  // Visits that took place, latest first (the query's order).
  const past = (visits?.appointments ?? []).filter((a) => a.status === "COMPLETED");

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (fetching) return;
    const text = comment.trim();
    const gaps = [
      !text && { field: "comment", sentence: t("feedback.form.required.comment") },
      text.length > COMMENT_MAX && { field: "comment", sentence: t("feedback.tooLong.comment", { max: COMMENT_MAX }) },
    ].filter((g): g is { field: string; sentence: string } => Boolean(g));
    setProblems(gaps);
    setFailure(null);
    if (gaps.length) return;
    const result = await submit({
      input: { patientId: chart.patient.id, comment: text, rating, appointmentId: visit || null },
    });
    if (result.error) {
      setFailure(result.error);
      return;
    }
    const refusals = result.data?.submitFeedback.userErrors ?? [];
    if (refusals.length) {
      setProblems(refusals.map((r) => ({ field: r.field === "rating" ? "rating-none" : r.field === "appointmentId" ? "visit" : "comment", sentence: r.message })));
      return;
    }
    setSent(true);
  };

  if (sent) {
    return (
      <>
        <h1 ref={heading} tabIndex={-1}>
          {t("feedback.survey.thanksTitle")}
        </h1>
        <p className="notice feedback-done" role="status">
          {t("feedback.form.thanks")}
        </p>
        <ul className="links">
          <li>
            <Link to="/">{t("feedback.form.home")}</Link>
          </li>
        </ul>
      </>
    );
  }
  const fieldError = (field: string) => problems.find((p) => p.field === field)?.sentence;
  const commentError = fieldError("comment");
  return (
    <>
      <h1 ref={heading}>{t("feedback.form.title")}</h1>
      <p className="lead">{t("feedback.form.lead")}</p>
      <ErrorSummary problems={problems} />
      {failure !== null && <ErrorState problem={describe(failure)} />}
      <form onSubmit={onSubmit} noValidate className="stack feedback-form">
        <div className={`field${commentError ? " field-error" : ""}`}>
          <label htmlFor="comment">{t("feedback.form.comment")}</label>
          <p className="hint" id="comment-hint">
            {t("feedback.form.hint", { max: COMMENT_MAX })}
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
        <fieldset className="field" aria-describedby="rating-hint">
          <legend>{t("feedback.form.rating")}</legend>
          <p className="hint" id="rating-hint">
            {t("feedback.survey.scale")}
          </p>
          <div className="rating-scale">
            <label className="rating-option">
              <input id="rating-none" type="radio" name="rating" checked={rating === null} onChange={() => setRating(null)} />
              <span className="rating-none">{t("feedback.form.noRating")}</span>
            </label>
            {RATINGS.map((value) => (
              <label key={value} className="rating-option">
                <input id={`rating-${value}`} type="radio" name="rating" value={value} checked={rating === value} onChange={() => setRating(value)} />
                <span>{value}</span>
              </label>
            ))}
          </div>
        </fieldset>
        {past.length > 0 && (
          <div className="field">
            <label htmlFor="visit">{t("feedback.form.visit")}</label>
            <select id="visit" value={visit} onChange={(e) => setVisit(e.target.value)}>
              <option value="">{t("feedback.form.noVisit")}</option>
              {past.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.provider ? t("feedback.form.visitWith", { day: f.date(a.start), provider: a.provider.displayName }) : f.date(a.start)}
                </option>
              ))}
            </select>
          </div>
        )}
        <button type="submit" className="button" disabled={fetching}>
          {fetching ? t("feedback.sending") : t("feedback.form.submit")}
        </button>
      </form>
    </>
  );
}
