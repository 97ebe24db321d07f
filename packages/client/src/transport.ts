// One POST to /graphql outside urql: sign-in and refresh run before the client has a token,
// and must never loop through the client's own auth handling.
import { stringifyDocument } from "@urql/core";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";

export const GRAPHQL_PATH = "/graphql";
/** Asks the server to keep the refresh token in an HttpOnly cookie, never in the body. */
export const SESSION_HEADER = "X-Portico-Session";
export const TENANT_HEADER = "X-Portico-Tenant";

export interface GraphQLErrorShape {
  message: string;
  extensions?: { code?: string; requestId?: string; [key: string]: unknown };
}

export class ApiFailure extends Error {
  constructor(
    readonly code: string,
    readonly requestId: string | undefined,
  ) {
    super(code);
  }
}

export function baseHeaders(tenant: string | null, accessToken?: string | null): Record<string, string> {
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    [SESSION_HEADER]: "cookie",
  };
  if (tenant) headers[TENANT_HEADER] = tenant;
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  return headers;
}

/** Runs one operation; a GraphQL or network error becomes an `ApiFailure` with its code. */
export async function post<TData, TVariables>(
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  tenant: string | null,
  accessToken?: string | null,
): Promise<TData> {
  let response: Response;
  try {
    response = await fetch(GRAPHQL_PATH, {
      method: "POST",
      credentials: "same-origin",
      headers: baseHeaders(tenant, accessToken),
      body: JSON.stringify({ query: stringifyDocument(document), variables }),
    });
  } catch {
    throw new ApiFailure("NETWORK", undefined);
  }
  let body: { data?: TData | null; errors?: GraphQLErrorShape[] };
  try {
    body = await response.json();
  } catch {
    throw new ApiFailure(response.status === 503 ? "UNAVAILABLE" : "INTERNAL", undefined);
  }
  const first = body.errors?.[0];
  if (first || !body.data) {
    throw new ApiFailure(first?.extensions?.code ?? "INTERNAL", first?.extensions?.requestId);
  }
  return body.data;
}
