// Half-written replies, kept in memory for the tab only (never in browser storage: they are
// patients' health information), so leaving a thread and coming back keeps the text.
const drafts = new Map<string, string>();

export function draftFor(threadId: string): string {
  return drafts.get(threadId) ?? "";
}

export function keepDraft(threadId: string, text: string): void {
  if (text) drafts.set(threadId, text);
  else drafts.delete(threadId);
}
