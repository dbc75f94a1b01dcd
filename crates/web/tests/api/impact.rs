//! Impact indicators from real flows, against figures computed by hand; the maintained
//! aggregates against a fold of the journal from scratch; privacy of breakdowns; the pages in
//! three languages; surveys, gap analysis and scenarios with their refusals.

use crate::harness::{TestApp, browser, page, signed_in, submit};
use crate::on_both;
use distretto_domain::impact::period::Period;
use distretto_store::impact::{AccountIndex, aggregates};
use serde_json::{Value, json};

async fn pay(app: &TestApp, token: &str, payer: &str, payee: &str, amount: i64, key: &str) {
    let res = app
        .client
        .post(app.url("/api/v1/transfers"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({"payer": payer, "payee": payee, "amount": amount, "memo": "impact test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201, "{}", res.text().await.unwrap());
}

/// The account of organisation `org` among the accounts `token` may spend from.
async fn org_account(app: &TestApp, token: &str, org: &str) -> String {
    let (_, me) = app.get("/api/v1/me", Some(token)).await;
    me["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["owner"].as_str() == Some(org) || a["owner_id"].as_str() == Some(org))
        .or_else(|| me["accounts"].as_array().unwrap().get(1))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn this_month() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!("{:04}-{:02}", now.year(), u8::from(now.month()))
}

fn indicator<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no indicator {id} in {body}"))
}

fn value(body: &Value, id: &str) -> i64 {
    indicator(body, id)["value"]
        .as_i64()
        .unwrap_or_else(|| panic!("{id} has no value: {body}"))
}

struct Fixture {
    coord: String,
    a: String,
    a_admin: String,
    b: String,
    p1: String,
}

/// Two farms A and B, two individual members P1 and P2, five transfers:
/// P1 → A 10,000; A → B 4,000; B → A 1,000; A → P2 3,000 (a wage); P2 → B 2,000.
async fn fixture(app: &TestApp) -> Fixture {
    let (_, coord) = app.coordinator().await;
    let (a, a_admin) = app.admitted_org(&coord, "a@test.example", "Farm A").await;
    let (b, b_admin) = app.admitted_org(&coord, "b@test.example", "Farm B").await;
    let (_, p1, p1_acct) = app.member(&coord, "p1@test.example").await;
    let (_, p2, p2_acct) = app.member(&coord, "p2@test.example").await;
    let a_acct = org_account(app, &a_admin, &a).await;
    let b_acct = org_account(app, &b_admin, &b).await;
    pay(app, &p1, &p1_acct, &a_acct, 10_000, "t1").await;
    pay(app, &a_admin, &a_acct, &b_acct, 4_000, "t2").await;
    pay(app, &b_admin, &b_acct, &a_acct, 1_000, "t3").await;
    pay(app, &a_admin, &a_acct, &p2_acct, 3_000, "t4").await;
    pay(app, &p2, &p2_acct, &b_acct, 2_000, "t5").await;
    Fixture {
        coord,
        a,
        a_admin,
        b,
        p1,
    }
}

/// The figures by hand (period: this month; the survey of farm A for this year declares
/// 12,000 of euro spending outside the ledger, none local, so 1,000 for one month):
/// - trade 20,000 in 5 transfers; credit in circulation at the month's end: A 4,000 + B 5,000
///   + P2 1,000 = 10,000 (P1 is at −10,000); velocity 20,000 / 10,000 = 2.000.
/// - local share: 20,000 local of 21,000 recorded = 952,380 ppm.
/// - LM3 of the two farms: R1(A) = 11,000, spend(A) = 8,000 of which 7,000 local, R2(A) =
///   9,625; R1(B) = 6,000, spend(B) = 1,000 all local, R2(B) = 6,000. R3(A) = 11,000 × 4,000 ×
///   1 / 8,000 (B) + 11,000 × 3,000 × 1 / 8,000 (P2) = 5,500 + 4,125 = 9,625; R3(B) = 6,000 ×
///   1,000 × 7/8 / 1,000 = 5,250. LM3 = (17,000 + 15,625 + 14,875) / 17,000 = 2.794.
/// - reciprocity: A ↔ B matched 2 × 1,000 of 20,000 = 100,000 ppm; in cycles: the largest
///   circulation is A → P2 → B → A with 1,000 on each of three arcs, 3,000 / 20,000 = 150,000 ppm.
/// - both farms buy from and sell to members.
async fn indicators_from_real_flows(app: TestApp) {
    let f = fixture(&app).await;
    let year = time::OffsetDateTime::now_utc().year();
    let survey = json!({"outside_total_minor": 12_000, "outside_local_minor": 0, "by_sector": {"energy": 9_000}});
    let (s, v) = app
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/impact/surveys/{}/{year}", f.a),
            Some(&f.a_admin),
            &survey,
        )
        .await;
    assert_eq!(s, 200, "{v}");

    let month = this_month();
    let (s, body) = app
        .get(&format!("/api/v1/impact/indicators?period={month}"), None)
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["period"], month.as_str());
    assert_eq!(value(&body, "trade_volume"), 20_000);
    assert_eq!(value(&body, "trade_transfers"), 5);
    assert_eq!(value(&body, "circulation"), 10_000);
    assert_eq!(value(&body, "velocity"), 2_000);
    assert_eq!(value(&body, "local_share"), 952_380);
    assert_eq!(value(&body, "lm3_r1"), 17_000);
    assert_eq!(value(&body, "lm3_r2"), 15_625);
    assert_eq!(value(&body, "lm3_r3"), 14_875);
    assert_eq!(value(&body, "lm3"), 2_794);
    assert_eq!(value(&body, "reciprocity"), 100_000);
    assert_eq!(value(&body, "in_cycles"), 150_000);
    assert_eq!(value(&body, "both_ways"), 2);
    assert_eq!(value(&body, "members_organizations"), 2);
    // Two farms are fewer than five: no breakdown by kind or sector, no sector flows.
    assert_eq!(
        indicator(&body, "members_organizations")["breakdown"],
        json!([])
    );
    assert_eq!(indicator(&body, "members_organizations")["withheld"], 1);
    assert_eq!(body["sector_flows"], json!([]));

    // Recomputed from scratch, every figure is the same.
    let (s, scratch) = app
        .get(
            &format!("/api/v1/impact/indicators?period={month}&source=scratch"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(scratch, body);

    // The CSV carries the same figures.
    let csv = app
        .client
        .get(app.url(&format!("/api/v1/impact/indicators.csv?period={month}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with("indicator,unit,period,group,value\n"),
        "{csv}"
    );
    assert!(csv.contains(&format!("lm3,milli,{month},,2794\n")), "{csv}");
    assert!(
        csv.contains(&format!("trade_volume,credit_minor,{month},,20000\n")),
        "{csv}"
    );

    // A member's own figures: its members and coordinators only.
    let (s, own) = app
        .get(
            &format!("/api/v1/impact/organizations/{}?period={month}", f.b),
            Some(&f.coord),
        )
        .await;
    assert_eq!(s, 200, "{own}");
    assert_eq!(value(&own, "lm3_r1"), 6_000);
    assert_eq!(value(&own, "lm3"), 2_875); // (6,000 + 6,000 + 5,250) / 6,000
    let (s, _) = app
        .get(
            &format!("/api/v1/impact/organizations/{}", f.b),
            Some(&f.p1),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .get(&format!("/api/v1/impact/organizations/{}", f.b), None)
        .await;
    assert_eq!(s, 401);

    // Gaps: the survey's energy bought outside ranks first.
    let (s, gaps) = app
        .get(
            &format!("/api/v1/impact/gaps?period={year}"),
            Some(&f.coord),
        )
        .await;
    assert_eq!(s, 200, "{gaps}");
    assert_eq!(gaps["items"][0]["kind"], "outside_purchases");
    assert_eq!(gaps["items"][0]["sector"], "energy");
    assert_eq!(gaps["items"][0]["amount_minor"], 9_000);
    let (s, _) = app.get("/api/v1/impact/gaps", Some(&f.a_admin)).await;
    assert_eq!(s, 403);

    // A scenario: shifting half of the energy bought outside creates 4,500 of local demand.
    let (s, sc) = app
        .post(
            "/api/v1/impact/scenarios",
            Some(&f.coord),
            &json!({"name": "Local energy", "period": year.to_string(), "sector": "energy", "shift_percent": 50}),
        )
        .await;
    assert_eq!(s, 201, "{sc}");
    assert_eq!(sc["projection"]["demand_shift_minor"], 4_500);
    let (s, list) = app.get("/api/v1/impact/scenarios", Some(&f.coord)).await;
    assert_eq!((s, list["total"].as_i64()), (200, Some(1)));

    // Surveys and scenarios travel in the district export, which round-trips.
    let doc = crate::federation_payments::export_round_trips(&app).await;
    assert_eq!(
        (doc.impact.surveys.len(), doc.impact.scenarios.len()),
        (1, 1)
    );
}

/// Bad input: a clear code, nothing written.
async fn refusals(app: TestApp) {
    let f = fixture(&app).await;
    for bad in ["2026-13", "x", "2026-10..2026-01", "1990-01..2026-01"] {
        let (s, e) = app
            .get(&format!("/api/v1/impact/indicators?period={bad}"), None)
            .await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (400, Some("impact_period_invalid")),
            "{bad}"
        );
    }
    let (s, e) = app.get("/api/v1/impact/indicators?kind=bank", None).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (400, Some("impact_kind_unknown"))
    );
    let (s, e) = app
        .get("/api/v1/impact/indicators?sector=mining", None)
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (400, Some("impact_sector_unknown"))
    );

    let year = time::OffsetDateTime::now_utc().year();
    let url = format!("/api/v1/impact/surveys/{}/{year}", f.a);
    for (body, code) in [
        (
            json!({"outside_total_minor": 100, "outside_local_minor": 200}),
            "impact_survey_local_exceeds_total",
        ),
        (
            json!({"outside_total_minor": -1, "outside_local_minor": 0}),
            "impact_survey_amount_invalid",
        ),
        (
            json!({"outside_total_minor": 1, "outside_local_minor": 0, "by_sector": {"mining": 1}}),
            "impact_sector_unknown",
        ),
    ] {
        let (s, e) = app
            .send(reqwest::Method::PUT, &url, Some(&f.a_admin), &body)
            .await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (422, Some(code)),
            "{body}"
        );
    }
    let ok = json!({"outside_total_minor": 1, "outside_local_minor": 0});
    let (s, _) = app.send(reqwest::Method::PUT, &url, Some(&f.p1), &ok).await;
    assert_eq!(s, 403);
    let (s, _) = app
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/impact/surveys/{}/1999", f.a),
            Some(&f.a_admin),
            &ok,
        )
        .await;
    assert_eq!(s, 422);
    // A year that is no number or overflows an i32 is no survey: the CONTRACT's 404 in JSON,
    // not a plain-text 400 (found by scripts/schemathesis).
    for year in ["2147483648", "-2147483649", "soon"] {
        let url = format!("/api/v1/impact/surveys/{}/{year}", f.a);
        let (s, e) = app.get(&url, Some(&f.a_admin)).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (404, Some("not_found")),
            "{year}"
        );
        let (s, e) = app
            .send(reqwest::Method::PUT, &url, Some(&f.a_admin), &ok)
            .await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (404, Some("not_found")),
            "{year}"
        );
    }
    assert_eq!(app.count("impact_surveys").await, 0);

    for (body, code) in [
        (
            json!({"name": "", "period": "2026", "sector": "energy", "shift_percent": 10}),
            "impact_scenario_name_invalid",
        ),
        (
            json!({"name": "x", "period": "2026", "sector": "energy", "shift_percent": 101}),
            "impact_scenario_percent_invalid",
        ),
        (
            json!({"name": "x", "period": "2026", "sector": "mining", "shift_percent": 10}),
            "impact_sector_unknown",
        ),
        (
            json!({"name": "x", "period": "soon", "sector": "energy", "shift_percent": 10}),
            "impact_period_invalid",
        ),
    ] {
        let (s, e) = app
            .post("/api/v1/impact/scenarios", Some(&f.coord), &body)
            .await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (422, Some(code)),
            "{body}"
        );
    }
    let good = json!({"name": "x", "period": "2026", "sector": "energy", "shift_percent": 10});
    let (s, _) = app
        .post("/api/v1/impact/scenarios", Some(&f.a_admin), &good)
        .await;
    assert_eq!(s, 403);
    assert_eq!(app.count("impact_scenarios").await, 0);
}

/// Six organisations: five farms and a worker cooperative. The cooperative alone is fewer than
/// five, and merging it into "other" beside five farms would let anyone subtract it, so the
/// farms go into "other" too: the breakdown shows only "other" (6).
async fn breakdowns_never_describe_fewer_than_five(app: TestApp) {
    let (_, coord) = app.coordinator().await;
    for i in 0..5 {
        app.admitted_org(
            &coord,
            &format!("farm{i}@test.example"),
            &format!("Farm {i}"),
        )
        .await;
    }
    app.admitted_org_of(
        &coord,
        "coop@test.example",
        "The Coop",
        "worker_coop",
        ("Aosta", "45.7", "7.3"),
    )
    .await;
    let (s, body) = app
        .get(
            &format!("/api/v1/impact/indicators?period={}", this_month()),
            None,
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let m = indicator(&body, "members_organizations");
    assert_eq!(m["value"], 6);
    assert_eq!(m["breakdown"], json!([{"key": "other", "value": 6}]));
    assert_eq!(m["withheld"], 2);
    // All six are in agriculture: the sector breakdown shows it.
    assert_eq!(
        indicator(&body, "members_by_sector")["breakdown"],
        json!([{"key": "agriculture", "value": 6}])
    );
}

/// Two refreshes at once never fold an entry twice, and what they maintain equals the journal
/// folded from scratch.
async fn maintained_equals_scratch(app: TestApp) {
    let _f = fixture(&app).await;
    let db = app.db.clone();
    let (x, y) = tokio::join!(aggregates::refresh(&db, 10), aggregates::refresh(&db, 10));
    assert_eq!(x.unwrap() + y.unwrap(), 5);
    let period = Period::parse(&this_month()).unwrap();
    let mut i1 = AccountIndex::default();
    let maintained = aggregates::load(&db, &period, &mut i1).await.unwrap();
    let mut i2 = AccountIndex::default();
    let scratch = aggregates::from_scratch(&db, &period, &mut i2)
        .await
        .unwrap();
    // Compare by account id (the two indices number accounts in their own order).
    let by_id = |t: &distretto_domain::impact::trade::Trade, ix: &AccountIndex| {
        let mut flows: Vec<_> = t
            .flows()
            .map(|(k, v)| (k.month, ix.id(k.payer), ix.id(k.payee), k.kind, *v))
            .collect();
        flows.sort_by_key(|f| (f.0, f.1, f.2, f.3));
        let mut closing: Vec<_> = t.closings().map(|((a, m), c)| (ix.id(a), m, *c)).collect();
        closing.sort_by_key(|c| (c.0, c.1));
        (flows, closing)
    };
    assert_eq!(by_id(&maintained, &i1), by_id(&scratch, &i2));
    assert_eq!(maintained.flow_count(), 5);
    // A second refresh finds nothing new.
    assert_eq!(aggregates::refresh(&db, 10).await.unwrap(), 0);
}

/// The dashboard, report, member page, survey and planning pages in French and Italian, and a
/// bad period answered in the reader's language.
async fn pages_in_three_languages(app: TestApp) {
    let f = fixture(&app).await;
    let anon = browser();
    let (s, html) = page(&anon, &app, "/impact", "fr").await;
    assert_eq!(s, 200);
    assert!(html.contains("<html lang=\"fr\""), "{html}");
    assert!(html.contains("id=\"ind-lm3\""), "{html}");
    assert!(html.contains("<svg"), "{html}");
    let (s, html) = page(&anon, &app, "/impact?period=2026-13", "it").await;
    assert_eq!(s, 400);
    assert!(html.contains("id=\"impact-error\""), "{html}");
    let (s, html) = page(
        &anon,
        &app,
        &format!("/impact/report?period={}", this_month()),
        "en",
    )
    .await;
    assert_eq!(s, 200);
    assert!(html.contains("Annual impact report"), "{html}");

    let admin = signed_in(&app, "a@test.example").await;
    let (s, html) = page(
        &admin,
        &app,
        &format!("/impact/organizations/{}", f.a),
        "it",
    )
    .await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("Farm A"), "{html}");
    let (s, _) = page(
        &admin,
        &app,
        &format!("/impact/organizations/{}", f.b),
        "en",
    )
    .await;
    assert_eq!(s, 403);

    let year = time::OffsetDateTime::now_utc().year().to_string();
    let a = f.a.clone();
    let (s, loc, body) = submit(
        &admin,
        &app,
        "/impact/survey",
        "/impact/survey",
        "fr",
        &[
            ("organization", &a),
            ("year", &year),
            ("outside_total", "1200,50"),
            ("outside_local", "2000"),
            ("sector_energy", ""),
        ],
    )
    .await;
    assert_eq!(s, 422, "{loc} {body}");
    assert_eq!(app.count("impact_surveys").await, 0);
    let (s, loc, _) = submit(
        &admin,
        &app,
        "/impact/survey",
        "/impact/survey",
        "fr",
        &[
            ("organization", &a),
            ("year", &year),
            ("outside_total", "1200,50"),
            ("outside_local", "200"),
            ("sector_energy", "800"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{loc}");
    let (_, v) = app
        .get(
            &format!("/api/v1/impact/surveys/{}/{year}", f.a),
            Some(&f.a_admin),
        )
        .await;
    assert_eq!(v["outside_total_minor"], 120_050);
    assert_eq!(v["by_sector"]["energy"], 80_000);

    let coord = signed_in(&app, "coord@test.example").await;
    let (s, html) = page(&coord, &app, "/impact/planning", "it").await;
    assert_eq!(s, 200, "{html}");
    let (s, loc, _) = submit(
        &coord,
        &app,
        "/impact/planning",
        "/impact/planning",
        "en",
        &[
            ("name", "Energy at home"),
            ("period", &year),
            ("sector", "energy"),
            ("shift_percent", "25"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{loc}");
    let (_, html) = page(&coord, &app, "/impact/planning", "en").await;
    assert!(html.contains("Energy at home"), "{html}");
    let (s, _) = page(&admin, &app, "/impact/planning", "en").await;
    assert_eq!(s, 403);
}

on_both!(
    indicators_from_real_flows,
    refusals,
    breakdowns_never_describe_fewer_than_five,
    maintained_equals_scratch,
    pages_in_three_languages,
);
