//! Mutual credit on the web: accounts, payments, payment requests, invoices, limits, the
//! coordinators' ledger view. The writer that posts transfers lives in the store.

pub mod api;
pub mod chart;
pub mod invoice_pages;
pub mod pages;
pub mod service;
