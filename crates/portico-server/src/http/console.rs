//! `/console/`: the staff, admin and operator console, a single-page app built by Vite into
//! `admin-ui/dist/` (its base is `/console/`). Release binaries carry a copy of that folder, so
//! they serve the console without Node.js or the source tree; `PORTICO_CONSOLE_DIR` serves
//! another folder instead. Hashed files under `assets/` are cached for a year; every other
//! path without a file of its own is a client-side route and gets `index.html`, revalidated
//! on every load so a new release is picked up at once.

use std::{borrow::Cow, path::PathBuf};

use axum::{
    body::Body,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};

use crate::state::AppState;

/// Where the console is served.
pub const PATH: &str = "/console";

/// `admin-ui/dist` as it was when this binary was built. In debug builds rust-embed reads the
/// folder at run time instead; a build without the folder (CI before the UI is built) has no
/// console and says so.
#[derive(rust_embed::Embed)]
#[folder = "../../admin-ui/dist/"]
#[allow_missing = true]
struct Embedded;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const NO_CACHE: &str = "no-cache";

/// Where the console's files come from, chosen once from the configuration.
#[derive(Clone, Debug)]
pub enum ConsoleFiles {
    /// The copy compiled into the binary (`admin-ui/dist`).
    Embedded,
    /// `PORTICO_CONSOLE_DIR`.
    Dir(PathBuf),
}

impl ConsoleFiles {
    pub fn new(dir: Option<&str>) -> Self {
        match dir.map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => Self::Dir(PathBuf::from(d)),
            None => Self::Embedded,
        }
    }

    /// The file at `path` (relative, `/`-separated), if there is one.
    async fn get(&self, path: &str) -> Option<Cow<'static, [u8]>> {
        // Plain names only: nothing may climb out of the folder.
        let safe = !path.is_empty()
            && !path.contains('\\')
            && path
                .split('/')
                .all(|s| !s.is_empty() && s != "." && s != "..");
        if !safe {
            return None;
        }
        match self {
            Self::Embedded => Embedded::get(path).map(|f| f.data),
            Self::Dir(dir) => {
                let file = dir.join(path);
                if !tokio::fs::metadata(&file).await.ok()?.is_file() {
                    return None;
                }
                tokio::fs::read(&file).await.ok().map(Cow::Owned)
            }
        }
    }
}

/// `/console` itself: the app's URLs all live under `/console/`.
pub async fn redirect() -> Redirect {
    Redirect::permanent("/console/")
}

/// `/console/`: the app.
pub async fn index(State(state): State<AppState>) -> Response {
    serve(&state.console, "").await
}

/// `/console/{*path}`: a file of the app, or the app for a client-side route.
pub async fn file(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    serve(&state.console, &path).await
}

async fn serve(files: &ConsoleFiles, path: &str) -> Response {
    let Some(index) = files.get("index.html").await else {
        return not_built();
    };
    if path.is_empty() || path == "index.html" {
        return html(index);
    }
    if let Some(bytes) = files.get(path).await {
        let cache = if path.starts_with("assets/") {
            IMMUTABLE
        } else {
            NO_CACHE
        };
        return with_headers(bytes, &content_type(path), cache);
    }
    // A missing bundle is a 404, never the page: a script tag would otherwise run HTML.
    if path.starts_with("assets/") {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    html(index)
}

fn html(index: Cow<'static, [u8]>) -> Response {
    with_headers(index, "text/html; charset=utf-8", NO_CACHE)
}

fn with_headers(bytes: Cow<'static, [u8]>, content_type: &str, cache: &'static str) -> Response {
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// The file's MIME type by its extension, UTF-8 for text.
fn content_type(path: &str) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let text = mime.type_() == mime_guess::mime::TEXT
        || matches!(
            mime.essence_str(),
            "application/javascript" | "application/json" | "image/svg+xml"
        );
    if text && mime.get_param(mime_guess::mime::CHARSET).is_none() {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.to_string()
    }
}

fn not_built() -> Response {
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        "The console is not built: run `make run`, which builds it.\n",
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_CACHE));
    response
}
