//! Notifications: what a person should know (a proposal of their body in deliberation or
//! voting, a vote's result), on the platform (`/notifications`) and by e-mail once.

pub mod mail;
pub mod pages;
pub mod service;
