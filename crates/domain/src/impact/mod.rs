//! Impact and planning: what the district changes, measured from its real flows, and what it
//! could change (relocalisation scenarios).
//!
//! Every figure here is computed from plain inputs (flows between parties, deliveries, surveys),
//! so the store feeds the same functions whether it reads the journal from scratch or the
//! incrementally maintained aggregates.

pub mod food;
pub mod io;
pub mod lm3;
pub mod period;
pub mod planning;
pub mod privacy;
pub mod report;
pub mod shape;
pub mod trade;
