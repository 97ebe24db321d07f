// Weekly hours: when a provider sees patients at a location, as a week of days each with
// one or more start–end ranges, in the practice's time zone. Saved as the provider's whole
// week at that location; what is saved now is shown beside it. Unsaved edits are kept per
// provider and location while the admin looks at another.
import { useMemo, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, ErrorSummary, LoadingState } from "../components/PageState";
import { useConsole } from "../app/session";
import { problemsFrom, useOnce, WEEKDAYS } from "./shared";

const HoursQuery = graphql(`
  query PracticeWeeklyHours {
    providers(includeInactive: true) {
      id
      displayName
      active
      weeklyAvailability {
        locationId
        weekday
        start
        end
      }
    }
    locations(includeInactive: true) {
      id
      name
      active
    }
  }
`);

const SetHours = graphql(`
  mutation PracticeSetWeeklyHours($input: SetWeeklyAvailabilityInput!) {
    setWeeklyAvailability(input: $input) {
      provider {
        id
        weeklyAvailability {
          locationId
          weekday
          start
          end
        }
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

interface Range {
  key: number;
  start: string;
  end: string;
}
/** Ranges by ISO weekday. */
type Week = Record<number, Range[]>;
interface Window {
  locationId: string;
  weekday: number;
  start: string;
  end: string;
}

/** Keys that keep each range's inputs in place while others are added or removed. */
let nextKey = 1;
function withKeys(w: Week): Week {
  const copy: Week = {};
  for (const [day, ranges] of Object.entries(w)) copy[Number(day)] = ranges.map((r) => ({ ...r, key: nextKey++ }));
  return copy;
}

const SENTENCES = {
  "windows:OVERLAPPING_WINDOWS":
    "Some of these hours overlap, here or with hours saved at another location. A provider is in one place at a time: check the saved hours below.",
  "windows:INVALID_TIME": "Enter each time as hours and minutes, for example 09:00.",
  "windows:INVALID_WINDOW": "Each range must start before it ends, within one day.",
};

// A time input cannot show 24:00: midnight at the end of a day is shown and typed as 00:00.
const toInput = (t: string) => (t === "24:00" ? "00:00" : t);
const toApiEnd = (t: string) => (t === "00:00" ? "24:00" : t);
const minutes = (t: string) => {
  const [h, m] = t.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

export default function AvailabilityPage() {
  const { me } = useConsole();
  const tz = me.tenant.timeZone;
  const [params, setParams] = useSearchParams();
  const [{ data, error, fetching }, reload] = useQuery({ query: HoursQuery });
  const [, setHours] = useMutation(SetHours);
  const [pending, once] = useOnce();
  const [drafts, setDrafts] = useState<Record<string, Week>>({});
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const refresh = () => reload({ requestPolicy: "network-only" });

  const providers = data?.providers ?? [];
  const locations = data?.locations ?? [];
  const providerId = params.get("provider") && providers.some((p) => p.id === params.get("provider")) ? params.get("provider")! : (providers[0]?.id ?? "");
  const locationId = params.get("location") && locations.some((l) => l.id === params.get("location")) ? params.get("location")! : (locations[0]?.id ?? "");
  const provider = providers.find((p) => p.id === providerId);
  const location = locations.find((l) => l.id === locationId);
  const draftKey = `${providerId}|${locationId}`;

  const savedWeek = useMemo<Week>(() => {
    const week: Week = {};
    for (const w of provider?.weeklyAvailability ?? []) {
      if (w.locationId !== locationId) continue;
      (week[w.weekday] ??= []).push({ key: 0, start: w.start, end: toInput(w.end) });
    }
    return week;
  }, [provider, locationId]);
  const savedKeyed = useMemo(() => withKeys(savedWeek), [savedWeek]);
  const week: Week = drafts[draftKey] ?? savedKeyed;
  const changed = drafts[draftKey] !== undefined && !sameWeek(drafts[draftKey]!, savedWeek);

  function edit(change: (w: Week) => Week) {
    setSaved(null);
    setDrafts((d) => ({ ...d, [draftKey]: change(d[draftKey] ?? week) }));
  }
  const addRange = (day: number) =>
    edit((w) => {
      const last = w[day]?.at(-1);
      // A second range starts after the first by default (an afternoon after a lunch break).
      const range = last ? { start: last.end, end: "17:00" } : { start: "09:00", end: "17:00" };
      return { ...w, [day]: [...(w[day] ?? []), { key: nextKey++, ...range }] };
    });
  const removeRange = (day: number, key: number) => edit((w) => ({ ...w, [day]: (w[day] ?? []).filter((r) => r.key !== key) }));
  const setRange = (day: number, key: number, part: "start" | "end", value: string) =>
    edit((w) => ({ ...w, [day]: (w[day] ?? []).map((r) => (r.key === key ? { ...r, [part]: value } : r)) }));
  const copyMonday = () =>
    edit((w) => {
      const copy = { ...w };
      for (const day of [2, 3, 4, 5]) copy[day] = (w[1] ?? []).map((r) => ({ ...r, key: nextKey++ }));
      return copy;
    });

  function choose(name: "provider" | "location", value: string) {
    const next = new URLSearchParams(params);
    next.set(name, value);
    if (name === "provider" && !next.get("location") && locationId) next.set("location", locationId);
    setParams(next, { replace: true });
    setProblems({});
    setSaved(null);
  }

  function check(w: Week): Record<string, string> {
    const found: Record<string, string> = {};
    for (const { iso, name } of WEEKDAYS) {
      const ranges = w[iso] ?? [];
      ranges.forEach((r, i) => {
        const id = `w-${iso}-${i}`;
        if (!/^\d\d:\d\d$/.test(r.start) || !/^\d\d:\d\d$/.test(r.end)) found[id] = `Enter a start and an end time for ${name}.`;
        else if (minutes(r.start) >= minutes(toApiEnd(r.end))) found[id] = `On ${name}, the hours must start before they end.`;
        else if (ranges.some((o, j) => j !== i && minutes(o.start) < minutes(toApiEnd(r.end)) && minutes(r.start) < minutes(toApiEnd(o.end)) && j < i))
          found[id] = `On ${name}, these hours overlap other hours of the same day.`;
      });
    }
    return found;
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!provider || !location) return;
    void once(async () => {
      const missing = check(week);
      setProblems(missing);
      setSaved(null);
      if (Object.keys(missing).length) return;
      const windows = WEEKDAYS.flatMap(({ iso }) => (week[iso] ?? []).map((r) => ({ weekday: iso, start: r.start, end: toApiEnd(r.end) })));
      const result = await setHours({ input: { providerId: provider.id, locationId: location.id, windows } });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.setWeeklyAvailability;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, SENTENCES));
      setDrafts((d) => {
        const rest = { ...d };
        delete rest[draftKey];
        return rest;
      });
      setSaved(
        windows.length
          ? `Saved. ${provider.displayName} sees patients at ${location.name} ${describe(windows)}.`
          : `Saved. ${provider.displayName} has no hours at ${location.name} now.`,
      );
      refresh();
    });
  }

  const labels: Record<string, string> = { windows: "Weekly hours" };
  for (const { iso, name } of WEEKDAYS) (week[iso] ?? []).forEach((_, i) => (labels[`w-${iso}-${i}`] = `${name}, hours ${i + 1}`));

  if (error && !data) return <ErrorState problem={problemOf(error)} retry={refresh} />;
  if (fetching && !data) return <LoadingState label="Loading weekly hours" />;
  if (!data) return null;
  return (
    <>
      <p>
        <Link to="/setup">Back to set-up</Link>
      </p>
      <h1>Weekly hours</h1>
      <p>
        When each provider sees patients, at each location, every week. Patients can book times inside these hours. Times are in the practice's time
        zone, {tz}.
      </p>
      {providers.length === 0 || locations.length === 0 ? (
        <EmptyState title={providers.length === 0 ? "Add a provider first." : "Add a location first."}>
          Weekly hours belong to a provider at a location.{" "}
          {providers.length === 0 ? <Link to="/practice/providers">Add a provider</Link> : <Link to="/practice/locations">Add a location</Link>}
        </EmptyState>
      ) : (
        <>
          <div className="row choose">
            <label className="stack" htmlFor="hours-provider">
              Provider
              <select id="hours-provider" value={providerId} onChange={(e) => choose("provider", e.target.value)}>
                {providers.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.displayName}
                    {p.active ? "" : " (not bookable)"}
                  </option>
                ))}
              </select>
            </label>
            <label className="stack" htmlFor="hours-location">
              Location
              <select id="hours-location" value={locationId} onChange={(e) => choose("location", e.target.value)}>
                {locations.map((l) => (
                  <option key={l.id} value={l.id}>
                    {l.name}
                    {l.active ? "" : " (closed)"}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {saved && (
            <p className="notice" role="status">
              {saved}
            </p>
          )}
          <form onSubmit={submit} noValidate aria-labelledby="week-title" className="week-form">
            <h2 id="week-title">
              {provider?.displayName} at {location?.name}
            </h2>
            <ErrorSummary problems={problems} labels={labels} />
            <table className="data-table week-grid">
              <caption className="visually-hidden">
                Weekly hours of {provider?.displayName} at {location?.name}, by day
              </caption>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  <th scope="col">Hours</th>
                  <th scope="col">
                    <span className="visually-hidden">Add</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {WEEKDAYS.map(({ iso, name }) => {
                  const ranges = week[iso] ?? [];
                  return (
                    <tr key={iso}>
                      <th scope="row">{name}</th>
                      <td>
                        {ranges.length === 0 && <span className="muted">Not working</span>}
                        <ul className="ranges">
                          {ranges.map((r, i) => {
                            const id = `field-w-${iso}-${i}`;
                            const problem = problems[`w-${iso}-${i}`];
                            return (
                              <li key={r.key} className={problem ? "range field-error" : "range"}>
                                <label className="visually-hidden" htmlFor={id}>
                                  {name}, hours {i + 1}, start
                                </label>
                                <input
                                  id={id}
                                  type="time"
                                  step={300}
                                  value={r.start}
                                  aria-invalid={Boolean(problem)}
                                  aria-describedby={problem ? `${id}-error` : undefined}
                                  onChange={(e) => setRange(iso, r.key, "start", e.target.value)}
                                />
                                <span aria-hidden="true">to</span>
                                <label className="visually-hidden" htmlFor={`${id}-end`}>
                                  {name}, hours {i + 1}, end
                                </label>
                                <input
                                  id={`${id}-end`}
                                  type="time"
                                  step={300}
                                  value={r.end}
                                  aria-invalid={Boolean(problem)}
                                  aria-describedby={problem ? `${id}-error` : undefined}
                                  onChange={(e) => setRange(iso, r.key, "end", e.target.value)}
                                />
                                <button type="button" className="small" onClick={() => removeRange(iso, r.key)} aria-label={`Remove ${name} hours ${i + 1}`}>
                                  Remove
                                </button>
                                {problem && (
                                  <p className="error-text" id={`${id}-error`}>
                                    {problem}
                                  </p>
                                )}
                              </li>
                            );
                          })}
                        </ul>
                      </td>
                      <td>
                        <button type="button" className="small" onClick={() => addRange(iso)} aria-label={`Add hours on ${name}`}>
                          Add hours
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <p className="hint">Midnight at the end of a day is 00:00. An empty day means no visits that day.</p>
            {changed && (
              <p className="banner banner-warning" role="status">
                These hours have changes that are not saved yet.
              </p>
            )}
            <div className="actions">
              <button type="submit" className="primary" disabled={pending}>
                Save weekly hours
              </button>
              {(week[1]?.length ?? 0) > 0 && (
                <button type="button" onClick={copyMonday}>
                  Copy Monday to Tuesday–Friday
                </button>
              )}
              {changed && (
                <button
                  type="button"
                  onClick={() => (
                    setDrafts((d) => {
                      const rest = { ...d };
                      delete rest[draftKey];
                      return rest;
                    }),
                    setProblems({})
                  )}
                >
                  Undo changes
                </button>
              )}
            </div>
          </form>
          {provider && <SavedNow provider={provider} locations={locations} />}
        </>
      )}
    </>
  );
}

/** What is saved now for the provider, at every location (hours may not overlap across them). */
function SavedNow({
  provider,
  locations,
}: {
  provider: { displayName: string; weeklyAvailability: Window[] };
  locations: { id: string; name: string }[];
}) {
  const at = locations.filter((l) => provider.weeklyAvailability.some((w) => w.locationId === l.id));
  return (
    <section aria-labelledby="saved-title" className="saved-hours">
      <h2 id="saved-title">Saved now for {provider.displayName}</h2>
      {at.length === 0 ? (
        <p>No weekly hours are saved yet, so patients cannot book with {provider.displayName}.</p>
      ) : (
        <dl className="facts">
          {at.map((l) => (
            <div key={l.id} className="facts-row">
              <dt>{l.name}</dt>
              <dd>{describe(provider.weeklyAvailability.filter((w) => w.locationId === l.id))}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}

/** "Monday to Friday 9:00 AM–12:00 PM and 1:00 PM–5:00 PM; Saturday 9:00 AM–1:00 PM". */
function describe(windows: { weekday: number; start: string; end: string }[]): string {
  const clock = new Intl.DateTimeFormat(undefined, { timeStyle: "short", timeZone: "UTC" });
  const time = (t: string) => (t === "24:00" ? "midnight" : clock.format(new Date(`1970-01-01T${t}:00Z`)));
  const days = WEEKDAYS.map(({ iso, name }) => ({
    name,
    hours: windows
      .filter((w) => w.weekday === iso)
      .sort((a, b) => a.start.localeCompare(b.start))
      .map((w) => `${time(w.start)}–${time(w.end)}`)
      .join(" and "),
  }));
  // Days in a row with the same hours are said once: "Monday to Friday".
  const runs: { first: string; last: string; hours: string }[] = [];
  days.forEach((day, i) => {
    const run = runs.at(-1);
    if (!day.hours) return;
    if (run && run.hours === day.hours && run.last === days[i - 1]?.name) run.last = day.name;
    else runs.push({ first: day.name, last: day.name, hours: day.hours });
  });
  return runs.map((r) => `${r.first === r.last ? r.first : `${r.first} to ${r.last}`} ${r.hours}`).join("; ");
}

function sameWeek(a: Week, b: Week): boolean {
  const flat = (w: Week) =>
    WEEKDAYS.map(({ iso }) => (w[iso] ?? []).map((r) => `${r.start}-${r.end}`).join(","))
      .join("|");
  return flat(a) === flat(b);
}
