//! Solidarity purchasing on the web: producers' catalogues and groups' pickup points
//! ([`catalogue`]), order cycles from opening to settlement ([`cycles`]), and seasonal
//! subscriptions ([`csa`]). The rules live in the domain; settlement and instalments go through
//! the ledger writer.

pub mod catalogue;
pub mod csa;
pub mod cycles;
pub mod service;

use crate::AppState;

/// Every purchasing page.
pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .merge(catalogue::router())
        .merge(cycles::router())
        .merge(csa::router())
}
