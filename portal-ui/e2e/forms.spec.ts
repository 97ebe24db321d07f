// Check-in forms: the demo patient opens the form that came with their upcoming follow-up,
// answers (a question appears when an earlier answer asks for it), saves a draft, comes back
// to it, is told which required question is missing, finishes and sends it; every page
// checked with axe at 360 px.
import { expect, test } from "@playwright/test";
import { PASSWORD, PATIENT, expectAccessible, screenshot, signInPortal } from "./support";

test.use({ viewport: { width: 360, height: 780 } });

test("a patient fills in the check-in form for their visit, saves a draft, comes back and sends it", async ({ browser }, testInfo) => {
  test.setTimeout(180_000);
  const context = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: "en-US" });
  const page = await context.newPage();
  await signInPortal(page, PATIENT, PASSWORD);
  await expect(page.getByRole("heading", { level: 1, name: /^Hello, / })).toBeVisible();

  // Home says there is a form, and the upcoming visit links to it.
  // (Other journeys may have booked more follow-ups, each asking for the form: count them.)
  await expect(page.getByRole("link", { name: /^You have (a form|\d+ forms) to fill in$/ })).toBeVisible();
  const visits = page.getByRole("region", { name: "Your next visits" });
  const open = visits.getByRole("link", { name: "Fill in Check-in questionnaire" }).first();
  await expect(open).toBeVisible();
  const asked = await visits.getByRole("link", { name: "Fill in Check-in questionnaire" }).count();
  await screenshot(page, "forms-home-360-en");
  await open.click();

  await expect(page.getByRole("heading", { level: 1, name: "Check-in questionnaire" })).toBeVisible();
  const changed = page.getByRole("group", { name: /Have your allergies changed/ });
  await expect(changed).toBeVisible();
  // The follow-up question shows only once "Yes" is chosen.
  await expect(page.getByLabel(/Which allergies are new/)).toHaveCount(0);
  await changed.getByLabel("Yes").check();
  await page.getByLabel(/Which allergies are new/).fill("Penicillin");
  await expectAccessible(page, testInfo, "forms-fill-360-en");
  await screenshot(page, "forms-fill-360-en");
  await page.getByRole("button", { name: "Save and finish later" }).click();

  await expect(page.getByRole("heading", { level: 1, name: "Forms" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Your answers are saved" })).toHaveText("✓ Your answers are saved. You can finish later.");
  await expect(page.getByText("Started, not sent yet", { exact: true })).toHaveCount(1);
  await expectAccessible(page, testInfo, "forms-saved-360-en");
  await screenshot(page, "forms-saved-360-en");

  // Back to it: the draft's answers are there.
  await page.getByRole("link", { name: "Continue Check-in questionnaire" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Check-in questionnaire" })).toBeVisible();
  await expect(page.getByRole("group", { name: /Have your allergies changed/ }).getByLabel("Yes")).toBeChecked();
  await expect(page.getByLabel(/Which allergies are new/)).toHaveValue("Penicillin");

  // Sent without the pain question (required): the summary names it, nothing is sent.
  await page.getByRole("button", { name: "Send my answers" }).click();
  const summary = page.getByRole("alert").filter({ hasText: "There is a problem" });
  await expect(summary).toContainText("How would you rate your pain today?: Answer this question");
  await expectAccessible(page, testInfo, "forms-missing-360-en");
  await screenshot(page, "forms-missing-360-en");

  await page.getByRole("group", { name: /How would you rate your pain today/ }).getByLabel("Mild").check();
  await page.getByLabel(/Anything you would like your care team to know/).fill("Running late, sorry");
  await page.getByRole("button", { name: "Send my answers" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Forms" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Your answers were sent" })).toHaveText("✓ Thank you. Your answers were sent to your care team.");
  // The list is loaded once "Sent forms" shows; the form is no longer waiting.
  await expect(page.getByRole("heading", { name: "Sent forms" })).toBeVisible();
  await expect(page.getByText("Started, not sent yet", { exact: true })).toHaveCount(0);
  await expect(page.getByText("Sent to your care team", { exact: true })).toHaveCount(1);
  await expectAccessible(page, testInfo, "forms-sent-360-en");
  await screenshot(page, "forms-sent-360-en");

  // Home no longer asks for it.
  await page.getByRole("link", { name: "Home" }).first().click();
  await expect(page.getByRole("heading", { level: 1, name: /^Hello, / })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Your next visits" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Your next visits" }).getByRole("link", { name: "Fill in Check-in questionnaire" })).toHaveCount(asked - 1);
  await context.close();
});
