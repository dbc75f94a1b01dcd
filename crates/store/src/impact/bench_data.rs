//! A national-scale year of trade for the impact benchmark (`distretto bench impact`): millions
//! of transfers appended to a SQLite database that already holds a demo district, fast enough
//! that ten million take a few minutes on two cores.
//!
//! **For benchmark databases only.** The load raises the limits of every account it trades
//! with (credit limit 10^12 minor units, no upper limit), so no generated balance can break
//! them, and it writes with `synchronous = OFF`: a crash during the load may lose or corrupt
//! the database, which is then simply built again. The journal's payer and payee indexes are
//! dropped during the load and built again in its last transaction, with the stored balances
//! of the accounts: the journal verifies once the load has finished, not while it runs, and
//! account histories read meanwhile scan the journal. A load that fails builds the indexes
//! again before it returns.
//!
//! The rows go through plain SQLite (rusqlite, one prepared statement) rather than the store's
//! sqlx paths, which spend microseconds per row on copies and hand-overs between threads. The
//! entries follow every rule `distretto ledger verify` checks: sequence numbers continue from
//! the journal's head, each entry commits to the hash of the one before, the balances after
//! each entry start from the accounts' stored balances, and UUIDs and instants are stored as
//! sqlx stores them (16-byte blobs, RFC 3339 text).
//!
//! The shape of the trade is what the impact indicators look at (local share, LM3, reciprocity,
//! cycles, flows between sectors, velocity):
//! - 45 % household purchases: a person pays one of their 8 favourite organisations, 6 of them
//!   in their own locality when it has any;
//! - 30 % supplies between organisations: each buys from 10–30 regular suppliers chosen by its
//!   sector (food processing and retail buy from farms, hospitality from food processing and
//!   farms, everyone some professional services, energy and digital), half of them nearby;
//! - 20 % wages: an organisation pays one of its members (or, without members, one fixed
//!   person);
//! - 5 % membership fees, from people and organisations to the district fund.
//!
//! Everything, ids and instants included, is drawn from ChaCha8 streams keyed by the seed (and,
//! for the transfers, the journal's head, so a second load into the same database draws new
//! ids), so the same seed on the same database appends the same journal.

use crate::{Result, StoreError};
use distretto_domain::directory::Sector;
use distretto_domain::ledger::{Hash, JournalEntry, TransferKind, entry_hash};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::types::{Null, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, params};
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// What [`append_year_of_trade`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendStats {
    /// Transfers appended.
    pub transfers: u64,
    /// Distinct accounts the appended transfers touched.
    pub accounts: u64,
    /// Sequence number of the first appended transfer.
    pub first_seq: i64,
    /// Sequence number of the last appended transfer (`first_seq - 1` when none was asked).
    pub last_seq: i64,
    /// Wall time of the whole load, reading the district and the final checkpoint included.
    pub elapsed_ms: u128,
}

/// The most transfers one call appends.
pub const MAX_TRANSFERS: u64 = 1_000_000_000;
/// Transfers written per transaction (one progress report each).
pub const ROWS_PER_TRANSACTION: u64 = 200_000;
/// The credit limit given to every account the load trades with (benchmark databases only).
pub const BENCH_CREDIT_LIMIT_MINOR: i64 = 1_000_000_000_000;

/// The first instant of the demo year, `distretto_domain::demo::BASE_DATE` minus 365 days.
const YEAR_START: OffsetDateTime = time::macros::datetime!(2025-11-01 00:00 UTC);
/// The demo year, 2025-11-01 to 2026-11-01 (no 29 February in it).
const YEAR_MICROS: i64 = 365 * 24 * 3600 * 1_000_000;
/// SQLite page cache of the load, in KiB (it fills only as far as the load needs): the
/// journal's payer and payee indexes take random inserts, and at ten million entries they
/// reach about a gigabyte together; past the cache, the last millions are read back from the
/// file at every insert.
const CACHE_KIB: i64 = 2 * 1024 * 1024;
/// WAL pages between checkpoints (about 1 GB): frequent checkpoints would copy the same index
/// pages into the database file again and again.
const CHECKPOINT_PAGES: i64 = 250_000;

/// Favourite organisations of each household, and how many of them are local.
const FAVOURITES: usize = 8;
const LOCAL_FAVOURITES: usize = 6;
/// Regular suppliers of each organisation.
const MIN_SUPPLIERS: usize = 10;
const MAX_SUPPLIERS: usize = 30;
/// Attempts of a rejection sampler before it takes what it has.
const PICK_TRIES: u32 = 16;

/// Sector buckets: every [`Sector`], then one for codes this version does not know.
const SECTORS: usize = Sector::ALL.len();
const BUCKETS: usize = SECTORS + 1;

/// The mix of the trade, in percent (cumulative thresholds below).
const HOUSEHOLD_PERCENT: u32 = 45;
const SUPPLY_PERCENT: u32 = 30;
const WAGE_PERCENT: u32 = 20;
/// Share of the fees paid by organisations rather than people, in percent.
const ORGANIZATION_FEE_PERCENT: u32 = 20;

/// A log-normal amount, in minor units of a currency with two decimals.
struct AmountModel {
    median_minor: f64,
    sigma: f64,
    min_minor: i64,
    max_minor: i64,
}

/// Households: 5–150, mostly around 25.
const HOUSEHOLD_AMOUNT: AmountModel = AmountModel {
    median_minor: 2_500.0,
    sigma: 0.8,
    min_minor: 500,
    max_minor: 15_000,
};
/// Supplies: 50–5,000, mostly around 400.
const SUPPLY_AMOUNT: AmountModel = AmountModel {
    median_minor: 40_000.0,
    sigma: 1.0,
    min_minor: 5_000,
    max_minor: 500_000,
};
/// Wages (their share paid in credit): 300–1,800, mostly around 900.
const WAGE_AMOUNT: AmountModel = AmountModel {
    median_minor: 90_000.0,
    sigma: 0.35,
    min_minor: 30_000,
    max_minor: 180_000,
};
/// Membership fees: 10–100, mostly around 30.
const FEE_AMOUNT: AmountModel = AmountModel {
    median_minor: 3_000.0,
    sigma: 0.5,
    min_minor: 1_000,
    max_minor: 10_000,
};

const HOUSEHOLD_MEMOS: &[&str] = &[
    "Spesa settimanale",
    "Courses de la semaine",
    "Frutta e verdura",
    "Pain et fromage",
    "Cena al ristorante",
    "Panier de légumes",
    "Riparazione bicicletta",
    "Libri e quaderni",
];
const SUPPLY_MEMOS: &[&str] = &[
    "Fornitura mensile",
    "Livraison de farine",
    "Consulenza contabile",
    "Energia elettrica",
    "Servizi informatici",
    "Matières premières",
    "Trasporto merci",
    "Manutenzione",
];
const WAGE_MEMOS: &[&str] = &[
    "Stipendio (quota in credito)",
    "Salaire (part en crédit)",
    "Rimborso spese",
];
const FEE_MEMOS: &[&str] = &[
    "Quota associativa",
    "Cotisation annuelle",
    "Contributo al fondo del distretto",
];

/// Appends `transfers` transfers of a year of national trade to the journal of the SQLite
/// database at `sqlite_path`, which must already hold a demo district (organisations, people,
/// their accounts and the district fund, e.g. `distretto demo --scale national`). `progress`
/// gets the number of transfers written after each transaction.
///
/// **Benchmark databases only**: the limits of the accounts traded with are raised to a credit
/// limit of [`BENCH_CREDIT_LIMIT_MINOR`] and no upper limit, and the load writes without
/// syncing (see the module's documentation).
///
/// Fails with [`StoreError::NotFound`] when the database has no district fund, fewer than two
/// organisation accounts or no person account in the fund's currency, and with
/// [`StoreError::Conflict`] when another writer appends to the journal during the load.
pub fn append_year_of_trade(
    sqlite_path: &Path,
    transfers: u64,
    seed: u64,
    progress: &mut dyn FnMut(u64),
) -> Result<AppendStats> {
    append_in_transactions(sqlite_path, transfers, seed, ROWS_PER_TRANSACTION, progress)
}

/// [`append_year_of_trade`] with `rows_per_transaction` transfers per transaction.
fn append_in_transactions(
    sqlite_path: &Path,
    transfers: u64,
    seed: u64,
    rows_per_transaction: u64,
    progress: &mut dyn FnMut(u64),
) -> Result<AppendStats> {
    let started = Instant::now();
    if transfers > MAX_TRANSFERS {
        return Err(StoreError::Sqlite(rusqlite::Error::ToSqlConversionFailure(
            format!("at most {MAX_TRANSFERS} transfers can be appended at once").into(),
        )));
    }
    let rows_per_transaction = rows_per_transaction.clamp(1, ROWS_PER_TRANSACTION);
    let conn = open(sqlite_path)?;

    // The head, the balances and the first rows in one write transaction: nobody can post in
    // between.
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let prepared = rolled_back_on_error(&conn, || {
        let head = read_head(&conn)?;
        let district = District::read(&conn, seed)?;
        let dropped = if transfers > 0 {
            district.raise_limits(&conn)?;
            drop_rebuilt_indexes(&conn)?
        } else {
            Vec::new()
        };
        Ok((head, district, dropped))
    });
    let ((head_seq, head_hash), district, dropped) = prepared?;
    if transfers == 0 {
        conn.execute_batch("COMMIT")?;
        return Ok(AppendStats {
            transfers: 0,
            accounts: 0,
            first_seq: head_seq + 1,
            last_seq: head_seq,
            elapsed_ms: started.elapsed().as_millis(),
        });
    }

    let journal = Journal {
        district: &district,
        seed,
        head: (head_seq, head_hash),
        transfers,
        rows_per_transaction,
        rebuilt_indexes: &dropped,
    };
    let written = journal.write(&conn, progress);
    if written.is_err() {
        // The failed transaction was rolled back, but the ones before it dropped the indexes:
        // put them back so the database stays usable. The first error says more.
        let _ = restore_indexes(&conn, &dropped);
    }
    let (last_seq, accounts) = written?;
    // Folds the WAL into the database file so the benchmark reads a plain file; readers still
    // open keep part of it, which is harmless.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(AppendStats {
        transfers,
        accounts,
        first_seq: head_seq + 1,
        last_seq,
        elapsed_ms: started.elapsed().as_millis(),
    })
}

/// The rows of one load, written in transactions after the first (already open, with the
/// limits raised and the indexes dropped).
#[derive(Clone, Copy)]
struct Journal<'a> {
    district: &'a District,
    seed: u64,
    /// The journal's head before the load.
    head: (i64, Hash),
    transfers: u64,
    rows_per_transaction: u64,
    /// `(name, sql)` of the indexes dropped for the load, created again with the last rows.
    rebuilt_indexes: &'a [(String, String)],
}

impl Journal<'_> {
    /// Writes the transfers, committing every `rows_per_transaction`; the last transaction
    /// also stores the balances and rebuilds the dropped indexes. Returns the last sequence
    /// number and the number of accounts touched.
    fn write(&self, conn: &Connection, progress: &mut dyn FnMut(u64)) -> Result<(i64, u64)> {
        let Journal {
            district,
            seed,
            head: (head_seq, head_hash),
            transfers,
            rows_per_transaction,
            rebuilt_indexes,
        } = *self;
        let mut trade = Trade::new(district, seed, &head_hash, transfers);
        // OR ROLLBACK: a failed insert ends the whole transaction anyway, and without a possible
        // statement-level abort SQLite keeps no statement journal (a copy of every page an insert
        // touches, which cost a tenth of the load).
        let mut insert = conn.prepare(&format!(
            "INSERT OR ROLLBACK INTO transfers ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            crate::ledger::TRANSFER_COLUMNS
        ))?;
        let mut update_head =
            conn.prepare("UPDATE ledger_head SET last_seq = ?1, last_hash = ?2 WHERE id = 1")?;
        let mut balances: Vec<i64> = district.accounts.iter().map(|a| a.balance_minor).collect();
        let mut touched = vec![false; district.accounts.len()];
        let mut entry = JournalEntry {
            seq: head_seq,
            id: Uuid::nil(),
            kind: TransferKind::Payment,
            payer: Uuid::nil(),
            payee: Uuid::nil(),
            currency: district.currency.clone(),
            amount_minor: 0,
            payer_balance_minor: 0,
            payee_balance_minor: 0,
            memo: String::with_capacity(64),
            invoice_id: None,
            request_id: None,
            reverses: None,
            created_by: None,
            created_at: YEAR_START,
        };
        let mut prev = head_hash;
        let mut created_at_text: Vec<u8> = Vec::with_capacity(40);
        let mut written: u64 = 0;
        let mut first_transaction = true;
        while written < transfers {
            let rows = rows_per_transaction.min(transfers - written);
            if !first_transaction {
                conn.execute_batch("BEGIN IMMEDIATE")?;
            }
            let last = written + rows == transfers;
            let (check_head, expected_hash) = (!first_transaction, prev);
            let expected_seq = entry.seq;
            rolled_back_on_error(conn, || {
                if check_head && read_head(conn)? != (expected_seq, expected_hash) {
                    return Err(StoreError::Conflict);
                }
                for _ in 0..rows {
                    let draw = trade.next(written);
                    written += 1;
                    let (payer, payee) = (draw.payer as usize, draw.payee as usize);
                    balances[payer] -= draw.amount_minor;
                    balances[payee] += draw.amount_minor;
                    touched[payer] = true;
                    touched[payee] = true;
                    entry.seq += 1;
                    entry.id = draw.id;
                    entry.kind = draw.kind;
                    entry.payer = district.accounts[payer].id;
                    entry.payee = district.accounts[payee].id;
                    entry.amount_minor = draw.amount_minor;
                    entry.payer_balance_minor = balances[payer];
                    entry.payee_balance_minor = balances[payee];
                    entry.memo.clear();
                    entry.memo.push_str(draw.memo);
                    entry.created_at = draw.created_at;
                    let hash = entry_hash(&prev, &entry);
                    created_at_text.clear();
                    entry
                        .created_at
                        .format_into(&mut created_at_text, &Rfc3339)
                        .map_err(|_| StoreError::Corrupt("transfers.created_at"))?;
                    insert.execute(params![
                        entry.seq,
                        entry.id.as_bytes(),
                        entry.kind.code(),
                        entry.payer.as_bytes(),
                        entry.payee.as_bytes(),
                        entry.currency,
                        entry.amount_minor,
                        entry.payer_balance_minor,
                        entry.payee_balance_minor,
                        entry.memo,
                        Null,
                        Null,
                        Null,
                        Null,
                        ToSqlOutput::Borrowed(ValueRef::Text(&created_at_text)),
                        prev,
                        hash,
                    ])?;
                    prev = hash;
                }
                update_head.execute(params![entry.seq, prev])?;
                if last {
                    write_balances(conn, district, &balances, &touched)?;
                    restore_indexes_in_transaction(conn, rebuilt_indexes)?;
                }
                Ok(())
            })?;
            conn.execute_batch("COMMIT")?;
            first_transaction = false;
            progress(written);
        }
        Ok((entry.seq, touched.iter().filter(|t| **t).count() as u64))
    }
}

fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    conn.pragma_update(None, "wal_autocheckpoint", CHECKPOINT_PAGES)?;
    // Helper threads for the sort of the rebuilt indexes.
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 4);
    conn.pragma_update(None, "threads", threads as i64)?;
    Ok(conn)
}

/// Runs `work` inside the open transaction, rolling it back when `work` fails.
fn rolled_back_on_error<T>(conn: &Connection, work: impl FnOnce() -> Result<T>) -> Result<T> {
    let done = work();
    if done.is_err() {
        // The original error says more than a failed rollback would.
        let _ = conn.execute_batch("ROLLBACK");
    }
    done
}

/// Indexes of the journal dropped during the load and built again at its end: their keys
/// (payer, payee) arrive in random order, and updating them row by row took most of the time
/// of a national load; one sort at the end is faster.
const REBUILT_INDEXES: [&str; 2] = ["transfers_payer", "transfers_payee"];

/// Drops the [`REBUILT_INDEXES`] that exist, returning their `(name, sql)`.
fn drop_rebuilt_indexes(conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut dropped = Vec::with_capacity(REBUILT_INDEXES.len());
    for name in REBUILT_INDEXES {
        let sql: Option<String> = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'transfers' \
                 AND name = ?1 AND sql IS NOT NULL",
                [name],
                |row| row.get(0),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        if let Some(sql) = sql {
            conn.execute_batch(&format!("DROP INDEX \"{name}\""))?;
            dropped.push((name.to_owned(), sql));
        }
    }
    Ok(dropped)
}

/// Creates the `indexes` again inside the open transaction, those still missing.
fn restore_indexes_in_transaction(conn: &Connection, indexes: &[(String, String)]) -> Result<()> {
    for (name, sql) in indexes {
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?1)",
            [name],
            |row| row.get(0),
        )?;
        if !exists {
            conn.execute_batch(sql)?;
        }
    }
    Ok(())
}

/// Creates the `indexes` again in a transaction of their own.
fn restore_indexes(conn: &Connection, indexes: &[(String, String)]) -> Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    rolled_back_on_error(conn, || restore_indexes_in_transaction(conn, indexes))?;
    conn.execute_batch("COMMIT")?;
    Ok(())
}

fn read_head(conn: &Connection) -> Result<(i64, Hash)> {
    let (seq, hash) = conn.query_row(
        "SELECT last_seq, last_hash FROM ledger_head WHERE id = 1",
        [],
        |row| Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?)),
    )?;
    let hash: Hash = hash
        .as_slice()
        .try_into()
        .map_err(|_| StoreError::Corrupt("ledger_head.last_hash"))?;
    Ok((seq, hash))
}

fn write_balances(
    conn: &Connection,
    district: &District,
    balances: &[i64],
    touched: &[bool],
) -> Result<()> {
    let mut update = conn.prepare("UPDATE accounts SET balance_minor = ?1 WHERE rowid = ?2")?;
    for ((account, balance), touched) in district.accounts.iter().zip(balances).zip(touched) {
        if *touched {
            update.execute(params![balance, account.rowid])?;
        }
    }
    Ok(())
}

/// A ledger account the load trades with.
struct Account {
    rowid: i64,
    id: Uuid,
    balance_minor: i64,
}

/// A trading organisation.
struct Org {
    /// Index into [`District::accounts`].
    account: u32,
    /// Sector bucket.
    sector: u8,
    /// Dense locality number.
    locality: u32,
}

/// The district as the load sees it: dense indexes, flat lists, no per-transfer lookups.
struct District {
    currency: String,
    accounts: Vec<Account>,
    /// Account index of the district fund.
    fund: u32,
    orgs: Vec<Org>,
    /// Account index of each trading person.
    people: Vec<u32>,
    /// `FAVOURITES` org indexes per person.
    favourites: Vec<u32>,
    /// Org indexes of the suppliers of org `o`: `suppliers[supplier_start[o]..supplier_start[o + 1]]`.
    suppliers: Vec<u32>,
    supplier_start: Vec<u32>,
    /// Person indexes of the workers of org `o`, laid out as the suppliers.
    workers: Vec<u32>,
    worker_start: Vec<u32>,
}

impl District {
    /// Reads the accounts of the fund's currency and builds each household's favourites and
    /// each organisation's suppliers and workers from a stream of `seed`.
    fn read(conn: &Connection, seed: u64) -> Result<Self> {
        let (fund_row, fund_id, currency, fund_balance) = conn
            .query_row(
                "SELECT rowid, id, currency, balance_minor FROM accounts \
                 WHERE owner_kind = 'district' AND purpose = 'fund' ORDER BY rowid LIMIT 1",
                [],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, Vec<u8>>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, i64>(3)?,
                    ))
                },
            )
            .map_err(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
                e => StoreError::Sqlite(e),
            })?;
        let mut accounts = vec![Account {
            rowid: fund_row,
            id: Uuid::from_slice(&fund_id).map_err(|_| StoreError::Corrupt("accounts.id"))?,
            balance_minor: fund_balance,
        }];
        let mut localities: HashMap<String, u32> = HashMap::new();

        let mut orgs = Vec::new();
        let mut org_of: HashMap<Uuid, u32> = HashMap::new();
        {
            let mut stmt = conn.prepare(
                "SELECT a.rowid, a.id, a.balance_minor, o.id, o.sector, o.locality \
                 FROM accounts a JOIN organizations o ON o.id = a.owner_id \
                 WHERE a.owner_kind = 'organization' AND a.currency = ?1 AND a.purpose IS NULL \
                 ORDER BY a.rowid",
            )?;
            let mut rows = stmt.query([&currency])?;
            while let Some(row) = rows.next()? {
                let owner = uuid_at(row, 3, "organizations.id")?;
                if org_of.contains_key(&owner) {
                    continue; // A second account of the same organisation: trade on the first.
                }
                let sector = match text_at(row, 4)? {
                    Some(code) => Sector::parse(code).map_or(SECTORS, |s| s as usize),
                    None => SECTORS,
                };
                let locality = intern(&mut localities, text_at(row, 5)?);
                org_of.insert(owner, len_u32(orgs.len()));
                orgs.push(Org {
                    account: len_u32(accounts.len()),
                    sector: u8::try_from(sector).unwrap_or(u8::MAX),
                    locality,
                });
                accounts.push(Account {
                    rowid: row.get(0)?,
                    id: uuid_at(row, 1, "accounts.id")?,
                    balance_minor: row.get(2)?,
                });
            }
        }

        let mut people = Vec::new();
        let mut person_locality = Vec::new();
        let mut person_of: HashMap<Uuid, u32> = HashMap::new();
        {
            let mut stmt = conn.prepare(
                "SELECT a.rowid, a.id, a.balance_minor, p.id, p.locality \
                 FROM accounts a JOIN people p ON p.id = a.owner_id \
                 WHERE a.owner_kind = 'person' AND a.currency = ?1 AND a.purpose IS NULL \
                 ORDER BY a.rowid",
            )?;
            let mut rows = stmt.query([&currency])?;
            while let Some(row) = rows.next()? {
                let owner = uuid_at(row, 3, "people.id")?;
                if person_of.contains_key(&owner) {
                    continue;
                }
                person_of.insert(owner, len_u32(people.len()));
                person_locality.push(intern(&mut localities, text_at(row, 4)?));
                people.push(len_u32(accounts.len()));
                accounts.push(Account {
                    rowid: row.get(0)?,
                    id: uuid_at(row, 1, "accounts.id")?,
                    balance_minor: row.get(2)?,
                });
            }
        }
        if orgs.len() < 2 || people.is_empty() {
            return Err(StoreError::NotFound);
        }

        let mut members: Vec<(u32, u32)> = Vec::new();
        {
            let mut stmt = conn.prepare(
                "SELECT person_id, organization_id FROM memberships \
                 ORDER BY person_id, organization_id",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let person = uuid_at(row, 0, "memberships.person_id")?;
                let org = uuid_at(row, 1, "memberships.organization_id")?;
                if let (Some(&o), Some(&p)) = (org_of.get(&org), person_of.get(&person)) {
                    members.push((o, p));
                }
            }
        }
        drop((org_of, person_of));

        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(1);
        let places = Places::new(&orgs, len_u32(localities.len()));
        let favourites = favourites(&orgs, &places, &person_locality, &mut rng);
        let (suppliers, supplier_start) = suppliers(&orgs, &places, &mut rng);
        let (workers, worker_start) = workers(orgs.len(), people.len(), &mut members, &mut rng);
        Ok(Self {
            currency,
            accounts,
            fund: 0,
            orgs,
            people,
            favourites,
            suppliers,
            supplier_start,
            workers,
            worker_start,
        })
    }

    /// Gives every account the load trades with room for any balance it will reach.
    fn raise_limits(&self, conn: &Connection) -> Result<()> {
        let mut update = conn.prepare(
            "UPDATE accounts SET credit_limit_minor = ?1, upper_limit_minor = NULL WHERE rowid = ?2",
        )?;
        for account in &self.accounts {
            update.execute(params![BENCH_CREDIT_LIMIT_MINOR, account.rowid])?;
        }
        Ok(())
    }
}

fn uuid_at(row: &rusqlite::Row<'_>, index: usize, column: &'static str) -> Result<Uuid> {
    match row.get_ref(index)? {
        ValueRef::Blob(bytes) => Uuid::from_slice(bytes).map_err(|_| StoreError::Corrupt(column)),
        _ => Err(StoreError::Corrupt(column)),
    }
}

/// A text column without copying it (`None` for NULL or a non-text value).
fn text_at<'r>(row: &'r rusqlite::Row<'_>, index: usize) -> Result<Option<&'r str>> {
    Ok(match row.get_ref(index)? {
        ValueRef::Text(bytes) => std::str::from_utf8(bytes).ok(),
        _ => None,
    })
}

fn intern(localities: &mut HashMap<String, u32>, name: Option<&str>) -> u32 {
    let name = name.unwrap_or("");
    if let Some(&n) = localities.get(name) {
        return n;
    }
    let n = len_u32(localities.len());
    localities.insert(name.to_owned(), n);
    n
}

/// Lengths here are bounded by the accounts of one district, far below `u32::MAX`.
fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Organisations grouped by locality, and by sector then locality.
struct Places {
    /// Org indexes sorted by locality; locality `l` is `by_locality[locality_start[l]..locality_start[l + 1]]`.
    by_locality: Vec<u32>,
    locality_start: Vec<u32>,
    /// Org indexes sorted by (sector, locality); sector `s` is `by_sector[sector_start[s]..sector_start[s + 1]]`.
    by_sector: Vec<u32>,
    sector_start: Vec<u32>,
}

impl Places {
    fn new(orgs: &[Org], localities: u32) -> Self {
        let mut by_locality: Vec<u32> = (0..len_u32(orgs.len())).collect();
        by_locality.sort_by_key(|&o| (orgs[o as usize].locality, o));
        let locality_start = (0..=localities)
            .map(|l| len_u32(by_locality.partition_point(|&o| orgs[o as usize].locality < l)))
            .collect();
        let mut by_sector: Vec<u32> = (0..len_u32(orgs.len())).collect();
        by_sector.sort_by_key(|&o| (orgs[o as usize].sector, orgs[o as usize].locality, o));
        let sector_start = (0..=BUCKETS)
            .map(|s| {
                len_u32(by_sector.partition_point(|&o| usize::from(orgs[o as usize].sector) < s))
            })
            .collect();
        Self {
            by_locality,
            locality_start,
            by_sector,
            sector_start,
        }
    }

    fn in_locality(&self, locality: u32) -> &[u32] {
        let l = locality as usize;
        match (self.locality_start.get(l), self.locality_start.get(l + 1)) {
            (Some(&a), Some(&b)) => &self.by_locality[a as usize..b as usize],
            _ => &[],
        }
    }

    fn in_sector(&self, sector: usize) -> &[u32] {
        match (
            self.sector_start.get(sector),
            self.sector_start.get(sector + 1),
        ) {
            (Some(&a), Some(&b)) => &self.by_sector[a as usize..b as usize],
            _ => &[],
        }
    }
}

/// How much households spend with a sector, 0–10 (acceptance weight of the favourites).
fn household_weight(sector: usize) -> u32 {
    use Sector as S;
    match Sector::ALL.get(sector) {
        Some(S::Retail) => 10,
        Some(S::Agriculture) => 8,
        Some(S::FoodProcessing | S::Hospitality) => 6,
        Some(S::Health | S::Culture) => 4,
        Some(
            S::Crafts
            | S::SocialCare
            | S::Education
            | S::Mobility
            | S::Energy
            | S::Housing
            | S::Textiles,
        ) => 3,
        Some(S::Tourism | S::Recycling) => 2,
        _ => 1,
    }
}

/// How much an organisation of sector `buyer` buys from each sector bucket.
fn supplier_weights(buyer: usize) -> [u32; BUCKETS] {
    use Sector as S;
    let mut w = [1u32; BUCKETS];
    let mut add = |s: Sector, n: u32| w[s as usize] += n;
    // Everyone buys some professional services, energy and digital services.
    add(S::ProfessionalServices, 6);
    add(S::Energy, 5);
    add(S::Digital, 4);
    add(S::Finance, 2);
    add(S::Mobility, 2);
    add(S::Recycling, 1);
    match Sector::ALL.get(buyer) {
        Some(S::FoodProcessing) => add(S::Agriculture, 30),
        Some(S::Retail) => {
            add(S::Agriculture, 14);
            add(S::FoodProcessing, 16);
            add(S::Crafts, 4);
            add(S::Textiles, 4);
        }
        Some(S::Hospitality) => {
            add(S::FoodProcessing, 16);
            add(S::Agriculture, 14);
            add(S::Culture, 2);
        }
        Some(S::Agriculture) => {
            add(S::Agriculture, 6);
            add(S::Construction, 2);
        }
        Some(S::Tourism) => {
            add(S::Hospitality, 10);
            add(S::Mobility, 4);
            add(S::Culture, 4);
        }
        Some(S::Construction | S::Housing) => {
            add(S::Construction, 8);
            add(S::Crafts, 6);
            add(S::Recycling, 3);
        }
        Some(S::Textiles | S::Crafts) => {
            add(S::Agriculture, 4);
            add(S::Recycling, 4);
            add(S::Crafts, 3);
        }
        Some(S::Health | S::SocialCare | S::Education) => {
            add(S::FoodProcessing, 4);
            add(S::SocialCare, 3);
            add(S::Housing, 3);
        }
        Some(S::Culture) => {
            add(S::Hospitality, 4);
            add(S::Crafts, 3);
        }
        _ => {}
    }
    w
}

/// `FAVOURITES` organisations per person: `LOCAL_FAVOURITES` from their own locality when it
/// has organisations, the others anywhere, each accepted with its sector's household weight.
fn favourites(
    orgs: &[Org],
    places: &Places,
    person_locality: &[u32],
    rng: &mut ChaCha8Rng,
) -> Vec<u32> {
    let mut out = Vec::with_capacity(person_locality.len() * FAVOURITES);
    let everyone = &places.by_sector;
    for &locality in person_locality {
        let local = places.in_locality(locality);
        for k in 0..FAVOURITES {
            let pool = if k < LOCAL_FAVOURITES && !local.is_empty() {
                local
            } else {
                everyone
            };
            let mut pick = pool[rng.random_range(0..pool.len())];
            for _ in 0..PICK_TRIES {
                if rng.random_range(0..10)
                    < household_weight(usize::from(orgs[pick as usize].sector))
                {
                    break;
                }
                pick = pool[rng.random_range(0..pool.len())];
            }
            out.push(pick);
        }
    }
    out
}

/// 10–30 suppliers per organisation, by the sector weights of its own sector, half of them in
/// its locality when it has any of the chosen sector.
fn suppliers(orgs: &[Org], places: &Places, rng: &mut ChaCha8Rng) -> (Vec<u32>, Vec<u32>) {
    // Cumulative weights per buyer bucket, over the non-empty supplier buckets.
    let cumulative: Vec<[u32; BUCKETS]> = (0..BUCKETS)
        .map(|buyer| {
            let w = supplier_weights(buyer);
            let mut sum = 0;
            let mut c = [0u32; BUCKETS];
            for s in 0..BUCKETS {
                if !places.in_sector(s).is_empty() {
                    sum += w[s];
                }
                c[s] = sum;
            }
            c
        })
        .collect();
    let mut suppliers = Vec::with_capacity(orgs.len() * (MIN_SUPPLIERS + MAX_SUPPLIERS) / 2);
    let mut start = Vec::with_capacity(orgs.len() + 1);
    start.push(0);
    for (o, org) in orgs.iter().enumerate() {
        let c = &cumulative[usize::from(org.sector).min(BUCKETS - 1)];
        let total = c[BUCKETS - 1];
        let n = rng
            .random_range(MIN_SUPPLIERS..=MAX_SUPPLIERS)
            .min(orgs.len() - 1);
        for _ in 0..n {
            let mut pick = None;
            for _ in 0..PICK_TRIES {
                let r = rng.random_range(0..total.max(1));
                let sector = c.partition_point(|&x| x <= r).min(BUCKETS - 1);
                let all = places.in_sector(sector);
                if all.is_empty() {
                    continue;
                }
                let local_start =
                    all.partition_point(|&s| orgs[s as usize].locality < org.locality);
                let local_end = all.partition_point(|&s| orgs[s as usize].locality <= org.locality);
                let pool = if rng.random_bool(0.5) && local_end > local_start {
                    &all[local_start..local_end]
                } else {
                    all
                };
                let s = pool[rng.random_range(0..pool.len())];
                if s as usize != o {
                    pick = Some(s);
                    break;
                }
            }
            // Unlucky (a sector of one): anyone else.
            let s = pick.unwrap_or_else(|| {
                let s = rng.random_range(0..len_u32(orgs.len() - 1));
                if s as usize >= o { s + 1 } else { s }
            });
            suppliers.push(s);
        }
        start.push(len_u32(suppliers.len()));
    }
    (suppliers, start)
}

/// The workers of each organisation: its members, or one fixed random person without any.
fn workers(
    orgs: usize,
    people: usize,
    members: &mut [(u32, u32)],
    rng: &mut ChaCha8Rng,
) -> (Vec<u32>, Vec<u32>) {
    members.sort_unstable();
    let mut workers = Vec::with_capacity(members.len() + orgs);
    let mut start = Vec::with_capacity(orgs + 1);
    start.push(0);
    let mut next = 0;
    for o in 0..len_u32(orgs) {
        let first = next;
        while next < members.len() && members[next].0 == o {
            next += 1;
        }
        if next > first {
            workers.extend(members[first..next].iter().map(|m| m.1));
        } else {
            workers.push(rng.random_range(0..len_u32(people)));
        }
        start.push(len_u32(workers.len()));
    }
    (workers, start)
}

/// One drawn transfer.
struct Draw {
    id: Uuid,
    kind: TransferKind,
    payer: u32,
    payee: u32,
    amount_minor: i64,
    memo: &'static str,
    created_at: OffsetDateTime,
}

/// The stream of transfers over the year.
struct Trade<'a> {
    district: &'a District,
    rng: ChaCha8Rng,
    total: u64,
    /// Unix milliseconds of [`YEAR_START`].
    start_ms: i64,
}

impl<'a> Trade<'a> {
    /// The stream is keyed by the seed and the journal's head, so appending again to the
    /// same database (the same seed, a later head) draws new transfer ids instead of repeating
    /// the first load's.
    fn new(district: &'a District, seed: u64, head_hash: &Hash, total: u64) -> Self {
        let mut key = *head_hash;
        for (k, s) in key.iter_mut().zip(seed.to_le_bytes()) {
            *k ^= s;
        }
        let mut rng = ChaCha8Rng::from_seed(key);
        rng.set_stream(2);
        Self {
            district,
            rng,
            total: total.max(1),
            start_ms: YEAR_START.unix_timestamp() * 1_000,
        }
    }

    /// Transfer `i` of the year: the year is cut into `total` equal slots and transfer `i`
    /// lies at a random instant of slot `i`, so instants increase.
    fn next(&mut self, i: u64) -> Draw {
        let d = self.district;
        let slot =
            |i: u64| (i128::from(i) * i128::from(YEAR_MICROS) / i128::from(self.total)) as i64;
        let (from, to) = (slot(i), slot(i + 1));
        let micros = if to > from {
            from + self.rng.random_range(0..to - from)
        } else {
            from
        };
        let created_at = YEAR_START + Duration::microseconds(micros);
        let mut random = [0u8; 10];
        self.rng.fill(&mut random);
        let millis = u64::try_from(self.start_ms + micros / 1_000).unwrap_or(0);
        let id = uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid();

        let rng = &mut self.rng;
        let roll = rng.random_range(0..100u32);
        let (kind, payer, payee, model, memos) = if roll < HOUSEHOLD_PERCENT {
            let p = rng.random_range(0..d.people.len());
            // The first favourites get most of the shopping.
            let k = rng
                .random_range(0..FAVOURITES)
                .min(rng.random_range(0..FAVOURITES));
            let org = d.favourites[p * FAVOURITES + k] as usize;
            (
                TransferKind::Purchase,
                d.people[p],
                d.orgs[org].account,
                &HOUSEHOLD_AMOUNT,
                HOUSEHOLD_MEMOS,
            )
        } else if roll < HOUSEHOLD_PERCENT + SUPPLY_PERCENT {
            let o = rng.random_range(0..d.orgs.len());
            let (a, b) = (
                d.supplier_start[o] as usize,
                d.supplier_start[o + 1] as usize,
            );
            let n = b - a;
            let k = rng.random_range(0..n).min(rng.random_range(0..n));
            let s = d.suppliers[a + k] as usize;
            (
                TransferKind::Payment,
                d.orgs[o].account,
                d.orgs[s].account,
                &SUPPLY_AMOUNT,
                SUPPLY_MEMOS,
            )
        } else if roll < HOUSEHOLD_PERCENT + SUPPLY_PERCENT + WAGE_PERCENT {
            let o = rng.random_range(0..d.orgs.len());
            let (a, b) = (d.worker_start[o] as usize, d.worker_start[o + 1] as usize);
            let w = d.workers[rng.random_range(a..b)] as usize;
            (
                TransferKind::Payment,
                d.orgs[o].account,
                d.people[w],
                &WAGE_AMOUNT,
                WAGE_MEMOS,
            )
        } else {
            let payer = if rng.random_range(0..100u32) < ORGANIZATION_FEE_PERCENT {
                d.orgs[rng.random_range(0..d.orgs.len())].account
            } else {
                d.people[rng.random_range(0..d.people.len())]
            };
            (TransferKind::Payment, payer, d.fund, &FEE_AMOUNT, FEE_MEMOS)
        };
        let amount_minor = draw_amount(rng, model);
        let memo = memos[rng.random_range(0..memos.len())];
        Draw {
            id,
            kind,
            payer,
            payee,
            amount_minor,
            memo,
            created_at,
        }
    }
}

/// A log-normal amount (Box–Muller), clamped to the model's range.
fn draw_amount(rng: &mut ChaCha8Rng, m: &AmountModel) -> i64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    let amount = (m.median_minor * (m.sigma * z).exp()).round() as i64;
    amount.clamp(m.min_minor, m.max_minor)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

    use super::*;
    use crate::{ConnectOptions, Db, with_pool};
    use distretto_domain::demo::{BASE_DATE, DemoSpec, Scale};
    use distretto_domain::impact::period::Period;
    use distretto_domain::ledger::Currency;
    use std::path::PathBuf;

    /// SQLite files under the temporary directory, removed (with their WAL files) on drop.
    struct TempFiles(Vec<PathBuf>);

    impl TempFiles {
        fn new(labels: &[&str]) -> Self {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            Self(
                labels
                    .iter()
                    .map(|l| {
                        std::env::temp_dir().join(format!(
                            "distretto-bench-data-{l}-{}-{nanos}.db",
                            std::process::id()
                        ))
                    })
                    .collect(),
            )
        }
    }

    impl Drop for TempFiles {
        fn drop(&mut self) {
            for path in &self.0 {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
        }
    }

    async fn connect(path: &Path) -> Db {
        Db::connect(&ConnectOptions {
            url: format!("sqlite:{}", path.display()),
            max_connections: 2,
        })
        .await
        .unwrap()
    }

    /// A district-scale demo (160 organisations, 1,001 people, a year of demo trade).
    async fn demo(path: &Path) {
        let db = connect(path).await;
        db.migrate().await.unwrap();
        let currency = Currency::new("AOC", "Aosta", "A", 2).unwrap();
        crate::demo::fill(
            &db,
            &DemoSpec::new(Scale::District, 7),
            "not-a-real-hash",
            &currency,
            &|_, _| {},
        )
        .await
        .unwrap();
        db.close().await;
    }

    /// The facts' fast path (plain SQLite) reads the same rows, in the same order, as sqlx,
    /// decisions made at the same instant included. It lives here for the demo helpers above.
    #[tokio::test]
    async fn plain_sqlite_reads_the_same_members_as_sqlx() {
        let files = TempFiles::new(&["members"]);
        let path = &files.0[0];
        demo(path).await;
        let db = connect(path).await;
        let at = OffsetDateTime::from_unix_timestamp(1_772_359_200).unwrap(); // 2026-03-01
        let tied = [
            ("person", "suspend"),
            ("organization", "reinstate"),
            ("person", "admit"),
            ("organization", "admit"),
        ];
        let tied_ids: Vec<Uuid> = tied.iter().map(|_| Uuid::new_v4()).collect();
        for ((kind, decision), subject) in tied.iter().zip(&tied_ids) {
            with_pool!(db.write(), pool => sqlx::query(
                "INSERT INTO membership_decisions (id, subject_kind, subject_id, decision, reason, decided_at) \
                 VALUES ($1, $2, $3, $4, 'tie', $5)")
                .bind(Uuid::new_v4()).bind(*kind).bind(*subject).bind(*decision).bind(at)
                .execute(pool).await.map(|_| ()))
            .unwrap();
        }
        let through_sqlx = crate::impact::facts::member_rows(&db).await.unwrap();
        db.close().await;
        let plain = crate::impact::plain_sqlite::member_rows(path).unwrap();
        assert!(
            through_sqlx.people.len() > 1_000,
            "{}",
            through_sqlx.people.len()
        );
        assert!(through_sqlx.decisions.len() > 100);
        assert!(through_sqlx.accounts.iter().any(|a| a.2.is_none()));
        assert_eq!(plain, through_sqlx);
        // Ties in the stated order: decision, then kind of subject.
        let ties: Vec<(&str, &str)> = plain
            .decisions
            .iter()
            .filter(|d| tied_ids.contains(&d.1))
            .map(|d| (d.2.as_str(), d.0.as_str()))
            .collect();
        assert_eq!(
            ties,
            [
                ("admit", "organization"),
                ("admit", "person"),
                ("reinstate", "organization"),
                ("suspend", "person")
            ]
        );
    }

    /// Facts loaded with their own numbering and moved onto the trade's equal facts loaded
    /// after the fold with the trade's numbering (what the pages did before reading both at
    /// once).
    #[tokio::test]
    async fn renumbered_facts_equal_facts_loaded_after_the_fold() {
        let files = TempFiles::new(&["renumber"]);
        let path = &files.0[0];
        demo(path).await;
        let db = connect(path).await;
        let period = Period::parse("2025-11..2026-10").unwrap();
        let folded = |db: Db| async move {
            let mut index = crate::impact::AccountIndex::default();
            crate::impact::aggregates::from_scratch(&db, &period, &mut index)
                .await
                .unwrap();
            index
        };
        let mut after = folded(db.clone()).await;
        let sequential = crate::impact::facts::load(&db, &period, &mut after, "AOC")
            .await
            .unwrap();
        let mut index = folded(db.clone()).await;
        let mut own = crate::impact::AccountIndex::default();
        let mut moved = crate::impact::facts::load(&db, &period, &mut own, "AOC")
            .await
            .unwrap();
        db.close().await;
        assert_ne!(own.ids(), after.ids(), "the two numberings differ before");
        moved.renumber(&own, &mut index);
        assert_eq!(index.ids(), after.ids());
        assert_eq!(moved.facts.accounts, sequential.facts.accounts);
        assert!(moved.facts.accounts.len() > 1_000);
    }

    /// The dashboard reads the maintained aggregates through plain SQLite: the same rows,
    /// numbered in the same order, as through sqlx.
    #[tokio::test]
    async fn plain_sqlite_loads_the_same_maintained_aggregates_as_sqlx() {
        let files = TempFiles::new(&["maintained"]);
        let path = &files.0[0];
        demo(path).await;
        let db = connect(path).await;
        for _ in 0..10_000 {
            if crate::impact::aggregates::refresh(&db, 500).await.unwrap() == 0 {
                break;
            }
        }
        let period = Period::parse("2025-11..2026-10").unwrap();
        let (mut plain_index, mut sqlx_index) = Default::default();
        let plain = crate::impact::aggregates::load(&db, &period, &mut plain_index)
            .await
            .unwrap();
        let through_sqlx =
            crate::impact::aggregates::load_sqlx(&db, "2025-11", "2026-10", &mut sqlx_index)
                .await
                .unwrap();
        db.close().await;
        assert!(
            through_sqlx.flow_count() > 1_000,
            "{}",
            through_sqlx.flow_count()
        );
        assert!(through_sqlx.closing_count() > 1_000);
        assert_eq!(
            crate::impact::AccountIndex::ids(&plain_index),
            crate::impact::AccountIndex::ids(&sqlx_index)
        );
        assert_eq!(plain, through_sqlx);
    }

    /// The folder's map is sized from the seqs of a year's first and last entries: on the
    /// demo's journal, written in order, that is the year's count.
    #[tokio::test]
    async fn the_entries_of_a_year_are_sized_from_two_seqs() {
        let files = TempFiles::new(&["entries"]);
        let path = &files.0[0];
        demo(path).await;
        let span = ("2025-11-01T00:00:00Z", "2026-11-01T00:00:00Z");
        let counted: i64 = Connection::open(path)
            .unwrap()
            .query_row(
                "SELECT COUNT(*) FROM transfers WHERE created_at >= ?1 AND created_at < ?2",
                [span.0, span.1],
                |row| row.get(0),
            )
            .unwrap();
        assert!(counted > 1_000, "{counted}");
        let sized = crate::impact::plain_sqlite::entries_between(path, span).unwrap();
        assert_eq!(sized as i64, counted);
        let empty = ("2031-01-01T00:00:00Z", "2032-01-01T00:00:00Z");
        assert_eq!(
            crate::impact::plain_sqlite::entries_between(path, empty).unwrap(),
            0
        );
    }

    fn head(path: &Path) -> (i64, Hash) {
        read_head(&Connection::open(path).unwrap()).unwrap()
    }

    fn counts(path: &Path, sql: &str, first: i64, last: i64) -> HashMap<String, i64> {
        let conn = Connection::open(path).unwrap();
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([first, last], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    fn share(counts: &HashMap<String, i64>, key: &str, total: u64) -> f64 {
        counts.get(key).copied().unwrap_or(0) as f64 / total as f64
    }

    #[tokio::test]
    async fn appends_a_verified_deterministic_year_of_trade() {
        const N: u64 = 20_000;
        assert_eq!(YEAR_START + Duration::days(365), BASE_DATE);
        let files = TempFiles::new(&["a", "b"]);
        let (a, b) = (files.0[0].clone(), files.0[1].clone());
        demo(&a).await;
        std::fs::copy(&a, &b).unwrap();
        let (head_seq, _) = head(&a);
        assert!(head_seq > 0, "the demo has a journal to continue");

        let mut calls = Vec::new();
        let started = Instant::now();
        let a_path = a.clone();
        let (stats, calls) = tokio::task::spawn_blocking(move || {
            let stats = append_in_transactions(&a_path, N, 42, 7_000, &mut |n| calls.push(n));
            (stats, calls)
        })
        .await
        .unwrap();
        let stats = stats.unwrap();
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "appended {N} transfers in {secs:.2} s = {:.0} transfers/s ({} accounts)",
            N as f64 / secs,
            stats.accounts
        );
        assert_eq!(calls, [7_000, 14_000, 20_000]);
        assert_eq!(stats.transfers, N);
        assert_eq!(stats.first_seq, head_seq + 1);
        assert_eq!(stats.last_seq, head_seq + N as i64);
        assert!(stats.accounts > 1_000, "{} accounts traded", stats.accounts);
        assert_eq!(head(&a).0, stats.last_seq);
        let indexes: i64 = Connection::open(&a)
            .unwrap()
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' \
                 AND name IN ('transfers_payer', 'transfers_payee')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(indexes, 2, "the indexes dropped for the load are back");

        let db = connect(&a).await;
        let report = crate::ledger::verify::verify(&db).await.unwrap();
        db.close().await;
        assert!(report.ok(), "{:?}", report.problems);
        assert_eq!(report.transfers, stats.last_seq as u64);

        // The mix: households buy (45 %), organisations buy from each other (30 %), pay wages
        // (20 %) and everyone pays fees to the fund (5 %).
        let (first, last) = (stats.first_seq, stats.last_seq);
        let kinds = counts(
            &a,
            "SELECT kind, COUNT(*) FROM transfers WHERE seq BETWEEN ?1 AND ?2 GROUP BY kind",
            first,
            last,
        );
        assert_eq!(kinds.len(), 2, "{kinds:?}");
        assert!(
            (share(&kinds, "purchase", N) - 0.45).abs() < 0.02,
            "{kinds:?}"
        );
        assert!(
            (share(&kinds, "payment", N) - 0.55).abs() < 0.02,
            "{kinds:?}"
        );
        let flows = counts(
            &a,
            "SELECT pa.owner_kind || '>' || COALESCE(pb.purpose, pb.owner_kind), COUNT(*) \
             FROM transfers t JOIN accounts pa ON pa.id = t.payer JOIN accounts pb ON pb.id = t.payee \
             WHERE t.seq BETWEEN ?1 AND ?2 GROUP BY 1",
            first,
            last,
        );
        let fees = share(&flows, "person>fund", N) + share(&flows, "organization>fund", N);
        assert!(
            (share(&flows, "person>organization", N) - 0.45).abs() < 0.02,
            "{flows:?}"
        );
        assert!(
            (share(&flows, "organization>organization", N) - 0.30).abs() < 0.02,
            "{flows:?}"
        );
        assert!(
            (share(&flows, "organization>person", N) - 0.20).abs() < 0.02,
            "{flows:?}"
        );
        assert!((fees - 0.05).abs() < 0.01, "{flows:?}");
        assert_eq!(flows.values().sum::<i64>(), N as i64, "{flows:?}");

        // Instants increase through the demo year; amounts stay in their ranges.
        let conn = Connection::open(&a).unwrap();
        let (ordered, min_at, max_at, min_amount, max_amount): (i64, String, String, i64, i64) = conn
            .query_row(
                "SELECT COUNT(*), MIN(created_at), MAX(created_at), MIN(amount_minor), MAX(amount_minor) \
                 FROM transfers WHERE seq BETWEEN ?1 AND ?2",
                [first, last],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
        assert_eq!(ordered, N as i64);
        let min_at = OffsetDateTime::parse(&min_at, &Rfc3339).unwrap();
        let max_at = OffsetDateTime::parse(&max_at, &Rfc3339).unwrap();
        assert!(
            min_at >= YEAR_START && min_at < YEAR_START + Duration::days(1),
            "{min_at}"
        );
        assert!(
            max_at < BASE_DATE && max_at > BASE_DATE - Duration::days(1),
            "{max_at}"
        );
        assert!(
            min_amount >= 500 && max_amount <= 500_000,
            "{min_amount}..{max_amount}"
        );
        let mut stmt = conn
            .prepare("SELECT created_at FROM transfers WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq")
            .unwrap();
        let instants: Vec<OffsetDateTime> = stmt
            .query_map([first, last], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|t| OffsetDateTime::parse(&t.unwrap(), &Rfc3339).unwrap())
            .collect();
        assert!(instants.windows(2).all(|w| w[0] < w[1]));
        drop(stmt);
        drop(conn);

        // The same seed on the same database appends the same journal, whatever the
        // transactions.
        let b_path = b.clone();
        let stats_b =
            tokio::task::spawn_blocking(move || append_year_of_trade(&b_path, N, 42, &mut |_| {}))
                .await
                .unwrap()
                .unwrap();
        assert_eq!((stats_b.first_seq, stats_b.last_seq), (first, last));
        assert_eq!(head(&b), head(&a));

        // A second load with the same seed continues the journal with new ids.
        let b_path = b.clone();
        let again = tokio::task::spawn_blocking(move || {
            append_year_of_trade(&b_path, 2_000, 42, &mut |_| {})
        })
        .await
        .unwrap()
        .unwrap();
        assert_eq!(again.first_seq, last + 1);
        let db = connect(&b).await;
        let report = crate::ledger::verify::verify(&db).await.unwrap();
        db.close().await;
        assert!(report.ok(), "{:?}", report.problems);
        assert_eq!(report.transfers, again.last_seq as u64);
    }

    /// Times a load into a national demo and verifies the journal after it:
    /// `DISTRETTO_BENCH_DATA_DB=/tmp/national.db DISTRETTO_BENCH_DATA_TRANSFERS=1000000 cargo
    /// test --release -p distretto-store --lib impact::bench_data -- --ignored --nocapture`.
    /// The database is filled with the national demo first when it does not exist; each run
    /// appends to it.
    #[tokio::test(flavor = "multi_thread")]
    #[ignore = "minutes of work: a measurement, run by hand"]
    async fn national_load() {
        let path = PathBuf::from(
            std::env::var("DISTRETTO_BENCH_DATA_DB").expect("DISTRETTO_BENCH_DATA_DB names a file"),
        );
        let n: u64 = std::env::var("DISTRETTO_BENCH_DATA_TRANSFERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000);
        if !path.exists() {
            let started = Instant::now();
            let db = connect(&path).await;
            db.migrate().await.unwrap();
            let currency = Currency::new("AOC", "Aosta", "A", 2).unwrap();
            crate::demo::fill(
                &db,
                &DemoSpec::new(Scale::National, 1),
                "not-a-real-hash",
                &currency,
                &|_, _| {},
            )
            .await
            .unwrap();
            db.close().await;
            eprintln!("national demo in {:.1} s", started.elapsed().as_secs_f64());
        }
        let load = path.clone();
        let (stats, cpu_secs) = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let cpu = thread_cpu_secs();
            let stats = append_year_of_trade(&load, n, 42, &mut |done| {
                eprintln!(
                    "{done} transfers at {:.1} s",
                    started.elapsed().as_secs_f64()
                )
            });
            (stats, thread_cpu_secs() - cpu)
        })
        .await
        .unwrap();
        let stats = stats.unwrap();
        eprintln!("the load used {cpu_secs:.1} s of CPU");
        eprintln!(
            "appended {} transfers ({} accounts, seq {}..={}) in {:.1} s = {:.0} transfers/s",
            stats.transfers,
            stats.accounts,
            stats.first_seq,
            stats.last_seq,
            stats.elapsed_ms as f64 / 1000.0,
            stats.transfers as f64 * 1000.0 / stats.elapsed_ms.max(1) as f64
        );
        let started = Instant::now();
        let db = connect(&path).await;
        let report = crate::ledger::verify::verify(&db).await.unwrap();
        db.close().await;
        eprintln!(
            "verified {} transfers in {:.1} s",
            report.transfers,
            started.elapsed().as_secs_f64()
        );
        assert!(report.ok(), "{:?}", report.problems);
    }

    /// CPU time of the calling thread (user and system), from `/proc` (Linux; 0 elsewhere).
    fn thread_cpu_secs() -> f64 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
        // Fields after the command name (which may hold spaces): utime and stime are the
        // 12th and 13th, in clock ticks (100 per second on Linux).
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (ticks(11) + ticks(12)) / 100.0
    }

    #[test]
    fn amounts_follow_their_models() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut wages: Vec<i64> = (0..10_001)
            .map(|_| draw_amount(&mut rng, &WAGE_AMOUNT))
            .collect();
        wages.sort_unstable();
        let median = wages[5_000];
        assert!((80_000..100_000).contains(&median), "{median}");
        assert!(wages.iter().all(|w| (30_000..=180_000).contains(w)));
    }
}
