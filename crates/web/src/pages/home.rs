//! The home page: the district at a glance.

use super::{Chrome, render};
use crate::auth::Viewer;
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::State;
use axum::response::Response;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    c: Chrome,
    glance: std::sync::Arc<crate::directory::service::Glance>,
    workers_fte: String,
    tiles: String,
    attribution: String,
}

pub(super) async fn home(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, AppError> {
    let glance = crate::directory::service::glance(&state).await?;
    Ok(render(&Home {
        c: Chrome::new(&state, &viewer, "/"),
        workers_fte: distretto_domain::directory::WorkersFte(glance.workers_fte_hundredths)
            .to_string(),
        glance,
        tiles: state.config.tile_url.clone(),
        attribution: state.config.tile_attribution.clone(),
    }))
}
