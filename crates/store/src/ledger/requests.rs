//! Payment requests: a payee asks, a payer accepts (through the ledger writer) or declines.

use crate::{Db, Result, StoreError, with_pool};
use time::OffsetDateTime;
use uuid::Uuid;

const REQUEST_COLUMNS: &str =
    "id, payee, payer, amount_minor, memo, status, transfer_id, created_by, created_at, decided_at";

/// A payment request as stored. `payer` empty: anyone may pay it (a QR code at a stall).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct PaymentRequestRow {
    pub id: Uuid,
    pub payee: Uuid,
    pub payer: Option<Uuid>,
    pub amount_minor: i64,
    pub memo: String,
    /// `open`, `paid`, `declined` or `cancelled`.
    pub status: String,
    pub transfer_id: Option<Uuid>,
    pub created_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
}

pub(crate) fn requests_sql(rows: usize) -> String {
    format!(
        "INSERT INTO payment_requests ({REQUEST_COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, 10)
    )
}

macro_rules! bind_request {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.payee)
            .bind(r.payer)
            .bind(r.amount_minor)
            .bind(&r.memo)
            .bind(&r.status)
            .bind(r.transfer_id)
            .bind(r.created_by)
            .bind(r.created_at)
            .bind(r.decided_at)
    }};
}
pub(crate) use bind_request;

/// Inserts requests (new ones, the demo and import).
pub async fn insert_requests(db: &Db, rows: &[PaymentRequestRow]) -> Result<()> {
    crate::insert_table!(db, rows, 10, requests_sql, |q, r| bind_request!(q, r))
}

/// One request.
pub async fn get(db: &Db, id: Uuid) -> Result<PaymentRequestRow> {
    let sql = format!("SELECT {REQUEST_COLUMNS} FROM payment_requests WHERE id = $1");
    with_pool!(db.read(), pool => sqlx::query_as::<_, PaymentRequestRow>(&sql).bind(id).fetch_optional(pool).await)?
        .ok_or(StoreError::NotFound)
}

/// Requests addressed to (`incoming`) or made by one of `accounts`, newest first (bounded).
pub async fn list(
    db: &Db,
    accounts: &[Uuid],
    incoming: bool,
    only_open: bool,
    limit: i64,
) -> Result<Vec<PaymentRequestRow>> {
    let accounts = &accounts[..accounts.len().min(50)];
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let column = if incoming { "payer" } else { "payee" };
    let open = if only_open {
        " AND status = 'open'"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {REQUEST_COLUMNS} FROM payment_requests WHERE {column} IN {}{open} ORDER BY created_at DESC, id DESC LIMIT ${}",
        crate::values_placeholders(1, accounts.len()),
        accounts.len() + 1
    );
    Ok(with_pool!(db.read(), pool => {
        let mut q = sqlx::query_as::<_, PaymentRequestRow>(&sql);
        for a in accounts { q = q.bind(a); }
        q.bind(limit).fetch_all(pool).await
    })?)
}

/// Closes an open request as `declined` or `cancelled`; `Conflict` if it is no longer open.
pub async fn close(db: &Db, id: Uuid, status: &str, at: OffsetDateTime) -> Result<()> {
    let n = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE payment_requests SET status = $2, decided_at = $3 WHERE id = $1 AND status = 'open'")
        .bind(id).bind(status).bind(at).execute(pool).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        Err(StoreError::Conflict)
    } else {
        Ok(())
    }
}
