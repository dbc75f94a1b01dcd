//! The monthly trade aggregates ([`Trade`]): kept up to date from the journal by [`refresh`],
//! read back by [`load`], or folded from scratch by [`from_scratch`] (which must give the same).

use super::AccountIndex;
use crate::{Db, Result, StoreError, with_pool};
use distretto_domain::impact::period::{Month, Period, first_day, month_index, month_of_index};
use distretto_domain::impact::trade::{Closing, FlowKey, FlowSum, Posting, Trade};
use distretto_domain::ledger::TransferKind;
use time::OffsetDateTime;
use uuid::Uuid;

/// Postings folded per refresh transaction: small enough that the ledger writer never waits
/// long behind it.
pub const REFRESH_BATCH: i64 = 5_000;

/// Postings read per page when folding from scratch.
const SCRATCH_PAGE: i64 = 50_000;

/// The most pages one call reads (2,000 × 50,000 = 100 million postings).
const MAX_PAGES: u32 = 2_000;

/// A journal entry as the aggregates read it.
#[derive(Debug, sqlx::FromRow)]
struct PostingRow {
    seq: i64,
    kind: String,
    payer: Uuid,
    payee: Uuid,
    amount_minor: i64,
    payer_balance_minor: i64,
    payee_balance_minor: i64,
    created_at: OffsetDateTime,
}

const POSTING_COLUMNS: &str =
    "seq, kind, payer, payee, amount_minor, payer_balance_minor, payee_balance_minor, created_at";

fn month_of_instant(at: OffsetDateTime) -> Month {
    let at = at.to_offset(time::UtcOffset::UTC);
    Month {
        year: at.year(),
        month: u8::from(at.month()),
    }
}

fn posting(row: &PostingRow, index: &mut AccountIndex) -> Result<Posting> {
    Ok(Posting {
        seq: row.seq,
        month: month_of_instant(row.created_at),
        kind: TransferKind::parse(&row.kind).ok_or(StoreError::Corrupt("transfers.kind"))?,
        payer: index.intern(row.payer),
        payee: index.intern(row.payee),
        amount_minor: row.amount_minor,
        payer_balance_minor: row.payer_balance_minor,
        payee_balance_minor: row.payee_balance_minor,
    })
}

async fn postings_after(db: &Db, after: i64, limit: i64) -> Result<Vec<PostingRow>> {
    let sql =
        format!("SELECT {POSTING_COLUMNS} FROM transfers WHERE seq > $1 ORDER BY seq LIMIT $2");
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, PostingRow>(&sql)
        .bind(after).bind(limit).fetch_all(pool).await)?,
    )
}

/// The last journal entry folded into the aggregates.
pub async fn cursor(db: &Db) -> Result<i64> {
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar::<_, i64>(
        "SELECT last_seq FROM impact_cursor WHERE id = 1").fetch_one(pool).await)?)
}

/// Folds the journal entries made since the last refresh into the aggregates, at most
/// `max_batches` batches of [`REFRESH_BATCH`]; returns how many it folded. Two refreshes at
/// once never fold an entry twice: each batch moves the cursor from the value it read, in the
/// transaction that writes the batch, and a batch whose cursor moved meanwhile is dropped.
pub async fn refresh(db: &Db, max_batches: u32) -> Result<u64> {
    let mut folded = 0u64;
    for _ in 0..max_batches {
        let after = cursor(db).await?;
        let rows = postings_after(db, after, REFRESH_BATCH).await?;
        let Some(last) = rows.last().map(|r| r.seq) else {
            break;
        };
        let mut index = AccountIndex::default();
        let mut trade = Trade::default();
        for row in &rows {
            trade.fold(&posting(row, &mut index)?);
        }
        if !write_batch(db, after, last, &trade, &index).await? {
            break;
        }
        folded += rows.len() as u64;
    }
    Ok(folded)
}

/// Writes one folded batch if the cursor still stands at `after`; `false` if it moved.
async fn write_batch(
    db: &Db,
    after: i64,
    last: i64,
    trade: &Trade,
    index: &AccountIndex,
) -> Result<bool> {
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        let moved = sqlx::query("UPDATE impact_cursor SET last_seq = $1 WHERE id = 1 AND last_seq = $2")
            .bind(last).bind(after).execute(&mut *tx).await?.rows_affected();
        if moved != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        let flows: Vec<(FlowKey, &FlowSum)> = trade.flows().collect();
        crate::insert_rows!(tx, sqlite, &flows, 6, |n| format!(
            "INSERT INTO impact_flows (month, payer, payee, kind, amount_minor, transfers) VALUES {} \
             ON CONFLICT (month, payer, payee, kind) DO UPDATE SET \
             amount_minor = impact_flows.amount_minor + excluded.amount_minor, \
             transfers = impact_flows.transfers + excluded.transfers",
            crate::values_placeholders(n, 6)), |q, f| q
            .bind(f.0.month.to_string())
            .bind(index.id(f.0.payer))
            .bind(index.id(f.0.payee))
            .bind(f.0.kind.code())
            .bind(f.1.amount_minor)
            .bind(i64::try_from(f.1.transfers).unwrap_or(i64::MAX)));
        let closings: Vec<((u32, Month), &Closing)> = trade.closings().collect();
        crate::insert_rows!(tx, sqlite, &closings, 4, |n| format!(
            "INSERT INTO impact_closings (account_id, month, seq, balance_minor) VALUES {} \
             ON CONFLICT (account_id, month) DO UPDATE SET \
             seq = excluded.seq, balance_minor = excluded.balance_minor \
             WHERE excluded.seq > impact_closings.seq",
            crate::values_placeholders(n, 4)), |q, c| q
            .bind(index.id(c.0.0))
            .bind(c.0.1.to_string())
            .bind(c.1.seq)
            .bind(c.1.balance_minor));
        tx.commit().await?;
        Ok::<bool, StoreError>(true)
    })
}

pub(super) fn parse_month(text: &str) -> Result<Month> {
    Period::parse(text)
        .ok()
        .filter(|p| p.len_months() == 1)
        .map(|p| p.first())
        .ok_or(StoreError::Corrupt("impact month"))
}

/// The maintained aggregates: the flows of `period`'s months and every month closing up to
/// its last month, with accounts numbered by `index`. On SQLite they are read through plain
/// SQLite, in one snapshot (a district's year is tens of thousands of rows, which sqlx took
/// most of a dashboard request to decode).
pub async fn load(db: &Db, period: &Period, index: &mut AccountIndex) -> Result<Trade> {
    let (first, last) = (period.first().to_string(), period.last().to_string());
    let Some(path) = db.sqlite_file() else {
        return load_sqlx(db, &first, &last, index).await;
    };
    blocking_with_index(index, "impact load thread", move |index| {
        super::plain_sqlite::maintained(&path, (&first, &last), index)
    })
    .await
}

/// Runs `read` on a blocking thread with `index`, moved there and back: the index comes back
/// whatever `read` answers, so an error leaves the caller's numbering as `read` left it (only
/// a panicking thread loses it, answered as `thread` corrupt).
async fn blocking_with_index(
    index: &mut AccountIndex,
    thread: &'static str,
    read: impl FnOnce(&mut AccountIndex) -> Result<Trade> + Send + 'static,
) -> Result<Trade> {
    let mut owned = std::mem::take(index);
    let (trade, owned) = tokio::task::spawn_blocking(move || (read(&mut owned), owned))
        .await
        .map_err(|_| StoreError::Corrupt(thread))?;
    *index = owned;
    trade
}

/// [`load`] through sqlx, from month `first` to month `last` (both `YYYY-MM`).
pub(super) async fn load_sqlx(
    db: &Db,
    first: &str,
    last: &str,
    index: &mut AccountIndex,
) -> Result<Trade> {
    let mut trade = Trade::default();
    let rows = with_pool!(db.read(), pool => sqlx::query_as::<_, (String, Uuid, Uuid, String, i64, i64)>(
        "SELECT month, payer, payee, kind, amount_minor, transfers FROM impact_flows \
         WHERE month >= $1 AND month <= $2")
        .bind(first).bind(last).fetch_all(pool).await)?;
    for (month, payer, payee, kind, amount, transfers) in rows {
        let key = FlowKey {
            month: parse_month(&month)?,
            payer: index.intern(payer),
            payee: index.intern(payee),
            kind: TransferKind::parse(&kind).ok_or(StoreError::Corrupt("impact_flows.kind"))?,
        };
        let sum = FlowSum {
            amount_minor: amount,
            transfers: u64::try_from(transfers).unwrap_or(0),
        };
        trade.set_flow(key, sum);
    }
    let rows = with_pool!(db.read(), pool => sqlx::query_as::<_, (Uuid, String, i64, i64)>(
        "SELECT account_id, month, seq, balance_minor FROM impact_closings WHERE month <= $1")
        .bind(last).fetch_all(pool).await)?;
    for (account, month, seq, balance_minor) in rows {
        let account = index.intern(account);
        let month = parse_month(&month)?;
        let closing = Closing { seq, balance_minor };
        trade.set_closing(account, month, closing);
    }
    Ok(trade)
}

/// The same aggregates folded from the journal itself, for every entry made before the end of
/// `period` (flows outside `period` are dropped, closings before it kept).
pub async fn from_scratch(db: &Db, period: &Period, index: &mut AccountIndex) -> Result<Trade> {
    let end = month_of_index(month_index(period.last()) + 1)
        .and_then(first_day)
        .ok_or(StoreError::Corrupt("impact period"))?;
    let end = end.midnight().assume_utc();
    if let Some(path) = db.sqlite_file() {
        // The same instants as sqlx stores them, so the text comparison orders them right.
        let text = |at: OffsetDateTime| {
            at.format(&time::format_description::well_known::Rfc3339)
                .map_err(|_| StoreError::Corrupt("impact period"))
        };
        let start = first_day(period.first())
            .ok_or(StoreError::Corrupt("impact period"))?
            .midnight()
            .assume_utc();
        let span = (text(start)?, text(end)?);
        let period = *period;
        return blocking_with_index(index, "impact fold thread", move |index| {
            super::plain_sqlite::fold_file(&path, (&span.0, &span.1), &period, index)
        })
        .await;
    }
    let mut trade = Trade::default();
    let mut after = 0i64;
    for _ in 0..MAX_PAGES {
        let sql = format!(
            "SELECT {POSTING_COLUMNS} FROM transfers WHERE seq > $1 AND created_at < $2 ORDER BY seq LIMIT $3"
        );
        let rows = with_pool!(db.read(), pool => sqlx::query_as::<_, PostingRow>(&sql)
            .bind(after).bind(end).bind(SCRATCH_PAGE).fetch_all(pool).await)?;
        let Some(last) = rows.last().map(|r| r.seq) else {
            break;
        };
        for row in &rows {
            let p = posting(row, index)?;
            if period.contains(p.month) {
                trade.fold(&p);
            } else {
                trade.fold_closings_only(&p);
            }
        }
        after = last;
    }
    Ok(trade)
}
