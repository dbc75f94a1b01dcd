//! A directory entry as a Murmurations profile, so that maps and other districts reading the
//! Murmurations index find our members.
//!
//! Field names and shapes follow `organizations_schema-v1.0.0` as served by the Murmurations
//! library API (`$id` `https://test-library.murmurations.network/v2/schemas/organizations_schema-v1.0.0`),
//! source `MurmurationsNetwork/MurmurationsLibrary`, `schemas/organizations_schema-v1.0.0.json`,
//! and the `fields/*.json` it references: `linked_schemas` (array of schema names, at least one),
//! `name` (the only other required field), `primary_url`, `tags` (array of unique strings),
//! `urls` (`[{name, url}]`), `description`, `status` (`active` | `completed` | `cancelled` |
//! `on_hold` | `in_planning`), `full_address`, `country_iso_3166` (two upper-case letters),
//! `geolocation` (`{lat, lon}`, numbers), `relationships` (`[{predicate_url, object_url}]`),
//! `starts_at` (Unix timestamp; a year alone is 1 January 00:00 UTC), `contact_details`
//! (`{email, contact_form}`) and `telephone` (1–100 characters). URLs must start with `http://`
//! or `https://` and are at most 2000 characters.
//!
//! The schema also has `nickname`, `mission`, `image`, `header_image`, `images`, `rss`,
//! `ends_at`, `geographic_scope` and `unique_id`; the directory holds nothing for them, so they
//! are not part of [`MurmurationsProfile`]. The schema has no organisation-type field, so the
//! kind, the sector and their ESSGlobal concepts go into `tags`.

pub use super::vocabulary::{ESSGLOBAL_STANDARD_BASE, EssglobalConcept};
use super::{OrganizationKind, Sector};

/// The Murmurations schema every profile we publish is linked to.
pub const ORGANIZATIONS_SCHEMA: &str = "organizations_schema-v1.0.0";

/// The relationship predicate saying an organisation is a member of its district.
pub const MEMBER_OF_PREDICATE: &str = "https://schema.org/memberOf";

/// The schema's bound on every URL field (`maxLength` in `primary_url.json`, `urls.json`, …).
pub const MAX_URL_CHARS: usize = 2000;

/// The schema's bound on `telephone` (`telephone.json`).
pub const MAX_TELEPHONE_CHARS: usize = 100;

/// What a published profile says of a listed organisation, taken from the directory by the
/// caller so that this module stays independent of the store.
#[derive(Debug, Clone, PartialEq)]
pub struct MurmurationsInput {
    /// The organisation's name.
    pub name: String,
    /// Free-text description; empty for none.
    pub description: String,
    /// The organisation's own website, if any.
    pub website: Option<String>,
    /// Public contact email, if any.
    pub contact_email: Option<String>,
    /// Public phone number, if any.
    pub phone: Option<String>,
    /// Street address; empty for none.
    pub address: String,
    /// Postcode; empty for none.
    pub postcode: String,
    /// Town or city; empty for none.
    pub locality: String,
    /// ISO 3166-1 alpha-2 code of the district's country (e.g. `IT`); empty for none.
    pub country_iso_3166: String,
    /// Latitude in degrees, if known.
    pub lat: Option<f64>,
    /// Longitude in degrees, if known.
    pub lon: Option<f64>,
    /// Year the organisation was founded, if known.
    pub founded_year: Option<i32>,
    /// The organisation's kind.
    pub kind: OrganizationKind,
    /// The organisation's sector.
    pub sector: Sector,
    /// Absolute URL of the organisation's page in the district directory; empty for none.
    pub profile_url: String,
    /// The district's name, published as a tag.
    pub district_name: String,
    /// Absolute URL of the district itself, if any, published as a `memberOf` relationship.
    pub district_url: Option<String>,
}

/// A Murmurations profile valid against `organizations_schema-v1.0.0`; empty fields are
/// left out of the JSON.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MurmurationsProfile {
    /// Always `["organizations_schema-v1.0.0"]`.
    pub linked_schemas: Vec<String>,
    /// The organisation's name.
    pub name: String,
    /// The organisation's website, or else its directory page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_url: Option<String>,
    /// Kind, sector, their ESSGlobal labels and concept URIs, and the district's name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The website and the directory page.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<MurmurationsUrl>,
    /// Free-text description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Always `active`: only listed (admitted, active) members are published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    /// Street address, postcode and locality on one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_address: Option<String>,
    /// ISO 3166-1 alpha-2 country code, upper case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_iso_3166: Option<String>,
    /// Position of the organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geolocation: Option<Geolocation>,
    /// Membership of the district, when the district has a URL.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub relationships: Vec<Relationship>,
    /// Founding date as a Unix timestamp (1 January of the founding year, 00:00 UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<i64>,
    /// Public contact email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_details: Option<ContactDetails>,
    /// Public phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
}

/// `geolocation`: latitude and longitude in degrees.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Geolocation {
    /// Latitude, -90 to 90.
    pub lat: f64,
    /// Longitude, -180 to 180.
    pub lon: f64,
}

/// One entry of `urls`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MurmurationsUrl {
    /// What the URL is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The URL itself (`http://` or `https://`).
    pub url: String,
}

/// One entry of `relationships`: this organisation (the subject) to another entity.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Relationship {
    /// URL defining the relationship, e.g. [`MEMBER_OF_PREDICATE`].
    pub predicate_url: String,
    /// URL of the other entity.
    pub object_url: String,
}

/// `contact_details`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ContactDetails {
    /// Public email address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Web page with a contact form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_form: Option<String>,
}

impl MurmurationsProfile {
    /// Builds the profile of a listed organisation. Values the schema would reject (a URL
    /// without `http(s)://`, a country code that is not two letters, a position out of range,
    /// an over-long phone number) are left out rather than published.
    pub fn from_directory(input: &MurmurationsInput) -> Self {
        let website = input.website.as_deref().and_then(url);
        let profile_url = url(&input.profile_url);
        let district_name = non_empty(&input.district_name);

        let mut urls = Vec::new();
        if let Some(website) = website {
            urls.push(MurmurationsUrl {
                name: Some("Website".to_owned()),
                url: website.to_owned(),
            });
        }
        if let Some(profile_url) = profile_url {
            urls.push(MurmurationsUrl {
                name: Some(match district_name {
                    Some(district) => format!("{district} directory"),
                    None => "District directory".to_owned(),
                }),
                url: profile_url.to_owned(),
            });
        }

        let relationships = input
            .district_url
            .as_deref()
            .and_then(url)
            .map(|district| Relationship {
                predicate_url: MEMBER_OF_PREDICATE.to_owned(),
                object_url: district.to_owned(),
            })
            .into_iter()
            .collect();

        Self {
            linked_schemas: vec![ORGANIZATIONS_SCHEMA.to_owned()],
            name: input.name.trim().to_owned(),
            primary_url: website.or(profile_url).map(str::to_owned),
            tags: tags(input.kind, input.sector, district_name),
            urls,
            description: non_empty(&input.description).map(str::to_owned),
            status: Some("active"),
            full_address: full_address(&input.address, &input.postcode, &input.locality),
            country_iso_3166: country(&input.country_iso_3166),
            geolocation: geolocation(input.lat, input.lon),
            relationships,
            starts_at: input.founded_year.and_then(start_of_year),
            contact_details: input
                .contact_email
                .as_deref()
                .and_then(non_empty)
                .map(|email| ContactDetails {
                    email: Some(email.to_owned()),
                    contact_form: None,
                }),
            telephone: input
                .phone
                .as_deref()
                .and_then(non_empty)
                .filter(|p| p.chars().count() <= MAX_TELEPHONE_CHARS)
                .map(str::to_owned),
        }
    }
}

/// Kind and sector codes, the English labels of their ESSGlobal concepts (searchable words),
/// the concept URIs (machine-readable), then the district; each tag once, as `uniqueItems`
/// requires.
fn tags(kind: OrganizationKind, sector: Sector, district: Option<&str>) -> Vec<String> {
    let concepts: Vec<EssglobalConcept> = [
        kind.essglobal_organisational_structure(),
        sector.essglobal_activity_ica(),
        sector.essglobal_activity_modified(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let candidates = [kind.code(), sector.code()]
        .into_iter()
        .chain(concepts.iter().map(|c| c.label_en))
        .chain(concepts.iter().map(|c| c.uri))
        .chain(district);
    let mut tags: Vec<String> = Vec::new();
    for tag in candidates {
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    tags
}

fn non_empty(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

/// An absolute http(s) URL the schema accepts, or `None`.
fn url(s: &str) -> Option<&str> {
    let u = non_empty(s)?;
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))?;
    let ok = !rest.is_empty()
        && u.chars().count() <= MAX_URL_CHARS
        && !u.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(u)
}

fn full_address(address: &str, postcode: &str, locality: &str) -> Option<String> {
    let town = [postcode, locality]
        .into_iter()
        .filter_map(non_empty)
        .collect::<Vec<_>>()
        .join(" ");
    let parts: Vec<&str> = [non_empty(address), non_empty(&town)]
        .into_iter()
        .flatten()
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn country(code: &str) -> Option<String> {
    let code = code.trim();
    (code.len() == 2 && code.chars().all(|c| c.is_ascii_alphabetic()))
        .then(|| code.to_ascii_uppercase())
}

fn geolocation(lat: Option<f64>, lon: Option<f64>) -> Option<Geolocation> {
    let (lat, lon) = (lat?, lon?);
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon))
        .then_some(Geolocation { lat, lon })
}

/// 1 January of `year` at 00:00 UTC as a Unix timestamp, as `starts_at.json` asks for a year.
fn start_of_year(year: i32) -> Option<i64> {
    time::Date::from_calendar_date(year, time::Month::January, 1)
        .ok()
        .map(|d| d.midnight().assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// Every property of `organizations_schema-v1.0.0`, as the library publishes it.
    const SCHEMA_PROPERTIES: &[&str] = &[
        "linked_schemas",
        "name",
        "nickname",
        "primary_url",
        "tags",
        "urls",
        "description",
        "mission",
        "status",
        "full_address",
        "country_iso_3166",
        "geolocation",
        "image",
        "header_image",
        "images",
        "rss",
        "relationships",
        "starts_at",
        "ends_at",
        "contact_details",
        "telephone",
        "geographic_scope",
        "unique_id",
    ];

    fn full_input() -> MurmurationsInput {
        MurmurationsInput {
            name: " Cooperativa Il Germoglio ".into(),
            description: "Ortaggi biologici di stagione.".into(),
            website: Some("https://germoglio.example".into()),
            contact_email: Some("info@germoglio.example".into()),
            phone: Some("+39 075 123456".into()),
            address: "Via Roma 1".into(),
            postcode: "06012".into(),
            locality: "Città di Castello".into(),
            country_iso_3166: "it".into(),
            lat: Some(43.46),
            lon: Some(12.24),
            founded_year: Some(2023),
            kind: OrganizationKind::WorkerCoop,
            sector: Sector::Agriculture,
            profile_url: "https://des.example/directory/germoglio".into(),
            district_name: "DES Alta Valle del Tevere".into(),
            district_url: Some("https://des.example".into()),
        }
    }

    fn minimal_input() -> MurmurationsInput {
        MurmurationsInput {
            name: "Gruppo".into(),
            description: " ".into(),
            website: None,
            contact_email: Some(String::new()),
            phone: None,
            address: String::new(),
            postcode: String::new(),
            locality: String::new(),
            country_iso_3166: String::new(),
            lat: None,
            lon: None,
            founded_year: None,
            kind: OrganizationKind::Farm,
            sector: Sector::PublicAdministration,
            profile_url: String::new(),
            district_name: String::new(),
            district_url: None,
        }
    }

    // Null on failure: every assertion on the result then fails and names the field.
    fn to_json(input: &MurmurationsInput) -> Value {
        serde_json::to_value(MurmurationsProfile::from_directory(input)).unwrap_or(Value::Null)
    }

    fn keys(v: &Value) -> Vec<&str> {
        v.as_object()
            .into_iter()
            .flat_map(|o| o.keys().map(String::as_str))
            .collect()
    }

    #[test]
    fn full_profile_uses_the_schema_field_names_and_shapes() {
        let v = to_json(&full_input());
        for key in keys(&v) {
            assert!(
                SCHEMA_PROPERTIES.contains(&key),
                "{key} is not in the schema"
            );
        }
        assert_eq!(v["linked_schemas"], json!(["organizations_schema-v1.0.0"]));
        assert_eq!(v["name"], "Cooperativa Il Germoglio");
        assert_eq!(v["primary_url"], "https://germoglio.example");
        assert_eq!(v["geolocation"], json!({"lat": 43.46, "lon": 12.24}));
        assert_eq!(v["country_iso_3166"], "IT");
        assert_eq!(v["full_address"], "Via Roma 1, 06012 Città di Castello");
        assert_eq!(
            v["contact_details"],
            json!({"email": "info@germoglio.example"})
        );
        assert_eq!(v["telephone"], "+39 075 123456");
        assert_eq!(v["status"], "active");
        // The schema's own example: 1 January 2023, 00:00 UTC.
        assert_eq!(v["starts_at"], 1_672_531_200);
        assert_eq!(
            v["urls"],
            json!([
                {"name": "Website", "url": "https://germoglio.example"},
                {"name": "DES Alta Valle del Tevere directory",
                 "url": "https://des.example/directory/germoglio"}
            ])
        );
        assert_eq!(
            v["relationships"],
            json!([{"predicate_url": "https://schema.org/memberOf",
                    "object_url": "https://des.example"}])
        );
    }

    #[test]
    fn tags_carry_kind_sector_and_essglobal_concepts_once_each() {
        let v = to_json(&full_input());
        let tags: Vec<&str> = v["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(Some(tags.len()), v["tags"].as_array().map(Vec::len));
        for expected in [
            "worker_coop",
            "agriculture",
            "Workers cooperative",
            "Agriculture",
            "https://dev.lod.coop/essglobal/2.1/standard/organisational-structure/OS60",
            "https://dev.lod.coop/essglobal/2.1/standard/activities-ica/ICA10",
            "https://dev.lod.coop/essglobal/2.1/standard/activities-modified/AM130",
            "DES Alta Valle del Tevere",
        ] {
            assert!(tags.contains(&expected), "missing tag {expected}");
        }
        let mut unique = tags.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), tags.len(), "tags must be unique: {tags:?}");
    }

    #[test]
    fn empty_fields_are_not_serialized() {
        let v = to_json(&minimal_input());
        // serde_json's map is sorted by key.
        assert_eq!(keys(&v), vec!["linked_schemas", "name", "status", "tags"]);
        // A farm in public administration has no ESSGlobal concept: only the codes remain.
        assert_eq!(v["tags"], json!(["farm", "public_administration"]));
    }

    #[test]
    fn values_the_schema_would_reject_are_left_out() {
        let mut input = full_input();
        input.website = Some("www.no-scheme.example".into());
        input.profile_url = "javascript:alert(1)".into();
        input.district_url = Some("https://".into());
        input.country_iso_3166 = "ITA".into();
        input.lat = Some(f64::NAN);
        input.phone = Some("1".repeat(MAX_TELEPHONE_CHARS + 1));
        let v = to_json(&input);
        for absent in [
            "primary_url",
            "urls",
            "relationships",
            "country_iso_3166",
            "geolocation",
            "telephone",
        ] {
            assert!(v.get(absent).is_none(), "{absent} should be left out");
        }
    }

    #[test]
    fn directory_page_is_the_primary_url_without_a_website() {
        let mut input = full_input();
        input.website = None;
        let p = MurmurationsProfile::from_directory(&input);
        assert_eq!(
            p.primary_url.as_deref(),
            Some("https://des.example/directory/germoglio")
        );
        assert_eq!(p.urls.len(), 1);
    }

    #[test]
    fn founding_years_become_new_year_timestamps() {
        assert_eq!(start_of_year(1970), Some(0));
        assert_eq!(start_of_year(1969), Some(-31_536_000));
        assert_eq!(start_of_year(2024), Some(1_704_067_200));
    }
}
