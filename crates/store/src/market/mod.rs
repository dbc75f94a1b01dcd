//! Marketplace and sharing: offers and needs, and shared resources with their bookings.

pub mod listings;
pub mod resources;
