//! Invoices between members of linked districts: a member here invoices a member there (or the
//! other way round), in the creditor's district currency. Both districts keep the invoice
//! under one id:
//!
//! - **Issue.** The creditor's district records it first (not yet delivered), then sends a
//!   signed `invoice_issue`; the debtor's district checks the debtor and records it. A district
//!   that does not answer gets it again from [`resolve`]; one that refuses it (an unknown
//!   debtor) leaves nothing on either side.
//! - **Accept, dispute, cancel.** The side that acts tells the other first (`invoice_answer`,
//!   `invoice_cancel`), and changes its own copy once the other agreed, so an unreachable
//!   district changes nothing: the member tries again later. Both messages are idempotent.
//! - **Pay.** The debtor pays by a payment between districts that names the invoice
//!   ([`super::payments`]): the creditor's district checks the invoice allows the amount before
//!   it holds its leg, and each district adds the payment to its copy in the ledger writer's
//!   transaction that commits its leg, so an invoice is paid on a side exactly when the money
//!   moved there.

use super::client::SendError;
use super::payments::{self, PayInput};
use super::service::{self, InboxMessage};
use crate::auth::viewer::Actor;
use crate::{AppError, AppState};
use axum::http::StatusCode;
use distretto_domain::ledger::invoice::{
    self, InvoiceAction, InvoiceSide, InvoiceStatus, parse_description,
};
use distretto_domain::ledger::money::MAX_AMOUNT_MINOR;
use distretto_store::StoreError;
use distretto_store::federation::LinkRow;
use distretto_store::federation::invoices::{self as store, FederationInvoiceRow};
use serde_json::{Value, json};
use time::Date;
use uuid::Uuid;

/// Undelivered invoices sent again per round of the resolver.
const RESOLVE_BATCH: i64 = 100;
/// An undelivered invoice is sent again once untouched for this long.
const RESOLVE_AFTER_SECS: i64 = 3;
/// The longest name or reference accepted from another district.
const MAX_TEXT: usize = 120;
/// The longest currency code accepted from another district.
const MAX_CURRENCY: usize = 12;
/// Refusals of the debtor's district that mean it will never take the invoice.
const DECISIVE: [&str; 7] = [
    "federation_unknown_payee",
    "federation_link_status",
    "federation_bad_message",
    "federation_invoice_state",
    "bad_amount",
    "invalid_invoice_description",
    "invoice_not_open",
];

/// What a creditor asks.
pub struct IssueInput<'a> {
    /// The link to the debtor's district.
    pub link: Uuid,
    /// The creditor's account here (theirs).
    pub creditor: Uuid,
    /// The debtor in the other district: an account id or an organisation id there.
    pub debtor: &'a str,
    pub amount_minor: i64,
    pub description: &'a str,
    pub due_on: Date,
}

/// What a party does to an invoice between districts (paying is [`pay`]).
#[derive(Debug, Clone)]
pub enum Step {
    /// The debtor accepts it.
    Accept,
    /// The debtor disputes it, with a reason.
    Dispute(String),
    /// The creditor withdraws it.
    Cancel,
}

fn unprocessable(code: &'static str) -> AppError {
    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code)
}

fn unreachable() -> AppError {
    AppError::new(StatusCode::SERVICE_UNAVAILABLE, "federation_unreachable")
}

async fn active_link(state: &AppState, link: Uuid) -> Result<LinkRow, AppError> {
    let link = distretto_store::federation::link(&state.db, link).await?;
    if link.status == "active" {
        Ok(link)
    } else {
        Err(AppError::conflict("federation_link_status"))
    }
}

/// A member invoices a member of a linked district. Answers the invoice once the debtor's
/// district has it (`delivered`), or recorded here and left to [`resolve`] when that district
/// did not answer; a refusal of that district is an error and leaves nothing.
pub async fn issue(
    state: &AppState,
    actor: &Actor,
    input: &IssueInput<'_>,
) -> Result<FederationInvoiceRow, AppError> {
    // Whose account first: someone else's is refused without telling the link's state.
    if !distretto_store::ledger::may_spend(&state.db, input.creditor, actor.id).await? {
        return Err(AppError::new(StatusCode::FORBIDDEN, "not_your_account"));
    }
    let link = active_link(state, input.link).await?;
    let account = distretto_store::accounts::get(&state.db, input.creditor).await?;
    if account.currency != state.config.currency.code {
        return Err(unprocessable("currency_mismatch"));
    }
    if input.amount_minor <= 0 || input.amount_minor > MAX_AMOUNT_MINOR {
        return Err(unprocessable("bad_amount"));
    }
    let description = parse_description(input.description)?;
    let debtor = input.debtor.trim();
    if Uuid::parse_str(debtor).is_err() {
        return Err(unprocessable("federation_unknown_payee"));
    }
    let now = distretto_store::now();
    let row = FederationInvoiceRow {
        id: Uuid::now_v7(),
        link_id: link.id,
        side: "creditor".into(),
        account_id: input.creditor,
        counterpart: debtor.to_owned(),
        counterpart_name: String::new(),
        currency: state.config.currency.code.clone(),
        amount_minor: input.amount_minor,
        paid_minor: 0,
        set_off_minor: 0,
        description,
        status: InvoiceStatus::Issued.code().into(),
        due_on: input.due_on,
        dispute_reason: None,
        delivered: false,
        created_by: Some(actor.id),
        created_at: now,
        updated_at: now,
    };
    store::insert(&state.db, &row).await?;
    deliver(state, &link, row).await
}

/// The name of the member who owns an account here (as the other district shows them).
async fn account_name(state: &AppState, account: Uuid) -> String {
    distretto_store::ledger::owner_names(&state.db, &[account])
        .await
        .ok()
        .and_then(|names| names.into_iter().next())
        .map(|(_, _, name, _)| name)
        .unwrap_or_default()
}

/// Sends an undelivered invoice to the debtor's district.
async fn deliver(
    state: &AppState,
    link: &LinkRow,
    row: FederationInvoiceRow,
) -> Result<FederationInvoiceRow, AppError> {
    let message = InboxMessage::InvoiceIssue {
        url: service::own_url(state),
        invoice_id: row.id,
        creditor: row.account_id.to_string(),
        creditor_name: account_name(state, row.account_id).await,
        debtor: row.counterpart.clone(),
        amount_minor: row.amount_minor,
        currency: row.currency.clone(),
        description: row.description.clone(),
        due_on: row.due_on.to_string(),
    };
    store::touch(&state.db, row.id).await?;
    match payments::send(state, link, &message).await {
        Ok(answer) => {
            let name: String = answer["name"]
                .as_str()
                .unwrap_or("")
                .chars()
                .take(MAX_TEXT)
                .collect();
            store::mark_delivered(&state.db, row.id, &name).await?;
            Ok(store::get(&state.db, row.id).await?)
        }
        Err(e) => match decisive(&e) {
            Some(code) => {
                store::delete_undelivered(&state.db, row.id).await?;
                Err(unprocessable(code))
            }
            None => Ok(row),
        },
    }
}

/// The stable code of a refusal that ends an invoice's delivery, if it is one.
fn decisive(e: &SendError) -> Option<&'static str> {
    match e {
        SendError::Refused(status, code) if (400..500).contains(status) => {
            DECISIVE.into_iter().find(|c| c == code)
        }
        _ => None,
    }
}

/// An invoice between districts, for the people who may read its member's account, and
/// coordinators.
pub async fn readable(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> Result<FederationInvoiceRow, AppError> {
    let row = store::get(&state.db, id).await?;
    if actor.coordinates()
        || distretto_store::ledger::may_read(&state.db, row.account_id, actor.id).await?
    {
        Ok(row)
    } else {
        Err(AppError::not_found())
    }
}

/// The invoices between districts of the accounts `actor` may read, newest first.
pub async fn mine(
    state: &AppState,
    actor: &Actor,
    limit: i64,
) -> Result<Vec<FederationInvoiceRow>, AppError> {
    let accounts: Vec<Uuid> = crate::ledger::service::my_accounts(state, actor)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    Ok(store::of_accounts(&state.db, &accounts, limit).await?)
}

fn side_of(row: &FederationInvoiceRow) -> InvoiceSide {
    if row.side == "debtor" {
        InvoiceSide::Debtor
    } else {
        InvoiceSide::Creditor
    }
}

fn status_of(row: &FederationInvoiceRow) -> Result<InvoiceStatus, AppError> {
    InvoiceStatus::parse(&row.status).ok_or(AppError::internal())
}

fn refuse(e: distretto_domain::Invalid) -> AppError {
    AppError {
        status: StatusCode::CONFLICT,
        code: e.code,
        field: Some(e.field),
    }
}

/// Accepts, disputes or cancels an invoice for `actor`, once the other district agreed.
pub async fn step(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    step: Step,
) -> Result<FederationInvoiceRow, AppError> {
    let row = readable(state, actor, id).await?;
    if !distretto_store::ledger::may_spend(&state.db, row.account_id, actor.id).await? {
        return Err(AppError::forbidden());
    }
    let (action, reason) = match &step {
        Step::Accept => (InvoiceAction::Accept, None),
        Step::Dispute(reason) => (
            InvoiceAction::Dispute,
            Some(distretto_domain::membership::parse_reason(reason)?),
        ),
        Step::Cancel => (InvoiceAction::Cancel, None),
    };
    let next = invoice::transition(status_of(&row)?, row.amounts(), side_of(&row), action)
        .map_err(refuse)?;
    if store::in_clearing(&state.db, row.id).await? {
        return Err(AppError::conflict("invoice_in_clearing"));
    }
    if matches!(step, Step::Cancel) {
        if !row.delivered {
            return Err(AppError::conflict("federation_invoice_sending"));
        }
        if store::in_payment(&state.db, row.id).await? {
            return Err(AppError::conflict("invoice_has_payments"));
        }
    }
    let link = active_link(state, row.link_id).await?;
    let url = service::own_url(state);
    let message = match step {
        Step::Cancel => InboxMessage::InvoiceCancel {
            url,
            invoice_id: row.id,
        },
        _ => InboxMessage::InvoiceAnswer {
            url,
            invoice_id: row.id,
            status: next.code().into(),
            reason: reason.clone().unwrap_or_default(),
        },
    };
    match payments::send(state, &link, &message).await {
        Ok(_) => {}
        Err(SendError::Refused(status, code)) if (400..500).contains(&status) => {
            let code = [
                "invoice_not_open",
                "invoice_has_payments",
                "invoice_in_clearing",
                "federation_invoice_state",
                "federation_link_status",
            ]
            .into_iter()
            .find(|c| *c == code)
            .unwrap_or("federation_refused");
            return Err(AppError::conflict(code));
        }
        Err(_) => return Err(unreachable()),
    }
    match store::set_status(
        &state.db,
        row.id,
        &row.status,
        next.code(),
        reason.as_deref(),
    )
    .await
    {
        Ok(()) => Ok(store::get(&state.db, row.id).await?),
        Err(StoreError::Conflict) => Err(AppError::conflict("invoice_changed")),
        Err(e) => Err(e.into()),
    }
}

/// The debtor pays (part of) an invoice: a payment between districts to its creditor that names
/// it (see [`payments::pay`] for the answers).
pub async fn pay(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    amount_minor: i64,
    idempotency_key: &str,
) -> Result<distretto_store::federation::payments::PaymentRow, AppError> {
    let row = readable(state, actor, id).await?;
    if row.side != "debtor" {
        return Err(AppError::conflict("not_your_invoice_action"));
    }
    let memo: String = row.description.chars().take(200).collect();
    let memo = distretto_domain::ledger::parse_memo(&memo).unwrap_or_default();
    let input = PayInput {
        link: row.link_id,
        payer: row.account_id,
        payee: &row.counterpart,
        amount_minor,
        memo: &memo,
        invoice: Some(row.id),
    };
    payments::pay(state, actor, &input, idempotency_key).await
}

/// The debtor's side of a payment that names an invoice: it must be an open invoice of this
/// link that the payer owes and that the payee is owed.
pub(super) async fn check_payable(
    state: &AppState,
    link: &LinkRow,
    input: &PayInput<'_>,
    id: Uuid,
) -> Result<(), AppError> {
    let row = match store::get(&state.db, id).await {
        Ok(row) => row,
        Err(StoreError::NotFound) => return Err(AppError::conflict("federation_invoice_state")),
        Err(e) => return Err(e.into()),
    };
    let its_own = row.side == "debtor"
        && row.link_id == link.id
        && row.account_id == input.payer
        && row.counterpart == input.payee.trim();
    if !its_own {
        return Err(AppError::conflict("federation_invoice_state"));
    }
    if store::in_clearing(&state.db, id).await? {
        return Err(AppError::conflict("invoice_in_clearing"));
    }
    invoice::transition(
        status_of(&row)?,
        row.amounts(),
        InvoiceSide::Debtor,
        InvoiceAction::Pay(1),
    )
    .map_err(refuse)?;
    Ok(())
}

/// The creditor's side of a payment that names an invoice, before its leg is held: an open
/// invoice of this link owed to the payee, with `amount_minor` (ours) still owed once the
/// payments already under way are counted.
pub(super) async fn check_incoming(
    state: &AppState,
    link: &LinkRow,
    id: Uuid,
    payee: Uuid,
    amount_minor: i64,
) -> Result<(), AppError> {
    let row = match store::get(&state.db, id).await {
        Ok(row) => row,
        Err(StoreError::NotFound) => return Err(unprocessable("federation_invoice_state")),
        Err(e) => return Err(e.into()),
    };
    if row.side != "creditor" || row.link_id != link.id || row.account_id != payee {
        return Err(unprocessable("federation_invoice_state"));
    }
    let mut amounts = row.amounts();
    amounts.paid_minor += store::pending_minor(&state.db, id).await?;
    invoice::transition(
        status_of(&row)?,
        amounts,
        InvoiceSide::Debtor,
        InvoiceAction::Pay(amount_minor),
    )
    .map_err(|e| unprocessable(e.code))?;
    Ok(())
}

/// Handles an invoice message of a linked district.
pub async fn receive(
    state: &AppState,
    link: &LinkRow,
    message: InboxMessage,
) -> Result<Value, AppError> {
    match message {
        InboxMessage::InvoiceIssue {
            invoice_id,
            creditor,
            creditor_name,
            debtor,
            amount_minor,
            currency,
            description,
            due_on,
            ..
        } => {
            let issued = Issued {
                id: invoice_id,
                creditor: &creditor,
                creditor_name: &creditor_name,
                debtor: &debtor,
                amount_minor,
                currency: &currency,
                description: &description,
                due_on: &due_on,
            };
            received_issue(state, link, &issued).await
        }
        InboxMessage::InvoiceAnswer {
            invoice_id,
            status,
            reason,
            ..
        } => received_answer(state, link, invoice_id, &status, &reason).await,
        InboxMessage::InvoiceCancel { invoice_id, .. } => {
            received_cancel(state, link, invoice_id).await
        }
        _ => Err(AppError::bad_request("federation_bad_message")),
    }
}

struct Issued<'a> {
    id: Uuid,
    creditor: &'a str,
    creditor_name: &'a str,
    debtor: &'a str,
    amount_minor: i64,
    currency: &'a str,
    description: &'a str,
    due_on: &'a str,
}

/// The debtor's district records an invoice to one of its members.
async fn received_issue(
    state: &AppState,
    link: &LinkRow,
    m: &Issued<'_>,
) -> Result<Value, AppError> {
    if let Some(answer) = known_issue(state, link, m.id).await? {
        return Ok(answer);
    }
    if link.status != "active" {
        return Err(AppError::conflict("federation_link_status"));
    }
    if m.amount_minor <= 0 || m.amount_minor > MAX_AMOUNT_MINOR {
        return Err(unprocessable("bad_amount"));
    }
    let bad = || AppError::bad_request("federation_bad_message");
    let description = parse_description(m.description).map_err(|_| bad())?;
    let currency = m.currency.trim();
    let due_on = Date::parse(
        m.due_on,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| bad())?;
    if currency.is_empty()
        || currency.len() > MAX_CURRENCY
        || Uuid::parse_str(m.creditor).is_err()
        || m.creditor_name.chars().count() > MAX_TEXT
    {
        return Err(bad());
    }
    let (debtor, debtor_name) = payments::payee_account(state, m.debtor).await?;
    let now = distretto_store::now();
    let row = FederationInvoiceRow {
        id: m.id,
        link_id: link.id,
        side: "debtor".into(),
        account_id: debtor.id,
        counterpart: m.creditor.to_owned(),
        counterpart_name: m.creditor_name.to_owned(),
        currency: currency.to_owned(),
        amount_minor: m.amount_minor,
        paid_minor: 0,
        set_off_minor: 0,
        description,
        status: InvoiceStatus::Issued.code().into(),
        due_on,
        dispute_reason: None,
        delivered: true,
        created_by: None,
        created_at: now,
        updated_at: now,
    };
    match store::insert(&state.db, &row).await {
        Ok(()) => Ok(json!({"status": "issued", "name": debtor_name})),
        // The same message, delivered twice at once.
        Err(StoreError::Conflict) => known_issue(state, link, m.id)
            .await?
            .ok_or(AppError::conflict("federation_invoice_state")),
        Err(e) => Err(e.into()),
    }
}

/// The answer to an invoice already recorded here (a message delivered again).
async fn known_issue(
    state: &AppState,
    link: &LinkRow,
    id: Uuid,
) -> Result<Option<Value>, AppError> {
    let row = match store::get(&state.db, id).await {
        Ok(row) => row,
        Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if row.link_id != link.id || row.side != "debtor" {
        return Err(AppError::conflict("federation_invoice_state"));
    }
    let name = account_name(state, row.account_id).await;
    Ok(Some(json!({"status": row.status, "name": name})))
}

/// The other side's copy of an invoice of this link (with our member on `side`).
async fn copy(
    state: &AppState,
    link: &LinkRow,
    id: Uuid,
    side: &str,
) -> Result<FederationInvoiceRow, AppError> {
    match store::get(&state.db, id).await {
        Ok(row) if row.link_id == link.id && row.side == side => Ok(row),
        Ok(_) | Err(StoreError::NotFound) => Err(unprocessable("federation_invoice_state")),
        Err(e) => Err(e.into()),
    }
}

/// The creditor's district learns the debtor accepted or disputed.
async fn received_answer(
    state: &AppState,
    link: &LinkRow,
    id: Uuid,
    status: &str,
    reason: &str,
) -> Result<Value, AppError> {
    let row = copy(state, link, id, "creditor").await?;
    let (action, reason) = match status {
        "accepted" => (InvoiceAction::Accept, None),
        "disputed" => (
            InvoiceAction::Dispute,
            Some(
                distretto_domain::membership::parse_reason(reason)
                    .map_err(|_| AppError::bad_request("federation_bad_message"))?,
            ),
        ),
        _ => return Err(AppError::bad_request("federation_bad_message")),
    };
    if row.status == status {
        return Ok(json!({"status": status}));
    }
    if store::in_clearing(&state.db, id).await? {
        return Err(AppError::conflict("invoice_in_clearing"));
    }
    let next = invoice::transition(status_of(&row)?, row.amounts(), InvoiceSide::Debtor, action)
        .map_err(refuse)?;
    match store::set_status(&state.db, id, &row.status, next.code(), reason.as_deref()).await {
        Ok(()) => Ok(json!({"status": next.code()})),
        Err(StoreError::Conflict) => Err(AppError::conflict("invoice_changed")),
        Err(e) => Err(e.into()),
    }
}

/// The debtor's district learns the creditor cancelled.
async fn received_cancel(state: &AppState, link: &LinkRow, id: Uuid) -> Result<Value, AppError> {
    let row = copy(state, link, id, "debtor").await?;
    if row.status == InvoiceStatus::Cancelled.code() {
        return Ok(json!({"status": "cancelled"}));
    }
    if store::in_payment(&state.db, id).await? {
        return Err(AppError::conflict("invoice_has_payments"));
    }
    if store::in_clearing(&state.db, id).await? {
        return Err(AppError::conflict("invoice_in_clearing"));
    }
    let next = invoice::transition(
        status_of(&row)?,
        row.amounts(),
        InvoiceSide::Creditor,
        InvoiceAction::Cancel,
    )
    .map_err(refuse)?;
    match store::set_status(&state.db, id, &row.status, next.code(), None).await {
        Ok(()) => Ok(json!({"status": "cancelled"})),
        Err(StoreError::Conflict) => Err(AppError::conflict("invoice_changed")),
        Err(e) => Err(e.into()),
    }
}

/// Sends again the invoices a debtor's district has not acknowledged, untouched for a few
/// seconds; returns how many were looked at.
pub async fn resolve(state: &AppState) -> Result<usize, AppError> {
    let before = distretto_store::now() - time::Duration::seconds(RESOLVE_AFTER_SECS);
    resolve_before(state, before).await
}

/// [`resolve`] for invoices untouched since `before` (tests pass the present).
pub async fn resolve_before(
    state: &AppState,
    before: time::OffsetDateTime,
) -> Result<usize, AppError> {
    let rows = store::undelivered(&state.db, before, RESOLVE_BATCH).await?;
    let n = rows.len();
    for row in rows {
        let link = distretto_store::federation::link(&state.db, row.link_id).await?;
        if link.status != "active" {
            continue;
        }
        if let Err(e) = deliver(state, &link, row).await {
            tracing::warn!(code = e.code, "an invoice between districts was refused");
        }
    }
    Ok(n)
}
