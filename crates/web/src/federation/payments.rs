//! Payments between districts: a member of this district pays a member of a linked one.
//!
//! Each district holds an account in the other's ledger, its mirror account (limits 0 and 0
//! until an assembly sets them). A payment is two legs, payer → the payee district's mirror
//! here, and the paying district's mirror there → payee, that commit together or not at all:
//!
//! 1. **Hold here.** The payment is recorded, then the ledger writer holds our leg: its amount
//!    is reserved on the payer and the mirror (it counts against their limits), nothing moves.
//! 2. **Prepare there.** A signed `payment_prepare` asks the payee's district to hold its leg
//!    (checking the payee, our mirror's credit limit there and the conversion). Its answer
//!    `prepared` is durable on its side.
//! 3. **Decide here.** We, the paying district, decide alone: commit (post our leg) once the
//!    other side prepared, abort (release our hold) when it refused, or when it did not
//!    prepare before the deadline. The decision is one writer transaction, so it is taken once.
//! 4. **Tell there.** `payment_commit` or `payment_abort` until acknowledged. The payee's
//!    district never decides: a hold it has not heard about for a while, it asks about
//!    (`payment_query`); a payment we never recorded is aborted (presumed abort).
//!
//! Every message is idempotent by payment id, so lost, delayed and duplicated messages, and a
//! restart of either side at any moment, end with the payment committed on both sides or on
//! neither. [`resolve`] finishes what a lost message or a stop left open; `serve` runs it in
//! [`resolve_loop`].

use super::client::SendError;
use super::service::{self, InboxMessage};
use crate::auth::viewer::Actor;
use crate::{AppError, AppState};
use axum::http::StatusCode;
use distretto_domain::ledger::money::MAX_AMOUNT_MINOR;
use distretto_domain::ledger::{Refusal, TransferKind, parse_memo};
use distretto_store::StoreError;
use distretto_store::accounts::AccountRow;
use distretto_store::federation::payments::{self as store, PaymentRow};
use distretto_store::federation::{self as links, LinkRow, ONE_TO_ONE_PPM};
use distretto_store::ledger::{Command, CommandError, Effect, NewLeg};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

/// Payments of one link that may be open at once (each holds credit until it ends).
pub const MAX_OPEN_PER_LINK: i64 = 1_000;
/// How often `serve` finishes open payments.
pub const RESOLVE_EVERY: std::time::Duration = std::time::Duration::from_secs(2);
/// Open payments finished per round of the resolver.
const RESOLVE_BATCH: i64 = 200;
/// An open payment is taken up by the resolver once untouched for this long (the request that
/// made it is done with it by then).
const RESOLVE_AFTER_SECS: i64 = 3;
/// The longest reference to a payee or name accepted.
const MAX_TEXT: usize = 120;

/// Refusal codes of the payee's district that end a payment (anything else, such as a replayed
/// signature seen when a message was duplicated on the way, is asked again).
const DECISIVE: [&str; 12] = [
    "federation_unknown_payee",
    "federation_invoice_state",
    "invoice_not_open",
    "amount_exceeds_remaining",
    "federation_limit_exceeded",
    "credit_limit_exceeded",
    "bad_amount",
    "federation_link_status",
    "federation_bad_message",
    "federation_payment_state",
    "currency_mismatch",
    "memo_too_long",
];

/// What a member asks.
pub struct PayInput<'a> {
    /// The link to the payee's district.
    pub link: Uuid,
    /// The paying account (theirs).
    pub payer: Uuid,
    /// The payee in the other district: an account id or an organisation id there.
    pub payee: &'a str,
    pub amount_minor: i64,
    pub memo: &'a str,
    /// The invoice between districts it pays (the payer's district has it, as the debtor's).
    pub invoice: Option<Uuid>,
}

/// The hash an idempotency key is bound to.
pub fn request_hash(p: &PayInput<'_>) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"federation-payment-v1");
    h.update(p.link.as_bytes());
    h.update(p.payer.as_bytes());
    h.update((p.payee.len() as u64).to_be_bytes());
    h.update(p.payee.as_bytes());
    h.update(p.amount_minor.to_be_bytes());
    h.update(p.memo.trim().as_bytes());
    if let Some(invoice) = p.invoice {
        // Only then, so keys taken before invoices between districts keep their hash.
        h.update(invoice.as_bytes());
    }
    h.finalize().into()
}

fn timeout(state: &AppState) -> time::Duration {
    time::Duration::seconds(state.config.federation_payment_timeout_secs.max(1))
}

fn leg(row: &PaymentRow) -> Result<NewLeg, AppError> {
    let (Some(payer), Some(payee)) = (row.debit_account, row.credit_account) else {
        return Err(AppError::conflict("federation_payment_state"));
    };
    Ok(NewLeg::new(
        TransferKind::Federation,
        payer,
        payee,
        row.amount_minor,
        row.memo.clone(),
    ))
}

/// The code a refused hold answers with: the mirror's limit, or the member's.
async fn limit_code(state: &AppState, row: &PaymentRow, mirror: Uuid) -> &'static str {
    let member = if row.debit_account == Some(mirror) {
        row.credit_account
    } else {
        row.debit_account
    };
    match member {
        Some(m) if room_left(state, m, row).await => "federation_limit_exceeded",
        _ => "credit_limit_exceeded",
    }
}

/// Whether the member's account alone would take the leg (so the mirror refused it).
async fn room_left(state: &AppState, account: Uuid, row: &PaymentRow) -> bool {
    let Ok(a) = distretto_store::accounts::get(&state.db, account).await else {
        return false;
    };
    let limits = distretto_domain::ledger::Limits {
        credit_limit_minor: a.credit_limit_minor,
        upper_limit_minor: a.upper_limit_minor,
    };
    let Ok(held) = store::held_on(&state.db, account).await else {
        return false;
    };
    let after = if row.debit_account == Some(account) {
        a.balance_minor.checked_sub(row.amount_minor)
    } else {
        a.balance_minor.checked_add(row.amount_minor)
    };
    after.is_some_and(|b| held.fits(&limits, b))
}

/// Holds the payment's leg; on a refusal the payment is refused with its code.
async fn hold(state: &AppState, row: &PaymentRow, mirror: Uuid) -> Result<(), AppError> {
    let command = Command {
        legs: vec![leg(row)?],
        effect: Effect::FederationHold(row.id),
        idempotency: None,
        created_by: row.created_by,
    };
    match state.ledger.submit(command).await {
        Ok(_) => Ok(()),
        Err(CommandError::Refused(Refusal::CreditLimitExceeded)) => {
            let code = limit_code(state, row, mirror).await;
            store::mark(&state.db, row.id, &["new"], "refused", Some(code), false).await?;
            Err(AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code))
        }
        Err(e) => {
            let error = crate::ledger::service::command_error(e);
            if error.status.is_client_error() {
                store::mark(
                    &state.db,
                    row.id,
                    &["new"],
                    "refused",
                    Some(error.code),
                    false,
                )
                .await?;
            }
            Err(error)
        }
    }
}

/// Posts (commit) or releases (abort) a held payment's leg; a payment settled meanwhile by
/// someone else is left as it is. Returns the payment as it now stands.
async fn settle(
    state: &AppState,
    row: &PaymentRow,
    commit: bool,
    refusal: Option<&str>,
) -> Result<PaymentRow, AppError> {
    if row.status == "new" {
        // Nothing was reserved: only the record changes.
        let status = if commit { "committed" } else { "aborted" };
        if !commit {
            store::mark(
                &state.db,
                row.id,
                &["new"],
                status,
                refusal,
                row.direction == "out",
            )
            .await?;
        }
        return Ok(store::payment(&state.db, row.id).await?);
    }
    let command = Command {
        legs: vec![leg(row)?],
        effect: Effect::FederationSettle(row.id, commit),
        idempotency: None,
        created_by: row.created_by,
    };
    match state.ledger.submit(command).await {
        Ok(_) | Err(CommandError::FederationState) => {}
        Err(e) => return Err(crate::ledger::service::command_error(e)),
    }
    if let Some(code) = refusal {
        store::set_refusal(&state.db, row.id, code).await?;
    }
    Ok(store::payment(&state.db, row.id).await?)
}

/// A member pays a member of a linked district. Answers once the payment is committed on both
/// sides, refused, or (when the other district does not answer) held and left to [`resolve`].
pub async fn pay(
    state: &AppState,
    actor: &Actor,
    input: &PayInput<'_>,
    idempotency_key: &str,
) -> Result<PaymentRow, AppError> {
    let hash = request_hash(input).to_vec();
    if let Some(existing) = store::by_idempotency_key(&state.db, actor.id, idempotency_key).await? {
        if existing.request_hash.as_deref() != Some(hash.as_slice()) {
            return Err(AppError::conflict("idempotency_key_reused"));
        }
        return replay(state, existing).await;
    }
    // Whose account first: someone else's is refused without telling the link's state.
    if !distretto_store::ledger::may_spend(&state.db, input.payer, actor.id).await? {
        return Err(AppError::new(StatusCode::FORBIDDEN, "not_your_account"));
    }
    let link = links::link(&state.db, input.link).await?;
    if link.status != "active" {
        return Err(AppError::conflict("federation_link_status"));
    }
    if input.amount_minor <= 0 || input.amount_minor > MAX_AMOUNT_MINOR {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_amount",
        ));
    }
    let memo = parse_memo(input.memo)?;
    let payee = input.payee.trim();
    if Uuid::parse_str(payee).is_err() {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "federation_unknown_payee",
        ));
    }
    if store::open_count(&state.db, link.id).await? >= MAX_OPEN_PER_LINK {
        return Err(AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "federation_too_many_open",
        ));
    }
    if let Some(invoice) = input.invoice {
        super::invoices::check_payable(state, &link, input, invoice).await?;
    }
    let mirror = store::ensure_mirror(&state.db, link.id, &state.config.currency.code).await?;
    let now = distretto_store::now();
    let id = Uuid::now_v7();
    let row = PaymentRow {
        id,
        link_id: link.id,
        payment_id: id,
        direction: "out".into(),
        status: "new".into(),
        debit_account: Some(input.payer),
        credit_account: Some(mirror.id),
        amount_minor: input.amount_minor,
        remote_amount_minor: 0,
        counterpart: payee.to_owned(),
        counterpart_name: String::new(),
        memo,
        refusal: None,
        transfer_id: None,
        open: true,
        attempts: 0,
        created_by: Some(actor.id),
        idempotency_key: Some(idempotency_key.to_owned()),
        request_hash: Some(hash),
        created_at: now,
        updated_at: now,
        deadline_at: now + timeout(state),
        invoice_id: input.invoice,
    };
    match store::insert(&state.db, &row).await {
        Ok(()) => {}
        // The same key, sent twice at once: answer as the first.
        Err(StoreError::Conflict) => {
            let first = store::by_idempotency_key(&state.db, actor.id, idempotency_key)
                .await?
                .ok_or(AppError::conflict("idempotency_key_reused"))?;
            return replay(state, first).await;
        }
        Err(e) => return Err(e.into()),
    }
    hold(state, &row, mirror.id).await?;
    let row = store::payment(&state.db, id).await?;
    answer(drive(state, &link, row).await?)
}

/// A retried request: the payment as it stands, taken further if it is still open.
async fn replay(state: &AppState, row: PaymentRow) -> Result<PaymentRow, AppError> {
    let row = if row.open && row.status != "new" {
        let link = links::link(&state.db, row.link_id).await?;
        drive(state, &link, row).await?
    } else {
        row
    };
    answer(row)
}

/// A refused payment is an error for the member; anything else is the payment.
fn answer(row: PaymentRow) -> Result<PaymentRow, AppError> {
    if row.status == "refused" || (row.status == "aborted" && row.refusal.is_some()) {
        let code = row
            .refusal
            .as_deref()
            .map_or("federation_refused", static_code);
        return Err(AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code));
    }
    Ok(row)
}

/// The stable code for a code another district (or the store) gave.
pub(super) fn static_code(code: &str) -> &'static str {
    DECISIVE
        .into_iter()
        .chain(["federation_timeout", "not_your_account"])
        .find(|c| *c == code)
        .unwrap_or("federation_refused")
}

/// Sends a message about a payment to the other district.
pub(super) async fn send(
    state: &AppState,
    link: &LinkRow,
    message: &InboxMessage,
) -> Result<Value, SendError> {
    let (own, key) = service::own_key(state)
        .await
        .map_err(|_| SendError::Unreachable)?;
    service::send(&link.peer_url, message, &key, &own.keyid).await
}

/// Whether a refusal ends the payment (rather than being asked again).
pub(super) fn decisive(e: &SendError) -> Option<&str> {
    match e {
        SendError::Refused(status, code)
            if (400..500).contains(status) && DECISIVE.contains(&code.as_str()) =>
        {
            Some(code)
        }
        _ => None,
    }
}

/// Takes an outgoing payment as far as it can go now: prepare, decide, tell.
async fn drive(state: &AppState, link: &LinkRow, row: PaymentRow) -> Result<PaymentRow, AppError> {
    let mut row = row;
    // Bounded: prepare, decide, tell.
    for _ in 0..3 {
        if !row.open {
            return Ok(row);
        }
        row = match row.status.as_str() {
            "held" => prepare_step(state, link, &row).await?,
            "new" => {
                // A stop between recording and holding: nothing was reserved or sent.
                if distretto_store::now() > row.deadline_at {
                    settle(state, &row, false, Some("federation_timeout")).await?
                } else {
                    return Ok(row);
                }
            }
            _ => return tell_step(state, link, row).await,
        };
        if row.status == "held" {
            // Not prepared yet: the resolver asks again.
            return Ok(row);
        }
    }
    Ok(row)
}

async fn prepare_step(
    state: &AppState,
    link: &LinkRow,
    row: &PaymentRow,
) -> Result<PaymentRow, AppError> {
    if distretto_store::now() > row.deadline_at {
        return settle(state, row, false, Some("federation_timeout")).await;
    }
    let payer_name = payer_name(state, row).await;
    let message = InboxMessage::PaymentPrepare {
        url: service::own_url(state),
        payment_id: row.payment_id,
        payee: row.counterpart.clone(),
        amount_minor: row.amount_minor,
        currency: state.config.currency.code.clone(),
        memo: row.memo.clone(),
        payer_name,
        invoice_id: row.invoice_id,
    };
    store::count_attempt(&state.db, row.id).await?;
    match send(state, link, &message).await {
        Ok(answer) => match answer["status"].as_str() {
            Some("prepared") | Some("committed") => {
                let amount = answer["amount_minor"].as_i64().unwrap_or(0);
                let name: String = answer["name"]
                    .as_str()
                    .unwrap_or("")
                    .chars()
                    .take(MAX_TEXT)
                    .collect();
                store::set_remote(&state.db, row.id, amount, &name).await?;
                settle(state, row, true, None).await
            }
            Some("aborted") => settle(state, row, false, Some("federation_refused")).await,
            _ => Ok(store::payment(&state.db, row.id).await?),
        },
        Err(e) => match decisive(&e) {
            Some(code) => {
                let code = code.to_owned();
                settle(state, row, false, Some(&code)).await
            }
            None => Ok(store::payment(&state.db, row.id).await?),
        },
    }
}

/// Tells the other district how an outgoing payment ended; closes it once acknowledged.
async fn tell_step(
    state: &AppState,
    link: &LinkRow,
    row: PaymentRow,
) -> Result<PaymentRow, AppError> {
    let url = service::own_url(state);
    let message = match row.status.as_str() {
        "committed" => InboxMessage::PaymentCommit {
            url,
            payment_id: row.payment_id,
        },
        "aborted" => InboxMessage::PaymentAbort {
            url,
            payment_id: row.payment_id,
        },
        _ => {
            // Refused here before anything was sent.
            store::close(&state.db, row.id).await?;
            return Ok(store::payment(&state.db, row.id).await?);
        }
    };
    store::count_attempt(&state.db, row.id).await?;
    if let Ok(answer) = send(state, link, &message).await
        && answer["status"].as_str() == Some(row.status.as_str())
    {
        store::close(&state.db, row.id).await?;
    }
    Ok(store::payment(&state.db, row.id).await?)
}

async fn payer_name(state: &AppState, row: &PaymentRow) -> String {
    let Some(payer) = row.debit_account else {
        return String::new();
    };
    distretto_store::ledger::owner_names(&state.db, &[payer])
        .await
        .ok()
        .and_then(|n| n.into_iter().next())
        .map(|(_, _, name, _)| name)
        .unwrap_or_default()
}

/// A payment message from a linked district (its signature already checked).
pub async fn receive(
    state: &AppState,
    link: &LinkRow,
    message: InboxMessage,
) -> Result<Value, AppError> {
    match message {
        InboxMessage::PaymentPrepare {
            payment_id,
            payee,
            amount_minor,
            memo,
            payer_name,
            invoice_id,
            ..
        } => {
            let p = Prepare {
                payment_id,
                payee: &payee,
                amount_minor,
                memo: &memo,
                payer_name: &payer_name,
                invoice_id,
            };
            prepared(state, link, &p).await
        }
        InboxMessage::PaymentCommit { payment_id, .. } => committed(state, link, payment_id).await,
        InboxMessage::PaymentAbort { payment_id, .. } => aborted(state, link, payment_id).await,
        InboxMessage::PaymentQuery { payment_id, .. } => queried(state, link, payment_id).await,
        _ => Err(AppError::bad_request("federation_bad_message")),
    }
}

struct Prepare<'a> {
    payment_id: Uuid,
    payee: &'a str,
    amount_minor: i64,
    memo: &'a str,
    payer_name: &'a str,
    invoice_id: Option<Uuid>,
}

/// How an incoming payment stands, as the paying district's messages are answered.
fn standing(row: &PaymentRow) -> Result<Value, AppError> {
    match row.status.as_str() {
        "held" => Ok(
            json!({"status": "prepared", "amount_minor": row.amount_minor, "name": row.counterpart_name}),
        ),
        "committed" => Ok(
            json!({"status": "committed", "amount_minor": row.amount_minor, "name": row.counterpart_name}),
        ),
        "refused" => Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            row.refusal
                .as_deref()
                .map_or("federation_refused", static_code),
        )),
        _ => Ok(json!({"status": "aborted"})),
    }
}

/// The payee's account here: an account id, or an organisation's account.
pub(super) async fn payee_account(
    state: &AppState,
    payee: &str,
) -> Result<(AccountRow, String), AppError> {
    let unknown = AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "federation_unknown_payee");
    let id = Uuid::parse_str(payee.trim()).map_err(|_| unknown.clone())?;
    let currency = &state.config.currency.code;
    let account = match distretto_store::accounts::get(&state.db, id).await {
        Ok(a) => Some(a),
        Err(StoreError::NotFound) => {
            distretto_store::accounts::of_owner(&state.db, "organization", id)
                .await?
                .into_iter()
                .find(|a| a.currency == *currency)
        }
        Err(e) => return Err(e.into()),
    };
    let account = account
        .filter(|a| {
            (a.owner_kind == "person" || a.owner_kind == "organization") && a.currency == *currency
        })
        .ok_or(unknown)?;
    let name = distretto_store::ledger::owner_names(&state.db, &[account.id])
        .await?
        .into_iter()
        .next()
        .map(|(_, _, name, _)| name)
        .unwrap_or_default();
    Ok((account, name))
}

/// Converts the paying district's amount into ours at the link's rate (rounded down).
pub fn convert(amount_minor: i64, exchange_rate_ppm: i64) -> Option<i64> {
    let converted = i128::from(amount_minor) * i128::from(exchange_rate_ppm) / 1_000_000;
    i64::try_from(converted)
        .ok()
        .filter(|a| *a > 0 && *a <= MAX_AMOUNT_MINOR)
}

/// The payee's side of phase one: hold the leg from the paying district's mirror to the payee.
async fn prepared(state: &AppState, link: &LinkRow, p: &Prepare<'_>) -> Result<Value, AppError> {
    if let Some(row) = store::by_payment_id(&state.db, link.id, p.payment_id).await? {
        return prepared_again(state, link, row).await;
    }
    if link.status != "active" {
        return Err(AppError::conflict("federation_link_status"));
    }
    let amount = convert(p.amount_minor, link.exchange_rate_ppm).ok_or(AppError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_amount",
    ))?;
    let memo = parse_memo(p.memo).map_err(|_| AppError::bad_request("federation_bad_message"))?;
    let (payee, payee_name) = payee_account(state, p.payee).await?;
    if let Some(invoice) = p.invoice_id {
        super::invoices::check_incoming(state, link, invoice, payee.id, amount).await?;
    }
    let mirror = store::ensure_mirror(&state.db, link.id, &state.config.currency.code).await?;
    let now = distretto_store::now();
    let row = PaymentRow {
        id: Uuid::now_v7(),
        link_id: link.id,
        payment_id: p.payment_id,
        direction: "in".into(),
        status: "new".into(),
        debit_account: Some(mirror.id),
        credit_account: Some(payee.id),
        amount_minor: amount,
        remote_amount_minor: p.amount_minor,
        counterpart: p.payer_name.chars().take(MAX_TEXT).collect(),
        counterpart_name: payee_name,
        memo,
        refusal: None,
        transfer_id: None,
        open: true,
        attempts: 0,
        created_by: None,
        idempotency_key: None,
        request_hash: None,
        created_at: now,
        updated_at: now,
        deadline_at: now + timeout(state),
        invoice_id: p.invoice_id,
    };
    match store::insert(&state.db, &row).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => {
            // The same message, delivered twice at once.
            let row = store::by_payment_id(&state.db, link.id, p.payment_id)
                .await?
                .ok_or(AppError::conflict("federation_payment_state"))?;
            return prepared_again(state, link, row).await;
        }
        Err(e) => return Err(e.into()),
    }
    hold(state, &row, mirror.id).await?;
    standing(&store::payment(&state.db, row.id).await?)
}

/// A prepare for a payment already known: hold it if a stop came between recording and
/// holding, else answer how it stands.
async fn prepared_again(
    state: &AppState,
    link: &LinkRow,
    row: PaymentRow,
) -> Result<Value, AppError> {
    if row.direction != "in" {
        return Err(AppError::conflict("federation_payment_state"));
    }
    if row.status == "new" {
        let mirror = store::ensure_mirror(&state.db, link.id, &state.config.currency.code).await?;
        // A refusal is recorded on the payment, and answered below.
        let _ = hold(state, &row, mirror.id).await;
    }
    standing(&store::payment(&state.db, row.id).await?)
}

/// The paying district committed: post the payee's leg.
async fn committed(state: &AppState, link: &LinkRow, payment_id: Uuid) -> Result<Value, AppError> {
    let row = store::by_payment_id(&state.db, link.id, payment_id)
        .await?
        .filter(|r| r.direction == "in")
        .ok_or(AppError::conflict("federation_payment_state"))?;
    let row = match row.status.as_str() {
        "held" => settle(state, &row, true, None).await?,
        _ => row,
    };
    match row.status.as_str() {
        "committed" => Ok(json!({"status": "committed"})),
        _ => Err(AppError::conflict("federation_payment_state")),
    }
}

/// The paying district aborted: release the payee's leg, or remember the abort of a payment
/// whose prepare has not arrived (it may still, late), so it is never held.
async fn aborted(state: &AppState, link: &LinkRow, payment_id: Uuid) -> Result<Value, AppError> {
    let Some(row) = store::by_payment_id(&state.db, link.id, payment_id).await? else {
        let now = distretto_store::now();
        let tombstone = PaymentRow {
            id: Uuid::now_v7(),
            link_id: link.id,
            payment_id,
            direction: "in".into(),
            status: "aborted".into(),
            debit_account: None,
            credit_account: None,
            amount_minor: 0,
            remote_amount_minor: 0,
            counterpart: String::new(),
            counterpart_name: String::new(),
            memo: String::new(),
            refusal: None,
            transfer_id: None,
            open: false,
            attempts: 0,
            created_by: None,
            idempotency_key: None,
            request_hash: None,
            created_at: now,
            updated_at: now,
            deadline_at: now,
            invoice_id: None,
        };
        return match store::insert(&state.db, &tombstone).await {
            Ok(()) => Ok(json!({"status": "aborted"})),
            // Its prepare arrived meanwhile: abort that.
            Err(StoreError::Conflict) => Box::pin(aborted(state, link, payment_id)).await,
            Err(e) => Err(e.into()),
        };
    };
    if row.direction != "in" {
        return Err(AppError::conflict("federation_payment_state"));
    }
    let row = match row.status.as_str() {
        "held" | "new" => settle(state, &row, false, None).await?,
        _ => row,
    };
    match row.status.as_str() {
        "committed" => Err(AppError::conflict("federation_payment_state")),
        _ => Ok(json!({"status": "aborted"})),
    }
}

/// The payee's district asks how a payment we started stands. One we never recorded, or that
/// is past its deadline, is aborted here first: only this side decides.
async fn queried(state: &AppState, link: &LinkRow, payment_id: Uuid) -> Result<Value, AppError> {
    let Some(row) = store::by_payment_id(&state.db, link.id, payment_id)
        .await?
        .filter(|r| r.direction == "out")
    else {
        return Ok(json!({"status": "aborted"}));
    };
    let row = if row.status == "held" && distretto_store::now() > row.deadline_at {
        settle(state, &row, false, Some("federation_timeout")).await?
    } else {
        row
    };
    Ok(json!({"status": match row.status.as_str() {
        "committed" => "committed",
        "held" | "new" => "pending",
        _ => "aborted",
    }}))
}

/// The payee's side of an open payment nobody told us the end of: ask the paying district.
async fn ask(state: &AppState, link: &LinkRow, row: PaymentRow) -> Result<PaymentRow, AppError> {
    let message = InboxMessage::PaymentQuery {
        url: service::own_url(state),
        payment_id: row.payment_id,
    };
    store::count_attempt(&state.db, row.id).await?;
    let Ok(answer) = send(state, link, &message).await else {
        return Ok(row);
    };
    match answer["status"].as_str() {
        Some("committed") => settle(state, &row, true, None).await,
        Some("aborted") => settle(state, &row, false, None).await,
        _ => Ok(row),
    }
}

/// Finishes open payments untouched for a few seconds: outgoing ones are prepared, decided
/// and told again; incoming ones are asked about. Returns how many were looked at.
pub async fn resolve(state: &AppState) -> Result<usize, AppError> {
    let before = distretto_store::now() - time::Duration::seconds(RESOLVE_AFTER_SECS);
    resolve_before(state, before).await
}

/// [`resolve`] for payments untouched since `before` (tests pass the present).
pub async fn resolve_before(state: &AppState, before: OffsetDateTime) -> Result<usize, AppError> {
    let rows = store::open_payments(&state.db, before, RESOLVE_BATCH).await?;
    let n = rows.len();
    for row in rows {
        let link = links::link(&state.db, row.link_id).await?;
        let result = if row.direction == "out" {
            drive(state, &link, row).await
        } else {
            ask(state, &link, row).await
        };
        if let Err(e) = result {
            tracing::warn!(
                code = e.code,
                "finishing a payment between districts failed; retrying later"
            );
        }
    }
    Ok(n)
}

/// Finishes open payments, delivers invoices, and finishes open clearing rounds (starting
/// scheduled ones), every
/// [`RESOLVE_EVERY`], for as long as the server runs.
pub async fn resolve_loop(state: AppState, stop: crate::background::Stop) {
    let mut ticks = crate::background::every("federation_resolve", RESOLVE_EVERY, stop);
    while ticks.next().await {
        let payments = resolve(&state).await;
        if let Err(e) = &payments {
            tracing::warn!(code = e.code, "resolving payments between districts failed");
        }
        let invoices = super::invoices::resolve(&state).await;
        if let Err(e) = &invoices {
            tracing::warn!(
                code = e.code,
                "delivering invoices between districts failed"
            );
        }
        let clearings = super::clearing::resolve(&state).await;
        if let Err(e) = &clearings {
            tracing::warn!(
                code = e.code,
                "resolving clearing rounds between districts failed"
            );
        }
        let ok = payments.is_ok() && invoices.is_ok() && clearings.is_ok();
        ticks.done(&state, ok);
    }
}

/// The rate a coordinator sets: minor units of ours per 1,000,000 of theirs.
pub async fn set_rate(
    state: &AppState,
    actor: &Actor,
    link: Uuid,
    exchange_rate_ppm: i64,
) -> Result<LinkRow, AppError> {
    if !actor.coordinates() {
        return Err(AppError::forbidden());
    }
    if !(1..=1_000 * ONE_TO_ONE_PPM).contains(&exchange_rate_ppm) {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "federation_bad_rate",
        ));
    }
    links::set_rate(&state.db, link, exchange_rate_ppm).await?;
    Ok(links::link(&state.db, link).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversion_rounds_down_and_refuses_nothing() {
        assert_eq!(convert(1_000, ONE_TO_ONE_PPM), Some(1_000));
        assert_eq!(convert(1_000, 1_500_000), Some(1_500));
        assert_eq!(convert(999, 333_333), Some(332));
        assert_eq!(convert(1, 500_000), None, "half a cent is nothing");
        assert_eq!(convert(MAX_AMOUNT_MINOR, 2_000_000), None, "too large");
    }
}
