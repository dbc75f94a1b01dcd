//! Loads the generated demo district ([`distretto_domain::demo`]) into the store.
//!
//! The district is written batch by batch, in the domain's dependency order (coordinator, then
//! organisations, then people with their memberships, applications, decisions and accounts), each
//! batch in one transaction of multi-row inserts. While one batch is being written, the next is
//! generated on a blocking thread, so the two cores share the work and memory stays bounded by two
//! batches whatever the scale.
//!
//! The year of trade ([`DemoSpec::trade`]: transfers, invoices, payment requests) is computed on
//! another blocking thread from the start, and written after the last batch: the journal in
//! chunks, then the accounts' final balances, the journal head, the invoices with their history
//! and the requests, then solidarity purchasing (catalogues, pickup points, order cycles with
//! their orders and settlements, seasonal subscriptions) through [`crate::purchasing::import`].

use crate::accounts::AccountRow;
use crate::directory::OrganizationRow;
use crate::ledger::TransferRow;
use crate::ledger::invoices::{InvoiceEventRow, InvoiceRow};
use crate::ledger::requests::PaymentRequestRow;
use crate::membership::{ApplicationRow, DecisionRow, MembershipRow, PersonRow};
use crate::purchasing::PurchasingData;
use crate::{Db, Result, StoreError, with_pool};
use distretto_domain::demo::trade::DemoTrade;
use distretto_domain::demo::trade::purchasing::DemoPurchasing;
use distretto_domain::demo::{DemoBatch, DemoOwner, DemoSpec};
use distretto_domain::ledger::{Currency, default_limits};
use std::sync::Arc;

/// What [`fill`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoSummary {
    /// Organisations, of every status.
    pub organizations: u64,
    /// People, the coordinator included.
    pub people: u64,
    /// Memberships of people in organisations.
    pub memberships: u64,
    /// Pending applications.
    pub applications: u64,
    /// Decision log entries.
    pub decisions: u64,
    /// Ledger accounts (people, admitted organisations, the district's two).
    pub accounts: u64,
    /// Journal entries of the year of trade.
    pub transfers: u64,
    /// Invoices between organisations.
    pub invoices: u64,
    /// Payment requests.
    pub payment_requests: u64,
    /// Products of producers' catalogues.
    pub products: u64,
    /// Order cycles of purchasing groups (one open per group).
    pub order_cycles: u64,
    /// Households' orders in those cycles.
    pub orders: u64,
    /// Seasonal subscriptions to farms.
    pub subscriptions: u64,
}

/// One batch mapped to store rows.
#[derive(Default)]
struct Rows {
    organizations: Vec<OrganizationRow>,
    people: Vec<PersonRow>,
    memberships: Vec<MembershipRow>,
    applications: Vec<ApplicationRow>,
    decisions: Vec<DecisionRow>,
    accounts: Vec<AccountRow>,
    entities: u64,
}

/// Maps a batch to rows, each table sorted by its primary key: random UUIDs inserted in order
/// walk each index once per batch instead of jumping around it.
fn rows_of(batch: DemoBatch, password_hash: &str, currency: &Currency) -> Rows {
    let entities = batch.entity_count();
    let mut rows = Rows {
        organizations: batch
            .organizations
            .into_iter()
            .map(|o| OrganizationRow {
                charter_version: o.charter_version.map(str::to_owned),
                charter_signed_at: o.charter_signed_at,
                updated_at: o.updated_at,
                ..OrganizationRow::from_profile(o.id, &o.profile, o.status.code(), o.created_at)
            })
            .collect(),
        people: batch
            .people
            .into_iter()
            .map(|p| PersonRow {
                id: p.id,
                email: p.email,
                name: p.name,
                password_hash: password_hash.to_owned(),
                role: p.role.code().to_owned(),
                membership_status: p.membership_status.code().to_owned(),
                locale: p.locale.map(str::to_owned),
                phone: p.phone,
                bio: p.bio,
                locality: p.locality,
                created_at: p.created_at,
                updated_at: p.updated_at,
            })
            .collect(),
        memberships: batch
            .memberships
            .into_iter()
            .map(|m| MembershipRow {
                person_id: m.person_id,
                organization_id: m.organization_id,
                role: m.role.code().to_owned(),
                created_at: m.created_at,
            })
            .collect(),
        applications: batch
            .applications
            .into_iter()
            .map(|a| ApplicationRow {
                id: a.id,
                person_id: a.person_id,
                kind: a.kind.code().to_owned(),
                organization_id: a.organization_id,
                message: a.message,
                status: "pending".to_owned(),
                created_at: a.created_at,
                decided_at: None,
                decided_by: None,
            })
            .collect(),
        decisions: batch
            .decisions
            .into_iter()
            .map(|d| DecisionRow {
                id: d.id,
                subject_kind: d.subject.kind_code().to_owned(),
                subject_id: d.subject.id(),
                application_id: None,
                decision: d.decision.code().to_owned(),
                reason: d.reason,
                decided_by: d.decided_by,
                decided_at: d.decided_at,
            })
            .collect(),
        accounts: batch
            .accounts
            .into_iter()
            .map(|a| {
                let limits = default_limits(a.limit_holder, currency.unit_minor());
                AccountRow {
                    id: a.id,
                    owner_kind: a.owner.kind_code().to_owned(),
                    owner_id: a.owner.id(),
                    currency: currency.code.clone(),
                    created_at: a.created_at,
                    purpose: match a.owner {
                        DemoOwner::District(p) => Some(p.code().to_owned()),
                        _ => None,
                    },
                    balance_minor: 0,
                    credit_limit_minor: limits.credit_limit_minor,
                    upper_limit_minor: limits.upper_limit_minor,
                }
            })
            .collect(),
        entities,
    };
    rows.organizations.sort_unstable_by_key(|r| r.id);
    rows.people.sort_unstable_by_key(|r| r.id);
    rows.memberships
        .sort_unstable_by_key(|r| (r.person_id, r.organization_id));
    rows.applications.sort_unstable_by_key(|r| r.id);
    rows.decisions.sort_unstable_by_key(|r| r.id);
    rows.accounts.sort_unstable_by_key(|r| r.id);
    rows
}

/// Generates batch `index` as rows on a blocking thread (generation is CPU work that would
/// otherwise stall the writer).
fn spawn_rows(
    spec: DemoSpec,
    index: u32,
    password_hash: Arc<str>,
    currency: Arc<Currency>,
) -> tokio::task::JoinHandle<Rows> {
    tokio::task::spawn_blocking(move || {
        let batch = spec.batch(index).unwrap_or_default();
        rows_of(batch, &password_hash, &currency)
    })
}

/// Fills an empty database with the demo district of `spec`.
///
/// Every person, the coordinator included, gets `password_hash` (computed once by the caller:
/// hashing half a million passwords with Argon2 would take hours) and one personal account in
/// `currency`; every admitted organisation gets one account, and the district two. `progress`
/// is called after each batch with (organisations and people written, total), then while the
/// trade is written (which counts as one more unit per trading account), ending at the total.
///
/// A database that already holds organisations or people → [`StoreError::Conflict`], nothing
/// written. A failure midway leaves the batches written so far: start again from an empty
/// database.
pub async fn fill(
    db: &Db,
    spec: &DemoSpec,
    password_hash: &str,
    currency: &Currency,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<DemoSummary> {
    if !db.is_empty().await? {
        return Err(StoreError::Conflict);
    }
    let saved = match db {
        Db::Sqlite { write, .. } => Some(SqliteTuning::for_fill(write).await?),
        Db::Postgres(_) => None,
    };
    let filled = fill_batches(db, spec, password_hash, currency, progress).await;
    if let (Db::Sqlite { write, .. }, Some(saved)) = (db, saved) {
        saved.restore(write).await?;
    }
    filled
}

/// The write connection's SQLite settings that [`fill`] changes while it runs.
struct SqliteTuning {
    cache_size: i64,
    synchronous: i64,
    wal_autocheckpoint: i64,
}

impl SqliteTuning {
    /// The page cache while filling, in KiB (256 MiB): large enough for the indexes of a
    /// national district, which otherwise are read back from the file at every insert.
    const CACHE_KIB: i64 = 256 * 1024;
    /// WAL pages between checkpoints while filling (about 400 MB): a checkpoint after every
    /// batch would copy the same index pages into the database file again and again.
    const CHECKPOINT_PAGES: i64 = 100_000;

    /// Saves the settings and applies the bulk-load ones. `synchronous = NORMAL` skips the fsync
    /// at each batch's commit: a half-built demo district is worth nothing after a crash (start
    /// again from an empty database), and no money moves while it is built.
    async fn for_fill(write: &sqlx::SqlitePool) -> Result<Self> {
        let mut conn = write.acquire().await?;
        let saved = Self {
            cache_size: sqlx::query_scalar("PRAGMA cache_size")
                .fetch_one(&mut *conn)
                .await?,
            synchronous: sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut *conn)
                .await?,
            wal_autocheckpoint: sqlx::query_scalar("PRAGMA wal_autocheckpoint")
                .fetch_one(&mut *conn)
                .await?,
        };
        for pragma in [
            format!("PRAGMA cache_size = -{}", Self::CACHE_KIB),
            "PRAGMA synchronous = NORMAL".to_owned(),
            format!("PRAGMA wal_autocheckpoint = {}", Self::CHECKPOINT_PAGES),
        ] {
            sqlx::query(&pragma).execute(&mut *conn).await?;
        }
        Ok(saved)
    }

    /// Puts the settings back and folds the WAL into the database file, so the server starts
    /// with a short WAL.
    async fn restore(self, write: &sqlx::SqlitePool) -> Result<()> {
        let mut conn = write.acquire().await?;
        for pragma in [
            format!("PRAGMA cache_size = {}", self.cache_size),
            format!("PRAGMA synchronous = {}", self.synchronous),
            format!("PRAGMA wal_autocheckpoint = {}", self.wal_autocheckpoint),
            "PRAGMA wal_checkpoint(TRUNCATE)".to_owned(),
        ] {
            sqlx::query(&pragma).execute(&mut *conn).await?;
        }
        Ok(())
    }
}

/// Progress units of the trade: one per trading organisation and person.
fn trade_units(spec: &DemoSpec) -> u64 {
    u64::from(spec.trade_organizations()) + u64::from(spec.trade_people())
}

async fn fill_batches(
    db: &Db,
    spec: &DemoSpec,
    password_hash: &str,
    currency: &Currency,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<DemoSummary> {
    let spec = *spec;
    let hash: Arc<str> = Arc::from(password_hash);
    let currency: Arc<Currency> = Arc::new(currency.clone());
    let entities = spec.entity_count();
    let total = entities + trade_units(&spec);
    let batches = spec.batch_count();
    let mut summary = DemoSummary::default();
    let mut done = 0;
    progress(done, total);
    let trade = {
        let currency = currency.clone();
        tokio::task::spawn_blocking(move || spec.trade(&currency))
    };
    let mut next = Some(spawn_rows(spec, 0, hash.clone(), currency.clone()));
    for index in 0..batches {
        let Some(handle) = next.take() else { break };
        let rows = match handle.await {
            Ok(rows) => rows,
            // A panic in the generator is a bug: let it surface with its own message.
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Cancelled only when the runtime shuts down; generate here instead.
            Err(_) => rows_of(spec.batch(index).unwrap_or_default(), &hash, &currency),
        };
        if index + 1 < batches {
            next = Some(spawn_rows(spec, index + 1, hash.clone(), currency.clone()));
        }
        write(db, &rows).await?;
        summary.organizations += rows.organizations.len() as u64;
        summary.people += rows.people.len() as u64;
        summary.memberships += rows.memberships.len() as u64;
        summary.applications += rows.applications.len() as u64;
        summary.decisions += rows.decisions.len() as u64;
        summary.accounts += rows.accounts.len() as u64;
        done += rows.entities;
        progress(done.min(entities), total);
    }
    let trade = match trade.await {
        Ok(trade) => trade,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => spec.trade(&currency),
    };
    write_trade(db, &trade, &|share_per_mille| {
        let units = trade_units(&spec) * share_per_mille / 1000;
        progress(entities + units, total);
    })
    .await?;
    summary.transfers = trade.transfers.len() as u64;
    summary.invoices = trade.invoices.len() as u64;
    summary.payment_requests = trade.requests.len() as u64;
    summary.products = trade.purchasing.products.len() as u64;
    summary.order_cycles = trade.purchasing.cycles.len() as u64;
    summary.orders = trade.purchasing.orders.len() as u64;
    summary.subscriptions = trade.purchasing.subscriptions.len() as u64;
    write_governance(db, &spec).await?;
    write_market_listings(db, &spec).await?;
    write_market_resources(db, &spec, &currency).await?;
    write_impact_surveys(db, &spec).await?;
    Ok(summary)
}

/// The demo's shared resources and a year of their bookings, over the organisations just
/// written, each booking with a fee `held` until [`pay_market_resources`] pays it. The fill
/// stays deterministic (the same seed gives the same journal): the writer stamps its own
/// ids and times, so the fees are posted after the fill.
async fn write_market_resources(db: &Db, spec: &DemoSpec, currency: &Currency) -> Result<()> {
    let (_, rows) = market_demo(db, spec, currency).await?;
    crate::market::resources::import(db, &rows).await
}

/// Pays the fees of the demo's bookings through the ledger writer and refunds the cancelled
/// ones, so their transfers are in the journal and `ledger verify` holds; run once, right
/// after [`fill`] (the demo is drawn again from the same rows). Returns (paid, refunded).
pub async fn pay_market_resources(
    db: &Db,
    spec: &DemoSpec,
    currency: &Currency,
) -> Result<(usize, usize)> {
    let (demo, rows) = market_demo(db, spec, currency).await?;
    crate::market::resources::post_demo_fees(db, &demo, &rows).await
}

/// The demo's resources and bookings, drawn over the organisations and accounts written.
async fn market_demo(
    db: &Db,
    spec: &DemoSpec,
    currency: &Currency,
) -> Result<(
    distretto_domain::demo::market_resources::DemoResources,
    crate::market::resources::ResourcesData,
)> {
    use std::collections::HashMap;
    // Lenders: active organisations with an admin and an account in the district currency.
    let mut owners: Vec<(uuid::Uuid, uuid::Uuid, String, uuid::Uuid)> = with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT o.id, m.person_id, o.locality, a.id FROM organizations o JOIN memberships m ON m.organization_id = o.id \
         JOIN accounts a ON a.owner_kind = 'organization' AND a.owner_id = o.id AND a.currency = $1 \
         WHERE o.status = 'active' AND m.role = 'admin' ORDER BY o.id, m.person_id, a.id LIMIT 400")
        .bind(&currency.code).fetch_all(pool).await)?;
    owners.dedup_by_key(|o| o.0);
    // Bookers: organisations' admins paying from the organisation's account, and people
    // paying from their own.
    // Bookers: people paying from their own account and organisations' admins paying from the
    // organisation's, those with the most room under their credit limit first.
    let mut bookers: Vec<(uuid::Uuid, uuid::Uuid)> = Vec::new();
    for (kind, join) in [
        (
            "person",
            "JOIN people p ON a.owner_id = p.id AND p.membership_status = 'member'",
        ),
        (
            "organization",
            "JOIN memberships m ON m.organization_id = a.owner_id AND m.role = 'admin'",
        ),
    ] {
        let who = if kind == "person" {
            "p.id"
        } else {
            "m.person_id"
        };
        let found: Vec<(uuid::Uuid, uuid::Uuid)> = with_pool!(db.read(), pool => sqlx::query_as(&format!(
            "SELECT {who}, a.id FROM accounts a {join} WHERE a.owner_kind = $2 AND a.currency = $1 \
             ORDER BY a.balance_minor + a.credit_limit_minor DESC, a.id LIMIT 60"))
            .bind(&currency.code).bind(kind).fetch_all(pool).await)?;
        bookers.extend(found);
    }
    let lenders: Vec<(uuid::Uuid, uuid::Uuid, String)> =
        owners.iter().map(|o| (o.0, o.1, o.2.clone())).collect();
    let accounts: HashMap<uuid::Uuid, uuid::Uuid> = owners.iter().map(|o| (o.0, o.3)).collect();
    let demo = distretto_domain::demo::market_resources::resources(
        spec.seed,
        &lenders,
        &bookers,
        currency.unit_minor(),
    );
    let rows = crate::market::resources::demo_rows(&demo, &accounts, &currency.code);
    Ok((demo, rows))
}

/// The most voters of one body the demo lists (individual members of a national district).
const DEMO_MAX_VOTERS: i64 = 5_000;

/// The demo's bodies and a year of votes, over the members and organisations just written.
async fn write_governance(db: &Db, spec: &DemoSpec) -> Result<()> {
    let people: Vec<uuid::Uuid> = with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT id FROM people WHERE membership_status = 'member' AND role = 'person' ORDER BY id LIMIT $1")
        .bind(DEMO_MAX_VOTERS).fetch_all(pool).await)?;
    let mut orgs: Vec<(uuid::Uuid, uuid::Uuid)> = with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT m.organization_id, m.person_id FROM memberships m JOIN organizations o ON o.id = m.organization_id \
         WHERE o.status = 'active' AND m.role = 'admin' ORDER BY m.organization_id, m.person_id LIMIT $1")
        .bind(DEMO_MAX_VOTERS * 4).fetch_all(pool).await)?;
    // One admin per organisation (the first by id) casts its vote.
    orgs.dedup_by_key(|o| o.0);
    orgs.truncate(usize::try_from(DEMO_MAX_VOTERS).unwrap_or(usize::MAX));
    // Projects are carried by organisations (their accounts have no upper limit, a person's
    // would refuse a grant of several thousand credits): (admin, organisation's account).
    let accounts: Vec<(uuid::Uuid, uuid::Uuid)> = with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT m.person_id, a.id FROM memberships m JOIN organizations o ON o.id = m.organization_id \
         JOIN accounts a ON a.owner_kind = 'organization' AND a.owner_id = o.id \
         WHERE m.role = 'admin' AND o.status = 'active' ORDER BY o.id, m.person_id LIMIT 100")
        .fetch_all(pool).await)?;
    let demo = distretto_domain::demo::governance::governance(
        spec.seed,
        spec.coordinator_id(),
        &people,
        &orgs,
        &accounts,
    );
    crate::governance::import(db, &crate::governance::demo_rows(&demo)).await
}

/// The demo's offers and needs over the organisations and members just written.
async fn write_market_listings(db: &Db, spec: &DemoSpec) -> Result<()> {
    // The first admin (by id) of each organisation publishes for it; PostgreSQL has no MIN over
    // uuids, so the first row per organisation is kept here.
    let mut places: Vec<(uuid::Uuid, uuid::Uuid, String, f64, f64)> = with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT o.id, m.person_id, o.locality, o.lat, o.lon FROM organizations o \
         JOIN memberships m ON m.organization_id = o.id AND m.role = 'admin' \
         WHERE o.status = 'active' AND o.lat IS NOT NULL AND o.lon IS NOT NULL \
         ORDER BY o.id, m.person_id LIMIT 3000")
        .fetch_all(pool).await)?;
    places.dedup_by_key(|p| p.0);
    places.truncate(300);
    let people: Vec<uuid::Uuid> = with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT id FROM people WHERE membership_status = 'member' AND role = 'person' ORDER BY id LIMIT $1")
        .bind(DEMO_MAX_VOTERS).fetch_all(pool).await)?;
    let places: Vec<distretto_domain::demo::market_listings::DemoPlace> = places
        .into_iter()
        .map(|(organization, admin, locality, lat, lon)| {
            distretto_domain::demo::market_listings::DemoPlace {
                organization,
                admin,
                locality,
                lat,
                lon,
            }
        })
        .collect();
    let demo = distretto_domain::demo::market_listings::listings(spec.seed, &places, &people);
    crate::market::listings::import(db, &crate::market::listings::demo_rows(&demo)).await
}

/// Journal entries written per transaction.
const TRANSFERS_PER_TRANSACTION: usize = 10_000;
/// Accounts per balance update statement (three parameters each).
const BALANCES_PER_STATEMENT: usize = 500;

/// Writes the year of trade: the journal in transactions of [`TRANSFERS_PER_TRANSACTION`]
/// entries, then in one transaction the balances, the journal head, invoices, their history and
/// payment requests. `progress` gets the share written, in thousandths, ending at 1000.
async fn write_trade(db: &Db, trade: &DemoTrade, progress: &(dyn Fn(u64) + Sync)) -> Result<()> {
    use crate::ledger::invoices::{bind_event, bind_invoice, events_sql, invoices_sql};
    use crate::ledger::requests::{bind_request, requests_sql};
    use crate::ledger::{bind_transfer, transfers_sql};
    let sqlite = db.backend() == "sqlite";
    let total = trade.transfers.len().max(1) as u64;
    let mut written = 0u64;
    for chunk in trade.transfers.chunks(TRANSFERS_PER_TRANSACTION) {
        let rows: Vec<TransferRow> = chunk.iter().map(transfer_row).collect();
        with_pool!(db.write(), pool => {
            let mut tx = pool.begin().await?;
            crate::insert_rows!(tx, sqlite, &rows, 17, transfers_sql, |q, r| bind_transfer!(q, r));
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })?;
        written += rows.len() as u64;
        // The last thousandth waits for the invoices and requests.
        progress((written * 1000 / total).min(999));
    }

    let balances: Vec<(uuid::Uuid, i64)> = trade
        .balances
        .iter()
        .copied()
        .filter(|(_, b)| *b != 0)
        .collect();
    let invoices: Vec<InvoiceRow> = trade
        .invoices
        .iter()
        .map(|i| InvoiceRow {
            id: i.id,
            number: i.number.clone(),
            creditor: i.creditor,
            debtor: i.debtor,
            currency: i.currency.clone(),
            amount_minor: i.amount_minor,
            paid_minor: i.paid_minor,
            set_off_minor: 0,
            description: i.description.clone(),
            status: i.status.code().to_owned(),
            due_on: i.due_on,
            dispute_reason: i.dispute_reason.clone(),
            created_by: i.created_by,
            created_at: i.created_at,
            updated_at: i.updated_at,
        })
        .collect();
    let events: Vec<InvoiceEventRow> = trade
        .invoice_events
        .iter()
        .map(|e| InvoiceEventRow {
            id: e.id,
            invoice_id: e.invoice_id,
            action: e.action.to_owned(),
            amount_minor: e.amount_minor,
            transfer_id: e.transfer_id,
            note: e.note.clone(),
            actor: Some(e.actor),
            created_at: e.created_at,
        })
        .collect();
    let requests: Vec<PaymentRequestRow> = trade
        .requests
        .iter()
        .map(|r| PaymentRequestRow {
            id: r.id,
            payee: r.payee,
            payer: r.payer,
            amount_minor: r.amount_minor,
            memo: r.memo.clone(),
            status: r.status.to_owned(),
            transfer_id: r.transfer_id,
            created_by: r.created_by,
            created_at: r.created_at,
            decided_at: r.decided_at,
        })
        .collect();
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        for chunk in balances.chunks(BALANCES_PER_STATEMENT) {
            let sql = balances_sql(chunk.len());
            let sql = if sqlite { crate::positional(&sql) } else { sql };
            let mut q = sqlx::query(&sql);
            for (id, balance) in chunk {
                q = q.bind(id).bind(balance);
            }
            for (id, _) in chunk {
                q = q.bind(id);
            }
            q.execute(&mut *tx).await.map_err(StoreError::from_write)?;
        }
        sqlx::query("UPDATE ledger_head SET last_seq = $1, last_hash = $2 WHERE id = 1")
            .bind(trade.head_seq)
            .bind(trade.head_hash.to_vec())
            .execute(&mut *tx)
            .await?;
        crate::insert_rows!(tx, sqlite, &invoices, 15, invoices_sql, |q, r| bind_invoice!(q, r));
        crate::insert_rows!(tx, sqlite, &events, 8, events_sql, |q, r| bind_event!(q, r));
        crate::insert_rows!(tx, sqlite, &requests, 10, requests_sql, |q, r| bind_request!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })?;
    crate::purchasing::import(db, &purchasing_rows(&trade.purchasing)).await?;
    progress(1000);
    Ok(())
}

/// `UPDATE accounts SET balance_minor = CASE id WHEN $1 THEN $2 … END WHERE id IN (…)` for
/// `rows` accounts: every parameter appears once, in order (ids and balances, then the ids again).
fn balances_sql(rows: usize) -> String {
    let mut cases = String::with_capacity(rows * 24);
    for r in 0..rows {
        cases.push_str(&format!(" WHEN ${} THEN ${}", 2 * r + 1, 2 * r + 2));
    }
    let ids: Vec<String> = (0..rows)
        .map(|r| format!("${}", 2 * rows + r + 1))
        .collect();
    format!(
        "UPDATE accounts SET balance_minor = CASE id{cases} END WHERE id IN ({})",
        ids.join(", ")
    )
}

fn transfer_row(t: &distretto_domain::demo::trade::DemoTransfer) -> TransferRow {
    let e = &t.entry;
    TransferRow {
        seq: e.seq,
        id: e.id,
        kind: e.kind.code().to_owned(),
        payer: e.payer,
        payee: e.payee,
        currency: e.currency.clone(),
        amount_minor: e.amount_minor,
        payer_balance_minor: e.payer_balance_minor,
        payee_balance_minor: e.payee_balance_minor,
        memo: e.memo.clone(),
        invoice_id: e.invoice_id,
        request_id: e.request_id,
        reverses: e.reverses,
        created_by: e.created_by,
        created_at: e.created_at,
        prev_hash: t.prev_hash.to_vec(),
        hash: t.hash.to_vec(),
    }
}

/// Writes one batch in foreign-key order, in one transaction: one commit (one fsync) per batch,
/// and a batch is either wholly there or not at all. Same statements as the tables' own
/// `insert_*` functions, which commit per table.
async fn write(db: &Db, rows: &Rows) -> Result<()> {
    use crate::accounts::{accounts_sql, bind_account};
    use crate::directory::{INSERT_COLUMNS, bind_organization, insert_sql};
    use crate::membership::{
        applications_sql, bind_application, bind_decision, bind_membership, bind_person,
        decisions_sql, memberships_sql, people_sql,
    };
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        crate::insert_rows!(tx, sqlite, &rows.organizations, INSERT_COLUMNS, insert_sql, |q, r| bind_organization!(q, r));
        crate::insert_rows!(tx, sqlite, &rows.people, 12, people_sql, |q, r| bind_person!(q, r));
        crate::insert_rows!(tx, sqlite, &rows.memberships, 4, memberships_sql, |q, r| bind_membership!(q, r));
        crate::insert_rows!(tx, sqlite, &rows.applications, 9, applications_sql, |q, r| bind_application!(q, r));
        crate::insert_rows!(tx, sqlite, &rows.decisions, 8, decisions_sql, |q, r| bind_decision!(q, r));
        crate::insert_rows!(tx, sqlite, &rows.accounts, 9, accounts_sql, |q, r| bind_account!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// The demo's purchasing records as the export document's rows, for [`crate::purchasing::import`].
fn purchasing_rows(p: &DemoPurchasing) -> PurchasingData {
    use crate::purchasing::catalogue::{PickupRow, ProductRow};
    use crate::purchasing::cycles::{
        CyclePickupRow, CycleProducerRow, CycleProductRow, CycleRow, DeliveryRow, LineRow,
        OrderRow, SettlementRow,
    };
    use crate::purchasing::subscriptions::{
        InstalmentRow, PlanRow, ShareDeliveryRow, SubscriptionRow,
    };
    PurchasingData {
        products: p
            .products
            .iter()
            .map(|x| ProductRow {
                id: x.id,
                producer_id: x.producer_id,
                sku: x.sku.clone(),
                name: x.name.clone(),
                description: x.description.clone(),
                unit: x.unit.to_owned(),
                step_milli: x.step_milli,
                package_size_milli: x.package_size_milli,
                price_euro_minor: x.price_euro_minor,
                price_credit_minor: x.price_credit_minor,
                vat_basis_points: x.vat_basis_points,
                origin: x.origin.clone(),
                certifications: x.certifications.clone(),
                season_months: x.season_months,
                stock_milli: x.stock_milli,
                active: x.active,
                created_at: x.created_at,
                updated_at: x.updated_at,
            })
            .collect(),
        product_photos: Vec::new(),
        pickup_points: p
            .pickup_points
            .iter()
            .map(|x| PickupRow {
                id: x.id,
                group_id: x.group_id,
                name: x.name.clone(),
                address: x.address.clone(),
                lat: x.lat,
                lon: x.lon,
                active: x.active,
                created_at: x.created_at,
            })
            .collect(),
        order_cycles: p
            .cycles
            .iter()
            .map(|x| CycleRow {
                id: x.id,
                group_id: x.group_id,
                number: x.number,
                name: x.name.clone(),
                currency: x.currency.clone(),
                opens_at: x.opens_at,
                closes_at: x.closes_at,
                group_fee_basis_points: x.group_fee_basis_points,
                status: x.status.to_owned(),
                note: x.note.clone(),
                created_by: x.created_by,
                created_at: x.created_at,
                closed_at: x.closed_at,
                delivered_at: x.delivered_at,
                settled_by: x.settled_by,
                settled_at: x.settled_at,
            })
            .collect(),
        cycle_producers: p
            .cycle_producers
            .iter()
            .map(|x| CycleProducerRow {
                cycle_id: x.cycle_id,
                producer_id: x.producer_id,
                minimum_minor: x.minimum_minor,
                transport_basis_points: x.transport_basis_points,
                minimum_met: x.minimum_met,
            })
            .collect(),
        cycle_products: p
            .cycle_products
            .iter()
            .map(|x| CycleProductRow {
                cycle_id: x.cycle_id,
                product_id: x.product_id,
                producer_id: x.producer_id,
                price_minor: x.price_minor,
                step_milli: x.step_milli,
                package_size_milli: x.package_size_milli,
                packages: x.packages,
            })
            .collect(),
        cycle_pickups: p
            .cycle_pickups
            .iter()
            .map(|x| CyclePickupRow {
                cycle_id: x.cycle_id,
                pickup_id: x.pickup_id,
                starts_at: x.starts_at,
                ends_at: x.ends_at,
            })
            .collect(),
        orders: p
            .orders
            .iter()
            .map(|x| OrderRow {
                id: x.id,
                cycle_id: x.cycle_id,
                person_id: x.person_id,
                account_id: x.account_id,
                pickup_id: x.pickup_id,
                created_at: x.created_at,
                updated_at: x.updated_at,
            })
            .collect(),
        order_lines: p
            .lines
            .iter()
            .map(|x| LineRow {
                order_id: x.order_id,
                product_id: x.product_id,
                beneficiary: x.beneficiary.clone(),
                quantity_milli: x.quantity_milli,
                tolerance_milli: x.tolerance_milli,
                arrival: x.arrival,
                allocated_milli: x.allocated_milli,
                delivered_milli: x.delivered_milli,
                substitute_for: x.substitute_for,
                updated_at: x.updated_at,
            })
            .collect(),
        deliveries: p
            .deliveries
            .iter()
            .map(|x| DeliveryRow {
                cycle_id: x.cycle_id,
                producer_id: x.producer_id,
                pickup_id: x.pickup_id,
                distance_m: x.distance_m,
                weight_g: x.weight_g,
                recorded_by: x.recorded_by,
                recorded_at: x.recorded_at,
            })
            .collect(),
        cycle_settlements: p
            .settlements
            .iter()
            .map(|x| SettlementRow {
                cycle_id: x.cycle_id,
                account_id: x.account_id,
                role: x.role.to_owned(),
                amount_minor: x.amount_minor,
                transfer_id: x.transfer_id,
            })
            .collect(),
        csa_plans: p
            .plans
            .iter()
            .map(|x| PlanRow {
                id: x.id,
                farm_id: x.farm_id,
                name: x.name.clone(),
                description: x.description.clone(),
                currency: x.currency.clone(),
                share_price_minor: x.share_price_minor,
                first_delivery: x.first_delivery,
                last_delivery: x.last_delivery,
                every_weeks: x.every_weeks,
                notice_days: x.notice_days,
                instalments: x.instalments,
                pickup_id: x.pickup_id,
                capacity: x.capacity,
                status: x.status.to_owned(),
                created_by: x.created_by,
                created_at: x.created_at,
            })
            .collect(),
        csa_subscriptions: p
            .subscriptions
            .iter()
            .map(|x| SubscriptionRow {
                id: x.id,
                plan_id: x.plan_id,
                person_id: x.person_id,
                account_id: x.account_id,
                instalments: x.instalments,
                status: x.status.to_owned(),
                created_at: x.created_at,
            })
            .collect(),
        csa_deliveries: p
            .share_deliveries
            .iter()
            .map(|x| ShareDeliveryRow {
                subscription_id: x.subscription_id,
                day: x.day,
                status: x.status.to_owned(),
                changed_at: x.changed_at,
            })
            .collect(),
        csa_instalments: p
            .instalments
            .iter()
            .map(|x| InstalmentRow {
                subscription_id: x.subscription_id,
                number: x.number,
                due: x.due,
                amount_minor: x.amount_minor,
                paid_at: x.paid_at,
                transfer_id: x.transfer_id,
            })
            .collect(),
    }
}

/// The demo organisations' answers to the impact survey (active organisations, in id order).
async fn write_impact_surveys(db: &Db, spec: &DemoSpec) -> Result<()> {
    use distretto_domain::demo::impact::{Surveyed, surveys};
    let rows: Vec<(uuid::Uuid, String, i64)> = with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT id, sector, workers_fte_hundredths FROM organizations WHERE status = 'active' ORDER BY id LIMIT 2000")
        .fetch_all(pool).await)?;
    let surveyed: Vec<Surveyed> = rows
        .into_iter()
        .filter_map(|(id, sector, workers_fte_hundredths)| {
            Some(Surveyed {
                id,
                sector: distretto_domain::directory::Sector::parse(&sector)?,
                workers_fte_hundredths,
            })
        })
        .collect();
    let answered_by: Option<uuid::Uuid> = with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT id FROM people WHERE role = 'coordinator' ORDER BY id LIMIT 1")
        .fetch_optional(pool).await)?;
    let answered_by = answered_by.unwrap_or_default();
    let answered_at = distretto_domain::demo::BASE_DATE;
    for s in surveys(spec.seed, &surveyed) {
        crate::impact::saved::save_survey(
            db,
            &crate::impact::saved::SurveyRow {
                organization_id: s.organization_id,
                year: s.year,
                outside_total_minor: s.outside_total_minor,
                outside_local_minor: s.outside_local_minor,
                by_sector: crate::impact::saved::SurveyRow::encode_by_sector(&s.by_sector),
                answered_by,
                answered_at,
            },
        )
        .await?;
    }
    Ok(())
}
