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

/// The largest multipart form (a file upload) read to find its token: a catalogue file of
/// 10 MB and the rest of the form. The upload's own route bounds the file itself.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024 + 64 * 1024;
/// The most parts of a multipart form searched for the token (forms put it first).
const MAX_TOKEN_PARTS: usize = 8;

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
        let boundary = multipart_boundary(&parts.headers);
        let limit = if boundary.is_some() {
            MAX_UPLOAD_BYTES
        } else {
            crate::MAX_BODY_BYTES
        };
        let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
            return AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
                .into_response();
        };
        let sent = match &boundary {
            Some(b) => multipart_token(&bytes, b).unwrap_or_default(),
            None => serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
                .ok()
                .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v))
                .unwrap_or_default(),
        };
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

/// The boundary of a `multipart/form-data` body (file uploads), if the request is one.
fn multipart_boundary(headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let (kind, params) = value.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        let v = v.trim().trim_matches('"');
        (k.trim().eq_ignore_ascii_case("boundary") && !v.is_empty() && v.len() <= 70)
            .then(|| v.to_owned())
    })
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The value of the `csrf` field of a multipart body, searched in its first parts only.
fn multipart_token(body: &[u8], boundary: &str) -> Option<String> {
    let delimiter = format!("--{boundary}");
    let mut rest = body.get(find(body, delimiter.as_bytes())? + delimiter.len()..)?;
    for _ in 0..MAX_TOKEN_PARTS {
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(rest.get(..head_end)?).ok()?;
        let content = rest.get(head_end + 4..)?;
        let end = find(content, format!("\r\n{delimiter}").as_bytes())?;
        let is_token = head.lines().any(|l| {
            l.to_ascii_lowercase().starts_with("content-disposition:")
                && l.split(';').any(|p| p.trim() == "name=\"csrf\"")
        });
        if is_token {
            return std::str::from_utf8(content.get(..end)?)
                .ok()
                .map(str::to_owned);
        }
        rest = content.get(end + 2 + delimiter.len()..)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_of_a_multipart_form_is_found() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nsku,name\r\n--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc123\r\n--XyZ--\r\n";
        assert_eq!(multipart_token(body, "XyZ").as_deref(), Some("abc123"));
        assert_eq!(multipart_token(body, "Other"), None);
        let no_token =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nx\r\n--XyZ--\r\n";
        assert_eq!(multipart_token(no_token, "XyZ"), None);
        let mut h = axum::http::HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            "multipart/form-data; boundary=----WebKitFormBoundaryA1"
                .parse()
                .unwrap(),
        );
        assert_eq!(
            multipart_boundary(&h).as_deref(),
            Some("----WebKitFormBoundaryA1")
        );
    }
}
