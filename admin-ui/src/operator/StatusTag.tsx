// A practice's status in words (never colour alone).
const WORDS: Record<string, string> = {
  trial: "Trial",
  active: "Active",
  past_due: "Past due",
  suspended: "Suspended",
  cancelled: "Cancelled",
  closed: "Closed",
};

export function StatusTag({ status, hold }: { status: string; hold?: boolean }) {
  const tone = status === "active" ? "tag-ok" : status === "trial" ? "" : "tag-danger";
  return (
    <span className={`tag ${tone}`}>
      {WORDS[status] ?? status}
      {hold ? " (held by an operator)" : ""}
    </span>
  );
}
