// The form builder's problems, by the control they belong to. The API names a question by
// its link id (`items.q3`), which the admin never sees: the problem is put beside that
// question's text, options or conditions, and its sentence says "question 3" instead.
import { sentenceFor, type FieldProblem } from "@portico/client";
import type { FormDraft } from "./draft";

/** Field names (ids are `field-<name>`) of a question's controls. */
export const questionField = {
  text: (linkId: string) => `item-${linkId}-text`,
  options: (linkId: string) => `item-${linkId}-options`,
  conditions: (linkId: string) => `item-${linkId}-when`,
};

/** Which of the question's controls a refusal is about, from its words. */
function partOf(message: string): keyof typeof questionField {
  if (/condition|enableBehavior|any or all/i.test(message)) return "conditions";
  if (/option|choice/i.test(message)) return "options";
  return "text";
}

/** The server's sentence about a question, in the builder's words. */
function sentenceAbout(message: string, draft: FormDraft): string {
  const number = (linkId: string) => {
    const index = draft.questions.findIndex((q) => q.linkId === linkId);
    return index >= 0 ? `question ${index + 1}` : "a question that is not on the form";
  };
  const plain = message.replace(/^item (?:"[^"]*"|\d+):\s*/, "");
  if (/a choice needs options/.test(plain)) return "Add the options patients choose from, one a line.";
  if (/needs a text/.test(plain)) return "Write the question (up to 500 characters).";
  if (/not an earlier item/.test(plain)) return "A question can only depend on a question above it. Choose an earlier question or move this one down.";
  if (/with several conditions/.test(plain)) return "Say whether any or all of the conditions must hold.";
  const words = plain.replace(/"([A-Za-z0-9._-]+)"/g, (whole, linkId: string) =>
    draft.questions.some((q) => q.linkId === linkId) ? number(linkId) : whole,
  );
  const first = words.charAt(0).toUpperCase() + words.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/** `saveForm`'s refusals by field name (`title`, `status`, a question's control, or `_`). */
export function formProblems(errors: readonly FieldProblem[], draft: FormDraft): Record<string, string> {
  const byField: Record<string, string> = {};
  for (const e of errors) {
    const item = /^items\.(.+)$/.exec(e.field)?.[1] ?? indexed(e.field, draft);
    if (item) {
      byField[questionField[partOf(e.message)](item)] ??= sentenceAbout(e.message, draft);
    } else if (e.field === "title") {
      byField.title ??= "Give the form a title (up to 200 characters).";
    } else if (e.field === "items") {
      byField._ ??= "Add at least one question (at most 100).";
    } else {
      byField[e.field || "_"] ??= sentenceFor(e.code, e.message);
    }
  }
  return byField;
}

/** `items[2]`: the link id of the third question, when the API names it by place. */
function indexed(field: string, draft: FormDraft): string | undefined {
  const index = /^items\[(\d+)\]$/.exec(field)?.[1];
  return index === undefined ? undefined : draft.questions[Number(index)]?.linkId;
}

/** What the browser can tell before asking the API: conditions left half chosen. */
export function localProblems(draft: FormDraft): Record<string, string> {
  const found: Record<string, string> = {};
  draft.questions.forEach((q, index) => {
    const earlier = draft.questions.slice(0, index).map((e) => e.linkId);
    if (q.conditions.some((c) => c.question !== "" && !earlier.includes(c.question))) {
      found[questionField.conditions(q.linkId)] = "A question can only depend on a question above it. Choose an earlier question or move this one down.";
    } else if (q.conditions.some((c) => c.question === "")) {
      found[questionField.conditions(q.linkId)] = "Choose the earlier question this one depends on, or remove the condition.";
    } else if (q.conditions.some((c) => c.value.trim() === "")) {
      found[questionField.conditions(q.linkId)] = "Choose or type the answer the condition compares with.";
    }
  });
  return found;
}

/** The summary's names for the fields, so each problem links to its control. */
export function problemLabels(draft: FormDraft): Record<string, string> {
  const labels: Record<string, string> = { title: "Title", status: "Status" };
  draft.questions.forEach((q, i) => {
    labels[questionField.text(q.linkId)] = `Question ${i + 1}`;
    labels[questionField.options(q.linkId)] = `Question ${i + 1}, options`;
    labels[questionField.conditions(q.linkId)] = `Question ${i + 1}, when to show it`;
  });
  return labels;
}
