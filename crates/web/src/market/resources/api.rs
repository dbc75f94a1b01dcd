//! `/api/v1/market`: shared resources with their taken slots, booking one (with an
//! `Idempotency-Key`), the caller's bookings, and cancelling one with its refund.

use super::service::{self, BookingInput, Key};
use crate::api::{ApiId, ApiJson, ApiQuery, List};
use crate::auth::ApiCaller;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use distretto_domain::market::resource as rules;
use distretto_store::market::resources::{self as store, BookingRow, ResourceFilter, ResourceRow};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_resources))
        .routes(routes!(get_resource))
        .routes(routes!(create_booking))
        .routes(routes!(my_bookings))
        .routes(routes!(cancel_booking))
}

/// A weekly opening window, UTC.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Window {
    /// `mon` … `sun`.
    pub day: String,
    /// `HH:MM`, UTC.
    pub from: String,
    /// `HH:MM`, UTC (`24:00` is the end of the day).
    pub to: String,
}

/// The cancellation policy: free until `free_until_hours_before` the start, then the owner
/// keeps `kept_percent` of the fee; no cancellation once started.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Policy {
    pub free_until_hours_before: i64,
    pub kept_percent: i64,
}

/// A taken slot.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Taken {
    #[schema(value_type = String, format = DateTime)]
    pub start: String,
    #[schema(value_type = String, format = DateTime)]
    pub end: String,
}

/// A shared resource. Times are UTC.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Resource {
    pub id: Uuid,
    /// The organisation that lends it.
    pub owner: Uuid,
    /// `van`, `tractor`, `cold_room`, `kitchen`, `hall`, `tool` or `other`.
    pub kind: String,
    pub name: String,
    pub description: String,
    pub place: String,
    pub rules: String,
    pub currency: String,
    /// Fee per started `fee_unit`, in minor units; 0 = free.
    pub fee: i64,
    /// `hour` or `day`.
    pub fee_unit: String,
    pub availability: Vec<Window>,
    pub min_minutes: i64,
    pub max_minutes: i64,
    pub max_ahead_days: i64,
    pub cancellation: Policy,
    pub enabled: bool,
    /// Active bookings from now to as far ahead as it may be booked (only on one resource).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taken: Option<Vec<Taken>>,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn resource_json(r: ResourceRow, taken: Option<Vec<Taken>>) -> Resource {
    let availability = rules::parse_windows(&r.availability)
        .unwrap_or_default()
        .iter()
        .map(|w| Window {
            day: w.day_code().into(),
            from: rules::hhmm(w.from_minute),
            to: rules::hhmm(w.to_minute),
        })
        .collect();
    Resource {
        id: r.id,
        owner: r.owner_id,
        kind: r.kind,
        name: r.name,
        description: r.description,
        place: r.place,
        rules: r.rules,
        currency: r.currency,
        fee: r.fee_minor,
        fee_unit: r.fee_unit,
        availability,
        min_minutes: r.min_minutes,
        max_minutes: r.max_minutes,
        max_ahead_days: r.max_ahead_days,
        cancellation: Policy {
            free_until_hours_before: r.free_cancel_hours,
            kept_percent: r.kept_percent,
        },
        enabled: r.enabled,
        taken,
    }
}

/// A booking. Times are UTC.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Booking {
    pub id: Uuid,
    pub resource: Uuid,
    /// The account that paid.
    pub account: Uuid,
    #[schema(value_type = String, format = DateTime)]
    pub start: String,
    #[schema(value_type = String, format = DateTime)]
    pub end: String,
    /// `confirmed`, `cancelled`, `held` (its fee being paid) or `released` (its fee refused).
    pub status: String,
    /// The fee paid, in minor units.
    pub fee: i64,
    /// The fee's transfer in the ledger.
    pub transfer: Option<Uuid>,
    /// What a cancellation gave back, once cancelled.
    pub refund: Option<i64>,
    pub refund_transfer: Option<Uuid>,
    /// What cancelling now would give back (confirmed bookings not yet started).
    pub refund_if_cancelled_now: Option<i64>,
    /// Why it was released.
    pub release_reason: Option<String>,
    pub note: String,
}

fn booking_json(b: BookingRow, now: OffsetDateTime) -> Booking {
    let refund_now = service::refund_now(&b, now).ok();
    Booking {
        id: b.id,
        resource: b.resource_id,
        account: b.account_id,
        start: rfc3339(b.starts_at),
        end: rfc3339(b.ends_at),
        status: b.status,
        fee: b.fee_minor,
        transfer: b.transfer_id,
        refund: b.refund_minor,
        refund_transfer: b.refund_transfer_id,
        refund_if_cancelled_now: refund_now,
        release_reason: b.release_reason,
        note: b.note,
    }
}

/// Filters and paging of the resource list.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct ResourceQuery {
    /// Only this kind.
    pub kind: Option<String>,
    /// Only places containing this text.
    pub place: Option<String>,
    /// At most 500 (default 100).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Enabled shared resources, by name, filtered by kind and place.
#[utoipa::path(get, path = "/api/v1/market/resources", tag = "market", params(ResourceQuery), security(("bearer" = [])),
    responses((status = 200, body = List<Resource>), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody)))]
async fn list_resources(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<ResourceQuery>,
) -> Result<Json<List<Resource>>, AppError> {
    caller.actor()?;
    let limit = q.limit.unwrap_or(100);
    if !(0..=store::MAX_LIST).contains(&limit) || q.offset.is_some_and(|o| o < 0) {
        return Err(AppError::bad_request("invalid_query"));
    }
    if let Some(kind) = &q.kind
        && rules::ResourceKind::parse(kind).is_none()
    {
        return Err(AppError::bad_request("invalid_query"));
    }
    let filter = ResourceFilter {
        kind: q.kind,
        place: q.place.filter(|p| !p.trim().is_empty()),
        include_disabled: false,
    };
    let (rows, total) = store::resources(&state.db, &filter, limit, q.offset.unwrap_or(0)).await?;
    Ok(Json(List {
        items: rows.into_iter().map(|r| resource_json(r, None)).collect(),
        total,
    }))
}

/// One resource with its taken slots (from now on).
#[utoipa::path(get, path = "/api/v1/market/resources/{id}", tag = "market", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Resource), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn get_resource(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<Resource>, AppError> {
    caller.actor()?;
    let r = store::resource(&state.db, id).await?;
    let now = distretto_store::now();
    let until = now + Duration::days(r.max_ahead_days.clamp(1, rules::MAX_AHEAD_DAYS) + 31);
    let taken = store::taken(&state.db, id, now, until)
        .await?
        .into_iter()
        .map(|b| Taken {
            start: rfc3339(b.starts_at),
            end: rfc3339(b.ends_at),
        })
        .collect();
    Ok(Json(resource_json(r, Some(taken))))
}

/// A booking request: UTC instants on whole minutes (RFC 3339).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingRequest {
    #[schema(value_type = String, format = DateTime)]
    pub start: String,
    #[schema(value_type = String, format = DateTime)]
    pub end: String,
    /// The paying account (yours, or an organisation's you administer); yours when absent.
    pub account: Option<Uuid>,
    #[serde(default)]
    pub note: String,
}

fn parse_instant(text: &str, field: &'static str) -> Result<OffsetDateTime, AppError> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
        .map(|t| t.to_offset(time::UtcOffset::UTC))
        .map_err(|_| service::invalid("bad_time", field))
}

/// Books a slot: 201 with the confirmed booking, its fee paid through the ledger. `slot_taken`
/// (409) when an active booking overlaps it; `slot_in_past`, `end_before_start`,
/// `resource_disabled`, `outside_availability`, `booking_too_short`, `booking_too_long`,
/// `too_far_ahead` (422) from the rules; `credit_limit_exceeded` (422) when the fee does not
/// fit (nothing kept). With an `Idempotency-Key`, a retry answers the same booking (200) and is
/// never charged again; the same key with another body → 409 `idempotency_key_reused`.
#[utoipa::path(post, path = "/api/v1/market/resources/{id}/bookings", tag = "market", request_body = BookingRequest,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key, 1–255 visible ASCII characters")),
    security(("bearer" = [])),
    responses((status = 201, body = Booking), (status = 200, body = Booking, description = "a replay"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_booking(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    headers: HeaderMap,
    ApiJson(body): ApiJson<BookingRequest>,
) -> Result<(StatusCode, Json<Booking>), AppError> {
    let actor = caller.actor()?;
    let input = BookingInput {
        start: parse_instant(&body.start, "start")?,
        end: parse_instant(&body.end, "end")?,
        account: body.account,
        note: body.note,
    };
    let key = match headers.get("idempotency-key") {
        Some(v) => {
            let key = crate::ledger::service::parse_idempotency_key(
                v.to_str()
                    .map_err(|_| AppError::bad_request("bad_idempotency_key"))?,
            )?;
            Some(Key {
                hash: service::request_hash(id, &input),
                key,
            })
        }
        None => None,
    };
    let now = distretto_store::now();
    let booked = service::book(&state, actor, id, input, key, now).await?;
    let status = if booked.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(booking_json(booked.booking, now))))
}

/// Paging of a list.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct Paging {
    /// At most 500 (default 100).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// The caller's bookings (and those paid by organisations they administer), latest first.
#[utoipa::path(get, path = "/api/v1/market/bookings", tag = "market", params(Paging), security(("bearer" = [])),
    responses((status = 200, body = List<Booking>), (status = 401, body = crate::error::ErrorBody)))]
async fn my_bookings(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<Paging>,
) -> Result<Json<List<Booking>>, AppError> {
    let actor = caller.actor()?;
    let limit = q.limit.unwrap_or(100);
    if !(0..=store::MAX_LIST).contains(&limit) || q.offset.is_some_and(|o| o < 0) {
        return Err(AppError::bad_request("invalid_query"));
    }
    let (rows, total) =
        store::bookings_of(&state.db, actor.id, limit, q.offset.unwrap_or(0)).await?;
    let now = distretto_store::now();
    Ok(Json(List {
        items: rows
            .into_iter()
            .map(|v| booking_json(v.booking, now))
            .collect(),
        total,
    }))
}

/// Cancels a booking before its start, refunding per the policy it was booked with (once).
/// `forbidden` (403) for someone else's booking; `booking_already_cancelled` or
/// `booking_started` (409).
#[utoipa::path(post, path = "/api/v1/market/bookings/{id}/cancel", tag = "market", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Booking), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn cancel_booking(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<Booking>, AppError> {
    let actor = caller.actor()?;
    let now = distretto_store::now();
    let b = service::cancel(&state, actor, id, now).await?;
    Ok(Json(booking_json(b, now)))
}
