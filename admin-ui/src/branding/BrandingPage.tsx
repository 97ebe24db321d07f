// The portal's branding: name, colour, logo and phone number, with a live preview of the patient portal's
// header and main button. A colour white text cannot be read on is refused, with the nearest
// colour that works offered in one click.
import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { fieldProblems, graphql, problemOf } from "@portico/client";
import { ErrorSummary, Field } from "../components/PageState";
import { useConsole } from "../app/session";
import { AA_NORMAL_TEXT, contrastWithWhite } from "./contrast";

const Update = graphql(`
  mutation UpdateBranding($input: UpdateBrandingInput!) {
    updateBranding(input: $input) {
      tenant {
        displayName
        primaryColor
        logoUrl
        phone
      }
      suggestedPrimaryColor
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const LABELS = { displayName: "Practice name", primaryColor: "Brand colour", logoUrl: "Logo address", phone: "Phone number" };

export default function BrandingPage() {
  const { me, reloadMe } = useConsole();
  const [name, setName] = useState(me.tenant.displayName);
  const [color, setColor] = useState(me.tenant.primaryColor);
  const [logo, setLogo] = useState(me.tenant.logoUrl ?? "");
  const [phone, setPhone] = useState(me.tenant.phone ?? "");
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [suggested, setSuggested] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [state, update] = useMutation(Update);
  const ratio = contrastWithWhite(color);
  const readable = ratio !== null && ratio >= AA_NORMAL_TEXT;
  // The preview never shows unreadable text: on a colour too light for white it uses dark
  // text, and says the portal will need a darker colour.
  const ink = readable || ratio === null ? "#ffffff" : "#101828";

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (state.fetching) return;
    setSaved(false);
    const result = await update({ input: { displayName: name.trim(), primaryColor: color.trim(), logoUrl: logo.trim(), phone: phone.trim() } });
    if (result.error) return setProblems({ _: problemOf(result.error).sentence });
    const payload = result.data?.updateBranding;
    setSuggested(payload?.suggestedPrimaryColor ?? null);
    if (payload?.userErrors.length) return setProblems(fieldProblems(payload.userErrors));
    setProblems({});
    setSaved(true);
    reloadMe();
  }

  return (
    <>
      <h1>Branding</h1>
      <p>Patients see your name, colour and logo on every page of your portal and in every email, and your phone number where they need to call.</p>
      <div className="branding-layout">
        <form onSubmit={submit} noValidate className="form">
          <ErrorSummary problems={problems} labels={LABELS} />
          {saved && (
            <p className="notice" role="status">
              Saved. Your portal shows the new branding now.
            </p>
          )}
          <Field name="displayName" label={LABELS.displayName} error={problems.displayName}>
            {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field
            name="primaryColor"
            label={LABELS.primaryColor}
            hint="White text goes on this colour, so it must be dark enough to read (contrast of at least 4.5 to 1)."
            error={problems.primaryColor}
          >
            {(p) => (
              <div className="row">
                <input {...p} value={color} onChange={(e) => setColor(e.target.value)} className="color-text" spellCheck={false} />
                <input type="color" aria-label="Pick the brand colour" value={/^#[0-9a-f]{6}$/i.test(color) ? color : "#000000"} onChange={(e) => setColor(e.target.value)} className="color-swatch" />
              </div>
            )}
          </Field>
          <p className={readable ? "meta" : "error-text"} aria-live="polite">
            {ratio === null
              ? "Enter a colour as # and six hexadecimal digits, for example #1f6feb."
              : `Contrast with white text: ${ratio.toFixed(2)} to 1 — ${readable ? "readable" : "too light to read"}.`}
          </p>
          {suggested && (
            <p>
              <button type="button" onClick={() => (setColor(suggested), setSuggested(null))}>
                Use {suggested} instead
              </button>
            </p>
          )}
          <Field name="logoUrl" label={`${LABELS.logoUrl} (optional)`} hint="An https address of your logo image. Leave empty for none." error={problems.logoUrl}>
            {(p) => <input {...p} type="url" value={logo} onChange={(e) => setLogo(e.target.value)} />}
          </Field>
          <Field
            name="phone"
            label={`${LABELS.phone} (optional)`}
            hint="The number patients call, as they should see it, for example (555) 010-0199. The portal shows it where a visit is too soon to change online."
            error={problems.phone}
          >
            {(p) => <input {...p} type="tel" value={phone} onChange={(e) => setPhone(e.target.value)} />}
          </Field>
          <button type="submit" className="primary" disabled={state.fetching}>
            Save branding
          </button>
        </form>
        <section aria-labelledby="preview-title" className="preview">
          <h2 id="preview-title">Preview of your portal</h2>
          {!readable && ratio !== null && <p className="meta">White text cannot be read on this colour, so it is shown dark here; choose a darker colour to save.</p>}
          <div className="preview-frame" aria-hidden="true">
            <div className="preview-header" style={{ background: color, color: ink }}>
              {logo && /^https:\/\//.test(logo) ? <img src={logo} alt="" className="preview-logo" /> : null}
              <span>{name || "Your practice"}</span>
            </div>
            <div className="preview-body">
              <p className="preview-title">Hello, Avery</p>
              <p>Your next visit: Tuesday at 10:30 with Dr. Chen.</p>
              <span className="preview-button" style={{ background: color, color: ink }}>
                Book a visit
              </span>
            </div>
          </div>
        </section>
      </div>
    </>
  );
}
