//! Running a cycle: a group's cycles and the opening form, one cycle's report (totals per
//! product, packages, producers' minimums, close, cancel, settle), purchase orders per producer
//! and distribution lists (printable pages and CSV), the delivery form, and a producer's orders
//! across every group.

use super::order::{instant, money, status_label};
use super::service::{self, DeliveredInput, OpenInput, ProducerInput, SubstituteInput};
use crate::auth::Viewer;
use crate::directory::pages::parse_id;
use crate::i18n::Lang;
use crate::pages::datetime_local::{datetime_local, parse_datetime_local};
use crate::pages::{Chrome, PageForm, render_status};
use crate::purchasing::service as shared;
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use distretto_domain::purchasing::catalogue::parse_quantity;
use distretto_domain::purchasing::pricing::line_parts;
use distretto_store::purchasing::catalogue as catalogue_store;
use distretto_store::purchasing::cycles::{self as store, CycleRow, LineRow, OrderRow};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/purchasing/groups/{id}/cycles",
            axum::routing::get(group_page).post(open_submit),
        )
        .route(
            "/purchasing/cycles/{id}/manage",
            axum::routing::get(report_page),
        )
        .route(
            "/purchasing/cycles/{id}/purchase-orders/{producer}",
            axum::routing::get(purchase_order_page),
        )
        .route(
            "/purchasing/cycles/{id}/purchase-orders/{producer}/csv",
            axum::routing::get(purchase_order_csv),
        )
        .route(
            "/purchasing/cycles/{id}/distribution",
            axum::routing::get(distribution_page),
        )
        .route(
            "/purchasing/cycles/{id}/distribution/csv",
            axum::routing::get(distribution_csv),
        )
        .route(
            "/purchasing/cycles/{id}/delivery",
            axum::routing::get(delivery_page).post(delivery_submit),
        )
        .route(
            "/purchasing/cycles/{id}/substitute",
            axum::routing::post(substitute_submit),
        )
        .route(
            "/purchasing/cycles/{id}/action/{action}",
            axum::routing::post(action_submit),
        )
        .route(
            "/purchasing/producers/{id}/orders",
            axum::routing::get(producer_orders_page),
        )
}

fn csv_response(file: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response()
}

fn csv_error(_: csv::Error) -> AppError {
    AppError::internal()
}

// ---------- a group's cycles and the opening form ----------

struct CycleLine {
    id: Uuid,
    title: String,
    status: &'static str,
    closes: String,
}

struct ProducerChoice {
    id: Uuid,
    name: String,
    chosen: bool,
    minimum: String,
    transport: String,
}

/// The opening form as typed.
#[derive(Debug, Default, Clone)]
struct OpenForm {
    name: String,
    currency: String,
    opens_at: String,
    closes_at: String,
    fee: String,
    pickup_starts_at: String,
    pickup_ends_at: String,
    note: String,
}

#[derive(Template)]
#[template(path = "purchasing_group_cycles.html")]
struct GroupPage {
    c: Chrome,
    group_id: Uuid,
    group: String,
    runs: bool,
    cycles: Vec<CycleLine>,
    producers: Vec<ProducerChoice>,
    pickups: Vec<(Uuid, String, bool)>,
    district_code: String,
    district_name: String,
    form: OpenForm,
    error: Option<AppError>,
}

impl GroupPage {
    fn invalid(&self, field: &str) -> bool {
        self.error.as_ref().and_then(|e| e.field) == Some(field)
    }
}

async fn group_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let now = distretto_store::now();
    let form = OpenForm {
        currency: state.config.currency.code.clone(),
        opens_at: datetime_local(now),
        closes_at: datetime_local(now + time::Duration::days(5)),
        pickup_starts_at: datetime_local(now + time::Duration::days(7)),
        pickup_ends_at: datetime_local(now + time::Duration::days(7) + time::Duration::hours(2)),
        fee: "0".into(),
        ..OpenForm::default()
    };
    render_group(&state, &viewer, id, form, &HashMap::new(), None).await
}

/// Percent typed ("2", "2,5") as basis points.
fn parse_percent(text: &str, field: &'static str) -> Result<u32, AppError> {
    let text = text.trim();
    if text.is_empty() || text == "0" {
        return Ok(0);
    }
    let minor = distretto_domain::ledger::money::parse_amount(text, 2)
        .map_err(|_| crate::ledger::api::unprocessable("bad_percent", field))?;
    u32::try_from(minor.minor())
        .map_err(|_| crate::ledger::api::unprocessable("bad_percent", field))
}

async fn render_group(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    form: OpenForm,
    fields: &HashMap<String, String>,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let group = shared::group(state, id).await?;
    let runs = shared::administers(state, actor, id).await?;
    let cycles = store::cycles_of_group(&state.db, id)
        .await?
        .into_iter()
        .map(|c| CycleLine {
            id: c.id,
            title: format!("{} #{}", c.name, c.number),
            status: status_label(&c.status),
            closes: instant(c.closes_at),
        })
        .collect();
    let mut producers = Vec::new();
    if runs {
        let kinds: Vec<&str> = shared::PRODUCER_KINDS.iter().map(|k| k.code()).collect();
        for producer in catalogue_store::producers_with_products(&state.db, &kinds, 500).await? {
            let (pid, name) = (producer.id, producer.name);
            producers.push(ProducerChoice {
                id: pid,
                name,
                chosen: fields.contains_key(&format!("producer_{pid}")),
                minimum: fields
                    .get(&format!("minimum_{pid}"))
                    .cloned()
                    .unwrap_or_default(),
                transport: fields
                    .get(&format!("transport_{pid}"))
                    .cloned()
                    .unwrap_or_default(),
            });
        }
    }
    let pickups = catalogue_store::pickups_of(&state.db, id)
        .await?
        .into_iter()
        .map(|p| {
            let chosen = fields.is_empty() || fields.contains_key(&format!("pickup_{}", p.id));
            (p.id, format!("{} — {}", p.name, p.address), chosen)
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render_status(
        status,
        &GroupPage {
            c: Chrome::new(state, viewer, &format!("/purchasing/groups/{id}/cycles")),
            group_id: id,
            group: group.name,
            runs,
            cycles,
            producers,
            pickups,
            district_code: state.config.currency.code.clone(),
            district_name: state.config.currency.name.clone(),
            form,
            error,
        },
    ))
}

fn open_form(f: &HashMap<String, String>) -> OpenForm {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    OpenForm {
        name: get("name"),
        currency: get("currency"),
        opens_at: get("opens_at"),
        closes_at: get("closes_at"),
        fee: get("fee"),
        pickup_starts_at: get("pickup_starts_at"),
        pickup_ends_at: get("pickup_ends_at"),
        note: get("note"),
    }
}

fn parse_open(
    f: &HashMap<String, String>,
    form: &OpenForm,
    state: &AppState,
) -> Result<OpenInput, AppError> {
    let mut producers = Vec::new();
    let mut pickups = Vec::new();
    for key in f.keys().take(1_000) {
        if let Some(id) = key
            .strip_prefix("producer_")
            .and_then(|s| Uuid::parse_str(s).ok())
        {
            let minimum = f
                .get(&format!("minimum_{id}"))
                .map(String::as_str)
                .unwrap_or("")
                .trim()
                .to_owned();
            let minimum_minor = if minimum.is_empty() {
                None
            } else {
                Some(
                    crate::ledger::invoice_pages::currency_of(state, &form.currency)
                        .parse(&minimum)
                        .map_err(|_| crate::ledger::api::unprocessable("bad_minimum", "minimum"))?
                        .minor(),
                )
            };
            let transport = parse_percent(
                f.get(&format!("transport_{id}")).map_or("", String::as_str),
                "transport",
            )?;
            producers.push(ProducerInput {
                id,
                minimum_minor,
                transport_basis_points: transport,
            });
        }
        if let Some(id) = key
            .strip_prefix("pickup_")
            .and_then(|s| Uuid::parse_str(s).ok())
        {
            pickups.push(id);
        }
    }
    producers.sort_by_key(|p| p.id);
    pickups.sort_unstable();
    Ok(OpenInput {
        name: form.name.clone(),
        currency: form.currency.trim().to_owned(),
        opens_at: parse_datetime_local(&form.opens_at, "opens_at")?,
        closes_at: parse_datetime_local(&form.closes_at, "closes_at")?,
        group_fee_basis_points: parse_percent(&form.fee, "fee")?,
        producers,
        pickups,
        pickup_starts_at: parse_datetime_local(&form.pickup_starts_at, "pickup_starts_at")?,
        pickup_ends_at: parse_datetime_local(&form.pickup_ends_at, "pickup_ends_at")?,
        note: form.note.clone(),
    })
}

async fn open_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let form = open_form(&f);
    let result = match parse_open(&f, &form, &state) {
        Ok(input) => service::open(&state, actor, id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => Ok(
            Redirect::to(&format!("/purchasing/cycles/{}/manage?done=opened", c.id))
                .into_response(),
        ),
        Err(e) if service::is_form_error(&e) => {
            render_group(&state, &viewer, id, form, &f, Some(e)).await
        }
        Err(e) => Err(e),
    }
}

// ---------- one cycle's report ----------

struct ProductTotal {
    name: String,
    producer: String,
    unit: String,
    ordered: String,
    tolerance: String,
    packages: Option<i64>,
    allocated: Option<String>,
    delivered: Option<String>,
}

struct ProducerTotal {
    id: Uuid,
    name: String,
    total: String,
    minimum: Option<String>,
    met: Option<bool>,
}

struct SettlementLine {
    account: Uuid,
    name: String,
    amount: String,
    short: Option<String>,
}

#[derive(Template)]
#[template(path = "purchasing_cycle_manage.html")]
struct ReportPage {
    c: Chrome,
    id: Uuid,
    title: String,
    group_id: Uuid,
    status: &'static str,
    status_code: String,
    closes: String,
    households: usize,
    products: Vec<ProductTotal>,
    producers: Vec<ProducerTotal>,
    charges: Vec<SettlementLine>,
    payouts: Vec<SettlementLine>,
    group_fee: String,
    total_charged: String,
    in_credit: bool,
    food_km: Option<String>,
    notice: Option<&'static str>,
    error: Option<AppError>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DoneQuery {
    done: Option<String>,
}

fn notice_of(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "opened" => "cycle_done_opened",
        "closed" => "cycle_done_closed",
        "cancelled" => "cycle_done_cancelled",
        "delivered" => "cycle_done_delivered",
        "settled" => "cycle_done_settled",
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
    render_report(
        &state,
        &viewer,
        id,
        notice_of(q.done.as_deref()),
        None,
        None,
    )
    .await
}

/// Names of organisations and people behind accounts, and of organisations by id.
async fn org_name(state: &AppState, id: Uuid) -> String {
    distretto_store::directory::get(&state.db, id)
        .await
        .map(|o| o.name)
        .unwrap_or_default()
}

/// What a cycle's pages name, each kind read in one query: the products it offers (substitutes
/// included), its group and producers, and the households that ordered.
struct CycleNames {
    products: HashMap<Uuid, store::OfferRow>,
    organisations: HashMap<Uuid, String>,
    households: HashMap<Uuid, String>,
}

impl CycleNames {
    async fn of(state: &AppState, cycle: Uuid) -> Result<Self, AppError> {
        Ok(Self {
            products: store::offer(&state.db, cycle)
                .await?
                .into_iter()
                .map(|p| (p.product_id, p))
                .collect(),
            organisations: store::names(&state.db, cycle).await?.into_iter().collect(),
            households: store::household_names(&state.db, cycle)
                .await?
                .into_iter()
                .collect(),
        })
    }

    fn organisation(&self, id: Uuid) -> String {
        self.organisations.get(&id).cloned().unwrap_or_default()
    }

    fn household(&self, person: Uuid) -> String {
        self.households.get(&person).cloned().unwrap_or_default()
    }

    /// The product's (name, sku, unit); empty for a product the cycle does not offer.
    fn product(&self, id: Uuid) -> (String, String, String) {
        self.products
            .get(&id)
            .map(|p| (p.name.clone(), p.sku.clone(), p.unit.clone()))
            .unwrap_or_default()
    }
}

async fn product_totals(
    state: &AppState,
    lang: Lang,
    cycle: &CycleRow,
    lines: &[LineRow],
    names: &CycleNames,
) -> Result<Vec<ProductTotal>, AppError> {
    let mut out = Vec::new();
    for p in store::products(&state.db, cycle.id).await? {
        let of: Vec<&LineRow> = lines
            .iter()
            .filter(|l| l.product_id == p.product_id)
            .collect();
        if of.is_empty() {
            continue;
        }
        let (name, _, unit) = names.product(p.product_id);
        let sum = |f: &dyn Fn(&LineRow) -> i64| of.iter().map(|l| f(l)).sum::<i64>();
        let closed = cycle.status != "open";
        out.push(ProductTotal {
            name,
            producer: names.organisation(p.producer_id),
            unit: shared::unit_label(lang, &unit),
            ordered: shared::quantity(lang, sum(&|l| l.quantity_milli)),
            tolerance: shared::quantity(lang, sum(&|l| l.tolerance_milli)),
            packages: p.packages.filter(|_| p.package_size_milli > p.step_milli),
            allocated: closed
                .then(|| shared::quantity(lang, sum(&|l| l.allocated_milli.unwrap_or(0)))),
            delivered: of
                .iter()
                .any(|l| l.delivered_milli.is_some())
                .then(|| shared::quantity(lang, sum(&|l| l.delivered_milli.unwrap_or(0)))),
        });
    }
    out.sort_by(|a, b| (&a.producer, &a.name).cmp(&(&b.producer, &b.name)));
    Ok(out)
}

async fn producer_totals(
    state: &AppState,
    lang: Lang,
    cycle: &CycleRow,
    lines: &[LineRow],
    names: &CycleNames,
) -> Result<Vec<ProducerTotal>, AppError> {
    let products: HashMap<Uuid, (Uuid, i64)> = store::products(&state.db, cycle.id)
        .await?
        .into_iter()
        .map(|p| (p.product_id, (p.producer_id, p.price_minor)))
        .collect();
    let mut out = Vec::new();
    for p in store::producers(&state.db, cycle.id).await? {
        let total: i64 = lines
            .iter()
            .filter_map(|l| {
                products
                    .get(&l.product_id)
                    .filter(|x| x.0 == p.producer_id)
                    .map(|x| (x.1, l))
            })
            .map(|(price, l)| {
                let q = l
                    .delivered_milli
                    .or(l.allocated_milli)
                    .unwrap_or(l.quantity_milli);
                distretto_domain::purchasing::catalogue::line_amount_minor(price, q)
            })
            .sum();
        out.push(ProducerTotal {
            id: p.producer_id,
            name: names.organisation(p.producer_id),
            total: money(state, lang, cycle, total),
            minimum: p.minimum_minor.map(|m| money(state, lang, cycle, m)),
            met: p.minimum_met,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

async fn render_report(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    notice: Option<&'static str>,
    error: Option<AppError>,
    shortfalls: Option<service::Shortfalls>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let lang = viewer.lang;
    let cycle = service::run_cycle(state, actor, id).await?;
    let lines = store::lines(&state.db, id).await?;
    let orders = store::orders(&state.db, id).await?;
    let (charges, payouts, group_fee, total_charged) =
        settlement_view(state, lang, &cycle, shortfalls.as_ref()).await?;
    let food_km = food_km(state, id).await?;
    let names = CycleNames::of(state, id).await?;
    let status = if error.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    Ok(render_status(
        status,
        &ReportPage {
            c: Chrome::new(state, viewer, &format!("/purchasing/cycles/{id}/manage")),
            id,
            title: format!("{} #{}", cycle.name, cycle.number),
            group_id: cycle.group_id,
            status: status_label(&cycle.status),
            status_code: cycle.status.clone(),
            closes: instant(cycle.closes_at),
            households: orders.len(),
            products: product_totals(state, lang, &cycle, &lines, &names).await?,
            producers: producer_totals(state, lang, &cycle, &lines, &names).await?,
            charges,
            payouts,
            group_fee,
            total_charged,
            in_credit: cycle.currency == state.config.currency.code,
            food_km,
            notice,
            error,
        },
    ))
}

/// Kilogram-kilometres of a cycle's deliveries, for the report.
async fn food_km(state: &AppState, id: Uuid) -> Result<Option<String>, AppError> {
    let deliveries = store::deliveries(&state.db, id).await?;
    if deliveries.is_empty() {
        return Ok(None);
    }
    let kg_km: i128 = deliveries
        .iter()
        .map(|d| i128::from(d.distance_m.unwrap_or(0)) * i128::from(d.weight_g) / 1_000_000)
        .sum();
    Ok(Some(kg_km.to_string()))
}

type SettlementParts = (Vec<SettlementLine>, Vec<SettlementLine>, String, String);

async fn settlement_view(
    state: &AppState,
    lang: Lang,
    cycle: &CycleRow,
    shortfalls: Option<&service::Shortfalls>,
) -> Result<SettlementParts, AppError> {
    if cycle.status != "delivered" && cycle.status != "settled" {
        return Ok((Vec::new(), Vec::new(), String::new(), String::new()));
    }
    let s = service::compute_settlement(state, cycle).await?;
    let short: HashMap<Uuid, i64> = shortfalls
        .map(|s| s.households.iter().map(|h| (h.0, h.2)).collect())
        .unwrap_or_default();
    let ids: Vec<Uuid> = s.charges.iter().map(|c| c.0).collect();
    let names = crate::ledger::pages::labels(state, lang, &ids).await?;
    let charges = s
        .charges
        .iter()
        .map(|(account, amount)| SettlementLine {
            account: *account,
            name: crate::ledger::invoice_pages::name_of(&names, *account),
            amount: money(state, lang, cycle, *amount),
            short: short.get(account).map(|a| money(state, lang, cycle, *a)),
        })
        .collect();
    let organisations: HashMap<Uuid, String> = store::names(&state.db, cycle.id)
        .await?
        .into_iter()
        .collect();
    let payouts = s
        .payouts
        .iter()
        .map(|(producer, amount)| SettlementLine {
            account: *producer,
            name: organisations.get(producer).cloned().unwrap_or_default(),
            amount: money(state, lang, cycle, *amount),
            short: None,
        })
        .collect();
    let total: i64 = s.charges.iter().map(|c| c.1).sum();
    Ok((
        charges,
        payouts,
        money(state, lang, cycle, s.group_fee_minor),
        money(state, lang, cycle, total),
    ))
}

async fn action_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let result = match action.as_str() {
        "close" => service::close_now(&state, actor, id)
            .await
            .map(|_| "closed"),
        "cancel" => service::cancel(&state, actor, id)
            .await
            .map(|()| "cancelled"),
        "settle" => {
            let euro: HashSet<Uuid> = f
                .keys()
                .take(10_000)
                .filter_map(|k| {
                    k.strip_prefix("euro_")
                        .and_then(|s| Uuid::parse_str(s).ok())
                })
                .collect();
            match service::settle(&state, actor, id, &euro).await {
                Ok(None) => Ok("settled"),
                Ok(Some(shortfalls)) => {
                    let e = AppError::conflict("settlement_shortfall");
                    return render_report(&state, &viewer, id, None, Some(e), Some(shortfalls))
                        .await;
                }
                Err(e) => Err(e),
            }
        }
        _ => return Err(AppError::not_found()),
    };
    match result {
        Ok(done) => Ok(
            Redirect::to(&format!("/purchasing/cycles/{id}/manage?done={done}")).into_response(),
        ),
        Err(e) if service::is_form_error(&e) => {
            render_report(&state, &viewer, id, None, Some(e), None).await
        }
        Err(e) => Err(e),
    }
}

// ---------- purchase orders ----------

struct PurchaseLine {
    sku: String,
    name: String,
    unit: String,
    quantity: String,
    packages: Option<i64>,
    price: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "purchasing_purchase_order.html")]
struct PurchaseOrderPage {
    c: Chrome,
    id: Uuid,
    producer_id: Uuid,
    title: String,
    group: String,
    producer: String,
    lines: Vec<PurchaseLine>,
    total: String,
}

/// A producer's order in a cycle: (sku, name, unit code, quantity, packages, price, amount).
type PurchaseRow = (String, String, String, i64, Option<i64>, i64, i64);

/// The purchase order for `producer`, seen by the group's admins or the producer's.
async fn purchase_order(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    producer: Uuid,
) -> Result<(CycleRow, Vec<PurchaseRow>), AppError> {
    let actor = viewer.actor()?;
    let (cycle, runs) = service::cycle(state, actor, id).await?;
    if !runs && !shared::administers(state, actor, producer).await? {
        return Err(AppError::forbidden());
    }
    if cycle.status == "open" || cycle.status == "cancelled" {
        return Err(AppError::conflict("cycle_not_closed"));
    }
    let lines = store::lines(&state.db, id).await?;
    let names = CycleNames::of(state, id).await?;
    let mut rows = Vec::new();
    for p in store::products(&state.db, id)
        .await?
        .into_iter()
        .filter(|p| p.producer_id == producer)
    {
        let quantity: i64 = lines
            .iter()
            .filter(|l| l.product_id == p.product_id)
            .map(|l| l.allocated_milli.unwrap_or(0))
            .sum();
        if quantity == 0 {
            continue;
        }
        let (name, sku, unit) = names.product(p.product_id);
        let packages = p.packages.filter(|_| p.package_size_milli > p.step_milli);
        let amount =
            distretto_domain::purchasing::catalogue::line_amount_minor(p.price_minor, quantity);
        rows.push((sku, name, unit, quantity, packages, p.price_minor, amount));
    }
    rows.sort_by(|a, b| a.1.cmp(&b.1));
    Ok((cycle, rows))
}

async fn purchase_order_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, producer)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (id, producer) = (parse_id(&id)?, parse_id(&producer)?);
    let (cycle, rows) = purchase_order(&state, &viewer, id, producer).await?;
    let lang = viewer.lang;
    let total: i64 = rows.iter().map(|r| r.6).sum();
    let lines = rows
        .into_iter()
        .map(
            |(sku, name, unit, q, packages, price, amount)| PurchaseLine {
                sku,
                name,
                unit: shared::unit_label(lang, &unit),
                quantity: shared::quantity(lang, q),
                packages,
                price: money(&state, lang, &cycle, price),
                amount: money(&state, lang, &cycle, amount),
            },
        )
        .collect();
    Ok(render_status(
        StatusCode::OK,
        &PurchaseOrderPage {
            c: Chrome::new(
                &state,
                &viewer,
                &format!("/purchasing/cycles/{id}/purchase-orders/{producer}"),
            ),
            id,
            producer_id: producer,
            title: format!("{} #{}", cycle.name, cycle.number),
            group: org_name(&state, cycle.group_id).await,
            producer: org_name(&state, producer).await,
            lines,
            total: money(&state, lang, &cycle, total),
        },
    ))
}

/// Minor units as plain decimals with a point, for CSV files.
fn plain(state: &AppState, cycle: &CycleRow, minor: i64) -> String {
    crate::ledger::invoice_pages::currency_of(state, &cycle.currency).format(minor, '.')
}

async fn purchase_order_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, producer)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (id, producer) = (parse_id(&id)?, parse_id(&producer)?);
    let (cycle, rows) = purchase_order(&state, &viewer, id, producer).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "sku", "product", "unit", "quantity", "packages", "price", "amount", "currency",
    ])
    .map_err(csv_error)?;
    for (sku, name, unit, q, packages, price, amount) in rows {
        w.write_record([
            sku,
            name,
            unit,
            distretto_domain::purchasing::catalogue::format_quantity(q, '.'),
            packages.map(|p| p.to_string()).unwrap_or_default(),
            plain(&state, &cycle, price),
            plain(&state, &cycle, amount),
            cycle.currency.clone(),
        ])
        .map_err(csv_error)?;
    }
    let body = w.into_inner().map_err(|_| AppError::internal())?;
    Ok(csv_response(
        &format!("purchase-order-{}-{producer}.csv", cycle.number),
        body,
    ))
}

// ---------- distribution ----------

struct HouseholdLine {
    product: String,
    beneficiary: String,
    quantity: String,
    unit: String,
    amount: String,
    substitute: bool,
}

struct HouseholdBlock {
    name: String,
    lines: Vec<HouseholdLine>,
    total: String,
}

struct PickupBlock {
    name: String,
    window: String,
    households: Vec<HouseholdBlock>,
}

#[derive(Template)]
#[template(path = "purchasing_distribution.html")]
struct DistributionPage {
    c: Chrome,
    id: Uuid,
    title: String,
    pickups: Vec<PickupBlock>,
}

/// One line of a distribution list: (pickup, household name, beneficiary, product, unit code,
/// quantity, amount, substitute).
type DistributionRow = (Uuid, String, String, String, String, i64, i64, bool);

async fn distribution(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
) -> Result<(CycleRow, Vec<DistributionRow>), AppError> {
    let actor = viewer.actor()?;
    let cycle = service::run_cycle(state, actor, id).await?;
    let orders: HashMap<Uuid, OrderRow> = store::orders(&state.db, id)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let products = store::products(&state.db, id).await?;
    let producers = store::producers(&state.db, id).await?;
    let names = CycleNames::of(state, id).await?;
    let mut rows = Vec::new();
    for l in store::lines(&state.db, id).await? {
        let (Some(order), Some(p)) = (
            orders.get(&l.order_id),
            products.iter().find(|p| p.product_id == l.product_id),
        ) else {
            continue;
        };
        let q = l
            .delivered_milli
            .or(l.allocated_milli)
            .unwrap_or(l.quantity_milli);
        if q == 0 {
            continue;
        }
        let markup = service::markup(
            &cycle,
            producers.iter().find(|x| x.producer_id == p.producer_id),
        );
        let amount = line_parts(p.price_minor, q, markup)?.total_minor;
        let (product, _, unit) = names.product(l.product_id);
        let household = names.household(order.person_id);
        rows.push((
            order.pickup_id,
            household,
            l.beneficiary.clone(),
            product,
            unit,
            q,
            amount,
            l.substitute_for.is_some(),
        ));
    }
    rows.sort_by(|a, b| (a.0, &a.1, &a.2, &a.3).cmp(&(b.0, &b.1, &b.2, &b.3)));
    Ok((cycle, rows))
}

async fn distribution_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let (cycle, rows) = distribution(&state, &viewer, id).await?;
    let lang = viewer.lang;
    let windows: HashMap<Uuid, String> = store::pickups(&state.db, id)
        .await?
        .into_iter()
        .map(|p| {
            (
                p.pickup_id,
                format!("{} → {}", instant(p.starts_at), instant(p.ends_at)),
            )
        })
        .collect();
    let mut by_pickup: BTreeMap<Uuid, BTreeMap<String, Vec<DistributionRow>>> = BTreeMap::new();
    for r in rows {
        by_pickup
            .entry(r.0)
            .or_default()
            .entry(r.1.clone())
            .or_default()
            .push(r);
    }
    let mut pickups = Vec::new();
    for (pickup, households) in by_pickup {
        let point = catalogue_store::pickup(&state.db, pickup).await?;
        let households = households
            .into_iter()
            .map(|(name, rows)| {
                let total: i64 = rows.iter().map(|r| r.6).sum();
                HouseholdBlock {
                    name,
                    lines: rows
                        .into_iter()
                        .map(|r| HouseholdLine {
                            product: r.3,
                            beneficiary: r.2,
                            unit: shared::unit_label(lang, &r.4),
                            quantity: shared::quantity(lang, r.5),
                            amount: money(&state, lang, &cycle, r.6),
                            substitute: r.7,
                        })
                        .collect(),
                    total: money(&state, lang, &cycle, total),
                }
            })
            .collect();
        pickups.push(PickupBlock {
            name: point.name,
            window: windows.get(&pickup).cloned().unwrap_or_default(),
            households,
        });
    }
    Ok(render_status(
        StatusCode::OK,
        &DistributionPage {
            c: Chrome::new(
                &state,
                &viewer,
                &format!("/purchasing/cycles/{id}/distribution"),
            ),
            id,
            title: format!("{} #{}", cycle.name, cycle.number),
            pickups,
        },
    ))
}

async fn distribution_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let (cycle, rows) = distribution(&state, &viewer, id).await?;
    let mut points: HashMap<Uuid, String> = HashMap::new();
    for p in store::pickups(&state.db, id).await? {
        let name = catalogue_store::pickup(&state.db, p.pickup_id)
            .await
            .map(|x| x.name)
            .unwrap_or_default();
        points.insert(p.pickup_id, name);
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "pickup_point",
        "household",
        "for",
        "product",
        "unit",
        "quantity",
        "amount",
        "currency",
        "substitute",
    ])
    .map_err(csv_error)?;
    for (pickup, household, beneficiary, product, unit, q, amount, substitute) in rows {
        w.write_record([
            points.get(&pickup).cloned().unwrap_or_default(),
            household,
            beneficiary,
            product,
            unit,
            distretto_domain::purchasing::catalogue::format_quantity(q, '.'),
            plain(&state, &cycle, amount),
            cycle.currency.clone(),
            if substitute { "yes" } else { "" }.to_owned(),
        ])
        .map_err(csv_error)?;
    }
    let body = w.into_inner().map_err(|_| AppError::internal())?;
    Ok(csv_response(
        &format!("distribution-{}.csv", cycle.number),
        body,
    ))
}

// ---------- delivery ----------

struct DeliveryLine {
    field: String,
    household: String,
    beneficiary: String,
    product: String,
    unit: String,
    allocated: String,
    delivered: String,
}

#[derive(Template)]
#[template(path = "purchasing_delivery.html")]
struct DeliveryPage {
    c: Chrome,
    id: Uuid,
    title: String,
    lines: Vec<DeliveryLine>,
    substitutes: Vec<(Uuid, String)>,
    error: Option<AppError>,
}

/// The form field of a line: `d_{order}_{product}_{beneficiary in hex}`.
fn line_field(l: &LineRow) -> String {
    format!(
        "d_{}_{}_{}",
        l.order_id.simple(),
        l.product_id.simple(),
        hex::encode(l.beneficiary.as_bytes())
    )
}

fn parse_line_field(key: &str) -> Option<(Uuid, Uuid, String)> {
    let mut parts = key.strip_prefix("d_")?.splitn(3, '_');
    let order = Uuid::parse_str(parts.next()?).ok()?;
    let product = Uuid::parse_str(parts.next()?).ok()?;
    let beneficiary = String::from_utf8(hex::decode(parts.next()?).ok()?).ok()?;
    Some((order, product, beneficiary))
}

async fn delivery_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    render_delivery(&state, &viewer, id, &HashMap::new(), None).await
}

async fn render_delivery(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    typed: &HashMap<String, String>,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let lang = viewer.lang;
    let cycle = service::run_cycle(state, actor, id).await?;
    let orders: HashMap<Uuid, OrderRow> = store::orders(&state.db, id)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let mut lines = Vec::new();
    let mut substitutes = Vec::new();
    let producers: HashSet<Uuid> = store::producers(&state.db, id)
        .await?
        .into_iter()
        .map(|p| p.producer_id)
        .collect();
    for producer in &producers {
        for p in catalogue_store::products_of(&state.db, *producer, true).await? {
            substitutes.push((p.id, p.name));
        }
    }
    substitutes.sort_by(|a, b| a.1.cmp(&b.1));
    let names = CycleNames::of(state, id).await?;
    for l in store::lines(&state.db, id).await? {
        let Some(order) = orders.get(&l.order_id) else {
            continue;
        };
        if l.allocated_milli.unwrap_or(0) == 0 && l.delivered_milli.is_none() {
            continue;
        }
        let (product, _, unit) = names.product(l.product_id);
        let household = names.household(order.person_id);
        let field = line_field(&l);
        let delivered = typed.get(&field).cloned().unwrap_or_else(|| {
            shared::quantity(lang, l.delivered_milli.or(l.allocated_milli).unwrap_or(0))
        });
        lines.push(DeliveryLine {
            field,
            household,
            beneficiary: l.beneficiary.clone(),
            product,
            unit: shared::unit_label(lang, &unit),
            allocated: shared::quantity(lang, l.allocated_milli.unwrap_or(0)),
            delivered,
        });
    }
    lines.sort_by(|a, b| (&a.product, &a.household).cmp(&(&b.product, &b.household)));
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render_status(
        status,
        &DeliveryPage {
            c: Chrome::new(state, viewer, &format!("/purchasing/cycles/{id}/delivery")),
            id,
            title: format!("{} #{}", cycle.name, cycle.number),
            lines,
            substitutes,
            error,
        },
    ))
}

async fn delivery_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let mut delivered = Vec::new();
    for (key, value) in f.iter().take(service::MAX_FORM_LINES * 100) {
        let Some((order_id, product_id, beneficiary)) = parse_line_field(key) else {
            continue;
        };
        match parse_quantity(value) {
            Ok(q) => delivered.push(DeliveredInput {
                order_id,
                product_id,
                beneficiary,
                delivered_milli: q,
            }),
            Err(e) => {
                return render_delivery(&state, &viewer, id, &f, Some(AppError::from(e))).await;
            }
        }
    }
    match service::record_delivery(&state, actor, id, &delivered, &[]).await {
        Ok(()) => Ok(
            Redirect::to(&format!("/purchasing/cycles/{id}/manage?done=delivered")).into_response(),
        ),
        Err(e) if service::is_form_error(&e) => {
            render_delivery(&state, &viewer, id, &f, Some(e)).await
        }
        Err(e) => Err(e),
    }
}

async fn substitute_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let get = |k: &str| f.get(k).map_or("", String::as_str).trim();
    let parsed = (|| {
        let (order_id, replaces, _) = parse_line_field(get("line")).ok_or(
            crate::ledger::api::unprocessable("bad_substitute", "substitute"),
        )?;
        let product_id = Uuid::parse_str(get("product"))
            .map_err(|_| crate::ledger::api::unprocessable("bad_substitute", "substitute"))?;
        let delivered_milli = parse_quantity(get("quantity"))?;
        Ok::<_, AppError>(SubstituteInput {
            order_id,
            replaces,
            product_id,
            delivered_milli,
        })
    })();
    let result = match parsed {
        Ok(s) => service::record_delivery(&state, actor, id, &[], &[s]).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/purchasing/cycles/{id}/delivery")).into_response()),
        Err(e) if service::is_form_error(&e) => {
            render_delivery(&state, &viewer, id, &HashMap::new(), Some(e)).await
        }
        Err(e) => Err(e),
    }
}

// ---------- a producer's orders across groups ----------

struct ProducerCycle {
    id: Uuid,
    title: String,
    group: String,
    status: &'static str,
    closes: String,
    ordered: String,
    closed: bool,
}

#[derive(Template)]
#[template(path = "purchasing_producer_orders.html")]
struct ProducerOrdersPage {
    c: Chrome,
    producer_id: Uuid,
    producer: String,
    cycles: Vec<ProducerCycle>,
}

async fn producer_orders_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let producer = shared::producer(&state, id).await?;
    shared::require_admin(&state, actor, id).await?;
    let lang = viewer.lang;
    let mut cycles = Vec::new();
    for c in store::cycles_of_producer(&state.db, id).await? {
        let prices: HashMap<Uuid, i64> = store::products(&state.db, c.id)
            .await?
            .into_iter()
            .filter(|p| p.producer_id == id)
            .map(|p| (p.product_id, p.price_minor))
            .collect();
        let total: i64 = store::lines(&state.db, c.id)
            .await?
            .iter()
            .filter_map(|l| prices.get(&l.product_id).map(|price| (price, l)))
            .map(|(price, l)| {
                distretto_domain::purchasing::catalogue::line_amount_minor(
                    *price,
                    l.delivered_milli
                        .or(l.allocated_milli)
                        .unwrap_or(l.quantity_milli),
                )
            })
            .sum();
        cycles.push(ProducerCycle {
            id: c.id,
            title: format!("{} #{}", c.name, c.number),
            group: org_name(&state, c.group_id).await,
            status: status_label(&c.status),
            closes: instant(c.closes_at),
            ordered: money(&state, lang, &c, total),
            closed: c.status != "open" && c.status != "cancelled",
        });
    }
    Ok(render_status(
        StatusCode::OK,
        &ProducerOrdersPage {
            c: Chrome::new(
                &state,
                &viewer,
                &format!("/purchasing/producers/{id}/orders"),
            ),
            producer_id: id,
            producer: producer.name,
            cycles,
        },
    ))
}
