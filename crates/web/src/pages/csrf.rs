//! CSRF protection for every page form: a token bound (by HMAC) to the browser's session
//! cookie, or before sign-in to an anonymous cookie, checked here for every unsafe method
//! outside `/api/` (the API authenticates with bearer tokens, never cookies).

use crate::auth::crypto::{csrf_token, new_token, same_secret};
use crate::auth::viewer::{ANON_COOKIE, FreshAnonCookie, SESSION_COOKIE};
use crate::i18n::cookie;
use crate::{AppError, AppState};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// What a form's token must be bound to for this request.
pub fn binding(headers: &axum::http::HeaderMap, fresh_anon: Option<&str>) -> String {
    match cookie(headers, SESSION_COOKIE).filter(|t| t.len() == 64) {
        Some(session) => format!("s:{session}"),
        None => format!(
            "a:{}",
            cookie(headers, ANON_COOKIE)
                .or(fresh_anon.map(str::to_owned))
                .unwrap_or_default()
        ),
    }
}

/// Sets the anonymous cookie on a first visit and checks the token of every unsafe page request.
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let fresh = (!is_api && cookie(req.headers(), ANON_COOKIE).is_none()).then(new_token);
    if let Some(f) = &fresh {
        req.extensions_mut().insert(FreshAnonCookie(f.clone()));
    }
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && !is_api {
        let (parts, body) = req.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, crate::MAX_BODY_BYTES).await else {
            return AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
                .into_response();
        };
        let sent = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v))
            .unwrap_or_default();
        let expected = csrf_token(&state.csrf_key, &binding(&parts.headers, fresh.as_deref()));
        if sent.is_empty() || !same_secret(&sent, &expected) {
            tracing::info!(path = %parts.uri.path(), "CSRF token missing or wrong");
            return AppError::forbidden_code("csrf_failed").into_response();
        }
        req = Request::from_parts(parts, Body::from(bytes));
    }
    let mut res = next.run(req).await;
    if let Some(f) = fresh
        && let Some(v) = super::cookie_header(&state, ANON_COOKIE, &f, 365 * 24 * 3600)
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}
