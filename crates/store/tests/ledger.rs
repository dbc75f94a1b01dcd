#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! The mutual-credit ledger writer against an independent model and against concurrency,
//! tampering and the effects it posts with transfers, on SQLite and PostgreSQL.
//!
//! PostgreSQL runs when `DISTRETTO_TEST_POSTGRES_URL` names a server (`scripts/test` starts
//! one). Without it each PostgreSQL test fails loudly unless `DISTRETTO_TEST_SKIP_POSTGRES=1`
//! says to skip, and then it prints that it skipped.
//!
//! Invariants checked (numbering of the ledger design): I1 balances of a currency sum to zero,
//! I2 the journal replays to the stored balances and its hash chain holds, I3 no balance lies
//! outside its limits, I6 a command (its legs and its effect) is posted all or nothing.

use distretto_domain::ledger::journal::Problem;
use distretto_domain::ledger::{TransferKind, entry_hash};
use distretto_store::accounts::{self, AccountRow};
use distretto_store::ledger::invoices::{self, InvoiceEventRow, InvoiceRow};
use distretto_store::ledger::requests::{self, PaymentRequestRow};
use distretto_store::ledger::verify::{verify, verify_in_blocks, verify_streaming};
use distretto_store::ledger::{
    self, Command, CommandError, Effect, IdempotencyKey, LedgerWriter, NewLeg, Outcome, TransferRow,
};
use distretto_store::{ConnectOptions, Db, with_pool};
use futures_util::future::join_all;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use uuid::Uuid;

const CRD: &str = "CRD";
const EUR: &str = "EUR";

// ---------------------------------------------------------------------------------------------
// Databases
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

fn postgres_base() -> Option<String> {
    match std::env::var("DISTRETTO_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => None,
    }
}

/// Whether the PostgreSQL leg should run; panics when it is neither configured nor explicitly
/// skipped (as `crates/web/tests/api/harness.rs` does).
fn postgres_wanted() -> bool {
    if postgres_base().is_some() {
        return true;
    }
    if std::env::var("DISTRETTO_TEST_SKIP_POSTGRES").as_deref() == Ok("1") {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: PostgreSQL leg (DISTRETTO_TEST_SKIP_POSTGRES=1)"
        );
        return false;
    }
    panic!(
        "DISTRETTO_TEST_POSTGRES_URL is not set: run scripts/test (it starts PostgreSQL), or set DISTRETTO_TEST_SKIP_POSTGRES=1 to skip this leg knowingly"
    );
}

/// A fresh database of either backend: a SQLite file (removed on drop) or a PostgreSQL
/// database of its own on the test server (dropped by [`TestDb::finish`]).
struct TestDb {
    url: String,
    db: Db,
    sqlite_path: Option<PathBuf>,
    pg_database: Option<(String, String)>,
}

impl TestDb {
    async fn new(backend: Backend, label: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let unique = format!(
            "{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            Uuid::now_v7().simple()
        );
        let (url, sqlite_path, pg_database) = match backend {
            Backend::Sqlite => {
                let path =
                    std::env::temp_dir().join(format!("distretto-ledger-{label}-{unique}.db"));
                (format!("sqlite:{}", path.display()), Some(path), None)
            }
            Backend::Postgres => {
                let base = postgres_base().expect("DISTRETTO_TEST_POSTGRES_URL");
                // Within PostgreSQL's 63-byte identifiers.
                let name = format!("ledger_{label}_{}", Uuid::now_v7().simple());
                let admin = connect(&base).await;
                exec(&admin, &format!("CREATE DATABASE {name}"))
                    .await
                    .unwrap();
                admin.close().await;
                let (head, query) = base.split_once('?').unwrap_or((&base, ""));
                let prefix = head.rsplit_once('/').map_or(head, |(p, _)| p);
                let url = if query.is_empty() {
                    format!("{prefix}/{name}")
                } else {
                    format!("{prefix}/{name}?{query}")
                };
                (url, None, Some((base.clone(), name)))
            }
        };
        let db = connect(&url).await;
        db.migrate().await.unwrap();
        Self {
            url,
            db,
            sqlite_path,
            pg_database,
        }
    }

    /// Another `Db` on the same database: another server instance's pools.
    async fn connect_again(&self) -> Db {
        connect(&self.url).await
    }

    async fn finish(mut self) {
        self.db.close().await;
        if let Some((base, name)) = self.pg_database.take() {
            let admin = connect(&base).await;
            exec(
                &admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await
            .unwrap();
            admin.close().await;
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(path) = &self.sqlite_path {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

async fn connect(url: &str) -> Db {
    Db::connect(&ConnectOptions {
        url: url.to_owned(),
        max_connections: 4,
    })
    .await
    .unwrap()
}

/// Runs one statement on the write pool.
async fn exec(db: &Db, sql: &str) -> Result<u64, sqlx::Error> {
    with_pool!(db.write(), pool => sqlx::query(sql).execute(pool).await.map(|r| r.rows_affected()))
}

async fn count(db: &Db, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    with_pool!(db.read(), pool => sqlx::query_scalar::<_, i64>(&sql).fetch_one(pool).await).unwrap()
}

async fn head_seq(db: &Db) -> i64 {
    with_pool!(db.read(), pool => sqlx::query_scalar::<_, i64>(
        "SELECT last_seq FROM ledger_head WHERE id = 1").fetch_one(pool).await)
    .unwrap()
}

/// Opens accounts with (credit limit, upper limit, currency), all at balance 0.
async fn open_accounts(db: &Db, specs: &[(i64, Option<i64>, &str)]) -> Vec<Uuid> {
    let now = distretto_store::now();
    let rows: Vec<AccountRow> = specs
        .iter()
        .map(|(credit, upper, currency)| AccountRow {
            id: Uuid::now_v7(),
            owner_kind: "person".into(),
            owner_id: Some(Uuid::now_v7()),
            currency: (*currency).to_owned(),
            created_at: now,
            purpose: None,
            balance_minor: 0,
            credit_limit_minor: *credit,
            upper_limit_minor: *upper,
        })
        .collect();
    accounts::insert_accounts(db, &rows).await.unwrap();
    rows.into_iter().map(|r| r.id).collect()
}

async fn balance(db: &Db, id: Uuid) -> i64 {
    accounts::get(db, id).await.unwrap().balance_minor
}

async fn assert_verified(db: &Db, what: &str) {
    let report = verify(db).await.unwrap();
    assert!(
        report.ok(),
        "{what}: verify found {} problem(s): {:?}",
        report.problem_count,
        report.problems
    );
}

fn leg(payer: Uuid, payee: Uuid, amount_minor: i64) -> NewLeg {
    NewLeg {
        id: Uuid::now_v7(),
        kind: TransferKind::Payment,
        payer,
        payee,
        amount_minor,
        memo: String::new(),
        invoice_id: None,
        request_id: None,
        reverses: None,
    }
}

fn command(legs: Vec<NewLeg>) -> Command {
    Command {
        legs,
        effect: Effect::None,
        idempotency: None,
        created_by: None,
    }
}

fn posted(result: Result<Outcome, CommandError>, what: &str) -> TransferRow {
    match result {
        Ok(outcome) => {
            assert!(!outcome.replayed, "{what}: fresh, not a replay");
            assert_eq!(outcome.transfers.len(), 1, "{what}: one leg posted");
            outcome.transfers.into_iter().next().unwrap()
        }
        Err(e) => panic!("{what}: refused with {e:?}"),
    }
}

fn refused(result: Result<Outcome, CommandError>, code: &str, what: &str) {
    match result {
        Ok(outcome) => panic!("{what}: expected {code}, but it posted {outcome:?}"),
        Err(e) => assert_eq!(e.code(), code, "{what}: {e:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Random command sequences against an independent model
// ---------------------------------------------------------------------------------------------

/// The model's accounts: (credit limit, upper limit, currency). Tight, so limits bite often.
const MODEL_ACCOUNTS: [(i64, Option<i64>, &str); 6] = [
    (50, None, CRD),
    (30, Some(60), CRD),
    (0, Some(40), CRD),
    (100, None, CRD),
    (20, Some(20), CRD),
    (100, None, EUR),
];
/// An index that names an account that does not exist.
const UNKNOWN: usize = MODEL_ACCOUNTS.len();

#[derive(Debug, Clone)]
struct GenLeg {
    payer: usize,
    payee: usize,
    amount_minor: i64,
}

#[derive(Debug, Clone)]
struct GenCommand {
    legs: Vec<GenLeg>,
    /// (person, key number, body variant): same person and key with the same variant is a
    /// replay, with another variant a reused key.
    key: Option<(usize, u8, u8)>,
}

#[derive(Debug, Clone)]
enum GenOp {
    /// Submitted and awaited alone.
    One(GenCommand),
    /// Submitted together (`join_all` on a current-thread runtime: all queued before the writer
    /// runs, so they land in one batch).
    Together(Vec<GenCommand>),
}

fn account_index() -> impl Strategy<Value = usize> {
    prop_oneof![28 => 0usize..5, 1 => Just(5usize), 1 => Just(UNKNOWN)]
}

fn amount_minor() -> impl Strategy<Value = i64> {
    prop_oneof![14 => 1i64..=25, 3 => 26i64..=120, 1 => -1i64..=0]
}

fn gen_leg() -> impl Strategy<Value = GenLeg> {
    // Mostly another of the five credit accounts; sometimes anything, self-payments included.
    let payee = prop_oneof![5 => (1usize..5).prop_map(Some), 1 => Just(None)];
    (account_index(), payee, account_index(), amount_minor()).prop_map(
        |(payer, offset, any, amount_minor)| GenLeg {
            payer,
            payee: match offset {
                Some(o) if payer < 5 => (payer + o) % 5,
                _ => any,
            },
            amount_minor,
        },
    )
}

fn gen_command() -> impl Strategy<Value = GenCommand> {
    let legs = prop_oneof![
        3 => prop::collection::vec(gen_leg(), 1..=1),
        2 => prop::collection::vec(gen_leg(), 2..=3),
    ];
    let key = prop::option::weighted(0.4, (0usize..2, 0u8..3, 0u8..2));
    (legs, key).prop_map(|(legs, key)| GenCommand { legs, key })
}

fn gen_ops() -> impl Strategy<Value = Vec<GenOp>> {
    let op = prop_oneof![
        3 => gen_command().prop_map(GenOp::One),
        1 => prop::collection::vec(gen_command(), 2..=6).prop_map(GenOp::Together),
    ];
    prop::collection::vec(op, 30..=60)
}

/// What the model says a command does.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// Posted now; each leg's (payer, payee) balance after it.
    Posted(Vec<(i64, i64)>),
    /// Answered with the transfer an earlier command with the same key posted.
    Replayed(Uuid),
    /// Refused with this code, nothing written.
    Refused(&'static str),
}

/// A key's request hash and first answer.
type KeyAnswer = ([u8; 32], Result<Uuid, &'static str>);

/// A deliberately plain model of the ledger: balances in a map and if-checks, in the order the
/// ledger reports refusals (amount, same account, unknown account, currency, limits).
struct Model {
    limits: HashMap<Uuid, (i64, Option<i64>, &'static str)>,
    balances: HashMap<Uuid, i64>,
    /// Each key's first answer: the transfer it posted, or the code it was refused with.
    keys: HashMap<(Uuid, String), KeyAnswer>,
    transfers: i64,
}

impl Model {
    fn leg(
        &self,
        balances: &mut HashMap<Uuid, i64>,
        l: &NewLeg,
    ) -> Result<(i64, i64), &'static str> {
        if l.amount_minor <= 0 {
            return Err("bad_amount");
        }
        if l.payer == l.payee {
            return Err("same_account");
        }
        let (Some(payer), Some(payee)) = (self.limits.get(&l.payer), self.limits.get(&l.payee))
        else {
            return Err("unknown_account");
        };
        if payer.2 != payee.2 {
            return Err("currency_mismatch");
        }
        let payer_after = balances[&l.payer] - l.amount_minor;
        let payee_after = balances[&l.payee] + l.amount_minor;
        if payer_after < -payer.0 {
            return Err("credit_limit_exceeded");
        }
        if let Some(upper) = payee.1
            && payee_after > upper
        {
            return Err("credit_limit_exceeded");
        }
        balances.insert(l.payer, payer_after);
        balances.insert(l.payee, payee_after);
        Ok((payer_after, payee_after))
    }

    fn apply(&mut self, c: &Command) -> Expect {
        if let Some(key) = &c.idempotency
            && let Some((hash, first)) = self.keys.get(&(key.person_id, key.key.clone()))
        {
            return match (*hash == key.request_hash, first) {
                (false, _) => Expect::Refused("idempotency_key_reused"),
                (true, Ok(first)) => Expect::Replayed(*first),
                (true, Err(code)) => Expect::Refused(code),
            };
        }
        let mut scratch = self.balances.clone();
        let mut after = Vec::new();
        for l in &c.legs {
            match self.leg(&mut scratch, l) {
                Ok(b) => after.push(b),
                Err(code) => {
                    // A refusal is the key's answer too: a retry gets it again.
                    if let Some(key) = &c.idempotency {
                        self.keys.insert(
                            (key.person_id, key.key.clone()),
                            (key.request_hash, Err(code)),
                        );
                    }
                    return Expect::Refused(code);
                }
            }
        }
        self.balances = scratch;
        self.transfers += c.legs.len() as i64;
        if let Some(key) = &c.idempotency {
            self.keys.insert(
                (key.person_id, key.key.clone()),
                (key.request_hash, Ok(c.legs[0].id)),
            );
        }
        Expect::Posted(after)
    }
}

/// Checks the store's answer against the model's; returns the fresh transfers it posted.
fn check_answer(
    answer: &Result<Outcome, CommandError>,
    expect: &Expect,
    c: &Command,
    what: &str,
) -> Vec<TransferRow> {
    match (answer, expect) {
        (Ok(o), Expect::Posted(after)) if !o.replayed => {
            assert_eq!(o.transfers.len(), c.legs.len(), "{what}: every leg posted");
            for ((t, l), (payer_after, payee_after)) in o.transfers.iter().zip(&c.legs).zip(after) {
                assert_eq!(
                    (t.id, t.payer, t.payee, t.amount_minor),
                    (l.id, l.payer, l.payee, l.amount_minor),
                    "{what}: the leg as asked"
                );
                assert_eq!(
                    (t.payer_balance_minor, t.payee_balance_minor),
                    (*payer_after, *payee_after),
                    "{what}: balances after the leg"
                );
            }
            o.transfers.clone()
        }
        (Ok(o), Expect::Replayed(first)) if o.replayed => {
            assert_eq!(
                o.transfers.first().map(|t| t.id),
                Some(*first),
                "{what}: a replay answers the first transfer"
            );
            Vec::new()
        }
        (Err(e), Expect::Refused(code)) => {
            assert_eq!(e.code(), *code, "{what}: refusal code ({e:?})");
            Vec::new()
        }
        _ => panic!("{what}: the store answered {answer:?}, the model expected {expect:?}"),
    }
}

/// One proptest case: fresh accounts and people on the shared database, the sequence through
/// one writer, every answer and the final state against the model.
async fn run_case(db: &Db, ops: &[GenOp], stats: &mut BTreeMap<String, u64>) {
    let mut ids = open_accounts(db, &MODEL_ACCOUNTS).await;
    ids.push(Uuid::now_v7()); // UNKNOWN: never inserted
    let people = [Uuid::now_v7(), Uuid::now_v7()];
    let mut model = Model {
        limits: MODEL_ACCOUNTS
            .iter()
            .zip(&ids)
            .map(|(spec, id)| (*id, *spec))
            .collect(),
        balances: ids[..UNKNOWN].iter().map(|id| (*id, 0)).collect(),
        keys: HashMap::new(),
        transfers: 0,
    };
    let transfers_before = count(db, "transfers").await;
    let writer = LedgerWriter::spawn(db.clone(), 512);
    // A replayed request repeats its body: the first body seen for (person, key, variant).
    let mut bodies: HashMap<(usize, u8, u8), Vec<GenLeg>> = HashMap::new();
    let mut build = |g: &GenCommand| {
        let legs = match g.key {
            Some(k) => bodies.entry(k).or_insert_with(|| g.legs.clone()).clone(),
            None => g.legs.clone(),
        };
        Command {
            legs: legs
                .iter()
                .map(|l| leg(ids[l.payer], ids[l.payee], l.amount_minor))
                .collect(),
            effect: Effect::None,
            idempotency: g.key.map(|(person, key, variant)| IdempotencyKey {
                person_id: people[person],
                key: format!("key-{key}"),
                request_hash: [variant + 1; 32],
            }),
            created_by: g.key.map(|(person, _, _)| people[person]),
        }
    };
    for (n, op) in ops.iter().enumerate() {
        let (commands, together): (Vec<Command>, bool) = match op {
            GenOp::One(g) => (vec![build(g)], false),
            GenOp::Together(gs) => (gs.iter().map(&mut build).collect(), true),
        };
        let expects: Vec<Expect> = commands.iter().map(|c| model.apply(c)).collect();
        let answers = if together {
            join_all(commands.iter().map(|c| writer.submit(c.clone()))).await
        } else {
            vec![writer.submit(commands[0].clone()).await]
        };
        let mut fresh = Vec::new();
        let mut fresh_commands = 0;
        for (i, ((answer, expect), c)) in answers.iter().zip(&expects).zip(&commands).enumerate() {
            let posted = check_answer(answer, expect, c, &format!("op {n}, command {i}"));
            fresh_commands += usize::from(!posted.is_empty());
            fresh.extend(posted);
            let label = match expect {
                Expect::Posted(legs) if legs.len() > 1 => "posted (multi-leg)".into(),
                Expect::Posted(_) => "posted".into(),
                Expect::Replayed(_) => "replayed".into(),
                Expect::Refused(code) => format!("refused {code}"),
            };
            *stats.entry(label).or_default() += 1;
        }
        if together && fresh_commands > 1 {
            *stats
                .entry("groups posting >1 command in one batch".into())
                .or_default() += 1;
        }
        if together {
            // One batch, one commit: every transfer of the group carries the batch's instant.
            let instants: std::collections::HashSet<_> =
                fresh.iter().map(|t| t.created_at).collect();
            assert!(
                instants.len() <= 1,
                "op {n}: the group was posted in one batch"
            );
        }
    }
    drop(writer);

    let mut sums: BTreeMap<String, i64> = BTreeMap::new();
    for (i, id) in ids[..UNKNOWN].iter().enumerate() {
        let a = accounts::get(db, *id).await.unwrap();
        assert_eq!(
            a.balance_minor, model.balances[id],
            "account {i}: stored balance equals the model's"
        );
        // I3: within its limits.
        assert!(
            a.balance_minor >= -a.credit_limit_minor
                && a.upper_limit_minor.is_none_or(|u| a.balance_minor <= u),
            "account {i} outside its limits: {a:?}"
        );
        *sums.entry(a.currency).or_default() += a.balance_minor;
    }
    // I1: per currency, these accounts' balances sum to zero (they only pay each other).
    assert!(sums.values().all(|s| *s == 0), "sums: {sums:?}");
    assert_eq!(
        count(db, "transfers").await - transfers_before,
        model.transfers,
        "transfers posted"
    );
    assert_eq!(head_seq(db).await, count(db, "transfers").await);
    // I2: the whole journal (every case so far) replays, chains and matches the balances.
    assert_verified(db, "after the sequence").await;
}

fn model_run(backend: Backend, cases: u32) {
    // Current-thread: a `join_all` group is queued entirely before the writer task runs.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let t = rt.block_on(TestDb::new(backend, "model"));
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    });
    let started = std::time::Instant::now();
    let stats = std::cell::RefCell::new(BTreeMap::new());
    let result = runner.run(&gen_ops(), |ops| {
        rt.block_on(run_case(&t.db, &ops, &mut stats.borrow_mut()));
        Ok(())
    });
    let transfers = rt.block_on(count(&t.db, "transfers"));
    eprintln!(
        "{backend:?}: {cases} cases, {transfers} transfers posted, {:.1} s; commands: {:?}",
        started.elapsed().as_secs_f64(),
        stats.borrow()
    );
    rt.block_on(t.finish());
    if let Err(e) = result {
        panic!("{backend:?}: {e}");
    }
}

#[test]
fn model_sqlite() {
    model_run(Backend::Sqlite, 48);
}

#[test]
fn model_postgres() {
    if postgres_wanted() {
        model_run(Backend::Postgres, 16);
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Two instances (two pools, two writers) draining one payer
// ---------------------------------------------------------------------------------------------

async fn two_writers_drain_one_payer(backend: Backend) {
    const LIMIT: i64 = 1_000;
    const AMOUNT: i64 = 7;
    let t = TestDb::new(backend, "skew").await;
    let other = t.connect_again().await;
    let ids = open_accounts(
        &t.db,
        &[
            (LIMIT, None, CRD),
            (0, None, CRD),
            (0, None, CRD),
            (0, None, CRD),
            (0, None, CRD),
        ],
    )
    .await;
    let (payer, payees) = (ids[0], ids[1..].to_vec());
    let writers = [
        LedgerWriter::spawn(t.db.clone(), 512),
        LedgerWriter::spawn(other.clone(), 512),
    ];
    // 50 waves of 4 submits per writer, both writers at once, each wave awaited: every wave
    // the two instances' batches race for the same payer, until its credit line is used up
    // (about wave 18) and beyond.
    let mut accepted = [0i64; 2];
    for wave in 0..50 {
        let mut tasks = Vec::new();
        for (w, writer) in writers.iter().enumerate() {
            for n in 0..4 {
                let writer = writer.clone();
                let payee = payees[(wave + n + w) % payees.len()];
                tasks.push(tokio::spawn(async move {
                    let answer = writer
                        .submit(command(vec![leg(payer, payee, AMOUNT)]))
                        .await;
                    (w, answer)
                }));
            }
        }
        for task in tasks {
            let (w, answer) = task.await.unwrap();
            match answer {
                Ok(_) => accepted[w] += 1,
                Err(e) => assert_eq!(
                    e.code(),
                    "credit_limit_exceeded",
                    "only the limit refuses: {e:?}"
                ),
            }
        }
    }
    let total = accepted[0] + accepted[1];
    eprintln!(
        "{backend:?}: accepted (first, second writer) {accepted:?} of 2 × 200 transfers of {AMOUNT}"
    );
    assert_eq!(total, LIMIT / AMOUNT, "exactly as many as the limit allows");
    let payer_balance = balance(&t.db, payer).await;
    assert!(payer_balance >= -LIMIT, "payer at {payer_balance}");
    assert_eq!(
        payer_balance,
        -total * AMOUNT,
        "debited = accepted × amount"
    );
    let mut received = 0;
    for p in &payees {
        received += balance(&other, *p).await;
    }
    assert_eq!(received, total * AMOUNT);
    assert_eq!(count(&t.db, "transfers").await, total);
    drop(writers);
    assert_verified(&t.db, "first instance").await;
    assert_verified(&other, "second instance").await;
    other.close().await;
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_skew_sqlite() {
    two_writers_drain_one_payer(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_skew_postgres() {
    if postgres_wanted() {
        two_writers_drain_one_payer(Backend::Postgres).await;
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Concurrent duplicate idempotency keys
// ---------------------------------------------------------------------------------------------

fn keyed(payer: Uuid, payee: Uuid, amount: i64, key: &IdempotencyKey) -> Command {
    Command {
        // A fresh leg id per retry: only the key may make them one transfer.
        legs: vec![leg(payer, payee, amount)],
        effect: Effect::None,
        idempotency: Some(key.clone()),
        created_by: Some(key.person_id),
    }
}

/// All answers Ok, one fresh and the rest replays of it; returns its id.
fn one_posted_rest_replayed(answers: Vec<Result<Outcome, CommandError>>, what: &str) -> Uuid {
    let outcomes: Vec<Outcome> = answers
        .into_iter()
        .map(|a| a.unwrap_or_else(|e| panic!("{what}: {e:?}")))
        .collect();
    let fresh: Vec<&Outcome> = outcomes.iter().filter(|o| !o.replayed).collect();
    assert_eq!(fresh.len(), 1, "{what}: exactly one fresh answer");
    let id = fresh[0].transfers[0].id;
    for o in &outcomes {
        assert_eq!(o.transfers.len(), 1, "{what}");
        assert_eq!(o.transfers[0].id, id, "{what}: every answer names it");
    }
    id
}

async fn duplicate_keys(backend: Backend) {
    let t = TestDb::new(backend, "keys").await;
    let other = t.connect_again().await;
    let ids = open_accounts(&t.db, &[(1_000, None, CRD), (0, None, CRD)]).await;
    let (a, b) = (ids[0], ids[1]);
    let person = Uuid::now_v7();
    let writer = LedgerWriter::spawn(t.db.clone(), 512);

    // 50 at once through one writer.
    let key = IdempotencyKey {
        person_id: person,
        key: "pay-once".into(),
        request_hash: [7; 32],
    };
    let answers = join_all((0..50).map(|_| writer.submit(keyed(a, b, 10, &key)))).await;
    let first = one_posted_rest_replayed(answers, "one writer");
    assert_eq!(count(&t.db, "transfers").await, 1);
    assert_eq!(
        ledger::transfer(&t.db, first).await.unwrap().amount_minor,
        10
    );
    assert_eq!(balance(&t.db, a).await, -10);

    // The same key with another body.
    let reused = IdempotencyKey {
        request_hash: [8; 32],
        ..key.clone()
    };
    refused(
        writer.submit(keyed(a, b, 11, &reused)).await,
        "idempotency_key_reused",
        "same key, other body",
    );
    assert!(matches!(
        writer.submit(keyed(a, b, 11, &reused)).await,
        Err(CommandError::IdempotencyKeyReused)
    ));
    // A later replay still answers the first transfer.
    let again = writer.submit(keyed(a, b, 10, &key)).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.transfers[0].id, first);
    assert_eq!(count(&t.db, "transfers").await, 1);

    // 50 at once split over two instances' writers.
    let other_writer = LedgerWriter::spawn(other.clone(), 512);
    let key2 = IdempotencyKey {
        key: "pay-once-across".into(),
        ..key.clone()
    };
    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let w = if n % 2 == 0 {
                writer.clone()
            } else {
                other_writer.clone()
            };
            let c = keyed(a, b, 10, &key2);
            tokio::spawn(async move { w.submit(c).await })
        })
        .collect();
    let answers: Vec<_> = join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    one_posted_rest_replayed(answers, "two instances");
    assert_eq!(count(&t.db, "transfers").await, 2);
    assert_eq!(balance(&t.db, a).await, -20);

    // Keys are per person: another person's identical key posts.
    let someone_else = IdempotencyKey {
        person_id: Uuid::now_v7(),
        ..key.clone()
    };
    posted(
        writer.submit(keyed(a, b, 10, &someone_else)).await,
        "other person",
    );
    assert_eq!(count(&t.db, "transfers").await, 3);
    assert_eq!(count(&t.db, "idempotency_keys").await, 3);
    drop((writer, other_writer));
    assert_verified(&t.db, "duplicate keys").await;
    other.close().await;
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_keys_sqlite() {
    duplicate_keys(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_keys_postgres() {
    if postgres_wanted() {
        duplicate_keys(Backend::Postgres).await;
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Tampering is caught by verify
// ---------------------------------------------------------------------------------------------

/// A fresh database with three accounts and six transfers (seq 1..=6) among them.
async fn seeded(backend: Backend, label: &str) -> (TestDb, Vec<Uuid>, Vec<TransferRow>) {
    let t = TestDb::new(backend, label).await;
    let ids = open_accounts(
        &t.db,
        &[(100, None, CRD), (100, None, CRD), (100, None, CRD)],
    )
    .await;
    let writer = LedgerWriter::spawn(t.db.clone(), 512);
    let mut rows = Vec::new();
    for (payer, payee, amount) in [
        (0, 1, 10),
        (1, 2, 20),
        (2, 0, 5),
        (0, 2, 7),
        (1, 0, 3),
        (2, 1, 11),
    ] {
        let answer = writer
            .submit(command(vec![leg(ids[payer], ids[payee], amount)]))
            .await;
        rows.push(posted(answer, "seed"));
    }
    assert_eq!(
        rows.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6]
    );
    assert_verified(&t.db, "seeded").await;
    (t, ids, rows)
}

async fn drop_triggers(db: &Db) {
    let statements: &[&str] = match db.backend() {
        "postgres" => &["DROP TRIGGER transfers_no_update ON transfers"],
        _ => &[
            "DROP TRIGGER transfers_no_update",
            "DROP TRIGGER transfers_no_delete",
        ],
    };
    for sql in statements {
        exec(db, sql).await.unwrap();
    }
}

fn problems(report: &distretto_domain::ledger::VerifyReport) -> &[Problem] {
    assert!(!report.ok(), "verify must fail");
    assert_eq!(report.problem_count as usize, report.problems.len());
    &report.problems
}

async fn tampering(backend: Backend) {
    // The journal refuses edits while its triggers stand.
    let (t, _, _) = seeded(backend, "guard").await;
    let update = exec(
        &t.db,
        "UPDATE transfers SET amount_minor = amount_minor + 1 WHERE seq = 3",
    )
    .await;
    let err = update.expect_err("UPDATE on the journal must fail");
    assert!(err.to_string().contains("append-only"), "{err}");
    let delete = exec(&t.db, "DELETE FROM transfers WHERE seq = 6").await;
    let err = delete.expect_err("DELETE on the journal must fail");
    assert!(err.to_string().contains("append-only"), "{err}");
    assert_eq!(count(&t.db, "transfers").await, 6);
    assert_verified(&t.db, "after refused edits").await;
    t.finish().await;

    // (a) An edited amount breaks its own hash.
    let (t, _, _) = seeded(backend, "edit").await;
    drop_triggers(&t.db).await;
    assert_eq!(
        exec(
            &t.db,
            "UPDATE transfers SET amount_minor = amount_minor + 1 WHERE seq = 3"
        )
        .await
        .unwrap(),
        1
    );
    let report = verify(&t.db).await.unwrap();
    let found = problems(&report);
    assert!(
        found.contains(&Problem::HashMismatch { seq: 3 }),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|p| matches!(p, Problem::BrokenChain { .. })),
        "the stored chain itself is intact: {found:?}"
    );
    t.finish().await;

    // (a') An edit that recomputes its own hash breaks the next entry's link instead.
    let (t, _, rows) = seeded(backend, "rehash").await;
    drop_triggers(&t.db).await;
    let mut edited = rows[2].clone();
    edited.amount_minor += 1;
    let prev: [u8; 32] = edited.prev_hash.as_slice().try_into().unwrap();
    let rehashed = entry_hash(&prev, &edited.entry().unwrap()).to_vec();
    let n = with_pool!(t.db.write(), pool => sqlx::query(
        "UPDATE transfers SET amount_minor = $1, hash = $2 WHERE seq = 3")
        .bind(edited.amount_minor).bind(rehashed).execute(pool).await.map(|r| r.rows_affected()))
    .unwrap();
    assert_eq!(n, 1);
    let report = verify(&t.db).await.unwrap();
    let found = problems(&report);
    assert!(
        !found.contains(&Problem::HashMismatch { seq: 3 }),
        "{found:?}"
    );
    assert!(
        found.contains(&Problem::BrokenChain { seq: 4 }),
        "{found:?}"
    );
    t.finish().await;

    // (b) A deleted middle entry leaves a gap and a broken link.
    let (t, _, _) = seeded(backend, "gap").await;
    drop_triggers(&t.db).await;
    assert_eq!(
        exec(&t.db, "DELETE FROM transfers WHERE seq = 3")
            .await
            .unwrap(),
        1
    );
    let report = verify(&t.db).await.unwrap();
    let found = problems(&report);
    assert!(
        found.contains(&Problem::SequenceGap {
            expected: 3,
            found: 4
        }),
        "{found:?}"
    );
    assert!(
        found.contains(&Problem::BrokenChain { seq: 4 }),
        "{found:?}"
    );
    t.finish().await;

    // (c) A deleted last entry no longer matches the recorded head.
    let (t, _, _) = seeded(backend, "tail").await;
    drop_triggers(&t.db).await;
    assert_eq!(
        exec(&t.db, "DELETE FROM transfers WHERE seq = 6")
            .await
            .unwrap(),
        1
    );
    let report = verify(&t.db).await.unwrap();
    let found = problems(&report);
    assert!(
        found.contains(&Problem::HeadMismatch {
            recorded_seq: 6,
            found_seq: 5
        }),
        "{found:?}"
    );
    t.finish().await;

    // (d) An edited balance disagrees with the journal and unbalances the currency.
    let (t, ids2, _) = seeded(backend, "balance").await;
    let before = balance(&t.db, ids2[1]).await;
    let n = with_pool!(t.db.write(), pool => sqlx::query(
        "UPDATE accounts SET balance_minor = balance_minor + 5 WHERE id = $1")
        .bind(ids2[1]).execute(pool).await.map(|r| r.rows_affected()))
    .unwrap();
    assert_eq!(n, 1);
    let report = verify(&t.db).await.unwrap();
    let found = problems(&report);
    assert!(
        found.contains(&Problem::BalanceMismatch {
            account: ids2[1],
            stored: before + 5,
            replayed: i128::from(before),
        }),
        "{found:?}"
    );
    assert!(
        found.contains(&Problem::NonZeroSum {
            currency: CRD.into(),
            sum: 5
        }),
        "{found:?}"
    );
    assert_eq!(report.problem_count, 2, "{found:?}");
    t.finish().await;
}

#[tokio::test]
async fn tampering_sqlite() {
    tampering(Backend::Sqlite).await;
}

#[tokio::test]
async fn tampering_postgres() {
    if postgres_wanted() {
        tampering(Backend::Postgres).await;
    }
}

/// The SQLite replay by parallel readers (blocks of 2 entries here, so every block boundary and
/// both readers are crossed) reports exactly what the streaming replay reports, on a sound
/// journal and on every kind of tampering, including rows outside the recorded head.
#[tokio::test]
async fn block_replay_matches_streaming_replay_sqlite() {
    let tamperings: [(&str, &str); 6] = [
        ("sound", ""),
        (
            "edit",
            "UPDATE transfers SET amount_minor = amount_minor + 1 WHERE seq = 3",
        ),
        ("gap", "DELETE FROM transfers WHERE seq = 4"),
        ("tail", "DELETE FROM transfers WHERE seq = 6"),
        (
            "after_head",
            "INSERT INTO transfers SELECT 9, randomblob(16), kind, payer, payee, currency, amount_minor, payer_balance_minor, payee_balance_minor, memo, invoice_id, request_id, NULL, created_by, created_at, prev_hash, hash FROM transfers WHERE seq = 2",
        ),
        (
            "before_first",
            "INSERT INTO transfers SELECT -1, randomblob(16), kind, payer, payee, currency, amount_minor, payer_balance_minor, payee_balance_minor, memo, invoice_id, request_id, NULL, created_by, created_at, prev_hash, hash FROM transfers WHERE seq = 5",
        ),
    ];
    for (label, sql) in tamperings {
        let (t, _, _) = seeded(Backend::Sqlite, label).await;
        if !sql.is_empty() {
            drop_triggers(&t.db).await;
            assert_eq!(exec(&t.db, sql).await.unwrap(), 1, "{label}");
        }
        let streamed = verify_streaming(&t.db).await.unwrap();
        assert_eq!(streamed.ok(), label == "sound", "{label}: {streamed:?}");
        for block_seqs in [1, 2, 5, 8_192] {
            let blocks = verify_in_blocks(&t.db, block_seqs).await.unwrap();
            assert_eq!(blocks, streamed, "{label}, blocks of {block_seqs}");
        }
        assert_eq!(
            verify(&t.db).await.unwrap(),
            streamed,
            "{label}: default path"
        );
        t.finish().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Invoice payments and payment requests (I6: the effect goes with its transfer or neither)
// ---------------------------------------------------------------------------------------------

fn invoice_leg(debtor: Uuid, creditor: Uuid, invoice: Uuid, amount: i64) -> Command {
    Command {
        legs: vec![NewLeg {
            kind: TransferKind::Invoice,
            invoice_id: Some(invoice),
            ..leg(debtor, creditor, amount)
        }],
        effect: Effect::PayInvoice(invoice),
        idempotency: None,
        created_by: None,
    }
}

fn request_leg(payer: Uuid, payee: Uuid, request: Uuid, amount: i64) -> Command {
    Command {
        legs: vec![NewLeg {
            kind: TransferKind::Request,
            request_id: Some(request),
            ..leg(payer, payee, amount)
        }],
        effect: Effect::PayRequest(request),
        idempotency: None,
        created_by: None,
    }
}

/// Everything a refused payment must leave as it was.
#[derive(Debug, PartialEq)]
struct Snapshot {
    transfers: i64,
    events: i64,
    balances: Vec<i64>,
    invoice: InvoiceRow,
}

async fn snapshot(db: &Db, ids: &[Uuid], invoice: Uuid) -> Snapshot {
    let mut balances = Vec::new();
    for id in ids {
        balances.push(balance(db, *id).await);
    }
    Snapshot {
        transfers: count(db, "transfers").await,
        events: count(db, "invoice_events").await,
        balances,
        invoice: invoices::get(db, invoice).await.unwrap(),
    }
}

async fn request(db: &Db, payee: Uuid, payer: Option<Uuid>, amount: i64) -> Uuid {
    let row = PaymentRequestRow {
        id: Uuid::now_v7(),
        payee,
        payer,
        amount_minor: amount,
        memo: "market stall".into(),
        status: "open".into(),
        transfer_id: None,
        created_by: Uuid::now_v7(),
        created_at: distretto_store::now(),
        decided_at: None,
    };
    requests::insert_requests(db, std::slice::from_ref(&row))
        .await
        .unwrap();
    row.id
}

async fn effects(backend: Backend) {
    let t = TestDb::new(backend, "effects").await;
    let db = &t.db;
    let ids = open_accounts(db, &[(50, None, CRD), (0, None, CRD), (1_000, None, CRD)]).await;
    let (debtor, creditor, friend) = (ids[0], ids[1], ids[2]);
    let writer = LedgerWriter::spawn(db.clone(), 512);

    let now = distretto_store::now();
    let creator = Uuid::now_v7();
    let invoice = InvoiceRow {
        id: Uuid::now_v7(),
        number: "2025-001".into(),
        creditor,
        debtor,
        currency: CRD.into(),
        amount_minor: 100,
        paid_minor: 0,
        set_off_minor: 0,
        description: "vegetables".into(),
        status: "accepted".into(),
        due_on: now.date(),
        dispute_reason: None,
        created_by: creator,
        created_at: now,
        updated_at: now,
    };
    let issued = InvoiceEventRow {
        id: Uuid::now_v7(),
        invoice_id: invoice.id,
        action: "issued".into(),
        amount_minor: Some(100),
        transfer_id: None,
        note: String::new(),
        actor: Some(creator),
        created_at: now,
    };
    invoices::insert(db, &invoice, &issued).await.unwrap();
    let inv = invoice.id;

    // A part payment: transfer, invoice and its history in one transaction.
    let t1 = posted(
        writer.submit(invoice_leg(debtor, creditor, inv, 40)).await,
        "part payment",
    );
    let row = invoices::get(db, inv).await.unwrap();
    assert_eq!((row.paid_minor, row.status.as_str()), (40, "accepted"));
    let events = invoices::events(db, inv).await.unwrap();
    let paid: Vec<_> = events
        .iter()
        .filter(|e| e.action == "paid_transfer")
        .collect();
    assert_eq!(paid.len(), 1, "{events:?}");
    assert_eq!(paid[0].transfer_id, Some(t1.id));
    assert_eq!(paid[0].amount_minor, Some(40));
    assert_eq!(
        paid[0].created_at, t1.created_at,
        "written by the same batch"
    );
    assert_eq!(t1.invoice_id, Some(inv));

    // An overpayment writes nothing at all.
    let before = snapshot(db, &ids, inv).await;
    refused(
        writer.submit(invoice_leg(debtor, creditor, inv, 61)).await,
        "amount_exceeds_remaining",
        "overpayment",
    );
    assert_eq!(snapshot(db, &ids, inv).await, before, "overpayment");

    // A payment beyond the debtor's credit limit leaves the invoice as it was.
    refused(
        writer.submit(invoice_leg(debtor, creditor, inv, 20)).await,
        "credit_limit_exceeded",
        "beyond the limit",
    );
    assert_eq!(snapshot(db, &ids, inv).await, before, "beyond the limit");

    // Only the debtor pays it, to the creditor.
    refused(
        writer.submit(invoice_leg(friend, creditor, inv, 10)).await,
        "not_your_invoice_action",
        "a third party",
    );
    assert_eq!(snapshot(db, &ids, inv).await, before, "a third party");

    posted(
        writer.submit(command(vec![leg(friend, debtor, 100)])).await,
        "funding",
    );
    // Two payments in one batch: the second sees what the first left (60 → 25 remaining).
    let answers = join_all([
        writer.submit(invoice_leg(debtor, creditor, inv, 35)),
        writer.submit(invoice_leg(debtor, creditor, inv, 35)),
    ])
    .await;
    let mut answers = answers.into_iter();
    posted(answers.next().unwrap(), "first of the batch");
    refused(
        answers.next().unwrap(),
        "amount_exceeds_remaining",
        "second of the batch",
    );
    assert_eq!(invoices::get(db, inv).await.unwrap().paid_minor, 75);
    posted(
        writer.submit(invoice_leg(debtor, creditor, inv, 25)).await,
        "the rest",
    );
    let row = invoices::get(db, inv).await.unwrap();
    assert_eq!((row.paid_minor, row.status.as_str()), (100, "paid"));
    let before = snapshot(db, &ids, inv).await;
    refused(
        writer.submit(invoice_leg(debtor, creditor, inv, 1)).await,
        "invoice_not_open",
        "paid invoice",
    );
    assert_eq!(snapshot(db, &ids, inv).await, before, "paid invoice");
    let events = invoices::events(db, inv).await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action == "paid_transfer")
            .map(|e| e.amount_minor.unwrap())
            .collect::<Vec<_>>(),
        vec![40, 35, 25]
    );
    assert_eq!(balance(db, creditor).await, 100);

    // A payment request, paid once.
    let req = request(db, creditor, Some(debtor), 25).await;
    let paid = posted(
        writer.submit(request_leg(debtor, creditor, req, 25)).await,
        "request",
    );
    let r = requests::get(db, req).await.unwrap();
    assert_eq!(r.status, "paid");
    assert_eq!(r.transfer_id, Some(paid.id));
    assert_eq!(r.payer, Some(debtor));
    assert!(r.decided_at.is_some());
    let before = snapshot(db, &ids, inv).await;
    refused(
        writer.submit(request_leg(debtor, creditor, req, 25)).await,
        "request_not_open",
        "paid twice",
    );
    assert_eq!(snapshot(db, &ids, inv).await, before, "paid twice");
    assert_eq!(requests::get(db, req).await.unwrap(), r);

    // An open request anyone may pay, paid by two in one batch: the first wins.
    let req = request(db, creditor, None, 10).await;
    let answers = join_all([
        writer.submit(request_leg(friend, creditor, req, 10)),
        writer.submit(request_leg(debtor, creditor, req, 10)),
    ])
    .await;
    let mut answers = answers.into_iter();
    let paid = posted(answers.next().unwrap(), "first payer");
    refused(answers.next().unwrap(), "request_not_open", "second payer");
    assert_eq!(paid.payer, friend, "the transfer names who paid");
    let r = requests::get(db, req).await.unwrap();
    // A request addressed to nobody keeps its payer empty (the writer's rule).
    assert_eq!(
        (r.status.as_str(), r.payer, r.transfer_id),
        ("paid", None, Some(paid.id))
    );

    // A request paid with the wrong amount stays open and nothing moves.
    let req = request(db, creditor, Some(debtor), 12).await;
    let before = snapshot(db, &ids, inv).await;
    refused(
        writer.submit(request_leg(debtor, creditor, req, 11)).await,
        "request_not_open",
        "wrong amount",
    );
    assert_eq!(snapshot(db, &ids, inv).await, before, "wrong amount");
    assert_eq!(requests::get(db, req).await.unwrap().status, "open");

    drop(writer);
    assert_verified(db, "effects").await;
    t.finish().await;
}

#[tokio::test]
async fn invoice_and_request_effects_sqlite() {
    effects(Backend::Sqlite).await;
}

#[tokio::test]
async fn invoice_and_request_effects_postgres() {
    if postgres_wanted() {
        effects(Backend::Postgres).await;
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Reversals
// ---------------------------------------------------------------------------------------------

fn reversal(payer: Uuid, payee: Uuid, amount: i64, original: Uuid) -> NewLeg {
    NewLeg {
        kind: TransferKind::Reversal,
        reverses: Some(original),
        ..leg(payer, payee, amount)
    }
}

async fn reversals(backend: Backend) {
    let t = TestDb::new(backend, "reversal").await;
    let db = &t.db;
    let ids = open_accounts(db, &[(100, None, CRD), (100, None, CRD)]).await;
    let (a, b) = (ids[0], ids[1]);
    let writer = LedgerWriter::spawn(db.clone(), 512);
    let first = posted(writer.submit(command(vec![leg(a, b, 30)])).await, "first");
    let second = posted(writer.submit(command(vec![leg(a, b, 20)])).await, "second");

    let undo = posted(
        writer
            .submit(command(vec![reversal(b, a, 30, first.id)]))
            .await,
        "reversal",
    );
    assert_eq!(undo.reverses, Some(first.id));
    assert_eq!((balance(db, a).await, balance(db, b).await), (-20, 20));
    let transfers = count(db, "transfers").await;
    refused(
        writer
            .submit(command(vec![reversal(b, a, 30, first.id)]))
            .await,
        "already_reversed",
        "second reversal",
    );
    refused(
        writer
            .submit(command(vec![reversal(b, a, 19, second.id)]))
            .await,
        "reversal_mismatch",
        "wrong amount",
    );
    refused(
        writer
            .submit(command(vec![reversal(a, b, 20, second.id)]))
            .await,
        "reversal_mismatch",
        "wrong direction",
    );
    refused(
        writer
            .submit(command(vec![reversal(a, b, 30, undo.id)]))
            .await,
        "not_reversible",
        "a reversal of a reversal",
    );
    refused(
        writer
            .submit(command(vec![reversal(b, a, 20, Uuid::now_v7())]))
            .await,
        "unknown_transfer",
        "unknown original",
    );
    assert_eq!(count(db, "transfers").await, transfers);

    // One command reversing the same transfer twice is refused alone; the payment queued in
    // the same batch still posts.
    let answers = join_all([
        writer.submit(command(vec![
            reversal(b, a, 20, second.id),
            reversal(b, a, 20, second.id),
        ])),
        writer.submit(command(vec![leg(a, b, 1)])),
    ])
    .await;
    let mut answers = answers.into_iter();
    refused(
        answers.next().unwrap(),
        "already_reversed",
        "double reversal in one command",
    );
    posted(answers.next().unwrap(), "payment beside it");
    assert_eq!(count(db, "transfers").await, transfers + 1);

    // Two commands reversing the same transfer in one batch: the first wins.
    let answers = join_all([
        writer.submit(command(vec![reversal(b, a, 20, second.id)])),
        writer.submit(command(vec![reversal(b, a, 20, second.id)])),
    ])
    .await;
    let mut answers = answers.into_iter();
    posted(answers.next().unwrap(), "first reversal of the batch");
    refused(
        answers.next().unwrap(),
        "already_reversed",
        "second reversal of the batch",
    );
    assert_eq!((balance(db, a).await, balance(db, b).await), (-1, 1));
    drop(writer);
    assert_verified(db, "reversals").await;
    t.finish().await;
}

#[tokio::test]
async fn reversals_sqlite() {
    reversals(Backend::Sqlite).await;
}

#[tokio::test]
async fn reversals_postgres() {
    if postgres_wanted() {
        reversals(Backend::Postgres).await;
    }
}
