//! Computing a period's indicators: refresh the maintained aggregates, read them and the
//! district's facts, and build the report.

use crate::{AppError, AppState};
use distretto_domain::directory::{OrganizationKind, Sector};
use distretto_domain::impact::period::Period;
use distretto_domain::impact::report::{self, Report, Selection};
use distretto_domain::impact::trade::Trade;
use distretto_store::StoreError;
use distretto_store::impact::facts::{self, Loaded};
use distretto_store::impact::{AccountIndex, aggregates};
use uuid::Uuid;

/// The most refresh batches one page view folds before it computes (100,000 journal entries);
/// the background refresher folds the rest.
pub const REFRESH_BATCHES_PER_VIEW: u32 = 20;

/// Where the trade aggregates come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The incrementally maintained tables (refreshed first).
    Maintained,
    /// The journal itself, folded from scratch.
    Scratch,
}

/// What a report is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The months.
    pub period: Period,
    /// Which member organisations.
    pub selection: Selection,
}

/// The query parameters of the pages and the API.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct QueryParams {
    /// `2026`, `2026-Q3`, `2026-07` or `2025-11..2026-10`; default the last twelve months.
    pub period: Option<String>,
    /// An organisation kind code.
    pub kind: Option<String>,
    /// A sector code.
    pub sector: Option<String>,
}

impl QueryParams {
    /// The query, or the stable code of what is wrong.
    pub fn parse(&self) -> Result<Query, AppError> {
        let today = time::OffsetDateTime::now_utc().date();
        let period = match self
            .period
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            Some(p) => Period::parse(p).map_err(|e| AppError::bad_request(e.code))?,
            None => Period::last_twelve_months(today),
        };
        let kind = match self.kind.as_deref().filter(|k| !k.is_empty()) {
            Some(k) => Some(
                OrganizationKind::parse(k).ok_or(AppError::bad_request("impact_kind_unknown"))?,
            ),
            None => None,
        };
        let sector = match self.sector.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => {
                Some(Sector::parse(s).ok_or(AppError::bad_request("impact_sector_unknown"))?)
            }
            None => None,
        };
        Ok(Query {
            period,
            selection: Selection {
                kind,
                sector,
                organization: None,
            },
        })
    }
}

/// A computed report and who is who in it.
#[derive(Debug, Clone)]
pub struct Computed {
    /// The indicators.
    pub report: Report,
    /// The facts it was built from.
    pub loaded: Loaded,
}

/// The report of `query`, its trade read from `source`.
pub async fn compute(
    state: &AppState,
    query: &Query,
    source: Source,
) -> Result<Computed, AppError> {
    let db = &state.db;
    let mut index = AccountIndex::default();
    let trade = async {
        match source {
            Source::Maintained => {
                aggregates::refresh(db, REFRESH_BATCHES_PER_VIEW).await?;
                aggregates::load(db, &query.period, &mut index).await
            }
            Source::Scratch => aggregates::from_scratch(db, &query.period, &mut index).await,
        }
    };
    let (trade, (own, mut loaded)) = trade_and_facts(state, &query.period, trade).await?;
    loaded.renumber(&own, &mut index);
    let report = report::build(query.period, &trade, &loaded.facts, &query.selection);
    Ok(Computed { report, loaded })
}

/// The trade aggregates (from `trade`) and the facts of `period`, read at the same time; the
/// facts come with their own account numbering, for [`Loaded::renumber`].
async fn trade_and_facts(
    state: &AppState,
    period: &Period,
    trade: impl std::future::Future<Output = Result<Trade, StoreError>>,
) -> Result<(Trade, (AccountIndex, Loaded)), AppError> {
    let facts = async {
        let mut own = AccountIndex::default();
        let loaded = facts::load(&state.db, period, &mut own, &state.config.currency.code).await?;
        Ok::<_, StoreError>((own, loaded))
    };
    let (trade, facts) = tokio::join!(trade, facts);
    Ok((trade?, facts?))
}

/// One member organisation's own report.
pub async fn compute_for(
    state: &AppState,
    period: Period,
    organization: Uuid,
) -> Result<Computed, AppError> {
    let db = &state.db;
    let mut index = AccountIndex::default();
    let trade = async {
        aggregates::refresh(db, REFRESH_BATCHES_PER_VIEW).await?;
        aggregates::load(db, &period, &mut index).await
    };
    let (trade, (own, mut loaded)) = trade_and_facts(state, &period, trade).await?;
    loaded.renumber(&own, &mut index);
    let i = loaded
        .organization_index(organization)
        .ok_or_else(AppError::not_found)?;
    let selection = Selection {
        organization: Some(i),
        ..Selection::default()
    };
    let report = report::build(period, &trade, &loaded.facts, &selection);
    Ok(Computed { report, loaded })
}

/// Whether `actor` may read organisation `id`'s own figures: its members and coordinators.
pub async fn may_read_member(
    state: &AppState,
    actor: &crate::auth::viewer::Actor,
    id: Uuid,
) -> Result<bool, AppError> {
    if actor.coordinates() {
        return Ok(true);
    }
    Ok(
        distretto_store::membership::organizations_of(&state.db, actor.id)
            .await?
            .iter()
            .any(|o| o.organization_id == id && o.status == "active"),
    )
}

/// Whether `actor` may answer organisation `id`'s survey: its admins and coordinators.
pub async fn may_answer_survey(
    state: &AppState,
    actor: &crate::auth::viewer::Actor,
    id: Uuid,
) -> Result<bool, AppError> {
    if actor.coordinates() {
        return Ok(true);
    }
    Ok(
        distretto_store::membership::organizations_of(&state.db, actor.id)
            .await?
            .iter()
            .any(|o| o.organization_id == id && o.role == "admin" && o.status == "active"),
    )
}

/// Folds new journal entries into the aggregates every minute, so page views find little to
/// fold.
pub async fn refresh_loop(state: AppState, stop: crate::background::Stop) {
    let mut ticks =
        crate::background::every("impact_refresh", std::time::Duration::from_secs(60), stop);
    while ticks.next().await {
        let folded = aggregates::refresh(&state.db, 200).await;
        if let Err(e) = &folded {
            tracing::warn!(error = %e, "impact refresh failed");
        }
        ticks.done(&state, folded.is_ok());
    }
}
