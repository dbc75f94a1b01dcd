//! `distretto demo` and `serve --demo`: the deterministic demo district.

use crate::config::Settings;
use crate::{Failure, open_db};

pub use distretto_domain::demo::Scale;

/// The seed used when none is given, so every demo district looks the same.
pub const DEFAULT_SEED: u64 = 2026;

/// Flags of `demo`.
#[derive(clap::Args)]
pub struct DemoArgs {
    /// `sqlite:PATH` or `postgres://…`.
    #[arg(long)]
    database: Option<String>,
    /// `district` (150+ organisations, 1,000 people), `region`, or `national` (60,000 / 500,000).
    #[arg(long, default_value = "district")]
    scale: String,
    /// Same seed, same district.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Everyone's password (default: a random one, printed).
    #[arg(long, env = "DISTRETTO_DEMO_PASSWORD", hide_env_values = true)]
    demo_password: Option<String>,
}

pub async fn run(settings: Settings, args: DemoArgs) -> Result<(), Failure> {
    let scale = Scale::parse(&args.scale).ok_or_else(|| {
        Failure::Usage(format!(
            "unknown --scale {}: use district, region or national",
            args.scale
        ))
    })?;
    let db = open_db(&settings, args.database.as_deref()).await?;
    if !db.is_empty().await? {
        return Err(Failure::Usage(
            "the database already holds a district; demo fills only an empty one".into(),
        ));
    }
    fill_if_empty(&db, &settings, scale, args.seed, args.demo_password).await?;
    db.close().await;
    Ok(())
}

/// Fills the demo district when the database is empty, with a progress bar on a terminal, and
/// prints the logins.
pub async fn fill_if_empty(
    db: &distretto_store::Db,
    settings: &Settings,
    scale: Scale,
    seed: u64,
    password: Option<String>,
) -> Result<(), Failure> {
    if !db.is_empty().await? {
        println!("the database already holds a district: demo data not added");
        return Ok(());
    }
    let (password, generated) = match password {
        Some(p) => (p, false),
        None => (
            distretto_web::auth::crypto::new_token()[..16].to_owned(),
            true,
        ),
    };
    distretto_domain::membership::check_new_password(&password)
        .map_err(|_| Failure::Usage("the demo password needs at least 10 characters".into()))?;
    let hash = distretto_web::auth::crypto::hash_password(password.clone())
        .await
        .map_err(|e| anyhow::anyhow!("hashing failed: {}", e.code))?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message("demo district");
    let started = std::time::Instant::now();
    let spec = distretto_domain::demo::DemoSpec { scale, seed };
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let summary =
        distretto_store::demo::fill(db, &spec, &hash, &settings.currency(), &progress).await?;
    // The shared resources' booking fees go through the ledger writer, after the
    // deterministic fill.
    distretto_store::demo::pay_market_resources(db, &spec, &settings.currency()).await?;
    bar.finish_and_clear();
    println!(
        "demo district ready in {:.1} s: {} organisations, {} people, {} memberships, {} accounts, {} pending applications; a year of trade: {} transfers, {} invoices, {} payment requests; solidarity purchasing: {} products, {} order cycles, {} orders, {} subscriptions",
        started.elapsed().as_secs_f64(),
        summary.organizations,
        summary.people,
        summary.memberships,
        summary.accounts,
        summary.applications,
        summary.transfers,
        summary.invoices,
        summary.payment_requests,
        summary.products,
        summary.order_cycles,
        summary.orders,
        summary.subscriptions
    );
    println!(
        "logins: coordinator@distretto.example (coordinator), person-1@distretto.example … person-N@distretto.example"
    );
    if generated {
        println!("demo password (everyone): {password}");
    } else {
        println!("demo password: the one given with --demo-password");
    }
    Ok(())
}
