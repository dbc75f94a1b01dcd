//! Democratic governance: bodies, proposals and their deliberation, votes (open or secret, in
//! person, for an organisation or by proxy), the close with its tally, and recounts.

pub mod api;
pub mod pages;
pub mod participation;
pub mod service;
