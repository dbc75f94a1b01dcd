//! The home page: the district at a glance.

use super::{Chrome, render};
use crate::auth::Viewer;
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use distretto_store::directory::OrganizationSummary;
use distretto_store::membership::DecisionView;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    c: Chrome,
    organizations: i64,
    workers_fte: String,
    by_kind: Vec<(String, i64)>,
    recent: Vec<OrganizationSummary>,
    admissions: Vec<DecisionView>,
    tiles: String,
    attribution: String,
}

pub(super) async fn home(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, AppError> {
    let (organizations, fte) = distretto_store::directory::totals(&state.db).await?;
    let by_kind = distretto_store::directory::count_by_kind(&state.db).await?;
    let recent = distretto_store::directory::recent(&state.db, 8).await?;
    let admissions = distretto_store::membership::recent_admissions(&state.db, 8).await?;
    Ok(render(&Home {
        c: Chrome::new(&state, &viewer, "/"),
        organizations,
        workers_fte: distretto_domain::directory::WorkersFte(fte).to_string(),
        by_kind,
        recent,
        admissions,
        tiles: state.config.tile_url.clone(),
        attribution: state.config.tile_attribution.clone(),
    }))
}
