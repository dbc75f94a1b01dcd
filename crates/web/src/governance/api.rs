//! `/api/v1/governance`: proposals with their results, casting a ballot, and the published
//! ballots anyone may recount.

use super::service;
use crate::api::{ApiId, ApiJson, List};
use crate::auth::ApiCaller;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use distretto_domain::governance::Choice;
use distretto_store::governance::{self as store, ProposalRow};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// Proposals a list answers.
const LISTED: i64 = 100;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_proposals))
        .routes(routes!(get_proposal))
        .routes(routes!(cast_ballot, published_ballots))
}

/// A proposal and, once closed, its result.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Proposal {
    pub id: Uuid,
    pub body: Uuid,
    pub number: i64,
    pub title: String,
    pub text: String,
    /// `draft`, `deliberation`, `voting`, `closed` or `withdrawn`.
    pub status: String,
    /// `majority`, `consent`, `approval`, `score`, `schulze`, `instant_runoff`, `equal_shares`.
    pub method: String,
    pub options: Vec<String>,
    pub secret: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closes_at: Option<String>,
    /// `passed`, `rejected`, `blocked`, `elected`, `no_quorum` or `tie`, once closed.
    pub outcome: Option<String>,
    /// The whole tally (per option, turnout per college, objections…), once closed.
    #[schema(value_type = Option<Object>)]
    pub tally: Option<serde_json::Value>,
}

fn proposal_json(p: ProposalRow) -> Proposal {
    let options = service::options_of(&p);
    Proposal {
        id: p.id,
        body: p.body_id,
        number: p.number,
        title: p.title,
        text: p.text,
        status: p.status,
        method: p.method,
        options,
        secret: p.secret,
        closes_at: p.closes_at.and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        }),
        outcome: p.outcome,
        tally: p
            .tally
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok()),
    }
}

/// The latest proposals of every body.
#[utoipa::path(get, path = "/api/v1/governance/proposals", tag = "governance", security(("bearer" = [])),
    responses((status = 200, body = List<Proposal>), (status = 401, body = crate::error::ErrorBody)))]
async fn list_proposals(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<List<Proposal>>, AppError> {
    caller.actor()?;
    let rows = store::proposals(&state.db, None, LISTED).await?;
    let total = i64::try_from(rows.len()).unwrap_or(LISTED);
    Ok(Json(List {
        items: rows.into_iter().map(proposal_json).collect(),
        total,
    }))
}

/// One proposal with its result.
#[utoipa::path(get, path = "/api/v1/governance/proposals/{id}", tag = "governance", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Proposal), (status = 404, body = crate::error::ErrorBody)))]
async fn get_proposal(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<Proposal>, AppError> {
    caller.actor()?;
    Ok(Json(proposal_json(store::proposal(&state.db, id).await?)))
}

/// A ballot: for whom (the caller by default; an organisation they represent; a voter whose
/// proxy they hold) and the choice, as the method wants it: `{"majority":"yes"}`,
/// `{"consent":{"object":{"reason":"…"}}}`, `{"approval":[0,2]}`, `{"score":[5,3]}`,
/// `{"ranked":[2,0,1]}`.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BallotInput {
    pub voter: Option<Uuid>,
    #[schema(value_type = Object)]
    pub choice: serde_json::Value,
}

/// What casting gave: a secret ballot's receipt code, and whether an open ballot replaced an
/// earlier one.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Voted {
    pub receipt: Option<String>,
    pub replaced: bool,
}

/// Casts a ballot; one counts per voter (an open ballot replaces the voter's earlier one).
#[utoipa::path(post, path = "/api/v1/governance/proposals/{id}/ballots", tag = "governance", params(("id" = Uuid, Path)), request_body = BallotInput, security(("bearer" = [])),
    responses((status = 201, body = Voted), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn cast_ballot(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    ApiJson(input): ApiJson<BallotInput>,
) -> Result<(StatusCode, Json<Voted>), AppError> {
    let actor = caller.actor()?;
    let choice: Choice = serde_json::from_value(input.choice).map_err(|_| AppError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "governance_choice_wrong_method",
        field: Some("choice"),
    })?;
    let voted = service::vote(&state, actor, id, input.voter.unwrap_or(actor.id), &choice).await?;
    Ok((
        StatusCode::CREATED,
        Json(Voted {
            receipt: voted.receipt,
            replaced: voted.replaced,
        }),
    ))
}

/// A published ballot: a secret one has its receipt and no voter; an open one its voter.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PublishedBallot {
    pub receipt: Option<String>,
    pub voter: Option<Uuid>,
    /// The voter's college number (0 without colleges).
    pub college: i32,
    #[schema(value_type = Object)]
    pub choice: serde_json::Value,
}

/// The counted ballots of a closed proposal, for anyone to recount.
#[utoipa::path(get, path = "/api/v1/governance/proposals/{id}/ballots", tag = "governance", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = List<PublishedBallot>), (status = 409, body = crate::error::ErrorBody)))]
async fn published_ballots(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<List<PublishedBallot>>, AppError> {
    caller.actor()?;
    let p = store::proposal(&state.db, id).await?;
    if p.status != "closed" {
        return Err(AppError::conflict("governance_not_closed"));
    }
    let choice = |c: &str| serde_json::from_str(c).unwrap_or(serde_json::Value::Null);
    let items: Vec<PublishedBallot> = if p.secret {
        store::secret_ballots(&state.db, id)
            .await?
            .into_iter()
            .map(|b| PublishedBallot {
                receipt: Some(b.receipt),
                voter: None,
                college: b.college,
                choice: choice(&b.choice),
            })
            .collect()
    } else {
        store::open_ballots(&state.db, id)
            .await?
            .into_iter()
            .map(|b| PublishedBallot {
                receipt: None,
                voter: Some(b.voter_id),
                college: b.college,
                choice: choice(&b.choice),
            })
            .collect()
    };
    let total = i64::try_from(items.len()).unwrap_or(i64::MAX);
    Ok(Json(List { items, total }))
}
