#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! `distretto backup` while members pay each other over HTTP, then `distretto restore`: each
//! backup restores into a new database whose ledger verifies and whose journal is exactly the
//! beginning of the live one (a consistent snapshot: no transfer half there, none invented).
//! Restoring over an existing database, or a file that is no backup, is refused (exit 2).
//!
//! PostgreSQL runs when `DISTRETTO_TEST_POSTGRES_URL` names a server (fresh databases per
//! test); without it that leg fails unless `DISTRETTO_TEST_SKIP_POSTGRES=1` says to skip it.

mod common;

use common::federation::{Server, call, create_user, token};
use common::{fresh_postgres, postgres_base, postgres_wanted, temp_dir};
use distretto_store::{ConnectOptions, Db};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

const PASSWORD: &str = "backup test passphrase";
const PEOPLE: usize = 4;

async fn open(url: &str) -> Db {
    Db::connect(&ConnectOptions {
        url: url.to_owned(),
        max_connections: 2,
    })
    .await
    .unwrap()
}

/// The journal's (seq, hash), in order.
async fn journal(db: &Db) -> Vec<(i64, Vec<u8>)> {
    distretto_store::with_pool!(db.read(), pool => sqlx::query_as("SELECT seq, hash FROM transfers ORDER BY seq")
        .fetch_all(pool).await)
    .unwrap()
}

/// Members pay each other until `stop`; counts the transfers acknowledged.
async fn load(
    base: String,
    people: Vec<(String, String)>,
    stop: Arc<AtomicBool>,
    paid: Arc<AtomicU64>,
    task: u64,
) {
    let client = reqwest::Client::new();
    let mut n = task;
    while !stop.load(Ordering::SeqCst) && n < 5_000 {
        let from = (n as usize) % PEOPLE;
        let to = (from + 1 + (n as usize / PEOPLE) % (PEOPLE - 1)) % PEOPLE;
        let res = client
            .post(format!("{base}/api/v1/transfers"))
            .bearer_auth(&people[from].0)
            .header("Idempotency-Key", format!("load-{task}-{n}"))
            .json(&json!({"payer": people[from].1, "payee": people[to].1, "amount": 1 + n % 50, "memo": "load"}))
            .send()
            .await;
        match res {
            Ok(r) if r.status().as_u16() == 201 => {
                paid.fetch_add(1, Ordering::SeqCst);
            }
            Ok(r) if n < 3 => eprintln!(
                "load: {} {}",
                r.status(),
                r.text().await.unwrap_or_default()
            ),
            Err(e) if n < 3 => eprintln!("load: {e}"),
            _ => {}
        }
        n += 1;
    }
}

fn distretto(args: &[&str], dir: &Path) -> std::process::Output {
    common::run(args, dir)
}

/// Backs up `live` twice under load, restores each backup into a database `target(i)` makes,
/// and checks it.
async fn backup_under_load(
    live: &str,
    target: impl Fn(usize) -> std::pin::Pin<Box<dyn std::future::Future<Output = String>>>,
    dir: &Path,
) {
    for i in 0..PEOPLE {
        create_user(live, &format!("p{i}@test.example"), "person", PASSWORD, dir);
    }
    let server = Server::start(live, None, "Backup", dir, &[]);
    let client = reqwest::Client::new();
    let mut people = Vec::new();
    for i in 0..PEOPLE {
        let t = token(
            &client,
            &server.base,
            &format!("p{i}@test.example"),
            PASSWORD,
        )
        .await;
        let (_, me) = call(
            &client,
            reqwest::Method::GET,
            format!("{}/api/v1/me", server.base),
            Some(&t),
            None,
        )
        .await;
        people.push((t, me["accounts"][0]["id"].as_str().unwrap().to_owned()));
    }
    let (stop, paid) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    );
    let mut payers = Vec::new();
    for task in 0..2 {
        payers.push(tokio::spawn(load(
            server.base.clone(),
            people.clone(),
            stop.clone(),
            paid.clone(),
            task,
        )));
    }
    let mut backups = Vec::new();
    for i in 0..2 {
        tokio::time::sleep(Duration::from_millis(800)).await;
        let out = dir.join(format!("backup-{i}"));
        let o = distretto(
            &["backup", "--out", out.to_str().unwrap(), "--database", live],
            dir,
        );
        assert!(o.status.success(), "backup {i}: {}", common::stderr(&o));
        backups.push(out);
    }
    stop.store(true, Ordering::SeqCst);
    for p in payers {
        p.await.unwrap();
    }
    let live_db = open(live).await;
    let live_journal = journal(&live_db).await;
    let acknowledged = paid.load(Ordering::SeqCst);
    assert!(
        acknowledged > 0 && live_journal.len() as u64 >= acknowledged,
        "{acknowledged} acknowledged, {} in the journal",
        live_journal.len()
    );
    let mut sizes = Vec::new();
    for (i, b) in backups.iter().enumerate() {
        let url = target(i).await;
        let o = distretto(&["restore", b.to_str().unwrap(), "--database", &url], dir);
        assert!(o.status.success(), "restore {i}: {}", common::stderr(&o));
        let restored = open(&url).await;
        let report = distretto_store::ledger::verify::verify(&restored)
            .await
            .unwrap();
        assert!(report.ok(), "{report:?}");
        let copy = journal(&restored).await;
        assert!(!copy.is_empty() && copy.len() <= live_journal.len());
        assert_eq!(
            copy,
            live_journal[..copy.len()],
            "backup {i} is the beginning of the live journal"
        );
        sizes.push(copy.len());
        restored.close().await;
        // The same backup over a database that now holds a district: refused, nothing written.
        let o = distretto(&["restore", b.to_str().unwrap(), "--database", &url], dir);
        assert_eq!(o.status.code(), Some(2), "{}", common::stderr(&o));
    }
    assert!(
        sizes[0] <= sizes[1],
        "the second backup came later: {sizes:?}"
    );
    // A file that is no backup is refused.
    std::fs::write(dir.join("not-a-backup"), "hello").unwrap();
    let url = target(9).await;
    let o = distretto(
        &[
            "restore",
            dir.join("not-a-backup").to_str().unwrap(),
            "--database",
            &url,
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(2), "{}", common::stderr(&o));
    println!(
        "backup: {} transfers live, backups of {sizes:?}",
        live_journal.len()
    );
    live_db.close().await;
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_backup_under_load_restores_a_verified_district() {
    let dir = temp_dir("backup-sqlite");
    let live = format!("sqlite:{}", dir.join("live.db").display());
    let restored = dir.clone();
    let target = move |i: usize| {
        let url = format!(
            "sqlite:{}",
            restored.join(format!("restored-{i}.db")).display()
        );
        Box::pin(async move { url }) as std::pin::Pin<Box<dyn std::future::Future<Output = String>>>
    };
    backup_under_load(&live, target, &dir).await;
    // A SQLite backup is no PostgreSQL dump.
    if let Some(base) = postgres_base() {
        let o = distretto(
            &[
                "restore",
                dir.join("backup-0").to_str().unwrap(),
                "--database",
                &base,
            ],
            &dir,
        );
        assert_eq!(o.status.code(), Some(2), "{}", common::stderr(&o));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_backup_under_load_restores_a_verified_district() {
    if !postgres_wanted() {
        return;
    }
    let dir = temp_dir("backup-postgres");
    let live = fresh_postgres("backup").await;
    let target = |_: usize| {
        Box::pin(fresh_postgres("backup"))
            as std::pin::Pin<Box<dyn std::future::Future<Output = String>>>
    };
    backup_under_load(&live, target, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// `backup` copies a SQLite district as it is and never migrates it: before an upgrade, the new
/// binary's backup must leave the live database to the binary that still runs it. The live
/// file is made to look one migration behind; afterwards it, and the backup, still are.
#[tokio::test]
async fn a_sqlite_backup_leaves_the_live_schema_as_it_is() {
    let dir = temp_dir("backup-schema");
    let url = format!("sqlite:{}", dir.join("live.db").display());
    let o = distretto(&["migrate", "--database", &url], &dir);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let applied = |url: String| async move {
        let db = open(&url).await;
        let n: i64 = distretto_store::with_pool!(db.read(), pool => sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(pool).await)
        .unwrap();
        db.close().await;
        n
    };
    let all = applied(url.clone()).await;
    let db = open(&url).await;
    distretto_store::with_pool!(db.write(), pool => sqlx::query("DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)")
        .execute(pool).await.map(|_| ()))
    .unwrap();
    db.close().await;
    let out = dir.join("behind.backup");
    let o = distretto(
        &["backup", "--database", &url, "--out", out.to_str().unwrap()],
        &dir,
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert_eq!(
        applied(url).await,
        all - 1,
        "the live database was migrated"
    );
    let copy = format!("sqlite:{}", out.display());
    assert_eq!(applied(copy).await, all - 1, "the backup was migrated");
    let _ = std::fs::remove_dir_all(&dir);
}
