//! `/api/v1/federation/payments`: members pay members of linked districts; each side's
//! payments; coordinators set the rate between the two currencies.

use super::payments::{self, PayInput};
use crate::api::{ApiId, ApiJson, ApiQuery, List};
use crate::auth::ApiCaller;
use crate::ledger::service::parse_idempotency_key;
use crate::membership::api::page;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use distretto_store::federation::payments::{self as store, PaymentRow};
use time::format_description::well_known::Rfc3339;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, pay))
        .routes(routes!(one))
        .routes(routes!(set_rate))
}

/// One district's side of a payment between districts.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Payment {
    pub id: Uuid,
    /// The id both districts know it by.
    pub payment_id: Uuid,
    /// The link with the other district.
    pub link: Uuid,
    /// `out`: our member paid; `in`: a member of the other district paid ours.
    pub direction: String,
    /// `held` (waiting for the other district), `committed`, `aborted` or `refused`.
    pub status: String,
    /// Our member's account.
    pub account: Option<Uuid>,
    /// In this district's minor units.
    pub amount_minor: i64,
    /// In the other district's minor units (0 until it answered).
    pub remote_amount_minor: i64,
    /// The other side's member as named: the payee's id there (`out`) or the payer's name.
    pub counterpart: String,
    /// The payee's name as their district gave it (`out`), or our payee's name (`in`).
    pub counterpart_name: String,
    pub memo: String,
    /// Why it was refused or aborted.
    pub refusal: Option<String>,
    /// The transfer posted here, once committed.
    pub transfer: Option<Uuid>,
    /// The invoice between districts it pays, if any.
    pub invoice: Option<Uuid>,
    /// Whether the two districts are still telling each other how it ends.
    pub open: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
}

impl From<PaymentRow> for Payment {
    fn from(p: PaymentRow) -> Self {
        let account = if p.direction == "out" {
            p.debit_account
        } else {
            p.credit_account
        };
        Self {
            id: p.id,
            payment_id: p.payment_id,
            link: p.link_id,
            direction: p.direction,
            status: p.status,
            account,
            amount_minor: p.amount_minor,
            remote_amount_minor: p.remote_amount_minor,
            counterpart: p.counterpart,
            counterpart_name: p.counterpart_name,
            memo: p.memo,
            refusal: p.refusal,
            transfer: p.transfer_id,
            invoice: p.invoice_id,
            open: p.open,
            created_at: p.created_at.format(&Rfc3339).unwrap_or_default(),
        }
    }
}

/// A payment to a member of a linked district.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    /// The link with the payee's district.
    pub link: Uuid,
    /// Your account (or one you may pay from).
    pub payer: Uuid,
    /// The payee in the other district: their account id, or their organisation's id (as its
    /// directory shows it).
    pub payee: String,
    /// In this district's minor units.
    pub amount: i64,
    #[serde(default)]
    pub memo: String,
    /// The invoice between districts it pays (yours, as its debtor; the payee must be its
    /// creditor).
    #[serde(default)]
    pub invoice: Option<Uuid>,
}

/// Pay a member of a linked district. Send an `Idempotency-Key` header (required): a retry
/// with the same key and body answers the same payment. 201 once committed on both sides;
/// 202 while the other district has not answered (it is finished in the background, or
/// aborted after the timeout and the hold released). A refusal of either district (limits,
/// unknown payee) → 422 with its code, and nothing is left held.
#[utoipa::path(post, path = "/api/v1/federation/payments", tag = "federation", request_body = PaymentInput, security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "Client-chosen key, 1–255 visible ASCII characters")),
    responses((status = 201, body = Payment), (status = 202, body = Payment), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
async fn pay(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<PaymentInput>,
) -> Result<(StatusCode, Json<Payment>), AppError> {
    let actor = caller.actor()?;
    let key = idempotency_key(&headers)?;
    let p = PayInput {
        link: input.link,
        payer: input.payer,
        payee: &input.payee,
        amount_minor: input.amount,
        memo: &input.memo,
        invoice: input.invoice,
    };
    let row = payments::pay(&state, actor, &p, &key).await?;
    let status = if row.status == "committed" {
        StatusCode::CREATED
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(row.into())))
}

/// The required `Idempotency-Key` header of a payment, checked.
pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<String, AppError> {
    let key = headers
        .get("idempotency-key")
        .ok_or(AppError::bad_request("idempotency_key_required"))?
        .to_str()
        .map_err(|_| AppError::bad_request("bad_idempotency_key"))?;
    parse_idempotency_key(key)
}

/// Which payments to list.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PaymentsQuery {
    /// Coordinators: every payment of this link.
    pub link: Option<Uuid>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    pub offset: Option<u64>,
}

/// Payments between districts: yours (those of the accounts you may read), or, for a
/// coordinator naming a link, every payment of that link; newest first.
#[utoipa::path(get, path = "/api/v1/federation/payments", tag = "federation", params(PaymentsQuery), security(("bearer" = [])),
    responses((status = 200, body = List<Payment>), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<PaymentsQuery>,
) -> Result<Json<List<Payment>>, AppError> {
    let actor = caller.actor()?;
    let (limit, offset) = page(q.limit, q.offset)?;
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let (rows, total) = match q.link {
        Some(link) => {
            if !actor.coordinates() {
                return Err(AppError::forbidden());
            }
            store::of_link(&state.db, link, i64::from(limit), offset).await?
        }
        None => {
            let accounts: Vec<Uuid> = crate::ledger::service::my_accounts(&state, actor)
                .await?
                .into_iter()
                .map(|a| a.id)
                .collect();
            store::of_accounts(&state.db, &accounts, i64::from(limit), offset).await?
        }
    };
    let items: Vec<Payment> = rows.into_iter().map(Payment::from).collect();
    Ok(Json(List { items, total }))
}

/// One payment between districts (its member's side, or a coordinator).
#[utoipa::path(get, path = "/api/v1/federation/payments/{id}", tag = "federation", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Payment), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn one(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<Payment>, AppError> {
    let actor = caller.actor()?;
    let row = store::payment(&state.db, id).await?;
    let account = if row.direction == "out" {
        row.debit_account
    } else {
        row.credit_account
    };
    let readable = match account {
        Some(a) => distretto_store::ledger::may_read(&state.db, a, actor.id).await?,
        None => false,
    };
    if !(readable || actor.coordinates()) {
        return Err(AppError::not_found());
    }
    Ok(Json(row.into()))
}

/// The rate between the two currencies.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateInput {
    /// Minor units of this district's currency per 1,000,000 minor units of the other's
    /// (1,000,000: one to one).
    pub exchange_rate_ppm: i64,
}

/// The rate at which payments from the other district are converted here (coordinators).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Rate {
    pub link: Uuid,
    pub exchange_rate_ppm: i64,
}

/// Set the rate at which payments from a linked district are converted into this district's
/// currency (coordinators).
#[utoipa::path(post, path = "/api/v1/federation/links/{id}/rate", tag = "federation", params(("id" = Uuid, Path)), request_body = RateInput, security(("bearer" = [])),
    responses((status = 200, body = Rate), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn set_rate(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    ApiJson(input): ApiJson<RateInput>,
) -> Result<Json<Rate>, AppError> {
    let link = payments::set_rate(&state, caller.actor()?, id, input.exchange_rate_ppm).await?;
    Ok(Json(Rate {
        link: link.id,
        exchange_rate_ppm: link.exchange_rate_ppm,
    }))
}
