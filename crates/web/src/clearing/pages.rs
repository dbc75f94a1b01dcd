//! Members' clearing pages: standing consent and rounds in progress (`/clearing`), one round's
//! proposal for one of their accounts with confirm and withdraw, and the set-off notice
//! (printable page and CSV) an accountant files.

use super::service;
use crate::auth::Viewer;
use crate::auth::viewer::Actor;
use crate::directory::pages::parse_id;
use crate::i18n::Lang;
use crate::ledger::invoice_pages::{currency_of, day, name_of};
use crate::pages::{Chrome, PageForm, render_status};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use distretto_domain::clearing::round::{self, RoundStatus};
use distretto_store::accounts::AccountRow;
use distretto_store::clearing::{self as store, ClearingTransferRow, LineRow, RoundRow};
use std::collections::HashMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// Past rounds listed per account on the overview.
const HISTORY_ROUNDS: i64 = 20;

pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/clearing", axum::routing::get(overview))
        .route("/clearing/consent", axum::routing::post(consent_submit))
        .route("/clearing/rounds/{id}", axum::routing::get(proposal_page))
        .route(
            "/clearing/rounds/{id}/notice",
            axum::routing::get(notice_page),
        )
        .route(
            "/clearing/rounds/{id}/notice.csv",
            axum::routing::get(notice_csv),
        )
        .route(
            "/clearing/rounds/{id}/{action}",
            axum::routing::post(answer_submit),
        )
}

// ---------- shared by the pages ----------

/// Minor units of a round's currency as the viewer reads them (i128 sums are clamped: no
/// district comes near `i64::MAX` minor units).
pub(crate) fn money(state: &AppState, lang: Lang, r: &RoundRow, minor: i128) -> String {
    let minor = i64::try_from(minor).unwrap_or(if minor < 0 { i64::MIN } else { i64::MAX });
    crate::ledger::pages::money(lang, &currency_of(state, &r.currency), minor)
}

/// An instant as day/month/year hh:mm (UTC).
pub(crate) fn instant(t: OffsetDateTime) -> String {
    format!("{} {:02}:{:02} UTC", day(t.date()), t.hour(), t.minute())
}

/// The message id of a round status.
pub(crate) fn status_label_id(code: &str) -> &'static str {
    match RoundStatus::parse(code) {
        Some(RoundStatus::Open) => "clearing_status_open",
        Some(RoundStatus::Proposed) => "clearing_status_proposed",
        Some(RoundStatus::Applied) => "clearing_status_applied",
        Some(RoundStatus::Lapsed) => "clearing_status_lapsed",
        _ => "clearing_status_cancelled",
    }
}

/// The message id of a policy.
pub(crate) fn policy_label_id(code: &str) -> &'static str {
    if code == "tacit" {
        "clearing_policy_tacit"
    } else {
        "clearing_policy_all_confirm"
    }
}

/// The viewer's accounts and their labels.
async fn my_accounts(
    state: &AppState,
    viewer: &Viewer,
) -> Result<(Vec<AccountRow>, HashMap<Uuid, String>), AppError> {
    let actor = viewer.actor()?;
    let accounts = crate::ledger::service::my_accounts(state, actor).await?;
    let ids: Vec<Uuid> = accounts.iter().map(|a| a.id).collect();
    let names = crate::ledger::pages::labels(state, viewer.lang, &ids).await?;
    Ok((accounts, names))
}

/// The account a round page is about: the one asked for if the viewer acts for it (or
/// coordinates), else the viewer's first account taking part, else their first account.
async fn chosen_account(
    state: &AppState,
    actor: &Actor,
    round_id: Uuid,
    asked: Option<&str>,
    mine: &[AccountRow],
) -> Result<Uuid, AppError> {
    if let Some(asked) = asked.filter(|a| !a.trim().is_empty()) {
        let id = Uuid::parse_str(asked.trim()).map_err(|_| AppError::not_found())?;
        if actor.coordinates() || mine.iter().any(|a| a.id == id) {
            return Ok(id);
        }
        return Err(AppError::not_found());
    }
    for a in mine {
        if store::participant(&state.db, round_id, a.id)
            .await?
            .is_some()
        {
            return Ok(a.id);
        }
    }
    mine.first().map(|a| a.id).ok_or_else(AppError::not_found)
}

// ---------- the overview ----------

struct RoundLink {
    id: Uuid,
    number: i64,
    currency: String,
    status: &'static str,
    applied: bool,
    deadline: String,
    /// `None` (not in it), `joined`, `confirmed`, `withdrawn`.
    answer: Option<String>,
}

struct AccountBlock {
    id: Uuid,
    name: String,
    standing: bool,
    in_progress: Vec<RoundLink>,
    history: Vec<RoundLink>,
}

#[derive(Template)]
#[template(path = "clearing.html")]
struct OverviewPage {
    c: Chrome,
    accounts: Vec<AccountBlock>,
    notice: Option<&'static str>,
}

fn link_of(r: &RoundRow, answer: Option<String>) -> RoundLink {
    RoundLink {
        id: r.id,
        number: r.number,
        currency: r.currency.clone(),
        status: status_label_id(&r.status),
        applied: r.status == RoundStatus::Applied.code(),
        deadline: instant(r.deadline),
        answer,
    }
}

async fn account_block(
    state: &AppState,
    account: &AccountRow,
    names: &HashMap<Uuid, String>,
    open: &[RoundRow],
) -> Result<AccountBlock, AppError> {
    let standing = store::consent(&state.db, account.id)
        .await?
        .is_some_and(|c| c.standing);
    let mut in_progress = Vec::with_capacity(open.len());
    for r in open {
        let answer = store::participant(&state.db, r.id, account.id)
            .await?
            .map(|p| p.answer.unwrap_or_else(|| "joined".into()));
        in_progress.push(link_of(r, answer));
    }
    let history = store::rounds_of(&state.db, account.id, HISTORY_ROUNDS)
        .await?
        .into_iter()
        .filter(|r| !RoundStatus::parse(&r.status).is_some_and(RoundStatus::in_progress))
        .map(|r| link_of(&r, None))
        .collect();
    Ok(AccountBlock {
        id: account.id,
        name: name_of(names, account.id),
        standing,
        in_progress,
        history,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DoneQuery {
    done: Option<String>,
    account: Option<String>,
}

fn notice_of(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "consent" => "clearing_done_consent",
        "join" => "clearing_done_join",
        "confirm" => "clearing_done_confirm",
        "withdraw" => "clearing_done_withdraw",
        _ => return None,
    })
}

async fn overview(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let (accounts, names) = my_accounts(&state, &viewer).await?;
    let open = store::in_progress(&state.db).await?;
    let mut blocks = Vec::with_capacity(accounts.len());
    for a in accounts.iter().take(20) {
        blocks.push(account_block(&state, a, &names, &open).await?);
    }
    Ok(render_status(
        StatusCode::OK,
        &OverviewPage {
            c: Chrome::new(&state, &viewer, "/clearing"),
            accounts: blocks,
            notice: notice_of(q.done.as_deref()),
        },
    ))
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct ConsentForm {
    account: String,
    standing: String,
}

async fn consent_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    PageForm(form): PageForm<ConsentForm>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let account = Uuid::parse_str(form.account.trim()).map_err(|_| AppError::forbidden())?;
    service::set_consent(&state, actor, account, form.standing == "1").await?;
    Ok(Redirect::to("/clearing?done=consent").into_response())
}

// ---------- one round's proposal ----------

/// An invoice of the proposal, from the account's side.
struct ProposalLine {
    invoice: Uuid,
    number: String,
    counterparty: String,
    /// `owe` or `owed`.
    direction: &'static str,
    before: String,
    set_off: String,
    credit: String,
    after: String,
}

/// A credit transfer from the account's side.
struct TransferLine {
    counterparty: String,
    /// `pay` or `receive`.
    direction: &'static str,
    amount: String,
}

struct PositionView {
    debt_before: String,
    credit_before: String,
    debt_after: String,
    credit_after: String,
    paid: String,
    received: String,
    net_before: String,
    net_after: String,
}

#[derive(Template)]
#[template(path = "clearing_round.html")]
struct ProposalPage {
    c: Chrome,
    round: RoundView,
    account: Uuid,
    account_name: String,
    choices: Vec<(Uuid, String)>,
    participant: bool,
    answer: Option<String>,
    proposed_at: String,
    lines: Vec<ProposalLine>,
    transfers: Vec<TransferLine>,
    position: PositionView,
    can_join: bool,
    can_confirm: bool,
    can_withdraw: bool,
    notice: Option<&'static str>,
    error: Option<AppError>,
}

/// A round's header, ready to show.
pub(crate) struct RoundView {
    pub id: Uuid,
    pub number: i64,
    pub currency: String,
    pub status: &'static str,
    pub status_code: String,
    pub policy: &'static str,
    pub credit_assisted: bool,
    pub cut_off: String,
    pub deadline: String,
    pub deadline_iso: String,
    pub note: String,
    pub applied_on: Option<String>,
}

pub(crate) fn round_view(r: &RoundRow) -> RoundView {
    RoundView {
        id: r.id,
        number: r.number,
        currency: r.currency.clone(),
        status: status_label_id(&r.status),
        status_code: r.status.clone(),
        policy: policy_label_id(&r.policy),
        credit_assisted: r.credit_assisted,
        cut_off: day(r.cut_off),
        deadline: instant(r.deadline),
        deadline_iso: r.deadline.format(&Rfc3339).unwrap_or_default(),
        note: r.note.clone(),
        applied_on: (r.status == "applied")
            .then(|| r.closed_at.map(instant))
            .flatten(),
    }
}

/// One account's part of a round as stored: its lines (all of them, or only those the round
/// changes), its transfers, the invoices' numbers, and its position (from all its lines).
struct AccountRows {
    lines: Vec<LineRow>,
    transfers: Vec<ClearingTransferRow>,
    numbers: HashMap<Uuid, String>,
    position: round::AccountPosition,
}

async fn account_rows(
    state: &AppState,
    round_id: Uuid,
    account: Uuid,
    only_changed: bool,
) -> Result<AccountRows, AppError> {
    let mut lines = store::lines_of(&state.db, round_id, account).await?;
    let transfers = store::transfers_of(&state.db, round_id, account).await?;
    let position = round::position(
        account,
        &service::domain_lines(&lines),
        &service::domain_transfers(&transfers),
    );
    if only_changed {
        lines.retain(|l| l.set_off_minor > 0 || l.credit_minor > 0);
    }
    let ids: Vec<Uuid> = lines.iter().map(|l| l.invoice_id).collect();
    let numbers = distretto_store::ledger::invoices::numbers(&state.db, &ids).await?;
    Ok(AccountRows {
        lines,
        transfers,
        numbers,
        position,
    })
}

/// What the account sees of a round: its lines, its transfers, its position.
struct AccountSide {
    lines: Vec<ProposalLine>,
    transfers: Vec<TransferLine>,
    position: PositionView,
}

async fn account_side(
    state: &AppState,
    lang: Lang,
    r: &RoundRow,
    account: Uuid,
    only_changed: bool,
) -> Result<AccountSide, AppError> {
    let AccountRows {
        lines: mine,
        transfers: my_transfers,
        numbers,
        position,
    } = account_rows(state, r.id, account, only_changed).await?;
    let ids: Vec<Uuid> = mine
        .iter()
        .flat_map(|l| [l.debtor, l.creditor])
        .chain(my_transfers.iter().flat_map(|t| [t.payer, t.payee]))
        .collect();
    let names = crate::ledger::pages::labels(state, lang, &ids).await?;
    let m = |minor: i64| money(state, lang, r, i128::from(minor));
    let lines = mine
        .iter()
        .map(|l| {
            let owe = l.debtor == account;
            ProposalLine {
                invoice: l.invoice_id,
                number: numbers.get(&l.invoice_id).cloned().unwrap_or_default(),
                counterparty: name_of(&names, if owe { l.creditor } else { l.debtor }),
                direction: if owe { "owe" } else { "owed" },
                before: m(l.remaining_minor),
                set_off: m(l.set_off_minor),
                credit: m(l.credit_minor),
                after: m(l.remaining_minor - l.set_off_minor - l.credit_minor),
            }
        })
        .collect();
    let transfers = my_transfers
        .iter()
        .map(|t| {
            let pay = t.payer == account;
            TransferLine {
                counterparty: name_of(&names, if pay { t.payee } else { t.payer }),
                direction: if pay { "pay" } else { "receive" },
                amount: m(t.amount_minor),
            }
        })
        .collect();
    let mm = |minor: i128| money(state, lang, r, minor);
    Ok(AccountSide {
        lines,
        transfers,
        position: PositionView {
            debt_before: mm(position.debt_before_minor),
            credit_before: mm(position.credit_before_minor),
            debt_after: mm(position.debt_after_minor),
            credit_after: mm(position.credit_after_minor),
            paid: mm(position.paid_minor),
            received: mm(position.received_minor),
            net_before: mm(position.net_before_minor()),
            net_after: mm(position.net_after_minor()),
        },
    })
}

async fn proposal_view(
    state: &AppState,
    viewer: &Viewer,
    round_id: Uuid,
    asked: Option<&str>,
    notice: Option<&'static str>,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let r = service::round(state, round_id).await?;
    let (mine, names) = my_accounts(state, viewer).await?;
    let account = chosen_account(state, actor, r.id, asked, &mine).await?;
    let participant = store::participant(&state.db, r.id, account).await?;
    let answer = participant.as_ref().and_then(|p| p.answer.clone());
    let status = RoundStatus::parse(&r.status).ok_or(AppError::internal())?;
    let acts = mine.iter().any(|a| a.id == account);
    let side = account_side(state, viewer.lang, &r, account, false).await?;
    let in_it = participant.is_some() && answer.as_deref() != Some("withdrawn");
    let account_name = match names.get(&account) {
        Some(n) => n.clone(),
        None => name_of(
            &crate::ledger::pages::labels(state, viewer.lang, &[account]).await?,
            account,
        ),
    };
    let page = ProposalPage {
        c: Chrome::new(state, viewer, &format!("/clearing/rounds/{}", r.id)),
        account,
        account_name,
        choices: mine.iter().map(|a| (a.id, name_of(&names, a.id))).collect(),
        participant: in_it,
        can_join: acts && status.in_progress() && !in_it,
        can_confirm: acts
            && status == RoundStatus::Proposed
            && in_it
            && answer.as_deref() != Some("confirmed"),
        can_withdraw: acts && status.in_progress() && in_it,
        answer,
        proposed_at: r
            .proposed_at
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_default(),
        round: round_view(&r),
        lines: side.lines,
        transfers: side.transfers,
        position: side.position,
        notice,
        error,
    };
    let code = page.error.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(render_status(code, &page))
}

async fn proposal_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    proposal_view(
        &state,
        &viewer,
        id,
        q.account.as_deref(),
        notice_of(q.done.as_deref()),
        None,
    )
    .await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct AnswerForm {
    account: String,
    /// The proposal the participant read (RFC 3339), so a confirmation never counts for a
    /// proposal computed after they looked.
    proposed_at: String,
}

async fn answer_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    PageForm(form): PageForm<AnswerForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let account = Uuid::parse_str(form.account.trim()).map_err(|_| AppError::forbidden())?;
    let result = match action.as_str() {
        "join" => service::join(&state, actor, id, account).await,
        "withdraw" => service::withdraw(&state, actor, id, account).await,
        "confirm" => {
            let seen = OffsetDateTime::parse(form.proposed_at.trim(), &Rfc3339).ok();
            service::confirm(&state, actor, id, account, seen).await
        }
        _ => return Err(AppError::not_found()),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!(
            "/clearing/rounds/{id}?account={account}&done={action}"
        ))
        .into_response()),
        Err(e)
            if e.status == StatusCode::CONFLICT || e.status == StatusCode::UNPROCESSABLE_ENTITY =>
        {
            proposal_view(&state, &viewer, id, Some(&form.account), None, Some(e)).await
        }
        Err(e) => Err(e),
    }
}

// ---------- the set-off notice ----------

#[derive(Template)]
#[template(path = "clearing_notice.html")]
struct NoticePage {
    c: Chrome,
    round: RoundView,
    account: Uuid,
    account_name: String,
    district: String,
    lines: Vec<ProposalLine>,
    transfers: Vec<TransferLine>,
    position: PositionView,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct NoticeQuery {
    account: Option<String>,
}

/// The round and account of a notice, if the viewer may read it: the round is applied and the
/// viewer acts for the account or coordinates.
async fn notice_subject(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    q: &NoticeQuery,
) -> Result<(RoundRow, Uuid, String), AppError> {
    let actor = viewer.actor()?;
    let id = parse_id(id)?;
    let r = service::round(state, id).await?;
    if r.status != "applied" {
        return Err(AppError::not_found());
    }
    let (mine, _) = my_accounts(state, viewer).await?;
    let account = chosen_account(state, actor, r.id, q.account.as_deref(), &mine).await?;
    let names = crate::ledger::pages::labels(state, viewer.lang, &[account]).await?;
    Ok((r, account, name_of(&names, account)))
}

async fn notice_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let (r, account, account_name) = notice_subject(&state, &viewer, &id, &q).await?;
    let side = account_side(&state, viewer.lang, &r, account, true).await?;
    Ok(render_status(
        StatusCode::OK,
        &NoticePage {
            c: Chrome::new(
                &state,
                &viewer,
                &format!("/clearing/rounds/{}/notice?account={account}", r.id),
            ),
            round: round_view(&r),
            account,
            account_name,
            district: state.config.district_name.clone(),
            lines: side.lines,
            transfers: side.transfers,
            position: side.position,
        },
    ))
}

/// Minor units as a plain decimal for spreadsheets (`1234.56`, no symbol or grouping).
fn plain(state: &AppState, r: &RoundRow, minor: i64) -> String {
    distretto_domain::ledger::format_minor(minor, currency_of(state, &r.currency).scale, '.')
}

async fn notice_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let (r, account, _) = notice_subject(&state, &viewer, &id, &q).await?;
    let AccountRows {
        lines: mine,
        transfers,
        numbers,
        ..
    } = account_rows(&state, r.id, account, true).await?;
    let ids: Vec<Uuid> = mine
        .iter()
        .flat_map(|l| [l.debtor, l.creditor])
        .chain(transfers.iter().flat_map(|t| [t.payer, t.payee]))
        .collect();
    let names = crate::ledger::pages::labels(&state, Lang::En, &ids).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_error = |_| AppError::internal();
    w.write_record([
        "round",
        "applied_on",
        "currency",
        "kind",
        "invoice_id",
        "invoice_number",
        "counterparty_account",
        "counterparty",
        "direction",
        "remaining_before",
        "set_off",
        "settled_with_credit",
        "remaining_after",
        "transfer_id",
    ])
    .map_err(csv_error)?;
    let applied = r
        .closed_at
        .map(|t| t.date().to_string())
        .unwrap_or_default();
    for l in &mine {
        let owe = l.debtor == account;
        let other = if owe { l.creditor } else { l.debtor };
        w.write_record([
            r.number.to_string(),
            applied.clone(),
            r.currency.clone(),
            "invoice".into(),
            l.invoice_id.to_string(),
            numbers.get(&l.invoice_id).cloned().unwrap_or_default(),
            other.to_string(),
            name_of(&names, other),
            if owe { "payable" } else { "receivable" }.into(),
            plain(&state, &r, l.remaining_minor),
            plain(&state, &r, l.set_off_minor),
            plain(&state, &r, l.credit_minor),
            plain(
                &state,
                &r,
                l.remaining_minor - l.set_off_minor - l.credit_minor,
            ),
            String::new(),
        ])
        .map_err(csv_error)?;
    }
    for t in &transfers {
        let pay = t.payer == account;
        let other = if pay { t.payee } else { t.payer };
        w.write_record([
            r.number.to_string(),
            applied.clone(),
            r.currency.clone(),
            "credit_transfer".into(),
            String::new(),
            String::new(),
            other.to_string(),
            name_of(&names, other),
            if pay { "paid" } else { "received" }.into(),
            String::new(),
            String::new(),
            plain(&state, &r, t.amount_minor),
            String::new(),
            t.transfer_id.map(|i| i.to_string()).unwrap_or_default(),
        ])
        .map_err(csv_error)?;
    }
    let body = w.into_inner().map_err(|_| AppError::internal())?;
    let file = format!("set-off-notice-{}-{account}.csv", r.number);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response())
}
