// Booking as a short sequence of question pages (UI.md): the type of visit, the provider (or
// the first available), a day, a time, then the answers to check before booking. Every answer
// lives in the address, so Back and refresh keep them. A time taken meanwhile sends the
// patient back to the times with the reason; when no time suits, the waitlist.
import { useState, type FormEvent } from "react";
import { Link, Navigate, useLocation, useNavigate, useParams, useSearchParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql } from "@portico/client";
import type { PortalBookingOptionsQuery } from "@portico/client/gql/graphql";
import { allows, usePortal } from "../app/portal";
import { useBrand } from "../app/brandContext";
import { useProblem } from "../app/problem";
import { useFormat, useT } from "../i18n/I18n";
import { ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { addDays, endOfDay, isDate, noonOf, todayIn } from "./dates";
import { DayList, TimeList, type Slot } from "./SlotPicker";
import { BackLink, OptionsQuery, codeError, href, place, useFocusOnChange, useHeadingFocus, useWhen } from "./shared";
import "./booking.css";

const BookMutation = graphql(`
  mutation PortalBookAppointment($input: BookAppointmentInput!) {
    bookAppointment(input: $input) {
      appointment {
        id
        start
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const JoinWaitlistMutation = graphql(`
  mutation PortalJoinWaitlist($input: JoinWaitlistInput!) {
    joinWaitlist(input: $input) {
      waitlistEntry {
        id
        wantedBefore
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const ANY = "any";

/** The answers so far, read from the address. */
function useAnswers() {
  const [params] = useSearchParams();
  return {
    type: params.get("type") ?? "",
    provider: params.get("provider") ?? "",
    from: params.get("from"),
    day: params.get("day"),
    start: params.get("start") ?? "",
    sp: params.get("sp") ?? "",
    loc: params.get("loc") ?? "",
  };
}
type Answers = ReturnType<typeof useAnswers>;

export default function BookPage() {
  const { step } = useParams();
  const { chart } = usePortal();
  const t = useT();
  const describe = useProblem();
  const answers = useAnswers();
  const [options, reload] = useQuery({ query: OptionsQuery });
  useHeadingFocus(Boolean(options.data));

  if (!allows(chart, "BOOK")) {
    return (
      <>
        <h1>{t("booking.title")}</h1>
        <p>{t("booking.notAllowed", { name: chart.patient.givenName })}</p>
        <p>
          <Link to="/visits">{t("booking.visitsLink")}</Link>
        </p>
      </>
    );
  }
  if (!options.data) {
    return (
      <>
        <h1>{t("booking.title")}</h1>
        {options.error ? (
          <ErrorState problem={describe(options.error)} retry={() => reload({ requestPolicy: "network-only" })} />
        ) : (
          <LoadingState label={t("booking.loading")} />
        )}
      </>
    );
  }
  const types = options.data.appointmentTypes.filter((x) => x.bookableOnline && x.active);
  const type = types.find((x) => x.id === answers.type);
  const providerChoice = answers.provider === ANY ? ANY : options.data.providers.find((p) => p.id === answers.provider)?.id;

  // Each step needs the answers before it; a missing one goes back to its question.
  if (step && !type) return <Navigate to="/book" replace />;
  if (step && step !== "provider" && !providerChoice) return <Navigate to={href("/book/provider", { type: answers.type })} replace />;
  if ((step === "time" || step === "check") && !isDate(answers.day)) return <Navigate to={href("/book/day", { type: answers.type, provider: answers.provider })} replace />;
  if (step === "check" && !answers.start) return <Navigate to={href("/book/time", { type: answers.type, provider: answers.provider, day: answers.day })} replace />;

  switch (step) {
    case undefined:
      return <TypeStep types={types} answers={answers} />;
    case "provider":
      return <ProviderStep providers={options.data.providers} answers={answers} />;
    case "day":
      return <DayStep answers={answers} horizonDays={type!.horizonDays} />;
    case "time":
      return <TimeStep answers={answers} />;
    case "check":
      return <CheckStep answers={answers} options={options.data} />;
    case "waitlist":
      return <WaitlistStep answers={answers} typeName={type!.name} />;
    default:
      return <Navigate to="/book" replace />;
  }
}

type Options = PortalBookingOptionsQuery;

function TypeStep({ types, answers }: { types: Options["appointmentTypes"]; answers: Answers }) {
  const t = useT();
  const navigate = useNavigate();
  const location = useLocation();
  const [chosen, setChosen] = useState(answers.type);
  const [missing, setMissing] = useState(false);
  const describe = useProblem();
  const reasonCode = (location.state as { problem?: string } | null)?.problem;
  const reason = reasonCode ? describe(codeError(reasonCode)).sentence : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!chosen) return setMissing(true);
    // A new type: the provider stays, the day and time start again.
    navigate(href("/book/provider", { type: chosen, provider: answers.provider }));
  };
  const problems = [
    ...(reason ? [{ field: `type-${types[0]?.id ?? ""}`, sentence: reason }] : []),
    ...(missing ? [{ field: `type-${types[0]?.id ?? ""}`, sentence: t("booking.type.required") }] : []),
  ];
  if (types.length === 0) {
    return (
      <>
        <BackLink to="/visits" />
        <h1>{t("booking.title")}</h1>
        <div className="empty">
          <p>{t("booking.type.none")}</p>
          <p>
            <CallLine />
          </p>
        </div>
      </>
    );
  }
  return (
    <>
      <BackLink to="/visits" />
      <ErrorSummary problems={problems} />
      <form onSubmit={submit} noValidate className="stack">
        <fieldset className={`booking-fieldset${missing ? " field-error" : ""}`} aria-describedby={missing ? "type-error" : undefined}>
          <legend>
            <span className="booking-caption">{t("booking.caption")}</span>
            <h1>{t("booking.type.title")}</h1>
          </legend>
          {missing && (
            <p className="error-message" id="type-error">
              {t("booking.type.required")}
            </p>
          )}
          <div className="booking-radios">
            {types.map((type) => (
              <div className="booking-radio" key={type.id}>
                <input
                  type="radio"
                  id={`type-${type.id}`}
                  name="type"
                  value={type.id}
                  checked={chosen === type.id}
                  onChange={() => (setChosen(type.id), setMissing(false))}
                  aria-describedby={`type-${type.id}-hint`}
                />
                <label htmlFor={`type-${type.id}`}>{type.name}</label>
                <p className="hint" id={`type-${type.id}-hint`}>
                  {t(type.mode === "VIDEO" ? "booking.type.video" : "booking.type.inPerson", { minutes: type.durationMinutes })}
                  {type.eligibility === "NEW" && <> {t("booking.type.forNew")}</>}
                  {type.eligibility === "ESTABLISHED" && <> {t("booking.type.forEstablished")}</>}
                </p>
              </div>
            ))}
          </div>
        </fieldset>
        <p>
          <button type="submit" className="button">
            {t("booking.continue")}
          </button>
        </p>
      </form>
    </>
  );
}

function ProviderStep({ providers, answers }: { providers: Options["providers"]; answers: Answers }) {
  const t = useT();
  const navigate = useNavigate();
  const [chosen, setChosen] = useState(answers.provider);
  const [missing, setMissing] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!chosen) return setMissing(true);
    navigate(href("/book/day", { type: answers.type, provider: chosen }));
  };
  const choices = [{ id: ANY, label: t("booking.provider.any"), hint: t("booking.provider.anyHint") }].concat(
    providers.map((p) => ({ id: p.id, label: p.displayName, hint: p.specialty ?? "" })),
  );
  return (
    <>
      <BackLink to={href("/book", { type: answers.type, provider: answers.provider })} />
      <ErrorSummary problems={missing ? [{ field: `provider-${ANY}`, sentence: t("booking.provider.required") }] : []} />
      <form onSubmit={submit} noValidate className="stack">
        <fieldset className={`booking-fieldset${missing ? " field-error" : ""}`} aria-describedby={missing ? "provider-error" : undefined}>
          <legend>
            <span className="booking-caption">{t("booking.caption")}</span>
            <h1>{t("booking.provider.title")}</h1>
          </legend>
          {missing && (
            <p className="error-message" id="provider-error">
              {t("booking.provider.required")}
            </p>
          )}
          <div className="booking-radios">
            {choices.map((c) => (
              <div className="booking-radio" key={c.id}>
                <input
                  type="radio"
                  id={`provider-${c.id}`}
                  name="provider"
                  value={c.id}
                  checked={chosen === c.id}
                  onChange={() => (setChosen(c.id), setMissing(false))}
                  aria-describedby={c.hint ? `provider-${c.id}-hint` : undefined}
                />
                <label htmlFor={`provider-${c.id}`}>{c.label}</label>
                {c.hint && (
                  <p className="hint" id={`provider-${c.id}-hint`}>
                    {c.hint}
                  </p>
                )}
              </div>
            ))}
          </div>
        </fieldset>
        <p>
          <button type="submit" className="button">
            {t("booking.continue")}
          </button>
        </p>
      </form>
    </>
  );
}

function DayStep({ answers, horizonDays }: { answers: Answers; horizonDays: number }) {
  const t = useT();
  const { timeZone } = useBrand();
  const today = todayIn(timeZone);
  const from = isDate(answers.from) && answers.from >= today ? answers.from : today;
  const base = { type: answers.type, provider: answers.provider };
  return (
    <>
      <BackLink to={href("/book/provider", base)} />
      <span className="booking-caption">{t("booking.caption")}</span>
      <h1>{t("booking.day.title")}</h1>
      <DayList
        typeId={answers.type}
        providerId={answers.provider === ANY ? null : answers.provider}
        from={from}
        horizonDays={horizonDays}
        dayHref={(day) => href("/book/time", { ...base, from: from === today ? null : from, day })}
        pageHref={(next) => href("/book/day", { ...base, from: next === today ? null : next })}
        waitlistHref={href("/book/waitlist", base)}
      />
    </>
  );
}

function TimeStep({ answers }: { answers: Answers }) {
  const t = useT();
  const f = useFormat();
  const { timeZone } = useBrand();
  const location = useLocation();
  const describe = useProblem();
  const code = (location.state as { problem?: string } | null)?.problem;
  const problem = code ? describe(codeError(code)).sentence : null;
  const base = { type: answers.type, provider: answers.provider, from: answers.from };
  const day = answers.day!;
  return (
    <>
      <BackLink to={href("/book/day", base)} />
      <span className="booking-caption">{t("booking.caption")}</span>
      <h1>{t("booking.time.title", { day: f.day(noonOf(day, timeZone)) })}</h1>
      <TimeList
        typeId={answers.type}
        providerId={answers.provider === ANY ? null : answers.provider}
        day={day}
        problem={problem}
        slotHref={(slot: Slot) => href("/book/check", { ...base, day, start: slot.start, sp: slot.providerId, loc: slot.locationId })}
        otherDayHref={href("/book/day", base)}
        waitlistHref={href("/book/waitlist", { type: answers.type, provider: answers.provider })}
      />
    </>
  );
}

function CheckStep({ answers, options }: { answers: Answers; options: Options }) {
  const t = useT();
  const when = useWhen();
  const navigate = useNavigate();
  const describe = useProblem();
  const { chart } = usePortal();
  const [booking, book] = useMutation(BookMutation);
  const [problem, setProblem] = useState<unknown>(null);
  const type = options.appointmentTypes.find((x) => x.id === answers.type)!;
  const provider = options.providers.find((p) => p.id === answers.sp);
  const location = options.locations.find((l) => l.id === answers.loc);
  const base = { type: answers.type, provider: answers.provider };
  const timeHref = href("/book/time", { ...base, from: answers.from, day: answers.day });

  const confirm = async (e: FormEvent) => {
    e.preventDefault();
    if (booking.fetching) return;
    setProblem(null);
    const result = await book({
      input: { patientId: chart.patient.id, appointmentTypeId: answers.type, providerId: answers.sp, locationId: answers.loc, start: answers.start },
    });
    if (result.error) return setProblem(result.error);
    const payload = result.data?.bookAppointment;
    const error = payload?.userErrors[0];
    if (error) {
      if (error.code === "NOT_ELIGIBLE" || error.code === "NOT_BOOKABLE" || error.code === "NOT_BOOKABLE_ONLINE") {
        return navigate(href("/book", base), { state: { problem: error.code } });
      }
      // Taken meanwhile (or no longer open): back to the times, the other answers kept.
      return navigate(timeHref, { state: { problem: error.code } });
    }
    if (payload?.appointment) navigate(`/visits/${encodeURIComponent(payload.appointment.id)}`, { state: { done: "booked" } });
  };

  return (
    <>
      <BackLink to={timeHref} />
      <span className="booking-caption">{t("booking.caption")}</span>
      <h1>{t("booking.check.title")}</h1>
      {problem !== null && <ErrorState problem={describe(problem)} />}
      <dl className="booking-summary">
        <div>
          <dt>{t("booking.check.type")}</dt>
          <dd>{type.name}</dd>
          <dd className="booking-change">
            <Link to={href("/book", { ...base })}>
              {t("booking.change")}
              <span className="visually-hidden"> {t("booking.check.type")}</span>
            </Link>
          </dd>
        </div>
        <div>
          <dt>{t("booking.check.provider")}</dt>
          <dd>{provider?.displayName ?? ""}</dd>
          <dd className="booking-change">
            <Link to={href("/book/provider", base)}>
              {t("booking.change")}
              <span className="visually-hidden"> {t("booking.check.provider")}</span>
            </Link>
          </dd>
        </div>
        <div>
          <dt>{t("booking.check.when")}</dt>
          <dd>
            <span data-testid="check-when">{when(answers.start)}</span>
            <br />
            <span className="hint">{t("booking.minutes", { minutes: type.durationMinutes })}</span>
          </dd>
          <dd className="booking-change">
            <Link to={timeHref}>
              {t("booking.change")}
              <span className="visually-hidden"> {t("booking.check.when")}</span>
            </Link>
          </dd>
        </div>
        <div>
          <dt>{t("booking.check.where")}</dt>
          <dd>{type.mode === "VIDEO" ? t("booking.check.video") : place(location)}</dd>
        </div>
      </dl>
      <form onSubmit={confirm}>
        <button type="submit" className="button" disabled={booking.fetching}>
          {booking.fetching ? t("booking.check.working") : t("booking.check.confirm")}
        </button>
      </form>
    </>
  );
}

function CallLine() {
  const brand = useBrand();
  const t = useT();
  if (!brand.phone) return <>{t("booking.type.call", { practice: brand.displayName })}</>;
  return (
    <>
      {t("booking.type.callAt", { practice: brand.displayName })}{" "}
      <a href={`tel:${brand.phone.replace(/[^\d+]/g, "")}`} className="strong-link">
        {brand.phone}
      </a>
      .
    </>
  );
}

function WaitlistStep({ answers, typeName }: { answers: Answers; typeName: string }) {
  const t = useT();
  const f = useFormat();
  const describe = useProblem();
  const { chart } = usePortal();
  const { timeZone } = useBrand();
  const [before, setBefore] = useState("");
  const [fieldCode, setFieldCode] = useState<string | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [joined, setJoined] = useState<string | null | undefined>(undefined);
  const [joining, join] = useMutation(JoinWaitlistMutation);
  const heading = useFocusOnChange(joined !== undefined);
  const today = todayIn(timeZone);
  const fieldError = fieldCode === null ? null : fieldCode === "DATE_PASSED" ? t("booking.waitlist.beforeInvalid") : describe(codeError(fieldCode)).sentence;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (joining.fetching) return;
    setProblem(null);
    const value = before.trim();
    if (value && (!isDate(value) || value < today)) return setFieldCode("DATE_PASSED");
    setFieldCode(null);
    const result = await join({
      input: {
        patientId: chart.patient.id,
        appointmentTypeId: answers.type,
        providerId: answers.provider === ANY ? null : answers.provider,
        wantedBefore: value ? endOfDay(value, timeZone) : null,
      },
    });
    if (result.error) return setProblem(result.error);
    const payload = result.data?.joinWaitlist;
    const error = payload?.userErrors[0];
    if (error) {
      if (error.field === "wantedBefore") return setFieldCode(error.code);
      return setProblem(codeError(error.code));
    }
    setJoined(value || null);
  };

  if (joined !== undefined) {
    return (
      <>
        <h1 ref={heading}>{t("booking.waitlist.doneTitle")}</h1>
        <p className="notice booking-done" role="status">
          {joined ? t("booking.waitlist.doneBefore", { type: typeName, date: f.calendarDate(joined) }) : t("booking.waitlist.done", { type: typeName })}
        </p>
        <p>{t("booking.waitlist.next")}</p>
        <ul className="links">
          <li>
            <Link to="/visits">{t("booking.visitsLink")}</Link>
          </li>
          <li>
            <Link to="/">{t("booking.homeLink")}</Link>
          </li>
        </ul>
      </>
    );
  }
  return (
    <>
      <BackLink to={href("/book/day", { type: answers.type, provider: answers.provider })} />
      <span className="booking-caption">{t("booking.caption")}</span>
      <h1 ref={heading}>{t("booking.waitlist.title")}</h1>
      <p>{t("booking.waitlist.lead", { type: typeName })}</p>
      <ErrorSummary problems={fieldError ? [{ field: "before", sentence: fieldError }] : []} />
      {problem !== null && <ErrorState problem={describe(problem)} />}
      <form onSubmit={submit} noValidate className="stack">
        <Field id="before" label={t("booking.waitlist.before")} hint={t("booking.waitlist.beforeHint")} error={fieldError ?? undefined}>
          {(describedBy, invalid) => (
            <input
              id="before"
              type="date"
              min={addDays(today, 1)}
              value={before}
              onChange={(e) => setBefore(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </Field>
        <p>
          <button type="submit" className="button" disabled={joining.fetching}>
            {t("booking.waitlist.submit")}
          </button>
        </p>
      </form>
    </>
  );
}
