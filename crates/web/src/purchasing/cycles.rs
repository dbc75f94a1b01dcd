//! (being written)

use crate::AppState;

pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
