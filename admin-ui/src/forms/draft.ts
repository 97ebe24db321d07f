// A form as the editor holds it while an admin works on it, and the two conversions: from
// the API's form to this draft, and from the draft to `saveForm`'s input. Link ids are
// made here (`q1`, `q2`, … by order of adding, never renumbered), so the admin never sees
// one, and a saved question keeps its own.
import type { ConditionOperator, EnableBehavior, FormItemType, FormStatus, SaveFormInput } from "@portico/client/gql/graphql";

export interface ConditionDraft {
  /** The earlier question's link id; empty until chosen. */
  question: string;
  operator: ConditionOperator;
  value: string;
}

export interface QuestionDraft {
  linkId: string;
  text: string;
  type: FormItemType;
  required: boolean;
  /** A choice's options, one a line (kept while another type is chosen). */
  options: string;
  conditions: ConditionDraft[];
  /** With several conditions: whether any or all must hold. */
  behavior: EnableBehavior;
}

export interface FormDraft {
  /** The version being changed; null for a new form. */
  id: string | null;
  title: string;
  status: FormStatus;
  questions: QuestionDraft[];
}

/** What the API gives for a form's items (the fields the editor reads). */
export interface SavedItem {
  linkId: string;
  text: string;
  type: FormItemType;
  required: boolean;
  options: string[];
  enableWhen: { question: string; operator: ConditionOperator; value: string }[];
  enableBehavior?: EnableBehavior | null;
}

export const NEW_FORM: FormDraft = { id: null, title: "", status: "DRAFT", questions: [] };

/** The next unused `qN` link id: one more than the highest used, so none is ever reused. */
export function nextLinkId(questions: readonly QuestionDraft[]): string {
  const used = questions.map((q) => /^q(\d+)$/.exec(q.linkId)?.[1]).map((n) => (n ? Number(n) : 0));
  return `q${Math.max(0, ...used) + 1}`;
}

export function blankQuestion(questions: readonly QuestionDraft[]): QuestionDraft {
  return { linkId: nextLinkId(questions), text: "", type: "STRING", required: false, options: "", conditions: [], behavior: "ALL" };
}

export function blankCondition(): ConditionDraft {
  return { question: "", operator: "EQUALS", value: "" };
}

export function draftOf(form: { id: string; title: string; status: FormStatus; items: readonly SavedItem[] }): FormDraft {
  return {
    id: form.id,
    title: form.title,
    status: form.status,
    questions: form.items.map((i) => ({
      linkId: i.linkId,
      text: i.text,
      type: i.type,
      required: i.required,
      options: i.options.join("\n"),
      conditions: i.enableWhen.map((w) => ({ question: w.question, operator: w.operator, value: w.value })),
      behavior: i.enableBehavior ?? "ALL",
    })),
  };
}

/** A choice's options as typed: one a line, trimmed, blank lines left out. */
export function optionsOf(text: string): string[] {
  return text
    .split("\n")
    .map((o) => o.trim())
    .filter((o) => o !== "");
}

export function inputOf(draft: FormDraft): SaveFormInput {
  return {
    id: draft.id,
    title: draft.title,
    status: draft.status,
    items: draft.questions.map((q) => ({
      linkId: q.linkId,
      text: q.text,
      type: q.type,
      required: q.required,
      options: q.type === "CHOICE" ? optionsOf(q.options) : [],
      enableWhen: q.conditions.map((c) => ({ question: c.question, operator: c.operator, value: c.value })),
      enableBehavior: q.conditions.length > 1 ? q.behavior : null,
    })),
  };
}

/** Moves the question at `index` by `by` places (−1 up, +1 down). */
export function moved<T>(list: readonly T[], index: number, by: number): T[] {
  const to = index + by;
  if (to < 0 || to >= list.length) return [...list];
  const copy = [...list];
  const [item] = copy.splice(index, 1);
  copy.splice(to, 0, item!);
  return copy;
}
