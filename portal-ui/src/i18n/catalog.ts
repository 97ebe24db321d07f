// Every string the portal shows (ICU message syntax: plurals, select). Each area keeps its
// words next to its pages: English in `messages.ts`, in the first bundle; Spanish in
// `messages.es.ts`, merged in ./catalog.es.ts and loaded only when the portal speaks Spanish.
// A Spanish catalog missing a key, or carrying one English lacks, does not compile.
import * as app from "../app/messages";
import * as errors from "../app/errorMessages";
import * as home from "../home/messages";
import * as booking from "../booking/messages";
import * as records from "../records/messages";
import * as readings from "../readings/messages";
import * as messages from "../messages/messages";
import * as account from "../account/messages";
import * as passkeys from "../signin/messages";
import * as feedback from "../feedback/messages";
import * as forms from "../forms/messages";
import * as education from "../education/messages";
import * as connect from "../connect/messages";
import type { Locale } from "./locale";

export const en = {
  ...app.en,
  ...errors.en,
  ...home.en,
  ...booking.en,
  ...records.en,
  ...readings.en,
  ...messages.en,
  ...account.en,
  ...passkeys.en,
  ...feedback.en,
  ...forms.en,
  ...education.en,
  ...connect.en,
};

export type MessageId = keyof typeof en;

export type Catalog = Record<MessageId, string>;

/** The words of `locale`: English at once, Spanish from its own chunk. */
export async function loadCatalog(locale: Locale): Promise<Catalog> {
  if (locale === "en") return en;
  return (await import("./catalog.es")).es;
}
