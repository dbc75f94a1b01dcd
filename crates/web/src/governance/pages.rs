//! Governance pages: bodies and their proposals (`/governance`), a body with its colleges and
//! proxies, writing a proposal, the proposal's page (deliberation, the vote, the result) and
//! its published ballots, which anyone can recount.

use super::service::{self, BodyInput, ProposalInput};
use crate::auth::Viewer;
use crate::auth::viewer::Actor;
use crate::directory::pages::parse_id;
use crate::i18n::Lang;
use crate::pages::datetime_local::{datetime_local, parse_datetime_local};
use crate::pages::{Chrome, PageForm, render_status};
use crate::purchasing::cycles::order::instant;
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use distretto_domain::governance::effect::DecisionEffect;
use distretto_domain::governance::{Choice, ConsentChoice, Outcome, Stance, Tally};
use distretto_store::governance::{self as store, BodyRow, ProposalRow};
use std::collections::HashMap;
use uuid::Uuid;

/// Proposals listed on the overview.
const LISTED_PROPOSALS: i64 = 100;

pub(crate) fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/governance", get(overview))
        .route("/governance/bodies/new", get(body_form).post(body_submit))
        .route("/governance/bodies/{id}", get(body_page))
        .route("/governance/bodies/{id}/voters", post(voter_submit))
        .route("/governance/bodies/{id}/proxies", post(proxy_submit))
        .route(
            "/governance/bodies/{id}/representatives",
            post(representative_submit),
        )
        .route(
            "/governance/bodies/{id}/proxies/{proxy}/revoke",
            post(revoke_submit),
        )
        .route(
            "/governance/bodies/{id}/proposals/new",
            get(proposal_form).post(proposal_submit),
        )
        .route("/governance/proposals/{id}", get(proposal_page))
        .route(
            "/governance/proposals/{id}/edit",
            get(edit_form).post(edit_submit),
        )
        .route("/governance/proposals/{id}/vote", post(vote_submit))
        .route("/governance/proposals/{id}/comments", post(comment_submit))
        .route("/governance/proposals/{id}/ballots", get(ballots_page))
        .route("/governance/proposals/{id}/projects", post(project_submit))
        .route("/governance/proposals/{id}/amendments", post(amend_submit))
        .route(
            "/governance/proposals/{id}/amendments/{amendment}/action/{verdict}",
            post(amendment_decide),
        )
        .route(
            "/governance/proposals/{id}/projects/{project}/review",
            post(review_submit),
        )
        .route(
            "/governance/proposals/{id}/action/{action}",
            post(action_submit),
        )
}

// ---------- shared ----------

/// A status's message id.
fn status_id(code: &str) -> &'static str {
    match code {
        "draft" => "governance_status_draft",
        "deliberation" => "governance_status_deliberation",
        "voting" => "governance_status_voting",
        "closed" => "governance_status_closed",
        _ => "governance_status_withdrawn",
    }
}

/// A method's message id.
fn method_id(code: &str) -> &'static str {
    match code {
        "majority" => "governance_method_majority",
        "consent" => "governance_method_consent",
        "approval" => "governance_method_approval",
        "score" => "governance_method_score",
        "schulze" => "governance_method_schulze",
        "equal_shares" => "governance_method_equal_shares",
        _ => "governance_method_instant_runoff",
    }
}

/// An electorate rule's message id.
fn electorate_id(code: &str) -> &'static str {
    match code {
        "people" => "governance_electorate_people",
        "organizations" => "governance_electorate_organizations",
        _ => "governance_electorate_colleges",
    }
}

/// An outcome's message id.
fn outcome_id(code: &str) -> &'static str {
    match code {
        "passed" => "governance_outcome_passed",
        "rejected" => "governance_outcome_rejected",
        "blocked" => "governance_outcome_blocked",
        "elected" => "governance_outcome_elected",
        "no_quorum" => "governance_outcome_no_quorum",
        _ => "governance_outcome_tie",
    }
}

/// A notice's message id from the `done` query.
fn notice_of(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "created" => "governance_done_created",
        "saved" => "governance_done_saved",
        "voted" => "governance_done_voted",
        "replaced" => "governance_done_replaced",
        "commented" => "governance_done_commented",
        "proxy" => "governance_done_proxy",
        "revoked" => "governance_done_revoked",
        "voter" => "governance_done_voter",
        "deliberate" => "governance_done_deliberate",
        "withdraw" => "governance_done_withdraw",
        "open" => "governance_done_open",
        "retry" => "governance_done_retry",
        "minutes" => "governance_done_minutes",
        "representative" => "governance_done_representative",
        "project" => "governance_done_project",
        "reviewed" => "governance_done_reviewed",
        "amended" => "governance_done_amended",
        "accept" => "governance_done_accept",
        "decline" => "governance_done_decline",
        _ => return None,
    })
}

#[derive(serde::Deserialize, Default)]
struct DoneQuery {
    done: Option<String>,
    receipt: Option<String>,
}

/// A proposal as lists show it.
struct ProposalLine {
    id: Uuid,
    number: i64,
    title: String,
    body: String,
    status: &'static str,
    closes: String,
}

fn proposal_line(p: &ProposalRow, bodies: &HashMap<Uuid, String>) -> ProposalLine {
    ProposalLine {
        id: p.id,
        number: p.number,
        title: p.title.clone(),
        body: bodies.get(&p.body_id).cloned().unwrap_or_default(),
        status: status_id(&p.status),
        closes: p.closes_at.map(instant).unwrap_or_default(),
    }
}

// ---------- overview ----------

#[derive(Template)]
#[template(path = "governance.html")]
struct OverviewPage {
    c: Chrome,
    bodies: Vec<(Uuid, String, &'static str)>,
    voting: Vec<ProposalLine>,
    others: Vec<ProposalLine>,
}

async fn overview(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    viewer.actor()?;
    let bodies = store::bodies(&state.db).await?;
    let names: HashMap<Uuid, String> = bodies.iter().map(|b| (b.id, b.name.clone())).collect();
    let (voting, others): (Vec<ProposalRow>, Vec<ProposalRow>) =
        store::proposals(&state.db, None, LISTED_PROPOSALS)
            .await?
            .into_iter()
            .partition(|p| p.status == "voting");
    Ok(render_status(
        StatusCode::OK,
        &OverviewPage {
            c: Chrome::new(&state, &viewer, "/governance"),
            bodies: bodies
                .iter()
                .map(|b| (b.id, b.name.clone(), electorate_id(&b.electorate)))
                .collect(),
            voting: voting.iter().map(|p| proposal_line(p, &names)).collect(),
            others: others.iter().map(|p| proposal_line(p, &names)).collect(),
        },
    ))
}

// ---------- a new body ----------

#[derive(Template)]
#[template(path = "governance_body_new.html")]
struct BodyFormPage {
    c: Chrome,
    f: HashMap<String, String>,
    electorates: [(&'static str, &'static str); 3],
    error: Option<AppError>,
}

/// The electorate rules a body can have, with their message ids.
const ELECTORATES: [(&str, &str); 3] = [
    ("organizations", "governance_electorate_organizations"),
    ("people", "governance_electorate_people"),
    ("colleges", "governance_electorate_colleges"),
];

impl BodyFormPage {
    fn indexed(&self, k: &str, i: &usize) -> String {
        self.value(&format!("{k}_{i}"))
    }
    fn value(&self, k: &str) -> String {
        self.f.get(k).cloned().unwrap_or_default()
    }
    fn chosen(&self, k: &str, v: &str) -> bool {
        self.f.get(k).map(String::as_str) == Some(v)
    }
}

async fn body_form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    if !viewer.actor()?.coordinates() {
        return Err(AppError::forbidden());
    }
    let f = HashMap::from([
        ("electorate".to_owned(), "organizations".to_owned()),
        ("max_proxies".to_owned(), "2".to_owned()),
    ]);
    Ok(render_status(
        StatusCode::OK,
        &BodyFormPage {
            c: Chrome::new(&state, &viewer, "/governance/bodies/new"),
            f,
            electorates: ELECTORATES,
            error: None,
        },
    ))
}

async fn body_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let colleges: Vec<(String, i32)> = (0..service::MAX_COLLEGES)
        .filter(|i| !get(&format!("college_{i}")).trim().is_empty())
        .map(|i| {
            let weight = get(&format!("weight_{i}")).trim().parse().unwrap_or(0);
            (get(&format!("college_{i}")), weight)
        })
        .collect();
    let input = BodyInput {
        name: get("name"),
        description: get("description"),
        electorate: get("electorate"),
        max_proxies: get("max_proxies").trim().parse().unwrap_or(-1),
        colleges,
    };
    match service::create_body(&state, actor, input).await {
        Ok(b) => {
            Ok(Redirect::to(&format!("/governance/bodies/{}?done=created", b.id)).into_response())
        }
        Err(e) if is_form_error(&e) => Ok(render_status(
            e.status,
            &BodyFormPage {
                c: Chrome::new(&state, &viewer, "/governance/bodies/new"),
                f,
                electorates: ELECTORATES,
                error: Some(e),
            },
        )),
        Err(e) => Err(e),
    }
}

fn is_form_error(e: &AppError) -> bool {
    e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::CONFLICT
}

// ---------- a body ----------

struct ProxyLine {
    id: Uuid,
    giver: String,
    holder: String,
    scope: String,
    mine: bool,
}

#[derive(Template)]
#[template(path = "governance_body.html")]
struct BodyPage {
    c: Chrome,
    body: BodyRow,
    electorate: &'static str,
    voters: usize,
    colleges: Vec<(Uuid, String, i32, usize)>,
    proposals: Vec<ProposalLine>,
    may_propose: bool,
    own: Vec<(Uuid, String)>,
    proxies: Vec<ProxyLine>,
    open_proposals: Vec<(Uuid, String)>,
    organisations: Vec<(Uuid, String)>,
    /// The organisations the viewer runs: (id, name, its representative here, if designated).
    represented: Vec<(Uuid, String, String)>,
    notice: Option<&'static str>,
    error: Option<AppError>,
}

async fn body_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    render_body(&state, &viewer, id, notice_of(q.done.as_deref()), None).await
}

async fn render_body(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    notice: Option<&'static str>,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let body = store::body(&state.db, id).await?;
    let electorate = store::electorate_now(&state.db, &body).await?;
    let colleges = store::colleges(&state.db, id).await?;
    let proposals = store::proposals(&state.db, Some(id), LISTED_PROPOSALS).await?;
    let names = HashMap::from([(body.id, body.name.clone())]);
    let own = service::own_voters_now(state, actor, &body).await?;
    let own_ids: Vec<Uuid> = own.iter().map(|o| o.0).collect();
    let proxies = store::proxies_of(&state.db, id, actor.id, &own_ids).await?;
    let mut ids: Vec<Uuid> = own_ids.clone();
    ids.extend(proxies.iter().flat_map(|p| [p.giver_id, p.holder_id]));
    let who: HashMap<Uuid, String> = store::names_of(&state.db, &ids)
        .await?
        .into_iter()
        .collect();
    let name = |id: &Uuid| who.get(id).cloned().unwrap_or_default();
    let titles: HashMap<Uuid, String> = proposals
        .iter()
        .map(|p| (p.id, format!("#{} {}", p.number, p.title)))
        .collect();
    let lang = viewer.lang;
    let proxy_lines = proxies
        .iter()
        .map(|p| ProxyLine {
            id: p.id,
            giver: name(&p.giver_id),
            holder: name(&p.holder_id),
            scope: p
                .proposal_id
                .and_then(|x| titles.get(&x).cloned())
                .unwrap_or_else(|| lang.t("governance_proxy_whole_body")),
            mine: own_ids.contains(&p.giver_id),
        })
        .collect();
    let organisations = if actor.coordinates() && body.electorate == "colleges" {
        store::organisation_choices(&state.db).await?
    } else {
        Vec::new()
    };
    let reps = store::representatives(&state.db, id).await?;
    let represented = if body.electorate == "people" {
        Vec::new()
    } else {
        distretto_store::membership::organizations_of(&state.db, actor.id)
            .await?
            .into_iter()
            .filter(|o| o.role == "admin" && o.status == "active")
            .map(|o| {
                let rep = reps
                    .iter()
                    .find(|r| r.0 == o.organization_id)
                    .map(|r| r.2.clone())
                    .unwrap_or_default();
                (o.organization_id, o.name, rep)
            })
            .collect()
    };
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(render_status(
        status,
        &BodyPage {
            represented,
            c: Chrome::new(state, viewer, &format!("/governance/bodies/{id}")),
            electorate: electorate_id(&body.electorate),
            voters: electorate.len(),
            colleges: colleges
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let n = electorate
                        .iter()
                        .filter(|e| usize::try_from(e.2).ok() == Some(i))
                        .count();
                    (c.id, c.name.clone(), c.weight, n)
                })
                .collect(),
            proposals: proposals.iter().map(|p| proposal_line(p, &names)).collect(),
            may_propose: actor.coordinates() || !own.is_empty(),
            own: own.iter().map(|(v, _)| (*v, name(v))).collect(),
            proxies: proxy_lines,
            open_proposals: proposals
                .iter()
                .filter(|p| p.status != "closed" && p.status != "withdrawn")
                .map(|p| (p.id, format!("#{} {}", p.number, p.title)))
                .collect(),
            organisations,
            body,
            notice,
            error,
        },
    ))
}

async fn voter_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let result = async {
        let voter = voter_from_form(&state, &get("email"), &get("organization")).await?;
        let college =
            Uuid::parse_str(get("college").trim()).map_err(|_| AppError::bad_request("bad_id"))?;
        service::set_voter(&state, actor, id, voter, college).await
    }
    .await;
    after(&state, &viewer, id, result, "voter").await
}

/// A voter named on a form: a person by e-mail, or an organisation chosen from the list.
async fn voter_from_form(
    state: &AppState,
    email: &str,
    organisation: &str,
) -> Result<Uuid, AppError> {
    if let Ok(org) = Uuid::parse_str(organisation.trim()) {
        return Ok(org);
    }
    let email = email.trim().to_lowercase();
    distretto_store::membership::person_by_email(&state.db, &email)
        .await?
        .map(|p| p.id)
        .ok_or(AppError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "governance_voter_unknown",
            field: Some("email"),
        })
}

/// Back to the body's page with a notice, or the page again with the error.
async fn after(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    result: Result<(), AppError>,
    done: &str,
) -> Result<Response, AppError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/governance/bodies/{id}?done={done}")).into_response()),
        Err(e) if is_form_error(&e) => render_body(state, viewer, id, None, Some(e)).await,
        Err(e) => Err(e),
    }
}

async fn representative_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let organisation = Uuid::parse_str(get("organization").trim()).unwrap_or(Uuid::nil());
    let result = service::designate(&state, actor, id, organisation, &get("email")).await;
    after(&state, &viewer, id, result, "representative").await
}

async fn proxy_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let result = async {
        let giver = Uuid::parse_str(get("giver").trim()).unwrap_or(actor.id);
        let holder = voter_from_form(&state, &get("holder"), "")
            .await
            .map_err(|_| AppError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "governance_holder_unknown",
                field: Some("holder"),
            })?;
        let proposal = Uuid::parse_str(get("proposal").trim()).ok();
        service::give_proxy(&state, actor, id, giver, holder, proposal)
            .await
            .map(|_| ())
    }
    .await;
    after(&state, &viewer, id, result, "proxy").await
}

async fn revoke_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, proxy)): Path<(String, String)>,
    PageForm(_f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let proxy = parse_id(&proxy)?;
    let actor = viewer.actor()?;
    let result = service::revoke_proxy(&state, actor, id, proxy).await;
    after(&state, &viewer, id, result, "revoked").await
}

// ---------- writing a proposal ----------

#[derive(Template)]
#[template(path = "governance_proposal_form.html")]
struct ProposalFormPage {
    c: Chrome,
    body: BodyRow,
    action: String,
    methods: [(&'static str, &'static str); 7],
    /// What only coordinators fill in (effects, participatory budgets), shown when creating.
    extras: Option<FormExtras>,
    f: HashMap<String, String>,
    error: Option<AppError>,
}

impl ProposalFormPage {
    fn value(&self, k: &str) -> String {
        self.f.get(k).cloned().unwrap_or_default()
    }
    fn chosen(&self, k: &str, v: &str) -> bool {
        self.f.get(k).map(String::as_str) == Some(v)
    }
}

/// The voting methods a proposal can use, with their message ids.
const METHODS: [(&str, &str); 7] = [
    ("majority", "governance_method_majority"),
    ("consent", "governance_method_consent"),
    ("approval", "governance_method_approval"),
    ("score", "governance_method_score"),
    ("schulze", "governance_method_schulze"),
    ("instant_runoff", "governance_method_instant_runoff"),
    ("equal_shares", "governance_method_equal_shares"),
];

/// The coordinator's part of a new proposal's form.
struct FormExtras {
    /// Pending applications: (id, applicant and organisation).
    applications: Vec<(Uuid, String)>,
    /// Who default limits can be decided for: (code, label).
    holders: Vec<(String, String)>,
    organisations: Vec<(Uuid, String)>,
    currency: String,
}

async fn extras(
    state: &AppState,
    viewer: &Viewer,
    creating: bool,
) -> Result<Option<FormExtras>, AppError> {
    if !creating || !viewer.actor()?.coordinates() {
        return Ok(None);
    }
    let (pending, _) =
        distretto_store::membership::applications(&state.db, Some("pending"), None, 200, 0).await?;
    let lang = viewer.lang;
    let mut holders = vec![("person".to_owned(), lang.t("governance_holder_person"))];
    holders.extend(
        distretto_domain::directory::OrganizationKind::ALL
            .iter()
            .map(|k| (k.code().to_owned(), lang.t(&format!("kind_{}", k.code())))),
    );
    Ok(Some(FormExtras {
        holders,
        applications: pending
            .into_iter()
            .map(|a| {
                let org = a
                    .organization_name
                    .map(|o| format!(" — {o}"))
                    .unwrap_or_default();
                (a.id, format!("{}{org}", a.person_name))
            })
            .collect(),
        organisations: store::organisation_choices(&state.db).await?,
        currency: state.config.currency.symbol.clone(),
    }))
}

fn proposal_defaults() -> HashMap<String, String> {
    HashMap::from([
        ("method".to_owned(), "majority".to_owned()),
        ("threshold".to_owned(), "more_than_half".to_owned()),
        ("quorum_percent".to_owned(), "0".to_owned()),
        ("seats".to_owned(), "1".to_owned()),
        ("max_score".to_owned(), "5".to_owned()),
    ])
}

fn fields_of(p: &ProposalRow) -> HashMap<String, String> {
    let mut f = HashMap::from([
        ("title".to_owned(), p.title.clone()),
        ("text".to_owned(), p.text.clone()),
        ("method".to_owned(), p.method.clone()),
        ("threshold".to_owned(), p.threshold.clone()),
        ("quorum_percent".to_owned(), p.quorum_percent.to_string()),
        ("seats".to_owned(), p.seats.to_string()),
        ("max_score".to_owned(), p.max_score.to_string()),
        (
            "max_approvals".to_owned(),
            p.max_approvals.map(|m| m.to_string()).unwrap_or_default(),
        ),
        ("options".to_owned(), service::options_of(p).join("\n")),
    ]);
    if p.secret {
        f.insert("secret".into(), "on".into());
    }
    f
}

/// The proposal a form describes. An edit without the effect fields keeps the proposal's
/// effect and budget.
async fn input_of(
    state: &AppState,
    f: &HashMap<String, String>,
    existing: Option<&ProposalRow>,
) -> Result<ProposalInput, AppError> {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let number = |k: &str, default: i32| {
        let t = get(k);
        if t.trim().is_empty() {
            Some(default)
        } else {
            t.trim().parse().ok()
        }
    };
    let scale = state.config.currency.scale;
    let (effect, budget_minor) = if f.contains_key("effect_kind") || existing.is_none() {
        let budget = if get("method") == service::EQUAL_SHARES {
            Some(amount(&get("budget"), scale, "budget")?)
        } else {
            None
        };
        (effect_of(state, f).await?, budget)
    } else {
        let p = existing.ok_or(AppError::internal())?;
        let effect = p
            .effect
            .as_deref()
            .and_then(|e| serde_json::from_str(e).ok());
        (effect, p.budget_minor)
    };
    Ok(ProposalInput {
        title: get("title"),
        text: get("text"),
        method: get("method"),
        options: get("options")
            .lines()
            .map(str::to_owned)
            .take(service::MAX_OPTIONS + 1)
            .collect(),
        threshold: get("threshold"),
        quorum_percent: number("quorum_percent", 0).unwrap_or(-1),
        seats: number("seats", 1).unwrap_or(-1),
        max_approvals: get("max_approvals")
            .trim()
            .parse()
            .ok()
            .filter(|_| !get("max_approvals").trim().is_empty()),
        max_score: number("max_score", 5).unwrap_or(-1),
        secret: f.contains_key("secret"),
        effect,
        budget_minor,
    })
}

/// An amount typed in the district currency ("50", "12,50") in minor units; "0" is 0.
fn amount(text: &str, scale: u8, field: &'static str) -> Result<i64, AppError> {
    if text.trim() == "0" {
        return Ok(0);
    }
    distretto_domain::ledger::money::parse_amount(text, scale)
        .map(|a| a.minor())
        .map_err(|_| AppError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "governance_effect_bad_amount",
            field: Some(field),
        })
}

/// The effect a proposal form asks for.
async fn effect_of(
    state: &AppState,
    f: &HashMap<String, String>,
) -> Result<Option<DecisionEffect>, AppError> {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let scale = state.config.currency.scale;
    let refused = |code| AppError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code,
        field: Some("effect"),
    };
    Ok(Some(match get("effect_kind").as_str() {
        "" | "none" => return Ok(None),
        "admit_application" => DecisionEffect::AdmitApplication {
            application: Uuid::parse_str(get("effect_application").trim())
                .map_err(|_| refused("governance_effect_application"))?,
        },
        "set_limits" => DecisionEffect::SetLimits {
            account: account_from_form(state, &get("effect_email"), &get("effect_organization"))
                .await?,
            credit_limit_minor: amount(&get("effect_credit_limit"), scale, "effect")?,
            upper_limit_minor: match get("effect_upper_limit").trim() {
                "" => None,
                t => Some(amount(t, scale, "effect")?),
            },
        },
        "default_limits" => DecisionEffect::SetDefaultLimits {
            holder: get("effect_holder"),
            credit_limit_minor: amount(&get("effect_credit_limit"), scale, "effect")?,
            upper_limit_minor: match get("effect_upper_limit").trim() {
                "" => None,
                t => Some(amount(t, scale, "effect")?),
            },
        },
        "fund_grant" => DecisionEffect::FundGrant {
            account: account_from_form(state, &get("effect_email"), &get("effect_organization"))
                .await?,
            amount_minor: amount(&get("effect_amount"), scale, "effect")?,
        },
        _ => return Err(refused("governance_effect_unknown")),
    }))
}

/// The district-currency account of a person (by e-mail) or of an organisation (chosen).
async fn account_from_form(
    state: &AppState,
    email: &str,
    organisation: &str,
) -> Result<Uuid, AppError> {
    let owner = voter_from_form(state, email, organisation).await?;
    let kind = if Uuid::parse_str(organisation.trim()).is_ok() {
        "organization"
    } else {
        "person"
    };
    distretto_store::accounts::of_owner(&state.db, kind, owner)
        .await?
        .into_iter()
        .find(|a| a.currency == state.config.currency.code)
        .map(|a| a.id)
        .ok_or(AppError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "governance_effect_no_account",
            field: Some("effect"),
        })
}

async fn proposal_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    viewer.actor()?;
    let body = store::body(&state.db, id).await?;
    Ok(render_status(
        StatusCode::OK,
        &ProposalFormPage {
            methods: METHODS,
            extras: extras(&state, &viewer, true).await?,
            c: Chrome::new(
                &state,
                &viewer,
                &format!("/governance/bodies/{id}/proposals/new"),
            ),
            action: format!("/governance/bodies/{id}/proposals/new"),
            body,
            f: proposal_defaults(),
            error: None,
        },
    ))
}

async fn proposal_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let created = match input_of(&state, &f, None).await {
        Ok(i) => service::create_proposal(&state, actor, id, &i).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(p) => Ok(
            Redirect::to(&format!("/governance/proposals/{}?done=created", p.id)).into_response(),
        ),
        Err(e) if is_form_error(&e) => Ok(render_status(
            e.status,
            &ProposalFormPage {
                methods: METHODS,
                extras: extras(&state, &viewer, true).await?,
                c: Chrome::new(
                    &state,
                    &viewer,
                    &format!("/governance/bodies/{id}/proposals/new"),
                ),
                action: format!("/governance/bodies/{id}/proposals/new"),
                body: store::body(&state.db, id).await?,
                f,
                error: Some(e),
            },
        )),
        Err(e) => Err(e),
    }
}

async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    viewer.actor()?;
    let p = store::proposal(&state.db, id).await?;
    Ok(render_status(
        StatusCode::OK,
        &ProposalFormPage {
            methods: METHODS,
            extras: extras(&state, &viewer, false).await?,
            c: Chrome::new(&state, &viewer, &format!("/governance/proposals/{id}/edit")),
            action: format!("/governance/proposals/{id}/edit"),
            body: store::body(&state.db, p.body_id).await?,
            f: fields_of(&p),
            error: None,
        },
    ))
}

async fn edit_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let existing = store::proposal(&state.db, id).await?;
    let edited = match input_of(&state, &f, Some(&existing)).await {
        Ok(i) => service::edit_proposal(&state, actor, id, &i).await,
        Err(e) => Err(e),
    };
    match edited {
        Ok(p) => {
            Ok(Redirect::to(&format!("/governance/proposals/{}?done=saved", p.id)).into_response())
        }
        Err(e) if is_form_error(&e) => {
            let p = store::proposal(&state.db, id).await?;
            Ok(render_status(
                e.status,
                &ProposalFormPage {
                    methods: METHODS,
                    extras: extras(&state, &viewer, false).await?,
                    c: Chrome::new(&state, &viewer, &format!("/governance/proposals/{id}/edit")),
                    action: format!("/governance/proposals/{id}/edit"),
                    body: store::body(&state.db, p.body_id).await?,
                    f,
                    error: Some(e),
                },
            ))
        }
        Err(e) => Err(e),
    }
}

// ---------- a proposal ----------

struct CommentLine {
    id: Uuid,
    author: String,
    text: String,
    at: String,
    depth: usize,
}

/// A row of the result table.
struct ResultLine {
    label: String,
    raw: u64,
    share: String,
}

/// The voting form for one voter.
struct VoterForm {
    id: Uuid,
    name: String,
    by_proxy: bool,
    voted: bool,
}

#[derive(Template)]
#[template(path = "governance_proposal.html")]
struct ProposalPage {
    c: Chrome,
    p: ProposalRow,
    body: String,
    author: String,
    status: &'static str,
    method: &'static str,
    threshold: String,
    options: Vec<(usize, String)>,
    rank_choices: Vec<usize>,
    score_choices: Vec<i32>,
    opens: String,
    closes: String,
    closes_default: String,
    steers: bool,
    may_comment: bool,
    voters: Vec<VoterForm>,
    electorate: usize,
    cast: i64,
    comments: Vec<CommentLine>,
    outcome: Option<(&'static str, String)>,
    results: Vec<ResultLine>,
    turnout: Vec<(String, u64, u64)>,
    objections: Vec<String>,
    receipt: Option<String>,
    notice: Option<&'static str>,
    error: Option<AppError>,
    decision: DecisionView,
    amendments: Vec<AmendmentLine>,
}

struct AmendmentLine {
    id: Uuid,
    author: String,
    text: String,
    note: String,
    status: &'static str,
    open: bool,
}

fn amendment_status_id(code: &str) -> &'static str {
    match code {
        "accepted" => "governance_amendment_accepted",
        "declined" => "governance_amendment_declined",
        _ => "governance_amendment_open",
    }
}

/// What a proposal decides beyond its words: its effect, or its participatory budget.
#[derive(Default)]
struct DecisionView {
    /// The effect in words, and its status's message id with the failure's code.
    effect: Option<String>,
    effect_status: &'static str,
    effect_note: String,
    may_retry: bool,
    /// A participatory budget.
    budget: Option<String>,
    projects: Vec<ProjectLine>,
    /// The viewer's accounts a project's grant may go to.
    accounts: Vec<(Uuid, String)>,
    reviews: bool,
    submissions_open: bool,
}

struct ProjectLine {
    id: Uuid,
    title: String,
    description: String,
    cost: String,
    status: &'static str,
    note: String,
    approvals: Option<u64>,
    selected: bool,
    greedy: bool,
}

fn effect_status_id(code: &str) -> &'static str {
    match code {
        "pending" | "applying" => "governance_effect_status_pending",
        "applied" => "governance_effect_status_applied",
        "failed" => "governance_effect_status_failed",
        "void" => "governance_effect_status_void",
        _ => "governance_effect_status_none",
    }
}

fn project_status_id(code: &str) -> &'static str {
    match code {
        "eligible" => "governance_project_eligible",
        "ineligible" => "governance_project_ineligible",
        _ => "governance_project_submitted",
    }
}

/// The effect in the viewer's words.
async fn effect_text(
    state: &AppState,
    lang: Lang,
    effect: &DecisionEffect,
) -> Result<String, AppError> {
    let currency = &state.config.currency;
    let money = |m: i64| crate::ledger::pages::money(lang, currency, m);
    Ok(match effect {
        DecisionEffect::AdmitApplication { application } => {
            let who = distretto_store::membership::application(&state.db, *application)
                .await
                .ok();
            let name = match who {
                Some(a) => distretto_store::membership::person(&state.db, a.person_id)
                    .await
                    .map(|p| p.name)
                    .unwrap_or_default(),
                None => String::new(),
            };
            lang.t_args("governance_effect_admit_text", &[("name", name)])
        }
        DecisionEffect::SetLimits {
            account,
            credit_limit_minor,
            upper_limit_minor,
        } => {
            let names = crate::ledger::pages::labels(state, lang, &[*account]).await?;
            let upper = upper_limit_minor.map(money).unwrap_or_else(|| "—".into());
            lang.t_args(
                "governance_effect_limits_text",
                &[
                    (
                        "account",
                        crate::ledger::invoice_pages::name_of(&names, *account),
                    ),
                    ("credit", money(*credit_limit_minor)),
                    ("upper", upper),
                ],
            )
        }
        DecisionEffect::SetDefaultLimits {
            holder,
            credit_limit_minor,
            upper_limit_minor,
        } => {
            let who = if holder == "person" {
                lang.t("governance_holder_person")
            } else {
                lang.t(&format!("kind_{holder}"))
            };
            let upper = upper_limit_minor.map(money).unwrap_or_else(|| "—".into());
            lang.t_args(
                "governance_effect_default_limits_text",
                &[
                    ("holder", who),
                    ("credit", money(*credit_limit_minor)),
                    ("upper", upper),
                ],
            )
        }
        DecisionEffect::FundGrant {
            account,
            amount_minor,
        } => {
            let names = crate::ledger::pages::labels(state, lang, &[*account]).await?;
            lang.t_args(
                "governance_effect_grant_text",
                &[
                    (
                        "account",
                        crate::ledger::invoice_pages::name_of(&names, *account),
                    ),
                    ("amount", money(*amount_minor)),
                ],
            )
        }
    })
}

async fn decision_view(
    state: &AppState,
    actor: &Actor,
    lang: Lang,
    p: &ProposalRow,
    tally: Option<&Tally>,
) -> Result<DecisionView, AppError> {
    let mut view = DecisionView {
        effect_status: effect_status_id(&p.effect_status),
        effect_note: p.effect_note.clone(),
        may_retry: p.effect_status == "failed" && actor.coordinates(),
        ..DecisionView::default()
    };
    if let Some(e) = service::effect_of(p) {
        view.effect = Some(effect_text(state, lang, &e).await?);
    }
    if p.method != service::EQUAL_SHARES {
        return Ok(view);
    }
    let currency = &state.config.currency;
    let money = |m: i64| crate::ledger::pages::money(lang, currency, m);
    view.budget = p.budget_minor.map(money);
    let unopened = p.status == "draft" || p.status == "deliberation";
    view.submissions_open = unopened;
    view.reviews = unopened && actor.coordinates();
    view.projects = store::projects(&state.db, p.id)
        .await?
        .into_iter()
        .map(|x| ProjectLine {
            approvals: x.option_index.and_then(|i| {
                tally?
                    .per_option
                    .iter()
                    .find(|o| i32::from(o.option) == i)
                    .map(|o| o.raw)
            }),
            id: x.id,
            title: x.title,
            description: x.description,
            cost: money(x.cost_minor),
            status: project_status_id(&x.status),
            note: x.review_note,
            selected: x.selected,
            greedy: x.greedy_selected,
        })
        .collect();
    if unopened {
        view.accounts = grant_accounts(state, actor, p).await?;
    }
    Ok(view)
}

/// The accounts in the district currency a project of `actor` may be paid to: their own, and
/// those of the organisations they represent.
async fn grant_accounts(
    state: &AppState,
    actor: &Actor,
    p: &ProposalRow,
) -> Result<Vec<(Uuid, String)>, AppError> {
    let mut out = Vec::new();
    for (owner, kind) in store::own_voters(&state.db, p.body_id, actor.id).await? {
        for a in distretto_store::accounts::of_owner(&state.db, &kind, owner).await? {
            if a.currency == state.config.currency.code {
                out.push(a.id);
            }
        }
    }
    let names = crate::ledger::pages::labels(state, Lang::En, &out).await?;
    Ok(out
        .into_iter()
        .map(|id| (id, crate::ledger::invoice_pages::name_of(&names, id)))
        .collect())
}

async fn proposal_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    render_proposal(&state, &viewer, id, &q, None).await
}

/// Comments in thread order (answers under what they answer), with their depth, bounded.
fn threaded(comments: &[store::CommentRow]) -> Vec<(usize, &store::CommentRow)> {
    let mut out = Vec::with_capacity(comments.len());
    let mut stack: Vec<(usize, &store::CommentRow)> = comments
        .iter()
        .filter(|c| c.parent_id.is_none())
        .rev()
        .map(|c| (0, c))
        .collect();
    while let Some((depth, c)) = stack.pop() {
        if out.len() >= comments.len() {
            break;
        }
        out.push((depth, c));
        stack.extend(
            comments
                .iter()
                .filter(|x| x.parent_id == Some(c.id))
                .rev()
                .map(|x| ((depth + 1).min(4), x)),
        );
    }
    out
}

async fn render_proposal(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    q: &DoneQuery,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let lang = viewer.lang;
    let mut p = store::proposal(&state.db, id).await?;
    if p.status == "voting" && p.closes_at.is_some_and(|c| c <= distretto_store::now()) {
        // Due: close it now rather than show a vote that can no longer be cast.
        service::close(state, id).await?;
        p = store::proposal(&state.db, id).await?;
    }
    let body = store::body(&state.db, p.body_id).await?;
    let comments = store::comments(&state.db, id).await?;
    let voters = if p.status == "voting" {
        service::voters_of(state, actor, &p).await?
    } else {
        Vec::new()
    };
    let amendments = store::amendments(&state.db, id).await?;
    let mut ids: Vec<Uuid> = comments.iter().map(|c| c.author_id).collect();
    ids.extend(amendments.iter().map(|a| a.author_id));
    ids.push(p.author_id);
    ids.extend(voters.iter().map(|v| v.0));
    let who: HashMap<Uuid, String> = store::names_of(&state.db, &ids)
        .await?
        .into_iter()
        .collect();
    let name = |id: &Uuid| who.get(id).cloned().unwrap_or_default();
    let mut voter_forms = Vec::with_capacity(voters.len());
    for (v, _, by_proxy) in &voters {
        voter_forms.push(VoterForm {
            id: *v,
            name: name(v),
            by_proxy: *by_proxy,
            voted: store::voted(&state.db, &p, *v).await?.is_some(),
        });
    }
    let options = service::options_of(&p);
    let tally: Option<Tally> = p
        .tally
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok());
    let colleges = store::colleges(&state.db, body.id).await?;
    let may_comment = actor.coordinates()
        || !service::own_voters_now(state, actor, &body)
            .await?
            .is_empty();
    let electorate = if p.status == "voting" || p.status == "closed" {
        store::electorate(&state.db, id).await?.len()
    } else {
        store::electorate_now(&state.db, &body).await?.len()
    };
    let cast = store::ballot_count(&state.db, &p).await?;
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let decision = decision_view(state, actor, lang, &p, tally.as_ref()).await?;
    let unopened = p.status == "draft" || p.status == "deliberation";
    let amendments = amendments
        .iter()
        .map(|a| AmendmentLine {
            id: a.id,
            author: name(&a.author_id),
            text: a.text.clone(),
            note: a.note.clone(),
            status: amendment_status_id(&a.status),
            open: a.status == "open" && unopened,
        })
        .collect();
    let page = ProposalPage {
        decision,
        amendments,
        c: Chrome::new(state, viewer, &format!("/governance/proposals/{id}")),
        body: body.name.clone(),
        author: name(&p.author_id),
        status: status_id(&p.status),
        method: method_id(&p.method),
        threshold: threshold_text(lang, &p.threshold),
        options: options.iter().cloned().enumerate().collect(),
        rank_choices: (1..=options.len()).collect(),
        score_choices: (0..=p.max_score).collect(),
        opens: p.opens_at.map(instant).unwrap_or_default(),
        closes: p.closes_at.map(instant).unwrap_or_default(),
        closes_default: datetime_local(distretto_store::now() + time::Duration::days(7)),
        steers: actor.id == p.author_id || actor.coordinates(),
        may_comment,
        voters: voter_forms,
        electorate,
        cast,
        comments: threaded(&comments)
            .into_iter()
            .map(|(depth, c)| CommentLine {
                id: c.id,
                author: name(&c.author_id),
                text: c.text.clone(),
                at: instant(c.created_at),
                depth,
            })
            .collect(),
        outcome: tally.as_ref().map(|t| outcome_text(&options, &t.outcome)),
        results: tally
            .as_ref()
            .map(|t| result_lines(lang, &p, &options, t))
            .unwrap_or_default(),
        turnout: tally
            .as_ref()
            .map(|t| {
                t.turnout_per_college
                    .iter()
                    .enumerate()
                    .map(|(i, (cast, of))| {
                        let label = colleges
                            .get(i)
                            .map_or_else(|| lang.t("governance_everyone"), |c| c.name.clone());
                        (label, *cast, *of)
                    })
                    .collect()
            })
            .unwrap_or_default(),
        objections: tally.map(|t| t.objections).unwrap_or_default(),
        receipt: q.receipt.clone().filter(|r| r.len() <= 20),
        notice: notice_of(q.done.as_deref()),
        error,
        p,
    };
    Ok(render_status(status, &page))
}

fn threshold_text(lang: Lang, code: &str) -> String {
    match service::threshold_of(code) {
        Some(distretto_domain::governance::ThresholdRule::AtLeastPercent(n)) => lang.t_args(
            "governance_threshold_at_least",
            &[("percent", n.to_string())],
        ),
        _ => lang.t("governance_threshold_more_than_half"),
    }
}

fn outcome_text(options: &[String], o: &Outcome) -> (&'static str, String) {
    let code = service::outcome_code(o);
    let label = |i: &u16| options.get(usize::from(*i)).cloned().unwrap_or_default();
    let detail = match o {
        Outcome::Elected(e) | Outcome::Tie(e) => e.iter().map(label).collect::<Vec<_>>().join(", "),
        _ => String::new(),
    };
    (outcome_id(code), detail)
}

/// The result table: each stance or option with its count and weighted share.
fn result_lines(lang: Lang, p: &ProposalRow, options: &[String], t: &Tally) -> Vec<ResultLine> {
    let total: u128 = t.per_option.iter().map(|o| o.weighted).sum();
    t.per_option
        .iter()
        .map(|o| {
            let label = match (p.method.as_str(), o.option) {
                ("majority", 0) => lang.t("governance_stance_yes"),
                ("majority", 1) => lang.t("governance_stance_no"),
                ("majority", _) => lang.t("governance_stance_abstain"),
                ("consent", 0) => lang.t("governance_consent_consent"),
                ("consent", 1) => lang.t("governance_consent_stand_aside"),
                ("consent", _) => lang.t("governance_consent_object"),
                _ => options
                    .get(usize::from(o.option))
                    .cloned()
                    .unwrap_or_default(),
            };
            let share = (o.weighted * 1_000)
                .checked_div(total)
                .map(|tenths| format!("{}.{} %", tenths / 10, tenths % 10))
                .unwrap_or_default();
            ResultLine {
                label,
                raw: o.raw,
                share,
            }
        })
        .collect()
}

/// A choice from the vote form of `p`'s method.
fn choice_from_form(p: &ProposalRow, f: &HashMap<String, String>) -> Result<Choice, AppError> {
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or_default();
    let refused = |code| AppError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code,
        field: Some("choice"),
    };
    let n = service::options_of(p).len();
    Ok(match p.method.as_str() {
        "majority" => Choice::Majority(match get("stance") {
            "yes" => Stance::Yes,
            "no" => Stance::No,
            "abstain" => Stance::Abstain,
            _ => return Err(refused("governance_choice_missing")),
        }),
        "consent" => Choice::Consent(match get("consent") {
            "consent" => ConsentChoice::Consent,
            "stand_aside" => ConsentChoice::StandAside,
            "object" => ConsentChoice::Object {
                reason: get("reason").to_owned(),
            },
            _ => return Err(refused("governance_choice_missing")),
        }),
        "approval" | "equal_shares" => Choice::Approval(
            (0..n)
                .filter(|i| f.contains_key(&format!("approve_{i}")))
                .filter_map(|i| u16::try_from(i).ok())
                .collect(),
        ),
        "score" => {
            let mut scores = Vec::with_capacity(n);
            for i in 0..n {
                let s: u8 = get(&format!("score_{i}"))
                    .trim()
                    .parse()
                    .map_err(|_| refused("governance_score_out_of_range"))?;
                scores.push(s);
            }
            Choice::Score(scores)
        }
        _ => {
            let mut ranked: Vec<(usize, u16)> = Vec::with_capacity(n);
            for i in 0..n {
                let r = get(&format!("rank_{i}")).trim();
                if r.is_empty() {
                    continue;
                }
                let r: usize = r
                    .parse()
                    .map_err(|_| refused("governance_ranking_duplicate"))?;
                if ranked.iter().any(|x| x.0 == r) {
                    return Err(refused("governance_ranking_duplicate"));
                }
                ranked.push((r, u16::try_from(i).unwrap_or(u16::MAX)));
            }
            if ranked.is_empty() {
                return Err(refused("governance_choice_missing"));
            }
            ranked.sort_unstable();
            Choice::Ranked(ranked.into_iter().map(|x| x.1).collect())
        }
    })
}

async fn vote_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let result = cast_from_form(&state, actor, id, &f).await;
    match result {
        Ok(voted) => {
            let done = if voted.replaced { "replaced" } else { "voted" };
            let receipt = voted
                .receipt
                .map(|r| format!("&receipt={r}"))
                .unwrap_or_default();
            Ok(
                Redirect::to(&format!("/governance/proposals/{id}?done={done}{receipt}"))
                    .into_response(),
            )
        }
        Err(e) if is_form_error(&e) => {
            render_proposal(&state, &viewer, id, &DoneQuery::default(), Some(e)).await
        }
        Err(e) => Err(e),
    }
}

async fn cast_from_form(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    f: &HashMap<String, String>,
) -> Result<service::Voted, AppError> {
    let p = store::proposal(&state.db, id).await?;
    let voter = f
        .get("voter")
        .and_then(|v| Uuid::parse_str(v.trim()).ok())
        .unwrap_or(actor.id);
    let choice = choice_from_form(&p, f)?;
    service::vote(state, actor, id, voter, &choice).await
}

async fn comment_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let parent = f.get("parent").and_then(|v| Uuid::parse_str(v.trim()).ok());
    let text = f.get("comment").cloned().unwrap_or_default();
    match service::comment(&state, actor, id, parent, &text).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/governance/proposals/{id}?done=commented#comments"
        ))
        .into_response()),
        Err(e) if is_form_error(&e) => {
            render_proposal(&state, &viewer, id, &DoneQuery::default(), Some(e)).await
        }
        Err(e) => Err(e),
    }
}

async fn action_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let result = match action.as_str() {
        "deliberate" => service::deliberate(&state, actor, id).await,
        "withdraw" => service::withdraw(&state, actor, id).await,
        "retry" => service::retry_effect(&state, actor, id).await,
        "minutes" => {
            let minutes = f.get("minutes").map_or("", String::as_str);
            service::record_minutes(&state, actor, id, minutes).await
        }
        "open" => {
            match parse_datetime_local(f.get("closes_at").map_or("", String::as_str), "closes_at") {
                Ok(closes) => service::open_voting(&state, actor, id, closes)
                    .await
                    .map(|_| ()),
                Err(e) => Err(e),
            }
        }
        _ => return Err(AppError::not_found()),
    };
    match result {
        Ok(()) => {
            Ok(Redirect::to(&format!("/governance/proposals/{id}?done={action}")).into_response())
        }
        Err(e) if is_form_error(&e) => {
            render_proposal(&state, &viewer, id, &DoneQuery::default(), Some(e)).await
        }
        Err(e) => Err(e),
    }
}

// ---------- amendments ----------

async fn amend_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    match service::amend(&state, actor, id, &get("amendment"), &get("amendment_note")).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/governance/proposals/{id}?done=amended#amendments"
        ))
        .into_response()),
        Err(e) if is_form_error(&e) => {
            render_proposal(&state, &viewer, id, &DoneQuery::default(), Some(e)).await
        }
        Err(e) => Err(e),
    }
}

async fn amendment_decide(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, amendment, verdict)): Path<(String, String, String)>,
    PageForm(_f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let amendment = parse_id(&amendment)?;
    let actor = viewer.actor()?;
    let accept = match verdict.as_str() {
        "accept" => true,
        "decline" => false,
        _ => return Err(AppError::not_found()),
    };
    match service::decide_amendment(&state, actor, amendment, accept).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/governance/proposals/{id}?done={verdict}#amendments"
        ))
        .into_response()),
        Err(e) if is_form_error(&e) => {
            render_proposal(&state, &viewer, id, &DoneQuery::default(), Some(e)).await
        }
        Err(e) => Err(e),
    }
}

// ---------- participatory budgeting ----------

async fn project_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let result = async {
        let input = service::ProjectInput {
            title: get("project_title"),
            description: get("project_description"),
            cost_minor: amount(&get("project_cost"), state.config.currency.scale, "cost")?,
            // An unreadable account is refused by the service, after it checked who asks.
            account: Uuid::parse_str(get("project_account").trim()).unwrap_or(Uuid::nil()),
        };
        service::submit_project(&state, actor, id, &input)
            .await
            .map(|_| ())
    }
    .await;
    match result {
        Ok(()) => Ok(
            Redirect::to(&format!("/governance/proposals/{id}?done=project#projects"))
                .into_response(),
        ),
        Err(e) if is_form_error(&e) => {
            render_proposal(&state, &viewer, id, &DoneQuery::default(), Some(e)).await
        }
        Err(e) => Err(e),
    }
}

async fn review_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, project)): Path<(String, String)>,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let project = parse_id(&project)?;
    let actor = viewer.actor()?;
    let eligible = f.get("verdict").map(String::as_str) == Some("eligible");
    let note = f.get("note").cloned().unwrap_or_default();
    match service::review_project(&state, actor, project, eligible, &note).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/governance/proposals/{id}?done=reviewed#projects"
        ))
        .into_response()),
        Err(e) if is_form_error(&e) => {
            render_proposal(&state, &viewer, id, &DoneQuery::default(), Some(e)).await
        }
        Err(e) => Err(e),
    }
}

// ---------- published ballots ----------

#[derive(Template)]
#[template(path = "governance_ballots.html")]
struct BallotsPage {
    c: Chrome,
    p: ProposalRow,
    /// (receipt or voter's name, college, the choice in words).
    ballots: Vec<(String, String, String)>,
}

/// A choice in words, for the published list.
fn choice_text(lang: Lang, options: &[String], choice: &str) -> String {
    let label = |i: &u16| options.get(usize::from(*i)).cloned().unwrap_or_default();
    match serde_json::from_str::<Choice>(choice) {
        Ok(Choice::Majority(Stance::Yes)) => lang.t("governance_stance_yes"),
        Ok(Choice::Majority(Stance::No)) => lang.t("governance_stance_no"),
        Ok(Choice::Majority(Stance::Abstain)) => lang.t("governance_stance_abstain"),
        Ok(Choice::Consent(ConsentChoice::Consent)) => lang.t("governance_consent_consent"),
        Ok(Choice::Consent(ConsentChoice::StandAside)) => lang.t("governance_consent_stand_aside"),
        Ok(Choice::Consent(ConsentChoice::Object { reason })) => {
            format!("{}: {reason}", lang.t("governance_consent_object"))
        }
        Ok(Choice::Approval(a)) => a.iter().map(label).collect::<Vec<_>>().join(", "),
        Ok(Choice::Score(s)) => s
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{} {s}", options.get(i).cloned().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(", "),
        Ok(Choice::Ranked(r)) => r.iter().map(label).collect::<Vec<_>>().join(" > "),
        Err(_) => String::new(),
    }
}

async fn ballots_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    viewer.actor()?;
    let lang = viewer.lang;
    let p = store::proposal(&state.db, id).await?;
    if p.status != "closed" {
        return Err(AppError::conflict("governance_not_closed"));
    }
    let options = service::options_of(&p);
    let colleges = store::colleges(&state.db, p.body_id).await?;
    let college = |i: i32| {
        usize::try_from(i)
            .ok()
            .and_then(|i| colleges.get(i))
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    let ballots = if p.secret {
        store::secret_ballots(&state.db, id)
            .await?
            .into_iter()
            .map(|b| {
                (
                    b.receipt,
                    college(b.college),
                    choice_text(lang, &options, &b.choice),
                )
            })
            .collect()
    } else {
        let rows = store::open_ballots(&state.db, id).await?;
        let ids: Vec<Uuid> = rows.iter().map(|b| b.voter_id).collect();
        let who: HashMap<Uuid, String> = store::names_of(&state.db, &ids)
            .await?
            .into_iter()
            .collect();
        rows.into_iter()
            .map(|b| {
                (
                    who.get(&b.voter_id).cloned().unwrap_or_default(),
                    college(b.college),
                    choice_text(lang, &options, &b.choice),
                )
            })
            .collect()
    };
    Ok(render_status(
        StatusCode::OK,
        &BallotsPage {
            c: Chrome::new(
                &state,
                &viewer,
                &format!("/governance/proposals/{id}/ballots"),
            ),
            p,
            ballots,
        },
    ))
}
