// Sends a CSV file of patients to `previewPatientImport` as a GraphQL multipart request
// (urql sends no files): the client's headers, the CSRF header a multipart POST needs, and
// one retry after refreshing an expired access token.
import { graphql, GRAPHQL_PATH, SESSION_HEADER, TENANT_HEADER, type SessionStore } from "@portico/client";
import type { PreviewPatientImportMutation } from "@portico/client/gql/graphql";
import { stringifyDocument } from "urql";

export const Preview = graphql(`
  mutation PreviewPatientImport($file: Upload!) {
    previewPatientImport(file: $file) {
      patientImport {
        ...ImportFields
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const ImportFields = graphql(`
  fragment ImportFields on PatientImport {
    id
    fileName
    status
    rowsTotal
    rowsDone
    newCharts
    alreadyHere
    errorRows
    created
    skipped
    failure
    problems {
      line
      field
      code
      severity
      message
    }
    problemCounts {
      code
      count
    }
  }
`);

/** The server's limit (16 MiB); checked here only to save a wasted upload. */
export const MAX_BYTES = 16 * 1024 * 1024;

export interface PreviewBody {
  data?: PreviewPatientImportMutation | null;
  errors?: { extensions?: { code?: string; requestId?: string } }[];
}

async function sendOnce(session: SessionStore, file: File): Promise<PreviewBody> {
  const form = new FormData();
  form.append("operations", JSON.stringify({ query: stringifyDocument(Preview), variables: { file: null } }));
  form.append("map", JSON.stringify({ "0": ["variables.file"] }));
  form.append("0", file, file.name);
  const headers: Record<string, string> = { [SESSION_HEADER]: "cookie", "X-Portico-CSRF": "1" };
  if (session.tenant) headers[TENANT_HEADER] = session.tenant;
  const token = session.current?.accessToken;
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(GRAPHQL_PATH, { method: "POST", body: form, headers, credentials: "include" });
  try {
    return (await res.json()) as PreviewBody;
  } catch {
    return { errors: [{ extensions: { code: res.status === 413 ? "REQUEST_TOO_LARGE" : "INTERNAL" } }] };
  }
}

/** Uploads `file` for its preview. */
export async function previewImport(session: SessionStore, file: File): Promise<PreviewBody> {
  let body = await sendOnce(session, file);
  if (body.errors?.[0]?.extensions?.code === "UNAUTHENTICATED" && (await session.refresh())) {
    body = await sendOnce(session, file);
  }
  return body;
}
