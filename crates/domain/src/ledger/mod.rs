//! Mutual credit: money, limits, the rules that post transfers, the hash-chained journal and
//! its replay, and invoices between members.

pub mod invoice;
pub mod journal;
pub mod limits;
pub mod money;
pub mod transfer;

pub use invoice::{InvoiceAction, InvoiceAmounts, InvoiceSide, InvoiceStatus};
pub use journal::{
    GENESIS as GENESIS_HASH, Hash, JournalEntry, Replay, StoredAccount, VerifyReport, entry_hash,
};
pub use limits::{LimitHolder, Limits, default_limits};
pub use money::{Amount, Currency, EURO, format_minor, parse_amount};
pub use transfer::{AccountState, Book, Held, Leg, Posted, Refusal, TransferKind, parse_memo};
