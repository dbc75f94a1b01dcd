#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! Credit-assisted clearing against an independent solution and on hand-built cases, and the
//! decomposition of a set-off into cycles.

use distretto_domain::clearing::{
    self, ClearingError, CreditAssist, CreditTransfer, CreditViolation, Liquidity, Network,
};
use proptest::prelude::*;

/// A network from `(debtor, creditor, amount)` triples over parties `0..parties`.
fn network(parties: u32, invoices: &[(u32, u32, i64)]) -> Network {
    let mut net = Network::new(parties);
    for &(d, c, a) in invoices {
        net.push(d, c, a).unwrap();
    }
    net
}

/// Runs `credit_assist` and asserts `check_credit` on its result.
fn assist(net: &Network, setoff: &[i64], draw: &[i64], receive: &[i64]) -> CreditAssist {
    let liquidity = Liquidity {
        draw_minor: draw,
        receive_minor: receive,
    };
    let result = clearing::credit_assist(net, setoff, liquidity).unwrap();
    clearing::check_credit(net, setoff, liquidity, &result).unwrap();
    result
}

/// Clears `net`, then assists with credit.
fn clear_then_assist(net: &Network, draw: &[i64], receive: &[i64]) -> (Vec<i64>, CreditAssist) {
    let setoff = clearing::clear(net).unwrap().setoff;
    let result = assist(net, &setoff, draw, receive);
    (setoff, result)
}

fn transfer(payer: u32, payee: u32, amount: i64) -> CreditTransfer {
    CreditTransfer {
        payer,
        payee,
        amount,
    }
}

/// The reference: a minimum-cost circulation on the invoices left (cost −1 per unit, room
/// `amount − setoff`) plus one liquidity node `L` with `L → p` (room draw) and `p → L` (room
/// receive) at cost 0, by cancelling negative cycles found with Bellman–Ford until none is
/// left. With `S` and `T` merged into `L`, an optimal circulation is an optimal flow. Slow,
/// simple and independent of the library's shortest paths.
fn reference(net: &Network, setoff: &[i64], draw: &[i64], receive: &[i64]) -> i128 {
    let n = net.parties() as usize;
    let l = n;
    // (tail, head, cost, capacity)
    let mut arcs: Vec<(usize, usize, i64, i128)> = Vec::new();
    for (e, &s) in setoff.iter().enumerate() {
        let left = i128::from(net.amounts()[e]) - i128::from(s);
        let (d, c) = (net.debtors()[e] as usize, net.creditors()[e] as usize);
        arcs.push((d, c, -1, left));
    }
    for p in 0..n {
        arcs.push((l, p, 0, i128::from(draw[p].max(0))));
        arcs.push((p, l, 0, i128::from(receive[p].max(0))));
    }
    let mut flow = vec![0i128; arcs.len()];
    // Residual half-arcs: 2r forward (room cap − f), 2r + 1 backward (room f).
    let half = |r: usize, flow: &[i128]| -> Option<(usize, usize, i64, i128)> {
        let (u, v, cost, cap) = arcs[r / 2];
        if r.is_multiple_of(2) {
            (cap - flow[r / 2] > 0).then_some((u, v, cost, cap - flow[r / 2]))
        } else {
            (flow[r / 2] > 0).then_some((v, u, -cost, flow[r / 2]))
        }
    };
    loop {
        let mut dist = vec![0i64; n + 1];
        let mut pred = vec![usize::MAX; n + 1];
        let mut last = None;
        for _ in 0..=n {
            last = None;
            for r in 0..2 * arcs.len() {
                if let Some((u, v, cost, _)) = half(r, &flow)
                    && dist[u] + cost < dist[v]
                {
                    dist[v] = dist[u] + cost;
                    pred[v] = r;
                    last = Some(v);
                }
            }
        }
        let Some(mut v) = last else {
            return (0..net.len()).map(|e| flow[e]).sum();
        };
        for _ in 0..=n {
            v = half(pred[v], &flow).unwrap().0;
        }
        let start = v;
        let mut cycle = Vec::new();
        loop {
            let r = pred[v];
            cycle.push(r);
            v = half(r, &flow).unwrap().0;
            if v == start {
                break;
            }
        }
        let delta = cycle
            .iter()
            .map(|&r| half(r, &flow).unwrap().3)
            .min()
            .unwrap();
        for &r in &cycle {
            if r.is_multiple_of(2) {
                flow[r / 2] += delta;
            } else {
                flow[r / 2] -= delta;
            }
        }
    }
}

#[test]
fn a_chain_settles_with_one_transfer_from_its_start_to_its_end() {
    let net = network(3, &[(0, 1, 10), (1, 2, 10)]);
    let (setoff, r) = clear_then_assist(&net, &[10, 0, 0], &[0, 0, 10]);
    assert_eq!(setoff, [0, 0]);
    assert_eq!(r.settled, [10, 10]);
    assert_eq!(r.transfers, [transfer(0, 2, 10)]);
    assert_eq!((r.cleared, r.liquidity), (20, 10));
}

#[test]
fn no_liquidity_settles_nothing() {
    let net = network(3, &[(0, 1, 10), (1, 2, 10)]);
    let (_, r) = clear_then_assist(&net, &[0, 0, 0], &[0, 0, 0]);
    assert_eq!(r.settled, [0, 0]);
    assert!(r.transfers.is_empty());
    assert_eq!((r.cleared, r.liquidity), (0, 0));
    // Only one side of the chain has room: still nothing.
    let (_, r) = clear_then_assist(&net, &[10, 0, 0], &[0, 0, 0]);
    assert_eq!(r.cleared, 0);
    // Negative limits count as zero.
    let (_, r) = clear_then_assist(&net, &[-5, -5, -5], &[-5, -5, -5]);
    assert_eq!(r.cleared, 0);
}

#[test]
fn the_limits_bind() {
    let net = network(3, &[(0, 1, 10), (1, 2, 10)]);
    let (_, r) = clear_then_assist(&net, &[3, 0, 0], &[0, 0, i64::MAX]);
    assert_eq!(r.settled, [3, 3]);
    assert_eq!(r.transfers, [transfer(0, 2, 3)]);
    let (_, r) = clear_then_assist(&net, &[i64::MAX, 0, 0], &[0, 0, 4]);
    assert_eq!(r.settled, [4, 4]);
    assert_eq!(r.transfers, [transfer(0, 2, 4)]);
}

#[test]
fn an_intermediate_party_gets_no_transfer() {
    // Party 1 could draw and receive too, but the longest chain needs no liquidity of its.
    let net = network(3, &[(0, 1, 10), (1, 2, 10)]);
    let (_, r) = clear_then_assist(&net, &[10, 5, 0], &[0, 5, 10]);
    assert_eq!(r.settled, [10, 10]);
    assert_eq!(r.transfers, [transfer(0, 2, 10)]);
    assert!(r.transfers.iter().all(|t| t.payer != 1 && t.payee != 1));
}

#[test]
fn chains_that_meet_are_paid_by_their_ends() {
    // 0 → 2 → 3 and 1 → 2 → 4: two payers, two payees, the middle party pays nothing.
    let net = network(5, &[(0, 2, 6), (1, 2, 6), (2, 3, 6), (2, 4, 6)]);
    let draw = [6, 6, 0, 0, 0];
    let receive = [0, 0, 0, 6, 6];
    let (_, r) = clear_then_assist(&net, &draw, &receive);
    assert_eq!(r.cleared, 24);
    assert_eq!(r.liquidity, 12);
    assert!(r.transfers.iter().all(|t| t.payer < 2 && t.payee > 2));
    assert_eq!(r.cleared, reference(&net, &[0; 4], &draw, &receive));
}

#[test]
fn huge_amounts_sum_beyond_i64() {
    let max = i64::MAX;
    let net = network(
        5,
        &[
            (0, 1, max),
            (3, 1, max),
            (1, 2, max),
            (1, 2, max),
            (1, 4, max),
        ],
    );
    let draw = [max, 0, 0, max, 0];
    let receive = [0, 0, max, 0, max];
    let (setoff, r) = clear_then_assist(&net, &draw, &receive);
    assert!(setoff.iter().all(|&s| s == 0));
    assert_eq!(r.cleared, 4 * i128::from(max));
    assert_eq!(r.liquidity, 2 * i128::from(max));
    assert_eq!(r.cleared, reference(&net, &setoff, &draw, &receive));
}

#[test]
fn credit_after_the_set_off_clears_more_than_the_set_off_alone() {
    // The three-cycle sets off 7 everywhere; 3 of 0 → 1 and 5 of 2 → 0 are left. Party 2
    // may draw 3 and party 1 receive 3: the chain 2 → 0 → 1 settles 3 on both.
    let net = network(3, &[(0, 1, 10), (1, 2, 7), (2, 0, 12)]);
    let (setoff, r) = clear_then_assist(&net, &[0, 0, 3], &[0, 3, 0]);
    assert_eq!(setoff, [7, 7, 7]);
    assert_eq!(r.settled, [3, 0, 3]);
    assert_eq!(r.transfers, [transfer(2, 1, 3)]);
    let pure: i128 = setoff.iter().map(|&s| i128::from(s)).sum();
    assert_eq!(pure, 21);
    assert_eq!(pure + r.cleared, 27);
}

#[test]
fn a_cycle_left_by_a_non_optimal_set_off_is_refused() {
    // Documented behaviour: credit never cancels a cycle itself; the caller clears first.
    let net = network(4, &[(3, 0, 2), (0, 1, 5), (1, 2, 5), (2, 0, 5)]);
    let liquidity = Liquidity {
        draw_minor: &[9, 9, 9, 9],
        receive_minor: &[9, 9, 9, 9],
    };
    let err = clearing::credit_assist(&net, &[0; 4], liquidity).unwrap_err();
    // Party 3 is not on the cycle; the error names a party that is.
    assert!(
        matches!(err, ClearingError::ResidualCycle(p) if p < 3),
        "{err}"
    );
    // After the optimal set-off the same liquidity is fine.
    let setoff = clearing::clear(&net).unwrap().setoff;
    let r = clearing::credit_assist(&net, &setoff, liquidity).unwrap();
    clearing::check_credit(&net, &setoff, liquidity, &r).unwrap();
    assert_eq!(r.settled, [2, 0, 0, 0]);
}

#[test]
fn sequential_is_lexicographic_not_joint() {
    // The cycle 0 → 1 → 2 → 0 of 1 is set off first (3 units). The chain 3 → 5 → 0 and
    // 1 → 6 → 4 could then be joined only through 0 → 1, which the set-off used: credit
    // settles nothing. Giving up the set-off would let one unit of credit settle the chain
    // 3 → 5 → 0 → 1 → 6 → 4 (5 units). Set-off first is the design: it needs no liquidity.
    let net = network(
        7,
        &[
            (0, 1, 1),
            (1, 2, 1),
            (2, 0, 1),
            (3, 5, 1),
            (5, 0, 1),
            (1, 6, 1),
            (6, 4, 1),
        ],
    );
    let draw = [0, 0, 0, 1, 0, 0, 0];
    let receive = [0, 0, 0, 0, 1, 0, 0];
    let (setoff, r) = clear_then_assist(&net, &draw, &receive);
    assert_eq!(setoff, [1, 1, 1, 0, 0, 0, 0]);
    assert_eq!(r.cleared, 0);
    assert_eq!(reference(&net, &[0; 7], &draw, &receive), 5);
}

#[test]
fn bad_inputs_are_refused() {
    let net = network(3, &[(0, 1, 10), (1, 2, 10)]);
    let two = [0i64, 0];
    let three = [0i64, 0, 0];
    let liquidity = Liquidity {
        draw_minor: &three,
        receive_minor: &three,
    };
    let err = clearing::credit_assist(&net, &[0], liquidity).unwrap_err();
    assert!(matches!(err, ClearingError::Length { what: "setoff", .. }));
    let err = clearing::credit_assist(&net, &[0, 11], liquidity).unwrap_err();
    assert_eq!(err, ClearingError::SetoffOutOfBounds(1));
    let err = clearing::credit_assist(&net, &[-1, 0], liquidity).unwrap_err();
    assert_eq!(err, ClearingError::SetoffOutOfBounds(0));
    let short = Liquidity {
        draw_minor: &three,
        receive_minor: &two,
    };
    let err = clearing::credit_assist(&net, &two, short).unwrap_err();
    assert!(matches!(
        err,
        ClearingError::Length {
            what: "receive_minor",
            ..
        }
    ));
}

#[test]
fn the_checker_catches_broken_results() {
    let net = network(3, &[(0, 1, 10), (1, 2, 10)]);
    let setoff = [0, 0];
    let (draw, receive) = ([10, 0, 0], [0, 0, 10]);
    let liquidity = Liquidity {
        draw_minor: &draw,
        receive_minor: &receive,
    };
    let good = clearing::credit_assist(&net, &setoff, liquidity).unwrap();
    let check = |r: &CreditAssist| clearing::check_credit(&net, &setoff, liquidity, r);
    assert_eq!(check(&good), Ok(()));

    let mut r = good.clone();
    r.settled[1] = 11;
    r.cleared += 1;
    assert_eq!(check(&r), Err(CreditViolation::OutOfBounds(1)));
    let mut r = good.clone();
    r.settled[1] = 9;
    r.cleared -= 1;
    assert!(matches!(check(&r), Err(CreditViolation::NetChanged(_))));
    let mut r = good.clone();
    r.transfers[0].payee = 0;
    assert_eq!(check(&r), Err(CreditViolation::BadTransfer(0)));
    let mut r = good.clone();
    r.transfers = vec![transfer(0, 2, 5), transfer(2, 0, 1), transfer(0, 2, 6)];
    r.liquidity = 12;
    assert_eq!(check(&r), Err(CreditViolation::BadTransfer(1)));
    let mut r = good.clone();
    r.cleared = 0;
    assert_eq!(check(&r), Err(CreditViolation::Totals));
    let tight = Liquidity {
        draw_minor: &[9, 0, 0],
        receive_minor: &receive,
    };
    let over = clearing::check_credit(&net, &setoff, tight, &good);
    assert_eq!(over, Err(CreditViolation::OverDraw(0)));
    let tight = Liquidity {
        draw_minor: &draw,
        receive_minor: &[0, 0, 9],
    };
    let over = clearing::check_credit(&net, &setoff, tight, &good);
    assert_eq!(over, Err(CreditViolation::OverReceive(2)));
}

#[test]
fn a_generated_network_is_assisted_quickly_and_validly() {
    let net = clearing::generate(500, 5_000, 3);
    let setoff = clearing::clear(&net).unwrap().setoff;
    // Deterministic, uneven credit room: a third of the parties may draw, a third receive.
    let draw: Vec<i64> = (0..500)
        .map(|p| if p % 3 == 0 { 50_000 } else { 0 })
        .collect();
    let receive: Vec<i64> = (0..500)
        .map(|p| if p % 3 == 1 { 80_000 } else { 0 })
        .collect();
    let started = std::time::Instant::now();
    let r = assist(&net, &setoff, &draw, &receive);
    let elapsed = started.elapsed();
    eprintln!(
        "500 parties, 5,000 invoices: credit settled {} with {} in {} transfers, {:.1} ms",
        r.cleared,
        r.liquidity,
        r.transfers.len(),
        elapsed.as_secs_f64() * 1e3
    );
    assert!(r.cleared > 0);
}

/// Up to 7 parties and 12 invoices with amounts in `1..=20`.
fn small_network() -> impl Strategy<Value = Network> {
    (2u32..=7).prop_flat_map(|p| {
        prop::collection::vec((0..p, 1..p, 1i64..=20), 0..=12).prop_map(move |inv| {
            let triples: Vec<(u32, u32, i64)> = inv
                .into_iter()
                .map(|(d, k, a)| (d, (d + k) % p, a))
                .collect();
            network(p, &triples)
        })
    })
}

/// Small credit room per party (7 values, the first `parties` used), sometimes negative or
/// unlimited.
fn room() -> impl Strategy<Value = Vec<i64>> {
    prop::collection::vec(
        prop_oneof![6 => 0i64..=15, 1 => Just(-3i64), 1 => Just(i64::MAX)],
        7,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn credit_is_valid_and_optimal_on_small_networks(
        net in small_network(),
        draw in room(),
        receive in room(),
    ) {
        let n = net.parties() as usize;
        let (draw, receive) = (&draw[..n], &receive[..n]);
        let (setoff, r) = clear_then_assist(&net, draw, receive);
        prop_assert_eq!(r.cleared, reference(&net, &setoff, draw, receive));
        prop_assert!(r.liquidity <= r.cleared);
    }
}

// The decomposition of a set-off into cycles.

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn cycles_rebuild_the_set_off(net in small_network()) {
        let setoff = clearing::clear(&net).unwrap().setoff;
        let cycles = clearing::largest_cycles(&net, &setoff, usize::MAX);
        assert_cycles_valid(&net, &cycles);
        prop_assert_eq!(through(&net, &cycles), setoff);
    }

    #[test]
    fn cycles_of_a_non_circulation_stay_within_it(
        net in small_network(),
        seed in prop::collection::vec(0i64..=20, 12),
    ) {
        // Any set-off, not a circulation: no panic, and no cycle takes more than there is.
        let setoff: Vec<i64> = (0..net.len()).map(|e| seed[e].min(net.amounts()[e])).collect();
        let cycles = clearing::largest_cycles(&net, &setoff, usize::MAX);
        assert_cycles_valid(&net, &cycles);
        let used = through(&net, &cycles);
        prop_assert!(used.iter().zip(&setoff).all(|(u, s)| u <= s));
    }
}

/// The sum of the amounts of the cycles through each invoice.
fn through(net: &Network, cycles: &[clearing::Cycle]) -> Vec<i64> {
    let mut used = vec![0i64; net.len()];
    for c in cycles {
        for &e in &c.invoices {
            used[e as usize] += c.amount;
        }
    }
    used
}

/// Every cycle closes, visits distinct parties, starts at its lowest, and they are sorted.
fn assert_cycles_valid(net: &Network, cycles: &[clearing::Cycle]) {
    for c in cycles {
        let k = c.invoices.len();
        assert!(c.amount > 0 && k >= 2 && c.parties.len() == k);
        for i in 0..k {
            let e = c.invoices[i] as usize;
            assert_eq!(net.debtors()[e], c.parties[i]);
            assert_eq!(net.creditors()[e], c.parties[(i + 1) % k]);
        }
        let mut seen = c.parties.clone();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), k);
        assert_eq!(c.parties[0], seen[0]);
    }
    for w in cycles.windows(2) {
        let key = |c: &clearing::Cycle| (-c.amount, -(c.parties.len() as i64), c.parties[0]);
        assert!(key(&w[0]) <= key(&w[1]));
    }
}

#[test]
fn a_three_cycle_is_one_cycle() {
    let net = network(3, &[(0, 1, 10), (1, 2, 7), (2, 0, 12)]);
    let setoff = clearing::clear(&net).unwrap().setoff;
    let cycles = clearing::largest_cycles(&net, &setoff, 10);
    assert_eq!(cycles.len(), 1);
    assert_eq!(cycles[0].parties, [0, 1, 2]);
    assert_eq!(cycles[0].invoices, [0, 1, 2]);
    assert_eq!(cycles[0].amount, 7);
}

#[test]
fn a_cycle_starts_at_its_lowest_party() {
    // Invoice 0 leaves party 2; the cycle is still reported from party 0.
    let net = network(3, &[(2, 0, 4), (1, 2, 4), (0, 1, 4)]);
    let cycles = clearing::largest_cycles(&net, &[4, 4, 4], 10);
    assert_eq!(cycles.len(), 1);
    assert_eq!(cycles[0].parties, [0, 1, 2]);
    assert_eq!(cycles[0].invoices, [2, 1, 0]);
}

#[test]
fn overlapping_cycles_are_split_and_sorted() {
    // 0 → 1 carries both 0 → 1 → 2 → 0 (6) and 0 → 1 → 3 → 0 (4).
    let net = network(4, &[(0, 1, 10), (1, 2, 6), (2, 0, 6), (1, 3, 4), (3, 0, 4)]);
    let setoff = [10, 6, 6, 4, 4];
    let cycles = clearing::largest_cycles(&net, &setoff, usize::MAX);
    assert_eq!(cycles.len(), 2);
    assert_eq!(
        (cycles[0].parties.clone(), cycles[0].amount),
        (vec![0, 1, 2], 6)
    );
    assert_eq!(
        (cycles[1].parties.clone(), cycles[1].amount),
        (vec![0, 1, 3], 4)
    );
    assert_eq!(through(&net, &cycles), setoff);
    let first = clearing::largest_cycles(&net, &setoff, 1);
    assert_eq!(first, cycles[..1]);
    assert!(clearing::largest_cycles(&net, &setoff, 0).is_empty());
}

#[test]
fn equal_cycles_put_the_longer_first_then_the_lowest_party() {
    let net = network(
        7,
        &[
            (5, 6, 3),
            (6, 5, 3),
            (1, 2, 3),
            (2, 1, 3),
            (0, 3, 3),
            (3, 4, 3),
            (4, 0, 3),
        ],
    );
    let cycles = clearing::largest_cycles(&net, &[3; 7], usize::MAX);
    let firsts: Vec<(u32, usize)> = cycles
        .iter()
        .map(|c| (c.parties[0], c.parties.len()))
        .collect();
    assert_eq!(firsts, [(0, 3), (1, 2), (5, 2)]);
}

#[test]
fn a_non_circulation_ends_gracefully() {
    // A chain is no circulation: no cycle. A cycle with a stray arc: the cycle only.
    let net = network(4, &[(0, 1, 5), (1, 2, 5), (2, 0, 2), (2, 3, 3)]);
    assert!(clearing::largest_cycles(&net, &[5, 5, 0, 0], 5).is_empty());
    let cycles = clearing::largest_cycles(&net, &[5, 5, 2, 3], 5);
    assert_eq!(cycles.len(), 1);
    assert_eq!(cycles[0].amount, 2);
    // Wrong length and negative values count as zero.
    assert!(clearing::largest_cycles(&net, &[-1], 5).is_empty());
}

#[test]
fn a_large_decomposition_is_exact() {
    let net = clearing::generate(5_000, 50_000, 11);
    let setoff = clearing::clear(&net).unwrap().setoff;
    let cycles = clearing::largest_cycles(&net, &setoff, usize::MAX);
    assert!(cycles.len() <= net.len());
    assert_eq!(through(&net, &cycles), setoff);
    let top = clearing::largest_cycles(&net, &setoff, 10);
    assert_eq!(top, cycles[..top.len().min(10)]);
}
