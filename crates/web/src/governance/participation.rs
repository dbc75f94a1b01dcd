//! Participation statistics (`/governance/participation` and its CSV): turnout per vote, per
//! college, per kind of member and over time, so the district sees whether its democracy
//! holds as it grows. Any signed-in person reads them.
//!
//! Over time and per group, only closed votes count (a vote still open has not finished
//! gathering ballots); the list of votes shows the open ones too, with their turnout so far.
//! A vote belongs to the month (UTC) of its closing time.

use crate::auth::Viewer;
use crate::i18n::Lang;
use crate::ledger::chart::escape;
use crate::ledger::pages::decimal_separator;
use crate::pages::{Chrome, render_status};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use distretto_domain::governance::participation::{
    self as figures, Direction, Month, Period, Quarter, Trend, Turnout, Vote,
};
use distretto_store::governance::participation::{self as store, GroupRow, VoteRow};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

/// The most votes the page and the CSV read (the latest by closing time).
pub const MAX_VOTES: i64 = 1_000;

/// The most months the chart draws (the latest); the table lists them all.
pub const CHART_MONTHS: usize = 36;

pub(crate) fn router() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/governance/participation", get(page))
        .route("/governance/participation.csv", get(csv_file))
}

// ---------- the figures ----------

/// A kind of member, as a group of the figures.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// Individual members.
    Person,
    /// Member organisations, all kinds.
    Organizations,
    /// Member organisations of one kind (its code; empty if unknown).
    Organization(String),
}

/// Everything the page and the CSV show, computed once from three queries.
struct Figures {
    /// Latest closing first.
    votes: Vec<VoteRow>,
    months: Vec<Period<Month>>,
    quarters: Vec<Period<Quarter>>,
    overall: Period<()>,
    trend: Option<Trend>,
    /// (body name, college name, turnout), by body and college name.
    colleges: Vec<(String, String, Turnout)>,
    kinds: BTreeMap<Kind, Turnout>,
}

fn turnout(electorate: i64, cast: i64) -> Turnout {
    Turnout::new(
        u64::try_from(cast).unwrap_or(0),
        u64::try_from(electorate).unwrap_or(0),
    )
}

fn month_of(v: &VoteRow) -> Option<Month> {
    let t = v.closes_at?.to_offset(time::UtcOffset::UTC);
    Month::new(t.year(), u8::from(t.month()))
}

async fn load(state: &AppState) -> Result<Figures, AppError> {
    let votes = store::votes(&state.db, MAX_VOTES).await?;
    let groups = store::groups(&state.db, MAX_VOTES).await?;
    let college_names = store::college_names(&state.db).await?;
    Ok(compute(votes, &groups, &college_names))
}

fn compute(
    votes: Vec<VoteRow>,
    groups: &[GroupRow],
    college_names: &[store::CollegeName],
) -> Figures {
    let closed: Vec<&VoteRow> = votes.iter().filter(|v| v.status == "closed").collect();
    let over_time: Vec<Vote> = closed
        .iter()
        .filter_map(|v| {
            Some(Vote {
                month: month_of(v)?,
                turnout: turnout(v.electorate, v.cast),
            })
        })
        .collect();
    let months = figures::per_month(&over_time);
    let quarters = figures::per_quarter(&over_time);
    let overall = figures::overall(&over_time);
    let trend = figures::trend(&quarters);

    let closed_ids: HashSet<Uuid> = closed.iter().map(|v| v.id).collect();
    let counted: Vec<&GroupRow> = groups
        .iter()
        .filter(|g| closed_ids.contains(&g.proposal_id))
        .collect();
    let bodies: HashMap<Uuid, &str> = votes
        .iter()
        .map(|v| (v.body_id, v.body_name.as_str()))
        .collect();
    let names: HashMap<(Uuid, i32), &str> = college_names
        .iter()
        .map(|c| ((c.body_id, c.college), c.name.as_str()))
        .collect();
    // Only bodies with colleges have named colleges; the others' college 0 is no college.
    let per_college = figures::per_group(counted.iter().filter_map(|g| {
        let college = *names.get(&(g.body_id, g.college))?;
        let body = *bodies.get(&g.body_id)?;
        Some((
            (body.to_owned(), college.to_owned(), g.body_id),
            turnout(g.electorate, g.cast),
        ))
    }));
    let colleges = per_college
        .into_iter()
        .map(|((body, college, _), t)| (body, college, t))
        .collect();
    let kinds = figures::per_group(counted.iter().flat_map(|g| {
        let t = turnout(g.electorate, g.cast);
        if g.voter_kind == "organization" {
            vec![
                (Kind::Organizations, t),
                (Kind::Organization(g.organization_kind.clone()), t),
            ]
        } else {
            vec![(Kind::Person, t)]
        }
    }));
    Figures {
        votes,
        months,
        quarters,
        overall,
        trend,
        colleges,
        kinds,
    }
}

// ---------- formatting ----------

/// Permille as a percentage with one decimal in the reader's writing (`75.0 %`, `75,0 %`),
/// `—` when there is no turnout.
fn percent(lang: Lang, permille: Option<u32>) -> String {
    match permille {
        Some(p) => format!("{}{}{} %", p / 10, decimal_separator(lang), p % 10),
        None => "—".into(),
    }
}

/// Permille as a bare percentage for the CSV (`75.0`), empty when there is none.
fn csv_percent(permille: Option<u32>) -> String {
    permille
        .map(|p| format!("{}.{}", p / 10, p % 10))
        .unwrap_or_default()
}

/// A signed change in percentage points with one decimal (`+32.2`, `-1.0`).
fn points(lang: Lang, change_permille: i64) -> String {
    let sign = if change_permille < 0 { "-" } else { "+" };
    let a = change_permille.unsigned_abs();
    format!("{sign}{}{}{}", a / 10, decimal_separator(lang), a % 10)
}

fn quarter_label(lang: Lang, q: Quarter) -> String {
    lang.t_args(
        "governance_participation_quarter",
        &[
            ("year", q.year.to_string()),
            ("quarter", q.quarter.to_string()),
        ],
    )
}

fn kind_label(c: &Chrome, k: &Kind) -> String {
    match k {
        Kind::Person => c.lang.t("governance_participation_kind_person"),
        Kind::Organizations => c.lang.t("governance_participation_kind_organizations"),
        Kind::Organization(code) if code.is_empty() => {
            c.lang.t("governance_participation_kind_unknown")
        }
        Kind::Organization(code) => c.kind_label(code),
    }
}

fn kind_key(k: &Kind) -> String {
    match k {
        Kind::Person => "person".into(),
        Kind::Organizations => "organization".into(),
        Kind::Organization(code) => format!("organization:{code}"),
    }
}

fn status_id(code: &str) -> &'static str {
    if code == "voting" {
        "governance_status_voting"
    } else {
        "governance_status_closed"
    }
}

// ---------- the chart ----------

const WIDTH: f64 = 400.0;
const HEIGHT: f64 = 180.0;
const PAD_X: f64 = 4.0;
const PAD_TOP: f64 = 26.0;
const PAD_BOTTOM: f64 = 26.0;

/// An accessible inline SVG (`role="img"`, labelled by its `<title>` and `<desc>`) of the
/// average turnout per vote of each month, as bars from 0 to 100 %, with a dashed line at
/// 50 %. `bars` are (bar title, permille), oldest first; `axis` names the first and last
/// periods under the bars. Colours follow the text colour.
fn bars_svg(
    bars: &[(String, Option<u32>)],
    axis: (&str, &str),
    id: &str,
    title: &str,
    desc: &str,
) -> String {
    let plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM;
    let slot = (WIDTH - 2.0 * PAD_X) / bars.len().max(1) as f64;
    let bar_w = (slot * 0.7).max(1.0);
    let y = |permille: u32| PAD_TOP + (1.0 - f64::from(permille.min(1000)) / 1000.0) * plot_h;
    let mut rects = String::new();
    for (i, (label, permille)) in bars.iter().enumerate() {
        let Some(p) = permille else { continue };
        let x = PAD_X + i as f64 * slot + (slot - bar_w) / 2.0;
        let top = y(*p);
        rects.push_str(&format!(
            r#"<rect x="{x:.1}" y="{top:.1}" width="{bar_w:.1}" height="{h:.1}" fill="currentColor" fill-opacity="0.75"><title>{label}</title></rect>"#,
            h = (PAD_TOP + plot_h - top).max(0.0),
            label = escape(label),
        ));
    }
    let (first, last) = axis;
    let id = escape(id);
    format!(
        concat!(
            r#"<svg class="participation-chart" xmlns="http://www.w3.org/2000/svg" width="400" height="180" viewBox="0 0 400 180" role="img" aria-labelledby="{id}-title {id}-desc">"#,
            r#"<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#,
            r#"<line x1="{l:.1}" x2="{r:.1}" y1="{base:.1}" y2="{base:.1}" stroke="currentColor" stroke-width="1"/>"#,
            r#"<line x1="{l:.1}" x2="{r:.1}" y1="{half:.1}" y2="{half:.1}" stroke="currentColor" stroke-opacity="0.6" stroke-width="1" stroke-dasharray="4 4"/>"#,
            "{rects}",
            r#"<text x="{l:.1}" y="18" font-size="16" fill="currentColor">100 %</text>"#,
            r#"<text x="{l:.1}" y="174" font-size="16" fill="currentColor">{first}</text>"#,
            r#"<text x="{r:.1}" y="174" font-size="16" fill="currentColor" text-anchor="end">{last}</text>"#,
            "</svg>"
        ),
        id = id,
        title = escape(title),
        desc = escape(desc),
        l = PAD_X,
        r = WIDTH - PAD_X,
        base = PAD_TOP + plot_h,
        half = y(500),
        rects = rects,
        first = escape(first),
        last = escape(last),
    )
}

// ---------- the page ----------

struct VoteLine {
    id: Uuid,
    number: i64,
    title: String,
    body: String,
    status: &'static str,
    closes: String,
    electorate: i64,
    cast: i64,
    turnout: String,
    comments: i64,
}

struct PeriodLine {
    label: String,
    votes: u64,
    electorate: u64,
    cast: u64,
    pooled: String,
    average: String,
}

struct GroupLine {
    label: String,
    /// A kind of organisation, shown under "Member organisations".
    nested: bool,
    electorate: u64,
    cast: u64,
    turnout: String,
}

struct CollegeLine {
    body: String,
    college: String,
    electorate: u64,
    cast: u64,
    turnout: String,
}

#[derive(Template)]
#[template(path = "governance_participation.html")]
struct ParticipationPage {
    c: Chrome,
    overall: PeriodLine,
    trend: Option<String>,
    chart: Option<String>,
    votes: Vec<VoteLine>,
    months: Vec<PeriodLine>,
    quarters: Vec<PeriodLine>,
    colleges: Vec<CollegeLine>,
    kinds: Vec<GroupLine>,
}

fn period_line<P>(lang: Lang, label: String, p: &Period<P>) -> PeriodLine {
    PeriodLine {
        label,
        votes: p.votes,
        electorate: p.pooled.electorate,
        cast: p.pooled.cast,
        pooled: percent(lang, p.pooled.permille()),
        average: percent(lang, p.average_permille),
    }
}

fn trend_text(lang: Lang, t: &Trend) -> String {
    let id = match t.direction {
        Direction::Rising => "governance_participation_trend_rising",
        Direction::Steady => "governance_participation_trend_steady",
        Direction::Falling => "governance_participation_trend_falling",
    };
    lang.t_args(
        id,
        &[
            ("first", quarter_label(lang, t.first)),
            ("first_turnout", percent(lang, Some(t.first_permille))),
            ("last", quarter_label(lang, t.last)),
            ("last_turnout", percent(lang, Some(t.last_permille))),
            ("change", points(lang, t.change_permille)),
        ],
    )
}

/// A month as a count of months since year 0, so ranges of months are ranges of integers.
fn month_index(m: Month) -> i64 {
    i64::from(m.year) * 12 + i64::from(m.month) - 1
}

fn month_at(index: i64) -> Option<Month> {
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    Month::new(year, u8::try_from(index.rem_euclid(12) + 1).ok()?)
}

/// The chart of the last [`CHART_MONTHS`] months up to the latest with a vote, one slot per
/// calendar month (a month without a closed vote is an empty slot, so time runs evenly).
fn chart_of(lang: Lang, months: &[Period<Month>]) -> Option<String> {
    let by_month: HashMap<Month, Option<u32>> = months
        .iter()
        .map(|m| (m.period, m.average_permille))
        .collect();
    let end = month_index(months.last()?.period);
    let start = month_index(months.first()?.period).max(end - (CHART_MONTHS as i64 - 1));
    let shown: Vec<(Month, Option<u32>)> = (start..=end)
        .filter_map(month_at)
        .map(|m| (m, by_month.get(&m).copied().flatten()))
        .collect();
    let measured: Vec<(Month, u32)> = shown
        .iter()
        .filter_map(|(m, p)| p.map(|p| (*m, p)))
        .collect();
    let (first, last) = (measured.first()?, measured.last()?);
    let lowest = measured.iter().min_by_key(|m| m.1)?;
    let highest = measured.iter().max_by_key(|m| m.1)?;
    let desc = lang.t_args(
        "governance_participation_chart_desc",
        &[
            ("first", first.0.to_string()),
            ("first_turnout", percent(lang, Some(first.1))),
            ("last", last.0.to_string()),
            ("last_turnout", percent(lang, Some(last.1))),
            ("lowest", lowest.0.to_string()),
            ("lowest_turnout", percent(lang, Some(lowest.1))),
            ("highest", highest.0.to_string()),
            ("highest_turnout", percent(lang, Some(highest.1))),
        ],
    );
    let bars: Vec<(String, Option<u32>)> = shown
        .iter()
        .map(|(m, p)| (format!("{m}: {}", percent(lang, *p)), *p))
        .collect();
    let axis = (shown.first()?.0.to_string(), shown.last()?.0.to_string());
    Some(bars_svg(
        &bars,
        (&axis.0, &axis.1),
        "participation-chart",
        &lang.t("governance_participation_chart_title"),
        &desc,
    ))
}

async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    viewer.actor()?;
    let f = load(&state).await?;
    let c = Chrome::new(&state, &viewer, "/governance/participation");
    let lang = c.lang;
    let page = ParticipationPage {
        overall: period_line(lang, String::new(), &f.overall),
        trend: f.trend.as_ref().map(|t| trend_text(lang, t)),
        chart: chart_of(lang, &f.months),
        votes: f
            .votes
            .iter()
            .map(|v| VoteLine {
                id: v.id,
                number: v.number,
                title: v.title.clone(),
                body: v.body_name.clone(),
                status: status_id(&v.status),
                closes: v.closes_at.map(|t| c.date(&t)).unwrap_or_default(),
                electorate: v.electorate,
                cast: v.cast,
                turnout: percent(lang, turnout(v.electorate, v.cast).permille()),
                comments: v.comments,
            })
            .collect(),
        months: f
            .months
            .iter()
            .rev()
            .map(|m| period_line(lang, m.period.to_string(), m))
            .collect(),
        quarters: f
            .quarters
            .iter()
            .rev()
            .map(|q| period_line(lang, quarter_label(lang, q.period), q))
            .collect(),
        colleges: f
            .colleges
            .iter()
            .map(|(body, college, t)| CollegeLine {
                body: body.clone(),
                college: college.clone(),
                electorate: t.electorate,
                cast: t.cast,
                turnout: percent(lang, t.permille()),
            })
            .collect(),
        kinds: f
            .kinds
            .iter()
            .map(|(k, t)| GroupLine {
                label: kind_label(&c, k),
                nested: matches!(k, Kind::Organization(_)),
                electorate: t.electorate,
                cast: t.cast,
                turnout: percent(lang, t.permille()),
            })
            .collect(),
        c,
    };
    Ok(render_status(StatusCode::OK, &page))
}

// ---------- the CSV ----------

/// The CSV's columns. `scope` is `all`, `vote`, `month`, `quarter`, `college` or `kind`;
/// percentages have one decimal and a dot; `average_percent` is the mean of the votes'
/// turnouts (periods only).
pub const CSV_HEADER: [&str; 10] = [
    "scope",
    "key",
    "label",
    "status",
    "votes",
    "electorate",
    "cast",
    "turnout_percent",
    "average_percent",
    "comments",
];

/// Keeps a spreadsheet from reading a text cell as a formula.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn csv_bytes(c: &Chrome, f: &Figures) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    w.write_record(period_row("all", String::new(), &f.overall))?;
    for v in &f.votes {
        let t = turnout(v.electorate, v.cast);
        w.write_record([
            "vote".into(),
            v.number.to_string(),
            cell(&v.title),
            v.status.clone(),
            "1".into(),
            v.electorate.to_string(),
            v.cast.to_string(),
            csv_percent(t.permille()),
            String::new(),
            v.comments.to_string(),
        ])?;
    }
    for m in &f.months {
        w.write_record(period_row("month", m.period.to_string(), m))?;
    }
    for q in &f.quarters {
        w.write_record(period_row("quarter", q.period.to_string(), q))?;
    }
    for (body, college, t) in &f.colleges {
        w.write_record(group_row("college", cell(body), cell(college), t))?;
    }
    for (k, t) in &f.kinds {
        w.write_record(group_row("kind", kind_key(k), kind_label(c, k), t))?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

fn period_row<P>(scope: &str, key: String, p: &Period<P>) -> [String; 10] {
    [
        scope.into(),
        key,
        String::new(),
        String::new(),
        p.votes.to_string(),
        p.pooled.electorate.to_string(),
        p.pooled.cast.to_string(),
        csv_percent(p.pooled.permille()),
        csv_percent(p.average_permille),
        String::new(),
    ]
}

fn group_row(scope: &str, key: String, label: String, t: &Turnout) -> [String; 10] {
    [
        scope.into(),
        key,
        label,
        String::new(),
        String::new(),
        t.electorate.to_string(),
        t.cast.to_string(),
        csv_percent(t.permille()),
        String::new(),
        String::new(),
    ]
}

/// `GET /governance/participation.csv`: the page's figures, one row per vote, month, quarter,
/// college and kind of member, after a first row for every closed vote together.
async fn csv_file(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    viewer.actor()?;
    let f = load(&state).await?;
    let c = Chrome::new(&state, &viewer, "/governance/participation.csv");
    let body = csv_bytes(&c, &f).map_err(|e| {
        tracing::error!(error = %e, "participation csv");
        AppError::internal()
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"participation.csv\"",
            ),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(year: i32, month: u8, average_permille: Option<u32>) -> Period<Month> {
        Period {
            period: Month::new(year, month).unwrap(),
            votes: 1,
            measured: u64::from(average_permille.is_some()),
            pooled: Turnout::default(),
            average_permille,
        }
    }

    #[test]
    fn percentages_in_each_writing() {
        assert_eq!(percent(Lang::En, Some(750)), "75.0 %");
        assert_eq!(percent(Lang::Fr, Some(667)), "66,7 %");
        assert_eq!(percent(Lang::It, Some(1000)), "100,0 %");
        assert_eq!(percent(Lang::En, None), "—");
        assert_eq!(csv_percent(Some(5)), "0.5");
        assert_eq!(csv_percent(None), "");
        assert_eq!(points(Lang::En, 500), "+50.0");
        assert_eq!(points(Lang::Fr, -9), "-0,9");
        assert_eq!(points(Lang::En, 0), "+0.0");
    }

    #[test]
    fn months_count_across_years() {
        let dec = Month::new(2025, 12).unwrap();
        assert_eq!(month_at(month_index(dec) + 1), Month::new(2026, 1));
        assert_eq!(month_at(month_index(dec) - 11), Month::new(2025, 1));
    }

    /// Three months with votes over eleven: eleven slots, the empty ones without a bar; the
    /// bars' heights follow the turnout (plot 128 units high from y = 26).
    #[test]
    fn chart_has_a_slot_per_month_and_a_text_alternative() {
        let svg = chart_of(
            Lang::En,
            &[
                month(2025, 1, Some(500)),
                month(2025, 2, Some(250)),
                month(2025, 11, Some(875)),
            ],
        )
        .unwrap();
        assert_eq!(svg.matches("<rect ").count(), 3);
        assert!(svg.contains("<title>2025-02: 25.0 %</title>"), "{svg}");
        // 87.5 %: top at 26 + 0.125 · 128 = 42, height 112.
        assert!(
            svg.contains(r#"y="42.0" width="#) && svg.contains(r#"height="112.0""#),
            "{svg}"
        );
        assert!(svg.contains(
            "<desc id=\"participation-chart-desc\">Average turnout per vote in 2025-01: 50.0 %; in 2025-11: 87.5 %. Lowest in 2025-02 (25.0 %), highest in 2025-11 (87.5 %).</desc>"
        ), "{svg}");
        assert!(svg.contains(">2025-01</text>") && svg.contains(">2025-11</text>"));
        // Eleven slots of (400 - 8) / 11 units: the November bar starts in the last one.
        let slot = 392.0 / 11.0;
        let x = 4.0 + 10.0 * slot + (slot - slot * 0.7) / 2.0;
        assert!(svg.contains(&format!(r#"<rect x="{x:.1}""#)), "{svg}");
    }

    #[test]
    fn chart_keeps_the_last_months_and_needs_a_turnout() {
        let many: Vec<_> = (0..48)
            .map(|i| month(2020 + i / 12, u8::try_from(i % 12 + 1).unwrap(), Some(400)))
            .collect();
        let svg = chart_of(Lang::En, &many).unwrap();
        assert_eq!(svg.matches("<rect ").count(), CHART_MONTHS);
        assert!(svg.contains(">2021-01</text>") && svg.contains(">2023-12</text>"));
        assert_eq!(chart_of(Lang::En, &[]), None);
        assert_eq!(chart_of(Lang::En, &[month(2025, 1, None)]), None);
    }
}
