// A visit's page with its check-in answers. Avery books two follow-ups of her own through the
// API (each asks for the demo check-in form), sends one form (allergies unchanged, so the
// question about new allergies is hidden; the optional note left out) and saves the other as a
// draft. The front desk opens the first from the day view and reads the answers in words,
// then the second from the week view (a draft, a question not answered yet), and cancels it
// after being asked, its unsent form withdrawn. Other specs' visits and forms are not relied
// on. (The permissions journey saves Staff's permissions before this one runs: reading forms
// stays theirs.)
// axe on every state; screenshots at 1280 and 800 px wide.
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { FRONT_DESK, api, expectAccessible, patientToken, screenshot, signInConsole } from "./support";

test.describe.configure({ mode: "serial" });

const TZ = "America/Chicago";

function todayIn(timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

function shift(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function localDate(iso: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(iso));
}

/** A date and a time as the console writes them (the browser's locale is en-US). */
function spoken(isoDate: string): string {
  return new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeZone: "UTC" }).format(new Date(`${isoDate}T00:00:00Z`));
}

function spokenTime(iso: string): string {
  return new Intl.DateTimeFormat("en-US", { timeStyle: "short", timeZone: TZ }).format(new Date(iso));
}

interface Booked {
  id: string;
  start: string;
  day: string;
  formId: string;
}

type Slot = { start: string; provider: { id: string } | null; location: { id: string } | null };

/** Avery books a follow-up on a free time as the portal does; the visit asks for its forms. */
async function bookFollowUp(request: APIRequestContext, token: string, patientId: string, typeId: string, slots: Slot[]): Promise<Booked> {
  for (const slot of slots) {
    const booked = await api<{ bookAppointment: { appointment: { id: string; start: string } | null; userErrors: { code: string }[] } }>(
      request,
      "lakeside",
      `mutation($i: BookAppointmentInput!) { bookAppointment(input: $i) { appointment { id start } userErrors { code } } }`,
      { i: { patientId, appointmentTypeId: typeId, providerId: slot.provider!.id, locationId: slot.location!.id, start: slot.start } },
      token,
    );
    const appointment = booked.bookAppointment.appointment;
    if (!appointment) continue; // taken meanwhile, or Avery is busy then: the next free time
    const forms = await api<{ appointmentForms: { id: string; status: string; form: { title: string } }[] }>(
      request,
      "lakeside",
      "query($a: ID!) { appointmentForms(appointmentId: $a) { id status form { title } } }",
      { a: appointment.id },
      token,
    );
    const form = forms.appointmentForms.find((f) => f.form.title === "Check-in questionnaire");
    expect(form?.status).toBe("PENDING");
    return { id: appointment.id, start: appointment.start, day: localDate(appointment.start), formId: form!.id };
  }
  throw new Error("no free follow-up time to book");
}

async function saveAnswers(request: APIRequestContext, token: string, id: string, submit: boolean, answers: { linkId: string; value: string }[]): Promise<string> {
  const saved = await api<{ saveFormAnswers: { formRequest: { status: string } | null; userErrors: { code: string }[] } }>(
    request,
    "lakeside",
    `mutation($input: SaveFormAnswersInput!) { saveFormAnswers(input: $input) { formRequest { status } userErrors { code } } }`,
    { input: { id, submit, answers } },
    token,
  );
  expect(saved.saveFormAnswers.userErrors).toEqual([]);
  return saved.saveFormAnswers.formRequest!.status;
}

/** The answer beside a question, in the form's list of questions and answers. */
function answerTo(page: Page, question: string) {
  return page.locator("dl.form-answers > div").filter({ has: page.getByRole("term").filter({ hasText: question }) }).getByRole("definition");
}

async function openSchedule(page: Page, day: string): Promise<void> {
  await page.getByRole("link", { name: "Schedule", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Schedule" })).toBeVisible();
  await page.getByLabel("Day", { exact: true }).fill(day);
}

let sent: Booked;
let draft: Booked;

test.beforeAll(async ({ request }) => {
  const token = await patientToken(request);
  const me = await api<{ me: { charts: { relationship: string; patient: { id: string } }[] } }>(
    request,
    "lakeside",
    "{ me { charts { relationship patient { id } } } }",
    {},
    token,
  );
  const patientId = me.me.charts.find((c) => c.relationship === "self")!.patient.id;
  const types = await api<{ appointmentTypes: { id: string; name: string }[] }>(request, "lakeside", "{ appointmentTypes { id name } }", {}, token);
  const followUp = types.appointmentTypes.find((t) => t.name === "Follow-up")!;
  // Two to four weeks ahead: later than the schedule journey's visits, every time in the future.
  const from = shift(todayIn(TZ), 15);
  const found = await api<{ availableSlots: Slot[] }>(
    request,
    "lakeside",
    `query($t: ID!, $from: Date!, $to: Date!) { availableSlots(appointmentTypeId: $t, from: $from, to: $to) { start provider { id } location { id } } }`,
    { t: followUp.id, from, to: shift(from, 13) },
    token,
  );
  const slots = found.availableSlots.filter((s) => s.provider && s.location);
  expect(slots.length).toBeGreaterThan(4);
  sent = await bookFollowUp(request, token, patientId, followUp.id, slots);
  // The draft's visit on another day, so each is found on its own day.
  draft = await bookFollowUp(request, token, patientId, followUp.id, slots.filter((s) => localDate(s.start) !== sent.day));
  expect(
    await saveAnswers(request, token, sent.formId, true, [
      { linkId: "allergies-changed", value: "false" },
      { linkId: "pain", value: "Mild" },
    ]),
  ).toBe("COMPLETED");
  expect(await saveAnswers(request, token, draft.formId, false, [{ linkId: "allergies-changed", value: "true" }])).toBe("IN_PROGRESS");
});

test("a visit opened from the day view shows its check-in answers in words", async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  await signInConsole(page, "lakeside", FRONT_DESK);
  await openSchedule(page, sent.day);
  const time = spokenTime(sent.start);
  const row = page.getByRole("row").filter({ hasText: "Follow-up" }).filter({ hasText: "Stone, Avery" }).filter({ hasText: time });
  await expect(row).toHaveCount(1);
  await screenshot(page, "visit-00-day-view");
  await row.getByRole("link", { name: `Details of the visit at ${time}` }).click();

  await expect(page.getByRole("heading", { level: 1, name: `Follow-up on ${spoken(sent.day)}` })).toBeVisible();
  // Only the visit's id in the address.
  expect(page.url()).toMatch(/\/console\/schedule\/visits\/[^/?#]+$/);
  expect(page.url()).not.toMatch(/Avery|Stone|\d{4}-\d{2}-\d{2}/i);
  const facts = page.getByRole("definition");
  await expect(page.getByRole("link", { name: /Stone, Avery/ })).toBeVisible();
  await expect(facts.filter({ hasText: `${spoken(sent.day)}, ${time}` })).toBeVisible();
  await expect(facts.filter({ hasText: "The patient portal" })).toBeVisible();
  await expect(facts.filter({ hasText: /^Booked/ })).toBeVisible();
  await expect(page.getByRole("group", { name: "Actions on this visit" }).getByRole("link", { name: "Move" })).toBeVisible();

  const form = page.getByRole("article", { name: /Check-in questionnaire/ });
  await expect(form).toContainText("Submitted on");
  await expect(answerTo(page, "Have your allergies changed since your last visit?")).toHaveText("No");
  await expect(answerTo(page, "How would you rate your pain today?")).toHaveText("Mild");
  await expect(answerTo(page, "Anything you would like your care team to know?")).toHaveText("Not answered");
  // Hidden by the "No": left out, and counted.
  await expect(form.getByText("Which allergies are new?")).toHaveCount(0);
  await expect(form).toContainText("1 question was not asked because of an earlier answer.");
  await screenshot(page, "visit-01-answers-1280");
  await expectAccessible(page, testInfo, "visit-answers");

  await page.setViewportSize({ width: 800, height: 900 });
  await expect(answerTo(page, "How would you rate your pain today?")).toHaveText("Mild");
  await screenshot(page, "visit-02-answers-800");
  await expectAccessible(page, testInfo, "visit-answers-800");
  await page.setViewportSize({ width: 1280, height: 860 });

  // The patient's name opens her chart.
  await page.getByRole("link", { name: /Stone, Avery/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Avery Stone" })).toBeVisible();
});

test("a draft opened from the week view, then the visit cancelled after asking", async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  await signInConsole(page, "lakeside", FRONT_DESK);
  await openSchedule(page, draft.day);
  await page.getByRole("button", { name: "Week", exact: true }).click();
  const weekday = new Intl.DateTimeFormat("en-US", { weekday: "long", timeZone: "UTC" }).format(new Date(`${draft.day}T00:00:00Z`));
  const time = spokenTime(draft.start);
  const entry = page
    .getByRole("list", { name: `Visits on ${weekday}` })
    .getByRole("listitem")
    .filter({ hasText: "Follow-up" })
    .filter({ hasText: "Stone, Avery" })
    .filter({ hasText: time });
  await expect(entry).toHaveCount(1);
  await screenshot(page, "visit-00-week-view");
  await entry.getByRole("link", { name: `Details of the visit at ${time}` }).click();
  await expect(page.getByRole("heading", { level: 1, name: `Follow-up on ${spoken(draft.day)}` })).toBeVisible();

  const form = page.getByRole("article", { name: /Check-in questionnaire/ });
  await expect(form).toContainText("Draft saved, not sent yet");
  await expect(form).toContainText("The patient may still change these answers");
  await expect(answerTo(page, "Have your allergies changed since your last visit?")).toHaveText("Yes");
  // Shown by the "Yes", not answered yet.
  await expect(answerTo(page, "Which allergies are new?")).toHaveText("Not answered yet");
  await screenshot(page, "visit-03-draft-1280");
  await expectAccessible(page, testInfo, "visit-draft");

  await page.getByRole("button", { name: "Cancel the visit" }).click();
  await expect(page.getByText("Cancel this visit? The patient is told")).toBeVisible();
  await screenshot(page, "visit-04-cancel-ask-1280");
  await expectAccessible(page, testInfo, "visit-cancel-ask");
  await page.getByRole("button", { name: "Yes, cancel the visit" }).click();
  await expect(page.locator("p.notice[role=status]")).toHaveText("The visit is cancelled and the patient is told.");
  await expect(page.getByRole("definition").filter({ hasText: /^Cancelled$/ })).toBeVisible();
  await expect(page.getByRole("group", { name: "Actions on this visit" })).toHaveCount(0);
  await expect(page.getByText("Forms the patient had not sent when the visit was cancelled are withdrawn.")).toBeVisible();
  await screenshot(page, "visit-05-cancelled-1280");
  await expectAccessible(page, testInfo, "visit-cancelled");

  // Back on the schedule, on the visit's day, which no longer lists it.
  await page.getByRole("link", { name: "Back to the schedule" }).click();
  await expect(page.getByLabel("Day", { exact: true })).toHaveValue(draft.day);
  await expect(page.getByRole("button", { name: "Day", exact: true })).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByRole("table").or(page.getByText("No visits on this day."))).toBeVisible();
  await expect(page.getByRole("link", { name: `Details of the visit at ${time}` })).toHaveCount(0);
});
