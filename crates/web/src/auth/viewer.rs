//! Who is asking: a browser [`Viewer`] (session cookie) or an [`ApiCaller`] (bearer token).

use crate::i18n::{Lang, cookie, negotiate};
use crate::{AppError, AppState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use distretto_domain::membership::Role;
use distretto_store::auth::SessionPerson;

/// The browser session cookie.
pub const SESSION_COOKIE: &str = "distretto_session";
/// The anonymous cookie that CSRF tokens bind to before sign-in.
pub const ANON_COOKIE: &str = "distretto_csrf";

/// A signed-in person as services see them.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The person's id.
    pub id: uuid::Uuid,
    /// E-mail (login).
    pub email: String,
    /// Display name.
    pub name: String,
    /// District role.
    pub role: Role,
    /// Individual membership status code.
    pub membership_status: String,
}

impl Actor {
    fn from_session(p: SessionPerson) -> Option<Self> {
        // A suspended person's sessions are ended at suspension; this guards any that remain.
        if p.membership_status == "suspended" {
            return None;
        }
        Some(Self {
            id: p.person_id,
            email: p.email,
            name: p.name,
            role: Role::parse(&p.role)?,
            membership_status: p.membership_status,
        })
    }

    /// Whether this person may act as a coordinator.
    pub fn coordinates(&self) -> bool {
        self.role.coordinates()
    }

    /// Whether this person administers the deployment.
    pub fn administers(&self) -> bool {
        self.role == Role::Administrator
    }
}

/// The browser visitor of a page.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The signed-in person, if any.
    pub actor: Option<Actor>,
    /// The language pages are served in.
    pub lang: Lang,
    /// The CSRF token every form of the page must carry.
    pub csrf: String,
    /// The hash of the session token, to end the session at sign-out.
    pub session_hash: Option<String>,
}

/// The anonymous binding value the CSRF guard generated for a first visit (in request extensions).
#[derive(Debug, Clone)]
pub struct FreshAnonCookie(pub String);

impl Viewer {
    /// The signed-in person, or 401.
    pub fn actor(&self) -> Result<&Actor, AppError> {
        self.actor.as_ref().ok_or_else(AppError::unauthenticated)
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let fresh = parts
            .extensions
            .get::<FreshAnonCookie>()
            .map(|f| f.0.clone());
        Self::from_headers(state, &parts.headers, fresh.as_deref()).await
    }
}

impl Viewer {
    /// Who sends these headers: the signed-in person behind a live session cookie, the page
    /// language (switcher cookie, then the person's preferred language, then
    /// `Accept-Language`), and the CSRF token of their forms.
    pub async fn from_headers(
        state: &AppState,
        headers: &axum::http::HeaderMap,
        fresh_anon: Option<&str>,
    ) -> Result<Self, AppError> {
        let token = cookie(headers, SESSION_COOKIE).filter(|t| t.len() == 64);
        let mut actor = None;
        let mut session_hash = None;
        let mut preferred = None;
        if let Some(token) = &token {
            let hash = crate::auth::crypto::token_hash(token);
            if let Some(p) = distretto_store::auth::session_person(
                &state.db,
                &hash,
                "browser",
                distretto_store::now(),
            )
            .await?
            {
                preferred = p.locale.as_deref().and_then(Lang::parse);
                actor = Actor::from_session(p);
                session_hash = actor.as_ref().map(|_| hash);
            }
        }
        let lang = match (
            cookie(headers, crate::i18n::LANG_COOKIE).and_then(|v| Lang::parse(&v)),
            preferred,
        ) {
            (Some(chosen), _) => chosen,
            (None, Some(preferred)) => preferred,
            (None, None) => negotiate(headers, state.config.default_lang),
        };
        // The same binding the CSRF guard checks against (session cookie if present, valid or not).
        let binding = crate::pages::csrf::binding(headers, fresh_anon);
        let csrf = crate::auth::crypto::csrf_token(&state.csrf_key, &binding);
        Ok(Self {
            actor,
            lang,
            csrf,
            session_hash,
        })
    }
}

/// The caller of an API operation: a bearer token, or nobody.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    /// The person the token belongs to.
    pub actor: Option<Actor>,
    /// Language of error messages.
    pub lang: Lang,
}

impl ApiCaller {
    /// The signed-in person, or 401.
    pub fn actor(&self) -> Result<&Actor, AppError> {
        self.actor.as_ref().ok_or_else(AppError::unauthenticated)
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let lang = negotiate(&parts.headers, state.config.default_lang);
        let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            return Ok(Self { actor: None, lang });
        };
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or(AppError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "invalid_token",
            ))?;
        let hash = crate::auth::crypto::token_hash(token);
        let person =
            distretto_store::auth::session_person(&state.db, &hash, "api", distretto_store::now())
                .await?;
        let actor = person.and_then(Actor::from_session).ok_or(AppError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "invalid_token",
        ))?;
        Ok(Self {
            actor: Some(actor),
            lang,
        })
    }
}
