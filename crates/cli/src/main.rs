//! `distretto`: parses the command line and configuration, then calls the library crates.

mod admin;
mod audit;
mod backup;
mod bench;
mod bench_federation;
mod bench_governance;
mod bench_impact;
mod bench_market;
mod bench_purchasing;
mod clear;
mod config;
mod demo;
mod files;
mod governance;
mod ledger;
mod serve;
mod transfer;

use clap::{Parser, Subcommand};

/// mimalloc instead of glibc's malloc (see the workspace's Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::PathBuf;
use std::process::ExitCode;

/// The platform that runs and plans a solidarity economy district.
#[derive(Parser)]
#[command(name = "distretto", version, about)]
struct Cli {
    /// A TOML configuration file (default: ./distretto.toml when present).
    #[arg(long, global = true, env = "DISTRETTO_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the platform (migrations run at start).
    Serve(serve::ServeArgs),
    /// Fill an empty database with a deterministic synthetic district.
    Demo(demo::DemoArgs),
    /// Run the database migrations and exit.
    Migrate(DatabaseArg),
    /// Write the whole district as one versioned JSON document.
    Export(transfer::ExportArgs),
    /// Load a district document into an empty database.
    Import(transfer::ImportArgs),
    /// Copy the whole database while the server runs (SQLite: verified copy; PostgreSQL:
    /// pg_dump).
    Backup(backup::BackupArgs),
    /// Make a new database from a backup, migrate it forward and verify its ledger.
    Restore(backup::RestoreArgs),
    /// Multilateral set-off of the invoices in a CSV file (no database needed).
    Clear(clear::ClearArgs),
    /// Administration tasks.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// The mutual-credit ledger.
    #[command(subcommand)]
    Ledger(ledger::LedgerCommand),
    /// The audit log of security-relevant events.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Democratic governance.
    #[command(subcommand)]
    Governance(governance::GovernanceCommand),
    /// Benchmarks behind the README's performance figures.
    #[command(subcommand, hide = true)]
    Bench(bench::BenchCommand),
    /// Serve a bare axum "hello" endpoint, the yardstick of the benchmarks.
    #[command(hide = true)]
    BenchHello {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8099")]
        bind: String,
    },
}

/// A `--database` flag shared by commands.
#[derive(clap::Args)]
pub struct DatabaseArg {
    /// `sqlite:PATH` or `postgres://…` (default from configuration).
    #[arg(long)]
    pub database: Option<String>,
}

/// A failure of a command: `Usage` problems (bad arguments, URL, unreadable file) exit 2,
/// anything else exits 1.
#[derive(Debug)]
pub enum Failure {
    /// The user asked for something impossible; nothing was written.
    Usage(String),
    /// The command failed while running.
    Runtime(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Self::Runtime(e.into())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match config::Settings::load(cli.config.as_ref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("distretto: bad configuration: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(problem) = settings.check() {
        eprintln!("distretto: bad configuration: {problem}");
        return ExitCode::from(2);
    }
    init_logging(&settings.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("distretto: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(settings, args).await,
            Command::Demo(args) => demo::run(settings, args).await,
            Command::Migrate(db) => serve::migrate_only(&settings, db.database.as_deref()).await,
            Command::Export(args) => transfer::export(&settings, args).await,
            Command::Import(args) => transfer::import(&settings, args).await,
            Command::Backup(args) => backup::backup(&settings, args).await,
            Command::Restore(args) => backup::restore(&settings, args).await,
            Command::Clear(args) => clear::run(args),
            Command::Admin(cmd) => admin::run(&settings, cmd).await,
            Command::Ledger(cmd) => ledger::run(&settings, cmd).await,
            Command::Audit(cmd) => audit::run(&settings, cmd).await,
            Command::Governance(cmd) => governance::run(&settings, cmd).await,
            Command::Bench(cmd) => bench::run(&settings, cmd).await,
            Command::BenchHello { bind } => serve::hello(&bind).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("distretto: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(e)) => {
            eprintln!("distretto: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn init_logging(format: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("DISTRETTO_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Connects to the database named by `--database` or the settings, validating the URL first
/// (a bad URL is a usage error: exit 2, nothing written), creating `./data/` for the default.
pub async fn open_db(
    settings: &config::Settings,
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
        if let Some(dir) = std::path::Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| Failure::Usage(format!("cannot create {}: {e}", dir.display())))?;
        }
    }
    let db = distretto_store::Db::connect(&distretto_store::ConnectOptions {
        url,
        max_connections: settings.max_connections,
    })
    .await
    .map_err(|e| match e {
        distretto_store::StoreError::BadUrl(m) => Failure::Usage(format!("bad database URL: {m}")),
        other => Failure::Runtime(anyhow::anyhow!("cannot open the database: {other}")),
    })?;
    db.migrate()
        .await
        .map_err(|e| Failure::Runtime(anyhow::anyhow!("migrations failed: {e}")))?;
    for warning in db
        .check_durability()
        .await
        .map_err(|e| Failure::Runtime(anyhow::anyhow!("{e}")))?
    {
        tracing::warn!("{warning}");
    }
    Ok(db)
}
