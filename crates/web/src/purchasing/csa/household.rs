//! The household's side: open plans to subscribe to (`/purchasing/csa`), and one subscription
//! with its deliveries, instalments and skips (`/purchasing/csa/subscriptions/{id}`).

use super::service::{self, OpenPlan, SubscribeInput, SubscriptionDetail};
use super::{day, delivery_status_id, frequency_id, money, parse_day, subscription_status_id};
use crate::auth::Viewer;
use crate::directory::pages::parse_id;
use crate::ledger::invoice_pages::name_of;
use crate::pages::{Chrome, PageForm, render_status};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use distretto_domain::ledger::EURO;
use distretto_domain::purchasing::subscription::check_skip;
use time::Date;
use uuid::Uuid;

/// A plan as the household page shows it.
struct PlanCard {
    id: Uuid,
    farm: String,
    name: String,
    description: String,
    euro: bool,
    price: String,
    total: String,
    deliveries: usize,
    first: String,
    last: String,
    frequency: &'static str,
    notice_days: i32,
    places_left: Option<i64>,
    pickup: Option<String>,
    max_instalments: Vec<i32>,
    accounts: Vec<(Uuid, String)>,
    subscribed: Option<Uuid>,
}

/// One of the household's subscriptions.
struct MySubscription {
    id: Uuid,
    plan: String,
    farm: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "purchasing_csa.html")]
struct ListPage {
    c: Chrome,
    plans: Vec<PlanCard>,
    mine: Vec<MySubscription>,
    /// The plan whose subscription failed, and why.
    failed: Option<Uuid>,
    error: Option<AppError>,
}

impl ListPage {
    /// Whether the error belongs to `plan`'s form.
    fn failed_here(&self, plan: &Uuid) -> bool {
        self.error.is_some() && self.failed.as_ref() == Some(plan)
    }

    /// Whether the error concerns a plan no longer listed (closed or over meanwhile).
    fn failed_elsewhere(&self) -> bool {
        self.error.is_some() && !self.plans.iter().any(|p| self.failed == Some(p.id))
    }
}

async fn cards(
    state: &AppState,
    viewer: &Viewer,
    open: Vec<OpenPlan>,
    subscribed: &[(Uuid, Uuid)],
) -> Result<Vec<PlanCard>, AppError> {
    let lang = viewer.lang;
    let accounts = match &viewer.actor {
        Some(actor) => crate::ledger::service::my_accounts(state, actor).await?,
        None => Vec::new(),
    };
    let ids: Vec<Uuid> = accounts.iter().map(|a| a.id).collect();
    let names = crate::ledger::pages::labels(state, lang, &ids).await?;
    Ok(open
        .into_iter()
        .map(|o| {
            let p = &o.plan;
            let euro = p.currency == EURO;
            PlanCard {
                id: p.id,
                farm: o.farm.clone(),
                name: p.name.clone(),
                description: p.description.clone(),
                euro,
                price: money(state, lang, &p.currency, p.share_price_minor),
                total: money(state, lang, &p.currency, o.offer.total_minor),
                deliveries: o.offer.deliveries.len(),
                first: o
                    .offer
                    .deliveries
                    .first()
                    .map(|d| day(*d))
                    .unwrap_or_default(),
                last: day(p.last_delivery),
                frequency: frequency_id(p.every_weeks),
                notice_days: p.notice_days,
                places_left: o.places_left,
                pickup: o.pickup.clone(),
                max_instalments: (1..=p.instalments).collect(),
                accounts: accounts
                    .iter()
                    .filter(|a| !euro && a.currency == p.currency)
                    .map(|a| (a.id, name_of(&names, a.id)))
                    .collect(),
                subscribed: subscribed
                    .iter()
                    .find(|(plan, _)| *plan == p.id)
                    .map(|(_, s)| *s),
            }
        })
        .collect())
}

async fn list_view(
    state: &AppState,
    viewer: &Viewer,
    failed: Option<Uuid>,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let today = distretto_store::now().date();
    let open = service::open_plans(state, today).await?;
    let mine = match &viewer.actor {
        Some(actor) => service::my_subscriptions(state, actor).await?,
        None => Vec::new(),
    };
    let subscribed: Vec<(Uuid, Uuid)> = mine.iter().map(|(s, p, _)| (p.id, s.id)).collect();
    let plans = cards(state, viewer, open, &subscribed).await?;
    let page = ListPage {
        c: Chrome::new(state, viewer, "/purchasing/csa"),
        plans,
        mine: mine
            .into_iter()
            .map(|(s, p, farm)| MySubscription {
                id: s.id,
                plan: p.name,
                farm,
                status: subscription_status_id(&s.status),
            })
            .collect(),
        failed,
        error,
    };
    let code = page.error.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(render_status(code, &page))
}

/// `GET /purchasing/csa`: open plans, and the viewer's subscriptions.
pub(crate) async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, AppError> {
    list_view(&state, &viewer, None, None).await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct SubscribeForm {
    instalments: String,
    account: String,
}

fn parse_subscribe(plan: Uuid, form: &SubscribeForm) -> Result<SubscribeInput, AppError> {
    let instalments = form
        .instalments
        .trim()
        .parse::<u8>()
        .map_err(|_| service::invalid("csa_bad_instalments", "instalments"))?;
    let account = match form.account.trim() {
        "" => None,
        a => Some(
            Uuid::parse_str(a).map_err(|_| service::invalid("csa_not_your_account", "account"))?,
        ),
    };
    Ok(SubscribeInput {
        plan,
        instalments,
        account,
    })
}

/// `POST /purchasing/csa/plans/{id}/subscribe`.
pub(crate) async fn subscribe_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(form): PageForm<SubscribeForm>,
) -> Result<Response, AppError> {
    let plan = parse_id(&id)?;
    let actor = viewer.actor()?;
    let today = distretto_store::now().date();
    let result = match parse_subscribe(plan, &form) {
        Ok(input) => service::subscribe(&state, actor, input, today).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(sub) => Ok(Redirect::to(&format!(
            "/purchasing/csa/subscriptions/{}?done=subscribed",
            sub.id
        ))
        .into_response()),
        Err(e)
            if e.status == StatusCode::CONFLICT || e.status == StatusCode::UNPROCESSABLE_ENTITY =>
        {
            list_view(&state, &viewer, Some(plan), Some(e)).await
        }
        Err(e) => Err(e),
    }
}

// ---------- one subscription ----------

struct DeliveryLine {
    day: String,
    iso: String,
    status: &'static str,
    status_code: String,
    make_up: bool,
    can_skip: bool,
}

struct InstalmentLine {
    number: i32,
    due: String,
    amount: String,
    /// `csa_instalment_paid`, `csa_instalment_overdue` or `csa_instalment_due`.
    state: &'static str,
    paid_on: Option<String>,
}

#[derive(Template)]
#[template(path = "purchasing_csa_subscription.html")]
struct SubscriptionPage {
    c: Chrome,
    id: Uuid,
    plan: String,
    description: String,
    farm: String,
    pickup: Option<String>,
    status: &'static str,
    euro: bool,
    price: String,
    total: String,
    paid: String,
    notice_days: i32,
    frequency: &'static str,
    deliveries: Vec<DeliveryLine>,
    instalments: Vec<InstalmentLine>,
    notice: Option<String>,
    error: Option<AppError>,
}

fn delivery_lines(d: &SubscriptionDetail, today: Date) -> Vec<DeliveryLine> {
    let notice = u8::try_from(d.plan.notice_days).unwrap_or(u8::MAX);
    let active = d.sub.status == "active";
    d.deliveries
        .iter()
        .map(|r| DeliveryLine {
            day: day(r.day),
            iso: r.day.to_string(),
            status: delivery_status_id(&r.status),
            status_code: r.status.clone(),
            make_up: r.day > d.plan.last_delivery,
            can_skip: active && r.status == "planned" && check_skip(r.day, today, notice).is_ok(),
        })
        .collect()
}

fn instalment_lines(
    state: &AppState,
    viewer: &Viewer,
    d: &SubscriptionDetail,
    today: Date,
) -> Vec<InstalmentLine> {
    d.instalments
        .iter()
        .map(|i| InstalmentLine {
            number: i.number,
            due: day(i.due),
            amount: money(state, viewer.lang, &d.plan.currency, i.amount_minor),
            state: match (i.paid_at, i.due < today) {
                (Some(_), _) => "csa_instalment_paid",
                (None, true) => "csa_instalment_overdue",
                (None, false) => "csa_instalment_due",
            },
            paid_on: i.paid_at.map(|t| day(t.date())),
        })
        .collect()
}

async fn subscription_view(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    notice: Option<String>,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let d = service::subscription_detail(state, actor, id).await?;
    let today = distretto_store::now().date();
    let sum = |paid_only: bool| {
        d.instalments
            .iter()
            .filter(|i| !paid_only || i.paid_at.is_some())
            .map(|i| i.amount_minor)
            .fold(0_i64, i64::saturating_add)
    };
    let lang = viewer.lang;
    let page = SubscriptionPage {
        c: Chrome::new(
            state,
            viewer,
            &format!("/purchasing/csa/subscriptions/{id}"),
        ),
        id,
        plan: d.plan.name.clone(),
        description: d.plan.description.clone(),
        farm: d.farm.clone(),
        pickup: d.pickup.clone(),
        status: subscription_status_id(&d.sub.status),
        euro: d.plan.currency == EURO,
        price: money(state, lang, &d.plan.currency, d.plan.share_price_minor),
        total: money(state, lang, &d.plan.currency, sum(false)),
        paid: money(state, lang, &d.plan.currency, sum(true)),
        notice_days: d.plan.notice_days,
        frequency: frequency_id(d.plan.every_weeks),
        deliveries: delivery_lines(&d, today),
        instalments: instalment_lines(state, viewer, &d, today),
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
    make_up: Option<String>,
}

fn notice_of(viewer: &Viewer, q: &DoneQuery) -> Option<String> {
    match q.done.as_deref()? {
        "subscribed" => Some(viewer.lang.t("csa_done_subscribed")),
        "skipped" => {
            let make_up = q.make_up.as_deref().and_then(parse_day)?;
            Some(
                viewer
                    .lang
                    .t_args("csa_done_skipped", &[("day", day(make_up))]),
            )
        }
        _ => None,
    }
}

/// `GET /purchasing/csa/subscriptions/{id}`.
pub(crate) async fn subscription_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let notice = notice_of(&viewer, &q);
    subscription_view(&state, &viewer, id, notice, None).await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct SkipForm {
    day: String,
}

/// `POST /purchasing/csa/subscriptions/{id}/skip`.
pub(crate) async fn skip_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(form): PageForm<SkipForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let today = distretto_store::now().date();
    let result = match parse_day(&form.day) {
        Some(d) => service::skip(&state, actor, id, d, today).await,
        None => Err(service::invalid("csa_not_a_delivery", "day")),
    };
    match result {
        Ok(make_up) => Ok(Redirect::to(&format!(
            "/purchasing/csa/subscriptions/{id}?done=skipped&make_up={make_up}"
        ))
        .into_response()),
        Err(e)
            if e.status == StatusCode::CONFLICT || e.status == StatusCode::UNPROCESSABLE_ENTITY =>
        {
            subscription_view(&state, &viewer, id, None, Some(e)).await
        }
        Err(e) => Err(e),
    }
}
