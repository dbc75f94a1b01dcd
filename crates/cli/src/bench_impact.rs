//! `distretto bench impact`: every impact indicator of one year, on a district as large as the
//! issue asks (the national demo, 60,000 organisations, plus ten million transfers of trade),
//! and the dashboard of a district-scale year over HTTP.
//!
//! For the year it times, in the same run:
//! - **from scratch**: fold the journal into the monthly aggregates, read every other fact, build
//!   the report and its indicator catalogue;
//! - **maintained**: fold whatever the aggregates have not seen (the first run folds it all; the
//!   time is printed apart), then read the aggregates, the facts, build and catalogue, as a page
//!   view does.
//!
//! Both must give the same indicators; the benchmark checks it.

use crate::config::Settings;
use crate::{Failure, open_db};
use distretto_domain::demo::Scale;
use distretto_domain::impact::period::Period;
use distretto_domain::impact::report;
use distretto_store::Db;
use distretto_store::impact::{AccountIndex, aggregates, facts};
use std::time::{Duration, Instant};

/// Flags of `bench impact`.
#[derive(clap::Args)]
pub struct ImpactArgs {
    /// `sqlite:PATH`. A file that does not exist is filled with the demo at `--scale` and
    /// `--transfers` of trade; an existing one is measured as it is (to repeat a measurement).
    #[arg(long)]
    database: String,
    /// The demo's scale for a new database.
    #[arg(long, default_value = "national")]
    scale: String,
    /// Transfers of trade added over the demo year for a new database (0: the demo's own).
    #[arg(long, default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(0..=100_000_000))]
    transfers: u64,
    /// The demo's seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Times each measurement is repeated (every run and the best are printed).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=10))]
    repeat: u32,
    /// Only the computation from scratch (skip folding the journal into the maintained
    /// aggregates, which on a fresh national database folds ten million entries first).
    #[arg(long)]
    scratch_only: bool,
    /// Also time the dashboard page over HTTP, this many requests (0: skip).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1000))]
    dashboard_requests: u32,
}

fn sqlite_path(url: &str) -> Result<std::path::PathBuf, Failure> {
    if distretto_store::backend_of(url).ok() != Some("sqlite") {
        return Err(Failure::Usage(
            "bench impact needs a sqlite:PATH database".into(),
        ));
    }
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    Ok(std::path::PathBuf::from(
        path.split('?').next().unwrap_or_default(),
    ))
}

/// The demo year: November 2025 to October 2026.
fn demo_year() -> Result<Period, Failure> {
    Period::parse("2025-11..2026-10").map_err(|_| Failure::Usage("bad period".into()))
}

async fn prepare(settings: &Settings, args: &ImpactArgs) -> Result<Db, Failure> {
    let path = sqlite_path(&args.database)?;
    let existed = path.exists();
    let db = open_db(settings, Some(&args.database)).await?;
    if existed {
        println!("measuring the existing district in {}", path.display());
        return Ok(db);
    }
    let scale = Scale::parse(&args.scale)
        .ok_or_else(|| Failure::Usage("--scale is district, region or national".into()))?;
    let started = Instant::now();
    crate::demo::fill_if_empty(
        &db,
        settings,
        scale,
        args.seed,
        Some("bench-impact-pw".into()),
    )
    .await?;
    println!("demo filled in {:.1} s", started.elapsed().as_secs_f64());
    if args.transfers > 0 {
        db.close().await;
        let transfers = args.transfers;
        let seed = args.seed;
        let p = path.clone();
        let stats = tokio::task::spawn_blocking(move || {
            let mut last = Instant::now();
            let mut progress = |done: u64| {
                if last.elapsed() > Duration::from_secs(10) {
                    println!("   … {done} transfers appended");
                    last = Instant::now();
                }
            };
            distretto_store::impact::bench_data::append_year_of_trade(
                &p,
                transfers,
                seed,
                &mut progress,
            )
        })
        .await
        .map_err(|e| anyhow::anyhow!("append: {e}"))?
        .map_err(anyhow::Error::from)?;
        println!(
            "appended {} transfers among {} accounts in {:.1} s",
            stats.transfers,
            stats.accounts,
            stats.elapsed_ms as f64 / 1000.0
        );
        return open_db(settings, Some(&args.database)).await;
    }
    Ok(db)
}

/// One computation of every indicator; (milliseconds of each phase, indicator count, JSON of
/// the catalogue for the equality check).
async fn once(
    db: &Db,
    period: &Period,
    currency: &str,
    scratch: bool,
) -> Result<([f64; 4], usize, String), Failure> {
    let t = Instant::now();
    let mut index = AccountIndex::default();
    // As the pages do: the facts load with their own numbering while the trade is read.
    let trade = async {
        let trade = if scratch {
            aggregates::from_scratch(db, period, &mut index).await
        } else {
            aggregates::load(db, period, &mut index).await
        };
        (trade, t.elapsed())
    };
    let mut own = AccountIndex::default();
    let facts = facts::load(db, period, &mut own, currency);
    let ((trade, t_trade), loaded) = tokio::join!(trade, facts);
    let trade = trade.map_err(anyhow::Error::from)?;
    let mut loaded = loaded.map_err(anyhow::Error::from)?;
    loaded.renumber(&own, &mut index);
    let t_facts = t.elapsed();
    let r = report::build(
        *period,
        &trade,
        &loaded.facts,
        &report::Selection::default(),
    );
    let t_build = t.elapsed();
    let list = distretto_web::impact::indicators::catalogue(&r);
    let t_all = t.elapsed();
    let json = serde_json::to_string(&list).map_err(anyhow::Error::from)?;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Ok((
        [
            ms(t_trade),
            ms(t_facts - t_trade),
            ms(t_build - t_facts),
            ms(t_all),
        ],
        list.len(),
        json,
    ))
}

fn print_run(label: &str, run: u32, ms: &[f64; 4]) {
    println!(
        "   {label} run {run}: total {:.0} ms (trade aggregates {:.0} ms, then the other facts (read meanwhile) {:.0} ms more, report {:.0} ms)",
        ms[3], ms[0], ms[1], ms[2]
    );
}

pub async fn impact(settings: &Settings, args: ImpactArgs) -> Result<(), Failure> {
    let db = prepare(settings, &args).await?;
    let period = demo_year()?;
    let currency = settings.currency().code;
    let (orgs, people, transfers) = distretto_store::impact::sizes(&db)
        .await
        .map_err(anyhow::Error::from)?;
    println!(
        "district: {orgs} organisations, {people} people, {transfers} transfers; period {period}; {} cores, load {}",
        crate::bench::cores(),
        crate::bench::load_average()
    );
    let mut scratch_best = f64::MAX;
    let mut scratch_json = String::new();
    for run in 1..=args.repeat {
        let (ms, n, json) = once(&db, &period, &currency, true).await?;
        print_run("from scratch", run, &ms);
        scratch_best = scratch_best.min(ms[3]);
        scratch_json = json;
        if run == 1 {
            println!("   {n} indicators");
        }
    }
    if args.scratch_only {
        println!("every indicator of the year from scratch: best {scratch_best:.0} ms");
        db.close().await;
        return Ok(());
    }
    let t = Instant::now();
    let mut folded = 0u64;
    for _ in 0..100_000 {
        let n = aggregates::refresh(&db, 200)
            .await
            .map_err(anyhow::Error::from)?;
        folded += n;
        if n == 0 {
            break;
        }
    }
    println!(
        "   folding {folded} new journal entries into the maintained aggregates took {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let mut maintained_best = f64::MAX;
    for run in 1..=args.repeat {
        let (ms, _, json) = once(&db, &period, &currency, false).await?;
        print_run("maintained", run, &ms);
        maintained_best = maintained_best.min(ms[3]);
        if json != scratch_json {
            return Err(anyhow::anyhow!(
                "the maintained aggregates give other indicators than the journal"
            )
            .into());
        }
    }
    println!(
        "every indicator of the year: from scratch best {scratch_best:.0} ms, maintained best {maintained_best:.0} ms (the same indicators)"
    );
    if args.dashboard_requests > 0 {
        dashboard(&db, settings, args.dashboard_requests).await?;
    }
    db.close().await;
    Ok(())
}

/// `/impact` over HTTP against the real router, one request at a time (after one warm-up).
async fn dashboard(db: &Db, settings: &Settings, requests: u32) -> Result<(), Failure> {
    let state = distretto_web::AppState::new(db.clone(), settings.web())
        .await
        .map_err(anyhow::Error::from)?;
    let app = distretto_web::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?;
    let url = format!("http://{addr}/impact?period=2025-11..2026-10");
    let first = Instant::now();
    let status = http.get(&url).send().await?.status();
    println!(
        "   dashboard first request: {} in {:.0} ms",
        status.as_u16(),
        first.elapsed().as_secs_f64() * 1000.0
    );
    let mut times = Vec::with_capacity(requests as usize);
    for _ in 0..requests {
        let t = Instant::now();
        let res = http.get(&url).send().await?;
        let ok = res.status().is_success();
        let _ = res.bytes().await?;
        if !ok {
            return Err(anyhow::anyhow!("the dashboard answered an error").into());
        }
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "   dashboard /impact over HTTP, {requests} requests: median {:.0} ms, p95 {:.0} ms, max {:.0} ms",
        at(0.5),
        at(0.95),
        at(1.0)
    );
    server.abort();
    Ok(())
}
