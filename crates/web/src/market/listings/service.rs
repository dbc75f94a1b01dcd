//! Offers and needs: publishing (as oneself or for an organisation one administers), matching
//! and match notices, withdrawing, taking up (through the ledger's own services: a credit
//! price becomes a payment request, a euro price an invoice) and references. Authorization is
//! checked here, per listing.

use crate::auth::viewer::Actor;
use crate::ledger::service::{self as ledger, InvoiceInput, RequestInput};
use crate::{AppError, AppState};
use axum::http::StatusCode;
use distretto_domain::ledger::{Amount, EURO};
use distretto_domain::market::listing::matching::{self, MatchSubject, Scored};
use distretto_domain::market::listing::{
    ListingCategory, ListingDraft, ListingInput, ListingQuery, ListingSide, ReferenceRating,
    haversine_km, parse_reference_text,
};
use distretto_store::StoreError;
use distretto_store::market::listings::{
    self as store, ListingRow, MatchNoticeRow, Owner, ReferenceRow, TakeupRow,
};
use std::collections::{BTreeMap, HashMap};
use time::Date;
use uuid::Uuid;

/// Matches a listing page or the API shows.
pub const MAX_MATCHES: usize = 20;
/// Counterpart owners told of a new listing at most.
pub const MAX_NOTIFIED: usize = 10;
/// Candidates read per query when matching (the nearest first).
pub const MAX_CANDIDATES: u32 = 2_000;
/// Days a take-up's invoice gives to pay.
pub const INVOICE_DUE_DAYS: i64 = 30;
/// The notification kind of a match.
pub const MATCH_NOTIFICATION: &str = "market_match";

/// Today, in UTC: validity is counted in whole days.
pub fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

fn refused(code: &'static str, field: &'static str) -> AppError {
    AppError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code,
        field: Some(field),
    }
}

/// Refuses people who take no part in the district: neither admitted members, nor admins of
/// an admitted organisation, nor coordinators.
async fn require_member(state: &AppState, actor: &Actor) -> Result<(), AppError> {
    if actor.membership_status == "member" || actor.coordinates() {
        return Ok(());
    }
    let orgs = distretto_store::membership::organizations_of(&state.db, actor.id).await?;
    if orgs
        .iter()
        .any(|o| o.role == "admin" && o.status == "active")
    {
        Ok(())
    } else {
        Err(AppError::new(StatusCode::FORBIDDEN, "market_not_a_member"))
    }
}

/// Whether `actor` may act for the listing's owner: the owner themselves, its author, or an
/// admin of the owning organisation.
pub async fn may_manage(state: &AppState, actor: &Actor, l: &ListingRow) -> Result<bool, AppError> {
    if l.owner_person_id == Some(actor.id) || l.author_id == actor.id {
        return Ok(true);
    }
    if let Some(org) = l.owner_organization_id {
        return Ok(
            distretto_store::membership::member_role(&state.db, actor.id, org)
                .await?
                .as_deref()
                == Some("admin"),
        );
    }
    Ok(false)
}

/// Publishes a listing for `actor`, or for `organization` when they administer it; tells the
/// owners of the best matching counterpart listings (once per pair).
pub async fn publish(
    state: &AppState,
    actor: &Actor,
    input: &ListingInput,
    organization: Option<Uuid>,
) -> Result<ListingRow, AppError> {
    require_member(state, actor).await?;
    let draft = ListingDraft::parse(input, today())?;
    let owner = match organization {
        None => Owner::Person(actor.id),
        Some(org) => {
            let role = distretto_store::membership::member_role(&state.db, actor.id, org).await?;
            let active = match distretto_store::directory::get(&state.db, org).await {
                Ok(o) => o.status == "active",
                Err(StoreError::NotFound) => false,
                Err(e) => return Err(e.into()),
            };
            if role.as_deref() != Some("admin") || !active {
                return Err(AppError {
                    status: StatusCode::FORBIDDEN,
                    code: "market_not_org_admin",
                    field: Some("organization"),
                });
            }
            Owner::Organization(org)
        }
    };
    let now = distretto_store::now();
    let row = ListingRow::from_draft(Uuid::now_v7(), &draft, owner, actor.id, now);
    store::insert_listings(&state.db, std::slice::from_ref(&row)).await?;
    if let Err(e) = notify_matches(state, &row).await {
        // The listing is published; a lost notice is logged, not passed on.
        tracing::warn!(code = e.code, listing = %row.id, "match notices not written");
    }
    Ok(row)
}

/// Tells the authors of the best open counterpart listings that `row` matches theirs.
async fn notify_matches(state: &AppState, row: &ListingRow) -> Result<(), AppError> {
    let found = matches(state, row, MAX_NOTIFIED).await?;
    let now = distretto_store::now();
    let notices: Vec<MatchNoticeRow> = found
        .iter()
        .filter(|(l, _)| l.author_id != row.author_id)
        .map(|(l, _)| MatchNoticeRow {
            listing_id: l.id,
            matched_id: row.id,
            person_id: l.author_id,
            created_at: now,
        })
        .collect();
    let fresh = store::record_notices(&state.db, &notices).await?;
    let mut people: Vec<Uuid> = fresh.iter().map(|n| n.person_id).collect();
    people.sort();
    people.dedup();
    distretto_store::notifications::notify(&state.db, &people, MATCH_NOTIFICATION, row.id, now)
        .await?;
    Ok(())
}

fn subject_of(
    id: Uuid,
    category: &str,
    title: &str,
    lat: Option<f64>,
    lon: Option<f64>,
) -> Option<MatchSubject> {
    Some(MatchSubject {
        id,
        category: ListingCategory::parse(category)?,
        words: matching::title_words(title),
        point: lat
            .zip(lon)
            .and_then(|(a, b)| distretto_domain::market::listing::GeoPoint::new(a, b)),
    })
}

/// Candidates read so far by matching, as it scores them, each once.
#[derive(Default)]
struct Read {
    subjects: Vec<MatchSubject>,
    seen: std::collections::HashSet<Uuid>,
}

impl Read {
    fn add(&mut self, candidates: Vec<store::Candidate>) {
        for c in candidates {
            if self.seen.insert(c.id) {
                self.subjects
                    .extend(subject_of(c.id, &c.category, &c.title, c.lat, c.lon));
            }
        }
    }
}

/// The best open counterpart listings for `l`, best first, with their scores.
pub async fn matches(
    state: &AppState,
    l: &ListingRow,
    max: usize,
) -> Result<Vec<(ListingRow, Scored)>, AppError> {
    let (Some(side), Some(subject)) = (
        ListingSide::parse(&l.side),
        subject_of(l.id, &l.category, &l.title, l.lat, l.lon),
    ) else {
        return Err(AppError::internal());
    };
    let words: Vec<String> = subject.words.iter().take(8).cloned().collect();
    let (side, today) = (side.counterpart(), today());
    let (category, point) = (subject.category, subject.point);
    // The same category first, nearest first; the other categories only while they could
    // still enter the best `max` (`matching::settled`): in a busy district the same category
    // alone decides, and the wider reads are skipped.
    let mut read = Read::default();
    read.add(
        store::same_category_candidates(
            &state.db,
            side,
            category,
            point,
            matching::MAX_MATCH_KM,
            today,
            MAX_CANDIDATES,
        )
        .await?,
    );
    let mut ranked = matching::rank(&subject, &read.subjects, max);
    let near_km = matching::NEAR_MATCH_KM;
    if !matching::settled(&ranked, max, matching::BEST_RELATED_SCORE) {
        read.add(
            store::related_candidates(
                &state.db,
                side,
                category,
                point,
                near_km,
                today,
                MAX_CANDIDATES,
            )
            .await?,
        );
        ranked = matching::rank(&subject, &read.subjects, max);
    }
    if !matching::settled(&ranked, max, matching::BEST_UNRELATED_SCORE) {
        read.add(
            store::word_candidates(
                &state.db,
                side,
                &words,
                point,
                near_km,
                today,
                MAX_CANDIDATES,
            )
            .await?,
        );
        ranked = matching::rank(&subject, &read.subjects, max);
    }
    let ids: Vec<Uuid> = ranked.iter().map(|s| s.id).collect();
    let mut rows: HashMap<Uuid, ListingRow> = store::by_ids(&state.db, &ids)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    Ok(ranked
        .into_iter()
        .filter_map(|s| rows.remove(&s.id).map(|r| (r, s)))
        .collect())
}

/// A page of search results with each one's distance from the query's point.
pub struct Found {
    pub items: Vec<(ListingRow, Option<f64>)>,
    pub total: i64,
}

/// Searches open listings.
pub async fn search(state: &AppState, q: &ListingQuery) -> Result<Found, AppError> {
    let (rows, total) = store::search(&state.db, q, today()).await?;
    let items = rows
        .into_iter()
        .map(|r| {
            let d = q.near.zip(r.point()).map(|((c, _), p)| haversine_km(c, p));
            (r, d)
        })
        .collect();
    Ok(Found { items, total })
}

/// The owner withdraws an open listing.
pub async fn withdraw(state: &AppState, actor: &Actor, id: Uuid) -> Result<(), AppError> {
    let l = store::get(&state.db, id).await?;
    if !may_manage(state, actor, &l).await? {
        return Err(AppError::forbidden());
    }
    match store::close(&state.db, id, "withdrawn", distretto_store::now()).await {
        Err(StoreError::Conflict) => Err(AppError::conflict("market_not_open")),
        other => Ok(other?),
    }
}

/// The account a listing's owner is paid into or pays from: the owner's first account in the
/// district currency.
async fn owner_account(state: &AppState, l: &ListingRow) -> Result<Uuid, AppError> {
    let (kind, id) = match (l.owner_person_id, l.owner_organization_id) {
        (Some(p), _) => ("person", p),
        (None, Some(o)) => ("organization", o),
        (None, None) => return Err(AppError::internal()),
    };
    distretto_store::accounts::of_owner(&state.db, kind, id)
        .await?
        .into_iter()
        .find(|a| a.currency == state.config.currency.code)
        .map(|a| a.id)
        .ok_or(AppError::conflict("market_owner_has_no_account"))
}

/// The author as the ledger services see them: publishing a priced listing is the author's
/// standing request to be paid that price by whoever takes it up, and the ledger still checks
/// at take-up time that the author may act for the owner's account.
async fn author_actor(state: &AppState, l: &ListingRow) -> Result<Actor, AppError> {
    let p = distretto_store::membership::person(&state.db, l.author_id).await?;
    Ok(Actor {
        id: p.id,
        email: p.email,
        name: p.name,
        role: distretto_domain::membership::Role::parse(&p.role).ok_or(AppError::internal())?,
        membership_status: p.membership_status,
    })
}

/// Takes up an open listing: the taker pays (an offer) or is paid (a need) through a payment
/// request for the credit price and an invoice for the euro price; a gift records the take-up
/// only. `account` is the taker's account (default: their own first one).
pub async fn take_up(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    account: Option<Uuid>,
) -> Result<TakeupRow, AppError> {
    require_member(state, actor).await?;
    let l = store::get(&state.db, id).await?;
    if may_manage(state, actor, &l).await? {
        return Err(AppError::conflict("market_own_listing"));
    }
    if l.status != "open" || l.valid_until < today() {
        return Err(AppError::conflict("market_not_open"));
    }
    let priced = l.credit_minor.is_some() || l.euro_cents.is_some();
    let (taker_account, owner_account) = if priced {
        let mine = ledger::my_accounts(state, actor).await?;
        let taker = match account {
            Some(a) => mine
                .iter()
                .find(|m| m.id == a)
                .map(|m| m.id)
                .ok_or(AppError::new(StatusCode::FORBIDDEN, "not_your_account"))?,
            None => mine
                .iter()
                .find(|m| m.currency == state.config.currency.code)
                .map(|m| m.id)
                .ok_or(refused("market_taker_has_no_account", "account"))?,
        };
        (Some(taker), Some(owner_account(state, &l).await?))
    } else {
        (None, None)
    };
    let now = distretto_store::now();
    match store::close(&state.db, id, "taken_up", now).await {
        Err(StoreError::Conflict) => return Err(AppError::conflict("market_not_open")),
        other => other?,
    }
    let done = async {
        let (mut request, mut invoice) = (None, None);
        if let (Some(taker), Some(owner)) = (taker_account, owner_account) {
            // The provider is paid by the receiver: the owner of an offer, the taker of a need.
            let offer = l.side == "offer";
            let (provider, receiver) = if offer {
                (owner, taker)
            } else {
                (taker, owner)
            };
            let provider_actor = if offer {
                author_actor(state, &l).await?
            } else {
                actor.clone()
            };
            let memo: String = l.title.chars().take(100).collect();
            if let Some(credit) = l.credit_minor {
                let r = ledger::request_payment(
                    state,
                    &provider_actor,
                    RequestInput {
                        payee: provider,
                        payer: Some(receiver),
                        amount: Amount::new(credit)?,
                        memo: memo.clone(),
                    },
                )
                .await?;
                request = Some(r.id);
            }
            if let Some(cents) = l.euro_cents {
                let due_on = today()
                    .checked_add(time::Duration::days(INVOICE_DUE_DAYS))
                    .ok_or(AppError::internal())?;
                let simple = l.id.simple().to_string();
                let inv = ledger::issue_invoice(
                    state,
                    &provider_actor,
                    InvoiceInput {
                        creditor: provider,
                        debtor: receiver,
                        currency: EURO.into(),
                        amount: Amount::new(cents)?,
                        number: format!("M-{}", &simple[simple.len().saturating_sub(8)..]),
                        description: memo,
                        due_on,
                    },
                )
                .await?;
                invoice = Some(inv.id);
            }
        }
        let row = TakeupRow {
            id: Uuid::now_v7(),
            listing_id: id,
            taker_id: actor.id,
            taker_account_id: taker_account,
            owner_account_id: owner_account,
            payment_request_id: request,
            invoice_id: invoice,
            created_at: now,
        };
        store::insert_takeups(&state.db, std::slice::from_ref(&row)).await?;
        Ok::<_, AppError>(row)
    }
    .await;
    if done.is_err() {
        // Nothing was recorded for the take-up: the listing is open again. (A request or
        // invoice made before the failure stays with the ledger, where its parties see it.)
        store::reopen(&state.db, id, distretto_store::now()).await?;
    }
    done
}

/// Which side of a take-up `actor` is on.
pub async fn side_of(
    state: &AppState,
    actor: &Actor,
    l: &ListingRow,
    t: &TakeupRow,
) -> Result<Option<&'static str>, AppError> {
    if t.taker_id == actor.id {
        Ok(Some("taker"))
    } else if may_manage(state, actor, l).await? {
        Ok(Some("owner"))
    } else {
        Ok(None)
    }
}

/// One side of a take-up leaves its reference, once.
pub async fn leave_reference(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    rating: &str,
    text: &str,
) -> Result<ReferenceRow, AppError> {
    let l = store::get(&state.db, id).await?;
    let t = store::takeup_of(&state.db, id)
        .await?
        .ok_or(AppError::conflict("market_not_taken_up"))?;
    let side = side_of(state, actor, &l, &t)
        .await?
        .ok_or_else(AppError::forbidden)?;
    let rating =
        ReferenceRating::parse(rating.trim()).ok_or(refused("market_bad_rating", "rating"))?;
    let text = parse_reference_text(text)?;
    let row = ReferenceRow {
        takeup_id: t.id,
        side: side.into(),
        author_id: actor.id,
        rating: rating.code().into(),
        text,
        created_at: distretto_store::now(),
    };
    match store::insert_references(&state.db, std::slice::from_ref(&row)).await {
        Err(StoreError::Conflict) => Err(AppError::conflict("market_reference_exists")),
        other => {
            other?;
            Ok(row)
        }
    }
}

/// Open needs no open offer answers, per category, for coordinators.
pub async fn unmet_needs(state: &AppState, actor: &Actor) -> Result<Vec<(String, i64)>, AppError> {
    if !actor.coordinates() {
        return Err(AppError::forbidden());
    }
    Ok(store::unmet_needs(&state.db, today()).await?)
}

/// The names of listing owners (people and organisations), for lists.
pub async fn owner_names(
    state: &AppState,
    rows: &[&ListingRow],
) -> Result<BTreeMap<Uuid, String>, AppError> {
    let mut names = BTreeMap::new();
    for r in rows.iter().take(600) {
        if let Some(o) = r.owner_organization_id
            && let std::collections::btree_map::Entry::Vacant(e) = names.entry(o)
            && let Ok(org) = distretto_store::directory::get(&state.db, o).await
        {
            e.insert(org.name);
        }
        if let Some(p) = r.owner_person_id
            && let std::collections::btree_map::Entry::Vacant(e) = names.entry(p)
            && let Ok(person) = distretto_store::membership::person(&state.db, p).await
        {
            e.insert(person.name);
        }
    }
    Ok(names)
}
