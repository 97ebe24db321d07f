// One form, question by question: questions show and hide as the answers change (the form's
// conditions, as the server applies them), a draft is saved to finish later, and sending
// checks every shown required question; a refused answer is named at the top and at the
// question.
import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { useNavigate, useParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql } from "@portico/client";
import type { PortalFormRequestQuery } from "@portico/client/gql/graphql";
import { useT } from "../i18n/I18n";
import { BackToRecords, Waiting } from "../records/common";
import "./forms.css";

const FormRequestQuery = graphql(`
  query PortalFormRequest($id: ID!) {
    formRequest(id: $id) {
      id
      status
      form {
        id
        title
        items {
          linkId
          text
          type
          required
          options
          enableWhen {
            question
            operator
            value
          }
          enableBehavior
        }
      }
      answers {
        linkId
        value
      }
    }
  }
`);

const SaveAnswers = graphql(`
  mutation PortalSaveFormAnswers($input: SaveFormAnswersInput!) {
    saveFormAnswers(input: $input) {
      formRequest {
        id
        status
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

type Item = NonNullable<PortalFormRequestQuery["formRequest"]>["form"]["items"][number];

/** The questions shown for `answers`: conditions look only at earlier shown questions. */
function shownItems(items: Item[], answers: Record<string, string>): Set<string> {
  const shown = new Map<string, string>();
  const result = new Set<string>();
  for (const item of items) {
    const holds = item.enableWhen.map((w) => {
      const answer = shown.get(w.question);
      if (w.operator === "EXISTS") return (answer !== undefined) === (w.value === "true");
      if (w.operator === "EQUALS") return answer !== undefined && same(answer, w.value);
      return answer === undefined || !same(answer, w.value);
    });
    const enabled = holds.length === 0 || (item.enableBehavior === "ANY" ? holds.some(Boolean) : holds.every(Boolean));
    if (!enabled) continue;
    result.add(item.linkId);
    const value = (answers[item.linkId] ?? "").trim();
    if (value !== "") shown.set(item.linkId, value);
  }
  return result;
}

function same(a: string, b: string): boolean {
  const x = Number(a);
  const y = Number(b);
  return a === b || (a.trim() !== "" && b.trim() !== "" && !Number.isNaN(x) && x === y);
}

export default function FormPage() {
  const { id = "" } = useParams();
  const t = useT();
  const [{ data, error }, reload] = useQuery({ query: FormRequestQuery, variables: { id }, requestPolicy: "network-only" });
  const request = data?.formRequest;
  return (
    <>
      <BackToRecords to="/forms" label={t("forms.back")} />
      {!request ? (
        <>
          <h1>{t("forms.title")}</h1>
          <Waiting error={error} retry={() => reload({ requestPolicy: "network-only" })} label={t("forms.form.loading")} />
        </>
      ) : (
        <FillIn key={request.id} request={request} />
      )}
    </>
  );
}

function FillIn({ request }: { request: NonNullable<PortalFormRequestQuery["formRequest"]> }) {
  const t = useT();
  const navigate = useNavigate();
  const [answers, setAnswers] = useState<Record<string, string>>(() =>
    Object.fromEntries(request.answers.map((a) => [a.linkId, a.value])),
  );
  const [problem, setProblem] = useState<{ field: string; code: string; message: string } | null>(null);
  const [{ fetching }, save] = useMutation(SaveAnswers);
  const summary = useRef<HTMLDivElement>(null);
  const items = request.form.items;
  const shown = useMemo(() => shownItems(items, answers), [items, answers]);
  useEffect(() => {
    if (problem) summary.current?.focus();
  }, [problem]);

  if (request.status === "COMPLETED") {
    return (
      <>
        <h1>{request.form.title}</h1>
        <p className="notice success-notice">{t("forms.form.alreadySent")}</p>
      </>
    );
  }

  const send = async (submit: boolean) => {
    const given = items
      .filter((i) => (submit ? shown.has(i.linkId) : true))
      .map((i) => ({ linkId: i.linkId, value: (answers[i.linkId] ?? "").trim() }))
      .filter((a) => a.value !== "");
    const result = await save({ input: { id: request.id, answers: given, submit } });
    const refused = result.data?.saveFormAnswers.userErrors[0];
    if (refused) {
      setProblem(refused);
      return;
    }
    if (result.error || !result.data?.saveFormAnswers.formRequest) {
      setProblem({ field: "", code: "INTERNAL", message: result.error?.message ?? "" });
      return;
    }
    navigate("/forms", { state: { done: submit ? "submitted" : "saved" } });
  };
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void send(true);
  };
  const problemText = (code: string) =>
    code === "FORM_ANSWER_REQUIRED" ? t("forms.form.answerRequired") : t("forms.form.answerInvalid");
  const problemItem = problem ? items.find((i) => i.linkId === problem.field) : undefined;

  return (
    <>
      <h1>{request.form.title}</h1>
      {problem && (
        <div className="error-summary" role="alert" tabIndex={-1} ref={summary}>
          <h2>{t("forms.form.problem")}</h2>
          <p>
            {problemItem ? (
              <a href={`#q-${problemItem.linkId}`}>
                {problemItem.text}: {problemText(problem.code)}
              </a>
            ) : (
              problem.message
            )}
          </p>
        </div>
      )}
      <p className="lead">{t("forms.form.lead")}</p>
      <form onSubmit={onSubmit} noValidate className="stack">
        {items
          .filter((i) => shown.has(i.linkId))
          .map((item) => (
            <Question
              key={item.linkId}
              item={item}
              value={answers[item.linkId] ?? ""}
              error={problem?.field === item.linkId ? problemText(problem.code) : undefined}
              onChange={(value) => setAnswers((a) => ({ ...a, [item.linkId]: value }))}
            />
          ))}
        <div className="form-actions">
          <button type="submit" className="button" disabled={fetching}>
            {t("forms.form.submit")}
          </button>
          <button type="button" className="button secondary" disabled={fetching} onClick={() => void send(false)}>
            {t("forms.form.saveDraft")}
          </button>
        </div>
      </form>
    </>
  );
}

function Question({ item, value, error, onChange }: { item: Item; value: string; error?: string; onChange: (value: string) => void }) {
  const t = useT();
  const id = `q-${item.linkId}`;
  const label = (
    <>
      {item.text}
      {item.required && <span className="hint"> ({t("forms.form.required")})</span>}
    </>
  );
  const errorLine = error && (
    <p className="error-message" id={`${id}-error`}>
      {error}
    </p>
  );
  const described = error ? `${id}-error` : undefined;
  if (item.type === "BOOLEAN" || item.type === "CHOICE") {
    const choices: Array<[string, string]> =
      item.type === "BOOLEAN"
        ? [
            ["true", t("forms.form.yes")],
            ["false", t("forms.form.no")],
          ]
        : item.options.map((o) => [o, o]);
    return (
      <fieldset className={`field form-choices${error ? " field-error" : ""}`} id={id} aria-describedby={described}>
        <legend>{label}</legend>
        {errorLine}
        {choices.map(([v, text]) => (
          <label key={v} className="form-choice">
            <input type="radio" name={item.linkId} value={v} checked={value === v} onChange={() => onChange(v)} /> {text}
          </label>
        ))}
      </fieldset>
    );
  }
  const common = {
    id,
    value,
    "aria-describedby": described,
    "aria-invalid": error ? true : undefined,
  };
  return (
    <div className={`field${error ? " field-error" : ""}`}>
      <label htmlFor={id}>{label}</label>
      {errorLine}
      {item.type === "TEXT" ? (
        <textarea {...common} rows={4} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input
          {...common}
          type={item.type === "DATE" ? "date" : "text"}
          inputMode={item.type === "INTEGER" ? "numeric" : item.type === "DECIMAL" ? "decimal" : undefined}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </div>
  );
}
