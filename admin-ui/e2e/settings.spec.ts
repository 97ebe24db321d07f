// The practice admin's settings, in the browser as the demo admin: every settings page with
// axe and a screenshot (settings-NN-*), a refused value named in the error summary with what
// was typed kept, automatic log-off saved, an API key created, used against the API and
// revoked (then refused), and a care team created with a member added.
import { expect, test, type Page } from "@playwright/test";
import { ADMIN, api, expectAccessible, screenshot, signInConsole } from "./support";

test.describe.configure({ mode: "serial" });

async function open(page: Page, nav: string, heading: string) {
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: nav, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
  // The page's content, past its skeleton.
  await expect(page.locator(".skeleton")).toHaveCount(0);
}

test("a practice admin sets log-off, API keys, care teams, refills, reminders and scheduling rules", async ({ page, request }, testInfo) => {
  test.setTimeout(120_000);
  await signInConsole(page, "lakeside", ADMIN);

  // Automatic log-off: a value out of range is named at the top, and kept in its field.
  await open(page, "Log-off", "Automatic log-off");
  await expectAccessible(page, testInfo, "settings-log-off");
  await screenshot(page, "settings-01-log-off");
  const staffMinutes = page.getByLabel("Staff are signed out after (minutes)");
  await staffMinutes.fill("3");
  await page.getByRole("button", { name: "Save automatic log-off" }).dblclick();
  const summary = page.locator(".error-summary");
  await expect(summary).toContainText("There is a problem");
  await expect(summary.getByRole("link", { name: /Staff are signed out after: .*5 to 720/ })).toBeVisible();
  await expect(staffMinutes).toHaveValue("3");
  await expect(staffMinutes).toHaveAttribute("aria-invalid", "true");
  await screenshot(page, "settings-02-log-off-error");
  await expectAccessible(page, testInfo, "settings-log-off-error");
  // The summary's link takes the keyboard to the field.
  await summary.getByRole("link", { name: /Staff are signed out after/ }).click();
  await expect(staffMinutes).toBeFocused();
  await staffMinutes.fill("20");
  await page.getByRole("button", { name: "Save automatic log-off" }).dblclick();
  await expect(page.getByRole("status").filter({ hasText: "Staff are signed out after 20 minutes" })).toBeVisible();
  await expect(summary).toHaveCount(0);
  await page.reload();
  await expect(page.getByLabel("Staff are signed out after (minutes)")).toHaveValue("20");

  // API keys: created, shown once, working, then revoked and refused.
  await open(page, "API keys", "API keys");
  await expectAccessible(page, testInfo, "settings-api-keys");
  await screenshot(page, "settings-03-api-keys");
  await page.getByRole("button", { name: "Create key" }).click();
  await expect(page.locator(".error-summary")).toContainText("Enter a name");
  await page.getByLabel("Name", { exact: true }).fill("Lab results import");
  await page.getByRole("button", { name: "Create key" }).dblclick();
  const panel = page.getByRole("region", { name: "Your new key for Lab results import" });
  await expect(panel).toContainText("it will not be shown again");
  await expect(panel.getByRole("heading", { name: "Your new key for Lab results import" })).toBeFocused();
  const secret = (await panel.locator("code").textContent())!.trim();
  expect(secret.length).toBeGreaterThan(16);
  await expect(page.getByRole("row", { name: /Lab results import/ })).toHaveCount(1);
  await screenshot(page, "settings-04-api-key-created");
  await expectAccessible(page, testInfo, "settings-api-key-created");
  const providers = await api<{ providers: { id: string }[] }>(request, "lakeside", "{ providers { id } }", {}, secret);
  expect(providers.providers.length).toBeGreaterThan(0);
  await page.getByRole("button", { name: "I have saved it, hide it" }).click();
  await expect(panel).toHaveCount(0);
  await page.getByRole("button", { name: "Revoke Lab results import" }).click();
  const dialog = page.getByRole("alertdialog", { name: "Revoke Lab results import?" });
  await expect(dialog).toBeVisible();
  await expectAccessible(page, testInfo, "settings-api-key-revoke");
  await screenshot(page, "settings-05-api-key-revoke");
  await dialog.getByRole("button", { name: "Revoke key" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Lab results import is revoked" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Lab results import is revoked" })).toBeFocused();
  await expect(page.getByRole("row", { name: /Lab results import/ })).toContainText("Revoked");
  // Its use was recorded: "Last used" no longer says never.
  await expect(page.getByRole("row", { name: /Lab results import/ })).not.toContainText("Never");
  await expect(api(request, "lakeside", "{ providers { id } }", {}, secret)).rejects.toThrow();

  // Messaging: a care team created (a double click creates one) and a member added.
  await open(page, "Messaging", "Messaging");
  await expectAccessible(page, testInfo, "settings-messaging");
  await page.getByLabel("Team name").fill("Travel clinic");
  await page.getByLabel("Kind of team").selectOption("NURSE_LINE");
  await page.getByRole("button", { name: "Create team" }).dblclick();
  await expect(page.getByRole("status").filter({ hasText: "Travel clinic is created" })).toBeVisible();
  await expect(page.getByRole("heading", { level: 3, name: /Travel clinic/ })).toHaveCount(1);
  const adding = page.getByLabel("Add to Travel clinic");
  await adding.selectOption({ index: 1 });
  const who = (await adding.locator("option:checked").textContent())!.trim();
  await page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: /Travel clinic/ }) }).getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: `${who} is added to Travel clinic` })).toBeVisible();
  await expect(page.getByRole("list", { name: "Members of Travel clinic" }).getByRole("listitem")).toHaveText([new RegExp(who)]);
  await screenshot(page, "settings-06-messaging-member-added");
  // The same name again is refused, named in the summary, and the form keeps it.
  await page.getByLabel("Team name").fill("Travel clinic");
  await page.getByRole("button", { name: "Create team" }).click();
  await expect(page.locator(".error-summary").getByRole("link", { name: /Team name: Another team already has this name/ })).toBeVisible();
  await expect(page.getByLabel("Team name")).toHaveValue("Travel clinic");
  await screenshot(page, "settings-07-messaging-name-taken");
  await expectAccessible(page, testInfo, "settings-messaging-done");
  await page.getByLabel("Answer messages within (hours)").fill("12");
  await page.getByRole("button", { name: "Save response time" }).click();
  await expect(page.getByRole("status").filter({ hasText: "longer than 12 hours shows as overdue" })).toBeVisible();

  // Refill rules: the turnaround and the new team as the fallback.
  await open(page, "Refill rules", "Refill rules");
  await expectAccessible(page, testInfo, "settings-refills");
  await page.getByLabel("Decide requests within (hours)").fill("72");
  await page.getByLabel("Care team for refills (optional)").selectOption({ label: "Travel clinic" });
  await page.getByRole("button", { name: "Save refill rules" }).click();
  await expect(page.getByRole("status").filter({ hasText: "overdue after 72 hours (3 days); they fall back to Travel clinic" })).toBeVisible();
  const covering = page.getByLabel(/^Covering for /).first();
  await covering.selectOption({ index: 1 });
  await expect(page.getByRole("status").filter({ hasText: "takes their refill requests" })).toBeVisible();
  await screenshot(page, "settings-08-refill-rules");

  // Reminders: a fourth reminder added; quiet hours saved.
  await open(page, "Reminders", "Reminders and notifications");
  await expectAccessible(page, testInfo, "settings-reminders");
  await page.getByRole("button", { name: "Add a reminder" }).click();
  await page.getByLabel("Reminder 4: how many").fill("7");
  await page.getByLabel("Reminder 4: minutes, hours or days").selectOption("days");
  await page.getByRole("button", { name: "Save reminders" }).click();
  await expect(page.getByRole("status").filter({ hasText: /7 days, 3 days, 1 day,? and 2 hours before/ })).toBeVisible();
  await page.getByLabel("Quiet from").fill("20:30");
  await page.getByRole("button", { name: "Save quiet hours" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Text messages wait from" })).toBeVisible();
  await screenshot(page, "settings-09-reminders");
  await expectAccessible(page, testInfo, "settings-reminders-saved");

  // Scheduling rules.
  await open(page, "Scheduling rules", "Scheduling rules");
  await expectAccessible(page, testInfo, "settings-scheduling");
  await page.getByLabel("Cancellation window (hours before the visit)").fill("48");
  await page.getByRole("button", { name: "Save scheduling rules" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Within 48 hours (2 days) of a visit" })).toBeVisible();
  await screenshot(page, "settings-10-scheduling-rules");

  // The checklist links care teams to Messaging.
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Set-up" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Set up your practice" })).toBeVisible();
  await page.getByRole("link", { name: "Create care-team pools for messages" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Messaging" })).toBeVisible();
});
