//! The clearing schedule of each link: the period each side's coordinator proposed.

use crate::export::read_all;
use crate::{Db, Result, with_pool};
use time::OffsetDateTime;
use uuid::Uuid;

/// A link's clearing schedule as both sides proposed it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ScheduleRow {
    pub link_id: Uuid,
    /// Days between rounds our coordinator proposed (0: none).
    pub ours_days: i32,
    /// Days between rounds the other district's coordinator proposed (0: none).
    pub theirs_days: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl ScheduleRow {
    /// A link's schedule before either side proposed anything.
    pub fn none(link_id: Uuid) -> Self {
        Self {
            link_id,
            ours_days: 0,
            theirs_days: 0,
            updated_at: crate::now(),
        }
    }

    /// The period both sides agree, if they do.
    pub fn agreed_days(&self) -> Option<i32> {
        (self.ours_days > 0 && self.ours_days == self.theirs_days).then_some(self.ours_days)
    }
}

const COLUMNS: &str = "link_id, ours_days, theirs_days, updated_at";

/// A link's schedule (nothing proposed: both 0).
pub async fn get(db: &Db, link: Uuid) -> Result<ScheduleRow> {
    let sql = format!("SELECT {COLUMNS} FROM federation_clearing_schedules WHERE link_id = $1");
    let row = with_pool!(db.read(), pool => sqlx::query_as::<_, ScheduleRow>(&sql).bind(link).fetch_optional(pool).await)?;
    Ok(row.unwrap_or_else(|| ScheduleRow::none(link)))
}

/// Records one side's proposal (`ours`: our coordinator's, else the other district's).
pub async fn set(db: &Db, link: Uuid, days: i32, ours: bool) -> Result<()> {
    let column = if ours { "ours_days" } else { "theirs_days" };
    let (o, t) = if ours { (days, 0) } else { (0, days) };
    let sql = format!(
        "INSERT INTO federation_clearing_schedules ({COLUMNS}) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (link_id) DO UPDATE SET {column} = $5, updated_at = $4"
    );
    with_pool!(db.write(), pool => sqlx::query(&sql).bind(link).bind(o).bind(t).bind(crate::now()).bind(days)
        .execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Every link's schedule, in a stable order (export, and the scheduler).
pub async fn all(db: &Db) -> Result<Vec<ScheduleRow>> {
    read_all(
        db,
        &format!("SELECT {COLUMNS} FROM federation_clearing_schedules ORDER BY link_id"),
    )
    .await
}

fn insert_sql(rows: usize) -> String {
    format!(
        "INSERT INTO federation_clearing_schedules ({COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, 4)
    )
}

/// Writes a document's schedules (after its links).
pub async fn import(db: &Db, rows: &[ScheduleRow]) -> Result<()> {
    crate::insert_table!(db, rows, 4, insert_sql, |q, r| q
        .bind(r.link_id)
        .bind(r.ours_days)
        .bind(r.theirs_days)
        .bind(r.updated_at))
}
