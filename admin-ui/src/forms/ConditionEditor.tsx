// One "Show only when" condition of a question: an earlier question, how its answer
// compares, and the answer (yes or no, one of its options, or typed for the other types).
import type { ConditionOperator } from "@portico/client/gql/graphql";
import { optionsOf, type ConditionDraft, type QuestionDraft } from "./draft";
import { OPERATORS } from "./words";

export function ConditionEditor({
  idPrefix,
  condition,
  earlier,
  onChange,
  onRemove,
  describedBy,
}: {
  /** The first control's id is `idPrefix` (the summary links to it), the others add a suffix. */
  idPrefix: string;
  condition: ConditionDraft;
  /** The questions above this one, numbered from 1. */
  earlier: readonly QuestionDraft[];
  onChange: (next: ConditionDraft) => void;
  onRemove: () => void;
  describedBy?: string;
}) {
  const target = earlier.find((q) => q.linkId === condition.question);
  const set = (patch: Partial<ConditionDraft>) => onChange({ ...condition, ...patch });
  return (
    <div className="condition">
      <div className="field">
        <label htmlFor={idPrefix}>Question it depends on</label>
        <select
          id={idPrefix}
          value={condition.question}
          aria-describedby={describedBy}
          aria-invalid={Boolean(describedBy)}
          onChange={(e) => set({ question: e.target.value, value: "" })}
        >
          <option value="">Choose an earlier question</option>
          {earlier.map((q, i) => (
            <option key={q.linkId} value={q.linkId}>
              {i + 1}. {q.text.trim() || "(no text yet)"}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${idPrefix}-operator`}>Its answer</label>
        <select
          id={`${idPrefix}-operator`}
          value={condition.operator}
          onChange={(e) => {
            const operator = e.target.value as ConditionOperator;
            set({ operator, value: operator === "EXISTS" ? "true" : condition.operator === "EXISTS" ? "" : condition.value });
          }}
        >
          {OPERATORS.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${idPrefix}-value`}>{condition.operator === "EXISTS" ? "Answered or not" : "Answer"}</label>
        <ValueControl id={`${idPrefix}-value`} condition={condition} target={target} onValue={(value) => set({ value })} />
      </div>
      <button type="button" className="small condition-remove" onClick={onRemove}>
        Remove condition
      </button>
    </div>
  );
}

function ValueControl({
  id,
  condition,
  target,
  onValue,
}: {
  id: string;
  condition: ConditionDraft;
  target: QuestionDraft | undefined;
  onValue: (value: string) => void;
}) {
  const change = (e: { target: { value: string } }) => onValue(e.target.value);
  if (condition.operator === "EXISTS") {
    return (
      <select id={id} value={condition.value} onChange={change}>
        <option value="true">Answered</option>
        <option value="false">Not answered</option>
      </select>
    );
  }
  if (target?.type === "BOOLEAN") {
    return (
      <select id={id} value={condition.value} onChange={change}>
        <option value="">Choose</option>
        <option value="true">Yes</option>
        <option value="false">No</option>
      </select>
    );
  }
  if (target?.type === "CHOICE") {
    return (
      <select id={id} value={condition.value} onChange={change}>
        <option value="">Choose an option</option>
        {optionsOf(target.options).map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  }
  if (target?.type === "DATE") return <input id={id} type="date" className="date" value={condition.value} onChange={change} />;
  const numeric = target?.type === "INTEGER" || target?.type === "DECIMAL";
  return (
    <input
      id={id}
      className={numeric ? "number" : undefined}
      inputMode={numeric ? "decimal" : undefined}
      value={condition.value}
      onChange={change}
      autoComplete="off"
    />
  );
}
