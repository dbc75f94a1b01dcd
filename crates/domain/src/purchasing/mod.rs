//! Solidarity purchasing: producers' catalogues, order cycles of purchasing groups, households'
//! orders, the close (whole packages, tolerances), delivery, settlement, seasonal subscriptions
//! (CSA) and food miles. Pure: the store reads and writes, these modules decide.
//!
//! Quantities are integer thousandths of the product's unit (`quantity_milli`: grams of a
//! kilogram product, millilitres of a litre product, thousandths of a piece), so a household
//! can order 1.5 kg and sums stay exact. Prices are minor units per whole unit.

pub mod allocation;
pub mod catalogue;
pub mod catalogue_csv;
pub mod close;
pub mod gdxp;
pub mod geo;
pub mod pricing;
pub mod subscription;

pub use catalogue::{Certification, Product, ProductDraft, Unit};
