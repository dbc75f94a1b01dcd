//! Seasonal subscriptions (CSA, AMAP contracts): the farm's side under
//! `/purchasing/producers/{id}/csa` ([`farm`]) and the household's under `/purchasing/csa`
//! ([`household`]); the rules people meet are in [`service`].

pub mod farm;
pub mod household;
pub mod service;

use crate::AppState;
use crate::i18n::Lang;
use axum::routing::{get, post};
use time::Date;

pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/purchasing/csa", get(household::list))
        .route(
            "/purchasing/csa/plans/{id}/subscribe",
            post(household::subscribe_submit),
        )
        .route(
            "/purchasing/csa/subscriptions/{id}",
            get(household::subscription_page),
        )
        .route(
            "/purchasing/csa/subscriptions/{id}/skip",
            post(household::skip_submit),
        )
        .route(
            "/purchasing/producers/{id}/csa",
            get(farm::plans_page).post(farm::create_submit),
        )
        .route(
            "/purchasing/producers/{id}/csa/{plan}",
            get(farm::plan_page),
        )
        .route(
            "/purchasing/producers/{id}/csa/{plan}/status",
            post(farm::status_submit),
        )
        .route(
            "/purchasing/producers/{id}/csa/{plan}/payments",
            post(farm::payment_submit),
        )
        .route(
            "/purchasing/producers/{id}/csa/{plan}/days/{day}",
            get(farm::day_page),
        )
        .route(
            "/purchasing/producers/{id}/csa/{plan}/days/{day}/delivered",
            post(farm::delivered_submit),
        )
}

/// Minor units of `currency` (`EUR` or the district's) as the viewer reads them.
pub(crate) fn money(state: &AppState, lang: Lang, currency: &str, minor: i64) -> String {
    crate::ledger::pages::money(
        lang,
        &crate::ledger::invoice_pages::currency_of(state, currency),
        minor,
    )
}

/// A day as day/month/year.
pub(crate) fn day(d: Date) -> String {
    crate::ledger::invoice_pages::day(d)
}

/// Parses `YYYY-MM-DD` (what date inputs send).
pub(crate) fn parse_day(s: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), format).ok()
}

/// The message id of a delivery's status.
pub(crate) fn delivery_status_id(code: &str) -> &'static str {
    match code {
        "skipped" => "csa_delivery_skipped",
        "delivered" => "csa_delivery_delivered",
        _ => "csa_delivery_planned",
    }
}

/// The message id of a subscription's status.
pub(crate) fn subscription_status_id(code: &str) -> &'static str {
    match code {
        "active" => "csa_status_active",
        "cancelled" => "csa_status_cancelled",
        _ => "csa_status_pending",
    }
}

/// The message id of a plan's frequency.
pub(crate) fn frequency_id(every_weeks: i32) -> &'static str {
    if every_weeks == 2 {
        "csa_fortnightly"
    } else {
        "csa_weekly"
    }
}
