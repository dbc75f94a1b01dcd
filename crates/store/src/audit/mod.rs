//! The audit log's rows: appended under the log's head (locked on PostgreSQL; SQLite writes are
//! serial already), read newest first by administrators, replayed by `distretto audit verify`,
//! and carried whole by the export.

use crate::{Db, Result, StoreError, with_pool};
use distretto_domain::audit::{AuditEntry, AuditEvent, AuditKind, AuditVerifier, Hash};
use futures_util::TryStreamExt;
use time::OffsetDateTime;
use uuid::Uuid;

/// The most rows one page of the log shows.
pub const MAX_PAGE_ROWS: u32 = 200;

/// One stored entry, as read and exported.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRow {
    pub seq: i64,
    pub kind: String,
    pub actor_id: Option<Uuid>,
    pub subject: String,
    pub detail: String,
    pub client: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[serde(with = "crate::ledger::hex_bytes")]
    pub hash: Vec<u8>,
}

const COLUMNS: &str = "seq, kind, actor_id, subject, detail, client, at, hash";

impl AuditRow {
    /// The domain's entry, or `None` when the kind or the hash cannot be read.
    pub fn entry(&self) -> Option<AuditEntry> {
        Some(AuditEntry {
            seq: self.seq,
            event: AuditEvent {
                kind: AuditKind::parse(&self.kind)?,
                actor: self.actor_id,
                subject: self.subject.clone(),
                detail: self.detail.clone(),
                client: self.client.clone(),
                at: self.at,
            },
            hash: self.hash.as_slice().try_into().ok()?,
        })
    }

    fn of(entry: AuditEntry) -> Self {
        Self {
            seq: entry.seq,
            kind: entry.event.kind.code().to_owned(),
            actor_id: entry.event.actor,
            subject: entry.event.subject,
            detail: entry.event.detail,
            client: entry.event.client,
            at: entry.event.at,
            hash: entry.hash.to_vec(),
        }
    }
}

fn insert_sql(rows: usize) -> String {
    format!(
        "INSERT INTO audit_log ({COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, 8)
    )
}

macro_rules! bind_audit {
    ($q:expr, $r:expr) => {
        $q.bind($r.seq)
            .bind(&$r.kind)
            .bind($r.actor_id)
            .bind(&$r.subject)
            .bind(&$r.detail)
            .bind(&$r.client)
            .bind($r.at)
            .bind(&$r.hash)
    };
}

/// Appends `events` inside the caller's write transaction, so the event and what it records
/// commit together. Locks the head on PostgreSQL (`pg`); SQLite's single writer is serial.
pub(crate) async fn append_in<'c, DB>(
    tx: &mut sqlx::Transaction<'c, DB>,
    pg: bool,
    events: Vec<AuditEvent>,
) -> Result<()>
where
    DB: sqlx::Database,
    for<'e> &'e mut <DB as sqlx::Database>::Connection: sqlx::Executor<'e, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB> + for<'r> sqlx::Decode<'r, DB>,
    Vec<u8>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB> + for<'r> sqlx::Decode<'r, DB>,
    Uuid: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<Uuid>: for<'q> sqlx::Encode<'q, DB>,
    Option<String>: for<'q> sqlx::Encode<'q, DB>,
    OffsetDateTime: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<<DB as sqlx::Database>::Row>,
{
    use sqlx::Row as _;
    if events.is_empty() {
        return Ok(());
    }
    let head_sql = if pg {
        "SELECT last_seq, last_hash FROM audit_head WHERE id = 1 FOR UPDATE"
    } else {
        "SELECT last_seq, last_hash FROM audit_head WHERE id = 1"
    };
    let head = sqlx::query(head_sql).fetch_one(&mut **tx).await?;
    let last_seq: i64 = head.try_get(0)?;
    let last_hash: Vec<u8> = head.try_get(1)?;
    let last_hash: Hash = last_hash
        .as_slice()
        .try_into()
        .map_err(|_| StoreError::Corrupt("audit_head.last_hash"))?;
    let rows: Vec<AuditRow> = distretto_domain::audit::chain(last_seq, last_hash, events)
        .into_iter()
        .map(AuditRow::of)
        .collect();
    let sql = insert_sql(1);
    for row in &rows {
        bind_audit!(sqlx::query(&sql), row)
            .execute(&mut **tx)
            .await?;
    }
    if let Some(last) = rows.last() {
        sqlx::query("UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1")
            .bind(last.seq)
            .bind(last.hash.clone())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Appends one event in a transaction of its own.
pub async fn append(db: &Db, event: AuditEvent) -> Result<()> {
    let pg = db.backend() == "postgres";
    with_pool!(db.write(), pool => {
        let mut tx = if pg { pool.begin().await? } else { pool.begin_with("BEGIN IMMEDIATE").await? };
        append_in(&mut tx, pg, vec![event]).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// A page of the log, newest first: entries before `before_seq` (all when `None`), of `kind`
/// when given, at most `limit` (bounded by [`MAX_PAGE_ROWS`]).
pub async fn page(
    db: &Db,
    kind: Option<AuditKind>,
    before_seq: Option<i64>,
    limit: u32,
) -> Result<Vec<AuditRow>> {
    let limit = i64::from(limit.clamp(1, MAX_PAGE_ROWS));
    let before = before_seq.unwrap_or(i64::MAX);
    let rows = match kind {
        Some(kind) => with_pool!(db.read(), pool => sqlx::query_as::<_, AuditRow>(&format!(
            "SELECT {COLUMNS} FROM audit_log WHERE kind = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3"))
            .bind(kind.code()).bind(before).bind(limit).fetch_all(pool).await)?,
        None => with_pool!(db.read(), pool => sqlx::query_as::<_, AuditRow>(&format!(
            "SELECT {COLUMNS} FROM audit_log WHERE seq < $1 ORDER BY seq DESC LIMIT $2"))
            .bind(before).bind(limit).fetch_all(pool).await)?,
    };
    Ok(rows)
}

/// Replays the whole log in order, streaming, against the recorded head.
pub async fn verify(db: &Db) -> Result<AuditVerifier> {
    let sql = format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq");
    let mut v = AuditVerifier::default();
    with_pool!(db.read(), pool => {
        let mut tx = pool.begin().await?;
        let (head_seq, head_hash): (i64, Vec<u8>) =
            sqlx::query_as("SELECT last_seq, last_hash FROM audit_head WHERE id = 1").fetch_one(&mut *tx).await?;
        {
            let mut rows = sqlx::query_as::<_, AuditRow>(&sql).fetch(&mut *tx);
            while let Some(row) = rows.try_next().await? {
                match row.entry() {
                    Some(entry) => v.push(&entry),
                    None => v.unknown_kind(row.seq),
                }
            }
        }
        let head_hash: Hash = head_hash.as_slice().try_into().map_err(|_| StoreError::Corrupt("audit_head.last_hash"))?;
        tx.commit().await?;
        v = v.finish(head_seq, &head_hash);
        Ok::<_, StoreError>(())
    })?;
    Ok(v)
}

/// The whole log in order, for the export.
pub async fn export(db: &Db) -> Result<Vec<AuditRow>> {
    crate::export::read_all(db, &format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq")).await
}

/// Writes an exported log as it is, and moves the head to its last entry (the import's path:
/// `audit verify` then checks the chain the document carried).
pub async fn import(db: &Db, rows: &[AuditRow]) -> Result<()> {
    let Some(last) = rows.last() else {
        return Ok(());
    };
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        crate::insert_rows!(tx, sqlite, rows, 8, insert_sql, |q, r| bind_audit!(q, r));
        sqlx::query("UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1")
            .bind(last.seq).bind(&last.hash).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// The event of a limit change (codes and figures in minor units; the reason as given).
pub(crate) fn limits_changed(c: &crate::ledger::LimitChangeRow) -> AuditEvent {
    let upper = |u: Option<i64>| u.map_or_else(|| "none".to_owned(), |u| u.to_string());
    let decision = c
        .decision_ref
        .as_deref()
        .map(|d| format!(" decision={d}"))
        .unwrap_or_default();
    AuditEvent::new(
        AuditKind::LimitsChanged,
        c.changed_by,
        format!("account:{}", c.account_id),
        format!(
            "credit_limit_minor {}→{} upper_limit_minor {}→{}{decision}: {}",
            c.old_credit_limit_minor,
            c.credit_limit_minor,
            upper(c.old_upper_limit_minor),
            upper(c.upper_limit_minor),
            c.reason
        ),
        c.created_at,
    )
}

/// The event of a membership decision (admission, rejection, suspension, reinstatement).
pub(crate) fn membership_decided(e: &crate::membership::DecisionEffect) -> AuditEvent {
    let log = &e.log;
    let application = log
        .application_id
        .map(|a| format!(" application={a}"))
        .unwrap_or_default();
    AuditEvent::new(
        AuditKind::MembershipDecided,
        log.decided_by,
        format!("{}:{}", log.subject_kind, log.subject_id),
        format!("{}{application}: {}", log.decision, log.reason),
        log.decided_at,
    )
}

/// The event of a federation link's change of status.
pub(crate) fn link_event(e: &crate::federation::LinkEventRow, peer_url: &str) -> AuditEvent {
    let by = if e.by_peer { "peer" } else { "us" };
    AuditEvent::new(
        AuditKind::FederationLink,
        e.actor_id,
        format!("link:{}", e.link_id),
        format!("{} by {by} {peer_url}: {}", e.status, e.note),
        e.at,
    )
}

/// Whether the log holds no entry (an import writes its document's log only into an empty one).
pub async fn is_empty(db: &Db) -> Result<bool> {
    let n: i64 = with_pool!(db.read(), pool => sqlx::query_scalar("SELECT last_seq FROM audit_head WHERE id = 1")
        .fetch_one(pool).await)?;
    Ok(n == 0)
}
