// Permissions: what staff, providers and practice admins may do in this practice, one row
// per permission and one column per role. Saving replaces the changed roles' permissions,
// which take effect at once on every instance. Practice admins always keep the right to
// change permissions (the API refuses a lock-out), so that cell is shown, not offered.
import { useEffect, useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { ErrorState, ErrorSummary, LoadingState } from "../components/PageState";
import { problemsFrom, useOnce } from "../practice/shared";
import "../settings/settings.css";

const PermissionsQuery = graphql(`
  query AccessRolePermissions {
    rolePermissions {
      role
      customized
      permissions {
        object
        action
      }
    }
  }
`);

const SetPermissions = graphql(`
  mutation AccessSetRolePermissions($input: SetRolePermissionsInput!) {
    setRolePermissions(input: $input) {
      rolePermissions {
        role
        customized
        permissions {
          object
          action
        }
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

/** The roles shown as columns, in this order; patients' own permissions are not changed here. */
const ROLES: { role: string; label: string; plural: string }[] = [
  { role: "staff", label: "Staff", plural: "Staff" },
  { role: "provider", label: "Providers", plural: "Providers" },
  { role: "practice_admin", label: "Practice admins", plural: "Practice admins" },
];

/** Permissions a practice may hand out to its staff roles, with plain words for each. */
const PHRASES: Record<string, string> = {
  "patients:read": "read patients",
  "patients:write": "change patients' records",
  "appointments:read": "see appointments",
  "appointments:write": "book and change appointments",
  "scheduling:read": "see the schedule set-up",
  "scheduling:manage": "change the schedule set-up",
  "messages:read": "read patients' messages",
  "messages:write": "answer patients' messages",
  "pools:manage": "manage care teams",
  "refills:read": "see refill requests",
  "refills:decide": "decide refill requests",
  "readings:read": "see home readings and their alerts",
  "readings:acknowledge": "acknowledge reading alerts",
  "readings:manage": "set reading thresholds",
  "forms:read": "read check-in forms and patients' answers",
  "forms:send": "send a form to a patient",
  "forms:manage": "build forms and attach them to visit types",
  "education:read": "see the education library and send resources",
  "education:manage": "change the education library",
  "feedback:read": "read patients' feedback and scores",
  "feedback:manage": "mark feedback handled",
  "campaigns:read": "see invitation campaigns",
  "campaigns:manage": "start and cancel invitation campaigns",
  "recalls:read": "see recall rules",
  "recalls:manage": "change recall rules",
  "ehr:review": "review records from the EHR",
  "ehr:manage": "manage the EHR connection",
  "staff:manage": "manage staff accounts",
  "settings:manage": "change practice settings",
  "notifications:manage": "change notifications",
  "branding:write": "change branding",
  "api_keys:manage": "manage API keys",
  "permissions:manage": "change permissions",
  "audit:read": "read the audit log",
  "adoption:read": "see adoption figures",
  "billing:manage": "manage billing",
  "me:read": "see their own account",
};
const ORDER = Object.keys(PHRASES);
const LOCKED = "permissions:manage";

const key = (object: string, action: string) => `${object}:${action}`;
const phrase = (k: string) => PHRASES[k] ?? k.replace(":", " ");

type Grants = Record<string, Set<string>>;

export default function PermissionsPage() {
  const [{ data, error, fetching }, reload] = useQuery({ query: PermissionsQuery });
  const refresh = () => reload({ requestPolicy: "network-only" });
  const [grants, setGrants] = useState<Grants>({});
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [, setRole] = useMutation(SetPermissions);
  const [pending, once] = useOnce();

  const loaded: Grants = {};
  for (const r of data?.rolePermissions ?? []) loaded[r.role] = new Set(r.permissions.map((p) => key(p.object, p.action)));
  const loadedSig = JSON.stringify(Object.entries(loaded).map(([r, s]) => [r, [...s].sort()]));
  useEffect(() => {
    // Only when what the API holds changes, so ticks not yet saved survive a re-render.
    const held = JSON.parse(loadedSig) as [string, string[]][];
    if (data) setGrants(Object.fromEntries(held.map(([r, ks]) => [r, new Set(ks)])));
  }, [loadedSig]); // eslint-disable-line react-hooks/exhaustive-deps

  const roles = ROLES.filter((r) => r.role in loaded);
  // Rows: the known permissions, then any other the API reports, by their raw names.
  const extra = new Set<string>();
  for (const r of roles) for (const k of loaded[r.role] ?? []) if (!ORDER.includes(k) && !k.startsWith("own_")) extra.add(k);
  const rows = [...ORDER, ...[...extra].sort()];

  function toggle(role: string, k: string, on: boolean) {
    setSaved(null);
    setGrants((g) => {
      const next = new Set(g[role] ?? []);
      if (on) next.add(k);
      else next.delete(k);
      return { ...g, [role]: next };
    });
  }

  const changed = roles.filter((r) => {
    const a = loaded[r.role] ?? new Set<string>();
    const b = grants[r.role] ?? new Set<string>();
    return a.size !== b.size || [...a].some((k) => !b.has(k));
  });

  function save() {
    void once(async () => {
      setSaved(null);
      setProblems({});
      if (changed.length === 0) return setSaved("Nothing to save: no permission was changed.");
      const done: string[] = [];
      for (const r of changed) {
        const wanted = new Set(grants[r.role] ?? []);
        if (r.role === "practice_admin") wanted.add(LOCKED);
        const permissions = [...wanted].map((k) => {
          const [object = "", action = ""] = k.split(":");
          return { object, action };
        });
        const result = await setRole({ input: { role: r.role, permissions } });
        if (result.error) return setProblems({ _: problemOf(result.error).sentence });
        const payload = result.data?.setRolePermissions;
        if (payload?.userErrors.length)
          return setProblems(
            problemsFrom(payload.userErrors, {
              LOCKOUT: "Practice admins must keep the right to change permissions, or nobody could change them back.",
              INVALID_PERMISSION: `One of ${r.plural.toLowerCase()}'s permissions cannot be given to that role.`,
            }),
          );
        done.push(r.plural);
      }
      setSaved(`Saved ${done.join(" and ")}'s permissions. They take effect at once, on every instance of Portico.`);
      refresh();
    });
  }

  return (
    <>
      <h1>Permissions</h1>
      <p>
        What each role in your practice may do. Tick a box to allow it, untick to take it away, then save. A change applies to everyone with
        that role as soon as it is saved.
      </p>
      {error && !data && <ErrorState problem={problemOf(error)} retry={refresh} />}
      {fetching && !data && <LoadingState label="Loading permissions" rows={6} />}
      {data && (
        <form onSubmit={(e) => (e.preventDefault(), save())} noValidate className="form" aria-labelledby="perms-title">
          <h2 id="perms-title" className="visually-hidden">
            Permissions by role
          </h2>
          <ErrorSummary problems={problems} labels={{}} />
          <table className="data-table permissions-table">
            <caption className="visually-hidden">Who may do what</caption>
            <thead>
              <tr>
                <th scope="col">Permission</th>
                {roles.map((r) => (
                  <th scope="col" key={r.role}>
                    {r.label}
                    {data.rolePermissions.find((x) => x.role === r.role)?.customized && <span className="tag">Changed from the defaults</span>}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((k) => (
                <tr key={k}>
                  <th scope="row">{phrase(k).charAt(0).toUpperCase() + phrase(k).slice(1)}</th>
                  {roles.map((r) =>
                    r.role === "practice_admin" && k === LOCKED ? (
                      <td key={r.role}>
                        <span className="tag tag-muted">Always allowed</span>
                      </td>
                    ) : (
                      <td key={r.role}>
                        <input
                          type="checkbox"
                          aria-label={`${r.plural} may ${phrase(k)}`}
                          checked={grants[r.role]?.has(k) ?? false}
                          onChange={(e) => toggle(r.role, k, e.target.checked)}
                        />
                      </td>
                    ),
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          <div className="settings-submit">
            <button type="submit" className="primary" disabled={pending}>
              Save permissions
            </button>
            {changed.length > 0 && !pending && <p className="meta">Unsaved changes for {changed.map((r) => r.plural.toLowerCase()).join(" and ")}.</p>}
            {saved && (
              <p className="notice" role="status">
                {saved}
              </p>
            )}
          </div>
        </form>
      )}
    </>
  );
}
