//! Online backups of a SQLite district: a consistent copy of the whole database taken while
//! the server runs (PostgreSQL is backed up with `pg_dump`, which the CLI runs).

use crate::{Db, Result, StoreError, with_pool};
use std::path::Path;

/// Writes a consistent copy of the SQLite database to `path` (which must not exist), with
/// `VACUUM INTO`: it reads one snapshot, so writers go on meanwhile and the copy holds every
/// transaction committed before it started and none after.
pub async fn sqlite_into(db: &Db, path: &Path) -> Result<()> {
    if db.backend() != "sqlite" {
        return Err(StoreError::BadUrl(
            "VACUUM INTO copies a SQLite database".into(),
        ));
    }
    let target = path.to_string_lossy().into_owned();
    with_pool!(db.read(), pool => sqlx::query("VACUUM INTO $1").bind(target).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// How many tables the database's own schema holds (0: an empty database a dump may be
/// restored into).
pub async fn table_count(db: &Db) -> Result<i64> {
    let sql = if db.backend() == "sqlite" {
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
    } else {
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()"
    };
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(sql).fetch_one(pool).await)?)
}
