//! The one ledger writer: commands queue on a channel, and the writer posts everything queued in
//! one transaction with one durable commit (group commit, as TigerBeetle batches). Each command
//! stays all-or-nothing inside the batch: it is checked against the balances left by the
//! commands before it ([`distretto_domain::ledger::Book`]) and refused alone if it does not fit.
//! Nobody is answered before the commit returns, so an acknowledged transfer is durable
//! (SQLite `synchronous=FULL`, PostgreSQL `synchronous_commit=on`, checked at start-up).
//!
//! On PostgreSQL several web instances may each run a writer: every batch first locks the
//! journal head row, so batches of all instances are serialised and the hash chain stays one.

use super::{TransferRow, bind_transfer, transfers_sql};
use crate::{Db, StoreError, with_pool};
use distretto_domain::ledger::invoice::{self, InvoiceAmounts, InvoiceSide, InvoiceStatus};
use distretto_domain::ledger::{
    AccountState, Book, GENESIS_HASH, Hash, Leg, Limits, Refusal, TransferKind, entry_hash,
};
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

mod sqlite_plain;

/// The most commands posted in one transaction.
pub const MAX_BATCH: usize = 512;
/// Commands waiting for the writer before callers wait to enqueue.
const QUEUE_DEPTH: usize = 8_192;
/// The most legs one command may have.
pub const MAX_LEGS: usize = 16;
/// The most legs of a clearing round's command (its credit-assisted transfers).
pub const MAX_CLEARING_LEGS: usize = 20_000;

/// One transfer a command asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLeg {
    /// The transfer's id (chosen by the caller, so a retry can find it).
    pub id: Uuid,
    /// Why.
    pub kind: TransferKind,
    /// Paying account.
    pub payer: Uuid,
    /// Receiving account.
    pub payee: Uuid,
    /// Positive amount in minor units.
    pub amount_minor: i64,
    /// The payer's words.
    pub memo: String,
    /// The invoice it pays.
    pub invoice_id: Option<Uuid>,
    /// The request it settles.
    pub request_id: Option<Uuid>,
    /// The transfer it reverses.
    pub reverses: Option<Uuid>,
}

impl NewLeg {
    /// A leg with a fresh id and no invoice, request or reversal link.
    pub fn new(
        kind: TransferKind,
        payer: Uuid,
        payee: Uuid,
        amount_minor: i64,
        memo: String,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            kind,
            payer,
            payee,
            amount_minor,
            memo,
            invoice_id: None,
            request_id: None,
            reverses: None,
        }
    }
}

/// An idempotency key: one person's key and the hash of the request it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// Whose key (keys are per person).
    pub person_id: Uuid,
    /// The client's key.
    pub key: String,
    /// SHA-256 of the request body, to tell a replay from a reused key.
    pub request_hash: Hash,
}

/// What else a command changes, in the same transaction as its transfers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Nothing.
    None,
    /// The (single) leg pays this invoice, from its debtor to its creditor.
    PayInvoice(Uuid),
    /// The (single) leg settles this payment request.
    PayRequest(Uuid),
    /// Applies this proposed clearing round: every line's set-off and credit settlement is
    /// taken off its invoice, and the legs are exactly the round's planned transfers (none in a
    /// plain round). Refused whole if any invoice no longer allows its line.
    Clearing(Uuid),
    /// Settles this delivered order cycle: the legs are exactly its planned settlement
    /// (each household's charge to the group, then the group's payout to each producer), and
    /// the cycle becomes settled. Refused whole otherwise, so a retried settlement posts once.
    Purchase(Uuid),
    /// The (single) leg pays this instalment (subscription, number) of a seasonal
    /// subscription, from the household's account to the farm's; the first one activates it.
    Instalment(Uuid, i32),
    /// Pays the grants of this passed decision (a proposal of the governance): the legs are
    /// exactly its planned grants from the district fund, and its effect becomes applied.
    /// Refused whole unless the effect is still pending, so a retried decision pays once.
    Decision(Uuid),
    /// The (single) leg pays this held booking of a shared resource (its fee, from its
    /// account to its owner's), and the booking becomes confirmed; refused unless it is held.
    Booking(Uuid),
    /// The (single) leg refunds (part of) this confirmed booking's fee, from its owner's
    /// account back to its account, and the booking becomes cancelled; refused unless it is
    /// confirmed, so a retried cancellation refunds once.
    BookingRefund(Uuid),
    /// Holds the (single) leg of this new payment between districts without posting it: the
    /// leg's amount is reserved on both accounts (see [`distretto_domain::ledger::Book::hold`])
    /// and the payment becomes held. Refused unless it is new and the leg is its leg.
    FederationHold(Uuid),
    /// Ends this held payment between districts: `true` posts its (single) leg, releasing the
    /// hold, and it becomes committed; `false` releases the hold alone (no transfer), and it
    /// becomes aborted. Refused unless it is held, so a retried end acts once.
    FederationSettle(Uuid, bool),
    /// Moves this district's part of a clearing round between districts: the legs are exactly
    /// the round's stored legs, in id order (possibly none). `Hold` reserves them all and a new
    /// round becomes held; `Commit` posts them all, releasing the holds, and `Abort` releases
    /// them, and a held round becomes committed or aborted. Refused whole otherwise
    /// (`federation_clearing_state`), so a retried step acts once.
    FederationClearing(Uuid, ClearingStep),
}

/// A step of a clearing round between districts (see [`Effect::FederationClearing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClearingStep {
    Hold,
    Commit,
    Abort,
}

/// A request to the ledger writer.
#[derive(Debug, Clone)]
pub struct Command {
    /// Its transfers, posted all or none.
    pub legs: Vec<NewLeg>,
    /// What else it changes.
    pub effect: Effect,
    /// For retried API requests.
    pub idempotency: Option<IdempotencyKey>,
    /// Who asked.
    pub created_by: Option<Uuid>,
}

impl Command {
    /// One leg with `effect`, asked by `created_by`, without an idempotency key.
    pub fn single(leg: NewLeg, effect: Effect, created_by: Uuid) -> Self {
        Self {
            legs: vec![leg],
            effect,
            idempotency: None,
            created_by: Some(created_by),
        }
    }
}

/// A command's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The transfers, as posted (or as posted the first time, for a replay).
    pub transfers: Vec<TransferRow>,
    /// Whether this answers an earlier request with the same idempotency key.
    pub replayed: bool,
}

/// Why a command was refused. Everything but `Store` is the client's doing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The ledger's rules refused a leg.
    #[error("{0}")]
    Refused(Refusal),
    /// The idempotency key was used before with another request.
    #[error("idempotency_key_reused")]
    IdempotencyKeyReused,
    /// The invoice cannot take this payment (code from the invoice rules).
    #[error("{0}")]
    Invoice(&'static str),
    /// The payment request is no longer open, or does not match.
    #[error("request_not_open")]
    RequestNotOpen,
    /// The transfer to reverse does not exist, or was reversed already, or may not be reversed.
    #[error("{0}")]
    Reversal(&'static str),
    /// The clearing round cannot be applied (code: `clearing_round_not_proposed` or
    /// `clearing_round_stale`, when an invoice changed since the proposal).
    #[error("{0}")]
    Clearing(&'static str),
    /// The order cycle cannot be settled (code: `cycle_not_delivered`, also when it was settled
    /// already, or `settlement_changed`, when the legs are not its planned settlement).
    #[error("{0}")]
    Purchase(&'static str),
    /// A decision's grants were refused (`governance_effect_not_pending`: not passed, or paid
    /// already; `governance_grants_changed`: the legs are not its planned grants).
    #[error("{0}")]
    Decision(&'static str),
    /// The instalment is unknown, paid already, or the leg does not match it
    /// (`instalment_not_due`).
    #[error("instalment_not_due")]
    InstalmentNotDue,
    /// The booking is not in the state its effect needs, or the leg does not match it
    /// (`booking_not_held`, `booking_not_confirmed`).
    #[error("{0}")]
    Booking(&'static str),
    /// The payment between districts is not in the state the effect needs, or the leg is not
    /// its leg (`federation_payment_state`).
    #[error("federation_payment_state")]
    FederationState,
    /// The clearing round between districts is not in the state the step needs, or the legs
    /// are not its legs (`federation_clearing_state`).
    #[error("federation_clearing_state")]
    ClearingState,
    /// The command is malformed (no legs, too many).
    #[error("bad_command")]
    BadCommand,
    /// The database failed; nothing of the batch was committed (or the commit's fate is unknown).
    #[error("store: {0}")]
    Store(String),
}

/// Refusal codes the invoice rules and reversals may give, for answering a stored refusal.
const DECISION_CODES: [&str; 11] = [
    "unknown_invoice",
    "not_your_invoice_action",
    "invoice_not_in_credit",
    "invoice_not_open",
    "invoice_has_payments",
    "amount_not_positive",
    "amount_exceeds_remaining",
    "unknown_transfer",
    "already_reversed",
    "not_reversible",
    "reversal_mismatch",
];

impl CommandError {
    /// Whether the ledger decided this refusal (and a retry with the same key must get it
    /// again), as opposed to a failure of the database or a malformed command.
    pub fn is_decision(&self) -> bool {
        matches!(
            self,
            Self::Refused(_)
                | Self::Invoice(_)
                | Self::RequestNotOpen
                | Self::Reversal(_)
                | Self::Clearing(_)
                | Self::Purchase(_)
                | Self::InstalmentNotDue
                | Self::Booking(_)
        )
    }

    /// The refusal a stored code stands for.
    pub fn from_code(code: &str) -> Self {
        if let Some(r) = Refusal::parse(code) {
            return Self::Refused(r);
        }
        if code == "request_not_open" {
            return Self::RequestNotOpen;
        }
        if code == "instalment_not_due" {
            return Self::InstalmentNotDue;
        }
        if let Some(c) = ["booking_not_held", "booking_not_confirmed"]
            .into_iter()
            .find(|c| *c == code)
        {
            return Self::Booking(c);
        }
        match DECISION_CODES.iter().find(|c| **c == code) {
            Some(c) if c.contains("transfer") || c.contains("revers") => Self::Reversal(c),
            Some(c) => Self::Invoice(c),
            None => Self::BadCommand,
        }
    }

    /// The stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Refused(r) => r.code(),
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::Invoice(code)
            | Self::Reversal(code)
            | Self::Clearing(code)
            | Self::Purchase(code)
            | Self::Decision(code)
            | Self::Booking(code) => code,
            Self::RequestNotOpen => "request_not_open",
            Self::InstalmentNotDue => "instalment_not_due",
            Self::FederationState => "federation_payment_state",
            Self::ClearingState => "federation_clearing_state",
            Self::BadCommand => "bad_command",
            Self::Store(_) => "internal",
        }
    }
}

type Reply = oneshot::Sender<Result<Outcome, CommandError>>;

/// The handle every request holds: cheap to clone.
#[derive(Clone, Debug)]
pub struct LedgerWriter {
    queue: mpsc::Sender<(Command, Reply)>,
}

impl LedgerWriter {
    /// Starts the writer task on `db`, posting up to `max_batch` commands per commit (1 gives
    /// the one-commit-per-transfer baseline the benchmark compares with).
    pub fn spawn(db: Db, max_batch: usize) -> Self {
        let (queue, rx) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(run(db, rx, max_batch.clamp(1, MAX_BATCH)));
        Self { queue }
    }

    /// Posts one command and answers once it is durable (or refused).
    pub async fn submit(&self, command: Command) -> Result<Outcome, CommandError> {
        let clearing = matches!(
            command.effect,
            Effect::Clearing(_)
                | Effect::Purchase(_)
                | Effect::Decision(_)
                | Effect::FederationClearing(..)
        );
        let legs_ok = if clearing {
            command.legs.len() <= MAX_CLEARING_LEGS
        } else {
            !command.legs.is_empty() && command.legs.len() <= MAX_LEGS
        };
        if !legs_ok {
            return Err(CommandError::BadCommand);
        }
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((command, reply))
            .await
            .map_err(|_| CommandError::Store("ledger writer stopped".into()))?;
        answer
            .await
            .map_err(|_| CommandError::Store("ledger writer stopped".into()))?
    }
}

/// The writer's own plain SQLite connection, on a SQLite file (none on PostgreSQL or an
/// in-memory database, or when it cannot be opened: every batch then goes through sqlx).
fn plain_writer(db: &Db) -> Option<sqlite_plain::PlainWriter> {
    let path = db.sqlite_file()?;
    sqlite_plain::PlainWriter::open(&path)
        .inspect_err(|e| tracing::warn!(error = %e, "the ledger writer's plain SQLite connection did not open; batches go through sqlx"))
        .ok()
}

async fn run(db: Db, mut rx: mpsc::Receiver<(Command, Reply)>, max_batch: usize) {
    let mut plain = plain_writer(&db);
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let (commands, replies): (Vec<Command>, Vec<Reply>) = jobs.into_iter().unzip();
        let count = commands.len();
        let results = match plain.take() {
            Some(writer) if commands.iter().all(sqlite_plain::is_plain) => {
                let (writer, results) = post_plain(&db, writer, commands).await;
                plain = writer;
                results
            }
            writer => {
                plain = writer;
                post_batch_retrying(&db, &commands).await
            }
        };
        match results {
            Ok(results) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, commands = count, "ledger batch failed; nothing of it was committed");
                refuse_all(replies, &e.to_string());
            }
        }
    }
}

/// Answers every command of a batch with a store failure.
fn refuse_all(replies: Vec<Reply>, message: &str) {
    for reply in replies {
        let _ = reply.send(Err(CommandError::Store(message.to_owned())));
    }
}

/// A batch's results, or why none of it was committed.
type BatchResults = Result<Vec<Result<Outcome, CommandError>>, StoreError>;

/// Posts plain `commands` through `writer` on a blocking thread (one hand-over for the whole
/// batch). Gives the writer back, or none if its thread panicked: later batches then go
/// through sqlx.
///
/// Meanwhile it holds the write pool's one connection, unused: that connection is the turn every
/// other write of the server queues for, so the writer and the other writes keep taking turns
/// in the pool's queue, as when the writer wrote through it, instead of a write waiting on
/// SQLite's busy handler, which polls and could miss every short gap between two batches.
async fn post_plain(
    db: &Db,
    mut writer: sqlite_plain::PlainWriter,
    commands: Vec<Command>,
) -> (Option<sqlite_plain::PlainWriter>, BatchResults) {
    let turn = match db.write() {
        crate::PoolRef::Sqlite(pool) => match pool.acquire().await {
            Ok(connection) => Some(connection),
            Err(e) => return (Some(writer), Err(e.into())),
        },
        crate::PoolRef::Postgres(_) => None,
    };
    let now = crate::now();
    let posted = tokio::task::spawn_blocking(move || {
        let results = writer.post(&commands, now);
        (writer, results)
    })
    .await;
    drop(turn);
    match posted {
        Ok((writer, results)) => (Some(writer), results),
        Err(e) => {
            tracing::error!(error = %e, "the ledger writer's plain SQLite thread failed; batches go through sqlx");
            (None, Err(StoreError::Sqlx(sqlx::Error::WorkerCrashed)))
        }
    }
}

/// Tries of a batch that the database cancelled before it wrote anything: a deadlock or a
/// serialization conflict PostgreSQL broke, or no free connection in the pool (see
/// [`crate::retry`]).
const BATCH_TRIES: u32 = 5;

/// [`post_batch`], posted again (a bounded number of times) when the database cancelled it. A
/// booking's fee confirms the booking in the batch, and that update can deadlock with a
/// concurrent insert of an overlapping booking under the exclusion constraint: the server
/// cancels one of them, and when it is the batch, every command in it would otherwise fail.
async fn post_batch_retrying(
    db: &Db,
    commands: &[Command],
) -> Result<Vec<Result<Outcome, CommandError>>, StoreError> {
    crate::retry::when_cancelled(BATCH_TRIES, "ledger batch", || post_batch(db, commands)).await
}

/// An invoice as a payment sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
struct InvoiceState {
    creditor: Uuid,
    debtor: Uuid,
    currency: String,
    status: String,
    amount_minor: i64,
    paid_minor: i64,
    set_off_minor: i64,
}

/// A payment request as a payment sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
struct RequestState {
    payee: Uuid,
    payer: Option<Uuid>,
    amount_minor: i64,
    status: String,
}

/// A transfer that a reversal names.
#[derive(Debug, Clone, sqlx::FromRow)]
struct ReversedState {
    payer: Uuid,
    payee: Uuid,
    amount_minor: i64,
    kind: String,
    reversed: i64,
}

/// A clearing round as applying it sees it.
#[derive(Debug, Clone, Default)]
struct RoundState {
    number: i64,
    currency: String,
    status: String,
    /// (invoice, set-off, credit settlement) of every line that takes something.
    lines: Vec<(Uuid, i64, i64)>,
    /// (payer, payee, amount) of every planned transfer.
    transfers: Vec<(Uuid, Uuid, i64)>,
}

/// An order cycle as settling it sees it.
#[derive(Debug, Clone, Default)]
struct CycleState {
    status: String,
    /// (payer, payee, amount) of every planned leg, sorted.
    legs: Vec<(Uuid, Uuid, i64)>,
}

/// A passed decision's grants as paying them sees them.
struct DecisionState {
    effect_status: String,
    /// (fund, payee, amount) of every planned grant, sorted.
    legs: Vec<(Uuid, Uuid, i64)>,
}

/// An instalment as paying it sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
struct InstalmentState {
    amount_minor: i64,
    paid: bool,
    payer: Uuid,
    farm_account: Option<Uuid>,
}

/// A booking as paying or refunding it sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
struct BookingState {
    status: String,
    account_id: Uuid,
    payee_account: Option<Uuid>,
    fee_minor: i64,
}

/// A payment between districts as holding or settling it sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
struct FederationState {
    status: String,
    direction: String,
    debit_account: Option<Uuid>,
    credit_account: Option<Uuid>,
    amount_minor: i64,
}

/// This district's side of a clearing round between districts, as a step sees it.
#[derive(Debug, Clone)]
struct ClearingState {
    status: String,
    /// Whether this district started it (it stays open until every district was told).
    initiator: bool,
    /// (leg, payer, payee, amount), in id order.
    legs: Vec<(Uuid, Uuid, Uuid, i64)>,
}

/// What the batch read before planning.
#[derive(Default)]
struct Loaded {
    federation: HashMap<Uuid, FederationState>,
    clearings: HashMap<Uuid, ClearingState>,
    /// Clearing rounds between districts held here (read once per batch that moves one): a
    /// district holds one round at a time, so two rounds never set off the same debt twice.
    held_rounds: Option<HashSet<Uuid>>,
    instalments: HashMap<(Uuid, i32), InstalmentState>,
    bookings: HashMap<Uuid, BookingState>,
    rounds: HashMap<Uuid, RoundState>,
    cycles: HashMap<Uuid, CycleState>,
    /// Decisions with grants: (effect status, planned legs as in a cycle, grant id per leg).
    decisions: HashMap<Uuid, DecisionState>,
    head: (i64, Hash),
    keys: HashMap<(Uuid, String), KeyAnswer>,
    book: Book,
    invoices: HashMap<Uuid, InvoiceState>,
    requests: HashMap<Uuid, RequestState>,
    reversed: HashMap<Uuid, ReversedState>,
}

/// What an idempotency key answers: the request hash it was first used with, and the
/// transfer that request posted or the code it was refused with.
type KeyAnswer = (Vec<u8>, Option<Uuid>, Option<String>);

/// An invoice payment to write: (invoice, paid after, status after, transfer, amount, event
/// id, actor).
type InvoicePayment = (Uuid, i64, InvoiceStatus, Uuid, i64, Uuid, Option<Uuid>);

/// A clearing round between districts moved by the batch: (round, new status, still open,
/// (leg, posted transfer) of each leg posted).
type MovedClearing = (Uuid, &'static str, bool, Vec<(Uuid, Uuid)>);

/// A round applied by the batch: (round, actor, (payer, payee, posted transfer) of each leg).
type AppliedRound = (Uuid, Option<Uuid>, Vec<(Uuid, Uuid, Uuid)>);

/// What the batch writes.
#[derive(Default)]
struct Plan {
    results: Vec<Option<Result<Outcome, CommandError>>>,
    /// Commands answered by an earlier transfer: (command index, first transfer id).
    replays: Vec<(usize, Uuid)>,
    transfers: Vec<TransferRow>,
    keys: Vec<(Uuid, String, KeyAnswer)>,
    invoices: Vec<InvoicePayment>,
    requests: Vec<(Uuid, Uuid, Uuid)>,
    /// Applied rounds.
    rounds: Vec<AppliedRound>,
    /// Settled order cycles: (cycle, actor, (payer, payee, posted transfer) of each leg).
    cycles: Vec<AppliedRound>,
    /// Applied decisions: (proposal, actor, (payer, payee, posted transfer) of each grant).
    decisions: Vec<AppliedRound>,
    /// Paid instalments: (subscription, number, transfer).
    instalments: Vec<(Uuid, i32, Uuid)>,
    /// Payments between districts moved: (payment, new status, posted transfer, still open).
    federation: Vec<(Uuid, &'static str, Option<Uuid>, bool)>,
    /// Clearing rounds between districts moved.
    clearings: Vec<MovedClearing>,
    /// Paid bookings (booking, transfer) and refunded ones (booking, transfer, amount).
    bookings_paid: Vec<(Uuid, Uuid)>,
    bookings_refunded: Vec<(Uuid, Uuid, i64)>,
    /// History entries of set-offs (invoice, action, amount, note, actor).
    set_off_events: Vec<(Uuid, &'static str, i64, String, Option<Uuid>)>,
    /// Invoices the batch's rounds changed (possibly more than once).
    cleared_invoices: Vec<Uuid>,
    /// Their final (set-off, status), taken once the whole batch is planned and written after
    /// the payments, so a payment planned before or after a round in the batch is kept.
    set_off_invoices: Vec<(Uuid, i64, String)>,
    head: (i64, Hash),
}

/// Posts `commands` in one transaction; the outer error means nothing was committed.
async fn post_batch(
    db: &Db,
    commands: &[Command],
) -> Result<Vec<Result<Outcome, CommandError>>, StoreError> {
    let now = crate::now();
    let pg = db.backend() == "postgres";
    let sqlite = !pg;
    with_pool!(db.write(), pool => {
        let started = std::time::Instant::now();
        let mut tx = if pg { pool.begin().await? } else { pool.begin_with("BEGIN IMMEDIATE").await? };
        let mut loaded = Loaded::default();
        // The head first: on PostgreSQL its row lock serialises every writer of every instance.
        let head_sql = if pg { "SELECT last_seq, last_hash FROM ledger_head WHERE id = 1 FOR UPDATE" } else { "SELECT last_seq, last_hash FROM ledger_head WHERE id = 1" };
        let (seq, hash): (i64, Vec<u8>) = sqlx::query_as(head_sql).fetch_one(&mut *tx).await?;
        loaded.head = (seq, to_hash(&hash).ok_or(StoreError::Corrupt("ledger_head.last_hash"))?);
        // One statement per chunk, not one per command: each statement is a round trip to the
        // connection (a thread hop on SQLite), and they dominated the batch's time.
        let keys: Vec<&IdempotencyKey> = commands.iter().filter_map(|c| c.idempotency.as_ref()).collect();
        for chunk in keys.chunks(400) {
            let sql = keys_lookup_sql(chunk.len());
            let sql = if sqlite { crate::positional(&sql) } else { sql };
            let mut q = sqlx::query_as::<_, (Uuid, String, Vec<u8>, Option<Uuid>, Option<String>)>(&sql);
            for key in chunk { q = q.bind(key.person_id).bind(&key.key); }
            for (person_id, key, request_hash, transfer_id, refusal) in q.fetch_all(&mut *tx).await? {
                loaded.keys.insert((person_id, key), (request_hash, transfer_id, refusal));
            }
        }
        let ids: Vec<Uuid> = account_ids(commands);
        let mut held_loaded: HashSet<Uuid> = HashSet::new();
        for chunk in ids.chunks(400) {
            let sql = format!(
                "SELECT id, currency, balance_minor, credit_limit_minor, upper_limit_minor FROM accounts WHERE id IN {}{}",
                crate::values_placeholders(1, chunk.len()), if pg { " ORDER BY id FOR UPDATE" } else { "" });
            let mut q = sqlx::query_as::<_, (Uuid, String, i64, i64, Option<i64>)>(&sql);
            for id in chunk { q = q.bind(id); }
            for (id, currency, balance_minor, credit, upper) in q.fetch_all(&mut *tx).await? {
                loaded.book.load(id, AccountState { currency, balance_minor, limits: Limits { credit_limit_minor: credit, upper_limit_minor: upper } });
            }
            // The legs held on these accounts for payments and clearing rounds between districts
            // (few: the partial indexes hold only rows with status 'held'). A leg whose two
            // accounts fall in two chunks is loaded once.
            let list = crate::values_placeholders(1, chunk.len());
            let shifted = (0..chunk.len()).map(|i| format!("${}", chunk.len() + i + 1)).collect::<Vec<_>>().join(", ");
            let sql = format!(
                "SELECT id, debit_account, credit_account, amount_minor FROM federation_payments WHERE status = 'held' \
                 AND (debit_account IN {list} OR credit_account IN ({shifted})) \
                 UNION ALL SELECT l.id, l.debit_account, l.credit_account, l.amount_minor FROM federation_clearing_legs l \
                 JOIN federation_clearings c ON c.id = l.clearing_id WHERE c.status = 'held' \
                 AND (l.debit_account IN {list} OR l.credit_account IN ({shifted}))");
            let mut q = sqlx::query_as::<_, (Uuid, Option<Uuid>, Option<Uuid>, i64)>(&sql);
            for id in chunk { q = q.bind(id); }
            for id in chunk { q = q.bind(id); }
            for (hold, debit, credit, amount_minor) in q.fetch_all(&mut *tx).await? {
                if let (Some(payer), Some(payee)) = (debit, credit)
                    && held_loaded.insert(hold)
                {
                    loaded.book.load_hold(&Leg { payer, payee, amount_minor });
                }
            }
        }
        for command in commands {
            match command.effect {
                Effect::PayInvoice(id) if !loaded.invoices.contains_key(&id) => {
                    let sql = if pg { "SELECT creditor, debtor, currency, status, amount_minor, paid_minor, set_off_minor FROM invoices WHERE id = $1 FOR UPDATE" }
                              else { "SELECT creditor, debtor, currency, status, amount_minor, paid_minor, set_off_minor FROM invoices WHERE id = $1" };
                    if let Some(inv) = sqlx::query_as::<_, InvoiceState>(sql).bind(id).fetch_optional(&mut *tx).await? {
                        loaded.invoices.insert(id, inv);
                    }
                }
                Effect::Clearing(id) if !loaded.rounds.contains_key(&id) => {
                    let lock = if pg { " FOR UPDATE" } else { "" };
                    let round: Option<(i64, String, String)> = sqlx::query_as(&format!("SELECT number, currency, status FROM clearing_rounds WHERE id = $1{lock}"))
                        .bind(id).fetch_optional(&mut *tx).await?;
                    let Some((number, currency, status)) = round else { continue };
                    let lines: Vec<(Uuid, i64, i64)> = sqlx::query_as(
                        "SELECT invoice_id, set_off_minor, credit_minor FROM clearing_lines WHERE round_id = $1 AND (set_off_minor > 0 OR credit_minor > 0) ORDER BY invoice_id")
                        .bind(id).fetch_all(&mut *tx).await?;
                    let transfers: Vec<(Uuid, Uuid, i64)> = sqlx::query_as(
                        "SELECT payer, payee, amount_minor FROM clearing_transfers WHERE round_id = $1 ORDER BY payer, payee")
                        .bind(id).fetch_all(&mut *tx).await?;
                    let wanted: Vec<Uuid> = lines.iter().map(|l| l.0).filter(|i| !loaded.invoices.contains_key(i)).collect();
                    for chunk in wanted.chunks(400) {
                        let sql = format!(
                            "SELECT id, creditor, debtor, currency, status, amount_minor, paid_minor, set_off_minor FROM invoices WHERE id IN {}{}",
                            crate::values_placeholders(1, chunk.len()), if pg { " ORDER BY id FOR UPDATE" } else { "" });
                        let mut q = sqlx::query_as::<_, (Uuid, Uuid, Uuid, String, String, i64, i64, i64)>(&sql);
                        for i in chunk { q = q.bind(i); }
                        for (i, creditor, debtor, currency, status, amount_minor, paid_minor, set_off_minor) in q.fetch_all(&mut *tx).await? {
                            loaded.invoices.insert(i, InvoiceState { creditor, debtor, currency, status, amount_minor, paid_minor, set_off_minor });
                        }
                    }
                    loaded.rounds.insert(id, RoundState { number, currency, status, lines, transfers });
                }
                Effect::Purchase(id) if !loaded.cycles.contains_key(&id) => {
                    let lock = if pg { " FOR UPDATE" } else { "" };
                    let status: Option<String> = sqlx::query_scalar(&format!("SELECT status FROM order_cycles WHERE id = $1{lock}"))
                        .bind(id).fetch_optional(&mut *tx).await?;
                    let Some(status) = status else { continue };
                    let rows: Vec<(Uuid, String, i64)> = sqlx::query_as(
                        "SELECT account_id, role, amount_minor FROM cycle_settlements WHERE cycle_id = $1 ORDER BY role, account_id")
                        .bind(id).fetch_all(&mut *tx).await?;
                    loaded.cycles.insert(id, CycleState { status, legs: settlement_legs(&rows) });
                }
                Effect::Decision(id) if !loaded.decisions.contains_key(&id) => {
                    let lock = if pg { " FOR UPDATE" } else { "" };
                    let status: Option<String> = sqlx::query_scalar(&format!("SELECT effect_status FROM gov_proposals WHERE id = $1{lock}"))
                        .bind(id).fetch_optional(&mut *tx).await?;
                    let Some(effect_status) = status else { continue };
                    let mut legs: Vec<(Uuid, Uuid, i64)> = sqlx::query_as(
                        "SELECT (SELECT a.id FROM accounts a WHERE a.owner_kind = 'district' AND a.purpose = 'fund' ORDER BY a.id LIMIT 1), \
                         account_id, amount_minor FROM gov_grants WHERE proposal_id = $1 ORDER BY id")
                        .bind(id).fetch_all(&mut *tx).await?;
                    legs.sort_unstable();
                    loaded.decisions.insert(id, DecisionState { effect_status, legs });
                }
                Effect::Instalment(sub, number) if !loaded.instalments.contains_key(&(sub, number)) => {
                    let lock = if pg { " FOR UPDATE OF i" } else { "" };
                    let state: Option<InstalmentState> = sqlx::query_as(&format!(
                        "SELECT i.amount_minor, i.paid_at IS NOT NULL AS paid, s.account_id AS payer, \
                         (SELECT a.id FROM accounts a WHERE a.owner_kind = 'organization' AND a.owner_id = p.farm_id AND a.currency = p.currency ORDER BY a.id LIMIT 1) AS farm_account \
                         FROM csa_instalments i JOIN csa_subscriptions s ON s.id = i.subscription_id JOIN csa_plans p ON p.id = s.plan_id \
                         WHERE i.subscription_id = $1 AND i.number = $2{lock}"))
                        .bind(sub).bind(number).fetch_optional(&mut *tx).await?;
                    if let Some(state) = state {
                        loaded.instalments.insert((sub, number), state);
                    }
                }
                Effect::Booking(id) | Effect::BookingRefund(id) if !loaded.bookings.contains_key(&id) => {
                    let lock = if pg { " FOR UPDATE" } else { "" };
                    let state: Option<BookingState> = sqlx::query_as(&format!(
                        "SELECT status, account_id, payee_account, fee_minor FROM market_bookings WHERE id = $1{lock}"))
                        .bind(id).fetch_optional(&mut *tx).await?;
                    if let Some(state) = state {
                        loaded.bookings.insert(id, state);
                    }
                }
                Effect::FederationHold(id) | Effect::FederationSettle(id, _) if !loaded.federation.contains_key(&id) => {
                    let lock = if pg { " FOR UPDATE" } else { "" };
                    let state: Option<FederationState> = sqlx::query_as(&format!(
                        "SELECT status, direction, debit_account, credit_account, amount_minor FROM federation_payments WHERE id = $1{lock}"))
                        .bind(id).fetch_optional(&mut *tx).await?;
                    if let Some(state) = state {
                        loaded.federation.insert(id, state);
                    }
                }
                Effect::FederationClearing(id, _) if !loaded.clearings.contains_key(&id) => {
                    if loaded.held_rounds.is_none() {
                        let held: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM federation_clearings WHERE status = 'held'")
                            .fetch_all(&mut *tx).await?;
                        loaded.held_rounds = Some(held.into_iter().collect());
                    }
                    let lock = if pg { " FOR UPDATE" } else { "" };
                    let round: Option<(String, bool)> = sqlx::query_as(&format!(
                        "SELECT status, initiator_link_id IS NULL FROM federation_clearings WHERE id = $1{lock}"))
                        .bind(id).fetch_optional(&mut *tx).await?;
                    let Some((status, initiator)) = round else { continue };
                    let legs: Vec<(Uuid, Uuid, Uuid, i64)> = sqlx::query_as(
                        "SELECT id, debit_account, credit_account, amount_minor FROM federation_clearing_legs WHERE clearing_id = $1 ORDER BY id")
                        .bind(id).fetch_all(&mut *tx).await?;
                    loaded.clearings.insert(id, ClearingState { status, initiator, legs });
                }
                Effect::PayRequest(id) if !loaded.requests.contains_key(&id) => {
                    let sql = if pg { "SELECT payee, payer, amount_minor, status FROM payment_requests WHERE id = $1 FOR UPDATE" }
                              else { "SELECT payee, payer, amount_minor, status FROM payment_requests WHERE id = $1" };
                    if let Some(r) = sqlx::query_as::<_, RequestState>(sql).bind(id).fetch_optional(&mut *tx).await? {
                        loaded.requests.insert(id, r);
                    }
                }
                _ => {}
            }
            for leg in &command.legs {
                if let Some(original) = leg.reverses.filter(|o| !loaded.reversed.contains_key(o)) {
                    let r: Option<ReversedState> = sqlx::query_as(
                        "SELECT payer, payee, amount_minor, kind, (SELECT COUNT(*) FROM transfers r WHERE r.reverses = t.id) AS reversed FROM transfers t WHERE t.id = $1")
                        .bind(original).fetch_optional(&mut *tx).await?;
                    if let Some(r) = r { loaded.reversed.insert(original, r); }
                }
            }
        }
        let read_us = started.elapsed().as_micros();
        let plan = plan(commands, loaded, now);
        let planned_us = started.elapsed().as_micros();
        crate::insert_rows!(tx, sqlite, &plan.transfers, 17, transfers_sql, |q, r| bind_transfer!(q, r));
        // Balances come from the last transfer that touched each account in this batch.
        let balances = final_balances(&plan);
        for chunk in balances.chunks(400) {
            let sql = balances_update_sql(chunk.len());
            let sql = if sqlite { crate::positional(&sql) } else { sql };
            let mut q = sqlx::query(&sql);
            for (id, balance) in chunk { q = q.bind(id).bind(balance); }
            for (id, _) in chunk { q = q.bind(id); }
            q.execute(&mut *tx).await?;
        }
        crate::insert_rows!(tx, sqlite, &plan.keys, 6, keys_insert_sql, |q, r| q.bind(r.0).bind(&r.1).bind(&r.2.0).bind(r.2.1).bind(&r.2.2).bind(now));
        for (invoice_id, paid_minor, status, transfer_id, amount_minor, event_id, actor) in &plan.invoices {
            sqlx::query("UPDATE invoices SET paid_minor = $2, status = $3, updated_at = $4 WHERE id = $1")
                .bind(invoice_id).bind(paid_minor).bind(status.code()).bind(now).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO invoice_events (id, invoice_id, action, amount_minor, transfer_id, note, actor, created_at) VALUES ($1, $2, 'paid_transfer', $3, $4, '', $5, $6)")
                .bind(event_id).bind(invoice_id).bind(amount_minor).bind(transfer_id).bind(actor).bind(now).execute(&mut *tx).await?;
        }
        for (request_id, _payer, transfer_id) in &plan.requests {
            // The payer of a request addressed to nobody stays empty: the transfer names who paid.
            sqlx::query("UPDATE payment_requests SET status = 'paid', transfer_id = $2, decided_at = $3 WHERE id = $1")
                .bind(request_id).bind(transfer_id).bind(now).execute(&mut *tx).await?;
        }
        for (invoice_id, set_off_minor, status) in &plan.set_off_invoices {
            sqlx::query("UPDATE invoices SET set_off_minor = $2, status = $3, updated_at = $4 WHERE id = $1")
                .bind(invoice_id).bind(set_off_minor).bind(status).bind(now).execute(&mut *tx).await?;
        }
        let events: Vec<super::invoices::InvoiceEventRow> = plan.set_off_events.iter().map(|(invoice_id, action, amount, note, actor)| super::invoices::InvoiceEventRow {
            id: Uuid::now_v7(), invoice_id: *invoice_id, action: (*action).to_owned(), amount_minor: Some(*amount),
            transfer_id: None, note: note.clone(), actor: *actor, created_at: now,
        }).collect();
        crate::insert_rows!(tx, sqlite, &events, 8, super::invoices::events_sql, |q, r| super::invoices::bind_event!(q, r));
        for (round_id, actor, posted) in &plan.rounds {
            for (payer, payee, transfer_id) in posted {
                sqlx::query("UPDATE clearing_transfers SET transfer_id = $4 WHERE round_id = $1 AND payer = $2 AND payee = $3")
                    .bind(round_id).bind(payer).bind(payee).bind(transfer_id).execute(&mut *tx).await?;
            }
            sqlx::query("UPDATE clearing_rounds SET status = 'applied', closed_by = $2, closed_at = $3 WHERE id = $1")
                .bind(round_id).bind(actor).bind(now).execute(&mut *tx).await?;
        }
        for (sub, number, transfer_id) in &plan.instalments {
            sqlx::query("UPDATE csa_instalments SET paid_at = $3, transfer_id = $4 WHERE subscription_id = $1 AND number = $2")
                .bind(sub).bind(number).bind(now).bind(transfer_id).execute(&mut *tx).await?;
            sqlx::query("UPDATE csa_subscriptions SET status = 'active' WHERE id = $1 AND status = 'pending'")
                .bind(sub).execute(&mut *tx).await?;
        }
        for (booking, transfer_id) in &plan.bookings_paid {
            sqlx::query("UPDATE market_bookings SET status = 'confirmed', transfer_id = $2, confirmed_at = $3 WHERE id = $1")
                .bind(booking).bind(transfer_id).bind(now).execute(&mut *tx).await?;
        }
        for (booking, transfer_id, amount) in &plan.bookings_refunded {
            sqlx::query("UPDATE market_bookings SET status = 'cancelled', refund_transfer_id = $2, refund_minor = $3, cancelled_at = $4 WHERE id = $1")
                .bind(booking).bind(transfer_id).bind(amount).bind(now).execute(&mut *tx).await?;
        }
        for (round, status, open, posted) in &plan.clearings {
            sqlx::query("UPDATE federation_clearings SET status = $2, open = $3, updated_at = $4 WHERE id = $1")
                .bind(round).bind(status).bind(open).bind(now).execute(&mut *tx).await?;
            if *status == "committed" {
                // The round's invoice set-offs here, in the same transaction as its legs.
                sqlx::query(crate::federation::clearings::SET_OFF_INVOICES_SQL)
                    .bind(round).bind(now).execute(&mut *tx).await?;
            }
            for (leg, transfer_id) in posted {
                sqlx::query("UPDATE federation_clearing_legs SET transfer_id = $2 WHERE id = $1")
                    .bind(leg).bind(transfer_id).execute(&mut *tx).await?;
            }
        }
        for (payment, status, transfer_id, open) in &plan.federation {
            sqlx::query("UPDATE federation_payments SET status = $2, transfer_id = $3, open = $4, updated_at = $5 WHERE id = $1")
                .bind(payment).bind(status).bind(transfer_id).bind(open).bind(now).execute(&mut *tx).await?;
            if *status == "committed" {
                // The invoice it pays, if any, is paid in the same transaction as the leg.
                sqlx::query(crate::federation::invoices::PAID_BY_PAYMENT_SQL)
                    .bind(payment).bind(now).execute(&mut *tx).await?;
            }
        }
        for (proposal, _, posted) in &plan.decisions {
            for (_, payee, transfer_id) in posted {
                // One grant per payee and decision gets each posted transfer, in grant order.
                sqlx::query("UPDATE gov_grants SET transfer_id = $3 WHERE id = \
                             (SELECT id FROM gov_grants WHERE proposal_id = $1 AND account_id = $2 AND transfer_id IS NULL ORDER BY id LIMIT 1)")
                    .bind(proposal).bind(payee).bind(transfer_id).execute(&mut *tx).await?;
            }
            sqlx::query("UPDATE gov_proposals SET effect_status = 'applied', effect_note = '' WHERE id = $1")
                .bind(proposal).execute(&mut *tx).await?;
        }
        for (cycle_id, actor, posted) in &plan.cycles {
            for (payer, payee, transfer_id) in posted {
                sqlx::query("UPDATE cycle_settlements SET transfer_id = $4 WHERE cycle_id = $1 \
                             AND ((role = 'household' AND account_id = $2) OR (role = 'producer' AND account_id = $3))")
                    .bind(cycle_id).bind(payer).bind(payee).bind(transfer_id).execute(&mut *tx).await?;
            }
            sqlx::query("UPDATE order_cycles SET status = 'settled', settled_by = $2, settled_at = $3 WHERE id = $1")
                .bind(cycle_id).bind(actor).bind(now).execute(&mut *tx).await?;
        }
        if plan.head.0 != seq {
            sqlx::query("UPDATE ledger_head SET last_seq = $1, last_hash = $2 WHERE id = 1")
                .bind(plan.head.0).bind(plan.head.1.to_vec()).execute(&mut *tx).await?;
        }
        let mut results = plan.results;
        for (index, transfer_id) in &plan.replays {
            let sql = format!("SELECT {} FROM transfers WHERE id = $1", super::TRANSFER_COLUMNS);
            let row: Option<TransferRow> = sqlx::query_as(&sql).bind(transfer_id).fetch_optional(&mut *tx).await?;
            results[*index] = Some(row.map(|t| Outcome { transfers: vec![t], replayed: true })
                .ok_or(CommandError::Store("replayed transfer missing".into())));
        }
        let written_us = started.elapsed().as_micros();
        tx.commit().await?;
        tracing::debug!(commands = commands.len(), read_us, planned_us, written_us, committed_us = started.elapsed().as_micros(), "ledger batch");
        Ok::<_, StoreError>(results.into_iter().map(|r| r.unwrap_or(Err(CommandError::BadCommand))).collect())
    })
}

/// `SELECT` of `n` idempotency keys, bound as (person_id, key) pairs.
fn keys_lookup_sql(n: usize) -> String {
    let mut cond = String::with_capacity(n * 40);
    for i in 0..n {
        if i > 0 {
            cond.push_str(" OR ");
        }
        cond.push_str(&format!(
            "(person_id = ${} AND key = ${})",
            2 * i + 1,
            2 * i + 2
        ));
    }
    format!(
        "SELECT person_id, key, request_hash, transfer_id, refusal FROM idempotency_keys WHERE {cond}"
    )
}

/// The multi-row `INSERT` of `rows` idempotency keys.
fn keys_insert_sql(rows: usize) -> String {
    format!(
        "INSERT INTO idempotency_keys (person_id, key, request_hash, transfer_id, refusal, created_at) VALUES {}",
        crate::values_placeholders(rows, 6)
    )
}

/// One `UPDATE` setting `n` balances: bound as (id, balance) pairs, then the `n` ids again, so
/// every placeholder appears once and in order (SQLite binds them positionally).
fn balances_update_sql(n: usize) -> String {
    let mut cases = String::with_capacity(n * 24);
    for i in 0..n {
        cases.push_str(&format!(" WHEN ${} THEN ${}", 2 * i + 1, 2 * i + 2));
    }
    let ids = (0..n)
        .map(|i| format!("${}", 2 * n + i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    format!("UPDATE accounts SET balance_minor = CASE id{cases} END WHERE id IN ({ids})")
}

/// Each touched account's balance after the batch, sorted by id.
fn final_balances(plan: &Plan) -> Vec<(Uuid, i64)> {
    let mut last: HashMap<Uuid, i64> = HashMap::with_capacity(plan.transfers.len() * 2);
    for t in &plan.transfers {
        last.insert(t.payer, t.payer_balance_minor);
        last.insert(t.payee, t.payee_balance_minor);
    }
    let mut out: Vec<(Uuid, i64)> = last.into_iter().collect();
    out.sort_unstable_by_key(|(id, _)| *id);
    out
}

fn to_hash(bytes: &[u8]) -> Option<Hash> {
    bytes.try_into().ok()
}

/// Every account any leg names, sorted (PostgreSQL locks them in this order).
fn account_ids(commands: &[Command]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = commands
        .iter()
        .flat_map(|c| c.legs.iter().flat_map(|l| [l.payer, l.payee]))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Decides every command of the batch in order against what was loaded: pure, no I/O.
fn plan(commands: &[Command], mut loaded: Loaded, now: OffsetDateTime) -> Plan {
    let mut plan = Plan {
        head: loaded.head,
        ..Plan::default()
    };
    // Keys decided earlier in this batch, answered as if they had been stored already.
    let mut batch_keys: HashMap<(Uuid, String), KeyAnswer> = HashMap::new();
    for (index, command) in commands.iter().enumerate() {
        if let Some(key) = &command.idempotency {
            let id = (key.person_id, key.key.clone());
            if let Some((hash, transfer_id, refusal)) = loaded.keys.get(&id).or(batch_keys.get(&id))
            {
                let answer = if hash.as_slice() != key.request_hash {
                    Some(Err(CommandError::IdempotencyKeyReused))
                } else if let Some(transfer_id) = transfer_id {
                    plan.replays.push((index, *transfer_id));
                    None
                } else {
                    Some(Err(refusal
                        .as_deref()
                        .map_or(CommandError::BadCommand, CommandError::from_code)))
                };
                plan.results.push(answer);
                continue;
            }
        }
        let result = decide(command, &mut loaded, &mut plan, now);
        if let Some(key) = &command.idempotency {
            // The first decision is the key's answer, a refusal included: otherwise a retry
            // refused now could be followed by the original, still queued, posting after all.
            let answer = match &result {
                Ok(outcome) => outcome.transfers.first().map(|t| (Some(t.id), None)),
                Err(e) if e.is_decision() => Some((None, Some(e.code().to_owned()))),
                Err(_) => None,
            };
            if let Some((transfer_id, refusal)) = answer {
                let answer = (key.request_hash.to_vec(), transfer_id, refusal);
                batch_keys.insert((key.person_id, key.key.clone()), answer.clone());
                plan.keys.push((key.person_id, key.key.clone(), answer));
            }
        }
        plan.results.push(Some(result));
    }
    plan.cleared_invoices.sort_unstable();
    plan.cleared_invoices.dedup();
    plan.set_off_invoices = plan
        .cleared_invoices
        .iter()
        .filter_map(|id| {
            let inv = loaded.invoices.get(id)?;
            Some((*id, inv.set_off_minor, inv.status.clone()))
        })
        .collect();
    plan
}

/// One command: effect checks, then the legs through the book, then the journal rows.
fn decide(
    command: &Command,
    loaded: &mut Loaded,
    plan: &mut Plan,
    now: OffsetDateTime,
) -> Result<Outcome, CommandError> {
    if let Effect::FederationHold(id) | Effect::FederationSettle(id, _) = command.effect {
        return decide_federation(command, id, loaded, plan, now);
    }
    if let Effect::FederationClearing(id, step) = command.effect {
        return decide_clearing(command, id, step, loaded, plan, now);
    }
    check_effect(command, loaded)?;
    let mut reversing = HashSet::new();
    for leg in &command.legs {
        check_reversal(leg, loaded)?;
        // Two legs reversing one transfer both pass the check above (it sees the journal before
        // the command) and would then break the unique `transfers.reverses`, failing the whole
        // batch with everyone's commands in it: refuse this command alone.
        if let Some(original) = leg.reverses
            && !reversing.insert(original)
        {
            return Err(CommandError::Reversal("already_reversed"));
        }
    }
    let legs: Vec<Leg> = command
        .legs
        .iter()
        .map(|l| Leg {
            payer: l.payer,
            payee: l.payee,
            amount_minor: l.amount_minor,
        })
        .collect();
    let posted = loaded.book.post(&legs).map_err(CommandError::Refused)?;
    let rows = journal_rows(command, posted, loaded, plan, now);
    apply_effect(command, loaded, plan, &rows);
    plan.transfers.extend(rows.iter().cloned());
    Ok(Outcome {
        transfers: rows,
        replayed: false,
    })
}

/// A clearing round between districts: hold all its legs, or post them all (releasing the
/// holds), or release them all.
fn decide_clearing(
    command: &Command,
    id: Uuid,
    step: ClearingStep,
    loaded: &mut Loaded,
    plan: &mut Plan,
    now: OffsetDateTime,
) -> Result<Outcome, CommandError> {
    let state = loaded
        .clearings
        .get(&id)
        .ok_or(CommandError::ClearingState)?;
    let its_legs = command.legs.len() == state.legs.len()
        && command.legs.iter().zip(&state.legs).all(|(l, s)| {
            l.kind == TransferKind::Federation
                && l.reverses.is_none()
                && (l.payer, l.payee, l.amount_minor) == (s.1, s.2, s.3)
        });
    let wanted = if step == ClearingStep::Hold {
        "new"
    } else {
        "held"
    };
    if !its_legs || state.status != wanted {
        return Err(CommandError::ClearingState);
    }
    let legs: Vec<Leg> = state
        .legs
        .iter()
        .map(|&(_, payer, payee, amount_minor)| Leg {
            payer,
            payee,
            amount_minor,
        })
        .collect();
    let leg_ids: Vec<Uuid> = state.legs.iter().map(|l| l.0).collect();
    let initiator = state.initiator;
    let (status, rows) = match step {
        ClearingStep::Hold => {
            let busy = loaded
                .held_rounds
                .as_ref()
                .is_some_and(|held| held.iter().any(|r| *r != id));
            if busy {
                return Err(CommandError::ClearingState);
            }
            hold_all(&mut loaded.book, &legs)?;
            ("held", Vec::new())
        }
        ClearingStep::Commit => {
            legs.iter().for_each(|l| loaded.book.release(l));
            match loaded.book.post(&legs) {
                Ok(posted) => (
                    "committed",
                    journal_rows(command, posted, loaded, plan, now),
                ),
                Err(refusal) => {
                    // Cannot happen while limit changes count holds; keep the holds.
                    legs.iter().for_each(|l| loaded.book.load_hold(l));
                    return Err(CommandError::Refused(refusal));
                }
            }
        }
        ClearingStep::Abort => {
            legs.iter().for_each(|l| loaded.book.release(l));
            ("aborted", Vec::new())
        }
    };
    let open = status == "held" || initiator;
    if let Some(held) = loaded.held_rounds.as_mut() {
        if status == "held" {
            held.insert(id);
        } else {
            held.remove(&id);
        }
    }
    let posted = leg_ids.into_iter().zip(rows.iter().map(|r| r.id)).collect();
    plan.clearings.push((id, status, open, posted));
    if let Some(s) = loaded.clearings.get_mut(&id) {
        s.status = status.to_owned();
    }
    plan.transfers.extend(rows.iter().cloned());
    Ok(Outcome {
        transfers: rows,
        replayed: false,
    })
}

/// Holds every leg or none: a refused leg releases the ones held before it.
fn hold_all(book: &mut Book, legs: &[Leg]) -> Result<(), CommandError> {
    for (i, leg) in legs.iter().enumerate() {
        if let Err(refusal) = book.hold(leg) {
            legs[..i].iter().for_each(|l| book.release(l));
            return Err(CommandError::Refused(refusal));
        }
    }
    Ok(())
}

/// A payment between districts: hold its leg, or post it (releasing the hold), or release it.
fn decide_federation(
    command: &Command,
    id: Uuid,
    loaded: &mut Loaded,
    plan: &mut Plan,
    now: OffsetDateTime,
) -> Result<Outcome, CommandError> {
    let state = loaded
        .federation
        .get(&id)
        .ok_or(CommandError::FederationState)?;
    let [new_leg] = command.legs.as_slice() else {
        return Err(CommandError::FederationState);
    };
    let leg = Leg {
        payer: new_leg.payer,
        payee: new_leg.payee,
        amount_minor: new_leg.amount_minor,
    };
    let its_leg = new_leg.kind == TransferKind::Federation
        && new_leg.reverses.is_none()
        && state.debit_account == Some(leg.payer)
        && state.credit_account == Some(leg.payee)
        && state.amount_minor == leg.amount_minor;
    let wanted = if command.effect == Effect::FederationHold(id) {
        "new"
    } else {
        "held"
    };
    if !its_leg || state.status != wanted {
        return Err(CommandError::FederationState);
    }
    // An incoming payment is finished once settled here; an outgoing one stays open until
    // the other district acknowledged the outcome.
    let outgoing = state.direction == "out";
    let (status, rows) = match command.effect {
        Effect::FederationSettle(_, true) => {
            loaded.book.release(&leg);
            match loaded.book.post(std::slice::from_ref(&leg)) {
                Ok(posted) => (
                    "committed",
                    journal_rows(command, posted, loaded, plan, now),
                ),
                Err(refusal) => {
                    // Cannot happen while limit changes count holds; keep the hold.
                    loaded.book.load_hold(&leg);
                    return Err(CommandError::Refused(refusal));
                }
            }
        }
        Effect::FederationSettle(_, false) => {
            loaded.book.release(&leg);
            ("aborted", Vec::new())
        }
        _ => {
            loaded.book.hold(&leg).map_err(CommandError::Refused)?;
            ("held", Vec::new())
        }
    };
    let open = status == "held" || outgoing;
    plan.federation
        .push((id, status, rows.first().map(|r| r.id), open));
    if let Some(s) = loaded.federation.get_mut(&id) {
        s.status = status.to_owned();
    }
    plan.transfers.extend(rows.iter().cloned());
    Ok(Outcome {
        transfers: rows,
        replayed: false,
    })
}

/// The journal rows of legs just posted in the book, chained after the batch's head.
fn journal_rows(
    command: &Command,
    posted: Vec<distretto_domain::ledger::Posted>,
    loaded: &mut Loaded,
    plan: &mut Plan,
    now: OffsetDateTime,
) -> Vec<TransferRow> {
    let mut rows = Vec::with_capacity(posted.len());
    for (leg, balances) in command.legs.iter().zip(posted) {
        let currency = loaded
            .book
            .get(&leg.payer)
            .map(|a| a.currency.clone())
            .unwrap_or_default();
        let mut row = TransferRow {
            seq: plan.head.0 + 1,
            id: leg.id,
            kind: leg.kind.code().to_owned(),
            payer: leg.payer,
            payee: leg.payee,
            currency,
            amount_minor: leg.amount_minor,
            payer_balance_minor: balances.payer_balance_minor,
            payee_balance_minor: balances.payee_balance_minor,
            memo: leg.memo.clone(),
            invoice_id: leg.invoice_id,
            request_id: leg.request_id,
            reverses: leg.reverses,
            created_by: command.created_by,
            created_at: now,
            prev_hash: plan.head.1.to_vec(),
            hash: Vec::new(),
        };
        let hash = row
            .entry()
            .map(|e| entry_hash(&plan.head.1, &e))
            .unwrap_or(GENESIS_HASH);
        row.hash = hash.to_vec();
        plan.head = (row.seq, hash);
        if let Some(original) = leg.reverses
            && let Some(r) = loaded.reversed.get_mut(&original)
        {
            r.reversed += 1;
        }
        rows.push(row);
    }
    rows
}

fn check_effect(command: &Command, loaded: &Loaded) -> Result<(), CommandError> {
    if let Effect::Clearing(id) = command.effect {
        return check_clearing(command, id, loaded);
    }
    if let Effect::Purchase(id) = command.effect {
        return check_purchase(command, id, loaded);
    }
    if let Effect::Decision(id) = command.effect {
        return check_decision(command, id, loaded);
    }
    let Some(leg) = command.legs.first() else {
        return Err(CommandError::BadCommand);
    };
    match command.effect {
        Effect::None
        | Effect::Clearing(_)
        | Effect::Purchase(_)
        | Effect::Decision(_)
        | Effect::FederationHold(_)
        | Effect::FederationSettle(..)
        | Effect::FederationClearing(..) => Ok(()),
        Effect::Booking(id) => {
            let b = loaded.bookings.get(&id);
            let matches = b.is_some_and(|b| {
                b.status == "held"
                    && command.legs.len() == 1
                    && leg.payer == b.account_id
                    && Some(leg.payee) == b.payee_account
                    && leg.amount_minor == b.fee_minor
            });
            if matches {
                Ok(())
            } else {
                Err(CommandError::Booking("booking_not_held"))
            }
        }
        Effect::BookingRefund(id) => {
            let b = loaded.bookings.get(&id);
            let matches = b.is_some_and(|b| {
                b.status == "confirmed"
                    && command.legs.len() == 1
                    && leg.payee == b.account_id
                    && Some(leg.payer) == b.payee_account
                    && leg.amount_minor <= b.fee_minor
            });
            if matches {
                Ok(())
            } else {
                Err(CommandError::Booking("booking_not_confirmed"))
            }
        }
        Effect::Instalment(sub, number) => {
            let i = loaded
                .instalments
                .get(&(sub, number))
                .ok_or(CommandError::InstalmentNotDue)?;
            let matches = !i.paid
                && command.legs.len() == 1
                && leg.payer == i.payer
                && Some(leg.payee) == i.farm_account
                && leg.amount_minor == i.amount_minor;
            if matches {
                Ok(())
            } else {
                Err(CommandError::InstalmentNotDue)
            }
        }
        Effect::PayInvoice(id) => {
            let inv = loaded
                .invoices
                .get(&id)
                .ok_or(CommandError::Invoice("unknown_invoice"))?;
            if command.legs.len() != 1 || inv.debtor != leg.payer || inv.creditor != leg.payee {
                return Err(CommandError::Invoice("not_your_invoice_action"));
            }
            let currency = loaded.book.get(&leg.payer).map(|a| a.currency.as_str());
            if currency != Some(inv.currency.as_str()) {
                return Err(CommandError::Invoice("invoice_not_in_credit"));
            }
            let status = InvoiceStatus::parse(&inv.status)
                .ok_or(CommandError::Invoice("invoice_not_open"))?;
            invoice::transition(
                status,
                amounts(inv),
                InvoiceSide::Debtor,
                invoice::InvoiceAction::Pay(leg.amount_minor),
            )
            .map(|_| ())
            .map_err(|e| CommandError::Invoice(e.code))
        }
        Effect::PayRequest(id) => {
            let r = loaded
                .requests
                .get(&id)
                .ok_or(CommandError::RequestNotOpen)?;
            let matches = r.status == "open"
                && r.payee == leg.payee
                && r.amount_minor == leg.amount_minor
                && r.payer.is_none_or(|p| p == leg.payer)
                && command.legs.len() == 1;
            if matches {
                Ok(())
            } else {
                Err(CommandError::RequestNotOpen)
            }
        }
    }
}

/// A round may be applied when it is proposed, every line still fits its invoice (accepted,
/// same currency, enough remaining) and the legs are exactly its planned transfers.
fn check_clearing(command: &Command, id: Uuid, loaded: &Loaded) -> Result<(), CommandError> {
    let round = loaded
        .rounds
        .get(&id)
        .ok_or(CommandError::Clearing("clearing_round_not_proposed"))?;
    if round.status != "proposed" {
        return Err(CommandError::Clearing("clearing_round_not_proposed"));
    }
    let stale = CommandError::Clearing("clearing_round_stale");
    for (invoice_id, set_off, credit) in &round.lines {
        let inv = loaded.invoices.get(invoice_id).ok_or(stale.clone())?;
        let fits = inv.status == InvoiceStatus::Accepted.code()
            && inv.currency == round.currency
            && set_off
                .checked_add(*credit)
                .is_some_and(|t| t <= amounts(inv).remaining_minor());
        if !fits {
            return Err(stale);
        }
    }
    let mut legs: Vec<(Uuid, Uuid, i64)> = command
        .legs
        .iter()
        .filter(|l| l.kind == TransferKind::Clearing && l.reverses.is_none())
        .map(|l| (l.payer, l.payee, l.amount_minor))
        .collect();
    legs.sort_unstable();
    if legs.len() != command.legs.len() || legs != round.transfers {
        return Err(CommandError::BadCommand);
    }
    Ok(())
}

/// Takes a round's lines off its invoices (in `loaded`, written at the end of the batch).
fn apply_clearing(
    command: &Command,
    id: Uuid,
    loaded: &mut Loaded,
    plan: &mut Plan,
    rows: &[TransferRow],
) {
    let Some(round) = loaded.rounds.get_mut(&id) else {
        return;
    };
    round.status = "applied".into();
    let note = format!("#{}", round.number);
    for (invoice_id, set_off, credit) in &round.lines {
        let Some(inv) = loaded.invoices.get_mut(invoice_id) else {
            continue;
        };
        inv.set_off_minor += set_off + credit;
        if amounts(inv).remaining_minor() == 0 {
            inv.status = InvoiceStatus::Paid.code().into();
        }
        plan.cleared_invoices.push(*invoice_id);
        for (action, amount) in [("set_off", *set_off), ("credit_settled", *credit)] {
            if amount > 0 {
                plan.set_off_events.push((
                    *invoice_id,
                    action,
                    amount,
                    note.clone(),
                    command.created_by,
                ));
            }
        }
    }
    let posted = rows.iter().map(|t| (t.payer, t.payee, t.id)).collect();
    plan.rounds.push((id, command.created_by, posted));
}

/// A delivered cycle may be settled when its legs are exactly the planned settlement.
fn check_decision(command: &Command, id: Uuid, loaded: &Loaded) -> Result<(), CommandError> {
    let decision = loaded
        .decisions
        .get(&id)
        .ok_or(CommandError::Decision("governance_effect_not_pending"))?;
    if decision.effect_status != "pending" {
        return Err(CommandError::Decision("governance_effect_not_pending"));
    }
    let mut legs: Vec<(Uuid, Uuid, i64)> = command
        .legs
        .iter()
        .filter(|l| l.kind == TransferKind::Grant && l.reverses.is_none())
        .map(|l| (l.payer, l.payee, l.amount_minor))
        .collect();
    legs.sort_unstable();
    if legs.is_empty() || legs.len() != command.legs.len() || legs != decision.legs {
        return Err(CommandError::Decision("governance_grants_changed"));
    }
    Ok(())
}

fn check_purchase(command: &Command, id: Uuid, loaded: &Loaded) -> Result<(), CommandError> {
    let cycle = loaded
        .cycles
        .get(&id)
        .ok_or(CommandError::Purchase("cycle_not_delivered"))?;
    if cycle.status != "delivered" {
        return Err(CommandError::Purchase("cycle_not_delivered"));
    }
    let mut legs: Vec<(Uuid, Uuid, i64)> = command
        .legs
        .iter()
        .filter(|l| l.kind == TransferKind::Purchase && l.reverses.is_none())
        .map(|l| (l.payer, l.payee, l.amount_minor))
        .collect();
    legs.sort_unstable();
    if legs.len() != command.legs.len() || legs != cycle.legs {
        return Err(CommandError::Purchase("settlement_changed"));
    }
    Ok(())
}

/// The legs a stored settlement plans: each household (credit) pays the group, the group pays
/// each producer. Sorted, for comparing with a command's legs.
fn settlement_legs(rows: &[(Uuid, String, i64)]) -> Vec<(Uuid, Uuid, i64)> {
    let Some(group) = rows.iter().find(|r| r.1 == "group").map(|r| r.0) else {
        return Vec::new();
    };
    let mut legs: Vec<(Uuid, Uuid, i64)> = rows
        .iter()
        .filter(|r| r.2 > 0)
        .filter_map(|(account, role, amount)| match role.as_str() {
            "household" => Some((*account, group, *amount)),
            "producer" => Some((group, *account, *amount)),
            _ => None,
        })
        .collect();
    legs.sort_unstable();
    legs
}

fn amounts(inv: &InvoiceState) -> InvoiceAmounts {
    InvoiceAmounts {
        amount_minor: inv.amount_minor,
        paid_minor: inv.paid_minor,
        set_off_minor: inv.set_off_minor,
    }
}

fn check_reversal(leg: &NewLeg, loaded: &Loaded) -> Result<(), CommandError> {
    let Some(original) = leg.reverses else {
        return Ok(());
    };
    let r = loaded
        .reversed
        .get(&original)
        .ok_or(CommandError::Reversal("unknown_transfer"))?;
    if r.reversed > 0 {
        return Err(CommandError::Reversal("already_reversed"));
    }
    if r.kind == TransferKind::Reversal.code()
        || r.kind == TransferKind::Invoice.code()
        || r.kind == TransferKind::Clearing.code()
    {
        return Err(CommandError::Reversal("not_reversible"));
    }
    if r.payer != leg.payee || r.payee != leg.payer || r.amount_minor != leg.amount_minor {
        return Err(CommandError::Reversal("reversal_mismatch"));
    }
    Ok(())
}

fn apply_effect(command: &Command, loaded: &mut Loaded, plan: &mut Plan, rows: &[TransferRow]) {
    if let Effect::Clearing(id) = command.effect {
        apply_clearing(command, id, loaded, plan, rows);
        return;
    }
    if let Effect::Purchase(id) = command.effect {
        if let Some(cycle) = loaded.cycles.get_mut(&id) {
            cycle.status = "settled".into();
        }
        let posted = rows.iter().map(|t| (t.payer, t.payee, t.id)).collect();
        plan.cycles.push((id, command.created_by, posted));
        return;
    }
    if let Effect::Decision(id) = command.effect {
        if let Some(decision) = loaded.decisions.get_mut(&id) {
            decision.effect_status = "applied".into();
        }
        let posted = rows.iter().map(|t| (t.payer, t.payee, t.id)).collect();
        plan.decisions.push((id, command.created_by, posted));
        return;
    }
    let Some(row) = rows.first() else { return };
    match command.effect {
        Effect::None
        | Effect::Clearing(_)
        | Effect::Purchase(_)
        | Effect::Decision(_)
        | Effect::FederationHold(_)
        | Effect::FederationSettle(..)
        | Effect::FederationClearing(..) => {}
        Effect::Booking(id) => {
            if let Some(b) = loaded.bookings.get_mut(&id) {
                b.status = "confirmed".into();
                plan.bookings_paid.push((id, row.id));
            }
        }
        Effect::BookingRefund(id) => {
            if let Some(b) = loaded.bookings.get_mut(&id) {
                b.status = "cancelled".into();
                plan.bookings_refunded.push((id, row.id, row.amount_minor));
            }
        }
        Effect::Instalment(sub, number) => {
            if let Some(i) = loaded.instalments.get_mut(&(sub, number)) {
                i.paid = true;
                plan.instalments.push((sub, number, row.id));
            }
        }
        Effect::PayInvoice(id) => {
            if let Some(inv) = loaded.invoices.get_mut(&id) {
                let status = InvoiceStatus::parse(&inv.status)
                    .and_then(|s| {
                        invoice::transition(
                            s,
                            amounts(inv),
                            InvoiceSide::Debtor,
                            invoice::InvoiceAction::Pay(row.amount_minor),
                        )
                        .ok()
                    })
                    .unwrap_or(InvoiceStatus::Accepted);
                inv.paid_minor += row.amount_minor;
                inv.status = status.code().to_owned();
                plan.invoices.push((
                    id,
                    inv.paid_minor,
                    status,
                    row.id,
                    row.amount_minor,
                    Uuid::now_v7(),
                    command.created_by,
                ));
            }
        }
        Effect::PayRequest(id) => {
            if let Some(r) = loaded.requests.get_mut(&id) {
                r.status = "paid".into();
                plan.requests.push((id, row.payer, row.id));
            }
        }
    }
}
