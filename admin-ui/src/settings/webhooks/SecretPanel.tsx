// A signing secret shown once (after adding an endpoint or rotating its secret), with a copy
// button and how a receiver checks a message with it. It lives only in this page's memory.
import { useEffect, useRef, useState, type ReactNode } from "react";

export function SecretPanel({ title, secret, children, onHide }: { title: string; secret: string; children?: ReactNode; onHide: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const [copied, setCopied] = useState<boolean | null>(null);
  // The panel takes the focus once it is on the page, so the secret is what is read next.
  useEffect(() => heading.current?.focus(), [secret]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }

  return (
    <section className="key-once" aria-labelledby="secret-once-title">
      <h2 id="secret-once-title" ref={heading} tabIndex={-1}>
        {title}
      </h2>
      <p>
        <strong>Copy it now: it will not be shown again.</strong> Put it in the receiving system's settings. If it is lost, rotate the secret to get a new
        one.
      </p>
      <code className="secret">{secret}</code>
      <div className="row-actions">
        <button type="button" className="primary" onClick={() => void copy()}>
          Copy secret
        </button>
        <button type="button" onClick={onHide}>
          I have saved it, hide it
        </button>
      </div>
      <p role="status" className="meta">
        {copied === true ? "Copied to the clipboard." : copied === false ? "Copying was refused by the browser: select the secret and copy it." : ""}
      </p>
      {children}
      <p className="meta">
        Portico signs every message the Standard Webhooks way. The receiver checks the headers <code>webhook-id</code>, <code>webhook-timestamp</code> and{" "}
        <code>webhook-signature</code> with this secret (a Standard Webhooks library does it in one call) and refuses a message whose signature does not
        match or whose timestamp is more than five minutes old. The same event keeps its <code>webhook-id</code> on every try, so a receiver can skip one it
        has already handled.
      </p>
    </section>
  );
}
