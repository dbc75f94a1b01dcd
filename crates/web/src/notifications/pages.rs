//! `/notifications`: a person's notifications, newest first, and marking them read.

use super::service;
use crate::auth::Viewer;
use crate::pages::{Chrome, PageForm, render_status};
use crate::purchasing::cycles::order::instant;
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use uuid::Uuid;

/// Notifications listed.
const LISTED: i64 = 100;

pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/notifications", axum::routing::get(list))
        .route("/notifications/read", axum::routing::post(read))
}

struct Line {
    href: String,
    title: String,
    text: String,
    at: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct ListPage {
    c: Chrome,
    lines: Vec<Line>,
    unread: i64,
}

async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let rows = distretto_store::notifications::of_person(&state.db, actor.id, LISTED).await?;
    let mut about: HashMap<Uuid, (String, String)> = HashMap::new();
    let mut lines = Vec::with_capacity(rows.len());
    for n in &rows {
        if let std::collections::hash_map::Entry::Vacant(e) = about.entry(n.subject_id) {
            e.insert(service::subject_words(&state, &n.kind, n.subject_id).await);
        }
        let (title, body) = about.get(&n.subject_id).cloned().unwrap_or_default();
        let (title, text) = service::words(viewer.lang, &n.kind, &title, &body);
        lines.push(Line {
            href: service::subject_path(&n.kind, n.subject_id),
            title,
            text,
            at: instant(n.created_at),
            unread: n.read_at.is_none(),
        });
    }
    let unread = distretto_store::notifications::unread_count(&state.db, actor.id).await?;
    Ok(render_status(
        StatusCode::OK,
        &ListPage {
            c: Chrome::new(&state, &viewer, "/notifications"),
            lines,
            unread,
        },
    ))
}

async fn read(
    State(state): State<AppState>,
    viewer: Viewer,
    PageForm(_f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    distretto_store::notifications::mark_read(&state.db, actor.id, distretto_store::now()).await?;
    Ok(Redirect::to("/notifications").into_response())
}
