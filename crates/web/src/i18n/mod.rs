//! Fluent translations (fr, it, en), language negotiation and the switcher's cookie.

use axum::http::HeaderMap;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use std::borrow::Cow;
use std::collections::HashMap;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Fluent wraps arguments in U+2068/U+2069 by default; they show up in pages and tests.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LanguageIdentifier = langid!("en");
static FR: LanguageIdentifier = langid!("fr");
static IT: LanguageIdentifier = langid!("it");

/// The cookie that remembers the language chosen with the switcher.
pub const LANG_COOKIE: &str = "distretto_lang";

/// A language the UI speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Français.
    Fr,
    /// Italiano.
    It,
    /// English.
    En,
}

impl Lang {
    /// Every language, in switcher order.
    pub const ALL: [Lang; 3] = [Lang::Fr, Lang::It, Lang::En];

    /// The BCP 47 code (`<html lang>`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::Fr => "fr",
            Self::It => "it",
            Self::En => "en",
        }
    }

    /// The language's own name, for the switcher.
    pub const fn endonym(self) -> &'static str {
        match self {
            Self::Fr => "Français",
            Self::It => "Italiano",
            Self::En => "English",
        }
    }

    /// Parses `fr`, `it` or `en` (or a longer tag starting with one, such as `fr-CH`).
    pub fn parse(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "fr" => Some(Self::Fr),
            "it" => Some(Self::It),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Self::Fr => &FR,
            Self::It => &IT,
            Self::En => &EN,
        }
    }

    /// The message `id` in this language (English if missing there, the id itself if missing everywhere).
    pub fn t(self, id: &str) -> String {
        LOCALES.try_lookup(self.id(), id).unwrap_or_else(|| {
            tracing::warn!(id, lang = self.code(), "missing translation");
            id.to_owned()
        })
    }

    /// The message `id` with named arguments.
    pub fn t_args(self, id: &str, args: &[(&'static str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, fluent_templates::fluent_bundle::FluentValue> = args
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), v.clone().into()))
            .collect();
        LOCALES
            .try_lookup_with_args(self.id(), id, &map)
            .unwrap_or_else(|| id.to_owned())
    }

    /// The message `id` with a number argument `count` (plural rules apply).
    pub fn t_count<N: std::borrow::Borrow<i64>>(self, id: &str, count: N) -> String {
        let count = *count.borrow();
        let mut map: HashMap<Cow<'static, str>, fluent_templates::fluent_bundle::FluentValue> =
            HashMap::new();
        map.insert(Cow::Borrowed("count"), count.into());
        LOCALES
            .try_lookup_with_args(self.id(), id, &map)
            .unwrap_or_else(|| id.to_owned())
    }
}

/// Chooses the language: the switcher's cookie, then `Accept-Language` by quality, then the default.
pub fn negotiate(headers: &HeaderMap, default: Lang) -> Lang {
    if let Some(lang) = cookie(headers, LANG_COOKIE).and_then(|v| Lang::parse(&v)) {
        return lang;
    }
    headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(from_accept_language)
        .unwrap_or(default)
}

/// The best supported language of an `Accept-Language` value (bounded to its first 16 entries).
pub fn from_accept_language(value: &str) -> Option<Lang> {
    let mut best: Option<(Lang, u16)> = None;
    for entry in value.split(',').take(16) {
        let mut parts = entry.split(';');
        let Some(lang) = parts.next().and_then(Lang::parse) else {
            continue;
        };
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let q_milli = (q.clamp(0.0, 1.0) * 1000.0) as u16;
        if q_milli > 0 && best.is_none_or(|(_, b)| q_milli > b) {
            best = Some((lang, q_milli));
        }
    }
    best.map(|(l, _)| l)
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Every message id of a locale's files, for the completeness test.
#[cfg(test)]
fn ids(lang: &str) -> std::collections::BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("locales")
        .join(lang);
    let mut out = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            if let Some((id, _)) = line.split_once(" =")
                && !id.starts_with([' ', '#', '-', '.'])
                && !id.is_empty()
            {
                out.insert(id.trim().to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_highest_quality_supported() {
        assert_eq!(
            from_accept_language("de-DE,it;q=0.8,en;q=0.5"),
            Some(Lang::It)
        );
        assert_eq!(from_accept_language("en-GB;q=0.4, fr-CH"), Some(Lang::Fr));
        assert_eq!(from_accept_language("de, es;q=0.9"), None);
        assert_eq!(from_accept_language("it;q=0"), None);
    }

    #[test]
    fn cookie_wins_over_header() {
        let mut h = HeaderMap::new();
        h.insert("accept-language", "en".parse().unwrap());
        h.insert("cookie", "a=b; distretto_lang=it".parse().unwrap());
        assert_eq!(negotiate(&h, Lang::Fr), Lang::It);
    }

    #[test]
    fn every_language_has_every_message() {
        let en = ids("en");
        assert!(en.len() > 50, "English catalogue looks empty");
        for lang in ["fr", "it"] {
            let other = ids(lang);
            let missing: Vec<_> = en.difference(&other).collect();
            let extra: Vec<_> = other.difference(&en).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{lang}: missing {missing:?}, extra {extra:?}"
            );
        }
    }

    #[test]
    fn every_message_used_in_code_and_templates_exists() {
        let en = ids("en");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut used = std::collections::BTreeSet::new();
        let mut stack = vec![root.join("src"), root.join("templates")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for marker in [".t(\"", ".t_count(\"", ".t_args(\""] {
                    for piece in text.split(marker).skip(1) {
                        if let Some(id) = piece.split('"').next() {
                            used.insert(id.to_owned());
                        }
                    }
                }
            }
        }
        let missing: Vec<_> = used
            .iter()
            .filter(|id| !en.contains(*id) && !id.is_empty())
            .collect();
        assert!(
            missing.is_empty(),
            "ids used but not translated: {missing:?}"
        );
    }

    #[test]
    fn translations_differ_per_language() {
        assert_ne!(Lang::Fr.t("nav_directory"), Lang::En.t("nav_directory"));
        assert_ne!(Lang::It.t("nav_directory"), Lang::En.t("nav_directory"));
        assert!(Lang::En.t_count("organizations_count", 1).contains('1'));
    }
}
