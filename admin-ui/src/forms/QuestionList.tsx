// The form's questions in order: each one's editor, and adding, moving and removing them
// with the focus kept where the admin is working (the moved question's button, a new
// question's text, "Add a question" after a removal).
import { EmptyState } from "../components/PageState";
import { QuestionEditor } from "./QuestionEditor";
import { blankQuestion, moved, type QuestionDraft } from "./draft";
import { questionField } from "./problems";

function focusLater(id: string, fallback?: string) {
  requestAnimationFrame(() => {
    const el = document.getElementById(id) as HTMLButtonElement | null;
    if (el && !el.disabled) el.focus();
    else if (fallback) document.getElementById(fallback)?.focus();
  });
}

export function QuestionList({
  questions,
  problems,
  onChange,
  onRemoved,
}: {
  questions: QuestionDraft[];
  problems: Record<string, string>;
  onChange: (next: QuestionDraft[]) => void;
  /** Told which place (from 1) was removed, to say so. */
  onRemoved: (number: number) => void;
}) {
  function add() {
    const added = blankQuestion(questions);
    onChange([...questions, added]);
    focusLater(`field-${questionField.text(added.linkId)}`);
  }

  function move(index: number, by: -1 | 1) {
    const linkId = questions[index]!.linkId;
    onChange(moved(questions, index, by));
    const up = `move-up-${linkId}`;
    const down = `move-down-${linkId}`;
    focusLater(by < 0 ? up : down, by < 0 ? down : up);
  }

  function remove(index: number) {
    const gone = questions[index]!.linkId;
    // A condition on the removed question is left to choose again (and said so on save).
    onChange(
      questions
        .filter((_, i) => i !== index)
        .map((q) => ({ ...q, conditions: q.conditions.map((c) => (c.question === gone ? { ...c, question: "", value: "" } : c)) })),
    );
    onRemoved(index + 1);
    focusLater("add-question");
  }

  return (
    <>
      <h2 className="questions-title">Questions</h2>
      {questions.length === 0 && <EmptyState title="No questions yet.">Add the first question. Patients see the questions in this order.</EmptyState>}
      {questions.map((q, i) => (
        <QuestionEditor
          key={q.linkId}
          number={i + 1}
          total={questions.length}
          question={q}
          earlier={questions.slice(0, i)}
          problems={problems}
          onChange={(next) => onChange(questions.map((old, j) => (j === i ? next : old)))}
          onMove={(by) => move(i, by)}
          onRemove={() => remove(i)}
        />
      ))}
      <p>
        <button type="button" id="add-question" onClick={add}>
          Add a question
        </button>
      </p>
    </>
  );
}
