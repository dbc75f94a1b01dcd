//! `distretto audit …`: the audit log from the command line.

use crate::config::Settings;
use crate::ledger::open_existing_db;
use crate::{DatabaseArg, Failure};
use std::time::Instant;

/// Audit log commands.
#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Replay the audit log's hash chain against its recorded head; exit 0 only if every entry
    /// is intact, in sequence and the head names the last one, 1 if not.
    Verify(DatabaseArg),
}

pub async fn run(settings: &Settings, cmd: AuditCommand) -> Result<(), Failure> {
    match cmd {
        AuditCommand::Verify(db) => verify(settings, db.database.as_deref()).await,
    }
}

async fn verify(settings: &Settings, flag: Option<&str>) -> Result<(), Failure> {
    let db = open_existing_db(settings, flag).await?;
    let started = Instant::now();
    let report = distretto_store::audit::verify(&db).await.map_err(|e| {
        Failure::Runtime(anyhow::anyhow!(
            "cannot read the audit log: {e} (a database older than the audit log needs `distretto migrate` first)"
        ))
    })?;
    db.close().await;
    println!(
        "audit log: {} entries checked in {} ms",
        report.entries,
        started.elapsed().as_millis()
    );
    for problem in &report.problems {
        eprintln!("problem: {problem}");
    }
    if report.is_intact() {
        println!("audit log ok");
        Ok(())
    } else {
        Err(Failure::Runtime(anyhow::anyhow!(
            "the audit log was altered: {} problem(s)",
            report.problem_count
        )))
    }
}
