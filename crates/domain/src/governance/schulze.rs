//! The Schulze method on weighted ranked ballots, with winning-votes strength.
//!
//! Following M. Schulze, "A new monotonic, clone-independent, reversal symmetric, and
//! Condorcet-consistent single-winner election method" (Social Choice and Welfare, 2011):
//! `d[i][j]` is the weight of the ballots ranking `i` above `j` (a ballot ranks every ranked
//! option above every unranked one, and unranked options equal to each other); a link
//! `i → j` has strength `d[i][j]` if `d[i][j] > d[j][i]`, else 0; `p[i][j]` is the strength of
//! the strongest (widest) path from `i` to `j`, computed by a Floyd–Warshall variant in
//! `O(options³)`. The relation "`i` beats `j`" iff `p[i][j] > p[j][i]` is transitive.
//!
//! Several seats: this module returns the Schulze *ranking*, not a proportional Schulze STV
//! committee. It repeatedly takes the options that no remaining option beats; when such a group
//! of equals fits in the seats left they are all elected (listed by index), and when it is
//! larger than the seats left the result is [`Outcome::Tie`] between its members.

use super::tally::{Outcome, to_options};

/// Weighted pairwise preferences: `d[i][j]` = total weight of the ballots preferring `i` to `j`.
///
/// Each ballot lists distinct options below `options` (checked by the tally); an option out of
/// range is ignored. Cost `O(len × options)` per ballot.
pub fn pairwise(options: usize, ballots: &[(&[u16], u128)]) -> Vec<Vec<u128>> {
    let mut d = vec![vec![0u128; options]; options];
    let mut seen = vec![false; options];
    for (ranking, weight) in ballots {
        add_ballot(&mut d, &mut seen, ranking, *weight);
        for &o in ranking.iter() {
            if let Some(s) = seen.get_mut(usize::from(o)) {
                *s = false;
            }
        }
    }
    d
}

/// Each ranked option beats every option not yet seen (ranked lower or unranked).
fn add_ballot(d: &mut [Vec<u128>], seen: &mut [bool], ranking: &[u16], weight: u128) {
    for &option in ranking {
        let a = usize::from(option);
        let (Some(row), Some(s)) = (d.get_mut(a), seen.get_mut(a)) else {
            continue;
        };
        *s = true;
        for (cell, &was_seen) in row.iter_mut().zip(seen.iter()) {
            if !was_seen {
                *cell += weight;
            }
        }
    }
}

/// Strongest path strengths `p[i][j]` (winning votes; diagonal 0).
pub fn strongest_paths(d: &[Vec<u128>]) -> Vec<Vec<u128>> {
    let n = d.len();
    let at = |i: usize, j: usize| d.get(i).and_then(|row| row.get(j)).copied().unwrap_or(0);
    let mut p = vec![vec![0u128; n]; n];
    for (i, row) in p.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            if i != j && at(i, j) > at(j, i) {
                *cell = at(i, j);
            }
        }
    }
    for i in 0..n {
        widen_through(&mut p, i);
    }
    p
}

/// One Floyd–Warshall step: allow paths through `i`.
fn widen_through(p: &mut [Vec<u128>], i: usize) {
    let through: Vec<u128> = p.get(i).cloned().unwrap_or_default();
    for (j, row) in p.iter_mut().enumerate() {
        if j == i {
            continue;
        }
        let to_i = row.get(i).copied().unwrap_or(0);
        if to_i == 0 {
            continue;
        }
        for (k, cell) in row.iter_mut().enumerate() {
            if k != i && k != j {
                let via = to_i.min(through.get(k).copied().unwrap_or(0));
                *cell = (*cell).max(via);
            }
        }
    }
}

/// Whether `a` beats `b` in the Schulze relation.
fn beats(p: &[Vec<u128>], a: usize, b: usize) -> bool {
    let at = |i: usize, j: usize| p.get(i).and_then(|row| row.get(j)).copied().unwrap_or(0);
    at(a, b) > at(b, a)
}

/// The options of `remaining` that no other option of `remaining` beats (never empty when
/// `remaining` is not, as the relation is a strict partial order).
pub fn unbeaten(p: &[Vec<u128>], remaining: &[usize]) -> Vec<usize> {
    remaining
        .iter()
        .copied()
        .filter(|&a| !remaining.iter().any(|&b| beats(p, b, a)))
        .collect()
}

/// The `seats` first options of the Schulze ranking, or a tie for the last seat(s).
pub fn elect(p: &[Vec<u128>], seats: usize) -> Outcome {
    let mut remaining: Vec<usize> = (0..p.len()).collect();
    let mut elected = Vec::new();
    for _ in 0..p.len() {
        let left = seats.saturating_sub(elected.len());
        if left == 0 || remaining.is_empty() {
            break;
        }
        let top = unbeaten(p, &remaining);
        if top.is_empty() || top.len() > left {
            let tied = if top.is_empty() { remaining } else { top };
            return Outcome::Tie(to_options(&tied));
        }
        remaining.retain(|o| !top.contains(o));
        elected.extend(top);
    }
    Outcome::Elected(to_options(&elected))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expands (count, ranking as letters) into unit-weight ballots.
    fn ballots(groups: &[(u128, &str)]) -> Vec<(Vec<u16>, u128)> {
        groups
            .iter()
            .map(|&(n, s)| {
                let ranking = s.bytes().map(|b| u16::from(b - b'A')).collect();
                (ranking, n)
            })
            .collect()
    }

    fn matrix(groups: &[(u128, &str)], options: usize) -> Vec<Vec<u128>> {
        let owned = ballots(groups);
        let refs: Vec<(&[u16], u128)> = owned.iter().map(|(r, w)| (r.as_slice(), *w)).collect();
        pairwise(options, &refs)
    }

    const WIKIPEDIA: [(u128, &str); 8] = [
        (5, "ACBED"),
        (5, "ADECB"),
        (8, "BEDAC"),
        (3, "CABED"),
        (7, "CAEBD"),
        (2, "CBADE"),
        (7, "DCEBA"),
        (8, "EBADC"),
    ];

    #[test]
    fn wikipedia_example_pairwise_paths_and_ranking() {
        let d = matrix(&WIKIPEDIA, 5);
        let expected_d = [
            [0, 20, 26, 30, 22],
            [25, 0, 16, 33, 18],
            [19, 29, 0, 17, 24],
            [15, 12, 28, 0, 14],
            [23, 27, 21, 31, 0],
        ];
        for (row, expected) in d.iter().zip(expected_d) {
            assert_eq!(row.as_slice(), expected.as_slice());
        }
        let p = strongest_paths(&d);
        let expected_p = [
            [0, 28, 28, 30, 24],
            [25, 0, 28, 33, 24],
            [25, 29, 0, 29, 24],
            [25, 28, 28, 0, 24],
            [25, 28, 28, 31, 0],
        ];
        for (row, expected) in p.iter().zip(expected_p) {
            assert_eq!(row.as_slice(), expected.as_slice());
        }
        // E > A > C > B > D
        assert_eq!(elect(&p, 1), Outcome::Elected(vec![4]));
        assert_eq!(elect(&p, 5), Outcome::Elected(vec![4, 0, 2, 1, 3]));
    }

    /// Schulze (2011), section 3.1, example 1: 21 voters, winner D, ranking D > A > C > B.
    #[test]
    fn schulze_paper_example_one() {
        let groups = [
            (8, "ACDB"),
            (2, "BADC"),
            (4, "CDBA"),
            (4, "DBAC"),
            (3, "DCBA"),
        ];
        let d = matrix(&groups, 4);
        assert_eq!(d[0][1], 8);
        assert_eq!(d[1][0], 13);
        assert_eq!(d[2][3], 12);
        assert_eq!(d[3][1], 19);
        let p = strongest_paths(&d);
        assert_eq!(p[0][1], 14);
        assert_eq!(p[3][0], 13);
        assert_eq!(p[0][3], 12);
        assert_eq!(elect(&p, 4), Outcome::Elected(vec![3, 0, 2, 1]));
    }

    #[test]
    fn partial_rankings_put_unranked_last_and_equal() {
        let d = matrix(&[(1, "B")], 3);
        assert_eq!(d[1], vec![1, 0, 1]);
        assert_eq!(d[0][2], 0);
        assert_eq!(d[2][0], 0);
        let p = strongest_paths(&d);
        // A and C are tied for second place: a second seat is an unresolved tie.
        assert_eq!(elect(&p, 1), Outcome::Elected(vec![1]));
        assert_eq!(elect(&p, 2), Outcome::Tie(vec![0, 2]));
        assert_eq!(elect(&p, 3), Outcome::Elected(vec![1, 0, 2]));
    }

    #[test]
    fn perfect_cycle_is_a_tie() {
        let d = matrix(&[(1, "ABC"), (1, "BCA"), (1, "CAB")], 3);
        let p = strongest_paths(&d);
        assert_eq!(elect(&p, 1), Outcome::Tie(vec![0, 1, 2]));
    }
}
