//! Searching the directories of linked districts: each active link's public
//! `GET /api/v1/organizations`, asked at once, each answer cached for [`CACHE_SECS`] and,
//! while its district cannot be reached, served stale and marked so.

use crate::{AppError, AppState};
use distretto_store::federation as store;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long an answer of another district is used before asking again, in seconds.
pub const CACHE_SECS: u64 = 300;
/// How long another district may take to answer a search.
const TIMEOUT: Duration = Duration::from_secs(3);
/// Organisations read per district.
pub const PER_DISTRICT: usize = 50;
/// Districts asked at most.
const MAX_DISTRICTS: usize = 50;
/// Answers kept at most (the oldest is dropped first).
const MAX_CACHED: usize = 2_000;

/// An organisation of another district, as its public directory gives it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RemoteOrganization {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub sector: String,
    #[serde(default)]
    pub locality: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// How fresh one district's part of the answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Asked just now.
    Fresh,
    /// From the cache, younger than [`CACHE_SECS`].
    Cached,
    /// The district did not answer: its last answer, however old.
    Stale,
    /// The district did not answer and nothing is cached.
    Unreachable,
}

impl Freshness {
    /// The code the API shows.
    pub fn code(self) -> &'static str {
        match self {
            Self::Fresh => "fresh",
            Self::Cached => "cached",
            Self::Stale => "stale",
            Self::Unreachable => "unreachable",
        }
    }
}

/// One linked district's part of a search.
pub struct DistrictResults {
    pub url: String,
    pub name: String,
    pub freshness: Freshness,
    pub organizations: Vec<RemoteOrganization>,
}

/// An answer of another district and when it came.
type Answer = (Instant, Vec<RemoteOrganization>);

/// Answers of other districts by (link, query).
#[derive(Default)]
pub struct FederationCache {
    answers: Mutex<HashMap<(Uuid, String), Answer>>,
}

impl FederationCache {
    /// Makes every answer old, so the next search asks again (an answer stays for when its
    /// district does not answer).
    pub fn expire(&self) {
        let Ok(mut answers) = self.answers.lock() else {
            return;
        };
        let old = Instant::now().checked_sub(Duration::from_secs(CACHE_SECS + 1));
        if let Some(old) = old {
            for (at, _) in answers.values_mut() {
                *at = old;
            }
        }
    }

    fn get(&self, key: &(Uuid, String)) -> Option<Answer> {
        self.answers.lock().ok()?.get(key).cloned()
    }

    fn put(&self, key: (Uuid, String), value: Vec<RemoteOrganization>) {
        let Ok(mut answers) = self.answers.lock() else {
            return;
        };
        if answers.len() >= MAX_CACHED
            && let Some(oldest) = answers
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| k.clone())
        {
            answers.remove(&oldest);
        }
        answers.insert(key, (Instant::now(), value));
    }
}

fn http() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    })
}

#[derive(serde::Deserialize)]
struct Page {
    items: Vec<RemoteOrganization>,
}

async fn fetch(url: &str, q: &str) -> Option<Vec<RemoteOrganization>> {
    let res = http()
        .get(format!("{url}/api/v1/organizations"))
        .query(&[("q", q), ("limit", &PER_DISTRICT.to_string())])
        .send()
        .await
        .ok()?;
    if !res.status().is_success() {
        return None;
    }
    let mut page: Page = res.json().await.ok()?;
    page.items.truncate(PER_DISTRICT);
    Some(page.items)
}

/// Searches the directories of every active linked district for `q` (words, as in the
/// directory), at most [`PER_DISTRICT`] organisations each, in the order of the links.
pub async fn search(state: &AppState, q: &str) -> Result<Vec<DistrictResults>, AppError> {
    let q: String = q.trim().chars().take(200).collect();
    let links: Vec<store::LinkRow> = store::links(&state.db)
        .await?
        .into_iter()
        .filter(|l| l.status == "active")
        .take(MAX_DISTRICTS)
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, link) in links.iter().enumerate() {
        let key = (link.id, q.clone());
        let cached = state.federation_cache.get(&key);
        let fresh = cached
            .as_ref()
            .is_some_and(|(at, _)| at.elapsed() < Duration::from_secs(CACHE_SECS));
        if fresh {
            let found = cached.map(|(_, v)| v).unwrap_or_default();
            tasks.spawn(async move { (i, Freshness::Cached, found) });
            continue;
        }
        let (url, state) = (link.peer_url.clone(), state.clone());
        tasks.spawn(async move {
            match fetch(&url, &key.1).await {
                Some(found) => {
                    state.federation_cache.put(key, found.clone());
                    (i, Freshness::Fresh, found)
                }
                None => match cached {
                    Some((_, found)) => (i, Freshness::Stale, found),
                    None => (i, Freshness::Unreachable, Vec::new()),
                },
            }
        });
    }
    let mut parts: Vec<Option<(Freshness, Vec<RemoteOrganization>)>> = vec![None; links.len()];
    while let Some(done) = tasks.join_next().await {
        if let Ok((i, freshness, found)) = done
            && let Some(slot) = parts.get_mut(i)
        {
            *slot = Some((freshness, found));
        }
    }
    Ok(links
        .into_iter()
        .zip(parts)
        .map(|(l, part)| {
            let (freshness, organizations) = part.unwrap_or((Freshness::Unreachable, Vec::new()));
            DistrictResults {
                url: l.peer_url,
                name: l.peer_name,
                freshness,
                organizations,
            }
        })
        .collect())
}
