// What the messages pages share: the categories in plain words, and what a caregiver without
// messaging sees.
import { useCallback } from "react";
import type { MessageCategory, PoolKind } from "@portico/client/gql/graphql";
import { usePortal } from "../app/portal";
import { useT } from "../i18n/I18n";

export const CATEGORIES: readonly MessageCategory[] = ["MEDICAL_QUESTION", "APPOINTMENT", "PRESCRIPTION", "TEST_RESULT", "BILLING", "OTHER"];

const CATEGORY_IDS = {
  MEDICAL_QUESTION: "messages.category.MEDICAL_QUESTION",
  APPOINTMENT: "messages.category.APPOINTMENT",
  PRESCRIPTION: "messages.category.PRESCRIPTION",
  TEST_RESULT: "messages.category.TEST_RESULT",
  BILLING: "messages.category.BILLING",
  OTHER: "messages.category.OTHER",
} as const satisfies Record<MessageCategory, string>;

export function useCategory(): (category: MessageCategory) => string {
  const t = useT();
  return useCallback((category: MessageCategory) => t(CATEGORY_IDS[category]), [t]);
}

const POOL_HINT_IDS = {
  FRONT_DESK: "messages.pool.FRONT_DESK",
  NURSE_LINE: "messages.pool.NURSE_LINE",
  BILLING: "messages.pool.BILLING",
  PROVIDER: "messages.pool.PROVIDER",
  OTHER: "messages.pool.OTHER",
} as const satisfies Record<PoolKind, string>;

/** What a care team is for, in a few words. */
export function usePoolHint(): (kind: PoolKind) => string {
  const t = useT();
  return useCallback((kind: PoolKind) => t(POOL_HINT_IDS[kind]), [t]);
}

/** A caregiver whose access does not include messages. */
export function CannotMessage() {
  const { chart } = usePortal();
  const t = useT();
  return (
    <div className="notice">
      <p>{t("messages.proxy.cannot", { name: chart.patient.givenName })}</p>
      <p>{t("messages.proxy.how", { name: chart.patient.givenName })}</p>
    </div>
  );
}
