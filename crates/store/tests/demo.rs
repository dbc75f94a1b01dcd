#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! The demo district loads into fresh SQLite (and, when `DISTRETTO_TEST_POSTGRES_URL` is set,
//! PostgreSQL) databases, with the logins CONTRACT.md promises, and the same seed gives the same
//! database.

use distretto_domain::demo::{COORDINATOR_EMAIL, DemoSpec, Scale, person_email};
use distretto_store::export::export;
use distretto_store::{ConnectOptions, Db, StoreError, accounts, directory, membership, with_pool};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

/// Any non-empty string: the demo stores it as given, nobody signs in during these tests.
const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$demo-test-hash";
const CURRENCY: &str = "AOC";

fn currency() -> distretto_domain::ledger::Currency {
    distretto_domain::ledger::Currency::new(CURRENCY, "Aosta", "A", 2).unwrap()
}

/// A SQLite file under the temporary directory, removed (with its WAL files) on drop.
struct TempSqlite {
    path: PathBuf,
}

impl TempSqlite {
    fn new(label: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "distretto-demo-{label}-{}-{}-{nanos}.db",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        Self { path }
    }

    async fn db(&self) -> Db {
        let db = Db::connect(&ConnectOptions {
            url: format!("sqlite:{}", self.path.display()),
            max_connections: 4,
        })
        .await
        .unwrap();
        db.migrate().await.unwrap();
        db
    }
}

impl Drop for TempSqlite {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

async fn count(db: &Db, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    with_pool!(db.read(), pool => sqlx::query_scalar::<_, i64>(&sql).fetch_one(pool).await).unwrap()
}

async fn fill(db: &Db, spec: &DemoSpec) -> distretto_store::demo::DemoSummary {
    let calls = std::sync::Mutex::new(Vec::new());
    let summary = distretto_store::demo::fill(db, spec, HASH, &currency(), &|done, total| {
        calls.lock().unwrap().push((done, total));
    })
    .await
    .unwrap();
    let calls = calls.into_inner().unwrap();
    // Organisations and people, then one unit per trading account for the year of trade.
    let total = spec.entity_count()
        + u64::from(spec.trade_organizations())
        + u64::from(spec.trade_people());
    assert_eq!(calls.first(), Some(&(0, total)));
    assert_eq!(
        calls.last(),
        Some(&(total, total)),
        "progress reaches the total"
    );
    assert!(
        calls.windows(2).all(|w| w[0].0 <= w[1].0),
        "progress only grows"
    );
    summary
}

/// What every backend must hold after a district-scale fill.
async fn check_district(db: &Db, spec: &DemoSpec) {
    assert_eq!(count(db, "organizations").await, 160);
    assert_eq!(count(db, "people").await, 1_001);
    let (active, fte) = directory::totals(db).await.unwrap();
    assert!(active >= 150, "{active} active organisations");
    assert!(fte > 0);
    let kinds = directory::count_by_kind(db).await.unwrap();
    assert_eq!(kinds.len(), 10, "every kind is active: {kinds:?}");

    let coordinator = membership::person_by_email(db, COORDINATOR_EMAIL)
        .await
        .unwrap()
        .expect("the coordinator exists");
    assert_eq!(coordinator.role, "coordinator");
    assert_eq!(coordinator.membership_status, "member");
    assert_eq!(coordinator.id, spec.coordinator_id());
    assert_eq!(coordinator.password_hash, HASH);

    for n in [1, 2, 500, 1_000] {
        let person = membership::person_by_email(db, &person_email(n))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("person-{n} exists"));
        assert_eq!(person.role, "person");
        let owned = accounts::of_owner(db, "person", person.id).await.unwrap();
        assert_eq!(
            owned.len(),
            1,
            "person-{n} owns exactly one personal account"
        );
        assert_eq!(owned[0].currency, CURRENCY);
    }
    assert!(
        membership::person_by_email(db, &person_email(1_001))
            .await
            .unwrap()
            .is_none()
    );
    // person-1 founded the first organisation and administers it.
    let p1 = membership::person(db, spec.person_id(1)).await.unwrap();
    let orgs = membership::organizations_of(db, p1.id).await.unwrap();
    assert!(
        orgs.iter()
            .any(|o| o.organization_id == spec.organization_id(0) && o.role == "admin")
    );

    let people = count(db, "people").await;
    let member_people: i64 = with_pool!(db.read(), pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM people WHERE membership_status = 'member'").fetch_one(pool).await)
    .unwrap();
    assert!(member_people > people * 9 / 10);
    let person_accounts: i64 = with_pool!(db.read(), pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(DISTINCT owner_id) FROM accounts WHERE owner_kind = 'person'").fetch_one(pool).await).unwrap();
    assert_eq!(person_accounts, people);
    let org_accounts: i64 = with_pool!(db.read(), pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM accounts a JOIN organizations o ON o.id = a.owner_id \
         WHERE a.owner_kind = 'organization' AND o.status IN ('active', 'suspended')").fetch_one(pool).await).unwrap();
    let admitted: i64 = with_pool!(db.read(), pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM organizations WHERE status IN ('active', 'suspended')").fetch_one(pool).await).unwrap();
    assert_eq!(org_accounts, admitted);
    let district: i64 = with_pool!(db.read(), pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM accounts WHERE owner_kind = 'district' AND owner_id IS NULL").fetch_one(pool).await).unwrap();
    assert_eq!(district, 2);
    let charterless: i64 = with_pool!(db.read(), pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM organizations WHERE status = 'active' AND (charter_version IS NULL OR charter_signed_at IS NULL)").fetch_one(pool).await).unwrap();
    assert_eq!(charterless, 0);

    let (pending, total) = membership::applications(db, Some("pending"), None, 100, 0)
        .await
        .unwrap();
    assert!(
        total >= 3 && pending.len() as i64 == total,
        "{total} pending"
    );
    let (log, logged) = membership::decisions(db, 20, 0).await.unwrap();
    assert!(logged >= admitted + people - 10, "{logged} decisions");
    assert!(
        log.iter()
            .all(|d| d.subject_name.is_some() && !d.reason.is_empty())
    );

    // The directory search finds a district organisation by place.
    let q = distretto_domain::directory::DirectoryQuery::parse(
        Some("aosta"),
        None,
        None,
        None,
        Some(10),
        None,
    )
    .unwrap();
    let found = directory::search_page(db, &q).await.unwrap();
    let n = directory::search_count(db, &q).await.unwrap();
    assert!(n > 0 && !found.is_empty());

    check_trade(db).await;
}

async fn scalar(db: &Db, sql: &str) -> i64 {
    with_pool!(db.read(), pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await).unwrap()
}

/// The year of trade: a journal that verifies, invoices in every status, payment requests.
async fn check_trade(db: &Db) {
    let report = distretto_store::ledger::verify::verify(db).await.unwrap();
    assert!(report.ok(), "ledger verify: {:?}", report.problems);
    let transfers = count(db, "transfers").await;
    assert!(transfers >= 10_000, "{transfers} transfers");
    assert_eq!(report.transfers as i64, transfers);
    assert_eq!(
        scalar(db, "SELECT last_seq FROM ledger_head WHERE id = 1").await,
        transfers
    );
    for kind in ["payment", "invoice", "request", "reversal"] {
        let n = scalar(
            db,
            &format!("SELECT COUNT(*) FROM transfers WHERE kind = '{kind}'"),
        )
        .await;
        assert!(n > 0, "no {kind} transfer");
    }
    // Households have credit to spend and organisations hold balances.
    let in_credit = scalar(
        db,
        "SELECT COUNT(*) FROM accounts WHERE owner_kind = 'person' AND balance_minor > 0",
    )
    .await;
    assert!(in_credit >= 200, "{in_credit} people in credit");
    let last = scalar(
        db,
        "SELECT COUNT(*) FROM transfers WHERE seq = (SELECT MAX(seq) FROM transfers) AND memo <> ''",
    )
    .await;
    assert_eq!(last, 1);

    let invoices = count(db, "invoices").await;
    assert!(invoices >= 200, "{invoices} invoices");
    for status in ["issued", "accepted", "disputed", "paid", "cancelled"] {
        let n = scalar(
            db,
            &format!("SELECT COUNT(*) FROM invoices WHERE status = '{status}'"),
        )
        .await;
        assert!(n > 0, "no {status} invoice");
    }
    for currency in ["EUR", CURRENCY] {
        let n = scalar(
            db,
            &format!("SELECT COUNT(*) FROM invoices WHERE currency = '{currency}'"),
        )
        .await;
        assert!(n > 0, "no invoice in {currency}");
    }
    let partly = scalar(
        db,
        "SELECT COUNT(*) FROM invoices WHERE status = 'accepted' AND paid_minor > 0 AND paid_minor < amount_minor",
    )
    .await;
    assert!(partly > 0, "no partly paid invoice");
    let inconsistent = scalar(
        db,
        "SELECT COUNT(*) FROM invoices WHERE paid_minor > amount_minor OR paid_minor < 0 \
         OR (status = 'paid') <> (paid_minor = amount_minor) OR (status = 'cancelled' AND paid_minor > 0)",
    )
    .await;
    assert_eq!(inconsistent, 0);
    // Paid by transfer: the transfers of an invoice in credit add up to what it records paid.
    let unmatched = scalar(
        db,
        "SELECT COUNT(*) FROM invoices i WHERE i.currency <> 'EUR' AND i.paid_minor <> \
         (SELECT CAST(COALESCE(SUM(t.amount_minor), 0) AS BIGINT) FROM transfers t WHERE t.invoice_id = i.id AND t.kind = 'invoice')",
    )
    .await;
    assert_eq!(unmatched, 0);
    let overdue = scalar(
        db,
        "SELECT COUNT(*) FROM invoices WHERE status IN ('issued', 'accepted', 'disputed') AND due_on < '2026-10-01'",
    )
    .await;
    assert!(overdue > 0, "no overdue invoice");
    let histories = scalar(
        db,
        "SELECT COUNT(*) FROM invoices i WHERE NOT EXISTS \
         (SELECT 1 FROM invoice_events e WHERE e.invoice_id = i.id AND e.action = 'issued')",
    )
    .await;
    assert_eq!(histories, 0, "every invoice has its issue in its history");

    let requests = count(db, "payment_requests").await;
    assert!(requests >= 50, "{requests} payment requests");
    for status in ["open", "paid", "declined"] {
        let n = scalar(
            db,
            &format!("SELECT COUNT(*) FROM payment_requests WHERE status = '{status}'"),
        )
        .await;
        assert!(n > 0, "no {status} request");
    }
    let paid_by_transfer = scalar(
        db,
        "SELECT COUNT(*) FROM payment_requests r JOIN transfers t ON t.id = r.transfer_id \
         WHERE r.status = 'paid' AND t.request_id = r.id AND t.kind = 'request' AND t.amount_minor = r.amount_minor \
         AND t.payee = r.payee AND t.payer = r.payer",
    )
    .await;
    assert_eq!(
        paid_by_transfer,
        scalar(
            db,
            "SELECT COUNT(*) FROM payment_requests WHERE status = 'paid'"
        )
        .await
    );
}

/// The journal head, which commits to every entry.
async fn head(db: &Db) -> (i64, Vec<u8>) {
    with_pool!(db.read(), pool => sqlx::query_as::<_, (i64, Vec<u8>)>(
        "SELECT last_seq, last_hash FROM ledger_head WHERE id = 1").fetch_one(pool).await)
    .unwrap()
}

#[tokio::test]
async fn district_fills_sqlite_deterministically() {
    let spec = DemoSpec::new(Scale::District, 2026);
    let (a, b) = (TempSqlite::new("a"), TempSqlite::new("b"));
    let (db_a, db_b) = (a.db().await, b.db().await);

    let summary = fill(&db_a, &spec).await;
    assert_eq!(summary.organizations, 160);
    assert_eq!(summary.people, 1_001);
    assert_eq!(summary.accounts as i64, count(&db_a, "accounts").await);
    assert_eq!(
        summary.memberships as i64,
        count(&db_a, "memberships").await
    );
    assert_eq!(
        summary.decisions as i64,
        count(&db_a, "membership_decisions").await
    );
    assert_eq!(
        summary.applications as i64,
        count(&db_a, "applications").await
    );
    assert_eq!(summary.transfers as i64, count(&db_a, "transfers").await);
    assert_eq!(summary.invoices as i64, count(&db_a, "invoices").await);
    assert_eq!(
        summary.payment_requests as i64,
        count(&db_a, "payment_requests").await
    );
    check_district(&db_a, &spec).await;

    // The bulk-load settings of the write connection are put back: FULL durability for money.
    let Db::Sqlite { write, .. } = &db_a else {
        unreachable!()
    };
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(write)
        .await
        .unwrap();
    assert_eq!(synchronous, 2, "synchronous = FULL again");
    let cache: i64 = sqlx::query_scalar("PRAGMA cache_size")
        .fetch_one(write)
        .await
        .unwrap();
    assert!(
        cache > -100_000,
        "the fill's page cache is released: {cache}"
    );
    let checkpoint: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
        .fetch_one(write)
        .await
        .unwrap();
    assert_eq!(
        checkpoint,
        i64::from(distretto_store::WAL_AUTOCHECKPOINT_PAGES),
        "the server's checkpoint interval again"
    );

    // A second fill of a non-empty database is refused and changes nothing.
    let again = distretto_store::demo::fill(&db_a, &spec, HASH, &currency(), &|_, _| {}).await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
    assert_eq!(count(&db_a, "people").await, 1_001);

    fill(&db_b, &spec).await;
    let (doc_a, doc_b) = (export(&db_a).await.unwrap(), export(&db_b).await.unwrap());
    assert_eq!(doc_a.people.len(), 1_001);
    assert!(doc_a == doc_b, "same seed, same district");
    assert_eq!(
        head(&db_a).await,
        head(&db_b).await,
        "same seed, same journal"
    );

    // Another seed gives another district.
    let c = TempSqlite::new("c");
    let db_c = c.db().await;
    fill(&db_c, &DemoSpec::new(Scale::District, 2027)).await;
    let doc_c = export(&db_c).await.unwrap();
    assert_ne!(doc_a.organizations, doc_c.organizations);

    // And PostgreSQL, when the test script provides one, holds the very same district.
    match std::env::var("DISTRETTO_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => {
            let pg = FreshPostgres::create(&url).await;
            fill(&pg.db, &spec).await;
            check_district(&pg.db, &spec).await;
            assert_eq!(head(&pg.db).await, head(&db_a).await, "the same journal");
            let doc_pg = export(&pg.db).await.unwrap();
            assert!(
                doc_pg == doc_a,
                "PostgreSQL and SQLite hold the same district"
            );
            pg.drop_database().await;
        }
        _ => {
            // Straight to stderr, past the test harness's capture, so a skipped backend is seen.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "\n*** DISTRETTO_TEST_POSTGRES_URL is not set: the demo fill was NOT checked on PostgreSQL ***\n"
            );
        }
    }
    for db in [db_a, db_b, db_c] {
        db.close().await;
    }
}

/// A database of its own on the test server, so tests running together never share rows.
struct FreshPostgres {
    admin: Db,
    name: String,
    db: Db,
}

impl FreshPostgres {
    async fn create(base_url: &str) -> Self {
        let admin = Db::connect(&ConnectOptions {
            url: base_url.to_owned(),
            max_connections: 1,
        })
        .await
        .unwrap();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!("distretto_demo_{}_{nanos}", std::process::id());
        let create = format!("CREATE DATABASE {name}");
        with_pool!(admin.write(), pool => sqlx::query(&create).execute(pool).await.map(|r| r.rows_affected())).unwrap();
        // Same URL, other database: replace the path, keep any query string.
        let (head, query) = base_url.split_once('?').unwrap_or((base_url, ""));
        let prefix = head.rsplit_once('/').map_or(head, |(p, _)| p);
        let url = if query.is_empty() {
            format!("{prefix}/{name}")
        } else {
            format!("{prefix}/{name}?{query}")
        };
        let db = Db::connect(&ConnectOptions {
            url,
            max_connections: 4,
        })
        .await
        .unwrap();
        db.migrate().await.unwrap();
        Self { admin, name, db }
    }

    async fn drop_database(self) {
        self.db.close().await;
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        with_pool!(self.admin.write(), pool => sqlx::query(&drop).execute(pool).await.map(|r| r.rows_affected())).unwrap();
        self.admin.close().await;
    }
}

/// `cargo test --release -p distretto-store --test demo -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "loads 60,000 organisations and 500,000 people: run in release to measure"]
async fn national_scale_loads_into_sqlite() {
    let spec = DemoSpec::new(Scale::National, 1);
    let file = TempSqlite::new("national");
    let db = file.db().await;
    let started = Instant::now();
    let last = std::sync::Mutex::new(Instant::now());
    let summary = distretto_store::demo::fill(&db, &spec, HASH, &currency(), &|done, total| {
        let mut last = last.lock().unwrap();
        if last.elapsed().as_secs() >= 5 || done == total || done == spec.entity_count() {
            eprintln!(
                "  {done}/{total} after {:.1} s",
                started.elapsed().as_secs_f64()
            );
            *last = Instant::now();
        }
    })
    .await
    .unwrap();
    let elapsed = started.elapsed();
    let size_mb = std::fs::metadata(&file.path).map_or(0, |m| m.len()) / 1_000_000;
    eprintln!(
        "national scale: {summary:?} in {:.1} s ({size_mb} MB before checkpoint)",
        elapsed.as_secs_f64()
    );
    assert!(summary.organizations >= 60_000);
    assert_eq!(summary.people, 500_001);
    assert_eq!(count(&db, "people").await, 500_001);
    assert_eq!(count(&db, "organizations").await, 60_000);
    let p = membership::person_by_email(&db, &person_email(500_000))
        .await
        .unwrap()
        .expect("the last person exists");
    assert_eq!(
        accounts::of_owner(&db, "person", p.id).await.unwrap().len(),
        1
    );
    let report = distretto_store::ledger::verify::verify(&db).await.unwrap();
    assert!(report.ok(), "ledger verify: {:?}", report.problems);
    db.close().await;
}

/// `cargo test --release -p distretto-store --test demo region -- --ignored --nocapture`: the
/// region load, and how much of it the year of trade takes to compute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "loads 6,000 organisations and 50,000 people: run in release to measure"]
async fn region_scale_loads_into_sqlite() {
    let spec = DemoSpec::new(Scale::Region, 1);
    let started = Instant::now();
    let trade = spec.trade(&currency());
    eprintln!(
        "region trade: {} transfers, {} invoices, {} requests computed in {:.2} s",
        trade.transfers.len(),
        trade.invoices.len(),
        trade.requests.len(),
        started.elapsed().as_secs_f64()
    );
    drop(trade);
    let file = TempSqlite::new("region");
    let db = file.db().await;
    let started = Instant::now();
    let batches_done = std::sync::Mutex::new(None);
    let summary = distretto_store::demo::fill(&db, &spec, HASH, &currency(), &|done, _| {
        let mut at = batches_done.lock().unwrap();
        if done >= spec.entity_count() && at.is_none() {
            *at = Some(started.elapsed().as_secs_f64());
        }
    })
    .await
    .unwrap();
    eprintln!(
        "region scale: {summary:?} in {:.1} s (organisations and people written after {:.1} s)",
        started.elapsed().as_secs_f64(),
        batches_done.lock().unwrap().unwrap_or(0.0)
    );
    let report = distretto_store::ledger::verify::verify(&db).await.unwrap();
    assert!(report.ok(), "ledger verify: {:?}", report.problems);
    db.close().await;
}
