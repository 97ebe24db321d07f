// Secure messaging: a patient writes to the front desk with a PDF (the upload's progress shown,
// the file listed), the front desk answers through the API and the answer appears live on the
// open conversation; the list marks what is unread in words; a refused file says why and
// keeps what was typed. axe on every page in English and Spanish; screenshots at 360 and 1280 px.
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { PASSWORD, PATIENT, api, emailContaining, expectAccessible, patientToken, portalUrl, screenshot, signInPortal, staffToken } from "./support";

test.describe.configure({ mode: "serial" });

const PHONE = { width: 360, height: 780 };
const DESKTOP = { width: 1280, height: 860 };

/** A tiny but well-formed PDF. */
function tinyPdf(): Buffer {
  return Buffer.from("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n");
}

async function staffReply(request: APIRequestContext, token: string, threadId: string, body: string): Promise<void> {
  const data = await api<{ postMessage: { userErrors: { code: string }[] } }>(
    request,
    "lakeside",
    `mutation($i: PostMessageInput!) { postMessage(input: $i) { message { id } userErrors { code } } }`,
    { i: { threadId, body } },
    token,
  );
  expect(data.postMessage.userErrors).toEqual([]);
}

/** Resolves once the page has asked the server for live updates matching `needle`. */
function subscribed(page: Page, needle: (payload: string) => boolean): Promise<void> {
  return new Promise((resolve) => {
    page.on("websocket", (ws) => {
      ws.on("framesent", (frame) => {
        const payload = typeof frame.payload === "string" ? frame.payload : frame.payload.toString();
        if (payload.includes('"subscribe"') && needle(payload)) resolve();
      });
    });
  });
}

async function noSidewaysScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

test("a patient writes to the front desk with a PDF, and the answer arrives live", async ({ browser, request }, testInfo) => {
  const context = await browser.newContext({ viewport: PHONE, locale: "en-US" });
  const page = await context.newPage();
  const listSubscribed = subscribed(page, (p) => p.includes("threadUpdates") && p.includes('"threadId":null'));
  await signInPortal(page, PATIENT, PASSWORD, "/messages");

  // The list: the demo's conversation with the nurse line, and a way to write.
  await expect(page.getByRole("heading", { level: 1, name: "Messages" })).toBeVisible();
  const list = page.getByRole("list", { name: /^(Your conversations|Sus conversaciones)$/ });
  await expect(list.getByRole("link", { name: /Timing of my blood pressure tablet/ })).toBeVisible();
  await expect(list.getByText("With Nurse line · A health question")).toBeVisible();
  await noSidewaysScroll(page);
  await expectAccessible(page, testInfo, "messages-list-en");
  await screenshot(page, "messages-list-360-en");

  // Writing: nothing chosen yet, the summary says what is missing.
  await page.getByRole("link", { name: "Write a new message" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Write a new message" })).toBeVisible();
  await expectAccessible(page, testInfo, "messages-new-en");
  await page.getByRole("button", { name: "Send message" }).click();
  const summary = page.getByRole("alert").filter({ hasText: "There is a problem" });
  await expect(summary).toContainText("Choose who to write to.");
  await expect(summary).toContainText("Write a subject.");
  await expect(summary).toContainText("Write your message.");
  await expectAccessible(page, testInfo, "messages-new-errors-en");
  await screenshot(page, "messages-new-errors-360-en");

  const subject = `Insurance card ${Date.now()}`;
  await page.getByRole("radio", { name: /Front desk/ }).check();
  await page.getByLabel("What is it about?").selectOption({ label: "A visit or appointment" });
  await page.getByLabel("Subject").fill(subject);
  await page.getByLabel("Your message").fill("Here is my new insurance card for my next visit.");

  // The upload's answer is held back a moment, so the progress bar can be seen.
  let release: () => void = () => {};
  const held = new Promise<void>((r) => (release = r));
  await page.route("**/graphql", async (route) => {
    if ((route.request().headers()["content-type"] ?? "").startsWith("multipart/form-data")) await held;
    await route.continue();
  });
  await page.getByLabel("Add photos or PDFs (optional)").setInputFiles({ name: "insurance-card.pdf", mimeType: "application/pdf", buffer: tinyPdf() });
  const files = page.getByRole("list", { name: "Files to send" });
  await expect(files.getByRole("progressbar")).toBeVisible();
  await expect(files).toContainText("insurance-card.pdf");
  await expect(files).toContainText(/Uploading: \d+%/);
  await screenshot(page, "messages-new-uploading-360-en");
  release();
  await expect(files).toContainText("Ready to send (1 KB)");
  await expect(files.getByRole("progressbar")).toHaveCount(0);
  await expect(files.getByRole("button", { name: "Remove insurance-card.pdf" })).toBeVisible();
  await page.unroute("**/graphql");
  await noSidewaysScroll(page);
  await expectAccessible(page, testInfo, "messages-new-filled-en");
  await screenshot(page, "messages-new-filled-360-en");

  // Sent: the conversation opens with the message and its file.
  const threadSubscribed = subscribed(page, (p) => p.includes("threadUpdates") && !p.includes('"threadId":null'));
  await page.getByRole("button", { name: "Send message" }).click();
  await expect(page.getByRole("heading", { level: 1, name: subject })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Your message was sent." })).toBeVisible();
  const messages = page.getByRole("list", { name: /^(Messages, oldest first|Mensajes, del más antiguo al más reciente)$/ });
  await expect(messages.getByText("Here is my new insurance card for my next visit.")).toBeVisible();
  const link = messages.getByRole("link", { name: "Download insurance-card.pdf" });
  await expect(link).toBeVisible();
  const threadId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);

  // The link downloads the file.
  const href = await link.getAttribute("href");
  const file = await page.request.get(new URL(href!, page.url()).toString());
  expect(file.status()).toBe(200);
  expect((await file.body()).subarray(0, 5).toString()).toBe("%PDF-");

  // The front desk answers while the page is open: it appears without a reload, announced.
  await threadSubscribed;
  await page.waitForTimeout(300);
  const token = await staffToken(request);
  await staffReply(request, token, threadId, "Thank you, we have added your new card.");
  await expect(messages.getByText("Thank you, we have added your new card.")).toBeVisible({ timeout: 15_000 });
  await expect(page.locator("[aria-live=polite]").filter({ hasText: /^New message from .+\.$/ })).toHaveCount(1);
  await expect(messages.locator(":scope > li")).toHaveCount(2);
  await expect(messages.locator(":scope > li").last()).toContainText("Care team");
  await noSidewaysScroll(page);
  await expectAccessible(page, testInfo, "messages-thread-en");
  await screenshot(page, "messages-thread-360-en");

  // Opened, it was read; a later answer marks it New on the list, live, until it is opened.
  await page.getByRole("link", { name: "Back to all messages" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Messages" })).toBeVisible();
  const row = list.getByRole("listitem").filter({ hasText: subject });
  await expect(row.getByRole("link")).toHaveAccessibleName(subject);
  await expect(row).not.toContainText("New");
  await listSubscribed;
  await page.waitForTimeout(300);
  await staffReply(request, token, threadId, "One more thing: bring the card to your visit too.");
  await expect(row.getByRole("link")).toHaveAccessibleName(`New ${subject}`, { timeout: 15_000 });
  await expect(row.locator(".thread-subject")).toHaveCSS("font-weight", "700");
  await expect(list.getByRole("listitem").first()).toContainText(subject);
  await expect(page.getByText("1 conversation has something new.")).toBeVisible();
  await expectAccessible(page, testInfo, "messages-list-unread-en");
  await screenshot(page, "messages-list-unread-360-en");

  // Spanish: the list, the conversation and the form.
  await page.getByLabel("Language").selectOption("es");
  await expect(page.getByRole("heading", { level: 1, name: "Mensajes" })).toBeVisible();
  await expect(row.getByRole("link")).toHaveAccessibleName(`Nuevo ${subject}`);
  await expectAccessible(page, testInfo, "messages-list-es");
  await screenshot(page, "messages-list-360-es");
  await row.getByRole("link").click();
  await expect(page.getByRole("heading", { level: 1, name: subject })).toBeVisible();
  await expect(page.getByText("One more thing: bring the card to your visit too.")).toBeVisible();
  await expect(page.getByRole("link", { name: "Descargar insurance-card.pdf" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Responder" })).toBeVisible();
  await noSidewaysScroll(page);
  await expectAccessible(page, testInfo, "messages-thread-es");
  await screenshot(page, "messages-thread-360-es");

  // The patient replies; a failed send keeps the text (the network is cut for one try).
  await page.route("**/graphql", (route) => route.abort());
  await page.getByLabel("Su respuesta").fill("Gracias, la llevaré.");
  await page.getByRole("button", { name: "Enviar respuesta" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "No pudimos conectar con el portal" })).toBeVisible();
  await expect(page.getByLabel("Su respuesta")).toHaveValue("Gracias, la llevaré.");
  await expectAccessible(page, testInfo, "messages-thread-send-failed-es");
  await page.unroute("**/graphql");
  await page.getByRole("button", { name: "Enviar respuesta" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Su mensaje se envió." })).toBeVisible();
  await expect(messages.getByText("Gracias, la llevaré.")).toBeVisible();
  await expect(page.getByLabel("Su respuesta")).toHaveValue("");

  await page.getByRole("link", { name: "Volver a todos los mensajes" }).click();
  await expect(row.getByRole("link")).toHaveAccessibleName(subject);
  await page.getByRole("link", { name: "Escribir un mensaje nuevo" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Escribir un mensaje nuevo" })).toBeVisible();
  await expectAccessible(page, testInfo, "messages-new-es");
  await screenshot(page, "messages-new-360-es");

  // Desktop.
  await page.setViewportSize(DESKTOP);
  await screenshot(page, "messages-new-1280-es");
  await page.getByLabel("Idioma").selectOption("en");
  await expect(page.getByRole("heading", { level: 1, name: "Write a new message" })).toBeVisible();
  await screenshot(page, "messages-new-1280-en");
  await page.getByRole("link", { name: "Back to all messages" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Messages" })).toBeVisible();
  await screenshot(page, "messages-list-1280-en");
  await row.getByRole("link").click();
  await expect(page.getByRole("heading", { level: 1, name: subject })).toBeVisible();
  await expectAccessible(page, testInfo, "messages-thread-1280-en");
  await screenshot(page, "messages-thread-1280-en");
  await context.close();

  // The email about the answer links to the conversation by its bare id; signed out, the
  // link leads through sign-in straight to it.
  const uuid = Buffer.from(threadId, "base64url").toString("utf8").split(":")[1]!;
  await expect.poll(() => {
    try {
      return emailContaining(`/messages/${uuid}`).length > 0;
    } catch {
      return false;
    }
  }, { timeout: 20_000 }).toBe(true);
  const fromEmail = await browser.newContext({ viewport: PHONE, locale: "en-US" });
  const emailPage = await fromEmail.newPage();
  await signInPortal(emailPage, PATIENT, PASSWORD, `/messages/${uuid}`);
  await expect(emailPage.getByRole("heading", { level: 1, name: subject })).toBeVisible();
  await expect(emailPage.getByText("One more thing: bring the card to your visit too.")).toBeVisible();
  await fromEmail.close();
});

test("a file the practice cannot take says why, and what was typed stays", async ({ browser }, testInfo) => {
  const context = await browser.newContext({ viewport: PHONE, locale: "en-US" });
  const page = await context.newPage();
  await signInPortal(page, PATIENT, PASSWORD, "/messages/new");
  // The language chosen in the first journey was saved: back to English for this one.
  const idioma = page.getByLabel("Idioma");
  if (await idioma.count()) await idioma.selectOption("en");
  await expect(page.getByRole("heading", { level: 1, name: "Write a new message" })).toBeVisible();

  await page.getByRole("radio", { name: /Billing/ }).check();
  await page.getByLabel("What is it about?").selectOption({ label: "A bill or payment" });
  await page.getByLabel("Subject").fill("My last bill");
  await page.getByLabel("Your message").fill("I think I was charged twice.");
  const input = page.getByLabel("Add photos or PDFs (optional)");
  const files = page.getByRole("list", { name: /^(Files to send|Archivos para enviar)$/ });

  // A program: refused before it is sent.
  await input.setInputFiles({ name: "setup.exe", mimeType: "application/x-msdownload", buffer: Buffer.from("MZ\u0090\u0000 not a document") });
  await expect(files.getByRole("listitem").filter({ hasText: "setup.exe" })).toContainText("Not added. We can only take photos (JPEG or PNG) and PDF files.");
  // Text dressed up as a PDF: the server looks at the content and refuses it.
  await input.setInputFiles({ name: "bill.pdf", mimeType: "application/pdf", buffer: Buffer.from("plain text, not a PDF") });
  await expect(files.getByRole("listitem").filter({ hasText: "bill.pdf" })).toContainText("Not added. We can only take photos (JPEG or PNG) and PDF files.");
  await expect(page.getByLabel("Subject")).toHaveValue("My last bill");
  await expect(page.getByLabel("Your message")).toHaveValue("I think I was charged twice.");
  await expect(page.getByRole("radio", { name: /Billing/ })).toBeChecked();

  // Sending with a refused file listed: the summary says what to do, nothing is lost.
  await page.getByRole("button", { name: "Send message" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "There is a problem" })).toContainText("Remove the file we could not take, then send.");
  await expect(page.getByLabel("Subject")).toHaveValue("My last bill");
  await noSidewaysScroll(page);
  await expectAccessible(page, testInfo, "messages-refused-en");
  await screenshot(page, "messages-refused-360-en");

  await page.getByLabel("Language").selectOption("es");
  await expect(files.getByRole("listitem").filter({ hasText: "bill.pdf" })).toContainText("No se agregó. Solo podemos aceptar fotos (JPEG o PNG) y archivos PDF.");
  await expect(page.getByRole("alert").filter({ hasText: "Hay un problema" })).toContainText("Quite el archivo que no pudimos aceptar y luego envíe.");
  await expect(page.getByLabel("Asunto")).toHaveValue("My last bill");
  await expectAccessible(page, testInfo, "messages-refused-es");
  await screenshot(page, "messages-refused-360-es");

  // Removed, the message goes.
  await page.getByRole("button", { name: "Quitar setup.exe" }).click();
  await page.getByRole("button", { name: "Quitar bill.pdf" }).click();
  await expect(page.getByRole("list", { name: "Archivos para enviar" })).toHaveCount(0);
  await page.getByRole("button", { name: "Enviar mensaje" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "My last bill" })).toBeVisible();
  await expect(page.getByText("I think I was charged twice.")).toBeVisible();

  // A conversation that is not there (or not theirs) says so, in both languages.
  await page.goto(portalUrl("/messages/00000000-0000-4000-8000-000000000000"));
  await expect(page.getByRole("heading", { level: 1, name: "No encontramos esta conversación" })).toBeVisible();
  await expectAccessible(page, testInfo, "messages-thread-missing-es");
  await page.getByLabel("Idioma").selectOption("en");
  await expect(page.getByRole("heading", { level: 1, name: "We cannot find this conversation" })).toBeVisible();
  await expectAccessible(page, testInfo, "messages-thread-missing-en");
  await context.close();
});

/** A second portal account at the practice: registered by the front desk, then activated. */
async function caregiver(request: APIRequestContext): Promise<{ email: string; token: string }> {
  const staff = await staffToken(request);
  const email = `jordan.lee.${Date.now()}@example.com`;
  const created = await api<{ createPatient: { patient: { id: string } } }>(
    request,
    "lakeside",
    `mutation($i: CreatePatientInput!) { createPatient(input: $i) { patient { id } userErrors { code } } }`,
    { i: { givenName: "Jordan", familyName: "Lee", birthDate: "1980-06-15", gender: "other", email } },
    staff,
  );
  const issued = await api<{ issueActivationCode: { code: string } }>(
    request,
    "lakeside",
    `mutation($i: IssueActivationCodeInput!) { issueActivationCode(input: $i) { code userErrors { code } } }`,
    { i: { patientId: created.createPatient.patient.id } },
    staff,
  );
  const activated = await api<{ activatePatientAccount: { session: { accessToken: string } } }>(
    request,
    "lakeside",
    `mutation($i: ActivatePatientAccountInput!) { activatePatientAccount(input: $i) { session { accessToken } userErrors { code } } }`,
    { i: { code: issued.issueActivationCode.code, birthDate: "1980-06-15", email, password: PASSWORD } },
  );
  return { email, token: activated.activatePatientAccount.session.accessToken };
}

async function share(request: APIRequestContext, email: string, scopes: string[]): Promise<string> {
  const avery = await patientToken(request);
  const me = await api<{ me: { charts: { relationship: string; patient: { id: string } }[] } }>(
    request,
    "lakeside",
    `{ me { charts { relationship patient { id } } } }`,
    {},
    avery,
  );
  const patientId = me.me.charts.find((c) => c.relationship === "self")!.patient.id;
  const granted = await api<{ grantProxyAccess: { grant: { id: string } } }>(
    request,
    "lakeside",
    `mutation($i: GrantProxyAccessInput!) { grantProxyAccess(input: $i) { grant { id } userErrors { code } } }`,
    { i: { patientId, granteeEmail: email, scopes } },
    avery,
  );
  return granted.grantProxyAccess.grant.id;
}

test("a caregiver writes for the patient only when messages are shared with them", async ({ browser, request }, testInfo) => {
  const jordan = await caregiver(request);
  const readOnly = await share(request, jordan.email, ["READ"]);
  const context = await browser.newContext({ viewport: PHONE, locale: "en-US" });
  const page = await context.newPage();
  await signInPortal(page, jordan.email, PASSWORD, "/messages");
  await expect(page.getByRole("heading", { level: 1, name: "Messages" })).toBeVisible();
  // Their own messages first: none yet, and how to start.
  await expect(page.getByRole("heading", { name: "No messages yet" })).toBeVisible();
  await expectAccessible(page, testInfo, "messages-empty-en");
  await screenshot(page, "messages-empty-360-en");

  // Avery's records, shared to read only: no messages, and why.
  await page.getByLabel("Whose records").selectOption({ label: "Avery Stone" });
  await expect(page.getByText("You cannot read or send messages for Avery.")).toBeVisible();
  await expect(page.getByRole("link", { name: "Write a new message" })).toHaveCount(0);
  await expectAccessible(page, testInfo, "messages-proxy-read-only-en");
  await screenshot(page, "messages-proxy-read-only-360-en");
  await page.getByLabel("Language").selectOption("es");
  await expect(page.getByText("Usted no puede leer ni enviar mensajes de Avery.")).toBeVisible();
  await expectAccessible(page, testInfo, "messages-proxy-read-only-es");
  await page.getByLabel("Idioma").selectOption("en");

  // Messages shared too: Jordan writes for Avery, as a caregiver.
  await api(request, "lakeside", `mutation($i: RevokeProxyAccessInput!) { revokeProxyAccess(input: $i) { grant { id } } }`, { i: { id: readOnly } }, await patientToken(request));
  await share(request, jordan.email, ["READ", "MESSAGE"]);
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Messages" })).toBeVisible();
  await expect(page.getByText("You are looking at Avery's records.")).toBeVisible();
  await expect(page.getByText("Messages with the care team about Avery.")).toBeVisible();
  await page.getByRole("link", { name: "Write a new message" }).click();
  await expect(page.getByText("You are writing about Avery.", { exact: false })).toBeVisible();
  await page.getByRole("radio", { name: /Nurse line/ }).check();
  await page.getByLabel("What is it about?").selectOption({ label: "A medicine or prescription" });
  await page.getByLabel("Subject").fill("Avery's new tablets");
  await page.getByLabel("Your message").fill("Should Avery take these with food?");
  await page.getByRole("button", { name: "Send message" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Avery's new tablets" })).toBeVisible();
  await expect(page.getByRole("list", { name: "Messages, oldest first" }).locator(":scope > li").first()).toContainText("Caregiver");
  await expectAccessible(page, testInfo, "messages-proxy-thread-en");
  await screenshot(page, "messages-proxy-thread-360-en");

  // A reply with a photo of the box.
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
  await page.getByLabel("Your reply").fill("Here is the box.");
  await page.getByLabel("Add photos or PDFs (optional)").setInputFiles({ name: "box.png", mimeType: "image/png", buffer: png });
  await expect(page.getByRole("list", { name: "Files to send" })).toContainText("Ready to send");
  await page.getByRole("button", { name: "Send reply" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Your message was sent." })).toBeVisible();
  const thread = page.getByRole("list", { name: "Messages, oldest first" });
  await expect(thread.getByRole("link", { name: "Download box.png" })).toBeVisible();
  await expect(thread.locator(":scope > li").last()).toContainText("Photo, 1 KB");
  await expect(page.getByRole("list", { name: "Files to send" })).toHaveCount(0);
  await context.close();
});
