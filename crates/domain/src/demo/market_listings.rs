//! The demo district's offers and needs: a few hundred listings across every category, placed
//! where the district's organisations are, in Italian and French as the rest of the demo; some
//! gifts are taken up and referenced.

use super::BASE_DATE;
use crate::market::listing::{ListingCategory, ListingKind};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// Listings the demo publishes at most.
pub const MAX_LISTINGS: usize = 400;

/// An active organisation of the demo, with one of its admins and its place.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoPlace {
    pub organization: Uuid,
    pub admin: Uuid,
    pub locality: String,
    pub lat: f64,
    pub lon: f64,
}

/// A demo listing; prices in minor units.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoListing {
    pub id: Uuid,
    pub offer: bool,
    pub kind: ListingKind,
    pub category: ListingCategory,
    pub title: String,
    pub description: String,
    pub credit_minor: Option<i64>,
    pub euro_cents: Option<i64>,
    pub locality: String,
    pub lat: f64,
    pub lon: f64,
    pub valid_until: time::Date,
    /// Owned by this organisation, else by the author.
    pub organization: Option<Uuid>,
    pub author: Uuid,
    pub created_at: OffsetDateTime,
    /// Taken up by this person (gifts only: a priced take-up would need the ledger).
    pub taken_by: Option<Uuid>,
}

/// What each category is about, in Italian and French, and its usual kind.
fn things(
    c: ListingCategory,
) -> (
    &'static [&'static str],
    &'static [&'static str],
    ListingKind,
) {
    use ListingCategory as C;
    use ListingKind as K;
    match c {
        C::FreshProduce => (
            &["verdura di stagione", "mele e pere", "patate di montagna"],
            &[
                "légumes de saison",
                "pommes et poires",
                "pommes de terre de montagne",
            ],
            K::Good,
        ),
        C::LivestockDairy => (
            &["fontina d'alpeggio", "uova fresche", "latte crudo"],
            &["fromage d'alpage", "œufs frais", "lait cru"],
            K::Good,
        ),
        C::BakeryPasta => (
            &["pane di segale", "pasta fresca", "biscotti di farro"],
            &["pain de seigle", "pâtes fraîches", "biscuits d'épeautre"],
            K::Good,
        ),
        C::PreservedFood => (
            &[
                "marmellata di mirtilli",
                "sugo di pomodoro",
                "miele di castagno",
            ],
            &[
                "confiture de myrtilles",
                "sauce tomate",
                "miel de châtaignier",
            ],
            K::Good,
        ),
        C::Beverages => (
            &["vino rosso locale", "succo di mela", "birra artigianale"],
            &["vin rouge local", "jus de pomme", "bière artisanale"],
            K::Good,
        ),
        C::CateringMeals => (
            &[
                "pranzi per eventi",
                "merende per la scuola",
                "catering vegetariano",
            ],
            &[
                "repas pour événements",
                "goûters pour l'école",
                "traiteur végétarien",
            ],
            K::Service,
        ),
        C::ClothingTextiles => (
            &[
                "maglioni di lana",
                "riparazione di abiti",
                "tessuti di canapa",
            ],
            &[
                "pulls en laine",
                "retouches de vêtements",
                "tissus de chanvre",
            ],
            K::Good,
        ),
        C::FurnitureWoodwork => (
            &["tavolo in larice", "mensole su misura", "sedie restaurate"],
            &[
                "table en mélèze",
                "étagères sur mesure",
                "chaises restaurées",
            ],
            K::Good,
        ),
        C::HandicraftsArt => (
            &[
                "ceramiche fatte a mano",
                "cesti intrecciati",
                "sculture in legno",
            ],
            &[
                "céramiques faites main",
                "paniers tressés",
                "sculptures sur bois",
            ],
            K::Good,
        ),
        C::ToolsEquipment => (
            &["motozappa", "trapano a percussione", "spaccalegna"],
            &["motoculteur", "perceuse à percussion", "fendeuse à bois"],
            K::EquipmentLoan,
        ),
        C::RepairMaintenance => (
            &[
                "riparazione di biciclette",
                "riparazione di elettrodomestici",
                "affilatura coltelli",
            ],
            &[
                "réparation de vélos",
                "réparation d'électroménager",
                "affûtage de couteaux",
            ],
            K::Service,
        ),
        C::SecondHandReuse => (
            &["libri usati", "mobili di recupero", "vestiti per bambini"],
            &[
                "livres d'occasion",
                "meubles de récupération",
                "vêtements pour enfants",
            ],
            K::Good,
        ),
        C::BuildingRenovation => (
            &[
                "isolamento in canapa",
                "piccoli lavori di muratura",
                "tinteggiatura",
            ],
            &[
                "isolation en chanvre",
                "petits travaux de maçonnerie",
                "peinture",
            ],
            K::Service,
        ),
        C::RenewableEnergy => (
            &[
                "consulenza fotovoltaico",
                "legna da ardere",
                "pellet locale",
            ],
            &[
                "conseil photovoltaïque",
                "bois de chauffage",
                "granulés locaux",
            ],
            K::Service,
        ),
        C::TransportDelivery => (
            &[
                "consegne in furgone",
                "passaggio in auto per Aosta",
                "trasporto di legna",
            ],
            &[
                "livraisons en fourgon",
                "covoiturage vers Aoste",
                "transport de bois",
            ],
            K::Service,
        ),
        C::SpacesPremises => (
            &[
                "sala per riunioni",
                "laboratorio condiviso",
                "cella frigorifera",
            ],
            &["salle de réunion", "atelier partagé", "chambre froide"],
            K::Space,
        ),
        C::GardeningLandscape => (
            &[
                "potatura di alberi da frutto",
                "orto condiviso",
                "sfalcio prati",
            ],
            &[
                "taille d'arbres fruitiers",
                "jardin partagé",
                "fauchage de prés",
            ],
            K::Service,
        ),
        C::HealthWellbeing => (
            &["corsi di yoga", "massaggi", "erbe officinali"],
            &["cours de yoga", "massages", "plantes médicinales"],
            K::Service,
        ),
        C::CareChildcare => (
            &["baby-sitting", "compagnia per anziani", "doposcuola"],
            &[
                "garde d'enfants",
                "compagnie pour personnes âgées",
                "aide aux devoirs",
            ],
            K::Service,
        ),
        C::EducationTraining => (
            &[
                "lezioni di francese",
                "corso di apicoltura",
                "ripetizioni di matematica",
            ],
            &[
                "cours d'italien",
                "formation à l'apiculture",
                "soutien en mathématiques",
            ],
            K::Skill,
        ),
        C::CultureEvents => (
            &[
                "musica per feste",
                "laboratorio di teatro",
                "fotografie di eventi",
            ],
            &[
                "musique pour fêtes",
                "atelier de théâtre",
                "photos d'événements",
            ],
            K::Service,
        ),
        C::DigitalIt => (
            &[
                "sito web",
                "aiuto con il computer",
                "gestionale per cooperative",
            ],
            &[
                "site web",
                "aide informatique",
                "logiciel de gestion pour coopératives",
            ],
            K::Skill,
        ),
        C::AccountingAdmin => (
            &[
                "tenuta della contabilità",
                "aiuto con le pratiche",
                "bilancio sociale",
            ],
            &[
                "tenue de comptabilité",
                "aide aux démarches",
                "bilan social",
            ],
            K::Skill,
        ),
        C::LegalAdvice => (
            &[
                "consulenza sugli statuti",
                "contratti di lavoro",
                "consulenza fiscale",
            ],
            &[
                "conseil sur les statuts",
                "contrats de travail",
                "conseil fiscal",
            ],
            K::Skill,
        ),
        C::CleaningHousekeeping => (
            &["pulizie di uffici", "pulizia di sale", "lavaggio tende"],
            &[
                "ménage de bureaux",
                "nettoyage de salles",
                "lavage de rideaux",
            ],
            K::Service,
        ),
    }
}

fn demo_rng(seed: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..].copy_from_slice(b"distretto-market-listing");
    ChaCha8Rng::from_seed(key)
}

/// The demo's listings over the district's places (organisations and their admins) and members.
pub fn listings(seed: u64, places: &[DemoPlace], people: &[Uuid]) -> Vec<DemoListing> {
    let mut rng = demo_rng(seed);
    if places.is_empty() {
        return Vec::new();
    }
    let count = MAX_LISTINGS.min(places.len() * 3 + people.len() / 2);
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let category = ListingCategory::ALL[i % ListingCategory::ALL.len()];
        let (it, fr, kind) = things(category);
        let place = &places[rng.random_range(0..places.len())];
        // Place names of the Aosta Valley's French side read in French.
        let french = rng.random_range(0..3) == 0;
        let thing = if french {
            fr[rng.random_range(0..fr.len())]
        } else {
            it[rng.random_range(0..it.len())]
        };
        let offer = rng.random_range(0..100) < 62;
        let title = match (offer, french) {
            (true, false) => format!("Offro {thing}"),
            (false, false) => format!("Cerco {thing}"),
            (true, true) => format!("Propose {thing}"),
            (false, true) => format!("Cherche {thing}"),
        };
        let description = match (offer, french) {
            (true, false) => format!(
                "Disponibile a {}, tra soci del distretto. Scrivetemi per accordarci.",
                place.locality
            ),
            (false, false) => format!(
                "Mi servirebbe a {} o dintorni, anche in prestito o in cambio di credito.",
                place.locality
            ),
            (true, true) => format!(
                "Disponible à {}, entre membres du district. Écrivez-moi pour nous organiser.",
                place.locality
            ),
            (false, true) => format!(
                "J'en aurais besoin à {} ou aux alentours, même en prêt ou contre du crédit.",
                place.locality
            ),
        };
        let by_org = rng.random_range(0..100) < 40 || people.is_empty();
        let (organization, author) = if by_org {
            (Some(place.organization), place.admin)
        } else {
            (None, people[rng.random_range(0..people.len())])
        };
        let price = rng.random_range(0..100);
        let (credit_minor, euro_cents) = match price {
            0..=44 => (Some(rng.random_range(5..=120) * 100), None),
            45..=64 => (None, Some(rng.random_range(5..=80) * 100)),
            65..=74 => (
                Some(rng.random_range(2..=40) * 100),
                Some(rng.random_range(2..=40) * 100),
            ),
            _ => (None, None),
        };
        let jitter = |r: &mut ChaCha8Rng| (r.random_range(-100..=100) as f64) / 10_000.0;
        let created_at = BASE_DATE
            - Duration::days(rng.random_range(0..60))
            - Duration::minutes(rng.random_range(0..1440));
        let valid_until = (BASE_DATE + Duration::days(rng.random_range(45..=300))).date();
        let mut random = [0u8; 10];
        rng.fill_bytes(&mut random);
        let millis = u64::try_from(created_at.unix_timestamp()).unwrap_or(0) * 1000 + i as u64;
        let id = uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid();
        let gift = credit_minor.is_none() && euro_cents.is_none();
        let taken_by = (gift && offer && !people.is_empty() && rng.random_range(0..3) == 0)
            .then(|| people[rng.random_range(0..people.len())])
            .filter(|p| *p != author);
        out.push(DemoListing {
            id,
            offer,
            kind,
            category,
            title,
            description,
            credit_minor,
            euro_cents,
            locality: place.locality.clone(),
            lat: five_decimals(place.lat + jitter(&mut rng)),
            lon: five_decimals(place.lon + jitter(&mut rng)),
            valid_until,
            organization,
            author,
            created_at,
            taken_by,
        });
    }
    out
}

/// A coordinate rounded to five decimals (about a metre), so that its shortest decimal form is
/// short and the district document reads it back to the same bits (a sum such as
/// 45.6442 + 0.01 prints as 45.654199999999996, which JSON readers may round to 45.6542).
fn five_decimals(degrees: f64) -> f64 {
    (degrees * 100_000.0).round() / 100_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places() -> Vec<DemoPlace> {
        (0..50u128)
            .map(|i| DemoPlace {
                organization: Uuid::from_u128(i + 1),
                admin: Uuid::from_u128(1000 + i),
                locality: "Aosta".into(),
                lat: 45.7,
                lon: 7.3,
            })
            .collect()
    }

    #[test]
    fn same_seed_same_listings_across_every_category() {
        let people: Vec<Uuid> = (0..300u128).map(|i| Uuid::from_u128(5000 + i)).collect();
        let a = listings(7, &places(), &people);
        assert_eq!(a, listings(7, &places(), &people));
        assert_ne!(a, listings(8, &places(), &people));
        assert!(a.len() >= 200, "{}", a.len());
        for c in ListingCategory::ALL {
            assert!(a.iter().any(|l| l.category == *c));
        }
        assert!(a.iter().any(|l| l.taken_by.is_some()));
        assert!(a.iter().any(|l| !l.offer));
        for l in &a {
            assert!(l.taken_by.is_none() || (l.credit_minor.is_none() && l.euro_cents.is_none()));
            assert!(l.valid_until > BASE_DATE.date());
        }
        let mut ids: Vec<Uuid> = a.iter().map(|l| l.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), a.len());
    }
}
