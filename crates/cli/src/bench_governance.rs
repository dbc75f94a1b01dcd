//! `distretto bench governance`: the tally of a big Schulze election and the Method of Equal
//! Shares on a big participatory budget, on seeded synthetic ballots.

use crate::Failure;
use distretto_domain::governance::equal_shares::{Project, equal_shares, greedy};
use distretto_domain::governance::{Cast, Choice, College, Method, Rules, ThresholdRule, tally};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

/// Flags of `bench governance`.
#[derive(clap::Args)]
pub struct GovernanceArgs {
    /// Ballots of the Schulze election.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..=5_000_000))]
    ballots: u32,
    /// Candidates of the Schulze election.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(2..=256))]
    candidates: u16,
    /// Projects of the participatory budget.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u16).range(1..=1_000))]
    projects: u16,
    /// Voters of the participatory budget.
    #[arg(long, default_value_t = 50_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    voters: u32,
    /// Seed of the synthetic ballots.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Timed runs of each; the figures are the slowest and the median.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=20))]
    runs: u8,
}

/// Ranked ballots: every voter ranks a random number of candidates, biased by a popularity
/// order (so the election has a winner to find, as real ones do).
fn ranked_ballots(rng: &mut ChaCha8Rng, ballots: u32, candidates: u16) -> Vec<Cast> {
    (0..ballots)
        .map(|_| {
            let mut order: Vec<u16> = (0..candidates).collect();
            order.shuffle(rng);
            // Popular candidates (low numbers) drift to the front.
            order.sort_by_key(|c| u32::from(*c) + rng.random_range(0..u32::from(candidates)));
            let ranked = rng.random_range(1..=usize::from(candidates));
            order.truncate(ranked);
            Cast {
                college: 0,
                choice: Choice::Ranked(order),
            }
        })
        .collect()
}

/// A participatory budget: costs from 1,000 to 50,000 units, each voter approving 1 to 10
/// projects drawn with a popularity bias; the budget funds about a fifth of the projects.
fn budget_case(
    rng: &mut ChaCha8Rng,
    projects: u16,
    voters: u32,
) -> (i64, Vec<Project>, Vec<Vec<usize>>) {
    let costs: Vec<Project> = (0..projects)
        .map(|_| Project {
            cost_minor: rng.random_range(1_000..=50_000) * 100,
        })
        .collect();
    let total: i64 = costs.iter().map(|p| p.cost_minor).sum();
    let n = usize::from(projects);
    let approvals = (0..voters)
        .map(|_| {
            let k = rng.random_range(1..=10.min(n));
            let mut chosen: Vec<usize> = (0..k)
                .map(|_| {
                    let a = rng.random_range(0..n);
                    let b = rng.random_range(0..n);
                    a.min(b)
                })
                .collect();
            chosen.sort_unstable();
            chosen.dedup();
            chosen
        })
        .collect();
    (total / 5, costs, approvals)
}

fn median(mut ms: Vec<u128>) -> (u128, u128) {
    ms.sort_unstable();
    (ms[ms.len() / 2], ms[ms.len() - 1])
}

pub fn governance(args: GovernanceArgs) -> Result<(), Failure> {
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let casts = ranked_ballots(&mut rng, args.ballots, args.candidates);
    let rules = Rules {
        method: Method::Schulze,
        options: args.candidates,
        threshold: ThresholdRule::MoreThanHalf,
        quorum_percent: 0,
        seats: 1,
        max_approvals: None,
        max_score: 0,
    };
    let colleges = [College { weight: 1 }];
    let electorate = [u64::from(args.ballots)];
    let mut times = Vec::new();
    let mut outcome = None;
    for _ in 0..args.runs {
        let started = Instant::now();
        let t = tally(&rules, &colleges, &electorate, &casts)
            .map_err(|e| Failure::Runtime(anyhow::anyhow!("tally refused: {}", e.code)))?;
        times.push(started.elapsed().as_millis());
        outcome = Some(t.outcome);
    }
    let (med, worst) = median(times);
    println!(
        "schulze: {} ballots, {} candidates: median {med} ms, slowest {worst} ms; outcome {:?}",
        args.ballots, args.candidates, outcome
    );

    let (budget, projects, approvals) = budget_case(&mut rng, args.projects, args.voters);
    let mut times = Vec::new();
    let mut chosen = (0, 0, 0);
    for _ in 0..args.runs {
        let started = Instant::now();
        let mes = equal_shares(budget, &projects, &approvals)
            .map_err(|e| Failure::Runtime(anyhow::anyhow!("equal shares refused: {}", e.code)))?;
        times.push(started.elapsed().as_millis());
        chosen = (mes.selected.len(), mes.spent_minor, 0);
    }
    let started = Instant::now();
    let g = greedy(budget, &projects, &approvals)
        .map_err(|e| Failure::Runtime(anyhow::anyhow!("greedy refused: {}", e.code)))?;
    let greedy_ms = started.elapsed().as_millis();
    chosen.2 = g.selected.len();
    let (med, worst) = median(times);
    println!(
        "equal shares: {} projects, {} voters, budget {budget}: median {med} ms, slowest {worst} ms; {} projects funded ({} spent); greedy {greedy_ms} ms, {} projects",
        args.projects, args.voters, chosen.0, chosen.1, chosen.2
    );
    Ok(())
}
