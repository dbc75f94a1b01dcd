//! The impact pages: the public dashboard (`/impact`), its CSV, the print-ready annual report
//! (`/impact/report`) and a member organisation's own figures (`/impact/organizations/{id}`).
//!
//! Every page reads the one indicator catalogue ([`super::indicators`]), so the page, the
//! CSV and the open-data JSON agree to the unit.

use super::charts::{self, Bar, ChartText, SectorFlow, Series};
use super::indicators::{self, Indicator, Theme, Unit};
use super::service::{self, Computed, QueryParams, Source};
use crate::auth::Viewer;
use crate::i18n::Lang;
use crate::ledger::pages::money;
use crate::pages::{Chrome, render_status};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use distretto_domain::directory::{OrganizationKind, Sector};
use distretto_domain::ledger::Currency;
use uuid::Uuid;

pub(crate) fn router() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/impact", get(dashboard))
        .route("/impact.csv", get(csv_file))
        .route("/impact/report", get(annual_report))
        .route("/impact/organizations/{id}", get(member_page))
}

// ---------- values as a reader reads them ----------

fn scaled(lang: Lang, value: i128, scale: u8, symbol: &str) -> String {
    let unit = Currency {
        code: String::new(),
        name: String::new(),
        symbol: symbol.to_owned(),
        scale,
    };
    money(lang, &unit, i64::try_from(value).unwrap_or(i64::MAX))
}

/// A value in its unit, as the viewer's language writes it.
pub(crate) fn show(state: &AppState, lang: Lang, unit: Unit, value: Option<i128>) -> String {
    let Some(v) = value else {
        return "—".into();
    };
    match unit {
        Unit::Count => scaled(lang, v, 0, "").trim_end_matches('\u{a0}').to_owned(),
        Unit::CreditMinor => money(
            lang,
            &state.config.currency,
            i64::try_from(v).unwrap_or(i64::MAX),
        ),
        Unit::EuroMinor => money(
            lang,
            &Currency::euro(),
            i64::try_from(v).unwrap_or(i64::MAX),
        ),
        // Parts per million to a percentage with one decimal.
        Unit::Ppm => scaled(lang, v / 1_000, 1, "%"),
        Unit::Milli => scaled(lang, v / 10, 2, "×"),
        Unit::FteHundredths => scaled(lang, v, 2, &lang.t("impact_unit_fte")),
        Unit::Metres => scaled(lang, v / 100, 1, "km"),
        Unit::KgKm => scaled(lang, v / 100, 1, "t·km"),
        Unit::GramsCo2e => scaled(lang, v / 100, 1, &lang.t("impact_unit_kg_co2e")),
        Unit::Minutes => scaled(lang, v * 10 / 60, 1, "h"),
    }
}

/// A value for the CSV: the plain integer in the unit's base (`1760` thousandths is 1.760);
/// empty when the indicator is not defined.
pub(crate) fn plain(value: Option<i128>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn kind_label(lang: Lang, code: &str) -> String {
    if OrganizationKind::parse(code).is_some() {
        lang.t(&format!("kind_{code}"))
    } else {
        breakdown_label(lang, code)
    }
}

fn sector_label(lang: Lang, s: Option<Sector>) -> String {
    match s {
        Some(s) => lang.t(&format!("sector_{}", s.code())),
        None => lang.t("impact_other"),
    }
}

/// A breakdown key as the reader reads it: a sector, a kind of organisation, a kind of
/// transfer, "other", or a body and college name as they are.
fn breakdown_label(lang: Lang, key: &str) -> String {
    if key == "other" {
        return lang.t("impact_other");
    }
    if Sector::parse(key).is_some() {
        return lang.t(&format!("sector_{key}"));
    }
    if OrganizationKind::parse(key).is_some() {
        return lang.t(&format!("kind_{key}"));
    }
    if distretto_domain::ledger::TransferKind::parse(key).is_some() {
        return lang.t(&format!("impact_transfer_kind_{key}"));
    }
    key.to_owned()
}

// ---------- the view of a report ----------

/// One indicator as a page shows it.
pub(crate) struct Line {
    pub id: &'static str,
    pub name: String,
    pub value: String,
    pub definition: String,
    pub breakdown: Vec<(String, String)>,
    pub withheld: Option<String>,
}

/// One theme of indicators.
pub(crate) struct ThemeView {
    pub id: &'static str,
    pub title: String,
    pub lines: Vec<Line>,
    pub charts: Vec<ChartView>,
}

/// A chart and its table alternative.
pub(crate) struct ChartView {
    pub svg: String,
    pub caption: String,
    pub headers: Vec<String>,
    pub rows: Vec<(String, Vec<String>)>,
}

fn theme_id(t: Theme) -> &'static str {
    match t {
        Theme::Members => "members",
        Theme::Trade => "trade",
        Theme::Local => "local",
        Theme::Clearing => "clearing",
        Theme::Food => "food",
        Theme::Participation => "participation",
        Theme::Shape => "shape",
    }
}

fn line(state: &AppState, lang: Lang, i: &Indicator) -> Line {
    Line {
        id: i.id,
        name: lang.t(&format!("impact_name_{}", i.id)),
        value: show(state, lang, i.unit, i.value),
        definition: lang.t(&format!("impact_def_{}", i.id)),
        breakdown: i
            .breakdown
            .iter()
            .map(|p| {
                (
                    breakdown_label(lang, &p.key),
                    show(state, lang, i.unit, Some(p.value)),
                )
            })
            .collect(),
        withheld: (i.withheld > 0)
            .then(|| lang.t_args("impact_withheld", &[("groups", i.withheld.to_string())])),
    }
}

fn find<'a>(list: &'a [Indicator], id: &str) -> Option<&'a Indicator> {
    list.iter().find(|i| i.id == id)
}

fn series_values(i: &Indicator) -> Vec<i64> {
    i.series
        .iter()
        .map(|v| v.map_or(0, |v| i64::try_from(v).unwrap_or(i64::MAX)))
        .collect()
}

/// A time series chart of some indicators (same unit) with its table.
fn time_chart(
    state: &AppState,
    lang: Lang,
    c: &Computed,
    list: &[Indicator],
    ids: &[&str],
    chart_id: &str,
) -> Option<ChartView> {
    let shown: Vec<&Indicator> = ids.iter().filter_map(|id| find(list, id)).collect();
    let first = shown.first()?;
    let series: Vec<Series> = shown
        .iter()
        .map(|i| Series {
            name: lang.t(&format!("impact_name_{}", i.id)),
            values: series_values(i),
        })
        .collect();
    let (lo, hi) = charts::value_range(&series).unwrap_or((0, 0));
    let title = lang.t(&format!("impact_chart_{chart_id}"));
    let labels = &c.report.buckets;
    let summary = series
        .first()
        .and_then(|s| charts::series_summary(&s.values))
        .map(|s| {
            lang.t_args(
                "impact_chart_summary",
                &[
                    (
                        "first",
                        show(state, lang, first.unit, Some(i128::from(s.first))),
                    ),
                    (
                        "last",
                        show(state, lang, first.unit, Some(i128::from(s.last))),
                    ),
                    (
                        "min",
                        show(state, lang, first.unit, Some(i128::from(s.min))),
                    ),
                    (
                        "max",
                        show(state, lang, first.unit, Some(i128::from(s.max))),
                    ),
                ],
            )
        })
        .unwrap_or_default();
    let text = ChartText {
        id: format!("chart-{chart_id}"),
        title: title.clone(),
        description: summary,
        min_label: show(state, lang, first.unit, Some(i128::from(lo))),
        max_label: show(state, lang, first.unit, Some(i128::from(hi))),
        ..ChartText::default()
    };
    let rows = labels
        .iter()
        .enumerate()
        .map(|(b, label)| {
            let cells = shown
                .iter()
                .map(|i| show(state, lang, i.unit, i.series.get(b).copied().flatten()))
                .collect();
            (label.clone(), cells)
        })
        .collect();
    Some(ChartView {
        svg: charts::time_series(&series, labels, &text),
        caption: title,
        headers: std::iter::once(lang.t("impact_period"))
            .chain(series.iter().map(|s| s.name.clone()))
            .collect(),
        rows,
    })
}

/// A bar chart of an indicator's breakdown with its table.
fn bar_chart(state: &AppState, lang: Lang, list: &[Indicator], id: &str) -> Option<ChartView> {
    let i = find(list, id)?;
    if i.breakdown.is_empty() {
        return None;
    }
    let bars: Vec<Bar> = i
        .breakdown
        .iter()
        .map(|p| Bar {
            label: breakdown_label(lang, &p.key),
            value: i64::try_from(p.value).unwrap_or(i64::MAX),
            value_label: show(state, lang, i.unit, Some(p.value)),
        })
        .collect();
    let title = lang.t(&format!("impact_chart_{id}"));
    let text = ChartText {
        id: format!("chart-{id}"),
        title: title.clone(),
        description: lang.t_args("impact_bars_summary", &[("count", bars.len().to_string())]),
        ..ChartText::default()
    };
    Some(ChartView {
        svg: charts::bars(&bars, &text),
        caption: title,
        headers: vec![lang.t("impact_group"), lang.t(&format!("impact_name_{id}"))],
        rows: bars
            .iter()
            .map(|b| (b.label.clone(), vec![b.value_label.clone()]))
            .collect(),
    })
}

/// The sector-to-sector flow diagram with its table.
fn flow_chart(state: &AppState, lang: Lang, c: &Computed) -> Option<ChartView> {
    let flows = indicators::sector_flows(&c.report);
    if flows.is_empty() {
        return None;
    }
    let mut sectors: Vec<Option<Sector>> = Vec::new();
    for (a, b, _) in &flows {
        for s in [a, b] {
            if !sectors.contains(s) {
                sectors.push(*s);
            }
        }
    }
    let names: Vec<String> = sectors.iter().map(|s| sector_label(lang, *s)).collect();
    let at = |s: &Option<Sector>| sectors.iter().position(|x| x == s).unwrap_or(0);
    let drawn: Vec<SectorFlow> = flows
        .iter()
        .map(|(a, b, v)| SectorFlow {
            from: at(a),
            to: at(b),
            amount_minor: i64::try_from(*v).unwrap_or(i64::MAX),
            label: format!(
                "{} → {}: {}",
                names[at(a)],
                names[at(b)],
                show(state, lang, Unit::CreditMinor, Some(*v))
            ),
        })
        .collect();
    let title = lang.t("impact_chart_sector_flows");
    let hidden = charts::flows_not_drawn(&names, &drawn);
    let text = ChartText {
        id: "chart-sector-flows".into(),
        title: title.clone(),
        description: lang.t_args(
            "impact_flows_summary",
            &[
                ("count", drawn.len().to_string()),
                ("hidden", hidden.to_string()),
            ],
        ),
        from_heading: lang.t("impact_flows_from"),
        to_heading: lang.t("impact_flows_to"),
        ..ChartText::default()
    };
    let mut rows: Vec<(String, Vec<String>, i128)> = flows
        .iter()
        .map(|(a, b, v)| {
            (
                names[at(a)].clone(),
                vec![
                    names[at(b)].clone(),
                    show(state, lang, Unit::CreditMinor, Some(*v)),
                ],
                *v,
            )
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.2));
    Some(ChartView {
        svg: charts::flow_diagram(&names, &drawn, &text),
        caption: title,
        headers: vec![
            lang.t("impact_flows_from"),
            lang.t("impact_flows_to"),
            lang.t("impact_amount"),
        ],
        rows: rows.into_iter().map(|(a, cells, _)| (a, cells)).collect(),
    })
}

/// Every theme with its lines and charts.
pub(crate) fn themes(state: &AppState, lang: Lang, c: &Computed) -> Vec<ThemeView> {
    let list = indicators::catalogue(&c.report);
    let order = [
        Theme::Members,
        Theme::Trade,
        Theme::Local,
        Theme::Clearing,
        Theme::Food,
        Theme::Participation,
        Theme::Shape,
    ];
    order
        .iter()
        .map(|t| {
            let id = theme_id(*t);
            let charts: Vec<ChartView> = match t {
                Theme::Members => bar_chart(state, lang, &list, "members_organizations")
                    .into_iter()
                    .collect(),
                Theme::Trade => [
                    time_chart(
                        state,
                        lang,
                        c,
                        &list,
                        &["trade_volume", "circulation"],
                        "trade",
                    ),
                    flow_chart(state, lang, c),
                ]
                .into_iter()
                .flatten()
                .collect(),
                Theme::Local => bar_chart(state, lang, &list, "lm3").into_iter().collect(),
                Theme::Participation => time_chart(state, lang, c, &list, &["turnout"], "turnout")
                    .into_iter()
                    .collect(),
                _ => Vec::new(),
            };
            ThemeView {
                id,
                title: lang.t(&format!("impact_theme_{id}")),
                lines: list
                    .iter()
                    .filter(|i| i.theme == *t)
                    .map(|i| line(state, lang, i))
                    .collect(),
                charts,
            }
        })
        .collect()
}

/// The choices of the filter form.
pub(crate) struct Filter {
    pub period: String,
    pub kind: String,
    pub sector: String,
    pub kinds: Vec<(String, String)>,
    pub sectors: Vec<(String, String)>,
    /// The query string of this filter (for the CSV, JSON and report links).
    pub query: String,
}

fn filter(lang: Lang, params: &QueryParams, period: &str) -> Filter {
    let kind = params.kind.clone().unwrap_or_default();
    let sector = params.sector.clone().unwrap_or_default();
    let mut pairs = vec![("period", period.to_owned())];
    if !kind.is_empty() {
        pairs.push(("kind", kind.clone()));
    }
    if !sector.is_empty() {
        pairs.push(("sector", sector.clone()));
    }
    Filter {
        period: period.to_owned(),
        kinds: OrganizationKind::ALL
            .iter()
            .map(|k| (k.code().to_owned(), kind_label(lang, k.code())))
            .collect(),
        sectors: Sector::ALL
            .iter()
            .map(|s| (s.code().to_owned(), sector_label(lang, Some(*s))))
            .collect(),
        kind,
        sector,
        query: serde_urlencoded::to_string(&pairs).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "impact.html")]
struct DashboardPage {
    c: Chrome,
    filter: Filter,
    themes: Vec<ThemeView>,
    error: Option<String>,
    /// The viewer's organisations (id, name), for links to their own figures.
    own: Vec<(Uuid, String)>,
    /// Definitions behind a "How it is measured" toggle (the report prints them open).
    open_definitions: bool,
}

async fn own_organizations(
    state: &AppState,
    viewer: &Viewer,
) -> Result<Vec<(Uuid, String)>, AppError> {
    let Some(a) = &viewer.actor else {
        return Ok(Vec::new());
    };
    Ok(
        distretto_store::membership::organizations_of(&state.db, a.id)
            .await?
            .into_iter()
            .filter(|o| o.status == "active")
            .map(|o| (o.organization_id, o.name))
            .collect(),
    )
}

async fn dashboard(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<QueryParams>,
) -> Result<Response, AppError> {
    let c = Chrome::new(&state, &viewer, "/impact");
    let lang = c.lang;
    let own = own_organizations(&state, &viewer).await?;
    let query = match params.parse() {
        Ok(q) => q,
        Err(e) => {
            let shown = params.period.clone().unwrap_or_default();
            let page = DashboardPage {
                filter: filter(lang, &params, &shown),
                themes: Vec::new(),
                error: Some(lang.t(e.code)),
                own,
                open_definitions: false,
                c,
            };
            return Ok(render_status(StatusCode::BAD_REQUEST, &page));
        }
    };
    let computed = service::compute(&state, &query, Source::Maintained).await?;
    let page = DashboardPage {
        filter: filter(lang, &params, &query.period.to_string()),
        themes: themes(&state, lang, &computed),
        error: None,
        own,
        open_definitions: false,
        c,
    };
    Ok(render_status(StatusCode::OK, &page))
}

/// The CSV of every indicator: one row per indicator and bucket (and one for the whole
/// period), plus one per breakdown part.
pub(crate) fn csv_of(c: &Computed) -> String {
    let list = indicators::catalogue(&c.report);
    let period = c.report.period.to_string();
    let mut out = String::from("indicator,unit,period,group,value\n");
    for i in &list {
        let unit = serde_json::to_value(i.unit)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        out.push_str(&format!("{},{unit},{period},,{}\n", i.id, plain(i.value)));
        for (label, v) in c.report.buckets.iter().zip(&i.series) {
            out.push_str(&format!("{},{unit},{label},,{}\n", i.id, plain(*v)));
        }
        for p in &i.breakdown {
            out.push_str(&format!(
                "{},{unit},{period},{},{}\n",
                i.id,
                csv_field(&p.key),
                p.value
            ));
        }
    }
    out
}

/// A CSV field, quoted when it holds a comma, quote or line break; a leading `=`, `+`, `-` or
/// `@` is prefixed with `'` so a spreadsheet never runs it as a formula.
pub(crate) fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

async fn csv_file(
    State(state): State<AppState>,
    Query(params): Query<QueryParams>,
) -> Result<Response, AppError> {
    let query = params.parse()?;
    let computed = service::compute(&state, &query, Source::Maintained).await?;
    let name = format!("impact-{}.csv", query.period).replace("..", "_");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        csv_of(&computed),
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "impact_report.html")]
struct ReportPage {
    c: Chrome,
    filter: Filter,
    themes: Vec<ThemeView>,
    generated: String,
    open_definitions: bool,
}

async fn annual_report(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(mut params): Query<QueryParams>,
) -> Result<Response, AppError> {
    if params.period.as_deref().is_none_or(str::is_empty) {
        // The annual report defaults to the last whole calendar year.
        let year = time::OffsetDateTime::now_utc().year() - 1;
        params.period = Some(year.to_string());
    }
    let query = params.parse()?;
    let c = Chrome::new(&state, &viewer, "/impact/report");
    let lang = c.lang;
    let computed = service::compute(&state, &query, Source::Maintained).await?;
    let page = ReportPage {
        filter: filter(lang, &params, &query.period.to_string()),
        themes: themes(&state, lang, &computed),
        open_definitions: true,
        generated: lang.t_args(
            "impact_report_generated",
            &[("date", c.date(&time::OffsetDateTime::now_utc()))],
        ),
        c,
    };
    Ok(render_status(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "impact_member.html")]
struct MemberPage {
    c: Chrome,
    name: String,
    id: Uuid,
    filter: Filter,
    lines: Vec<Line>,
    may_answer: bool,
    intro: String,
}

/// The figures of one member's own page (its trade, local share, LM3, suppliers and customers).
const MEMBER_INDICATORS: [&str; 10] = [
    "trade_volume",
    "trade_transfers",
    "invoices_credit_amount",
    "invoices_euro_amount",
    "local_share",
    "lm3",
    "lm3_r1",
    "lm3_r2",
    "lm3_r3",
    "both_ways",
];

async fn member_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    Query(params): Query<QueryParams>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    if !service::may_read_member(&state, actor, id).await? {
        return Err(AppError::forbidden());
    }
    let query = params.parse()?;
    let computed = service::compute_for(&state, query.period, id).await?;
    let c = Chrome::new(&state, &viewer, &format!("/impact/organizations/{id}"));
    let lang = c.lang;
    let name = computed
        .loaded
        .organizations
        .iter()
        .find(|o| o.id == id)
        .map(|o| o.name.clone())
        .unwrap_or_default();
    let list = indicators::catalogue(&computed.report);
    let lines = MEMBER_INDICATORS
        .iter()
        .filter_map(|m| find(&list, m))
        .map(|i| {
            let mut l = line(&state, lang, i);
            l.breakdown.clear();
            l.withheld = None;
            l
        })
        .collect();
    let page = MemberPage {
        intro: lang.t_args(
            "impact_member_intro",
            &[("period", query.period.to_string())],
        ),
        may_answer: service::may_answer_survey(&state, actor, id).await?,
        filter: filter(lang, &QueryParams::default(), &query.period.to_string()),
        lines,
        name,
        id,
        c,
    };
    Ok(render_status(StatusCode::OK, &page))
}
