#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! API and page tests over HTTP, each on SQLite and PostgreSQL.

mod api_authz;
mod audit;
mod clearing;
mod directory;
mod federation;
mod federation_clearing;
mod federation_directory;
mod federation_invoices;
mod federation_payments;
mod federation_schedule;
mod governance;
mod governance_authz;
mod governance_decisions;
mod governance_participation;
mod harness;
mod impact;
mod invoices;
mod ledger;
mod ledger_pages;
mod market_listings;
mod market_resources;
mod membership;
mod notifications;
mod pages;
mod pages_authz;
mod purchasing_catalogue;
mod purchasing_csa;
mod purchasing_cycles;
mod robustness;
