//! Price transparency and settlement of an order cycle.
//!
//! A household sees what each unit pays: the producer's price, the transport to the pickup
//! point and the purchasing group's fee, each a markup on the producer's price in basis
//! points. Every part of a line is rounded half up to the minor unit once, and every total is
//! a sum of those parts, so what households are charged is exactly what producers and the group
//! receive.
//!
//! Settlement takes what was *delivered*, never what was allocated at the close: the weighed
//! quantity of a product sold by weight, less when the producer was short, and a substitute as
//! a line of its own at the substitute's price. The store records delivered lines; this module
//! turns them into charges, payouts and the ledger transfers between them.

use super::catalogue::{MAX_QUANTITY_MILLI, MILLI_PER_UNIT, line_amount_minor};
use crate::Invalid;
use crate::ledger::money::MAX_AMOUNT_MINOR;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The highest transport or group fee markup, in basis points (50%).
pub const MAX_MARKUP_BASIS_POINTS: u32 = 5_000;
/// Basis points in one whole.
pub const BASIS_POINTS_PER_UNIT: u32 = 10_000;
/// The most delivered lines one settlement takes.
pub const MAX_LINES: usize = 1_000_000;

/// What a purchasing group adds to producers' prices, in basis points of the producer's price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Markup {
    transport_basis_points: u32,
    group_fee_basis_points: u32,
}

impl Markup {
    /// No markup: households pay the producer's price.
    pub const NONE: Self = Self {
        transport_basis_points: 0,
        group_fee_basis_points: 0,
    };

    /// Checks both markups are at most [`MAX_MARKUP_BASIS_POINTS`].
    pub fn new(transport_basis_points: u32, group_fee_basis_points: u32) -> Result<Self, Invalid> {
        if transport_basis_points > MAX_MARKUP_BASIS_POINTS {
            return Err(Invalid::new("bad_markup", "transport"));
        }
        if group_fee_basis_points > MAX_MARKUP_BASIS_POINTS {
            return Err(Invalid::new("bad_markup", "group_fee"));
        }
        Ok(Self {
            transport_basis_points,
            group_fee_basis_points,
        })
    }

    /// Transport, in basis points of the producer's price (paid to the producer, who delivers).
    pub const fn transport_basis_points(self) -> u32 {
        self.transport_basis_points
    }

    /// The group's fee, in basis points of the producer's price (paid to the group's account).
    pub const fn group_fee_basis_points(self) -> u32 {
        self.group_fee_basis_points
    }
}

/// An amount split into who it pays, in minor units; `total_minor` is the sum of the parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PriceParts {
    /// For the producer's goods.
    pub producer_minor: i64,
    /// For transport to the pickup point.
    pub transport_minor: i64,
    /// For the purchasing group.
    pub group_fee_minor: i64,
    /// What the household pays.
    pub total_minor: i64,
}

/// The parts of one unit at `price_minor` per unit, for display beside the price.
pub fn unit_parts(price_minor: i64, markup: Markup) -> Result<PriceParts, Invalid> {
    line_parts(price_minor, MILLI_PER_UNIT, markup)
}

/// The parts of a line of `quantity_milli` at `price_minor` per unit: the producer's amount
/// rounded half up, then transport and fee each a rounded share of it.
pub fn line_parts(
    price_minor: i64,
    quantity_milli: i64,
    markup: Markup,
) -> Result<PriceParts, Invalid> {
    if !(0..=MAX_AMOUNT_MINOR).contains(&price_minor) {
        return Err(Invalid::new("bad_price", "price"));
    }
    if quantity_milli < 0 {
        return Err(Invalid::new("quantity_negative", "quantity"));
    }
    if quantity_milli > MAX_QUANTITY_MILLI {
        return Err(Invalid::new("quantity_too_large", "quantity"));
    }
    // Within these bounds the exact product fits; line_amount_minor saturates above i64, which
    // the bound below refuses.
    let producer_minor = bounded(i128::from(line_amount_minor(price_minor, quantity_milli)))?;
    let transport_minor = share(producer_minor, markup.transport_basis_points)?;
    let group_fee_minor = share(producer_minor, markup.group_fee_basis_points)?;
    let total =
        i128::from(producer_minor) + i128::from(transport_minor) + i128::from(group_fee_minor);
    Ok(PriceParts {
        producer_minor,
        transport_minor,
        group_fee_minor,
        total_minor: bounded(total)?,
    })
}

/// `amount_minor × basis_points / 10 000`, rounded half up.
fn share(amount_minor: i64, basis_points: u32) -> Result<i64, Invalid> {
    let per = i128::from(BASIS_POINTS_PER_UNIT);
    let exact = i128::from(amount_minor) * i128::from(basis_points);
    bounded((exact + per / 2).div_euclid(per))
}

/// An amount as `i64` when it is at most [`MAX_AMOUNT_MINOR`].
fn bounded(amount_minor: i128) -> Result<i64, Invalid> {
    if amount_minor > i128::from(MAX_AMOUNT_MINOR) {
        return Err(Invalid::new("amount_too_large", "amount"));
    }
    i64::try_from(amount_minor).map_err(|_| Invalid::new("amount_too_large", "amount"))
}

/// One product as delivered to one household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveredLine {
    /// The household that pays.
    pub household: Uuid,
    /// The producer that delivered.
    pub producer: Uuid,
    /// The producer's price per unit, in minor units.
    pub price_minor: i64,
    /// What was delivered, in thousandths of the unit (weighed, or less when short).
    pub delivered_milli: i64,
    /// The cycle's markup for this producer.
    pub markup: Markup,
}

/// Who receives a settlement transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Payee {
    /// A producer: its goods and the transport.
    Producer(Uuid),
    /// The purchasing group's account: its fees.
    Group,
}

/// A ledger transfer of a settlement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leg {
    /// Pays.
    pub household: Uuid,
    /// Receives.
    pub payee: Payee,
    /// Positive.
    pub amount_minor: i64,
}

/// What an order cycle's delivered lines come to. Σ charges = Σ payouts + group fee, exactly.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Settlement {
    /// What each household pays, by household id, none zero.
    pub charges: Vec<(Uuid, i64)>,
    /// What each producer receives (goods and transport), by producer id, none zero.
    pub payouts: Vec<(Uuid, i64)>,
    /// What the group's account receives.
    pub group_fee_minor: i64,
    legs: Vec<Leg>,
}

impl Settlement {
    /// The ledger transfers: one per household and producer it owes, and one per household to
    /// the group for its fees; by household, then producer id, the group last; none zero.
    pub fn legs(&self) -> &[Leg] {
        &self.legs
    }
}

/// Settles delivered lines: what each household pays whom.
pub fn settle(lines: &[DeliveredLine]) -> Result<Settlement, Invalid> {
    if lines.len() > MAX_LINES {
        return Err(Invalid::new("too_many_lines", "lines"));
    }
    let mut legs: BTreeMap<(Uuid, Payee), i128> = BTreeMap::new();
    for line in lines {
        let parts = line_parts(line.price_minor, line.delivered_milli, line.markup)?;
        let to_producer = i128::from(parts.producer_minor) + i128::from(parts.transport_minor);
        *legs
            .entry((line.household, Payee::Producer(line.producer)))
            .or_default() += to_producer;
        *legs.entry((line.household, Payee::Group)).or_default() +=
            i128::from(parts.group_fee_minor);
    }
    let mut charges: BTreeMap<Uuid, i128> = BTreeMap::new();
    let mut payouts: BTreeMap<Uuid, i128> = BTreeMap::new();
    let mut group_fee: i128 = 0;
    for (&(household, payee), &amount) in &legs {
        *charges.entry(household).or_default() += amount;
        match payee {
            Payee::Producer(p) => *payouts.entry(p).or_default() += amount,
            Payee::Group => group_fee += amount,
        }
    }
    Ok(Settlement {
        charges: nonzero(charges)?,
        payouts: nonzero(payouts)?,
        group_fee_minor: bounded(group_fee)?,
        legs: legs
            .into_iter()
            .filter(|(_, amount)| *amount != 0)
            .map(|((household, payee), amount)| {
                Ok(Leg {
                    household,
                    payee,
                    amount_minor: bounded(amount)?,
                })
            })
            .collect::<Result<_, Invalid>>()?,
    })
}

fn nonzero(amounts: BTreeMap<Uuid, i128>) -> Result<Vec<(Uuid, i64)>, Invalid> {
    amounts
        .into_iter()
        .filter(|(_, amount)| *amount != 0)
        .map(|(id, amount)| Ok((id, bounded(amount)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn markups_are_bounded() {
        assert!(Markup::new(5_000, 5_000).is_ok());
        assert_eq!(Markup::new(5_001, 0).unwrap_err().field, "transport");
        assert_eq!(Markup::new(0, 5_001).unwrap_err().code, "bad_markup");
        assert_eq!(Markup::default(), Markup::NONE);
    }

    #[test]
    fn parts_round_half_up_and_add_up() {
        let m = Markup::new(800, 300).unwrap(); // 8% transport, 3% fee
        let unit = unit_parts(1_850, m).unwrap();
        // 1850 × 8% = 148, × 3% = 55.5 → 56.
        assert_eq!(
            unit,
            PriceParts {
                producer_minor: 1_850,
                transport_minor: 148,
                group_fee_minor: 56,
                total_minor: 2_054,
            }
        );
        // 1.5 kg at 3.33: 499.5 → 500; 40, 15.
        let line = line_parts(333, 1_500, m).unwrap();
        assert_eq!(
            (
                line.producer_minor,
                line.transport_minor,
                line.group_fee_minor
            ),
            (500, 40, 15)
        );
        assert_eq!(line.total_minor, 555);
        assert_eq!(line_parts(333, 0, m).unwrap(), PriceParts::default());
    }

    #[test]
    fn bad_or_huge_lines_are_refused() {
        let code = |p, q| line_parts(p, q, Markup::NONE).unwrap_err().code;
        assert_eq!(code(-1, 1_000), "bad_price");
        assert_eq!(code(100, -1), "quantity_negative");
        assert_eq!(code(100, MAX_QUANTITY_MILLI + 1), "quantity_too_large");
        assert_eq!(
            code(MAX_AMOUNT_MINOR, MAX_QUANTITY_MILLI),
            "amount_too_large"
        );
        // At the bound itself, the markup pushes it over.
        assert!(line_parts(MAX_AMOUNT_MINOR, 1_000, Markup::NONE).is_ok());
        assert_eq!(
            line_parts(MAX_AMOUNT_MINOR, 1_000, Markup::new(1, 0).unwrap())
                .unwrap_err()
                .code,
            "amount_too_large"
        );
    }

    #[test]
    fn settlement_splits_charges_into_payouts_and_fees() {
        let m = Markup::new(1_000, 500).unwrap();
        let (anna, bruno) = (id(2), id(1));
        let (farm, dairy) = (id(20), id(10));
        let lines = [
            DeliveredLine {
                household: anna,
                producer: farm,
                price_minor: 300,
                delivered_milli: 2_150, // weighed: 6.45 → 645; 64.5 → 65; 32.25 → 32
                markup: m,
            },
            DeliveredLine {
                household: bruno,
                producer: dairy,
                price_minor: 1_000,
                delivered_milli: 1_000,
                markup: Markup::NONE,
            },
            DeliveredLine {
                household: anna,
                producer: dairy,
                price_minor: 1_000,
                delivered_milli: 0, // not delivered: nothing owed
                markup: m,
            },
        ];
        let s = settle(&lines).unwrap();
        assert_eq!(s.charges, vec![(bruno, 1_000), (anna, 742)]);
        assert_eq!(s.payouts, vec![(dairy, 1_000), (farm, 710)]);
        assert_eq!(s.group_fee_minor, 32);
        assert_eq!(
            s.legs(),
            &[
                Leg {
                    household: bruno,
                    payee: Payee::Producer(dairy),
                    amount_minor: 1_000
                },
                Leg {
                    household: anna,
                    payee: Payee::Producer(farm),
                    amount_minor: 710
                },
                Leg {
                    household: anna,
                    payee: Payee::Group,
                    amount_minor: 32
                },
            ]
        );
        assert_eq!(settle(&[]).unwrap(), Settlement::default());
    }

    #[test]
    fn settlement_refuses_bad_lines() {
        let line = DeliveredLine {
            household: id(1),
            producer: id(2),
            price_minor: 100,
            delivered_milli: -5,
            markup: Markup::NONE,
        };
        assert_eq!(settle(&[line]).unwrap_err().code, "quantity_negative");
    }

    fn lines() -> impl Strategy<Value = Vec<DeliveredLine>> {
        prop::collection::vec(
            (
                0_u128..6,
                0_u128..4,
                0_i64..=100_000,
                0_i64..=50_000,
                0_u32..=MAX_MARKUP_BASIS_POINTS,
                0_u32..=MAX_MARKUP_BASIS_POINTS,
            ),
            0..60,
        )
        .prop_map(|raw| {
            raw.into_iter()
                .map(|(h, p, price, q, t, f)| DeliveredLine {
                    household: id(h),
                    producer: id(100 + p),
                    price_minor: price,
                    delivered_milli: q,
                    markup: Markup::new(t, f).unwrap(),
                })
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3_000))]

        #[test]
        fn charges_equal_payouts_and_fees(lines in lines()) {
            let s = settle(&lines).unwrap();
            let sum = |v: &[(Uuid, i64)]| v.iter().map(|&(_, a)| i128::from(a)).sum::<i128>();
            prop_assert_eq!(sum(&s.charges), sum(&s.payouts) + i128::from(s.group_fee_minor));
            // And the legs carry exactly those amounts, sorted and none zero.
            for &(h, charge) in &s.charges {
                let legs: i128 = s.legs().iter().filter(|l| l.household == h).map(|l| i128::from(l.amount_minor)).sum();
                prop_assert_eq!(legs, i128::from(charge));
            }
            for &(p, payout) in &s.payouts {
                let legs: i128 = s.legs().iter().filter(|l| l.payee == Payee::Producer(p)).map(|l| i128::from(l.amount_minor)).sum();
                prop_assert_eq!(legs, i128::from(payout));
            }
            let fees: i128 = s.legs().iter().filter(|l| l.payee == Payee::Group).map(|l| i128::from(l.amount_minor)).sum();
            prop_assert_eq!(fees, i128::from(s.group_fee_minor));
            prop_assert!(s.legs().iter().all(|l| l.amount_minor > 0));
            prop_assert!(s.legs().windows(2).all(|w| (w[0].household, w[0].payee) < (w[1].household, w[1].payee)));
            prop_assert!(s.charges.windows(2).all(|w| w[0].0 < w[1].0) && s.charges.iter().all(|c| c.1 > 0));
            prop_assert!(s.payouts.windows(2).all(|w| w[0].0 < w[1].0) && s.payouts.iter().all(|c| c.1 > 0));
            // Each charge is the sum of that household's line totals.
            for &(h, charge) in &s.charges {
                let total: i128 = lines.iter().filter(|l| l.household == h)
                    .map(|l| i128::from(line_parts(l.price_minor, l.delivered_milli, l.markup).unwrap().total_minor))
                    .sum();
                prop_assert_eq!(total, i128::from(charge));
            }
        }

        #[test]
        fn parts_add_up_and_stay_near_the_exact_markup(
            price in 0_i64..=MAX_AMOUNT_MINOR / 1_000,
            q in 0_i64..=MAX_QUANTITY_MILLI,
            t in 0_u32..=MAX_MARKUP_BASIS_POINTS,
            f in 0_u32..=MAX_MARKUP_BASIS_POINTS,
        ) {
            let m = Markup::new(t, f).unwrap();
            match line_parts(price, q, m) {
                Ok(p) => {
                    prop_assert_eq!(p.total_minor, p.producer_minor + p.transport_minor + p.group_fee_minor);
                    let exact = i128::from(price) * i128::from(q);
                    prop_assert!((i128::from(p.producer_minor) * 1_000 - exact).abs() <= 500);
                    let tr = i128::from(p.producer_minor) * i128::from(t);
                    prop_assert!((i128::from(p.transport_minor) * 10_000 - tr).abs() <= 5_000);
                }
                Err(e) => prop_assert_eq!(e.code, "amount_too_large"),
            }
        }
    }
}
