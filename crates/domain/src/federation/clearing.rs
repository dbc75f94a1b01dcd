//! Clearing between districts: the mutual debts that linked districts' mirror accounts
//! record are set off around cycles, with the district-level clearing engine
//! ([`crate::clearing::clear`]).
//!
//! # Debts between districts
//! Each district holds an account in the other's ledger (its mirror). When a member of A pays a
//! member of B, B's mirror in A goes up and A's mirror in B goes down by the same amount (the
//! two "agree": one is minus the other). So a positive balance of B's mirror in A is what A
//! owes B: an arc A → B of that amount. Three districts owing each other round a cycle
//! A → B → C → A can set the smallest of the three off; in each district that is one transfer
//! between two mirror accounts (in A: from B's mirror, which goes down, to C's, which goes up),
//! and every pair of mirrors still agrees afterwards.
//!
//! # A round
//! The district that starts a round (the initiator) asks every linked district for its mirror
//! balances ([`Report`]), keeps the pairs whose two sides agree, and computes the largest
//! set-off ([`plan`]). Each district checks its part ([`check`]) and turns it into transfers
//! between its mirror accounts ([`legs`]); the web layer holds them, and posts or releases them
//! all together when the initiator decides (a two-phase protocol with more than two parties).
//!
//! Only links whose two currencies are worth the same (a rate of 1 to 1) take part: a set-off
//! around a cycle is one amount in every district only when the rates multiply to one, and
//! districts pegged to the same unit are the common case.

use super::invoice_clearing::{self, InvoiceDebt, InvoiceSetOff};
use crate::clearing::{Network, clear};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The most districts in one round.
pub const MAX_PARTIES: usize = 100;
/// The most debts (arcs) in one round: every pair of [`MAX_PARTIES`] districts.
pub const MAX_ARCS: usize = MAX_PARTIES * (MAX_PARTIES - 1) / 2;

/// One district's mirror balances, as it reports them: for each linked district (by its
/// address), the balance of that district's mirror account here, in minor units. Positive:
/// this district owes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The reporting district's address (its public URL).
    pub district: String,
    /// Linked district's address → its mirror's balance here.
    pub balances: BTreeMap<String, i64>,
    /// Its side of the unpaid, accepted invoices between its members and members of the
    /// linked districts (absent from districts of an earlier version: none).
    #[serde(default)]
    pub invoices: Vec<InvoiceDebt>,
}

/// A debt between two districts and what the round sets off of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arc {
    /// The district that owes.
    pub debtor: String,
    /// The district owed.
    pub creditor: String,
    /// What the debtor owed before the round.
    pub owed_minor: i64,
    /// What the round sets off (`0 < set_off_minor ≤ owed_minor`).
    pub set_off_minor: i64,
}

/// A round's set-off: the districts taking part and the debts it reduces.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Plan {
    /// Addresses of every district taking part (those that reported).
    pub parties: Vec<String>,
    /// The debts set off, each with its amount (only arcs with a set-off above zero).
    pub arcs: Vec<Arc>,
    /// Pairs left out because their two sides did not agree (a payment under way), as
    /// `(district, district)`.
    pub disagreeing: Vec<(String, String)>,
    /// The invoices between members of two districts it sets off, each with its amount.
    pub invoices: Vec<InvoiceSetOff>,
}

impl Plan {
    /// The sum of every set-off (debts between districts and invoices between members).
    pub fn set_off_minor(&self) -> i128 {
        let arcs: i128 = self.arcs.iter().map(|a| i128::from(a.set_off_minor)).sum();
        let invoices: i128 = self
            .invoices
            .iter()
            .map(|i| i128::from(i.set_off_minor))
            .sum();
        arcs + invoices
    }

    /// Whether it sets nothing off.
    pub fn is_empty(&self) -> bool {
        self.arcs.is_empty() && self.invoices.is_empty()
    }

    /// Whether a district has a part in it (a debt or an invoice set off).
    pub fn names(&self, district: &str) -> bool {
        self.arcs
            .iter()
            .any(|a| a.debtor == district || a.creditor == district)
            || self
                .invoices
                .iter()
                .any(|i| i.debtor == district || i.creditor == district)
    }

    /// The sum of every debt between the parties before the round.
    pub fn owed_minor(&self) -> i128 {
        self.arcs.iter().map(|a| i128::from(a.owed_minor)).sum()
    }
}

/// Why a plan or a report is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// More districts or debts than a round takes.
    #[error("too many districts or debts in one round")]
    TooLarge,
    /// A district reported twice, or a plan names a district twice.
    #[error("district {0} appears twice")]
    Duplicate(String),
    /// A debt of a district to itself, with a set-off of zero or less, or above what is owed,
    /// or naming a district that is not a party.
    #[error("debt {0} is malformed")]
    BadArc(usize),
    /// The plan does not take from this district what it gives it (not a circulation here).
    #[error("the set-off does not balance at {0}")]
    Unbalanced(String),
    /// This district has no mirror (or no agreeing balance) for a district its part names.
    #[error("no mirror account for {0}")]
    UnknownDistrict(String),
    /// A set-off would take a mirror past zero: its balance moved since it was reported.
    #[error("the balance with {0} changed since it was reported")]
    Stale(String),
    /// The clearing engine refused the network (a bug if it ever happens).
    #[error("clearing engine: {0}")]
    Engine(String),
    /// An invoice set-off between districts that are not both parties, of the same district,
    /// named twice, or with a set-off of zero or less or above what remained.
    #[error("invoice set-off {0} is malformed")]
    BadInvoice(usize),
    /// An invoice set-off naming this district that it has no such invoice for.
    #[error("no such invoice here: {0}")]
    UnknownInvoice(String),
}

/// Builds the largest set-off of the debts the reports agree on.
///
/// A pair of districts counts when both reported a balance for the other and the two agree
/// (one is minus the other); a pair that disagrees (a payment between them is under way) is
/// left out of this round and listed in [`Plan::disagreeing`].
pub fn plan(reports: &[Report]) -> Result<Plan, PlanError> {
    if reports.len() > MAX_PARTIES {
        return Err(PlanError::TooLarge);
    }
    let mut index = BTreeMap::new();
    for (i, r) in reports.iter().enumerate() {
        if index.insert(r.district.as_str(), i).is_some() {
            return Err(PlanError::Duplicate(r.district.clone()));
        }
    }
    let mut net = Network::new(reports.len() as u32);
    let mut owed = Vec::new();
    let mut disagreeing = Vec::new();
    for (i, r) in reports.iter().enumerate() {
        for (peer, &balance_minor) in r.balances.iter().take(MAX_PARTIES) {
            let Some(&j) = index.get(peer.as_str()) else {
                continue;
            };
            // Each pair once, from its first reporter.
            if j <= i {
                continue;
            }
            let other = reports[j].balances.get(&r.district).copied();
            if other.and_then(|b| b.checked_neg()) != Some(balance_minor) {
                disagreeing.push((r.district.clone(), peer.clone()));
                continue;
            }
            let (debtor, creditor, amount) = match balance_minor {
                0 => continue,
                b if b > 0 => (i, j, b),
                b => (j, i, b.saturating_neg()),
            };
            net.push(debtor as u32, creditor as u32, amount)
                .map_err(|e| PlanError::Engine(e.to_string()))?;
            owed.push((debtor, creditor, amount));
        }
    }
    let cleared = clear(&net).map_err(|e| PlanError::Engine(e.to_string()))?;
    let arcs = owed
        .iter()
        .zip(&cleared.setoff)
        .filter(|(_, s)| **s > 0)
        .map(|(&(d, c, amount), &s)| Arc {
            debtor: reports[d].district.clone(),
            creditor: reports[c].district.clone(),
            owed_minor: amount,
            set_off_minor: s,
        })
        .collect();
    let sides: Vec<(&str, &[InvoiceDebt])> = reports
        .iter()
        .map(|r| (r.district.as_str(), r.invoices.as_slice()))
        .collect();
    Ok(Plan {
        parties: reports.iter().map(|r| r.district.clone()).collect(),
        arcs,
        disagreeing,
        invoices: invoice_clearing::plan(&sides)?,
    })
}

/// How this district's mirrors move in a plan: linked district's address → change of its
/// mirror's balance here (negative: we owed it and owe that much less; positive: it owed us).
pub fn moves(plan: &Plan, us: &str) -> BTreeMap<String, i64> {
    let mut moves: BTreeMap<String, i64> = BTreeMap::new();
    for a in &plan.arcs {
        if a.debtor == us {
            let m = moves.entry(a.creditor.clone()).or_default();
            *m = m.saturating_sub(a.set_off_minor);
        } else if a.creditor == us {
            let m = moves.entry(a.debtor.clone()).or_default();
            *m = m.saturating_add(a.set_off_minor);
        }
    }
    moves
}

/// Checks a plan received from the initiator against this district's own mirror balances
/// (linked district's address → its mirror's balance here, for the links that may clear) and
/// its own side of its invoices between districts.
///
/// The plan must be well formed, take from us what it gives us, touch only mirrors we have,
/// and move each of them towards zero without passing it; its invoice set-offs must pass
/// [`invoice_clearing::check`].
pub fn check(
    plan: &Plan,
    us: &str,
    balances: &BTreeMap<String, i64>,
    invoices: &[InvoiceDebt],
) -> Result<(), PlanError> {
    check_shape(plan)?;
    let parties: BTreeSet<&str> = plan.parties.iter().map(String::as_str).collect();
    invoice_clearing::check(&plan.invoices, &parties, us, invoices)?;
    let moves = moves(plan, us);
    let sum: i128 = moves.values().map(|&m| i128::from(m)).sum();
    if sum != 0 {
        return Err(PlanError::Unbalanced(us.to_owned()));
    }
    for (peer, &change) in &moves {
        let balance = *balances
            .get(peer)
            .ok_or_else(|| PlanError::UnknownDistrict(peer.clone()))?;
        let towards_zero = if change < 0 {
            balance >= change.saturating_neg()
        } else {
            balance <= change.saturating_neg()
        };
        if !towards_zero {
            return Err(PlanError::Stale(peer.clone()));
        }
    }
    Ok(())
}

/// A plan's own consistency: sizes, parties once each, arcs between two different parties
/// with `0 < set_off ≤ owed`.
fn check_shape(plan: &Plan) -> Result<(), PlanError> {
    if plan.parties.len() > MAX_PARTIES || plan.arcs.len() > MAX_ARCS {
        return Err(PlanError::TooLarge);
    }
    let mut parties = BTreeSet::new();
    for p in &plan.parties {
        if !parties.insert(p.as_str()) {
            return Err(PlanError::Duplicate(p.clone()));
        }
    }
    let mut pairs = BTreeSet::new();
    for (i, a) in plan.arcs.iter().enumerate() {
        let known = parties.contains(a.debtor.as_str()) && parties.contains(a.creditor.as_str());
        let amounts = 0 < a.set_off_minor && a.set_off_minor <= a.owed_minor;
        let pair = if a.debtor < a.creditor {
            (a.debtor.as_str(), a.creditor.as_str())
        } else {
            (a.creditor.as_str(), a.debtor.as_str())
        };
        if !known || !amounts || a.debtor == a.creditor || !pairs.insert(pair) {
            return Err(PlanError::BadArc(i));
        }
    }
    Ok(())
}

/// One transfer of a district's part: from one linked district's mirror to another's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorLeg {
    /// The district whose mirror pays (goes down).
    pub from: String,
    /// The district whose mirror is paid (goes up).
    pub to: String,
    pub amount_minor: i64,
}

/// Turns this district's moves into transfers between its mirrors: the mirrors that go down
/// pay the ones that go up, matched greedily in address order (at most one transfer fewer
/// than the mirrors moved). The moves must sum to zero ([`check`] makes sure).
pub fn legs(moves: &BTreeMap<String, i64>) -> Vec<MirrorLeg> {
    let mut down: Vec<(&str, i64)> = moves
        .iter()
        .filter(|(_, m)| **m < 0)
        .map(|(p, m)| (p.as_str(), m.saturating_neg()))
        .collect();
    let mut up: Vec<(&str, i64)> = moves
        .iter()
        .filter(|(_, m)| **m > 0)
        .map(|(p, m)| (p.as_str(), *m))
        .collect();
    let mut legs = Vec::with_capacity(down.len() + up.len());
    let (mut i, mut j) = (0, 0);
    while i < down.len() && j < up.len() {
        let amount_minor = down[i].1.min(up[j].1);
        legs.push(MirrorLeg {
            from: down[i].0.to_owned(),
            to: up[j].0.to_owned(),
            amount_minor,
        });
        down[i].1 -= amount_minor;
        up[j].1 -= amount_minor;
        if down[i].1 == 0 {
            i += 1;
        }
        if up[j].1 == 0 {
            j += 1;
        }
    }
    legs
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reports that agree, from a matrix of what each district owes each other one.
    fn reports(owes: &[Vec<i64>]) -> Vec<Report> {
        let n = owes.len();
        (0..n)
            .map(|i| Report {
                district: format!("https://d{i}.example"),
                balances: (0..n)
                    .filter(|&j| j != i)
                    .map(|j| (format!("https://d{j}.example"), owes[i][j] - owes[j][i]))
                    .collect(),
                invoices: Vec::new(),
            })
            .collect()
    }

    #[test]
    fn a_ring_of_three_is_set_off_by_its_smallest_debt() {
        // d0 owes d1 100, d1 owes d2 70, d2 owes d0 50.
        let r = reports(&[vec![0, 100, 0], vec![0, 0, 70], vec![50, 0, 0]]);
        let p = plan(&r).unwrap();
        assert_eq!(p.set_off_minor(), 150);
        assert!(p.arcs.iter().all(|a| a.set_off_minor == 50));
        let m0 = moves(&p, "https://d0.example");
        assert_eq!(m0["https://d1.example"], -50);
        assert_eq!(m0["https://d2.example"], 50);
        assert_eq!(
            legs(&m0),
            vec![MirrorLeg {
                from: "https://d1.example".into(),
                to: "https://d2.example".into(),
                amount_minor: 50
            }]
        );
        for r in &r {
            check(&p, &r.district, &r.balances, &[]).unwrap();
        }
    }

    #[test]
    fn a_pair_that_disagrees_is_left_out() {
        let mut r = reports(&[vec![0, 100, 0], vec![0, 0, 70], vec![50, 0, 0]]);
        // d1 has not yet recorded a payment d2 already has.
        r[1].balances.insert("https://d2.example".into(), 60);
        let p = plan(&r).unwrap();
        assert_eq!(p.set_off_minor(), 0);
        assert_eq!(
            p.disagreeing,
            vec![("https://d1.example".into(), "https://d2.example".into())]
        );
    }

    #[test]
    fn a_part_is_refused_when_a_balance_moved_or_is_unknown_or_unbalanced() {
        let r = reports(&[vec![0, 100, 0], vec![0, 0, 70], vec![50, 0, 0]]);
        let p = plan(&r).unwrap();
        let us = "https://d0.example";
        let mut moved = r[0].balances.clone();
        moved.insert("https://d1.example".into(), 20);
        assert_eq!(
            check(&p, us, &moved, &[]),
            Err(PlanError::Stale("https://d1.example".into()))
        );
        let mut unknown = r[0].balances.clone();
        unknown.remove("https://d2.example");
        assert_eq!(
            check(&p, us, &unknown, &[]),
            Err(PlanError::UnknownDistrict("https://d2.example".into()))
        );
        let mut lopsided = p.clone();
        lopsided.arcs[0].set_off_minor -= 1;
        assert!(matches!(
            check(&lopsided, us, &r[0].balances, &[]),
            Err(PlanError::Unbalanced(_))
        ));
        let mut over = p.clone();
        over.arcs[0].set_off_minor = over.arcs[0].owed_minor + 1;
        assert_eq!(
            check(&over, us, &r[0].balances, &[]),
            Err(PlanError::BadArc(0))
        );
        let mut twice = p.clone();
        twice.parties.push(us.into());
        assert!(matches!(
            check(&twice, us, &r[0].balances, &[]),
            Err(PlanError::Duplicate(_))
        ));
    }

    #[test]
    fn a_district_reporting_twice_is_refused() {
        let mut r = reports(&[vec![0, 1], vec![1, 0]]);
        r.push(r[0].clone());
        assert!(matches!(plan(&r), Err(PlanError::Duplicate(_))));
    }

    fn owes_matrix() -> impl Strategy<Value = Vec<Vec<i64>>> {
        (2usize..7).prop_flat_map(|n| {
            proptest::collection::vec(
                proptest::collection::vec(
                    prop_oneof![Just(0i64), 0i64..1_000, Just(i64::MAX / 8)],
                    n,
                ),
                n,
            )
        })
    }

    proptest! {
        /// Every district's part balances and stays within its mirrors, every pair of mirrors
        /// still agrees afterwards, and the total set off is the engine's optimum.
        #[test]
        fn every_part_balances_and_mirrors_still_agree(owes in owes_matrix()) {
            let n = owes.len();
            let mut owes = owes;
            for (i, row) in owes.iter_mut().enumerate() { row[i] = 0; }
            let r = reports(&owes);
            let p = plan(&r).unwrap();
            let mut after: Vec<BTreeMap<String, i64>> = r.iter().map(|r| r.balances.clone()).collect();
            for (k, rep) in r.iter().enumerate() {
                check(&p, &rep.district, &rep.balances, &[]).unwrap();
                let m = moves(&p, &rep.district);
                let legs = legs(&m);
                prop_assert!(legs.len() <= m.len().max(1));
                let mut applied: BTreeMap<String, i64> = BTreeMap::new();
                for l in &legs {
                    prop_assert!(l.amount_minor > 0);
                    *applied.entry(l.from.clone()).or_default() -= l.amount_minor;
                    *applied.entry(l.to.clone()).or_default() += l.amount_minor;
                }
                prop_assert_eq!(&applied, &m);
                for (peer, change) in m {
                    let b = after[k].get_mut(&peer).unwrap();
                    *b += change;
                }
            }
            for i in 0..n {
                for j in 0..n {
                    if i == j { continue; }
                    let bij = after[i][&format!("https://d{j}.example")];
                    let bji = after[j][&format!("https://d{i}.example")];
                    prop_assert_eq!(bij, -bji);
                    let before = r[i].balances[&format!("https://d{j}.example")];
                    prop_assert!(bij.abs() <= before.abs() && (bij == 0 || bij.signum() == before.signum()));
                }
            }
        }
    }
}
