// Pages about the patient's own account (contact details, messages, caregivers) while a
// caregiver is looking at someone else's records: say whose page this is and offer their own.
import type { ReactNode } from "react";
import { usePortal } from "../app/portal";
import { useT } from "../i18n/I18n";

export function OwnChartOnly({ title, children }: { title: string; children: ReactNode }) {
  const { chart, me, selectChart } = usePortal();
  const t = useT();
  if (chart.relationship === "self") return <>{children}</>;
  const own = me.charts.find((c) => c.relationship === "self");
  return (
    <>
      <h1>{title}</h1>
      <p className="notice">{t("account.ownOnly.body", { name: chart.patient.givenName })}</p>
      {own && (
        <p>
          <button type="button" className="button" onClick={() => selectChart(own.patient.id)}>
            {t("account.ownOnly.switch")}
          </button>
        </p>
      )}
    </>
  );
}
