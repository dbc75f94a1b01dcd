//! The monthly aggregates of the journal that every trade indicator reads.
//!
//! A [`Trade`] folds journal postings into two tables: credit moved per (month, payer account,
//! payee account, kind), and each account's balance after its last posting of a month. The
//! store keeps these tables up to date as the journal grows (folding only new postings) and
//! can also fold the whole journal from scratch; both must give the same [`Trade`], which the
//! tests check. Accounts are dense indices given by the caller.

use super::period::{Month, Period};
use crate::ledger::TransferKind;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// One journal entry, as the aggregates read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    /// Its place in the journal.
    pub seq: i64,
    /// The month (UTC) it was made.
    pub month: Month,
    /// What it was.
    pub kind: TransferKind,
    /// The paying account (dense index).
    pub payer: u32,
    /// The receiving account.
    pub payee: u32,
    /// Credit moved, in minor units (> 0).
    pub amount_minor: i64,
    /// The payer's balance after it.
    pub payer_balance_minor: i64,
    /// The payee's balance after it.
    pub payee_balance_minor: i64,
}

/// Where credit went in one month, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    /// The month.
    pub month: Month,
    /// The paying account.
    pub payer: u32,
    /// The receiving account.
    pub payee: u32,
    /// The kind of transfer.
    pub kind: TransferKind,
}

/// The sum of the transfers behind one [`FlowKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlowSum {
    /// Credit moved, in minor units (saturating at `i64::MAX`, as the store keeps it). Not
    /// an `i128`: a national year folds nine million of these, and the smaller entry makes the
    /// map 64 → 40 bytes an entry.
    pub amount_minor: i64,
    /// How many transfers.
    pub transfers: u64,
}

impl FlowSum {
    /// Adds `transfers` transfers moving `amount_minor` in all (both saturating).
    fn add(&mut self, amount_minor: i64, transfers: u64) {
        self.amount_minor = self.amount_minor.saturating_add(amount_minor);
        self.transfers = self.transfers.saturating_add(transfers);
    }
}

/// An account's balance after its last posting of a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closing {
    /// That posting's place in the journal.
    pub seq: i64,
    /// The balance after it, in minor units.
    pub balance_minor: i64,
}

/// The flows of one month: credit moved per (payer account, payee account, kind).
pub type MonthFlows = FxHashMap<(u32, u32, TransferKind), FlowSum>;

/// The month closings of one month: each account's balance after its last posting of it.
pub type MonthClosings = FxHashMap<u32, Closing>;

/// The monthly aggregates, kept month by month.
///
/// The maps hash with FxHash: their keys are account numbers the store gives and months, not
/// text anyone chooses, and SipHash was a third of the time of folding a national year. One
/// map per month rather than one for every month: a national year's nine million flows made
/// a map of 650 MB that every posting updated at a random place (a cache and TLB miss each);
/// a month's map is a twelfth of that, and folding ten million postings into them took half
/// the time. A month is never kept with an empty map, so equal aggregates compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trade {
    flows: BTreeMap<Month, MonthFlows>,
    closing: BTreeMap<Month, MonthClosings>,
}

impl Trade {
    /// Adds one posting.
    pub fn fold(&mut self, p: &Posting) {
        add_flow(self.flows.entry(p.month).or_default(), p);
        self.close(p.payer, p.month, p.seq, p.payer_balance_minor);
        self.close(p.payee, p.month, p.seq, p.payee_balance_minor);
    }

    /// Records only the balances after a posting (one made before the period of interest,
    /// whose closing balances the period still needs).
    pub fn fold_closings_only(&mut self, p: &Posting) {
        self.close(p.payer, p.month, p.seq, p.payer_balance_minor);
        self.close(p.payee, p.month, p.seq, p.payee_balance_minor);
    }

    fn close(&mut self, account: u32, month: Month, seq: i64, balance_minor: i64) {
        close_in(
            self.closing.entry(month).or_default(),
            account,
            seq,
            balance_minor,
        );
    }

    /// Adds everything `other` holds (the same rules as folding its postings).
    pub fn merge(&mut self, other: &Trade) {
        for (k, v) in other.flows() {
            self.flows
                .entry(k.month)
                .or_default()
                .entry((k.payer, k.payee, k.kind))
                .or_default()
                .add(v.amount_minor, v.transfers);
        }
        for ((account, month), c) in other.closings() {
            self.close(account, month, c.seq, c.balance_minor);
        }
    }

    /// Sets the sum of one flow (as the store keeps it), replacing any there was.
    pub fn set_flow(&mut self, key: FlowKey, sum: FlowSum) {
        self.flows
            .entry(key.month)
            .or_default()
            .insert((key.payer, key.payee, key.kind), sum);
    }

    /// Sets an account's closing of a month (as the store keeps it), replacing any there was.
    pub fn set_closing(&mut self, account: u32, month: Month, closing: Closing) {
        self.closing
            .entry(month)
            .or_default()
            .insert(account, closing);
    }

    /// The sum of one flow, if any transfer made it.
    pub fn flow(&self, key: &FlowKey) -> Option<&FlowSum> {
        self.flows
            .get(&key.month)?
            .get(&(key.payer, key.payee, key.kind))
    }

    /// An account's closing of a month, if it moved in that month.
    pub fn closing_of(&self, account: u32, month: Month) -> Option<&Closing> {
        self.closing.get(&month)?.get(&account)
    }

    /// How many flows there are, over every month.
    pub fn flow_count(&self) -> usize {
        self.flows.values().map(|m| m.len()).sum()
    }

    /// How many closings there are, over every month.
    pub fn closing_count(&self) -> usize {
        self.closing.values().map(|m| m.len()).sum()
    }

    /// Every flow, month by month.
    pub fn flows(&self) -> impl Iterator<Item = (FlowKey, &FlowSum)> {
        self.flows
            .iter()
            .flat_map(|(m, flows)| month_flows(*m, flows))
    }

    /// The flows of the months of `period` only.
    pub fn flows_in(&self, period: &Period) -> impl Iterator<Item = (FlowKey, &FlowSum)> {
        self.flows
            .range(period.first()..=period.last())
            .flat_map(|(m, flows)| month_flows(*m, flows))
    }

    /// Every closing, month by month.
    pub fn closings(&self) -> impl Iterator<Item = ((u32, Month), &Closing)> {
        self.closing
            .iter()
            .flat_map(|(m, c)| c.iter().map(|(account, c)| ((*account, *m), c)))
    }

    /// Each account's balance at the end of each month of `period`, carried forward from its
    /// last posting (at most `accounts` accounts): `out[account][offset]`.
    pub fn month_end_balances(&self, period: &Period, accounts: usize) -> Vec<Vec<i64>> {
        let months = period.len_months() as usize;
        let mut latest: Vec<Vec<(Month, i64, i64)>> = vec![Vec::new(); accounts];
        for (month, closings) in self.closing.range(..=period.last()) {
            for (account, c) in closings {
                if let Some(list) = latest.get_mut(*account as usize) {
                    list.push((*month, c.seq, c.balance_minor));
                }
            }
        }
        latest
            .into_iter()
            .map(|mut list| {
                list.sort_unstable();
                carry_forward(&list, period, months)
            })
            .collect()
    }
}

/// Adds a posting's credit to its flow in `flows`, the map of its month.
fn add_flow(flows: &mut MonthFlows, p: &Posting) {
    flows
        .entry((p.payer, p.payee, p.kind))
        .or_default()
        .add(p.amount_minor, 1);
}

/// Keeps the latest of an account's closings of one month (`closings`, that month's map).
fn close_in(closings: &mut MonthClosings, account: u32, seq: i64, balance_minor: i64) {
    let c = closings
        .entry(account)
        .or_insert(Closing { seq, balance_minor });
    if seq >= c.seq {
        *c = Closing { seq, balance_minor };
    }
}

/// The flows of `month` (its map) with their whole keys.
fn month_flows(month: Month, flows: &MonthFlows) -> impl Iterator<Item = (FlowKey, &FlowSum)> {
    flows.iter().map(move |((payer, payee, kind), sum)| {
        (
            FlowKey {
                month,
                payer: *payer,
                payee: *payee,
                kind: *kind,
            },
            sum,
        )
    })
}

/// The most accounts a [`Folder`] keeps an open month for (beyond, it writes to the map at
/// once): 64 million slots of 32 bytes, 2 GiB.
const MAX_OPEN_ACCOUNTS: usize = 1 << 26;

/// The most flows a [`Folder`] makes room for at the start (beyond, its map grows as it
/// goes): 16 million, a map of about 1.5 GiB.
const MAX_RESERVED_FLOWS: usize = 1 << 24;

/// Folds a whole journal, read in order, into a [`Trade`] for `period` (flows of its months,
/// closings of every month), with the same result as [`Trade::fold`] and
/// [`Trade::fold_closings_only`] but about a third of the map updates: the closing of the month
/// each account is moving in stays in a vector by account, and goes into the map only when
/// that account moves in another month, or at the end. Postings out of month order stay
/// right: the map keeps the latest of each (account, month) as [`Trade::merge`] does.
#[derive(Debug, Clone)]
pub struct Folder {
    period: Period,
    trade: Trade,
    open: Vec<Option<(Month, Closing)>>,
    /// The flows of the month being read, out of `trade` until a posting of another month
    /// comes (the journal is read in order, so that is about once a month).
    month: Option<(Month, MonthFlows)>,
    /// The room made in a month's map when it is first met.
    month_room: usize,
}

impl Folder {
    /// An empty fold for `period`, for about `accounts` accounts and at most about `flows`
    /// flows (the period's postings, say). Making room for the flows at once matters at scale:
    /// a map growing to a national year's eight million keys copied itself at every doubling
    /// and had the system zero a gigabyte and a half of fresh pages, a third of the folding
    /// thread's time. Each month's map gets its share.
    pub fn new(period: Period, accounts: usize, flows: usize) -> Self {
        Self {
            period,
            trade: Trade::default(),
            open: Vec::with_capacity(accounts.min(MAX_OPEN_ACCOUNTS)),
            month: None,
            month_room: flows.min(MAX_RESERVED_FLOWS) / period.len_months().max(1) as usize,
        }
    }

    /// Adds one posting: its flow if its month is in the period, its balances in any case.
    pub fn push(&mut self, p: &Posting) {
        if self.period.contains(p.month) {
            add_flow(self.month_flows(p.month), p);
        }
        self.touch(p.payer, p.month, p.seq, p.payer_balance_minor);
        self.touch(p.payee, p.month, p.seq, p.payee_balance_minor);
    }

    /// The map of `month`'s flows, taken out of the aggregates (or made) when the month
    /// changes.
    fn month_flows(&mut self, month: Month) -> &mut MonthFlows {
        if self.month.as_ref().is_some_and(|(m, _)| *m != month) {
            self.put_back();
        }
        let (trade, room) = (&mut self.trade, self.month_room);
        &mut self
            .month
            .get_or_insert_with(|| {
                let flows = trade.flows.remove(&month).unwrap_or_else(|| {
                    MonthFlows::with_capacity_and_hasher(room, Default::default())
                });
                (month, flows)
            })
            .1
    }

    /// Puts the month being read back into the aggregates (unless it has no flow).
    fn put_back(&mut self) {
        if let Some((month, flows)) = self.month.take()
            && !flows.is_empty()
        {
            self.trade.flows.insert(month, flows);
        }
    }

    fn touch(&mut self, account: u32, month: Month, seq: i64, balance_minor: i64) {
        let i = account as usize;
        if i >= MAX_OPEN_ACCOUNTS {
            self.trade.close(account, month, seq, balance_minor);
            return;
        }
        if i >= self.open.len() {
            self.open.resize(i + 1, None);
        }
        let now = Closing { seq, balance_minor };
        match &mut self.open[i] {
            Some((m, c)) if *m == month => {
                if seq >= c.seq {
                    *c = now;
                }
            }
            Some((m, c)) => {
                let (earlier, closing) = (*m, *c);
                (*m, *c) = (month, now);
                self.trade
                    .close(account, earlier, closing.seq, closing.balance_minor);
            }
            slot @ None => *slot = Some((month, now)),
        }
    }

    /// The aggregates of everything pushed.
    pub fn finish(mut self) -> Trade {
        self.put_back();
        for (account, slot) in self.open.iter().enumerate() {
            if let Some((month, c)) = slot {
                let account = u32::try_from(account).unwrap_or(u32::MAX);
                self.trade.close(account, *month, c.seq, c.balance_minor);
            }
        }
        self.trade
    }
}

/// The balance at the end of each month of `period` from an account's month closings (sorted).
fn carry_forward(list: &[(Month, i64, i64)], period: &Period, months: usize) -> Vec<i64> {
    let mut out = vec![0i64; months];
    let mut balance = 0i64;
    let mut next = 0usize;
    for (offset, month) in period.months().enumerate().take(months) {
        while let Some((m, _, b)) = list.get(next) {
            if *m > month {
                break;
            }
            balance = *b;
            next += 1;
        }
        out[offset] = balance;
    }
    out
}

/// Whether a kind takes credit back from an earlier transfer (it is netted against the flow
/// it undoes rather than counted as trade).
pub const fn is_undo(kind: TransferKind) -> bool {
    matches!(kind, TransferKind::Reversal | TransferKind::BookingRefund)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(y: i32, mo: u8) -> Month {
        Month::new(y, mo).unwrap()
    }

    fn posting(seq: i64, month: Month, payer: u32, payee: u32, amount: i64) -> Posting {
        Posting {
            seq,
            month,
            kind: TransferKind::Payment,
            payer,
            payee,
            amount_minor: amount,
            payer_balance_minor: -amount * seq,
            payee_balance_minor: amount * seq,
        }
    }

    /// A flow's sum stops at `i64::MAX` (what the store can keep) instead of wrapping, whether
    /// folded posting by posting or merged from another fold.
    #[test]
    fn a_flow_sum_saturates_at_the_largest_stored_amount() {
        let big = |seq| Posting {
            seq,
            month: m(2026, 1),
            kind: TransferKind::Payment,
            payer: 0,
            payee: 1,
            amount_minor: i64::MAX / 2 + 1,
            payer_balance_minor: 0,
            payee_balance_minor: 0,
        };
        let key = FlowKey {
            month: m(2026, 1),
            payer: 0,
            payee: 1,
            kind: TransferKind::Payment,
        };
        let mut folded = Trade::default();
        folded.fold(&big(1));
        folded.fold(&big(2));
        let sum = folded.flow(&key).copied().unwrap_or_default();
        assert_eq!((sum.amount_minor, sum.transfers), (i64::MAX, 2));
        let mut merged = Trade::default();
        merged.fold(&big(3));
        merged.merge(&folded);
        assert_eq!(
            merged.flow(&key).map(|s| (s.amount_minor, s.transfers)),
            Some((i64::MAX, 3))
        );
    }

    #[test]
    fn folds_flows_and_month_closings() {
        let mut t = Trade::default();
        t.fold(&posting(1, m(2026, 1), 0, 1, 10));
        t.fold(&posting(2, m(2026, 1), 0, 1, 5));
        t.fold(&posting(3, m(2026, 3), 1, 2, 7));
        let key = FlowKey {
            month: m(2026, 1),
            payer: 0,
            payee: 1,
            kind: TransferKind::Payment,
        };
        assert_eq!(
            t.flow(&key).map(|s| (s.amount_minor, s.transfers)),
            Some((15, 2))
        );
        assert_eq!(
            t.closing_of(0, m(2026, 1)).map(|c| c.balance_minor),
            Some(-10)
        );
        let p = Period::parse("2026-01..2026-04").unwrap();
        let b = t.month_end_balances(&p, 3);
        assert_eq!(b[0], [-10, -10, -10, -10]);
        assert_eq!(b[1], [10, 10, -21, -21]);
        assert_eq!(b[2], [0, 0, 21, 21]);
    }

    proptest! {
        #[test]
        fn folding_in_batches_equals_folding_at_once(
            moves in proptest::collection::vec((0u32..6, 0u32..6, 1i64..1_000, 1u8..=12), 0..200),
            cut in 0usize..200,
        ) {
            let postings: Vec<Posting> = moves
                .iter()
                .enumerate()
                .map(|(i, (a, b, amount, month))| posting(i as i64 + 1, m(2026, *month), *a, *b, *amount))
                .collect();
            let mut whole = Trade::default();
            postings.iter().for_each(|p| whole.fold(p));
            let cut = cut.min(postings.len());
            let (mut first, mut second) = (Trade::default(), Trade::default());
            postings[..cut].iter().for_each(|p| first.fold(p));
            postings[cut..].iter().for_each(|p| second.fold(p));
            first.merge(&second);
            prop_assert_eq!(first, whole);
        }

        #[test]
        fn the_folder_equals_folding_one_by_one(
            moves in proptest::collection::vec((0u32..8, 0u32..8, 1i64..1_000, 1u8..=12), 0..200),
            shuffle in proptest::collection::vec(0usize..200, 0..20),
            first in 1u8..=12,
            len in 1u8..=6,
            // Only shows that the room reserved at the start never changes the fold.
            room in 0usize..300,
        ) {
            let mut postings: Vec<Posting> = moves
                .iter()
                .enumerate()
                .map(|(i, (a, b, amount, month))| posting(i as i64 + 1, m(2026, *month), *a, *b, *amount))
                .collect();
            // Months are random already; a few swaps also put seqs out of order.
            for (i, j) in shuffle.iter().zip(shuffle.iter().skip(1)) {
                if *i < postings.len() && *j < postings.len() {
                    postings.swap(*i, *j);
                }
            }
            let last = (first + len - 1).min(12);
            let period = Period::new(m(2026, first), m(2026, last)).unwrap();
            let mut one_by_one = Trade::default();
            let mut folder = Folder::new(period, 4, room);
            for p in &postings {
                if period.contains(p.month) {
                    one_by_one.fold(p);
                } else {
                    one_by_one.fold_closings_only(p);
                }
                folder.push(p);
            }
            prop_assert_eq!(folder.finish(), one_by_one);
        }
    }
}
