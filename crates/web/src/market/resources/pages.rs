//! The pages of shared resources: the list (`/market/resources`, by kind and place), one
//! resource with its week and booking form (`/market/resources/{id}`), the form to add or
//! change one (its owner's admins, coordinators), and the viewer's bookings with
//! cancellation after seeing the refund (`/market/bookings`). Every time shown is UTC.

use super::service::{self, BookingInput, ResourceInput};
use crate::auth::Viewer;
use crate::auth::viewer::Actor;
use crate::directory::pages::parse_id;
use crate::i18n::Lang;
use crate::pages::{Chrome, PageForm, render_status};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use distretto_domain::ledger::parse_amount;
use distretto_domain::market::resource::{
    self as rules, Cancellation, FeeUnit, ResourceKind, Rules, Slot,
};
use distretto_store::market::resources::{self as store, ResourceFilter, ResourceRow};
use time::{Date, Duration, Time};
use uuid::Uuid;

/// Resources one list page shows.
const PAGE_SIZE: i64 = 50;
/// Bookings one page shows.
const BOOKINGS_SHOWN: i64 = 100;

/// The page routes.
pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/market/resources", get(list))
        .route("/market/resources/new", get(new_form).post(new_submit))
        .route("/market/resources/{id}", get(show))
        .route(
            "/market/resources/{id}/book",
            axum::routing::post(book_submit),
        )
        .route(
            "/market/resources/{id}/edit",
            get(edit_form).post(edit_submit),
        )
        .route("/market/bookings", get(bookings))
        .route(
            "/market/bookings/{id}/cancel",
            get(cancel_form).post(cancel_submit),
        )
}

fn money(state: &AppState, lang: Lang, minor: i64) -> String {
    crate::ledger::pages::money(lang, &state.config.currency, minor)
}

fn kind_id(code: &str) -> &'static str {
    match ResourceKind::parse(code) {
        Some(ResourceKind::Van) => "resource_kind_van",
        Some(ResourceKind::Tractor) => "resource_kind_tractor",
        Some(ResourceKind::ColdRoom) => "resource_kind_cold_room",
        Some(ResourceKind::Kitchen) => "resource_kind_kitchen",
        Some(ResourceKind::Hall) => "resource_kind_hall",
        Some(ResourceKind::Tool) => "resource_kind_tool",
        _ => "resource_kind_other",
    }
}

fn day_id(n: u8) -> &'static str {
    match n {
        0 => "resource_day_mon",
        1 => "resource_day_tue",
        2 => "resource_day_wed",
        3 => "resource_day_thu",
        4 => "resource_day_fri",
        5 => "resource_day_sat",
        _ => "resource_day_sun",
    }
}

fn status_id(code: &str) -> &'static str {
    match code {
        "confirmed" => "booking_status_confirmed",
        "cancelled" => "booking_status_cancelled",
        "held" => "booking_status_held",
        _ => "booking_status_released",
    }
}

fn iso_day(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn parse_day(s: &str) -> Option<Date> {
    Date::parse(
        s.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

fn parse_time(s: &str) -> Option<Time> {
    let (h, m) = s.trim().split_once(':')?;
    let m = m.get(..2).unwrap_or(m);
    Time::from_hms(h.parse().ok()?, m.parse().ok()?, 0).ok()
}

/// The fee as read: "5,00 Cr per hour".
fn fee_text(state: &AppState, lang: Lang, r: &ResourceRow) -> String {
    if r.fee_minor == 0 {
        return lang.t("resource_free");
    }
    let unit = if r.fee_unit == "day" {
        lang.t("resource_per_day")
    } else {
        lang.t("resource_per_hour")
    };
    format!("{} {unit}", money(state, lang, r.fee_minor))
}

fn hours_text(minutes: i64) -> String {
    if minutes % 60 == 0 {
        format!("{}", minutes / 60)
    } else {
        format!("{}:{:02}", minutes / 60, minutes % 60)
    }
}

// ---------- the list ----------

struct Card {
    id: Uuid,
    name: String,
    kind: &'static str,
    place: String,
    owner: String,
    fee: String,
    enabled: bool,
}

#[derive(Template)]
#[template(path = "market_resources.html")]
struct ListPage {
    c: Chrome,
    cards: Vec<Card>,
    total: i64,
    kinds: Vec<(&'static str, &'static str)>,
    places: Vec<String>,
    kind: String,
    place: String,
    may_add: bool,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct ListQuery {
    kind: String,
    place: String,
}

/// `GET /market/resources`.
async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let kind = ResourceKind::parse(q.kind.trim()).map(|k| k.code().to_owned());
    let place = q.place.trim().chars().take(120).collect::<String>();
    let filter = ResourceFilter {
        kind: kind.clone(),
        place: (!place.is_empty()).then(|| place.clone()),
        include_disabled: false,
    };
    let (rows, total) = store::resources(&state.db, &filter, PAGE_SIZE, 0).await?;
    let owners: Vec<Uuid> = rows.iter().map(|r| r.owner_id).collect();
    let names = store::organization_names(&state.db, &owners).await?;
    let may_add = match &viewer.actor {
        Some(a) => !service::owners_for(&state, a).await?.is_empty(),
        None => false,
    };
    let lang = viewer.lang;
    let page = ListPage {
        c: Chrome::new(&state, &viewer, "/market/resources"),
        cards: rows
            .iter()
            .map(|r| Card {
                id: r.id,
                name: r.name.clone(),
                kind: kind_id(&r.kind),
                place: r.place.clone(),
                owner: names.get(&r.owner_id).cloned().unwrap_or_default(),
                fee: fee_text(&state, lang, r),
                enabled: r.enabled,
            })
            .collect(),
        total,
        kinds: ResourceKind::ALL
            .iter()
            .map(|k| (k.code(), kind_id(k.code())))
            .collect(),
        places: store::places(&state.db).await?,
        kind: kind.unwrap_or_default(),
        place,
        may_add,
    };
    Ok(render_status(StatusCode::OK, &page))
}

// ---------- one resource ----------

struct DayLine {
    label: &'static str,
    date: String,
    open: Vec<String>,
    taken: Vec<String>,
}

struct UsageLine {
    label: &'static str,
    percent: i64,
    booked_hours: i64,
    open_hours: i64,
}

/// What the booking form had, to show it again after an error.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub(crate) struct BookForm {
    start_day: String,
    start_time: String,
    end_day: String,
    end_time: String,
    account: String,
    note: String,
}

#[derive(Template)]
#[template(path = "market_resource.html")]
struct ResourcePage {
    c: Chrome,
    r: ResourceRow,
    kind: &'static str,
    owner: String,
    fee: String,
    min: String,
    max: String,
    windows: Vec<(&'static str, String)>,
    week: Vec<DayLine>,
    prev_week: String,
    next_week: String,
    manages: bool,
    usage: Vec<UsageLine>,
    accounts: Vec<(Uuid, String)>,
    form: BookForm,
    error: Option<AppError>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct WeekQuery {
    week: String,
}

async fn resource_view(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    week: Option<Date>,
    form: BookForm,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let r = store::resource(&state.db, id).await?;
    let lang = viewer.lang;
    let now = distretto_store::now();
    let rules = service::rules_of(&r)?;
    let monday = rules::monday_of(week.unwrap_or(now.date()));
    let from = monday.with_time(Time::MIDNIGHT).assume_utc();
    let taken: Vec<Slot> = store::taken(&state.db, id, from, from + Duration::days(7))
        .await?
        .iter()
        .map(|b| Slot {
            start: b.starts_at,
            end: b.ends_at,
        })
        .collect();
    let span = |(a, b): &(u16, u16)| format!("{}–{}", rules::hhmm(*a), rules::hhmm(*b));
    let week = rules::week_view(&rules.windows, &taken, monday)
        .iter()
        .map(|d| DayLine {
            label: day_id(d.date.weekday().number_days_from_monday()),
            date: iso_day(d.date),
            open: d.open.iter().map(span).collect(),
            taken: d.taken.iter().map(span).collect(),
        })
        .collect();
    let manages = match &viewer.actor {
        Some(a) => service::manages(state, a, r.owner_id).await?,
        None => false,
    };
    let usage = if manages {
        let (month, year) = service::utilisation(state, &r, now).await?;
        vec![
            UsageLine {
                label: "resource_usage_30_days",
                percent: month.percent(),
                booked_hours: month.booked_minutes / 60,
                open_hours: month.available_minutes / 60,
            },
            UsageLine {
                label: "resource_usage_year",
                percent: year.percent(),
                booked_hours: year.booked_minutes / 60,
                open_hours: year.available_minutes / 60,
            },
        ]
    } else {
        Vec::new()
    };
    let accounts = match &viewer.actor {
        Some(a) => my_accounts(state, lang, a, &r.currency).await?,
        None => Vec::new(),
    };
    let owner = store::organization_names(&state.db, &[r.owner_id])
        .await?
        .remove(&r.owner_id)
        .unwrap_or_default();
    let page = ResourcePage {
        c: Chrome::new(state, viewer, &format!("/market/resources/{id}")),
        kind: kind_id(&r.kind),
        owner,
        fee: fee_text(state, lang, &r),
        min: hours_text(r.min_minutes),
        max: hours_text(r.max_minutes),
        windows: rules
            .windows
            .iter()
            .map(|w| (day_id(w.weekday), w.times().replace('-', "–")))
            .collect(),
        week,
        prev_week: iso_day(monday - Duration::days(7)),
        next_week: iso_day(monday + Duration::days(7)),
        manages,
        usage,
        accounts,
        form,
        error,
        r,
    };
    let status = page.error.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(render_status(status, &page))
}

async fn my_accounts(
    state: &AppState,
    lang: Lang,
    actor: &Actor,
    currency: &str,
) -> Result<Vec<(Uuid, String)>, AppError> {
    let accounts: Vec<_> = crate::ledger::service::my_accounts(state, actor)
        .await?
        .into_iter()
        .filter(|a| a.currency == currency)
        .collect();
    let ids: Vec<Uuid> = accounts.iter().map(|a| a.id).collect();
    let names = crate::ledger::pages::labels(state, lang, &ids).await?;
    Ok(ids
        .into_iter()
        .map(|id| (id, crate::ledger::invoice_pages::name_of(&names, id)))
        .collect())
}

/// `GET /market/resources/{id}`.
async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<WeekQuery>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    resource_view(
        &state,
        &viewer,
        id,
        parse_day(&q.week),
        BookForm::default(),
        None,
    )
    .await
}

fn parse_booking(form: &BookForm) -> Result<BookingInput, AppError> {
    let at = |day: &str, time: &str, field: &'static str| match (parse_day(day), parse_time(time)) {
        (Some(d), Some(t)) => Ok(d.with_time(t).assume_utc()),
        _ => Err(service::invalid("bad_time", field)),
    };
    let start = at(&form.start_day, &form.start_time, "start")?;
    let end_day = if form.end_day.trim().is_empty() {
        &form.start_day
    } else {
        &form.end_day
    };
    let end = at(end_day, &form.end_time, "end")?;
    let account = match form.account.trim() {
        "" => None,
        a => Some(Uuid::parse_str(a).map_err(|_| service::invalid("not_your_account", "account"))?),
    };
    Ok(BookingInput {
        start,
        end,
        account,
        note: form.note.clone(),
    })
}

/// `POST /market/resources/{id}/book`: booked → the bookings page; refused → the resource
/// page again with the reason, nothing booked.
async fn book_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(form): PageForm<BookForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let now = distretto_store::now();
    let result = match parse_booking(&form) {
        Ok(input) => service::book(&state, actor, id, input, None, now).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(b) => {
            Ok(Redirect::to(&format!("/market/bookings?booked={}", b.booking.id)).into_response())
        }
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            let week = parse_day(&form.start_day);
            resource_view(&state, &viewer, id, week, form, Some(e)).await
        }
        Err(e) => Err(e),
    }
}

// ---------- adding and changing a resource ----------

/// The resource form's fields, as typed.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub(crate) struct ResourceForm {
    owner: String,
    kind: String,
    name: String,
    description: String,
    place: String,
    rules: String,
    fee: String,
    fee_unit: String,
    availability: String,
    min_hours: String,
    max_hours: String,
    max_ahead_days: String,
    free_cancel_hours: String,
    kept_percent: String,
    enabled: String,
}

impl Default for ResourceForm {
    fn default() -> Self {
        Self {
            owner: String::new(),
            kind: "van".into(),
            name: String::new(),
            description: String::new(),
            place: String::new(),
            rules: String::new(),
            fee: "0".into(),
            fee_unit: "hour".into(),
            availability: "mon-fri 08:00-18:00".into(),
            min_hours: "1".into(),
            max_hours: "8".into(),
            max_ahead_days: "60".into(),
            free_cancel_hours: "48".into(),
            kept_percent: "50".into(),
            enabled: "1".into(),
        }
    }
}

impl ResourceForm {
    fn of(state: &AppState, r: &ResourceRow) -> Self {
        Self {
            owner: r.owner_id.to_string(),
            kind: r.kind.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            place: r.place.clone(),
            rules: r.rules.clone(),
            fee: state.config.currency.format(r.fee_minor, '.'),
            fee_unit: r.fee_unit.clone(),
            availability: r.availability.clone(),
            min_hours: hours_text(r.min_minutes),
            max_hours: hours_text(r.max_minutes),
            max_ahead_days: r.max_ahead_days.to_string(),
            free_cancel_hours: r.free_cancel_hours.to_string(),
            kept_percent: r.kept_percent.to_string(),
            enabled: if r.enabled { "1" } else { "" }.into(),
        }
    }

    fn parse(&self, state: &AppState) -> Result<ResourceInput, AppError> {
        let kind = ResourceKind::parse(self.kind.trim())
            .ok_or(service::invalid("bad_resource_kind", "kind"))?;
        let (name, description, place, rules_text) =
            rules::check_texts(&self.name, &self.description, &self.place, &self.rules)?;
        let fee_minor = match self.fee.trim() {
            "" | "0" => 0,
            text => parse_amount(text, state.config.currency.scale)
                .map_err(|_| service::invalid("bad_fee", "fee"))?
                .minor(),
        };
        let fee_unit =
            FeeUnit::parse(self.fee_unit.trim()).ok_or(service::invalid("bad_fee", "fee_unit"))?;
        let windows = rules::parse_windows(&self.availability)?;
        let minutes = |text: &str, code: &'static str, field: &'static str| {
            let text = text.trim();
            let (h, m) = text.split_once(':').unwrap_or((text, "0"));
            match (h.parse::<i64>(), m.parse::<i64>()) {
                (Ok(h), Ok(m)) if (0..60).contains(&m) && (0..=744).contains(&h) => Ok(h * 60 + m),
                _ => Err(service::invalid(code, field)),
            }
        };
        let number = |text: &str, code: &'static str, field: &'static str| {
            text.trim()
                .parse::<i64>()
                .map_err(|_| service::invalid(code, field))
        };
        Ok(ResourceInput {
            kind,
            name,
            description,
            place,
            rules_text,
            rules: Rules {
                enabled: !self.enabled.is_empty(),
                fee_minor,
                fee_unit,
                windows,
                min_minutes: minutes(&self.min_hours, "bad_min_duration", "min_hours")?,
                max_minutes: minutes(&self.max_hours, "bad_max_duration", "max_hours")?,
                max_ahead_days: number(&self.max_ahead_days, "bad_max_ahead", "max_ahead_days")?,
                cancellation: Cancellation {
                    free_hours: number(
                        &self.free_cancel_hours,
                        "bad_free_cancel_hours",
                        "free_cancel_hours",
                    )?,
                    kept_percent: number(&self.kept_percent, "bad_kept_percent", "kept_percent")?,
                },
            },
        })
    }
}

#[derive(Template)]
#[template(path = "market_resource_form.html")]
struct FormPage {
    c: Chrome,
    /// `None` for a new resource.
    id: Option<Uuid>,
    owners: Vec<(Uuid, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    f: ResourceForm,
    currency: String,
    error: Option<AppError>,
}

impl FormPage {
    fn field_error(&self, field: &str) -> bool {
        self.error.as_ref().and_then(|e| e.field) == Some(field)
    }
}

fn form_page(
    state: &AppState,
    viewer: &Viewer,
    id: Option<Uuid>,
    owners: Vec<(Uuid, String)>,
    f: ResourceForm,
    error: Option<AppError>,
) -> Response {
    let here = match id {
        Some(id) => format!("/market/resources/{id}/edit"),
        None => "/market/resources/new".into(),
    };
    let page = FormPage {
        c: Chrome::new(state, viewer, &here),
        id,
        owners,
        kinds: ResourceKind::ALL
            .iter()
            .map(|k| (k.code(), kind_id(k.code())))
            .collect(),
        f,
        currency: state.config.currency.symbol.clone(),
        error,
    };
    let status = page.error.as_ref().map_or(StatusCode::OK, |e| e.status);
    render_status(status, &page)
}

/// `GET /market/resources/new`.
async fn new_form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let owners = service::owners_for(&state, actor).await?;
    if owners.is_empty() {
        return Err(AppError::forbidden());
    }
    Ok(form_page(
        &state,
        &viewer,
        None,
        owners,
        ResourceForm::default(),
        None,
    ))
}

/// `POST /market/resources/new`.
async fn new_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    PageForm(form): PageForm<ResourceForm>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let owners = service::owners_for(&state, actor).await?;
    if owners.is_empty() {
        return Err(AppError::forbidden());
    }
    let result = match (form.parse(&state), Uuid::parse_str(form.owner.trim())) {
        (Ok(input), Ok(owner)) => service::create(&state, actor, owner, input).await,
        (Err(e), _) => Err(e),
        (_, Err(_)) => Err(service::invalid("resource_owner_required", "owner")),
    };
    match result {
        Ok(r) => Ok(Redirect::to(&format!("/market/resources/{}", r.id)).into_response()),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            Ok(form_page(&state, &viewer, None, owners, form, Some(e)))
        }
        Err(e) => Err(e),
    }
}

/// `GET /market/resources/{id}/edit`.
async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let r = store::resource(&state.db, id).await?;
    if !service::manages(&state, actor, r.owner_id).await? {
        return Err(AppError::forbidden());
    }
    let f = ResourceForm::of(&state, &r);
    Ok(form_page(&state, &viewer, Some(id), Vec::new(), f, None))
}

/// `POST /market/resources/{id}/edit`.
async fn edit_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(form): PageForm<ResourceForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let result = match form.parse(&state) {
        Ok(input) => service::update(&state, actor, id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => Ok(Redirect::to(&format!("/market/resources/{}", r.id)).into_response()),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => Ok(form_page(
            &state,
            &viewer,
            Some(id),
            Vec::new(),
            form,
            Some(e),
        )),
        Err(e) => Err(e),
    }
}

// ---------- the viewer's bookings ----------

struct BookingLine {
    id: Uuid,
    resource_id: Uuid,
    resource: String,
    when: String,
    status: &'static str,
    fee: String,
    refund: Option<String>,
    cancellable: bool,
    just_booked: bool,
}

#[derive(Template)]
#[template(path = "market_bookings.html")]
struct BookingsPage {
    c: Chrome,
    upcoming: Vec<BookingLine>,
    past: Vec<BookingLine>,
    notice: Option<&'static str>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct BookingsQuery {
    booked: String,
    cancelled: String,
}

/// `GET /market/bookings`.
async fn bookings(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<BookingsQuery>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let lang = viewer.lang;
    let now = distretto_store::now();
    let (rows, _) = store::bookings_of(&state.db, actor.id, BOOKINGS_SHOWN, 0).await?;
    let booked = Uuid::parse_str(q.booked.trim()).ok();
    let (mut upcoming, mut past) = (Vec::new(), Vec::new());
    for v in rows {
        let b = &v.booking;
        let line = BookingLine {
            id: b.id,
            resource_id: b.resource_id,
            resource: v.resource_name.clone(),
            when: service::slot_text(b.starts_at, b.ends_at),
            status: status_id(&b.status),
            fee: money(&state, lang, b.fee_minor),
            refund: b.refund_minor.map(|m| money(&state, lang, m)),
            cancellable: service::refund_now(b, now).is_ok(),
            just_booked: booked == Some(b.id),
        };
        if b.ends_at > now {
            upcoming.push(line);
        } else {
            past.push(line);
        }
    }
    upcoming.reverse();
    let notice = if booked.is_some() {
        Some("booking_done")
    } else if !q.cancelled.is_empty() {
        Some("booking_cancelled_done")
    } else {
        None
    };
    let page = BookingsPage {
        c: Chrome::new(&state, &viewer, "/market/bookings"),
        upcoming,
        past,
        notice,
    };
    Ok(render_status(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "market_booking_cancel.html")]
struct CancelPage {
    c: Chrome,
    id: Uuid,
    resource: String,
    when: String,
    fee: String,
    refund: String,
    kept: String,
    error: Option<AppError>,
}

async fn cancel_view(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let lang = viewer.lang;
    let b = store::booking(&state.db, id).await?;
    if !service::may_cancel(state, actor, &b).await? {
        return Err(AppError::forbidden());
    }
    let r = store::resource(&state.db, b.resource_id).await?;
    let refund = service::refund_now(&b, distretto_store::now());
    let (refund, error) = match (refund, error) {
        (Ok(m), e) => (m, e),
        (Err(e), None) => (0, Some(e)),
        (Err(_), Some(e)) => (0, Some(e)),
    };
    let page = CancelPage {
        c: Chrome::new(state, viewer, &format!("/market/bookings/{id}/cancel")),
        id,
        resource: r.name,
        when: service::slot_text(b.starts_at, b.ends_at),
        fee: money(state, lang, b.fee_minor),
        refund: money(state, lang, refund),
        kept: money(state, lang, b.fee_minor - refund),
        error,
    };
    let status = page.error.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(render_status(status, &page))
}

/// `GET /market/bookings/{id}/cancel`: what cancelling now gives back, and the button.
async fn cancel_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    cancel_view(&state, &viewer, id, None).await
}

/// `POST /market/bookings/{id}/cancel`.
async fn cancel_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(_): PageForm<Empty>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    match service::cancel(&state, actor, id, distretto_store::now()).await {
        Ok(b) => Ok(Redirect::to(&format!("/market/bookings?cancelled={}", b.id)).into_response()),
        Err(e)
            if e.status == StatusCode::CONFLICT || e.status == StatusCode::UNPROCESSABLE_ENTITY =>
        {
            cancel_view(&state, &viewer, id, Some(e)).await
        }
        Err(e) => Err(e),
    }
}

/// A form with no field but its CSRF token (checked by the guard).
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct Empty {}
