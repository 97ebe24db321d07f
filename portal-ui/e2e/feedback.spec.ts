// The feedback survey after a visit, signed out: the visit of yesterday of Jordan Reyes (a demo
// patient with an email and no account, whose preferences no other journey changes: the
// profile journey turns the demo patient's messages off and her language to Spanish for a
// moment, and a sweep then would skip or translate her survey) was completed, and the survey
// email (sent by the sweep) names only the practice; its link opens the survey, where he rates
// 9 with a comment and sees the thank-you; the same link used again says it was already
// answered. axe in English and Spanish; screenshots at 360 px.
import { expect, test, type Page } from "@playwright/test";
import { PASSWORD, PATIENT, emailContaining, expectAccessible, portalUrl, screenshot, signInPortal } from "./support";

async function h1(page: Page, name: string): Promise<void> {
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
}

/** The demo chart whose survey of yesterday's visit the journey answers. */
const SURVEY_PATIENT = "jordan.reyes@lakeside.example";

/** The survey link of the feedback email to Jordan Reyes, once the sweep has sent it. */
async function surveyLink(): Promise<string> {
  let mail = "";
  // The every-minute sweep sends the demo's due survey; poll the outbox, never sleep.
  await expect
    .poll(
      () => {
        try {
          mail = emailContaining(SURVEY_PATIENT);
          return mail.includes("would like your feedback");
        } catch {
          return false;
        }
      },
      { timeout: 100_000, intervals: [1_000] },
    )
    .toBe(true);
  for (const phi of ["Jordan", "Reyes", "Chen", "Ortega", "Follow-up", "Lakeside Clinic"]) expect(mail.replaceAll(SURVEY_PATIENT, "")).not.toContain(phi);
  const match = /\/t\/lakeside\/feedback#token=([A-Za-z0-9_-]+)/.exec(mail);
  expect(match, mail).not.toBeNull();
  return `/feedback#token=${match![1]}`;
}

test("the survey link: a rating of 9 with a comment is thanked, and the link then says it was answered", async ({ browser }, testInfo) => {
  test.setTimeout(180_000);
  const link = await surveyLink();
  const context = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: "en-US", timezoneId: "America/Chicago" });
  const page = await context.newPage();

  await page.goto(portalUrl(link));
  await h1(page, "Your feedback");
  await expect.poll(() => page.url()).not.toContain("token");
  await expectAccessible(page, testInfo, "feedback-survey-en");
  await page.getByLabel("Language").selectOption("es");
  await h1(page, "Su opinión");
  await expectAccessible(page, testInfo, "feedback-survey-es");
  await screenshot(page, "feedback-01-survey-360-es");
  await page.getByLabel("Idioma").selectOption("en");

  // No rating: the summary says what to do, and nothing is sent.
  await page.getByRole("button", { name: "Send my answer" }).click();
  await expect(page.getByRole("alert")).toContainText("Choose a number from 0 to 10");
  await screenshot(page, "feedback-02-missing-rating-360");
  await expectAccessible(page, testInfo, "feedback-survey-missing-en");

  await page.getByRole("group", { name: /How likely are you to recommend/ }).getByLabel("9", { exact: true }).check();
  await page.getByLabel("Anything you would like to tell us? (optional)").fill("The nurse was kind and the wait was short.");
  await screenshot(page, "feedback-03-answered-360");
  await page.getByRole("button", { name: "Send my answer" }).click();
  await h1(page, "Thank you");
  await expect(page.getByRole("status")).toContainText("Your answer was sent to");
  await screenshot(page, "feedback-04-thanks-360");
  await expectAccessible(page, testInfo, "feedback-thanks-en");

  // The same link again, opened from the email in a new tab: answered once is enough.
  const again = await context.newPage();
  await again.goto(portalUrl(link));
  await again.getByRole("group", { name: /How likely are you to recommend/ }).getByLabel("3", { exact: true }).check();
  await again.getByRole("button", { name: "Send my answer" }).click();
  await h1(again, "You have already answered");
  await screenshot(again, "feedback-05-already-answered-360");
  await expectAccessible(again, testInfo, "feedback-answered-en");
  await context.close();
});

// Feedback at any time, signed in: from the profile page, a comment is required, a rating is
// optional, and it can be about the visit of yesterday (the demo's completed one).
test("the feedback form: a signed-in patient sends a comment about yesterday's visit", async ({ browser }, testInfo) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: "en-US", timezoneId: "America/Chicago" });
  const page = await context.newPage();
  await signInPortal(page, PATIENT, PASSWORD, "/profile");
  await page.getByRole("link", { name: "Send feedback" }).click();
  await h1(page, "Send feedback");
  await expectAccessible(page, testInfo, "feedback-form-en");

  // Nothing written: the summary says what to do, and nothing is sent.
  await page.getByRole("button", { name: "Send feedback" }).click();
  await expect(page.getByRole("alert")).toContainText("Write your feedback");
  await screenshot(page, "feedback-06-form-missing-360");

  await page.getByLabel("Your feedback").fill("Booking online was easy; parking was hard to find.");
  await page.getByRole("group", { name: /How likely are you to recommend/ }).getByLabel("8", { exact: true }).check();
  const visit = page.getByLabel("Is it about a visit? (optional)");
  // The visit of yesterday is offered (a completed one), and chosen.
  await expect(visit.locator("option")).not.toHaveCount(1);
  await visit.selectOption({ index: 1 });
  await screenshot(page, "feedback-07-form-filled-360");
  await page.getByRole("button", { name: "Send feedback" }).click();
  await h1(page, "Thank you");
  await expect(page.getByRole("status")).toContainText("Your feedback was sent to the practice");
  await screenshot(page, "feedback-08-form-thanks-360");
  await expectAccessible(page, testInfo, "feedback-form-thanks-en");
  await context.close();
});
