//! `GET /api/v1/audit`: the audit log, newest first, for administrators.

use crate::api::ApiQuery;
use crate::auth::ApiCaller;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use distretto_store::audit::AuditRow;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// Query parameters of the log.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct AuditParams {
    /// Only entries of this kind (e.g. `sign_in_failed`, `limits_changed`).
    pub kind: Option<String>,
    /// Only entries before this sequence number (the previous page's `next_before`).
    pub before: Option<i64>,
    /// Entries per page, 1 to 200 (default 50).
    pub limit: Option<u32>,
}

/// One entry of the log.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEntryBody {
    /// Position in the log, from 1.
    pub seq: i64,
    /// What happened (a stable code).
    pub kind: String,
    /// The person who did it, when known.
    pub actor_id: Option<Uuid>,
    /// What it happened to, as `type:id`.
    pub subject: String,
    /// Codes and figures describing it.
    pub detail: String,
    /// The client address of the request, when over HTTP.
    pub client: Option<String>,
    /// When (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: time::OffsetDateTime,
    /// The entry's hash, chained to the previous entry's (hex).
    pub hash: String,
}

/// A page of the log.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// The entries, newest first.
    pub items: Vec<AuditEntryBody>,
    /// The `before` of the next (older) page, when there is one.
    pub next_before: Option<i64>,
}

fn body_of(r: AuditRow) -> AuditEntryBody {
    AuditEntryBody {
        seq: r.seq,
        kind: r.kind,
        actor_id: r.actor_id,
        subject: r.subject,
        detail: r.detail,
        client: r.client,
        at: r.at,
        hash: hex::encode(&r.hash),
    }
}

/// The audit log, newest first (administrators).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams), security(("bearer" = [])),
    responses((status = 200, body = AuditPage), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<Json<AuditPage>, AppError> {
    super::require_administrator(caller.actor()?)?;
    let kind = super::parse_kind(params.kind.as_deref())?;
    let limit = params.limit.unwrap_or(50);
    if !(1..=distretto_store::audit::MAX_PAGE_ROWS).contains(&limit) {
        return Err(AppError {
            field: Some("limit"),
            ..AppError::bad_request("audit_limit_out_of_range")
        });
    }
    let rows = distretto_store::audit::page(&state.db, kind, params.before, limit).await?;
    let next_before = (rows.len() == limit as usize)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    Ok(Json(AuditPage {
        items: rows.into_iter().map(body_of).collect(),
        next_before,
    }))
}
