//! Sessions, API tokens and sign-in throttling. Only SHA-256 hashes of secrets are stored.

use crate::{Db, Result, StoreError, with_pool};
use time::OffsetDateTime;
use uuid::Uuid;

/// A live session or API token, joined with what authorisation needs of its person.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SessionPerson {
    pub person_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub membership_status: String,
    pub locale: Option<String>,
    pub kind: String,
    pub expires_at: OffsetDateTime,
}

/// Stores a session (`kind` = `browser`) or API token (`kind` = `api`).
pub async fn insert_session(
    db: &Db,
    token_hash: &str,
    person_id: Uuid,
    kind: &str,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "INSERT INTO sessions (token_hash, person_id, kind, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(token_hash).bind(person_id).bind(kind).bind(now).bind(expires_at).execute(pool).await.map(|r| r.rows_affected()))
        .map_err(StoreError::from_write)?;
    Ok(())
}

/// The person behind a live (unexpired) session or token of the given kind.
pub async fn session_person(
    db: &Db,
    token_hash: &str,
    kind: &str,
    now: OffsetDateTime,
) -> Result<Option<SessionPerson>> {
    if let Some(found) = db.plain_read(|c| session_person_plain(c, token_hash, kind, now)) {
        return Ok(found);
    }
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, SessionPerson>(SESSION_PERSON_SQL)
        .bind(token_hash).bind(kind).bind(now).fetch_optional(pool).await)?,
    )
}

/// The session look-up (SQLite numbers `$N` parameters in order of appearance, as sqlx does).
const SESSION_PERSON_SQL: &str = "SELECT s.person_id, p.email, p.name, p.role, p.membership_status, p.locale, s.kind, s.expires_at \
     FROM sessions s JOIN people p ON p.id = s.person_id WHERE s.token_hash = $1 AND s.kind = $2 AND s.expires_at > $3";

/// [`session_person`] through plain SQLite (every request asks it).
pub(crate) fn session_person_plain(
    conn: &rusqlite::Connection,
    token_hash: &str,
    kind: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<Option<SessionPerson>> {
    use crate::plain_read::{instant_at, instant_text, uuid_at};
    use rusqlite::OptionalExtension;
    let now = instant_text(now)?;
    conn.prepare_cached(SESSION_PERSON_SQL)?
        .query_row(rusqlite::params![token_hash, kind, now], |r| {
            Ok(SessionPerson {
                person_id: uuid_at(r, 0)?,
                email: r.get(1)?,
                name: r.get(2)?,
                role: r.get(3)?,
                membership_status: r.get(4)?,
                locale: r.get(5)?,
                kind: r.get(6)?,
                expires_at: instant_at(r, 7)?,
            })
        })
        .optional()
}

/// Ends one session.
pub async fn delete_session(db: &Db, token_hash: &str) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Ends every session and token of a person (on suspension or password change).
pub async fn delete_sessions_of(db: &Db, person_id: Uuid) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query("DELETE FROM sessions WHERE person_id = $1").bind(person_id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Removes expired sessions and old throttle entries; returns how many sessions went.
pub async fn purge_expired(
    db: &Db,
    now: OffsetDateTime,
    throttle_before: OffsetDateTime,
) -> Result<u64> {
    with_pool!(db.write(), pool => {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(pool).await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE failed_at < $1").bind(throttle_before).execute(pool).await?;
        Ok(done.rows_affected())
    })
}

/// Records a failed sign-in under each throttle key (e-mail, address).
pub async fn record_failure(db: &Db, keys: &[&str], now: OffsetDateTime) -> Result<()> {
    with_pool!(db.write(), pool => {
        for key in keys.iter().take(4) {
            sqlx::query("INSERT INTO sign_in_failures (throttle_key, failed_at) VALUES ($1, $2)").bind(key).bind(now).execute(pool).await?;
        }
        Ok::<_, StoreError>(())
    })
}

/// Failed sign-ins under `key` since `since`.
pub async fn failures_since(db: &Db, key: &str, since: OffsetDateTime) -> Result<i64> {
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM sign_in_failures WHERE throttle_key = $1 AND failed_at > $2")
        .bind(key).bind(since).fetch_one(pool).await)?)
}

/// Forgets the failures under `key` (after a successful sign-in).
pub async fn clear_failures(db: &Db, key: &str) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query("DELETE FROM sign_in_failures WHERE throttle_key = $1").bind(key).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}
