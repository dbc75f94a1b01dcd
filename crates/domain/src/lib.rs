//! Distretto's pure rules and types: no I/O, deterministic, property-tested.
//!
//! One module per capability, named as in the glossary of DESIGN.md.

pub mod audit;
pub mod clearing;
pub mod demo;
pub mod directory;
pub mod federation;
pub mod governance;
pub mod impact;
pub mod ledger;
pub mod market;
pub mod membership;
pub mod purchasing;
pub mod text;

/// A validation failure at the edge, carrying the stable code that is also the Fluent message id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {field}")]
pub struct Invalid {
    /// Stable snake_case error code (also the Fluent message id shown to users).
    pub code: &'static str,
    /// The input field that was rejected.
    pub field: &'static str,
}

impl Invalid {
    /// A rejection of `field` for reason `code`.
    pub const fn new(code: &'static str, field: &'static str) -> Self {
        Self { code, field }
    }
}
