// Choosing a new password: the box (with "show password"), the rule, and a strength meter in
// words and as a bar that fills up (never colour alone).
import { useState } from "react";
import { useT } from "../i18n/I18n";
import { Field } from "../components/PageState";
import { strengthLevel, strengthOf } from "./password";
import { usePasswordMinimum } from "./policy";

export function NewPassword({
  id,
  value,
  onChange,
  error,
  personal = [],
}: {
  id: string;
  value: string;
  onChange: (next: string) => void;
  error?: string;
  personal?: string[];
}) {
  const t = useT();
  const [shown, setShown] = useState(false);
  const min = usePasswordMinimum();
  const strength = strengthOf(value, personal, min);
  const level = strengthLevel(strength);
  return (
    <Field id={id} label={t("account.password.label")} hint={t("account.password.hint", { min: min })} error={error}>
      {(describedBy, invalid) => (
        <>
          <input
            id={id}
            type={shown ? "text" : "password"}
            autoComplete="new-password"
            value={value}
            onChange={(e) => onChange(e.target.value)}
            aria-describedby={[describedBy, `${id}-strength`].filter(Boolean).join(" ")}
            aria-invalid={invalid}
            spellCheck={false}
            autoCapitalize="off"
          />
          <label className="check">
            <input type="checkbox" checked={shown} onChange={(e) => setShown(e.target.checked)} />
            <span>{t("account.password.show")}</span>
          </label>
          <div className="strength" data-level={level}>
            <div className="strength-bar" aria-hidden="true">
              {[1, 2, 3, 4].map((n) => (
                <span key={n} className={n <= level ? "on" : ""} />
              ))}
            </div>
            <p id={`${id}-strength`} className="strength-text" aria-live="polite">
              {t(`account.password.strength.${strength}`, { min: min, count: [...value].length })}
            </p>
          </div>
        </>
      )}
    </Field>
  );
}
