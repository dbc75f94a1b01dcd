//! HTML pages: the shared layout context ([`Chrome`]), home, language switch, errors, and the
//! page routes of every capability. Every page works without JavaScript.

pub mod csrf;
pub mod datetime_local;
mod home;

use crate::auth::Viewer;
use crate::auth::viewer::Actor;
use crate::i18n::Lang;
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use distretto_domain::directory::{OrganizationKind, Sector};

pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/", axum::routing::get(home::home))
        .route("/lang/{code}", axum::routing::get(switch_language))
        .merge(crate::auth::pages::router())
        .merge(crate::directory::pages::router())
        .merge(crate::membership::pages::router())
        .merge(crate::ledger::pages::router())
        .merge(crate::ledger::invoice_pages::router())
        .merge(crate::clearing::pages::router())
        .merge(crate::clearing::coordination::router())
        .merge(crate::purchasing::router())
        .merge(crate::governance::pages::router())
        .merge(crate::notifications::pages::router())
        .merge(crate::governance::participation::router())
        .merge(crate::market::listings::router())
        .merge(crate::market::resources::router())
        .merge(crate::federation::router())
        .merge(crate::impact::router())
        .merge(crate::audit::router())
}

/// What the layout of every page needs: language, district, who is signed in, CSRF token.
pub struct Chrome {
    /// Served language.
    pub lang: Lang,
    /// District name.
    pub district: String,
    /// The signed-in person.
    pub actor: Option<Actor>,
    /// Token for every form.
    pub csrf: String,
    /// This page's path and query, for the language switcher's return.
    pub here: String,
}

impl Chrome {
    /// The chrome of a page for `viewer` at `here`.
    pub fn new(state: &AppState, viewer: &Viewer, here: &str) -> Self {
        Self {
            lang: viewer.lang,
            district: state.config.district_name.clone(),
            actor: viewer.actor.clone(),
            csrf: viewer.csrf.clone(),
            here: here.to_owned(),
        }
    }

    /// Whether the viewer coordinates.
    pub fn coordinates(&self) -> bool {
        self.actor.as_ref().is_some_and(Actor::coordinates)
    }

    /// Whether the viewer administers the deployment (reads the audit log).
    pub fn administers(&self) -> bool {
        self.actor.as_ref().is_some_and(Actor::administers)
    }

    /// The languages of the switcher: (code, endonym, is current, link).
    pub fn languages(&self) -> Vec<(&'static str, &'static str, bool, String)> {
        Lang::ALL
            .iter()
            .map(|l| {
                (
                    l.code(),
                    l.endonym(),
                    *l == self.lang,
                    format!("/lang/{}?next={}", l.code(), encode_query(&self.here)),
                )
            })
            .collect()
    }

    /// The translated label of an organisation kind code.
    pub fn kind_label(&self, code: &str) -> String {
        self.lang.t(&format!("kind_{code}"))
    }

    /// The translated label of a sector code.
    pub fn sector_label(&self, code: &str) -> String {
        self.lang.t(&format!("sector_{code}"))
    }

    /// Every kind as (code, label), for selects.
    pub fn kinds(&self) -> Vec<(&'static str, String)> {
        OrganizationKind::ALL
            .iter()
            .map(|k| (k.code(), self.kind_label(k.code())))
            .collect()
    }

    /// Kind labels as a JSON object, for the map's popups.
    pub fn kind_labels_json(&self) -> String {
        let map: std::collections::BTreeMap<&str, String> = OrganizationKind::ALL
            .iter()
            .map(|k| (k.code(), self.kind_label(k.code())))
            .collect();
        serde_json::to_string(&map).unwrap_or_default()
    }

    /// Every sector as (code, label), for selects.
    pub fn sectors(&self) -> Vec<(&'static str, String)> {
        Sector::ALL
            .iter()
            .map(|s| (s.code(), self.sector_label(s.code())))
            .collect()
    }

    /// Whether two codes are equal (templates compare form values with options).
    pub fn same(&self, a: &str, b: &str) -> bool {
        a == b
    }

    /// The translated label of a status code (organisation, person or application).
    pub fn status_label(&self, code: &str) -> String {
        self.lang.t(&format!("status_{code}"))
    }

    /// The translated label of a role code.
    pub fn role_label(&self, code: &str) -> String {
        self.lang.t(&format!("role_{code}"))
    }

    /// The translated label of an application kind.
    pub fn application_kind_label(&self, code: &str) -> String {
        self.lang.t(&format!("application_{code}"))
    }

    /// The translated label of a decision.
    pub fn decision_label(&self, code: &str) -> String {
        self.lang.t(&format!("decision_{code}"))
    }

    /// A date as day/month/year, the order French and Italian readers use (and British English).
    pub fn date(&self, t: &time::OffsetDateTime) -> String {
        format!("{:02}/{:02}/{}", t.day(), u8::from(t.month()), t.year())
    }
}

/// A submitted page form whose rejection (unreadable body) becomes `400 invalid_form`, shown as
/// an error page in the user's language.
pub struct PageForm<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for PageForm<T> {
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        axum::extract::Form::<T>::from_request(req, state)
            .await
            .map(|f| Self(f.0))
            .map_err(|_| AppError::bad_request("invalid_form"))
    }
}

/// Percent-encodes a value for a query string (RFC 3986 unreserved characters pass).
pub fn encode_query(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A local path to return to: must start with one `/`, else home (no open redirects).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && n.len() < 500 =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Renders a template to a response, logging and hiding render failures.
pub fn render<T: Template>(t: &T) -> Response {
    render_status(StatusCode::OK, t)
}

/// Renders a template with a status.
pub fn render_status<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            AppError::internal().into_response()
        }
    }
}

/// A `Set-Cookie` value with our attributes.
pub fn cookie_header(
    state: &AppState,
    name: &str,
    value: &str,
    max_age_s: i64,
) -> Option<HeaderValue> {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age_s}; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

#[derive(serde::Deserialize)]
struct NextParam {
    next: Option<String>,
}

/// `GET /lang/{code}?next=…`: remembers the language in a cookie and goes back.
async fn switch_language(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<NextParam>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    let mut res = Redirect::to(&next).into_response();
    if let Some(lang) = Lang::parse(&code)
        && let Some(v) = cookie_header(
            &state,
            crate::i18n::LANG_COOKIE,
            lang.code(),
            365 * 24 * 3600,
        )
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// Marks a response whose error page is already rendered, so the error layer leaves it alone.
#[derive(Clone)]
pub struct RenderedErrorPage;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    status: u16,
    code: &'static str,
    sign_in_next: Option<String>,
}

/// The error page for `err`, for `viewer`, at `here` (path and query).
pub fn error_page(state: &AppState, viewer: &Viewer, err: &AppError, here: &str) -> Response {
    let c = Chrome::new(state, viewer, here);
    let sign_in_next = (err.status == StatusCode::UNAUTHORIZED).then(|| encode_query(here));
    let page = ErrorPage {
        c,
        status: err.status.as_u16(),
        code: err.code,
        sign_in_next,
    };
    let mut res = render_status(err.status, &page);
    res.extensions_mut().insert(RenderedErrorPage);
    res.extensions_mut().insert(err.clone());
    res
}

/// Fallback for unknown paths: 404 in the error shape of the path (API JSON or page).
pub async fn not_found() -> AppError {
    AppError::not_found()
}
