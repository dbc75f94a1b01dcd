//! Federation: districts linked to each other without a central server (issue 9).
//!
//! So far: how a district signs the requests it sends another district and checks the ones it
//! receives ([`signature`]: RFC 9421 HTTP Message Signatures with Ed25519, RFC 9530
//! `Content-Digest`).

pub mod signature;
