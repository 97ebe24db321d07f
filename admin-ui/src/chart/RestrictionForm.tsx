// Who opens this chart without a reason (practice admins): restrict it (a colleague's, a VIP's,
// behavioural health) and name its care team, or lift the restriction.
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { problemsFrom, useOnce } from "../practice/shared";

const StaffQuery = graphql(`
  query ChartRestrictionStaff {
    staffMembers {
      id
      displayName
      role
    }
  }
`);

const SetRestriction = graphql(`
  mutation ChartSetRestriction($input: SetChartRestrictionInput!) {
    setChartRestriction(input: $input) {
      restriction {
        category
        careTeamUserIds
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const CATEGORIES: { value: string; label: string }[] = [
  { value: "", label: "Not restricted" },
  { value: "staff", label: "A colleague's chart" },
  { value: "vip", label: "VIP" },
  { value: "behavioral_health", label: "Behavioural health" },
  { value: "other", label: "Other reason" },
];

const LABELS: Record<string, string> = { category: "Restriction", careTeamUserIds: "Care team" };

export function RestrictionForm({
  patientId,
  name,
  current,
  onSaved,
}: {
  patientId: string;
  name: string;
  current: { category: string; careTeamUserIds: readonly string[] } | null | undefined;
  onSaved: () => void;
}) {
  const [staff, reloadStaff] = useQuery({ query: StaffQuery });
  const [category, setCategory] = useState(current?.category ?? "");
  const [team, setTeam] = useState<string[]>([...(current?.careTeamUserIds ?? [])]);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [, save] = useMutation(SetRestriction);
  const [pending, once] = useOnce();

  function submit(event: FormEvent) {
    event.preventDefault();
    void once(async () => {
      setProblems({});
      setSaved(null);
      const result = await save({ input: { patientId, category: category || null, careTeamUserIds: category ? team : [] } });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.setChartRestriction;
      if (payload?.userErrors.length) {
        return setProblems(
          problemsFrom(payload.userErrors, {
            "category:INVALID_CATEGORY": "Choose a kind of restriction from the list.",
            "careTeamUserIds:UNKNOWN_USER": "Someone chosen is no longer on the staff. Reload and choose again.",
          }),
        );
      }
      setSaved(
        payload?.restriction
          ? `${name}'s chart is restricted. Only practice admins and its care team open it without giving a reason.`
          : `${name}'s chart is no longer restricted.`,
      );
      onSaved();
    });
  }

  // Practice admins always open restricted charts: the care team is chosen among the others.
  const people = (staff.data?.staffMembers ?? []).filter((s) => s.role !== "practice_admin");
  return (
    <form onSubmit={submit} noValidate className="form practice-form restriction-form" aria-labelledby="restriction-title">
      <h3 id="restriction-title">Who may open this chart</h3>
      {saved && (
        <p className="notice" role="status">
          {saved}
        </p>
      )}
      <ErrorSummary problems={problems} labels={LABELS} />
      <Field
        name="category"
        label={LABELS.category!}
        hint="A restricted chart opens without a reason only for practice admins and its care team; anyone else states a reason, which you review."
        error={problems.category}
      >
        {(p) => (
          <select {...p} value={category} onChange={(e) => setCategory(e.target.value)}>
            {CATEGORIES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      {category && (
        <fieldset className="care-team" aria-describedby={problems.careTeamUserIds ? "field-careTeamUserIds-error" : undefined}>
          <legend id="field-careTeamUserIds" tabIndex={-1}>
            Care team (optional)
          </legend>
          {problems.careTeamUserIds && (
            <p className="error-text" id="field-careTeamUserIds-error">
              {problems.careTeamUserIds}
            </p>
          )}
          {staff.error && !staff.data && <ErrorState problem={problemOf(staff.error)} retry={() => reloadStaff({ requestPolicy: "network-only" })} />}
          {staff.fetching && !staff.data && <LoadingState label="Loading the staff" rows={2} />}
          {staff.data && people.length === 0 && <p className="muted">No providers or staff yet: only practice admins open it.</p>}
          {people.map((s) => (
            <label key={s.id} className="checkbox">
              <input
                type="checkbox"
                checked={team.includes(s.id)}
                onChange={(e) => setTeam((t) => (e.target.checked ? [...t, s.id] : t.filter((id) => id !== s.id)))}
              />
              {s.displayName}
            </label>
          ))}
        </fieldset>
      )}
      <button type="submit" className="primary" disabled={pending}>
        Save
      </button>
    </form>
  );
}
