// Problems with what the patient entered, kept as message ids (not sentences) so that a change
// of language while they are on screen re-words them too.
import { useCallback } from "react";
import { en as catalog, type MessageId } from "../i18n/catalog";
import { useT } from "../i18n/I18n";

export type Problem = { field: string; id: MessageId; values?: Record<string, string | number> };

/** The sentence id for an API error code; the general one for a code without its own. */
export function errorId(code: string): MessageId {
  const id = `error.${code}`;
  return (id in catalog ? id : "error.INTERNAL") as MessageId;
}

/** A mutation's `userErrors` as problems, one per field. */
export function fromUserErrors(errors: readonly { field: string; code: string }[]): Problem[] {
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const e of errors) {
    const field = e.field || "_";
    if (seen.has(field)) continue;
    seen.add(field);
    out.push({ field, id: errorId(e.code) });
  }
  return out;
}

/** Problems as sentences in the current language. */
export function useSentences(): (problems: Problem[]) => { field: string; sentence: string }[] {
  const t = useT();
  return useCallback((problems) => problems.map((p) => ({ field: p.field, sentence: t(p.id, p.values) })), [t]);
}

/** A mutation's `userErrors` as one message id per field. */
export function idsByField(errors: readonly { field: string; code: string }[]): Record<string, MessageId> {
  const out: Record<string, MessageId> = {};
  for (const e of errors) out[e.field || "_"] ??= errorId(e.code);
  return out;
}
