// What every journey uses: the server's address, sign-in with a fresh TOTP code, calls to the
// API as a patient would make them, axe checks and screenshots kept as artifacts.
import { expect, type APIRequestContext, type Page, type TestInfo } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { TOTP, Secret } from "otpauth";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serverState } from "./server-state";

export const PASSWORD = "lakeside demo portal";
export const ADMIN = "admin@lakeside.example";
export const FRONT_DESK = "frontdesk@lakeside.example";
export const OPERATOR = "operator@portico.example";
export const PATIENT = "avery@lakeside.example";

export function baseUrl(host = "localhost"): string {
  return `http://${host}:${serverState().port}`;
}

/**
 * A code the server has not seen from this account yet (each step works once). The steps
 * used are kept in the run's directory, since Playwright starts a new worker after a failure.
 */
export async function freshCode(email: string): Promise<string> {
  const totp = new TOTP({ secret: Secret.fromBase32(serverState().totpSecret), digits: 6, period: 30, algorithm: "SHA1" });
  const file = join(serverState().dir, "totp-steps.json");
  const used = (existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {}) as Record<string, number>;
  let step = Math.floor(Date.now() / 30_000);
  if ((used[email] ?? -1) >= step) {
    step = used[email]! + 1;
    await new Promise((r) => setTimeout(r, Math.max(0, step * 30_000 - Date.now() + 250)));
  }
  used[email] = step;
  writeFileSync(file, JSON.stringify(used));
  return totp.generate({ timestamp: step * 30_000 + 1_000 });
}

export async function signInConsole(page: Page, practice: string, email: string): Promise<void> {
  await page.goto(`${baseUrl()}/console/`);
  await expect(page.getByRole("heading", { level: 1, name: "Sign in to the Portico console" })).toBeVisible();
  await page.getByLabel("Practice").fill(practice);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByLabel("Code from your app").fill(await freshCode(email));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("navigation", { name: "Console" })).toBeVisible();
}

/** One GraphQL call as an API client (bearer token, practice header), failing on errors. */
export async function api<T = Record<string, unknown>>(
  request: APIRequestContext,
  practice: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<T> {
  const response = await request.post(`${baseUrl()}/graphql`, {
    headers: { "X-Portico-Tenant": practice, ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    data: { query, variables },
  });
  const body = (await response.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  if (body.errors?.length) throw new Error(`GraphQL error: ${body.errors.map((e) => e.extensions?.code ?? e.message).join(", ")}`);
  return body.data as T;
}

export async function patientToken(request: APIRequestContext): Promise<string> {
  const data = await api<{ signIn: { session: { accessToken: string } } }>(
    request,
    "lakeside",
    `mutation($e: String!, $p: String!) { signIn(input: { email: $e, password: $p }) { session { accessToken } } }`,
    { e: PATIENT, p: PASSWORD },
  );
  return data.signIn.session.accessToken;
}

/** axe-core on the page as it stands: no serious or critical violation. */
export async function expectAccessible(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  await testInfo.attach(`axe-${name}.json`, { body: JSON.stringify(results.violations, null, 2), contentType: "application/json" });
  expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join("; ")})`), `axe on ${name}`).toEqual([]);
}

/** A screenshot kept as a test artifact (test-results/screenshots/). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
}

/** The newest email in the server's outbox that mentions `needle`, decoded from MIME. */
export function emailContaining(needle: string): string {
  const outbox = join(serverState().dir, "outbox");
  const mails = readdirSync(outbox)
    .filter((f) => f.endsWith(".eml"))
    .map((f) => decodeQuotedPrintable(readFileSync(join(outbox, f), "utf8")))
    .filter((m) => m.includes(needle));
  if (mails.length === 0) throw new Error(`no email mentions ${needle}`);
  return mails[mails.length - 1]!;
}

function decodeQuotedPrintable(text: string): string {
  return text.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}
