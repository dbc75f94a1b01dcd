//! Federation between districts (issue 9), so far: each district's identity and signing key,
//! links between districts approved on both sides, and the signed inbox through which
//! districts tell each other about their links; searching the directories and marketplaces of
//! linked districts; payments and invoices between members of linked districts; clearing
//! rounds that set off the debts between linked districts.

pub(crate) mod api;
pub mod clearing;
mod clearing_api;
mod client;
pub mod directory;
mod directory_api;
mod invoice_pages;
pub mod invoices;
mod invoices_api;
mod pages;
pub mod payments;
pub(crate) mod payments_api;
pub mod schedule;
pub mod service;

/// The federation page's routes.
pub(crate) fn router() -> axum::Router<crate::AppState> {
    pages::router().merge(invoice_pages::router())
}
