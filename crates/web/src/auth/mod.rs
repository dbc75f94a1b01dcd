//! Authentication: passwords, sessions, API tokens, sign-in throttling, and who is asking.

pub mod api;
pub mod crypto;
pub mod pages;
pub mod service;
pub mod viewer;

pub use viewer::{ApiCaller, Viewer};
