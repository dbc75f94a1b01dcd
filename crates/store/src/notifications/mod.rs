//! Notifications: rows per person, read on the platform, e-mailed once by the mailer.

use crate::export::read_all;
use crate::{Db, Result, StoreError, with_pool};
use time::OffsetDateTime;
use uuid::Uuid;

/// The most recipients one event notifies (a national district's members).
pub const MAX_RECIPIENTS: i64 = 200_000;

const COLUMNS: &str = "id, person_id, kind, subject_id, created_at, read_at, emailed_at";

/// A notification.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct NotificationRow {
    pub id: Uuid,
    pub person_id: Uuid,
    pub kind: String,
    pub subject_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub read_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub emailed_at: Option<OffsetDateTime>,
}

/// A notification waiting for its e-mail, with what the message needs.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutgoingRow {
    pub id: Uuid,
    pub kind: String,
    pub subject_id: Uuid,
    pub email: String,
    pub name: String,
    pub locale: Option<String>,
    pub created_at: OffsetDateTime,
}

/// The people who vote in a governance body, or cast an organisation's vote in it.
pub async fn body_recipients(db: &Db, body: Uuid) -> Result<Vec<Uuid>> {
    let electorate: String = with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT electorate FROM gov_bodies WHERE id = $1")
        .bind(body).fetch_optional(pool).await)?
    .ok_or(StoreError::NotFound)?;
    let sql = match electorate.as_str() {
        "people" => {
            "SELECT id FROM people WHERE membership_status = 'member' AND $1 = $1 ORDER BY id LIMIT $2"
        }
        "organizations" => {
            "SELECT DISTINCT m.person_id FROM memberships m JOIN organizations o ON o.id = m.organization_id \
             WHERE m.role = 'admin' AND o.status = 'active' AND $1 = $1 ORDER BY m.person_id LIMIT $2"
        }
        _ => {
            "SELECT voter_id FROM gov_body_voters WHERE body_id = $1 AND voter_kind = 'person' \
             UNION SELECT m.person_id FROM memberships m JOIN gov_body_voters v ON v.voter_id = m.organization_id \
             WHERE v.body_id = $1 AND m.role = 'admin' LIMIT $2"
        }
    };
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(sql)
        .bind(body).bind(MAX_RECIPIENTS).fetch_all(pool).await)?)
}

/// Notifies each of `people` of `kind` about `subject`, in one transaction.
pub async fn notify(
    db: &Db,
    people: &[Uuid],
    kind: &str,
    subject: Uuid,
    now: OffsetDateTime,
) -> Result<usize> {
    let rows: Vec<NotificationRow> = people
        .iter()
        .take(usize::try_from(MAX_RECIPIENTS).unwrap_or(usize::MAX))
        .map(|p| NotificationRow {
            id: Uuid::now_v7(),
            person_id: *p,
            kind: kind.into(),
            subject_id: subject,
            created_at: now,
            read_at: None,
            emailed_at: None,
        })
        .collect();
    insert(db, &rows).await?;
    Ok(rows.len())
}

/// Writes notification rows in one transaction (also the import's path).
pub async fn insert(db: &Db, rows: &[NotificationRow]) -> Result<()> {
    crate::insert_table!(db, rows, 7, notifications_sql, |q, r| q
        .bind(r.id)
        .bind(r.person_id)
        .bind(&r.kind)
        .bind(r.subject_id)
        .bind(r.created_at)
        .bind(r.read_at)
        .bind(r.emailed_at))
}

fn notifications_sql(rows: usize) -> String {
    format!(
        "INSERT INTO notifications ({COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, 7)
    )
}

/// A person's latest notifications, newest first.
pub async fn of_person(db: &Db, person: Uuid, limit: i64) -> Result<Vec<NotificationRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, NotificationRow>(
        &format!("SELECT {COLUMNS} FROM notifications WHERE person_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"))
        .bind(person).bind(limit.clamp(1, 500)).fetch_all(pool).await)?,
    )
}

/// How many of a person's notifications are unread.
pub async fn unread_count(db: &Db, person: Uuid) -> Result<i64> {
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE person_id = $1 AND read_at IS NULL")
        .bind(person).fetch_one(pool).await)?)
}

/// Marks every notification of a person read.
pub async fn mark_read(db: &Db, person: Uuid, now: OffsetDateTime) -> Result<u64> {
    Ok(with_pool!(db.write(), pool => sqlx::query(
        "UPDATE notifications SET read_at = $2 WHERE person_id = $1 AND read_at IS NULL")
        .bind(person).bind(now).execute(pool).await.map(|r| r.rows_affected()))?)
}

/// Notifications waiting for their e-mail, oldest first.
pub async fn unsent(db: &Db, limit: i64) -> Result<Vec<OutgoingRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, OutgoingRow>(
        "SELECT n.id, n.kind, n.subject_id, p.email, p.name, p.locale, n.created_at FROM notifications n \
         JOIN people p ON p.id = n.person_id WHERE n.emailed_at IS NULL ORDER BY n.created_at, n.id LIMIT $1")
        .bind(limit.clamp(1, 1_000)).fetch_all(pool).await)?,
    )
}

/// Records that a notification's e-mail was handed to the transport.
pub async fn mark_emailed(db: &Db, id: Uuid, now: OffsetDateTime) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "UPDATE notifications SET emailed_at = $2 WHERE id = $1 AND emailed_at IS NULL")
        .bind(id).bind(now).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Every notification, for the district document.
pub async fn export(db: &Db) -> Result<Vec<NotificationRow>> {
    read_all(
        db,
        &format!("SELECT {COLUMNS} FROM notifications ORDER BY id"),
    )
    .await
}
