//! `distretto ledger verify`: replays the whole journal from one consistent snapshot, streaming
//! rows so memory stays flat (one balance per account, not one row per transfer).

use super::{TRANSFER_COLUMNS, TransferRow};
use crate::{Db, Result, StoreError, with_pool};
use distretto_domain::ledger::{Limits, Replay, StoredAccount, VerifyReport};
use futures_util::TryStreamExt;
use uuid::Uuid;

/// Replays the journal and checks balances, sums, limits and the hash chain.
pub async fn verify(db: &Db) -> Result<VerifyReport> {
    match db.sqlite_file() {
        Some(_) => verify_in_blocks(db, super::replay_sqlite::BLOCK_SEQS).await,
        None => verify_streaming(db).await,
    }
}

/// The replay of a SQLite file by parallel readers taking blocks of `block_seqs` entries (the
/// default path of [`verify`] on SQLite; tests use small blocks to cross block boundaries).
pub async fn verify_in_blocks(db: &Db, block_seqs: i64) -> Result<VerifyReport> {
    let path = db.sqlite_file().ok_or(StoreError::BadUrl(
        "the block replay reads a SQLite file".into(),
    ))?;
    tokio::task::spawn_blocking(move || super::replay_sqlite::verify_file(&path, block_seqs))
        .await
        .map_err(|_| StoreError::Corrupt("ledger replay task failed"))?
}

/// The replay through sqlx (PostgreSQL, in-memory SQLite): rows streamed from one snapshot.
pub async fn verify_streaming(db: &Db) -> Result<VerifyReport> {
    let pg = db.backend() == "postgres";
    with_pool!(db.read(), pool => {
        // One snapshot for every read: a live server may keep posting meanwhile.
        let mut tx = if pg { pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await? } else { pool.begin().await? };
        let (head_seq, head_hash): (i64, Vec<u8>) =
            sqlx::query_as("SELECT last_seq, last_hash FROM ledger_head WHERE id = 1").fetch_one(&mut *tx).await?;
        let head_hash: [u8; 32] = head_hash.as_slice().try_into().map_err(|_| StoreError::Corrupt("ledger_head.last_hash"))?;
        let mut replay = Replay::new();
        {
            let mut accounts = sqlx::query_as::<_, (Uuid, String, i64, i64, Option<i64>)>(
                "SELECT id, currency, balance_minor, credit_limit_minor, upper_limit_minor FROM accounts")
                .fetch(&mut *tx);
            while let Some((id, currency, balance_minor, credit, upper)) = accounts.try_next().await? {
                replay.account(StoredAccount { id, currency, balance_minor, limits: Limits { credit_limit_minor: credit, upper_limit_minor: upper } });
            }
        }
        {
            let sql = format!("SELECT {TRANSFER_COLUMNS} FROM transfers ORDER BY seq");
            let mut rows = sqlx::query_as::<_, TransferRow>(&sql).fetch(&mut *tx);
            while let Some(row) = rows.try_next().await? {
                let entry = row.entry()?;
                let prev: [u8; 32] = row.prev_hash.as_slice().try_into().unwrap_or([0xff; 32]);
                let hash: [u8; 32] = row.hash.as_slice().try_into().unwrap_or([0xff; 32]);
                replay.entry(&entry, &prev, &hash);
            }
        }
        tx.rollback().await?;
        Ok::<_, StoreError>(replay.finish(head_seq, &head_hash))
    })
}
