// The schedule journey, as Lakeside's front desk: book a video visit for Avery Stone, find it
// in the week view, move it to the next day and see the new time, then add her to the
// waitlist on a Sunday (the clinic is closed). axe on every page state, sched-NN screenshots.
import { expect, test, type Page } from "@playwright/test";
import { expectAccessible, FRONT_DESK, screenshot, signInConsole } from "./support";

test.describe.configure({ mode: "serial" });

const TZ = "America/Chicago";

function todayIn(timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

function shift(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

// A Wednesday at least a week away (so every slot is in the future), and that week's Sunday.
const today = todayIn(TZ);
let wednesday = shift(today, 7);
while (new Date(`${wednesday}T00:00:00Z`).getUTCDay() !== 3) wednesday = shift(wednesday, 1);
const thursday = shift(wednesday, 1);
const sunday = shift(wednesday, 4);

/** A date as the console writes it (the browser's locale is en-US). */
function spoken(isoDate: string): string {
  return new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeZone: "UTC" }).format(new Date(`${isoDate}T00:00:00Z`));
}

async function startBooking(page: Page): Promise<void> {
  await page.getByRole("link", { name: "Schedule", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Schedule" })).toBeVisible();
  await page.getByRole("link", { name: "Book a visit" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Book a visit" })).toBeVisible();
  await page.getByLabel("Find the patient").fill("Stone");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByRole("button", { name: /^Stone, Avery/ }).click();
  await page.getByLabel("Visit type").selectOption({ label: "Video visit (20 min)" });
}

async function openDay(page: Page, day: string): Promise<void> {
  await page.getByLabel("Day", { exact: true }).fill(day);
}

test("the front desk books, sees the week, moves a visit and uses the waitlist", async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  await signInConsole(page, "lakeside", FRONT_DESK);

  // Book: the first free time on the Wednesday.
  await startBooking(page);
  await page.getByLabel("Day", { exact: true }).fill(wednesday);
  const times = page.getByRole("list", { name: `Free times on ${spoken(wednesday)}` });
  const first = times.getByRole("button").first();
  await expect(first).toBeVisible();
  const bookedTime = (await first.innerText()).split(" · ")[0]!.trim();
  await first.click();
  await expect(page.getByRole("heading", { name: "4. Check and book" })).toBeVisible();
  await screenshot(page, "sched-01-book-check");
  await expectAccessible(page, testInfo, "sched-book-check");
  await page.getByRole("button", { name: "Book this visit" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Visit booked" })).toBeVisible();
  await expect(page.locator("p.notice[role=status]")).toContainText(bookedTime);
  await screenshot(page, "sched-02-booked");
  await expectAccessible(page, testInfo, "sched-booked");

  // The week view: seven days, the visit on Wednesday with the patient and the type.
  await page.getByRole("link", { name: "Back to the schedule" }).click();
  await openDay(page, wednesday);
  await page.getByRole("button", { name: "Week", exact: true }).click();
  await expect(page.getByRole("button", { name: "Week", exact: true })).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByRole("heading", { level: 2, name: /^Monday/ })).toBeVisible();
  await expect(page.getByRole("heading", { level: 2, name: /^Sunday/ })).toBeVisible();
  const wedVisits = page.getByRole("list", { name: "Visits on Wednesday" });
  const entry = wedVisits.getByRole("listitem").filter({ hasText: "Video visit" }).filter({ hasText: "Stone, Avery" });
  await expect(entry).toContainText(bookedTime);
  await screenshot(page, "sched-03-week");
  await expectAccessible(page, testInfo, "sched-week");

  // A week entry opens its day, where the actions are; "Move" opens the move page.
  await entry.getByRole("button", { name: bookedTime }).click();
  await expect(page.getByRole("button", { name: "Day", exact: true })).toHaveAttribute("aria-pressed", "true");
  const row = page.getByRole("row").filter({ hasText: "Video visit" }).filter({ hasText: "Stone, Avery" });
  await expect(row).toContainText(bookedTime);
  await row.getByRole("link", { name: "Move" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Move a visit" })).toBeVisible();
  expect(page.url()).toMatch(/\/console\/schedule\/move\/[^/?]+$/);
  expect(page.url()).not.toMatch(/Avery|Stone/i);
  await expect(page.getByText("Stone, Avery")).toBeVisible();
  await page.getByLabel("Day", { exact: true }).fill(thursday);
  const newTimes = page.getByRole("list", { name: `Free times on ${spoken(thursday)}` }).getByRole("button");
  const target = newTimes.nth(2);
  await expect(target).toBeVisible();
  const movedTime = (await target.innerText()).split(" · ")[0]!.trim();
  await target.click();
  await expect(page.getByRole("heading", { name: "3. Check and move" })).toBeVisible();
  await screenshot(page, "sched-04-move-check");
  await expectAccessible(page, testInfo, "sched-move-check");
  await page.getByRole("button", { name: "Move this visit" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Visit moved" })).toBeVisible();
  await expect(page.locator("p.notice[role=status]")).toContainText(movedTime);
  await screenshot(page, "sched-05-moved");
  await expectAccessible(page, testInfo, "sched-moved");

  // The new time on Thursday's schedule; Wednesday's visit shows as moved.
  await page.getByRole("link", { name: "Back to the schedule" }).click();
  await openDay(page, thursday);
  const movedRow = page.getByRole("row").filter({ hasText: "Video visit" }).filter({ hasText: "Stone, Avery" });
  await expect(movedRow).toContainText(movedTime);
  await expect(movedRow).toContainText("Booked");
  await screenshot(page, "sched-06-new-time");
  await expectAccessible(page, testInfo, "sched-new-time");

  // The waitlist on a Sunday, when the clinic has no free time.
  await startBooking(page);
  await page.getByLabel("Day", { exact: true }).fill(sunday);
  await expect(page.getByText(`No free time on ${spoken(sunday)}.`)).toBeVisible();
  await screenshot(page, "sched-07-no-time");
  await expectAccessible(page, testInfo, "sched-no-time");
  await page.getByRole("button", { name: "Add to the waitlist" }).click();
  await expect(page.locator("p.notice[role=status]")).toContainText("Avery Stone is on the waitlist");
  const entries = page.getByRole("list", { name: "On the waitlist" });
  await expect(entries.getByRole("listitem").filter({ hasText: "Video visit" })).toContainText(`by the end of ${spoken(sunday)} · waiting`);
  await screenshot(page, "sched-08-waitlisted");
  await expectAccessible(page, testInfo, "sched-waitlisted");
});
