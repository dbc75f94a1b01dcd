//! Instant run-off (one seat) on weighted ranked ballots.
//!
//! Each round counts every ballot, with its weight, for its most preferred option still in the
//! race; a ballot with no such option is exhausted and no longer counts. An option with more
//! than half of the continuing weight wins. Otherwise the option with the lowest count is
//! eliminated. A tie for elimination eliminates, among the tied, the one with the lowest
//! first-round count, and among those the highest option index (the latest listed).
//!
//! Two cases are left unresolved and reported as [`Outcome::Tie`]: no continuing ballot at all
//! (every remaining option tied at 0), and a final round of two options with exactly equal
//! counts (eliminating one by the tie-break would decide the winner without the voters).

use super::tally::{Outcome, to_options};

/// Runs the rounds; returns the outcome and the weighted counts of each round (one entry per
/// option, 0 for eliminated options). At most `options` rounds.
pub fn instant_runoff(options: usize, ballots: &[(&[u16], u128)]) -> (Outcome, Vec<Vec<u128>>) {
    let mut remaining = vec![true; options];
    let mut rounds: Vec<Vec<u128>> = Vec::new();
    for _ in 0..options.max(1) {
        let counts = count_round(&remaining, ballots);
        let first = rounds.first().cloned().unwrap_or_else(|| counts.clone());
        rounds.push(counts.clone());
        match decide(&remaining, &counts, &first) {
            Step::Done(outcome) => return (outcome, rounds),
            Step::Eliminate(o) => {
                if let Some(r) = remaining.get_mut(o) {
                    *r = false;
                }
            }
        }
    }
    let left: Vec<usize> = (0..options).filter(|&o| remaining[o]).collect();
    (Outcome::Tie(to_options(&left)), rounds)
}

enum Step {
    Done(Outcome),
    Eliminate(usize),
}

/// Weighted first preferences among the remaining options.
fn count_round(remaining: &[bool], ballots: &[(&[u16], u128)]) -> Vec<u128> {
    let mut counts = vec![0u128; remaining.len()];
    for (ranking, weight) in ballots {
        let top = ranking
            .iter()
            .map(|&o| usize::from(o))
            .find(|&o| remaining.get(o).copied().unwrap_or(false));
        if let Some(slot) = top.and_then(|o| counts.get_mut(o)) {
            *slot += weight;
        }
    }
    counts
}

fn decide(remaining: &[bool], counts: &[u128], first: &[u128]) -> Step {
    let alive: Vec<usize> = (0..remaining.len()).filter(|&o| remaining[o]).collect();
    let total: u128 = alive.iter().map(|&o| counts[o]).sum();
    if total == 0 {
        return Step::Done(Outcome::Tie(to_options(&alive)));
    }
    if let Some(&winner) = alive.iter().find(|&&o| counts[o] * 2 > total) {
        return Step::Done(Outcome::Elected(to_options(&[winner])));
    }
    if let [a, b] = alive[..]
        && counts[a] == counts[b]
    {
        return Step::Done(Outcome::Tie(to_options(&alive)));
    }
    // Lowest count, then lowest first-round count, then highest index.
    let loser = alive.iter().copied().min_by(|&a, &b| {
        (counts[a], first[a])
            .cmp(&(counts[b], first[b]))
            .then(b.cmp(&a))
    });
    match loser {
        Some(o) => Step::Eliminate(o),
        None => Step::Done(Outcome::Tie(Vec::new())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(groups: &[(u128, &[u16])], options: usize) -> (Outcome, Vec<Vec<u128>>) {
        let ballots: Vec<(&[u16], u128)> = groups.iter().map(|&(w, r)| (r, w)).collect();
        instant_runoff(options, &ballots)
    }

    /// 24 voters: A 8, B 7, C 5, D 4 first. D out (its ballots go to C), then B (to C):
    /// C wins the third round 16 to 8 although A led the first.
    #[test]
    fn hand_checked_three_rounds() {
        let (a, b, c, d) = (0, 1, 2, 3);
        let groups: [(u128, &[u16]); 4] = [
            (8, &[a, b, c]),
            (7, &[b, c, a]),
            (5, &[c, b, a]),
            (4, &[d, c, b]),
        ];
        let (outcome, rounds) = run(&groups, 4);
        assert_eq!(outcome, Outcome::Elected(vec![2]));
        assert_eq!(
            rounds,
            vec![vec![8, 7, 5, 4], vec![8, 7, 9, 0], vec![8, 0, 16, 0]]
        );
    }

    #[test]
    fn exhausted_ballots_leave_the_count() {
        // Round 1: A 4, B 3, C 2. C out; its ballots rank nobody else: exhausted.
        // Round 2: A 4 of 7 continuing > half: A wins.
        let groups: [(u128, &[u16]); 3] = [(4, &[0]), (3, &[1]), (2, &[2])];
        let (outcome, rounds) = run(&groups, 3);
        assert_eq!(outcome, Outcome::Elected(vec![0]));
        assert_eq!(rounds[1], vec![4, 3, 0]);
    }

    #[test]
    fn elimination_tie_uses_first_round_then_highest_index() {
        // Round 1: A 6, B 4, C 3, D 1 (14). D out, to C: A 6, B 4, C 4. B and C tie for
        // elimination; C had fewer first preferences (3 < 4), so C goes: its ballots to A,
        // D's to B. Round 3: A 9 of 14 wins (eliminating B instead would have elected C).
        let groups: [(u128, &[u16]); 4] = [(6, &[0]), (4, &[1, 2]), (3, &[2, 0]), (1, &[3, 2, 1])];
        let (outcome, rounds) = run(&groups, 4);
        assert_eq!(rounds[1], vec![6, 4, 4, 0]);
        assert_eq!(rounds[2], vec![9, 5, 0, 0]);
        assert_eq!(outcome, Outcome::Elected(vec![0]));
        // Equal everywhere: the highest index goes first, then A and B tie in the final.
        let groups: [(u128, &[u16]); 3] = [(2, &[0]), (2, &[1]), (2, &[2])];
        let (outcome, rounds) = run(&groups, 3);
        assert_eq!(rounds[1], vec![2, 2, 0]);
        assert_eq!(outcome, Outcome::Tie(vec![0, 1]));
    }

    #[test]
    fn no_ballots_is_a_tie() {
        let (outcome, _) = run(&[], 2);
        assert_eq!(outcome, Outcome::Tie(vec![0, 1]));
    }
}
