//! Payments between districts as stored: one row per district and payment, moved through its
//! two phases by the ledger writer (`Effect::FederationHold`, `Effect::FederationSettle`, in
//! the same transaction as the hold or the posted leg) and, outside the ledger, by the
//! messages the two districts exchange. Also each linked district's mirror account here.

use crate::accounts::{ACCOUNT_COLUMNS, AccountRow};
use crate::export::read_all;
use crate::{Db, Result, StoreError, values_placeholders, with_pool};
use time::OffsetDateTime;
use uuid::Uuid;

/// One district's side of a payment between districts.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct PaymentRow {
    /// Its id here (for an outgoing payment, the payment's own id).
    pub id: Uuid,
    pub link_id: Uuid,
    /// The id the paying district gave the payment: the same on both sides.
    pub payment_id: Uuid,
    /// `out` (our member pays) or `in` (the other district's member pays ours).
    pub direction: String,
    /// `new`, `held`, `committed`, `aborted` or `refused`.
    pub status: String,
    /// `out`: the payer's account; `in`: the paying district's mirror account.
    pub debit_account: Option<Uuid>,
    /// `out`: the payee district's mirror account; `in`: the payee's account.
    pub credit_account: Option<Uuid>,
    /// In our currency's minor units.
    pub amount_minor: i64,
    /// In the other district's minor units (0 until it answered).
    pub remote_amount_minor: i64,
    /// The other side's member: the payee as our member named them (`out`), or the payer's
    /// name (`in`).
    pub counterpart: String,
    /// The payee's name as their district gave it (`out`), or the payer's (`in`).
    pub counterpart_name: String,
    pub memo: String,
    /// Why it was refused or aborted (a stable code).
    pub refusal: Option<String>,
    /// The posted leg, once committed.
    pub transfer_id: Option<Uuid>,
    /// Whether either side may still have to act on it.
    pub open: bool,
    /// Messages sent for it so far (outgoing).
    pub attempts: i32,
    /// Who asked (outgoing).
    pub created_by: Option<Uuid>,
    pub idempotency_key: Option<String>,
    #[serde(with = "crate::ledger::hex_bytes_option")]
    pub request_hash: Option<Vec<u8>>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// The paying district aborts a payment the other has not prepared by then.
    #[serde(with = "time::serde::rfc3339")]
    pub deadline_at: OffsetDateTime,
    /// The invoice between districts it pays, if any (absent from exports before version 10).
    #[serde(default)]
    pub invoice_id: Option<Uuid>,
}

const COLUMNS: &str = "id, link_id, payment_id, direction, status, debit_account, credit_account, amount_minor, \
    remote_amount_minor, counterpart, counterpart_name, memo, refusal, transfer_id, open, attempts, created_by, \
    idempotency_key, request_hash, created_at, updated_at, deadline_at, invoice_id";
const COLUMN_COUNT: usize = 23;
/// Payments listed at most.
pub const MAX_LISTED: i64 = 500;

fn insert_sql(rows: usize) -> String {
    format!(
        "INSERT INTO federation_payments ({COLUMNS}) VALUES {}",
        values_placeholders(rows, COLUMN_COUNT)
    )
}

macro_rules! bind_payment {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.link_id)
            .bind(r.payment_id)
            .bind(&r.direction)
            .bind(&r.status)
            .bind(r.debit_account)
            .bind(r.credit_account)
            .bind(r.amount_minor)
            .bind(r.remote_amount_minor)
            .bind(&r.counterpart)
            .bind(&r.counterpart_name)
            .bind(&r.memo)
            .bind(&r.refusal)
            .bind(r.transfer_id)
            .bind(r.open)
            .bind(r.attempts)
            .bind(r.created_by)
            .bind(&r.idempotency_key)
            .bind(&r.request_hash)
            .bind(r.created_at)
            .bind(r.updated_at)
            .bind(r.deadline_at)
            .bind(r.invoice_id)
    }};
}

/// Records a payment; `Conflict` when the link has one with that payment id, or the person
/// used that idempotency key before.
pub async fn insert(db: &Db, row: &PaymentRow) -> Result<()> {
    crate::insert_table!(
        db,
        std::slice::from_ref(row),
        COLUMN_COUNT,
        insert_sql,
        |q, r| bind_payment!(q, r)
    )
}

/// A payment by its id here.
pub async fn payment(db: &Db, id: Uuid) -> Result<PaymentRow> {
    let sql = format!("SELECT {COLUMNS} FROM federation_payments WHERE id = $1");
    with_pool!(db.read(), pool => sqlx::query_as::<_, PaymentRow>(&sql).bind(id).fetch_optional(pool).await)?
        .ok_or(StoreError::NotFound)
}

/// A link's payment by the id the paying district gave it.
pub async fn by_payment_id(db: &Db, link: Uuid, payment_id: Uuid) -> Result<Option<PaymentRow>> {
    let sql =
        format!("SELECT {COLUMNS} FROM federation_payments WHERE link_id = $1 AND payment_id = $2");
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, PaymentRow>(&sql).bind(link).bind(payment_id).fetch_optional(pool).await)?,
    )
}

/// The payment a person asked for with an idempotency key.
pub async fn by_idempotency_key(db: &Db, person: Uuid, key: &str) -> Result<Option<PaymentRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM federation_payments WHERE created_by = $1 AND idempotency_key = $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, PaymentRow>(&sql).bind(person).bind(key).fetch_optional(pool).await)?,
    )
}

/// Moves a payment that nothing is reserved for (status in `from`, never `held`) to `status`,
/// with a refusal code; false when it was in none of `from`.
pub async fn mark(
    db: &Db,
    id: Uuid,
    from: &[&str],
    status: &str,
    refusal: Option<&str>,
    open: bool,
) -> Result<bool> {
    let from_list = from
        .iter()
        .filter(|s| **s != "held")
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    if from_list.is_empty() {
        return Ok(false);
    }
    let sql = format!(
        "UPDATE federation_payments SET status = $2, refusal = $3, open = $4, updated_at = $5 \
         WHERE id = $1 AND status IN ({from_list})"
    );
    let n = with_pool!(db.write(), pool => sqlx::query(&sql).bind(id).bind(status).bind(refusal).bind(open)
        .bind(crate::now()).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Records what the other district answered: its amount and the payee's name.
pub async fn set_remote(db: &Db, id: Uuid, remote_amount_minor: i64, name: &str) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "UPDATE federation_payments SET remote_amount_minor = $2, counterpart_name = $3 WHERE id = $1")
        .bind(id).bind(remote_amount_minor).bind(name).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Records the refusal code of a payment the writer aborted.
pub async fn set_refusal(db: &Db, id: Uuid, refusal: &str) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "UPDATE federation_payments SET refusal = $2 WHERE id = $1 AND refusal IS NULL")
        .bind(id).bind(refusal).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Both sides know how a payment ended: nothing is left to do.
pub async fn close(db: &Db, id: Uuid) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "UPDATE federation_payments SET open = FALSE, updated_at = $2 WHERE id = $1 AND status IN ('committed', 'aborted', 'refused')")
        .bind(id).bind(crate::now()).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Counts a message sent for an open payment (the resolver asks again after the oldest first).
pub async fn count_attempt(db: &Db, id: Uuid) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "UPDATE federation_payments SET attempts = attempts + 1, updated_at = $2 WHERE id = $1")
        .bind(id).bind(crate::now()).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Open payments not touched since `before`, oldest first (at most `limit`).
pub async fn open_payments(db: &Db, before: OffsetDateTime, limit: i64) -> Result<Vec<PaymentRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM federation_payments WHERE open AND updated_at <= $1 ORDER BY updated_at, id LIMIT $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, PaymentRow>(&sql).bind(before).bind(limit).fetch_all(pool).await)?,
    )
}

/// Open payments of a link (what a coordinator's limit or a suspension still waits for).
pub async fn open_count(db: &Db, link: Uuid) -> Result<i64> {
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM federation_payments WHERE open AND link_id = $1")
        .bind(link).fetch_one(pool).await)?)
}

/// A link's payments, newest first (a page of at most [`MAX_LISTED`]), and how many it has.
pub async fn of_link(
    db: &Db,
    link: Uuid,
    limit: i64,
    offset: i64,
) -> Result<(Vec<PaymentRow>, i64)> {
    let sql = format!(
        "SELECT {COLUMNS} FROM federation_payments WHERE link_id = $1 ORDER BY created_at DESC, id LIMIT $2 OFFSET $3"
    );
    let rows = with_pool!(db.read(), pool => sqlx::query_as::<_, PaymentRow>(&sql).bind(link)
        .bind(limit.clamp(0, MAX_LISTED)).bind(offset.max(0)).fetch_all(pool).await)?;
    let total: i64 = with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM federation_payments WHERE link_id = $1").bind(link).fetch_one(pool).await)?;
    Ok((rows, total))
}

/// The payments touching any of `accounts` (a member's first 50 accounts), newest first (a
/// page of at most [`MAX_LISTED`]), and how many there are; incoming ones only while held or
/// once committed (a refused or aborted incoming payment never reached the member).
pub async fn of_accounts(
    db: &Db,
    accounts: &[Uuid],
    limit: i64,
    offset: i64,
) -> Result<(Vec<PaymentRow>, i64)> {
    if accounts.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let n = accounts.len().min(50);
    let filter = format!(
        "(debit_account IN {} OR credit_account IN {}) AND (direction = 'out' OR status IN ('held', 'committed'))",
        values_placeholders(1, n),
        shifted(n)
    );
    let sql = format!(
        "SELECT {COLUMNS} FROM federation_payments WHERE {filter} ORDER BY created_at DESC, id LIMIT {} OFFSET {}",
        limit.clamp(0, MAX_LISTED),
        offset.max(0)
    );
    let count = format!("SELECT COUNT(*) FROM federation_payments WHERE {filter}");
    let rows = with_pool!(db.read(), pool => {
        let mut q = sqlx::query_as::<_, PaymentRow>(&sql);
        for a in accounts.iter().take(n) { q = q.bind(a); }
        for a in accounts.iter().take(n) { q = q.bind(a); }
        q.fetch_all(pool).await
    })?;
    let total: i64 = with_pool!(db.read(), pool => {
        let mut q = sqlx::query_scalar(&count);
        for a in accounts.iter().take(n) { q = q.bind(a); }
        for a in accounts.iter().take(n) { q = q.bind(a); }
        q.fetch_one(pool).await
    })?;
    Ok((rows, total))
}

/// `($n+1, …, $2n)`: the second list of a query binding the same `n` values twice.
fn shifted(n: usize) -> String {
    let list = (0..n)
        .map(|i| format!("${}", n + i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    format!("({list})")
}

/// The amounts held on an account for payments between districts: (leaving, entering).
pub async fn held_on(db: &Db, account: Uuid) -> Result<distretto_domain::ledger::Held> {
    let (out_minor, in_minor): (i64, i64) = with_pool!(db.read(), pool => sqlx::query_as(HELD_ON_SQL)
        .bind(account).fetch_one(pool).await)?;
    Ok(distretto_domain::ledger::Held {
        out_minor,
        in_minor,
    })
}

/// Sums what is held on account `$1`: (leaving, entering), for payments and for clearing
/// rounds between districts.
pub(crate) const HELD_ON_SQL: &str = "SELECT CAST(COALESCE(SUM(CASE WHEN debit_account = $1 THEN amount_minor ELSE 0 END), 0) AS BIGINT), \
     CAST(COALESCE(SUM(CASE WHEN credit_account = $1 THEN amount_minor ELSE 0 END), 0) AS BIGINT) \
     FROM (SELECT debit_account, credit_account, amount_minor FROM federation_payments \
           WHERE status = 'held' AND (debit_account = $1 OR credit_account = $1) \
           UNION ALL SELECT l.debit_account, l.credit_account, l.amount_minor FROM federation_clearing_legs l \
           JOIN federation_clearings c ON c.id = l.clearing_id \
           WHERE c.status = 'held' AND (l.debit_account = $1 OR l.credit_account = $1)) held";

/// The other district's mirror account here, if opened.
pub async fn mirror(db: &Db, link: Uuid, currency: &str) -> Result<Option<AccountRow>> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE owner_kind = 'federation' AND owner_id = $1 AND currency = $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, AccountRow>(&sql).bind(link).bind(currency).fetch_optional(pool).await)?,
    )
}

/// The other district's mirror account here, opened with no room at all (limits 0 and 0)
/// the first time: each assembly decides how far the other district may go.
pub async fn ensure_mirror(db: &Db, link: Uuid, currency: &str) -> Result<AccountRow> {
    if let Some(a) = mirror(db, link, currency).await? {
        return Ok(a);
    }
    let row = AccountRow {
        id: Uuid::now_v7(),
        owner_kind: "federation".into(),
        owner_id: Some(link),
        currency: currency.to_owned(),
        created_at: crate::now(),
        purpose: None,
        balance_minor: 0,
        credit_limit_minor: 0,
        upper_limit_minor: Some(0),
    };
    match crate::accounts::insert_accounts(db, std::slice::from_ref(&row)).await {
        // Opened by a concurrent payment: use that one.
        Ok(()) | Err(StoreError::Conflict) => {}
        Err(e) => return Err(e),
    }
    mirror(db, link, currency)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Committed volume and count of a link's payments, per direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Volume {
    pub out_minor: i64,
    pub out_count: i64,
    pub in_minor: i64,
    pub in_count: i64,
}

/// What was paid across a link since `since`.
pub async fn volume(db: &Db, link: Uuid, since: OffsetDateTime) -> Result<Volume> {
    let rows: Vec<(String, i64, i64)> = with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT direction, CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT), COUNT(*) FROM federation_payments \
         WHERE link_id = $1 AND status = 'committed' AND created_at >= $2 GROUP BY direction")
        .bind(link).bind(since).fetch_all(pool).await)?;
    let mut v = Volume::default();
    for (direction, sum, count) in rows {
        if direction == "out" {
            (v.out_minor, v.out_count) = (sum, count);
        } else {
            (v.in_minor, v.in_count) = (sum, count);
        }
    }
    Ok(v)
}

/// A link's committed payments, newest first (at most `limit`): what its monthly volumes are
/// summed from.
pub async fn committed_of(db: &Db, link: Uuid, limit: i64) -> Result<Vec<PaymentRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM federation_payments WHERE link_id = $1 AND status = 'committed' \
         ORDER BY created_at DESC, id LIMIT $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, PaymentRow>(&sql).bind(link).bind(limit.clamp(0, 100_000)).fetch_all(pool).await)?,
    )
}

/// Every payment, in a stable order.
pub async fn export(db: &Db) -> Result<Vec<PaymentRow>> {
    read_all(
        db,
        &format!("SELECT {COLUMNS} FROM federation_payments ORDER BY id"),
    )
    .await
}

/// Writes a document's payments (after its accounts and links).
pub async fn import(db: &Db, rows: &[PaymentRow]) -> Result<()> {
    crate::insert_table!(db, rows, COLUMN_COUNT, insert_sql, |q, r| bind_payment!(
        q, r
    ))
}
