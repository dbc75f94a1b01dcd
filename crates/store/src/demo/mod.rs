//! Loads the generated demo district ([`distretto_domain::demo`]) into the store.
//!
//! The district is written batch by batch, in the domain's dependency order (coordinator, then
//! organisations, then people with their memberships, applications, decisions and accounts), each
//! batch in one transaction of multi-row inserts. While one batch is being written, the next is
//! generated on a blocking thread, so the two cores share the work and memory stays bounded by two
//! batches whatever the scale.

use crate::accounts::AccountRow;
use crate::directory::OrganizationRow;
use crate::membership::{ApplicationRow, DecisionRow, MembershipRow, PersonRow};
use crate::{Db, Result, StoreError, with_pool};
use distretto_domain::demo::{DemoBatch, DemoSpec};
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
fn rows_of(batch: DemoBatch, password_hash: &str, currency: &str) -> Rows {
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
            .map(|a| AccountRow {
                id: a.id,
                owner_kind: a.owner.kind_code().to_owned(),
                owner_id: a.owner.id(),
                currency: currency.to_owned(),
                created_at: a.created_at,
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
    currency: Arc<str>,
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
/// is called after each batch with (organisations and people written, total).
///
/// A database that already holds organisations or people → [`StoreError::Conflict`], nothing
/// written. A failure midway leaves the batches written so far: start again from an empty
/// database.
pub async fn fill(
    db: &Db,
    spec: &DemoSpec,
    password_hash: &str,
    currency: &str,
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

async fn fill_batches(
    db: &Db,
    spec: &DemoSpec,
    password_hash: &str,
    currency: &str,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<DemoSummary> {
    let spec = *spec;
    let hash: Arc<str> = Arc::from(password_hash);
    let currency: Arc<str> = Arc::from(currency);
    let total = spec.entity_count();
    let batches = spec.batch_count();
    let mut summary = DemoSummary::default();
    let mut done = 0;
    progress(done, total);
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
        progress(done, total);
    }
    Ok(summary)
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
        crate::insert_rows!(tx, sqlite, &rows.accounts, 5, accounts_sql, |q, r| bind_account!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}
