//! The directory: search, profiles, edits, open data (CSV, Murmurations) — API and pages.

pub mod api;
pub mod pages;
pub mod service;
