//! Invoices between members and their history. Status changes are conditional updates on the
//! state the caller saw, so two concurrent changes cannot both apply; payments by transfer go
//! through the ledger writer ([`super::writer::Effect::PayInvoice`]).

use crate::{Db, Result, StoreError, with_pool};
use distretto_domain::ledger::invoice::{self, InvoiceAmounts, InvoiceStatus};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

const INVOICE_COLUMNS: &str = "id, number, creditor, debtor, currency, amount_minor, paid_minor, set_off_minor, description, status, due_on, dispute_reason, created_by, created_at, updated_at";

/// An invoice as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct InvoiceRow {
    pub id: Uuid,
    /// The creditor's own number for it.
    pub number: String,
    /// The creditor's account (who is owed).
    pub creditor: Uuid,
    /// The debtor's account (who owes).
    pub debtor: Uuid,
    /// `EUR` or the district currency code.
    pub currency: String,
    pub amount_minor: i64,
    pub paid_minor: i64,
    pub set_off_minor: i64,
    pub description: String,
    pub status: String,
    pub due_on: Date,
    pub dispute_reason: Option<String>,
    pub created_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl InvoiceRow {
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

    /// Whether it is overdue on `today` (open, something remaining, due date passed).
    pub fn overdue(&self, today: Date) -> bool {
        InvoiceStatus::parse(&self.status)
            .is_some_and(|s| invoice::overdue(s, self.amounts(), self.due_on, today))
    }
}

/// One entry of an invoice's history.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct InvoiceEventRow {
    pub id: Uuid,
    pub invoice_id: Uuid,
    /// `issued`, `accepted`, `disputed`, `cancelled`, `paid_transfer`, `paid_recorded`, `set_off`.
    pub action: String,
    pub amount_minor: Option<i64>,
    pub transfer_id: Option<Uuid>,
    pub note: String,
    pub actor: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

pub(crate) fn invoices_sql(rows: usize) -> String {
    format!(
        "INSERT INTO invoices ({INVOICE_COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, 15)
    )
}

macro_rules! bind_invoice {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(&r.number)
            .bind(r.creditor)
            .bind(r.debtor)
            .bind(&r.currency)
            .bind(r.amount_minor)
            .bind(r.paid_minor)
            .bind(r.set_off_minor)
            .bind(&r.description)
            .bind(&r.status)
            .bind(r.due_on)
            .bind(&r.dispute_reason)
            .bind(r.created_by)
            .bind(r.created_at)
            .bind(r.updated_at)
    }};
}
pub(crate) use bind_invoice;

pub(crate) fn events_sql(rows: usize) -> String {
    format!(
        "INSERT INTO invoice_events (id, invoice_id, action, amount_minor, transfer_id, note, actor, created_at) VALUES {}",
        crate::values_placeholders(rows, 8)
    )
}

macro_rules! bind_event {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.invoice_id)
            .bind(&r.action)
            .bind(r.amount_minor)
            .bind(r.transfer_id)
            .bind(&r.note)
            .bind(r.actor)
            .bind(r.created_at)
    }};
}
pub(crate) use bind_event;

/// Issues an invoice with its first history entry.
pub async fn insert(db: &Db, invoice: &InvoiceRow, event: &InvoiceEventRow) -> Result<()> {
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        crate::insert_rows!(tx, sqlite, std::slice::from_ref(invoice), 15, invoices_sql, |q, r| bind_invoice!(q, r));
        crate::insert_rows!(tx, sqlite, std::slice::from_ref(event), 8, events_sql, |q, r| bind_event!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// One invoice.
pub async fn get(db: &Db, id: Uuid) -> Result<InvoiceRow> {
    let sql = format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE id = $1");
    with_pool!(db.read(), pool => sqlx::query_as::<_, InvoiceRow>(&sql).bind(id).fetch_optional(pool).await)?
        .ok_or(StoreError::NotFound)
}

/// The creditor's numbers of these invoices (unknown ids are left out).
pub async fn numbers(db: &Db, ids: &[Uuid]) -> Result<std::collections::HashMap<Uuid, String>> {
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(400) {
        let sql = format!(
            "SELECT id, number FROM invoices WHERE id IN {}",
            crate::values_placeholders(1, chunk.len())
        );
        let rows = with_pool!(db.read(), pool => {
            let mut q = sqlx::query_as::<_, (Uuid, String)>(&sql);
            for id in chunk { q = q.bind(id); }
            q.fetch_all(pool).await
        })?;
        out.extend(rows);
    }
    Ok(out)
}

/// Which invoices a list shows.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    /// Invoices where one of these accounts is debtor or creditor (empty: all, for coordinators).
    pub accounts: Vec<Uuid>,
    /// Only those these accounts owe (`Some(true)`) or are owed (`Some(false)`).
    pub owed_by_them: Option<bool>,
    /// Only this status.
    pub status: Option<String>,
    /// Only open invoices due before this day.
    pub overdue_on: Option<Date>,
}

/// A page of invoices, newest first, and the total.
pub async fn list(
    db: &Db,
    f: &InvoiceFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<InvoiceRow>, i64)> {
    let mut clauses: Vec<String> = Vec::new();
    let n = f.accounts.len().min(50);
    if n > 0 {
        let list = crate::values_placeholders(1, n);
        let list_debtor = list.clone();
        let shifted: String = (0..n)
            .map(|i| format!("${}", n + i + 1))
            .collect::<Vec<_>>()
            .join(", ");
        clauses.push(match f.owed_by_them {
            Some(true) => format!("debtor IN {list_debtor} AND creditor NOT IN ({shifted})"),
            Some(false) => format!("creditor IN {list} AND debtor NOT IN ({shifted})"),
            None => format!("(debtor IN {list} OR creditor IN ({shifted}))"),
        });
    }
    let p = 2 * n;
    clauses.push(format!("(${} IS NULL OR status = ${})", p + 1, p + 1));
    clauses.push(format!(
        "(${d} IS NULL OR (status IN ('issued', 'accepted', 'disputed') AND due_on < ${d}))",
        d = p + 2
    ));
    let filter = clauses.join(" AND ");
    let sql = format!(
        "SELECT {INVOICE_COLUMNS} FROM invoices WHERE {filter} ORDER BY created_at DESC, id DESC LIMIT ${} OFFSET ${}",
        p + 3,
        p + 4
    );
    let count_sql = format!("SELECT COUNT(*) FROM invoices WHERE {filter}");
    let accounts = &f.accounts[..n];
    with_pool!(db.read(), pool => {
        let mut q = sqlx::query_as::<_, InvoiceRow>(&sql);
        let mut c = sqlx::query_scalar::<_, i64>(&count_sql);
        for _ in 0..2 {
            for a in accounts { q = q.bind(a); c = c.bind(a); }
        }
        let rows = q.bind(&f.status).bind(f.overdue_on).bind(limit).bind(offset).fetch_all(pool).await?;
        let total = c.bind(&f.status).bind(f.overdue_on).fetch_one(pool).await?;
        Ok::<_, StoreError>((rows, total))
    })
}

/// An invoice's history, oldest first (bounded).
pub async fn events(db: &Db, id: Uuid) -> Result<Vec<InvoiceEventRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, InvoiceEventRow>(
        "SELECT id, invoice_id, action, amount_minor, transfer_id, note, actor, created_at FROM invoice_events WHERE invoice_id = $1 ORDER BY created_at, id LIMIT 500")
        .bind(id).fetch_all(pool).await)?,
    )
}

/// A change of status/amounts, applied only if the invoice is still as `seen`.
#[derive(Debug, Clone)]
pub struct InvoiceChange {
    /// The new status code.
    pub status: String,
    /// The new paid amount.
    pub paid_minor: i64,
    /// The dispute reason to store (kept when `None`).
    pub dispute_reason: Option<String>,
    /// The history entry.
    pub event: InvoiceEventRow,
}

/// Applies `change` if the invoice still has `seen`'s status and amounts; `Conflict` otherwise.
pub async fn change(db: &Db, seen: &InvoiceRow, change: &InvoiceChange) -> Result<()> {
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        let done = sqlx::query(
            "UPDATE invoices SET status = $2, paid_minor = $3, dispute_reason = COALESCE($4, dispute_reason), updated_at = $5 \
             WHERE id = $1 AND status = $6 AND paid_minor = $7 AND set_off_minor = $8")
            .bind(seen.id).bind(&change.status).bind(change.paid_minor).bind(&change.dispute_reason)
            .bind(change.event.created_at).bind(&seen.status).bind(seen.paid_minor).bind(seen.set_off_minor)
            .execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        crate::insert_rows!(tx, sqlite, std::slice::from_ref(&change.event), 8, events_sql, |q, r| bind_event!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// Inserts invoices as they are (demo and import).
pub async fn insert_invoices(db: &Db, rows: &[InvoiceRow]) -> Result<()> {
    crate::insert_table!(db, rows, 15, invoices_sql, |q, r| bind_invoice!(q, r))
}

/// Inserts history entries as they are (demo and import).
pub async fn insert_events(db: &Db, rows: &[InvoiceEventRow]) -> Result<()> {
    crate::insert_table!(db, rows, 8, events_sql, |q, r| bind_event!(q, r))
}
