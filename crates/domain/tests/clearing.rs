#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! The clearing algorithm against an independent solution, its invariants on every result,
//! and hand-built cases.

use distretto_domain::clearing::{self, Network};
use proptest::prelude::*;

/// A network from `(debtor, creditor, amount)` triples over parties `0..parties`.
fn network(parties: u32, invoices: &[(u32, u32, i64)]) -> Network {
    let mut net = Network::new(parties);
    for &(d, c, a) in invoices {
        net.push(d, c, a).unwrap();
    }
    net
}

/// Clears `net`, asserts the invariants and returns the cleared total.
fn cleared(net: &Network) -> i128 {
    let result = clearing::clear(net).unwrap();
    clearing::check(net, &result.setoff).unwrap();
    let s = result.summary;
    assert_eq!(s.total, s.cleared + s.remaining);
    assert_eq!(s.total, net.total());
    assert_eq!(s.invoices, net.len() as u64);
    for (p, pos) in clearing::positions(net, &result.setoff).iter().enumerate() {
        assert_eq!(
            pos.credit_after - pos.debt_after,
            pos.net(),
            "party {p} keeps its net position"
        );
        assert!(pos.debt_after >= 0 && pos.debt_after <= pos.debt_before);
    }
    s.cleared
}

/// The reference: cancel negative cycles (cost −1 per unit set off) found by Bellman–Ford on
/// the residual graph until none is left, the textbook optimality criterion of a min-cost
/// circulation. Slow, simple and independent of the library's simplex.
fn reference(net: &Network) -> i128 {
    let n = net.parties() as usize;
    let (d, c, a) = (net.debtors(), net.creditors(), net.amounts());
    let m = a.len();
    let mut flow = vec![0i128; m];
    loop {
        // Residual arcs: 2e forward (cost −1, room a − f), 2e + 1 backward (cost +1, room f).
        let arc = |r: usize, flow: &[i128]| -> Option<(usize, usize, i64, i128)> {
            let e = r / 2;
            let room_fwd = i128::from(a[e]) - flow[e];
            if r.is_multiple_of(2) {
                (room_fwd > 0).then_some((d[e] as usize, c[e] as usize, -1, room_fwd))
            } else {
                (flow[e] > 0).then_some((c[e] as usize, d[e] as usize, 1, flow[e]))
            }
        };
        let mut dist = vec![0i64; n];
        let mut pred = vec![usize::MAX; n];
        let mut last = None;
        for _ in 0..n {
            last = None;
            for r in 0..2 * m {
                if let Some((u, v, cost, _)) = arc(r, &flow)
                    && dist[u] + cost < dist[v]
                {
                    dist[v] = dist[u] + cost;
                    pred[v] = r;
                    last = Some(v);
                }
            }
        }
        let Some(mut v) = last else {
            return flow.iter().sum();
        };
        for _ in 0..n {
            v = arc(pred[v], &flow).unwrap().0;
        }
        let start = v;
        let mut cycle = Vec::new();
        loop {
            let r = pred[v];
            cycle.push(r);
            v = arc(r, &flow).unwrap().0;
            if v == start {
                break;
            }
        }
        let delta = cycle
            .iter()
            .map(|&r| arc(r, &flow).unwrap().3)
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

/// Up to 7 parties and 12 invoices with amounts in `amounts`: parallel invoices and
/// two-cycles come up often at this size.
fn small_network(amounts: std::ops::RangeInclusive<i64>) -> impl Strategy<Value = Network> {
    (2u32..=7).prop_flat_map(move |p| {
        prop::collection::vec((0..p, 1..p, amounts.clone()), 0..=12).prop_map(move |inv| {
            let triples: Vec<(u32, u32, i64)> = inv
                .into_iter()
                .map(|(d, k, a)| (d, (d + k) % p, a))
                .collect();
            network(p, &triples)
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn optimal_on_small_random_networks(net in small_network(1..=20)) {
        prop_assert_eq!(cleared(&net), reference(&net));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn optimal_with_huge_amounts(net in small_network(i64::MAX - 1_000..=i64::MAX)) {
        prop_assert_eq!(cleared(&net), reference(&net));
    }

    #[test]
    fn optimal_with_mixed_amounts(net in small_network(1..=1_000_000_000_000)) {
        prop_assert_eq!(cleared(&net), reference(&net));
    }
}

#[test]
fn a_three_cycle_clears_its_smallest_invoice_everywhere() {
    let net = network(3, &[(0, 1, 10), (1, 2, 7), (2, 0, 12)]);
    let r = clearing::clear(&net).unwrap();
    assert_eq!(r.setoff, vec![7, 7, 7]);
    assert_eq!(r.summary.cleared, 21);
    assert_eq!(r.summary.remaining, 8);
}

#[test]
fn overlapping_cycles_share_an_invoice_optimally() {
    // Cycles 0→1→2→0 and 0→1→3→0 share 0→1 (capacity 10); a third 2→3→2 two-cycle.
    let net = network(
        4,
        &[
            (0, 1, 10),
            (1, 2, 6),
            (2, 0, 6),
            (1, 3, 6),
            (3, 0, 6),
            (2, 3, 4),
            (3, 2, 4),
        ],
    );
    assert_eq!(cleared(&net), reference(&net));
    assert_eq!(cleared(&net), 30 + 8);
}

#[test]
fn a_longer_cycle_beats_a_two_cycle_sharing_its_invoice() {
    // Clearing the two-cycle 0⇄1 first would clear 2; the three-cycle clears 3.
    let net = network(3, &[(0, 1, 1), (1, 0, 1), (1, 2, 1), (2, 0, 1)]);
    assert_eq!(cleared(&net), 3);
}

#[test]
fn a_dag_clears_nothing() {
    let net = network(
        5,
        &[
            (0, 1, 5),
            (0, 2, 5),
            (1, 3, 5),
            (2, 3, 5),
            (3, 4, 5),
            (0, 4, 9),
        ],
    );
    let r = clearing::clear(&net).unwrap();
    assert!(r.setoff.iter().all(|&s| s == 0));
    assert_eq!(r.summary.cleared, 0);
    assert_eq!(r.summary.remaining, 34);
}

#[test]
fn parallel_invoices_are_cleared_together() {
    let net = network(2, &[(0, 1, 3), (0, 1, 4), (1, 0, 5), (0, 1, 2)]);
    let r = clearing::clear(&net).unwrap();
    assert_eq!(r.summary.cleared, 10);
    clearing::check(&net, &r.setoff).unwrap();
    assert_eq!(r.setoff[2], 5);
}

#[test]
fn huge_amounts_sum_beyond_i64() {
    let max = i64::MAX;
    let net = network(
        3,
        &[
            (0, 1, max),
            (1, 2, max),
            (2, 0, max),
            (0, 1, max),
            (1, 0, max - 1),
        ],
    );
    let r = clearing::clear(&net).unwrap();
    clearing::check(&net, &r.setoff).unwrap();
    assert_eq!(r.summary.total, 5 * i128::from(max) - 1);
    // Party 0 is owed one unit less than it owes: that unit must remain.
    assert_eq!(r.summary.cleared, 5 * i128::from(max) - 2);
    assert_eq!(r.summary.remaining, 1);
    assert_eq!(r.summary.cleared, reference(&net));
}

#[test]
fn an_empty_network_clears_nothing() {
    let r = clearing::clear(&Network::new(0)).unwrap();
    assert_eq!(r.summary.total, 0);
    assert!(r.setoff.is_empty());
}

#[test]
fn bad_invoices_are_refused() {
    let mut net = Network::new(2);
    assert!(net.push(0, 0, 1).is_err());
    assert!(net.push(0, 1, 0).is_err());
    assert!(net.push(0, 1, -3).is_err());
    assert!(net.push(0, 2, 3).is_err());
    assert!(net.is_empty());
}

#[test]
fn generated_networks_clear_validly_and_deterministically() {
    let a = clearing::generate(500, 5_000, 7);
    assert_eq!(a, clearing::generate(500, 5_000, 7));
    assert_ne!(a, clearing::generate(500, 5_000, 8));
    assert_eq!(a.len(), 5_000);
    assert!(a.amounts().iter().all(|&x| x > 0));
    let c = cleared(&a);
    assert!(c > 0 && c < a.total());
}

#[test]
fn generated_medium_networks_match_the_reference() {
    for seed in 0..5 {
        let net = clearing::generate(12, 40, seed);
        assert_eq!(cleared(&net), reference(&net), "seed {seed}");
    }
}

#[test]
fn csv_round_trip_and_errors_name_the_line() {
    let text = "id,debtor,creditor,amount\na,X,Y,10\nb,Y,\"Z, Inc.\",7\nc,\"Z, Inc.\",X,12\n";
    let book = clearing::parse_lines(text.lines()).unwrap();
    assert_eq!(book.parties, ["X", "Y", "Z, Inc."]);
    let r = clearing::clear(&book.network).unwrap();
    let mut line = String::new();
    clearing::format_output(&book, 1, r.setoff[1], &mut line);
    assert_eq!(line, "b,Y,\"Z, Inc.\",7,7");

    let header_only = clearing::parse_lines("id,debtor,creditor,amount\n".lines()).unwrap();
    assert!(header_only.network.is_empty());
    let cases = [
        ("", 1, "empty file"),
        ("id,debtor,amount\n", 1, "header"),
        ("id,debtor,creditor,amount\na,X,Y\n", 2, "malformed"),
        (
            "id,debtor,creditor,amount\na,X,Y,5\nb,X,Y,-5\n",
            3,
            "negative",
        ),
        ("id,debtor,creditor,amount\na,X,Y,0\n", 2, "zero"),
        ("id,debtor,creditor,amount\na,X,Y,1.5\n", 2, "integer"),
        ("id,debtor,creditor,amount\na,X,X,5\n", 2, "self-invoice"),
        (
            "id,debtor,creditor,amount\na,X,Y,5\n\na,Y,X,5\n",
            4,
            "duplicate id",
        ),
        (
            "id,debtor,creditor,amount\na,X,Y,99999999999999999999\n",
            2,
            "too large",
        ),
        ("id,debtor,creditor,amount\na,\"X,Y,5\n", 2, "quote"),
    ];
    for (text, line, word) in cases {
        let e = clearing::parse_lines(text.lines()).unwrap_err();
        assert_eq!(e.line, line, "{text:?}: {e}");
        assert!(e.to_string().contains(word), "{text:?}: {e}");
        assert!(e.to_string().starts_with(&format!("line {line}: ")));
    }
}

/// Timing of the four standard sizes: `cargo test --release -p distretto-domain --test
/// clearing -- --ignored --nocapture standard_sizes`.
#[test]
#[ignore = "a benchmark: run in release"]
fn standard_sizes_timing() {
    for (parties, invoices) in clearing::STANDARD_SIZES {
        let net = clearing::generate(parties, invoices, 1);
        let started = std::time::Instant::now();
        let r = clearing::clear(&net).unwrap();
        let elapsed = started.elapsed();
        clearing::check(&net, &r.setoff).unwrap();
        println!(
            "{parties} parties, {invoices} invoices: cleared {} of {} in {:.3} s",
            r.summary.cleared,
            r.summary.total,
            elapsed.as_secs_f64()
        );
    }
}
