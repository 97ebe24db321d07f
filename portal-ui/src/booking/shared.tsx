// What the booking pages share: the practice's bookable choices, links that keep the
// patient's answers in the address, the Back link, focus on a page's heading when a page's
// code arrives after the navigation, and the sentences that say when a visit is.
import { useEffect, useRef } from "react";
import { Link } from "react-router";
import { graphql } from "@portico/client";
import { useBrand } from "../app/brandContext";
import { useFormat, useT } from "../i18n/I18n";

export const OptionsQuery = graphql(`
  query PortalBookingOptions {
    appointmentTypes {
      id
      name
      durationMinutes
      mode
      bookableOnline
      active
      eligibility
      horizonDays
    }
    providers {
      id
      displayName
      specialty
    }
    locations {
      id
      name
      address
    }
  }
`);

export const SlotsQuery = graphql(`
  query PortalBookingSlots($typeId: ID!, $from: Date!, $to: Date!, $providerId: ID) {
    availableSlots(appointmentTypeId: $typeId, from: $from, to: $to, providerId: $providerId) {
      start
      end
      provider {
        id
        displayName
      }
      location {
        id
        name
        address
      }
    }
  }
`);

export const VisitsQuery = graphql(`
  query PortalVisits($patientId: ID!, $upcoming: Boolean, $first: Int) {
    appointments(patientId: $patientId, upcoming: $upcoming, first: $first) {
      id
      start
      end
      status
      changeableOnline
      confirmedAt
      rescheduledFromId
      provider {
        id
        displayName
      }
      location {
        id
        name
        address
      }
      appointmentType {
        id
        name
        durationMinutes
        mode
      }
    }
  }
`);

/** `path?key=value&…`, leaving out empty values. */
export function href(path: string, params: Record<string, string | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

export function BackLink({ to }: { to: string }) {
  const t = useT();
  return (
    <p className="back-link no-print">
      <Link to={to}>{t("booking.back")}</Link>
    </p>
  );
}

/**
 * Focus on the page's heading when it first appears, and again when the page's content
 * replaces its loading state (`stage` changes), unless focus is already inside the page: the
 * shell moves focus on navigation, but a page whose code or data was still loading had no
 * heading yet, or a heading that has since been replaced.
 */
export function useHeadingFocus(stage: unknown = null): void {
  useEffect(() => {
    const main = document.getElementById("main");
    const heading = main?.querySelector("h1");
    const active = document.activeElement;
    if (!main || !heading) return;
    if (active && active !== document.body && main.contains(active)) return;
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }, [stage]);
}

/** Focus on the heading whenever `key` changes after the first render (a new state of one page). */
export function useFocusOnChange(key: unknown) {
  const ref = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    ref.current?.setAttribute("tabindex", "-1");
    ref.current?.focus();
  }, [key]);
  return ref;
}

/** "Tuesday, March 9 at 10:30 AM" (in Spanish "martes, 9 de marzo a las 10:30 a. m."). */
export function useWhen() {
  const f = useFormat();
  const t = useT();
  const { timeZone } = useBrand();
  return (iso: string) => {
    const hour = Number(new Intl.DateTimeFormat("en-US", { timeZone, hour: "numeric", hourCycle: "h23" }).format(new Date(iso)));
    return t("booking.when", { day: f.day(iso), time: f.time(iso), one: hour % 12 === 1 ? "yes" : "no" });
  };
}

/** A sentence that ends with a time like "10:30 a. m.": one full stop, not two. */
export function oneStop(sentence: string): string {
  return sentence.replace(/\.\.(?=\s|$)/g, ".");
}

/** Name and address of a place, on one line. */
export function place(location: { name: string; address?: string | null } | null | undefined): string {
  if (!location) return "";
  return location.address ? `${location.name}, ${location.address}` : location.name;
}

/** The practice's phone as a link, or "Call {practice}" when it has none on record. */
export function CallPractice() {
  const brand = useBrand();
  const t = useT();
  if (brand.phone) {
    return (
      <>
        {t("booking.call.with", { practice: brand.displayName })}{" "}
        <a href={`tel:${brand.phone.replace(/[^\d+]/g, "")}`} className="strong-link">
          {brand.phone}
        </a>
        .
      </>
    );
  }
  return <>{t("booking.call.without", { practice: brand.displayName })}</>;
}

/** An API `userErrors` code in the shape `useProblem()` reads (so it is put in words at render). */
export function codeError(code: string): unknown {
  return { graphQLErrors: [{ extensions: { code } }] };
}
