//! Payments between districts: two real servers with their own databases on loopback, linked;
//! a member of A pays a member of B. Both legs commit together or not at all, each district's
//! limits on the other's mirror account hold, a retry posts once, and a district that does not
//! answer leaves a hold that is committed or released once it is known how the payment ended.

use crate::federation::{Stranger, another, identity, links, post_inbox, propose};
use crate::harness::TestApp;
use crate::on_both;
use serde_json::{Value, json};

/// Two linked districts, their coordinators and the link's id on each side.
pub(crate) struct Pair {
    pub(crate) a: TestApp,
    pub(crate) b: TestApp,
    pub(crate) coord_a: String,
    pub(crate) coord_b: String,
    pub(crate) link_a: String,
    pub(crate) link_b: String,
}

pub(crate) async fn linked(a: TestApp) -> Pair {
    let b = another(&a).await;
    let (_, coord_a) = a.coordinator().await;
    let (_, coord_b) = b.coordinator().await;
    let (id_a, id_b) = (identity(&a).await, identity(&b).await);
    let (s, v) = propose(&a, &coord_a, &id_b).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = propose(&b, &coord_b, &id_a).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["status"], "active", "{v}");
    let link_a = links(&a, &coord_a).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let link_b = links(&b, &coord_b).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Pair {
        a,
        b,
        coord_a,
        coord_b,
        link_a,
        link_b,
    }
}

/// The mirror account of the link, as its coordinator sees it.
pub(crate) async fn mirror(app: &TestApp, coord: &str) -> Value {
    let l = links(app, coord).await;
    assert_eq!(l[0]["status"], "active", "{l:?}");
    l[0]["mirror"].clone()
}

pub(crate) async fn set_mirror_limits(app: &TestApp, coord: &str, credit: i64, upper: i64) {
    let m = mirror(app, coord).await;
    let (s, v) = app
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/accounts/{}/limits", m["account"].as_str().unwrap()),
            Some(coord),
            &json!({"credit_limit": credit, "upper_limit": upper, "reason": "Assembly of 3 March"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
}

pub(crate) async fn pay(app: &TestApp, token: &str, key: &str, body: &Value) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/federation/payments"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn balance(app: &TestApp, token: &str, account: &str) -> i64 {
    let (s, v) = app
        .get(&format!("/api/v1/accounts/{account}"), Some(token))
        .await;
    assert_eq!(s, 200, "{v}");
    v["balance"].as_i64().unwrap()
}

/// Points a district's link at another address: an unreachable district, then the real one.
pub(crate) async fn detour(app: &TestApp, link: &str, url: &str) {
    let link = uuid::Uuid::parse_str(link).unwrap();
    match &app.db {
        distretto_store::Db::Sqlite { write, .. } => {
            sqlx::query("UPDATE federation_links SET peer_url = ? WHERE id = ?")
                .bind(url)
                .bind(link)
                .execute(write)
                .await
                .unwrap();
        }
        distretto_store::Db::Postgres(pool) => {
            sqlx::query("UPDATE federation_links SET peer_url = $1 WHERE id = $2")
                .bind(url)
                .bind(link)
                .execute(pool)
                .await
                .unwrap();
        }
    }
}

/// Exports `app`'s district, imports it into a new database, exports again, and asserts the
/// two documents are the same; the first document, for further checks.
pub(crate) async fn export_round_trips(app: &TestApp) -> distretto_store::export::DistrictDocument {
    let first = distretto_store::export::export(&app.db).await.unwrap();
    let copy = crate::federation::another(app).await;
    distretto_store::export::import(&copy.db, &first)
        .await
        .unwrap();
    let second = distretto_store::export::export(&copy.db).await.unwrap();
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap()
    );
    first
}

pub(crate) async fn held(app: &TestApp) -> i64 {
    app.count("federation_payments WHERE status = 'held'").await
}

pub(crate) async fn verified(app: &TestApp) {
    let report = distretto_store::ledger::verify::verify(&app.db)
        .await
        .unwrap();
    assert!(report.ok(), "{report:?}");
}

/// Each pair's mirror balances agree: what A owes B's members in A is what B's members were
/// paid from A's account in B (one to one).
pub(crate) async fn mirrors_agree(p: &Pair) {
    let (ma, mb) = (
        mirror(&p.a, &p.coord_a).await,
        mirror(&p.b, &p.coord_b).await,
    );
    assert_eq!(
        ma["balance"].as_i64().unwrap(),
        -mb["balance"].as_i64().unwrap(),
        "{ma} {mb}"
    );
}

async fn a_payment_between_districts_commits_on_both_sides(a: TestApp) {
    let p = linked(a).await;
    let (_, payer, payer_account) = p.a.member(&p.coord_a, "ada@a.example").await;
    let (_, payee, payee_account) = p.b.member(&p.coord_b, "bea@b.example").await;
    let body = |amount: i64, payee: &str| json!({"link": p.link_a, "payer": payer_account, "payee": payee, "amount": amount, "memo": "Formaggi"});

    // Neither assembly allowed anything yet: A's limit on B's mirror refuses first.
    let (s, v) = pay(&p.a, &payer, "k0", &body(2_500, &payee_account)).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("federation_limit_exceeded")),
        "{v}"
    );
    set_mirror_limits(&p.a, &p.coord_a, 0, 100_000).await;
    // Now B's limit on A's mirror refuses, and A releases its hold.
    let (s, v) = pay(&p.a, &payer, "k1", &body(2_500, &payee_account)).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("federation_limit_exceeded")),
        "{v}"
    );
    assert_eq!((held(&p.a).await, held(&p.b).await), (0, 0));
    assert_eq!(balance(&p.a, &payer, &payer_account).await, 0);
    set_mirror_limits(&p.b, &p.coord_b, 100_000, 0).await;

    let (s, v) = pay(&p.a, &payer, "k2", &body(2_500, &payee_account)).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (
            v["status"].as_str(),
            v["direction"].as_str(),
            v["remote_amount_minor"].as_i64()
        ),
        (Some("committed"), Some("out"), Some(2_500)),
        "{v}"
    );
    assert_eq!(v["counterpart_name"], "Member", "{v}");
    assert_eq!(v["open"], false, "B acknowledged the commit: {v}");
    assert_eq!(balance(&p.a, &payer, &payer_account).await, -2_500);
    assert_eq!(balance(&p.b, &payee, &payee_account).await, 2_500);
    mirrors_agree(&p).await;
    // A retry answers the same payment and moves nothing; the key with another body is refused.
    let (s, again) = pay(&p.a, &payer, "k2", &body(2_500, &payee_account)).await;
    assert_eq!((s, &again["id"]), (201, &v["id"]), "{again}");
    let (s, e) = pay(&p.a, &payer, "k2", &body(2_600, &payee_account)).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("idempotency_key_reused"))
    );
    assert_eq!(balance(&p.b, &payee, &payee_account).await, 2_500);
    // The payee sees it arrive, with the payer's name.
    let (s, list) = p.b.get("/api/v1/federation/payments", Some(&payee)).await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["direction"], "in");
    assert_eq!(list["items"][0]["status"], "committed");
    assert_eq!(list["items"][0]["payment_id"], v["payment_id"]);
    assert_eq!(list["items"][0]["counterpart"], "Member");
    // B's coordinator lists the link's payments, the one B refused included; a member may not.
    let path = format!("/api/v1/federation/payments?link={}", p.link_b);
    let (_, all) = p.b.get(&path, Some(&p.coord_b)).await;
    let statuses: Vec<(&str, Option<&str>)> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["status"].as_str().unwrap(), i["refusal"].as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("committed", None),
            ("refused", Some("federation_limit_exceeded"))
        ],
        "{all}"
    );
    assert_eq!(p.b.get(&path, Some(&payee)).await.0, 403);

    // An organisation of B is paid by its id, as B's directory shows it.
    let (org, org_admin) =
        p.b.admitted_org(&p.coord_b, "farm@b.example", "Cascina B")
            .await;
    let (s, v) = pay(&p.a, &payer, "k3", &body(1_000, &org)).await;
    assert_eq!(
        (s, v["counterpart_name"].as_str()),
        (201, Some("Cascina B")),
        "{v}"
    );
    let org_accounts = distretto_store::accounts::of_owner(
        &p.b.db,
        "organization",
        uuid::Uuid::parse_str(&org).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(org_accounts[0].balance_minor, 1_000);
    let _ = org_admin;

    // Bad input: each is refused with its code, and nothing stays held or moves.
    let before = balance(&p.a, &payer, &payer_account).await;
    let unknown = uuid::Uuid::new_v4().to_string();
    for (key, b, status, code) in [
        ("b1", body(100, &unknown), 422, "federation_unknown_payee"),
        (
            "b2",
            body(100, "not an id"),
            422,
            "federation_unknown_payee",
        ),
        ("b3", body(0, &payee_account), 422, "bad_amount"),
        ("b4", body(-5, &payee_account), 422, "bad_amount"),
        (
            "b5",
            body(20_000, &payee_account),
            422,
            "credit_limit_exceeded",
        ),
    ] {
        let (s, v) = pay(&p.a, &payer, key, &b).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (status, Some(code)),
            "{key}: {v}"
        );
    }
    // Someone else's account, a link that does not exist, no key.
    let (_, other, _) = p.a.member(&p.coord_a, "cleo@a.example").await;
    let (s, v) = pay(&p.a, &other, "b6", &body(100, &payee_account)).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("not_your_account")),
        "{v}"
    );
    let mut wrong_link = body(100, &payee_account);
    wrong_link["link"] = json!(uuid::Uuid::new_v4());
    assert_eq!(pay(&p.a, &payer, "b7", &wrong_link).await.0, 404);
    let (s, v) =
        p.a.post(
            "/api/v1/federation/payments",
            Some(&payer),
            &body(100, &payee_account),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("idempotency_key_required"))
    );
    assert_eq!(balance(&p.a, &payer, &payer_account).await, before);
    assert_eq!((held(&p.a).await, held(&p.b).await), (0, 0));
    // The payer's list pages, with the count of all their payments.
    let (s, page) =
        p.a.get("/api/v1/federation/payments?limit=1&offset=1", Some(&payer))
            .await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        page["total"].as_i64().unwrap(),
        p.a.count("federation_payments WHERE direction = 'out'")
            .await
    );
    assert_eq!(
        p.a.get("/api/v1/federation/payments?limit=501", Some(&payer))
            .await
            .0,
        422
    );
    mirrors_agree(&p).await;
    verified(&p.a).await;
    verified(&p.b).await;
    // Payments, mirror accounts and rates survive export → import → export.
    let first = distretto_store::export::export(&p.b.db).await.unwrap();
    let committed = first
        .federation
        .payments
        .iter()
        .filter(|p| p.status == "committed");
    assert_eq!(committed.count(), 2);
    let copy = another(&p.b).await;
    distretto_store::export::import(&copy.db, &first)
        .await
        .unwrap();
    let second = distretto_store::export::export(&copy.db).await.unwrap();
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap()
    );
    verified(&copy).await;

    // A suspended link takes no new payment.
    let (s, _) =
        p.a.post(
            &format!("/api/v1/federation/links/{}/suspend", p.link_a),
            Some(&p.coord_a),
            &json!({"note": "audit"}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = pay(&p.a, &payer, "b8", &body(100, &payee_account)).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("federation_link_status")),
        "{v}"
    );
}

/// While B does not answer, A's payment stays held: the payer's room shrinks by it and nothing
/// moves. Once B answers again the resolver commits it on both sides; one whose deadline passed
/// is aborted instead, and its hold released.
async fn an_unanswered_payment_is_held_then_finished(a: TestApp) {
    let p = linked(a).await;
    set_mirror_limits(&p.a, &p.coord_a, 0, 100_000).await;
    set_mirror_limits(&p.b, &p.coord_b, 100_000, 0).await;
    let (_, payer, payer_account) = p.a.member(&p.coord_a, "ada@a.example").await;
    let (_, payee, payee_account) = p.b.member(&p.coord_b, "bea@b.example").await;
    let body = |amount: i64| json!({"link": p.link_a, "payer": payer_account, "payee": payee_account, "amount": amount, "memo": "Pane"});
    let real_url = p.b.base.clone();
    // B cannot be reached (nothing listens on port 9 of loopback).
    detour(&p.a, &p.link_a, "http://127.0.0.1:9").await;
    let (s, v) = pay(&p.a, &payer, "k1", &body(6_000)).await;
    assert_eq!((s, v["status"].as_str()), (202, Some("held")), "{v}");
    assert_eq!(
        balance(&p.a, &payer, &payer_account).await,
        0,
        "a hold moves nothing"
    );
    // The member's credit limit is 10,000: 6,000 are held, so 5,000 more do not fit.
    let (s, e) = pay(&p.a, &payer, "k2", &body(5_000)).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (422, Some("credit_limit_exceeded")),
        "{e}"
    );
    // Still unreachable: the resolver leaves it held.
    let now = distretto_store::now();
    distretto_web::federation::payments::resolve_before(&p.a.state, now)
        .await
        .unwrap();
    assert_eq!(held(&p.a).await, 1);

    detour(&p.a, &p.link_a, &real_url).await;
    distretto_web::federation::payments::resolve_before(&p.a.state, distretto_store::now())
        .await
        .unwrap();
    let (s, done) =
        p.a.get(
            &format!("/api/v1/federation/payments/{}", v["id"].as_str().unwrap()),
            Some(&payer),
        )
        .await;
    assert_eq!(
        (s, done["status"].as_str(), done["open"].as_bool()),
        (200, Some("committed"), Some(false)),
        "{done}"
    );
    assert_eq!(balance(&p.a, &payer, &payer_account).await, -6_000);
    assert_eq!(balance(&p.b, &payee, &payee_account).await, 6_000);
    // The retried request answers the committed payment.
    let (s, again) = pay(&p.a, &payer, "k1", &body(6_000)).await;
    assert_eq!(
        (s, again["status"].as_str()),
        (201, Some("committed")),
        "{again}"
    );

    // Unreachable again, and past its deadline: aborted, the hold released, B told later.
    detour(&p.a, &p.link_a, "http://127.0.0.1:9").await;
    let (s, v) = pay(&p.a, &payer, "k3", &body(3_000)).await;
    assert_eq!((s, v["status"].as_str()), (202, Some("held")), "{v}");
    let id = uuid::Uuid::parse_str(v["id"].as_str().unwrap()).unwrap();
    let past = distretto_store::now() - time::Duration::seconds(1);
    match &p.a.db {
        distretto_store::Db::Sqlite { write, .. } => {
            sqlx::query("UPDATE federation_payments SET deadline_at = ? WHERE id = ?")
                .bind(past)
                .bind(id)
                .execute(write)
                .await
                .unwrap();
        }
        distretto_store::Db::Postgres(pool) => {
            sqlx::query("UPDATE federation_payments SET deadline_at = $1 WHERE id = $2")
                .bind(past)
                .bind(id)
                .execute(pool)
                .await
                .unwrap();
        }
    }
    distretto_web::federation::payments::resolve_before(&p.a.state, distretto_store::now())
        .await
        .unwrap();
    let (_, done) =
        p.a.get(&format!("/api/v1/federation/payments/{id}"), Some(&payer))
            .await;
    assert_eq!(
        (
            done["status"].as_str(),
            done["refusal"].as_str(),
            done["open"].as_bool()
        ),
        (Some("aborted"), Some("federation_timeout"), Some(true)),
        "{done}"
    );
    assert_eq!(held(&p.a).await, 0);
    // Its room is back: 4,000 fit again.
    detour(&p.a, &p.link_a, &real_url).await;
    let (s, v) = pay(&p.a, &payer, "k4", &body(4_000)).await;
    assert_eq!((s, v["status"].as_str()), (201, Some("committed")), "{v}");
    // B hears of the abort (before its prepare, which never came) and remembers it.
    distretto_web::federation::payments::resolve_before(&p.a.state, distretto_store::now())
        .await
        .unwrap();
    let (_, done) =
        p.a.get(&format!("/api/v1/federation/payments/{id}"), Some(&payer))
            .await;
    assert_eq!(done["open"], false, "{done}");
    assert_eq!(
        p.b.count("federation_payments WHERE status = 'aborted'")
            .await,
        1
    );
    assert_eq!(balance(&p.b, &payee, &payee_account).await, 10_000);
    assert_eq!(balance(&p.a, &payer, &payer_account).await, -10_000);
    mirrors_agree(&p).await;
    verified(&p.a).await;
    verified(&p.b).await;
}

on_both!(
    a_payment_between_districts_commits_on_both_sides,
    an_unanswered_payment_is_held_then_finished
);

/// The value of the first hidden field `name` of a page.
pub(crate) fn field_of(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("the field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The federation page, in French: a member pays from the form (a bad payee is shown on the
/// form, then the payment goes through) and sees it; the coordinator sees the link with the
/// balance between the districts and its months, and suspends it from the page.
async fn the_federation_page_pays_and_shows_the_balance(a: TestApp) {
    use crate::harness::{answer, page, signed_in};
    let p = linked(a).await;
    set_mirror_limits(&p.a, &p.coord_a, 0, 100_000).await;
    set_mirror_limits(&p.b, &p.coord_b, 100_000, 0).await;
    let (_, _, payer_account) = p.a.member(&p.coord_a, "ada@a.example").await;
    let (_, payee, payee_account) = p.b.member(&p.coord_b, "bea@b.example").await;
    let browser = signed_in(&p.a, "ada@a.example").await;
    let (s, html) = page(&browser, &p.a, "/federation", "fr").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("Payer un membre d&#39;un autre district")
            || html.contains("Payer un membre d'un autre district"),
        "{html}"
    );
    assert!(
        !html.contains("Districts liés"),
        "members do not see the links"
    );
    let pay = |payee: String, amount: &'static str, html: String| {
        let browser = browser.clone();
        let url = p.a.url("/federation/pay");
        let link = p.link_a.clone();
        let from = payer_account.clone();
        async move {
            let res = browser
                .post(url)
                .header("accept-language", "fr")
                .form(&[
                    ("csrf", field_of(&html, "csrf")),
                    ("key", field_of(&html, "key")),
                    ("link", link),
                    ("from", from),
                    ("payee", payee),
                    ("amount", amount.to_owned()),
                    ("memo", "Toma".to_owned()),
                ])
                .send()
                .await
                .unwrap();
            answer(res).await
        }
    };
    let (s, _, body) = pay("pas un compte".into(), "1", html.clone()).await;
    assert_eq!(s, 422);
    assert!(
        body.contains("n&#39;a aucun compte") || body.contains("n'a aucun compte"),
        "{body}"
    );
    let (s, location, _) = pay(payee_account.clone(), "12,50", body).await;
    assert_eq!(s, 303);
    assert!(location.starts_with("/federation?paid="), "{location}");
    assert_eq!(balance(&p.b, &payee, &payee_account).await, 1_250);
    let (_, html) = page(&browser, &p.a, &location, "fr").await;
    assert!(html.contains("12,50"), "{html}");
    assert!(html.contains("Fait"), "{html}");

    let coord = signed_in(&p.a, "coord@test.example").await;
    let (s, html) = page(&coord, &p.a, "/federation", "it").await;
    assert_eq!(s, 200);
    assert!(html.contains("Distretti collegati"), "{html}");
    assert!(html.contains("Dobbiamo loro 12,50"), "{html}");
    assert!(
        html.contains("<svg class=\"balance-chart\""),
        "the balance over the year is drawn"
    );
    assert!(html.contains("Saldo tra i due distretti"), "{html}");
    let month = distretto_store::now();
    assert!(html.contains(&format!("{}-{:02}", month.year(), u8::from(month.month()))));
    let res = coord
        .post(p.a.url(&format!("/federation/links/{}/suspend", p.link_a)))
        .form(&[("csrf", field_of(&html, "csrf"))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(links(&p.a, &p.coord_a).await[0]["status"], "suspended");
    assert_eq!(
        links(&p.b, &p.coord_b).await[0]["status"],
        "suspended",
        "the other district was told"
    );
}

on_both!(the_federation_page_pays_and_shows_the_balance);

/// A coordinator replaces the district's key: the linked district learns the new one and
/// forgets the old one, payments go on signed with the new key, and a message signed with the
/// old key is refused. Members may not rotate.
async fn a_district_rotates_its_key_and_payments_go_on(a: TestApp) {
    let p = linked(a).await;
    set_mirror_limits(&p.a, &p.coord_a, 0, 100_000).await;
    set_mirror_limits(&p.b, &p.coord_b, 100_000, 0).await;
    let (_, payer, payer_account) = p.a.member(&p.coord_a, "ada@a.example").await;
    let (_, _, payee_account) = p.b.member(&p.coord_b, "bea@b.example").await;
    let body = json!({"link": p.link_a, "payer": payer_account, "payee": payee_account, "amount": 100, "memo": "Uova"});
    assert_eq!(pay(&p.a, &payer, "k1", &body).await.0, 201);
    let old = identity(&p.a).await;
    let old_seed = distretto_store::federation::current_key(&p.a.db)
        .await
        .unwrap()
        .unwrap()
        .secret_seed;

    assert_eq!(
        p.a.post("/api/v1/federation/keys/rotate", Some(&payer), &json!({}))
            .await
            .0,
        403
    );
    let (s, v) =
        p.a.post(
            "/api/v1/federation/keys/rotate",
            Some(&p.coord_a),
            &json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["told"][0]["delivered"], true, "{v}");
    let new = identity(&p.a).await;
    assert_eq!(new.1, v["keyid"].as_str().unwrap());
    assert_ne!((&new.1, &new.2), (&old.1, &old.2));
    let (_, district) = p.a.get("/api/v1/federation/district", None).await;
    assert_eq!(
        district["keys"].as_array().unwrap().len(),
        1,
        "the old key is no longer published"
    );
    let at_b = links(&p.b, &p.coord_b).await;
    let keys: Vec<&str> = at_b[0]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["keyid"].as_str().unwrap())
        .collect();
    assert_eq!(keys, [new.1.as_str()], "B knows the new key only");

    let body = json!({"link": p.link_a, "payer": payer_account, "payee": payee_account, "amount": 200, "memo": "Uova"});
    let (s, v) = pay(&p.a, &payer, "k2", &body).await;
    assert_eq!((s, v["status"].as_str()), (201, Some("committed")), "{v}");
    // Someone holding the old key can no longer speak for A.
    let thief = Stranger {
        url: old.0.clone(),
        keyid: old.1.clone(),
        key: distretto_domain::federation::signature::signing_key(old_seed.try_into().unwrap()),
    };
    let message =
        json!({"type": "link_status", "url": old.0, "status": "ended", "note": "stolen key"});
    let (s, e) = post_inbox(&p.b, &thief, &message, 0, "n-thief", false).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (401, Some("signature_unknown_key")),
        "{e}"
    );
    assert_eq!(links(&p.b, &p.coord_b).await[0]["status"], "active");
    mirrors_agree(&p).await;
}

on_both!(a_district_rotates_its_key_and_payments_go_on);

/// Ending a link frees the other district's address: the two districts can link again, with
/// the same keys, and the ended link stays in the history.
async fn ended_links_free_their_address(a: TestApp) {
    let p = linked(a).await;
    let (s, v) =
        p.a.post(
            &format!("/api/v1/federation/links/{}/end", p.link_a),
            Some(&p.coord_a),
            &json!({"note": "assembly decision"}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("ended")), "{v}");
    assert_eq!(links(&p.b, &p.coord_b).await[0]["status"], "ended");
    let (id_a, id_b) = (identity(&p.a).await, identity(&p.b).await);
    let (s, v) = propose(&p.a, &p.coord_a, &id_b).await;
    assert_eq!((s, v["status"].as_str()), (201, Some("proposed")), "{v}");
    let (s, v) = propose(&p.b, &p.coord_b, &id_a).await;
    assert_eq!((s, v["status"].as_str()), (201, Some("active")), "{v}");
    let at_a = links(&p.a, &p.coord_a).await;
    let mut statuses: Vec<(&str, &str)> = at_a
        .iter()
        .map(|l| (l["status"].as_str().unwrap(), l["url"].as_str().unwrap()))
        .collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [("active", id_b.0.as_str()), ("ended", id_b.0.as_str())]
    );
    // The new link works: B's suspension reaches A.
    let new_b = links(&p.b, &p.coord_b)
        .await
        .into_iter()
        .find(|l| l["status"] == "active")
        .unwrap();
    let (s, _) =
        p.b.post(
            &format!(
                "/api/v1/federation/links/{}/suspend",
                new_b["id"].as_str().unwrap()
            ),
            Some(&p.coord_b),
            &json!({"note": "audit"}),
        )
        .await;
    assert_eq!(s, 200);
    let at_a = links(&p.a, &p.coord_a).await;
    assert!(at_a.iter().any(|l| l["status"] == "suspended"), "{at_a:?}");
}

on_both!(ended_links_free_their_address);
