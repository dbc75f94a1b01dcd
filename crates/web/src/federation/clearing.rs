//! Clearing rounds between districts: the mutual debts that mirror accounts record are set off
//! around cycles of linked districts (see [`distretto_domain::federation::clearing`]).
//!
//! A round is a two-phase protocol with one coordinator, the district that starts it (a
//! coordinator's click, or the schedule `federation_clearing_every_days`):
//!
//! 1. **Positions.** It asks every active linked district at a rate of 1 to 1 for its mirror
//!    balances (`clearing_positions`), and computes the largest set-off of the debts whose two
//!    sides agree.
//! 2. **Hold here, prepare there.** It records the round, holds its own part (transfers
//!    between its mirror accounts), and sends every district with a part the whole plan
//!    (`clearing_prepare`). Each checks its part against its own balances (each mirror moves
//!    towards zero, its part balances), holds it, and answers `prepared`, durably.
//! 3. **Decide.** The starting district alone decides: commit once every district prepared;
//!    abort when one refused, or did not prepare before the deadline. The decision is one
//!    writer transaction.
//! 4. **Tell.** `clearing_commit` or `clearing_abort` to each, until acknowledged. A district
//!    that holds a part and hears nothing asks (`clearing_query`); a round the starting
//!    district never recorded is presumed aborted.
//!
//! Every message is idempotent by round id, so lost, repeated or late messages and a restart
//! end with every part posted, or none. The resolver of the payments finishes open rounds too.
//!
//! A round also sets off unpaid, accepted invoices between members of the districts (see
//! [`distretto_domain::federation::invoice_clearing`]): each district reports its side of
//! them with its balances, and a part's invoice set-offs are added to this district's copies
//! in the writer's transaction that commits its legs. While a round is under way, the invoices
//! it names are not paid, cancelled or disputed.

use super::client::SendError;
use super::service::{self, InboxMessage};
use crate::auth::viewer::Actor;
use crate::{AppError, AppState};
use axum::http::StatusCode;
use distretto_domain::federation::clearing::{self as domain, Plan, PlanError, Report};
use distretto_domain::federation::invoice_clearing::{self, InvoiceDebt, MAX_INVOICES};
use distretto_domain::ledger::TransferKind;
use distretto_store::StoreError;
use distretto_store::federation::clearings::{
    self as store, ClearingRow, InvoiceLineRow, LegRow, PartyRow,
};
use distretto_store::federation::payments::mirror;
use distretto_store::federation::{self as links, LinkRow, ONE_TO_ONE_PPM};
use distretto_store::ledger::{ClearingStep, Command, CommandError, Effect, NewLeg};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// Rounds finished per pass of the resolver.
const RESOLVE_BATCH: i64 = 50;
/// An open round is taken up by the resolver once untouched for this long.
const RESOLVE_AFTER_SECS: i64 = 3;
/// Refusal codes of another district that end a round (anything else is asked again).
const DECISIVE: [&str; 8] = [
    "federation_clearing_open",
    "federation_clearing_unknown_invoice",
    "federation_clearing_stale",
    "federation_clearing_unknown_district",
    "federation_bad_message",
    "federation_link_status",
    "credit_limit_exceeded",
    "federation_clearing_state",
];

/// A linked district that may clear with this one: its link and its mirror account here.
struct Peer {
    link: LinkRow,
    mirror: Uuid,
    balance_minor: i64,
}

/// The links that may clear, by the other district's address: active, at a rate of 1 to 1,
/// with a mirror account here.
async fn peers(state: &AppState) -> Result<BTreeMap<String, Peer>, AppError> {
    let mut peers = BTreeMap::new();
    for link in links::links(&state.db).await? {
        if link.status != "active" || link.exchange_rate_ppm != ONE_TO_ONE_PPM {
            continue;
        }
        if let Some(m) = mirror(&state.db, link.id, &state.config.currency.code).await? {
            peers.insert(
                link.peer_url.clone(),
                Peer {
                    link,
                    mirror: m.id,
                    balance_minor: m.balance_minor,
                },
            );
        }
    }
    Ok(peers)
}

/// This district's side of the invoices a round may set off, with the links that may clear:
/// each invoice's districts by address and our member's account.
async fn invoice_debts(
    state: &AppState,
    peers: &BTreeMap<String, Peer>,
) -> Result<Vec<InvoiceDebt>, AppError> {
    let us = service::own_url(state);
    let rows =
        distretto_store::federation::invoices::clearable(&state.db, MAX_INVOICES as i64).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let (url, _) = peers.iter().find(|(_, p)| p.link.id == r.link_id)?;
            let (debtor, creditor) = if r.side == "debtor" {
                (us.clone(), url.clone())
            } else {
                (url.clone(), us.clone())
            };
            Some(InvoiceDebt {
                id: r.id.to_string(),
                debtor,
                creditor,
                member: r.account_id.to_string(),
                remaining_minor: r.remaining_minor(),
            })
        })
        .collect())
}

/// This district's report: its address, its mirrors' balances and its side of the invoices
/// between districts.
async fn report(state: &AppState, peers: &BTreeMap<String, Peer>) -> Result<Report, AppError> {
    Ok(Report {
        district: service::own_url(state),
        balances: peers
            .iter()
            .map(|(url, p)| (url.clone(), p.balance_minor))
            .collect(),
        invoices: invoice_debts(state, peers).await?,
    })
}

/// What a plan sets off of this district's invoices, as rows of the round.
fn invoice_lines(plan: &Plan, us: &str, round: Uuid) -> Result<Vec<InvoiceLineRow>, PlanError> {
    invoice_clearing::ours(&plan.invoices, us)
        .into_iter()
        .map(|(id, set_off_minor)| {
            let invoice_id =
                Uuid::parse_str(&id).map_err(|_| PlanError::UnknownInvoice(id.clone()))?;
            Ok(InvoiceLineRow {
                clearing_id: round,
                invoice_id,
                set_off_minor,
            })
        })
        .collect()
}

fn timeout(state: &AppState) -> time::Duration {
    time::Duration::seconds(state.config.federation_payment_timeout_secs.max(1))
}

/// Sends a message about a round to a linked district.
async fn send(
    state: &AppState,
    link: &LinkRow,
    message: &InboxMessage,
) -> Result<Value, SendError> {
    let (own, key) = service::own_key(state)
        .await
        .map_err(|_| SendError::Unreachable)?;
    service::send(&link.peer_url, message, &key, &own.keyid).await
}

/// Asks a linked district for its mirror balances; `None` when it does not answer well.
/// [`start`] asks them all at once.
async fn ask_positions(state: &AppState, link: &LinkRow) -> Option<Report> {
    let message = InboxMessage::ClearingPositions {
        url: service::own_url(state),
    };
    let answer = send(state, link, &message).await.ok()?;
    let balances = answer["balances"]
        .as_object()?
        .iter()
        .take(domain::MAX_PARTIES)
        .filter_map(|(url, b)| Some((service::normalize_url(url)?, b.as_i64()?)))
        .collect();
    let invoices: Vec<InvoiceDebt> = answer["invoices"]
        .as_array()
        .map(|list| {
            list.iter()
                .take(MAX_INVOICES)
                .filter_map(|d| serde_json::from_value(d.clone()).ok())
                .collect()
        })
        .unwrap_or_default();
    Some(Report {
        district: link.peer_url.clone(),
        balances,
        invoices,
    })
}

/// This district's legs for a plan, as transfers between its mirror accounts.
fn legs_of(
    plan: &Plan,
    us: &str,
    peers: &BTreeMap<String, Peer>,
    round: Uuid,
) -> Result<Vec<LegRow>, PlanError> {
    let mut legs: Vec<LegRow> = domain::legs(&domain::moves(plan, us))
        .into_iter()
        .map(|l| {
            let from = peers
                .get(&l.from)
                .ok_or_else(|| PlanError::UnknownDistrict(l.from.clone()))?;
            let to = peers
                .get(&l.to)
                .ok_or_else(|| PlanError::UnknownDistrict(l.to.clone()))?;
            Ok(LegRow {
                id: Uuid::now_v7(),
                clearing_id: round,
                debit_account: from.mirror,
                credit_account: to.mirror,
                amount_minor: l.amount_minor,
                transfer_id: None,
            })
        })
        .collect::<Result<_, PlanError>>()?;
    legs.sort_by_key(|l| l.id);
    Ok(legs)
}

fn memo(round: Uuid) -> String {
    format!("clearing between districts {round}")
}

/// The writer command of a step over the round's stored legs.
async fn command(
    state: &AppState,
    row: &ClearingRow,
    step: ClearingStep,
) -> Result<Command, AppError> {
    let legs = store::legs(&state.db, row.id).await?;
    Ok(Command {
        legs: legs
            .iter()
            .map(|l| {
                NewLeg::new(
                    TransferKind::Federation,
                    l.debit_account,
                    l.credit_account,
                    l.amount_minor,
                    memo(row.id),
                )
            })
            .collect(),
        effect: Effect::FederationClearing(row.id, step),
        idempotency: None,
        created_by: row.created_by,
    })
}

/// Holds this district's part; a refusal refuses the round here with its code.
async fn hold(state: &AppState, row: &ClearingRow) -> Result<(), AppError> {
    let command = command(state, row, ClearingStep::Hold).await?;
    match state.ledger.submit(command).await {
        Ok(_) => Ok(()),
        Err(CommandError::ClearingState) => {
            // Held meanwhile (a retry), or refused because another round holds a part here:
            // one round at a time, so no debt is set off twice.
            if store::round(&state.db, row.id).await?.status != "new" {
                return Ok(());
            }
            store::refuse(
                &state.db,
                row.id,
                "refused",
                "federation_clearing_open",
                false,
            )
            .await?;
            Err(AppError::conflict("federation_clearing_open"))
        }
        Err(e) => {
            let error = crate::ledger::service::command_error(e);
            if error.status.is_client_error() {
                // Nothing was reserved or sent: nobody is left to tell.
                store::refuse(&state.db, row.id, "refused", error.code, false).await?;
            }
            Err(error)
        }
    }
}

/// Posts (commit) or releases (abort) a held part; a round settled meanwhile is left as it is.
async fn settle(
    state: &AppState,
    row: &ClearingRow,
    commit: bool,
    refusal: Option<&str>,
) -> Result<ClearingRow, AppError> {
    if row.status == "new" {
        if !commit {
            let code = refusal.unwrap_or("federation_clearing_aborted");
            store::refuse(
                &state.db,
                row.id,
                "aborted",
                code,
                row.initiator_link_id.is_none(),
            )
            .await?;
        }
        return Ok(store::round(&state.db, row.id).await?);
    }
    let step = if commit {
        ClearingStep::Commit
    } else {
        ClearingStep::Abort
    };
    match state.ledger.submit(command(state, row, step).await?).await {
        Ok(_) if commit => {
            crate::audit::record_now(
                state,
                distretto_domain::audit::AuditKind::FederationClearingApplied,
                row.created_by,
                format!("federation_clearing:{}", row.id),
                String::new(),
            )
            .await;
        }
        Ok(_) | Err(CommandError::ClearingState) => {}
        Err(e) => return Err(crate::ledger::service::command_error(e)),
    }
    if let Some(code) = refusal {
        store::set_refusal(&state.db, row.id, code).await?;
    }
    Ok(store::round(&state.db, row.id).await?)
}

/// Starts a round (a coordinator, or the schedule with no actor): collects the linked
/// districts' balances, plans the set-off, holds this district's part and takes the round as
/// far as it goes now.
pub async fn start(state: &AppState, actor: Option<&Actor>) -> Result<ClearingRow, AppError> {
    if actor.is_some_and(|a| !a.coordinates()) {
        return Err(AppError::forbidden());
    }
    if store::open_started(&state.db).await? > 0 {
        return Err(AppError::conflict("federation_clearing_open"));
    }
    let peers = peers(state).await?;
    let mut reports = vec![report(state, &peers).await?];
    // Every district at once: one that is down costs one timeout, not one each.
    let mut asked = tokio::task::JoinSet::new();
    for peer in peers.values().take(domain::MAX_PARTIES - 1) {
        let (state, link) = (state.clone(), peer.link.clone());
        asked.spawn(async move { ask_positions(&state, &link).await });
    }
    while let Some(answer) = asked.join_next().await {
        if let Ok(Some(r)) = answer {
            reports.push(r);
        }
    }
    // The plan does not depend on the order the answers came in.
    reports[1..].sort_by(|a, b| a.district.cmp(&b.district));
    let plan = domain::plan(&reports).map_err(|_| AppError::internal())?;
    let id = Uuid::now_v7();
    if plan.is_empty() {
        if actor.is_none() {
            // The schedule records that it looked, so it waits its period again.
            record_nothing(state, id, &plan).await?;
        }
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "federation_clearing_nothing",
        ));
    }
    let us = service::own_url(state);
    let legs = legs_of(&plan, &us, &peers, id).map_err(|_| AppError::internal())?;
    let lines = invoice_lines(&plan, &us, id).map_err(|_| AppError::internal())?;
    let parties: Vec<PartyRow> = peers
        .iter()
        .filter(|(url, _)| plan.names(url))
        .map(|(_, p)| PartyRow {
            clearing_id: id,
            link_id: p.link.id,
            answer: "asked".into(),
            refusal: None,
            told: false,
        })
        .collect();
    let now = distretto_store::now();
    let row = ClearingRow {
        id,
        initiator_link_id: None,
        status: "new".into(),
        plan: serde_json::to_string(&plan).map_err(|_| AppError::internal())?,
        set_off_minor: i64::try_from(plan.set_off_minor()).unwrap_or(i64::MAX),
        refusal: None,
        open: true,
        attempts: 0,
        created_by: actor.map(|a| a.id),
        created_at: now,
        updated_at: now,
        deadline_at: now + timeout(state),
    };
    store::insert(&state.db, &row, &legs, &parties, &lines).await?;
    hold(state, &row).await?;
    let row = store::round(&state.db, id).await?;
    drive(state, row).await
}

/// A scheduled round that found nothing to set off: recorded settled, with nothing in it.
async fn record_nothing(state: &AppState, id: Uuid, plan: &Plan) -> Result<(), AppError> {
    let now = distretto_store::now();
    let row = ClearingRow {
        id,
        initiator_link_id: None,
        status: "committed".into(),
        plan: serde_json::to_string(plan).map_err(|_| AppError::internal())?,
        set_off_minor: 0,
        refusal: None,
        open: false,
        attempts: 0,
        created_by: None,
        created_at: now,
        updated_at: now,
        deadline_at: now,
    };
    Ok(store::insert(&state.db, &row, &[], &[], &[]).await?)
}

/// Takes a round this district started as far as it can go now: prepare, decide, tell.
async fn drive(state: &AppState, row: ClearingRow) -> Result<ClearingRow, AppError> {
    let row = match row.status.as_str() {
        "new" if distretto_store::now() > row.deadline_at => {
            settle(state, &row, false, Some("federation_timeout")).await?
        }
        "new" => {
            // A stop between recording and holding: hold now.
            hold(state, &row).await?;
            store::round(&state.db, row.id).await?
        }
        _ => row,
    };
    let row = if row.status == "held" {
        prepare_step(state, &row).await?
    } else {
        row
    };
    if row.status == "held" {
        // Not every district prepared yet: the resolver asks again.
        return Ok(row);
    }
    tell_step(state, row).await
}

/// Sends the plan to every district that has not answered; decides once all did.
async fn prepare_step(state: &AppState, row: &ClearingRow) -> Result<ClearingRow, AppError> {
    let plan: Plan = serde_json::from_str(&row.plan).map_err(|_| AppError::internal())?;
    store::count_attempt(&state.db, row.id).await?;
    for party in store::parties(&state.db, row.id).await? {
        if party.answer != "asked" {
            continue;
        }
        let link = links::link(&state.db, party.link_id).await?;
        let message = InboxMessage::ClearingPrepare {
            url: service::own_url(state),
            clearing_id: row.id,
            plan: plan.clone(),
        };
        match send(state, &link, &message).await {
            Ok(answer) if answer["status"].as_str() == Some("prepared") => {
                store::answer(&state.db, row.id, link.id, "prepared", None).await?;
            }
            Ok(answer) if answer["status"].as_str() == Some("aborted") => {
                store::answer(
                    &state.db,
                    row.id,
                    link.id,
                    "refused",
                    Some("federation_clearing_aborted"),
                )
                .await?;
            }
            Err(SendError::Refused(status, code))
                if (400..500).contains(&status) && DECISIVE.contains(&code.as_str()) =>
            {
                store::answer(&state.db, row.id, link.id, "refused", Some(&code)).await?;
            }
            _ => {}
        }
    }
    let parties = store::parties(&state.db, row.id).await?;
    if let Some(refused) = parties.iter().find(|p| p.answer == "refused") {
        let code = refused.refusal.clone().unwrap_or_default();
        return settle(state, row, false, Some(static_code(&code))).await;
    }
    if parties.iter().all(|p| p.answer == "prepared") {
        return settle(state, row, true, None).await;
    }
    if distretto_store::now() > row.deadline_at {
        return settle(state, row, false, Some("federation_timeout")).await;
    }
    Ok(store::round(&state.db, row.id).await?)
}

/// The stable code of a refusal another district gave.
pub(crate) fn static_code(code: &str) -> &'static str {
    DECISIVE
        .into_iter()
        .chain(["federation_timeout", "federation_clearing_aborted"])
        .find(|c| *c == code)
        .unwrap_or("federation_refused")
}

/// Tells every district the outcome until each acknowledged it; closes the round then.
async fn tell_step(state: &AppState, row: ClearingRow) -> Result<ClearingRow, AppError> {
    let url = service::own_url(state);
    let committed = match row.status.as_str() {
        "committed" => true,
        "aborted" => false,
        _ => {
            store::close(&state.db, row.id).await?;
            return Ok(store::round(&state.db, row.id).await?);
        }
    };
    store::count_attempt(&state.db, row.id).await?;
    for party in store::parties(&state.db, row.id).await? {
        if party.told {
            continue;
        }
        let link = links::link(&state.db, party.link_id).await?;
        let message = if committed {
            InboxMessage::ClearingCommit {
                url: url.clone(),
                clearing_id: row.id,
            }
        } else {
            InboxMessage::ClearingAbort {
                url: url.clone(),
                clearing_id: row.id,
            }
        };
        if let Ok(answer) = send(state, &link, &message).await
            && answer["status"].as_str() == Some(row.status.as_str())
        {
            store::told(&state.db, row.id, link.id).await?;
        }
    }
    if store::parties(&state.db, row.id)
        .await?
        .iter()
        .all(|p| p.told)
    {
        store::close(&state.db, row.id).await?;
    }
    Ok(store::round(&state.db, row.id).await?)
}

/// A clearing message from a linked district (its signature already checked).
pub async fn receive(
    state: &AppState,
    link: &LinkRow,
    message: InboxMessage,
) -> Result<Value, AppError> {
    match message {
        InboxMessage::ClearingPositions { .. } => {
            let peers = peers(state).await?;
            let report = report(state, &peers).await?;
            Ok(json!({ "balances": report.balances, "invoices": report.invoices }))
        }
        InboxMessage::ClearingPrepare {
            clearing_id, plan, ..
        } => prepared(state, link, clearing_id, &plan).await,
        InboxMessage::ClearingCommit { clearing_id, .. } => {
            let row = part(state, link, clearing_id).await?;
            let row = match row.status.as_str() {
                "held" => settle(state, &row, true, None).await?,
                _ => row,
            };
            match row.status.as_str() {
                "committed" => Ok(json!({"status": "committed"})),
                _ => Err(AppError::conflict("federation_clearing_state")),
            }
        }
        InboxMessage::ClearingAbort { clearing_id, .. } => aborted(state, link, clearing_id).await,
        InboxMessage::ClearingQuery { clearing_id, .. } => queried(state, clearing_id).await,
        InboxMessage::ClearingSchedule { every_days, .. } => {
            super::schedule::receive(state, link, every_days).await
        }
        _ => Err(AppError::bad_request("federation_bad_message")),
    }
}

/// This district's part of a round the linked district started.
async fn part(state: &AppState, link: &LinkRow, id: Uuid) -> Result<ClearingRow, AppError> {
    match store::round(&state.db, id).await {
        Ok(r) if r.initiator_link_id == Some(link.id) => Ok(r),
        Ok(_) | Err(StoreError::NotFound) => Err(AppError::conflict("federation_clearing_state")),
        Err(e) => Err(e.into()),
    }
}

/// How this district's part stands, as the starting district's messages are answered.
fn standing(row: &ClearingRow) -> Result<Value, AppError> {
    match row.status.as_str() {
        "held" => Ok(json!({"status": "prepared"})),
        "committed" => Ok(json!({"status": "committed"})),
        "refused" => Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            row.refusal
                .as_deref()
                .map_or("federation_refused", static_code),
        )),
        _ => Ok(json!({"status": "aborted"})),
    }
}

/// The code a refused plan answers with.
fn plan_code(e: &PlanError) -> &'static str {
    match e {
        PlanError::Stale(_) => "federation_clearing_stale",
        PlanError::UnknownDistrict(_) => "federation_clearing_unknown_district",
        PlanError::UnknownInvoice(_) => "federation_clearing_unknown_invoice",
        _ => "federation_bad_message",
    }
}

/// A district's side of phase one: check its part of the plan, record it and hold it.
async fn prepared(
    state: &AppState,
    link: &LinkRow,
    id: Uuid,
    plan: &Plan,
) -> Result<Value, AppError> {
    match store::round(&state.db, id).await {
        Ok(row) if row.initiator_link_id == Some(link.id) => {
            if row.status == "new" {
                // A refusal is recorded on the round, and answered below.
                let _ = hold(state, &row).await;
            }
            return standing(&store::round(&state.db, id).await?);
        }
        Ok(_) => return Err(AppError::conflict("federation_clearing_state")),
        Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    if link.status != "active" {
        return Err(AppError::conflict("federation_link_status"));
    }
    let us = service::own_url(state);
    let peers = peers(state).await?;
    if !plan.parties.contains(&link.peer_url) {
        return Err(AppError::bad_request("federation_bad_message"));
    }
    let ours = report(state, &peers).await?;
    domain::check(plan, &us, &ours.balances, &ours.invoices)
        .map_err(|e| AppError::new(StatusCode::UNPROCESSABLE_ENTITY, plan_code(&e)))?;
    let legs = legs_of(plan, &us, &peers, id)
        .map_err(|e| AppError::new(StatusCode::UNPROCESSABLE_ENTITY, plan_code(&e)))?;
    let lines = invoice_lines(plan, &us, id)
        .map_err(|e| AppError::new(StatusCode::UNPROCESSABLE_ENTITY, plan_code(&e)))?;
    let now = distretto_store::now();
    let row = ClearingRow {
        id,
        initiator_link_id: Some(link.id),
        status: "new".into(),
        plan: serde_json::to_string(plan).map_err(|_| AppError::internal())?,
        set_off_minor: i64::try_from(plan.set_off_minor()).unwrap_or(i64::MAX),
        refusal: None,
        open: true,
        attempts: 0,
        created_by: None,
        created_at: now,
        updated_at: now,
        deadline_at: now + timeout(state),
    };
    match store::insert(&state.db, &row, &legs, &[], &lines).await {
        Ok(()) => {}
        // The same message, delivered twice at once.
        Err(StoreError::Conflict) => return standing(&store::round(&state.db, id).await?),
        Err(e) => return Err(e.into()),
    }
    hold(state, &row).await?;
    standing(&store::round(&state.db, id).await?)
}

/// The starting district aborted: release the part, or remember the abort of a round whose
/// prepare has not arrived (it may still, late), so it is never held.
async fn aborted(state: &AppState, link: &LinkRow, id: Uuid) -> Result<Value, AppError> {
    let row = match store::round(&state.db, id).await {
        Ok(r) if r.initiator_link_id == Some(link.id) => r,
        Ok(_) => return Err(AppError::conflict("federation_clearing_state")),
        Err(StoreError::NotFound) => {
            let now = distretto_store::now();
            let tombstone = ClearingRow {
                id,
                initiator_link_id: Some(link.id),
                status: "aborted".into(),
                plan: "{}".into(),
                set_off_minor: 0,
                refusal: None,
                open: false,
                attempts: 0,
                created_by: None,
                created_at: now,
                updated_at: now,
                deadline_at: now,
            };
            return match store::insert(&state.db, &tombstone, &[], &[], &[]).await {
                Ok(()) => Ok(json!({"status": "aborted"})),
                // Its prepare arrived meanwhile: abort that.
                Err(StoreError::Conflict) => Box::pin(aborted(state, link, id)).await,
                Err(e) => Err(e.into()),
            };
        }
        Err(e) => return Err(e.into()),
    };
    let row = match row.status.as_str() {
        "held" | "new" => settle(state, &row, false, None).await?,
        _ => row,
    };
    match row.status.as_str() {
        "committed" => Err(AppError::conflict("federation_clearing_state")),
        _ => Ok(json!({"status": "aborted"})),
    }
}

/// A district holding a part asks how a round we started stands. One we never recorded, or
/// that is past its deadline unprepared, is aborted here first: only this side decides.
async fn queried(state: &AppState, id: Uuid) -> Result<Value, AppError> {
    let row = match store::round(&state.db, id).await {
        Ok(r) if r.initiator_link_id.is_none() => r,
        Ok(_) | Err(StoreError::NotFound) => return Ok(json!({"status": "aborted"})),
        Err(e) => return Err(e.into()),
    };
    let row = if matches!(row.status.as_str(), "held" | "new")
        && distretto_store::now() > row.deadline_at
    {
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

/// A part nobody told us the end of: ask the district that started the round.
async fn ask(state: &AppState, row: ClearingRow) -> Result<ClearingRow, AppError> {
    let Some(link_id) = row.initiator_link_id else {
        return Ok(row);
    };
    if row.status == "new" && distretto_store::now() > row.deadline_at {
        // Recorded, never held (a stop in between), and no prepare came back for it.
        return settle(state, &row, false, Some("federation_timeout")).await;
    }
    let link = links::link(&state.db, link_id).await?;
    let message = InboxMessage::ClearingQuery {
        url: service::own_url(state),
        clearing_id: row.id,
    };
    store::count_attempt(&state.db, row.id).await?;
    let Ok(answer) = send(state, &link, &message).await else {
        return Ok(row);
    };
    match answer["status"].as_str() {
        Some("committed") if row.status == "held" => settle(state, &row, true, None).await,
        Some("aborted") => settle(state, &row, false, None).await,
        _ => Ok(row),
    }
}

/// Finishes open rounds untouched for a few seconds, and starts one when the schedule says.
pub async fn resolve(state: &AppState) -> Result<usize, AppError> {
    let before = distretto_store::now() - time::Duration::seconds(RESOLVE_AFTER_SECS);
    let n = resolve_before(state, before).await?;
    if scheduled(state).await? {
        match start(state, None).await {
            Ok(_) => {}
            Err(e) if e.status.is_client_error() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Whether the schedule wants a round now, counted from the last this district started: the
/// shortest of `federation_clearing_every_days` (this district's own, when above 0) and the
/// periods agreed with the linked districts whose rounds it starts
/// ([`super::schedule::led_period_days`]); never when there is neither.
async fn scheduled(state: &AppState) -> Result<bool, AppError> {
    let own = Some(state.config.federation_clearing_every_days).filter(|d| *d > 0);
    let agreed = super::schedule::led_period_days(state).await?;
    let Some(days) = [own, agreed].into_iter().flatten().min() else {
        return Ok(false);
    };
    let due = |last: OffsetDateTime| distretto_store::now() - last >= time::Duration::days(days);
    Ok(store::last_started(&state.db).await?.is_none_or(due))
}

/// [`resolve`] for rounds untouched since `before` (tests pass the present), without the
/// schedule.
pub async fn resolve_before(state: &AppState, before: OffsetDateTime) -> Result<usize, AppError> {
    let rows = store::open_rounds(&state.db, before, RESOLVE_BATCH).await?;
    let n = rows.len();
    for row in rows {
        let result = if row.initiator_link_id.is_none() {
            drive(state, row).await
        } else {
            ask(state, row).await
        };
        if let Err(e) = result {
            tracing::warn!(
                code = e.code,
                "finishing a clearing round between districts failed; retrying later"
            );
        }
    }
    Ok(n)
}
