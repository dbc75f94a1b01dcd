//! The impact API: open data (every indicator of a period, JSON or CSV, public), a member's
//! own figures, surveys, gap analysis and relocalisation scenarios.

use super::indicators::{self, Indicator};
use super::planning;
use super::service::{self, QueryParams, Source};
use crate::api::{ApiId, ApiJson, ApiPath, ApiQuery, List};
use crate::auth::ApiCaller;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use distretto_domain::impact::planning::Opportunity;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(indicators_json))
        .routes(routes!(indicators_csv))
        .routes(routes!(member))
        .routes(routes!(get_survey, put_survey))
        .routes(routes!(gaps))
        .routes(routes!(list_scenarios, create_scenario))
        .routes(routes!(get_scenario, delete_scenario))
}

/// Query parameters of the indicator operations.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct IndicatorParams {
    /// `2026`, `2026-Q3`, `2026-07` or `2025-11..2026-10`; default the last twelve whole months.
    pub period: Option<String>,
    /// Only member organisations of this kind.
    pub kind: Option<String>,
    /// Only member organisations of this sector.
    pub sector: Option<String>,
    /// `scratch` to fold the journal from scratch instead of reading the maintained aggregates
    /// (same figures, slower; for audits).
    pub source: Option<String>,
}

impl IndicatorParams {
    fn query(&self) -> QueryParams {
        QueryParams {
            period: self.period.clone(),
            kind: self.kind.clone(),
            sector: self.sector.clone(),
        }
    }

    fn source(&self) -> Result<Source, AppError> {
        match self.source.as_deref() {
            None | Some("") | Some("maintained") => Ok(Source::Maintained),
            Some("scratch") => Ok(Source::Scratch),
            Some(_) => Err(AppError::bad_request("impact_source_unknown")),
        }
    }
}

/// One flow between two sectors (`other`: the sectors of fewer than five member organisations).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SectorFlowBody {
    /// The paying sector.
    pub from: String,
    /// The receiving sector.
    pub to: String,
    /// Credit, minor units.
    #[schema(value_type = i64)]
    pub amount_minor: i128,
}

/// Every indicator of a period.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct IndicatorsBody {
    /// The period.
    pub period: String,
    /// The labels of its buckets (months, or quarters beyond two years).
    pub buckets: Vec<String>,
    /// The organisation kind the figures are narrowed to, if any.
    pub kind: Option<String>,
    /// The sector the figures are narrowed to, if any.
    pub sector: Option<String>,
    /// The district currency's code (units `credit_minor`).
    pub currency: String,
    /// Every indicator.
    #[schema(value_type = Vec<Object>)]
    pub indicators: Vec<Indicator>,
    /// Flows between sectors.
    pub sector_flows: Vec<SectorFlowBody>,
}

fn sector_code(s: Option<distretto_domain::directory::Sector>) -> String {
    s.map_or_else(|| "other".to_owned(), |s| s.code().to_owned())
}

fn body_of(state: &AppState, c: &service::Computed, q: &service::Query) -> IndicatorsBody {
    IndicatorsBody {
        period: c.report.period.to_string(),
        buckets: c.report.buckets.clone(),
        kind: q.selection.kind.map(|k| k.code().to_owned()),
        sector: q.selection.sector.map(|s| s.code().to_owned()),
        currency: state.config.currency.code.clone(),
        indicators: indicators::catalogue(&c.report),
        sector_flows: indicators::sector_flows(&c.report)
            .into_iter()
            .map(|(a, b, v)| SectorFlowBody {
                from: sector_code(a),
                to: sector_code(b),
                amount_minor: v,
            })
            .collect(),
    }
}

/// Every indicator of a period for the district (open data: no sign-in). Breakdowns never
/// describe fewer than five members.
#[utoipa::path(get, path = "/api/v1/impact/indicators", tag = "impact", params(IndicatorParams),
    responses((status = 200, body = IndicatorsBody), (status = 400, body = crate::error::ErrorBody)))]
async fn indicators_json(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<IndicatorParams>,
) -> Result<Json<IndicatorsBody>, AppError> {
    let query = params.query().parse()?;
    let computed = service::compute(&state, &query, params.source()?).await?;
    Ok(Json(body_of(&state, &computed, &query)))
}

/// The same indicators as CSV: `indicator,unit,period,group,value`.
#[utoipa::path(get, path = "/api/v1/impact/indicators.csv", tag = "impact", params(IndicatorParams),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = crate::error::ErrorBody)))]
async fn indicators_csv(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<IndicatorParams>,
) -> Result<Response, AppError> {
    let query = params.query().parse()?;
    let computed = service::compute(&state, &query, params.source()?).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        super::pages::csv_of(&computed),
    )
        .into_response())
}

/// A member organisation's own indicators (its members and coordinators).
#[utoipa::path(get, path = "/api/v1/impact/organizations/{id}", tag = "impact", params(("id" = Uuid, Path), IndicatorParams), security(("bearer" = [])),
    responses((status = 200, body = IndicatorsBody), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn member(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    ApiQuery(params): ApiQuery<IndicatorParams>,
) -> Result<Json<IndicatorsBody>, AppError> {
    let actor = caller.actor()?;
    if !service::may_read_member(&state, actor, id).await? {
        return Err(AppError::forbidden());
    }
    let query = params.query().parse()?;
    let computed = service::compute_for(&state, query.period, id).await?;
    let mut body = body_of(&state, &computed, &query);
    body.sector_flows.clear();
    for i in &mut body.indicators {
        i.breakdown.clear();
    }
    Ok(Json(body))
}

/// A survey of spending outside the ledger.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SurveyBody {
    /// Spending paid outside the ledger over the year, euro cents.
    pub outside_total_minor: i64,
    /// Of which with suppliers and staff in the territory.
    pub outside_local_minor: i64,
    /// Purchases from outside the district by the sector of what was bought, euro cents.
    #[serde(default)]
    pub by_sector: std::collections::BTreeMap<String, i64>,
}

/// An organisation's survey for a year (its admins and coordinators).
#[utoipa::path(get, path = "/api/v1/impact/surveys/{organization}/{year}", tag = "impact",
    params(("organization" = Uuid, Path), ("year" = i32, Path)), security(("bearer" = [])),
    responses((status = 200, body = SurveyBody), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn get_survey(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath((organization, year)): ApiPath<(Uuid, i32)>,
) -> Result<Json<SurveyBody>, AppError> {
    let actor = caller.actor()?;
    if !service::may_answer_survey(&state, actor, organization).await? {
        return Err(AppError::forbidden());
    }
    let row = distretto_store::impact::saved::survey(&state.db, organization, year)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(Json(planning::survey_body(&row)))
}

/// Answers (or corrects) an organisation's survey for a year.
#[utoipa::path(put, path = "/api/v1/impact/surveys/{organization}/{year}", tag = "impact",
    params(("organization" = Uuid, Path), ("year" = i32, Path)), request_body = SurveyBody, security(("bearer" = [])),
    responses((status = 200, body = SurveyBody), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn put_survey(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath((organization, year)): ApiPath<(Uuid, i32)>,
    ApiJson(body): ApiJson<SurveyBody>,
) -> Result<Json<SurveyBody>, AppError> {
    let actor = caller.actor()?;
    let row = planning::save_survey(&state, actor, organization, year, &body).await?;
    Ok(Json(planning::survey_body(&row)))
}

/// Gap analysis: what members buy outside, demand no producer met, needs without an offer
/// (coordinators).
#[utoipa::path(get, path = "/api/v1/impact/gaps", tag = "impact", params(IndicatorParams), security(("bearer" = [])),
    responses((status = 200, body = List<Object>), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn gaps(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(params): ApiQuery<IndicatorParams>,
) -> Result<Json<serde_json::Value>, AppError> {
    if !caller.actor()?.coordinates() {
        return Err(AppError::forbidden());
    }
    let query = params.query().parse()?;
    let items: Vec<Opportunity> = planning::opportunities(&state, &query.period).await?;
    let total = items.len();
    Ok(Json(serde_json::json!({ "items": items, "total": total })))
}

/// A relocalisation scenario to run and save.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct ScenarioInput {
    /// A name to find it again (1 to 120 characters).
    pub name: String,
    /// The year whose flows build the model (`2026`).
    pub period: String,
    /// The sector whose outside purchases move to local suppliers.
    pub sector: String,
    /// How much of them moves, 0 to 100.
    pub shift_percent: i64,
}

/// A saved scenario with its projection.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ScenarioBody {
    pub id: Uuid,
    pub name: String,
    pub period: String,
    pub sector: String,
    pub shift_percent: i32,
    /// The projection: demand shift, income and jobs change per sector and in total.
    #[schema(value_type = Object)]
    pub projection: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub created_at: time::OffsetDateTime,
}

impl From<distretto_store::impact::saved::ScenarioRow> for ScenarioBody {
    fn from(r: distretto_store::impact::saved::ScenarioRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            period: r.period,
            sector: r.sector,
            shift_percent: r.shift_percent,
            projection: serde_json::from_str(&r.projection).unwrap_or(serde_json::Value::Null),
            created_at: r.created_at,
        }
    }
}

/// Paging of lists.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct Paging {
    /// At most this many (≤ 500, default 50).
    pub limit: Option<i64>,
    /// Skip this many.
    pub offset: Option<i64>,
}

/// Saved scenarios, newest first (coordinators).
#[utoipa::path(get, path = "/api/v1/impact/scenarios", tag = "impact", params(Paging), security(("bearer" = [])),
    responses((status = 200, body = List<ScenarioBody>), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn list_scenarios(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<List<ScenarioBody>>, AppError> {
    if !caller.actor()?.coordinates() {
        return Err(AppError::forbidden());
    }
    let limit = paging.limit.unwrap_or(50);
    if !(0..=500).contains(&limit) || paging.offset.is_some_and(|o| o < 0) {
        return Err(AppError::bad_request("invalid_query"));
    }
    let (rows, total) =
        distretto_store::impact::saved::scenarios(&state.db, limit, paging.offset.unwrap_or(0))
            .await?;
    Ok(Json(List {
        items: rows.into_iter().map(ScenarioBody::from).collect(),
        total,
    }))
}

/// Runs a relocalisation scenario on a year's flows and saves it (coordinators).
#[utoipa::path(post, path = "/api/v1/impact/scenarios", tag = "impact", request_body = ScenarioInput, security(("bearer" = [])),
    responses((status = 201, body = ScenarioBody), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_scenario(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<ScenarioInput>,
) -> Result<(StatusCode, Json<ScenarioBody>), AppError> {
    let actor = caller.actor()?;
    let row = planning::run_and_save(
        &state,
        actor,
        &input.name,
        &input.period,
        &input.sector,
        input.shift_percent,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// One saved scenario (coordinators).
#[utoipa::path(get, path = "/api/v1/impact/scenarios/{id}", tag = "impact", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = ScenarioBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn get_scenario(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<ScenarioBody>, AppError> {
    if !caller.actor()?.coordinates() {
        return Err(AppError::forbidden());
    }
    Ok(Json(
        distretto_store::impact::saved::scenario(&state.db, id)
            .await?
            .into(),
    ))
}

/// Deletes a saved scenario (coordinators).
#[utoipa::path(delete, path = "/api/v1/impact/scenarios/{id}", tag = "impact", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn delete_scenario(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<StatusCode, AppError> {
    if !caller.actor()?.coordinates() {
        return Err(AppError::forbidden());
    }
    distretto_store::impact::saved::delete_scenario(&state.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
