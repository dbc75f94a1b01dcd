//! `/api/v1/market`: search, read and publish offers and needs, their matches, take-ups and
//! references, and the open listings as Murmurations `offers_wants_schema` profiles.

use super::service;
use crate::api::{ApiId, ApiJson, ApiQuery, List};
use crate::auth::ApiCaller;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use distretto_domain::market::listing::murmurations::{self, ListingFacts, OffersWantsProfile};
use distretto_domain::market::listing::{
    ListingCategory, ListingInput, ListingKind, ListingQuery, ListingSide, PriceTerms, QueryInput,
};
use distretto_store::market::listings::{ListingRow, ReferenceRow, TakeupRow};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_listings, publish))
        .routes(routes!(get_listing))
        .routes(routes!(listing_matches))
        .routes(routes!(withdraw))
        .routes(routes!(take_up))
        .routes(routes!(leave_reference))
        .routes(routes!(murmurations_listings))
}

/// Search parameters.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListingParams {
    /// Words searched in title, description and place, ignoring accents and case.
    pub q: Option<String>,
    /// `offer` or `need`.
    pub side: Option<String>,
    /// `good`, `service`, `skill`, `equipment_loan` or `space`.
    pub kind: Option<String>,
    /// A category code (see the `category` enum of a listing).
    pub category: Option<String>,
    /// Latitude of the point to search around (with `lon`); results nearest first.
    pub lat: Option<f64>,
    /// Longitude of the point to search around.
    pub lon: Option<f64>,
    /// Radius around the point, km (default 25, at most 500).
    pub radius_km: Option<f64>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u64>,
}

impl ListingParams {
    fn parse(self) -> Result<ListingQuery, AppError> {
        Ok(ListingQuery::parse(&QueryInput {
            q: self.q,
            side: self.side,
            kind: self.kind,
            category: self.category,
            lat: self.lat,
            lon: self.lon,
            radius_km: self.radius_km,
            limit: self.limit,
            offset: self.offset,
        })?)
    }
}

/// Who a listing belongs to.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ListingOwner {
    /// `person` or `organization`.
    pub kind: String,
    pub id: Uuid,
}

/// An offer or a need.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Listing {
    pub id: Uuid,
    /// `offer` or `need`.
    pub side: String,
    /// `good`, `service`, `skill`, `equipment_loan` or `space`.
    pub kind: String,
    /// Category code.
    pub category: String,
    /// The category's NACE Rev. 2 group, e.g. `01.1`.
    pub nace: String,
    /// The category's ESSGlobal economic activity URI.
    pub essglobal_activity: Option<String>,
    pub title: String,
    pub description: String,
    /// Price in minor units of the district credit.
    pub credit_minor: Option<i64>,
    /// The code of the district credit `credit_minor` counts in, so that another district
    /// showing this listing does not take it for its own credit.
    pub credit_currency: String,
    /// Decimals of the district credit.
    pub credit_scale: u32,
    /// Price in euro cents.
    pub euro_cents: Option<i64>,
    /// No price: a gift.
    pub gift: bool,
    pub locality: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    #[schema(value_type = Option<String>, format = Date)]
    pub available_from: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub valid_until: String,
    pub owner: ListingOwner,
    /// `open`, `taken_up` or `withdrawn`.
    pub status: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
    /// Distance from the searched point, km (searches around a point only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    /// Matching score (matches only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<u32>,
}

/// A listing's JSON.
pub fn listing_json(
    r: ListingRow,
    currency: &distretto_domain::ledger::Currency,
    distance_km: Option<f64>,
    score: Option<u32>,
) -> Listing {
    let category = ListingCategory::parse(&r.category);
    Listing {
        id: r.id,
        nace: category.map(|c| c.nace().to_owned()).unwrap_or_default(),
        essglobal_activity: category
            .and_then(|c| c.essglobal_activity())
            .map(|a| a.uri.to_owned()),
        side: r.side,
        kind: r.kind,
        category: r.category,
        title: r.title,
        description: r.description,
        gift: r.credit_minor.is_none() && r.euro_cents.is_none(),
        credit_minor: r.credit_minor,
        credit_currency: currency.code.clone(),
        credit_scale: u32::from(currency.scale),
        euro_cents: r.euro_cents,
        locality: r.locality,
        lat: r.lat,
        lon: r.lon,
        available_from: r.available_from.map(|d| d.to_string()),
        valid_until: r.valid_until.to_string(),
        owner: match (r.owner_person_id, r.owner_organization_id) {
            (Some(p), _) => ListingOwner {
                kind: "person".into(),
                id: p,
            },
            (None, o) => ListingOwner {
                kind: "organization".into(),
                id: o.unwrap_or_default(),
            },
        },
        status: r.status,
        created_at: r
            .created_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        distance_km: distance_km.map(|d| (d * 100.0).round() / 100.0),
        score,
    }
}

/// Open offers and needs: by words, side, kind, category, and around a point (nearest first;
/// otherwise newest first). Public.
#[utoipa::path(get, path = "/api/v1/market/listings", tag = "market", params(ListingParams),
    responses((status = 200, body = List<Listing>), (status = 400, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn list_listings(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListingParams>,
) -> Result<Json<List<Listing>>, AppError> {
    let q = params.parse()?;
    let found = service::search(&state, &q).await?;
    Ok(Json(List {
        items: found
            .items
            .into_iter()
            .map(|(r, d)| listing_json(r, &state.config.currency, d, None))
            .collect(),
        total: found.total,
    }))
}

/// A listing to publish; `organization` publishes it for an organisation the caller administers.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewListing {
    /// `offer` or `need`.
    pub side: String,
    /// `good`, `service`, `skill`, `equipment_loan` or `space`.
    pub kind: String,
    pub category: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Price in minor units of the district credit (positive), if any.
    pub credit_minor: Option<i64>,
    /// Price in euro cents (positive), if any. Neither price: a gift.
    pub euro_cents: Option<i64>,
    #[serde(default)]
    pub locality: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub available_from: String,
    /// `YYYY-MM-DD`, today or later, at most a year ahead.
    pub valid_until: String,
    pub organization: Option<Uuid>,
}

/// Publishes an offer or a need; owners of matching listings are notified.
#[utoipa::path(post, path = "/api/v1/market/listings", tag = "market", request_body = NewListing, security(("bearer" = [])),
    responses((status = 201, body = Listing), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn publish(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(n): ApiJson<NewListing>,
) -> Result<(StatusCode, Json<Listing>), AppError> {
    let actor = caller.actor()?;
    let input = ListingInput {
        side: n.side,
        kind: n.kind,
        category: n.category,
        title: n.title,
        description: n.description,
        credit_minor: n.credit_minor,
        euro_cents: n.euro_cents,
        locality: n.locality,
        lat: n.lat,
        lon: n.lon,
        available_from: n.available_from,
        valid_until: n.valid_until,
    };
    let row = service::publish(&state, actor, &input, n.organization).await?;
    Ok((
        StatusCode::CREATED,
        Json(listing_json(row, &state.config.currency, None, None)),
    ))
}

/// One listing. Public.
#[utoipa::path(get, path = "/api/v1/market/listings/{id}", tag = "market", params(("id" = Uuid, Path)),
    responses((status = 200, body = Listing), (status = 404, body = crate::error::ErrorBody)))]
async fn get_listing(
    State(state): State<AppState>,
    ApiId(id): ApiId,
) -> Result<Json<Listing>, AppError> {
    let row = distretto_store::market::listings::get(&state.db, id).await?;
    Ok(Json(listing_json(row, &state.config.currency, None, None)))
}

/// The open listings of the other side that best match this one (same category, then same
/// sector; shared title words; within 50 km), best first, with `score` and `distance_km`.
#[utoipa::path(get, path = "/api/v1/market/listings/{id}/matches", tag = "market", params(("id" = Uuid, Path)),
    responses((status = 200, body = List<Listing>), (status = 404, body = crate::error::ErrorBody)))]
async fn listing_matches(
    State(state): State<AppState>,
    ApiId(id): ApiId,
) -> Result<Json<List<Listing>>, AppError> {
    let row = distretto_store::market::listings::get(&state.db, id).await?;
    let found = service::matches(&state, &row, service::MAX_MATCHES).await?;
    let total = i64::try_from(found.len()).unwrap_or(0);
    Ok(Json(List {
        items: found
            .into_iter()
            .map(|(r, s)| listing_json(r, &state.config.currency, s.distance_km, Some(s.score)))
            .collect(),
        total,
    }))
}

/// The owner withdraws an open listing.
#[utoipa::path(post, path = "/api/v1/market/listings/{id}/withdraw", tag = "market", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Listing), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn withdraw(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<Listing>, AppError> {
    let actor = caller.actor()?;
    service::withdraw(&state, actor, id).await?;
    let row = distretto_store::market::listings::get(&state.db, id).await?;
    Ok(Json(listing_json(row, &state.config.currency, None, None)))
}

/// Which of the caller's accounts takes part (default: their own).
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TakeUpInput {
    pub account: Option<Uuid>,
}

/// A take-up.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Takeup {
    pub id: Uuid,
    pub listing: Uuid,
    pub taker: Uuid,
    /// The payment request made for the credit price (the receiver pays it).
    pub payment_request: Option<Uuid>,
    /// The invoice made for the euro price.
    pub invoice: Option<Uuid>,
}

fn takeup_json(t: TakeupRow) -> Takeup {
    Takeup {
        id: t.id,
        listing: t.listing_id,
        taker: t.taker_id,
        payment_request: t.payment_request_id,
        invoice: t.invoice_id,
    }
}

/// Takes up an open listing of someone else: a credit price becomes a payment request from
/// the provider to the receiver, a euro price an invoice; a gift is recorded only.
#[utoipa::path(post, path = "/api/v1/market/listings/{id}/takeup", tag = "market", params(("id" = Uuid, Path)), request_body = TakeUpInput, security(("bearer" = [])),
    responses((status = 201, body = Takeup), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn take_up(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    ApiJson(input): ApiJson<TakeUpInput>,
) -> Result<(StatusCode, Json<Takeup>), AppError> {
    let actor = caller.actor()?;
    let t = service::take_up(&state, actor, id, input.account).await?;
    Ok((StatusCode::CREATED, Json(takeup_json(t))))
}

/// A reference: `positive`, `neutral` or `negative`, and a short text.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferenceInput {
    pub rating: String,
    #[serde(default)]
    pub text: String,
}

/// A reference left.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Reference {
    /// `owner` or `taker`.
    pub side: String,
    pub rating: String,
    pub text: String,
}

fn reference_json(r: ReferenceRow) -> Reference {
    Reference {
        side: r.side,
        rating: r.rating,
        text: r.text,
    }
}

/// Each side of a take-up (its owner, its taker) leaves one reference.
#[utoipa::path(post, path = "/api/v1/market/listings/{id}/references", tag = "market", params(("id" = Uuid, Path)), request_body = ReferenceInput, security(("bearer" = [])),
    responses((status = 201, body = Reference), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn leave_reference(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    ApiJson(input): ApiJson<ReferenceInput>,
) -> Result<(StatusCode, Json<Reference>), AppError> {
    let actor = caller.actor()?;
    let r = service::leave_reference(&state, actor, id, &input.rating, &input.text).await?;
    Ok((StatusCode::CREATED, Json(reference_json(r))))
}

/// Paging of the Murmurations list.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u64>,
}

/// Open offers and needs as Murmurations `offers_wants_schema-v0.1.0` profiles, newest first.
/// Public.
#[utoipa::path(get, path = "/api/v1/market/murmurations", tag = "market", params(PageParams),
    responses((status = 200, body = List<Object>), (status = 400, body = crate::error::ErrorBody)))]
async fn murmurations_listings(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<Json<serde_json::Value>, AppError> {
    let q = ListingQuery::parse(&QueryInput {
        limit: p.limit,
        offset: p.offset,
        ..QueryInput::default()
    })?;
    let found = service::search(&state, &q).await?;
    let base = state.config.public_url.trim_end_matches('/').to_owned();
    let items: Vec<OffersWantsProfile> = found
        .items
        .iter()
        .filter_map(|(r, _)| {
            Some(murmurations::profile(&ListingFacts {
                side: ListingSide::parse(&r.side)?,
                kind: ListingKind::parse(&r.kind)?,
                category: ListingCategory::parse(&r.category)?,
                title: &r.title,
                description: &r.description,
                price: PriceTerms {
                    credit_minor: r.credit_minor,
                    euro_cents: r.euro_cents,
                },
                lat: r.lat,
                lon: r.lon,
                valid_until: r.valid_until,
                details_url: format!("{base}/market/{}", r.id),
                primary_url: base.clone(),
                country_iso_3166: &state.config.country_iso_3166,
            }))
        })
        .collect();
    Ok(Json(
        serde_json::json!({ "items": items, "total": found.total }),
    ))
}
