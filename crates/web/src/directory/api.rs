//! `GET /api/v1/organizations…`, profile edits, and the directory as CSV.

use super::service;
use crate::api::{ApiId, ApiJson, ApiQuery, List};
use crate::auth::ApiCaller;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use distretto_domain::directory::{DirectoryQuery, ProfileInput};
use distretto_store::directory::{OrganizationRow, OrganizationSummary};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_organizations))
        .routes(routes!(get_organization, update_organization))
        .routes(routes!(organization_members))
        .routes(routes!(directory_csv))
        .routes(routes!(murmurations_index))
        .routes(routes!(murmurations_profile))
}

/// Directory query parameters.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectoryParams {
    /// Words searched in name, description and place, ignoring accents and case.
    pub q: Option<String>,
    /// An organisation kind (glossary value).
    pub kind: Option<String>,
    /// A sector code.
    pub sector: Option<String>,
    /// A place (locality), ignoring accents and case.
    pub place: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u64>,
}

impl DirectoryParams {
    /// The parsed domain query.
    pub fn parse(&self) -> Result<DirectoryQuery, AppError> {
        Ok(DirectoryQuery::parse(
            self.q.as_deref(),
            self.kind.as_deref(),
            self.sector.as_deref(),
            self.place.as_deref(),
            self.limit,
            self.offset,
        )?)
    }
}

/// An organisation in a list.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct OrganizationItem {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Kind (glossary value).
    pub kind: String,
    /// Sector code.
    pub sector: String,
    /// Place.
    pub locality: String,
    /// Latitude (WGS 84), when known.
    pub lat: Option<f64>,
    /// Longitude (WGS 84), when known.
    pub lon: Option<f64>,
}

impl From<OrganizationSummary> for OrganizationItem {
    fn from(o: OrganizationSummary) -> Self {
        Self {
            id: o.id,
            name: o.name,
            kind: o.kind,
            sector: o.sector,
            locality: o.locality,
            lat: o.lat,
            lon: o.lon,
        }
    }
}

/// An organisation's public profile.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub legal_form: String,
    pub sector: String,
    pub description: String,
    pub website: Option<String>,
    pub contact_email: Option<String>,
    pub phone: Option<String>,
    pub address: String,
    pub postcode: String,
    pub locality: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub founded_year: Option<i32>,
    /// Workers in full-time equivalents (two decimals).
    pub workers_fte: f64,
    pub volunteers: i32,
    /// `active`, `pending`, `suspended` or `rejected`.
    pub status: String,
    /// Version of the district charter signed.
    pub charter_version: Option<String>,
    /// When it was signed.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub charter_signed_at: Option<time::OffsetDateTime>,
    /// The organisation's account in the district currency, to pay it (once admitted).
    pub account_id: Option<Uuid>,
}

impl From<OrganizationRow> for Organization {
    fn from(o: OrganizationRow) -> Self {
        Self {
            id: o.id,
            name: o.name,
            kind: o.kind,
            legal_form: o.legal_form,
            sector: o.sector,
            description: o.description,
            website: o.website,
            contact_email: o.contact_email,
            phone: o.phone,
            address: o.address,
            postcode: o.postcode,
            locality: o.locality,
            lat: o.lat,
            lon: o.lon,
            founded_year: o.founded_year,
            workers_fte: distretto_domain::directory::WorkersFte(o.workers_fte_hundredths).as_f64(),
            volunteers: o.volunteers,
            status: o.status,
            charter_version: o.charter_version,
            charter_signed_at: o.charter_signed_at,
            account_id: None,
        }
    }
}

/// Search the directory of member organisations (public).
#[utoipa::path(get, path = "/api/v1/organizations", tag = "directory", params(DirectoryParams),
    responses((status = 200, body = List<OrganizationItem>), (status = 400, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn list_organizations(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    ApiQuery(p): ApiQuery<DirectoryParams>,
) -> Result<Response, AppError> {
    // The list is public and the same for every caller: a crowd shares one rendering a second.
    let key = format!("api {uri}");
    if let Some(cached) = state.directory_cache.response(&key) {
        return Ok(cached.into_response());
    }
    let _flight = state.directory_cache.answer_flight(&key).await;
    if let Some(cached) = state.directory_cache.response(&key) {
        return Ok(cached.into_response());
    }
    let page = service::search(&state, &p.parse()?).await?;
    let list = List {
        items: page.items.into_iter().map(OrganizationItem::from).collect(),
        total: page.total,
    };
    let body = serde_json::to_vec(&list).map_err(|_| AppError::internal())?;
    let cached = service::CachedResponse {
        body: body.into(),
        content_type: "application/json",
    };
    state.directory_cache.keep_response(key, cached.clone());
    Ok(cached.into_response())
}

/// One organisation's profile (public for admitted members).
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "directory", params(("id" = Uuid, Path)),
    responses((status = 200, body = Organization), (status = 404, body = crate::error::ErrorBody)))]
async fn get_organization(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<Organization>, AppError> {
    let mut org: Organization = service::profile(&state, caller.actor.as_ref(), id)
        .await?
        .into();
    org.account_id = distretto_store::accounts::of_owner(&state.db, "organization", id)
        .await?
        .into_iter()
        .find(|a| a.currency == state.config.currency.code)
        .map(|a| a.id);
    Ok(Json(org))
}

/// Profile fields to change; absent fields keep their value.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OrganizationUpdate {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub legal_form: Option<String>,
    pub sector: Option<String>,
    pub description: Option<String>,
    pub website: Option<String>,
    pub contact_email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub locality: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub founded_year: Option<i32>,
    pub workers_fte: Option<f64>,
    pub volunteers: Option<i32>,
}

impl OrganizationUpdate {
    fn merge(self, mut base: ProfileInput) -> ProfileInput {
        macro_rules! take {
            ($($f:ident),*) => { $(if let Some(v) = self.$f { base.$f = v; })* };
        }
        take!(
            name,
            kind,
            legal_form,
            sector,
            description,
            website,
            contact_email,
            phone,
            address,
            postcode,
            locality
        );
        if let Some(v) = self.lat {
            base.lat = v.to_string();
        }
        if let Some(v) = self.lon {
            base.lon = v.to_string();
        }
        if let Some(v) = self.founded_year {
            base.founded_year = v.to_string();
        }
        if let Some(v) = self.workers_fte {
            base.workers_fte = format!("{v}");
        }
        if let Some(v) = self.volunteers {
            base.volunteers = v.to_string();
        }
        base
    }
}

/// Edit an organisation's profile (its admins and coordinators).
#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "directory", params(("id" = Uuid, Path)), request_body = OrganizationUpdate, security(("bearer" = [])),
    responses((status = 200, body = Organization), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn update_organization(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    ApiJson(u): ApiJson<OrganizationUpdate>,
) -> Result<Json<Organization>, AppError> {
    let actor = caller.actor()?;
    let current = service::profile(&state, Some(actor), id).await?;
    let input = u.merge(service::input_of(&current));
    Ok(Json(
        service::update(&state, actor, id, &input).await?.into(),
    ))
}

/// A member of an organisation.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Member {
    /// Person id.
    pub person_id: Uuid,
    /// Display name.
    pub name: String,
    /// `admin` or `member`.
    pub role: String,
}

/// The people of an organisation: names and roles, never e-mails.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/members", tag = "directory", params(("id" = Uuid, Path)),
    responses((status = 200, body = List<Member>), (status = 404, body = crate::error::ErrorBody)))]
async fn organization_members(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<List<Member>>, AppError> {
    service::profile(&state, caller.actor.as_ref(), id).await?;
    let members = distretto_store::membership::members_of(&state.db, id, 500).await?;
    let total = members.len() as i64;
    Ok(Json(List {
        items: members
            .into_iter()
            .map(|m| Member {
                person_id: m.person_id,
                name: m.name,
                role: m.role,
            })
            .collect(),
        total,
    }))
}

/// The CSV header of the directory export.
pub const CSV_HEADER: [&str; 17] = [
    "id",
    "name",
    "kind",
    "legal_form",
    "sector",
    "description",
    "website",
    "contact_email",
    "phone",
    "address",
    "postcode",
    "locality",
    "lat",
    "lon",
    "founded_year",
    "workers_fte",
    "charter_signed_at",
];

/// Rows read per page while writing the CSV.
const CSV_PAGE_ROWS: u32 = 2_000;
/// Pages at most (a bound on the loop: 200 million rows).
const CSV_MAX_PAGES: u64 = 100_000;

/// Writes every active organisation as CSV (RFC 4180, UTF-8).
pub async fn directory_csv_bytes(state: &AppState) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| {
        tracing::error!(error = %e, "csv");
        AppError::internal()
    };
    w.write_record(CSV_HEADER).map_err(fail)?;
    for page in 0..CSV_MAX_PAGES {
        let rows = distretto_store::directory::page_all(
            &state.db,
            true,
            page * u64::from(CSV_PAGE_ROWS),
            CSV_PAGE_ROWS,
        )
        .await?;
        for o in &rows {
            let fte = distretto_domain::directory::WorkersFte(o.workers_fte_hundredths).to_string();
            let opt = |v: Option<String>| v.unwrap_or_default();
            w.write_record([
                o.id.to_string(),
                o.name.clone(),
                o.kind.clone(),
                o.legal_form.clone(),
                o.sector.clone(),
                o.description.clone(),
                opt(o.website.clone()),
                opt(o.contact_email.clone()),
                opt(o.phone.clone()),
                o.address.clone(),
                o.postcode.clone(),
                o.locality.clone(),
                opt(o.lat.map(|v| v.to_string())),
                opt(o.lon.map(|v| v.to_string())),
                opt(o.founded_year.map(|v| v.to_string())),
                fte,
                opt(o.charter_signed_at.and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })),
            ])
            .map_err(fail)?;
        }
        if rows.len() < CSV_PAGE_ROWS as usize {
            break;
        }
    }
    w.into_inner().map_err(|_| AppError::internal())
}

/// The whole directory as CSV (open data).
#[utoipa::path(get, path = "/api/v1/directory.csv", tag = "directory",
    responses((status = 200, content_type = "text/csv", body = String)))]
async fn directory_csv(State(state): State<AppState>) -> Result<Response, AppError> {
    let body = directory_csv_bytes(&state).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"directory.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// The Murmurations profile of an active organisation, from its stored row.
pub fn murmurations_of(state: &AppState, o: &OrganizationRow) -> Option<serde_json::Value> {
    use distretto_domain::directory::murmurations::{MurmurationsInput, MurmurationsProfile};
    use distretto_domain::directory::{OrganizationKind, Sector};
    let base = state.config.public_url.trim_end_matches('/');
    let input = MurmurationsInput {
        name: o.name.clone(),
        description: o.description.clone(),
        website: o.website.clone(),
        contact_email: o.contact_email.clone(),
        phone: o.phone.clone(),
        address: o.address.clone(),
        postcode: o.postcode.clone(),
        locality: o.locality.clone(),
        country_iso_3166: state.config.country_iso_3166.clone(),
        lat: o.lat,
        lon: o.lon,
        founded_year: o.founded_year,
        kind: OrganizationKind::parse(&o.kind)?,
        sector: Sector::parse(&o.sector)?,
        profile_url: format!("{base}/organizations/{}", o.id),
        district_name: state.config.district_name.clone(),
        district_url: Some(base.to_owned()),
    };
    serde_json::to_value(MurmurationsProfile::from_directory(&input)).ok()
}

/// One entry of the Murmurations profile index.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ProfileLink {
    /// Organisation id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// URL of its Murmurations profile, to submit to a Murmurations index.
    pub profile_url: String,
    /// When the profile last changed, Unix seconds (as the Murmurations index's
    /// `last_updated`): an aggregator fetches again only the profiles changed since its last
    /// crawl.
    pub last_updated: i64,
    /// The schemas the profile is built against.
    pub linked_schemas: Vec<String>,
}

/// Every active organisation's Murmurations profile URL and when it last changed, for
/// aggregators to crawl (paged like every list, by name).
#[utoipa::path(get, path = "/api/v1/murmurations", tag = "open data", params(DirectoryParams),
    responses((status = 200, body = List<ProfileLink>), (status = 400, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn murmurations_index(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<DirectoryParams>,
) -> Result<Json<List<ProfileLink>>, AppError> {
    use distretto_domain::directory::murmurations::ORGANIZATIONS_SCHEMA;
    let page = service::search(&state, &p.parse()?).await?;
    let ids: Vec<Uuid> = page.items.iter().map(|o| o.id).collect();
    let updated: std::collections::HashMap<Uuid, time::OffsetDateTime> =
        distretto_store::directory::updated_at_of(&state.db, &ids)
            .await?
            .into_iter()
            .collect();
    let base = state.config.public_url.trim_end_matches('/').to_owned();
    let items = page
        .items
        .into_iter()
        .map(|o| ProfileLink {
            profile_url: format!("{base}/api/v1/murmurations/organizations/{}", o.id),
            last_updated: updated.get(&o.id).map_or(0, |t| t.unix_timestamp()),
            linked_schemas: vec![ORGANIZATIONS_SCHEMA.to_owned()],
            id: o.id,
            name: o.name,
        })
        .collect();
    Ok(Json(List {
        items,
        total: page.total,
    }))
}

/// An organisation as a Murmurations `organizations_schema-v1.0.0` profile, with ESSGlobal terms.
#[utoipa::path(get, path = "/api/v1/murmurations/organizations/{id}", tag = "open data", params(("id" = Uuid, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorBody)))]
async fn murmurations_profile(
    State(state): State<AppState>,
    ApiId(id): ApiId,
) -> Result<Json<serde_json::Value>, AppError> {
    let org = service::profile(&state, None, id).await?;
    murmurations_of(&state, &org)
        .map(Json)
        .ok_or_else(AppError::internal)
}
