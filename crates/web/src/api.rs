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

/// The OpenAPI document of every `/api/v1` operation, with the errors that the shared
/// extractors answer documented on each operation that uses them, so that the document lists
/// every status an operation can give without each handler repeating them:
/// - a bearer token (`security`): 401 `unauthenticated` or `invalid_token` ([`ApiCaller`]);
/// - a JSON body: 400 `invalid_json` (malformed), 413 `payload_too_large`,
///   415 `unsupported_media_type` and 422 `invalid_json` (well-formed, wrong shape) ([`ApiJson`]);
/// - query parameters: 400 `invalid_query` ([`ApiQuery`]); with `limit` or `offset`, 422
///   `invalid_limit` or `invalid_offset` (`membership::api::page`);
/// - path parameters: 404 `not_found` for an unknown or malformed id ([`ApiId`]).
///
/// An operation's own annotation wins where it already documents a status.
///
/// [`ApiCaller`]: crate::auth::ApiCaller
pub fn document(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::path::ParameterIn;
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let params = op.parameters.as_deref().unwrap_or_default();
            let has_in = |place: ParameterIn| {
                params.iter().any(|p| match p {
                    utoipa::openapi::RefOr::T(p) => p.parameter_in == place,
                    utoipa::openapi::RefOr::Ref(_) => false,
                })
            };
            let (query, path) = (has_in(ParameterIn::Query), has_in(ParameterIn::Path));
            let paged = params.iter().any(|p| match p {
                utoipa::openapi::RefOr::T(p) => {
                    p.parameter_in == ParameterIn::Query
                        && (p.name == "limit" || p.name == "offset")
                }
                utoipa::openapi::RefOr::Ref(_) => false,
            });
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let json_body = match &op.request_body {
                Some(utoipa::openapi::RefOr::T(b)) => b.content.contains_key("application/json"),
                Some(utoipa::openapi::RefOr::Ref(_)) => true,
                None => false,
            };
            let mut add = |status: &str, description: &str| {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error_response(description));
            };
            if secured {
                add(
                    "401",
                    "No valid bearer token (`unauthenticated`, `invalid_token`).",
                );
            }
            if json_body {
                add("400", "The body is not JSON (`invalid_json`).");
                add("413", "The body is too large (`payload_too_large`).");
                add(
                    "415",
                    "The body is not `application/json` (`unsupported_media_type`).",
                );
                add(
                    "422",
                    "The JSON does not have the expected shape (`invalid_json`) or a field is invalid.",
                );
            }
            if query {
                add("400", "A query parameter cannot be read (`invalid_query`).");
            }
            if paged {
                add(
                    "422",
                    "`limit` outside 1–500 (`invalid_limit`) or `offset` too large (`invalid_offset`).",
                );
            }
            if path {
                add("404", "No such object, or a malformed id (`not_found`).");
            }
        }
    }
    doc
}

/// A documented error answer: the CONTRACT error object.
fn error_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
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

/// Path parameters of any shape whose rejections (a malformed id, a number out of range, bad
/// percent-encoding) answer 404 `not_found` as a CONTRACT error object, as an unknown object
/// would, rather than axum's plain-text 400.
pub struct ApiPath<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|_| AppError::not_found())
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
