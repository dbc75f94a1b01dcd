//! The clearing of one strongly connected component as "minimise the debt that remains for
//! fixed net positions" (Fleischman & Dini 2021), solved by the primal–dual method:
//! successive shortest paths in phases, each phase a maximum flow on the arcs of zero reduced
//! cost.
//!
//! Unknowns: the remaining debt `r_e ∈ [0, cap_e]` of every arc `d → c`. Each party must keep
//! its net position, so `Σ_out r − Σ_in r = D_v`, the party's net debt inside the component;
//! the cost is `Σ r_e` (one per unit of debt left). Starting from `r = 0` (everything set off,
//! which breaks the balances), net debtors hold an *excess* that must travel along residual
//! arcs to net creditors: forward `d → c` raises `r_e` (cost +1, room `cap − r`), backward
//! `c → d` lowers it (cost −1, room `r`).
//!
//! Each phase runs Dijkstra from every party with excess on reduced costs (always ≥ 0; Dial's
//! buckets, since they are small integers), stops at the first party with a deficit at
//! distance `D`, and raises every potential by `min(dist, D)`: reduced costs stay
//! non-negative and the shortest paths become arcs of zero reduced cost. A push–relabel
//! maximum flow (FIFO, global relabelling) then moves as much excess as those zero-cost arcs
//! allow towards deficits. Excess it cannot deliver may stay at any node: every residual arc
//! still has a non-negative reduced cost, which is all the next phase needs. When no excess is
//! left the flow is a minimum-cost flow (no residual arc has a negative reduced cost), so the
//! set-off `cap − r` is the largest possible. With unit costs the distances are small integers
//! and there are few phases (13 on the largest benchmark).
//!
//! Dinic's blocking flows were used first for the phases (commit b5ed275): each of their
//! ~160 rounds swept the whole zero-cost graph twice (BFS, then DFS), although the last rounds
//! of a phase moved little; push–relabel needs a handful of global relabels per phase and
//! made the 1,000,000-invoice file's solve 3.5 times faster.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// A residual half-arc: where it leads, its room, and the position of its reverse in the same
/// list. Kept together because a scan reads the first two and a push writes both rooms.
#[derive(Debug, Clone, Copy)]
struct Half {
    room: i64,
    to: u32,
    twin: u32,
}

/// Distances below this go to Dial's buckets in Dijkstra, larger ones to a binary heap.
const NEAR: usize = 64;

/// A level of the global relabel's search with at least this many nodes is scanned by two
/// threads (below, starting a thread costs more than it saves).
const PARALLEL_LEVEL: usize = 16_384;

/// The solver stopped: more phases or discharges than its safety bound (a bug if ever).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StepLimit(pub u64);

/// A network with at least this many half-arcs has its zero-cost arcs collected by two
/// threads.
const PARALLEL_ARCS: usize = 1 << 20;

/// The residual network's arcs and the potentials: what a reduced cost is computed from.
struct Costs<'a> {
    start: &'a [u32],
    half: &'a [Half],
    forward: &'a [bool],
    pi: &'a [i64],
}

impl Costs<'_> {
    /// Reduced cost of the half-arc at position `p`, leaving `v`.
    #[inline]
    fn reduced(&self, p: usize, v: usize) -> i64 {
        let cost = if self.forward[p] { 1 } else { -1 };
        cost + self.pi[v] - self.pi[self.half[p].to as usize]
    }
}

/// Runs `first` on this thread and `second` on another when `parallel`, one after the other
/// otherwise.
fn both(parallel: bool, first: impl FnOnce(), second: impl FnOnce() + Send) {
    if !parallel {
        first();
        second();
        return;
    }
    std::thread::scope(|scope| {
        let other = scope.spawn(second);
        first();
        // A panic there is the same bug as it would be here: passed on.
        other
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    });
}

/// The zero-cost half-arcs leaving a run of nodes, as [`PrimalDual`] keeps them: where each
/// node's start (`start`), their positions in `half` (`of`) and copies (`arcs`).
#[derive(Default)]
struct ZeroArcs {
    start: Vec<u32>,
    of: Vec<u32>,
    arcs: Vec<Half>,
}

impl ZeroArcs {
    /// Collects the zero-cost half-arcs leaving `nodes` (replacing what it held), writing
    /// each one's place in this list to `position`, which holds the positions of the nodes'
    /// half-arcs from `first_half` on.
    fn collect(
        &mut self,
        nodes: std::ops::Range<usize>,
        costs: &Costs<'_>,
        position: &mut [u32],
        first_half: usize,
    ) {
        self.start.clear();
        self.of.clear();
        self.arcs.clear();
        for v in nodes {
            self.start.push(self.arcs.len() as u32);
            for p in costs.start[v] as usize..costs.start[v + 1] as usize {
                if costs.reduced(p, v) == 0 {
                    position[p - first_half] = self.arcs.len() as u32;
                    self.of.push(p as u32);
                    self.arcs.push(costs.half[p]);
                }
            }
        }
    }
}

/// The residual network of one component, with half-arcs grouped by the node they leave
/// (compressed rows, `u32` indices). Each arc `d → c` has a forward half (raises `r`, cost +1,
/// room `cap − r`) and a backward half (lowers `r`, cost −1, room `r`).
pub(crate) struct PrimalDual {
    /// Half-arcs leaving node `v`: `half[start[v]..start[v + 1]]`.
    start: Vec<u32>,
    half: Vec<Half>,
    /// Whether each half-arc is forward (cost +1) or backward (cost −1).
    forward: Vec<bool>,
    /// Position of each arc's backward half, whose room is the arc's remaining debt `r`.
    back: Vec<u32>,
    cap: Vec<i64>,
    /// Positive: debt the node must still send on; negative: debt it must still receive.
    excess: Vec<i128>,
    pi: Vec<i64>,
    dist: Vec<i64>,
    /// Dijkstra's queue: one bucket per distance below `NEAR`, a heap beyond.
    near: Vec<Vec<u32>>,
    far: BinaryHeap<Reverse<(i64, u32)>>,
    /// The half-arcs of zero reduced cost in this phase: `zero[zero_start[v]..zero_start[v + 1]]`
    /// leave `v`; `twin` is a position in `zero`.
    zero_start: Vec<u32>,
    zero: Vec<Half>,
    /// The position in `half` of each zero-cost half-arc, to write its room back.
    zero_of: Vec<u32>,
    /// The position in `zero` of each half-arc that is there.
    position: Vec<u32>,
    /// The second half of the nodes' zero-cost arcs while two threads collect them (kept for
    /// reuse).
    zero_second: ZeroArcs,
    /// From how many half-arcs, and from how many nodes in a level of the global relabel's
    /// search, two threads share the work ([`PARALLEL_ARCS`], [`PARALLEL_LEVEL`]; the tests
    /// lower them to check that both ways give the same flows).
    parallel_from: (usize, usize),
    /// Distance label of each node towards the deficits (push–relabel).
    label: Vec<u32>,
    /// Next zero-cost arc to try out of each node.
    current: Vec<u32>,
    /// BFS queue of the global relabel.
    queue: Vec<u32>,
    /// The nodes a large level of that BFS reaches, found by two threads (kept for reuse).
    found: [Vec<u32>; 2],
    /// Nodes with excess and a label below `n`, in FIFO order.
    active: VecDeque<u32>,
}

impl PrimalDual {
    /// The component with `n` nodes and arcs `tail[e] → head[e]` of capacity `cap[e] > 0`.
    /// Starts from `r = 0`: everything set off.
    pub(crate) fn new(n: usize, tail: &[u32], head: &[u32], cap: Vec<i64>) -> Self {
        let mut start = vec![0u32; n + 1];
        let mut excess = vec![0i128; n];
        for e in 0..cap.len() {
            start[tail[e] as usize + 1] += 1;
            start[head[e] as usize + 1] += 1;
            excess[tail[e] as usize] += i128::from(cap[e]);
            excess[head[e] as usize] -= i128::from(cap[e]);
        }
        for v in 0..n {
            start[v + 1] += start[v];
        }
        let mut fill = start.clone();
        let empty = Half {
            room: 0,
            to: 0,
            twin: 0,
        };
        let mut half = vec![empty; 2 * cap.len()];
        let mut forward = vec![false; 2 * cap.len()];
        let mut back = vec![0u32; cap.len()];
        for e in 0..cap.len() {
            let (t, h) = (tail[e] as usize, head[e] as usize);
            let (pf, pb) = (fill[t], fill[h]);
            fill[t] += 1;
            fill[h] += 1;
            half[pf as usize] = Half {
                room: cap[e],
                to: h as u32,
                twin: pb,
            };
            half[pb as usize] = Half {
                room: 0,
                to: t as u32,
                twin: pf,
            };
            forward[pf as usize] = true;
            back[e] = pb;
        }
        let halves = half.len();
        Self {
            start,
            half,
            forward,
            back,
            cap,
            excess,
            pi: vec![0; n],
            dist: vec![i64::MAX; n],
            near: vec![Vec::new(); NEAR],
            far: BinaryHeap::new(),
            zero_start: Vec::new(),
            zero: Vec::new(),
            zero_of: Vec::new(),
            position: vec![0; halves],
            zero_second: ZeroArcs::default(),
            parallel_from: (PARALLEL_ARCS, PARALLEL_LEVEL),
            label: vec![0; n],
            current: vec![0; n],
            queue: Vec::new(),
            found: [Vec::new(), Vec::new()],
            active: VecDeque::new(),
        }
    }

    /// Reduced cost of the half-arc at position `p`, leaving `v`.
    #[inline]
    fn reduced(&self, p: usize, v: usize) -> i64 {
        let cost = if self.forward[p] { 1 } else { -1 };
        cost + self.pi[v] - self.pi[self.half[p].to as usize]
    }

    /// Solves; `max_steps` bounds the phases and the discharges of the maximum flows
    /// together.
    pub(crate) fn solve(&mut self, max_steps: u64) -> Result<(), StepLimit> {
        let mut steps = 0u64;
        while self.excess.iter().any(|&x| x > 0) {
            steps += 1;
            if steps > max_steps {
                return Err(StepLimit(steps));
            }
            if !self.shortest_paths() {
                break; // unreachable for a valid component: r = cap is always feasible
            }
            self.build_zero_arcs();
            self.max_flow(&mut steps, max_steps)?;
        }
        Ok(())
    }

    /// The set-off of every arc: `cap − r`.
    pub(crate) fn into_flows(self) -> Vec<i64> {
        self.cap
            .iter()
            .zip(&self.back)
            .map(|(c, &b)| c - self.half[b as usize].room)
            .collect()
    }

    /// Dijkstra from all nodes with excess, stopped at the first node with a deficit; raises
    /// the potentials by `min(dist, D)`. False if no deficit is reachable. Reduced costs are
    /// small non-negative integers, mostly 0, so the queue is Dial's buckets (a heap only
    /// for distances of `NEAR` or more).
    fn shortest_paths(&mut self) -> bool {
        self.dist.fill(i64::MAX);
        for bucket in &mut self.near {
            bucket.clear();
        }
        self.far.clear();
        for (v, &x) in self.excess.iter().enumerate() {
            if x > 0 {
                self.dist[v] = 0;
                self.near[0].push(v as u32);
            }
        }
        let mut reach = None;
        let mut d = 0usize;
        // Each node is settled once; stale entries are skipped.
        while let Some((dv, v)) = self.pop(&mut d) {
            let v = v as usize;
            if dv > self.dist[v] {
                continue;
            }
            if self.excess[v] < 0 {
                reach = Some(dv);
                break;
            }
            self.relax(v, dv);
        }
        let Some(limit) = reach else {
            return false;
        };
        for (p, &d) in self.pi.iter_mut().zip(&self.dist) {
            *p += d.min(limit);
        }
        true
    }

    /// The next node of Dijkstra's queue and its distance; `d` is the bucket being emptied.
    fn pop(&mut self, d: &mut usize) -> Option<(i64, u32)> {
        while *d < NEAR {
            if let Some(v) = self.near[*d].pop() {
                return Some((*d as i64, v));
            }
            *d += 1;
        }
        self.far.pop().map(|Reverse(entry)| entry)
    }

    /// Relaxes the half-arcs with room out of `v`, settled at distance `dv`.
    fn relax(&mut self, v: usize, dv: i64) {
        for p in self.start[v] as usize..self.start[v + 1] as usize {
            let arc = self.half[p];
            if arc.room == 0 {
                continue;
            }
            let w = arc.to as usize;
            let nd = dv + self.reduced(p, v);
            if nd < self.dist[w] {
                self.dist[w] = nd;
                match usize::try_from(nd) {
                    Ok(b) if b < NEAR => self.near[b].push(w as u32),
                    _ => self.far.push(Reverse((nd, w as u32))),
                }
            }
        }
    }

    /// Collects, per node, the half-arcs of zero reduced cost. Reduced costs do not change
    /// until the next Dijkstra, and the reverse of a zero-cost half-arc costs zero too, so this
    /// list holds every arc the maximum flow of this phase may use (about a third of them).
    fn build_zero_arcs(&mut self) {
        let n = self.pi.len();
        // Two threads on a large network, each the nodes of about half the half-arcs: the
        // same lists as one thread makes, on the core that otherwise waits for this one in the
        // impact report.
        let mid = if self.half.len() >= self.parallel_from.0 {
            let half_of_them = self.half.len() / 2;
            self.start
                .partition_point(|&s| (s as usize) < half_of_them)
                .min(n)
        } else {
            n
        };
        let split = self.start[mid] as usize;
        let mut first = ZeroArcs {
            start: std::mem::take(&mut self.zero_start),
            of: std::mem::take(&mut self.zero_of),
            arcs: std::mem::take(&mut self.zero),
        };
        let mut second = std::mem::take(&mut self.zero_second);
        let costs = Costs {
            start: &self.start,
            half: &self.half,
            forward: &self.forward,
            pi: &self.pi,
        };
        let (in_first, in_second) = self.position.split_at_mut(split);
        both(
            mid < n,
            || first.collect(0..mid, &costs, in_first, 0),
            || second.collect(mid..n, &costs, in_second, split),
        );
        // The second part's positions count from its own start: moved after the first's.
        let offset = first.arcs.len();
        let shift = offset as u32;
        for position in in_second.iter_mut() {
            *position = position.saturating_add(shift);
        }
        first.start.extend(second.start.iter().map(|s| s + shift));
        first.start.push((offset + second.arcs.len()) as u32);
        first.of.extend_from_slice(&second.of);
        first.arcs.extend_from_slice(&second.arcs);
        // Both halves of an arc have zero reduced cost together, so each has its twin here.
        let (half, position) = (&self.half, &self.position);
        let twins = |arcs: &mut [Half], of: &[u32]| {
            for (arc, &p) in arcs.iter_mut().zip(of) {
                arc.twin = position[half[p as usize].twin as usize];
            }
        };
        let (arcs_first, arcs_second) = first.arcs.split_at_mut(offset);
        let (of_first, of_second) = first.of.split_at(offset);
        both(
            mid < n,
            || twins(arcs_first, of_first),
            || twins(arcs_second, of_second),
        );
        (self.zero_start, self.zero_of, self.zero) = (first.start, first.of, first.arcs);
        self.zero_second = second;
    }

    /// Moves as much excess as the zero-cost arcs allow towards deficits: a push–relabel
    /// maximum flow (FIFO selection, global relabelling by a backward BFS from the deficits).
    /// Excess that cannot reach a deficit stays where it is: any node may hold excess, and
    /// pushing along zero-cost arcs keeps every reduced cost non-negative. `ops` counts
    /// discharges against `max_ops`.
    fn max_flow(&mut self, ops: &mut u64, max_ops: u64) -> Result<(), StepLimit> {
        let n = self.pi.len();
        // A global relabel costs one sweep of the zero-cost arcs; doing one after a quarter of
        // that in relabelling work was the fastest on the impact report's network of 3.6
        // million arcs (maximum flows 3.5 s → 2.25 s; a half: 2.7 s, as much: 3.5 s, twice:
        // 4.3 s, an eighth: 2.4 s) and the same as before on the clearing benchmark's.
        let relabel_every = ((n + self.zero.len()) / 4) as u64;
        let mut work = 0u64;
        self.global_relabel();
        while let Some(v) = self.active.pop_front() {
            *ops += 1;
            if *ops > max_ops {
                return Err(StepLimit(*ops));
            }
            work += self.discharge(v as usize);
            if work > relabel_every {
                self.global_relabel();
                work = 0;
            }
        }
        self.write_back();
        Ok(())
    }

    /// Exact distance labels to the nearest deficit over zero-cost half-arcs with room (a
    /// backward BFS, level by level); unreachable nodes get `n` (dead). Resets the current arcs
    /// and the queue of active nodes.
    fn global_relabel(&mut self) {
        let n = self.pi.len();
        let dead = n as u32;
        self.label.fill(dead);
        self.queue.clear();
        for (v, &x) in self.excess.iter().enumerate() {
            if x < 0 {
                self.label[v] = 0;
                self.queue.push(v as u32);
            }
        }
        let (mut level, mut next) = (0usize, 1u32);
        // Each node enters the queue at most once, so there are at most `n` levels.
        while level < self.queue.len() {
            let end = self.queue.len();
            if end - level >= self.parallel_from.1 {
                self.reach_in_parallel(level..end, next);
            } else {
                self.reach(level..end, next);
            }
            (level, next) = (end, next + 1);
        }
        self.current.copy_from_slice(&self.zero_start[..n]);
        self.active.clear();
        for (v, &x) in self.excess.iter().enumerate() {
            if x > 0 && self.label[v] < dead {
                self.active.push_back(v as u32);
            }
        }
    }

    /// Labels `next` every dead node with a zero-cost half-arc with room into a node of the
    /// queue's `level`, and queues it.
    fn reach(&mut self, level: std::ops::Range<usize>, next: u32) {
        let dead = self.pi.len() as u32;
        for k in level {
            let w = self.queue[k] as usize;
            for i in self.zero_start[w] as usize..self.zero_start[w + 1] as usize {
                let arc = self.zero[i];
                let u = arc.to as usize;
                if self.label[u] == dead && self.zero[arc.twin as usize].room > 0 {
                    self.label[u] = next;
                    self.queue.push(u as u32);
                }
            }
        }
    }

    /// [`Self::reach`] for a large level: its two halves are scanned by two threads, which
    /// only read, then the nodes they found are labelled here. The same labels as one thread
    /// gives (each is the distance), on the core that otherwise waits for this one in the
    /// impact report: these searches were about a third of the maximum flows there.
    fn reach_in_parallel(&mut self, level: std::ops::Range<usize>, next: u32) {
        let dead = self.pi.len() as u32;
        let [mut first, mut second] = std::mem::take(&mut self.found);
        {
            let nodes = &self.queue[level];
            let (a, b) = nodes.split_at(nodes.len() / 2);
            let (label, zero, zero_start) = (&self.label, &self.zero, &self.zero_start);
            let scan = |nodes: &[u32], out: &mut Vec<u32>| {
                out.clear();
                for &w in nodes {
                    let w = w as usize;
                    for arc in &zero[zero_start[w] as usize..zero_start[w + 1] as usize] {
                        if label[arc.to as usize] == dead && zero[arc.twin as usize].room > 0 {
                            out.push(arc.to);
                        }
                    }
                }
            };
            both(true, || scan(a, &mut first), || scan(b, &mut second));
        }
        for &u in first.iter().chain(&second) {
            if self.label[u as usize] == dead {
                self.label[u as usize] = next;
                self.queue.push(u);
            }
        }
        self.found = [first, second];
    }

    /// Pushes `v`'s excess along admissible arcs (room, label one lower), relabelling when
    /// none is left, until the excess is gone or `v` is dead. Returns the arcs scanned by
    /// relabels.
    fn discharge(&mut self, v: usize) -> u64 {
        let dead = self.pi.len() as u32;
        let mut work = 0u64;
        // Each turn pushes (saturating an arc or emptying the excess), moves the current arc
        // on, or relabels (raising the label, at most `n` times), so the loop is finite.
        while self.excess[v] > 0 {
            let i = self.current[v];
            if i == self.zero_start[v + 1] {
                work += self.relabel(v);
                if self.label[v] >= dead {
                    break;
                }
                continue;
            }
            let arc = self.zero[i as usize];
            if arc.room > 0 && self.label[arc.to as usize] + 1 == self.label[v] {
                self.push(v, i as usize);
            } else {
                self.current[v] += 1;
            }
        }
        work
    }

    /// Pushes as much of `v`'s excess as zero-cost arc `i` allows.
    fn push(&mut self, v: usize, i: usize) {
        let arc = self.zero[i];
        // The push is at most the arc's room, so it fits in i64.
        let d = i64::try_from(self.excess[v].min(i128::from(arc.room))).unwrap_or(0);
        self.zero[i].room -= d;
        self.zero[arc.twin as usize].room += d;
        self.excess[v] -= i128::from(d);
        let w = arc.to as usize;
        let before = self.excess[w];
        self.excess[w] += i128::from(d);
        if before <= 0 && self.excess[w] > 0 {
            self.active.push_back(w as u32);
        }
    }

    /// Raises `v`'s label to one more than its lowest neighbour's over arcs with room (`n`,
    /// dead, if none). Returns the arcs scanned.
    fn relabel(&mut self, v: usize) -> u64 {
        let dead = self.pi.len() as u32;
        let (from, to) = (self.zero_start[v] as usize, self.zero_start[v + 1] as usize);
        let lowest = self.zero[from..to]
            .iter()
            .filter(|arc| arc.room > 0)
            .map(|arc| self.label[arc.to as usize])
            .min()
            .unwrap_or(dead);
        self.label[v] = lowest.saturating_add(1).min(dead);
        self.current[v] = self.zero_start[v];
        (to - from) as u64
    }

    /// Copies the rooms of the zero-cost arcs back into the residual network.
    fn write_back(&mut self) {
        for (arc, &p) in self.zero.iter().zip(&self.zero_of) {
            self.half[p as usize].room = arc.room;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

    use super::*;
    use proptest::prelude::*;

    /// The flows of the network `arcs` (tail, head, capacity) among `n` nodes, with two
    /// threads sharing the work from `parallel_from` on.
    fn flows(n: usize, arcs: &[(u32, u32, i64)], parallel_from: (usize, usize)) -> Vec<i64> {
        let tail: Vec<u32> = arcs.iter().map(|a| a.0).collect();
        let head: Vec<u32> = arcs.iter().map(|a| a.1).collect();
        let cap: Vec<i64> = arcs.iter().map(|a| a.2).collect();
        let mut solver = PrimalDual::new(n, &tail, &head, cap);
        solver.parallel_from = parallel_from;
        solver.solve(20_000).unwrap();
        solver.into_flows()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Collecting the zero-cost arcs and searching the large levels on two threads gives
        /// the same flows as one thread, down to each arc (the integration tests check that
        /// one thread's are optimal; they only meet networks too small for two).
        #[test]
        fn two_threads_give_the_same_flows_as_one(
            n in 2usize..24,
            raw in proptest::collection::vec((0u32..24, 0u32..24, 1i64..50), 1..80),
        ) {
            let arcs: Vec<(u32, u32, i64)> = raw
                .into_iter()
                .map(|(a, b, c)| (a % n as u32, b % n as u32, c))
                .filter(|(a, b, _)| a != b)
                .collect();
            let one = flows(n, &arcs, (usize::MAX, usize::MAX));
            prop_assert_eq!(flows(n, &arcs, (0, 1)), one.clone());
            prop_assert_eq!(flows(n, &arcs, (arcs.len(), 2)), one);
        }
    }
}
