//! `distretto bench market`: offers and needs at regional scale. Inserts synthetic offers spread
//! over a region (default 500,000), then times searches by words around a random point (p50,
//! p99 over many random queries) and the matches of new needs, on a fresh database.

use crate::Failure;
use crate::config::Settings;
use distretto_domain::market::listing::{ListingCategory, ListingKind, ListingQuery, QueryInput};
use distretto_store::market::listings::ListingRow;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;
use uuid::Uuid;

/// Flags of `bench market`.
#[derive(clap::Args)]
pub struct MarketArgs {
    /// Offers to insert.
    #[arg(long, default_value_t = 500_000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    offers: u32,
    /// Random searches to time.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    queries: u32,
    /// New needs whose matches are timed.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    needs: u32,
    /// `sqlite:PATH` (a file that does not exist yet) or `postgres://…` (an empty database).
    /// Default: a new SQLite file in the temporary directory, deleted afterwards.
    #[arg(long)]
    database: Option<String>,
    /// Seed of the synthetic offers and queries.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

/// Words titles are made of, in Italian and French, accents included (searches fold them).
const WORDS: &[&str] = &[
    "verdura",
    "mele",
    "pane",
    "segale",
    "formaggio",
    "uova",
    "miele",
    "vino",
    "bicicletta",
    "riparazione",
    "lezioni",
    "francese",
    "legna",
    "furgone",
    "trapano",
    "motozappa",
    "sala",
    "laboratorio",
    "giardino",
    "potatura",
    "maglioni",
    "lana",
    "tavolo",
    "larice",
    "ceramiche",
    "libri",
    "pulizie",
    "contabilità",
    "statuti",
    "caffè",
    "città",
    "légumes",
    "pommes",
    "pain",
    "fromage",
    "œufs",
    "vélo",
    "réparation",
    "cours",
    "italien",
    "bois",
    "fourgon",
    "perceuse",
    "salle",
    "atelier",
    "jardin",
    "taille",
    "pulls",
    "laine",
    "table",
    "mélèze",
    "céramiques",
    "livres",
    "ménage",
    "comptabilité",
    "statuts",
    "café",
    "théâtre",
    "musique",
    "électricité",
];

/// The region the offers are spread over: Piedmont and the Aosta Valley (~280 × 230 km).
const REGION_LAT: (f64, f64) = (44.2, 46.3);
const REGION_LON: (f64, f64) = (6.8, 9.3);

fn title(rng: &mut ChaCha8Rng) -> String {
    let n = rng.random_range(2..=4);
    (0..n)
        .map(|_| WORDS[rng.random_range(0..WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

fn point(rng: &mut ChaCha8Rng) -> (f64, f64) {
    (
        rng.random_range(REGION_LAT.0..REGION_LAT.1),
        rng.random_range(REGION_LON.0..REGION_LON.1),
    )
}

fn percentile(sorted_us: &[u128], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted_us.len() as f64)).ceil() as usize;
    sorted_us[rank.clamp(1, sorted_us.len()) - 1] as f64 / 1000.0
}

pub async fn market(settings: &Settings, args: MarketArgs) -> Result<(), Failure> {
    let temp = super::bench::TempSqlite::new("market");
    let url = args.database.clone().unwrap_or_else(|| temp.url());
    let db = super::bench::open_fresh(settings, &url).await?;
    println!(
        "== offers and needs on {}: {} offers over Piedmont and the Aosta Valley, {} searches, matches of {} needs; load average {} ({} cores)",
        db.backend(),
        args.offers,
        args.queries,
        args.needs,
        super::bench::load_average(),
        super::bench::cores()
    );
    let authors = super::bench::create_payers(&db, settings, 500)
        .await?
        .people;
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let now = distretto_store::now();
    let valid_until = now.date() + time::Duration::days(200);
    let started = Instant::now();
    let mut inserted = 0u32;
    while inserted < args.offers {
        let n = (args.offers - inserted).min(20_000);
        let rows: Vec<ListingRow> = (0..n)
            .map(|_| {
                let (lat, lon) = point(&mut rng);
                let category =
                    ListingCategory::ALL[rng.random_range(0..ListingCategory::ALL.len())];
                ListingRow {
                    id: Uuid::now_v7(),
                    side: "offer".into(),
                    kind: ListingKind::ALL[rng.random_range(0..ListingKind::ALL.len())]
                        .code()
                        .into(),
                    category: category.code().into(),
                    title: title(&mut rng),
                    description: format!("{} {}", title(&mut rng), title(&mut rng)),
                    credit_minor: Some(rng.random_range(1..200) * 100),
                    euro_cents: None,
                    locality: "Regione".into(),
                    lat: Some(lat),
                    lon: Some(lon),
                    available_from: None,
                    valid_until,
                    owner_person_id: Some(authors[rng.random_range(0..authors.len())]),
                    owner_organization_id: None,
                    author_id: authors[0],
                    status: "open".into(),
                    created_at: now,
                    updated_at: now,
                }
            })
            .map(|mut r| {
                r.author_id = r.owner_person_id.unwrap_or(r.author_id);
                r
            })
            .collect();
        distretto_store::market::listings::insert_listings(&db, &rows)
            .await
            .map_err(anyhow::Error::from)?;
        inserted += n;
    }
    let insert_s = started.elapsed().as_secs_f64();
    println!(
        "   inserted {} offers in {:.1} s ({:.0} per second)",
        inserted,
        insert_s,
        f64::from(inserted) / insert_s.max(1e-9)
    );
    distretto_store::market::listings::analyze(&db)
        .await
        .map_err(anyhow::Error::from)?;
    let state = distretto_web::AppState::new(db.clone(), settings.web())
        .await
        .map_err(anyhow::Error::from)?;

    // Searches: one or two words around a random point, 5 to 30 km, first page of 20.
    let mut search_us = Vec::with_capacity(args.queries as usize);
    let mut found_total = 0i64;
    for _ in 0..args.queries {
        let words = rng.random_range(1..=2);
        let q: Vec<&str> = (0..words)
            .map(|_| WORDS[rng.random_range(0..WORDS.len())])
            .collect();
        let (lat, lon) = point(&mut rng);
        let query = ListingQuery::parse(&QueryInput {
            q: Some(q.join(" ")),
            lat: Some(lat),
            lon: Some(lon),
            radius_km: Some(f64::from(rng.random_range(5..=30))),
            limit: Some(20),
            ..QueryInput::default()
        })
        .map_err(|e| anyhow::anyhow!("bad query: {}", e.code))?;
        let t = Instant::now();
        let found = distretto_web::market::listings::service::search(&state, &query)
            .await
            .map_err(|e| anyhow::anyhow!("search failed: {}", e.code))?;
        search_us.push(t.elapsed().as_micros());
        found_total += found.total;
    }
    search_us.sort_unstable();
    println!(
        "   search (words + distance, page of 20 with its total): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {:.0} results per query on average",
        percentile(&search_us, 50.0),
        percentile(&search_us, 99.0),
        percentile(&search_us, 100.0),
        found_total as f64 / f64::from(args.queries)
    );

    // Matches: a new need somewhere in the region, ranked against the offers.
    let mut match_us = Vec::with_capacity(args.needs as usize);
    let mut matched = 0usize;
    for _ in 0..args.needs {
        let (lat, lon) = point(&mut rng);
        let need = ListingRow {
            id: Uuid::now_v7(),
            side: "need".into(),
            kind: "good".into(),
            category: ListingCategory::ALL[rng.random_range(0..ListingCategory::ALL.len())]
                .code()
                .into(),
            title: title(&mut rng),
            description: String::new(),
            credit_minor: None,
            euro_cents: None,
            locality: "Regione".into(),
            lat: Some(lat),
            lon: Some(lon),
            available_from: None,
            valid_until,
            owner_person_id: Some(authors[1]),
            owner_organization_id: None,
            author_id: authors[1],
            status: "open".into(),
            created_at: now,
            updated_at: now,
        };
        let t = Instant::now();
        let found = distretto_web::market::listings::service::matches(
            &state,
            &need,
            distretto_web::market::listings::service::MAX_MATCHES,
        )
        .await
        .map_err(|e| anyhow::anyhow!("matches failed: {}", e.code))?;
        match_us.push(t.elapsed().as_micros());
        matched += found.len();
    }
    match_us.sort_unstable();
    println!(
        "   matches of a new need (candidates by category within 50 km and by title words, ranked, top 20 read): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {:.1} matches per need",
        percentile(&match_us, 50.0),
        percentile(&match_us, 99.0),
        percentile(&match_us, 100.0),
        matched as f64 / f64::from(args.needs)
    );
    db.close().await;
    Ok(())
}
