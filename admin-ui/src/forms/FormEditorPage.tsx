// A form's page (practice admins): its title and questions, saved whole with `saveForm` (a
// refusal keeps everything typed and is shown at the question it is about); for a saved
// form, its status (activate, retire) and the visit types that ask for it.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import type { FormStatus } from "@portico/client/gql/graphql";
import { ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { roleOf, useConsole } from "../app/session";
import { useOnce } from "../practice/shared";
import { AttachPanel } from "./AttachPanel";
import { FormFacts } from "./FormFacts";
import { QuestionList } from "./QuestionList";
import { NEW_FORM, draftOf, inputOf, type FormDraft } from "./draft";
import { formProblems, localProblems, problemLabels } from "./problems";
import { STATUS_ABOUT } from "./words";
import "./forms.css";

const FormQuery = graphql(`
  query FormToEdit($id: ID!) {
    form(id: $id) {
      id
      title
      version
      status
      url
      updatedAt
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
  }
`);

const Save = graphql(`
  mutation SaveForm($input: SaveFormInput!) {
    saveForm(input: $input) {
      form {
        id
        title
        version
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

export default function FormEditorPage() {
  const { formId } = useParams();
  const { me } = useConsole();
  if (roleOf(me) !== "practice_admin") {
    return (
      <>
        <h1>Forms</h1>
        <p>Only practice admins build and change forms. You can send an active form to a patient from their chart.</p>
        <p>
          <Link to="/forms">All forms</Link>
        </p>
      </>
    );
  }
  // A new id (a save that made a new version) starts the editor afresh.
  return formId ? <SavedForm key={formId} id={formId} /> : <Editor key="new" initial={NEW_FORM} saved={null} />;
}

function SavedForm({ id }: { id: string }) {
  const [{ data, error }, reload] = useQuery({ query: FormQuery, variables: { id } });
  if (error && !data) {
    return (
      <>
        <h1>Form</h1>
        <ErrorState problem={problemOf(error)} retry={() => reload({ requestPolicy: "network-only" })} />
      </>
    );
  }
  if (!data) {
    return (
      <>
        <h1>Form</h1>
        <LoadingState label="Loading the form" rows={6} />
      </>
    );
  }
  return <Editor initial={draftOf(data.form)} saved={data.form} />;
}

interface Saved {
  id: string;
  title: string;
  version: number;
  status: FormStatus;
  url: string;
  updatedAt: string;
}

function Editor({ initial, saved }: { initial: FormDraft; saved: Saved | null }) {
  const navigate = useNavigate();
  const location = useLocation();
  const [draft, setDraft] = useState<FormDraft>(initial);
  const [status, setStatus] = useState<FormStatus>(initial.status);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<string | null>((location.state as { notice?: string } | null)?.notice ?? null);
  const heading = useRef<HTMLHeadingElement>(null);
  // The notice a save left in the history is shown once, not again after a reload; the
  // heading takes the focus the loading state had (the shell focused that one).
  useEffect(() => {
    if (location.state) navigate(location.pathname, { replace: true, state: null });
    if (document.activeElement === document.body) heading.current?.focus({ preventScroll: true });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const [, save] = useMutation(Save);
  const [pending, once] = useOnce();

  const setQuestions = (questions: FormDraft["questions"]) => setDraft((d) => ({ ...d, questions }));

  function submit(event: FormEvent) {
    event.preventDefault();
    void once(async () => {
      setNotice(null);
      const toSend = { ...draft, status: saved ? status : draft.status };
      const local = localProblems(toSend);
      if (Object.keys(local).length) return setProblems(local);
      setProblems({});
      const result = await save({ input: inputOf(toSend) });
      const payload = result.data?.saveForm;
      if (result.error || !payload) return setProblems({ _: problemOf(result.error).sentence });
      if (payload.userErrors.length || !payload.form) return setProblems(formProblems(payload.userErrors, toSend));
      const form = payload.form;
      if (!saved) {
        navigate(`/forms/${encodeURIComponent(form.id)}`, {
          state: { notice: `${form.title} is saved${form.status === "ACTIVE" ? " and active" : " as a draft"}. Now choose the visit types that ask for it.` },
        });
      } else if (form.id !== saved.id) {
        navigate(`/forms/${encodeURIComponent(form.id)}`, {
          state: {
            notice: `${form.title} is saved as version ${form.version}. Patients already asked keep the questions of version ${saved.version}; everyone asked from now on gets the new one.`,
          },
        });
      } else {
        setNotice(`Your changes to ${form.title} are saved.`);
        setDraft((d) => ({ ...d, title: form.title }));
      }
    });
  }

  const labels = problemLabels(draft);
  return (
    <>
      <p className="back-link">
        <Link to="/forms">All forms</Link>
      </p>
      <h1 ref={heading} tabIndex={-1}>
        {saved ? saved.title : "New form"}
      </h1>
      {saved && (
        <FormFacts
          form={saved}
          status={status}
          onDone={(r) => {
            if (r.status) setStatus(r.status);
            setNotice(r.notice ?? null);
            setProblems(r.problem ? { _: r.problem } : {});
          }}
        />
      )}
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <div className={saved ? "form-layout" : undefined}>
        <form onSubmit={submit} noValidate className="form form-builder" aria-labelledby="builder-title">
          <h2 id="builder-title" className="visually-hidden">
            Build the form
          </h2>
          <ErrorSummary problems={problems} labels={labels} />
          <Field name="title" label="Title" hint="Patients see it above the questions, for example “Check-in questionnaire”." error={problems.title}>
            {(p) => <input {...p} value={draft.title} onChange={(e) => setDraft((d) => ({ ...d, title: e.target.value }))} autoComplete="off" />}
          </Field>
          {!saved && (
            <Field name="status" label="Status" error={problems.status}>
              {(p) => (
                <select {...p} value={draft.status} onChange={(e) => setDraft((d) => ({ ...d, status: e.target.value as FormStatus }))}>
                  <option value="DRAFT">{STATUS_ABOUT.DRAFT}</option>
                  <option value="ACTIVE">{STATUS_ABOUT.ACTIVE}</option>
                </select>
              )}
            </Field>
          )}
          <QuestionList
            questions={draft.questions}
            problems={problems}
            onChange={setQuestions}
            onRemoved={(number) => setNotice(`Question ${number} is removed. It is gone from the form when you save.`)}
          />
          {saved && (
            <p className="hint">
              Once patients have been asked for this version, saving makes version {saved.version + 1}; answers already given keep the questions they
              answered.
            </p>
          )}
          <div className="actions">
            <button type="submit" className="primary" disabled={pending}>
              {saved ? "Save changes" : "Save form"}
            </button>
          </div>
        </form>
        {saved && <AttachPanel form={{ id: saved.id, url: saved.url, title: saved.title, status }} />}
      </div>
    </>
  );
}
