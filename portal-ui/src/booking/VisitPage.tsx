// One visit: when, what, with whom and where; "Add to calendar" (an .ics made here); and,
// outside the practice's cancellation window, changing the time (the booking's slot picker
// for the same type, then a check) or cancelling after a confirmation. Inside the window,
// the page says to call the practice.
import { useState, type FormEvent } from "react";
import { Link, Navigate, useLocation, useNavigate, useParams, useSearchParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql } from "@portico/client";
import type { PortalVisitsQuery } from "@portico/client/gql/graphql";
import { allows, usePortal } from "../app/portal";
import { useBrand } from "../app/brandContext";
import { useProblem } from "../app/problem";
import { useFormat, useT } from "../i18n/I18n";
import { EmptyState, ErrorState, LoadingState } from "../components/PageState";
import { isDate, localDay, noonOf, todayIn } from "./dates";
import { calendarFile, download } from "./ics";
import { DayList, TimeList } from "./SlotPicker";
import { BackLink, CallPractice, OptionsQuery, VisitsQuery, codeError, href, oneStop, place, useHeadingFocus, useWhen } from "./shared";
import "./booking.css";

const CancelMutation = graphql(`
  mutation PortalCancelAppointment($input: CancelAppointmentInput!) {
    cancelAppointment(input: $input) {
      appointment {
        id
        status
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

const RescheduleMutation = graphql(`
  mutation PortalRescheduleAppointment($input: RescheduleAppointmentInput!) {
    rescheduleAppointment(input: $input) {
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

type Visit = PortalVisitsQuery["appointments"][number];

export default function VisitPage() {
  const { id = "", action, step } = useParams();
  const { chart } = usePortal();
  const t = useT();
  const describe = useProblem();
  const [{ data, error, fetching, stale }, reload] = useQuery({
    query: VisitsQuery,
    variables: { patientId: chart.patient.id, upcoming: false, first: 200 },
    requestPolicy: "cache-and-network",
  });
  const visit = data?.appointments.find((a) => a.id === id);
  useHeadingFocus(visit ? visit.id : data ? "none" : "loading");

  if (!data || !visit) {
    return (
      <>
        <BackLink to="/visits" />
        <h1>{t("booking.visit.title")}</h1>
        {error && !data && <ErrorState problem={describe(error)} retry={() => reload({ requestPolicy: "network-only" })} />}
        {((!data && !error) || (data && !visit && (fetching || stale))) && <LoadingState label={t("booking.visits.loading")} lines={5} />}
        {data && !visit && !fetching && !stale && (
          <EmptyState>
            <p>{t("booking.visit.notFound")}</p>
            <p>
              <Link to="/visits">{t("booking.visitsLink")}</Link>
            </p>
          </EmptyState>
        )}
      </>
    );
  }

  const changeable = visit.status === "BOOKED" && Date.parse(visit.start) > Date.now() && allows(chart, "BOOK");
  if (action === "cancel" && changeable && visit.changeableOnline) return <CancelStep visit={visit} />;
  if (action === "change" && changeable && visit.changeableOnline) return <ChangeStep visit={visit} step={step} />;
  if (action) return <Navigate to={`/visits/${encodeURIComponent(visit.id)}`} replace />;
  return <VisitDetails visit={visit} changeable={changeable} />;
}

function VisitDetails({ visit, changeable }: { visit: Visit; changeable: boolean }) {
  const t = useT();
  const f = useFormat();
  const when = useWhen();
  const brand = useBrand();
  const location = useLocation();
  const done = (location.state as { done?: string } | null)?.done;
  const base = `/visits/${encodeURIComponent(visit.id)}`;
  const video = visit.appointmentType?.mode === "VIDEO";
  const upcoming = visit.status === "BOOKED" && Date.parse(visit.start) > Date.now();
  const zone = f.zoneNote();

  const addToCalendar = () => {
    const type = visit.appointmentType?.name ?? t("booking.visits.visit");
    const file = calendarFile({
      id: visit.id,
      start: visit.start,
      end: visit.end,
      summary: t("booking.visit.ics.summary", { practice: brand.displayName }),
      description: t("booking.visits.with", { type, provider: visit.provider?.displayName ?? "" }),
      location: video ? "" : place(visit.location),
    });
    download(`visit-${localDay(visit.start, brand.timeZone)}.ics`, file);
  };

  return (
    <>
      <BackLink to="/visits" />
      <h1>{t("booking.visit.heading", { day: f.day(visit.start) })}</h1>
      {done && (
        <p className="notice booking-done" role="status" data-testid="visit-done">
          {oneStop(t(done === "moved" ? "booking.visit.moved" : "booking.visit.booked", { when: when(visit.start) }))}
        </p>
      )}
      <dl className="booking-summary">
        <div>
          <dt>{t("booking.check.when")}</dt>
          <dd>
            {when(visit.start)}
            {visit.appointmentType && (
              <>
                <br />
                <span className="hint">{t("booking.minutes", { minutes: visit.appointmentType.durationMinutes })}</span>
              </>
            )}
          </dd>
        </div>
        <div>
          <dt>{t("booking.check.type")}</dt>
          <dd>{visit.appointmentType?.name ?? t("booking.visits.visit")}</dd>
        </div>
        <div>
          <dt>{t("booking.check.provider")}</dt>
          <dd>{visit.provider?.displayName ?? ""}</dd>
        </div>
        <div>
          <dt>{t("booking.check.where")}</dt>
          <dd>{video ? t("booking.check.video") : place(visit.location)}</dd>
        </div>
        <div>
          <dt>{t("booking.visit.status")}</dt>
          <dd>
            {t(`booking.visits.status.${visit.status}`)}
            {visit.confirmedAt && visit.status === "BOOKED" && <> · {t("booking.visits.confirmed")}</>}
          </dd>
        </div>
      </dl>
      {zone && <p className="hint">{zone}</p>}
      {changeable && !visit.changeableOnline && (
        <div className="notice">
          <p>{t("booking.visit.tooSoon")}</p>
          <p>
            <CallPractice />
          </p>
        </div>
      )}
      {upcoming && (
        <div className="booking-actions">
          <button type="button" className="button secondary" onClick={addToCalendar}>
            {t("booking.visit.addToCalendar")}
          </button>
          {changeable && visit.changeableOnline && (
            <>
              <Link className="button secondary" to={`${base}/change`}>
                {t("booking.visit.change")}
              </Link>
              <Link className="button secondary booking-cancel-link" to={`${base}/cancel`}>
                {t("booking.visit.cancel")}
              </Link>
            </>
          )}
        </div>
      )}
    </>
  );
}

function CancelStep({ visit }: { visit: Visit }) {
  const t = useT();
  const when = useWhen();
  const navigate = useNavigate();
  const describe = useProblem();
  const [cancelling, cancel] = useMutation(CancelMutation);
  const [error, setError] = useState<unknown>(null);
  const problem = error === null ? null : describe(error);
  const base = `/visits/${encodeURIComponent(visit.id)}`;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (cancelling.fetching) return;
    setError(null);
    const result = await cancel({ input: { appointmentId: visit.id } });
    if (result.error) return setError(result.error);
    const refused = result.data?.cancelAppointment.userErrors[0];
    if (refused) return setError(codeError(refused.code));
    navigate("/visits", { state: { cancelled: visit.start } });
  };

  return (
    <>
      <BackLink to={base} />
      <h1>{t("booking.visit.cancelTitle")}</h1>
      <p className="lead">{oneStop(t("booking.visit.cancelLead", { when: when(visit.start) }))}</p>
      <p>{t("booking.visits.with", { type: visit.appointmentType?.name ?? t("booking.visits.visit"), provider: visit.provider?.displayName ?? "" })}</p>
      {problem && (
        <>
          <ErrorState problem={problem} />
          {problem.code === "INSIDE_CANCELLATION_WINDOW" && (
            <p>
              <CallPractice />
            </p>
          )}
        </>
      )}
      <form onSubmit={submit} className="booking-actions">
        <button type="submit" className="button danger" disabled={cancelling.fetching}>
          {cancelling.fetching ? t("booking.visit.cancelWorking") : t("booking.visit.cancelConfirm")}
        </button>
        <Link to={base} className="button secondary">
          {t("booking.visit.keep")}
        </Link>
      </form>
    </>
  );
}

/** Moving a visit: a day, a time (same type; the same provider unless the patient widens it), then a check. */
function ChangeStep({ visit, step }: { visit: Visit; step: string | undefined }) {
  const t = useT();
  const f = useFormat();
  const when = useWhen();
  const navigate = useNavigate();
  const describe = useProblem();
  const location = useLocation();
  const { timeZone } = useBrand();
  const [params] = useSearchParams();
  const [options] = useQuery({ query: OptionsQuery });
  const [moving, move] = useMutation(RescheduleMutation);
  const [error, setError] = useState<unknown>(null);
  const problem = error === null ? null : describe(error);
  const returned = (location.state as { problem?: string } | null)?.problem;
  const base = `/visits/${encodeURIComponent(visit.id)}/change`;
  const typeId = visit.appointmentType?.id ?? "";
  const sameProvider = visit.provider?.id ?? null;
  const provider = params.get("provider") === "any" || !sameProvider ? null : sameProvider;
  const keep = { provider: provider ? null : "any", from: params.get("from") };
  const day = params.get("day");
  const start = params.get("start") ?? "";
  const sp = params.get("sp") ?? "";
  const loc = params.get("loc") ?? "";
  const today = todayIn(timeZone);
  const horizon = options.data?.appointmentTypes.find((x) => x.id === typeId)?.horizonDays ?? 90;
  const from = isDate(keep.from) && keep.from >= today ? keep.from : today;
  const timeHref = href(`${base}/time`, { ...keep, day });
  const providerName = (id: string) => options.data?.providers.find((p) => p.id === id)?.displayName ?? (id === sameProvider ? visit.provider?.displayName : "") ?? "";
  const locationOf = (id: string) => options.data?.locations.find((l) => l.id === id) ?? (id === visit.location?.id ? visit.location : null);

  if ((step === "time" || step === "check") && !isDate(day)) return <Navigate to={href(base, keep)} replace />;
  if (step === "check" && !start) return <Navigate to={timeHref} replace />;

  if (step === "time") {
    return (
      <>
        <BackLink to={href(base, keep)} />
        <span className="booking-caption">{t("booking.visit.changeCaption")}</span>
        <h1>{t("booking.time.title", { day: f.day(noonOf(day!, timeZone)) })}</h1>
        <TimeList
          typeId={typeId}
          providerId={provider}
          day={day!}
          problem={returned ? describe(codeError(returned)).sentence : null}
          slotHref={(slot) => href(`${base}/check`, { ...keep, day, start: slot.start, sp: slot.providerId, loc: slot.locationId })}
          otherDayHref={href(base, keep)}
        />
      </>
    );
  }

  if (step === "check") {
    const confirm = async (e: FormEvent) => {
      e.preventDefault();
      if (moving.fetching) return;
      setError(null);
      const result = await move({ input: { appointmentId: visit.id, start, providerId: sp || null, locationId: loc || null } });
      if (result.error) return setError(result.error);
      const payload = result.data?.rescheduleAppointment;
      const refused = payload?.userErrors[0];
      if (refused) {
        if (refused.code === "SLOT_UNAVAILABLE") return navigate(timeHref, { state: { problem: refused.code } });
        return setError(codeError(refused.code));
      }
      if (payload?.appointment) navigate(`/visits/${encodeURIComponent(payload.appointment.id)}`, { state: { done: "moved" } });
    };
    const newPlace = locationOf(loc);
    return (
      <>
        <BackLink to={timeHref} />
        <span className="booking-caption">{t("booking.visit.changeCaption")}</span>
        <h1>{t("booking.check.title")}</h1>
        {problem && <ErrorState problem={problem} />}
        <dl className="booking-summary">
          <div>
            <dt>{t("booking.visit.oldTime")}</dt>
            <dd>
              <s>{when(visit.start)}</s>
            </dd>
          </div>
          <div>
            <dt>{t("booking.visit.newTime")}</dt>
            <dd>
              <span data-testid="check-when">{when(start)}</span>
            </dd>
            <dd className="booking-change">
              <Link to={timeHref}>
                {t("booking.change")}
                <span className="visually-hidden"> {t("booking.visit.newTime")}</span>
              </Link>
            </dd>
          </div>
          <div>
            <dt>{t("booking.check.type")}</dt>
            <dd>{visit.appointmentType?.name ?? t("booking.visits.visit")}</dd>
          </div>
          <div>
            <dt>{t("booking.check.provider")}</dt>
            <dd>{providerName(sp)}</dd>
          </div>
          <div>
            <dt>{t("booking.check.where")}</dt>
            <dd>{visit.appointmentType?.mode === "VIDEO" ? t("booking.check.video") : place(newPlace)}</dd>
          </div>
        </dl>
        <form onSubmit={confirm}>
          <button type="submit" className="button" disabled={moving.fetching}>
            {moving.fetching ? t("booking.visit.moveWorking") : t("booking.visit.moveConfirm")}
          </button>
        </form>
      </>
    );
  }

  return (
    <>
      <BackLink to={`/visits/${encodeURIComponent(visit.id)}`} />
      <span className="booking-caption">{t("booking.visit.changeCaption")}</span>
      <h1>{t("booking.visit.changeTitle")}</h1>
      <p>{oneStop(t("booking.visit.changeLead", { when: when(visit.start) }))}</p>
      {sameProvider && (
        <p>
          {provider ? (
            <>
              {t("booking.visit.changeSameProvider", { provider: visit.provider?.displayName ?? "" })}{" "}
              <Link to={href(base, { provider: "any" })}>{t("booking.visit.changeAnyProvider")}</Link>
            </>
          ) : (
            <>
              {t("booking.visit.changeAllProviders")} <Link to={base}>{t("booking.visit.changeOnlyProvider", { provider: visit.provider?.displayName ?? "" })}</Link>
            </>
          )}
        </p>
      )}
      <DayList
        typeId={typeId}
        providerId={provider}
        from={from}
        horizonDays={horizon}
        dayHref={(d) => href(`${base}/time`, { ...keep, from: from === today ? null : from, day: d })}
        pageHref={(next) => href(base, { ...keep, from: next === today ? null : next })}
      />
    </>
  );
}
