//! The whole district as one versioned document: read in a stable order, written back into an
//! empty database, so export → import → export gives the same document.

use crate::accounts::AccountRow;
use crate::clearing::{ClearingTransferRow, ConsentRow, LineRow, ParticipantRow, RoundRow};
use crate::directory::OrganizationRow;
use crate::ledger::invoices::{InvoiceEventRow, InvoiceRow};
use crate::ledger::requests::PaymentRequestRow;
use crate::ledger::{AuthorizationRow, LimitChangeRow, TransferRow};
use crate::membership::{ApplicationRow, DecisionRow, MembershipRow, PersonRow};
use crate::{Db, Result, StoreError, with_pool};

/// The document's format name.
pub const FORMAT: &str = "distretto-district";
/// The document's version; each capability that adds data bumps it and keeps reading older ones.
pub const VERSION: u32 = 12;

/// Rows read per query while exporting, so memory per query stays bounded.
const PAGE_ROWS: i64 = 5_000;

/// The district document. Sessions, tokens, invitations and throttle entries are transient
/// secrets and are not exported.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistrictDocument {
    pub format: String,
    pub version: u32,
    pub organizations: Vec<OrganizationRow>,
    pub people: Vec<PersonRow>,
    pub memberships: Vec<MembershipRow>,
    pub applications: Vec<ApplicationRow>,
    pub membership_decisions: Vec<DecisionRow>,
    pub accounts: Vec<AccountRow>,
    /// The journal, in sequence order, with its hash chain (version 2).
    #[serde(default)]
    pub transfers: Vec<TransferRow>,
    #[serde(default)]
    pub payment_requests: Vec<PaymentRequestRow>,
    #[serde(default)]
    pub invoices: Vec<InvoiceRow>,
    #[serde(default)]
    pub invoice_events: Vec<InvoiceEventRow>,
    #[serde(default)]
    pub limit_changes: Vec<LimitChangeRow>,
    #[serde(default)]
    pub account_authorizations: Vec<AuthorizationRow>,
    /// Clearing (version 3): standing consents, rounds, participants, lines (the set-off
    /// records) and the transfers of credit-assisted rounds.
    #[serde(default)]
    pub clearing_consents: Vec<ConsentRow>,
    #[serde(default)]
    pub clearing_rounds: Vec<RoundRow>,
    #[serde(default)]
    pub clearing_participants: Vec<ParticipantRow>,
    #[serde(default)]
    pub clearing_lines: Vec<LineRow>,
    #[serde(default)]
    pub clearing_transfers: Vec<ClearingTransferRow>,
    /// Solidarity purchasing (version 4): catalogues with photos, pickup points, order cycles
    /// with orders, deliveries and settlements, and seasonal subscriptions.
    #[serde(default)]
    pub purchasing: crate::purchasing::PurchasingData,
    /// Democratic governance (version 5): bodies, colleges, proposals with comments, frozen
    /// electorates, proxies and ballots (open ballots with voters; secret ones split into a
    /// register and a ballot box that nothing joins).
    #[serde(default)]
    pub governance: crate::governance::GovernanceData,
    /// Notifications (version 5), read and unread, with whether their e-mail went out.
    #[serde(default)]
    pub notifications: Vec<crate::notifications::NotificationRow>,
    /// Default credit limits decided by the assembly (version 5).
    #[serde(default)]
    pub default_limits: Vec<crate::ledger::DefaultLimitRow>,
    /// Offers and needs (version 6), their take-ups, references and the match notices sent.
    #[serde(default)]
    pub market_listings: crate::market::listings::ListingsData,
    /// Shared resources and their bookings (version 6).
    #[serde(default)]
    pub market_resources: crate::market::resources::ResourcesData,
    #[serde(default)]
    pub federation: crate::federation::FederationData,
    /// Impact surveys and saved relocalisation scenarios (version 11).
    #[serde(default)]
    pub impact: crate::impact::saved::ImpactData,
    /// The audit log (version 12), with its hash chain, so a moved district keeps its history.
    #[serde(default)]
    pub audit: Vec<crate::audit::AuditRow>,
}

/// Reads a whole table in pages ordered by `order`, keyed by offset (the table does not change
/// during an export taken from a quiet server; a busy one should be backed up instead).
pub(crate) async fn read_all<T>(db: &Db, sql_without_paging: &str) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    let mut out = Vec::new();
    // Bounded: a district of 100 million rows per table is far beyond any real one.
    for page in 0..20_000i64 {
        let sql = format!(
            "{sql_without_paging} LIMIT {PAGE_ROWS} OFFSET {}",
            page * PAGE_ROWS
        );
        let rows: Vec<T> =
            with_pool!(db.read(), pool => sqlx::query_as::<_, T>(&sql).fetch_all(pool).await)?;
        let done = (rows.len() as i64) < PAGE_ROWS;
        out.extend(rows);
        if done {
            break;
        }
    }
    Ok(out)
}

/// Exports the district.
pub async fn export(db: &Db) -> Result<DistrictDocument> {
    let (
        clearing_consents,
        clearing_rounds,
        clearing_participants,
        clearing_lines,
        clearing_transfers,
    ) = crate::clearing::export(db).await?;
    Ok(DistrictDocument {
        clearing_consents,
        clearing_rounds,
        clearing_participants,
        clearing_lines,
        clearing_transfers,
        purchasing: crate::purchasing::export(db).await?,
        governance: crate::governance::export(db).await?,
        notifications: crate::notifications::export(db).await?,
        default_limits: crate::ledger::default_limits(db).await?,
        market_listings: crate::market::listings::export(db).await?,
        market_resources: crate::market::resources::export(db).await?,
        federation: crate::federation::export(db).await?,
        impact: crate::impact::saved::export(db).await?,
        audit: crate::audit::export(db).await?,
        format: FORMAT.into(),
        version: VERSION,
        organizations: read_all(db, "SELECT id, name, kind, legal_form, sector, description, website, contact_email, phone, address, postcode, locality, lat, lon, founded_year, workers_fte_hundredths, volunteers, status, charter_version, charter_signed_at, created_at, updated_at FROM organizations ORDER BY id").await?,
        people: read_all(db, "SELECT id, email, name, password_hash, role, membership_status, locale, phone, bio, locality, created_at, updated_at FROM people ORDER BY id").await?,
        memberships: read_all(db, "SELECT person_id, organization_id, role, created_at FROM memberships ORDER BY person_id, organization_id").await?,
        applications: read_all(db, "SELECT id, person_id, kind, organization_id, message, status, created_at, decided_at, decided_by FROM applications ORDER BY id").await?,
        membership_decisions: read_all(db, "SELECT id, subject_kind, subject_id, application_id, decision, reason, decided_by, decided_at FROM membership_decisions ORDER BY id").await?,
        accounts: read_all(db, &format!("SELECT {} FROM accounts ORDER BY id", crate::accounts::ACCOUNT_COLUMNS)).await?,
        transfers: read_all(db, &format!("SELECT {} FROM transfers ORDER BY seq", crate::ledger::TRANSFER_COLUMNS)).await?,
        payment_requests: read_all(db, "SELECT id, payee, payer, amount_minor, memo, status, transfer_id, created_by, created_at, decided_at FROM payment_requests ORDER BY id").await?,
        invoices: read_all(db, "SELECT id, number, creditor, debtor, currency, amount_minor, paid_minor, set_off_minor, description, status, due_on, dispute_reason, created_by, created_at, updated_at FROM invoices ORDER BY id").await?,
        invoice_events: read_all(db, "SELECT id, invoice_id, action, amount_minor, transfer_id, note, actor, created_at FROM invoice_events ORDER BY id").await?,
        limit_changes: read_all(db, "SELECT id, account_id, old_credit_limit_minor, old_upper_limit_minor, credit_limit_minor, upper_limit_minor, reason, changed_by, decision_ref, created_at FROM limit_changes ORDER BY id").await?,
        account_authorizations: read_all(db, "SELECT account_id, person_id, granted_by, created_at FROM account_authorizations ORDER BY account_id, person_id").await?,
    })
}

/// Why an import was refused.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Not a district document, or one from a newer version.
    #[error("not a {FORMAT} document of version 1 to {VERSION}")]
    Format,
    /// The target database already holds a district.
    #[error("the target database is not empty")]
    NotEmpty,
    /// The store failed before any part was written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The store refused a part of the document (`people`, `transfers`…): the parts before it
    /// are written, each part on its own.
    #[error("the document's {part} could not be written")]
    Part {
        /// The document's part, as named in it.
        part: &'static str,
        /// What the store said.
        source: StoreError,
    },
}

/// Names the part of the document a store error came from.
fn part(part: &'static str) -> impl FnOnce(StoreError) -> ImportError {
    move |source| ImportError::Part { part, source }
}

/// The accounts of a version-1 document (which had no limits yet) with their holders' default
/// limits at two decimals (the only scale then), and the district's two accounts told apart as
/// migration 0004 does: the lower id is the fund.
fn with_default_limits(doc: &DistrictDocument) -> Vec<AccountRow> {
    use distretto_domain::directory::OrganizationKind;
    use distretto_domain::ledger::{LimitHolder, default_limits};
    let kinds: std::collections::HashMap<uuid::Uuid, Option<OrganizationKind>> = doc
        .organizations
        .iter()
        .map(|o| (o.id, OrganizationKind::parse(&o.kind)))
        .collect();
    let mut district: Vec<uuid::Uuid> = doc
        .accounts
        .iter()
        .filter(|a| a.owner_kind == "district")
        .map(|a| a.id)
        .collect();
    district.sort_unstable();
    doc.accounts
        .iter()
        .map(|a| {
            let holder = match (a.owner_kind.as_str(), a.owner_id) {
                ("person", _) => LimitHolder::Person,
                ("organization", Some(id)) => match kinds.get(&id) {
                    Some(Some(kind)) => LimitHolder::Organization(*kind),
                    _ => LimitHolder::District,
                },
                _ => LimitHolder::District,
            };
            let limits = default_limits(holder, 100);
            let purpose = match district.iter().position(|id| *id == a.id) {
                Some(0) => Some("fund".to_owned()),
                Some(1) => Some("fees".to_owned()),
                _ => a.purpose.clone(),
            };
            AccountRow {
                credit_limit_minor: limits.credit_limit_minor,
                upper_limit_minor: limits.upper_limit_minor,
                purpose,
                ..a.clone()
            }
        })
        .collect()
}

/// Imports a document into an empty database, in dependency order.
pub async fn import(db: &Db, doc: &DistrictDocument) -> Result<(), ImportError> {
    if doc.format != FORMAT || doc.version == 0 || doc.version > VERSION {
        return Err(ImportError::Format);
    }
    if !db.is_empty().await? || !crate::audit::is_empty(db).await? {
        return Err(ImportError::NotEmpty);
    }
    crate::directory::insert_organizations(db, &doc.organizations)
        .await
        .map_err(part("organizations"))?;
    crate::membership::insert_people(db, &doc.people)
        .await
        .map_err(part("people"))?;
    crate::membership::insert_memberships(db, &doc.memberships)
        .await
        .map_err(part("memberships"))?;
    crate::membership::insert_applications(db, &doc.applications)
        .await
        .map_err(part("applications"))?;
    crate::membership::insert_decisions(db, &doc.membership_decisions)
        .await
        .map_err(part("membership_decisions"))?;
    // A server started on the empty database opened the district's fund and fees accounts;
    // the document brings its own.
    crate::accounts::remove_unused_district_accounts(db)
        .await
        .map_err(part("accounts"))?;
    if doc.version == 1 {
        crate::accounts::insert_accounts(db, &with_default_limits(doc))
            .await
            .map_err(part("accounts"))?;
    } else {
        crate::accounts::insert_accounts(db, &doc.accounts)
            .await
            .map_err(part("accounts"))?;
    }
    crate::ledger::bulk::insert_journal(db, &doc.transfers)
        .await
        .map_err(part("transfers"))?;
    crate::ledger::requests::insert_requests(db, &doc.payment_requests)
        .await
        .map_err(part("payment_requests"))?;
    crate::ledger::invoices::insert_invoices(db, &doc.invoices)
        .await
        .map_err(part("invoices"))?;
    crate::ledger::invoices::insert_events(db, &doc.invoice_events)
        .await
        .map_err(part("invoice_events"))?;
    crate::ledger::insert_limit_changes(db, &doc.limit_changes)
        .await
        .map_err(part("limit_changes"))?;
    crate::ledger::insert_authorizations(db, &doc.account_authorizations)
        .await
        .map_err(part("account_authorizations"))?;
    crate::clearing::insert_consents(db, &doc.clearing_consents)
        .await
        .map_err(part("clearing_consents"))?;
    crate::clearing::insert_rounds(db, &doc.clearing_rounds)
        .await
        .map_err(part("clearing_rounds"))?;
    crate::clearing::insert_participants(db, &doc.clearing_participants)
        .await
        .map_err(part("clearing_participants"))?;
    crate::clearing::insert_lines(db, &doc.clearing_lines)
        .await
        .map_err(part("clearing_lines"))?;
    crate::clearing::insert_transfers(db, &doc.clearing_transfers)
        .await
        .map_err(part("clearing_transfers"))?;
    crate::purchasing::import(db, &doc.purchasing)
        .await
        .map_err(part("purchasing"))?;
    crate::governance::import(db, &doc.governance)
        .await
        .map_err(part("governance"))?;
    crate::notifications::insert(db, &doc.notifications)
        .await
        .map_err(part("notifications"))?;
    crate::ledger::insert_default_limits(db, &doc.default_limits)
        .await
        .map_err(part("default_limits"))?;
    crate::market::listings::import(db, &doc.market_listings)
        .await
        .map_err(part("market_listings"))?;
    crate::market::resources::import(db, &doc.market_resources)
        .await
        .map_err(part("market_resources"))?;
    crate::federation::import(db, &doc.federation)
        .await
        .map_err(part("federation"))?;
    crate::impact::saved::import(db, &doc.impact)
        .await
        .map_err(part("impact"))?;
    crate::audit::import(db, &doc.audit)
        .await
        .map_err(part("audit"))?;
    Ok(())
}
