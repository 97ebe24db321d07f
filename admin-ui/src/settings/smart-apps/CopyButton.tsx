// A button that copies one value (a client ID, a secret, an address) and says in words
// whether it worked (a browser that refuses is told to select and copy by hand), and the
// value shown beside its button.
import { useState } from "react";

/** `label` is what the button shows; `name`, when given, says what it copies (it starts with `label`). */
export function CopyButton({ value, label, name, primary = false }: { value: string; label: string; name?: string; primary?: boolean }) {
  const [copied, setCopied] = useState<boolean | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }

  return (
    <span className="copy">
      <button type="button" className={primary ? "primary" : undefined} onClick={() => void copy()} aria-label={name}>
        {label}
      </button>
      <span role="status" className="copy-status">
        {copied === true ? "Copied." : copied === false ? "The browser refused: select it and copy it." : ""}
      </span>
    </span>
  );
}

/** A value to hand on (an address, a client ID, a secret) with its copy button beside it. */
export function CopyValue({ value, label, name, primary = false }: { value: string; label: string; name?: string; primary?: boolean }) {
  return (
    <span className="copy-value">
      <code>{value}</code>
      <CopyButton value={value} label={label} name={name} primary={primary} />
    </span>
  );
}
