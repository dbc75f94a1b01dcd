//! Shared resources (van, tractor, cold room, kitchen, hall): availability, fees, bookings.
