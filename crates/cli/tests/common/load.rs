//! What the load tests (`storm.rs`, `soak.rs`) share: the backends, one heavy test at a time,
//! the runtime, fresh databases, the HTTP client, tokens and the demo people who trade.

use super::server::DEMO_PASSWORD;
use distretto_store::{ConnectOptions, Db};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The load tests are heavy: one at a time, so each meets its time budget.
static SERIAL: Mutex<()> = Mutex::new(());

pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A fresh, empty database named after `name`: a new SQLite file in `dir`, or a new
/// PostgreSQL database.
pub async fn fresh_database(backend: Backend, dir: &Path, name: &str) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite:{}", dir.join(format!("{name}.db")).display()),
        Backend::Postgres => super::fresh_postgres(name).await,
    }
}

pub async fn open(url: &str) -> Db {
    Db::connect(&ConnectOptions {
        url: url.to_owned(),
        max_connections: 2,
    })
    .await
    .unwrap()
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(64)
        .build()
        .unwrap()
}

/// The random seed of a run: `STORM_SEED=N` replays one (each test prints its own).
pub fn seed() -> u64 {
    std::env::var("STORM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random)
}

/// A demo person who trades: their token and personal account.
#[derive(Clone, Debug)]
pub struct Person {
    pub email: String,
    pub id: Uuid,
    pub token: String,
    pub account: Uuid,
}

/// A token for `email` with the demo password: `None` when refused, an error on a 5xx or a
/// cut connection (a killed server).
pub async fn token(
    client: &reqwest::Client,
    base: &str,
    email: &str,
) -> Result<Option<String>, String> {
    let res = client
        .post(format!("{base}/api/v1/tokens"))
        .json(&json!({"email": email, "password": DEMO_PASSWORD}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    let v: Value = res.json().await.map_err(|e| e.to_string())?;
    match status {
        201 => Ok(v["token"].as_str().map(str::to_owned)),
        s if s >= 500 => Err(format!("{s} {v}")),
        _ => Ok(None),
    }
}

pub async fn get_json(client: &reqwest::Client, url: String, token: &str) -> (u16, Value) {
    let res = client.get(url).bearer_auth(token).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The first `n` demo people who are members with a personal account (pending and suspended
/// people are skipped), with tokens; the coordinator's token; the district currency.
pub async fn pick_people(
    client: &reqwest::Client,
    base: &str,
    n: usize,
) -> (String, Vec<Person>, String) {
    let coordinator = token(client, base, "coordinator@distretto.example")
        .await
        .unwrap()
        .expect("the coordinator signs in with the demo password");
    let mut people = Vec::new();
    let mut currency = String::new();
    let mut skipped = Vec::new();
    for k in 1..=400 {
        if people.len() == n {
            break;
        }
        let email = format!("person-{k}@distretto.example");
        let Some(token) = token(client, base, &email).await.unwrap() else {
            skipped.push(k);
            continue;
        };
        let (s, me) = get_json(client, format!("{base}/api/v1/me"), &token).await;
        assert_eq!(s, 200, "{me}");
        let own = me["accounts"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["owner_kind"] == "person");
        let (Some(account), Some(id), Some(code)) = (
            own.and_then(|a| a["id"].as_str()?.parse().ok()),
            me["id"].as_str().and_then(|i| i.parse().ok()),
            own.and_then(|a| a["currency"].as_str()),
        ) else {
            skipped.push(k);
            continue;
        };
        if me["membership_status"] != "member" {
            skipped.push(k);
            continue;
        }
        currency = code.to_owned();
        people.push(Person {
            email,
            id,
            token,
            account,
        });
    }
    assert_eq!(people.len(), n, "enough active demo people");
    println!("picked {n} people (skipped person numbers {skipped:?})");
    (coordinator, people, currency)
}
