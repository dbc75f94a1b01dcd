#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! A `SIGKILL` soak under mixed load (issue 10): the real `distretto serve --demo` binary takes,
//! at once, payments (with idempotency keys), ballots on an open majority vote, an open approval
//! vote and a secret vote (re-votes included), bookings of three shared resources with
//! overlapping slots, and households' orders through the order form (session cookie and CSRF
//! token, as a browser sends them) on products with limited stock; it is killed with `SIGKILL`
//! after a random 300–1500 ms, 20 times, and restarted without `--demo`.
//!
//! After each restart the test checks, on the database:
//! - payments: every acknowledged transfer is there exactly once with the body asked, no key
//!   posted twice, nothing posted for a key whose every answer was a refusal;
//! - ballots: every acknowledged ballot is stored with its choice (or the choice of a later
//!   request cut by the kill), a re-vote replaced it, no voter holds two ballots on a proposal,
//!   every secret receipt is in the ballot box and the box holds exactly one ballot per voter
//!   in the register, and no voter was counted twice;
//! - bookings: every acknowledged booking is confirmed and paid by exactly one transfer, every
//!   booking transfer belongs to one confirmed booking, no two active bookings of a resource
//!   overlap, refused requests left no active booking, refusals are 409 `slot_taken` or a 422;
//! - orders: every order acknowledged by a 303 is stored with exactly its lines (lines of a form
//!   cut by the kill are each the old or the new value: each is its own transaction), stock
//!   plus what is ordered equals the stock put up (never below zero), every order is a member's
//!   and charged to their own account;
//! - `distretto ledger verify` and `distretto audit verify` pass on the database.
//!
//! Then every request left in flight is retried: a payment or a booking answers what was
//! committed before the kill, or is made once (a booking held by the kill before its fee is paid
//! by the retry; that case is also staged deterministically once); a ballot is counted once; an
//! order is saved. No answer may be a 5xx.
//!
//! At the end the server closes the votes as it starts while the coordinator closes the cycle,
//! and a kill cuts into both: an acknowledged close stays done, a cut one is retried; the votes'
//! stored tallies equal an independent count of the ballots and `distretto governance recount`;
//! the cycle's allocation keeps every line within its quantity and tolerance, in whole packages,
//! with the stock balanced, and the farm's purchase order (CSV) sums the allocated lines.
//!
//! PostgreSQL runs when `DISTRETTO_TEST_POSTGRES_URL` names a server (a fresh database per test);
//! without it the PostgreSQL test fails unless `DISTRETTO_TEST_SKIP_POSTGRES=1` says to skip.
//! `STORM_SEED=N` replays the random choices of a run (printed in its summary).

mod common;

use common::load::{
    Backend, Person, fresh_database, get_json, http_client, open, pick_people, runtime, seed,
    serial, token,
};
use common::server::{DEMO_PASSWORD as PASSWORD, Server, sessions_ended};
use common::{postgres_wanted, temp_dir};
use distretto_store::Db;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use uuid::Uuid;

const ROUNDS: usize = 20;
/// People who pay and book (the first of the picked ones).
const PEOPLE: usize = 20;
/// People who vote (the first `PEOPLE` among them).
const VOTERS: usize = 48;
/// Households that order (the first of `PEOPLE`), each with a browser session.
const HOUSEHOLDS: usize = 8;
const PAY_CLIENTS: usize = 4;
const VOTE_CLIENTS: usize = 4;
const BOOK_CLIENTS: usize = 4;
const ORDER_CLIENTS: usize = 2;
/// The payers' limits, widened where the balance already lies outside them.
const CREDIT_LIMIT: i64 = 20_000;
const UPPER_LIMIT: i64 = 1_000_000;
const MAX_AMOUNT: i64 = 2_000;

// ---------------------------------------------------------------------------------------------
// Databases, the server, the binary
// ---------------------------------------------------------------------------------------------

/// `distretto ARGS --database URL` must succeed and print `ok_line`; returns its time.
fn cli_ok(args: &[&str], url: &str, dir: &Path, ok_line: &str) -> Duration {
    let started = Instant::now();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--database", url]);
    let o = common::run(&all, dir);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && stdout.contains(ok_line),
        "distretto {}: {:?}\n{stdout}\n{}",
        args.join(" "),
        o.status,
        common::stderr(&o)
    );
    started.elapsed()
}

// ---------------------------------------------------------------------------------------------
// The district side: people, tokens, sessions
// ---------------------------------------------------------------------------------------------

/// Limits wide enough that payments and fees flow, still binding for the biggest spenders.
async fn widen_limits(client: &reqwest::Client, base: &str, coordinator: &str, people: &[Person]) {
    for p in people {
        let (s, a) = get_json(
            client,
            format!("{base}/api/v1/accounts/{}", p.account),
            coordinator,
        )
        .await;
        assert_eq!(s, 200, "{a}");
        let balance = a["balance"].as_i64().unwrap();
        let (credit, upper) = (CREDIT_LIMIT.max(-balance), UPPER_LIMIT.max(balance));
        let res = client
            .put(format!("{base}/api/v1/accounts/{}/limits", p.account))
            .bearer_auth(coordinator)
            .json(&json!({"credit_limit": credit, "upper_limit": upper, "reason": "soak test"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "limits of {}", p.email);
    }
}

/// A browser: a cookie jar with a session, and the CSRF token of its forms (bound to the
/// session cookie; its key is kept in the database, so it outlives restarts, as the session).
struct Browser {
    client: reqwest::Client,
    csrf: String,
}

fn csrf_of(html: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    html.get(start..start + 64).map(str::to_owned)
}

/// A form answer: (status, `Location`, body).
type Answered = (u16, String, String);

impl Browser {
    async fn sign_in(base: &str, email: &str) -> Self {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let html = client
            .get(format!("{base}/sign-in"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = csrf_of(&html).expect("the sign-in form has a CSRF token");
        let res = client
            .post(format!("{base}/sign-in"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", email),
                ("password", PASSWORD),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303, "{email} signs in");
        let html = client
            .get(format!("{base}/governance"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        Self {
            client,
            csrf: csrf_of(&html).expect("a signed-in page has a CSRF token"),
        }
    }

    /// Posts a form with the CSRF token; `Err` when no complete answer came.
    async fn post(&self, url: String, fields: &[(String, String)]) -> Result<Answered, String> {
        let mut form: Vec<(&str, &str)> = vec![("csrf", self.csrf.as_str())];
        form.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let res = self
            .client
            .post(url)
            .form(&form)
            .send()
            .await
            .map_err(|e| format!("send: {e}"))?;
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = res
            .text()
            .await
            .map_err(|e| format!("{status}, body: {e}"))?;
        Ok((status, location, body))
    }
}

/// A form field.
fn f(name: impl ToString, value: impl ToString) -> (String, String) {
    (name.to_string(), value.to_string())
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// The world the soak runs in: votes, resources, a cycle, households
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    /// Open, `yes`/`no`/`abstain`, re-votes replace.
    Majority,
    /// Open, approval of 4 options.
    Approval,
    /// Secret majority: one ballot per voter, a receipt.
    Secret,
}

const APPROVAL_OPTIONS: u16 = 4;

#[derive(Clone, Debug)]
struct Vote {
    id: Uuid,
    method: Method,
}

/// A bookable resource and the slots the soak asks for (whole hours inside its daily window).
#[derive(Clone, Debug)]
struct Resource {
    id: Uuid,
    owner: Uuid,
    fee: i64,
    from_h: i64,
    to_h: i64,
    min_h: i64,
    max_h: i64,
}

#[derive(Clone, Debug)]
struct Product {
    id: Uuid,
    name: &'static str,
    unit: &'static str,
    step: i64,
    package: i64,
    /// Stock put up at the start (`None`: unlimited).
    stock: Option<i64>,
    max_steps: i64,
}

struct World {
    people: Vec<Person>,
    /// Indices into `people` of the voters (members of the votes' electorate).
    voters: Vec<usize>,
    votes: Vec<Vote>,
    resources: Vec<Resource>,
    cycle: Uuid,
    products: Vec<Product>,
    /// `households[h]` is `people[h]`'s browser.
    households: Vec<Browser>,
    coordinator: Browser,
    /// The farm whose products the cycle offers.
    farm: Uuid,
    /// The journal's last entry before the soak.
    start_seq: i64,
    today: time::Date,
}

async fn query_uuid(db: &Db, sql: &str) -> Uuid {
    distretto_store::with_pool!(db.read(), pool => sqlx::query_scalar::<_, Uuid>(sql).fetch_one(pool).await)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A proposal of the members' assembly, written, deliberated and opened by the coordinator
/// through the pages.
async fn open_vote(coord: &Browser, base: &str, body: Uuid, title: &str, method: Method) -> Uuid {
    let mut form = vec![
        f("title", title),
        f("text", "Soak test vote."),
        f("threshold", "more_than_half"),
        f("quorum_percent", "0"),
    ];
    match method {
        Method::Majority => form.push(f("method", "majority")),
        Method::Approval => form.extend([
            f("method", "approval"),
            f("options", "Van\nCold room\nKitchen\nHall"),
        ]),
        Method::Secret => form.extend([f("method", "majority"), f("secret", "on")]),
    }
    let (s, location, html) = coord
        .post(
            format!("{base}/governance/bodies/{body}/proposals/new"),
            &form,
        )
        .await
        .unwrap();
    assert_eq!(s, 303, "{html}");
    let id: Uuid = location
        .trim_start_matches("/governance/proposals/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let path = format!("{base}/governance/proposals/{id}/action");
    let (s, _, html) = coord.post(format!("{path}/deliberate"), &[]).await.unwrap();
    assert_eq!(s, 303, "{html}");
    let closes = distretto_web::pages::datetime_local::datetime_local(
        OffsetDateTime::now_utc() + time::Duration::days(7),
    );
    let (s, _, html) = coord
        .post(format!("{path}/open"), &[f("closes_at", closes)])
        .await
        .unwrap();
    assert_eq!(s, 303, "{html}");
    id
}

/// Two paid resources and a free one billed per hour, open every day.
async fn pick_resources(client: &reqwest::Client, base: &str, token: &str) -> Vec<Resource> {
    let (s, list) = get_json(
        client,
        format!("{base}/api/v1/market/resources?limit=100"),
        token,
    )
    .await;
    assert_eq!(s, 200, "{list}");
    let hour = |t: &Value| -> Option<i64> {
        let t = t.as_str()?;
        let (h, m) = t.split_once(':')?;
        (m == "00").then(|| h.parse().ok()).flatten()
    };
    let mut candidates: Vec<Resource> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| {
            let windows = r["availability"].as_array()?;
            let (from_h, to_h) = (
                hour(&windows.first()?["from"])?,
                hour(&windows.first()?["to"])?,
            );
            let every_day = windows.len() == 7
                && windows
                    .iter()
                    .all(|w| hour(&w["from"]) == Some(from_h) && hour(&w["to"]) == Some(to_h));
            let (min, max) = (r["min_minutes"].as_i64()?, r["max_minutes"].as_i64()?);
            let min_h = (min + 59) / 60;
            let max_h = (max / 60).min(3);
            (r["fee_unit"] == "hour" && every_day && r["enabled"] == true && min_h <= max_h).then(
                || Resource {
                    id: r["id"].as_str().unwrap().parse().unwrap(),
                    owner: r["owner"].as_str().unwrap().parse().unwrap(),
                    fee: r["fee"].as_i64().unwrap(),
                    from_h,
                    to_h,
                    min_h: min_h.max(1),
                    max_h,
                },
            )
        })
        .collect();
    candidates.sort_by_key(|r| (r.fee, r.id));
    let free = candidates.iter().find(|r| r.fee == 0).cloned();
    let mut chosen: Vec<Resource> = candidates
        .into_iter()
        .filter(|r| r.fee > 0)
        .take(2)
        .collect();
    chosen.extend(free);
    assert_eq!(
        chosen.len(),
        3,
        "two paid and one free resource in the demo"
    );
    chosen
}

/// Three products of a demo farm (two with little stock, one sold by the crate with tolerance),
/// and a cycle of a demo purchasing
/// group offering them, opened by the coordinator through the group's page.
async fn open_cycle(
    db: &Db,
    coord: &Browser,
    base: &str,
    currency: &str,
) -> (Uuid, Uuid, Vec<Product>) {
    let farm = query_uuid(
        db,
        "SELECT p.producer_id FROM products p JOIN organizations o ON o.id = p.producer_id \
         WHERE o.kind = 'farm' AND o.status = 'active' GROUP BY p.producer_id ORDER BY COUNT(*) DESC, p.producer_id LIMIT 1",
    )
    .await;
    let group = query_uuid(
        db,
        "SELECT o.id FROM organizations o JOIN pickup_points x ON x.group_id = o.id \
         WHERE o.kind = 'purchasing_group' AND o.status = 'active' AND x.active ORDER BY o.id LIMIT 1",
    )
    .await;
    let pickups: Vec<Uuid> = distretto_store::purchasing::catalogue::pickups_of(db, group)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.active)
        .map(|p| p.id)
        .collect();
    let products = vec![
        Product {
            id: Uuid::now_v7(),
            name: "Soak chestnut honey",
            unit: "piece",
            step: 1_000,
            package: 1_000,
            stock: Some(12_000),
            max_steps: 5,
        },
        Product {
            id: Uuid::now_v7(),
            name: "Soak stone-ground flour",
            unit: "kg",
            step: 500,
            package: 500,
            stock: Some(15_000),
            max_steps: 10,
        },
        Product {
            id: Uuid::now_v7(),
            name: "Soak apples",
            unit: "kg",
            step: 1_000,
            package: 6_000,
            stock: None,
            max_steps: 12,
        },
    ];
    let now = distretto_store::now();
    let rows: Vec<_> = products
        .iter()
        .enumerate()
        .map(
            |(i, p)| distretto_store::purchasing::catalogue::ProductRow {
                id: p.id,
                producer_id: farm,
                sku: format!("SOAK-{i}"),
                name: p.name.into(),
                description: String::new(),
                unit: p.unit.into(),
                step_milli: p.step,
                package_size_milli: p.package,
                price_euro_minor: None,
                price_credit_minor: Some(150 + 100 * i as i64),
                vat_basis_points: 400,
                origin: "Valle d'Aosta".into(),
                certifications: String::new(),
                season_months: 0xfff,
                stock_milli: p.stock,
                active: true,
                created_at: now,
                updated_at: now,
            },
        )
        .collect();
    distretto_store::purchasing::catalogue::insert_products(db, &rows)
        .await
        .unwrap();
    let now = OffsetDateTime::now_utc();
    let mut form = vec![
        f("name", "Soak order"),
        f("currency", currency),
        f(
            "opens_at",
            distretto_web::pages::datetime_local::datetime_local(now - time::Duration::minutes(2)),
        ),
        f(
            "closes_at",
            distretto_web::pages::datetime_local::datetime_local(now + time::Duration::days(2)),
        ),
        f("fee", "2"),
        f(
            "pickup_starts_at",
            distretto_web::pages::datetime_local::datetime_local(now + time::Duration::days(3)),
        ),
        f(
            "pickup_ends_at",
            distretto_web::pages::datetime_local::datetime_local(
                now + time::Duration::days(3) + time::Duration::hours(2),
            ),
        ),
        f("note", ""),
        f(format!("producer_{farm}"), "1"),
        f(format!("minimum_{farm}"), ""),
        f(format!("transport_{farm}"), "3"),
    ];
    for p in &pickups {
        form.push(f(format!("pickup_{p}"), "1"));
    }
    let (s, location, html) = coord
        .post(format!("{base}/purchasing/groups/{group}/cycles"), &form)
        .await
        .unwrap();
    assert_eq!(s, 303, "{html}");
    let cycle: Uuid = location.split('/').nth(3).unwrap().parse().unwrap();
    let offered = distretto_store::purchasing::cycles::products(db, cycle)
        .await
        .unwrap();
    for p in &products {
        assert!(
            offered.iter().any(|o| o.product_id == p.id),
            "{} offered",
            p.name
        );
    }
    (cycle, farm, products)
}

async fn setup(server: &Server, url: &str) -> World {
    let client = http_client();
    let base = &server.base;
    let (coordinator, people, currency) = pick_people(&client, base, VOTERS).await;
    widen_limits(&client, base, &coordinator, &people[..PEOPLE]).await;
    let coord = Browser::sign_in(base, "coordinator@distretto.example").await;
    let db = open(url).await;
    let start_seq: i64 = distretto_store::with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT last_seq FROM ledger_head WHERE id = 1").fetch_one(pool).await)
    .unwrap();

    let body = query_uuid(
        &db,
        "SELECT id FROM gov_bodies WHERE electorate = 'people' ORDER BY created_at, id LIMIT 1",
    )
    .await;
    let mut votes = Vec::new();
    for (title, method) in [
        ("Soak: open the repair café on Sundays", Method::Majority),
        ("Soak: which shared equipment first", Method::Approval),
        ("Soak: elect the soak delegate (secret)", Method::Secret),
    ] {
        let id = open_vote(&coord, base, body, title, method).await;
        votes.push(Vote { id, method });
    }
    let electorate: HashSet<Uuid> = distretto_store::with_pool!(db.read(), pool => sqlx::query_scalar::<_, Uuid>(
        "SELECT voter_id FROM gov_electorate WHERE proposal_id = $1").bind(votes[0].id).fetch_all(pool).await)
    .unwrap()
    .into_iter()
    .collect();
    let voters: Vec<usize> = (0..people.len())
        .filter(|i| electorate.contains(&people[*i].id))
        .collect();
    assert!(
        voters.len() >= VOTERS * 3 / 4,
        "most picked people are in the electorate ({} of {VOTERS})",
        voters.len()
    );

    let resources = pick_resources(&client, base, &people[0].token).await;
    let (cycle, farm, products) = open_cycle(&db, &coord, base, &currency).await;
    db.close().await;
    let mut households = Vec::new();
    for p in &people[..HOUSEHOLDS] {
        households.push(Browser::sign_in(base, &p.email).await);
    }
    World {
        people,
        voters,
        votes,
        resources,
        cycle,
        products,
        households,
        coordinator: coord,
        farm,
        start_seq,
        today: OffsetDateTime::now_utc().date(),
    }
}

// ---------------------------------------------------------------------------------------------
// What the clients saw
// ---------------------------------------------------------------------------------------------

/// One payment; its key is also its memo.
#[derive(Clone, Debug)]
struct Pay {
    key: String,
    payer: usize,
    payee: usize,
    amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    /// 201 (or a replay's 200), the whole body received: the object's id.
    Made(Uuid),
    /// A 4xx with its error code.
    Refused(u16, String),
    /// No complete answer: the connection failed (the server was killed), or a 5xx.
    Lost(String),
}

#[derive(Default)]
struct PayLog {
    asks: HashMap<String, Pay>,
    acked: HashMap<String, Uuid>,
    in_flight: HashSet<String>,
    refusals: BTreeMap<String, u64>,
    requests: u64,
    killed_in_flight: usize,
    retried: usize,
    retried_committed: usize,
}

impl PayLog {
    fn record(&mut self, ask: &Pay, answer: &Answer, errors: &mut Vec<String>) {
        self.requests += 1;
        match answer {
            Answer::Made(id) => {
                self.in_flight.remove(&ask.key);
                if let Some(first) = self.acked.insert(ask.key.clone(), *id)
                    && first != *id
                {
                    errors.push(format!("{}: acknowledged as {first} then {id}", ask.key));
                }
            }
            Answer::Refused(status, code) => {
                self.in_flight.remove(&ask.key);
                *self.refusals.entry(format!("{status} {code}")).or_default() += 1;
                if *status != 422 {
                    errors.push(format!("payment {}: refused {status} {code}", ask.key));
                }
            }
            Answer::Lost(_) => {
                self.in_flight.insert(ask.key.clone());
            }
        }
    }
}

/// One booking asked; its key is also its note.
#[derive(Clone, Debug)]
struct Book {
    key: String,
    person: usize,
    resource: usize,
    start: OffsetDateTime,
    end: OffsetDateTime,
}

#[derive(Default)]
struct BookLog {
    asks: HashMap<String, Book>,
    acked: HashMap<String, Uuid>,
    in_flight: HashSet<String>,
    refusals: BTreeMap<String, u64>,
    requests: u64,
    killed_in_flight: usize,
    /// Bookings found `held` (hold committed, fee not) after a restart.
    held_after_kill: usize,
    retried: usize,
    retried_committed: usize,
}

impl BookLog {
    fn record(&mut self, ask: &Book, answer: &Answer, errors: &mut Vec<String>) {
        self.requests += 1;
        match answer {
            Answer::Made(id) => {
                self.in_flight.remove(&ask.key);
                self.acked.insert(ask.key.clone(), *id);
            }
            Answer::Refused(status, code) => {
                self.in_flight.remove(&ask.key);
                *self.refusals.entry(format!("{status} {code}")).or_default() += 1;
                if !matches!((status, code.as_str()), (409, "slot_taken") | (422, _)) {
                    errors.push(format!("booking {}: refused {status} {code}", ask.key));
                }
            }
            Answer::Lost(_) => {
                self.in_flight.insert(ask.key.clone());
            }
        }
    }
}

/// (vote index, voter index into `people`).
type Seat = (usize, usize);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Voted {
    /// 201: the receipt (secret ballots) and whether it replaced an earlier ballot.
    Counted(Option<String>, bool),
    Refused(u16, String),
    Lost(String),
}

#[derive(Default)]
struct VoteLog {
    /// Open ballots as the answers and the last check leave them.
    open: HashMap<Seat, Value>,
    /// Choices of open ballots sent since without a complete answer.
    open_pending: HashMap<Seat, Vec<Value>>,
    /// Voters in a secret vote's register, as far as known.
    secret: HashSet<Seat>,
    /// Secret ballots sent without a complete answer (their choice).
    secret_pending: HashMap<Seat, Value>,
    /// Receipts of counted secret ballots, with their choice.
    receipts: Vec<(usize, String, Value)>,
    refusals: BTreeMap<String, u64>,
    requests: u64,
    counted: u64,
    replaced: u64,
    tokens: u64,
    killed_in_flight: usize,
    retried: usize,
    retried_committed: usize,
}

impl VoteLog {
    fn record(
        &mut self,
        seat: Seat,
        secret: bool,
        choice: &Value,
        answer: &Voted,
        errors: &mut Vec<String>,
    ) {
        self.requests += 1;
        match (secret, answer) {
            (_, Voted::Lost(_)) if secret => {
                self.secret_pending.insert(seat, choice.clone());
            }
            (_, Voted::Lost(_)) => {
                self.open_pending
                    .entry(seat)
                    .or_default()
                    .push(choice.clone());
            }
            (false, Voted::Counted(_, replaced)) => {
                let had = self.open.contains_key(&seat);
                let pending = self.open_pending.remove(&seat).is_some();
                if !pending && *replaced != had {
                    errors.push(format!(
                        "ballot {seat:?}: replaced = {replaced} but an earlier ballot {}",
                        if had {
                            "was counted"
                        } else {
                            "was never counted"
                        }
                    ));
                }
                self.open.insert(seat, choice.clone());
                self.counted += 1;
                self.replaced += u64::from(*replaced);
            }
            (true, Voted::Counted(Some(receipt), _)) => {
                if !self.secret.insert(seat) {
                    errors.push(format!(
                        "secret ballot {seat:?}: counted a second time (receipt {receipt})"
                    ));
                }
                self.secret_pending.remove(&seat);
                self.receipts
                    .push((seat.0, receipt.clone(), choice.clone()));
                self.counted += 1;
            }
            (true, Voted::Refused(409, code)) if code == "governance_already_voted" => {
                *self.refusals.entry(format!("409 {code}")).or_default() += 1;
                if !self.secret.contains(&seat) && self.secret_pending.remove(&seat).is_none() {
                    errors.push(format!(
                        "secret ballot {seat:?}: 'already voted' but no ballot was ever sent before"
                    ));
                }
                self.secret.insert(seat);
            }
            (_, other) => errors.push(format!(
                "ballot {seat:?} ({}): unexpected answer {other:?}",
                if secret { "secret" } else { "open" }
            )),
        }
    }
}

/// A line of an order form: (quantity, tolerance) in thousandths; `None` for none (0).
type Line = Option<(i64, i64)>;

/// An order form: household, and a line per product.
#[derive(Clone, Debug)]
struct OrderForm {
    household: usize,
    lines: Vec<Line>,
}

#[derive(Default)]
struct OrderLog {
    /// (household, product) → the line as the answers and the last check leave it.
    known: HashMap<(usize, usize), Line>,
    /// Lines sent since by forms refused in part (422) or cut by the kill.
    possible: HashMap<(usize, usize), Vec<Line>>,
    /// A household's form cut by the kill.
    in_flight: HashMap<usize, OrderForm>,
    refusals: BTreeMap<String, u64>,
    requests: u64,
    saved: u64,
    page_views: u64,
    killed_in_flight: usize,
    retried: usize,
}

impl OrderLog {
    fn record(&mut self, form: &OrderForm, answer: &Answer, errors: &mut Vec<String>) {
        self.requests += 1;
        let h = form.household;
        match answer {
            Answer::Made(_) => {
                for (p, line) in form.lines.iter().enumerate() {
                    self.known.insert((h, p), *line);
                    self.possible.remove(&(h, p));
                }
                self.in_flight.remove(&h);
                self.saved += 1;
            }
            Answer::Refused(status, code) => {
                *self.refusals.entry(format!("{status} {code}")).or_default() += 1;
                if *status != 422 {
                    errors.push(format!("order of household {h}: refused {status} {code}"));
                }
                for (p, line) in form.lines.iter().enumerate() {
                    self.possible.entry((h, p)).or_default().push(*line);
                }
                self.in_flight.remove(&h);
            }
            Answer::Lost(_) => {
                for (p, line) in form.lines.iter().enumerate() {
                    self.possible.entry((h, p)).or_default().push(*line);
                }
                self.in_flight.insert(h, form.clone());
            }
        }
    }
}

#[derive(Default)]
struct Log {
    pay: PayLog,
    vote: VoteLog,
    book: BookLog,
    order: OrderLog,
    /// 5xx answers and answers that contradict what came before.
    errors: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// The clients
// ---------------------------------------------------------------------------------------------

/// One run of the server: its address, the world, what the clients saw.
struct Round {
    base: String,
    client: reqwest::Client,
    world: Arc<World>,
    log: Mutex<Log>,
    stop: AtomicBool,
}

fn quantity(milli: i64) -> String {
    format!("{}.{:03}", milli / 1_000, milli % 1_000)
}

fn client_rng(seed: u64, kind: u64, client: usize) -> StdRng {
    StdRng::seed_from_u64(
        seed ^ kind.wrapping_mul(0x0100_0000_01b3) ^ (client as u64).wrapping_mul(0x9e37_79b9),
    )
}

impl Round {
    fn new(server: &Server, world: Arc<World>, log: Log) -> Self {
        Self {
            base: server.base.clone(),
            client: http_client(),
            world,
            log: Mutex::new(log),
            stop: AtomicBool::new(false),
        }
    }

    fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn take_log(&self) -> Log {
        std::mem::take(&mut *self.log())
    }

    /// A JSON request's answer: status and body, `Err` without a complete one (5xx included,
    /// which is also an error of the soak).
    async fn send_json(
        &self,
        what: &str,
        req: reqwest::RequestBuilder,
    ) -> Result<(u16, Value), String> {
        let res = req.send().await.map_err(|e| format!("send: {e}"))?;
        let status = res.status().as_u16();
        let body: Value = res
            .json()
            .await
            .map_err(|e| format!("{status}, body: {e}"))?;
        if status >= 500 {
            self.log()
                .errors
                .push(format!("{what}: the server answered {status} {body}"));
            return Err(format!("{status}"));
        }
        Ok((status, body))
    }

    fn refused(body: &Value, status: u16) -> Answer {
        Answer::Refused(
            status,
            body["error"]["code"].as_str().unwrap_or("?").to_owned(),
        )
    }

    // ---------- payments ----------

    async fn pay(&self, ask: &Pay) -> Answer {
        let p = &self.world.people;
        let req = self
            .client
            .post(format!("{}/api/v1/transfers", self.base))
            .bearer_auth(&p[ask.payer].token)
            .header("Idempotency-Key", &ask.key)
            .json(&json!({
                "payer": p[ask.payer].account,
                "payee": p[ask.payee].account,
                "amount": ask.amount,
                "memo": ask.key,
            }));
        match self.send_json(&format!("payment {}", ask.key), req).await {
            Err(e) => Answer::Lost(e),
            Ok((201, body)) => {
                let matches = body["payer"] == json!(p[ask.payer].account)
                    && body["payee"] == json!(p[ask.payee].account)
                    && body["amount"] == json!(ask.amount)
                    && body["memo"] == json!(ask.key);
                if !matches {
                    self.log().errors.push(format!(
                        "{}: the 201 does not describe the payment asked: {body}",
                        ask.key
                    ));
                }
                Answer::Made(body["id"].as_str().unwrap().parse().unwrap())
            }
            Ok((status, body)) => Self::refused(&body, status),
        }
    }

    async fn pay_client(self: Arc<Self>, tag: String, c: usize, seed: u64) {
        let mut rng = client_rng(seed, 1, c);
        let mut n = 0;
        while !self.stop.load(Ordering::Relaxed) {
            let payer = rng.random_range(0..PEOPLE);
            let mut payee = rng.random_range(0..PEOPLE - 1);
            if payee >= payer {
                payee += 1;
            }
            let ask = Pay {
                key: format!("{tag}-p{c}-{n}"),
                payer,
                payee,
                amount: rng.random_range(1..=MAX_AMOUNT),
            };
            n += 1;
            {
                let mut log = self.log();
                log.pay.asks.insert(ask.key.clone(), ask.clone());
                log.pay.in_flight.insert(ask.key.clone());
            }
            let answer = self.pay(&ask).await;
            let mut log = self.log();
            let log = &mut *log;
            log.pay.record(&ask, &answer, &mut log.errors);
            if matches!(answer, Answer::Lost(_)) {
                break;
            }
        }
    }

    // ---------- bookings ----------

    /// A booking's answer: `Made` only for a confirmed booking (any other status is an error
    /// of the soak, recorded).
    async fn book(&self, ask: &Book) -> (Answer, u16) {
        let person = &self.world.people[ask.person];
        let resource = &self.world.resources[ask.resource];
        let req = self
            .client
            .post(format!(
                "{}/api/v1/market/resources/{}/bookings",
                self.base, resource.id
            ))
            .bearer_auth(&person.token)
            .header("Idempotency-Key", &ask.key)
            .json(&json!({
                "start": rfc3339(ask.start),
                "end": rfc3339(ask.end),
                "account": person.account,
                "note": ask.key,
            }));
        match self.send_json(&format!("booking {}", ask.key), req).await {
            Err(e) => (Answer::Lost(e), 0),
            Ok((status @ (200 | 201), body)) => {
                let id: Uuid = body["id"].as_str().unwrap().parse().unwrap();
                if body["status"] != "confirmed" {
                    self.log().errors.push(format!(
                        "booking {}: answered {status} with a booking that is not confirmed: {body}",
                        ask.key
                    ));
                }
                (Answer::Made(id), status)
            }
            Ok((status, body)) => (Self::refused(&body, status), status),
        }
    }

    fn slot(&self, rng: &mut StdRng, r: &Resource) -> (OffsetDateTime, OffsetDateTime) {
        // Two hot days where requests collide, and a long tail of free ones.
        let day = if rng.random_bool(0.4) {
            rng.random_range(2..=3)
        } else {
            rng.random_range(4..=40)
        };
        let hours = rng.random_range(r.min_h..=r.max_h);
        let from = rng.random_range(r.from_h..=r.to_h - hours);
        let start = (self.world.today + time::Duration::days(day))
            .midnight()
            .assume_utc()
            + time::Duration::hours(from);
        (start, start + time::Duration::hours(hours))
    }

    async fn book_client(self: Arc<Self>, tag: String, c: usize, seed: u64) {
        let mut rng = client_rng(seed, 2, c);
        let mut n = 0;
        while !self.stop.load(Ordering::Relaxed) {
            let resource = rng.random_range(0..self.world.resources.len());
            let (start, end) = self.slot(&mut rng, &self.world.resources[resource]);
            let ask = Book {
                key: format!("{tag}-b{c}-{n}"),
                person: rng.random_range(0..PEOPLE),
                resource,
                start,
                end,
            };
            n += 1;
            {
                let mut log = self.log();
                log.book.asks.insert(ask.key.clone(), ask.clone());
                log.book.in_flight.insert(ask.key.clone());
            }
            let (answer, status) = self.book(&ask).await;
            let mut log = self.log();
            let log = &mut *log;
            if status == 200 {
                log.errors.push(format!(
                    "booking {}: a fresh key answered as a replay",
                    ask.key
                ));
            }
            log.book.record(&ask, &answer, &mut log.errors);
            if matches!(answer, Answer::Lost(_)) {
                break;
            }
        }
    }

    // ---------- ballots ----------

    async fn vote(&self, seat: Seat, choice: &Value) -> Voted {
        let (v, p) = (&self.world.votes[seat.0], &self.world.people[seat.1]);
        let req = self
            .client
            .post(format!(
                "{}/api/v1/governance/proposals/{}/ballots",
                self.base, v.id
            ))
            .bearer_auth(&p.token)
            .json(&json!({ "choice": choice }));
        match self.send_json(&format!("ballot {seat:?}"), req).await {
            Err(e) => Voted::Lost(e),
            Ok((201, body)) => Voted::Counted(
                body["receipt"].as_str().map(str::to_owned),
                body["replaced"] == true,
            ),
            Ok((status, body)) => Voted::Refused(
                status,
                body["error"]["code"].as_str().unwrap_or("?").to_owned(),
            ),
        }
    }

    async fn vote_client(self: Arc<Self>, c: usize, seed: u64) {
        let mut rng = client_rng(seed, 3, c);
        let mine: Vec<usize> = self
            .world
            .voters
            .iter()
            .copied()
            .filter(|v| v % VOTE_CLIENTS == c)
            .collect();
        while !self.stop.load(Ordering::Relaxed) {
            let voter = mine[rng.random_range(0..mine.len())];
            if rng.random_bool(0.04) {
                // A sign-in now and then: the audit log is written under the kill too.
                let email = &self.world.people[voter].email;
                match token(&self.client, &self.base, email).await {
                    Ok(Some(_)) => self.log().vote.tokens += 1,
                    Ok(None) => self
                        .log()
                        .errors
                        .push(format!("{email}: no token with the right password")),
                    Err(e) => {
                        if e.starts_with('5') {
                            self.log().errors.push(format!("token of {email}: {e}"));
                        }
                        break;
                    }
                }
                continue;
            }
            let roll: f64 = rng.random();
            let vote = if roll < 0.4 {
                0
            } else if roll < 0.75 {
                1
            } else {
                2
            };
            let choice = random_choice(&mut rng, self.world.votes[vote].method);
            let seat = (vote, voter);
            let answer = self.vote(seat, &choice).await;
            let secret = self.world.votes[vote].method == Method::Secret;
            let mut log = self.log();
            let log = &mut *log;
            log.vote
                .record(seat, secret, &choice, &answer, &mut log.errors);
            if matches!(answer, Voted::Lost(_)) {
                break;
            }
        }
    }

    // ---------- orders ----------

    fn order_fields(&self, form: &OrderForm) -> Vec<(String, String)> {
        let mut out = vec![("for".to_owned(), String::new())];
        for (p, line) in self.world.products.iter().zip(&form.lines) {
            let (q, t) = line.unwrap_or((0, 0));
            out.push((format!("q_{}", p.id), quantity(q)));
            out.push((
                format!("t_{}", p.id),
                if t > 0 { quantity(t) } else { String::new() },
            ));
        }
        out
    }

    async fn order(&self, form: &OrderForm) -> Answer {
        let url = format!("{}/purchasing/cycles/{}/order", self.base, self.world.cycle);
        let browser = &self.world.households[form.household];
        match browser.post(url, &self.order_fields(form)).await {
            Err(e) => Answer::Lost(e),
            Ok((303, location, _)) if location.contains("done=saved") => Answer::Made(Uuid::nil()),
            Ok((status, location, body)) if status >= 500 || status == 303 => {
                self.log().errors.push(format!(
                    "order of household {}: {status} {location} {}",
                    form.household,
                    body.chars().take(300).collect::<String>()
                ));
                Answer::Lost(format!("{status}"))
            }
            Ok((status, _, _)) => Answer::Refused(status, "order_form".into()),
        }
    }

    fn random_form(&self, rng: &mut StdRng, household: usize) -> OrderForm {
        let lines = self
            .world
            .products
            .iter()
            .map(|p| {
                if rng.random_bool(0.25) {
                    return None;
                }
                let q = p.step * rng.random_range(1..=p.max_steps);
                let t = if p.package > p.step && rng.random_bool(0.5) {
                    p.step * rng.random_range(1..p.package / p.step)
                } else {
                    0
                };
                Some((q, t))
            })
            .collect();
        OrderForm { household, lines }
    }

    async fn order_client(self: Arc<Self>, c: usize, seed: u64) {
        let mut rng = client_rng(seed, 4, c);
        let mine: Vec<usize> = (0..HOUSEHOLDS).filter(|h| h % ORDER_CLIENTS == c).collect();
        while !self.stop.load(Ordering::Relaxed) {
            let household = mine[rng.random_range(0..mine.len())];
            if rng.random_bool(0.3) {
                // A look at the form first, as a household does.
                let url = format!("{}/purchasing/cycles/{}", self.base, self.world.cycle);
                match self.world.households[household]
                    .client
                    .get(url)
                    .send()
                    .await
                {
                    Ok(res) => {
                        let status = res.status().as_u16();
                        if res.text().await.is_err() {
                            break;
                        }
                        if status != 200 {
                            self.log()
                                .errors
                                .push(format!("the order page answered {status}"));
                        }
                        self.log().order.page_views += 1;
                    }
                    Err(_) => break,
                }
            }
            let form = self.random_form(&mut rng, household);
            let answer = self.order(&form).await;
            let mut log = self.log();
            let log = &mut *log;
            log.order.record(&form, &answer, &mut log.errors);
            if matches!(answer, Answer::Lost(_)) {
                break;
            }
        }
    }
}

fn random_choice(rng: &mut StdRng, method: Method) -> Value {
    match method {
        Method::Majority | Method::Secret => {
            let stance = ["yes", "no", "abstain"][rng.random_range(0..3)];
            json!({ "majority": stance })
        }
        Method::Approval => {
            let mut approved: Vec<u16> = (0..APPROVAL_OPTIONS)
                .filter(|_| rng.random_bool(0.5))
                .collect();
            if approved.is_empty() {
                approved.push(rng.random_range(0..APPROVAL_OPTIONS));
            }
            json!({ "approval": approved })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Checks on the database after a restart, and the retries of what was in flight
// ---------------------------------------------------------------------------------------------

fn fail_on(errors: &[String], what: &str) {
    let shown: Vec<&String> = errors.iter().take(30).collect();
    assert!(
        errors.is_empty(),
        "{} {what} errors, first ones:\n{shown:#?}",
        errors.len()
    );
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct TransferRow {
    seq: i64,
    id: Uuid,
    payer: Uuid,
    payee: Uuid,
    amount_minor: i64,
    memo: String,
}

/// The soak's payments in the journal against what the clients saw. Returns them by key.
async fn check_payments(db: &Db, world: &World, log: &PayLog) -> HashMap<String, TransferRow> {
    let rows: Vec<TransferRow> = distretto_store::with_pool!(db.read(), pool => sqlx::query_as::<_, TransferRow>(
        "SELECT seq, id, payer, payee, amount_minor, memo FROM transfers WHERE seq > $1 AND kind = 'payment' ORDER BY seq")
        .bind(world.start_seq).fetch_all(pool).await)
    .unwrap();
    let mut errors = Vec::new();
    let mut by_key: HashMap<String, TransferRow> = HashMap::new();
    let p = &world.people;
    for row in rows {
        let Some(ask) = log.asks.get(&row.memo) else {
            errors.push(format!(
                "payment {} (seq {}) with memo {:?} was never asked for",
                row.id, row.seq, row.memo
            ));
            continue;
        };
        if row.payer != p[ask.payer].account
            || row.payee != p[ask.payee].account
            || row.amount_minor != ask.amount
        {
            errors.push(format!(
                "{}: stored payment {} differs from the request",
                ask.key, row.id
            ));
        }
        if let Some(earlier) = by_key.insert(row.memo.clone(), row.clone()) {
            errors.push(format!(
                "{}: TWO payments for one key: {} and {}",
                ask.key, earlier.id, row.id
            ));
        }
    }
    for (key, id) in &log.acked {
        match by_key.get(key) {
            Some(row) if row.id == *id => {}
            Some(row) => errors.push(format!(
                "{key}: acknowledged as {id}, journal holds {}",
                row.id
            )),
            None => errors.push(format!("{key}: acknowledged payment {id} is LOST")),
        }
    }
    for (key, row) in &by_key {
        if !log.acked.contains_key(key) && !log.in_flight.contains(key) {
            errors.push(format!(
                "{key}: payment {} committed although every answer was a refusal",
                row.id
            ));
        }
    }
    fail_on(&errors, "payment");
    by_key
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct BookingRow {
    id: Uuid,
    resource_id: Uuid,
    booked_by: Uuid,
    account_id: Uuid,
    starts_at: OffsetDateTime,
    ends_at: OffsetDateTime,
    status: String,
    fee_minor: i64,
    transfer_id: Option<Uuid>,
    idempotency_key: Option<String>,
}

const BOOKING_COLUMNS: &str = "id, resource_id, booked_by, account_id, starts_at, ends_at, status, fee_minor, transfer_id, idempotency_key";

/// The soak's bookings against what the clients saw, their fees in the journal, and no
/// overlap of active bookings on the soak's resources. Returns them by key.
async fn check_bookings(db: &Db, world: &World, log: &mut BookLog) -> HashMap<String, BookingRow> {
    let rows: Vec<BookingRow> =
        distretto_store::with_pool!(db.read(), pool => sqlx::query_as::<_, BookingRow>(
        &format!("SELECT {BOOKING_COLUMNS} FROM market_bookings WHERE idempotency_key IS NOT NULL"))
        .fetch_all(pool).await)
        .unwrap();
    let fees: HashMap<Uuid, (Uuid, i64)> =
        distretto_store::with_pool!(db.read(), pool => sqlx::query_as::<_, (Uuid, Uuid, i64)>(
        "SELECT id, payer, amount_minor FROM transfers WHERE seq > $1 AND kind = 'booking'")
        .bind(world.start_seq).fetch_all(pool).await)
        .unwrap()
        .into_iter()
        .map(|(id, payer, amount)| (id, (payer, amount)))
        .collect();
    let mut errors = Vec::new();
    let mut by_key: HashMap<String, BookingRow> = HashMap::new();
    let mut paid_by: HashMap<Uuid, usize> = HashMap::new();
    for row in rows {
        let key = row.idempotency_key.clone().unwrap_or_default();
        let Some(ask) = log.asks.get(&key) else {
            errors.push(format!(
                "booking {} with key {key:?} was never asked for",
                row.id
            ));
            continue;
        };
        let (p, r) = (&world.people[ask.person], &world.resources[ask.resource]);
        if row.resource_id != r.id
            || row.booked_by != p.id
            || row.account_id != p.account
            || row.starts_at != ask.start
            || row.ends_at != ask.end
        {
            errors.push(format!(
                "{key}: stored booking {} differs from the request: {row:?}",
                row.id
            ));
        }
        match row.status.as_str() {
            "confirmed" if row.fee_minor > 0 => match row.transfer_id.map(|t| (t, fees.get(&t))) {
                Some((t, Some((payer, amount))))
                    if *payer == p.account && *amount == row.fee_minor =>
                {
                    *paid_by.entry(t).or_default() += 1;
                }
                other => errors.push(format!(
                    "{key}: confirmed booking {} without its fee: {other:?}",
                    row.id
                )),
            },
            "confirmed" => {
                if r.fee > 0 || row.transfer_id.is_some() {
                    errors.push(format!(
                        "{key}: free booking {} of a paid resource or with a fee",
                        row.id
                    ));
                }
            }
            "held" | "released" => {
                if row.transfer_id.is_some() {
                    errors.push(format!(
                        "{key}: {} booking {} has a transfer",
                        row.status, row.id
                    ));
                }
            }
            other => errors.push(format!("{key}: booking {} is {other}", row.id)),
        }
        if let Some(earlier) = by_key.insert(key.clone(), row.clone()) {
            errors.push(format!(
                "{key}: TWO bookings for one key: {} and {}",
                earlier.id, row.id
            ));
        }
    }
    for (t, (payer, amount)) in &fees {
        if paid_by.get(t) != Some(&1) {
            errors.push(format!(
                "booking fee {t} ({amount} from {payer}) belongs to {} confirmed bookings of the soak",
                paid_by.get(t).copied().unwrap_or(0)
            ));
        }
    }
    for (key, id) in &log.acked {
        match by_key.get(key) {
            Some(row) if row.id == *id && row.status == "confirmed" => {}
            Some(row) => errors.push(format!(
                "{key}: acknowledged booking {id}, stored {} is {}",
                row.id, row.status
            )),
            None => errors.push(format!("{key}: acknowledged booking {id} is LOST")),
        }
    }
    for (key, row) in &by_key {
        let answered = !log.in_flight.contains(key);
        if !log.acked.contains_key(key) && answered && row.status != "released" {
            errors.push(format!(
                "{key}: booking {} is {} although every answer was a refusal",
                row.id, row.status
            ));
        }
        if row.status == "held" {
            if answered {
                errors.push(format!(
                    "{key}: booking {} still held after its answer",
                    row.id
                ));
            }
            log.held_after_kill += 1;
        }
    }
    // No two active bookings of a resource share an instant (the demo's own included).
    for r in &world.resources {
        let mut taken: Vec<(OffsetDateTime, OffsetDateTime, Uuid)> = distretto_store::with_pool!(db.read(), pool => sqlx::query_as(
            "SELECT starts_at, ends_at, id FROM market_bookings WHERE resource_id = $1 AND status IN ('held', 'confirmed')")
            .bind(r.id).fetch_all(pool).await)
        .unwrap();
        taken.sort();
        for pair in taken.windows(2) {
            if pair[1].0 < pair[0].1 {
                errors.push(format!(
                    "resource {}: bookings {} and {} overlap",
                    r.id, pair[0].2, pair[1].2
                ));
            }
        }
    }
    fail_on(&errors, "booking");
    by_key
}

/// In-flight ballots to retry: (seat, choice, whether the voter has a ballot stored, whether
/// the ballot cut by the kill is the one stored).
type VoteRetry = (Seat, Value, bool, bool);

/// The ballots against what the clients saw; the known state becomes the stored one. Returns
/// the ballots left in flight.
async fn check_ballots(db: &Db, world: &World, log: &mut VoteLog) -> Vec<VoteRetry> {
    let mut errors = Vec::new();
    let index: HashMap<Uuid, usize> = world
        .people
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id, i))
        .collect();
    let mut retries = Vec::new();
    for (n, vote) in world.votes.iter().enumerate() {
        if vote.method == Method::Secret {
            let register: Vec<(Uuid, Uuid)> = distretto_store::with_pool!(db.read(), pool => sqlx::query_as(
                "SELECT voter_id, cast_by FROM gov_register WHERE proposal_id = $1").bind(vote.id).fetch_all(pool).await)
            .unwrap();
            let ballot_box: Vec<(String, String)> = distretto_store::with_pool!(db.read(), pool => sqlx::query_as(
                "SELECT receipt, choice FROM gov_secret_ballots WHERE proposal_id = $1").bind(vote.id).fetch_all(pool).await)
            .unwrap();
            if register.len() != ballot_box.len() {
                errors.push(format!(
                    "secret vote: {} voters in the register, {} ballots in the box",
                    register.len(),
                    ballot_box.len()
                ));
            }
            let in_box: HashMap<&str, Value> = ballot_box
                .iter()
                .map(|(r, c)| (r.as_str(), serde_json::from_str(c).unwrap()))
                .collect();
            for (v, receipt, choice) in log.receipts.iter().filter(|r| r.0 == n) {
                if in_box.get(receipt.as_str()) != Some(choice) {
                    errors.push(format!(
                        "secret vote {v}: receipt {receipt} ({choice}) is not in the box as counted: {:?}",
                        in_box.get(receipt.as_str())
                    ));
                }
            }
            let mut registered = HashSet::new();
            for (voter, cast_by) in register {
                let Some(&i) = index.get(&voter) else {
                    errors.push(format!("secret vote: {voter} never voted in the soak"));
                    continue;
                };
                if cast_by != voter {
                    errors.push(format!("secret vote: {voter}'s ballot cast by {cast_by}"));
                }
                registered.insert((n, i));
                if !log.secret.contains(&(n, i)) && !log.secret_pending.contains_key(&(n, i)) {
                    errors.push(format!(
                        "secret vote: voter {i} registered without a ballot sent"
                    ));
                }
            }
            for seat in log.secret.iter().filter(|s| s.0 == n) {
                if !registered.contains(seat) {
                    errors.push(format!(
                        "secret vote: counted voter {} is LOST from the register",
                        seat.1
                    ));
                }
            }
            let cut: Vec<Seat> = log
                .secret_pending
                .keys()
                .copied()
                .filter(|s| s.0 == n)
                .collect();
            for seat in cut {
                let choice = log.secret_pending.remove(&seat).unwrap();
                let counted = registered.contains(&seat);
                retries.push((
                    seat,
                    choice,
                    counted,
                    counted && !log.secret.contains(&seat),
                ));
            }
            log.secret.retain(|s| s.0 != n);
            log.secret.extend(registered);
        } else {
            let rows: Vec<(Uuid, String, Uuid)> = distretto_store::with_pool!(db.read(), pool => sqlx::query_as(
                "SELECT voter_id, choice, cast_by FROM gov_ballots WHERE proposal_id = $1").bind(vote.id).fetch_all(pool).await)
            .unwrap();
            let mut stored: HashMap<usize, Value> = HashMap::new();
            for (voter, choice, cast_by) in rows {
                let Some(&i) = index.get(&voter) else {
                    errors.push(format!("open vote {n}: {voter} never voted in the soak"));
                    continue;
                };
                if cast_by != voter {
                    errors.push(format!("open vote {n}: {voter}'s ballot cast by {cast_by}"));
                }
                stored.insert(i, serde_json::from_str(&choice).unwrap());
            }
            for &v in &world.voters {
                let seat = (n, v);
                let known = log.open.get(&seat).cloned();
                let known = known.as_ref();
                let pending = log.open_pending.remove(&seat).unwrap_or_default();
                let db = stored.get(&v);
                let fine = db == known || db.is_some_and(|c| pending.contains(c));
                if !fine {
                    errors.push(format!(
                        "open vote {n}, voter {v}: stored {db:?}, acknowledged {known:?}, in flight {pending:?}"
                    ));
                }
                match db {
                    Some(c) => log.open.insert(seat, c.clone()),
                    None => log.open.remove(&seat),
                };
                if let Some(last) = pending.last() {
                    // (seat, choice, a ballot stored, the cut request's own choice stored)
                    let committed = db.is_some_and(|c| Some(c) != known && pending.contains(c));
                    retries.push((seat, last.clone(), db.is_some(), committed));
                }
            }
        }
    }
    for table in ["gov_ballots", "gov_register"] {
        let doubles: i64 = distretto_store::with_pool!(db.read(), pool => sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM (SELECT proposal_id, voter_id FROM {table} GROUP BY proposal_id, voter_id HAVING COUNT(*) > 1) d"))
            .fetch_one(pool).await)
        .unwrap();
        if doubles != 0 {
            errors.push(format!(
                "{table}: {doubles} voters with two ballots on one proposal"
            ));
        }
    }
    fail_on(&errors, "ballot");
    retries
}

/// The orders of the soak's cycle against what the households saw; the known lines become the
/// stored ones. Returns the totals ordered per product.
async fn check_orders(db: &Db, world: &World, log: &mut OrderLog) -> Vec<i64> {
    let mut errors = Vec::new();
    let index: HashMap<Uuid, usize> = world.people[..HOUSEHOLDS]
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id, i))
        .collect();
    let orders: Vec<(Uuid, Uuid, Uuid, String)> = distretto_store::with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT o.id, o.person_id, o.account_id, p.membership_status FROM orders o JOIN people p ON p.id = o.person_id WHERE o.cycle_id = $1")
        .bind(world.cycle).fetch_all(pool).await)
    .unwrap();
    for (id, person, account, status) in &orders {
        match index.get(person) {
            Some(&h) if world.people[h].account == *account && status == "member" => {}
            _ => errors.push(format!(
                "order {id}: of {person} ({status}) charged to {account}, not a soak household's own"
            )),
        }
    }
    let lines: Vec<(Uuid, Uuid, String, i64, i64)> = distretto_store::with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT o.person_id, l.product_id, l.beneficiary, l.quantity_milli, l.tolerance_milli FROM order_lines l \
         JOIN orders o ON o.id = l.order_id WHERE o.cycle_id = $1")
        .bind(world.cycle).fetch_all(pool).await)
    .unwrap();
    let mut stored: HashMap<(usize, usize), Line> = HashMap::new();
    let mut totals = vec![0_i64; world.products.len()];
    for (person, product, beneficiary, q, t) in lines {
        let (Some(&h), Some(p)) = (
            index.get(&person),
            world.products.iter().position(|p| p.id == product),
        ) else {
            errors.push(format!(
                "order line of {person} for {product}: not the soak's"
            ));
            continue;
        };
        if !beneficiary.is_empty() || q <= 0 {
            errors.push(format!(
                "household {h}, product {p}: line {beneficiary:?} {q}"
            ));
        }
        totals[p] += q;
        stored.insert((h, p), Some((q, t)));
    }
    for h in 0..HOUSEHOLDS {
        for p in 0..world.products.len() {
            let db = stored.get(&(h, p)).copied().flatten();
            let known = log.known.get(&(h, p)).copied().flatten();
            let possible = log.possible.remove(&(h, p)).unwrap_or_default();
            if db != known && !possible.contains(&db) {
                errors.push(format!(
                    "household {h}, product {p}: stored {db:?}, acknowledged {known:?}, sent since {possible:?}"
                ));
            }
            log.known.insert((h, p), db);
        }
    }
    for (p, product) in world.products.iter().enumerate() {
        let stock: Option<i64> = distretto_store::with_pool!(db.read(), pool => sqlx::query_scalar(
            "SELECT stock_milli FROM products WHERE id = $1").bind(product.id).fetch_one(pool).await)
        .unwrap();
        match (product.stock, stock) {
            (Some(put_up), Some(left)) => {
                if left < 0 || left + totals[p] != put_up {
                    errors.push(format!(
                        "{}: {left} left + {} ordered ≠ {put_up} put up",
                        product.name, totals[p]
                    ));
                }
            }
            (None, None) => {}
            other => errors.push(format!("{}: stock {other:?}", product.name)),
        }
    }
    fail_on(&errors, "order");
    totals
}

impl Round {
    /// Payments in flight at the kill, retried with their key: the transfer committed before
    /// the kill, or one posted now, or a refusal, never two.
    async fn retry_payments(&self, db: &Db, committed: &HashMap<String, TransferRow>) {
        let keys: Vec<String> = self.log().pay.in_flight.iter().cloned().collect();
        for key in keys {
            let ask = self.log().pay.asks[&key].clone();
            let before = committed.get(&key).map(|r| r.id);
            let answer = self.pay(&ask).await;
            let after: Vec<Uuid> =
                distretto_store::with_pool!(db.read(), pool => sqlx::query_scalar(
                "SELECT id FROM transfers WHERE memo = $1").bind(&key).fetch_all(pool).await)
                .unwrap();
            match (&answer, before) {
                (Answer::Made(id), Some(b)) => assert_eq!(*id, b, "{key}: the retry posted anew"),
                (Answer::Lost(e), _) => panic!("{key}: no answer after the restart: {e}"),
                (a, Some(b)) => {
                    panic!("{key}: committed before the kill as {b}, the retry answered {a:?}")
                }
                _ => {}
            }
            let expected = usize::from(matches!(answer, Answer::Made(_)));
            assert_eq!(
                after.len(),
                expected,
                "{key}: retry answered {answer:?}, journal holds {after:?}"
            );
            let mut log = self.log();
            let log = &mut *log;
            log.pay.retried += 1;
            log.pay.retried_committed += usize::from(before.is_some());
            log.pay.record(&ask, &answer, &mut log.errors);
        }
    }

    /// Bookings in flight at the kill, retried with their key: the booking made before the
    /// kill (its fee paid now if the kill came between the hold and the fee), or one made now,
    /// or a refusal; never two, never a booking without its fee.
    async fn retry_bookings(&self, db: &Db, before: &HashMap<String, BookingRow>) {
        let keys: Vec<String> = self.log().book.in_flight.iter().cloned().collect();
        for key in keys {
            let ask = self.log().book.asks[&key].clone();
            let earlier = before.get(&key);
            let (answer, status) = self.book(&ask).await;
            let after: Vec<BookingRow> = distretto_store::with_pool!(db.read(), pool => sqlx::query_as::<_, BookingRow>(
                &format!("SELECT {BOOKING_COLUMNS} FROM market_bookings WHERE idempotency_key = $1")).bind(&key).fetch_all(pool).await)
            .unwrap();
            assert!(after.len() <= 1, "{key}: two bookings: {after:?}");
            match (&answer, earlier) {
                (Answer::Lost(e), _) => panic!("{key}: no answer after the restart: {e}"),
                (Answer::Made(id), Some(b)) => {
                    assert_eq!(
                        (*id, status),
                        (b.id, 200),
                        "{key}: the retry did not answer the booking made before the kill"
                    );
                }
                (Answer::Made(_), None) => assert_eq!(status, 201, "{key}"),
                (Answer::Refused(s, c), Some(b)) => assert!(
                    b.status != "confirmed",
                    "{key}: confirmed before the kill as {}, the retry answered {s} {c}",
                    b.id
                ),
                (Answer::Refused(..), None) => {}
            }
            match &answer {
                Answer::Made(id) => assert!(
                    after
                        .first()
                        .is_some_and(|b| b.id == *id && b.status == "confirmed"),
                    "{key}: answered {id}, stored {after:?}"
                ),
                _ => assert!(
                    after.first().is_none_or(|b| b.status == "released"),
                    "{key}: refused, stored {after:?}"
                ),
            }
            let mut log = self.log();
            let log = &mut *log;
            log.book.retried += 1;
            log.book.retried_committed += usize::from(earlier.is_some());
            log.book.record(&ask, &answer, &mut log.errors);
        }
    }

    /// Ballots in flight at the kill, sent again: an open one replaces (the stored one, when
    /// the first had been counted); a secret one is counted now, or refused as already cast
    /// when the first had been.
    async fn retry_ballots(&self, retries: Vec<VoteRetry>) {
        for (seat, choice, counted_before, committed) in retries {
            let secret = self.world.votes[seat.0].method == Method::Secret;
            let answer = self.vote(seat, &choice).await;
            match (&answer, secret, counted_before) {
                (Voted::Counted(_, replaced), false, had) => {
                    assert_eq!(*replaced, had, "ballot {seat:?}: the retry's replaced flag")
                }
                (Voted::Counted(Some(_), _), true, false) => {}
                (Voted::Refused(409, code), true, true) if code == "governance_already_voted" => {}
                other => panic!("ballot {seat:?} retried: {other:?}"),
            }
            let mut log = self.log();
            let log = &mut *log;
            log.vote.retried += 1;
            log.vote.retried_committed += usize::from(committed);
            log.vote
                .record(seat, secret, &choice, &answer, &mut log.errors);
        }
    }

    /// Order forms in flight at the kill, sent again: saved (303) or refused in part (422).
    async fn retry_orders(&self) {
        let forms: Vec<OrderForm> = self.log().order.in_flight.values().cloned().collect();
        for form in forms {
            let answer = self.order(&form).await;
            assert!(
                !matches!(answer, Answer::Lost(_)),
                "order of household {} retried: {answer:?}",
                form.household
            );
            let mut log = self.log();
            let log = &mut *log;
            log.order.retried += 1;
            log.order.record(&form, &answer, &mut log.errors);
        }
    }
}

/// The kill between a booking's hold and its fee, staged deterministically (the soak meets it
/// only by chance): a booking held exactly as `book` holds it, with no fee paid, then the
/// client's retry with its key. The retry must pay it and answer it confirmed, and a second
/// retry must answer the same booking without charging again. (Before the fix the retry
/// answered 200 with the unpaid `held` booking, which the hold's expiry released later: a
/// booking acknowledged, then lost.)
async fn staged_hold_without_fee(round: &Round, url: &str) -> (Book, Uuid) {
    use distretto_store::market::resources as store;
    use distretto_web::market::resources::service::{BookingInput, request_hash};
    let (person, resource) = (&round.world.people[0], &round.world.resources[0]);
    let start = (round.world.today + time::Duration::days(60))
        .midnight()
        .assume_utc()
        + time::Duration::hours(resource.from_h);
    let ask = Book {
        key: "staged-hold-without-fee".into(),
        person: 0,
        resource: 0,
        start,
        end: start + time::Duration::hours(resource.min_h),
    };
    let input = BookingInput {
        start: ask.start,
        end: ask.end,
        account: Some(person.account),
        note: ask.key.clone(),
    };
    let db = open(url).await;
    let rules = store::resource(&db, resource.id).await.unwrap();
    let payee = store::owner_account(&db, resource.owner, &rules.currency)
        .await
        .unwrap();
    let now = distretto_store::now();
    let row = store::BookingRow {
        id: Uuid::now_v7(),
        resource_id: resource.id,
        booked_by: person.id,
        account_id: person.account,
        payee_account: payee,
        starts_at: ask.start,
        ends_at: ask.end,
        status: "held".into(),
        fee_minor: resource.fee * resource.min_h,
        free_cancel_hours: rules.free_cancel_hours,
        kept_percent: rules.kept_percent,
        transfer_id: None,
        refund_minor: None,
        refund_transfer_id: None,
        release_reason: None,
        note: ask.key.clone(),
        idempotency_key: Some(ask.key.clone()),
        request_hash: Some(request_hash(resource.id, &input).to_vec()),
        created_at: now,
        confirmed_at: None,
        cancelled_at: None,
    };
    assert!(matches!(
        store::hold(&db, &row).await.unwrap(),
        store::Hold::Held
    ));
    for attempt in 0..2 {
        let (answer, status) = round.book(&ask).await;
        assert_eq!(
            (answer, status),
            (Answer::Made(row.id), 200),
            "retry {attempt} of a booking held without its fee"
        );
        let b = store::booking(&db, row.id).await.unwrap();
        let fees: i64 = distretto_store::with_pool!(db.read(), pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM transfers WHERE kind = 'booking' AND id = $1").bind(b.transfer_id).fetch_one(pool).await)
        .unwrap();
        assert_eq!(
            (b.status.as_str(), fees),
            ("confirmed", 1),
            "retry {attempt}: the held booking is paid once: {b:?}"
        );
    }
    db.close().await;
    println!(
        "  a booking held without its fee (a kill between hold and fee, staged): the retry paid it once"
    );
    (ask, row.id)
}

// ---------------------------------------------------------------------------------------------
// The soak
// ---------------------------------------------------------------------------------------------

/// "1.5" → 1500 (thousandths), "12.34" at `scale` 2 → 1234.
fn parse_fixed(text: &str, scale: u32) -> i64 {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let frac = format!("{frac:0<width$}", width = scale as usize);
    whole.parse::<i64>().unwrap() * 10_i64.pow(scale) + frac.parse::<i64>().unwrap_or(0)
}

/// The end: the votes' closing time moved to the past (behind the server's back, the only
/// edit the test makes), so the server closes them as it starts, while the coordinator closes
/// the cycle; a `SIGKILL` cuts into both. After the restart: a close acknowledged stays done,
/// one cut is retried; the votes' stored tallies equal a count of the stored ballots and
/// `distretto governance recount`; the cycle's allocation holds every line, whole packages,
/// stock, and its purchase order (CSV) sums the lines.
async fn final_closes(url: &str, dir: &Path, world: &World, log: &mut OrderLog, rng: &mut StdRng) {
    let db = open(url).await;
    let past = OffsetDateTime::now_utc() - time::Duration::minutes(1);
    for v in &world.votes {
        distretto_store::with_pool!(db.write(), pool => sqlx::query(
            "UPDATE gov_proposals SET closes_at = $2 WHERE id = $1 AND status = 'voting'")
            .bind(v.id).bind(past).execute(pool).await.map(|_| ()))
        .unwrap();
    }
    db.close().await;
    let mut server = Server::start(url, false, dir);
    let kill_after = Duration::from_millis(rng.random_range(0..=300));
    let close = format!(
        "{}/purchasing/cycles/{}/action/close",
        server.base, world.cycle
    );
    let (answer, ()) = tokio::join!(world.coordinator.post(close, &[]), async {
        tokio::time::sleep(kill_after).await;
        server.kill();
    });
    let acknowledged = match &answer {
        Ok((303, _, _)) => true,
        Ok((s, _, body)) => panic!("closing the cycle: {s} {body}"),
        Err(_) => false,
    };
    sessions_ended(url).await;
    let server = Server::start(url, false, dir);
    let db = open(url).await;
    let status = || async {
        distretto_store::with_pool!(db.read(), pool => sqlx::query_scalar::<_, String>(
            "SELECT status FROM order_cycles WHERE id = $1").bind(world.cycle).fetch_one(pool).await)
        .unwrap()
    };
    let closed_by_then = status().await;
    let votes_closed: i64 = distretto_store::with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM gov_proposals WHERE status = 'closed' AND closes_at = $1").bind(past).fetch_one(pool).await)
    .unwrap();
    check_orders(&db, world, log).await;
    if acknowledged {
        assert_eq!(closed_by_then, "closed", "an acknowledged close was lost");
    } else if closed_by_then == "open" {
        let close = format!(
            "{}/purchasing/cycles/{}/action/close",
            server.base, world.cycle
        );
        let (s, _, body) = world.coordinator.post(close, &[]).await.unwrap();
        assert_eq!(s, 303, "{body}");
    }
    assert_eq!(status().await, "closed");
    println!(
        "  closes killed after {} ms: the cycle's close {} ({closed_by_then} at the restart), {votes_closed} of 3 votes closed by then",
        kill_after.as_millis(),
        if acknowledged { "acknowledged" } else { "cut" }
    );

    // The allocation.
    let lines: Vec<(Uuid, i64, i64, Option<i64>)> = distretto_store::with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT l.product_id, l.quantity_milli, l.tolerance_milli, l.allocated_milli FROM order_lines l \
         JOIN orders o ON o.id = l.order_id WHERE o.cycle_id = $1")
        .bind(world.cycle).fetch_all(pool).await)
    .unwrap();
    let mut allocated = vec![0_i64; world.products.len()];
    for (product, q, t, a) in &lines {
        let p = world
            .products
            .iter()
            .position(|x| x.id == *product)
            .unwrap();
        let a = a.expect("every line allocated at the close");
        assert!(
            (0..=q + t).contains(&a)
                && (world.products[p].package > world.products[p].step || a == *q),
            "{}: {a} allocated for {q} ordered (tolerance {t})",
            world.products[p].name
        );
        allocated[p] += a;
    }
    for (p, product) in world.products.iter().enumerate() {
        let (packages, price): (Option<i64>, i64) = distretto_store::with_pool!(db.read(), pool => sqlx::query_as(
            "SELECT packages, price_minor FROM cycle_products WHERE cycle_id = $1 AND product_id = $2")
            .bind(world.cycle).bind(product.id).fetch_one(pool).await)
        .unwrap();
        if product.package > product.step {
            assert_eq!(
                packages.unwrap_or(0) * product.package,
                allocated[p],
                "{}: whole packages",
                product.name
            );
        }
        let left: Option<i64> = distretto_store::with_pool!(db.read(), pool => sqlx::query_scalar(
            "SELECT stock_milli FROM products WHERE id = $1").bind(product.id).fetch_one(pool).await)
        .unwrap();
        if let (Some(put_up), Some(left)) = (product.stock, left) {
            assert_eq!(
                left + allocated[p],
                put_up,
                "{}: stock after the close",
                product.name
            );
        }
        // The purchase order the farm receives sums the lines.
        let csv = world
            .coordinator
            .client
            .get(format!(
                "{}/purchasing/cycles/{}/purchase-orders/{}/csv",
                server.base, world.cycle, world.farm
            ))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let row: Option<Vec<&str>> = csv
            .lines()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|f| f.get(1) == Some(&product.name));
        match row {
            None => assert_eq!(
                allocated[p], 0,
                "{}: not in the purchase order:\n{csv}",
                product.name
            ),
            Some(f) => {
                let (quantity, csv_price, amount) = (
                    parse_fixed(f[3], 3),
                    parse_fixed(f[5], 2),
                    parse_fixed(f[6], 2),
                );
                assert_eq!(
                    (quantity, csv_price, amount),
                    (
                        allocated[p],
                        price,
                        distretto_domain::purchasing::catalogue::line_amount_minor(
                            price,
                            allocated[p]
                        )
                    ),
                    "{}: the purchase order's line: {f:?}",
                    product.name
                );
            }
        }
    }
    println!(
        "  the cycle closed: allocated per product {allocated:?}, matching the purchase order"
    );

    // The votes.
    let client = http_client();
    let token = token(&client, &server.base, &world.people[0].email)
        .await
        .unwrap()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    for v in &world.votes {
        let tally = loop {
            let (s, p) = get_json(
                &client,
                format!("{}/api/v1/governance/proposals/{}", server.base, v.id),
                &token,
            )
            .await;
            assert_eq!(s, 200, "{p}");
            if p["status"] == "closed" {
                break p["tally"].clone();
            }
            assert!(Instant::now() < deadline, "the vote did not close: {p}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let table = if v.method == Method::Secret {
            "gov_secret_ballots"
        } else {
            "gov_ballots"
        };
        let choices: Vec<String> = distretto_store::with_pool!(db.read(), pool => sqlx::query_scalar(
            &format!("SELECT choice FROM {table} WHERE proposal_id = $1")).bind(v.id).fetch_all(pool).await)
        .unwrap();
        let options = if v.method == Method::Approval {
            usize::from(APPROVAL_OPTIONS)
        } else {
            3
        };
        let mut count = vec![0_u64; options];
        for c in &choices {
            let c: Value = serde_json::from_str(c).unwrap();
            match v.method {
                Method::Approval => {
                    for o in c["approval"].as_array().unwrap() {
                        count[usize::try_from(o.as_u64().unwrap()).unwrap()] += 1;
                    }
                }
                _ => {
                    count[match c["majority"].as_str().unwrap() {
                        "yes" => 0,
                        "no" => 1,
                        _ => 2,
                    }] += 1;
                }
            }
        }
        let raw: Vec<u64> = tally["per_option"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["raw"].as_u64().unwrap())
            .collect();
        assert_eq!(
            (tally["cast"].as_u64(), &raw),
            (Some(choices.len() as u64), &count),
            "{:?} vote: the stored tally against the ballots: {tally}",
            v.method
        );
        println!(
            "  {:?} vote closed: {} ballots, per option {raw:?}, outcome {}",
            v.method,
            choices.len(),
            tally["outcome"]
        );
    }
    db.close().await;
    server.stop();
    cli_ok(
        &["governance", "recount"],
        url,
        dir,
        "all equal to the record",
    );
}

async fn soak(backend: Backend) {
    let seed = seed();
    let mut rng = StdRng::seed_from_u64(seed);
    let test_started = Instant::now();
    let dir = temp_dir(&format!("soak-{backend:?}").to_lowercase());
    let url = fresh_database(backend, &dir, "soak").await;
    let mut server = Server::start(&url, true, &dir);
    let world = Arc::new(setup(&server, &url).await);
    println!(
        "soak on {backend:?} (STORM_SEED={seed}): demo district, 3 votes ({} voters), 3 resources, a cycle and {HOUSEHOLDS} households ready after {:.1} s",
        world.voters.len(),
        test_started.elapsed().as_secs_f64()
    );
    let mut log = Log::default();
    let (mut load_time, mut check_time, mut cli_time) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    for round in 0..=ROUNDS {
        if round > 0 {
            server = Server::start(&url, false, &dir);
        }
        // What the kill left, on the database.
        let checking = Instant::now();
        let db = open(&url).await;
        let payments = check_payments(&db, &world, &log.pay).await;
        let bookings = check_bookings(&db, &world, &mut log.book).await;
        let ballots = check_ballots(&db, &world, &mut log.vote).await;
        let ordered = check_orders(&db, &world, &mut log.order).await;
        check_time += checking.elapsed();
        cli_time += cli_ok(&["ledger", "verify"], &url, &dir, "ledger ok");
        cli_time += cli_ok(&["audit", "verify"], &url, &dir, "audit log ok");
        // What was in flight, retried.
        let run = Arc::new(Round::new(&server, world.clone(), log));
        run.retry_payments(&db, &payments).await;
        run.retry_bookings(&db, &bookings).await;
        run.retry_ballots(ballots).await;
        run.retry_orders().await;
        db.close().await;
        if round == 0 {
            let (ask, id) = staged_hold_without_fee(&run, &url).await;
            let mut log = run.log();
            log.book.asks.insert(ask.key.clone(), ask.clone());
            log.book.acked.insert(ask.key, id);
        }
        fail_on(&run.log().errors, "answer");
        if round == ROUNDS {
            log = run.take_log();
            server.stop();
            break;
        }
        let run_for = Duration::from_millis(rng.random_range(300..=1500));
        let started = Instant::now();
        let round_seed = seed ^ ((round as u64) << 32);
        let tag = format!("sk{seed}-r{round}");
        let mut tasks = Vec::new();
        for c in 0..PAY_CLIENTS {
            tasks.push(tokio::spawn(run.clone().pay_client(
                tag.clone(),
                c,
                round_seed,
            )));
        }
        for c in 0..BOOK_CLIENTS {
            tasks.push(tokio::spawn(run.clone().book_client(
                tag.clone(),
                c,
                round_seed,
            )));
        }
        for c in 0..VOTE_CLIENTS {
            tasks.push(tokio::spawn(run.clone().vote_client(c, round_seed)));
        }
        for c in 0..ORDER_CLIENTS {
            tasks.push(tokio::spawn(run.clone().order_client(c, round_seed)));
        }
        tokio::time::sleep(run_for).await;
        run.stop.store(true, Ordering::Relaxed);
        server.kill();
        for t in tasks {
            t.await.unwrap();
        }
        load_time += started.elapsed();
        sessions_ended(&url).await;
        log = run.take_log();
        let in_flight = (
            log.pay.in_flight.len(),
            log.book.in_flight.len(),
            log.vote.open_pending.len() + log.vote.secret_pending.len(),
            log.order.in_flight.len(),
        );
        log.pay.killed_in_flight += in_flight.0;
        log.book.killed_in_flight += in_flight.1;
        log.vote.killed_in_flight += in_flight.2;
        log.order.killed_in_flight += in_flight.3;
        println!(
            "round {round}: killed after {} ms; in flight: {} payments, {} bookings, {} ballots, {} order forms; \
             so far {} payments, {} bookings, {} ballots, {} orders acknowledged; ordered at the restart {ordered:?}",
            run_for.as_millis(),
            in_flight.0,
            in_flight.1,
            in_flight.2,
            in_flight.3,
            log.pay.acked.len(),
            log.book.acked.len(),
            log.vote.counted,
            log.order.saved,
        );
    }
    // The last restart's retries, checked with the server stopped.
    let db = open(&url).await;
    check_payments(&db, &world, &log.pay).await;
    check_bookings(&db, &world, &mut log.book).await;
    assert!(check_ballots(&db, &world, &mut log.vote).await.is_empty());
    let ordered = check_orders(&db, &world, &mut log.order).await;
    db.close().await;
    final_closes(&url, &dir, &world, &mut log.order, &mut rng).await;
    cli_ok(&["ledger", "verify"], &url, &dir, "ledger ok");
    cli_ok(&["audit", "verify"], &url, &dir, "audit log ok");

    let (p, b, v, o) = (&log.pay, &log.book, &log.vote, &log.order);
    println!(
        "soak on {backend:?} (STORM_SEED={seed}): {ROUNDS} kills after {:.1} s of load; checks {:.1} s, ledger and audit verify {:.1} s; {:.1} s overall",
        load_time.as_secs_f64(),
        check_time.as_secs_f64(),
        cli_time.as_secs_f64(),
        test_started.elapsed().as_secs_f64()
    );
    println!(
        "  payments: {} requests, {} acknowledged, refusals {:?}; {} in flight at the kills, {} retried ({} had committed before the kill)",
        p.requests,
        p.acked.len(),
        p.refusals,
        p.killed_in_flight,
        p.retried,
        p.retried_committed
    );
    println!(
        "  bookings: {} requests, {} acknowledged, refusals {:?}; {} in flight at the kills ({} found held), {} retried ({} had been made before the kill)",
        b.requests,
        b.acked.len(),
        b.refusals,
        b.killed_in_flight,
        b.held_after_kill,
        b.retried,
        b.retried_committed
    );
    println!(
        "  ballots: {} requests, {} counted ({} replacing an earlier one, {} secret receipts), refusals {:?}, {} sign-ins; \
         {} in flight at the kills, {} retried ({} had been counted before the kill)",
        v.requests,
        v.counted,
        v.replaced,
        v.receipts.len(),
        v.refusals,
        v.tokens,
        v.killed_in_flight,
        v.retried,
        v.retried_committed
    );
    println!(
        "  orders: {} forms posted, {} saved, refusals {:?}, {} page views; {} in flight at the kills, {} retried; ordered per product {ordered:?}",
        o.requests, o.saved, o.refusals, o.page_views, o.killed_in_flight, o.retried
    );
    assert!(
        p.acked.len() > 50 && b.acked.len() > 20 && v.counted > 50 && o.saved > 20,
        "the soak did work"
    );
    assert!(
        p.killed_in_flight + b.killed_in_flight + v.killed_in_flight + o.killed_in_flight > ROUNDS,
        "kills cut requests"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn soak_sqlite() {
    let _serial = serial();
    runtime().block_on(soak(Backend::Sqlite));
}

#[test]
fn soak_postgres() {
    if !postgres_wanted() {
        return;
    }
    let _serial = serial();
    runtime().block_on(soak(Backend::Postgres));
}
