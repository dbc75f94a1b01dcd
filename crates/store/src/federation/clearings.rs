//! Clearing rounds between districts as stored: this district's side of each round, its
//! transfers between mirror accounts (held, then posted or released by the ledger writer with
//! `Effect::FederationClearing`, in the same transaction as the round's status), and, for a
//! round this district started, what each other district answered.

use crate::export::read_all;
use crate::{Db, Result, StoreError, with_pool};
use time::OffsetDateTime;
use uuid::Uuid;

/// This district's side of a clearing round between districts.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ClearingRow {
    /// The round's id: the same in every district.
    pub id: Uuid,
    /// The link to the district that started it; `None` when this district did.
    pub initiator_link_id: Option<Uuid>,
    /// `new`, `held`, `committed`, `aborted` or `refused`.
    pub status: String,
    /// The round's set-off (`distretto_domain::federation::clearing::Plan` as JSON).
    pub plan: String,
    /// The sum of every debt set off in the round, across all its districts.
    pub set_off_minor: i64,
    /// Why it was refused or aborted (a stable code).
    pub refusal: Option<String>,
    /// Whether this district may still have to act on it.
    pub open: bool,
    /// Messages sent for it so far.
    pub attempts: i32,
    /// The coordinator who started it (`None`: the schedule, or another district).
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// The initiator aborts a round not every district prepared by then.
    #[serde(with = "time::serde::rfc3339")]
    pub deadline_at: OffsetDateTime,
}

/// One transfer of this district's part: from one linked district's mirror to another's.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct LegRow {
    pub id: Uuid,
    pub clearing_id: Uuid,
    pub debit_account: Uuid,
    pub credit_account: Uuid,
    pub amount_minor: i64,
    /// The posted transfer, once committed.
    pub transfer_id: Option<Uuid>,
}

/// What another district answered the initiator of a round.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct PartyRow {
    pub clearing_id: Uuid,
    pub link_id: Uuid,
    /// `asked`, `prepared` or `refused`.
    pub answer: String,
    pub refusal: Option<String>,
    /// Whether it acknowledged the round's outcome.
    pub told: bool,
}

/// What a round sets off of one invoice between districts that this district keeps.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct InvoiceLineRow {
    pub clearing_id: Uuid,
    pub invoice_id: Uuid,
    pub set_off_minor: i64,
}

/// Everything of clearing rounds, for the district export.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClearingsData {
    pub rounds: Vec<ClearingRow>,
    pub legs: Vec<LegRow>,
    pub parties: Vec<PartyRow>,
    /// The invoices between districts each round sets off here (absent before version 10).
    #[serde(default)]
    pub invoices: Vec<InvoiceLineRow>,
}

const COLUMNS: &str = "id, initiator_link_id, status, plan, set_off_minor, refusal, open, attempts, created_by, \
    created_at, updated_at, deadline_at";
const COLUMN_COUNT: usize = 12;
const LEG_COLUMNS: &str =
    "id, clearing_id, debit_account, credit_account, amount_minor, transfer_id";
const LEG_COLUMN_COUNT: usize = 6;
const PARTY_COLUMNS: &str = "clearing_id, link_id, answer, refusal, told";
const PARTY_COLUMN_COUNT: usize = 5;
const LINE_COLUMNS: &str = "clearing_id, invoice_id, set_off_minor";
const LINE_COLUMN_COUNT: usize = 3;
/// Rounds listed at most.
pub const MAX_LISTED: i64 = 200;

fn insert_sql(rows: usize) -> String {
    format!(
        "INSERT INTO federation_clearings ({COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, COLUMN_COUNT)
    )
}

fn legs_sql(rows: usize) -> String {
    format!(
        "INSERT INTO federation_clearing_legs ({LEG_COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, LEG_COLUMN_COUNT)
    )
}

fn parties_sql(rows: usize) -> String {
    format!(
        "INSERT INTO federation_clearing_parties ({PARTY_COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, PARTY_COLUMN_COUNT)
    )
}

fn lines_sql(rows: usize) -> String {
    format!(
        "INSERT INTO federation_clearing_invoices ({LINE_COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, LINE_COLUMN_COUNT)
    )
}

macro_rules! bind_line {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.clearing_id)
            .bind(r.invoice_id)
            .bind(r.set_off_minor)
    }};
}

macro_rules! bind_round {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.initiator_link_id)
            .bind(&r.status)
            .bind(&r.plan)
            .bind(r.set_off_minor)
            .bind(&r.refusal)
            .bind(r.open)
            .bind(r.attempts)
            .bind(r.created_by)
            .bind(r.created_at)
            .bind(r.updated_at)
            .bind(r.deadline_at)
    }};
}

macro_rules! bind_leg {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.clearing_id)
            .bind(r.debit_account)
            .bind(r.credit_account)
            .bind(r.amount_minor)
            .bind(r.transfer_id)
    }};
}

macro_rules! bind_party {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.clearing_id)
            .bind(r.link_id)
            .bind(&r.answer)
            .bind(&r.refusal)
            .bind(r.told)
    }};
}

/// Records a round with its legs and invoice set-offs here and the districts asked, in one
/// transaction; `Conflict` when the round is already recorded.
pub async fn insert(
    db: &Db,
    round: &ClearingRow,
    legs: &[LegRow],
    parties: &[PartyRow],
    invoices: &[InvoiceLineRow],
) -> Result<()> {
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        crate::insert_rows!(tx, sqlite, std::slice::from_ref(round), COLUMN_COUNT, insert_sql, |q, r| bind_round!(q, r));
        crate::insert_rows!(tx, sqlite, legs, LEG_COLUMN_COUNT, legs_sql, |q, r| bind_leg!(q, r));
        crate::insert_rows!(tx, sqlite, parties, PARTY_COLUMN_COUNT, parties_sql, |q, r| bind_party!(q, r));
        crate::insert_rows!(tx, sqlite, invoices, LINE_COLUMN_COUNT, lines_sql, |q, r| bind_line!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// A round by its id.
pub async fn round(db: &Db, id: Uuid) -> Result<ClearingRow> {
    let sql = format!("SELECT {COLUMNS} FROM federation_clearings WHERE id = $1");
    with_pool!(db.read(), pool => sqlx::query_as::<_, ClearingRow>(&sql).bind(id).fetch_optional(pool).await)?
        .ok_or(StoreError::NotFound)
}

/// A round's legs here, in a stable order (the order the writer checks them in).
pub async fn legs(db: &Db, id: Uuid) -> Result<Vec<LegRow>> {
    let sql = format!(
        "SELECT {LEG_COLUMNS} FROM federation_clearing_legs WHERE clearing_id = $1 ORDER BY id"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, LegRow>(&sql).bind(id).fetch_all(pool).await)?,
    )
}

/// What a round sets off of this district's invoices between districts.
pub async fn invoice_lines(db: &Db, id: Uuid) -> Result<Vec<InvoiceLineRow>> {
    let sql = format!(
        "SELECT {LINE_COLUMNS} FROM federation_clearing_invoices WHERE clearing_id = $1 ORDER BY invoice_id"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, InvoiceLineRow>(&sql).bind(id).fetch_all(pool).await)?,
    )
}

/// What each other district of a round this district started answered.
pub async fn parties(db: &Db, id: Uuid) -> Result<Vec<PartyRow>> {
    let sql = format!(
        "SELECT {PARTY_COLUMNS} FROM federation_clearing_parties WHERE clearing_id = $1 ORDER BY link_id"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, PartyRow>(&sql).bind(id).fetch_all(pool).await)?,
    )
}

/// Records a district's answer to `prepare` (only while it was `asked`: the first answer
/// counts).
pub async fn answer(
    db: &Db,
    id: Uuid,
    link: Uuid,
    answer: &str,
    refusal: Option<&str>,
) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "UPDATE federation_clearing_parties SET answer = $3, refusal = $4 WHERE clearing_id = $1 AND link_id = $2 AND answer = 'asked'")
        .bind(id).bind(link).bind(answer).bind(refusal).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// A district acknowledged the round's outcome.
pub async fn told(db: &Db, id: Uuid, link: Uuid) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "UPDATE federation_clearing_parties SET told = TRUE WHERE clearing_id = $1 AND link_id = $2")
        .bind(id).bind(link).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Moves a round nothing is reserved for from `new` to `refused` or `aborted`, with its code;
/// false when it was not new.
pub async fn refuse(db: &Db, id: Uuid, status: &str, refusal: &str, open: bool) -> Result<bool> {
    let n = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE federation_clearings SET status = $2, refusal = $3, open = $4, updated_at = $5 WHERE id = $1 AND status = 'new'")
        .bind(id).bind(status).bind(refusal).bind(open).bind(crate::now()).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Records why a held round was aborted (after the writer released it).
pub async fn set_refusal(db: &Db, id: Uuid, refusal: &str) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "UPDATE federation_clearings SET refusal = $2 WHERE id = $1 AND refusal IS NULL")
        .bind(id).bind(refusal).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Nothing is left to do for a settled round.
pub async fn close(db: &Db, id: Uuid) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "UPDATE federation_clearings SET open = FALSE, updated_at = $2 WHERE id = $1 AND status IN ('committed', 'aborted', 'refused')")
        .bind(id).bind(crate::now()).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Counts a round of messages sent for an open round.
pub async fn count_attempt(db: &Db, id: Uuid) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "UPDATE federation_clearings SET attempts = attempts + 1, updated_at = $2 WHERE id = $1")
        .bind(id).bind(crate::now()).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Open rounds not touched since `before`, oldest first (at most `limit`).
pub async fn open_rounds(db: &Db, before: OffsetDateTime, limit: i64) -> Result<Vec<ClearingRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM federation_clearings WHERE open AND updated_at <= $1 ORDER BY updated_at, id LIMIT $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, ClearingRow>(&sql).bind(before).bind(limit).fetch_all(pool).await)?,
    )
}

/// Rounds this district started that are still open (one at a time).
pub async fn open_started(db: &Db) -> Result<i64> {
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM federation_clearings WHERE open AND initiator_link_id IS NULL")
        .fetch_one(pool).await)?)
}

/// When this district last started a round, if ever.
pub async fn last_started(db: &Db) -> Result<Option<OffsetDateTime>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT MAX(created_at) FROM federation_clearings WHERE initiator_link_id IS NULL")
        .fetch_one(pool).await)?)
}

/// Rounds, newest first (a page of at most [`MAX_LISTED`]), and how many there are.
pub async fn list(db: &Db, limit: i64, offset: i64) -> Result<(Vec<ClearingRow>, i64)> {
    let sql = format!(
        "SELECT {COLUMNS} FROM federation_clearings ORDER BY created_at DESC, id LIMIT $1 OFFSET $2"
    );
    let rows = with_pool!(db.read(), pool => sqlx::query_as::<_, ClearingRow>(&sql)
        .bind(limit.clamp(0, MAX_LISTED)).bind(offset.max(0)).fetch_all(pool).await)?;
    let total: i64 = with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM federation_clearings").fetch_one(pool).await)?;
    Ok((rows, total))
}

/// Every round, leg and answer, in a stable order.
pub async fn export(db: &Db) -> Result<ClearingsData> {
    Ok(ClearingsData {
        rounds: read_all(db, &format!("SELECT {COLUMNS} FROM federation_clearings ORDER BY id")).await?,
        legs: read_all(db, &format!("SELECT {LEG_COLUMNS} FROM federation_clearing_legs ORDER BY id")).await?,
        parties: read_all(
            db,
            &format!("SELECT {PARTY_COLUMNS} FROM federation_clearing_parties ORDER BY clearing_id, link_id"),
        )
        .await?,
        invoices: read_all(
            db,
            &format!("SELECT {LINE_COLUMNS} FROM federation_clearing_invoices ORDER BY clearing_id, invoice_id"),
        )
        .await?,
    })
}

/// Writes a document's rounds (after its accounts, links and transfers).
pub async fn import(db: &Db, d: &ClearingsData) -> Result<()> {
    crate::insert_table!(db, &d.rounds, COLUMN_COUNT, insert_sql, |q, r| bind_round!(
        q, r
    ))?;
    crate::insert_table!(db, &d.legs, LEG_COLUMN_COUNT, legs_sql, |q, r| bind_leg!(
        q, r
    ))?;
    crate::insert_table!(
        db,
        &d.parties,
        PARTY_COLUMN_COUNT,
        parties_sql,
        |q, r| bind_party!(q, r)
    )?;
    crate::insert_table!(
        db,
        &d.invoices,
        LINE_COLUMN_COUNT,
        lines_sql,
        |q, r| bind_line!(q, r)
    )
}

/// The statement, run in the writer's transaction that commits a round (`$1`), that sets off
/// what the round sets off of this district's invoices between districts, and marks an
/// invoice paid once nothing remains.
pub(crate) const SET_OFF_INVOICES_SQL: &str = "UPDATE federation_invoices SET \
     set_off_minor = set_off_minor + (SELECT l.set_off_minor FROM federation_clearing_invoices l \
                                      WHERE l.clearing_id = $1 AND l.invoice_id = federation_invoices.id), \
     status = CASE WHEN amount_minor - paid_minor - set_off_minor <= \
                        (SELECT l.set_off_minor FROM federation_clearing_invoices l \
                         WHERE l.clearing_id = $1 AND l.invoice_id = federation_invoices.id) THEN 'paid' ELSE status END, \
     updated_at = $2 \
     WHERE id IN (SELECT invoice_id FROM federation_clearing_invoices WHERE clearing_id = $1)";
