//! Directory pages: search and filters, map, profile, profile editing.

use super::api::DirectoryParams;
use super::service;
use crate::auth::Viewer;
use crate::pages::{Chrome, PageForm, encode_query, render, render_status};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use distretto_domain::directory::ProfileInput;
use distretto_store::directory::{OrganizationRow, OrganizationSummary};
use distretto_store::membership::OrganizationMember;
use uuid::Uuid;

pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/directory", axum::routing::get(directory_page))
        .route("/directory/points.json", axum::routing::get(points))
        .route("/map", axum::routing::get(map_page))
        .route("/organizations/{id}", axum::routing::get(profile_page))
        .route(
            "/organizations/{id}/edit",
            axum::routing::get(edit_form).post(edit_submit),
        )
}

/// The most points the map draws (a national district has ~60,000 members).
pub const MAX_MAP_POINTS: u32 = 100_000;

/// A page path `{id}`: anything but a UUID is an unknown page.
pub(crate) fn parse_id(s: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(s).map_err(|_| AppError::not_found())
}

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    c: Chrome,
    params: DirectoryParams,
    items: Vec<OrganizationSummary>,
    total: i64,
    first: u64,
    last: u64,
    prev: Option<String>,
    next: Option<String>,
    places: std::sync::Arc<Vec<String>>,
    filters_query: String,
    max_place_options: usize,
}

/// Up to this many places the filter is a list to choose from; beyond, a text field (a list of
/// hundreds of towns helps nobody on a phone and weighs down every page).
const MAX_PLACE_OPTIONS: usize = 60;

impl DirectoryParams {
    fn filters_query(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("q", &self.q),
            ("kind", &self.kind),
            ("sector", &self.sector),
            ("place", &self.place),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", encode_query(v)));
            }
        }
        parts.join("&")
    }

    /// The value of a text filter, for re-filling the form.
    pub fn value(&self, name: &str) -> &str {
        match name {
            "q" => self.q.as_deref(),
            "kind" => self.kind.as_deref(),
            "sector" => self.sector.as_deref(),
            "place" => self.place.as_deref(),
            _ => None,
        }
        .unwrap_or_default()
    }
}

async fn directory_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: axum::http::Uri,
    params: Result<Query<DirectoryParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let params = params
        .map(|q| q.0)
        .map_err(|_| AppError::bad_request("invalid_query"))?;
    let query = params.parse()?;
    // A visitor's page holds nothing personal (no form token, no name): share it for a second.
    let key = format!("page {} {uri}", viewer.lang.code());
    let _flight = match viewer.actor {
        Some(_) => None,
        None => {
            if let Some(cached) = state.directory_cache.response(&key) {
                return Ok(cached.into_response());
            }
            let flight = state.directory_cache.answer_flight(&key).await;
            if let Some(cached) = state.directory_cache.response(&key) {
                return Ok(cached.into_response());
            }
            Some(flight)
        }
    };
    let page = service::search(&state, &query).await?;
    let places = service::places(&state).await?;
    let filters_query = params.filters_query();
    let sep = if filters_query.is_empty() { "" } else { "&" };
    let limit = u64::from(query.limit);
    let total = page.total.max(0) as u64;
    let prev = (query.offset > 0).then(|| {
        format!(
            "/directory?{filters_query}{sep}offset={}",
            query.offset.saturating_sub(limit)
        )
    });
    let next = (query.offset + limit < total).then(|| {
        format!(
            "/directory?{filters_query}{sep}offset={}",
            query.offset + limit
        )
    });
    let here = format!("/directory?{filters_query}");
    let html = DirectoryPage {
        c: Chrome::new(&state, &viewer, &here),
        first: if page.items.is_empty() {
            0
        } else {
            query.offset + 1
        },
        last: query.offset + page.items.len() as u64,
        items: page.items,
        total: page.total,
        prev,
        next,
        places,
        filters_query,
        params,
        max_place_options: MAX_PLACE_OPTIONS,
    }
    .render()
    .map_err(|e| {
        tracing::error!(error = %e, "template rendering failed");
        AppError::internal()
    })?;
    let rendered = service::CachedResponse {
        body: html.into(),
        content_type: "text/html; charset=utf-8",
    };
    if viewer.actor.is_none() {
        state.directory_cache.keep_response(key, rendered.clone());
    }
    Ok(rendered.into_response())
}

/// One map point.
#[derive(serde::Serialize)]
struct Point {
    id: Uuid,
    name: String,
    kind: String,
    sector: String,
    locality: String,
    lat: Option<f64>,
    lon: Option<f64>,
    url: String,
}

/// `GET /directory/points.json`: the map's points under the directory's filters.
async fn points(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    params: Result<Query<DirectoryParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let key = format!("points {uri}");
    if let Some(cached) = state.directory_cache.response(&key) {
        return Ok(cached.into_response());
    }
    let _flight = state.directory_cache.answer_flight(&key).await;
    if let Some(cached) = state.directory_cache.response(&key) {
        return Ok(cached.into_response());
    }
    let params = params
        .map(|q| q.0)
        .map_err(|_| AppError::bad_request("invalid_query"))?;
    let query = DirectoryParams {
        limit: None,
        offset: None,
        ..params
    }
    .parse()?;
    let rows = distretto_store::directory::map_points(&state.db, &query, MAX_MAP_POINTS).await?;
    let total = rows.len() as i64;
    let items: Vec<Point> = rows
        .into_iter()
        .map(|o| Point {
            url: format!("/organizations/{}", o.id),
            id: o.id,
            name: o.name,
            kind: o.kind,
            sector: o.sector,
            locality: o.locality,
            lat: o.lat,
            lon: o.lon,
        })
        .collect();
    let body = serde_json::to_vec(&serde_json::json!({ "items": items, "total": total }))
        .map_err(|_| AppError::internal())?;
    let cached = service::CachedResponse {
        body: body.into(),
        content_type: "application/json",
    };
    state.directory_cache.keep_response(key, cached.clone());
    Ok(cached.into_response())
}

#[derive(Template)]
#[template(path = "map.html")]
struct MapPage {
    c: Chrome,
    filters_query: String,
    tiles: String,
    attribution: String,
}

async fn map_page(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<DirectoryParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let params = params
        .map(|q| q.0)
        .map_err(|_| AppError::bad_request("invalid_query"))?;
    params.parse()?;
    let filters_query = params.filters_query();
    Ok(render(&MapPage {
        c: Chrome::new(&state, &viewer, &format!("/map?{filters_query}")),
        filters_query,
        tiles: state.config.tile_url.clone(),
        attribution: state.config.tile_attribution.clone(),
    }))
}

#[derive(Template)]
#[template(path = "organization.html")]
struct ProfilePage {
    c: Chrome,
    org: OrganizationRow,
    workers_fte: String,
    members: Vec<OrganizationMember>,
    may_administer: bool,
    may_apply: bool,
    invitation_url: Option<String>,
    tiles: String,
    attribution: String,
    notice: Option<&'static str>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ProfileQuery {
    done: Option<String>,
}

/// Builds the profile page (also used to show a fresh invitation link).
pub(crate) async fn profile_view(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    invitation_url: Option<String>,
    notice: Option<&'static str>,
) -> Result<Response, AppError> {
    let org = service::profile(state, viewer.actor.as_ref(), id).await?;
    let members = distretto_store::membership::members_of(&state.db, id, 200).await?;
    let (may_administer, may_apply) = match &viewer.actor {
        Some(a) => (
            service::may_administer(state, a, id).await?,
            org.status == "active" && !members.iter().any(|m| m.person_id == a.id),
        ),
        None => (false, org.status == "active"),
    };
    Ok(render(&ProfilePage {
        c: Chrome::new(state, viewer, &format!("/organizations/{id}")),
        workers_fte: distretto_domain::directory::WorkersFte(org.workers_fte_hundredths)
            .to_string(),
        org,
        members,
        may_administer,
        may_apply,
        invitation_url,
        tiles: state.config.tile_url.clone(),
        attribution: state.config.tile_attribution.clone(),
        notice,
    }))
}

async fn profile_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<ProfileQuery>,
) -> Result<Response, AppError> {
    let notice = match q.done.as_deref() {
        Some("saved") => Some("notice_saved"),
        Some("status") => Some("notice_status_changed"),
        Some("joined") => Some("notice_joined"),
        _ => None,
    };
    profile_view(&state, &viewer, parse_id(&id)?, None, notice).await
}

#[derive(Template)]
#[template(path = "organization_edit.html")]
struct EditPage {
    c: Chrome,
    id: Uuid,
    form: ProfileInput,
    error: Option<AppError>,
}

async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let org = service::profile(&state, Some(actor), id).await?;
    if !service::may_administer(&state, actor, id).await? {
        return Err(AppError::forbidden());
    }
    let form = service::input_of(&org);
    Ok(render(&EditPage {
        c: Chrome::new(&state, &viewer, &format!("/organizations/{id}/edit")),
        id,
        form,
        error: None,
    }))
}

async fn edit_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(form): PageForm<ProfileInput>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    match service::update(&state, actor, id, &form).await {
        Ok(_) => Ok(Redirect::to(&format!("/organizations/{id}?done=saved")).into_response()),
        Err(e) if e.status == axum::http::StatusCode::UNPROCESSABLE_ENTITY => Ok(render_status(
            e.status,
            &EditPage {
                c: Chrome::new(&state, &viewer, &format!("/organizations/{id}/edit")),
                id,
                form,
                error: Some(e),
            },
        )),
        Err(e) => Err(e),
    }
}
