//! The pages of shared resources and bookings.

use crate::AppState;

/// The page routes.
pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
