//! Clearing rounds as people use them: coordinators open, compute, apply and cancel rounds;
//! members give standing consent, join a round, confirm or withdraw. Applying goes through the
//! ledger writer, so invoices, set-off records and credit transfers change in one transaction.

use crate::auth::viewer::Actor;
use crate::{AppError, AppState};
use axum::http::StatusCode;
use distretto_domain::clearing::round::{
    self, Candidate, Headroom, Line, PlannedTransfer, Policy, RoundStatus, Verdict,
};
use distretto_domain::ledger::{EURO, TransferKind};
use distretto_store::StoreError;
use distretto_store::clearing::{
    self as store, ClearingTransferRow, ConsentRow, Figures, LineRow, ParticipantRow, RoundRow,
};
use distretto_store::ledger::{Command, CommandError, Effect, NewLeg};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// What a coordinator fills in to open a round.
#[derive(Debug, Clone)]
pub struct OpenInput {
    /// `EUR` or the district currency.
    pub currency: String,
    /// Invoices issued on or before this day are candidates.
    pub cut_off: Date,
    /// Answers until then.
    pub deadline: OffsetDateTime,
    /// How consent is given.
    pub policy: Policy,
    /// Whether unused credit lines may settle more.
    pub credit_assisted: bool,
    /// A word to participants.
    pub note: String,
}

fn coordinator(actor: &Actor) -> Result<(), AppError> {
    if actor.coordinates() {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

fn refused(code: &'static str, field: &'static str) -> AppError {
    AppError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code,
        field: Some(field),
    }
}

/// A coordinator opens a round.
pub async fn open_round(
    state: &AppState,
    actor: &Actor,
    input: OpenInput,
) -> Result<RoundRow, AppError> {
    coordinator(actor)?;
    let district = &state.config.currency.code;
    if input.currency != EURO && &input.currency != district {
        return Err(refused("currency_mismatch", "currency"));
    }
    if input.credit_assisted && &input.currency != district {
        return Err(refused("credit_needs_district_currency", "credit_assisted"));
    }
    let now = distretto_store::now();
    round::check_dates(input.cut_off, input.deadline, now)?;
    let note = distretto_domain::ledger::parse_memo(&input.note)?;
    let row = RoundRow {
        id: Uuid::now_v7(),
        number: 0,
        currency: input.currency,
        cut_off: input.cut_off,
        deadline: input.deadline,
        policy: input.policy.code().into(),
        credit_assisted: input.credit_assisted,
        status: RoundStatus::Open.code().into(),
        note,
        opened_by: actor.id,
        opened_at: now,
        proposed_at: None,
        closed_by: None,
        closed_at: None,
        candidates: 0,
        parties: 0,
        debt_before_minor: 0,
        set_off_minor: 0,
        credit_settled_minor: 0,
        credit_transferred_minor: 0,
    };
    match store::open_round(&state.db, &row).await {
        Ok(r) => Ok(r),
        Err(StoreError::Conflict) => Err(AppError::conflict("clearing_round_in_progress")),
        Err(e) => Err(e.into()),
    }
}

/// A round anyone signed in may look at (its figures are the district's; the lines a member
/// sees are filtered by the pages).
pub async fn round(state: &AppState, id: Uuid) -> Result<RoundRow, AppError> {
    Ok(store::round(&state.db, id).await?)
}

fn status_of(r: &RoundRow) -> Result<RoundStatus, AppError> {
    RoundStatus::parse(&r.status).ok_or(AppError::internal())
}

/// Refuses unless `actor` may act for `account` (pay from it: owner, organisation admin or
/// authorised person). Consent binds the account like a payment does.
pub async fn require_acting_for(
    state: &AppState,
    actor: &Actor,
    account: Uuid,
) -> Result<(), AppError> {
    let mine = crate::ledger::service::my_accounts(state, actor).await?;
    if mine.iter().any(|a| a.id == account) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// Gives or withdraws an account's standing consent.
pub async fn set_consent(
    state: &AppState,
    actor: &Actor,
    account: Uuid,
    standing: bool,
) -> Result<(), AppError> {
    require_acting_for(state, actor, account).await?;
    store::set_consent(
        &state.db,
        &ConsentRow {
            account_id: account,
            standing,
            changed_by: actor.id,
            changed_at: distretto_store::now(),
        },
    )
    .await?;
    Ok(())
}

/// An account joins a round in progress (or comes back after withdrawing). If a proposal
/// exists it is computed again with the account's invoices.
pub async fn join(
    state: &AppState,
    actor: &Actor,
    round_id: Uuid,
    account: Uuid,
) -> Result<(), AppError> {
    require_acting_for(state, actor, account).await?;
    let r = round(state, round_id).await?;
    let participant = ParticipantRow {
        round_id,
        account_id: account,
        via: "joined".into(),
        joined_by: Some(actor.id),
        joined_at: distretto_store::now(),
        answer: None,
        answered_by: None,
        answered_at: None,
    };
    match store::join(&state.db, &participant).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(AppError::conflict("clearing_round_closed")),
        Err(e) => return Err(e.into()),
    }
    if status_of(&r)? == RoundStatus::Proposed {
        compute(state, round_id).await?;
    }
    Ok(())
}

/// A participant confirms the proposal it read (computed at `proposed_at`); once everyone
/// concerned confirmed, the round is applied at once.
pub async fn confirm(
    state: &AppState,
    actor: &Actor,
    round_id: Uuid,
    account: Uuid,
    proposed_at: Option<OffsetDateTime>,
) -> Result<(), AppError> {
    require_acting_for(state, actor, account).await?;
    let r = round(state, round_id).await?;
    if status_of(&r)? != RoundStatus::Proposed {
        return Err(AppError::conflict("clearing_round_not_proposed"));
    }
    answer(state, actor, &r, account, "confirmed", proposed_at).await?;
    settle(state, round_id, distretto_store::now()).await?;
    Ok(())
}

/// A participant leaves the round; a proposal is computed again without it.
pub async fn withdraw(
    state: &AppState,
    actor: &Actor,
    round_id: Uuid,
    account: Uuid,
) -> Result<(), AppError> {
    require_acting_for(state, actor, account).await?;
    let r = round(state, round_id).await?;
    answer(state, actor, &r, account, "withdrawn", r.proposed_at).await?;
    if status_of(&r)? == RoundStatus::Proposed {
        compute(state, round_id).await?;
    }
    Ok(())
}

async fn answer(
    state: &AppState,
    actor: &Actor,
    r: &RoundRow,
    account: Uuid,
    answer: &str,
    proposed_at: Option<OffsetDateTime>,
) -> Result<(), AppError> {
    if store::participant(&state.db, r.id, account)
        .await?
        .is_none()
    {
        return Err(AppError::conflict("clearing_not_participant"));
    }
    let now = distretto_store::now();
    match store::answer(&state.db, r.id, account, answer, proposed_at, actor.id, now).await {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict) => Err(AppError::conflict("clearing_proposal_changed")),
        Err(e) => Err(e.into()),
    }
}

/// Each account's headroom: how far its balance may fall (to its lower limit) and rise (to its
/// upper limit).
async fn headroom(state: &AppState, candidates: &[Candidate]) -> Result<Headroom, AppError> {
    let mut ids: Vec<Uuid> = candidates
        .iter()
        .flat_map(|c| [c.debtor, c.creditor])
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let rows = store::headroom(&state.db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|(id, balance, credit_limit, upper)| {
            let draw = balance.saturating_add(credit_limit).max(0);
            let receive = upper.map_or(i64::MAX, |u| u.saturating_sub(balance).max(0));
            (id, (draw, receive))
        })
        .collect())
}

fn to_i64(v: i128) -> Result<i64, AppError> {
    i64::try_from(v).map_err(|_| AppError::conflict("clearing_too_large"))
}

/// Computes (again) a round's proposal from the invoices as they are now. Standing consents
/// join first. Confirmations of an earlier proposal no longer count.
pub async fn compute(state: &AppState, round_id: Uuid) -> Result<RoundRow, AppError> {
    let r = round(state, round_id).await?;
    if !status_of(&r)?.in_progress() {
        return Err(AppError::conflict("clearing_round_closed"));
    }
    let now = distretto_store::now();
    store::add_standing(&state.db, r.id, now).await?;
    let rows =
        store::candidates(&state.db, r.id, &r.currency, round::end_of_day(r.cut_off)).await?;
    let candidates: Vec<Candidate> = rows
        .iter()
        .map(|c| Candidate {
            invoice: c.id,
            debtor: c.debtor,
            creditor: c.creditor,
            remaining_minor: c.remaining_minor,
        })
        .collect();
    let room = if r.credit_assisted {
        Some(headroom(state, &candidates).await?)
    } else {
        None
    };
    let proposal = round::propose(&candidates, room.as_ref()).map_err(|e| {
        tracing::error!(error = %e, round = %r.id, "clearing failed");
        AppError::internal()
    })?;
    let lines: Vec<LineRow> = proposal
        .lines
        .iter()
        .map(|l| LineRow {
            round_id: r.id,
            invoice_id: l.candidate.invoice,
            debtor: l.candidate.debtor,
            creditor: l.candidate.creditor,
            remaining_minor: l.candidate.remaining_minor,
            set_off_minor: l.set_off_minor,
            credit_minor: l.credit_minor,
        })
        .collect();
    let transfers: Vec<ClearingTransferRow> = proposal
        .transfers
        .iter()
        .map(|t| ClearingTransferRow {
            round_id: r.id,
            payer: t.payer,
            payee: t.payee,
            amount_minor: t.amount_minor,
            transfer_id: None,
        })
        .collect();
    let figures = Figures {
        candidates: lines.len() as i64,
        parties: proposal.parties as i64,
        debt_before_minor: to_i64(proposal.debt_before_minor)?,
        set_off_minor: to_i64(proposal.set_off_minor)?,
        credit_settled_minor: to_i64(proposal.credit_settled_minor)?,
        credit_transferred_minor: to_i64(proposal.credit_transferred_minor)?,
    };
    match store::save_proposal(&state.db, r.id, &lines, &transfers, figures, now).await {
        Ok(()) => Ok(round(state, r.id).await?),
        Err(StoreError::Conflict) => Err(AppError::conflict("clearing_round_closed")),
        Err(e) => Err(e.into()),
    }
}

/// The domain's view of stored lines.
pub fn domain_lines(rows: &[LineRow]) -> Vec<Line> {
    rows.iter()
        .map(|l| Line {
            candidate: Candidate {
                invoice: l.invoice_id,
                debtor: l.debtor,
                creditor: l.creditor,
                remaining_minor: l.remaining_minor,
            },
            set_off_minor: l.set_off_minor,
            credit_minor: l.credit_minor,
        })
        .collect()
}

/// The domain's view of stored transfers.
pub fn domain_transfers(rows: &[ClearingTransferRow]) -> Vec<PlannedTransfer> {
    rows.iter()
        .map(|t| PlannedTransfer {
            payer: t.payer,
            payee: t.payee,
            amount_minor: t.amount_minor,
        })
        .collect()
}

/// A coordinator applies a proposed round now, whatever the answers (the assembly decided).
pub async fn apply_now(state: &AppState, actor: &Actor, round_id: Uuid) -> Result<(), AppError> {
    coordinator(actor)?;
    apply(state, round_id, Some(actor.id)).await
}

/// Posts a round through the ledger writer. If an invoice changed since the proposal the
/// round is refused whole, its proposal is computed again, and `clearing_round_stale` tells
/// the caller to look at the new one.
async fn apply(state: &AppState, round_id: Uuid, by: Option<Uuid>) -> Result<(), AppError> {
    let r = round(state, round_id).await?;
    let transfers = store::transfers(&state.db, r.id).await?;
    let memo = format!("#{}", r.number);
    let legs = transfers
        .iter()
        .map(|t| {
            NewLeg::new(
                TransferKind::Clearing,
                t.payer,
                t.payee,
                t.amount_minor,
                memo.clone(),
            )
        })
        .collect();
    let command = Command {
        legs,
        effect: Effect::Clearing(r.id),
        idempotency: None,
        created_by: by,
    };
    match state.ledger.submit(command).await {
        Ok(_) => {
            crate::audit::record_now(
                state,
                distretto_domain::audit::AuditKind::ClearingApplied,
                by,
                format!("clearing_round:{}", r.id),
                format!(
                    "#{} {} set_off_minor={} credit_settled_minor={} parties={}",
                    r.number, r.currency, r.set_off_minor, r.credit_settled_minor, r.parties
                ),
            )
            .await;
            Ok(())
        }
        Err(CommandError::Clearing("clearing_round_stale")) => {
            compute(state, r.id).await?;
            Err(AppError::conflict("clearing_round_stale"))
        }
        Err(CommandError::Clearing(code)) => Err(AppError::conflict(code)),
        Err(CommandError::Refused(refusal)) => {
            // A balance moved since the proposal: compute again with today's headroom.
            tracing::info!(round = %r.id, refusal = refusal.code(), "credit-assisted round refused by the ledger; recomputing");
            compute(state, r.id).await?;
            Err(AppError::conflict("clearing_round_stale"))
        }
        Err(e) => Err(crate::ledger::service::command_error(e)),
    }
}

/// A coordinator cancels a round in progress.
pub async fn cancel(state: &AppState, actor: &Actor, round_id: Uuid) -> Result<(), AppError> {
    coordinator(actor)?;
    close(state, round_id, RoundStatus::Cancelled, Some(actor.id)).await
}

async fn close(
    state: &AppState,
    round_id: Uuid,
    status: RoundStatus,
    by: Option<Uuid>,
) -> Result<(), AppError> {
    let now = distretto_store::now();
    match store::close(&state.db, round_id, status.code(), by, now).await {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict) => Err(AppError::conflict("clearing_round_closed")),
        Err(e) => Err(e.into()),
    }
}

/// What the policy says about a round now: apply, lapse or wait.
pub async fn verdict_of(
    state: &AppState,
    r: &RoundRow,
    now: OffsetDateTime,
) -> Result<Verdict, AppError> {
    let policy = Policy::parse(&r.policy).map_err(|_| AppError::internal())?;
    match status_of(r)? {
        RoundStatus::Open if now >= r.deadline => return Ok(Verdict::Lapse),
        RoundStatus::Proposed => {}
        _ => return Ok(Verdict::Wait),
    }
    let lines = domain_lines(&store::lines(&state.db, r.id).await?);
    let transfers = domain_transfers(&store::transfers(&state.db, r.id).await?);
    let concerned = round::concerned(&lines, &transfers);
    let confirmed: Vec<Uuid> = store::participants(&state.db, r.id)
        .await?
        .into_iter()
        .filter(|p| p.answer.as_deref() == Some("confirmed"))
        .map(|p| p.account_id)
        .collect();
    Ok(round::verdict(
        policy, &concerned, &confirmed, r.deadline, now,
    ))
}

/// Applies or closes one round if its policy says so; whether anything happened.
pub async fn settle(
    state: &AppState,
    round_id: Uuid,
    now: OffsetDateTime,
) -> Result<bool, AppError> {
    let r = round(state, round_id).await?;
    match verdict_of(state, &r, now).await? {
        Verdict::Wait => Ok(false),
        Verdict::Apply => apply(state, r.id, None).await.map(|()| true),
        Verdict::Lapse => close(state, r.id, RoundStatus::Lapsed, None)
            .await
            .map(|()| true),
    }
}

/// Settles every round in progress whose time has come (the server runs this every minute).
pub async fn settle_due(state: &AppState, now: OffsetDateTime) -> Result<u32, AppError> {
    let mut settled = 0;
    for r in store::in_progress(&state.db).await? {
        match settle(state, r.id, now).await {
            Ok(true) => settled += 1,
            Ok(false) => {}
            // A stale round was recomputed; it waits for the next minute's look.
            Err(e) if e.status == StatusCode::CONFLICT => {}
            Err(e) => return Err(e),
        }
    }
    Ok(settled)
}

/// How often the server looks for rounds whose deadline passed.
pub const SETTLE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Settles due rounds every [`SETTLE_EVERY`] for as long as the server runs.
pub async fn settle_loop(state: AppState, stop: crate::background::Stop) {
    let mut ticks = crate::background::every("clearing_settle", SETTLE_EVERY, stop);
    while ticks.next().await {
        let done = settle_due(&state, distretto_store::now()).await;
        ticks.done(&state, done.is_ok());
        match done {
            Ok(0) => {}
            Ok(n) => tracing::info!(rounds = n, "clearing rounds settled at their deadline"),
            Err(e) => tracing::warn!(code = e.code, "settling clearing rounds failed"),
        }
    }
}
