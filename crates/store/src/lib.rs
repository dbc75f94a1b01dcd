//! The only place with SQL. One [`Db`] over native sqlx SQLite and PostgreSQL pools; each query
//! is written once in the dialect both accept (`$1` placeholders, `RETURNING`, `ON CONFLICT`).

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod clearing;
pub mod demo;
pub mod directory;
pub mod export;
pub mod federation;
pub mod governance;
pub mod impact;
pub mod ledger;
pub mod market;
pub mod membership;
pub mod notifications;
mod plain_read;
pub mod purchasing;
mod retry;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// A store failure. Constraint violations the caller can act on get their own variants.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write (e.g. an e-mail already registered).
    #[error("already exists")]
    Conflict,
    /// The database URL could not be understood.
    #[error("bad database URL: {0}")]
    BadUrl(String),
    /// The server's configuration is unsafe for the ledger.
    #[error("unsafe database configuration: {0}")]
    UnsafeConfig(String),
    /// Any other database error.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// A plain SQLite statement failed (the ledger replay, the ledger writer's plain batches).
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value no longer parses (corrupt or newer data).
    #[error("corrupt stored value in {0}")]
    Corrupt(&'static str),
}

impl StoreError {
    /// Maps unique-violation errors to [`StoreError::Conflict`].
    pub fn from_write(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => Self::Conflict,
            sqlx::Error::RowNotFound => Self::NotFound,
            _ => Self::Sqlx(e),
        }
    }
}

/// Store result.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The database: SQLite (embedded, default) or PostgreSQL.
#[derive(Clone, Debug)]
pub enum Db {
    /// SQLite in WAL mode: many readers, and one writer connection so writes queue instead of
    /// failing with "database is locked".
    Sqlite {
        /// Read pool.
        read: SqlitePool,
        /// Single-connection write pool.
        write: SqlitePool,
        /// Point reads on the requests' hot path, without sqlx (see `plain_read.rs`).
        plain: plain_read::PlainReads,
    },
    /// PostgreSQL: one pool for both.
    Postgres(PgPool),
}

/// The SQLite database file named by `path`; `None` for an in-memory database.
fn file_of(path: &std::path::Path) -> Option<std::path::PathBuf> {
    let name = path.to_string_lossy();
    (!name.is_empty() && !name.contains(":memory:")).then(|| path.to_path_buf())
}

/// A borrowed pool of either backend, the target of [`with_pool!`].
#[derive(Clone, Copy)]
pub enum PoolRef<'a> {
    /// SQLite.
    Sqlite(&'a SqlitePool),
    /// PostgreSQL.
    Postgres(&'a PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool, so one query text serves both backends.
#[macro_export]
macro_rules! with_pool {
    ($pool_ref:expr, $pool:ident => $body:expr) => {
        match $pool_ref {
            $crate::PoolRef::Sqlite($pool) => $body,
            $crate::PoolRef::Postgres($pool) => $body,
        }
    };
}

/// The most SQLite reader connections (each keeps its own 8 MB page cache).
pub const MAX_SQLITE_READERS: u32 = 8;

/// WAL pages a SQLite commit lets pile up before it copies them back into the database file
/// (`PRAGMA wal_autocheckpoint`; SQLite's default is 1,000, about 4 MB). A checkpoint writes
/// each page once however many commits changed it, and the ledger's commits keep changing the
/// same pages (the accounts, the heads of the journal's indexes): at 1,000 pages the ledger
/// writer spent about a seventh of its time copying them, and with 16,000 (a WAL of at most
/// about 66 MB) `bench ledger` posts 12–21% more transfers a second (README, performance).
/// Durability does not change: every commit still syncs the WAL.
pub const WAL_AUTOCHECKPOINT_PAGES: u32 = 16_000;

/// Connection settings.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// `sqlite://path` / `sqlite:path` or `postgres://…`.
    pub url: String,
    /// Most pooled connections (readers for SQLite).
    pub max_connections: u32,
}

/// Which backend a URL names.
pub fn backend_of(url: &str) -> Result<&'static str> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok("postgres")
    } else if url.starts_with("sqlite:") {
        Ok("sqlite")
    } else {
        Err(StoreError::BadUrl(
            "expected sqlite:PATH or postgres://…".into(),
        ))
    }
}

/// One connection pool's state, as [`Db::pool_figures`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolFigures {
    /// `write`, `read` or `main`.
    pub name: &'static str,
    /// Connections open (idle or in use).
    pub open: u32,
    /// Of those, idle.
    pub idle: u32,
    /// The most it opens.
    pub max: u32,
}

impl Db {
    /// Connects, creating the SQLite file if missing; does not migrate.
    pub async fn connect(opts: &ConnectOptions) -> Result<Self> {
        match backend_of(&opts.url)? {
            "postgres" => {
                let pool = PgPoolOptions::new()
                    .max_connections(opts.max_connections)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(&opts.url)
                    .await?;
                Ok(Self::Postgres(pool))
            }
            _ => {
                let base = SqliteConnectOptions::from_str(&opts.url)
                    .map_err(|e| StoreError::BadUrl(e.to_string()))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .pragma("cache_size", "-8000")
                    .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string())
                    // Reads map the database file instead of copying each page into every
                    // connection's cache: searches probe thousands of index entries spread
                    // over an index larger than the 8 MB cache (a search over 500,000 offers
                    // went from p99 101 ms to the figure in the README). Writes still go
                    // through the WAL; a file beyond 1 GiB is read as before past that point.
                    .pragma("mmap_size", "1073741824")
                    .pragma("temp_store", "memory");
                // No ping before each use: a connection to a local file does not go stale, and
                // the ping was one more hand-over to the connection's thread on every query.
                let write = SqlitePoolOptions::new()
                    .test_before_acquire(false)
                    .max_connections(1)
                    .connect_with(base.clone())
                    .await?;
                // Readers beyond a few per core only add page caches: SQLite reads are CPU-bound.
                // A deeper row buffer lets a reader run ahead of a streaming consumer (the
                // ledger replay reads millions of rows) instead of handing over rows one wake-up
                // at a time.
                let read = SqlitePoolOptions::new()
                    .test_before_acquire(false)
                    .max_connections(opts.max_connections.clamp(1, MAX_SQLITE_READERS))
                    .connect_with(base.read_only(false).row_buffer_size(1024))
                    .await?;
                let plain =
                    plain_read::PlainReads::new(file_of(read.connect_options().get_filename()));
                Ok(Self::Sqlite { read, write, plain })
            }
        }
    }

    /// Runs the embedded migrations of the backend, forward only.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Self::Sqlite { write, .. } => sqlx::migrate!("./migrations/sqlite").run(write).await?,
            Self::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Refuses a PostgreSQL server that could lose committed money (`synchronous_commit=off`);
    /// returns warnings worth logging (e.g. `fsync=off`).
    pub async fn check_durability(&self) -> Result<Vec<String>> {
        let Self::Postgres(pool) = self else {
            return Ok(Vec::new());
        };
        let sync: String = sqlx::query_scalar("SHOW synchronous_commit")
            .fetch_one(pool)
            .await?;
        if sync == "off" {
            return Err(StoreError::UnsafeConfig(
                "synchronous_commit=off would lose committed transfers on a crash".into(),
            ));
        }
        let fsync: String = sqlx::query_scalar("SHOW fsync").fetch_one(pool).await?;
        Ok(if fsync == "off" {
            vec!["PostgreSQL runs with fsync=off: acceptable for tests only".into()]
        } else {
            Vec::new()
        })
    }

    /// The pool for reads.
    pub fn read(&self) -> PoolRef<'_> {
        match self {
            Self::Sqlite { read, .. } => PoolRef::Sqlite(read),
            Self::Postgres(p) => PoolRef::Postgres(p),
        }
    }

    /// The pool for writes.
    pub fn write(&self) -> PoolRef<'_> {
        match self {
            Self::Sqlite { write, .. } => PoolRef::Sqlite(write),
            Self::Postgres(p) => PoolRef::Postgres(p),
        }
    }

    /// The SQLite database file, for work that reads it without sqlx (the ledger replay);
    /// `None` on PostgreSQL and for in-memory databases.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        match self {
            Self::Sqlite { read, .. } => file_of(read.connect_options().get_filename()),
            Self::Postgres(_) => None,
        }
    }

    /// Runs a point read through plain SQLite on the calling thread (see `plain_read.rs`);
    /// `None` on PostgreSQL, for an in-memory database, or when it failed: read through sqlx.
    pub(crate) fn plain_read<T>(
        &self,
        read: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Option<T> {
        match self {
            Self::Sqlite { plain, .. } => plain.run(read),
            Self::Postgres(_) => None,
        }
    }

    /// Each pool's open and idle connections and its ceiling, by name: `write` and `read` on
    /// SQLite, `main` on PostgreSQL (for `/metrics`).
    pub fn pool_figures(&self) -> Vec<PoolFigures> {
        fn of<DB: sqlx::Database>(name: &'static str, pool: &sqlx::Pool<DB>) -> PoolFigures {
            PoolFigures {
                name,
                open: pool.size(),
                idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                max: pool.options().get_max_connections(),
            }
        }
        match self {
            Self::Sqlite { read, write, .. } => vec![of("write", write), of("read", read)],
            Self::Postgres(p) => vec![of("main", p)],
        }
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite { .. } => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// Answers when the database does (for `/healthz`).
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self.read(), pool => sqlx::query("SELECT 1").execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Whether the district is empty (no organisation, no person): `--demo` fills only then.
    pub async fn is_empty(&self) -> Result<bool> {
        let n: i64 = with_pool!(self.read(), pool => sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM organizations) + (SELECT COUNT(*) FROM people)"
        ).fetch_one(pool).await)?;
        Ok(n == 0)
    }

    /// Closes the pools (graceful shutdown).
    pub async fn close(&self) {
        match self {
            Self::Sqlite { read, write, .. } => {
                read.close().await;
                write.close().await;
            }
            Self::Postgres(p) => p.close().await,
        }
    }

    /// A named setting, such as the server secret shared by every web instance.
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(
            with_pool!(self.read(), pool => sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key).fetch_optional(pool).await)?,
        )
    }

    /// Stores `value` under `key` unless a value is there already; returns the stored value, so
    /// concurrent instances agree on one secret.
    pub async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String> {
        with_pool!(self.write(), pool => sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key).bind(value).execute(pool).await.map(|r| r.rows_affected()))?;
        self.setting(key).await?.ok_or(StoreError::NotFound)
    }
}

/// Splits `rows` into chunks that fit a multi-row `INSERT` within both backends' bind limits.
pub(crate) fn insert_chunks<T>(rows: &[T], columns: usize) -> std::slice::Chunks<'_, T> {
    // SQLite allows 32,766 bound parameters, PostgreSQL 65,535: stay well under the smaller,
    // so one statement stays a moderate size.
    const MAX_BINDS: usize = 8_000;
    rows.chunks((MAX_BINDS / columns.max(1)).max(1))
}

/// `$1, $2, …` → `?, ?, …` for SQLite. SQLite resolves a `$N` parameter through a linear
/// search of the statement's parameter names at every bind, so a multi-row insert with
/// thousands of them binds in quadratic time; anonymous `?` parameters bind in order for free.
/// Only valid where each `$N` appears once, in increasing order: true of [`values_placeholders`].
pub(crate) fn positional(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Inserts `$rows` inside the transaction `$tx` in multi-row statements of `$sql(rows)`,
/// binding each row with `$bind`; `$sqlite` switches to positional parameters. Every bulk
/// insert of the store (public `insert_*` functions, the demo loader, import) goes through it.
macro_rules! insert_rows {
    ($tx:ident, $sqlite:expr, $rows:expr, $columns:expr, $sql:expr, |$q:ident, $r:ident| $bind:expr) => {
        for chunk in $crate::insert_chunks($rows, $columns) {
            let sql: String = $sql(chunk.len());
            let sql = if $sqlite {
                $crate::positional(&sql)
            } else {
                sql
            };
            let mut $q = sqlx::query(&sql);
            for $r in chunk {
                $q = $bind;
            }
            $q.execute(&mut *$tx)
                .await
                .map_err($crate::StoreError::from_write)?;
        }
    };
}
pub(crate) use insert_rows;

/// Runs `insert_rows!` for one table in a transaction of its own.
macro_rules! insert_table {
    ($db:expr, $rows:expr, $columns:expr, $sql:expr, |$q:ident, $r:ident| $bind:expr) => {{
        let sqlite = $db.backend() == "sqlite";
        $crate::with_pool!($db.write(), pool => {
            let mut tx = pool.begin().await?;
            $crate::insert_rows!(tx, sqlite, $rows, $columns, $sql, |$q, $r| $bind);
            tx.commit().await?;
            Ok::<_, $crate::StoreError>(())
        })
    }};
}
pub(crate) use insert_table;

/// `($1, $2, …), (…)` for `rows` rows of `columns` columns.
pub(crate) fn values_placeholders(rows: usize, columns: usize) -> String {
    let mut s = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..columns {
            if c > 0 {
                s.push_str(", ");
            }
            s.push('$');
            s.push_str(&(r * columns + c + 1).to_string());
        }
        s.push(')');
    }
    s
}

/// The current time, truncated to microseconds: PostgreSQL keeps no more, so every backend
/// stores and exports the same instant.
pub fn now() -> time::OffsetDateTime {
    let t = time::OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}

/// A fresh, migrated SQLite file for the store's unit tests (removed by the caller).
#[cfg(test)]
pub(crate) async fn test_sqlite(label: &str) -> (Db, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!(
        "distretto-{label}-{}-{}.db",
        std::process::id(),
        uuid::Uuid::now_v7().simple()
    ));
    let db = Db::connect(&ConnectOptions {
        url: format!("sqlite:{}", path.display()),
        max_connections: 2,
    })
    .await
    .expect("a SQLite file in the temporary directory");
    db.migrate().await.expect("migrations");
    (db, path)
}

#[cfg(test)]
mod tests {
    #[test]
    fn positional_replaces_numbered_parameters_only() {
        assert_eq!(
            super::positional("INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
        assert_eq!(super::positional("SELECT '$' || x"), "SELECT '$' || x");
    }

    #[test]
    fn placeholders_number_rows_and_columns() {
        assert_eq!(super::values_placeholders(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(
            super::insert_chunks(&[0u8; 100_000], 10)
                .next()
                .map(<[u8]>::len),
            Some(800)
        );
    }
}
