//! Organisations: bulk insert, directory search, profile reads and edits, status changes.

use crate::{Db, Result, StoreError, values_placeholders, with_pool};
use distretto_domain::directory::{DirectoryQuery, OrganizationProfile};
use distretto_domain::text::fold;
use time::OffsetDateTime;
use uuid::Uuid;

/// An organisation as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct OrganizationRow {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub legal_form: String,
    pub sector: String,
    pub description: String,
    pub website: Option<String>,
    pub contact_email: Option<String>,
    pub phone: Option<String>,
    pub address: String,
    pub postcode: String,
    pub locality: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub founded_year: Option<i32>,
    pub workers_fte_hundredths: i64,
    pub volunteers: i32,
    pub status: String,
    pub charter_version: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub charter_signed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

const COLUMNS: &str = "id, name, kind, legal_form, sector, description, website, contact_email, phone, address, postcode, locality, lat, lon, founded_year, workers_fte_hundredths, volunteers, status, charter_version, charter_signed_at, created_at, updated_at";

/// The columns a list needs (the list page and `GET /api/v1/organizations`), so the directory
/// never reads long descriptions it does not show.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OrganizationSummary {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub sector: String,
    pub locality: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

impl OrganizationRow {
    /// A row from a valid profile, with the given status and time.
    pub fn from_profile(
        id: Uuid,
        p: &OrganizationProfile,
        status: &str,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id,
            name: p.name.clone(),
            kind: p.kind.code().into(),
            legal_form: p.legal_form.clone(),
            sector: p.sector.code().into(),
            description: p.description.clone(),
            website: p.website.clone(),
            contact_email: p.contact_email.clone(),
            phone: p.phone.clone(),
            address: p.address.clone(),
            postcode: p.postcode.clone(),
            locality: p.locality.clone(),
            lat: p.lat,
            lon: p.lon,
            founded_year: p.founded_year,
            workers_fte_hundredths: p.workers_fte.0,
            volunteers: p.volunteers,
            status: status.into(),
            charter_version: None,
            charter_signed_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    pub(crate) fn search_text(&self) -> String {
        fold(&format!(
            "{} {} {} {}",
            self.name, self.description, self.locality, self.legal_form
        ))
    }
}

pub(crate) const INSERT_COLUMNS: usize = 25;

/// Binds one organisation row's 25 insert values, in [`insert_sql`] column order.
macro_rules! bind_organization {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(&r.name)
            .bind(&r.kind)
            .bind(&r.legal_form)
            .bind(&r.sector)
            .bind(&r.description)
            .bind(&r.website)
            .bind(&r.contact_email)
            .bind(&r.phone)
            .bind(&r.address)
            .bind(&r.postcode)
            .bind(&r.locality)
            .bind(r.lat)
            .bind(r.lon)
            .bind(r.founded_year)
            .bind(r.workers_fte_hundredths)
            .bind(r.volunteers)
            .bind(&r.status)
            .bind(&r.charter_version)
            .bind(r.charter_signed_at)
            .bind(r.created_at)
            .bind(r.updated_at)
            .bind(distretto_domain::text::fold(&r.name))
            .bind(r.search_text())
            .bind(distretto_domain::text::fold(&r.locality))
    }};
}
pub(crate) use bind_organization;

/// The multi-row `INSERT` for `rows` organisations.
pub(crate) fn insert_sql(rows: usize) -> String {
    format!(
        "INSERT INTO organizations ({COLUMNS}, sort_name, search_text, locality_key) VALUES {}",
        values_placeholders(rows, INSERT_COLUMNS)
    )
}

/// Inserts organisations in multi-row batches inside one transaction.
pub async fn insert_organizations(db: &Db, rows: &[OrganizationRow]) -> Result<()> {
    crate::insert_table!(
        db,
        rows,
        INSERT_COLUMNS,
        insert_sql,
        |q, r| bind_organization!(q, r)
    )
}

/// Builds the `WHERE` clause of a directory query and its bound strings (status is always
/// `active`). Words go through the full-text index of each backend as word prefixes: FTS5
/// `"word"*` on SQLite, `word:*` in a `tsquery` on PostgreSQL. Words are alphanumeric runs
/// (see [`DirectoryQuery::parse`]), so neither query syntax can be injected.
fn directory_filter(backend: &str, q: &DirectoryQuery) -> (String, Vec<String>) {
    let mut sql = String::from("status = 'active'");
    let mut binds = Vec::new();
    if !q.words.is_empty() {
        if backend == "sqlite" {
            binds.push(
                q.words
                    .iter()
                    .map(|w| format!("\"{w}\"*"))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            sql.push_str(" AND search_key IN (SELECT rowid FROM organizations_search WHERE organizations_search MATCH $1)");
        } else {
            binds.push(
                q.words
                    .iter()
                    .map(|w| format!("{w}:*"))
                    .collect::<Vec<_>>()
                    .join(" & "),
            );
            sql.push_str(" AND to_tsvector('simple', search_text) @@ to_tsquery('simple', $1)");
        }
    }
    if let Some(k) = q.kind {
        binds.push(k.code().to_owned());
        sql.push_str(&format!(" AND kind = ${}", binds.len()));
    }
    if let Some(s) = q.sector {
        binds.push(s.code().to_owned());
        sql.push_str(&format!(" AND sector = ${}", binds.len()));
    }
    if let Some(l) = &q.locality_key {
        binds.push(l.clone());
        sql.push_str(&format!(" AND locality_key = ${}", binds.len()));
    }
    (sql, binds)
}

/// One page of the directory, sorted by folded name.
pub async fn search_page(db: &Db, q: &DirectoryQuery) -> Result<Vec<OrganizationSummary>> {
    let (filter, binds) = directory_filter(db.backend(), q);
    let sql = format!(
        "SELECT id, name, kind, sector, locality, lat, lon FROM organizations WHERE {filter} \
         ORDER BY sort_name, id LIMIT {} OFFSET {}",
        q.limit, q.offset
    );
    with_pool!(db.read(), pool => {
        let mut page = sqlx::query_as::<_, OrganizationSummary>(&sql);
        for b in &binds {
            page = page.bind(b);
        }
        Ok(page.fetch_all(pool).await?)
    })
}

/// How many active organisations match the query's words and filters.
pub async fn search_count(db: &Db, q: &DirectoryQuery) -> Result<i64> {
    let (filter, binds) = directory_filter(db.backend(), q);
    let sql = format!("SELECT COUNT(*) FROM organizations WHERE {filter}");
    with_pool!(db.read(), pool => {
        let mut count = sqlx::query_scalar::<_, i64>(&sql);
        for b in &binds {
            count = count.bind(b);
        }
        Ok(count.fetch_one(pool).await?)
    })
}

/// The cache key of a query's filters (paging excluded): equal keys count the same rows.
pub fn filter_key(q: &DirectoryQuery) -> String {
    format!(
        "{:?}|{:?}|{:?}|{:?}",
        q.words, q.kind, q.sector, q.locality_key
    )
}

/// Active organisations with a position matching the query's filters, for the map
/// (the query's paging is ignored; at most `max_points`).
pub async fn map_points(
    db: &Db,
    q: &DirectoryQuery,
    max_points: u32,
) -> Result<Vec<OrganizationSummary>> {
    let (filter, binds) = directory_filter(db.backend(), q);
    let sql = format!(
        "SELECT id, name, kind, sector, locality, lat, lon FROM organizations \
         WHERE {filter} AND lat IS NOT NULL AND lon IS NOT NULL ORDER BY sort_name, id LIMIT {max_points}"
    );
    with_pool!(db.read(), pool => {
        let mut query = sqlx::query_as::<_, OrganizationSummary>(&sql);
        for b in &binds {
            query = query.bind(b);
        }
        Ok(query.fetch_all(pool).await?)
    })
}

/// One organisation by id, whatever its status.
pub async fn get(db: &Db, id: Uuid) -> Result<OrganizationRow> {
    let sql = format!("SELECT {COLUMNS} FROM organizations WHERE id = $1");
    with_pool!(db.read(), pool => sqlx::query_as::<_, OrganizationRow>(&sql).bind(id).fetch_optional(pool).await)?
        .ok_or(StoreError::NotFound)
}

/// Replaces the editable profile fields of an organisation.
pub async fn update_profile(
    db: &Db,
    id: Uuid,
    p: &OrganizationProfile,
    now: OffsetDateTime,
) -> Result<()> {
    let mut row = get(db, id).await?;
    let status = std::mem::take(&mut row.status);
    let new = OrganizationRow {
        status,
        charter_version: row.charter_version,
        charter_signed_at: row.charter_signed_at,
        created_at: row.created_at,
        ..OrganizationRow::from_profile(id, p, "", now)
    };
    let done = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE organizations SET name = $2, kind = $3, legal_form = $4, sector = $5, description = $6, website = $7, \
         contact_email = $8, phone = $9, address = $10, postcode = $11, locality = $12, lat = $13, lon = $14, \
         founded_year = $15, workers_fte_hundredths = $16, volunteers = $17, updated_at = $18, \
         sort_name = $19, search_text = $20, locality_key = $21 WHERE id = $1")
        .bind(id).bind(&new.name).bind(&new.kind).bind(&new.legal_form).bind(&new.sector).bind(&new.description)
        .bind(&new.website).bind(&new.contact_email).bind(&new.phone).bind(&new.address).bind(&new.postcode)
        .bind(&new.locality).bind(new.lat).bind(new.lon).bind(new.founded_year).bind(new.workers_fte_hundredths)
        .bind(new.volunteers).bind(now).bind(fold(&new.name)).bind(new.search_text()).bind(fold(&new.locality))
        .execute(pool).await.map(|r| r.rows_affected()))?;
    if done == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Active organisations per kind, for the home page.
pub async fn count_by_kind(db: &Db) -> Result<Vec<(String, i64)>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, (String, i64)>(
        "SELECT kind, COUNT(*) FROM organizations WHERE status = 'active' GROUP BY kind ORDER BY kind"
    ).fetch_all(pool).await)?,
    )
}

/// The places (localities) with active organisations, for the place filter; bounded.
pub async fn localities(db: &Db, max: u32) -> Result<Vec<String>> {
    let sql = format!(
        "SELECT MIN(locality) FROM organizations WHERE status = 'active' AND locality_key <> '' \
         GROUP BY locality_key ORDER BY locality_key LIMIT {max}"
    );
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar::<_, String>(&sql).fetch_all(pool).await)?)
}

/// Total active workers (hundredths of FTE) and organisations, for the home page.
pub async fn totals(db: &Db) -> Result<(i64, i64)> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, (i64, i64)>(
        "SELECT COUNT(*), CAST(COALESCE(SUM(workers_fte_hundredths), 0) AS BIGINT) FROM organizations WHERE status = 'active'"
    ).fetch_one(pool).await)?,
    )
}

/// Recently admitted organisations (newest charter signature first).
pub async fn recent(db: &Db, limit: u32) -> Result<Vec<OrganizationSummary>> {
    let sql = format!(
        "SELECT id, name, kind, sector, locality, lat, lon FROM organizations \
         WHERE status = 'active' AND charter_signed_at IS NOT NULL \
         ORDER BY charter_signed_at DESC, id LIMIT {limit}"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, OrganizationSummary>(&sql).fetch_all(pool).await)?,
    )
}

/// Every active organisation in directory order, a page at a time, for the CSV and export.
pub async fn page_all(
    db: &Db,
    status_active_only: bool,
    after_offset: u64,
    limit: u32,
) -> Result<Vec<OrganizationRow>> {
    let filter = if status_active_only {
        "WHERE status = 'active'"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM organizations {filter} ORDER BY sort_name, id LIMIT {limit} OFFSET {after_offset}"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, OrganizationRow>(&sql).fetch_all(pool).await)?,
    )
}

/// When each of these organisations last changed (profile or status), for the Murmurations
/// index's `last_updated`; at most 500 ids are read (one API page), the rest ignored.
pub async fn updated_at_of(db: &Db, ids: &[Uuid]) -> Result<Vec<(Uuid, OffsetDateTime)>> {
    let ids = &ids[..ids.len().min(500)];
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = (1..=ids.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("SELECT id, updated_at FROM organizations WHERE id IN ({marks})");
    Ok(with_pool!(db.read(), pool => {
        let mut q = sqlx::query_as(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(pool).await
    })?)
}
