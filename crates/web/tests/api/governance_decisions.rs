//! Decisions with effects and participatory budgeting: a passed proposal sets an account's
//! limits (logged with the decision), grants money from the district fund once, admits an
//! applicant; a rejected one changes nothing; a call for projects is reviewed, voted and
//! selected by the Method of Equal Shares (not the greedy rule), and its grants are paid once.

use crate::harness::{TestApp, page, password_hash, signed_in};
use crate::on_both;
use distretto_domain::governance::effect::DecisionEffect;
use distretto_domain::governance::{Choice, Outcome, Stance, Tally};
use distretto_domain::membership::Role;
use distretto_store::governance as store;
use distretto_web::auth::viewer::Actor;
use distretto_web::governance::service::{self, BodyInput, ProposalInput};
use serde_json::json;
use uuid::Uuid;

async fn member(app: &TestApp, email: &str, role: Role) -> Actor {
    app.actor(email, email, role, &password_hash().await).await
}

async fn account_of(app: &TestApp, person: Uuid) -> Uuid {
    distretto_store::accounts::of_owner(&app.db, "person", person)
        .await
        .unwrap()[0]
        .id
}

fn proposal(title: &str, method: &str, effect: Option<DecisionEffect>) -> ProposalInput {
    ProposalInput {
        title: title.into(),
        text: "As discussed at the assembly.".into(),
        method: method.into(),
        options: Vec::new(),
        threshold: "more_than_half".into(),
        quorum_percent: 0,
        seats: 1,
        max_approvals: None,
        max_score: 5,
        secret: false,
        effect,
        budget_minor: None,
    }
}

async fn body(app: &TestApp, coord: &Actor) -> Uuid {
    let input = BodyInput {
        name: "Members' assembly".into(),
        description: String::new(),
        electorate: "people".into(),
        max_proxies: 1,
        colleges: Vec::new(),
    };
    service::create_body(&app.state, coord, input)
        .await
        .unwrap()
        .id
}

/// Opens, votes (each voter's stance) and closes a proposal; returns it closed.
async fn decide(
    app: &TestApp,
    coord: &Actor,
    id: Uuid,
    votes: &[(&Actor, Stance)],
) -> store::ProposalRow {
    let closes = distretto_store::now() + time::Duration::days(1);
    service::open_voting(&app.state, coord, id, closes)
        .await
        .unwrap();
    for (voter, stance) in votes {
        service::vote(&app.state, voter, id, voter.id, &Choice::Majority(*stance))
            .await
            .unwrap();
    }
    service::close(&app.state, id).await.unwrap().unwrap();
    store::proposal(&app.db, id).await.unwrap()
}

/// Lets the district fund lend up to 10,000.00 (an empty fund cannot pay a grant otherwise).
async fn open_the_fund(app: &TestApp) {
    let fund = distretto_store::accounts::of_district(&app.db, "CRD", "fund")
        .await
        .unwrap()
        .unwrap();
    let limits = distretto_domain::ledger::Limits {
        credit_limit_minor: 1_000_000,
        upper_limit_minor: None,
    };
    distretto_web::ledger::service::set_limits(
        &app.db,
        fund.id,
        limits,
        "The assembly lends from the fund",
        None,
        None,
    )
    .await
    .unwrap();
}

async fn grants_posted(app: &TestApp) -> i64 {
    app.count("transfers WHERE kind = 'grant'").await
}

/// A body with its coordinator and two members, and the members' accounts.
struct Assembly {
    coord: Actor,
    anna: Actor,
    bruno: Actor,
    body: Uuid,
    anna_account: Uuid,
    bruno_account: Uuid,
}

/// [`Assembly`] with addresses at `domain`.
async fn assembly(app: &TestApp, domain: &str) -> Assembly {
    let coord = member(app, &format!("coord@{domain}.example"), Role::Coordinator).await;
    let anna = member(app, &format!("anna@{domain}.example"), Role::Person).await;
    let bruno = member(app, &format!("bruno@{domain}.example"), Role::Person).await;
    let body = body(app, &coord).await;
    let anna_account = account_of(app, anna.id).await;
    let bruno_account = account_of(app, bruno.id).await;
    Assembly {
        coord,
        anna,
        bruno,
        body,
        anna_account,
        bruno_account,
    }
}

/// Limits, a grant and an admission decided by the assembly, each applied once; a rejected
/// grant and effects nobody may attach change nothing.
async fn decisions_change_the_ledger_and_membership(app: TestApp) {
    let Assembly {
        coord,
        anna,
        bruno,
        body,
        anna_account,
        bruno_account,
    } = assembly(&app, "decide").await;
    let yes = [
        (&coord, Stance::Yes),
        (&anna, Stance::Yes),
        (&bruno, Stance::No),
    ];

    // Only a coordinator attaches an effect, and only to a vote that passes or not.
    let limits = DecisionEffect::SetLimits {
        account: anna_account,
        credit_limit_minor: 30_000,
        upper_limit_minor: Some(900_000),
    };
    let e = service::create_proposal(
        &app.state,
        &anna,
        body,
        &proposal("Limits", "majority", Some(limits.clone())),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "forbidden");
    let mut approval = proposal("Limits by approval", "approval", Some(limits.clone()));
    approval.options = vec!["a".into(), "b".into()];
    let e = service::create_proposal(&app.state, &coord, body, &approval)
        .await
        .unwrap_err();
    assert_eq!(e.code, "governance_effect_needs_a_yes");
    assert!(
        store::proposals(&app.db, None, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Limits: applied once, logged with the decision.
    let p = service::create_proposal(
        &app.state,
        &coord,
        body,
        &proposal("Raise Anna's limit", "majority", Some(limits)),
    )
    .await
    .unwrap();
    let p = decide(&app, &coord, p.id, &yes).await;
    assert_eq!(
        (p.outcome.as_deref(), p.effect_status.as_str()),
        (Some("passed"), "applied")
    );
    let account = distretto_store::accounts::get(&app.db, anna_account)
        .await
        .unwrap();
    assert_eq!(
        (account.credit_limit_minor, account.upper_limit_minor),
        (30_000, Some(900_000))
    );
    let changes = distretto_store::ledger::limit_changes(&app.db, anna_account, 10)
        .await
        .unwrap();
    assert_eq!(
        changes[0].decision_ref.as_deref(),
        Some(format!("proposal:{}", p.id).as_str())
    );

    // A grant from the fund: one transfer, of kind grant, paid once even if applied again.
    let grant = DecisionEffect::FundGrant {
        account: bruno_account,
        amount_minor: 5_000,
    };
    let p = service::create_proposal(
        &app.state,
        &coord,
        body,
        &proposal("Tools for the repair café", "majority", Some(grant.clone())),
    )
    .await
    .unwrap();
    let p = decide(&app, &coord, p.id, &yes).await;
    // The empty fund cannot pay: the effect failed, with the ledger's reason, nothing moved.
    assert_eq!(
        (p.effect_status.as_str(), p.effect_note.as_str()),
        ("failed", "credit_limit_exceeded")
    );
    assert_eq!(grants_posted(&app).await, 0);
    let e = service::retry_effect(&app.state, &anna, p.id)
        .await
        .unwrap_err();
    assert_eq!(e.code, "forbidden");
    open_the_fund(&app).await;
    service::retry_effect(&app.state, &coord, p.id)
        .await
        .unwrap();
    let p = store::proposal(&app.db, p.id).await.unwrap();
    assert_eq!(p.effect_status, "applied", "{}", p.effect_note);
    assert_eq!(grants_posted(&app).await, 1);
    let grants = store::grants(&app.db, p.id).await.unwrap();
    assert_eq!((grants.len(), grants[0].amount_minor), (1, 5_000));
    assert!(grants[0].transfer_id.is_some());
    service::apply_effect(&app.state, p.id).await.unwrap();
    assert_eq!(grants_posted(&app).await, 1, "applying again pays nothing");
    let bruno_balance = distretto_store::accounts::get(&app.db, bruno_account)
        .await
        .unwrap()
        .balance_minor;
    assert_eq!(bruno_balance, 5_000);

    // A rejected grant: void, nothing paid.
    let p = service::create_proposal(
        &app.state,
        &coord,
        body,
        &proposal("A second grant", "majority", Some(grant)),
    )
    .await
    .unwrap();
    let no = [
        (&coord, Stance::No),
        (&anna, Stance::No),
        (&bruno, Stance::Yes),
    ];
    let p = decide(&app, &coord, p.id, &no).await;
    assert_eq!(
        (p.outcome.as_deref(), p.effect_status.as_str()),
        (Some("rejected"), "void")
    );
    assert_eq!(grants_posted(&app).await, 1);

    // Default limits for people: accounts opened from now on get them.
    let defaults = DecisionEffect::SetDefaultLimits {
        holder: "person".into(),
        credit_limit_minor: 25_000,
        upper_limit_minor: Some(2_000_000),
    };
    let p = service::create_proposal(
        &app.state,
        &coord,
        body,
        &proposal("Wider lines for members", "majority", Some(defaults)),
    )
    .await
    .unwrap();
    let p = decide(&app, &coord, p.id, &yes).await;
    assert_eq!(p.effect_status, "applied", "{}", p.effect_note);
    let decided = distretto_store::ledger::default_limits(&app.db)
        .await
        .unwrap();
    assert_eq!(decided[0].decision_ref, format!("proposal:{}", p.id));
    // The author records the minutes of the closed proposal.
    service::record_minutes(
        &app.state,
        &coord,
        p.id,
        "Adopted with two votes for and one against.",
    )
    .await
    .unwrap();
    assert_eq!(
        service::record_minutes(&app.state, &bruno, p.id, "Mine")
            .await
            .unwrap_err()
            .code,
        "forbidden"
    );
    assert!(
        store::proposal(&app.db, p.id)
            .await
            .unwrap()
            .minutes
            .starts_with("Adopted")
    );

    // An admission: the applicant becomes a member, decided in the assembly's name, and their
    // account opens with the decided default limits.
    let (_, token) = app.person("dario@decide.example", "Dario").await;
    let (s, application) = app
        .post(
            "/api/v1/applications",
            Some(&token),
            &json!({"kind": "individual", "message": "I live here"}),
        )
        .await;
    assert_eq!(s, 201, "{application}");
    let application = Uuid::parse_str(application["id"].as_str().unwrap()).unwrap();
    let admit = DecisionEffect::AdmitApplication { application };
    let p = service::create_proposal(
        &app.state,
        &coord,
        body,
        &proposal("Admit Dario", "consent", Some(admit)),
    )
    .await
    .unwrap();
    let closes = distretto_store::now() + time::Duration::days(1);
    service::open_voting(&app.state, &coord, p.id, closes)
        .await
        .unwrap();
    service::vote(
        &app.state,
        &anna,
        p.id,
        anna.id,
        &Choice::Consent(distretto_domain::governance::ConsentChoice::Consent),
    )
    .await
    .unwrap();
    service::close(&app.state, p.id).await.unwrap().unwrap();
    let p = store::proposal(&app.db, p.id).await.unwrap();
    assert_eq!(p.effect_status, "applied");
    let dario = distretto_store::membership::person_by_email(&app.db, "dario@decide.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dario.membership_status, "member");
    let dario_account = &distretto_store::accounts::of_owner(&app.db, "person", dario.id)
        .await
        .unwrap()[0];
    assert_eq!(
        (
            dario_account.credit_limit_minor,
            dario_account.upper_limit_minor
        ),
        (25_000, Some(2_000_000))
    );

    // The page says what the decision did; the journal still verifies.
    let b = signed_in(&app, "anna@decide.example").await;
    let (s, html) = page(&b, &app, &format!("/governance/proposals/{}", p.id), "fr").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("Admettre Dario comme membre") && html.contains("Appliqué"),
        "{html}"
    );
    let report = distretto_store::ledger::verify::verify(&app.db)
        .await
        .unwrap();
    assert!(report.ok(), "{:?}", report.problems);
}

/// A call for projects: submissions checked, reviewed, voted; the Method of Equal Shares funds
/// the minority's project where the greedy rule would not; the grants are paid once.
async fn participatory_budget_by_equal_shares(app: TestApp) {
    let coord = member(&app, "coord@budget.example", Role::Coordinator).await;
    let mut voters = Vec::new();
    for i in 0..10 {
        voters.push(member(&app, &format!("v{i}@budget.example"), Role::Person).await);
    }
    let body = body(&app, &coord).await;
    open_the_fund(&app).await;
    let mut call = proposal("Participatory budget 2027", service::EQUAL_SHARES, None);
    call.budget_minor = Some(10_000);
    let e = service::create_proposal(&app.state, &voters[0], body, &call)
        .await
        .unwrap_err();
    assert_eq!(
        e.code, "forbidden",
        "a member does not open a call on the fund"
    );
    let call = service::create_proposal(&app.state, &coord, body, &call)
        .await
        .unwrap();

    let submit = |who: usize, title: &str, cost: i64| {
        let state = app.state.clone();
        let actor = voters[who].clone();
        let title = title.to_owned();
        let db = app.db.clone();
        async move {
            let account = distretto_store::accounts::of_owner(&db, "person", actor.id)
                .await
                .unwrap()[0]
                .id;
            let input = service::ProjectInput {
                title,
                description: "For the neighbourhood.".into(),
                cost_minor: cost,
                account,
            };
            service::submit_project(&state, &actor, call.id, &input).await
        }
    };
    let big = submit(0, "Community kitchen", 6_000).await.unwrap();
    let second = submit(1, "Kitchen garden", 4_000).await.unwrap();
    let minority = submit(6, "Seed library", 4_000).await.unwrap();
    let late = submit(7, "Fireworks", 3_000).await.unwrap();
    assert_eq!(
        submit(2, "Too dear", 20_000).await.unwrap_err().code,
        "governance_project_cost_out_of_range"
    );
    // Someone else's account is refused.
    let other = distretto_store::accounts::of_owner(&app.db, "person", voters[3].id)
        .await
        .unwrap()[0]
        .id;
    let stolen = service::ProjectInput {
        title: "Mine".into(),
        description: "x".into(),
        cost_minor: 100,
        account: other,
    };
    assert_eq!(
        service::submit_project(&app.state, &voters[2], call.id, &stolen)
            .await
            .unwrap_err()
            .code,
        "governance_project_account"
    );
    // Nothing eligible yet: the vote cannot open.
    let closes = distretto_store::now() + time::Duration::days(1);
    let e = service::open_voting(&app.state, &coord, call.id, closes)
        .await
        .unwrap_err();
    assert_eq!(e.code, "governance_no_eligible_project");
    assert_eq!(
        service::review_project(&app.state, &voters[0], big.id, true, "")
            .await
            .unwrap_err()
            .code,
        "forbidden"
    );
    for p in [&big, &second, &minority] {
        service::review_project(&app.state, &coord, p.id, true, "")
            .await
            .unwrap();
    }
    service::review_project(&app.state, &coord, late.id, false, "Not a lasting good.")
        .await
        .unwrap();
    service::open_voting(&app.state, &coord, call.id, closes)
        .await
        .unwrap();
    // Options are the eligible projects, in submission order.
    let opened = store::proposal(&app.db, call.id).await.unwrap();
    assert_eq!(
        service::options_of(&opened),
        ["Community kitchen", "Kitchen garden", "Seed library"]
    );
    assert!(submit(8, "Too late", 1_000).await.is_err());

    // Six voters approve the two kitchen projects, four the seed library.
    for (i, v) in voters.iter().enumerate() {
        let approved = if i < 6 { vec![0, 1] } else { vec![2] };
        service::vote(&app.state, v, call.id, v.id, &Choice::Approval(approved))
            .await
            .unwrap();
    }
    service::close(&app.state, call.id).await.unwrap().unwrap();
    let closed = store::proposal(&app.db, call.id).await.unwrap();
    let tally: Tally = serde_json::from_str(closed.tally.as_deref().unwrap()).unwrap();
    assert_eq!(tally.outcome, Outcome::Elected(vec![0, 2]));
    let projects = store::projects(&app.db, call.id).await.unwrap();
    let flags: Vec<(&str, bool, bool)> = projects
        .iter()
        .map(|p| (p.title.as_str(), p.selected, p.greedy_selected))
        .collect();
    assert_eq!(
        flags,
        [
            ("Community kitchen", true, true),
            ("Kitchen garden", false, true),
            ("Seed library", true, false),
            ("Fireworks", false, false),
        ]
    );
    // Paid once, from the fund, to the projects' accounts.
    assert_eq!(closed.effect_status, "applied");
    assert_eq!(grants_posted(&app).await, 2);
    service::apply_effect(&app.state, call.id).await.unwrap();
    assert_eq!(grants_posted(&app).await, 2);
    let paid = distretto_store::accounts::get(&app.db, minority.account_id)
        .await
        .unwrap()
        .balance_minor;
    assert_eq!(paid, 4_000);
    let (stored, recount) = service::recount(&app.db, call.id).await.unwrap();
    assert_eq!(stored.unwrap(), recount);
    let report = distretto_store::ledger::verify::verify(&app.db)
        .await
        .unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    // The results page shows both rules and the funded projects, in Italian.
    let b = signed_in(&app, "v6@budget.example").await;
    let (s, html) = page(
        &b,
        &app,
        &format!("/governance/proposals/{}", call.id),
        "it",
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        html.contains("Finanziato")
            && html.contains("Non ammissibile")
            && html.contains("Not a lasting good."),
        "{html}"
    );
    // The district document carries projects and grants.
    let doc = distretto_store::export::export(&app.db).await.unwrap();
    assert_eq!(
        (doc.governance.projects.len(), doc.governance.grants.len()),
        (4, 2)
    );
}

on_both!(
    decisions_change_the_ledger_and_membership,
    participatory_budget_by_equal_shares
);

/// Effects a stopped server left `applying` are finished from what they left behind: the
/// limit change naming the decision makes it applied; a claim with no trace becomes failed
/// (interrupted), which a coordinator retries; a claim younger than ten minutes is left alone.
async fn effects_left_applying_are_finished_from_their_trace(app: TestApp) {
    let Assembly {
        coord,
        anna,
        bruno,
        body,
        anna_account,
        bruno_account,
    } = assembly(&app, "resume").await;
    let yes = [
        (&coord, Stance::Yes),
        (&anna, Stance::Yes),
        (&bruno, Stance::No),
    ];
    let limits = |account| DecisionEffect::SetLimits {
        account,
        credit_limit_minor: 40_000,
        upper_limit_minor: None,
    };
    // Applied, but the server stopped before recording it: its claim time unknown.
    let applied = service::create_proposal(
        &app.state,
        &coord,
        body,
        &proposal("Anna's line", "majority", Some(limits(anna_account))),
    )
    .await
    .unwrap();
    assert_eq!(
        decide(&app, &coord, applied.id, &yes).await.effect_status,
        "applied"
    );
    let n = app
        .execute("UPDATE gov_proposals SET effect_status = 'applying', effect_claimed_at = NULL WHERE title = 'Anna''s line'")
        .await
        .unwrap();
    assert_eq!(n, 1);
    // Claimed just now and not applied (yet, or ever: the server stopped).
    let claimed = service::create_proposal(
        &app.state,
        &coord,
        body,
        &proposal("Bruno's line", "majority", Some(limits(bruno_account))),
    )
    .await
    .unwrap();
    let n = app
        .execute("UPDATE gov_proposals SET effect_status = 'pending' WHERE title = 'Bruno''s line'")
        .await
        .unwrap();
    assert_eq!(n, 1);
    let now = distretto_store::now();
    assert!(store::claim_effect(&app.db, claimed.id, now).await.unwrap());
    let bruno_before = distretto_store::accounts::get(&app.db, bruno_account)
        .await
        .unwrap()
        .credit_limit_minor;

    assert_eq!(
        service::finish_interrupted_effects(&app.state, now)
            .await
            .unwrap(),
        1
    );
    let p = store::proposal(&app.db, applied.id).await.unwrap();
    assert_eq!(
        (p.effect_status.as_str(), p.effect_note.as_str()),
        ("applied", "")
    );
    let p = store::proposal(&app.db, claimed.id).await.unwrap();
    assert_eq!(
        p.effect_status, "applying",
        "a fresh claim is left to its server"
    );

    let later = now + service::INTERRUPTED_AFTER + time::Duration::minutes(1);
    assert_eq!(
        service::finish_interrupted_effects(&app.state, later)
            .await
            .unwrap(),
        1
    );
    let p = store::proposal(&app.db, claimed.id).await.unwrap();
    assert_eq!(
        (p.effect_status.as_str(), p.effect_note.as_str()),
        ("failed", "governance_effect_interrupted")
    );
    let account = distretto_store::accounts::get(&app.db, bruno_account)
        .await
        .unwrap();
    assert_eq!(
        account.credit_limit_minor, bruno_before,
        "nothing applied by the recovery"
    );
    // The decision page tells coordinators, in their language, and offers the retry.
    let b = signed_in(&app, "coord@resume.example").await;
    let (s, html) = page(
        &b,
        &app,
        &format!("/governance/proposals/{}", claimed.id),
        "it",
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        html.contains("Il server si è fermato mentre applicava"),
        "{html}"
    );
    // A coordinator retries: now it applies.
    service::retry_effect(&app.state, &coord, claimed.id)
        .await
        .unwrap();
    let p = store::proposal(&app.db, claimed.id).await.unwrap();
    assert_eq!(p.effect_status, "applied", "{}", p.effect_note);
    let account = distretto_store::accounts::get(&app.db, bruno_account)
        .await
        .unwrap();
    assert_eq!(account.credit_limit_minor, 40_000);
    assert_eq!(
        service::finish_interrupted_effects(&app.state, later)
            .await
            .unwrap(),
        0
    );
}
on_both!(effects_left_applying_are_finished_from_their_trace);
