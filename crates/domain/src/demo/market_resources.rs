//! The demo district's shared resources: about twenty vans, a tractor, cold rooms, kitchens and
//! halls lent by its organisations, with a year of bookings (to a month after the demo date),
//! some cancelled. Deterministic: the same seed, owners and bookers give the same records. The
//! fees are not journal entries here: the store posts them through the ledger writer, which
//! confirms each booking as it pays it (and refunds the cancelled ones).

use super::{BASE_DATE, START, Stream, stream_id, stream_rng};
use crate::market::resource::{
    self as rules, Cancellation, FeeUnit, ResourceKind, Rules, Slot, parse_windows,
};
use rand::Rng;
use time::{Duration, OffsetDateTime, Time};
use uuid::Uuid;

/// How many resources the demo lists (fewer when fewer organisations can lend).
pub const RESOURCES: usize = 20;
/// The most bookings one resource gets over the demo year.
pub const MAX_BOOKINGS_PER_RESOURCE: usize = 100;

/// A resource of the demo.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoResource {
    pub id: Uuid,
    pub owner: Uuid,
    /// The owner's admin, who added it.
    pub created_by: Uuid,
    pub kind: ResourceKind,
    pub name: String,
    pub description: &'static str,
    pub place: String,
    pub rules_text: &'static str,
    pub rules: Rules,
    pub created_at: OffsetDateTime,
}

/// A booking of the demo: confirmed, or cancelled at `cancelled_at` with `refund_minor` back.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoBooking {
    pub id: Uuid,
    /// Index into [`DemoResources::resources`].
    pub resource: usize,
    pub booked_by: Uuid,
    pub account: Uuid,
    pub slot: Slot,
    pub fee_minor: i64,
    pub created_at: OffsetDateTime,
    pub cancelled_at: Option<OffsetDateTime>,
    pub refund_minor: i64,
}

/// The demo's resources and bookings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DemoResources {
    pub resources: Vec<DemoResource>,
    pub bookings: Vec<DemoBooking>,
}

/// (kind, name, description, rules, fee per unit in units, unit, windows, min h, max h).
type Template = (
    ResourceKind,
    &'static str,
    &'static str,
    &'static str,
    i64,
    FeeUnit,
    &'static str,
    i64,
    i64,
);

const TEMPLATES: [Template; 10] = [
    (
        ResourceKind::Van,
        "Furgone frigo",
        "A refrigerated van, 3 m³, for deliveries to shops and pickup points.",
        "Return it clean and with a full tank. Log the kilometres in the notebook.",
        4,
        FeeUnit::Hour,
        "daily 06:00-22:00",
        1,
        12,
    ),
    (
        ResourceKind::Van,
        "Camionnette",
        "A 12 m³ van for markets and moves.",
        "Driving licence B. Return it by the end time.",
        30,
        FeeUnit::Day,
        "daily 00:00-24:00",
        4,
        72,
    ),
    (
        ResourceKind::Tractor,
        "Trattore con fresa",
        "A 60 hp tractor with a rotary tiller.",
        "Only members trained by the cooperative drive it.",
        12,
        FeeUnit::Hour,
        "mon-sat 07:00-19:00",
        2,
        10,
    ),
    (
        ResourceKind::ColdRoom,
        "Cella frigorifera",
        "A 20 m³ cold room at 2–4 °C.",
        "Label every crate with your name and the date.",
        15,
        FeeUnit::Day,
        "daily 00:00-24:00",
        24,
        24 * 14,
    ),
    (
        ResourceKind::Kitchen,
        "Laboratorio di cucina",
        "A certified kitchen for preserves and baking.",
        "Bring your own aprons; clean as you leave.",
        6,
        FeeUnit::Hour,
        "mon-sat 07:00-22:00",
        2,
        8,
    ),
    (
        ResourceKind::Hall,
        "Sala riunioni",
        "A meeting hall for 60 people, with a projector.",
        "Chairs back in place, lights off.",
        5,
        FeeUnit::Hour,
        "mon-fri 09:00-23:00; sat 09:00-18:00",
        1,
        6,
    ),
    (
        ResourceKind::Hall,
        "Salle polyvalente",
        "A hall for assemblies, markets and parties.",
        "Music off at 23:00.",
        8,
        FeeUnit::Hour,
        "daily 08:00-23:00",
        2,
        10,
    ),
    (
        ResourceKind::Tool,
        "Pressa per olive",
        "A small olive press for family harvests.",
        "Booked by the half day; the owner shows how it works.",
        3,
        FeeUnit::Hour,
        "mon-fri 08:00-18:00",
        2,
        8,
    ),
    (
        ResourceKind::Kitchen,
        "Cuisine partagée",
        "A shared kitchen with a cold store.",
        "Hygiene training required.",
        0,
        FeeUnit::Hour,
        "daily 07:00-21:00",
        1,
        6,
    ),
    (
        ResourceKind::Other,
        "Stand mercato",
        "A market stall with a tent and scales.",
        "Return it dry.",
        10,
        FeeUnit::Day,
        "daily 00:00-24:00",
        8,
        48,
    ),
];

fn whole_hour(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_time(Time::from_hms(t.hour(), 0, 0).unwrap_or(Time::MIDNIGHT))
}

/// Resources of `owners` ((organisation, its admin, its locality)) and a year of bookings by
/// `bookers` ((person, paying account): people from their own account, organisations' admins
/// from their organisation's). Fees are in minor units of a currency with `unit_minor` per unit.
pub fn resources(
    seed: u64,
    owners: &[(Uuid, Uuid, String)],
    bookers: &[(Uuid, Uuid)],
    unit_minor: i64,
) -> DemoResources {
    let mut out = DemoResources::default();
    if owners.is_empty() || bookers.is_empty() {
        return out;
    }
    let mut next_id = 0u64;
    let mut id = || {
        next_id += 1;
        stream_id(seed, Stream::ResourcesId, next_id)
    };
    let end = BASE_DATE + Duration::days(30);
    for index in 0..RESOURCES {
        let mut rng = stream_rng(seed, Stream::Resources, index as u64);
        let t = TEMPLATES[index % TEMPLATES.len()];
        let (kind, name, description, rules_text, fee_units, unit, windows, min_h, max_h) = t;
        let (owner, admin, place) = &owners[(index * 7 + 3) % owners.len()];
        let Ok(windows) = parse_windows(windows) else {
            continue;
        };
        let rules = Rules {
            enabled: true,
            fee_minor: fee_units.saturating_mul(unit_minor),
            fee_unit: unit,
            windows,
            min_minutes: min_h * 60,
            max_minutes: max_h * 60,
            max_ahead_days: 90,
            cancellation: Cancellation {
                free_hours: [24, 48, 72][index % 3],
                kept_percent: [0, 25, 50][index % 3],
            },
        };
        let resource = out.resources.len();
        out.resources.push(DemoResource {
            id: id(),
            owner: *owner,
            created_by: *admin,
            kind,
            name: if index < TEMPLATES.len() {
                name.to_owned()
            } else {
                format!("{name} 2")
            },
            description,
            place: place.clone(),
            rules_text,
            rules: rules.clone(),
            created_at: START,
        });
        // Walk through the year: a gap, then a slot that fits the windows, or try again.
        let mut t = START + Duration::hours(rng.random_range(0..72));
        let mut made = 0;
        for _ in 0..MAX_BOOKINGS_PER_RESOURCE * 4 {
            if made >= MAX_BOOKINGS_PER_RESOURCE || t >= end {
                break;
            }
            let start = whole_hour(t + Duration::hours(rng.random_range(0..24)));
            let hours = rng.random_range(min_h..=max_h.min(min_h * 4));
            let slot = Slot {
                start,
                end: start + Duration::hours(hours),
            };
            t = slot.end + Duration::hours(rng.random_range(12..120));
            if rules::validate_slot(&rules, &slot, slot.start - Duration::days(1)).is_err() {
                continue;
            }
            let Ok(fee) = rules::fee_of(&rules, &slot) else {
                continue;
            };
            let (booked_by, account) = bookers[rng.random_range(0..bookers.len())];
            let created_at = slot.start - Duration::hours(rng.random_range(24..24 * 20));
            let (cancelled_at, refund) = if rng.random_ratio(1, 10) {
                let at = slot.start - Duration::hours(rng.random_range(1..96));
                let refund = rules::refund_of(rules.cancellation, fee, slot.start, at).unwrap_or(0);
                (Some(at.max(created_at)), refund)
            } else {
                (None, 0)
            };
            out.bookings.push(DemoBooking {
                id: id(),
                resource,
                booked_by,
                account,
                slot,
                fee_minor: fee,
                created_at,
                cancelled_at,
                refund_minor: refund,
            });
            made += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize, salt: u8) -> Vec<Uuid> {
        (0..n)
            .map(|i| {
                Uuid::from_bytes([
                    salt,
                    (i % 256) as u8,
                    (i / 256) as u8,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    1,
                ])
            })
            .collect()
    }

    #[test]
    fn a_year_of_bookings_that_never_overlap() {
        let orgs = ids(30, 1);
        let people = ids(30, 2);
        let owners: Vec<(Uuid, Uuid, String)> = orgs
            .iter()
            .zip(&people)
            .map(|(o, p)| (*o, *p, "Aosta".to_owned()))
            .collect();
        let bookers: Vec<(Uuid, Uuid)> = people
            .iter()
            .zip(ids(30, 3))
            .map(|(p, a)| (*p, a))
            .collect();
        let d = resources(7, &owners, &bookers, 100);
        assert_eq!(d.resources.len(), RESOURCES);
        assert!(d.bookings.len() > 20 * 30, "{}", d.bookings.len());
        assert_eq!(d, resources(7, &owners, &bookers, 100));
        for r in 0..d.resources.len() {
            let mine: Vec<&DemoBooking> = d.bookings.iter().filter(|b| b.resource == r).collect();
            for pair in mine.windows(2) {
                assert!(pair[0].slot.end <= pair[1].slot.start);
            }
        }
        assert!(d.bookings.iter().any(|b| b.cancelled_at.is_some()));
        assert!(d.bookings.iter().all(|b| b.refund_minor <= b.fee_minor));
    }
}
