//! The web layer: JSON API under `/api/v1` (OpenAPI), HTML pages (askama, work without JS),
//! authentication, i18n (Fluent: fr, it, en) and embedded static assets.
//!
//! Handlers are thin: extract → parse → service → render. Services check authorization per object.

pub mod api;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod background;
pub mod clearing;
pub mod directory;
pub mod error;
pub mod federation;
pub mod governance;
pub mod i18n;
pub mod impact;
pub mod ledger;
pub mod market;
pub mod membership;
pub mod notifications;
pub mod ops;
pub mod pages;
pub mod purchasing;

use distretto_store::Db;
use std::sync::Arc;

pub use error::AppError;

/// What the web layer needs to know of the configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The district's name, shown in every page header.
    pub district_name: String,
    /// The address users reach the server at (for invitation links and Murmurations profiles).
    pub public_url: String,
    /// Map tile URL template (`{z}/{x}/{y}`, optional `{s}`).
    pub tile_url: String,
    /// Attribution text the tile server requires.
    pub tile_attribution: String,
    /// Mark cookies `Secure` (on when `public_url` is https).
    pub secure_cookies: bool,
    /// The language served when neither the cookie nor `Accept-Language` decides.
    pub default_lang: i18n::Lang,
    /// The district currency accounts are opened in.
    pub currency: distretto_domain::ledger::Currency,
    /// ISO 3166 country code of the district, for open data.
    pub country_iso_3166: String,
    /// Browser session lifetime.
    pub session_ttl_hours: i64,
    /// API token lifetime.
    pub api_token_ttl_days: i64,
    /// Where notification e-mails go (none by default: notifications stay on the platform).
    pub mail_transport: notifications::mail::MailTransport,
    /// The sender address of notification e-mails.
    pub mail_from: String,
    /// How long a payment to another district may wait for that district to prepare it
    /// before this one aborts it.
    pub federation_payment_timeout_secs: i64,
    /// How often this district starts a clearing round with its linked districts, in days
    /// (0: only when a coordinator starts one).
    pub federation_clearing_every_days: i64,
    /// Reverse proxies whose `X-Forwarded-For` names the client (throttling, audit log).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            district_name: "Distretto".into(),
            public_url: "http://127.0.0.1:8080".into(),
            tile_url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png".into(),
            tile_attribution: "© OpenStreetMap contributors".into(),
            secure_cookies: false,
            default_lang: i18n::Lang::Fr,
            currency: distretto_domain::ledger::Currency {
                code: "CRD".into(),
                name: "Credito".into(),
                symbol: "Cr".into(),
                scale: 2,
            },
            country_iso_3166: "IT".into(),
            session_ttl_hours: 24 * 7,
            api_token_ttl_days: 30,
            mail_transport: notifications::mail::MailTransport::None,
            mail_from: "distretto@localhost".into(),
            federation_payment_timeout_secs: 30,
            federation_clearing_every_days: 0,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Shared state of every handler: cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<StateInner>);

/// The contents of [`AppState`].
pub struct StateInner {
    /// The database.
    pub db: Db,
    /// The configuration.
    pub config: WebConfig,
    /// Key for CSRF tokens, shared by every instance through the database.
    pub csrf_key: [u8; 32],
    /// Request counters for `/metrics`.
    pub metrics: ops::Metrics,
    /// Short-lived directory facts shared by every page view (the place list).
    pub directory_cache: directory::service::DirectoryCache,
    /// The one ledger writer of this instance (batches transfers into group commits).
    pub ledger: distretto_store::ledger::LedgerWriter,
    /// Answers of linked districts' directories.
    pub federation_cache: federation::directory::FederationCache,
}

impl std::ops::Deref for AppState {
    type Target = StateInner;
    fn deref(&self) -> &StateInner {
        &self.0
    }
}

impl AppState {
    /// Builds the state; the CSRF key is read from (or created once in) the database so that
    /// several stateless instances behind a load balancer accept each other's forms.
    pub async fn new(db: Db, config: WebConfig) -> Result<Self, distretto_store::StoreError> {
        Self::with_ledger_batch(db, config, distretto_store::ledger::writer::MAX_BATCH).await
    }

    /// [`AppState::new`] with a ledger writer posting at most `max_batch` transfers per commit
    /// (1: one durable commit per transfer, the baseline `distretto bench ledger` compares with).
    pub async fn with_ledger_batch(
        db: Db,
        config: WebConfig,
        max_batch: usize,
    ) -> Result<Self, distretto_store::StoreError> {
        let fresh = hex::encode(auth::crypto::random_bytes::<32>());
        let stored = db.setting_or_insert("csrf_key", &fresh).await?;
        let mut csrf_key = [0u8; 32];
        hex::decode_to_slice(stored.as_bytes(), &mut csrf_key)
            .map_err(|_| distretto_store::StoreError::Corrupt("settings.csrf_key"))?;
        distretto_store::accounts::ensure_district_accounts(
            &db,
            &config.currency.code,
            distretto_store::now(),
        )
        .await?;
        let ledger = distretto_store::ledger::LedgerWriter::spawn(db.clone(), max_batch);
        Ok(Self(Arc::new(StateInner {
            ledger,
            db,
            config,
            csrf_key,
            metrics: ops::Metrics::default(),
            directory_cache: Default::default(),
            federation_cache: Default::default(),
        })))
    }
}

/// The whole application: API, pages, assets, health and metrics, with security middleware.
pub fn router(state: AppState) -> axum::Router {
    let (api_router, openapi) = api::router().split_for_parts();
    let openapi = Arc::new(api::document(openapi));
    let routes = axum::Router::new()
        .merge(api_router)
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let doc = openapi.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .merge(pages::router())
        .merge(ops::router())
        .merge(assets::router())
        .fallback(pages::not_found);
    layered(routes, state, REQUEST_TIMEOUT)
}

/// The longest a request may take before it is answered 408 (and its work dropped).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// `routes` with the security middleware around them (the last layer added is the outermost).
/// The timeout sits inside `track` and the security headers, so a request cut at `timeout`
/// is counted in `/metrics` as a 408 and its answer carries the same headers as any other.
fn layered(
    routes: axum::Router<AppState>,
    state: AppState,
    timeout: std::time::Duration,
) -> axum::Router {
    use axum::middleware::from_fn_with_state;
    routes
        .layer(from_fn_with_state(state.clone(), pages::csrf::guard))
        .layer(from_fn_with_state(state.clone(), error::render_page_errors))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(from_fn_with_state(state.clone(), ops::track))
        .layer(from_fn_with_state(state.clone(), ops::security_headers))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// The largest request body accepted (forms and JSON): enough for a long description.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use std::time::Duration;
    use tower::ServiceExt as _;

    /// A request the timeout cuts is answered 408 with the security headers, and `/metrics`
    /// counts it under its route: the 408s used to be answered outside the counting.
    #[tokio::test]
    async fn a_request_cut_by_the_timeout_is_counted_with_its_headers() {
        let path =
            std::env::temp_dir().join(format!("distretto-timeout-{}.db", uuid::Uuid::new_v4()));
        let db = Db::connect(&distretto_store::ConnectOptions {
            url: format!("sqlite:{}", path.display()),
            max_connections: 2,
        })
        .await
        .unwrap();
        db.migrate().await.unwrap();
        let state = AppState::new(db.clone(), WebConfig::default())
            .await
            .unwrap();
        let slow = axum::Router::new().route(
            "/slow/{n}",
            axum::routing::get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        );
        let app = layered(slow, state.clone(), Duration::from_millis(100));
        let res = app
            .oneshot(Request::get("/slow/7").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::REQUEST_TIMEOUT);
        assert!(
            res.headers().contains_key("content-security-policy"),
            "{:?}",
            res.headers()
        );
        let metrics = state.metrics.render();
        assert!(
            metrics.contains(
                "distretto_http_requests_total{method=\"GET\",route=\"/slow/{n}\",status=\"408\"} 1"
            ),
            "{metrics}"
        );
        db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
