//! The governance authorization matrix: every route of the governance pages for every role,
//! with the expected status read from `governance_authz.table` (kept readable beside this
//! file). Each line runs against fresh objects; a POST that is refused must leave every
//! governance table as it was. Then the field-level checks: the published ballots of a secret
//! vote show receipts and no voter's name to anyone, coordinators and administrators included,
//! while an open vote's ballots show names.

use crate::harness::{PASSWORD, TestApp, browser, csrf_of, page, signed_in};
use crate::on_both;
use distretto_domain::governance::{Choice, Stance};
use distretto_domain::membership::Role;
use distretto_store::governance as store;
use distretto_web::auth::viewer::Actor;
use distretto_web::governance::service::{self, BodyInput, ProposalInput};
use std::collections::HashMap;
use uuid::Uuid;

const TABLE: &str = include_str!("governance_authz.table");

const ROLES: [&str; 8] = [
    "anonymous",
    "person",
    "other_person",
    "org_admin",
    "other_org_admin",
    "coordinator",
    "administrator",
    "registered",
];

/// The routes of `governance::pages::router()`, read from its source (so a new route without
/// lines in the table fails this test): (method, path with `{}` for each parameter).
fn routes() -> Vec<(&'static str, String)> {
    let source = include_str!("../../src/governance/pages.rs");
    let start = source.find("fn router()").expect("the router");
    let body = &source[start..];
    let body = &body[..body.find("\n}\n").expect("the router's end")];
    let mut out = Vec::new();
    for call in body.split(".route(").skip(1) {
        let path = call.split('"').nth(1).expect("a route's path");
        let path = route_of(path);
        if call.contains("get(") {
            out.push(("GET", path.clone()));
        }
        if call.contains("post(") {
            out.push(("POST", path));
        }
    }
    assert!(out.len() >= 16, "the router's routes: {out:?}");
    out
}

/// A table path as a route: each `{placeholder}` and the action's name become `{}`.
fn route_of(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let action = i > 0 && segments[i - 1] == "action";
            if s.starts_with('{') || action {
                "{}"
            } else {
                *s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// One line of the table.
#[derive(Debug)]
struct Line {
    number: usize,
    method: String,
    path: String,
    role: String,
    status: u16,
    form: String,
}

fn lines() -> Vec<Line> {
    TABLE
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            assert!(
                (4..=5).contains(&cols.len()),
                "line {}: 4 or 5 columns: {l}",
                i + 1
            );
            assert!(
                ROLES.contains(&cols[2]),
                "line {}: unknown role {}",
                i + 1,
                cols[2]
            );
            assert!(
                matches!(cols[0], "GET" | "POST"),
                "line {}: method {}",
                i + 1,
                cols[0]
            );
            Line {
                number: i + 1,
                method: cols[0].to_owned(),
                path: cols[1].to_owned(),
                role: cols[2].to_owned(),
                status: cols[3]
                    .parse()
                    .unwrap_or_else(|_| panic!("line {}: status {}", i + 1, cols[3])),
                form: cols.get(4).copied().unwrap_or_default().to_owned(),
            }
        })
        .collect()
}

/// Someone acting in the matrix: their browser, its CSRF token, and who they are.
struct Who {
    client: reqwest::Client,
    csrf: String,
    actor: Option<Actor>,
}

pub(crate) async fn hash() -> String {
    distretto_web::auth::crypto::hash_password(PASSWORD.into())
        .await
        .unwrap()
}

pub(crate) async fn created(
    app: &TestApp,
    hash: &str,
    email: &str,
    name: &str,
    role: Role,
) -> Actor {
    let id = distretto_web::membership::service::create_member(
        &app.db,
        email,
        name,
        hash,
        role,
        &distretto_web::WebConfig::default().currency,
    )
    .await
    .unwrap();
    actor_of(app, id).await
}

pub(crate) async fn actor_of(app: &TestApp, id: Uuid) -> Actor {
    let p = distretto_store::membership::person(&app.db, id)
        .await
        .unwrap();
    Actor {
        id,
        email: p.email,
        name: p.name,
        role: Role::parse(&p.role).unwrap_or(Role::Person),
        membership_status: p.membership_status,
    }
}

async fn who(app: &TestApp, actor: Option<Actor>) -> Who {
    let (client, first) = match &actor {
        Some(a) => (signed_in(app, &a.email).await, "/governance"),
        None => (browser(), "/sign-in"),
    };
    let (s, html) = page(&client, app, first, "en").await;
    assert_eq!(s, 200, "{first}: {html}");
    Who {
        csrf: csrf_of(&html),
        client,
        actor,
    }
}

pub(crate) fn majority(title: &str, secret: bool) -> ProposalInput {
    ProposalInput {
        title: title.into(),
        text: "We propose it.".into(),
        method: "majority".into(),
        options: Vec::new(),
        threshold: "more_than_half".into(),
        quorum_percent: 0,
        seats: 1,
        max_approvals: None,
        max_score: 5,
        secret,
        effect: None,
        budget_minor: None,
    }
}

pub(crate) async fn body(app: &TestApp, coord: &Actor, name: &str, electorate: &str) -> Uuid {
    let colleges = if electorate == "colleges" {
        vec![("Workers".to_owned(), 40)]
    } else {
        Vec::new()
    };
    service::create_body(
        &app.state,
        coord,
        BodyInput {
            name: name.into(),
            description: String::new(),
            electorate: electorate.into(),
            max_proxies: 2,
            colleges,
        },
    )
    .await
    .unwrap()
    .id
}

pub(crate) fn closes() -> time::OffsetDateTime {
    distretto_store::now() + time::Duration::days(2)
}

/// A proposal of `author` in `body`, opened for voting.
pub(crate) async fn voting(
    app: &TestApp,
    author: &Actor,
    body: Uuid,
    title: &str,
    secret: bool,
) -> Uuid {
    let p = service::create_proposal(&app.state, author, body, &majority(title, secret))
        .await
        .unwrap();
    service::open_voting(&app.state, author, p.id, closes())
        .await
        .unwrap();
    p.id
}

/// Everything a table line may name, as placeholder → value: the shared objects, and fresh
/// ones made for this line (only the proposals and proxies it names, to keep the run short).
async fn fresh_objects(
    app: &TestApp,
    cast: &HashMap<&str, Who>,
    shared: &HashMap<String, String>,
    line: &str,
) -> HashMap<String, String> {
    let wants = |k: &str| line.contains(&format!("{{{k}}}"));
    let actor = |r: &str| cast[r].actor.clone().unwrap();
    let (coord, person, other) = (actor("coordinator"), actor("person"), actor("other_person"));
    let people = body(app, &coord, "Members", "people").await;
    let council = body(app, &coord, "Council", "colleges").await;
    let orgs = body(app, &coord, "District", "organizations").await;
    let college = store::colleges(&app.db, council).await.unwrap()[0].id;
    let mut out = shared.clone();
    for (k, v) in [
        ("body", people),
        ("council", council),
        ("orgbody", orgs),
        ("college", college),
    ] {
        out.insert(k.into(), v.to_string());
    }
    if wants("draft") {
        let draft =
            service::create_proposal(&app.state, &person, people, &majority("Draft", false))
                .await
                .unwrap()
                .id;
        out.insert("draft".into(), draft.to_string());
    }
    if wants("voting") || wants("proxy") {
        // The vote, and person's proxy to other_person for it alone.
        let vote = voting(app, &person, people, "Voting", false).await;
        let proxy =
            service::give_proxy(&app.state, &person, people, person.id, other.id, Some(vote))
                .await
                .unwrap()
                .id;
        out.insert("voting".into(), vote.to_string());
        out.insert("proxy".into(), proxy.to_string());
    }
    if wants("voting2") {
        // Another vote, whose proxy from person to other_person was revoked.
        let vote = voting(app, &person, people, "Voting again", false).await;
        let proxy =
            service::give_proxy(&app.state, &person, people, person.id, other.id, Some(vote))
                .await
                .unwrap()
                .id;
        service::revoke_proxy(&app.state, &person, people, proxy)
            .await
            .unwrap();
        out.insert("voting2".into(), vote.to_string());
    }
    if wants("repproxy") {
        // {org} designates a representative in {orgbody}, who gives its proxy there.
        let rep = actor("representative");
        let org = Uuid::parse_str(&shared["org"]).unwrap();
        store::set_representative(
            &app.db,
            &store::RepresentativeRow {
                body_id: orgs,
                organization_id: org,
                person_id: rep.id,
            },
        )
        .await
        .unwrap();
        let proxy = service::give_proxy(&app.state, &rep, orgs, org, other.id, None)
            .await
            .unwrap()
            .id;
        out.insert("repproxy".into(), proxy.to_string());
    }
    if wants("call") || wants("project") {
        // A coordinator's participatory budget in {body}, with a project of person's.
        let mut input = majority("Budget", false);
        input.method = service::EQUAL_SHARES.into();
        input.budget_minor = Some(10_000);
        let call = service::create_proposal(&app.state, &coord, people, &input)
            .await
            .unwrap()
            .id;
        let account = distretto_store::accounts::of_owner(&app.db, "person", person.id)
            .await
            .unwrap()[0]
            .id;
        let project = service::ProjectInput {
            title: "Seed library".into(),
            description: "Shelves".into(),
            cost_minor: 4_000,
            account,
        };
        let project = service::submit_project(&app.state, &person, call, &project)
            .await
            .unwrap()
            .id;
        out.insert("call".into(), call.to_string());
        out.insert("project".into(), project.to_string());
    }
    if wants("amendment") {
        // other_person's open amendment of person's {draft}.
        let draft = Uuid::parse_str(&out["draft"]).unwrap();
        let amendment = service::amend(&app.state, &other, draft, "A better text.", "")
            .await
            .unwrap()
            .id;
        out.insert("amendment".into(), amendment.to_string());
    }
    if wants("orgvoting") {
        let orgvote = voting(app, &coord, orgs, "Org voting", false).await;
        out.insert("orgvoting".into(), orgvote.to_string());
    }
    out
}

fn fill(text: &str, values: &HashMap<String, String>) -> String {
    let mut out = text.to_owned();
    for (k, v) in values {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    assert!(!out.contains('{'), "unknown placeholder in {out}");
    out
}

/// Everything in the governance tables, to tell whether a request changed anything.
async fn snapshot(app: &TestApp) -> String {
    let mut out = String::new();
    for table in [
        "gov_bodies",
        "gov_colleges",
        "gov_body_voters",
        "gov_representatives",
        "gov_proposals",
        "gov_comments",
        "gov_electorate",
        "gov_proxies",
        "gov_proxies WHERE revoked_at IS NULL",
        "gov_ballots",
        "gov_register",
        "gov_secret_ballots",
        "gov_amendments",
        "gov_projects",
        "gov_grants",
    ] {
        out.push_str(&format!("{table}: {}\n", app.count(table).await));
    }
    for p in store::proposals(&app.db, None, 10_000).await.unwrap() {
        out.push_str(&format!("{p:?}\n"));
        for b in store::open_ballots(&app.db, p.id).await.unwrap() {
            out.push_str(&format!("  {b:?}\n"));
        }
    }
    out
}

async fn request(app: &TestApp, who: &Who, method: &str, path: &str, form: &str) -> u16 {
    let res = if method == "GET" {
        who.client.get(app.url(path))
    } else {
        let mut fields: Vec<(String, String)> = vec![("csrf".into(), who.csrf.clone())];
        fields.extend(form.split('&').filter(|kv| !kv.is_empty()).map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_owned(), v.to_owned())
        }));
        who.client.post(app.url(path)).form(&fields)
    };
    res.header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The `<main>` of a page: what the page says, without the header naming who is signed in.
fn main_of(html: &str) -> &str {
    let start = html.find("<main").expect("a main element");
    let end = html.find("</main>").expect("a main element's end");
    &html[start..end]
}

async fn matrix(app: TestApp) {
    let h = hash().await;
    let (coord_id, coord_token) = app.coordinator().await;
    let coordinator = actor_of(&app, Uuid::parse_str(&coord_id).unwrap()).await;
    let administrator = created(
        &app,
        &h,
        "admin@test.example",
        "Adriana Amministratrice",
        Role::Administrator,
    )
    .await;
    let person = created(
        &app,
        &h,
        "paola@test.example",
        "Paola Proponente",
        Role::Person,
    )
    .await;
    let other = created(&app, &h, "otto@test.example", "Otto Altro", Role::Person).await;
    let holder = created(&app, &h, "hugo@test.example", "Hugo Holder", Role::Person).await;
    let (org, _) = app
        .admitted_org(&coord_token, "orga@test.example", "Orto Comune")
        .await;
    let (other_org, _) = app
        .admitted_org(&coord_token, "orgb@test.example", "Forno Sociale")
        .await;
    let org_admin_id = distretto_store::membership::person_by_email(&app.db, "orga@test.example")
        .await
        .unwrap()
        .unwrap()
        .id;
    let other_admin_id = distretto_store::membership::person_by_email(&app.db, "orgb@test.example")
        .await
        .unwrap()
        .unwrap()
        .id;
    let (registered_id, _) = app.person("rita@test.example", "Rita Registrata").await;
    let org_admin = actor_of(&app, org_admin_id).await;
    let other_org_admin = actor_of(&app, other_admin_id).await;
    let registered = actor_of(&app, Uuid::parse_str(&registered_id).unwrap()).await;
    assert_eq!(registered.membership_status, "registered");

    // Shared objects: a closed secret ballot and a closed open one, with distinct voters.
    let voters_body = body(&app, &coordinator, "Assembly", "people").await;
    let secret = voting(&app, &person, voters_body, "Secret", true).await;
    let open = voting(&app, &person, voters_body, "Open", false).await;
    let voters = [&person, &other, &holder, &coordinator, &administrator];
    let mut receipts = Vec::new();
    for (i, v) in voters.iter().enumerate() {
        let stance = if i % 2 == 0 { Stance::Yes } else { Stance::No };
        let voted = service::vote(&app.state, v, secret, v.id, &Choice::Majority(stance))
            .await
            .unwrap();
        receipts.push(voted.receipt.unwrap());
        service::vote(&app.state, v, open, v.id, &Choice::Majority(stance))
            .await
            .unwrap();
    }
    service::close(&app.state, secret).await.unwrap().unwrap();
    service::close(&app.state, open).await.unwrap().unwrap();

    let mut cast: HashMap<&str, Who> = HashMap::new();
    cast.insert("anonymous", who(&app, None).await);
    for (role, actor) in [
        ("person", &person),
        ("other_person", &other),
        ("org_admin", &org_admin),
        ("other_org_admin", &other_org_admin),
        ("coordinator", &coordinator),
        ("administrator", &administrator),
        ("registered", &registered),
    ] {
        cast.insert(role, who(&app, Some(actor.clone())).await);
    }
    // Not a role of the table: the representative {org} designates for {repproxy}.
    cast.insert("representative", who(&app, Some(holder.clone())).await);

    let shared: HashMap<String, String> = [
        ("secret", secret.to_string()),
        ("open", open.to_string()),
        ("person", person.id.to_string()),
        ("org", org.clone()),
        ("other_org", other_org.clone()),
        ("holder_email", holder.email.clone()),
        ("closes", {
            let d = closes().date();
            format!("{d}T18:00")
        }),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();

    let lines = lines();
    assert!(lines.len() > 150, "the table lost lines: {}", lines.len());
    let mut wrong = Vec::new();
    for line in &lines {
        let values = fresh_objects(
            &app,
            &cast,
            &shared,
            &format!("{} {}", line.path, line.form),
        )
        .await;
        let path = fill(&line.path, &values);
        let form = fill(&line.form, &values);
        let before = snapshot(&app).await;
        let status = request(&app, &cast[line.role.as_str()], &line.method, &path, &form).await;
        if status != line.status {
            wrong.push(format!(
                "line {}: {} {} as {} gave {status}, the table says {}",
                line.number, line.method, line.path, line.role, line.status
            ));
        }
        if line.method == "POST" && status != 303 && snapshot(&app).await != before {
            wrong.push(format!(
                "line {}: {} {} as {} was refused ({status}) but changed something",
                line.number, line.method, line.path, line.role
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));

    // Every route of the governance router is in the table for every role.
    for (method, route) in routes() {
        for role in ROLES {
            assert!(
                lines
                    .iter()
                    .any(|l| l.method == method && l.role == role && route_of(&l.path) == route),
                "the table has no line for {method} {route} as {role}"
            );
        }
    }

    // A POST without the CSRF token is refused before the handler and changes nothing.
    let values = fresh_objects(&app, &cast, &shared, "{voting}").await;
    let before = snapshot(&app).await;
    let res = cast["person"]
        .client
        .post(app.url(&fill("/governance/proposals/{voting}/vote", &values)))
        .form(&[("stance", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(snapshot(&app).await, before);

    // Field level: the secret vote's published ballots show every receipt and no voter's
    // name, to every role; the open vote's show the names.
    let names: Vec<&str> = voters.iter().map(|v| v.name.as_str()).collect();
    for role in ROLES.iter().filter(|r| **r != "anonymous") {
        let b = &cast[role].client;
        let (s, html) = page(
            b,
            &app,
            &format!("/governance/proposals/{secret}/ballots"),
            "en",
        )
        .await;
        assert_eq!(s, 200, "{role}");
        let main = main_of(&html);
        for r in &receipts {
            assert!(main.contains(r.as_str()), "{role} misses receipt {r}");
        }
        for n in &names {
            assert!(!main.contains(n), "{role} sees the secret voter {n}");
        }
        // Nor does the proposal's page link a receipt or a choice to anyone.
        let (s, html) = page(b, &app, &format!("/governance/proposals/{secret}"), "en").await;
        assert_eq!(s, 200, "{role}");
        for r in &receipts {
            assert!(!html.contains(r.as_str()), "{role} sees receipt {r}");
        }
        let (s, html) = page(
            b,
            &app,
            &format!("/governance/proposals/{open}/ballots"),
            "en",
        )
        .await;
        assert_eq!(s, 200, "{role}");
        for n in &names {
            assert!(
                main_of(&html).contains(n),
                "{role} misses the open voter {n}"
            );
        }
    }
}

on_both!(matrix);
