//! What people type into query strings and form fields, read by the domain's parsers.
//!
//! The first byte picks the parser, the rest is the text:
//! - `p`: `impact::period::Period::parse` (`2026`, `2026-Q3`, `2026-07`, `2025-11..2026-10`);
//!   what it reads prints back to the same period and stays within `MAX_MONTHS`.
//! - `a`: `ledger::money::parse_amount` at a scale given by the next byte; an amount read is
//!   positive, bounded, and formatted with either separator reads back the same.
//! - `q`: `purchasing::catalogue::parse_quantity`; formatted, it reads back the same.
//! - `d`: `market::listing::parse_date` (`YYYY-MM-DD`); formatted, it reads back the same.
//! - `w`: `market::resource::parse_windows`; `format_windows` reads back the same windows.
//! - `l`: `purchasing::geo::LatLon::parse`; printed, it reads back the same point.
//! - `u`: a whole query string through `serde_urlencoded` (what axum's `Query` uses) into the
//!   market's `QueryInput` → `ListingQuery::parse`, the directory's parameters →
//!   `DirectoryQuery::parse`, and the indicators' `period` → `Period::parse`.
//!
//! Any other first byte runs every text parser on the rest.

#![no_main]

use distretto_domain::directory::DirectoryQuery;
use distretto_domain::impact::period::{MAX_MONTHS, Period};
use distretto_domain::ledger::money::{MAX_AMOUNT_MINOR, MAX_SCALE, format_minor, parse_amount};
use distretto_domain::market::listing::{self, ListingQuery, QueryInput};
use distretto_domain::market::resource::{format_windows, parse_windows};
use distretto_domain::purchasing::catalogue::{format_quantity, parse_quantity};
use distretto_domain::purchasing::geo::LatLon;
use libfuzzer_sys::fuzz_target;

/// The directory's query parameters, as the web crate declares them (`DirectoryParams`).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct DirectoryParams {
    q: Option<String>,
    kind: Option<String>,
    sector: Option<String>,
    place: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

/// The impact indicators' query parameters, as the web crate declares them
/// (`IndicatorParams`).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct IndicatorParams {
    period: Option<String>,
    kind: Option<String>,
    sector: Option<String>,
    source: Option<String>,
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode == b'a' {
        let Some((&scale, rest)) = rest.split_first() else {
            return;
        };
        if let Ok(text) = std::str::from_utf8(rest) {
            amount(text, scale % (MAX_SCALE + 2));
        }
        return;
    }
    if mode == b'u' {
        query_string(rest);
        return;
    }
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match mode {
        b'p' => period(text),
        b'q' => quantity(text),
        b'd' => date(text),
        b'w' => windows(text),
        b'l' => lat_lon(text),
        _ => {
            period(text);
            amount(text, 2);
            quantity(text);
            date(text);
            windows(text);
            lat_lon(text);
            query_string(rest);
        }
    }
});

fn period(text: &str) {
    let Ok(p) = Period::parse(text) else {
        return;
    };
    assert_eq!(Period::parse(&p.to_string()), Ok(p), "{text:?}");
    assert!((1..=MAX_MONTHS).contains(&p.len_months()));
    assert_eq!(p.months().count(), p.len_months() as usize);
    let buckets = p.buckets();
    let offsets: Vec<usize> = buckets
        .iter()
        .flat_map(|(_, o)| o.iter().copied())
        .collect();
    assert_eq!(offsets, (0..p.len_months() as usize).collect::<Vec<_>>());
    if let Some(before) = p.previous() {
        assert_eq!(before.len_months(), p.len_months());
    }
    let _ = (p.start(), p.end_exclusive());
}

fn amount(text: &str, scale: u8) {
    let Ok(a) = parse_amount(text, scale) else {
        return;
    };
    assert!(a.minor() > 0 && a.minor() <= MAX_AMOUNT_MINOR);
    if scale <= MAX_SCALE {
        for separator in ['.', ','] {
            let shown = format_minor(a.minor(), scale, separator);
            assert_eq!(parse_amount(&shown, scale), Ok(a), "{text:?} → {shown:?}");
        }
    }
}

fn quantity(text: &str) {
    let Ok(q) = parse_quantity(text) else {
        return;
    };
    assert!(q >= 0);
    for separator in ['.', ','] {
        let shown = format_quantity(q, separator);
        assert_eq!(parse_quantity(&shown), Ok(q), "{text:?} → {shown:?}");
    }
}

fn date(text: &str) {
    let Ok(d) = listing::parse_date(text, "date") else {
        return;
    };
    let shown = d
        .format(time::macros::format_description!("[year]-[month]-[day]"))
        .unwrap();
    assert_eq!(listing::parse_date(&shown, "date"), Ok(d), "{text:?}");
}

fn windows(text: &str) {
    let Ok(w) = parse_windows(text) else {
        return;
    };
    let shown = format_windows(&w);
    assert_eq!(parse_windows(&shown), Ok(w), "{text:?} → {shown:?}");
}

fn lat_lon(text: &str) {
    let Ok(p) = LatLon::parse(text) else {
        return;
    };
    let shown = p.to_string();
    assert_eq!(LatLon::parse(&shown), Ok(p), "{text:?} → {shown:?}");
}

fn query_string(data: &[u8]) {
    if let Ok(input) = serde_urlencoded::from_bytes::<QueryInput>(data)
        && let Ok(q) = ListingQuery::parse(&input)
    {
        assert!((1..=listing::MAX_PAGE_LIMIT).contains(&q.limit));
        assert!(q.offset <= listing::MAX_OFFSET);
        assert!(q.words.len() <= listing::MAX_SEARCH_WORDS);
        if let Some((_, radius_km)) = q.near {
            assert!(radius_km > 0.0 && radius_km <= listing::MAX_RADIUS_KM);
        }
    }
    if let Ok(p) = serde_urlencoded::from_bytes::<DirectoryParams>(data)
        && let Ok(q) = DirectoryQuery::parse(
            p.q.as_deref(),
            p.kind.as_deref(),
            p.sector.as_deref(),
            p.place.as_deref(),
            p.limit,
            p.offset,
        )
    {
        assert!((1..=distretto_domain::directory::MAX_PAGE_LIMIT).contains(&q.limit));
        assert!(q.words.len() <= distretto_domain::directory::MAX_SEARCH_WORDS);
    }
    if let Ok(p) = serde_urlencoded::from_bytes::<IndicatorParams>(data) {
        let _ = (p.kind, p.sector, p.source);
        if let Some(text) = p.period {
            period(&text);
        }
    }
}
