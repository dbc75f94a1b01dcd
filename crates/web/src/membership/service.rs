//! Membership services. Every decision is logged with who, when and why, in the same
//! transaction as its effect.

use crate::auth::viewer::Actor;
use crate::{AppError, AppState};
use axum::http::StatusCode;
use distretto_domain::directory::{
    CHARTER_VERSION, OrganizationKind, OrganizationProfile, ProfileInput,
};
use distretto_domain::ledger::{Currency, LimitHolder, default_limits};
use distretto_domain::membership::{
    ApplicationKind, Decision, application_decision_allowed, parse_reason,
};
use distretto_store::accounts::AccountRow;
use distretto_store::directory::OrganizationRow;
use distretto_store::membership::{ApplicationRow, DecisionEffect, DecisionRow, MembershipRow};
use uuid::Uuid;

/// How long an invitation link stays valid.
pub const INVITATION_TTL: time::Duration = time::Duration::days(14);

/// An application to join, as a form or JSON body gives it.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ApplyInput {
    /// `individual`, `new_organization` or `existing_organization`.
    pub kind: String,
    /// The organisation to join (for `existing_organization`).
    pub organization_id: Option<Uuid>,
    /// A word to the coordinators.
    pub message: String,
    /// The new organisation's profile (for `new_organization`).
    #[schema(value_type = Object)]
    pub organization: ProfileInput,
}

/// Parses a decision code from a form or JSON body.
pub fn parse_decision(s: &str) -> Result<Decision, AppError> {
    Decision::parse(s.trim()).ok_or(AppError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "invalid_decision",
        field: Some("decision"),
    })
}

fn require_coordinator(actor: &Actor) -> Result<(), AppError> {
    if actor.coordinates() {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// Records an application; a new organisation is created `pending` with the applicant as admin.
pub async fn apply(
    state: &AppState,
    actor: &Actor,
    input: &ApplyInput,
) -> Result<ApplicationRow, AppError> {
    let kind = ApplicationKind::parse(input.kind.trim()).ok_or(AppError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "invalid_application_kind",
        field: Some("kind"),
    })?;
    let message: String = input.message.trim().chars().take(2_000).collect();
    let now = distretto_store::now();
    let mut app = ApplicationRow {
        id: Uuid::now_v7(),
        person_id: actor.id,
        kind: kind.code().into(),
        organization_id: None,
        message,
        status: "pending".into(),
        created_at: now,
        decided_at: None,
        decided_by: None,
    };
    let mut new_org = None;
    match kind {
        ApplicationKind::Individual => {
            if !matches!(actor.membership_status.as_str(), "registered" | "rejected") {
                return Err(AppError::conflict(if actor.membership_status == "member" {
                    "already_member"
                } else {
                    "already_applied"
                }));
            }
        }
        ApplicationKind::NewOrganization => {
            let profile = OrganizationProfile::parse(&input.organization)?;
            let org = OrganizationRow::from_profile(Uuid::now_v7(), &profile, "pending", now);
            app.organization_id = Some(org.id);
            new_org = Some(org);
        }
        ApplicationKind::ExistingOrganization => {
            let org_id = input.organization_id.ok_or(AppError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "organization_required",
                field: Some("organization_id"),
            })?;
            let org = distretto_store::directory::get(&state.db, org_id)
                .await
                .map_err(|_| AppError {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: "organization_required",
                    field: Some("organization_id"),
                })?;
            if org.status != "active" {
                return Err(AppError {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: "organization_required",
                    field: Some("organization_id"),
                });
            }
            if distretto_store::membership::member_role(&state.db, actor.id, org_id)
                .await?
                .is_some()
            {
                return Err(AppError::conflict("already_member"));
            }
            let (pending, _) = distretto_store::membership::applications(
                &state.db,
                Some("pending"),
                Some(actor.id),
                100,
                0,
            )
            .await?;
            if pending.iter().any(|a| a.organization_id == Some(org_id)) {
                return Err(AppError::conflict("already_applied"));
            }
            app.organization_id = Some(org_id);
        }
    }
    distretto_store::membership::insert_application(&state.db, &app, new_org.as_ref()).await?;
    Ok(app)
}

/// The code a decided default limit is stored under: `person` or the organisation's kind.
pub fn holder_code(holder: LimitHolder) -> &'static str {
    match holder {
        LimitHolder::Person => "person",
        LimitHolder::Organization(kind) => kind.code(),
        LimitHolder::District => "district",
    }
}

/// A new account of `holder`, with the default limits the assembly decided for its kind of
/// holder (`decided`), or the built-in ones.
fn account(
    holder: LimitHolder,
    owner_id: Uuid,
    currency: &Currency,
    now: time::OffsetDateTime,
    decided: &[distretto_store::ledger::DefaultLimitRow],
) -> AccountRow {
    let limits = decided
        .iter()
        .find(|d| d.holder == holder_code(holder))
        .map(|d| distretto_domain::ledger::Limits {
            credit_limit_minor: d.credit_limit_minor,
            upper_limit_minor: d.upper_limit_minor,
        })
        .unwrap_or_else(|| default_limits(holder, currency.unit_minor()));
    AccountRow {
        id: Uuid::now_v7(),
        owner_kind: match holder {
            LimitHolder::Person => "person",
            LimitHolder::Organization(_) => "organization",
            LimitHolder::District => "district",
        }
        .into(),
        owner_id: Some(owner_id),
        currency: currency.code.clone(),
        created_at: now,
        purpose: None,
        balance_minor: 0,
        credit_limit_minor: limits.credit_limit_minor,
        upper_limit_minor: limits.upper_limit_minor,
    }
}

/// A coordinator admits or rejects a pending application, with a reason.
pub async fn decide(
    state: &AppState,
    actor: &Actor,
    application_id: Uuid,
    decision: Decision,
    reason: &str,
) -> Result<ApplicationRow, AppError> {
    require_coordinator(actor)?;
    decide_as(state, actor.id, application_id, decision, reason).await
}

/// Decides an application on behalf of `decided_by`, without checking their role: for a
/// coordinator (checked by [`decide`]) or an assembly's passed decision (its author).
pub async fn decide_as(
    state: &AppState,
    decided_by: Uuid,
    application_id: Uuid,
    decision: Decision,
    reason: &str,
) -> Result<ApplicationRow, AppError> {
    let reason = parse_reason(reason)?;
    let app = distretto_store::membership::application(&state.db, application_id).await?;
    if !application_decision_allowed(&app.status, decision) {
        return Err(AppError::conflict("application_already_decided"));
    }
    let now = distretto_store::now();
    let admit = decision == Decision::Admit;
    let kind = ApplicationKind::parse(&app.kind).ok_or(AppError::internal())?;
    let currency = &state.config.currency;
    let decided = distretto_store::ledger::default_limits(&state.db).await?;
    let mut effect = DecisionEffect {
        log: DecisionRow {
            id: Uuid::now_v7(),
            subject_kind: "person".into(),
            subject_id: app.person_id,
            application_id: Some(app.id),
            decision: decision.code().into(),
            reason,
            decided_by: Some(decided_by),
            decided_at: now,
        },
        person_status: None,
        organization_status: None,
        application_status: Some(if admit { "admitted" } else { "rejected" }.into()),
        membership: None,
        open_accounts: Vec::new(),
        charter_version: None,
    };
    match (kind, app.organization_id) {
        (ApplicationKind::Individual, _) => {
            effect.person_status = Some(if admit { "member" } else { "rejected" }.into());
        }
        (ApplicationKind::NewOrganization, Some(org_id)) => {
            effect.log.subject_kind = "organization".into();
            effect.log.subject_id = org_id;
            effect.organization_status = Some((
                org_id,
                if admit { "active" } else { "rejected" }.into(),
                admit,
            ));
            effect.charter_version = admit.then(|| CHARTER_VERSION.to_owned());
            if admit {
                let org = distretto_store::directory::get(&state.db, org_id).await?;
                let kind = OrganizationKind::parse(&org.kind).ok_or(AppError::internal())?;
                effect.open_accounts.push(account(
                    LimitHolder::Organization(kind),
                    org_id,
                    currency,
                    now,
                    &decided,
                ));
            }
        }
        (ApplicationKind::ExistingOrganization, Some(org_id)) if admit => {
            effect.membership = Some(MembershipRow {
                person_id: app.person_id,
                organization_id: org_id,
                role: "member".into(),
                created_at: now,
            });
        }
        (ApplicationKind::ExistingOrganization, Some(_)) => {}
        _ => return Err(AppError::internal()),
    }
    if admit {
        effect.open_accounts.push(account(
            LimitHolder::Person,
            app.person_id,
            currency,
            now,
            &decided,
        ));
    }
    match distretto_store::membership::apply_decision(&state.db, &effect).await {
        Ok(()) => {}
        Err(distretto_store::StoreError::Conflict) => {
            return Err(AppError::conflict("application_already_decided"));
        }
        Err(e) => return Err(e.into()),
    }
    state.directory_cache.invalidate();
    Ok(distretto_store::membership::application(&state.db, application_id).await?)
}

/// A coordinator suspends or reinstates an admitted organisation, with a reason.
pub async fn set_organization_status(
    state: &AppState,
    actor: &Actor,
    org_id: Uuid,
    decision: Decision,
    reason: &str,
) -> Result<(), AppError> {
    require_coordinator(actor)?;
    let reason = parse_reason(reason)?;
    let org = distretto_store::directory::get(&state.db, org_id).await?;
    let new_status = match (decision, org.status.as_str()) {
        (Decision::Suspend, "active") => "suspended",
        (Decision::Reinstate, "suspended") => "active",
        (Decision::Suspend | Decision::Reinstate, _) => {
            return Err(AppError::conflict("invalid_status_change"));
        }
        _ => {
            return Err(AppError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_decision",
                field: Some("decision"),
            });
        }
    };
    let effect = status_effect(
        actor,
        "organization",
        org_id,
        decision,
        reason,
        None,
        Some((org_id, new_status.into(), false)),
    );
    distretto_store::membership::apply_decision(&state.db, &effect).await?;
    state.directory_cache.invalidate();
    Ok(())
}

/// A coordinator suspends or reinstates a person, with a reason; suspension ends their sessions.
pub async fn set_person_status(
    state: &AppState,
    actor: &Actor,
    person_id: Uuid,
    decision: Decision,
    reason: &str,
) -> Result<(), AppError> {
    require_coordinator(actor)?;
    let reason = parse_reason(reason)?;
    if person_id == actor.id {
        return Err(AppError::conflict("cannot_decide_on_self"));
    }
    let person = distretto_store::membership::person(&state.db, person_id).await?;
    let new_status = match (decision, person.membership_status.as_str()) {
        (Decision::Suspend, "suspended")
        | (Decision::Reinstate, "member" | "registered" | "pending" | "rejected") => {
            return Err(AppError::conflict("invalid_status_change"));
        }
        (Decision::Suspend, _) => "suspended",
        (Decision::Reinstate, _) => "member",
        _ => {
            return Err(AppError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_decision",
                field: Some("decision"),
            });
        }
    };
    let effect = status_effect(
        actor,
        "person",
        person_id,
        decision,
        reason,
        Some(new_status.into()),
        None,
    );
    distretto_store::membership::apply_decision(&state.db, &effect).await?;
    if decision == Decision::Suspend {
        distretto_store::auth::delete_sessions_of(&state.db, person_id).await?;
    }
    Ok(())
}

fn status_effect(
    actor: &Actor,
    subject_kind: &str,
    subject_id: Uuid,
    decision: Decision,
    reason: String,
    person_status: Option<String>,
    organization_status: Option<(Uuid, String, bool)>,
) -> DecisionEffect {
    DecisionEffect {
        log: DecisionRow {
            id: Uuid::now_v7(),
            subject_kind: subject_kind.into(),
            subject_id,
            application_id: None,
            decision: decision.code().into(),
            reason,
            decided_by: Some(actor.id),
            decided_at: distretto_store::now(),
        },
        person_status,
        organization_status,
        application_status: None,
        membership: None,
        open_accounts: Vec::new(),
        charter_version: None,
    }
}

/// An organisation admin (or coordinator) creates an invitation link; returns the secret token.
pub async fn invite(state: &AppState, actor: &Actor, org_id: Uuid) -> Result<String, AppError> {
    let org = crate::directory::service::profile(state, Some(actor), org_id).await?;
    if !crate::directory::service::may_administer(state, actor, org.id).await? {
        return Err(AppError::forbidden());
    }
    let token = crate::auth::crypto::new_token();
    let now = distretto_store::now();
    let inv = distretto_store::membership::InvitationRow {
        token_hash: crate::auth::crypto::token_hash(&token),
        organization_id: org_id,
        created_by: actor.id,
        created_at: now,
        expires_at: now + INVITATION_TTL,
        accepted_by: None,
        accepted_at: None,
    };
    distretto_store::membership::insert_invitation(&state.db, &inv).await?;
    Ok(token)
}

/// The organisation an invitation token leads to, if the invitation is still open.
pub async fn invitation_organization(
    state: &AppState,
    token: &str,
) -> Result<OrganizationRow, AppError> {
    let inv =
        distretto_store::membership::invitation(&state.db, &crate::auth::crypto::token_hash(token))
            .await?;
    if inv.accepted_by.is_some() || inv.expires_at <= distretto_store::now() {
        return Err(AppError::new(StatusCode::GONE, "invitation_expired"));
    }
    Ok(distretto_store::directory::get(&state.db, inv.organization_id).await?)
}

/// The signed-in person accepts an invitation and joins the organisation.
pub async fn accept_invitation(
    state: &AppState,
    actor: &Actor,
    token: &str,
) -> Result<Uuid, AppError> {
    invitation_organization(state, token).await?;
    match distretto_store::membership::accept_invitation(
        &state.db,
        &crate::auth::crypto::token_hash(token),
        actor.id,
        distretto_store::now(),
    )
    .await
    {
        Ok(org) => {
            state.directory_cache.invalidate();
            crate::audit::record_now(
                state,
                distretto_domain::audit::AuditKind::MembershipJoined,
                Some(actor.id),
                format!("organization:{org}"),
                "member by invitation".into(),
            )
            .await;
            Ok(org)
        }
        Err(distretto_store::StoreError::Conflict) => {
            Err(AppError::new(StatusCode::GONE, "invitation_expired"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates an admitted person with a district role and a personal account, as an operator
/// does from the command line (the admission is logged with no deciding person).
pub async fn create_member(
    db: &distretto_store::Db,
    email: &str,
    name: &str,
    password_hash: &str,
    role: distretto_domain::membership::Role,
    currency: &Currency,
) -> Result<Uuid, distretto_store::StoreError> {
    let now = distretto_store::now();
    let id = Uuid::now_v7();
    let person = distretto_store::membership::PersonRow {
        id,
        email: email.into(),
        name: name.into(),
        password_hash: password_hash.into(),
        role: role.code().into(),
        membership_status: "member".into(),
        locale: None,
        phone: None,
        bio: String::new(),
        locality: String::new(),
        created_at: now,
        updated_at: now,
    };
    distretto_store::membership::insert_people(db, &[person]).await?;
    distretto_store::accounts::insert_accounts(
        db,
        &[account(
            LimitHolder::Person,
            id,
            currency,
            now,
            &distretto_store::ledger::default_limits(db).await?,
        )],
    )
    .await?;
    let log = DecisionRow {
        id: Uuid::now_v7(),
        subject_kind: "person".into(),
        subject_id: id,
        application_id: None,
        decision: "admit".into(),
        reason: "created from the command line".into(),
        decided_by: None,
        decided_at: now,
    };
    distretto_store::membership::insert_decisions(db, &[log]).await?;
    distretto_store::audit::append(
        db,
        distretto_domain::audit::AuditEvent::new(
            distretto_domain::audit::AuditKind::PersonCreated,
            None,
            format!("person:{id}"),
            format!("role={} from the command line", role.code()),
            now,
        ),
    )
    .await?;
    Ok(id)
}
