// One attachment sent to the API as a GraphQL multipart request (one file a request), with
// its progress. urql sends no files, so this uses XMLHttpRequest: the same headers as the
// client (the access token, the cookie session, the practice) and the CSRF header the server
// asks of a multipart POST. An expired access token is refreshed once and the upload retried.
import { graphql, type SessionStore } from "@portico/client";
import type { PortalUploadAttachmentMutation } from "@portico/client/gql/graphql";
import { stringifyDocument } from "urql";
import { GRAPHQL_PATH, SESSION_HEADER, TENANT_HEADER } from "@portico/client";

const Upload = graphql(`
  mutation PortalUploadAttachment($file: Upload!) {
    uploadAttachment(file: $file) {
      attachment {
        id
        fileName
        contentType
        sizeBytes
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

/** What the server takes (it checks the content itself; this only saves a wasted upload). */
export const MAX_BYTES = 10 * 1024 * 1024;
export const MAX_FILES = 5;
export const ACCEPT = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png";

/** A code for a file that is plainly not a photo or a PDF, or too big; null when it may be. */
export function refusedBeforeSending(file: File): string | null {
  if (file.size === 0) return "ATTACHMENT_EMPTY";
  if (file.size > MAX_BYTES) return "ATTACHMENT_TOO_LARGE";
  const typeOk = ["application/pdf", "image/jpeg", "image/png"].includes(file.type);
  const nameOk = /\.(pdf|jpe?g|png)$/i.test(file.name);
  return typeOk || (!file.type && nameOk) ? null : "ATTACHMENT_TYPE_NOT_ALLOWED";
}

export type Uploaded = NonNullable<PortalUploadAttachmentMutation["uploadAttachment"]["attachment"]>;

/** Why an upload did not finish: an API code (the caller turns it into a sentence). */
export class UploadFailure extends Error {
  constructor(
    readonly code: string,
    readonly requestId?: string,
  ) {
    super(code);
  }
}

export interface UploadHandle {
  done: Promise<Uploaded>;
  abort: () => void;
}

const EARLY_REFRESH_MS = 20_000;

interface Body {
  data?: PortalUploadAttachmentMutation | null;
  errors?: { extensions?: { code?: string; requestId?: string } }[];
}

function sendOnce(session: SessionStore, file: File, onProgress: (fraction: number) => void, track: (xhr: XMLHttpRequest) => void): Promise<Body> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    track(xhr);
    xhr.open("POST", GRAPHQL_PATH);
    xhr.withCredentials = true;
    xhr.setRequestHeader(SESSION_HEADER, "cookie");
    xhr.setRequestHeader("X-Portico-CSRF", "1");
    if (session.tenant) xhr.setRequestHeader(TENANT_HEADER, session.tenant);
    const token = session.current?.accessToken;
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      try {
        resolve(JSON.parse(xhr.responseText) as Body);
      } catch {
        reject(new UploadFailure(xhr.status === 413 ? "ATTACHMENT_TOO_LARGE" : xhr.status === 503 ? "UNAVAILABLE" : "INTERNAL"));
      }
    };
    xhr.onerror = () => reject(new UploadFailure("NETWORK"));
    xhr.onabort = () => reject(new UploadFailure("ABORTED"));
    const form = new FormData();
    form.append("operations", JSON.stringify({ query: stringifyDocument(Upload), variables: { file: null } }));
    form.append("map", JSON.stringify({ "0": ["variables.file"] }));
    form.append("0", file, file.name);
    xhr.send(form);
  });
}

/** Starts uploading `file`; `onProgress` gets 0..1 as the bytes go out. */
export function uploadAttachment(session: SessionStore, file: File, onProgress: (fraction: number) => void): UploadHandle {
  let current: XMLHttpRequest | null = null;
  let aborted = false;
  const track = (xhr: XMLHttpRequest) => {
    current = xhr;
  };
  const run = async (): Promise<Uploaded> => {
    const state = session.current;
    if (state && state.accessExpiresAt - Date.now() < EARLY_REFRESH_MS) await session.refresh();
    let body = await sendOnce(session, file, onProgress, track);
    let code = body.errors?.[0]?.extensions?.code;
    if (code === "UNAUTHENTICATED" && !aborted && (await session.refresh())) {
      onProgress(0);
      body = await sendOnce(session, file, onProgress, track);
      code = body.errors?.[0]?.extensions?.code;
    }
    if (body.errors?.length || !body.data) throw new UploadFailure(code ?? "INTERNAL", body.errors?.[0]?.extensions?.requestId);
    const payload = body.data.uploadAttachment;
    const refused = payload.userErrors[0];
    if (refused) throw new UploadFailure(refused.code);
    if (!payload.attachment) throw new UploadFailure("INTERNAL");
    return payload.attachment;
  };
  return {
    done: run(),
    abort: () => {
      aborted = true;
      current?.abort();
    },
  };
}
