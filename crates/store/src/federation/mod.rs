//! Federation as stored: this district's signing keys, linked districts with their keys and
//! the history of each link, the nonces of signed requests already received, and payments
//! between districts ([`payments`]), the clearing rounds between them ([`clearings`]) and the
//! invoices between their members ([`invoices`]).

pub mod clearings;
pub mod invoices;
pub mod payments;
pub mod schedules;

use crate::export::read_all;
use crate::{Db, Result, StoreError, values_placeholders, with_pool};
use time::OffsetDateTime;
use uuid::Uuid;

/// One of this district's signing keys.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct KeyRow {
    pub keyid: String,
    /// The public key, base64 of its 32 bytes.
    pub public_key: String,
    /// The 32-byte secret seed.
    #[serde(with = "crate::ledger::hex_bytes")]
    pub secret_seed: Vec<u8>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub retired_at: Option<OffsetDateTime>,
}

/// A district linked (or being linked) with this one.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct LinkRow {
    pub id: Uuid,
    pub peer_url: String,
    pub peer_name: String,
    /// `proposed`, `requested`, `active`, `suspended` or `ended`.
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Minor units of our currency per 1,000,000 minor units of theirs (absent from version-7
    /// exports: one to one).
    #[serde(default = "one_to_one")]
    pub exchange_rate_ppm: i64,
}

/// What follows the address of an ended link (which frees the address).
pub const ENDED_MARK: &str = "#ended-";

/// The address of a link's district, without the mark of an ended link.
pub fn address(peer_url: &str) -> &str {
    peer_url.split('#').next().unwrap_or(peer_url)
}

/// The rate of two currencies worth the same.
pub const ONE_TO_ONE_PPM: i64 = 1_000_000;

fn one_to_one() -> i64 {
    ONE_TO_ONE_PPM
}

/// A public key of a linked district.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct PeerKeyRow {
    pub keyid: String,
    pub link_id: Uuid,
    pub public_key: String,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
}

/// A change of a link's status.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct LinkEventRow {
    pub id: Uuid,
    pub link_id: Uuid,
    pub status: String,
    /// The coordinator here who changed it, if one did.
    pub actor_id: Option<Uuid>,
    /// Whether the other district changed it (by a signed message).
    pub by_peer: bool,
    pub note: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// The federation tables of the district document.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederationData {
    pub keys: Vec<KeyRow>,
    pub links: Vec<LinkRow>,
    pub peer_keys: Vec<PeerKeyRow>,
    pub link_events: Vec<LinkEventRow>,
    /// Payments between districts (absent from version-7 exports).
    #[serde(default)]
    pub payments: Vec<payments::PaymentRow>,
    /// Clearing rounds between districts (absent from exports before version 9).
    #[serde(default)]
    pub clearings: clearings::ClearingsData,
    /// Invoices between members of linked districts (absent from exports before version 10).
    #[serde(default)]
    pub invoices: Vec<invoices::FederationInvoiceRow>,
    /// Each link's clearing schedule (absent from exports before version 10).
    #[serde(default)]
    pub schedules: Vec<schedules::ScheduleRow>,
}

const KEY_COLUMNS: &str = "keyid, public_key, secret_seed, created_at, retired_at";
const LINK_COLUMNS: &str =
    "id, peer_url, peer_name, status, created_at, updated_at, exchange_rate_ppm";
const PEER_KEY_COLUMNS: &str = "keyid, link_id, public_key, added_at";
const EVENT_COLUMNS: &str = "id, link_id, status, actor_id, by_peer, note, at";
/// Links listed at most.
pub const MAX_LINKS: i64 = 500;

fn keys_sql(rows: usize) -> String {
    format!(
        "INSERT INTO federation_keys ({KEY_COLUMNS}) VALUES {}",
        values_placeholders(rows, 5)
    )
}

fn links_sql(rows: usize) -> String {
    format!(
        "INSERT INTO federation_links ({LINK_COLUMNS}) VALUES {}",
        values_placeholders(rows, 7)
    )
}

fn peer_keys_sql(rows: usize) -> String {
    format!(
        "INSERT INTO federation_peer_keys ({PEER_KEY_COLUMNS}) VALUES {}",
        values_placeholders(rows, 4)
    )
}

fn events_sql(rows: usize) -> String {
    format!(
        "INSERT INTO federation_link_events ({EVENT_COLUMNS}) VALUES {}",
        values_placeholders(rows, 7)
    )
}

macro_rules! bind_key {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(&r.keyid)
            .bind(&r.public_key)
            .bind(&r.secret_seed)
            .bind(r.created_at)
            .bind(r.retired_at)
    }};
}

macro_rules! bind_link {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(&r.peer_url)
            .bind(&r.peer_name)
            .bind(&r.status)
            .bind(r.created_at)
            .bind(r.updated_at)
            .bind(r.exchange_rate_ppm)
    }};
}

macro_rules! bind_peer_key {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(&r.keyid)
            .bind(r.link_id)
            .bind(&r.public_key)
            .bind(r.added_at)
    }};
}

macro_rules! bind_event {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.link_id)
            .bind(&r.status)
            .bind(r.actor_id)
            .bind(r.by_peer)
            .bind(&r.note)
            .bind(r.at)
    }};
}

/// The key this district signs with: the newest not retired.
pub async fn current_key(db: &Db) -> Result<Option<KeyRow>> {
    let sql = format!(
        "SELECT {KEY_COLUMNS} FROM federation_keys WHERE retired_at IS NULL \
         ORDER BY created_at DESC, keyid DESC LIMIT 1"
    );
    Ok(with_pool!(db.read(), pool => sqlx::query_as::<_, KeyRow>(&sql).fetch_optional(pool).await)?)
}

/// This district's keys not retired, newest first (what it publishes).
pub async fn published_keys(db: &Db) -> Result<Vec<KeyRow>> {
    let sql = format!(
        "SELECT {KEY_COLUMNS} FROM federation_keys WHERE retired_at IS NULL \
         ORDER BY created_at DESC, keyid DESC LIMIT 20"
    );
    Ok(with_pool!(db.read(), pool => sqlx::query_as::<_, KeyRow>(&sql).fetch_all(pool).await)?)
}

/// Adds a signing key (`Conflict` when its id exists).
pub async fn insert_key(db: &Db, row: &KeyRow) -> Result<()> {
    crate::insert_table!(
        db,
        std::slice::from_ref(row),
        5,
        keys_sql,
        |q, r| bind_key!(q, r)
    )
}

/// A link by id.
pub async fn link(db: &Db, id: Uuid) -> Result<LinkRow> {
    let sql = format!("SELECT {LINK_COLUMNS} FROM federation_links WHERE id = $1");
    with_pool!(db.read(), pool => sqlx::query_as::<_, LinkRow>(&sql).bind(id).fetch_optional(pool).await)?
        .ok_or(StoreError::NotFound)
}

/// A link by the other district's URL.
pub async fn link_by_url(db: &Db, url: &str) -> Result<Option<LinkRow>> {
    let sql = format!("SELECT {LINK_COLUMNS} FROM federation_links WHERE peer_url = $1");
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, LinkRow>(&sql).bind(url).fetch_optional(pool).await)?,
    )
}

/// Every link, most recently changed first (at most [`MAX_LINKS`]).
pub async fn links(db: &Db) -> Result<Vec<LinkRow>> {
    let sql = format!(
        "SELECT {LINK_COLUMNS} FROM federation_links ORDER BY updated_at DESC, id LIMIT {MAX_LINKS}"
    );
    Ok(with_pool!(db.read(), pool => sqlx::query_as::<_, LinkRow>(&sql).fetch_all(pool).await)?)
}

/// A linked district's key by the id its signatures name, with its link.
pub async fn peer_key(db: &Db, keyid: &str) -> Result<Option<(PeerKeyRow, LinkRow)>> {
    let sql = format!("SELECT {PEER_KEY_COLUMNS} FROM federation_peer_keys WHERE keyid = $1");
    let key: Option<PeerKeyRow> = with_pool!(db.read(), pool =>
        sqlx::query_as::<_, PeerKeyRow>(&sql).bind(keyid).fetch_optional(pool).await)?;
    match key {
        Some(k) => {
            let l = link(db, k.link_id).await?;
            Ok(Some((k, l)))
        }
        None => Ok(None),
    }
}

/// The keys of one link, newest first.
pub async fn peer_keys_of(db: &Db, link_id: Uuid) -> Result<Vec<PeerKeyRow>> {
    let sql = format!(
        "SELECT {PEER_KEY_COLUMNS} FROM federation_peer_keys WHERE link_id = $1 \
         ORDER BY added_at DESC, keyid LIMIT 20"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, PeerKeyRow>(&sql).bind(link_id).fetch_all(pool).await)?,
    )
}

/// The history of a link, oldest first.
pub async fn events_of(db: &Db, link_id: Uuid) -> Result<Vec<LinkEventRow>> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM federation_link_events WHERE link_id = $1 ORDER BY at, id LIMIT 1000"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, LinkEventRow>(&sql).bind(link_id).fetch_all(pool).await)?,
    )
}

/// Creates a link with its first key and first event, in one transaction. `Conflict` when a
/// link to that URL or a key with that id exists.
pub async fn create_link(
    db: &Db,
    link: &LinkRow,
    key: &PeerKeyRow,
    event: &LinkEventRow,
) -> Result<()> {
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        // A key of an ended link goes to the new link with the same district.
        sqlx::query("DELETE FROM federation_peer_keys WHERE keyid = $1 AND link_id IN (SELECT id FROM federation_links WHERE status = 'ended')")
            .bind(&key.keyid).execute(&mut *tx).await?;
        crate::insert_rows!(tx, sqlite, std::slice::from_ref(link), 7, links_sql, |q, r| bind_link!(q, r));
        crate::insert_rows!(tx, sqlite, std::slice::from_ref(key), 4, peer_keys_sql, |q, r| bind_peer_key!(q, r));
        crate::insert_rows!(tx, sqlite, std::slice::from_ref(event), 7, events_sql, |q, r| bind_event!(q, r));
        crate::audit::append_in(&mut tx, !sqlite, vec![crate::audit::link_event(event, &link.peer_url)]).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// Moves a link from one of `from` to `event.status`, logging the event, in one transaction;
/// `Conflict` when the link is in none of `from`.
pub async fn change_status(db: &Db, from: &[&str], event: &LinkEventRow) -> Result<()> {
    let sqlite = db.backend() == "sqlite";
    let from_list = from
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    // An ended link frees its address (a `#` never occurs in a stored address), so the two
    // districts may link again.
    let sql = format!(
        "UPDATE federation_links SET status = $2, updated_at = $3, \
         peer_url = CASE WHEN $2 = 'ended' THEN peer_url || $4 ELSE peer_url END \
         WHERE id = $1 AND status IN ({from_list})"
    );
    let suffix = format!("{ENDED_MARK}{}", event.link_id.simple());
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        let n = sqlx::query(&sql).bind(event.link_id).bind(&event.status).bind(event.at).bind(&suffix)
            .execute(&mut *tx).await?.rows_affected();
        if n != 1 {
            return Err(StoreError::Conflict);
        }
        crate::insert_rows!(tx, sqlite, std::slice::from_ref(event), 7, events_sql, |q, r| bind_event!(q, r));
        let peer_url: String = sqlx::query_scalar("SELECT peer_url FROM federation_links WHERE id = $1")
            .bind(event.link_id).fetch_one(&mut *tx).await?;
        crate::audit::append_in(&mut tx, !sqlite, vec![crate::audit::link_event(event, &peer_url)]).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// Records a nonce of `keyid` seen at `now`, forgetting those older than `keep_secs`: false when
/// it was already seen (a replay).
pub async fn record_nonce(
    db: &Db,
    keyid: &str,
    nonce: &str,
    now: OffsetDateTime,
    keep_secs: i64,
) -> Result<bool> {
    let before = now - time::Duration::seconds(keep_secs);
    let inserted = with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("DELETE FROM federation_nonces WHERE seen_at < $1").bind(before).execute(&mut *tx).await?;
        let n = sqlx::query("INSERT INTO federation_nonces (keyid, nonce, seen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(keyid).bind(nonce).bind(now).execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok::<_, StoreError>(n == 1)
    })?;
    Ok(inserted)
}

/// The federation tables, in a stable order.
pub async fn export(db: &Db) -> Result<FederationData> {
    Ok(FederationData {
        keys: read_all(
            db,
            &format!("SELECT {KEY_COLUMNS} FROM federation_keys ORDER BY keyid"),
        )
        .await?,
        links: read_all(
            db,
            &format!("SELECT {LINK_COLUMNS} FROM federation_links ORDER BY id"),
        )
        .await?,
        peer_keys: read_all(
            db,
            &format!("SELECT {PEER_KEY_COLUMNS} FROM federation_peer_keys ORDER BY keyid"),
        )
        .await?,
        link_events: read_all(
            db,
            &format!("SELECT {EVENT_COLUMNS} FROM federation_link_events ORDER BY id"),
        )
        .await?,
        payments: payments::export(db).await?,
        clearings: clearings::export(db).await?,
        invoices: invoices::export(db).await?,
        schedules: schedules::all(db).await?,
    })
}

/// Writes a document's federation tables into an empty database, in one transaction (people
/// first).
pub async fn import(db: &Db, d: &FederationData) -> Result<()> {
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        if !d.keys.is_empty() {
            // A server started on the empty database may have made a key already; it signed
            // nothing (there were no links), and the document's keys are the district's identity.
            sqlx::query("DELETE FROM federation_keys").execute(&mut *tx).await?;
        }
        crate::insert_rows!(tx, sqlite, &d.keys, 5, keys_sql, |q, r| bind_key!(q, r));
        crate::insert_rows!(tx, sqlite, &d.links, 7, links_sql, |q, r| bind_link!(q, r));
        crate::insert_rows!(tx, sqlite, &d.peer_keys, 4, peer_keys_sql, |q, r| bind_peer_key!(q, r));
        crate::insert_rows!(tx, sqlite, &d.link_events, 7, events_sql, |q, r| bind_event!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })?;
    payments::import(db, &d.payments).await?;
    // Before the rounds, whose invoice set-offs name them.
    invoices::import(db, &d.invoices).await?;
    schedules::import(db, &d.schedules).await?;
    clearings::import(db, &d.clearings).await
}

/// Names a linked district as it names itself.
pub async fn rename(db: &Db, id: Uuid, name: &str) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query("UPDATE federation_links SET peer_name = $2 WHERE id = $1")
        .bind(id).bind(name).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Sets the rate between our currency and a linked district's.
pub async fn set_rate(db: &Db, id: Uuid, exchange_rate_ppm: i64) -> Result<()> {
    let n = with_pool!(db.write(), pool => sqlx::query("UPDATE federation_links SET exchange_rate_ppm = $2 WHERE id = $1")
        .bind(id).bind(exchange_rate_ppm).execute(pool).await.map(|r| r.rows_affected()))?;
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

/// Retires one of this district's keys: it no longer signs, nor is it published.
pub async fn retire_key(db: &Db, keyid: &str, at: OffsetDateTime) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query("UPDATE federation_keys SET retired_at = $2 WHERE keyid = $1 AND retired_at IS NULL")
        .bind(keyid).bind(at).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// A linked district replaced its key: the new one is added and the old one forgotten, in one
/// transaction. `Conflict` when the new key id is taken.
pub async fn replace_peer_key(db: &Db, old_keyid: &str, new: &PeerKeyRow) -> Result<()> {
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        crate::insert_rows!(tx, sqlite, std::slice::from_ref(new), 4, peer_keys_sql, |q, r| bind_peer_key!(q, r));
        sqlx::query("DELETE FROM federation_peer_keys WHERE keyid = $1 AND link_id = $2")
            .bind(old_keyid).bind(new.link_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}
