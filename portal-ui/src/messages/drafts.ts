// Half-written messages, kept in memory for this tab only (never in browser storage: they are
// health information, and the portal may be used on a shared computer). Leaving a page and
// coming back, or a failure to send, keeps the text; a reload or signing out forgets it.
import type { Item } from "./Attachments";

export interface NewDraft {
  to: string;
  category: string;
  subject: string;
  body: string;
  /** Files already uploaded (only those: a file being sent cannot outlive its page). */
  files: Item[];
}

const replies = new Map<string, string>();
const started = new Map<string, NewDraft>();

// Keyed by who is writing as well, so that someone else signing in on this tab never sees it.
export function replyDraft(userId: string, threadId: string): string {
  return replies.get(`${userId}:${threadId}`) ?? "";
}

export function keepReply(userId: string, threadId: string, text: string): void {
  if (text) replies.set(`${userId}:${threadId}`, text);
  else replies.delete(`${userId}:${threadId}`);
}

/** The new message being written for one chart. */
export function newDraft(userId: string, patientId: string): NewDraft | undefined {
  return started.get(`${userId}:${patientId}`);
}

export function keepNewDraft(userId: string, patientId: string, draft: NewDraft | null): void {
  const key = `${userId}:${patientId}`;
  if (draft && (draft.subject || draft.body || draft.category || draft.files.length)) {
    started.set(key, { ...draft, files: draft.files.filter((f) => f.state === "done") });
  } else {
    started.delete(key);
  }
}
