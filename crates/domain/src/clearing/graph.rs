//! The graph work before the min-cost flow: prune parties that cannot lie on a cycle, then split the
//! rest into strongly connected components (iterative Tarjan, no recursion).

/// "No component": a pruned party, or an index not yet assigned.
pub(crate) const NONE: u32 = u32::MAX;

/// Compressed adjacency: the arcs leaving (or entering) node `v` are
/// `arcs[start[v]..start[v + 1]]`.
struct Csr {
    start: Vec<u32>,
    arcs: Vec<u32>,
}

impl Csr {
    /// Groups arc indices by `key[e]` (a counting sort), keeping only arcs with `keep(e)`.
    fn build(n: usize, key: &[u32], keep: impl Fn(usize) -> bool) -> Self {
        let mut start = vec![0u32; n + 1];
        for (e, &k) in key.iter().enumerate() {
            if keep(e) {
                start[k as usize + 1] += 1;
            }
        }
        for v in 0..n {
            start[v + 1] += start[v];
        }
        let mut fill = start.clone();
        let mut arcs = vec![0u32; start[n] as usize];
        for (e, &k) in key.iter().enumerate() {
            if keep(e) {
                let slot = &mut fill[k as usize];
                arcs[*slot as usize] = e as u32;
                *slot += 1;
            }
        }
        Self { start, arcs }
    }

    /// The arcs of node `v`.
    #[inline]
    fn of(&self, v: usize) -> &[u32] {
        &self.arcs[self.start[v] as usize..self.start[v + 1] as usize]
    }
}

/// Removes, repeatedly, every node with no incoming or no outgoing arc among the nodes left:
/// no cycle can pass through it. Returns which nodes are still alive.
pub(crate) fn prune(n: usize, tail: &[u32], head: &[u32]) -> Vec<bool> {
    let out = Csr::build(n, tail, |e| tail[e] != head[e]);
    let inc = Csr::build(n, head, |e| tail[e] != head[e]);
    let mut out_deg: Vec<u32> = (0..n).map(|v| out.of(v).len() as u32).collect();
    let mut in_deg: Vec<u32> = (0..n).map(|v| inc.of(v).len() as u32).collect();
    let mut alive = vec![true; n];
    let mut queue: Vec<u32> = Vec::new();
    for v in 0..n {
        if out_deg[v] == 0 || in_deg[v] == 0 {
            alive[v] = false;
            queue.push(v as u32);
        }
    }
    // Each node enters the queue at most once, so this loop runs at most n times.
    while let Some(v) = queue.pop() {
        let v = v as usize;
        for &e in out.of(v) {
            let w = head[e as usize] as usize;
            in_deg[w] -= 1;
            if alive[w] && in_deg[w] == 0 {
                alive[w] = false;
                queue.push(w as u32);
            }
        }
        for &e in inc.of(v) {
            let u = tail[e as usize] as usize;
            out_deg[u] -= 1;
            if alive[u] && out_deg[u] == 0 {
                alive[u] = false;
                queue.push(u as u32);
            }
        }
    }
    alive
}

/// Tarjan's bookkeeping, one entry per node.
struct Tarjan {
    index: Vec<u32>,
    low: Vec<u32>,
    comp: Vec<u32>,
    on_stack: Vec<bool>,
    stack: Vec<u32>,
    /// The explicit call stack: a node and the position of its next arc to look at.
    calls: Vec<(u32, u32)>,
    counter: u32,
    comps: u32,
}

impl Tarjan {
    /// Numbers `v` and "calls" it.
    fn visit(&mut self, v: usize, first_arc: u32) {
        self.index[v] = self.counter;
        self.low[v] = self.counter;
        self.counter += 1;
        self.stack.push(v as u32);
        self.on_stack[v] = true;
        self.calls.push((v as u32, first_arc));
    }

    /// Pops the component rooted at `v` off the stack.
    fn close(&mut self, v: usize) {
        while let Some(w) = self.stack.pop() {
            self.on_stack[w as usize] = false;
            self.comp[w as usize] = self.comps;
            if w as usize == v {
                break;
            }
        }
        self.comps += 1;
    }
}

/// The strongly connected component of every alive node (`NONE` for dead ones), numbered
/// from 0, by Tarjan's algorithm with an explicit call stack.
pub(crate) fn components(n: usize, tail: &[u32], head: &[u32], alive: &[bool]) -> Vec<u32> {
    let live = |e: usize| alive[tail[e] as usize] && alive[head[e] as usize];
    let out = Csr::build(n, tail, live);
    let mut t = Tarjan {
        index: vec![NONE; n],
        low: vec![0; n],
        comp: vec![NONE; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        calls: Vec::new(),
        counter: 0,
        comps: 0,
    };
    for (root, &live) in alive.iter().enumerate() {
        if !live || t.index[root] != NONE {
            continue;
        }
        t.visit(root, out.start[root]);
        // Every arc is looked at once and every node pushed and popped once.
        while let Some(&(v, pos)) = t.calls.last() {
            let v = v as usize;
            if pos < out.start[v + 1] {
                if let Some(top) = t.calls.last_mut() {
                    top.1 += 1;
                }
                let w = head[out.arcs[pos as usize] as usize] as usize;
                if t.index[w] == NONE {
                    t.visit(w, out.start[w]);
                } else if t.on_stack[w] {
                    t.low[v] = t.low[v].min(t.index[w]);
                }
                continue;
            }
            t.calls.pop();
            if let Some(&(parent, _)) = t.calls.last() {
                let p = parent as usize;
                t.low[p] = t.low[p].min(t.low[v]);
            }
            if t.low[v] == t.index[v] {
                t.close(v);
            }
        }
    }
    t.comp
}
