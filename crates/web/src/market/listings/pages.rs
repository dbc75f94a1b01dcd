//! Marketplace pages: browse and search (list and map), publish, a listing with its matches,
//! take-up and references, one's own listings, and the coordinators' unmet needs.

use super::service;
use crate::auth::Viewer;
use crate::auth::viewer::Actor;
use crate::i18n::Lang;
use crate::ledger::pages::money;
use crate::pages::{Chrome, PageForm, encode_query, render, render_status};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use distretto_domain::Invalid;
use distretto_domain::ledger::Currency;
use distretto_domain::ledger::money::parse_amount;
use distretto_domain::market::listing::{
    ListingCategory, ListingInput, ListingKind, ListingQuery, ListingSide, QueryInput,
    ReferenceRating,
};
use distretto_store::market::listings::{self as store, ListingRow};
use uuid::Uuid;

pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/market", axum::routing::get(browse))
        .route("/market/points.json", axum::routing::get(points))
        .route("/market/new", axum::routing::get(new_form).post(new_submit))
        .route("/market/mine", axum::routing::get(mine))
        .route("/market/{id}", axum::routing::get(detail))
        .route("/market/{id}/withdraw", axum::routing::post(withdraw))
        .route("/market/{id}/takeup", axum::routing::post(take_up))
        .route("/market/{id}/reference", axum::routing::post(reference))
        .route("/coordination/market", axum::routing::get(unmet))
}

/// Listings a page lists.
const PAGE: u32 = 30;
/// Points the map draws at most.
const MAX_POINTS: u32 = 2_000;
/// Places offered as "near" choices.
const MAX_PLACES: u32 = 300;

fn parse_id(s: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(s).map_err(|_| AppError::not_found())
}

/// A listing as a line of a list.
pub struct Line {
    pub id: Uuid,
    pub side: String,
    pub side_label: String,
    pub title: String,
    pub category_label: String,
    pub kind_label: String,
    pub price: String,
    pub locality: String,
    pub owner: String,
    pub distance: String,
    pub until: String,
    pub status_label: String,
}

fn price_text(lang: Lang, currency: &Currency, r: &ListingRow) -> String {
    let mut parts = Vec::new();
    if let Some(c) = r.credit_minor {
        parts.push(money(lang, currency, c));
    }
    if let Some(e) = r.euro_cents {
        parts.push(money(lang, &Currency::euro(), e));
    }
    if parts.is_empty() {
        lang.t("market_gift")
    } else {
        parts.join(" + ")
    }
}

fn date_text(d: time::Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

fn distance_text(lang: Lang, km: Option<f64>) -> String {
    match km {
        Some(km) if km < 10.0 => lang.t_args(
            "market_distance_km",
            &[(
                "km",
                format!("{km:.1}").replace('.', if lang == Lang::En { "." } else { "," }),
            )],
        ),
        Some(km) => lang.t_args("market_distance_km", &[("km", format!("{km:.0}"))]),
        None => String::new(),
    }
}

async fn lines(
    state: &AppState,
    lang: Lang,
    rows: Vec<(ListingRow, Option<f64>)>,
) -> Result<Vec<Line>, AppError> {
    let refs: Vec<&ListingRow> = rows.iter().map(|(r, _)| r).collect();
    let names = service::owner_names(state, &refs).await?;
    Ok(rows
        .into_iter()
        .map(|(r, d)| Line {
            id: r.id,
            side_label: lang.t(&format!("market_side_{}", r.side)),
            category_label: lang.t(&format!("market_category_{}", r.category)),
            kind_label: lang.t(&format!("market_kind_{}", r.kind)),
            price: price_text(lang, &state.config.currency, &r),
            owner: r
                .owner_organization_id
                .or(r.owner_person_id)
                .and_then(|o| names.get(&o).cloned())
                .unwrap_or_default(),
            distance: distance_text(lang, d),
            until: date_text(r.valid_until),
            status_label: lang.t(&format!("market_status_{}", r.status)),
            side: r.side,
            title: r.title,
            locality: r.locality,
        })
        .collect())
}

/// Labelled choices for selects.
pub struct Choice {
    pub code: String,
    pub label: String,
}

fn choices<T: Copy>(
    lang: Lang,
    all: &[T],
    prefix: &str,
    code: fn(T) -> &'static str,
) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice {
            code: code(*v).to_owned(),
            label: lang.t(&format!("{prefix}{}", code(*v))),
        })
        .collect()
}

/// The browse form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct BrowseParams {
    pub q: String,
    pub side: String,
    pub kind: String,
    pub category: String,
    /// `""`, or an organisation id whose position is the centre.
    pub near: String,
    pub radius_km: String,
    pub offset: Option<u64>,
}

impl BrowseParams {
    fn filters_query(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("q", &self.q),
            ("side", &self.side),
            ("kind", &self.kind),
            ("category", &self.category),
            ("near", &self.near),
            ("radius_km", &self.radius_km),
        ] {
            if !v.trim().is_empty() {
                parts.push(format!("{k}={}", encode_query(v.trim())));
            }
        }
        parts.join("&")
    }

    async fn query(&self, state: &AppState, limit: u32) -> Result<ListingQuery, AppError> {
        let (lat, lon) = if self.near.trim().is_empty() {
            (None, None)
        } else {
            let org = Uuid::parse_str(self.near.trim())
                .map_err(|_| AppError::from(Invalid::new("market_bad_position", "near")))?;
            let o = match distretto_store::directory::get(&state.db, org).await {
                Ok(o) => o,
                Err(distretto_store::StoreError::NotFound) => {
                    return Err(Invalid::new("market_bad_position", "near").into());
                }
                Err(e) => return Err(e.into()),
            };
            match (o.lat, o.lon) {
                (Some(a), Some(b)) => (Some(a), Some(b)),
                _ => return Err(Invalid::new("market_bad_position", "near").into()),
            }
        };
        let radius_km = match self.radius_km.trim() {
            "" => None,
            r => Some(
                r.parse::<f64>()
                    .map_err(|_| AppError::from(Invalid::new("market_bad_radius", "radius_km")))?,
            ),
        };
        Ok(ListingQuery::parse(&QueryInput {
            q: Some(self.q.clone()),
            side: Some(self.side.clone()),
            kind: Some(self.kind.clone()),
            category: Some(self.category.clone()),
            lat,
            lon,
            radius_km,
            limit: Some(limit),
            offset: self.offset,
        })?)
    }
}

/// A place to search around: an organisation with a position.
pub struct Place {
    pub id: Uuid,
    pub label: String,
    pub mine: bool,
    pub selected: bool,
}

async fn places(
    state: &AppState,
    actor: Option<&Actor>,
    chosen: &str,
) -> Result<Vec<Place>, AppError> {
    let mut out = Vec::new();
    let mut mine = std::collections::BTreeSet::new();
    if let Some(a) = actor {
        for o in distretto_store::membership::organizations_of(&state.db, a.id).await? {
            mine.insert(o.organization_id);
        }
    }
    let all = distretto_store::directory::map_points(
        &state.db,
        &distretto_domain::directory::DirectoryQuery::default(),
        MAX_PLACES,
    )
    .await?;
    for o in all {
        let label = if o.locality.is_empty() {
            o.name
        } else {
            format!("{} ({})", o.name, o.locality)
        };
        out.push(Place {
            mine: mine.contains(&o.id),
            selected: o.id.to_string() == chosen.trim(),
            id: o.id,
            label,
        });
    }
    // The member's own organisations first.
    out.sort_by_key(|p| !p.mine);
    Ok(out)
}

impl BrowsePage {
    /// Side labels as a JSON object, for the map's popups.
    fn side_labels_json(&self) -> String {
        let map: std::collections::BTreeMap<&str, String> = self
            .sides
            .iter()
            .map(|s| (s.code.as_str(), s.label.clone()))
            .collect();
        serde_json::to_string(&map).unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "market.html")]
struct BrowsePage {
    c: Chrome,
    params: BrowseParams,
    sides: Vec<Choice>,
    kinds: Vec<Choice>,
    categories: Vec<Choice>,
    places: Vec<Place>,
    items: Vec<Line>,
    total: i64,
    prev: Option<String>,
    next: Option<String>,
    filters_query: String,
    error: Option<AppError>,
    tiles: String,
    attribution: String,
}

async fn browse(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<BrowseParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let params = params
        .map(|q| q.0)
        .map_err(|_| AppError::bad_request("invalid_query"))?;
    let lang = viewer.lang;
    let filters_query = params.filters_query();
    let (found, error) = match params.query(&state, PAGE).await {
        Ok(q) => (Some((service::search(&state, &q).await?, q)), None),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => (None, Some(e)),
        Err(e) => return Err(e),
    };
    let (items, total, prev, next) = match found {
        Some((f, q)) => {
            let sep = if filters_query.is_empty() { "" } else { "&" };
            let limit = u64::from(q.limit);
            let prev = (q.offset > 0).then(|| {
                format!(
                    "/market?{filters_query}{sep}offset={}",
                    q.offset.saturating_sub(limit)
                )
            });
            let next = (q.offset + limit < f.total.max(0) as u64)
                .then(|| format!("/market?{filters_query}{sep}offset={}", q.offset + limit));
            (lines(&state, lang, f.items).await?, f.total, prev, next)
        }
        None => (Vec::new(), 0, None, None),
    };
    let page = BrowsePage {
        c: Chrome::new(&state, &viewer, &format!("/market?{filters_query}")),
        sides: choices(lang, ListingSide::ALL, "market_side_", ListingSide::code),
        kinds: choices(lang, ListingKind::ALL, "market_kind_", ListingKind::code),
        categories: choices(
            lang,
            ListingCategory::ALL,
            "market_category_",
            ListingCategory::code,
        ),
        places: places(&state, viewer.actor.as_ref(), &params.near).await?,
        params,
        items,
        total,
        prev,
        next,
        filters_query,
        tiles: state.config.tile_url.clone(),
        attribution: state.config.tile_attribution.clone(),
        error: error.clone(),
    };
    Ok(render_status(
        error.map_or(StatusCode::OK, |e| e.status),
        &page,
    ))
}

/// One map point, in the shape `map.js` draws.
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

async fn points(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<BrowseParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let params = params
        .map(|q| q.0)
        .map_err(|_| AppError::bad_request("invalid_query"))?;
    let q = BrowseParams {
        offset: None,
        ..params
    }
    .query(&state, 500)
    .await?;
    let mut items = Vec::new();
    let mut q = q;
    // Pages of 500 up to the bound: the map shows every located listing that matches.
    while items.len() < MAX_POINTS as usize {
        let found = service::search(&state, &q).await?;
        let n = found.items.len();
        for (r, _) in found.items {
            if r.lat.is_some() {
                items.push(Point {
                    url: format!("/market/{}", r.id),
                    id: r.id,
                    name: r.title,
                    kind: r.side,
                    sector: viewer.lang.t(&format!("market_category_{}", r.category)),
                    locality: r.locality,
                    lat: r.lat,
                    lon: r.lon,
                });
            }
        }
        if n < q.limit as usize {
            break;
        }
        q.offset += u64::from(q.limit);
    }
    let total = items.len();
    Ok(axum::Json(serde_json::json!({ "items": items, "total": total })).into_response())
}

/// The publish form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ListingForm {
    pub side: String,
    pub kind: String,
    pub category: String,
    pub title: String,
    pub description: String,
    pub credit: String,
    pub euro: String,
    pub locality: String,
    pub lat: String,
    pub lon: String,
    pub available_from: String,
    pub valid_until: String,
    /// `self` or an organisation id.
    pub owner: String,
}

impl ListingForm {
    fn input(&self, credit_scale: u8) -> Result<(ListingInput, Option<Uuid>), AppError> {
        let price = |text: &str, scale: u8, field: &'static str| -> Result<Option<i64>, AppError> {
            if text.trim().is_empty() {
                return Ok(None);
            }
            parse_amount(text, scale)
                .map(|a| Some(a.minor()))
                .map_err(|e| AppError::from(Invalid::new(e.code, field)))
        };
        let coord = |text: &str| -> Result<Option<f64>, AppError> {
            let t = text.trim().replace(',', ".");
            if t.is_empty() {
                return Ok(None);
            }
            t.parse::<f64>()
                .map(Some)
                .map_err(|_| Invalid::new("market_bad_position", "lat").into())
        };
        let owner = match self.owner.trim() {
            "" | "self" => None,
            o => Some(
                Uuid::parse_str(o)
                    .map_err(|_| AppError::from(Invalid::new("market_not_org_admin", "owner")))?,
            ),
        };
        Ok((
            ListingInput {
                side: self.side.clone(),
                kind: self.kind.clone(),
                category: self.category.clone(),
                title: self.title.clone(),
                description: self.description.clone(),
                credit_minor: price(&self.credit, credit_scale, "credit")?,
                euro_cents: price(&self.euro, 2, "euro")?,
                locality: self.locality.clone(),
                lat: coord(&self.lat)?,
                lon: coord(&self.lon)?,
                available_from: self.available_from.clone(),
                valid_until: self.valid_until.clone(),
            },
            owner,
        ))
    }
}

/// An organisation the member may publish for.
pub struct OwnerChoice {
    pub id: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "market_form.html")]
struct FormPage {
    c: Chrome,
    form: ListingForm,
    sides: Vec<Choice>,
    kinds: Vec<Choice>,
    categories: Vec<Choice>,
    owners: Vec<OwnerChoice>,
    credit_label: String,
    error: Option<AppError>,
}

impl FormPage {
    /// Whether the error concerns `field` (for `aria-invalid`).
    fn invalid(&self, field: &str) -> bool {
        self.error.as_ref().and_then(|e| e.field) == Some(field)
    }
}

async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    actor: &Actor,
    form: ListingForm,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let lang = viewer.lang;
    let owners = distretto_store::membership::organizations_of(&state.db, actor.id)
        .await?
        .into_iter()
        .filter(|o| o.role == "admin" && o.status == "active")
        .map(|o| OwnerChoice {
            id: o.organization_id.to_string(),
            name: o.name,
        })
        .collect();
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(render_status(
        status,
        &FormPage {
            c: Chrome::new(state, viewer, "/market/new"),
            form,
            sides: choices(lang, ListingSide::ALL, "market_side_", ListingSide::code),
            kinds: choices(lang, ListingKind::ALL, "market_kind_", ListingKind::code),
            categories: choices(
                lang,
                ListingCategory::ALL,
                "market_category_",
                ListingCategory::code,
            ),
            owners,
            credit_label: lang.t_args(
                "market_field_credit",
                &[("currency", state.config.currency.name.clone())],
            ),
            error,
        },
    ))
}

async fn new_form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let actor = viewer.actor()?.clone();
    let form = ListingForm {
        side: "offer".into(),
        owner: "self".into(),
        valid_until: (service::today() + time::Duration::days(30)).to_string(),
        ..ListingForm::default()
    };
    form_page(&state, &viewer, &actor, form, None).await
}

async fn new_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    PageForm(form): PageForm<ListingForm>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?.clone();
    let published = match form.input(state.config.currency.scale) {
        Ok((input, owner)) => service::publish(&state, &actor, &input, owner).await,
        Err(e) => Err(e),
    };
    match published {
        Ok(row) => Ok(Redirect::to(&format!("/market/{}?done=published", row.id)).into_response()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::UNAUTHORIZED => {
            form_page(&state, &viewer, &actor, form, Some(e)).await
        }
        Err(e) => Err(e),
    }
}

/// A match as the listing page shows it.
pub struct MatchLine {
    pub line: Line,
    pub score: u32,
}

/// A reference as shown.
pub struct ReferenceLine {
    pub side_label: String,
    pub rating: String,
    pub rating_label: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "market_listing.html")]
struct DetailPage {
    c: Chrome,
    l: ListingRow,
    line: Line,
    nace: String,
    essglobal: String,
    available_from: String,
    may_manage: bool,
    may_take_up: bool,
    takeup: Option<store::TakeupRow>,
    references: Vec<ReferenceLine>,
    may_reference: bool,
    ratings: Vec<Choice>,
    matches: Vec<MatchLine>,
    notice: Option<&'static str>,
    error: Option<AppError>,
    tiles: String,
    attribution: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DetailQuery {
    done: Option<String>,
}

async fn detail_view(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    notice: Option<&'static str>,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let lang = viewer.lang;
    let l = store::get(&state.db, id).await?;
    let category = ListingCategory::parse(&l.category);
    let line = lines(state, lang, vec![(l.clone(), None)])
        .await?
        .pop()
        .ok_or(AppError::internal())?;
    let (may_manage, party, takeup) = match &viewer.actor {
        Some(a) => {
            let manage = service::may_manage(state, a, &l).await?;
            let t = store::takeup_of(&state.db, id).await?;
            let party = match &t {
                Some(t) => service::side_of(state, a, &l, t).await?,
                None => None,
            };
            (manage, party, t)
        }
        None => (false, None, None),
    };
    let open = l.status == "open" && l.valid_until >= service::today();
    let references = match &takeup {
        Some(t) if party.is_some() => store::references_of(&state.db, t.id).await?,
        _ => Vec::new(),
    };
    let may_reference = party.is_some_and(|p| !references.iter().any(|r| r.side == p));
    let matches = if open {
        let found = service::matches(state, &l, 10).await?;
        let scores: Vec<u32> = found.iter().map(|(_, s)| s.score).collect();
        let rows = found.into_iter().map(|(r, s)| (r, s.distance_km)).collect();
        lines(state, lang, rows)
            .await?
            .into_iter()
            .zip(scores)
            .map(|(line, score)| MatchLine { line, score })
            .collect()
    } else {
        Vec::new()
    };
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(render_status(
        status,
        &DetailPage {
            c: Chrome::new(state, viewer, &format!("/market/{id}")),
            nace: category.map(|c| c.nace().to_owned()).unwrap_or_default(),
            essglobal: category
                .and_then(|c| c.essglobal_activity())
                .map(|a| a.label_en.to_owned())
                .unwrap_or_default(),
            available_from: l.available_from.map(date_text).unwrap_or_default(),
            may_take_up: open && !may_manage,
            may_manage: may_manage && open,
            references: references
                .into_iter()
                .map(|r| ReferenceLine {
                    side_label: lang.t(&format!("market_reference_by_{}", r.side)),
                    rating_label: lang.t(&format!("market_rating_{}", r.rating)),
                    rating: r.rating,
                    text: r.text,
                })
                .collect(),
            may_reference,
            ratings: choices(
                lang,
                ReferenceRating::ALL,
                "market_rating_",
                ReferenceRating::code,
            ),
            takeup: takeup.filter(|_| party.is_some()),
            l,
            line,
            matches,
            notice,
            error,
            tiles: state.config.tile_url.clone(),
            attribution: state.config.tile_attribution.clone(),
        },
    ))
}

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Result<Response, AppError> {
    let notice = match q.done.as_deref() {
        Some("published") => Some("market_notice_published"),
        Some("withdrawn") => Some("market_notice_withdrawn"),
        Some("taken") => Some("market_notice_taken"),
        Some("reference") => Some("market_notice_reference"),
        _ => None,
    };
    detail_view(&state, &viewer, parse_id(&id)?, notice, None).await
}

/// Runs an action of the listing page: on success back to the page with a notice; a refusal
/// shows the page again with the error, nothing changed.
async fn act(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    done: &str,
    result: Result<(), AppError>,
) -> Result<Response, AppError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/market/{id}?done={done}")).into_response()),
        Err(e)
            if e.status.is_client_error()
                && e.status != StatusCode::UNAUTHORIZED
                && e.status != StatusCode::NOT_FOUND =>
        {
            detail_view(state, viewer, id, None, Some(e)).await
        }
        Err(e) => Err(e),
    }
}

async fn withdraw(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(_f): PageForm<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?.clone();
    let result = service::withdraw(&state, &actor, id).await;
    act(&state, &viewer, id, "withdrawn", result).await
}

async fn take_up(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(_f): PageForm<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?.clone();
    let result = service::take_up(&state, &actor, id, None).await.map(|_| ());
    act(&state, &viewer, id, "taken", result).await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct ReferenceForm {
    rating: String,
    text: String,
}

async fn reference(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(f): PageForm<ReferenceForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?.clone();
    let result = service::leave_reference(&state, &actor, id, &f.rating, &f.text)
        .await
        .map(|_| ());
    act(&state, &viewer, id, "reference", result).await
}

#[derive(Template)]
#[template(path = "market_mine.html")]
struct MinePage {
    c: Chrome,
    items: Vec<Line>,
}

async fn mine(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let rows = store::of_author(&state.db, actor.id, 200).await?;
    let items = lines(
        &state,
        viewer.lang,
        rows.into_iter().map(|r| (r, None)).collect(),
    )
    .await?;
    Ok(render(&MinePage {
        c: Chrome::new(&state, &viewer, "/market/mine"),
        items,
    }))
}

/// A category the district lacks.
pub struct Unmet {
    pub code: String,
    pub label: String,
    pub nace: String,
    pub needs: i64,
}

#[derive(Template)]
#[template(path = "market_unmet.html")]
struct UnmetPage {
    c: Chrome,
    rows: Vec<Unmet>,
}

async fn unmet(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let rows = service::unmet_needs(&state, actor)
        .await?
        .into_iter()
        .map(|(code, needs)| Unmet {
            label: viewer.lang.t(&format!("market_category_{code}")),
            nace: ListingCategory::parse(&code)
                .map(|c| c.nace().to_owned())
                .unwrap_or_default(),
            code,
            needs,
        })
        .collect();
    Ok(render(&UnmetPage {
        c: Chrome::new(&state, &viewer, "/coordination/market"),
        rows,
    }))
}
