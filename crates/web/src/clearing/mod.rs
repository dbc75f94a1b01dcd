//! Multilateral clearing on the web: rounds, consent, proposals, set-off notices and reports.
//! The algorithm lives in the domain; applying a round goes through the ledger writer.

pub mod coordination;
pub mod pages;
pub mod service;
