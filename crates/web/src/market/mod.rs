//! Marketplace and sharing: offers and needs (`/market`), shared resources and bookings
//! (`/market/resources`).

pub mod listings;
pub mod resources;
