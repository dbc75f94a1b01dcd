//! Pages of mutual credit: the account page (balance, limits, history, chart, statement),
//! paying, payment requests with their QR code, and the coordinators' ledger view.
//!
//! Handlers stay thin: they parse the form, call [`super::service`] (which checks who may do
//! what), and render. Amounts are typed as people type them ("12,50") and shown with the
//! district currency's decimals, separator and symbol in the page's language.

use super::api::{HistoryParams, entry_of, history_filter, parse_instant, request_json};
use super::chart::{self, ChartText, Period, Point};
use super::service::{self, PaymentInput, RequestInput};
use crate::auth::Viewer;
use crate::auth::viewer::Actor;
use crate::directory::pages::parse_id;
use crate::i18n::Lang;
use crate::pages::{Chrome, PageForm, encode_query, render_status};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use distretto_domain::ledger::{Currency, Limits, TransferKind, parse_memo};
use distretto_store::accounts::AccountRow;
use distretto_store::ledger::HistoryFilter;
use distretto_store::ledger::requests::PaymentRequestRow;
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// History rows per page.
const PAGE_ROWS: i64 = 50;
/// The furthest offset a history page may ask for.
const MAX_OFFSET: i64 = 10_000_000;
/// Transfers read to draw a chart; a longer period is drawn up to here and says so.
const CHART_CAP: i64 = 10_000;
/// Days a chart covers when the filters name no period.
const CHART_DEFAULT_DAYS: i64 = 90;
/// Rows of a CSV statement at most; a longer period is cut and the last line says so.
pub const STATEMENT_CAP: usize = 100_000;
/// Recent counterparties offered in the pay form and the history filter.
const RECENT_COUNTERPARTIES: usize = 20;
/// Requests listed per direction.
const REQUESTS_LISTED: i64 = 100;

pub(crate) fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/account", get(accounts_page))
        .route("/account/{id}", get(account_page))
        .route("/account/{id}/statement.csv", get(statement_csv))
        .route("/account/{id}/authorizations", post(authorize_submit))
        .route(
            "/account/{id}/authorizations/{person}/revoke",
            post(revoke_submit),
        )
        .route("/pay", get(pay_form).post(pay_submit))
        .route("/pay/{id}", get(pay_request_page).post(pay_request_submit))
        .route("/requests", get(requests_page).post(request_submit))
        .route("/requests/new", get(request_form))
        .route("/requests/{id}", get(request_page))
        .route("/requests/{id}/decline", post(decline_submit))
        .route("/requests/{id}/cancel", post(cancel_submit))
        .route("/coordination/ledger", get(ledger_page))
        .route("/coordination/accounts/{id}/limits", post(limits_submit))
        .route(
            "/coordination/transfers/{id}/reversal",
            post(reversal_submit),
        )
}

// ---------- formatting ----------

/// The decimal separator readers of `lang` expect.
pub(crate) fn decimal_separator(lang: Lang) -> char {
    match lang {
        Lang::En => '.',
        Lang::Fr | Lang::It => ',',
    }
}

/// The thousands separator readers of `lang` expect (display only: inputs never group).
fn group_separator(lang: Lang) -> &'static str {
    match lang {
        Lang::En => ",",
        Lang::Fr => "\u{202f}",
        Lang::It => ".",
    }
}

/// An amount for reading: grouped, with the language's separators, a real minus sign and
/// the currency symbol, e.g. `−1 234,50 Cr`.
pub fn money(lang: Lang, currency: &Currency, minor: i64) -> String {
    let sep = decimal_separator(lang);
    let plain = currency.format(minor, sep);
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(d) => ("\u{2212}", d),
        None => ("", plain.as_str()),
    };
    let (whole, fraction) = match digits.split_once(sep) {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let mut grouped = String::with_capacity(whole.len() * 2);
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push_str(group_separator(lang));
        }
        grouped.push(ch);
    }
    let fraction = fraction.map(|f| format!("{sep}{f}")).unwrap_or_default();
    let symbol = if currency.symbol.is_empty() {
        &currency.code
    } else {
        &currency.symbol
    };
    format!("{sign}{grouped}{fraction}\u{a0}{symbol}")
}

/// An amount as a form field holds it: no grouping, the language's decimal separator.
pub(crate) fn input_amount(lang: Lang, currency: &Currency, minor: i64) -> String {
    currency.format(minor, decimal_separator(lang))
}

/// Day and time, in the order French and Italian readers use (UTC).
fn date_time(t: &OffsetDateTime) -> String {
    format!(
        "{:02}/{:02}/{} {:02}:{:02}",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute()
    )
}

/// `YYYY-MM-DD`, as date inputs and statements want.
fn iso_day(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The label of a transfer kind.
fn kind_label(lang: Lang, code: &str) -> String {
    match code {
        "payment" => lang.t("transfer_kind_payment"),
        "request" => lang.t("transfer_kind_request"),
        "invoice" => lang.t("transfer_kind_invoice"),
        "reversal" => lang.t("transfer_kind_reversal"),
        "clearing" => lang.t("transfer_kind_clearing"),
        "purchase" => lang.t("transfer_kind_purchase"),
        "grant" => lang.t("transfer_kind_grant"),
        "booking" => lang.t("transfer_kind_booking"),
        "booking_refund" => lang.t("transfer_kind_booking_refund"),
        other => other.to_owned(),
    }
}

/// The label of a payment request's status.
fn request_status_label(lang: Lang, code: &str) -> String {
    match code {
        "open" => lang.t("request_status_open"),
        "paid" => lang.t("request_status_paid"),
        "declined" => lang.t("request_status_declined"),
        "cancelled" => lang.t("request_status_cancelled"),
        other => other.to_owned(),
    }
}

/// The translated notice of a `done=…` return.
fn notice_of(done: &str) -> Option<&'static str> {
    match done {
        "paid" => Some("notice_paid"),
        "limits" => Some("notice_limits_changed"),
        "reversed" => Some("notice_reversed"),
        "authorized" => Some("notice_authorized"),
        "revoked" => Some("notice_revoked"),
        "declined" => Some("notice_request_declined"),
        "cancelled" => Some("notice_request_cancelled"),
        "created" => Some("notice_request_created"),
        _ => None,
    }
}

/// Names of accounts' owners (a district account: what it is for), by account id.
pub(crate) async fn labels(
    state: &AppState,
    lang: Lang,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, AppError> {
    let mut unique: Vec<Uuid> = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let rows = distretto_store::ledger::owner_names(&state.db, &unique).await?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, name, purpose)| {
            let label = match (kind.as_str(), purpose.as_deref()) {
                ("district", Some("fund")) => lang.t("account_district_fund"),
                ("district", Some("fees")) => lang.t("account_district_fees"),
                ("district", _) => lang.t("account_district"),
                _ => name,
            };
            (id, label)
        })
        .collect())
}

fn label_of(names: &HashMap<Uuid, String>, id: Uuid) -> String {
    names.get(&id).cloned().unwrap_or_else(|| id.to_string())
}

/// One account as pages show it.
pub struct AccountView {
    id: Uuid,
    label: String,
    kind: &'static str,
    balance: String,
    negative: bool,
    credit_limit: String,
    upper_limit: Option<String>,
    available: String,
    credit_limit_input: String,
    upper_limit_input: String,
}

fn account_view_of(lang: Lang, currency: &Currency, a: &AccountRow, label: String) -> AccountView {
    let limits = Limits {
        credit_limit_minor: a.credit_limit_minor,
        upper_limit_minor: a.upper_limit_minor,
    };
    AccountView {
        id: a.id,
        label,
        kind: match a.owner_kind.as_str() {
            "person" => "account_kind_person",
            "organization" => "account_kind_organization",
            _ => "account_kind_district",
        },
        balance: money(lang, currency, a.balance_minor),
        negative: a.balance_minor < 0,
        credit_limit: money(lang, currency, a.credit_limit_minor),
        upper_limit: a.upper_limit_minor.map(|u| money(lang, currency, u)),
        available: money(lang, currency, limits.spendable_minor(a.balance_minor)),
        credit_limit_input: input_amount(lang, currency, a.credit_limit_minor),
        upper_limit_input: a
            .upper_limit_minor
            .map(|u| input_amount(lang, currency, u))
            .unwrap_or_default(),
    }
}

async fn account_views(
    state: &AppState,
    lang: Lang,
    rows: &[AccountRow],
) -> Result<Vec<AccountView>, AppError> {
    let ids: Vec<Uuid> = rows.iter().map(|a| a.id).collect();
    let names = labels(state, lang, &ids).await?;
    Ok(rows
        .iter()
        .map(|a| account_view_of(lang, &state.config.currency, a, label_of(&names, a.id)))
        .collect())
}

/// An `(id, label)` choice of a select.
pub struct Choice {
    id: String,
    label: String,
}

fn choices(accounts: &[AccountView]) -> Vec<Choice> {
    accounts
        .iter()
        .map(|a| Choice {
            id: a.id.to_string(),
            label: a.label.clone(),
        })
        .collect()
}

/// An account id typed or chosen in a form.
fn form_account(raw: &str, field: &'static str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw.trim()).map_err(|_| super::api::unprocessable("unknown_account", field))
}

/// Which input an error names, for `aria-invalid`.
fn invalid_field(error: Option<&AppError>) -> &'static str {
    error.and_then(|e| e.field).unwrap_or("")
}

fn status_of(error: Option<&AppError>) -> StatusCode {
    error.map_or(StatusCode::OK, |e| e.status)
}

/// Whether an error should be shown on the form rather than as an error page.
fn shown_on_form(e: &AppError) -> bool {
    e.status.is_client_error() && e.status != StatusCode::NOT_FOUND
}

/// A fresh idempotency key for a payment form: a double submit of the same form pays once.
fn fresh_key() -> String {
    Uuid::new_v4().to_string()
}

// ---------- the list of one's accounts ----------

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    c: Chrome,
    accounts: Vec<AccountView>,
}

/// `GET /account`: the accounts the person can act for; with exactly one, that account.
async fn accounts_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let rows = service::my_accounts(&state, actor).await?;
    if let [only] = rows.as_slice() {
        return Ok(Redirect::to(&format!("/account/{}", only.id)).into_response());
    }
    let accounts = account_views(&state, viewer.lang, &rows).await?;
    Ok(render_status(
        StatusCode::OK,
        &AccountsPage {
            c: Chrome::new(&state, &viewer, "/account"),
            accounts,
        },
    ))
}

// ---------- one account ----------

/// The history filters and page of the account page (a GET form).
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct HistoryQuery {
    from: String,
    until: String,
    direction: String,
    kind: String,
    counterparty: String,
    offset: String,
    done: String,
}

impl HistoryQuery {
    fn params(&self) -> Result<HistoryParams, AppError> {
        let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let counterparty = match opt(&self.counterparty) {
            Some(c) => Some(form_account(&c, "counterparty")?),
            None => None,
        };
        Ok(HistoryParams {
            from: opt(&self.from),
            until: opt(&self.until),
            direction: opt(&self.direction),
            counterparty,
            kind: opt(&self.kind),
            limit: None,
            offset: None,
        })
    }

    fn offset(&self) -> i64 {
        self.offset
            .trim()
            .parse::<i64>()
            .unwrap_or(0)
            .clamp(0, MAX_OFFSET)
    }

    /// This page's address with these filters at another offset.
    fn link(&self, account: Uuid, offset: i64) -> String {
        let mut q = format!("/account/{account}?offset={offset}");
        for (k, v) in [
            ("from", &self.from),
            ("until", &self.until),
            ("direction", &self.direction),
            ("kind", &self.kind),
            ("counterparty", &self.counterparty),
        ] {
            if !v.is_empty() {
                q.push_str(&format!("&{k}={}", encode_query(v)));
            }
        }
        q
    }
}

/// A line of the history table.
pub struct EntryView {
    id: Uuid,
    when: String,
    kind: String,
    counterparty: String,
    memo: String,
    amount_in: String,
    amount_out: String,
    balance_after: String,
    negative_after: bool,
    reversible: bool,
}

/// A line of the limit-change log.
pub struct LimitChangeView {
    when: String,
    old_credit: String,
    credit: String,
    old_upper: String,
    upper: String,
    reason: String,
}

/// A person allowed to pay from the account.
pub struct AuthorizedView {
    id: Uuid,
    name: String,
    email: String,
}

/// The chart and its text alternative.
pub struct ChartView {
    svg: String,
    summary: String,
    capped: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    c: Chrome,
    account: AccountView,
    notice: Option<&'static str>,
    error: Option<AppError>,
    invalid: &'static str,
    q: HistoryQuery,
    kinds: Vec<(&'static str, String)>,
    counterparties: Vec<Choice>,
    rows: Vec<EntryView>,
    total: i64,
    prev: Option<String>,
    next: Option<String>,
    chart: ChartView,
    statement_from: String,
    statement_until: String,
    limit_changes: Vec<LimitChangeView>,
    authorized: Vec<AuthorizedView>,
    is_owner: bool,
    may_spend: bool,
    coordinates: bool,
}

/// Whether `actor` owns `account` (its person, or an admin of its organisation).
async fn owns(state: &AppState, actor: &Actor, account: &AccountRow) -> Result<bool, AppError> {
    Ok(match (account.owner_kind.as_str(), account.owner_id) {
        ("person", Some(p)) => p == actor.id,
        ("organization", Some(o)) => {
            distretto_store::membership::member_role(&state.db, actor.id, o)
                .await?
                .as_deref()
                == Some("admin")
        }
        _ => false,
    })
}

async fn account_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let notice = notice_of(&q.done);
    account_view(&state, &viewer, id, q, notice, None).await
}

/// Renders the account page, with a notice after a redirect or the error of a form on it.
async fn account_view(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    q: HistoryQuery,
    notice: Option<&'static str>,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let account = service::readable_account(state, actor, id).await?;
    let lang = viewer.lang;
    let mut error = error;
    let filter = match q.params().and_then(|p| history_filter(&p)) {
        Ok(f) => Some(f),
        Err(e) => {
            error.get_or_insert(e);
            None
        }
    };
    let offset = q.offset();
    let (rows, total) = match &filter {
        Some(f) => distretto_store::ledger::history(&state.db, id, f, PAGE_ROWS, offset).await?,
        None => (Vec::new(), 0),
    };
    let recent = recent_counterparties(state, &[id]).await?;
    let mut ids: Vec<Uuid> = recent.clone();
    ids.push(id);
    ids.extend(rows.iter().flat_map(|t| [t.payer, t.payee]));
    if let Ok(chosen) = Uuid::parse_str(q.counterparty.trim()) {
        ids.push(chosen);
    }
    let names = labels(state, lang, &ids).await?;
    let coordinates = actor.coordinates();
    let entries = rows
        .into_iter()
        .map(|t| entry_view(lang, &state.config.currency, &names, id, t, coordinates))
        .collect();
    let chart = chart_view(state, lang, &account, filter.as_ref()).await?;
    let today = OffsetDateTime::now_utc().date();
    let or_default = |s: &str, d: time::Date| {
        let s = s.trim();
        if s.is_empty() {
            iso_day(d)
        } else {
            s.to_owned()
        }
    };
    let page = AccountPage {
        c: Chrome::new(state, viewer, &q.link(id, offset)),
        account: account_view_of(lang, &state.config.currency, &account, label_of(&names, id)),
        notice,
        invalid: invalid_field(error.as_ref()),
        kinds: TransferKind::ALL
            .iter()
            .map(|k| (k.code(), kind_label(lang, k.code())))
            .collect(),
        counterparties: counterparty_choices(&names, &recent, &q.counterparty),
        prev: (offset > 0).then(|| q.link(id, (offset - PAGE_ROWS).max(0))),
        next: (offset + PAGE_ROWS < total).then(|| q.link(id, offset + PAGE_ROWS)),
        rows: entries,
        total,
        chart,
        statement_from: or_default(&q.from, today - time::Duration::days(CHART_DEFAULT_DAYS)),
        statement_until: or_default(&q.until, today),
        limit_changes: limit_change_views(state, lang, id).await?,
        authorized: authorized_views(state, id).await?,
        is_owner: owns(state, actor, &account).await?,
        may_spend: distretto_store::ledger::may_spend(&state.db, id, actor.id).await?,
        coordinates,
        q,
        error,
    };
    Ok(render_status(status_of(page.error.as_ref()), &page))
}

fn entry_view(
    lang: Lang,
    currency: &Currency,
    names: &HashMap<Uuid, String>,
    account: Uuid,
    t: distretto_store::ledger::TransferRow,
    coordinates: bool,
) -> EntryView {
    let kind_code = t.kind.clone();
    let e = entry_of(account, t);
    let amount = money(lang, currency, e.delta.abs());
    EntryView {
        id: e.transfer.id,
        when: date_time(&e.transfer.created_at),
        kind: kind_label(lang, &kind_code),
        counterparty: label_of(names, e.counterparty),
        memo: e.transfer.memo,
        amount_in: if e.delta > 0 {
            amount.clone()
        } else {
            String::new()
        },
        amount_out: if e.delta < 0 { amount } else { String::new() },
        balance_after: money(lang, currency, e.balance_after),
        negative_after: e.balance_after < 0,
        reversible: coordinates && matches!(kind_code.as_str(), "payment" | "request"),
    }
}

/// The other accounts of the latest transfers of `accounts` (bounded), newest first.
async fn recent_counterparties(state: &AppState, accounts: &[Uuid]) -> Result<Vec<Uuid>, AppError> {
    let mut out: Vec<Uuid> = Vec::with_capacity(RECENT_COUNTERPARTIES);
    for account in accounts.iter().take(5) {
        let (rows, _) = distretto_store::ledger::history(
            &state.db,
            *account,
            &HistoryFilter::default(),
            100,
            0,
        )
        .await?;
        for t in rows {
            let other = if t.payer == *account {
                t.payee
            } else {
                t.payer
            };
            if !accounts.contains(&other) && !out.contains(&other) {
                out.push(other);
            }
            if out.len() >= RECENT_COUNTERPARTIES {
                return Ok(out);
            }
        }
    }
    Ok(out)
}

fn counterparty_choices(
    names: &HashMap<Uuid, String>,
    recent: &[Uuid],
    chosen: &str,
) -> Vec<Choice> {
    let mut out: Vec<Choice> = recent
        .iter()
        .map(|id| Choice {
            id: id.to_string(),
            label: label_of(names, *id),
        })
        .collect();
    if let Ok(id) = Uuid::parse_str(chosen.trim())
        && !recent.contains(&id)
    {
        out.push(Choice {
            id: id.to_string(),
            label: label_of(names, id),
        });
    }
    out
}

async fn limit_change_views(
    state: &AppState,
    lang: Lang,
    account: Uuid,
) -> Result<Vec<LimitChangeView>, AppError> {
    let cur = &state.config.currency;
    let unbounded = lang.t("limit_unbounded");
    let upper = |u: Option<i64>| u.map_or_else(|| unbounded.clone(), |u| money(lang, cur, u));
    Ok(
        distretto_store::ledger::limit_changes(&state.db, account, 50)
            .await?
            .into_iter()
            .map(|c| LimitChangeView {
                when: date_time(&c.created_at),
                old_credit: money(lang, cur, c.old_credit_limit_minor),
                credit: money(lang, cur, c.credit_limit_minor),
                old_upper: upper(c.old_upper_limit_minor),
                upper: upper(c.upper_limit_minor),
                reason: c.reason,
            })
            .collect(),
    )
}

async fn authorized_views(
    state: &AppState,
    account: Uuid,
) -> Result<Vec<AuthorizedView>, AppError> {
    Ok(distretto_store::ledger::authorizations(&state.db, account)
        .await?
        .into_iter()
        .map(|(id, name, email)| AuthorizedView { id, name, email })
        .collect())
}

/// The balance chart over the filtered period, or the last 90 days.
async fn chart_view(
    state: &AppState,
    lang: Lang,
    account: &AccountRow,
    filter: Option<&HistoryFilter>,
) -> Result<ChartView, AppError> {
    let now = OffsetDateTime::now_utc();
    let until = filter.and_then(|f| f.until).unwrap_or(now).min(now);
    let from = filter
        .and_then(|f| f.from)
        .unwrap_or(until - time::Duration::days(CHART_DEFAULT_DAYS))
        .min(until);
    let rows =
        distretto_store::ledger::statement(&state.db, account.id, from, until, CHART_CAP).await?;
    let capped = rows.len() as i64 >= CHART_CAP;
    let opening = distretto_store::ledger::balance_before(&state.db, account.id, from).await?;
    let points: Vec<Point> = rows
        .into_iter()
        .map(|t| {
            let e = entry_of(account.id, t);
            Point {
                at_s: e.transfer.created_at.unix_timestamp(),
                balance_minor: e.balance_after,
            }
        })
        .collect();
    let s = chart::summary(opening, &points);
    let cur = &state.config.currency;
    let summary = lang.t_args(
        "account_chart_summary",
        &[
            ("from", iso_day(from.date())),
            ("until", iso_day(until.date())),
            ("start", money(lang, cur, s.start_minor)),
            ("end", money(lang, cur, s.end_minor)),
            ("min", money(lang, cur, s.min_minor)),
            ("max", money(lang, cur, s.max_minor)),
        ],
    );
    let text = ChartText {
        id: "balance-chart".into(),
        title: lang.t("account_chart_title"),
        description: summary.clone(),
        max_label: money(lang, cur, s.max_minor.max(0)),
        min_label: money(lang, cur, s.min_minor.min(0)),
    };
    let drawn = chart::downsample(&points, chart::MAX_POINTS);
    let period = Period {
        from_s: from.unix_timestamp(),
        until_s: until.unix_timestamp(),
    };
    Ok(ChartView {
        svg: chart::svg(opening, period, &drawn, &text),
        summary,
        capped,
    })
}

// ---------- statement ----------

/// The statement's period.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct StatementQuery {
    from: String,
    until: String,
}

/// The CSV header of an account statement.
pub const STATEMENT_HEADER: [&str; 8] = [
    "date",
    "transfer_id",
    "kind",
    "counterparty",
    "memo",
    "amount_in",
    "amount_out",
    "balance_after",
];

/// Keeps a spreadsheet from reading a text cell as a formula.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// `GET /account/{id}/statement.csv?from=YYYY-MM-DD&until=YYYY-MM-DD`: every transfer of the
/// period, oldest first, between an opening and a closing balance line.
async fn statement_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<StatementQuery>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let account = service::readable_account(&state, viewer.actor()?, id).await?;
    let today = OffsetDateTime::now_utc().date();
    let or_default = |s: &str, d: time::Date| {
        let s = s.trim();
        if s.is_empty() {
            iso_day(d)
        } else {
            s.to_owned()
        }
    };
    let from_text = or_default(&q.from, account.created_at.date());
    let until_text = or_default(&q.until, today);
    let from = parse_instant(&from_text, false, "from")?;
    let until = parse_instant(&until_text, true, "until")?;
    let cap = i64::try_from(STATEMENT_CAP).unwrap_or(i64::MAX);
    let mut rows = distretto_store::ledger::statement(&state.db, id, from, until, cap + 1).await?;
    let capped = rows.len() > STATEMENT_CAP;
    rows.truncate(STATEMENT_CAP);
    let opening = distretto_store::ledger::balance_before(&state.db, id, from).await?;
    let others: Vec<Uuid> = rows
        .iter()
        .map(|t| if t.payer == id { t.payee } else { t.payer })
        .collect();
    let names = labels(&state, viewer.lang, &others).await?;
    let note = capped.then(|| {
        viewer
            .lang
            .t_args("statement_capped", &[("count", STATEMENT_CAP.to_string())])
    });
    let body = statement_bytes(
        &state.config.currency,
        &names,
        id,
        rows,
        opening,
        (&from_text, &until_text),
        note,
    )?;
    // Only digits and dashes reach the file name: the dates parsed above.
    let filename = format!(
        "statement-{}-{}-{}.csv",
        &id.simple().to_string()[..8],
        iso_day(from.date()),
        iso_day((until - time::Duration::days(1)).date())
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}

/// Writes the statement: header, opening line, transfers, closing line, and a note if cut.
fn statement_bytes(
    currency: &Currency,
    names: &HashMap<Uuid, String>,
    account: Uuid,
    rows: Vec<distretto_store::ledger::TransferRow>,
    opening: i64,
    (from, until): (&str, &str),
    capped_note: Option<String>,
) -> Result<Vec<u8>, AppError> {
    let fail = |e: csv::Error| {
        tracing::error!(error = %e, "statement csv");
        AppError::internal()
    };
    let amount = |minor: i64| currency.format(minor, '.');
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(STATEMENT_HEADER).map_err(fail)?;
    w.write_record([
        from,
        "",
        "opening_balance",
        "",
        "",
        "",
        "",
        &amount(opening),
    ])
    .map_err(fail)?;
    let mut closing = opening;
    for t in rows {
        let e = entry_of(account, t);
        closing = e.balance_after;
        let created = e
            .transfer
            .created_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        w.write_record([
            created,
            e.transfer.id.to_string(),
            e.transfer.kind.clone(),
            cell(&label_of(names, e.counterparty)),
            cell(&e.transfer.memo),
            if e.delta > 0 {
                amount(e.delta)
            } else {
                String::new()
            },
            if e.delta < 0 {
                amount(-e.delta)
            } else {
                String::new()
            },
            amount(e.balance_after),
        ])
        .map_err(fail)?;
    }
    w.write_record([
        until,
        "",
        "closing_balance",
        "",
        "",
        "",
        "",
        &amount(closing),
    ])
    .map_err(fail)?;
    if let Some(note) = capped_note {
        w.write_record(["", "", "capped", "", &cell(&note), "", "", ""])
            .map_err(fail)?;
    }
    w.into_inner().map_err(|e| {
        tracing::error!(error = %e, "statement csv");
        AppError::internal()
    })
}

// ---------- authorisations ----------

/// Someone to authorise, by e-mail.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct AuthorizeForm {
    email: String,
}

async fn authorize_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(form): PageForm<AuthorizeForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    match service::authorize(&state, viewer.actor()?, id, &form.email).await {
        Ok(_) => Ok(Redirect::to(&format!("/account/{id}?done=authorized")).into_response()),
        Err(e) if shown_on_form(&e) => {
            account_view(&state, &viewer, id, HistoryQuery::default(), None, Some(e)).await
        }
        Err(e) => Err(e),
    }
}

async fn revoke_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, person)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let person = parse_id(&person)?;
    service::revoke(&state, viewer.actor()?, id, person).await?;
    Ok(Redirect::to(&format!("/account/{id}?done=revoked")).into_response())
}

// ---------- paying ----------

/// The pay form: from one of my accounts, to an account chosen among recent counterparties or
/// typed, an amount as people type it, a memo, and the idempotency key made with the form.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct PayForm {
    from: String,
    to: String,
    to_id: String,
    amount: String,
    memo: String,
    key: String,
}

#[derive(Template)]
#[template(path = "pay.html")]
struct PayPage {
    c: Chrome,
    form: PayForm,
    accounts: Vec<Choice>,
    recent: Vec<Choice>,
    error: Option<AppError>,
    invalid: &'static str,
}

async fn pay_view(
    state: &AppState,
    viewer: &Viewer,
    mut form: PayForm,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let mine = service::my_accounts(state, actor).await?;
    let views = account_views(state, viewer.lang, &mine).await?;
    let ids: Vec<Uuid> = mine.iter().map(|a| a.id).collect();
    let recent = recent_counterparties(state, &ids).await?;
    let names = labels(state, viewer.lang, &recent).await?;
    // A chosen recent counterparty stays in the select; anything else in the typed field.
    let to = form.to.trim().to_owned();
    let to_is_recent = recent.iter().any(|r| r.to_string() == to);
    if !to_is_recent {
        if form.to_id.trim().is_empty() {
            form.to_id = to;
        }
        form.to.clear();
    }
    // Every rendering gets a fresh key: a refused payment never blocks a corrected one.
    form.key = fresh_key();
    let page = PayPage {
        c: Chrome::new(state, viewer, "/pay"),
        accounts: choices(&views),
        recent: counterparty_choices(&names, &recent, ""),
        invalid: invalid_field(error.as_ref()),
        form,
        error,
    };
    Ok(render_status(status_of(page.error.as_ref()), &page))
}

async fn pay_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(form): Query<PayForm>,
) -> Result<Response, AppError> {
    pay_view(&state, &viewer, form, None).await
}

fn payment_input(currency: &Currency, form: &PayForm) -> Result<PaymentInput, AppError> {
    let payer = form_account(&form.from, "from")?;
    let to = if form.to_id.trim().is_empty() {
        &form.to
    } else {
        &form.to_id
    };
    let payee = form_account(to, "to")?;
    Ok(PaymentInput {
        payer,
        payee,
        amount: currency.parse(&form.amount)?,
        memo: parse_memo(&form.memo)?,
        currency: None,
    })
}

/// `POST /pay`: pays once per form (its key), then shows the paying account.
async fn pay_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    PageForm(form): PageForm<PayForm>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let result = match (
        payment_input(&state.config.currency, &form),
        service::parse_idempotency_key(&form.key),
    ) {
        (Ok(input), Ok(key)) => {
            let payer = input.payer;
            service::pay(&state, actor, input, Some(key))
                .await
                .map(|_| payer)
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match result {
        Ok(payer) => Ok(Redirect::to(&format!("/account/{payer}?done=paid")).into_response()),
        Err(e) if e.status.is_client_error() => pay_view(&state, &viewer, form, Some(e)).await,
        Err(e) => Err(e),
    }
}

// ---------- payment requests ----------

/// A payment request as pages show it.
pub struct RequestView {
    id: Uuid,
    payee: String,
    payer: Option<String>,
    payer_id: Option<Uuid>,
    amount: String,
    memo: String,
    status: String,
    status_label: String,
    when: String,
    pay_url: String,
}

fn request_view(
    state: &AppState,
    lang: Lang,
    names: &HashMap<Uuid, String>,
    r: PaymentRequestRow,
) -> RequestView {
    let json = request_json(state, r.clone());
    RequestView {
        id: r.id,
        payee: label_of(names, r.payee),
        payer: r.payer.map(|p| label_of(names, p)),
        payer_id: r.payer,
        amount: money(lang, &state.config.currency, r.amount_minor),
        memo: r.memo,
        status_label: request_status_label(lang, &r.status),
        status: r.status,
        when: date_time(&r.created_at),
        pay_url: json.pay_url,
    }
}

async fn request_views(
    state: &AppState,
    lang: Lang,
    rows: Vec<PaymentRequestRow>,
) -> Result<Vec<RequestView>, AppError> {
    let ids: Vec<Uuid> = rows
        .iter()
        .flat_map(|r| std::iter::once(r.payee).chain(r.payer))
        .collect();
    let names = labels(state, lang, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| request_view(state, lang, &names, r))
        .collect())
}

#[derive(Template)]
#[template(path = "requests.html")]
struct RequestsPage {
    c: Chrome,
    incoming: Vec<RequestView>,
    outgoing: Vec<RequestView>,
    notice: Option<&'static str>,
    error: Option<AppError>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct DoneQuery {
    done: String,
}

async fn requests_view(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<&'static str>,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let mine: Vec<Uuid> = service::my_accounts(state, actor)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let list = |incoming| {
        distretto_store::ledger::requests::list(&state.db, &mine, incoming, false, REQUESTS_LISTED)
    };
    let incoming = list(true).await?;
    let outgoing = list(false).await?;
    let page = RequestsPage {
        c: Chrome::new(state, viewer, "/requests"),
        incoming: request_views(state, viewer.lang, incoming).await?,
        outgoing: request_views(state, viewer.lang, outgoing).await?,
        notice,
        error,
    };
    Ok(render_status(status_of(page.error.as_ref()), &page))
}

async fn requests_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    requests_view(&state, &viewer, notice_of(&q.done), None).await
}

/// A new request: my account to be paid, optionally the account asked, amount and memo.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct RequestForm {
    payee: String,
    payer: String,
    amount: String,
    memo: String,
}

#[derive(Template)]
#[template(path = "request_new.html")]
struct NewRequestPage {
    c: Chrome,
    form: RequestForm,
    accounts: Vec<Choice>,
    error: Option<AppError>,
    invalid: &'static str,
}

async fn request_form_view(
    state: &AppState,
    viewer: &Viewer,
    form: RequestForm,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let mine = service::my_accounts(state, viewer.actor()?).await?;
    let views = account_views(state, viewer.lang, &mine).await?;
    let page = NewRequestPage {
        c: Chrome::new(state, viewer, "/requests/new"),
        accounts: choices(&views),
        invalid: invalid_field(error.as_ref()),
        form,
        error,
    };
    Ok(render_status(status_of(page.error.as_ref()), &page))
}

async fn request_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(form): Query<RequestForm>,
) -> Result<Response, AppError> {
    request_form_view(&state, &viewer, form, None).await
}

fn request_input(currency: &Currency, form: &RequestForm) -> Result<RequestInput, AppError> {
    let payer = match form.payer.trim() {
        "" => None,
        p => Some(form_account(p, "payer")?),
    };
    Ok(RequestInput {
        payee: form_account(&form.payee, "payee")?,
        payer,
        amount: currency.parse(&form.amount)?,
        memo: parse_memo(&form.memo)?,
    })
}

async fn request_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    PageForm(form): PageForm<RequestForm>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let result = match request_input(&state.config.currency, &form) {
        Ok(input) => service::request_payment(&state, actor, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => Ok(Redirect::to(&format!("/requests/{}?done=created", r.id)).into_response()),
        Err(e) if e.status.is_client_error() => {
            request_form_view(&state, &viewer, form, Some(e)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "request.html")]
struct RequestPage {
    c: Chrome,
    r: RequestView,
    qr: Option<String>,
    is_payee: bool,
    notice: Option<&'static str>,
}

/// The QR code of a link, as an inline SVG image named `label`.
pub fn qr_svg(link: &str, label: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::new(link.as_bytes()).map_err(|e| {
        tracing::error!(error = %e, "qr code");
        AppError::internal()
    })?;
    let drawn = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    // Drop the XML prolog and name the image for assistive technology.
    let body = drawn
        .split_once("<svg")
        .map(|(_, rest)| rest)
        .ok_or(AppError::internal())?;
    Ok(format!(
        r#"<svg class="qr-code" role="img" aria-label="{}"{body}"#,
        chart::escape(label)
    ))
}

/// `GET /requests/{id}`: the request, and while it is open its QR code for the payer's phone.
async fn request_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let row = service::readable_request(&state, actor, id).await?;
    let is_payee = distretto_store::ledger::may_spend(&state.db, row.payee, actor.id).await?;
    let open = row.status == "open";
    let r = request_views(&state, viewer.lang, vec![row])
        .await?
        .pop()
        .ok_or(AppError::internal())?;
    let qr = if open {
        Some(qr_svg(&r.pay_url, &viewer.lang.t("request_qr_label"))?)
    } else {
        None
    };
    Ok(render_status(
        StatusCode::OK,
        &RequestPage {
            c: Chrome::new(&state, &viewer, &format!("/requests/{id}")),
            r,
            qr,
            is_payee,
            notice: notice_of(&q.done),
        },
    ))
}

#[derive(Template)]
#[template(path = "pay_request.html")]
struct PayRequestPage {
    c: Chrome,
    r: RequestView,
    accounts: Vec<Choice>,
    error: Option<AppError>,
}

async fn pay_request_view(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let row = service::readable_request(state, actor, id).await?;
    let mine: Vec<AccountRow> = service::my_accounts(state, actor)
        .await?
        .into_iter()
        .filter(|a| a.id != row.payee && row.payer.is_none_or(|p| p == a.id))
        .collect();
    let views = account_views(state, viewer.lang, &mine).await?;
    let r = request_views(state, viewer.lang, vec![row])
        .await?
        .pop()
        .ok_or(AppError::internal())?;
    let page = PayRequestPage {
        c: Chrome::new(state, viewer, &format!("/pay/{id}")),
        r,
        accounts: choices(&views),
        error,
    };
    Ok(render_status(status_of(page.error.as_ref()), &page))
}

/// `GET /pay/{id}`: the payer's page of a request (sign in first, then come back here).
async fn pay_request_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    if viewer.actor.is_none() {
        let next = encode_query(&format!("/pay/{id}"));
        return Ok(Redirect::to(&format!("/sign-in?next={next}")).into_response());
    }
    pay_request_view(&state, &viewer, id, None).await
}

/// The account a request is paid from.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct PayRequestForm {
    from: String,
}

async fn pay_request_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(form): PageForm<PayRequestForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let result = match form_account(&form.from, "from") {
        Ok(payer) => service::accept_request(&state, actor, id, payer)
            .await
            .map(|_| payer),
        Err(e) => Err(e),
    };
    match result {
        Ok(payer) => Ok(Redirect::to(&format!("/account/{payer}?done=paid")).into_response()),
        Err(e) if shown_on_form(&e) => pay_request_view(&state, &viewer, id, Some(e)).await,
        Err(e) => Err(e),
    }
}

async fn close_submit(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    decline: bool,
) -> Result<Response, AppError> {
    let id = parse_id(id)?;
    match service::close_request(state, viewer.actor()?, id, decline).await {
        Ok(_) => {
            let done = if decline { "declined" } else { "cancelled" };
            Ok(Redirect::to(&format!("/requests?done={done}")).into_response())
        }
        Err(e) if shown_on_form(&e) => requests_view(state, viewer, None, Some(e)).await,
        Err(e) => Err(e),
    }
}

async fn decline_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    close_submit(&state, &viewer, &id, true).await
}

async fn cancel_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    close_submit(&state, &viewer, &id, false).await
}

// ---------- coordinators ----------

/// An account near its credit limit, with its limits form.
pub struct NearView {
    account: AccountView,
    used_percent: i64,
}

#[derive(Template)]
#[template(path = "coordination_ledger.html")]
struct LedgerPage {
    c: Chrome,
    accounts: i64,
    transfers: i64,
    transfers_last_year: i64,
    volume_last_year: String,
    circulation: String,
    velocity: String,
    near: Vec<NearView>,
    notice: Option<&'static str>,
    error: Option<AppError>,
}

fn require_coordinator(viewer: &Viewer) -> Result<&Actor, AppError> {
    let actor = viewer.actor()?;
    if actor.coordinates() {
        Ok(actor)
    } else {
        Err(AppError::forbidden())
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct LedgerQuery {
    done: String,
    account: String,
}

fn near_view(lang: Lang, cur: &Currency, a: &super::api::Account) -> NearView {
    let row = AccountRow {
        id: a.id,
        owner_kind: a.owner.kind.clone(),
        owner_id: a.owner.id,
        currency: a.currency.clone(),
        created_at: OffsetDateTime::UNIX_EPOCH,
        purpose: None,
        balance_minor: a.balance,
        credit_limit_minor: a.credit_limit,
        upper_limit_minor: a.upper_limit,
    };
    let used = if a.credit_limit > 0 {
        i64::try_from(i128::from(a.balance).saturating_neg() * 100 / i128::from(a.credit_limit))
            .unwrap_or(i64::MAX)
    } else {
        0
    };
    NearView {
        account: account_view_of(lang, cur, &row, a.owner.name.clone()),
        used_percent: used,
    }
}

async fn ledger_view(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<&'static str>,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    require_coordinator(viewer)?;
    let lang = viewer.lang;
    let cur = &state.config.currency;
    let s = super::api::summary(state).await?;
    let page = LedgerPage {
        c: Chrome::new(state, viewer, "/coordination/ledger"),
        accounts: s.accounts,
        transfers: s.transfers,
        transfers_last_year: s.transfers_last_year,
        volume_last_year: money(lang, cur, s.volume_last_year),
        circulation: money(lang, cur, s.circulation),
        velocity: distretto_domain::ledger::format_minor(
            s.velocity_hundredths,
            2,
            decimal_separator(lang),
        ),
        near: s
            .near_limit
            .iter()
            .map(|a| near_view(lang, cur, a))
            .collect(),
        notice,
        error,
    };
    Ok(render_status(status_of(page.error.as_ref()), &page))
}

/// `GET /coordination/ledger`: the district's figures; `?account=ID` opens an account.
async fn ledger_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<LedgerQuery>,
) -> Result<Response, AppError> {
    require_coordinator(&viewer)?;
    if !q.account.trim().is_empty() {
        return match form_account(&q.account, "account") {
            Ok(id) => Ok(Redirect::to(&format!("/account/{id}")).into_response()),
            Err(e) => ledger_view(&state, &viewer, None, Some(e)).await,
        };
    }
    ledger_view(&state, &viewer, notice_of(&q.done), None).await
}

/// New limits for an account, with the reason logged, and the page to go back to.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct LimitsForm {
    credit_limit: String,
    upper_limit: String,
    reason: String,
    back: String,
}

/// A limit as typed: zero is allowed here (unlike a payment's amount).
fn parse_limit(
    currency: &Currency,
    text: &str,
    code: &'static str,
    field: &'static str,
) -> Result<i64, AppError> {
    let t = text.trim();
    let zero = t.starts_with('0') && t.chars().all(|c| matches!(c, '0' | ',' | '.' | ' '));
    if zero {
        return Ok(0);
    }
    currency
        .parse(t)
        .map(|a| a.minor())
        .map_err(|_| super::api::unprocessable(code, field))
}

fn limits_of(currency: &Currency, form: &LimitsForm) -> Result<Limits, AppError> {
    let credit = parse_limit(
        currency,
        &form.credit_limit,
        "bad_credit_limit",
        "credit_limit",
    )?;
    let upper = match form.upper_limit.trim() {
        "" => None,
        u => Some(parse_limit(currency, u, "bad_upper_limit", "upper_limit")?),
    };
    Ok(Limits::new(credit, upper)?)
}

async fn limits_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(form): PageForm<LimitsForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = require_coordinator(&viewer)?;
    let from_ledger = form.back == "ledger";
    let result = match limits_of(&state.config.currency, &form) {
        Ok(limits) => service::change_limits(&state, actor, id, limits, &form.reason)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) if from_ledger => {
            Ok(Redirect::to("/coordination/ledger?done=limits").into_response())
        }
        Ok(()) => Ok(Redirect::to(&format!("/account/{id}?done=limits")).into_response()),
        Err(e) if shown_on_form(&e) && from_ledger => {
            ledger_view(&state, &viewer, None, Some(e)).await
        }
        Err(e) if shown_on_form(&e) => {
            account_view(&state, &viewer, id, HistoryQuery::default(), None, Some(e)).await
        }
        Err(e) => Err(e),
    }
}

/// A reversal's reason, and the account page it was asked from.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ReversalForm {
    reason: String,
    back: String,
}

async fn reversal_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(form): PageForm<ReversalForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = require_coordinator(&viewer)?;
    let back = Uuid::parse_str(form.back.trim()).ok();
    match (
        service::reverse(&state, actor, id, &form.reason).await,
        back,
    ) {
        (Ok(_), Some(account)) => {
            Ok(Redirect::to(&format!("/account/{account}?done=reversed")).into_response())
        }
        (Ok(_), None) => Ok(Redirect::to("/coordination/ledger?done=reversed").into_response()),
        (Err(e), Some(account)) if shown_on_form(&e) => {
            account_view(
                &state,
                &viewer,
                account,
                HistoryQuery::default(),
                None,
                Some(e),
            )
            .await
        }
        (Err(e), None) if shown_on_form(&e) => ledger_view(&state, &viewer, None, Some(e)).await,
        (Err(e), _) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crd() -> Currency {
        Currency::new("CRD", "Credito", "Cr", 2).unwrap()
    }

    #[test]
    fn money_reads_in_each_language() {
        let c = crd();
        assert_eq!(money(Lang::En, &c, -123_456), "\u{2212}1,234.56\u{a0}Cr");
        assert_eq!(money(Lang::Fr, &c, 123_456), "1\u{202f}234,56\u{a0}Cr");
        assert_eq!(money(Lang::It, &c, 100_000_000), "1.000.000,00\u{a0}Cr");
        assert_eq!(money(Lang::It, &c, 5), "0,05\u{a0}Cr");
        let whole = Currency::new("ORE", "Ore", "", 0).unwrap();
        assert_eq!(money(Lang::En, &whole, -1_000), "\u{2212}1,000\u{a0}ORE");
        assert_eq!(input_amount(Lang::Fr, &c, 300_000), "3000,00");
    }

    #[test]
    fn limits_accept_zero_and_empty_upper() {
        let c = crd();
        let form = |credit: &str, upper: &str| LimitsForm {
            credit_limit: credit.into(),
            upper_limit: upper.into(),
            ..LimitsForm::default()
        };
        assert_eq!(
            limits_of(&c, &form("0", "")).unwrap(),
            Limits {
                credit_limit_minor: 0,
                upper_limit_minor: None
            }
        );
        assert_eq!(
            limits_of(&c, &form("150,50", "0,00")).unwrap(),
            Limits {
                credit_limit_minor: 15_050,
                upper_limit_minor: Some(0)
            }
        );
        assert_eq!(
            limits_of(&c, &form("-5", "")).unwrap_err().code,
            "bad_credit_limit"
        );
        assert_eq!(
            limits_of(&c, &form("5", "x")).unwrap_err().code,
            "bad_upper_limit"
        );
    }

    #[test]
    fn qr_code_is_an_inline_accessible_svg() {
        let svg = qr_svg(
            "https://distretto.example/pay/0190f4a8-7c1e-7000-8000-000000000001",
            "Code \"to pay\"",
        )
        .unwrap();
        assert!(svg.starts_with(
            "<svg class=\"qr-code\" role=\"img\" aria-label=\"Code &quot;to pay&quot;\" xmlns="
        ));
        assert!(!svg.contains("<?xml"));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains("<path"), "modules are drawn");
    }

    #[test]
    fn statement_has_opening_rows_closing_and_a_cap_note() {
        let c = crd();
        let me = Uuid::now_v7();
        let other = Uuid::now_v7();
        let t = distretto_store::ledger::TransferRow {
            seq: 1,
            id: Uuid::now_v7(),
            kind: "payment".into(),
            payer: me,
            payee: other,
            currency: "CRD".into(),
            amount_minor: 1_250,
            payer_balance_minor: -1_250,
            payee_balance_minor: 1_250,
            memo: "=SUM(A1)".into(),
            invoice_id: None,
            request_id: None,
            reverses: None,
            created_by: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            prev_hash: Vec::new(),
            hash: Vec::new(),
        };
        let names = HashMap::from([(other, "Orto".to_owned())]);
        let out = statement_bytes(
            &c,
            &names,
            me,
            vec![t],
            0,
            ("2024-01-01", "2024-01-31"),
            Some("cut".into()),
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "date,transfer_id,kind,counterparty,memo,amount_in,amount_out,balance_after"
        );
        assert_eq!(lines[1], "2024-01-01,,opening_balance,,,,,0.00");
        assert!(
            lines[2].ends_with(",payment,Orto,'=SUM(A1),,12.50,-12.50"),
            "{}",
            lines[2]
        );
        assert_eq!(lines[3], "2024-01-31,,closing_balance,,,,,-12.50");
        assert_eq!(lines[4], ",,capped,,cut,,,");
    }
}
