// Activates or retires a form version (`setFormStatus`): retiring stops new requests and
// keeps every answer; a retired or draft form can be made active again.
import { useMutation } from "urql";
import { graphql, problemOf } from "@portico/client";
import type { FormStatus } from "@portico/client/gql/graphql";
import { useOnce } from "../practice/shared";

const SetStatus = graphql(`
  mutation SetFormStatus($input: SetFormStatusInput!) {
    setFormStatus(input: $input) {
      form {
        id
        status
        updatedAt
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export function StatusButton({
  form,
  onDone,
}: {
  form: { id: string; title: string; status: FormStatus };
  /** A sentence saying what changed, or what went wrong. */
  onDone: (result: { notice?: string; problem?: string; status?: FormStatus }) => void;
}) {
  const [, setStatus] = useMutation(SetStatus);
  const [pending, once] = useOnce();
  const next: FormStatus = form.status === "ACTIVE" ? "RETIRED" : "ACTIVE";

  function change() {
    void once(async () => {
      const result = await setStatus({ input: { id: form.id, status: next } });
      const payload = result.data?.setFormStatus;
      if (result.error || !payload) return onDone({ problem: problemOf(result.error).sentence });
      if (payload.userErrors.length || !payload.form) return onDone({ problem: payload.userErrors[0]?.message ?? "The form could not be changed." });
      onDone({
        status: payload.form.status,
        notice:
          payload.form.status === "ACTIVE"
            ? `${form.title} is active: bookings ask for it and staff can send it.`
            : `${form.title} is retired: no one is asked for it any more. Answers already given are kept.`,
      });
    });
  }

  return (
    <button type="button" className="small" onClick={change} disabled={pending} aria-label={`${next === "ACTIVE" ? "Activate" : "Retire"} ${form.title}`}>
      {next === "ACTIVE" ? "Activate" : "Retire"}
    </button>
  );
}
