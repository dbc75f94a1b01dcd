//! A primal network simplex for one strongly connected component, written for the clearing
//! graph: every real arc costs −1 (one unit of debt set off), supplies are all zero (a
//! circulation), so the artificial root arcs cost 0 and can never carry flow.
//!
//! The spanning-tree bookkeeping (parent, predecessor arc and its direction, preorder thread
//! and its reverse, subtree sizes, last successor) and the block-search pivot rule follow
//! LEMON's `NetworkSimplex` (Kovács 2015), which keeps the tree *strongly feasible*: the
//! leaving arc is the last blocking arc met on the cycle, so the method terminates without
//! cycling even on the many degenerate pivots of a zero-flow start.

/// "No node": the parent of the root.
const NONE: u32 = u32::MAX;
/// An arc at its lower bound (zero flow) that may enter by increasing its flow.
const LOWER: i8 = 1;
/// An arc of the spanning tree.
const TREE: i8 = 0;
/// An arc at its upper bound (flow = capacity) that may enter by decreasing its flow.
const UPPER: i8 = -1;
/// The predecessor arc of a node points from the node to its parent.
const UP: i8 = 1;
/// The predecessor arc of a node points from its parent to the node.
const DOWN: i8 = -1;

/// The simplex stopped before optimality: more pivots than the safety bound allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PivotLimit(pub u64);

/// A circulation problem on `n` nodes with arcs of cost −1 and capacities `cap`, and the
/// spanning-tree state of its network simplex (struct of arrays, `u32` indices).
pub(crate) struct Simplex {
    /// Real nodes; the artificial root is node `n`.
    n: usize,
    /// Real arcs; arc `m + u` is the artificial arc `u → root`.
    m: usize,
    source: Vec<u32>,
    target: Vec<u32>,
    cap: Vec<i64>,
    flow: Vec<i64>,
    state: Vec<i8>,
    parent: Vec<u32>,
    pred: Vec<u32>,
    pred_dir: Vec<i8>,
    thread: Vec<u32>,
    rev_thread: Vec<u32>,
    succ_num: Vec<u32>,
    last_succ: Vec<u32>,
    pi: Vec<i64>,
    dirty_revs: Vec<u32>,
    block_size: usize,
    next_arc: usize,
}

/// The entering arc's cycle: where it joins, its orientation and the leaving node.
#[derive(Default)]
struct Pivot {
    in_arc: usize,
    join: usize,
    u_in: usize,
    v_in: usize,
    u_out: usize,
    delta: i64,
}

impl Simplex {
    /// A problem on `n` nodes whose arc `e` runs `source[e] → target[e]` with capacity
    /// `cap[e] > 0`; all indices must be below `n`.
    pub(crate) fn new(n: usize, source: Vec<u32>, target: Vec<u32>, cap: Vec<i64>) -> Self {
        let m = cap.len();
        let mut s = Self {
            n,
            m,
            source,
            target,
            cap,
            flow: vec![0; m + n],
            state: vec![LOWER; m + n],
            parent: vec![0; n + 1],
            pred: vec![0; n + 1],
            pred_dir: vec![UP; n + 1],
            thread: vec![0; n + 1],
            rev_thread: vec![0; n + 1],
            succ_num: vec![1; n + 1],
            last_succ: vec![0; n + 1],
            pi: vec![0; n + 1],
            dirty_revs: Vec::new(),
            block_size: ((m as f64).sqrt().ceil() as usize).max(10),
            next_arc: 0,
        };
        s.init_tree();
        s
    }

    /// The starting tree: every node hangs from the root by its artificial arc, all flows zero.
    fn init_tree(&mut self) {
        let (n, root) = (self.n, self.n as u32);
        self.source.reserve_exact(n);
        self.target.reserve_exact(n);
        for u in 0..n {
            let u32_ = u as u32;
            self.source.push(u32_);
            self.target.push(root);
            self.state[self.m + u] = TREE;
            self.parent[u] = root;
            self.pred[u] = (self.m + u) as u32;
            self.thread[u] = u32_ + 1;
            self.rev_thread[u + 1] = u32_;
            self.last_succ[u] = u32_;
        }
        self.parent[n] = NONE;
        self.pred[n] = NONE;
        self.thread[n] = 0;
        self.rev_thread[0] = root;
        self.succ_num[n] = (n + 1) as u32;
        self.last_succ[n] = if n == 0 { root } else { root - 1 };
    }

    /// Cost of arc `e`: −1 for a real arc, 0 for an artificial one.
    #[inline]
    fn cost(&self, e: usize) -> i64 {
        if e < self.m { -1 } else { 0 }
    }

    /// Runs pivots until no arc has a negative reduced cost, or `max_pivots` is reached.
    pub(crate) fn solve(&mut self, max_pivots: u64) -> Result<u64, PivotLimit> {
        if self.m == 0 {
            return Ok(0);
        }
        let mut pivots = 0u64;
        while let Some(in_arc) = self.find_entering_arc() {
            if pivots >= max_pivots {
                return Err(PivotLimit(pivots));
            }
            pivots += 1;
            let mut p = Pivot {
                in_arc,
                ..Pivot::default()
            };
            p.join = self.find_join_node(in_arc);
            let change = self.find_leaving_arc(&mut p);
            self.change_flow(&p, change);
            if change {
                self.update_tree(&p);
                self.update_potential(&p);
            }
        }
        Ok(pivots)
    }

    /// The flows of the real arcs, in input order.
    pub(crate) fn into_flows(mut self) -> Vec<i64> {
        self.flow.truncate(self.m);
        self.flow
    }

    /// Block search: scans arcs from where the last search stopped, one block of about √m arcs
    /// at a time, and returns the most violating arc of the first block that has one.
    fn find_entering_arc(&mut self) -> Option<usize> {
        let m = self.m;
        let mut min = 0i64;
        let mut best = usize::MAX;
        let mut count = self.block_size;
        let mut e = self.next_arc;
        for _ in 0..m {
            let c = i64::from(self.state[e])
                * (self.pi[self.source[e] as usize] - 1 - self.pi[self.target[e] as usize]);
            if c < min {
                min = c;
                best = e;
            }
            count -= 1;
            if count == 0 {
                if min < 0 {
                    self.next_arc = e;
                    return Some(best);
                }
                count = self.block_size;
            }
            e += 1;
            if e == m {
                e = 0;
            }
        }
        if min < 0 {
            self.next_arc = e;
            Some(best)
        } else {
            None
        }
    }

    /// The nearest common ancestor of the entering arc's ends.
    fn find_join_node(&self, in_arc: usize) -> usize {
        let mut u = self.source[in_arc] as usize;
        let mut v = self.target[in_arc] as usize;
        while u != v {
            if self.succ_num[u] < self.succ_num[v] {
                u = self.parent[u] as usize;
            } else {
                v = self.parent[v] as usize;
            }
        }
        u
    }

    /// Residual capacity of `u`'s predecessor arc in the direction `dir` of the cycle.
    #[inline]
    fn residual(&self, u: usize, increasing_dir: i8) -> i64 {
        let e = self.pred[u] as usize;
        let f = self.flow[e];
        if self.pred_dir[u] == increasing_dir {
            if e < self.m { self.cap[e] - f } else { i64::MAX }
        } else {
            f
        }
    }

    /// Finds the blocking arc of the cycle (the last one met, for a strongly feasible tree) and
    /// the augmentation `delta`; false when the entering arc itself blocks.
    fn find_leaving_arc(&self, p: &mut Pivot) -> bool {
        let e = p.in_arc;
        let (first, second) = if self.state[e] == LOWER {
            (self.source[e] as usize, self.target[e] as usize)
        } else {
            (self.target[e] as usize, self.source[e] as usize)
        };
        p.delta = self.cap[e];
        let mut result = 0;
        let mut u = first;
        while u != p.join {
            let d = self.residual(u, DOWN);
            if d < p.delta {
                p.delta = d;
                p.u_out = u;
                result = 1;
            }
            u = self.parent[u] as usize;
        }
        u = second;
        while u != p.join {
            let d = self.residual(u, UP);
            if d <= p.delta {
                p.delta = d;
                p.u_out = u;
                result = 2;
            }
            u = self.parent[u] as usize;
        }
        if result == 1 {
            (p.u_in, p.v_in) = (first, second);
        } else {
            (p.u_in, p.v_in) = (second, first);
        }
        result != 0
    }

    /// Augments `delta` around the cycle and updates the entering and leaving arcs' states.
    fn change_flow(&mut self, p: &Pivot, change: bool) {
        let e = p.in_arc;
        if p.delta > 0 {
            let val = i64::from(self.state[e]) * p.delta;
            self.flow[e] += val;
            let mut u = self.source[e] as usize;
            while u != p.join {
                let a = self.pred[u] as usize;
                self.flow[a] -= i64::from(self.pred_dir[u]) * val;
                u = self.parent[u] as usize;
            }
            u = self.target[e] as usize;
            while u != p.join {
                let a = self.pred[u] as usize;
                self.flow[a] += i64::from(self.pred_dir[u]) * val;
                u = self.parent[u] as usize;
            }
        }
        if change {
            self.state[e] = TREE;
            let out = self.pred[p.u_out] as usize;
            self.state[out] = if self.flow[out] == 0 { LOWER } else { UPPER };
        } else {
            self.state[e] = -self.state[e];
        }
    }

    /// Replaces the leaving arc by the entering one: re-hangs the subtree of `u_out` below
    /// `v_in` through the stem `u_in … u_out`, fixing thread, parents and subtree data.
    fn update_tree(&mut self, p: &Pivot) {
        let (u_in, v_in, u_out, join) = (p.u_in, p.v_in, p.u_out, p.join);
        let old_rev_thread = self.rev_thread[u_out] as usize;
        let old_succ_num = self.succ_num[u_out];
        let old_last_succ = self.last_succ[u_out] as usize;
        let v_out = self.parent[u_out] as usize;

        if u_in == u_out {
            self.parent[u_in] = v_in as u32;
            self.pred[u_in] = p.in_arc as u32;
            self.pred_dir[u_in] = self.dir_of(u_in, p.in_arc);
            if self.thread[v_in] as usize != u_out {
                let mut after = self.thread[old_last_succ] as usize;
                self.link(old_rev_thread, after);
                after = self.thread[v_in] as usize;
                self.link(v_in, u_out);
                self.link(old_last_succ, after);
            }
        } else {
            self.move_stem(p, old_rev_thread);
            self.reverse_stem(p, old_succ_num);
        }

        self.update_last_succ(p, v_out, old_rev_thread, old_last_succ);
        let mut u = v_in;
        while u != join {
            self.succ_num[u] += old_succ_num;
            u = self.parent[u] as usize;
        }
        u = v_out;
        while u != join {
            self.succ_num[u] -= old_succ_num;
            u = self.parent[u] as usize;
        }
    }

    /// Sets `thread[a] = b` and `rev_thread[b] = a`.
    #[inline]
    fn link(&mut self, a: usize, b: usize) {
        self.thread[a] = b as u32;
        self.rev_thread[b] = a as u32;
    }

    /// Direction of arc `e` seen from its end `u` as a predecessor arc.
    #[inline]
    fn dir_of(&self, u: usize, e: usize) -> i8 {
        if self.source[e] as usize == u { UP } else { DOWN }
    }

    /// Thread and parent updates along the stem nodes between `u_in` and `u_out`.
    fn move_stem(&mut self, p: &Pivot, old_rev_thread: usize) {
        let (u_in, v_in, u_out) = (p.u_in, p.v_in, p.u_out);
        let thread_continue = if old_rev_thread == v_in {
            self.thread[self.last_succ[u_out] as usize] as usize
        } else {
            self.thread[v_in] as usize
        };
        let mut stem = u_in;
        let mut par_stem = v_in;
        let mut last = self.last_succ[u_in] as usize;
        let mut after = self.thread[last] as usize;
        self.thread[v_in] = u_in as u32;
        self.dirty_revs.clear();
        self.dirty_revs.push(v_in as u32);
        while stem != u_out {
            let next_stem = self.parent[stem] as usize;
            self.thread[last] = next_stem as u32;
            self.dirty_revs.push(last as u32);
            let before = self.rev_thread[stem] as usize;
            self.link(before, after);
            self.parent[stem] = par_stem as u32;
            par_stem = stem;
            stem = next_stem;
            last = if self.last_succ[stem] == self.last_succ[par_stem] {
                self.rev_thread[par_stem] as usize
            } else {
                self.last_succ[stem] as usize
            };
            after = self.thread[last] as usize;
        }
        self.parent[u_out] = par_stem as u32;
        self.link(last, thread_continue);
        self.last_succ[u_out] = last as u32;
        if old_rev_thread != v_in {
            self.link(old_rev_thread, after);
        }
        for i in 0..self.dirty_revs.len() {
            let u = self.dirty_revs[i] as usize;
            let t = self.thread[u] as usize;
            self.rev_thread[t] = u as u32;
        }
    }

    /// Reverses predecessor arcs, subtree sizes and last successors along the stem.
    fn reverse_stem(&mut self, p: &Pivot, old_succ_num: u32) {
        let u_in = p.u_in;
        let mut tmp_sc: u32 = 0;
        let tmp_ls = self.last_succ[p.u_out];
        let mut u = p.u_out;
        while u != u_in {
            let par = self.parent[u] as usize;
            self.pred[u] = self.pred[par];
            self.pred_dir[u] = -self.pred_dir[par];
            tmp_sc = tmp_sc
                .wrapping_add(self.succ_num[u])
                .wrapping_sub(self.succ_num[par]);
            self.succ_num[u] = tmp_sc;
            self.last_succ[par] = tmp_ls;
            u = par;
        }
        self.pred[u_in] = p.in_arc as u32;
        self.pred_dir[u_in] = self.dir_of(u_in, p.in_arc);
        self.succ_num[u_in] = old_succ_num;
    }

    /// Last-successor updates on the paths from `v_in` and `v_out` towards the root.
    fn update_last_succ(
        &mut self,
        p: &Pivot,
        v_out: usize,
        old_rev_thread: usize,
        old_last_succ: usize,
    ) {
        let (v_in, join) = (p.v_in, p.join);
        let up_limit_out = if self.last_succ[join] as usize == v_in {
            join
        } else {
            NONE as usize
        };
        let last_succ_out = self.last_succ[p.u_out];
        let mut u = v_in;
        while u != NONE as usize && self.last_succ[u] as usize == v_in {
            self.last_succ[u] = last_succ_out;
            u = self.parent[u] as usize;
        }
        let replacement = if join != old_rev_thread && v_in != old_rev_thread {
            Some(old_rev_thread as u32)
        } else if last_succ_out as usize != old_last_succ {
            Some(last_succ_out)
        } else {
            None
        };
        if let Some(r) = replacement {
            let mut u = v_out;
            while u != up_limit_out && self.last_succ[u] as usize == old_last_succ {
                self.last_succ[u] = r;
                u = self.parent[u] as usize;
            }
        }
    }

    /// Shifts the potentials of the moved subtree so the entering arc's reduced cost is zero.
    fn update_potential(&mut self, p: &Pivot) {
        let sigma = self.pi[p.v_in]
            - self.pi[p.u_in]
            - i64::from(self.pred_dir[p.u_in]) * self.cost(p.in_arc);
        let end = self.thread[self.last_succ[p.u_in] as usize] as usize;
        let mut u = p.u_in;
        while u != end {
            self.pi[u] += sigma;
            u = self.thread[u] as usize;
        }
    }
}
