// One question of the form being built: its words, the kind of answer, whether it must be
// answered, a choice's options, and when to show it. Problems from the API appear beside
// the control they are about.
import type { EnableBehavior, FormItemType } from "@portico/client/gql/graphql";
import { Field } from "../components/PageState";
import { ConditionEditor } from "./ConditionEditor";
import { blankCondition, type QuestionDraft } from "./draft";
import { questionField } from "./problems";
import { ITEM_TYPES } from "./words";

export function QuestionEditor({
  number,
  question,
  earlier,
  total,
  problems,
  onChange,
  onMove,
  onRemove,
}: {
  /** Its place in the form, from 1. */
  number: number;
  question: QuestionDraft;
  earlier: readonly QuestionDraft[];
  total: number;
  problems: Record<string, string>;
  onChange: (next: QuestionDraft) => void;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
}) {
  const set = (patch: Partial<QuestionDraft>) => onChange({ ...question, ...patch });
  const names = { text: questionField.text(question.linkId), options: questionField.options(question.linkId), when: questionField.conditions(question.linkId) };
  const whenError = problems[names.when];
  const invalid = Boolean(problems[names.text] || problems[names.options] || whenError);
  return (
    <fieldset className={invalid ? "question question-error" : "question"}>
      <legend>Question {number}</legend>
      <Field name={names.text} label="Question" hint={number === 1 ? "As patients read it, for example “Have your allergies changed?”" : undefined} error={problems[names.text]}>
        {(p) => <input {...p} value={question.text} onChange={(e) => set({ text: e.target.value })} autoComplete="off" />}
      </Field>
      <div className="question-row">
        <div className="field">
          <label htmlFor={`field-item-${question.linkId}-type`}>Answer type</label>
          <select
            id={`field-item-${question.linkId}-type`}
            value={question.type}
            onChange={(e) => set({ type: e.target.value as FormItemType })}
          >
            {ITEM_TYPES.map((t) => (
              <option key={t.value} value={t.value}>
                {t.label}
              </option>
            ))}
          </select>
        </div>
        <label className="checkbox" htmlFor={`field-item-${question.linkId}-required`}>
          <input
            id={`field-item-${question.linkId}-required`}
            type="checkbox"
            checked={question.required}
            onChange={(e) => set({ required: e.target.checked })}
          />
          Patients must answer it
        </label>
      </div>
      {question.type === "CHOICE" && (
        <Field name={names.options} label="Options" hint="One a line, in the order patients see them." error={problems[names.options]}>
          {(p) => <textarea {...p} rows={4} value={question.options} onChange={(e) => set({ options: e.target.value })} />}
        </Field>
      )}
      <fieldset className={whenError ? "conditions field-error" : "conditions"}>
        <legend>Show only when</legend>
        {whenError && (
          <p className="error-text" id={`field-${names.when}-error`}>
            {whenError}
          </p>
        )}
        {question.conditions.length === 0 && (
          <p className="hint">
            {earlier.length === 0 ? "The first question is always shown." : "Always shown. Add a condition to show it only after a certain answer."}
          </p>
        )}
        {question.conditions.map((c, i) => (
          <ConditionEditor
            key={i}
            idPrefix={i === 0 ? `field-${names.when}` : `field-${names.when}-${i + 1}`}
            condition={c}
            earlier={earlier}
            describedBy={whenError ? `field-${names.when}-error` : undefined}
            onChange={(next) => set({ conditions: question.conditions.map((old, j) => (j === i ? next : old)) })}
            onRemove={() => set({ conditions: question.conditions.filter((_, j) => j !== i) })}
          />
        ))}
        {question.conditions.length > 1 && (
          <div className="field">
            <label htmlFor={`field-item-${question.linkId}-behavior`}>Show it when</label>
            <select
              id={`field-item-${question.linkId}-behavior`}
              value={question.behavior}
              onChange={(e) => set({ behavior: e.target.value as EnableBehavior })}
            >
              <option value="ALL">all of these hold</option>
              <option value="ANY">any of these holds</option>
            </select>
          </div>
        )}
        {earlier.length > 0 && (
          <button type="button" className="small" onClick={() => set({ conditions: [...question.conditions, blankCondition()] })}>
            {question.conditions.length === 0 ? "Add a condition" : "Add another condition"}
          </button>
        )}
      </fieldset>
      <div className="row-actions question-actions">
        <button type="button" id={`move-up-${question.linkId}`} onClick={() => onMove(-1)} disabled={number === 1} aria-label={`Move question ${number} up`}>
          Move up
        </button>
        <button type="button" id={`move-down-${question.linkId}`} onClick={() => onMove(1)} disabled={number === total} aria-label={`Move question ${number} down`}>
          Move down
        </button>
        <button type="button" onClick={onRemove} aria-label={`Remove question ${number}`}>
          Remove
        </button>
      </div>
    </fieldset>
  );
}
