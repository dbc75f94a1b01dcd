//! Households' pages: the cycles they can order in (`/purchasing/cycles`) and one cycle's
//! order form (`/purchasing/cycles/{id}`): products by producer with their price parts,
//! packages and stock, quantities and tolerances, a running total, orders for friends, the
//! pickup point; after the close, what was allocated, delivered and charged.

use super::service::{self, LineInput, LineOutcome};
use crate::auth::Viewer;
use crate::directory::pages::parse_id;
use crate::i18n::Lang;
use crate::ledger::invoice_pages::currency_of;
use crate::pages::{Chrome, PageForm, encode_query, render_status};
use crate::purchasing::service as shared;
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use distretto_domain::purchasing::catalogue::parse_quantity;
use distretto_domain::purchasing::pricing::{line_parts, unit_parts};
use distretto_store::purchasing::cycles::{self as store, CycleRow, LineRow, OfferRow};
use std::collections::HashMap;
use uuid::Uuid;

pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/purchasing/cycles", axum::routing::get(cycles_page))
        .route("/purchasing/cycles/{id}", axum::routing::get(order_page))
        .route(
            "/purchasing/cycles/{id}/order",
            axum::routing::post(order_submit),
        )
}

/// An instant as day/month/year hh:mm (UTC).
pub(crate) fn instant(t: time::OffsetDateTime) -> String {
    crate::clearing::pages::instant(t)
}

/// Minor units of a cycle's currency as the viewer reads them.
pub(crate) fn money(state: &AppState, lang: Lang, c: &CycleRow, minor: i64) -> String {
    crate::ledger::pages::money(lang, &currency_of(state, &c.currency), minor)
}

/// The message id of a cycle status.
pub(crate) fn status_label(code: &str) -> &'static str {
    match code {
        "open" => "cycle_status_open",
        "closed" => "cycle_status_closed",
        "delivered" => "cycle_status_delivered",
        "settled" => "cycle_status_settled",
        _ => "cycle_status_cancelled",
    }
}

// ---------- the list ----------

struct CycleLink {
    id: Uuid,
    title: String,
    group: String,
    status: &'static str,
    closes: String,
    ordered: bool,
    open: bool,
}

#[derive(Template)]
#[template(path = "purchasing_cycles.html")]
struct CyclesPage {
    c: Chrome,
    cycles: Vec<CycleLink>,
}

async fn cycles_page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let now = distretto_store::now();
    let mut cycles = Vec::new();
    for c in store::current_cycles(&state.db).await? {
        let group = distretto_store::directory::get(&state.db, c.group_id)
            .await
            .map(|g| g.name)
            .unwrap_or_default();
        let ordered = store::order_of(&state.db, c.id, actor.id).await?.is_some();
        let open = c.status == "open" && c.opens_at <= now && now < c.closes_at;
        if !open && !ordered {
            continue;
        }
        cycles.push(CycleLink {
            id: c.id,
            title: format!("{} #{}", c.name, c.number),
            group,
            status: status_label(&c.status),
            closes: instant(c.closes_at),
            ordered,
            open,
        });
    }
    Ok(render_status(
        StatusCode::OK,
        &CyclesPage {
            c: Chrome::new(&state, &viewer, "/purchasing/cycles"),
            cycles,
        },
    ))
}

// ---------- one cycle's order ----------

/// A product of the form.
struct ProductLine {
    id: Uuid,
    name: String,
    unit: String,
    price: String,
    producer_share: String,
    transport: String,
    fee: String,
    price_minor: i64,
    step: String,
    package: Option<String>,
    stock: Option<String>,
    quantity: String,
    tolerance: String,
    allocated: Option<String>,
    delivered: Option<String>,
    amount: String,
    error: Option<(&'static str, Option<String>)>,
    certifications: Vec<String>,
    origin: String,
    has_photo: bool,
}

struct ProducerBlock {
    name: String,
    minimum: Option<String>,
    minimum_missed: bool,
    products: Vec<ProductLine>,
}

struct PickupChoice {
    id: Uuid,
    label: String,
    chosen: bool,
}

#[derive(Template)]
#[template(path = "purchasing_cycle.html")]
struct OrderPage {
    c: Chrome,
    id: Uuid,
    title: String,
    group: String,
    status: &'static str,
    open: bool,
    closes: String,
    note: String,
    runs: bool,
    beneficiary: String,
    friends: Vec<(String, String, String)>,
    pickups: Vec<PickupChoice>,
    producers: Vec<ProducerBlock>,
    total: String,
    /// The currency's decimals, decimal separator and symbol, for the running total.
    scale: u8,
    decimal: char,
    symbol: String,
    notice: Option<&'static str>,
    error: Option<AppError>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct OrderQuery {
    #[serde(rename = "for")]
    beneficiary: String,
    done: Option<String>,
}

/// What the form shows for one line: typed values after a refused submit, else stored ones.
#[derive(Default, Clone)]
struct Typed {
    quantity: String,
    tolerance: String,
    error: Option<(&'static str, Option<String>)>,
}

struct PageInput {
    beneficiary: String,
    typed: HashMap<Uuid, Typed>,
    notice: Option<&'static str>,
    error: Option<AppError>,
}

async fn order_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<OrderQuery>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let beneficiary = service::beneficiary(&q.beneficiary)?;
    let notice = match q.done.as_deref() {
        Some("saved") => Some("cycle_done_saved"),
        _ => None,
    };
    render_order(
        &state,
        &viewer,
        id,
        PageInput {
            beneficiary,
            typed: HashMap::new(),
            notice,
            error: None,
        },
        StatusCode::OK,
    )
    .await
}

fn line_view(
    state: &AppState,
    lang: Lang,
    cycle: &CycleRow,
    p: &OfferRow,
    markup: distretto_domain::purchasing::pricing::Markup,
    mine: Option<&LineRow>,
    typed: Option<&Typed>,
) -> Result<(ProductLine, i64), AppError> {
    let row = p;
    let unit = unit_parts(p.price_minor, markup)?;
    let q = mine.map_or(0, |l| l.quantity_milli);
    let counted = mine
        .and_then(|l| l.delivered_milli.or(l.allocated_milli))
        .unwrap_or(q);
    let amount = line_parts(p.price_minor, counted, markup)?.total_minor;
    let m = |minor| money(state, lang, cycle, minor);
    let qty = |milli| shared::quantity(lang, milli);
    let typed = typed.cloned().unwrap_or_else(|| Typed {
        quantity: if q > 0 { qty(q) } else { String::new() },
        tolerance: mine
            .filter(|l| l.tolerance_milli > 0)
            .map(|l| qty(l.tolerance_milli))
            .unwrap_or_default(),
        error: None,
    });
    Ok((
        ProductLine {
            id: p.product_id,
            name: row.name.clone(),
            unit: shared::unit_label(lang, &row.unit),
            price: m(unit.total_minor),
            producer_share: m(unit.producer_minor),
            transport: m(unit.transport_minor),
            fee: m(unit.group_fee_minor),
            price_minor: unit.total_minor,
            step: qty(p.step_milli),
            package: (p.package_size_milli > p.step_milli).then(|| qty(p.package_size_milli)),
            stock: row.stock_milli.map(qty),
            quantity: typed.quantity,
            tolerance: typed.tolerance,
            allocated: mine.and_then(|l| l.allocated_milli).map(qty),
            delivered: mine.and_then(|l| l.delivered_milli).map(qty),
            amount: m(amount),
            error: typed.error,
            certifications: row
                .certifications
                .split(',')
                .filter(|c| !c.is_empty())
                .map(|c| lang.t(&format!("certification_{c}")))
                .collect(),
            origin: row.origin.clone(),
            has_photo: p.has_photo,
        },
        amount,
    ))
}

async fn render_order(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    input: PageInput,
    status: StatusCode,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let lang = viewer.lang;
    let (cycle, runs) = service::cycle(state, actor, id).await?;
    let now = distretto_store::now();
    let open = cycle.status == "open" && cycle.opens_at <= now && now < cycle.closes_at;
    let order = store::order_of(&state.db, id, actor.id).await?;
    let lines = match &order {
        Some(o) => store::lines_of(&state.db, o.id).await?,
        None => Vec::new(),
    };
    let mine: HashMap<Uuid, &LineRow> = lines
        .iter()
        .filter(|l| l.beneficiary == input.beneficiary)
        .map(|l| (l.product_id, l))
        .collect();
    let producers = store::producers(&state.db, id).await?;
    let offered = store::offer(&state.db, id).await?;
    let names: HashMap<Uuid, String> = store::names(&state.db, id).await?.into_iter().collect();
    let mut blocks = Vec::with_capacity(producers.len());
    let mut total: i64 = 0;
    for producer in &producers {
        let markup = service::markup(&cycle, Some(producer));
        let mut products = Vec::new();
        for p in offered
            .iter()
            .filter(|p| p.producer_id == producer.producer_id)
        {
            let (line, amount) = line_view(
                state,
                lang,
                &cycle,
                p,
                markup,
                mine.get(&p.product_id).copied(),
                input.typed.get(&p.product_id),
            )?;
            if !open && line.quantity.is_empty() && line.delivered.is_none() {
                continue;
            }
            total = total.saturating_add(amount);
            products.push(line);
        }
        blocks.push(ProducerBlock {
            name: names
                .get(&producer.producer_id)
                .cloned()
                .unwrap_or_default(),
            minimum: producer
                .minimum_minor
                .map(|m| money(state, lang, &cycle, m)),
            minimum_missed: producer.minimum_met == Some(false),
            products,
        });
    }
    blocks.sort_by(|a, b| a.name.cmp(&b.name));
    let pickups = pickup_choices(state, id, order.as_ref().map(|o| o.pickup_id)).await?;
    let friends = friends_of(state, lang, &cycle, &lines, &offered, &producers);
    let group = names.get(&cycle.group_id).cloned().unwrap_or_default();
    Ok(render_status(
        status,
        &OrderPage {
            c: Chrome::new(state, viewer, &format!("/purchasing/cycles/{id}")),
            id,
            title: format!("{} #{}", cycle.name, cycle.number),
            group,
            status: status_label(&cycle.status),
            open,
            closes: instant(cycle.closes_at),
            note: cycle.note.clone(),
            runs,
            beneficiary: input.beneficiary,
            friends,
            pickups,
            producers: blocks,
            total: money(state, lang, &cycle, total),
            scale: currency_of(state, &cycle.currency).scale,
            decimal: crate::ledger::pages::decimal_separator(lang),
            symbol: currency_of(state, &cycle.currency).symbol,
            notice: input.notice,
            error: input.error,
        },
    ))
}

async fn pickup_choices(
    state: &AppState,
    cycle: Uuid,
    chosen: Option<Uuid>,
) -> Result<Vec<PickupChoice>, AppError> {
    Ok(store::pickup_points(&state.db, cycle)
        .await?
        .into_iter()
        .enumerate()
        .map(|(i, (id, name, address, starts, ends))| PickupChoice {
            id,
            label: format!(
                "{name} — {address} ({} → {})",
                instant(starts),
                instant(ends)
            ),
            chosen: chosen.map_or(i == 0, |c| c == id),
        })
        .collect())
}

/// The friends a household orders for: (name, link query, subtotal).
fn friends_of(
    state: &AppState,
    lang: Lang,
    cycle: &CycleRow,
    lines: &[LineRow],
    offered: &[OfferRow],
    producers: &[distretto_store::purchasing::cycles::CycleProducerRow],
) -> Vec<(String, String, String)> {
    let mut totals: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    for l in lines.iter().filter(|l| !l.beneficiary.is_empty()) {
        let Some(p) = offered.iter().find(|p| p.product_id == l.product_id) else {
            continue;
        };
        let markup = service::markup(
            cycle,
            producers.iter().find(|x| x.producer_id == p.producer_id),
        );
        let q = l
            .delivered_milli
            .or(l.allocated_milli)
            .unwrap_or(l.quantity_milli);
        let amount = line_parts(p.price_minor, q, markup).map_or(0, |x| x.total_minor);
        *totals.entry(l.beneficiary.clone()).or_default() += amount;
    }
    totals
        .into_iter()
        .map(|(name, amount)| {
            let query = encode_query(&name);
            (name, query, money(state, lang, cycle, amount))
        })
        .collect()
}

// ---------- saving ----------

/// Reads `q_{product}` and `t_{product}` fields: the lines typed, or each line's parse error.
fn lines_of_form(form: &HashMap<String, String>) -> (Vec<LineInput>, HashMap<Uuid, Typed>) {
    let mut lines = Vec::new();
    let mut typed = HashMap::new();
    for (key, value) in form.iter().take(service::MAX_FORM_LINES * 2 + 10) {
        let Some(id) = key.strip_prefix("q_").and_then(|s| Uuid::parse_str(s).ok()) else {
            continue;
        };
        let tolerance_text = form.get(&format!("t_{id}")).cloned().unwrap_or_default();
        let entry = Typed {
            quantity: value.clone(),
            tolerance: tolerance_text.clone(),
            error: None,
        };
        match (parse_quantity(value), parse_quantity(&tolerance_text)) {
            (Ok(q), Ok(t)) => {
                lines.push(LineInput {
                    product: id,
                    quantity_milli: q,
                    tolerance_milli: t,
                });
                typed.insert(id, entry);
            }
            (Err(e), _) | (_, Err(e)) => {
                typed.insert(
                    id,
                    Typed {
                        error: Some((e.code, None)),
                        ..entry
                    },
                );
            }
        }
    }
    lines.sort_by_key(|l| l.product);
    (lines, typed)
}

async fn order_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let beneficiary = service::beneficiary(form.get("for").map_or("", String::as_str))?;
    let pickup = form
        .get("pickup")
        .and_then(|p| Uuid::parse_str(p.trim()).ok());
    let (lines, mut typed) = lines_of_form(&form);
    let refused_typing = typed.values().any(|t| t.error.is_some());
    let outcomes = match service::set_lines(&state, actor, id, &beneficiary, pickup, &lines).await {
        Ok(o) => o,
        Err(e) if service::is_form_error(&e) => {
            let input = PageInput {
                beneficiary,
                typed,
                notice: None,
                error: Some(e),
            };
            return render_order(&state, &viewer, id, input, StatusCode::CONFLICT).await;
        }
        Err(e) => return Err(e),
    };
    let mut refused = refused_typing;
    for (product, outcome) in outcomes {
        if let LineOutcome::Refused(code, left) = outcome {
            refused = true;
            let left = left.map(|l| shared::quantity(viewer.lang, l));
            typed.entry(product).or_default().error = Some((code, left));
        } else {
            typed.remove(&product);
        }
    }
    if refused {
        let error = Some(AppError::from(distretto_domain::Invalid::new(
            "order_lines_refused",
            "lines",
        )));
        let input = PageInput {
            beneficiary,
            typed,
            notice: None,
            error,
        };
        return render_order(&state, &viewer, id, input, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let suffix = if beneficiary.is_empty() {
        String::new()
    } else {
        format!("&for={}", encode_query(&beneficiary))
    };
    Ok(Redirect::to(&format!("/purchasing/cycles/{id}?done=saved{suffix}")).into_response())
}
