//! Governance as people use it: coordinators set up bodies; voters of a body write proposals,
//! deliberate, open the vote, vote (in person, for their organisation, or by proxy) and read
//! the result. The domain validates choices and tallies; the store keeps one counted ballot per
//! voter and freezes the electorate; this module decides who may do what.

use crate::auth::viewer::Actor;
use crate::notifications::service::notify_body;
use crate::{AppError, AppState};
use axum::http::StatusCode;
use distretto_domain::governance::effect::{self, DecisionEffect};
use distretto_domain::governance::{self as gov, Choice, College, Method, Rules, ThresholdRule};
use distretto_store::StoreError;
use distretto_store::governance::{
    self as store, BallotRefusal, BodyRow, Cast, Closing, CollegeRow, NewBallot, ProposalRow,
    ProxyRow,
};
use rand::Rng;
use time::OffsetDateTime;
use uuid::Uuid;

/// Longest body or proposal title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest proposal text, comment or description, in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Longest option label, in characters.
pub const MAX_OPTION_CHARS: usize = 200;
/// Most options a proposal offers.
pub const MAX_OPTIONS: usize = 50;
/// Most colleges a body has.
pub const MAX_COLLEGES: usize = 12;
/// Longest voting window.
pub const MAX_VOTING_DAYS: i64 = 90;

fn refused(code: &'static str, field: &'static str) -> AppError {
    AppError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code,
        field: Some(field),
    }
}

fn coordinator(actor: &Actor) -> Result<(), AppError> {
    if actor.coordinates() {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// A title or label: trimmed, one line, within `max` characters.
fn line(text: &str, max: usize, field: &'static str) -> Result<String, AppError> {
    let clean = distretto_domain::text::clean_line(text);
    if clean.is_empty() {
        return Err(refused("governance_text_missing", field));
    }
    if clean.chars().count() > max {
        return Err(refused("governance_text_too_long", field));
    }
    Ok(clean)
}

/// A longer text: trimmed, within `MAX_TEXT_CHARS`; may be empty when `optional`.
fn text(text: &str, optional: bool, field: &'static str) -> Result<String, AppError> {
    let t = text.trim().replace("\r\n", "\n");
    if t.is_empty() && !optional {
        return Err(refused("governance_text_missing", field));
    }
    if t.chars().count() > MAX_TEXT_CHARS {
        return Err(refused("governance_text_too_long", field));
    }
    Ok(t)
}

// ---------- bodies ----------

/// What a coordinator fills in to create a body.
#[derive(Debug, Clone)]
pub struct BodyInput {
    pub name: String,
    pub description: String,
    /// `people`, `organizations` or `colleges`.
    pub electorate: String,
    pub max_proxies: i32,
    /// (name, weight) of each college of a `colleges` body.
    pub colleges: Vec<(String, i32)>,
}

/// A coordinator creates a body.
pub async fn create_body(
    state: &AppState,
    actor: &Actor,
    input: BodyInput,
) -> Result<BodyRow, AppError> {
    coordinator(actor)?;
    let name = line(&input.name, MAX_TITLE_CHARS, "name")?;
    let description = text(&input.description, true, "description")?;
    if !matches!(
        input.electorate.as_str(),
        "people" | "organizations" | "colleges"
    ) {
        return Err(refused("governance_electorate_unknown", "electorate"));
    }
    if !(0..=10).contains(&input.max_proxies) {
        return Err(refused(
            "governance_max_proxies_out_of_range",
            "max_proxies",
        ));
    }
    let body = BodyRow {
        id: Uuid::now_v7(),
        name,
        description,
        electorate: input.electorate.clone(),
        max_proxies: input.max_proxies,
        created_by: actor.id,
        created_at: distretto_store::now(),
    };
    let colleges = colleges_of(&body, &input)?;
    store::create_body(&state.db, &body, &colleges).await?;
    Ok(body)
}

fn colleges_of(body: &BodyRow, input: &BodyInput) -> Result<Vec<CollegeRow>, AppError> {
    if body.electorate != "colleges" {
        return Ok(Vec::new());
    }
    if input.colleges.is_empty() {
        return Err(refused("governance_colleges_missing", "colleges"));
    }
    if input.colleges.len() > MAX_COLLEGES {
        return Err(refused("governance_colleges_too_many", "colleges"));
    }
    let mut out: Vec<CollegeRow> = Vec::with_capacity(input.colleges.len());
    for (name, weight) in &input.colleges {
        let name = line(name, MAX_TITLE_CHARS, "colleges")?;
        if !(1..=1_000).contains(weight) {
            return Err(refused(
                "governance_college_weight_out_of_range",
                "colleges",
            ));
        }
        if out.iter().any(|c| c.name == name) {
            return Err(refused("governance_college_duplicate", "colleges"));
        }
        out.push(CollegeRow {
            id: Uuid::now_v7(),
            body_id: body.id,
            name,
            weight: *weight,
        });
    }
    Ok(out)
}

/// A coordinator lists a voter (a person or an organisation) in a college of a `colleges` body.
pub async fn set_voter(
    state: &AppState,
    actor: &Actor,
    body: Uuid,
    voter: Uuid,
    college: Uuid,
) -> Result<(), AppError> {
    coordinator(actor)?;
    let b = store::body(&state.db, body).await?;
    if b.electorate != "colleges" {
        return Err(AppError::conflict("governance_body_without_colleges"));
    }
    if !store::colleges(&state.db, body)
        .await?
        .iter()
        .any(|c| c.id == college)
    {
        return Err(refused("governance_college_unknown", "college"));
    }
    let kind = voter_kind(state, voter).await?;
    store::set_voter(
        &state.db,
        &store::BodyVoterRow {
            body_id: body,
            voter_id: voter,
            voter_kind: kind.into(),
            college_id: college,
        },
    )
    .await?;
    Ok(())
}

/// Whether `id` is a member person or an active organisation.
async fn voter_kind(state: &AppState, id: Uuid) -> Result<&'static str, AppError> {
    if let Ok(p) = distretto_store::membership::person(&state.db, id).await
        && p.membership_status == "member"
    {
        return Ok("person");
    }
    match distretto_store::directory::get(&state.db, id).await {
        Ok(o) if o.status == "active" => Ok("organization"),
        _ => Err(refused("governance_voter_unknown", "voter")),
    }
}

/// The voters `actor` votes as by right in `body` that the body's electorate holds now.
pub async fn own_voters_now(
    state: &AppState,
    actor: &Actor,
    body: &BodyRow,
) -> Result<Vec<(Uuid, String)>, AppError> {
    let electorate = store::electorate_now(&state.db, body).await?;
    Ok(store::own_voters(&state.db, body.id, actor.id)
        .await?
        .into_iter()
        .filter(|(v, _)| electorate.iter().any(|e| e.0 == *v))
        .collect())
}

/// An organisation's admin (or a coordinator) designates who casts the organisation's vote in
/// a body: one of the organisation's own members, found by e-mail.
pub async fn designate(
    state: &AppState,
    actor: &Actor,
    body: Uuid,
    organisation: Uuid,
    email: &str,
) -> Result<(), AppError> {
    let b = store::body(&state.db, body).await?;
    let admin = distretto_store::membership::organizations_of(&state.db, actor.id)
        .await?
        .iter()
        .any(|o| o.organization_id == organisation && o.role == "admin" && o.status == "active");
    if !admin && !actor.coordinates() {
        return Err(AppError::forbidden());
    }
    if b.electorate == "people" {
        return Err(AppError::conflict("governance_body_without_organisations"));
    }
    let person =
        distretto_store::membership::person_by_email(&state.db, &email.trim().to_lowercase())
            .await?
            .ok_or(refused("governance_representative_not_a_member", "email"))?;
    let belongs = distretto_store::membership::organizations_of(&state.db, person.id)
        .await?
        .iter()
        .any(|o| o.organization_id == organisation);
    if !belongs {
        return Err(refused("governance_representative_not_a_member", "email"));
    }
    store::set_representative(
        &state.db,
        &store::RepresentativeRow {
            body_id: body,
            organization_id: organisation,
            person_id: person.id,
        },
    )
    .await?;
    Ok(())
}

// ---------- proposals ----------

/// What an author fills in.
#[derive(Debug, Clone)]
pub struct ProposalInput {
    pub title: String,
    pub text: String,
    /// `majority`, `consent`, `approval`, `score`, `schulze`, `instant_runoff`.
    pub method: String,
    /// Labels of the options (approval, score, ranked methods).
    pub options: Vec<String>,
    /// `more_than_half` or `at_least:NN`.
    pub threshold: String,
    pub quorum_percent: i32,
    pub seats: i32,
    pub max_approvals: Option<i32>,
    pub max_score: i32,
    pub secret: bool,
    /// What the decision changes if it passes (majority and consent only).
    pub effect: Option<DecisionEffect>,
    /// The budget of a participatory budget (`equal_shares`), in minor units.
    pub budget_minor: Option<i64>,
}

/// Method code of a participatory budget: approval ballots on the eligible projects, selection
/// by the Method of Equal Shares (the greedy rule shown beside it).
pub const EQUAL_SHARES: &str = "equal_shares";

/// The domain's method from its code (a participatory budget counts approvals).
pub fn method_of(code: &str) -> Option<Method> {
    if code == EQUAL_SHARES {
        return Some(Method::Approval);
    }
    method_code(code)
}

fn method_code(code: &str) -> Option<Method> {
    Some(match code {
        "majority" => Method::Majority,
        "consent" => Method::Consent,
        "approval" => Method::Approval,
        "score" => Method::Score,
        "schulze" => Method::Schulze,
        "instant_runoff" => Method::InstantRunoff,
        _ => return None,
    })
}

/// The domain's threshold from its code.
pub fn threshold_of(code: &str) -> Option<ThresholdRule> {
    if code == "more_than_half" {
        return Some(ThresholdRule::MoreThanHalf);
    }
    let percent: u8 = code.strip_prefix("at_least:")?.parse().ok()?;
    Some(ThresholdRule::AtLeastPercent(percent))
}

/// A proposal's labels.
pub fn options_of(p: &ProposalRow) -> Vec<String> {
    serde_json::from_str(&p.options).unwrap_or_default()
}

/// The domain's rules of a stored proposal.
pub fn rules_of(p: &ProposalRow) -> Result<Rules, AppError> {
    let method = method_of(&p.method).ok_or(refused("governance_method_unknown", "method"))?;
    let threshold =
        threshold_of(&p.threshold).ok_or(refused("governance_threshold_unknown", "threshold"))?;
    let small = |n: i32, field| {
        u16::try_from(n).map_err(|_| refused("governance_rule_out_of_range", field))
    };
    let options = u16::try_from(options_of(p).len())
        .map_err(|_| refused("governance_options_too_many", "options"))?;
    Ok(Rules {
        method,
        options,
        threshold,
        quorum_percent: u8::try_from(p.quorum_percent)
            .map_err(|_| refused("governance_quorum_out_of_range", "quorum_percent"))?,
        seats: small(p.seats, "seats")?,
        max_approvals: p
            .max_approvals
            .map(|m| small(m, "max_approvals"))
            .transpose()?,
        max_score: u8::try_from(p.max_score)
            .map_err(|_| refused("governance_max_score_out_of_range", "max_score"))?,
    })
}

/// Checks an input and writes it into `p` (a new proposal or an unopened one).
fn apply_input(p: &mut ProposalRow, input: &ProposalInput) -> Result<(), AppError> {
    p.title = line(&input.title, MAX_TITLE_CHARS, "title")?;
    p.text = text(&input.text, false, "text")?;
    let method = method_of(&input.method).ok_or(refused("governance_method_unknown", "method"))?;
    let budget = input.method == EQUAL_SHARES;
    let mut options = Vec::new();
    if !budget && !matches!(method, Method::Majority | Method::Consent) {
        for o in input
            .options
            .iter()
            .filter(|o| !o.trim().is_empty())
            .take(MAX_OPTIONS + 1)
        {
            let label = line(o, MAX_OPTION_CHARS, "options")?;
            if options.contains(&label) {
                return Err(refused("governance_option_duplicate", "options"));
            }
            options.push(label);
        }
        if options.len() > MAX_OPTIONS {
            return Err(refused("governance_options_too_many", "options"));
        }
    }
    p.method = input.method.clone();
    p.options = serde_json::to_string(&options).map_err(|_| AppError::internal())?;
    p.threshold = input.threshold.clone();
    p.quorum_percent = input.quorum_percent;
    p.seats = input.seats;
    p.max_approvals = input.max_approvals;
    p.max_score = input.max_score;
    p.secret = input.secret;
    p.budget_minor = None;
    if budget {
        // The options are the eligible projects, set when voting opens.
        let amount = input
            .budget_minor
            .filter(|b| (1..=gov::equal_shares::MAX_BUDGET_MINOR).contains(b))
            .ok_or(refused("governance_budget_out_of_range", "budget"))?;
        p.budget_minor = Some(amount);
        p.seats = 1;
        p.max_approvals = None;
    } else {
        gov::validate_rules(&rules_of(p)?)?;
    }
    p.effect = match &input.effect {
        Some(e) => {
            effect::check_effect(e, method_code(&input.method).unwrap_or(Method::Approval))?;
            Some(serde_json::to_string(e).map_err(|_| AppError::internal())?)
        }
        None => None,
    };
    Ok(())
}

/// Whether `actor` may write proposals in `body`: a voter of it, or a coordinator.
async fn may_propose(state: &AppState, actor: &Actor, body: &BodyRow) -> Result<bool, AppError> {
    Ok(actor.coordinates() || !own_voters_now(state, actor, body).await?.is_empty())
}

/// A voter of the body (or a coordinator) writes a proposal; it starts as a draft.
pub async fn create_proposal(
    state: &AppState,
    actor: &Actor,
    body: Uuid,
    input: &ProposalInput,
) -> Result<ProposalRow, AppError> {
    let b = store::body(&state.db, body).await?;
    if !may_propose(state, actor, &b).await? {
        return Err(AppError::forbidden());
    }
    let now = distretto_store::now();
    let mut p = ProposalRow {
        id: Uuid::now_v7(),
        body_id: body,
        number: 0,
        title: String::new(),
        text: String::new(),
        author_id: actor.id,
        status: "draft".into(),
        method: String::new(),
        options: "[]".into(),
        threshold: "more_than_half".into(),
        quorum_percent: 0,
        seats: 1,
        max_approvals: None,
        max_score: 0,
        secret: false,
        opens_at: None,
        closes_at: None,
        created_at: now,
        updated_at: now,
        outcome: None,
        tally: None,
        closed_at: None,
        minutes: String::new(),
        effect: None,
        effect_status: "none".into(),
        effect_note: String::new(),
        budget_minor: None,
    };
    if (input.method == EQUAL_SHARES || input.effect.is_some()) && !actor.coordinates() {
        // A call for projects, or a decision that changes the ledger or the membership, is
        // prepared by a coordinator for the assembly.
        return Err(AppError::forbidden());
    }
    apply_input(&mut p, input)?;
    Ok(store::create_proposal(&state.db, &p).await?)
}

/// The author or a coordinator.
fn steers(actor: &Actor, p: &ProposalRow) -> Result<(), AppError> {
    if actor.id == p.author_id || actor.coordinates() {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// The author (or a coordinator) edits a proposal that has not opened for voting.
pub async fn edit_proposal(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    input: &ProposalInput,
) -> Result<ProposalRow, AppError> {
    let mut p = store::proposal(&state.db, id).await?;
    steers(actor, &p)?;
    let effect_before = p.effect.clone();
    let budget_before = (p.method == EQUAL_SHARES, p.budget_minor);
    apply_input(&mut p, input)?;
    let changed =
        p.effect != effect_before || (p.method == EQUAL_SHARES, p.budget_minor) != budget_before;
    if changed && !actor.coordinates() {
        return Err(AppError::forbidden());
    }
    p.updated_at = distretto_store::now();
    store::update_unopened(&state.db, &p)
        .await
        .map_err(unopened)?;
    Ok(p)
}

fn unopened(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict => AppError::conflict("governance_voting_opened"),
        other => other.into(),
    }
}

/// The author (or a coordinator) puts a draft up for deliberation.
pub async fn deliberate(state: &AppState, actor: &Actor, id: Uuid) -> Result<(), AppError> {
    let mut p = store::proposal(&state.db, id).await?;
    steers(actor, &p)?;
    if p.status != "draft" {
        return Err(AppError::conflict("governance_not_a_draft"));
    }
    p.status = "deliberation".into();
    p.updated_at = distretto_store::now();
    store::update_unopened(&state.db, &p)
        .await
        .map_err(unopened)?;
    notify_body(state, p.body_id, "governance_deliberation", p.id).await;
    Ok(())
}

/// The author (or a coordinator) withdraws a proposal before its vote.
pub async fn withdraw(state: &AppState, actor: &Actor, id: Uuid) -> Result<(), AppError> {
    let p = store::proposal(&state.db, id).await?;
    steers(actor, &p)?;
    store::withdraw(&state.db, id, distretto_store::now())
        .await
        .map_err(unopened)
}

/// The author (or a coordinator) opens the vote until `closes_at`: rules, options and the
/// electorate freeze. Returns the electorate's size.
pub async fn open_voting(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    closes_at: OffsetDateTime,
) -> Result<usize, AppError> {
    let p = store::proposal(&state.db, id).await?;
    steers(actor, &p)?;
    let now = distretto_store::now();
    if closes_at <= now + time::Duration::minutes(1) {
        return Err(refused("governance_closes_in_the_past", "closes_at"));
    }
    if closes_at > now + time::Duration::days(MAX_VOTING_DAYS) {
        return Err(refused("governance_voting_too_long", "closes_at"));
    }
    if p.method != EQUAL_SHARES {
        gov::validate_rules(&rules_of(&p)?)?;
    }
    let voters = store::open_voting(&state.db, id, now, closes_at)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => AppError::conflict("governance_no_eligible_project"),
            other => unopened(other),
        })?;
    notify_body(state, p.body_id, "governance_voting", p.id).await;
    Ok(voters)
}

// ---------- participatory budgeting ----------

/// What a member fills in to submit a project to a call.
#[derive(Debug, Clone)]
pub struct ProjectInput {
    pub title: String,
    pub description: String,
    pub cost_minor: i64,
    /// The account the grant goes to: the submitter's own, or one of an organisation they run.
    pub account: Uuid,
}

/// A member of the call's body submits a project while the call is a draft or in deliberation.
pub async fn submit_project(
    state: &AppState,
    actor: &Actor,
    call: Uuid,
    input: &ProjectInput,
) -> Result<store::ProjectRow, AppError> {
    let p = store::proposal(&state.db, call).await?;
    if p.method != EQUAL_SHARES {
        return Err(AppError::not_found());
    }
    let b = store::body(&state.db, p.body_id).await?;
    if !may_propose(state, actor, &b).await? {
        return Err(AppError::forbidden());
    }
    let budget = p.budget_minor.unwrap_or(0);
    if !(1..=budget.min(gov::equal_shares::MAX_COST_MINOR)).contains(&input.cost_minor) {
        return Err(refused("governance_project_cost_out_of_range", "cost"));
    }
    let account = distretto_store::accounts::get(&state.db, input.account)
        .await
        .map_err(|_| refused("governance_project_account", "account"))?;
    let own = match (account.owner_kind.as_str(), account.owner_id) {
        ("person", Some(owner)) => owner == actor.id,
        ("organization", Some(owner)) => store::own_voters(&state.db, b.id, actor.id)
            .await?
            .iter()
            .any(|(v, _)| *v == owner),
        _ => false,
    };
    if !own || account.currency != state.config.currency.code {
        return Err(refused("governance_project_account", "account"));
    }
    let row = store::ProjectRow {
        id: Uuid::now_v7(),
        proposal_id: call,
        title: line(&input.title, MAX_TITLE_CHARS, "title")?,
        description: text(&input.description, false, "description")?,
        cost_minor: input.cost_minor,
        account_id: input.account,
        submitted_by: actor.id,
        submitted_at: distretto_store::now(),
        status: "submitted".into(),
        review_note: String::new(),
        option_index: None,
        selected: false,
        greedy_selected: false,
    };
    store::submit_project(&state.db, &row)
        .await
        .map_err(|e| match e {
            StoreError::Conflict => AppError::conflict("governance_voting_opened"),
            other => other.into(),
        })?;
    Ok(row)
}

/// A coordinator reviews a project's eligibility before the vote.
pub async fn review_project(
    state: &AppState,
    actor: &Actor,
    project: Uuid,
    eligible: bool,
    note: &str,
) -> Result<(), AppError> {
    coordinator(actor)?;
    let note = text(note, eligible, "note")?;
    let status = if eligible { "eligible" } else { "ineligible" };
    store::review_project(&state.db, project, status, &note)
        .await
        .map_err(|e| match e {
            StoreError::Conflict => AppError::conflict("governance_voting_opened"),
            other => other.into(),
        })
}

// ---------- amendments ----------

/// Anyone who may propose in the body proposes a new version of an unopened proposal's text.
pub async fn amend(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    new_text: &str,
    note: &str,
) -> Result<store::AmendmentRow, AppError> {
    let p = store::proposal(&state.db, id).await?;
    let b = store::body(&state.db, p.body_id).await?;
    if !may_propose(state, actor, &b).await? {
        return Err(AppError::forbidden());
    }
    let new_text = text(new_text, false, "amendment")?;
    if new_text == p.text {
        return Err(refused("governance_amendment_unchanged", "amendment"));
    }
    let row = store::AmendmentRow {
        id: Uuid::now_v7(),
        proposal_id: id,
        author_id: actor.id,
        text: new_text,
        note: distretto_domain::text::clean_line(note)
            .chars()
            .take(MAX_OPTION_CHARS)
            .collect(),
        status: "open".into(),
        created_at: distretto_store::now(),
        decided_at: None,
    };
    store::add_amendment(&state.db, &row)
        .await
        .map_err(unopened)?;
    Ok(row)
}

/// The proposal's author (or a coordinator) accepts an amendment (its text becomes the
/// proposal's) or declines it, before the vote opens.
pub async fn decide_amendment(
    state: &AppState,
    actor: &Actor,
    amendment: Uuid,
    accept: bool,
) -> Result<Uuid, AppError> {
    let a = store::amendment(&state.db, amendment).await?;
    let p = store::proposal(&state.db, a.proposal_id).await?;
    steers(actor, &p)?;
    store::decide_amendment(&state.db, amendment, accept, distretto_store::now())
        .await
        .map_err(|e| match e {
            StoreError::Conflict => AppError::conflict("governance_amendment_closed"),
            other => other.into(),
        })?;
    Ok(p.id)
}

// ---------- comments ----------

/// Anyone who may propose in the body comments on a proposal, or answers a comment.
pub async fn comment(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    parent: Option<Uuid>,
    body_text: &str,
) -> Result<(), AppError> {
    let p = store::proposal(&state.db, id).await?;
    let b = store::body(&state.db, p.body_id).await?;
    if !may_propose(state, actor, &b).await? {
        return Err(AppError::forbidden());
    }
    let row = store::CommentRow {
        id: Uuid::now_v7(),
        proposal_id: id,
        parent_id: parent,
        author_id: actor.id,
        text: text(body_text, false, "comment")?,
        created_at: distretto_store::now(),
    };
    store::add_comment(&state.db, &row)
        .await
        .map_err(|e| match e {
            StoreError::Conflict => AppError::conflict("governance_proposal_closed"),
            StoreError::NotFound => refused("governance_comment_unknown", "parent"),
            other => other.into(),
        })
}

// ---------- proxies ----------

/// `actor` gives the proxy of one of their own voters (themselves or an organisation they
/// represent) that the body's electorate holds now to `holder`, for the body or for one
/// proposal of it.
pub async fn give_proxy(
    state: &AppState,
    actor: &Actor,
    body: Uuid,
    giver: Uuid,
    holder: Uuid,
    proposal: Option<Uuid>,
) -> Result<ProxyRow, AppError> {
    let b = store::body(&state.db, body).await?;
    if b.max_proxies == 0 {
        return Err(AppError::conflict("governance_proxies_not_allowed"));
    }
    // Only a voter of the body gives a proxy: someone outside its electorate (registered but
    // not a member, or a person in a body of organisations) would otherwise fill a holder's
    // cap with proxies that carry no vote, and keep members from giving theirs.
    if !own_voters_now(state, actor, &b)
        .await?
        .iter()
        .any(|(v, _)| *v == giver)
    {
        return Err(AppError::forbidden());
    }
    if holder == actor.id || holder == giver {
        return Err(refused("governance_proxy_to_self", "holder"));
    }
    let holder_row = distretto_store::membership::person(&state.db, holder)
        .await
        .map_err(|_| refused("governance_holder_unknown", "holder"))?;
    if holder_row.membership_status == "suspended" {
        return Err(refused("governance_holder_unknown", "holder"));
    }
    if let Some(p) = proposal {
        let p = store::proposal(&state.db, p).await?;
        if p.body_id != body {
            return Err(refused("governance_proposal_unknown", "proposal"));
        }
    }
    let row = ProxyRow {
        id: Uuid::now_v7(),
        body_id: body,
        proposal_id: proposal,
        giver_id: giver,
        holder_id: holder,
        created_at: distretto_store::now(),
        revoked_at: None,
    };
    store::give_proxy(&state.db, &row, i64::from(b.max_proxies))
        .await
        .map_err(|e| match e {
            StoreError::Conflict => AppError::conflict("governance_proxy_refused"),
            other => other.into(),
        })?;
    Ok(row)
}

/// `actor` revokes a proxy of `body` they (or an organisation they represent there) gave.
pub async fn revoke_proxy(
    state: &AppState,
    actor: &Actor,
    body: Uuid,
    proxy: Uuid,
) -> Result<(), AppError> {
    let givers: Vec<Uuid> = store::own_voters(&state.db, body, actor.id)
        .await?
        .into_iter()
        .map(|v| v.0)
        .collect();
    Ok(store::revoke_proxy(&state.db, body, proxy, &givers, distretto_store::now()).await?)
}

// ---------- voting ----------

/// What voting gave back: the receipt of a secret ballot, and whether an earlier open ballot
/// was replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voted {
    pub receipt: Option<String>,
    pub replaced: bool,
}

/// A receipt code: 12 characters of Crockford's base32 (60 bits), in groups of four. Written
/// here because it is a dozen lines over `rand`, which the server already uses.
fn receipt() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::rng();
    let mut out = String::with_capacity(14);
    for i in 0..12 {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        let k = rng.random_range(0..ALPHABET.len());
        out.push(char::from(ALPHABET[k]));
    }
    out
}

/// `actor` votes as `voter`: themselves or an organisation they represent (in person), or a
/// voter whose proxy they hold. The choice is checked against the proposal's frozen rules.
pub async fn vote(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    voter: Uuid,
    choice: &Choice,
) -> Result<Voted, AppError> {
    let p = store::proposal(&state.db, id).await?;
    if p.status != "voting" {
        return Err(AppError::conflict("governance_not_voting"));
    }
    let in_person = store::own_voters(&state.db, p.body_id, actor.id)
        .await?
        .iter()
        .any(|(v, _)| *v == voter);
    if !in_person
        && !store::proxies_held(&state.db, &p, actor.id)
            .await?
            .contains(&voter)
    {
        return Err(AppError::forbidden());
    }
    gov::validate_choice(&rules_of(&p)?, choice)?;
    let choice_json = serde_json::to_string(choice).map_err(|_| AppError::internal())?;
    let receipt = p.secret.then(receipt);
    let ballot = NewBallot {
        proposal_id: id,
        voter_id: voter,
        cast_by: actor.id,
        in_person,
        choice: choice_json,
        receipt: receipt.clone().unwrap_or_default(),
        now: distretto_store::now(),
    };
    match store::cast(&state.db, &ballot).await? {
        Cast::Counted => Ok(Voted {
            receipt,
            replaced: false,
        }),
        Cast::Replaced => Ok(Voted {
            receipt: None,
            replaced: true,
        }),
        Cast::Refused(r) => Err(AppError::conflict(match r {
            BallotRefusal::NotVoting => "governance_not_voting",
            BallotRefusal::NotInElectorate => "governance_not_in_electorate",
            BallotRefusal::AlreadyVoted => "governance_already_voted",
            BallotRefusal::VotedInPerson => "governance_voted_in_person",
        })),
    }
}

/// The voters `actor` may vote as on a proposal: (voter, kind, by proxy).
pub async fn voters_of(
    state: &AppState,
    actor: &Actor,
    p: &ProposalRow,
) -> Result<Vec<(Uuid, String, bool)>, AppError> {
    let electorate = store::electorate(&state.db, p.id).await?;
    let mut out: Vec<(Uuid, String, bool)> = store::own_voters(&state.db, p.body_id, actor.id)
        .await?
        .into_iter()
        .filter(|(v, _)| electorate.iter().any(|e| e.voter_id == *v))
        .map(|(v, k)| (v, k, false))
        .collect();
    for giver in store::proxies_held(&state.db, p, actor.id).await? {
        if let Some(e) = electorate.iter().find(|e| e.voter_id == giver)
            && !out.iter().any(|o| o.0 == giver)
        {
            out.push((giver, e.voter_kind.clone(), true));
        }
    }
    Ok(out)
}

// ---------- the close ----------

/// The colleges' weights of a body (one college of weight 1 when it has none).
pub async fn college_weights(
    db: &distretto_store::Db,
    body: &BodyRow,
) -> Result<Vec<College>, AppError> {
    if body.electorate != "colleges" {
        return Ok(vec![College { weight: 1 }]);
    }
    Ok(store::colleges(db, body.id)
        .await?
        .iter()
        .map(|c| College {
            weight: u32::try_from(c.weight).unwrap_or(0),
        })
        .collect())
}

/// Tallies counted ballots with the domain: what the close records and a recount recomputes.
/// A participatory budget counts approvals, then selects projects by the Method of Equal
/// Shares (its outcome: the selected options, in order), and returns the greedy rule's
/// selection beside it. College weights do not apply to a budget: every voter holds an equal
/// share of it.
pub fn count(
    p: &ProposalRow,
    colleges: &[College],
    counted: &[store::Counted],
    electorate: &[i64],
    projects: &[store::ProjectRow],
) -> Result<(gov::Tally, Vec<usize>), distretto_domain::Invalid> {
    let rules = rules_of(p)
        .map_err(|e| distretto_domain::Invalid::new(e.code, e.field.unwrap_or("rules")))?;
    let mut casts = Vec::with_capacity(counted.len());
    for (college, choice) in counted {
        let choice: Choice = serde_json::from_str(choice).map_err(|_| {
            distretto_domain::Invalid::new("governance_ballot_unreadable", "choice")
        })?;
        casts.push(gov::Cast {
            college: usize::try_from(*college).unwrap_or(usize::MAX),
            choice,
        });
    }
    let mut sizes: Vec<u64> = electorate
        .iter()
        .map(|n| u64::try_from(*n).unwrap_or(0))
        .collect();
    sizes.resize(colleges.len(), 0);
    let mut tally = gov::tally(&rules, colleges, &sizes, &casts)?;
    if p.method != EQUAL_SHARES {
        return Ok((tally, Vec::new()));
    }
    let budget = p.budget_minor.unwrap_or(0);
    let costs: Vec<gov::equal_shares::Project> = projects
        .iter()
        .map(|x| gov::equal_shares::Project {
            cost_minor: x.cost_minor,
        })
        .collect();
    let approvals: Vec<Vec<usize>> = casts
        .iter()
        .map(|c| match &c.choice {
            Choice::Approval(a) => a.iter().map(|i| usize::from(*i)).collect(),
            _ => Vec::new(),
        })
        .collect();
    let mes = gov::equal_shares::equal_shares(budget, &costs, &approvals)?;
    let greedy = gov::equal_shares::greedy(budget, &costs, &approvals)?;
    if tally.quorum_met {
        tally.outcome = gov::Outcome::Elected(
            mes.selected
                .iter()
                .filter_map(|i| u16::try_from(*i).ok())
                .collect(),
        );
        Ok((tally, greedy.selected))
    } else {
        Ok((tally, Vec::new()))
    }
}

/// The outcome's code, as stored and translated (`governance_outcome_<code>`).
pub fn outcome_code(o: &gov::Outcome) -> &'static str {
    match o {
        gov::Outcome::Passed => "passed",
        gov::Outcome::Rejected => "rejected",
        gov::Outcome::Blocked => "blocked",
        gov::Outcome::Elected(_) => "elected",
        gov::Outcome::NoQuorum => "no_quorum",
        gov::Outcome::Tie(_) => "tie",
    }
}

/// What the close of `p` decides beyond its tally: the effect's status and the grants.
fn closing_of(
    p: &ProposalRow,
    tally: &gov::Tally,
    greedy: &[usize],
    projects: &[store::ProjectRow],
) -> Option<Closing> {
    let project = |i: usize| {
        projects
            .iter()
            .find(|x| x.option_index == i32::try_from(i).ok())
    };
    let mut closing = Closing {
        outcome: outcome_code(&tally.outcome).into(),
        tally: serde_json::to_string(tally).ok()?,
        effect_status: "none".into(),
        selected: Vec::new(),
        greedy: greedy
            .iter()
            .filter_map(|i| project(*i))
            .map(|x| x.id)
            .collect(),
        grants: Vec::new(),
    };
    if p.method == EQUAL_SHARES {
        if let gov::Outcome::Elected(chosen) = &tally.outcome {
            for x in chosen.iter().filter_map(|i| project(usize::from(*i))) {
                closing.selected.push(x.id);
                closing
                    .grants
                    .push(grant(p, x.account_id, x.cost_minor, Some(x.id), &x.title));
            }
        }
        closing.effect_status = if closing.grants.is_empty() {
            "void"
        } else {
            "pending"
        }
        .into();
        return Some(closing);
    }
    let Some(effect) = p.effect.as_deref() else {
        return Some(closing);
    };
    if tally.outcome != gov::Outcome::Passed {
        closing.effect_status = "void".into();
        return Some(closing);
    }
    closing.effect_status = "pending".into();
    if let Ok(DecisionEffect::FundGrant {
        account,
        amount_minor,
    }) = serde_json::from_str::<DecisionEffect>(effect)
    {
        closing
            .grants
            .push(grant(p, account, amount_minor, None, &p.title));
    }
    Some(closing)
}

fn grant(
    p: &ProposalRow,
    account: Uuid,
    amount_minor: i64,
    project: Option<Uuid>,
    title: &str,
) -> store::GrantRow {
    let memo: String = format!("#{} {title}", p.number).chars().take(200).collect();
    store::GrantRow {
        id: Uuid::now_v7(),
        proposal_id: p.id,
        account_id: account,
        amount_minor,
        project_id: project,
        memo,
        transfer_id: None,
    }
}

/// Closes a proposal's vote, records its tally and applies what it decided. `Ok(None)` when
/// it was not voting, or the tally refused its ballots (logged; nothing written, it stays open
/// for a fix).
pub async fn close(state: &AppState, id: Uuid) -> Result<Option<Closing>, AppError> {
    let p = store::proposal(&state.db, id).await?;
    let body = store::body(&state.db, p.body_id).await?;
    let colleges = college_weights(&state.db, &body).await?;
    let mut failure = None;
    let closed = store::close(
        &state.db,
        id,
        distretto_store::now(),
        |p, counted, sizes, projects| {
            let (tally, greedy) = count(p, &colleges, counted, sizes, projects)
                .map_err(|e| failure = Some(e))
                .ok()?;
            closing_of(p, &tally, &greedy, projects)
        },
    )
    .await?;
    if let Some(e) = failure {
        tracing::error!(code = e.code, field = e.field, %id, "tally refused: the vote stays open");
    }
    if closed.is_some() {
        notify_body(state, p.body_id, "governance_result", id).await;
        apply_effect(state, id).await?;
    }
    Ok(closed)
}

/// Applies a passed decision's pending effect, once: grants through the ledger writer (which
/// marks the effect applied in the same transaction), other effects after claiming it. A
/// refusal (the fund over its limit, an application decided meanwhile) marks it failed with
/// the reason; a coordinator may retry it.
/// The effect a proposal carries, if any (a stored effect that no longer parses is none: the
/// proposal form checked it when it was written).
pub fn effect_of(p: &ProposalRow) -> Option<DecisionEffect> {
    p.effect
        .as_deref()
        .and_then(|e| serde_json::from_str::<DecisionEffect>(e).ok())
}

pub async fn apply_effect(state: &AppState, id: Uuid) -> Result<(), AppError> {
    let p = store::proposal(&state.db, id).await?;
    if p.effect_status != "pending" {
        return Ok(());
    }
    let grants = store::grants(&state.db, id).await?;
    if !grants.is_empty() {
        return pay_grants(state, &p, &grants).await;
    }
    let effect = effect_of(&p);
    if !store::claim_effect(&state.db, id, distretto_store::now()).await? {
        return Ok(());
    }
    let reason = format!("#{} {}", p.number, p.title);
    let result = match effect {
        Some(DecisionEffect::AdmitApplication { application }) => {
            crate::membership::service::decide_as(
                state,
                p.author_id,
                application,
                distretto_domain::membership::Decision::Admit,
                &reason,
            )
            .await
            .map(|_| ())
        }
        Some(DecisionEffect::SetLimits {
            account,
            credit_limit_minor,
            upper_limit_minor,
        }) => crate::ledger::service::set_limits(
            &state.db,
            account,
            distretto_domain::ledger::Limits {
                credit_limit_minor,
                upper_limit_minor,
            },
            &reason,
            Some(p.author_id),
            Some(effect::decision_ref(p.id)),
        )
        .await
        .map(|_| ()),
        Some(DecisionEffect::SetDefaultLimits {
            holder,
            credit_limit_minor,
            upper_limit_minor,
        }) => {
            let row = distretto_store::ledger::DefaultLimitRow {
                holder,
                credit_limit_minor,
                upper_limit_minor,
                decision_ref: effect::decision_ref(p.id),
                changed_at: distretto_store::now(),
            };
            distretto_store::ledger::set_default_limits(&state.db, &row).await?;
            crate::audit::record_now(
                state,
                distretto_domain::audit::AuditKind::DefaultLimitsChanged,
                Some(p.author_id),
                format!("holder:{}", row.holder),
                format!(
                    "credit_limit_minor={} upper_limit_minor={} decision={}",
                    row.credit_limit_minor,
                    row.upper_limit_minor
                        .map_or_else(|| "none".to_owned(), |u| u.to_string()),
                    row.decision_ref
                ),
            )
            .await;
            Ok(())
        }
        _ => Err(AppError::conflict("governance_effect_unreadable")),
    };
    let (status, note) = match &result {
        Ok(()) => ("applied", ""),
        Err(e) => ("failed", e.code),
    };
    store::finish_effect(&state.db, id, "applying", status, note).await?;
    Ok(())
}

async fn pay_grants(
    state: &AppState,
    p: &ProposalRow,
    grants: &[store::GrantRow],
) -> Result<(), AppError> {
    let currency = &state.config.currency.code;
    let fund = distretto_store::accounts::of_district(&state.db, currency, "fund")
        .await?
        .ok_or(AppError::internal())?;
    let legs = grants
        .iter()
        .map(|g| distretto_store::ledger::NewLeg {
            id: Uuid::now_v7(),
            kind: distretto_domain::ledger::TransferKind::Grant,
            payer: fund.id,
            payee: g.account_id,
            amount_minor: g.amount_minor,
            memo: g.memo.clone(),
            invoice_id: None,
            request_id: None,
            reverses: None,
        })
        .collect();
    let command = distretto_store::ledger::Command {
        legs,
        effect: distretto_store::ledger::Effect::Decision(p.id),
        idempotency: None,
        created_by: Some(p.author_id),
    };
    match state.ledger.submit(command).await {
        // Paid meanwhile by a concurrent close or retry: the money moved once.
        Ok(_)
        | Err(distretto_store::ledger::CommandError::Decision("governance_effect_not_pending")) => {
            Ok(())
        }
        Err(distretto_store::ledger::CommandError::Store(message)) => {
            tracing::error!(%message, id = %p.id, "grants not paid yet; retried later");
            Ok(())
        }
        Err(e) => {
            store::finish_effect(&state.db, p.id, "pending", "failed", e.code()).await?;
            Ok(())
        }
    }
}

/// The author (or a coordinator) records the minutes of a closed proposal.
pub async fn record_minutes(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    minutes: &str,
) -> Result<(), AppError> {
    let p = store::proposal(&state.db, id).await?;
    steers(actor, &p)?;
    let minutes = text(minutes, false, "minutes")?;
    store::set_minutes(&state.db, id, &minutes, distretto_store::now())
        .await
        .map_err(|e| match e {
            StoreError::Conflict => AppError::conflict("governance_not_closed"),
            other => other.into(),
        })
}

/// A coordinator retries a failed effect (after the fund was topped up, for example).
pub async fn retry_effect(state: &AppState, actor: &Actor, id: Uuid) -> Result<(), AppError> {
    coordinator(actor)?;
    store::finish_effect(&state.db, id, "failed", "pending", "").await?;
    apply_effect(state, id).await
}

/// How long an effect may stay claimed before the governance job takes it for one a stopped
/// server left (effects apply in milliseconds).
pub const INTERRUPTED_AFTER: time::Duration = time::Duration::minutes(10);

/// Finishes the effects a stopped server left `applying` (claimed before `now` minus
/// [`INTERRUPTED_AFTER`]) from what they left behind: `applied` when the effect's trace is
/// there (the limit change or default limits naming the decision, the application admitted),
/// `failed` with `governance_effect_interrupted` when not, which a coordinator sees on the
/// decision and may retry. Never applies an effect itself: it cannot know whether the stopped
/// server was about to. Returns how many it finished.
pub async fn finish_interrupted_effects(
    state: &AppState,
    now: time::OffsetDateTime,
) -> Result<usize, AppError> {
    let mut finished = 0;
    for id in store::interrupted_effects(&state.db, now - INTERRUPTED_AFTER).await? {
        let p = store::proposal(&state.db, id).await?;
        let effect = effect_of(&p);
        let (status, note) = if left_its_trace(state, id, effect).await? {
            ("applied", "")
        } else {
            ("failed", "governance_effect_interrupted")
        };
        tracing::warn!(proposal = %id, status, "a decision's effect left applying by a stopped server is finished");
        store::finish_effect(&state.db, id, "applying", status, note).await?;
        finished += 1;
    }
    Ok(finished)
}

/// Whether the effect of decision `id` is there to see.
async fn left_its_trace(
    state: &AppState,
    id: Uuid,
    effect: Option<DecisionEffect>,
) -> Result<bool, AppError> {
    let decision_ref = effect::decision_ref(id);
    Ok(match effect {
        Some(DecisionEffect::SetLimits { account, .. }) => {
            distretto_store::ledger::has_limit_change(&state.db, account, &decision_ref).await?
        }
        Some(DecisionEffect::SetDefaultLimits { holder, .. }) => {
            distretto_store::ledger::default_limits(&state.db)
                .await?
                .iter()
                .any(|d| d.holder == holder && d.decision_ref == decision_ref)
        }
        Some(DecisionEffect::AdmitApplication { application }) => {
            match distretto_store::membership::application(&state.db, application).await {
                Ok(a) => a.status == "admitted",
                Err(distretto_store::StoreError::NotFound) => false,
                Err(e) => return Err(e.into()),
            }
        }
        _ => false,
    })
}

/// Closes every vote whose closing time passed; returns how many it closed.
pub async fn close_due(state: &AppState) -> Result<usize, AppError> {
    let mut closed = 0;
    for id in store::due_to_close(&state.db, distretto_store::now()).await? {
        if close(state, id).await?.is_some() {
            closed += 1;
        }
    }
    Ok(closed)
}

/// How often `serve` closes due votes.
pub const CLOSE_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Closes due votes every half minute, for as long as the server runs.
pub async fn close_loop(state: AppState, stop: crate::background::Stop) {
    let mut ticks = crate::background::every("votes_close", CLOSE_EVERY, stop);
    while ticks.next().await {
        let mut ok = true;
        if let Err(e) = close_due(&state).await {
            ok = false;
            tracing::warn!(code = e.code, "closing due votes failed; retrying later");
        }
        if let Err(e) = finish_interrupted_effects(&state, distretto_store::now()).await {
            ok = false;
            tracing::warn!(
                code = e.code,
                "finishing interrupted effects failed; retrying later"
            );
        }
        // Effects left pending by a stop between a close and its effect.
        match store::pending_effects(&state.db).await {
            Ok(pending) => {
                for id in pending {
                    if let Err(e) = apply_effect(&state, id).await {
                        ok = false;
                        tracing::warn!(code = e.code, %id, "a decision's effect failed; retrying later");
                    }
                }
            }
            Err(e) => {
                ok = false;
                tracing::warn!(error = %e, "reading the decisions' pending effects failed; retrying later");
            }
        }
        ticks.done(&state, ok);
    }
}

/// A recount: the stored tally and the one recomputed from the published ballots now.
pub async fn recount(
    db: &distretto_store::Db,
    id: Uuid,
) -> Result<(Option<gov::Tally>, gov::Tally), AppError> {
    let p = store::proposal(db, id).await?;
    if p.status != "closed" {
        return Err(AppError::conflict("governance_not_closed"));
    }
    let body = store::body(db, p.body_id).await?;
    let colleges = college_weights(db, &body).await?;
    let counted: Vec<store::Counted> = if p.secret {
        store::secret_ballots(db, id)
            .await?
            .into_iter()
            .map(|b| (b.college, b.choice))
            .collect()
    } else {
        store::open_ballots(db, id)
            .await?
            .into_iter()
            .map(|b| (b.college, b.choice))
            .collect()
    };
    let mut sizes = vec![0_i64; colleges.len()];
    for e in store::electorate(db, id).await? {
        if let Some(n) = usize::try_from(e.college)
            .ok()
            .and_then(|c| sizes.get_mut(c))
        {
            *n += 1;
        }
    }
    let stored = p
        .tally
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok());
    let projects: Vec<store::ProjectRow> = store::projects(db, id)
        .await?
        .into_iter()
        .filter(|x| x.option_index.is_some())
        .collect();
    let mut projects = projects;
    projects.sort_by_key(|x| x.option_index);
    Ok((stored, count(&p, &colleges, &counted, &sizes, &projects)?.0))
}
