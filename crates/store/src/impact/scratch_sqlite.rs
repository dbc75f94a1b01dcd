//! Folding the journal from scratch on SQLite through plain SQLite (rusqlite), as the ledger
//! replay does: sqlx copies every value of every row (several µs a row), which made a national
//! year of ten million entries take minutes. Here a row costs a few hundred nanoseconds: the
//! accounts are numbered from their 16-byte ids, the month is read from the first seven
//! characters of the stored RFC 3339 instant (always UTC here), and nothing else is decoded.

use super::AccountIndex;
use crate::{Result, StoreError};
use distretto_domain::impact::period::{Month, Period};
use distretto_domain::impact::trade::{Posting, Trade};
use distretto_domain::ledger::TransferKind;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;
use uuid::Uuid;

/// Folds every entry made before `end` (an RFC 3339 instant in UTC, as stored) of the SQLite
/// file at `path`: flows of `period`'s months, closings of every month.
pub fn fold_file(
    path: &Path,
    end: &str,
    period: &Period,
    index: &mut AccountIndex,
) -> Result<Trade> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "mmap_size", 1_i64 << 34)?;
    conn.execute_batch("BEGIN")?;
    let mut stmt = conn.prepare(
        "SELECT seq, kind, payer, payee, amount_minor, payer_balance_minor, payee_balance_minor, created_at \
         FROM transfers WHERE created_at < ?1 ORDER BY seq",
    )?;
    let mut rows = stmt.query([end])?;
    let mut trade = Trade::default();
    // Account ids seen, by their 16 bytes (cheaper to hash than a parsed id).
    let mut seen: HashMap<[u8; 16], u32> = HashMap::new();
    let mut months: HashMap<[u8; 7], Month> = HashMap::new();
    let kinds: Vec<(&'static str, TransferKind)> =
        TransferKind::ALL.iter().map(|k| (k.code(), *k)).collect();
    while let Some(row) = rows.next()? {
        let kind = match row.get_ref(1)? {
            ValueRef::Text(t) => kinds
                .iter()
                .find(|(code, _)| code.as_bytes() == t)
                .map(|(_, k)| *k)
                .ok_or(StoreError::Corrupt("transfers.kind"))?,
            _ => return Err(StoreError::Corrupt("transfers.kind")),
        };
        let payer = account(row.get_ref(2)?, &mut seen, index)?;
        let payee = account(row.get_ref(3)?, &mut seen, index)?;
        let month = month(row.get_ref(7)?, &mut months)?;
        let p = Posting {
            seq: row.get(0)?,
            month,
            kind,
            payer,
            payee,
            amount_minor: row.get(4)?,
            payer_balance_minor: row.get(5)?,
            payee_balance_minor: row.get(6)?,
        };
        if period.contains(month) {
            trade.fold(&p);
        } else {
            trade.fold_closings_only(&p);
        }
    }
    drop(rows);
    drop(stmt);
    conn.execute_batch("ROLLBACK")?;
    Ok(trade)
}

fn account(
    v: ValueRef<'_>,
    seen: &mut HashMap<[u8; 16], u32>,
    index: &mut AccountIndex,
) -> Result<u32> {
    let ValueRef::Blob(bytes) = v else {
        return Err(StoreError::Corrupt("transfers.payer"));
    };
    let key: [u8; 16] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("transfers.payer"))?;
    if let Some(i) = seen.get(&key) {
        return Ok(*i);
    }
    let i = index.intern(Uuid::from_bytes(key));
    seen.insert(key, i);
    Ok(i)
}

/// The month of a stored instant: `YYYY-MM` of a UTC RFC 3339 text (ending `Z` or `+00:00`);
/// any other offset is parsed in full and converted.
fn month(v: ValueRef<'_>, months: &mut HashMap<[u8; 7], Month>) -> Result<Month> {
    let ValueRef::Text(t) = v else {
        return Err(StoreError::Corrupt("transfers.created_at"));
    };
    let utc = t.ends_with(b"Z") || t.ends_with(b"+00:00");
    if utc && t.len() >= 7 {
        let key: [u8; 7] = t[..7]
            .try_into()
            .map_err(|_| StoreError::Corrupt("transfers.created_at"))?;
        if let Some(m) = months.get(&key) {
            return Ok(*m);
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
