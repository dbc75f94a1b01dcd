//! Coordinators' clearing pages: the history of rounds with the form that opens one, and one
//! round's report (debt before, cleared, remaining, share, participants, largest cycles,
//! liquidity saved, what credit assistance added) with its actions.

use super::pages::{RoundView, instant, money, round_view};
use super::service::{self, OpenInput};
use crate::auth::Viewer;
use crate::directory::pages::parse_id;
use crate::pages::{Chrome, PageForm, render_status};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use distretto_domain::clearing::round::{self, Policy, RoundStatus};
use distretto_store::clearing::{self as store, RoundRow};
use time::OffsetDateTime;
use uuid::Uuid;

/// Rounds per page of the history.
const PAGE_SIZE: i64 = 50;
/// Cycles the report lists.
const REPORT_CYCLES: usize = 5;
/// Days a new round's answers last by default.
const DEFAULT_DAYS: i64 = 7;

pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/coordination/clearing",
            axum::routing::get(history_page).post(open_submit),
        )
        .route(
            "/coordination/clearing/{id}",
            axum::routing::get(report_page),
        )
        .route(
            "/coordination/clearing/{id}/{action}",
            axum::routing::post(action_submit),
        )
}

fn coordinator(viewer: &Viewer) -> Result<(), AppError> {
    if viewer.actor()?.coordinates() {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// A share as a percentage with one decimal in the viewer's writing, `—` when there is
/// nothing to share.
fn percent(lang: crate::i18n::Lang, part: i128, whole: i128) -> String {
    if whole <= 0 {
        return "—".into();
    }
    let tenths = part.saturating_mul(1000) / whole;
    let sep = crate::ledger::pages::decimal_separator(lang);
    format!("{}{sep}{} %", tenths / 10, tenths % 10)
}

// ---------- the history and the open form ----------

struct HistoryLine {
    view: RoundView,
    candidates: i64,
    debt_before: String,
    cleared: String,
    share: String,
}

/// The open form's values (kept after an error).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct OpenForm {
    currency: String,
    cut_off: String,
    deadline: String,
    policy: String,
    credit_assisted: String,
    note: String,
}

#[derive(Template)]
#[template(path = "coordination_clearing.html")]
struct HistoryPage {
    c: Chrome,
    rounds: Vec<HistoryLine>,
    total: i64,
    form: OpenForm,
    district_code: String,
    district_name: String,
    error: Option<AppError>,
}

impl HistoryPage {
    fn invalid(&self, field: &str) -> bool {
        self.error.as_ref().and_then(|e| e.field) == Some(field)
    }
}

fn history_line(state: &AppState, lang: crate::i18n::Lang, r: &RoundRow) -> HistoryLine {
    let cleared = i128::from(r.set_off_minor) + i128::from(r.credit_settled_minor);
    HistoryLine {
        view: round_view(r),
        candidates: r.candidates,
        debt_before: money(state, lang, r, i128::from(r.debt_before_minor)),
        cleared: money(state, lang, r, cleared),
        share: percent(lang, cleared, i128::from(r.debt_before_minor)),
    }
}

async fn history_view(
    state: &AppState,
    viewer: &Viewer,
    form: OpenForm,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    coordinator(viewer)?;
    let (rows, total) = store::rounds(&state.db, PAGE_SIZE, 0).await?;
    let rounds = rows
        .iter()
        .map(|r| history_line(state, viewer.lang, r))
        .collect();
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(render_status(
        status,
        &HistoryPage {
            c: Chrome::new(state, viewer, "/coordination/clearing"),
            rounds,
            total,
            form,
            district_code: state.config.currency.code.clone(),
            district_name: state.config.currency.name.clone(),
            error,
        },
    ))
}

async fn history_page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let now = OffsetDateTime::now_utc();
    let deadline = now + time::Duration::days(DEFAULT_DAYS);
    let form = OpenForm {
        currency: state.config.currency.code.clone(),
        cut_off: now.date().to_string(),
        deadline: deadline.date().to_string(),
        policy: Policy::AllConfirm.code().into(),
        ..OpenForm::default()
    };
    history_view(&state, &viewer, form, None).await
}

fn parse_day(text: &str, field: &'static str) -> Result<time::Date, AppError> {
    time::Date::parse(
        text.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| crate::ledger::api::unprocessable("bad_date", field))
}

/// The form as the service's input. The deadline is the end of the day chosen (UTC).
fn parse_open(form: &OpenForm) -> Result<OpenInput, AppError> {
    Ok(OpenInput {
        currency: form.currency.trim().to_owned(),
        cut_off: parse_day(&form.cut_off, "cut_off")?,
        deadline: round::end_of_day(parse_day(&form.deadline, "deadline")?),
        policy: Policy::parse(&form.policy)?,
        credit_assisted: form.credit_assisted == "1",
        note: form.note.clone(),
    })
}

async fn open_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    PageForm(form): PageForm<OpenForm>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let result = match parse_open(&form) {
        Ok(input) => service::open_round(&state, actor, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => Ok(
            Redirect::to(&format!("/coordination/clearing/{}?done=opened", r.id)).into_response(),
        ),
        Err(e)
            if e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::CONFLICT =>
        {
            history_view(&state, &viewer, form, Some(e)).await
        }
        Err(e) => Err(e),
    }
}

// ---------- one round's report ----------

/// A cycle of the report: who, in order, and how much went round.
struct CycleLine {
    parties: String,
    length: usize,
    amount: String,
}

struct ParticipantLine {
    account: Uuid,
    name: String,
    via: &'static str,
    answer: &'static str,
}

#[derive(Template)]
#[template(path = "clearing_report.html")]
struct ReportPage {
    c: Chrome,
    round: RoundView,
    participants: Vec<ParticipantLine>,
    candidates: i64,
    changed_invoices: usize,
    debt_before: String,
    set_off: String,
    credit_settled: String,
    credit_transferred: String,
    cleared: String,
    remaining: String,
    share: String,
    share_set_off: String,
    liquidity_saved: String,
    cycles: Vec<CycleLine>,
    computed: bool,
    proposed_on: String,
    can_compute: bool,
    can_apply: bool,
    can_cancel: bool,
    notice: Option<&'static str>,
    error: Option<AppError>,
}

fn answer_label(answer: Option<&str>) -> &'static str {
    match answer {
        Some("confirmed") => "clearing_answer_confirmed",
        Some("withdrawn") => "clearing_answer_withdrawn",
        _ => "clearing_answer_waiting",
    }
}

async fn cycle_lines(
    state: &AppState,
    lang: crate::i18n::Lang,
    r: &RoundRow,
    lines: &[round::Line],
) -> Result<Vec<CycleLine>, AppError> {
    let cycles = round::largest_cycles(lines, REPORT_CYCLES);
    let ids: Vec<Uuid> = cycles
        .iter()
        .flat_map(|c| c.accounts.iter().copied())
        .collect();
    let names = crate::ledger::pages::labels(state, lang, &ids).await?;
    Ok(cycles
        .into_iter()
        .map(|c| {
            let mut parties: Vec<String> = c
                .accounts
                .iter()
                .map(|a| names.get(a).cloned().unwrap_or_else(|| "—".into()))
                .collect();
            if let Some(first) = parties.first().cloned() {
                parties.push(first);
            }
            CycleLine {
                length: c.accounts.len(),
                parties: parties.join(" → "),
                amount: money(state, lang, r, i128::from(c.amount_minor)),
            }
        })
        .collect())
}

async fn report_view(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    notice: Option<&'static str>,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    coordinator(viewer)?;
    let lang = viewer.lang;
    let r = service::round(state, id).await?;
    let status = RoundStatus::parse(&r.status).ok_or(AppError::internal())?;
    let line_rows = store::lines(&state.db, r.id).await?;
    let lines = service::domain_lines(&line_rows);
    let participant_rows = store::participants(&state.db, r.id).await?;
    let ids: Vec<Uuid> = participant_rows.iter().map(|p| p.account_id).collect();
    let names = crate::ledger::pages::labels(state, lang, &ids).await?;
    let participants = participant_rows
        .iter()
        .take(2_000)
        .map(|p| ParticipantLine {
            account: p.account_id,
            name: names
                .get(&p.account_id)
                .cloned()
                .unwrap_or_else(|| "—".into()),
            via: if p.via == "standing" {
                "clearing_via_standing"
            } else {
                "clearing_via_joined"
            },
            answer: answer_label(p.answer.as_deref()),
        })
        .collect();
    let before = i128::from(r.debt_before_minor);
    let set_off = i128::from(r.set_off_minor);
    let credit = i128::from(r.credit_settled_minor);
    let moved = i128::from(r.credit_transferred_minor);
    let cleared = set_off + credit;
    let m = |v: i128| money(state, lang, &r, v);
    let page = ReportPage {
        c: Chrome::new(state, viewer, &format!("/coordination/clearing/{}", r.id)),
        participants,
        candidates: r.candidates,
        changed_invoices: lines
            .iter()
            .filter(|l| l.set_off_minor > 0 || l.credit_minor > 0)
            .count(),
        debt_before: m(before),
        set_off: m(set_off),
        credit_settled: m(credit),
        credit_transferred: m(moved),
        cleared: m(cleared),
        remaining: m(before - cleared),
        share: percent(lang, cleared, before),
        share_set_off: percent(lang, set_off, before),
        liquidity_saved: m(cleared - moved),
        cycles: cycle_lines(state, lang, &r, &lines).await?,
        computed: r.proposed_at.is_some(),
        proposed_on: r.proposed_at.map(instant).unwrap_or_default(),
        can_compute: status.in_progress(),
        can_apply: status == RoundStatus::Proposed,
        can_cancel: status.in_progress(),
        round: round_view(&r),
        notice,
        error,
    };
    let code = page.error.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(render_status(code, &page))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DoneQuery {
    done: Option<String>,
}

fn notice_of(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "opened" => "clearing_done_opened",
        "compute" => "clearing_done_compute",
        "apply" => "clearing_done_apply",
        "cancel" => "clearing_done_cancel",
        _ => return None,
    })
}

async fn report_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    report_view(&state, &viewer, id, notice_of(q.done.as_deref()), None).await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct ActionForm {}

async fn action_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    PageForm(_form): PageForm<ActionForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let result = match action.as_str() {
        "compute" => {
            if actor.coordinates() {
                service::compute(&state, id).await.map(|_| ())
            } else {
                Err(AppError::forbidden())
            }
        }
        "apply" => service::apply_now(&state, actor, id).await,
        "cancel" => service::cancel(&state, actor, id).await,
        _ => return Err(AppError::not_found()),
    };
    match result {
        Ok(()) => {
            Ok(Redirect::to(&format!("/coordination/clearing/{id}?done={action}")).into_response())
        }
        Err(e) if e.status == StatusCode::CONFLICT => {
            report_view(&state, &viewer, id, None, Some(e)).await
        }
        Err(e) => Err(e),
    }
}
