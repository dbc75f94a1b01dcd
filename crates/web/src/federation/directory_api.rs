//! `GET /api/v1/federation/listings`: the open offers and needs of linked districts, with
//! their origin, as `GET /api/v1/federation/organizations` gives their organisations.

use super::api::{DistrictAnswer, Origin};
use super::directory::{self, DistrictResults, ListingFilter, RemoteListing};
use crate::api::ApiQuery;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(listings))
}

/// A search of the linked districts' marketplaces; empty parameters are no filter.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FederatedListingQuery {
    /// Words, as in the marketplace's own search.
    #[serde(default)]
    pub q: String,
    /// `offer` or `need`.
    #[serde(default)]
    pub side: String,
    /// `good`, `service`, `skill`, `equipment_loan` or `space`.
    #[serde(default)]
    pub kind: String,
    /// A category code.
    #[serde(default)]
    pub category: String,
}

/// An offer or a need of a linked district.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct FederatedListing {
    pub origin: Origin,
    /// The listing's page on its own district.
    pub url: String,
    #[serde(flatten)]
    pub listing: RemoteListing,
}

/// The answer of a federated marketplace search.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct FederatedListings {
    pub items: Vec<FederatedListing>,
    pub total: i64,
    /// How each linked district answered.
    pub districts: Vec<DistrictAnswer>,
}

fn flatten(parts: Vec<DistrictResults<RemoteListing>>) -> FederatedListings {
    let mut items = Vec::new();
    let mut districts = Vec::with_capacity(parts.len());
    for p in parts {
        districts.push(DistrictAnswer {
            url: p.url.clone(),
            name: p.name.clone(),
            freshness: p.freshness.code().into(),
        });
        let base = p.url.trim_end_matches('/');
        items.extend(p.items.into_iter().map(|listing| FederatedListing {
            origin: Origin {
                url: p.url.clone(),
                name: p.name.clone(),
            },
            url: format!("{base}/market/{}", listing.id),
            listing,
        }));
    }
    let total = i64::try_from(items.len()).unwrap_or(i64::MAX);
    FederatedListings {
        items,
        total,
        districts,
    }
}

/// Search the open offers and needs of every linked district at once (up to 50 each); each
/// carries its `origin` and its page there. Prices in credit are in the origin district's
/// credit (`credit_currency`). Answers are cached for five minutes and served stale while a
/// district is down.
#[utoipa::path(get, path = "/api/v1/federation/listings", tag = "federation", params(FederatedListingQuery),
    responses((status = 200, body = FederatedListings), (status = 400, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn listings(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<FederatedListingQuery>,
) -> Result<Json<FederatedListings>, AppError> {
    let filter = ListingFilter {
        q: query.q,
        side: query.side,
        kind: query.kind,
        category: query.category,
    };
    let parts = directory::search_listings(&state, &filter).await?;
    Ok(Json(flatten(parts)))
}
