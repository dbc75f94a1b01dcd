//! Democratic governance: bodies and their electorates, proposals with their deliberation,
//! proxies, ballots and the close. The domain decides choices and tallies; this module keeps
//! the rules the database must enforce itself: one counted ballot per voter per proposal (the
//! primary keys), the electorate frozen when voting opens, a vote racing the close counted
//! before it or refused, and a secret choice that nothing joins to a name.

pub mod participation;

use crate::export::read_all;
use crate::{Db, Result, StoreError, with_pool};
use time::OffsetDateTime;
use uuid::Uuid;

/// The most rows one list holds (bodies, proposals of a body, comments, ballots, voters).
pub const MAX_ROWS: i64 = 100_000;

const BODY_COLUMNS: &str = "id, name, description, electorate, max_proxies, created_by, created_at";
pub(crate) const PROPOSAL_COLUMNS: &str = "id, body_id, number, title, text, author_id, status, method, options, threshold, quorum_percent, seats, max_approvals, max_score, secret, opens_at, closes_at, created_at, updated_at, outcome, tally, closed_at, minutes, effect, effect_status, effect_note, budget_minor";
const COMMENT_COLUMNS: &str = "id, proposal_id, parent_id, author_id, text, created_at";
const PROXY_COLUMNS: &str = "id, body_id, proposal_id, giver_id, holder_id, created_at, revoked_at";

/// A body that decides: the district assembly, a working group, a multi-stakeholder council.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct BodyRow {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// `people`, `organizations` or `colleges`.
    pub electorate: String,
    pub max_proxies: i32,
    pub created_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A college of a multi-stakeholder body.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct CollegeRow {
    pub id: Uuid,
    pub body_id: Uuid,
    pub name: String,
    pub weight: i32,
}

/// A listed voter of a `colleges` body.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct BodyVoterRow {
    pub body_id: Uuid,
    pub voter_id: Uuid,
    /// `person` or `organization`.
    pub voter_kind: String,
    pub college_id: Uuid,
}

/// Who casts an organisation's vote in a body.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct RepresentativeRow {
    pub body_id: Uuid,
    pub organization_id: Uuid,
    pub person_id: Uuid,
}

/// A proposal and, once closed, its outcome and tally.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ProposalRow {
    pub id: Uuid,
    pub body_id: Uuid,
    pub number: i64,
    pub title: String,
    pub text: String,
    pub author_id: Uuid,
    /// `draft`, `deliberation`, `voting`, `closed` or `withdrawn`.
    pub status: String,
    pub method: String,
    /// The options' labels, a JSON array.
    pub options: String,
    pub threshold: String,
    pub quorum_percent: i32,
    pub seats: i32,
    pub max_approvals: Option<i32>,
    pub max_score: i32,
    pub secret: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub opens_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closes_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub outcome: Option<String>,
    pub tally: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    pub minutes: String,
    /// The decision's effect as JSON, applied once if it passes.
    pub effect: Option<String>,
    /// `none`, `pending`, `applying`, `applied`, `failed` or `void`.
    pub effect_status: String,
    /// Why an effect failed (an error code).
    pub effect_note: String,
    /// A participatory budget's amount.
    pub budget_minor: Option<i64>,
}

/// A project submitted to a participatory budget.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ProjectRow {
    pub id: Uuid,
    pub proposal_id: Uuid,
    pub title: String,
    pub description: String,
    pub cost_minor: i64,
    pub account_id: Uuid,
    pub submitted_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
    /// `submitted`, `eligible` or `ineligible`.
    pub status: String,
    pub review_note: String,
    pub option_index: Option<i32>,
    pub selected: bool,
    pub greedy_selected: bool,
}

/// A grant from the district fund that a passed decision makes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct GrantRow {
    pub id: Uuid,
    pub proposal_id: Uuid,
    pub account_id: Uuid,
    pub amount_minor: i64,
    pub project_id: Option<Uuid>,
    pub memo: String,
    pub transfer_id: Option<Uuid>,
}

/// A proposed new version of a proposal's text.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct AmendmentRow {
    pub id: Uuid,
    pub proposal_id: Uuid,
    pub author_id: Uuid,
    pub text: String,
    /// Why, in a line.
    pub note: String,
    /// `open`, `accepted` or `declined`.
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
}

const AMENDMENT_COLUMNS: &str =
    "id, proposal_id, author_id, text, note, status, created_at, decided_at";

const PROJECT_COLUMNS: &str = "id, proposal_id, title, description, cost_minor, account_id, submitted_by, submitted_at, status, review_note, option_index, selected, greedy_selected";
const GRANT_COLUMNS: &str =
    "id, proposal_id, account_id, amount_minor, project_id, memo, transfer_id";

/// A comment of the deliberation, possibly answering another.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct CommentRow {
    pub id: Uuid,
    pub proposal_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub author_id: Uuid,
    pub text: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A voter of a proposal, frozen when voting opened.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ElectorRow {
    pub proposal_id: Uuid,
    pub voter_id: Uuid,
    pub voter_kind: String,
    pub college: i32,
}

/// A proxy given for a body, or for one proposal.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ProxyRow {
    pub id: Uuid,
    pub body_id: Uuid,
    pub proposal_id: Option<Uuid>,
    pub giver_id: Uuid,
    pub holder_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

/// An open ballot.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct BallotRow {
    pub proposal_id: Uuid,
    pub voter_id: Uuid,
    pub college: i32,
    /// The domain's choice as JSON.
    pub choice: String,
    /// The voter's own person, their organisation's representative, or a proxy holder.
    pub cast_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub cast_at: OffsetDateTime,
}

/// The register of a secret vote: who has voted, not how.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct RegisterRow {
    pub proposal_id: Uuid,
    pub voter_id: Uuid,
    pub cast_by: Uuid,
}

/// A secret ballot: a receipt code, a college and a choice, and no voter.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct SecretBallotRow {
    pub proposal_id: Uuid,
    pub receipt: String,
    pub college: i32,
    pub choice: String,
}

/// A counted ballot, open or secret, as a tally reads it: (college, choice JSON).
pub type Counted = (i32, String);

// ---------- bodies ----------

/// Creates a body with its colleges.
pub async fn create_body(db: &Db, body: &BodyRow, colleges: &[CollegeRow]) -> Result<()> {
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        crate::insert_rows!(tx, sqlite, std::slice::from_ref(body), 7, bodies_sql, |q, r| bind_body!(q, r));
        crate::insert_rows!(tx, sqlite, colleges, 4, colleges_sql, |q, r| bind_college!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// Every body, by name.
pub async fn bodies(db: &Db) -> Result<Vec<BodyRow>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_as::<_, BodyRow>(
        &format!("SELECT {BODY_COLUMNS} FROM gov_bodies ORDER BY name, id LIMIT $1"))
        .bind(MAX_ROWS).fetch_all(pool).await)?)
}

/// One body.
pub async fn body(db: &Db, id: Uuid) -> Result<BodyRow> {
    with_pool!(db.read(), pool => sqlx::query_as::<_, BodyRow>(
        &format!("SELECT {BODY_COLUMNS} FROM gov_bodies WHERE id = $1"))
        .bind(id).fetch_optional(pool).await)?
    .ok_or(StoreError::NotFound)
}

/// A body's colleges, by name: a voter's college number is its index in this list.
pub async fn colleges(db: &Db, body: Uuid) -> Result<Vec<CollegeRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, CollegeRow>(
        "SELECT id, body_id, name, weight FROM gov_colleges WHERE body_id = $1 ORDER BY name, id LIMIT 100")
        .bind(body).fetch_all(pool).await)?,
    )
}

/// Lists a voter in a college of a `colleges` body (moving them if listed already).
pub async fn set_voter(db: &Db, row: &BodyVoterRow) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "INSERT INTO gov_body_voters (body_id, voter_id, voter_kind, college_id) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (body_id, voter_id) DO UPDATE SET voter_kind = excluded.voter_kind, college_id = excluded.college_id")
        .bind(row.body_id).bind(row.voter_id).bind(&row.voter_kind).bind(row.college_id)
        .execute(pool).await.map(|_| ()).map_err(StoreError::from_write))?;
    Ok(())
}

/// Designates who casts an organisation's vote in a body.
pub async fn set_representative(db: &Db, row: &RepresentativeRow) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "INSERT INTO gov_representatives (body_id, organization_id, person_id) VALUES ($1, $2, $3) \
         ON CONFLICT (body_id, organization_id) DO UPDATE SET person_id = excluded.person_id")
        .bind(row.body_id).bind(row.organization_id).bind(row.person_id)
        .execute(pool).await.map(|_| ()).map_err(StoreError::from_write))?;
    Ok(())
}

/// The designated representatives of a body: (organisation, person, person's name).
pub async fn representatives(db: &Db, body: Uuid) -> Result<Vec<(Uuid, Uuid, String)>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT r.organization_id, r.person_id, p.name FROM gov_representatives r JOIN people p ON p.id = r.person_id \
         WHERE r.body_id = $1 ORDER BY r.organization_id LIMIT $2")
        .bind(body).bind(MAX_ROWS).fetch_all(pool).await)?)
}

/// The voters `person` may vote as in `body` by right (not by proxy): themselves, and the
/// organisations they represent (designated, or an admin of an active organisation nobody is
/// designated for). Each with its kind.
pub async fn own_voters(db: &Db, body: Uuid, person: Uuid) -> Result<Vec<(Uuid, String)>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT $2 AS voter_id, 'person' AS voter_kind \
         UNION SELECT r.organization_id, 'organization' FROM gov_representatives r WHERE r.body_id = $1 AND r.person_id = $2 \
         UNION SELECT m.organization_id, 'organization' FROM memberships m JOIN organizations o ON o.id = m.organization_id \
           WHERE m.person_id = $2 AND m.role = 'admin' AND o.status = 'active' \
           AND NOT EXISTS (SELECT 1 FROM gov_representatives r WHERE r.body_id = $1 AND r.organization_id = m.organization_id) \
         LIMIT 1000")
        .bind(body).bind(person).fetch_all(pool).await)?)
}

/// The query of the electorate a body has now: (voter, kind, college number), bound to the
/// body's id and a limit.
fn electorate_query(body: &BodyRow) -> &'static str {
    match body.electorate.as_str() {
        "people" => {
            "SELECT id, 'person', 0 FROM people WHERE membership_status = 'member' AND $1 = $1 ORDER BY id LIMIT $2"
        }
        "organizations" => {
            "SELECT id, 'organization', 0 FROM organizations WHERE status = 'active' AND $1 = $1 ORDER BY id LIMIT $2"
        }
        _ => {
            "SELECT v.voter_id, v.voter_kind, \
              CAST((SELECT COUNT(*) FROM gov_colleges c2 WHERE c2.body_id = c.body_id AND (c2.name < c.name OR (c2.name = c.name AND c2.id < c.id))) AS INTEGER) \
              FROM gov_body_voters v JOIN gov_colleges c ON c.id = v.college_id WHERE v.body_id = $1 ORDER BY v.voter_id LIMIT $2"
        }
    }
}

/// The electorate a body has now (what a proposal would freeze if its voting opened now).
pub async fn electorate_now(db: &Db, body: &BodyRow) -> Result<Vec<(Uuid, String, i32)>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as(electorate_query(body))
        .bind(body.id).bind(MAX_ROWS).fetch_all(pool).await)?,
    )
}

/// Active organisations, by name: (id, name), for choosing a college's voters.
pub async fn organisation_choices(db: &Db) -> Result<Vec<(Uuid, String)>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT id, name FROM organizations WHERE status = 'active' ORDER BY sort_name, id LIMIT 2000")
        .fetch_all(pool).await)?)
}

/// The names of people and organisations by id (voters, holders, authors), read in chunks.
pub async fn names_of(db: &Db, ids: &[Uuid]) -> Result<Vec<(Uuid, String)>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(400).take(250) {
        let marks = (1..=chunk.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT id, name FROM people WHERE id IN ({marks}) UNION ALL SELECT id, name FROM organizations WHERE id IN ({marks})"
        );
        let rows: Vec<(Uuid, String)> = with_pool!(db.read(), pool => {
            let mut q = sqlx::query_as(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(pool).await
        })?;
        out.extend(rows);
    }
    Ok(out)
}

// ---------- proposals ----------

/// Saves a new proposal, numbered after the last one.
pub async fn create_proposal(db: &Db, p: &ProposalRow) -> Result<ProposalRow> {
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = if sqlite { pool.begin_with("BEGIN IMMEDIATE").await? } else { pool.begin().await? };
        if !sqlite {
            sqlx::query("LOCK TABLE gov_proposals IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
        }
        let next: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(number), 0) + 1 FROM gov_proposals")
            .fetch_one(&mut *tx).await?;
        let row = ProposalRow { number: next, ..p.clone() };
        crate::insert_rows!(tx, sqlite, std::slice::from_ref(&row), 27, proposals_sql, |q, r| bind_proposal!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>(row)
    })
}

/// One proposal.
pub async fn proposal(db: &Db, id: Uuid) -> Result<ProposalRow> {
    with_pool!(db.read(), pool => sqlx::query_as::<_, ProposalRow>(
        &format!("SELECT {PROPOSAL_COLUMNS} FROM gov_proposals WHERE id = $1"))
        .bind(id).fetch_optional(pool).await)?
    .ok_or(StoreError::NotFound)
}

/// Proposals, newest first: of one body, or of every body.
pub async fn proposals(db: &Db, body: Option<Uuid>, limit: i64) -> Result<Vec<ProposalRow>> {
    let limit = limit.clamp(1, MAX_ROWS);
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, ProposalRow>(
        &format!("SELECT {PROPOSAL_COLUMNS} FROM gov_proposals WHERE ($1 IS NULL OR body_id = $1) ORDER BY number DESC LIMIT $2"))
        .bind(body).bind(limit).fetch_all(pool).await)?,
    )
}

/// Rewrites a proposal that has not opened for voting (text, method, options, times…): the
/// row's status must still be `draft` or `deliberation`. `Conflict` otherwise.
pub async fn update_unopened(db: &Db, p: &ProposalRow) -> Result<()> {
    let n = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE gov_proposals SET title = $2, text = $3, method = $4, options = $5, threshold = $6, quorum_percent = $7, \
         seats = $8, max_approvals = $9, max_score = $10, secret = $11, opens_at = $12, closes_at = $13, status = $14, updated_at = $15, \
         effect = $16, effect_status = $17, budget_minor = $18 \
         WHERE id = $1 AND status IN ('draft', 'deliberation')")
        .bind(p.id).bind(&p.title).bind(&p.text).bind(&p.method).bind(&p.options).bind(&p.threshold)
        .bind(p.quorum_percent).bind(p.seats).bind(p.max_approvals).bind(p.max_score).bind(p.secret)
        .bind(p.opens_at).bind(p.closes_at).bind(&p.status).bind(p.updated_at)
        .bind(&p.effect).bind(&p.effect_status).bind(p.budget_minor)
        .execute(pool).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::Conflict);
    }
    Ok(())
}

/// Opens voting: freezes the body's electorate into the proposal and sets the voting window,
/// in one transaction. `Conflict` unless the proposal was a draft or in deliberation.
pub async fn open_voting(
    db: &Db,
    id: Uuid,
    opens_at: OffsetDateTime,
    closes_at: OffsetDateTime,
) -> Result<usize> {
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = if sqlite { pool.begin_with("BEGIN IMMEDIATE").await? } else { pool.begin().await? };
        let lock = if sqlite { "" } else { " FOR UPDATE" };
        let row: Option<ProposalRow> = sqlx::query_as(&format!(
            "SELECT {PROPOSAL_COLUMNS} FROM gov_proposals WHERE id = $1 AND status IN ('draft', 'deliberation'){lock}"))
            .bind(id).fetch_optional(&mut *tx).await?;
        let Some(p) = row else {
            return Err(StoreError::Conflict);
        };
        let body: BodyRow = sqlx::query_as(&format!("SELECT {BODY_COLUMNS} FROM gov_bodies WHERE id = $1"))
            .bind(p.body_id).fetch_one(&mut *tx).await?;
        if p.method == "equal_shares" {
            let eligible: Vec<(Uuid, String)> = sqlx::query_as(
                "SELECT id, title FROM gov_projects WHERE proposal_id = $1 AND status = 'eligible' ORDER BY submitted_at, id LIMIT 1000")
                .bind(id).fetch_all(&mut *tx).await?;
            if eligible.is_empty() {
                return Err(StoreError::NotFound);
            }
            for (i, (project, _)) in eligible.iter().enumerate() {
                sqlx::query("UPDATE gov_projects SET option_index = $2 WHERE id = $1")
                    .bind(project).bind(i32::try_from(i).unwrap_or(i32::MAX)).execute(&mut *tx).await?;
            }
            let titles: Vec<&str> = eligible.iter().map(|e| e.1.as_str()).collect();
            sqlx::query("UPDATE gov_proposals SET options = $2 WHERE id = $1")
                .bind(id).bind(serde_json::to_string(&titles).map_err(|_| StoreError::Corrupt("gov_projects.title"))?)
                .execute(&mut *tx).await?;
        }
        let voters: Vec<(Uuid, String, i32)> = sqlx::query_as(electorate_query(&body))
            .bind(body.id).bind(MAX_ROWS).fetch_all(&mut *tx).await?;
        let rows: Vec<ElectorRow> = voters
            .into_iter()
            .map(|(voter_id, voter_kind, college)| ElectorRow { proposal_id: id, voter_id, voter_kind, college })
            .collect();
        crate::insert_rows!(tx, sqlite, &rows, 4, electorate_sql, |q, r| bind_elector!(q, r));
        sqlx::query("UPDATE gov_proposals SET status = 'voting', opens_at = $2, closes_at = $3, updated_at = $2 WHERE id = $1")
            .bind(id).bind(opens_at).bind(closes_at).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(rows.len())
    })
}

/// Withdraws a proposal that has not opened for voting. `Conflict` otherwise.
pub async fn withdraw(db: &Db, id: Uuid, now: OffsetDateTime) -> Result<()> {
    let n = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE gov_proposals SET status = 'withdrawn', updated_at = $2 WHERE id = $1 AND status IN ('draft', 'deliberation')")
        .bind(id).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::Conflict);
    }
    Ok(())
}

/// A proposal's frozen electorate.
pub async fn electorate(db: &Db, proposal: Uuid) -> Result<Vec<ElectorRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, ElectorRow>(
        "SELECT proposal_id, voter_id, voter_kind, college FROM gov_electorate WHERE proposal_id = $1 ORDER BY voter_id LIMIT $2")
        .bind(proposal).bind(MAX_ROWS).fetch_all(pool).await)?,
    )
}

/// Voting proposals whose closing time has passed.
pub async fn due_to_close(db: &Db, now: OffsetDateTime) -> Result<Vec<Uuid>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT id FROM gov_proposals WHERE status = 'voting' AND closes_at <= $1 ORDER BY closes_at LIMIT 1000")
        .bind(now).fetch_all(pool).await)?)
}

// ---------- participatory budgeting ----------

/// Saves a submitted project. `Conflict` unless its call (an `equal_shares` proposal) is still
/// a draft or in deliberation.
pub async fn submit_project(db: &Db, p: &ProjectRow) -> Result<()> {
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = if sqlite { pool.begin_with("BEGIN IMMEDIATE").await? } else { pool.begin().await? };
        let lock = if sqlite { "" } else { " FOR SHARE" };
        let open: Option<Uuid> = sqlx::query_scalar(&format!(
            "SELECT id FROM gov_proposals WHERE id = $1 AND method = 'equal_shares' AND status IN ('draft', 'deliberation'){lock}"))
            .bind(p.proposal_id).fetch_optional(&mut *tx).await?;
        if open.is_none() {
            return Err(StoreError::Conflict);
        }
        crate::insert_rows!(tx, sqlite, std::slice::from_ref(p), 13, projects_sql, |q, r| bind_project!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// A call's projects, in submission order.
pub async fn projects(db: &Db, proposal: Uuid) -> Result<Vec<ProjectRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, ProjectRow>(
        &format!("SELECT {PROJECT_COLUMNS} FROM gov_projects WHERE proposal_id = $1 ORDER BY submitted_at, id LIMIT 1000"))
        .bind(proposal).fetch_all(pool).await)?,
    )
}

/// Records a project's review (`eligible` or `ineligible`, with a note) while its call has not
/// opened for voting. `Conflict` otherwise.
pub async fn review_project(db: &Db, project: Uuid, status: &str, note: &str) -> Result<()> {
    let n = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE gov_projects SET status = $2, review_note = $3 WHERE id = $1 AND proposal_id IN \
         (SELECT id FROM gov_proposals WHERE status IN ('draft', 'deliberation'))")
        .bind(project).bind(status).bind(note).execute(pool).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::Conflict);
    }
    Ok(())
}

/// A decision's planned grants.
pub async fn grants(db: &Db, proposal: Uuid) -> Result<Vec<GrantRow>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_as::<_, GrantRow>(
        &format!("SELECT {GRANT_COLUMNS} FROM gov_grants WHERE proposal_id = $1 ORDER BY id LIMIT 1000"))
        .bind(proposal).fetch_all(pool).await)?)
}

/// Claims a pending effect for applying (`pending` → `applying`) at `now`: true for the one
/// caller that gets it, so an effect outside the ledger is applied at most once.
pub async fn claim_effect(db: &Db, proposal: Uuid, now: OffsetDateTime) -> Result<bool> {
    let n = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE gov_proposals SET effect_status = 'applying', effect_claimed_at = $2 WHERE id = $1 AND effect_status = 'pending'")
        .bind(proposal).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Decisions whose effect was claimed before `claimed_before` (or at an unknown time) and is
/// still applying: a server stopped between applying it and recording how it ended.
pub async fn interrupted_effects(db: &Db, claimed_before: OffsetDateTime) -> Result<Vec<Uuid>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT id FROM gov_proposals WHERE effect_status = 'applying' \
         AND (effect_claimed_at IS NULL OR effect_claimed_at < $1) ORDER BY closed_at LIMIT 1000")
        .bind(claimed_before).fetch_all(pool).await)?)
}

/// Records how an effect ended (`applied` or `failed` with its error code), from `from`.
pub async fn finish_effect(
    db: &Db,
    proposal: Uuid,
    from: &str,
    status: &str,
    note: &str,
) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "UPDATE gov_proposals SET effect_status = $3, effect_note = $4 WHERE id = $1 AND effect_status = $2")
        .bind(proposal).bind(from).bind(status).bind(note).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Passed decisions whose effect is still pending (the server retries them).
pub async fn pending_effects(db: &Db) -> Result<Vec<Uuid>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT id FROM gov_proposals WHERE effect_status = 'pending' ORDER BY closed_at LIMIT 1000")
        .fetch_all(pool).await)?)
}

// ---------- amendments ----------

/// Saves an amendment. `Conflict` unless the proposal is a draft or in deliberation.
pub async fn add_amendment(db: &Db, a: &AmendmentRow) -> Result<()> {
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = if sqlite { pool.begin_with("BEGIN IMMEDIATE").await? } else { pool.begin().await? };
        let lock = if sqlite { "" } else { " FOR SHARE" };
        let open: Option<Uuid> = sqlx::query_scalar(&format!(
            "SELECT id FROM gov_proposals WHERE id = $1 AND status IN ('draft', 'deliberation'){lock}"))
            .bind(a.proposal_id).fetch_optional(&mut *tx).await?;
        if open.is_none() {
            return Err(StoreError::Conflict);
        }
        crate::insert_rows!(tx, sqlite, std::slice::from_ref(a), 8, amendments_sql, |q, r| bind_amendment!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// A proposal's amendments, oldest first.
pub async fn amendments(db: &Db, proposal: Uuid) -> Result<Vec<AmendmentRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, AmendmentRow>(
        &format!("SELECT {AMENDMENT_COLUMNS} FROM gov_amendments WHERE proposal_id = $1 ORDER BY created_at, id LIMIT 1000"))
        .bind(proposal).fetch_all(pool).await)?,
    )
}

/// Decides an open amendment of an unopened proposal, in one transaction: accepting it makes
/// its text the proposal's. `Conflict` when the amendment is not open or the vote has opened.
pub async fn decide_amendment(db: &Db, id: Uuid, accept: bool, now: OffsetDateTime) -> Result<()> {
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = if sqlite { pool.begin_with("BEGIN IMMEDIATE").await? } else { pool.begin().await? };
        let lock = if sqlite { "" } else { " FOR UPDATE" };
        let row: Option<AmendmentRow> = sqlx::query_as(&format!(
            "SELECT {AMENDMENT_COLUMNS} FROM gov_amendments WHERE id = $1 AND status = 'open'{lock}"))
            .bind(id).fetch_optional(&mut *tx).await?;
        let Some(a) = row else {
            return Err(StoreError::Conflict);
        };
        let status = if accept { "accepted" } else { "declined" };
        if accept {
            let n = sqlx::query("UPDATE gov_proposals SET text = $2, updated_at = $3 WHERE id = $1 AND status IN ('draft', 'deliberation')")
                .bind(a.proposal_id).bind(&a.text).bind(now).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::Conflict);
            }
        }
        sqlx::query("UPDATE gov_amendments SET status = $2, decided_at = $3 WHERE id = $1")
            .bind(id).bind(status).bind(now).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// One amendment.
pub async fn amendment(db: &Db, id: Uuid) -> Result<AmendmentRow> {
    with_pool!(db.read(), pool => sqlx::query_as::<_, AmendmentRow>(
        &format!("SELECT {AMENDMENT_COLUMNS} FROM gov_amendments WHERE id = $1"))
        .bind(id).fetch_optional(pool).await)?
    .ok_or(StoreError::NotFound)
}

// ---------- comments ----------

/// Adds a comment. `Conflict` when the proposal is closed or withdrawn, `NotFound` when the
/// answered comment is not one of the proposal's.
pub async fn add_comment(db: &Db, c: &CommentRow) -> Result<()> {
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        let open: Option<Uuid> = sqlx::query_scalar(
            "SELECT id FROM gov_proposals WHERE id = $1 AND status IN ('draft', 'deliberation', 'voting')")
            .bind(c.proposal_id).fetch_optional(&mut *tx).await?;
        if open.is_none() {
            return Err(StoreError::Conflict);
        }
        if let Some(parent) = c.parent_id {
            let found: Option<Uuid> = sqlx::query_scalar(
                "SELECT id FROM gov_comments WHERE id = $1 AND proposal_id = $2")
                .bind(parent).bind(c.proposal_id).fetch_optional(&mut *tx).await?;
            if found.is_none() {
                return Err(StoreError::NotFound);
            }
        }
        sqlx::query(&format!("INSERT INTO gov_comments ({COMMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"))
            .bind(c.id).bind(c.proposal_id).bind(c.parent_id).bind(c.author_id).bind(&c.text).bind(c.created_at)
            .execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// A proposal's comments, oldest first.
pub async fn comments(db: &Db, proposal: Uuid) -> Result<Vec<CommentRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, CommentRow>(
        &format!("SELECT {COMMENT_COLUMNS} FROM gov_comments WHERE proposal_id = $1 ORDER BY created_at, id LIMIT $2"))
        .bind(proposal).bind(MAX_ROWS).fetch_all(pool).await)?,
    )
}

// ---------- proxies ----------

/// Gives a proxy, refused with `Conflict` when the holder already holds the body's cap of
/// live proxies, or the giver already gave a live one for the same scope (checked in the
/// transaction, so two racing gifts cannot pass the cap).
pub async fn give_proxy(db: &Db, p: &ProxyRow, max_proxies: i64) -> Result<()> {
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = if sqlite { pool.begin_with("BEGIN IMMEDIATE").await? } else { pool.begin().await? };
        if !sqlite {
            // Serialises proxy gifts of a body, so two racing gifts cannot both pass the cap.
            sqlx::query("SELECT id FROM gov_bodies WHERE id = $1 FOR UPDATE")
                .bind(p.body_id).execute(&mut *tx).await?;
        }
        let held: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM gov_proxies WHERE holder_id = $1 AND body_id = $2 AND revoked_at IS NULL")
            .bind(p.holder_id).bind(p.body_id).fetch_one(&mut *tx).await?;
        let given: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM gov_proxies WHERE giver_id = $1 AND body_id = $2 AND revoked_at IS NULL \
             AND ((proposal_id IS NULL AND $3 IS NULL) OR proposal_id = $3)")
            .bind(p.giver_id).bind(p.body_id).bind(p.proposal_id).fetch_one(&mut *tx).await?;
        if held >= max_proxies || given > 0 {
            return Err(StoreError::Conflict);
        }
        sqlx::query(&format!("INSERT INTO gov_proxies ({PROXY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"))
            .bind(p.id).bind(p.body_id).bind(p.proposal_id).bind(p.giver_id).bind(p.holder_id).bind(p.created_at).bind(p.revoked_at)
            .execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// Revokes a live proxy of `body` given by one of `givers` (who may act for an organisation in
/// one body and not in another). `NotFound` otherwise.
pub async fn revoke_proxy(
    db: &Db,
    body: Uuid,
    id: Uuid,
    givers: &[Uuid],
    now: OffsetDateTime,
) -> Result<()> {
    let mut done = 0;
    for giver in givers.iter().take(1_000) {
        done += with_pool!(db.write(), pool => sqlx::query(
            "UPDATE gov_proxies SET revoked_at = $3 WHERE id = $1 AND giver_id = $2 AND body_id = $4 AND revoked_at IS NULL")
            .bind(id).bind(giver).bind(now).bind(body).execute(pool).await.map(|r| r.rows_affected()))?;
    }
    if done == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The live proxies of a body given by or to `person` (or an organisation they represent,
/// listed in `givers`).
pub async fn proxies_of(
    db: &Db,
    body: Uuid,
    person: Uuid,
    givers: &[Uuid],
) -> Result<Vec<ProxyRow>> {
    let mut out: Vec<ProxyRow> = with_pool!(db.read(), pool => sqlx::query_as(
        &format!("SELECT {PROXY_COLUMNS} FROM gov_proxies WHERE body_id = $1 AND revoked_at IS NULL AND holder_id = $2 ORDER BY created_at, id LIMIT 1000"))
        .bind(body).bind(person).fetch_all(pool).await)?;
    for giver in givers.iter().take(1_000) {
        let given: Vec<ProxyRow> = with_pool!(db.read(), pool => sqlx::query_as(
            &format!("SELECT {PROXY_COLUMNS} FROM gov_proxies WHERE body_id = $1 AND revoked_at IS NULL AND giver_id = $2 ORDER BY created_at, id LIMIT 1000"))
            .bind(body).bind(giver).fetch_all(pool).await)?;
        out.extend(given);
    }
    Ok(out)
}

/// The voters `holder` holds a live proxy for on `proposal` (body-wide or for this one).
pub async fn proxies_held(db: &Db, proposal: &ProposalRow, holder: Uuid) -> Result<Vec<Uuid>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT DISTINCT giver_id FROM gov_proxies WHERE holder_id = $1 AND body_id = $2 AND revoked_at IS NULL \
         AND (proposal_id IS NULL OR proposal_id = $3) LIMIT 1000")
        .bind(holder).bind(proposal.body_id).bind(proposal.id).fetch_all(pool).await)?)
}

// ---------- ballots ----------

/// A ballot to cast.
#[derive(Debug, Clone)]
pub struct NewBallot {
    pub proposal_id: Uuid,
    pub voter_id: Uuid,
    /// Who casts it: the voter's person or representative, or a proxy holder.
    pub cast_by: Uuid,
    /// Whether `cast_by` votes by right (in person) rather than by proxy.
    pub in_person: bool,
    pub choice: String,
    /// The receipt code of a secret ballot (ignored for open ballots).
    pub receipt: String,
    pub now: OffsetDateTime,
}

/// Why a ballot was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BallotRefusal {
    /// The proposal is not voting, or its closing time has passed.
    NotVoting,
    /// The voter is not in the proposal's frozen electorate.
    NotInElectorate,
    /// A secret vote was already cast for this voter (it cannot be changed).
    AlreadyVoted,
    /// The voter voted in person: a proxy cannot replace that ballot.
    VotedInPerson,
}

/// What casting did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cast {
    /// The first ballot of this voter.
    Counted,
    /// An open ballot replaced the voter's earlier one.
    Replaced,
    /// Refused, nothing written.
    Refused(BallotRefusal),
}

/// Casts a ballot in one transaction that holds the proposal row against the close (a vote
/// racing the close is counted before it or refused). One ballot per voter per proposal is
/// the primary key of `gov_ballots` (open) and of `gov_register` (secret).
pub async fn cast(db: &Db, b: &NewBallot) -> Result<Cast> {
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = if sqlite { pool.begin_with("BEGIN IMMEDIATE").await? } else { pool.begin().await? };
        let lock = if sqlite { "" } else { " FOR SHARE" };
        let row: Option<(bool, Option<OffsetDateTime>)> = sqlx::query_as(&format!(
            "SELECT secret, closes_at FROM gov_proposals WHERE id = $1 AND status = 'voting'{lock}"))
            .bind(b.proposal_id).fetch_optional(&mut *tx).await?;
        let Some((secret, closes_at)) = row else {
            return Ok(Cast::Refused(BallotRefusal::NotVoting));
        };
        if closes_at.is_some_and(|c| b.now >= c) {
            return Ok(Cast::Refused(BallotRefusal::NotVoting));
        }
        let college: Option<i32> = sqlx::query_scalar(
            "SELECT college FROM gov_electorate WHERE proposal_id = $1 AND voter_id = $2")
            .bind(b.proposal_id).bind(b.voter_id).fetch_optional(&mut *tx).await?;
        let Some(college) = college else {
            return Ok(Cast::Refused(BallotRefusal::NotInElectorate));
        };
        let outcome = if secret {
            let done = sqlx::query(
                "INSERT INTO gov_register (proposal_id, voter_id, cast_by) VALUES ($1, $2, $3) ON CONFLICT (proposal_id, voter_id) DO NOTHING")
                .bind(b.proposal_id).bind(b.voter_id).bind(b.cast_by).execute(&mut *tx).await?.rows_affected();
            if done == 0 {
                return Ok(Cast::Refused(BallotRefusal::AlreadyVoted));
            }
            sqlx::query("INSERT INTO gov_secret_ballots (proposal_id, receipt, college, choice) VALUES ($1, $2, $3, $4)")
                .bind(b.proposal_id).bind(&b.receipt).bind(college).bind(&b.choice)
                .execute(&mut *tx).await.map_err(StoreError::from_write)?;
            Cast::Counted
        } else {
            let earlier: Option<Uuid> = sqlx::query_scalar(
                "SELECT cast_by FROM gov_ballots WHERE proposal_id = $1 AND voter_id = $2")
                .bind(b.proposal_id).bind(b.voter_id).fetch_optional(&mut *tx).await?;
            // A proxy never replaces a ballot cast by right; a ballot cast by right replaces
            // a proxy's.
            if earlier.is_some_and(|by| !b.in_person && by != b.cast_by) {
                return Ok(Cast::Refused(BallotRefusal::VotedInPerson));
            }
            sqlx::query(
                "INSERT INTO gov_ballots (proposal_id, voter_id, college, choice, cast_by, cast_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (proposal_id, voter_id) DO UPDATE SET choice = excluded.choice, cast_by = excluded.cast_by, cast_at = excluded.cast_at")
                .bind(b.proposal_id).bind(b.voter_id).bind(college).bind(&b.choice).bind(b.cast_by).bind(b.now)
                .execute(&mut *tx).await?;
            if earlier.is_some() { Cast::Replaced } else { Cast::Counted }
        };
        tx.commit().await?;
        Ok::<_, StoreError>(outcome)
    })
}

/// Whether `voter` has a counted ballot on `proposal`, and who cast it.
pub async fn voted(db: &Db, proposal: &ProposalRow, voter: Uuid) -> Result<Option<Uuid>> {
    let table = if proposal.secret {
        "gov_register"
    } else {
        "gov_ballots"
    };
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(
        &format!("SELECT cast_by FROM {table} WHERE proposal_id = $1 AND voter_id = $2"))
        .bind(proposal.id).bind(voter).fetch_optional(pool).await)?)
}

/// The open ballots of a proposal, by voter.
pub async fn open_ballots(db: &Db, proposal: Uuid) -> Result<Vec<BallotRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, BallotRow>(
        "SELECT proposal_id, voter_id, college, choice, cast_by, cast_at FROM gov_ballots WHERE proposal_id = $1 ORDER BY voter_id LIMIT $2")
        .bind(proposal).bind(MAX_ROWS).fetch_all(pool).await)?,
    )
}

/// The secret ballot box of a proposal, by receipt: what anyone may recount.
pub async fn secret_ballots(db: &Db, proposal: Uuid) -> Result<Vec<SecretBallotRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, SecretBallotRow>(
        "SELECT proposal_id, receipt, college, choice FROM gov_secret_ballots WHERE proposal_id = $1 ORDER BY receipt LIMIT $2")
        .bind(proposal).bind(MAX_ROWS).fetch_all(pool).await)?,
    )
}

/// How many counted ballots a proposal has.
pub async fn ballot_count(db: &Db, proposal: &ProposalRow) -> Result<i64> {
    let table = if proposal.secret {
        "gov_register"
    } else {
        "gov_ballots"
    };
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(
        &format!("SELECT COUNT(*) FROM {table} WHERE proposal_id = $1"))
        .bind(proposal.id).fetch_one(pool).await)?)
}

/// The close's decision from the counted ballots and the electorate per college.
#[derive(Debug, Clone)]
pub struct Closing {
    pub outcome: String,
    pub tally: String,
    /// The decision's effect status after the close: `none`, `pending` or `void`.
    pub effect_status: String,
    /// Projects selected by the Method of Equal Shares, and by the greedy rule.
    pub selected: Vec<Uuid>,
    pub greedy: Vec<Uuid>,
    /// Grants from the fund to make (posted afterwards by the ledger writer).
    pub grants: Vec<GrantRow>,
}

/// Closes voting: reads the counted ballots and the frozen electorate inside the closing
/// transaction (which waits for votes in flight), lets `decide` tally them and records the
/// outcome. `Ok(None)` when the proposal was not voting (a retried close does nothing) or
/// `decide` gave no result (nothing written).
pub async fn close<F>(db: &Db, id: Uuid, now: OffsetDateTime, decide: F) -> Result<Option<Closing>>
where
    F: FnOnce(&ProposalRow, &[Counted], &[i64], &[ProjectRow]) -> Option<Closing>,
{
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = if sqlite { pool.begin_with("BEGIN IMMEDIATE").await? } else { pool.begin().await? };
        let lock = if sqlite { "" } else { " FOR UPDATE" };
        let row: Option<ProposalRow> = sqlx::query_as(&format!(
            "SELECT {PROPOSAL_COLUMNS} FROM gov_proposals WHERE id = $1 AND status = 'voting'{lock}"))
            .bind(id).fetch_optional(&mut *tx).await?;
        let Some(p) = row else {
            return Ok(None);
        };
        let table = if p.secret { "gov_secret_ballots" } else { "gov_ballots" };
        let counted: Vec<Counted> = sqlx::query_as(&format!(
            "SELECT college, choice FROM {table} WHERE proposal_id = $1 LIMIT $2"))
            .bind(id).bind(MAX_ROWS).fetch_all(&mut *tx).await?;
        let per_college: Vec<(i32, i64)> = sqlx::query_as(
            "SELECT college, COUNT(*) FROM gov_electorate WHERE proposal_id = $1 GROUP BY college ORDER BY college")
            .bind(id).fetch_all(&mut *tx).await?;
        let projects: Vec<ProjectRow> = sqlx::query_as(&format!(
            "SELECT {PROJECT_COLUMNS} FROM gov_projects WHERE proposal_id = $1 AND option_index IS NOT NULL ORDER BY option_index LIMIT 1000"))
            .bind(id).fetch_all(&mut *tx).await?;
        let Some(closing) = decide(&p, &counted, &electorate_sizes(&per_college), &projects) else {
            return Ok(None);
        };
        sqlx::query("UPDATE gov_proposals SET status = 'closed', outcome = $2, tally = $3, closed_at = $4, updated_at = $4, effect_status = $5 WHERE id = $1")
            .bind(id).bind(&closing.outcome).bind(&closing.tally).bind(now).bind(&closing.effect_status).execute(&mut *tx).await?;
        for project in &closing.selected {
            sqlx::query("UPDATE gov_projects SET selected = TRUE WHERE id = $1").bind(project).execute(&mut *tx).await?;
        }
        for project in &closing.greedy {
            sqlx::query("UPDATE gov_projects SET greedy_selected = TRUE WHERE id = $1").bind(project).execute(&mut *tx).await?;
        }
        crate::insert_rows!(tx, sqlite, &closing.grants, 7, grants_sql, |q, r| bind_grant!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>(Some(closing))
    })
}

/// Electorate sizes indexed by college number (missing colleges count 0).
fn electorate_sizes(per_college: &[(i32, i64)]) -> Vec<i64> {
    let len = per_college
        .iter()
        .map(|(c, _)| usize::try_from(*c).unwrap_or(0) + 1)
        .max()
        .unwrap_or(0);
    let mut out = vec![0; len.min(100)];
    for (c, n) in per_college {
        if let Some(slot) = usize::try_from(*c).ok().and_then(|c| out.get_mut(c)) {
            *slot = *n;
        }
    }
    out
}

/// Records the minutes of a closed proposal.
pub async fn set_minutes(db: &Db, id: Uuid, minutes: &str, now: OffsetDateTime) -> Result<()> {
    let n = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE gov_proposals SET minutes = $2, updated_at = $3 WHERE id = $1 AND status = 'closed'")
        .bind(id).bind(minutes).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::Conflict);
    }
    Ok(())
}

// ---------- export and import ----------

/// Everything governance keeps, for the district document (version 5).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GovernanceData {
    #[serde(default)]
    pub bodies: Vec<BodyRow>,
    #[serde(default)]
    pub colleges: Vec<CollegeRow>,
    #[serde(default)]
    pub body_voters: Vec<BodyVoterRow>,
    #[serde(default)]
    pub representatives: Vec<RepresentativeRow>,
    #[serde(default)]
    pub proposals: Vec<ProposalRow>,
    #[serde(default)]
    pub comments: Vec<CommentRow>,
    #[serde(default)]
    pub electorate: Vec<ElectorRow>,
    #[serde(default)]
    pub proxies: Vec<ProxyRow>,
    #[serde(default)]
    pub ballots: Vec<BallotRow>,
    #[serde(default)]
    pub register: Vec<RegisterRow>,
    #[serde(default)]
    pub secret_ballots: Vec<SecretBallotRow>,
    #[serde(default)]
    pub amendments: Vec<AmendmentRow>,
    #[serde(default)]
    pub projects: Vec<ProjectRow>,
    #[serde(default)]
    pub grants: Vec<GrantRow>,
}

/// Reads every governance table in a stable order.
pub async fn export(db: &Db) -> Result<GovernanceData> {
    Ok(GovernanceData {
        bodies: read_all(db, &format!("SELECT {BODY_COLUMNS} FROM gov_bodies ORDER BY id")).await?,
        colleges: read_all(db, "SELECT id, body_id, name, weight FROM gov_colleges ORDER BY id").await?,
        body_voters: read_all(db, "SELECT body_id, voter_id, voter_kind, college_id FROM gov_body_voters ORDER BY body_id, voter_id").await?,
        representatives: read_all(db, "SELECT body_id, organization_id, person_id FROM gov_representatives ORDER BY body_id, organization_id").await?,
        proposals: read_all(db, &format!("SELECT {PROPOSAL_COLUMNS} FROM gov_proposals ORDER BY id")).await?,
        comments: read_all(db, &format!("SELECT {COMMENT_COLUMNS} FROM gov_comments ORDER BY id")).await?,
        electorate: read_all(db, "SELECT proposal_id, voter_id, voter_kind, college FROM gov_electorate ORDER BY proposal_id, voter_id").await?,
        proxies: read_all(db, &format!("SELECT {PROXY_COLUMNS} FROM gov_proxies ORDER BY id")).await?,
        ballots: read_all(db, "SELECT proposal_id, voter_id, college, choice, cast_by, cast_at FROM gov_ballots ORDER BY proposal_id, voter_id").await?,
        register: read_all(db, "SELECT proposal_id, voter_id, cast_by FROM gov_register ORDER BY proposal_id, voter_id").await?,
        secret_ballots: read_all(db, "SELECT proposal_id, receipt, college, choice FROM gov_secret_ballots ORDER BY proposal_id, receipt").await?,
        amendments: read_all(db, &format!("SELECT {AMENDMENT_COLUMNS} FROM gov_amendments ORDER BY id")).await?,
        projects: read_all(db, &format!("SELECT {PROJECT_COLUMNS} FROM gov_projects ORDER BY id")).await?,
        grants: read_all(db, &format!("SELECT {GRANT_COLUMNS} FROM gov_grants ORDER BY id")).await?,
    })
}

/// Writes a document's governance tables into an empty database, in one transaction.
pub async fn import(db: &Db, d: &GovernanceData) -> Result<()> {
    let sqlite = db.backend() == "sqlite";
    // Comments answer earlier comments: parents first.
    let mut comments = d.comments.clone();
    comments.sort_by_key(|c| (c.created_at, c.parent_id.is_some(), c.id));
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        crate::insert_rows!(tx, sqlite, &d.bodies, 7, bodies_sql, |q, r| bind_body!(q, r));
        crate::insert_rows!(tx, sqlite, &d.colleges, 4, colleges_sql, |q, r| bind_college!(q, r));
        crate::insert_rows!(tx, sqlite, &d.body_voters, 4, |n| insert_sql("gov_body_voters", "body_id, voter_id, voter_kind, college_id", n, 4),
            |q, r| q.bind(r.body_id).bind(r.voter_id).bind(&r.voter_kind).bind(r.college_id));
        crate::insert_rows!(tx, sqlite, &d.representatives, 3, |n| insert_sql("gov_representatives", "body_id, organization_id, person_id", n, 3),
            |q, r| q.bind(r.body_id).bind(r.organization_id).bind(r.person_id));
        crate::insert_rows!(tx, sqlite, &d.proposals, 27, proposals_sql, |q, r| bind_proposal!(q, r));
        for c in &comments {
            sqlx::query(&format!("INSERT INTO gov_comments ({COMMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"))
                .bind(c.id).bind(c.proposal_id).bind(c.parent_id).bind(c.author_id).bind(&c.text).bind(c.created_at)
                .execute(&mut *tx).await?;
        }
        crate::insert_rows!(tx, sqlite, &d.electorate, 4, electorate_sql, |q, r| bind_elector!(q, r));
        crate::insert_rows!(tx, sqlite, &d.proxies, 7, |n| insert_sql("gov_proxies", PROXY_COLUMNS, n, 7),
            |q, r| q.bind(r.id).bind(r.body_id).bind(r.proposal_id).bind(r.giver_id).bind(r.holder_id).bind(r.created_at).bind(r.revoked_at));
        crate::insert_rows!(tx, sqlite, &d.ballots, 6, |n| insert_sql("gov_ballots", "proposal_id, voter_id, college, choice, cast_by, cast_at", n, 6),
            |q, r| q.bind(r.proposal_id).bind(r.voter_id).bind(r.college).bind(&r.choice).bind(r.cast_by).bind(r.cast_at));
        crate::insert_rows!(tx, sqlite, &d.register, 3, |n| insert_sql("gov_register", "proposal_id, voter_id, cast_by", n, 3),
            |q, r| q.bind(r.proposal_id).bind(r.voter_id).bind(r.cast_by));
        crate::insert_rows!(tx, sqlite, &d.amendments, 8, amendments_sql, |q, r| bind_amendment!(q, r));
        crate::insert_rows!(tx, sqlite, &d.projects, 13, projects_sql, |q, r| bind_project!(q, r));
        crate::insert_rows!(tx, sqlite, &d.grants, 7, grants_sql, |q, r| bind_grant!(q, r));
        crate::insert_rows!(tx, sqlite, &d.secret_ballots, 4, |n| insert_sql("gov_secret_ballots", "proposal_id, receipt, college, choice", n, 4),
            |q, r| q.bind(r.proposal_id).bind(&r.receipt).bind(r.college).bind(&r.choice));
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// The demo's governance records as the district document's rows.
pub fn demo_rows(demo: &distretto_domain::demo::governance::DemoGovernance) -> GovernanceData {
    let mut d = GovernanceData::default();
    let created = distretto_domain::demo::BASE_DATE - time::Duration::days(365);
    for b in &demo.bodies {
        d.bodies.push(BodyRow {
            id: b.id,
            name: b.name.into(),
            description: b.description.into(),
            electorate: b.electorate.into(),
            max_proxies: b.max_proxies,
            created_by: demo.proposals.first().map_or(b.id, |p| p.author),
            created_at: created,
        });
        d.colleges
            .extend(b.colleges.iter().map(|(id, name, weight)| CollegeRow {
                id: *id,
                body_id: b.id,
                name: (*name).into(),
                weight: i32::try_from(*weight).unwrap_or(i32::MAX),
            }));
        d.body_voters
            .extend(b.voters.iter().map(|(v, kind, college)| BodyVoterRow {
                body_id: b.id,
                voter_id: *v,
                voter_kind: (*kind).into(),
                college_id: b.colleges.get(*college).map_or(b.id, |c| c.0),
            }));
    }
    for p in &demo.proposals {
        demo_proposal(&mut d, demo, p);
    }
    d
}

fn demo_proposal(
    d: &mut GovernanceData,
    demo: &distretto_domain::demo::governance::DemoGovernance,
    p: &distretto_domain::demo::governance::DemoProposal,
) {
    use distretto_domain::governance::{Method, ThresholdRule};
    let method = match p.rules.method {
        Method::Majority => "majority",
        Method::Consent => "consent",
        Method::Approval => "approval",
        Method::Score => "score",
        Method::Schulze => "schulze",
        Method::InstantRunoff => "instant_runoff",
    };
    let threshold = match p.rules.threshold {
        ThresholdRule::MoreThanHalf => "more_than_half".to_owned(),
        ThresholdRule::AtLeastPercent(n) => format!("at_least:{n}"),
    };
    let closed = p.status == "closed";
    let budget = p.budget_minor.is_some();
    let outcome = p.tally.as_ref().and_then(|t| {
        serde_json::to_value(&t.outcome).ok().map(|v| match v {
            serde_json::Value::String(s) => s,
            serde_json::Value::Object(o) => o.keys().next().cloned().unwrap_or_default(),
            _ => String::new(),
        })
    });
    d.proposals.push(ProposalRow {
        id: p.id,
        body_id: demo.bodies[p.body].id,
        number: p.number,
        title: p.title.into(),
        text: p.text.into(),
        author_id: p.author,
        status: p.status.into(),
        method: method.into(),
        options: serde_json::to_string(&p.options).unwrap_or_else(|_| "[]".into()),
        threshold,
        quorum_percent: i32::from(p.rules.quorum_percent),
        seats: i32::from(p.rules.seats),
        max_approvals: p.rules.max_approvals.map(i32::from),
        max_score: i32::from(p.rules.max_score),
        secret: p.secret,
        opens_at: p.opens_at,
        closes_at: p.closes_at,
        created_at: p.created_at,
        updated_at: p.closes_at.filter(|_| closed).unwrap_or(p.created_at),
        outcome: outcome.filter(|_| closed),
        tally: p
            .tally
            .as_ref()
            .filter(|_| closed)
            .and_then(|t| serde_json::to_string(t).ok()),
        closed_at: p.closes_at.filter(|_| closed),
        minutes: String::new(),
        effect: None,
        // The budget's grants wait for the platform to pay them from the fund.
        effect_status: if budget && closed { "pending" } else { "none" }.into(),
        effect_note: String::new(),
        budget_minor: p.budget_minor,
    });
    if budget {
        d.proposals
            .last_mut()
            .into_iter()
            .for_each(|row| row.method = "equal_shares".into());
    }
    for x in &p.projects {
        d.projects.push(ProjectRow {
            id: x.id,
            proposal_id: p.id,
            title: x.title.into(),
            description: x.description.into(),
            cost_minor: x.cost_minor,
            account_id: x.account,
            submitted_by: x.submitted_by,
            submitted_at: p.created_at + time::Duration::days(2),
            status: x.status.into(),
            review_note: x.review_note.into(),
            option_index: x.option_index,
            selected: x.selected,
            greedy_selected: x.greedy_selected,
        });
        if x.selected && closed {
            d.grants.push(GrantRow {
                id: uuid::Uuid::from_u128(x.id.as_u128() ^ 1),
                proposal_id: p.id,
                account_id: x.account,
                amount_minor: x.cost_minor,
                project_id: Some(x.id),
                memo: format!("#{} {}", p.number, x.title)
                    .chars()
                    .take(200)
                    .collect(),
                transfer_id: None,
            });
        }
    }
    d.comments.extend(
        p.comments
            .iter()
            .map(|(id, parent, author, text, at)| CommentRow {
                id: *id,
                proposal_id: p.id,
                parent_id: *parent,
                author_id: *author,
                text: (*text).into(),
                created_at: *at,
            }),
    );
    d.electorate
        .extend(p.electorate.iter().map(|(v, kind, college)| ElectorRow {
            proposal_id: p.id,
            voter_id: *v,
            voter_kind: (*kind).into(),
            college: i32::try_from(*college).unwrap_or(0),
        }));
    for b in &p.ballots {
        let choice = serde_json::to_string(&b.choice).unwrap_or_default();
        let college = i32::try_from(b.college).unwrap_or(0);
        if p.secret {
            d.register.push(RegisterRow {
                proposal_id: p.id,
                voter_id: b.voter,
                cast_by: b.cast_by,
            });
            d.secret_ballots.push(SecretBallotRow {
                proposal_id: p.id,
                receipt: b.receipt.clone(),
                college,
                choice,
            });
        } else {
            d.ballots.push(BallotRow {
                proposal_id: p.id,
                voter_id: b.voter,
                college,
                choice,
                cast_by: b.cast_by,
                cast_at: b.cast_at,
            });
        }
    }
}

fn insert_sql(table: &str, columns: &str, rows: usize, width: usize) -> String {
    format!(
        "INSERT INTO {table} ({columns}) VALUES {}",
        crate::values_placeholders(rows, width)
    )
}

fn bodies_sql(rows: usize) -> String {
    insert_sql("gov_bodies", BODY_COLUMNS, rows, 7)
}

fn colleges_sql(rows: usize) -> String {
    insert_sql("gov_colleges", "id, body_id, name, weight", rows, 4)
}

fn proposals_sql(rows: usize) -> String {
    insert_sql("gov_proposals", PROPOSAL_COLUMNS, rows, 27)
}

fn amendments_sql(rows: usize) -> String {
    insert_sql("gov_amendments", AMENDMENT_COLUMNS, rows, 8)
}

fn projects_sql(rows: usize) -> String {
    insert_sql("gov_projects", PROJECT_COLUMNS, rows, 13)
}

fn grants_sql(rows: usize) -> String {
    insert_sql("gov_grants", GRANT_COLUMNS, rows, 7)
}

fn electorate_sql(rows: usize) -> String {
    insert_sql(
        "gov_electorate",
        "proposal_id, voter_id, voter_kind, college",
        rows,
        4,
    )
}

macro_rules! bind_body {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(&r.name)
            .bind(&r.description)
            .bind(&r.electorate)
            .bind(r.max_proxies)
            .bind(r.created_by)
            .bind(r.created_at)
    }};
}
use bind_body;

macro_rules! bind_college {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id).bind(r.body_id).bind(&r.name).bind(r.weight)
    }};
}
use bind_college;

macro_rules! bind_elector {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.proposal_id)
            .bind(r.voter_id)
            .bind(&r.voter_kind)
            .bind(r.college)
    }};
}
use bind_elector;

macro_rules! bind_amendment {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.proposal_id)
            .bind(r.author_id)
            .bind(&r.text)
            .bind(&r.note)
            .bind(&r.status)
            .bind(r.created_at)
            .bind(r.decided_at)
    }};
}
use bind_amendment;

macro_rules! bind_project {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.proposal_id)
            .bind(&r.title)
            .bind(&r.description)
            .bind(r.cost_minor)
            .bind(r.account_id)
            .bind(r.submitted_by)
            .bind(r.submitted_at)
            .bind(&r.status)
            .bind(&r.review_note)
            .bind(r.option_index)
            .bind(r.selected)
            .bind(r.greedy_selected)
    }};
}
use bind_project;

macro_rules! bind_grant {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.proposal_id)
            .bind(r.account_id)
            .bind(r.amount_minor)
            .bind(r.project_id)
            .bind(&r.memo)
            .bind(r.transfer_id)
    }};
}
use bind_grant;

macro_rules! bind_proposal {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.body_id)
            .bind(r.number)
            .bind(&r.title)
            .bind(&r.text)
            .bind(r.author_id)
            .bind(&r.status)
            .bind(&r.method)
            .bind(&r.options)
            .bind(&r.threshold)
            .bind(r.quorum_percent)
            .bind(r.seats)
            .bind(r.max_approvals)
            .bind(r.max_score)
            .bind(r.secret)
            .bind(r.opens_at)
            .bind(r.closes_at)
            .bind(r.created_at)
            .bind(r.updated_at)
            .bind(&r.outcome)
            .bind(&r.tally)
            .bind(r.closed_at)
            .bind(&r.minutes)
            .bind(&r.effect)
            .bind(&r.effect_status)
            .bind(&r.effect_note)
            .bind(r.budget_minor)
    }};
}
use bind_proposal;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn electorate_sizes_are_indexed_by_college() {
        assert_eq!(electorate_sizes(&[(0, 3), (2, 5)]), vec![3, 0, 5]);
        assert_eq!(electorate_sizes(&[]), Vec::<i64>::new());
    }
}
