//! Transfers and the rules that post them: limits, currencies, and all-or-nothing commands.

use super::limits::Limits;
use std::collections::HashMap;
use uuid::Uuid;

/// The longest memo, in characters.
pub const MAX_MEMO_CHARS: usize = 280;

/// Why a transfer was made.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    /// A member paid another.
    Payment,
    /// A payer accepted a payment request.
    Request,
    /// A debtor paid (part of) an invoice.
    Invoice,
    /// A coordinator's correction, reversing an earlier transfer.
    Reversal,
    /// Credit-assisted settlement of a clearing round.
    Clearing,
    /// The settlement of an order cycle: a household's charge or a producer's payout.
    Purchase,
    /// A grant from the district fund that an assembly's decision made.
    Grant,
    /// The fee of a shared resource's booking, from the booker to the resource's owner.
    Booking,
    /// The refund of a cancelled booking's fee, from the owner back to the booker.
    BookingRefund,
    /// One district's leg of a payment between districts: from the payer to the other
    /// district's mirror account (in the payer's district), or from the payer's district's
    /// mirror account to the payee (in the payee's).
    Federation,
}

impl TransferKind {
    /// Every kind.
    pub const ALL: [Self; 10] = [
        Self::Payment,
        Self::Request,
        Self::Invoice,
        Self::Reversal,
        Self::Clearing,
        Self::Purchase,
        Self::Grant,
        Self::Booking,
        Self::BookingRefund,
        Self::Federation,
    ];

    /// The stored code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Payment => "payment",
            Self::Request => "request",
            Self::Invoice => "invoice",
            Self::Reversal => "reversal",
            Self::Clearing => "clearing",
            Self::Purchase => "purchase",
            Self::Grant => "grant",
            Self::Booking => "booking",
            Self::BookingRefund => "booking_refund",
            Self::Federation => "federation",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// Checks and trims a memo: at most [`MAX_MEMO_CHARS`], no control characters.
pub fn parse_memo(text: &str) -> Result<String, crate::Invalid> {
    let memo = text.trim();
    if memo.chars().count() > MAX_MEMO_CHARS {
        return Err(crate::Invalid::new("memo_too_long", "memo"));
    }
    if memo.chars().any(|c| c.is_control()) {
        return Err(crate::Invalid::new("bad_memo", "memo"));
    }
    Ok(memo.to_owned())
}

/// What the ledger knows of an account when it posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountState {
    /// Currency code.
    pub currency: String,
    /// Balance in minor units.
    pub balance_minor: i64,
    /// Its limits.
    pub limits: Limits,
}

/// One movement a command asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    /// Paying account.
    pub payer: Uuid,
    /// Receiving account.
    pub payee: Uuid,
    /// Positive amount in minor units (checked by [`super::Amount`] at the edge).
    pub amount_minor: i64,
}

/// Why the ledger refused a command. Codes are the API's stable error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// An account does not exist.
    #[error("unknown_account")]
    UnknownAccount,
    /// Payer and payee are the same account.
    #[error("same_account")]
    SameAccount,
    /// The two accounts hold different currencies.
    #[error("currency_mismatch")]
    CurrencyMismatch,
    /// The payer would go below its credit limit, or the payee above its upper limit.
    #[error("credit_limit_exceeded")]
    CreditLimitExceeded,
    /// The amount is not positive or too large.
    #[error("bad_amount")]
    BadAmount,
}

impl Refusal {
    /// Every refusal.
    pub const ALL: [Self; 5] = [
        Self::UnknownAccount,
        Self::SameAccount,
        Self::CurrencyMismatch,
        Self::CreditLimitExceeded,
        Self::BadAmount,
    ];

    /// Parses a stable code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The stable error code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::UnknownAccount => "unknown_account",
            Self::SameAccount => "same_account",
            Self::CurrencyMismatch => "currency_mismatch",
            Self::CreditLimitExceeded => "credit_limit_exceeded",
            Self::BadAmount => "bad_amount",
        }
    }
}

/// The balances after one leg was posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posted {
    /// The payer's balance after the leg.
    pub payer_balance_minor: i64,
    /// The payee's balance after the leg.
    pub payee_balance_minor: i64,
}

/// The accounts one batch of commands touches, posted in memory so that each command is
/// all-or-nothing and later commands see earlier ones' balances. The store loads the accounts,
/// applies commands here in order, and writes the outcome in one transaction.
///
/// A book also knows the holds on its accounts: legs reserved by the first phase of a payment
/// between districts and not yet posted or released. A hold takes its amount off the payer's
/// room below its credit limit and off the payee's room under its upper limit, so posting the
/// held leg later always fits and releasing it never can break a limit.
#[derive(Debug, Default)]
pub struct Book {
    accounts: HashMap<Uuid, AccountState>,
    holds: HashMap<Uuid, Held>,
}

/// The amounts held on one account.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    /// Reserved to leave the account (it is the payer of held legs).
    pub out_minor: i64,
    /// Reserved to enter the account (it is the payee of held legs).
    pub in_minor: i64,
}

impl Held {
    /// Whether `balance_minor` with these holds stays within `limits`: the balance less
    /// everything held to leave, and plus everything held to enter.
    pub fn fits(&self, limits: &Limits, balance_minor: i64) -> bool {
        balance_minor
            .checked_sub(self.out_minor)
            .is_some_and(|low| limits.allows(low))
            && balance_minor
                .checked_add(self.in_minor)
                .is_some_and(|high| limits.allows(high))
    }
}

impl Book {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an account as loaded from the store.
    pub fn load(&mut self, id: Uuid, state: AccountState) {
        self.accounts.insert(id, state);
    }

    /// An account's current state.
    pub fn get(&self, id: &Uuid) -> Option<&AccountState> {
        self.accounts.get(id)
    }

    /// Every account touched, with its state (for writing balances back).
    pub fn accounts(&self) -> impl Iterator<Item = (&Uuid, &AccountState)> {
        self.accounts.iter()
    }

    /// Adds a hold as loaded from the store (already checked when it was made).
    pub fn load_hold(&mut self, leg: &Leg) {
        self.add_hold(leg, 1);
    }

    /// The amounts held on an account.
    pub fn held(&self, id: &Uuid) -> Held {
        self.holds.get(id).copied().unwrap_or_default()
    }

    /// Reserves a leg without posting it: refused exactly when posting it would be. (Posting
    /// `b - amount` with the holds so far is checked as `b` with `amount` more held.)
    pub fn hold(&mut self, leg: &Leg) -> Result<(), Refusal> {
        self.check(leg)?;
        self.add_hold(leg, 1);
        Ok(())
    }

    /// Lifts a hold made by [`Book::hold`] (to post its leg, or to drop it).
    pub fn release(&mut self, leg: &Leg) {
        self.add_hold(leg, -1);
    }

    fn add_hold(&mut self, leg: &Leg, sign: i64) {
        let amount = leg.amount_minor.saturating_mul(sign);
        let payer = self.holds.entry(leg.payer).or_default();
        payer.out_minor = payer.out_minor.saturating_add(amount).max(0);
        let payee = self.holds.entry(leg.payee).or_default();
        payee.in_minor = payee.in_minor.saturating_add(amount).max(0);
    }

    /// Posts every leg of one command, or none of them: on a refusal the book is as before.
    pub fn post(&mut self, legs: &[Leg]) -> Result<Vec<Posted>, Refusal> {
        let before: Vec<(Uuid, i64)> = legs
            .iter()
            .flat_map(|l| [l.payer, l.payee])
            .filter_map(|id| self.accounts.get(&id).map(|a| (id, a.balance_minor)))
            .collect();
        let mut posted = Vec::with_capacity(legs.len());
        for leg in legs {
            match self.post_leg(leg) {
                Ok(p) => posted.push(p),
                Err(refusal) => {
                    // Restore in reverse, so an account touched twice gets its first balance.
                    for (id, balance) in before.iter().rev() {
                        if let Some(a) = self.accounts.get_mut(id) {
                            a.balance_minor = *balance;
                        }
                    }
                    return Err(refusal);
                }
            }
        }
        Ok(posted)
    }

    fn post_leg(&mut self, leg: &Leg) -> Result<Posted, Refusal> {
        let (payer_after, payee_after) = self.check(leg)?;
        if let Some(a) = self.accounts.get_mut(&leg.payer) {
            a.balance_minor = payer_after;
        }
        if let Some(a) = self.accounts.get_mut(&leg.payee) {
            a.balance_minor = payee_after;
        }
        Ok(Posted {
            payer_balance_minor: payer_after,
            payee_balance_minor: payee_after,
        })
    }

    /// The two balances after `leg`, if it may be posted (holds included).
    fn check(&self, leg: &Leg) -> Result<(i64, i64), Refusal> {
        if leg.amount_minor <= 0 || leg.amount_minor > super::money::MAX_AMOUNT_MINOR {
            return Err(Refusal::BadAmount);
        }
        if leg.payer == leg.payee {
            return Err(Refusal::SameAccount);
        }
        let payer = self
            .accounts
            .get(&leg.payer)
            .ok_or(Refusal::UnknownAccount)?;
        let payee = self
            .accounts
            .get(&leg.payee)
            .ok_or(Refusal::UnknownAccount)?;
        if payer.currency != payee.currency {
            return Err(Refusal::CurrencyMismatch);
        }
        let payer_after = payer
            .balance_minor
            .checked_sub(leg.amount_minor)
            .ok_or(Refusal::CreditLimitExceeded)?;
        let payee_after = payee
            .balance_minor
            .checked_add(leg.amount_minor)
            .ok_or(Refusal::CreditLimitExceeded)?;
        if !self.held(&leg.payer).fits(&payer.limits, payer_after)
            || !self.held(&leg.payee).fits(&payee.limits, payee_after)
        {
            return Err(Refusal::CreditLimitExceeded);
        }
        Ok((payer_after, payee_after))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> (Book, Uuid, Uuid, Uuid) {
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let mut book = Book::new();
        let state = |upper| AccountState {
            currency: "CRD".into(),
            balance_minor: 0,
            limits: Limits::new(100, upper).unwrap(),
        };
        book.load(a, state(None));
        book.load(b, state(Some(150)));
        book.load(c, state(None));
        (book, a, b, c)
    }

    fn leg(payer: Uuid, payee: Uuid, amount_minor: i64) -> Leg {
        Leg {
            payer,
            payee,
            amount_minor,
        }
    }

    #[test]
    fn posts_within_limits() {
        let (mut book, a, b, _) = book();
        let p = book.post(&[leg(a, b, 100)]).unwrap();
        assert_eq!(
            p[0],
            Posted {
                payer_balance_minor: -100,
                payee_balance_minor: 100
            }
        );
        assert_eq!(
            book.post(&[leg(a, b, 1)]),
            Err(Refusal::CreditLimitExceeded)
        );
    }

    #[test]
    fn upper_limit_refuses_the_payee() {
        let (mut book, a, b, c) = book();
        book.post(&[leg(a, b, 100), leg(c, b, 50)]).unwrap();
        assert_eq!(
            book.post(&[leg(c, b, 1)]),
            Err(Refusal::CreditLimitExceeded)
        );
    }

    #[test]
    fn a_refused_leg_undoes_the_whole_command() {
        let (mut book, a, b, c) = book();
        assert_eq!(
            book.post(&[leg(a, c, 60), leg(a, b, 60)]),
            Err(Refusal::CreditLimitExceeded)
        );
        assert_eq!(book.get(&a).unwrap().balance_minor, 0);
        assert_eq!(book.get(&c).unwrap().balance_minor, 0);
    }

    #[test]
    fn refuses_self_unknown_and_bad_amounts() {
        let (mut book, a, _, _) = book();
        assert_eq!(book.post(&[leg(a, a, 1)]), Err(Refusal::SameAccount));
        assert_eq!(
            book.post(&[leg(a, Uuid::nil(), 1)]),
            Err(Refusal::UnknownAccount)
        );
        assert_eq!(
            book.post(&[leg(a, Uuid::from_u128(2), 0)]),
            Err(Refusal::BadAmount)
        );
    }

    #[test]
    fn refuses_mixed_currencies() {
        let (mut book, a, _, _) = book();
        let e = Uuid::from_u128(9);
        book.load(
            e,
            AccountState {
                currency: "EUR".into(),
                balance_minor: 0,
                limits: Limits::new(0, None).unwrap(),
            },
        );
        assert_eq!(book.post(&[leg(a, e, 1)]), Err(Refusal::CurrencyMismatch));
    }

    #[test]
    fn a_hold_takes_room_from_both_sides_until_released() {
        // a may fall to -100; b may rise to 150.
        let (mut book, a, b, c) = book();
        book.hold(&leg(a, b, 80)).unwrap();
        assert_eq!(
            book.get(&a).unwrap().balance_minor,
            0,
            "a hold moves nothing"
        );
        assert_eq!(book.held(&a).out_minor, 80);
        assert_eq!(book.held(&b).in_minor, 80);
        // a has 20 of room left, b has 70.
        assert_eq!(
            book.post(&[leg(a, c, 21)]),
            Err(Refusal::CreditLimitExceeded)
        );
        assert_eq!(
            book.post(&[leg(c, b, 71)]),
            Err(Refusal::CreditLimitExceeded)
        );
        assert_eq!(book.hold(&leg(a, c, 21)), Err(Refusal::CreditLimitExceeded));
        book.post(&[leg(a, c, 20), leg(c, b, 70)]).unwrap();
        // Committing the held leg: release, then post, always fits.
        book.release(&leg(a, b, 80));
        book.post(&[leg(a, b, 80)]).unwrap();
        assert_eq!(book.get(&a).unwrap().balance_minor, -100);
        assert_eq!(book.get(&b).unwrap().balance_minor, 150);
        assert_eq!(book.held(&a), Held::default());
    }

    proptest::proptest! {
        /// Whatever is posted, held and released in between, a held leg can always be posted
        /// or released, and no balance with its holds ever leaves its limits.
        #[test]
        fn held_legs_always_settle(ops in proptest::collection::vec((0u8..4, 0usize..3, 0usize..3, 1i64..120), 1..60)) {
            let (mut book, a, b, c) = book();
            let ids = [a, b, c];
            let mut held: Vec<Leg> = Vec::new();
            for (op, from, to, amount) in ops {
                let l = leg(ids[from], ids[to], amount);
                match op {
                    0 => { let _ = book.post(std::slice::from_ref(&l)); }
                    1 => if book.hold(&l).is_ok() { held.push(l) },
                    2 => if let Some(h) = held.pop() {
                        book.release(&h);
                        proptest::prop_assert!(book.post(std::slice::from_ref(&h)).is_ok(), "a held leg must post");
                    },
                    _ => if let Some(h) = held.pop() { book.release(&h) },
                }
                for id in ids {
                    let s = book.get(&id).unwrap();
                    proptest::prop_assert!(book.held(&id).fits(&s.limits, s.balance_minor));
                }
            }
        }
    }

    #[test]
    fn memo_is_bounded() {
        assert_eq!(parse_memo("  bread  ").unwrap(), "bread");
        assert!(parse_memo(&"x".repeat(281)).is_err());
        assert!(parse_memo("a\u{0}b").is_err());
    }
}
