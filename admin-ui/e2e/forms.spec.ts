// Check-in forms on the chart: Avery sends the demo check-in form that came with her
// follow-up (through the API, as the portal does), and the front desk reads her answers under
// "Forms" on her chart, each question above its answer. axe on the chart.
import { expect, test } from "@playwright/test";
import { api, expectAccessible, FRONT_DESK, patientToken, screenshot, signInConsole } from "./support";

test("the front desk reads Avery's check-in answers on her chart", async ({ page, request }, testInfo) => {
  test.setTimeout(120_000);
  const token = await patientToken(request);
  const me = await api<{ me: { charts: { relationship: string; patient: { id: string } }[] } }>(
    request,
    "lakeside",
    "{ me { charts { relationship patient { id } } } }",
    {},
    token,
  );
  const chart = me.me.charts.find((c) => c.relationship === "self")!.patient.id;
  const listed = await api<{ formRequests: { id: string; status: string }[] }>(
    request,
    "lakeside",
    "query($p: ID!) { formRequests(patientId: $p) { id status } }",
    { p: chart },
    token,
  );
  const open = listed.formRequests.find((r) => r.status === "PENDING" || r.status === "IN_PROGRESS");
  expect(open).toBeTruthy();
  const sent = await api<{ saveFormAnswers: { formRequest: { status: string } | null; userErrors: { code: string }[] } }>(
    request,
    "lakeside",
    `mutation($input: SaveFormAnswersInput!) { saveFormAnswers(input: $input) { formRequest { status } userErrors { code } } }`,
    {
      input: {
        id: open!.id,
        submit: true,
        answers: [
          { linkId: "allergies-changed", value: "true" },
          { linkId: "allergies-new", value: "Penicillin" },
          { linkId: "pain", value: "Moderate" },
        ],
      },
    },
    token,
  );
  expect(sent.saveFormAnswers.userErrors).toEqual([]);
  expect(sent.saveFormAnswers.formRequest?.status).toBe("COMPLETED");

  await signInConsole(page, "lakeside", FRONT_DESK);
  await page.getByRole("link", { name: "Patients", exact: true }).click();
  await page.getByLabel("Find a patient").fill("Avery Stone");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByRole("link", { name: "Stone, Avery" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Avery Stone" })).toBeVisible();
  const forms = page.getByRole("region", { name: "Forms" });
  const form = forms.getByRole("article", { name: /Check-in questionnaire/ });
  await expect(form).toContainText("Sent on");
  await expect(form.getByRole("definition").filter({ hasText: "Penicillin" })).toBeVisible();
  await expect(form).toContainText("Have your allergies changed since your last visit?");
  await expect(form).toContainText("Moderate");
  await form.scrollIntoViewIfNeeded();
  await screenshot(page, "forms-chart-answers");
  await expectAccessible(page, testInfo, "forms-chart");
});
