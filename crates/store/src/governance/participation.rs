//! Participation figures read from the frozen electorates and the ballots: per vote, per
//! college and kind of voter, with the deliberation's comments. Grouped in SQL (one query per
//! list, never one per proposal), in SQL that SQLite and PostgreSQL both accept.
//!
//! A voter counts as having cast when a row for them exists in `gov_ballots` (an open vote) or
//! in `gov_register` (a secret vote): how they voted is never read here.

use crate::{Db, Result, with_pool};
use time::OffsetDateTime;
use uuid::Uuid;

/// The most votes the figures read (the latest by closing time).
pub const MAX_VOTES: i64 = 2_000;

/// The most (vote, college, kind) groups read at once.
pub const MAX_GROUPS: i64 = 100_000;

/// The most colleges named at once.
pub const MAX_COLLEGES: i64 = 10_000;

/// A vote (a proposal voting or closed) with its electorate, ballots and comments.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct VoteRow {
    pub id: Uuid,
    pub number: i64,
    pub title: String,
    pub body_id: Uuid,
    pub body_name: String,
    /// `voting` or `closed`.
    pub status: String,
    pub secret: bool,
    pub closes_at: Option<OffsetDateTime>,
    /// The frozen electorate.
    pub electorate: i64,
    /// Voters of the electorate who cast a ballot.
    pub cast: i64,
    /// Comments of the deliberation (answers included).
    pub comments: i64,
}

/// One vote's electorate and ballots for one college and one kind of voter.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GroupRow {
    pub proposal_id: Uuid,
    pub body_id: Uuid,
    /// The college number (0 in a body without colleges).
    pub college: i32,
    /// `person` or `organization`.
    pub voter_kind: String,
    /// The organisation's kind (`farm`, `worker_coop`…), empty for a person.
    pub organization_kind: String,
    pub electorate: i64,
    pub cast: i64,
}

/// A college of a `colleges` body with the number a frozen electorate gives it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CollegeName {
    pub body_id: Uuid,
    pub college: i32,
    pub name: String,
}

/// The votes (proposals voting or closed), latest closing first, at most `limit` (and
/// [`MAX_VOTES`]).
pub async fn votes(db: &Db, limit: i64) -> Result<Vec<VoteRow>> {
    let limit = limit.clamp(0, MAX_VOTES);
    Ok(with_pool!(db.read(), pool => sqlx::query_as::<_, VoteRow>(
        "SELECT p.id, p.number, p.title, p.body_id, b.name AS body_name, p.status, p.secret, p.closes_at, \
         (SELECT COUNT(*) FROM gov_electorate e WHERE e.proposal_id = p.id) AS electorate, \
         CASE WHEN p.secret \
              THEN (SELECT COUNT(*) FROM gov_register r JOIN gov_electorate e ON e.proposal_id = r.proposal_id AND e.voter_id = r.voter_id WHERE r.proposal_id = p.id) \
              ELSE (SELECT COUNT(*) FROM gov_ballots x JOIN gov_electorate e ON e.proposal_id = x.proposal_id AND e.voter_id = x.voter_id WHERE x.proposal_id = p.id) \
         END AS \"cast\", \
         (SELECT COUNT(*) FROM gov_comments c WHERE c.proposal_id = p.id) AS comments \
         FROM gov_proposals p JOIN gov_bodies b ON b.id = p.body_id \
         WHERE p.status IN ('voting', 'closed') \
         ORDER BY p.closes_at DESC, p.number DESC LIMIT $1")
        .bind(limit).fetch_all(pool).await)?)
}

/// Electorate and ballots of the same votes as [`votes`] with `limit`, grouped per vote,
/// college, kind of voter and organisation kind; at most [`MAX_GROUPS`] groups.
pub async fn groups(db: &Db, limit: i64) -> Result<Vec<GroupRow>> {
    let limit = limit.clamp(0, MAX_VOTES);
    Ok(with_pool!(db.read(), pool => sqlx::query_as::<_, GroupRow>(
        "SELECT e.proposal_id, p.body_id, e.college, e.voter_kind, \
         COALESCE(o.kind, '') AS organization_kind, \
         COUNT(*) AS electorate, \
         CAST(SUM(CASE WHEN x.voter_id IS NOT NULL OR r.voter_id IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS \"cast\" \
         FROM gov_electorate e \
         JOIN gov_proposals p ON p.id = e.proposal_id \
         LEFT JOIN organizations o ON e.voter_kind = 'organization' AND o.id = e.voter_id \
         LEFT JOIN gov_ballots x ON NOT p.secret AND x.proposal_id = e.proposal_id AND x.voter_id = e.voter_id \
         LEFT JOIN gov_register r ON p.secret AND r.proposal_id = e.proposal_id AND r.voter_id = e.voter_id \
         WHERE e.proposal_id IN (SELECT id FROM gov_proposals WHERE status IN ('voting', 'closed') \
                                 ORDER BY closes_at DESC, number DESC LIMIT $1) \
         GROUP BY e.proposal_id, p.body_id, e.college, e.voter_kind, o.kind \
         ORDER BY e.proposal_id, e.college, e.voter_kind, o.kind LIMIT $2")
        .bind(limit).bind(MAX_GROUPS).fetch_all(pool).await)?)
}

/// The colleges of every body, with the number a frozen electorate gives each (its index in
/// the body's colleges ordered by name, as [`super::electorate_now`] numbers them).
pub async fn college_names(db: &Db) -> Result<Vec<CollegeName>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, CollegeName>(
        "SELECT c.body_id, \
         CAST((SELECT COUNT(*) FROM gov_colleges c2 WHERE c2.body_id = c.body_id AND (c2.name < c.name OR (c2.name = c.name AND c2.id < c.id))) AS INTEGER) AS college, \
         c.name \
         FROM gov_colleges c ORDER BY c.body_id, c.name, c.id LIMIT $1")
        .bind(MAX_COLLEGES).fetch_all(pool).await)?,
    )
}
