// The home page: a patient signs in on a 360 px phone and sees what needs doing, in English
// and in Spanish, with no serious accessibility problem in either.
import { expect, test } from "@playwright/test";
import { PASSWORD, PATIENT, expectAccessible, portalUrl, screenshot, signInPortal } from "./support";

test.use({ viewport: { width: 360, height: 780 } });

test("a patient signs in on a phone and sees what needs doing, in English and Spanish", async ({ browser }, testInfo) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: "en-US" });
  const page = await context.newPage();
  await page.goto(portalUrl("/"));
  // Signed out, any page leads to the practice's branded sign-in page.
  await expect(page).toHaveTitle("Lakeside Family Medicine");
  await expect(page.getByRole("heading", { level: 1, name: "Sign in to Lakeside Family Medicine" })).toBeVisible();
  await expectAccessible(page, testInfo, "portal-sign-in-en");

  // Nothing typed: the summary says what is missing, and nothing is sent.
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert").filter({ hasText: "There is a problem" })).toContainText("Enter your email address.");

  await signInPortal(page, PATIENT, PASSWORD);
  await expect(page.getByRole("heading", { level: 1, name: /^Hello, / })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Your next visits" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "New results" })).toBeVisible();
  await expect(page.getByText(/new results? since your last visit/)).toBeVisible();
  await expect(page.getByRole("heading", { name: "Reminders" })).toBeVisible();
  // The page fits the phone: nothing scrolls sideways.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expectAccessible(page, testInfo, "portal-home-en");
  await screenshot(page, "portal-home-360-en");

  // Spanish, chosen in the header, and kept in the patient's preferences.
  await page.getByLabel("Language").selectOption("es");
  await expect(page.getByRole("heading", { level: 1, name: /^Hola, / })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Sus próximas citas" })).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  await expectAccessible(page, testInfo, "portal-home-es");
  await screenshot(page, "portal-home-360-es");

  // A new browser (English) that signs in gets Spanish back from the preference.
  const other = await browser.newContext({ locale: "en-US" });
  const second = await other.newPage();
  await signInPortal(second, PATIENT, PASSWORD);
  await expect(second.getByRole("heading", { level: 1, name: /^Hola, / })).toBeVisible();
  await second.getByLabel("Idioma").selectOption("en");
  await expect(second.getByRole("heading", { level: 1, name: /^Hello, / })).toBeVisible();
  await other.close();
  await context.close();
});
