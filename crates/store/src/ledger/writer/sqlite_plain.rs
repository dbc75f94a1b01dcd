//! The ledger writer's plain batches on SQLite, written through plain SQLite (rusqlite) on a
//! connection of the writer's own, on a blocking thread.
//!
//! Why not sqlx here: each sqlx statement is a round trip to the connection's worker thread,
//! and a batch needs about ten of them. Under 64 HTTP clients on two cores every round trip
//! waits behind the requests for a core, so a batch's reads alone took 1–2 ms and the writer,
//! which is serial, became the limit. Here the whole batch (reads, planning, writes, commit) is
//! one piece of work on one thread: one hand-over per batch instead of one per statement.
//!
//! Only plain commands take this path (no effect, no link to an invoice, request or reversed
//! transfer): what members post most. A batch with anything else goes through the sqlx path
//! ([`super::post_batch`]), which knows every effect. Both run in the one writer task, one batch
//! at a time, and both read the journal head inside their write transaction, so the chain stays
//! one. The planning is the same function ([`super::plan`]); only the reads and writes differ,
//! and they store values exactly as sqlx does (UUIDs as 16-byte blobs, instants as RFC 3339
//! text), so every other reader sees the same rows.
//!
//! Durability is the same as sqlx's connections: `synchronous=FULL` in WAL mode, checked when
//! the connection opens, and nobody is answered before `COMMIT` returns. (Answering after a
//! separate sync of the WAL, so that one batch's sync overlaps the next batch's work, was
//! measured too: no faster over HTTP, where the two cores are the limit, so the simpler
//! guarantee stays.)

use super::{Command, CommandError, Effect, KeyAnswer, Loaded, Outcome, Plan, to_hash};
use crate::ledger::TransferRow;
use crate::ledger::replay_sqlite::{instant, optional_uuid, uuid};
use crate::plain_read::{instant_text, optional_uuid_at, uuid_param};
use crate::{Result, StoreError};
use distretto_domain::ledger::{AccountState, Leg, Limits};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, TransactionBehavior, params};
use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use uuid::Uuid;

/// `PRAGMA synchronous` value of FULL.
const SYNCHRONOUS_FULL: i64 = 2;

/// Whether `command` may take the plain path: no effect, and no leg linked to an invoice, a
/// payment request or a reversed transfer (those need the effect reads of the sqlx path).
pub(super) fn is_plain(command: &Command) -> bool {
    command.effect == Effect::None
        && command
            .legs
            .iter()
            .all(|l| l.invoice_id.is_none() && l.request_id.is_none() && l.reverses.is_none())
}

/// The writer's own connection to the SQLite file.
pub(super) struct PlainWriter {
    conn: Connection,
}

impl std::fmt::Debug for PlainWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlainWriter").finish_non_exhaustive()
    }
}

impl PlainWriter {
    /// Opens the database file (already created and migrated) with the write pool's settings.
    pub(super) fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "cache_size", -8000)?;
        conn.pragma_update(None, "wal_autocheckpoint", crate::WAL_AUTOCHECKPOINT_PAGES)?;
        let journal: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
        let synchronous: i64 = conn.pragma_query_value(None, "synchronous", |r| r.get(0))?;
        if !journal.eq_ignore_ascii_case("wal") || synchronous != SYNCHRONOUS_FULL {
            return Err(StoreError::UnsafeConfig(format!(
                "the ledger writer's SQLite connection runs with journal_mode={journal}, synchronous={synchronous}"
            )));
        }
        Ok(Self { conn })
    }

    /// Posts `commands` (all plain) in one transaction; the outer error means nothing was
    /// committed (or the commit's fate is unknown).
    pub(super) fn post(
        &mut self,
        commands: &[Command],
        now: OffsetDateTime,
    ) -> Result<Vec<std::result::Result<Outcome, CommandError>>> {
        let started = Instant::now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let loaded = load(&tx, commands)?;
        let stored_seq = loaded.head.0;
        let read_us = started.elapsed().as_micros();
        let plan = super::plan(commands, loaded, now);
        let planned_us = started.elapsed().as_micros();
        let results = write(&tx, plan, stored_seq, now)?;
        let written_us = started.elapsed().as_micros();
        tx.commit()?;
        tracing::debug!(
            commands = commands.len(),
            read_us,
            planned_us,
            written_us,
            committed_us = started.elapsed().as_micros(),
            "ledger batch (plain SQLite)"
        );
        Ok(results)
    }

    /// This connection's `PRAGMA synchronous` (2 = FULL), for tests.
    #[cfg(test)]
    fn synchronous(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))?)
    }
}

/// The head, the idempotency keys, the accounts and the legs held on them.
fn load(conn: &Connection, commands: &[Command]) -> Result<Loaded> {
    let mut loaded = Loaded::default();
    let (seq, hash): (i64, Vec<u8>) = conn
        .prepare_cached("SELECT last_seq, last_hash FROM ledger_head WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    loaded.head = (
        seq,
        to_hash(&hash).ok_or(StoreError::Corrupt("ledger_head.last_hash"))?,
    );
    let mut keys = conn.prepare_cached(
        "SELECT request_hash, transfer_id, refusal FROM idempotency_keys WHERE person_id = ?1 AND key = ?2",
    )?;
    for key in commands.iter().filter_map(|c| c.idempotency.as_ref()) {
        let found = keys
            .query_row(params![uuid_param(&key.person_id), key.key], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, optional_uuid_at(r, 1)?, r.get(2)?))
            })
            .optional()?;
        if let Some((request_hash, transfer_id, refusal)) = found {
            let answer: KeyAnswer = (request_hash, transfer_id, refusal);
            loaded.keys.insert((key.person_id, key.key.clone()), answer);
        }
    }
    let mut account = conn.prepare_cached(
        "SELECT currency, balance_minor, credit_limit_minor, upper_limit_minor FROM accounts WHERE id = ?1",
    )?;
    // The same partial indexes as the sqlx path: only rows with status 'held'.
    let mut holds = conn.prepare_cached(
        "SELECT id, debit_account, credit_account, amount_minor FROM federation_payments WHERE status = 'held' \
         AND (debit_account = ?1 OR credit_account = ?1) \
         UNION ALL SELECT l.id, l.debit_account, l.credit_account, l.amount_minor FROM federation_clearing_legs l \
         JOIN federation_clearings c ON c.id = l.clearing_id WHERE c.status = 'held' \
         AND (l.debit_account = ?1 OR l.credit_account = ?1)",
    )?;
    let mut held_loaded: HashSet<Uuid> = HashSet::new();
    for id in super::account_ids(commands) {
        let state = account
            .query_row(params![uuid_param(&id)], |r| {
                Ok(AccountState {
                    currency: r.get(0)?,
                    balance_minor: r.get(1)?,
                    limits: Limits {
                        credit_limit_minor: r.get(2)?,
                        upper_limit_minor: r.get(3)?,
                    },
                })
            })
            .optional()?;
        let Some(state) = state else { continue };
        loaded.book.load(id, state);
        let mut rows = holds.query(params![uuid_param(&id)])?;
        while let Some(row) = rows.next()? {
            let hold = uuid(row, 0, "held leg id")?;
            let debit = optional_uuid(row, 1, "held leg debit_account")?;
            let credit = optional_uuid(row, 2, "held leg credit_account")?;
            // A leg between two accounts of the batch is loaded once.
            if let (Some(payer), Some(payee)) = (debit, credit)
                && held_loaded.insert(hold)
            {
                let amount_minor: i64 = row.get(3)?;
                loaded.book.load_hold(&Leg {
                    payer,
                    payee,
                    amount_minor,
                });
            }
        }
    }
    Ok(loaded)
}

/// The journal rows, the balances, the keys and the head (when it moved from `stored_seq`);
/// then the replayed transfers.
fn write(
    conn: &Connection,
    plan: Plan,
    stored_seq: i64,
    now: OffsetDateTime,
) -> Result<Vec<std::result::Result<Outcome, CommandError>>> {
    let now_text = instant_text(now)?;
    let mut insert = conn.prepare_cached(&format!(
        "INSERT INTO transfers ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        crate::ledger::TRANSFER_COLUMNS
    ))?;
    for t in &plan.transfers {
        insert.execute(params![
            t.seq,
            uuid_param(&t.id),
            t.kind,
            uuid_param(&t.payer),
            uuid_param(&t.payee),
            t.currency,
            t.amount_minor,
            t.payer_balance_minor,
            t.payee_balance_minor,
            t.memo,
            t.invoice_id.as_ref().map(uuid_param),
            t.request_id.as_ref().map(uuid_param),
            t.reverses.as_ref().map(uuid_param),
            t.created_by.as_ref().map(uuid_param),
            instant_text(t.created_at)?,
            t.prev_hash,
            t.hash,
        ])?;
    }
    let mut balance =
        conn.prepare_cached("UPDATE accounts SET balance_minor = ?2 WHERE id = ?1")?;
    for (id, balance_minor) in super::final_balances(&plan) {
        balance.execute(params![uuid_param(&id), balance_minor])?;
    }
    let mut key = conn.prepare_cached(
        "INSERT INTO idempotency_keys (person_id, key, request_hash, transfer_id, refusal, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (person_id, k, (request_hash, transfer_id, refusal)) in &plan.keys {
        key.execute(params![
            uuid_param(person_id),
            k,
            request_hash,
            transfer_id.as_ref().map(uuid_param),
            refusal,
            now_text
        ])?;
    }
    if plan.head.0 != stored_seq {
        conn.prepare_cached("UPDATE ledger_head SET last_seq = ?1, last_hash = ?2 WHERE id = 1")?
            .execute(params![plan.head.0, plan.head.1.to_vec()])?;
    }
    let mut results = plan.results;
    let mut replayed = conn.prepare_cached(&format!(
        "SELECT {} FROM transfers WHERE id = ?1",
        crate::ledger::TRANSFER_COLUMNS
    ))?;
    for (index, transfer_id) in &plan.replays {
        let row = replayed
            .query_row(params![uuid_param(transfer_id)], |r| Ok(transfer_row(r)))
            .optional()?
            .transpose()?;
        let answer = row
            .map(|t| Outcome {
                transfers: vec![t],
                replayed: true,
            })
            .ok_or(CommandError::Store("replayed transfer missing".into()));
        if let Some(slot) = results.get_mut(*index) {
            *slot = Some(answer);
        }
    }
    Ok(results
        .into_iter()
        .map(|r| r.unwrap_or(Err(CommandError::BadCommand)))
        .collect())
}

/// A journal row in [`crate::ledger::TRANSFER_COLUMNS`] order.
fn transfer_row(r: &Row<'_>) -> Result<TransferRow> {
    Ok(TransferRow {
        seq: r.get(0)?,
        id: uuid(r, 1, "transfers.id")?,
        kind: r.get(2)?,
        payer: uuid(r, 3, "transfers.payer")?,
        payee: uuid(r, 4, "transfers.payee")?,
        currency: r.get(5)?,
        amount_minor: r.get(6)?,
        payer_balance_minor: r.get(7)?,
        payee_balance_minor: r.get(8)?,
        memo: r.get(9)?,
        invoice_id: optional_uuid(r, 10, "transfers.invoice_id")?,
        request_id: optional_uuid(r, 11, "transfers.request_id")?,
        reverses: optional_uuid(r, 12, "transfers.reverses")?,
        created_by: optional_uuid(r, 13, "transfers.created_by")?,
        created_at: instant(r, 14)?,
        prev_hash: r.get(15)?,
        hash: r.get(16)?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{IdempotencyKey, NewLeg, post_batch};
    use super::*;
    use crate::Db;
    use crate::accounts::AccountRow;
    use distretto_domain::ledger::{Refusal, TransferKind};

    async fn database(label: &str) -> (Db, std::path::PathBuf) {
        crate::test_sqlite(&format!("plain-{label}")).await
    }

    /// Two accounts with a credit limit of 100, balance 0.
    async fn two_accounts(db: &Db) -> (Uuid, Uuid) {
        let row = |id| AccountRow {
            id,
            owner_kind: "person".into(),
            owner_id: Some(Uuid::now_v7()),
            currency: "CRD".into(),
            created_at: crate::now(),
            purpose: None,
            balance_minor: 0,
            credit_limit_minor: 100,
            upper_limit_minor: None,
        };
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        crate::accounts::insert_accounts(db, &[row(a), row(b)])
            .await
            .unwrap();
        (a, b)
    }

    fn keyed(payer: Uuid, payee: Uuid, amount_minor: i64, key: &str, hash: u8) -> Command {
        Command {
            legs: vec![NewLeg::new(
                TransferKind::Payment,
                payer,
                payee,
                amount_minor,
                "plain".into(),
            )],
            effect: Effect::None,
            idempotency: Some(IdempotencyKey {
                person_id: payer,
                key: key.into(),
                request_hash: [hash; 32],
            }),
            created_by: Some(payer),
        }
    }

    #[test]
    fn only_commands_without_effect_or_links_are_plain() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let plain = keyed(a, b, 1, "k", 1);
        assert!(is_plain(&plain));
        let mut invoice = plain.clone();
        invoice.effect = Effect::PayInvoice(Uuid::now_v7());
        assert!(!is_plain(&invoice));
        let mut reversal = plain.clone();
        reversal.legs[0].reverses = Some(Uuid::now_v7());
        assert!(!is_plain(&reversal));
        let mut request = plain;
        request.legs[0].request_id = Some(Uuid::now_v7());
        assert!(!is_plain(&request));
    }

    /// The plain path and the sqlx path on one database: each reads what the other wrote
    /// (transfers, keys, balances, the head), and the journal verifies as one chain.
    #[tokio::test]
    async fn plain_and_sqlx_batches_share_one_journal() {
        let (db, path) = database("share").await;
        let (a, b) = two_accounts(&db).await;
        let mut writer = PlainWriter::open(&path).unwrap();
        assert_eq!(writer.synchronous().unwrap(), SYNCHRONOUS_FULL);

        // Plain: a payment, its retry in the same batch, the key reused with another body, and
        // a payment past the payer's credit limit (100).
        let first = keyed(a, b, 60, "one", 1);
        let batch = [
            first.clone(),
            first.clone(),
            keyed(a, b, 61, "one", 2),
            keyed(a, b, 41, "two", 3),
        ];
        let answers = writer.post(&batch, crate::now()).unwrap();
        let posted = answers[0].clone().unwrap();
        assert!(!posted.replayed);
        let t = posted.transfers[0].clone();
        assert_eq!(
            (t.seq, t.payer_balance_minor, t.payee_balance_minor),
            (1, -60, 60)
        );
        assert_eq!(
            answers[1],
            Ok(Outcome {
                transfers: vec![t.clone()],
                replayed: true
            })
        );
        assert_eq!(answers[2], Err(CommandError::IdempotencyKeyReused));
        assert_eq!(
            answers[3],
            Err(CommandError::Refused(Refusal::CreditLimitExceeded))
        );

        // sqlx reads the row exactly as the plain path answered it.
        assert_eq!(crate::ledger::transfer(&db, t.id).await.unwrap(), t);
        assert_eq!(
            crate::accounts::get(&db, a).await.unwrap().balance_minor,
            -60
        );

        // sqlx: a retry of the plain path's key (answered from its stored key), a refusal
        // stored under a key, and a new payment chained after the plain one.
        let retry_of_refused = keyed(a, b, 41, "two", 3);
        let sqlx_batch = [first.clone(), retry_of_refused, keyed(b, a, 10, "three", 4)];
        let answers = post_batch(&db, &sqlx_batch).await.unwrap();
        assert_eq!(
            answers[0],
            Ok(Outcome {
                transfers: vec![t.clone()],
                replayed: true
            })
        );
        assert_eq!(
            answers[1],
            Err(CommandError::Refused(Refusal::CreditLimitExceeded))
        );
        let back = answers[2].clone().unwrap().transfers[0].clone();
        assert_eq!((back.seq, back.prev_hash.clone()), (2, t.hash.clone()));

        // Plain again, after sqlx: its retry of sqlx's key, and the chain goes on.
        let answers = writer
            .post(
                &[keyed(b, a, 10, "three", 4), keyed(a, b, 5, "four", 5)],
                crate::now(),
            )
            .unwrap();
        assert_eq!(
            answers[0],
            Ok(Outcome {
                transfers: vec![back.clone()],
                replayed: true
            })
        );
        let last = answers[1].clone().unwrap().transfers[0].clone();
        assert_eq!((last.seq, last.prev_hash.clone()), (3, back.hash.clone()));
        assert_eq!(crate::ledger::transfer(&db, last.id).await.unwrap(), last);

        let report = crate::ledger::verify::verify(&db).await.unwrap();
        assert!(report.ok(), "{:?}", report.problems);
        assert_eq!(
            crate::accounts::get(&db, a).await.unwrap().balance_minor,
            -55
        );
        drop(writer);
        db.close().await;
        let _ = std::fs::remove_file(&path);
    }

    /// A batch that fails part-way (here: a journal row whose id is taken) writes nothing.
    #[tokio::test]
    async fn a_failed_batch_writes_nothing() {
        let (db, path) = database("fail").await;
        let (a, b) = two_accounts(&db).await;
        let mut writer = PlainWriter::open(&path).unwrap();
        let done = writer
            .post(&[keyed(a, b, 10, "one", 1)], crate::now())
            .unwrap();
        let taken = done[0].clone().unwrap().transfers[0].id;
        let mut clash = keyed(a, b, 20, "two", 2);
        clash.legs[0].id = taken;
        let fresh = keyed(b, a, 5, "three", 3);
        assert!(writer.post(&[fresh.clone(), clash], crate::now()).is_err());
        assert_eq!(
            crate::accounts::get(&db, a).await.unwrap().balance_minor,
            -10
        );
        assert!(
            crate::ledger::transfer(&db, fresh.legs[0].id)
                .await
                .is_err()
        );
        // The key of the refused batch was not stored: the same command posts now.
        let again = writer.post(&[fresh], crate::now()).unwrap();
        assert_eq!(again[0].clone().unwrap().transfers[0].seq, 2);
        let report = crate::ledger::verify::verify(&db).await.unwrap();
        assert!(report.ok(), "{:?}", report.problems);
        drop(writer);
        db.close().await;
        let _ = std::fs::remove_file(&path);
    }

    /// The connection runs in WAL mode with `synchronous=FULL` and checkpoints as seldom as the
    /// sqlx pools do.
    #[tokio::test]
    async fn the_connection_syncs_every_commit() {
        let (db, path) = database("modes").await;
        let writer = PlainWriter::open(&path).unwrap();
        assert_eq!(writer.synchronous().unwrap(), SYNCHRONOUS_FULL);
        let journal: String = writer
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(journal, "wal");
        let pages = |conn: &Connection| -> i64 {
            conn.pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))
                .unwrap()
        };
        assert_eq!(
            pages(&writer.conn),
            i64::from(crate::WAL_AUTOCHECKPOINT_PAGES)
        );
        let crate::Db::Sqlite { write, .. } = &db else {
            unreachable!()
        };
        let pooled: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(write)
            .await
            .unwrap();
        assert_eq!(pooled, pages(&writer.conn));
        drop(writer);
        db.close().await;
        let _ = std::fs::remove_file(&path);
    }
}
