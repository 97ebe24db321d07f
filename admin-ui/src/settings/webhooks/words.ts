// What the webhooks pages say: each event in plain words and its group, why an endpoint is
// off, a delivery's state and an attempt's failure in words, and the API's refusals.
import type { WebhookDeliveryStatus, WebhookDisabledReason, WebhookEventType } from "@portico/client/gql/graphql";

export const EVENT_GROUPS: { title: string; events: { type: WebhookEventType; wire: string; label: string }[] }[] = [
  {
    title: "Appointments",
    events: [
      { type: "APPOINTMENT_BOOKED", wire: "appointment.booked", label: "Appointment booked" },
      { type: "APPOINTMENT_MOVED", wire: "appointment.moved", label: "Appointment moved" },
      { type: "APPOINTMENT_CANCELLED", wire: "appointment.cancelled", label: "Appointment cancelled" },
      { type: "APPOINTMENT_COMPLETED", wire: "appointment.completed", label: "Appointment completed" },
    ],
  },
  {
    title: "Messages and refills",
    events: [
      { type: "MESSAGE_RECEIVED", wire: "message.received", label: "Message received" },
      { type: "REFILL_REQUESTED", wire: "refill.requested", label: "Refill requested" },
      { type: "REFILL_DECIDED", wire: "refill.decided", label: "Refill decided" },
    ],
  },
  {
    title: "Patients and forms",
    events: [
      { type: "PATIENT_ACTIVATED", wire: "patient.activated", label: "Patient joined the portal" },
      { type: "FORM_ANSWERED", wire: "form.answered", label: "Form answered" },
      { type: "READING_BEYOND_THRESHOLD", wire: "reading.beyond_threshold", label: "Reading beyond threshold" },
    ],
  },
  {
    title: "EHR sync",
    events: [
      { type: "EHR_SYNC_FINISHED", wire: "ehr_sync.finished", label: "EHR sync finished" },
      { type: "EHR_SYNC_FAILED", wire: "ehr_sync.failed", label: "EHR sync failed" },
    ],
  },
];

export const ALL_EVENTS: WebhookEventType[] = EVENT_GROUPS.flatMap((g) => g.events.map((e) => e.type));

export function eventLabel(type: WebhookEventType | null | undefined): string {
  if (!type) return "An event no longer offered";
  for (const g of EVENT_GROUPS) for (const e of g.events) if (e.type === type) return e.label;
  return type;
}

/** The payload's `type`, as a receiver's code sees it: `appointment.booked`. */
export function eventWireName(type: WebhookEventType): string {
  for (const g of EVENT_GROUPS) for (const e of g.events) if (e.type === type) return e.wire;
  return type.toLowerCase();
}

/** The events of an endpoint in words, in the order of the groups. */
export function eventsInWords(types: readonly WebhookEventType[]): string {
  if (ALL_EVENTS.every((t) => types.includes(t))) return "Every event";
  return ALL_EVENTS.filter((t) => types.includes(t)).map(eventLabel).join(", ");
}

export const OFF_BECAUSE: Record<WebhookDisabledReason, string> = {
  MANUAL: "Turned off by an admin",
  FAILING: "Turned off after failing for three days",
};

export const STATUS_WORDS: Record<WebhookDeliveryStatus, string> = {
  PENDING: "Pending",
  DELIVERED: "Delivered",
  FAILED: "Failed",
};

const ATTEMPT_ERRORS: Record<string, string> = {
  REDIRECT_NOT_FOLLOWED: "Answered with a redirect, which Portico does not follow",
  TIMEOUT: "Did not answer in time",
  CONNECT_FAILED: "Could not be reached",
  ADDRESS_NOT_ALLOWED: "The address led to a private network, where Portico does not send",
  URL_NOT_ALLOWED: "The address is not allowed (https to a public address only)",
  REQUEST_FAILED: "The request could not be completed",
  ENDPOINT_DISABLED: "Not sent: the endpoint was off",
};

/** What the receiver answered, or why there was no answer, in words. */
export function answerInWords(statusCode: number | null | undefined, error: string | null | undefined): string {
  if (statusCode != null) {
    const kind = statusCode >= 200 && statusCode < 300 ? "accepted" : statusCode >= 500 ? "receiver error" : statusCode >= 400 ? "refused" : "not accepted";
    return `Status ${statusCode} (${kind})`;
  }
  if (error) return ATTEMPT_ERRORS[error] ?? "The request could not be completed";
  return "—";
}

export const URL_SENTENCE =
  "Enter an address that starts with https:// and is reachable on the internet, for example https://hooks.example.org/portico. Addresses on a private network are refused.";

export const SENTENCES: Record<string, string> = {
  WEBHOOK_URL_NOT_ALLOWED: URL_SENTENCE,
  WEBHOOK_EVENTS_REQUIRED: "Choose at least one event to send.",
  INVALID_DESCRIPTION: "Keep the description to 200 characters or fewer.",
  WEBHOOK_LIMIT_REACHED: "Your practice has the most endpoints allowed (20). Delete one you no longer use first.",
  WEBHOOK_ENDPOINT_DISABLED: "The endpoint is off. Turn the endpoint on first, then replay.",
  INVALID_RANGE: "Choose a time within the last 30 days, and not in the future.",
};

export const LABELS = { url: "Address", description: "Description", eventTypes: "Events to send" };
