//! Order cycles: opening, ordering, the close, delivery and settlement, each checking who may
//! do it. The rules are the domain's (`purchasing::{allocation, close, pricing, geo}`); the
//! store writes each step in one transaction; settlement goes through the ledger writer.

use crate::auth::viewer::Actor;
use crate::purchasing::service as shared;
use crate::{AppError, AppState};
use axum::http::StatusCode;
use distretto_domain::Invalid;
use distretto_domain::ledger::TransferKind;
use distretto_domain::purchasing::catalogue::{MAX_QUANTITY_MILLI, check_quantity};
use distretto_domain::purchasing::close::{self, OfferedProduct, OrderedLine};
use distretto_domain::purchasing::geo::{LatLon, distance_m};
use distretto_domain::purchasing::pricing::{self, DeliveredLine, Markup};
use distretto_domain::purchasing::{Product, ProductDraft};
use distretto_store::ledger::{Command, Effect, NewLeg};
use distretto_store::purchasing::catalogue::{self as catalogue_store, ProductRow};
use distretto_store::purchasing::cycles::{
    self as store, CyclePickupRow, CycleProducerRow, CycleProductRow, CycleRow, DeliveryRow,
    LineRefusal, LineRow, NewCycle, OrderRow, SetLine, SettlementRow,
};
use std::collections::{HashMap, HashSet};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// The longest a cycle may stay open for orders.
pub const MAX_CYCLE_DAYS: i64 = 60;
/// The most producers one cycle takes.
pub const MAX_PRODUCERS: usize = 100;
/// The longest name or beneficiary.
pub const MAX_NAME_CHARS: usize = 120;
/// The most lines one form sets at once.
pub const MAX_FORM_LINES: usize = 500;

fn invalid(code: &'static str, field: &'static str) -> AppError {
    AppError::from(Invalid::new(code, field))
}

/// A cycle and whether `actor` runs it (administers its group).
pub async fn cycle(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> Result<(CycleRow, bool), AppError> {
    let c = store::cycle(&state.db, id)
        .await
        .map_err(|_| AppError::not_found())?;
    let runs = shared::administers(state, actor, c.group_id).await?;
    Ok((c, runs))
}

/// A cycle `actor` runs, or 403.
pub async fn run_cycle(state: &AppState, actor: &Actor, id: Uuid) -> Result<CycleRow, AppError> {
    let (c, runs) = cycle(state, actor, id).await?;
    if !runs {
        return Err(AppError::forbidden());
    }
    Ok(c)
}

/// The product a catalogue row holds, checked again (rows were checked when written).
pub fn product_of(row: &ProductRow) -> Result<Product, AppError> {
    ProductDraft {
        name: row.name.clone(),
        description: row.description.clone(),
        unit: row.unit.clone(),
        package_size_milli: Some(row.package_size_milli),
        step_milli: Some(row.step_milli),
        price_euro_minor: row.price_euro_minor,
        price_credit_minor: row.price_credit_minor,
        vat_basis_points: u16::try_from(row.vat_basis_points).unwrap_or(u16::MAX),
        origin: row.origin.clone(),
        certifications: row
            .certifications
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        season_months: u16::try_from(row.season_months).unwrap_or(0),
        stock_milli: row.stock_milli,
    }
    .check()
    .map_err(|e| {
        // Only data written past the catalogue's checks (an import, a rule tightened since):
        // said to the coordinator as something the producer must correct, not as our failure.
        tracing::warn!(product = %row.id, producer = %row.producer_id, code = e.code, "a stored product no longer passes the catalogue's checks");
        AppError::conflict("stored_product_invalid")
    })
}

/// The markup of a producer in a cycle.
pub fn markup(cycle: &CycleRow, producer: Option<&CycleProducerRow>) -> Markup {
    let transport = producer.map_or(0, |p| u32::try_from(p.transport_basis_points).unwrap_or(0));
    let fee = u32::try_from(cycle.group_fee_basis_points).unwrap_or(0);
    Markup::new(transport, fee).unwrap_or(Markup::NONE)
}

// ---------- opening ----------

/// A producer as the opening form gives it.
#[derive(Debug, Clone)]
pub struct ProducerInput {
    pub id: Uuid,
    pub minimum_minor: Option<i64>,
    pub transport_basis_points: u32,
}

/// What a group's admin opens.
#[derive(Debug, Clone)]
pub struct OpenInput {
    pub name: String,
    pub currency: String,
    pub opens_at: OffsetDateTime,
    pub closes_at: OffsetDateTime,
    pub group_fee_basis_points: u32,
    pub producers: Vec<ProducerInput>,
    pub pickups: Vec<Uuid>,
    pub pickup_starts_at: OffsetDateTime,
    pub pickup_ends_at: OffsetDateTime,
    pub note: String,
}

fn check_open_times(input: &OpenInput, now: OffsetDateTime) -> Result<(), AppError> {
    if input.closes_at <= input.opens_at || input.closes_at <= now {
        return Err(invalid("cycle_closes_before_opening", "closes_at"));
    }
    if input.closes_at - input.opens_at > Duration::days(MAX_CYCLE_DAYS) {
        return Err(invalid("cycle_too_long", "closes_at"));
    }
    if input.pickup_ends_at <= input.pickup_starts_at || input.pickup_starts_at < input.closes_at {
        return Err(invalid("bad_pickup_window", "pickup_starts_at"));
    }
    Ok(())
}

/// Opens a cycle of `group` offering every active, in-season product of the chosen producers
/// priced in the cycle's currency.
pub async fn open(
    state: &AppState,
    actor: &Actor,
    group: Uuid,
    input: OpenInput,
) -> Result<CycleRow, AppError> {
    shared::group(state, group).await?;
    shared::require_admin(state, actor, group).await?;
    let now = distretto_store::now();
    let name = distretto_domain::text::clean_line(&input.name);
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid("bad_cycle_name", "name"));
    }
    check_open_times(&input, now)?;
    let in_credit = input.currency == state.config.currency.code;
    if !in_credit && input.currency != distretto_domain::ledger::money::EURO {
        return Err(invalid("bad_currency", "currency"));
    }
    Markup::new(0, input.group_fee_basis_points)?;
    if input.producers.is_empty() || input.producers.len() > MAX_PRODUCERS {
        return Err(invalid("cycle_needs_producers", "producers"));
    }
    let id = Uuid::now_v7();
    let month = u8::from(input.closes_at.month());
    let mut parts = NewCycle::default();
    for p in &input.producers {
        shared::producer(state, p.id).await?;
        Markup::new(p.transport_basis_points, 0)?;
        if p.minimum_minor.is_some_and(|m| m <= 0) {
            return Err(invalid("bad_minimum", "minimum"));
        }
        parts.producers.push(CycleProducerRow {
            cycle_id: id,
            producer_id: p.id,
            minimum_minor: p.minimum_minor,
            transport_basis_points: i32::try_from(p.transport_basis_points).unwrap_or(0),
            minimum_met: None,
        });
        for row in catalogue_store::products_of(&state.db, p.id, true).await? {
            let product = product_of(&row)?;
            let Some(price_minor) = product.price_minor(in_credit) else {
                continue;
            };
            if !product.in_season(month) {
                continue;
            }
            parts.products.push(CycleProductRow {
                cycle_id: id,
                product_id: row.id,
                producer_id: p.id,
                price_minor,
                step_milli: product.step_milli,
                package_size_milli: product.package_size_milli,
                packages: None,
            });
        }
    }
    if parts.products.is_empty() {
        return Err(invalid("cycle_needs_products", "producers"));
    }
    let own: HashSet<Uuid> = catalogue_store::pickups_of(&state.db, group)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    if input.pickups.is_empty() || input.pickups.iter().any(|p| !own.contains(p)) {
        return Err(invalid("cycle_needs_pickups", "pickups"));
    }
    for pickup in &input.pickups {
        parts.pickups.push(CyclePickupRow {
            cycle_id: id,
            pickup_id: *pickup,
            starts_at: input.pickup_starts_at,
            ends_at: input.pickup_ends_at,
        });
    }
    let row = CycleRow {
        id,
        group_id: group,
        number: 0,
        name,
        currency: input.currency.clone(),
        opens_at: input.opens_at,
        closes_at: input.closes_at,
        group_fee_basis_points: i32::try_from(input.group_fee_basis_points).unwrap_or(0),
        status: "open".into(),
        note: input.note.trim().chars().take(2_000).collect(),
        created_by: actor.id,
        created_at: now,
        closed_at: None,
        delivered_at: None,
        settled_by: None,
        settled_at: None,
    };
    Ok(store::open_cycle(&state.db, &row, &parts).await?)
}

// ---------- ordering ----------

/// A line a household asks for.
#[derive(Debug, Clone, Copy)]
pub struct LineInput {
    pub product: Uuid,
    pub quantity_milli: i64,
    pub tolerance_milli: i64,
}

/// What became of one line of an order form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOutcome {
    /// Saved (or unchanged).
    Saved,
    /// Refused: message id and, for stock, what is left.
    Refused(&'static str, Option<i64>),
}

/// The account a household's order is charged to: its own account.
pub async fn household_account(state: &AppState, actor: &Actor) -> Result<Uuid, AppError> {
    crate::ledger::service::my_accounts(state, actor)
        .await?
        .into_iter()
        .find(|a| a.owner_kind == "person" && a.owner_id == Some(actor.id))
        .map(|a| a.id)
        .ok_or_else(|| AppError::conflict("no_account"))
}

/// Checks a beneficiary name ('' for the household itself).
pub fn beneficiary(text: &str) -> Result<String, AppError> {
    let name = distretto_domain::text::clean_line(text);
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid("bad_beneficiary", "beneficiary"));
    }
    Ok(name)
}

/// Sets the lines of `actor`'s order (for `beneficiary`), each in its own transaction so one
/// product out of stock does not undo the others; returns each line's outcome.
pub async fn set_lines(
    state: &AppState,
    actor: &Actor,
    cycle_id: Uuid,
    beneficiary: &str,
    pickup: Option<Uuid>,
    lines: &[LineInput],
) -> Result<Vec<(Uuid, LineOutcome)>, AppError> {
    let (c, _) = cycle(state, actor, cycle_id).await?;
    if lines.len() > MAX_FORM_LINES {
        return Err(AppError::bad_request("invalid_form"));
    }
    let now = distretto_store::now();
    if c.status != "open" || now >= c.closes_at || now < c.opens_at {
        return Err(AppError::conflict("cycle_not_open"));
    }
    let offered: HashMap<Uuid, CycleProductRow> = store::products(&state.db, cycle_id)
        .await?
        .into_iter()
        .map(|p| (p.product_id, p))
        .collect();
    let pickups = store::pickups(&state.db, cycle_id).await?;
    let existing = store::order_of(&state.db, cycle_id, actor.id).await?;
    let pickup_id = match (pickup, &existing) {
        (Some(p), _) if pickups.iter().any(|x| x.pickup_id == p) => p,
        (Some(_), _) => return Err(invalid("bad_pickup", "pickup")),
        (None, Some(o)) => o.pickup_id,
        (None, None) => pickups
            .first()
            .map(|p| p.pickup_id)
            .ok_or(AppError::not_found())?,
    };
    if let Some(o) = &existing
        && o.pickup_id != pickup_id
    {
        store::set_pickup(&state.db, o.id, pickup_id, now)
            .await
            .map_err(|_| AppError::conflict("cycle_not_open"))?;
    }
    let account_id = household_account(state, actor).await?;
    let current: HashMap<Uuid, (i64, i64)> = match &existing {
        Some(o) => store::lines_of(&state.db, o.id)
            .await?
            .into_iter()
            .filter(|l| l.beneficiary == beneficiary)
            .map(|l| (l.product_id, (l.quantity_milli, l.tolerance_milli)))
            .collect(),
        None => HashMap::new(),
    };
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let outcome = match offered.get(&l.product) {
            None => LineOutcome::Refused("product_not_in_cycle", None),
            Some(p) => match check_line(p, l) {
                Err(code) => LineOutcome::Refused(code, None),
                Ok(())
                    if current.get(&l.product).copied().unwrap_or((0, 0))
                        == (l.quantity_milli, l.tolerance_milli) =>
                {
                    LineOutcome::Saved
                }
                Ok(()) => {
                    let set = SetLine {
                        cycle_id,
                        person_id: actor.id,
                        account_id,
                        pickup_id,
                        product_id: l.product,
                        beneficiary: beneficiary.to_owned(),
                        quantity_milli: l.quantity_milli,
                        tolerance_milli: l.tolerance_milli,
                        now,
                    };
                    match store::set_line(&state.db, &set).await? {
                        Ok(_) => LineOutcome::Saved,
                        Err(LineRefusal::CycleNotOpen) => {
                            return Err(AppError::conflict("cycle_not_open"));
                        }
                        Err(LineRefusal::NotInCycle) => {
                            LineOutcome::Refused("product_not_in_cycle", None)
                        }
                        Err(LineRefusal::OutOfStock { left_milli }) => {
                            LineOutcome::Refused("out_of_stock", Some(left_milli))
                        }
                        Err(LineRefusal::TooManyLines) => {
                            LineOutcome::Refused("too_many_lines", None)
                        }
                    }
                }
            },
        };
        out.push((l.product, outcome));
    }
    Ok(out)
}

/// A line's quantity and tolerance against the product as offered: whole steps, not negative,
/// a tolerance only on packaged products and less than one package.
fn check_line(p: &CycleProductRow, l: &LineInput) -> Result<(), &'static str> {
    if l.quantity_milli < 0 || l.tolerance_milli < 0 {
        return Err("quantity_negative");
    }
    if l.quantity_milli > MAX_QUANTITY_MILLI {
        return Err("quantity_too_large");
    }
    if l.quantity_milli % p.step_milli != 0 || l.tolerance_milli % p.step_milli != 0 {
        return Err("quantity_not_step");
    }
    if l.tolerance_milli > 0
        && (p.package_size_milli <= p.step_milli || l.tolerance_milli >= p.package_size_milli)
    {
        return Err("bad_tolerance");
    }
    if l.quantity_milli == 0 && l.tolerance_milli > 0 {
        return Err("tolerance_without_quantity");
    }
    Ok(())
}

// ---------- the close ----------

/// Closes a cycle: every product rounded to whole packages with tolerances filled, producers
/// below their minimum cut. `Ok(false)` when it was not open (a retried close does nothing), or
/// when the rules refuse one of its lines: then nothing is written, the cycle stays open and
/// the refusal is logged (closing it with nothing allocated would lose every order).
pub async fn close(state: &AppState, cycle_id: Uuid) -> Result<bool, AppError> {
    let now = distretto_store::now();
    let mut failure = None;
    let closed = store::close(&state.db, cycle_id, now, |lines, products, producers| {
        plan_close(lines, products, producers)
            .map_err(|e| failure = Some(e))
            .ok()
    })
    .await?;
    if let Some(e) = failure {
        tracing::error!(code = e.code, field = e.field, %cycle_id, "close refused by the rules: the cycle stays open");
    }
    Ok(closed)
}

/// The domain's close plan, in the store's terms.
pub fn plan_close(
    lines: &[LineRow],
    products: &[CycleProductRow],
    producers: &[CycleProducerRow],
) -> Result<store::ClosePlan, Invalid> {
    let offered: Vec<OfferedProduct> = products
        .iter()
        .map(|p| OfferedProduct {
            id: p.product_id,
            producer: p.producer_id,
            step_milli: p.step_milli,
            package_size_milli: p.package_size_milli,
            price_minor: p.price_minor,
        })
        .collect();
    let minimums: Vec<(Uuid, Option<i64>)> = producers
        .iter()
        .map(|p| (p.producer_id, p.minimum_minor))
        .collect();
    let ordered: Vec<OrderedLine> = lines
        .iter()
        .map(|l| OrderedLine {
            product: l.product_id,
            quantity_milli: l.quantity_milli,
            tolerance_milli: l.tolerance_milli,
        })
        .collect();
    let plan = close::plan(&offered, &minimums, &ordered)?;
    Ok(store::ClosePlan {
        allocated: lines
            .iter()
            .zip(plan.allocated_milli)
            .map(|(l, a)| (l.order_id, l.product_id, l.beneficiary.clone(), a))
            .collect(),
        packages: plan.packages,
        minimums: plan.minimums,
    })
}

/// Closes every open cycle whose closing time passed; returns how many it closed.
pub async fn close_due(state: &AppState) -> Result<usize, AppError> {
    let mut closed = 0;
    for id in store::due_to_close(&state.db, distretto_store::now()).await? {
        if close(state, id).await? {
            closed += 1;
        }
    }
    Ok(closed)
}

/// Closes a cycle now, at its admin's request (before its closing time too).
pub async fn close_now(state: &AppState, actor: &Actor, cycle_id: Uuid) -> Result<bool, AppError> {
    run_cycle(state, actor, cycle_id).await?;
    close(state, cycle_id).await
}

/// Cancels an open or closed cycle; limited stock goes back.
pub async fn cancel(state: &AppState, actor: &Actor, cycle_id: Uuid) -> Result<(), AppError> {
    run_cycle(state, actor, cycle_id).await?;
    store::cancel(&state.db, cycle_id, distretto_store::now())
        .await
        .map_err(|_| AppError::conflict("cycle_not_cancellable"))
}

// ---------- delivery ----------

/// What arrived for one line: its key and the quantity delivered.
#[derive(Debug, Clone)]
pub struct DeliveredInput {
    pub order_id: Uuid,
    pub product_id: Uuid,
    pub beneficiary: String,
    pub delivered_milli: i64,
}

/// A substitute delivered to a household in place of a product.
#[derive(Debug, Clone)]
pub struct SubstituteInput {
    pub order_id: Uuid,
    pub replaces: Uuid,
    pub product_id: Uuid,
    pub delivered_milli: i64,
}

/// Records what arrived. Lines not named keep their allocation as delivered; named lines take
/// the quantity given (real weight, shortage); substitutes are added as lines of their own at
/// their product's price. Deliveries and their distances (producer → pickup point) are stored
/// for food miles. Allowed while the cycle is closed or delivered (not settled).
pub async fn record_delivery(
    state: &AppState,
    actor: &Actor,
    cycle_id: Uuid,
    delivered: &[DeliveredInput],
    substitutes: &[SubstituteInput],
) -> Result<(), AppError> {
    let c = run_cycle(state, actor, cycle_id).await?;
    if c.status != "closed" && c.status != "delivered" {
        return Err(AppError::conflict("cycle_not_closed"));
    }
    let now = distretto_store::now();
    let mut lines = store::lines(&state.db, cycle_id).await?;
    let products = store::products(&state.db, cycle_id).await?;
    let changes: HashMap<(Uuid, Uuid, &str), i64> = delivered
        .iter()
        .map(|d| {
            (
                (d.order_id, d.product_id, d.beneficiary.as_str()),
                d.delivered_milli,
            )
        })
        .collect();
    for l in &mut lines {
        let key = (l.order_id, l.product_id, l.beneficiary.as_str());
        let q = changes
            .get(&key)
            .copied()
            .or(l.delivered_milli)
            .or(l.allocated_milli)
            .unwrap_or(0);
        if !(0..=MAX_QUANTITY_MILLI).contains(&q) {
            return Err(invalid("quantity_negative", "delivered"));
        }
        l.delivered_milli = Some(q);
    }
    let (extra, substitute_lines) =
        substitutes_of(state, cycle_id, &products, &lines, substitutes, now).await?;
    lines.retain(|l| {
        !substitute_lines.iter().any(|s| {
            s.order_id == l.order_id
                && s.product_id == l.product_id
                && s.beneficiary == l.beneficiary
        })
    });
    lines.extend(substitute_lines);
    let mut all_products = products.clone();
    all_products.extend(extra.iter().cloned());
    let deliveries = deliveries_of(state, &c, &lines, &all_products, actor.id, now).await?;
    store::record_delivery(&state.db, cycle_id, &lines, &extra, &deliveries, now)
        .await
        .map_err(|_| AppError::conflict("cycle_not_closed"))
}

/// Substitute lines (and the products the cycle must now offer for them, priced from the
/// catalogue in the cycle's currency). A substitute comes from the replaced product's producer.
async fn substitutes_of(
    state: &AppState,
    cycle_id: Uuid,
    products: &[CycleProductRow],
    lines: &[LineRow],
    substitutes: &[SubstituteInput],
    now: OffsetDateTime,
) -> Result<(Vec<CycleProductRow>, Vec<LineRow>), AppError> {
    let c = store::cycle(&state.db, cycle_id).await?;
    let in_credit = c.currency == state.config.currency.code;
    let mut extra: Vec<CycleProductRow> = Vec::new();
    let mut out = Vec::with_capacity(substitutes.len());
    for s in substitutes {
        let replaced = products
            .iter()
            .find(|p| p.product_id == s.replaces)
            .ok_or(invalid("bad_substitute", "substitute"))?;
        if !lines
            .iter()
            .any(|l| l.order_id == s.order_id && l.product_id == s.replaces)
        {
            return Err(invalid("bad_substitute", "substitute"));
        }
        let row = catalogue_store::product(&state.db, s.product_id)
            .await
            .map_err(|_| invalid("bad_substitute", "substitute"))?;
        let product = product_of(&row)?;
        if row.producer_id != replaced.producer_id || s.product_id == s.replaces {
            return Err(invalid("bad_substitute", "substitute"));
        }
        check_quantity(&product, s.delivered_milli)?;
        let offered = products
            .iter()
            .chain(extra.iter())
            .any(|p| p.product_id == s.product_id);
        if !offered {
            let price_minor = product
                .price_minor(in_credit)
                .ok_or(invalid("substitute_not_priced", "substitute"))?;
            extra.push(CycleProductRow {
                cycle_id,
                product_id: s.product_id,
                producer_id: row.producer_id,
                price_minor,
                step_milli: product.step_milli,
                package_size_milli: product.package_size_milli,
                packages: Some(0),
            });
        }
        out.push(LineRow {
            order_id: s.order_id,
            product_id: s.product_id,
            beneficiary: String::new(),
            quantity_milli: 0,
            tolerance_milli: 0,
            arrival: now.unix_timestamp(),
            allocated_milli: Some(0),
            delivered_milli: Some(s.delivered_milli),
            substitute_for: Some(s.replaces),
            updated_at: now,
        });
    }
    Ok((extra, out))
}

/// One delivery per (producer, pickup point) that received something, with its distance
/// (haversine, when both have coordinates) and weight (kilograms and litres delivered).
async fn deliveries_of(
    state: &AppState,
    c: &CycleRow,
    lines: &[LineRow],
    products: &[CycleProductRow],
    by: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<DeliveryRow>, AppError> {
    let orders: HashMap<Uuid, OrderRow> = store::orders(&state.db, c.id)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let producer_of: HashMap<Uuid, Uuid> = products
        .iter()
        .map(|p| (p.product_id, p.producer_id))
        .collect();
    let mut units: HashMap<Uuid, String> = store::offer(&state.db, c.id)
        .await?
        .into_iter()
        .map(|p| (p.product_id, p.unit))
        .collect();
    let mut weight: HashMap<(Uuid, Uuid), i64> = HashMap::new();
    for l in lines.iter().filter(|l| l.delivered_milli.unwrap_or(0) > 0) {
        let (Some(order), Some(producer)) =
            (orders.get(&l.order_id), producer_of.get(&l.product_id))
        else {
            continue;
        };
        if let std::collections::hash_map::Entry::Vacant(e) = units.entry(l.product_id) {
            // A substitute added in this same delivery is not in the cycle's offer yet.
            let unit = catalogue_store::product(&state.db, l.product_id)
                .await
                .map(|p| p.unit)
                .unwrap_or_default();
            e.insert(unit);
        }
        let unit = units.get(&l.product_id).map_or("", String::as_str);
        // A kilogram is 1,000 g and a litre weighs about as much; pieces and boxes are unknown.
        let grams = if unit == "kg" || unit == "l" {
            l.delivered_milli.unwrap_or(0)
        } else {
            0
        };
        *weight.entry((*producer, order.pickup_id)).or_default() += grams;
    }
    let mut out = Vec::with_capacity(weight.len());
    for ((producer, pickup), weight_g) in weight {
        let from = distretto_store::directory::get(&state.db, producer)
            .await
            .ok()
            .and_then(|o| place(o.lat, o.lon));
        let to = catalogue_store::pickup(&state.db, pickup)
            .await
            .ok()
            .and_then(|p| place(p.lat, p.lon));
        let distance = match (from, to) {
            (Some(a), Some(b)) => Some(i64::from(distance_m(a, b))),
            _ => None,
        };
        out.push(DeliveryRow {
            cycle_id: c.id,
            producer_id: producer,
            pickup_id: pickup,
            distance_m: distance,
            weight_g,
            recorded_by: by,
            recorded_at: now,
        });
    }
    out.sort_by_key(|d| (d.producer_id, d.pickup_id));
    Ok(out)
}

/// Coordinates stored in degrees, as the domain's point.
pub fn place(lat: Option<f64>, lon: Option<f64>) -> Option<LatLon> {
    let micro = |d: f64| {
        let m = (d * 1_000_000.0).round();
        (m.is_finite() && m.abs() <= 180_000_000.0).then_some(m as i32)
    };
    LatLon::new(micro(lat?)?, micro(lon?)?).ok()
}

// ---------- settlement ----------

/// The settlement of a delivered cycle: what each household pays, what each producer gets and
/// the group's fee, with the accounts that move it.
#[derive(Debug, Clone, Default)]
pub struct SettlementView {
    pub charges: Vec<(Uuid, i64)>,
    pub payouts: Vec<(Uuid, i64)>,
    pub group_fee_minor: i64,
}

/// Computes a cycle's settlement from its delivered lines (households by account, producers by
/// organisation).
pub async fn compute_settlement(
    state: &AppState,
    c: &CycleRow,
) -> Result<SettlementView, AppError> {
    let lines = store::lines(&state.db, c.id).await?;
    let orders: HashMap<Uuid, OrderRow> = store::orders(&state.db, c.id)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let products: HashMap<Uuid, CycleProductRow> = store::products(&state.db, c.id)
        .await?
        .into_iter()
        .map(|p| (p.product_id, p))
        .collect();
    let producers: HashMap<Uuid, CycleProducerRow> = store::producers(&state.db, c.id)
        .await?
        .into_iter()
        .map(|p| (p.producer_id, p))
        .collect();
    let mut delivered = Vec::with_capacity(lines.len());
    for l in &lines {
        let q = l.delivered_milli.unwrap_or(0);
        let (Some(order), Some(product)) = (orders.get(&l.order_id), products.get(&l.product_id))
        else {
            continue;
        };
        if q == 0 {
            continue;
        }
        delivered.push(DeliveredLine {
            household: order.account_id,
            producer: product.producer_id,
            price_minor: product.price_minor,
            delivered_milli: q,
            markup: markup(c, producers.get(&product.producer_id)),
        });
    }
    let s = pricing::settle(&delivered)?;
    Ok(SettlementView {
        charges: s.charges.clone(),
        payouts: s.payouts.clone(),
        group_fee_minor: s.group_fee_minor,
    })
}

/// The organisation's account in `currency`.
async fn org_account(
    state: &AppState,
    org: Uuid,
    currency: &str,
) -> Result<Option<Uuid>, AppError> {
    Ok(
        distretto_store::accounts::of_owner(&state.db, "organization", org)
            .await?
            .into_iter()
            .find(|a| a.currency == currency)
            .map(|a| a.id),
    )
}

/// Why a settlement could not be posted, for the page: households whose credit does not cover
/// their charge (account, charge, available), and producers who cannot receive.
#[derive(Debug, Clone, Default)]
pub struct Shortfalls {
    pub households: Vec<(Uuid, i64, i64)>,
    pub producers: Vec<Uuid>,
}

/// Settles a delivered cycle, once. In district credit every household's charge goes to the
/// group's account and the group pays each producer, all in one ledger command (nothing moves
/// if anything is refused); households in `paid_in_euro` are recorded as paid in euro instead.
/// In euro everything is recorded as paid in euro. A second settlement of the same cycle does
/// nothing and answers `Ok(None)`.
pub async fn settle(
    state: &AppState,
    actor: &Actor,
    cycle_id: Uuid,
    paid_in_euro: &HashSet<Uuid>,
) -> Result<Option<Shortfalls>, AppError> {
    let before = run_cycle(state, actor, cycle_id).await?;
    let out = settle_cycle(state, actor, &before, paid_in_euro).await?;
    if out.is_none() && before.status != "settled" {
        crate::audit::record_now(
            state,
            distretto_domain::audit::AuditKind::Settlement,
            Some(actor.id),
            format!("cycle:{cycle_id}"),
            format!("{} #{} in {}", before.name, before.number, before.currency),
        )
        .await;
    }
    Ok(out)
}

/// Settles cycle `c`, as read (and its running checked) by [`settle`].
async fn settle_cycle(
    state: &AppState,
    actor: &Actor,
    c: &CycleRow,
    paid_in_euro: &HashSet<Uuid>,
) -> Result<Option<Shortfalls>, AppError> {
    let cycle_id = c.id;
    if c.status == "settled" {
        return Ok(None);
    }
    if c.status != "delivered" {
        return Err(AppError::conflict("cycle_not_delivered"));
    }
    let s = compute_settlement(state, c).await?;
    let in_credit = c.currency == state.config.currency.code;
    let group_account = org_account(state, c.group_id, &state.config.currency.code)
        .await?
        .ok_or(AppError::conflict("no_account"))?;
    let mut rows = Vec::with_capacity(s.charges.len() + s.payouts.len() + 1);
    let mut shortfalls = Shortfalls::default();
    let mut producer_legs = Vec::with_capacity(s.payouts.len());
    for (producer, amount) in &s.payouts {
        match org_account(state, *producer, &state.config.currency.code).await? {
            Some(account) => {
                rows.push(settlement_row(cycle_id, account, "producer", *amount));
                producer_legs.push((account, *amount));
            }
            None => shortfalls.producers.push(*producer),
        }
    }
    let mut household_legs = Vec::with_capacity(s.charges.len());
    for (household, amount) in &s.charges {
        let role = if in_credit && !paid_in_euro.contains(household) {
            "household"
        } else {
            "household_euro"
        };
        rows.push(settlement_row(cycle_id, *household, role, *amount));
        if role == "household" {
            household_legs.push((*household, *amount));
        }
    }
    rows.push(settlement_row(
        cycle_id,
        group_account,
        "group",
        s.group_fee_minor,
    ));
    if in_credit {
        let ids: Vec<Uuid> = household_legs.iter().map(|h| h.0).collect();
        for (id, balance, credit_limit, _) in
            distretto_store::clearing::headroom(&state.db, &ids).await?
        {
            let charge = household_legs.iter().find(|h| h.0 == id).map_or(0, |h| h.1);
            let available = balance.saturating_add(credit_limit);
            if charge > available {
                shortfalls.households.push((id, charge, available));
            }
        }
    }
    if !shortfalls.households.is_empty() || !shortfalls.producers.is_empty() {
        return Ok(Some(shortfalls));
    }
    store::plan_settlement(&state.db, cycle_id, &rows)
        .await
        .map_err(|_| AppError::conflict("cycle_not_delivered"))?;
    if !in_credit {
        return match store::settle_outside_ledger(
            &state.db,
            cycle_id,
            actor.id,
            distretto_store::now(),
        )
        .await
        {
            // Conflict: settled meanwhile by a concurrent request, which is the same outcome.
            Ok(()) | Err(distretto_store::StoreError::Conflict) => Ok(None),
            Err(e) => Err(e.into()),
        };
    }
    post_settlement(
        state,
        actor,
        c,
        group_account,
        &household_legs,
        &producer_legs,
    )
    .await
}

fn settlement_row(
    cycle_id: Uuid,
    account_id: Uuid,
    role: &str,
    amount_minor: i64,
) -> SettlementRow {
    SettlementRow {
        cycle_id,
        account_id,
        role: role.to_owned(),
        amount_minor,
        transfer_id: None,
    }
}

/// Posts the settlement: households pay the group first, then the group pays producers, so
/// the group's balance never dips below what it held.
async fn post_settlement(
    state: &AppState,
    actor: &Actor,
    c: &CycleRow,
    group_account: Uuid,
    households: &[(Uuid, i64)],
    producers: &[(Uuid, i64)],
) -> Result<Option<Shortfalls>, AppError> {
    let memo = format!("{} #{}", c.name, c.number);
    let mut legs: Vec<NewLeg> = households
        .iter()
        .filter(|h| h.1 > 0)
        .map(|(h, amount)| {
            NewLeg::new(
                TransferKind::Purchase,
                *h,
                group_account,
                *amount,
                memo.clone(),
            )
        })
        .collect();
    legs.extend(producers.iter().filter(|p| p.1 > 0).map(|(p, amount)| {
        NewLeg::new(
            TransferKind::Purchase,
            group_account,
            *p,
            *amount,
            memo.clone(),
        )
    }));
    if legs.is_empty() {
        store::settle_outside_ledger(&state.db, c.id, actor.id, distretto_store::now())
            .await
            .ok();
        return Ok(None);
    }
    let command = Command {
        legs,
        effect: Effect::Purchase(c.id),
        idempotency: None,
        created_by: Some(actor.id),
    };
    match state.ledger.submit(command).await {
        Ok(_) => Ok(None),
        // Settled meanwhile by a concurrent request: the money moved once.
        Err(distretto_store::ledger::CommandError::Purchase("cycle_not_delivered")) => {
            let now = store::cycle(&state.db, c.id).await?;
            if now.status == "settled" {
                Ok(None)
            } else {
                Err(AppError::conflict("cycle_not_delivered"))
            }
        }
        Err(e) => Err(crate::ledger::service::command_error(e)),
    }
}

/// A refusal of the wrong kind for a page: 422 and 409 re-render the form.
pub fn is_form_error(e: &AppError) -> bool {
    e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::CONFLICT
}

/// How often `serve` closes cycles whose closing time passed.
pub const CLOSE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Closes due cycles every minute, for as long as the server runs.
pub async fn close_loop(state: AppState, stop: crate::background::Stop) {
    let mut ticks = crate::background::every("cycles_close", CLOSE_EVERY, stop);
    while ticks.next().await {
        let done = close_due(&state).await;
        ticks.done(&state, done.is_ok());
        match done {
            Ok(0) => {}
            Ok(n) => tracing::info!(cycles = n, "order cycles closed at their closing time"),
            Err(e) => tracing::warn!(code = e.code, "closing order cycles failed"),
        }
    }
}
