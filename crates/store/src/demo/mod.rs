//! Loads the generated demo district ([`distretto_domain::demo`]) into the store.
//!
//! The district is written batch by batch, in the domain's dependency order (coordinator, then
//! organisations, then people with their memberships, applications, decisions and accounts), each
//! table of a batch in one multi-row transaction. While one batch is being written, the next is
//! generated on a blocking thread, so the two cores share the work and memory stays bounded by two
//! batches whatever the scale.

use crate::accounts::AccountRow;
use crate::directory::OrganizationRow;
use crate::membership::{ApplicationRow, DecisionRow, MembershipRow, PersonRow};
use crate::{Db, Result, StoreError, insert_chunks, values_placeholders, with_pool};
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

fn rows_of(batch: DemoBatch, password_hash: &str, currency: &str) -> Rows {
    let entities = batch.entity_count();
    Rows {
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
    }
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

/// Writes one batch in foreign-key order; empty tables cost no transaction.
async fn write(db: &Db, rows: &Rows) -> Result<()> {
    if !rows.organizations.is_empty() {
        crate::directory::insert_organizations(db, &rows.organizations).await?;
    }
    if !rows.people.is_empty() {
        crate::membership::insert_people(db, &rows.people).await?;
    }
    if !rows.memberships.is_empty() {
        crate::membership::insert_memberships(db, &rows.memberships).await?;
    }
    if !rows.applications.is_empty() {
        insert_applications(db, &rows.applications).await?;
    }
    if !rows.decisions.is_empty() {
        crate::membership::insert_decisions(db, &rows.decisions).await?;
    }
    if !rows.accounts.is_empty() {
        crate::accounts::insert_accounts(db, &rows.accounts).await?;
    }
    Ok(())
}

/// Inserts applications as they are, in multi-row batches inside one transaction.
async fn insert_applications(db: &Db, rows: &[ApplicationRow]) -> Result<()> {
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        for chunk in insert_chunks(rows, 9) {
            let sql = format!(
                "INSERT INTO applications (id, person_id, kind, organization_id, message, status, created_at, decided_at, decided_by) VALUES {}",
                values_placeholders(chunk.len(), 9)
            );
            let mut q = sqlx::query(&sql);
            for a in chunk {
                q = q.bind(a.id).bind(a.person_id).bind(&a.kind).bind(a.organization_id).bind(&a.message)
                    .bind(&a.status).bind(a.created_at).bind(a.decided_at).bind(a.decided_by);
            }
            q.execute(&mut *tx).await.map_err(StoreError::from_write)?;
        }
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}
