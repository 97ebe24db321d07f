// Patient feedback, as the demo practice's admin: the score over the last twelve months
// (average, NPS and the split by provider, location and month) and the comments; the
// complaint about waiting is marked handled and leaves the "not yet handled" list. axe on
// the page; screenshots of the scores and the comments.
import { expect, test } from "@playwright/test";
import { ADMIN, expectAccessible, screenshot, signInConsole } from "./support";

test("the practice admin reads the feedback score and marks a comment handled", async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await signInConsole(page, "lakeside", ADMIN);
  await page.getByRole("navigation").getByRole("link", { name: "Feedback" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Patient feedback" })).toBeVisible();

  const byProvider = page.getByRole("table", { name: "By provider" });
  await expect(byProvider.getByRole("row", { name: /Dr\. Maya Chen/ })).toBeVisible();
  await expect(byProvider.getByRole("row", { name: /Dr\. Luis Ortega/ })).toBeVisible();
  await expect(page.getByRole("table", { name: "By location" }).getByRole("row", { name: /Lakeside Clinic/ })).toBeVisible();
  await expect(page.getByRole("table", { name: "By month" })).toBeVisible();
  await expect(page.getByText("Average rating (0–10)")).toBeVisible();
  await screenshot(page, "feedback-01-scores");
  await expectAccessible(page, testInfo, "feedback-page");

  const comments = page.getByRole("region", { name: "Comments, newest first" });
  const complaint = comments.getByRole("listitem").filter({ hasText: "I waited 40 minutes past my appointment time." });
  await expect(complaint).toBeVisible();
  await expect(complaint).toContainText("rated 5 of 10");
  await screenshot(page, "feedback-02-comments");
  await complaint.getByRole("button", { name: "Mark handled" }).click();
  // The trial banner is a status too: find the confirmation by its words.
  await expect(page.getByRole("status").filter({ hasText: "Marked handled." })).toBeVisible();
  await expect(complaint).toHaveCount(0);

  // Every comment, handled ones included, shows who handled it and when.
  await comments.getByLabel("Not yet handled only").uncheck();
  const handled = comments.getByRole("listitem").filter({ hasText: "I waited 40 minutes past my appointment time." });
  await expect(handled).toContainText("handled by Dana Admin on");
  await expect(handled.getByRole("button", { name: "Mark handled" })).toHaveCount(0);
  await screenshot(page, "feedback-03-handled");
  await expectAccessible(page, testInfo, "feedback-page-handled");
});
