//! Invoices between members of linked districts, as one district stores them: the creditor's
//! district and the debtor's keep the same invoice under the same id. Status changes are
//! conditional on the status the caller saw; payments raise `paid_minor` only in the ledger
//! writer's transaction that commits the payment naming the invoice.

use crate::export::read_all;
use crate::{Db, Result, StoreError, with_pool};
use distretto_domain::ledger::invoice::InvoiceAmounts;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// One district's copy of an invoice between members of two linked districts.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct FederationInvoiceRow {
    /// The same id in both districts (given by the creditor's).
    pub id: Uuid,
    /// The link to the other member's district.
    pub link_id: Uuid,
    /// Our member's side: `creditor` (they issued it) or `debtor` (they owe it).
    pub side: String,
    /// Our member's account.
    pub account_id: Uuid,
    /// The other member: the account or organisation id there as our member named it
    /// (creditor side), or their name (debtor side).
    pub counterpart: String,
    /// The other member's name as their district gave it.
    pub counterpart_name: String,
    /// The creditor's district currency: the unit of every amount below.
    pub currency: String,
    pub amount_minor: i64,
    pub paid_minor: i64,
    pub set_off_minor: i64,
    pub description: String,
    pub status: String,
    pub due_on: Date,
    pub dispute_reason: Option<String>,
    /// The debtor's district has it (always true on the debtor's side).
    pub delivered: bool,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl FederationInvoiceRow {
    /// Its amounts, as the invoice rules take them.
    pub fn amounts(&self) -> InvoiceAmounts {
        InvoiceAmounts {
            amount_minor: self.amount_minor,
            paid_minor: self.paid_minor,
            set_off_minor: self.set_off_minor,
        }
    }

    /// What is still owed.
    pub fn remaining_minor(&self) -> i64 {
        self.amounts().remaining_minor()
    }
}

const COLUMNS: &str = "id, link_id, side, account_id, counterpart, counterpart_name, currency, amount_minor, \
    paid_minor, set_off_minor, description, status, due_on, dispute_reason, delivered, created_by, created_at, updated_at";
const COLUMN_COUNT: usize = 18;
/// Invoices listed at most.
pub const MAX_LISTED: i64 = 200;

fn insert_sql(rows: usize) -> String {
    format!(
        "INSERT INTO federation_invoices ({COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, COLUMN_COUNT)
    )
}

macro_rules! bind_invoice {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.link_id)
            .bind(&r.side)
            .bind(r.account_id)
            .bind(&r.counterpart)
            .bind(&r.counterpart_name)
            .bind(&r.currency)
            .bind(r.amount_minor)
            .bind(r.paid_minor)
            .bind(r.set_off_minor)
            .bind(&r.description)
            .bind(&r.status)
            .bind(r.due_on)
            .bind(&r.dispute_reason)
            .bind(r.delivered)
            .bind(r.created_by)
            .bind(r.created_at)
            .bind(r.updated_at)
    }};
}

/// Records an invoice; `Conflict` when one with its id exists.
pub async fn insert(db: &Db, row: &FederationInvoiceRow) -> Result<()> {
    crate::insert_table!(
        db,
        std::slice::from_ref(row),
        COLUMN_COUNT,
        insert_sql,
        |q, r| bind_invoice!(q, r)
    )
}

/// An invoice by its id.
pub async fn get(db: &Db, id: Uuid) -> Result<FederationInvoiceRow> {
    let sql = format!("SELECT {COLUMNS} FROM federation_invoices WHERE id = $1");
    with_pool!(db.read(), pool => sqlx::query_as::<_, FederationInvoiceRow>(&sql).bind(id).fetch_optional(pool).await)?
        .ok_or(StoreError::NotFound)
}

/// The invoices of any of `accounts` (a member's first 50), newest first, at most `limit`.
pub async fn of_accounts(
    db: &Db,
    accounts: &[Uuid],
    limit: i64,
) -> Result<Vec<FederationInvoiceRow>> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let n = accounts.len().min(50);
    let sql = format!(
        "SELECT {COLUMNS} FROM federation_invoices WHERE account_id IN {} ORDER BY created_at DESC, id LIMIT {}",
        crate::values_placeholders(1, n),
        limit.clamp(0, MAX_LISTED)
    );
    Ok(with_pool!(db.read(), pool => {
        let mut q = sqlx::query_as::<_, FederationInvoiceRow>(&sql);
        for a in accounts.iter().take(n) { q = q.bind(a); }
        q.fetch_all(pool).await
    })?)
}

/// Every invoice with linked districts, newest first, at most `limit` (coordinators).
pub async fn latest(db: &Db, limit: i64) -> Result<Vec<FederationInvoiceRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM federation_invoices ORDER BY created_at DESC, id LIMIT {}",
        limit.clamp(0, MAX_LISTED)
    );
    read_all(db, &sql).await
}

/// Moves an invoice from the status `seen` to `status` (with a dispute reason, kept when
/// `None`); `Conflict` when its status changed meanwhile.
pub async fn set_status(
    db: &Db,
    id: Uuid,
    seen: &str,
    status: &str,
    dispute_reason: Option<&str>,
) -> Result<()> {
    let n = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE federation_invoices SET status = $3, dispute_reason = COALESCE($4, dispute_reason), updated_at = $5 \
         WHERE id = $1 AND status = $2")
        .bind(id).bind(seen).bind(status).bind(dispute_reason).bind(crate::now())
        .execute(pool).await.map(|r| r.rows_affected()))?;
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict)
    }
}

/// The debtor's district has the invoice, and names its debtor so.
pub async fn mark_delivered(db: &Db, id: Uuid, counterpart_name: &str) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "UPDATE federation_invoices SET delivered = TRUE, counterpart_name = $2, updated_at = $3 WHERE id = $1")
        .bind(id).bind(counterpart_name).bind(crate::now()).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Forgets an invoice the debtor's district refused and never had.
pub async fn delete_undelivered(db: &Db, id: Uuid) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "DELETE FROM federation_invoices WHERE id = $1 AND NOT delivered")
        .bind(id).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Counts an attempt to deliver (the resolver takes the oldest first).
pub async fn touch(db: &Db, id: Uuid) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "UPDATE federation_invoices SET updated_at = $2 WHERE id = $1")
        .bind(id).bind(crate::now()).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Open invoices the debtor's district does not have yet, untouched since `before`, oldest
/// first (at most `limit`).
pub async fn undelivered(
    db: &Db,
    before: OffsetDateTime,
    limit: i64,
) -> Result<Vec<FederationInvoiceRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM federation_invoices WHERE NOT delivered AND status = 'issued' AND updated_at <= $1 \
         ORDER BY updated_at, id LIMIT $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, FederationInvoiceRow>(&sql).bind(before).bind(limit).fetch_all(pool).await)?,
    )
}

/// What payments between districts still open on this side would pay of the invoice, and what
/// clearing rounds not yet ended here would set off of it, in its currency's minor units (they
/// are checked against what remains before a new payment is held).
pub async fn pending_minor(db: &Db, id: Uuid) -> Result<i64> {
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(pending), 0) AS BIGINT) FROM ( \
           SELECT CASE WHEN direction = 'in' THEN amount_minor ELSE remote_amount_minor END AS pending \
           FROM federation_payments WHERE invoice_id = $1 AND status IN ('new', 'held') \
           UNION ALL SELECT l.set_off_minor FROM federation_clearing_invoices l \
           JOIN federation_clearings c ON c.id = l.clearing_id \
           WHERE l.invoice_id = $1 AND c.status IN ('new', 'held')) p")
        .bind(id).fetch_one(pool).await)?)
}

/// Whether a clearing round not yet ended here sets off part of the invoice.
pub async fn in_clearing(db: &Db, id: Uuid) -> Result<bool> {
    let n: i64 = with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM federation_clearing_invoices l JOIN federation_clearings c ON c.id = l.clearing_id \
         WHERE l.invoice_id = $1 AND c.status IN ('new', 'held')")
        .bind(id).fetch_one(pool).await)?;
    Ok(n > 0)
}

/// This district's side of the invoices between districts that a clearing round may set off:
/// accepted, delivered, something remaining, and no payment naming it under way here (at most
/// `limit`, oldest first).
pub async fn clearable(db: &Db, limit: i64) -> Result<Vec<FederationInvoiceRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM federation_invoices i WHERE status = 'accepted' AND delivered \
         AND amount_minor - paid_minor - set_off_minor > 0 \
         AND NOT EXISTS (SELECT 1 FROM federation_payments p WHERE p.invoice_id = i.id AND p.status IN ('new', 'held')) \
         ORDER BY created_at, id LIMIT $1"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, FederationInvoiceRow>(&sql).bind(limit).fetch_all(pool).await)?,
    )
}

/// Whether a payment between districts naming the invoice is still new or held here.
pub async fn in_payment(db: &Db, id: Uuid) -> Result<bool> {
    let n: i64 = with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM federation_payments WHERE invoice_id = $1 AND status IN ('new', 'held')")
        .bind(id).fetch_one(pool).await)?;
    Ok(n > 0)
}

/// Every invoice, in a stable order.
pub async fn export(db: &Db) -> Result<Vec<FederationInvoiceRow>> {
    read_all(
        db,
        &format!("SELECT {COLUMNS} FROM federation_invoices ORDER BY id"),
    )
    .await
}

/// Writes a document's invoices (after its accounts and links).
pub async fn import(db: &Db, rows: &[FederationInvoiceRow]) -> Result<()> {
    crate::insert_table!(db, rows, COLUMN_COUNT, insert_sql, |q, r| bind_invoice!(
        q, r
    ))
}

/// The statement, run in the writer's transaction, that adds a committed payment between
/// districts (`$1`, its id here) to the invoice it names, in the invoice's currency (the
/// creditor's: what the payee received), and marks the invoice paid once nothing remains.
pub(crate) const PAID_BY_PAYMENT_SQL: &str = "UPDATE federation_invoices SET \
     paid_minor = paid_minor + (SELECT CASE WHEN p.direction = 'in' THEN p.amount_minor ELSE p.remote_amount_minor END \
                                FROM federation_payments p WHERE p.id = $1), \
     status = CASE WHEN amount_minor - set_off_minor - paid_minor <= \
                        (SELECT CASE WHEN p.direction = 'in' THEN p.amount_minor ELSE p.remote_amount_minor END \
                         FROM federation_payments p WHERE p.id = $1) THEN 'paid' ELSE 'accepted' END, \
     updated_at = $2 \
     WHERE id = (SELECT invoice_id FROM federation_payments WHERE id = $1) AND status IN ('issued', 'accepted')";
