//! The federation page (`/federation`): members find organisations of linked districts and
//! pay them (or any member there whose account id they were given), and see their payments
//! between districts; coordinators see each linked district with the balance and volume
//! between the two over the last twelve months, link with a new district, and approve,
//! suspend, resume or end links; they start a clearing round between the linked districts and
//! see the last rounds.

use super::payments::{self, PayInput};
use super::service::{self, LinkAction, Proposal};
use crate::auth::Viewer;
use crate::directory::pages::parse_id;
use crate::i18n::Lang;
use crate::pages::{Chrome, PageForm, render_status};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use distretto_store::federation::payments::{self as store, PaymentRow};
use distretto_store::federation::{self as links, LinkRow, clearings};
use uuid::Uuid;

/// Payments of the viewer listed.
const MY_PAYMENTS_SHOWN: i64 = 50;
/// Committed payments of a link read for its monthly table.
const MONTHLY_ROWS_READ: i64 = 20_000;
/// Months in a link's table.
const MONTHS_SHOWN: usize = 12;
/// Clearing rounds listed.
const ROUNDS_SHOWN: i64 = 10;

pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/federation", get(page))
        .route("/federation/pay", post(pay_submit))
        .route("/federation/links", post(propose_submit))
        .route("/federation/links/{id}/{action}", post(act_submit))
        .route("/federation/clearings", post(clear_submit))
}

fn money(state: &AppState, lang: Lang, minor: i64) -> String {
    crate::ledger::pages::money(lang, &state.config.currency, minor)
}

/// What the pay form holds (kept when a payment is refused).
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct PayForm {
    link: String,
    from: String,
    payee: String,
    payee_name: String,
    amount: String,
    memo: String,
    key: String,
}

/// What the page is asked for.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct PageQuery {
    /// Words to find organisations of linked districts.
    q: String,
    /// A payee chosen from the results: their district's link, id and name.
    link: String,
    payee: String,
    name: String,
    /// The payment just made.
    paid: String,
    /// A notice after a coordinator's action.
    done: String,
}

/// The link form of a coordinator.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct ProposalForm {
    url: String,
    keyid: String,
    public_key: String,
}

pub(super) struct Choice {
    pub(super) value: String,
    pub(super) label: String,
    pub(super) selected: bool,
}

/// The active linked districts, as options of a form (`selected`: the link chosen).
pub(super) fn district_choices(all: &[LinkRow], selected: &str) -> Vec<Choice> {
    all.iter()
        .filter(|l| l.status == "active")
        .map(|l| Choice {
            value: l.id.to_string(),
            label: l.peer_name.clone(),
            selected: selected == l.id.to_string(),
        })
        .collect()
}

/// The accounts `actor` may act for, as options of a form, with their balances when
/// `balances`; and their ids.
pub(super) async fn account_choices(
    state: &AppState,
    viewer: &Viewer,
    selected: &str,
    balances: bool,
) -> Result<(Vec<Choice>, Vec<Uuid>), AppError> {
    let lang = viewer.lang;
    let mine = crate::ledger::service::my_accounts(state, viewer.actor()?).await?;
    let ids: Vec<Uuid> = mine.iter().map(|a| a.id).collect();
    let names = crate::ledger::pages::labels(state, lang, &ids).await?;
    let choices = mine
        .iter()
        .map(|a| {
            let name = names.get(&a.id).cloned().unwrap_or_default();
            Choice {
                value: a.id.to_string(),
                label: if balances {
                    format!("{name} ({})", money(state, lang, a.balance_minor))
                } else {
                    name
                },
                selected: selected == a.id.to_string(),
            }
        })
        .collect();
    Ok((choices, ids))
}

struct Found {
    /// The pay form with this organisation chosen.
    href: String,
    name: String,
    district: String,
    place: String,
}

struct PaymentLine {
    when: String,
    sent: bool,
    other: String,
    district: String,
    amount: String,
    status: &'static str,
    highlight: bool,
}

/// A clearing round between districts, as coordinators see it.
struct RoundLine {
    when: String,
    /// "This district", or the linked district that started it.
    started_by: String,
    set_off: String,
    status: &'static str,
    /// Why it was cancelled (a message id), if it was.
    refusal: Option<&'static str>,
}

struct MonthLine {
    month: String,
    sent: String,
    received: String,
    balance: String,
}

struct LinkView {
    id: Uuid,
    name: String,
    url: String,
    status: &'static str,
    /// "We owe them 12,00 Cr" / "They owe us …" / "Even".
    balance: String,
    limits: String,
    mirror: Option<Uuid>,
    /// The balance between the two districts over the twelve months (inline SVG).
    chart: String,
    months: Vec<MonthLine>,
    actions: Vec<(&'static str, &'static str)>,
    /// The clearing schedule with this district, as a sentence.
    schedule: String,
    /// What our coordinator proposed (the form's value).
    schedule_days: i32,
    /// Whether a schedule may be proposed (the link is active).
    active: bool,
}

#[derive(Template)]
#[template(path = "federation.html")]
struct FederationPage {
    c: Chrome,
    notice: Option<&'static str>,
    error: Option<AppError>,
    districts: Vec<Choice>,
    accounts: Vec<Choice>,
    form: PayForm,
    q: String,
    found: Vec<Found>,
    searched: bool,
    mine: Vec<PaymentLine>,
    links: Vec<LinkView>,
    own_url: String,
    own_keyid: String,
    own_key: String,
    proposal: ProposalForm,
    rounds: Vec<RoundLine>,
}

fn status_id(code: &str) -> &'static str {
    match code {
        "committed" => "federation_payment_committed",
        "held" | "new" => "federation_payment_waiting",
        _ => "federation_payment_cancelled",
    }
}

fn round_status_id(code: &str) -> &'static str {
    match code {
        "committed" => "federation_clearing_committed",
        "held" | "new" => "federation_clearing_waiting",
        _ => "federation_clearing_cancelled",
    }
}

/// The last rounds, newest first.
async fn round_lines(
    state: &AppState,
    lang: Lang,
    names: &[LinkRow],
) -> Result<Vec<RoundLine>, AppError> {
    let (rows, _) = clearings::list(&state.db, ROUNDS_SHOWN, 0).await?;
    Ok(rows
        .into_iter()
        .map(|r| RoundLine {
            when: r.created_at.date().to_string(),
            started_by: match r.initiator_link_id {
                None => lang.t("federation_clearing_by_us"),
                Some(id) => names
                    .iter()
                    .find(|l| l.id == id)
                    .map_or_else(String::new, |l| l.peer_name.clone()),
            },
            set_off: money(state, lang, r.set_off_minor),
            status: round_status_id(&r.status),
            refusal: r
                .refusal
                .as_deref()
                .filter(|_| r.status != "committed")
                .map(super::clearing::static_code),
        })
        .collect())
}

fn link_status_id(code: &str) -> &'static str {
    match code {
        "proposed" => "federation_link_proposed",
        "requested" => "federation_link_requested",
        "active" => "federation_link_active",
        "suspended" => "federation_link_suspended",
        _ => "federation_link_ended",
    }
}

fn actions_of(status: &str) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    match status {
        "requested" => out.push(("approve", "federation_action_approve")),
        "active" => out.push(("suspend", "federation_action_suspend")),
        "suspended" => out.push(("resume", "federation_action_resume")),
        _ => {}
    }
    if status != "ended" {
        out.push(("end", "federation_action_end"));
    }
    out
}

/// The balance with a linked district as a sentence: the mirror account's balance is what we
/// owe them (positive) or what they owe us (negative).
fn balance_text(state: &AppState, lang: Lang, balance_minor: i64) -> String {
    let amount = money(state, lang, balance_minor.saturating_abs());
    let id = match balance_minor.signum() {
        1 => "federation_we_owe",
        -1 => "federation_they_owe",
        _ => "federation_even",
    };
    lang.t_args(id, &[("amount", amount)])
}

fn month_key(t: time::OffsetDateTime) -> (i32, u8) {
    (t.year(), u8::from(t.month()))
}

/// The last twelve months of a link: paid to them, received from them, and the balance
/// between the two districts at each month's end (from the mirror account's balance now).
fn months_of(
    state: &AppState,
    lang: Lang,
    rows: &[PaymentRow],
    balance_now: i64,
) -> Vec<MonthLine> {
    let now = distretto_store::now();
    let mut keys: Vec<(i32, u8)> = Vec::with_capacity(MONTHS_SHOWN);
    let mut at = now.date();
    for _ in 0..MONTHS_SHOWN {
        keys.push((at.year(), u8::from(at.month())));
        at = at.replace_day(1).unwrap_or(at) - time::Duration::days(1);
    }
    let mut sent = [0i64; MONTHS_SHOWN];
    let mut received = [0i64; MONTHS_SHOWN];
    for r in rows {
        if let Some(i) = keys.iter().position(|k| *k == month_key(r.created_at)) {
            if r.direction == "out" {
                sent[i] = sent[i].saturating_add(r.amount_minor);
            } else {
                received[i] = received[i].saturating_add(r.amount_minor);
            }
        }
    }
    // Walking back from now: the balance at the end of a month is the later one less what
    // the later month moved.
    let mut balance = balance_now;
    let mut out = Vec::with_capacity(MONTHS_SHOWN);
    for (i, (year, month)) in keys.iter().enumerate() {
        out.push(MonthLine {
            month: format!("{year}-{month:02}"),
            sent: money(state, lang, sent[i]),
            received: money(state, lang, received[i]),
            balance: balance_text(state, lang, balance),
        });
        balance = balance.saturating_sub(sent[i]).saturating_add(received[i]);
    }
    out
}

/// How a committed payment moved the mirror account: up when our member paid, down when
/// theirs did.
fn effect(r: &PaymentRow) -> i64 {
    if r.direction == "out" {
        r.amount_minor
    } else {
        -r.amount_minor
    }
}

/// The balance between the two districts over the last year, as the account page draws a
/// balance: a step after each payment, from the balance a year ago. `rows` are newest first.
fn chart_of(
    state: &AppState,
    lang: Lang,
    link: Uuid,
    rows: &[PaymentRow],
    balance_now: i64,
) -> String {
    use crate::ledger::chart::{self, ChartText, Period, Point};
    let until = distretto_store::now();
    let from = until - time::Duration::days(365);
    let recent: Vec<&PaymentRow> = rows.iter().take_while(|r| r.created_at >= from).collect();
    let mut balance = balance_now;
    let mut points = Vec::with_capacity(recent.len());
    for r in &recent {
        points.push(Point {
            at_s: r.created_at.unix_timestamp(),
            balance_minor: balance,
        });
        balance = balance.saturating_sub(effect(r));
    }
    points.reverse();
    let opening = balance;
    let s = chart::summary(opening, &points);
    let day = |t: time::OffsetDateTime| t.date().to_string();
    let description = lang.t_args(
        "account_chart_summary",
        &[
            ("from", day(from)),
            ("until", day(until)),
            ("start", money(state, lang, s.start_minor)),
            ("end", money(state, lang, s.end_minor)),
            ("min", money(state, lang, s.min_minor)),
            ("max", money(state, lang, s.max_minor)),
        ],
    );
    let text = ChartText {
        id: format!("chart-{}", link.simple()),
        title: lang.t("federation_chart_title"),
        description,
        max_label: money(state, lang, s.max_minor.max(0)),
        min_label: money(state, lang, s.min_minor.min(0)),
    };
    let drawn = chart::downsample(&points, chart::MAX_POINTS);
    let period = Period {
        from_s: from.unix_timestamp(),
        until_s: until.unix_timestamp(),
    };
    chart::svg(opening, period, &drawn, &text)
}

/// A link's clearing schedule as a sentence.
fn schedule_text(lang: Lang, s: &distretto_store::federation::schedules::ScheduleRow) -> String {
    match s.agreed_days() {
        Some(days) => lang.t_args("federation_schedule_agreed", &[("days", days.to_string())]),
        None if s.ours_days == 0 && s.theirs_days == 0 => lang.t("federation_schedule_none"),
        None => lang.t_args(
            "federation_schedule_pending",
            &[
                ("ours", s.ours_days.to_string()),
                ("theirs", s.theirs_days.to_string()),
            ],
        ),
    }
}

async fn link_views(state: &AppState, lang: Lang) -> Result<Vec<LinkView>, AppError> {
    let mut out = Vec::new();
    let schedules = distretto_store::federation::schedules::all(&state.db).await?;
    for l in links::links(&state.db).await? {
        let schedule = schedules
            .iter()
            .find(|s| s.link_id == l.id)
            .cloned()
            .unwrap_or_else(|| distretto_store::federation::schedules::ScheduleRow::none(l.id));
        let mirror = store::mirror(&state.db, l.id, &state.config.currency.code).await?;
        let (balance_minor, limits, mirror_id) = match &mirror {
            Some(a) => {
                let upper = a
                    .upper_limit_minor
                    .map_or_else(|| lang.t("federation_unbounded"), |u| money(state, lang, u));
                let limits = lang.t_args(
                    "federation_limits",
                    &[
                        ("owe", upper),
                        ("owed", money(state, lang, a.credit_limit_minor)),
                    ],
                );
                (a.balance_minor, limits, Some(a.id))
            }
            None => (0, String::new(), None),
        };
        let (months, chart) = if mirror.is_some() {
            let rows = store::committed_of(&state.db, l.id, MONTHLY_ROWS_READ).await?;
            (
                months_of(state, lang, &rows, balance_minor),
                chart_of(state, lang, l.id, &rows, balance_minor),
            )
        } else {
            (Vec::new(), String::new())
        };
        out.push(LinkView {
            id: l.id,
            name: l.peer_name.clone(),
            url: links::address(&l.peer_url).to_owned(),
            status: link_status_id(&l.status),
            actions: actions_of(&l.status),
            balance: balance_text(state, lang, balance_minor),
            limits,
            mirror: mirror_id,
            chart,
            months,
            schedule: schedule_text(lang, &schedule),
            schedule_days: schedule.ours_days,
            active: l.status == "active",
        });
    }
    Ok(out)
}

fn payment_line(
    state: &AppState,
    lang: Lang,
    p: &PaymentRow,
    names: &[LinkRow],
    paid: Option<Uuid>,
) -> PaymentLine {
    let sent = p.direction == "out";
    let other = if !p.counterpart_name.is_empty() && sent {
        p.counterpart_name.clone()
    } else {
        p.counterpart.clone()
    };
    PaymentLine {
        when: p.created_at.date().to_string(),
        sent,
        other,
        district: names
            .iter()
            .find(|l| l.id == p.link_id)
            .map_or_else(String::new, |l| l.peer_name.clone()),
        amount: money(state, lang, p.amount_minor),
        status: status_id(&p.status),
        highlight: paid == Some(p.id),
    }
}

async fn view(
    state: &AppState,
    viewer: &Viewer,
    q: PageQuery,
    mut form: PayForm,
    proposal: ProposalForm,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let lang = viewer.lang;
    let all = links::links(&state.db).await?;
    if form.link.is_empty() {
        form.link.clone_from(&q.link);
    }
    if form.payee.is_empty() {
        form.payee.clone_from(&q.payee);
        form.payee_name.clone_from(&q.name);
    }
    let districts = district_choices(&all, &form.link);
    let (accounts, ids) = account_choices(state, viewer, &form.from, true).await?;
    let paid = Uuid::parse_str(q.paid.trim()).ok();
    let my_payments = store::of_accounts(&state.db, &ids, MY_PAYMENTS_SHOWN, 0)
        .await?
        .0
        .iter()
        .map(|p| payment_line(state, lang, p, &all, paid))
        .collect();
    let searched = !q.q.trim().is_empty();
    let found = if searched {
        found(state, &q.q, &all).await?
    } else {
        Vec::new()
    };
    let coordinates = actor.coordinates();
    let (own_keyid, own_key) = if coordinates {
        let (k, _) = service::own_key(state).await?;
        (k.keyid, k.public_key)
    } else {
        (String::new(), String::new())
    };
    form.key = Uuid::new_v4().to_string();
    let notice = if paid.is_some() {
        Some("federation_paid_notice")
    } else {
        match q.done.as_str() {
            "linked" => Some("federation_linked_notice"),
            "changed" => Some("federation_changed_notice"),
            "cleared" => Some("federation_cleared_notice"),
            "clearing" => Some("federation_clearing_waiting_notice"),
            _ => None,
        }
    };
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let rounds = if coordinates {
        round_lines(state, lang, &all).await?
    } else {
        Vec::new()
    };
    let page = FederationPage {
        c: Chrome::new(state, viewer, "/federation"),
        notice,
        error,
        districts,
        accounts,
        form,
        q: q.q,
        found,
        searched,
        mine: my_payments,
        links: if coordinates {
            link_views(state, lang).await?
        } else {
            Vec::new()
        },
        own_url: service::own_url(state),
        own_keyid,
        own_key,
        proposal,
        rounds,
    };
    Ok(render_status(status, &page))
}

async fn found(state: &AppState, q: &str, all: &[LinkRow]) -> Result<Vec<Found>, AppError> {
    let parts = super::directory::search(state, q).await?;
    let mut out = Vec::new();
    for part in parts {
        let Some(link) = all.iter().find(|l| l.peer_url == part.url) else {
            continue;
        };
        out.extend(part.items.into_iter().map(|o| Found {
            href: format!(
                "/federation?link={}&payee={}&name={}#pay",
                link.id,
                o.id,
                crate::pages::encode_query(&o.name)
            ),
            name: o.name,
            district: part.name.clone(),
            place: o.locality,
        }));
    }
    Ok(out)
}

async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    view(
        &state,
        &viewer,
        q,
        PayForm::default(),
        ProposalForm::default(),
        None,
    )
    .await
}

fn form_id(text: &str, code: &'static str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text.trim()).map_err(|_| AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code))
}

/// `POST /federation/pay`: pays once per form (its key).
async fn pay_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    PageForm(form): PageForm<PayForm>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let result = async {
        let link = form_id(&form.link, "federation_link_status")?;
        let payer = form_id(&form.from, "unknown_account")?;
        let amount = state.config.currency.parse(&form.amount)?;
        let key = crate::ledger::service::parse_idempotency_key(&form.key)?;
        let input = PayInput {
            link,
            payer,
            payee: form.payee.trim(),
            amount_minor: amount.minor(),
            memo: &form.memo,
            invoice: None,
        };
        payments::pay(&state, actor, &input, &key).await
    }
    .await;
    match result {
        Ok(p) => Ok(Redirect::to(&format!("/federation?paid={}#mine", p.id)).into_response()),
        Err(e) if e.status.is_client_error() => {
            view(
                &state,
                &viewer,
                PageQuery::default(),
                form,
                ProposalForm::default(),
                Some(e),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// `POST /federation/links`: a coordinator links with another district.
async fn propose_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    PageForm(form): PageForm<ProposalForm>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let p = Proposal {
        url: &form.url,
        keyid: &form.keyid,
        public_key: &form.public_key,
    };
    match service::propose(&state, actor, &p).await {
        Ok(_) => Ok(Redirect::to("/federation?done=linked#links").into_response()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN => {
            view(
                &state,
                &viewer,
                PageQuery::default(),
                PayForm::default(),
                form,
                Some(e),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// A form with nothing but its CSRF token (checked by the guard).
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct Empty {}

/// A link action's form: the days between clearing rounds, for `schedule`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct LinkActForm {
    every_days: String,
}

/// `POST /federation/links/{id}/{action}`: approve, suspend, resume or end.
async fn act_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    PageForm(form): PageForm<LinkActForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let result = match action.as_str() {
        "schedule" => match form.every_days.trim().parse::<i64>() {
            Ok(days) => super::schedule::propose(&state, actor, id, days)
                .await
                .map(|_| ()),
            Err(_) => Err(AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "federation_bad_schedule",
            )),
        },
        "approve" => service::approve(&state, actor, id).await.map(|_| ()),
        "suspend" => service::change(&state, actor, id, LinkAction::Suspend, "")
            .await
            .map(|_| ()),
        "resume" => service::change(&state, actor, id, LinkAction::Resume, "")
            .await
            .map(|_| ()),
        "end" => service::change(&state, actor, id, LinkAction::End, "")
            .await
            .map(|_| ()),
        _ => Err(AppError::not_found()),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/federation?done=changed#links").into_response()),
        Err(e)
            if e.status == StatusCode::CONFLICT
                || e.status == StatusCode::UNPROCESSABLE_ENTITY
                || e.status == StatusCode::SERVICE_UNAVAILABLE =>
        {
            view(
                &state,
                &viewer,
                PageQuery::default(),
                PayForm::default(),
                ProposalForm::default(),
                Some(e),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// `POST /federation/clearings`: a coordinator starts a clearing round between districts.
async fn clear_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    PageForm(_): PageForm<Empty>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let result = super::clearing::start(&state, Some(actor)).await;
    let refused = |r: &clearings::ClearingRow| {
        let code = r.refusal.as_deref().unwrap_or("federation_refused");
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            super::clearing::static_code(code),
        )
    };
    let error = match result {
        Ok(r) if r.status == "committed" => {
            return Ok(Redirect::to("/federation?done=cleared#clearing").into_response());
        }
        Ok(r) if r.status == "held" || r.status == "new" => {
            return Ok(Redirect::to("/federation?done=clearing#clearing").into_response());
        }
        Ok(r) => refused(&r),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN => e,
        Err(e) => return Err(e),
    };
    view(
        &state,
        &viewer,
        PageQuery::default(),
        PayForm::default(),
        ProposalForm::default(),
        Some(error),
    )
    .await
}
