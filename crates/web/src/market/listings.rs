//! Marketplace: listings pages and API.

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;

/// The page routes.
pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new()
}

/// The `/api/v1` routes.
pub(crate) fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
