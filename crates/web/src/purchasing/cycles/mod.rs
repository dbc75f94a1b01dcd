//! Order cycles on the web: a group's admins open a cycle with producers, products and pickup
//! points; households order from a phone until the close; at the close every product is
//! rounded to whole packages; then purchase orders, distribution lists, delivery and
//! settlement. Producers see their orders across every group.

pub mod manage;
pub mod order;
pub mod service;

use crate::AppState;

pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .merge(order::router())
        .merge(manage::router())
}
