//! The mutual-credit ledger: the hash-chained journal of transfers, the batching writer that
//! appends to it, statements, limits, authorisations, payment requests and invoices.

pub mod bulk;
pub mod invoices;
mod replay_sqlite;
pub mod requests;
pub mod verify;
pub mod writer;

use crate::{Db, Result, StoreError, with_pool};
use distretto_domain::ledger::{JournalEntry, TransferKind};
use time::OffsetDateTime;
use uuid::Uuid;

pub use writer::{
    ClearingStep, Command, CommandError, Effect, IdempotencyKey, LedgerWriter, NewLeg, Outcome,
};

/// The columns of a transfer, in insert order.
pub(crate) const TRANSFER_COLUMNS: &str = "seq, id, kind, payer, payee, currency, amount_minor, payer_balance_minor, payee_balance_minor, memo, invoice_id, request_id, reverses, created_by, created_at, prev_hash, hash";

/// A journal entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct TransferRow {
    pub seq: i64,
    pub id: Uuid,
    pub kind: String,
    pub payer: Uuid,
    pub payee: Uuid,
    pub currency: String,
    pub amount_minor: i64,
    pub payer_balance_minor: i64,
    pub payee_balance_minor: i64,
    pub memo: String,
    pub invoice_id: Option<Uuid>,
    pub request_id: Option<Uuid>,
    pub reverses: Option<Uuid>,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "hex_bytes")]
    pub prev_hash: Vec<u8>,
    #[serde(with = "hex_bytes")]
    pub hash: Vec<u8>,
}

impl TransferRow {
    /// The domain's view of the entry (for hashing and replay).
    pub fn entry(&self) -> Result<JournalEntry> {
        Ok(JournalEntry {
            seq: self.seq,
            id: self.id,
            kind: TransferKind::parse(&self.kind).ok_or(StoreError::Corrupt("transfers.kind"))?,
            payer: self.payer,
            payee: self.payee,
            currency: self.currency.clone(),
            amount_minor: self.amount_minor,
            payer_balance_minor: self.payer_balance_minor,
            payee_balance_minor: self.payee_balance_minor,
            memo: self.memo.clone(),
            invoice_id: self.invoice_id,
            request_id: self.request_id,
            reverses: self.reverses,
            created_by: self.created_by,
            created_at: self.created_at,
        })
    }
}

/// Hashes as lowercase hex in the export document.
pub(crate) mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        let mut out = String::with_capacity(bytes.len() * 2);
        for b in bytes {
            out.push_str(&format!("{b:02x}"));
        }
        s.serialize_str(&out)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        decode(&text).map_err(serde::de::Error::custom)
    }

    /// Two hex digits a byte, read from the text's bytes: a multi-byte character is a bad
    /// digit, never a place to slice the text at (which panicked).
    fn decode(text: &str) -> Result<Vec<u8>, &'static str> {
        if !text.len().is_multiple_of(2) || text.len() > 128 {
            return Err("bad hex length");
        }
        let digit = |b: u8| char::from(b).to_digit(16).ok_or("bad hex digit");
        text.as_bytes()
            .chunks_exact(2)
            .map(|pair| match *pair {
                [high, low] => {
                    u8::try_from(digit(high)? * 16 + digit(low)?).map_err(|_| "bad hex digit")
                }
                _ => Err("bad hex length"),
            })
            .collect()
    }

    #[cfg(test)]
    mod tests {
        #[derive(Debug, serde::Deserialize)]
        struct Hex(#[serde(deserialize_with = "super::deserialize")] Vec<u8>);

        fn read(json: &str) -> Result<Vec<u8>, serde_json::Error> {
            serde_json::from_str::<Hex>(json).map(|h| h.0)
        }

        #[test]
        fn reads_hex_and_refuses_anything_else() {
            assert_eq!(read(r#""00ff10AB""#).unwrap(), [0x00, 0xff, 0x10, 0xab]);
            assert_eq!(read(r#""""#).unwrap(), Vec::<u8>::new());
            // Found by fuzzing (fuzz/fuzz_targets/export_document.rs): an even-length text
            // with a multi-byte character was sliced inside it, and `distretto import`
            // panicked. `+f` was read as 0x0f by `from_str_radix`.
            for bad in [
                r#""aéb""#,
                r#""éé""#,
                r#""+f""#,
                r#""0""#,
                r#""0g""#,
                r#""  ""#,
            ] {
                assert!(read(bad).is_err(), "{bad}");
            }
            assert!(read(&format!("\"{}\"", "00".repeat(65))).is_err());
        }
    }
}

/// Optional hashes as lowercase hex (or null) in the export document.
pub(crate) mod hex_bytes_option {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => super::hex_bytes::serialize(b, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        #[derive(Deserialize)]
        struct Hex(#[serde(with = "super::hex_bytes")] Vec<u8>);
        Ok(Option::<Hex>::deserialize(d)?.map(|h| h.0))
    }
}

/// The multi-row `INSERT` for `rows` transfers.
pub(crate) fn transfers_sql(rows: usize) -> String {
    format!(
        "INSERT INTO transfers ({TRANSFER_COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, 17)
    )
}

/// Binds one transfer's 17 insert values.
macro_rules! bind_transfer {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.seq)
            .bind(r.id)
            .bind(&r.kind)
            .bind(r.payer)
            .bind(r.payee)
            .bind(&r.currency)
            .bind(r.amount_minor)
            .bind(r.payer_balance_minor)
            .bind(r.payee_balance_minor)
            .bind(&r.memo)
            .bind(r.invoice_id)
            .bind(r.request_id)
            .bind(r.reverses)
            .bind(r.created_by)
            .bind(r.created_at)
            .bind(&r.prev_hash)
            .bind(&r.hash)
    }};
}
pub(crate) use bind_transfer;

/// One transfer by id.
pub async fn transfer(db: &Db, id: Uuid) -> Result<TransferRow> {
    let sql = format!("SELECT {TRANSFER_COLUMNS} FROM transfers WHERE id = $1");
    with_pool!(db.read(), pool => sqlx::query_as::<_, TransferRow>(&sql).bind(id).fetch_optional(pool).await)?
        .ok_or(StoreError::NotFound)
}

/// Which transfers of an account a history or statement shows.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    /// From this instant (inclusive).
    pub from: Option<OffsetDateTime>,
    /// Until this instant (exclusive).
    pub until: Option<OffsetDateTime>,
    /// Only money in (`Some(true)`) or out (`Some(false)`).
    pub incoming: Option<bool>,
    /// Only transfers with this account on the other side.
    pub counterparty: Option<Uuid>,
    /// Only this kind.
    pub kind: Option<String>,
}

/// A page of an account's history, newest first, with the total count.
pub async fn history(
    db: &Db,
    account: Uuid,
    filter: &HistoryFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<TransferRow>, i64)> {
    let (sql, count_sql) = history_sql(filter);
    let sql = format!("{sql} ORDER BY seq DESC LIMIT $7 OFFSET $8");
    let far_past = OffsetDateTime::UNIX_EPOCH;
    let far_future = OffsetDateTime::UNIX_EPOCH + time::Duration::days(365 * 1000);
    let from = filter.from.unwrap_or(far_past);
    let until = filter.until.unwrap_or(far_future);
    let (rows, total): (Vec<TransferRow>, i64) = with_pool!(db.read(), pool => {
        let rows = sqlx::query_as::<_, TransferRow>(&sql)
            .bind(account).bind(from).bind(until).bind(filter.incoming).bind(filter.counterparty).bind(&filter.kind)
            .bind(limit).bind(offset).fetch_all(pool).await?;
        let total: i64 = sqlx::query_scalar(&count_sql)
            .bind(account).bind(from).bind(until).bind(filter.incoming).bind(filter.counterparty).bind(&filter.kind)
            .fetch_one(pool).await?;
        Ok::<_, sqlx::Error>((rows, total))
    })?;
    Ok((rows, total))
}

/// The filtered history query and its count; both bind the same six parameters.
fn history_sql(_filter: &HistoryFilter) -> (String, String) {
    // Two index range scans (payer side, payee side) instead of an OR that scans the journal.
    let side = |col: &str, other: &str, incoming: bool| {
        format!(
            "SELECT {TRANSFER_COLUMNS} FROM transfers WHERE {col} = $1 AND created_at >= $2 AND created_at < $3 \
             AND ($4 IS NULL OR $4 = {incoming}) AND ($5 IS NULL OR {other} = $5) AND ($6 IS NULL OR kind = $6)"
        )
    };
    let union = format!(
        "{} UNION ALL {}",
        side("payee", "payer", true),
        side("payer", "payee", false)
    );
    let count = format!("SELECT COUNT(*) FROM ({union}) AS h");
    (format!("SELECT * FROM ({union}) AS h"), count)
}

/// Every transfer of an account in a period, oldest first (statements), at most `cap` rows.
pub async fn statement(
    db: &Db,
    account: Uuid,
    from: OffsetDateTime,
    until: OffsetDateTime,
    cap: i64,
) -> Result<Vec<TransferRow>> {
    let filter = HistoryFilter {
        from: Some(from),
        until: Some(until),
        ..HistoryFilter::default()
    };
    let (sql, _) = history_sql(&filter);
    let sql = format!("{sql} ORDER BY seq LIMIT $7");
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, TransferRow>(&sql)
        .bind(account).bind(from).bind(until).bind(None::<bool>).bind(None::<Uuid>).bind(None::<String>)
        .bind(cap).fetch_all(pool).await)?,
    )
}

/// The account's balance just before `at` (the opening balance of a statement).
pub async fn balance_before(db: &Db, account: Uuid, at: OffsetDateTime) -> Result<i64> {
    let sql = "SELECT CASE WHEN payer = $1 THEN payer_balance_minor ELSE payee_balance_minor END \
               FROM transfers WHERE seq = (SELECT MAX(seq) FROM transfers WHERE (payer = $1 OR payee = $1) AND created_at < $2)";
    let b: Option<i64> = with_pool!(db.read(), pool => sqlx::query_scalar(sql).bind(account).bind(at).fetch_optional(pool).await)?;
    Ok(b.unwrap_or(0))
}

/// Names of accounts' owners, for showing counterparties (bounded by `ids`).
pub async fn owner_names(
    db: &Db,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, String, String, Option<String>)>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let list = crate::values_placeholders(1, chunk.len());
        let sql = format!(
            "SELECT a.id, a.owner_kind, COALESCE(o.name, p.name, f.peer_name, '') AS name, a.purpose FROM accounts a \
             LEFT JOIN organizations o ON a.owner_kind = 'organization' AND o.id = a.owner_id \
             LEFT JOIN people p ON a.owner_kind = 'person' AND p.id = a.owner_id \
             LEFT JOIN federation_links f ON a.owner_kind = 'federation' AND f.id = a.owner_id \
             WHERE a.id IN {list}"
        );
        let rows: Vec<(Uuid, String, String, Option<String>)> = with_pool!(db.read(), pool => {
            let mut q = sqlx::query_as(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            q.fetch_all(pool).await
        })?;
        out.extend(rows);
    }
    Ok(out)
}

/// District-wide ledger figures for coordinators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerFigures {
    /// Transfers ever.
    pub transfers: i64,
    /// Transfers and their volume since `since`.
    pub recent_transfers: i64,
    /// Volume since `since`, in minor units.
    pub recent_volume_minor: i64,
    /// Sum of positive balances (money in circulation).
    pub circulation_minor: i64,
    /// Accounts of the currency.
    pub accounts: i64,
}

/// Figures of `currency` since `since`.
pub async fn figures(db: &Db, currency: &str, since: OffsetDateTime) -> Result<LedgerFigures> {
    let (transfers, recent_transfers, recent_volume_minor, circulation_minor, accounts): (
        i64,
        i64,
        i64,
        i64,
        i64,
    ) = with_pool!(db.read(), pool => sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM transfers WHERE currency = $1), \
                    (SELECT COUNT(*) FROM transfers WHERE currency = $1 AND created_at >= $2), \
                    (SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM transfers WHERE currency = $1 AND created_at >= $2), \
                    (SELECT CAST(COALESCE(SUM(balance_minor), 0) AS BIGINT) FROM accounts WHERE currency = $1 AND balance_minor > 0), \
                    (SELECT COUNT(*) FROM accounts WHERE currency = $1)")
            .bind(currency).bind(since).fetch_one(pool).await)?;
    Ok(LedgerFigures {
        transfers,
        recent_transfers,
        recent_volume_minor,
        circulation_minor,
        accounts,
    })
}

/// Accounts using the largest share of their credit line (≥ `min_per_mille`), most first.
pub async fn near_limits(
    db: &Db,
    currency: &str,
    min_per_mille: i64,
    limit: i64,
) -> Result<Vec<crate::accounts::AccountRow>> {
    let sql = format!(
        "SELECT {} FROM accounts WHERE currency = $1 AND balance_minor < 0 AND credit_limit_minor > 0 \
         AND -balance_minor * 1000 >= $2 * credit_limit_minor \
         ORDER BY CAST(-balance_minor AS DOUBLE PRECISION) / credit_limit_minor DESC, id LIMIT $3",
        crate::accounts::ACCOUNT_COLUMNS
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as(&sql).bind(currency).bind(min_per_mille).bind(limit).fetch_all(pool).await)?,
    )
}

/// A logged change of an account's limits.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct LimitChangeRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub old_credit_limit_minor: i64,
    pub old_upper_limit_minor: Option<i64>,
    pub credit_limit_minor: i64,
    pub upper_limit_minor: Option<i64>,
    pub reason: String,
    pub changed_by: Option<Uuid>,
    pub decision_ref: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Why a limit change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LimitChangeError {
    /// No such account.
    #[error("unknown_account")]
    UnknownAccount,
    /// The current balance already lies outside the new limits.
    #[error("limit_below_balance")]
    BelowBalance,
}

/// Changes an account's limits and logs the change, serialised with the ledger writer (the
/// journal head is locked on PostgreSQL) so no transfer slips between the check and the change.
/// `change.old_*` are filled in here.
pub async fn change_limits(
    db: &Db,
    mut change: LimitChangeRow,
) -> Result<Result<LimitChangeRow, LimitChangeError>> {
    let pg = db.backend() == "postgres";
    with_pool!(db.write(), pool => {
        let mut tx = if pg { pool.begin().await? } else { pool.begin_with("BEGIN IMMEDIATE").await? };
        if pg {
            sqlx::query("SELECT last_seq FROM ledger_head WHERE id = 1 FOR UPDATE").execute(&mut *tx).await?;
        }
        let current: Option<(i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT balance_minor, credit_limit_minor, upper_limit_minor FROM accounts WHERE id = $1")
            .bind(change.account_id).fetch_optional(&mut *tx).await?;
        let Some((balance, old_credit, old_upper)) = current else {
            return Ok(Err(LimitChangeError::UnknownAccount));
        };
        let limits = distretto_domain::ledger::Limits { credit_limit_minor: change.credit_limit_minor, upper_limit_minor: change.upper_limit_minor };
        // Legs held for payments between districts must still fit once posted.
        let (out_minor, in_minor): (i64, i64) = sqlx::query_as(crate::federation::payments::HELD_ON_SQL)
            .bind(change.account_id).fetch_one(&mut *tx).await?;
        let held = distretto_domain::ledger::Held { out_minor, in_minor };
        if !held.fits(&limits, balance) {
            return Ok(Err(LimitChangeError::BelowBalance));
        }
        change.old_credit_limit_minor = old_credit;
        change.old_upper_limit_minor = old_upper;
        sqlx::query("UPDATE accounts SET credit_limit_minor = $2, upper_limit_minor = $3 WHERE id = $1")
            .bind(change.account_id).bind(change.credit_limit_minor).bind(change.upper_limit_minor).execute(&mut *tx).await?;
        sqlx::query(&limit_changes_sql(1))
            .bind(change.id).bind(change.account_id).bind(change.old_credit_limit_minor).bind(change.old_upper_limit_minor)
            .bind(change.credit_limit_minor).bind(change.upper_limit_minor).bind(&change.reason).bind(change.changed_by)
            .bind(&change.decision_ref).bind(change.created_at)
            .execute(&mut *tx).await?;
        crate::audit::append_in(&mut tx, pg, vec![crate::audit::limits_changed(&change)]).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(Ok(change))
    })
}

/// The multi-row `INSERT` for `rows` limit changes.
pub(crate) fn limit_changes_sql(rows: usize) -> String {
    format!(
        "INSERT INTO limit_changes (id, account_id, old_credit_limit_minor, old_upper_limit_minor, credit_limit_minor, upper_limit_minor, reason, changed_by, decision_ref, created_at) VALUES {}",
        crate::values_placeholders(rows, 10)
    )
}

/// Whether `account`'s limits were ever changed by the decision `decision_ref`
/// (`proposal:{id}`): the trace a decision setting limits leaves.
pub async fn has_limit_change(db: &Db, account: Uuid, decision_ref: &str) -> Result<bool> {
    let n: i64 = with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM limit_changes WHERE account_id = $1 AND decision_ref = $2")
        .bind(account).bind(decision_ref).fetch_one(pool).await)?;
    Ok(n > 0)
}

/// The limit changes of an account, newest first (bounded).
pub async fn limit_changes(db: &Db, account: Uuid, limit: i64) -> Result<Vec<LimitChangeRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, LimitChangeRow>(
        "SELECT id, account_id, old_credit_limit_minor, old_upper_limit_minor, credit_limit_minor, upper_limit_minor, reason, changed_by, decision_ref, created_at \
         FROM limit_changes WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2")
        .bind(account).bind(limit).fetch_all(pool).await)?,
    )
}

/// Whether `person` may pay from `account`: they own it, administer the (active) organisation
/// that owns it, or its owner authorised them. A suspended organisation's account is frozen for
/// its admins.
pub async fn may_spend(db: &Db, account: Uuid, person: Uuid) -> Result<bool> {
    let plain = db.plain_read(|c| {
        c.prepare_cached(MAY_SPEND_SQL)?.query_row(
            rusqlite::params![
                crate::plain_read::uuid_param(&account),
                crate::plain_read::uuid_param(&person)
            ],
            |r| r.get::<_, i64>(0),
        )
    });
    let n: i64 = match plain {
        Some(n) => n,
        None => with_pool!(db.read(), pool => sqlx::query_scalar(MAY_SPEND_SQL)
            .bind(account).bind(person).fetch_one(pool).await)?,
    };
    Ok(n > 0)
}

/// Whether a person may spend from an account: 1 or 0 (asked on every payment, so it is also
/// read through plain SQLite; SQLite numbers `$N` in order of appearance, as sqlx does).
const MAY_SPEND_SQL: &str = "SELECT COUNT(*) FROM accounts a WHERE a.id = $1 AND ( \
        (a.owner_kind = 'person' AND a.owner_id = $2) \
     OR (a.owner_kind = 'organization' AND EXISTS (SELECT 1 FROM memberships m JOIN organizations o ON o.id = m.organization_id \
         WHERE m.organization_id = a.owner_id AND m.person_id = $2 AND m.role = 'admin' AND o.status = 'active')) \
     OR EXISTS (SELECT 1 FROM account_authorizations z WHERE z.account_id = a.id AND z.person_id = $2))";

/// Whether `person` may read `account` (and its history): spenders, and any member of the
/// owning organisation.
pub async fn may_read(db: &Db, account: Uuid, person: Uuid) -> Result<bool> {
    let n: i64 = with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM accounts a WHERE a.id = $1 AND ( \
            (a.owner_kind = 'person' AND a.owner_id = $2) \
         OR (a.owner_kind = 'organization' AND EXISTS (SELECT 1 FROM memberships m WHERE m.organization_id = a.owner_id AND m.person_id = $2)) \
         OR EXISTS (SELECT 1 FROM account_authorizations z WHERE z.account_id = a.id AND z.person_id = $2))")
        .bind(account).bind(person).fetch_one(pool).await)?;
    Ok(n > 0)
}

/// The accounts `person` may pay from (their own, their organisations' as admin, authorised).
pub async fn spendable_accounts(db: &Db, person: Uuid) -> Result<Vec<crate::accounts::AccountRow>> {
    let sql = format!(
        "SELECT {} FROM accounts a WHERE (a.owner_kind = 'person' AND a.owner_id = $1) \
         OR (a.owner_kind = 'organization' AND a.owner_id IN (SELECT organization_id FROM memberships WHERE person_id = $1 AND role = 'admin')) \
         OR a.id IN (SELECT account_id FROM account_authorizations WHERE person_id = $1) \
         ORDER BY CASE WHEN a.owner_kind = 'person' AND a.owner_id = $1 THEN 0 ELSE 1 END, a.created_at, a.id LIMIT 50",
        crate::accounts::ACCOUNT_COLUMNS
    );
    Ok(with_pool!(db.read(), pool => sqlx::query_as(&sql).bind(person).fetch_all(pool).await)?)
}

/// A person allowed to pay from an account.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct AuthorizationRow {
    pub account_id: Uuid,
    pub person_id: Uuid,
    pub granted_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Authorises a person to pay from an account (idempotent).
pub async fn authorize(db: &Db, row: &AuthorizationRow) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "INSERT INTO account_authorizations (account_id, person_id, granted_by, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, person_id) DO NOTHING")
        .bind(row.account_id).bind(row.person_id).bind(row.granted_by).bind(row.created_at)
        .execute(pool).await.map(|r| r.rows_affected()))
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// Withdraws an authorisation; `NotFound` if there was none.
pub async fn revoke(db: &Db, account: Uuid, person: Uuid) -> Result<()> {
    let n = with_pool!(db.write(), pool => sqlx::query(
        "DELETE FROM account_authorizations WHERE account_id = $1 AND person_id = $2")
        .bind(account).bind(person).execute(pool).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// The people authorised on an account, with their names and e-mails (bounded).
pub async fn authorizations(db: &Db, account: Uuid) -> Result<Vec<(Uuid, String, String)>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT p.id, p.name, p.email FROM account_authorizations z JOIN people p ON p.id = z.person_id \
         WHERE z.account_id = $1 ORDER BY p.name LIMIT 100")
        .bind(account).fetch_all(pool).await)?)
}

/// Inserts limit changes as they are (import).
pub async fn insert_limit_changes(db: &Db, rows: &[LimitChangeRow]) -> Result<()> {
    crate::insert_table!(db, rows, 10, limit_changes_sql, |q, r| q
        .bind(r.id)
        .bind(r.account_id)
        .bind(r.old_credit_limit_minor)
        .bind(r.old_upper_limit_minor)
        .bind(r.credit_limit_minor)
        .bind(r.upper_limit_minor)
        .bind(&r.reason)
        .bind(r.changed_by)
        .bind(&r.decision_ref)
        .bind(r.created_at))
}

fn authorizations_sql(rows: usize) -> String {
    format!(
        "INSERT INTO account_authorizations (account_id, person_id, granted_by, created_at) VALUES {}",
        crate::values_placeholders(rows, 4)
    )
}

/// Inserts authorisations as they are (import).
pub async fn insert_authorizations(db: &Db, rows: &[AuthorizationRow]) -> Result<()> {
    crate::insert_table!(db, rows, 4, authorizations_sql, |q, r| q
        .bind(r.account_id)
        .bind(r.person_id)
        .bind(r.granted_by)
        .bind(r.created_at))
}

/// A default limit decided by the assembly for `holder` (`person` or an organisation kind).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct DefaultLimitRow {
    pub holder: String,
    pub credit_limit_minor: i64,
    pub upper_limit_minor: Option<i64>,
    pub decision_ref: String,
    #[serde(with = "time::serde::rfc3339")]
    pub changed_at: OffsetDateTime,
}

/// The decided default limits, by holder.
pub async fn default_limits(db: &Db) -> Result<Vec<DefaultLimitRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, DefaultLimitRow>(
        "SELECT holder, credit_limit_minor, upper_limit_minor, decision_ref, changed_at FROM ledger_default_limits ORDER BY holder LIMIT 100")
        .fetch_all(pool).await)?,
    )
}

/// Sets (or replaces) the default limits of a holder.
pub async fn set_default_limits(db: &Db, row: &DefaultLimitRow) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query(
        "INSERT INTO ledger_default_limits (holder, credit_limit_minor, upper_limit_minor, decision_ref, changed_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (holder) DO UPDATE SET credit_limit_minor = excluded.credit_limit_minor, upper_limit_minor = excluded.upper_limit_minor, \
         decision_ref = excluded.decision_ref, changed_at = excluded.changed_at")
        .bind(&row.holder).bind(row.credit_limit_minor).bind(row.upper_limit_minor).bind(&row.decision_ref).bind(row.changed_at)
        .execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Writes decided default limits (the import's path).
pub async fn insert_default_limits(db: &Db, rows: &[DefaultLimitRow]) -> Result<()> {
    for row in rows.iter().take(100) {
        set_default_limits(db, row).await?;
    }
    Ok(())
}
