//! Governance: the tally of democratic votes and the selection of participatory-budget
//! projects. Pure, deterministic integer arithmetic: no floats anywhere.
//!
//! - [`tally`] counts one proposal's ballots ([`Cast`]) under its [`Rules`]: simple or qualified
//!   majority, consent (sociocracy), approval, score, Schulze and instant run-off, with
//!   multi-stakeholder [`College`] weighting.
//! - [`schulze`] and [`runoff`] hold the ranked-ballot methods.
//! - [`participation`] measures turnout per vote, per group of voters and over time.
//! - [`equal_shares`] selects participatory-budget projects with the Method of Equal Shares
//!   (and the greedy rule it is compared with).
//!
//! # Error codes
//! Every rejection is a [`crate::Invalid`] whose `code` is one of these stable strings (the web
//! layer translates them; they are also Fluent message ids):
//!
//! | code | meaning |
//! |---|---|
//! | `governance_choice_wrong_method` | the ballot's kind does not match the proposal's method |
//! | `governance_option_unknown` | an option index is not below `Rules::options` |
//! | `governance_ranking_duplicate` | a ranked ballot names an option twice |
//! | `governance_approval_duplicate` | an approval ballot names an option (or project) twice |
//! | `governance_approval_too_many` | more approvals than `Rules::max_approvals` |
//! | `governance_score_count` | a score ballot does not have exactly one score per option |
//! | `governance_score_out_of_range` | a score is above `Rules::max_score` |
//! | `governance_objection_reason_missing` | a consent objection without a reason (after trimming) |
//! | `governance_objection_reason_too_long` | an objection reason longer than 2,000 characters |
//! | `governance_college_unknown` | a ballot's college index is out of range |
//! | `governance_colleges_missing` | no college at all |
//! | `governance_colleges_too_many` | more than 256 colleges |
//! | `governance_colleges_weight_zero` | the colleges' weights sum to zero |
//! | `governance_electorate_mismatch` | `electorate_per_college` and `colleges` differ in length |
//! | `governance_electorate_too_large` | the electorates' sum does not fit in `u64` |
//! | `governance_casts_too_many` | more than 10,000,000 ballots |
//! | `governance_options_missing` | a method that needs options has `options == 0` |
//! | `governance_options_too_many` | more than 256 options |
//! | `governance_seats_out_of_range` | `seats` is 0, above `options`, or not 1 for instant run-off |
//! | `governance_threshold_out_of_range` | `AtLeastPercent(p)` with `p` 0 or above 100 |
//! | `governance_quorum_out_of_range` | `quorum_percent` above 100 |
//! | `governance_max_approvals_out_of_range` | `max_approvals` of `Some(0)` |
//! | `governance_max_score_out_of_range` | `max_score` of 0 for a score vote |
//! | `governance_budget_out_of_range` | a participatory budget below 0 or above 10^15 minor units |
//! | `governance_project_cost_out_of_range` | a project cost not in 1..=10^12 minor units |
//! | `governance_projects_too_many` | more than 1,000 projects |
//! | `governance_voters_too_many` | more than 100,000 voters |
//! | `governance_approvals_too_many` | more than 10,000,000 approvals in total |
//! | `governance_project_unknown` | an approval names a project index out of range |

pub mod effect;
pub mod equal_shares;
pub mod participation;
pub mod runoff;
pub mod schulze;
pub mod tally;

pub use tally::*;
