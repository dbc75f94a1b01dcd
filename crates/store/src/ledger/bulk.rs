//! Writing a whole journal at once (import): the rows as they are, the journal head set to the
//! last one. Balances come with the accounts; `ledger verify` checks the two agree.

use super::{TransferRow, bind_transfer, transfers_sql};
use crate::{Db, Result, StoreError, with_pool};

/// Inserts journal entries in sequence order and moves the journal head to the last.
pub async fn insert_journal(db: &Db, rows: &[TransferRow]) -> Result<()> {
    let Some(last) = rows.last() else {
        return Ok(());
    };
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        crate::insert_rows!(tx, sqlite, rows, 17, transfers_sql, |q, r| bind_transfer!(q, r));
        sqlx::query("UPDATE ledger_head SET last_seq = $1, last_hash = $2 WHERE id = 1")
            .bind(last.seq).bind(&last.hash).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}
