//! Registration, sign-in (throttled), sign-out and API tokens.

use super::crypto::{DUMMY_HASH, hash_password, new_token, token_hash, verify_password};
use crate::{AppError, AppState};
use axum::http::StatusCode;
use distretto_domain::audit::{AuditEvent, AuditKind};
use distretto_domain::membership::{Email, check_new_password, parse_person_name};
use distretto_store::membership::PersonRow;
use time::Duration;
use uuid::Uuid;

/// Failed sign-ins per e-mail address within [`THROTTLE_WINDOW`] before further tries are refused.
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;
/// Failed sign-ins per client address within the window.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 30;
/// The throttle window.
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);

/// A registration request.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct Registration {
    /// Login e-mail.
    pub email: String,
    /// Display name.
    pub name: String,
    /// At least 10 characters.
    pub password: String,
    /// Preferred language (`fr`, `it`, `en`).
    #[serde(default)]
    pub locale: Option<String>,
}

/// Registers a person (role `person`, status `registered`); a taken e-mail → 409 `email_taken`.
pub async fn register(state: &AppState, r: Registration) -> Result<Uuid, AppError> {
    let email = Email::parse(&r.email)?;
    let name = parse_person_name(&r.name)?;
    check_new_password(&r.password)?;
    let locale = r
        .locale
        .as_deref()
        .and_then(crate::i18n::Lang::parse)
        .map(|l| l.code().to_owned());
    let hash = hash_password(r.password).await?;
    let now = distretto_store::now();
    let id = Uuid::now_v7();
    let row = PersonRow {
        id,
        email: email.0,
        name,
        password_hash: hash,
        role: "person".into(),
        membership_status: "registered".into(),
        locale,
        phone: None,
        bio: String::new(),
        locality: String::new(),
        created_at: now,
        updated_at: now,
    };
    match distretto_store::membership::insert_people(&state.db, &[row]).await {
        Ok(()) => Ok(id),
        Err(distretto_store::StoreError::Conflict) => Err(AppError::conflict("email_taken")),
        Err(e) => Err(e.into()),
    }
}

/// Checks e-mail and password under the throttle; returns the person. Unknown e-mail and wrong
/// password answer the same `invalid_credentials`, after the same work.
pub async fn check_credentials(
    state: &AppState,
    email: &str,
    password: &str,
    client: &str,
) -> Result<PersonRow, AppError> {
    let email_key = format!("email:{}", email.trim().to_lowercase());
    let client_key = format!("addr:{client}");
    let since = distretto_store::now() - THROTTLE_WINDOW;
    let db = &state.db;
    if distretto_store::auth::failures_since(db, &email_key, since).await? >= MAX_FAILURES_PER_EMAIL
        || distretto_store::auth::failures_since(db, &client_key, since).await?
            >= MAX_FAILURES_PER_ADDRESS
    {
        // Not in the audit log: refusals past the throttle are unbounded, the failures that
        // led to them are there.
        tracing::warn!(target: "distretto::denied", client, "sign-in throttled");
        return Err(AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
        ));
    }
    let person = match Email::parse(email) {
        Ok(e) => distretto_store::membership::person_by_email(db, &e.0).await?,
        Err(_) => None,
    };
    let hash = person
        .as_ref()
        .map_or_else(|| DUMMY_HASH.clone(), |p| p.password_hash.clone());
    let ok = verify_password(password.to_owned(), hash).await && person.is_some();
    match person {
        Some(p) if ok => {
            if p.membership_status == "suspended" {
                sign_in_event(
                    state,
                    AuditKind::SignInSuspended,
                    Some(p.id),
                    &email_key,
                    client,
                )
                .await;
                return Err(AppError::forbidden_code("account_suspended"));
            }
            distretto_store::auth::clear_failures(db, &email_key).await?;
            sign_in_event(state, AuditKind::SignIn, Some(p.id), &email_key, client).await;
            Ok(p)
        }
        _ => {
            distretto_store::auth::record_failure(
                db,
                &[&email_key, &client_key],
                distretto_store::now(),
            )
            .await?;
            sign_in_event(state, AuditKind::SignInFailed, None, &email_key, client).await;
            Err(AppError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
            ))
        }
    }
}

/// Records a sign-in event about `email_key` (`email:…`, as typed, lowercased) from `client`.
async fn sign_in_event(
    state: &AppState,
    kind: AuditKind,
    person: Option<Uuid>,
    email_key: &str,
    client: &str,
) {
    let event = AuditEvent::new(kind, person, email_key, "", distretto_store::now())
        .from_client(Some(client));
    crate::audit::record(state, event).await;
}

/// Opens a session (`browser`) or API token (`api`) for a person; returns the secret to hand out.
pub async fn open_session(
    state: &AppState,
    person_id: Uuid,
    kind: &str,
) -> Result<String, AppError> {
    let token = new_token();
    let now = distretto_store::now();
    let ttl = if kind == "api" {
        Duration::days(state.config.api_token_ttl_days)
    } else {
        Duration::hours(state.config.session_ttl_hours)
    };
    distretto_store::auth::insert_session(
        &state.db,
        &token_hash(&token),
        person_id,
        kind,
        now,
        now + ttl,
    )
    .await?;
    Ok(token)
}

/// Ends a session by its stored hash.
pub async fn close_session(state: &AppState, session_hash: &str) -> Result<(), AppError> {
    distretto_store::auth::delete_session(&state.db, session_hash).await?;
    Ok(())
}

impl AppError {
    /// 403 with a specific code.
    pub const fn forbidden_code(code: &'static str) -> Self {
        Self::new(StatusCode::FORBIDDEN, code)
    }
}
