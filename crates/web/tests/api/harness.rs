//! Test harness: a fresh database (SQLite file or PostgreSQL database) and a server on port 0
//! per test. PostgreSQL runs when `DISTRETTO_TEST_POSTGRES_URL` names a server; the README's
//! test command always sets it. Without it the PostgreSQL leg fails loudly unless
//! `DISTRETTO_TEST_SKIP_POSTGRES=1` says to skip, and then it prints that it skipped.

use distretto_store::{ConnectOptions, Db};
use distretto_web::{AppState, WebConfig};
use serde_json::{Value, json};
use std::net::SocketAddr;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub db: Db,
    /// The server's state, for services a test drives directly (e.g. deadlines).
    pub state: AppState,
    pub client: reqwest::Client,
    /// Stops the server when notified (see [`TestApp::stop`]).
    stop: std::sync::Arc<tokio::sync::Notify>,
}

pub const PASSWORD: &str = "a long enough passphrase";

fn postgres_base() -> Option<String> {
    match std::env::var("DISTRETTO_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => None,
    }
}

/// Whether the PostgreSQL leg should run; panics when it is neither configured nor explicitly skipped.
pub fn postgres_wanted() -> bool {
    if postgres_base().is_some() {
        return true;
    }
    if std::env::var("DISTRETTO_TEST_SKIP_POSTGRES").as_deref() == Ok("1") {
        eprintln!("SKIPPED: PostgreSQL leg (DISTRETTO_TEST_SKIP_POSTGRES=1)");
        return false;
    }
    panic!(
        "DISTRETTO_TEST_POSTGRES_URL is not set: run scripts/test (it starts PostgreSQL), or set DISTRETTO_TEST_SKIP_POSTGRES=1 to skip this leg knowingly"
    );
}

async fn fresh_db(backend: Backend) -> Db {
    let url = match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join("distretto-tests");
            std::fs::create_dir_all(&dir).unwrap();
            format!(
                "sqlite:{}",
                dir.join(format!("{}.db", uuid::Uuid::now_v7())).display()
            )
        }
        Backend::Postgres => {
            let base = postgres_base().expect("postgres url");
            let admin = Db::connect(&ConnectOptions {
                url: base.clone(),
                max_connections: 1,
            })
            .await
            .unwrap();
            let name = format!("t_{}", uuid::Uuid::now_v7().simple());
            if let Db::Postgres(pool) = &admin {
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(pool)
                    .await
                    .unwrap();
            }
            admin.close().await;
            let (prefix, _) = base.rsplit_once('/').unwrap();
            format!("{prefix}/{name}")
        }
    };
    let db = Db::connect(&ConnectOptions {
        url,
        max_connections: 8,
    })
    .await
    .unwrap();
    db.migrate().await.unwrap();
    db
}

pub async fn spawn(backend: Backend) -> TestApp {
    let db = fresh_db(backend).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let config = WebConfig {
        public_url: base.clone(),
        district_name: "Distretto Test".into(),
        ..WebConfig::default()
    };
    let state = AppState::new(db.clone(), config).await.unwrap();
    let app = distretto_web::router(state.clone());
    let stop = std::sync::Arc::new(tokio::sync::Notify::new());
    let stopped = stop.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move { stopped.notified().await })
        .await
        .unwrap();
    });
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        base,
        db,
        state,
        client,
        stop,
    }
}

impl TestApp {
    /// Stops the server: it closes its port and its idle connections, as a district going
    /// down would (its database stays).
    pub fn stop(&self) {
        self.stop.notify_one();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> (u16, Value) {
        let mut req = self.client.request(method, self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, token, body).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, path, token, body).await
    }

    /// Registers a person through the API and returns (id, token).
    pub async fn person(&self, email: &str, name: &str) -> (String, String) {
        let (s, v) = self
            .post(
                "/api/v1/people",
                None,
                &json!({"email": email, "name": name, "password": PASSWORD}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        let id = v["id"].as_str().unwrap().to_owned();
        (id, self.token(email).await)
    }

    pub async fn token(&self, email: &str) -> String {
        let (s, v) = self
            .post(
                "/api/v1/tokens",
                None,
                &json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        v["token"].as_str().unwrap().to_owned()
    }

    /// A coordinator created as an operator would (`distretto admin create-user`), and a token.
    pub async fn coordinator(&self) -> (String, String) {
        let hash = distretto_web::auth::crypto::hash_password(PASSWORD.into())
            .await
            .unwrap();
        let id = distretto_web::membership::service::create_member(
            &self.db,
            "coord@test.example",
            "Carla Coordinatrice",
            &hash,
            distretto_domain::membership::Role::Coordinator,
            &distretto_web::WebConfig::default().currency,
        )
        .await
        .unwrap();
        (id.to_string(), self.token("coord@test.example").await)
    }

    /// An admitted farm, applied for by a new person who becomes its admin.
    /// Returns (org id, admin token).
    pub async fn admitted_org(
        &self,
        coord: &str,
        admin_email: &str,
        name: &str,
    ) -> (String, String) {
        let place = ("Aosta", "45.73", "7.32");
        self.admitted_org_of(coord, admin_email, name, "farm", place)
            .await
    }

    /// An admitted organisation of `kind` at `place` (locality, latitude, longitude), applied
    /// for by a new person who becomes its admin. Returns (org id, admin token).
    pub async fn admitted_org_of(
        &self,
        coord: &str,
        admin_email: &str,
        name: &str,
        kind: &str,
        place: (&str, &str, &str),
    ) -> (String, String) {
        let (_, token) = self.person(admin_email, "Org Admin").await;
        let (locality, lat, lon) = place;
        let (s, app) = self.post("/api/v1/applications", Some(&token), &json!({
            "kind": "new_organization",
            "message": "We work locally",
            "organization": {"name": name, "kind": kind, "sector": "agriculture", "locality": locality, "lat": lat, "lon": lon, "description": "Local food"}
        })).await;
        assert_eq!(s, 201, "{app}");
        let org = app["organization_id"].as_str().unwrap().to_owned();
        let (s, v) = self
            .post(
                &format!(
                    "/api/v1/applications/{}/decision",
                    app["id"].as_str().unwrap()
                ),
                Some(coord),
                &json!({"decision": "admit", "reason": "Signed the charter"}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        (org, token)
    }

    /// An admitted individual member: registers, applies, is admitted by `coord`.
    /// Returns (person id, token, personal account id).
    pub async fn member(&self, coord: &str, email: &str) -> (String, String, String) {
        let (id, token) = self.person(email, "Member").await;
        let (s, app) = self
            .post(
                "/api/v1/applications",
                Some(&token),
                &json!({"kind": "individual", "message": "I live here"}),
            )
            .await;
        assert_eq!(s, 201, "{app}");
        let (s, v) = self
            .post(
                &format!(
                    "/api/v1/applications/{}/decision",
                    app["id"].as_str().unwrap()
                ),
                Some(coord),
                &json!({"decision": "admit", "reason": "Welcome to the district"}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let account = self.account_of(&token).await;
        (id, token, account)
    }

    /// The first account listed by `/api/v1/me` for `token`.
    pub async fn account_of(&self, token: &str) -> String {
        let (s, me) = self.get("/api/v1/me", Some(token)).await;
        assert_eq!(s, 200, "{me}");
        me["accounts"][0]["id"].as_str().unwrap().to_owned()
    }

    /// Counts rows of a table (for "nothing changed" checks).
    /// A member with `role`, created as an operator would, as the services see them.
    pub async fn actor(
        &self,
        email: &str,
        name: &str,
        role: distretto_domain::membership::Role,
        password_hash: &str,
    ) -> distretto_web::auth::viewer::Actor {
        let id = distretto_web::membership::service::create_member(
            &self.db,
            email,
            name,
            password_hash,
            role,
            &WebConfig::default().currency,
        )
        .await
        .unwrap();
        distretto_web::auth::viewer::Actor {
            id,
            email: email.into(),
            name: name.into(),
            role,
            membership_status: "member".into(),
        }
    }

    /// Runs one statement straight on the database (data written past the checks, a tampered
    /// row): the rows it changed.
    pub async fn execute(&self, statement: &str) -> Result<u64, sqlx::Error> {
        match &self.db {
            Db::Sqlite { write, .. } => sqlx::query(statement)
                .execute(write)
                .await
                .map(|r| r.rows_affected()),
            Db::Postgres(p) => sqlx::query(statement)
                .execute(p)
                .await
                .map(|r| r.rows_affected()),
        }
    }

    pub async fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        match &self.db {
            Db::Sqlite { read, .. } => sqlx::query_scalar(&sql).fetch_one(read).await.unwrap(),
            Db::Postgres(p) => sqlx::query_scalar(&sql).fetch_one(p).await.unwrap(),
        }
    }
}

/// A browser-like client: keeps cookies, does not follow redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The CSRF token of the first form of a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a form with a csrf field") + marker.len();
    html[start..start + 64].to_owned()
}

/// A browser signed in as `email` through the sign-in form.
pub async fn signed_in(app: &TestApp, email: &str) -> reqwest::Client {
    let b = browser();
    let html = b
        .get(app.url("/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = b
        .post(app.url("/sign-in"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("email", email),
            ("password", PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    b
}

/// A page as `b` sees it in `lang`: status and body.
pub async fn page(b: &reqwest::Client, app: &TestApp, path: &str, lang: &str) -> (u16, String) {
    let res = b
        .get(app.url(path))
        .header("accept-language", lang)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// Runs each listed test function on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::harness::spawn($crate::harness::Backend::Sqlite).await).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if $crate::harness::postgres_wanted() {
                        super::$name($crate::harness::spawn($crate::harness::Backend::Postgres).await).await;
                    }
                }
            }
        )*
    };
}

/// Posts a form from `b` to `action` with the CSRF token of the page `form_page`:
/// (status, `Location`, body).
pub async fn submit(
    b: &reqwest::Client,
    app: &TestApp,
    form_page: &str,
    action: &str,
    lang: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let (_, html) = page(b, app, form_page, lang).await;
    let csrf = csrf_of(&html);
    let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let res = b
        .post(app.url(action))
        .header("accept-language", lang)
        .form(&form)
        .send()
        .await
        .unwrap();
    answer(res).await
}

/// A response's (status, `Location`, body).
pub async fn answer(res: reqwest::Response) -> (u16, String, String) {
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, res.text().await.unwrap())
}

/// The hash of the test password, for members created directly.
pub async fn password_hash() -> String {
    distretto_web::auth::crypto::hash_password(PASSWORD.into())
        .await
        .unwrap()
}

/// The fields of the form that opens an order cycle in `currency`: open from two minutes ago
/// to tomorrow, fee 2, one producer `farm` (minimum `minimum`, transport 3) and one pickup
/// point two days on, for two hours.
pub fn cycle_form(
    currency: &str,
    farm: uuid::Uuid,
    minimum: &str,
    pickup: uuid::Uuid,
) -> Vec<(String, String)> {
    let now = time::OffsetDateTime::now_utc();
    let two_days = now + time::Duration::days(2);
    [
        ("name".to_owned(), "Weekly order".to_owned()),
        ("currency".to_owned(), currency.to_owned()),
        (
            "opens_at".to_owned(),
            local(now - time::Duration::minutes(2)),
        ),
        ("closes_at".to_owned(), local(now + time::Duration::days(1))),
        ("fee".to_owned(), "2".to_owned()),
        (format!("producer_{farm}"), "1".to_owned()),
        (format!("minimum_{farm}"), minimum.to_owned()),
        (format!("transport_{farm}"), "3".to_owned()),
        (format!("pickup_{pickup}"), "1".to_owned()),
        ("pickup_starts_at".to_owned(), local(two_days)),
        (
            "pickup_ends_at".to_owned(),
            local(two_days + time::Duration::hours(2)),
        ),
    ]
    .into()
}

pub use distretto_web::pages::datetime_local::datetime_local as local;
