//! `distretto ledger …`: the mutual-credit ledger from the command line.

use crate::config::Settings;
use crate::{DatabaseArg, Failure};
use distretto_domain::ledger::VerifyReport;
use std::time::Instant;

/// Ledger commands.
#[derive(clap::Subcommand)]
pub enum LedgerCommand {
    /// Recompute every balance from the journal and check the balances, their sum per currency,
    /// the limits and the journal's hash chain; exit 0 only if all hold, 1 if not.
    Verify(DatabaseArg),
}

pub async fn run(settings: &Settings, cmd: LedgerCommand) -> Result<(), Failure> {
    match cmd {
        LedgerCommand::Verify(db) => verify(settings, db.database.as_deref()).await,
    }
}

async fn verify(settings: &Settings, flag: Option<&str>) -> Result<(), Failure> {
    let db = open_existing_db(settings, flag).await?;
    let started = Instant::now();
    let report = distretto_store::ledger::verify::verify(&db).await.map_err(|e| {
        Failure::Runtime(anyhow::anyhow!(
            "cannot read the ledger: {e} (a database older than the ledger needs `distretto migrate` first)"
        ))
    })?;
    let elapsed = started.elapsed();
    db.close().await;
    print_summary(&report, elapsed);
    for problem in &report.problems {
        eprintln!("problem: {problem}");
    }
    if report.ok() {
        println!("ledger ok");
        Ok(())
    } else {
        let listed = report.problems.len() as u64;
        let more = report.problem_count.saturating_sub(listed);
        let tail = if more > 0 {
            format!(" ({more} more not listed)")
        } else {
            String::new()
        };
        Err(Failure::Runtime(anyhow::anyhow!(
            "the ledger is inconsistent: {} problem(s){tail}",
            report.problem_count
        )))
    }
}

/// The human summary on stdout: what was checked and how long it took.
pub fn print_summary(report: &VerifyReport, elapsed: std::time::Duration) {
    let elapsed_ms = elapsed.as_millis();
    let secs = elapsed.as_secs_f64().max(1e-9);
    println!(
        "journal: {} transfers replayed, {} accounts checked",
        report.transfers, report.accounts
    );
    for (currency, sum) in &report.sums {
        println!("sum of balances in {currency}: {sum}");
    }
    println!(
        "elapsed: {elapsed_ms} ms ({:.0} transfers/s)",
        report.transfers as f64 / secs
    );
}

/// Connects to an existing database without creating or migrating anything: `verify` only
/// reads. A missing SQLite file or a URL of another form is a usage error (exit 2).
pub async fn open_existing_db(
    settings: &Settings,
    flag: Option<&str>,
) -> Result<distretto_store::Db, Failure> {
    let url = flag.unwrap_or(settings.database_url()).to_owned();
    let backend = distretto_store::backend_of(&url)
        .map_err(|e| Failure::Usage(format!("{e} (got a database URL of another form)")))?;
    if backend == "sqlite" {
        let path = url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        let path = path.split('?').next().unwrap_or_default();
        if !std::path::Path::new(path).is_file() {
            return Err(Failure::Usage(format!("no SQLite database at {path}")));
        }
    }
    distretto_store::Db::connect(&distretto_store::ConnectOptions {
        url,
        max_connections: settings.max_connections,
    })
    .await
    .map_err(|e| match e {
        distretto_store::StoreError::BadUrl(m) => Failure::Usage(format!("bad database URL: {m}")),
        other => Failure::Runtime(anyhow::anyhow!("cannot open the database: {other}")),
    })
}
