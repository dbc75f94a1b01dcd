//! Marketplace: shared resources (van, tractor, cold room, kitchen, hall) and their bookings,
//! as pages (`/market/resources`, `/market/bookings`) and API (`/api/v1/market`).

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
