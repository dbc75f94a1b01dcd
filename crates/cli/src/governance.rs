//! `distretto governance …`: recount closed votes from their published ballots.

use crate::config::Settings;
use crate::ledger::open_existing_db;
use crate::{DatabaseArg, Failure};
use distretto_store::governance as store;
use uuid::Uuid;

/// Governance commands.
#[derive(clap::Subcommand)]
pub enum GovernanceCommand {
    /// Recompute the tally of a closed proposal (or of every closed one) from its counted
    /// ballots and the frozen electorate, and compare it with the recorded result; exit 0 only
    /// if every recount equals the record, 1 if not.
    Recount(RecountArgs),
}

/// What to recount.
#[derive(clap::Args)]
pub struct RecountArgs {
    /// The proposal's id; every closed proposal when omitted.
    pub proposal: Option<String>,
    #[command(flatten)]
    pub db: DatabaseArg,
}

pub async fn run(settings: &Settings, cmd: GovernanceCommand) -> Result<(), Failure> {
    match cmd {
        GovernanceCommand::Recount(args) => recount(settings, args).await,
    }
}

/// The most proposals one run recounts.
const MAX_RECOUNTED: i64 = 100_000;

async fn recount(settings: &Settings, args: RecountArgs) -> Result<(), Failure> {
    let wanted = match args.proposal.as_deref() {
        Some(text) => Some(
            Uuid::parse_str(text.trim())
                .map_err(|_| Failure::Usage(format!("not a proposal id: {text}")))?,
        ),
        None => None,
    };
    let db = open_existing_db(settings, args.db.database.as_deref()).await?;
    let ids: Vec<Uuid> = match wanted {
        Some(id) => vec![id],
        None => store::proposals(&db, None, MAX_RECOUNTED)
            .await?
            .into_iter()
            .filter(|p| p.status == "closed")
            .map(|p| p.id)
            .collect(),
    };
    let mut differ = 0;
    for id in &ids {
        let (stored, recount) = distretto_web::governance::service::recount(&db, *id)
            .await
            .map_err(|e| Failure::Runtime(anyhow::anyhow!("proposal {id}: {}", e.code)))?;
        let outcome = distretto_web::governance::service::outcome_code(&recount.outcome);
        if stored.as_ref() == Some(&recount) {
            println!(
                "{id}: {outcome}, {} ballots, recount equals the record",
                recount.cast
            );
        } else {
            differ += 1;
            println!(
                "{id}: {outcome}, {} ballots, recount DIFFERS from the record",
                recount.cast
            );
            println!("  recorded: {}", serde_json::to_string(&stored)?);
            println!("  recount:  {}", serde_json::to_string(&recount)?);
        }
    }
    db.close().await;
    if differ > 0 {
        return Err(Failure::Runtime(anyhow::anyhow!(
            "{differ} of {} recount(s) differ from the record",
            ids.len()
        )));
    }
    println!(
        "{} proposal(s) recounted, all equal to the record",
        ids.len()
    );
    Ok(())
}
