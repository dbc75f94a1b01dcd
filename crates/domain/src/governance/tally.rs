//! The tally of one proposal: rules, ballots, college weighting and outcome.
//!
//! # Weighting by colleges
//! A multi-stakeholder body votes in colleges, each with a weight. Each college's result is
//! normalised by the number of ballots cast in it and multiplied by its weight, in integer
//! fixed point: a ballot of college `c` weighs `weight_c * SCALE / cast_c` ([`SCALE`] =
//! 10^12, floor division). A college's ballots therefore sum to at most `weight_c * SCALE`,
//! short of it by less than `cast_c` units (one unit is 10^-12 of a unit of weight): the rounding
//! always favours no option and is far below one ballot, but two options whose exact weighted
//! shares differ by less than that can compare equal (or, in theory, swap). With one college of
//! weight 1 every ballot weighs the same, so every comparison is exactly that of plain counting.
//!
//! Abstentions (and empty ballots) count as cast: they make the quorum and they dilute the
//! weight of their college's other ballots, as in an assembly where every present member counts.

use serde::{Deserialize, Serialize};

use super::{runoff, schulze};
use crate::Invalid;

/// Fixed-point unit of the weighted counts: a ballot of the only college of weight 1 weighs
/// `SCALE / cast`.
pub const SCALE: u128 = 1_000_000_000_000;
/// Largest number of options of a proposal (Schulze is cubic in it).
pub const MAX_OPTIONS: u16 = 256;
/// Largest number of ballots counted in one tally.
pub const MAX_CASTS: usize = 10_000_000;
/// Largest number of colleges of a body.
pub const MAX_COLLEGES: usize = 256;
/// Longest objection reason, in characters.
pub const MAX_OBJECTION_CHARS: usize = 2_000;

/// How a proposal is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Yes / no / abstain, with a [`ThresholdRule`].
    Majority,
    /// Consent (sociocracy): passes unless someone objects.
    Consent,
    /// Each voter approves some options; the most approved win.
    Approval,
    /// Each voter scores every option; the highest sums win.
    Score,
    /// Ranked ballots, Schulze method.
    Schulze,
    /// Ranked ballots, instant run-off (one seat).
    InstantRunoff,
}

/// The share of yes votes (among yes and no) a majority vote needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdRule {
    /// Strictly more yes than no.
    MoreThanHalf,
    /// At least this percentage of yes among yes and no (qualified majority, e.g. 67).
    AtLeastPercent(u8),
}

/// The rules of one proposal's vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// The counting method.
    pub method: Method,
    /// Number of options (ignored, and 0 allowed, for Majority and Consent).
    pub options: u16,
    /// Threshold of a Majority vote (ignored otherwise).
    pub threshold: ThresholdRule,
    /// Share of the electorate, in percent, that must cast a ballot (abstentions count); 0 = none.
    pub quorum_percent: u8,
    /// Winners wanted for Approval, Score, Schulze and InstantRunoff (at least 1; 1 for IRV).
    pub seats: u16,
    /// Largest number of approvals on one ballot (Approval only); `None` = no limit.
    pub max_approvals: Option<u16>,
    /// Highest score (Score only, e.g. 5); scores go from 0 to it.
    pub max_score: u8,
}

/// A class of voters of a multi-stakeholder body; a body without colleges uses one of weight 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct College {
    /// The college's weight relative to the others.
    pub weight: u32,
}

/// A voter's position on a Majority proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stance {
    /// For.
    Yes,
    /// Against.
    No,
    /// Present, neither for nor against.
    Abstain,
}

/// A voter's position on a Consent proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentChoice {
    /// Consents.
    Consent,
    /// Does not support it but will not block it.
    StandAside,
    /// Blocks the proposal, for a stated reason.
    Object {
        /// Why (non-empty after trimming).
        reason: String,
    },
}

/// What one ballot says; its kind must match the proposal's [`Method`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// For Method::Majority.
    Majority(Stance),
    /// For Method::Consent.
    Consent(ConsentChoice),
    /// For Method::Approval: the distinct approved options.
    Approval(Vec<u16>),
    /// For Method::Score: one score per option, in option order.
    Score(Vec<u8>),
    /// For Method::Schulze and Method::InstantRunoff: distinct options, most preferred first;
    /// unranked options tie below all ranked ones.
    Ranked(Vec<u16>),
}

/// One counted ballot (proxies are already resolved: each proxy vote is its own Cast).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cast {
    /// Index of the voter's college in the `colleges` slice.
    pub college: usize,
    /// The ballot.
    pub choice: Choice,
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Majority or Consent: adopted.
    Passed,
    /// Majority or Consent: not adopted.
    Rejected,
    /// Consent: at least one objection.
    Blocked,
    /// Elected options, in order (highest first).
    Elected(Vec<u16>),
    /// Fewer ballots than the quorum.
    NoQuorum,
    /// An unresolved tie between these options for the last seat(s).
    Tie(Vec<u16>),
}

/// One option's (or one stance's) count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionScore {
    /// Option index (Majority: 0 yes, 1 no, 2 abstain; Consent: 0 consent, 1 stand aside, 2 object).
    pub option: u16,
    /// Unweighted count of ballots (or sum of scores).
    pub raw: u64,
    /// Weighted count, in [`SCALE`] units.
    pub weighted: u128,
}

/// The full result of a tally, for publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// The decision (NoQuorum if the quorum is not met).
    pub outcome: Outcome,
    /// Ballots cast (abstentions included).
    pub cast: u64,
    /// Voters entitled to vote, all colleges together.
    pub electorate: u64,
    /// Whether enough ballots were cast.
    pub quorum_met: bool,
    /// Per college: (ballots cast, electorate).
    pub turnout_per_college: Vec<(u64, u64)>,
    /// Per option counts (Majority: yes/no/abstain; Consent: consent/stand aside/object).
    pub per_option: Vec<OptionScore>,
    /// Consent: the objection reasons (trimmed), in cast order.
    pub objections: Vec<String>,
    /// Schulze: weighted pairwise preferences `d[i][j]` (empty otherwise).
    pub pairwise: Vec<Vec<u128>>,
    /// InstantRunoff: weighted first-choice counts per round, 0 for eliminated options.
    pub rounds: Vec<Vec<u128>>,
}

/// What a method's count yields before the quorum is applied.
struct Count {
    outcome: Outcome,
    per_option: Vec<OptionScore>,
    objections: Vec<String>,
    pairwise: Vec<Vec<u128>>,
    rounds: Vec<Vec<u128>>,
}

impl Count {
    fn new(outcome: Outcome, per_option: Vec<OptionScore>) -> Self {
        Self {
            outcome,
            per_option,
            objections: Vec::new(),
            pairwise: Vec::new(),
            rounds: Vec::new(),
        }
    }
}

fn invalid(code: &'static str, field: &'static str) -> Invalid {
    Invalid::new(code, field)
}

/// Whether the method chooses among `options` (as opposed to yes/no decisions).
fn has_options(method: Method) -> bool {
    !matches!(method, Method::Majority | Method::Consent)
}

/// Checks the rules themselves (ranges of every field the method uses).
pub fn validate_rules(rules: &Rules) -> Result<(), Invalid> {
    if rules.quorum_percent > 100 {
        return Err(invalid("governance_quorum_out_of_range", "quorum_percent"));
    }
    if let (Method::Majority, ThresholdRule::AtLeastPercent(p)) = (rules.method, rules.threshold)
        && (p == 0 || p > 100)
    {
        return Err(invalid("governance_threshold_out_of_range", "threshold"));
    }
    if !has_options(rules.method) {
        return Ok(());
    }
    if rules.options == 0 {
        return Err(invalid("governance_options_missing", "options"));
    }
    if rules.options > MAX_OPTIONS {
        return Err(invalid("governance_options_too_many", "options"));
    }
    let irv_not_single = rules.method == Method::InstantRunoff && rules.seats != 1;
    if rules.seats == 0 || rules.seats > rules.options || irv_not_single {
        return Err(invalid("governance_seats_out_of_range", "seats"));
    }
    if rules.method == Method::Approval && rules.max_approvals == Some(0) {
        return Err(invalid(
            "governance_max_approvals_out_of_range",
            "max_approvals",
        ));
    }
    if rules.method == Method::Score && rules.max_score == 0 {
        return Err(invalid("governance_max_score_out_of_range", "max_score"));
    }
    Ok(())
}

/// Checks that a ballot is valid under `rules` (and that the rules are).
pub fn validate_choice(rules: &Rules, choice: &Choice) -> Result<(), Invalid> {
    validate_rules(rules)?;
    check_choice(rules, choice)
}

/// Checks a ballot against rules already known to be valid.
fn check_choice(rules: &Rules, choice: &Choice) -> Result<(), Invalid> {
    match (rules.method, choice) {
        (Method::Majority, Choice::Majority(_)) => Ok(()),
        (Method::Consent, Choice::Consent(c)) => check_consent(c),
        (Method::Approval, Choice::Approval(list)) => check_approval(rules, list),
        (Method::Score, Choice::Score(scores)) => check_scores(rules, scores),
        (Method::Schulze | Method::InstantRunoff, Choice::Ranked(list)) => {
            check_distinct(rules.options, list, "governance_ranking_duplicate")
        }
        _ => Err(invalid("governance_choice_wrong_method", "choice")),
    }
}

fn check_consent(choice: &ConsentChoice) -> Result<(), Invalid> {
    let ConsentChoice::Object { reason } = choice else {
        return Ok(());
    };
    if reason.trim().is_empty() {
        return Err(invalid("governance_objection_reason_missing", "reason"));
    }
    if reason.chars().nth(MAX_OBJECTION_CHARS).is_some() {
        return Err(invalid("governance_objection_reason_too_long", "reason"));
    }
    Ok(())
}

fn check_approval(rules: &Rules, list: &[u16]) -> Result<(), Invalid> {
    check_distinct(rules.options, list, "governance_approval_duplicate")?;
    match rules.max_approvals {
        Some(max) if list.len() > usize::from(max) => {
            Err(invalid("governance_approval_too_many", "choice"))
        }
        _ => Ok(()),
    }
}

fn check_scores(rules: &Rules, scores: &[u8]) -> Result<(), Invalid> {
    if scores.len() != usize::from(rules.options) {
        return Err(invalid("governance_score_count", "choice"));
    }
    if scores.iter().any(|&s| s > rules.max_score) {
        return Err(invalid("governance_score_out_of_range", "choice"));
    }
    Ok(())
}

/// Every option below `options` and none twice (a list longer than `options` must repeat one).
fn check_distinct(options: u16, list: &[u16], duplicate: &'static str) -> Result<(), Invalid> {
    let mut seen = vec![false; usize::from(options)];
    for &option in list {
        let slot = seen
            .get_mut(usize::from(option))
            .ok_or(invalid("governance_option_unknown", "choice"))?;
        if *slot {
            return Err(invalid(duplicate, "choice"));
        }
        *slot = true;
    }
    Ok(())
}

/// Checks colleges and electorates; returns the total electorate.
fn check_colleges(colleges: &[College], electorate: &[u64]) -> Result<u64, Invalid> {
    if colleges.is_empty() {
        return Err(invalid("governance_colleges_missing", "colleges"));
    }
    if colleges.len() > MAX_COLLEGES {
        return Err(invalid("governance_colleges_too_many", "colleges"));
    }
    if electorate.len() != colleges.len() {
        return Err(invalid(
            "governance_electorate_mismatch",
            "electorate_per_college",
        ));
    }
    if colleges.iter().all(|c| c.weight == 0) {
        return Err(invalid("governance_colleges_weight_zero", "colleges"));
    }
    electorate.iter().try_fold(0u64, |sum, &e| {
        sum.checked_add(e).ok_or(invalid(
            "governance_electorate_too_large",
            "electorate_per_college",
        ))
    })
}

fn check_casts(rules: &Rules, colleges: usize, casts: &[Cast]) -> Result<(), Invalid> {
    if casts.len() > MAX_CASTS {
        return Err(invalid("governance_casts_too_many", "casts"));
    }
    for cast in casts {
        if cast.college >= colleges {
            return Err(invalid("governance_college_unknown", "college"));
        }
        check_choice(rules, &cast.choice)?;
    }
    Ok(())
}

/// Ballots cast per college (colleges already checked for every cast).
fn cast_per_college(colleges: usize, casts: &[Cast]) -> Vec<u64> {
    let mut cast = vec![0u64; colleges];
    for c in casts {
        if let Some(n) = cast.get_mut(c.college) {
            *n += 1;
        }
    }
    cast
}

/// The weight of one ballot of each college: `weight * SCALE / cast` (floor), 0 if none cast.
pub fn ballot_weights(colleges: &[College], cast_per_college: &[u64]) -> Vec<u128> {
    colleges
        .iter()
        .zip(cast_per_college)
        .map(|(college, &cast)| match cast {
            0 => 0,
            n => u128::from(college.weight) * SCALE / u128::from(n),
        })
        .collect()
}

/// Whether `cast` ballots out of `electorate` meet a quorum of `percent`.
fn quorum_met(cast: u64, electorate: u64, percent: u8) -> bool {
    u128::from(cast) * 100 >= u128::from(percent) * u128::from(electorate)
}

/// Counts the ballots of one proposal.
///
/// `colleges[c]` weighs college `c`, whose electorate is `electorate_per_college[c]`; each
/// [`Cast`] names its college. Rejects (with the codes of the module documentation) invalid
/// rules, ballots of another method or invalid ballots, out-of-range colleges, mismatched
/// lengths, zero colleges and a total weight of 0.
pub fn tally(
    rules: &Rules,
    colleges: &[College],
    electorate_per_college: &[u64],
    casts: &[Cast],
) -> Result<Tally, Invalid> {
    validate_rules(rules)?;
    let electorate = check_colleges(colleges, electorate_per_college)?;
    check_casts(rules, colleges.len(), casts)?;
    let per_college = cast_per_college(colleges.len(), casts);
    let weights = ballot_weights(colleges, &per_college);
    let cast = u64::try_from(casts.len()).unwrap_or(u64::MAX);
    let met = quorum_met(cast, electorate, rules.quorum_percent);
    let count = count(rules, casts, &weights);
    Ok(Tally {
        outcome: if met {
            count.outcome
        } else {
            Outcome::NoQuorum
        },
        cast,
        electorate,
        quorum_met: met,
        turnout_per_college: per_college
            .into_iter()
            .zip(electorate_per_college.iter().copied())
            .collect(),
        per_option: count.per_option,
        objections: count.objections,
        pairwise: count.pairwise,
        rounds: count.rounds,
    })
}

/// The weight of a cast (its college is checked).
fn weight_of(weights: &[u128], cast: &Cast) -> u128 {
    weights.get(cast.college).copied().unwrap_or(0)
}

fn count(rules: &Rules, casts: &[Cast], weights: &[u128]) -> Count {
    match rules.method {
        Method::Majority => count_majority(rules.threshold, casts, weights),
        Method::Consent => count_consent(casts, weights),
        Method::Approval | Method::Score => count_sums(rules, casts, weights),
        Method::Schulze => count_schulze(rules, casts, weights),
        Method::InstantRunoff => count_runoff(rules, casts, weights),
    }
}

fn rows(raw: [u64; 3], weighted: [u128; 3]) -> Vec<OptionScore> {
    (0u16..)
        .zip(raw.into_iter().zip(weighted))
        .map(|(option, (raw, weighted))| OptionScore {
            option,
            raw,
            weighted,
        })
        .collect()
}

fn count_majority(threshold: ThresholdRule, casts: &[Cast], weights: &[u128]) -> Count {
    let (mut raw, mut weighted) = ([0u64; 3], [0u128; 3]);
    for cast in casts {
        let row = match cast.choice {
            Choice::Majority(Stance::Yes) => 0,
            Choice::Majority(Stance::No) => 1,
            _ => 2,
        };
        raw[row] += 1;
        weighted[row] += weight_of(weights, cast);
    }
    let passed = majority_passes(threshold, weighted[0], weighted[1]);
    let outcome = if passed {
        Outcome::Passed
    } else {
        Outcome::Rejected
    };
    Count::new(outcome, rows(raw, weighted))
}

/// Majority rule on weighted yes and no (abstentions excluded).
pub fn majority_passes(threshold: ThresholdRule, yes: u128, no: u128) -> bool {
    match threshold {
        ThresholdRule::MoreThanHalf => yes > no,
        ThresholdRule::AtLeastPercent(p) => yes > 0 && yes * 100 >= u128::from(p) * (yes + no),
    }
}

fn count_consent(casts: &[Cast], weights: &[u128]) -> Count {
    let (mut raw, mut weighted) = ([0u64; 3], [0u128; 3]);
    let mut objections = Vec::new();
    for cast in casts {
        let row = match &cast.choice {
            Choice::Consent(ConsentChoice::Consent) => 0,
            Choice::Consent(ConsentChoice::StandAside) => 1,
            Choice::Consent(ConsentChoice::Object { reason }) => {
                objections.push(reason.trim().to_owned());
                2
            }
            _ => continue,
        };
        raw[row] += 1;
        weighted[row] += weight_of(weights, cast);
    }
    let outcome = if raw[2] > 0 {
        Outcome::Blocked
    } else if raw[0] > 0 {
        Outcome::Passed
    } else {
        Outcome::Rejected
    };
    let mut count = Count::new(outcome, rows(raw, weighted));
    count.objections = objections;
    count
}

/// Approval and Score: sum per option, then the `seats` highest.
fn count_sums(rules: &Rules, casts: &[Cast], weights: &[u128]) -> Count {
    let options = usize::from(rules.options);
    let (mut raw, mut weighted) = (vec![0u64; options], vec![0u128; options]);
    for cast in casts {
        let w = weight_of(weights, cast);
        for (option, points) in ballot_points(&cast.choice) {
            if let (Some(r), Some(s)) = (raw.get_mut(option), weighted.get_mut(option)) {
                *r += points;
                *s += w * u128::from(points);
            }
        }
    }
    let outcome = top_seats(&weighted, usize::from(rules.seats));
    let per_option = (0u16..)
        .zip(raw.into_iter().zip(weighted))
        .map(|(option, (raw, weighted))| OptionScore {
            option,
            raw,
            weighted,
        })
        .collect();
    Count::new(outcome, per_option)
}

/// (option, points) pairs of an approval or score ballot.
fn ballot_points(choice: &Choice) -> Vec<(usize, u64)> {
    match choice {
        Choice::Approval(list) => list.iter().map(|&o| (usize::from(o), 1)).collect(),
        Choice::Score(scores) => scores
            .iter()
            .enumerate()
            .map(|(o, &s)| (o, u64::from(s)))
            .collect(),
        _ => Vec::new(),
    }
}

/// The `seats` options with the highest totals, highest first (equal totals by index).
/// If the total of the last seat is shared by an option left out, the outcome is
/// [`Outcome::Tie`] between all options with that total.
pub fn top_seats(totals: &[u128], seats: usize) -> Outcome {
    let mut order: Vec<usize> = (0..totals.len()).collect();
    order.sort_by(|&a, &b| totals[b].cmp(&totals[a]).then(a.cmp(&b)));
    let seats = seats.min(order.len());
    let (Some(&last), Some(&next)) = (order.get(seats.wrapping_sub(1)), order.get(seats)) else {
        return Outcome::Elected(to_options(order.get(..seats).unwrap_or(&[])));
    };
    if totals[last] == totals[next] {
        let mut tied: Vec<usize> = order
            .into_iter()
            .filter(|&o| totals[o] == totals[last])
            .collect();
        tied.sort_unstable();
        return Outcome::Tie(to_options(&tied));
    }
    Outcome::Elected(to_options(order.get(..seats).unwrap_or(&[])))
}

/// Option indices back to `u16` (they come from a `u16` count of options).
pub(crate) fn to_options(indices: &[usize]) -> Vec<u16> {
    indices
        .iter()
        .filter_map(|&i| u16::try_from(i).ok())
        .collect()
}

/// The ranked ballots with their weights.
fn ranked<'a>(casts: &'a [Cast], weights: &[u128]) -> Vec<(&'a [u16], u128)> {
    casts
        .iter()
        .filter_map(|cast| match &cast.choice {
            Choice::Ranked(list) => Some((list.as_slice(), weight_of(weights, cast))),
            _ => None,
        })
        .collect()
}

fn count_schulze(rules: &Rules, casts: &[Cast], weights: &[u128]) -> Count {
    let options = usize::from(rules.options);
    let ballots = ranked(casts, weights);
    let d = schulze::pairwise(options, &ballots);
    let p = schulze::strongest_paths(&d);
    let outcome = schulze::elect(&p, usize::from(rules.seats));
    let per_option = first_preferences(options, &ballots);
    let mut count = Count::new(outcome, per_option);
    count.pairwise = d;
    count
}

/// Per option: ballots ranking it first (raw) and their weight.
fn first_preferences(options: usize, ballots: &[(&[u16], u128)]) -> Vec<OptionScore> {
    let mut rows: Vec<OptionScore> = (0..options)
        .filter_map(|o| u16::try_from(o).ok())
        .map(|option| OptionScore {
            option,
            raw: 0,
            weighted: 0,
        })
        .collect();
    for (list, w) in ballots {
        if let Some(row) = list.first().and_then(|&o| rows.get_mut(usize::from(o))) {
            row.raw += 1;
            row.weighted += w;
        }
    }
    rows
}

fn count_runoff(rules: &Rules, casts: &[Cast], weights: &[u128]) -> Count {
    let options = usize::from(rules.options);
    let ballots = ranked(casts, weights);
    let (outcome, rounds) = runoff::instant_runoff(options, &ballots);
    let mut count = Count::new(outcome, first_preferences(options, &ballots));
    count.rounds = rounds;
    count
}

#[cfg(test)]
mod tests;
