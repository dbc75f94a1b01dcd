//! People, their memberships in organisations, applications to join, the decision log and invitations.

use crate::{Db, Result, StoreError, values_placeholders, with_pool};
use time::OffsetDateTime;
use uuid::Uuid;

/// A person as stored (the password hash never leaves the store's callers' services).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct PersonRow {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: String,
    pub membership_status: String,
    pub locale: Option<String>,
    pub phone: Option<String>,
    pub bio: String,
    pub locality: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

const PERSON_COLUMNS: &str = "id, email, name, password_hash, role, membership_status, locale, phone, bio, locality, created_at, updated_at";

/// Inserts people in multi-row batches inside one transaction; a taken e-mail → [`StoreError::Conflict`].
pub async fn insert_people(db: &Db, rows: &[PersonRow]) -> Result<()> {
    crate::insert_table!(db, rows, 12, people_sql, |q, r| bind_person!(q, r))
}

/// The multi-row `INSERT` for `rows` people.
pub(crate) fn people_sql(rows: usize) -> String {
    format!(
        "INSERT INTO people ({PERSON_COLUMNS}) VALUES {}",
        values_placeholders(rows, 12)
    )
}

/// Binds one person's 12 insert values, in [`people_sql`] column order.
macro_rules! bind_person {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(&r.email)
            .bind(&r.name)
            .bind(&r.password_hash)
            .bind(&r.role)
            .bind(&r.membership_status)
            .bind(&r.locale)
            .bind(&r.phone)
            .bind(&r.bio)
            .bind(&r.locality)
            .bind(r.created_at)
            .bind(r.updated_at)
    }};
}
pub(crate) use bind_person;

/// A person by id.
pub async fn person(db: &Db, id: Uuid) -> Result<PersonRow> {
    let sql = format!("SELECT {PERSON_COLUMNS} FROM people WHERE id = $1");
    with_pool!(db.read(), pool => sqlx::query_as::<_, PersonRow>(&sql).bind(id).fetch_optional(pool).await)?
        .ok_or(StoreError::NotFound)
}

/// A person by normalised e-mail.
pub async fn person_by_email(db: &Db, email: &str) -> Result<Option<PersonRow>> {
    let sql = format!("SELECT {PERSON_COLUMNS} FROM people WHERE email = $1");
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, PersonRow>(&sql).bind(email).fetch_optional(pool).await)?,
    )
}

/// The fields a person edits on their own profile.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonProfile {
    pub name: String,
    pub locale: Option<String>,
    pub phone: Option<String>,
    pub bio: String,
    pub locality: String,
}

/// Updates the fields a person edits on their profile.
pub async fn update_person_profile(
    db: &Db,
    id: Uuid,
    p: &PersonProfile,
    now: OffsetDateTime,
) -> Result<()> {
    let done = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE people SET name = $2, locale = $3, phone = $4, bio = $5, locality = $6, updated_at = $7 WHERE id = $1")
        .bind(id).bind(&p.name).bind(&p.locale).bind(&p.phone).bind(&p.bio).bind(&p.locality).bind(now)
        .execute(pool).await.map(|r| r.rows_affected()))?;
    if done == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// A person's link to an organisation.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct MembershipRow {
    pub person_id: Uuid,
    pub organization_id: Uuid,
    pub role: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Inserts memberships in batches; an existing (person, organisation) pair keeps its role.
pub async fn insert_memberships(db: &Db, rows: &[MembershipRow]) -> Result<()> {
    crate::insert_table!(db, rows, 4, memberships_sql, |q, r| bind_membership!(q, r))
}

/// The multi-row `INSERT` for `rows` memberships (an existing pair keeps its role).
pub(crate) fn memberships_sql(rows: usize) -> String {
    format!(
        "INSERT INTO memberships (person_id, organization_id, role, created_at) VALUES {} \
         ON CONFLICT (person_id, organization_id) DO NOTHING",
        values_placeholders(rows, 4)
    )
}

/// Binds one membership's 4 insert values.
macro_rules! bind_membership {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.person_id)
            .bind(r.organization_id)
            .bind(&r.role)
            .bind(r.created_at)
    }};
}
pub(crate) use bind_membership;

/// A person's organisations with their role there, and the organisation's name and status.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PersonOrganization {
    pub organization_id: Uuid,
    pub name: String,
    pub status: String,
    pub role: String,
}

/// The organisations a person belongs to (bounded: a person is in few).
pub async fn organizations_of(db: &Db, person_id: Uuid) -> Result<Vec<PersonOrganization>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, PersonOrganization>(
        "SELECT m.organization_id, o.name, o.status, m.role FROM memberships m \
         JOIN organizations o ON o.id = m.organization_id WHERE m.person_id = $1 ORDER BY o.sort_name LIMIT 100")
        .bind(person_id).fetch_all(pool).await)?,
    )
}

/// A member of an organisation as its profile shows them: name and role, no e-mail.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OrganizationMember {
    pub person_id: Uuid,
    pub name: String,
    pub role: String,
}

/// The members of an organisation (admins first), bounded.
pub async fn members_of(
    db: &Db,
    organization_id: Uuid,
    limit: u32,
) -> Result<Vec<OrganizationMember>> {
    let sql = format!(
        "SELECT m.person_id, p.name, m.role FROM memberships m JOIN people p ON p.id = m.person_id \
         WHERE m.organization_id = $1 ORDER BY m.role, p.name LIMIT {limit}"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, OrganizationMember>(&sql).bind(organization_id).fetch_all(pool).await)?,
    )
}

/// The role a person has in an organisation, if any.
pub async fn member_role(
    db: &Db,
    person_id: Uuid,
    organization_id: Uuid,
) -> Result<Option<String>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_scalar::<_, String>(
        "SELECT role FROM memberships WHERE person_id = $1 AND organization_id = $2")
        .bind(person_id).bind(organization_id).fetch_optional(pool).await)?,
    )
}

/// An application to join.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ApplicationRow {
    pub id: Uuid,
    pub person_id: Uuid,
    pub kind: String,
    pub organization_id: Option<Uuid>,
    pub message: String,
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    pub decided_by: Option<Uuid>,
}

const APPLICATION_COLUMNS: &str =
    "id, person_id, kind, organization_id, message, status, created_at, decided_at, decided_by";

/// An application with the applicant's and organisation's names, for the review list.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ApplicationView {
    pub id: Uuid,
    pub person_id: Uuid,
    pub person_name: String,
    pub person_email: String,
    pub kind: String,
    pub organization_id: Option<Uuid>,
    pub organization_name: Option<String>,
    pub message: String,
    pub status: String,
    pub created_at: OffsetDateTime,
}

/// Records an application; with a new organisation, inserts it as `pending` in the same transaction
/// (its applicant becomes its admin).
pub async fn insert_application(
    db: &Db,
    app: &ApplicationRow,
    new_org: Option<&crate::directory::OrganizationRow>,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO applications ({APPLICATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    );
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        if let Some(org) = new_org {
            let org_sql = crate::directory::insert_sql(1);
            let q = sqlx::query(&org_sql);
            crate::directory::bind_organization!(q, org).execute(&mut *tx).await.map_err(StoreError::from_write)?;
        }
        sqlx::query(&sql).bind(app.id).bind(app.person_id).bind(&app.kind).bind(app.organization_id)
            .bind(&app.message).bind(&app.status).bind(app.created_at).bind(app.decided_at).bind(app.decided_by)
            .execute(&mut *tx).await.map_err(StoreError::from_write)?;
        if app.kind == "individual" {
            sqlx::query("UPDATE people SET membership_status = 'pending' WHERE id = $1 AND membership_status IN ('registered', 'rejected')")
                .bind(app.person_id).execute(&mut *tx).await?;
        }
        if let Some(org) = new_org {
            sqlx::query("INSERT INTO memberships (person_id, organization_id, role, created_at) VALUES ($1, $2, 'admin', $3)")
                .bind(app.person_id).bind(org.id).bind(app.created_at).execute(&mut *tx).await.map_err(StoreError::from_write)?;
        }
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// An application by id.
pub async fn application(db: &Db, id: Uuid) -> Result<ApplicationRow> {
    let sql = format!("SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = $1");
    with_pool!(db.read(), pool => sqlx::query_as::<_, ApplicationRow>(&sql).bind(id).fetch_optional(pool).await)?
        .ok_or(StoreError::NotFound)
}

/// Applications, newest first, optionally only one status or one applicant's; bounded page.
pub async fn applications(
    db: &Db,
    status: Option<&str>,
    person_id: Option<Uuid>,
    limit: u32,
    offset: u64,
) -> Result<(Vec<ApplicationView>, i64)> {
    let filter = "($1 IS NULL OR a.status = $1) AND ($2 IS NULL OR a.person_id = $2)";
    let sql = format!(
        "SELECT a.id, a.person_id, p.name AS person_name, p.email AS person_email, a.kind, a.organization_id, \
         o.name AS organization_name, a.message, a.status, a.created_at FROM applications a \
         JOIN people p ON p.id = a.person_id LEFT JOIN organizations o ON o.id = a.organization_id \
         WHERE {filter} ORDER BY a.created_at DESC, a.id LIMIT {limit} OFFSET {offset}"
    );
    let count_sql = format!("SELECT COUNT(*) FROM applications a WHERE {filter}");
    with_pool!(db.read(), pool => {
        let items = sqlx::query_as::<_, ApplicationView>(&sql).bind(status).bind(person_id).fetch_all(pool).await?;
        let total: i64 = sqlx::query_scalar(&count_sql).bind(status).bind(person_id).fetch_one(pool).await?;
        Ok((items, total))
    })
}

/// One entry of the decision log.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct DecisionRow {
    pub id: Uuid,
    pub subject_kind: String,
    pub subject_id: Uuid,
    pub application_id: Option<Uuid>,
    pub decision: String,
    pub reason: String,
    pub decided_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub decided_at: OffsetDateTime,
}

/// A decision log entry with names, for pages.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DecisionView {
    pub id: Uuid,
    pub subject_kind: String,
    pub subject_id: Uuid,
    pub subject_name: Option<String>,
    pub decision: String,
    pub reason: String,
    pub decided_by_name: Option<String>,
    pub decided_at: OffsetDateTime,
}

/// What a decision changes, applied atomically with its log entry.
#[derive(Debug, Clone)]
pub struct DecisionEffect {
    /// The log entry to append.
    pub log: DecisionRow,
    /// New person membership status, if the subject is a person.
    pub person_status: Option<String>,
    /// New organisation status (and whether the charter is signed now), if the subject is one.
    pub organization_status: Option<(Uuid, String, bool)>,
    /// For an application: its new status.
    pub application_status: Option<String>,
    /// For admitting someone into an existing organisation: the membership to create.
    pub membership: Option<MembershipRow>,
    /// Accounts to open (on admission).
    pub open_accounts: Vec<crate::accounts::AccountRow>,
    /// The charter version signed, when an organisation is admitted.
    pub charter_version: Option<String>,
}

/// Applies a decision and appends its log entry in one transaction. For an application, the
/// update is conditional on it still being `pending`, so two coordinators cannot both decide:
/// the second gets [`StoreError::Conflict`] and nothing changes.
pub async fn apply_decision(db: &Db, effect: &DecisionEffect) -> Result<()> {
    let log = &effect.log;
    let pg = db.backend() == "postgres";
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        if let (Some(app_id), Some(status)) = (log.application_id, &effect.application_status) {
            let done = sqlx::query("UPDATE applications SET status = $2, decided_at = $3, decided_by = $4 WHERE id = $1 AND status = 'pending'")
                .bind(app_id).bind(status).bind(log.decided_at).bind(log.decided_by).execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict);
            }
        }
        if let Some(status) = &effect.person_status {
            sqlx::query("UPDATE people SET membership_status = $2, updated_at = $3 WHERE id = $1")
                .bind(log.subject_id).bind(status).bind(log.decided_at).execute(&mut *tx).await?;
        }
        if let Some((org_id, status, sign_charter)) = &effect.organization_status {
            if *sign_charter {
                sqlx::query("UPDATE organizations SET status = $2, updated_at = $3, charter_version = $4, charter_signed_at = $3 WHERE id = $1")
                    .bind(org_id).bind(status).bind(log.decided_at).bind(&effect.charter_version).execute(&mut *tx).await?;
            } else {
                sqlx::query("UPDATE organizations SET status = $2, updated_at = $3 WHERE id = $1")
                    .bind(org_id).bind(status).bind(log.decided_at).execute(&mut *tx).await?;
            }
        }
        if let Some(m) = &effect.membership {
            sqlx::query("INSERT INTO memberships (person_id, organization_id, role, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (person_id, organization_id) DO NOTHING")
                .bind(m.person_id).bind(m.organization_id).bind(&m.role).bind(m.created_at).execute(&mut *tx).await?;
        }
        for a in &effect.open_accounts {
            sqlx::query("INSERT INTO accounts (id, owner_kind, owner_id, currency, created_at, credit_limit_minor, upper_limit_minor) \
                         SELECT $1, $2, $3, $4, $5, $6, $7 WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE owner_kind = $2 AND owner_id = $3 AND currency = $4)")
                .bind(a.id).bind(&a.owner_kind).bind(a.owner_id).bind(&a.currency).bind(a.created_at)
                .bind(a.credit_limit_minor).bind(a.upper_limit_minor).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO membership_decisions (id, subject_kind, subject_id, application_id, decision, reason, decided_by, decided_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(log.id).bind(&log.subject_kind).bind(log.subject_id).bind(log.application_id).bind(&log.decision)
            .bind(&log.reason).bind(log.decided_by).bind(log.decided_at).execute(&mut *tx).await?;
        crate::audit::append_in(&mut tx, pg, vec![crate::audit::membership_decided(effect)]).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// Inserts decision log entries as they are (demo and import).
pub async fn insert_decisions(db: &Db, rows: &[DecisionRow]) -> Result<()> {
    crate::insert_table!(db, rows, 8, decisions_sql, |q, r| bind_decision!(q, r))
}

/// The multi-row `INSERT` for `rows` decision log entries.
pub(crate) fn decisions_sql(rows: usize) -> String {
    format!(
        "INSERT INTO membership_decisions (id, subject_kind, subject_id, application_id, decision, reason, decided_by, decided_at) VALUES {}",
        values_placeholders(rows, 8)
    )
}

/// Binds one decision's 8 insert values.
macro_rules! bind_decision {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(&r.subject_kind)
            .bind(r.subject_id)
            .bind(r.application_id)
            .bind(&r.decision)
            .bind(&r.reason)
            .bind(r.decided_by)
            .bind(r.decided_at)
    }};
}
pub(crate) use bind_decision;

/// Inserts applications as they are (demo and import).
pub async fn insert_applications(db: &Db, rows: &[ApplicationRow]) -> Result<()> {
    crate::insert_table!(db, rows, 9, applications_sql, |q, r| bind_application!(
        q, r
    ))
}

/// The multi-row `INSERT` for `rows` applications.
pub(crate) fn applications_sql(rows: usize) -> String {
    format!(
        "INSERT INTO applications ({APPLICATION_COLUMNS}) VALUES {}",
        values_placeholders(rows, 9)
    )
}

/// Binds one application's 9 insert values, in `APPLICATION_COLUMNS` order.
macro_rules! bind_application {
    ($q:expr, $r:expr) => {{
        let a = $r;
        $q.bind(a.id)
            .bind(a.person_id)
            .bind(&a.kind)
            .bind(a.organization_id)
            .bind(&a.message)
            .bind(&a.status)
            .bind(a.created_at)
            .bind(a.decided_at)
            .bind(a.decided_by)
    }};
}
pub(crate) use bind_application;

/// The decision log, newest first, with names; bounded page.
pub async fn decisions(db: &Db, limit: u32, offset: u64) -> Result<(Vec<DecisionView>, i64)> {
    let sql = format!(
        "SELECT d.id, d.subject_kind, d.subject_id, COALESCE(o.name, p.name) AS subject_name, d.decision, d.reason, \
         c.name AS decided_by_name, d.decided_at FROM membership_decisions d \
         LEFT JOIN organizations o ON d.subject_kind = 'organization' AND o.id = d.subject_id \
         LEFT JOIN people p ON d.subject_kind = 'person' AND p.id = d.subject_id \
         LEFT JOIN people c ON c.id = d.decided_by ORDER BY d.decided_at DESC, d.id LIMIT {limit} OFFSET {offset}"
    );
    with_pool!(db.read(), pool => {
        let items = sqlx::query_as::<_, DecisionView>(&sql).fetch_all(pool).await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM membership_decisions").fetch_one(pool).await?;
        Ok((items, total))
    })
}

/// An invitation to join an organisation, by link.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct InvitationRow {
    pub token_hash: String,
    pub organization_id: Uuid,
    pub created_by: Uuid,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub accepted_by: Option<Uuid>,
    pub accepted_at: Option<OffsetDateTime>,
}

/// Stores a new invitation.
pub async fn insert_invitation(db: &Db, inv: &InvitationRow) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "INSERT INTO invitations (token_hash, organization_id, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&inv.token_hash).bind(inv.organization_id).bind(inv.created_by).bind(inv.created_at).bind(inv.expires_at)
        .execute(pool).await.map(|r| r.rows_affected())).map_err(StoreError::from_write)?;
    Ok(())
}

/// An invitation by the hash of its token.
pub async fn invitation(db: &Db, token_hash: &str) -> Result<InvitationRow> {
    with_pool!(db.read(), pool => sqlx::query_as::<_, InvitationRow>(
        "SELECT token_hash, organization_id, created_by, created_at, expires_at, accepted_by, accepted_at FROM invitations WHERE token_hash = $1")
        .bind(token_hash).fetch_optional(pool).await)?.ok_or(StoreError::NotFound)
}

/// Accepts an invitation once: marks it used and adds the membership, atomically. A used or
/// expired invitation → [`StoreError::Conflict`].
pub async fn accept_invitation(
    db: &Db,
    token_hash: &str,
    person_id: Uuid,
    now: OffsetDateTime,
) -> Result<Uuid> {
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        let org: Option<Uuid> = sqlx::query_scalar(
            "UPDATE invitations SET accepted_by = $2, accepted_at = $3 WHERE token_hash = $1 AND accepted_by IS NULL AND expires_at > $3 RETURNING organization_id")
            .bind(token_hash).bind(person_id).bind(now).fetch_optional(&mut *tx).await?;
        let Some(org) = org else { return Err(StoreError::Conflict) };
        sqlx::query("INSERT INTO memberships (person_id, organization_id, role, created_at) VALUES ($1, $2, 'member', $3) ON CONFLICT (person_id, organization_id) DO NOTHING")
            .bind(person_id).bind(org).bind(now).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(org)
    })
}

/// Recent admissions, newest first, with names and no reasons (safe for the public home page).
pub async fn recent_admissions(db: &Db, limit: u32) -> Result<Vec<DecisionView>> {
    let sql = format!(
        "SELECT d.id, d.subject_kind, d.subject_id, COALESCE(o.name, p.name) AS subject_name, d.decision, '' AS reason, \
         NULL AS decided_by_name, d.decided_at FROM membership_decisions d \
         LEFT JOIN organizations o ON d.subject_kind = 'organization' AND o.id = d.subject_id AND o.status = 'active' \
         LEFT JOIN people p ON d.subject_kind = 'person' AND p.id = d.subject_id AND p.membership_status = 'member' \
         WHERE d.decision = 'admit' AND COALESCE(o.name, p.name) IS NOT NULL \
         ORDER BY d.decided_at DESC, d.id LIMIT {limit}"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, DecisionView>(&sql).fetch_all(pool).await)?,
    )
}

/// A person as coordinators see them in the people list.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PersonSummary {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: String,
    pub membership_status: String,
}

/// People whose name or e-mail contains `q` (case-insensitive), by name; bounded page.
pub async fn search_people(
    db: &Db,
    q: &str,
    limit: u32,
    offset: u64,
) -> Result<(Vec<PersonSummary>, i64)> {
    let pattern = distretto_domain::text::like_contains(&q.trim().to_lowercase());
    let filter = "(LOWER(name) LIKE $1 ESCAPE '\\' OR email LIKE $1 ESCAPE '\\')";
    let sql = format!(
        "SELECT id, name, email, role, membership_status FROM people WHERE {filter} ORDER BY name, id LIMIT {limit} OFFSET {offset}"
    );
    let count_sql = format!("SELECT COUNT(*) FROM people WHERE {filter}");
    with_pool!(db.read(), pool => {
        let items = sqlx::query_as::<_, PersonSummary>(&sql).bind(&pattern).fetch_all(pool).await?;
        let total: i64 = sqlx::query_scalar(&count_sql).bind(&pattern).fetch_one(pool).await?;
        Ok((items, total))
    })
}
