//! Helpers shared by the tests that run the `distretto` binary.
#![allow(dead_code)] // each test binary uses its own subset

pub mod federation;
pub mod load;
pub mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary, with the caller's environment kept from choosing a database or configuration.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_distretto"));
    c.env("DISTRETTO_LOG", "warn")
        .env_remove("DISTRETTO_DATABASE_URL")
        .env_remove("DISTRETTO_CONFIG");
    c
}

/// Runs the binary with `args` in `dir` and waits for it.
pub fn run(args: &[&str], dir: &Path) -> Output {
    bin().args(args).current_dir(dir).output().unwrap()
}

/// A fresh, empty directory for one test (`name` keeps tests apart, the pid test runs).
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("distretto-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What the process wrote to stderr, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The PostgreSQL server the tests may use (`DISTRETTO_TEST_POSTGRES_URL`).
pub fn postgres_base() -> Option<String> {
    std::env::var("DISTRETTO_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Whether the PostgreSQL leg should run; panics when it is neither configured nor explicitly
/// skipped.
pub fn postgres_wanted() -> bool {
    if postgres_base().is_some() {
        return true;
    }
    if std::env::var("DISTRETTO_TEST_SKIP_POSTGRES").as_deref() == Ok("1") {
        eprintln!("SKIPPED: PostgreSQL leg (DISTRETTO_TEST_SKIP_POSTGRES=1)");
        return false;
    }
    panic!(
        "DISTRETTO_TEST_POSTGRES_URL is not set: run scripts/test (it starts PostgreSQL), or set DISTRETTO_TEST_SKIP_POSTGRES=1 to skip this leg knowingly"
    );
}

/// A new, empty PostgreSQL database named `{prefix}_{uuid}`: its URL.
pub async fn fresh_postgres(prefix: &str) -> String {
    use distretto_store::{ConnectOptions, Db};
    let base = postgres_base().expect("postgres url");
    let admin = Db::connect(&ConnectOptions {
        url: base.clone(),
        max_connections: 1,
    })
    .await
    .unwrap();
    let name = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
    if let Db::Postgres(pool) = &admin {
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(pool)
            .await
            .unwrap();
    }
    admin.close().await;
    let (prefix, _) = base.rsplit_once('/').unwrap();
    format!("{prefix}/{name}")
}
