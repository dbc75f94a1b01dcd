//! Participation statistics over the page and the CSV: turnout per vote (open and secret
//! ballots, a vote still open), per kind of member (individuals, organisations by kind), per
//! college and per month, against figures computed by hand.

use crate::harness::{PASSWORD, TestApp, browser, page, signed_in};
use crate::on_both;
use distretto_domain::governance::{Choice, Stance};
use distretto_domain::membership::Role;
use distretto_store::Db;
use distretto_store::governance as store;
use distretto_web::auth::viewer::Actor;
use distretto_web::governance::service::{self, BodyInput, ProposalInput};
use uuid::Uuid;

async fn member(app: &TestApp, email: &str, name: &str, hash: &str) -> Actor {
    app.actor(email, name, Role::Person, hash).await
}

fn majority(title: &str, secret: bool) -> ProposalInput {
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

/// Creates a proposal in `body` and opens its vote until `closes`.
async fn opened(
    app: &TestApp,
    author: &Actor,
    body: Uuid,
    title: &str,
    secret: bool,
    closes: time::OffsetDateTime,
) -> Uuid {
    let p = service::create_proposal(&app.state, author, body, &majority(title, secret))
        .await
        .unwrap();
    service::open_voting(&app.state, author, p.id, closes)
        .await
        .unwrap();
    p.id
}

async fn yes(app: &TestApp, actor: &Actor, proposal: Uuid, voter: Uuid) {
    service::vote(
        &app.state,
        actor,
        proposal,
        voter,
        &Choice::Majority(Stance::Yes),
    )
    .await
    .unwrap();
}

/// The fixture, by hand:
/// - the assembly (one member, one vote) has 4 voters: the coordinator, Anna, Bruno, Chiara.
///   "Open ballot": 3 of 4 vote (75.0 %), 2 comments. "Secret ballot": 1 of 4 (25.0 %).
///   "Still open": 2 of 4 so far (50.0 %), not closed, so out of every aggregate.
/// - the council (colleges): Producers = the farm; Consumers = Anna and Bruno. "Council
///   vote": the farm (by its admin) and Anna vote: Producers 1/1 (100.0 %), Consumers 1/2
///   (50.0 %), the vote 2/3 (66.7 %).
///
/// Over the three closed votes: 6 of 11 (54.5 %); average per vote (75 + 25 + 66.67) / 3 =
/// 55.56 → 55.6 %. Individual members 3 + 1 + 1 of 4 + 4 + 2 = 5 of 10 (50.0 %); member
/// organisations and farms 1 of 1 (100.0 %).
async fn turnout_figures(app: TestApp) {
    let (coord_id, coord_token) = app.coordinator().await;
    let coord = Actor {
        id: Uuid::parse_str(&coord_id).unwrap(),
        email: "coord@test.example".into(),
        name: "Carla Coordinatrice".into(),
        role: Role::Coordinator,
        membership_status: "member".into(),
    };
    let hash = distretto_web::auth::crypto::hash_password(PASSWORD.into())
        .await
        .unwrap();
    let anna = member(&app, "anna@test.example", "Anna", &hash).await;
    let bruno = member(&app, "bruno@test.example", "Bruno", &hash).await;
    let chiara = member(&app, "chiara@test.example", "Chiara", &hash).await;

    // Nothing closed yet: the page says so, and anonymous readers get nothing.
    let a = signed_in(&app, "anna@test.example").await;
    let (s, html) = page(&a, &app, "/governance/participation", "en").await;
    assert_eq!(s, 200);
    assert!(html.contains("No vote has closed yet."), "{html}");
    let (s, _) = page(&browser(), &app, "/governance/participation", "en").await;
    assert_ne!(s, 200);
    let (s, _) = page(&browser(), &app, "/governance/participation.csv", "en").await;
    assert_ne!(s, 200);
    let (_, overview) = page(&a, &app, "/governance", "en").await;
    assert!(overview.contains(r#"href="/governance/participation""#));

    let assembly = service::create_body(
        &app.state,
        &coord,
        BodyInput {
            name: "Assembly".into(),
            description: String::new(),
            electorate: "people".into(),
            max_proxies: 1,
            colleges: Vec::new(),
        },
    )
    .await
    .unwrap()
    .id;
    let closes = distretto_store::now() + time::Duration::days(1);
    let open_ballot = {
        let p = service::create_proposal(
            &app.state,
            &coord,
            assembly,
            &majority("Open ballot", false),
        )
        .await
        .unwrap();
        service::comment(&app.state, &anna, p.id, None, "Good idea.")
            .await
            .unwrap();
        service::comment(&app.state, &bruno, p.id, None, "Agreed.")
            .await
            .unwrap();
        service::open_voting(&app.state, &coord, p.id, closes)
            .await
            .unwrap();
        p.id
    };
    let secret_ballot = opened(&app, &coord, assembly, "Secret ballot", true, closes).await;
    let still_open = opened(&app, &coord, assembly, "Still open", false, closes).await;
    assert_eq!(
        store::electorate(&app.db, open_ballot).await.unwrap().len(),
        4
    );
    yes(&app, &coord, open_ballot, coord.id).await;
    yes(&app, &anna, open_ballot, anna.id).await;
    yes(&app, &bruno, open_ballot, bruno.id).await;
    yes(&app, &chiara, secret_ballot, chiara.id).await;
    yes(&app, &anna, still_open, anna.id).await;
    yes(&app, &bruno, still_open, bruno.id).await;

    // The council: a farm and two people in two colleges.
    let (farm, _) = app
        .admitted_org_of(
            &coord_token,
            "farm@test.example",
            "Cascina Verde",
            "farm",
            ("Aosta", "45.73", "7.32"),
        )
        .await;
    let farm = Uuid::parse_str(&farm).unwrap();
    let farmer = distretto_store::membership::person_by_email(&app.db, "farm@test.example")
        .await
        .unwrap()
        .unwrap();
    let farmer = Actor {
        id: farmer.id,
        email: farmer.email.clone(),
        name: farmer.name.clone(),
        role: Role::Person,
        membership_status: farmer.membership_status.clone(),
    };
    let council = service::create_body(
        &app.state,
        &coord,
        BodyInput {
            name: "Council".into(),
            description: String::new(),
            electorate: "colleges".into(),
            max_proxies: 0,
            colleges: vec![("Producers".into(), 50), ("Consumers".into(), 50)],
        },
    )
    .await
    .unwrap()
    .id;
    let colleges = store::colleges(&app.db, council).await.unwrap();
    let college = |name: &str| colleges.iter().find(|c| c.name == name).unwrap().id;
    service::set_voter(&app.state, &coord, council, farm, college("Producers"))
        .await
        .unwrap();
    for p in [&anna, &bruno] {
        service::set_voter(&app.state, &coord, council, p.id, college("Consumers"))
            .await
            .unwrap();
    }
    let council_vote = opened(&app, &coord, council, "Council vote", false, closes).await;
    yes(&app, &farmer, council_vote, farm).await;
    yes(&app, &anna, council_vote, anna.id).await;

    for p in [open_ballot, secret_ballot, council_vote] {
        service::close(&app.state, p).await.unwrap().unwrap();
    }
    let month = {
        let t = store::proposal(&app.db, open_ballot)
            .await
            .unwrap()
            .closes_at
            .unwrap();
        format!("{:04}-{:02}", t.year(), u8::from(t.month()))
    };

    // The page, in English.
    let (s, html) = page(&a, &app, "/governance/participation", "en").await;
    assert_eq!(s, 200, "{html}");
    let flat: String = html.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(r#"<dd id="overall-votes">3</dd>"#), "{flat}");
    assert!(flat.contains(r#"<dd id="overall-pooled">54.5 % (6 / 11)</dd>"#));
    assert!(flat.contains(r#"<dd id="overall-average">55.6 %</dd>"#));
    let row = |cells: &[&str]| {
        cells
            .iter()
            .map(|c| format!(r#"<td class="num">{c}</td>"#))
            .collect::<Vec<_>>()
            .join(" ")
    };
    for (title, id, cells) in [
        ("Open ballot", open_ballot, row(&["4", "3", "75.0 %", "2"])),
        (
            "Secret ballot",
            secret_ballot,
            row(&["4", "1", "25.0 %", "0"]),
        ),
        ("Still open", still_open, row(&["4", "2", "50.0 %", "0"])),
        (
            "Council vote",
            council_vote,
            row(&["3", "2", "66.7 %", "0"]),
        ),
    ] {
        let link = format!(r#"<a href="/governance/proposals/{id}">#"#);
        let at = flat
            .find(&link)
            .unwrap_or_else(|| panic!("{title}: {flat}"));
        let line = &flat[at..at + flat[at..].find("</tr>").unwrap()];
        assert!(line.contains(title), "{line}");
        assert!(line.contains(&cells), "{title}: {line}");
    }
    for (label, cells) in [
        ("Individual members", row(&["10", "5", "50.0 %"])),
        ("Member organisations", row(&["1", "1", "100.0 %"])),
        ("— Farm", row(&["1", "1", "100.0 %"])),
    ] {
        assert!(
            flat.contains(&format!(r#"<th scope="row">{label}</th> {cells}"#)),
            "{label}: {flat}"
        );
    }
    for (college, cells) in [
        ("Consumers", row(&["2", "1", "50.0 %"])),
        ("Producers", row(&["1", "1", "100.0 %"])),
    ] {
        assert!(
            flat.contains(&format!(
                r#"<td>Council</td> <th scope="row">{college}</th> {cells}"#
            )),
            "{college}: {flat}"
        );
    }
    assert!(
        flat.contains(&format!(
            r#"<th scope="row">{month}</th> {}"#,
            row(&["3", "11", "6", "54.5 %", "55.6 %"])
        )),
        "{flat}"
    );
    // One month: a chart of one bar, with its text alternative; no trend yet.
    assert!(flat.contains(
        r#"role="img" aria-labelledby="participation-chart-title participation-chart-desc""#
    ));
    assert!(flat.contains(&format!(
        "Average turnout per vote in {month}: 55.6 %; in {month}: 55.6 %."
    )));
    assert!(!flat.contains(r#"id="trend""#));

    // In French, with the French decimal comma.
    let (s, html) = page(&a, &app, "/governance/participation", "fr").await;
    assert_eq!(s, 200);
    assert!(html.contains("Participation aux votes"));
    assert!(html.contains("75,0 %") && html.contains("54,5 %"), "{html}");
    assert!(html.contains("Membres individuels"));

    // The CSV.
    let res = a
        .get(app.url("/governance/participation.csv"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    let csv = res.text().await.unwrap();
    let mut numbers = Vec::new();
    for id in [open_ballot, secret_ballot, still_open, council_vote] {
        numbers.push(store::proposal(&app.db, id).await.unwrap().number);
    }
    let mut expected = vec![
        "scope,key,label,status,votes,electorate,cast,turnout_percent,average_percent,comments"
            .to_owned(),
        "all,,,,3,11,6,54.5,55.6,".to_owned(),
    ];
    // Votes, latest closing first: all close together, so by number, highest first.
    let mut votes = [
        (numbers[0], "Open ballot,closed,1,4,3,75.0,,2"),
        (numbers[1], "Secret ballot,closed,1,4,1,25.0,,0"),
        (numbers[2], "Still open,voting,1,4,2,50.0,,0"),
        (numbers[3], "Council vote,closed,1,3,2,66.7,,0"),
    ];
    votes.sort_by_key(|v| std::cmp::Reverse(v.0));
    expected.extend(votes.iter().map(|(n, rest)| format!("vote,{n},{rest}")));
    let quarter = {
        let m: u8 = month[5..].parse().unwrap();
        format!("{}-Q{}", &month[..4], (m - 1) / 3 + 1)
    };
    expected.extend([
        format!("month,{month},,,3,11,6,54.5,55.6,"),
        format!("quarter,{quarter},,,3,11,6,54.5,55.6,"),
        "college,Council,Consumers,,,2,1,50.0,,".to_owned(),
        "college,Council,Producers,,,1,1,100.0,,".to_owned(),
        "kind,person,Individual members,,,10,5,50.0,,".to_owned(),
        "kind,organization,Member organisations,,,1,1,100.0,,".to_owned(),
        "kind,organization:farm,Farm,,,1,1,100.0,,".to_owned(),
    ]);
    let got: Vec<&str> = csv.lines().collect();
    assert_eq!(got, expected, "{csv}");
}

/// Moves a closed vote's closing time, as if it had closed then (only the figures over time
/// read it).
async fn closed_on(app: &TestApp, proposal: Uuid, date: time::OffsetDateTime) {
    let sql = "UPDATE gov_proposals SET closes_at = $1, closed_at = $1 WHERE id = $2 AND status = 'closed'";
    let done = match &app.db {
        Db::Sqlite { write, .. } => sqlx::query(sql)
            .bind(date)
            .bind(proposal)
            .execute(write)
            .await
            .unwrap()
            .rows_affected(),
        Db::Postgres(p) => sqlx::query(sql)
            .bind(date)
            .bind(proposal)
            .execute(p)
            .await
            .unwrap()
            .rows_affected(),
    };
    assert_eq!(done, 1);
}

/// A year of votes in an assembly of 4: January 2025 2 of 4, February 1 of 4 (Q1: 3 of 8,
/// average 37.5 %), November 4 of 4 and 3 of 4 (Q4: 7 of 8, 87.5 %). Participation rises by
/// 50.0 points; the chart has a slot for each of the 11 months, bars for 3.
async fn turnout_over_time(app: TestApp) {
    let (coord_id, _) = app.coordinator().await;
    let coord = Actor {
        id: Uuid::parse_str(&coord_id).unwrap(),
        email: "coord@test.example".into(),
        name: "Carla Coordinatrice".into(),
        role: Role::Coordinator,
        membership_status: "member".into(),
    };
    let hash = distretto_web::auth::crypto::hash_password(PASSWORD.into())
        .await
        .unwrap();
    let anna = member(&app, "anna@test.example", "Anna", &hash).await;
    let bruno = member(&app, "bruno@test.example", "Bruno", &hash).await;
    let chiara = member(&app, "chiara@test.example", "Chiara", &hash).await;
    let everyone = [&coord, &anna, &bruno, &chiara];
    let assembly = service::create_body(
        &app.state,
        &coord,
        BodyInput {
            name: "Assembly".into(),
            description: String::new(),
            electorate: "people".into(),
            max_proxies: 0,
            colleges: Vec::new(),
        },
    )
    .await
    .unwrap()
    .id;
    let closes = distretto_store::now() + time::Duration::days(1);
    for (title, voters, date) in [
        ("January", 2, time::macros::datetime!(2025-01-15 18:00 UTC)),
        ("February", 1, time::macros::datetime!(2025-02-10 18:00 UTC)),
        (
            "November A",
            4,
            time::macros::datetime!(2025-11-20 18:00 UTC),
        ),
        (
            "November B",
            3,
            time::macros::datetime!(2025-11-05 18:00 UTC),
        ),
    ] {
        let p = opened(&app, &coord, assembly, title, false, closes).await;
        for v in &everyone[..voters] {
            yes(&app, v, p, v.id).await;
        }
        service::close(&app.state, p).await.unwrap().unwrap();
        closed_on(&app, p, date).await;
    }

    let a = signed_in(&app, "anna@test.example").await;
    let (s, html) = page(&a, &app, "/governance/participation", "en").await;
    assert_eq!(s, 200);
    let flat: String = html.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(
            r#"<p id="trend">Participation is rising: from 37.5 % in Q1 2025 to 87.5 % in Q4 2025 (+50.0 points).</p>"#
        ),
        "{flat}"
    );
    let row = |label: &str, cells: &[&str]| {
        let tds: Vec<String> = cells
            .iter()
            .map(|c| format!(r#"<td class="num">{c}</td>"#))
            .collect();
        format!(r#"<th scope="row">{label}</th> {}"#, tds.join(" "))
    };
    // Latest first.
    let months = [
        row("2025-11", &["2", "8", "7", "87.5 %", "87.5 %"]),
        row("2025-02", &["1", "4", "1", "25.0 %", "25.0 %"]),
        row("2025-01", &["1", "4", "2", "50.0 %", "50.0 %"]),
    ];
    let at: Vec<usize> = months
        .iter()
        .map(|m| {
            flat.find(m.as_str())
                .unwrap_or_else(|| panic!("{m}: {flat}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
    assert!(flat.contains(&row("Q4 2025", &["2", "8", "7", "87.5 %", "87.5 %"])));
    assert!(flat.contains(&row("Q1 2025", &["2", "8", "3", "37.5 %", "37.5 %"])));
    assert!(flat.contains(
        "Average turnout per vote in 2025-01: 50.0 %; in 2025-11: 87.5 %. Lowest in 2025-02 (25.0 %), highest in 2025-11 (87.5 %)."
    ));
    assert_eq!(flat.matches("<rect ").count(), 3);

    let (_, html) = page(&a, &app, "/governance/participation", "fr").await;
    assert!(
        html.contains(
            "La participation progresse : de 37,5 % au T1 2025 à 87,5 % au T4 2025 (+50,0 points)."
        ),
        "{html}"
    );
    let (_, html) = page(&a, &app, "/governance/participation", "it").await;
    assert!(html.contains("4° trimestre 2025"), "{html}");

    let csv = a
        .get(app.url("/governance/participation.csv"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "all,,,,4,16,10,62.5,62.5,",
        "month,2025-01,,,1,4,2,50.0,50.0,",
        "month,2025-02,,,1,4,1,25.0,25.0,",
        "month,2025-11,,,2,8,7,87.5,87.5,",
        "quarter,2025-Q1,,,2,8,3,37.5,37.5,",
        "quarter,2025-Q4,,,2,8,7,87.5,87.5,",
        "kind,person,Individual members,,,16,10,62.5,,",
    ] {
        assert!(csv.lines().any(|l| l == line), "{line}: {csv}");
    }
}

on_both!(turnout_figures, turnout_over_time);
