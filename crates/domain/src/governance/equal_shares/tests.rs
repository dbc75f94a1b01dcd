use super::*;
use proptest::prelude::*;

fn projects(costs: &[i64]) -> Vec<Project> {
    costs
        .iter()
        .map(|&cost_minor| Project { cost_minor })
        .collect()
}

/// `count` voters approving `list`, appended to `ballots`.
fn voters(ballots: &mut Vec<Vec<usize>>, count: usize, list: &[usize]) {
    ballots.extend(std::iter::repeat_n(list.to_vec(), count));
}

/// The motivating example of equalshares.net and of the Wikipedia / electowiki article:
/// 51% approve 10 "red" projects, 49% approve 10 "blue" ones, the money suffices for 10.
/// Greedy funds the 10 red projects; Equal Shares funds 5 red and 5 blue (here after one
/// Add1 step: at 10 per voter the blue voters afford only 4).
#[test]
fn red_and_blue_published_outcome() {
    let costs = projects(&[100; 20]);
    let mut ballots = Vec::new();
    voters(&mut ballots, 51, &(0..10).collect::<Vec<_>>());
    voters(&mut ballots, 49, &(10..20).collect::<Vec<_>>());
    let mes = equal_shares(1_000, &costs, &ballots).unwrap();
    assert_eq!(mes.selected, vec![0, 1, 2, 3, 4, 10, 11, 12, 13, 14]);
    assert_eq!(mes.spent_minor, 1_000);
    let greedy = greedy(1_000, &costs, &ballots).unwrap();
    assert_eq!(greedy.selected, (0..10).collect::<Vec<_>>());
    // Without completion the blue voters' 490 pay for 4 projects only.
    let (budget, instance) = parse(1_000, &costs, &ballots).unwrap();
    let run = fixed_budget(&instance, budget);
    assert_eq!(run.selected, vec![0, 1, 2, 3, 4, 10, 11, 12, 13]);
}

/// A majority bloc and a minority: greedy spends everything on the majority's projects,
/// Equal Shares funds the minority's project with the minority's share of the money.
#[test]
fn majority_bloc_against_minority() {
    let costs = projects(&[30, 30, 30, 30]);
    let mut ballots = Vec::new();
    voters(&mut ballots, 6, &[0, 1, 2]);
    voters(&mut ballots, 4, &[3]);
    let mes = equal_shares(100, &costs, &ballots).unwrap();
    assert_eq!(mes.selected, vec![0, 1, 3]);
    assert_eq!(mes.spent_minor, 90);
    let greedy = greedy(100, &costs, &ballots).unwrap();
    assert_eq!(greedy.selected, vec![0, 1, 2]);
}

/// The example election of equalshares.net's computation page (.pb format section): budget
/// 100,000; projects 5,000, 10,000, 85,000; votes {1,2}, {1}, {3}, {1,2,3}. Hand-checked: at
/// 25,000 per voter project 3's two supporters hold 43,333 < 85,000, so the rule alone funds
/// projects 1 and 2; Add1 raises the per-voter budget until project 3 is affordable
/// (≥ 45,833.33 per voter) and the outcome, costing exactly 100,000, still fits.
#[test]
fn equalshares_net_example_file() {
    let costs = projects(&[5_000, 10_000, 85_000]);
    let ballots = vec![vec![0, 1], vec![0], vec![2], vec![0, 1, 2]];
    let (budget, instance) = parse(100_000, &costs, &ballots).unwrap();
    assert_eq!(fixed_budget(&instance, budget).selected, vec![0, 1]);
    let mes = equal_shares(100_000, &costs, &ballots).unwrap();
    assert_eq!(mes.selected, vec![0, 1, 2]);
    assert_eq!(mes.spent_minor, 100_000);
}

/// Cost utilities order projects by the price per unit of cost, not by the share itself:
/// approval utilities would take project 1 (share 20) before project 0 (share 75).
#[test]
fn cost_utilities_compare_price_per_cost() {
    // 10 voters, budget 1,000 (100 each). Project 0 costs 600, 8 supporters: share 75,
    // ρ = 75/600 = 0.125. Project 1 costs 40, 2 supporters: share 20, ρ = 0.5.
    // Project 0 first; its supporters keep 25 each, enough for project 1 next.
    let costs = projects(&[600, 40]);
    let mut ballots = Vec::new();
    voters(&mut ballots, 2, &[0, 1]);
    voters(&mut ballots, 6, &[0]);
    voters(&mut ballots, 2, &[]);
    let (budget, instance) = parse(1_000, &costs, &ballots).unwrap();
    let run = fixed_budget(&instance, budget);
    assert_eq!(run.selected, vec![0, 1]);
    // Voters 0 and 1 paid 75 + 20 minor units (in units of 1/10).
    assert_eq!(run.spent_per_voter[0], 950);
    assert_eq!(run.spent_per_voter[2], 750);
    assert_eq!(run.spent_per_voter[9], 0);
}

#[test]
fn rejects_bad_input() {
    let ok = projects(&[10]);
    let code = |r: Result<Selection, Invalid>| r.err().map(|e| e.code);
    assert_eq!(
        code(equal_shares(-1, &ok, &[])),
        Some("governance_budget_out_of_range")
    );
    assert_eq!(
        code(equal_shares(10, &projects(&[0]), &[])),
        Some("governance_project_cost_out_of_range")
    );
    assert_eq!(
        code(greedy(10, &projects(&[MAX_COST_MINOR + 1]), &[])),
        Some("governance_project_cost_out_of_range")
    );
    assert_eq!(
        code(equal_shares(10, &ok, &[vec![1]])),
        Some("governance_project_unknown")
    );
    assert_eq!(
        code(equal_shares(10, &ok, &[vec![0, 0]])),
        Some("governance_approval_duplicate")
    );
    let many = projects(&vec![1; MAX_PROJECTS + 1]);
    assert_eq!(
        code(equal_shares(10, &many, &[])),
        Some("governance_projects_too_many")
    );
    assert_eq!(
        equal_shares(10, &ok, &[]).unwrap(),
        Selection {
            selected: vec![],
            spent_minor: 0
        }
    );
}

fn instance_strategy() -> impl Strategy<Value = (i64, Vec<Project>, Vec<Vec<usize>>)> {
    (1usize..7).prop_flat_map(|m| {
        (
            0i64..600,
            prop::collection::vec((1i64..200).prop_map(|cost_minor| Project { cost_minor }), m),
            prop::collection::vec(prop::collection::btree_set(0..m, 0..=m), 0..15)
                .prop_map(|v| v.into_iter().map(|s| s.into_iter().collect()).collect()),
        )
    })
}

proptest! {
    #[test]
    fn never_over_budget((budget, costs, ballots) in instance_strategy()) {
        for rule in [equal_shares, greedy] {
            let s = rule(budget, &costs, &ballots).unwrap();
            let sum: i64 = s.selected.iter().map(|&p| costs[p].cost_minor).sum();
            prop_assert_eq!(sum, s.spent_minor);
            prop_assert!(s.spent_minor <= budget);
            let mut sorted = s.selected.clone();
            sorted.sort_unstable();
            sorted.dedup();
            prop_assert_eq!(sorted.len(), s.selected.len());
        }
    }

    /// Every selected project is paid in full by its supporters only, and nobody spends more
    /// than an equal share of the budget (`budget` units of 1/n minor unit).
    #[test]
    fn supporters_pay_within_their_share((budget, costs, ballots) in instance_strategy()) {
        let (budget, instance) = parse(budget, &costs, &ballots).unwrap();
        let run = fixed_budget(&instance, budget);
        let n = ballots.len() as u128;
        for (p, &paid) in run.paid_per_project.iter().enumerate() {
            if run.selected.contains(&p) {
                prop_assert!(paid >= instance.costs[p] * n);
                // Rounding up costs each supporter less than one unit.
                prop_assert!(paid < instance.costs[p] * n + n.max(1));
            } else {
                prop_assert_eq!(paid, 0);
            }
        }
        for (v, &spent) in run.spent_per_voter.iter().enumerate() {
            prop_assert!(spent <= budget);
            let supported: u128 = run.selected.iter().filter(|p| ballots[v].contains(p)).count() as u128;
            if supported == 0 {
                prop_assert_eq!(spent, 0);
            }
        }
        let total: u128 = run.spent_per_voter.iter().sum();
        prop_assert_eq!(total, run.paid_per_project.iter().sum::<u128>());
    }
}

/// A district-sized ballot (3,000 voters, 60 projects, pseudo-random approvals) completes
/// quickly and within budget, with Add1 scanning in coarse steps.
#[test]
fn district_sized_instance() {
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |m: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % m
    };
    let costs: Vec<Project> = (0..60)
        .map(|_| Project {
            cost_minor: 100_000 + i64::try_from(next(2_000_000)).unwrap(),
        })
        .collect();
    let ballots: Vec<Vec<usize>> = (0..3_000)
        .map(|_| {
            let mut b: Vec<usize> = (0..60).filter(|&p| next(60) < 4 + (p as u64 % 7)).collect();
            b.dedup();
            b
        })
        .collect();
    let budget = 10_000_000;
    let mes = equal_shares(budget, &costs, &ballots).unwrap();
    assert!(mes.spent_minor <= budget);
    assert!(!mes.selected.is_empty());
    let greedy = greedy(budget, &costs, &ballots).unwrap();
    assert!(greedy.spent_minor <= budget);
}
