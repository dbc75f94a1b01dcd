//! Clearing rounds in a district: their states and policies, the proposal computed from the
//! candidate invoices (accounts and invoices named by id), each participant's position, and
//! when a round is applied or lapses. Pure: the store reads candidates, this decides.

use super::{ClearingError, Network};
use crate::Invalid;
use std::collections::HashMap;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

/// The longest a round may stay open for answers.
pub const MAX_ROUND_DAYS: i64 = 90;
/// The most candidate invoices one round takes (far above a district's; the engine clears a
/// million in seconds, the pages are what would suffer).
pub const MAX_CANDIDATES: usize = 200_000;

/// Where a round stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoundStatus {
    /// Opened: members join; no proposal yet.
    Open,
    /// A proposal was computed; participants answer.
    Proposed,
    /// The set-off was applied to the invoices (final).
    Applied,
    /// The deadline passed without the consent the policy needs (final).
    Lapsed,
    /// A coordinator cancelled it (final).
    Cancelled,
}

impl RoundStatus {
    /// Every status.
    pub const ALL: [Self; 5] = [
        Self::Open,
        Self::Proposed,
        Self::Applied,
        Self::Lapsed,
        Self::Cancelled,
    ];

    /// The stored code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Proposed => "proposed",
            Self::Applied => "applied",
            Self::Lapsed => "lapsed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether members may still join, answer or withdraw.
    pub const fn in_progress(self) -> bool {
        matches!(self, Self::Open | Self::Proposed)
    }
}

/// How a round gets its consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Policy {
    /// Applied as soon as every participant concerned confirmed; lapses at the deadline
    /// otherwise.
    AllConfirm,
    /// Applied at the deadline (or earlier, once everyone concerned confirmed); a participant
    /// who disagrees withdraws, and the proposal is computed again without them.
    Tacit,
}

impl Policy {
    /// Every policy.
    pub const ALL: [Self; 2] = [Self::AllConfirm, Self::Tacit];

    /// The stored code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::AllConfirm => "all_confirm",
            Self::Tacit => "tacit",
        }
    }

    /// Parses a stored or submitted code.
    pub fn parse(code: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|p| p.code() == code.trim())
            .ok_or(Invalid::new("bad_clearing_policy", "policy"))
    }
}

/// The end of day `d` in UTC (midnight after it): a cut-off takes invoices issued before it, a
/// deadline chosen as a day runs until it.
pub fn end_of_day(d: Date) -> OffsetDateTime {
    d.next_day().unwrap_or(d).midnight().assume_utc()
}

/// Checks a new round's dates: the cut-off is not in the future and the deadline is after now
/// and within [`MAX_ROUND_DAYS`].
pub fn check_dates(
    cut_off: Date,
    deadline: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<(), Invalid> {
    if cut_off > now.date() {
        return Err(Invalid::new("cut_off_in_future", "cut_off"));
    }
    if deadline <= now {
        return Err(Invalid::new("deadline_passed", "deadline"));
    }
    if deadline - now > Duration::days(MAX_ROUND_DAYS) {
        return Err(Invalid::new("deadline_too_far", "deadline"));
    }
    Ok(())
}

/// An invoice a round may set off: accepted, in the round's currency, issued by the cut-off,
/// between two participants, with something remaining.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// The invoice.
    pub invoice: Uuid,
    /// The account that owes.
    pub debtor: Uuid,
    /// The account that is owed.
    pub creditor: Uuid,
    /// What remains of it (positive).
    pub remaining_minor: i64,
}

/// One invoice of a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// The candidate.
    pub candidate: Candidate,
    /// What the set-off takes from it.
    pub set_off_minor: i64,
    /// What credit-assisted settlement takes from it (0 in plain rounds).
    pub credit_minor: i64,
}

impl Line {
    /// What remains after the round.
    pub fn remaining_after_minor(&self) -> i64 {
        self.candidate.remaining_minor - self.set_off_minor - self.credit_minor
    }
}

/// A ledger transfer of a credit-assisted round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedTransfer {
    /// Pays.
    pub payer: Uuid,
    /// Receives.
    pub payee: Uuid,
    /// Positive.
    pub amount_minor: i64,
}

/// A round's proposal and its figures.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Proposal {
    /// Every candidate, in the order given.
    pub lines: Vec<Line>,
    /// The transfers credit-assisted settlement needs (empty in plain rounds).
    pub transfers: Vec<PlannedTransfer>,
    /// Accounts on at least one candidate.
    pub parties: u64,
    /// Σ remaining before.
    pub debt_before_minor: i128,
    /// Σ set off.
    pub set_off_minor: i128,
    /// Σ settled with credit.
    pub credit_settled_minor: i128,
    /// Σ of the transfers.
    pub credit_transferred_minor: i128,
}

/// What each account may pay and receive by credit in a credit-assisted round: how far its
/// balance is above its lower limit, and below its upper limit (`i64::MAX` when none).
pub type Headroom = HashMap<Uuid, (i64, i64)>;

/// The candidates as a network: account ids numbered in order of first appearance.
fn network_of(candidates: &[Candidate]) -> Result<(Network, Vec<Uuid>), ClearingError> {
    let mut index: HashMap<Uuid, u32> = HashMap::with_capacity(candidates.len());
    let mut accounts: Vec<Uuid> = Vec::new();
    let mut ends = Vec::with_capacity(candidates.len());
    for c in candidates {
        let mut number = |id: Uuid| -> u32 {
            *index.entry(id).or_insert_with(|| {
                accounts.push(id);
                (accounts.len() - 1) as u32
            })
        };
        ends.push((number(c.debtor), number(c.creditor)));
    }
    let parties = u32::try_from(accounts.len()).map_err(|_| ClearingError::TooLarge)?;
    let mut net = Network::with_capacity(parties, candidates.len());
    for (c, (d, k)) in candidates.iter().zip(ends) {
        net.push(d, k, c.remaining_minor)?;
    }
    Ok((net, accounts))
}

/// Computes the proposal: the optimal set-off of the candidates and, when `headroom` is given,
/// the credit-assisted settlement of what remains.
pub fn propose(
    candidates: &[Candidate],
    headroom: Option<&Headroom>,
) -> Result<Proposal, ClearingError> {
    if candidates.len() > MAX_CANDIDATES {
        return Err(ClearingError::TooLarge);
    }
    let (net, accounts) = network_of(candidates)?;
    let clearing = super::clear(&net)?;
    let mut credit = vec![0i64; candidates.len()];
    let mut transfers = Vec::new();
    if let Some(headroom) = headroom {
        let (assist, planned) = assist(&net, &accounts, &clearing.setoff, headroom)?;
        credit = assist;
        transfers = planned;
    }
    let lines: Vec<Line> = candidates
        .iter()
        .zip(clearing.setoff.iter().zip(&credit))
        .map(|(c, (&s, &k))| Line {
            candidate: *c,
            set_off_minor: s,
            credit_minor: k,
        })
        .collect();
    Ok(Proposal {
        parties: accounts.len() as u64,
        debt_before_minor: net.total(),
        set_off_minor: clearing.summary.cleared,
        credit_settled_minor: credit.iter().map(|&k| i128::from(k)).sum(),
        credit_transferred_minor: transfers.iter().map(|t| i128::from(t.amount_minor)).sum(),
        lines,
        transfers,
    })
}

/// The credit-assisted part: what each invoice gets settled with credit, and the transfers.
fn assist(
    net: &Network,
    accounts: &[Uuid],
    setoff: &[i64],
    headroom: &Headroom,
) -> Result<(Vec<i64>, Vec<PlannedTransfer>), ClearingError> {
    let room = |id: &Uuid| headroom.get(id).copied().unwrap_or((0, 0));
    let draw: Vec<i64> = accounts.iter().map(|id| room(id).0.max(0)).collect();
    let receive: Vec<i64> = accounts.iter().map(|id| room(id).1.max(0)).collect();
    let result = super::credit::credit_assist(
        net,
        setoff,
        super::credit::Liquidity {
            draw_minor: &draw,
            receive_minor: &receive,
        },
    )?;
    let transfers = result
        .transfers
        .iter()
        .map(|t| PlannedTransfer {
            payer: accounts[t.payer as usize],
            payee: accounts[t.payee as usize],
            amount_minor: t.amount,
        })
        .collect();
    Ok((result.settled, transfers))
}

/// One account's side of a proposal: gross debts and credits before and after, and what it
/// pays and receives by credit transfer. Its net position (credits − debts + transfers
/// received − paid) is the same before and after.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountPosition {
    /// Candidate invoices it owes, before.
    pub debt_before_minor: i128,
    /// Candidate invoices owed to it, before.
    pub credit_before_minor: i128,
    /// What it still owes after.
    pub debt_after_minor: i128,
    /// What is still owed to it after.
    pub credit_after_minor: i128,
    /// What it pays by credit transfer.
    pub paid_minor: i128,
    /// What it receives by credit transfer.
    pub received_minor: i128,
}

impl AccountPosition {
    /// Owed to it minus owed by it, before the round.
    pub fn net_before_minor(&self) -> i128 {
        self.credit_before_minor - self.debt_before_minor
    }

    /// The same after the round, counting the transfers (equal to the one before).
    pub fn net_after_minor(&self) -> i128 {
        self.credit_after_minor - self.debt_after_minor + self.received_minor - self.paid_minor
    }
}

/// `account`'s position in a proposal given as lines and transfers.
pub fn position(account: Uuid, lines: &[Line], transfers: &[PlannedTransfer]) -> AccountPosition {
    let mut p = AccountPosition::default();
    for l in lines {
        let before = i128::from(l.candidate.remaining_minor);
        let after = i128::from(l.remaining_after_minor());
        if l.candidate.debtor == account {
            p.debt_before_minor += before;
            p.debt_after_minor += after;
        }
        if l.candidate.creditor == account {
            p.credit_before_minor += before;
            p.credit_after_minor += after;
        }
    }
    for t in transfers {
        if t.payer == account {
            p.paid_minor += i128::from(t.amount_minor);
        }
        if t.payee == account {
            p.received_minor += i128::from(t.amount_minor);
        }
    }
    p
}

/// Accounts whose invoices or balance a proposal changes: those who must consent.
pub fn concerned(lines: &[Line], transfers: &[PlannedTransfer]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = lines
        .iter()
        .filter(|l| l.set_off_minor > 0 || l.credit_minor > 0)
        .flat_map(|l| [l.candidate.debtor, l.candidate.creditor])
        .chain(transfers.iter().flat_map(|t| [t.payer, t.payee]))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// A cycle of a proposal's set-off: accounts in order (each owes the next, the last owes the
/// first) and the amount that went round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundCycle {
    /// The accounts, starting from the one with the lowest index in the lines.
    pub accounts: Vec<Uuid>,
    /// Set off on every invoice of the cycle.
    pub amount_minor: i64,
}

/// The `max` largest cycles of a proposal's set-off (credit settlement is not a cycle).
pub fn largest_cycles(lines: &[Line], max: usize) -> Vec<RoundCycle> {
    let candidates: Vec<Candidate> = lines.iter().map(|l| l.candidate).collect();
    let Ok((net, accounts)) = network_of(&candidates) else {
        return Vec::new();
    };
    let setoff: Vec<i64> = lines.iter().map(|l| l.set_off_minor).collect();
    super::cycles::largest_cycles(&net, &setoff, max)
        .into_iter()
        .map(|c| RoundCycle {
            accounts: c.parties.iter().map(|&p| accounts[p as usize]).collect(),
            amount_minor: c.amount,
        })
        .collect()
}

/// What happens to a proposed round now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Keep waiting for answers or the deadline.
    Wait,
    /// Apply the proposal.
    Apply,
    /// Close it without applying anything.
    Lapse,
}

/// Decides a proposed round: `concerned` accounts must consent, `confirmed` have.
pub fn verdict(
    policy: Policy,
    concerned: &[Uuid],
    confirmed: &[Uuid],
    deadline: OffsetDateTime,
    now: OffsetDateTime,
) -> Verdict {
    let everyone = !concerned.is_empty() && concerned.iter().all(|a| confirmed.contains(a));
    if everyone {
        return Verdict::Apply;
    }
    if now < deadline {
        return Verdict::Wait;
    }
    match policy {
        Policy::Tacit if !concerned.is_empty() => Verdict::Apply,
        _ => Verdict::Lapse,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn cand(n: u128, d: u128, c: u128, amount: i64) -> Candidate {
        Candidate {
            invoice: id(1000 + n),
            debtor: id(d),
            creditor: id(c),
            remaining_minor: amount,
        }
    }

    #[test]
    fn a_triangle_is_proposed_and_positions_keep_their_net() {
        let c = [
            cand(1, 1, 2, 100),
            cand(2, 2, 3, 70),
            cand(3, 3, 1, 50),
            cand(4, 1, 3, 5),
        ];
        let p = propose(&c, None).unwrap();
        assert_eq!(p.set_off_minor, 150);
        assert_eq!(p.debt_before_minor, 225);
        assert_eq!(p.parties, 3);
        assert_eq!(
            p.lines.iter().map(|l| l.set_off_minor).collect::<Vec<_>>(),
            [50, 50, 50, 0]
        );
        for a in 1..=3 {
            let pos = position(id(a), &p.lines, &p.transfers);
            assert_eq!(pos.net_before_minor(), pos.net_after_minor());
        }
        assert_eq!(concerned(&p.lines, &p.transfers), vec![id(1), id(2), id(3)]);
    }

    #[test]
    fn the_policies_decide_as_documented() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(100);
        let later = now + Duration::days(1);
        let (a, b) = (id(1), id(2));
        use Verdict::*;
        assert_eq!(verdict(Policy::AllConfirm, &[a, b], &[a], later, now), Wait);
        assert_eq!(
            verdict(Policy::AllConfirm, &[a, b], &[a, b], later, now),
            Apply
        );
        assert_eq!(verdict(Policy::AllConfirm, &[a, b], &[a], now, now), Lapse);
        assert_eq!(verdict(Policy::Tacit, &[a, b], &[], later, now), Wait);
        assert_eq!(verdict(Policy::Tacit, &[a, b], &[], now, now), Apply);
        assert_eq!(verdict(Policy::Tacit, &[], &[], now, now), Lapse);
        assert_eq!(verdict(Policy::AllConfirm, &[], &[], later, now), Wait);
    }

    #[test]
    fn dates_are_checked() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(100);
        let today = now.date();
        assert!(check_dates(today, now + Duration::days(7), now).is_ok());
        assert_eq!(
            check_dates(today + Duration::days(1), now + Duration::days(7), now)
                .unwrap_err()
                .code,
            "cut_off_in_future"
        );
        assert_eq!(
            check_dates(today, now, now).unwrap_err().code,
            "deadline_passed"
        );
        assert_eq!(
            check_dates(today, now + Duration::days(91), now)
                .unwrap_err()
                .code,
            "deadline_too_far"
        );
        assert_eq!(Policy::parse("tacit").unwrap(), Policy::Tacit);
        assert_eq!(Policy::parse("x").unwrap_err().code, "bad_clearing_policy");
    }
}
