//! Notifications of governance events: every voter of the body is notified when a proposal
//! opens for deliberation, for voting and when its vote closes; the page lists them and marks
//! them read; the mailer writes each e-mail once, in the recipient's language, as real files.

use crate::harness::{TestApp, page, password_hash, signed_in, submit};
use crate::on_both;
use distretto_domain::membership::Role;
use distretto_web::auth::viewer::Actor;
use distretto_web::governance::service::{self, BodyInput, ProposalInput};
use distretto_web::notifications::mail::MailTransport;
use distretto_web::notifications::service::send_pending;

async fn member(app: &TestApp, email: &str, role: Role) -> Actor {
    app.actor(email, email, role, &password_hash().await).await
}

async fn voters_are_notified_and_mailed_once(app: TestApp) {
    let coord = member(&app, "coord@notify.example", Role::Coordinator).await;
    let anna = member(&app, "anna@notify.example", Role::Person).await;
    member(&app, "bruno@notify.example", Role::Person).await;
    // Anna reads in Italian.
    app.patch(
        "/api/v1/me",
        Some(&app.token("anna@notify.example").await),
        &serde_json::json!({"locale": "it"}),
    )
    .await;
    let body = service::create_body(
        &app.state,
        &coord,
        BodyInput {
            name: "Assemblea".into(),
            description: String::new(),
            electorate: "people".into(),
            max_proxies: 0,
            colleges: Vec::new(),
        },
    )
    .await
    .unwrap()
    .id;
    let input = ProposalInput {
        title: "Mercato del sabato".into(),
        text: "Da marzo.".into(),
        method: "majority".into(),
        options: Vec::new(),
        threshold: "more_than_half".into(),
        quorum_percent: 0,
        seats: 1,
        max_approvals: None,
        max_score: 5,
        secret: false,
        effect: None,
        budget_minor: None,
    };
    let p = service::create_proposal(&app.state, &anna, body, &input)
        .await
        .unwrap();
    assert_eq!(
        app.count("notifications").await,
        0,
        "a draft notifies nobody"
    );
    service::deliberate(&app.state, &anna, p.id).await.unwrap();
    assert_eq!(app.count("notifications").await, 3);
    let closes = distretto_store::now() + time::Duration::days(1);
    service::open_voting(&app.state, &anna, p.id, closes)
        .await
        .unwrap();
    service::close(&app.state, p.id).await.unwrap().unwrap();
    assert_eq!(app.count("notifications").await, 9);

    // The page lists Anna's three, newest first, in her language, and marks them read.
    let b = signed_in(&app, "anna@notify.example").await;
    let (s, html) = page(&b, &app, "/notifications", "en").await;
    assert_eq!(s, 200);
    assert!(html.contains("3 notifiche da leggere"), "{html}");
    let result = html.find("Risultato: #1 Mercato del sabato").unwrap();
    let opened = html
        .find("Votazione aperta: #1 Mercato del sabato")
        .unwrap();
    assert!(result < opened, "newest first");
    let (s, _, _) = submit(&b, &app, "/notifications", "/notifications/read", "en", &[]).await;
    assert_eq!(s, 303);
    let (_, html) = page(&b, &app, "/notifications", "en").await;
    assert!(html.contains("Nessuna notifica da leggere"), "{html}");

    // The mailer writes nine files, each once, Anna's in Italian.
    let dir = std::env::temp_dir().join(format!("distretto-mail-{}", uuid::Uuid::now_v7()));
    let transport = MailTransport::File(dir.clone());
    let sent = send_pending(&app.state, &transport, "assemblea@notify.example")
        .await
        .unwrap();
    assert_eq!(sent, 9);
    assert_eq!(
        send_pending(&app.state, &transport, "x@y").await.unwrap(),
        0,
        "sent once"
    );
    let mut to_anna = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(
            text.starts_with("From: assemblea@notify.example\r\n"),
            "{text}"
        );
        assert!(text.contains(&format!("/governance/proposals/{}", p.id)));
        if text.contains("To: anna@notify.example") {
            to_anna += 1;
            assert!(
                text.contains("Una proposta di Assemblea")
                    || text.contains("La votazione su una proposta di Assemblea"),
                "{text}"
            );
        }
    }
    assert_eq!(to_anna, 3);
    std::fs::remove_dir_all(&dir).unwrap();
}

on_both!(voters_are_notified_and_mailed_once);
