//! Shared resources and their bookings as stored; the database refuses overlapping bookings.
