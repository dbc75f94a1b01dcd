//! Folding the journal from scratch on SQLite through plain SQLite (rusqlite), as the ledger
//! replay does: sqlx copies every value of every row (several µs a row), which made a national
//! year of ten million entries take minutes. Here a row costs a few hundred nanoseconds: the
//! accounts are numbered from their 16-byte ids, the month is read from the first seven
//! characters of the stored RFC 3339 instant (always UTC here), and nothing else is decoded.
//!
//! Reading and folding take about the same time, so they run on two threads: a reader decodes
//! blocks of rows and hands them over a bounded channel to the caller's thread, which numbers
//! their accounts and folds them in journal order with a [`Folder`].
//!
//! The other large reads of the impact pages go the same way: who is who ([`member_rows`])
//! and the maintained aggregates ([`maintained`]).

use super::AccountIndex;
use super::aggregates::parse_month;
use super::facts::{MAX_FACTS, MemberRows, OrganizationRow};
use crate::{Result, StoreError};
use distretto_domain::impact::period::{Month, Period};
use distretto_domain::impact::trade::{Closing, FlowKey, FlowSum, Folder, Posting, Trade};
use distretto_domain::ledger::TransferKind;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::time::Duration;
use uuid::Uuid;

/// Postings per block handed from the reader to the folder.
const BLOCK: usize = 8_192;

/// Blocks waiting between the two threads at most (about 3 MB).
const BLOCKS_IN_FLIGHT: usize = 8;

/// Folds every entry made before `span.1` (an RFC 3339 instant in UTC, as stored) of the
/// SQLite file at `path`: flows of `period`'s months, closings of every month. `span.0` is
/// the start of `period`, the same way.
pub fn fold_file(
    path: &Path,
    span: (&str, &str),
    period: &Period,
    index: &mut AccountIndex,
) -> Result<Trade> {
    let end = span.1;
    let flows = entries_between(path, span)?;
    let (blocks, received) = sync_channel::<Vec<Raw>>(BLOCKS_IN_FLIGHT);
    let mut folder = Folder::new(*period, index.len(), flows);
    let read = std::thread::scope(|scope| {
        // The sender moves into the reader, so the channel closes when the reader returns.
        let reader = scope.spawn(move || read_file(path, end, blocks));
        // Ends when the reader is done and drops its sender (or fails and drops it). The
        // accounts are numbered here rather than by the reader: SQLite's stepping keeps the
        // reader busier than the folder, and the numbering's look-ups were a quarter of it.
        for mut raw in received.iter() {
            numbered(&mut raw, index)
                .iter()
                .for_each(|p| folder.push(p));
        }
        reader.join()
    });
    read.map_err(|_| StoreError::Corrupt("impact fold thread"))??;
    Ok(folder.finish())
}

/// About how many journal entries were made in `span` (RFC 3339 instants as stored): the
/// difference of the seqs of its first and last entries, two look-ups in the index on
/// `created_at` where counting would read ten million of its rows. Entries are numbered in
/// the order they are made, so this is the count give or take the entries of a few
/// concurrent writers; it only sizes the folder's map.
pub(super) fn entries_between(path: &Path, span: (&str, &str)) -> Result<usize> {
    let conn = open_read_only(path)?;
    let (first, last): (Option<i64>, Option<i64>) = conn.query_row(
        "SELECT (SELECT seq FROM transfers WHERE created_at >= ?1 ORDER BY created_at LIMIT 1), \
                (SELECT seq FROM transfers WHERE created_at < ?2 ORDER BY created_at DESC LIMIT 1)",
        [span.0, span.1],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    Ok(match (first, last) {
        (Some(first), Some(last)) => usize::try_from(last - first + 1).unwrap_or(0),
        _ => 0,
    })
}

/// A read-only connection to the SQLite file at `path`, waiting up to ten seconds for a
/// writer's lock like the pool's connections do.
fn open_read_only(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    Ok(conn)
}

/// Reads the journal in order and sends it to `blocks`, accounts still by id.
fn read_file(path: &Path, end: &str, blocks: SyncSender<Vec<Raw>>) -> Result<()> {
    let conn = open_read_only(path)?;
    conn.pragma_update(None, "mmap_size", 1_i64 << 34)?;
    conn.execute_batch("BEGIN")?;
    // `+created_at`: the column's declared type (TIMESTAMPTZ) gives it numeric affinity, so
    // comparing it as it is tried to read every row's instant as a number first (sqlite3AtoF,
    // a tenth of this thread); without affinity both sides compare as the text they are.
    let mut stmt = conn.prepare(
        "SELECT seq, kind, payer, payee, amount_minor, payer_balance_minor, payee_balance_minor, created_at \
         FROM transfers WHERE +created_at < ?1 ORDER BY seq",
    )?;
    let mut rows = stmt.query([end])?;
    let mut months = Months::default();
    let kinds: Vec<(&'static str, TransferKind)> =
        TransferKind::ALL.iter().map(|k| (k.code(), *k)).collect();
    let mut raw = Vec::with_capacity(BLOCK);
    while let Some(row) = rows.next()? {
        let kind = match row.get_ref(1)? {
            ValueRef::Text(t) => kinds
                .iter()
                .find(|(code, _)| code.as_bytes() == t)
                .map(|(_, k)| *k)
                .ok_or(StoreError::Corrupt("transfers.kind"))?,
            _ => return Err(StoreError::Corrupt("transfers.kind")),
        };
        raw.push(Raw {
            seq: row.get(0)?,
            month: month(row.get_ref(7)?, &mut months)?,
            kind,
            payer: account_key(row.get_ref(2)?)?,
            payee: account_key(row.get_ref(3)?)?,
            amount_minor: row.get(4)?,
            payer_balance_minor: row.get(5)?,
            payee_balance_minor: row.get(6)?,
        });
        if raw.len() == BLOCK {
            // The folder only stops listening when its thread is gone: nothing left to do.
            let full = std::mem::replace(&mut raw, Vec::with_capacity(BLOCK));
            if blocks.send(full).is_err() {
                break;
            }
        }
    }
    if !raw.is_empty() {
        let _ = blocks.send(raw);
    }
    drop(rows);
    drop(stmt);
    conn.execute_batch("ROLLBACK")?;
    Ok(())
}

/// A posting as read, its accounts still by id.
struct Raw {
    seq: i64,
    month: Month,
    kind: TransferKind,
    payer: [u8; 16],
    payee: [u8; 16],
    amount_minor: i64,
    payer_balance_minor: i64,
    payee_balance_minor: i64,
}

/// The block's postings with their accounts numbered, `raw` emptied. Numbering a whole block
/// in one short loop, rather than each row between two SQLite steps, lets the processor wait
/// for several of the index's cache misses at once: the index of half a million accounts does
/// not fit in its cache, and these look-ups were the largest part of reading.
fn numbered(raw: &mut Vec<Raw>, index: &mut AccountIndex) -> Vec<Posting> {
    raw.drain(..)
        .map(|r| Posting {
            seq: r.seq,
            month: r.month,
            kind: r.kind,
            payer: index.intern(Uuid::from_bytes(r.payer)),
            payee: index.intern(Uuid::from_bytes(r.payee)),
            amount_minor: r.amount_minor,
            payer_balance_minor: r.payer_balance_minor,
            payee_balance_minor: r.payee_balance_minor,
        })
        .collect()
}

/// An account id as stored: 16 bytes.
fn account_key(v: ValueRef<'_>) -> Result<[u8; 16]> {
    let ValueRef::Blob(bytes) = v else {
        return Err(StoreError::Corrupt("transfers.payer"));
    };
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("transfers.payer"))
}

/// The months met so far by their `YYYY-MM` text, and the last one met: the journal is read in
/// order, so nearly every row is in the month of the row before and costs one comparison.
#[derive(Default)]
struct Months {
    last: Option<([u8; 7], Month)>,
    seen: HashMap<[u8; 7], Month>,
}

impl Months {
    fn get(&mut self, key: &[u8; 7]) -> Option<Month> {
        match self.last {
            Some((k, m)) if k == *key => Some(m),
            _ => {
                let m = *self.seen.get(key)?;
                self.last = Some((*key, m));
                Some(m)
            }
        }
    }

    fn insert(&mut self, key: [u8; 7], m: Month) {
        self.seen.insert(key, m);
        self.last = Some((key, m));
    }
}

/// The month of a stored instant: `YYYY-MM` of a UTC RFC 3339 text (ending `Z` or `+00:00`);
/// any other offset is parsed in full and converted.
fn month(v: ValueRef<'_>, months: &mut Months) -> Result<Month> {
    let ValueRef::Text(t) = v else {
        return Err(StoreError::Corrupt("transfers.created_at"));
    };
    let utc = t.ends_with(b"Z") || t.ends_with(b"+00:00");
    if utc && t.len() >= 7 {
        let key: [u8; 7] = t[..7]
            .try_into()
            .map_err(|_| StoreError::Corrupt("transfers.created_at"))?;
        if let Some(m) = months.get(&key) {
            return Ok(m);
        }
        let m = Period::parse(std::str::from_utf8(&key).unwrap_or_default())
            .ok()
            .filter(|p| p.len_months() == 1)
            .map(|p| p.first())
            .ok_or(StoreError::Corrupt("transfers.created_at"))?;
        months.insert(key, m);
        return Ok(m);
    }
    let at = std::str::from_utf8(t)
        .ok()
        .and_then(|s| {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
        })
        .ok_or(StoreError::Corrupt("transfers.created_at"))?
        .to_offset(time::UtcOffset::UTC);
    Ok(Month {
        year: at.year(),
        month: u8::from(at.month()),
    })
}

/// The maintained aggregates of months `months.0` to `months.1` (`YYYY-MM`), as
/// [`super::aggregates::load_sqlx`] reads them (the same queries, so accounts are numbered in
/// the same order), in one read transaction.
pub(super) fn maintained(
    path: &Path,
    months: (&str, &str),
    index: &mut AccountIndex,
) -> Result<Trade> {
    let conn = open_read_only(path)?;
    conn.execute_batch("BEGIN")?;
    let mut trade = Trade::default();
    {
        let mut stmt = conn.prepare(
            "SELECT month, payer, payee, kind, amount_minor, transfers FROM impact_flows \
             WHERE month >= ?1 AND month <= ?2",
        )?;
        let mut rows = stmt.query([months.0, months.1])?;
        while let Some(r) = rows.next()? {
            let key = FlowKey {
                month: parse_month(text(r.get_ref(0)?, "impact_flows.month")?)?,
                payer: index.intern(uuid(r.get_ref(1)?, "impact_flows.payer")?),
                payee: index.intern(uuid(r.get_ref(2)?, "impact_flows.payee")?),
                kind: TransferKind::parse(text(r.get_ref(3)?, "impact_flows.kind")?)
                    .ok_or(StoreError::Corrupt("impact_flows.kind"))?,
            };
            let sum = FlowSum {
                amount_minor: r.get(4)?,
                transfers: u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
            };
            trade.set_flow(key, sum);
        }
    }
    {
        let mut stmt = conn.prepare(
            "SELECT account_id, month, seq, balance_minor FROM impact_closings WHERE month <= ?1",
        )?;
        let mut rows = stmt.query([months.1])?;
        while let Some(r) = rows.next()? {
            let account = index.intern(uuid(r.get_ref(0)?, "impact_closings.account_id")?);
            let month = parse_month(text(r.get_ref(1)?, "impact_closings.month")?)?;
            let closing = Closing {
                seq: r.get(2)?,
                balance_minor: r.get(3)?,
            };
            trade.set_closing(account, month, closing);
        }
    }
    conn.execute_batch("ROLLBACK")?;
    Ok(trade)
}

fn text<'r>(v: ValueRef<'r>, column: &'static str) -> Result<&'r str> {
    v.as_str().map_err(|_| StoreError::Corrupt(column))
}

/// Who is who ([`MemberRows`]) through plain SQLite, with the queries and order of the sqlx
/// path in `facts`: half a million people and accounts at national scale. The decisions are
/// read from the index that holds every column asked for, in order (migration 0020): no
/// look-up of each row, no sort.
pub(super) fn member_rows(path: &Path) -> Result<MemberRows> {
    let conn = open_read_only(path)?;
    conn.execute_batch("BEGIN")?;
    let mut months = Months::default();
    let mut out = MemberRows::default();
    {
        let mut stmt = conn.prepare(
            "SELECT subject_kind, subject_id, decision, decided_at \
             FROM membership_decisions INDEXED BY membership_decisions_facts \
             WHERE decision IN ('admit', 'suspend', 'reinstate') \
             ORDER BY decided_at, decision, subject_kind, subject_id LIMIT ?1",
        )?;
        let mut rows = stmt.query([MAX_FACTS])?;
        while let Some(r) = rows.next()? {
            out.decisions.push((
                r.get(0)?,
                uuid(r.get_ref(1)?, "membership_decisions.subject_id")?,
                r.get(2)?,
                month(r.get_ref(3)?, &mut months)?,
            ));
        }
    }
    {
        let mut stmt = conn.prepare(
            "SELECT id, name, kind, sector, workers_fte_hundredths, volunteers, status, created_at \
             FROM organizations ORDER BY sort_name, id LIMIT ?1",
        )?;
        let mut rows = stmt.query([MAX_FACTS])?;
        while let Some(r) = rows.next()? {
            out.organizations.push(OrganizationRow {
                id: uuid(r.get_ref(0)?, "organizations.id")?,
                name: r.get(1)?,
                kind: r.get(2)?,
                sector: r.get(3)?,
                workers_fte_hundredths: r.get(4)?,
                volunteers: r.get(5)?,
                status: r.get(6)?,
                created: month(r.get_ref(7)?, &mut months)?,
            });
        }
    }
    {
        let mut stmt = conn
            .prepare("SELECT id, membership_status, created_at FROM people ORDER BY id LIMIT ?1")?;
        let mut rows = stmt.query([MAX_FACTS])?;
        while let Some(r) = rows.next()? {
            out.people.push((
                uuid(r.get_ref(0)?, "people.id")?,
                r.get(1)?,
                month(r.get_ref(2)?, &mut months)?,
            ));
        }
    }
    {
        let mut stmt =
            conn.prepare("SELECT id, owner_kind, owner_id FROM accounts ORDER BY id LIMIT ?1")?;
        let mut rows = stmt.query([MAX_FACTS])?;
        while let Some(r) = rows.next()? {
            let owner = match r.get_ref(2)? {
                ValueRef::Null => None,
                v => Some(uuid(v, "accounts.owner_id")?),
            };
            out.accounts
                .push((uuid(r.get_ref(0)?, "accounts.id")?, r.get(1)?, owner));
        }
    }
    conn.execute_batch("ROLLBACK")?;
    Ok(out)
}

/// An id stored as its 16 bytes.
fn uuid(v: ValueRef<'_>, column: &'static str) -> Result<Uuid> {
    match v {
        ValueRef::Blob(bytes) => Uuid::from_slice(bytes).map_err(|_| StoreError::Corrupt(column)),
        _ => Err(StoreError::Corrupt(column)),
    }
}
