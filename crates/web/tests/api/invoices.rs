//! Invoices end to end: the JSON API (issue, accept, dispute, cancel, pay by transfer, record a
//! euro payment, lists, privacy, refusals that write nothing) and the pages' forms.

use crate::harness::{TestApp, browser, csrf_of, page, signed_in};
use crate::on_both;
use serde_json::{Value, json};

/// Two admitted organisations: `a` invoices, `b` owes. Tokens of their admins and accounts.
struct Parties {
    coord: String,
    a_token: String,
    a_account: String,
    b_token: String,
    b_account: String,
    b_org: String,
}

async fn org_account(app: &TestApp, org: &str) -> String {
    let id = uuid::Uuid::parse_str(org).unwrap();
    let accounts = distretto_store::accounts::of_owner(&app.db, "organization", id)
        .await
        .unwrap();
    accounts[0].id.to_string()
}

async fn parties(app: &TestApp) -> Parties {
    let (_, coord) = app.coordinator().await;
    let (a_org, a_token) = app
        .admitted_org(&coord, "anna@farm.example", "Orto Anna")
        .await;
    let (b_org, b_token) = app
        .admitted_org(&coord, "bruno@coop.example", "Forno Bruno")
        .await;
    Parties {
        a_account: org_account(app, &a_org).await,
        b_account: org_account(app, &b_org).await,
        coord,
        a_token,
        b_token,
        b_org,
    }
}

fn due_in(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

fn invoice_body(p: &Parties, amount: Value, currency: Option<&str>) -> Value {
    let mut body = json!({
        "creditor": p.a_account,
        "debtor": p.b_account,
        "amount": amount,
        "number": "2026-017",
        "description": "Vegetables for the bakery, March",
        "due_on": due_in(30),
    });
    if let Some(c) = currency {
        body["currency"] = json!(c);
    }
    body
}

/// Issues an invoice from `a` to `b` and returns its id.
async fn issue(app: &TestApp, p: &Parties, amount: i64, currency: Option<&str>) -> String {
    let (s, v) = app
        .post(
            "/api/v1/invoices",
            Some(&p.a_token),
            &invoice_body(p, json!(amount), currency),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

async fn act(app: &TestApp, token: &str, id: &str, body: Value) -> (u16, Value) {
    app.post(
        &format!("/api/v1/invoices/{id}/actions"),
        Some(token),
        &body,
    )
    .await
}

async fn balance(app: &TestApp, token: &str, account: &str) -> i64 {
    let (s, v) = app
        .get(&format!("/api/v1/accounts/{account}"), Some(token))
        .await;
    assert_eq!(s, 200, "{v}");
    v["balance"].as_i64().unwrap()
}

async fn issued_then_paid_in_two_parts(app: TestApp) {
    let p = parties(&app).await;
    let (s, v) = app
        .post(
            "/api/v1/invoices",
            Some(&p.a_token),
            &invoice_body(&p, json!(20_000), None),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["status"], "issued");
    assert_eq!(v["currency"], "CRD");
    assert_eq!(v["amount"], 20_000);
    assert_eq!(v["remaining"], 20_000);
    assert_eq!(v["overdue"], false);
    let id = v["id"].as_str().unwrap().to_owned();

    let (s, v) = act(&app, &p.b_token, &id, json!({"action": "accept"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "accepted");

    let (s, v) = act(
        &app,
        &p.b_token,
        &id,
        json!({"action": "pay", "amount": 7_500}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "accepted");
    assert_eq!(v["paid"], 7_500);
    assert_eq!(v["remaining"], 12_500);
    assert_eq!(balance(&app, &p.a_token, &p.a_account).await, 7_500);
    assert_eq!(balance(&app, &p.b_token, &p.b_account).await, -7_500);

    // Paying more than remains is refused and moves nothing.
    let transfers = app.count("transfers").await;
    let events = app.count("invoice_events").await;
    let (s, v) = act(
        &app,
        &p.b_token,
        &id,
        json!({"action": "pay", "amount": 12_501}),
    )
    .await;
    assert!(s == 409 || s == 422, "{s} {v}");
    assert_eq!(v["error"]["code"], "amount_exceeds_remaining");
    assert_eq!(app.count("transfers").await, transfers);
    assert_eq!(app.count("invoice_events").await, events);
    assert_eq!(balance(&app, &p.b_token, &p.b_account).await, -7_500);

    // The creditor cannot pay on the debtor's behalf.
    let (s, _) = act(
        &app,
        &p.a_token,
        &id,
        json!({"action": "pay", "amount": 100}),
    )
    .await;
    assert_eq!(s, 403);

    let (s, v) = act(
        &app,
        &p.b_token,
        &id,
        json!({"action": "pay", "amount": 12_500}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "paid");
    assert_eq!(v["remaining"], 0);
    assert_eq!(balance(&app, &p.a_token, &p.a_account).await, 20_000);
    assert_eq!(balance(&app, &p.b_token, &p.b_account).await, -20_000);

    // A paid invoice takes no more payments, and cannot be cancelled.
    let (s, _) = act(&app, &p.b_token, &id, json!({"action": "pay", "amount": 1})).await;
    assert_eq!(s, 409);
    let (s, v) = act(&app, &p.a_token, &id, json!({"action": "cancel"})).await;
    assert_eq!(s, 409, "{v}");

    // Both sides read the history: issued, accepted, two transfers.
    let (s, v) = app
        .get(&format!("/api/v1/invoices/{id}"), Some(&p.a_token))
        .await;
    assert_eq!(s, 200, "{v}");
    let actions: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[0], "issued");
    assert_eq!(actions[1], "accepted");
    assert_eq!(actions.len(), 4, "{actions:?}");
    assert_eq!(app.count("transfers").await, 2);
}

async fn disputes_and_cancellations(app: TestApp) {
    let p = parties(&app).await;
    let id = issue(&app, &p, 5_000, None).await;

    let (s, v) = act(&app, &p.b_token, &id, json!({"action": "dispute"})).await;
    assert_eq!(s, 422, "a dispute needs a reason: {v}");
    assert_eq!(v["error"]["code"], "reason_required");
    let (s, v) = act(
        &app,
        &p.b_token,
        &id,
        json!({"action": "dispute", "reason": "We received only half of it"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "disputed");
    assert_eq!(v["dispute_reason"], "We received only half of it");

    // The debtor may not cancel; the creditor may, while nothing is paid.
    let events = app.count("invoice_events").await;
    let (s, v) = act(&app, &p.b_token, &id, json!({"action": "cancel"})).await;
    assert!(s == 403 || s == 409, "{s} {v}");
    assert_eq!(app.count("invoice_events").await, events);
    let (s, v) = act(&app, &p.a_token, &id, json!({"action": "cancel"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "cancelled");
    let (s, _) = act(&app, &p.b_token, &id, json!({"action": "accept"})).await;
    assert_eq!(s, 409, "a cancelled invoice is closed");

    // Once something is paid, cancelling is refused.
    let id = issue(&app, &p, 5_000, None).await;
    let (s, v) = act(
        &app,
        &p.b_token,
        &id,
        json!({"action": "pay", "amount": 1_000}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["status"], "accepted",
        "a payment accepts an issued invoice"
    );
    let (s, v) = act(&app, &p.a_token, &id, json!({"action": "cancel"})).await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["error"]["code"], "invoice_has_payments");
    let (s, v) = act(
        &app,
        &p.b_token,
        &id,
        json!({"action": "dispute", "reason": "Too late to dispute"}),
    )
    .await;
    assert_eq!(s, 409, "{v}");
}

async fn euro_payments_are_recorded_by_the_creditor(app: TestApp) {
    let p = parties(&app).await;
    let id = issue(&app, &p, 30_000, Some("EUR")).await;

    let (s, v) = act(
        &app,
        &p.b_token,
        &id,
        json!({"action": "pay", "amount": 100}),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["code"], "invoice_not_in_credit");
    let (s, v) = act(
        &app,
        &p.b_token,
        &id,
        json!({"action": "record_payment", "amount": 100, "reason": "cash"}),
    )
    .await;
    assert_eq!(s, 403, "only the creditor records: {v}");

    let (s, v) = act(
        &app,
        &p.a_token,
        &id,
        json!({"action": "record_payment", "amount": 10_000, "reason": "Bank transfer 12/03"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["paid"], 10_000);
    assert_eq!(v["remaining"], 20_000);
    assert_eq!(v["status"], "accepted");
    let (s, v) = act(
        &app,
        &p.a_token,
        &id,
        json!({"action": "record_payment", "amount": 20_001, "reason": "too much"}),
    )
    .await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["error"]["code"], "amount_exceeds_remaining");
    let (s, v) = act(
        &app,
        &p.a_token,
        &id,
        json!({"action": "record_payment", "amount": 20_000, "reason": "Rest in cash"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "paid");
    assert_eq!(app.count("transfers").await, 0, "euro never moves credit");
    assert_eq!(balance(&app, &p.a_token, &p.a_account).await, 0);

    let (_, v) = app
        .get(&format!("/api/v1/invoices/{id}"), Some(&p.b_token))
        .await;
    let recorded: Vec<&Value> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "paid_recorded")
        .collect();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[0]["note"], "Bank transfer 12/03");
    assert_eq!(recorded[0]["amount"], 10_000);
}

async fn lists_overdue_and_privacy(app: TestApp) {
    let p = parties(&app).await;
    let mut late = invoice_body(&p, json!(4_000), None);
    late["due_on"] = json!(due_in(-3));
    let (s, v) = app.post("/api/v1/invoices", Some(&p.a_token), &late).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["overdue"], true);
    let late_id = v["id"].as_str().unwrap().to_owned();
    let on_time = issue(&app, &p, 1_000, None).await;

    let (s, v) = app
        .get("/api/v1/invoices?overdue=true", Some(&p.b_token))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["total"], 1);
    assert_eq!(v["items"][0]["id"], late_id.as_str());
    let (_, v) = app
        .get("/api/v1/invoices?role=debtor", Some(&p.b_token))
        .await;
    assert_eq!(v["total"], 2);
    let (_, v) = app
        .get("/api/v1/invoices?role=creditor", Some(&p.b_token))
        .await;
    assert_eq!(v["total"], 0);
    let (_, v) = app
        .get(
            "/api/v1/invoices?role=creditor&status=issued",
            Some(&p.a_token),
        )
        .await;
    assert_eq!(v["total"], 2);

    // Someone else sees nothing of them.
    let (_, outsider) = app.person("olga@example.org", "Olga").await;
    let (s, _) = app
        .get(&format!("/api/v1/invoices/{on_time}"), Some(&outsider))
        .await;
    assert_eq!(s, 404);
    let (_, v) = app.get("/api/v1/invoices", Some(&outsider)).await;
    assert_eq!(v["total"], 0);
    let (s, _) = act(&app, &outsider, &on_time, json!({"action": "accept"})).await;
    assert_eq!(s, 404);
    let (s, _) = app.get("/api/v1/invoices?all=true", Some(&outsider)).await;
    assert_eq!(s, 403);

    // A coordinator sees the district's.
    let (s, v) = app.get("/api/v1/invoices?all=true", Some(&p.coord)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["total"], 2);
}

async fn bad_input_writes_nothing(app: TestApp) {
    let p = parties(&app).await;
    let unknown = uuid::Uuid::now_v7().to_string();
    let cases: Vec<(Value, &str)> = vec![
        (invoice_body(&p, json!(0), None), "amount_not_positive"),
        (invoice_body(&p, json!(-500), None), "amount_not_positive"),
        (
            invoice_body(&p, json!(18_000_000_000_000_000_000u64), None),
            "amount_too_large",
        ),
        (
            invoice_body(&p, json!(100_000_000_000_000i64), None),
            "amount_too_large",
        ),
        (invoice_body(&p, json!(12.5), None), "bad_amount"),
        (
            invoice_body(&p, json!(100), Some("USD")),
            "currency_mismatch",
        ),
        (
            {
                let mut b = invoice_body(&p, json!(100), None);
                b["debtor"] = json!(unknown);
                b
            },
            "unknown_account",
        ),
        (
            {
                let mut b = invoice_body(&p, json!(100), None);
                b["debtor"] = json!(p.a_account);
                b
            },
            "same_account",
        ),
        (
            {
                let mut b = invoice_body(&p, json!(100), None);
                b["due_on"] = json!("2026-13-45");
                b
            },
            "bad_date",
        ),
        (
            {
                let mut b = invoice_body(&p, json!(100), None);
                b["due_on"] = json!("next week");
                b
            },
            "bad_date",
        ),
        (
            {
                let mut b = invoice_body(&p, json!(100), None);
                b["description"] = json!("   ");
                b
            },
            "invalid_invoice_description",
        ),
        (
            {
                let mut b = invoice_body(&p, json!(100), None);
                b["number"] = json!("N".repeat(41));
                b
            },
            "invalid_invoice_number",
        ),
    ];
    for (body, code) in cases {
        let (s, v) = app.post("/api/v1/invoices", Some(&p.a_token), &body).await;
        assert_eq!(s, 422, "{code}: {v}");
        assert_eq!(v["error"]["code"], code, "{v}");
    }
    // Invoicing from someone else's account.
    let mut theirs = invoice_body(&p, json!(100), None);
    theirs["creditor"] = json!(p.b_account);
    theirs["debtor"] = json!(p.a_account);
    let (s, v) = app
        .post("/api/v1/invoices", Some(&p.a_token), &theirs)
        .await;
    assert_eq!(s, 403, "{v}");
    // Not signed in.
    let (s, _) = app
        .post(
            "/api/v1/invoices",
            None,
            &invoice_body(&p, json!(100), None),
        )
        .await;
    assert_eq!(s, 401);
    assert_eq!(app.count("invoices").await, 0);
    assert_eq!(app.count("invoice_events").await, 0);

    // Bad actions on a real invoice write nothing either.
    let id = issue(&app, &p, 1_000, None).await;
    for body in [
        json!({"action": "pay"}),
        json!({"action": "pay", "amount": 0}),
        json!({"action": "pay", "amount": -3}),
        json!({"action": "pay", "amount": 1.5}),
        json!({"action": "explode"}),
    ] {
        let (s, v) = act(&app, &p.b_token, &id, body.clone()).await;
        assert!(s == 422 || s == 409, "{body}: {s} {v}");
    }
    assert_eq!(app.count("invoice_events").await, 1);
    assert_eq!(app.count("transfers").await, 0);
}

// ---------- pages ----------

async fn post_form<T: serde::Serialize + ?Sized>(
    b: &reqwest::Client,
    app: &TestApp,
    path: &str,
    lang: &str,
    form: &T,
) -> (u16, String, String) {
    let res = b
        .post(app.url(path))
        .header("accept-language", lang)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, res.text().await.unwrap())
}

async fn the_issue_form_refuses_in_french_and_writes_nothing(app: TestApp) {
    let p = parties(&app).await;
    let a = signed_in(&app, "anna@farm.example").await;
    let (s, html) = page(&a, &app, &format!("/invoices/new?to={}", p.b_org), "fr").await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("<html lang=\"fr\">"));
    assert!(
        html.contains("Forno Bruno"),
        "the other organisation is offered"
    );
    assert!(
        html.contains(&format!("value=\"o:{}\" selected", p.b_org)),
        "?to= preselects it"
    );
    let csrf = csrf_of(&html);
    let debtor = format!("o:{}", p.b_org);
    let form = |amount: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("creditor", p.a_account.clone()),
            ("debtor", debtor.clone()),
            ("debtor_account", String::new()),
            ("currency", "CRD".to_owned()),
            ("amount", amount.to_owned()),
            ("number", "F-12".to_owned()),
            ("description", "Pain et légumes".to_owned()),
            ("due_on", due_in(30)),
        ]
    };
    let (s, _, html) = post_form(&a, &app, "/invoices", "fr", &form("douze euros")).await;
    assert_eq!(s, 422, "{html}");
    assert!(html.contains("<html lang=\"fr\">"));
    assert!(
        html.contains("Écrivez le montant comme un nombre"),
        "French error: {html}"
    );
    assert!(html.contains("role=\"alert\""));
    assert!(html.contains("value=\"douze euros\""), "the amount is kept");
    assert!(html.contains("Pain et légumes"), "the description is kept");
    assert!(html.contains("aria-invalid=\"true\""));
    assert_eq!(app.count("invoices").await, 0, "nothing written");

    let (s, _, html) = post_form(&a, &app, "/invoices", "it", &form("0")).await;
    assert_eq!(s, 422);
    assert!(html.contains("<html lang=\"it\">"));
    assert_eq!(app.count("invoices").await, 0);

    let (s, location, _) = post_form(&a, &app, "/invoices", "fr", &form("120,50")).await;
    assert_eq!(s, 303);
    assert!(location.ends_with("?done=issued"), "{location}");
    let (s, html) = page(&a, &app, &location, "fr").await;
    assert_eq!(s, 200);
    assert!(html.contains("La facture a été émise."));
    assert!(html.contains("120,50"), "the amount as typed: {html}");
    let (_, v) = app.get("/api/v1/invoices", Some(&p.a_token)).await;
    assert_eq!(v["items"][0]["amount"], 12_050);
    assert_eq!(v["items"][0]["debtor"], p.b_account.as_str());
    let id = v["items"][0]["id"].as_str().unwrap().to_owned();

    // The debtor pays part of it through the page; an overpayment is refused in French.
    let b = signed_in(&app, "bruno@coop.example").await;
    let (s, html) = page(&b, &app, &format!("/invoices/{id}"), "fr").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("value=\"120,50\""),
        "pay defaults to the remainder"
    );
    assert!(html.contains(&format!("action=\"/invoices/{id}/accept\"")));
    assert!(
        !html.contains(&format!("action=\"/invoices/{id}/cancel\"")),
        "the debtor is not offered to cancel"
    );
    let csrf = csrf_of(&html);
    let (s, _, html) = post_form(
        &b,
        &app,
        &format!("/invoices/{id}/pay"),
        "fr",
        &[("csrf", csrf.as_str()), ("amount", "500")],
    )
    .await;
    assert_eq!(s, 409);
    assert!(html.contains("plus que ce qui reste"), "{html}");
    assert!(html.contains("value=\"500\""), "the amount is kept");
    assert_eq!(app.count("transfers").await, 0);
    let (s, location, _) = post_form(
        &b,
        &app,
        &format!("/invoices/{id}/pay"),
        "fr",
        &[("csrf", csrf.as_str()), ("amount", "20")],
    )
    .await;
    assert_eq!(s, 303);
    let (_, html) = page(&b, &app, &location, "fr").await;
    assert!(html.contains("Votre paiement a été effectué."));
    assert!(html.contains("100,50"), "remaining shown: {html}");
    let (s, html) = page(&b, &app, "/invoices?view=pay", "en").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("100.50"),
        "the list shows what remains: {html}"
    );
    assert!(html.contains("Orto Anna"));

    // The creditor's side: cancelling is refused now that something is paid.
    let (_, html) = page(&a, &app, &format!("/invoices/{id}"), "en").await;
    assert!(!html.contains(&format!("action=\"/invoices/{id}/cancel\"")));
    let csrf = csrf_of(&html);
    let (s, _, html) = post_form(
        &a,
        &app,
        &format!("/invoices/{id}/cancel"),
        "en",
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(s, 409);
    assert!(html.contains("cannot be cancelled"), "{html}");

    // Others get a 404 page, and a form without its CSRF token is refused.
    app.person("olga@example.org", "Olga").await;
    let o = signed_in(&app, "olga@example.org").await;
    let (s, _) = page(&o, &app, &format!("/invoices/{id}"), "en").await;
    assert_eq!(s, 404);
    let (s, _, _) = post_form(
        &b,
        &app,
        &format!("/invoices/{id}/pay"),
        "en",
        &[("amount", "1")],
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(app.count("transfers").await, 1);
}

async fn the_list_page_marks_overdue_invoices_in_words(app: TestApp) {
    let p = parties(&app).await;
    let mut late = invoice_body(&p, json!(4_000), None);
    late["due_on"] = json!(due_in(-3));
    let (s, _) = app.post("/api/v1/invoices", Some(&p.a_token), &late).await;
    assert_eq!(s, 201);
    let b = signed_in(&app, "bruno@coop.example").await;
    for path in [
        "/invoices",
        "/invoices?view=overdue",
        "/invoices?view=pay&status=issued",
    ] {
        let (s, html) = page(&b, &app, path, "it").await;
        assert_eq!(s, 200, "{path}");
        assert!(html.contains("Scaduta"), "{path}: overdue said in words");
        assert!(html.contains("Orto Anna"));
    }
    let (s, html) = page(&b, &app, "/invoices?view=collect", "it").await;
    assert_eq!(s, 200);
    assert!(!html.contains("Orto Anna"));
    let (s, _) = page(&b, &app, "/invoices?all=1", "it").await;
    assert_eq!(s, 403, "only coordinators see all");
    let (s, html) = page(&browser(), &app, "/invoices", "it").await;
    assert_eq!(s, 401, "{html}");
    // A coordinator sees the district's invoices, between whom.
    let c = signed_in(&app, "coord@test.example").await;
    let (s, html) = page(&c, &app, "/invoices?all=1&view=overdue", "it").await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("Orto Anna → Forno Bruno"), "{html}");
    let (s, html) = page(&c, &app, "/invoices", "it").await;
    assert_eq!(s, 200);
    assert!(!html.contains("Orto Anna"), "not the coordinator's own");
}

on_both!(
    issued_then_paid_in_two_parts,
    disputes_and_cancellations,
    euro_payments_are_recorded_by_the_creditor,
    lists_overdue_and_privacy,
    bad_input_writes_nothing,
    the_issue_form_refuses_in_french_and_writes_nothing,
    the_list_page_marks_overdue_invoices_in_words,
);
