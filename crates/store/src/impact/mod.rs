//! Impact: the aggregates the indicators read, kept up to date from the journal, the facts
//! of the district they combine with, and the surveys and scenarios members save.

pub mod aggregates;
pub mod bench_data;
pub mod facts;
mod plain_sqlite;
pub mod saved;

use rustc_hash::FxHashMap;
use uuid::Uuid;

/// Dense numbers for accounts (the domain's aggregates index accounts by `u32`).
///
/// FxHash over the id as one 128-bit number (two multiplications, where hashing it as bytes
/// also hashes their length): the keys are account ids the district made, and a national fold
/// looks one up twenty million times.
#[derive(Debug, Clone, Default)]
pub struct AccountIndex {
    ids: Vec<Uuid>,
    of: FxHashMap<u128, u32>,
}

impl AccountIndex {
    /// The number of `id`, given on first sight.
    pub fn intern(&mut self, id: Uuid) -> u32 {
        let key = id.as_u128();
        if let Some(i) = self.of.get(&key) {
            return *i;
        }
        let i = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        self.ids.push(id);
        self.of.insert(key, i);
        i
    }

    /// The account numbered `i` (nil for a number never given).
    pub fn id(&self, i: u32) -> Uuid {
        self.ids.get(i as usize).copied().unwrap_or_default()
    }

    /// The number of `id`, if it was given one.
    pub fn get(&self, id: &Uuid) -> Option<u32> {
        self.of.get(&id.as_u128()).copied()
    }

    /// Every account, by number.
    pub fn ids(&self) -> &[Uuid] {
        &self.ids
    }

    /// How many accounts have a number.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether none has.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// How many organisations, people and journal entries the district holds (for the benchmark's
/// report).
pub async fn sizes(db: &crate::Db) -> crate::Result<(i64, i64, i64)> {
    crate::with_pool!(db.read(), pool => sqlx::query_as::<_, (i64, i64, i64)>(
        "SELECT (SELECT COUNT(*) FROM organizations), (SELECT COUNT(*) FROM people), (SELECT COUNT(*) FROM transfers)")
        .fetch_one(pool).await)
    .map_err(crate::StoreError::from)
}
