// A form's questions beside the patient's answers, in plain words. Which questions the patient
// was shown follows the form's conditions as the server applies them: in the form's order,
// a condition reads the answer of an earlier question only if that one was shown itself.
import { formatDate } from "../components/format";

export interface Condition {
  question: string;
  operator: string;
  value: string;
}

export interface Item {
  linkId: string;
  text: string;
  type: string;
  enableWhen: Condition[];
  enableBehavior?: string | null;
}

export interface Answered {
  item: Item;
  /** The answer in words, or null when the patient gave none. */
  answer: string | null;
}

function same(type: string, a: string, b: string): boolean {
  if (type === "DECIMAL" || type === "INTEGER") return Number(a) === Number(b);
  return a === b;
}

function holds(when: Condition, shown: Map<string, { type: string; value: string }>): boolean {
  const given = shown.get(when.question);
  switch (when.operator) {
    case "EXISTS":
      return (given !== undefined) === (when.value === "true");
    case "EQUALS":
      return given !== undefined && same(given.type, given.value, when.value);
    case "NOT_EQUALS":
      // No answer is not equal to the value.
      return given === undefined || !same(given.type, given.value, when.value);
    default:
      return false;
  }
}

/** The questions the patient was shown, each with its answer, and how many were hidden. */
export function questionsAnswered(items: Item[], answers: { linkId: string; value: string }[]): { shown: Answered[]; hidden: number } {
  const given = new Map(answers.map((a) => [a.linkId, a.value]));
  const shownAnswers = new Map<string, { type: string; value: string }>();
  const shown: Answered[] = [];
  let hidden = 0;
  for (const item of items) {
    const results = item.enableWhen.map((w) => holds(w, shownAnswers));
    const enabled = results.length === 0 || (item.enableBehavior === "ANY" ? results.some(Boolean) : results.every(Boolean));
    if (!enabled) {
      hidden += 1;
      continue;
    }
    const value = given.get(item.linkId);
    if (value !== undefined) shownAnswers.set(item.linkId, { type: item.type, value });
    shown.push({ item, answer: value === undefined ? null : answerWords(item.type, value) });
  }
  return { shown, hidden };
}

/** An answer as staff read it: yes or no, a date written out, a number in the browser's way. */
export function answerWords(type: string, value: string): string {
  switch (type) {
    case "BOOLEAN":
      return value === "true" ? "Yes" : "No";
    case "DATE":
      return formatDate(value);
    case "DECIMAL":
    case "INTEGER": {
      const n = Number(value);
      return Number.isFinite(n) ? new Intl.NumberFormat(undefined, { maximumFractionDigits: 6 }).format(n) : value;
    }
    default:
      // A choice's answer is its option's text; text is the patient's own words.
      return value;
  }
}
