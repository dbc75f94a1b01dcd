//! The journal: append-only, hash-chained entries (each commits to the one before), and the
//! replay `distretto ledger verify` runs over it.

use super::limits::Limits;
use super::transfer::TransferKind;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use time::OffsetDateTime;
use uuid::Uuid;

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The hash the first entry commits to.
pub const GENESIS: Hash = [0; 32];

/// One journal entry: a transfer as posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    /// Position in the journal, from 1, without gaps.
    pub seq: i64,
    /// Transfer id.
    pub id: Uuid,
    /// Why it was made.
    pub kind: TransferKind,
    /// Paying account.
    pub payer: Uuid,
    /// Receiving account.
    pub payee: Uuid,
    /// Currency code of both accounts.
    pub currency: String,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// The payer's balance after this entry.
    pub payer_balance_minor: i64,
    /// The payee's balance after this entry.
    pub payee_balance_minor: i64,
    /// The payer's words.
    pub memo: String,
    /// The invoice it pays, if any.
    pub invoice_id: Option<Uuid>,
    /// The payment request it settles, if any.
    pub request_id: Option<Uuid>,
    /// The transfer it reverses, if any.
    pub reverses: Option<Uuid>,
    /// The person who made it.
    pub created_by: Option<Uuid>,
    /// When it was posted (microsecond precision, as stored).
    pub created_at: OffsetDateTime,
}

/// The hash of `entry` chained to `prev`. Every field is written with a fixed width or a length
/// prefix, so no two different entries share an encoding.
pub fn entry_hash(prev: &Hash, e: &JournalEntry) -> Hash {
    let mut h = Sha256::new();
    h.update(b"distretto-journal-v1");
    h.update(prev);
    h.update(e.seq.to_be_bytes());
    h.update(e.id.as_bytes());
    put_str(&mut h, e.kind.code());
    h.update(e.payer.as_bytes());
    h.update(e.payee.as_bytes());
    put_str(&mut h, &e.currency);
    h.update(e.amount_minor.to_be_bytes());
    h.update(e.payer_balance_minor.to_be_bytes());
    h.update(e.payee_balance_minor.to_be_bytes());
    put_str(&mut h, &e.memo);
    for link in [e.invoice_id, e.request_id, e.reverses, e.created_by] {
        match link {
            Some(id) => {
                h.update([1]);
                h.update(id.as_bytes());
            }
            None => h.update([0]),
        }
    }
    let micros = e.created_at.unix_timestamp_nanos() / 1000;
    h.update(micros.to_be_bytes());
    h.finalize().into()
}

fn put_str(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_be_bytes());
    h.update(s.as_bytes());
}

/// What `ledger verify` found wrong. The list is bounded; `problem_count` counts them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// An entry's sequence number is not the previous one plus one (a row was deleted or added).
    SequenceGap { expected: i64, found: i64 },
    /// An entry does not commit to the previous entry's hash.
    BrokenChain { seq: i64 },
    /// An entry's stored hash is not the hash of its contents (it was edited).
    HashMismatch { seq: i64 },
    /// An entry's recorded balance-after differs from the replay.
    BalanceAfterMismatch { seq: i64, account: Uuid },
    /// An entry names an account that does not exist.
    UnknownAccount { seq: i64, account: Uuid },
    /// An entry moves money between currencies or in a currency its accounts do not hold.
    CurrencyMismatch { seq: i64 },
    /// An entry's amount is not positive.
    BadAmount { seq: i64 },
    /// A stored balance differs from the replay of the journal.
    BalanceMismatch {
        account: Uuid,
        stored: i64,
        replayed: i128,
    },
    /// Balances of a currency do not sum to zero.
    NonZeroSum { currency: String, sum: i128 },
    /// An account is outside its limits.
    LimitBroken { account: Uuid, balance: i64 },
    /// The journal's recorded head (last sequence and hash) is not its last entry.
    HeadMismatch { recorded_seq: i64, found_seq: i64 },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SequenceGap { expected, found } => {
                write!(f, "journal gap: expected entry {expected}, found {found}")
            }
            Self::BrokenChain { seq } => write!(f, "entry {seq} does not chain to the one before"),
            Self::HashMismatch { seq } => write!(f, "entry {seq} was altered (hash mismatch)"),
            Self::BalanceAfterMismatch { seq, account } => {
                write!(
                    f,
                    "entry {seq}: recorded balance of {account} differs from the replay"
                )
            }
            Self::UnknownAccount { seq, account } => {
                write!(f, "entry {seq} names unknown account {account}")
            }
            Self::CurrencyMismatch { seq } => write!(f, "entry {seq} mixes currencies"),
            Self::BadAmount { seq } => write!(f, "entry {seq} has a non-positive amount"),
            Self::BalanceMismatch {
                account,
                stored,
                replayed,
            } => write!(
                f,
                "account {account}: stored balance {stored}, journal gives {replayed}"
            ),
            Self::NonZeroSum { currency, sum } => {
                write!(f, "balances in {currency} sum to {sum}, not 0")
            }
            Self::LimitBroken { account, balance } => {
                write!(f, "account {account} is outside its limits at {balance}")
            }
            Self::HeadMismatch {
                recorded_seq,
                found_seq,
            } => write!(
                f,
                "journal head records entry {recorded_seq} but the journal ends at {found_seq}"
            ),
        }
    }
}

/// The most problems a report lists (it still counts them all).
pub const MAX_LISTED_PROBLEMS: usize = 100;

/// An account as stored, for the end of the replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAccount {
    /// Id.
    pub id: Uuid,
    /// Currency code.
    pub currency: String,
    /// Stored balance.
    pub balance_minor: i64,
    /// Stored limits.
    pub limits: Limits,
}

/// The outcome of a replay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries replayed.
    pub transfers: u64,
    /// Accounts checked.
    pub accounts: u64,
    /// Per currency: sum of stored balances.
    pub sums: BTreeMap<String, i128>,
    /// The first [`MAX_LISTED_PROBLEMS`] problems.
    pub problems: Vec<Problem>,
    /// How many problems there were.
    pub problem_count: u64,
}

impl VerifyReport {
    /// Whether every check held.
    pub fn ok(&self) -> bool {
        self.problem_count == 0
    }

    fn flag(&mut self, p: Problem) {
        self.problem_count += 1;
        if self.problems.len() < MAX_LISTED_PROBLEMS {
            self.problems.push(p);
        }
    }
}

/// Replays the journal entry by entry. Feed it every account first ([`Replay::account`]), then
/// every entry in sequence order ([`Replay::entry`]), then call [`Replay::finish`].
#[derive(Debug)]
pub struct Replay {
    accounts: HashMap<Uuid, (String, i128)>,
    stored: Vec<StoredAccount>,
    prev: Hash,
    last_seq: i64,
    report: VerifyReport,
}

impl Default for Replay {
    fn default() -> Self {
        Self::new()
    }
}

impl Replay {
    /// A replay of an empty journal.
    pub fn new() -> Self {
        Self {
            accounts: HashMap::new(),
            stored: Vec::new(),
            prev: GENESIS,
            last_seq: 0,
            report: VerifyReport::default(),
        }
    }

    /// Registers a stored account.
    pub fn account(&mut self, a: StoredAccount) {
        self.accounts.insert(a.id, (a.currency.clone(), 0));
        self.stored.push(a);
    }

    /// Replays one entry with the hashes stored beside it.
    pub fn entry(&mut self, e: &JournalEntry, stored_prev: &Hash, stored_hash: &Hash) {
        let hash_matches = entry_hash(stored_prev, e) == *stored_hash;
        self.checked_entry(e, stored_prev, stored_hash, hash_matches);
    }

    /// Replays one entry whose hash was already checked elsewhere: `hash_matches` is whether
    /// [`entry_hash`]`(stored_prev, e) == stored_hash` (the one check that needs no earlier
    /// entry, so readers may do it in parallel).
    pub fn checked_entry(
        &mut self,
        e: &JournalEntry,
        stored_prev: &Hash,
        stored_hash: &Hash,
        hash_matches: bool,
    ) {
        self.report.transfers += 1;
        if e.seq != self.last_seq + 1 {
            self.report.flag(Problem::SequenceGap {
                expected: self.last_seq + 1,
                found: e.seq,
            });
        }
        if *stored_prev != self.prev {
            self.report.flag(Problem::BrokenChain { seq: e.seq });
        }
        if !hash_matches {
            self.report.flag(Problem::HashMismatch { seq: e.seq });
        }
        self.prev = *stored_hash;
        self.last_seq = e.seq;
        if e.amount_minor <= 0 {
            self.report.flag(Problem::BadAmount { seq: e.seq });
        }
        let amount = i128::from(e.amount_minor);
        for (account, delta, recorded) in [
            (e.payer, -amount, e.payer_balance_minor),
            (e.payee, amount, e.payee_balance_minor),
        ] {
            match self.accounts.get_mut(&account) {
                None => self.report.flag(Problem::UnknownAccount {
                    seq: e.seq,
                    account,
                }),
                Some((currency, balance)) => {
                    *balance += delta;
                    let (currency_ok, balance_ok) =
                        (*currency == e.currency, *balance == i128::from(recorded));
                    if !currency_ok {
                        self.report.flag(Problem::CurrencyMismatch { seq: e.seq });
                    }
                    if !balance_ok {
                        self.report.flag(Problem::BalanceAfterMismatch {
                            seq: e.seq,
                            account,
                        });
                    }
                }
            }
        }
    }

    /// Compares the replay with the stored balances, limits and the recorded journal head.
    pub fn finish(mut self, head_seq: i64, head_hash: &Hash) -> VerifyReport {
        if head_seq != self.last_seq || *head_hash != self.prev {
            self.report.flag(Problem::HeadMismatch {
                recorded_seq: head_seq,
                found_seq: self.last_seq,
            });
        }
        let stored = std::mem::take(&mut self.stored);
        for a in &stored {
            self.report.accounts += 1;
            *self.report.sums.entry(a.currency.clone()).or_insert(0) += i128::from(a.balance_minor);
            let replayed = self.accounts.get(&a.id).map_or(0, |(_, b)| *b);
            if replayed != i128::from(a.balance_minor) {
                self.report.flag(Problem::BalanceMismatch {
                    account: a.id,
                    stored: a.balance_minor,
                    replayed,
                });
            }
            if !a.limits.allows(a.balance_minor) {
                self.report.flag(Problem::LimitBroken {
                    account: a.id,
                    balance: a.balance_minor,
                });
            }
        }
        let sums: Vec<(String, i128)> = self
            .report
            .sums
            .iter()
            .map(|(c, s)| (c.clone(), *s))
            .collect();
        for (currency, sum) in sums {
            if sum != 0 {
                self.report.flag(Problem::NonZeroSum { currency, sum });
            }
        }
        self.report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, payer: u128, payee: u128, amount: i64, after: (i64, i64)) -> JournalEntry {
        JournalEntry {
            seq,
            id: Uuid::from_u128(1000 + seq as u128),
            kind: TransferKind::Payment,
            payer: Uuid::from_u128(payer),
            payee: Uuid::from_u128(payee),
            currency: "CRD".into(),
            amount_minor: amount,
            payer_balance_minor: after.0,
            payee_balance_minor: after.1,
            memo: "bread".into(),
            invoice_id: None,
            request_id: None,
            reverses: None,
            created_by: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn account(id: u128, balance: i64) -> StoredAccount {
        StoredAccount {
            id: Uuid::from_u128(id),
            currency: "CRD".into(),
            balance_minor: balance,
            limits: Limits::new(100, None).unwrap(),
        }
    }

    /// Chains `entries` and returns them with (prev, hash) pairs and the head.
    fn chain(entries: Vec<JournalEntry>) -> (Vec<(JournalEntry, Hash, Hash)>, Hash) {
        let mut prev = GENESIS;
        let mut out = Vec::new();
        for e in entries {
            let h = entry_hash(&prev, &e);
            out.push((e, prev, h));
            prev = h;
        }
        (out, prev)
    }

    fn replay(
        accounts: &[(u128, i64)],
        rows: &[(JournalEntry, Hash, Hash)],
        head: (i64, Hash),
    ) -> VerifyReport {
        let mut r = Replay::new();
        for (id, b) in accounts {
            r.account(account(*id, *b));
        }
        for (e, p, h) in rows {
            r.entry(e, p, h);
        }
        r.finish(head.0, &head.1)
    }

    #[test]
    fn an_honest_journal_verifies() {
        let (rows, head) = chain(vec![
            entry(1, 1, 2, 50, (-50, 50)),
            entry(2, 2, 1, 20, (30, -30)),
        ]);
        let report = replay(&[(1, -30), (2, 30)], &rows, (2, head));
        assert!(report.ok(), "{:?}", report.problems);
        assert_eq!(report.transfers, 2);
    }

    #[test]
    fn an_edited_amount_is_caught() {
        let (mut rows, head) = chain(vec![entry(1, 1, 2, 50, (-50, 50))]);
        rows[0].0.amount_minor = 5;
        let report = replay(&[(1, -50), (2, 50)], &rows, (1, head));
        assert!(report.problems.contains(&Problem::HashMismatch { seq: 1 }));
    }

    #[test]
    fn a_deleted_entry_is_caught() {
        let (rows, head) = chain(vec![
            entry(1, 1, 2, 50, (-50, 50)),
            entry(2, 2, 1, 20, (30, -30)),
            entry(3, 1, 2, 10, (-40, 40)),
        ]);
        let kept = [rows[0].clone(), rows[2].clone()];
        let report = replay(&[(1, -40), (2, 40)], &kept, (3, head));
        assert!(report.problems.contains(&Problem::SequenceGap {
            expected: 2,
            found: 3
        }));
        assert!(report.problems.contains(&Problem::BrokenChain { seq: 3 }));
    }

    #[test]
    fn a_deleted_last_entry_is_caught_by_the_head() {
        let (rows, head) = chain(vec![
            entry(1, 1, 2, 50, (-50, 50)),
            entry(2, 2, 1, 20, (30, -30)),
        ]);
        let report = replay(&[(1, -50), (2, 50)], &rows[..1], (2, head));
        assert!(matches!(
            report.problems[..],
            [Problem::HeadMismatch { .. }]
        ));
    }

    #[test]
    fn a_stored_balance_off_the_journal_is_caught() {
        let (rows, head) = chain(vec![entry(1, 1, 2, 50, (-50, 50))]);
        let report = replay(&[(1, -50), (2, 60)], &rows, (1, head));
        assert_eq!(report.problem_count, 2, "{:?}", report.problems);
        assert!(
            report
                .problems
                .iter()
                .any(|p| matches!(p, Problem::NonZeroSum { sum: 10, .. }))
        );
    }

    #[test]
    fn a_broken_limit_is_caught() {
        let (rows, head) = chain(vec![entry(1, 1, 2, 150, (-150, 150))]);
        let report = replay(&[(1, -150), (2, 150)], &rows, (1, head));
        assert_eq!(
            report.problems,
            vec![Problem::LimitBroken {
                account: Uuid::from_u128(1),
                balance: -150
            }]
        );
    }
}
