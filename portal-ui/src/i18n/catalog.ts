// Every string the portal shows, in English and Spanish (ICU message syntax: plurals, select).
// Each area keeps its own messages next to its pages; a Spanish catalog missing a key, or
// carrying one English lacks, does not compile.
import * as app from "../app/messages";
import * as errors from "../app/errorMessages";
import * as home from "../home/messages";
import * as booking from "../booking/messages";
import * as records from "../records/messages";
import * as messages from "../messages/messages";
import * as account from "../account/messages";
import * as passkeys from "../signin/messages";
import type { Locale } from "./locale";

export const en = {
  ...app.en,
  ...errors.en,
  ...home.en,
  ...booking.en,
  ...records.en,
  ...messages.en,
  ...account.en,
  ...passkeys.en,
};

export type MessageId = keyof typeof en;

export const es: Record<MessageId, string> = {
  ...app.es,
  ...errors.es,
  ...home.es,
  ...booking.es,
  ...records.es,
  ...messages.es,
  ...account.es,
  ...passkeys.es,
};

export const CATALOGS: Record<Locale, Record<MessageId, string>> = { en, es };
