// What the schedule, the visit page and the move page share: the front desk's actions on a
// visit, its status and how it was booked in words, and calendar dates in the practice's
// time zone.
import { graphql } from "@portico/client";

export const CancelVisit = graphql(`
  mutation CancelAppointment($id: ID!) {
    cancelAppointment(input: { appointmentId: $id }) {
      appointment {
        id
        status
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const RecordOutcome = graphql(`
  mutation RecordOutcome($id: ID!, $outcome: VisitOutcome!) {
    recordAppointmentOutcome(input: { appointmentId: $id, outcome: $outcome }) {
      appointment {
        id
        status
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const STATUS: Record<string, string> = {
  BOOKED: "Booked",
  RESCHEDULED: "Moved",
  CANCELLED: "Cancelled",
  COMPLETED: "Completed",
  NO_SHOW: "No-show",
};

export function bookedVia(via: string): string {
  return via === "portal" ? "The patient portal" : "The practice";
}

/** The visit's calendar date in the practice's time zone, as YYYY-MM-DD. */
export function localDate(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(iso));
}

export function shiftDay(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Where a visit's page is; the day it is on travels in navigation state, not the address. */
export function visitPath(appointmentId: string): string {
  return `/schedule/visits/${encodeURIComponent(appointmentId)}`;
}
