//! Impact and planning: the indicators of the district from its real flows, on a public
//! dashboard, a print-ready annual report, open data (JSON and CSV) and each member's own
//! page; the survey of spending outside the ledger; gap analysis and relocalisation scenarios.

pub mod api;
pub mod charts;
pub mod indicators;
pub mod pages;
pub mod planning;
pub mod service;

pub(crate) fn router() -> axum::Router<crate::AppState> {
    pages::router().merge(planning::router())
}
