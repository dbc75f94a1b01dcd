//! Directory services: reads are public for active members; edits need the organisation's
//! admin or a coordinator, checked here per object.

use crate::auth::viewer::Actor;
use crate::{AppError, AppState};
use distretto_domain::directory::{DirectoryQuery, OrganizationProfile, ProfileInput};
use distretto_store::directory::{OrganizationRow, OrganizationSummary};
use uuid::Uuid;

/// One page of results and the total.
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// How many match in all.
    pub total: i64,
}

/// Searches the directory of active members. A short first page is its own total; otherwise
/// the total comes from the count cache (see [`DirectoryCache`]).
pub async fn search(
    state: &AppState,
    q: &DirectoryQuery,
) -> Result<Page<OrganizationSummary>, AppError> {
    let items = distretto_store::directory::search_page(&state.db, q).await?;
    let total = if q.offset == 0 && (items.len() as u64) < u64::from(q.limit) {
        items.len() as i64
    } else {
        count(state, q).await?
    };
    Ok(Page { items, total })
}

async fn count(state: &AppState, q: &DirectoryQuery) -> Result<i64, AppError> {
    let key = distretto_store::directory::filter_key(q);
    let generation = state.directory_cache.generation();
    if let Some(n) = state.directory_cache.cached_count(&key, generation) {
        return Ok(n);
    }
    let _flight = state.directory_cache.figure_flight(&key).await;
    if let Some(n) = state.directory_cache.cached_count(&key, generation) {
        return Ok(n);
    }
    let n = distretto_store::directory::search_count(&state.db, q).await?;
    state.directory_cache.store_count(key, generation, n);
    Ok(n)
}

/// Whether `actor` may see an organisation that is not active (pending, suspended, rejected):
/// coordinators, and its own members.
async fn may_see_inactive(
    state: &AppState,
    actor: Option<&Actor>,
    org_id: Uuid,
) -> Result<bool, AppError> {
    let Some(actor) = actor else { return Ok(false) };
    if actor.coordinates() {
        return Ok(true);
    }
    Ok(
        distretto_store::membership::member_role(&state.db, actor.id, org_id)
            .await?
            .is_some(),
    )
}

/// An organisation's profile: anyone for active members; otherwise 404 unless allowed to see it.
pub async fn profile(
    state: &AppState,
    actor: Option<&Actor>,
    id: Uuid,
) -> Result<OrganizationRow, AppError> {
    let org = distretto_store::directory::get(&state.db, id).await?;
    if org.status == "active" || may_see_inactive(state, actor, id).await? {
        Ok(org)
    } else {
        Err(AppError::not_found())
    }
}

/// Whether `actor` may edit the organisation and invite colleagues: its admins and coordinators.
pub async fn may_administer(
    state: &AppState,
    actor: &Actor,
    org_id: Uuid,
) -> Result<bool, AppError> {
    if actor.coordinates() {
        return Ok(true);
    }
    Ok(
        distretto_store::membership::member_role(&state.db, actor.id, org_id)
            .await?
            .as_deref()
            == Some("admin"),
    )
}

/// Replaces an organisation's profile after checking the actor's right to.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    input: &ProfileInput,
) -> Result<OrganizationRow, AppError> {
    let org = profile(state, Some(actor), id).await?;
    if !may_administer(state, actor, org.id).await? {
        return Err(AppError::forbidden());
    }
    let parsed = OrganizationProfile::parse(input)?;
    distretto_store::directory::update_profile(&state.db, id, &parsed, distretto_store::now())
        .await?;
    state.directory_cache.invalidate();
    Ok(distretto_store::directory::get(&state.db, id).await?)
}

/// A profile input pre-filled from a stored row, for edit forms and PATCH merges.
pub fn input_of(org: &OrganizationRow) -> ProfileInput {
    let fte = distretto_domain::directory::WorkersFte(org.workers_fte_hundredths);
    ProfileInput {
        name: org.name.clone(),
        kind: org.kind.clone(),
        legal_form: org.legal_form.clone(),
        sector: org.sector.clone(),
        description: org.description.clone(),
        website: org.website.clone().unwrap_or_default(),
        contact_email: org.contact_email.clone().unwrap_or_default(),
        phone: org.phone.clone().unwrap_or_default(),
        address: org.address.clone(),
        postcode: org.postcode.clone(),
        locality: org.locality.clone(),
        lat: org.lat.map(|v| v.to_string()).unwrap_or_default(),
        lon: org.lon.map(|v| v.to_string()).unwrap_or_default(),
        founded_year: org.founded_year.map(|v| v.to_string()).unwrap_or_default(),
        workers_fte: fte.to_string(),
        volunteers: org.volunteers.to_string(),
    }
}

/// How long a directory total or the home page's figures are reused. Writes made through this
/// instance invalidate them at once; writes made by another instance behind the same database
/// show up within this delay. Rows themselves are always read fresh.
pub const FIGURES_TTL: std::time::Duration = std::time::Duration::from_secs(10);
/// How long the list of places is reused before it is read again.
pub const PLACES_TTL: std::time::Duration = std::time::Duration::from_secs(30);
/// The most places offered in the place filter.
pub const MAX_PLACES: u32 = 500;
/// The most distinct filter combinations whose totals are kept (then the cache starts afresh).
const MAX_CACHED_COUNTS: usize = 4_096;
/// How long a rendered public directory answer (API list, directory page for visitors, map
/// points) is served again to other visitors. Short enough that nobody notices; long enough
/// that a crowd reading the same page costs one rendering a second.
pub const RESPONSE_TTL: std::time::Duration = std::time::Duration::from_secs(1);
/// The most rendered answers kept (then the cache starts afresh).
const MAX_CACHED_RESPONSES: usize = 1_024;

/// A rendered answer: its body and content type.
#[derive(Clone)]
pub struct CachedResponse {
    /// The bytes sent.
    pub body: axum::body::Bytes,
    /// The `Content-Type`.
    pub content_type: &'static str,
}

impl axum::response::IntoResponse for CachedResponse {
    fn into_response(self) -> axum::response::Response {
        (
            [(axum::http::header::CONTENT_TYPE, self.content_type)],
            self.body,
        )
            .into_response()
    }
}

type Stamped<T> = Option<(std::time::Instant, u64, std::sync::Arc<T>)>;

/// Directory facts cached in memory for a short time: counting 60,000 rows on every page view
/// would cost more than everything else the page does.
#[derive(Default)]
pub struct DirectoryCache {
    generation: std::sync::atomic::AtomicU64,
    counts: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, u64, i64)>>,
    places: std::sync::Mutex<Stamped<Vec<String>>>,
    glance: std::sync::Mutex<Stamped<Glance>>,
    responses: std::sync::Mutex<
        std::collections::HashMap<String, (std::time::Instant, u64, CachedResponse)>,
    >,
    /// Striped locks so that when an answer expires, one request recomputes it and the others
    /// wait for its result instead of all computing the same thing at once. Rendering an answer
    /// may compute figures, so answers and figures have separate stripes: a request holding an
    /// answer's stripe never waits for that same (non-reentrant) lock again.
    answer_flights: [tokio::sync::Mutex<()>; FLIGHT_STRIPES],
    /// The same for figures (totals, places, home page figures), which never nest.
    figure_flights: [tokio::sync::Mutex<()>; FLIGHT_STRIPES],
}

const FLIGHT_STRIPES: usize = 16;

fn stripe(key: &str) -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    (h.finish() as usize) % FLIGHT_STRIPES
}

/// The district at a glance, for the home page.
pub struct Glance {
    /// Active organisations.
    pub organizations: i64,
    /// Their jobs, in hundredths of FTE.
    pub workers_fte_hundredths: i64,
    /// Active organisations per kind.
    pub by_kind: Vec<(String, i64)>,
    /// The newest members.
    pub recent: Vec<OrganizationSummary>,
    /// The newest admissions (names and dates only).
    pub admissions: Vec<distretto_store::membership::DecisionView>,
}

impl DirectoryCache {
    /// Marks every cached figure stale (call after any write to organisations or memberships).
    pub fn invalidate(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn cached_count(&self, key: &str, generation: u64) -> Option<i64> {
        let counts = self.counts.lock().ok()?;
        let (at, g, n) = counts.get(key)?;
        (*g == generation && at.elapsed() < FIGURES_TTL).then_some(*n)
    }

    fn store_count(&self, key: String, generation: u64, n: i64) {
        if let Ok(mut counts) = self.counts.lock() {
            if counts.len() >= MAX_CACHED_COUNTS {
                counts.clear();
            }
            counts.insert(key, (std::time::Instant::now(), generation, n));
        }
    }

    /// A rendered public answer for `key` (method, path, query and language), if still fresh.
    pub fn response(&self, key: &str) -> Option<CachedResponse> {
        let generation = self.generation();
        let responses = self.responses.lock().ok()?;
        let (at, g, r) = responses.get(key)?;
        (*g == generation && at.elapsed() < RESPONSE_TTL).then(|| r.clone())
    }

    /// Keeps a rendered public answer for [`RESPONSE_TTL`].
    pub fn keep_response(&self, key: String, response: CachedResponse) {
        let generation = self.generation();
        if let Ok(mut responses) = self.responses.lock() {
            if responses.len() >= MAX_CACHED_RESPONSES {
                responses.clear();
            }
            responses.insert(key, (std::time::Instant::now(), generation, response));
        }
    }

    /// The lock a request holds while it renders the answer `key`.
    pub async fn answer_flight(&self, key: &str) -> tokio::sync::MutexGuard<'_, ()> {
        self.answer_flights[stripe(key)].lock().await
    }

    /// The lock a request holds while it recomputes the figure `key`.
    async fn figure_flight(&self, key: &str) -> tokio::sync::MutexGuard<'_, ()> {
        self.figure_flights[stripe(key)].lock().await
    }

    fn fresh<T>(
        slot: &std::sync::Mutex<Stamped<T>>,
        generation: u64,
        ttl: std::time::Duration,
    ) -> Option<std::sync::Arc<T>> {
        let guard = slot.lock().ok()?;
        let (at, g, v) = guard.as_ref()?;
        (*g == generation && at.elapsed() < ttl).then(|| v.clone())
    }

    fn put<T>(slot: &std::sync::Mutex<Stamped<T>>, generation: u64, value: std::sync::Arc<T>) {
        if let Ok(mut guard) = slot.lock() {
            *guard = Some((std::time::Instant::now(), generation, value));
        }
    }
}

/// The places with active members, for the place filter.
pub async fn places(state: &AppState) -> Result<std::sync::Arc<Vec<String>>, AppError> {
    let cache = &state.directory_cache;
    let generation = cache.generation();
    if let Some(p) = DirectoryCache::fresh(&cache.places, generation, PLACES_TTL) {
        return Ok(p);
    }
    let _flight = cache.figure_flight("places").await;
    if let Some(p) = DirectoryCache::fresh(&cache.places, generation, PLACES_TTL) {
        return Ok(p);
    }
    let fresh =
        std::sync::Arc::new(distretto_store::directory::localities(&state.db, MAX_PLACES).await?);
    DirectoryCache::put(&cache.places, generation, fresh.clone());
    Ok(fresh)
}

/// The district at a glance.
pub async fn glance(state: &AppState) -> Result<std::sync::Arc<Glance>, AppError> {
    let cache = &state.directory_cache;
    let generation = cache.generation();
    if let Some(g) = DirectoryCache::fresh(&cache.glance, generation, FIGURES_TTL) {
        return Ok(g);
    }
    let _flight = cache.figure_flight("glance").await;
    if let Some(g) = DirectoryCache::fresh(&cache.glance, generation, FIGURES_TTL) {
        return Ok(g);
    }
    let db = &state.db;
    let (organizations, workers_fte_hundredths) = distretto_store::directory::totals(db).await?;
    let fresh = std::sync::Arc::new(Glance {
        organizations,
        workers_fte_hundredths,
        by_kind: distretto_store::directory::count_by_kind(db).await?,
        recent: distretto_store::directory::recent(db, 8).await?,
        admissions: distretto_store::membership::recent_admissions(db, 8).await?,
    });
    DirectoryCache::put(&cache.glance, generation, fresh.clone());
    Ok(fresh)
}
