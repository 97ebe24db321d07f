// The form builder, as the demo practice's admin: a new form with a yes/no question, a
// follow-up shown only after "Yes", and a required choice question saved first without its
// options (refused at that question, nothing saved), then with them; the saved definition
// is read back through the API; the form is attached to "Minor procedure" (and the list
// says so) and sent from a newly registered patient's chart, a past due date refused
// first; changed afterwards, it is saved as version 2 while the request sent keeps version
// 1; the front desk reads the list without the admin's controls. axe on the list, the
// editor and its refusal, and the chart's send control;
// screenshots at 1280 px and one at 800 px.
import { expect, test, type Page } from "@playwright/test";
import { ADMIN, FRONT_DESK, api, expectAccessible, screenshot, signInConsole } from "./support";

const TITLE = "Pre-procedure questionnaire";

interface SavedForm {
  id: string;
  title: string;
  version: number;
  status: string;
  url: string;
  items: {
    linkId: string;
    text: string;
    type: string;
    required: boolean;
    options: string[];
    enableWhen: { question: string; operator: string; value: string }[];
  }[];
}

/** The console's own access token, taken from its latest GraphQL call (no second sign-in). */
function tokenOf(page: Page): () => string {
  let token = "";
  page.on("request", (r) => {
    const auth = r.headers()["authorization"];
    if (r.url().includes("/graphql") && auth?.startsWith("Bearer ")) token = auth.slice("Bearer ".length);
  });
  return () => {
    expect(token, "the console sent an access token").not.toBe("");
    return token;
  };
}

test("the practice admin builds a form with a condition, attaches it to a visit type and sends it from a chart", async ({ page, request }, testInfo) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1280, height: 900 });
  const token = tokenOf(page);
  await signInConsole(page, "lakeside", ADMIN);
  const formsNamed = async () =>
    (await api<{ forms: { id: string; title: string }[] }>(request, "lakeside", "{ forms { id title } }", {}, token())).forms.filter((f) => f.title === TITLE);

  // A patient of this journey's own.
  await page.getByRole("navigation").getByRole("link", { name: "Patients" }).click();
  await page.getByRole("link", { name: "Register a patient" }).click();
  await page.getByLabel("Given name").fill("Tobias");
  await page.getByLabel("Family name").fill("Lindqvist");
  await page.getByLabel("Date of birth").fill("1968-05-14");
  await page.getByLabel("Sex").selectOption("male");
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Tobias Lindqvist is registered" })).toBeVisible();

  // The list: the demo's check-in form, attached to follow-ups.
  await page.getByRole("navigation").getByRole("link", { name: "Forms" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Forms" })).toBeVisible();
  const demoRow = page.getByRole("row", { name: /Check-in questionnaire/ });
  await expect(demoRow).toContainText("Active");
  await expect(demoRow).toContainText("Follow-up");
  await expectAccessible(page, testInfo, "forms-list");

  // A new form: three questions, the second shown only when the first is answered yes.
  await page.getByRole("link", { name: "New form" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "New form" })).toBeVisible();
  await page.getByLabel("Title", { exact: true }).fill(TITLE);
  await page.getByLabel("Status", { exact: true }).selectOption("ACTIVE");
  await page.getByRole("button", { name: "Add a question" }).click();
  const q1 = page.getByRole("group", { name: "Question 1" });
  await expect(q1.getByLabel("Question", { exact: true })).toBeFocused();
  await q1.getByLabel("Question", { exact: true }).fill("Do you take a blood thinner?");
  await q1.getByLabel("Answer type").selectOption({ label: "Yes or no" });
  await q1.getByLabel("Patients must answer it").check();

  await page.getByRole("button", { name: "Add a question" }).click();
  const q2 = page.getByRole("group", { name: "Question 2" });
  await q2.getByLabel("Question", { exact: true }).fill("Which blood thinner, and how much?");
  await q2.getByLabel("Answer type").selectOption({ label: "Long text (several lines)" });
  await q2.getByRole("button", { name: "Add a condition" }).click();
  await q2.getByLabel("Question it depends on").selectOption({ label: "1. Do you take a blood thinner?" });
  await q2.getByLabel("Its answer").selectOption({ label: "is" });
  await q2.getByLabel("Answer", { exact: true }).selectOption({ label: "Yes" });

  await page.getByRole("button", { name: "Add a question" }).click();
  const q3 = page.getByRole("group", { name: "Question 3" });
  await q3.getByLabel("Question", { exact: true }).fill("How do you feel about the procedure?");
  await q3.getByLabel("Answer type").selectOption({ label: "One of a list of options" });
  await q3.getByLabel("Patients must answer it").check();
  await expectAccessible(page, testInfo, "forms-editor");

  // A choice without options: refused at that question, everything typed kept, nothing saved.
  await page.getByRole("button", { name: "Save form" }).click();
  const summary = page.getByRole("alert").filter({ hasText: "There is a problem" });
  await expect(summary).toContainText("Question 3, options: Add the options patients choose from");
  await expect(q3.getByLabel("Options")).toHaveAttribute("aria-invalid", "true");
  await expect(q3).toContainText("Add the options patients choose from, one a line.");
  await expect(q1.getByLabel("Question", { exact: true })).toHaveValue("Do you take a blood thinner?");
  await expect(q2.getByLabel("Answer", { exact: true })).toHaveValue("true");
  expect(await formsNamed()).toEqual([]);
  await screenshot(page, "forms-builder-01-refused");
  await expectAccessible(page, testInfo, "forms-editor-refused");
  await expect(summary.getByRole("link", { name: /Question 3, options/ })).toHaveAttribute("href", "#field-item-q3-options");

  await q3.getByLabel("Options").fill("Calm\nA little nervous\nVery nervous\n");
  await page.getByRole("button", { name: "Save form" }).click();
  await expect(page.getByRole("heading", { level: 1, name: TITLE })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: `${TITLE} is saved and active` })).toBeVisible();
  await expect(page).toHaveURL(/\/console\/forms\/[^/]+$/);

  // The API holds what was built: the condition on the yes/no question, the required choice.
  const saved = await formsNamed();
  expect(saved).toHaveLength(1);
  const { form } = await api<{ form: SavedForm }>(
    request,
    "lakeside",
    `query($id: ID!) { form(id: $id) { id title version status url items { linkId text type required options enableWhen { question operator value } } } }`,
    { id: saved[0]!.id },
    token(),
  );
  expect(form.status).toBe("ACTIVE");
  expect(form.version).toBe(1);
  expect(form.items.map((i) => [i.type, i.required])).toEqual([
    ["BOOLEAN", true],
    ["TEXT", false],
    ["CHOICE", true],
  ]);
  expect(form.items[1]!.enableWhen).toEqual([{ question: form.items[0]!.linkId, operator: "EQUALS", value: "true" }]);
  expect(form.items[2]!.options).toEqual(["Calm", "A little nervous", "Very nervous"]);
  // Reopened, the editor shows the condition as it was chosen.
  await expect(page.getByRole("group", { name: "Question 2" }).getByLabel("Question it depends on")).toHaveValue(form.items[0]!.linkId);

  // Attached to "Minor procedure" (a visit type no other journey books).
  const attach = page.getByRole("group", { name: "Ask for this form when a patient books…" });
  await attach.getByLabel("Minor procedure").check();
  await expect(page.getByRole("status").filter({ hasText: `Patients booking Minor procedure are now asked for ${TITLE}` })).toBeVisible();
  const types = await api<{ appointmentTypes: { id: string; name: string }[] }>(request, "lakeside", "{ appointmentTypes(includeInactive: true) { id name } }", {}, token());
  const minor = types.appointmentTypes.find((t) => t.name === "Minor procedure")!;
  const attached = await api<{ appointmentTypeForms: { url: string }[] }>(
    request,
    "lakeside",
    "query($t: ID!) { appointmentTypeForms(appointmentTypeId: $t) { url } }",
    { t: minor.id },
    token(),
  );
  expect(attached.appointmentTypeForms.map((f) => f.url)).toContain(form.url);
  await page.reload();
  await expect(page.getByRole("group", { name: "Ask for this form when a patient books…" }).getByLabel("Minor procedure")).toBeChecked();
  await expect(page.getByRole("group", { name: "Ask for this form when a patient books…" }).getByLabel("Follow-up")).not.toBeChecked();
  await screenshot(page, "forms-builder-02-saved");
  await expectAccessible(page, testInfo, "forms-editor-saved");
  await page.setViewportSize({ width: 800, height: 900 });
  await screenshot(page, "forms-builder-03-editor-800");
  await page.setViewportSize({ width: 1280, height: 900 });

  // The list names the visit type that asks for it.
  await page.getByRole("link", { name: "All forms" }).click();
  const row = page.getByRole("row", { name: new RegExp(TITLE) });
  await expect(row).toContainText("Minor procedure");
  await expect(row).toContainText("Active");
  await expect(row).toContainText("3 questions");
  await screenshot(page, "forms-builder-04-list");
  await expectAccessible(page, testInfo, "forms-list-content");

  // Sent on its own from the patient's chart: a past due date is refused first.
  await page.getByRole("navigation").getByRole("link", { name: "Patients" }).click();
  await page.getByLabel("Find a patient").fill("Tobias Lindqvist");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByRole("link", { name: "Lindqvist, Tobias" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Tobias Lindqvist" })).toBeVisible();
  const patientId = decodeURIComponent(/\/patients\/([^/?#]+)/.exec(page.url())![1]!);
  const chartForms = page.getByRole("region", { name: "Forms" });
  await expect(chartForms).toContainText("No forms asked of this patient.");
  await chartForms.getByRole("button", { name: "Send a form" }).click();
  await chartForms.getByLabel("Form", { exact: true }).selectOption({ label: `${TITLE} (version 1)` });
  await chartForms.getByLabel("Due by (optional)").fill("2020-01-15");
  await chartForms.getByRole("button", { name: "Send form" }).click();
  await expect(chartForms.getByRole("alert").filter({ hasText: "There is a problem" })).toContainText("Due by: Choose a due date from today on");
  await expect(chartForms.getByLabel("Due by (optional)")).toHaveAttribute("aria-invalid", "true");
  await chartForms.scrollIntoViewIfNeeded();
  await screenshot(page, "forms-builder-05-send-refused");
  await expectAccessible(page, testInfo, "forms-send-refused");
  await chartForms.getByLabel("Due by (optional)").fill("");
  await chartForms.getByRole("button", { name: "Send form" }).click();
  await expect(chartForms.getByRole("status").filter({ hasText: `${TITLE} is sent` })).toBeVisible();
  const request1 = chartForms.getByRole("article", { name: new RegExp(TITLE) });
  await expect(request1).toContainText("Not started");
  const listed = await api<{ formRequests: { status: string; appointmentId: string | null; form: { title: string } }[] }>(
    request,
    "lakeside",
    "query($p: ID!) { formRequests(patientId: $p) { status appointmentId form { title } } }",
    { p: patientId },
    token(),
  );
  expect(listed.formRequests).toEqual([{ status: "PENDING", appointmentId: null, form: { title: TITLE } }]);
  await chartForms.scrollIntoViewIfNeeded();
  await screenshot(page, "forms-builder-06-sent");
  await expectAccessible(page, testInfo, "forms-sent");

  // Changed after a patient was asked: saved as version 2, still asked by the same visit
  // type; the request already sent keeps version 1's questions.
  await page.getByRole("navigation").getByRole("link", { name: "Forms" }).click();
  await page.getByRole("link", { name: TITLE, exact: true }).click();
  await page.getByRole("group", { name: "Question 3" }).getByLabel("Options").fill("Calm\nA little nervous\nVery nervous\nI would like to talk to someone");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status").filter({ hasText: `${TITLE} is saved as version 2` })).toBeVisible();
  await expect(page.locator(".form-facts")).toContainText("Version 2");
  await expect(page.getByRole("group", { name: "Ask for this form when a patient books…" }).getByLabel("Minor procedure")).toBeChecked();
  const versions = await api<{ forms: { title: string; version: number }[]; formRequests: { form: { version: number } }[] }>(
    request,
    "lakeside",
    "query($p: ID!) { forms { title version } formRequests(patientId: $p) { form { version } } }",
    { p: patientId },
    token(),
  );
  expect(versions.forms.filter((f) => f.title === TITLE).map((f) => f.version)).toEqual([2]);
  expect(versions.formRequests.map((r) => r.form.version)).toEqual([1]);
  await screenshot(page, "forms-builder-07-version-2");

  // The front desk reads the list (no building, no status changes).
  const deskContext = await page.context().browser()!.newContext({ viewport: { width: 1280, height: 900 } });
  const desk = await deskContext.newPage();
  await signInConsole(desk, "lakeside", FRONT_DESK);
  await desk.getByRole("navigation").getByRole("link", { name: "Forms" }).click();
  await expect(desk.getByRole("heading", { level: 1, name: "Forms" })).toBeVisible();
  const deskRow = desk.getByRole("row", { name: new RegExp(TITLE) });
  await expect(deskRow).toContainText("Minor procedure");
  await expect(deskRow).toContainText("2");
  await expect(desk.getByRole("link", { name: "New form" })).toHaveCount(0);
  await expect(desk.getByRole("button", { name: /^Retire/ })).toHaveCount(0);
  await expectAccessible(desk, testInfo, "forms-list-front-desk");
  await deskContext.close();
});
