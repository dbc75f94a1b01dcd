//! Shared resources and bookings as the pages and the API use them: who may change a
//! resource, booking a slot (held by the database, paid through the ledger writer in the
//! same transaction that confirms it), and cancelling with the policy's refund.

use crate::auth::viewer::Actor;
use crate::{AppError, AppState};
use axum::http::StatusCode;
use distretto_domain::Invalid;
use distretto_domain::ledger::{TransferKind, parse_memo};
use distretto_domain::market::resource::{
    self as rules, Cancellation, FeeUnit, ResourceKind, Rules, Slot, Utilisation,
};
use distretto_store::ledger::{Command, CommandError, Effect, NewLeg};
use distretto_store::market::resources::{self as store, BookingRow, Hold, ResourceRow};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// A booking still held this long after it was made lost its payment (a crash between the
/// hold and the writer's answer): it is released so its slot frees up.
pub const HOLD_MINUTES: i64 = 10;
/// The longest booking note, in characters.
pub const MAX_NOTE_CHARS: usize = 280;

/// A 422 about one field.
pub fn invalid(code: &'static str, field: &'static str) -> AppError {
    AppError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code,
        field: Some(field),
    }
}

/// The rules a stored resource books by.
pub fn rules_of(r: &ResourceRow) -> Result<Rules, AppError> {
    let corrupt = || {
        tracing::error!(resource = %r.id, "stored resource rules no longer parse");
        AppError::internal()
    };
    Ok(Rules {
        enabled: r.enabled,
        fee_minor: r.fee_minor,
        fee_unit: FeeUnit::parse(&r.fee_unit).ok_or_else(corrupt)?,
        windows: rules::parse_windows(&r.availability).map_err(|_| corrupt())?,
        min_minutes: r.min_minutes,
        max_minutes: r.max_minutes,
        max_ahead_days: r.max_ahead_days,
        cancellation: Cancellation {
            free_hours: r.free_cancel_hours,
            kept_percent: r.kept_percent,
        },
    })
}

/// A resource as a form or the API gives it, parsed.
#[derive(Debug, Clone)]
pub struct ResourceInput {
    pub kind: ResourceKind,
    pub name: String,
    pub description: String,
    pub place: String,
    pub rules_text: String,
    pub rules: Rules,
}

/// Whether `actor` may create and change `owner`'s resources (its admins, coordinators).
pub async fn manages(state: &AppState, actor: &Actor, owner: Uuid) -> Result<bool, AppError> {
    crate::directory::service::may_administer(state, actor, owner).await
}

/// The organisations `actor` may add resources for (active ones they administer; every
/// active one for a coordinator), by name.
pub async fn owners_for(state: &AppState, actor: &Actor) -> Result<Vec<(Uuid, String)>, AppError> {
    let orgs = distretto_store::market::resources::organizations_for(
        &state.db,
        actor.id,
        actor.coordinates(),
    )
    .await?;
    Ok(orgs)
}

/// Creates a resource of `owner`, lent by it.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    owner: Uuid,
    input: ResourceInput,
) -> Result<ResourceRow, AppError> {
    let org = distretto_store::directory::get(&state.db, owner)
        .await
        .map_err(|_| invalid("resource_owner_required", "owner"))?;
    if org.status != "active" || !manages(state, actor, owner).await? {
        return Err(AppError::forbidden());
    }
    input.rules.check()?;
    let now = distretto_store::now();
    let row = ResourceRow {
        id: Uuid::now_v7(),
        owner_id: owner,
        kind: input.kind.code().into(),
        name: input.name,
        description: input.description,
        place: input.place,
        rules: input.rules_text,
        currency: state.config.currency.code.clone(),
        fee_minor: input.rules.fee_minor,
        fee_unit: input.rules.fee_unit.code().into(),
        availability: rules::format_windows(&input.rules.windows),
        min_minutes: input.rules.min_minutes,
        max_minutes: input.rules.max_minutes,
        max_ahead_days: input.rules.max_ahead_days,
        free_cancel_hours: input.rules.cancellation.free_hours,
        kept_percent: input.rules.cancellation.kept_percent,
        enabled: input.rules.enabled,
        created_by: actor.id,
        created_at: now,
        updated_at: now,
    };
    store::insert_resource(&state.db, &row).await?;
    Ok(row)
}

/// Changes a resource (its owner's admins, coordinators). Bookings made keep the fee and
/// cancellation policy they were made with.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    input: ResourceInput,
) -> Result<ResourceRow, AppError> {
    let old = store::resource(&state.db, id).await?;
    if !manages(state, actor, old.owner_id).await? {
        return Err(AppError::forbidden());
    }
    input.rules.check()?;
    let row = ResourceRow {
        kind: input.kind.code().into(),
        name: input.name,
        description: input.description,
        place: input.place,
        rules: input.rules_text,
        fee_minor: input.rules.fee_minor,
        fee_unit: input.rules.fee_unit.code().into(),
        availability: rules::format_windows(&input.rules.windows),
        min_minutes: input.rules.min_minutes,
        max_minutes: input.rules.max_minutes,
        max_ahead_days: input.rules.max_ahead_days,
        free_cancel_hours: input.rules.cancellation.free_hours,
        kept_percent: input.rules.cancellation.kept_percent,
        enabled: input.rules.enabled,
        updated_at: distretto_store::now(),
        ..old
    };
    store::update_resource(&state.db, &row).await?;
    Ok(row)
}

/// A booking as asked.
#[derive(Debug, Clone)]
pub struct BookingInput {
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
    /// The paying account; the person's own when absent.
    pub account: Option<Uuid>,
    pub note: String,
}

/// An `Idempotency-Key` and the hash of the request it came with.
#[derive(Debug, Clone)]
pub struct Key {
    pub key: String,
    pub hash: [u8; 32],
}

/// The hash a booking's idempotency key is bound to: the parsed request.
pub fn request_hash(resource: Uuid, input: &BookingInput) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"booking-v1");
    h.update(resource.as_bytes());
    h.update(input.start.unix_timestamp().to_be_bytes());
    h.update(input.end.unix_timestamp().to_be_bytes());
    h.update(input.account.map(|a| *a.as_bytes()).unwrap_or_default());
    h.update(input.note.as_bytes());
    h.finalize().into()
}

/// What booking gave: the booking, and whether it answers an earlier request with the same key.
#[derive(Debug, Clone)]
pub struct Booked {
    pub booking: BookingRow,
    pub replayed: bool,
}

/// Books a slot of a resource at `now`. The slot is checked by the rules, then inserted
/// `held` (the database refuses an overlap: `slot_taken`), then its fee is paid through the
/// ledger writer, which confirms it in the same transaction. A refused fee releases the
/// booking with the reason and answers the refusal: no transfer, no slot taken. With a key, a
/// retry answers the first booking and never charges twice.
pub async fn book(
    state: &AppState,
    actor: &Actor,
    resource_id: Uuid,
    input: BookingInput,
    key: Option<Key>,
    now: OffsetDateTime,
) -> Result<Booked, AppError> {
    let resource = store::resource(&state.db, resource_id).await?;
    if let Some(k) = &key
        && let Some(answer) = replay(state, actor, k).await?
    {
        return answer;
    }
    let rules = rules_of(&resource)?;
    let slot = Slot {
        start: input.start,
        end: input.end,
    };
    rules::validate_slot(&rules, &slot, now)?;
    let note = parse_memo(&input.note).map_err(|e| invalid(e.code, "note"))?;
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(invalid("memo_too_long", "note"));
    }
    let account = match input.account {
        Some(a) => a,
        None => distretto_store::ledger::spendable_accounts(&state.db, actor.id)
            .await?
            .into_iter()
            .find(|a| a.currency == resource.currency)
            .map(|a| a.id)
            .ok_or(invalid("booking_no_account", "account"))?,
    };
    if !distretto_store::ledger::may_spend(&state.db, account, actor.id).await? {
        return Err(AppError {
            status: StatusCode::FORBIDDEN,
            code: "not_your_account",
            field: Some("account"),
        });
    }
    let paying = distretto_store::accounts::get(&state.db, account).await?;
    if paying.currency != resource.currency {
        return Err(invalid("currency_mismatch", "account"));
    }
    let payee = store::owner_account(&state.db, resource.owner_id, &resource.currency).await?;
    // The owner books its own resource for free.
    let fee = if payee == Some(account) {
        0
    } else {
        rules::fee_of(&rules, &slot)?
    };
    if fee > 0 && payee.is_none() {
        return Err(AppError::conflict("owner_has_no_account"));
    }
    store::release_stale(&state.db, now - Duration::minutes(HOLD_MINUTES)).await?;
    let row = BookingRow {
        id: Uuid::now_v7(),
        resource_id,
        booked_by: actor.id,
        account_id: account,
        payee_account: if fee > 0 { payee } else { None },
        starts_at: slot.start,
        ends_at: slot.end,
        status: if fee > 0 { "held" } else { "confirmed" }.into(),
        fee_minor: fee,
        free_cancel_hours: rules.cancellation.free_hours,
        kept_percent: rules.cancellation.kept_percent,
        transfer_id: None,
        refund_minor: None,
        refund_transfer_id: None,
        release_reason: None,
        note,
        idempotency_key: key.as_ref().map(|k| k.key.clone()),
        request_hash: key.as_ref().map(|k| k.hash.to_vec()),
        created_at: now,
        confirmed_at: if fee > 0 { None } else { Some(now) },
        cancelled_at: None,
    };
    match store::hold(&state.db, &row).await? {
        Hold::Held => {}
        refused @ (Hold::SlotTaken | Hold::KeyUsed) => {
            // The same key may have raced us (its booking then takes this very slot): answer
            // as a retry would.
            if let Some(k) = &key
                && let Some(answer) = replay(state, actor, k).await?
            {
                return answer;
            }
            return Err(AppError::conflict(if refused == Hold::SlotTaken {
                "slot_taken"
            } else {
                "idempotency_key_reused"
            }));
        }
    }
    if fee > 0
        && let Err(e) = pay(state, actor, &resource, &row).await
        && store::booking(&state.db, row.id).await?.status != "confirmed"
    {
        // (Confirmed all the same: a retry with the same key paid it first, see `replay`.)
        return Err(e);
    }
    Ok(Booked {
        booking: store::booking(&state.db, row.id).await?,
        replayed: false,
    })
}

/// Pays a held booking; on a refusal releases it and answers the refusal.
async fn pay(
    state: &AppState,
    actor: &Actor,
    resource: &ResourceRow,
    b: &BookingRow,
) -> Result<(), AppError> {
    let Some(payee) = b.payee_account else {
        return Err(AppError::internal());
    };
    let name: String = resource.name.chars().take(100).collect();
    let memo = format!("{name} · {}", slot_text(b.starts_at, b.ends_at));
    let leg = NewLeg::new(
        TransferKind::Booking,
        b.account_id,
        payee,
        b.fee_minor,
        memo,
    );
    let command = Command::single(leg, Effect::Booking(b.id), actor.id);
    match state.ledger.submit(command).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_decision() => {
            store::release(&state.db, b.id, e.code()).await?;
            Err(refusal(e))
        }
        // The fate of the payment is unknown: the booking stays held until the writer
        // answers or the hold expires.
        Err(e) => Err(crate::ledger::service::command_error(e)),
    }
}

/// The answer to a ledger refusal of a booking's fee or refund.
fn refusal(e: CommandError) -> AppError {
    match e {
        CommandError::Booking(_) => AppError::conflict("booking_changed"),
        CommandError::Refused(r) => invalid(r.code(), "account"),
        other => crate::ledger::service::command_error(other),
    }
}

/// A retried request's answer, when the key was used before.
async fn replay(
    state: &AppState,
    actor: &Actor,
    key: &Key,
) -> Result<Option<Result<Booked, AppError>>, AppError> {
    let Some(mut b) = store::booking_by_key(&state.db, actor.id, &key.key).await? else {
        return Ok(None);
    };
    if b.request_hash.as_deref() != Some(key.hash.as_slice()) {
        return Ok(Some(Err(AppError::conflict("idempotency_key_reused"))));
    }
    if b.status == "held" {
        // The request that held the slot may have died between the hold and its fee (a
        // crash): the retry pays it, as that request would have, instead of answering a
        // booking that is not paid and that the hold's expiry would release later. The writer
        // pays a held booking once, so the first request (if still alive) and this retry never
        // both charge; whichever loses finds the booking confirmed, or released on a refusal.
        let resource = store::resource(&state.db, b.resource_id).await?;
        let paid = pay(state, actor, &resource, &b).await;
        b = store::booking(&state.db, b.id).await?;
        if let Err(e) = paid
            && b.status == "held"
        {
            // The fee's fate is unknown (the writer did not answer): so is the booking's.
            return Ok(Some(Err(e)));
        }
    }
    if b.status == "released" {
        let code = b.release_reason.as_deref().unwrap_or("booking_released");
        let code = CommandError::from_code(code);
        return Ok(Some(Err(match code {
            CommandError::Refused(r) => invalid(r.code(), "account"),
            _ => AppError::conflict("booking_released"),
        })));
    }
    Ok(Some(Ok(Booked {
        booking: b,
        replayed: true,
    })))
}

/// Whether `actor` may see and cancel the booking: who made it, and admins of the
/// organisation whose account pays it.
pub async fn may_cancel(state: &AppState, actor: &Actor, b: &BookingRow) -> Result<bool, AppError> {
    if b.booked_by == actor.id {
        return Ok(true);
    }
    let account = distretto_store::accounts::get(&state.db, b.account_id).await?;
    match (account.owner_kind.as_str(), account.owner_id) {
        ("organization", Some(org)) => Ok(distretto_store::membership::member_role(
            &state.db, actor.id, org,
        )
        .await?
        .as_deref()
            == Some("admin")),
        _ => Ok(false),
    }
}

/// What cancelling at `now` would give back, or why it cannot be cancelled.
pub fn refund_now(b: &BookingRow, now: OffsetDateTime) -> Result<i64, AppError> {
    match b.status.as_str() {
        "confirmed" => {}
        "cancelled" => return Err(AppError::conflict("booking_already_cancelled")),
        _ => return Err(AppError::conflict("booking_not_confirmed")),
    }
    let policy = Cancellation {
        free_hours: b.free_cancel_hours,
        kept_percent: b.kept_percent,
    };
    rules::refund_of(policy, b.fee_minor, b.starts_at, now).map_err(|e: Invalid| AppError {
        status: StatusCode::CONFLICT,
        code: e.code,
        field: None,
    })
}

/// Cancels a confirmed booking at `now`, refunding per the policy it was made with, once:
/// the refund and the cancellation are one transaction of the writer, which refuses a
/// booking no longer confirmed.
pub async fn cancel(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<BookingRow, AppError> {
    let b = store::booking(&state.db, id).await?;
    if !may_cancel(state, actor, &b).await? {
        return Err(AppError::forbidden());
    }
    let refund = refund_now(&b, now)?;
    match b.payee_account {
        Some(payee) if refund > 0 => {
            let resource = store::resource(&state.db, b.resource_id).await?;
            let name: String = resource.name.chars().take(100).collect();
            let memo = format!("{name} · {}", slot_text(b.starts_at, b.ends_at));
            let leg = NewLeg::new(
                TransferKind::BookingRefund,
                payee,
                b.account_id,
                refund,
                memo,
            );
            let command = Command::single(leg, Effect::BookingRefund(b.id), actor.id);
            match state.ledger.submit(command).await {
                Ok(_) => {}
                Err(CommandError::Booking(_)) => {
                    return Err(AppError::conflict("booking_already_cancelled"));
                }
                Err(e) => return Err(refusal(e)),
            }
        }
        _ => {
            if !store::cancel_without_refund(&state.db, b.id, now).await? {
                return Err(AppError::conflict("booking_already_cancelled"));
            }
        }
    }
    Ok(store::booking(&state.db, b.id).await?)
}

/// `2026-12-07 10:00–12:00 UTC` (or with the end's date when it ends another day).
pub fn slot_text(start: OffsetDateTime, end: OffsetDateTime) -> String {
    let day =
        |t: OffsetDateTime| format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day());
    let time = |t: OffsetDateTime| format!("{:02}:{:02}", t.hour(), t.minute());
    if start.date() == end.date() {
        format!("{} {}–{} UTC", day(start), time(start), time(end))
    } else {
        format!(
            "{} {} – {} {} UTC",
            day(start),
            time(start),
            day(end),
            time(end)
        )
    }
}

/// Utilisation over the 30 days and the year before `now`.
pub async fn utilisation(
    state: &AppState,
    r: &ResourceRow,
    now: OffsetDateTime,
) -> Result<(Utilisation, Utilisation), AppError> {
    let rules = rules_of(r)?;
    let year = Slot {
        start: now - Duration::days(365),
        end: now,
    };
    let taken: Vec<Slot> = store::taken(&state.db, r.id, year.start, year.end)
        .await?
        .into_iter()
        .filter(|b| b.status == "confirmed")
        .map(|b| Slot {
            start: b.starts_at,
            end: b.ends_at,
        })
        .collect();
    let month = Slot {
        start: now - Duration::days(30),
        end: now,
    };
    Ok((
        rules::utilisation(&rules.windows, &taken, &month),
        rules::utilisation(&rules.windows, &taken, &year),
    ))
}
