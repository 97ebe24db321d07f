// The practice's education library (practice admins): resources patients see as "Learn
// more" beside matching problems, results and medications, and staff send in messages. A
// list, and one form that adds a resource or changes the one chosen (a failed save keeps
// everything typed); archiving asks first.
import { useRef, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { formatDateTime } from "../components/format";
import { useConsole } from "../app/session";
import { problemsFrom, useOnce } from "../practice/shared";
import { LANGUAGES, SYSTEMS, codesFrom, codesText } from "./codes";

const LibraryQuery = graphql(`
  query EducationLibrary($includeArchived: Boolean) {
    educationResources(includeArchived: $includeArchived, first: 100) {
      edges {
        node {
          id
          title
          summary
          kind
          url
          body
          language
          general
          status
          updatedAt
          codes {
            system
            code
          }
        }
      }
      pageInfo {
        hasNextPage
      }
    }
  }
`);

const Save = graphql(`
  mutation EducationSave($input: SaveEducationResourceInput!) {
    saveEducationResource(input: $input) {
      resource {
        id
        title
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const Archive = graphql(`
  mutation EducationArchive($id: ID!) {
    archiveEducationResource(input: { id: $id }) {
      resource {
        id
        title
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

const LABELS: Record<string, string> = {
  title: "Title",
  summary: "Summary",
  kind: "Kind",
  url: "Address",
  body: "Article",
  language: "Language",
  codes: "Codes",
};

interface Form {
  id: string | null;
  title: string;
  summary: string;
  kind: "link" | "article";
  url: string;
  body: string;
  language: string;
  general: boolean;
  codes: string;
}
const EMPTY: Form = { id: null, title: "", summary: "", kind: "link", url: "", body: "", language: "en", general: false, codes: "" };

export default function EducationPage() {
  const { me } = useConsole();
  const [showArchived, setShowArchived] = useState(false);
  const [{ data, error, fetching }, reload] = useQuery({ query: LibraryQuery, variables: { includeArchived: showArchived } });
  const [form, setForm] = useState<Form>(EMPTY);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [, save] = useMutation(Save);
  const [, archive] = useMutation(Archive);
  const [pending, once] = useOnce();
  const formTitle = useRef<HTMLHeadingElement>(null);
  const refresh = () => reload({ requestPolicy: "network-only" });
  const resources = data?.educationResources.edges.map((e) => e.node) ?? [];

  function edit(r: (typeof resources)[number]) {
    setForm({
      id: r.id,
      title: r.title,
      summary: r.summary,
      kind: r.kind === "article" ? "article" : "link",
      url: r.url ?? "",
      body: r.body ?? "",
      language: r.language,
      general: r.general,
      codes: codesText(r.codes ?? []),
    });
    setProblems({});
    setNotice(null);
    requestAnimationFrame(() => formTitle.current?.focus());
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    void once(async () => {
      const parsed = codesFrom(form.codes);
      if (parsed.problem) {
        setProblems({ codes: parsed.problem });
        return;
      }
      setProblems({});
      setNotice(null);
      const result = await save({
        input: {
          id: form.id,
          title: form.title,
          summary: form.summary,
          kind: form.kind,
          url: form.kind === "link" ? form.url : null,
          body: form.kind === "article" ? form.body : null,
          language: form.language,
          general: form.general,
          codes: parsed.codes,
        },
      });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.saveEducationResource;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors));
      if (payload?.resource) {
        setNotice(`${payload.resource.title} is ${form.id ? "saved" : "added to the library"}.`);
        setForm(EMPTY);
        refresh();
      }
    });
  }

  function archiveOne(id: string) {
    void once(async () => {
      const result = await archive({ id });
      setConfirming(null);
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const r = result.data?.archiveEducationResource.resource;
      if (r) {
        setNotice(`${r.title} is archived. Patients no longer see it.`);
        if (form.id === id) setForm(EMPTY);
        refresh();
      }
    });
  }

  return (
    <>
      <h1>Education</h1>
      <p>
        Links and short articles patients see as “Learn more” beside the problems, results and medicines they are about, in their language (English
        when none is written in theirs). Staff can also send one in a message.
      </p>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <div className="check-field">
        <label className="checkbox" htmlFor="show-archived">
          <input id="show-archived" type="checkbox" checked={showArchived} onChange={(e) => setShowArchived(e.target.checked)} />
          Show archived resources
        </label>
      </div>
      {error && !data && <ErrorState problem={problemOf(error)} retry={refresh} />}
      {fetching && !data && <LoadingState label="Loading the library" rows={3} />}
      {data && resources.length === 0 && <EmptyState title="No resources yet.">Add the first one with the form below.</EmptyState>}
      {resources.length > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Education resources</caption>
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Language</th>
              <th scope="col">About</th>
              <th scope="col">Changed</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {resources.map((r) => (
              <tr key={r.id}>
                <th scope="row">
                  {r.title}
                  <div className="muted">
                    {r.kind === "article" ? "Article" : "Link"}
                    {r.status === "archived" && " · archived"}
                  </div>
                </th>
                <td>{LANGUAGES.find((l) => l.tag === r.language)?.name ?? r.language}</td>
                <td>{r.general ? <span className="muted">General</span> : (r.codes ?? []).map((c) => `${SYSTEMS[c.system] ?? c.system} ${c.code}`).join(", ")}</td>
                <td>{formatDateTime(r.updatedAt, me.tenant.timeZone)}</td>
                <td>
                  <button type="button" className="small" onClick={() => edit(r)} aria-label={`Change ${r.title}`}>
                    Change
                  </button>{" "}
                  {r.status === "active" &&
                    (confirming === r.id ? (
                      <>
                        <button type="button" className="small danger" onClick={() => archiveOne(r.id)} disabled={pending}>
                          Archive {r.title}
                        </button>{" "}
                        <button type="button" className="small" onClick={() => setConfirming(null)}>
                          Keep
                        </button>
                      </>
                    ) : (
                      <button type="button" className="small" onClick={() => setConfirming(r.id)} aria-label={`Archive ${r.title}`}>
                        Archive
                      </button>
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={submit} noValidate className="form practice-form" aria-labelledby="education-form-title">
        <h2 id="education-form-title" ref={formTitle} tabIndex={-1}>
          {form.id ? `Change ${resources.find((r) => r.id === form.id)?.title ?? "the resource"}` : "Add a resource"}
        </h2>
        <ErrorSummary problems={problems} labels={LABELS} />
        <Field name="title" label={LABELS.title!} hint="Up to 200 characters, in the resource's language." error={problems.title}>
          {(p) => <input {...p} value={form.title} onChange={(e) => setForm((f) => ({ ...f, title: e.target.value }))} autoComplete="off" />}
        </Field>
        <Field name="summary" label={LABELS.summary!} hint="A sentence or two patients read before opening it." error={problems.summary}>
          {(p) => <textarea {...p} rows={2} value={form.summary} onChange={(e) => setForm((f) => ({ ...f, summary: e.target.value }))} />}
        </Field>
        <Field name="kind" label={LABELS.kind!} error={problems.kind}>
          {(p) => (
            <select {...p} value={form.kind} onChange={(e) => setForm((f) => ({ ...f, kind: e.target.value === "article" ? "article" : "link" }))}>
              <option value="link">A link to a page elsewhere</option>
              <option value="article">An article written here</option>
            </select>
          )}
        </Field>
        {form.kind === "link" ? (
          <Field name="url" label={LABELS.url!} hint="A full https:// address. It opens in a new tab." error={problems.url}>
            {(p) => <input {...p} type="url" value={form.url} onChange={(e) => setForm((f) => ({ ...f, url: e.target.value }))} autoComplete="off" />}
          </Field>
        ) : (
          <Field name="body" label={LABELS.body!} hint="Paragraphs separated by a blank line; “## ” starts a heading, “- ” a list item, **two stars** make bold." error={problems.body}>
            {(p) => <textarea {...p} rows={10} value={form.body} onChange={(e) => setForm((f) => ({ ...f, body: e.target.value }))} />}
          </Field>
        )}
        <Field name="language" label={LABELS.language!} error={problems.language}>
          {(p) => (
            <select {...p} value={form.language} onChange={(e) => setForm((f) => ({ ...f, language: e.target.value }))}>
              {LANGUAGES.map((l) => (
                <option key={l.tag} value={l.tag}>
                  {l.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          name="codes"
          label={LABELS.codes!}
          hint="One a line: the system, then the code. icd10 E11.9 · snomed 44054006 · loinc 4548-4 · rxnorm 860975"
          error={problems.codes}
        >
          {(p) => <textarea {...p} rows={4} value={form.codes} onChange={(e) => setForm((f) => ({ ...f, codes: e.target.value }))} disabled={form.general} />}
        </Field>
        <div className="check-field">
          <label className="checkbox" htmlFor="field-general">
            <input
              id="field-general"
              type="checkbox"
              checked={form.general}
              onChange={(e) => setForm((f) => ({ ...f, general: e.target.checked, codes: e.target.checked ? "" : f.codes }))}
            />
            General: about no code in particular (sent in messages, never shown beside a record)
          </label>
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={pending}>
            {form.id ? "Save changes" : "Add resource"}
          </button>
          {form.id && (
            <button type="button" onClick={() => (setForm(EMPTY), setProblems({}))}>
              Cancel
            </button>
          )}
        </div>
      </form>
    </>
  );
}
