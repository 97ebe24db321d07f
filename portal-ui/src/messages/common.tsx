// What the messages pages share: the categories in plain words, a form's problems (kept as
// message ids or API codes, so they follow the language), and what a caregiver without
// messaging sees.
import { useCallback, useMemo } from "react";
import { ApiFailure } from "@portico/client";
import type { MessageCategory, PoolKind } from "@portico/client/gql/graphql";
import { usePortal } from "../app/portal";
import { useProblem } from "../app/problem";
import { useT } from "../i18n/I18n";
import type { MessageId } from "../i18n/catalog";

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

/** A problem with a form: our own sentence, or an API code; `field` is the control's id. */
export type FormProblem =
  | { field?: string; id: MessageId; values?: Record<string, string | number> }
  | { field?: string; code: string };

/** The problems as sentences in the current language, for the summary and each field. */
export function useFormProblems(problems: FormProblem[]) {
  const t = useT();
  const describe = useProblem();
  const summary = useMemo(
    () =>
      problems.map((p) => ({
        field: p.field,
        sentence: "code" in p ? describe(new ApiFailure(p.code, undefined)).sentence : t(p.id, p.values),
      })),
    [problems, t, describe],
  );
  const fieldError = (field: string) => summary.find((p) => p.field === field)?.sentence;
  return { summary, fieldError };
}
