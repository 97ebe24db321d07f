// A saved form's version, status in words and when it changed, with the button that
// activates or retires it.
import type { FormStatus } from "@portico/client/gql/graphql";
import { formatDateTime } from "../components/format";
import { useConsole } from "../app/session";
import { StatusButton } from "./StatusButton";
import { STATUS_WORDS } from "./words";

export function FormFacts({
  form,
  status,
  onDone,
}: {
  form: { id: string; title: string; version: number; updatedAt: string };
  status: FormStatus;
  onDone: Parameters<typeof StatusButton>[0]["onDone"];
}) {
  const { me } = useConsole();
  return (
    <div className="form-facts">
      <p>
        Version {form.version} · <span className={`tag status-${status.toLowerCase()}`}>{STATUS_WORDS[status]}</span> · changed{" "}
        {formatDateTime(form.updatedAt, me.tenant.timeZone)}
      </p>
      <StatusButton form={{ id: form.id, title: form.title, status }} onDone={onDone} />
    </div>
  );
}
