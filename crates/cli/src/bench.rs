//! `distretto bench …` (hidden): the ledger's figures, measured in one process.
//!
//! - `bench ledger`: durable transfers over HTTP (`POST /api/v1/transfers`) from concurrent
//!   keep-alive clients against the real router, first with the batching writer (group commit),
//!   then with one durable commit per transfer, on a fresh database; the ratio is the gain of
//!   group commit. `ledger verify` runs on the result.
//! - `bench ledger-verify`: generates a valid hash-chained journal and times `ledger verify`.
//! - `bench clearing-generate`: writes a seeded clearing file for `scripts/bench-clearing.sh`.
//! - `bench purchasing`: closing big order cycles and the ordering page under load
//!   ([`crate::bench_purchasing`]).

use crate::config::Settings;
use crate::{Failure, open_db};
use distretto_domain::ledger::{GENESIS_HASH, JournalEntry, TransferKind, entry_hash};
use distretto_store::Db;
use distretto_store::accounts::AccountRow;
use distretto_store::ledger::TransferRow;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Benchmarks.
#[derive(clap::Subcommand)]
pub enum BenchCommand {
    /// Durable transfers over HTTP: the batching writer against one commit per transfer.
    Ledger(LedgerArgs),
    /// Generate a hash-chained journal and time `ledger verify` over it.
    LedgerVerify(VerifyArgs),
    /// Write a seeded synthetic clearing file (heavy-tailed degrees, log-normal amounts).
    ClearingGenerate(crate::clear::GenerateArgs),
    /// Close big order cycles, and load the ordering page with concurrent shoppers.
    Purchasing(crate::bench_purchasing::PurchasingArgs),
    /// Tally a big Schulze election and select a big participatory budget by equal shares.
    Governance(crate::bench_governance::GovernanceArgs),
    /// Search 500,000 offers by words and distance, and match new needs against them.
    Market(crate::bench_market::MarketArgs),
    /// Payments between two linked districts, and a search of ten linked directories.
    Federation(crate::bench_federation::FederationArgs),
    /// Every impact indicator of a year of the national demo, and the dashboard over HTTP.
    Impact(crate::bench_impact::ImpactArgs),
}

/// Flags of `bench ledger`.
#[derive(clap::Args)]
pub struct LedgerArgs {
    /// Concurrent HTTP clients, each with its own keep-alive connection and payer account.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=1024))]
    clients: u16,
    /// Measured time of each run (`10s`, `500ms`, `1m`).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// Unmeasured time before each run.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    warmup: Duration,
    /// The database: `sqlite:PATH` (a file that does not exist yet) or `postgres://…` (an empty
    /// database). Default: a new SQLite file in the temporary directory, deleted afterwards.
    #[arg(long)]
    database: Option<String>,
    /// Also run the same benchmark on this (empty) PostgreSQL database.
    #[arg(long)]
    postgres: Option<String>,
    /// Only the batching writer (skip the one-commit-per-transfer baseline).
    #[arg(long)]
    no_baseline: bool,
    /// Also measure the ledger writer alone (commands submitted in-process, no HTTP), to see
    /// how the time splits between HTTP + authorisation and the durable write.
    #[arg(long)]
    writer_only: bool,
}

/// Flags of `bench ledger-verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// Transfers to generate.
    #[arg(long, default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    transfers: u64,
    /// Accounts the transfers move between.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(2..=10_000_000))]
    accounts: u32,
    /// `sqlite:PATH` or `postgres://…`. A database that already holds a journal is verified as it
    /// is (to repeat a measurement without generating again); otherwise it must be empty.
    /// Default: a new SQLite file in the temporary directory, deleted afterwards.
    #[arg(long)]
    database: Option<String>,
    /// How many times to time `verify` (the best and every run are printed).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=20))]
    repeat: u32,
}

pub async fn run(settings: &Settings, cmd: BenchCommand) -> Result<(), Failure> {
    match cmd {
        BenchCommand::Ledger(args) => ledger(settings, args).await,
        BenchCommand::LedgerVerify(args) => ledger_verify(settings, args).await,
        BenchCommand::ClearingGenerate(args) => crate::clear::generate(args),
        BenchCommand::Purchasing(args) => crate::bench_purchasing::purchasing(settings, args).await,
        BenchCommand::Governance(args) => crate::bench_governance::governance(args),
        BenchCommand::Market(args) => crate::bench_market::market(settings, args).await,
        BenchCommand::Federation(args) => crate::bench_federation::federation(settings, args).await,
        BenchCommand::Impact(args) => crate::bench_impact::impact(settings, args).await,
    }
}

/// `10s`, `250ms`, `2m` or a bare number of seconds.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = number
        .parse()
        .map_err(|_| format!("bad duration {s:?}: use e.g. 10s, 500ms, 1m"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("bad duration unit in {s:?}: use ms, s or m")),
    };
    if !(0.0..=3600.0).contains(&secs) {
        return Err(format!("duration {s:?} out of range (0 to 1 h)"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A SQLite file in the temporary directory that is removed (with its WAL) when dropped.
pub(crate) struct TempSqlite(std::path::PathBuf);

impl TempSqlite {
    pub(crate) fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "distretto-bench-{name}-{}-{}.db",
            std::process::id(),
            Uuid::new_v4().simple()
        ));
        Self(path)
    }

    pub(crate) fn url(&self) -> String {
        format!("sqlite:{}", self.0.display())
    }
}

impl Drop for TempSqlite {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The load average of the machine (1, 5, 15 minutes), as the kernel reports it.
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Refuses a `sqlite:` URL naming an existing file: the benchmark writes its own district.
fn check_new_sqlite(url: &str) -> Result<(), Failure> {
    if distretto_store::backend_of(url).ok() == Some("sqlite") {
        let path = url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        let path = path.split('?').next().unwrap_or_default();
        if std::path::Path::new(path).exists() {
            return Err(Failure::Usage(format!(
                "{path} exists: the benchmark needs a new database file"
            )));
        }
    }
    Ok(())
}

pub(crate) async fn open_fresh(settings: &Settings, url: &str) -> Result<Db, Failure> {
    let db = open_db(settings, Some(url)).await?;
    for warning in db.check_durability().await.map_err(anyhow::Error::from)? {
        println!("   warning: {warning}");
    }
    let figures = journal_len(&db, settings).await?;
    if !db.is_empty().await.map_err(anyhow::Error::from)? || figures > 0 {
        return Err(Failure::Usage(format!(
            "the {} database is not empty: the benchmark needs a fresh one",
            db.backend()
        )));
    }
    Ok(db)
}

async fn journal_len(db: &Db, settings: &Settings) -> Result<i64, Failure> {
    let f = distretto_store::ledger::figures(
        db,
        &settings.currency().code,
        time::OffsetDateTime::UNIX_EPOCH,
    )
    .await
    .map_err(anyhow::Error::from)?;
    Ok(f.transfers)
}

// ---------------------------------------------------------------------------------------------
// bench ledger

/// The people the clients pay as: one API token and one account each.
pub(crate) struct Payers {
    pub(crate) people: Vec<Uuid>,
    pub(crate) tokens: Vec<String>,
    pub(crate) accounts: Vec<Uuid>,
}

/// Creates `n` members with generous limits and an API token each, in bulk (one password hash
/// shared by all: hashing is not what is measured).
pub(crate) async fn create_payers(
    db: &Db,
    settings: &Settings,
    n: usize,
) -> Result<Payers, Failure> {
    let hash = distretto_web::auth::crypto::hash_password("bench password, never used".into())
        .await
        .map_err(|e| anyhow::anyhow!("hashing failed: {}", e.code))?;
    let now = distretto_store::now();
    let currency = settings.currency().code;
    let mut people = Vec::with_capacity(n);
    let mut accounts = Vec::with_capacity(n);
    for i in 0..n {
        let id = Uuid::now_v7();
        people.push(distretto_store::membership::PersonRow {
            id,
            email: format!("bench-{i}@bench.invalid"),
            name: format!("Bench payer {i}"),
            password_hash: hash.clone(),
            role: "person".into(),
            membership_status: "member".into(),
            locale: None,
            phone: None,
            bio: String::new(),
            locality: String::new(),
            created_at: now,
            updated_at: now,
        });
        accounts.push(AccountRow {
            id: Uuid::now_v7(),
            owner_kind: "person".into(),
            owner_id: Some(id),
            currency: currency.clone(),
            created_at: now,
            purpose: None,
            balance_minor: 0,
            // Far beyond anything a run can spend: no transfer is refused for its limits.
            credit_limit_minor: 1_000_000_000_000,
            upper_limit_minor: None,
        });
    }
    distretto_store::membership::insert_people(db, &people)
        .await
        .map_err(anyhow::Error::from)?;
    distretto_store::accounts::insert_accounts(db, &accounts)
        .await
        .map_err(anyhow::Error::from)?;
    let mut tokens = Vec::with_capacity(n);
    for p in &people {
        let token = distretto_web::auth::crypto::new_token();
        distretto_store::auth::insert_session(
            db,
            &distretto_web::auth::crypto::token_hash(&token),
            p.id,
            "api",
            now,
            now + time::Duration::days(1),
        )
        .await
        .map_err(anyhow::Error::from)?;
        tokens.push(token);
    }
    Ok(Payers {
        people: people.iter().map(|p| p.id).collect(),
        tokens,
        accounts: accounts.iter().map(|a| a.id).collect(),
    })
}

/// What one run measured.
struct RunFigures {
    label: String,
    /// Transfers started in the measured window (all answered 201, or counted in `errors`).
    transfers: usize,
    /// From the end of the warm-up to the last answer of the window.
    wall: Duration,
    /// Latencies of the measured requests, sorted, in microseconds.
    latencies_us: Vec<u32>,
    errors: usize,
    first_error: Option<String>,
}

impl RunFigures {
    fn per_second(&self) -> f64 {
        self.transfers as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * self.latencies_us.len() as f64).ceil() as usize;
        let i = rank.clamp(1, self.latencies_us.len()) - 1;
        f64::from(self.latencies_us[i]) / 1000.0
    }

    fn print(&self) {
        println!(
            "{:<36} {:>8.0} transfers/s   p50 {:>6.1} ms   p99 {:>6.1} ms   max {:>6.1} ms   errors {}   ({} transfers in {:.2} s)",
            self.label,
            self.per_second(),
            self.percentile_ms(50.0),
            self.percentile_ms(99.0),
            self.percentile_ms(100.0),
            self.errors,
            self.transfers,
            self.wall.as_secs_f64()
        );
        if let Some(e) = &self.first_error {
            println!("   first error: {e}");
        }
    }
}

/// One client's record of the measured window.
#[derive(Default)]
struct ClientRecord {
    latencies_us: Vec<u32>,
    last_answer: Option<Instant>,
    errors: usize,
    first_error: Option<String>,
}

/// A small deterministic generator for payees and amounts (xorshift64*).
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The most requests one client sends in a run (a bound far above any real rate).
const MAX_REQUESTS_PER_CLIENT: usize = 10_000_000;

/// One client's keep-alive HTTP/1.1 connection (hyper's client connection, the HTTP library
/// under reqwest and axum). reqwest's pool, URL parsing and header building made the load
/// generator, which shares the two cores with the server under test, cost more than it needs
/// to; the server sees the same requests either way.
struct Connection {
    sender: hyper::client::conn::http1::SendRequest<http_body_util::Full<bytes::Bytes>>,
    host: String,
    bearer: String,
}

/// How long one request may take before the client counts it failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

impl Connection {
    async fn open(addr: std::net::SocketAddr, token: &str) -> anyhow::Result<Self> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Self {
            sender,
            host: addr.to_string(),
            bearer: format!("Bearer {token}"),
        })
    }

    /// Posts `body` with `key`; `None` for a 2xx answer read whole, else what went wrong.
    async fn post(&mut self, path: &str, key: String, body: String) -> Option<String> {
        match tokio::time::timeout(REQUEST_TIMEOUT, self.exchange(path, key, body)).await {
            Ok(answer) => answer,
            Err(_) => Some(format!("no answer within {REQUEST_TIMEOUT:?}")),
        }
    }

    async fn exchange(&mut self, path: &str, key: String, body: String) -> Option<String> {
        use http_body_util::BodyExt as _;
        let request = axum::http::Request::post(path)
            .header(axum::http::header::HOST, &self.host)
            .header(axum::http::header::AUTHORIZATION, &self.bearer)
            .header(axum::http::header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", key)
            .body(http_body_util::Full::new(bytes::Bytes::from(body)));
        let request = match request {
            Ok(r) => r,
            Err(e) => return Some(format!("building the request: {e}")),
        };
        if let Err(e) = self.sender.ready().await {
            return Some(format!("connection lost: {e}"));
        }
        let response = match self.sender.send_request(request).await {
            Ok(r) => r,
            Err(e) => return Some(format!("request failed: {e}")),
        };
        let status = response.status();
        // Read the body: the answer is only complete once it is.
        let body = match response.into_body().collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => return Some(format!("reading the answer: {e}")),
        };
        (!status.is_success()).then(|| {
            let text = String::from_utf8_lossy(&body);
            format!(
                "HTTP {status}: {}",
                text.chars().take(300).collect::<String>()
            )
        })
    }
}

async fn client(
    addr: std::net::SocketAddr,
    token: String,
    payer_index: usize,
    payees: std::sync::Arc<Vec<Uuid>>,
    key_prefix: String,
    measure_from: Instant,
    until: Instant,
) -> ClientRecord {
    let payer = payees[payer_index];
    let mut rng = Xorshift((0x9E37_79B9_7F4A_7C15 ^ payer_index as u64) | 1);
    let mut record = ClientRecord {
        latencies_us: Vec::with_capacity(16_384),
        ..ClientRecord::default()
    };
    let mut connection = match Connection::open(addr, &token).await {
        Ok(c) => c,
        Err(e) => {
            record.errors += 1;
            record.first_error = Some(format!("connecting: {e}"));
            return record;
        }
    };
    for i in 0..MAX_REQUESTS_PER_CLIENT {
        let started = Instant::now();
        if started >= until {
            break;
        }
        // Anyone but the payer.
        let step = 1 + rng.below(payees.len() as u64 - 1) as usize;
        let payee = payees[(payer_index + step) % payees.len()];
        let body = format!(
            r#"{{"payer":"{payer}","payee":"{payee}","amount":{},"memo":"bench"}}"#,
            1 + rng.below(500)
        );
        let problem = connection
            .post(TRANSFERS_PATH, format!("{key_prefix}-{i}"), body)
            .await;
        let done = Instant::now();
        if started >= measure_from {
            record
                .latencies_us
                .push(u32::try_from(done.duration_since(started).as_micros()).unwrap_or(u32::MAX));
            record.last_answer = Some(done);
        }
        // A failure during warm-up counts too: there must be none at all.
        if let Some(p) = problem {
            record.errors += 1;
            record.first_error.get_or_insert(p);
            if connection.sender.is_closed() {
                break;
            }
        }
    }
    record
}

/// Where the clients post.
const TRANSFERS_PATH: &str = "/api/v1/transfers";

/// A client of the ledger writer itself: the same commands as `POST /api/v1/transfers`
/// (idempotency key included), without HTTP, tokens or the spender check.
async fn writer_client(
    writer: distretto_store::ledger::LedgerWriter,
    person: Uuid,
    payer_index: usize,
    payees: std::sync::Arc<Vec<Uuid>>,
    key_prefix: String,
    measure_from: Instant,
    until: Instant,
) -> ClientRecord {
    use distretto_store::ledger::{Command, Effect, IdempotencyKey, NewLeg};
    let payer = payees[payer_index];
    let mut rng = Xorshift((0x9E37_79B9_7F4A_7C15 ^ payer_index as u64) | 1);
    let mut record = ClientRecord {
        latencies_us: Vec::with_capacity(16_384),
        ..ClientRecord::default()
    };
    for i in 0..MAX_REQUESTS_PER_CLIENT {
        let started = Instant::now();
        if started >= until {
            break;
        }
        let step = 1 + rng.below(payees.len() as u64 - 1) as usize;
        let payee = payees[(payer_index + step) % payees.len()];
        let mut request_hash = [0u8; 32];
        request_hash[..8].copy_from_slice(&rng.next().to_be_bytes());
        let command = Command {
            legs: vec![NewLeg {
                id: Uuid::now_v7(),
                kind: TransferKind::Payment,
                payer,
                payee,
                amount_minor: 1 + rng.below(500) as i64,
                memo: "bench".into(),
                invoice_id: None,
                request_id: None,
                reverses: None,
            }],
            effect: Effect::None,
            idempotency: Some(IdempotencyKey {
                person_id: person,
                key: format!("{key_prefix}-{i}"),
                request_hash,
            }),
            created_by: Some(person),
        };
        let problem = writer.submit(command).await.err().map(|e| e.to_string());
        let done = Instant::now();
        if started >= measure_from {
            record
                .latencies_us
                .push(u32::try_from(done.duration_since(started).as_micros()).unwrap_or(u32::MAX));
            record.last_answer = Some(done);
        }
        if let Some(p) = problem {
            record.errors += 1;
            record.first_error.get_or_insert(p);
        }
    }
    record
}

/// Collects the clients' records into the figures of a run.
async fn collect(
    label: String,
    tasks: Vec<tokio::task::JoinHandle<ClientRecord>>,
    measure_from: Instant,
) -> Result<RunFigures, Failure> {
    let mut figures = RunFigures {
        label,
        transfers: 0,
        wall: Duration::ZERO,
        latencies_us: Vec::new(),
        errors: 0,
        first_error: None,
    };
    let mut last = measure_from;
    for task in tasks {
        let r = task.await.map_err(anyhow::Error::from)?;
        figures.transfers += r.latencies_us.len();
        figures.latencies_us.extend(r.latencies_us);
        figures.errors += r.errors;
        if figures.first_error.is_none() {
            figures.first_error = r.first_error;
        }
        last = last.max(r.last_answer.unwrap_or(measure_from));
    }
    figures.wall = last.duration_since(measure_from);
    figures.latencies_us.sort_unstable();
    Ok(figures)
}

/// The ledger writer alone with `max_batch`, `clients` in-process submitters.
async fn run_writer_only(
    db: &Db,
    args: &LedgerArgs,
    payers: &Payers,
    max_batch: usize,
    label: String,
) -> Result<RunFigures, Failure> {
    let writer = distretto_store::ledger::LedgerWriter::spawn(db.clone(), max_batch);
    let payees = std::sync::Arc::new(payers.accounts.clone());
    let start = Instant::now() + Duration::from_millis(50);
    let measure_from = start + args.warmup;
    let until = measure_from + args.duration;
    let mode = if max_batch == 1 { "wsingle" } else { "wbatch" };
    let mut tasks = Vec::with_capacity(usize::from(args.clients));
    for c in 0..usize::from(args.clients) {
        let slot = c % payers.accounts.len();
        tasks.push(tokio::spawn(writer_client(
            writer.clone(),
            payers.people[slot],
            slot,
            payees.clone(),
            format!("bench-{mode}-{c}"),
            measure_from,
            until,
        )));
    }
    collect(label, tasks, measure_from).await
}

/// One run: a router with a writer of `max_batch`, `clients` clients for warm-up + duration.
async fn run_mode(
    db: &Db,
    settings: &Settings,
    args: &LedgerArgs,
    payers: &Payers,
    max_batch: usize,
    label: String,
) -> Result<RunFigures, Failure> {
    let state = distretto_web::AppState::with_ledger_batch(db.clone(), settings.web(), max_batch)
        .await
        .map_err(anyhow::Error::from)?;
    let app = distretto_web::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    let payees = std::sync::Arc::new(payers.accounts.clone());
    let start = Instant::now() + Duration::from_millis(50);
    let measure_from = start + args.warmup;
    let until = measure_from + args.duration;
    let mut tasks = Vec::with_capacity(usize::from(args.clients));
    let mode = if max_batch == 1 { "single" } else { "batch" };
    for c in 0..usize::from(args.clients) {
        let slot = c % payers.tokens.len();
        tasks.push(tokio::spawn(client(
            addr,
            payers.tokens[slot].clone(),
            slot,
            payees.clone(),
            format!("bench-{mode}-{c}"),
            measure_from,
            until,
        )));
    }
    let figures = collect(label, tasks, measure_from).await?;
    let _ = stop.send(());
    server
        .await
        .map_err(anyhow::Error::from)?
        .map_err(anyhow::Error::from)?;
    Ok(figures)
}

/// The ledger benchmark on one database: both runs, their ratio, then `verify`.
async fn ledger_on(
    settings: &Settings,
    args: &LedgerArgs,
    url: &str,
    description: &str,
) -> Result<Vec<RunFigures>, Failure> {
    let db = open_fresh(settings, url).await?;
    println!(
        "== {description}: {} clients, {:.1} s measured after {:.1} s warm-up; load average {} ({} cores)",
        args.clients,
        args.duration.as_secs_f64(),
        args.warmup.as_secs_f64(),
        load_average(),
        cores()
    );
    let payers = create_payers(&db, settings, usize::from(args.clients).max(2)).await?;
    let max = distretto_store::ledger::writer::MAX_BATCH;
    let mut runs = Vec::new();
    let batched = run_mode(
        &db,
        settings,
        args,
        &payers,
        max,
        format!("batching writer (≤ {max} per commit)"),
    )
    .await?;
    batched.print();
    runs.push(batched);
    if !args.no_baseline {
        let single = run_mode(
            &db,
            settings,
            args,
            &payers,
            1,
            "one durable commit per transfer".into(),
        )
        .await?;
        single.print();
        println!(
            "group commit gain: {:.1}× the transfers/s of one commit per transfer",
            runs[0].per_second() / single.per_second().max(1e-9)
        );
        runs.push(single);
    }
    if args.writer_only {
        let w = run_writer_only(
            &db,
            args,
            &payers,
            max,
            format!("writer alone, no HTTP (≤ {max})"),
        )
        .await?;
        w.print();
        runs.push(w);
        if !args.no_baseline {
            let w = run_writer_only(
                &db,
                args,
                &payers,
                1,
                "writer alone, no HTTP (1 per commit)".into(),
            )
            .await?;
            w.print();
            runs.push(w);
        }
    }
    println!("   load average after the runs: {}", load_average());
    let started = Instant::now();
    let report = distretto_store::ledger::verify::verify(&db)
        .await
        .map_err(anyhow::Error::from)?;
    let elapsed = started.elapsed();
    db.close().await;
    println!(
        "   ledger verify: {} transfers, {} accounts, {} problems, {} ms",
        report.transfers,
        report.accounts,
        report.problem_count,
        elapsed.as_millis()
    );
    if !report.ok() {
        for p in &report.problems {
            eprintln!("problem: {p}");
        }
        return Err(Failure::Runtime(anyhow::anyhow!(
            "LEDGER VERIFY FAILED after the benchmark: {} problem(s)",
            report.problem_count
        )));
    }
    let errors: usize = runs.iter().map(|r| r.errors).sum();
    if errors > 0 {
        return Err(Failure::Runtime(anyhow::anyhow!(
            "{errors} request(s) failed (non-2xx or transport errors): the figures are not valid"
        )));
    }
    Ok(runs)
}

async fn ledger(settings: &Settings, args: LedgerArgs) -> Result<(), Failure> {
    if let Some(url) = &args.database {
        distretto_store::backend_of(url)
            .map_err(|e| Failure::Usage(format!("bad --database: {e}")))?;
        check_new_sqlite(url)?;
    }
    if let Some(url) = &args.postgres
        && distretto_store::backend_of(url).ok() != Some("postgres")
    {
        return Err(Failure::Usage("--postgres takes a postgres://… URL".into()));
    }
    let temp = args.database.is_none().then(|| TempSqlite::new("ledger"));
    let url = match (&args.database, &temp) {
        (Some(url), _) => url.clone(),
        (None, Some(t)) => t.url(),
        (None, None) => return Err(Failure::Usage("no database".into())),
    };
    let description = match distretto_store::backend_of(&url).ok() {
        Some("postgres") => "PostgreSQL (synchronous_commit=on)".to_owned(),
        _ => format!(
            "SQLite {} (WAL, synchronous=FULL)",
            url.trim_start_matches("sqlite:")
        ),
    };
    let short = if description.starts_with("SQLite") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let mut summary = vec![(short, ledger_on(settings, &args, &url, &description).await?)];
    drop(temp);
    if let Some(pg) = &args.postgres {
        let description = "PostgreSQL (synchronous_commit=on)";
        summary.push((
            "PostgreSQL",
            ledger_on(settings, &args, pg, description).await?,
        ));
    }
    println!("== summary (target: ≥ 10,000 transfers/s with p99 < 50 ms on SQLite)");
    for (description, runs) in &summary {
        for r in runs {
            println!(
                "{description:<11} {:<36} {:>8.0} transfers/s   p99 {:>6.1} ms",
                r.label,
                r.per_second(),
                r.percentile_ms(99.0)
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// bench ledger-verify

/// Transfers generated and inserted per chunk.
const CHUNK: usize = 50_000;

/// The generated traffic: who pays whom how much, reproducible from the seed.
struct Traffic {
    rng: Xorshift,
    accounts: u64,
}

impl Traffic {
    fn new(accounts: u32) -> Self {
        Self {
            rng: Xorshift(0x2545_F491_4F6C_DD1D),
            accounts: u64::from(accounts),
        }
    }

    /// (payer index, payee index, amount in minor units).
    fn next(&mut self) -> (usize, usize, i64) {
        let payer = self.rng.below(self.accounts);
        let step = 1 + self.rng.below(self.accounts - 1);
        let payee = (payer + step) % self.accounts;
        let amount = 1 + self.rng.below(10_000) as i64;
        (payer as usize, payee as usize, amount)
    }
}

const MEMOS: [&str; 6] = [
    "vegetables, week box",
    "bread",
    "repair of the van",
    "hall booking",
    "consulting, March",
    "cheese and eggs",
];

async fn ledger_verify(settings: &Settings, args: VerifyArgs) -> Result<(), Failure> {
    if let Some(url) = &args.database {
        distretto_store::backend_of(url)
            .map_err(|e| Failure::Usage(format!("bad --database: {e}")))?;
    }
    let temp = args.database.is_none().then(|| TempSqlite::new("verify"));
    let url = match (&args.database, &temp) {
        (Some(url), _) => url.clone(),
        (None, Some(t)) => t.url(),
        (None, None) => return Err(Failure::Usage("no database".into())),
    };
    let db = open_db(settings, Some(&url)).await?;
    let existing = journal_len(&db, settings).await?;
    println!(
        "== ledger verify benchmark on {} ({}); load average {} ({} cores)",
        db.backend(),
        url.trim_start_matches("sqlite:"),
        load_average(),
        cores()
    );
    if existing > 0 {
        println!("reusing the journal already there: {existing} transfers");
    } else {
        if !db.is_empty().await.map_err(anyhow::Error::from)? {
            return Err(Failure::Usage(
                "the database holds a district but no journal: use an empty one".into(),
            ));
        }
        generate(&db, settings, &args).await?;
    }
    let mut best: Option<Duration> = None;
    for run in 1..=args.repeat {
        let started = Instant::now();
        let report = distretto_store::ledger::verify::verify(&db)
            .await
            .map_err(anyhow::Error::from)?;
        let elapsed = started.elapsed();
        println!(
            "verify run {run}: {} transfers, {} accounts in {:.2} s = {:.0} transfers/s, {}; load average {}",
            report.transfers,
            report.accounts,
            elapsed.as_secs_f64(),
            report.transfers as f64 / elapsed.as_secs_f64().max(1e-9),
            if report.ok() {
                "ok".to_owned()
            } else {
                format!("{} PROBLEMS", report.problem_count)
            },
            load_average()
        );
        if !report.ok() {
            for p in &report.problems {
                eprintln!("problem: {p}");
            }
            return Err(Failure::Runtime(anyhow::anyhow!(
                "LEDGER VERIFY FAILED on the generated journal"
            )));
        }
        best = Some(best.map_or(elapsed, |b| b.min(elapsed)));
    }
    if let Some(best) = best {
        println!(
            "best verify: {:.2} s (target < 30 s for 10 million)",
            best.as_secs_f64()
        );
    }
    db.close().await;
    drop(temp);
    Ok(())
}

/// Writes `args.accounts` accounts and a valid journal of `args.transfers` transfers among them.
/// The traffic is replayed twice from its seed: first for the final balances (accounts are
/// inserted with them), then for the journal rows, generated on a blocking thread while the
/// previous chunk is inserted.
async fn generate(db: &Db, settings: &Settings, args: &VerifyArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let n_accounts = args.accounts as usize;
    let currency = settings.currency().code;
    let now = distretto_store::now();
    let ids: Vec<Uuid> = (0..n_accounts).map(|_| Uuid::now_v7()).collect();
    let mut balances = vec![0i64; n_accounts];
    let mut traffic = Traffic::new(args.accounts);
    for _ in 0..args.transfers {
        let (payer, payee, amount) = traffic.next();
        balances[payer] -= amount;
        balances[payee] += amount;
    }
    let accounts: Vec<AccountRow> = ids
        .iter()
        .zip(&balances)
        .map(|(id, balance)| AccountRow {
            id: *id,
            owner_kind: "person".into(),
            owner_id: Some(Uuid::now_v7()),
            currency: currency.clone(),
            created_at: now,
            purpose: None,
            balance_minor: *balance,
            credit_limit_minor: 1_000_000_000_000,
            upper_limit_minor: None,
        })
        .collect();
    distretto_store::accounts::insert_accounts(db, &accounts)
        .await
        .map_err(anyhow::Error::from)?;

    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<TransferRow>>(2);
    let total = args.transfers;
    let accounts_n = args.accounts;
    let producer = tokio::task::spawn_blocking(move || {
        let mut traffic = Traffic::new(accounts_n);
        let mut balances = vec![0i64; ids.len()];
        let mut prev = GENESIS_HASH;
        // A year of transfers, ending now.
        let step_us = (365 * 24 * 3600 * 1_000_000i64 / total.max(1) as i64).max(1);
        let first = now - time::Duration::microseconds(step_us * total as i64);
        let mut chunk = Vec::with_capacity(CHUNK);
        for seq in 1..=total as i64 {
            let (payer, payee, amount) = traffic.next();
            balances[payer] -= amount;
            balances[payee] += amount;
            let entry = JournalEntry {
                seq,
                id: Uuid::now_v7(),
                kind: TransferKind::Payment,
                payer: ids[payer],
                payee: ids[payee],
                currency: currency.clone(),
                amount_minor: amount,
                payer_balance_minor: balances[payer],
                payee_balance_minor: balances[payee],
                memo: MEMOS[seq as usize % MEMOS.len()].to_owned(),
                invoice_id: None,
                request_id: None,
                reverses: None,
                created_by: None,
                created_at: first + time::Duration::microseconds(step_us * seq),
            };
            let hash = entry_hash(&prev, &entry);
            chunk.push(TransferRow {
                seq,
                id: entry.id,
                kind: entry.kind.code().to_owned(),
                payer: entry.payer,
                payee: entry.payee,
                currency: entry.currency,
                amount_minor: amount,
                payer_balance_minor: entry.payer_balance_minor,
                payee_balance_minor: entry.payee_balance_minor,
                memo: entry.memo,
                invoice_id: None,
                request_id: None,
                reverses: None,
                created_by: None,
                created_at: entry.created_at,
                prev_hash: prev.to_vec(),
                hash: hash.to_vec(),
            });
            prev = hash;
            if chunk.len() == CHUNK {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                if tx.blocking_send(full).is_err() {
                    return;
                }
            }
        }
        if !chunk.is_empty() {
            let _ = tx.blocking_send(chunk);
        }
    });
    let mut written: u64 = 0;
    let mut next_report: u64 = 1_000_000;
    while let Some(chunk) = rx.recv().await {
        distretto_store::ledger::bulk::insert_journal(db, &chunk)
            .await
            .map_err(anyhow::Error::from)?;
        written += chunk.len() as u64;
        if written >= next_report || written == total {
            let secs = started.elapsed().as_secs_f64();
            println!(
                "generated {written} / {total} transfers in {secs:.1} s ({:.0} per second)",
                written as f64 / secs.max(1e-9)
            );
            next_report += 1_000_000;
        }
    }
    producer.await.map_err(anyhow::Error::from)?;
    if written != total {
        return Err(Failure::Runtime(anyhow::anyhow!(
            "generated {written} transfers instead of {total}"
        )));
    }
    Ok(())
}
