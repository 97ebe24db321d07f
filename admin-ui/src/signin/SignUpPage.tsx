// Create a practice: its name, web address and time zone, and the first admin's account.
// The new admin is signed in at once (the refresh token in an HttpOnly cookie) and goes on
// to set up two-step verification. A refusal keeps everything typed.
import { useMemo, useRef, useState, type FormEvent } from "react";
import { fieldProblems, graphql, post, problemOf, SessionStore } from "@portico/client";
import { ErrorSummary, Field } from "../components/PageState";

const SignUp = graphql(`
  mutation SignUpPractice($input: SignUpPracticeInput!) {
    signUpPractice(input: $input) {
      tenant {
        slug
      }
      session {
        accessToken
        accessTokenExpiresAt
        refreshTokenExpiresAt
        mfaEnrolmentRequired
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

/** The server's default minimum (PORTICO_PASSWORD_MIN_LENGTH); the API does not publish it. */
export const PASSWORD_MIN_LENGTH = 12;

const LABELS: Record<string, string> = {
  practiceName: "Practice name",
  slug: "Web address",
  timeZone: "Time zone",
  adminName: "Your name",
  adminEmail: "Your email",
  adminPassword: "Choose a password",
};

const SENTENCES: Record<string, string> = {
  "practiceName:INVALID_NAME": "Enter your practice's name, up to 120 characters.",
  "slug:INVALID_SLUG": "Use 3 to 40 lower-case letters, digits and hyphens, with no hyphen at the start or end, for example lakeside-family.",
  "slug:RESERVED_SLUG": "That address is kept for Portico itself. Choose another.",
  "slug:CONFLICT": "Another practice already has that address. Choose another.",
  "timeZone:INVALID_TIME_ZONE": "Choose your practice's time zone from the list.",
  "adminName:INVALID_NAME": "Enter your name, up to 120 characters.",
  "adminEmail:INVALID_EMAIL": "Enter an email address like name@example.com.",
  PASSWORD_TOO_COMMON: "That password is too common. Choose one that is harder to guess, such as a few unrelated words.",
  PASSWORD_CONTAINS_PERSONAL_DATA: "Do not use your name or your email in the password.",
  PASSWORD_TOO_LONG: "Use 256 characters or fewer.",
};

const SLUG = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,39}$/;

/** "Lakeside Family Clinic" → "lakeside-family-clinic". */
function suggestSlug(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
}

export function SignUpPage({ onSignedIn, onCancel }: { onSignedIn: (store: SessionStore) => void; onCancel: () => void }) {
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const zones = useMemo(() => {
    const all = Intl.supportedValuesOf("timeZone");
    return all.includes(browserZone) ? all : [browserZone, ...all];
  }, [browserZone]);
  const [form, setForm] = useState({ practiceName: "", slug: "", timeZone: browserZone, adminName: "", adminEmail: "", adminPassword: "" });
  const [slugEdited, setSlugEdited] = useState(false);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const busy = useRef(false);
  const [pending, setPending] = useState(false);
  const slug = slugEdited ? form.slug : suggestSlug(form.practiceName);
  const set = (name: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [name]: e.target.value }));
  const length = [...form.adminPassword].length;

  async function submit(event: FormEvent) {
    event.preventDefault();
    // A double click creates one practice.
    if (busy.current) return;
    const missing: Record<string, string> = {};
    if (!form.practiceName.trim()) missing.practiceName = "Enter your practice's name.";
    if (!slug) missing.slug = "Enter a web address for your portal.";
    else if (!SLUG.test(slug)) missing.slug = SENTENCES["slug:INVALID_SLUG"]!;
    if (!form.timeZone) missing.timeZone = "Choose your practice's time zone.";
    if (!form.adminName.trim()) missing.adminName = "Enter your name.";
    if (!form.adminEmail.trim()) missing.adminEmail = "Enter your email address.";
    if (length < PASSWORD_MIN_LENGTH) missing.adminPassword = `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
    setProblems(missing);
    if (Object.keys(missing).length) return;
    busy.current = true;
    setPending(true);
    try {
      const data = await post(
        SignUp,
        {
          input: {
            practiceName: form.practiceName.trim(),
            slug,
            timeZone: form.timeZone,
            adminName: form.adminName.trim(),
            adminEmail: form.adminEmail.trim(),
            adminPassword: form.adminPassword,
          },
        },
        null,
      );
      const payload = data.signUpPractice;
      if (payload.userErrors.length) {
        const found = fieldProblems(payload.userErrors);
        for (const e of payload.userErrors) {
          const better = SENTENCES[`${e.field}:${e.code}`] ?? SENTENCES[e.code];
          if (better) found[e.field || "_"] = better;
        }
        return setProblems(found);
      }
      if (!payload.session) return setProblems({ _: problemOf(undefined).sentence });
      const store = new SessionStore(payload.tenant?.slug ?? slug);
      store.accept(payload.session);
      onSignedIn(store);
    } catch (e) {
      setProblems({ _: problemOf(e).sentence });
    } finally {
      busy.current = false;
      setPending(false);
    }
  }

  return (
    <div className="sign-in-layout">
      <main id="main" className="sign-in-card sign-up-card">
        <h1>Create your practice</h1>
        <p>Set up your practice's patient portal. The free trial starts today; you choose a plan later.</p>
        <form onSubmit={submit} noValidate>
          <ErrorSummary problems={problems} labels={LABELS} />
          <h2>Your practice</h2>
          <Field name="practiceName" label={LABELS.practiceName!} hint="As patients know it, for example Lakeside Family Clinic." error={problems.practiceName}>
            {(p) => <input {...p} value={form.practiceName} onChange={set("practiceName")} autoComplete="organization" />}
          </Field>
          <Field
            name="slug"
            label={LABELS.slug!}
            hint="Your portal's address. 3 to 40 lower-case letters, digits and hyphens, with no hyphen at the start or end. It cannot be changed later."
            error={problems.slug}
          >
            {(p) => (
              <input
                {...p}
                value={slug}
                onChange={(e) => (setSlugEdited(true), setForm((f) => ({ ...f, slug: e.target.value.toLowerCase() })))}
                autoCapitalize="none"
                spellCheck={false}
                autoComplete="off"
                maxLength={40}
              />
            )}
          </Field>
          <p className="meta address-preview">
            Patients will go to <strong>{slug || "your-practice"}.portico.health</strong>
          </p>
          <Field name="timeZone" label={LABELS.timeZone!} hint="Every visit time is in this zone. This browser is in the one chosen." error={problems.timeZone}>
            {(p) => (
              <select {...p} value={form.timeZone} onChange={set("timeZone")}>
                {zones.map((z) => (
                  <option key={z} value={z}>
                    {z.replaceAll("_", " ")}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <h2>Your account</h2>
          <p className="meta">You will be the practice's first admin.</p>
          <Field name="adminName" label={LABELS.adminName!} error={problems.adminName}>
            {(p) => <input {...p} value={form.adminName} onChange={set("adminName")} autoComplete="name" />}
          </Field>
          <Field name="adminEmail" label={LABELS.adminEmail!} hint="You sign in with it." error={problems.adminEmail}>
            {(p) => <input {...p} type="email" value={form.adminEmail} onChange={set("adminEmail")} autoComplete="email" />}
          </Field>
          <Field
            name="adminPassword"
            label={LABELS.adminPassword!}
            hint={`At least ${PASSWORD_MIN_LENGTH} characters. A few unrelated words are easy to remember and hard to guess. Do not use your name or email.`}
            error={problems.adminPassword}
          >
            {(p) => <input {...p} type="password" value={form.adminPassword} onChange={set("adminPassword")} autoComplete="new-password" />}
          </Field>
          <p className={length >= PASSWORD_MIN_LENGTH ? "meta password-length ok" : "meta password-length"}>
            {length >= PASSWORD_MIN_LENGTH
              ? `Long enough: ${length} characters.`
              : `${length} of at least ${PASSWORD_MIN_LENGTH} characters.`}
          </p>
          <p className="meta">Next you set up two-step verification with an authenticator app on your phone.</p>
          <button type="submit" className="primary" disabled={pending}>
            {pending ? "Creating your practice…" : "Create practice"}
          </button>
        </form>
        <p>
          Already have a practice?{" "}
          <button type="button" className="link-button" onClick={onCancel}>
            Sign in
          </button>
        </p>
      </main>
    </div>
  );
}
