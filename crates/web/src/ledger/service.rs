//! Mutual-credit services: who may read and spend which account, payments, payment requests,
//! invoices, limits and corrections. Authorization is checked here, per object.

use crate::auth::viewer::Actor;
use crate::{AppError, AppState};
use axum::http::StatusCode;
use distretto_domain::ledger::invoice::{self, InvoiceAction, InvoiceSide, InvoiceStatus};
use distretto_domain::ledger::{Amount, EURO, Limits, Refusal, TransferKind, parse_memo};
use distretto_store::StoreError;
use distretto_store::accounts::AccountRow;
use distretto_store::ledger::invoices::{InvoiceChange, InvoiceEventRow, InvoiceRow};
use distretto_store::ledger::requests::PaymentRequestRow;
use distretto_store::ledger::{
    Command, CommandError, Effect, IdempotencyKey, NewLeg, Outcome, TransferRow,
};
use time::OffsetDateTime;
use uuid::Uuid;

/// The longest idempotency key accepted.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// Maps a ledger refusal to the API's error.
pub fn command_error(e: CommandError) -> AppError {
    let code = e.code();
    let status = match &e {
        CommandError::Refused(Refusal::UnknownAccount) => StatusCode::UNPROCESSABLE_ENTITY,
        CommandError::Refused(_) | CommandError::Invoice(_) | CommandError::BadCommand => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        CommandError::IdempotencyKeyReused
        | CommandError::RequestNotOpen
        | CommandError::Reversal(_)
        | CommandError::Clearing(_)
        | CommandError::Purchase(_)
        | CommandError::Decision(_)
        | CommandError::InstalmentNotDue
        | CommandError::FederationState
        | CommandError::ClearingState
        | CommandError::Booking(_) => StatusCode::CONFLICT,
        CommandError::Store(message) => {
            tracing::error!(%message, "ledger writer failure");
            return AppError::new(StatusCode::SERVICE_UNAVAILABLE, "ledger_unavailable");
        }
    };
    AppError::new(status, code)
}

/// Checks an `Idempotency-Key` header value: 1–255 visible ASCII characters.
pub fn parse_idempotency_key(raw: &str) -> Result<String, AppError> {
    let key = raw.trim();
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY_CHARS
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(AppError::bad_request("bad_idempotency_key"));
    }
    Ok(key.to_owned())
}

/// The account, if `actor` may read it (owner side or coordinator); 404 otherwise, so ids of
/// other people's accounts reveal nothing.
pub async fn readable_account(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> Result<AccountRow, AppError> {
    let account = distretto_store::accounts::get(&state.db, id).await?;
    if actor.coordinates() || distretto_store::ledger::may_read(&state.db, id, actor.id).await? {
        Ok(account)
    } else {
        Err(AppError::not_found())
    }
}

/// Refuses unless `actor` may pay from `account`. A coordinator has no such power over members'
/// accounts. An unknown account is `unknown_account`.
async fn require_spender(state: &AppState, actor: &Actor, account: Uuid) -> Result<(), AppError> {
    if distretto_store::ledger::may_spend(&state.db, account, actor.id).await? {
        return Ok(());
    }
    match distretto_store::accounts::get(&state.db, account).await {
        Ok(_) => Err(AppError::new(StatusCode::FORBIDDEN, "not_your_account")),
        Err(StoreError::NotFound) => Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_account",
        )),
        Err(e) => Err(e.into()),
    }
}

/// A payment as asked: parsed at the edge.
#[derive(Debug, Clone)]
pub struct PaymentInput {
    /// Paying account.
    pub payer: Uuid,
    /// Receiving account.
    pub payee: Uuid,
    /// Amount.
    pub amount: Amount,
    /// Memo, checked.
    pub memo: String,
    /// Optional currency the client expects both accounts to hold.
    pub currency: Option<String>,
}

/// The hash an idempotency key is bound to: the parsed request, not its spelling.
pub fn request_hash(p: &PaymentInput) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"payment-v1");
    h.update(p.payer.as_bytes());
    h.update(p.payee.as_bytes());
    h.update(p.amount.minor().to_be_bytes());
    h.update((p.memo.len() as u64).to_be_bytes());
    h.update(p.memo.as_bytes());
    h.update(p.currency.as_deref().unwrap_or("").as_bytes());
    h.finalize().into()
}

/// Pays `input.payee` from `input.payer`; with a key, a retry answers the first transfer.
pub async fn pay(
    state: &AppState,
    actor: &Actor,
    input: PaymentInput,
    idempotency_key: Option<String>,
) -> Result<Outcome, AppError> {
    require_spender(state, actor, input.payer).await?;
    if let Some(currency) = &input.currency
        && *currency != state.config.currency.code
    {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "currency_mismatch",
        ));
    }
    let idempotency = idempotency_key.map(|key| IdempotencyKey {
        person_id: actor.id,
        key,
        request_hash: request_hash(&input),
    });
    let mut command = Command::single(
        NewLeg::new(
            TransferKind::Payment,
            input.payer,
            input.payee,
            input.amount.minor(),
            input.memo,
        ),
        Effect::None,
        actor.id,
    );
    command.idempotency = idempotency;
    state.ledger.submit(command).await.map_err(command_error)
}

/// A transfer, if `actor` stands on one of its sides or coordinates.
pub async fn readable_transfer(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> Result<TransferRow, AppError> {
    let t = distretto_store::ledger::transfer(&state.db, id).await?;
    if actor.coordinates()
        || distretto_store::ledger::may_read(&state.db, t.payer, actor.id).await?
        || distretto_store::ledger::may_read(&state.db, t.payee, actor.id).await?
    {
        Ok(t)
    } else {
        Err(AppError::not_found())
    }
}

/// A coordinator reverses a transfer: a new transfer back, linked to the original, with the
/// reason as memo. The journal itself is never edited.
pub async fn reverse(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> Result<TransferRow, AppError> {
    if !actor.coordinates() {
        return Err(AppError::forbidden());
    }
    let reason = distretto_domain::membership::parse_reason(reason)?;
    let memo = parse_memo(&reason)?;
    let original = distretto_store::ledger::transfer(&state.db, id).await?;
    let command = Command::single(
        NewLeg {
            reverses: Some(original.id),
            ..NewLeg::new(
                TransferKind::Reversal,
                original.payee,
                original.payer,
                original.amount_minor,
                memo,
            )
        },
        Effect::None,
        actor.id,
    );
    let outcome = state.ledger.submit(command).await.map_err(command_error)?;
    outcome
        .transfers
        .into_iter()
        .next()
        .ok_or(AppError::internal())
}

/// Changes an account's limits and logs who, when and why. This is the one call that changes
/// limits: coordinators reach it through the API and pages, governance decisions will call it
/// with `changed_by = None` and their `decision_ref`.
pub async fn set_limits(
    db: &distretto_store::Db,
    account: Uuid,
    limits: Limits,
    reason: &str,
    changed_by: Option<Uuid>,
    decision_ref: Option<String>,
) -> Result<distretto_store::ledger::LimitChangeRow, AppError> {
    let reason = distretto_domain::membership::parse_reason(reason)?;
    let change = distretto_store::ledger::LimitChangeRow {
        id: Uuid::now_v7(),
        account_id: account,
        old_credit_limit_minor: 0,
        old_upper_limit_minor: None,
        credit_limit_minor: limits.credit_limit_minor,
        upper_limit_minor: limits.upper_limit_minor,
        reason,
        changed_by,
        decision_ref,
        created_at: distretto_store::now(),
    };
    match distretto_store::ledger::change_limits(db, change).await? {
        Ok(row) => Ok(row),
        Err(distretto_store::ledger::LimitChangeError::UnknownAccount) => {
            Err(AppError::not_found())
        }
        Err(distretto_store::ledger::LimitChangeError::BelowBalance) => Err(AppError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "limit_below_balance",
            field: Some("credit_limit"),
        }),
    }
}

/// A coordinator changes an account's limits.
pub async fn change_limits(
    state: &AppState,
    actor: &Actor,
    account: Uuid,
    limits: Limits,
    reason: &str,
) -> Result<distretto_store::ledger::LimitChangeRow, AppError> {
    if !actor.coordinates() {
        return Err(AppError::forbidden());
    }
    set_limits(&state.db, account, limits, reason, Some(actor.id), None).await
}

/// The owner (or an admin of the owning organisation) lets another person pay from the account.
pub async fn authorize(
    state: &AppState,
    actor: &Actor,
    account: Uuid,
    email: &str,
) -> Result<Uuid, AppError> {
    require_owner(state, actor, account).await?;
    let email = distretto_domain::membership::Email::parse(email)?;
    let person = distretto_store::membership::person_by_email(&state.db, &email.0)
        .await?
        .ok_or(AppError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "unknown_person",
            field: Some("email"),
        })?;
    distretto_store::ledger::authorize(
        &state.db,
        &distretto_store::ledger::AuthorizationRow {
            account_id: account,
            person_id: person.id,
            granted_by: actor.id,
            created_at: distretto_store::now(),
        },
    )
    .await?;
    Ok(person.id)
}

/// Withdraws an authorisation.
pub async fn revoke(
    state: &AppState,
    actor: &Actor,
    account: Uuid,
    person: Uuid,
) -> Result<(), AppError> {
    require_owner(state, actor, account).await?;
    Ok(distretto_store::ledger::revoke(&state.db, account, person).await?)
}

/// Owners only: the person of a personal account, admins of an organisation's.
async fn require_owner(
    state: &AppState,
    actor: &Actor,
    account: Uuid,
) -> Result<AccountRow, AppError> {
    let a = distretto_store::accounts::get(&state.db, account).await?;
    let owner = match (a.owner_kind.as_str(), a.owner_id) {
        ("person", Some(p)) => p == actor.id,
        ("organization", Some(o)) => {
            distretto_store::membership::member_role(&state.db, actor.id, o)
                .await?
                .as_deref()
                == Some("admin")
        }
        _ => false,
    };
    if owner {
        Ok(a)
    } else {
        Err(AppError::forbidden())
    }
}

/// A payment request as asked.
#[derive(Debug, Clone)]
pub struct RequestInput {
    /// The account to be paid.
    pub payee: Uuid,
    /// The account asked to pay; `None`: whoever scans the code.
    pub payer: Option<Uuid>,
    /// Amount.
    pub amount: Amount,
    /// Memo.
    pub memo: String,
}

/// The payee asks for a payment.
pub async fn request_payment(
    state: &AppState,
    actor: &Actor,
    input: RequestInput,
) -> Result<PaymentRequestRow, AppError> {
    require_spender(state, actor, input.payee).await?;
    if let Some(payer) = input.payer {
        if payer == input.payee {
            return Err(AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "same_account",
            ));
        }
        let p = distretto_store::accounts::get(&state.db, payer)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => {
                    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_account")
                }
                other => other.into(),
            })?;
        if p.currency != state.config.currency.code {
            return Err(AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "currency_mismatch",
            ));
        }
    }
    let row = PaymentRequestRow {
        id: Uuid::now_v7(),
        payee: input.payee,
        payer: input.payer,
        amount_minor: input.amount.minor(),
        memo: input.memo,
        status: "open".into(),
        transfer_id: None,
        created_by: actor.id,
        created_at: distretto_store::now(),
        decided_at: None,
    };
    distretto_store::ledger::requests::insert_requests(&state.db, std::slice::from_ref(&row))
        .await?;
    Ok(row)
}

/// A request, for its payee's side, its named payer's side, or — while open and addressed to
/// nobody — anyone signed in (the code at a market stall).
pub async fn readable_request(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> Result<PaymentRequestRow, AppError> {
    let r = distretto_store::ledger::requests::get(&state.db, id).await?;
    let anyone = r.payer.is_none();
    if anyone
        || actor.coordinates()
        || distretto_store::ledger::may_read(&state.db, r.payee, actor.id).await?
        || match r.payer {
            Some(p) => distretto_store::ledger::may_read(&state.db, p, actor.id).await?,
            None => false,
        }
    {
        Ok(r)
    } else {
        Err(AppError::not_found())
    }
}

/// The payer accepts a request, paying from `payer`.
pub async fn accept_request(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    payer: Uuid,
) -> Result<TransferRow, AppError> {
    let r = readable_request(state, actor, id).await?;
    require_spender(state, actor, payer).await?;
    if r.status != "open" || r.payer.is_some_and(|p| p != payer) {
        return Err(AppError::conflict("request_not_open"));
    }
    let command = Command::single(
        NewLeg {
            request_id: Some(r.id),
            ..NewLeg::new(
                TransferKind::Request,
                payer,
                r.payee,
                r.amount_minor,
                r.memo.clone(),
            )
        },
        Effect::PayRequest(r.id),
        actor.id,
    );
    let outcome = state.ledger.submit(command).await.map_err(command_error)?;
    outcome
        .transfers
        .into_iter()
        .next()
        .ok_or(AppError::internal())
}

/// The named payer declines, or the payee cancels, an open request.
pub async fn close_request(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    decline: bool,
) -> Result<PaymentRequestRow, AppError> {
    let r = readable_request(state, actor, id).await?;
    let allowed = if decline {
        match r.payer {
            Some(p) => distretto_store::ledger::may_spend(&state.db, p, actor.id).await?,
            None => false,
        }
    } else {
        distretto_store::ledger::may_spend(&state.db, r.payee, actor.id).await?
    };
    if !allowed {
        return Err(AppError::forbidden());
    }
    let status = if decline { "declined" } else { "cancelled" };
    match distretto_store::ledger::requests::close(&state.db, id, status, distretto_store::now())
        .await
    {
        Ok(()) => Ok(distretto_store::ledger::requests::get(&state.db, id).await?),
        Err(StoreError::Conflict) => Err(AppError::conflict("request_not_open")),
        Err(e) => Err(e.into()),
    }
}

/// An invoice as issued.
#[derive(Debug, Clone)]
pub struct InvoiceInput {
    /// The creditor's account (the issuer's side).
    pub creditor: Uuid,
    /// The debtor's account.
    pub debtor: Uuid,
    /// `EUR` or the district currency.
    pub currency: String,
    /// Amount.
    pub amount: Amount,
    /// The creditor's own number.
    pub number: String,
    /// What it is for.
    pub description: String,
    /// Payment due by.
    pub due_on: time::Date,
}

/// The creditor issues an invoice to a debtor.
pub async fn issue_invoice(
    state: &AppState,
    actor: &Actor,
    input: InvoiceInput,
) -> Result<InvoiceRow, AppError> {
    require_spender(state, actor, input.creditor).await?;
    if input.debtor == input.creditor {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "same_account",
        ));
    }
    distretto_store::accounts::get(&state.db, input.debtor)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_account")
            }
            other => other.into(),
        })?;
    if input.currency != EURO && input.currency != state.config.currency.code {
        return Err(AppError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "currency_mismatch",
            field: Some("currency"),
        });
    }
    let number = input.number.trim();
    if number.chars().count() > 40 || number.chars().any(char::is_control) {
        return Err(AppError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_invoice_number",
            field: Some("number"),
        });
    }
    let now = distretto_store::now();
    let row = InvoiceRow {
        id: Uuid::now_v7(),
        number: number.to_owned(),
        creditor: input.creditor,
        debtor: input.debtor,
        currency: input.currency,
        amount_minor: input.amount.minor(),
        paid_minor: 0,
        set_off_minor: 0,
        description: input.description,
        status: InvoiceStatus::Issued.code().into(),
        due_on: input.due_on,
        dispute_reason: None,
        created_by: actor.id,
        created_at: now,
        updated_at: now,
    };
    let event = event(
        row.id,
        "issued",
        Some(row.amount_minor),
        None,
        String::new(),
        actor.id,
        now,
    );
    distretto_store::ledger::invoices::insert(&state.db, &row, &event).await?;
    Ok(row)
}

fn event(
    invoice_id: Uuid,
    action: &str,
    amount_minor: Option<i64>,
    transfer_id: Option<Uuid>,
    note: String,
    actor: Uuid,
    at: OffsetDateTime,
) -> InvoiceEventRow {
    InvoiceEventRow {
        id: Uuid::now_v7(),
        invoice_id,
        action: action.into(),
        amount_minor,
        transfer_id,
        note,
        actor: Some(actor),
        created_at: at,
    }
}

/// Which side of an invoice `actor` may act for (debtor first when both: an organisation
/// invoicing itself is refused at issue anyway).
async fn invoice_side(
    state: &AppState,
    actor: &Actor,
    inv: &InvoiceRow,
) -> Result<Option<InvoiceSide>, AppError> {
    if distretto_store::ledger::may_spend(&state.db, inv.debtor, actor.id).await? {
        return Ok(Some(InvoiceSide::Debtor));
    }
    if distretto_store::ledger::may_spend(&state.db, inv.creditor, actor.id).await? {
        return Ok(Some(InvoiceSide::Creditor));
    }
    Ok(None)
}

/// An invoice, for people who may read either side, and coordinators.
pub async fn readable_invoice(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> Result<InvoiceRow, AppError> {
    let inv = distretto_store::ledger::invoices::get(&state.db, id).await?;
    if actor.coordinates()
        || distretto_store::ledger::may_read(&state.db, inv.debtor, actor.id).await?
        || distretto_store::ledger::may_read(&state.db, inv.creditor, actor.id).await?
    {
        Ok(inv)
    } else {
        Err(AppError::not_found())
    }
}

/// What a party does to an invoice through the API or a page.
#[derive(Debug, Clone)]
pub enum InvoiceStep {
    /// Debtor accepts.
    Accept,
    /// Debtor disputes, with a reason.
    Dispute(String),
    /// Creditor cancels.
    Cancel,
    /// Debtor pays this much by transfer (credit invoices).
    Pay(Amount),
    /// Creditor records this much paid outside the ledger (euro), with a note.
    Record(Amount, String),
}

/// Applies a step to an invoice for `actor`, if their side may take it.
pub async fn invoice_step(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    step: InvoiceStep,
) -> Result<InvoiceRow, AppError> {
    let inv = readable_invoice(state, actor, id).await?;
    let side = invoice_side(state, actor, &inv)
        .await?
        .ok_or(AppError::forbidden())?;
    let status = InvoiceStatus::parse(&inv.status).ok_or(AppError::internal())?;
    let amounts = inv.amounts();
    let refuse = |e: distretto_domain::Invalid| AppError {
        status: StatusCode::CONFLICT,
        code: e.code,
        field: Some(e.field),
    };
    let now = distretto_store::now();
    let (action, new_status, paid, reason, ev) = match step {
        InvoiceStep::Pay(amount) => {
            if side != InvoiceSide::Debtor {
                return Err(AppError::forbidden());
            }
            if inv.currency == EURO {
                return Err(AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invoice_not_in_credit",
                ));
            }
            invoice::transition(status, amounts, side, InvoiceAction::Pay(amount.minor()))
                .map_err(refuse)?;
            pay_invoice(state, actor, &inv, amount).await?;
            return Ok(distretto_store::ledger::invoices::get(&state.db, id).await?);
        }
        InvoiceStep::Accept => (
            InvoiceAction::Accept,
            None,
            inv.paid_minor,
            None,
            ("accepted", None, String::new()),
        ),
        InvoiceStep::Cancel => (
            InvoiceAction::Cancel,
            None,
            inv.paid_minor,
            None,
            ("cancelled", None, String::new()),
        ),
        InvoiceStep::Dispute(reason) => {
            let reason = distretto_domain::membership::parse_reason(&reason)?;
            (
                InvoiceAction::Dispute,
                None,
                inv.paid_minor,
                Some(reason.clone()),
                ("disputed", None, reason),
            )
        }
        InvoiceStep::Record(amount, note) => {
            if side != InvoiceSide::Creditor {
                return Err(AppError::forbidden());
            }
            let note = parse_memo(&note)?;
            (
                InvoiceAction::Pay(amount.minor()),
                None::<InvoiceStatus>,
                inv.paid_minor + amount.minor(),
                None,
                ("paid_recorded", Some(amount.minor()), note),
            )
        }
    };
    let next = new_status
        .map_or_else(|| invoice::transition(status, amounts, side, action), Ok)
        .map_err(refuse)?;
    let change = InvoiceChange {
        status: next.code().into(),
        paid_minor: paid,
        dispute_reason: reason,
        event: event(inv.id, ev.0, ev.1, None, ev.2, actor.id, now),
    };
    match distretto_store::ledger::invoices::change(&state.db, &inv, &change).await {
        Ok(()) => Ok(distretto_store::ledger::invoices::get(&state.db, id).await?),
        Err(StoreError::Conflict) => Err(AppError::conflict("invoice_changed")),
        Err(e) => Err(e.into()),
    }
}

/// The debtor pays (part of) a credit invoice by transfer; the invoice and the transfer change
/// together in the writer's transaction.
async fn pay_invoice(
    state: &AppState,
    actor: &Actor,
    inv: &InvoiceRow,
    amount: Amount,
) -> Result<TransferRow, AppError> {
    let memo = parse_memo(&format!(
        "{} {}",
        inv.number,
        inv.description.chars().take(200).collect::<String>()
    ))
    .unwrap_or_default();
    let command = Command::single(
        NewLeg {
            invoice_id: Some(inv.id),
            ..NewLeg::new(
                TransferKind::Invoice,
                inv.debtor,
                inv.creditor,
                amount.minor(),
                memo,
            )
        },
        Effect::PayInvoice(inv.id),
        actor.id,
    );
    let outcome = state.ledger.submit(command).await.map_err(command_error)?;
    outcome
        .transfers
        .into_iter()
        .next()
        .ok_or(AppError::internal())
}

/// The accounts `actor` can act for (pay from, invoice from).
pub async fn my_accounts(state: &AppState, actor: &Actor) -> Result<Vec<AccountRow>, AppError> {
    Ok(distretto_store::ledger::spendable_accounts(&state.db, actor.id).await?)
}
