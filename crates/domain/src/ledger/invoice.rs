//! Invoices between members: an obligation of a debtor to a creditor, in euro or in credit,
//! until it is paid or set off.

use crate::Invalid;

/// Where an invoice stands. "Partly paid" is not a state: it is an accepted invoice with
/// something paid and something remaining.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Sent by the creditor, not yet answered by the debtor.
    Issued,
    /// The debtor agrees it owes the amount.
    Accepted,
    /// The debtor contests it (with a reason).
    Disputed,
    /// Nothing remains: paid and/or set off in full.
    Paid,
    /// Withdrawn by the creditor before any payment.
    Cancelled,
}

impl InvoiceStatus {
    /// Every status.
    pub const ALL: [Self; 5] = [
        Self::Issued,
        Self::Accepted,
        Self::Disputed,
        Self::Paid,
        Self::Cancelled,
    ];

    /// The stored code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Accepted => "accepted",
            Self::Disputed => "disputed",
            Self::Paid => "paid",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether money may still be owed on it.
    pub const fn open(self) -> bool {
        matches!(self, Self::Issued | Self::Accepted | Self::Disputed)
    }
}

/// What a party does to an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceAction {
    /// The debtor accepts it.
    Accept,
    /// The debtor disputes it.
    Dispute,
    /// The creditor withdraws it.
    Cancel,
    /// A payment of this many minor units (by transfer or recorded in euro).
    Pay(i64),
}

/// Which side of the invoice someone stands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceSide {
    /// Owes the money.
    Debtor,
    /// Is owed the money.
    Creditor,
}

/// The amounts of an invoice, in minor units of its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvoiceAmounts {
    /// The amount invoiced.
    pub amount_minor: i64,
    /// Paid so far (transfers and euro payments).
    pub paid_minor: i64,
    /// Set off so far by clearing rounds.
    pub set_off_minor: i64,
}

impl InvoiceAmounts {
    /// What is still owed: the part a clearing round may set off.
    pub fn remaining_minor(&self) -> i64 {
        self.amount_minor - self.paid_minor - self.set_off_minor
    }
}

/// The status after `action` by `side`, or why it is refused. A payment may come from the
/// debtor (a transfer, which also accepts an issued invoice) or be recorded by the creditor (paid
/// in euro or otherwise outside the ledger); it may not exceed what remains.
pub fn transition(
    status: InvoiceStatus,
    amounts: InvoiceAmounts,
    side: InvoiceSide,
    action: InvoiceAction,
) -> Result<InvoiceStatus, Invalid> {
    use InvoiceAction as A;
    use InvoiceSide as S;
    use InvoiceStatus as St;
    let not_now = Invalid::new("invoice_not_open", "status");
    let wrong_side = Invalid::new("not_your_invoice_action", "status");
    match (action, side) {
        (A::Accept, S::Debtor) => match status {
            St::Issued | St::Disputed => Ok(St::Accepted),
            _ => Err(not_now),
        },
        (A::Dispute, S::Debtor) => match status {
            St::Issued | St::Accepted if amounts.paid_minor == 0 && amounts.set_off_minor == 0 => {
                Ok(St::Disputed)
            }
            _ => Err(not_now),
        },
        (A::Cancel, S::Creditor) => match status {
            St::Issued | St::Accepted | St::Disputed
                if amounts.paid_minor == 0 && amounts.set_off_minor == 0 =>
            {
                Ok(St::Cancelled)
            }
            _ => Err(Invalid::new("invoice_has_payments", "status")),
        },
        (A::Pay(minor), _) => {
            if !status.open() || (status == St::Disputed && side == S::Debtor) {
                return Err(not_now);
            }
            if minor <= 0 {
                return Err(Invalid::new("amount_not_positive", "amount"));
            }
            if minor > amounts.remaining_minor() {
                return Err(Invalid::new("amount_exceeds_remaining", "amount"));
            }
            Ok(if minor == amounts.remaining_minor() {
                St::Paid
            } else {
                St::Accepted
            })
        }
        _ => Err(wrong_side),
    }
}

/// The longest invoice description.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// Checks an invoice description: present, bounded, no control characters but newlines.
pub fn parse_description(text: &str) -> Result<String, Invalid> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Invalid::new("invalid_invoice_description", "description"));
    }
    if t.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(Invalid::new("invalid_invoice_description", "description"));
    }
    if t.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(Invalid::new("invalid_invoice_description", "description"));
    }
    Ok(t.to_owned())
}

/// Whether an invoice is overdue on `today`: open, something remaining, due date passed.
pub fn overdue(
    status: InvoiceStatus,
    amounts: InvoiceAmounts,
    due_on: time::Date,
    today: time::Date,
) -> bool {
    status.open() && amounts.remaining_minor() > 0 && due_on < today
}

#[cfg(test)]
mod tests {
    use super::*;
    use InvoiceAction as A;
    use InvoiceSide as S;
    use InvoiceStatus as St;

    fn amounts(paid: i64) -> InvoiceAmounts {
        InvoiceAmounts {
            amount_minor: 100,
            paid_minor: paid,
            set_off_minor: 0,
        }
    }

    #[test]
    fn the_debtor_accepts_or_disputes() {
        assert_eq!(
            transition(St::Issued, amounts(0), S::Debtor, A::Accept),
            Ok(St::Accepted)
        );
        assert_eq!(
            transition(St::Issued, amounts(0), S::Debtor, A::Dispute),
            Ok(St::Disputed)
        );
        assert_eq!(
            transition(St::Disputed, amounts(0), S::Debtor, A::Accept),
            Ok(St::Accepted)
        );
        assert!(transition(St::Issued, amounts(0), S::Creditor, A::Accept).is_err());
        assert!(transition(St::Accepted, amounts(10), S::Debtor, A::Dispute).is_err());
    }

    #[test]
    fn payments_may_be_partial_but_never_exceed_the_remainder() {
        assert_eq!(
            transition(St::Issued, amounts(0), S::Debtor, A::Pay(40)),
            Ok(St::Accepted)
        );
        assert_eq!(
            transition(St::Accepted, amounts(40), S::Debtor, A::Pay(60)),
            Ok(St::Paid)
        );
        let e = transition(St::Accepted, amounts(40), S::Debtor, A::Pay(61)).unwrap_err();
        assert_eq!(e.code, "amount_exceeds_remaining");
        assert!(transition(St::Paid, amounts(100), S::Creditor, A::Pay(1)).is_err());
        assert!(transition(St::Disputed, amounts(0), S::Debtor, A::Pay(1)).is_err());
        assert_eq!(
            transition(St::Disputed, amounts(0), S::Creditor, A::Pay(100)),
            Ok(St::Paid)
        );
    }

    #[test]
    fn cancelling_only_while_nothing_was_paid() {
        assert_eq!(
            transition(St::Issued, amounts(0), S::Creditor, A::Cancel),
            Ok(St::Cancelled)
        );
        let e = transition(St::Accepted, amounts(1), S::Creditor, A::Cancel).unwrap_err();
        assert_eq!(e.code, "invoice_has_payments");
        assert!(transition(St::Issued, amounts(0), S::Debtor, A::Cancel).is_err());
    }

    #[test]
    fn overdue_needs_an_open_invoice_past_its_date() {
        let d = |day| time::Date::from_calendar_date(2026, time::Month::March, day).unwrap();
        assert!(overdue(St::Accepted, amounts(10), d(1), d(2)));
        assert!(!overdue(St::Accepted, amounts(10), d(2), d(2)));
        assert!(!overdue(St::Paid, amounts(100), d(1), d(2)));
    }
}
