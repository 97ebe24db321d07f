// Booking and visits, as Avery Stone of Lakeside: she books a visit through every question
// page, finds it on her visits, saves it to her calendar, moves it and cancels it; a time
// taken meanwhile sends her back to the times with her choices kept; the same booking in
// Spanish; the same booking by keyboard alone; and the reminder email's link, signed out.
// axe on every page in English and Spanish; screenshots of each step at 360 and 1280 px.
import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { readFileSync } from "node:fs";
import { ADMIN, PASSWORD, PATIENT, api, expectAccessible, freshCode, patientToken, portalUrl, screenshot, signInPortal } from "./support";

test.describe.configure({ mode: "serial" });

const TZ = "America/Chicago";

function normal(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** "Monday, December 7 at 9:00 AM" / "lunes, 7 de diciembre a las 9:00 a. m." in the practice's zone. */
function spoken(iso: string, locale: "en" | "es"): string {
  const tag = locale === "es" ? "es-US" : "en-US";
  const d = new Date(iso);
  const day = new Intl.DateTimeFormat(tag, { timeZone: TZ, weekday: "long", month: "long", day: "numeric" }).format(d);
  const time = new Intl.DateTimeFormat(tag, { timeZone: TZ, hour: "numeric", minute: "2-digit" }).format(d);
  if (locale === "en") return normal(`${day} at ${time}`);
  const hour = Number(new Intl.DateTimeFormat("en-US", { timeZone: TZ, hour: "numeric", hourCycle: "h23" }).format(d));
  return normal(`${day} ${hour % 12 === 1 ? "a la" : "a las"} ${time}`);
}

function todayIn(timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

function shift(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function icsTime(iso: string): string {
  return new Date(iso).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

function param(page: Page, name: string): string {
  return new URL(page.url()).searchParams.get(name) ?? "";
}

async function h1(page: Page, name: string | RegExp): Promise<void> {
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
}

/** axe on the page in English, then in Spanish (with its screenshot), then back to English. */
async function inBothLanguages(page: Page, testInfo: TestInfo, name: string, spanishHeading: string | RegExp): Promise<void> {
  await expectAccessible(page, testInfo, `${name}-en`);
  await page.getByLabel("Language").selectOption("es");
  await h1(page, spanishHeading);
  await expectAccessible(page, testInfo, `${name}-es`);
  await screenshot(page, `${name}-es`);
  await page.getByLabel("Idioma").selectOption("en");
  await expect(page.getByLabel("Language")).toBeVisible();
}

/** The links to days with free times at least `minDays` from today, as their `day` values. */
async function daysOffered(page: Page, minDays: number): Promise<string[]> {
  const list = page.getByRole("list", { name: /Days with free times|Días con horarios libres/ });
  await expect(list.getByRole("link").first()).toBeVisible();
  const hrefs = await list.getByRole("link").evaluateAll((links) => links.map((a) => a.getAttribute("href") ?? ""));
  const earliest = shift(todayIn(TZ), minDays);
  return hrefs.map((h) => new URL(h, "http://x").searchParams.get("day") ?? "").filter((d) => d >= earliest);
}

async function chooseDay(page: Page, day: string): Promise<void> {
  await page.locator(`a[href*="day=${day}"]`).first().click();
}

test("Avery books a visit, saves it to her calendar, moves it and cancels it", async ({ browser }, testInfo) => {
  test.setTimeout(240_000);
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "en-US", timezoneId: TZ, acceptDownloads: true });
  const page = await context.newPage();
  await signInPortal(page, PATIENT, PASSWORD, "/visits");

  // Her visits: the demo's upcoming one, a button to book.
  await h1(page, "Your visits");
  await expect(page.getByRole("heading", { name: "Coming up" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Past visits" })).toBeVisible();
  await screenshot(page, "booking-01-visits-1280");
  await inBothLanguages(page, testInfo, "booking-01-visits-1280", "Sus citas");

  // (a) The type of visit; nothing chosen says what to do.
  await page.getByRole("link", { name: "Book a visit" }).click();
  await h1(page, "What type of visit do you need?");
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "There is a problem" })).toContainText("Choose the type of visit you need.");
  await screenshot(page, "booking-02-type-error-1280");
  await expectAccessible(page, testInfo, "booking-type-error-en");
  await page.getByLabel("Video visit").check();
  await screenshot(page, "booking-02-type-1280");
  await inBothLanguages(page, testInfo, "booking-02-type-1280", "¿Qué tipo de cita necesita?");
  await page.getByRole("button", { name: "Continue" }).click();

  // (b) The provider, or the first available.
  await h1(page, "Who would you like to see?");
  expect(param(page, "type")).not.toBe("");
  await page.getByLabel("First available").check();
  await screenshot(page, "booking-03-provider-1280");
  await inBothLanguages(page, testInfo, "booking-03-provider-1280", "¿Con quién quiere la cita?");
  await page.getByRole("button", { name: "Continue" }).click();

  // (c) A day (only days with free times), then a time, with the provider and place shown.
  await h1(page, "What day suits you?");
  const days = await daysOffered(page, 3);
  expect(days.length).toBeGreaterThan(1);
  await screenshot(page, "booking-04-day-1280");
  await inBothLanguages(page, testInfo, "booking-04-day-1280", "¿Qué día le queda bien?");
  // Back keeps the answers.
  await page.getByRole("link", { name: "Back" }).click();
  await expect(page.getByLabel("First available")).toBeChecked();
  await page.getByRole("button", { name: "Continue" }).click();
  await h1(page, "What day suits you?");
  await chooseDay(page, days[0]!);
  await h1(page, /^What time on /);
  await expect(page.getByRole("heading", { level: 2, name: /^With Dr\. / }).first()).toBeVisible();
  await expect(page.getByText("Lakeside Clinic, 200 Shore Drive").first()).toBeVisible();
  await screenshot(page, "booking-05-time-1280");
  await inBothLanguages(page, testInfo, "booking-05-time-1280", /^¿A qué hora el /);
  const firstTime = page.locator(".booking-times a").first();
  const chosenTime = normal(await firstTime.innerText());
  await firstTime.click();

  // (d) Check the answers, then book.
  await h1(page, "Check your answers");
  const start = param(page, "start");
  expect(normal(await page.getByTestId("check-when").innerText())).toBe(spoken(start, "en"));
  expect(spoken(start, "en")).toContain(chosenTime);
  await expect(page.getByText("Video visit")).toBeVisible();
  await expect(page.getByRole("link", { name: "Change Type of visit" })).toBeVisible();
  await screenshot(page, "booking-06-check-1280");
  await inBothLanguages(page, testInfo, "booking-06-check-1280", "Revise sus respuestas");
  await page.getByRole("button", { name: "Book this visit" }).click();

  // Booked: the sentence says when, in the practice's time.
  await h1(page, /^Your visit on /);
  await expect(page.getByTestId("visit-done")).toHaveText(`Your visit is booked for ${spoken(start, "en")}.`);
  await screenshot(page, "booking-07-booked-1280");
  await inBothLanguages(page, testInfo, "booking-07-booked-1280", /^Su cita del /);
  const visitUrl = page.url();

  // On her visits.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Visits" }).click();
  await h1(page, "Your visits");
  const listed = page.getByRole("link", { name: spoken(start, "en") });
  await expect(listed).toBeVisible();
  await listed.click();
  await h1(page, /^Your visit on /);
  expect(page.url()).toBe(visitUrl);

  // Add to calendar: an .ics with the visit's time in UTC.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Add to calendar" }).click()]);
  expect(download.suggestedFilename()).toMatch(/^visit-\d{4}-\d{2}-\d{2}\.ics$/);
  const raw = readFileSync((await download.path())!, "utf8");
  // Long lines are folded (RFC 5545 §3.1); unfolded here.
  const ics = raw.replace(/\r\n[ \t]/g, "");
  expect(raw.split("\r\n").every((line) => new TextEncoder().encode(line).length <= 75)).toBe(true);
  expect(ics).toContain("BEGIN:VCALENDAR");
  expect(ics).toContain("BEGIN:VEVENT");
  expect(ics).toContain(`DTSTART:${icsTime(start)}`);
  expect(ics).toContain("SUMMARY:Visit at Lakeside Family Medicine");
  expect(ics).toMatch(/UID:.+@portico/);
  expect(ics).toMatch(/DTSTAMP:\d{8}T\d{6}Z/);

  // Change the time: the same provider's days, then a time, then a check.
  await page.getByRole("link", { name: "Change the time" }).click();
  await h1(page, "What day suits you?");
  await screenshot(page, "booking-08-change-day-1280");
  await inBothLanguages(page, testInfo, "booking-08-change-day-1280", "¿Qué día le queda bien?");
  const newDays = (await daysOffered(page, 3)).filter((d) => d !== days[0]);
  await chooseDay(page, newDays[0]!);
  await h1(page, /^What time on /);
  await screenshot(page, "booking-09-change-time-1280");
  await inBothLanguages(page, testInfo, "booking-09-change-time-1280", /^¿A qué hora el /);
  await page.locator(".booking-times a").nth(1).click();
  await h1(page, "Check your answers");
  const moved = param(page, "start");
  expect(normal(await page.getByTestId("check-when").innerText())).toBe(spoken(moved, "en"));
  await screenshot(page, "booking-10-change-check-1280");
  await inBothLanguages(page, testInfo, "booking-10-change-check-1280", "Revise sus respuestas");
  await page.getByRole("button", { name: "Move my visit" }).click();
  await h1(page, /^Your visit on /);
  await expect(page.getByTestId("visit-done")).toHaveText(`Your visit is moved to ${spoken(moved, "en")}.`);
  await screenshot(page, "booking-11-moved-1280");
  await expectAccessible(page, testInfo, "booking-moved-en");

  // Cancel, after a confirmation step.
  await page.getByRole("link", { name: "Cancel this visit" }).click();
  await h1(page, "Cancel this visit?");
  await expect(page.getByText(`Your visit on ${spoken(moved, "en")} will be cancelled.`)).toBeVisible();
  await screenshot(page, "booking-12-cancel-1280");
  await inBothLanguages(page, testInfo, "booking-12-cancel-1280", "¿Cancelar esta cita?");
  await page.getByRole("button", { name: "Yes, cancel this visit" }).click();
  await h1(page, "Your visits");
  await expect(page.getByRole("status").filter({ hasText: "is cancelled" })).toHaveText(`Your visit on ${spoken(moved, "en")} is cancelled.`);
  // The list, loaded again, no longer has it (the demo's own visit is still there).
  await expect(page.locator(".booking-visit-link").first()).toBeVisible();
  await expect(page.getByRole("link", { name: spoken(moved, "en") })).toHaveCount(0);
  await screenshot(page, "booking-13-cancelled-1280");
  await expectAccessible(page, testInfo, "booking-cancelled-en");
  await context.close();
});

test("a time taken meanwhile sends Avery back to the times, her choices kept", async ({ browser, request }, testInfo) => {
  test.setTimeout(120_000);
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "en-US", timezoneId: TZ });
  const page = await context.newPage();
  await signInPortal(page, PATIENT, PASSWORD, "/book");
  await h1(page, "What type of visit do you need?");
  await page.getByLabel("Follow-up").check();
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByLabel("Dr. Maya Chen").check();
  await page.getByRole("button", { name: "Continue" }).click();
  const days = await daysOffered(page, 3);
  await chooseDay(page, days[1] ?? days[0]!);
  await page.locator(".booking-times a").nth(2).click();
  await h1(page, "Check your answers");
  const type = param(page, "type");
  const provider = param(page, "provider");
  const day = param(page, "day");
  const start = param(page, "start");

  // Meanwhile the same time is booked (here by Avery through the API, as another tab would).
  const token = await patientToken(request);
  const me = await api<{ me: { charts: { patient: { id: string } }[] } }>(request, "lakeside", `{ me { charts { patient { id } } } }`, {}, token);
  const taken = await api<{ bookAppointment: { appointment: { id: string } | null; userErrors: { code: string }[] } }>(
    request,
    "lakeside",
    `mutation($i: BookAppointmentInput!) { bookAppointment(input: $i) { appointment { id } userErrors { code } } }`,
    { i: { patientId: me.me.charts[0]!.patient.id, appointmentTypeId: type, providerId: param(page, "sp"), locationId: param(page, "loc"), start } },
    token,
  );
  expect(taken.bookAppointment.userErrors).toEqual([]);

  await page.getByRole("button", { name: "Book this visit" }).click();
  await h1(page, /^What time on /);
  await expect(page.getByRole("alert").filter({ hasText: "There is a problem" })).toContainText("Someone just took that time. Choose another.");
  expect(param(page, "type")).toBe(type);
  expect(param(page, "provider")).toBe(provider);
  expect(param(page, "day")).toBe(day);
  // The taken time is no longer offered.
  await expect(page.locator(`.booking-times a[href*="${encodeURIComponent(start)}"]`)).toHaveCount(0);
  await screenshot(page, "booking-14-taken-1280");
  await inBothLanguages(page, testInfo, "booking-14-taken-1280", /^¿A qué hora el /);

  // Tidy up: the visit booked meanwhile is cancelled again.
  await api(request, "lakeside", `mutation($i: CancelAppointmentInput!) { cancelAppointment(input: $i) { userErrors { code } } }`, { i: { appointmentId: taken.bookAppointment.appointment!.id } }, token);

  // No time suits: the waitlist, with an optional date, and what happens next.
  await page.getByRole("link", { name: "Join the waitlist" }).click();
  await h1(page, "Join the waitlist");
  await screenshot(page, "booking-15-waitlist-1280");
  await inBothLanguages(page, testInfo, "booking-15-waitlist-1280", "Anotarse en la lista de espera");
  const before = shift(todayIn(TZ), 20);
  await page.getByLabel("Tell me about times before this date (optional)").fill(before);
  await page.getByRole("button", { name: "Join the waitlist" }).click();
  await h1(page, "You are on the waitlist");
  const date = new Intl.DateTimeFormat("en-US", { month: "long", day: "numeric", year: "numeric", timeZone: "UTC" }).format(new Date(`${before}T12:00:00Z`));
  await expect(page.getByRole("status")).toHaveText(`We will send you a message if a time opens up for “Follow-up” before ${date}.`);
  await screenshot(page, "booking-16-waitlisted-1280");
  await expectAccessible(page, testInfo, "booking-waitlisted-en");
  await context.close();
});

test("the whole booking in Spanish, on a phone", async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  const context = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: "es-US", timezoneId: TZ });
  const page = await context.newPage();
  await signInPortal(page, PATIENT, PASSWORD, "/visits");
  const heading = page.getByRole("heading", { level: 1 });
  if ((await heading.innerText()) !== "Sus citas") await page.getByLabel("Language").selectOption("es");
  await h1(page, "Sus citas");
  await expectAccessible(page, testInfo, "booking-es-visits");
  await screenshot(page, "booking-es-01-visits-360");

  await page.getByRole("link", { name: "Pedir una cita" }).click();
  await h1(page, "¿Qué tipo de cita necesita?");
  await page.getByLabel("Annual wellness visit").check();
  await expectAccessible(page, testInfo, "booking-es-type");
  await screenshot(page, "booking-es-02-type-360");
  await page.getByRole("button", { name: "Continuar" }).click();

  await h1(page, "¿Con quién quiere la cita?");
  await page.getByLabel("Dr. Luis Ortega").check();
  await expectAccessible(page, testInfo, "booking-es-provider");
  await screenshot(page, "booking-es-03-provider-360");
  await page.getByRole("button", { name: "Continuar" }).click();

  await h1(page, "¿Qué día le queda bien?");
  const days = await daysOffered(page, 3);
  await expectAccessible(page, testInfo, "booking-es-day");
  await screenshot(page, "booking-es-04-day-360");
  await chooseDay(page, days[0]!);

  await h1(page, /^¿A qué hora el /);
  await expect(page.getByRole("heading", { level: 2, name: "Con Dr. Luis Ortega" })).toBeVisible();
  await expectAccessible(page, testInfo, "booking-es-time");
  await screenshot(page, "booking-es-05-time-360");
  await page.locator(".booking-times a").last().click();

  await h1(page, "Revise sus respuestas");
  const start = param(page, "start");
  expect(normal(await page.getByTestId("check-when").innerText())).toBe(spoken(start, "es"));
  await expectAccessible(page, testInfo, "booking-es-check");
  await screenshot(page, "booking-es-06-check-360");
  await page.getByRole("button", { name: "Pedir esta cita" }).click();

  await h1(page, /^Su cita del /);
  // One full stop after "p. m.", not two.
  expect(normal(await page.getByTestId("visit-done").innerText())).toBe(`Su cita quedó reservada para el ${spoken(start, "es")}.`.replace(/\.\.$/, "."));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expectAccessible(page, testInfo, "booking-es-booked");
  await screenshot(page, "booking-es-07-booked-360");

  // Moving it, in Spanish on the phone too.
  await page.getByRole("link", { name: "Cambiar la hora" }).click();
  await h1(page, "¿Qué día le queda bien?");
  await expect(page.getByText("Estos son los horarios con Dr. Luis Ortega.")).toBeVisible();
  await expectAccessible(page, testInfo, "booking-es-change-day");
  await screenshot(page, "booking-es-08-change-day-360");
  await chooseDay(page, (await daysOffered(page, 3)).filter((d) => d !== param(page, "day")).at(-1)!);
  await h1(page, /^¿A qué hora el /);
  await expectAccessible(page, testInfo, "booking-es-change-time");
  await screenshot(page, "booking-es-09-change-time-360");
  await page.locator(".booking-times a").first().click();
  await h1(page, "Revise sus respuestas");
  const moved = param(page, "start");
  await expectAccessible(page, testInfo, "booking-es-change-check");
  await screenshot(page, "booking-es-10-change-check-360");
  await page.getByRole("button", { name: "Cambiar mi cita" }).click();
  await h1(page, /^Su cita del /);
  expect(normal(await page.getByTestId("visit-done").innerText())).toBe(`Su cita se cambió al ${spoken(moved, "es")}.`.replace(/\.\.$/, "."));
  await expectAccessible(page, testInfo, "booking-es-moved");
  await screenshot(page, "booking-es-11-moved-360");
  await page.getByLabel("Idioma").selectOption("en");
  await context.close();
});

/** Presses Tab (or Shift+Tab) until the focused element's text or label matches. */
async function tabTo(page: Page, match: RegExp, back = false): Promise<void> {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press(back ? "Shift+Tab" : "Tab");
    const name = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el) return "";
      const label = el.id ? document.querySelector(`label[for="${CSS.escape(el.id)}"]`)?.textContent : null;
      return (el.getAttribute("aria-label") ?? label ?? el.innerText ?? "").replace(/\s+/g, " ").trim();
    });
    if (match.test(name)) return;
  }
  throw new Error(`no focusable element matches ${match}`);
}

/** Tabs forward to the link whose address contains `fragment`. */
async function tabToLink(page: Page, fragment: string): Promise<void> {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press("Tab");
    const href = await page.evaluate(() => document.activeElement?.getAttribute("href") ?? "");
    if (href.includes(fragment)) return;
  }
  throw new Error(`no link to ${fragment} is reached by Tab`);
}

async function expectFocusOnHeading(page: Page, name: string | RegExp): Promise<void> {
  await h1(page, name);
  await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe("H1");
  const text = await page.evaluate(() => document.activeElement?.textContent ?? "");
  if (typeof name === "string") expect(text).toBe(name);
  else expect(text).toMatch(name);
}

test("the booking by keyboard alone, focus on each new page's heading", async ({ browser }, testInfo) => {
  test.setTimeout(150_000);
  const context = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: "en-US", timezoneId: TZ });
  const page = await context.newPage();
  await signInPortal(page, PATIENT, PASSWORD, "/visits");
  await h1(page, "Your visits");
  await expectAccessible(page, testInfo, "booking-kb-visits");
  await screenshot(page, "booking-01-visits-360");

  await tabTo(page, /^Book a visit$/);
  await page.keyboard.press("Enter");
  await expectFocusOnHeading(page, "What type of visit do you need?");
  // Into the radio group (the first type), then the arrow key moves to and picks the next.
  await tabTo(page, /^Annual wellness visit$/);
  await page.keyboard.press("ArrowDown");
  await expect(page.getByLabel("Follow-up")).toBeChecked();
  await screenshot(page, "booking-02-type-360");
  await tabTo(page, /^Continue$/);
  await page.keyboard.press("Enter");

  await expectFocusOnHeading(page, "Who would you like to see?");
  await tabTo(page, /^First available$/);
  await page.keyboard.press("Space");
  await expect(page.getByLabel("First available")).toBeChecked();
  await screenshot(page, "booking-03-provider-360");
  await tabTo(page, /^Continue$/);
  await page.keyboard.press("Enter");

  await expectFocusOnHeading(page, "What day suits you?");
  await expect(page.locator(".booking-days a").first()).toBeVisible();
  await screenshot(page, "booking-04-day-360");
  // A day two or more ahead: the visit is cancelled below, which the practice's 24-hour
  // cancellation window would refuse for a visit tomorrow morning late in the day.
  const [day] = await daysOffered(page, 2);
  expect(day).toBeTruthy();
  await tabToLink(page, `day=${day}`);
  await page.keyboard.press("Enter");

  await expectFocusOnHeading(page, /^What time on /);
  await expect(page.locator(".booking-times a").first()).toBeVisible();
  await screenshot(page, "booking-05-time-360");
  await tabTo(page, /^\d{1,2}:\d{2}\s?[AP]M, with Dr\. /);
  await page.keyboard.press("Enter");

  await expectFocusOnHeading(page, "Check your answers");
  const start = param(page, "start");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await screenshot(page, "booking-06-check-360");
  // Shift+Tab back over the Change links to the button is not needed: Tab forward reaches it.
  await tabTo(page, /^Book this visit$/);
  await page.keyboard.press("Enter");

  await expectFocusOnHeading(page, /^Your visit on /);
  await expect(page.getByTestId("visit-done")).toHaveText(`Your visit is booked for ${spoken(start, "en")}.`);
  await screenshot(page, "booking-07-booked-360");
  await expectAccessible(page, testInfo, "booking-kb-booked");

  // The cancel confirmation, by keyboard too (and its screenshot on a phone).
  await tabTo(page, /^Cancel this visit$/);
  await page.keyboard.press("Enter");
  await expectFocusOnHeading(page, "Cancel this visit?");
  await screenshot(page, "booking-12-cancel-360");
  await tabTo(page, /^Yes, cancel this visit$/);
  await page.keyboard.press("Enter");
  await expectFocusOnHeading(page, "Your visits");
  await expect(page.getByRole("status").filter({ hasText: "is cancelled" })).toHaveText(`Your visit on ${spoken(start, "en")} is cancelled.`);
  await expect(page.locator(".booking-visit-link").first()).toBeVisible();
  await expect(page.getByRole("link", { name: spoken(start, "en") })).toHaveCount(0);
  await screenshot(page, "booking-13-cancelled-360");
  await context.close();
});

test("the reminder link, signed out: a used or broken link says so, and the token leaves the address", async ({ browser }, testInfo) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: "en-US", timezoneId: TZ });
  const page = await context.newPage();

  await page.goto(portalUrl("/visit"));
  await h1(page, "Your visit");
  await expect(page.getByText("This link is not complete.")).toBeVisible();
  await expectAccessible(page, testInfo, "booking-reminder-incomplete-en");

  await page.goto(portalUrl("/visit#token=rem_not_a_real_token"));
  await h1(page, "Your visit");
  await expect.poll(() => page.url()).not.toContain("token");
  await expect(page.getByRole("button", { name: "Confirm my visit" })).toBeVisible();
  await screenshot(page, "booking-17-reminder-360");
  await expectAccessible(page, testInfo, "booking-reminder-en");
  await page.getByLabel("Language").selectOption("es");
  await h1(page, "Su cita");
  await expect(page.getByRole("button", { name: "Confirmar mi cita" })).toBeVisible();
  await expectAccessible(page, testInfo, "booking-reminder-es");
  await screenshot(page, "booking-17-reminder-360-es");
  await page.getByLabel("Idioma").selectOption("en");

  // Cancelling asks once more.
  await page.getByRole("button", { name: "Cancel my visit" }).click();
  await h1(page, "Cancel your visit?");
  await expectAccessible(page, testInfo, "booking-reminder-cancel-en");
  await page.getByRole("button", { name: "No, go back" }).click();
  await page.getByRole("button", { name: "Confirm my visit" }).click();
  await h1(page, "This link does not work");
  await expect(page.getByRole("alert")).toContainText("This link has expired or was already used.");
  await screenshot(page, "booking-18-reminder-used-360");
  await expectAccessible(page, testInfo, "booking-reminder-used-en");
  await page.getByLabel("Language").selectOption("es");
  await h1(page, "Este enlace no funciona");
  await expect(page.getByRole("alert")).toContainText("Este enlace venció o ya se usó.");
  await expectAccessible(page, testInfo, "booking-reminder-used-es");
  await context.close();
});

test("inside the practice's cancellation window, the visit says to call the practice", async ({ browser, request }, testInfo) => {
  test.setTimeout(120_000);
  // The practice admin widens the window to two weeks, so Avery's next visit falls inside it.
  const admin = await api<{ signIn: { session: { accessToken: string } } }>(
    request,
    "lakeside",
    `mutation($i: SignInInput!) { signIn(input: $i) { session { accessToken } } }`,
    { i: { email: ADMIN, password: PASSWORD, totpCode: await freshCode(ADMIN) } },
  );
  const token = admin.signIn.session.accessToken;
  const setWindow = (hours: number | null) =>
    api(
      request,
      "lakeside",
      `mutation($i: UpdateSchedulingSettingsInput!) { updateSchedulingSettings(input: $i) { schedulingSettings { cancellationWindowHours } userErrors { code } } }`,
      { i: { cancellationWindowHours: hours } },
      token,
    );
  await setWindow(336);
  try {
    const context = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: "en-US", timezoneId: TZ });
    const page = await context.newPage();
    await signInPortal(page, PATIENT, PASSWORD, "/visits");
    await h1(page, "Your visits");
    await page.locator(".booking-visit-link").first().click();
    await h1(page, /^Your visit on /);
    await expect(page.getByText("This visit is too soon to change or cancel online.")).toBeVisible();
    // The practice's number, from its branding, as a link that dials it.
    const call = page.getByRole("link", { name: "(555) 010-0199" });
    await expect(call).toBeVisible();
    await expect(call).toHaveAttribute("href", "tel:5550100199");
    await expect(page.getByRole("link", { name: "Change the time" })).toHaveCount(0);
    await expect(page.getByRole("link", { name: "Cancel this visit" })).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Add to calendar" })).toBeVisible();
    await screenshot(page, "booking-19-too-soon-360");
    await inBothLanguages(page, testInfo, "booking-19-too-soon-360", /^Su cita del /);
    await context.close();
  } finally {
    await setWindow(null);
  }
});
