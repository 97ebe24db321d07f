// The slot picker booking and moving a visit share: first the days with free times (two
// weeks at a time, days without any are not offered), then that day's times, grouped by
// provider and place. A time taken meanwhile comes back here with the reason.
import { Link } from "react-router";
import { useQuery } from "urql";
import { useBrand } from "../app/brandContext";
import { useProblem } from "../app/problem";
import { useFormat, useT } from "../i18n/I18n";
import { EmptyState, ErrorState, ErrorSummary, LoadingState } from "../components/PageState";
import { addDays, daysBetween, localDay, noonOf, todayIn } from "./dates";
import { SlotsQuery } from "./shared";

export const DAYS_PER_PAGE = 14;

export interface Slot {
  start: string;
  providerId: string;
  locationId: string;
}

/** The days with free times from `from`, as links to each day's times. */
export function DayList({
  typeId,
  providerId,
  from,
  horizonDays,
  dayHref,
  pageHref,
  waitlistHref,
}: {
  typeId: string;
  providerId: string | null;
  from: string;
  horizonDays: number;
  dayHref: (day: string) => string;
  pageHref: (from: string) => string;
  waitlistHref?: string;
}) {
  const t = useT();
  const f = useFormat();
  const describe = useProblem();
  const { timeZone } = useBrand();
  const today = todayIn(timeZone);
  const to = addDays(from, DAYS_PER_PAGE - 1);
  const [{ data, error, fetching }, reload] = useQuery({
    query: SlotsQuery,
    variables: { typeId, from, to, providerId },
    requestPolicy: "cache-and-network",
  });
  const later = daysBetween(today, addDays(to, 1)) <= horizonDays;
  const earlier = from > today;

  const counts = new Map<string, number>();
  for (const s of data?.availableSlots ?? []) {
    const day = localDay(s.start, timeZone);
    counts.set(day, (counts.get(day) ?? 0) + 1);
  }
  const days = [...counts.keys()].sort();
  const range = t("booking.day.range", { from: f.calendarDate(from), to: f.calendarDate(to) });
  const zone = f.zoneNote();

  return (
    <>
      {error && !data && <ErrorState problem={describe(error)} retry={() => reload({ requestPolicy: "network-only" })} />}
      {!data && !error && <LoadingState label={t("booking.day.loading")} lines={5} />}
      {data && !fetching && days.length === 0 && (
        <EmptyState>
          <p>{t("booking.day.none", { range })}</p>
          {later && <p>{t("booking.day.noneLater")}</p>}
        </EmptyState>
      )}
      {data && days.length > 0 && (
        <>
          <p>{t("booking.day.lead", { range })}</p>
          <ul className="booking-days" aria-label={t("booking.day.listLabel")}>
            {days.map((day) => (
              <li key={day}>
                <Link to={dayHref(day)} className="booking-choice">
                  <span className="booking-choice-main">{f.day(noonOf(day, timeZone))}</span>
                  <span className="booking-choice-note">{t("booking.day.times", { count: counts.get(day) ?? 0 })}</span>
                </Link>
              </li>
            ))}
          </ul>
        </>
      )}
      {zone && <p className="hint">{zone}</p>}
      {(earlier || later) && (
        <ul className="booking-paging">
          {earlier && (
            <li>
              <Link to={pageHref(addDays(from, -DAYS_PER_PAGE) < today ? today : addDays(from, -DAYS_PER_PAGE))}>{t("booking.day.earlier")}</Link>
            </li>
          )}
          {later && (
            <li>
              <Link to={pageHref(addDays(from, DAYS_PER_PAGE))}>{t("booking.day.later")}</Link>
            </li>
          )}
        </ul>
      )}
      {waitlistHref && (
        <div className="booking-aside">
          <h2>{t("booking.waitlist.offerTitle")}</h2>
          <p>{t("booking.waitlist.offer")}</p>
          <p>
            <Link to={waitlistHref}>{t("booking.waitlist.join")}</Link>
          </p>
        </div>
      )}
    </>
  );
}

/** One day's free times, grouped by provider and place; each time links to the check page. */
export function TimeList({
  typeId,
  providerId,
  day,
  slotHref,
  otherDayHref,
  problem,
  waitlistHref,
}: {
  typeId: string;
  providerId: string | null;
  day: string;
  slotHref: (slot: Slot) => string;
  otherDayHref: string;
  problem?: string | null;
  waitlistHref?: string;
}) {
  const t = useT();
  const f = useFormat();
  const describe = useProblem();
  const [{ data, error }, reload] = useQuery({
    query: SlotsQuery,
    variables: { typeId, from: day, to: day, providerId },
    requestPolicy: problem ? "network-only" : "cache-and-network",
  });
  const groups = new Map<string, { provider: string; place: string; address: string | null; slots: Slot[] }>();
  for (const s of data?.availableSlots ?? []) {
    const key = `${s.provider?.id ?? ""}|${s.location?.id ?? ""}`;
    let group = groups.get(key);
    if (!group) {
      group = { provider: s.provider?.displayName ?? "", place: s.location?.name ?? "", address: s.location?.address ?? null, slots: [] };
      groups.set(key, group);
    }
    group.slots.push({ start: s.start, providerId: s.provider?.id ?? "", locationId: s.location?.id ?? "" });
  }
  const zone = f.zoneNote();

  return (
    <>
      <ErrorSummary problems={problem ? [{ sentence: problem }] : []} />
      {error && !data && <ErrorState problem={describe(error)} retry={() => reload({ requestPolicy: "network-only" })} />}
      {!data && !error && <LoadingState label={t("booking.time.loading")} lines={4} />}
      {data && groups.size === 0 && (
        <EmptyState>
          <p>{t("booking.time.none")}</p>
          <p>
            <Link to={otherDayHref}>{t("booking.time.otherDay")}</Link>
          </p>
        </EmptyState>
      )}
      {[...groups.entries()].map(([key, group], i) => (
        <section key={key} className="booking-group" aria-labelledby={`group-${i}`}>
          <h2 id={`group-${i}`}>{t("booking.time.with", { provider: group.provider })}</h2>
          <p className="hint">{group.address ? t("booking.time.at", { place: group.place, address: group.address }) : group.place}</p>
          <ul className="booking-times">
            {group.slots.map((slot) => (
              <li key={slot.start}>
                <Link
                  to={slotHref(slot)}
                  className="booking-time"
                  aria-label={t("booking.time.label", { time: f.time(slot.start), provider: group.provider })}
                >
                  {f.time(slot.start)}
                </Link>
              </li>
            ))}
          </ul>
        </section>
      ))}
      {zone && <p className="hint">{zone}</p>}
      {data && groups.size > 0 && (
        <p>
          <Link to={otherDayHref}>{t("booking.time.otherDay")}</Link>
        </p>
      )}
      {waitlistHref && data && (
        <p>
          {t("booking.time.noneSuit")} <Link to={waitlistHref}>{t("booking.waitlist.join")}</Link>
        </p>
      )}
    </>
  );
}
