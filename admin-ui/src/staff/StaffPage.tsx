// The practice's staff: who is on it with which role and whether two-step verification is
// set up, invitations waiting to be accepted, inviting someone, changing a role and
// withdrawing an invitation.
import { useRef, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { fieldProblems, graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { formatDateTime } from "../components/format";
import { useConsole } from "../app/session";

const StaffQuery = graphql(`
  query Staff {
    staffMembers {
      id
      displayName
      email
      role
      mfaEnrolled
    }
    invitations {
      id
      email
      role
      expiresAt
      status
    }
  }
`);

const Invite = graphql(`
  mutation InviteStaff($input: InviteStaffInput!) {
    inviteStaff(input: $input) {
      invitation {
        id
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const ChangeRole = graphql(`
  mutation ChangeStaffRole($input: ChangeStaffRoleInput!) {
    changeStaffRole(input: $input) {
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const Revoke = graphql(`
  mutation RevokeInvitation($id: ID!) {
    revokeInvitation(input: { id: $id }) {
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const ROLES: { value: string; label: string; about: string }[] = [
  { value: "staff", label: "Staff", about: "front desk and nurses: schedule, inbox, refills, patients" },
  { value: "provider", label: "Provider", about: "clinicians: also decide refills and record results" },
  { value: "practice_admin", label: "Practice admin", about: "everything, including set-up, staff and billing" },
];

const roleLabel = (role: string) => ROLES.find((r) => r.value === role)?.label ?? role;

export default function StaffPage() {
  const { me } = useConsole();
  const tz = me.tenant.timeZone;
  const [{ data, error, fetching }, reload] = useQuery({ query: StaffQuery });
  const [, invite] = useMutation(Invite);
  const [, changeRole] = useMutation(ChangeRole);
  const [, revoke] = useMutation(Revoke);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState("staff");
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [done, setDone] = useState<string | null>(null);
  const busy = useRef(false);
  const refresh = () => reload({ requestPolicy: "network-only" });

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy.current) return;
    if (!email.trim()) return setProblems({ email: "Enter the email address to send the invitation to." });
    busy.current = true;
    try {
      const r = await invite({ input: { email: email.trim(), role } });
      if (r.error) return setProblems({ _: problemOf(r.error).sentence });
      const payload = r.data?.inviteStaff;
      if (payload?.userErrors.length) return setProblems(fieldProblems(payload.userErrors));
      setProblems({});
      setDone(`Invitation sent to ${email.trim()}. The link works for a limited time; you can withdraw it below.`);
      setEmail("");
      refresh();
    } finally {
      busy.current = false;
    }
  }

  async function onRole(userId: string, name: string, next: string) {
    const r = await changeRole({ input: { userId, role: next } });
    if (r.error) return setProblems({ _: problemOf(r.error).sentence });
    const errors = r.data?.changeStaffRole.userErrors ?? [];
    if (errors.length) return setProblems(fieldProblems(errors));
    setDone(`${name} is now ${roleLabel(next).toLowerCase()}. Their sessions ended, so the new role applies at once.`);
    refresh();
  }

  async function onRevoke(id: string, to: string) {
    const r = await revoke({ id });
    if (r.error) return setProblems({ _: problemOf(r.error).sentence });
    const errors = r.data?.revokeInvitation.userErrors ?? [];
    if (errors.length) return setProblems(fieldProblems(errors));
    setDone(`The invitation to ${to} is withdrawn; its link no longer works.`);
    refresh();
  }

  const pending = (data?.invitations ?? []).filter((i) => i.status === "pending");
  return (
    <>
      <h1>Staff</h1>
      <ErrorSummary problems={problems} labels={{ email: "Email", role: "Role" }} />
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      {error && !data && <ErrorState problem={problemOf(error)} retry={refresh} />}
      {fetching && !data && <LoadingState label="Loading staff" />}
      {data && (
        <table className="data-table">
          <caption className="visually-hidden">Staff members</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Two-step verification</th>
              <th scope="col">Role</th>
            </tr>
          </thead>
          <tbody>
            {data.staffMembers.map((s) => (
              <tr key={s.id}>
                <td>{s.displayName}</td>
                <td>{s.email}</td>
                <td>{s.mfaEnrolled ? "Set up" : <span className="tag tag-danger">Not yet</span>}</td>
                <td>
                  {s.id === me.userId ? (
                    `${roleLabel(s.role)} (you)`
                  ) : (
                    <select aria-label={`Role of ${s.displayName}`} value={s.role} onChange={(e) => void onRole(s.id, s.displayName, e.target.value)}>
                      {ROLES.map((r) => (
                        <option key={r.value} value={r.value}>
                          {r.label}
                        </option>
                      ))}
                    </select>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Invitations waiting</h2>
      {data && pending.length === 0 && <EmptyState title="No invitation is waiting to be accepted." />}
      {pending.length > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Invitations waiting to be accepted</caption>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Link works until</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {pending.map((i) => (
              <tr key={i.id}>
                <td>{i.email}</td>
                <td>{roleLabel(i.role)}</td>
                <td>{formatDateTime(i.expiresAt, tz)}</td>
                <td>
                  <button type="button" onClick={() => void onRevoke(i.id, i.email)}>
                    Withdraw
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={submit} noValidate className="form" aria-labelledby="invite-title">
        <h2 id="invite-title">Invite someone</h2>
        <p className="meta">They receive an email with a link to join {me.tenant.displayName}, then set up two-step verification.</p>
        <Field name="email" label="Email" error={problems.email}>
          {(p) => <input {...p} type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="off" />}
        </Field>
        <fieldset>
          <legend>Role</legend>
          {ROLES.map((r) => (
            <label key={r.value} className="radio">
              <input type="radio" name="invite-role" value={r.value} checked={role === r.value} onChange={() => setRole(r.value)} />
              {r.label} —{" "}<span className="muted">{r.about}</span>
            </label>
          ))}
        </fieldset>
        <button type="submit" className="primary">
          Send invitation
        </button>
      </form>
    </>
  );
}
