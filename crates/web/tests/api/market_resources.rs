//! Marketplace: shared resources and bookings (no double booking, fees through the ledger).
