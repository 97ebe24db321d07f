// Recalls: the practice's rules for inviting patients back for a routine visit (who, which
// visit, how often), a form that adds a rule or changes the one chosen, deleting a rule
// after asking, and sending the notices due today now. A failed save keeps everything typed.
import { useEffect, useRef, useState } from "react";
import { Dialog, Heading, Modal } from "react-aria-components";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import type { AccessRecallRulesQuery } from "@portico/client/gql/graphql";
import { EmptyState, ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { problemsFrom, useOnce } from "../practice/shared";
import "../settings/settings.css";

const RecallRulesQuery = graphql(`
  query AccessRecallRules {
    recallRules(includeInactive: true) {
      id
      name
      appointmentType {
        id
        name
      }
      intervalMonths
      minAge
      maxAge
      sex
      active
    }
    appointmentTypes {
      id
      name
    }
  }
`);

const Create = graphql(`
  mutation AccessCreateRecallRule($input: RecallRuleInput!) {
    createRecallRule(input: $input) {
      recallRule {
        id
        name
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const Update = graphql(`
  mutation AccessUpdateRecallRule($input: UpdateRecallRuleInput!) {
    updateRecallRule(input: $input) {
      recallRule {
        id
        name
        active
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const Delete = graphql(`
  mutation AccessDeleteRecallRule($input: DeleteRecallRuleInput!) {
    deleteRecallRule(input: $input) {
      deletedId
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const RunNow = graphql(`
  mutation AccessRunRecallsNow {
    runRecallsNow {
      notified
      unreachable
      more
    }
  }
`);

type Rule = AccessRecallRulesQuery["recallRules"][number];

const LABELS = {
  name: "Rule name",
  appointmentTypeId: "Visit to book",
  intervalMonths: "Every (months)",
  minAge: "From age",
  maxAge: "Up to age (optional)",
  sex: "Patients",
};
const SENTENCES = {
  "name:INVALID_NAME": "Enter a name of 1 to 100 characters.",
  "intervalMonths:INVALID_INTERVAL": "Enter a whole number of months from 1 to 120.",
  "minAge:INVALID_AGE_RANGE": "Enter an age from 0 to 120.",
  "maxAge:INVALID_AGE_RANGE": "Enter an age from the minimum age to 120, or leave it empty for no upper limit.",
  "sex:INVALID_SEX": "Choose female, male or anyone.",
  "appointmentTypeId:UNKNOWN_APPOINTMENT_TYPE": "Choose one of the practice's active visit types.",
  "id:RULE_IN_USE": "This rule has sent notices, so it cannot be deleted. Untick Active to pause it instead.",
  RULE_IN_USE: "This rule has sent notices, so it cannot be deleted. Untick Active to pause it instead.",
};

interface RuleForm {
  id: string | null;
  name: string;
  appointmentTypeId: string;
  intervalMonths: string;
  minAge: string;
  maxAge: string;
  sex: string;
  active: boolean;
}
const EMPTY: RuleForm = { id: null, name: "", appointmentTypeId: "", intervalMonths: "12", minAge: "0", maxAge: "", sex: "", active: true };

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
function who(rule: Rule): string {
  const people = rule.sex === "female" ? "Women" : rule.sex === "male" ? "Men" : "Patients";
  const ages = rule.maxAge == null ? (rule.minAge > 0 ? `aged ${rule.minAge} or over` : "of any age") : `aged ${rule.minAge} to ${rule.maxAge}`;
  return `${people} ${ages}`;
}

export default function RecallRulesPage() {
  const [{ data, error, fetching }, reload] = useQuery({ query: RecallRulesQuery });
  const refresh = () => reload({ requestPolicy: "network-only" });
  const [form, setForm] = useState<RuleForm>(EMPTY);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [listProblems, setListProblems] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Rule | null>(null);
  const [, create] = useMutation(Create);
  const [, update] = useMutation(Update);
  const [, remove] = useMutation(Delete);
  const [, runNow] = useMutation(RunNow);
  const [pending, once] = useOnce();
  const [deleting, onceDelete] = useOnce();
  const [running, onceRun] = useOnce();
  const formTitle = useRef<HTMLHeadingElement>(null);
  const doneNotice = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (done) doneNotice.current?.focus();
  }, [done]);

  const rules = data?.recallRules ?? [];
  const types = data?.appointmentTypes ?? [];

  function edit(rule: Rule) {
    setForm({
      id: rule.id,
      name: rule.name,
      appointmentTypeId: rule.appointmentType?.id ?? "",
      intervalMonths: String(rule.intervalMonths),
      minAge: String(rule.minAge),
      maxAge: rule.maxAge == null ? "" : String(rule.maxAge),
      sex: rule.sex ?? "",
      active: rule.active,
    });
    setProblems({});
    setSaved(null);
    requestAnimationFrame(() => formTitle.current?.focus());
  }

  function submit() {
    void once(async () => {
      setSaved(null);
      setDone(null);
      const missing: Record<string, string> = {};
      if (!form.name.trim()) missing.name = "Enter a name staff will know the rule by, for example Annual physical.";
      if (!form.appointmentTypeId) missing.appointmentTypeId = "Choose the visit patients are invited to book.";
      const whole = (t: string) => (/^\d+$/.test(t.trim()) ? Number(t.trim()) : null);
      const interval = whole(form.intervalMonths);
      const minAge = whole(form.minAge || "0");
      const maxAge = form.maxAge.trim() ? whole(form.maxAge) : undefined;
      if (interval === null) missing.intervalMonths = SENTENCES["intervalMonths:INVALID_INTERVAL"];
      if (minAge === null) missing.minAge = SENTENCES["minAge:INVALID_AGE_RANGE"];
      if (maxAge === null) missing.maxAge = SENTENCES["maxAge:INVALID_AGE_RANGE"];
      setProblems(missing);
      if (Object.keys(missing).length) return;
      const rule = {
        name: form.name.trim(),
        appointmentTypeId: form.appointmentTypeId,
        intervalMonths: interval!,
        minAge: minAge!,
        maxAge: maxAge ?? null,
        sex: form.sex || null,
        active: form.active,
      };
      const r = form.id === null ? await create({ input: rule }) : await update({ input: { id: form.id, rule } });
      if (r.error) return setProblems({ _: problemOf(r.error).sentence });
      const payload = r.data && ("createRecallRule" in r.data ? r.data.createRecallRule : r.data.updateRecallRule);
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, SENTENCES));
      const name = payload?.recallRule?.name ?? rule.name;
      setSaved(
        form.id === null
          ? `${name} is created. Its notices go out with the next daily run.`
          : `${name} is saved${rule.active ? "" : ". It is paused and sends no notices"}.`,
      );
      setForm(EMPTY);
      refresh();
    });
  }

  function confirmDelete() {
    const rule = confirming;
    if (!rule) return;
    setConfirming(null);
    void onceDelete(async () => {
      setSaved(null);
      const r = await remove({ input: { id: rule.id } });
      if (r.error) return setListProblems({ _: problemOf(r.error).sentence });
      const payload = r.data?.deleteRecallRule;
      if (payload?.userErrors.length) return setListProblems(problemsFrom(payload.userErrors, SENTENCES));
      setListProblems({});
      if (form.id === rule.id) setForm(EMPTY);
      setDone(`${rule.name} is deleted.`);
      refresh();
    });
  }

  function run() {
    void onceRun(async () => {
      setSaved(null);
      const r = await runNow({});
      if (r.error) return setListProblems({ _: problemOf(r.error).sentence });
      setListProblems({});
      const p = r.data?.runRecallsNow;
      if (!p) return;
      const sent = p.notified === 0 ? "No patient was due a notice today." : `${plural(p.notified, "patient was", "patients were")} sent a notice.`;
      const cannot = p.unreachable > 0 ? ` ${plural(p.unreachable, "due patient", "due patients")} could not be told: opted out, or no address.` : "";
      const more = p.more ? " More patients are due than one run sends: run again, or the daily run continues." : "";
      setDone(`${sent}${cannot}${more}`);
    });
  }

  return (
    <>
      <h1>Recalls</h1>
      <p>
        A recall rule invites patients back for a routine visit, such as a yearly physical: patients who match it and have not had that visit
        within its interval are sent a notice once a day. A patient already notified in a rule's interval is not notified again.
      </p>
      <ErrorSummary problems={listProblems} labels={{}} />
      {done && (
        <p className="notice" role="status" ref={doneNotice} tabIndex={-1}>
          {done}
        </p>
      )}
      {error && !data && <ErrorState problem={problemOf(error)} retry={refresh} />}
      {fetching && !data && <LoadingState label="Loading recall rules" rows={3} />}
      {data && rules.length === 0 && <EmptyState title="No recall rules yet.">Add one below, for example a yearly physical for adults.</EmptyState>}
      {rules.length > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Recall rules</caption>
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Visit</th>
              <th scope="col">Every</th>
              <th scope="col">Who</th>
              <th scope="col">
                <span className="visually-hidden">Status and actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rules.map((rule) => (
              <tr key={rule.id}>
                <th scope="row">
                  {rule.name}
                  {!rule.active && <span className="tag tag-muted">Paused</span>}
                </th>
                <td>{rule.appointmentType?.name ?? <span className="muted">A retired visit type</span>}</td>
                <td>{plural(rule.intervalMonths, "month")}</td>
                <td>{who(rule)}</td>
                <td>
                  <div className="row-actions">
                    <button type="button" className="small" onClick={() => edit(rule)} aria-label={`Change ${rule.name}`}>
                      Change
                    </button>
                    <button type="button" className="small" onClick={() => setConfirming(rule)} aria-label={`Delete ${rule.name}`}>
                      Delete
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data && (
        <div className="row-actions">
          <button type="button" onClick={run} disabled={running}>
            Send today's recall notices now
          </button>
        </div>
      )}
      {data && (
        <form onSubmit={(e) => (e.preventDefault(), submit())} noValidate className="form settings-form" aria-labelledby="rule-form-title">
          <h2 id="rule-form-title" ref={formTitle} tabIndex={-1}>
            {form.id ? `Change ${rules.find((r) => r.id === form.id)?.name ?? "the rule"}` : "Add a recall rule"}
          </h2>
          <ErrorSummary problems={problems} labels={LABELS} />
          <Field name="name" label={LABELS.name} hint="For staff; patients never see it. Up to 100 characters." error={problems.name}>
            {(p) => <input {...p} value={form.name} onChange={(e) => setForm((f) => ({ ...f, name: e.target.value }))} autoComplete="off" />}
          </Field>
          <Field name="appointmentTypeId" label={LABELS.appointmentTypeId} hint="The visit that satisfies the rule, and that the notice invites the patient to book." error={problems.appointmentTypeId}>
            {(p) => (
              <select {...p} value={form.appointmentTypeId} onChange={(e) => setForm((f) => ({ ...f, appointmentTypeId: e.target.value }))}>
                <option value="">Choose a visit</option>
                {types.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field name="intervalMonths" label={LABELS.intervalMonths} hint="From 1 to 120 months; 12 for a yearly visit." error={problems.intervalMonths}>
            {(p) => <input {...p} className="number" inputMode="numeric" value={form.intervalMonths} onChange={(e) => setForm((f) => ({ ...f, intervalMonths: e.target.value }))} autoComplete="off" />}
          </Field>
          <Field name="minAge" label={LABELS.minAge} hint="From 0 to 120 years." error={problems.minAge}>
            {(p) => <input {...p} className="number" inputMode="numeric" value={form.minAge} onChange={(e) => setForm((f) => ({ ...f, minAge: e.target.value }))} autoComplete="off" />}
          </Field>
          <Field name="maxAge" label={LABELS.maxAge} hint="From the age above to 120 years; empty for no upper limit." error={problems.maxAge}>
            {(p) => <input {...p} className="number" inputMode="numeric" value={form.maxAge} onChange={(e) => setForm((f) => ({ ...f, maxAge: e.target.value }))} autoComplete="off" />}
          </Field>
          <Field name="sex" label={LABELS.sex} hint="Matched against the gender on the patient's chart." error={problems.sex}>
            {(p) => (
              <select {...p} value={form.sex} onChange={(e) => setForm((f) => ({ ...f, sex: e.target.value }))}>
                <option value="">Anyone</option>
                <option value="female">Female only</option>
                <option value="male">Male only</option>
              </select>
            )}
          </Field>
          <div className="check-field">
            <label className="checkbox" htmlFor="field-active">
              <input id="field-active" type="checkbox" checked={form.active} onChange={(e) => setForm((f) => ({ ...f, active: e.target.checked }))} />
              Active
            </label>
            <p className="hint">Untick to pause the rule: it sends no notices, and keeps its figures.</p>
          </div>
          <div className="settings-submit">
            <button type="submit" className="primary" disabled={pending}>
              {form.id ? "Save rule" : "Add rule"}
            </button>
            {form.id && (
              <button type="button" onClick={() => (setForm(EMPTY), setProblems({}))}>
                Cancel
              </button>
            )}
            {saved && (
              <p className="notice" role="status">
                {saved}
              </p>
            )}
          </div>
        </form>
      )}
      {confirming && (
        <Modal isOpen isDismissable onOpenChange={(open) => !open && setConfirming(null)} className="modal">
          <Dialog className="dialog" role="alertdialog" aria-labelledby="delete-rule-title">
            <Heading slot="title" id="delete-rule-title">
              Delete {confirming.name}?
            </Heading>
            <p>The rule is removed for good. A rule that has already sent notices cannot be deleted: pause it instead, to keep its figures.</p>
            <div className="row-actions">
              <button type="button" className="danger" onClick={confirmDelete} disabled={deleting}>
                Delete rule
              </button>
              <button type="button" onClick={() => setConfirming(null)} autoFocus>
                Cancel
              </button>
            </div>
          </Dialog>
        </Modal>
      )}
    </>
  );
}
