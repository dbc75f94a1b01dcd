//! Offers and needs as Murmurations `offers_wants_schema-v0.1.0` profiles, so that maps and
//! other districts reading the Murmurations index find what our members offer and seek.
//!
//! Field names follow the schema as its published profiles use them (e.g. CommunityForge's
//! `murmurations.json` per ad): `linked_schemas`, `title`, `description`, `exchange_type`
//! (`offer` | `want`), `item_type` (`good` | `service`), `transaction_type` (array of
//! `buy-sell`, `borrow-lend`, `rent-hire`, `receive-donate`…), `geographic_scope`
//! (`local`…), `tags`, `geolocation` (`{lat, lon}`), `expires_at` (Unix seconds),
//! `details_url`, `primary_url`, `country_iso_3166`.

use super::{ListingCategory, ListingKind, ListingSide, PriceTerms};
use crate::directory::murmurations::EssglobalConcept;
use time::Date;

/// The Murmurations schema our listings are linked to.
pub const OFFERS_WANTS_SCHEMA: &str = "offers_wants_schema-v0.1.0";

/// A listing as the schema wants it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OffersWantsProfile {
    pub linked_schemas: Vec<&'static str>,
    pub title: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// `offer` or `want`.
    pub exchange_type: &'static str,
    /// `good` or `service`.
    pub item_type: &'static str,
    pub transaction_type: Vec<&'static str>,
    pub geographic_scope: &'static str,
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geolocation: Option<Geolocation>,
    /// End of validity, Unix seconds (the end of the last valid day, UTC).
    pub expires_at: i64,
    pub details_url: String,
    pub primary_url: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub country_iso_3166: String,
}

/// `{lat, lon}` in degrees.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Geolocation {
    pub lat: f64,
    pub lon: f64,
}

/// What a profile says of one listing, taken from the store by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingFacts<'a> {
    pub side: ListingSide,
    pub kind: ListingKind,
    pub category: ListingCategory,
    pub title: &'a str,
    pub description: &'a str,
    pub price: PriceTerms,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub valid_until: Date,
    /// The listing's page on this district.
    pub details_url: String,
    /// The district's public address.
    pub primary_url: String,
    pub country_iso_3166: &'a str,
}

/// The schema's `exchange_type` of a side.
pub const fn exchange_type(side: ListingSide) -> &'static str {
    match side {
        ListingSide::Offer => "offer",
        ListingSide::Need => "want",
    }
}

/// The schema's `item_type` of a kind: things that change hands are goods, the rest services.
pub const fn item_type(kind: ListingKind) -> &'static str {
    match kind {
        ListingKind::Good | ListingKind::EquipmentLoan => "good",
        ListingKind::Service | ListingKind::Skill | ListingKind::Space => "service",
    }
}

/// The schema's `transaction_type`s: a loan is lent, a space hired, a price sold, a gift given.
pub fn transaction_types(kind: ListingKind, price: PriceTerms) -> Vec<&'static str> {
    let mut out = Vec::new();
    match kind {
        ListingKind::EquipmentLoan => out.push("borrow-lend"),
        ListingKind::Space if !price.is_gift() => out.push("rent-hire"),
        _ => {}
    }
    if price.is_gift() {
        out.push("receive-donate");
    } else if out.is_empty() {
        out.push("buy-sell");
    }
    out
}

/// Builds the profile of a listing; the category and its ESSGlobal activity and NACE group go
/// into `tags`, since the schema has no classification field.
pub fn profile(f: &ListingFacts<'_>) -> OffersWantsProfile {
    let mut tags = vec![
        f.category.code().to_owned(),
        f.kind.code().to_owned(),
        format!("NACE {}", f.category.nace()),
    ];
    if let Some(EssglobalConcept { uri, .. }) = f.category.essglobal_activity() {
        tags.push(uri.to_owned());
    }
    let expires_at = f
        .valid_until
        .next_day()
        .unwrap_or(f.valid_until)
        .midnight()
        .assume_utc()
        .unix_timestamp();
    OffersWantsProfile {
        linked_schemas: vec![OFFERS_WANTS_SCHEMA],
        title: f.title.to_owned(),
        description: f.description.to_owned(),
        exchange_type: exchange_type(f.side),
        item_type: item_type(f.kind),
        transaction_type: transaction_types(f.kind, f.price),
        geographic_scope: "local",
        tags,
        geolocation: match (f.lat, f.lon) {
            (Some(lat), Some(lon)) => Some(Geolocation { lat, lon }),
            _ => None,
        },
        expires_at,
        details_url: f.details_url.clone(),
        primary_url: f.primary_url.clone(),
        country_iso_3166: f.country_iso_3166.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_need_is_a_want_and_a_loan_is_lent() {
        let f = ListingFacts {
            side: ListingSide::Need,
            kind: ListingKind::EquipmentLoan,
            category: ListingCategory::ToolsEquipment,
            title: "Trapano",
            description: "",
            price: PriceTerms::default(),
            lat: Some(45.7),
            lon: Some(7.3),
            valid_until: time::macros::date!(2026 - 12 - 31),
            details_url: "https://d.example/market/x".into(),
            primary_url: "https://d.example".into(),
            country_iso_3166: "IT",
        };
        let p = profile(&f);
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["linked_schemas"][0], "offers_wants_schema-v0.1.0");
        assert_eq!(v["exchange_type"], "want");
        assert_eq!(v["item_type"], "good");
        assert_eq!(
            v["transaction_type"],
            serde_json::json!(["borrow-lend", "receive-donate"])
        );
        assert_eq!(v["geolocation"]["lat"], 45.7);
        assert_eq!(v["expires_at"], 1_798_761_600); // 2027-01-01T00:00:00Z
        assert!(v.get("description").is_none());
        assert!(p.tags.iter().any(|t| t.ends_with("/ICA60")));
    }

    #[test]
    fn a_priced_offer_is_sold() {
        let price = PriceTerms::new(Some(500), None).unwrap();
        assert_eq!(
            transaction_types(ListingKind::Good, price),
            vec!["buy-sell"]
        );
        assert_eq!(
            transaction_types(ListingKind::Space, price),
            vec!["rent-hire"]
        );
        assert_eq!(exchange_type(ListingSide::Offer), "offer");
        assert_eq!(item_type(ListingKind::Skill), "service");
    }
}
