//! Seasonal subscriptions (CSA, AMAP contracts): a farm's plans, households' subscriptions
//! with their weekly deliveries and instalments. Paying an instalment in credit runs in the
//! ledger writer's transaction ([`crate::ledger::Effect::Instalment`]).

use crate::{Db, Result, StoreError, with_pool};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// The most plans, subscriptions or rows a list returns.
pub const MAX_ROWS: i64 = 10_000;

pub(crate) const PLAN_COLUMNS: &str = "id, farm_id, name, description, currency, share_price_minor, first_delivery, last_delivery, every_weeks, notice_days, instalments, pickup_id, capacity, status, created_by, created_at";
pub(crate) const SUBSCRIPTION_COLUMNS: &str =
    "id, plan_id, person_id, account_id, instalments, status, created_at";

/// A farm's seasonal share.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct PlanRow {
    pub id: Uuid,
    pub farm_id: Uuid,
    pub name: String,
    pub description: String,
    pub currency: String,
    pub share_price_minor: i64,
    pub first_delivery: Date,
    pub last_delivery: Date,
    pub every_weeks: i32,
    pub notice_days: i32,
    pub instalments: i32,
    pub pickup_id: Option<Uuid>,
    pub capacity: Option<i32>,
    /// `open` (households subscribe) or `closed`.
    pub status: String,
    pub created_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A household's subscription.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct SubscriptionRow {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub person_id: Uuid,
    pub account_id: Uuid,
    pub instalments: i32,
    /// `pending` (first instalment not yet paid), `active` or `cancelled`.
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// One week's share of a subscription.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ShareDeliveryRow {
    pub subscription_id: Uuid,
    pub day: Date,
    /// `planned`, `skipped` or `delivered`.
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub changed_at: OffsetDateTime,
}

/// One instalment of a subscription.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct InstalmentRow {
    pub subscription_id: Uuid,
    pub number: i32,
    pub due: Date,
    pub amount_minor: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub paid_at: Option<OffsetDateTime>,
    pub transfer_id: Option<Uuid>,
}

pub(crate) fn plans_sql(rows: usize) -> String {
    format!(
        "INSERT INTO csa_plans ({PLAN_COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, 16)
    )
}

macro_rules! bind_plan {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.farm_id)
            .bind(&r.name)
            .bind(&r.description)
            .bind(&r.currency)
            .bind(r.share_price_minor)
            .bind(r.first_delivery)
            .bind(r.last_delivery)
            .bind(r.every_weeks)
            .bind(r.notice_days)
            .bind(r.instalments)
            .bind(r.pickup_id)
            .bind(r.capacity)
            .bind(&r.status)
            .bind(r.created_by)
            .bind(r.created_at)
    }};
}
pub(crate) use bind_plan;

pub(crate) fn subscriptions_sql(rows: usize) -> String {
    format!(
        "INSERT INTO csa_subscriptions ({SUBSCRIPTION_COLUMNS}) VALUES {}",
        crate::values_placeholders(rows, 7)
    )
}

macro_rules! bind_subscription {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.plan_id)
            .bind(r.person_id)
            .bind(r.account_id)
            .bind(r.instalments)
            .bind(&r.status)
            .bind(r.created_at)
    }};
}
pub(crate) use bind_subscription;

pub(crate) fn share_deliveries_sql(rows: usize) -> String {
    format!(
        "INSERT INTO csa_deliveries (subscription_id, day, status, changed_at) VALUES {}",
        crate::values_placeholders(rows, 4)
    )
}

macro_rules! bind_share_delivery {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.subscription_id)
            .bind(r.day)
            .bind(&r.status)
            .bind(r.changed_at)
    }};
}
pub(crate) use bind_share_delivery;

pub(crate) fn instalments_sql(rows: usize) -> String {
    format!(
        "INSERT INTO csa_instalments (subscription_id, number, due, amount_minor, paid_at, transfer_id) VALUES {}",
        crate::values_placeholders(rows, 6)
    )
}

macro_rules! bind_instalment {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.subscription_id)
            .bind(r.number)
            .bind(r.due)
            .bind(r.amount_minor)
            .bind(r.paid_at)
            .bind(r.transfer_id)
    }};
}
pub(crate) use bind_instalment;

/// Adds a plan.
pub async fn insert_plan(db: &Db, row: &PlanRow) -> Result<()> {
    crate::insert_table!(
        db,
        std::slice::from_ref(row),
        16,
        plans_sql,
        |q, r| bind_plan!(q, r)
    )
}

/// One plan.
pub async fn plan(db: &Db, id: Uuid) -> Result<PlanRow> {
    let sql = format!("SELECT {PLAN_COLUMNS} FROM csa_plans WHERE id = $1");
    with_pool!(db.read(), pool => sqlx::query_as::<_, PlanRow>(&sql).bind(id).fetch_optional(pool).await)?
        .ok_or(StoreError::NotFound)
}

/// Plans households may still subscribe to (open, season not over), or every plan of `farm`.
pub async fn plans(db: &Db, farm: Option<Uuid>, today: Date) -> Result<Vec<PlanRow>> {
    let sql = match farm {
        Some(_) => format!(
            "SELECT {PLAN_COLUMNS} FROM csa_plans WHERE farm_id = $1 ORDER BY first_delivery DESC, id LIMIT $2"
        ),
        None => format!(
            "SELECT {PLAN_COLUMNS} FROM csa_plans WHERE status = 'open' AND last_delivery >= $1 ORDER BY first_delivery, id LIMIT $2"
        ),
    };
    Ok(with_pool!(db.read(), pool => {
        let q = sqlx::query_as::<_, PlanRow>(&sql);
        let q = match farm { Some(f) => q.bind(f), None => q.bind(today) };
        q.bind(MAX_ROWS).fetch_all(pool).await
    })?)
}

/// How many subscriptions of a plan are not cancelled.
pub async fn taken(db: &Db, plan: Uuid) -> Result<i64> {
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM csa_subscriptions WHERE plan_id = $1 AND status <> 'cancelled'")
        .bind(plan).fetch_one(pool).await)?)
}

/// Subscribes a household: the subscription (pending until its first instalment is paid), its
/// deliveries and instalments, in one transaction. `Conflict` when the household already has
/// a subscription to the plan or the plan is full or closed.
pub async fn subscribe(
    db: &Db,
    sub: &SubscriptionRow,
    deliveries: &[ShareDeliveryRow],
    instalments: &[InstalmentRow],
) -> Result<()> {
    let pg = db.backend() == "postgres";
    with_pool!(db.write(), pool => {
        let mut tx = if pg { pool.begin().await? } else { pool.begin_with("BEGIN IMMEDIATE").await? };
        let lock = if pg { " FOR UPDATE" } else { "" };
        let plan: Option<(String, Option<i32>)> = sqlx::query_as(&format!("SELECT status, capacity FROM csa_plans WHERE id = $1{lock}"))
            .bind(sub.plan_id).fetch_optional(&mut *tx).await?;
        let Some((status, capacity)) = plan else { return Err(StoreError::NotFound) };
        let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM csa_subscriptions WHERE plan_id = $1 AND status <> 'cancelled'")
            .bind(sub.plan_id).fetch_one(&mut *tx).await?;
        if status != "open" || capacity.is_some_and(|c| taken >= i64::from(c)) {
            return Err(StoreError::Conflict);
        }
        // A household that cancelled may subscribe again: its old subscription goes.
        let old: Option<Uuid> = sqlx::query_scalar("SELECT id FROM csa_subscriptions WHERE plan_id = $1 AND person_id = $2 AND status = 'cancelled'")
            .bind(sub.plan_id).bind(sub.person_id).fetch_optional(&mut *tx).await?;
        if let Some(old) = old {
            let paid: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM csa_instalments WHERE subscription_id = $1 AND paid_at IS NOT NULL")
                .bind(old).fetch_one(&mut *tx).await?;
            if paid > 0 {
                return Err(StoreError::Conflict);
            }
            for table in ["csa_instalments", "csa_deliveries"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE subscription_id = $1")).bind(old).execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM csa_subscriptions WHERE id = $1").bind(old).execute(&mut *tx).await?;
        }
        crate::insert_rows!(tx, !pg, std::slice::from_ref(sub), 7, subscriptions_sql, |q, r| bind_subscription!(q, r));
        crate::insert_rows!(tx, !pg, deliveries, 4, share_deliveries_sql, |q, r| bind_share_delivery!(q, r));
        crate::insert_rows!(tx, !pg, instalments, 6, instalments_sql, |q, r| bind_instalment!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// Sets a subscription's status (`active` once its first instalment is paid, `cancelled` when
/// that payment was refused).
pub async fn set_status(db: &Db, id: Uuid, status: &str) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query("UPDATE csa_subscriptions SET status = $2 WHERE id = $1")
        .bind(id).bind(status).execute(pool).await.map(|_| ()).map_err(StoreError::from_write))
}

/// One subscription.
pub async fn subscription(db: &Db, id: Uuid) -> Result<SubscriptionRow> {
    let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM csa_subscriptions WHERE id = $1");
    with_pool!(db.read(), pool => sqlx::query_as::<_, SubscriptionRow>(&sql).bind(id).fetch_optional(pool).await)?
        .ok_or(StoreError::NotFound)
}

/// A household's subscriptions, newest first.
pub async fn subscriptions_of_person(db: &Db, person: Uuid) -> Result<Vec<SubscriptionRow>> {
    let sql = format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM csa_subscriptions WHERE person_id = $1 AND status <> 'cancelled' ORDER BY created_at DESC LIMIT $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, SubscriptionRow>(&sql).bind(person).bind(MAX_ROWS).fetch_all(pool).await)?,
    )
}

/// A plan's subscriptions (not cancelled).
pub async fn subscriptions_of_plan(db: &Db, plan: Uuid) -> Result<Vec<SubscriptionRow>> {
    let sql = format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM csa_subscriptions WHERE plan_id = $1 AND status <> 'cancelled' ORDER BY created_at, id LIMIT $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, SubscriptionRow>(&sql).bind(plan).bind(MAX_ROWS).fetch_all(pool).await)?,
    )
}

/// A subscription's deliveries by day.
pub async fn deliveries_of(db: &Db, subscription: Uuid) -> Result<Vec<ShareDeliveryRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, ShareDeliveryRow>(
        "SELECT subscription_id, day, status, changed_at FROM csa_deliveries WHERE subscription_id = $1 ORDER BY day LIMIT 200")
        .bind(subscription).fetch_all(pool).await)?,
    )
}

/// A subscription's instalments by number.
pub async fn instalments_of(db: &Db, subscription: Uuid) -> Result<Vec<InstalmentRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, InstalmentRow>(
        "SELECT subscription_id, number, due, amount_minor, paid_at, transfer_id FROM csa_instalments WHERE subscription_id = $1 ORDER BY number LIMIT 100")
        .bind(subscription).fetch_all(pool).await)?,
    )
}

/// The shares a farm delivers on `day` (subscription, household name), for its list.
pub async fn shares_on(db: &Db, plan: Uuid, day: Date) -> Result<Vec<(Uuid, String, String)>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT s.id, p.name, d.status FROM csa_deliveries d JOIN csa_subscriptions s ON s.id = d.subscription_id \
         JOIN people p ON p.id = s.person_id WHERE s.plan_id = $1 AND d.day = $2 AND s.status = 'active' ORDER BY p.name LIMIT $3")
        .bind(plan).bind(day).bind(MAX_ROWS).fetch_all(pool).await)?)
}

/// Skips a planned delivery and appends the make-up delivery `make_up` (the share is
/// postponed, never lost or refunded). `Conflict` when the day is not a planned delivery.
pub async fn skip(
    db: &Db,
    subscription: Uuid,
    day: Date,
    make_up: Date,
    now: OffsetDateTime,
) -> Result<()> {
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        let done = sqlx::query("UPDATE csa_deliveries SET status = 'skipped', changed_at = $3 WHERE subscription_id = $1 AND day = $2 AND status = 'planned'")
            .bind(subscription).bind(day).bind(now).execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        sqlx::query("INSERT INTO csa_deliveries (subscription_id, day, status, changed_at) VALUES ($1, $2, 'planned', $3)")
            .bind(subscription).bind(make_up).bind(now).execute(&mut *tx).await.map_err(StoreError::from_write)?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// Marks a plan's deliveries of `day` delivered (those not skipped).
pub async fn mark_delivered(db: &Db, plan: Uuid, day: Date, now: OffsetDateTime) -> Result<u64> {
    Ok(with_pool!(db.write(), pool => sqlx::query(
        "UPDATE csa_deliveries SET status = 'delivered', changed_at = $3 WHERE day = $2 AND status = 'planned' \
         AND subscription_id IN (SELECT id FROM csa_subscriptions WHERE plan_id = $1 AND status = 'active')")
        .bind(plan).bind(day).bind(now).execute(pool).await.map(|r| r.rows_affected()))?)
}

/// Unpaid instalments due on or before `today` of active subscriptions in `currency` (for the
/// instalment loop): (subscription, number, amount, payer account, farm).
pub async fn due_instalments(
    db: &Db,
    today: Date,
    currency: &str,
) -> Result<Vec<(Uuid, i32, i64, Uuid, Uuid)>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT i.subscription_id, i.number, i.amount_minor, s.account_id, p.farm_id FROM csa_instalments i \
         JOIN csa_subscriptions s ON s.id = i.subscription_id JOIN csa_plans p ON p.id = s.plan_id \
         WHERE i.paid_at IS NULL AND i.due <= $1 AND s.status = 'active' AND p.currency = $2 ORDER BY i.due, i.subscription_id LIMIT $3")
        .bind(today).bind(currency).bind(MAX_ROWS).fetch_all(pool).await)?)
}

/// Records an instalment paid outside the ledger (in euro). `Conflict` when it was paid.
pub async fn mark_paid_outside_ledger(
    db: &Db,
    subscription: Uuid,
    number: i32,
    now: OffsetDateTime,
) -> Result<()> {
    let done = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE csa_instalments SET paid_at = $3 WHERE subscription_id = $1 AND number = $2 AND paid_at IS NULL")
        .bind(subscription).bind(number).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    if done == 0 {
        return Err(StoreError::Conflict);
    }
    Ok(())
}

/// Active pickup points of every group, for a plan's form: (pickup, its name, the group's name).
pub async fn pickup_choices(db: &Db) -> Result<Vec<(Uuid, String, String)>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_as(
        "SELECT pp.id, pp.name, o.name FROM pickup_points pp JOIN organizations o ON o.id = pp.group_id \
         WHERE pp.active AND o.status = 'active' ORDER BY o.name, pp.name, pp.id LIMIT 500")
        .fetch_all(pool).await)?)
}

/// Opens or closes a plan to new subscriptions.
pub async fn set_plan_status(db: &Db, plan: Uuid, status: &str) -> Result<()> {
    with_pool!(db.write(), pool => sqlx::query("UPDATE csa_plans SET status = $2 WHERE id = $1")
        .bind(plan).bind(status).execute(pool).await.map(|_| ()).map_err(StoreError::from_write))
}

/// Cancels a subscription only while it is pending and nothing of it is paid (its first
/// payment was refused, or never answered). Whether it was cancelled.
pub async fn cancel_pending(db: &Db, subscription: Uuid) -> Result<bool> {
    let done = with_pool!(db.write(), pool => sqlx::query(
        "UPDATE csa_subscriptions SET status = 'cancelled' WHERE id = $1 AND status = 'pending' \
         AND NOT EXISTS (SELECT 1 FROM csa_instalments i WHERE i.subscription_id = $1 AND i.paid_at IS NOT NULL)")
        .bind(subscription).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(done > 0)
}

/// The household's subscription to a plan, cancelled or not.
pub async fn subscription_of(db: &Db, plan: Uuid, person: Uuid) -> Result<Option<SubscriptionRow>> {
    let sql = format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM csa_subscriptions WHERE plan_id = $1 AND person_id = $2"
    );
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, SubscriptionRow>(&sql).bind(plan).bind(person).fetch_optional(pool).await)?,
    )
}

/// The farm's account an instalment in `currency` is paid to (the one the ledger writer
/// checks against).
pub async fn farm_account(db: &Db, farm: Uuid, currency: &str) -> Result<Option<Uuid>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT id FROM accounts WHERE owner_kind = 'organization' AND owner_id = $1 AND currency = $2 ORDER BY id LIMIT 1")
        .bind(farm).bind(currency).fetch_optional(pool).await)?)
}

/// A subscriber of a plan with where its payments stand.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SubscriberRow {
    pub subscription_id: Uuid,
    pub person_name: String,
    pub status: String,
    pub instalments: i32,
    pub paid_count: i64,
    pub total_minor: i64,
    pub paid_minor: i64,
    /// The earliest unpaid instalment's due day, if any is left.
    pub next_due: Option<Date>,
    /// The lowest unpaid instalment's number, if any is left.
    pub next_number: Option<i32>,
}

/// A plan's subscribers (not cancelled) by name, with their payments.
pub async fn subscribers(db: &Db, plan: Uuid) -> Result<Vec<SubscriberRow>> {
    Ok(
        with_pool!(db.read(), pool => sqlx::query_as::<_, SubscriberRow>(
        "SELECT s.id AS subscription_id, p.name AS person_name, s.status, s.instalments, \
         COUNT(i.paid_at) AS paid_count, \
         CAST(COALESCE(SUM(i.amount_minor), 0) AS BIGINT) AS total_minor, \
         CAST(COALESCE(SUM(CASE WHEN i.paid_at IS NOT NULL THEN i.amount_minor ELSE 0 END), 0) AS BIGINT) AS paid_minor, \
         MIN(CASE WHEN i.paid_at IS NULL THEN i.due END) AS next_due, \
         MIN(CASE WHEN i.paid_at IS NULL THEN i.number END) AS next_number \
         FROM csa_subscriptions s JOIN people p ON p.id = s.person_id LEFT JOIN csa_instalments i ON i.subscription_id = s.id \
         WHERE s.plan_id = $1 AND s.status <> 'cancelled' GROUP BY s.id, p.name, s.status, s.instalments ORDER BY p.name, s.id LIMIT $2")
        .bind(plan).bind(MAX_ROWS).fetch_all(pool).await)?,
    )
}

/// The days a plan's active subscriptions have a share on (make-up days included), first first.
pub async fn delivery_days(db: &Db, plan: Uuid) -> Result<Vec<Date>> {
    Ok(with_pool!(db.read(), pool => sqlx::query_scalar(
        "SELECT DISTINCT d.day FROM csa_deliveries d JOIN csa_subscriptions s ON s.id = d.subscription_id \
         WHERE s.plan_id = $1 AND s.status = 'active' ORDER BY d.day LIMIT 200")
        .bind(plan).fetch_all(pool).await)?)
}
