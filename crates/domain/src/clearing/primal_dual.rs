//! The clearing of one strongly connected component as "minimise the debt that remains for
//! fixed net positions" (Fleischman & Dini 2021), solved by the primal–dual method:
//! successive shortest paths in phases, each phase a blocking-flow max flow on the arcs of
//! zero reduced cost.
//!
//! Unknowns: the remaining debt `r_e ∈ [0, cap_e]` of every arc `d → c`. Each party must keep
//! its net position, so `Σ_out r − Σ_in r = D_v`, the party's net debt inside the component;
//! the cost is `Σ r_e` (one per unit of debt left). Starting from `r = 0` (everything set off,
//! which breaks the balances), net debtors hold an *excess* that must travel along residual
//! arcs to net creditors: forward `d → c` raises `r_e` (cost +1, room `cap − r`), backward
//! `c → d` lowers it (cost −1, room `r`).
//!
//! Each phase runs Dijkstra from every party with excess on reduced costs (always ≥ 0), stops
//! at the first party with a deficit at distance `D`, and raises every potential by
//! `min(dist, D)`: reduced costs stay non-negative and the shortest paths become arcs of zero
//! reduced cost. Dinic's algorithm (BFS levels, iterative DFS with current-arc pointers) then
//! sends as much excess as those zero-cost arcs allow. When no excess is left the flow is a
//! minimum-cost flow (no residual arc has a negative reduced cost), so the set-off
//! `cap − r` is the largest possible. With unit costs the distances are small integers and
//! there are few phases.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Unreached, or removed from the level graph.
const FAR: u32 = u32::MAX;

/// The solver stopped: more phases or augmentations than its safety bound (a bug if ever).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StepLimit(pub u64);

/// The residual network of one component (struct of arrays, `u32` indices). A half-arc `h`
/// is `e << 1` (forward, raises `r_e`) or `e << 1 | 1` (backward, lowers it).
pub(crate) struct PrimalDual {
    tail: Vec<u32>,
    head: Vec<u32>,
    cap: Vec<i64>,
    rest: Vec<i64>,
    /// Half-arcs leaving node `v`: `half[start[v]..start[v + 1]]`.
    start: Vec<u32>,
    half: Vec<u32>,
    /// Positive: debt the node must still send on; negative: debt it must still receive.
    excess: Vec<i128>,
    pi: Vec<i64>,
    level: Vec<u32>,
    queue: Vec<u32>,
    zero_start: Vec<u32>,
    zero_half: Vec<u32>,
    zero_to: Vec<u32>,
    /// Room of each zero-cost half-arc, kept in step with `rest` during a phase.
    zero_room: Vec<i64>,
    /// Position of each zero-cost half-arc's reverse in the same list.
    zero_twin: Vec<u32>,
    /// Position in the zero-cost list of every half-arc that is in it.
    position: Vec<u32>,
    current: Vec<u32>,
    dist: Vec<i64>,
}

impl PrimalDual {
    /// The component with `n` nodes and arcs `tail[e] → head[e]` of capacity `cap[e] > 0`.
    pub(crate) fn new(n: usize, tail: Vec<u32>, head: Vec<u32>, cap: Vec<i64>) -> Self {
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
        let mut half = vec![0u32; 2 * cap.len()];
        for e in 0..cap.len() {
            let slot = &mut fill[tail[e] as usize];
            half[*slot as usize] = (e as u32) << 1;
            *slot += 1;
            let slot = &mut fill[head[e] as usize];
            half[*slot as usize] = (e as u32) << 1 | 1;
            *slot += 1;
        }
        let half_len = half.len();
        Self {
            rest: vec![0; cap.len()],
            tail,
            head,
            cap,
            start,
            half,
            excess,
            pi: vec![0; n],
            level: vec![FAR; n],
            queue: Vec::new(),
            zero_start: Vec::new(),
            zero_half: Vec::new(),
            zero_to: Vec::new(),
            zero_room: Vec::new(),
            zero_twin: Vec::new(),
            position: vec![0; half_len],
            current: vec![0; n],
            dist: vec![i64::MAX; n],
        }
    }

    /// Where half-arc `h` leads.
    #[inline]
    fn to(&self, h: u32) -> usize {
        let e = (h >> 1) as usize;
        if h & 1 == 0 {
            self.head[e] as usize
        } else {
            self.tail[e] as usize
        }
    }

    /// Where half-arc `h` starts.
    #[inline]
    fn from(&self, h: u32) -> usize {
        let e = (h >> 1) as usize;
        if h & 1 == 0 {
            self.tail[e] as usize
        } else {
            self.head[e] as usize
        }
    }

    /// Room left on half-arc `h`.
    #[inline]
    fn room(&self, h: u32) -> i64 {
        let e = (h >> 1) as usize;
        if h & 1 == 0 {
            self.cap[e] - self.rest[e]
        } else {
            self.rest[e]
        }
    }

    /// Reduced cost of half-arc `h` from `u` to `w`.
    #[inline]
    fn reduced(&self, h: u32, u: usize, w: usize) -> i64 {
        let cost = if h & 1 == 0 { 1 } else { -1 };
        cost + self.pi[u] - self.pi[w]
    }

    /// Solves; `max_steps` bounds the phases and blocking flows together.
    pub(crate) fn solve(&mut self, max_steps: u64) -> Result<(), StepLimit> {
        let mut steps = 0u64;
        while self.excess.iter().any(|&x| x > 0) {
            if !self.shortest_paths() {
                break; // unreachable for a valid component: r = cap is always feasible
            }
            self.build_zero_arcs();
            loop {
                steps += 1;
                if steps > max_steps {
                    return Err(StepLimit(steps));
                }
                if !self.levels() {
                    break;
                }
                self.blocking_flow();
            }
        }
        Ok(())
    }

    /// The set-off of every arc: `cap − r`.
    pub(crate) fn into_flows(self) -> Vec<i64> {
        self.cap
            .iter()
            .zip(&self.rest)
            .map(|(c, r)| c - r)
            .collect()
    }

    /// Dijkstra from all nodes with excess, stopped at the first node with a deficit; raises
    /// the potentials by `min(dist, D)`. False if no deficit is reachable.
    fn shortest_paths(&mut self) -> bool {
        self.dist.fill(i64::MAX);
        let mut heap = BinaryHeap::new();
        for (v, &x) in self.excess.iter().enumerate() {
            if x > 0 {
                self.dist[v] = 0;
                heap.push(Reverse((0i64, v as u32)));
            }
        }
        let mut reach = None;
        while let Some(Reverse((d, v))) = heap.pop() {
            let v = v as usize;
            if d > self.dist[v] {
                continue;
            }
            if self.excess[v] < 0 {
                reach = Some(d);
                break;
            }
            for i in self.start[v]..self.start[v + 1] {
                let h = self.half[i as usize];
                if self.room(h) == 0 {
                    continue;
                }
                let w = self.to(h);
                let nd = d + self.reduced(h, v, w);
                if nd < self.dist[w] {
                    self.dist[w] = nd;
                    heap.push(Reverse((nd, w as u32)));
                }
            }
        }
        let Some(limit) = reach else {
            return false;
        };
        for (p, &d) in self.pi.iter_mut().zip(&self.dist) {
            *p += d.min(limit);
        }
        true
    }

    /// Collects, per node, the half-arcs of zero reduced cost. Reduced costs do not change
    /// until the next Dijkstra, and the reverse of a zero-cost half-arc costs zero too, so this
    /// list holds every arc a blocking flow of this phase may use; scanning it instead of all
    /// arcs makes the BFS and DFS of the phase much cheaper.
    fn build_zero_arcs(&mut self) {
        let n = self.pi.len();
        self.zero_start.clear();
        self.zero_half.clear();
        self.zero_to.clear();
        self.zero_room.clear();
        for v in 0..n {
            self.zero_start.push(self.zero_half.len() as u32);
            for i in self.start[v]..self.start[v + 1] {
                let h = self.half[i as usize];
                let w = self.to(h);
                if self.reduced(h, v, w) == 0 {
                    self.position[h as usize] = self.zero_half.len() as u32;
                    self.zero_half.push(h);
                    self.zero_to.push(w as u32);
                    self.zero_room.push(self.room(h));
                }
            }
        }
        self.zero_start.push(self.zero_half.len() as u32);
        // Both halves of an arc have zero reduced cost together, so each has its twin here.
        self.zero_twin.clear();
        for &h in &self.zero_half {
            self.zero_twin.push(self.position[(h ^ 1) as usize]);
        }
    }

    /// BFS levels over zero-cost half-arcs with room, from every node with excess; true if a
    /// node with a deficit is reached. Levels beyond the first deficit's are not needed.
    fn levels(&mut self) -> bool {
        self.level.fill(FAR);
        self.queue.clear();
        for (v, &x) in self.excess.iter().enumerate() {
            if x > 0 {
                self.level[v] = 0;
                self.queue.push(v as u32);
            }
        }
        let mut found = FAR;
        let mut head = 0;
        while head < self.queue.len() {
            let v = self.queue[head] as usize;
            head += 1;
            if self.level[v] >= found {
                break;
            }
            let next = self.level[v] + 1;
            for i in self.zero_start[v] as usize..self.zero_start[v + 1] as usize {
                let w = self.zero_to[i] as usize;
                if self.level[w] == FAR && self.zero_room[i] > 0 {
                    self.level[w] = next;
                    if self.excess[w] < 0 {
                        found = next;
                    }
                    self.queue.push(w as u32);
                }
            }
        }
        self.current
            .copy_from_slice(&self.zero_start[..self.pi.len()]);
        found != FAR
    }

    /// Sends excess along level-increasing paths until none is left (Dinic's blocking flow).
    fn blocking_flow(&mut self) {
        let mut path: Vec<u32> = Vec::new();
        for s in 0..self.excess.len() {
            if self.excess[s] > 0 && self.level[s] == 0 {
                self.drain(s, &mut path);
            }
        }
    }

    /// Iterative DFS from source `s` until its excess is gone or it is cut off. `path` holds
    /// positions in the zero-cost arc list.
    fn drain(&mut self, s: usize, path: &mut Vec<u32>) {
        path.clear();
        let mut v = s;
        // Each step advances (at most n times before an augmentation or a retreat), retreats
        // (removing a node from the level graph) or augments (saturating an arc or exhausting
        // an excess or a deficit), so the loop is finite.
        while self.excess[s] > 0 {
            if self.excess[v] < 0 {
                v = self.augment(s, v, path);
                continue;
            }
            match self.advance(v) {
                Some(i) => {
                    path.push(i);
                    v = self.zero_to[i as usize] as usize;
                }
                None => {
                    self.level[v] = FAR;
                    let Some(i) = path.pop() else {
                        break;
                    };
                    v = self.from(self.zero_half[i as usize]);
                    self.current[v] += 1;
                }
            }
        }
    }

    /// The current zero-cost arc with room out of `v` to the next level, if any.
    fn advance(&mut self, v: usize) -> Option<u32> {
        let end = self.zero_start[v + 1];
        let next = self.level[v].wrapping_add(1);
        while self.current[v] < end {
            let i = self.current[v];
            let w = self.zero_to[i as usize] as usize;
            if self.level[w] == next && self.zero_room[i as usize] > 0 {
                return Some(i);
            }
            self.current[v] += 1;
        }
        None
    }

    /// Pushes as much as the path, the source's excess and the sink's deficit allow, cuts the
    /// path before its first saturated arc and returns the node to continue from.
    fn augment(&mut self, s: usize, t: usize, path: &mut Vec<u32>) -> usize {
        let mut delta = self.excess[s].min(-self.excess[t]);
        for &i in path.iter() {
            delta = delta.min(i128::from(self.zero_room[i as usize]));
        }
        // delta ≤ the room of an arc, so it fits in i64.
        let d = i64::try_from(delta).unwrap_or(0);
        for &i in path.iter() {
            let h = self.zero_half[i as usize];
            let e = (h >> 1) as usize;
            if h & 1 == 0 {
                self.rest[e] += d;
            } else {
                self.rest[e] -= d;
            }
            self.zero_room[i as usize] -= d;
            self.zero_room[self.zero_twin[i as usize] as usize] += d;
        }
        self.excess[s] -= i128::from(d);
        self.excess[t] += i128::from(d);
        match path.iter().position(|&i| self.zero_room[i as usize] == 0) {
            Some(k) => {
                let v = self.from(self.zero_half[path[k] as usize]);
                path.truncate(k);
                v
            }
            None => t,
        }
    }
}
