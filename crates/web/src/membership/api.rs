//! `/api/v1/applications`, member status decisions, the decision log and invitations.

use super::service::{self, ApplyInput};
use crate::api::{ApiId, ApiJson, ApiPath, ApiQuery, List};
use crate::auth::ApiCaller;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use distretto_store::membership::{ApplicationRow, ApplicationView, DecisionView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_application, list_applications))
        .routes(routes!(get_application))
        .routes(routes!(decide_application))
        .routes(routes!(organization_status))
        .routes(routes!(person_status))
        .routes(routes!(decision_log))
        .routes(routes!(create_invitation))
        .routes(routes!(accept_invitation))
}

/// An application to join.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Application {
    pub id: Uuid,
    pub person_id: Uuid,
    /// `individual`, `new_organization`, `existing_organization`.
    pub kind: String,
    pub organization_id: Option<Uuid>,
    pub message: String,
    /// `pending`, `admitted`, `rejected`.
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: time::OffsetDateTime,
}

impl From<ApplicationRow> for Application {
    fn from(a: ApplicationRow) -> Self {
        Self {
            id: a.id,
            person_id: a.person_id,
            kind: a.kind,
            organization_id: a.organization_id,
            message: a.message,
            status: a.status,
            created_at: a.created_at,
        }
    }
}

impl From<ApplicationView> for Application {
    fn from(a: ApplicationView) -> Self {
        Self {
            id: a.id,
            person_id: a.person_id,
            kind: a.kind,
            organization_id: a.organization_id,
            message: a.message,
            status: a.status,
            created_at: a.created_at,
        }
    }
}

/// Apply to join the district: as an individual, with a new organisation, or into an existing one.
#[utoipa::path(post, path = "/api/v1/applications", tag = "membership", request_body = ApplyInput, security(("bearer" = [])),
    responses((status = 201, body = Application), (status = 401, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_application(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<ApplyInput>,
) -> Result<(StatusCode, Json<Application>), AppError> {
    let app = service::apply(&state, caller.actor()?, &input).await?;
    Ok((StatusCode::CREATED, Json(app.into())))
}

/// Application list parameters.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationParams {
    /// `pending`, `admitted` or `rejected`.
    pub status: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u64>,
}

/// Parses `limit`/`offset` as the CONTRACT allows.
pub(crate) fn page(limit: Option<u32>, offset: Option<u64>) -> Result<(u32, u64), AppError> {
    let limit = limit.unwrap_or(50);
    if limit == 0 || limit > 500 {
        return Err(AppError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_limit",
            field: Some("limit"),
        });
    }
    let offset = offset.unwrap_or(0);
    if offset > 10_000_000 {
        return Err(AppError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_offset",
            field: Some("offset"),
        });
    }
    Ok((limit, offset))
}

/// Applications: coordinators see everyone's, others their own.
#[utoipa::path(get, path = "/api/v1/applications", tag = "membership", params(ApplicationParams), security(("bearer" = [])),
    responses((status = 200, body = List<Application>), (status = 401, body = crate::error::ErrorBody)))]
async fn list_applications(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(p): ApiQuery<ApplicationParams>,
) -> Result<Json<List<Application>>, AppError> {
    let actor = caller.actor()?;
    let (limit, offset) = page(p.limit, p.offset)?;
    let status = match p.status.as_deref() {
        None | Some("") => None,
        Some(s @ ("pending" | "admitted" | "rejected")) => Some(s),
        Some(_) => {
            return Err(AppError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_status",
                field: Some("status"),
            });
        }
    };
    let only = (!actor.coordinates()).then_some(actor.id);
    let (items, total) =
        distretto_store::membership::applications(&state.db, status, only, limit, offset).await?;
    Ok(Json(List {
        items: items.into_iter().map(Into::into).collect(),
        total,
    }))
}

/// One application: its applicant and coordinators.
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "membership", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Application), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn get_application(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<Application>, AppError> {
    let actor = caller.actor()?;
    let app = distretto_store::membership::application(&state.db, id).await?;
    if app.person_id != actor.id && !actor.coordinates() {
        // Someone else's application is answered as absent, so ids cannot be probed.
        return Err(AppError::not_found());
    }
    Ok(Json(app.into()))
}

/// A coordinator's decision.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct DecisionInput {
    /// `admit` or `reject` for applications; `suspend` or `reinstate` for members.
    pub decision: String,
    /// Why (required, logged).
    pub reason: String,
}

/// Admit or reject a pending application (coordinators).
#[utoipa::path(post, path = "/api/v1/applications/{id}/decision", tag = "membership", params(("id" = Uuid, Path)), request_body = DecisionInput, security(("bearer" = [])),
    responses((status = 200, body = Application), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn decide_application(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    ApiJson(d): ApiJson<DecisionInput>,
) -> Result<Json<Application>, AppError> {
    let decision = service::parse_decision(&d.decision)?;
    Ok(Json(
        service::decide(&state, caller.actor()?, id, decision, &d.reason)
            .await?
            .into(),
    ))
}

/// Suspend or reinstate an organisation (coordinators).
#[utoipa::path(post, path = "/api/v1/organizations/{id}/status", tag = "membership", params(("id" = Uuid, Path)), request_body = DecisionInput, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn organization_status(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    ApiJson(d): ApiJson<DecisionInput>,
) -> Result<StatusCode, AppError> {
    let decision = service::parse_decision(&d.decision)?;
    service::set_organization_status(&state, caller.actor()?, id, decision, &d.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Suspend or reinstate a person (coordinators).
#[utoipa::path(post, path = "/api/v1/people/{id}/status", tag = "membership", params(("id" = Uuid, Path)), request_body = DecisionInput, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn person_status(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    ApiJson(d): ApiJson<DecisionInput>,
) -> Result<StatusCode, AppError> {
    let decision = service::parse_decision(&d.decision)?;
    service::set_person_status(&state, caller.actor()?, id, decision, &d.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One logged decision.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct LoggedDecision {
    pub id: Uuid,
    /// `person` or `organization`.
    pub subject_kind: String,
    pub subject_id: Uuid,
    pub subject_name: Option<String>,
    /// `admit`, `reject`, `suspend`, `reinstate`.
    pub decision: String,
    pub reason: String,
    pub decided_by: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub decided_at: time::OffsetDateTime,
}

impl From<DecisionView> for LoggedDecision {
    fn from(d: DecisionView) -> Self {
        Self {
            id: d.id,
            subject_kind: d.subject_kind,
            subject_id: d.subject_id,
            subject_name: d.subject_name,
            decision: d.decision,
            reason: d.reason,
            decided_by: d.decided_by_name,
            decided_at: d.decided_at,
        }
    }
}

/// Page parameters.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u64>,
}

/// The log of admissions, rejections, suspensions and reinstatements (coordinators).
#[utoipa::path(get, path = "/api/v1/membership-decisions", tag = "membership", params(PageParams), security(("bearer" = [])),
    responses((status = 200, body = List<LoggedDecision>), (status = 403, body = crate::error::ErrorBody)))]
async fn decision_log(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<Json<List<LoggedDecision>>, AppError> {
    if !caller.actor()?.coordinates() {
        return Err(AppError::forbidden());
    }
    let (limit, offset) = page(p.limit, p.offset)?;
    let (items, total) = distretto_store::membership::decisions(&state.db, limit, offset).await?;
    Ok(Json(List {
        items: items.into_iter().map(Into::into).collect(),
        total,
    }))
}

/// A new invitation link.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Invitation {
    /// The secret token.
    pub token: String,
    /// The link to share.
    pub url: String,
}

/// Invite a colleague into an organisation (its admins and coordinators).
#[utoipa::path(post, path = "/api/v1/organizations/{id}/invitations", tag = "membership", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 201, body = Invitation), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn create_invitation(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<(StatusCode, Json<Invitation>), AppError> {
    let token = service::invite(&state, caller.actor()?, id).await?;
    let url = format!(
        "{}/invitations/{token}",
        state.config.public_url.trim_end_matches('/')
    );
    Ok((StatusCode::CREATED, Json(Invitation { token, url })))
}

/// The organisation joined.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Joined {
    /// Organisation id.
    pub organization_id: Uuid,
}

/// Accept an invitation and join its organisation.
#[utoipa::path(post, path = "/api/v1/invitations/{token}/accept", tag = "membership", params(("token" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Joined), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 410, body = crate::error::ErrorBody)))]
async fn accept_invitation(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(token): ApiPath<String>,
) -> Result<Json<Joined>, AppError> {
    let actor = caller.actor()?;
    if token.len() != 64 {
        return Err(AppError::not_found());
    }
    Ok(Json(Joined {
        organization_id: service::accept_invitation(&state, actor, &token).await?,
    }))
}
