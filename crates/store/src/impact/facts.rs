//! The facts of the district the indicators combine with the trade aggregates: who owns each
//! account, members and when they joined or left, invoices, settlements, clearing rounds,
//! deliveries, votes, proposals, comments, bookings and surveys of a period.

use super::AccountIndex;
use crate::governance::participation as gov;
use crate::{Db, Result, StoreError, with_pool};
use distretto_domain::directory::{OrganizationKind, Sector};
use distretto_domain::governance::participation::Turnout;
use distretto_domain::impact::food::Delivery;
use distretto_domain::impact::period::{Month, Period};
use distretto_domain::impact::report::{
    ClearingFact, Facts, InvoiceFact, Organization, Owner, Person, SettlementFact, Survey, VoteFact,
};
use rustc_hash::FxHashMap;
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// The most rows of one kind of fact a report reads (invoices, deliveries, bookings …).
pub const MAX_FACTS: i64 = 2_000_000;

/// An organisation of the report, by the index [`Facts::organizations`] uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationRef {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
}

/// The facts and who is who.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The facts, accounts numbered by the index given to [`load`].
    pub facts: Facts,
    /// The organisations, in the order of `facts.organizations`.
    pub organizations: Vec<OrganizationRef>,
}

impl Loaded {
    /// Moves these facts, loaded with an index of their own (`own`), onto `index` (the trade
    /// aggregates' numbering): accounts `index` does not know yet are numbered after its own in
    /// `own`'s order, so the result equals loading the facts with `index` itself. This lets the
    /// facts load while the journal is folded.
    pub fn renumber(&mut self, own: &AccountIndex, index: &mut AccountIndex) {
        for id in own.ids() {
            index.intern(*id);
        }
        let accounts = &self.facts.accounts;
        self.facts.accounts = index
            .ids()
            .iter()
            .map(|id| {
                own.get(id)
                    .and_then(|i| accounts.get(i as usize))
                    .copied()
                    .unwrap_or(Owner::Outside)
            })
            .collect();
    }

    /// The index of organisation `id`.
    pub fn organization_index(&self, id: Uuid) -> Option<u32> {
        self.organizations
            .iter()
            .position(|o| o.id == id)
            .and_then(|i| u32::try_from(i).ok())
    }
}

fn month_of(at: OffsetDateTime) -> Month {
    let at = at.to_offset(time::UtcOffset::UTC);
    Month {
        year: at.year(),
        month: u8::from(at.month()),
    }
}

/// The instants the period starts and ends (exclusive).
pub fn bounds(period: &Period) -> Result<(OffsetDateTime, OffsetDateTime)> {
    let start = period.start().ok_or(StoreError::Corrupt("impact period"))?;
    let end = period
        .end_exclusive()
        .ok_or(StoreError::Corrupt("impact period"))?;
    Ok((start.midnight().assume_utc(), end.midnight().assume_utc()))
}

/// A membership decision: subject kind, subject, decision, month decided.
pub(super) type DecisionRow = (String, Uuid, String, Month);

/// An organisation as the report reads it, in `sort_name, id` order.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct OrganizationRow {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub sector: String,
    pub workers_fte_hundredths: i64,
    pub volunteers: i64,
    pub status: String,
    pub created: Month,
}

/// The rows of who is who: every decision (in the order they were made; ties in a stated
/// order, so both reads agree), organisation, person (id, status, month created) and account
/// (id, owner kind, owner).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct MemberRows {
    pub decisions: Vec<DecisionRow>,
    pub organizations: Vec<OrganizationRow>,
    pub people: Vec<(Uuid, String, Month)>,
    pub accounts: Vec<(Uuid, String, Option<Uuid>)>,
}

/// Reads [`MemberRows`] through sqlx (PostgreSQL, or SQLite in memory).
pub(super) async fn member_rows(db: &Db) -> Result<MemberRows> {
    let decisions = with_pool!(db.read(), pool => sqlx::query_as::<_, (String, Uuid, String, OffsetDateTime)>(
        "SELECT subject_kind, subject_id, decision, decided_at FROM membership_decisions \
         WHERE decision IN ('admit', 'suspend', 'reinstate') \
         ORDER BY decided_at, decision, subject_kind, subject_id LIMIT $1")
        .bind(MAX_FACTS).fetch_all(pool).await)?;
    let organizations = with_pool!(db.read(), pool => sqlx::query_as::<_, (Uuid, String, String, String, i64, i32, String, OffsetDateTime)>(
        "SELECT id, name, kind, sector, workers_fte_hundredths, volunteers, status, created_at \
         FROM organizations ORDER BY sort_name, id LIMIT $1")
        .bind(MAX_FACTS).fetch_all(pool).await)?;
    let people = with_pool!(db.read(), pool => sqlx::query_as::<_, (Uuid, String, OffsetDateTime)>(
        "SELECT id, membership_status, created_at FROM people ORDER BY id LIMIT $1")
        .bind(MAX_FACTS).fetch_all(pool).await)?;
    let accounts = with_pool!(db.read(), pool => sqlx::query_as::<_, (Uuid, String, Option<Uuid>)>(
        "SELECT id, owner_kind, owner_id FROM accounts ORDER BY id LIMIT $1")
        .bind(MAX_FACTS).fetch_all(pool).await)?;
    Ok(MemberRows {
        decisions: decisions
            .into_iter()
            .map(|(k, id, d, at)| (k, id, d, month_of(at)))
            .collect(),
        organizations: organizations
            .into_iter()
            .map(|r| OrganizationRow {
                id: r.0,
                name: r.1,
                kind: r.2,
                sector: r.3,
                workers_fte_hundredths: r.4,
                volunteers: i64::from(r.5),
                status: r.6,
                created: month_of(r.7),
            })
            .collect(),
        people: people
            .into_iter()
            .map(|(id, status, at)| (id, status, month_of(at)))
            .collect(),
        accounts,
    })
}

/// When each subject of `subject_kind` was first admitted and, if suspended now, last
/// suspended.
fn decisions(
    rows: &[DecisionRow],
    subject_kind: &str,
) -> FxHashMap<Uuid, (Option<Month>, Option<Month>)> {
    let mut out: FxHashMap<Uuid, (Option<Month>, Option<Month>)> = FxHashMap::default();
    for (_, id, decision, month) in rows.iter().filter(|r| r.0 == subject_kind) {
        let e = out.entry(*id).or_default();
        match decision.as_str() {
            "admit" => {
                e.0.get_or_insert(*month);
            }
            "suspend" => e.1 = Some(*month),
            _ => e.1 = None,
        }
    }
    out
}

/// When a member joined and left: the decisions, or for a member admitted without one (the
/// founding members, the demo) the month its record was made.
fn membership(
    status: &str,
    created: Month,
    decided: Option<&(Option<Month>, Option<Month>)>,
) -> (Option<Month>, Option<Month>) {
    let (joined, left) = decided.copied().unwrap_or_default();
    match status {
        // Organisations are `active`, people `member` once admitted.
        "active" | "member" => (joined.or(Some(created)), None),
        "suspended" => (joined.or(Some(created)), left.or(joined)),
        _ => (None, None),
    }
}

type Organizations = (Vec<Organization>, Vec<OrganizationRef>, HashMap<Uuid, u32>);

fn organizations(rows: &MemberRows) -> Result<Organizations> {
    let decided = decisions(&rows.decisions, "organization");
    let (mut orgs, mut refs, mut index) = (Vec::new(), Vec::new(), HashMap::new());
    for r in &rows.organizations {
        let (joined, left) = membership(&r.status, r.created, decided.get(&r.id));
        index.insert(r.id, u32::try_from(orgs.len()).unwrap_or(u32::MAX));
        orgs.push(Organization {
            kind: OrganizationKind::parse(&r.kind)
                .ok_or(StoreError::Corrupt("organizations.kind"))?,
            sector: Sector::parse(&r.sector).ok_or(StoreError::Corrupt("organizations.sector"))?,
            workers_fte_hundredths: r.workers_fte_hundredths,
            volunteers: r.volunteers,
            joined,
            left,
        });
        refs.push(OrganizationRef {
            id: r.id,
            name: r.name.clone(),
        });
    }
    Ok((orgs, refs, index))
}

fn people(rows: &MemberRows) -> (Vec<Person>, FxHashMap<Uuid, u32>) {
    let decided = decisions(&rows.decisions, "person");
    let mut people = Vec::with_capacity(rows.people.len());
    let mut index = FxHashMap::default();
    for (id, status, created) in &rows.people {
        let (joined, left) = membership(status, *created, decided.get(id));
        index.insert(*id, u32::try_from(people.len()).unwrap_or(u32::MAX));
        people.push(Person { joined, left });
    }
    (people, index)
}

/// Every account's owner, numbering each account in `index`.
fn accounts(
    rows: &[(Uuid, String, Option<Uuid>)],
    index: &mut AccountIndex,
    orgs: &HashMap<Uuid, u32>,
    people: &FxHashMap<Uuid, u32>,
) -> (Vec<Owner>, FxHashMap<Uuid, Owner>) {
    let mut by_id = FxHashMap::default();
    by_id.reserve(rows.len());
    for (id, kind, owner_id) in rows {
        let owner = match (kind.as_str(), owner_id) {
            ("organization", Some(o)) => orgs
                .get(o)
                .map_or(Owner::Outside, |i| Owner::Organization(*i)),
            ("person", Some(p)) => people.get(p).map_or(Owner::Outside, |i| Owner::Person(*i)),
            ("district", _) => Owner::District,
            _ => Owner::Outside,
        };
        index.intern(*id);
        by_id.insert(*id, owner);
    }
    let owners = index
        .ids()
        .iter()
        .map(|id| by_id.get(id).copied().unwrap_or(Owner::Outside))
        .collect();
    (owners, by_id)
}

async fn invoices(
    db: &Db,
    (start, end): (OffsetDateTime, OffsetDateTime),
    currency: &str,
    owners: &FxHashMap<Uuid, Owner>,
) -> Result<Vec<InvoiceFact>> {
    let rows = with_pool!(db.read(), pool => sqlx::query_as::<_, (OffsetDateTime, String, i64, Uuid, Uuid)>(
        "SELECT created_at, currency, amount_minor, creditor, debtor FROM invoices \
         WHERE created_at >= $1 AND created_at < $2 AND status <> 'cancelled' LIMIT $3")
        .bind(start).bind(end).bind(MAX_FACTS).fetch_all(pool).await)?;
    let owner = |id: Uuid| owners.get(&id).copied().unwrap_or(Owner::Outside);
    rows.iter()
        .map(|r| {
            Ok(InvoiceFact {
                month: month_of(r.0),
                credit: r.1 == currency,
                amount_minor: r.2,
                creditor: owner(r.3),
                debtor: owner(r.4),
            })
        })
        .collect()
}

async fn settlements(
    db: &Db,
    (start, end): (OffsetDateTime, OffsetDateTime),
) -> Result<Vec<SettlementFact>> {
    let rows = with_pool!(db.read(), pool => sqlx::query_as::<_, (OffsetDateTime, i64)>(
        "SELECT c.settled_at, CAST(COALESCE(SUM(s.amount_minor), 0) AS BIGINT) FROM order_cycles c \
         LEFT JOIN cycle_settlements s ON s.cycle_id = c.id AND s.role = 'household' \
         WHERE c.settled_at >= $1 AND c.settled_at < $2 GROUP BY c.id, c.settled_at LIMIT $3")
        .bind(start).bind(end).bind(MAX_FACTS).fetch_all(pool).await)?;
    rows.iter()
        .map(|r| {
            Ok(SettlementFact {
                month: month_of(r.0),
                amount_minor: r.1,
            })
        })
        .collect()
}

async fn clearings(
    db: &Db,
    (start, end): (OffsetDateTime, OffsetDateTime),
) -> Result<Vec<ClearingFact>> {
    let rows = with_pool!(db.read(), pool => sqlx::query_as::<_, (OffsetDateTime, i64, i64, i64)>(
        "SELECT closed_at, set_off_minor, credit_settled_minor, credit_transferred_minor \
         FROM clearing_rounds WHERE status = 'applied' AND closed_at >= $1 AND closed_at < $2 LIMIT $3")
        .bind(start).bind(end).bind(MAX_FACTS).fetch_all(pool).await)?;
    rows.iter()
        .map(|r| {
            Ok(ClearingFact {
                month: month_of(r.0),
                set_off_minor: r.1,
                credit_settled_minor: r.2,
                credit_transferred_minor: r.3,
            })
        })
        .collect()
}

async fn deliveries(
    db: &Db,
    (start, end): (OffsetDateTime, OffsetDateTime),
) -> Result<Vec<(Month, Delivery)>> {
    let rows = with_pool!(db.read(), pool => sqlx::query_as::<_, (OffsetDateTime, Option<i64>, i64)>(
        "SELECT recorded_at, distance_m, weight_g FROM deliveries \
         WHERE recorded_at >= $1 AND recorded_at < $2 LIMIT $3")
        .bind(start).bind(end).bind(MAX_FACTS).fetch_all(pool).await)?;
    rows.iter()
        .map(|r| {
            Ok((
                month_of(r.0),
                Delivery {
                    distance_m: r.1,
                    weight_g: r.2,
                },
            ))
        })
        .collect()
}

/// Turnout per vote and college of the votes closed in the period (of the latest
/// [`gov::MAX_VOTES`] votes).
async fn votes(db: &Db, (start, end): (OffsetDateTime, OffsetDateTime)) -> Result<Vec<VoteFact>> {
    let votes = gov::votes(db, gov::MAX_VOTES).await?;
    let closed: HashMap<Uuid, (Month, String, Uuid)> = votes
        .iter()
        .filter(|v| v.status == "closed")
        .filter_map(|v| {
            let at = v.closes_at?;
            (start <= at && at < end)
                .then(|| (v.id, (month_of(at), v.body_name.clone(), v.body_id)))
        })
        .collect();
    let names: HashMap<(Uuid, i32), String> = gov::college_names(db)
        .await?
        .into_iter()
        .map(|c| ((c.body_id, c.college), c.name))
        .collect();
    let mut per: HashMap<(Uuid, i32), Turnout> = HashMap::new();
    for g in gov::groups(db, gov::MAX_VOTES).await? {
        if closed.contains_key(&g.proposal_id) {
            let t = Turnout::new(
                u64::try_from(g.cast).unwrap_or(0),
                u64::try_from(g.electorate).unwrap_or(0),
            );
            let e = per.entry((g.proposal_id, g.college)).or_default();
            *e = e.plus(t);
        }
    }
    let mut out: Vec<VoteFact> = per
        .into_iter()
        .filter_map(|((proposal, college), turnout)| {
            let (month, body, body_id) = closed.get(&proposal)?;
            Some(VoteFact {
                month: *month,
                body: body.clone(),
                college: names.get(&(*body_id, college)).cloned().unwrap_or_default(),
                turnout,
            })
        })
        .collect();
    out.sort_by(|a, b| (a.month, &a.body, &a.college).cmp(&(b.month, &b.body, &b.college)));
    Ok(out)
}

async fn months_of(
    db: &Db,
    sql: &str,
    (start, end): (OffsetDateTime, OffsetDateTime),
) -> Result<Vec<Month>> {
    let rows: Vec<OffsetDateTime> = with_pool!(db.read(), pool => sqlx::query_scalar(sql)
        .bind(start).bind(end).bind(MAX_FACTS).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(month_of).collect())
}

async fn bookings(
    db: &Db,
    (start, end): (OffsetDateTime, OffsetDateTime),
) -> Result<Vec<(Month, i64)>> {
    let rows = with_pool!(db.read(), pool => sqlx::query_as::<_, (OffsetDateTime, OffsetDateTime)>(
        "SELECT starts_at, ends_at FROM market_bookings \
         WHERE status = 'confirmed' AND starts_at >= $1 AND starts_at < $2 LIMIT $3")
        .bind(start).bind(end).bind(MAX_FACTS).fetch_all(pool).await)?;
    rows.iter()
        .map(|r| {
            let (s, e): (OffsetDateTime, OffsetDateTime) = (r.0, r.1);
            Ok((month_of(s), (e - s).whole_minutes().max(0)))
        })
        .collect()
}

/// The surveys of the years `period` touches.
pub async fn surveys(db: &Db, period: &Period, orgs: &HashMap<Uuid, u32>) -> Result<Vec<Survey>> {
    let rows = super::saved::surveys_between(db, period.first().year, period.last().year).await?;
    Ok(rows
        .into_iter()
        .filter_map(|s| {
            Some(Survey {
                organization: *orgs.get(&s.organization_id)?,
                year: s.year,
                outside_total_minor: s.outside_total_minor,
                outside_local_minor: s.outside_local_minor,
                outside_by_sector_minor: s.by_sector(),
            })
        })
        .collect())
}

/// Everything besides the trade aggregates for `period`, numbering every account in `index`
/// (after the accounts the aggregates already numbered). `currency` is the district's.
pub async fn load(
    db: &Db,
    period: &Period,
    index: &mut AccountIndex,
    currency: &str,
) -> Result<Loaded> {
    let span = bounds(period)?;
    let rows = match db.sqlite_file() {
        // Plain SQLite reads these million rows in about a second; sqlx took about ten.
        Some(path) => tokio::task::spawn_blocking(move || super::plain_sqlite::member_rows(&path))
            .await
            .map_err(|_| StoreError::Corrupt("impact facts thread"))??,
        None => member_rows(db).await?,
    };
    let (organizations, refs, org_index) = organizations(&rows)?;
    let (people, person_index) = people(&rows);
    let (owners, by_id) = accounts(&rows.accounts, index, &org_index, &person_index);
    let facts = Facts {
        accounts: owners,
        organizations,
        people,
        invoices: invoices(db, span, currency, &by_id).await?,
        settlements: settlements(db, span).await?,
        clearings: clearings(db, span).await?,
        deliveries: deliveries(db, span).await?,
        votes: votes(db, span).await?,
        proposals: months_of(db, "SELECT created_at FROM gov_proposals WHERE created_at >= $1 AND created_at < $2 LIMIT $3", span).await?,
        comments: months_of(db, "SELECT created_at FROM gov_comments WHERE created_at >= $1 AND created_at < $2 LIMIT $3", span).await?,
        bookings: bookings(db, span).await?,
        surveys: surveys(db, period, &org_index).await?,
    };
    Ok(Loaded {
        facts,
        organizations: refs,
    })
}

/// Demand in order cycles closed in the period that no producer met (ordered beyond what was
/// allocated), per producer sector: (sector, value in minor units, order lines).
pub async fn unmet_orders(db: &Db, period: &Period) -> Result<Vec<(Sector, i64, u64)>> {
    let (start, end) = bounds(period)?;
    let rows = with_pool!(db.read(), pool => sqlx::query_as::<_, (String, i64, i64)>(
        "SELECT o.sector, \
         CAST(COALESCE(SUM((l.quantity_milli - l.allocated_milli) * cp.price_minor / 1000), 0) AS BIGINT), \
         COUNT(*) \
         FROM order_lines l JOIN orders od ON od.id = l.order_id \
         JOIN order_cycles c ON c.id = od.cycle_id \
         JOIN cycle_products cp ON cp.cycle_id = c.id AND cp.product_id = l.product_id \
         JOIN organizations o ON o.id = cp.producer_id \
         WHERE l.allocated_milli IS NOT NULL AND l.allocated_milli < l.quantity_milli \
         AND c.closes_at >= $1 AND c.closes_at < $2 \
         GROUP BY o.sector ORDER BY o.sector")
        .bind(start).bind(end).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .filter_map(|(s, v, n)| Some((Sector::parse(&s)?, v, u64::try_from(n).unwrap_or(0))))
        .collect())
}
