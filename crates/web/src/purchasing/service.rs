//! What every purchasing page shares: who may keep a producer's catalogue or run a group's
//! cycles, and how quantities and prices are shown.

use crate::auth::viewer::Actor;
use crate::i18n::Lang;
use crate::{AppError, AppState};
use distretto_domain::directory::OrganizationKind;
use distretto_store::directory::OrganizationRow;
use uuid::Uuid;

/// Organisation kinds that sell through catalogues (farms, producers' and workers' coops, and
/// social enterprises such as bakeries).
pub const PRODUCER_KINDS: [OrganizationKind; 4] = [
    OrganizationKind::Farm,
    OrganizationKind::ProducerCoop,
    OrganizationKind::WorkerCoop,
    OrganizationKind::SocialEnterprise,
];

/// Organisation kinds that run order cycles (GAS, AMAP, and food coops).
pub const GROUP_KINDS: [OrganizationKind; 2] = [
    OrganizationKind::PurchasingGroup,
    OrganizationKind::ConsumerCoop,
];

/// The organisation, if it is active and of a kind that keeps a catalogue.
pub async fn producer(state: &AppState, id: Uuid) -> Result<OrganizationRow, AppError> {
    let org = distretto_store::directory::get(&state.db, id)
        .await
        .map_err(|_| AppError::not_found())?;
    let kind = OrganizationKind::parse(&org.kind);
    if org.status != "active" || !kind.is_some_and(|k| PRODUCER_KINDS.contains(&k)) {
        return Err(AppError::not_found());
    }
    Ok(org)
}

/// The organisation, if it is an active purchasing group (or food coop).
pub async fn group(state: &AppState, id: Uuid) -> Result<OrganizationRow, AppError> {
    let org = distretto_store::directory::get(&state.db, id)
        .await
        .map_err(|_| AppError::not_found())?;
    let kind = OrganizationKind::parse(&org.kind);
    if org.status != "active" || !kind.is_some_and(|k| GROUP_KINDS.contains(&k)) {
        return Err(AppError::not_found());
    }
    Ok(org)
}

/// Whether `actor` administers the organisation (its admins, and district coordinators).
pub async fn administers(state: &AppState, actor: &Actor, org: Uuid) -> Result<bool, AppError> {
    crate::directory::service::may_administer(state, actor, org).await
}

/// 403 unless `actor` administers the organisation.
pub async fn require_admin(state: &AppState, actor: &Actor, org: Uuid) -> Result<(), AppError> {
    if administers(state, actor, org).await? {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// A quantity in thousandths of a unit as the viewer reads it ("1,5").
pub fn quantity(lang: Lang, quantity_milli: i64) -> String {
    distretto_domain::purchasing::catalogue::format_quantity(
        quantity_milli,
        crate::ledger::pages::decimal_separator(lang),
    )
}

/// The translated short name of a unit code ("kg", "pz").
pub fn unit_label(lang: Lang, code: &str) -> String {
    match code {
        "kg" => lang.t("unit_kg"),
        "piece" => lang.t("unit_piece"),
        "l" => lang.t("unit_l"),
        "box" => lang.t("unit_box"),
        other => other.to_owned(),
    }
}
