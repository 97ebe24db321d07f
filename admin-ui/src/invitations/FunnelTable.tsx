// An invitation funnel as a table: patients at each step and their share of those invited.
// One campaign's (Invitations page) and the practice's over a period (Adoption page).

export type Funnel = { recipients: number; invited: number; activated: number; firstPortalAction: number; firstOnlineBooking: number };

const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 0 });

/** `chosen` names the first row (who the campaigns chose), which has no share. */
export function FunnelTable({ funnel: f, caption, hideCaption = false, chosen }: { funnel: Funnel; caption: string; hideCaption?: boolean; chosen: string }) {
  const steps: [string, number][] = [
    ["Invited", f.invited],
    ["Joined the portal", f.activated],
    ["Used the portal", f.firstPortalAction],
    ["Booked online", f.firstOnlineBooking],
  ];
  const share = (n: number) => (f.invited > 0 ? percent.format(n / f.invited) : "—");
  return (
    <table className="data-table">
      <caption className={hideCaption ? "visually-hidden" : undefined}>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">Patients</th>
          <th scope="col">Of those invited</th>
        </tr>
      </thead>
      <tbody>
        <tr>
          <th scope="row">{chosen}</th>
          <td>{f.recipients}</td>
          <td>—</td>
        </tr>
        {steps.map(([label, n]) => (
          <tr key={label}>
            <th scope="row">{label}</th>
            <td>{n}</td>
            <td>{share(n)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
