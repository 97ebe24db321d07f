// The form that adds or changes an endpoint: its address, a description and the events it
// receives, grouped. What was typed stays after a refusal; the refusal shows at its field.
import { useState } from "react";
import type { WebhookEventType } from "@portico/client/gql/graphql";
import { Field } from "../../components/PageState";
import { SettingsForm } from "../shared";
import { ALL_EVENTS, EVENT_GROUPS, LABELS, SENTENCES } from "./words";

export interface EndpointValues {
  url: string;
  description: string;
  eventTypes: WebhookEventType[];
}

export function EndpointForm({
  id,
  title,
  about,
  submitLabel,
  initial,
  save,
}: {
  id: string;
  title: string;
  about?: string;
  submitLabel: string;
  initial: EndpointValues;
  /** Sends the values; the problems by field, or null once saved. */
  save: (values: EndpointValues) => Promise<Record<string, string> | null>;
}) {
  const [values, setValues] = useState<EndpointValues>(initial);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [pending, setPending] = useState(false);
  const everything = ALL_EVENTS.every((t) => values.eventTypes.includes(t));

  function submit() {
    if (pending) return;
    const local: Record<string, string> = {};
    if (!values.url.trim()) local.url = "Enter the address Portico sends events to, starting with https://.";
    if (values.eventTypes.length === 0) local.eventTypes = SENTENCES.WEBHOOK_EVENTS_REQUIRED!;
    setProblems(local);
    if (Object.keys(local).length) return;
    setPending(true);
    void save({ ...values, url: values.url.trim(), description: values.description.trim() })
      .then((found) => setProblems(found ?? {}))
      .finally(() => setPending(false));
  }

  function toggle(type: WebhookEventType, on: boolean) {
    setValues((v) => ({ ...v, eventTypes: on ? [...v.eventTypes, type] : v.eventTypes.filter((t) => t !== type) }));
  }

  return (
    <SettingsForm id={id} title={title} about={about} problems={problems} labels={LABELS} saved={null} pending={pending} submitLabel={submitLabel} onSubmit={submit}>
      <Field name="url" label={LABELS.url} hint="Where Portico sends each event, as an HTTP POST. It must start with https://." error={problems.url}>
        {(p) => <input {...p} type="url" value={values.url} onChange={(e) => setValues((v) => ({ ...v, url: e.target.value }))} autoComplete="off" spellCheck={false} />}
      </Field>
      <Field name="description" label={`${LABELS.description} (optional)`} hint="Which system receives the events, so the next admin knows. Up to 200 characters." error={problems.description}>
        {(p) => <input {...p} value={values.description} onChange={(e) => setValues((v) => ({ ...v, description: e.target.value }))} autoComplete="off" />}
      </Field>
      <fieldset className={problems.eventTypes ? "webhook-events field-error" : "webhook-events"} aria-describedby={problems.eventTypes ? `${id}-events-error` : undefined}>
        <legend>{LABELS.eventTypes}</legend>
        {problems.eventTypes && (
          <p className="error-text" id={`${id}-events-error`}>
            {problems.eventTypes}
          </p>
        )}
        <button type="button" className="small" id="field-eventTypes" onClick={() => setValues((v) => ({ ...v, eventTypes: everything ? [] : [...ALL_EVENTS] }))}>
          {everything ? "Clear every event" : "Choose every event"}
        </button>
        <div className="webhook-event-groups">
          {EVENT_GROUPS.map((g) => (
            <fieldset key={g.title}>
              <legend>{g.title}</legend>
              {g.events.map((e) => (
                <label key={e.type} className="checkbox">
                  <input type="checkbox" checked={values.eventTypes.includes(e.type)} onChange={(ev) => toggle(e.type, ev.target.checked)} />
                  <span>
                    {e.label} <code className="muted">{e.wire}</code>
                  </span>
                </label>
              ))}
            </fieldset>
          ))}
        </div>
      </fieldset>
    </SettingsForm>
  );
}
