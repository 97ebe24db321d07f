// The shared error summary, given the same list while the patient types: ErrorSummary moves
// focus to itself whenever its list changes, so a list rebuilt on every render would pull the
// focus out of the field being typed in.
import { useMemo } from "react";
import { ErrorSummary } from "../components/PageState";

export function Summary({ problems }: { problems: { field?: string; sentence: string }[] }) {
  const key = JSON.stringify(problems);
  const stable = useMemo(() => problems, [key]);
  return <ErrorSummary problems={stable} />;
}
