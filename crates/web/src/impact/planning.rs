//! Planning: the survey of spending outside the ledger (`/impact/survey`), gap analysis and
//! relocalisation scenarios (`/impact/planning`, coordinators), and the services behind their
//! API.

use super::service::{self, Query as ReportQuery, Source};
use crate::auth::Viewer;
use crate::auth::viewer::Actor;
use crate::pages::{Chrome, PageForm, render_status};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use distretto_domain::directory::Sector;
use distretto_domain::impact::io::{self, Scenario};
use distretto_domain::impact::period::Period;
use distretto_domain::impact::planning::{self as plan, Gap, Opportunity};
use distretto_domain::impact::report::Selection;
use distretto_store::impact::saved::{self, ScenarioRow, SurveyRow};
use std::collections::BTreeMap;
use uuid::Uuid;

pub(crate) fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/impact/survey", get(survey_page).post(survey_submit))
        .route("/impact/planning", get(planning_page).post(scenario_submit))
        .route("/impact/planning/scenarios.csv", get(scenarios_csv))
        .route(
            "/impact/planning/scenarios/{id}/delete",
            post(delete_submit),
        )
}

// ---------- surveys ----------

/// The survey as the API shows it.
pub(crate) fn survey_body(row: &SurveyRow) -> super::api::SurveyBody {
    super::api::SurveyBody {
        outside_total_minor: row.outside_total_minor,
        outside_local_minor: row.outside_local_minor,
        by_sector: row
            .by_sector()
            .into_iter()
            .map(|(s, v)| (s.code().to_owned(), v))
            .collect(),
    }
}

fn check_year(year: i32) -> Result<(), AppError> {
    let now = time::OffsetDateTime::now_utc().year();
    if (2000..=now + 1).contains(&year) {
        Ok(())
    } else {
        Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "impact_survey_year_invalid",
        ))
    }
}

/// Records an organisation's survey for a year: its admins or a coordinator.
pub(crate) async fn save_survey(
    state: &AppState,
    actor: &Actor,
    organization: Uuid,
    year: i32,
    body: &super::api::SurveyBody,
) -> Result<SurveyRow, AppError> {
    distretto_store::directory::get(&state.db, organization)
        .await
        .map_err(|_| AppError::not_found())?;
    if !service::may_answer_survey(state, actor, organization).await? {
        return Err(AppError::forbidden());
    }
    check_year(year)?;
    let invalid = |code| AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code);
    if body.outside_total_minor < 0 || body.outside_local_minor < 0 {
        return Err(invalid("impact_survey_amount_invalid"));
    }
    if body.outside_local_minor > body.outside_total_minor {
        return Err(invalid("impact_survey_local_exceeds_total"));
    }
    let mut by_sector = Vec::with_capacity(body.by_sector.len());
    for (code, amount) in &body.by_sector {
        let sector = Sector::parse(code).ok_or(invalid("impact_sector_unknown"))?;
        if *amount < 0 {
            return Err(invalid("impact_survey_amount_invalid"));
        }
        if *amount > 0 {
            by_sector.push((sector, *amount));
        }
    }
    let row = SurveyRow {
        organization_id: organization,
        year,
        outside_total_minor: body.outside_total_minor,
        outside_local_minor: body.outside_local_minor,
        by_sector: SurveyRow::encode_by_sector(&by_sector),
        answered_by: actor.id,
        answered_at: time::OffsetDateTime::now_utc(),
    };
    saved::save_survey(&state.db, &row).await?;
    Ok(row)
}

#[derive(Debug, Default, serde::Deserialize)]
struct SurveyQuery {
    organization: Option<Uuid>,
    year: Option<i32>,
    saved: Option<String>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
struct SurveyForm {
    #[serde(default)]
    organization: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    outside_total: String,
    #[serde(default)]
    outside_local: String,
    /// `sector_<code>` fields.
    #[serde(flatten)]
    sectors: BTreeMap<String, String>,
}

#[derive(Template)]
#[template(path = "impact_survey.html")]
struct SurveyPage {
    c: Chrome,
    organizations: Vec<(Uuid, String)>,
    organization: Option<Uuid>,
    year: String,
    outside_total: String,
    outside_local: String,
    sectors: Vec<(String, String, String)>,
    error: Option<AppError>,
    saved: bool,
}

async fn answerable(state: &AppState, actor: &Actor) -> Result<Vec<(Uuid, String)>, AppError> {
    Ok(
        distretto_store::membership::organizations_of(&state.db, actor.id)
            .await?
            .into_iter()
            .filter(|o| o.role == "admin" && o.status == "active")
            .map(|o| (o.organization_id, o.name))
            .collect(),
    )
}

fn euro_input(lang: crate::i18n::Lang, minor: i64) -> String {
    crate::ledger::pages::input_amount(lang, &distretto_domain::ledger::Currency::euro(), minor)
}

async fn survey_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<SurveyQuery>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let c = Chrome::new(&state, &viewer, "/impact/survey");
    let lang = c.lang;
    let mut organizations = answerable(&state, actor).await?;
    let organization = q.organization.or(organizations.first().map(|o| o.0));
    if let Some(id) = organization {
        if !service::may_answer_survey(&state, actor, id).await? {
            return Err(AppError::forbidden());
        }
        if !organizations.iter().any(|o| o.0 == id) {
            let org = distretto_store::directory::get(&state.db, id)
                .await
                .map_err(|_| AppError::not_found())?;
            organizations.push((id, org.name));
        }
    }
    let year = q.year.unwrap_or(time::OffsetDateTime::now_utc().year() - 1);
    let existing = match organization {
        Some(id) => saved::survey(&state.db, id, year).await?,
        None => None,
    };
    let amounts: BTreeMap<Sector, i64> = existing
        .as_ref()
        .map(|r| r.by_sector().into_iter().collect())
        .unwrap_or_default();
    let page = SurveyPage {
        sectors: Sector::ALL
            .iter()
            .map(|s| {
                (
                    s.code().to_owned(),
                    lang.t(&format!("sector_{}", s.code())),
                    amounts
                        .get(s)
                        .map(|v| euro_input(lang, *v))
                        .unwrap_or_default(),
                )
            })
            .collect(),
        outside_total: existing
            .as_ref()
            .map(|r| euro_input(lang, r.outside_total_minor))
            .unwrap_or_default(),
        outside_local: existing
            .as_ref()
            .map(|r| euro_input(lang, r.outside_local_minor))
            .unwrap_or_default(),
        year: year.to_string(),
        organizations,
        organization,
        error: None,
        saved: q.saved.is_some(),
        c,
    };
    Ok(render_status(StatusCode::OK, &page))
}

fn parse_euro(text: &str) -> Result<i64, AppError> {
    if text.trim().is_empty() {
        return Ok(0);
    }
    distretto_domain::ledger::parse_amount(text, 2)
        .map(|a| a.minor())
        .map_err(|_| {
            AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "impact_survey_amount_invalid",
            )
        })
}

fn survey_input(form: &SurveyForm) -> Result<(Uuid, i32, super::api::SurveyBody), AppError> {
    let organization = form
        .organization
        .trim()
        .parse::<Uuid>()
        .map_err(|_| AppError::not_found())?;
    let year = form.year.trim().parse::<i32>().map_err(|_| {
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "impact_survey_year_invalid",
        )
    })?;
    let mut by_sector = BTreeMap::new();
    for (k, v) in form.sectors.iter().take(Sector::ALL.len() + 8) {
        if let Some(code) = k.strip_prefix("sector_") {
            let amount = parse_euro(v)?;
            if amount != 0 {
                by_sector.insert(code.to_owned(), amount);
            }
        }
    }
    Ok((
        organization,
        year,
        super::api::SurveyBody {
            outside_total_minor: parse_euro(&form.outside_total)?,
            outside_local_minor: parse_euro(&form.outside_local)?,
            by_sector,
        },
    ))
}

async fn survey_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    PageForm(form): PageForm<SurveyForm>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let result = async {
        let (organization, year, body) = survey_input(&form)?;
        save_survey(&state, actor, organization, year, &body).await?;
        Ok::<_, AppError>((organization, year))
    }
    .await;
    match result {
        Ok((organization, year)) => Ok(Redirect::to(&format!(
            "/impact/survey?organization={organization}&year={year}&saved=1"
        ))
        .into_response()),
        Err(e)
            if e.status.is_client_error()
                && e.status != StatusCode::FORBIDDEN
                && e.status != StatusCode::NOT_FOUND =>
        {
            let c = Chrome::new(&state, &viewer, "/impact/survey");
            let lang = c.lang;
            let page = SurveyPage {
                organizations: answerable(&state, actor).await?,
                organization: form.organization.trim().parse().ok(),
                year: form.year.clone(),
                outside_total: form.outside_total.clone(),
                outside_local: form.outside_local.clone(),
                sectors: Sector::ALL
                    .iter()
                    .map(|s| {
                        let key = format!("sector_{}", s.code());
                        (
                            s.code().to_owned(),
                            lang.t(&key),
                            form.sectors.get(&key).cloned().unwrap_or_default(),
                        )
                    })
                    .collect(),
                error: Some(e.clone()),
                saved: false,
                c,
            };
            Ok(render_status(e.status, &page))
        }
        Err(e) => Err(e),
    }
}

// ---------- gap analysis and scenarios ----------

/// The ranked opportunities of a period.
pub(crate) async fn opportunities(
    state: &AppState,
    period: &Period,
) -> Result<Vec<Opportunity>, AppError> {
    let surveys =
        saved::surveys_between(&state.db, period.first().year, period.last().year).await?;
    let outside: Vec<(Sector, i64)> = surveys.iter().flat_map(SurveyRow::by_sector).collect();
    let orders = distretto_store::impact::facts::unmet_orders(&state.db, period).await?;
    let today = time::OffsetDateTime::now_utc().date();
    let needs: Vec<(String, u64)> =
        distretto_store::market::listings::unmet_needs(&state.db, today)
            .await?
            .into_iter()
            .map(|(c, n)| (c, u64::try_from(n).unwrap_or(0)))
            .collect();
    Ok(plan::opportunities(&outside, &orders, &needs))
}

/// The projection as saved and shown: totals, and per-sector changes by sector code.
fn projection_json(p: &io::Projection) -> serde_json::Value {
    let by_sector = |v: &[i64]| -> serde_json::Map<String, serde_json::Value> {
        Sector::ALL
            .iter()
            .zip(v)
            .filter(|(_, x)| **x != 0)
            .map(|(s, x)| (s.code().to_owned(), serde_json::Value::from(*x)))
            .collect()
    };
    serde_json::json!({
        "demand_shift_minor": p.demand_shift_minor,
        "total_income_change_minor": p.total_income_change_minor,
        "total_jobs_change_fte_hundredths": p.total_jobs_change_fte_hundredths,
        "multiplier_milli": p.multiplier_milli,
        "income_change_minor": by_sector(&p.income_change_minor),
        "jobs_change_fte_hundredths": by_sector(&p.jobs_change_fte_hundredths),
        "scaled_sectors": p.scaled_sectors.iter().filter_map(|i| Sector::ALL.get(*i)).map(|s| s.code()).collect::<Vec<_>>(),
    })
}

/// Runs a scenario on a period's economy.
async fn run(
    state: &AppState,
    period: &Period,
    sector: Sector,
    percent: u8,
) -> Result<io::Projection, AppError> {
    let query = ReportQuery {
        period: *period,
        selection: Selection::default(),
    };
    let computed = service::compute(state, &query, Source::Maintained).await?;
    // The facts hold the surveys of the years the period touches.
    let economy = plan::economy(&computed.report, &computed.loaded.facts);
    let scenario = Scenario {
        sector: Sector::ALL.iter().position(|s| *s == sector).unwrap_or(0),
        shift_percent: percent,
    };
    io::project(&economy, &scenario)
        .map_err(|e| AppError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code()))
}

/// Checks, runs and saves a scenario (coordinators).
pub(crate) async fn run_and_save(
    state: &AppState,
    actor: &Actor,
    name: &str,
    period: &str,
    sector: &str,
    shift_percent: i64,
) -> Result<ScenarioRow, AppError> {
    if !actor.coordinates() {
        return Err(AppError::forbidden());
    }
    let invalid = |code| AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code);
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 || name.chars().any(char::is_control) {
        return Err(invalid("impact_scenario_name_invalid"));
    }
    let period = Period::parse(period).map_err(|e| invalid(e.code))?;
    let sector = Sector::parse(sector.trim()).ok_or(invalid("impact_sector_unknown"))?;
    let percent = u8::try_from(shift_percent)
        .ok()
        .filter(|p| *p <= 100)
        .ok_or(invalid("impact_scenario_percent_invalid"))?;
    let projection = run(state, &period, sector, percent).await?;
    let row = ScenarioRow {
        id: Uuid::now_v7(),
        name: name.to_owned(),
        period: period.to_string(),
        sector: sector.code().to_owned(),
        shift_percent: i32::from(percent),
        projection: projection_json(&projection).to_string(),
        created_by: actor.id,
        created_at: time::OffsetDateTime::now_utc(),
    };
    saved::save_scenario(&state.db, &row).await?;
    Ok(row)
}

/// A scenario as the comparison table shows it.
struct ScenarioLine {
    id: Uuid,
    name: String,
    period: String,
    sector: String,
    shift: String,
    demand: String,
    income: String,
    jobs: String,
    multiplier: String,
    warning: Option<String>,
}

struct GapLine {
    what: String,
    amount: String,
    count: u64,
}

#[derive(Template)]
#[template(path = "impact_planning.html")]
struct PlanningPage {
    c: Chrome,
    period: String,
    gaps: Vec<GapLine>,
    scenarios: Vec<ScenarioLine>,
    sectors: Vec<(String, String)>,
    form: ScenarioForm,
    error: Option<AppError>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
struct ScenarioForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    sector: String,
    #[serde(default)]
    shift_percent: String,
}

#[derive(Debug, Default, serde::Deserialize)]
struct PlanningQuery {
    period: Option<String>,
}

fn json_i64(v: &serde_json::Value, key: &str) -> Option<i64> {
    v.get(key).and_then(serde_json::Value::as_i64)
}

fn scenario_line(state: &AppState, lang: crate::i18n::Lang, r: &ScenarioRow) -> ScenarioLine {
    use super::indicators::Unit;
    use super::pages::show;
    let p: serde_json::Value = serde_json::from_str(&r.projection).unwrap_or_default();
    let scaled = p
        .get("scaled_sectors")
        .and_then(|s| s.as_array())
        .is_some_and(|a| !a.is_empty());
    ScenarioLine {
        id: r.id,
        name: r.name.clone(),
        period: r.period.clone(),
        sector: lang.t(&format!("sector_{}", r.sector)),
        shift: format!("{} %", r.shift_percent),
        demand: show(
            state,
            lang,
            Unit::EuroMinor,
            json_i64(&p, "demand_shift_minor").map(i128::from),
        ),
        income: show(
            state,
            lang,
            Unit::EuroMinor,
            json_i64(&p, "total_income_change_minor").map(i128::from),
        ),
        jobs: show(
            state,
            lang,
            Unit::FteHundredths,
            json_i64(&p, "total_jobs_change_fte_hundredths").map(i128::from),
        ),
        multiplier: show(
            state,
            lang,
            Unit::Milli,
            json_i64(&p, "multiplier_milli").map(i128::from),
        ),
        warning: scaled.then(|| lang.t("impact_scenario_scaled")),
    }
}

async fn planning_view(
    state: &AppState,
    viewer: &Viewer,
    period_text: Option<String>,
    form: ScenarioForm,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    if !actor.coordinates() {
        return Err(AppError::forbidden());
    }
    let c = Chrome::new(state, viewer, "/impact/planning");
    let lang = c.lang;
    let default_year = (time::OffsetDateTime::now_utc().year() - 1).to_string();
    let period = period_text
        .filter(|p| !p.trim().is_empty())
        .and_then(|p| Period::parse(&p).ok())
        .unwrap_or_else(|| {
            Period::parse(&default_year).unwrap_or_else(|_| {
                Period::last_twelve_months(time::OffsetDateTime::now_utc().date())
            })
        });
    let gaps = opportunities(state, &period)
        .await?
        .into_iter()
        .map(|o| GapLine {
            what: match &o.gap {
                Gap::OutsidePurchases { sector } => lang.t_args(
                    "impact_gap_outside",
                    &[("sector", lang.t(&format!("sector_{}", sector.code())))],
                ),
                Gap::UnmetOrders { sector } => lang.t_args(
                    "impact_gap_orders",
                    &[("sector", lang.t(&format!("sector_{}", sector.code())))],
                ),
                Gap::UnmetNeeds { category } => {
                    lang.t_args("impact_gap_needs", &[("category", category.clone())])
                }
            },
            amount: if o.amount_minor > 0 {
                super::pages::show(
                    state,
                    lang,
                    super::indicators::Unit::EuroMinor,
                    Some(i128::from(o.amount_minor)),
                )
            } else {
                "—".into()
            },
            count: o.count,
        })
        .collect();
    let (rows, _) = saved::scenarios(&state.db, 50, 0).await?;
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let page = PlanningPage {
        period: period.to_string(),
        gaps,
        scenarios: rows.iter().map(|r| scenario_line(state, lang, r)).collect(),
        sectors: Sector::ALL
            .iter()
            .map(|s| (s.code().to_owned(), lang.t(&format!("sector_{}", s.code()))))
            .collect(),
        form: ScenarioForm {
            period: if form.period.is_empty() {
                period.to_string()
            } else {
                form.period
            },
            ..form
        },
        error,
        c,
    };
    Ok(render_status(status, &page))
}

async fn planning_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<PlanningQuery>,
) -> Result<Response, AppError> {
    planning_view(&state, &viewer, q.period, ScenarioForm::default(), None).await
}

async fn scenario_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    PageForm(form): PageForm<ScenarioForm>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let percent = form.shift_percent.trim().parse::<i64>().unwrap_or(-1);
    match run_and_save(
        &state,
        actor,
        &form.name,
        &form.period,
        &form.sector,
        percent,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/impact/planning#scenarios").into_response()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN => {
            let period = Some(form.period.clone());
            planning_view(&state, &viewer, period, form, Some(e)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct Empty {}

async fn delete_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    PageForm(_): PageForm<Empty>,
) -> Result<Response, AppError> {
    if !viewer.actor()?.coordinates() {
        return Err(AppError::forbidden());
    }
    saved::delete_scenario(&state.db, id).await?;
    Ok(Redirect::to("/impact/planning#scenarios").into_response())
}

/// Every saved scenario side by side, one row each, for a spreadsheet.
async fn scenarios_csv(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, AppError> {
    if !viewer.actor()?.coordinates() {
        return Err(AppError::forbidden());
    }
    let (rows, _) = saved::scenarios(&state.db, saved::MAX_SAVED, 0).await?;
    let mut out = String::from(
        "id,name,period,sector,shift_percent,demand_shift_minor,total_income_change_minor,total_jobs_change_fte_hundredths,multiplier_milli,created_at\n",
    );
    for r in &rows {
        let p: serde_json::Value = serde_json::from_str(&r.projection).unwrap_or_default();
        let num = |k: &str| json_i64(&p, k).map(|v| v.to_string()).unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            r.id,
            super::pages::csv_field(&r.name),
            r.period,
            r.sector,
            r.shift_percent,
            num("demand_shift_minor"),
            num("total_income_change_minor"),
            num("total_jobs_change_fte_hundredths"),
            num("multiplier_milli"),
            r.created_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        ));
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"scenarios.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}
