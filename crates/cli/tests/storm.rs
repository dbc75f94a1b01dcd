#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! The ledger under a storm of concurrent HTTP payments, with duplicates, retries, dropped
//! connections and (in the crash test) `SIGKILL`s of the real `distretto serve` binary.
//!
//! Every payment carries its idempotency key as memo, so the journal itself tells which key
//! produced which transfers. After a storm the tests check, on the database: the journal verifies
//! (hash chain, balances replayed, sums zero, limits), every acknowledged transfer (a 201 fully
//! received) is there exactly once with the body that was asked, no key produced two transfers,
//! every replay answered the first transfer, and every balance moved by exactly what was
//! acknowledged.
//!
//! PostgreSQL runs when `DISTRETTO_TEST_POSTGRES_URL` names a server (a fresh database per test);
//! without it the PostgreSQL tests fail unless `DISTRETTO_TEST_SKIP_POSTGRES=1` says to skip.
//! `STORM_SEED=N` replays the random choices of a run (printed in its summary).

mod common;

use common::load::{
    Backend, Person, fresh_database, get_json, http_client, open, pick_people, runtime, seed,
    serial,
};
use common::server::{Server, sessions_ended};
use common::{postgres_wanted, temp_dir};
use distretto_store::Db;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Accounts the storm moves credit between.
const PEOPLE: usize = 20;
/// The tight limits set on them (minor units), widened only where the balance already lies outside.
const CREDIT_LIMIT: i64 = 3_000;
const UPPER_LIMIT: i64 = 6_000;
const MAX_AMOUNT: i64 = 2_500;

// ---------------------------------------------------------------------------------------------
// Databases and the server process
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// The district side: tokens, accounts, limits
// ---------------------------------------------------------------------------------------------

/// Sets tight limits on every account, as the coordinator, widened where the balance already
/// lies outside them (the PUT is refused otherwise). Returns the limits (credit, upper).
async fn tighten_limits(
    client: &reqwest::Client,
    base: &str,
    coordinator: &str,
    people: &[Person],
) {
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
            .json(&json!({"credit_limit": credit, "upper_limit": upper, "reason": "storm test: tight limits"}))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 200, "limits of {}: {body}", p.email);
    }
}

// ---------------------------------------------------------------------------------------------
// The storm
// ---------------------------------------------------------------------------------------------

/// One payment as first asked; its key is also its memo.
#[derive(Clone, Debug)]
struct Ask {
    key: String,
    /// How the client sent it: `plain`, `hang-up` (then retried), `twice-at-once`, `replayed`, `crash`.
    mode: &'static str,
    payer: usize,
    payee: usize,
    amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    /// 201, the whole body received: the transfer's id.
    Created(Uuid),
    /// A 4xx with its error code.
    Refused(u16, String),
    /// No complete answer: the connection failed, or a 5xx.
    Lost(String),
}

/// What the clients saw. Checked against the database afterwards.
#[derive(Default)]
struct Log {
    asks: HashMap<String, Ask>,
    /// Key → the transfer id of its first 201.
    acked: HashMap<String, Uuid>,
    /// Keys answered with 201s naming different transfers.
    split_keys: Vec<String>,
    /// 201 bodies that do not match what was asked.
    bad_bodies: Vec<String>,
    /// Keys whose last request got no complete answer (crash test).
    in_flight: HashSet<String>,
    refusals: BTreeMap<String, u64>,
    unexpected: Vec<String>,
    requests: u64,
    replays: u64,
    concurrent_replays: u64,
    /// A replay of a refused request that was then posted (refusals are not remembered).
    refused_then_created: u64,
    reused_keys: u64,
    dropped: u64,
    lost: u64,
}

impl Log {
    fn record(&mut self, ask: &Ask, answer: &Answer) {
        self.requests += 1;
        match answer {
            Answer::Created(id) => {
                self.in_flight.remove(&ask.key);
                match self.acked.get(&ask.key) {
                    Some(first) if first != id => self
                        .split_keys
                        .push(format!("{}: {first} then {id}", ask.key)),
                    Some(_) => {}
                    None => {
                        self.acked.insert(ask.key.clone(), *id);
                    }
                }
            }
            Answer::Refused(status, code) => {
                self.in_flight.remove(&ask.key);
                *self.refusals.entry(format!("{status} {code}")).or_default() += 1;
                if !(*status == 422 && code == "credit_limit_exceeded") {
                    self.unexpected
                        .push(format!("{}: {status} {code}", ask.key));
                }
            }
            Answer::Lost(_) => {
                self.lost += 1;
                self.in_flight.insert(ask.key.clone());
            }
        }
    }
}

struct Storm {
    base: String,
    addr: String,
    client: reqwest::Client,
    people: Vec<Person>,
    log: Mutex<Log>,
    /// Crash test: no new requests once set.
    stop: AtomicBool,
    /// Requests started.
    started: AtomicU64,
}

impl Storm {
    fn new(server: &Server, people: Vec<Person>, log: Log) -> Self {
        Self {
            base: server.base.clone(),
            addr: server.addr.clone(),
            client: http_client(),
            people,
            log: Mutex::new(log),
            stop: AtomicBool::new(false),
            started: AtomicU64::new(0),
        }
    }

    fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn body(&self, ask: &Ask, amount: i64) -> Value {
        json!({
            "payer": self.people[ask.payer].account,
            "payee": self.people[ask.payee].account,
            "amount": amount,
            "memo": ask.key,
        })
    }

    /// One POST; `amount` differs from the ask's only to reuse a key with another body.
    async fn post(&self, ask: &Ask, amount: i64) -> Answer {
        self.started.fetch_add(1, Ordering::Relaxed);
        let sent = self
            .client
            .post(format!("{}/api/v1/transfers", self.base))
            .bearer_auth(&self.people[ask.payer].token)
            .header("Idempotency-Key", &ask.key)
            .json(&self.body(ask, amount))
            .send()
            .await;
        let res = match sent {
            Ok(res) => res,
            Err(e) => return Answer::Lost(format!("send: {e}")),
        };
        let status = res.status().as_u16();
        let body: Value = match res.json().await {
            Ok(v) => v,
            Err(e) => return Answer::Lost(format!("{status}, body: {e}")),
        };
        match status {
            201 => {
                let id = body["id"].as_str().and_then(|s| s.parse::<Uuid>().ok());
                let p = &self.people;
                let matches = body["payer"] == json!(p[ask.payer].account)
                    && body["payee"] == json!(p[ask.payee].account)
                    && body["amount"] == json!(ask.amount)
                    && body["memo"] == json!(ask.key);
                if !matches {
                    self.log().bad_bodies.push(format!(
                        "{}: the 201 does not describe the payment asked: {body}",
                        ask.key
                    ));
                }
                match id {
                    Some(id) => Answer::Created(id),
                    None => panic!("{}: a 201 without a transfer id: {body}", ask.key),
                }
            }
            s if s >= 500 => Answer::Lost(format!("{s} {body}")),
            s => Answer::Refused(s, body["error"]["code"].as_str().unwrap_or("?").to_owned()),
        }
    }

    /// The request written whole on a raw connection that is closed without reading the answer.
    async fn post_and_hang_up(&self, ask: &Ask, linger: Duration) {
        use tokio::io::AsyncWriteExt;
        self.started.fetch_add(1, Ordering::Relaxed);
        let body = self.body(ask, ask.amount).to_string();
        let request = format!(
            "POST /api/v1/transfers HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nIdempotency-Key: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            self.people[ask.payer].token,
            ask.key,
            body.len()
        );
        if let Ok(mut s) = tokio::net::TcpStream::connect(self.addr.as_str()).await {
            let _ = s.write_all(request.as_bytes()).await;
            let _ = s.flush().await;
            if !linger.is_zero() {
                tokio::time::sleep(linger).await;
            }
            drop(s);
        }
    }

    /// Retries with the same key until a definite answer (the storm test's client).
    async fn resolve(&self, ask: &Ask) -> Answer {
        for attempt in 0..100 {
            let answer = self.post(ask, ask.amount).await;
            self.log().record(ask, &answer);
            if !matches!(answer, Answer::Lost(_)) {
                return answer;
            }
            tokio::time::sleep(Duration::from_millis(10 * (attempt + 1).min(20))).await;
        }
        panic!("{}: no definite answer after 100 attempts", ask.key);
    }

    fn new_ask(&self, rng: &mut StdRng, key: String, mode: &'static str) -> Ask {
        let payer = rng.random_range(0..self.people.len());
        let mut payee = rng.random_range(0..self.people.len() - 1);
        if payee >= payer {
            payee += 1;
        }
        let ask = Ask {
            key,
            mode,
            payer,
            payee,
            amount: rng.random_range(1..=MAX_AMOUNT),
        };
        self.log().asks.insert(ask.key.clone(), ask.clone());
        ask
    }

    /// A second request with the same key and body: it must answer the same transfer.
    fn check_replay(&self, ask: &Ask, first: &Answer, again: &Answer) {
        let mut log = self.log();
        log.replays += 1;
        match (first, again) {
            (Answer::Created(a), Answer::Created(b)) if a == b => {}
            (Answer::Created(_), other) => log
                .split_keys
                .push(format!("{}: replay of a 201 answered {other:?}", ask.key)),
            (Answer::Refused(..), Answer::Created(_)) => log.refused_then_created += 1,
            _ => {}
        }
    }

    /// A storm client: `count` payments, with replays, hang-ups and reused keys mixed in.
    async fn client(self: Arc<Self>, tag: String, client: usize, count: usize, seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed ^ (client as u64).wrapping_mul(0x9e37_79b9));
        for n in 0..count {
            let roll: f64 = rng.random();
            let mode = match roll {
                r if r < 0.04 => "hang-up",
                r if r < 0.09 => "twice-at-once",
                r if r < 0.14 => "replayed",
                _ => "plain",
            };
            let ask = self.new_ask(&mut rng, format!("{tag}-c{client}-{n}"), mode);
            let first = if roll < 0.04 {
                // Hang up before the answer, then retry with the same key.
                let linger = Duration::from_micros(rng.random_range(0..3_000));
                self.post_and_hang_up(&ask, linger).await;
                self.log().dropped += 1;
                self.resolve(&ask).await
            } else if roll < 0.09 {
                // The same request twice at once.
                // Which one the writer decided first is unknown: one may be refused and the
                // other posted; two 201s must name the same transfer (checked in `record`).
                let (a, b) = tokio::join!(self.resolve(&ask), self.resolve(&ask));
                let mut log = self.log();
                log.replays += 1;
                log.concurrent_replays += 1;
                drop(log);
                match (&a, &b) {
                    (Answer::Created(_), _) => a,
                    _ => b,
                }
            } else if roll < 0.14 {
                // A replay after the answer.
                let a = self.resolve(&ask).await;
                let b = self.resolve(&ask).await;
                self.check_replay(&ask, &a, &b);
                a
            } else {
                self.resolve(&ask).await
            };
            if matches!(first, Answer::Created(_)) && rng.random_bool(0.02) {
                // The same key with another body must be refused.
                let other = if ask.amount < MAX_AMOUNT {
                    ask.amount + 1
                } else {
                    ask.amount - 1
                };
                let answer = loop {
                    match self.post(&ask, other).await {
                        Answer::Lost(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                        a => break a,
                    }
                };
                let mut log = self.log();
                log.reused_keys += 1;
                if answer != Answer::Refused(409, "idempotency_key_reused".into()) {
                    log.split_keys.push(format!(
                        "{}: same key, other body answered {answer:?}",
                        ask.key
                    ));
                }
            }
        }
    }

    /// A crash-test client: plain payments until stopped; a request without a complete answer
    /// stays in flight and ends the client (the server is gone).
    async fn crash_client(self: Arc<Self>, tag: String, client: usize, seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed ^ (client as u64).wrapping_mul(0x9e37_79b9));
        let mut n = 0;
        while !self.stop.load(Ordering::Relaxed) {
            let ask = self.new_ask(&mut rng, format!("{tag}-c{client}-{n}"), "crash");
            n += 1;
            self.log().in_flight.insert(ask.key.clone());
            let answer = self.post(&ask, ask.amount).await;
            self.log().record(&ask, &answer);
            if matches!(answer, Answer::Lost(_)) {
                break;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Checks on the database
// ---------------------------------------------------------------------------------------------

/// A storm transfer as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Row {
    seq: i64,
    id: Uuid,
    payer: Uuid,
    payee: Uuid,
    amount_minor: i64,
    memo: String,
}

async fn last_seq(db: &Db) -> i64 {
    distretto_store::with_pool!(db.read(), pool => sqlx::query_scalar("SELECT last_seq FROM ledger_head WHERE id = 1").fetch_one(pool).await).unwrap()
}

/// The payments after `seq`. The server's own jobs post too (the demo's seasonal subscriptions
/// have instalments falling due, charged at start as kind `purchase`; its participatory budget's
/// grants are paid from the fund at start as kind `grant`); the storm asks only for payments,
/// so those are not its to account for.
async fn rows_after(db: &Db, seq: i64) -> Vec<Row> {
    distretto_store::with_pool!(db.read(), pool => sqlx::query_as::<_, Row>(
        "SELECT seq, id, payer, payee, amount_minor, memo FROM transfers WHERE seq > $1 AND kind NOT IN ('purchase', 'grant') ORDER BY seq")
        .bind(seq).fetch_all(pool).await)
    .unwrap()
}

async fn count_id(db: &Db, id: Uuid) -> i64 {
    distretto_store::with_pool!(db.read(), pool => sqlx::query_scalar("SELECT COUNT(*) FROM transfers WHERE id = $1").bind(id).fetch_one(pool).await).unwrap()
}

async fn balances(db: &Db, people: &[Person]) -> Vec<(i64, i64, Option<i64>)> {
    let mut out = Vec::new();
    for p in people {
        let b: (i64, i64, Option<i64>) = distretto_store::with_pool!(db.read(), pool => sqlx::query_as(
            "SELECT balance_minor, credit_limit_minor, upper_limit_minor FROM accounts WHERE id = $1")
            .bind(p.account).fetch_one(pool).await)
        .unwrap();
        out.push(b);
    }
    out
}

async fn sums(db: &Db) -> Vec<(String, i64)> {
    distretto_store::with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT currency, CAST(SUM(balance_minor) AS BIGINT) FROM accounts GROUP BY currency")
        .fetch_all(pool).await)
    .unwrap()
}

/// `distretto_store::ledger::verify`: hash chain, balances replayed, sums zero, limits, head.
/// Panics on any problem; returns a line for the log.
async fn verify_ledger(db: &Db) -> String {
    let started = Instant::now();
    let report = distretto_store::ledger::verify::verify(db).await.unwrap();
    assert!(
        report.ok(),
        "ledger verify failed ({} problems): {:?}",
        report.problem_count,
        report.problems
    );
    for (currency, sum) in &report.sums {
        assert_eq!(*sum, 0, "verify: balances of {currency} sum to {sum}");
    }
    format!(
        "verify ok in {} ms over {} transfers",
        started.elapsed().as_millis(),
        report.transfers
    )
}

/// The same on a connection of its own (the crash test runs it beside the next storm: it
/// reads one snapshot, taken right after the restart).
async fn verify_url(url: String) -> String {
    let db = open(&url).await;
    let line = verify_ledger(&db).await;
    db.close().await;
    line
}

/// What the clients saw against the journal. `settled`: every request got a definite answer,
/// so the journal holds exactly the acknowledged transfers; otherwise keys in flight may hold
/// one. Returns the storm's transfers by key.
async fn check_ledger(
    db: &Db,
    log: &Log,
    people: &[Person],
    start_seq: i64,
    settled: bool,
) -> HashMap<String, Row> {
    for (currency, sum) in sums(db).await {
        assert_eq!(sum, 0, "balances of {currency} sum to {sum}");
    }
    let mut errors: Vec<String> = Vec::new();
    let accounts: HashSet<Uuid> = people.iter().map(|p| p.account).collect();
    let mut by_key: HashMap<String, Row> = HashMap::new();
    let mut by_id: HashMap<Uuid, u32> = HashMap::new();
    for row in rows_after(db, start_seq).await {
        *by_id.entry(row.id).or_default() += 1;
        let Some(ask) = log.asks.get(&row.memo) else {
            errors.push(format!(
                "transfer {} (seq {}) with memo {:?} was never asked for",
                row.id, row.seq, row.memo
            ));
            continue;
        };
        if !accounts.contains(&row.payer) || !accounts.contains(&row.payee) {
            errors.push(format!("transfer {} outside the storm's accounts", row.id));
        }
        if row.payer != people[ask.payer].account
            || row.payee != people[ask.payee].account
            || row.amount_minor != ask.amount
        {
            errors.push(format!(
                "{}: stored transfer {} differs from the request (amount {} vs {})",
                ask.key, row.id, row.amount_minor, ask.amount
            ));
        }
        if let Some(earlier) = by_key.insert(row.memo.clone(), row.clone()) {
            errors.push(format!(
                "{}: TWO transfers for one idempotency key: {} (seq {}) and {} (seq {})",
                ask.key, earlier.id, earlier.seq, row.id, row.seq
            ));
        }
    }
    for (key, id) in &log.acked {
        match by_key.get(key) {
            Some(row) if row.id == *id && by_id.get(id) == Some(&1) => {}
            Some(row) => errors.push(format!(
                "{key}: acknowledged as {id} but the journal holds {} for it",
                row.id
            )),
            None => errors.push(format!(
                "{key}: acknowledged transfer {id} is LOST (rows with that id: {})",
                count_id(db, *id).await
            )),
        }
    }
    for (key, row) in &by_key {
        if !log.acked.contains_key(key) && (settled || !log.in_flight.contains(key)) {
            // Every answer for this key was a refusal, yet it posted: the client was told
            // "not paid" and money moved.
            errors.push(format!(
                "{key} ({}): transfer {} (seq {}) committed although every answer for the key was a refusal",
                log.asks[key].mode, row.id, row.seq
            ));
        }
    }
    for (p, (balance, credit, upper)) in people.iter().zip(balances(db, people).await) {
        if balance < -credit || upper.is_some_and(|u| balance > u) {
            errors.push(format!(
                "{}: balance {balance} outside limits -{credit}..{upper:?}",
                p.email
            ));
        }
    }
    errors.extend(log.split_keys.iter().cloned());
    errors.extend(log.bad_bodies.iter().cloned());
    let shown: Vec<&String> = errors.iter().take(30).collect();
    assert!(
        errors.is_empty(),
        "{} ledger errors, first ones:\n{shown:#?}",
        errors.len()
    );
    println!(
        "  journal checked: {} transfers of this storm, {} acknowledged, none lost, none doubled",
        by_key.len(),
        log.acked.len()
    );
    by_key
}

fn summary(name: &str, log: &Log, seed: u64, elapsed: Duration) {
    println!(
        "{name} (STORM_SEED={seed}): {} payments asked, {} HTTP requests answered, {} acknowledged (201), \
         {} replays ({} concurrent, {} refused-then-posted), {} hang-ups retried, {} keys reused with another body (409), \
         {} requests without complete answer, refusals by code: {:?}, elapsed {:.1} s",
        log.asks.len(),
        log.requests - log.lost,
        log.acked.len(),
        log.replays,
        log.concurrent_replays,
        log.refused_then_created,
        log.dropped,
        log.reused_keys,
        log.lost,
        log.refusals,
        elapsed.as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------------
// The storm test
// ---------------------------------------------------------------------------------------------

const CLIENTS: usize = 32;
const PER_CLIENT: usize = 500;

async fn storm(backend: Backend) {
    let seed = seed();
    let test_started = Instant::now();
    let dir = temp_dir(&format!("storm-{backend:?}").to_lowercase());
    let url = fresh_database(backend, &dir, "storm").await;
    let server = Server::start(&url, true, &dir);
    println!(
        "storm on {backend:?}: server with the demo district ready after {:.1} s",
        test_started.elapsed().as_secs_f64()
    );
    let client = http_client();
    let (coordinator, people, _) = pick_people(&client, &server.base, PEOPLE).await;
    tighten_limits(&client, &server.base, &coordinator, &people).await;
    let db = open(&url).await;
    let start_seq = last_seq(&db).await;
    let before = balances(&db, &people).await;
    db.close().await;

    let storm = Arc::new(Storm::new(&server, people.clone(), Log::default()));
    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            tokio::spawn(
                storm
                    .clone()
                    .client(format!("storm-{seed}"), c, PER_CLIENT, seed),
            )
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed();
    server.stop();

    let log = std::mem::take(&mut *storm.log());
    summary(&format!("storm on {backend:?}"), &log, seed, elapsed);
    println!(
        "  {:.0} HTTP requests/s",
        storm.started.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64()
    );
    assert!(
        log.unexpected.is_empty(),
        "unexpected refusals: {:?}",
        &log.unexpected[..log.unexpected.len().min(20)]
    );
    assert_eq!(log.asks.len(), CLIENTS * PER_CLIENT);
    let db = open(&url).await;
    println!("  {}", verify_ledger(&db).await);
    check_ledger(&db, &log, &people, start_seq, true).await;
    // Each balance moved by exactly the acknowledged transfers.
    let mut expected: Vec<i64> = before.iter().map(|b| b.0).collect();
    for key in log.acked.keys() {
        let ask = &log.asks[key];
        expected[ask.payer] -= ask.amount;
        expected[ask.payee] += ask.amount;
    }
    let after: Vec<i64> = balances(&db, &people).await.iter().map(|b| b.0).collect();
    assert_eq!(
        after, expected,
        "balances differ from the acknowledged transfers"
    );
    db.close().await;
    assert!(
        log.refusals
            .get("422 credit_limit_exceeded")
            .copied()
            .unwrap_or(0)
            > 100,
        "the limits were hit often"
    );
    assert!(log.replays > 0 && log.dropped > 0 && log.reused_keys > 0);
    println!(
        "storm on {backend:?}: passed in {:.1} s overall",
        test_started.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn storm_sqlite() {
    let _serial = serial();
    runtime().block_on(storm(Backend::Sqlite));
}

#[test]
fn storm_postgres() {
    if !postgres_wanted() {
        return;
    }
    let _serial = serial();
    runtime().block_on(storm(Backend::Postgres));
}

// ---------------------------------------------------------------------------------------------
// The crash test
// ---------------------------------------------------------------------------------------------

const ROUNDS: usize = 20;
const CRASH_CLIENTS: usize = 16;

/// After a restart: every key left in flight is retried with its key; it must answer the
/// transfer committed before the kill if there is one, and leave exactly one transfer.
/// Returns (keys retried, of which committed before the kill).
async fn retry_in_flight(
    storm: &Storm,
    db: &Db,
    committed: &HashMap<String, Row>,
) -> (usize, usize) {
    let keys: Vec<String> = storm.log().in_flight.iter().cloned().collect();
    let mut were_committed = 0;
    for key in &keys {
        let ask = storm.log().asks[key].clone();
        let before = committed.get(key).map(|r| r.id);
        were_committed += usize::from(before.is_some());
        let mut attempts = 0;
        let answer = loop {
            match storm.post(&ask, ask.amount).await {
                Answer::Lost(e) if attempts < 50 => {
                    attempts += 1;
                    eprintln!("{key}: retry lost ({e}), again");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Answer::Lost(e) => panic!("{key}: no answer after the restart: {e}"),
                a => break a,
            }
        };
        let after: Vec<Uuid> = distretto_store::with_pool!(db.read(), pool => sqlx::query_scalar(
            "SELECT id FROM transfers WHERE memo = $1").bind(key).fetch_all(pool).await)
        .unwrap();
        match (&answer, before) {
            (Answer::Created(id), Some(b)) => assert_eq!(
                *id, b,
                "{key}: the retry posted anew instead of answering the transfer committed before the kill"
            ),
            (Answer::Refused(s, c), Some(b)) => {
                panic!("{key}: committed before the kill as {b}, but the retry answered {s} {c}")
            }
            _ => {}
        }
        let expected = usize::from(matches!(answer, Answer::Created(_)));
        assert_eq!(
            after.len(),
            expected,
            "{key}: retry answered {answer:?}, journal holds {after:?}"
        );
        storm.log().record(&ask, &answer);
    }
    (keys.len(), were_committed)
}

async fn crash(backend: Backend) {
    let seed = seed();
    let mut rng = StdRng::seed_from_u64(seed);
    let test_started = Instant::now();
    let dir = temp_dir(&format!("storm-crash-{backend:?}").to_lowercase());
    let url = fresh_database(backend, &dir, "storm").await;
    let mut server = Server::start(&url, true, &dir);
    let client = http_client();
    let (coordinator, people, _) = pick_people(&client, &server.base, PEOPLE).await;
    tighten_limits(&client, &server.base, &coordinator, &people).await;
    let db = open(&url).await;
    let start_seq = last_seq(&db).await;
    db.close().await;
    println!(
        "crash test on {backend:?}: demo district and limits ready after {:.1} s",
        test_started.elapsed().as_secs_f64()
    );
    let mut log = Log::default();
    let (mut storm_time, mut killed_in_flight) = (Duration::ZERO, 0);
    let (mut retried, mut retried_committed) = (0, 0);
    for round in 0..=ROUNDS {
        if round > 0 {
            server = Server::start(&url, false, &dir);
        }
        // What the kill left: the journal verifies, and every acknowledged transfer is there
        // exactly once.
        let verifying = tokio::spawn(verify_url(url.clone()));
        let db = open(&url).await;
        let committed = check_ledger(&db, &log, &people, start_seq, false).await;
        let storm = Arc::new(Storm::new(&server, people.clone(), log));
        let (n, were_committed) = retry_in_flight(&storm, &db, &committed).await;
        retried += n;
        retried_committed += were_committed;
        db.close().await;
        if round == ROUNDS {
            println!("  {}", verifying.await.unwrap());
            server.stop();
            log = std::mem::take(&mut *storm.log());
            break;
        }
        let run_for = Duration::from_millis(rng.random_range(100..=1500));
        let started = Instant::now();
        let tasks: Vec<_> = (0..CRASH_CLIENTS)
            .map(|c| {
                tokio::spawn(storm.clone().crash_client(
                    format!("crash-{seed}-r{round}"),
                    c,
                    seed ^ ((round as u64) << 32),
                ))
            })
            .collect();
        tokio::time::sleep(run_for).await;
        storm.stop.store(true, Ordering::Relaxed);
        server.kill();
        for t in tasks {
            t.await.unwrap();
        }
        storm_time += started.elapsed();
        let verified = verifying.await.unwrap();
        sessions_ended(&url).await;
        log = std::mem::take(&mut *storm.log());
        killed_in_flight += log.in_flight.len();
        println!(
            "round {round}: {verified} after the restart; killed after {} ms with {} requests in flight; {} acknowledged so far",
            run_for.as_millis(),
            log.in_flight.len(),
            log.acked.len()
        );
    }
    // The final check after the last restart and its retries, with the server stopped.
    let db = open(&url).await;
    println!("  {}", verify_ledger(&db).await);
    check_ledger(&db, &log, &people, start_seq, true).await;
    db.close().await;
    summary(
        &format!("crash test on {backend:?}"),
        &log,
        seed,
        test_started.elapsed(),
    );
    println!(
        "  {ROUNDS} kills during {:.1} s of storm; {killed_in_flight} requests in flight at the kills, {retried} retried after restart \
         with the same key ({retried_committed} of them had committed before the kill and were answered by replay)",
        storm_time.as_secs_f64()
    );
    assert!(
        log.unexpected.is_empty(),
        "unexpected refusals: {:?}",
        &log.unexpected[..log.unexpected.len().min(20)]
    );
    assert!(!log.acked.is_empty() && killed_in_flight > 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn crash_sqlite() {
    let _serial = serial();
    runtime().block_on(crash(Backend::Sqlite));
}

#[test]
fn crash_postgres() {
    if !postgres_wanted() {
        return;
    }
    let _serial = serial();
    runtime().block_on(crash(Backend::Postgres));
}
