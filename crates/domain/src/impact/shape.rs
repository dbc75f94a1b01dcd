//! The shape of trade among parties over a period: who buys from and sells to whom, how much
//! trade goes both ways, and how much runs in cycles (and could be cleared).
//!
//! Flows are [`Flow`]s; self-flows, non-positive amounts and out-of-range parties are ignored
//! as in [`super::lm3`]. A flow `payer → payee` means the payee supplied the payer: the
//! payee is one of the payer's suppliers and the payer one of the payee's customers.

use super::lm3::{Flow, mul_div_floor};
use crate::clearing::{ClearingError, Network, clear};

/// A share as an exact fraction `part / whole` (both in minor units of trade volume).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ratio {
    /// The counted volume.
    pub part: i128,
    /// The total volume.
    pub whole: i128,
}

impl Ratio {
    /// Parts per million, floored; `None` when there is no volume at all.
    pub fn ppm(&self) -> Option<i64> {
        self.scaled(1_000_000)
    }

    /// Parts per thousand, floored; `None` when there is no volume at all.
    pub fn permille(&self) -> Option<i64> {
        self.scaled(1_000)
    }

    fn scaled(&self, scale: i128) -> Option<i64> {
        if self.whole <= 0 {
            return None;
        }
        i64::try_from(mul_div_floor(self.part, scale, self.whole)?).ok()
    }
}

/// For every party in `0..n`, the number of distinct member suppliers (parties it paid) and
/// distinct member customers (parties that paid it), as `(suppliers, customers)`.
pub fn suppliers_and_customers(
    n: u32,
    flows: &[Flow],
    member: impl Fn(u32) -> bool,
) -> Vec<(u32, u32)> {
    let mut out = vec![(0u32, 0u32); n as usize];
    // Distinct pairs by sorting instead of a set per party: one allocation, O(F log F).
    for (payer, payee) in distinct_pairs(n, flows) {
        if member(payee) {
            out[payer as usize].0 += 1;
        }
        if member(payer) {
            out[payee as usize].1 += 1;
        }
    }
    out
}

/// How many parties picked by `counted` (e.g. organisations) have at least one member
/// supplier and at least one member customer: they both buy and sell inside the district.
pub fn both_ways_count(
    n: u32,
    flows: &[Flow],
    member: impl Fn(u32) -> bool,
    counted: impl Fn(u32) -> bool,
) -> u32 {
    suppliers_and_customers(n, flows, member)
        .into_iter()
        .zip(0u32..)
        .filter(|&((suppliers, customers), p)| suppliers > 0 && customers > 0 && counted(p))
        .count() as u32
}

/// The share of trade that goes both ways: over every unordered pair `{a, b}`,
/// `2 × min(a → b, b → a)` (flows with the same ends summed first), divided by the total
/// volume. Party indices are not bounded here, only self-flows and non-positive amounts are
/// ignored.
pub fn reciprocity(flows: &[Flow]) -> Ratio {
    let mut pairs: Vec<(u32, u32, i128)> = flows
        .iter()
        .filter(|f| f.amount_minor > 0 && f.payer != f.payee)
        .map(|f| (f.payer, f.payee, i128::from(f.amount_minor)))
        .collect();
    let whole: i128 = pairs.iter().map(|p| p.2).sum();
    // Sorted by unordered pair, then direction, so each pair's two directions are adjacent.
    pairs.sort_unstable_by_key(|&(a, b, _)| (a.min(b), a.max(b), a > b));
    let mut part = 0i128;
    for pair in pairs.chunk_by(|x, y| (x.0.min(x.1), x.0.max(x.1)) == (y.0.min(y.1), y.0.max(y.1)))
    {
        let (forward, backward) =
            pair.iter().fold(
                (0i128, 0i128),
                |(f, b), &(x, y, v)| {
                    if x < y { (f + v, b) } else { (f, b + v) }
                },
            );
        part += 2 * forward.min(backward);
    }
    Ratio { part, whole }
}

/// The share of trade that runs in cycles: the largest circulation contained in the flow
/// graph divided by the total volume, computed with the optimal clearing engine.
///
/// Each flow `payer → payee` becomes an invoice "payer owes payee". Reversing every arc maps
/// circulations onto circulations of the same size, so the direction chosen does not change
/// the result, only that it is the same for every flow. Parallel flows are merged by the
/// engine itself.
pub fn in_cycles(n: u32, flows: &[Flow]) -> Result<Ratio, ClearingError> {
    let mut net = Network::with_capacity(n, flows.len());
    for flow in flows.iter().filter(|f| f.counts(n as usize)) {
        net.push(flow.payer, flow.payee, flow.amount_minor)?;
    }
    let summary = clear(&net)?.summary;
    Ok(Ratio {
        part: summary.cleared,
        whole: summary.total,
    })
}

/// The distinct `(payer, payee)` pairs among the counted flows, sorted.
fn distinct_pairs(n: u32, flows: &[Flow]) -> Vec<(u32, u32)> {
    let mut pairs: Vec<(u32, u32)> = flows
        .iter()
        .filter(|f| f.counts(n as usize))
        .map(|f| (f.payer, f.payee))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn flow(payer: u32, payee: u32, amount_minor: i64) -> Flow {
        Flow {
            payer,
            payee,
            amount_minor,
        }
    }

    #[test]
    fn triangle_with_an_extra_arc() {
        let flows = [
            flow(0, 1, 10),
            flow(1, 2, 10),
            flow(2, 0, 10),
            flow(0, 1, 5),
        ];
        let ratio = in_cycles(3, &flows).unwrap();
        assert_eq!(
            ratio,
            Ratio {
                part: 30,
                whole: 35
            }
        );
        assert_eq!(ratio.permille(), Some(857));
        assert_eq!(ratio.ppm(), Some(857_142));
        // No pair trades both ways.
        assert_eq!(reciprocity(&flows), Ratio { part: 0, whole: 35 });
    }

    #[test]
    fn reciprocity_by_hand() {
        // {0,1}: 0→1 = 30 + 10, 1→0 = 25 → 2 × 25 = 50. {1,2}: 1→2 = 5, nothing back → 0.
        // {0,2}: 2→0 = 7, 0→2 = 7 → 14. Total = 40 + 25 + 5 + 14 = 84.
        let flows = [
            flow(0, 1, 30),
            flow(1, 0, 25),
            flow(1, 2, 5),
            flow(0, 1, 10),
            flow(2, 0, 7),
            flow(0, 2, 7),
            flow(3, 3, 1_000),
            flow(2, 1, -4),
        ];
        assert_eq!(
            reciprocity(&flows),
            Ratio {
                part: 64,
                whole: 84
            }
        );
        assert_eq!(reciprocity(&flows).permille(), Some(761));
        // Cycles go further than pairs: keep 0↔1 at 25 each way (50), run the triangle
        // 0→1→2→0 at 5 (15, using 5 of 2→0) and 0↔2 with the 2 left of 2→0 (4): 69.
        assert_eq!(
            in_cycles(4, &flows).unwrap(),
            Ratio {
                part: 69,
                whole: 84
            }
        );
    }

    #[test]
    fn nothing_traded() {
        assert_eq!(reciprocity(&[]).ppm(), None);
        assert_eq!(in_cycles(3, &[]).unwrap().permille(), None);
    }

    #[test]
    fn out_of_range_is_ignored() {
        let flows = [flow(0, 1, 10), flow(1, 0, 10), flow(1, 9, 10)];
        assert_eq!(
            in_cycles(2, &flows).unwrap(),
            Ratio {
                part: 20,
                whole: 20
            }
        );
        assert_eq!(
            suppliers_and_customers(2, &flows, |_| true),
            vec![(1, 1), (1, 1)]
        );
    }

    #[test]
    fn suppliers_customers_and_both_ways() {
        // 0 buys from 1 twice and from 2; 1 buys from 3 (not a member); 2 buys from 0.
        let flows = [
            flow(0, 1, 10),
            flow(0, 1, 20),
            flow(0, 2, 5),
            flow(1, 3, 5),
            flow(2, 0, 5),
        ];
        let member = |p: u32| p != 3;
        assert_eq!(
            suppliers_and_customers(4, &flows, member),
            vec![(2, 1), (0, 1), (1, 1), (0, 1)]
        );
        // 0 and 2 trade both ways with members; 1 only sells to members, 3 only sells.
        assert_eq!(both_ways_count(4, &flows, member, |_| true), 2);
        assert_eq!(both_ways_count(4, &flows, member, |p| p != 0), 1);
    }

    fn arb_flows() -> impl Strategy<Value = Vec<Flow>> {
        proptest::collection::vec(
            (0u32..6, 0u32..6, 1i64..1_000).prop_map(|(a, b, v)| flow(a, b, v)),
            0..40,
        )
    }

    proptest! {
        #[test]
        fn parts_are_within_wholes(flows in arb_flows()) {
            let cycles = in_cycles(6, &flows).unwrap();
            let both = reciprocity(&flows);
            for ratio in [cycles, both] {
                prop_assert!(0 <= ratio.part && ratio.part <= ratio.whole);
            }
            // Two-way trade is made of cycles of two.
            prop_assert!(both.part <= cycles.part);
            prop_assert_eq!(cycles.whole, both.whole);
        }
    }
}
