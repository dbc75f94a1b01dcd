//! Credit-assisted clearing: after the pure set-off, members' unused mutual-credit lines
//! settle more of the invoices that are left (Fleischman, Dini & Littera 2020, "Liquidity-
//! saving through obligation-clearing and mutual credit").
//!
//! # The model
//! After the set-off, invoice `e` still has `amount − setoff` left. A party `a` that may go
//! further below zero pays one unit by a ledger transfer to a party `z`, and that unit settles
//! every invoice on a chain of remaining invoices `a → b → … → z`: `a` owes one unit less and
//! its balance falls by one, `z` is owed one unit less and its balance rises by one, and every
//! party in between owes and is owed one unit less. Every net position (invoices plus ledger
//! balance) is therefore unchanged.
//!
//! Settling as much as possible is a minimum-cost flow from a super source `S` to a super sink
//! `T`: `S → p` with capacity `draw[p]` (how far `p` may still go down) and cost 0, one arc per
//! remaining invoice `d → c` with capacity `amount − setoff` and cost −1, and `p → T` with
//! capacity `receive[p]` (how far `p` may still go up) and cost 0. A flow of any value is
//! allowed, so the optimum settles `−cost` units. The flow on an invoice arc is its extra
//! settlement; each augmenting path `S → a → … → z → T` adds its amount to the transfer
//! `a → z`, and transfers are then netted per pair of parties.
//!
//! # Why it is exact
//! The constraint matrix is a network matrix (totally unimodular), so an integer optimum
//! exists, and successive shortest paths only ever add and subtract integers. Start
//! potentials come from a topological order of the remaining invoices (longest paths, since
//! every invoice costs −1); each phase runs Dijkstra on reduced costs, raises the potentials
//! by `min(dist, dist(T))` and then augments along every shortest path at once (BFS levels
//! and a depth-first search over the arcs of zero reduced cost, as in Dinic's algorithm).
//! The solver stops when the shortest `S → T` path no longer has a negative cost: then no
//! residual cycle through `S`/`T` has a negative cost and the flow is optimal by LP duality.
//! Capacities and flows are `i64` (a flow never exceeds its arc's capacity and the bottleneck
//! of a path is the minimum of `i64` rooms); totals are `i128`.
//!
//! # Why after the pure set-off
//! A set-off needs no liquidity and no credit exposure, so it comes first and is kept whole:
//! credit only settles what the set-off could not (`extra ≤ amount − setoff`). After an
//! *optimal* set-off no cycle of invoices with something left remains (it could have been
//! set off), so the remaining invoices form a DAG: the flow problem has no negative cycle and
//! successive shortest paths apply directly, with start potentials from a topological order.
//! If `setoff` is not optimal and a cycle is left, `credit_assist` refuses with
//! [`ClearingError::ResidualCycle`] instead of cancelling it: clear first.
//!
//! This is the lexicographic optimum (largest set-off, then the largest credit settlement
//! given it), as in the paper. It is not always the largest total: giving up part of a
//! set-off cycle can sometimes let one unit of credit settle a longer chain
//! (see the `sequential_is_lexicographic_not_joint` test).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{ClearingError, Network};

/// An unreached node, a node removed from the level graph, or an arc that is not an invoice.
const FAR: u32 = u32::MAX;

/// How much liquidity each party may give and take, by party index (`len == parties`).
#[derive(Debug, Clone, Copy)]
pub struct Liquidity<'a> {
    /// The most each party may pay by credit: its balance minus its lower limit (≥ 0;
    /// negative values count as 0).
    pub draw_minor: &'a [i64],
    /// The most each party may receive: its upper limit minus its balance (`i64::MAX` when
    /// unlimited; negative values count as 0).
    pub receive_minor: &'a [i64],
}

/// One ledger transfer of a credit-assisted clearing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CreditTransfer {
    /// The party whose balance falls.
    pub payer: u32,
    /// The party whose balance rises.
    pub payee: u32,
    /// Minor units, positive.
    pub amount: i64,
}

/// What credit settles after a set-off, and the transfers that pay for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditAssist {
    /// Extra reduction of each invoice settled with credit, in input order
    /// (`0 ≤ extra ≤ amount − setoff`).
    pub settled: Vec<i64>,
    /// Ledger transfers that pay for it, sorted by (lower party, higher party): payer ≠ payee,
    /// amount > 0, at most one per pair of parties (never both `a → b` and `b → a`).
    pub transfers: Vec<CreditTransfer>,
    /// `Σ settled`.
    pub cleared: i128,
    /// `Σ` transfer amounts.
    pub liquidity: i128,
}

/// Settles as much of what `setoff` left of `net`'s invoices as the parties' `liquidity`
/// allows, by ledger transfers along chains of remaining invoices.
///
/// Refuses a `setoff` of the wrong length or out of bounds, liquidity slices of the wrong
/// length, and a `setoff` that leaves a cycle of invoices (not an optimal set-off).
pub fn credit_assist(
    net: &Network,
    setoff: &[i64],
    liquidity: Liquidity<'_>,
) -> Result<CreditAssist, ClearingError> {
    validate(net, setoff, liquidity)?;
    let mut flow = Residual::build(net, setoff, liquidity);
    flow.start_potentials()?;
    let paths = flow.solve()?;
    let settled = flow.settled(net.len());
    let transfers = net_transfers(&flow.party, paths);
    let cleared = settled.iter().map(|&s| i128::from(s)).sum();
    let liquidity = transfers.iter().map(|t| i128::from(t.amount)).sum();
    Ok(CreditAssist {
        settled,
        transfers,
        cleared,
        liquidity,
    })
}

/// Checks the lengths of the inputs and `0 ≤ setoff ≤ amount`.
fn validate(net: &Network, setoff: &[i64], liquidity: Liquidity<'_>) -> Result<(), ClearingError> {
    let parties = net.parties() as usize;
    let lengths = [
        ("setoff", net.len(), setoff.len()),
        ("draw_minor", parties, liquidity.draw_minor.len()),
        ("receive_minor", parties, liquidity.receive_minor.len()),
    ];
    for (what, expected, got) in lengths {
        if expected != got {
            return Err(ClearingError::Length {
                what,
                expected,
                got,
            });
        }
    }
    match (0..net.len()).find(|&e| setoff[e] < 0 || setoff[e] > net.amounts()[e]) {
        Some(e) => Err(ClearingError::SetoffOutOfBounds(e)),
        None => Ok(()),
    }
}

/// The residual network: nodes are the parties on a remaining invoice (local indices
/// `0..m`), then `S = m` and `T = m + 1`. Arc `k` has half-arcs `2k` (forward, room = what
/// is left of its capacity) and `2k + 1` (backward, room = its flow).
struct Residual {
    /// Local node → party index.
    party: Vec<u32>,
    /// Where each half-arc leads.
    to: Vec<u32>,
    /// Room left on each half-arc.
    room: Vec<i64>,
    /// The invoice of each arc, or `FAR` for an arc from `S` or to `T`.
    invoice: Vec<u32>,
    /// Half-arcs leaving node `v`: `half[start[v]..start[v + 1]]`.
    start: Vec<u32>,
    half: Vec<u32>,
    pi: Vec<i64>,
    dist: Vec<i64>,
    level: Vec<u32>,
    current: Vec<u32>,
}

/// Arcs under construction: tail, head, capacity, invoice.
#[derive(Default)]
struct Arcs {
    tail: Vec<u32>,
    head: Vec<u32>,
    cap: Vec<i64>,
    invoice: Vec<u32>,
}

impl Arcs {
    fn push(&mut self, tail: u32, head: u32, cap: i64, invoice: u32) {
        self.tail.push(tail);
        self.head.push(head);
        self.cap.push(cap);
        self.invoice.push(invoice);
    }
}

impl Residual {
    /// Source node.
    fn s(&self) -> usize {
        self.party.len()
    }

    /// Sink node.
    fn t(&self) -> usize {
        self.party.len() + 1
    }

    /// The network of remaining invoices with the source and sink arcs. A source arc only
    /// goes to a party that owes something, a sink arc only from a party that is owed
    /// something: the others could carry nothing.
    fn build(net: &Network, setoff: &[i64], liquidity: Liquidity<'_>) -> Self {
        let (debtor, creditor, amount) = (net.debtors(), net.creditors(), net.amounts());
        let mut local = vec![FAR; net.parties() as usize];
        let mut party: Vec<u32> = Vec::new();
        let mut arcs = Arcs::default();
        let mut owes: Vec<bool> = Vec::new();
        let mut owed: Vec<bool> = Vec::new();
        for e in 0..net.len() {
            let left = amount[e] - setoff[e];
            if left == 0 {
                continue;
            }
            let mut node = |p: u32| {
                if local[p as usize] == FAR {
                    local[p as usize] = party.len() as u32;
                    party.push(p);
                    owes.push(false);
                    owed.push(false);
                }
                local[p as usize]
            };
            let (d, c) = (node(debtor[e]), node(creditor[e]));
            owes[d as usize] = true;
            owed[c as usize] = true;
            arcs.push(d, c, left, e as u32);
        }
        let m = party.len() as u32;
        for (v, &p) in party.iter().enumerate() {
            let draw = liquidity.draw_minor[p as usize];
            if owes[v] && draw > 0 {
                arcs.push(m, v as u32, draw, FAR);
            }
            let receive = liquidity.receive_minor[p as usize];
            if owed[v] && receive > 0 {
                arcs.push(v as u32, m + 1, receive, FAR);
            }
        }
        Self::from_arcs(party, arcs)
    }

    /// Builds the half-arcs and the adjacency (a counting sort by tail).
    fn from_arcs(party: Vec<u32>, arcs: Arcs) -> Self {
        let n = party.len() + 2;
        let count = arcs.cap.len();
        let mut to = Vec::with_capacity(2 * count);
        let mut room = Vec::with_capacity(2 * count);
        let mut start = vec![0u32; n + 1];
        for k in 0..count {
            to.extend([arcs.head[k], arcs.tail[k]]);
            room.extend([arcs.cap[k], 0]);
            start[arcs.tail[k] as usize + 1] += 1;
            start[arcs.head[k] as usize + 1] += 1;
        }
        for v in 0..n {
            start[v + 1] += start[v];
        }
        let mut fill = start.clone();
        let mut half = vec![0u32; 2 * count];
        for h in 0..2 * count {
            // Half-arc h leaves where its twin leads.
            let from = to[h ^ 1] as usize;
            half[fill[from] as usize] = h as u32;
            fill[from] += 1;
        }
        Self {
            party,
            to,
            room,
            invoice: arcs.invoice,
            start,
            half,
            pi: vec![0; n],
            dist: vec![i64::MAX; n],
            level: vec![FAR; n],
            current: vec![0; n],
        }
    }

    /// Where half-arc `h` starts.
    fn from(&self, h: u32) -> usize {
        self.to[(h ^ 1) as usize] as usize
    }

    /// Reduced cost of half-arc `h`: −1 forward on an invoice, +1 backward, 0 otherwise.
    fn reduced(&self, h: u32) -> i64 {
        let cost = match (self.invoice[(h >> 1) as usize] == FAR, h & 1) {
            (true, _) => 0,
            (false, 0) => -1,
            (false, _) => 1,
        };
        cost + self.pi[self.from(h)] - self.pi[self.to[h as usize] as usize]
    }

    /// Potentials making every reduced cost non-negative: minus the longest chain of
    /// remaining invoices ending at each party, by Kahn's topological order. A party left
    /// out of the order lies on (or behind) a cycle of remaining invoices.
    fn start_potentials(&mut self) -> Result<(), ClearingError> {
        let m = self.party.len();
        let mut indegree = vec![0u32; m];
        for k in 0..self.invoice.len() {
            if self.invoice[k] != FAR {
                indegree[self.to[2 * k] as usize] += 1;
            }
        }
        let mut order: Vec<u32> = (0..m as u32)
            .filter(|&v| indegree[v as usize] == 0)
            .collect();
        // Each party enters `order` once, when its last incoming invoice is seen.
        let mut next = 0;
        while next < order.len() {
            let v = order[next] as usize;
            next += 1;
            for i in self.start[v]..self.start[v + 1] {
                let h = self.half[i as usize];
                let w = self.to[h as usize] as usize;
                if h & 1 == 0 && w < m {
                    self.pi[w] = self.pi[w].min(self.pi[v] - 1);
                    indegree[w] -= 1;
                    if indegree[w] == 0 {
                        order.push(w as u32);
                    }
                }
            }
        }
        if let Some(v) = (0..m).find(|&v| indegree[v] > 0) {
            let on_cycle = self.walk_back(v, &indegree);
            return Err(ClearingError::ResidualCycle(self.party[on_cycle]));
        }
        let t = self.t();
        self.pi[t] = (0..m).map(|v| self.pi[v]).min().unwrap_or(0);
        Ok(())
    }

    /// A party on a cycle, found by walking back from `v` along invoices from parties the
    /// topological order did not reach: each of them has such an invoice, so after `m`
    /// steps the walk is on a cycle.
    fn walk_back(&self, mut v: usize, indegree: &[u32]) -> usize {
        for _ in 0..self.party.len() {
            let back = (self.start[v]..self.start[v + 1])
                .map(|i| self.half[i as usize])
                .filter(|&h| h & 1 == 1 && self.invoice[(h >> 1) as usize] != FAR)
                .map(|h| self.to[h as usize] as usize)
                .find(|&w| indegree[w] > 0);
            match back {
                Some(w) => v = w,
                None => break,
            }
        }
        v
    }

    /// Successive shortest paths in phases; returns every augmenting path as (first party,
    /// last party, amount) in local indices.
    fn solve(&mut self) -> Result<Vec<(u32, u32, i64)>, ClearingError> {
        let nodes = self.pi.len() as u64;
        let arcs = self.invoice.len() as u64;
        // A shortest path costs at least −nodes and each phase raises its cost by at least
        // one, so phases are few; Dinic needs at most `nodes` rounds per phase, and every
        // augmentation empties a half-arc. These bounds are never reached.
        let max_phases = nodes + 2;
        let max_paths = (arcs + nodes).saturating_mul(4).max(1_000_000);
        let mut paths = Vec::new();
        for _ in 0..max_phases {
            if !self.shortest_paths() || self.pi[self.t()] - self.pi[self.s()] >= 0 {
                return Ok(paths);
            }
            self.shortest_flow(nodes, max_paths, &mut paths)?;
        }
        Err(ClearingError::StepLimit(max_phases))
    }

    /// Dijkstra from `S` on reduced costs, stopped when `T` is settled, then raises every
    /// potential by `min(dist, dist(T))`: reduced costs stay non-negative and the shortest
    /// paths are made of zero-cost half-arcs. False if `T` is unreachable.
    fn shortest_paths(&mut self) -> bool {
        let (s, t) = (self.s(), self.t());
        self.dist.fill(i64::MAX);
        self.dist[s] = 0;
        let mut heap = BinaryHeap::from([Reverse((0i64, s as u32))]);
        // Every push follows a strict decrease of `dist`, at most once per half-arc.
        while let Some(Reverse((d, v))) = heap.pop() {
            let v = v as usize;
            if d > self.dist[v] {
                continue;
            }
            if v == t {
                break;
            }
            for i in self.start[v]..self.start[v + 1] {
                let h = self.half[i as usize];
                if self.room[h as usize] == 0 {
                    continue;
                }
                let w = self.to[h as usize] as usize;
                let nd = d + self.reduced(h);
                if nd < self.dist[w] {
                    self.dist[w] = nd;
                    heap.push(Reverse((nd, w as u32)));
                }
            }
        }
        let limit = self.dist[t];
        if limit == i64::MAX {
            return false;
        }
        for (p, &d) in self.pi.iter_mut().zip(&self.dist) {
            *p += d.min(limit);
        }
        true
    }

    /// Dinic's max flow on the half-arcs of zero reduced cost: every path it finds is a
    /// shortest path of the residual network.
    fn shortest_flow(
        &mut self,
        nodes: u64,
        max_paths: u64,
        paths: &mut Vec<(u32, u32, i64)>,
    ) -> Result<(), ClearingError> {
        for _ in 0..=nodes {
            if !self.levels() {
                return Ok(());
            }
            self.blocking_flow(max_paths, paths)?;
        }
        Err(ClearingError::StepLimit(nodes + 1))
    }

    /// BFS levels from `S` over zero-cost half-arcs with room; true if `T` is reached.
    fn levels(&mut self) -> bool {
        let (s, t) = (self.s(), self.t());
        self.level.fill(FAR);
        self.level[s] = 0;
        let mut queue = vec![s as u32];
        let mut head = 0;
        // Each node is queued at most once.
        while head < queue.len() && self.level[t] == FAR {
            let v = queue[head] as usize;
            head += 1;
            for i in self.start[v]..self.start[v + 1] {
                let h = self.half[i as usize];
                let w = self.to[h as usize] as usize;
                if self.level[w] == FAR && self.room[h as usize] > 0 && self.reduced(h) == 0 {
                    self.level[w] = self.level[v] + 1;
                    queue.push(w as u32);
                }
            }
        }
        self.current.copy_from_slice(&self.start[..self.pi.len()]);
        self.level[t] != FAR
    }

    /// Augments along level-increasing paths until `T` is cut off (iterative DFS with
    /// current-arc pointers), recording each path.
    fn blocking_flow(
        &mut self,
        max_paths: u64,
        paths: &mut Vec<(u32, u32, i64)>,
    ) -> Result<(), ClearingError> {
        let (s, t) = (self.s(), self.t());
        let mut path: Vec<u32> = Vec::new();
        let mut v = s;
        // Each step advances (at most `nodes` times before an augmentation or a retreat),
        // retreats (removing a node from the level graph) or augments (emptying a half-arc).
        loop {
            if v == t {
                if paths.len() as u64 >= max_paths {
                    return Err(ClearingError::StepLimit(max_paths));
                }
                v = self.augment(&mut path, paths);
                continue;
            }
            match self.advance(v) {
                Some(h) => {
                    path.push(h);
                    v = self.to[h as usize] as usize;
                }
                None => {
                    self.level[v] = FAR;
                    let Some(h) = path.pop() else {
                        return Ok(());
                    };
                    v = self.from(h);
                    self.current[v] += 1;
                }
            }
        }
    }

    /// The current admissible half-arc out of `v`, if any.
    fn advance(&mut self, v: usize) -> Option<u32> {
        let end = self.start[v + 1];
        let next = self.level[v].wrapping_add(1);
        while self.current[v] < end {
            let h = self.half[self.current[v] as usize];
            let w = self.to[h as usize] as usize;
            if self.level[w] == next && self.room[h as usize] > 0 && self.reduced(h) == 0 {
                return Some(h);
            }
            self.current[v] += 1;
        }
        None
    }

    /// Pushes the bottleneck along `path` (from `S` to `T`), records it, cuts the path before
    /// its first emptied half-arc and returns the node to continue from.
    fn augment(&mut self, path: &mut Vec<u32>, paths: &mut Vec<(u32, u32, i64)>) -> usize {
        let delta = path
            .iter()
            .map(|&h| self.room[h as usize])
            .min()
            .unwrap_or(0);
        for &h in path.iter() {
            self.room[h as usize] -= delta;
            // The two rooms of an arc sum to its capacity, an i64.
            self.room[(h ^ 1) as usize] += delta;
        }
        // A simple path from S starts with S → a and ends with z → T.
        if let (Some(&first), Some(&last)) = (path.first(), path.last()) {
            paths.push((self.to[first as usize], self.from(last) as u32, delta));
        }
        match path.iter().position(|&h| self.room[h as usize] == 0) {
            Some(k) => {
                let v = self.from(path[k]);
                path.truncate(k);
                v
            }
            None => self.s(),
        }
    }

    /// The flow on every invoice arc, by invoice.
    fn settled(&self, invoices: usize) -> Vec<i64> {
        let mut settled = vec![0i64; invoices];
        for (k, &e) in self.invoice.iter().enumerate() {
            if e != FAR {
                settled[e as usize] = self.room[2 * k + 1];
            }
        }
        settled
    }
}

/// Sums the augmenting paths per ordered pair of parties (local `a → z` becomes a transfer
/// from `party[a]` to `party[z]`), drops `a == z` and nets opposite pairs.
fn net_transfers(party: &[u32], paths: Vec<(u32, u32, i64)>) -> Vec<CreditTransfer> {
    let mut signed: Vec<((u32, u32), i128)> = paths
        .into_iter()
        .filter(|&(a, z, _)| a != z)
        .map(|(a, z, x)| {
            let (a, z) = (party[a as usize], party[z as usize]);
            if a < z {
                ((a, z), i128::from(x))
            } else {
                ((z, a), -i128::from(x))
            }
        })
        .collect();
    signed.sort_unstable_by_key(|&(key, _)| key);
    signed
        .chunk_by(|x, y| x.0 == y.0)
        .filter_map(|run| {
            let (lo, hi) = run[0].0;
            let sum: i128 = run.iter().map(|&(_, x)| x).sum();
            // The paths from `a` to `z` all start on the arc S → a, so each direction sums to
            // at most draw[a] ≤ i64::MAX and the conversion never saturates.
            let amount = i64::try_from(sum.abs()).unwrap_or(i64::MAX);
            match sum.signum() {
                1 => Some(CreditTransfer {
                    payer: lo,
                    payee: hi,
                    amount,
                }),
                -1 => Some(CreditTransfer {
                    payer: hi,
                    payee: lo,
                    amount,
                }),
                _ => None,
            }
        })
        .collect()
}

/// A broken invariant of a credit-assisted clearing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditViolation {
    /// An input or output slice of the wrong length.
    #[error("{what}: {got} values for {expected}")]
    Length {
        /// Which slice.
        what: &'static str,
        /// Invoices or parties.
        expected: usize,
        /// Values given.
        got: usize,
    },
    /// A settlement below zero or above what the set-off left of its invoice.
    #[error("invoice {0}: credit settlement out of bounds")]
    OutOfBounds(usize),
    /// A transfer to oneself, of a non-positive amount, naming an unknown party, or a second
    /// transfer between the same two parties.
    #[error("transfer {0}: malformed or duplicate")]
    BadTransfer(usize),
    /// A party whose net position (invoices plus balance) changed.
    #[error("party {0}: net position changed")]
    NetChanged(u32),
    /// A party that pays more, net, than it may draw.
    #[error("party {0}: pays more than its credit allows")]
    OverDraw(u32),
    /// A party that receives more, net, than it may.
    #[error("party {0}: receives more than its upper limit allows")]
    OverReceive(u32),
    /// `cleared` or `liquidity` is not the sum it claims to be.
    #[error("the totals do not match")]
    Totals,
}

/// Checks a credit-assisted clearing: `0 ≤ settled ≤ amount − setoff` per invoice; well-formed
/// transfers, one per pair of parties at most; for every party, what credit settled of its
/// debts minus what it settled of its credits equals what it pays minus what it receives
/// (net positions with balances unchanged), within its draw and receive limits; the totals.
pub fn check_credit(
    net: &Network,
    setoff: &[i64],
    liquidity: Liquidity<'_>,
    assist: &CreditAssist,
) -> Result<(), CreditViolation> {
    check_lengths(net, setoff, liquidity, assist)?;
    check_transfers(net, &assist.transfers)?;
    let parties = net.parties() as usize;
    // Per party: settled on what it owes − settled on what it is owed, and paid − received.
    let mut settled = vec![0i128; parties];
    let mut paid = vec![0i128; parties];
    for (e, &x) in assist.settled.iter().enumerate() {
        let left = i128::from(net.amounts()[e]) - i128::from(setoff[e]);
        if x < 0 || i128::from(x) > left {
            return Err(CreditViolation::OutOfBounds(e));
        }
        settled[net.debtors()[e] as usize] += i128::from(x);
        settled[net.creditors()[e] as usize] -= i128::from(x);
    }
    for t in &assist.transfers {
        paid[t.payer as usize] += i128::from(t.amount);
        paid[t.payee as usize] -= i128::from(t.amount);
    }
    for p in 0..parties {
        let draw = i128::from(liquidity.draw_minor[p].max(0));
        let receive = i128::from(liquidity.receive_minor[p].max(0));
        let who = p as u32;
        if settled[p] != paid[p] {
            return Err(CreditViolation::NetChanged(who));
        }
        if paid[p] > draw {
            return Err(CreditViolation::OverDraw(who));
        }
        if -paid[p] > receive {
            return Err(CreditViolation::OverReceive(who));
        }
    }
    let cleared: i128 = assist.settled.iter().map(|&x| i128::from(x)).sum();
    let moved: i128 = assist.transfers.iter().map(|t| i128::from(t.amount)).sum();
    if cleared != assist.cleared || moved != assist.liquidity {
        return Err(CreditViolation::Totals);
    }
    Ok(())
}

/// One set-off and one settlement per invoice, one draw and one receive limit per party.
fn check_lengths(
    net: &Network,
    setoff: &[i64],
    liquidity: Liquidity<'_>,
    assist: &CreditAssist,
) -> Result<(), CreditViolation> {
    let parties = net.parties() as usize;
    let lengths = [
        ("setoff", net.len(), setoff.len()),
        ("settled", net.len(), assist.settled.len()),
        ("draw_minor", parties, liquidity.draw_minor.len()),
        ("receive_minor", parties, liquidity.receive_minor.len()),
    ];
    match lengths
        .into_iter()
        .find(|&(_, expected, got)| expected != got)
    {
        Some((what, expected, got)) => Err(CreditViolation::Length {
            what,
            expected,
            got,
        }),
        None => Ok(()),
    }
}

/// Known parties, payer ≠ payee, amount > 0, and no two transfers between the same parties.
fn check_transfers(net: &Network, transfers: &[CreditTransfer]) -> Result<(), CreditViolation> {
    let mut pairs: Vec<((u32, u32), usize)> = Vec::with_capacity(transfers.len());
    for (i, t) in transfers.iter().enumerate() {
        let known = t.payer < net.parties() && t.payee < net.parties();
        if !known || t.payer == t.payee || t.amount <= 0 {
            return Err(CreditViolation::BadTransfer(i));
        }
        pairs.push(((t.payer.min(t.payee), t.payer.max(t.payee)), i));
    }
    pairs.sort_unstable();
    match pairs.windows(2).find(|w| w[0].0 == w[1].0) {
        Some(w) => Err(CreditViolation::BadTransfer(w[1].1)),
        None => Ok(()),
    }
}
