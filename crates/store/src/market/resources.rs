//! Shared resources and their bookings as stored; the database refuses overlapping bookings.
//!
//! A booking is inserted `held` (or `confirmed` when free); the ledger writer pays a held
//! booking's fee and confirms it in one transaction ([`crate::ledger::Effect::Booking`]), or
//! the booking is `released` with the refusal. Only `held` and `confirmed` bookings take their
//! slot: PostgreSQL's exclusion constraint and SQLite's trigger refuse any overlap of two of
//! them, whatever the concurrency, and [`hold`] answers [`Hold::SlotTaken`].

use crate::{Db, Result, StoreError, with_pool};
use time::OffsetDateTime;
use uuid::Uuid;

/// The columns of a resource, in insert order.
const RESOURCE_COLUMNS: &str = "id, owner_id, kind, name, description, place, rules, currency, fee_minor, fee_unit, availability, min_minutes, max_minutes, max_ahead_days, free_cancel_hours, kept_percent, enabled, created_by, created_at, updated_at";
/// The columns of a booking, in insert order.
const BOOKING_COLUMNS: &str = "id, resource_id, booked_by, account_id, payee_account, starts_at, ends_at, status, fee_minor, free_cancel_hours, kept_percent, transfer_id, refund_minor, refund_transfer_id, release_reason, note, idempotency_key, request_hash, created_at, confirmed_at, cancelled_at";
/// The most rows one list answers.
pub const MAX_LIST: i64 = 500;
/// The most taken slots [`taken`] answers.
pub const MAX_TAKEN: i64 = 5_000;

/// A shared resource: what it is, who owns it, its fee and rules.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ResourceRow {
    pub id: Uuid,
    /// The organisation that lends it and receives its fees.
    pub owner_id: Uuid,
    /// `van`, `tractor`, `cold_room`, `kitchen`, `hall`, `tool`, `other`.
    pub kind: String,
    pub name: String,
    pub description: String,
    pub place: String,
    pub rules: String,
    pub currency: String,
    /// Per started `fee_unit`; 0 = free.
    pub fee_minor: i64,
    /// `hour` or `day`.
    pub fee_unit: String,
    /// UTC opening windows, one per line (`mon 08:00-18:00`).
    pub availability: String,
    pub min_minutes: i64,
    pub max_minutes: i64,
    pub max_ahead_days: i64,
    pub free_cancel_hours: i64,
    pub kept_percent: i64,
    pub enabled: bool,
    pub created_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A booking of a resource.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct BookingRow {
    pub id: Uuid,
    pub resource_id: Uuid,
    /// The person who booked.
    pub booked_by: Uuid,
    /// The account that pays the fee.
    pub account_id: Uuid,
    /// The owner's account that receives it (`None` for a free booking).
    pub payee_account: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    /// `held`, `confirmed`, `cancelled` or `released`.
    pub status: String,
    pub fee_minor: i64,
    /// The cancellation policy when booked.
    pub free_cancel_hours: i64,
    pub kept_percent: i64,
    /// The fee's transfer.
    pub transfer_id: Option<Uuid>,
    pub refund_minor: Option<i64>,
    pub refund_transfer_id: Option<Uuid>,
    /// Why a held booking was released (a ledger refusal code, or `hold_expired`).
    pub release_reason: Option<String>,
    pub note: String,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<Vec<u8>>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub confirmed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub cancelled_at: Option<OffsetDateTime>,
}

impl BookingRow {
    /// Whether it takes its slot.
    pub fn active(&self) -> bool {
        self.status == "held" || self.status == "confirmed"
    }
}

/// A booking with its resource's name and owner, for lists.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BookingView {
    #[sqlx(flatten)]
    pub booking: BookingRow,
    pub resource_name: String,
    pub owner_id: Uuid,
}

/// What inserting a booking gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// Inserted: it holds its slot.
    Held,
    /// An active booking of the resource overlaps it: nothing was written.
    SlotTaken,
    /// The person used this idempotency key before: nothing was written.
    KeyUsed,
}

fn resources_sql(rows: usize) -> String {
    format!(
        "INSERT INTO market_resources ({RESOURCE_COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, 20)
    )
}

fn bookings_sql(rows: usize) -> String {
    format!(
        "INSERT INTO market_bookings ({BOOKING_COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, 21)
    )
}

macro_rules! bind_resource {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.owner_id)
            .bind(&r.kind)
            .bind(&r.name)
            .bind(&r.description)
            .bind(&r.place)
            .bind(&r.rules)
            .bind(&r.currency)
            .bind(r.fee_minor)
            .bind(&r.fee_unit)
            .bind(&r.availability)
            .bind(r.min_minutes)
            .bind(r.max_minutes)
            .bind(r.max_ahead_days)
            .bind(r.free_cancel_hours)
            .bind(r.kept_percent)
            .bind(r.enabled)
            .bind(r.created_by)
            .bind(r.created_at)
            .bind(r.updated_at)
    }};
}

macro_rules! bind_booking {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.resource_id)
            .bind(r.booked_by)
            .bind(r.account_id)
            .bind(r.payee_account)
            .bind(r.starts_at)
            .bind(r.ends_at)
            .bind(&r.status)
            .bind(r.fee_minor)
            .bind(r.free_cancel_hours)
            .bind(r.kept_percent)
            .bind(r.transfer_id)
            .bind(r.refund_minor)
            .bind(r.refund_transfer_id)
            .bind(&r.release_reason)
            .bind(&r.note)
            .bind(&r.idempotency_key)
            .bind(&r.request_hash)
            .bind(r.created_at)
            .bind(r.confirmed_at)
            .bind(r.cancelled_at)
    }};
}

/// Saves a new resource.
pub async fn insert_resource(db: &Db, r: &ResourceRow) -> Result<()> {
    insert_resources(db, std::slice::from_ref(r)).await
}

/// Saves new resources in batches (demo, import).
pub async fn insert_resources(db: &Db, rows: &[ResourceRow]) -> Result<()> {
    crate::insert_table!(db, rows, 20, resources_sql, |q, r| bind_resource!(q, r))
}

/// Saves what an edit may change of a resource (not its owner, currency or creation).
pub async fn update_resource(db: &Db, r: &ResourceRow) -> Result<()> {
    let n = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE market_resources SET kind = $2, name = $3, description = $4, place = $5, rules = $6, fee_minor = $7, fee_unit = $8, \
         availability = $9, min_minutes = $10, max_minutes = $11, max_ahead_days = $12, free_cancel_hours = $13, kept_percent = $14, \
         enabled = $15, updated_at = $16 WHERE id = $1")
        .bind(r.id).bind(&r.kind).bind(&r.name).bind(&r.description).bind(&r.place).bind(&r.rules).bind(r.fee_minor)
        .bind(&r.fee_unit).bind(&r.availability).bind(r.min_minutes).bind(r.max_minutes).bind(r.max_ahead_days)
        .bind(r.free_cancel_hours).bind(r.kept_percent).bind(r.enabled).bind(r.updated_at)
        .execute(pool).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// One resource.
pub async fn resource(db: &Db, id: Uuid) -> Result<ResourceRow> {
    let sql = format!("SELECT {RESOURCE_COLUMNS} FROM market_resources WHERE id = $1");
    with_pool!(db.read(), pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?
        .ok_or(StoreError::NotFound)
}

/// Which resources a list shows.
#[derive(Debug, Clone, Default)]
pub struct ResourceFilter {
    /// Only this kind.
    pub kind: Option<String>,
    /// Only places containing these words (case-insensitive).
    pub place: Option<String>,
    /// Disabled ones too.
    pub include_disabled: bool,
}

/// Resources by name, at most `limit` (≤ [`MAX_LIST`]) from `offset`, and how many match.
pub async fn resources(
    db: &Db,
    filter: &ResourceFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ResourceRow>, i64)> {
    let place = filter
        .place
        .as_deref()
        .map(|p| {
            format!(
                "%{}%",
                p.to_lowercase()
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        })
        .unwrap_or_else(|| "%".into());
    let cond = "($1 = '' OR kind = $1) AND LOWER(place) LIKE $2 ESCAPE '\\' AND (enabled OR $3)";
    let sql = format!(
        "SELECT {RESOURCE_COLUMNS} FROM market_resources WHERE {cond} ORDER BY name, id LIMIT $4 OFFSET $5"
    );
    let count = format!("SELECT COUNT(*) FROM market_resources WHERE {cond}");
    let kind = filter.kind.clone().unwrap_or_default();
    let limit = limit.clamp(0, MAX_LIST);
    let offset = offset.max(0);
    with_pool!(db.read(), pool => {
        let rows = sqlx::query_as(&sql).bind(&kind).bind(&place).bind(filter.include_disabled)
            .bind(limit).bind(offset).fetch_all(pool).await?;
        let total: i64 = sqlx::query_scalar(&count).bind(&kind).bind(&place).bind(filter.include_disabled)
            .fetch_one(pool).await?;
        Ok((rows, total))
    })
}

/// The places resources are at, for the filter.
pub async fn places(db: &Db) -> Result<Vec<String>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT DISTINCT place FROM market_resources WHERE place <> '' ORDER BY place LIMIT 200")
        .fetch_all(pool).await)?)
}

/// Tries of [`hold`] when PostgreSQL breaks a deadlock between concurrent inserts (or no
/// connection is free).
const HOLD_TRIES: u32 = 5;

/// Inserts a booking unless an active one of its resource overlaps it (or its idempotency key
/// was used): the database decides, so concurrent requests cannot both take one slot.
///
/// On PostgreSQL, concurrent inserts that conflict under the exclusion constraint wait for
/// each other, and three or more can deadlock: the server then cancels one with `40P01`
/// (seen as a rare 500 in the booking storm test). The insert is one statement, so a cancelled
/// one wrote nothing and is tried again, a bounded number of times. A pool with no free
/// connection is tried again the same way: nothing had begun (see [`crate::retry`]).
pub async fn hold(db: &Db, b: &BookingRow) -> Result<Hold> {
    let sql = bookings_sql(1);
    let res = crate::retry::when_cancelled(HOLD_TRIES, "booking hold", || async {
        with_pool!(db.write(), pool => bind_booking!(sqlx::query(&sql), b).execute(pool).await.map(|_| ()))
    })
    .await;
    match res {
        Ok(()) => Ok(Hold::Held),
        Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("23P01") => {
            Ok(Hold::SlotTaken)
        }
        Err(sqlx::Error::Database(d)) if d.message().contains("slot_taken") => Ok(Hold::SlotTaken),
        Err(sqlx::Error::Database(d)) if d.is_unique_violation() => Ok(Hold::KeyUsed),
        Err(e) => Err(StoreError::Sqlx(e)),
    }
}

/// One booking.
pub async fn booking(db: &Db, id: Uuid) -> Result<BookingRow> {
    let sql = format!("SELECT {BOOKING_COLUMNS} FROM market_bookings WHERE id = $1");
    with_pool!(db.write(), pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?
        .ok_or(StoreError::NotFound)
}

/// The booking a person made with an idempotency key.
pub async fn booking_by_key(db: &Db, person: Uuid, key: &str) -> Result<Option<BookingRow>> {
    let sql = format!(
        "SELECT {BOOKING_COLUMNS} FROM market_bookings WHERE booked_by = $1 AND idempotency_key = $2"
    );
    Ok(
        with_pool!(db.write(), pool => sqlx::query_as(&sql).bind(person).bind(key).fetch_optional(pool).await)?,
    )
}

/// Releases a held booking (its fee was refused): it no longer takes its slot. `false` when
/// it was no longer held (the writer confirmed it meanwhile).
pub async fn release(db: &Db, id: Uuid, reason: &str) -> Result<bool> {
    let n = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE market_bookings SET status = 'released', release_reason = $2 WHERE id = $1 AND status = 'held'")
        .bind(id).bind(reason).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Releases bookings held since before `before` (their payment never came back: a crash
/// between the hold and the writer). The writer refuses to pay a released booking, so a
/// payment still queued cannot confirm it afterwards.
pub async fn release_stale(db: &Db, before: OffsetDateTime) -> Result<u64> {
    let n = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE market_bookings SET status = 'released', release_reason = 'hold_expired' WHERE status = 'held' AND created_at < $1")
        .bind(before).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n)
}

/// Cancels a confirmed booking without any refund (free, or too late for one). `false` when
/// it was not confirmed any more.
pub async fn cancel_without_refund(db: &Db, id: Uuid, now: OffsetDateTime) -> Result<bool> {
    let n = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE market_bookings SET status = 'cancelled', refund_minor = 0, cancelled_at = $2 WHERE id = $1 AND status = 'confirmed'")
        .bind(id).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Active bookings of a resource overlapping `[from, to)`, by start, at most [`MAX_TAKEN`].
pub async fn taken(
    db: &Db,
    resource: Uuid,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<BookingRow>> {
    let sql = format!(
        "SELECT {BOOKING_COLUMNS} FROM market_bookings WHERE resource_id = $1 AND status IN ('held', 'confirmed') \
         AND starts_at < $3 AND ends_at > $2 ORDER BY starts_at, id LIMIT {MAX_TAKEN}"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as(&sql).bind(resource).bind(from).bind(to).fetch_all(pool).await)?,
    )
}

/// A person's bookings (and those paid from accounts they administer), latest start first.
pub async fn bookings_of(
    db: &Db,
    person: Uuid,
    limit: i64,
    offset: i64,
) -> Result<(Vec<BookingView>, i64)> {
    let cols = BOOKING_COLUMNS
        .split(", ")
        .map(|c| format!("b.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let cond = "(b.booked_by = $1 OR b.account_id IN (SELECT a.id FROM accounts a JOIN memberships m \
                ON a.owner_kind = 'organization' AND a.owner_id = m.organization_id WHERE m.person_id = $1 AND m.role = 'admin'))";
    let sql = format!(
        "SELECT {cols}, r.name AS resource_name, r.owner_id FROM market_bookings b JOIN market_resources r ON r.id = b.resource_id \
         WHERE {cond} ORDER BY b.starts_at DESC, b.id LIMIT $2 OFFSET $3"
    );
    let count = format!("SELECT COUNT(*) FROM market_bookings b WHERE {cond}");
    let limit = limit.clamp(0, MAX_LIST);
    with_pool!(db.read(), pool => {
        let rows = sqlx::query_as(&sql).bind(person).bind(limit).bind(offset.max(0)).fetch_all(pool).await?;
        let total: i64 = sqlx::query_scalar(&count).bind(person).fetch_one(pool).await?;
        Ok((rows, total))
    })
}

/// The account of organisation `owner` in `currency` that receives fees (its first).
pub async fn owner_account(db: &Db, owner: Uuid, currency: &str) -> Result<Option<Uuid>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT id FROM accounts WHERE owner_kind = 'organization' AND owner_id = $1 AND currency = $2 ORDER BY created_at, id LIMIT 1")
        .bind(owner).bind(currency).fetch_optional(pool).await)?)
}

/// Saves bookings in batches (demo, import), checked by the same constraint as [`hold`].
pub async fn insert_bookings(db: &Db, rows: &[BookingRow]) -> Result<()> {
    crate::insert_table!(db, rows, 21, bookings_sql, |q, r| bind_booking!(q, r))
}

/// Every row of the resources tables.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResourcesData {
    #[serde(default)]
    pub resources: Vec<ResourceRow>,
    #[serde(default)]
    pub bookings: Vec<BookingRow>,
}

/// Reads every resource and booking.
pub async fn export(db: &Db) -> Result<ResourcesData> {
    use crate::export::read_all;
    Ok(ResourcesData {
        resources: read_all(
            db,
            &format!("SELECT {RESOURCE_COLUMNS} FROM market_resources ORDER BY id"),
        )
        .await?,
        bookings: read_all(
            db,
            &format!("SELECT {BOOKING_COLUMNS} FROM market_bookings ORDER BY id"),
        )
        .await?,
    })
}

/// Writes a document's resources and bookings into an empty database, in one transaction
/// (after organisations, people, accounts and the journal, which they reference).
pub async fn import(db: &Db, d: &ResourcesData) -> Result<()> {
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        crate::insert_rows!(tx, sqlite, &d.resources, 20, resources_sql, |q, r| bind_resource!(q, r));
        crate::insert_rows!(tx, sqlite, &d.bookings, 21, bookings_sql, |q, r| bind_booking!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// Active organisations a person administers (every active one when `all`), by name, at most
/// [`MAX_LIST`]: those they may add resources for.
pub async fn organizations_for(db: &Db, person: Uuid, all: bool) -> Result<Vec<(Uuid, String)>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_as(&format!(
        "SELECT o.id, o.name FROM organizations o WHERE o.status = 'active' AND ($2 OR o.id IN \
         (SELECT organization_id FROM memberships WHERE person_id = $1 AND role = 'admin')) ORDER BY o.name, o.id LIMIT {MAX_LIST}"))
        .bind(person).bind(all).fetch_all(pool).await)?)
}

/// The names of organisations, for lists.
pub async fn organization_names(
    db: &Db,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, String>> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(400) {
        if chunk.is_empty() {
            continue;
        }
        let sql = format!(
            "SELECT id, name FROM organizations WHERE id IN {}",
            crate::values_placeholders(1, chunk.len())
        );
        let rows: Vec<(Uuid, String)> = with_pool!(db.read(), pool => {
            let mut q = sqlx::query_as(&sql);
            for id in chunk { q = q.bind(id); }
            q.fetch_all(pool).await
        })?;
        out.extend(rows);
    }
    Ok(out)
}

/// The rows of the demo's resources and bookings: every booking `held` (paid by
/// [`post_demo_fees`]) except free ones and those an organisation books of its own resource,
/// which are `confirmed` at once. `owner_accounts` gives each owner's account.
pub fn demo_rows(
    demo: &distretto_domain::demo::market_resources::DemoResources,
    owner_accounts: &std::collections::HashMap<Uuid, Uuid>,
    currency: &str,
) -> ResourcesData {
    use distretto_domain::market::resource::format_windows;
    let mut d = ResourcesData::default();
    for r in &demo.resources {
        d.resources.push(ResourceRow {
            id: r.id,
            owner_id: r.owner,
            kind: r.kind.code().into(),
            name: r.name.clone(),
            description: r.description.into(),
            place: r.place.clone(),
            rules: r.rules_text.into(),
            currency: currency.into(),
            fee_minor: r.rules.fee_minor,
            fee_unit: r.rules.fee_unit.code().into(),
            availability: format_windows(&r.rules.windows),
            min_minutes: r.rules.min_minutes,
            max_minutes: r.rules.max_minutes,
            max_ahead_days: r.rules.max_ahead_days,
            free_cancel_hours: r.rules.cancellation.free_hours,
            kept_percent: r.rules.cancellation.kept_percent,
            enabled: r.rules.enabled,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.created_at,
        });
    }
    for b in &demo.bookings {
        let Some(r) = demo.resources.get(b.resource) else {
            continue;
        };
        let payee = owner_accounts.get(&r.owner).copied();
        let free = b.fee_minor == 0 || payee.is_none() || payee == Some(b.account);
        d.bookings.push(BookingRow {
            id: b.id,
            resource_id: r.id,
            booked_by: b.booked_by,
            account_id: b.account,
            payee_account: if free { None } else { payee },
            starts_at: b.slot.start,
            ends_at: b.slot.end,
            status: if free { "confirmed" } else { "held" }.into(),
            fee_minor: if free { 0 } else { b.fee_minor },
            free_cancel_hours: r.rules.cancellation.free_hours,
            kept_percent: r.rules.cancellation.kept_percent,
            transfer_id: None,
            refund_minor: None,
            refund_transfer_id: None,
            release_reason: None,
            note: String::new(),
            idempotency_key: None,
            request_hash: None,
            created_at: b.created_at,
            confirmed_at: free.then_some(b.created_at),
            cancelled_at: None,
        });
    }
    d
}

/// Pays the demo's held bookings through the ledger writer (each confirmed as paid; one
/// refused by a credit limit is released with the reason), then cancels the demo's cancelled
/// ones, refunding through the writer what their policy gave back. Returns (paid, refunded).
pub async fn post_demo_fees(
    db: &Db,
    demo: &distretto_domain::demo::market_resources::DemoResources,
    rows: &ResourcesData,
) -> Result<(usize, usize)> {
    use crate::ledger::writer::MAX_BATCH;
    use crate::ledger::{Command, CommandError, Effect, LedgerWriter, NewLeg};
    use distretto_domain::ledger::TransferKind;
    let writer = LedgerWriter::spawn(db.clone(), MAX_BATCH);
    let memo = |b: &BookingRow| {
        let name = rows
            .resources
            .iter()
            .find(|r| r.id == b.resource_id)
            .map(|r| r.name.clone())
            .unwrap_or_default();
        let s = b.starts_at;
        format!(
            "{name} · {:04}-{:02}-{:02}",
            s.year(),
            u8::from(s.month()),
            s.day()
        )
    };
    let mut paid = 0;
    let mut refunded = 0;
    // Two rounds: fees, then refunds (a refund needs its booking confirmed).
    for round in 0..2 {
        let mut tasks = tokio::task::JoinSet::new();
        for (b, g) in rows.bookings.iter().zip(&demo.bookings) {
            let Some(payee) = b.payee_account else {
                continue;
            };
            let command = if round == 0 {
                let leg = NewLeg::new(
                    TransferKind::Booking,
                    b.account_id,
                    payee,
                    b.fee_minor,
                    memo(b),
                );
                Command::single(leg, Effect::Booking(b.id), b.booked_by)
            } else if g.cancelled_at.is_some() && g.refund_minor > 0 {
                let leg = NewLeg::new(
                    TransferKind::BookingRefund,
                    payee,
                    b.account_id,
                    g.refund_minor,
                    memo(b),
                );
                Command::single(leg, Effect::BookingRefund(b.id), b.booked_by)
            } else {
                continue;
            };
            let writer = writer.clone();
            let id = b.id;
            tasks.spawn(async move { (id, writer.submit(command).await) });
        }
        while let Some(joined) = tasks.join_next().await {
            let Ok((id, result)) = joined else { continue };
            match result {
                Ok(_) if round == 0 => paid += 1,
                Ok(_) => refunded += 1,
                Err(e @ CommandError::Store(_)) => {
                    return Err(StoreError::Sqlx(sqlx::Error::Protocol(format!(
                        "demo booking fee: {e}"
                    ))));
                }
                Err(e) if round == 0 => {
                    release(db, id, e.code()).await?;
                }
                Err(_) => {}
            }
        }
    }
    // Cancellations without a refund (free bookings, or too late for one).
    for (b, g) in rows.bookings.iter().zip(&demo.bookings) {
        if let Some(at) = g.cancelled_at
            && (b.payee_account.is_none() || g.refund_minor == 0)
        {
            cancel_without_refund(db, b.id, at).await?;
        }
    }
    Ok((paid, refunded))
}
