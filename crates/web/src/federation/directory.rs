//! Searching the directories and marketplaces of linked districts: each active link's public
//! list (`GET /api/v1/organizations`, `GET /api/v1/market/listings`), asked at once, each
//! answer cached for [`CACHE_SECS`] and, while its district cannot be reached, served stale
//! and marked so. One generic fetch-and-cache ([`ask_linked`]) serves every kind of list.

use crate::{AppError, AppState};
use distretto_store::federation as store;
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long an answer of another district is used before asking again, in seconds.
pub const CACHE_SECS: u64 = 300;
/// How long another district may take to answer a search.
const TIMEOUT: Duration = Duration::from_secs(3);
/// Rows read per district.
pub const PER_DISTRICT: usize = 50;
/// Districts asked at most.
const MAX_DISTRICTS: usize = 50;
/// Answers kept at most (the oldest is dropped first).
const MAX_CACHED: usize = 2_000;
/// The largest answer read from another district, in bytes: 50 rows are far below it, and a
/// district sending more is not answering a search.
const MAX_ANSWER_BYTES: usize = 2 * 1024 * 1024;
/// The longest search text sent on, in characters.
const MAX_QUERY_CHARS: usize = 200;

/// A row of another district's public list, read from the path it is served at.
pub trait Remote: serde::de::DeserializeOwned + Clone + Send + Sync + 'static {
    /// The public list on the other district, e.g. `/api/v1/organizations`.
    const PATH: &'static str;
}

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

impl Remote for RemoteOrganization {
    const PATH: &'static str = "/api/v1/organizations";
}

/// An offer or a need of another district, as its public marketplace gives it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RemoteListing {
    pub id: Uuid,
    /// `offer` or `need`.
    pub side: String,
    /// `good`, `service`, `skill`, `equipment_loan` or `space`.
    pub kind: String,
    pub category: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Price in minor units of the origin district's credit (see `credit_currency`), not ours.
    pub credit_minor: Option<i64>,
    /// The code of the origin district's credit, when it says (older districts do not).
    #[serde(default)]
    pub credit_currency: Option<String>,
    /// Decimals of the origin district's credit.
    #[serde(default)]
    pub credit_scale: Option<u32>,
    /// Price in euro cents.
    pub euro_cents: Option<i64>,
    #[serde(default)]
    pub gift: bool,
    #[serde(default)]
    pub locality: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub valid_until: String,
}

impl Remote for RemoteListing {
    const PATH: &'static str = "/api/v1/market/listings";
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
pub struct DistrictResults<T> {
    pub url: String,
    pub name: String,
    pub freshness: Freshness,
    pub items: Vec<T>,
}

/// An answer of another district (a `Vec` of some [`Remote`] type) and when it came.
type Answer = (Instant, Arc<dyn Any + Send + Sync>);

/// Answers of other districts by (link, path and query).
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

    /// The cached answer and its age, if one of type `T` is kept under `key`.
    fn get<T: Remote>(&self, key: &(Uuid, String)) -> Option<(Instant, Vec<T>)> {
        let (at, any) = self.answers.lock().ok()?.get(key).cloned()?;
        let rows = any.downcast::<Vec<T>>().ok()?;
        Some((at, rows.as_ref().clone()))
    }

    fn put<T: Remote>(&self, key: (Uuid, String), value: Vec<T>) {
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
        answers.insert(key, (Instant::now(), Arc::new(value)));
    }
}

#[derive(serde::Deserialize)]
struct Page<T> {
    items: Vec<T>,
}

/// The body of an answer, or `None` when it is larger than [`MAX_ANSWER_BYTES`].
async fn body_within_limit(mut res: reqwest::Response) -> Option<Vec<u8>> {
    if res
        .content_length()
        .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
    {
        return None;
    }
    let mut body = Vec::new();
    // Each chunk adds at least a byte, so the loop ends by the limit at the latest.
    while let Some(chunk) = res.chunk().await.ok()? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    Some(body)
}

async fn fetch<T: Remote>(url: &str, query: &str) -> Option<Vec<T>> {
    let res = super::client::http()
        .get(format!("{url}{}?{query}", T::PATH))
        .timeout(TIMEOUT)
        .send()
        .await
        .ok()?;
    if !res.status().is_success() {
        return None;
    }
    let body = body_within_limit(res).await?;
    let mut page: Page<T> = serde_json::from_slice(&body).ok()?;
    page.items.truncate(PER_DISTRICT);
    Some(page.items)
}

/// One district's answer: the cache while young, else asked now, else the cache however old.
async fn answer_of<T: Remote>(
    state: AppState,
    link: &store::LinkRow,
    query: &str,
) -> (Freshness, Vec<T>) {
    let key = (link.id, format!("{}?{query}", T::PATH));
    let cached = state.federation_cache.get::<T>(&key);
    if let Some((at, rows)) = &cached
        && at.elapsed() < Duration::from_secs(CACHE_SECS)
    {
        return (Freshness::Cached, rows.clone());
    }
    match fetch::<T>(&link.peer_url, query).await {
        Some(rows) => {
            state.federation_cache.put(key, rows.clone());
            (Freshness::Fresh, rows)
        }
        None => match cached {
            Some((_, rows)) => (Freshness::Stale, rows),
            None => (Freshness::Unreachable, Vec::new()),
        },
    }
}

/// Asks every active linked district's public list `T::PATH` with `params` (plus a limit of
/// [`PER_DISTRICT`]) at once, in the order of the links; suspended, ended and pending links
/// are never asked.
pub async fn ask_linked<T: Remote>(
    state: &AppState,
    params: &[(&str, String)],
) -> Result<Vec<DistrictResults<T>>, AppError> {
    let mut params: Vec<(&str, String)> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .cloned()
        .collect();
    params.push(("limit", PER_DISTRICT.to_string()));
    // The encoded query is also the cache key, so equal searches share one answer.
    let query = serde_urlencoded::to_string(&params).map_err(|_| AppError::internal())?;
    let links: Vec<store::LinkRow> = store::links(&state.db)
        .await?
        .into_iter()
        .filter(|l| l.status == "active")
        .take(MAX_DISTRICTS)
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, link) in links.iter().enumerate() {
        let (state, link, query) = (state.clone(), link.clone(), query.clone());
        tasks.spawn(async move { (i, answer_of::<T>(state, &link, &query).await) });
    }
    let mut parts: Vec<Option<(Freshness, Vec<T>)>> = vec![None; links.len()];
    while let Some(done) = tasks.join_next().await {
        if let Ok((i, part)) = done
            && let Some(slot) = parts.get_mut(i)
        {
            *slot = Some(part);
        }
    }
    Ok(links
        .into_iter()
        .zip(parts)
        .map(|(l, part)| {
            let (freshness, items) = part.unwrap_or((Freshness::Unreachable, Vec::new()));
            DistrictResults {
                url: l.peer_url,
                name: l.peer_name,
                freshness,
                items,
            }
        })
        .collect())
}

/// The search text sent on: trimmed, at most [`MAX_QUERY_CHARS`].
fn words(q: &str) -> String {
    q.trim().chars().take(MAX_QUERY_CHARS).collect()
}

/// Searches the directories of every active linked district for `q` (words, as in the
/// directory), at most [`PER_DISTRICT`] organisations each, in the order of the links.
pub async fn search(
    state: &AppState,
    q: &str,
) -> Result<Vec<DistrictResults<RemoteOrganization>>, AppError> {
    ask_linked(state, &[("q", words(q))]).await
}

/// What a federated marketplace search asks each district for; empty fields are no filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListingFilter {
    /// Words, as in the marketplace's own search.
    pub q: String,
    /// `offer` or `need`.
    pub side: String,
    /// A listing kind code.
    pub kind: String,
    /// A category code.
    pub category: String,
}

/// Searches the open offers and needs of every active linked district, at most
/// [`PER_DISTRICT`] each, in the order of the links. The filter is checked here first, as the
/// marketplace checks its own searches, so a bad one is refused before any district is asked.
pub async fn search_listings(
    state: &AppState,
    f: &ListingFilter,
) -> Result<Vec<DistrictResults<RemoteListing>>, AppError> {
    use distretto_domain::market::listing::{ListingQuery, QueryInput};
    let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let parsed = ListingQuery::parse(&QueryInput {
        q: some(&f.q),
        side: some(&f.side),
        kind: some(&f.kind),
        category: some(&f.category),
        ..QueryInput::default()
    })?;
    let params = [
        ("q", words(&f.q)),
        (
            "side",
            parsed.side.map(|s| s.code().to_owned()).unwrap_or_default(),
        ),
        (
            "kind",
            parsed.kind.map(|k| k.code().to_owned()).unwrap_or_default(),
        ),
        (
            "category",
            parsed
                .category
                .map(|c| c.code().to_owned())
                .unwrap_or_default(),
        ),
    ];
    ask_linked(state, &params).await
}
