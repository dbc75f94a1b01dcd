//! `/api/v1/accounts`, `/api/v1/transfers`, `/api/v1/payment-requests`, `/api/v1/invoices` and
//! the coordinators' `/api/v1/ledger` figures.

use super::service::{self, InvoiceInput, InvoiceStep, PaymentInput, RequestInput};
use crate::api::{ApiId, ApiJson, ApiQuery, List};
use crate::auth::ApiCaller;
use crate::membership::api::page;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use distretto_domain::ledger::{Amount, Limits, parse_memo};
use distretto_store::ledger::invoices::{InvoiceEventRow, InvoiceRow};
use distretto_store::ledger::requests::PaymentRequestRow;
use distretto_store::ledger::{HistoryFilter, TransferRow};
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_account))
        .routes(routes!(account_transfers))
        .routes(routes!(set_limits))
        .routes(routes!(limit_changes))
        .routes(routes!(add_authorization))
        .routes(routes!(remove_authorization))
        .routes(routes!(create_transfer))
        .routes(routes!(get_transfer))
        .routes(routes!(reverse_transfer))
        .routes(routes!(create_request, list_requests))
        .routes(routes!(get_request))
        .routes(routes!(pay_request))
        .routes(routes!(decline_request))
        .routes(routes!(cancel_request))
        .routes(routes!(create_invoice, list_invoices))
        .routes(routes!(get_invoice))
        .routes(routes!(invoice_action))
        .routes(routes!(ledger_summary))
}

pub(crate) fn unprocessable(code: &'static str, field: &'static str) -> AppError {
    AppError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code,
        field: Some(field),
    }
}

/// An amount in minor units from JSON: an integer, positive, within the ledger's bound.
/// Taken as a JSON number so that overflowing or fractional values get `bad_amount` or
/// `amount_too_large` rather than a generic JSON error.
pub(crate) fn parse_amount_json(n: &serde_json::Number) -> Result<Amount, AppError> {
    match n.as_i64() {
        Some(minor) => Ok(Amount::new(minor)?),
        None if n.is_u64() => Err(unprocessable("amount_too_large", "amount")),
        None => match n.as_f64() {
            Some(f) if f.abs() >= 9.0e18 => Err(unprocessable("amount_too_large", "amount")),
            _ => Err(unprocessable("bad_amount", "amount")),
        },
    }
}

/// Who owns an account.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AccountOwner {
    /// `person`, `organization` or `district`.
    pub kind: String,
    /// The person's or organisation's id; absent for the district.
    pub id: Option<Uuid>,
    /// Their name (for the district: its purpose, `fund` or `fees`).
    pub name: String,
}

/// A ledger account. Amounts are integers in minor units.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Account {
    pub id: Uuid,
    pub owner: AccountOwner,
    pub currency: String,
    /// Balance in minor units.
    pub balance: i64,
    /// The balance may fall to `-credit_limit`.
    pub credit_limit: i64,
    /// The balance may rise to this; `null`: unbounded.
    pub upper_limit: Option<i64>,
    /// How much may still be paid from it.
    pub available: i64,
}

async fn account_json(
    state: &AppState,
    a: distretto_store::accounts::AccountRow,
) -> Result<Account, AppError> {
    accounts_json(state, vec![a])
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::internal())
}

/// Accounts as the API shows them, their owners' names read in one query.
async fn accounts_json(
    state: &AppState,
    rows: Vec<distretto_store::accounts::AccountRow>,
) -> Result<Vec<Account>, AppError> {
    let ids: Vec<Uuid> = rows.iter().map(|a| a.id).collect();
    let names: std::collections::HashMap<Uuid, String> =
        distretto_store::ledger::owner_names(&state.db, &ids)
            .await?
            .into_iter()
            .map(|(id, _, name, _)| (id, name))
            .collect();
    Ok(rows
        .into_iter()
        .map(|a| {
            let name = names.get(&a.id).cloned().unwrap_or_default();
            let limits = Limits {
                credit_limit_minor: a.credit_limit_minor,
                upper_limit_minor: a.upper_limit_minor,
            };
            Account {
                id: a.id,
                owner: AccountOwner {
                    kind: a.owner_kind,
                    id: a.owner_id,
                    name: if name.is_empty() {
                        a.purpose.unwrap_or_default()
                    } else {
                        name
                    },
                },
                currency: a.currency,
                balance: a.balance_minor,
                credit_limit: a.credit_limit_minor,
                upper_limit: a.upper_limit_minor,
                available: limits.spendable_minor(a.balance_minor),
            }
        })
        .collect())
}

/// One account: its owner's side and coordinators.
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "ledger", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Account), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn get_account(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<Account>, AppError> {
    let a = service::readable_account(&state, caller.actor()?, id).await?;
    Ok(Json(account_json(&state, a).await?))
}

/// A transfer. Amounts in minor units.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Transfer {
    pub id: Uuid,
    /// Position in the journal.
    pub seq: i64,
    /// `payment`, `request`, `invoice` or `reversal`.
    pub kind: String,
    pub payer: Uuid,
    pub payee: Uuid,
    pub amount: i64,
    pub currency: String,
    pub memo: String,
    pub invoice_id: Option<Uuid>,
    pub request_id: Option<Uuid>,
    /// The transfer this one reverses.
    pub reverses: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<TransferRow> for Transfer {
    fn from(t: TransferRow) -> Self {
        Self {
            id: t.id,
            seq: t.seq,
            kind: t.kind,
            payer: t.payer,
            payee: t.payee,
            amount: t.amount_minor,
            currency: t.currency,
            memo: t.memo,
            invoice_id: t.invoice_id,
            request_id: t.request_id,
            reverses: t.reverses,
            created_at: t.created_at,
        }
    }
}

/// A line of an account's history.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AccountEntry {
    #[serde(flatten)]
    pub transfer: Transfer,
    /// Positive for money in, negative for money out.
    pub delta: i64,
    /// The account's balance after this transfer.
    pub balance_after: i64,
    /// The other account.
    pub counterparty: Uuid,
}

pub(crate) fn entry_of(account: Uuid, t: TransferRow) -> AccountEntry {
    let incoming = t.payee == account;
    let (delta, balance_after, counterparty) = if incoming {
        (t.amount_minor, t.payee_balance_minor, t.payer)
    } else {
        (-t.amount_minor, t.payer_balance_minor, t.payee)
    };
    AccountEntry {
        transfer: t.into(),
        delta,
        balance_after,
        counterparty,
    }
}

/// History filters.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// From this instant (RFC 3339) or day (YYYY-MM-DD), inclusive.
    pub from: Option<String>,
    /// Until this instant or day, exclusive (a day means its end).
    pub until: Option<String>,
    /// `in` or `out`.
    pub direction: Option<String>,
    /// The other account.
    pub counterparty: Option<Uuid>,
    /// `payment`, `request`, `invoice` or `reversal`.
    pub kind: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u64>,
}

/// Parses an instant or a day; `end_of_day` moves a day to the next midnight (exclusive bound).
pub(crate) fn parse_instant(
    s: &str,
    end_of_day: bool,
    field: &'static str,
) -> Result<OffsetDateTime, AppError> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Ok(t);
    }
    let day = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| unprocessable("bad_date", field))?;
    let day = if end_of_day {
        day.next_day().ok_or(unprocessable("bad_date", field))?
    } else {
        day
    };
    Ok(day.midnight().assume_utc())
}

pub(crate) fn history_filter(p: &HistoryParams) -> Result<HistoryFilter, AppError> {
    let incoming = match p.direction.as_deref() {
        None | Some("") => None,
        Some("in") => Some(true),
        Some("out") => Some(false),
        Some(_) => return Err(unprocessable("bad_direction", "direction")),
    };
    let kind = match p.kind.as_deref() {
        None | Some("") => None,
        Some(k) => Some(
            distretto_domain::ledger::TransferKind::parse(k)
                .ok_or(unprocessable("bad_kind", "kind"))?
                .code()
                .to_owned(),
        ),
    };
    Ok(HistoryFilter {
        from: p
            .from
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| parse_instant(s, false, "from"))
            .transpose()?,
        until: p
            .until
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| parse_instant(s, true, "until"))
            .transpose()?,
        incoming,
        counterparty: p.counterparty,
        kind,
    })
}

/// An account's transfers, newest first, with filters.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/transfers", tag = "ledger", params(("id" = Uuid, Path), HistoryParams), security(("bearer" = [])),
    responses((status = 200, body = List<AccountEntry>), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn account_transfers(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    ApiQuery(p): ApiQuery<HistoryParams>,
) -> Result<Json<List<AccountEntry>>, AppError> {
    let a = service::readable_account(&state, caller.actor()?, id).await?;
    let (limit, offset) = page(p.limit, p.offset)?;
    let filter = history_filter(&p)?;
    let (rows, total) =
        distretto_store::ledger::history(&state.db, a.id, &filter, i64::from(limit), offset as i64)
            .await?;
    Ok(Json(List {
        items: rows.into_iter().map(|t| entry_of(a.id, t)).collect(),
        total,
    }))
}

/// New limits for an account.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct LimitsInput {
    /// How far below zero it may go, in minor units (≥ 0).
    pub credit_limit: i64,
    /// How far above zero; `null`: unbounded.
    pub upper_limit: Option<i64>,
    /// Why (logged).
    pub reason: String,
}

/// A logged change of limits.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct LimitChange {
    pub id: Uuid,
    pub account_id: Uuid,
    pub old_credit_limit: i64,
    pub old_upper_limit: Option<i64>,
    pub credit_limit: i64,
    pub upper_limit: Option<i64>,
    pub reason: String,
    pub changed_by: Option<Uuid>,
    /// The governance decision that set it, if one did.
    pub decision_ref: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<distretto_store::ledger::LimitChangeRow> for LimitChange {
    fn from(c: distretto_store::ledger::LimitChangeRow) -> Self {
        Self {
            id: c.id,
            account_id: c.account_id,
            old_credit_limit: c.old_credit_limit_minor,
            old_upper_limit: c.old_upper_limit_minor,
            credit_limit: c.credit_limit_minor,
            upper_limit: c.upper_limit_minor,
            reason: c.reason,
            changed_by: c.changed_by,
            decision_ref: c.decision_ref,
            created_at: c.created_at,
        }
    }
}

/// Change an account's limits (coordinators), with a reason; refused if the balance is already outside.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/limits", tag = "ledger", params(("id" = Uuid, Path)), request_body = LimitsInput, security(("bearer" = [])),
    responses((status = 200, body = LimitChange), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn set_limits(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    ApiJson(input): ApiJson<LimitsInput>,
) -> Result<Json<LimitChange>, AppError> {
    let limits = Limits::new(input.credit_limit, input.upper_limit)?;
    let change = service::change_limits(&state, caller.actor()?, id, limits, &input.reason).await?;
    Ok(Json(change.into()))
}

/// The log of an account's limit changes, newest first.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/limit-changes", tag = "ledger", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = List<LimitChange>), (status = 404, body = crate::error::ErrorBody)))]
async fn limit_changes(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<List<LimitChange>>, AppError> {
    let a = service::readable_account(&state, caller.actor()?, id).await?;
    let rows = distretto_store::ledger::limit_changes(&state.db, a.id, 500).await?;
    let total = rows.len() as i64;
    Ok(Json(List {
        items: rows.into_iter().map(Into::into).collect(),
        total,
    }))
}

/// Someone to authorise on an account.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct AuthorizationInput {
    /// Their login e-mail.
    pub email: String,
}

/// An authorisation granted.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Authorization {
    pub account_id: Uuid,
    pub person_id: Uuid,
}

/// Allow another person to pay from this account (its owner, or an admin of its organisation).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/authorizations", tag = "ledger", params(("id" = Uuid, Path)), request_body = AuthorizationInput, security(("bearer" = [])),
    responses((status = 201, body = Authorization), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn add_authorization(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    ApiJson(input): ApiJson<AuthorizationInput>,
) -> Result<(StatusCode, Json<Authorization>), AppError> {
    let person_id = service::authorize(&state, caller.actor()?, id, &input.email).await?;
    Ok((
        StatusCode::CREATED,
        Json(Authorization {
            account_id: id,
            person_id,
        }),
    ))
}

/// Withdraw an authorisation.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/authorizations/{person_id}", tag = "ledger", params(("id" = Uuid, Path), ("person_id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn remove_authorization(
    State(state): State<AppState>,
    caller: ApiCaller,
    path: Result<axum::extract::Path<(Uuid, Uuid)>, axum::extract::rejection::PathRejection>,
) -> Result<StatusCode, AppError> {
    let axum::extract::Path((id, person)) = path.map_err(|_| AppError::not_found())?;
    service::revoke(&state, caller.actor()?, id, person).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A payment.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferInput {
    /// Paying account (yours, or one you are authorised on).
    pub payer: Uuid,
    /// Receiving account.
    pub payee: Uuid,
    /// Positive integer, minor units.
    #[schema(value_type = i64)]
    pub amount: serde_json::Number,
    /// A few words for both sides (≤ 280 characters).
    #[serde(default)]
    pub memo: String,
    /// If given, must be the accounts' currency.
    #[serde(default)]
    pub currency: Option<String>,
}

/// Pay another member. Send an `Idempotency-Key` header: a retry with the same key and body
/// answers the same transfer; the same key with another body → 409 `idempotency_key_reused`.
#[utoipa::path(post, path = "/api/v1/transfers", tag = "ledger", request_body = TransferInput, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key, 1–255 visible ASCII characters")),
    responses((status = 201, body = Transfer), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_transfer(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<TransferInput>,
) -> Result<(StatusCode, Json<Transfer>), AppError> {
    let actor = caller.actor()?;
    let key = match headers.get("idempotency-key") {
        Some(v) => Some(service::parse_idempotency_key(
            v.to_str()
                .map_err(|_| AppError::bad_request("bad_idempotency_key"))?,
        )?),
        None => None,
    };
    let payment = PaymentInput {
        payer: input.payer,
        payee: input.payee,
        amount: parse_amount_json(&input.amount)?,
        memo: parse_memo(&input.memo)?,
        currency: input.currency,
    };
    let outcome = service::pay(&state, actor, payment, key).await?;
    // A replay answers 201 too: the client sees the same response as for the first request.
    let transfer = outcome
        .transfers
        .into_iter()
        .next()
        .ok_or(AppError::internal())?;
    Ok((StatusCode::CREATED, Json(transfer.into())))
}

/// One transfer: either side, and coordinators.
#[utoipa::path(get, path = "/api/v1/transfers/{id}", tag = "ledger", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Transfer), (status = 404, body = crate::error::ErrorBody)))]
async fn get_transfer(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<Transfer>, AppError> {
    Ok(Json(
        service::readable_transfer(&state, caller.actor()?, id)
            .await?
            .into(),
    ))
}

/// Why a transfer is reversed.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct ReversalInput {
    /// The coordinator's reason (becomes the reversal's memo).
    pub reason: String,
}

/// Reverse a transfer (coordinators): a new transfer back, linked to the original.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/reversal", tag = "ledger", params(("id" = Uuid, Path)), request_body = ReversalInput, security(("bearer" = [])),
    responses((status = 201, body = Transfer), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn reverse_transfer(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    ApiJson(input): ApiJson<ReversalInput>,
) -> Result<(StatusCode, Json<Transfer>), AppError> {
    let t = service::reverse(&state, caller.actor()?, id, &input.reason).await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

/// A payment request.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PaymentRequest {
    pub id: Uuid,
    pub payee: Uuid,
    /// `null`: whoever opens it may pay (a code shown at a stall).
    pub payer: Option<Uuid>,
    pub amount: i64,
    pub memo: String,
    /// `open`, `paid`, `declined`, `cancelled`.
    pub status: String,
    pub transfer_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// The page a payer opens (the QR code encodes it).
    pub pay_url: String,
}

pub(crate) fn request_json(state: &AppState, r: PaymentRequestRow) -> PaymentRequest {
    PaymentRequest {
        pay_url: format!(
            "{}/pay/{}",
            state.config.public_url.trim_end_matches('/'),
            r.id
        ),
        id: r.id,
        payee: r.payee,
        payer: r.payer,
        amount: r.amount_minor,
        memo: r.memo,
        status: r.status,
        transfer_id: r.transfer_id,
        created_at: r.created_at,
    }
}

/// A request to be paid.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestCreate {
    /// Your account, to be paid.
    pub payee: Uuid,
    /// Who should pay; omit for "whoever scans the code".
    #[serde(default)]
    pub payer: Option<Uuid>,
    /// Positive integer, minor units.
    #[schema(value_type = i64)]
    pub amount: serde_json::Number,
    #[serde(default)]
    pub memo: String,
}

/// Ask for a payment.
#[utoipa::path(post, path = "/api/v1/payment-requests", tag = "ledger", request_body = RequestCreate, security(("bearer" = [])),
    responses((status = 201, body = PaymentRequest), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_request(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<RequestCreate>,
) -> Result<(StatusCode, Json<PaymentRequest>), AppError> {
    let r = service::request_payment(
        &state,
        caller.actor()?,
        RequestInput {
            payee: input.payee,
            payer: input.payer,
            amount: parse_amount_json(&input.amount)?,
            memo: parse_memo(&input.memo)?,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(request_json(&state, r))))
}

/// Request list parameters.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestParams {
    /// `incoming` (asked of you, default) or `outgoing` (you asked).
    pub direction: Option<String>,
    /// Only open ones.
    pub open: Option<bool>,
}

/// Payment requests asked of your accounts, or made by them (newest 200).
#[utoipa::path(get, path = "/api/v1/payment-requests", tag = "ledger", params(RequestParams), security(("bearer" = [])),
    responses((status = 200, body = List<PaymentRequest>), (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn list_requests(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(p): ApiQuery<RequestParams>,
) -> Result<Json<List<PaymentRequest>>, AppError> {
    let actor = caller.actor()?;
    let incoming = match p.direction.as_deref() {
        None | Some("") | Some("incoming") => true,
        Some("outgoing") => false,
        Some(_) => return Err(unprocessable("bad_direction", "direction")),
    };
    let accounts: Vec<Uuid> = service::my_accounts(&state, actor)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let rows = distretto_store::ledger::requests::list(
        &state.db,
        &accounts,
        incoming,
        p.open.unwrap_or(false),
        200,
    )
    .await?;
    let total = rows.len() as i64;
    Ok(Json(List {
        items: rows.into_iter().map(|r| request_json(&state, r)).collect(),
        total,
    }))
}

/// One payment request.
#[utoipa::path(get, path = "/api/v1/payment-requests/{id}", tag = "ledger", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = PaymentRequest), (status = 404, body = crate::error::ErrorBody)))]
async fn get_request(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<PaymentRequest>, AppError> {
    let r = service::readable_request(&state, caller.actor()?, id).await?;
    Ok(Json(request_json(&state, r)))
}

/// Which account pays a request.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct PayRequestInput {
    /// The account to pay from.
    pub payer: Uuid,
}

/// Pay a request.
#[utoipa::path(post, path = "/api/v1/payment-requests/{id}/pay", tag = "ledger", params(("id" = Uuid, Path)), request_body = PayRequestInput, security(("bearer" = [])),
    responses((status = 201, body = Transfer), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn pay_request(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    ApiJson(input): ApiJson<PayRequestInput>,
) -> Result<(StatusCode, Json<Transfer>), AppError> {
    let t = service::accept_request(&state, caller.actor()?, id, input.payer).await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

/// Decline a request asked of you.
#[utoipa::path(post, path = "/api/v1/payment-requests/{id}/decline", tag = "ledger", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = PaymentRequest), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn decline_request(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<PaymentRequest>, AppError> {
    let r = service::close_request(&state, caller.actor()?, id, true).await?;
    Ok(Json(request_json(&state, r)))
}

/// Withdraw a request you made.
#[utoipa::path(post, path = "/api/v1/payment-requests/{id}/cancel", tag = "ledger", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = PaymentRequest), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn cancel_request(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<PaymentRequest>, AppError> {
    let r = service::close_request(&state, caller.actor()?, id, false).await?;
    Ok(Json(request_json(&state, r)))
}

/// An invoice. Amounts in minor units of its currency.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Invoice {
    pub id: Uuid,
    pub number: String,
    /// The creditor's account.
    pub creditor: Uuid,
    /// The debtor's account.
    pub debtor: Uuid,
    /// `EUR` or the district currency.
    pub currency: String,
    pub amount: i64,
    pub paid: i64,
    pub set_off: i64,
    /// What is still owed.
    pub remaining: i64,
    pub description: String,
    /// `issued`, `accepted`, `disputed`, `paid`, `cancelled`.
    pub status: String,
    #[schema(value_type = String, format = Date)]
    pub due_on: String,
    /// Open, something remaining, and past its due date.
    pub overdue: bool,
    pub dispute_reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Its history (only on single-invoice answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<InvoiceEvent>>,
}

/// An entry of an invoice's history.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct InvoiceEvent {
    /// `issued`, `accepted`, `disputed`, `cancelled`, `paid_transfer`, `paid_recorded`, `set_off`.
    pub action: String,
    pub amount: Option<i64>,
    pub transfer_id: Option<Uuid>,
    pub note: String,
    pub actor: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<InvoiceEventRow> for InvoiceEvent {
    fn from(e: InvoiceEventRow) -> Self {
        Self {
            action: e.action,
            amount: e.amount_minor,
            transfer_id: e.transfer_id,
            note: e.note,
            actor: e.actor,
            created_at: e.created_at,
        }
    }
}

pub(crate) fn invoice_json(inv: InvoiceRow, today: time::Date) -> Invoice {
    Invoice {
        overdue: inv.overdue(today),
        remaining: inv.remaining_minor(),
        id: inv.id,
        number: inv.number,
        creditor: inv.creditor,
        debtor: inv.debtor,
        currency: inv.currency,
        amount: inv.amount_minor,
        paid: inv.paid_minor,
        set_off: inv.set_off_minor,
        description: inv.description,
        status: inv.status,
        due_on: inv.due_on.to_string(),
        dispute_reason: inv.dispute_reason,
        created_at: inv.created_at,
        events: None,
    }
}

/// An invoice to issue.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceCreate {
    /// Your account (you are owed).
    pub creditor: Uuid,
    /// The debtor's account.
    pub debtor: Uuid,
    /// `EUR` or the district currency (default).
    #[serde(default)]
    pub currency: Option<String>,
    #[schema(value_type = i64)]
    pub amount: serde_json::Number,
    /// Your own invoice number.
    #[serde(default)]
    pub number: String,
    pub description: String,
    /// YYYY-MM-DD.
    pub due_on: String,
}

/// Issue an invoice to another member.
#[utoipa::path(post, path = "/api/v1/invoices", tag = "ledger", request_body = InvoiceCreate, security(("bearer" = [])),
    responses((status = 201, body = Invoice), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_invoice(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<InvoiceCreate>,
) -> Result<(StatusCode, Json<Invoice>), AppError> {
    let due_on = time::Date::parse(
        input.due_on.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| unprocessable("bad_date", "due_on"))?;
    let inv = service::issue_invoice(
        &state,
        caller.actor()?,
        InvoiceInput {
            creditor: input.creditor,
            debtor: input.debtor,
            currency: input
                .currency
                .unwrap_or_else(|| state.config.currency.code.clone()),
            amount: parse_amount_json(&input.amount)?,
            number: input.number,
            description: distretto_domain::ledger::invoice::parse_description(&input.description)?,
            due_on,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(invoice_json(inv, today()))))
}

pub(crate) fn today() -> time::Date {
    OffsetDateTime::now_utc().date()
}

/// Invoice list parameters.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceParams {
    /// `debtor` (you owe) or `creditor` (you are owed); default both.
    pub role: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Only overdue ones.
    pub overdue: Option<bool>,
    /// Coordinators: every invoice of the district.
    pub all: Option<bool>,
    pub limit: Option<u32>,
    pub offset: Option<u64>,
}

/// Invoices of your accounts (coordinators: `all=true` for the district's).
#[utoipa::path(get, path = "/api/v1/invoices", tag = "ledger", params(InvoiceParams), security(("bearer" = [])),
    responses((status = 200, body = List<Invoice>), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn list_invoices(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(p): ApiQuery<InvoiceParams>,
) -> Result<Json<List<Invoice>>, AppError> {
    let actor = caller.actor()?;
    let (limit, offset) = page(p.limit, p.offset)?;
    let filter = invoice_filter(&state, actor, &p).await?;
    let (rows, total) = distretto_store::ledger::invoices::list(
        &state.db,
        &filter,
        i64::from(limit),
        offset as i64,
    )
    .await?;
    let today = today();
    Ok(Json(List {
        items: rows.into_iter().map(|i| invoice_json(i, today)).collect(),
        total,
    }))
}

pub(crate) async fn invoice_filter(
    state: &AppState,
    actor: &crate::auth::viewer::Actor,
    p: &InvoiceParams,
) -> Result<distretto_store::ledger::invoices::InvoiceFilter, AppError> {
    let owed_by_them = match p.role.as_deref() {
        None | Some("") => None,
        Some("debtor") => Some(true),
        Some("creditor") => Some(false),
        Some(_) => return Err(unprocessable("bad_role", "role")),
    };
    let status = match p.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            distretto_domain::ledger::InvoiceStatus::parse(s)
                .ok_or(unprocessable("invalid_status", "status"))?
                .code()
                .to_owned(),
        ),
    };
    let all = p.all.unwrap_or(false);
    if all && !actor.coordinates() {
        return Err(AppError::forbidden());
    }
    let accounts = if all {
        Vec::new()
    } else {
        let mine: Vec<Uuid> = service::my_accounts(state, actor)
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect();
        if mine.is_empty() {
            // Nobody's invoices: an account list that matches nothing.
            vec![Uuid::nil()]
        } else {
            mine
        }
    };
    Ok(distretto_store::ledger::invoices::InvoiceFilter {
        accounts,
        owed_by_them,
        status,
        overdue_on: p.overdue.unwrap_or(false).then(today),
    })
}

/// One invoice with its history.
#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = "ledger", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Invoice), (status = 404, body = crate::error::ErrorBody)))]
async fn get_invoice(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<Invoice>, AppError> {
    let inv = service::readable_invoice(&state, caller.actor()?, id).await?;
    let events = distretto_store::ledger::invoices::events(&state.db, inv.id).await?;
    let mut json = invoice_json(inv, today());
    json.events = Some(events.into_iter().map(Into::into).collect());
    Ok(Json(json))
}

/// A step on an invoice.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceActionInput {
    /// `accept`, `dispute` (debtor), `cancel` (creditor), `pay` (debtor, credit invoices: a
    /// transfer), `record_payment` (creditor: paid outside the ledger, e.g. in euro).
    pub action: String,
    /// For `pay` and `record_payment`: minor units.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub amount: Option<serde_json::Number>,
    /// For `dispute`: why; for `record_payment`: a note.
    #[serde(default)]
    pub reason: String,
}

/// Accept, dispute, cancel, pay (fully or in part) or record a payment on an invoice.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/actions", tag = "ledger", params(("id" = Uuid, Path)), request_body = InvoiceActionInput, security(("bearer" = [])),
    responses((status = 200, body = Invoice), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn invoice_action(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    ApiJson(input): ApiJson<InvoiceActionInput>,
) -> Result<Json<Invoice>, AppError> {
    let amount = || {
        input
            .amount
            .as_ref()
            .ok_or(unprocessable("amount_required", "amount"))
            .and_then(parse_amount_json)
    };
    let step = match input.action.as_str() {
        "accept" => InvoiceStep::Accept,
        "dispute" => InvoiceStep::Dispute(input.reason.clone()),
        "cancel" => InvoiceStep::Cancel,
        "pay" => InvoiceStep::Pay(amount()?),
        "record_payment" => InvoiceStep::Record(amount()?, input.reason.clone()),
        _ => return Err(unprocessable("bad_action", "action")),
    };
    let inv = service::invoice_step(&state, caller.actor()?, id, step).await?;
    Ok(Json(invoice_json(inv, today())))
}

/// The district ledger at a glance (coordinators).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct LedgerSummary {
    pub currency: String,
    pub accounts: i64,
    pub transfers: i64,
    /// Transfers in the last 365 days.
    pub transfers_last_year: i64,
    /// Volume in the last 365 days, minor units.
    pub volume_last_year: i64,
    /// Sum of positive balances, minor units.
    pub circulation: i64,
    /// Yearly volume over circulation, in hundredths (e.g. 420 = 4.2 times a year).
    pub velocity_hundredths: i64,
    /// Accounts using at least 80% of their credit line, most used first.
    pub near_limit: Vec<Account>,
}

/// The district ledger: volume, velocity, accounts near their limits (coordinators).
#[utoipa::path(get, path = "/api/v1/ledger/summary", tag = "ledger", security(("bearer" = [])),
    responses((status = 200, body = LedgerSummary), (status = 403, body = crate::error::ErrorBody)))]
async fn ledger_summary(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<LedgerSummary>, AppError> {
    let actor = caller.actor()?;
    if !actor.coordinates() {
        return Err(AppError::forbidden());
    }
    Ok(Json(summary(&state).await?))
}

pub(crate) async fn summary(state: &AppState) -> Result<LedgerSummary, AppError> {
    let currency = state.config.currency.code.clone();
    let since = OffsetDateTime::now_utc() - time::Duration::days(365);
    let f = distretto_store::ledger::figures(&state.db, &currency, since).await?;
    let near = distretto_store::ledger::near_limits(&state.db, &currency, 800, 50).await?;
    let near_limit = accounts_json(state, near).await?;
    Ok(LedgerSummary {
        velocity_hundredths: if f.circulation_minor > 0 {
            i64::try_from(i128::from(f.recent_volume_minor) * 100 / i128::from(f.circulation_minor))
                .unwrap_or(i64::MAX)
        } else {
            0
        },
        currency,
        accounts: f.accounts,
        transfers: f.transfers,
        transfers_last_year: f.recent_transfers,
        volume_last_year: f.recent_volume_minor,
        circulation: f.circulation_minor,
        near_limit,
    })
}
