//! What members and coordinators save: surveys of spending outside the ledger, and
//! relocalisation scenarios.

use crate::{Db, Result, StoreError, with_pool};
use distretto_domain::directory::Sector;
use time::OffsetDateTime;
use uuid::Uuid;

/// The most surveys or scenarios one list reads.
pub const MAX_SAVED: i64 = 100_000;

/// A member organisation's survey for one year.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct SurveyRow {
    pub organization_id: Uuid,
    pub year: i32,
    pub outside_total_minor: i64,
    pub outside_local_minor: i64,
    /// JSON `[["sector", minor], …]`.
    pub by_sector: String,
    pub answered_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub answered_at: OffsetDateTime,
}

impl SurveyRow {
    /// The purchases outside the district by sector (unknown sectors and bad JSON are left out).
    pub fn by_sector(&self) -> Vec<(Sector, i64)> {
        serde_json::from_str::<Vec<(String, i64)>>(&self.by_sector)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(s, v)| Some((Sector::parse(&s)?, v)))
            .collect()
    }

    /// Encodes purchases by sector as stored.
    pub fn encode_by_sector(rows: &[(Sector, i64)]) -> String {
        let list: Vec<(&str, i64)> = rows.iter().map(|(s, v)| (s.code(), *v)).collect();
        serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
    }
}

const SURVEY_COLUMNS: &str = "organization_id, year, outside_total_minor, outside_local_minor, by_sector, answered_by, answered_at";

/// Surveys of the years `first` to `last`.
pub async fn surveys_between(db: &Db, first: i32, last: i32) -> Result<Vec<SurveyRow>> {
    let sql = format!(
        "SELECT {SURVEY_COLUMNS} FROM impact_surveys WHERE year >= $1 AND year <= $2 ORDER BY organization_id, year LIMIT $3"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, SurveyRow>(&sql)
        .bind(first).bind(last).bind(MAX_SAVED).fetch_all(pool).await)?,
    )
}

/// One organisation's survey for a year.
pub async fn survey(db: &Db, organization: Uuid, year: i32) -> Result<Option<SurveyRow>> {
    let sql = format!(
        "SELECT {SURVEY_COLUMNS} FROM impact_surveys WHERE organization_id = $1 AND year = $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, SurveyRow>(&sql)
        .bind(organization).bind(year).fetch_optional(pool).await)?,
    )
}

/// Records (or replaces) an organisation's survey for a year.
pub async fn save_survey(db: &Db, row: &SurveyRow) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "INSERT INTO impact_surveys (organization_id, year, outside_total_minor, outside_local_minor, by_sector, answered_by, answered_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (organization_id, year) DO UPDATE SET \
         outside_total_minor = excluded.outside_total_minor, outside_local_minor = excluded.outside_local_minor, \
         by_sector = excluded.by_sector, answered_by = excluded.answered_by, answered_at = excluded.answered_at")
        .bind(row.organization_id).bind(row.year).bind(row.outside_total_minor)
        .bind(row.outside_local_minor).bind(&row.by_sector).bind(row.answered_by).bind(row.answered_at)
        .execute(pool).await.map(|r| r.rows_affected()))
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// A saved relocalisation scenario.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ScenarioRow {
    pub id: Uuid,
    pub name: String,
    /// The period whose flows built the model (`2026`, `2025-11..2026-10` …).
    pub period: String,
    /// The sector code.
    pub sector: String,
    pub shift_percent: i32,
    /// The projection, JSON.
    pub projection: String,
    pub created_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

const SCENARIO_COLUMNS: &str =
    "id, name, period, sector, shift_percent, projection, created_by, created_at";

/// Saves a scenario.
pub async fn save_scenario(db: &Db, row: &ScenarioRow) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(&format!(
        "INSERT INTO impact_scenarios ({SCENARIO_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"))
        .bind(row.id).bind(&row.name).bind(&row.period).bind(&row.sector)
        .bind(row.shift_percent).bind(&row.projection).bind(row.created_by).bind(row.created_at)
        .execute(pool).await.map(|r| r.rows_affected()))
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// Saved scenarios, newest first, at most `limit` from `offset`, and how many there are.
pub async fn scenarios(db: &Db, limit: i64, offset: i64) -> Result<(Vec<ScenarioRow>, i64)> {
    let sql = format!(
        "SELECT {SCENARIO_COLUMNS} FROM impact_scenarios ORDER BY created_at DESC, id LIMIT $1 OFFSET $2"
    );
    let rows = with_pool!(db.read(), pool => sqlx::query_as::<_, ScenarioRow>(&sql)
        .bind(limit.clamp(0, MAX_SAVED)).bind(offset.max(0)).fetch_all(pool).await)?;
    let total: i64 = with_pool!(db.read(), pool => sqlx::query_scalar("SELECT COUNT(*) FROM impact_scenarios")
        .fetch_one(pool).await)?;
    Ok((rows, total))
}

/// One scenario.
pub async fn scenario(db: &Db, id: Uuid) -> Result<ScenarioRow> {
    let sql = format!("SELECT {SCENARIO_COLUMNS} FROM impact_scenarios WHERE id = $1");
    with_pool!(db.read(), pool => sqlx::query_as::<_, ScenarioRow>(&sql).bind(id).fetch_optional(pool).await)?
        .ok_or(StoreError::NotFound)
}

/// Deletes a scenario; `NotFound` if there is none.
pub async fn delete_scenario(db: &Db, id: Uuid) -> Result<()> {
    let n = with_pool!(db.write(), pool => sqlx::query("DELETE FROM impact_scenarios WHERE id = $1")
        .bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// What a district export carries of impact (version 11): surveys and saved scenarios. The
/// trade aggregates are derived from the journal and rebuilt after an import.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImpactData {
    #[serde(default)]
    pub surveys: Vec<SurveyRow>,
    #[serde(default)]
    pub scenarios: Vec<ScenarioRow>,
}

/// Every survey and scenario, in a stable order.
pub async fn export(db: &Db) -> Result<ImpactData> {
    let surveys = surveys_between(db, i32::MIN, i32::MAX).await?;
    let sql = format!("SELECT {SCENARIO_COLUMNS} FROM impact_scenarios ORDER BY id");
    let scenarios = crate::export::read_all(db, &sql).await?;
    Ok(ImpactData { surveys, scenarios })
}

/// Writes an export's surveys and scenarios.
pub async fn import(db: &Db, d: &ImpactData) -> Result<()> {
    for s in &d.surveys {
        save_survey(db, s).await?;
    }
    for s in &d.scenarios {
        save_scenario(db, s).await?;
    }
    Ok(())
}
