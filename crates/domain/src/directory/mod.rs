//! The directory: member organisations, their kinds, sectors and profiles.

pub mod murmurations;
mod profile;
mod vocabulary;
pub(crate) use vocabulary::vocabulary;

pub use profile::{OrganizationProfile, ProfileInput, WorkersFte, parse_phone};
pub use vocabulary::{OrganizationKind, OrganizationStatus, Sector};

/// The version of the district charter members sign when they are admitted.
pub const CHARTER_VERSION: &str = "2026-1";

/// The largest page any directory list answers, as CONTRACT.md promises (`limit ≤ 500`).
pub const MAX_PAGE_LIMIT: u32 = 500;
/// The page size used when the client names none.
pub const DEFAULT_PAGE_LIMIT: u32 = 50;

/// A directory query, parsed at the edge: folded search words and exact filters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DirectoryQuery {
    /// Folded alphanumeric words (see [`crate::text::search_words`]); each must start a word of
    /// the name, description, place or legal form.
    pub words: Vec<String>,
    /// Only organisations of this kind.
    pub kind: Option<OrganizationKind>,
    /// Only organisations of this sector.
    pub sector: Option<Sector>,
    /// Only organisations in this place (folded locality).
    pub locality_key: Option<String>,
    /// Page size, at most [`MAX_PAGE_LIMIT`].
    pub limit: u32,
    /// Rows skipped before the page.
    pub offset: u64,
}

/// The most words a search looks for; more are ignored so a query stays bounded.
pub const MAX_SEARCH_WORDS: usize = 8;
/// The largest offset accepted, so that a page request cannot ask the database to skip forever.
pub const MAX_OFFSET: u64 = 10_000_000;

impl DirectoryQuery {
    /// Parses raw query parameters; empty strings mean "no filter".
    pub fn parse(
        q: Option<&str>,
        kind: Option<&str>,
        sector: Option<&str>,
        place: Option<&str>,
        limit: Option<u32>,
        offset: Option<u64>,
    ) -> Result<Self, crate::Invalid> {
        let words = crate::text::search_words(
            &q.map(crate::text::fold).unwrap_or_default(),
            MAX_SEARCH_WORDS,
        );
        let kind = non_empty(kind)
            .map(|k| OrganizationKind::parse(k).ok_or(crate::Invalid::new("invalid_kind", "kind")))
            .transpose()?;
        let sector = non_empty(sector)
            .map(|s| Sector::parse(s).ok_or(crate::Invalid::new("invalid_sector", "sector")))
            .transpose()?;
        let locality_key = non_empty(place).map(crate::text::fold);
        let limit = limit.unwrap_or(DEFAULT_PAGE_LIMIT);
        if limit == 0 || limit > MAX_PAGE_LIMIT {
            return Err(crate::Invalid::new("invalid_limit", "limit"));
        }
        let offset = offset.unwrap_or(0);
        if offset > MAX_OFFSET {
            return Err(crate::Invalid::new("invalid_offset", "offset"));
        }
        Ok(Self {
            words,
            kind,
            sector,
            locality_key,
            limit,
            offset,
        })
    }
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_folds_words_and_parses_filters() {
        let q = DirectoryQuery::parse(
            Some("  Coopérative  BIO "),
            Some("farm"),
            Some(""),
            Some("Città di Castello"),
            Some(20),
            None,
        )
        .unwrap();
        assert_eq!(q.words, vec!["cooperative", "bio"]);
        assert_eq!(q.kind, Some(OrganizationKind::Farm));
        assert_eq!(q.sector, None);
        assert_eq!(q.locality_key.as_deref(), Some("citta di castello"));
        assert_eq!(q.limit, 20);
    }

    #[test]
    fn query_rejects_bad_limits_and_unknown_kinds() {
        assert_eq!(
            DirectoryQuery::parse(None, None, None, None, Some(501), None)
                .unwrap_err()
                .code,
            "invalid_limit"
        );
        assert_eq!(
            DirectoryQuery::parse(None, None, None, None, Some(0), None)
                .unwrap_err()
                .code,
            "invalid_limit"
        );
        assert_eq!(
            DirectoryQuery::parse(None, Some("bank"), None, None, None, None)
                .unwrap_err()
                .code,
            "invalid_kind"
        );
    }

    #[test]
    fn search_words_are_bounded() {
        let many = "a b c d e f g h i j k l";
        let q = DirectoryQuery::parse(
            Some("d'Œuvre, 100% Saint-Vincent"),
            None,
            None,
            None,
            None,
            None,
        )
        .unwrap();
        assert_eq!(q.words, vec!["d", "oeuvre", "100", "saint", "vincent"]);
        let q = DirectoryQuery::parse(Some(many), None, None, None, None, None).unwrap();
        assert_eq!(q.words.len(), MAX_SEARCH_WORDS);
    }
}
