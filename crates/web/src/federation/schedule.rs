//! The clearing schedule two linked districts agree: each coordinator proposes how many days
//! apart rounds should be (0: none), the other district is told (`clearing_schedule`) and
//! answers with its own proposal. The period is agreed when both proposed the same. Of the two
//! districts, the one whose address sorts first starts the scheduled rounds, so they do not
//! both start one at the same moment; a round takes in every linked district anyway.

use super::client::SendError;
use super::service::{self, InboxMessage};
use crate::auth::viewer::Actor;
use crate::{AppError, AppState};
use axum::http::StatusCode;
use distretto_store::federation::schedules::{self as store, ScheduleRow};
use distretto_store::federation::{self as links, LinkRow};
use serde_json::{Value, json};
use uuid::Uuid;

/// The longest period between rounds, in days.
pub const MAX_DAYS: i64 = 366;

/// Our coordinator proposes a period for a link; the other district is told first, so an
/// unreachable district changes nothing (503 `federation_unreachable`).
pub async fn propose(
    state: &AppState,
    actor: &Actor,
    link: Uuid,
    every_days: i64,
) -> Result<ScheduleRow, AppError> {
    if !actor.coordinates() {
        return Err(AppError::forbidden());
    }
    let days = i32::try_from(every_days)
        .ok()
        .filter(|d| (0..=MAX_DAYS as i32).contains(d))
        .ok_or(AppError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "federation_bad_schedule",
            field: Some("every_days"),
        })?;
    let link = links::link(&state.db, link).await?;
    if link.status != "active" {
        return Err(AppError::conflict("federation_link_status"));
    }
    let message = InboxMessage::ClearingSchedule {
        url: service::own_url(state),
        every_days: days,
    };
    let answer = match super::payments::send(state, &link, &message).await {
        Ok(answer) => answer,
        Err(SendError::Refused(status, code)) if (400..500).contains(&status) => {
            let code = ["federation_link_status", "federation_bad_schedule"]
                .into_iter()
                .find(|c| *c == code)
                .unwrap_or("federation_refused");
            return Err(AppError::conflict(code));
        }
        Err(_) => {
            return Err(AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "federation_unreachable",
            ));
        }
    };
    store::set(&state.db, link.id, days, true).await?;
    if let Some(theirs) = answer["every_days"]
        .as_i64()
        .and_then(|d| i32::try_from(d).ok())
        .filter(|d| (0..=MAX_DAYS as i32).contains(d))
    {
        store::set(&state.db, link.id, theirs, false).await?;
    }
    Ok(store::get(&state.db, link.id).await?)
}

/// The other district's coordinator proposed a period: recorded; answered with ours.
pub async fn receive(state: &AppState, link: &LinkRow, every_days: i32) -> Result<Value, AppError> {
    if link.status != "active" {
        return Err(AppError::conflict("federation_link_status"));
    }
    if !(0..=MAX_DAYS as i32).contains(&every_days) {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "federation_bad_schedule",
        ));
    }
    store::set(&state.db, link.id, every_days, false).await?;
    let row = store::get(&state.db, link.id).await?;
    Ok(json!({"every_days": row.ours_days, "agreed": row.agreed_days().is_some()}))
}

/// Whether this district starts the scheduled rounds of a link (its address sorts first).
pub fn leads(state: &AppState, link: &LinkRow) -> bool {
    service::own_url(state).as_str() < links::address(&link.peer_url)
}

/// The shortest period agreed on an active link this district leads, in days, if any.
pub async fn led_period_days(state: &AppState) -> Result<Option<i64>, AppError> {
    let schedules = store::all(&state.db).await?;
    let mut shortest: Option<i64> = None;
    for link in links::links(&state.db).await? {
        if link.status != "active" || !leads(state, &link) {
            continue;
        }
        let agreed = schedules
            .iter()
            .find(|s| s.link_id == link.id)
            .and_then(ScheduleRow::agreed_days);
        if let Some(days) = agreed {
            let days = i64::from(days);
            shortest = Some(shortest.map_or(days, |s| s.min(days)));
        }
    }
    Ok(shortest)
}
