//! Marketplace and sharing: offers and needs members publish, their matching, and shared
//! resources members book.

pub mod listing;
pub mod resource;
