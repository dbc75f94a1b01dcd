//! Marketplace: offers and needs. Pages under `/market`, the API under
//! `/api/v1/market/listings`, and the service both call.

pub mod api;
pub mod pages;
pub mod service;

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;

/// The page routes.
pub(crate) fn router() -> axum::Router<AppState> {
    pages::router()
}

/// The `/api/v1` routes.
pub(crate) fn api_router() -> OpenApiRouter<AppState> {
    api::router()
}
