//! Notifying people and mailing the notifications: the governance calls [`notify_body`] when a
//! proposal opens for deliberation or voting and when its vote closes; the mailer sends each
//! notification once, in its recipient's language.

use super::mail::{self, MailTransport, Message};
use crate::i18n::Lang;
use crate::{AppError, AppState};
use distretto_store::notifications as store;
use std::collections::HashMap;
use uuid::Uuid;

/// E-mails sent per run of the mailer.
pub const MAIL_BATCH: i64 = 200;

/// Notifies everyone who votes in `body` of `kind` about `proposal`. A failure is logged, never
/// passed on: the decision it reports has happened.
pub async fn notify_body(state: &AppState, body: Uuid, kind: &str, proposal: Uuid) {
    let result = async {
        let people = store::body_recipients(&state.db, body).await?;
        store::notify(&state.db, &people, kind, proposal, distretto_store::now()).await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = ?e, %proposal, kind, "notifications not written");
    }
}

/// The message ids of a notification's kind: (subject, body).
fn message_ids(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "governance_deliberation" => (
            "notification_deliberation_subject",
            "notification_deliberation_body",
        ),
        "governance_voting" => ("notification_voting_subject", "notification_voting_body"),
        crate::market::listings::service::MATCH_NOTIFICATION => (
            "notification_market_match_subject",
            "notification_market_match_body",
        ),
        _ => ("notification_result_subject", "notification_result_body"),
    }
}

/// A notification in words: (title, text), in `lang`.
pub fn words(lang: Lang, kind: &str, proposal_title: &str, body_name: &str) -> (String, String) {
    let (subject, text) = message_ids(kind);
    let args = [
        ("title", proposal_title.to_owned()),
        ("body", body_name.to_owned()),
    ];
    (lang.t_args(subject, &args), lang.t_args(text, &args))
}

/// Sends the notifications waiting for their e-mail through `transport`; returns how many.
/// Each is marked sent right after the transport took it, so a stop sends at most one twice.
pub async fn send_pending(
    state: &AppState,
    transport: &MailTransport,
    from: &str,
) -> Result<usize, AppError> {
    if *transport == MailTransport::None {
        return Ok(0);
    }
    let pending = store::unsent(&state.db, MAIL_BATCH).await?;
    let mut proposals: HashMap<Uuid, (String, String)> = HashMap::new();
    let mut sent = 0;
    for n in pending {
        if let std::collections::hash_map::Entry::Vacant(e) = proposals.entry(n.subject_id) {
            e.insert(subject_words(state, &n.kind, n.subject_id).await);
        }
        let (title, body) = proposals.get(&n.subject_id).cloned().unwrap_or_default();
        let lang = n
            .locale
            .as_deref()
            .and_then(Lang::parse)
            .unwrap_or(state.config.default_lang);
        let (subject, text) = words(lang, &n.kind, &title, &body);
        let link = format!(
            "{}{}",
            state.config.public_url.trim_end_matches('/'),
            subject_path(&n.kind, n.subject_id)
        );
        let message = Message {
            id: n.id.to_string(),
            from: from.to_owned(),
            to: n.email.clone(),
            subject,
            body: format!("{}\n\n{text}\n\n{link}\n", n.name),
        };
        if let Err(e) = mail::send(transport, &message).await {
            tracing::warn!(error = %e, "mail transport refused; retrying later");
            break;
        }
        store::mark_emailed(&state.db, n.id, distretto_store::now()).await?;
        sent += 1;
    }
    Ok(sent)
}

/// The page of a notification's subject: a listing for a market match, else a proposal.
pub fn subject_path(kind: &str, subject: Uuid) -> String {
    if kind == crate::market::listings::service::MATCH_NOTIFICATION {
        format!("/market/{subject}")
    } else {
        format!("/governance/proposals/{subject}")
    }
}

/// The words a notification's message takes: a listing's title for a market match, else the
/// proposal's title and body name (empty when gone).
pub async fn subject_words(state: &AppState, kind: &str, id: Uuid) -> (String, String) {
    if kind != crate::market::listings::service::MATCH_NOTIFICATION {
        return proposal_words(state, id).await;
    }
    distretto_store::market::listings::get(&state.db, id)
        .await
        .map(|l| (l.title, String::new()))
        .unwrap_or_default()
}

/// A proposal's title and body name (empty when gone).
pub async fn proposal_words(state: &AppState, id: Uuid) -> (String, String) {
    let Ok(p) = distretto_store::governance::proposal(&state.db, id).await else {
        return Default::default();
    };
    let body = distretto_store::governance::body(&state.db, p.body_id)
        .await
        .map(|b| b.name)
        .unwrap_or_default();
    (format!("#{} {}", p.number, p.title), body)
}

/// How often `serve` mails notifications.
pub const MAIL_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Mails notifications every minute, for as long as the server runs.
pub async fn mail_loop(state: AppState) {
    let mut tick = tokio::time::interval(MAIL_EVERY);
    let transport = state.config.mail_transport.clone();
    let from = state.config.mail_from.clone();
    loop {
        tick.tick().await;
        if let Err(e) = send_pending(&state, &transport, &from).await {
            tracing::warn!(
                code = e.code,
                "mailing notifications failed; retrying later"
            );
        }
    }
}
