//! The journal replay on SQLite, read through plain SQLite (rusqlite) rather than sqlx: sqlx
//! copies every value of a row into its own allocation and hands rows over between threads,
//! about 16 µs a row, which made 10 million entries take minutes.
//!
//! Reading, decoding and hashing entries is the expensive part and needs no earlier entry, so
//! it runs on several reader threads, each with its own connection, taking blocks of sequence
//! numbers in turn (reader 0 takes blocks 0, R, 2R…). The replay proper (sequence, chain and
//! balances, [`distretto_domain::ledger::Replay`], the same rules as on PostgreSQL) takes the
//! blocks back in order on the calling thread. Each reader keeps at most two blocks waiting, so
//! memory stays flat.
//!
//! Snapshots: the journal head and accounts come from one snapshot; the readers' snapshots may
//! be later, but entries up to that head are append-only (triggers refuse updates and deletes)
//! and so read the same in all of them. Entries outside `1..=head` (none in a sound journal) are
//! read from the first snapshot, before and after the blocks, so the replay still sees them.

use crate::{Result, StoreError};
use distretto_domain::ledger::{
    Hash, JournalEntry, Limits, Replay, StoredAccount, TransferKind, VerifyReport, entry_hash,
};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Row};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// Sequence numbers per block handed from a reader to the replay.
pub const BLOCK_SEQS: i64 = 8_192;
/// Blocks a reader may have waiting for the replay.
const BLOCKS_AHEAD: usize = 2;
/// The most reader threads.
const MAX_READERS: usize = 4;

/// An entry with the hashes stored beside it and whether its hash matches its contents.
type Checked = (JournalEntry, Hash, Hash, bool);

/// Replays the journal of the SQLite database at `path`, read in blocks of `block_seqs`
/// sequence numbers.
pub fn verify_file(path: &Path, block_seqs: i64) -> Result<VerifyReport> {
    let block_seqs = block_seqs.clamp(1, 1 << 20);
    let conn = open(path)?;
    conn.execute_batch("BEGIN")?;
    let (head_seq, head_hash) = conn.query_row(
        "SELECT last_seq, last_hash FROM ledger_head WHERE id = 1",
        [],
        |row| Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?)),
    )?;
    let head_hash: Hash = head_hash
        .as_slice()
        .try_into()
        .map_err(|_| StoreError::Corrupt("ledger_head.last_hash"))?;
    let mut replay = Replay::new();
    read_accounts(&conn, &mut replay)?;
    for entry in read_range(&conn, i64::MIN, 0)? {
        replay_one(&mut replay, &entry);
    }
    replay_blocks(path, head_seq, block_seqs, &mut replay)?;
    for entry in read_range(&conn, head_seq.max(0) + 1, i64::MAX)? {
        replay_one(&mut replay, &entry);
    }
    conn.execute_batch("ROLLBACK")?;
    Ok(replay.finish(head_seq, &head_hash))
}

fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    // Pages through the OS page cache instead of copies in SQLite's own cache.
    conn.pragma_update(None, "mmap_size", 1_i64 << 34)?;
    Ok(conn)
}

fn replay_one(replay: &mut Replay, (entry, prev, hash, matches): &Checked) {
    replay.checked_entry(entry, prev, hash, *matches);
}

/// Entries `1..=head_seq`, read in blocks by parallel readers and replayed in order here.
fn replay_blocks(path: &Path, head_seq: i64, block_seqs: i64, replay: &mut Replay) -> Result<()> {
    if head_seq < 1 {
        return Ok(());
    }
    let blocks = (head_seq + block_seqs - 1) / block_seqs;
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let readers = cores
        .clamp(1, MAX_READERS)
        .min(usize::try_from(blocks).unwrap_or(1));
    std::thread::scope(|scope| {
        let mut inboxes = Vec::with_capacity(readers);
        let mut handles = Vec::with_capacity(readers);
        for reader in 0..readers {
            let (send, receive) = mpsc::sync_channel::<Vec<Checked>>(BLOCKS_AHEAD);
            inboxes.push(receive);
            let blocks = Blocks {
                reader,
                readers,
                block_seqs,
                head_seq,
            };
            handles.push(scope.spawn(move || read_blocks(path, blocks, &send)));
        }
        for block in 0..blocks {
            let reader = usize::try_from(block).unwrap_or(0) % readers;
            // A reader that failed hangs up early; its error is collected below.
            let Ok(entries) = inboxes[reader].recv() else {
                break;
            };
            for entry in &entries {
                replay_one(replay, entry);
            }
        }
        drop(inboxes);
        for handle in handles {
            handle
                .join()
                .map_err(|_| StoreError::Corrupt("ledger reader thread panicked"))??;
        }
        Ok(())
    })
}

/// Which blocks of `1..=head_seq` a reader reads: `reader`, `reader + readers`, …
#[derive(Clone, Copy)]
struct Blocks {
    reader: usize,
    readers: usize,
    block_seqs: i64,
    head_seq: i64,
}

/// One reader's blocks, each sent whole.
fn read_blocks(path: &Path, b: Blocks, send: &mpsc::SyncSender<Vec<Checked>>) -> Result<()> {
    let conn = open(path)?;
    conn.execute_batch("BEGIN")?;
    let step = b.block_seqs * i64::try_from(b.readers).unwrap_or(1);
    let mut first = 1 + b.block_seqs * i64::try_from(b.reader).unwrap_or(0);
    while first <= b.head_seq {
        let last = (first + b.block_seqs - 1).min(b.head_seq);
        let entries = read_range(&conn, first, last)?;
        if send.send(entries).is_err() {
            // The replay stopped (another reader failed): nothing more to do here.
            break;
        }
        first += step;
    }
    conn.execute_batch("ROLLBACK")?;
    Ok(())
}

/// Entries with `first <= seq <= last`, in order, decoded and hash-checked.
fn read_range(conn: &Connection, first: i64, last: i64) -> Result<Vec<Checked>> {
    let sql = format!(
        "SELECT {} FROM transfers WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq",
        super::TRANSFER_COLUMNS
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([first, last])?;
    let capacity = usize::try_from(last.saturating_sub(first).saturating_add(1))
        .unwrap_or(0)
        .min(1 << 20);
    let mut entries = Vec::with_capacity(capacity);
    while let Some(row) = rows.next()? {
        let (entry, prev, hash) = stored_entry(row)?;
        let matches = entry_hash(&prev, &entry) == hash;
        entries.push((entry, prev, hash, matches));
    }
    Ok(entries)
}

fn read_accounts(conn: &Connection, replay: &mut Replay) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT id, currency, balance_minor, credit_limit_minor, upper_limit_minor FROM accounts",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        replay.account(StoredAccount {
            id: uuid(row, 0, "accounts.id")?,
            currency: row.get(1)?,
            balance_minor: row.get(2)?,
            limits: Limits {
                credit_limit_minor: row.get(3)?,
                upper_limit_minor: row.get(4)?,
            },
        });
    }
    Ok(())
}

/// One row in [`super::TRANSFER_COLUMNS`] order, decoded as sqlx stores it (UUIDs as 16-byte
/// blobs, instants as RFC 3339 text).
fn stored_entry(row: &Row<'_>) -> Result<(JournalEntry, Hash, Hash)> {
    let kind: String = row.get(2)?;
    let entry = JournalEntry {
        seq: row.get(0)?,
        id: uuid(row, 1, "transfers.id")?,
        kind: TransferKind::parse(&kind).ok_or(StoreError::Corrupt("transfers.kind"))?,
        payer: uuid(row, 3, "transfers.payer")?,
        payee: uuid(row, 4, "transfers.payee")?,
        currency: row.get(5)?,
        amount_minor: row.get(6)?,
        payer_balance_minor: row.get(7)?,
        payee_balance_minor: row.get(8)?,
        memo: row.get(9)?,
        invoice_id: optional_uuid(row, 10, "transfers.invoice_id")?,
        request_id: optional_uuid(row, 11, "transfers.request_id")?,
        reverses: optional_uuid(row, 12, "transfers.reverses")?,
        created_by: optional_uuid(row, 13, "transfers.created_by")?,
        created_at: instant(row, 14)?,
    };
    // A hash of the wrong length is kept as an impossible value, so the replay reports the
    // entry (as the sqlx replay does) instead of stopping.
    let prev = hash_or_invalid(row, 15)?;
    let hash = hash_or_invalid(row, 16)?;
    Ok((entry, prev, hash))
}

pub(super) fn uuid(row: &Row<'_>, index: usize, column: &'static str) -> Result<Uuid> {
    optional_uuid(row, index, column)?.ok_or(StoreError::Corrupt(column))
}

pub(super) fn optional_uuid(
    row: &Row<'_>,
    index: usize,
    column: &'static str,
) -> Result<Option<Uuid>> {
    match row.get_ref(index)? {
        ValueRef::Null => Ok(None),
        ValueRef::Blob(bytes) => Uuid::from_slice(bytes)
            .map(Some)
            .map_err(|_| StoreError::Corrupt(column)),
        _ => Err(StoreError::Corrupt(column)),
    }
}

pub(super) fn instant(row: &Row<'_>, index: usize) -> Result<OffsetDateTime> {
    match row.get_ref(index)? {
        ValueRef::Text(text) => std::str::from_utf8(text)
            .ok()
            .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
            .ok_or(StoreError::Corrupt("transfers.created_at")),
        _ => Err(StoreError::Corrupt("transfers.created_at")),
    }
}

fn hash_or_invalid(row: &Row<'_>, index: usize) -> Result<Hash> {
    Ok(match row.get_ref(index)? {
        ValueRef::Blob(bytes) => bytes.try_into().unwrap_or([0xff; 32]),
        _ => [0xff; 32],
    })
}
