//! Ledger accounts: who owns them, their balance and limits. The journal that moves credit
//! between them is in [`crate::ledger`].

use crate::{Db, Result, values_placeholders, with_pool};
use time::OffsetDateTime;
use uuid::Uuid;

/// The columns of an account, in insert order.
pub(crate) const ACCOUNT_COLUMNS: &str = "id, owner_kind, owner_id, currency, created_at, purpose, balance_minor, credit_limit_minor, upper_limit_minor";

/// An account: owned by a person, an organisation, or the district (`owner_id` empty, with a
/// `purpose`: `fund` or `fees`).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct AccountRow {
    pub id: Uuid,
    pub owner_kind: String,
    pub owner_id: Option<Uuid>,
    pub currency: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// `fund` or `fees` for district accounts (absent from version-1 exports).
    #[serde(default)]
    pub purpose: Option<String>,
    /// Balance in minor units; only the ledger writer changes it.
    #[serde(default)]
    pub balance_minor: i64,
    /// The balance may fall to minus this.
    #[serde(default)]
    pub credit_limit_minor: i64,
    /// The balance may rise to this; `None`: unbounded.
    #[serde(default)]
    pub upper_limit_minor: Option<i64>,
}

/// Inserts accounts in batches.
pub async fn insert_accounts(db: &Db, rows: &[AccountRow]) -> Result<()> {
    crate::insert_table!(db, rows, 9, accounts_sql, |q, r| bind_account!(q, r))
}

/// The multi-row `INSERT` for `rows` accounts.
pub(crate) fn accounts_sql(rows: usize) -> String {
    format!(
        "INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES {}",
        values_placeholders(rows, 9)
    )
}

/// Binds one account's 9 insert values.
macro_rules! bind_account {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(&r.owner_kind)
            .bind(r.owner_id)
            .bind(&r.currency)
            .bind(r.created_at)
            .bind(&r.purpose)
            .bind(r.balance_minor)
            .bind(r.credit_limit_minor)
            .bind(r.upper_limit_minor)
    }};
}
pub(crate) use bind_account;

/// The accounts an owner holds directly (bounded).
pub async fn of_owner(db: &Db, owner_kind: &str, owner_id: Uuid) -> Result<Vec<AccountRow>> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE owner_kind = $1 AND owner_id = $2 ORDER BY created_at, id LIMIT 50"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, AccountRow>(&sql)
        .bind(owner_kind).bind(owner_id).fetch_all(pool).await)?,
    )
}

/// One account.
pub async fn get(db: &Db, id: Uuid) -> Result<AccountRow> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1");
    with_pool!(db.read(), pool => sqlx::query_as::<_, AccountRow>(&sql)
        .bind(id).fetch_optional(pool).await)?
    .ok_or(crate::StoreError::NotFound)
}

/// The district's account for `purpose` (`fund` or `fees`) in `currency`.
pub async fn of_district(db: &Db, currency: &str, purpose: &str) -> Result<Option<AccountRow>> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE owner_kind = 'district' AND currency = $1 AND purpose = $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, AccountRow>(&sql)
        .bind(currency).bind(purpose).fetch_optional(pool).await)?,
    )
}

/// Opens the district's fund and fees accounts in `currency` if they are missing (start-up).
pub async fn ensure_district_accounts(db: &Db, currency: &str, now: OffsetDateTime) -> Result<()> {
    for purpose in ["fund", "fees"] {
        with_pool!(db.write(), pool => sqlx::query(
            "INSERT INTO accounts (id, owner_kind, owner_id, currency, created_at, purpose, balance_minor, credit_limit_minor, upper_limit_minor) \
             SELECT $1, 'district', NULL, $2, $3, $4, 0, 0, NULL \
             WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE owner_kind = 'district' AND currency = $2 AND purpose = $4)")
            .bind(Uuid::now_v7()).bind(currency).bind(now).bind(purpose)
            .execute(pool).await.map(|r| r.rows_affected()))
        .map_err(crate::StoreError::from_write)?;
    }
    Ok(())
}

/// Removes district accounts that never moved money (before an import brings its own).
pub async fn remove_unused_district_accounts(db: &Db) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "DELETE FROM accounts WHERE owner_kind = 'district' AND balance_minor = 0 \
         AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.payer = accounts.id OR t.payee = accounts.id)")
        .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}
