//! `/console/`: the staff, admin and operator console (`admin-ui`, built with the base
//! `/console/`).

use axum::{
    extract::{Path, State},
    response::{Redirect, Response},
};

use super::spa;
use crate::state::AppState;

/// Where the console is served.
pub const PATH: &str = "/console";

/// `/console` itself: the app's URLs all live under `/console/`.
pub async fn redirect() -> Redirect {
    Redirect::permanent("/console/")
}

/// `/console/`: the app.
pub async fn index(State(state): State<AppState>) -> Response {
    spa::serve(&state.console, "").await
}

/// `/console/{*path}`: a file of the app, or the app for a client-side route.
pub async fn file(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    spa::serve(&state.console, &path).await
}
