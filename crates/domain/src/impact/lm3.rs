//! Local Multiplier 3 (LM3): how much of the money a party receives is re-spent in the
//! district, and re-spent again, over three rounds.
//!
//! The method is the New Economics Foundation's (Sacks, *The Money Trail*, NEF 2002): round 1
//! is a party's income, round 2 the part of it the party spends locally, round 3 the part of
//! round 2 that its local recipients spend locally again; LM3 = (R1 + R2 + R3) / R1, between
//! 1 (nothing stays) and 3 (everything stays). NEF measures rounds 2 and 3 with surveys; here
//! the ledger gives the flows between parties exactly and a member's survey only adds what it
//! spent outside the ledger (in euro), total and local.
//!
//! Flows whose payer is the payee (an owner moving credit between its own accounts), flows of
//! zero or negative amount and flows naming a party index outside `parties` are ignored, here
//! and everywhere in [`crate::impact`]: an indicator is a best-effort figure over whatever
//! the period produced, and one bad row must not hide the others.
//!
//! All amounts are summed in `i128`. The products in round 3 multiply three amounts; when a
//! product does not fit in `i128` (amounts above about 10¹² euro each, never in practice),
//! the division is done in two exact steps whose result can be one minor unit below the exact
//! one, so the invariants `R3 ≤ R2 ≤ R1` still hold.

use std::iter::Sum;
use std::ops::Add;

/// Credit that moved from one party to another over a period (all transfers summed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow {
    /// The party that paid, an index in `0..n`.
    pub payer: u32,
    /// The party that was paid, an index in `0..n`.
    pub payee: u32,
    /// What moved, in minor units (positive).
    pub amount_minor: i64,
}

impl Flow {
    /// True when the flow counts: a positive amount between two different parties, both
    /// below `n`.
    pub(crate) fn counts(&self, n: usize) -> bool {
        self.amount_minor > 0
            && self.payer != self.payee
            && (self.payer as usize) < n
            && (self.payee as usize) < n
    }
}

/// A party of the district for one period, with what its survey declared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Party {
    /// The party is local: a member organisation, a member person or the district's own
    /// accounts. Non-members are e.g. other districts' mirror accounts.
    pub member: bool,
    /// Spending outside the ledger declared in the member's survey for the period (euro minor
    /// units). Negative values are read as 0.
    pub outside_total_minor: i64,
    /// The part of `outside_total_minor` spent with suppliers and staff in the territory;
    /// clamped to `0..=outside_total_minor`.
    pub outside_local_minor: i64,
}

impl Party {
    /// The survey's (local, total) outside spending, clamped to `0 ≤ local ≤ total`.
    fn outside(&self) -> (i128, i128) {
        let total = self.outside_total_minor.max(0);
        let local = self.outside_local_minor.clamp(0, total);
        (i128::from(local), i128::from(total))
    }
}

/// The three rounds of one party (or a sum of parties), in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lm3 {
    /// Round 1: everything the party received.
    pub r1_minor: i128,
    /// Round 2: the part of round 1 the party re-spent locally.
    pub r2_minor: i128,
    /// Round 3: the part of round 2 its local recipients re-spent locally.
    pub r3_minor: i128,
}

impl Lm3 {
    /// LM3 in thousandths, `floor(1000 × (R1 + R2 + R3) / R1)`: 1000 means nothing stayed,
    /// 3000 everything. `None` when R1 ≤ 0 (nothing received: no multiplier to speak of) or
    /// when the fields were built by hand with negative or overflowing values.
    pub fn ratio_milli(&self) -> Option<i64> {
        let sum = self
            .r1_minor
            .checked_add(self.r2_minor)?
            .checked_add(self.r3_minor)?;
        let milli = mul_div_floor(sum, 1000, self.r1_minor)?;
        i64::try_from(milli).ok()
    }
}

impl Add for Lm3 {
    type Output = Lm3;

    /// Round by round; saturating, because a sum of indicators must not panic.
    fn add(self, other: Lm3) -> Lm3 {
        Lm3 {
            r1_minor: self.r1_minor.saturating_add(other.r1_minor),
            r2_minor: self.r2_minor.saturating_add(other.r2_minor),
            r3_minor: self.r3_minor.saturating_add(other.r3_minor),
        }
    }
}

impl Sum for Lm3 {
    fn sum<I: Iterator<Item = Lm3>>(iter: I) -> Lm3 {
        iter.fold(Lm3::default(), Add::add)
    }
}

/// Every party's `(spend_local, spend_total)` in minor units: ledger payments to members plus
/// survey local spending, and all ledger payments plus survey total spending. The local share
/// of a party is the exact rational `spend_local / spend_total` (0 when the total is 0).
pub fn local_shares(parties: &[Party], flows: &[Flow]) -> Vec<(i128, i128)> {
    let n = parties.len();
    let mut spend: Vec<(i128, i128)> = parties.iter().map(Party::outside).collect();
    for flow in flows.iter().filter(|f| f.counts(n)) {
        let amount = i128::from(flow.amount_minor);
        let (local, total) = &mut spend[flow.payer as usize];
        *total += amount;
        if parties[flow.payee as usize].member {
            *local += amount;
        }
    }
    spend
}

/// Every party's three rounds, indexed like `parties`. Linear in parties and flows: one pass
/// builds income and spending totals, one pass adds round 3 flow by flow.
pub fn per_party(parties: &[Party], flows: &[Flow]) -> Vec<Lm3> {
    let n = parties.len();
    let spend = local_shares(parties, flows);
    let mut income = vec![0i128; n];
    for flow in flows.iter().filter(|f| f.counts(n)) {
        income[flow.payee as usize] += i128::from(flow.amount_minor);
    }
    let average = district_share(parties, &spend);
    let mut out: Vec<Lm3> = (0..n)
        .map(|p| {
            let (local, total) = spend[p];
            let r1 = income[p];
            let r3_outside = third_round(r1, parties[p].outside().0, total, average);
            Lm3 {
                r1_minor: r1,
                r2_minor: mul_div_floor(r1, local, total).unwrap_or(0),
                r3_minor: r3_outside,
            }
        })
        .collect();
    for flow in flows.iter().filter(|f| f.counts(n)) {
        let (p, r) = (flow.payer as usize, flow.payee as usize);
        if !parties[r].member {
            continue;
        }
        let term = third_round(
            income[p],
            i128::from(flow.amount_minor),
            spend[p].1,
            spend[r],
        );
        out[p].r3_minor += term;
    }
    out
}

/// The sum of the three rounds over the parties `selected` picks (e.g. member organisations),
/// so the district's LM3 is the income-weighted average of theirs.
pub fn district(parties: &[Party], flows: &[Flow], selected: impl Fn(u32) -> bool) -> Lm3 {
    per_party(parties, flows)
        .into_iter()
        .zip(0u32..)
        .filter(|&(_, p)| selected(p))
        .map(|(lm3, _)| lm3)
        .sum()
}

/// The district's average local share `(Σ spend_local, Σ spend_total)` over member parties.
///
/// Survey spending in the territory goes to recipients the ledger does not know, so how much
/// of it they re-spend locally is unknown; NEF fills the same gap in round 3 with a survey
/// sample of recipients, and the members of the district are the best sample available here.
fn district_share(parties: &[Party], spend: &[(i128, i128)]) -> (i128, i128) {
    parties
        .iter()
        .zip(spend)
        .filter(|(party, _)| party.member)
        .fold((0i128, 0i128), |(l, t), (_, &(local, total))| {
            (l.saturating_add(local), t.saturating_add(total))
        })
}

/// One round-3 term: `floor(r1 × paid × share_local / (payer_total × share_total))`, the part
/// of `paid` (what the payer spent with one recipient, out of `payer_total`), scaled to the
/// payer's income, that the recipient re-spends locally. 0 when a denominator is 0.
fn third_round(r1: i128, paid: i128, payer_total: i128, share: (i128, i128)) -> i128 {
    let (share_local, share_total) = share;
    if payer_total <= 0 || share_total <= 0 {
        return 0;
    }
    let exact = r1
        .checked_mul(paid)
        .and_then(|x| x.checked_mul(share_local))
        .zip(payer_total.checked_mul(share_total))
        .map(|(num, den)| num / den);
    // Two exact floors instead of one: at most one unit below, never above, the exact value.
    exact
        .or_else(|| {
            let first = mul_div_floor(r1, paid, payer_total)?;
            mul_div_floor(first, share_local, share_total)
        })
        .unwrap_or(0)
}

/// `floor(a × b / c)` for `a, b ≥ 0` and `c > 0`, exact even when `a × b` overflows `i128`
/// (the product is then formed in 256 bits). `None` on negative input, `c ≤ 0` or a quotient
/// beyond `i128`.
pub(crate) fn mul_div_floor(a: i128, b: i128, c: i128) -> Option<i128> {
    if a < 0 || b < 0 || c <= 0 {
        return None;
    }
    if let Some(product) = a.checked_mul(b) {
        return Some(product / c);
    }
    let (hi, lo) = wide_mul(a as u128, b as u128);
    let divisor = c as u128;
    let (mut remainder, mut quotient) = (0u128, 0u128);
    // Long division, one bit at a time over the 256-bit product: 256 steps, and the
    // remainder stays below `c < 2¹²⁷`, so shifting it left never loses a bit.
    for bit in (0..256u32).rev() {
        let word = if bit >= 128 { hi } else { lo };
        let next = (word >> (bit % 128)) & 1;
        remainder = (remainder << 1) | next;
        if quotient >> 127 != 0 {
            return None;
        }
        quotient <<= 1;
        if remainder >= divisor {
            remainder -= divisor;
            quotient |= 1;
        }
    }
    i128::try_from(quotient).ok()
}

/// The 256-bit product of two `u128`, as (high, low) halves, from four 64-bit products.
fn wide_mul(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a_hi, a_lo) = (a >> 64, a & MASK);
    let (b_hi, b_lo) = (b >> 64, b & MASK);
    let lo_lo = a_lo * b_lo;
    let hi_lo = a_hi * b_lo;
    let lo_hi = a_lo * b_hi;
    let hi_hi = a_hi * b_hi;
    let middle = (lo_lo >> 64) + (hi_lo & MASK) + (lo_hi & MASK);
    let lo = (lo_lo & MASK) | (middle << 64);
    let hi = hi_hi + (hi_lo >> 64) + (lo_hi >> 64) + (middle >> 64);
    (hi, lo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn member() -> Party {
        Party {
            member: true,
            ..Party::default()
        }
    }

    fn flow(payer: u32, payee: u32, amount_minor: i64) -> Flow {
        Flow {
            payer,
            payee,
            amount_minor,
        }
    }

    /// NEF's Northumberland example: the council (0) pays local supplier L (1) and non-local
    /// supplier N (2) 10,000 each; L pays 7,600 to local staff (3), N 3,600 (4); the rest of
    /// their spending is declared outside the territory.
    fn northumberland() -> (Vec<Party>, Vec<Flow>) {
        let mut parties = vec![member(); 5];
        parties[1].outside_total_minor = 2_400;
        parties[2].outside_total_minor = 6_400;
        let flows = vec![
            flow(0, 1, 10_000),
            flow(0, 2, 10_000),
            flow(1, 3, 7_600),
            flow(2, 4, 3_600),
        ];
        (parties, flows)
    }

    #[test]
    fn northumberland_suppliers() {
        let (parties, flows) = northumberland();
        let lm3 = per_party(&parties, &flows);
        assert_eq!(
            lm3[1],
            Lm3 {
                r1_minor: 10_000,
                r2_minor: 7_600,
                r3_minor: 0
            }
        );
        assert_eq!(lm3[1].ratio_milli(), Some(1760));
        assert_eq!(lm3[2].ratio_milli(), Some(1360));
        // The council received nothing: no multiplier.
        assert_eq!(lm3[0].ratio_milli(), None);
        let both = district(&parties, &flows, |p| p == 1 || p == 2);
        assert_eq!(both.r1_minor, 20_000);
        assert_eq!(both.ratio_milli(), Some(1560));
    }

    #[test]
    fn third_round_by_hand() {
        // 0 pays 1 1,000. Party 1 pays 600 to member 2 and 400 to non-member 3; its survey adds
        // 500 outside, 250 of it local. Party 2 pays 300 to member 4 and declares 300 outside,
        // 0 local. Party 4 spends nothing.
        //   spend(1) = (600 + 250, 1,000 + 500) = (850, 1,500)
        //   spend(2) = (300, 600); spend(0) = (1,000, 1,000); others (0, 0)
        //   district share = (1,000 + 850 + 300) / (1,000 + 1,500 + 600) = 2,150 / 3,100
        //   R1(1) = 1,000; R2(1) = floor(1,000 × 850 / 1,500) = 566
        //   R3(1) via 2 = floor(1,000 × 600 × 300 / (1,500 × 600)) = 200
        //   R3(1) via the survey = floor(1,000 × 250 × 2,150 / (1,500 × 3,100))
        //                        = floor(537,500,000 / 4,650,000) = 115
        //   R3(1) = 315; LM3 = floor(1000 × 1,881 / 1,000) = 1881
        let mut parties = vec![member(); 5];
        parties[3].member = false;
        parties[1].outside_total_minor = 500;
        parties[1].outside_local_minor = 250;
        parties[2].outside_total_minor = 300;
        let flows = [
            flow(0, 1, 1_000),
            flow(1, 2, 600),
            flow(1, 3, 400),
            flow(2, 4, 300),
        ];
        assert_eq!(
            local_shares(&parties, &flows),
            vec![(1_000, 1_000), (850, 1_500), (300, 600), (0, 0), (0, 0)]
        );
        let lm3 = per_party(&parties, &flows);
        assert_eq!(
            lm3[1],
            Lm3 {
                r1_minor: 1_000,
                r2_minor: 566,
                r3_minor: 315
            }
        );
        assert_eq!(lm3[1].ratio_milli(), Some(1881));
    }

    #[test]
    fn non_member_payees_leak() {
        // All of 1's spending goes to another district's mirror account (2): nothing stays.
        let mut parties = vec![member(); 3];
        parties[2].member = false;
        let flows = [flow(0, 1, 5_000), flow(1, 2, 5_000)];
        let lm3 = per_party(&parties, &flows);
        assert_eq!(lm3[1].r2_minor, 0);
        assert_eq!(lm3[1].ratio_milli(), Some(1000));
        // The non-member itself has income but no spending: R2 = 0.
        assert_eq!(lm3[2].ratio_milli(), Some(1000));
    }

    #[test]
    fn ignored_flows() {
        let parties = vec![member(); 2];
        let flows = [
            flow(0, 0, 100),
            flow(0, 1, 0),
            flow(0, 1, -5),
            flow(0, 7, 100),
            flow(9, 1, 100),
        ];
        assert_eq!(per_party(&parties, &flows), vec![Lm3::default(); 2]);
    }

    #[test]
    fn survey_is_clamped() {
        let parties = [Party {
            member: true,
            outside_total_minor: 100,
            outside_local_minor: 500,
        }];
        assert_eq!(local_shares(&parties, &[]), vec![(100, 100)]);
        let negative = [Party {
            member: true,
            outside_total_minor: -100,
            outside_local_minor: -5,
        }];
        assert_eq!(local_shares(&negative, &[]), vec![(0, 0)]);
    }

    #[test]
    fn huge_amounts_do_not_overflow() {
        let mut parties = vec![member(); 4];
        parties[1].outside_total_minor = i64::MAX;
        parties[1].outside_local_minor = i64::MAX / 2;
        parties[2].outside_total_minor = i64::MAX;
        parties[2].outside_local_minor = i64::MAX;
        let flows = [
            flow(0, 1, i64::MAX),
            flow(3, 1, i64::MAX),
            flow(1, 2, i64::MAX),
        ];
        let lm3 = per_party(&parties, &flows)[1];
        assert!(lm3.r3_minor <= lm3.r2_minor && lm3.r2_minor <= lm3.r1_minor);
        let milli = lm3.ratio_milli().unwrap_or(0);
        assert!((1000..=3000).contains(&milli), "{milli}");
    }

    #[test]
    fn mul_div_floor_is_exact_in_256_bits() {
        assert_eq!(mul_div_floor(7, 3, 2), Some(10));
        assert_eq!(
            mul_div_floor(i128::MAX, i128::MAX, i128::MAX),
            Some(i128::MAX)
        );
        assert_eq!(mul_div_floor(i128::MAX, 1000, 3000), Some(i128::MAX / 3));
        assert_eq!(mul_div_floor(i128::MAX, 2, 1), None);
        assert_eq!(mul_div_floor(-1, 2, 1), None);
        assert_eq!(mul_div_floor(1, 2, 0), None);
    }

    fn arb_case() -> impl Strategy<Value = (Vec<Party>, Vec<Flow>)> {
        (2usize..8).prop_flat_map(|n| {
            let party =
                (any::<bool>(), 0i64..10_000, 0i64..10_000).prop_map(|(member, total, local)| {
                    Party {
                        member,
                        outside_total_minor: total,
                        outside_local_minor: local,
                    }
                });
            let flow = (0..n as u32, 0..n as u32, 1i64..100_000)
                .prop_map(|(payer, payee, amount)| flow(payer, payee, amount));
            (
                proptest::collection::vec(party, n),
                proptest::collection::vec(flow, 0..30),
            )
        })
    }

    proptest! {
        #[test]
        fn rounds_are_bounded((parties, flows) in arb_case()) {
            for lm3 in per_party(&parties, &flows) {
                prop_assert!(0 <= lm3.r3_minor);
                prop_assert!(lm3.r3_minor <= lm3.r2_minor);
                prop_assert!(lm3.r2_minor <= lm3.r1_minor);
                if lm3.r1_minor > 0 {
                    let milli = lm3.ratio_milli().unwrap_or(-1);
                    prop_assert!((1000..=3000).contains(&milli));
                }
            }
        }

        #[test]
        fn order_does_not_matter((parties, flows) in arb_case(), seed in any::<u64>()) {
            let mut shuffled = flows.clone();
            let len = shuffled.len();
            for i in 0..len {
                let j = (seed.wrapping_mul(i as u64 + 1) % len as u64) as usize;
                shuffled.swap(i, j);
            }
            prop_assert_eq!(per_party(&parties, &flows), per_party(&parties, &shuffled));
        }

        #[test]
        fn splitting_a_flow_only_rounds((parties, flows) in arb_case(), at in any::<usize>()) {
            prop_assume!(!flows.is_empty());
            let i = at % flows.len();
            prop_assume!(flows[i].amount_minor >= 2);
            let mut split = flows.clone();
            let half = split[i].amount_minor / 2;
            split[i].amount_minor -= half;
            split.push(Flow { amount_minor: half, ..flows[i] });
            let tolerance = split.len() as i128;
            for (a, b) in per_party(&parties, &flows).iter().zip(per_party(&parties, &split)) {
                prop_assert_eq!(a.r1_minor, b.r1_minor);
                prop_assert_eq!(a.r2_minor, b.r2_minor);
                prop_assert!((a.r3_minor - b.r3_minor).abs() <= tolerance);
            }
        }
    }
}
