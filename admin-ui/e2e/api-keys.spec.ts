// API keys limited to what they may do, as Lakeside's practice admin: "Only what I choose"
// with nothing ticked refused at the field in words; a read-only key created, its secret read
// once, then used from a program (Node's fetch): a read answers, a change is FORBIDDEN; the
// table says "Read-only", a key with the role's whole access "Whole role". Screenshots:
// api-keys-NN-*.
import { expect, test } from "@playwright/test";
import { ADMIN, baseUrl, expectAccessible, screenshot, signInConsole } from "./support";

/** One GraphQL call as a program would make it, with the key as a bearer token. */
async function asProgram(secret: string, query: string): Promise<{ data?: unknown; errors?: { extensions?: { code?: string } }[] }> {
  const response = await fetch(`${baseUrl()}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Portico-Tenant": "lakeside", Authorization: `Bearer ${secret}` },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
}

const CREATE_PATIENT = `mutation { createPatient(input: { givenName: "Robin", familyName: "Keyes", birthDate: "1990-04-02", gender: "unknown" }) {
  patient { id } userErrors { code } } }`;

test("a practice admin creates a read-only key that reads and cannot change anything", async ({ page }, testInfo) => {
  await signInConsole(page, "lakeside", ADMIN);
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "API keys", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "API keys" })).toBeVisible();
  await expect(page.locator(".skeleton")).toHaveCount(0);

  const form = page.getByRole("form", { name: "Create a key" });
  const access = form.getByRole("group", { name: "What it may do" });
  // The role's whole access is the default, and the scopes stay hidden until asked for.
  await expect(access.getByRole("radio", { name: "Everything its role may do" })).toBeChecked();
  await expect(access.getByRole("checkbox")).toHaveCount(0);

  await form.getByLabel("Name", { exact: true }).fill("Monthly report export");
  await access.getByRole("radio", { name: "Only what I choose" }).check();
  await expect(access.getByRole("checkbox")).toHaveCount(3);
  await expectAccessible(page, testInfo, "api-keys-scopes");
  await screenshot(page, "api-keys-01-scopes");

  // Nothing ticked: the API refuses, and the page says so at the field, creating nothing.
  await form.getByRole("button", { name: "Create key" }).click();
  const refusal = "Tick at least one thing the key may do, or choose Everything its role may do.";
  await expect(page.locator(".error-summary").getByRole("link", { name: `What it may do: ${refusal}` })).toBeVisible();
  await expect(access.locator(".error-text")).toHaveText(refusal);
  await expect(page.getByRole("row", { name: /Monthly report export/ })).toHaveCount(0);
  await screenshot(page, "api-keys-02-scopes-refused");
  await expectAccessible(page, testInfo, "api-keys-scopes-refused");
  // The summary's link takes the keyboard to the first box.
  await page.locator(".error-summary").getByRole("link", { name: /What it may do/ }).click();
  await expect(access.getByRole("checkbox", { name: /Read-only/ })).toBeFocused();

  await access.getByRole("checkbox", { name: /Read-only/ }).check();
  await form.getByRole("button", { name: "Create key" }).click();
  const panel = page.getByRole("region", { name: "Your new key for Monthly report export" });
  await expect(panel).toContainText("it will not be shown again");
  const secret = (await panel.locator("code").textContent())!.trim();
  expect(secret.length).toBeGreaterThan(16);
  // The form is back to its default for the next key.
  await expect(access.getByRole("radio", { name: "Everything its role may do" })).toBeChecked();

  // From a program: a read answers; a change is refused.
  const read = await asProgram(secret, "{ patients { edges { node { id } } } }");
  expect(read.errors, JSON.stringify(read.errors)).toBeUndefined();
  expect((read.data as { patients: { edges: unknown[] } }).patients.edges.length).toBeGreaterThan(0);
  const change = await asProgram(secret, CREATE_PATIENT);
  expect(change.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");

  // A second key keeps the role's whole access.
  await form.getByLabel("Name", { exact: true }).fill("Lab interface");
  await form.getByRole("button", { name: "Create key" }).click();
  await expect(page.getByRole("region", { name: "Your new key for Lab interface" })).toBeVisible();
  await page.getByRole("button", { name: "I have saved it, hide it" }).click();

  const column = await page.getByRole("columnheader").allTextContents();
  const mayDo = column.findIndex((c) => c.trim() === "May do");
  expect(mayDo).toBeGreaterThan(0);
  await expect(page.getByRole("row", { name: /Monthly report export/ }).getByRole("cell").nth(mayDo - 1)).toHaveText("Read-only");
  await expect(page.getByRole("row", { name: /Lab interface/ }).getByRole("cell").nth(mayDo - 1)).toHaveText("Whole role");
  await expectAccessible(page, testInfo, "api-keys-table");
  await screenshot(page, "api-keys-03-table");
});
