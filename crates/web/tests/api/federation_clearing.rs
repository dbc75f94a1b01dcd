//! Clearing between districts: three real servers with their own databases on loopback, each
//! linked with the other two, owe each other round a cycle. A round started by one of them
//! sets the cycle off in all three ledgers together, every pair of mirrors still agrees, and a
//! district that refuses its part aborts the round everywhere.

use crate::federation::{Stranger, another, identity, links, post_inbox, propose};
use crate::federation_payments::export_round_trips;
use crate::harness::TestApp;
use crate::on_both;
use serde_json::{Value, json};

/// A district of the test with its coordinator.
struct District {
    app: TestApp,
    coord: String,
}

/// Links `x` and `y` (both coordinators propose).
async fn link(x: &District, y: &District) {
    let (s, v) = propose(&x.app, &x.coord, &identity(&y.app).await).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = propose(&y.app, &y.coord, &identity(&x.app).await).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["status"], "active", "{v}");
}

/// `x`'s link to `y`.
async fn link_to(x: &District, y: &District) -> Value {
    links(&x.app, &x.coord)
        .await
        .into_iter()
        .find(|l| l["url"] == y.app.base.as_str())
        .unwrap_or_else(|| panic!("no link from {} to {}", x.app.base, y.app.base))
}

/// The balance of `y`'s mirror account in `x`.
async fn mirror_balance(x: &District, y: &District) -> i64 {
    link_to(x, y).await["mirror"]["balance"].as_i64().unwrap()
}

/// Lets `y` go 1,000.00 either way in `x`.
async fn open_mirror(x: &District, y: &District) {
    let account = link_to(x, y).await["mirror"]["account"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, v) = x
        .app
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/accounts/{account}/limits"),
            Some(&x.coord),
            &json!({"credit_limit": 100_000, "upper_limit": 100_000, "reason": "Assembly of 3 March"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
}

/// A member of `x` pays `amount` to a member of `y` (committed on both sides).
async fn pay(x: &District, y: &District, n: usize, amount: i64) {
    let (_, payer, payer_account) = x.app.member(&x.coord, &format!("p{n}@x.example")).await;
    let (_, _, payee_account) = y.app.member(&y.coord, &format!("q{n}@y.example")).await;
    let res = x
        .app
        .client
        .post(x.app.url("/api/v1/federation/payments"))
        .bearer_auth(&payer)
        .header("idempotency-key", format!("pay-{n}"))
        .json(
            &json!({"link": link_to(x, y).await["id"], "payer": payer_account,
            "payee": payee_account, "amount": amount, "memo": "Verdure"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201, "{:?}", res.text().await);
}

/// Three districts, each linked with the other two, every mirror open both ways.
async fn triangle(a: TestApp) -> [District; 3] {
    let b = another(&a).await;
    let c = another(&a).await;
    let mut ds = Vec::new();
    for app in [a, b, c] {
        let (_, coord) = app.coordinator().await;
        ds.push(District { app, coord });
    }
    let [a, b, c]: [District; 3] = ds.try_into().ok().unwrap();
    for (x, y) in [(&a, &b), (&b, &c), (&c, &a)] {
        link(x, y).await;
        open_mirror(x, y).await;
        open_mirror(y, x).await;
    }
    [a, b, c]
}

async fn start(d: &District, token: &str) -> (u16, Value) {
    d.app
        .post("/api/v1/federation/clearings", Some(token), &json!({}))
        .await
}

/// Every pair's mirrors agree: what `x` owes `y` in `x` is what `y` is owed by `x` in `y`.
async fn mirrors_agree(ds: &[District; 3]) {
    for (x, y) in [(0, 1), (1, 2), (2, 0)] {
        assert_eq!(
            mirror_balance(&ds[x], &ds[y]).await,
            -mirror_balance(&ds[y], &ds[x]).await,
            "{} and {}",
            ds[x].app.base,
            ds[y].app.base
        );
    }
}

async fn verified(app: &TestApp) {
    let report = distretto_store::ledger::verify::verify(&app.db)
        .await
        .unwrap();
    assert!(report.ok(), "{report:?}");
}

async fn held(app: &TestApp) -> i64 {
    app.count("federation_clearings WHERE status = 'held'")
        .await
}

async fn a_cycle_of_debts_is_set_off_in_every_district(a: TestApp) {
    let ds = triangle(a).await;
    let [a, b, c] = &ds;
    // A owes B 100.00, B owes C 70.00, C owes A 50.00.
    pay(a, b, 1, 10_000).await;
    pay(b, c, 2, 7_000).await;
    pay(c, a, 3, 5_000).await;
    assert_eq!(mirror_balance(a, b).await, 10_000);
    mirrors_agree(&ds).await;

    // Only coordinators start rounds or read them.
    let (_, member, _) = a.app.member(&a.coord, "m@a.example").await;
    let (s, v) = start(a, &member).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{v}"
    );
    let (s, _) = a
        .app
        .get("/api/v1/federation/clearings", Some(&member))
        .await;
    assert_eq!(s, 403);

    let (s, v) = start(a, &a.coord).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["status"], "committed", "{v}");
    assert_eq!(v["started_here"], true);
    assert_eq!(v["set_off_minor"], 15_000, "{v}");
    assert_eq!(v["parties"].as_array().unwrap().len(), 3, "{v}");
    let debts = v["debts"].as_array().unwrap();
    assert_eq!(debts.len(), 3, "{v}");
    assert!(debts.iter().all(|d| d["set_off_minor"] == 5_000), "{v}");

    // In each ledger the cycle's smallest debt is gone; A owes B 50.00, B owes C 20.00.
    assert_eq!(
        (mirror_balance(a, b).await, mirror_balance(a, c).await),
        (5_000, 0)
    );
    assert_eq!(
        (mirror_balance(b, c).await, mirror_balance(b, a).await),
        (2_000, -5_000)
    );
    assert_eq!(
        (mirror_balance(c, a).await, mirror_balance(c, b).await),
        (0, -2_000)
    );
    mirrors_agree(&ds).await;
    for d in &ds {
        verified(&d.app).await;
        assert_eq!(held(&d.app).await, 0);
        assert_eq!(
            d.app
                .count("federation_clearings WHERE status = 'committed'")
                .await,
            1,
            "{}",
            d.app.base
        );
    }
    // The starting district closes the round once every district acknowledged it.
    let id = v["id"].as_str().unwrap();
    let (s, detail) = a
        .app
        .get(
            &format!("/api/v1/federation/clearings/{id}"),
            Some(&a.coord),
        )
        .await;
    assert_eq!(s, 200, "{detail}");
    assert_eq!(detail["open"], false, "{detail}");
    assert_eq!(detail["legs"].as_array().unwrap().len(), 1, "{detail}");
    assert!(detail["legs"][0]["transfer"].is_string(), "{detail}");
    let answers = detail["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 2, "{detail}");
    assert!(
        answers
            .iter()
            .all(|p| p["answer"] == "prepared" && p["told"] == true)
    );
    // B sees the round too, started elsewhere, with its own transfer.
    let (s, list) = b
        .app
        .get("/api/v1/federation/clearings", Some(&b.coord))
        .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id);
    assert_eq!(list["items"][0]["started_here"], false);

    // Nothing goes round any more: nothing is written.
    let (s, v) = start(b, &b.coord).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("federation_clearing_nothing")),
        "{v}"
    );
    assert_eq!(b.app.count("federation_clearings").await, 1);

    // The federation page shows coordinators the rounds, in their language; a round with
    // nothing to set off is refused there with the reason, and nothing is written.
    {
        use crate::harness::{page, signed_in, submit};
        let browser = signed_in(&a.app, "coord@test.example").await;
        let (s, html) = page(&browser, &a.app, "/federation", "fr").await;
        assert_eq!(s, 200);
        assert!(html.contains("Compensation entre districts"), "{html}");
        assert!(html.contains("Ce district"), "{html}");
        assert!(html.contains("150,00"), "{html}");
        let browser = signed_in(&c.app, "coord@test.example").await;
        let (s, _, html) = submit(
            &browser,
            &c.app,
            "/federation",
            "/federation/clearings",
            "it",
            &[],
        )
        .await;
        assert_eq!(s, 422, "{html}");
        assert!(
            html.contains("Non c&#39;è nulla da compensare")
                || html.contains("Non c'è nulla da compensare"),
            "{html}"
        );
        assert!(
            html.contains("Fatta"),
            "C lists the round A started: {html}"
        );
        assert_eq!(c.app.count("federation_clearings").await, 1);
    }

    // Rounds survive export → import → export.
    let first = export_round_trips(&a.app).await;
    assert_eq!(first.federation.clearings.rounds.len(), 1);
    assert_eq!(first.federation.clearings.legs.len(), 1);
    assert_eq!(first.federation.clearings.parties.len(), 2);
}

async fn a_district_that_cannot_hold_its_part_aborts_the_round_everywhere(a: TestApp) {
    let ds = triangle(a).await;
    let [a, b, c] = &ds;
    pay(a, b, 1, 10_000).await;
    pay(b, c, 2, 7_000).await;
    pay(c, a, 3, 5_000).await;
    // In C, a payment from A's mirror is held (its member is being paid by A's): C's part
    // (50.00 out of A's mirror, which holds 50.00) no longer fits within A's limit there.
    let link_ca = link_to(c, a).await;
    let link_ca_id: uuid::Uuid = link_ca["id"].as_str().unwrap().parse().unwrap();
    let mirror: uuid::Uuid = link_ca["mirror"]["account"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let (_, _, member_account) = c.app.member(&c.coord, "held@c.example").await;
    let now = distretto_store::now();
    let hold = distretto_store::federation::payments::PaymentRow {
        id: uuid::Uuid::now_v7(),
        link_id: link_ca_id,
        payment_id: uuid::Uuid::now_v7(),
        direction: "in".into(),
        status: "held".into(),
        debit_account: Some(mirror),
        credit_account: Some(member_account.parse().unwrap()),
        amount_minor: 100_000 + 5_000 - 1,
        remote_amount_minor: 100_000 + 5_000 - 1,
        counterpart: "Ada".into(),
        counterpart_name: "Held".into(),
        memo: String::new(),
        refusal: None,
        transfer_id: None,
        open: true,
        attempts: 0,
        created_by: None,
        idempotency_key: None,
        request_hash: None,
        created_at: now,
        updated_at: now,
        deadline_at: now + time::Duration::hours(1),
        invoice_id: None,
    };
    distretto_store::federation::payments::insert(&c.app.db, &hold)
        .await
        .unwrap();

    let (s, v) = start(a, &a.coord).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("credit_limit_exceeded")),
        "{v}"
    );
    // Nothing moved anywhere, nothing stays held: B, which had prepared, was told to release.
    assert_eq!(mirror_balance(a, b).await, 10_000);
    assert_eq!(mirror_balance(b, c).await, 7_000);
    assert_eq!(mirror_balance(c, a).await, 5_000);
    mirrors_agree(&ds).await;
    for d in &ds {
        assert_eq!(held(&d.app).await, 0, "{}", d.app.base);
        verified(&d.app).await;
    }
    assert_eq!(
        a.app
            .count("federation_clearings WHERE status = 'aborted' AND NOT open")
            .await,
        1
    );
    assert_eq!(
        b.app
            .count("federation_clearings WHERE status = 'aborted'")
            .await,
        1
    );
    assert_eq!(
        c.app
            .count("federation_clearings WHERE status = 'refused'")
            .await,
        1
    );
}

/// A district holding its part of a round that the starting district never recorded (it
/// stopped before, or the prepare was forged) asks it, is told "aborted", and releases it.
async fn a_part_nobody_decides_is_presumed_aborted(a: TestApp) {
    use distretto_store::federation::clearings::{ClearingRow, LegRow};
    use distretto_store::ledger::{ClearingStep, Command, Effect, NewLeg};
    let ds = triangle(a).await;
    let [a, b, c] = &ds;
    pay(a, b, 1, 10_000).await;
    pay(b, c, 2, 7_000).await;
    pay(c, a, 3, 5_000).await;
    let link_ba = link_to(b, a).await;
    let from: uuid::Uuid = link_ba["mirror"]["account"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let to: uuid::Uuid = link_to(b, c).await["mirror"]["account"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let id = uuid::Uuid::now_v7();
    let now = distretto_store::now();
    let round = ClearingRow {
        id,
        initiator_link_id: Some(link_ba["id"].as_str().unwrap().parse().unwrap()),
        status: "new".into(),
        plan: "{}".into(),
        set_off_minor: 3_000,
        refusal: None,
        open: true,
        attempts: 0,
        created_by: None,
        created_at: now,
        updated_at: now,
        deadline_at: now + time::Duration::hours(1),
    };
    let leg = LegRow {
        id: uuid::Uuid::now_v7(),
        clearing_id: id,
        debit_account: to,
        credit_account: from,
        amount_minor: 1_000,
        transfer_id: None,
    };
    distretto_store::federation::clearings::insert(
        &b.app.db,
        &round,
        std::slice::from_ref(&leg),
        &[],
        &[],
    )
    .await
    .unwrap();
    let hold = |step| Command {
        legs: vec![NewLeg::new(
            distretto_domain::ledger::TransferKind::Federation,
            to,
            from,
            1_000,
            "x".into(),
        )],
        effect: Effect::FederationClearing(id, step),
        idempotency: None,
        created_by: None,
    };
    // The writer takes exactly the round's legs, once.
    let mut wrong = hold(ClearingStep::Hold);
    wrong.legs[0].amount_minor = 999;
    assert!(b.app.state.ledger.submit(wrong).await.is_err());
    b.app
        .state
        .ledger
        .submit(hold(ClearingStep::Hold))
        .await
        .unwrap();
    assert!(
        b.app
            .state
            .ledger
            .submit(hold(ClearingStep::Hold))
            .await
            .is_err()
    );
    assert_eq!(held(&b.app).await, 1);
    // What is held counts against the mirror's room: C's mirror can take 1,000.00 − 10.00 more.
    let holds = distretto_store::federation::payments::held_on(&b.app.db, to)
        .await
        .unwrap();
    assert_eq!((holds.out_minor, holds.in_minor), (1_000, 0));

    // A district holds one round at a time: while B holds this part, a round A starts is
    // refused by B and aborted everywhere.
    let (s, v) = start(a, &a.coord).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("federation_clearing_open")),
        "{v}"
    );
    assert_eq!(held(&a.app).await + held(&c.app).await, 0);
    assert_eq!(held(&b.app).await, 1);

    let looked =
        distretto_web::federation::clearing::resolve_before(&b.app.state, distretto_store::now())
            .await
            .unwrap();
    assert_eq!(looked, 1);
    let after = distretto_store::federation::clearings::round(&b.app.db, id)
        .await
        .unwrap();
    assert_eq!((after.status.as_str(), after.open), ("aborted", false));
    assert_eq!(held(&b.app).await, 0);
    assert_eq!(mirror_balance(b, c).await, 7_000);
    mirrors_agree(&ds).await;
    verified(&b.app).await;
    // Released, B takes part again.
    let (s, v) = start(a, &a.coord).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(mirror_balance(b, c).await, 2_000);
    mirrors_agree(&ds).await;
}

/// A plan sent by a linked district is checked against this district's own balances: one
/// that would take a mirror past zero, name a district not linked here, or not balance is
/// refused, and nothing is recorded or held.
async fn a_part_that_does_not_fit_the_books_is_refused(a: TestApp) {
    let ds = triangle(a).await;
    let [a, b, c] = &ds;
    pay(a, b, 1, 10_000).await;
    pay(b, c, 2, 7_000).await;
    pay(c, a, 3, 5_000).await;
    let (own, key) = distretto_web::federation::service::own_key(&a.app.state)
        .await
        .unwrap();
    let from_a = Stranger {
        url: a.app.base.clone(),
        keyid: own.keyid.clone(),
        key,
    };
    let (ua, ub, uc) = (
        a.app.base.as_str(),
        b.app.base.as_str(),
        c.app.base.as_str(),
    );
    let arc = |d: &str, c: &str, owed: i64, s: i64| json!({"debtor": d, "creditor": c, "owed_minor": owed, "set_off_minor": s});
    let prepare = |arcs: Value, parties: Value| {
        json!({"type": "clearing_prepare", "url": ua, "clearing_id": uuid::Uuid::now_v7(),
            "plan": {"parties": parties, "arcs": arcs, "disagreeing": []}})
    };
    let elsewhere = "http://127.0.0.1:9/elsewhere";
    let cases = [
        // B would give C 70.00 of credit and take 80.00 from A: it does not balance at B.
        (
            prepare(
                json!([
                    arc(ua, ub, 10_000, 8_000),
                    arc(ub, uc, 7_000, 7_000),
                    arc(uc, ua, 5_000, 5_000)
                ]),
                json!([ua, ub, uc]),
            ),
            "federation_bad_message",
        ),
        // 90.00 off what B owes C, which is 70.00: past zero.
        (
            prepare(
                json!([
                    arc(ua, ub, 10_000, 9_000),
                    arc(ub, uc, 9_000, 9_000),
                    arc(uc, ua, 9_000, 9_000)
                ]),
                json!([ua, ub, uc]),
            ),
            "federation_clearing_stale",
        ),
        // A district B has no link with.
        (
            prepare(
                json!([
                    arc(ua, ub, 10_000, 100),
                    arc(ub, elsewhere, 100, 100),
                    arc(elsewhere, ua, 100, 100)
                ]),
                json!([ua, ub, elsewhere]),
            ),
            "federation_clearing_unknown_district",
        ),
        // A set-off above the debt it sets off.
        (
            prepare(
                json!([
                    arc(ua, ub, 100, 200),
                    arc(ub, uc, 200, 200),
                    arc(uc, ua, 200, 200)
                ]),
                json!([ua, ub, uc]),
            ),
            "federation_bad_message",
        ),
    ];
    for (i, (body, code)) in cases.into_iter().enumerate() {
        let (s, v) = post_inbox(&b.app, &from_a, &body, 0, &format!("n-{i}"), false).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (422, Some(code)),
            "case {i}: {v}"
        );
    }
    assert_eq!(b.app.count("federation_clearings").await, 0);
    assert_eq!(b.app.count("federation_clearing_legs").await, 0);
    verified(&b.app).await;
}

on_both!(
    a_cycle_of_debts_is_set_off_in_every_district,
    a_district_that_cannot_hold_its_part_aborts_the_round_everywhere,
    a_part_that_does_not_fit_the_books_is_refused,
    a_part_nobody_decides_is_presumed_aborted,
);
