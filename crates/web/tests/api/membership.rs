use crate::harness::{PASSWORD, TestApp};
use crate::on_both;
use serde_json::json;

async fn registration_and_tokens(app: TestApp) {
    let (s, v) = app
        .post(
            "/api/v1/people",
            None,
            &json!({"email": "Anna@Example.org", "name": "Anna Rossi", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = app
        .post(
            "/api/v1/people",
            None,
            &json!({"email": "anna@example.org", "name": "Anna Bis", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("email_taken")),
        "e-mails are case-insensitive"
    );
    let (s, v) = app
        .post(
            "/api/v1/people",
            None,
            &json!({"email": "b@example.org", "name": "B", "password": "short"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("weak_password"))
    );
    let (s, v) = app
        .post(
            "/api/v1/people",
            None,
            &json!({"email": "not-an-email", "name": "B", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("invalid_email"))
    );
    assert_eq!(
        app.count("people").await,
        1,
        "rejected registrations write nothing"
    );

    let (s, v) = app
        .post(
            "/api/v1/tokens",
            None,
            &json!({"email": "anna@example.org", "password": "wrong password!"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (401, Some("invalid_credentials"))
    );
    let (s, v) = app
        .post(
            "/api/v1/tokens",
            None,
            &json!({"email": "nobody@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (401, Some("invalid_credentials")),
        "unknown e-mail answers the same"
    );
    let token = app.token("anna@example.org").await;
    let (s, me) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(s, 200);
    assert_eq!(me["email"], "anna@example.org");
    assert_eq!(me["roles"], json!(["person"]));
    assert_eq!(me["accounts"], json!([]), "accounts open at admission");
    let (s, v) = app.get("/api/v1/me", None).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    let (s, v) = app.get("/api/v1/me", Some(&"0".repeat(64))).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (401, Some("invalid_token"))
    );
    let (s, _) = app.get("/api/v1/me", Some("garbage")).await;
    assert_eq!(s, 401);

    let (s, me) = app
        .patch(
            "/api/v1/me",
            Some(&token),
            &json!({"name": "Anna Rossi Bianchi", "locale": "it", "locality": "Aosta"}),
        )
        .await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(
        (me["name"].as_str(), me["locale"].as_str()),
        (Some("Anna Rossi Bianchi"), Some("it"))
    );
    let (s, v) = app
        .patch("/api/v1/me", Some(&token), &json!({"locale": "de"}))
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("invalid_locale"))
    );
    let (s, v) = app
        .patch("/api/v1/me", Some(&token), &json!({"phone": "12"}))
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("invalid_phone")),
        "the organisations' phone rule"
    );
    let (s, _) = app
        .patch(
            "/api/v1/me",
            Some(&token),
            &json!({"email": "x@example.org"}),
        )
        .await;
    assert_eq!(
        s, 422,
        "unknown fields are refused, e-mail is not editable this way"
    );
}

async fn sign_in_is_throttled(app: TestApp) {
    app.person("victim@example.org", "Victim").await;
    for _ in 0..5 {
        let (s, _) = app
            .post(
                "/api/v1/tokens",
                None,
                &json!({"email": "victim@example.org", "password": "wrong password!"}),
            )
            .await;
        assert_eq!(s, 401);
    }
    let (s, v) = app
        .post(
            "/api/v1/tokens",
            None,
            &json!({"email": "victim@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (429, Some("too_many_attempts")),
        "even the right password waits"
    );
}

async fn a_new_organisation_is_admitted_with_a_logged_reason(app: TestApp) {
    let (_, coord) = app.coordinator().await;
    let (_, token) = app.person("farmer@example.org", "Marco Farmer").await;
    let body = json!({"kind": "new_organization", "message": "Hello", "organization": {"name": "Orto di Sarre", "kind": "farm", "sector": "agriculture", "locality": "Sarre"}});
    let (s, app_v) = app.post("/api/v1/applications", Some(&token), &body).await;
    assert_eq!(s, 201, "{app_v}");
    assert_eq!(app_v["status"], "pending");
    let org = app_v["organization_id"].as_str().unwrap().to_owned();
    let id = app_v["id"].as_str().unwrap().to_owned();
    let (s, _) = app.get(&format!("/api/v1/organizations/{org}"), None).await;
    assert_eq!(s, 404, "not public before admission");
    let (s, v) = app
        .get(&format!("/api/v1/organizations/{org}"), Some(&token))
        .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (200, Some("pending")),
        "its admin sees it"
    );

    let (s, list) = app
        .get("/api/v1/applications?status=pending", Some(&coord))
        .await;
    assert_eq!((s, list["total"].as_i64()), (200, Some(1)));
    let (s, mine) = app.get("/api/v1/applications", Some(&token)).await;
    assert_eq!((s, mine["total"].as_i64()), (200, Some(1)));

    let decision = format!("/api/v1/applications/{id}/decision");
    let (s, v) = app
        .post(
            &decision,
            Some(&token),
            &json!({"decision": "admit", "reason": "I admit myself"}),
        )
        .await;
    assert_eq!((s, v["error"]["code"].as_str()), (403, Some("forbidden")));
    let (s, v) = app
        .post(
            &decision,
            Some(&coord),
            &json!({"decision": "admit", "reason": " "}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("reason_required"))
    );
    let (s, v) = app
        .post(
            &decision,
            Some(&coord),
            &json!({"decision": "maybe", "reason": "hmm hmm"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("invalid_decision"))
    );
    assert_eq!(
        app.count("membership_decisions").await,
        1,
        "only the coordinator's own creation is logged so far"
    );

    let (s, v) = app
        .post(
            &decision,
            Some(&coord),
            &json!({"decision": "admit", "reason": "Signed the charter at the assembly"}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("admitted")), "{v}");
    let (s, v) = app
        .post(
            &decision,
            Some(&coord),
            &json!({"decision": "reject", "reason": "Second thoughts"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("application_already_decided"))
    );

    let (s, o) = app.get(&format!("/api/v1/organizations/{org}"), None).await;
    assert_eq!((s, o["status"].as_str()), (200, Some("active")));
    assert!(o["charter_signed_at"].is_string());
    let (_, me) = app.get("/api/v1/me", Some(&token)).await;
    assert!(
        me["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("organization_admin"))
    );
    assert_eq!(
        me["accounts"].as_array().unwrap().len(),
        2,
        "their own account first, then the organisation's they administer"
    );
    assert_eq!(me["accounts"][0]["currency"], "CRD");
    assert_eq!(me["accounts"][0]["owner_kind"], "person");
    assert_eq!(me["accounts"][1]["owner_kind"], "organization");
    assert_eq!(me["accounts"][1]["owner_id"].as_str(), Some(org.as_str()));
    assert_eq!(
        app.count("accounts").await,
        5,
        "the district's fund and fees, coordinator, person and organisation accounts"
    );

    let (s, log) = app.get("/api/v1/membership-decisions", Some(&coord)).await;
    assert_eq!(s, 200);
    let entry = &log["items"][0];
    assert_eq!(
        (
            entry["decision"].as_str(),
            entry["reason"].as_str(),
            entry["decided_by"].as_str()
        ),
        (
            Some("admit"),
            Some("Signed the charter at the assembly"),
            Some("Carla Coordinatrice")
        )
    );
    let (s, _) = app.get("/api/v1/membership-decisions", Some(&token)).await;
    assert_eq!(s, 403, "the log is for coordinators");
}

async fn organisation_admins_edit_and_others_cannot(app: TestApp) {
    let (_, coord) = app.coordinator().await;
    let (org, admin) = app
        .admitted_org(&coord, "admin@example.org", "Cooperativa Alpina")
        .await;
    let (_, other) = app.person("other@example.org", "Other Person").await;
    let path = format!("/api/v1/organizations/{org}");
    let (s, v) = app.patch(&path, Some(&admin), &json!({"description": "Latte e formaggi d'alpeggio", "workers_fte": 4.5, "website": "https://alpina.example"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["description"].as_str(), v["workers_fte"].as_f64()),
        (Some("Latte e formaggi d'alpeggio"), Some(4.5))
    );
    let (_, found) = app.get("/api/v1/organizations?q=ALPEGGIO", None).await;
    assert_eq!(
        found["items"][0]["id"].as_str(),
        Some(org.as_str()),
        "an edited description is searchable at once"
    );
    let (s, v) = app
        .patch(&path, Some(&other), &json!({"name": "Hijacked"}))
        .await;
    assert_eq!((s, v["error"]["code"].as_str()), (403, Some("forbidden")));
    let (s, v) = app.patch(&path, None, &json!({"name": "Hijacked"})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    let (s, v) = app
        .patch(
            &path,
            Some(&admin),
            &json!({"website": "javascript:alert(1)"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str(), v["error"]["field"].as_str()),
        (422, Some("invalid_website"), Some("website"))
    );
    let (s, v) = app
        .patch(&path, Some(&admin), &json!({"lat": 91.0, "lon": 7.0}))
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("invalid_position"))
    );
    let (_, o) = app.get(&path, None).await;
    assert_eq!(
        o["name"], "Cooperativa Alpina",
        "refused edits change nothing"
    );
    assert_eq!(o["website"], "https://alpina.example");
    let (s, v) = app
        .patch(&path, Some(&coord), &json!({"sector": "food_processing"}))
        .await;
    assert_eq!(
        (s, v["sector"].as_str()),
        (200, Some("food_processing")),
        "coordinators may edit"
    );
    let (s, members) = app.get(&format!("{path}/members"), None).await;
    assert_eq!(s, 200);
    assert_eq!(members["items"][0]["role"], "admin");
    assert!(
        members["items"][0].get("email").is_none(),
        "no e-mails in public member lists"
    );
}

async fn invitations_and_joining_existing_organisations(app: TestApp) {
    let (_, coord) = app.coordinator().await;
    let (org, admin) = app
        .admitted_org(&coord, "admin@example.org", "Forno di Quart")
        .await;
    let (_, colleague) = app.person("colleague@example.org", "Colleague").await;
    let (_, stranger) = app.person("stranger@example.org", "Stranger").await;
    let (s, v) = app
        .post(
            &format!("/api/v1/organizations/{org}/invitations"),
            Some(&stranger),
            &json!({}),
        )
        .await;
    assert_eq!((s, v["error"]["code"].as_str()), (403, Some("forbidden")));
    let (s, inv) = app
        .post(
            &format!("/api/v1/organizations/{org}/invitations"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(s, 201, "{inv}");
    assert!(
        inv["url"]
            .as_str()
            .unwrap()
            .ends_with(inv["token"].as_str().unwrap())
    );
    let accept = format!(
        "/api/v1/invitations/{}/accept",
        inv["token"].as_str().unwrap()
    );
    let (s, v) = app.post(&accept, Some(&colleague), &json!({})).await;
    assert_eq!(
        (s, v["organization_id"].as_str()),
        (200, Some(org.as_str()))
    );
    let (s, v) = app.post(&accept, Some(&stranger), &json!({})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (410, Some("invitation_expired")),
        "an invitation works once"
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/invitations/{}/accept", "a".repeat(64)),
            Some(&stranger),
            &json!({}),
        )
        .await;
    assert_eq!(s, 404);
    // A token that is not even UTF-8 once decoded: the CONTRACT's 404 in JSON, not axum's
    // plain-text 400 (found by scripts/schemathesis).
    let (s, v) = app
        .post(
            "/api/v1/invitations/%FF%FE/accept",
            Some(&stranger),
            &json!({}),
        )
        .await;
    assert_eq!((s, v["error"]["code"].as_str()), (404, Some("not_found")));

    let (s, v) = app
        .post(
            "/api/v1/applications",
            Some(&stranger),
            &json!({"kind": "existing_organization", "organization_id": org}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v2) = app
        .post(
            "/api/v1/applications",
            Some(&stranger),
            &json!({"kind": "existing_organization", "organization_id": org}),
        )
        .await;
    assert_eq!(
        (s, v2["error"]["code"].as_str()),
        (409, Some("already_applied"))
    );
    let (s, _) = app
        .post(
            &format!(
                "/api/v1/applications/{}/decision",
                v["id"].as_str().unwrap()
            ),
            Some(&coord),
            &json!({"decision": "admit", "reason": "Works there"}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, members) = app
        .get(&format!("/api/v1/organizations/{org}/members"), None)
        .await;
    assert_eq!(members["total"], 3);
    let (s, v) = app
        .get(
            &format!("/api/v1/applications/{}", v["id"].as_str().unwrap()),
            Some(&colleague),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (404, Some("not_found")),
        "another's application is not shown"
    );
}

async fn individuals_apply_and_suspension_ends_access(app: TestApp) {
    let (_, coord) = app.coordinator().await;
    let (pid, token) = app.person("citizen@example.org", "Citizen").await;
    let (s, v) = app
        .post(
            "/api/v1/applications",
            Some(&token),
            &json!({"kind": "individual", "message": "Je fais partie du GAS"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v2) = app
        .post(
            "/api/v1/applications",
            Some(&token),
            &json!({"kind": "individual"}),
        )
        .await;
    assert_eq!(
        (s, v2["error"]["code"].as_str()),
        (409, Some("already_applied"))
    );
    let (s, _) = app
        .post(
            &format!(
                "/api/v1/applications/{}/decision",
                v["id"].as_str().unwrap()
            ),
            Some(&coord),
            &json!({"decision": "admit", "reason": "Welcome"}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, me) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me["membership_status"], "member");

    let status = format!("/api/v1/people/{pid}/status");
    let (s, v) = app
        .post(
            &status,
            Some(&token),
            &json!({"decision": "suspend", "reason": "self"}),
        )
        .await;
    assert_eq!((s, v["error"]["code"].as_str()), (403, Some("forbidden")));
    let (s, _) = app
        .post(
            &status,
            Some(&coord),
            &json!({"decision": "suspend", "reason": "Unpaid fees for a year"}),
        )
        .await;
    assert_eq!(s, 204);
    let (s, v) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (401, Some("invalid_token")),
        "suspension ends tokens"
    );
    let (s, v) = app
        .post(
            "/api/v1/tokens",
            None,
            &json!({"email": "citizen@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("account_suspended"))
    );
    let (s, v) = app
        .post(
            &status,
            Some(&coord),
            &json!({"decision": "suspend", "reason": "again"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("invalid_status_change"))
    );
    let (s, _) = app
        .post(
            &status,
            Some(&coord),
            &json!({"decision": "reinstate", "reason": "Fees paid"}),
        )
        .await;
    assert_eq!(s, 204);
    app.token("citizen@example.org").await;
    let (_, log) = app.get("/api/v1/membership-decisions", Some(&coord)).await;
    let decisions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["decision"].as_str().unwrap())
        .collect();
    assert!(
        decisions.starts_with(&["reinstate", "suspend", "admit"]),
        "{decisions:?}"
    );
}

async fn organisations_are_suspended_and_reinstated(app: TestApp) {
    let (_, coord) = app.coordinator().await;
    let (org, admin) = app
        .admitted_org(&coord, "admin@example.org", "Bottega di Nus")
        .await;
    let (_, warm) = app.get("/api/v1/organizations", None).await;
    assert_eq!(warm["total"], 1, "listed, and the list is now cached");
    let path = format!("/api/v1/organizations/{org}/status");
    let (s, _) = app
        .post(
            &path,
            Some(&admin),
            &json!({"decision": "suspend", "reason": "nope"}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .post(
            &path,
            Some(&coord),
            &json!({"decision": "suspend", "reason": "Charter breach"}),
        )
        .await;
    assert_eq!(s, 204);
    let (_, list) = app.get("/api/v1/organizations", None).await;
    assert_eq!(
        list["total"], 0,
        "suspended organisations leave the directory"
    );
    let (s, _) = app
        .post(
            &path,
            Some(&coord),
            &json!({"decision": "reinstate", "reason": "Resolved"}),
        )
        .await;
    assert_eq!(s, 204);
    let (_, list) = app.get("/api/v1/organizations", None).await;
    assert_eq!(list["total"], 1);
}

async fn concurrent_decisions_decide_once(app: TestApp) {
    let (_, coord) = app.coordinator().await;
    let (_, token) = app.person("racer@example.org", "Racer").await;
    let (_, v) = app
        .post(
            "/api/v1/applications",
            Some(&token),
            &json!({"kind": "individual"}),
        )
        .await;
    let path = format!(
        "/api/v1/applications/{}/decision",
        v["id"].as_str().unwrap()
    );
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (client, url, coord) = (app.client.clone(), app.url(&path), coord.clone());
        tasks.push(tokio::spawn(async move {
            let decision = if i % 2 == 0 { "admit" } else { "reject" };
            client
                .post(url)
                .bearer_auth(coord)
                .json(&json!({"decision": decision, "reason": "race condition"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(
        app.count("membership_decisions").await,
        2,
        "the coordinator's creation and exactly one decision"
    );
}

on_both!(
    registration_and_tokens,
    sign_in_is_throttled,
    a_new_organisation_is_admitted_with_a_logged_reason,
    organisation_admins_edit_and_others_cannot,
    invitations_and_joining_existing_organisations,
    individuals_apply_and_suspension_ends_access,
    organisations_are_suspended_and_reinstated,
    concurrent_decisions_decide_once,
);
