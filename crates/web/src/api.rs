//! The JSON API under `/api/v1`, documented by OpenAPI generated from the handlers.

use crate::{AppError, AppState};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// The OpenAPI document's static part.
#[derive(OpenApi)]
#[openapi(
    info(title = "Distretto API", description = "The API of a solidarity economy district: directory, membership, and (as they land) ledger, clearing, purchasing, governance.", license(name = "AGPL-3.0-or-later")),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every `/api/v1` route with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::auth::api::router())
        .merge(crate::directory::api::router())
        .merge(crate::membership::api::router())
        .merge(crate::ledger::api::router())
        .merge(crate::governance::api::router())
        .merge(crate::market::listings::api_router())
        .merge(crate::market::resources::api_router())
        .merge(crate::federation::api::router())
        .merge(crate::impact::api::router())
        .merge(crate::audit::api::router())
}

/// A list answer, as CONTRACT.md promises: `{"items":[…],"total":N}`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct List<T: utoipa::ToSchema> {
    /// This page.
    pub items: Vec<T>,
    /// How many match in all.
    pub total: i64,
}

/// A JSON body whose rejections become CONTRACT error objects.
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
            )),
            Err(JsonRejection::BytesRejection(_)) => Err(AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
            )),
            Err(JsonRejection::JsonDataError(_)) => Err(AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_json",
            )),
            Err(_) => Err(AppError::bad_request("invalid_json")),
        }
    }
}

/// Query parameters whose rejections become CONTRACT error objects.
pub struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|_: QueryRejection| AppError::bad_request("invalid_query"))
    }
}

/// A path `{id}` that must be a UUID; anything else is 404, as an unknown id would be.
pub struct ApiId(pub uuid::Uuid);

impl<S: Send + Sync> FromRequestParts<S> for ApiId {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<uuid::Uuid>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|_| AppError::not_found())
    }
}
