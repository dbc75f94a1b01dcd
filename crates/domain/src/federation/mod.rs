//! Federation: districts linked to each other without a central server (issue 9).
//!
//! - [`signature`]: how a district signs the requests it sends another district and checks the
//!   ones it receives (RFC 9421 HTTP Message Signatures with Ed25519, RFC 9530
//!   `Content-Digest`);
//! - [`clearing`]: the set-off of mutual debts between linked districts;
//! - [`invoice_clearing`]: the set-off of unpaid invoices between members of linked districts.

pub mod clearing;
pub mod invoice_clearing;
pub mod signature;
