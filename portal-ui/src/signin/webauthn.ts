// The browser's side of passkeys (WebAuthn): the server's options arrive as JSON with binary
// fields in base64url (webauthn-rs's serialisation); the browser wants ArrayBuffers, and the
// credential it returns goes back the same way.
function fromB64url(value: string): ArrayBuffer {
  const b64 = value.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(value.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return bytes.buffer;
}

function toB64url(buffer: ArrayBuffer | null): string | null {
  if (!buffer) return null;
  let s = "";
  for (const b of new Uint8Array(buffer)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

interface CredentialDescriptorJson {
  type: string;
  id: string;
  transports?: string[];
}

interface CreationOptionsJson {
  publicKey: Omit<PublicKeyCredentialCreationOptions, "challenge" | "user" | "excludeCredentials"> & {
    challenge: string;
    user: { id: string; name: string; displayName: string };
    excludeCredentials?: CredentialDescriptorJson[];
  };
}

interface RequestOptionsJson {
  publicKey: Omit<PublicKeyCredentialRequestOptions, "challenge" | "allowCredentials"> & {
    challenge: string;
    allowCredentials?: CredentialDescriptorJson[];
  };
  mediation?: CredentialMediationRequirement;
}

function descriptors(list: CredentialDescriptorJson[] | undefined): PublicKeyCredentialDescriptor[] | undefined {
  return list?.map((c) => ({ type: "public-key", id: fromB64url(c.id), transports: c.transports as AuthenticatorTransport[] | undefined }));
}

/** Whether this browser can make and use passkeys at all. */
export function passkeysSupported(): boolean {
  return typeof window.PublicKeyCredential === "function" && Boolean(navigator.credentials);
}

/** Makes a passkey from the server's creation options; returns the credential as JSON. */
export async function createPasskey(options: unknown): Promise<unknown> {
  const { publicKey } = options as CreationOptionsJson;
  const credential = (await navigator.credentials.create({
    publicKey: {
      ...publicKey,
      challenge: fromB64url(publicKey.challenge),
      user: { ...publicKey.user, id: fromB64url(publicKey.user.id) },
      excludeCredentials: descriptors(publicKey.excludeCredentials),
    },
  })) as PublicKeyCredential | null;
  if (!credential) throw new DOMException("No passkey was made", "NotAllowedError");
  const response = credential.response as AuthenticatorAttestationResponse;
  return {
    id: credential.id,
    rawId: toB64url(credential.rawId),
    type: credential.type,
    response: {
      attestationObject: toB64url(response.attestationObject),
      clientDataJSON: toB64url(response.clientDataJSON),
      transports: typeof response.getTransports === "function" ? response.getTransports() : undefined,
    },
    extensions: credential.getClientExtensionResults(),
  };
}

/** Signs the server's challenge with a passkey the person picks; returns the assertion JSON. */
export async function signWithPasskey(options: unknown): Promise<unknown> {
  const { publicKey } = options as RequestOptionsJson;
  const credential = (await navigator.credentials.get({
    publicKey: { ...publicKey, challenge: fromB64url(publicKey.challenge), allowCredentials: descriptors(publicKey.allowCredentials) },
  })) as PublicKeyCredential | null;
  if (!credential) throw new DOMException("No passkey was used", "NotAllowedError");
  const response = credential.response as AuthenticatorAssertionResponse;
  return {
    id: credential.id,
    rawId: toB64url(credential.rawId),
    type: credential.type,
    response: {
      authenticatorData: toB64url(response.authenticatorData),
      clientDataJSON: toB64url(response.clientDataJSON),
      signature: toB64url(response.signature),
      userHandle: toB64url(response.userHandle),
    },
    extensions: credential.getClientExtensionResults(),
  };
}
