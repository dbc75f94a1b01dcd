#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! Payments between two districts through a faulty network, with each side killed once.
//!
//! Two real `distretto serve` processes, each with its own SQLite database, are linked; every
//! message between them goes through a proxy (in this test) that drops requests, drops answers
//! after the request was delivered, delays, and delivers requests twice, at random. Members of
//! each district pay members of the other concurrently, retrying with their idempotency key
//! when an answer is lost; in the middle B, then A, is killed with `SIGKILL` and restarted.
//!
//! Once the network heals and both resolvers have finished, every payment must be committed on
//! both sides or on neither, nothing may stay held, each side's mirror balance must be the
//! other's negated, every acknowledged (201) payment must be committed on both sides, and both
//! ledgers must verify. `FAULTS_SEED=N` replays the random choices of a run.
//!
//! The second test runs clearing rounds between three such districts, linked pairwise, while
//! members keep paying each other and B is killed; afterwards every round is posted in every
//! district of it or in none, nothing stays held, every pair of mirrors agrees, the ledgers
//! verify, and a round started on the healed network commits.

mod common;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use common::federation::{Server, call};
use common::temp_dir;
use distretto_store::{ConnectOptions, Db};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

const PASSWORD: &str = "federation faults passphrase";
/// Members paying on each side, and payments each makes.
const PAYERS: usize = 3;
const PAYMENTS_EACH: usize = 12;

/// The faulty network in front of one district: forwards to wherever it runs now.
#[derive(Clone)]
struct Proxy {
    target: Arc<Mutex<String>>,
    faulty: Arc<AtomicBool>,
    rng: Arc<Mutex<StdRng>>,
    client: reqwest::Client,
}

/// What the network does to one request.
enum Fault {
    Deliver,
    DropRequest,
    DropAnswer,
    Delay(u64),
    Twice,
}

impl Proxy {
    fn fault(&self) -> Fault {
        if !self.faulty.load(Ordering::SeqCst) {
            return Fault::Deliver;
        }
        let mut rng = self.rng.lock().unwrap();
        match rng.random_range(0..100) {
            0..15 => Fault::DropRequest,
            15..30 => Fault::DropAnswer,
            30..40 => Fault::Twice,
            40..60 => Fault::Delay(rng.random_range(50..1_500)),
            _ => Fault::Deliver,
        }
    }

    async fn forward(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Option<(u16, Bytes)> {
        let target = self.target.lock().unwrap().clone();
        let mut req = self
            .client
            .request(method.clone(), format!("{target}{path}"))
            .body(body.clone());
        for (name, value) in headers {
            if name != "host" && name != "content-length" {
                req = req.header(name, value);
            }
        }
        let res = req.send().await.ok()?;
        let status = res.status().as_u16();
        Some((status, res.bytes().await.ok()?))
    }
}

async fn proxied(
    State(proxy): State<Proxy>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri
        .path_and_query()
        .map_or(uri.path(), |p| p.as_str())
        .to_owned();
    let lost = (StatusCode::BAD_GATEWAY, "lost on the way").into_response();
    let answer = match proxy.fault() {
        Fault::DropRequest => return lost,
        Fault::DropAnswer => {
            let _ = proxy.forward(&method, &path, &headers, &body).await;
            return lost;
        }
        Fault::Delay(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            proxy.forward(&method, &path, &headers, &body).await
        }
        Fault::Twice => {
            let _ = proxy.forward(&method, &path, &headers, &body).await;
            proxy.forward(&method, &path, &headers, &body).await
        }
        Fault::Deliver => proxy.forward(&method, &path, &headers, &body).await,
    };
    match answer {
        Some((status, bytes)) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            [("content-type", "application/json")],
            bytes,
        )
            .into_response(),
        None => lost,
    }
}

async fn start_proxy(seed: u64) -> (Proxy, String) {
    let proxy = Proxy {
        target: Arc::new(Mutex::new(String::new())),
        faulty: Arc::new(AtomicBool::new(false)),
        rng: Arc::new(Mutex::new(StdRng::seed_from_u64(seed))),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .fallback(proxied)
        .with_state(proxy.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (proxy, url)
}

fn create_user(url: &str, email: &str, role: &str, dir: &Path) {
    common::federation::create_user(url, email, role, PASSWORD, dir);
}

async fn token(client: &reqwest::Client, base: &str, email: &str) -> String {
    common::federation::token(client, base, email, PASSWORD).await
}

/// `distretto serve` for one district, reached by others at `public_url` (its proxy).
fn serve(url: &str, public_url: &str, name: &str, dir: &Path) -> Server {
    let timeout = [("DISTRETTO_FEDERATION_PAYMENT_TIMEOUT_SECS", "6")];
    Server::start(url, Some(public_url), name, dir, &timeout)
}

/// One district as the test drives it.
struct District {
    name: &'static str,
    db_url: String,
    public_url: String,
    base: Arc<Mutex<String>>,
    proxy: Proxy,
    coord: String,
    /// (token, account) of each member.
    members: Vec<(String, String)>,
}

impl District {
    fn base(&self) -> String {
        self.base.lock().unwrap().clone()
    }
}

async fn link(client: &reqwest::Client, a: &District, b: &District) -> String {
    let (_, id_b) = call(
        client,
        Method::GET,
        format!("{}/api/v1/federation/district", b.base()),
        None,
        None,
    )
    .await;
    let body = json!({"url": id_b["url"], "keyid": id_b["keys"][0]["keyid"], "public_key": id_b["keys"][0]["public_key"]});
    let (s, v) = call(
        client,
        Method::POST,
        format!("{}/api/v1/federation/links", a.base()),
        Some(&a.coord),
        Some(&body),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

async fn open_mirror(client: &reqwest::Client, d: &District) {
    let (s, l) = call(
        client,
        Method::GET,
        format!("{}/api/v1/federation/links", d.base()),
        Some(&d.coord),
        None,
    )
    .await;
    assert_eq!(s, 200, "{l}");
    assert_eq!(l["items"][0]["status"], "active", "{l}");
    let mirror = l["items"][0]["mirror"]["account"].as_str().unwrap();
    let body = json!({"credit_limit": 5_000_000, "upper_limit": 5_000_000, "reason": "Assembly: open trade"});
    let (s, v) = call(
        client,
        Method::PUT,
        format!("{}/api/v1/accounts/{mirror}/limits", d.base()),
        Some(&d.coord),
        Some(&body),
    )
    .await;
    assert_eq!(s, 200, "{v}");
}

/// What a payer was last answered for one payment.
#[derive(Debug, Clone)]
struct Answer {
    key: String,
    status: u16,
    payment_id: Option<Uuid>,
}

/// A member pays members of the other district, retrying a lost answer with the same key.
async fn payer(
    client: reqwest::Client,
    base: Arc<Mutex<String>>,
    link: String,
    who: (String, String),
    payees: Vec<String>,
    seed: u64,
) -> Vec<Answer> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut answers = Vec::new();
    for n in 0..PAYMENTS_EACH {
        let key = format!("{seed}-{n}");
        let payee = &payees[rng.random_range(0..payees.len())];
        let body = json!({"link": link, "payer": who.1, "payee": payee, "amount": rng.random_range(1..400), "memo": key});
        let path = "/api/v1/federation/payments";
        answers.push(post_with_key(&client, &base, path, &who.0, &key, &body).await);
    }
    answers
}

/// POSTs `body` under the idempotency `key` until the district answers below 500, waiting
/// while it is down (at most 40 tries); the last answer.
async fn post_with_key(
    client: &reqwest::Client,
    base: &Mutex<String>,
    path: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> Answer {
    let mut last = Answer {
        key: key.to_owned(),
        status: 0,
        payment_id: None,
    };
    for _attempt in 0..40 {
        let url = format!("{}{path}", base.lock().unwrap().clone());
        let res = client
            .post(url)
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(body)
            .send()
            .await;
        if let Ok(r) = res {
            let status = r.status().as_u16();
            let v: Value = r.json().await.unwrap_or(Value::Null);
            last = Answer {
                key: key.to_owned(),
                status,
                payment_id: v["payment_id"]
                    .as_str()
                    .and_then(|s| Uuid::parse_str(s).ok()),
            };
            if status < 500 {
                break;
            }
        }
        // The district is down (killed): wait for it to come back.
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    last
}

/// Pays parts of an invoice between districts (`PAYMENTS_EACH / 3` of them), retrying each
/// with its key while the district is down.
async fn invoice_payer(
    client: reqwest::Client,
    base: Arc<Mutex<String>>,
    token: String,
    invoice: String,
    seed: u64,
) -> Vec<Answer> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut answers = Vec::new();
    for n in 0..PAYMENTS_EACH / 3 {
        let key = format!("invoice-{seed}-{n}");
        let body = json!({"amount_minor": rng.random_range(1..400)});
        let path = format!("/api/v1/federation/invoices/{invoice}/pay");
        answers.push(post_with_key(&client, &base, &path, &token, &key, &body).await);
    }
    answers
}

/// Each invoice between districts here: id → (paid, what the committed payments naming it
/// moved here).
async fn invoices_paid(db: &Db) -> HashMap<Uuid, (i64, i64)> {
    let rows: Vec<(Uuid, i64, i64)> = rows(
        db,
        "SELECT i.id, i.paid_minor, CAST(COALESCE(SUM(p.amount_minor), 0) AS BIGINT) FROM federation_invoices i \
         LEFT JOIN federation_payments p ON p.invoice_id = i.id AND p.status = 'committed' GROUP BY i.id, i.paid_minor",
    )
    .await;
    rows.into_iter()
        .map(|(id, paid, moved)| (id, (paid, moved)))
        .collect()
}

async fn open_payments(db: &Db) -> i64 {
    match db {
        Db::Sqlite { read, .. } => {
            sqlx::query_scalar("SELECT COUNT(*) FROM federation_payments WHERE open")
                .fetch_one(read)
                .await
                .unwrap()
        }
        Db::Postgres(p) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM federation_payments WHERE open")
                .fetch_one(p)
                .await
                .unwrap()
        }
    }
}

/// (payment id, direction) → (status, amount here).
async fn payments(db: &Db) -> HashMap<(Uuid, String), (String, i64)> {
    let rows: Vec<(Uuid, String, String, i64)> = match db {
        Db::Sqlite { read, .. } => sqlx::query_as(
            "SELECT payment_id, direction, status, amount_minor FROM federation_payments",
        )
        .fetch_all(read)
        .await
        .unwrap(),
        Db::Postgres(p) => sqlx::query_as(
            "SELECT payment_id, direction, status, amount_minor FROM federation_payments",
        )
        .fetch_all(p)
        .await
        .unwrap(),
    };
    rows.into_iter()
        .map(|(id, d, s, a)| ((id, d), (s, a)))
        .collect()
}

async fn mirror_balance(db: &Db) -> i64 {
    match db {
        Db::Sqlite { read, .. } => {
            sqlx::query_scalar("SELECT balance_minor FROM accounts WHERE owner_kind = 'federation'")
                .fetch_one(read)
                .await
                .unwrap()
        }
        Db::Postgres(p) => {
            sqlx::query_scalar("SELECT balance_minor FROM accounts WHERE owner_kind = 'federation'")
                .fetch_one(p)
                .await
                .unwrap()
        }
    }
}

async fn open(url: &str) -> Db {
    Db::connect(&ConnectOptions {
        url: url.to_owned(),
        max_connections: 2,
    })
    .await
    .unwrap()
}

/// The two tests each run several servers; one at a time keeps their timeouts meaningful on a
/// 2-core machine.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn payments_between_districts_survive_a_faulty_network_and_kills() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let seed: u64 = std::env::var("FAULTS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("federation faults: FAULTS_SEED={seed}");
    let dir = temp_dir("federation-faults");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let started = Instant::now();
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        let mut districts = Vec::new();
        let mut servers = Vec::new();
        for (i, name) in ["a", "b"].into_iter().enumerate() {
            let db_url = format!("sqlite:{}", dir.join(format!("{name}.db")).display());
            create_user(&db_url, &format!("coord@{name}.example"), "coordinator", &dir);
            for m in 0..PAYERS {
                create_user(&db_url, &format!("m{m}@{name}.example"), "person", &dir);
            }
            let (proxy, public_url) = start_proxy(seed + i as u64).await;
            let server = serve(&db_url, &public_url, name, &dir);
            *proxy.target.lock().unwrap() = server.base.clone();
            let base = Arc::new(Mutex::new(server.base.clone()));
            let coord = token(&client, &server.base, &format!("coord@{name}.example")).await;
            let mut members = Vec::new();
            for m in 0..PAYERS {
                let t = token(&client, &server.base, &format!("m{m}@{name}.example")).await;
                let (_, me) = call(&client, Method::GET, format!("{}/api/v1/me", server.base), Some(&t), None).await;
                members.push((t, me["accounts"][0]["id"].as_str().unwrap().to_owned()));
            }
            servers.push(server);
            districts.push(District { name, db_url, public_url, base, proxy, coord, members });
        }
        let link_a = link(&client, &districts[0], &districts[1]).await;
        let link_b = link(&client, &districts[1], &districts[0]).await;
        for d in &districts {
            open_mirror(&client, d).await;
        }
        // Each member of B invoices a member of A, who accepts: A's members pay them in parts
        // during the storm.
        let mut invoices = Vec::new();
        for (i, (creditor, account)) in districts[1].members.iter().enumerate() {
            let debtor = &districts[0].members[i];
            let body = json!({"link": link_b, "account": account, "debtor": debtor.1, "amount_minor": 100_000,
                              "description": "Forniture", "due_on": "2030-01-31"});
            let (s, v) = call(&client, Method::POST, format!("{}/api/v1/federation/invoices", districts[1].base()), Some(creditor), Some(&body)).await;
            assert_eq!(s, 201, "{v}");
            let id = v["id"].as_str().unwrap().to_owned();
            let (s, v) = call(&client, Method::POST, format!("{}/api/v1/federation/invoices/{id}/accept", districts[0].base()), Some(&debtor.0), None).await;
            assert_eq!(s, 200, "{v}");
            invoices.push((debtor.0.clone(), id));
        }
        println!("federation faults: linked after {:.1} s", started.elapsed().as_secs_f64());

        for d in &districts {
            d.proxy.faulty.store(true, Ordering::SeqCst);
        }
        let mut tasks = Vec::new();
        for (from, to, link) in [(0, 1, &link_a), (1, 0, &link_b)] {
            let payees: Vec<String> = districts[to].members.iter().map(|m| m.1.clone()).collect();
            for (i, who) in districts[from].members.iter().enumerate() {
                let s = seed.wrapping_mul(31).wrapping_add((from * 10 + i) as u64);
                tasks.push(tokio::spawn(payer(client.clone(), districts[from].base.clone(), link.clone(), who.clone(), payees.clone(), s)));
            }
        }
        for (i, (token, invoice)) in invoices.iter().enumerate() {
            let s = seed.wrapping_mul(37).wrapping_add(i as u64);
            tasks.push(tokio::spawn(invoice_payer(client.clone(), districts[0].base.clone(), token.clone(), invoice.clone(), s)));
        }
        // Kill B, then A, in the middle of the payments; each comes back on a new port.
        for victim in [1usize, 0] {
            tokio::time::sleep(Duration::from_millis(2_500)).await;
            servers[victim].kill();
            println!("federation faults: killed {} at {:.1} s", districts[victim].name, started.elapsed().as_secs_f64());
            tokio::time::sleep(Duration::from_millis(700)).await;
            let d = &districts[victim];
            let again = serve(&d.db_url, &d.public_url, d.name, &dir);
            *d.proxy.target.lock().unwrap() = again.base.clone();
            *d.base.lock().unwrap() = again.base.clone();
            servers[victim] = again;
        }
        let mut answers: Vec<Answer> = Vec::new();
        for t in tasks {
            answers.extend(t.await.unwrap());
        }
        println!("federation faults: {} payments asked by {:.1} s", answers.len(), started.elapsed().as_secs_f64());
        // Heal the network and let both resolvers finish (timeouts are 6 s, rounds every 2 s).
        for d in &districts {
            d.proxy.faulty.store(false, Ordering::SeqCst);
        }
        let (db_a, db_b) = (open(&districts[0].db_url).await, open(&districts[1].db_url).await);
        let deadline = Instant::now() + Duration::from_secs(90);
        while open_payments(&db_a).await + open_payments(&db_b).await > 0 {
            assert!(Instant::now() < deadline, "payments still open after 90 s: {} in A, {} in B", open_payments(&db_a).await, open_payments(&db_b).await);
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        println!("federation faults: settled by {:.1} s", started.elapsed().as_secs_f64());

        let (pa, pb) = (payments(&db_a).await, payments(&db_b).await);
        let mut committed = 0;
        for (here, there) in [(&pa, &pb), (&pb, &pa)] {
            for ((id, direction), (status, amount)) in here.iter() {
                assert_ne!(status, "held", "nothing stays held: {id}");
                assert_ne!(status, "new", "nothing stays half-recorded: {id}");
                if direction != "out" {
                    continue;
                }
                let theirs = there.get(&(*id, "in".to_owned()));
                if status == "committed" {
                    committed += 1;
                    let (s, a) = theirs.unwrap_or_else(|| panic!("{id} committed on one side only"));
                    assert_eq!((s.as_str(), *a), ("committed", *amount), "{id} committed on one side only");
                } else {
                    assert!(theirs.is_none_or(|(s, _)| s != "committed"), "{id} is {status} here but {theirs:?} there");
                }
            }
        }
        for a in &answers {
            if a.status == 201 {
                let id = a.payment_id.expect("a 201 names its payment");
                assert!(pa.get(&(id, "out".into())).or(pb.get(&(id, "out".into()))).is_some_and(|(s, _)| s == "committed"), "acknowledged {} not committed", a.key);
            }
        }
        assert_eq!(mirror_balance(&db_a).await, -mirror_balance(&db_b).await, "the mirrors agree");
        // Each invoice is paid on both sides exactly what the payments naming it moved.
        let (ia, ib) = (invoices_paid(&db_a).await, invoices_paid(&db_b).await);
        assert_eq!(ia.len(), PAYERS);
        for (id, (paid_a, moved_a)) in &ia {
            let (paid_b, moved_b) = ib[id];
            assert_eq!((*paid_a, paid_b), (*moved_a, moved_b), "invoice {id}: paid as the money moved");
            assert_eq!(*paid_a, paid_b, "invoice {id}: the same on both sides");
        }
        println!("federation faults: invoices paid {:?}", ia.values().map(|v| v.0).collect::<Vec<_>>());
        for db in [&db_a, &db_b] {
            let report = distretto_store::ledger::verify::verify(db).await.unwrap();
            assert!(report.ok(), "{report:?}");
        }
        let by_status = answers.iter().fold(HashMap::new(), |mut m, a| { *m.entry(a.status).or_insert(0) += 1; m });
        println!("federation faults: {committed} committed of {} asked; answers by status {by_status:?}; done in {:.1} s", answers.len(), started.elapsed().as_secs_f64());
        assert!(committed > 0, "some payments got through");
    });
}

/// Rows of one query, on either backend.
async fn rows<T>(db: &Db, sql: &str) -> Vec<T>
where
    T: Send
        + Unpin
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    distretto_store::with_pool!(db.read(), pool => sqlx::query_as::<_, T>(sql).fetch_all(pool).await).unwrap()
}

/// The balance of the mirror of the district at `peer_url` in `db`.
async fn mirror_of(db: &Db, peer_url: &str) -> i64 {
    let all: Vec<(String, i64)> = rows(db, "SELECT l.peer_url, a.balance_minor FROM accounts a JOIN federation_links l ON l.id = a.owner_id WHERE a.owner_kind = 'federation'").await;
    all.into_iter()
        .find(|(u, _)| u == peer_url)
        .map_or(0, |(_, b)| b)
}

/// Opens every mirror of `d` wide, both ways.
async fn open_mirrors(client: &reqwest::Client, d: &District) {
    let (s, l) = call(
        client,
        Method::GET,
        format!("{}/api/v1/federation/links", d.base()),
        Some(&d.coord),
        None,
    )
    .await;
    assert_eq!(s, 200, "{l}");
    for item in l["items"].as_array().unwrap() {
        assert_eq!(item["status"], "active", "{l}");
        let mirror = item["mirror"]["account"].as_str().unwrap();
        let body = json!({"credit_limit": 5_000_000, "upper_limit": 5_000_000, "reason": "Assembly: open trade"});
        let (s, v) = call(
            client,
            Method::PUT,
            format!("{}/api/v1/accounts/{mirror}/limits", d.base()),
            Some(&d.coord),
            Some(&body),
        )
        .await;
        assert_eq!(s, 200, "{v}");
    }
}

/// `x`'s link to `y`, by `y`'s address.
async fn link_id(client: &reqwest::Client, x: &District, y: &District) -> String {
    let (_, l) = call(
        client,
        Method::GET,
        format!("{}/api/v1/federation/links", x.base()),
        Some(&x.coord),
        None,
    )
    .await;
    l["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["url"] == y.public_url.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A coordinator starts clearing rounds now and then, whatever the answers.
async fn clearer(
    client: reqwest::Client,
    base: Arc<Mutex<String>>,
    coord: String,
    rounds: usize,
) -> Vec<String> {
    let mut answers = Vec::new();
    for _ in 0..rounds {
        tokio::time::sleep(Duration::from_millis(900)).await;
        let url = format!(
            "{}/api/v1/federation/clearings",
            base.lock().unwrap().clone()
        );
        if let Ok(r) = client
            .post(url)
            .bearer_auth(&coord)
            .json(&json!({}))
            .send()
            .await
        {
            let status = r.status().as_u16();
            let v: Value = r.json().await.unwrap_or(Value::Null);
            answers.push(format!(
                "{status} {}",
                v["error"]["code"].as_str().unwrap_or("")
            ));
        }
    }
    answers
}

/// round id → (status, has legs) in one district; and the rounds it started.
async fn rounds_of(db: &Db) -> (HashMap<Uuid, (String, bool)>, Vec<Uuid>) {
    let all: Vec<(Uuid, String, bool, i64)> = rows(db, "SELECT c.id, c.status, c.initiator_link_id IS NULL, \
        (SELECT COUNT(*) FROM federation_clearing_legs l WHERE l.clearing_id = c.id) FROM federation_clearings c").await;
    let started = all.iter().filter(|r| r.2).map(|r| r.0).collect();
    (
        all.into_iter()
            .map(|(id, s, _, legs)| (id, (s, legs > 0)))
            .collect(),
        started,
    )
}

async fn open_work(db: &Db) -> i64 {
    let n: Vec<(i64,)> = rows(db, "SELECT (SELECT COUNT(*) FROM federation_payments WHERE open) + (SELECT COUNT(*) FROM federation_clearings WHERE open)").await;
    n[0].0
}

#[test]
fn clearing_rounds_between_districts_survive_a_faulty_network_and_kills() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let seed: u64 = std::env::var("FAULTS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("clearing faults: FAULTS_SEED={seed}");
    let dir = temp_dir("clearing-faults");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let started = Instant::now();
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        let mut ds = Vec::new();
        let mut servers = Vec::new();
        for (i, name) in ["a", "b", "c"].into_iter().enumerate() {
            let db_url = format!("sqlite:{}", dir.join(format!("{name}.db")).display());
            create_user(&db_url, &format!("coord@{name}.example"), "coordinator", &dir);
            for m in 0..PAYERS {
                create_user(&db_url, &format!("m{m}@{name}.example"), "person", &dir);
            }
            let (proxy, public_url) = start_proxy(seed.wrapping_add(100 + i as u64)).await;
            let server = serve(&db_url, &public_url, name, &dir);
            *proxy.target.lock().unwrap() = server.base.clone();
            let base = Arc::new(Mutex::new(server.base.clone()));
            let coord = token(&client, &server.base, &format!("coord@{name}.example")).await;
            let mut members = Vec::new();
            for m in 0..PAYERS {
                let t = token(&client, &server.base, &format!("m{m}@{name}.example")).await;
                let (_, me) = call(&client, Method::GET, format!("{}/api/v1/me", server.base), Some(&t), None).await;
                members.push((t, me["accounts"][0]["id"].as_str().unwrap().to_owned()));
            }
            servers.push(server);
            ds.push(District { name, db_url, public_url, base, proxy, coord, members });
        }
        let pairs = [(0usize, 1usize), (1, 2), (2, 0)];
        for (x, y) in pairs {
            link(&client, &ds[x], &ds[y]).await;
            link(&client, &ds[y], &ds[x]).await;
        }
        for d in &ds {
            open_mirrors(&client, d).await;
        }
        // Debts round the cycle a → b → c → a, and each way on every link.
        let mut links = HashMap::new();
        for (x, y) in pairs {
            links.insert((x, y), link_id(&client, &ds[x], &ds[y]).await);
            links.insert((y, x), link_id(&client, &ds[y], &ds[x]).await);
        }
        println!("clearing faults: linked after {:.1} s", started.elapsed().as_secs_f64());
        // A cycle of debts to begin with, on a healthy network.
        for (x, y) in pairs {
            let (t, from) = ds[x].members[0].clone();
            let body = json!({"link": links[&(x, y)], "payer": from, "payee": ds[y].members[0].1, "amount": 1_000 + 100 * x as i64, "memo": "before"});
            let (s, v) = call_with_key(&client, &format!("{}/api/v1/federation/payments", ds[x].base()), &t, &format!("before-{x}{y}"), &body).await;
            assert_eq!(s, 201, "{v}");
        }

        for d in &ds {
            d.proxy.faulty.store(true, Ordering::SeqCst);
        }
        // Members keep paying round the cycle (so it keeps coming back), while every
        // coordinator starts rounds.
        let mut payers = Vec::new();
        for (&(x, y), link) in links.iter().filter(|((x, y), _)| pairs.contains(&(*x, *y))) {
            let payees: Vec<String> = ds[y].members.iter().map(|m| m.1.clone()).collect();
            let who = ds[x].members[y % PAYERS].clone();
            let s = seed.wrapping_mul(17).wrapping_add((x * 10 + y) as u64);
            payers.push(tokio::spawn(payer(client.clone(), ds[x].base.clone(), link.clone(), who, payees, s)));
        }
        let mut clearers = Vec::new();
        for d in &ds {
            clearers.push(tokio::spawn(clearer(client.clone(), d.base.clone(), d.coord.clone(), 6)));
        }
        // Kill B in the middle; it comes back on a new port.
        tokio::time::sleep(Duration::from_millis(3_000)).await;
        servers[1].kill();
        println!("clearing faults: killed b at {:.1} s", started.elapsed().as_secs_f64());
        tokio::time::sleep(Duration::from_millis(700)).await;
        let again = serve(&ds[1].db_url, &ds[1].public_url, ds[1].name, &dir);
        *ds[1].proxy.target.lock().unwrap() = again.base.clone();
        *ds[1].base.lock().unwrap() = again.base.clone();
        servers[1] = again;
        for t in payers {
            t.await.unwrap();
        }
        let mut asked = Vec::new();
        for t in clearers {
            asked.extend(t.await.unwrap());
        }
        // The payments quiet (their two sides agree again once resolved), rounds go on over the
        // faulty network, and C is killed among them.
        let mut clearers = Vec::new();
        for d in &ds {
            clearers.push(tokio::spawn(clearer(client.clone(), d.base.clone(), d.coord.clone(), 8)));
        }
        tokio::time::sleep(Duration::from_millis(4_000)).await;
        servers[2].kill();
        println!("clearing faults: killed c at {:.1} s", started.elapsed().as_secs_f64());
        tokio::time::sleep(Duration::from_millis(700)).await;
        let again = serve(&ds[2].db_url, &ds[2].public_url, ds[2].name, &dir);
        *ds[2].proxy.target.lock().unwrap() = again.base.clone();
        *ds[2].base.lock().unwrap() = again.base.clone();
        servers[2] = again;
        for t in clearers {
            asked.extend(t.await.unwrap());
        }
        println!("clearing faults: rounds asked {asked:?} by {:.1} s", started.elapsed().as_secs_f64());

        for d in &ds {
            d.proxy.faulty.store(false, Ordering::SeqCst);
        }
        let dbs = [open(&ds[0].db_url).await, open(&ds[1].db_url).await, open(&ds[2].db_url).await];
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let mut open_n = 0;
            for db in &dbs {
                open_n += open_work(db).await;
            }
            if open_n == 0 {
                break;
            }
            assert!(Instant::now() < deadline, "{open_n} payments or rounds still open after 120 s");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        println!("clearing faults: settled by {:.1} s", started.elapsed().as_secs_f64());

        let mut views = Vec::new();
        for db in &dbs {
            views.push(rounds_of(db).await);
        }
        let outcomes: Vec<Vec<String>> = views.iter().map(|(all, _)| {
            let mut v: Vec<String> = all.values().map(|(s, _)| s.clone()).collect();
            v.sort();
            v
        }).collect();
        println!("clearing faults: round statuses per district {outcomes:?}");
        let mut committed_rounds = 0;
        for (i, (_, started_here)) in views.iter().enumerate() {
            for id in started_here {
                let (decision, _) = &views[i].0[id];
                assert!(decision != "held" && decision != "new", "round {id} undecided where it started");
                for (j, (all, _)) in views.iter().enumerate() {
                    let Some((status, has_legs)) = all.get(id) else { continue };
                    assert_ne!(status, "held", "round {id} still held in {}", ds[j].name);
                    if decision == "committed" {
                        if *has_legs {
                            assert_eq!(status, "committed", "round {id} committed by {} but {status} in {}", ds[i].name, ds[j].name);
                        }
                    } else {
                        assert_ne!(status, "committed", "round {id} {decision} by {} but committed in {}", ds[i].name, ds[j].name);
                    }
                }
                if decision == "committed" {
                    committed_rounds += 1;
                }
            }
        }
        // A part whose round no district started (never recorded there) was never posted.
        for (j, (all, _)) in views.iter().enumerate() {
            for (id, (status, _)) in all {
                if !views.iter().any(|(_, s)| s.contains(id)) {
                    assert_ne!(status, "committed", "round {id} unknown to any starter but committed in {}", ds[j].name);
                }
            }
        }
        for (x, y) in pairs {
            assert_eq!(mirror_of(&dbs[x], &ds[y].public_url).await, -mirror_of(&dbs[y], &ds[x].public_url).await,
                "the mirrors of {} and {} agree", ds[x].name, ds[y].name);
        }
        for db in &dbs {
            let report = distretto_store::ledger::verify::verify(db).await.unwrap();
            assert!(report.ok(), "{report:?}");
        }

        // On the healed network: a fresh cycle, and a round that sets it off everywhere.
        for (x, y) in pairs {
            let (t, from) = ds[x].members[0].clone();
            let body = json!({"link": links[&(x, y)], "payer": from, "payee": ds[y].members[0].1, "amount": 777, "memo": "after"});
            let (s, v) = call_with_key(&client, &format!("{}/api/v1/federation/payments", ds[x].base()), &t, &format!("after-{x}{y}"), &body).await;
            assert_eq!(s, 201, "{v}");
        }
        // What A owes B, B owes C, C owes A: a cycle when all three point the same way.
        let mut owed = Vec::new();
        for (x, y) in pairs {
            owed.push(mirror_of(&dbs[x], &ds[y].public_url).await);
        }
        let cycle = if owed.iter().all(|b| *b > 0) || owed.iter().all(|b| *b < 0) {
            owed.iter().map(|b| b.abs()).min().unwrap()
        } else {
            0
        };
        let (s, v) = call(&client, Method::POST, format!("{}/api/v1/federation/clearings", ds[0].base()), Some(&ds[0].coord), Some(&json!({}))).await;
        println!("clearing faults: healed round over {owed:?}: {s} {v}");
        if cycle > 0 {
            assert_eq!(s, 201, "owed {owed:?}: {v}");
            assert_eq!(v["set_off_minor"].as_i64(), Some(3 * cycle), "owed {owed:?}: {v}");
        } else {
            assert_eq!((s, v["error"]["code"].as_str()), (422, Some("federation_clearing_nothing")), "owed {owed:?}: {v}");
        }
        let mut after = Vec::new();
        for (x, y) in pairs {
            assert_eq!(mirror_of(&dbs[x], &ds[y].public_url).await, -mirror_of(&dbs[y], &ds[x].public_url).await);
            after.push(mirror_of(&dbs[x], &ds[y].public_url).await);
        }
        for (b, a) in owed.iter().zip(&after) {
            assert_eq!(*a, b - b.signum() * cycle, "owed {owed:?}, after {after:?}");
        }
        println!("clearing faults: {committed_rounds} rounds committed under faults, answers {asked:?}; done in {:.1} s", started.elapsed().as_secs_f64());
    });
}

async fn call_with_key(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> (u16, Value) {
    let res = client
        .post(url)
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}
