//! Participatory budgeting of the district fund: the Method of Equal Shares, and greedy.
//!
//! # The rule implemented
//! The Method of Equal Shares (Peters & Skowron, "Proportional participatory budgeting with
//! additive utilities", NeurIPS 2021) for approval ballots, as equalshares.net defines and its
//! compute tool runs it by default (<https://equalshares.net/implementation/computation/>,
//! <https://equalshares.net/tools/compute/>):
//!
//! - **Cost utilities** (the equalshares.net default for approval ballots): a voter's utility
//!   for an approved project is its cost. The budget is split equally among the voters. A
//!   project is affordable if its supporters still hold its cost; its supporters then pay
//!   equal shares, a supporter who holds less than the share paying all it holds. The payment
//!   per unit of utility is `ρ = share / cost`; each step selects the affordable project with
//!   the smallest ρ and charges its supporters. A tie in ρ goes to the lowest project index
//!   (equalshares.net's Python listing prefers the lower cost, then more approvals; Distretto
//!   wants one fixed, explainable order).
//!   (Approval utilities would minimise the share itself; not implemented.)
//! - **Add1 completion** (options "exhaustive" and "integral"): while the outcome is not
//!   exhaustive (some approved, unselected project still fits in the real budget), rerun the
//!   rule with a per-voter budget of `floor(budget / n)` plus one more step, and keep the new
//!   outcome as long as its cost fits in the real budget.
//! - **Utilitarian completion** (the "U" of the tool's default "Add1U"): then add the remaining
//!   approved projects by decreasing number of approvals (ties: lowest index) when they fit.
//!
//! # Exactness and rounding
//! Everything is integer. Money inside the rule is counted in units of `1/n` of a minor unit
//! (`n` voters), so the equal split of the budget is exact (each voter starts with `budget`
//! units). The share of a project is the exact rational `rem / k`; ρ of two projects are
//! compared exactly by cross-multiplication in `u128`. When a project is selected each
//! supporter pays `min(what it holds, ceil(rem / k))` units: the supporters together pay the
//! cost, plus less than one minor unit of rounding, and nobody ever pays more than it holds.
//!
//! Add1 steps by one minor unit per voter (the reference steps by one unit of its input,
//! which is usually the whole currency unit) while that takes at most [`MAX_ADD1_STEPS`]
//! steps to reach the per-voter budget at which every approved project is affordable.
//! Beyond that (large budgets) the step is enlarged so that the scan stays within
//! [`MAX_ADD1_STEPS`] reruns, and when a step overspends the last fitting budget is refined
//! by bisection down to one minor unit. This is a documented departure: exact when the cost of
//! the outcome grows with the per-voter budget (the usual case), otherwise it may stop at a
//! later fitting budget than the first one a unit-by-unit scan would stop before.
//!
//! # Bounds
//! Costs in `1..=10^12` minor units, the budget in `0..=10^15`, at most 1,000 projects,
//! 100,000 voters and 10,000,000 approvals in total; beyond, the input is rejected. With these,
//! the largest product (`rem × k × cost` ≤ 10^17 × 10^5 × 10^12) stays far below `u128::MAX`.
//! Voters who approve nothing still receive (and keep) their share: the rule is about
//! proportionality to the whole electorate.

use crate::Invalid;

/// Most expensive project, in minor units.
pub const MAX_COST_MINOR: i64 = 1_000_000_000_000;
/// Largest budget, in minor units.
pub const MAX_BUDGET_MINOR: i64 = 1_000_000_000_000_000;
/// Most projects on one ballot paper.
pub const MAX_PROJECTS: usize = 1_000;
/// Most voters.
pub const MAX_VOTERS: usize = 100_000;
/// Most approvals, all voters together.
pub const MAX_APPROVALS: usize = 10_000_000;
/// Most reruns of the fixed-budget rule by the Add1 completion.
pub const MAX_ADD1_STEPS: u128 = 1_000;

/// A proposed project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Project {
    /// Its cost, in minor units of the currency.
    pub cost_minor: i64,
}

/// The funded projects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Indices of the selected projects, in order of selection.
    pub selected: Vec<usize>,
    /// Their total cost, in minor units (never above the budget).
    pub spent_minor: i64,
}

/// Validated input: costs and supporters of each project.
struct Instance {
    voters: usize,
    costs: Vec<u128>,
    supporters: Vec<Vec<u32>>,
}

impl Instance {
    fn n(&self) -> u128 {
        self.voters as u128
    }

    fn approved(&self, project: usize) -> bool {
        self.supporters.get(project).is_some_and(|s| !s.is_empty())
    }

    fn cost(&self, selected: &[usize]) -> u128 {
        selected.iter().map(|&p| self.costs[p]).sum()
    }
}

fn invalid(code: &'static str, field: &'static str) -> Invalid {
    Invalid::new(code, field)
}

fn parse(
    budget: i64,
    projects: &[Project],
    approvals: &[Vec<usize>],
) -> Result<(u128, Instance), Invalid> {
    let budget = u128::try_from(budget)
        .ok()
        .filter(|&b| b <= MAX_BUDGET_MINOR as u128)
        .ok_or(invalid("governance_budget_out_of_range", "budget_minor"))?;
    if projects.len() > MAX_PROJECTS {
        return Err(invalid("governance_projects_too_many", "projects"));
    }
    if approvals.len() > MAX_VOTERS {
        return Err(invalid("governance_voters_too_many", "approvals"));
    }
    let costs = parse_costs(projects)?;
    let supporters = parse_approvals(projects.len(), approvals)?;
    let instance = Instance {
        voters: approvals.len(),
        costs,
        supporters,
    };
    Ok((budget, instance))
}

fn parse_costs(projects: &[Project]) -> Result<Vec<u128>, Invalid> {
    projects
        .iter()
        .map(|p| {
            u128::try_from(p.cost_minor)
                .ok()
                .filter(|&c| c >= 1 && c <= MAX_COST_MINOR as u128)
                .ok_or(invalid(
                    "governance_project_cost_out_of_range",
                    "cost_minor",
                ))
        })
        .collect()
}

/// Supporters per project, from approved projects per voter (distinct, in range).
fn parse_approvals(projects: usize, approvals: &[Vec<usize>]) -> Result<Vec<Vec<u32>>, Invalid> {
    let total: usize = approvals.iter().map(Vec::len).sum();
    if total > MAX_APPROVALS {
        return Err(invalid("governance_approvals_too_many", "approvals"));
    }
    let mut supporters = vec![Vec::new(); projects];
    for (voter, ballot) in (0u32..).zip(approvals) {
        for &project in ballot {
            let list: &mut Vec<u32> = supporters
                .get_mut(project)
                .ok_or(invalid("governance_project_unknown", "approvals"))?;
            // Voters come in order, so a repeated approval is the list's last entry.
            if list.last() == Some(&voter) {
                return Err(invalid("governance_approval_duplicate", "approvals"));
            }
            list.push(voter);
        }
    }
    Ok(supporters)
}

/// Method of Equal Shares with cost utilities, Add1 and utilitarian completion (see the
/// module documentation and <https://equalshares.net/implementation/computation/>).
///
/// `approvals[v]` lists the projects voter `v` approves. The selection never costs more than
/// `budget_minor`.
pub fn equal_shares(
    budget_minor: i64,
    projects: &[Project],
    approvals: &[Vec<usize>],
) -> Result<Selection, Invalid> {
    let (budget, instance) = parse(budget_minor, projects, approvals)?;
    if instance.voters == 0 {
        return Ok(selection(&instance, Vec::new()));
    }
    let mut selected = add1(&instance, budget);
    fill_greedily(&instance, budget, &mut selected);
    Ok(selection(&instance, selected))
}

/// Greedy: projects by decreasing number of approvals (ties: lowest index), each added if it
/// still fits in the budget; projects nobody approved are never selected.
pub fn greedy(
    budget_minor: i64,
    projects: &[Project],
    approvals: &[Vec<usize>],
) -> Result<Selection, Invalid> {
    let (budget, instance) = parse(budget_minor, projects, approvals)?;
    let mut selected = Vec::new();
    fill_greedily(&instance, budget, &mut selected);
    Ok(selection(&instance, selected))
}

fn selection(instance: &Instance, selected: Vec<usize>) -> Selection {
    let spent = i64::try_from(instance.cost(&selected)).unwrap_or(i64::MAX);
    Selection {
        selected,
        spent_minor: spent,
    }
}

/// Adds unselected approved projects by decreasing approvals while they fit.
fn fill_greedily(instance: &Instance, budget: u128, selected: &mut Vec<usize>) {
    let mut order: Vec<usize> = (0..instance.costs.len())
        .filter(|&p| instance.approved(p) && !selected.contains(&p))
        .collect();
    order.sort_by(|&a, &b| {
        let (sa, sb) = (instance.supporters[a].len(), instance.supporters[b].len());
        sb.cmp(&sa).then(a.cmp(&b))
    });
    let mut spent = instance.cost(selected);
    for project in order {
        let cost = instance.costs[project];
        if spent + cost <= budget {
            spent += cost;
            selected.push(project);
        }
    }
}

/// Whether no approved, unselected project fits in what the selection leaves of the budget.
fn exhaustive(instance: &Instance, budget: u128, selected: &[usize]) -> bool {
    let spent = instance.cost(selected);
    !(0..instance.costs.len()).any(|p| {
        instance.approved(p) && !selected.contains(&p) && spent + instance.costs[p] <= budget
    })
}

/// The Add1 completion: raise the per-voter budget while the outcome still fits.
fn add1(instance: &Instance, budget: u128) -> Vec<usize> {
    let n = instance.n();
    let mut best = fixed_budget(instance, budget).selected;
    // From this per-voter budget on, one supporter alone can pay any approved project.
    let upper: u128 = (0..instance.costs.len())
        .filter(|&p| instance.approved(p))
        .map(|p| instance.costs[p])
        .sum();
    let mut per_voter = budget / n;
    let step = upper
        .saturating_sub(per_voter)
        .div_ceil(MAX_ADD1_STEPS)
        .max(1);
    for _ in 0..MAX_ADD1_STEPS {
        if per_voter >= upper || exhaustive(instance, budget, &best) {
            break;
        }
        let next = fixed_budget(instance, (per_voter + step) * n).selected;
        if instance.cost(&next) > budget {
            return narrow(instance, budget, (per_voter, best), per_voter + step);
        }
        per_voter += step;
        best = next;
    }
    best
}

/// With a step above one minor unit, the overspending budget `over` may lie beyond the
/// first overspending one: bisect between the last fitting per-voter budget and `over` for
/// a budget that fits whose successor (one minor unit more) overspends, as the reference's
/// stop condition (the same budget when the outcome is monotone in the budget; at most
/// 128 reruns).
fn narrow(instance: &Instance, budget: u128, fits: (u128, Vec<usize>), over: u128) -> Vec<usize> {
    let n = instance.n();
    let (mut lo, mut best) = fits;
    let mut hi = over;
    for _ in 0..128 {
        if hi - lo <= 1 || exhaustive(instance, budget, &best) {
            break;
        }
        let mid = lo + (hi - lo) / 2;
        let next = fixed_budget(instance, mid * n).selected;
        if instance.cost(&next) > budget {
            hi = mid;
        } else {
            lo = mid;
            best = next;
        }
    }
    best
}

/// The price of a project: uncapped supporters each pay `rem / k` units; ρ = that / cost.
#[derive(Debug, Clone, Copy)]
struct Rho {
    rem: u128,
    k: u128,
    cost: u128,
}

impl Rho {
    /// `self.ρ < other.ρ`, exactly: `rem_a / (k_a cost_a) < rem_b / (k_b cost_b)`.
    fn less(&self, other: &Rho) -> bool {
        self.rem * other.k * other.cost < other.rem * self.k * self.cost
    }
}

/// One run of the fixed-budget rule, with what everyone paid (in `1/n` minor units).
pub(crate) struct Run {
    pub(crate) selected: Vec<usize>,
    pub(crate) spent_per_voter: Vec<u128>,
    pub(crate) paid_per_project: Vec<u128>,
}

/// The Method of Equal Shares without completion, each voter starting with `per_voter` units
/// of `1/n` minor unit (`per_voter = budget` splits `budget` minor units exactly).
fn fixed_budget(instance: &Instance, per_voter: u128) -> Run {
    let projects = instance.costs.len();
    let mut run = Run {
        selected: Vec::new(),
        spent_per_voter: vec![0; instance.voters],
        paid_per_project: vec![0; projects],
    };
    let mut budgets = vec![per_voter; instance.voters];
    // A lower bound of each candidate's ρ (budgets only shrink, so ρ only grows).
    let mut bound: Vec<Option<Rho>> = (0..projects).map(|p| initial_rho(instance, p)).collect();
    for _ in 0..projects {
        let Some((project, rho)) = best_project(instance, &budgets, &mut bound) else {
            break;
        };
        charge(instance, project, rho, &mut budgets, &mut run);
        bound[project] = None;
        run.selected.push(project);
    }
    run
}

fn initial_rho(instance: &Instance, project: usize) -> Option<Rho> {
    let k = instance.supporters[project].len() as u128;
    let cost = instance.costs[project];
    (k > 0).then_some(Rho {
        rem: cost * instance.n(),
        k,
        cost,
    })
}

/// The affordable project of least ρ (ties: lowest index), evaluating lazily in order of the
/// previous ρ: a project whose lower bound is already above the best cannot win.
fn best_project(
    instance: &Instance,
    budgets: &[u128],
    bound: &mut [Option<Rho>],
) -> Option<(usize, Rho)> {
    let mut order: Vec<(usize, Rho)> = bound
        .iter()
        .enumerate()
        .filter_map(|(p, r)| r.map(|r| (p, r)))
        .collect();
    order.sort_by(|(pa, a), (pb, b)| {
        if a.less(b) {
            std::cmp::Ordering::Less
        } else if b.less(a) {
            std::cmp::Ordering::Greater
        } else {
            pa.cmp(pb)
        }
    });
    let mut best: Option<(usize, Rho)> = None;
    for (project, lower) in order {
        if best.is_some_and(|(_, b)| b.less(&lower)) {
            break;
        }
        let rho = price(instance, project, budgets);
        bound[project] = rho;
        if let Some(rho) = rho {
            let better = best.is_none_or(|(bp, b)| rho.less(&b) || (!b.less(&rho) && project < bp));
            if better {
                best = Some((project, rho));
            }
        }
    }
    best
}

/// The current price of a project, or `None` if its supporters cannot pay it.
fn price(instance: &Instance, project: usize, budgets: &[u128]) -> Option<Rho> {
    let cost = instance.costs[project];
    let cost_units = cost * instance.n();
    let mut held: Vec<u128> = instance.supporters[project]
        .iter()
        .map(|&v| budgets[v as usize])
        .collect();
    if held.iter().sum::<u128>() < cost_units {
        return None;
    }
    held.sort_unstable();
    let (mut paid, mut k) = (0u128, held.len() as u128);
    for b in held {
        let rem = cost_units - paid;
        if rem <= b * k {
            return Some(Rho { rem, k, cost });
        }
        paid += b;
        k -= 1;
    }
    None
}

/// Each supporter pays `min(held, ceil(rem / k))`.
fn charge(instance: &Instance, project: usize, rho: Rho, budgets: &mut [u128], run: &mut Run) {
    let share = rho.rem.div_ceil(rho.k);
    for &voter in &instance.supporters[project] {
        let v = voter as usize;
        let pay = budgets[v].min(share);
        budgets[v] -= pay;
        run.spent_per_voter[v] += pay;
        run.paid_per_project[project] += pay;
    }
}

#[cfg(test)]
mod tests;
