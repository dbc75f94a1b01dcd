//! Producers' products (with their photos) and purchasing groups' pickup points.

use crate::{Db, Result, StoreError, with_pool};
use time::OffsetDateTime;
use uuid::Uuid;

/// The most products one producer's catalogue holds.
pub const MAX_PRODUCTS: i64 = 5_000;
/// The most pickup points one group has.
pub const MAX_PICKUPS: i64 = 200;

pub(crate) const PRODUCT_COLUMNS: &str = "id, producer_id, sku, name, description, unit, step_milli, package_size_milli, price_euro_minor, price_credit_minor, vat_basis_points, origin, certifications, season_months, stock_milli, active, created_at, updated_at";
const PICKUP_COLUMNS: &str = "id, group_id, name, address, lat, lon, active, created_at";

/// A product of a producer's catalogue (its photo is read apart).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ProductRow {
    pub id: Uuid,
    pub producer_id: Uuid,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub unit: String,
    pub step_milli: i64,
    pub package_size_milli: i64,
    pub price_euro_minor: Option<i64>,
    pub price_credit_minor: Option<i64>,
    pub vat_basis_points: i32,
    pub origin: String,
    /// Certification codes separated by commas.
    pub certifications: String,
    pub season_months: i32,
    pub stock_milli: Option<i64>,
    pub active: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A pickup point of a purchasing group.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct PickupRow {
    pub id: Uuid,
    pub group_id: Uuid,
    pub name: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub active: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

pub(crate) fn products_sql(rows: usize) -> String {
    format!(
        "INSERT INTO products ({PRODUCT_COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, 18)
    )
}

macro_rules! bind_product {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.producer_id)
            .bind(&r.sku)
            .bind(&r.name)
            .bind(&r.description)
            .bind(&r.unit)
            .bind(r.step_milli)
            .bind(r.package_size_milli)
            .bind(r.price_euro_minor)
            .bind(r.price_credit_minor)
            .bind(r.vat_basis_points)
            .bind(&r.origin)
            .bind(&r.certifications)
            .bind(r.season_months)
            .bind(r.stock_milli)
            .bind(r.active)
            .bind(r.created_at)
            .bind(r.updated_at)
    }};
}
pub(crate) use bind_product;

pub(crate) fn pickups_sql(rows: usize) -> String {
    format!(
        "INSERT INTO pickup_points ({PICKUP_COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, 8)
    )
}

macro_rules! bind_pickup {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.group_id)
            .bind(&r.name)
            .bind(&r.address)
            .bind(r.lat)
            .bind(r.lon)
            .bind(r.active)
            .bind(r.created_at)
    }};
}
pub(crate) use bind_pickup;

const UPDATE_PRODUCT_SQL: &str = "UPDATE products SET sku = $3, name = $4, description = $5, unit = $6, step_milli = $7, \
     package_size_milli = $8, price_euro_minor = $9, price_credit_minor = $10, vat_basis_points = $11, \
     origin = $12, certifications = $13, season_months = $14, stock_milli = $15, active = $16, updated_at = $17 \
     WHERE id = $1 AND producer_id = $2";

/// Runs [`UPDATE_PRODUCT_SQL`] for row `$r` as product `$id` of `$producer` on `$executor`.
macro_rules! update_product_in {
    ($executor:expr, $id:expr, $producer:expr, $r:expr) => {{
        let r = $r;
        sqlx::query(UPDATE_PRODUCT_SQL)
            .bind($id)
            .bind($producer)
            .bind(&r.sku)
            .bind(&r.name)
            .bind(&r.description)
            .bind(&r.unit)
            .bind(r.step_milli)
            .bind(r.package_size_milli)
            .bind(r.price_euro_minor)
            .bind(r.price_credit_minor)
            .bind(r.vat_basis_points)
            .bind(&r.origin)
            .bind(&r.certifications)
            .bind(r.season_months)
            .bind(r.stock_milli)
            .bind(r.active)
            .bind(r.updated_at)
            .execute($executor)
            .await
            .map_err(StoreError::from_write)
            .map(|done| done.rows_affected())
    }};
}

/// Adds products (ids chosen by the caller). `Conflict` when a sku is already in the
/// producer's catalogue; nothing is written then.
pub async fn insert_products(db: &Db, rows: &[ProductRow]) -> Result<()> {
    crate::insert_table!(db, rows, 18, products_sql, |q, r| bind_product!(q, r))
}

/// Imports a catalogue in one transaction: a product whose sku is already in the producer's
/// catalogue is updated in place (its id, orders and photo kept), the others are added.
/// Nothing is written if any row fails. Returns (added, updated).
pub async fn import_products(db: &Db, producer: Uuid, rows: &[ProductRow]) -> Result<(u64, u64)> {
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        let existing: Vec<(String, Uuid)> = sqlx::query_as("SELECT sku, id FROM products WHERE producer_id = $1 LIMIT $2")
            .bind(producer).bind(MAX_PRODUCTS * 2).fetch_all(&mut *tx).await?;
        let existing: std::collections::HashMap<String, Uuid> = existing.into_iter().collect();
        let (updates, inserts): (Vec<&ProductRow>, Vec<&ProductRow>) =
            rows.iter().partition(|r| existing.contains_key(&r.sku));
        for r in &updates {
            let id = existing.get(&r.sku).copied().unwrap_or(r.id);
            update_product_in!(&mut *tx, id, producer, *r)?;
        }
        let inserts: Vec<ProductRow> = inserts.into_iter().cloned().collect();
        crate::insert_rows!(tx, sqlite, &inserts, 18, products_sql, |q, r| bind_product!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>((inserts.len() as u64, updates.len() as u64))
    })
}

/// Changes a product of `producer` (every field but id, producer and creation). `NotFound`
/// when it is not theirs; `Conflict` when the new sku is taken.
pub async fn update_product(db: &Db, r: &ProductRow) -> Result<()> {
    let done = with_pool!(db.write(), pool => update_product_in!(pool, r.id, r.producer_id, r))?;
    if done == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// One product.
pub async fn product(db: &Db, id: Uuid) -> Result<ProductRow> {
    let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE id = $1");
    with_pool!(db.read(), pool => sqlx::query_as::<_, ProductRow>(&sql).bind(id).fetch_optional(pool).await)?
        .ok_or(StoreError::NotFound)
}

/// A producer's catalogue by name (bounded); `active_only` hides withdrawn products.
pub async fn products_of(db: &Db, producer: Uuid, active_only: bool) -> Result<Vec<ProductRow>> {
    let filter = if active_only { " AND active" } else { "" };
    let sql = format!(
        "SELECT {PRODUCT_COLUMNS} FROM products WHERE producer_id = $1{filter} ORDER BY name, sku LIMIT $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, ProductRow>(&sql).bind(producer).bind(MAX_PRODUCTS).fetch_all(pool).await)?,
    )
}

/// Stores a product's photo (replacing any earlier one).
pub async fn set_photo(db: &Db, product: Uuid, content_type: &str, bytes: &[u8]) -> Result<()> {
    let done = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE products SET photo_type = $2, photo = $3 WHERE id = $1")
        .bind(product).bind(content_type).bind(bytes).execute(pool).await.map(|r| r.rows_affected()))?;
    if done == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// A product's photo: (content type, bytes).
pub async fn photo(db: &Db, product: Uuid) -> Result<Option<(String, Vec<u8>)>> {
    let row: Option<(Option<String>, Option<Vec<u8>>)> = with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT photo_type, photo FROM products WHERE id = $1").bind(product).fetch_optional(pool).await)?;
    Ok(row.and_then(|(t, b)| Some((t?, b?))))
}

/// Which of the given products have a photo.
pub async fn with_photo(db: &Db, producer: Uuid) -> Result<Vec<Uuid>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT id FROM products WHERE producer_id = $1 AND photo IS NOT NULL LIMIT $2")
        .bind(producer).bind(MAX_PRODUCTS).fetch_all(pool).await)?)
}

/// Adds a pickup point.
pub async fn insert_pickup(db: &Db, row: &PickupRow) -> Result<()> {
    crate::insert_table!(
        db,
        std::slice::from_ref(row),
        8,
        pickups_sql,
        |q, r| bind_pickup!(q, r)
    )
}

/// A group's pickup points by name (bounded).
pub async fn pickups_of(db: &Db, group: Uuid) -> Result<Vec<PickupRow>> {
    let sql = format!(
        "SELECT {PICKUP_COLUMNS} FROM pickup_points WHERE group_id = $1 AND active ORDER BY name LIMIT $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, PickupRow>(&sql).bind(group).bind(MAX_PICKUPS).fetch_all(pool).await)?,
    )
}

/// One pickup point.
pub async fn pickup(db: &Db, id: Uuid) -> Result<PickupRow> {
    let sql = format!("SELECT {PICKUP_COLUMNS} FROM pickup_points WHERE id = $1");
    with_pool!(db.read(), pool => sqlx::query_as::<_, PickupRow>(&sql).bind(id).fetch_optional(pool).await)?
        .ok_or(StoreError::NotFound)
}

/// Withdraws (`active = false`) or restores a product of `producer`. `NotFound` when it is not
/// theirs.
pub async fn set_product_active(db: &Db, producer: Uuid, id: Uuid, active: bool) -> Result<()> {
    let done = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE products SET active = $3, updated_at = $4 WHERE id = $1 AND producer_id = $2")
        .bind(id).bind(producer).bind(active).bind(crate::now())
        .execute(pool).await.map(|r| r.rows_affected()))?;
    if done == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// How many products (active or withdrawn) a producer's catalogue holds.
pub async fn product_count(db: &Db, producer: Uuid) -> Result<i64> {
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM products WHERE producer_id = $1")
        .bind(producer).fetch_one(pool).await)?)
}

/// A producer whose catalogue has active products, for the purchasing home page.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ProducerSummary {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub locality: String,
    /// Active products in the catalogue.
    pub products: i64,
}

/// Active organisations of the given kinds with at least one active product, by name
/// (at most `limit`).
pub async fn producers_with_products(
    db: &Db,
    kinds: &[&str],
    limit: i64,
) -> Result<Vec<ProducerSummary>> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT o.id, o.name, o.kind, o.locality, COUNT(p.id) AS products \
         FROM organizations o JOIN products p ON p.producer_id = o.id AND p.active \
         WHERE o.status = 'active' AND o.kind IN ({}) \
         GROUP BY o.id, o.name, o.kind, o.locality, o.sort_name ORDER BY o.sort_name, o.id LIMIT $1",
        placeholders.join(", ")
    );
    with_pool!(db.read(), pool => {
        let mut q = sqlx::query_as::<_, ProducerSummary>(&sql).bind(limit);
        for k in kinds {
            q = q.bind(*k);
        }
        Ok(q.fetch_all(pool).await?)
    })
}

/// Withdraws a pickup point of `group` (it stays in past cycles). `NotFound` when it is not
/// theirs.
pub async fn withdraw_pickup(db: &Db, group: Uuid, id: Uuid) -> Result<()> {
    let done = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE pickup_points SET active = $3 WHERE id = $1 AND group_id = $2")
        .bind(id).bind(group).bind(false).execute(pool).await.map(|r| r.rows_affected()))?;
    if done == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
