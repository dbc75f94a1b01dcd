//! The audit log as administrators read it (a page and an API), and [`record`], which services
//! call after a security-relevant action that has no store transaction of its own to join.
//! Limit changes, membership decisions and federation link changes are appended by the store
//! in the same transaction as the change itself.

pub mod api;
pub mod pages;

use crate::{AppError, AppState};
use distretto_domain::audit::{AuditEvent, AuditKind};
use uuid::Uuid;

pub use pages::router;

/// Appends `event` after the action it records has committed. A failure to append is logged as
/// an error and does not undo or fail the action: the caller already answered for it.
pub async fn record(state: &AppState, event: AuditEvent) {
    let kind = event.kind.code();
    if let Err(e) = distretto_store::audit::append(&state.db, event).await {
        tracing::error!(kind, error = %e, "could not append to the audit log");
    }
}

/// [`record`] of an event happening now.
pub async fn record_now(
    state: &AppState,
    kind: AuditKind,
    actor: Option<Uuid>,
    subject: String,
    detail: String,
) {
    record(
        state,
        AuditEvent::new(kind, actor, subject, detail, distretto_store::now()),
    )
    .await;
}

/// Only administrators read the audit log.
pub(crate) fn require_administrator(actor: &crate::auth::viewer::Actor) -> Result<(), AppError> {
    if actor.administers() {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// The kind filter of a query: empty is every kind, an unknown code is refused.
pub(crate) fn parse_kind(code: Option<&str>) -> Result<Option<AuditKind>, AppError> {
    match code.map(str::trim) {
        None | Some("") => Ok(None),
        Some(c) => AuditKind::parse(c)
            .map(Some)
            .ok_or_else(|| AppError::bad_request("audit_kind_unknown")),
    }
}
