//! Matching offers to needs: for a listing, rank the open listings of the other side by
//! category (same category, then same sector), shared words of their titles, and distance
//! (within [`MAX_MATCH_KM`] for the same category, [`NEAR_MATCH_KM`] for any other).
//!
//! The order is total and stable: score descending, then distance ascending (unknown distance
//! last), then id ascending, so the same listings always rank the same.

use super::category::ListingCategory;
use super::geo::{GeoPoint, haversine_km};
use std::cmp::Ordering;
use std::collections::BTreeSet;
use uuid::Uuid;

/// Points for the same category.
pub const SAME_CATEGORY: u32 = 100;
/// Points for a related category (the same sector).
pub const SAME_SECTOR: u32 = 40;
/// Points per shared title word, for at most [`MAX_SHARED_WORDS`] words.
pub const PER_SHARED_WORD: u32 = 15;
/// Shared words counted at most.
pub const MAX_SHARED_WORDS: usize = 4;
/// Beyond this distance a candidate of the same category is no match, in km.
pub const MAX_MATCH_KM: f64 = 50.0;
/// Beyond this distance a candidate of another category (related, or sharing words) is no
/// match, in km: far away, only the very thing sought is worth the trip.
pub const NEAR_MATCH_KM: f64 = 15.0;
/// Closeness points by distance band (km, points).
pub const NEAR_BANDS: [(f64, u32); 3] = [(5.0, 30), (15.0, 20), (30.0, 10)];
/// Words too common to say two listings are about the same thing (fr, it, en).
const STOP_WORDS: &[&str] = &[
    "and", "the", "for", "with", "from", "une", "des", "les", "pour", "avec", "dans", "sur", "aux",
    "del", "della", "delle", "dei", "per", "con", "una", "uno", "gli", "nel", "alla",
];

/// What matching needs of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchSubject {
    pub id: Uuid,
    pub category: ListingCategory,
    /// Folded distinctive words of the title (see [`title_words`]).
    pub words: BTreeSet<String>,
    pub point: Option<GeoPoint>,
}

/// A ranked candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub id: Uuid,
    pub score: u32,
    pub distance_km: Option<f64>,
}

/// The distinctive folded words of a title: at least three letters, not a stop word.
pub fn title_words(title: &str) -> BTreeSet<String> {
    crate::text::search_words(&crate::text::fold(title), 32)
        .into_iter()
        .filter(|w| w.chars().count() >= 3 && !STOP_WORDS.contains(&w.as_str()))
        .collect()
}

/// The score of `candidate` for `subject`, or `None` when it is no match (unrelated category
/// and no shared word, or too far).
pub fn score(subject: &MatchSubject, candidate: &MatchSubject) -> Option<Scored> {
    let distance_km = match (subject.point, candidate.point) {
        (Some(a), Some(b)) => Some(haversine_km(a, b)),
        _ => None,
    };
    if distance_km.is_some_and(|d| d > MAX_MATCH_KM) {
        return None;
    }
    let category = if subject.category == candidate.category {
        SAME_CATEGORY
    } else if subject.category.sector() == candidate.category.sector() {
        SAME_SECTOR
    } else {
        0
    };
    let shared = subject.words.intersection(&candidate.words).count();
    if category == 0 && shared == 0 {
        return None;
    }
    if category != SAME_CATEGORY && distance_km.is_some_and(|d| d > NEAR_MATCH_KM) {
        return None;
    }
    let words = PER_SHARED_WORD * u32::try_from(shared.min(MAX_SHARED_WORDS)).unwrap_or(0);
    let near = distance_km
        .and_then(|d| NEAR_BANDS.iter().find(|(km, _)| d <= *km))
        .map_or(0, |(_, points)| *points);
    Some(Scored {
        id: candidate.id,
        score: category + words + near,
        distance_km,
    })
}

/// The stable order of ranked candidates.
pub fn rank_order(a: &Scored, b: &Scored) -> Ordering {
    b.score
        .cmp(&a.score)
        .then_with(|| match (a.distance_km, b.distance_km) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then_with(|| a.id.cmp(&b.id))
}

/// The best `max` matches among `candidates` (the subject itself excluded), best first.
pub fn rank(subject: &MatchSubject, candidates: &[MatchSubject], max: usize) -> Vec<Scored> {
    let mut scored: Vec<Scored> = candidates
        .iter()
        .filter(|c| c.id != subject.id)
        .filter_map(|c| score(subject, c))
        .collect();
    scored.sort_by(rank_order);
    scored.truncate(max);
    scored
}

/// The highest score a candidate of a related category (the same sector) can reach: every
/// shared word counted, at the closest distance band.
pub const BEST_RELATED_SCORE: u32 = SAME_SECTOR + WORDS_AT_MOST + NEAR_BANDS[0].1;
/// The highest score a candidate of an unrelated category can reach: by its words alone.
pub const BEST_UNRELATED_SCORE: u32 = WORDS_AT_MOST + NEAR_BANDS[0].1;
const WORDS_AT_MOST: u32 = PER_SHARED_WORD * MAX_SHARED_WORDS as u32;

/// Whether the best `max` of `ranked` (ranked best first, as [`rank`] returns them) are final
/// whatever candidates scoring at most `bound` are added: the `max`-th already scores above
/// it, so none of them could enter or reorder the first `max`. Matching reads the same
/// category first and skips the other categories when this holds.
pub fn settled(ranked: &[Scored], max: usize, bound: u32) -> bool {
    max == 0 || ranked.get(max - 1).is_some_and(|s| s.score > bound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn subject(
        n: u128,
        category: ListingCategory,
        title: &str,
        point: Option<(f64, f64)>,
    ) -> MatchSubject {
        MatchSubject {
            id: Uuid::from_u128(n),
            category,
            words: title_words(title),
            point: point.and_then(|(a, b)| GeoPoint::new(a, b)),
        }
    }

    const AOSTA: (f64, f64) = (45.737, 7.320);
    const SARRE: (f64, f64) = (45.725, 7.290); // ~3 km
    const CHATILLON: (f64, f64) = (45.750, 7.615); // ~23 km
    const TURIN: (f64, f64) = (45.070, 7.687); // ~80 km

    #[test]
    fn category_then_sector_then_words_then_distance() {
        use ListingCategory as C;
        let need = subject(1, C::FreshProduce, "Cerco verdure di stagione", Some(AOSTA));
        let candidates = vec![
            subject(10, C::FreshProduce, "Verdure dell'orto", Some(CHATILLON)),
            subject(11, C::FreshProduce, "Patate", Some(SARRE)),
            subject(12, C::LivestockDairy, "Formaggio", Some(SARRE)),
            subject(13, C::BakeryPasta, "Pane con verdure", Some(SARRE)),
            subject(14, C::DigitalIt, "Siti web", Some(SARRE)),
            subject(15, C::FreshProduce, "Verdure", Some(TURIN)),
            subject(16, C::FreshProduce, "Verdure di stagione", None),
        ];
        let ranked = rank(&need, &candidates, 10);
        let ids: Vec<u128> = ranked.iter().map(|s| s.id.as_u128()).collect();
        // 16: 100 + 2×15 (verdure, stagione) = 130; 11: 100 + 30 near; 10: 100 + 15 + 10;
        // 12: 40 + 30; 13: 15 + 30. Unrelated 14 and far 15 are no match.
        assert_eq!(ids, vec![11, 16, 10, 12, 13]);
        assert_eq!(ranked[0].score, 130);
        assert_eq!(ranked[1].score, 130);
        assert!(ranked[1].distance_km.is_none());
    }

    #[test]
    fn accents_and_case_do_not_matter_in_fr_it_en() {
        use ListingCategory as C;
        let need = subject(1, C::RepairMaintenance, "Réparation de VÉLO", None);
        let offer = subject(2, C::DigitalIt, "reparation velo electrique", None);
        assert_eq!(
            score(&need, &offer).map(|s| s.score),
            Some(2 * PER_SHARED_WORD)
        );
        let need = subject(1, C::CareChildcare, "Baby-sitting Città", None);
        let offer = subject(2, C::DigitalIt, "CITTA baby sitting", None);
        assert_eq!(
            score(&need, &offer).map(|s| s.score),
            Some(3 * PER_SHARED_WORD)
        );
        let need = subject(1, C::DigitalIt, "Website for the CAFÉ", None);
        let offer = subject(2, C::LegalAdvice, "cafe website", None);
        assert_eq!(
            score(&need, &offer).map(|s| s.score),
            Some(2 * PER_SHARED_WORD)
        );
    }

    #[test]
    fn other_categories_match_only_nearby() {
        use ListingCategory as C;
        let need = subject(1, C::FreshProduce, "verdure", Some(AOSTA));
        // Châtillon is ~23 km away: the same category matches, a related one does not.
        assert!(score(&need, &subject(2, C::FreshProduce, "x", Some(CHATILLON))).is_some());
        assert!(score(&need, &subject(3, C::LivestockDairy, "x", Some(CHATILLON))).is_none());
        assert!(
            score(
                &need,
                &subject(4, C::BakeryPasta, "verdure", Some(CHATILLON))
            )
            .is_none()
        );
        assert!(score(&need, &subject(5, C::LivestockDairy, "x", Some(SARRE))).is_some());
    }

    #[test]
    fn the_subject_never_matches_itself() {
        let s = subject(1, ListingCategory::Beverages, "Vino", None);
        assert!(rank(&s, std::slice::from_ref(&s), 5).is_empty());
    }

    #[test]
    fn the_bounds_are_the_best_scores_of_other_categories() {
        use ListingCategory as C;
        let need = subject(1, C::FreshProduce, "verdure pane mele uova", Some(AOSTA));
        let related = subject(2, C::LivestockDairy, "verdure pane mele uova", Some(SARRE));
        let other = subject(3, C::DigitalIt, "verdure pane mele uova", Some(SARRE));
        assert_eq!(
            score(&need, &related).map(|s| s.score),
            Some(BEST_RELATED_SCORE)
        );
        assert_eq!(
            score(&need, &other).map(|s| s.score),
            Some(BEST_UNRELATED_SCORE)
        );
    }

    proptest! {
        #[test]
        fn skipping_other_categories_once_settled_changes_nothing(
            seeds in proptest::collection::vec((0usize..4, 0u8..16, -0.12f64..0.12, -0.12f64..0.12, any::<bool>()), 0..60),
            max in 0usize..25,
        ) {
            use ListingCategory as C;
            // The same category, two related ones and an unrelated one, within about 15 km,
            // so that every stage often decides the ranking.
            let categories = [C::FreshProduce, C::LivestockDairy, C::GardeningLandscape, C::DigitalIt];
            let words = ["pane", "verdure", "bici", "legna"];
            let candidates: Vec<MatchSubject> = seeds.iter().enumerate().map(|(i, (c, w, dl, dn, located))| {
                let title: Vec<&str> = (0..4).filter(|b| w & (1 << b) != 0).map(|b| words[b]).collect();
                subject(
                    100 + i as u128,
                    categories[*c],
                    &title.join(" "),
                    located.then_some((AOSTA.0 + dl, AOSTA.1 + dn)),
                )
            }).collect();
            let need = subject(1, ListingCategory::FreshProduce, "verdure pane bici", Some(AOSTA));
            let all = rank(&need, &candidates, max);
            // As matching reads them: the same category, then related, then the rest.
            let (same, rest): (Vec<_>, Vec<_>) = candidates.iter().cloned().partition(|c| c.category == need.category);
            let (related, unrelated): (Vec<_>, Vec<_>) = rest.into_iter().partition(|c| c.category.sector() == need.category.sector());
            let mut read = same;
            let mut staged = rank(&need, &read, max);
            for (stage, bound) in [(related, BEST_RELATED_SCORE), (unrelated, BEST_UNRELATED_SCORE)] {
                if settled(&staged, max, bound) {
                    continue;
                }
                read.extend(stage);
                staged = rank(&need, &read, max);
            }
            prop_assert_eq!(all, staged);
        }

        #[test]
        fn ranking_is_stable_whatever_the_input_order(
            seeds in proptest::collection::vec((0usize..25, 0u8..4, -0.3f64..0.3, -0.3f64..0.3, any::<bool>()), 1..40),
            rotate in 0usize..40,
        ) {
            let words = ["pane", "verdure", "bici", "legna"];
            let candidates: Vec<MatchSubject> = seeds.iter().enumerate().map(|(i, (c, w, dl, dn, located))| {
                subject(
                    100 + i as u128,
                    ListingCategory::ALL[*c],
                    words[usize::from(*w)],
                    located.then_some((AOSTA.0 + dl, AOSTA.1 + dn)),
                )
            }).collect();
            let need = subject(1, ListingCategory::FreshProduce, "verdure pane", Some(AOSTA));
            let a = rank(&need, &candidates, 100);
            let mut rotated = candidates.clone();
            let k = rotate % rotated.len();
            rotated.rotate_left(k);
            rotated.reverse();
            let b = rank(&need, &rotated, 100);
            prop_assert_eq!(&a, &b);
            for pair in a.windows(2) {
                prop_assert!(rank_order(&pair[0], &pair[1]) == Ordering::Less);
            }
        }
    }
}
