//! Offers and needs: what a member provides or seeks, its category, price, place and validity.
//!
//! Input from a form or the API is a [`ListingInput`] of plain values; [`ListingDraft::parse`]
//! turns it into a valid draft or an [`Invalid`] whose code is a Fluent message id.

pub mod category;
pub mod geo;
pub mod matching;
pub mod murmurations;

use crate::directory::vocabulary;
pub use category::ListingCategory;
pub use geo::{BoundingBox, GeoPoint, haversine_km};

use crate::Invalid;
use crate::ledger::money::MAX_AMOUNT_MINOR;
use crate::text::clean_line;
use time::Date;

vocabulary! {
    /// Whether a listing provides something or seeks it (glossary: offer / need).
    ListingSide {
        Offer => "offer",
        Need => "need",
    }
}

impl ListingSide {
    /// The side a listing is matched against.
    pub const fn counterpart(self) -> Self {
        match self {
            Self::Offer => Self::Need,
            Self::Need => Self::Offer,
        }
    }
}

vocabulary! {
    /// What kind of thing changes hands.
    ListingKind {
        Good => "good",
        Service => "service",
        Skill => "skill",
        EquipmentLoan => "equipment_loan",
        Space => "space",
    }
}

vocabulary! {
    /// Where a listing stands.
    ListingStatus {
        /// Published, can be found and taken up until its validity ends.
        Open => "open",
        /// Taken up by a member: no longer listed.
        TakenUp => "taken_up",
        /// Withdrawn by its owner.
        Withdrawn => "withdrawn",
    }
}

vocabulary! {
    /// The short reference each side of a take-up leaves once.
    ReferenceRating {
        Positive => "positive",
        Neutral => "neutral",
        Negative => "negative",
    }
}

/// Title length bounds, in characters.
pub const TITLE_CHARS: std::ops::RangeInclusive<usize> = 3..=120;
/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// The longest locality, in characters.
pub const MAX_LOCALITY_CHARS: usize = 120;
/// The longest reference text, in characters.
pub const MAX_REFERENCE_CHARS: usize = 500;
/// How far ahead a listing may stay valid, in days.
pub const MAX_VALIDITY_DAYS: i64 = 366;
/// The largest price, in minor units of either currency (the ledger's bound on one amount).
pub const MAX_PRICE_MINOR: i64 = MAX_AMOUNT_MINOR;

/// The price terms: in district credit, in euro, both (part each), or a gift (neither).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct PriceTerms {
    /// Price in minor units of the district credit.
    pub credit_minor: Option<i64>,
    /// Price in euro cents.
    pub euro_cents: Option<i64>,
}

impl PriceTerms {
    /// Checks each given price is positive and within the ledger's bound.
    pub fn new(credit_minor: Option<i64>, euro_cents: Option<i64>) -> Result<Self, Invalid> {
        for (value, field) in [(credit_minor, "credit"), (euro_cents, "euro")] {
            match value {
                Some(v) if v <= 0 => return Err(Invalid::new("market_price_not_positive", field)),
                Some(v) if v > MAX_PRICE_MINOR => {
                    return Err(Invalid::new("market_price_too_large", field));
                }
                _ => {}
            }
        }
        Ok(Self {
            credit_minor,
            euro_cents,
        })
    }

    /// Whether nothing is asked in return.
    pub const fn is_gift(&self) -> bool {
        self.credit_minor.is_none() && self.euro_cents.is_none()
    }
}

/// A listing as typed, before any check.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct ListingInput {
    /// `offer` or `need`.
    pub side: String,
    /// A [`ListingKind`] code.
    pub kind: String,
    /// A [`ListingCategory`] code.
    pub category: String,
    /// Short title.
    pub title: String,
    /// Free text.
    pub description: String,
    /// Price in credit minor units, if any.
    pub credit_minor: Option<i64>,
    /// Price in euro cents, if any.
    pub euro_cents: Option<i64>,
    /// Town or neighbourhood.
    pub locality: String,
    /// Latitude, with `lon`, or neither.
    pub lat: Option<f64>,
    /// Longitude, with `lat`, or neither.
    pub lon: Option<f64>,
    /// First day it is available, `YYYY-MM-DD`; empty for now.
    pub available_from: String,
    /// Last day it is valid, `YYYY-MM-DD`.
    pub valid_until: String,
}

/// A valid listing, ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingDraft {
    pub side: ListingSide,
    pub kind: ListingKind,
    pub category: ListingCategory,
    pub title: String,
    pub description: String,
    pub price: PriceTerms,
    pub locality: String,
    pub point: Option<GeoPoint>,
    pub available_from: Option<Date>,
    pub valid_until: Date,
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(text: &str, field: &'static str) -> Result<Date, Invalid> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), &format).map_err(|_| Invalid::new("market_bad_date", field))
}

impl ListingDraft {
    /// Checks every field; `today` bounds the validity (not in the past, at most
    /// [`MAX_VALIDITY_DAYS`] ahead, not before the start).
    pub fn parse(input: &ListingInput, today: Date) -> Result<Self, Invalid> {
        let side = ListingSide::parse(input.side.trim())
            .ok_or(Invalid::new("market_unknown_side", "side"))?;
        let kind = ListingKind::parse(input.kind.trim())
            .ok_or(Invalid::new("market_unknown_kind", "kind"))?;
        let category = ListingCategory::parse(input.category.trim())
            .ok_or(Invalid::new("market_unknown_category", "category"))?;
        let title = clean_line(&input.title);
        if !TITLE_CHARS.contains(&title.chars().count()) {
            return Err(Invalid::new("market_title_length", "title"));
        }
        let description = clean_text(&input.description);
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(Invalid::new("market_description_too_long", "description"));
        }
        let price = PriceTerms::new(input.credit_minor, input.euro_cents)?;
        let locality = clean_line(&input.locality);
        if locality.chars().count() > MAX_LOCALITY_CHARS {
            return Err(Invalid::new("market_locality_too_long", "locality"));
        }
        let point = match (input.lat, input.lon) {
            (None, None) => None,
            (Some(lat), Some(lon)) => {
                Some(GeoPoint::new(lat, lon).ok_or(Invalid::new("market_bad_position", "lat"))?)
            }
            _ => return Err(Invalid::new("market_bad_position", "lat")),
        };
        let available_from = if input.available_from.trim().is_empty() {
            None
        } else {
            Some(parse_date(&input.available_from, "available_from")?)
        };
        if input.valid_until.trim().is_empty() {
            return Err(Invalid::new("market_valid_until_missing", "valid_until"));
        }
        let valid_until = parse_date(&input.valid_until, "valid_until")?;
        if valid_until < today {
            return Err(Invalid::new("market_valid_until_past", "valid_until"));
        }
        if (valid_until - today).whole_days() > MAX_VALIDITY_DAYS {
            return Err(Invalid::new("market_valid_until_too_far", "valid_until"));
        }
        if available_from.is_some_and(|from| valid_until < from) {
            return Err(Invalid::new(
                "market_valid_until_before_start",
                "valid_until",
            ));
        }
        Ok(Self {
            side,
            kind,
            category,
            title,
            description,
            price,
            locality,
            point,
            available_from,
            valid_until,
        })
    }

    /// The folded text the search index holds: title, description and place.
    pub fn search_text(&self) -> String {
        search_text(&self.title, &self.description, &self.locality)
    }
}

/// The folded text of a listing for the full-text index.
pub fn search_text(title: &str, description: &str, locality: &str) -> String {
    crate::text::fold(&format!("{title} {description} {locality}"))
}

/// A reference's text: trimmed, one paragraph, bounded.
pub fn parse_reference_text(text: &str) -> Result<String, Invalid> {
    let text = clean_line(text);
    if text.chars().count() > MAX_REFERENCE_CHARS {
        return Err(Invalid::new("market_reference_too_long", "text"));
    }
    Ok(text)
}

/// Multi-line text: control characters other than line breaks dropped, ends trimmed.
fn clean_text(text: &str) -> String {
    text.chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A search of the listings, parsed at the edge.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListingQuery {
    /// Folded words, each must start a word of the title, description or place.
    pub words: Vec<String>,
    pub side: Option<ListingSide>,
    pub kind: Option<ListingKind>,
    pub category: Option<ListingCategory>,
    /// Around this point, within `radius_km`; sorted by distance.
    pub near: Option<(GeoPoint, f64)>,
    /// Page size, at most [`MAX_PAGE_LIMIT`].
    pub limit: u32,
    pub offset: u64,
}

/// The largest page (CONTRACT.md: `limit ≤ 500`).
pub const MAX_PAGE_LIMIT: u32 = 500;
/// The page size when none is named.
pub const DEFAULT_PAGE_LIMIT: u32 = 50;
/// The largest search radius, in km.
pub const MAX_RADIUS_KM: f64 = 500.0;
/// The radius when a point is named without one.
pub const DEFAULT_RADIUS_KM: f64 = 25.0;
/// The most words a search uses.
pub const MAX_SEARCH_WORDS: usize = 8;
/// The largest offset accepted.
pub const MAX_OFFSET: u64 = 1_000_000;

/// Search parameters as typed (query string or form).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct QueryInput {
    pub q: Option<String>,
    pub side: Option<String>,
    pub kind: Option<String>,
    pub category: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub radius_km: Option<f64>,
    pub limit: Option<u32>,
    pub offset: Option<u64>,
}

impl ListingQuery {
    /// Checks a search; empty filters are no filter.
    pub fn parse(input: &QueryInput) -> Result<Self, Invalid> {
        let some = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let words = some(&input.q)
            .map(|q| crate::text::search_words(&crate::text::fold(&q), MAX_SEARCH_WORDS))
            .unwrap_or_default();
        let side = match some(&input.side) {
            Some(s) => {
                Some(ListingSide::parse(&s).ok_or(Invalid::new("market_unknown_side", "side"))?)
            }
            None => None,
        };
        let kind = match some(&input.kind) {
            Some(s) => {
                Some(ListingKind::parse(&s).ok_or(Invalid::new("market_unknown_kind", "kind"))?)
            }
            None => None,
        };
        let category = match some(&input.category) {
            Some(s) => Some(
                ListingCategory::parse(&s)
                    .ok_or(Invalid::new("market_unknown_category", "category"))?,
            ),
            None => None,
        };
        let near = match (input.lat, input.lon) {
            (None, None) => None,
            (Some(lat), Some(lon)) => {
                let p =
                    GeoPoint::new(lat, lon).ok_or(Invalid::new("market_bad_position", "lat"))?;
                let r = input.radius_km.unwrap_or(DEFAULT_RADIUS_KM);
                if !(r > 0.0 && r <= MAX_RADIUS_KM) {
                    return Err(Invalid::new("market_bad_radius", "radius_km"));
                }
                Some((p, r))
            }
            _ => return Err(Invalid::new("market_bad_position", "lat")),
        };
        let limit = input.limit.unwrap_or(DEFAULT_PAGE_LIMIT);
        if limit == 0 || limit > MAX_PAGE_LIMIT {
            return Err(Invalid::new("invalid_limit", "limit"));
        }
        let offset = input.offset.unwrap_or(0);
        if offset > MAX_OFFSET {
            return Err(Invalid::new("invalid_offset", "offset"));
        }
        Ok(Self {
            words,
            side,
            kind,
            category,
            near,
            limit,
            offset,
        })
    }
}

#[cfg(test)]
mod tests;
