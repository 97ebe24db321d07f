// A failure as a sentence in the patient's language: the API's code looked up in the error
// catalog, a generic sentence for a code without one.
import { useCallback } from "react";
import { problemOf, type FieldProblem } from "@portico/client";
import { en, type MessageId } from "../i18n/catalog";
import { useT } from "../i18n/I18n";

export interface PortalProblem {
  code: string;
  sentence: string;
  requestId?: string;
}

function idFor(code: string): MessageId {
  const id = `error.${code}`;
  return (id in en ? id : "error.INTERNAL") as MessageId;
}

export function useProblem(): (error: unknown) => PortalProblem {
  const t = useT();
  return useCallback(
    (error: unknown) => {
      const p = problemOf(error);
      return { code: p.code, sentence: t(idFor(p.code)), requestId: p.requestId };
    },
    [t],
  );
}

/** `userErrors` by field, each as a sentence in the patient's language. */
export function useFieldProblems(): (errors: readonly FieldProblem[] | undefined) => Record<string, string> {
  const t = useT();
  return useCallback(
    (errors) => {
      const byField: Record<string, string> = {};
      for (const e of errors ?? []) byField[e.field || "_"] ??= t(idFor(e.code));
      return byField;
    },
    [t],
  );
}
