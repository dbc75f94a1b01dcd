//! Mutual credit over the API: paying, idempotency, limits, reversals, payment requests,
//! authorisations, the coordinators' summary, and the ledger in export/import. Every refusal
//! is checked to write nothing.

use crate::harness::TestApp;
use crate::on_both;
use serde_json::{Value, json};

/// A coordinator, two admitted people and an admitted farm (with its admin's token).
struct District {
    coord: String,
    anna: (String, String, String),
    bruno: (String, String, String),
    farm_admin: String,
    farm_account: String,
}

async fn district(app: &TestApp) -> District {
    let (_, coord) = app.coordinator().await;
    let anna = app.member(&coord, "anna@example.org").await;
    let bruno = app.member(&coord, "bruno@example.org").await;
    let (org, farm_admin) = app
        .admitted_org(&coord, "farm@example.org", "Orto Solidale")
        .await;
    let (s, o) = app.get(&format!("/api/v1/organizations/{org}"), None).await;
    assert_eq!(s, 200, "{o}");
    let farm_account = o["account_id"].as_str().unwrap().to_owned();
    District {
        coord,
        anna,
        bruno,
        farm_admin,
        farm_account,
    }
}

async fn pay(app: &TestApp, token: &str, key: Option<&str>, body: &Value) -> (u16, Value) {
    let mut req = app
        .client
        .post(app.url("/api/v1/transfers"))
        .bearer_auth(token)
        .json(body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn balance(app: &TestApp, token: &str, account: &str) -> i64 {
    let (s, a) = app
        .get(&format!("/api/v1/accounts/{account}"), Some(token))
        .await;
    assert_eq!(s, 200, "{a}");
    a["balance"].as_i64().unwrap()
}

async fn paying_moves_money_once(app: TestApp) {
    let d = district(&app).await;
    let (_, anna, anna_acct) = &d.anna;
    let body =
        json!({"payer": anna_acct, "payee": d.farm_account, "amount": 1500, "memo": "Verdure"});
    let (s, t) = pay(&app, anna, Some("k-1"), &body).await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(
        (t["amount"].as_i64(), t["kind"].as_str()),
        (Some(1500), Some("payment"))
    );
    let (s, again) = pay(&app, anna, Some("k-1"), &body).await;
    assert_eq!(s, 201, "{again}");
    assert_eq!(again["id"], t["id"], "a replay answers the first transfer");
    let other =
        json!({"payer": anna_acct, "payee": d.farm_account, "amount": 1600, "memo": "Verdure"});
    let (s, e) = pay(&app, anna, Some("k-1"), &other).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("idempotency_key_reused"))
    );
    assert_eq!(app.count("transfers").await, 1);

    let (s, a) = app
        .get(&format!("/api/v1/accounts/{anna_acct}"), Some(anna))
        .await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["balance"], -1500);
    assert_eq!(
        a["credit_limit"], 10_000,
        "people's default line: 100 units"
    );
    assert_eq!(a["upper_limit"], 500_000);
    assert_eq!(a["available"], 8500);
    assert_eq!(a["owner"]["kind"], "person");
    assert_eq!(balance(&app, &d.farm_admin, &d.farm_account).await, 1500);
    assert_eq!(
        balance(&app, &d.coord, anna_acct).await,
        -1500,
        "coordinators read every account"
    );
    let (s, _) = app
        .get(&format!("/api/v1/accounts/{anna_acct}"), Some(&d.bruno.1))
        .await;
    assert_eq!(s, 404, "someone else's account is not even there");

    let (s, h) = app
        .get(
            &format!("/api/v1/accounts/{anna_acct}/transfers?direction=out"),
            Some(anna),
        )
        .await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["total"], 1);
    assert_eq!(h["items"][0]["delta"], -1500);
    assert_eq!(h["items"][0]["balance_after"], -1500);
    assert_eq!(h["items"][0]["counterparty"], d.farm_account.as_str());
    let (_, h) = app
        .get(
            &format!("/api/v1/accounts/{anna_acct}/transfers?direction=in"),
            Some(anna),
        )
        .await;
    assert_eq!(h["total"], 0);
    let (s, t2) = app
        .get(
            &format!("/api/v1/transfers/{}", t["id"].as_str().unwrap()),
            Some(&d.farm_admin),
        )
        .await;
    assert_eq!((s, t2["memo"].as_str()), (200, Some("Verdure")));
    let (s, _) = app
        .get(
            &format!("/api/v1/transfers/{}", t["id"].as_str().unwrap()),
            Some(&d.bruno.1),
        )
        .await;
    assert_eq!(s, 404);
    // A refusal is the key's answer too: once credit arrives, the same retry is still refused,
    // so a client that gave up after the refusal is never charged by a late duplicate.
    let big = json!({"payer": anna_acct, "payee": d.farm_account, "amount": 9_000});
    let (s, e) = pay(&app, anna, Some("k-big"), &big).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (422, Some("credit_limit_exceeded"))
    );
    let (s, _) = pay(
        &app,
        &d.farm_admin,
        None,
        &json!({"payer": d.farm_account, "payee": anna_acct, "amount": 20_000}),
    )
    .await;
    assert_eq!(s, 201);
    let (s, e) = pay(&app, anna, Some("k-big"), &big).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (422, Some("credit_limit_exceeded"))
    );
    let (s, t3) = pay(&app, anna, Some("k-big-2"), &big).await;
    assert_eq!(s, 201, "{t3}");
    assert_eq!(app.count("transfers").await, 3);
    let report = distretto_store::ledger::verify::verify(&app.db)
        .await
        .unwrap();
    assert!(report.ok(), "{:?}", report.problems);
}

async fn bad_payments_are_refused_and_write_nothing(app: TestApp) {
    let d = district(&app).await;
    let (_, anna, anna_acct) = &d.anna;
    let (_, bruno, _) = &d.bruno;
    let cases: Vec<(Value, &str, u16, &str)> = vec![
        (
            json!({"payer": anna_acct, "payee": d.farm_account, "amount": 0}),
            anna,
            422,
            "amount_not_positive",
        ),
        (
            json!({"payer": anna_acct, "payee": d.farm_account, "amount": -5}),
            anna,
            422,
            "amount_not_positive",
        ),
        (
            json!({"payer": anna_acct, "payee": d.farm_account, "amount": 99999999999999i64}),
            anna,
            422,
            "amount_too_large",
        ),
        (
            json!({"payer": anna_acct, "payee": d.farm_account, "amount": 1.5}),
            anna,
            422,
            "bad_amount",
        ),
        (
            json!({"payer": anna_acct, "payee": d.farm_account, "amount": "12"}),
            anna,
            422,
            "invalid_json",
        ),
        (
            json!({"payer": anna_acct, "payee": uuid::Uuid::now_v7(), "amount": 100}),
            anna,
            422,
            "unknown_account",
        ),
        (
            json!({"payer": uuid::Uuid::now_v7(), "payee": d.farm_account, "amount": 100}),
            anna,
            422,
            "unknown_account",
        ),
        (
            json!({"payer": anna_acct, "payee": anna_acct, "amount": 100}),
            anna,
            422,
            "same_account",
        ),
        (
            json!({"payer": anna_acct, "payee": d.farm_account, "amount": 100, "currency": "EUR"}),
            anna,
            422,
            "currency_mismatch",
        ),
        (
            json!({"payer": anna_acct, "payee": d.farm_account, "amount": 100}),
            bruno,
            403,
            "not_your_account",
        ),
        (
            json!({"payer": anna_acct, "payee": d.farm_account, "amount": 100}),
            &d.coord,
            403,
            "not_your_account",
        ),
        (
            json!({"payer": anna_acct, "payee": d.farm_account, "amount": 10_001}),
            anna,
            422,
            "credit_limit_exceeded",
        ),
        (
            json!({"payer": anna_acct, "payee": d.farm_account, "amount": 100, "memo": "x".repeat(281)}),
            anna,
            422,
            "memo_too_long",
        ),
        (
            json!({"payer": anna_acct, "payee": d.farm_account, "amount": 100, "extra": 1}),
            anna,
            422,
            "invalid_json",
        ),
    ];
    for (i, (body, token, status, code)) in cases.into_iter().enumerate() {
        let (s, e) = pay(&app, token, Some(&format!("bad-{i}")), &body).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (status, Some(code)),
            "case {i}: {body}"
        );
    }
    for raw in ["100000000000000000000", "18446744073709551615", "1e30"] {
        let body = format!(
            r#"{{"payer":"{anna_acct}","payee":"{}","amount":{raw}}}"#,
            d.farm_account
        );
        let res = app
            .client
            .post(app.url("/api/v1/transfers"))
            .bearer_auth(anna)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 422, "{raw}");
        let e: Value = res.json().await.unwrap();
        assert_eq!(e["error"]["code"], "amount_too_large", "{raw}");
    }
    let (s, e) = pay(
        &app,
        anna,
        Some(&"k".repeat(300)),
        &json!({"payer": anna_acct, "payee": d.farm_account, "amount": 1}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (400, Some("bad_idempotency_key"))
    );
    let (s, _) = pay(
        &app,
        "0".repeat(64).as_str(),
        None,
        &json!({"payer": anna_acct, "payee": d.farm_account, "amount": 1}),
    )
    .await;
    assert_eq!(s, 401);
    assert_eq!(
        app.count("transfers").await,
        0,
        "no refusal wrote a transfer"
    );
    // Only the ledger's own refusals (same account, unknown payee, limits) keep their key.
    assert_eq!(app.count("idempotency_keys").await, 3);
    assert_eq!(balance(&app, anna, anna_acct).await, 0);
    // The upper limit binds the payee: people may hold at most 5,000 units.
    let (s, e) = pay(
        &app,
        &d.farm_admin,
        None,
        &json!({"payer": d.farm_account, "payee": anna_acct, "amount": 300_000}),
    )
    .await;
    assert_eq!(s, 201, "{e}");
    let (s, e) = pay(
        &app,
        &d.farm_admin,
        None,
        &json!({"payer": d.farm_account, "payee": anna_acct, "amount": 200_001}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (422, Some("credit_limit_exceeded"))
    );
    assert_eq!(app.count("transfers").await, 1);
}

async fn concurrent_duplicates_post_once(app: TestApp) {
    let d = district(&app).await;
    let (_, anna, anna_acct) = &d.anna;
    let body = json!({"payer": anna_acct, "payee": d.farm_account, "amount": 7, "memo": "pane"});
    let answers = futures_join(&app, anna, &body, 24).await;
    let first = &answers[0]["id"];
    assert!(first.is_string(), "{}", answers[0]);
    assert!(
        answers.iter().all(|a| &a["id"] == first),
        "every duplicate answers the same transfer"
    );
    assert_eq!(app.count("transfers").await, 1);
    assert_eq!(balance(&app, anna, anna_acct).await, -7);
}

async fn futures_join(app: &TestApp, token: &str, body: &Value, n: usize) -> Vec<Value> {
    let mut handles = Vec::new();
    for _ in 0..n {
        let (client, url, token, body) = (
            app.client.clone(),
            app.url("/api/v1/transfers"),
            token.to_owned(),
            body.clone(),
        );
        handles.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(token)
                .header("Idempotency-Key", "same")
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), 201);
            res.json::<Value>().await.unwrap()
        }));
    }
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

async fn limits_and_reversals(app: TestApp) {
    let d = district(&app).await;
    let (_, anna, anna_acct) = &d.anna;
    let path = format!("/api/v1/accounts/{anna_acct}/limits");
    let (s, c) = app
        .send(
            reqwest::Method::PUT,
            &path,
            Some(&d.coord),
            &json!({"credit_limit": 50_000, "upper_limit": null, "reason": "Assembly of 3 March"}),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(
        (c["old_credit_limit"].as_i64(), c["credit_limit"].as_i64()),
        (Some(10_000), Some(50_000))
    );
    let (s, e) = app
        .send(
            reqwest::Method::PUT,
            &path,
            Some(anna),
            &json!({"credit_limit": 90_000, "upper_limit": null, "reason": "I want more"}),
        )
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (403, Some("forbidden")));
    let (s, e) = app
        .send(
            reqwest::Method::PUT,
            &path,
            Some(&d.coord),
            &json!({"credit_limit": 100, "upper_limit": null, "reason": ""}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (422, Some("reason_required"))
    );
    let (s, t) = pay(
        &app,
        anna,
        None,
        &json!({"payer": anna_acct, "payee": d.farm_account, "amount": 30_000}),
    )
    .await;
    assert_eq!(s, 201, "{t}");
    let (s, e) = app
        .send(
            reqwest::Method::PUT,
            &path,
            Some(&d.coord),
            &json!({"credit_limit": 10_000, "upper_limit": null, "reason": "Back to default"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (422, Some("limit_below_balance"))
    );
    let (s, log) = app
        .get(
            &format!("/api/v1/accounts/{anna_acct}/limit-changes"),
            Some(anna),
        )
        .await;
    assert_eq!((s, log["total"].as_i64()), (200, Some(1)), "{log}");
    assert_eq!(log["items"][0]["reason"], "Assembly of 3 March");

    let reversal = format!("/api/v1/transfers/{}/reversal", t["id"].as_str().unwrap());
    let (s, e) = app
        .post(&reversal, Some(anna), &json!({"reason": "Mistake"}))
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (403, Some("forbidden")));
    let (s, r) = app
        .post(
            &reversal,
            Some(&d.coord),
            &json!({"reason": "Paid twice by mistake"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(
        (r["kind"].as_str(), r["reverses"].as_str()),
        (Some("reversal"), t["id"].as_str())
    );
    assert_eq!(r["payer"].as_str(), Some(d.farm_account.as_str()));
    assert_eq!(balance(&app, anna, anna_acct).await, 0);
    let (s, e) = app
        .post(&reversal, Some(&d.coord), &json!({"reason": "Again"}))
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("already_reversed"))
    );
    let (s, e) = app
        .post(
            &format!("/api/v1/transfers/{}/reversal", r["id"].as_str().unwrap()),
            Some(&d.coord),
            &json!({"reason": "Undo the undo"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("not_reversible"))
    );
    assert_eq!(app.count("transfers").await, 2);
    let report = distretto_store::ledger::verify::verify(&app.db)
        .await
        .unwrap();
    assert!(report.ok(), "{:?}", report.problems);
}

async fn payment_requests(app: TestApp) {
    let d = district(&app).await;
    let (_, anna, anna_acct) = &d.anna;
    let (_, bruno, bruno_acct) = &d.bruno;
    let (s, r) = app.post("/api/v1/payment-requests", Some(&d.farm_admin), &json!({"payee": d.farm_account, "payer": anna_acct, "amount": 850, "memo": "Cassetta"})).await;
    assert_eq!(s, 201, "{r}");
    assert!(
        r["pay_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/pay/{}", r["id"].as_str().unwrap()))
    );
    let (s, list) = app
        .get(
            "/api/v1/payment-requests?direction=incoming&open=true",
            Some(anna),
        )
        .await;
    assert_eq!((s, list["total"].as_i64()), (200, Some(1)), "{list}");
    let (s, _) = app
        .get(
            &format!("/api/v1/payment-requests/{}", r["id"].as_str().unwrap()),
            Some(bruno),
        )
        .await;
    assert_eq!(s, 404, "a request addressed to someone else is private");
    let pay_path = format!("/api/v1/payment-requests/{}/pay", r["id"].as_str().unwrap());
    let (s, e) = app
        .post(&pay_path, Some(bruno), &json!({"payer": bruno_acct}))
        .await;
    assert_eq!(s, 404, "{e}");
    let (s, t) = app
        .post(&pay_path, Some(anna), &json!({"payer": anna_acct}))
        .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(
        (t["kind"].as_str(), t["request_id"].as_str()),
        (Some("request"), r["id"].as_str())
    );
    let (s, e) = app
        .post(&pay_path, Some(anna), &json!({"payer": anna_acct}))
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("request_not_open"))
    );
    let (_, r2) = app
        .get(
            &format!("/api/v1/payment-requests/{}", r["id"].as_str().unwrap()),
            Some(anna),
        )
        .await;
    assert_eq!(r2["status"], "paid");
    assert_eq!(balance(&app, anna, anna_acct).await, -850);

    // A code at a stall: addressed to nobody, anyone signed in may pay it, once.
    let (s, open) = app
        .post(
            "/api/v1/payment-requests",
            Some(&d.farm_admin),
            &json!({"payee": d.farm_account, "amount": 300, "memo": "Mercato"}),
        )
        .await;
    assert_eq!(s, 201, "{open}");
    let open_pay = format!(
        "/api/v1/payment-requests/{}/pay",
        open["id"].as_str().unwrap()
    );
    let (s, _) = app
        .post(&open_pay, Some(bruno), &json!({"payer": bruno_acct}))
        .await;
    assert_eq!(s, 201);
    let (s, _) = app
        .post(&open_pay, Some(anna), &json!({"payer": anna_acct}))
        .await;
    assert_eq!(s, 409);

    let (_, r3) = app
        .post(
            "/api/v1/payment-requests",
            Some(&d.farm_admin),
            &json!({"payee": d.farm_account, "payer": anna_acct, "amount": 100}),
        )
        .await;
    let (s, declined) = app
        .post(
            &format!(
                "/api/v1/payment-requests/{}/decline",
                r3["id"].as_str().unwrap()
            ),
            Some(anna),
            &json!({}),
        )
        .await;
    assert_eq!((s, declined["status"].as_str()), (200, Some("declined")));
    let (_, r4) = app
        .post(
            "/api/v1/payment-requests",
            Some(&d.farm_admin),
            &json!({"payee": d.farm_account, "payer": anna_acct, "amount": 100}),
        )
        .await;
    let (s, e) = app
        .post(
            &format!(
                "/api/v1/payment-requests/{}/cancel",
                r4["id"].as_str().unwrap()
            ),
            Some(anna),
            &json!({}),
        )
        .await;
    assert_eq!(s, 403, "only the payee cancels: {e}");
    let (s, c) = app
        .post(
            &format!(
                "/api/v1/payment-requests/{}/cancel",
                r4["id"].as_str().unwrap()
            ),
            Some(&d.farm_admin),
            &json!({}),
        )
        .await;
    assert_eq!((s, c["status"].as_str()), (200, Some("cancelled")));

    let before = app.count("payment_requests").await;
    for (body, code) in [
        (
            json!({"payee": d.farm_account, "payer": anna_acct, "amount": 0}),
            "amount_not_positive",
        ),
        (
            json!({"payee": d.farm_account, "payer": d.farm_account, "amount": 5}),
            "same_account",
        ),
        (
            json!({"payee": d.farm_account, "payer": uuid::Uuid::now_v7(), "amount": 5}),
            "unknown_account",
        ),
        (json!({"payee": anna_acct, "amount": 5}), "not_your_account"),
    ] {
        let (s, e) = app
            .post("/api/v1/payment-requests", Some(&d.farm_admin), &body)
            .await;
        assert_eq!(e["error"]["code"].as_str(), Some(code), "{body}: {s} {e}");
    }
    assert_eq!(app.count("payment_requests").await, before);
    assert_eq!(app.count("transfers").await, 2);
}

async fn authorised_people_may_pay(app: TestApp) {
    let d = district(&app).await;
    let (_, anna, anna_acct) = &d.anna;
    let (bruno_id, bruno, _) = &d.bruno;
    let body = json!({"payer": anna_acct, "payee": d.farm_account, "amount": 100});
    let auth = format!("/api/v1/accounts/{anna_acct}/authorizations");
    let (s, _) = app
        .post(&auth, Some(bruno), &json!({"email": "bruno@example.org"}))
        .await;
    assert_eq!(s, 403, "only the owner authorises");
    let (s, v) = app
        .post(&auth, Some(anna), &json!({"email": "nobody@example.org"}))
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("unknown_person"))
    );
    let (s, v) = app
        .post(&auth, Some(anna), &json!({"email": "bruno@example.org"}))
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, t) = pay(&app, bruno, None, &body).await;
    assert_eq!(s, 201, "{t}");
    let (s, me) = app.get("/api/v1/me", Some(bruno)).await;
    assert_eq!(s, 200);
    assert_eq!(
        me["accounts"].as_array().unwrap().len(),
        2,
        "own account first, then Anna's: {me}"
    );
    let (s, _) = app
        .send(
            reqwest::Method::DELETE,
            &format!("{auth}/{bruno_id}"),
            Some(anna),
            &json!({}),
        )
        .await;
    assert_eq!(s, 204);
    let (s, e) = pay(&app, bruno, None, &body).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (403, Some("not_your_account"))
    );
    assert_eq!(app.count("transfers").await, 1);
}

async fn coordinators_see_the_district_ledger(app: TestApp) {
    let d = district(&app).await;
    let (_, anna, anna_acct) = &d.anna;
    let (s, _) = pay(
        &app,
        anna,
        None,
        &json!({"payer": anna_acct, "payee": d.farm_account, "amount": 9_000}),
    )
    .await;
    assert_eq!(s, 201);
    let (s, v) = app.get("/api/v1/ledger/summary", Some(&d.coord)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["transfers"], 1);
    assert_eq!(v["volume_last_year"], 9_000);
    assert_eq!(v["circulation"], 9_000);
    assert_eq!(v["velocity_hundredths"], 100);
    assert_eq!(
        v["near_limit"][0]["id"].as_str(),
        Some(anna_acct.as_str()),
        "90% of her line used"
    );
    let (s, _) = app.get("/api/v1/ledger/summary", Some(anna)).await;
    assert_eq!(s, 403);
}

async fn the_ledger_round_trips_through_export(app: TestApp) {
    let d = district(&app).await;
    let (_, anna, anna_acct) = &d.anna;
    for i in 0..5 {
        let (s, _) = pay(&app, anna, Some(&format!("rt-{i}")), &json!({"payer": anna_acct, "payee": d.farm_account, "amount": 100 + i, "memo": format!("giro {i}")})).await;
        assert_eq!(s, 201);
    }
    let (s, _) = app
        .post(
            "/api/v1/payment-requests",
            Some(&d.farm_admin),
            &json!({"payee": d.farm_account, "payer": anna_acct, "amount": 850}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = app
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/accounts/{anna_acct}/limits"),
            Some(&d.coord),
            &json!({"credit_limit": 20_000, "upper_limit": null, "reason": "Assembly"}),
        )
        .await;
    assert_eq!(s, 200);
    let first = distretto_store::export::export(&app.db).await.unwrap();
    assert_eq!(first.version, 12);
    assert_eq!(first.transfers.len(), 5);
    let other = crate::harness::spawn(crate::harness::Backend::Sqlite).await;
    distretto_store::export::import(&other.db, &first)
        .await
        .unwrap();
    let second = distretto_store::export::export(&other.db).await.unwrap();
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap()
    );
    let report = distretto_store::ledger::verify::verify(&other.db)
        .await
        .unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    // The imported district keeps posting on the same chain.
    let token = other.token("anna@example.org").await;
    let (s, t) = pay(
        &other,
        &token,
        None,
        &json!({"payer": anna_acct, "payee": d.farm_account, "amount": 1}),
    )
    .await;
    assert_eq!((s, t["seq"].as_i64()), (201, Some(6)), "{t}");
    let report = distretto_store::ledger::verify::verify(&other.db)
        .await
        .unwrap();
    assert!(report.ok(), "{:?}", report.problems);
}

async fn a_version_1_document_gets_default_limits(app: TestApp) {
    let d = district(&app).await;
    let mut doc = distretto_store::export::export(&app.db).await.unwrap();
    // What version 1 held: accounts without limits, balances or purposes, and no ledger.
    doc.version = 1;
    for a in &mut doc.accounts {
        (a.credit_limit_minor, a.upper_limit_minor, a.purpose) = (0, None, None);
    }
    let other = crate::harness::spawn(crate::harness::Backend::Sqlite).await;
    distretto_store::export::import(&other.db, &doc)
        .await
        .unwrap();
    let again = distretto_store::export::export(&other.db).await.unwrap();
    let by_id = |id: &str| {
        again
            .accounts
            .iter()
            .find(|a| a.id.to_string() == id)
            .unwrap()
            .clone()
    };
    let anna = by_id(&d.anna.2);
    assert_eq!(
        (anna.credit_limit_minor, anna.upper_limit_minor),
        (10_000, Some(500_000))
    );
    assert_eq!(
        by_id(&d.farm_account).credit_limit_minor,
        300_000,
        "a farm's line"
    );
    let mut purposes: Vec<String> = again
        .accounts
        .iter()
        .filter(|a| a.owner_kind == "district")
        .filter_map(|a| a.purpose.clone())
        .collect();
    purposes.sort();
    assert_eq!(purposes, ["fees", "fund"]);
}

on_both!(
    a_version_1_document_gets_default_limits,
    paying_moves_money_once,
    bad_payments_are_refused_and_write_nothing,
    concurrent_duplicates_post_once,
    limits_and_reversals,
    payment_requests,
    authorised_people_may_pay,
    coordinators_see_the_district_ledger,
    the_ledger_round_trips_through_export,
);
