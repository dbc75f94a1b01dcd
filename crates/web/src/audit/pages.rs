//! `/coordination/audit`: the audit log page, newest first, filtered by kind (administrators).

use crate::auth::Viewer;
use crate::pages::{Chrome, render};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use distretto_domain::audit::AuditKind;
use distretto_store::audit::AuditRow;

/// Entries per page.
const PAGE_ROWS: u32 = 100;

/// The page's routes.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/coordination/audit", axum::routing::get(page))
}

/// One row as shown.
struct Line {
    seq: i64,
    at: String,
    at_iso: String,
    kind: String,
    actor: String,
    subject: String,
    detail: String,
    client: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    /// (code, label, selected) of every kind.
    kinds: Vec<(&'static str, String, bool)>,
    lines: Vec<Line>,
    next: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct AuditQuery {
    kind: Option<String>,
    before: Option<i64>,
}

fn line(c: &Chrome, r: AuditRow) -> Line {
    Line {
        seq: r.seq,
        at: format!(
            "{} {:02}:{:02}:{:02}",
            c.date(&r.at),
            r.at.hour(),
            r.at.minute(),
            r.at.second()
        ),
        at_iso: r.at.date().to_string(),
        kind: c.lang.t(&format!("audit_kind_{}", r.kind)),
        actor: r.actor_id.map(|a| a.to_string()).unwrap_or_default(),
        subject: r.subject,
        detail: r.detail,
        client: r.client.unwrap_or_default(),
    }
}

async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    super::require_administrator(viewer.actor()?)?;
    let kind = super::parse_kind(q.kind.as_deref())?;
    let rows = distretto_store::audit::page(&state.db, kind, q.before, PAGE_ROWS).await?;
    let next = (rows.len() == PAGE_ROWS as usize)
        .then(|| rows.last().map(|r| r.seq))
        .flatten()
        .map(|before| {
            let kind = kind
                .map(|k| format!("kind={}&", k.code()))
                .unwrap_or_default();
            format!("/coordination/audit?{kind}before={before}")
        });
    let c = Chrome::new(&state, &viewer, "/coordination/audit");
    let kinds = AuditKind::ALL
        .iter()
        .map(|k| {
            (
                k.code(),
                c.lang.t(&format!("audit_kind_{}", k.code())),
                Some(*k) == kind,
            )
        })
        .collect();
    let lines = rows.into_iter().map(|r| line(&c, r)).collect();
    Ok(render(&AuditPage {
        c,
        kinds,
        lines,
        next,
    }))
}
