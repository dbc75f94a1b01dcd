//! Solidarity purchasing in the demo district: farms' and producer cooperatives' catalogues,
//! purchasing groups' pickup points, a year of weekly or fortnightly order cycles per group
//! (closed through the domain's [`close::plan`], weighed at delivery and settled through
//! [`pricing::settle`]), and farms' seasonal subscriptions with their instalments.
//!
//! Settlements in district credit and paid instalments are planned as [`Action`]s and posted in
//! time order through the same [`Book`](crate::ledger::Book) as the rest of the year, so every
//! purchase transfer respects the credit limits of that moment: a household whose credit does
//! not cover its charge is recorded as paying in euro (`household_euro`), as the coordinator
//! would. Each group has one cycle still open at the demo's "now", closing a few days after it.
use super::super::places::{TOWNS, Town};
use super::super::{BASE_DATE, DAY, HOUR, Stream, address, pick, stream_id, stream_rng};
use super::{Action, END_S, Ledger, Plan, START_S, WEEK, World, instant};
use crate::directory::OrganizationKind as K;
use crate::ledger::{Leg, TransferKind};
use crate::purchasing::catalogue::{MILLI_PER_UNIT, Product, ProductDraft, Unit};
use crate::purchasing::close::{self, OfferedProduct, OrderedLine};
use crate::purchasing::geo::{LatLon, distance_m};
use crate::purchasing::pricing::{self, DeliveredLine, Markup};
use crate::purchasing::subscription::{self, PlanDraft};
use rand::Rng;
use std::collections::{BTreeMap, HashMap};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// The most producers with a catalogue.
pub const MAX_PRODUCERS: usize = 40;
/// The most purchasing groups running cycles.
pub const MAX_GROUPS: usize = 20;
/// The most households of a group that order.
pub const MAX_HOUSEHOLDS: usize = 24;
/// The most farms with a seasonal subscription plan.
pub const MAX_PLANS: usize = 8;

/// A product of a producer's catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoProduct {
    pub id: Uuid,
    /// The producer organisation.
    pub producer_id: Uuid,
    pub sku: String,
    pub name: String,
    pub description: String,
    /// `kg`, `piece`, `l` or `box`.
    pub unit: &'static str,
    pub step_milli: i64,
    pub package_size_milli: i64,
    pub price_euro_minor: Option<i64>,
    pub price_credit_minor: Option<i64>,
    pub vat_basis_points: i32,
    pub origin: String,
    /// Codes separated by commas.
    pub certifications: String,
    /// Bit 0 = January.
    pub season_months: i32,
    pub stock_milli: Option<i64>,
    pub active: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A pickup point of a purchasing group.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoPickup {
    pub id: Uuid,
    pub group_id: Uuid,
    pub name: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub active: bool,
    pub created_at: OffsetDateTime,
}

/// An order cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCycle {
    pub id: Uuid,
    pub group_id: Uuid,
    pub number: i64,
    pub name: String,
    /// `EUR` or the district currency.
    pub currency: String,
    pub opens_at: OffsetDateTime,
    pub closes_at: OffsetDateTime,
    pub group_fee_basis_points: i32,
    /// `open`, `closed`, `delivered`, `settled` or `cancelled`.
    pub status: &'static str,
    pub note: String,
    pub created_by: Uuid,
    pub created_at: OffsetDateTime,
    pub closed_at: Option<OffsetDateTime>,
    pub delivered_at: Option<OffsetDateTime>,
    pub settled_by: Option<Uuid>,
    pub settled_at: Option<OffsetDateTime>,
}

/// A producer of a cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCycleProducer {
    pub cycle_id: Uuid,
    pub producer_id: Uuid,
    pub minimum_minor: Option<i64>,
    pub transport_basis_points: i32,
    pub minimum_met: Option<bool>,
}

/// A product offered in a cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCycleProduct {
    pub cycle_id: Uuid,
    pub product_id: Uuid,
    pub producer_id: Uuid,
    pub price_minor: i64,
    pub step_milli: i64,
    pub package_size_milli: i64,
    pub packages: Option<i64>,
}

/// A pickup point of a cycle with its window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCyclePickup {
    pub cycle_id: Uuid,
    pub pickup_id: Uuid,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
}

/// A household's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOrder {
    pub id: Uuid,
    pub cycle_id: Uuid,
    pub person_id: Uuid,
    pub account_id: Uuid,
    pub pickup_id: Uuid,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A line of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLine {
    pub order_id: Uuid,
    pub product_id: Uuid,
    /// Empty: the household itself.
    pub beneficiary: String,
    pub quantity_milli: i64,
    pub tolerance_milli: i64,
    pub arrival: i64,
    pub allocated_milli: Option<i64>,
    pub delivered_milli: Option<i64>,
    pub substitute_for: Option<Uuid>,
    pub updated_at: OffsetDateTime,
}

/// What a producer delivered to a pickup point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoDelivery {
    pub cycle_id: Uuid,
    pub producer_id: Uuid,
    pub pickup_id: Uuid,
    pub distance_m: Option<i64>,
    pub weight_g: i64,
    pub recorded_by: Uuid,
    pub recorded_at: OffsetDateTime,
}

/// A settlement row of a cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSettlement {
    pub cycle_id: Uuid,
    pub account_id: Uuid,
    /// `household`, `household_euro`, `producer` or `group`.
    pub role: &'static str,
    pub amount_minor: i64,
    pub transfer_id: Option<Uuid>,
}

/// A farm's seasonal plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPlan {
    pub id: Uuid,
    pub farm_id: Uuid,
    pub name: String,
    pub description: String,
    pub currency: String,
    pub share_price_minor: i64,
    pub first_delivery: Date,
    pub last_delivery: Date,
    pub every_weeks: i32,
    pub notice_days: i32,
    pub instalments: i32,
    pub pickup_id: Option<Uuid>,
    pub capacity: Option<i32>,
    /// `open`.
    pub status: &'static str,
    pub created_by: Uuid,
    pub created_at: OffsetDateTime,
}

/// A household's subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSubscription {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub person_id: Uuid,
    pub account_id: Uuid,
    pub instalments: i32,
    /// `active`.
    pub status: &'static str,
    pub created_at: OffsetDateTime,
}

/// One delivery day of a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoShareDelivery {
    pub subscription_id: Uuid,
    pub day: Date,
    /// `planned`, `skipped` or `delivered`.
    pub status: &'static str,
    pub changed_at: OffsetDateTime,
}

/// One instalment of a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoInstalment {
    pub subscription_id: Uuid,
    pub number: i32,
    pub due: Date,
    pub amount_minor: i64,
    pub paid_at: Option<OffsetDateTime>,
    pub transfer_id: Option<Uuid>,
}

/// Everything purchasing of the demo year, table by table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DemoPurchasing {
    pub products: Vec<DemoProduct>,
    pub pickup_points: Vec<DemoPickup>,
    pub cycles: Vec<DemoCycle>,
    pub cycle_producers: Vec<DemoCycleProducer>,
    pub cycle_products: Vec<DemoCycleProduct>,
    pub cycle_pickups: Vec<DemoCyclePickup>,
    pub orders: Vec<DemoOrder>,
    pub lines: Vec<DemoLine>,
    pub deliveries: Vec<DemoDelivery>,
    pub settlements: Vec<DemoSettlement>,
    pub plans: Vec<DemoPlan>,
    pub subscriptions: Vec<DemoSubscription>,
    pub share_deliveries: Vec<DemoShareDelivery>,
    pub instalments: Vec<DemoInstalment>,
}

// PartialEq on f64 coordinates: the demo's are finite, so equality is an equivalence.
impl Eq for DemoPurchasing {}

/// A delivered cycle in credit waiting for its settlement.
#[derive(Debug)]
struct Pending {
    cycle: usize,
    group: usize,
    /// Household party and charge.
    charges: Vec<(usize, i64)>,
    /// Producer party and payout.
    payouts: Vec<(usize, i64)>,
    fee_minor: i64,
    memo: String,
    actor: Uuid,
}

/// An instalment to pay when due.
#[derive(Debug)]
struct Due {
    row: usize,
    payer: usize,
    payee: usize,
    memo: String,
    actor: Uuid,
    /// Times the ledger refused it so far.
    refused: u8,
}

/// How many times a refused instalment is tried again, a week apart, as the server's hourly
/// job would go on trying it until the household has the credit.
pub(super) const INSTALMENT_RETRIES: u8 = 8;

/// Purchasing while the year is planned and replayed.
#[derive(Debug, Default)]
pub(super) struct Builder {
    out: DemoPurchasing,
    pending: Vec<Pending>,
    due: Vec<Due>,
}

impl Builder {
    pub(super) fn finish(self) -> DemoPurchasing {
        self.out
    }
}

/// A food of the demo catalogues.
struct Food {
    it: &'static str,
    fr: &'static str,
    unit: Unit,
    step_milli: i64,
    package_milli: i64,
    /// Euro cents per unit.
    cents: i64,
    /// First and last month of the season (1-based, may wrap over the new year).
    months: (u8, u8),
    /// Grams per unit (a kilogram is 1,000; a litre weighs about as much).
    grams: i64,
    /// Protected designation (Fontina DOP, Vallée d'Aoste AOP wines).
    designation: bool,
}

#[allow(clippy::too_many_arguments)]
const fn food(
    it: &'static str,
    fr: &'static str,
    unit: Unit,
    step_milli: i64,
    package_milli: i64,
    cents: i64,
    months: (u8, u8),
    grams: i64,
) -> Food {
    Food {
        it,
        fr,
        unit,
        step_milli,
        package_milli,
        cents,
        months,
        grams,
        designation: false,
    }
}

const ALL_YEAR: (u8, u8) = (1, 12);
const FOODS: &[Food] = &[
    food(
        "Patate di montagna",
        "Pommes de terre de montagne",
        Unit::Kilogram,
        1_000,
        1_000,
        150,
        ALL_YEAR,
        1_000,
    ),
    food(
        "Carote",
        "Carottes",
        Unit::Kilogram,
        500,
        500,
        180,
        ALL_YEAR,
        1_000,
    ),
    food(
        "Cipolle dorate",
        "Oignons jaunes",
        Unit::Kilogram,
        500,
        500,
        200,
        ALL_YEAR,
        1_000,
    ),
    food(
        "Insalata gentile",
        "Laitue",
        Unit::Piece,
        1_000,
        1_000,
        120,
        (4, 11),
        300,
    ),
    food(
        "Zucchine",
        "Courgettes",
        Unit::Kilogram,
        500,
        500,
        260,
        (6, 9),
        1_000,
    ),
    food(
        "Pomodori cuore di bue",
        "Tomates cœur de bœuf",
        Unit::Kilogram,
        500,
        500,
        340,
        (7, 9),
        1_000,
    ),
    food(
        "Cavolo verza",
        "Chou frisé",
        Unit::Piece,
        1_000,
        1_000,
        200,
        (10, 3),
        1_200,
    ),
    food(
        "Zucca",
        "Courge butternut",
        Unit::Kilogram,
        1_000,
        1_000,
        180,
        (9, 12),
        1_000,
    ),
    food(
        "Mele Renetta",
        "Pommes reinette",
        Unit::Kilogram,
        1_000,
        6_000,
        230,
        (9, 4),
        1_000,
    ),
    food(
        "Pere Martin Sec",
        "Poires Martin sec",
        Unit::Kilogram,
        1_000,
        5_000,
        290,
        (10, 2),
        1_000,
    ),
    food(
        "Fragole (cestino 500 g)",
        "Fraises (barquette 500 g)",
        Unit::Box,
        1_000,
        1_000,
        450,
        (5, 7),
        500,
    ),
    food(
        "Mirtilli (cestino 250 g)",
        "Myrtilles (barquette 250 g)",
        Unit::Box,
        1_000,
        1_000,
        500,
        (7, 9),
        250,
    ),
    food(
        "Uova di galline al pascolo (6)",
        "Œufs de plein air (6)",
        Unit::Box,
        1_000,
        1_000,
        330,
        ALL_YEAR,
        360,
    ),
    food(
        "Latte crudo",
        "Lait cru",
        Unit::Litre,
        1_000,
        1_000,
        150,
        ALL_YEAR,
        1_000,
    ),
    food(
        "Yogurt intero (vasetto)",
        "Yaourt entier (pot)",
        Unit::Piece,
        1_000,
        4_000,
        120,
        ALL_YEAR,
        125,
    ),
    Food {
        designation: true,
        ..food(
            "Fontina DOP",
            "Fontina AOP",
            Unit::Kilogram,
            250,
            250,
            1_850,
            ALL_YEAR,
            1_000,
        )
    },
    food(
        "Toma di alpeggio",
        "Tomme d'alpage",
        Unit::Kilogram,
        250,
        250,
        1_600,
        ALL_YEAR,
        1_000,
    ),
    food(
        "Burro di malga (250 g)",
        "Beurre d'alpage (250 g)",
        Unit::Piece,
        1_000,
        1_000,
        380,
        ALL_YEAR,
        250,
    ),
    food(
        "Ricotta fresca",
        "Sérac frais",
        Unit::Kilogram,
        250,
        250,
        900,
        ALL_YEAR,
        1_000,
    ),
    food(
        "Miele di castagno (500 g)",
        "Miel de châtaignier (500 g)",
        Unit::Piece,
        1_000,
        1_000,
        900,
        ALL_YEAR,
        500,
    ),
    food(
        "Farina di segale",
        "Farine de seigle",
        Unit::Kilogram,
        1_000,
        5_000,
        260,
        ALL_YEAR,
        1_000,
    ),
    food(
        "Farina di mais per polenta",
        "Farine de maïs pour polenta",
        Unit::Kilogram,
        1_000,
        1_000,
        300,
        ALL_YEAR,
        1_000,
    ),
    food(
        "Pane nero di segale",
        "Pain de seigle",
        Unit::Piece,
        1_000,
        1_000,
        420,
        ALL_YEAR,
        800,
    ),
    Food {
        designation: true,
        ..food(
            "Vino Torrette (bottiglia)",
            "Vin Torrette (bouteille)",
            Unit::Piece,
            1_000,
            6_000,
            1_100,
            ALL_YEAR,
            1_300,
        )
    },
    food(
        "Succo di mela",
        "Jus de pomme",
        Unit::Litre,
        1_000,
        6_000,
        350,
        ALL_YEAR,
        1_000,
    ),
    food(
        "Mocetta",
        "Saucisson sec",
        Unit::Kilogram,
        250,
        250,
        2_800,
        ALL_YEAR,
        1_000,
    ),
    food(
        "Cassetta di verdure di stagione",
        "Panier de légumes de saison",
        Unit::Box,
        1_000,
        1_000,
        1_500,
        ALL_YEAR,
        5_000,
    ),
    food(
        "Castagne",
        "Châtaignes",
        Unit::Kilogram,
        1_000,
        1_000,
        500,
        (10, 12),
        1_000,
    ),
    food(
        "Noci",
        "Noix",
        Unit::Kilogram,
        500,
        500,
        900,
        (10, 3),
        1_000,
    ),
    food(
        "Lenticchie",
        "Lentilles",
        Unit::Kilogram,
        500,
        500,
        480,
        ALL_YEAR,
        1_000,
    ),
];

/// The months `from..=to` (wrapping over the new year) as a bit set, January bit 0.
fn season(months: (u8, u8)) -> u16 {
    let (from, to) = months;
    let mut bits = 0u16;
    let mut m = from;
    for _ in 0..12 {
        bits |= 1 << (m.clamp(1, 12) - 1);
        if m == to {
            break;
        }
        m = m % 12 + 1;
    }
    bits
}

const PICKUPS_IT: &[&str] = &[
    "Sede del gruppo",
    "Bottega del commercio equo",
    "Oratorio",
    "Circolo ARCI",
    "Biblioteca di quartiere",
    "Cortile della cooperativa",
];
const PICKUPS_FR: &[&str] = &[
    "Local de l'association",
    "Maison de quartier",
    "Salle paroissiale",
    "Épicerie solidaire",
    "Cour de la coopérative",
    "Bibliothèque",
];

/// Friends a household orders for (a neighbour, a grandmother).
const FRIENDS: &[&str] = &["Nonna Rosa", "Anna (vicina)", "Mamie Jeanne", "Luca"];

/// Ids of purchasing records: one range per table.
#[derive(Clone, Copy)]
enum Table {
    Product = 0,
    Pickup = 1,
    Cycle = 2,
    Order = 3,
    Plan = 4,
    Subscription = 5,
}

/// A group's pickup points with their places.
type Pickups = Vec<(Uuid, Option<LatLon>)>;

/// A producer with its catalogue.
struct Producer {
    party: usize,
    org_id: Uuid,
    kind: K,
    french: bool,
    name: String,
    at: Option<LatLon>,
    /// Indexes into `out.products`, with the checked product.
    products: Vec<(usize, Product, i64)>,
    /// When its catalogue was published (unix seconds).
    since: i64,
}

fn lat_lon(lat: Option<f64>, lon: Option<f64>) -> Option<LatLon> {
    let (lat, lon) = (lat?, lon?);
    // Degrees within ±180 fit microdegrees in i32.
    LatLon::new((lat * 1e6).round() as i32, (lon * 1e6).round() as i32).ok()
}

impl World {
    /// The purchasing groups that run order cycles: open at the end of the year, with at least
    /// three households, at most [`MAX_GROUPS`].
    pub(super) fn cycling_groups(&self) -> Vec<usize> {
        self.by_kind[K::PurchasingGroup as usize]
            .iter()
            .copied()
            .filter(|&g| self.open(g, END_S - 1) && self.parties[g].org.is_some())
            .filter(|&g| {
                self.links[g]
                    .iter()
                    .filter(|&&p| self.kind(p).is_none())
                    .count()
                    >= 3
            })
            .take(MAX_GROUPS)
            .collect()
    }
}

fn day_of(t: i64) -> Date {
    instant(t).date()
}

/// Unix seconds of a day's midnight (UTC).
fn ts(day: Date) -> i64 {
    day.midnight().assume_utc().unix_timestamp()
}

impl Plan<'_> {
    fn purchasing_id(&mut self, table: Table) -> Uuid {
        let n = self.purchasing_counts[table as usize];
        self.purchasing_counts[table as usize] += 1;
        stream_id(
            self.w.spec.seed,
            Stream::PurchasingId,
            table as u64 * 10_000_000 + n,
        )
    }

    /// Catalogues, pickup points, cycles and subscriptions; settlements and instalments become
    /// actions of the year.
    pub(super) fn purchasing(&mut self) {
        let producers = self.catalogues();
        if producers.is_empty() {
            return;
        }
        let groups = self.cycling.clone();
        let mut group_pickups: Vec<(usize, Pickups)> = Vec::new();
        for g in groups {
            let pickups = self.group(g, &producers);
            group_pickups.push((g, pickups));
        }
        self.plans(&producers, &group_pickups);
    }

    fn catalogues(&mut self) -> Vec<Producer> {
        let w = self.w;
        let g = super::super::Generator::new(w.spec);
        let unit = self.unit;
        let candidates: Vec<usize> = w.by_kind[K::Farm as usize]
            .iter()
            .chain(&w.by_kind[K::ProducerCoop as usize])
            .copied()
            .filter(|&p| w.parties[p].org.is_some())
            .collect();
        let mut candidates = candidates;
        candidates.sort_unstable();
        let mut producers = Vec::new();
        for p in candidates.into_iter().take(MAX_PRODUCERS) {
            let party = &w.parties[p];
            let (Some(o), Some(kind)) = (party.org, w.kind(p)) else {
                continue;
            };
            let org = g.organization(o).organization;
            let mut rng = stream_rng(w.spec.seed, Stream::Purchasing, u64::from(o));
            let count = rng.random_range(5..=9);
            let mut taken: Vec<usize> = Vec::with_capacity(count);
            for _ in 0..count * 3 {
                if taken.len() == count {
                    break;
                }
                let f = rng.random_range(0..FOODS.len());
                if !taken.contains(&f) {
                    taken.push(f);
                }
            }
            let organic = rng.random_bool(0.5);
            let mut products = Vec::with_capacity(taken.len());
            let since = (party.from + rng.random_range(1..20) * DAY).min(END_S);
            let created = instant(since);
            for (k, &f) in taken.iter().enumerate() {
                let food = &FOODS[f];
                let cents = food.cents * rng.random_range(85..=115) / 100 / 5 * 5;
                let mut certifications = Vec::new();
                if organic {
                    certifications.push("organic".to_owned());
                }
                if food.designation {
                    certifications.push("designation".to_owned());
                }
                if !organic && rng.random_bool(0.2) {
                    certifications.push("participatory".to_owned());
                }
                let stock = (food.package_milli == food.step_milli && rng.random_bool(0.15))
                    .then(|| rng.random_range(10..80) * food.step_milli);
                let (name, description) = if party.french {
                    (food.fr, format!("{}, de {}.", food.fr, party.town))
                } else {
                    (food.it, format!("{}, da {}.", food.it, party.town))
                };
                let draft = ProductDraft {
                    name: name.to_owned(),
                    description,
                    unit: food.unit.code().to_owned(),
                    package_size_milli: Some(food.package_milli),
                    step_milli: Some(food.step_milli),
                    price_euro_minor: Some(cents.max(5)),
                    // The district's credit is worth a euro: the same price in its minor units.
                    price_credit_minor: Some((cents.max(5) * unit / 100).max(1)),
                    vat_basis_points: if food.unit == Unit::Box { 1_000 } else { 400 },
                    origin: party.town.to_owned(),
                    certifications,
                    season_months: season(food.months),
                    stock_milli: stock,
                };
                let Ok(product) = draft.check() else { continue };
                let id = self.purchasing_id(Table::Product);
                let sku = format!("{}-{:03}", if party.french { "REF" } else { "COD" }, k + 1);
                let index = self.purchasing.out.products.len();
                self.purchasing.out.products.push(DemoProduct {
                    id,
                    producer_id: w.spec.organization_id(o),
                    sku,
                    name: product.name.clone(),
                    description: product.description.clone(),
                    unit: product.unit.code(),
                    step_milli: product.step_milli,
                    package_size_milli: product.package_size_milli,
                    price_euro_minor: product.price_euro_minor,
                    price_credit_minor: product.price_credit_minor,
                    vat_basis_points: i32::from(product.vat_basis_points),
                    origin: product.origin.clone(),
                    certifications: product
                        .certifications
                        .iter()
                        .map(|c| c.code())
                        .collect::<Vec<_>>()
                        .join(","),
                    season_months: i32::from(product.season_months),
                    stock_milli: product.stock_milli,
                    active: true,
                    created_at: created,
                    updated_at: created,
                });
                products.push((index, product, food.grams));
            }
            if products.is_empty() {
                continue;
            }
            producers.push(Producer {
                party: p,
                org_id: w.spec.organization_id(o),
                kind,
                french: party.french,
                name: org.profile.name.clone(),
                at: lat_lon(org.profile.lat, org.profile.lon),
                products,
                since,
            });
        }
        producers
    }

    /// A group's pickup points and its year of cycles; returns its pickup points.
    fn group(&mut self, gp: usize, producers: &[Producer]) -> Vec<(Uuid, Option<LatLon>)> {
        let w = self.w;
        let party = &w.parties[gp];
        let Some(o) = party.org else {
            return Vec::new();
        };
        let generator = super::super::Generator::new(w.spec);
        let org = generator.organization(o).organization;
        let group_id = w.spec.organization_id(o);
        let french = party.french;
        let mut rng = stream_rng(w.spec.seed, Stream::Purchasing, u64::from(o));
        let town: &Town = TOWNS
            .iter()
            .find(|t| t.name == party.town)
            .unwrap_or(&TOWNS[0]);
        let here = lat_lon(org.profile.lat, org.profile.lon);

        // Pickup points near the group.
        let mut pickups = Vec::new();
        for k in 0..rng.random_range(1..=3) {
            let names = if french { PICKUPS_FR } else { PICKUPS_IT };
            let name = format!("{} – {}", pick(&mut rng, names), town.name);
            let (lat, lon) = match (org.profile.lat, org.profile.lon) {
                (Some(lat), Some(lon)) if k == 0 => (lat, lon),
                (Some(lat), Some(lon)) => (
                    lat + f64::from(rng.random_range(-80..=80)) / 10_000.0,
                    lon + f64::from(rng.random_range(-80..=80)) / 10_000.0,
                ),
                _ => (town.lat, town.lon),
            };
            let (lat, lon) = ((lat * 1e6).round() / 1e6, (lon * 1e6).round() / 1e6);
            let addr = if k == 0 && !org.profile.address.is_empty() {
                org.profile.address.clone()
            } else {
                address(town, french, &mut rng)
            };
            let id = self.purchasing_id(Table::Pickup);
            self.purchasing.out.pickup_points.push(DemoPickup {
                id,
                group_id,
                name,
                address: addr,
                lat: Some(lat),
                lon: Some(lon),
                active: true,
                created_at: instant(party.from + DAY),
            });
            pickups.push((id, lat_lon(Some(lat), Some(lon))));
        }

        // Its producers: the nearest few.
        // Those already selling early in the year first, so the group's year of cycles has
        // farms to order from.
        let mut by_distance: Vec<(bool, u32, usize)> = producers
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let d = match (here, p.at) {
                    (Some(a), Some(b)) => distance_m(a, b),
                    _ => u32::MAX,
                };
                (p.since > START_S + 60 * DAY, d, i)
            })
            .collect();
        by_distance.sort_unstable();
        let chosen: Vec<usize> = by_distance
            .iter()
            .take(rng.random_range(2..=4))
            .map(|&(_, _, i)| i)
            .collect();
        let mut households: Vec<usize> = w.links[gp]
            .iter()
            .copied()
            .filter(|&p| w.kind(p).is_none())
            .collect();
        households.sort_unstable();
        households.dedup();
        households.truncate(MAX_HOUSEHOLDS);

        let period = if rng.random_bool(0.6) { 2 * WEEK } else { WEEK };
        let fee_bp = *pick(&mut rng, &[100, 200, 300, 400, 500]);
        let transport: Vec<i32> = chosen
            .iter()
            .map(|_| *pick(&mut rng, &[0, 0, 200, 300, 500]))
            .collect();
        let minimums: Vec<Option<i64>> = chosen
            .iter()
            .map(|_| {
                rng.random_bool(0.3)
                    .then(|| rng.random_range(15..=40) * self.unit)
            })
            .collect();
        // The open cycle opened a day or three ago and closes a few days after "now".
        let open_opens = END_S - rng.random_range(1..4) * DAY - rng.random_range(0..10) * HOUR;
        let open_closes = BASE_DATE.unix_timestamp() + rng.random_range(2..6) * DAY + 20 * HOUR;
        let first_producer = chosen
            .iter()
            .map(|&i| producers[i].since)
            .min()
            .unwrap_or(END_S);
        let earliest = party.from.max(START_S).max(first_producer) + 2 * DAY;
        let mut starts = Vec::new();
        let mut t = open_opens - period;
        for _ in 0..60 {
            if t < earliest {
                break;
            }
            starts.push(t);
            t -= period;
        }
        starts.reverse();
        let actor = party.actor;
        let ctx = GroupCtx {
            gp,
            group_id,
            french,
            actor,
            fee_bp,
            pickups: &pickups,
            producers: chosen
                .iter()
                .zip(&transport)
                .zip(&minimums)
                .map(|((&i, &t), &m)| (&producers[i], t, m))
                .collect(),
            households: &households,
        };
        let mut number = 0;
        let mut cancelled = 0;
        for opens in starts {
            number += 1;
            let fate = rng.random_range(0..100);
            let fate = if fate < 3 && cancelled < 2 {
                cancelled += 1;
                Fate::Cancelled
            } else if fate < 12 {
                Fate::Euro
            } else {
                Fate::Credit
            };
            let closes = opens + 4 * DAY + 20 * HOUR;
            self.cycle(&mut rng, &ctx, number, opens, closes, fate);
        }
        self.cycle(
            &mut rng,
            &ctx,
            number + 1,
            open_opens,
            open_closes,
            Fate::Open,
        );
        pickups
    }

    #[allow(clippy::too_many_lines)]
    fn cycle(
        &mut self,
        rng: &mut impl Rng,
        ctx: &GroupCtx<'_>,
        number: i64,
        opens: i64,
        closes: i64,
        fate: Fate,
    ) {
        let w = self.w;
        let in_credit = fate != Fate::Euro;
        let currency = if in_credit {
            self.currency.clone()
        } else {
            crate::ledger::EURO.to_owned()
        };
        let cycle_id = self.purchasing_id(Table::Cycle);
        let week = instant(opens).iso_week();
        let name = if ctx.french {
            format!("Commande semaine {week}")
        } else {
            format!("Ordine settimana {week}")
        };
        let pickup_day = closes - 20 * HOUR + 2 * DAY;
        let delivered_t = pickup_day + 20 * HOUR;
        let settle_t = delivered_t + DAY + rng.random_range(0..6) * HOUR;
        let month = u8::from(instant(opens).month());
        let out = &mut self.purchasing.out;

        // Producers and products on offer.
        let mut offered: Vec<OfferedProduct> = Vec::new();
        let mut weights: HashMap<Uuid, (i64, Unit)> = HashMap::new();
        let mut producer_of: HashMap<Uuid, usize> = HashMap::new();
        for (producer, transport, minimum) in &ctx.producers {
            // Only producers whose catalogue was out, and who are still members when paid.
            let settled_by = if fate == Fate::Open {
                END_S - 1
            } else {
                settle_t
            };
            if producer.since > opens || !w.open(producer.party, settled_by) {
                continue;
            }
            out.cycle_producers.push(DemoCycleProducer {
                cycle_id,
                producer_id: producer.org_id,
                minimum_minor: *minimum,
                transport_basis_points: *transport,
                minimum_met: None,
            });
            producer_of.insert(producer.org_id, producer.party);
            for (index, product, grams) in &producer.products {
                let Some(price) = product.price_minor(in_credit) else {
                    continue;
                };
                if !product.in_season(month) {
                    continue;
                }
                let id = out.products[*index].id;
                offered.push(OfferedProduct {
                    id,
                    producer: producer.org_id,
                    step_milli: product.step_milli,
                    package_size_milli: product.package_size_milli,
                    price_minor: price,
                });
                weights.insert(id, (*grams, product.unit));
                out.cycle_products.push(DemoCycleProduct {
                    cycle_id,
                    product_id: id,
                    producer_id: producer.org_id,
                    price_minor: price,
                    step_milli: product.step_milli,
                    package_size_milli: product.package_size_milli,
                    packages: None,
                });
            }
        }
        for &(pickup_id, _) in ctx.pickups {
            out.cycle_pickups.push(DemoCyclePickup {
                cycle_id,
                pickup_id,
                starts_at: instant(pickup_day + 17 * HOUR),
                ends_at: instant(pickup_day + 19 * HOUR + 1_800),
            });
        }

        // Orders, in arrival order.
        let order_until = closes.min(END_S);
        let mut orders: Vec<(i64, usize, Uuid)> = Vec::new();
        for &h in ctx.households {
            let chance = if fate == Fate::Open { 0.35 } else { 0.55 };
            if !rng.random_bool(chance) {
                continue;
            }
            let t = rng.random_range(opens + HOUR..order_until.max(opens + 2 * HOUR));
            let done = if fate == Fate::Open { t } else { settle_t };
            if !(w.open(h, t) && w.open(h, done)) {
                continue;
            }
            orders.push((t, h, Uuid::nil()));
        }
        orders.sort_unstable();
        let mut lines: Vec<(usize, Uuid, OrderedLine)> = Vec::new();
        let mut order_pickup: HashMap<Uuid, Uuid> = HashMap::new();
        let mut order_household: HashMap<Uuid, usize> = HashMap::new();
        let mut arrival = 0i64;
        for (t, h, _) in &orders {
            if offered.is_empty() {
                break;
            }
            let order_id = self.purchasing_id(Table::Order);
            let out = &mut self.purchasing.out;
            let Some(&(pickup_id, _)) = ctx
                .pickups
                .get(rng.random_range(0..ctx.pickups.len().max(1)))
            else {
                continue;
            };
            let party = &w.parties[*h];
            let count = rng.random_range(2..=5).min(offered.len());
            let mut picked: Vec<usize> = Vec::with_capacity(count);
            for _ in 0..count * 3 {
                if picked.len() == count {
                    break;
                }
                let k = rng.random_range(0..offered.len());
                if !picked.contains(&k) {
                    picked.push(k);
                }
            }
            let last = *t + rng.random_range(0..(order_until - *t).clamp(1, DAY));
            for (n, &k) in picked.iter().enumerate() {
                let p = offered[k];
                let steps = if p.step_milli < MILLI_PER_UNIT {
                    rng.random_range(1..=4)
                } else {
                    rng.random_range(1..=2)
                };
                let quantity = p.step_milli * steps;
                let tolerance = if p.package_size_milli > p.step_milli && rng.random_bool(0.5) {
                    p.step_milli * rng.random_range(1..=2)
                } else {
                    0
                };
                // Now and then a line for a friend, besides the household's own.
                let beneficiary = if n > 0 && rng.random_bool(0.05) {
                    (*pick(rng, FRIENDS)).to_owned()
                } else {
                    String::new()
                };
                arrival += 1;
                let ordered = OrderedLine {
                    product: p.id,
                    quantity_milli: quantity,
                    tolerance_milli: tolerance,
                };
                out.lines.push(DemoLine {
                    order_id,
                    product_id: p.id,
                    beneficiary,
                    quantity_milli: quantity,
                    tolerance_milli: tolerance,
                    arrival,
                    allocated_milli: None,
                    delivered_milli: None,
                    substitute_for: None,
                    updated_at: instant(last),
                });
                lines.push((out.lines.len() - 1, order_id, ordered));
            }
            out.orders.push(DemoOrder {
                id: order_id,
                cycle_id,
                person_id: party.actor,
                account_id: party.account,
                pickup_id,
                created_at: instant(*t),
                updated_at: instant(last),
            });
            order_pickup.insert(order_id, pickup_id);
            order_household.insert(order_id, *h);
        }

        let out = &mut self.purchasing.out;
        let mut cycle = DemoCycle {
            id: cycle_id,
            group_id: ctx.group_id,
            number,
            name: name.clone(),
            currency,
            opens_at: instant(opens),
            closes_at: instant(closes),
            group_fee_basis_points: ctx.fee_bp,
            status: "open",
            note: String::new(),
            created_by: ctx.actor,
            created_at: instant(opens - 2 * HOUR),
            closed_at: None,
            delivered_at: None,
            settled_by: None,
            settled_at: None,
        };
        match fate {
            Fate::Open => {
                cycle.note = if ctx.french {
                    "Commandes ouvertes : retrait au point habituel.".to_owned()
                } else {
                    "Ordini aperti: ritiro al solito punto di consegna.".to_owned()
                };
                out.cycles.push(cycle);
                return;
            }
            Fate::Cancelled => {
                cycle.status = "cancelled";
                cycle.note = if ctx.french {
                    "Annulé : le producteur n'a pas pu livrer cette semaine.".to_owned()
                } else {
                    "Annullato: il produttore non poteva consegnare questa settimana.".to_owned()
                };
                out.cycles.push(cycle);
                return;
            }
            Fate::Euro | Fate::Credit => {}
        }

        // The close, through the domain's rules.
        let ordered: Vec<OrderedLine> = lines.iter().map(|l| l.2).collect();
        let minimums: Vec<(Uuid, Option<i64>)> = out
            .cycle_producers
            .iter()
            .rev()
            .take_while(|cp| cp.cycle_id == cycle_id)
            .map(|cp| (cp.producer_id, cp.minimum_minor))
            .collect();
        let Ok(plan) = close::plan(&offered, &minimums, &ordered) else {
            cycle.status = "cancelled";
            out.cycles.push(cycle);
            return;
        };
        for (product_id, packages) in &plan.packages {
            if let Some(cp) = out
                .cycle_products
                .iter_mut()
                .rev()
                .take_while(|cp| cp.cycle_id == cycle_id)
                .find(|cp| cp.product_id == *product_id)
            {
                cp.packages = Some(*packages);
            }
        }
        for cp in out
            .cycle_products
            .iter_mut()
            .rev()
            .take_while(|cp| cp.cycle_id == cycle_id)
            .filter(|cp| cp.packages.is_none())
        {
            cp.packages = Some(0);
        }
        for (producer, met) in &plan.minimums {
            if let Some(cp) = out
                .cycle_producers
                .iter_mut()
                .rev()
                .take_while(|cp| cp.cycle_id == cycle_id)
                .find(|cp| cp.producer_id == *producer)
            {
                cp.minimum_met = Some(*met);
            }
        }

        // Delivery: weighed products vary a little, now and then a producer is short.
        let price_of: HashMap<Uuid, &OfferedProduct> = offered.iter().map(|p| (p.id, p)).collect();
        let transport_of: HashMap<Uuid, i32> = ctx
            .producers
            .iter()
            .map(|(p, t, _)| (p.org_id, *t))
            .collect();
        let mut delivered_lines = Vec::new();
        let mut weight: BTreeMap<(Uuid, Uuid), i64> = BTreeMap::new();
        for ((row, order_id, line), allocated) in lines.iter().zip(&plan.allocated_milli) {
            let Some(p) = price_of.get(&line.product) else {
                continue;
            };
            let Some(&(grams, unit)) = weights.get(&line.product) else {
                continue;
            };
            let mut delivered = *allocated;
            if delivered > 0 && unit == Unit::Kilogram {
                delivered = delivered * rng.random_range(96..=104) / 100 / 10 * 10;
            } else if delivered > 0 && rng.random_bool(0.03) {
                delivered -= p.step_milli;
            }
            let delivered = delivered.max(0);
            if let Some(l) = out.lines.get_mut(*row) {
                l.allocated_milli = Some(*allocated);
                l.delivered_milli = Some(delivered);
                l.updated_at = instant(delivered_t);
            }
            if delivered == 0 {
                continue;
            }
            let (Some(&h), Some(&pickup)) =
                (order_household.get(order_id), order_pickup.get(order_id))
            else {
                continue;
            };
            let transport = transport_of.get(&p.producer).copied().unwrap_or(0);
            delivered_lines.push(DeliveredLine {
                household: w.parties[h].account,
                producer: p.producer,
                price_minor: p.price_minor,
                delivered_milli: delivered,
                markup: Markup::new(transport.unsigned_abs(), ctx.fee_bp.unsigned_abs())
                    .unwrap_or(Markup::NONE),
            });
            *weight.entry((p.producer, pickup)).or_default() += delivered * grams / MILLI_PER_UNIT;
        }
        for ((producer_id, pickup_id), weight_g) in weight {
            let from = ctx
                .producers
                .iter()
                .find(|(p, _, _)| p.org_id == producer_id)
                .and_then(|(p, _, _)| p.at);
            let to = ctx
                .pickups
                .iter()
                .find(|(id, _)| *id == pickup_id)
                .and_then(|(_, at)| *at);
            out.deliveries.push(DemoDelivery {
                cycle_id,
                producer_id,
                pickup_id,
                distance_m: match (from, to) {
                    (Some(a), Some(b)) => Some(i64::from(distance_m(a, b))),
                    _ => None,
                },
                weight_g,
                recorded_by: ctx.actor,
                recorded_at: instant(delivered_t),
            });
        }
        cycle.closed_at = Some(instant(closes + HOUR));
        cycle.delivered_at = Some(instant(delivered_t));
        cycle.status = "delivered";
        let Ok(s) = pricing::settle(&delivered_lines) else {
            out.cycles.push(cycle);
            return;
        };
        let account_party: HashMap<Uuid, usize> = order_household
            .values()
            .map(|&h| (w.parties[h].account, h))
            .collect();
        let Some(group_account) = w.parties.get(ctx.gp).map(|p| p.account) else {
            out.cycles.push(cycle);
            return;
        };
        if s.charges.is_empty() {
            // Nobody ordered, or every producer fell short of its minimum: called off.
            for (row, _, _) in &lines {
                if let Some(l) = out.lines.get_mut(*row) {
                    l.allocated_milli = None;
                    l.delivered_milli = None;
                }
            }
            out.deliveries.retain(|d| d.cycle_id != cycle_id);
            cycle.status = "cancelled";
            cycle.closed_at = None;
            cycle.delivered_at = None;
            cycle.note = if ctx.french {
                "Annulé : pas assez de commandes.".to_owned()
            } else {
                "Annullato: ordini insufficienti.".to_owned()
            };
            out.cycles.push(cycle);
            return;
        }
        if fate == Fate::Euro {
            // Recorded as paid in euro, outside the ledger.
            for (account, amount) in &s.charges {
                out.settlements
                    .push(settlement(cycle_id, *account, "household_euro", *amount));
            }
            for (producer, amount) in &s.payouts {
                if let Some(&p) = producer_of.get(producer) {
                    let account = w.parties[p].account;
                    out.settlements
                        .push(settlement(cycle_id, account, "producer", *amount));
                }
            }
            out.settlements.push(settlement(
                cycle_id,
                group_account,
                "group",
                s.group_fee_minor,
            ));
            cycle.status = "settled";
            cycle.settled_by = Some(ctx.actor);
            cycle.settled_at = Some(instant(settle_t));
            out.cycles.push(cycle);
            return;
        }
        let charges: Vec<(usize, i64)> = s
            .charges
            .iter()
            .filter_map(|(a, v)| account_party.get(a).map(|&h| (h, *v)))
            .collect();
        let payouts: Vec<(usize, i64)> = s
            .payouts
            .iter()
            .filter_map(|(p, v)| producer_of.get(p).map(|&q| (q, *v)))
            .collect();
        let index = out.cycles.len();
        out.cycles.push(cycle);
        if charges.is_empty() {
            return;
        }
        let n = self.purchasing.pending.len();
        self.purchasing.pending.push(Pending {
            cycle: index,
            group: ctx.gp,
            charges,
            payouts,
            fee_minor: s.group_fee_minor,
            memo: format!("{name} #{number}"),
            actor: ctx.actor,
        });
        if settle_t < END_S {
            self.push(settle_t, Action::Settle(n));
        }
    }

    /// Farms' seasonal plans, their subscribers and the instalments they pay.
    fn plans(&mut self, producers: &[Producer], groups: &[(usize, Pickups)]) {
        let w = self.w;
        let today = BASE_DATE.date();
        for producer in producers
            .iter()
            .filter(|p| p.kind == K::Farm)
            .take(MAX_PLANS)
        {
            let farm = &w.parties[producer.party];
            let mut rng = stream_rng(
                w.spec.seed,
                Stream::Purchasing,
                u64::from(farm.org.unwrap_or(0)) + 1_000_000,
            );
            let every_weeks: u8 = if rng.random_bool(0.6) { 1 } else { 2 };
            let period = i64::from(every_weeks) * 7;
            // A season that began months ago and ends after "now".
            let first = today - time::Duration::days(rng.random_range(10..24) * 7);
            let periods = (today - first).whole_days() / period + rng.random_range(4..10);
            let last = first + time::Duration::days(periods * period);
            let price = rng.random_range(8..=16) * self.unit;
            let instalments: u8 = *pick(&mut rng, &[4, 6, 8]);
            let draft = PlanDraft {
                first_delivery: first,
                last_delivery: last,
                every_weeks,
                share_price_minor: price,
                notice_days: rng.random_range(2..=7),
                instalments,
            };
            let Ok(plan) = draft.check() else { continue };
            let created = (START_S.max(farm.from) + DAY).max(ts(first) - 40 * DAY);
            if created >= END_S {
                continue;
            }
            // A pickup point of a group that orders from this farm, or the farm itself.
            let pickup = groups
                .iter()
                .find(|(g, _)| w.links[*g].contains(&producer.party))
                .or(groups.first().filter(|_| rng.random_bool(0.5)))
                .and_then(|(_, p)| p.first().map(|x| x.0));
            let capacity = rng.random_range(12..=30);
            let plan_id = self.purchasing_id(Table::Plan);
            let (name, description) = if producer.french {
                (
                    format!("Panier {} de {}", if every_weeks == 1 { "hebdomadaire" } else { "de la quinzaine" }, producer.name),
                    "Légumes de saison, œufs et fromage selon la récolte : une part par livraison, payée d'avance.".to_owned(),
                )
            } else {
                (
                    format!("Cassetta {} di {}", if every_weeks == 1 { "settimanale" } else { "quindicinale" }, producer.name),
                    "Verdura di stagione, uova e formaggio secondo il raccolto: una quota per consegna, pagata in anticipo.".to_owned(),
                )
            };
            let name: String = name.chars().take(120).collect();
            self.purchasing.out.plans.push(DemoPlan {
                id: plan_id,
                farm_id: producer.org_id,
                name: name.clone(),
                description,
                currency: self.currency.clone(),
                share_price_minor: plan.share_price_minor(),
                first_delivery: plan.first_delivery(),
                last_delivery: plan.last_delivery(),
                every_weeks: i32::from(plan.every_weeks()),
                notice_days: i32::from(plan.notice_days()),
                instalments: i32::from(plan.instalments()),
                pickup_id: pickup,
                capacity: Some(capacity),
                status: "open",
                created_by: farm.actor,
                created_at: instant(created),
            });

            // Subscribers: the farm's people and members of the groups near it.
            let mut people: Vec<usize> = w.links[producer.party]
                .iter()
                .copied()
                .filter(|&p| w.kind(p).is_none())
                .collect();
            for (g, _) in groups
                .iter()
                .filter(|(g, _)| w.parties[*g].town == farm.town)
            {
                people.extend(w.links[*g].iter().copied().filter(|&p| w.kind(p).is_none()));
            }
            if people.len() < 4 {
                for _ in 0..12 {
                    people.push(*pick(&mut rng, &w.people));
                }
            }
            people.sort_unstable();
            people.dedup();
            people.retain(|p| self.earners.contains(p));
            let days = subscription::deliveries(&plan);
            let mut subscribed = 0;
            for &h in &people {
                if subscribed >= capacity.min(4 + people.len() as i32 / 2) {
                    break;
                }
                let joined =
                    created + rng.random_range(1..20) * DAY + rng.random_range(8..20) * HOUR;
                if joined >= END_S || !w.open(h, joined) || !rng.random_bool(0.7) {
                    continue;
                }
                let household = &w.parties[h];
                // A few pay the season up front.
                let count: u8 = if rng.random_bool(0.15) {
                    1
                } else {
                    plan.instalments()
                };
                let Ok(schedule) = subscription::instalment_schedule(
                    plan.total_minor(),
                    count,
                    day_of(joined),
                    plan.last_delivery(),
                ) else {
                    continue;
                };
                subscribed += 1;
                let sub_id = self.purchasing_id(Table::Subscription);
                let out = &mut self.purchasing.out;
                out.subscriptions.push(DemoSubscription {
                    id: sub_id,
                    plan_id,
                    person_id: household.actor,
                    account_id: household.account,
                    instalments: i32::from(count),
                    status: "active",
                    created_at: instant(joined),
                });
                for &day in &days {
                    let midday = ts(day) + 12 * HOUR;
                    let (status, changed) = if day < today {
                        if rng.random_bool(0.08) {
                            ("skipped", (midday - 4 * DAY).max(joined))
                        } else {
                            ("delivered", midday + 6 * HOUR)
                        }
                    } else if rng.random_bool(0.04) {
                        ("skipped", END_S - rng.random_range(1..5) * DAY)
                    } else {
                        ("planned", joined)
                    };
                    out.share_deliveries.push(DemoShareDelivery {
                        subscription_id: sub_id,
                        day,
                        status,
                        changed_at: instant(changed.max(joined).min(END_S)),
                    });
                }
                for (k, i) in schedule.iter().enumerate() {
                    let number = i32::try_from(k + 1).unwrap_or(i32::MAX);
                    let row = self.purchasing.out.instalments.len();
                    self.purchasing.out.instalments.push(DemoInstalment {
                        subscription_id: sub_id,
                        number,
                        due: i.due,
                        amount_minor: i.amount_minor,
                        paid_at: None,
                        transfer_id: None,
                    });
                    let at = ts(i.due) + 9 * HOUR + rng.random_range(0..3_600);
                    let at = at.max(joined + 60);
                    if at < END_S {
                        let memo = if producer.french {
                            format!("{name} — échéance {number}/{count}")
                        } else {
                            format!("{name} — rata {number}/{count}")
                        };
                        let n = self.purchasing.due.len();
                        self.purchasing.due.push(Due {
                            row,
                            payer: h,
                            payee: producer.party,
                            memo,
                            actor: household.actor,
                            refused: 0,
                        });
                        self.push(at, Action::Instalment(n));
                    }
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Credit,
    Euro,
    Cancelled,
    Open,
}

struct GroupCtx<'a> {
    gp: usize,
    group_id: Uuid,
    french: bool,
    actor: Uuid,
    fee_bp: i32,
    pickups: &'a [(Uuid, Option<LatLon>)],
    producers: Vec<(&'a Producer, i32, Option<i64>)>,
    households: &'a [usize],
}

fn settlement(cycle_id: Uuid, account_id: Uuid, role: &'static str, amount: i64) -> DemoSettlement {
    DemoSettlement {
        cycle_id,
        account_id,
        role,
        amount_minor: amount,
        transfer_id: None,
    }
}

impl Ledger<'_> {
    /// Settles a delivered cycle in credit: households whose credit covers their charge pay
    /// the group, the others are recorded as paying in euro, and the group pays each producer,
    /// all or nothing. Refused (the group cannot pay), the cycle stays delivered.
    pub(super) fn settle_cycle(&mut self, at: i64, b: &mut Builder, n: usize) {
        let Some(p) = b.pending.get(n) else { return };
        let w = self.w;
        if !w.open(p.group, at) || p.payouts.iter().any(|&(q, _)| !w.open(q, at)) {
            return;
        }
        let group = w.parties[p.group].account;
        let mut legs = Vec::with_capacity(p.charges.len() + p.payouts.len());
        let mut roles = Vec::with_capacity(p.charges.len());
        for &(h, amount) in &p.charges {
            let account = w.parties[h].account;
            let covered = self
                .book
                .get(&account)
                .is_some_and(|a| a.limits.spendable_minor(a.balance_minor) >= amount);
            if covered && w.open(h, at) {
                legs.push(Leg {
                    payer: account,
                    payee: group,
                    amount_minor: amount,
                });
                roles.push((account, "household", amount, true));
            } else {
                roles.push((account, "household_euro", amount, false));
            }
        }
        for &(q, amount) in &p.payouts {
            legs.push(Leg {
                payer: group,
                payee: w.parties[q].account,
                amount_minor: amount,
            });
        }
        let Ok(posted) = self.book.post(&legs) else {
            return;
        };
        let mut ids = Vec::with_capacity(legs.len());
        for (leg, after) in legs.iter().zip(&posted) {
            let id = self.append(
                at,
                TransferKind::Purchase,
                (leg.payer, leg.payee, leg.amount_minor),
                after,
                &p.memo,
                (None, None, None),
                p.actor,
            );
            ids.push(id);
        }
        let cycle_id = b.out.cycles.get(p.cycle).map(|c| c.id).unwrap_or_default();
        let mut next = ids.into_iter();
        for (account, role, amount, paid) in roles {
            let transfer_id = if paid { next.next().flatten() } else { None };
            b.out.settlements.push(DemoSettlement {
                cycle_id,
                account_id: account,
                role,
                amount_minor: amount,
                transfer_id,
            });
        }
        for &(q, amount) in &p.payouts {
            b.out.settlements.push(DemoSettlement {
                cycle_id,
                account_id: w.parties[q].account,
                role: "producer",
                amount_minor: amount,
                transfer_id: next.next().flatten(),
            });
        }
        b.out
            .settlements
            .push(settlement(cycle_id, group, "group", p.fee_minor));
        if let Some(c) = b.out.cycles.get_mut(p.cycle) {
            c.status = "settled";
            c.settled_by = Some(p.actor);
            c.settled_at = Some(instant(at));
        }
    }

    /// Pays an instalment when the household's credit covers it; otherwise it stays due.
    /// Pays instalment `n` at `at`; when the ledger refuses it (the household is short of
    /// credit), returns when to try it again (a week later, a bounded number of times, within
    /// the year).
    pub(super) fn pay_instalment(&mut self, at: i64, b: &mut Builder, n: usize) -> Option<i64> {
        let d = b.due.get(n)?;
        if !(self.w.open(d.payer, at) && self.w.open(d.payee, at)) {
            return None;
        }
        let amount = b.out.instalments.get(d.row).map(|i| i.amount_minor)?;
        let id = self.post(
            at,
            TransferKind::Purchase,
            d.payer,
            d.payee,
            amount,
            &d.memo,
            (None, None, None),
            d.actor,
        );
        let Some(id) = id else {
            let d = b.due.get_mut(n)?;
            d.refused = d.refused.saturating_add(1);
            let again = at + WEEK;
            return (d.refused <= INSTALMENT_RETRIES && again < END_S).then_some(again);
        };
        if let Some(i) = b.out.instalments.get_mut(d.row) {
            i.paid_at = Some(instant(at));
            i.transfer_id = Some(id);
        }
        None
    }
}
