// Invitation campaigns, as the demo practice's admin: a name left out and follow-up days out
// of order are refused by field; a patient is registered with an email and no account, then
// a campaign invites every such patient with follow-ups on the third and seventh days; the
// minute's sweep sends the invitations (the funnel counts them), the Adoption page counts them
// in the practice's funnel for the period, and the campaign is cancelled. axe on the pages;
// screenshots of the form, a refusal, the funnel, the adoption funnel and the end.
import { expect, test } from "@playwright/test";
import { ADMIN, expectAccessible, screenshot, signInConsole } from "./support";

test("the practice admin invites patients without an account and follows the funnel", async ({ page }, testInfo) => {
  test.setTimeout(240_000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await signInConsole(page, "lakeside", ADMIN);

  // A patient the practice can reach by email, who has not joined the portal.
  await page.getByRole("navigation").getByRole("link", { name: "Patients" }).click();
  await page.getByRole("link", { name: "Register a patient" }).click();
  await page.getByLabel("Given name").fill("Marisol");
  await page.getByLabel("Family name").fill("Quintero");
  await page.getByLabel("Date of birth").fill("1979-11-21");
  await page.getByLabel("Sex").selectOption("female");
  await page.getByLabel("Email (optional)").fill("marisol.quintero@example.com");
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Marisol Quintero is registered" })).toBeVisible();

  await page.getByRole("navigation").getByRole("link", { name: "Invitations" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Invitations" })).toBeVisible();
  await expect(page.getByLabel("Follow-up days")).toHaveValue("3, 7");
  await screenshot(page, "invitations-01-form");
  await expectAccessible(page, testInfo, "invitations-form");

  // Refusals name the field, and nothing starts.
  await page.getByRole("button", { name: "Start campaign" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "There is a problem" })).toContainText("Campaign name");
  await page.getByLabel("Campaign name").fill("Winter invitations");
  await page.getByLabel("Follow-up days").fill("7, 3");
  await page.getByRole("button", { name: "Start campaign" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "There is a problem" })).toContainText("Follow-up days");
  await expect(page.getByLabel("Follow-up days")).toHaveAttribute("aria-invalid", "true");
  await screenshot(page, "invitations-02-refused");
  await expectAccessible(page, testInfo, "invitations-refused");

  await page.getByLabel("Follow-up days").fill("3, 7");
  await page.getByRole("button", { name: "Start campaign" }).click();
  // The trial banner is a status too: find the confirmation by its words.
  await expect(page.getByRole("status").filter({ hasText: "Campaign started" })).toBeVisible();
  const card = page.getByRole("listitem").filter({ hasText: "Winter invitations" }).first();
  await expect(card).toContainText("Sending");
  await expect(card).toContainText("reminders after 3, 7 days");
  const funnel = card.getByRole("table", { name: "Funnel of Winter invitations" });
  await expect(funnel.getByRole("row", { name: /Chosen/ })).toBeVisible();

  // The every-minute sweep sends the invitations; the funnel counts them.
  await expect
    .poll(
      async () => {
        await page.reload();
        const row = page.getByRole("listitem").filter({ hasText: "Winter invitations" }).first().getByRole("row", { name: /^Invited/ });
        return Number((await row.getByRole("cell").first().textContent()) ?? "0");
      },
      { timeout: 150_000, intervals: [5_000] },
    )
    .toBeGreaterThan(0);
  await expect(funnel.getByRole("row", { name: /Joined the portal/ })).toBeVisible();
  await screenshot(page, "invitations-03-funnel");
  await expectAccessible(page, testInfo, "invitations-funnel");

  // The practice's funnel on the Adoption page counts them too, each patient once.
  await page.getByRole("navigation").getByRole("link", { name: "Adoption" }).click();
  const adoption = page.getByRole("region", { name: "Portal invitations in this period" });
  await expect(adoption.getByRole("row", { name: /^Invited/ })).toBeVisible();
  const invited = Number((await adoption.getByRole("row", { name: /^Invited/ }).getByRole("cell").first().textContent()) ?? "0");
  expect(invited).toBeGreaterThan(0);
  await expect(adoption.getByRole("row", { name: /^Joined the portal/ })).toBeVisible();
  await adoption.scrollIntoViewIfNeeded();
  await screenshot(page, "invitations-04-adoption-funnel");
  await expectAccessible(page, testInfo, "adoption-invitation-funnel");
  await page.getByRole("navigation").getByRole("link", { name: "Invitations" }).click();

  await card.getByRole("button", { name: "Cancel campaign" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Winter invitations is cancelled" })).toBeVisible();
  await expect(card).toContainText("Cancelled");
  await expect(card.getByRole("button", { name: "Cancel campaign" })).toHaveCount(0);
  await screenshot(page, "invitations-05-cancelled");
});
