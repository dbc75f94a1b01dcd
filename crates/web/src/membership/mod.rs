//! Joining the district: applications, coordinators' decisions, suspensions and invitations.

pub mod api;
pub mod pages;
pub mod service;
