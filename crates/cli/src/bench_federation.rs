//! `distretto bench federation`: districts linked on loopback, in one process (each with its
//! own SQLite file, its own server on its own port, and its own ledger writer).
//!
//! - Payments between two districts over HTTP (`POST /api/v1/federation/payments`: hold, signed
//!   prepare, commit, signed commit), one client after the other, then eight at once.
//! - A search of the directories of ten linked districts (`GET /api/v1/federation/organizations`):
//!   each new query asks all ten at once; the same query again is answered from the cache.
//! - Clearing rounds between three districts linked pairwise: members pay round the cycle, then
//!   one district starts a round (positions, plan, hold here, prepare in both others, commit,
//!   tell); the round is timed from start to its answer.

use crate::Failure;
use crate::bench::{TempSqlite, cores, create_payers, load_average, open_fresh};
use crate::config::Settings;
use distretto_domain::directory::{OrganizationProfile, ProfileInput};
use distretto_web::AppState;
use distretto_web::federation::service::{self, Proposal};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Flags of `bench federation`.
#[derive(clap::Args)]
pub struct FederationArgs {
    /// Payments timed between two districts (each mode).
    #[arg(long, default_value_t = 400, value_parser = clap::value_parser!(u32).range(8..=100_000))]
    payments: u32,
    /// Linked districts a search asks.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=50))]
    districts: u16,
    /// Organisations in each linked district's directory.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    organizations: u32,
    /// Different searches timed (each once fresh, once cached).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    searches: u32,
    /// Clearing rounds timed between three districts.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    rounds: u32,
}

/// Words organisation names are made of (each search asks for one).
const WORDS: [&str; 24] = [
    "pane",
    "formaggi",
    "orto",
    "vigna",
    "miele",
    "lana",
    "legno",
    "bici",
    "libri",
    "caffè",
    "ceramica",
    "sapone",
    "frutta",
    "latte",
    "farina",
    "birra",
    "olio",
    "erbe",
    "tessuti",
    "riparazioni",
    "energia",
    "trasporti",
    "cucina",
    "scuola",
];

/// One district: its database, state and address.
struct Node {
    _temp: TempSqlite,
    state: AppState,
    base: String,
    coordinator: distretto_web::auth::viewer::Actor,
}

fn failed(e: impl std::fmt::Display) -> Failure {
    Failure::Runtime(anyhow::anyhow!("{e}"))
}

async fn node(settings: &Settings, name: &str) -> Result<Node, Failure> {
    let temp = TempSqlite::new(&format!("federation-{name}"));
    let db = open_fresh(settings, &temp.url()).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let mut config = settings.web();
    config.public_url = base.clone();
    config.district_name = format!("Distretto {name}");
    let currency = config.currency.clone();
    let state = AppState::new(db.clone(), config).await.map_err(failed)?;
    let app = distretto_web::router(state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    let hash = distretto_web::auth::crypto::hash_password("bench coordinator password".into())
        .await
        .map_err(|e| failed(e.code))?;
    let email = format!("coord@{name}.bench.invalid");
    let id = distretto_web::membership::service::create_member(
        &db,
        &email,
        "Bench coordinator",
        &hash,
        distretto_domain::membership::Role::Coordinator,
        &currency,
    )
    .await
    .map_err(failed)?;
    let coordinator = distretto_web::auth::viewer::Actor {
        id,
        email,
        name: "Bench coordinator".into(),
        role: distretto_domain::membership::Role::Coordinator,
        membership_status: "member".into(),
    };
    Ok(Node {
        _temp: temp,
        state,
        base,
        coordinator,
    })
}

/// Links two districts (each coordinator enters the other's address and key), and lets each
/// owe the other plenty.
async fn link(a: &Node, b: &Node) -> Result<(Uuid, Uuid), Failure> {
    let mut ids = Vec::with_capacity(2);
    for (from, to) in [(a, b), (b, a)] {
        let (key, _) = service::own_key(&to.state)
            .await
            .map_err(|e| failed(e.code))?;
        let p = Proposal {
            url: &service::own_url(&to.state),
            keyid: &key.keyid,
            public_key: &key.public_key,
        };
        let linked = service::propose(&from.state, &from.coordinator, &p)
            .await
            .map_err(|e| failed(e.code))?;
        ids.push(linked.link.id);
    }
    for (n, id) in [(a, ids[0]), (b, ids[1])] {
        let mirror = distretto_store::federation::payments::ensure_mirror(
            &n.state.db,
            id,
            &n.state.config.currency.code,
        )
        .await
        .map_err(failed)?;
        let limits = distretto_domain::ledger::Limits {
            credit_limit_minor: 1_000_000_000_000,
            upper_limit_minor: None,
        };
        distretto_web::ledger::service::set_limits(
            &n.state.db,
            mirror.id,
            limits,
            "Benchmark: open trade",
            None,
            None,
        )
        .await
        .map_err(|e| failed(e.code))?;
    }
    Ok((ids[0], ids[1]))
}

fn percentile_ms(sorted_us: &[u128], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted_us.len() as f64).ceil() as usize;
    sorted_us[rank.clamp(1, sorted_us.len()) - 1] as f64 / 1000.0
}

fn report(label: &str, mut latencies_us: Vec<u128>, wall: Duration) {
    latencies_us.sort_unstable();
    println!(
        "{label:<44} p50 {:>6.1} ms   p99 {:>6.1} ms   max {:>6.1} ms   ({} in {:.2} s)",
        percentile_ms(&latencies_us, 50.0),
        percentile_ms(&latencies_us, 99.0),
        percentile_ms(&latencies_us, 100.0),
        latencies_us.len(),
        wall.as_secs_f64()
    );
}

/// One client paying `count` times; the latency of each 201, in microseconds.
async fn pay_many(
    client: reqwest::Client,
    url: String,
    token: String,
    body: serde_json::Value,
    count: u32,
) -> Result<Vec<u128>, Failure> {
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let started = Instant::now();
        let res = client
            .post(&url)
            .bearer_auth(&token)
            .header("idempotency-key", Uuid::new_v4().to_string())
            .json(&body)
            .send()
            .await
            .map_err(failed)?;
        let status = res.status().as_u16();
        if status != 201 {
            let text = res.text().await.unwrap_or_default();
            return Err(failed(format!("a payment answered {status}: {text}")));
        }
        out.push(started.elapsed().as_micros());
    }
    Ok(out)
}

async fn payments(settings: &Settings, args: &FederationArgs) -> Result<(), Failure> {
    let (a, b) = (node(settings, "a").await?, node(settings, "b").await?);
    let (link_a, _) = link(&a, &b).await?;
    let payers = create_payers(&a.state.db, settings, 8).await?;
    let payees = create_payers(&b.state.db, settings, 1).await?;
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/federation/payments", a.base);
    let body = |i: usize| serde_json::json!({"link": link_a, "payer": payers.accounts[i], "payee": payees.accounts[0].to_string(), "amount": 150, "memo": "bench"});
    // Warm-up: connections, statement caches, the mirror accounts.
    pay_many(
        client.clone(),
        url.clone(),
        payers.tokens[0].clone(),
        body(0),
        20,
    )
    .await?;
    let started = Instant::now();
    let one = pay_many(
        client.clone(),
        url.clone(),
        payers.tokens[0].clone(),
        body(0),
        args.payments,
    )
    .await?;
    report("payment A → B, one client", one, started.elapsed());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..8 {
        tasks.push(tokio::spawn(pay_many(
            client.clone(),
            url.clone(),
            payers.tokens[i].clone(),
            body(i),
            args.payments / 8,
        )));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.map_err(failed)??);
    }
    report(
        "payment A → B, eight clients at once",
        all,
        started.elapsed(),
    );
    let verified_a = distretto_store::ledger::verify::verify(&a.state.db)
        .await
        .map_err(failed)?;
    let verified_b = distretto_store::ledger::verify::verify(&b.state.db)
        .await
        .map_err(failed)?;
    println!(
        "   ledger verify: A {} ({} transfers), B {} ({} transfers)",
        if verified_a.ok() { "ok" } else { "FAILED" },
        verified_a.transfers,
        if verified_b.ok() { "ok" } else { "FAILED" },
        verified_b.transfers
    );
    Ok(())
}

async fn fill_directory(node: &Node, count: u32, seed: usize) -> Result<(), Failure> {
    let now = distretto_store::now();
    let rows: Vec<_> = (0..count as usize)
        .filter_map(|i| {
            let word = WORDS[(i * 7 + seed) % WORDS.len()];
            let p = OrganizationProfile::parse(&ProfileInput {
                name: format!("Cooperativa {word} {i}"),
                kind: "worker_coop".into(),
                sector: "food_processing".into(),
                locality: "Ivrea".into(),
                lat: "45.46".into(),
                lon: "7.87".into(),
                ..ProfileInput::default()
            })
            .ok()?;
            Some(distretto_store::directory::OrganizationRow::from_profile(
                Uuid::now_v7(),
                &p,
                "active",
                now,
            ))
        })
        .collect();
    distretto_store::directory::insert_organizations(&node.state.db, &rows)
        .await
        .map_err(failed)
}

async fn search(settings: &Settings, args: &FederationArgs) -> Result<(), Failure> {
    let hub = node(settings, "hub").await?;
    let mut others = Vec::with_capacity(usize::from(args.districts));
    for i in 0..usize::from(args.districts) {
        let n = node(settings, &format!("d{i}")).await?;
        fill_directory(&n, args.organizations, i).await?;
        link(&hub, &n).await?;
        others.push(n);
    }
    let client = reqwest::Client::new();
    let (mut fresh, mut cached) = (Vec::new(), Vec::new());
    let started = Instant::now();
    for i in 0..args.searches as usize {
        // Each query new to the cache: a word, and a page of its results.
        let q = format!("{} {}", WORDS[i % WORDS.len()], i / WORDS.len());
        let url = format!(
            "{}/api/v1/federation/organizations?q={}",
            hub.base,
            q.replace(' ', "+")
        );
        for latencies in [&mut fresh, &mut cached] {
            let t = Instant::now();
            let res = client.get(&url).send().await.map_err(failed)?;
            if res.status().as_u16() != 200 {
                return Err(failed(format!("a search answered {}", res.status())));
            }
            let v: serde_json::Value = res.json().await.map_err(failed)?;
            latencies.push(t.elapsed().as_micros());
            let asked = v["districts"].as_array().map_or(0, Vec::len);
            if asked != others.len() {
                return Err(failed(format!("{asked} districts answered a search")));
            }
        }
    }
    let wall = started.elapsed();
    report(
        &format!("search of {} districts, new query", others.len()),
        fresh,
        wall,
    );
    report(
        &format!("search of {} districts, cached", others.len()),
        cached,
        wall,
    );
    Ok(())
}

pub async fn federation(settings: &Settings, args: FederationArgs) -> Result<(), Failure> {
    println!(
        "== federation on loopback, SQLite, one process: {} payments per mode; search of {} districts of {} organisations; load average {} ({} cores)",
        args.payments,
        args.districts,
        args.organizations,
        load_average(),
        cores()
    );
    payments(settings, &args).await?;
    search(settings, &args).await?;
    clearing(settings, &args).await?;
    Ok(())
}

/// Pays `amount` from `from`'s first payer to `to`'s first payee over HTTP.
async fn pay_once(
    client: &reqwest::Client,
    from: &Node,
    link: Uuid,
    payer: (&str, Uuid),
    payee: Uuid,
) -> Result<(), Failure> {
    let body = serde_json::json!({"link": link, "payer": payer.1, "payee": payee.to_string(), "amount": 100, "memo": "cycle"});
    pay_many(
        client.clone(),
        format!("{}/api/v1/federation/payments", from.base),
        payer.0.to_owned(),
        body,
        1,
    )
    .await
    .map(|_| ())
}

/// Three districts linked pairwise; each round: a payment along each side of the cycle, then a
/// clearing round started by A, timed.
async fn clearing(settings: &Settings, args: &FederationArgs) -> Result<(), Failure> {
    let nodes = [
        node(settings, "ca").await?,
        node(settings, "cb").await?,
        node(settings, "cc").await?,
    ];
    let mut links = Vec::with_capacity(3);
    for (x, y) in [(0, 1), (1, 2), (2, 0)] {
        links.push(link(&nodes[x], &nodes[y]).await?.0);
    }
    let mut payers = Vec::with_capacity(3);
    for n in &nodes {
        payers.push(create_payers(&n.state.db, settings, 1).await?);
    }
    let client = reqwest::Client::new();
    let mut latencies_us = Vec::with_capacity(args.rounds as usize);
    let started = Instant::now();
    for _ in 0..args.rounds {
        for (i, (x, y)) in [(0, 1), (1, 2), (2, 0)].into_iter().enumerate() {
            let payer = (payers[x].tokens[0].as_str(), payers[x].accounts[0]);
            pay_once(&client, &nodes[x], links[i], payer, payers[y].accounts[0]).await?;
        }
        let t = Instant::now();
        let round = distretto_web::federation::clearing::start(
            &nodes[0].state,
            Some(&nodes[0].coordinator),
        )
        .await
        .map_err(|e| failed(e.code))?;
        latencies_us.push(t.elapsed().as_micros());
        if round.status != "committed" || round.set_off_minor != 300 {
            return Err(failed(format!(
                "a round ended {} with {} set off",
                round.status, round.set_off_minor
            )));
        }
    }
    report(
        "clearing round of 3 districts",
        latencies_us,
        started.elapsed(),
    );
    for n in &nodes {
        let v = distretto_store::ledger::verify::verify(&n.state.db)
            .await
            .map_err(failed)?;
        if !v.ok() {
            return Err(failed("a ledger does not verify after the rounds"));
        }
    }
    println!("   ledger verify: ok in all three (wall time includes the payments)");
    Ok(())
}
