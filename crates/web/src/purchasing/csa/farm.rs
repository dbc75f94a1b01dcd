//! The farm's side: its plans and a new plan (`/purchasing/producers/{id}/csa`), one plan's
//! subscribers and payments, and one delivery day's list of shares, printable, marked
//! delivered once handed out.

use super::service::{self, NewPlan};
use super::{day, delivery_status_id, frequency_id, money, parse_day, subscription_status_id};
use crate::auth::Viewer;
use crate::auth::viewer::Actor;
use crate::directory::pages::parse_id;
use crate::ledger::invoice_pages::currency_of;
use crate::pages::{Chrome, PageForm, render_status};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use distretto_domain::ledger::EURO;
use distretto_domain::purchasing::subscription::PlanDraft;
use distretto_store::purchasing::subscriptions::PlanRow;
use time::Date;
use uuid::Uuid;

/// Whether an error is the user's to correct on the same page.
fn shown_on_page(e: &AppError) -> bool {
    e.status == StatusCode::CONFLICT || e.status == StatusCode::UNPROCESSABLE_ENTITY
}

/// The form of a new plan, as typed.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub(crate) struct PlanForm {
    name: String,
    description: String,
    currency: String,
    share_price: String,
    first_delivery: String,
    last_delivery: String,
    every_weeks: String,
    notice_days: String,
    instalments: String,
    pickup: String,
    capacity: String,
}

impl Default for PlanForm {
    fn default() -> Self {
        Self {
            name: String::new(),
            description: String::new(),
            currency: String::new(),
            share_price: String::new(),
            first_delivery: String::new(),
            last_delivery: String::new(),
            every_weeks: "1".into(),
            notice_days: "7".into(),
            instalments: "3".into(),
            pickup: String::new(),
            capacity: String::new(),
        }
    }
}

fn small(text: &str, code: &'static str, field: &'static str) -> Result<u8, AppError> {
    text.trim()
        .parse()
        .map_err(|_| service::invalid(code, field))
}

fn date(text: &str, field: &'static str) -> Result<Date, AppError> {
    parse_day(text).ok_or_else(|| service::invalid("csa_bad_date", field))
}

fn parse_plan(state: &AppState, f: &PlanForm) -> Result<NewPlan, AppError> {
    let currency = f.currency.trim().to_owned();
    if currency != EURO && currency != state.config.currency.code {
        return Err(service::invalid("csa_bad_currency", "currency"));
    }
    let price = currency_of(state, &currency)
        .parse(&f.share_price)
        .map_err(|e| service::invalid(service::message_id(e.code), "share_price"))?;
    let draft = PlanDraft {
        first_delivery: date(&f.first_delivery, "first_delivery")?,
        last_delivery: date(&f.last_delivery, "last_delivery")?,
        every_weeks: small(&f.every_weeks, "csa_bad_frequency", "every_weeks")?,
        share_price_minor: price.minor(),
        notice_days: small(&f.notice_days, "csa_bad_notice", "notice_days")?,
        instalments: small(&f.instalments, "csa_bad_instalments", "instalments")?,
    };
    let pickup = match f.pickup.trim() {
        "" => None,
        p => Some(Uuid::parse_str(p).map_err(|_| service::invalid("csa_bad_pickup", "pickup"))?),
    };
    let capacity = match f.capacity.trim() {
        "" => None,
        c => Some(
            c.parse::<i32>()
                .map_err(|_| service::invalid("csa_bad_capacity", "capacity"))?,
        ),
    };
    Ok(NewPlan {
        name: f.name.clone(),
        description: f.description.clone(),
        currency,
        draft,
        pickup,
        capacity,
    })
}

// ---------- the farm's plans and a new one ----------

struct PlanLine {
    id: Uuid,
    name: String,
    open: bool,
    first: String,
    last: String,
    price: String,
}

#[derive(Template)]
#[template(path = "purchasing_csa_farm.html")]
struct PlansPage {
    c: Chrome,
    farm_id: Uuid,
    farm: String,
    plans: Vec<PlanLine>,
    form: PlanForm,
    district_code: String,
    district_name: String,
    pickups: Vec<(Uuid, String)>,
    max_instalments: Vec<u8>,
    error: Option<AppError>,
}

impl PlansPage {
    /// Whether the error concerns `field` (for `aria-invalid`).
    fn invalid(&self, field: &str) -> bool {
        self.error.as_ref().and_then(|e| e.field) == Some(field)
    }
}

async fn plans_view(
    state: &AppState,
    viewer: &Viewer,
    farm_id: Uuid,
    form: Option<PlanForm>,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let today = distretto_store::now().date();
    let (org, plans) = service::farm_plans(state, actor, farm_id, today).await?;
    let pickups = distretto_store::purchasing::subscriptions::pickup_choices(&state.db)
        .await?
        .into_iter()
        .map(|(id, name, group)| (id, format!("{name} ({group})")))
        .collect();
    let form = form.unwrap_or_else(|| PlanForm {
        currency: state.config.currency.code.clone(),
        ..PlanForm::default()
    });
    let lang = viewer.lang;
    let page = PlansPage {
        c: Chrome::new(
            state,
            viewer,
            &format!("/purchasing/producers/{farm_id}/csa"),
        ),
        farm_id: org.id,
        farm: org.name,
        plans: plans
            .iter()
            .map(|p| PlanLine {
                id: p.id,
                name: p.name.clone(),
                open: p.status == "open",
                first: day(p.first_delivery),
                last: day(p.last_delivery),
                price: money(state, lang, &p.currency, p.share_price_minor),
            })
            .collect(),
        form,
        district_code: state.config.currency.code.clone(),
        district_name: state.config.currency.name.clone(),
        pickups,
        max_instalments: (1..=distretto_domain::purchasing::subscription::MAX_INSTALMENTS)
            .collect(),
        error,
    };
    let code = page.error.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(render_status(code, &page))
}

/// `GET /purchasing/producers/{id}/csa`.
pub(crate) async fn plans_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    plans_view(&state, &viewer, id, None, None).await
}

/// `POST /purchasing/producers/{id}/csa`: a new plan.
pub(crate) async fn create_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(form): PageForm<PlanForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    // Strangers learn nothing from a form's errors: the farm is checked first.
    service::farm(&state, actor, id).await?;
    let today = distretto_store::now().date();
    let result = match parse_plan(&state, &form) {
        Ok(input) => service::create_plan(&state, actor, id, input, today).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(plan) => Ok(Redirect::to(&format!(
            "/purchasing/producers/{id}/csa/{}?done=created",
            plan.id
        ))
        .into_response()),
        Err(e) if shown_on_page(&e) => plans_view(&state, &viewer, id, Some(form), Some(e)).await,
        Err(e) => Err(e),
    }
}

// ---------- one plan ----------

struct SubscriberLine {
    id: Uuid,
    name: String,
    status: &'static str,
    paid_count: i64,
    instalments: i32,
    paid: String,
    total: String,
    next_due: Option<String>,
    overdue: bool,
    next_number: Option<i32>,
}

struct DayLink {
    iso: String,
    day: String,
}

#[derive(Template)]
#[template(path = "purchasing_csa_plan.html")]
struct PlanPage {
    c: Chrome,
    farm_id: Uuid,
    farm: String,
    plan: PlanRow,
    euro: bool,
    price: String,
    frequency: &'static str,
    first: String,
    last: String,
    pickup: Option<String>,
    taken: usize,
    subscribers: Vec<SubscriberLine>,
    days: Vec<DayLink>,
    notice: Option<&'static str>,
    error: Option<AppError>,
}

fn plan_notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "created" => "csa_done_created",
        "closed" => "csa_done_closed",
        "opened" => "csa_done_opened",
        "paid" => "csa_done_recorded",
        _ => return None,
    })
}

async fn plan_view(
    state: &AppState,
    viewer: &Viewer,
    farm_id: Uuid,
    plan_id: Uuid,
    notice: Option<&'static str>,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let (org, plan, subscribers, days) =
        service::plan_overview(state, actor, farm_id, plan_id).await?;
    let today = distretto_store::now().date();
    let lang = viewer.lang;
    let m = |minor: i64| money(state, lang, &plan.currency, minor);
    let subscribers: Vec<SubscriberLine> = subscribers
        .into_iter()
        .map(|s| SubscriberLine {
            id: s.subscription_id,
            name: s.person_name,
            status: subscription_status_id(&s.status),
            paid_count: s.paid_count,
            instalments: s.instalments,
            paid: m(s.paid_minor),
            total: m(s.total_minor),
            next_due: s.next_due.map(day),
            overdue: s.next_due.is_some_and(|d| d < today),
            next_number: s.next_number,
        })
        .collect();
    let page = PlanPage {
        c: Chrome::new(
            state,
            viewer,
            &format!("/purchasing/producers/{farm_id}/csa/{plan_id}"),
        ),
        farm_id: org.id,
        farm: org.name,
        euro: plan.currency == EURO,
        price: m(plan.share_price_minor),
        frequency: frequency_id(plan.every_weeks),
        first: day(plan.first_delivery),
        last: day(plan.last_delivery),
        pickup: service::pickup_label(state, plan.pickup_id).await?,
        taken: subscribers.len(),
        subscribers,
        days: days
            .into_iter()
            .map(|d| DayLink {
                iso: d.to_string(),
                day: day(d),
            })
            .collect(),
        plan,
        notice,
        error,
    };
    let code = page.error.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(render_status(code, &page))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct DoneQuery {
    done: Option<String>,
}

fn ids(farm: &str, plan: &str) -> Result<(Uuid, Uuid), AppError> {
    Ok((parse_id(farm)?, parse_id(plan)?))
}

/// `GET /purchasing/producers/{id}/csa/{plan}`.
pub(crate) async fn plan_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, plan)): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let (id, plan) = ids(&id, &plan)?;
    plan_view(
        &state,
        &viewer,
        id,
        plan,
        plan_notice(q.done.as_deref()),
        None,
    )
    .await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct StatusForm {
    open: String,
}

/// `POST /purchasing/producers/{id}/csa/{plan}/status`: close or open the plan.
pub(crate) async fn status_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, plan)): Path<(String, String)>,
    PageForm(form): PageForm<StatusForm>,
) -> Result<Response, AppError> {
    let (id, plan) = ids(&id, &plan)?;
    let actor = viewer.actor()?;
    let open = form.open == "1";
    service::set_plan_open(&state, actor, id, plan, open).await?;
    let done = if open { "opened" } else { "closed" };
    Ok(Redirect::to(&format!(
        "/purchasing/producers/{id}/csa/{plan}?done={done}"
    ))
    .into_response())
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct PaymentForm {
    subscription: String,
    number: String,
}

async fn record_payment(
    state: &AppState,
    actor: &Actor,
    farm: Uuid,
    plan: Uuid,
    form: &PaymentForm,
) -> Result<(), AppError> {
    let sub = Uuid::parse_str(form.subscription.trim()).map_err(|_| AppError::not_found())?;
    let number = form
        .number
        .trim()
        .parse::<i32>()
        .map_err(|_| AppError::not_found())?;
    service::record_euro_payment(state, actor, farm, plan, sub, number).await
}

/// `POST /purchasing/producers/{id}/csa/{plan}/payments`: an instalment paid in euro.
pub(crate) async fn payment_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, plan)): Path<(String, String)>,
    PageForm(form): PageForm<PaymentForm>,
) -> Result<Response, AppError> {
    let (id, plan) = ids(&id, &plan)?;
    let actor = viewer.actor()?;
    match record_payment(&state, actor, id, plan, &form).await {
        Ok(()) => Ok(
            Redirect::to(&format!("/purchasing/producers/{id}/csa/{plan}?done=paid"))
                .into_response(),
        ),
        Err(e) if shown_on_page(&e) => plan_view(&state, &viewer, id, plan, None, Some(e)).await,
        Err(e) => Err(e),
    }
}

// ---------- one delivery day ----------

struct ShareLine {
    name: String,
    status: &'static str,
    skipped: bool,
}

#[derive(Template)]
#[template(path = "purchasing_csa_day.html")]
struct DayPage {
    c: Chrome,
    farm_id: Uuid,
    farm: String,
    plan_id: Uuid,
    plan: String,
    pickup: Option<String>,
    day: String,
    iso: String,
    shares: Vec<ShareLine>,
    to_hand_out: usize,
    skipped: usize,
    can_mark: bool,
    notice: Option<&'static str>,
    error: Option<AppError>,
}

async fn day_view(
    state: &AppState,
    viewer: &Viewer,
    (farm_id, plan_id, d): (Uuid, Uuid, Date),
    notice: Option<&'static str>,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let (org, plan, shares) = service::shares_on(state, actor, farm_id, plan_id, d).await?;
    let today = distretto_store::now().date();
    let shares: Vec<ShareLine> = shares
        .into_iter()
        .map(|(_, name, status)| ShareLine {
            name,
            status: delivery_status_id(&status),
            skipped: status == "skipped",
        })
        .collect();
    let skipped = shares.iter().filter(|s| s.skipped).count();
    let page = DayPage {
        c: Chrome::new(
            state,
            viewer,
            &format!("/purchasing/producers/{farm_id}/csa/{plan_id}/days/{d}"),
        ),
        farm_id: org.id,
        farm: org.name,
        plan_id: plan.id,
        plan: plan.name.clone(),
        pickup: service::pickup_label(state, plan.pickup_id).await?,
        day: day(d),
        iso: d.to_string(),
        to_hand_out: shares.len() - skipped,
        skipped,
        can_mark: d <= today && shares.iter().any(|s| s.status == "csa_delivery_planned"),
        shares,
        notice,
        error,
    };
    let code = page.error.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(render_status(code, &page))
}

fn day_ids(id: &str, plan: &str, d: &str) -> Result<(Uuid, Uuid, Date), AppError> {
    let (id, plan) = ids(id, plan)?;
    let d = parse_day(d).ok_or_else(AppError::not_found)?;
    Ok((id, plan, d))
}

/// `GET /purchasing/producers/{id}/csa/{plan}/days/{day}`: the shares of a day, printable.
pub(crate) async fn day_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, plan, d)): Path<(String, String, String)>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let key = day_ids(&id, &plan, &d)?;
    let notice = (q.done.as_deref() == Some("delivered")).then_some("csa_done_delivered");
    day_view(&state, &viewer, key, notice, None).await
}

/// `POST /purchasing/producers/{id}/csa/{plan}/days/{day}/delivered`.
pub(crate) async fn delivered_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, plan, d)): Path<(String, String, String)>,
    PageForm(_form): PageForm<DoneQuery>,
) -> Result<Response, AppError> {
    let key = day_ids(&id, &plan, &d)?;
    let actor = viewer.actor()?;
    let today = distretto_store::now().date();
    match service::mark_delivered(&state, actor, key.0, key.1, key.2, today).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/purchasing/producers/{}/csa/{}/days/{}?done=delivered",
            key.0, key.1, key.2
        ))
        .into_response()),
        Err(e) if shown_on_page(&e) => day_view(&state, &viewer, key, None, Some(e)).await,
        Err(e) => Err(e),
    }
}
