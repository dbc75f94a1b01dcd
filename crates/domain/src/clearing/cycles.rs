//! The cycles of a set-off: a circulation is a sum of simple cycles, so a clearing can be
//! shown to members as "these invoices went round this loop of parties".
//!
//! The decomposition is greedy: from a party, follow invoices with set-off left until a
//! party repeats, take the cycle that closes there, subtract its smallest set-off from all
//! its invoices (which empties at least one) and go on from the repeated party. Each cycle
//! empties an invoice, so there are at most as many cycles as invoices, and the work is
//! `O(invoices × cycle length)`. A party with set-off owed to it but none it owes (the
//! input is not a circulation) is a dead end: it is dropped and the walk backs off, so a
//! bad input ends the decomposition early instead of looping.

use std::cmp::Reverse;

use super::Network;

/// No position on the current walk.
const NONE: u32 = u32::MAX;

/// One cycle of a set-off.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Cycle {
    /// The parties in order, starting with the lowest index; party `i` owes invoice `i`.
    pub parties: Vec<u32>,
    /// The invoice indices in order: invoice `i` runs from `parties[i]` to `parties[i + 1]`
    /// (the last one back to `parties[0]`).
    pub invoices: Vec<u32>,
    /// What the cycle sets off of each of its invoices (minor units, positive).
    pub amount: i64,
}

/// A found cycle: its amount and its invoices at `flat[offset..offset + len]`.
struct Found {
    amount: i64,
    offset: usize,
    len: usize,
}

/// Decomposes the circulation `setoff` into cycles and returns the `max` largest by amount
/// (ties: longer first, then lowest first party, then lowest invoices), each starting at its
/// lowest party. With `max` at least the number of invoices every cycle is returned, and the
/// amounts of the cycles through an invoice sum to its set-off when `setoff` is a circulation.
/// Negative or missing set-offs count as zero.
pub fn largest_cycles(net: &Network, setoff: &[i64], max: usize) -> Vec<Cycle> {
    let (flat, mut found) = decompose(net, setoff);
    found.sort_by_key(|f| {
        let invoices = &flat[f.offset..f.offset + f.len];
        let first = net.debtors()[invoices[0] as usize];
        (Reverse(f.amount), Reverse(f.len), first, invoices)
    });
    found
        .iter()
        .take(max)
        .map(|f| {
            let invoices = flat[f.offset..f.offset + f.len].to_vec();
            let parties = invoices
                .iter()
                .map(|&e| net.debtors()[e as usize])
                .collect();
            Cycle {
                parties,
                invoices,
                amount: f.amount,
            }
        })
        .collect()
}

/// The walk state of the greedy decomposition.
struct Walk<'a> {
    net: &'a Network,
    flow: Vec<i64>,
    /// Invoices owed by party `v` with set-off: `out[start[v]..start[v + 1]]`.
    start: Vec<u32>,
    out: Vec<u32>,
    /// The first of `v`'s invoices that may still have set-off left to follow.
    current: Vec<u32>,
    dead: Vec<bool>,
    /// Position of each party on the walk, or `NONE`.
    pos: Vec<u32>,
    parties: Vec<u32>,
    arcs: Vec<u32>,
}

/// All cycles found, as a flat list of invoices (each cycle rotated to its lowest party).
fn decompose(net: &Network, setoff: &[i64]) -> (Vec<u32>, Vec<Found>) {
    let mut walk = Walk::new(net, setoff);
    let mut flat = Vec::new();
    let mut found = Vec::new();
    let n = net.parties() as usize;
    // Every step pushes an invoice on the walk, closes a cycle (emptying an invoice) or drops
    // a dead end; pushes are undone by the other two. This bound is never reached on valid
    // input and stops the walk on anything else.
    let mut budget = (net.len() as u64 + 1).saturating_mul(n as u64 + 2);
    for s in 0..n as u32 {
        walk.begin(s);
        while !walk.parties.is_empty() && budget > 0 {
            budget -= 1;
            if let Some((amount, cycle)) = walk.step() {
                found.push(Found {
                    amount,
                    offset: flat.len(),
                    len: cycle.len(),
                });
                flat.extend(cycle);
            }
        }
        walk.clear();
    }
    (flat, found)
}

impl<'a> Walk<'a> {
    /// Indexes the invoices with a positive set-off by debtor (a counting sort).
    fn new(net: &'a Network, setoff: &[i64]) -> Self {
        let n = net.parties() as usize;
        let flow: Vec<i64> = (0..net.len())
            .map(|e| setoff.get(e).copied().unwrap_or(0).max(0))
            .collect();
        let mut start = vec![0u32; n + 1];
        for e in (0..net.len()).filter(|&e| flow[e] > 0) {
            start[net.debtors()[e] as usize + 1] += 1;
        }
        for v in 0..n {
            start[v + 1] += start[v];
        }
        let mut fill = start.clone();
        let mut out = vec![0u32; start[n] as usize];
        for e in (0..net.len()).filter(|&e| flow[e] > 0) {
            let slot = &mut fill[net.debtors()[e] as usize];
            out[*slot as usize] = e as u32;
            *slot += 1;
        }
        Self {
            net,
            flow,
            current: start[..n].to_vec(),
            start,
            out,
            dead: vec![false; n],
            pos: vec![NONE; n],
            parties: Vec::new(),
            arcs: Vec::new(),
        }
    }

    /// Starts a walk at party `s`.
    fn begin(&mut self, s: u32) {
        self.pos[s as usize] = 0;
        self.parties.push(s);
    }

    /// Forgets the walk.
    fn clear(&mut self) {
        for &v in &self.parties {
            self.pos[v as usize] = NONE;
        }
        self.parties.clear();
        self.arcs.clear();
    }

    /// One step from the end of the walk; returns a cycle if one closed.
    fn step(&mut self) -> Option<(i64, Vec<u32>)> {
        let v = *self.parties.last()?;
        let Some(e) = self.next_invoice(v) else {
            self.drop_dead_end(v);
            return None;
        };
        let w = self.net.creditors()[e as usize];
        let at = self.pos[w as usize];
        if at == NONE {
            self.pos[w as usize] = self.parties.len() as u32;
            self.parties.push(w);
            self.arcs.push(e);
            return None;
        }
        self.arcs.push(e);
        Some(self.close(at as usize))
    }

    /// The first invoice owed by `v` with set-off left to a party that is not a dead end.
    fn next_invoice(&mut self, v: u32) -> Option<u32> {
        let v = v as usize;
        while self.current[v] < self.start[v + 1] {
            let e = self.out[self.current[v] as usize];
            let w = self.net.creditors()[e as usize] as usize;
            if self.flow[e as usize] > 0 && !self.dead[w] {
                return Some(e);
            }
            self.current[v] += 1;
        }
        None
    }

    /// `v` owes nothing more to anyone alive: no cycle can pass through it again.
    fn drop_dead_end(&mut self, v: u32) {
        self.dead[v as usize] = true;
        self.pos[v as usize] = NONE;
        self.parties.pop();
        self.arcs.pop();
    }

    /// Closes the cycle `arcs[at..]`: subtracts its bottleneck, cuts the walk back to the
    /// party at `at` and returns the amount and the invoices from the lowest party.
    fn close(&mut self, at: usize) -> (i64, Vec<u32>) {
        let mut cycle = self.arcs.split_off(at);
        let amount = cycle
            .iter()
            .map(|&e| self.flow[e as usize])
            .min()
            .unwrap_or(0);
        for &e in &cycle {
            self.flow[e as usize] -= amount;
        }
        for &v in &self.parties[at + 1..] {
            self.pos[v as usize] = NONE;
        }
        self.parties.truncate(at + 1);
        let debtors = self.net.debtors();
        let lowest = (0..cycle.len())
            .min_by_key(|&i| debtors[cycle[i] as usize])
            .unwrap_or(0);
        cycle.rotate_left(lowest);
        (amount, cycle)
    }
}
