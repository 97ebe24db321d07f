// The urql client both apps use: the access token from the session on every request, one
// refresh when the server says UNAUTHENTICATED, and subscriptions over graphql-ws on the same
// origin (the token travels in `connection_init`).
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from "@urql/core";
import { authExchange } from "@urql/exchange-auth";
import { createClient as createWsClient } from "graphql-ws";
import type { SessionStore } from "./session";
import { GRAPHQL_PATH, SESSION_HEADER, TENANT_HEADER } from "./transport";

/** Refresh this long before the access token runs out rather than fail a request. */
const EARLY_REFRESH_MS = 20_000;

export function createPorticoClient(session: SessionStore): Client {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  const ws = createWsClient({
    // Browsers cannot set headers on a WebSocket: on a shared host the practice is named in
    // the URL (a slug, not a secret); the token travels in `connection_init`.
    url: `${scheme}//${window.location.host}${GRAPHQL_PATH}${session.tenant ? `?tenant=${encodeURIComponent(session.tenant)}` : ""}`,
    lazy: true,
    retryAttempts: Infinity,
    shouldRetry: () => session.current !== null,
    connectionParams: async () => {
      const state = session.current;
      if (state && state.accessExpiresAt - Date.now() < EARLY_REFRESH_MS) await session.refresh();
      const token = session.current?.accessToken;
      return {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      };
    },
  });

  return new Client({
    url: GRAPHQL_PATH,
    requestPolicy: "cache-and-network",
    fetchOptions: () => ({
      credentials: "same-origin",
      headers: {
        [SESSION_HEADER]: "cookie",
        ...(session.tenant ? { [TENANT_HEADER]: session.tenant } : {}),
      },
    }),
    exchanges: [
      cacheExchange,
      authExchange(async (utils) => ({
        addAuthToOperation(operation) {
          const token = session.current?.accessToken;
          return token ? utils.appendHeaders(operation, { Authorization: `Bearer ${token}` }) : operation;
        },
        willAuthError() {
          const state = session.current;
          return state !== null && state.accessExpiresAt - Date.now() < EARLY_REFRESH_MS;
        },
        didAuthError(error) {
          return error.graphQLErrors.some((e) => e.extensions?.code === "UNAUTHENTICATED");
        },
        async refreshAuth() {
          await session.refresh();
        },
      })),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}
