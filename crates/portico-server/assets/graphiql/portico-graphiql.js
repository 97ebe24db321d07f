// Starts GraphiQL on the page's #graphiql element. Everything it needs comes from the
// element's data attributes, so the page has no inline script and runs under
// `script-src 'self'`.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var endpoint = root.getAttribute("data-endpoint") || "/graphql";
  var tenant = root.getAttribute("data-tenant");
  var headers = {};
  if (tenant) {
    // Addresses requests to one practice (the demo practice under `make run`).
    headers["X-Portico-Tenant"] = tenant;
  }
  var http = new URL(endpoint, window.location.origin);
  var ws = new URL(endpoint, window.location.origin);
  ws.protocol = ws.protocol === "https:" ? "wss:" : "ws:";
  var fetcher = GraphiQL.createFetcher({
    url: http.toString(),
    subscriptionUrl: ws.toString(),
    headers: headers,
    fetch: function (url, options) {
      return window.fetch(url, Object.assign({}, options, { credentials: "same-origin" }));
    },
  });
  root.textContent = "";
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true })
  );
})();
