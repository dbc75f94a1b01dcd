//! Governance over the pages and the service: bodies, a proposal's journey from draft to result,
//! refusals that change nothing, secret ballots with receipts, proxies (cap, in-person
//! override), a 200-voter storm with double submissions and proxies whose tally equals an
//! independent recount, and votes racing the close.

use crate::harness::{TestApp, page, password_hash, signed_in, submit};
use crate::on_both;
use distretto_domain::governance::{Choice, Outcome, Stance, Tally};
use distretto_domain::membership::Role;
use distretto_store::governance as store;
use distretto_web::auth::viewer::Actor;
use distretto_web::governance::service::{self, BodyInput, ProposalInput};
use uuid::Uuid;

/// A member (individual membership granted), as the service sees them.
async fn member(app: &TestApp, email: &str, name: &str, hash: &str) -> Actor {
    app.actor(email, name, Role::Person, hash).await
}

fn coordinator_actor(id: &str) -> Actor {
    Actor {
        id: Uuid::parse_str(id).unwrap(),
        email: "coord@test.example".into(),
        name: "Carla Coordinatrice".into(),
        role: Role::Coordinator,
        membership_status: "member".into(),
    }
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

async fn people_body(app: &TestApp, coord: &Actor, max_proxies: i32) -> Uuid {
    service::create_body(
        &app.state,
        coord,
        BodyInput {
            name: "Assemblea".into(),
            description: String::new(),
            electorate: "people".into(),
            max_proxies,
            colleges: Vec::new(),
        },
    )
    .await
    .unwrap()
    .id
}

fn tally_of(p: &store::ProposalRow) -> Tally {
    serde_json::from_str(p.tally.as_deref().unwrap()).unwrap()
}

/// A proposal from draft to result over the pages, in French and English, with the refusals
/// along the way writing nothing.
async fn journey_over_pages(app: TestApp) {
    let (coord_id, _) = app.coordinator().await;
    let hash = password_hash().await;
    let anna = member(&app, "anna@test.example", "Anna", &hash).await;
    member(&app, "bruno@test.example", "Bruno", &hash).await;
    member(&app, "chiara@test.example", "Chiara", &hash).await;
    let coord = signed_in(&app, "coord@test.example").await;
    let a = signed_in(&app, "anna@test.example").await;
    let b = signed_in(&app, "bruno@test.example").await;

    // Only a coordinator creates a body.
    let (s, _, _) = submit(
        &a,
        &app,
        "/governance",
        "/governance/bodies/new",
        "en",
        &[
            ("name", "X"),
            ("electorate", "people"),
            ("max_proxies", "1"),
        ],
    )
    .await;
    assert_eq!(s, 403);
    let (s, _, html) = submit(
        &coord,
        &app,
        "/governance/bodies/new",
        "/governance/bodies/new",
        "fr",
        &[
            ("name", "Assemblée"),
            ("electorate", "colleges"),
            ("max_proxies", "1"),
        ],
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("Un organe à collèges a besoin"), "{html}");
    assert!(store::bodies(&app.db).await.unwrap().is_empty());
    let (s, location, _) = submit(
        &coord,
        &app,
        "/governance/bodies/new",
        "/governance/bodies/new",
        "en",
        &[
            ("name", "District assembly"),
            ("electorate", "people"),
            ("max_proxies", "1"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    let body = store::bodies(&app.db).await.unwrap()[0].id;
    assert!(location.starts_with(&format!("/governance/bodies/{body}")));

    // A bad proposal is refused in the user's language and nothing is written.
    let new = format!("/governance/bodies/{body}/proposals/new");
    let (s, _, html) = submit(
        &a,
        &app,
        &new,
        &new,
        "it",
        &[
            ("title", "Orari"),
            ("text", "Quali orari?"),
            ("method", "approval"),
            ("threshold", "more_than_half"),
            ("options", ""),
        ],
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        html.contains("Questo metodo ha bisogno di opzioni"),
        "{html}"
    );
    assert!(
        store::proposals(&app.db, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let (s, location, _) = submit(
        &a,
        &app,
        &new,
        &new,
        "en",
        &[
            ("title", "Open the shop on Saturdays"),
            ("text", "From March."),
            ("method", "majority"),
            ("threshold", "more_than_half"),
            ("quorum_percent", "50"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{location}");
    let p = store::proposals(&app.db, None, 10).await.unwrap()[0].clone();
    assert_eq!((p.status.as_str(), p.author_id), ("draft", anna.id));
    let path = format!("/governance/proposals/{}", p.id);

    // Someone else cannot steer it; its author opens the deliberation and the vote.
    let (s, _, _) = submit(
        &b,
        &app,
        &path,
        &format!("{path}/action/deliberate"),
        "en",
        &[],
    )
    .await;
    assert_eq!(s, 403);
    let (s, _, _) = submit(
        &a,
        &app,
        &path,
        &format!("{path}/action/deliberate"),
        "en",
        &[],
    )
    .await;
    assert_eq!(s, 303);
    let (s, _, _) = submit(
        &b,
        &app,
        &path,
        &format!("{path}/comments"),
        "en",
        &[("comment", "Who keeps the keys?")],
    )
    .await;
    assert_eq!(s, 303);
    let question = store::comments(&app.db, p.id).await.unwrap()[0]
        .id
        .to_string();
    let (s, _, _) = submit(
        &a,
        &app,
        &path,
        &format!("{path}/comments"),
        "en",
        &[("comment", "The bakery."), ("parent", question.as_str())],
    )
    .await;
    assert_eq!(s, 303);
    // Bruno proposes an amendment; Anna, the author, accepts it and the text changes; a
    // second one she declines changes nothing.
    let (s, _, _) = submit(
        &b,
        &app,
        &path,
        &format!("{path}/amendments"),
        "en",
        &[
            ("amendment", "From March, 9 to 13."),
            ("amendment_note", "Say the hours"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    let (s, _, _) = submit(
        &b,
        &app,
        &path,
        &format!("{path}/amendments"),
        "en",
        &[("amendment", "Never."), ("amendment_note", "")],
    )
    .await;
    assert_eq!(s, 303);
    let amendments = store::amendments(&app.db, p.id).await.unwrap();
    let (first, second) = (amendments[0].id, amendments[1].id);
    let (s, _, _) = submit(
        &b,
        &app,
        &path,
        &format!("{path}/amendments/{first}/action/accept"),
        "en",
        &[],
    )
    .await;
    assert_eq!(s, 403, "only the author accepts");
    let (s, _, _) = submit(
        &a,
        &app,
        &path,
        &format!("{path}/amendments/{first}/action/accept"),
        "en",
        &[],
    )
    .await;
    assert_eq!(s, 303);
    let (s, _, _) = submit(
        &a,
        &app,
        &path,
        &format!("{path}/amendments/{second}/action/decline"),
        "en",
        &[],
    )
    .await;
    assert_eq!(s, 303);
    assert_eq!(
        store::proposal(&app.db, p.id).await.unwrap().text,
        "From March, 9 to 13."
    );
    let (s, _, _) = submit(
        &a,
        &app,
        &path,
        &format!("{path}/amendments/{second}/action/accept"),
        "en",
        &[],
    )
    .await;
    assert_eq!(s, 409, "a decided amendment stays decided");
    let (s, _, html) = submit(
        &a,
        &app,
        &path,
        &format!("{path}/action/open"),
        "en",
        &[("closes_at", "2001-01-01T10:00")],
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("The closing time must be in the future"));
    let closes = (time::OffsetDateTime::now_utc() + time::Duration::days(2)).date();
    let closes = format!("{closes}T18:00");
    let (s, _, _) = submit(
        &a,
        &app,
        &path,
        &format!("{path}/action/open"),
        "en",
        &[("closes_at", closes.as_str())],
    )
    .await;
    assert_eq!(s, 303);
    // The electorate froze: 4 members (the coordinator is one too).
    assert_eq!(store::electorate(&app.db, p.id).await.unwrap().len(), 4);
    let (s, _, _) = submit(
        &b,
        &app,
        &path,
        &format!("{path}/amendments"),
        "en",
        &[("amendment", "Later."), ("amendment_note", "")],
    )
    .await;
    assert_eq!(s, 409, "no amendment once the vote is open");
    assert_eq!(store::amendments(&app.db, p.id).await.unwrap().len(), 2);
    // Rules freeze with it.
    let (s, _, html) = submit(
        &a,
        &app,
        &format!("{path}/edit"),
        &format!("{path}/edit"),
        "en",
        &[
            ("title", "Changed"),
            ("text", "x"),
            ("method", "majority"),
            ("threshold", "more_than_half"),
        ],
    )
    .await;
    assert_eq!(s, 409);
    assert!(html.contains("The vote is open"));
    assert_eq!(
        store::proposal(&app.db, p.id).await.unwrap().title,
        "Open the shop on Saturdays"
    );

    // Votes: Anna yes, Bruno no then yes (replaced), a choice-less ballot refused.
    let vote = format!("{path}/vote");
    let (s, location, _) = submit(&a, &app, &path, &vote, "en", &[("stance", "yes")]).await;
    assert_eq!((s, location.contains("done=voted")), (303, true));
    let (s, _, html) = submit(&b, &app, &path, &vote, "fr", &[]).await;
    assert_eq!(s, 422);
    assert!(html.contains("Faites un choix avant de voter"));
    let (s, _, _) = submit(&b, &app, &path, &vote, "en", &[("stance", "no")]).await;
    assert_eq!(s, 303);
    let (s, location, _) = submit(&b, &app, &path, &vote, "en", &[("stance", "yes")]).await;
    assert_eq!((s, location.contains("done=replaced")), (303, true));
    assert_eq!(store::open_ballots(&app.db, p.id).await.unwrap().len(), 2);
    // Someone outside the electorate (registered, not a member) cannot vote.
    app.person("dario@test.example", "Dario").await;
    let d = signed_in(&app, "dario@test.example").await;
    let (s, _, html) = submit(&d, &app, &path, &vote, "en", &[("stance", "no")]).await;
    assert_eq!(s, 409);
    assert!(html.contains("You are not among this vote"));
    assert_eq!(store::open_ballots(&app.db, p.id).await.unwrap().len(), 2);

    // The close: 2 of 4 voted, quorum 50 % met, 2 yes → adopted; the page shows it.
    let closed = service::close(&app.state, p.id).await.unwrap().unwrap();
    assert_eq!(closed.outcome, "passed");
    assert!(
        service::close(&app.state, p.id).await.unwrap().is_none(),
        "a second close does nothing"
    );
    let p = store::proposal(&app.db, p.id).await.unwrap();
    let t = tally_of(&p);
    assert_eq!((t.cast, t.electorate, t.quorum_met), (2, 4, true));
    assert_eq!((t.per_option[0].raw, t.per_option[1].raw), (2, 0));
    let (s, html) = page(&b, &app, &path, "it").await;
    assert_eq!(s, 200);
    assert!(html.contains("Approvata"), "{html}");
    let (s, html) = page(&b, &app, &format!("{path}/ballots"), "en").await;
    assert_eq!(s, 200);
    assert!(html.contains("Anna") && html.contains("Bruno"));
    let (s, _, _) = submit(&a, &app, &path, &vote, "en", &[("stance", "no")]).await;
    assert_eq!(s, 409, "no vote after the close");
    let (stored, recount) = service::recount(&app.db, p.id).await.unwrap();
    assert_eq!(stored.unwrap(), recount);

    // The district document carries it all.
    let doc = distretto_store::export::export(&app.db).await.unwrap();
    assert_eq!(doc.governance.bodies.len(), 1);
    assert_eq!(doc.governance.comments.len(), 2);
    assert_eq!(doc.governance.ballots.len(), 2);
    let _ = coord_id;
}

/// Secret ballots: a receipt per ballot, the published list has receipts and choices and no
/// names, and a secret ballot cannot be cast twice. Proxies: the cap, the holder's vote, and a
/// vote in person overriding the proxy's on an open ballot.
async fn secret_ballots_and_proxies(app: TestApp) {
    let (coord_id, _) = app.coordinator().await;
    let coord = coordinator_actor(&coord_id);
    let hash = password_hash().await;
    let mut people = Vec::new();
    for (i, name) in ["Elena", "Fabio", "Gina", "Ugo"].iter().enumerate() {
        people.push(member(&app, &format!("p{i}@test.example"), name, &hash).await);
    }
    let body = people_body(&app, &coord, 1).await;
    let mut input = majority("Choose the bakery", true);
    input.method = "approval".into();
    input.options = vec![
        "Forno Rossi".into(),
        "Pane Nostro".into(),
        "La Spiga".into(),
    ];
    let p = service::create_proposal(&app.state, &people[0], body, &input)
        .await
        .unwrap();
    let closes = distretto_store::now() + time::Duration::days(1);
    service::open_voting(&app.state, &people[0], p.id, closes)
        .await
        .unwrap();

    // Proxies: Ugo gives his to Fabio; Gina cannot also give hers to Fabio (cap of 1).
    service::give_proxy(
        &app.state,
        &people[3],
        body,
        people[3].id,
        people[1].id,
        None,
    )
    .await
    .unwrap();
    let refused = service::give_proxy(
        &app.state,
        &people[2],
        body,
        people[2].id,
        people[1].id,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code, "governance_proxy_refused");
    // Nobody gives someone else's proxy.
    let stolen = service::give_proxy(
        &app.state,
        &people[0],
        body,
        people[2].id,
        people[0].id,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(stolen.code, "forbidden");

    let approve = |v: Vec<u16>| Choice::Approval(v);
    let r0 = service::vote(
        &app.state,
        &people[0],
        p.id,
        people[0].id,
        &approve(vec![0, 1]),
    )
    .await
    .unwrap();
    let r1 = service::vote(
        &app.state,
        &people[1],
        p.id,
        people[1].id,
        &approve(vec![1]),
    )
    .await
    .unwrap();
    // Fabio votes for Ugo by proxy; Ugo then finds a secret ballot already counted for him.
    let r3 = service::vote(
        &app.state,
        &people[1],
        p.id,
        people[3].id,
        &approve(vec![2]),
    )
    .await
    .unwrap();
    let again = service::vote(
        &app.state,
        &people[3],
        p.id,
        people[3].id,
        &approve(vec![0]),
    )
    .await
    .unwrap_err();
    assert_eq!(again.code, "governance_already_voted");
    // Gina cannot vote for Elena; a bad choice is refused and writes nothing.
    let forbidden = service::vote(
        &app.state,
        &people[2],
        p.id,
        people[0].id,
        &approve(vec![0]),
    )
    .await
    .unwrap_err();
    assert_eq!(forbidden.code, "forbidden");
    let bad = service::vote(
        &app.state,
        &people[2],
        p.id,
        people[2].id,
        &approve(vec![7]),
    )
    .await
    .unwrap_err();
    assert_eq!(bad.code, "governance_option_unknown");
    let receipts: Vec<String> = [r0, r1, r3]
        .into_iter()
        .map(|r| r.receipt.unwrap())
        .collect();
    assert!(receipts.iter().all(|r| r.len() == 14));
    assert_eq!(store::secret_ballots(&app.db, p.id).await.unwrap().len(), 3);

    // Closed: Pane Nostro wins with 2 approvals; the published list has the receipts and no names.
    service::close(&app.state, p.id).await.unwrap().unwrap();
    let p = store::proposal(&app.db, p.id).await.unwrap();
    assert_eq!(tally_of(&p).outcome, Outcome::Elected(vec![1]));
    let fabio = signed_in(&app, "p1@test.example").await;
    let (s, html) = page(
        &fabio,
        &app,
        &format!("/governance/proposals/{}/ballots", p.id),
        "en",
    )
    .await;
    assert_eq!(s, 200);
    for r in &receipts {
        assert!(html.contains(r.as_str()), "receipt {r} published");
    }
    for name in ["Elena", "Ugo", "Gina"] {
        assert!(
            !html.contains(name),
            "{name} is not on the published secret ballots"
        );
    }
    let (stored, recount) = service::recount(&app.db, p.id).await.unwrap();
    assert_eq!(stored.unwrap(), recount);

    // Open ballot: a vote in person overrides the proxy's, and the proxy cannot take it back.
    let open =
        service::create_proposal(&app.state, &people[0], body, &majority("Buy a van", false))
            .await
            .unwrap();
    service::open_voting(&app.state, &people[0], open.id, closes)
        .await
        .unwrap();
    let yes = Choice::Majority(Stance::Yes);
    let no = Choice::Majority(Stance::No);
    service::vote(&app.state, &people[1], open.id, people[3].id, &yes)
        .await
        .unwrap();
    let own = service::vote(&app.state, &people[3], open.id, people[3].id, &no)
        .await
        .unwrap();
    assert!(own.replaced);
    let back = service::vote(&app.state, &people[1], open.id, people[3].id, &yes)
        .await
        .unwrap_err();
    assert_eq!(back.code, "governance_voted_in_person");
    let ballots = store::open_ballots(&app.db, open.id).await.unwrap();
    assert_eq!(ballots.len(), 1);
    assert_eq!(
        (ballots[0].cast_by, ballots[0].choice.as_str()),
        (people[3].id, "{\"majority\":\"no\"}")
    );
    // Revoked, the proxy no longer votes.
    let proxy = store::proxies_of(&app.db, body, people[3].id, &[people[3].id])
        .await
        .unwrap()[0]
        .id;
    service::revoke_proxy(&app.state, &people[3], body, proxy)
        .await
        .unwrap();
    let gone = service::vote(&app.state, &people[1], open.id, people[3].id, &yes)
        .await
        .unwrap_err();
    assert_eq!(gone.code, "forbidden");

    // Export → import → export gives the same document, threaded comments included.
    service::comment(&app.state, &people[2], open.id, None, "Which van?")
        .await
        .unwrap();
    let question = store::comments(&app.db, open.id).await.unwrap()[0].id;
    service::comment(
        &app.state,
        &people[0],
        open.id,
        Some(question),
        "An electric one.",
    )
    .await
    .unwrap();
    let first = distretto_store::export::export(&app.db).await.unwrap();
    let g = &first.governance;
    assert!(!g.register.is_empty() && !g.secret_ballots.is_empty() && !g.proxies.is_empty());
    assert!(!g.electorate.is_empty() && g.comments.len() == 2 && !g.ballots.is_empty());
    let other = crate::harness::spawn(crate::harness::Backend::Sqlite).await;
    distretto_store::export::import(&other.db, &first)
        .await
        .unwrap();
    let second = distretto_store::export::export(&other.db).await.unwrap();
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap()
    );
}

/// 200 voters submit their ballot twice at once, 20 of them through proxy holders, on an open
/// and on a secret proposal: each counts once, and the tally equals an independent count.
async fn storm_counts_each_voter_once(app: TestApp) {
    let (coord_id, _) = app.coordinator().await;
    let coord = coordinator_actor(&coord_id);
    let hash = password_hash().await;
    let mut voters = Vec::new();
    for i in 0..200 {
        voters.push(
            member(
                &app,
                &format!("v{i}@storm.example"),
                &format!("Voter {i}"),
                &hash,
            )
            .await,
        );
    }
    let body = people_body(&app, &coord, 2).await;
    // Voters 180..200 give their proxy to voters 0..20 (one each).
    for i in 180..200 {
        service::give_proxy(
            &app.state,
            &voters[i],
            body,
            voters[i].id,
            voters[i - 180].id,
            None,
        )
        .await
        .unwrap();
    }
    let closes = distretto_store::now() + time::Duration::days(1);
    let mut proposals = Vec::new();
    for secret in [false, true] {
        let p = service::create_proposal(&app.state, &coord, body, &majority("Storm", secret))
            .await
            .unwrap();
        service::open_voting(&app.state, &coord, p.id, closes)
            .await
            .unwrap();
        proposals.push(p.id);
    }
    // Voter i's intended stance: yes when i % 3 == 0, no when 1, abstain when 2.
    let stance = |i: usize| match i % 3 {
        0 => Stance::Yes,
        1 => Stance::No,
        _ => Stance::Abstain,
    };
    let mut tasks = Vec::new();
    for &p in &proposals {
        for i in 0..200 {
            // Givers are voted for by their holder; everyone else votes in person.
            let (actor, voter) = if i >= 180 {
                (voters[i - 180].clone(), voters[i].id)
            } else {
                (voters[i].clone(), voters[i].id)
            };
            for _ in 0..2 {
                let state = app.state.clone();
                let actor = actor.clone();
                let choice = Choice::Majority(stance(i));
                tasks.push(tokio::spawn(async move {
                    service::vote(&state, &actor, p, voter, &choice).await
                }));
            }
        }
    }
    let mut refused_secret = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => {}
            Err(e) => {
                assert_eq!(e.code, "governance_already_voted");
                refused_secret += 1;
            }
        }
    }
    assert_eq!(
        refused_secret, 200,
        "the second secret ballot of each voter is refused"
    );
    let yes = (0..200).filter(|i| i % 3 == 0).count() as u64;
    let no = (0..200).filter(|i| i % 3 == 1).count() as u64;
    for p in proposals {
        service::close(&app.state, p).await.unwrap().unwrap();
        let row = store::proposal(&app.db, p).await.unwrap();
        let t = tally_of(&row);
        assert_eq!(t.cast, 200, "{t:?}");
        assert_eq!(
            (
                t.per_option[0].raw,
                t.per_option[1].raw,
                t.per_option[2].raw
            ),
            (yes, no, 200 - yes - no)
        );
        assert_eq!(
            t.outcome,
            if yes > no {
                Outcome::Passed
            } else {
                Outcome::Rejected
            }
        );
        let (stored, recount) = service::recount(&app.db, p).await.unwrap();
        assert_eq!(stored.unwrap(), recount);
        // The holders cast exactly the givers' ballots.
        if !row.secret {
            let ballots = store::open_ballots(&app.db, p).await.unwrap();
            assert_eq!(ballots.len(), 200);
            for b in ballots
                .iter()
                .filter(|b| voters[180..].iter().any(|v| v.id == b.voter_id))
            {
                assert_ne!(b.cast_by, b.voter_id);
            }
        }
    }
}

/// Votes racing the close: each is counted before the close or refused, never lost in between.
async fn votes_racing_the_close(app: TestApp) {
    let (coord_id, _) = app.coordinator().await;
    let coord = coordinator_actor(&coord_id);
    let hash = password_hash().await;
    let mut voters = Vec::new();
    for i in 0..60 {
        voters.push(member(&app, &format!("r{i}@race.example"), "Racer", &hash).await);
    }
    let body = people_body(&app, &coord, 0).await;
    let p = service::create_proposal(&app.state, &coord, body, &majority("Race", false))
        .await
        .unwrap();
    service::open_voting(
        &app.state,
        &coord,
        p.id,
        distretto_store::now() + time::Duration::days(1),
    )
    .await
    .unwrap();
    let mut tasks = Vec::new();
    for (i, v) in voters.iter().enumerate() {
        let state = app.state.clone();
        let v = v.clone();
        tasks.push(tokio::spawn(async move {
            if i == 30 {
                service::close(&state, p.id).await.unwrap();
                return None;
            }
            Some(service::vote(&state, &v, p.id, v.id, &Choice::Majority(Stance::Yes)).await)
        }));
    }
    let mut counted = 0;
    for t in tasks {
        match t.await.unwrap() {
            Some(Ok(_)) => counted += 1,
            Some(Err(e)) => assert_eq!(e.code, "governance_not_voting"),
            None => {}
        }
    }
    let row = store::proposal(&app.db, p.id).await.unwrap();
    assert_eq!(row.status, "closed");
    assert_eq!(tally_of(&row).cast, counted);
    assert_eq!(
        store::open_ballots(&app.db, p.id).await.unwrap().len() as u64,
        counted
    );
}

on_both!(
    journey_over_pages,
    secret_ballots_and_proxies,
    storm_counts_each_voter_once,
    votes_racing_the_close
);

/// The JSON API: list and read proposals, cast ballots with a bearer token (a second open ballot
/// replaces the first; a bad choice, an outsider and a second secret ballot are refused and
/// write nothing), and read the published ballots after the close.
async fn api_votes_and_publishes(app: TestApp) {
    let (coord_id, _) = app.coordinator().await;
    let coord = coordinator_actor(&coord_id);
    let hash = password_hash().await;
    let anna = member(&app, "anna@api.example", "Anna", &hash).await;
    member(&app, "bruno@api.example", "Bruno", &hash).await;
    let body = people_body(&app, &coord, 1).await;
    let closes = distretto_store::now() + time::Duration::days(1);
    let open = service::create_proposal(&app.state, &anna, body, &majority("Open", false))
        .await
        .unwrap();
    service::open_voting(&app.state, &anna, open.id, closes)
        .await
        .unwrap();
    let secret = service::create_proposal(&app.state, &anna, body, &majority("Secret", true))
        .await
        .unwrap();
    service::open_voting(&app.state, &anna, secret.id, closes)
        .await
        .unwrap();
    let anna_token = app.token("anna@api.example").await;
    let bruno_token = app.token("bruno@api.example").await;

    let (s, list) = app
        .get("/api/v1/governance/proposals", Some(&anna_token))
        .await;
    assert_eq!((s, list["total"].as_i64()), (200, Some(2)), "{list}");
    let (s, _) = app.get("/api/v1/governance/proposals", None).await;
    assert_eq!(s, 401);

    let ballots = |id: uuid::Uuid| format!("/api/v1/governance/proposals/{id}/ballots");
    let (s, v) = app
        .post(
            &ballots(open.id),
            Some(&anna_token),
            &serde_json::json!({"choice": {"majority": "no"}}),
        )
        .await;
    assert_eq!((s, v["replaced"].as_bool()), (201, Some(false)), "{v}");
    let (s, v) = app
        .post(
            &ballots(open.id),
            Some(&anna_token),
            &serde_json::json!({"choice": {"majority": "yes"}}),
        )
        .await;
    assert_eq!((s, v["replaced"].as_bool()), (201, Some(true)), "{v}");
    let (s, v) = app
        .post(
            &ballots(open.id),
            Some(&bruno_token),
            &serde_json::json!({"choice": {"approval": [0]}}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("governance_choice_wrong_method")),
        "{v}"
    );
    let (s, v) = app
        .post(
            &ballots(open.id),
            Some(&bruno_token),
            &serde_json::json!({"voter": anna.id, "choice": {"majority": "no"}}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{v}"
    );
    let (s, v) = app
        .post(
            &ballots(secret.id),
            Some(&bruno_token),
            &serde_json::json!({"choice": {"majority": "yes"}}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let receipt = v["receipt"].as_str().unwrap().to_owned();
    let (s, v) = app
        .post(
            &ballots(secret.id),
            Some(&bruno_token),
            &serde_json::json!({"choice": {"majority": "no"}}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("governance_already_voted")),
        "{v}"
    );
    assert_eq!(
        store::open_ballots(&app.db, open.id).await.unwrap().len(),
        1
    );
    assert_eq!(
        store::secret_ballots(&app.db, secret.id)
            .await
            .unwrap()
            .len(),
        1
    );
    let (s, _) = app.get(&ballots(open.id), Some(&anna_token)).await;
    assert_eq!(s, 409, "published only after the close");

    for id in [open.id, secret.id] {
        service::close(&app.state, id).await.unwrap().unwrap();
    }
    let (s, p) = app
        .get(
            &format!("/api/v1/governance/proposals/{}", open.id),
            Some(&bruno_token),
        )
        .await;
    assert_eq!((s, p["outcome"].as_str()), (200, Some("passed")), "{p}");
    assert_eq!(p["tally"]["cast"].as_u64(), Some(1));
    let (s, v) = app.get(&ballots(open.id), Some(&bruno_token)).await;
    assert_eq!(s, 200);
    assert_eq!(
        v["items"][0]["voter"].as_str(),
        Some(anna.id.to_string().as_str())
    );
    let (s, v) = app.get(&ballots(secret.id), Some(&anna_token)).await;
    assert_eq!(s, 200);
    assert_eq!(v["items"][0]["receipt"].as_str(), Some(receipt.as_str()));
    assert!(
        v["items"][0]["voter"].is_null(),
        "no voter on a secret ballot: {v}"
    );
}

on_both!(api_votes_and_publishes);
