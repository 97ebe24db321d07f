// Signing in safely: two-step verification (on, or how to turn it on), the password, passkeys,
// signed-in devices, and the apps connected to the patient's record.
import { useState } from "react";
import { Link } from "react-router";
import { usePortal } from "../app/portal";
import { useBrand } from "../app/brandContext";
import { useT } from "../i18n/I18n";
import { TotpSetup } from "./TotpSetup";
import { ChangePasswordSection } from "./ChangePasswordSection";
import { PasskeysSection } from "./PasskeysSection";
import { SessionsSection } from "./SessionsSection";
import { ConnectedAppsSection } from "./ConnectedAppsSection";
import "./account.css";

export default function SecurityPage() {
  const { me, reloadMe } = usePortal();
  const brand = useBrand();
  const t = useT();
  // On as soon as the code is accepted, while the recovery codes are still being saved.
  const [confirmed, setConfirmed] = useState(false);
  return (
    <>
      <h1>{t("account.security.title")}</h1>
      <p className="lead">{t("account.security.lead", { email: me.email })}</p>
      <div className="cards">
        <section className="card" aria-labelledby="security-mfa">
          <h2 id="security-mfa">{t("account.security.mfa.title")}</h2>
          {me.mfaEnrolled ? (
            <>
              <p className="status-line">
                <span className="status-icon" aria-hidden="true">
                  ✓
                </span>{" "}
                <strong>{t("account.security.mfa.on")}</strong>
              </p>
              <p>{t("account.security.mfa.onBody", { practice: brand.displayName })}</p>
            </>
          ) : (
            <>
              {!confirmed && (
                <p className="status-line">
                  <strong>{t("account.security.mfa.off")}</strong>
                </p>
              )}
              <TotpSetup headingLevel={3} onDone={reloadMe} onConfirmed={() => setConfirmed(true)} />
            </>
          )}
        </section>
        <ChangePasswordSection />
        <PasskeysSection />
        <SessionsSection />
        <ConnectedAppsSection />
      </div>
      <ul className="links">
        <li>
          <Link to="/profile">{t("account.backToProfile")}</Link>
        </li>
      </ul>
    </>
  );
}
