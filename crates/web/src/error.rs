//! The web error: a status and a stable snake_case code that is also the Fluent message id.
//! API requests get the CONTRACT error object; page requests get an error page in their language.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error answered to the client.
#[derive(Debug, Clone)]
pub struct AppError {
    /// HTTP status: 4xx for anything the client did, 5xx only for our failures.
    pub status: StatusCode,
    /// Stable snake_case code, also the Fluent message id.
    pub code: &'static str,
    /// The input field concerned, if any.
    pub field: Option<&'static str>,
}

impl AppError {
    /// An error with a status and code.
    pub const fn new(status: StatusCode, code: &'static str) -> Self {
        Self {
            status,
            code,
            field: None,
        }
    }
    /// 400 for malformed input.
    pub const fn bad_request(code: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code)
    }
    /// 404 `not_found`.
    pub const fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found")
    }
    /// 401 `unauthenticated`.
    pub const fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated")
    }
    /// 403 `forbidden`.
    pub const fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden")
    }
    /// 409 with a code.
    pub const fn conflict(code: &'static str) -> Self {
        Self::new(StatusCode::CONFLICT, code)
    }
    /// 500 `internal_error`; the cause is logged by the caller, never shown.
    pub const fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
    }
}

impl From<distretto_domain::Invalid> for AppError {
    fn from(e: distretto_domain::Invalid) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: e.code,
            field: Some(e.field),
        }
    }
}

impl From<distretto_store::StoreError> for AppError {
    fn from(e: distretto_store::StoreError) -> Self {
        use distretto_store::StoreError as E;
        match e {
            E::NotFound => Self::not_found(),
            E::Conflict => Self::conflict("conflict"),
            other => {
                tracing::error!(error = ?other, "store failure");
                Self::internal()
            }
        }
    }
}

/// The JSON error body of CONTRACT.md.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The error inside [`ErrorBody`].
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code.
    pub code: String,
    /// A human message in the negotiated language.
    pub message: String,
    /// The input field concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        // The message is filled in English here; `render_page_errors` re-renders for the
        // negotiated language (JSON for the API, an HTML page elsewhere).
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.into(),
                message: crate::i18n::Lang::En.t(self.code),
                field: self.field.map(Into::into),
            },
        };
        let mut res = (self.status, axum::Json(body)).into_response();
        res.extensions_mut().insert(self);
        res
    }
}

/// Turns an [`AppError`] into the right body for the request: the JSON error object in the
/// caller's language under `/api/`, an HTML error page elsewhere. Also maps axum's own
/// rejections (unknown route handled by fallback; body too large; bad method) to our codes.
pub async fn render_page_errors(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let here = req
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |pq| pq.as_str().to_owned());
    // Only what an error page needs of the request (who and which language), not every header.
    let mut headers = axum::http::HeaderMap::new();
    for name in [
        axum::http::header::COOKIE,
        axum::http::header::ACCEPT_LANGUAGE,
    ] {
        for value in req.headers().get_all(&name) {
            headers.append(name.clone(), value.clone());
        }
    }
    let fresh = req
        .extensions()
        .get::<crate::auth::viewer::FreshAnonCookie>()
        .map(|f| f.0.clone());
    let res = next.run(req).await;
    let err = match res.extensions().get::<AppError>() {
        Some(e) => e.clone(),
        None => match res.status() {
            StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            }
            StatusCode::METHOD_NOT_ALLOWED => {
                AppError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
            }
            StatusCode::REQUEST_TIMEOUT => {
                AppError::new(StatusCode::REQUEST_TIMEOUT, "request_timeout")
            }
            _ => return res,
        },
    };
    if res
        .extensions()
        .get::<crate::pages::RenderedErrorPage>()
        .is_some()
    {
        return res;
    }
    if path.starts_with("/api/") {
        let lang = crate::i18n::negotiate(&headers, state.config.default_lang);
        let body = ErrorBody {
            error: ErrorDetail {
                code: err.code.into(),
                message: lang.t(err.code),
                field: err.field.map(Into::into),
            },
        };
        let mut out = (err.status, axum::Json(body)).into_response();
        out.extensions_mut().insert(err);
        return out;
    }
    // The page shows who is signed in, in their language; if even that fails, a visitor's page.
    let viewer = match crate::auth::Viewer::from_headers(&state, &headers, fresh.as_deref()).await {
        Ok(v) => v,
        Err(_) => crate::auth::Viewer {
            actor: None,
            lang: crate::i18n::negotiate(&headers, state.config.default_lang),
            csrf: String::new(),
            session_hash: None,
        },
    };
    crate::pages::error_page(&state, &viewer, &err, &here)
}
