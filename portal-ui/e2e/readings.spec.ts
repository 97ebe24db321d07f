// Home readings: the demo patient records a blood pressure, sees it in the chart and the table
// marked "You recorded", records one above the demo practice's threshold and is shown the
// practice's instruction, one taken earlier (listed at that time) and one "taken" tomorrow
// (refused at the time field, in English and Spanish); checked with axe at 360 px.
import { expect, test, type Page } from "@playwright/test";
import { PASSWORD, PATIENT, expectAccessible, screenshot, signInPortal } from "./support";

const PHONE = { width: 360, height: 780 };

async function noSidewaysScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

async function recordPressure(page: Page, systolic: string, diastolic: string): Promise<void> {
  await page.getByLabel("Top number (systolic)").fill(systolic);
  await page.getByLabel("Bottom number (diastolic)").fill(diastolic);
  await page.getByRole("button", { name: "Save reading" }).click();
}

test("a patient records a blood pressure, sees it charted as theirs, and is told what to do when it is high", async ({ browser }, testInfo) => {
  test.setTimeout(180_000);
  // Reduced motion: the chart is drawn at once, so the screenshots show its lines, not a
  // frame of their animation.
  // The practice's zone, so the time typed (this device's) reads the same in the table.
  const context = await browser.newContext({ viewport: PHONE, locale: "en-US", reducedMotion: "reduce", timezoneId: "America/Chicago" });
  const page = await context.newPage();
  await signInPortal(page, PATIENT, PASSWORD, "/records");
  await page.getByRole("link", { name: "Home readings" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Home readings" })).toBeVisible();
  await expect(page.getByLabel("What did you measure?")).toHaveValue("BLOOD_PRESSURE");
  await expectAccessible(page, testInfo, "readings-empty-360-en");
  await screenshot(page, "readings-empty-360-en");

  // A number that cannot be a blood pressure is refused, with the field named.
  await recordPressure(page, "120", "130");
  await expect(page.getByText("This number does not look right. Check it and enter it again.").first()).toBeVisible();

  // An ordinary reading: saved, drawn in the chart, and listed as "You recorded".
  await recordPressure(page, "128", "82");
  await expect(page.getByRole("status").filter({ hasText: "Your reading is saved." })).toBeVisible();
  const figure = page.getByRole("figure", { name: /Blood pressure over time/ });
  await expect(figure.locator("svg.recharts-surface")).toBeVisible();
  const rows = page.getByRole("table", { name: /Every blood pressure reading/ }).locator("tbody tr");
  await expect(rows.first()).toContainText("128/82 mmHg");
  await expect(rows.first()).toContainText("You recorded");
  await noSidewaysScroll(page);
  await expectAccessible(page, testInfo, "readings-recorded-360-en");
  await screenshot(page, "readings-recorded-360-en");

  // Above the practice's threshold (160): the practice's instruction, at once and in the table.
  await recordPressure(page, "182", "96");
  const alert = page.getByRole("alert").filter({ hasText: "outside the range your care team set" });
  await expect(alert).toBeVisible();
  await expect(alert).toContainText("your care team has been told");
  await expect(alert).toContainText("Call us today at (555) 010-0199");
  await expect(rows.first()).toContainText("182/96 mmHg");
  await expect(rows.first()).toContainText("Outside your range. Your practice said: Call us today");
  await noSidewaysScroll(page);
  await expectAccessible(page, testInfo, "readings-beyond-360-en");
  await screenshot(page, "readings-beyond-360-en");

  // Taken earlier today (90 minutes ago, or at midnight if that was yesterday), typed in this
  // device's time: listed with that date and time, after the two taken just now.
  const { local, iso } = await page.evaluate(() => {
    const midnight = new Date();
    midnight.setHours(0, 0, 0, 0);
    const d = new Date(Math.max(midnight.getTime(), Date.now() - 90 * 60_000));
    const two = (n: number) => String(n).padStart(2, "0");
    return { local: `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`, iso: d.toISOString() };
  });
  const earlier = new Date(iso);
  const listed = `${new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", year: "numeric", timeZone: "America/Chicago" }).format(earlier)}, ${new Intl.DateTimeFormat("en-US", { hour: "numeric", minute: "2-digit", timeZone: "America/Chicago" }).format(earlier)}`;
  await page.getByLabel("When did you take it?").fill(local);
  await recordPressure(page, "124", "78");
  await expect(page.getByRole("status").filter({ hasText: "Your reading is saved." })).toBeVisible();
  const earlierRow = rows.filter({ hasText: "124/78 mmHg" });
  await expect(earlierRow.getByRole("rowheader")).toHaveText(listed);
  await expect(rows.first()).toContainText("182/96 mmHg");
  await expect(rows.nth(1)).toContainText("128/82 mmHg");
  await expect(rows.nth(2)).toContainText("124/78 mmHg");
  // The time field is back to now for the next reading.
  await expect(page.getByLabel("When did you take it?")).not.toHaveValue(local);

  // Taken tomorrow: refused at the time field, nothing saved.
  const tomorrow = await page.evaluate(() => {
    const d = new Date(Date.now() + 24 * 3_600_000);
    const two = (n: number) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
  });
  await page.getByLabel("When did you take it?").fill(tomorrow);
  await recordPressure(page, "118", "76");
  const summary = page.getByRole("alert").filter({ hasText: "There is a problem" });
  await expect(summary.getByRole("link", { name: "This time is later than now. Enter when you took it." })).toHaveAttribute("href", "#takenAt");
  await expect(page.getByLabel("When did you take it?")).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator("#takenAt-error")).toHaveText("This time is later than now. Enter when you took it.");
  await expect(rows.filter({ hasText: "118/76 mmHg" })).toHaveCount(0);
  await noSidewaysScroll(page);
  await expectAccessible(page, testInfo, "readings-future-360-en");
  await screenshot(page, "readings-future-360-en");

  // Spanish: the same page in Spanish words, the refusal at the time field too.
  await page.getByLabel("Language").selectOption("es");
  await expect(page.getByRole("heading", { level: 1, name: "Mediciones en casa" })).toBeVisible();
  await expect(page.getByRole("table").locator("tbody tr").first()).toContainText("Usted lo anotó");
  await expect(page.getByLabel("¿Cuándo la tomó?")).toBeVisible();
  await page.getByLabel("¿Cuándo la tomó?").fill(tomorrow);
  await page.getByLabel("Número de arriba (sistólica)").fill("118");
  await page.getByLabel("Número de abajo (diastólica)").fill("76");
  await page.getByRole("button", { name: "Guardar medición" }).click();
  await expect(page.getByRole("alert").getByRole("link", { name: "Esta hora es posterior a ahora. Escriba cuándo la tomó." })).toBeVisible();
  await expectAccessible(page, testInfo, "readings-360-es");
  await screenshot(page, "readings-360-es");
  // Back to English: the choice is kept on Avery's account, and the journeys after this one
  // read the portal in English.
  await page.getByLabel("Idioma").selectOption("en");
  await expect(page.getByRole("heading", { level: 1, name: "Home readings" })).toBeVisible();
  await context.close();
});
