//! Order cycles: opening with their producers, products and pickup points; households' orders
//! and lines (taking from limited stock in the same transaction); the close (whole packages
//! and tolerances, decided by the caller's plan inside the closing transaction); delivery with
//! food miles; and the settlement record.

use crate::{Db, Result, StoreError, with_pool};
use time::OffsetDateTime;
use uuid::Uuid;

/// The most lines one cycle holds (500 households × 40 products, and room to spare).
pub const MAX_LINES: i64 = 200_000;
/// The most lines one household's order holds.
pub const MAX_ORDER_LINES: i64 = 500;
/// The most cycles a list shows.
pub const MAX_CYCLES: i64 = 200;

pub(crate) const CYCLE_COLUMNS: &str = "id, group_id, number, name, currency, opens_at, closes_at, group_fee_basis_points, status, note, created_by, created_at, closed_at, delivered_at, settled_by, settled_at";
pub(crate) const ORDER_COLUMNS: &str =
    "id, cycle_id, person_id, account_id, pickup_id, created_at, updated_at";
pub(crate) const CYCLE_PRODUCT_COLUMNS: &str =
    "cycle_id, product_id, producer_id, price_minor, step_milli, package_size_milli, packages";
pub(crate) const LINE_COLUMNS: &str = "order_id, product_id, beneficiary, quantity_milli, tolerance_milli, arrival, allocated_milli, delivered_milli, substitute_for, updated_at";

/// An order cycle.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct CycleRow {
    pub id: Uuid,
    pub group_id: Uuid,
    pub number: i64,
    pub name: String,
    pub currency: String,
    #[serde(with = "time::serde::rfc3339")]
    pub opens_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub closes_at: OffsetDateTime,
    pub group_fee_basis_points: i32,
    /// `open`, `closed`, `delivered`, `settled` or `cancelled`.
    pub status: String,
    pub note: String,
    pub created_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub delivered_at: Option<OffsetDateTime>,
    pub settled_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub settled_at: Option<OffsetDateTime>,
}

/// A producer taking part in a cycle.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct CycleProducerRow {
    pub cycle_id: Uuid,
    pub producer_id: Uuid,
    pub minimum_minor: Option<i64>,
    pub transport_basis_points: i32,
    pub minimum_met: Option<bool>,
}

/// A product offered in a cycle at the cycle currency's price.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct CycleProductRow {
    pub cycle_id: Uuid,
    pub product_id: Uuid,
    pub producer_id: Uuid,
    pub price_minor: i64,
    pub step_milli: i64,
    pub package_size_milli: i64,
    pub packages: Option<i64>,
}

/// A pickup point of a cycle with its time window.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct CyclePickupRow {
    pub cycle_id: Uuid,
    pub pickup_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
}

/// A household's order.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct OrderRow {
    pub id: Uuid,
    pub cycle_id: Uuid,
    pub person_id: Uuid,
    pub account_id: Uuid,
    pub pickup_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A line of an order.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct LineRow {
    pub order_id: Uuid,
    pub product_id: Uuid,
    /// '' for the household itself, or the friend it orders for.
    pub beneficiary: String,
    pub quantity_milli: i64,
    pub tolerance_milli: i64,
    pub arrival: i64,
    pub allocated_milli: Option<i64>,
    pub delivered_milli: Option<i64>,
    pub substitute_for: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// What arrived from a producer at a pickup point.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct DeliveryRow {
    pub cycle_id: Uuid,
    pub producer_id: Uuid,
    pub pickup_id: Uuid,
    pub distance_m: Option<i64>,
    pub weight_g: i64,
    pub recorded_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
}

/// One amount of a cycle's settlement.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct SettlementRow {
    pub cycle_id: Uuid,
    pub account_id: Uuid,
    /// `household`, `producer` or `group`.
    pub role: String,
    pub amount_minor: i64,
    pub transfer_id: Option<Uuid>,
}

pub(crate) fn cycles_sql(rows: usize) -> String {
    format!(
        "INSERT INTO order_cycles ({CYCLE_COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, 16)
    )
}

macro_rules! bind_cycle {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.group_id)
            .bind(r.number)
            .bind(&r.name)
            .bind(&r.currency)
            .bind(r.opens_at)
            .bind(r.closes_at)
            .bind(r.group_fee_basis_points)
            .bind(&r.status)
            .bind(&r.note)
            .bind(r.created_by)
            .bind(r.created_at)
            .bind(r.closed_at)
            .bind(r.delivered_at)
            .bind(r.settled_by)
            .bind(r.settled_at)
    }};
}
pub(crate) use bind_cycle;

pub(crate) fn cycle_producers_sql(rows: usize) -> String {
    format!(
        "INSERT INTO cycle_producers (cycle_id, producer_id, minimum_minor, transport_basis_points, minimum_met) VALUES {}",
        crate::values_placeholders(rows, 5)
    )
}

macro_rules! bind_cycle_producer {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.cycle_id)
            .bind(r.producer_id)
            .bind(r.minimum_minor)
            .bind(r.transport_basis_points)
            .bind(r.minimum_met)
    }};
}
pub(crate) use bind_cycle_producer;

pub(crate) fn cycle_products_sql(rows: usize) -> String {
    format!(
        "INSERT INTO cycle_products ({CYCLE_PRODUCT_COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, 7)
    )
}

macro_rules! bind_cycle_product {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.cycle_id)
            .bind(r.product_id)
            .bind(r.producer_id)
            .bind(r.price_minor)
            .bind(r.step_milli)
            .bind(r.package_size_milli)
            .bind(r.packages)
    }};
}
pub(crate) use bind_cycle_product;

pub(crate) fn cycle_pickups_sql(rows: usize) -> String {
    format!(
        "INSERT INTO cycle_pickups (cycle_id, pickup_id, starts_at, ends_at) VALUES {}",
        crate::values_placeholders(rows, 4)
    )
}

macro_rules! bind_cycle_pickup {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.cycle_id)
            .bind(r.pickup_id)
            .bind(r.starts_at)
            .bind(r.ends_at)
    }};
}
pub(crate) use bind_cycle_pickup;

pub(crate) fn orders_sql(rows: usize) -> String {
    format!(
        "INSERT INTO orders ({ORDER_COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, 7)
    )
}

macro_rules! bind_order {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.cycle_id)
            .bind(r.person_id)
            .bind(r.account_id)
            .bind(r.pickup_id)
            .bind(r.created_at)
            .bind(r.updated_at)
    }};
}
pub(crate) use bind_order;

pub(crate) fn lines_sql(rows: usize) -> String {
    format!(
        "INSERT INTO order_lines ({LINE_COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, 10)
    )
}

macro_rules! bind_line {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.order_id)
            .bind(r.product_id)
            .bind(&r.beneficiary)
            .bind(r.quantity_milli)
            .bind(r.tolerance_milli)
            .bind(r.arrival)
            .bind(r.allocated_milli)
            .bind(r.delivered_milli)
            .bind(r.substitute_for)
            .bind(r.updated_at)
    }};
}
pub(crate) use bind_line;

pub(crate) fn deliveries_sql(rows: usize) -> String {
    format!(
        "INSERT INTO deliveries (cycle_id, producer_id, pickup_id, distance_m, weight_g, recorded_by, recorded_at) VALUES {}",
        crate::values_placeholders(rows, 7)
    )
}

macro_rules! bind_delivery {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.cycle_id)
            .bind(r.producer_id)
            .bind(r.pickup_id)
            .bind(r.distance_m)
            .bind(r.weight_g)
            .bind(r.recorded_by)
            .bind(r.recorded_at)
    }};
}
pub(crate) use bind_delivery;

pub(crate) fn settlements_sql(rows: usize) -> String {
    format!(
        "INSERT INTO cycle_settlements (cycle_id, account_id, role, amount_minor, transfer_id) VALUES {}",
        crate::values_placeholders(rows, 5)
    )
}

macro_rules! bind_settlement {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.cycle_id)
            .bind(r.account_id)
            .bind(&r.role)
            .bind(r.amount_minor)
            .bind(r.transfer_id)
    }};
}
pub(crate) use bind_settlement;

// ---------- cycles ----------

/// A cycle with what it offers, as opened.
#[derive(Debug, Clone, Default)]
pub struct NewCycle {
    pub producers: Vec<CycleProducerRow>,
    pub products: Vec<CycleProductRow>,
    pub pickups: Vec<CyclePickupRow>,
}

/// Opens a cycle, numbering it after the group's last one, with its producers, products and
/// pickup points, in one transaction.
pub async fn open_cycle(db: &Db, cycle: &CycleRow, parts: &NewCycle) -> Result<CycleRow> {
    let sqlite = db.backend() == "sqlite";
    let mut cycle = cycle.clone();
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(number) FROM order_cycles WHERE group_id = $1")
            .bind(cycle.group_id).fetch_one(&mut *tx).await?;
        cycle.number = last.unwrap_or(0) + 1;
        crate::insert_rows!(tx, sqlite, std::slice::from_ref(&cycle), 16, cycles_sql, |q, r| bind_cycle!(q, r));
        crate::insert_rows!(tx, sqlite, &parts.producers, 5, cycle_producers_sql, |q, r| bind_cycle_producer!(q, r));
        crate::insert_rows!(tx, sqlite, &parts.products, 7, cycle_products_sql, |q, r| bind_cycle_product!(q, r));
        crate::insert_rows!(tx, sqlite, &parts.pickups, 4, cycle_pickups_sql, |q, r| bind_cycle_pickup!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })?;
    Ok(cycle)
}

/// One cycle.
pub async fn cycle(db: &Db, id: Uuid) -> Result<CycleRow> {
    let sql = format!("SELECT {CYCLE_COLUMNS} FROM order_cycles WHERE id = $1");
    with_pool!(db.read(), pool => sqlx::query_as::<_, CycleRow>(&sql).bind(id).fetch_optional(pool).await)?
        .ok_or(StoreError::NotFound)
}

/// A group's cycles, newest first (bounded).
pub async fn cycles_of_group(db: &Db, group: Uuid) -> Result<Vec<CycleRow>> {
    let sql = format!(
        "SELECT {CYCLE_COLUMNS} FROM order_cycles WHERE group_id = $1 ORDER BY number DESC LIMIT $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, CycleRow>(&sql).bind(group).bind(MAX_CYCLES).fetch_all(pool).await)?,
    )
}

/// Cycles not yet settled or cancelled, by closing time (bounded): what households see.
pub async fn current_cycles(db: &Db) -> Result<Vec<CycleRow>> {
    let sql = format!(
        "SELECT {CYCLE_COLUMNS} FROM order_cycles WHERE status IN ('open', 'closed', 'delivered') ORDER BY closes_at, id LIMIT $1"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, CycleRow>(&sql).bind(MAX_CYCLES).fetch_all(pool).await)?,
    )
}

/// Open cycles whose closing time has passed (for the close loop).
pub async fn due_to_close(db: &Db, now: OffsetDateTime) -> Result<Vec<Uuid>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT id FROM order_cycles WHERE status = 'open' AND closes_at <= $1 ORDER BY closes_at LIMIT $2")
        .bind(now).bind(MAX_CYCLES).fetch_all(pool).await)?)
}

/// The cycles a producer takes part in, newest first (bounded).
pub async fn cycles_of_producer(db: &Db, producer: Uuid) -> Result<Vec<CycleRow>> {
    let columns = prefixed(CYCLE_COLUMNS, "c");
    let sql = format!(
        "SELECT {columns} FROM order_cycles c JOIN cycle_producers p ON p.cycle_id = c.id \
         WHERE p.producer_id = $1 ORDER BY c.closes_at DESC LIMIT $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, CycleRow>(&sql).bind(producer).bind(MAX_CYCLES).fetch_all(pool).await)?,
    )
}

fn prefixed(columns: &str, table: &str) -> String {
    columns
        .split(", ")
        .map(|c| format!("{table}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A cycle's producers.
pub async fn producers(db: &Db, cycle: Uuid) -> Result<Vec<CycleProducerRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, CycleProducerRow>(
        "SELECT cycle_id, producer_id, minimum_minor, transport_basis_points, minimum_met FROM cycle_producers WHERE cycle_id = $1 ORDER BY producer_id LIMIT 500")
        .bind(cycle).fetch_all(pool).await)?,
    )
}

/// A cycle's products.
pub async fn products(db: &Db, cycle: Uuid) -> Result<Vec<CycleProductRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, CycleProductRow>(
        &format!("SELECT {CYCLE_PRODUCT_COLUMNS} FROM cycle_products WHERE cycle_id = $1 ORDER BY product_id LIMIT $2"))
        .bind(cycle).bind(crate::purchasing::catalogue::MAX_PRODUCTS).fetch_all(pool).await)?,
    )
}

/// A cycle's pickup points.
pub async fn pickups(db: &Db, cycle: Uuid) -> Result<Vec<CyclePickupRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, CyclePickupRow>(
        "SELECT cycle_id, pickup_id, starts_at, ends_at FROM cycle_pickups WHERE cycle_id = $1 ORDER BY starts_at, pickup_id LIMIT 200")
        .bind(cycle).fetch_all(pool).await)?,
    )
}

/// Cancels a cycle that is open or closed (not delivered): its orders stay on record, limited
/// stock goes back. `Conflict` when it moved on.
pub async fn cancel(db: &Db, id: Uuid, now: OffsetDateTime) -> Result<()> {
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        let done = sqlx::query("UPDATE order_cycles SET status = 'cancelled', closed_at = COALESCE(closed_at, $2) WHERE id = $1 AND status IN ('open', 'closed')")
            .bind(id).bind(now).execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        // What was still taken from stock goes back: allocated after a close, ordered before.
        sqlx::query(
            "UPDATE products SET stock_milli = stock_milli + COALESCE((SELECT SUM(COALESCE(l.allocated_milli, l.quantity_milli)) \
             FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.cycle_id = $1 AND l.product_id = products.id), 0) \
             WHERE stock_milli IS NOT NULL AND id IN (SELECT product_id FROM cycle_products WHERE cycle_id = $1)")
            .bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

// ---------- orders ----------

/// A household's order in a cycle, if any.
pub async fn order_of(db: &Db, cycle: Uuid, person: Uuid) -> Result<Option<OrderRow>> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE cycle_id = $1 AND person_id = $2");
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, OrderRow>(&sql).bind(cycle).bind(person).fetch_optional(pool).await)?,
    )
}

/// A cycle's orders (bounded).
pub async fn orders(db: &Db, cycle: Uuid) -> Result<Vec<OrderRow>> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE cycle_id = $1 ORDER BY created_at, id LIMIT $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, OrderRow>(&sql).bind(cycle).bind(MAX_LINES).fetch_all(pool).await)?,
    )
}

/// An order's lines (bounded).
pub async fn lines_of(db: &Db, order: Uuid) -> Result<Vec<LineRow>> {
    let sql = format!(
        "SELECT {LINE_COLUMNS} FROM order_lines WHERE order_id = $1 ORDER BY arrival, product_id, beneficiary LIMIT $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, LineRow>(&sql).bind(order).bind(MAX_ORDER_LINES).fetch_all(pool).await)?,
    )
}

/// Every line of a cycle (bounded), in arrival order.
pub async fn lines(db: &Db, cycle: Uuid) -> Result<Vec<LineRow>> {
    let columns = prefixed(LINE_COLUMNS, "l");
    let sql = format!(
        "SELECT {columns} FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.cycle_id = $1 \
         ORDER BY l.arrival, l.order_id, l.product_id, l.beneficiary LIMIT $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, LineRow>(&sql).bind(cycle).bind(MAX_LINES).fetch_all(pool).await)?,
    )
}

/// A line a household sets: the quantity and tolerance it wants now (0 removes the line).
#[derive(Debug, Clone)]
pub struct SetLine {
    pub cycle_id: Uuid,
    pub person_id: Uuid,
    /// The account charged, and the pickup point, used when the order is created.
    pub account_id: Uuid,
    pub pickup_id: Uuid,
    pub product_id: Uuid,
    pub beneficiary: String,
    pub quantity_milli: i64,
    pub tolerance_milli: i64,
    pub now: OffsetDateTime,
}

/// Why a line was not set (nothing changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineRefusal {
    /// The cycle is not open for orders now.
    CycleNotOpen,
    /// The product is not offered in this cycle.
    NotInCycle,
    /// Limited stock cannot cover the increase; this much is left (thousandths of a unit).
    OutOfStock { left_milli: i64 },
    /// The order already has the most lines it may.
    TooManyLines,
}

/// Sets one line of a household's order, creating the order on its first line, in one
/// transaction that also takes the change from limited stock: an increase is taken only if the
/// stock covers it (one conditional update, so concurrent orders never oversell), a decrease
/// gives back. The cycle must be open and before its closing time.
pub async fn set_line(db: &Db, l: &SetLine) -> Result<Result<Uuid, LineRefusal>> {
    let pg = db.backend() == "postgres";
    with_pool!(db.write(), pool => {
        let mut tx = if pg { pool.begin().await? } else { pool.begin_with("BEGIN IMMEDIATE").await? };
        // On PostgreSQL the share lock makes a concurrent close wait for this line, and this
        // line wait for a close in progress (which then finds it, or refuses it).
        let lock = if pg { " FOR SHARE" } else { "" };
        let open: Option<Uuid> = sqlx::query_scalar(&format!(
            "SELECT id FROM order_cycles WHERE id = $1 AND status = 'open' AND opens_at <= $2 AND closes_at > $2{lock}"))
            .bind(l.cycle_id).bind(l.now).fetch_optional(&mut *tx).await?;
        if open.is_none() {
            return Ok(Err(LineRefusal::CycleNotOpen));
        }
        let offered: Option<Uuid> = sqlx::query_scalar("SELECT product_id FROM cycle_products WHERE cycle_id = $1 AND product_id = $2")
            .bind(l.cycle_id).bind(l.product_id).fetch_optional(&mut *tx).await?;
        if offered.is_none() {
            return Ok(Err(LineRefusal::NotInCycle));
        }
        let order_id = order_for(&mut tx, l).await?;
        let before: Option<i64> = sqlx::query_scalar(
            "SELECT quantity_milli FROM order_lines WHERE order_id = $1 AND product_id = $2 AND beneficiary = $3")
            .bind(order_id).bind(l.product_id).bind(&l.beneficiary).fetch_optional(&mut *tx).await?;
        if before.is_none() && l.quantity_milli > 0 {
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM order_lines WHERE order_id = $1")
                .bind(order_id).fetch_one(&mut *tx).await?;
            if count >= MAX_ORDER_LINES {
                return Ok(Err(LineRefusal::TooManyLines));
            }
        }
        let increase = l.quantity_milli - before.unwrap_or(0);
        if increase != 0 {
            let taken = sqlx::query(
                "UPDATE products SET stock_milli = stock_milli - $2 WHERE id = $1 AND stock_milli IS NOT NULL AND stock_milli >= $2")
                .bind(l.product_id).bind(increase).execute(&mut *tx).await?.rows_affected();
            if taken == 0 {
                let left: Option<Option<i64>> = sqlx::query_scalar("SELECT stock_milli FROM products WHERE id = $1")
                    .bind(l.product_id).fetch_optional(&mut *tx).await?;
                if let Some(Some(left_milli)) = left {
                    return Ok(Err(LineRefusal::OutOfStock { left_milli }));
                }
            }
        }
        if l.quantity_milli == 0 {
            sqlx::query("DELETE FROM order_lines WHERE order_id = $1 AND product_id = $2 AND beneficiary = $3")
                .bind(order_id).bind(l.product_id).bind(&l.beneficiary).execute(&mut *tx).await?;
        } else {
            let arrival = l.now.unix_timestamp_nanos() / 1_000;
            sqlx::query(&format!(
                "INSERT INTO order_lines ({LINE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, NULL, $7) \
                 ON CONFLICT (order_id, product_id, beneficiary) DO UPDATE SET quantity_milli = excluded.quantity_milli, \
                 tolerance_milli = excluded.tolerance_milli, updated_at = excluded.updated_at"))
                .bind(order_id).bind(l.product_id).bind(&l.beneficiary).bind(l.quantity_milli).bind(l.tolerance_milli)
                .bind(i64::try_from(arrival).unwrap_or(i64::MAX)).bind(l.now).execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE orders SET updated_at = $2 WHERE id = $1").bind(order_id).bind(l.now).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(Ok(order_id))
    })
}

/// The household's order in the line's cycle, created if it has none yet.
async fn order_for<'c, DB>(tx: &mut sqlx::Transaction<'c, DB>, l: &SetLine) -> Result<Uuid>
where
    DB: sqlx::Database,
    for<'e> &'e mut <DB as sqlx::Database>::Connection: sqlx::Executor<'e, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    Uuid: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB> + for<'r> sqlx::Decode<'r, DB>,
    OffsetDateTime: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<<DB as sqlx::Database>::Row>,
{
    let existing: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM orders WHERE cycle_id = $1 AND person_id = $2")
            .bind(l.cycle_id)
            .bind(l.person_id)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let id = Uuid::now_v7();
    sqlx::query(&format!(
        "INSERT INTO orders ({ORDER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $6)"
    ))
    .bind(id)
    .bind(l.cycle_id)
    .bind(l.person_id)
    .bind(l.account_id)
    .bind(l.pickup_id)
    .bind(l.now)
    .execute(&mut **tx)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

/// Moves a household's order to another pickup point of its cycle while the cycle is open.
/// `Conflict` when the cycle is no longer open.
pub async fn set_pickup(db: &Db, order: Uuid, pickup: Uuid, now: OffsetDateTime) -> Result<()> {
    let done = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE orders SET pickup_id = $2, updated_at = $3 WHERE id = $1 AND EXISTS (SELECT 1 FROM order_cycles c \
         WHERE c.id = orders.cycle_id AND c.status = 'open' AND c.closes_at > $3) \
         AND EXISTS (SELECT 1 FROM cycle_pickups p WHERE p.cycle_id = orders.cycle_id AND p.pickup_id = $2)")
        .bind(order).bind(pickup).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    if done == 0 {
        return Err(StoreError::Conflict);
    }
    Ok(())
}

// ---------- close ----------

/// What the close decides, from the cycle's lines read in its own transaction.
#[derive(Debug, Clone, Default)]
pub struct ClosePlan {
    /// (order, product, beneficiary, allocated) for every line.
    pub allocated: Vec<(Uuid, Uuid, String, i64)>,
    /// (product, whole packages ordered from the producer).
    pub packages: Vec<(Uuid, i64)>,
    /// (producer, whether its minimum order was met).
    pub minimums: Vec<(Uuid, bool)>,
}

/// Closes an open cycle: reads its lines, products and producers inside the closing
/// transaction, lets `decide` plan the allocation, writes it, gives limited stock back for
/// what was not allocated, and marks the cycle closed. Returns `false` (nothing changed) when
/// the cycle was not open, so a retried close is harmless, or when `decide` returns no plan
/// (the transaction is rolled back and the cycle stays open).
pub async fn close<F>(db: &Db, id: Uuid, now: OffsetDateTime, decide: F) -> Result<bool>
where
    F: FnOnce(&[LineRow], &[CycleProductRow], &[CycleProducerRow]) -> Option<ClosePlan>,
{
    let pg = db.backend() == "postgres";
    with_pool!(db.write(), pool => {
        let mut tx = if pg { pool.begin().await? } else { pool.begin_with("BEGIN IMMEDIATE").await? };
        let lock = if pg { " FOR UPDATE" } else { "" };
        let open: Option<Uuid> = sqlx::query_scalar(&format!("SELECT id FROM order_cycles WHERE id = $1 AND status = 'open'{lock}"))
            .bind(id).fetch_optional(&mut *tx).await?;
        if open.is_none() {
            return Ok(false);
        }
        let columns = prefixed(LINE_COLUMNS, "l");
        let lines: Vec<LineRow> = sqlx::query_as(&format!(
            "SELECT {columns} FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.cycle_id = $1 \
             ORDER BY l.arrival, l.order_id, l.product_id, l.beneficiary LIMIT $2"))
            .bind(id).bind(MAX_LINES).fetch_all(&mut *tx).await?;
        let products: Vec<CycleProductRow> = sqlx::query_as(
            &format!("SELECT {CYCLE_PRODUCT_COLUMNS} FROM cycle_products WHERE cycle_id = $1 ORDER BY product_id"))
            .bind(id).fetch_all(&mut *tx).await?;
        let producers: Vec<CycleProducerRow> = sqlx::query_as(
            "SELECT cycle_id, producer_id, minimum_minor, transport_basis_points, minimum_met FROM cycle_producers WHERE cycle_id = $1 ORDER BY producer_id")
            .bind(id).fetch_all(&mut *tx).await?;
        let Some(plan) = decide(&lines, &products, &producers) else {
            return Ok(false);
        };
        let (allocated, given_back) = allocate_lines(&lines, &plan);
        // Deleting and inserting the lines in multi-row statements takes a few dozen
        // statements where one update per line would take 20,000 (the close of a big cycle).
        sqlx::query("DELETE FROM order_lines WHERE order_id IN (SELECT id FROM orders WHERE cycle_id = $1)")
            .bind(id).execute(&mut *tx).await?;
        crate::insert_rows!(tx, !pg, &allocated, 10, lines_sql, |q, r| bind_line!(q, r));
        for (product, packages) in &plan.packages {
            sqlx::query("UPDATE cycle_products SET packages = $3 WHERE cycle_id = $1 AND product_id = $2")
                .bind(id).bind(*product).bind(*packages).execute(&mut *tx).await?;
        }
        for (producer, met) in &plan.minimums {
            sqlx::query("UPDATE cycle_producers SET minimum_met = $3 WHERE cycle_id = $1 AND producer_id = $2")
                .bind(id).bind(*producer).bind(*met).execute(&mut *tx).await?;
        }
        for (product, milli) in given_back {
            sqlx::query("UPDATE products SET stock_milli = stock_milli + $2 WHERE id = $1 AND stock_milli IS NOT NULL")
                .bind(product).bind(milli).execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE order_cycles SET status = 'closed', closed_at = $2 WHERE id = $1")
            .bind(id).bind(now).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(true)
    })
}

/// The lines with their allocation, and the stock each limited product gets back (what was
/// ordered but not allocated).
fn allocate_lines(lines: &[LineRow], plan: &ClosePlan) -> (Vec<LineRow>, Vec<(Uuid, i64)>) {
    let allocated: std::collections::HashMap<(Uuid, Uuid, &str), i64> = plan
        .allocated
        .iter()
        .map(|(o, p, b, a)| ((*o, *p, b.as_str()), *a))
        .collect();
    let mut given_back: std::collections::BTreeMap<Uuid, i64> = std::collections::BTreeMap::new();
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let key = (l.order_id, l.product_id, l.beneficiary.as_str());
        let a = allocated.get(&key).copied().unwrap_or(0);
        if a < l.quantity_milli {
            *given_back.entry(l.product_id).or_default() += l.quantity_milli - a;
        }
        out.push(LineRow {
            allocated_milli: Some(a),
            ..l.clone()
        });
    }
    (out, given_back.into_iter().collect())
}

// ---------- delivery ----------

/// Records what arrived: the cycle's lines as delivered (every line with its delivered
/// quantity, substitutes included), products added to the cycle for substitutes, and the
/// deliveries with their distances. Replaces any earlier record; the cycle becomes delivered.
/// `Conflict` when the cycle is neither closed nor delivered (not yet closed, or settled).
pub async fn record_delivery(
    db: &Db,
    cycle: Uuid,
    lines: &[LineRow],
    extra_products: &[CycleProductRow],
    deliveries: &[DeliveryRow],
    now: OffsetDateTime,
) -> Result<()> {
    let pg = db.backend() == "postgres";
    with_pool!(db.write(), pool => {
        let mut tx = if pg { pool.begin().await? } else { pool.begin_with("BEGIN IMMEDIATE").await? };
        let done = sqlx::query(
            "UPDATE order_cycles SET status = 'delivered', delivered_at = $2 WHERE id = $1 AND status IN ('closed', 'delivered')")
            .bind(cycle).bind(now).execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        sqlx::query("DELETE FROM order_lines WHERE order_id IN (SELECT id FROM orders WHERE cycle_id = $1)")
            .bind(cycle).execute(&mut *tx).await?;
        crate::insert_rows!(tx, !pg, lines, 10, lines_sql, |q, r| bind_line!(q, r));
        crate::insert_rows!(tx, !pg, extra_products, 7, cycle_products_sql, |q, r| bind_cycle_product!(q, r));
        sqlx::query("DELETE FROM deliveries WHERE cycle_id = $1").bind(cycle).execute(&mut *tx).await?;
        crate::insert_rows!(tx, !pg, deliveries, 7, deliveries_sql, |q, r| bind_delivery!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// A cycle's deliveries.
pub async fn deliveries(db: &Db, cycle: Uuid) -> Result<Vec<DeliveryRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, DeliveryRow>(
        "SELECT cycle_id, producer_id, pickup_id, distance_m, weight_g, recorded_by, recorded_at FROM deliveries WHERE cycle_id = $1 \
         ORDER BY producer_id, pickup_id LIMIT 10000")
        .bind(cycle).fetch_all(pool).await)?,
    )
}

// ---------- settlement ----------

/// Replaces the planned settlement of a delivered cycle. `Conflict` when the cycle is not
/// delivered (settled already, or not yet delivered).
pub async fn plan_settlement(db: &Db, cycle: Uuid, rows: &[SettlementRow]) -> Result<()> {
    let pg = db.backend() == "postgres";
    with_pool!(db.write(), pool => {
        let mut tx = if pg { pool.begin().await? } else { pool.begin_with("BEGIN IMMEDIATE").await? };
        let lock = if pg { " FOR UPDATE" } else { "" };
        let delivered: Option<Uuid> = sqlx::query_scalar(&format!(
            "SELECT id FROM order_cycles WHERE id = $1 AND status = 'delivered'{lock}"))
            .bind(cycle).fetch_optional(&mut *tx).await?;
        if delivered.is_none() {
            return Err(StoreError::Conflict);
        }
        sqlx::query("DELETE FROM cycle_settlements WHERE cycle_id = $1").bind(cycle).execute(&mut *tx).await?;
        crate::insert_rows!(tx, !pg, rows, 5, settlements_sql, |q, r| bind_settlement!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// Marks a delivered cycle settled without the ledger (everything recorded as paid in euro).
/// `Conflict` when it is not delivered.
pub async fn settle_outside_ledger(
    db: &Db,
    cycle: Uuid,
    by: Uuid,
    now: OffsetDateTime,
) -> Result<()> {
    let done = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE order_cycles SET status = 'settled', settled_by = $2, settled_at = $3 WHERE id = $1 AND status = 'delivered'")
        .bind(cycle).bind(by).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    if done == 0 {
        return Err(StoreError::Conflict);
    }
    Ok(())
}

/// A cycle's settlement rows.
pub async fn settlement(db: &Db, cycle: Uuid) -> Result<Vec<SettlementRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, SettlementRow>(
        "SELECT cycle_id, account_id, role, amount_minor, transfer_id FROM cycle_settlements WHERE cycle_id = $1 \
         ORDER BY role, account_id LIMIT $2")
        .bind(cycle).bind(MAX_LINES).fetch_all(pool).await)?,
    )
}

/// A product as a cycle's order page shows it: what the cycle offers and the catalogue's words.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OfferRow {
    pub product_id: Uuid,
    pub producer_id: Uuid,
    pub price_minor: i64,
    pub step_milli: i64,
    pub package_size_milli: i64,
    pub packages: Option<i64>,
    pub name: String,
    pub sku: String,
    pub unit: String,
    pub stock_milli: Option<i64>,
    pub certifications: String,
    pub origin: String,
    pub has_photo: bool,
}

/// Everything a cycle offers with the catalogue's words, in one query (the order page is the
/// busiest page of a cycle: one query per product would cost more than the page).
pub async fn offer(db: &Db, cycle: Uuid) -> Result<Vec<OfferRow>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_as::<_, OfferRow>(
        "SELECT cp.product_id, cp.producer_id, cp.price_minor, cp.step_milli, cp.package_size_milli, cp.packages, \
         p.name, p.sku, p.unit, p.stock_milli, p.certifications, p.origin, p.photo IS NOT NULL AS has_photo \
         FROM cycle_products cp JOIN products p ON p.id = cp.product_id WHERE cp.cycle_id = $1 ORDER BY p.name, cp.product_id LIMIT $2")
        .bind(cycle).bind(crate::purchasing::catalogue::MAX_PRODUCTS).fetch_all(pool).await)?)
}

/// The names of a cycle's group and producers: (organisation, name).
pub async fn names(db: &Db, cycle: Uuid) -> Result<Vec<(Uuid, String)>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT o.id, o.name FROM organizations o WHERE o.id IN (SELECT producer_id FROM cycle_producers WHERE cycle_id = $1) \
         OR o.id = (SELECT group_id FROM order_cycles WHERE id = $1) LIMIT 1000")
        .bind(cycle).fetch_all(pool).await)?)
}

/// The names of the people who ordered in a cycle: (person, name), in one query.
pub async fn household_names(db: &Db, cycle: Uuid) -> Result<Vec<(Uuid, String)>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT p.id, p.name FROM people p WHERE p.id IN (SELECT person_id FROM orders WHERE cycle_id = $1) LIMIT $2")
        .bind(cycle).bind(MAX_LINES).fetch_all(pool).await)?)
}

/// A cycle's pickup points with their windows: (point, name, address, starts, ends).
pub async fn pickup_points(
    db: &Db,
    cycle: Uuid,
) -> Result<Vec<(Uuid, String, String, OffsetDateTime, OffsetDateTime)>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT p.id, p.name, p.address, c.starts_at, c.ends_at FROM cycle_pickups c JOIN pickup_points p ON p.id = c.pickup_id \
         WHERE c.cycle_id = $1 ORDER BY c.starts_at, p.name LIMIT 200")
        .bind(cycle).fetch_all(pool).await)?)
}
