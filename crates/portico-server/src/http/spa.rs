//! The two web apps, each a single-page app built by Vite: the console (`admin-ui/dist/`) and
//! the patient portal (`portal-ui/dist/`). Release binaries carry a copy of each folder, so
//! they serve both without Node.js or the source tree; `PORTICO_CONSOLE_DIR` and
//! `PORTICO_PORTAL_DIR` serve other folders instead. Hashed files under `assets/` are cached
//! for a year; every other path without a file of its own is a client-side route and gets
//! `index.html`, revalidated on every load so a new release is picked up at once.

use std::{borrow::Cow, path::PathBuf};

use axum::{
    body::Body,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

/// `admin-ui/dist` as it was when this binary was built. In debug builds rust-embed reads the
/// folder at run time instead; a build without the folder (CI before the UI is built) has no
/// console and says so.
#[derive(rust_embed::Embed)]
#[folder = "../../admin-ui/dist/"]
#[allow_missing = true]
struct ConsoleBuild;

/// `portal-ui/dist`, likewise.
#[derive(rust_embed::Embed)]
#[folder = "../../portal-ui/dist/"]
#[allow_missing = true]
struct PortalBuild;

/// Which of the two apps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum App {
    Console,
    Portal,
}

impl App {
    fn name(self) -> &'static str {
        match self {
            App::Console => "console",
            App::Portal => "patient portal",
        }
    }
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const NO_CACHE: &str = "no-cache";

/// Where an app's files come from, chosen once from the configuration.
#[derive(Clone, Debug)]
pub enum SpaFiles {
    /// The copy compiled into the binary (`admin-ui/dist` or `portal-ui/dist`).
    Embedded(App),
    /// `PORTICO_CONSOLE_DIR` or `PORTICO_PORTAL_DIR`.
    Dir(App, PathBuf),
}

impl SpaFiles {
    pub fn new(app: App, dir: Option<&str>) -> Self {
        match dir.map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => Self::Dir(app, PathBuf::from(d)),
            None => Self::Embedded(app),
        }
    }

    fn app(&self) -> App {
        match self {
            Self::Embedded(app) | Self::Dir(app, _) => *app,
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
            Self::Embedded(App::Console) => ConsoleBuild::get(path).map(|f| f.data),
            Self::Embedded(App::Portal) => PortalBuild::get(path).map(|f| f.data),
            Self::Dir(_, dir) => {
                let file = dir.join(path);
                if !tokio::fs::metadata(&file).await.ok()?.is_file() {
                    return None;
                }
                tokio::fs::read(&file).await.ok().map(Cow::Owned)
            }
        }
    }
}

/// The file at `path`, or the app's page for a client-side route.
pub async fn serve(files: &SpaFiles, path: &str) -> Response {
    let Some(index) = files.get("index.html").await else {
        return not_built(files.app());
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

/// The file at `path`, or 404: for asset folders, where the page would be wrong.
pub async fn serve_file(files: &SpaFiles, path: &str) -> Response {
    match files.get(path).await {
        Some(bytes) => {
            let cache = if path.starts_with("assets/") {
                IMMUTABLE
            } else {
                NO_CACHE
            };
            with_headers(bytes, &content_type(path), cache)
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
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

fn not_built(app: App) -> Response {
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "The {} is not built: run `make run`, which builds it.\n",
            app.name()
        ),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_CACHE));
    response
}
