//! The audit log: the events it records (with who, what and from where), that only
//! administrators read it, that it is append-only and chained (an edit is caught), that
//! concurrent events chain once each, and that an export carries it whole.

use crate::harness::{PASSWORD, TestApp, page, signed_in};
use crate::on_both;
use distretto_domain::membership::Role;
use serde_json::{Value, json};

async fn administrator(app: &TestApp) -> (String, String) {
    let hash = crate::harness::password_hash().await;
    let actor = app
        .actor(
            "admin@test.example",
            "Ada Admin",
            Role::Administrator,
            &hash,
        )
        .await;
    (actor.id.to_string(), app.token("admin@test.example").await)
}

async fn entries(app: &TestApp, admin: &str, query: &str) -> Vec<Value> {
    let (s, v) = app
        .get(&format!("/api/v1/audit?{query}"), Some(admin))
        .await;
    assert_eq!(s, 200, "{v}");
    v["items"].as_array().unwrap().clone()
}

fn of_kind<'a>(items: &'a [Value], kind: &str) -> Vec<&'a Value> {
    items.iter().filter(|e| e["kind"] == kind).collect()
}

async fn sql(app: &TestApp, statement: &str) -> Result<u64, sqlx::Error> {
    app.execute(statement).await
}

async fn records_security_events_for_administrators_only(app: TestApp) {
    let (coord_id, coord) = app.coordinator().await;
    let (admin_id, admin) = administrator(&app).await;
    let (s, _) = app
        .post(
            "/api/v1/tokens",
            None,
            &json!({"email": "Mallory@Test.example", "password": "not the password"}),
        )
        .await;
    assert_eq!(s, 401);
    let (member_id, member, account) = app.member(&coord, "m@test.example").await;
    let (s, v) = app
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/accounts/{account}/limits"),
            Some(&coord),
            &json!({"credit_limit": 50_000, "upper_limit": null, "reason": "Assembly of 3 March"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");

    let all = entries(&app, &admin, "limit=200").await;
    let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] == w[1] + 1),
        "newest first, no gap: {seqs:?}"
    );
    let created = of_kind(&all, "person_created");
    assert_eq!(created.len(), 2, "the coordinator and the administrator");
    assert!(
        created
            .iter()
            .any(|e| e["subject"] == format!("person:{admin_id}")
                && e["detail"].as_str().unwrap().contains("role=administrator"))
    );
    let failed = of_kind(&all, "sign_in_failed");
    assert_eq!(failed.len(), 1, "{all:?}");
    assert_eq!(failed[0]["subject"], "email:mallory@test.example");
    assert_eq!(failed[0]["actor_id"], Value::Null);
    assert_eq!(failed[0]["client"], "127.0.0.1");
    assert!(
        of_kind(&all, "sign_in")
            .iter()
            .any(|e| e["actor_id"] == member_id.as_str() && e["client"] == "127.0.0.1")
    );
    let decided = of_kind(&all, "membership_decided");
    assert_eq!(decided.len(), 1, "{all:?}");
    assert_eq!(decided[0]["actor_id"], coord_id.as_str());
    assert_eq!(decided[0]["subject"], format!("person:{member_id}"));
    assert!(decided[0]["detail"].as_str().unwrap().starts_with("admit"));
    let limits = of_kind(&all, "limits_changed");
    assert_eq!(limits.len(), 1, "{all:?}");
    assert_eq!(limits[0]["actor_id"], coord_id.as_str());
    assert_eq!(limits[0]["subject"], format!("account:{account}"));
    let detail = limits[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("→50000") && detail.ends_with("Assembly of 3 March"),
        "{detail}"
    );

    // Filters and pages.
    let only = entries(&app, &admin, "kind=limits_changed").await;
    assert_eq!(only.len(), 1);
    let (s, v) = app.get("/api/v1/audit?limit=2", Some(&admin)).await;
    assert_eq!(s, 200);
    let first: Vec<i64> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(first, seqs[..2].to_vec());
    let next = v["next_before"].as_i64().unwrap();
    let second = entries(&app, &admin, &format!("limit=2&before={next}")).await;
    assert_eq!(second[0]["seq"].as_i64().unwrap(), seqs[2]);
    for (query, code) in [
        ("kind=nope", "audit_kind_unknown"),
        ("limit=0", "audit_limit_out_of_range"),
        ("limit=201", "audit_limit_out_of_range"),
    ] {
        let (s, v) = app
            .get(&format!("/api/v1/audit?{query}"), Some(&admin))
            .await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (400, Some(code)),
            "{query}: {v}"
        );
    }

    // Nobody else reads it, neither by API nor by page.
    assert_eq!(app.get("/api/v1/audit", None).await.0, 401);
    assert_eq!(app.get("/api/v1/audit", Some(&member)).await.0, 403);
    assert_eq!(app.get("/api/v1/audit", Some(&coord)).await.0, 403);
    let b = signed_in(&app, "coord@test.example").await;
    assert_eq!(page(&b, &app, "/coordination/audit", "en").await.0, 403);
    let b = signed_in(&app, "admin@test.example").await;
    for (lang, title) in [
        ("fr", "Journal d’audit"),
        ("it", "Registro di audit"),
        ("en", "Audit log"),
    ] {
        let (s, html) = page(&b, &app, "/coordination/audit?kind=limits_changed", lang).await;
        assert_eq!(s, 200);
        assert!(html.contains(title), "{lang}");
        assert!(html.contains("Assembly of 3 March"), "{lang}");
        assert!(
            !html.contains("mallory@test.example"),
            "the filter shows one kind"
        );
    }
    let (s, _) = page(&b, &app, "/coordination/audit?kind=nope", "en").await;
    assert_eq!(s, 400);

    // The export carries the log whole, and a district built from it verifies.
    let doc = distretto_store::export::export(&app.db).await.unwrap();
    assert_eq!(doc.audit.len(), seqs.len() + 2, "and the two page sign-ins");
    let other = crate::harness::spawn(crate::harness::Backend::Sqlite).await;
    distretto_store::export::import(&other.db, &doc)
        .await
        .unwrap();
    let again = distretto_store::export::export(&other.db).await.unwrap();
    assert_eq!(again.audit, doc.audit);
    assert!(
        distretto_store::audit::verify(&other.db)
            .await
            .unwrap()
            .is_intact()
    );

    // Append-only: the database refuses edits and deletions…
    let intact = distretto_store::audit::verify(&app.db).await.unwrap();
    assert!(intact.is_intact(), "{:?}", intact.problems);
    assert_eq!(intact.entries as usize, doc.audit.len());
    assert!(
        sql(
            &app,
            "UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 3"
        )
        .await
        .is_err()
    );
    assert!(
        sql(&app, "DELETE FROM audit_log WHERE seq = 3")
            .await
            .is_err()
    );
    // …and an edit made behind its back is caught.
    let disable = match app.db.backend() {
        "sqlite" => "DROP TRIGGER audit_log_no_update",
        _ => "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
    };
    sql(&app, disable).await.unwrap();
    assert_eq!(
        sql(
            &app,
            "UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 3"
        )
        .await
        .unwrap(),
        1
    );
    let broken = distretto_store::audit::verify(&app.db).await.unwrap();
    assert_eq!(
        broken.problems,
        vec![distretto_domain::audit::AuditProblem::HashMismatch { seq: 3 }]
    );
}

async fn concurrent_events_chain_once_each(app: TestApp) {
    let (_, coord) = app.coordinator().await;
    let (_, _, account) = app.member(&coord, "m@test.example").await;
    let before = app.count("audit_log").await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..16 {
        let (client, url) = (app.client.clone(), app.url("/api/v1/tokens"));
        tasks.spawn(async move {
            let body = json!({"email": format!("x{i}@test.example"), "password": PASSWORD});
            client
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    for i in 0..8 {
        let (client, url, coord) = (
            app.client.clone(),
            app.url(&format!("/api/v1/accounts/{account}/limits")),
            coord.clone(),
        );
        tasks.spawn(async move {
            let body = json!({"credit_limit": 20_000 + i, "upper_limit": null, "reason": "Storm"});
            client
                .put(url)
                .bearer_auth(coord)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let mut statuses = Vec::new();
    while let Some(s) = tasks.join_next().await {
        statuses.push(s.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        16,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        8,
        "{statuses:?}"
    );
    assert_eq!(app.count("audit_log").await, before + 24);
    let report = distretto_store::audit::verify(&app.db).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!(report.entries as i64, before + 24);
}

on_both!(
    records_security_events_for_administrators_only,
    concurrent_events_chain_once_each
);
