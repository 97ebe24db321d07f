// The education library, as the demo practice's admin: the demo's resources are listed with
// their codes; a resource with a bad LOINC code is refused with the field named and nothing
// added; corrected, it is added and listed. The front desk sends one with a reply, and the
// patient gets it as a card. axe on each page; education-NN screenshots.
import { expect, test } from "@playwright/test";
import { ADMIN, FRONT_DESK, api, expectAccessible, patientToken, screenshot, signInConsole } from "./support";

test("the practice admin adds a resource to the education library", async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await signInConsole(page, "lakeside", ADMIN);
  await page.getByRole("navigation").getByRole("link", { name: "Education" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Education" })).toBeVisible();
  const table = page.getByRole("table", { name: "Education resources" });
  await expect(table.getByRole("row", { name: /Understanding high blood pressure/ })).toContainText("ICD-10 I10");
  await screenshot(page, "education-01-library");
  await expectAccessible(page, testInfo, "education-page");

  const title = `Your A1c result ${Date.now()}`;
  const form = page.getByRole("form", { name: "Add a resource" });
  await form.getByLabel("Title").fill(title);
  await form.getByLabel("Summary").fill("What the A1c test measures and the goal for most adults.");
  await form.getByLabel("Address").fill("https://medlineplus.gov/lab-tests/hemoglobin-a1c-hba1c-test/");
  await form.getByLabel("Codes").fill("loinc 4548-5");
  await form.getByRole("button", { name: "Add resource" }).click();
  // The check digit is wrong: refused, the field named, nothing added.
  const summary = page.getByRole("alert");
  await expect(summary).toContainText("Codes");
  await expect(summary).toContainText("Code 1 is not a LOINC code");
  await expect(table.getByRole("row", { name: new RegExp(title) })).toHaveCount(0);
  await screenshot(page, "education-02-refused");

  await form.getByLabel("Codes").fill("loinc 4548-4");
  await form.getByRole("button", { name: "Add resource" }).click();
  await expect(page.getByRole("status").filter({ hasText: `${title} is added to the library.` })).toBeVisible();
  await expect(table.getByRole("row", { name: new RegExp(title) })).toContainText("LOINC 4548-4");
  await screenshot(page, "education-03-added");
  await expectAccessible(page, testInfo, "education-page-added");
});

test("the front desk sends a resource from the library with a reply, and the patient gets it as a card", async ({ page, request }, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  const token = await patientToken(request);
  const me = await api<{ me: { charts: { relationship: string; patient: { id: string } }[] } }>(
    request,
    "lakeside",
    "{ me { charts { relationship patient { id } } } }",
    {},
    token,
  );
  const patientId = me.me.charts.find((c) => c.relationship === "self")!.patient.id;
  const pools = await api<{ careTeamPools: { id: string; name: string }[] }>(request, "lakeside", `{ careTeamPools { id name } }`, {}, token);
  const subject = `Blood pressure tips ${Date.now()}`;
  const started = await api<{ startThread: { thread: { id: string } } }>(
    request,
    "lakeside",
    `mutation($i: StartThreadInput!) { startThread(input: $i) { thread { id } userErrors { code } } }`,
    { i: { patientId, poolId: pools.careTeamPools[0]!.id, category: "OTHER", subject, body: "Is there something I can read about my blood pressure?" } },
    token,
  );

  await signInConsole(page, "lakeside", FRONT_DESK);
  await page.getByRole("link", { name: "Inbox" }).click();
  await page.getByRole("link", { name: subject }).click();
  await expect(page.getByRole("heading", { level: 1, name: subject })).toBeVisible();
  await page.getByLabel("Send a resource from the library (optional)").selectOption({ label: "Understanding high blood pressure (English)" });
  await page.getByLabel("Message to the patient").fill("Here is our guide.");
  await page.getByRole("button", { name: "Send reply" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Reply sent" })).toBeVisible();
  await expect(page.locator(".education-card").filter({ hasText: "Understanding high blood pressure" })).toBeVisible();
  await screenshot(page, "education-04-sent");
  await expectAccessible(page, testInfo, "education-thread");

  const seen = await api<{ messageThread: { messages: { body: string; educationResource: { title: string; kind: string } | null }[] } }>(
    request,
    "lakeside",
    `query($id: ID!) { messageThread(id: $id) { messages { body educationResource { title kind } } } }`,
    { id: started.startThread.thread.id },
    token,
  );
  const card = seen.messageThread.messages.find((m) => m.educationResource)?.educationResource;
  expect(card).toEqual({ title: "Understanding high blood pressure", kind: "article" });
});
