//! Point reads on the hot path of every request (the session behind a token, whether a person
//! may spend from an account), through plain SQLite (rusqlite) on the calling thread.
//!
//! Why not sqlx: a sqlx SQLite read is a hand-over to the connection's worker thread and back,
//! two thread wake-ups and the copies between them, for a look-up that itself takes a few
//! microseconds. Under 64 clients posting transfers, those hand-overs (four a request) were a
//! large part of the two cores' time. Here the read runs where the request is, on a connection
//! taken from a small set of idle ones.
//!
//! Running SQLite on the async runtime's thread is safe here because these reads never wait: in
//! WAL mode a reader takes no lock a writer holds, the statements are look-ups by unique index,
//! and the busy timeout is short. Any failure (the file cannot be opened, SQLite is busy, a value
//! does not decode) answers `None`, and the caller reads through sqlx as before, so this is
//! only ever a faster way to the same answer.

use rusqlite::types::Type;
use rusqlite::{Connection, OpenFlags, Row};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// Idle connections kept for the next reads (more open when many reads run at once; the
/// extra ones are closed after use).
const MAX_IDLE: usize = 8;
/// How long a read waits on a lock before giving up for sqlx (a WAL reader rarely waits at all).
const BUSY_TIMEOUT: Duration = Duration::from_millis(50);

/// The SQLite file's plain read connections (cheap to clone).
#[derive(Clone, Default)]
pub struct PlainReads {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for PlainReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.inner.as_ref().map(|i| i.path.display().to_string());
        f.debug_struct("PlainReads").field("path", &path).finish()
    }
}

impl PlainReads {
    /// Reads of the database file at `path`; none for an in-memory database.
    pub(crate) fn new(path: Option<PathBuf>) -> Self {
        Self {
            inner: path.map(|path| {
                Arc::new(Inner {
                    path,
                    idle: Mutex::new(Vec::new()),
                })
            }),
        }
    }

    /// Runs `read` on an idle connection (or a new one). `None` when there is no file or
    /// anything failed: the caller then reads through sqlx.
    pub(crate) fn run<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Option<T> {
        let inner = self.inner.as_ref()?;
        let conn = match inner.idle.lock().ok().and_then(|mut idle| idle.pop()) {
            Some(conn) => conn,
            None => open(inner)
                .inspect_err(|e| tracing::debug!(error = %e, "plain SQLite read: no connection"))
                .ok()?,
        };
        let answer = read(&conn);
        if let Ok(mut idle) = inner.idle.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push(conn);
        }
        answer
            .inspect_err(
                |e| tracing::debug!(error = %e, "plain SQLite read failed; reading through sqlx"),
            )
            .ok()
    }
}

fn open(inner: &Inner) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        &inner.path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // These connections only read.
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// A UUID column as sqlx stores it on SQLite (16-byte blob).
pub(crate) fn uuid_at(row: &Row<'_>, index: usize) -> rusqlite::Result<Uuid> {
    optional_uuid_at(row, index)?
        .ok_or_else(|| rusqlite::Error::InvalidColumnType(index, "uuid".into(), Type::Null))
}

/// A nullable UUID column as sqlx stores it on SQLite.
pub(crate) fn optional_uuid_at(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<Uuid>> {
    let bytes: Option<Vec<u8>> = row.get(index)?;
    bytes
        .map(|b| Uuid::from_slice(&b))
        .transpose()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, Type::Blob, Box::new(e)))
}

/// A UUID bound as sqlx binds it on SQLite (its 16 bytes, borrowed).
pub(crate) fn uuid_param(id: &Uuid) -> &[u8] {
    id.as_bytes().as_slice()
}

/// An instant column as sqlx stores it on SQLite (RFC 3339 text).
pub(crate) fn instant_at(row: &Row<'_>, index: usize) -> rusqlite::Result<OffsetDateTime> {
    let text: String = row.get(index)?;
    OffsetDateTime::parse(&text, &Rfc3339)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(e)))
}

/// An instant as sqlx binds it on SQLite (RFC 3339 text), for comparisons with stored ones.
pub(crate) fn instant_text(at: OffsetDateTime) -> rusqlite::Result<String> {
    at.format(&Rfc3339)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::AccountRow;
    use crate::ledger::AuthorizationRow;
    use crate::{Db, with_pool};

    async fn database() -> (Db, PathBuf) {
        crate::test_sqlite("plain-read").await
    }

    /// The same database read through sqlx only.
    fn sqlx_only(db: &Db) -> Db {
        match db {
            Db::Sqlite { read, write, .. } => Db::Sqlite {
                read: read.clone(),
                write: write.clone(),
                plain: PlainReads::default(),
            },
            Db::Postgres(_) => unreachable!("a SQLite test"),
        }
    }

    async fn person(db: &Db, email: &str) -> Uuid {
        let id = Uuid::now_v7();
        let now = crate::now();
        with_pool!(db.write(), pool => sqlx::query(
            "INSERT INTO people (id, email, name, password_hash, role, membership_status, locale, created_at, updated_at) \
             VALUES ($1, $2, 'Ada', '', 'member', 'active', 'it', $3, $3)")
            .bind(id).bind(email).bind(now).execute(pool).await.map(|r| r.rows_affected()))
        .unwrap();
        id
    }

    async fn account_of(db: &Db, owner: Uuid) -> Uuid {
        let id = Uuid::now_v7();
        let row = AccountRow {
            id,
            owner_kind: "person".into(),
            owner_id: Some(owner),
            currency: "CRD".into(),
            created_at: crate::now(),
            purpose: None,
            balance_minor: 0,
            credit_limit_minor: 0,
            upper_limit_minor: None,
        };
        crate::accounts::insert_accounts(db, &[row]).await.unwrap();
        id
    }

    /// Sessions and spending rights read through plain SQLite give sqlx's answers, for live,
    /// expired and other-kind sessions and for own, authorised, foreign and unknown accounts.
    #[tokio::test]
    async fn plain_reads_answer_as_sqlx_does() {
        let (db, path) = database().await;
        let slow = sqlx_only(&db);
        let ada = person(&db, "ada@example.org").await;
        let bob = person(&db, "bob@example.org").await;
        let now = crate::now();
        let hour = time::Duration::hours(1);
        crate::auth::insert_session(&db, "live", ada, "api", now - hour, now + hour)
            .await
            .unwrap();
        crate::auth::insert_session(&db, "old", ada, "api", now - hour * 2, now - hour)
            .await
            .unwrap();
        crate::auth::insert_session(&db, "page", ada, "browser", now, now + hour)
            .await
            .unwrap();
        for (token, kind, live) in [
            ("live", "api", true),
            ("old", "api", false),
            ("page", "api", false),
            ("page", "browser", true),
            ("none", "api", false),
        ] {
            let plain = db.plain_read(|c| crate::auth::session_person_plain(c, token, kind, now));
            let plain = plain.expect("the plain read answers on a SQLite file");
            let sqlx = crate::auth::session_person(&slow, token, kind, now)
                .await
                .unwrap();
            assert_eq!(plain, sqlx, "{token}/{kind}");
            assert_eq!(plain.is_some(), live, "{token}/{kind}");
            if let Some(p) = plain {
                assert_eq!((p.person_id, p.locale.as_deref()), (ada, Some("it")));
                assert_eq!(p.expires_at, now + hour);
            }
        }

        let own = account_of(&db, ada).await;
        let foreign = account_of(&db, bob).await;
        let shared = account_of(&db, bob).await;
        crate::ledger::authorize(
            &db,
            &AuthorizationRow {
                account_id: shared,
                person_id: ada,
                granted_by: bob,
                created_at: now,
            },
        )
        .await
        .unwrap();
        for (account, may) in [
            (own, true),
            (foreign, false),
            (shared, true),
            (Uuid::now_v7(), false),
        ] {
            let fast = crate::ledger::may_spend(&db, account, ada).await.unwrap();
            let slow = crate::ledger::may_spend(&slow, account, ada).await.unwrap();
            assert_eq!((fast, slow), (may, may), "account {account}");
        }
        // The plain path did answer (it is not sqlx answering twice).
        assert!(
            db.plain_read(
                |c| c.query_row("SELECT COUNT(*) FROM sessions", [], |r| r.get::<_, i64>(0))
            ) == Some(3)
        );
        // And it only reads.
        assert_eq!(
            db.plain_read(|c| c.execute("DELETE FROM sessions", [])),
            None
        );
        db.close().await;
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn no_file_no_plain_read() {
        assert_eq!(PlainReads::new(None).run(|_| Ok(1)), None);
    }
}
