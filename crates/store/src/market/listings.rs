//! Offers and needs as stored: publishing, search by words and distance, matching candidates,
//! take-ups, references, match notices, unmet needs, and the district document's rows.

use crate::export::read_all;
use crate::{Db, Result, StoreError, values_placeholders, with_pool};
use distretto_domain::market::listing::geo::{BoundingBox, GeoPoint, covering_cells, lon_scale};
use distretto_domain::market::listing::{
    ListingCategory, ListingDraft, ListingQuery, ListingSide, search_text,
};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// A listing as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ListingRow {
    pub id: Uuid,
    /// `offer` or `need`.
    pub side: String,
    pub kind: String,
    pub category: String,
    pub title: String,
    pub description: String,
    pub credit_minor: Option<i64>,
    pub euro_cents: Option<i64>,
    pub locality: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub available_from: Option<Date>,
    pub valid_until: Date,
    pub owner_person_id: Option<Uuid>,
    pub owner_organization_id: Option<Uuid>,
    pub author_id: Uuid,
    /// `open`, `taken_up` or `withdrawn`.
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Who a listing belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A person, for themselves.
    Person(Uuid),
    /// An organisation.
    Organization(Uuid),
}

impl ListingRow {
    /// A new open listing from a valid draft.
    pub fn from_draft(
        id: Uuid,
        d: &ListingDraft,
        owner: Owner,
        author: Uuid,
        now: OffsetDateTime,
    ) -> Self {
        let (owner_person_id, owner_organization_id) = match owner {
            Owner::Person(p) => (Some(p), None),
            Owner::Organization(o) => (None, Some(o)),
        };
        Self {
            id,
            side: d.side.code().into(),
            kind: d.kind.code().into(),
            category: d.category.code().into(),
            title: d.title.clone(),
            description: d.description.clone(),
            credit_minor: d.price.credit_minor,
            euro_cents: d.price.euro_cents,
            locality: d.locality.clone(),
            lat: d.point.map(|p| p.lat),
            lon: d.point.map(|p| p.lon),
            available_from: d.available_from,
            valid_until: d.valid_until,
            owner_person_id,
            owner_organization_id,
            author_id: author,
            status: "open".into(),
            created_at: now,
            updated_at: now,
        }
    }

    /// The listing's position, if it has one.
    pub fn point(&self) -> Option<GeoPoint> {
        GeoPoint::new(self.lat?, self.lon?)
    }
}

const COLUMNS: &str = "id, side, kind, category, title, description, credit_minor, euro_cents, locality, lat, lon, available_from, valid_until, owner_person_id, owner_organization_id, author_id, status, created_at, updated_at";
const INSERT_COLUMNS: usize = 21;

fn listings_sql(rows: usize) -> String {
    format!(
        "INSERT INTO market_listings ({COLUMNS}, search_text, cells) VALUES {}",
        values_placeholders(rows, INSERT_COLUMNS)
    )
}

macro_rules! bind_listing {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(&r.side)
            .bind(&r.kind)
            .bind(&r.category)
            .bind(&r.title)
            .bind(&r.description)
            .bind(r.credit_minor)
            .bind(r.euro_cents)
            .bind(&r.locality)
            .bind(r.lat)
            .bind(r.lon)
            .bind(r.available_from)
            .bind(r.valid_until)
            .bind(r.owner_person_id)
            .bind(r.owner_organization_id)
            .bind(r.author_id)
            .bind(&r.status)
            .bind(r.created_at)
            .bind(r.updated_at)
            .bind(search_text(&r.title, &r.description, &r.locality))
            .bind(distretto_domain::market::listing::geo::cell_tokens(
                r.point(),
            ))
    }};
}

/// Inserts listings in multi-row batches inside one transaction (publishing, demo, bench).
pub async fn insert_listings(db: &Db, rows: &[ListingRow]) -> Result<()> {
    crate::insert_table!(
        db,
        rows,
        INSERT_COLUMNS,
        listings_sql,
        |q, r| bind_listing!(q, r)
    )
}

/// One listing, whatever its status.
pub async fn get(db: &Db, id: Uuid) -> Result<ListingRow> {
    let sql = format!("SELECT {COLUMNS} FROM market_listings WHERE id = $1");
    with_pool!(db.read(), pool => sqlx::query_as::<_, ListingRow>(&sql).bind(id).fetch_optional(pool).await)?
        .ok_or(StoreError::NotFound)
}

/// A bound value of a dynamically built filter.
#[derive(Debug, Clone)]
enum Bind {
    Text(String),
    Real(f64),
    Day(Date),
}

/// The `FROM` and `WHERE` of a search: open, still valid, then words (full-text word
/// prefixes as in the directory), filters and the circle around a point (a bounding box, then
/// the squared equirectangular distance, which orders like the true distance).
///
/// On SQLite, words drive the query: the full-text index is the outer loop (`CROSS JOIN` fixes
/// the order, since the planner would otherwise walk an index of every open listing and probe
/// the word list for each), and each listing it returns is checked from
/// `market_listings_search_rows` alone. Words near a point go to the full-text index together
/// with the grid cells covering the circle (`geo::covering_cells`), so the index returns only
/// the listings that have both. Without words, the latitude index reads the box.
struct SearchFilter {
    from: &'static str,
    sql: String,
    binds: Vec<Bind>,
}

const LISTINGS: &str = "market_listings";
const WORDS_THEN_LISTINGS: &str = "market_listings_search CROSS JOIN market_listings \
     ON market_listings.search_key = market_listings_search.rowid";

fn search_filter(backend: &str, q: &ListingQuery, today: Date) -> SearchFilter {
    let mut binds = vec![Bind::Day(today)];
    let mut sql = String::from("status = 'open' AND valid_until >= $1");
    let mut from = LISTINGS;
    let cells = q
        .near
        .and_then(|(centre, radius_km)| covering_cells(centre, radius_km))
        .filter(|_| !q.words.is_empty());
    if !q.words.is_empty() {
        if backend == "sqlite" {
            from = WORDS_THEN_LISTINGS;
            let words = q
                .words
                .iter()
                .map(|w| format!("\"{w}\"*"))
                .collect::<Vec<_>>()
                .join(" ");
            binds.push(Bind::Text(match &cells {
                Some(cells) => format!(
                    "search_text : ({words}) AND cells : ({})",
                    cells.join(" OR ")
                ),
                None => format!("search_text : ({words})"),
            }));
            sql.push_str(&format!(
                " AND market_listings_search MATCH ${}",
                binds.len()
            ));
        } else {
            binds.push(Bind::Text(
                q.words
                    .iter()
                    .map(|w| format!("{w}:*"))
                    .collect::<Vec<_>>()
                    .join(" & "),
            ));
            sql.push_str(&format!(
                " AND to_tsvector('simple', search_text) @@ to_tsquery('simple', ${})",
                binds.len()
            ));
            if let Some(cells) = &cells {
                binds.push(Bind::Text(cells.join(" | ")));
                sql.push_str(&format!(
                    " AND to_tsvector('simple', cells) @@ to_tsquery('simple', ${})",
                    binds.len()
                ));
            }
        }
    }
    for (column, value) in [
        ("side", q.side.map(|s| s.code())),
        ("kind", q.kind.map(|k| k.code())),
        ("category", q.category.map(|c| c.code())),
    ] {
        if let Some(v) = value {
            binds.push(Bind::Text(v.to_owned()));
            sql.push_str(&format!(" AND {column} = ${}", binds.len()));
        }
    }
    if let Some((centre, radius_km)) = q.near {
        let n = binds.len();
        sql.push_str(&within_circle_sql(n + 1));
        binds.extend(circle_binds(centre, radius_km));
    }
    SearchFilter { from, sql, binds }
}

/// ` AND` the point lies within a circle, whose box and distance are bound from `$first` on
/// (the eight values of [`circle_binds`]): a range on latitude and longitude that an index can
/// read, then the squared distance in degrees² against the radius in degrees.
fn within_circle_sql(first: usize) -> String {
    let n = first;
    format!(
        " AND lat BETWEEN ${n} AND ${} AND lon BETWEEN ${} AND ${} AND {} <= ${}",
        n + 1,
        n + 2,
        n + 3,
        distance_sql(n + 4, n + 5, n + 6),
        n + 7
    )
}

/// The values [`within_circle_sql`] binds: the box, the centre with its longitude scale, and
/// the radius in degrees, squared.
fn circle_binds(centre: GeoPoint, radius_km: f64) -> [Bind; 8] {
    let b = BoundingBox::around(centre, radius_km);
    let deg = (radius_km / distretto_domain::market::listing::geo::EARTH_RADIUS_KM).to_degrees();
    [
        Bind::Real(b.min_lat),
        Bind::Real(b.max_lat),
        Bind::Real(b.min_lon),
        Bind::Real(b.max_lon),
        Bind::Real(centre.lat),
        Bind::Real(centre.lon),
        Bind::Real(lon_scale(centre.lat)),
        Bind::Real(deg * deg),
    ]
}

/// The squared equirectangular distance in degrees² from the bound point `$lat, $lon` with
/// longitude scale `$k`.
fn distance_sql(lat: usize, lon: usize, k: usize) -> String {
    format!("((lat - ${lat}) * (lat - ${lat}) + (lon - ${lon}) * ${k} * (lon - ${lon}) * ${k})")
}

macro_rules! bind_all {
    ($q:expr, $binds:expr) => {{
        let mut q = $q;
        for b in $binds {
            q = match b {
                Bind::Text(s) => q.bind(s.clone()),
                Bind::Real(f) => q.bind(*f),
                Bind::Day(d) => q.bind(*d),
            };
        }
        q
    }};
}

/// One page of open listings matching the query: nearest first around a point, else newest
/// first; and how many match in all.
pub async fn search(db: &Db, q: &ListingQuery, today: Date) -> Result<(Vec<ListingRow>, i64)> {
    let SearchFilter { from, sql, binds } = search_filter(db.backend(), q, today);
    let (order, order_binds) = match q.near {
        Some((centre, _)) => {
            let n = binds.len();
            let mut extra = binds.clone();
            extra.extend([
                Bind::Real(centre.lat),
                Bind::Real(centre.lon),
                Bind::Real(lon_scale(centre.lat)),
            ]);
            (format!("{}, id", distance_sql(n + 1, n + 2, n + 3)), extra)
        }
        None => ("created_at DESC, id".to_owned(), binds.clone()),
    };
    // The page's ids with the total in one pass (a window over every match), then the page's
    // rows: the sort holds ids, not whole listings.
    let page_sql = format!(
        "SELECT id, COUNT(*) OVER () FROM {from} WHERE {sql} ORDER BY {order} LIMIT {} OFFSET {}",
        q.limit, q.offset
    );
    let page: Vec<(Uuid, i64)> = with_pool!(db.read(), pool => {
        bind_all!(sqlx::query_as::<_, (Uuid, i64)>(&page_sql), &order_binds).fetch_all(pool).await
    })?;
    let total = match page.first() {
        Some((_, total)) => *total,
        None if q.offset == 0 => 0,
        // Past the last page: the window saw no row, count them.
        None => {
            let count_sql = format!("SELECT COUNT(*) FROM {from} WHERE {sql}");
            with_pool!(db.read(), pool => {
                bind_all!(sqlx::query_scalar::<_, i64>(&count_sql), &binds).fetch_one(pool).await
            })?
        }
    };
    let ids: Vec<Uuid> = page.iter().map(|(id, _)| *id).collect();
    let mut rows = by_ids(db, &ids).await?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    Ok((rows, total))
}

/// What matching reads of a candidate: no description.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Candidate {
    pub id: Uuid,
    pub category: String,
    pub title: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

const CANDIDATE_COLUMNS: &str = "id, category, title, lat, lon";

/// The first `max` open, valid listings of `side` in one of `categories` (codes), nearest
/// first within `km` of `point` (from `market_listings_candidates` alone); without a point, in
/// index order.
async fn candidates_in(
    db: &Db,
    side: ListingSide,
    categories: &[ListingCategory],
    point: Option<GeoPoint>,
    km: f64,
    today: Date,
    max: u32,
) -> Result<Vec<Candidate>> {
    if categories.is_empty() {
        return Ok(Vec::new());
    }
    let mut binds = vec![Bind::Text(side.code().to_owned()), Bind::Day(today)];
    let list: Vec<String> = categories
        .iter()
        .map(|c| {
            binds.push(Bind::Text(c.code().to_owned()));
            format!("${}", binds.len())
        })
        .collect();
    let mut sql = format!(
        "SELECT {CANDIDATE_COLUMNS} FROM market_listings WHERE status = 'open' AND side = $1 \
         AND valid_until >= $2 AND category IN ({})",
        list.join(", ")
    );
    if let Some(p) = point {
        let n = binds.len();
        sql.push_str(&within_circle_sql(n + 1));
        sql.push_str(&format!(
            " ORDER BY {}, id",
            distance_sql(n + 5, n + 6, n + 7)
        ));
        binds.extend(circle_binds(p, km));
    }
    sql.push_str(&format!(" LIMIT {max}"));
    Ok(with_pool!(db.read(), pool => {
        bind_all!(sqlx::query_as::<_, Candidate>(&sql), &binds).fetch_all(pool).await
    })?)
}

/// Matching's first candidates for a listing of `category` at `point`: the nearest `max` open,
/// valid listings of `side` in the same category within `km`, and (with a point) up to `max`
/// unlocated ones, for which distance bounds nothing.
pub async fn same_category_candidates(
    db: &Db,
    side: ListingSide,
    category: ListingCategory,
    point: Option<GeoPoint>,
    km: f64,
    today: Date,
    max: u32,
) -> Result<Vec<Candidate>> {
    let mut out = candidates_in(db, side, &[category], point, km, today, max).await?;
    if point.is_some() {
        let sql = format!(
            "SELECT {CANDIDATE_COLUMNS} FROM market_listings WHERE status = 'open' AND side = $1 \
             AND valid_until >= $2 AND category = $3 AND lat IS NULL LIMIT {max}"
        );
        out.extend(with_pool!(db.read(), pool => {
            sqlx::query_as::<_, Candidate>(&sql)
                .bind(side.code())
                .bind(today)
                .bind(category.code())
                .fetch_all(pool)
                .await
        })?);
    }
    Ok(out)
}

/// The nearest `max` open, valid listings of `side` in a category related to `category` (the
/// same sector, not the category itself) within `km` of `point`.
pub async fn related_candidates(
    db: &Db,
    side: ListingSide,
    category: ListingCategory,
    point: Option<GeoPoint>,
    km: f64,
    today: Date,
    max: u32,
) -> Result<Vec<Candidate>> {
    let related: Vec<ListingCategory> = category.related().into_iter().skip(1).collect();
    candidates_in(db, side, &related, point, km, today, max).await
}

/// The nearest `max` open, valid listings of `side`, whatever their category, whose words
/// include one of `words` (folded, whole words), within `km` of `point`. On SQLite the
/// full-text index drives (see [`search_filter`]): the words and the cells covering the circle
/// intersect inside it, so a common word is never read whole.
pub async fn word_candidates(
    db: &Db,
    side: ListingSide,
    words: &[String],
    point: Option<GeoPoint>,
    km: f64,
    today: Date,
    max: u32,
) -> Result<Vec<Candidate>> {
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let cells = point
        .and_then(|p| covering_cells(p, km))
        .unwrap_or_default();
    let mut binds = vec![Bind::Text(side.code().to_owned()), Bind::Day(today)];
    let (from, mut sql) = if db.backend() == "sqlite" {
        let words = words
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(" OR ");
        binds.push(Bind::Text(if cells.is_empty() {
            format!("search_text : ({words})")
        } else {
            format!(
                "search_text : ({words}) AND cells : ({})",
                cells.join(" OR ")
            )
        }));
        (
            WORDS_THEN_LISTINGS,
            "market_listings_search MATCH $3".to_owned(),
        )
    } else {
        binds.push(Bind::Text(words.join(" | ")));
        let mut sql = "to_tsvector('simple', search_text) @@ to_tsquery('simple', $3)".to_owned();
        if !cells.is_empty() {
            binds.push(Bind::Text(cells.join(" | ")));
            sql.push_str(" AND to_tsvector('simple', cells) @@ to_tsquery('simple', $4)");
        }
        (LISTINGS, sql)
    };
    sql.push_str(" AND status = 'open' AND side = $1 AND valid_until >= $2");
    if let Some(p) = point {
        let n = binds.len();
        sql.push_str(&within_circle_sql(n + 1));
        sql.push_str(&format!(
            " ORDER BY {}, id",
            distance_sql(n + 5, n + 6, n + 7)
        ));
        binds.extend(circle_binds(p, km));
    }
    let sql = format!(
        "SELECT market_listings.id, category, title, lat, lon FROM {from} WHERE {sql} LIMIT {max}"
    );
    Ok(with_pool!(db.read(), pool => {
        bind_all!(sqlx::query_as::<_, Candidate>(&sql), &binds).fetch_all(pool).await
    })?)
}

/// Listings by id (bounded by the caller), in no particular order.
pub async fn by_ids(db: &Db, ids: &[Uuid]) -> Result<Vec<ListingRow>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(200) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM market_listings WHERE id IN ({})",
            placeholders.join(", ")
        );
        let rows = with_pool!(db.read(), pool => {
            let mut q = sqlx::query_as::<_, ListingRow>(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(pool).await
        })?;
        out.extend(rows);
    }
    Ok(out)
}

/// Moves an open listing to `status`; `Conflict` when it is no longer open.
pub async fn close(db: &Db, id: Uuid, status: &str, now: OffsetDateTime) -> Result<()> {
    let done = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE market_listings SET status = $2, updated_at = $3 WHERE id = $1 AND status = 'open'")
        .bind(id).bind(status).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    if done == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict)
    }
}

/// Reopens a listing whose take-up failed before anything was recorded.
pub async fn reopen(db: &Db, id: Uuid, now: OffsetDateTime) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "UPDATE market_listings SET status = 'open', updated_at = $2 WHERE id = $1 AND status = 'taken_up' \
         AND NOT EXISTS (SELECT 1 FROM market_takeups WHERE listing_id = $1)")
        .bind(id).bind(now).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// The listings a person published or owns, newest first (bounded).
pub async fn of_author(db: &Db, person: Uuid, limit: u32) -> Result<Vec<ListingRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM market_listings WHERE author_id = $1 OR owner_person_id = $1 \
         ORDER BY created_at DESC, id LIMIT {limit}"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, ListingRow>(&sql).bind(person).fetch_all(pool).await)?,
    )
}

/// A take-up: who took which listing, and the payment request or invoice made for it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct TakeupRow {
    pub id: Uuid,
    pub listing_id: Uuid,
    pub taker_id: Uuid,
    pub taker_account_id: Option<Uuid>,
    pub owner_account_id: Option<Uuid>,
    pub payment_request_id: Option<Uuid>,
    pub invoice_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

const TAKEUP_COLUMNS: &str = "id, listing_id, taker_id, taker_account_id, owner_account_id, payment_request_id, invoice_id, created_at";

fn takeups_sql(rows: usize) -> String {
    format!(
        "INSERT INTO market_takeups ({TAKEUP_COLUMNS}) VALUES {}",
        values_placeholders(rows, 8)
    )
}

macro_rules! bind_takeup {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.listing_id)
            .bind(r.taker_id)
            .bind(r.taker_account_id)
            .bind(r.owner_account_id)
            .bind(r.payment_request_id)
            .bind(r.invoice_id)
            .bind(r.created_at)
    }};
}

/// Records take-ups; `Conflict` if a listing was already taken up.
pub async fn insert_takeups(db: &Db, rows: &[TakeupRow]) -> Result<()> {
    crate::insert_table!(db, rows, 8, takeups_sql, |q, r| bind_takeup!(q, r))
}

/// The take-up of a listing, if any.
pub async fn takeup_of(db: &Db, listing: Uuid) -> Result<Option<TakeupRow>> {
    let sql = format!("SELECT {TAKEUP_COLUMNS} FROM market_takeups WHERE listing_id = $1");
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, TakeupRow>(&sql).bind(listing).fetch_optional(pool).await)?,
    )
}

/// A reference one side of a take-up left.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ReferenceRow {
    pub takeup_id: Uuid,
    /// `owner` or `taker`.
    pub side: String,
    pub author_id: Uuid,
    /// `positive`, `neutral` or `negative`.
    pub rating: String,
    pub text: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

const REFERENCE_COLUMNS: &str = "takeup_id, side, author_id, rating, text, created_at";

fn references_sql(rows: usize) -> String {
    format!(
        "INSERT INTO market_references ({REFERENCE_COLUMNS}) VALUES {}",
        values_placeholders(rows, 6)
    )
}

/// Records references; `Conflict` when that side already left one.
pub async fn insert_references(db: &Db, rows: &[ReferenceRow]) -> Result<()> {
    crate::insert_table!(db, rows, 6, references_sql, |q, r| q
        .bind(r.takeup_id)
        .bind(&r.side)
        .bind(r.author_id)
        .bind(&r.rating)
        .bind(&r.text)
        .bind(r.created_at))
}

/// The references of a take-up (at most two).
pub async fn references_of(db: &Db, takeup: Uuid) -> Result<Vec<ReferenceRow>> {
    let sql = format!(
        "SELECT {REFERENCE_COLUMNS} FROM market_references WHERE takeup_id = $1 ORDER BY side"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, ReferenceRow>(&sql).bind(takeup).fetch_all(pool).await)?,
    )
}

/// A match already told to someone.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct MatchNoticeRow {
    /// The listing whose owner was told.
    pub listing_id: Uuid,
    /// The new listing that matches it.
    pub matched_id: Uuid,
    pub person_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

const NOTICE_COLUMNS: &str = "listing_id, matched_id, person_id, created_at";

/// Records each notice not recorded yet and returns those that are new (told once per pair).
pub async fn record_notices(db: &Db, rows: &[MatchNoticeRow]) -> Result<Vec<MatchNoticeRow>> {
    let mut fresh = Vec::new();
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        for r in rows.iter().take(1_000) {
            let done = sqlx::query(&format!(
                "INSERT INTO market_match_notices ({NOTICE_COLUMNS}) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (listing_id, matched_id) DO NOTHING"))
                .bind(r.listing_id).bind(r.matched_id).bind(r.person_id).bind(r.created_at)
                .execute(&mut *tx).await?.rows_affected();
            if done == 1 {
                fresh.push(r.clone());
            }
        }
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })?;
    Ok(fresh)
}

/// Open needs per category for which no open offer of that category exists: what the district
/// lacks, for coordinators. (category, needs, oldest need's creation), most needs first.
pub async fn unmet_needs(db: &Db, today: Date) -> Result<Vec<(String, i64)>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, (String, i64)>(
        "SELECT n.category, COUNT(*) FROM market_listings n \
         WHERE n.status = 'open' AND n.side = 'need' AND n.valid_until >= $1 \
         AND NOT EXISTS (SELECT 1 FROM market_listings o WHERE o.status = 'open' AND o.side = 'offer' \
             AND o.category = n.category AND o.valid_until >= $1) \
         GROUP BY n.category ORDER BY COUNT(*) DESC, n.category")
        .bind(today).fetch_all(pool).await)?,
    )
}

/// Every row of the market's listing tables, for the district document.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ListingsData {
    #[serde(default)]
    pub listings: Vec<ListingRow>,
    #[serde(default)]
    pub takeups: Vec<TakeupRow>,
    #[serde(default)]
    pub references: Vec<ReferenceRow>,
    #[serde(default)]
    pub match_notices: Vec<MatchNoticeRow>,
}

/// Reads every listing table in a stable order.
pub async fn export(db: &Db) -> Result<ListingsData> {
    Ok(ListingsData {
        listings: read_all(
            db,
            &format!("SELECT {COLUMNS} FROM market_listings ORDER BY id"),
        )
        .await?,
        takeups: read_all(
            db,
            &format!("SELECT {TAKEUP_COLUMNS} FROM market_takeups ORDER BY id"),
        )
        .await?,
        references: read_all(
            db,
            &format!("SELECT {REFERENCE_COLUMNS} FROM market_references ORDER BY takeup_id, side"),
        )
        .await?,
        match_notices: read_all(
            db,
            &format!(
                "SELECT {NOTICE_COLUMNS} FROM market_match_notices ORDER BY listing_id, matched_id"
            ),
        )
        .await?,
    })
}

/// Writes a document's listing tables into an empty database, in one transaction. People,
/// organisations, accounts, payment requests and invoices must be imported first.
pub async fn import(db: &Db, d: &ListingsData) -> Result<()> {
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        crate::insert_rows!(tx, sqlite, &d.listings, INSERT_COLUMNS, listings_sql, |q, r| bind_listing!(q, r));
        crate::insert_rows!(tx, sqlite, &d.takeups, 8, takeups_sql, |q, r| bind_takeup!(q, r));
        crate::insert_rows!(tx, sqlite, &d.references, 6, references_sql, |q, r| q
            .bind(r.takeup_id).bind(&r.side).bind(r.author_id).bind(&r.rating).bind(&r.text).bind(r.created_at));
        crate::insert_rows!(tx, sqlite, &d.match_notices, 4,
            |n| format!("INSERT INTO market_match_notices ({NOTICE_COLUMNS}) VALUES {}", values_placeholders(n, 4)),
            |q, r| q.bind(r.listing_id).bind(r.matched_id).bind(r.person_id).bind(r.created_at));
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// The demo's listings as the district document's rows: gifts some member took up, each with
/// the taker's reference.
pub fn demo_rows(demo: &[distretto_domain::demo::market_listings::DemoListing]) -> ListingsData {
    let mut d = ListingsData::default();
    for l in demo {
        let (owner_person_id, owner_organization_id) = match l.organization {
            Some(o) => (None, Some(o)),
            None => (Some(l.author), None),
        };
        d.listings.push(ListingRow {
            id: l.id,
            side: if l.offer { "offer" } else { "need" }.into(),
            kind: l.kind.code().into(),
            category: l.category.code().into(),
            title: l.title.clone(),
            description: l.description.clone(),
            credit_minor: l.credit_minor,
            euro_cents: l.euro_cents,
            locality: l.locality.clone(),
            lat: Some(l.lat),
            lon: Some(l.lon),
            available_from: None,
            valid_until: l.valid_until,
            owner_person_id,
            owner_organization_id,
            author_id: l.author,
            status: if l.taken_by.is_some() {
                "taken_up"
            } else {
                "open"
            }
            .into(),
            created_at: l.created_at,
            updated_at: l.created_at,
        });
        if let Some(taker) = l.taken_by {
            // The take-up's id derives from the listing's, so the demo stays deterministic.
            let id = Uuid::from_u128(l.id.as_u128() ^ 0x5a5a_5a5a);
            let at = l.created_at + time::Duration::days(2);
            d.takeups.push(TakeupRow {
                id,
                listing_id: l.id,
                taker_id: taker,
                taker_account_id: None,
                owner_account_id: None,
                payment_request_id: None,
                invoice_id: None,
                created_at: at,
            });
            d.references.push(ReferenceRow {
                takeup_id: id,
                side: "taker".into(),
                author_id: taker,
                rating: "positive".into(),
                text: "Grazie, tutto perfetto!".into(),
                created_at: at + time::Duration::days(1),
            });
        }
    }
    d
}

/// Refreshes PostgreSQL's statistics of the listings after a bulk load (autovacuum would, a
/// little later); nothing on SQLite.
pub async fn analyze(db: &Db) -> Result<()> {
    if let Db::Postgres(pool) = db {
        sqlx::query("ANALYZE market_listings").execute(pool).await?;
    }
    Ok(())
}
