//! `/api/v1/federation/clearings`: coordinators start a clearing round between linked
//! districts and read the rounds this district took part in.

use super::clearing;
use crate::api::{ApiId, ApiJson, ApiQuery, List};
use crate::auth::ApiCaller;
use crate::auth::viewer::Actor;
use crate::membership::api::page;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use distretto_domain::federation::clearing::Plan;
use distretto_store::federation::clearings::{self as store, ClearingRow};
use time::format_description::well_known::Rfc3339;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, start))
        .routes(routes!(one))
        .routes(routes!(schedule, propose_schedule))
}

/// A link's clearing schedule as both coordinators proposed it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Schedule {
    pub link: Uuid,
    /// Days between rounds this district's coordinator proposed (0: none).
    pub ours_days: i32,
    /// Days between rounds the other district's coordinator proposed (0: none).
    pub theirs_days: i32,
    /// The period both agree, if they do.
    pub agreed_days: Option<i32>,
    /// Whether this district starts the scheduled rounds of the link (its address sorts
    /// first).
    pub starts_rounds: bool,
}

/// A coordinator's proposal.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    /// Days between rounds, 0 to 366 (0: none).
    pub every_days: i64,
}

async fn schedule_of(state: &AppState, id: Uuid) -> Result<Schedule, AppError> {
    let link = distretto_store::federation::link(&state.db, id).await?;
    let row = distretto_store::federation::schedules::get(&state.db, id).await?;
    Ok(Schedule {
        link: id,
        ours_days: row.ours_days,
        theirs_days: row.theirs_days,
        agreed_days: row.agreed_days(),
        starts_rounds: super::schedule::leads(state, &link),
    })
}

/// A link's clearing schedule (coordinators).
#[utoipa::path(get, path = "/api/v1/federation/links/{id}/clearing-schedule", tag = "federation", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Schedule), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn schedule(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<Schedule>, AppError> {
    coordinator(&caller)?;
    Ok(Json(schedule_of(&state, id).await?))
}

/// Propose how many days apart clearing rounds with a linked district should be (0: none).
/// The other district is told first and answers with its own proposal; the period is agreed
/// when both proposed the same, and the district whose address sorts first then starts a
/// round every so many days. 503 `federation_unreachable` when it does not answer: nothing
/// changed.
#[utoipa::path(post, path = "/api/v1/federation/links/{id}/clearing-schedule", tag = "federation", params(("id" = Uuid, Path)), request_body = ScheduleInput, security(("bearer" = [])),
    responses((status = 200, body = Schedule), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody)))]
async fn propose_schedule(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    ApiJson(input): ApiJson<ScheduleInput>,
) -> Result<Json<Schedule>, AppError> {
    super::schedule::propose(&state, caller.actor()?, id, input.every_days).await?;
    Ok(Json(schedule_of(&state, id).await?))
}

/// A debt between two districts that a round set off (in part).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Debt {
    /// The district that owed (its address).
    pub debtor: String,
    /// The district owed.
    pub creditor: String,
    /// What it owed before the round, in minor units.
    pub owed_minor: i64,
    /// What the round set off.
    pub set_off_minor: i64,
}

/// An invoice between members of two districts that a round set off (in part).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct InvoiceSetOff {
    /// The invoice's id (the same in both districts).
    pub invoice: String,
    /// The debtor's district (its address).
    pub debtor: String,
    /// The creditor's district.
    pub creditor: String,
    /// What remained before the round, in the creditor's minor units.
    pub owed_minor: i64,
    /// What the round set off.
    pub set_off_minor: i64,
}

/// A transfer of this district's part: between two linked districts' mirror accounts.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ClearingLeg {
    /// The mirror account that pays (the district this one owed less to afterwards).
    pub from_account: Uuid,
    /// The mirror account paid (the district that owed this one less afterwards).
    pub to_account: Uuid,
    pub amount_minor: i64,
    /// The posted transfer, once committed.
    pub transfer: Option<Uuid>,
}

/// What another district answered the round this district started.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ClearingParty {
    pub link: Uuid,
    /// `asked`, `prepared` or `refused`.
    pub answer: String,
    pub refusal: Option<String>,
    /// Whether it acknowledged the outcome.
    pub told: bool,
}

/// This district's side of a clearing round between districts.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Clearing {
    pub id: Uuid,
    /// `held` (waiting for every district), `committed`, `aborted` or `refused`.
    pub status: String,
    /// Whether this district started it (else: the link to the district that did).
    pub started_here: bool,
    pub initiator_link: Option<Uuid>,
    /// The sum of every debt and invoice set off, across all the round's districts, in minor
    /// units.
    pub set_off_minor: i64,
    /// The round's districts (their addresses).
    pub parties: Vec<String>,
    /// The debts between districts set off.
    pub debts: Vec<Debt>,
    /// The invoices between members of the districts set off.
    pub invoices: Vec<InvoiceSetOff>,
    /// Pairs left out because their two sides disagreed (a payment under way).
    pub disagreeing: Vec<Vec<String>>,
    /// Why it was refused or aborted.
    pub refusal: Option<String>,
    /// Whether a district still has to act on it.
    pub open: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
    /// This district's transfers (in the detail only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legs: Option<Vec<ClearingLeg>>,
    /// What each district answered (the detail of a round started here only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answers: Option<Vec<ClearingParty>>,
}

impl From<ClearingRow> for Clearing {
    fn from(r: ClearingRow) -> Self {
        let plan: Plan = serde_json::from_str(&r.plan).unwrap_or_default();
        Self {
            id: r.id,
            status: r.status,
            started_here: r.initiator_link_id.is_none(),
            initiator_link: r.initiator_link_id,
            set_off_minor: r.set_off_minor,
            parties: plan.parties,
            debts: plan
                .arcs
                .into_iter()
                .map(|a| Debt {
                    debtor: a.debtor,
                    creditor: a.creditor,
                    owed_minor: a.owed_minor,
                    set_off_minor: a.set_off_minor,
                })
                .collect(),
            invoices: plan
                .invoices
                .into_iter()
                .map(|i| InvoiceSetOff {
                    invoice: i.id,
                    debtor: i.debtor,
                    creditor: i.creditor,
                    owed_minor: i.owed_minor,
                    set_off_minor: i.set_off_minor,
                })
                .collect(),
            disagreeing: plan
                .disagreeing
                .into_iter()
                .map(|(a, b)| vec![a, b])
                .collect(),
            refusal: r.refusal,
            open: r.open,
            created_at: r.created_at.format(&Rfc3339).unwrap_or_default(),
            legs: None,
            answers: None,
        }
    }
}

fn coordinator(caller: &ApiCaller) -> Result<&Actor, AppError> {
    let actor = caller.actor()?;
    if !actor.coordinates() {
        return Err(AppError::forbidden());
    }
    Ok(actor)
}

/// Start a clearing round between districts now (coordinators): the linked districts at a
/// rate of 1 to 1 report their mirror balances, the largest set-off of their mutual debts is
/// computed, and every district holds its part before any posts it. 201 once committed
/// everywhere; 202 while a district has not answered (finished in the background, or aborted
/// after the timeout); 422 `federation_clearing_nothing` when no cycle of debts exists, or the
/// code of a district's refusal; 409 `federation_clearing_open` while a round started here is
/// open.
#[utoipa::path(post, path = "/api/v1/federation/clearings", tag = "federation", security(("bearer" = [])),
    responses((status = 201, body = Clearing), (status = 202, body = Clearing), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn start(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<(StatusCode, Json<Clearing>), AppError> {
    let actor = coordinator(&caller)?;
    let row = clearing::start(&state, Some(actor)).await?;
    let code = match row.status.as_str() {
        "committed" => StatusCode::CREATED,
        "aborted" | "refused" => {
            let code = row.refusal.as_deref().unwrap_or("federation_refused");
            return Err(AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                clearing::static_code(code),
            ));
        }
        _ => StatusCode::ACCEPTED,
    };
    Ok((code, Json(row.into())))
}

/// Which rounds to list.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ClearingsQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    pub offset: Option<u64>,
}

/// Clearing rounds between districts this district took part in, newest first (coordinators).
#[utoipa::path(get, path = "/api/v1/federation/clearings", tag = "federation", params(ClearingsQuery), security(("bearer" = [])),
    responses((status = 200, body = List<Clearing>), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<ClearingsQuery>,
) -> Result<Json<List<Clearing>>, AppError> {
    coordinator(&caller)?;
    let (limit, offset) = page(q.limit, q.offset)?;
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let (rows, total) = store::list(&state.db, i64::from(limit), offset).await?;
    let items = rows.into_iter().map(Clearing::from).collect();
    Ok(Json(List { items, total }))
}

/// One clearing round, with this district's transfers and, for a round started here, what
/// each district answered (coordinators).
#[utoipa::path(get, path = "/api/v1/federation/clearings/{id}", tag = "federation", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Clearing), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn one(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<Clearing>, AppError> {
    coordinator(&caller)?;
    let row = store::round(&state.db, id).await?;
    let started_here = row.initiator_link_id.is_none();
    let mut c = Clearing::from(row);
    c.legs = Some(
        store::legs(&state.db, id)
            .await?
            .into_iter()
            .map(|l| ClearingLeg {
                from_account: l.debit_account,
                to_account: l.credit_account,
                amount_minor: l.amount_minor,
                transfer: l.transfer_id,
            })
            .collect(),
    );
    if started_here {
        c.answers = Some(
            store::parties(&state.db, id)
                .await?
                .into_iter()
                .map(|p| ClearingParty {
                    link: p.link_id,
                    answer: p.answer,
                    refusal: p.refusal,
                    told: p.told,
                })
                .collect(),
        );
    }
    Ok(Json(c))
}
