//! Membership pages: applying to join, coordinators' review, decisions, suspensions, invitations.

use super::service::{self, ApplyInput};
use crate::auth::Viewer;
use crate::directory::pages::{parse_id, profile_view};
use crate::pages::{Chrome, PageForm, encode_query, render, render_status};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use distretto_domain::directory::ProfileInput;
use distretto_store::directory::OrganizationRow;
use distretto_store::membership::{ApplicationView, DecisionView, PersonSummary};

pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/apply", axum::routing::get(apply_form).post(apply_submit))
        .route(
            "/coordination/applications",
            axum::routing::get(applications_page),
        )
        .route(
            "/coordination/applications/{id}",
            axum::routing::post(decide_submit),
        )
        .route(
            "/coordination/decisions",
            axum::routing::get(decisions_page),
        )
        .route("/coordination/people", axum::routing::get(people_page))
        .route(
            "/coordination/people/{id}/status",
            axum::routing::post(person_status_submit),
        )
        .route(
            "/organizations/{id}/status",
            axum::routing::post(organization_status_submit),
        )
        .route(
            "/organizations/{id}/invitations",
            axum::routing::post(invite_submit),
        )
        .route(
            "/invitations/{token}",
            axum::routing::get(invitation_page).post(invitation_accept),
        )
}

/// The apply form: kind, message, an existing organisation, or a new one's profile.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ApplyForm {
    kind: String,
    message: String,
    organization_id: String,
    name: String,
    #[serde(rename = "org_kind")]
    org_kind: String,
    legal_form: String,
    sector: String,
    description: String,
    website: String,
    contact_email: String,
    phone: String,
    address: String,
    postcode: String,
    locality: String,
    lat: String,
    lon: String,
    founded_year: String,
    workers_fte: String,
    volunteers: String,
}

impl ApplyForm {
    fn profile(&self) -> ProfileInput {
        ProfileInput {
            name: self.name.clone(),
            kind: self.org_kind.clone(),
            legal_form: self.legal_form.clone(),
            sector: self.sector.clone(),
            description: self.description.clone(),
            website: self.website.clone(),
            contact_email: self.contact_email.clone(),
            phone: self.phone.clone(),
            address: self.address.clone(),
            postcode: self.postcode.clone(),
            locality: self.locality.clone(),
            lat: self.lat.clone(),
            lon: self.lon.clone(),
            founded_year: self.founded_year.clone(),
            workers_fte: self.workers_fte.clone(),
            volunteers: self.volunteers.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "apply.html")]
struct ApplyPage {
    c: Chrome,
    profile: ProfileInput,
    form: ApplyForm,
    existing: Option<OrganizationRow>,
    error: Option<AppError>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ApplyQuery {
    organization: Option<String>,
}

async fn existing_org(state: &AppState, id: &str) -> Option<OrganizationRow> {
    let id = uuid::Uuid::parse_str(id.trim()).ok()?;
    distretto_store::directory::get(&state.db, id)
        .await
        .ok()
        .filter(|o| o.status == "active")
}

async fn apply_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ApplyQuery>,
) -> Result<Response, AppError> {
    viewer.actor()?;
    let existing = match &q.organization {
        Some(id) => existing_org(&state, id).await,
        None => None,
    };
    let form = ApplyForm {
        kind: if existing.is_some() {
            "existing_organization"
        } else {
            "individual"
        }
        .into(),
        organization_id: existing
            .as_ref()
            .map(|o| o.id.to_string())
            .unwrap_or_default(),
        ..ApplyForm::default()
    };
    Ok(render(&ApplyPage {
        c: Chrome::new(&state, &viewer, &apply_here(existing.as_ref())),
        profile: form.profile(),
        form,
        existing,
        error: None,
    }))
}

async fn apply_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    PageForm(form): PageForm<ApplyForm>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?.clone();
    let input = ApplyInput {
        kind: form.kind.clone(),
        organization_id: uuid::Uuid::parse_str(form.organization_id.trim()).ok(),
        message: form.message.clone(),
        organization: form.profile(),
    };
    match service::apply(&state, &actor, &input).await {
        Ok(_) => Ok(Redirect::to("/me?saved=applied").into_response()),
        Err(e) if e.status.is_client_error() => {
            let existing = existing_org(&state, &form.organization_id).await;
            Ok(render_status(
                e.status,
                &ApplyPage {
                    c: Chrome::new(&state, &viewer, &apply_here(existing.as_ref())),
                    profile: form.profile(),
                    form,
                    existing,
                    error: Some(e),
                },
            ))
        }
        Err(e) => Err(e),
    }
}

/// The apply page's address with its chosen organisation, for the language switcher.
fn apply_here(existing: Option<&OrganizationRow>) -> String {
    existing.map_or_else(
        || "/apply".to_owned(),
        |o| format!("/apply?organization={}", o.id),
    )
}

fn require_coordinator(viewer: &Viewer) -> Result<(), AppError> {
    if viewer.actor()?.coordinates() {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

#[derive(Template)]
#[template(path = "applications.html")]
struct ApplicationsPage {
    c: Chrome,
    items: Vec<ApplicationView>,
    total: i64,
    status: String,
    notice: Option<&'static str>,
    error: Option<AppError>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct StatusQuery {
    status: Option<String>,
    done: Option<String>,
}

async fn applications_view(
    state: &AppState,
    viewer: &Viewer,
    status: &str,
    notice: Option<&'static str>,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    require_coordinator(viewer)?;
    let filter = match status {
        "admitted" | "rejected" | "pending" => Some(status),
        _ => None,
    };
    let (items, total) =
        distretto_store::membership::applications(&state.db, filter, None, 200, 0).await?;
    let code = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(render_status(
        code,
        &ApplicationsPage {
            c: Chrome::new(state, viewer, "/coordination/applications"),
            items,
            total,
            status: status.to_owned(),
            notice,
            error,
        },
    ))
}

async fn applications_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<StatusQuery>,
) -> Result<Response, AppError> {
    let notice = q.done.as_deref().map(|_| "notice_decision_recorded");
    applications_view(
        &state,
        &viewer,
        q.status.as_deref().unwrap_or("pending"),
        notice,
        None,
    )
    .await
}

/// A decision form.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    decision: String,
    reason: String,
}

async fn decide_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(form): PageForm<DecisionForm>,
) -> Result<Response, AppError> {
    require_coordinator(&viewer)?;
    let id = parse_id(&id)?;
    let result = match service::parse_decision(&form.decision) {
        Ok(d) => service::decide(&state, viewer.actor()?, id, d, &form.reason)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/coordination/applications?done=1").into_response()),
        Err(e)
            if e.status.is_client_error()
                && e.status != StatusCode::NOT_FOUND
                && e.status != StatusCode::FORBIDDEN =>
        {
            applications_view(&state, &viewer, "pending", None, Some(e)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "decisions.html")]
struct DecisionsPage {
    c: Chrome,
    items: Vec<DecisionView>,
    total: i64,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct OffsetQuery {
    offset: Option<u64>,
}

async fn decisions_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<OffsetQuery>,
) -> Result<Response, AppError> {
    require_coordinator(&viewer)?;
    let offset = q.offset.unwrap_or(0).min(10_000_000);
    let (items, total) = distretto_store::membership::decisions(&state.db, 100, offset).await?;
    let prev = (offset > 0).then(|| {
        format!(
            "/coordination/decisions?offset={}",
            offset.saturating_sub(100)
        )
    });
    let next = (offset + 100 < total.max(0) as u64)
        .then(|| format!("/coordination/decisions?offset={}", offset + 100));
    Ok(render(&DecisionsPage {
        c: Chrome::new(&state, &viewer, "/coordination/decisions"),
        items,
        total,
        prev,
        next,
    }))
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    c: Chrome,
    q: String,
    items: Vec<PersonSummary>,
    total: i64,
    notice: Option<&'static str>,
    error: Option<AppError>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PeopleQuery {
    q: Option<String>,
    done: Option<String>,
}

async fn people_view(
    state: &AppState,
    viewer: &Viewer,
    q: &str,
    notice: Option<&'static str>,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    require_coordinator(viewer)?;
    let q: String = q.chars().take(100).collect();
    let (items, total) = distretto_store::membership::search_people(&state.db, &q, 50, 0).await?;
    let here = format!("/coordination/people?q={}", encode_query(&q));
    let code = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(render_status(
        code,
        &PeoplePage {
            c: Chrome::new(state, viewer, &here),
            q,
            items,
            total,
            notice,
            error,
        },
    ))
}

async fn people_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<PeopleQuery>,
) -> Result<Response, AppError> {
    let notice = q.done.as_deref().map(|_| "notice_status_changed");
    people_view(
        &state,
        &viewer,
        q.q.as_deref().unwrap_or_default(),
        notice,
        None,
    )
    .await
}

async fn person_status_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(form): PageForm<DecisionForm>,
) -> Result<Response, AppError> {
    require_coordinator(&viewer)?;
    let id = parse_id(&id)?;
    let result = match service::parse_decision(&form.decision) {
        Ok(d) => service::set_person_status(&state, viewer.actor()?, id, d, &form.reason).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/coordination/people?done=1").into_response()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            people_view(&state, &viewer, "", None, Some(e)).await
        }
        Err(e) => Err(e),
    }
}

async fn organization_status_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(form): PageForm<DecisionForm>,
) -> Result<Response, AppError> {
    require_coordinator(&viewer)?;
    let id = parse_id(&id)?;
    let d = service::parse_decision(&form.decision)?;
    service::set_organization_status(&state, viewer.actor()?, id, d, &form.reason).await?;
    Ok(Redirect::to(&format!("/organizations/{id}?done=status")).into_response())
}

async fn invite_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let token = service::invite(&state, viewer.actor()?, id).await?;
    let url = format!(
        "{}/invitations/{token}",
        state.config.public_url.trim_end_matches('/')
    );
    profile_view(&state, &viewer, id, Some(url), None).await
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    c: Chrome,
    org: OrganizationRow,
    token: String,
    next: String,
}

fn check_token(token: &str) -> Result<(), AppError> {
    if token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(AppError::not_found())
    }
}

async fn invitation_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    check_token(&token)?;
    let org = service::invitation_organization(&state, &token).await?;
    let here = format!("/invitations/{token}");
    Ok(render(&InvitationPage {
        c: Chrome::new(&state, &viewer, &here),
        org,
        next: encode_query(&here),
        token,
    }))
}

async fn invitation_accept(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    check_token(&token)?;
    let org = service::accept_invitation(&state, viewer.actor()?, &token).await?;
    Ok(Redirect::to(&format!("/organizations/{org}?done=joined")).into_response())
}
