//! Ledger accounts. The foundation opens them; the mutual-credit capability moves credit between them.

use crate::{Db, Result, values_placeholders, with_pool};
use time::OffsetDateTime;
use uuid::Uuid;

/// An account: owned by a person, an organisation, or the district (`owner_id` empty).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct AccountRow {
    pub id: Uuid,
    pub owner_kind: String,
    pub owner_id: Option<Uuid>,
    pub currency: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Inserts accounts in batches.
pub async fn insert_accounts(db: &Db, rows: &[AccountRow]) -> Result<()> {
    crate::insert_table!(db, rows, 5, accounts_sql, |q, r| bind_account!(q, r))
}

/// The multi-row `INSERT` for `rows` accounts.
pub(crate) fn accounts_sql(rows: usize) -> String {
    format!(
        "INSERT INTO accounts (id, owner_kind, owner_id, currency, created_at) VALUES {}",
        values_placeholders(rows, 5)
    )
}

/// Binds one account's 5 insert values.
macro_rules! bind_account {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(&r.owner_kind)
            .bind(r.owner_id)
            .bind(&r.currency)
            .bind(r.created_at)
    }};
}
pub(crate) use bind_account;

/// The accounts a person owns directly (bounded).
pub async fn of_owner(db: &Db, owner_kind: &str, owner_id: Uuid) -> Result<Vec<AccountRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, AccountRow>(
        "SELECT id, owner_kind, owner_id, currency, created_at FROM accounts WHERE owner_kind = $1 AND owner_id = $2 ORDER BY created_at, id LIMIT 50")
        .bind(owner_kind).bind(owner_id).fetch_all(pool).await)?,
    )
}
