//! Register, sign in, sign out, and the person's own profile page.

use super::Viewer;
use super::api::{ClientAddr, Me, ProfileUpdate, load_me, update_profile};
use super::service::{Registration, check_credentials, close_session, open_session, register};
use crate::auth::viewer::SESSION_COOKIE;
use crate::pages::{Chrome, PageForm, cookie_header, render, render_status, safe_next};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/register",
            axum::routing::get(register_form).post(register_submit),
        )
        .route(
            "/sign-in",
            axum::routing::get(sign_in_form).post(sign_in_submit),
        )
        .route("/sign-out", axum::routing::post(sign_out))
        .route("/me", axum::routing::get(me_page).post(me_submit))
}

/// Values of the register and sign-in forms (kept to re-fill the form after an error).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct AccountForm {
    name: String,
    email: String,
    password: String,
    next: String,
}

impl AccountForm {
    /// This page's address with its `next`, for the language switcher.
    fn here(&self, path: &str) -> String {
        match self.next.as_str() {
            "" | "/" => path.to_owned(),
            next => format!("{path}?next={}", crate::pages::encode_query(next)),
        }
    }
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    c: Chrome,
    form: AccountForm,
    error: Option<AppError>,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    c: Chrome,
    form: AccountForm,
    error: Option<AppError>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

async fn register_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<NextQuery>,
) -> Response {
    let form = AccountForm {
        next: safe_next(q.next.as_deref()),
        ..AccountForm::default()
    };
    render(&RegisterPage {
        c: Chrome::new(&state, &viewer, &form.here("/register")),
        form,
        error: None,
    })
}

/// Signs the browser in: ends any previous session (rotation) and sets a fresh cookie.
async fn start_session(
    state: &AppState,
    viewer: &Viewer,
    person_id: uuid::Uuid,
    next: &str,
) -> Result<Response, AppError> {
    if let Some(old) = &viewer.session_hash {
        close_session(state, old).await?;
    }
    let token = open_session(state, person_id, "browser").await?;
    let mut res = Redirect::to(next).into_response();
    if let Some(v) = cookie_header(
        state,
        SESSION_COOKIE,
        &token,
        state.config.session_ttl_hours * 3600,
    ) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

async fn register_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    PageForm(form): PageForm<AccountForm>,
) -> Result<Response, AppError> {
    let mut form = form;
    let r = Registration {
        email: form.email.clone(),
        name: form.name.clone(),
        password: std::mem::take(&mut form.password),
        locale: Some(viewer.lang.code().into()),
    };
    match register(&state, r).await {
        Ok(id) => {
            let next = match safe_next(Some(&form.next)).as_str() {
                "/" => "/apply".to_owned(),
                other => other.to_owned(),
            };
            start_session(&state, &viewer, id, &next).await
        }
        Err(e) if e.status.is_client_error() => Ok(render_status(
            e.status,
            &RegisterPage {
                c: Chrome::new(&state, &viewer, &form.here("/register")),
                form,
                error: Some(e),
            },
        )),
        Err(e) => Err(e),
    }
}

async fn sign_in_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<NextQuery>,
) -> Response {
    let form = AccountForm {
        next: safe_next(q.next.as_deref()),
        ..AccountForm::default()
    };
    render(&SignInPage {
        c: Chrome::new(&state, &viewer, &form.here("/sign-in")),
        form,
        error: None,
    })
}

async fn sign_in_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientAddr(client): ClientAddr,
    PageForm(form): PageForm<AccountForm>,
) -> Result<Response, AppError> {
    let mut form = form;
    let password = std::mem::take(&mut form.password);
    match check_credentials(&state, &form.email, &password, &client).await {
        Ok(person) => start_session(&state, &viewer, person.id, &safe_next(Some(&form.next))).await,
        Err(e) if e.status.is_client_error() => Ok(render_status(
            e.status,
            &SignInPage {
                c: Chrome::new(&state, &viewer, &form.here("/sign-in")),
                form,
                error: Some(e),
            },
        )),
        Err(e) => Err(e),
    }
}

async fn sign_out(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    if let Some(hash) = &viewer.session_hash {
        close_session(&state, hash).await?;
    }
    let mut res = Redirect::to("/").into_response();
    if let Some(v) = cookie_header(&state, SESSION_COOKIE, "", 0) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    c: Chrome,
    me: Me,
    applications: Vec<distretto_store::membership::ApplicationView>,
    form: MeForm,
    error: Option<AppError>,
    notice: Option<&'static str>,
}

/// The profile form.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct MeForm {
    name: String,
    locale: String,
    phone: String,
    bio: String,
    locality: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SavedQuery {
    saved: Option<String>,
}

async fn me_view(
    state: &AppState,
    viewer: &Viewer,
    form: Option<MeForm>,
    error: Option<AppError>,
    notice: Option<&'static str>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let me = load_me(state, actor.id).await?;
    let (applications, _) =
        distretto_store::membership::applications(&state.db, None, Some(actor.id), 50, 0).await?;
    let form = form.unwrap_or_else(|| MeForm {
        name: me.name.clone(),
        locale: me.locale.clone().unwrap_or_default(),
        phone: me.phone.clone().unwrap_or_default(),
        bio: me.bio.clone(),
        locality: me.locality.clone(),
    });
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(render_status(
        status,
        &MePage {
            c: Chrome::new(state, viewer, "/me"),
            me,
            applications,
            form,
            error,
            notice,
        },
    ))
}

/// The notice shown after a redirect to `/me?saved=…`.
fn notice_of(saved: Option<&str>) -> Option<&'static str> {
    match saved {
        Some("applied") => Some("notice_application_sent"),
        Some(_) => Some("notice_saved"),
        None => None,
    }
}

async fn me_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    me_view(&state, &viewer, None, None, notice_of(q.saved.as_deref())).await
}

async fn me_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    PageForm(form): PageForm<MeForm>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let update = ProfileUpdate {
        name: Some(form.name.clone()),
        locale: Some(form.locale.clone()),
        phone: Some(form.phone.clone()),
        bio: Some(form.bio.clone()),
        locality: Some(form.locality.clone()),
    };
    match update_profile(&state, actor.id, update).await {
        Ok(()) => Ok(Redirect::to("/me?saved=1").into_response()),
        Err(e) if e.status.is_client_error() => {
            me_view(&state, &viewer, Some(form), Some(e), None).await
        }
        Err(e) => Err(e),
    }
}
