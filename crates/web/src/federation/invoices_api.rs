//! `/api/v1/federation/invoices`: members invoice members of linked districts, answer the
//! invoices they receive, cancel the ones they sent, and pay them across the link.

use super::invoices::{self, IssueInput, Step};
use super::payments_api::Payment;
use crate::api::{ApiId, ApiJson, List};
use crate::auth::ApiCaller;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use distretto_store::federation::invoices::{FederationInvoiceRow, MAX_LISTED};
use time::format_description::well_known::Rfc3339;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, issue))
        .routes(routes!(one))
        .routes(routes!(accept))
        .routes(routes!(dispute))
        .routes(routes!(cancel))
        .routes(routes!(pay))
}

/// One district's copy of an invoice between members of two linked districts.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct FederationInvoice {
    /// The same id in both districts.
    pub id: Uuid,
    /// The link with the other member's district.
    pub link: Uuid,
    /// Our member's side: `creditor` (they issued it) or `debtor` (they owe it).
    pub side: String,
    /// Our member's account.
    pub account: Uuid,
    /// The other member: their account or organisation id there.
    pub counterpart: String,
    /// The other member's name, as their district gave it.
    pub counterpart_name: String,
    /// The creditor's district currency: the unit of every amount.
    pub currency: String,
    pub amount_minor: i64,
    pub paid_minor: i64,
    pub set_off_minor: i64,
    pub remaining_minor: i64,
    pub description: String,
    /// `issued`, `accepted`, `disputed`, `paid` or `cancelled`.
    pub status: String,
    #[schema(value_type = String, format = Date)]
    pub due_on: String,
    pub dispute_reason: Option<String>,
    /// Whether the debtor's district has it (false while it is being sent again).
    pub delivered: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
}

impl From<FederationInvoiceRow> for FederationInvoice {
    fn from(r: FederationInvoiceRow) -> Self {
        Self {
            remaining_minor: r.remaining_minor(),
            id: r.id,
            link: r.link_id,
            side: r.side,
            account: r.account_id,
            counterpart: r.counterpart,
            counterpart_name: r.counterpart_name,
            currency: r.currency,
            amount_minor: r.amount_minor,
            paid_minor: r.paid_minor,
            set_off_minor: r.set_off_minor,
            description: r.description,
            status: r.status,
            due_on: r.due_on.to_string(),
            dispute_reason: r.dispute_reason,
            delivered: r.delivered,
            created_at: r.created_at.format(&Rfc3339).unwrap_or_default(),
        }
    }
}

/// An invoice to a member of a linked district.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueBody {
    /// The link with the debtor's district.
    pub link: Uuid,
    /// Your account (or one you may act for): the creditor.
    pub account: Uuid,
    /// The debtor in the other district: their account id, or their organisation's id.
    pub debtor: String,
    /// In this district's minor units.
    pub amount_minor: i64,
    pub description: String,
    /// Payment due by (YYYY-MM-DD).
    #[schema(value_type = String, format = Date)]
    pub due_on: String,
}

fn parse_date(text: &str) -> Result<time::Date, AppError> {
    time::Date::parse(
        text.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| AppError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "bad_date",
        field: Some("due_on"),
    })
}

/// Invoice a member of a linked district. 201 once their district has it; 202 when it did not
/// answer (it is sent again in the background). A refusal of that district (an unknown
/// debtor) → 422 with its code, and nothing is kept.
#[utoipa::path(post, path = "/api/v1/federation/invoices", tag = "federation", request_body = IssueBody, security(("bearer" = [])),
    responses((status = 201, body = FederationInvoice), (status = 202, body = FederationInvoice), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn issue(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(body): ApiJson<IssueBody>,
) -> Result<(StatusCode, Json<FederationInvoice>), AppError> {
    let actor = caller.actor()?;
    let input = IssueInput {
        link: body.link,
        creditor: body.account,
        debtor: &body.debtor,
        amount_minor: body.amount_minor,
        description: &body.description,
        due_on: parse_date(&body.due_on)?,
    };
    let row = invoices::issue(&state, actor, &input).await?;
    let status = if row.delivered {
        StatusCode::CREATED
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(row.into())))
}

/// Your invoices with members of linked districts (those of the accounts you may read), sent
/// and received, newest first (at most 200).
#[utoipa::path(get, path = "/api/v1/federation/invoices", tag = "federation", security(("bearer" = [])),
    responses((status = 200, body = List<FederationInvoice>), (status = 401, body = crate::error::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<List<FederationInvoice>>, AppError> {
    let rows = invoices::mine(&state, caller.actor()?, MAX_LISTED).await?;
    let total = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    Ok(Json(List {
        items: rows.into_iter().map(FederationInvoice::from).collect(),
        total,
    }))
}

/// One invoice between districts (its member's side, or a coordinator).
#[utoipa::path(get, path = "/api/v1/federation/invoices/{id}", tag = "federation", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = FederationInvoice), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn one(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<FederationInvoice>, AppError> {
    Ok(Json(
        invoices::readable(&state, caller.actor()?, id)
            .await?
            .into(),
    ))
}

async fn act(
    state: &AppState,
    caller: &ApiCaller,
    id: Uuid,
    step: Step,
) -> Result<Json<FederationInvoice>, AppError> {
    Ok(Json(
        invoices::step(state, caller.actor()?, id, step)
            .await?
            .into(),
    ))
}

/// Accept an invoice you owe (the creditor's district is told first). 503
/// `federation_unreachable` when it does not answer: nothing changed, try again.
#[utoipa::path(post, path = "/api/v1/federation/invoices/{id}/accept", tag = "federation", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = FederationInvoice), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody)))]
async fn accept(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<FederationInvoice>, AppError> {
    act(&state, &caller, id, Step::Accept).await
}

/// Why an invoice is disputed.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeBody {
    pub reason: String,
}

/// Dispute an invoice you owe, with a reason (as accepting).
#[utoipa::path(post, path = "/api/v1/federation/invoices/{id}/dispute", tag = "federation", params(("id" = Uuid, Path)), request_body = DisputeBody, security(("bearer" = [])),
    responses((status = 200, body = FederationInvoice), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody)))]
async fn dispute(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    ApiJson(body): ApiJson<DisputeBody>,
) -> Result<Json<FederationInvoice>, AppError> {
    act(&state, &caller, id, Step::Dispute(body.reason)).await
}

/// Cancel an invoice you issued, while nothing is paid (the debtor's district is told first).
#[utoipa::path(post, path = "/api/v1/federation/invoices/{id}/cancel", tag = "federation", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = FederationInvoice), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody)))]
async fn cancel(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<FederationInvoice>, AppError> {
    act(&state, &caller, id, Step::Cancel).await
}

/// How much of an invoice to pay.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayBody {
    /// In this district's minor units (converted at the link's rate on the other side).
    pub amount_minor: i64,
}

/// Pay (part of) an invoice you owe: a payment between districts to its creditor that names
/// it. Send an `Idempotency-Key` header (required). Answers as
/// `POST /api/v1/federation/payments`; more than what remains → 422
/// `amount_exceeds_remaining`, and nothing is left held.
#[utoipa::path(post, path = "/api/v1/federation/invoices/{id}/pay", tag = "federation", params(("id" = Uuid, Path),
        ("Idempotency-Key" = String, Header, description = "Client-chosen key, 1–255 visible ASCII characters")), request_body = PayBody, security(("bearer" = [])),
    responses((status = 201, body = Payment), (status = 202, body = Payment), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
async fn pay(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PayBody>,
) -> Result<(StatusCode, Json<Payment>), AppError> {
    let actor = caller.actor()?;
    let key = super::payments_api::idempotency_key(&headers)?;
    let row = invoices::pay(&state, actor, id, body.amount_minor, &key).await?;
    let status = if row.status == "committed" {
        StatusCode::CREATED
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(row.into())))
}
