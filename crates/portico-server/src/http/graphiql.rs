//! `/graphiql`: the page and everything it loads, compiled into the binary, so GraphiQL works
//! without internet access and under a strict Content-Security-Policy (no inline script; its
//! settings travel in data attributes read by `portico-graphiql.js`).

use axum::{
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};

use crate::state::AppState;

/// The vendored GraphiQL release (see `assets/graphiql/4.1.2/README.md`). Its files never
/// change under one version, so browsers may keep them for a year.
pub const VERSION: &str = "4.1.2";

/// Where the vendored files are served.
pub const ASSETS_PATH: &str = "/graphiql/assets";

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The vendored files: name, content type, bytes.
const VENDORED: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        JS,
        include_bytes!("../../assets/graphiql/4.1.2/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        CSS,
        include_bytes!("../../assets/graphiql/4.1.2/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        JS,
        include_bytes!("../../assets/graphiql/4.1.2/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        JS,
        include_bytes!("../../assets/graphiql/4.1.2/react-dom.production.min.js"),
    ),
];

/// Portico's own start-up script and page style: small and revalidated on every load, so a
/// new Portico release is picked up at once.
const OWN: &[(&str, &str, &[u8])] = &[
    (
        "portico-graphiql.js",
        JS,
        include_bytes!("../../assets/graphiql/portico-graphiql.js"),
    ),
    (
        "portico-graphiql.css",
        CSS,
        include_bytes!("../../assets/graphiql/portico-graphiql.css"),
    ),
];

/// The page; with `demo`, GraphiQL addresses its requests to the demo practice.
pub fn page(demo: bool) -> String {
    let tenant = if demo {
        format!(" data-tenant=\"{}\"", portico_core::demo::DEMO_SLUG)
    } else {
        String::new()
    };
    let v = format!("{ASSETS_PATH}/{VERSION}");
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="robots" content="noindex">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Portico GraphiQL</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="{v}/graphiql.min.css">
    <link rel="stylesheet" href="/graphiql/portico-graphiql.css">
    <script defer src="{v}/react.production.min.js"></script>
    <script defer src="{v}/react-dom.production.min.js"></script>
    <script defer src="{v}/graphiql.min.js"></script>
    <script defer src="/graphiql/portico-graphiql.js"></script>
  </head>
  <body>
    <div id="graphiql" data-endpoint="/graphql"{tenant}>Loading...</div>
  </body>
</html>
"#
    )
}

pub async fn graphiql(State(state): State<AppState>) -> Html<String> {
    Html(state.graphiql.to_string())
}

/// A vendored file under `/graphiql/assets/{version}/{name}`.
pub async fn vendored(Path((version, name)): Path<(String, String)>) -> Response {
    let found = VENDORED.iter().find(|(n, _, _)| *n == name);
    match found {
        Some((_, content_type, bytes)) if version == VERSION => {
            asset(content_type, bytes, "public, max-age=31536000, immutable")
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Portico's own file under `/graphiql/{name}`.
pub async fn own(Path(name): Path<String>) -> Response {
    match OWN.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, bytes)) => asset(content_type, bytes, "no-cache"),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn asset(content_type: &'static str, bytes: &'static [u8], cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_page_names_the_demo_practice_and_has_no_inline_script() {
        let demo = page(true);
        assert!(demo.contains(&format!(
            "data-tenant=\"{}\"",
            portico_core::demo::DEMO_SLUG
        )));
        assert!(!page(false).contains("data-tenant"));
        assert!(!demo.contains("<script>") && !demo.contains("http"));
    }
}
