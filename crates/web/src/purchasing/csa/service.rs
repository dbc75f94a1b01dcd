//! Seasonal subscriptions as people use them. A farm's admins make plans, close them, list the
//! shares of a delivery day and mark it delivered, and record instalments paid in euro. A
//! household subscribes (its first credit instalment charged at once through the ledger
//! writer), follows its deliveries and instalments, and skips a week with notice: the share is
//! postponed to a make-up week after the last one, and no money moves.
//!
//! Euro plans never touch the ledger: a euro subscription is active at once (the contract binds
//! like a signed AMAP contract) and its instalments are owed in euro until the farm records
//! them paid. Credit plans are pending until their first instalment is paid; if the ledger
//! refuses it, the subscription is cancelled and nothing else changes.

use crate::auth::viewer::Actor;
use crate::purchasing::service as shared;
use crate::{AppError, AppState};
use axum::http::StatusCode;
use distretto_domain::Invalid;
use distretto_domain::ledger::{EURO, Refusal, TransferKind};
use distretto_domain::purchasing::subscription::{self as rules, Plan, PlanDraft};
use distretto_store::StoreError;
use distretto_store::directory::OrganizationRow;
use distretto_store::ledger::{Command, CommandError, Effect, NewLeg};
use distretto_store::purchasing::subscriptions::{
    self as store, InstalmentRow, PlanRow, ShareDeliveryRow, SubscriberRow, SubscriptionRow,
};
use std::collections::HashMap;
use time::{Date, Duration};
use uuid::Uuid;

/// The longest plan name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest plan description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;
/// The most shares a plan may cap itself at.
pub const MAX_CAPACITY: i32 = 10_000;
/// The most open plans the household page lists.
pub const MAX_OPEN_PLANS: usize = 100;
/// How many times a skip is tried again when another skip took the same make-up week.
const SKIP_ATTEMPTS: usize = 3;

/// A 422 with a message id and the field it concerns.
pub fn invalid(code: &'static str, field: &'static str) -> AppError {
    AppError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code,
        field: Some(field),
    }
}

/// The message id (prefixed `csa_`) of a rule's or an amount's code; unknown codes become
/// the generic `csa_invalid`.
pub fn message_id(code: &str) -> &'static str {
    match code {
        "bad_season_dates" => "csa_bad_season_dates",
        "season_too_long" => "csa_season_too_long",
        "bad_frequency" => "csa_bad_frequency",
        "last_delivery_off_schedule" => "csa_last_delivery_off_schedule",
        "bad_price" | "bad_amount" | "amount_not_positive" => "csa_bad_price",
        "too_many_decimals" => "csa_too_many_decimals",
        "amount_too_large" => "csa_amount_too_large",
        "bad_notice" => "csa_bad_notice",
        "bad_instalments" => "csa_bad_instalments",
        "too_many_instalments" => "csa_too_many_instalments",
        "bad_instalment_dates" => "csa_bad_instalment_dates",
        "skip_too_late" => "csa_skip_too_late",
        "delivery_passed" => "csa_delivery_passed",
        "not_a_delivery" => "csa_not_a_delivery",
        _ => "csa_invalid",
    }
}

/// A domain refusal as the page shows it.
pub fn refused(e: Invalid) -> AppError {
    invalid(message_id(e.code), e.field)
}

/// A plan as the farm typed it, parsed at the edge.
#[derive(Debug, Clone)]
pub struct NewPlan {
    /// What households see first.
    pub name: String,
    /// What a share holds, where and when.
    pub description: String,
    /// `EUR` or the district currency.
    pub currency: String,
    /// Dates, frequency, price, notice and instalments, not yet checked.
    pub draft: PlanDraft,
    /// Where shares are collected, if at a group's pickup point.
    pub pickup: Option<Uuid>,
    /// The most subscriptions, if limited.
    pub capacity: Option<i32>,
}

// ---------- the farm's side ----------

/// The producer, if `actor` administers it (its admins and coordinators); 404 for an unknown
/// or inactive producer, 403 for anyone else.
pub async fn farm(state: &AppState, actor: &Actor, id: Uuid) -> Result<OrganizationRow, AppError> {
    let org = shared::producer(state, id).await?;
    shared::require_admin(state, actor, org.id).await?;
    Ok(org)
}

/// A plan of the farm, if `actor` administers the farm; 404 when the plan is another farm's.
pub async fn farm_plan(
    state: &AppState,
    actor: &Actor,
    farm_id: Uuid,
    plan_id: Uuid,
) -> Result<(OrganizationRow, PlanRow), AppError> {
    let org = farm(state, actor, farm_id).await?;
    let plan = store::plan(&state.db, plan_id).await?;
    if plan.farm_id != org.id {
        return Err(AppError::not_found());
    }
    Ok((org, plan))
}

/// Every plan of a farm, newest season first.
pub async fn farm_plans(
    state: &AppState,
    actor: &Actor,
    farm_id: Uuid,
    today: Date,
) -> Result<(OrganizationRow, Vec<PlanRow>), AppError> {
    let org = farm(state, actor, farm_id).await?;
    let plans = store::plans(&state.db, Some(org.id), today).await?;
    Ok((org, plans))
}

fn check_text(input: &NewPlan) -> Result<(String, String), AppError> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(invalid("csa_name_required", "name"));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(invalid("csa_name_too_long", "name"));
    }
    let description = input.description.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(invalid("csa_description_too_long", "description"));
    }
    Ok((name.to_owned(), description.to_owned()))
}

/// The farm's admins add a plan, open to subscriptions at once.
pub async fn create_plan(
    state: &AppState,
    actor: &Actor,
    farm_id: Uuid,
    input: NewPlan,
    today: Date,
) -> Result<PlanRow, AppError> {
    let org = farm(state, actor, farm_id).await?;
    let (name, description) = check_text(&input)?;
    if input.currency != EURO && input.currency != state.config.currency.code {
        return Err(invalid("csa_bad_currency", "currency"));
    }
    let plan = input.draft.check().map_err(refused)?;
    if plan.first_delivery() < today {
        return Err(invalid("csa_first_delivery_past", "first_delivery"));
    }
    if input
        .capacity
        .is_some_and(|c| !(1..=MAX_CAPACITY).contains(&c))
    {
        return Err(invalid("csa_bad_capacity", "capacity"));
    }
    if let Some(pickup) = input.pickup {
        match distretto_store::purchasing::catalogue::pickup(&state.db, pickup).await {
            Ok(p) if p.active => {}
            Ok(_) | Err(StoreError::NotFound) => return Err(invalid("csa_bad_pickup", "pickup")),
            Err(e) => return Err(e.into()),
        }
    }
    let row = PlanRow {
        id: Uuid::now_v7(),
        farm_id: org.id,
        name,
        description,
        currency: input.currency,
        share_price_minor: plan.share_price_minor(),
        first_delivery: plan.first_delivery(),
        last_delivery: plan.last_delivery(),
        every_weeks: i32::from(plan.every_weeks()),
        notice_days: i32::from(plan.notice_days()),
        instalments: i32::from(plan.instalments()),
        pickup_id: input.pickup,
        capacity: input.capacity,
        status: "open".into(),
        created_by: actor.id,
        created_at: distretto_store::now(),
    };
    store::insert_plan(&state.db, &row).await?;
    Ok(row)
}

/// The farm's admins close a plan to new subscriptions (those made stay) or open it again.
pub async fn set_plan_open(
    state: &AppState,
    actor: &Actor,
    farm_id: Uuid,
    plan_id: Uuid,
    open: bool,
) -> Result<(), AppError> {
    let (_, plan) = farm_plan(state, actor, farm_id, plan_id).await?;
    let status = if open { "open" } else { "closed" };
    store::set_plan_status(&state.db, plan.id, status).await?;
    Ok(())
}

/// A plan's subscribers with their payments, and the days it has shares on.
pub async fn plan_overview(
    state: &AppState,
    actor: &Actor,
    farm_id: Uuid,
    plan_id: Uuid,
) -> Result<(OrganizationRow, PlanRow, Vec<SubscriberRow>, Vec<Date>), AppError> {
    let (org, plan) = farm_plan(state, actor, farm_id, plan_id).await?;
    let subscribers = store::subscribers(&state.db, plan.id).await?;
    let days = store::delivery_days(&state.db, plan.id).await?;
    Ok((org, plan, subscribers, days))
}

/// The shares of a delivery day: (subscription, household, `planned|skipped|delivered`).
pub async fn shares_on(
    state: &AppState,
    actor: &Actor,
    farm_id: Uuid,
    plan_id: Uuid,
    day: Date,
) -> Result<(OrganizationRow, PlanRow, Vec<(Uuid, String, String)>), AppError> {
    let (org, plan) = farm_plan(state, actor, farm_id, plan_id).await?;
    let shares = store::shares_on(&state.db, plan.id, day).await?;
    Ok((org, plan, shares))
}

/// The farm marks a day's shares delivered (skipped ones stay skipped); how many changed.
pub async fn mark_delivered(
    state: &AppState,
    actor: &Actor,
    farm_id: Uuid,
    plan_id: Uuid,
    day: Date,
    today: Date,
) -> Result<u64, AppError> {
    let (_, plan) = farm_plan(state, actor, farm_id, plan_id).await?;
    if day > today {
        return Err(invalid("csa_day_in_future", "day"));
    }
    Ok(store::mark_delivered(&state.db, plan.id, day, distretto_store::now()).await?)
}

/// The farm records an instalment of a euro plan as paid (in cash, by cheque or bank transfer).
pub async fn record_euro_payment(
    state: &AppState,
    actor: &Actor,
    farm_id: Uuid,
    plan_id: Uuid,
    subscription_id: Uuid,
    number: i32,
) -> Result<(), AppError> {
    let (_, plan) = farm_plan(state, actor, farm_id, plan_id).await?;
    let sub = store::subscription(&state.db, subscription_id).await?;
    if sub.plan_id != plan.id {
        return Err(AppError::not_found());
    }
    if plan.currency != EURO {
        return Err(AppError::conflict("csa_not_euro"));
    }
    let now = distretto_store::now();
    match store::mark_paid_outside_ledger(&state.db, sub.id, number, now).await {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict) => {
            if store::instalments_of(&state.db, sub.id)
                .await?
                .iter()
                .any(|i| i.number == number)
            {
                Err(AppError::conflict("csa_instalment_already_paid"))
            } else {
                Err(AppError::not_found())
            }
        }
        Err(e) => Err(e.into()),
    }
}

// ---------- what a household is offered ----------

/// The domain's plan behind a stored one.
pub fn domain_plan(row: &PlanRow) -> Result<Plan, AppError> {
    let small = |v: i32| u8::try_from(v).map_err(|_| AppError::internal());
    PlanDraft {
        first_delivery: row.first_delivery,
        last_delivery: row.last_delivery,
        every_weeks: small(row.every_weeks)?,
        share_price_minor: row.share_price_minor,
        notice_days: small(row.notice_days)?,
        instalments: small(row.instalments)?,
    }
    .check()
    .map_err(|e| {
        tracing::error!(plan = %row.id, code = e.code, "a stored plan no longer checks");
        AppError::internal()
    })
}

/// What subscribing on a given day brings: the deliveries still far enough ahead for the farm
/// to prepare (at least the plan's notice away) and their price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The delivery days the subscription gets.
    pub deliveries: Vec<Date>,
    /// One share per delivery, in minor units.
    pub total_minor: i64,
}

/// The offer of `plan` to a household subscribing on `today`.
pub fn offer(plan: &Plan, today: Date) -> Offer {
    let deliveries: Vec<Date> = rules::deliveries(plan)
        .into_iter()
        .filter(|d| rules::check_skip(*d, today, plan.notice_days()).is_ok())
        .collect();
    // At most the season's total, which the plan's check bounded.
    let total_minor = plan.share_price_minor() * deliveries.len() as i64;
    Offer {
        deliveries,
        total_minor,
    }
}

/// An open plan as the household page lists it.
pub struct OpenPlan {
    /// The plan.
    pub plan: PlanRow,
    /// The farm's name.
    pub farm: String,
    /// What subscribing today brings.
    pub offer: Offer,
    /// Places left, if the plan is capped.
    pub places_left: Option<i64>,
    /// Where shares are collected.
    pub pickup: Option<String>,
}

/// Plans households may subscribe to today, with what subscribing brings.
pub async fn open_plans(state: &AppState, today: Date) -> Result<Vec<OpenPlan>, AppError> {
    let rows = store::plans(&state.db, None, today).await?;
    let mut out = Vec::with_capacity(rows.len().min(MAX_OPEN_PLANS));
    let mut farms: HashMap<Uuid, String> = HashMap::new();
    for plan in rows.into_iter().take(MAX_OPEN_PLANS) {
        let offered = offer(&domain_plan(&plan)?, today);
        if offered.deliveries.is_empty() {
            continue;
        }
        let places_left = match plan.capacity {
            Some(c) => Some((i64::from(c) - store::taken(&state.db, plan.id).await?).max(0)),
            None => None,
        };
        let farm = match farms.get(&plan.farm_id) {
            Some(n) => n.clone(),
            None => {
                let n = distretto_store::directory::get(&state.db, plan.farm_id)
                    .await?
                    .name;
                farms.insert(plan.farm_id, n.clone());
                n
            }
        };
        let pickup = pickup_label(state, plan.pickup_id).await?;
        out.push(OpenPlan {
            plan,
            farm,
            offer: offered,
            places_left,
            pickup,
        });
    }
    Ok(out)
}

/// "Pickup point (group)" of a plan's pickup point.
pub async fn pickup_label(state: &AppState, id: Option<Uuid>) -> Result<Option<String>, AppError> {
    let Some(id) = id else { return Ok(None) };
    let p = distretto_store::purchasing::catalogue::pickup(&state.db, id).await?;
    let group = distretto_store::directory::get(&state.db, p.group_id)
        .await?
        .name;
    Ok(Some(format!("{} ({group})", p.name)))
}

// ---------- subscribing ----------

/// A household's subscription request, parsed.
#[derive(Debug, Clone, Copy)]
pub struct SubscribeInput {
    /// The plan.
    pub plan: Uuid,
    /// In how many instalments (1: everything up front).
    pub instalments: u8,
    /// The paying account (credit plans); a euro plan records the household's own.
    pub account: Option<Uuid>,
}

/// The account a subscription is recorded against: for a credit plan the chosen one, which the
/// actor must be able to pay from and which holds the plan's currency; for a euro plan the
/// chosen one or the actor's first (euro is paid outside the ledger).
async fn paying_account(
    state: &AppState,
    actor: &Actor,
    plan: &PlanRow,
    asked: Option<Uuid>,
) -> Result<Uuid, AppError> {
    let mine = crate::ledger::service::my_accounts(state, actor).await?;
    if mine.is_empty() {
        return Err(invalid("csa_no_account", "account"));
    }
    let euro = plan.currency == EURO;
    match asked {
        Some(id) => {
            let a = mine
                .iter()
                .find(|a| a.id == id)
                .ok_or_else(|| invalid("csa_not_your_account", "account"))?;
            if !euro && a.currency != plan.currency {
                return Err(invalid("csa_account_currency", "account"));
            }
            Ok(a.id)
        }
        None if euro => Ok(mine[0].id),
        None => mine
            .iter()
            .find(|a| a.currency == plan.currency && a.owner_id == Some(actor.id))
            .or_else(|| mine.iter().find(|a| a.currency == plan.currency))
            .map(|a| a.id)
            .ok_or_else(|| invalid("csa_account_currency", "account")),
    }
}

/// Why the store refused a subscription, looked at again after the refusal.
async fn conflict_reason(state: &AppState, plan: Uuid, person: Uuid) -> Result<AppError, AppError> {
    if store::subscription_of(&state.db, plan, person)
        .await?
        .is_some_and(|s| s.status != "cancelled")
    {
        return Ok(AppError::conflict("csa_already_subscribed"));
    }
    let p = store::plan(&state.db, plan).await?;
    if p.status != "open" {
        return Ok(AppError::conflict("csa_plan_closed"));
    }
    if p.capacity.is_some() {
        return Ok(AppError::conflict("csa_plan_full"));
    }
    // A cancelled subscription that was partly paid cannot be replaced.
    Ok(AppError::conflict("csa_already_subscribed"))
}

/// The rows of a new subscription: its deliveries and its instalments.
fn subscription_rows(
    sub: &SubscriptionRow,
    offered: &Offer,
    schedule: &[rules::Instalment],
) -> (Vec<ShareDeliveryRow>, Vec<InstalmentRow>) {
    let deliveries = offered
        .deliveries
        .iter()
        .map(|day| ShareDeliveryRow {
            subscription_id: sub.id,
            day: *day,
            status: "planned".into(),
            changed_at: sub.created_at,
        })
        .collect();
    let instalments = schedule
        .iter()
        .zip(1..)
        .map(|(i, number)| InstalmentRow {
            subscription_id: sub.id,
            number,
            due: i.due,
            amount_minor: i.amount_minor,
            paid_at: None,
            transfer_id: None,
        })
        .collect();
    (deliveries, instalments)
}

/// The message id of a ledger refusal of a subscription's payment.
fn payment_refusal(e: CommandError) -> AppError {
    match e {
        CommandError::Refused(Refusal::CreditLimitExceeded) => {
            invalid("csa_refused_credit_limit", "account")
        }
        CommandError::Refused(_) | CommandError::InstalmentNotDue | CommandError::BadCommand => {
            invalid("csa_refused_payment", "account")
        }
        other => crate::ledger::service::command_error(other),
    }
}

/// The memo of an instalment's transfer: the plan and which instalment.
fn memo(plan: &PlanRow, number: i32, of: i32) -> String {
    let name: String = plan.name.chars().take(MAX_NAME_CHARS).collect();
    format!("{name} · {number}/{of}")
}

/// Pays one instalment through the ledger writer.
async fn charge(
    state: &AppState,
    plan: &PlanRow,
    i: &InstalmentRow,
    of: i32,
    payer: Uuid,
    farm_account: Uuid,
    by: Option<Uuid>,
) -> Result<(), CommandError> {
    let leg = NewLeg::new(
        TransferKind::Purchase,
        payer,
        farm_account,
        i.amount_minor,
        memo(plan, i.number, of),
    );
    let command = Command {
        legs: vec![leg],
        effect: Effect::Instalment(i.subscription_id, i.number),
        idempotency: None,
        created_by: by,
    };
    state.ledger.submit(command).await.map(|_| ())
}

/// A household subscribes on `today`. A credit plan's first instalment is charged at once
/// (the subscription is active when it is paid; cancelled, with the reason, if the ledger
/// refuses it). A euro subscription is active at once, its instalments owed in euro.
pub async fn subscribe(
    state: &AppState,
    actor: &Actor,
    input: SubscribeInput,
    today: Date,
) -> Result<SubscriptionRow, AppError> {
    let plan = store::plan(&state.db, input.plan).await?;
    if plan.status != "open" {
        return Err(AppError::conflict("csa_plan_closed"));
    }
    let offered = offer(&domain_plan(&plan)?, today);
    if offered.deliveries.is_empty() {
        return Err(AppError::conflict("csa_season_over"));
    }
    if !(1..=plan.instalments).contains(&i32::from(input.instalments)) {
        return Err(invalid("csa_bad_instalments", "instalments"));
    }
    let schedule = rules::instalment_schedule(
        offered.total_minor,
        input.instalments,
        today,
        plan.last_delivery,
    )
    .map_err(refused)?;
    let account = paying_account(state, actor, &plan, input.account).await?;
    if store::subscription_of(&state.db, plan.id, actor.id)
        .await?
        .is_some_and(|s| s.status != "cancelled")
    {
        return Err(AppError::conflict("csa_already_subscribed"));
    }
    let euro = plan.currency == EURO;
    let farm_account = if euro {
        None
    } else {
        Some(
            store::farm_account(&state.db, plan.farm_id, &plan.currency)
                .await?
                .ok_or(AppError::conflict("csa_farm_has_no_account"))?,
        )
    };
    let mut sub = SubscriptionRow {
        id: Uuid::now_v7(),
        plan_id: plan.id,
        person_id: actor.id,
        account_id: account,
        instalments: i32::from(input.instalments),
        status: if euro { "active" } else { "pending" }.into(),
        created_at: distretto_store::now(),
    };
    let (deliveries, instalments) = subscription_rows(&sub, &offered, &schedule);
    match store::subscribe(&state.db, &sub, &deliveries, &instalments).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(conflict_reason(state, plan.id, actor.id).await?),
        Err(e) => return Err(e.into()),
    }
    let (Some(farm_account), Some(first)) = (farm_account, instalments.first()) else {
        return Ok(sub);
    };
    match charge(
        state,
        &plan,
        first,
        sub.instalments,
        account,
        farm_account,
        Some(actor.id),
    )
    .await
    {
        Ok(()) => {
            sub.status = "active".into();
            Ok(sub)
        }
        Err(e) => {
            tracing::info!(subscription = %sub.id, code = e.code(), "first instalment refused; subscription cancelled");
            store::cancel_pending(&state.db, sub.id).await?;
            Err(payment_refusal(e))
        }
    }
}

// ---------- the household's subscription ----------

/// A subscription, if `actor` is its household or coordinates; 404 otherwise (its id reveals
/// nothing to strangers, farm admins included: they see their subscribers on the plan page).
pub async fn readable_subscription(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> Result<SubscriptionRow, AppError> {
    let sub = store::subscription(&state.db, id).await?;
    if sub.person_id == actor.id || actor.coordinates() {
        Ok(sub)
    } else {
        Err(AppError::not_found())
    }
}

/// Everything the subscription page shows.
pub struct SubscriptionDetail {
    /// The subscription.
    pub sub: SubscriptionRow,
    /// Its plan.
    pub plan: PlanRow,
    /// The farm's name.
    pub farm: String,
    /// Where shares are collected.
    pub pickup: Option<String>,
    /// Its deliveries by day (make-up weeks after the plan's last delivery).
    pub deliveries: Vec<ShareDeliveryRow>,
    /// Its instalments by number.
    pub instalments: Vec<InstalmentRow>,
}

/// A subscription with its plan, deliveries and instalments.
pub async fn subscription_detail(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> Result<SubscriptionDetail, AppError> {
    let sub = readable_subscription(state, actor, id).await?;
    let plan = store::plan(&state.db, sub.plan_id).await?;
    let farm = distretto_store::directory::get(&state.db, plan.farm_id)
        .await?
        .name;
    let pickup = pickup_label(state, plan.pickup_id).await?;
    let deliveries = store::deliveries_of(&state.db, sub.id).await?;
    let instalments = store::instalments_of(&state.db, sub.id).await?;
    Ok(SubscriptionDetail {
        sub,
        plan,
        farm,
        pickup,
        deliveries,
        instalments,
    })
}

/// A household's subscriptions (not cancelled) with their plans and farms' names.
pub async fn my_subscriptions(
    state: &AppState,
    actor: &Actor,
) -> Result<Vec<(SubscriptionRow, PlanRow, String)>, AppError> {
    let subs = store::subscriptions_of_person(&state.db, actor.id).await?;
    let mut out = Vec::with_capacity(subs.len().min(MAX_OPEN_PLANS));
    for sub in subs.into_iter().take(MAX_OPEN_PLANS) {
        let plan = store::plan(&state.db, sub.plan_id).await?;
        let farm = distretto_store::directory::get(&state.db, plan.farm_id)
            .await?
            .name;
        out.push((sub, plan, farm));
    }
    Ok(out)
}

/// Checks a skip of `day` against the subscription's deliveries; the make-up day it appends.
fn plan_skip(
    plan: &PlanRow,
    rows: &[ShareDeliveryRow],
    day: Date,
    today: Date,
) -> Result<Date, AppError> {
    let row = rows
        .iter()
        .find(|r| r.day == day)
        .ok_or_else(|| invalid("csa_not_a_delivery", "day"))?;
    if row.status != "planned" {
        return Err(AppError::conflict("csa_not_planned"));
    }
    let notice = u8::try_from(plan.notice_days).map_err(|_| AppError::internal())?;
    rules::check_skip(day, today, notice).map_err(|e| invalid(message_id(e.code), "day"))?;
    let skipped = rows.iter().filter(|r| r.status == "skipped").count();
    let original = rows.len() - skipped;
    // Each skip adds a week: never more skips than the season's deliveries.
    if skipped >= original {
        return Err(AppError::conflict("csa_too_many_skips"));
    }
    let last = rows.iter().map(|r| r.day).max().unwrap_or(day);
    last.checked_add(Duration::weeks(i64::from(plan.every_weeks)))
        .ok_or_else(|| invalid("csa_not_a_delivery", "day"))
}

/// The household skips a planned delivery with enough notice: it becomes skipped and a make-up
/// delivery is appended at the plan's cadence after the last one. No money moves. Returns the
/// make-up day.
pub async fn skip(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    day: Date,
    today: Date,
) -> Result<Date, AppError> {
    let sub = readable_subscription(state, actor, id).await?;
    if sub.status != "active" {
        return Err(AppError::conflict("csa_not_active"));
    }
    let plan = store::plan(&state.db, sub.plan_id).await?;
    for _ in 0..SKIP_ATTEMPTS {
        let rows = store::deliveries_of(&state.db, sub.id).await?;
        let make_up = plan_skip(&plan, &rows, day, today)?;
        match store::skip(&state.db, sub.id, day, make_up, distretto_store::now()).await {
            Ok(()) => return Ok(make_up),
            // Another skip took the same make-up week (or this one): look again.
            Err(StoreError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::conflict("csa_not_planned"))
}

// ---------- instalments falling due ----------

/// Pays every unpaid instalment due on or before `today` of active credit subscriptions
/// through the ledger writer; how many were paid. Idempotent: a paid instalment is never
/// charged again (the writer refuses it). A refusal (a household over its credit limit) leaves
/// the instalment unpaid, overdue on the household's page, and is counted in one log line;
/// the next run tries again.
pub async fn charge_due_instalments(state: &AppState, today: Date) -> Result<usize, AppError> {
    let due = store::due_instalments(&state.db, today, &state.config.currency.code).await?;
    let mut plans: HashMap<Uuid, Option<(PlanRow, Uuid)>> = HashMap::new();
    let (mut paid, mut refused) = (0, 0u32);
    for (sub_id, number, amount_minor, payer, _farm) in due {
        let sub = store::subscription(&state.db, sub_id).await?;
        if let std::collections::hash_map::Entry::Vacant(slot) = plans.entry(sub.plan_id) {
            let plan = store::plan(&state.db, sub.plan_id).await?;
            let account = store::farm_account(&state.db, plan.farm_id, &plan.currency).await?;
            slot.insert(account.map(|a| (plan, a)));
        }
        let Some(Some((plan, farm_account))) = plans.get(&sub.plan_id) else {
            tracing::warn!(subscription = %sub_id, number, "instalment due but the farm has no account");
            continue;
        };
        let row = InstalmentRow {
            subscription_id: sub_id,
            number,
            due: today,
            amount_minor,
            paid_at: None,
            transfer_id: None,
        };
        match charge(
            state,
            plan,
            &row,
            sub.instalments,
            payer,
            *farm_account,
            None,
        )
        .await
        {
            Ok(()) => paid += 1,
            // Paid meanwhile (another run, another server).
            Err(CommandError::InstalmentNotDue) => {}
            Err(CommandError::Refused(r)) => {
                refused += 1;
                tracing::debug!(subscription = %sub_id, number, refusal = r.code(), "instalment refused by the ledger; it stays due");
            }
            Err(e) => return Err(crate::ledger::service::command_error(e)),
        }
    }
    // A household at its credit limit is the district's ordinary life, shown on its page and
    // the farm's, not a fault of the server: one line per run, not one per instalment per hour.
    if refused > 0 {
        tracing::info!(
            instalments = refused,
            "due instalments refused by the ledger (credit limits) stay due"
        );
    }
    Ok(paid)
}

/// How often the server charges instalments falling due.
pub const CHARGE_EVERY: std::time::Duration = std::time::Duration::from_secs(3_600);

/// Charges due instalments every [`CHARGE_EVERY`] for as long as the server runs.
pub async fn charge_loop(state: AppState, stop: crate::background::Stop) {
    let mut ticks = crate::background::every("instalments_charge", CHARGE_EVERY, stop);
    while ticks.next().await {
        let done = charge_due_instalments(&state, distretto_store::now().date()).await;
        ticks.done(&state, done.is_ok());
        match done {
            Ok(0) => {}
            Ok(n) => tracing::info!(instalments = n, "subscription instalments charged"),
            Err(e) => tracing::warn!(code = e.code, "charging subscription instalments failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use time::macros::date;

    #[test]
    fn every_code_has_a_message_in_every_language() {
        let codes = [
            "bad_season_dates",
            "season_too_long",
            "bad_frequency",
            "last_delivery_off_schedule",
            "bad_price",
            "bad_amount",
            "amount_not_positive",
            "too_many_decimals",
            "amount_too_large",
            "bad_notice",
            "bad_instalments",
            "too_many_instalments",
            "bad_instalment_dates",
            "skip_too_late",
            "delivery_passed",
            "not_a_delivery",
            "anything else",
        ];
        for code in codes {
            let id = message_id(code);
            for lang in Lang::ALL {
                assert_ne!(lang.t(id), id, "{id} in {lang:?}");
            }
        }
    }

    #[test]
    fn joining_late_buys_only_the_deliveries_ahead() {
        let plan = PlanDraft {
            first_delivery: date!(2025 - 04 - 02),
            last_delivery: date!(2025 - 04 - 30),
            every_weeks: 1,
            share_price_minor: 1_000,
            notice_days: 3,
            instalments: 2,
        }
        .check()
        .unwrap();
        assert_eq!(offer(&plan, date!(2025 - 03 - 01)).deliveries.len(), 5);
        // 16 April is only 2 days ahead of the 14th: too late for the farm to prepare.
        let late = offer(&plan, date!(2025 - 04 - 14));
        assert_eq!(
            late.deliveries,
            vec![date!(2025 - 04 - 23), date!(2025 - 04 - 30)]
        );
        assert_eq!(late.total_minor, 2_000);
        assert!(offer(&plan, date!(2025 - 04 - 28)).deliveries.is_empty());
    }
}
