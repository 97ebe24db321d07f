// A new practice from nothing to its first bookable slot, in the browser: sign up, set up
// two-step verification, then through the set-up checklist alone add a provider, a location,
// an appointment type and weekly hours. axe runs on every page; screenshots are setup-NN-*.
import { expect, test } from "@playwright/test";
import { api, baseUrl, expectAccessible, screenshot } from "./support";
import { codeFor, dayIn, uniqueSlug } from "./setup-support";

test.describe.configure({ mode: "serial" });

const ZONE = "America/Chicago";
const ADMIN_EMAIL = "morgan@harbourview.example";
const ADMIN_PASSWORD = "tide pool lantern orchard";

test("a new practice signs up and, through its checklist alone, opens its first bookable slot", async ({ page, request }, testInfo) => {
  test.setTimeout(120_000);
  const slug = uniqueSlug("harbour");

  // Sign-up, reached from the sign-in page.
  await page.goto(`${baseUrl()}/console/`);
  await page.getByRole("link", { name: "Create a practice" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Create your practice" })).toBeVisible();
  await expectAccessible(page, testInfo, "sign-up");
  await page.getByRole("button", { name: "Create practice" }).click();
  await expect(page.getByRole("alert")).toContainText("Enter your practice's name");
  await expect(page.getByRole("alert")).toContainText("Use at least 12 characters");
  await expectAccessible(page, testInfo, "sign-up-errors");
  await page.getByLabel("Practice name").fill("Harbour View Clinic");
  await expect(page.getByLabel("Web address")).toHaveValue("harbour-view-clinic");
  await page.getByLabel("Web address").fill(slug);
  await page.getByLabel("Time zone").selectOption(ZONE);
  await page.getByLabel("Your name").fill("Morgan Lee");
  await page.getByLabel("Your email").fill(ADMIN_EMAIL);
  await page.getByLabel("Choose a password").fill(ADMIN_PASSWORD);
  await screenshot(page, "setup-01-sign-up");
  await page.getByRole("button", { name: "Create practice" }).dblclick();

  // Two-step verification: the secret from the page, a code computed from it.
  await expect(page.getByRole("heading", { level: 1, name: "Set up two-step verification" })).toBeVisible();
  await page.getByRole("button", { name: "Start" }).click();
  const secret = (await page.locator("code.secret").textContent())!.trim();
  expect(secret).toMatch(/^[A-Z2-7]+=*$/);
  await expectAccessible(page, testInfo, "enrol-totp");
  await page.getByLabel("Code").fill(await codeFor(secret));
  await page.getByRole("button", { name: "Confirm" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Save your recovery codes" })).toBeVisible();
  const recovery = (await page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem").allTextContents()).map((c) => c.trim());
  expect(recovery.length).toBeGreaterThan(0);
  await expectAccessible(page, testInfo, "recovery-codes");
  await page.getByRole("button", { name: "I have saved them" }).click();

  // The checklist is the admin's first page.
  await expect(page.getByRole("heading", { level: 1, name: "Set up your practice" })).toBeVisible();
  await expect(page.getByText("Harbour View Clinic").first()).toBeVisible();
  await screenshot(page, "setup-02-checklist");
  await expectAccessible(page, testInfo, "checklist");

  // A provider, added with a double click that adds one.
  await page.getByRole("link", { name: "Add your providers" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Providers" })).toBeVisible();
  await expect(page.getByText("No providers yet.")).toBeVisible();
  await expectAccessible(page, testInfo, "providers-empty");
  await page.getByRole("button", { name: "Add provider" }).click();
  await expect(page.getByRole("alert")).toContainText("Enter the provider's name");
  await expectAccessible(page, testInfo, "providers-error");
  await page.getByLabel("Name patients see").fill("Dr. Ana Reyes");
  await page.getByLabel("Specialty (optional)").fill("Family medicine");
  await page.getByRole("button", { name: "Add provider" }).dblclick();
  await expect(page.getByRole("status").filter({ hasText: "Dr. Ana Reyes is added." })).toBeVisible();
  await expect(page.getByRole("row", { name: /Dr\. Ana Reyes/ })).toHaveCount(1);
  await expect(page.getByLabel("Name patients see")).toHaveValue("");
  await screenshot(page, "setup-03-providers");
  await expectAccessible(page, testInfo, "providers");
  await page.getByRole("link", { name: "Back to set-up" }).click();

  // A location.
  await page.getByRole("link", { name: "Add your locations" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Locations" })).toBeVisible();
  await expectAccessible(page, testInfo, "locations-empty");
  await page.getByLabel("Name", { exact: true }).fill("Harbour Street clinic");
  await page.getByLabel("Address (optional)").fill("12 Harbour Street\nPort Town");
  await page.getByRole("button", { name: "Add location" }).dblclick();
  await expect(page.getByRole("status").filter({ hasText: "Harbour Street clinic is added." })).toBeVisible();
  await expect(page.getByRole("row", { name: /Harbour Street clinic/ })).toHaveCount(1);
  await screenshot(page, "setup-04-locations");
  await expectAccessible(page, testInfo, "locations");
  await page.getByRole("link", { name: "Back to set-up" }).click();

  // An appointment type: a range refused before sending, then fixed; what was typed stays.
  await page.getByRole("link", { name: "Set up appointment types" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Appointment types" })).toBeVisible();
  await expectAccessible(page, testInfo, "types-empty");
  await page.getByLabel("Name", { exact: true }).fill("Follow-up visit");
  await page.getByLabel("Length, in minutes").fill("2");
  await page.getByRole("button", { name: "Add appointment type" }).click();
  await expect(page.getByRole("alert")).toContainText("Enter a whole number from 5 to 480");
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("Follow-up visit");
  await expectAccessible(page, testInfo, "types-error");
  await page.getByLabel("Length, in minutes").fill("30");
  await page.getByRole("button", { name: "Add appointment type" }).dblclick();
  await expect(page.getByRole("status").filter({ hasText: "Follow-up visit is added." })).toBeVisible();
  await expect(page.getByRole("row", { name: /Follow-up visit/ })).toHaveCount(1);
  await screenshot(page, "setup-05-appointment-types");
  await expectAccessible(page, testInfo, "types");
  await page.getByRole("link", { name: "Back to set-up" }).click();

  // Weekly hours: Monday 09:00–12:00 and 13:00–17:00, copied to Tuesday–Friday.
  await page.getByRole("link", { name: "Set weekly hours" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Weekly hours" })).toBeVisible();
  await expect(page.getByText("No weekly hours are saved yet")).toBeVisible();
  await expectAccessible(page, testInfo, "hours-empty");
  await page.getByRole("button", { name: "Add hours on Monday" }).click();
  await page.getByLabel("Monday, hours 1, start").fill("09:00");
  await page.getByLabel("Monday, hours 1, end").fill("12:00");
  await page.getByRole("button", { name: "Add hours on Monday" }).click();
  await page.getByLabel("Monday, hours 2, start").fill("13:00");
  await page.getByLabel("Monday, hours 2, end").fill("11:00");
  await page.getByRole("button", { name: "Save weekly hours" }).click();
  await expect(page.getByRole("alert")).toContainText("On Monday, the hours must start before they end.");
  await expectAccessible(page, testInfo, "hours-error");
  await page.getByLabel("Monday, hours 2, end").fill("17:00");
  await page.getByRole("button", { name: "Copy Monday to Tuesday–Friday" }).click();
  await expect(page.getByLabel("Friday, hours 2, end")).toHaveValue("17:00");
  await page.getByRole("button", { name: "Save weekly hours" }).dblclick();
  await expect(page.getByRole("status").filter({ hasText: "Saved. Dr. Ana Reyes sees patients at Harbour Street clinic" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Saved now for Dr. Ana Reyes" })).toContainText(/Monday to Friday 9:00\sAM–12:00\sPM and 1:00\sPM–5:00\sPM/);
  await screenshot(page, "setup-06-weekly-hours");
  await expectAccessible(page, testInfo, "hours");

  // Time off: added, listed, removed.
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Time off" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Time off and holidays" })).toBeVisible();
  await expect(page.getByText("Nothing in the next 90 days.")).toBeVisible();
  await expectAccessible(page, testInfo, "time-off-empty");
  await page.getByLabel("Provider", { exact: true }).selectOption({ label: "Dr. Ana Reyes" });
  await page.getByLabel("First day").fill(dayIn(ZONE, 30));
  await page.getByLabel("Last day").fill(dayIn(ZONE, 31));
  await page.getByLabel("Reason (optional)").fill("Conference");
  await page.getByRole("button", { name: "Add time off" }).dblclick();
  await expect(page.getByRole("status").filter({ hasText: "Added: time off for Dr. Ana Reyes" })).toBeVisible();
  await expect(page.getByRole("row", { name: /Conference/ })).toHaveCount(1);
  await screenshot(page, "setup-07-time-off");
  await expectAccessible(page, testInfo, "time-off");
  await page.getByRole("button", { name: /^Remove time off, Dr\. Ana Reyes/ }).click();
  await expect(page.getByRole("status").filter({ hasText: "Removed." })).toBeVisible();
  await expect(page.getByText("Nothing in the next 90 days.")).toBeVisible();

  // The checklist shows the four items done.
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Set-up" }).click();
  for (const item of ["Add your providers", "Add your locations", "Set up appointment types", "Set weekly hours"]) {
    await expect(page.getByRole("listitem").filter({ hasText: item })).toContainText("Done");
  }
  await screenshot(page, "setup-08-checklist-done");
  await expectAccessible(page, testInfo, "checklist-done");

  // The first bookable slot, as this admin through the API (signed in with a recovery code).
  const signedIn = await api<{ signIn: { session: { accessToken: string } } }>(
    request,
    slug,
    `mutation($i: SignInInput!) { signIn(input: $i) { session { accessToken } } }`,
    { i: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, recoveryCode: recovery[0] } },
  );
  const token = signedIn.signIn.session.accessToken;
  const types = await api<{ appointmentTypes: { id: string; name: string }[] }>(request, slug, `{ appointmentTypes { id name } }`, {}, token);
  const followUp = types.appointmentTypes.find((t) => t.name === "Follow-up visit")!;
  const found = await api<{ availableSlots: { start: string; provider: { displayName: string } | null; location: { name: string } | null }[] }>(
    request,
    slug,
    `query($t: ID!, $from: Date!, $to: Date!) { availableSlots(appointmentTypeId: $t, from: $from, to: $to) { start provider { displayName } location { name } } }`,
    { t: followUp.id, from: dayIn(ZONE, 1), to: dayIn(ZONE, 14) },
    token,
  );
  expect(found.availableSlots.length).toBeGreaterThan(0);
  const first = found.availableSlots[0]!;
  expect(first.provider?.displayName).toBe("Dr. Ana Reyes");
  expect(first.location?.name).toBe("Harbour Street clinic");
  // Inside the weekly hours, in the practice's time zone.
  const local = new Intl.DateTimeFormat("en-GB", { timeZone: ZONE, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(
    new Date(first.start),
  );
  expect(local).toMatch(/^(Mon|Tue|Wed|Thu|Fri) (09|1[0-6]):\d\d$/);
  testInfo.annotations.push({ type: "first slot", description: `${first.start} (${local} in ${ZONE})` });
});
