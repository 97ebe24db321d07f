// The portal's Spanish words, one chunk loaded when the portal speaks Spanish.
import type { Catalog } from "./catalog";
import * as app from "../app/messages.es";
import * as errors from "../app/errorMessages.es";
import * as home from "../home/messages.es";
import * as booking from "../booking/messages.es";
import * as records from "../records/messages.es";
import * as readings from "../readings/messages.es";
import * as messages from "../messages/messages.es";
import * as account from "../account/messages.es";
import * as passkeys from "../signin/messages.es";
import * as feedback from "../feedback/messages.es";
import * as forms from "../forms/messages.es";
import * as education from "../education/messages.es";
import * as connect from "../connect/messages.es";

export const es: Catalog = {
  ...app.es,
  ...errors.es,
  ...home.es,
  ...booking.es,
  ...records.es,
  ...readings.es,
  ...messages.es,
  ...account.es,
  ...passkeys.es,
  ...feedback.es,
  ...forms.es,
  ...education.es,
  ...connect.es,
};
