//! Directory services: reads are public for active members; edits need the organisation's
//! admin or a coordinator, checked here per object.

use crate::auth::viewer::Actor;
use crate::{AppError, AppState};
use distretto_domain::directory::{DirectoryQuery, OrganizationProfile, ProfileInput};
use distretto_store::directory::{OrganizationRow, OrganizationSummary};
use uuid::Uuid;

/// One page of results and the total.
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// How many match in all.
    pub total: i64,
}

/// Searches the directory of active members.
pub async fn search(
    state: &AppState,
    q: &DirectoryQuery,
) -> Result<Page<OrganizationSummary>, AppError> {
    let (items, total) = distretto_store::directory::search(&state.db, q).await?;
    Ok(Page { items, total })
}

/// Whether `actor` may see an organisation that is not active (pending, suspended, rejected):
/// coordinators, and its own members.
async fn may_see_inactive(
    state: &AppState,
    actor: Option<&Actor>,
    org_id: Uuid,
) -> Result<bool, AppError> {
    let Some(actor) = actor else { return Ok(false) };
    if actor.coordinates() {
        return Ok(true);
    }
    Ok(
        distretto_store::membership::member_role(&state.db, actor.id, org_id)
            .await?
            .is_some(),
    )
}

/// An organisation's profile: anyone for active members; otherwise 404 unless allowed to see it.
pub async fn profile(
    state: &AppState,
    actor: Option<&Actor>,
    id: Uuid,
) -> Result<OrganizationRow, AppError> {
    let org = distretto_store::directory::get(&state.db, id).await?;
    if org.status == "active" || may_see_inactive(state, actor, id).await? {
        Ok(org)
    } else {
        Err(AppError::not_found())
    }
}

/// Whether `actor` may edit the organisation and invite colleagues: its admins and coordinators.
pub async fn may_administer(
    state: &AppState,
    actor: &Actor,
    org_id: Uuid,
) -> Result<bool, AppError> {
    if actor.coordinates() {
        return Ok(true);
    }
    Ok(
        distretto_store::membership::member_role(&state.db, actor.id, org_id)
            .await?
            .as_deref()
            == Some("admin"),
    )
}

/// Replaces an organisation's profile after checking the actor's right to.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    input: &ProfileInput,
) -> Result<OrganizationRow, AppError> {
    let org = profile(state, Some(actor), id).await?;
    if !may_administer(state, actor, org.id).await? {
        return Err(AppError::forbidden());
    }
    let parsed = OrganizationProfile::parse(input)?;
    distretto_store::directory::update_profile(&state.db, id, &parsed, distretto_store::now())
        .await?;
    Ok(distretto_store::directory::get(&state.db, id).await?)
}

/// A profile input pre-filled from a stored row, for edit forms and PATCH merges.
pub fn input_of(org: &OrganizationRow) -> ProfileInput {
    let fte = distretto_domain::directory::WorkersFte(org.workers_fte_hundredths);
    ProfileInput {
        name: org.name.clone(),
        kind: org.kind.clone(),
        legal_form: org.legal_form.clone(),
        sector: org.sector.clone(),
        description: org.description.clone(),
        website: org.website.clone().unwrap_or_default(),
        contact_email: org.contact_email.clone().unwrap_or_default(),
        phone: org.phone.clone().unwrap_or_default(),
        address: org.address.clone(),
        postcode: org.postcode.clone(),
        locality: org.locality.clone(),
        lat: org.lat.map(|v| v.to_string()).unwrap_or_default(),
        lon: org.lon.map(|v| v.to_string()).unwrap_or_default(),
        founded_year: org.founded_year.map(|v| v.to_string()).unwrap_or_default(),
        workers_fte: fte.to_string(),
        volunteers: org.volunteers.to_string(),
    }
}
