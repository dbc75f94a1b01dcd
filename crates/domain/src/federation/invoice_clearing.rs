//! Unpaid invoices between members of linked districts, set off at federation level with the
//! district clearing engine ([`crate::clearing::clear`]).
//!
//! Each invoice between districts is known to both: the creditor's district knows its creditor
//! (an account there), the debtor's its debtor. Each reports its side ([`InvoiceDebt`]); an
//! invoice counts when both sides reported it with the same districts and the same amount
//! remaining. The parties of the network are members, named by their district and account, so
//! a member of A who owes a member of B while being owed by them (or by a member of C owed by
//! B's member, round a cycle) has both debts reduced by the same amount: no money moves, and no
//! member's net position changes.

use super::clearing::PlanError;
use crate::clearing::{Network, clear};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The most invoices one district reports, and one round sets off.
pub const MAX_INVOICES: usize = 10_000;

/// One district's side of an unpaid, accepted invoice between members of two districts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceDebt {
    /// The invoice's id (the same in both districts).
    pub id: String,
    /// The debtor's district (its address).
    pub debtor: String,
    /// The creditor's district.
    pub creditor: String,
    /// The reporting district's member on it (an account id there).
    pub member: String,
    /// What remains to be paid, in the creditor's minor units.
    pub remaining_minor: i64,
}

/// An invoice between districts and what the round sets off of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceSetOff {
    pub id: String,
    /// The debtor's district and account there.
    pub debtor: String,
    pub debtor_member: String,
    /// The creditor's district and account there.
    pub creditor: String,
    pub creditor_member: String,
    /// What remained before the round.
    pub owed_minor: i64,
    /// What the round sets off (`0 < set_off_minor ≤ owed_minor`).
    pub set_off_minor: i64,
}

/// A member of a district, as a party of the network.
type Member = (String, String);

/// The largest set-off of the invoices both sides reported alike. `reports` pairs each
/// district's address with the invoices it reported (at most [`MAX_INVOICES`] each are read).
pub fn plan(reports: &[(&str, &[InvoiceDebt])]) -> Result<Vec<InvoiceSetOff>, PlanError> {
    let mut creditors: BTreeMap<&str, &InvoiceDebt> = BTreeMap::new();
    let mut debtors: BTreeMap<&str, &InvoiceDebt> = BTreeMap::new();
    for (district, debts) in reports {
        for d in debts.iter().take(MAX_INVOICES) {
            if d.creditor == *district && d.debtor != d.creditor {
                creditors.insert(d.id.as_str(), d);
            } else if d.debtor == *district && d.debtor != d.creditor {
                debtors.insert(d.id.as_str(), d);
            }
        }
    }
    let mut members: BTreeMap<Member, u32> = BTreeMap::new();
    let mut owed: Vec<InvoiceSetOff> = Vec::new();
    for (id, c) in &creditors {
        let Some(d) = debtors.get(id) else {
            continue;
        };
        let alike = c.debtor == d.debtor
            && c.creditor == d.creditor
            && c.remaining_minor == d.remaining_minor
            && c.remaining_minor > 0;
        if !alike || owed.len() >= MAX_INVOICES {
            continue;
        }
        for m in [
            (d.debtor.clone(), d.member.clone()),
            (c.creditor.clone(), c.member.clone()),
        ] {
            let next = u32::try_from(members.len()).map_err(|_| PlanError::TooLarge)?;
            members.entry(m).or_insert(next);
        }
        owed.push(InvoiceSetOff {
            id: (*id).to_owned(),
            debtor: d.debtor.clone(),
            debtor_member: d.member.clone(),
            creditor: c.creditor.clone(),
            creditor_member: c.member.clone(),
            owed_minor: c.remaining_minor,
            set_off_minor: 0,
        });
    }
    let parties = u32::try_from(members.len()).map_err(|_| PlanError::TooLarge)?;
    let mut net = Network::with_capacity(parties, owed.len());
    for o in &owed {
        let debtor = members[&(o.debtor.clone(), o.debtor_member.clone())];
        let creditor = members[&(o.creditor.clone(), o.creditor_member.clone())];
        if debtor == creditor {
            // One account on both sides cannot happen between two districts; skip it safely.
            continue;
        }
        net.push(debtor, creditor, o.owed_minor)
            .map_err(|e| PlanError::Engine(e.to_string()))?;
    }
    let cleared = clear(&net).map_err(|e| PlanError::Engine(e.to_string()))?;
    Ok(owed
        .into_iter()
        .zip(cleared.setoff)
        .filter(|(_, s)| *s > 0)
        .map(|(o, s)| InvoiceSetOff {
            set_off_minor: s,
            ..o
        })
        .collect())
}

/// Checks the invoice set-offs of a plan received from the initiator against this district's
/// own side of its invoices (as it would report them now).
///
/// Each set-off must be well formed and between two parties of the round; each one naming us
/// must be one of our invoices, on the same member and districts, with at least the set-off
/// still remaining; and each of our members must be relieved of as much as they give up (their
/// net position does not change).
pub fn check(
    set_offs: &[InvoiceSetOff],
    parties: &BTreeSet<&str>,
    us: &str,
    ours: &[InvoiceDebt],
) -> Result<(), PlanError> {
    if set_offs.len() > MAX_INVOICES {
        return Err(PlanError::TooLarge);
    }
    let ours: BTreeMap<&str, &InvoiceDebt> = ours.iter().map(|d| (d.id.as_str(), d)).collect();
    let mut ids = BTreeSet::new();
    let mut net: BTreeMap<&str, i128> = BTreeMap::new();
    for (i, s) in set_offs.iter().enumerate() {
        let shaped = parties.contains(s.debtor.as_str())
            && parties.contains(s.creditor.as_str())
            && s.debtor != s.creditor
            && 0 < s.set_off_minor
            && s.set_off_minor <= s.owed_minor
            && ids.insert(s.id.as_str());
        if !shaped {
            return Err(PlanError::BadInvoice(i));
        }
        let member = if s.debtor == us {
            &s.debtor_member
        } else if s.creditor == us {
            &s.creditor_member
        } else {
            continue;
        };
        let mine = ours
            .get(s.id.as_str())
            .filter(|d| d.debtor == s.debtor && d.creditor == s.creditor && d.member == *member)
            .ok_or_else(|| PlanError::UnknownInvoice(s.id.clone()))?;
        if mine.remaining_minor < s.set_off_minor {
            return Err(PlanError::Stale(s.id.clone()));
        }
        let change = i128::from(s.set_off_minor);
        let entry = net.entry(member.as_str()).or_default();
        *entry += if s.debtor == us { change } else { -change };
    }
    match net.into_iter().find(|(_, n)| *n != 0) {
        Some((member, _)) => Err(PlanError::Unbalanced(member.to_owned())),
        None => Ok(()),
    }
}

/// What the plan sets off of each of our invoices: invoice id → amount.
pub fn ours(set_offs: &[InvoiceSetOff], us: &str) -> BTreeMap<String, i64> {
    set_offs
        .iter()
        .filter(|s| s.debtor == us || s.creditor == us)
        .map(|s| (s.id.clone(), s.set_off_minor))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const A: &str = "https://a.example";
    const B: &str = "https://b.example";
    const C: &str = "https://c.example";

    fn debt(id: &str, debtor: &str, creditor: &str, member: &str, remaining: i64) -> InvoiceDebt {
        InvoiceDebt {
            id: id.into(),
            debtor: debtor.into(),
            creditor: creditor.into(),
            member: member.into(),
            remaining_minor: remaining,
        }
    }

    /// Both sides of an invoice "member `dm` of `d` owes member `cm` of `c`".
    fn both(id: &str, d: &str, dm: &str, c: &str, cm: &str, remaining: i64) -> [InvoiceDebt; 2] {
        [debt(id, d, c, dm, remaining), debt(id, d, c, cm, remaining)]
    }

    fn reports(invoices: &[[InvoiceDebt; 2]]) -> BTreeMap<String, Vec<InvoiceDebt>> {
        let mut out: BTreeMap<String, Vec<InvoiceDebt>> = BTreeMap::new();
        for [d, c] in invoices {
            out.entry(d.debtor.clone()).or_default().push(d.clone());
            out.entry(c.creditor.clone()).or_default().push(c.clone());
        }
        out
    }

    fn planned(r: &BTreeMap<String, Vec<InvoiceDebt>>) -> Vec<InvoiceSetOff> {
        let list: Vec<(&str, &[InvoiceDebt])> =
            r.iter().map(|(k, v)| (k.as_str(), v.as_slice())).collect();
        plan(&list).unwrap()
    }

    #[test]
    fn two_members_owing_each_other_across_a_border_net_off() {
        // a1 (A) owes b1 (B) 50; b1 owes a1 30.
        let r = reports(&[
            both("i1", A, "a1", B, "b1", 50),
            both("i2", B, "b1", A, "a1", 30),
        ]);
        let p = planned(&r);
        assert_eq!(p.len(), 2);
        assert!(p.iter().all(|s| s.set_off_minor == 30));
        let parties: BTreeSet<&str> = [A, B].into();
        for (district, ours) in &r {
            check(&p, &parties, district, ours).unwrap();
        }
        assert_eq!(ours(&p, A).get("i1"), Some(&30));
    }

    #[test]
    fn a_cycle_through_three_districts_and_no_more() {
        let r = reports(&[
            both("i1", A, "a1", B, "b1", 100),
            both("i2", B, "b1", C, "c1", 70),
            both("i3", C, "c1", A, "a1", 40),
            // Not on a cycle: left alone.
            both("i4", A, "a2", C, "c1", 500),
        ]);
        let p = planned(&r);
        let total: i64 = p.iter().map(|s| s.set_off_minor).sum();
        assert_eq!(total, 120);
        assert!(p.iter().all(|s| s.id != "i4"));
    }

    #[test]
    fn an_invoice_the_two_sides_see_differently_is_left_out() {
        let mut r = reports(&[
            both("i1", A, "a1", B, "b1", 50),
            both("i2", B, "b1", A, "a1", 30),
        ]);
        // B recorded a payment of i2 that A has not recorded yet.
        r.get_mut(B).unwrap()[1].remaining_minor = 20;
        assert!(planned(&r).is_empty());
    }

    #[test]
    fn a_part_that_does_not_fit_our_invoices_is_refused() {
        let r = reports(&[
            both("i1", A, "a1", B, "b1", 50),
            both("i2", B, "b1", A, "a1", 30),
        ]);
        let p = planned(&r);
        let parties: BTreeSet<&str> = [A, B].into();
        let ours_a = &r[A];
        let mut paid = ours_a.clone();
        paid[0].remaining_minor = 10;
        assert_eq!(
            check(&p, &parties, A, &paid),
            Err(PlanError::Stale("i1".into()))
        );
        assert_eq!(
            check(&p, &parties, A, &ours_a[1..]),
            Err(PlanError::UnknownInvoice("i1".into()))
        );
        let mut other_member = p.clone();
        other_member[0].debtor_member = "a9".into();
        assert_eq!(
            check(&other_member, &parties, A, ours_a),
            Err(PlanError::UnknownInvoice("i1".into()))
        );
        let mut lopsided = p.clone();
        lopsided[0].set_off_minor -= 1;
        assert!(matches!(
            check(&lopsided, &parties, A, ours_a),
            Err(PlanError::Unbalanced(_))
        ));
        let mut over = p.clone();
        over[1].set_off_minor = over[1].owed_minor + 1;
        assert_eq!(
            check(&over, &parties, A, ours_a),
            Err(PlanError::BadInvoice(1))
        );
        let outsider: BTreeSet<&str> = [A].into();
        assert_eq!(
            check(&p, &outsider, A, ours_a),
            Err(PlanError::BadInvoice(0))
        );
    }

    proptest! {
        /// Whatever invoices members of up to four districts owe each other: every district
        /// accepts its part, no set-off passes what remains, and no member's net position
        /// changes.
        #[test]
        fn every_part_is_accepted_and_nets_are_kept(
            invoices in proptest::collection::vec((0usize..4, 0usize..3, 0usize..4, 0usize..3, 1i64..1_000), 0..30)
        ) {
            let districts = [A, B, C, "https://d.example"];
            let list: Vec<[InvoiceDebt; 2]> = invoices
                .iter()
                .enumerate()
                .filter(|(_, (d, _, c, _, _))| d != c)
                .map(|(i, (d, dm, c, cm, amount))| {
                    both(&format!("i{i}"), districts[*d], &format!("m{dm}"), districts[*c], &format!("m{cm}"), *amount)
                })
                .collect();
            let r = reports(&list);
            let p = planned(&r);
            let parties: BTreeSet<&str> = r.keys().map(String::as_str).collect();
            for (district, ours) in &r {
                prop_assert!(check(&p, &parties, district, ours).is_ok());
            }
            let mut net: BTreeMap<(String, String), i64> = BTreeMap::new();
            for s in &p {
                prop_assert!(0 < s.set_off_minor && s.set_off_minor <= s.owed_minor);
                *net.entry((s.debtor.clone(), s.debtor_member.clone())).or_default() += s.set_off_minor;
                *net.entry((s.creditor.clone(), s.creditor_member.clone())).or_default() -= s.set_off_minor;
            }
            prop_assert!(net.values().all(|n| *n == 0));
        }
    }
}
