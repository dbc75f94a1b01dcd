//! Clearing rounds: standing consents, rounds, participants, the proposal's lines and planned
//! transfers. Applying a round changes invoices and may post transfers, so it runs in the
//! ledger writer's transaction ([`crate::ledger::Effect::Clearing`]); everything else is here.

use crate::{Db, Result, StoreError, with_pool};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// The most lines, participants or transfers one round holds (the domain's candidate bound).
pub const MAX_ROWS: i64 = 200_000;

const ROUND_COLUMNS: &str = "id, number, currency, cut_off, deadline, policy, credit_assisted, status, note, opened_by, opened_at, proposed_at, closed_by, closed_at, candidates, parties, debt_before_minor, set_off_minor, credit_settled_minor, credit_transferred_minor";
const PARTICIPANT_COLUMNS: &str =
    "round_id, account_id, via, joined_by, joined_at, answer, answered_by, answered_at";
const LINE_COLUMNS: &str =
    "round_id, invoice_id, debtor, creditor, remaining_minor, set_off_minor, credit_minor";
const TRANSFER_COLUMNS: &str = "round_id, payer, payee, amount_minor, transfer_id";

/// An account's standing consent to clearing.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ConsentRow {
    pub account_id: Uuid,
    pub standing: bool,
    pub changed_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub changed_at: OffsetDateTime,
}

/// A clearing round with its proposal's figures.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct RoundRow {
    pub id: Uuid,
    pub number: i64,
    pub currency: String,
    pub cut_off: Date,
    #[serde(with = "time::serde::rfc3339")]
    pub deadline: OffsetDateTime,
    pub policy: String,
    pub credit_assisted: bool,
    pub status: String,
    pub note: String,
    pub opened_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub proposed_at: Option<OffsetDateTime>,
    pub closed_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    pub candidates: i64,
    pub parties: i64,
    pub debt_before_minor: i64,
    pub set_off_minor: i64,
    pub credit_settled_minor: i64,
    pub credit_transferred_minor: i64,
}

/// An account taking part in a round.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ParticipantRow {
    pub round_id: Uuid,
    pub account_id: Uuid,
    /// `standing` or `joined`.
    pub via: String,
    pub joined_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub joined_at: OffsetDateTime,
    /// `None`, `confirmed` or `withdrawn`.
    pub answer: Option<String>,
    pub answered_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub answered_at: Option<OffsetDateTime>,
}

/// A candidate invoice of a round and what the proposal takes from it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct LineRow {
    pub round_id: Uuid,
    pub invoice_id: Uuid,
    pub debtor: Uuid,
    pub creditor: Uuid,
    pub remaining_minor: i64,
    pub set_off_minor: i64,
    pub credit_minor: i64,
}

/// A ledger transfer of a credit-assisted round (posted when the round is applied).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ClearingTransferRow {
    pub round_id: Uuid,
    pub payer: Uuid,
    pub payee: Uuid,
    pub amount_minor: i64,
    pub transfer_id: Option<Uuid>,
}

/// The figures of a proposal, as stored on its round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Figures {
    pub candidates: i64,
    pub parties: i64,
    pub debt_before_minor: i64,
    pub set_off_minor: i64,
    pub credit_settled_minor: i64,
    pub credit_transferred_minor: i64,
}

fn rounds_sql(rows: usize) -> String {
    format!(
        "INSERT INTO clearing_rounds ({ROUND_COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, 20)
    )
}

macro_rules! bind_round {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.number)
            .bind(&r.currency)
            .bind(r.cut_off)
            .bind(r.deadline)
            .bind(&r.policy)
            .bind(r.credit_assisted)
            .bind(&r.status)
            .bind(&r.note)
            .bind(r.opened_by)
            .bind(r.opened_at)
            .bind(r.proposed_at)
            .bind(r.closed_by)
            .bind(r.closed_at)
            .bind(r.candidates)
            .bind(r.parties)
            .bind(r.debt_before_minor)
            .bind(r.set_off_minor)
            .bind(r.credit_settled_minor)
            .bind(r.credit_transferred_minor)
    }};
}

fn participants_sql(rows: usize) -> String {
    format!(
        "INSERT INTO clearing_participants ({PARTICIPANT_COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, 8)
    )
}

macro_rules! bind_participant {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.round_id)
            .bind(r.account_id)
            .bind(&r.via)
            .bind(r.joined_by)
            .bind(r.joined_at)
            .bind(&r.answer)
            .bind(r.answered_by)
            .bind(r.answered_at)
    }};
}

fn lines_sql(rows: usize) -> String {
    format!(
        "INSERT INTO clearing_lines ({LINE_COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, 7)
    )
}

macro_rules! bind_line {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.round_id)
            .bind(r.invoice_id)
            .bind(r.debtor)
            .bind(r.creditor)
            .bind(r.remaining_minor)
            .bind(r.set_off_minor)
            .bind(r.credit_minor)
    }};
}

fn transfers_sql(rows: usize) -> String {
    format!(
        "INSERT INTO clearing_transfers ({TRANSFER_COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, 5)
    )
}

macro_rules! bind_clearing_transfer {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.round_id)
            .bind(r.payer)
            .bind(r.payee)
            .bind(r.amount_minor)
            .bind(r.transfer_id)
    }};
}

fn consents_sql(rows: usize) -> String {
    format!(
        "INSERT INTO clearing_consents (account_id, standing, changed_by, changed_at) VALUES {}",
        crate::values_placeholders(rows, 4)
    )
}

// ---------- consent ----------

/// Records an account's standing consent (or its withdrawal).
pub async fn set_consent(db: &Db, consent: &ConsentRow) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "INSERT INTO clearing_consents (account_id, standing, changed_by, changed_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id) DO UPDATE SET standing = excluded.standing, changed_by = excluded.changed_by, changed_at = excluded.changed_at")
        .bind(consent.account_id).bind(consent.standing).bind(consent.changed_by).bind(consent.changed_at)
        .execute(pool).await.map(|_| ()).map_err(StoreError::from_write))?;
    Ok(())
}

/// An account's standing consent, if it ever gave or withdrew one.
pub async fn consent(db: &Db, account: Uuid) -> Result<Option<ConsentRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, ConsentRow>(
        "SELECT account_id, standing, changed_by, changed_at FROM clearing_consents WHERE account_id = $1")
        .bind(account).fetch_optional(pool).await)?,
    )
}

// ---------- rounds ----------

/// Opens a round, numbering it after the last one. `Conflict` when a round of its currency is
/// already in progress.
pub async fn open_round(db: &Db, round: &RoundRow) -> Result<RoundRow> {
    let sqlite = db.backend() == "sqlite";
    let mut round = round.clone();
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(number) FROM clearing_rounds")
            .fetch_one(&mut *tx).await?;
        round.number = last.unwrap_or(0) + 1;
        crate::insert_rows!(tx, sqlite, std::slice::from_ref(&round), 20, rounds_sql, |q, r| bind_round!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })?;
    Ok(round)
}

/// One round.
pub async fn round(db: &Db, id: Uuid) -> Result<RoundRow> {
    let sql = format!("SELECT {ROUND_COLUMNS} FROM clearing_rounds WHERE id = $1");
    with_pool!(db.read(), pool => sqlx::query_as::<_, RoundRow>(&sql).bind(id).fetch_optional(pool).await)?
        .ok_or(StoreError::NotFound)
}

/// A page of rounds, newest first, and how many there are.
pub async fn rounds(db: &Db, limit: i64, offset: i64) -> Result<(Vec<RoundRow>, i64)> {
    let sql = format!(
        "SELECT {ROUND_COLUMNS} FROM clearing_rounds ORDER BY number DESC LIMIT $1 OFFSET $2"
    );
    with_pool!(db.read(), pool => {
        let rows = sqlx::query_as::<_, RoundRow>(&sql).bind(limit).bind(offset).fetch_all(pool).await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM clearing_rounds").fetch_one(pool).await?;
        Ok::<_, StoreError>((rows, total))
    })
}

/// Rounds in progress (at most one per currency).
pub async fn in_progress(db: &Db) -> Result<Vec<RoundRow>> {
    let sql = format!(
        "SELECT {ROUND_COLUMNS} FROM clearing_rounds WHERE status IN ('open', 'proposed') ORDER BY number LIMIT 100"
    );
    Ok(with_pool!(db.read(), pool => sqlx::query_as::<_, RoundRow>(&sql).fetch_all(pool).await)?)
}

/// The rounds `account` took part in (or was added to), newest first.
pub async fn rounds_of(db: &Db, account: Uuid, limit: i64) -> Result<Vec<RoundRow>> {
    let columns = ROUND_COLUMNS
        .split(", ")
        .map(|c| format!("r.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {columns} FROM clearing_rounds r JOIN clearing_participants p ON p.round_id = r.id \
         WHERE p.account_id = $1 ORDER BY r.number DESC LIMIT $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, RoundRow>(&sql).bind(account).bind(limit).fetch_all(pool).await)?,
    )
}

/// Closes a round in progress as `status` (`lapsed` or `cancelled`); `Conflict` if it is no
/// longer in progress.
pub async fn close(
    db: &Db,
    id: Uuid,
    status: &str,
    by: Option<Uuid>,
    now: OffsetDateTime,
) -> Result<()> {
    let done = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE clearing_rounds SET status = $2, closed_by = $3, closed_at = $4 WHERE id = $1 AND status IN ('open', 'proposed')")
        .bind(id).bind(status).bind(by).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    if done == 0 {
        return Err(StoreError::Conflict);
    }
    Ok(())
}

// ---------- participants ----------

/// Adds `account` to a round in progress, or takes it back after a withdrawal. `Conflict` if
/// the round is no longer in progress.
pub async fn join(db: &Db, p: &ParticipantRow) -> Result<()> {
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        let open: Option<String> = sqlx::query_scalar(
            "SELECT status FROM clearing_rounds WHERE id = $1 AND status IN ('open', 'proposed')")
            .bind(p.round_id).fetch_optional(&mut *tx).await?;
        if open.is_none() {
            return Err(StoreError::Conflict);
        }
        sqlx::query(&format!(
            "INSERT INTO clearing_participants ({PARTICIPANT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, NULL, NULL, NULL) \
             ON CONFLICT (round_id, account_id) DO UPDATE SET answer = NULL, answered_by = NULL, answered_at = NULL \
             WHERE clearing_participants.answer = 'withdrawn'"))
            .bind(p.round_id).bind(p.account_id).bind(&p.via).bind(p.joined_by).bind(p.joined_at)
            .execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// Adds every account with standing consent to a round (those who withdrew stay out).
pub async fn add_standing(db: &Db, round: Uuid, now: OffsetDateTime) -> Result<u64> {
    let done = with_pool!(db.write(), pool => sqlx::query(&format!(
        "INSERT INTO clearing_participants ({PARTICIPANT_COLUMNS}) \
         SELECT $1, c.account_id, 'standing', NULL, $2, NULL, NULL, NULL FROM clearing_consents c WHERE c.standing \
         ON CONFLICT (round_id, account_id) DO NOTHING"))
        .bind(round).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(done)
}

/// A round's participants (bounded).
pub async fn participants(db: &Db, round: Uuid) -> Result<Vec<ParticipantRow>> {
    let sql = format!(
        "SELECT {PARTICIPANT_COLUMNS} FROM clearing_participants WHERE round_id = $1 ORDER BY account_id LIMIT $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, ParticipantRow>(&sql).bind(round).bind(MAX_ROWS).fetch_all(pool).await)?,
    )
}

/// One participant of a round.
pub async fn participant(db: &Db, round: Uuid, account: Uuid) -> Result<Option<ParticipantRow>> {
    let sql = format!(
        "SELECT {PARTICIPANT_COLUMNS} FROM clearing_participants WHERE round_id = $1 AND account_id = $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, ParticipantRow>(&sql).bind(round).bind(account).fetch_optional(pool).await)?,
    )
}

/// Records a participant's answer (`confirmed` or `withdrawn`) while the round is in progress;
/// a confirmation only counts for the proposal computed at `proposed_at`. `Conflict` when the
/// round moved on (closed, or a new proposal since the participant read it).
pub async fn answer(
    db: &Db,
    round: Uuid,
    account: Uuid,
    answer: &str,
    proposed_at: Option<OffsetDateTime>,
    by: Uuid,
    now: OffsetDateTime,
) -> Result<()> {
    let done = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE clearing_participants SET answer = $3, answered_by = $4, answered_at = $5 \
         WHERE round_id = $1 AND account_id = $2 AND EXISTS (SELECT 1 FROM clearing_rounds r WHERE r.id = $1 \
         AND r.status IN ('open', 'proposed') AND (r.proposed_at = $6 OR (r.proposed_at IS NULL AND $6 IS NULL)))")
        .bind(round).bind(account).bind(answer).bind(by).bind(now).bind(proposed_at).execute(pool).await.map(|r| r.rows_affected()))?;
    if done == 0 {
        return Err(StoreError::Conflict);
    }
    Ok(())
}

// ---------- proposals ----------

/// A candidate invoice as the proposal needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct CandidateRow {
    pub id: Uuid,
    pub debtor: Uuid,
    pub creditor: Uuid,
    pub remaining_minor: i64,
}

/// The candidates of a round: accepted invoices in `currency` issued before `issued_before`,
/// with something remaining, between two participants who have not withdrawn (in id order).
pub async fn candidates(
    db: &Db,
    round: Uuid,
    currency: &str,
    issued_before: OffsetDateTime,
) -> Result<Vec<CandidateRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, CandidateRow>(
        "SELECT i.id, i.debtor, i.creditor, i.amount_minor - i.paid_minor - i.set_off_minor AS remaining_minor \
         FROM invoices i \
         JOIN clearing_participants d ON d.round_id = $1 AND d.account_id = i.debtor AND (d.answer IS NULL OR d.answer <> 'withdrawn') \
         JOIN clearing_participants c ON c.round_id = $1 AND c.account_id = i.creditor AND (c.answer IS NULL OR c.answer <> 'withdrawn') \
         WHERE i.status = 'accepted' AND i.currency = $2 AND i.created_at < $3 \
         AND i.amount_minor - i.paid_minor - i.set_off_minor > 0 ORDER BY i.id LIMIT $4")
        .bind(round).bind(currency).bind(issued_before).bind(MAX_ROWS).fetch_all(pool).await)?,
    )
}

/// Each listed account's balance and limits, for credit-assisted rounds:
/// (account, balance, credit limit, upper limit).
pub async fn headroom(db: &Db, accounts: &[Uuid]) -> Result<Vec<(Uuid, i64, i64, Option<i64>)>> {
    let mut out = Vec::with_capacity(accounts.len());
    for chunk in accounts.chunks(400) {
        let sql = format!(
            "SELECT id, balance_minor, credit_limit_minor, upper_limit_minor FROM accounts WHERE id IN {}",
            crate::values_placeholders(1, chunk.len())
        );
        let rows = with_pool!(db.read(), pool => {
            let mut q = sqlx::query_as::<_, (Uuid, i64, i64, Option<i64>)>(&sql);
            for id in chunk { q = q.bind(id); }
            q.fetch_all(pool).await
        })?;
        out.extend(rows);
    }
    Ok(out)
}

/// Replaces a round's proposal: its lines, planned transfers and figures; confirmations of
/// the previous proposal no longer count. `Conflict` if the round is no longer in progress.
pub async fn save_proposal(
    db: &Db,
    round: Uuid,
    lines: &[LineRow],
    transfers: &[ClearingTransferRow],
    figures: Figures,
    now: OffsetDateTime,
) -> Result<()> {
    let sqlite = db.backend() == "sqlite";
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        let done = sqlx::query(
            "UPDATE clearing_rounds SET status = 'proposed', proposed_at = $2, candidates = $3, parties = $4, \
             debt_before_minor = $5, set_off_minor = $6, credit_settled_minor = $7, credit_transferred_minor = $8 \
             WHERE id = $1 AND status IN ('open', 'proposed')")
            .bind(round).bind(now).bind(figures.candidates).bind(figures.parties).bind(figures.debt_before_minor)
            .bind(figures.set_off_minor).bind(figures.credit_settled_minor).bind(figures.credit_transferred_minor)
            .execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        sqlx::query("DELETE FROM clearing_lines WHERE round_id = $1").bind(round).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM clearing_transfers WHERE round_id = $1").bind(round).execute(&mut *tx).await?;
        sqlx::query("UPDATE clearing_participants SET answer = NULL, answered_by = NULL, answered_at = NULL WHERE round_id = $1 AND answer = 'confirmed'")
            .bind(round).execute(&mut *tx).await?;
        crate::insert_rows!(tx, sqlite, lines, 7, lines_sql, |q, r| bind_line!(q, r));
        crate::insert_rows!(tx, sqlite, transfers, 5, transfers_sql, |q, r| bind_clearing_transfer!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// A round's lines, in invoice order (bounded).
pub async fn lines(db: &Db, round: Uuid) -> Result<Vec<LineRow>> {
    let sql = format!(
        "SELECT {LINE_COLUMNS} FROM clearing_lines WHERE round_id = $1 ORDER BY invoice_id LIMIT $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, LineRow>(&sql).bind(round).bind(MAX_ROWS).fetch_all(pool).await)?,
    )
}

/// The lines of a round where `account` owes or is owed, in invoice order (bounded).
pub async fn lines_of(db: &Db, round: Uuid, account: Uuid) -> Result<Vec<LineRow>> {
    let sql = format!(
        "SELECT {LINE_COLUMNS} FROM clearing_lines WHERE round_id = $1 AND (debtor = $2 OR creditor = $2) ORDER BY invoice_id LIMIT $3"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, LineRow>(&sql).bind(round).bind(account).bind(MAX_ROWS).fetch_all(pool).await)?,
    )
}

/// The planned (or posted) transfers of a round that `account` pays or receives.
pub async fn transfers_of(db: &Db, round: Uuid, account: Uuid) -> Result<Vec<ClearingTransferRow>> {
    let sql = format!(
        "SELECT {TRANSFER_COLUMNS} FROM clearing_transfers WHERE round_id = $1 AND (payer = $2 OR payee = $2) ORDER BY payer, payee LIMIT $3"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, ClearingTransferRow>(&sql).bind(round).bind(account).bind(MAX_ROWS).fetch_all(pool).await)?,
    )
}

/// A round's planned (or posted) transfers.
pub async fn transfers(db: &Db, round: Uuid) -> Result<Vec<ClearingTransferRow>> {
    let sql = format!(
        "SELECT {TRANSFER_COLUMNS} FROM clearing_transfers WHERE round_id = $1 ORDER BY payer, payee LIMIT $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, ClearingTransferRow>(&sql).bind(round).bind(MAX_ROWS).fetch_all(pool).await)?,
    )
}

// ---------- export and import ----------

/// Every table of this module in a stable order, for the district document.
pub async fn export(
    db: &Db,
) -> Result<(
    Vec<ConsentRow>,
    Vec<RoundRow>,
    Vec<ParticipantRow>,
    Vec<LineRow>,
    Vec<ClearingTransferRow>,
)> {
    Ok((
        crate::export::read_all(db, "SELECT account_id, standing, changed_by, changed_at FROM clearing_consents ORDER BY account_id").await?,
        crate::export::read_all(db, &format!("SELECT {ROUND_COLUMNS} FROM clearing_rounds ORDER BY number")).await?,
        crate::export::read_all(db, &format!("SELECT {PARTICIPANT_COLUMNS} FROM clearing_participants ORDER BY round_id, account_id")).await?,
        crate::export::read_all(db, &format!("SELECT {LINE_COLUMNS} FROM clearing_lines ORDER BY round_id, invoice_id")).await?,
        crate::export::read_all(db, &format!("SELECT {TRANSFER_COLUMNS} FROM clearing_transfers ORDER BY round_id, payer, payee")).await?,
    ))
}

/// Inserts consents as they are (import).
pub async fn insert_consents(db: &Db, rows: &[ConsentRow]) -> Result<()> {
    crate::insert_table!(db, rows, 4, consents_sql, |q, r| q
        .bind(r.account_id)
        .bind(r.standing)
        .bind(r.changed_by)
        .bind(r.changed_at))
}

/// Inserts rounds as they are (import).
pub async fn insert_rounds(db: &Db, rows: &[RoundRow]) -> Result<()> {
    crate::insert_table!(db, rows, 20, rounds_sql, |q, r| bind_round!(q, r))
}

/// Inserts participants as they are (import).
pub async fn insert_participants(db: &Db, rows: &[ParticipantRow]) -> Result<()> {
    crate::insert_table!(db, rows, 8, participants_sql, |q, r| bind_participant!(
        q, r
    ))
}

/// Inserts lines as they are (import).
pub async fn insert_lines(db: &Db, rows: &[LineRow]) -> Result<()> {
    crate::insert_table!(db, rows, 7, lines_sql, |q, r| bind_line!(q, r))
}

/// Inserts planned transfers as they are (import).
pub async fn insert_transfers(db: &Db, rows: &[ClearingTransferRow]) -> Result<()> {
    crate::insert_table!(db, rows, 5, transfers_sql, |q, r| bind_clearing_transfer!(
        q, r
    ))
}
