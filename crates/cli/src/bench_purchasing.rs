//! `distretto bench purchasing`: the two figures of solidarity purchasing, on a fresh database.
//!
//! - **Close**: a cycle of `--households` households × `--products` products (every household
//!   orders every product, packaged products with tolerances), closed by the same service the
//!   pages and the close loop call (lines read, packages and tolerances planned, lines written,
//!   in one transaction). Timed `--repeat` times, one cycle each.
//! - **Ordering page**: `--shoppers` concurrent signed-in households on keep-alive connections
//!   read their cycle's order page (`GET /purchasing/cycles/{id}`) and, every fourth time, save
//!   it with one quantity changed (`POST …/order`, CSRF token from the page, then the redirect's
//!   page), for `--duration` after `--warmup`. Latencies per request kind: p50, p99, max.

use crate::Failure;
use crate::config::Settings;
use distretto_store::Db;
use distretto_store::directory::OrganizationRow;
use distretto_store::purchasing::catalogue::{PickupRow, ProductRow};
use distretto_store::purchasing::cycles::{
    CyclePickupRow, CycleProducerRow, CycleProductRow, CycleRow, LineRow, NewCycle, OrderRow,
};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Flags of `bench purchasing`.
#[derive(clap::Args)]
pub struct PurchasingArgs {
    /// Households ordering in each closed cycle.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=5_000))]
    households: u32,
    /// Products every household orders.
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u32).range(1..=200))]
    products: u32,
    /// Cycles closed (each timed).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    repeat: u32,
    /// Concurrent shoppers on the ordering page.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=512))]
    shoppers: u16,
    /// Measured time of the ordering run.
    #[arg(long, default_value = "10s", value_parser = super::bench::parse_duration)]
    duration: Duration,
    /// Unmeasured time before it.
    #[arg(long, default_value = "2s", value_parser = super::bench::parse_duration)]
    warmup: Duration,
    /// `sqlite:PATH` (a file that does not exist yet) or `postgres://…` (an empty database).
    /// Default: a new SQLite file in the temporary directory, deleted afterwards.
    #[arg(long)]
    database: Option<String>,
}

fn org(name: &str, kind: &str, lat: f64, lon: f64) -> OrganizationRow {
    let now = distretto_store::now();
    OrganizationRow {
        id: Uuid::now_v7(),
        name: name.into(),
        kind: kind.into(),
        legal_form: String::new(),
        sector: "agriculture".into(),
        description: String::new(),
        website: None,
        contact_email: None,
        phone: None,
        address: String::new(),
        postcode: String::new(),
        locality: "Torino".into(),
        lat: Some(lat),
        lon: Some(lon),
        founded_year: None,
        workers_fte_hundredths: 0,
        volunteers: 0,
        status: "active".into(),
        charter_version: None,
        charter_signed_at: None,
        created_at: now,
        updated_at: now,
    }
}

/// The group, its pickup point, four farms and `n` products spread over them (every third
/// one sold by the crate of 6 with a step of 1, the others by the 250 g).
struct Fixture {
    group: Uuid,
    pickup: Uuid,
    farms: Vec<Uuid>,
    products: Vec<ProductRow>,
}

async fn fixture(db: &Db, n: u32) -> Result<Fixture, Failure> {
    let group = org("GAS bench", "purchasing_group", 45.07, 7.68);
    let farms: Vec<OrganizationRow> = (0..4)
        .map(|i| {
            org(
                &format!("Farm {i}"),
                "farm",
                44.9 + f64::from(i) / 10.0,
                7.3,
            )
        })
        .collect();
    let mut orgs = vec![group.clone()];
    orgs.extend(farms.iter().cloned());
    distretto_store::directory::insert_organizations(db, &orgs)
        .await
        .map_err(anyhow::Error::from)?;
    let now = distretto_store::now();
    let products: Vec<ProductRow> = (0..n)
        .map(|i| {
            let packaged = i % 3 == 0;
            ProductRow {
                id: Uuid::now_v7(),
                producer_id: farms[(i % 4) as usize].id,
                sku: format!("P{i}"),
                name: format!("Product {i}"),
                description: String::new(),
                unit: "kg".into(),
                step_milli: if packaged { 1_000 } else { 250 },
                package_size_milli: if packaged { 6_000 } else { 250 },
                price_euro_minor: Some(150 + i64::from(i)),
                price_credit_minor: Some(150 + i64::from(i)),
                vat_basis_points: 400,
                origin: String::new(),
                certifications: String::new(),
                season_months: 0x0FFF,
                stock_milli: None,
                active: true,
                created_at: now,
                updated_at: now,
            }
        })
        .collect();
    distretto_store::purchasing::catalogue::insert_products(db, &products)
        .await
        .map_err(anyhow::Error::from)?;
    let pickup = PickupRow {
        id: Uuid::now_v7(),
        group_id: group.id,
        name: "Casa del quartiere".into(),
        address: "Via Morgari 14".into(),
        lat: Some(45.05),
        lon: Some(7.68),
        active: true,
        created_at: now,
    };
    distretto_store::purchasing::catalogue::insert_pickup(db, &pickup)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(Fixture {
        group: group.id,
        pickup: pickup.id,
        farms: farms.iter().map(|f| f.id).collect(),
        products,
    })
}

/// An open cycle offering every product, closing in a day.
async fn open_cycle(db: &Db, f: &Fixture, creator: Uuid) -> Result<Uuid, Failure> {
    let now = distretto_store::now();
    let id = Uuid::now_v7();
    let parts = NewCycle {
        producers: f
            .farms
            .iter()
            .map(|p| CycleProducerRow {
                cycle_id: id,
                producer_id: *p,
                minimum_minor: None,
                transport_basis_points: 300,
                minimum_met: None,
            })
            .collect(),
        products: f
            .products
            .iter()
            .map(|p| CycleProductRow {
                cycle_id: id,
                product_id: p.id,
                producer_id: p.producer_id,
                price_minor: p.price_credit_minor.unwrap_or(100),
                step_milli: p.step_milli,
                package_size_milli: p.package_size_milli,
                packages: None,
            })
            .collect(),
        pickups: vec![CyclePickupRow {
            cycle_id: id,
            pickup_id: f.pickup,
            starts_at: now + time::Duration::days(2),
            ends_at: now + time::Duration::days(2) + time::Duration::hours(2),
        }],
    };
    let row = CycleRow {
        id,
        group_id: f.group,
        number: 0,
        name: "Bench".into(),
        currency: "CRD".into(),
        opens_at: now - time::Duration::minutes(5),
        closes_at: now + time::Duration::days(1),
        group_fee_basis_points: 200,
        status: "open".into(),
        note: String::new(),
        created_by: creator,
        created_at: now,
        closed_at: None,
        delivered_at: None,
        settled_by: None,
        settled_at: None,
    };
    distretto_store::purchasing::cycles::open_cycle(db, &row, &parts)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(id)
}

/// Every household orders `lines` products of the cycle (bulk-inserted: placing orders is not
/// what the close measures).
async fn fill(
    db: &Db,
    f: &Fixture,
    cycle: Uuid,
    people: &[(Uuid, Uuid)],
    lines: usize,
) -> Result<(), Failure> {
    let now = distretto_store::now();
    let mut orders = Vec::with_capacity(people.len());
    let mut order_lines = Vec::with_capacity(people.len() * lines);
    let mut arrival = now.unix_timestamp_nanos() as i64 / 1_000;
    for (h, (person, account)) in people.iter().enumerate() {
        let order = Uuid::now_v7();
        orders.push(OrderRow {
            id: order,
            cycle_id: cycle,
            person_id: *person,
            account_id: *account,
            pickup_id: f.pickup,
            created_at: now,
            updated_at: now,
        });
        for (i, p) in f.products.iter().take(lines).enumerate() {
            arrival += 1;
            let steps = 1 + ((h * 7 + i * 3) % 5) as i64;
            let tolerance = if p.package_size_milli > p.step_milli && (h + i) % 2 == 0 {
                2 * p.step_milli
            } else {
                0
            };
            order_lines.push(LineRow {
                order_id: order,
                product_id: p.id,
                beneficiary: String::new(),
                quantity_milli: steps * p.step_milli,
                tolerance_milli: tolerance,
                arrival,
                allocated_milli: None,
                delivered_milli: None,
                substitute_for: None,
                updated_at: now,
            });
        }
    }
    let data = distretto_store::purchasing::PurchasingData {
        orders,
        order_lines,
        ..Default::default()
    };
    distretto_store::purchasing::import(db, &data)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(())
}

pub async fn purchasing(settings: &Settings, args: PurchasingArgs) -> Result<(), Failure> {
    let temp = super::bench::TempSqlite::new("purchasing");
    let url = args.database.clone().unwrap_or_else(|| temp.url());
    let db = super::bench::open_fresh(settings, &url).await?;
    println!(
        "== solidarity purchasing on {}: close {} households × {} products ({} times), ordering page with {} shoppers; load average {} ({} cores)",
        db.backend(),
        args.households,
        args.products,
        args.repeat,
        args.shoppers,
        super::bench::load_average(),
        super::bench::cores()
    );
    let f = fixture(&db, args.products).await?;
    let payers = super::bench::create_payers(
        &db,
        settings,
        args.households.max(u32::from(args.shoppers)) as usize,
    )
    .await?;
    let people: Vec<(Uuid, Uuid)> = payers
        .people
        .iter()
        .copied()
        .zip(payers.accounts.iter().copied())
        .collect();
    let state = distretto_web::AppState::new(db.clone(), settings.web())
        .await
        .map_err(anyhow::Error::from)?;
    let mut timings = Vec::new();
    for _ in 0..args.repeat {
        let cycle = open_cycle(&db, &f, people[0].0).await?;
        fill(
            &db,
            &f,
            cycle,
            &people[..args.households as usize],
            args.products as usize,
        )
        .await?;
        let started = Instant::now();
        let closed = distretto_web::purchasing::cycles::service::close(&state, cycle)
            .await
            .map_err(|e| anyhow::anyhow!("close failed: {}", e.code))?;
        let elapsed = started.elapsed();
        if !closed {
            return Err(Failure::Runtime(anyhow::anyhow!("the cycle did not close")));
        }
        let lines = distretto_store::purchasing::cycles::lines(&db, cycle)
            .await
            .map_err(anyhow::Error::from)?;
        let unallocated = lines.iter().filter(|l| l.allocated_milli.is_none()).count();
        if unallocated > 0 || lines.len() != (args.households * args.products) as usize {
            return Err(Failure::Runtime(anyhow::anyhow!(
                "{unallocated} lines left without allocation"
            )));
        }
        println!(
            "close: {} lines in {:.0} ms",
            lines.len(),
            elapsed.as_secs_f64() * 1000.0
        );
        timings.push(elapsed);
    }
    timings.sort();
    println!(
        "close: best {:.0} ms, median {:.0} ms, worst {:.0} ms",
        ms(timings[0]),
        ms(timings[timings.len() / 2]),
        ms(timings[timings.len() - 1])
    );
    ordering_page(&db, &state, &f, &people, &args).await?;
    println!(
        "   load average after the runs: {}",
        super::bench::load_average()
    );
    db.close().await;
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Latencies of one kind of request, in microseconds.
#[derive(Default)]
struct Latencies {
    page_us: Vec<u32>,
    save_us: Vec<u32>,
    errors: usize,
    first_error: Option<String>,
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
}

async fn ordering_page(
    db: &Db,
    state: &distretto_web::AppState,
    f: &Fixture,
    people: &[(Uuid, Uuid)],
    args: &PurchasingArgs,
) -> Result<(), Failure> {
    let cycle = open_cycle(db, f, people[0].0).await?;
    let shoppers = &people[..usize::from(args.shoppers)];
    fill(db, f, cycle, shoppers, 10).await?;
    let app = distretto_web::router(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    let now = distretto_store::now();
    let start = Instant::now() + Duration::from_millis(50);
    let measure_from = start + args.warmup;
    let until = measure_from + args.duration;
    let mut tasks = Vec::new();
    for (i, (person, _)) in shoppers.iter().enumerate() {
        let token = distretto_web::auth::crypto::new_token();
        distretto_store::auth::insert_session(
            db,
            &distretto_web::auth::crypto::token_hash(&token),
            *person,
            "browser",
            now,
            now + time::Duration::days(1),
        )
        .await
        .map_err(anyhow::Error::from)?;
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()?;
        let product = f.products[i % f.products.len().min(10)].clone();
        let base = format!("http://{addr}/purchasing/cycles/{cycle}");
        tasks.push(tokio::spawn(shopper(
            http,
            base,
            token,
            product,
            measure_from,
            until,
        )));
    }
    let mut all = Latencies::default();
    for t in tasks {
        let l = t.await.map_err(anyhow::Error::from)?;
        all.page_us.extend(l.page_us);
        all.save_us.extend(l.save_us);
        all.errors += l.errors;
        if all.first_error.is_none() {
            all.first_error = l.first_error;
        }
    }
    let _ = stop.send(());
    server
        .await
        .map_err(anyhow::Error::from)?
        .map_err(anyhow::Error::from)?;
    all.page_us.sort_unstable();
    all.save_us.sort_unstable();
    let secs = args.duration.as_secs_f64();
    for (label, l) in [
        ("GET order page", &all.page_us),
        ("POST save order + page", &all.save_us),
    ] {
        println!(
            "{label:<24} {:>7.0} /s   p50 {:>6.1} ms   p99 {:>6.1} ms   max {:>6.1} ms   ({} requests)",
            l.len() as f64 / secs,
            percentile(l, 50.0),
            percentile(l, 99.0),
            percentile(l, 100.0),
            l.len()
        );
    }
    if all.errors > 0 {
        return Err(Failure::Runtime(anyhow::anyhow!(
            "{} request(s) failed, first: {}",
            all.errors,
            all.first_error.unwrap_or_default()
        )));
    }
    Ok(())
}

/// The most requests one shopper sends (a bound far above any real rate).
const MAX_REQUESTS: usize = 1_000_000;

async fn shopper(
    http: reqwest::Client,
    base: String,
    token: String,
    product: ProductRow,
    measure_from: Instant,
    until: Instant,
) -> Latencies {
    let cookie = format!("{}={token}", distretto_web::auth::viewer::SESSION_COOKIE);
    let mut l = Latencies::default();
    let problem = |l: &mut Latencies, p: String| {
        l.errors += 1;
        l.first_error.get_or_insert(p);
    };
    for i in 0..MAX_REQUESTS {
        let started = Instant::now();
        if started >= until {
            break;
        }
        let page = http.get(&base).header("cookie", &cookie).send().await;
        let html = match page {
            Ok(r) if r.status().is_success() => r.text().await.unwrap_or_default(),
            Ok(r) => {
                problem(&mut l, format!("GET: HTTP {}", r.status()));
                continue;
            }
            Err(e) => {
                problem(&mut l, format!("GET: {e}"));
                continue;
            }
        };
        let done = Instant::now();
        if started >= measure_from {
            l.page_us
                .push(u32::try_from(done.duration_since(started).as_micros()).unwrap_or(u32::MAX));
        }
        if i % 4 != 3 {
            continue;
        }
        let Some(csrf) = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .map(|s| s.chars().take(64).collect::<String>())
        else {
            problem(&mut l, "no csrf token in the page".into());
            continue;
        };
        let quantity = format!("{}", 1 + i % 5);
        let form = [
            ("csrf", csrf),
            ("for", String::new()),
            (&format!("q_{}", product.id), quantity),
            (&format!("t_{}", product.id), String::new()),
        ];
        let started = Instant::now();
        let saved = http
            .post(format!("{base}/order"))
            .header("cookie", &cookie)
            .form(&form)
            .send()
            .await;
        let ok = match saved {
            Ok(r) if r.status().as_u16() == 303 => http
                .get(&base)
                .header("cookie", &cookie)
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false),
            Ok(r) => {
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                problem(
                    &mut l,
                    format!(
                        "POST: HTTP {status}: {}",
                        text.chars().take(200).collect::<String>()
                    ),
                );
                continue;
            }
            Err(e) => {
                problem(&mut l, format!("POST: {e}"));
                continue;
            }
        };
        if !ok {
            problem(&mut l, "the page after saving failed".into());
        }
        if started >= measure_from {
            l.save_us
                .push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
        }
    }
    l
}
