#![allow(clippy::unwrap_used)]
use super::graph;

#[test]
fn pruning_removes_chains_into_and_out_of_cycles() {
    // 0 → 1 → 2 → 0 is a cycle; 3 → 0 and 2 → 4 hang off it; 5 → 6 → 5 another cycle.
    let tail = [0, 1, 2, 3, 2, 5, 6];
    let head = [1, 2, 0, 0, 4, 6, 5];
    let alive = graph::prune(7, &tail, &head);
    assert_eq!(alive, [true, true, true, false, false, true, true]);
    let comp = graph::components(7, &tail, &head, &alive);
    assert_eq!(comp[0], comp[1]);
    assert_eq!(comp[1], comp[2]);
    assert_eq!(comp[5], comp[6]);
    assert_ne!(comp[0], comp[5]);
    assert_eq!(comp[3], graph::NONE);
}

#[test]
fn components_split_cycles_joined_by_one_arc() {
    // Two cycles joined by 2 → 3 only: two components, the joining arc clears nothing.
    let tail = [0, 1, 2, 3, 4, 2];
    let head = [1, 2, 0, 4, 3, 3];
    let alive = graph::prune(5, &tail, &head);
    assert!(alive.iter().all(|&a| a));
    let comp = graph::components(5, &tail, &head, &alive);
    assert_ne!(comp[2], comp[3]);
}

#[test]
fn deep_components_need_no_recursion() {
    let n = 200_000u32;
    let tail: Vec<u32> = (0..n).collect();
    let head: Vec<u32> = (0..n).map(|v| (v + 1) % n).collect();
    let alive = graph::prune(n as usize, &tail, &head);
    let comp = graph::components(n as usize, &tail, &head, &alive);
    assert!(comp.iter().all(|&c| c == 0));
}
