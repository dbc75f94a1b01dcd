//! The indicator catalogue: a [`Report`] flattened into named indicators, each with its unit,
//! its value over the period, its series over the period's buckets and its breakdown, with
//! every breakdown made safe to publish (no group of fewer than five members).
//!
//! The page, the CSV and the open-data JSON all read this one list, so they always agree.
//! Each indicator's name, definition and source are Fluent messages `impact_name_{id}` and
//! `impact_def_{id}`.

use distretto_domain::directory::Sector;
use distretto_domain::impact::privacy::{self, Group as PrivacyGroup};
use distretto_domain::impact::report::{Report, Volume};
use std::collections::BTreeMap;

/// The unit of an indicator's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A count.
    Count,
    /// District credit, minor units.
    CreditMinor,
    /// Euro, cents.
    EuroMinor,
    /// A share, parts per million.
    Ppm,
    /// A ratio, thousandths.
    Milli,
    /// Full-time equivalents, hundredths.
    FteHundredths,
    /// Distance, metres.
    Metres,
    /// Freight, kilogram-kilometres.
    KgKm,
    /// Emissions, grams of CO2 equivalent.
    GramsCo2e,
    /// Time, minutes.
    Minutes,
}

/// Which part of the page an indicator belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Members, jobs, volunteers.
    Members,
    /// Intra-district trade.
    Trade,
    /// Local share and LM3.
    Local,
    /// Clearing.
    Clearing,
    /// Food km and CO2e.
    Food,
    /// Participation.
    Participation,
    /// The shape of trade.
    Shape,
}

/// One indicator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Indicator {
    /// Stable id (`trade_volume`, `lm3` …).
    pub id: &'static str,
    /// Its theme.
    pub theme: Theme,
    /// Its unit.
    pub unit: Unit,
    /// Its value over the whole period (`None`: not defined, e.g. a ratio over nothing).
    #[serde(serialize_with = "opt_i128")]
    pub value: Option<i128>,
    /// One value per bucket, when it has a series.
    #[serde(serialize_with = "series_i128")]
    pub series: Vec<Option<i128>>,
    /// Its breakdown (codes: sector, kind, `body / college`, `other`), safe to publish.
    pub breakdown: Vec<Part>,
    /// Breakdown groups withheld or merged into `other` because they were too small.
    pub withheld: u32,
}

/// One part of a breakdown.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Part {
    /// What it is about (a code, or `other`).
    pub key: String,
    /// Its value.
    #[serde(serialize_with = "ser_i128")]
    pub value: i128,
}

// JSON numbers beyond 2^53 lose precision in most readers; our figures stay far below, and
// serde_json writes i128 exactly anyway.
fn ser_i128<S: serde::Serializer>(v: &i128, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i128(*v)
}

fn opt_i128<S: serde::Serializer>(v: &Option<i128>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_i128(*v),
        None => s.serialize_none(),
    }
}

fn series_i128<S: serde::Serializer>(v: &[Option<i128>], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(v.len()))?;
    for x in v {
        match x {
            Some(x) => seq.serialize_element(x)?,
            None => seq.serialize_element(&Option::<i64>::None)?,
        }
    }
    seq.end()
}

fn ind(id: &'static str, theme: Theme, unit: Unit, value: Option<i128>) -> Indicator {
    Indicator {
        id,
        theme,
        unit,
        value,
        series: Vec::new(),
        breakdown: Vec::new(),
        withheld: 0,
    }
}

fn with_series(mut i: Indicator, series: Vec<Option<i128>>) -> Indicator {
    i.series = series;
    i
}

fn counts(v: &[u64]) -> Vec<Option<i128>> {
    v.iter().map(|x| Some(i128::from(*x))).collect()
}

fn amounts(v: &[Volume]) -> Vec<Option<i128>> {
    v.iter().map(|x| Some(x.amount_minor)).collect()
}

fn numbers(v: &[Volume]) -> Vec<Option<i128>> {
    v.iter().map(|x| Some(i128::from(x.count))).collect()
}

fn sum_amount(v: &[Volume]) -> i128 {
    v.iter().map(|x| x.amount_minor).sum()
}

fn sum_count(v: &[Volume]) -> i128 {
    v.iter().map(|x| i128::from(x.count)).sum()
}

/// A breakdown over groups of `members` members each, made publishable.
fn breakdown<K: Ord + ToString + Clone>(rows: &BTreeMap<K, (u32, i128)>) -> (Vec<Part>, u32) {
    let groups: Vec<PrivacyGroup<K>> = rows
        .iter()
        .map(|(k, (members, v))| PrivacyGroup {
            key: k.clone(),
            members: *members,
            values: vec![i64::try_from(*v).unwrap_or(i64::MAX)],
        })
        .collect();
    let published = privacy::publishable(groups);
    let mut parts: Vec<Part> = published
        .shown
        .iter()
        .map(|g| Part {
            key: g.key.to_string(),
            value: i128::from(g.values.first().copied().unwrap_or(0)),
        })
        .collect();
    let mut withheld = published.suppressed_groups;
    if let Some(o) = &published.other {
        withheld += u32::try_from(o.keys.len()).unwrap_or(u32::MAX);
        parts.push(Part {
            key: "other".into(),
            value: o.values.first().copied().unwrap_or(0),
        });
    }
    (parts, withheld)
}

fn with_breakdown(mut i: Indicator, (parts, withheld): (Vec<Part>, u32)) -> Indicator {
    i.breakdown = parts;
    i.withheld = withheld;
    i
}

/// Member organisations per sector at the end of the period (the group size of sector
/// breakdowns).
fn sector_members(r: &Report) -> BTreeMap<Sector, u32> {
    r.members
        .by_sector
        .iter()
        .map(|(s, n)| (*s, u32::try_from(*n).unwrap_or(u32::MAX)))
        .collect()
}

fn by_sector(r: &Report, values: impl Iterator<Item = (Sector, i128)>) -> (Vec<Part>, u32) {
    let members = sector_members(r);
    let rows: BTreeMap<String, (u32, i128)> = values
        .map(|(s, v)| {
            (
                s.code().to_owned(),
                (members.get(&s).copied().unwrap_or(0), v),
            )
        })
        .collect();
    breakdown(&rows)
}

/// Every indicator of `r`, in the order the page shows them.
pub fn catalogue(r: &Report) -> Vec<Indicator> {
    let mut out = Vec::with_capacity(48);
    members(r, &mut out);
    trade(r, &mut out);
    local(r, &mut out);
    clearing_food(r, &mut out);
    participation(r, &mut out);
    shape(r, &mut out);
    out
}

fn members(r: &Report, out: &mut Vec<Indicator>) {
    use Theme::Members as M;
    let m = &r.members;
    let kinds: BTreeMap<String, (u32, i128)> = m
        .by_kind
        .iter()
        .map(|(k, n)| {
            (
                k.code().to_owned(),
                (u32::try_from(*n).unwrap_or(u32::MAX), i128::from(*n)),
            )
        })
        .collect();
    out.push(with_breakdown(
        ind(
            "members_organizations",
            M,
            Unit::Count,
            Some(i128::from(m.organizations)),
        ),
        breakdown(&kinds),
    ));
    out.push(with_breakdown(
        ind(
            "members_by_sector",
            M,
            Unit::Count,
            Some(i128::from(m.organizations)),
        ),
        by_sector(r, m.by_sector.iter().map(|(s, n)| (*s, i128::from(*n)))),
    ));
    out.push(ind(
        "members_people",
        M,
        Unit::Count,
        Some(i128::from(m.people)),
    ));
    out.push(with_breakdown(
        ind(
            "jobs_fte",
            M,
            Unit::FteHundredths,
            Some(i128::from(m.jobs_fte_hundredths)),
        ),
        by_sector(
            r,
            m.jobs_by_sector.iter().map(|(s, n)| (*s, i128::from(*n))),
        ),
    ));
    out.push(ind(
        "volunteers",
        M,
        Unit::Count,
        Some(i128::from(m.volunteers)),
    ));
    for (id, series) in [
        ("organizations_joined", &m.organizations_joined),
        ("organizations_left", &m.organizations_left),
        ("people_joined", &m.people_joined),
        ("people_left", &m.people_left),
    ] {
        let total = series.iter().map(|x| i128::from(*x)).sum();
        out.push(with_series(
            ind(id, M, Unit::Count, Some(total)),
            counts(series),
        ));
    }
}

fn trade(r: &Report, out: &mut Vec<Indicator>) {
    use Theme::Trade as T;
    let t = &r.trade;
    out.push(with_series(
        ind(
            "trade_volume",
            T,
            Unit::CreditMinor,
            Some(t.transfers_total.amount_minor),
        ),
        amounts(&t.transfers),
    ));
    let kinds: Vec<Part> = t
        .by_kind
        .iter()
        .map(|(k, v)| Part {
            key: k.code().to_owned(),
            value: i128::from(v.count),
        })
        .collect();
    let mut transfers = with_series(
        ind(
            "trade_transfers",
            T,
            Unit::Count,
            Some(i128::from(t.transfers_total.count)),
        ),
        numbers(&t.transfers),
    );
    transfers.breakdown = kinds;
    out.push(transfers);
    for (id, unit, series) in [
        (
            "invoices_credit_amount",
            Unit::CreditMinor,
            &t.invoices_credit,
        ),
        ("invoices_euro_amount", Unit::EuroMinor, &t.invoices_euro),
        ("settlements_amount", Unit::CreditMinor, &t.settlements),
    ] {
        out.push(with_series(
            ind(id, T, unit, Some(sum_amount(series))),
            amounts(series),
        ));
    }
    for (id, series) in [
        ("invoices_credit_count", &t.invoices_credit),
        ("invoices_euro_count", &t.invoices_euro),
        ("settlements_count", &t.settlements),
    ] {
        out.push(with_series(
            ind(id, T, Unit::Count, Some(sum_count(series))),
            numbers(series),
        ));
    }
    out.push(with_series(
        ind(
            "circulation",
            T,
            Unit::CreditMinor,
            t.circulation_minor.last().copied(),
        ),
        t.circulation_minor.iter().map(|x| Some(*x)).collect(),
    ));
    out.push(ind(
        "velocity",
        T,
        Unit::Milli,
        t.velocity_milli.map(i128::from),
    ));
    out.push(ind(
        "to_other_districts",
        T,
        Unit::CreditMinor,
        Some(t.to_other_districts_minor),
    ));
}

fn local(r: &Report, out: &mut Vec<Indicator>) {
    use Theme::Local as L;
    out.push(ind(
        "local_share",
        L,
        Unit::Ppm,
        r.local_share.ppm().map(i128::from),
    ));
    out.push(with_breakdown(
        ind("lm3", L, Unit::Milli, r.lm3.ratio_milli().map(i128::from)),
        by_sector(
            r,
            r.lm3_by_sector
                .iter()
                .filter_map(|(s, l)| Some((*s, i128::from(l.ratio_milli()?)))),
        ),
    ));
    out.push(ind("lm3_r1", L, Unit::CreditMinor, Some(r.lm3.r1_minor)));
    out.push(ind("lm3_r2", L, Unit::CreditMinor, Some(r.lm3.r2_minor)));
    out.push(ind("lm3_r3", L, Unit::CreditMinor, Some(r.lm3.r3_minor)));
}

fn clearing_food(r: &Report, out: &mut Vec<Indicator>) {
    use Theme::{Clearing as C, Food as F};
    let c = &r.clearing;
    out.push(ind(
        "clearing_rounds",
        C,
        Unit::Count,
        Some(i128::from(c.rounds)),
    ));
    out.push(ind(
        "debt_cleared",
        C,
        Unit::CreditMinor,
        Some(c.debt_cleared_minor),
    ));
    out.push(ind(
        "liquidity_saved",
        C,
        Unit::CreditMinor,
        Some(c.liquidity_saved_minor),
    ));
    let f = &r.food;
    out.push(ind(
        "food_deliveries",
        F,
        Unit::Count,
        Some(i128::from(f.deliveries)),
    ));
    out.push(ind(
        "food_van_distance",
        F,
        Unit::Metres,
        Some(f.local_vehicle_m),
    ));
    out.push(ind("food_local_kg_km", F, Unit::KgKm, Some(f.local_kg_km)));
    out.push(ind(
        "food_baseline_kg_km",
        F,
        Unit::KgKm,
        Some(f.baseline_kg_km),
    ));
    out.push(ind(
        "food_avoided_kg_km",
        F,
        Unit::KgKm,
        Some(f.avoided_kg_km),
    ));
    out.push(ind(
        "food_local_co2e",
        F,
        Unit::GramsCo2e,
        Some(f.local_co2e_g),
    ));
    out.push(ind(
        "food_baseline_co2e",
        F,
        Unit::GramsCo2e,
        Some(f.baseline_co2e_g),
    ));
    out.push(ind(
        "food_avoided_co2e",
        F,
        Unit::GramsCo2e,
        Some(f.avoided_co2e_g),
    ));
}

fn participation(r: &Report, out: &mut Vec<Indicator>) {
    use Theme::Participation as P;
    let p = &r.participation;
    let pooled = p.turnout_by_bucket.iter().fold(
        Default::default(),
        |a: distretto_domain::governance::participation::Turnout, t| a.plus(*t),
    );
    let per_bucket: Vec<Option<i128>> = p
        .turnout_by_bucket
        .iter()
        .map(|t| t.permille().map(|x| i128::from(x) * 1000))
        .collect();
    // A college's turnout describes its electorate: colleges of fewer than five voters are
    // merged.
    let colleges: BTreeMap<String, (u32, i128)> = p
        .turnout
        .iter()
        .map(|((body, college), t)| {
            let key = if college.is_empty() {
                body.clone()
            } else {
                format!("{body} / {college}")
            };
            let ppm = t.permille().map_or(0, |x| i128::from(x) * 1000);
            (key, (u32::try_from(t.electorate).unwrap_or(u32::MAX), ppm))
        })
        .collect();
    out.push(with_breakdown(
        with_series(
            ind(
                "turnout",
                P,
                Unit::Ppm,
                pooled.permille().map(|x| i128::from(x) * 1000),
            ),
            per_bucket,
        ),
        breakdown(&colleges),
    ));
    for (id, series) in [("proposals", &p.proposals), ("comments", &p.comments)] {
        let total = series.iter().map(|x| i128::from(*x)).sum();
        out.push(with_series(
            ind(id, P, Unit::Count, Some(total)),
            counts(series),
        ));
    }
    let minutes: Vec<Option<i128>> = p
        .booked_minutes
        .iter()
        .map(|m| Some(i128::from(*m)))
        .collect();
    let total = p.booked_minutes.iter().map(|m| i128::from(*m)).sum();
    out.push(with_series(
        ind("booked_time", P, Unit::Minutes, Some(total)),
        minutes,
    ));
}

fn shape(r: &Report, out: &mut Vec<Indicator>) {
    use Theme::Shape as S;
    let s = &r.shape;
    out.push(ind(
        "both_ways",
        S,
        Unit::Count,
        Some(i128::from(s.both_ways)),
    ));
    out.push(ind(
        "trading_members",
        S,
        Unit::Count,
        Some(i128::from(s.trading)),
    ));
    out.push(ind(
        "reciprocity",
        S,
        Unit::Ppm,
        s.reciprocity.ppm().map(i128::from),
    ));
    out.push(ind(
        "in_cycles",
        S,
        Unit::Ppm,
        s.in_cycles.ppm().map(i128::from),
    ));
}

/// The sector-to-sector flows safe to publish: sectors of fewer than five member
/// organisations are merged into `None` ("other"), which is left out when it too has fewer.
pub fn sector_flows(r: &Report) -> Vec<(Option<Sector>, Option<Sector>, i128)> {
    let members = sector_members(r);
    let small: Vec<Sector> = members
        .iter()
        .filter(|(_, n)| **n < privacy::MIN_GROUP_MEMBERS)
        .map(|(s, _)| *s)
        .collect();
    let other_members: u32 = small.iter().filter_map(|s| members.get(s)).sum();
    let other_ok = other_members >= privacy::MIN_GROUP_MEMBERS;
    let key = |s: Sector| {
        if members.get(&s).copied().unwrap_or(0) >= privacy::MIN_GROUP_MEMBERS {
            Some(Some(s))
        } else if other_ok {
            Some(None)
        } else {
            None
        }
    };
    let mut merged: BTreeMap<(Option<Sector>, Option<Sector>), i128> = BTreeMap::new();
    for ((a, b), v) in &r.trade.sector_flows {
        if let (Some(a), Some(b)) = (key(*a), key(*b)) {
            *merged.entry((a, b)).or_default() += *v;
        }
    }
    merged.into_iter().map(|((a, b), v)| (a, b, v)).collect()
}
