// The patient's visits: those still to come, soonest first, and a short list of past ones,
// each with when (the practice's time), the type, the provider and the place.
import { Link, useLocation } from "react-router";
import { useQuery } from "urql";
import { allows, usePortal } from "../app/portal";
import { useProblem } from "../app/problem";
import { useFormat, useT } from "../i18n/I18n";
import { EmptyState, ErrorState, LoadingState } from "../components/PageState";
import { VisitsQuery, oneStop, place, useHeadingFocus, useWhen } from "./shared";
import "./booking.css";

const PAST_SHOWN = 5;

export default function VisitsPage() {
  const { chart } = usePortal();
  const t = useT();
  const f = useFormat();
  const when = useWhen();
  const describe = useProblem();
  const location = useLocation();
  const patientId = chart.patient.id;
  const [upcoming, reloadUpcoming] = useQuery({ query: VisitsQuery, variables: { patientId, upcoming: true, first: 50 }, requestPolicy: "cache-and-network" });
  const [all, reloadAll] = useQuery({ query: VisitsQuery, variables: { patientId, upcoming: false, first: 100 }, requestPolicy: "cache-and-network" });
  useHeadingFocus();
  const self = chart.relationship === "self";
  const cancelled = (location.state as { cancelled?: string } | null)?.cancelled;
  const now = Date.now();
  const past = (all.data?.appointments ?? []).filter((a) => Date.parse(a.start) < now).slice(0, PAST_SHOWN);
  const zone = f.zoneNote();

  return (
    <>
      <h1>{self ? t("booking.visits.title") : t("booking.visits.titleProxy", { name: chart.patient.givenName })}</h1>
      {cancelled && (
        <p className="notice booking-done" role="status">
          {oneStop(t("booking.visits.cancelled", { when: when(cancelled) }))}
        </p>
      )}
      {allows(chart, "BOOK") && (
        <p>
          <Link className="button" to="/book">
            {t("booking.visits.book")}
          </Link>
        </p>
      )}
      <section aria-labelledby="visits-upcoming" className="booking-section">
        <h2 id="visits-upcoming">{t("booking.visits.upcoming")}</h2>
        {upcoming.error && !upcoming.data && <ErrorState problem={describe(upcoming.error)} retry={() => reloadUpcoming({ requestPolicy: "network-only" })} />}
        {!upcoming.data && !upcoming.error && <LoadingState label={t("booking.visits.loading")} lines={4} />}
        {upcoming.data && upcoming.data.appointments.length === 0 && (
          <EmptyState>
            <p>{self ? t("booking.visits.none") : t("booking.visits.noneProxy", { name: chart.patient.givenName })}</p>
          </EmptyState>
        )}
        {upcoming.data && upcoming.data.appointments.length > 0 && (
          <ul className="booking-visits">
            {upcoming.data.appointments.map((a) => (
              <li key={a.id} className="card">
                <Link to={`/visits/${encodeURIComponent(a.id)}`} className="strong-link booking-visit-link">
                  {when(a.start)}
                </Link>
                <p>{t("booking.visits.with", { type: a.appointmentType?.name ?? t("booking.visits.visit"), provider: a.provider?.displayName ?? "" })}</p>
                {a.appointmentType?.mode === "VIDEO" ? <p className="hint">{t("booking.check.video")}</p> : a.location && <p className="hint">{place(a.location)}</p>}
                {a.confirmedAt && <p className="booking-status">{t("booking.visits.confirmed")}</p>}
              </li>
            ))}
          </ul>
        )}
        {zone && <p className="hint">{zone}</p>}
      </section>
      <section aria-labelledby="visits-past" className="booking-section">
        <h2 id="visits-past">{t("booking.visits.past")}</h2>
        {all.error && !all.data && <ErrorState problem={describe(all.error)} retry={() => reloadAll({ requestPolicy: "network-only" })} />}
        {!all.data && !all.error && <LoadingState label={t("booking.visits.loading")} lines={2} />}
        {all.data && past.length === 0 && <p>{t("booking.visits.noPast")}</p>}
        {past.length > 0 && (
          <ul className="plain">
            {past.map((a) => (
              <li key={a.id}>
                <Link to={`/visits/${encodeURIComponent(a.id)}`}>{f.dayWithYear(a.start)}</Link>
                <br />
                {t("booking.visits.with", { type: a.appointmentType?.name ?? t("booking.visits.visit"), provider: a.provider?.displayName ?? "" })}
                {a.status !== "COMPLETED" && a.status !== "BOOKED" && <> · {t(`booking.visits.status.${a.status}`)}</>}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
