//! Invoices between members of linked districts: two real servers with their own databases on
//! loopback. A member of A invoices a member of B; both districts keep the invoice, the debtor
//! disputes, accepts and pays it across the link, and each copy is paid exactly when the money
//! moved on its side. An unreachable district gets the invoice later, and changes nothing
//! while it cannot answer.

use crate::federation_payments::{
    Pair, balance, detour, export_round_trips, held, linked, mirrors_agree, set_mirror_limits,
    verified,
};
use crate::harness::TestApp;
use crate::on_both;
use serde_json::{Value, json};

async fn issue(app: &TestApp, token: &str, body: &Value) -> (u16, Value) {
    app.post("/api/v1/federation/invoices", Some(token), body)
        .await
}

async fn pay_invoice(app: &TestApp, token: &str, id: &str, key: &str, amount: i64) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(&format!("/api/v1/federation/invoices/{id}/pay")))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&json!({ "amount_minor": amount }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn invoice(app: &TestApp, token: &str, id: &str) -> Value {
    let (s, v) = app
        .get(&format!("/api/v1/federation/invoices/{id}"), Some(token))
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

/// (status, paid, remaining) of one district's copy.
async fn standing(app: &TestApp, token: &str, id: &str) -> (String, i64, i64) {
    let v = invoice(app, token, id).await;
    (
        v["status"].as_str().unwrap().to_owned(),
        v["paid_minor"].as_i64().unwrap(),
        v["remaining_minor"].as_i64().unwrap(),
    )
}

fn code(v: &Value) -> Option<&str> {
    v["error"]["code"].as_str()
}

async fn open_both_ways(p: &Pair) {
    set_mirror_limits(&p.a, &p.coord_a, 100_000, 100_000).await;
    set_mirror_limits(&p.b, &p.coord_b, 100_000, 100_000).await;
}

async fn an_invoice_between_districts_is_answered_and_paid_on_both_sides(a: TestApp) {
    let p = linked(a).await;
    open_both_ways(&p).await;
    let (_, ada, ada_account) = p.a.member(&p.coord_a, "ada@a.example").await;
    let (_, other, _) = p.a.member(&p.coord_a, "other@a.example").await;
    let (_, bea, bea_account) = p.b.member(&p.coord_b, "bea@b.example").await;
    let body = |debtor: &str, amount: i64, description: &str, due: &str| {
        json!({"link": p.link_a, "account": ada_account, "debtor": debtor, "amount_minor": amount,
               "description": description, "due_on": due})
    };

    // Bad input: a clear code, and nothing kept on either side.
    let unknown = uuid::Uuid::now_v7().to_string();
    let refused = [
        (
            body(&unknown, 5_000, "Formaggi", "2027-01-31"),
            422,
            "federation_unknown_payee",
        ),
        (
            body(&bea_account, 0, "Formaggi", "2027-01-31"),
            422,
            "bad_amount",
        ),
        (
            body(&bea_account, 5_000, "  ", "2027-01-31"),
            422,
            "invalid_invoice_description",
        ),
        (
            body(&bea_account, 5_000, "Formaggi", "31/01/2027"),
            422,
            "bad_date",
        ),
    ];
    for (b, status, expected) in refused {
        let (s, v) = issue(&p.a, &ada, &b).await;
        assert_eq!((s, code(&v)), (status, Some(expected)), "{b} {v}");
    }
    let (s, v) = issue(
        &p.a,
        &other,
        &body(&bea_account, 5_000, "Formaggi", "2027-01-31"),
    )
    .await;
    assert_eq!((s, code(&v)), (403, Some("not_your_account")), "{v}");
    assert_eq!(p.a.count("federation_invoices").await, 0);
    assert_eq!(p.b.count("federation_invoices").await, 0);

    let (s, inv) = issue(
        &p.a,
        &ada,
        &body(&bea_account, 5_000, "Formaggi, March", "2027-01-31"),
    )
    .await;
    assert_eq!(s, 201, "{inv}");
    assert_eq!(
        (
            inv["side"].as_str(),
            inv["status"].as_str(),
            inv["delivered"].as_bool()
        ),
        (Some("creditor"), Some("issued"), Some(true)),
        "{inv}"
    );
    assert_eq!(
        inv["counterpart_name"], "Member",
        "B named its debtor: {inv}"
    );
    let id = inv["id"].as_str().unwrap().to_owned();
    // The debtor sees it in B, under the same id, owed to A's member.
    let (s, list) = p.b.get("/api/v1/federation/invoices", Some(&bea)).await;
    assert_eq!((s, list["total"].as_i64()), (200, Some(1)), "{list}");
    let theirs = &list["items"][0];
    assert_eq!(
        (
            theirs["id"].as_str(),
            theirs["side"].as_str(),
            theirs["counterpart"].as_str()
        ),
        (
            Some(id.as_str()),
            Some("debtor"),
            Some(ada_account.as_str())
        ),
        "{theirs}"
    );
    assert_eq!(
        (theirs["amount_minor"].as_i64(), theirs["due_on"].as_str()),
        (Some(5_000), Some("2027-01-31"))
    );
    // Nobody else reads it.
    let (_, stranger, _) = p.b.member(&p.coord_b, "carl@b.example").await;
    assert_eq!(
        p.b.get(
            &format!("/api/v1/federation/invoices/{id}"),
            Some(&stranger)
        )
        .await
        .0,
        404
    );

    // The creditor cannot accept it; more than what remains is refused by A, nothing held.
    let (s, v) =
        p.a.post(
            &format!("/api/v1/federation/invoices/{id}/accept"),
            Some(&ada),
            &json!({}),
        )
        .await;
    assert_eq!((s, code(&v)), (409, Some("not_your_invoice_action")), "{v}");
    let (s, v) = pay_invoice(&p.b, &bea, &id, "over", 6_000).await;
    assert_eq!(
        (s, code(&v)),
        (422, Some("amount_exceeds_remaining")),
        "{v}"
    );
    assert_eq!((held(&p.a).await, held(&p.b).await), (0, 0));
    assert_eq!(balance(&p.b, &bea, &bea_account).await, 0);

    // Disputed on both sides; a disputed invoice is not paid; accepted on both sides.
    let (s, v) =
        p.b.post(
            &format!("/api/v1/federation/invoices/{id}/dispute"),
            Some(&bea),
            &json!({"reason": "Two wheels were missing"}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("disputed")), "{v}");
    let at_a = invoice(&p.a, &ada, &id).await;
    assert_eq!(
        (at_a["status"].as_str(), at_a["dispute_reason"].as_str()),
        (Some("disputed"), Some("Two wheels were missing")),
        "{at_a}"
    );
    let (s, v) = pay_invoice(&p.b, &bea, &id, "disputed", 1_000).await;
    assert_eq!((s, code(&v)), (409, Some("invoice_not_open")), "{v}");
    let (s, v) =
        p.b.post(
            &format!("/api/v1/federation/invoices/{id}/accept"),
            Some(&bea),
            &json!({}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("accepted")), "{v}");
    assert_eq!(standing(&p.a, &ada, &id).await.0, "accepted");

    // Paid in part: the money and both copies move together; a retry posts once.
    let (s, paid) = pay_invoice(&p.b, &bea, &id, "part", 2_000).await;
    assert_eq!(
        (s, paid["status"].as_str()),
        (201, Some("committed")),
        "{paid}"
    );
    assert_eq!(paid["invoice"].as_str(), Some(id.as_str()), "{paid}");
    let (s, again) = pay_invoice(&p.b, &bea, &id, "part", 2_000).await;
    assert_eq!((s, &again["id"]), (201, &paid["id"]), "{again}");
    assert_eq!(
        standing(&p.a, &ada, &id).await,
        ("accepted".into(), 2_000, 3_000)
    );
    assert_eq!(
        standing(&p.b, &bea, &id).await,
        ("accepted".into(), 2_000, 3_000)
    );
    assert_eq!(balance(&p.a, &ada, &ada_account).await, 2_000);
    assert_eq!(balance(&p.b, &bea, &bea_account).await, -2_000);
    // Something is paid: the creditor can no longer cancel.
    let (s, v) =
        p.a.post(
            &format!("/api/v1/federation/invoices/{id}/cancel"),
            Some(&ada),
            &json!({}),
        )
        .await;
    assert_eq!((s, code(&v)), (409, Some("invoice_has_payments")), "{v}");

    // The rest: paid on both sides; nothing more is taken.
    let (s, v) = pay_invoice(&p.b, &bea, &id, "rest", 3_000).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(standing(&p.a, &ada, &id).await, ("paid".into(), 5_000, 0));
    assert_eq!(standing(&p.b, &bea, &id).await, ("paid".into(), 5_000, 0));
    let (s, v) = pay_invoice(&p.b, &bea, &id, "more", 1).await;
    assert_eq!((s, code(&v)), (409, Some("invoice_not_open")), "{v}");
    assert_eq!(balance(&p.a, &ada, &ada_account).await, 5_000);
    assert_eq!(balance(&p.b, &bea, &bea_account).await, -5_000);
    // A payment naming an invoice it does not pay is refused before anything is held.
    let res = p.b.client.post(p.b.url("/api/v1/federation/payments")).bearer_auth(&stranger)
        .header("idempotency-key", "forged")
        .json(&json!({"link": p.link_b, "payer": p.b.account_of(&stranger).await, "payee": ada_account,
                      "amount": 100, "invoice": id}))
        .send().await.unwrap();
    assert_eq!(res.status().as_u16(), 409);
    verified(&p.a).await;
    verified(&p.b).await;
    mirrors_agree(&p).await;

    // Invoices survive export → import → export.
    let first = export_round_trips(&p.a).await;
    assert_eq!(first.federation.invoices.len(), 1);
    assert_eq!(
        first
            .federation
            .payments
            .iter()
            .filter(|r| r.invoice_id.is_some())
            .count(),
        2
    );
}

async fn an_unreachable_district_gets_the_invoice_later_and_changes_nothing_meanwhile(a: TestApp) {
    let p = linked(a).await;
    open_both_ways(&p).await;
    let (_, ada, ada_account) = p.a.member(&p.coord_a, "ada@a.example").await;
    let (_, bea, bea_account) = p.b.member(&p.coord_b, "bea@b.example").await;
    let (real_a, real_b) = (p.a.base.clone(), p.b.base.clone());

    // B cannot be reached (nothing listens on port 9 of loopback): A keeps the invoice.
    detour(&p.a, &p.link_a, "http://127.0.0.1:9").await;
    let (s, inv) = issue(
        &p.a,
        &ada,
        &json!({"link": p.link_a, "account": ada_account, "debtor": bea_account,
        "amount_minor": 4_000, "description": "Pane", "due_on": "2027-02-28"}),
    )
    .await;
    assert_eq!((s, inv["delivered"].as_bool()), (202, Some(false)), "{inv}");
    let id = inv["id"].as_str().unwrap().to_owned();
    let (s, v) =
        p.a.post(
            &format!("/api/v1/federation/invoices/{id}/cancel"),
            Some(&ada),
            &json!({}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (409, Some("federation_invoice_sending")),
        "{v}"
    );
    distretto_web::federation::invoices::resolve_before(&p.a.state, distretto_store::now())
        .await
        .unwrap();
    assert_eq!(p.b.count("federation_invoices").await, 0);
    // B is back: the resolver delivers it, once.
    detour(&p.a, &p.link_a, &real_b).await;
    for _ in 0..2 {
        distretto_web::federation::invoices::resolve_before(&p.a.state, distretto_store::now())
            .await
            .unwrap();
    }
    assert_eq!(invoice(&p.a, &ada, &id).await["delivered"], true);
    assert_eq!(p.b.count("federation_invoices").await, 1);
    assert_eq!(standing(&p.b, &bea, &id).await, ("issued".into(), 0, 4_000));

    // A cannot be reached from B: accepting changes nothing, anywhere.
    detour(&p.b, &p.link_b, "http://127.0.0.1:9").await;
    let (s, v) =
        p.b.post(
            &format!("/api/v1/federation/invoices/{id}/accept"),
            Some(&bea),
            &json!({}),
        )
        .await;
    assert_eq!((s, code(&v)), (503, Some("federation_unreachable")), "{v}");
    assert_eq!(standing(&p.b, &bea, &id).await.0, "issued");
    assert_eq!(standing(&p.a, &ada, &id).await.0, "issued");
    detour(&p.b, &p.link_b, &real_a).await;

    // The creditor cancels: cancelled on both sides, and no longer paid.
    let (s, v) =
        p.a.post(
            &format!("/api/v1/federation/invoices/{id}/cancel"),
            Some(&ada),
            &json!({}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("cancelled")), "{v}");
    assert_eq!(standing(&p.b, &bea, &id).await.0, "cancelled");
    let (s, v) = pay_invoice(&p.b, &bea, &id, "late", 4_000).await;
    assert_eq!((s, code(&v)), (409, Some("invoice_not_open")), "{v}");
    assert_eq!(balance(&p.b, &bea, &bea_account).await, 0);
    // Only the creditor cancels.
    let (s, v) =
        p.b.post(
            &format!("/api/v1/federation/invoices/{id}/cancel"),
            Some(&bea),
            &json!({}),
        )
        .await;
    assert_eq!((s, code(&v)), (409, Some("not_your_invoice_action")), "{v}");
}

async fn the_invoices_page_issues_answers_and_pays_across_districts(a: TestApp) {
    use crate::federation_payments::field_of;
    use crate::harness::{answer, page, signed_in};
    let p = linked(a).await;
    open_both_ways(&p).await;
    let (_, ada, ada_account) = p.a.member(&p.coord_a, "ada@a.example").await;
    let (_, bea, bea_account) = p.b.member(&p.coord_b, "bea@b.example").await;
    let at_a = signed_in(&p.a, "ada@a.example").await;
    let (s, html) = page(&at_a, &p.a, "/federation/invoices", "fr").await;
    assert_eq!(s, 200);
    assert!(html.contains("Facturer un membre d"), "{html}");
    let issue = |debtor: String, html: String| {
        let b = at_a.clone();
        let url = p.a.url("/federation/invoices");
        let (link, from) = (p.link_a.clone(), ada_account.clone());
        async move {
            let res = b
                .post(url)
                .header("accept-language", "fr")
                .form(&[
                    ("csrf", field_of(&html, "csrf")),
                    ("link", link),
                    ("from", from),
                    ("debtor", debtor),
                    ("amount", "50,00".to_owned()),
                    ("description", "Ruote di ricambio".to_owned()),
                    ("due_on", "2027-03-31".to_owned()),
                ])
                .send()
                .await
                .unwrap();
            answer(res).await
        }
    };
    let (s, _, body) = issue(uuid::Uuid::now_v7().to_string(), html).await;
    assert_eq!(s, 422);
    assert!(body.contains("aucun compte"), "in French: {body}");
    let (s, location, _) = issue(bea_account.clone(), body).await;
    assert_eq!(s, 303);
    assert!(
        location.starts_with("/federation/invoices?done="),
        "{location}"
    );
    let (_, html) = page(&at_a, &p.a, &location, "fr").await;
    assert!(
        html.contains("C&#39;est fait") || html.contains("C'est fait"),
        "{html}"
    );
    assert!(
        html.contains("Annuler la facture"),
        "the creditor may cancel: {html}"
    );

    // The debtor, in Italian, sees it in B and pays part of it from the page.
    let at_b = signed_in(&p.b, "bea@b.example").await;
    let (s, html) = page(&at_b, &p.b, "/federation/invoices", "it").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("Le mie fatture con altri distretti"),
        "{html}"
    );
    assert!(html.contains("50,00"), "{html}");
    assert!(
        !html.contains("/cancel"),
        "the debtor may not cancel: {html}"
    );
    let id = location
        .trim_start_matches("/federation/invoices?done=")
        .trim_end_matches("#invoices");
    let res = at_b
        .post(p.b.url(&format!("/federation/invoices/{id}/pay")))
        .header("accept-language", "it")
        .form(&[
            ("csrf", field_of(&html, "csrf")),
            ("key", field_of(&html, "key")),
            ("amount", "20,00".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    let (s, location, _) = answer(res).await;
    assert_eq!(
        (s, location.as_str()),
        (
            303,
            format!("/federation/invoices?done={id}#invoices").as_str()
        )
    );
    assert_eq!(
        standing(&p.a, &ada, id).await,
        ("accepted".into(), 2_000, 3_000)
    );
    assert_eq!(
        standing(&p.b, &bea, id).await,
        ("accepted".into(), 2_000, 3_000)
    );
    assert_eq!(balance(&p.b, &bea, &bea_account).await, -2_000);
    // Too much is refused in Italian, and nothing moves.
    let (_, html) = page(&at_b, &p.b, "/federation/invoices", "it").await;
    let res = at_b
        .post(p.b.url(&format!("/federation/invoices/{id}/pay")))
        .header("accept-language", "it")
        .form(&[
            ("csrf", field_of(&html, "csrf")),
            ("key", field_of(&html, "key")),
            ("amount", "40,00".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    let (s, _, body) = answer(res).await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("role=\"alert\""), "{body}");
    assert_eq!(balance(&p.b, &bea, &bea_account).await, -2_000);
}

/// An accepted invoice of each member to the other: (id of ada's to bea, id of bea's to ada).
async fn owing_each_other(p: &Pair, ada: (&str, &str), bea: (&str, &str)) -> (String, String) {
    let (s, to_bea) = issue(
        &p.a,
        ada.0,
        &json!({"link": p.link_a, "account": ada.1, "debtor": bea.1,
        "amount_minor": 5_000, "description": "Formaggi", "due_on": "2027-01-31"}),
    )
    .await;
    assert_eq!(s, 201, "{to_bea}");
    let (s, to_ada) = issue(
        &p.b,
        bea.0,
        &json!({"link": p.link_b, "account": bea.1, "debtor": ada.1,
        "amount_minor": 3_000, "description": "Ruote", "due_on": "2027-01-31"}),
    )
    .await;
    assert_eq!(s, 201, "{to_ada}");
    let (to_bea, to_ada) = (
        to_bea["id"].as_str().unwrap().to_owned(),
        to_ada["id"].as_str().unwrap().to_owned(),
    );
    let (s, v) =
        p.b.post(
            &format!("/api/v1/federation/invoices/{to_bea}/accept"),
            Some(bea.0),
            &json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) =
        p.a.post(
            &format!("/api/v1/federation/invoices/{to_ada}/accept"),
            Some(ada.0),
            &json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    (to_bea, to_ada)
}

async fn invoices_owed_across_the_border_are_set_off_by_a_clearing_round(a: TestApp) {
    let p = linked(a).await;
    open_both_ways(&p).await;
    let (_, ada, ada_account) = p.a.member(&p.coord_a, "ada@a.example").await;
    let (_, bea, bea_account) = p.b.member(&p.coord_b, "bea@b.example").await;
    let (to_bea, to_ada) = owing_each_other(&p, (&ada, &ada_account), (&bea, &bea_account)).await;
    // Issued but not accepted: a round leaves it alone.
    let (s, pending) = issue(
        &p.a,
        &ada,
        &json!({"link": p.link_a, "account": ada_account, "debtor": bea_account,
        "amount_minor": 1_000, "description": "Burro", "due_on": "2027-01-31"}),
    )
    .await;
    assert_eq!(s, 201, "{pending}");
    let pending = pending["id"].as_str().unwrap().to_owned();

    // While a round sets part of an invoice off, it is not paid, disputed or cancelled.
    let round = uuid::Uuid::now_v7();
    let now = distretto_store::now();
    let row = distretto_store::federation::clearings::ClearingRow {
        id: round,
        initiator_link_id: Some(p.link_b.parse().unwrap()),
        status: "new".into(),
        plan: "{}".into(),
        set_off_minor: 1,
        refusal: None,
        open: true,
        attempts: 0,
        created_by: None,
        created_at: now,
        updated_at: now,
        deadline_at: now + time::Duration::hours(1),
    };
    let line = distretto_store::federation::clearings::InvoiceLineRow {
        clearing_id: round,
        invoice_id: to_bea.parse().unwrap(),
        set_off_minor: 1,
    };
    distretto_store::federation::clearings::insert(&p.b.db, &row, &[], &[], &[line])
        .await
        .unwrap();
    let (s, v) = pay_invoice(&p.b, &bea, &to_bea, "during", 100).await;
    assert_eq!((s, code(&v)), (409, Some("invoice_in_clearing")), "{v}");
    let (s, v) =
        p.b.post(
            &format!("/api/v1/federation/invoices/{to_bea}/dispute"),
            Some(&bea),
            &json!({"reason": "late"}),
        )
        .await;
    assert_eq!((s, code(&v)), (409, Some("invoice_in_clearing")), "{v}");
    distretto_store::federation::clearings::refuse(
        &p.b.db,
        round,
        "aborted",
        "federation_clearing_aborted",
        false,
    )
    .await
    .unwrap();

    // Members may not start a round; the coordinator's round sets 3,000 off both invoices.
    let (s, _) =
        p.a.post("/api/v1/federation/clearings", Some(&ada), &json!({}))
            .await;
    assert_eq!(s, 403);
    let (s, r) =
        p.a.post("/api/v1/federation/clearings", Some(&p.coord_a), &json!({}))
            .await;
    assert_eq!((s, r["status"].as_str()), (201, Some("committed")), "{r}");
    assert_eq!(r["set_off_minor"], 6_000, "{r}");
    assert_eq!(r["debts"].as_array().unwrap().len(), 0, "{r}");
    let mut set_off: Vec<(&str, i64)> = r["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["invoice"].as_str().unwrap(),
                i["set_off_minor"].as_i64().unwrap(),
            )
        })
        .collect();
    set_off.sort_unstable();
    let mut expected = vec![(to_bea.as_str(), 3_000), (to_ada.as_str(), 3_000)];
    expected.sort_unstable();
    assert_eq!(set_off, expected, "{r}");
    for (app, token) in [(&p.a, &ada), (&p.b, &bea)] {
        let v = invoice(app, token, &to_bea).await;
        assert_eq!(
            (
                v["status"].as_str(),
                v["set_off_minor"].as_i64(),
                v["remaining_minor"].as_i64()
            ),
            (Some("accepted"), Some(3_000), Some(2_000)),
            "{v}"
        );
        let v = invoice(app, token, &to_ada).await;
        assert_eq!(
            (
                v["status"].as_str(),
                v["set_off_minor"].as_i64(),
                v["remaining_minor"].as_i64()
            ),
            (Some("paid"), Some(3_000), Some(0)),
            "{v}"
        );
        assert_eq!(
            standing(app, token, &pending).await,
            ("issued".into(), 0, 1_000)
        );
    }
    // No money moved: balances and mirrors are as they were, and the ledgers verify.
    assert_eq!(balance(&p.a, &ada, &ada_account).await, 0);
    assert_eq!(balance(&p.b, &bea, &bea_account).await, 0);
    mirrors_agree(&p).await;
    verified(&p.a).await;
    verified(&p.b).await;
    // Nothing is left to set off; what remains is paid as before.
    let (s, v) =
        p.a.post("/api/v1/federation/clearings", Some(&p.coord_a), &json!({}))
            .await;
    assert_eq!(
        (s, code(&v)),
        (422, Some("federation_clearing_nothing")),
        "{v}"
    );
    let (s, v) = pay_invoice(&p.b, &bea, &to_bea, "rest", 2_000).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        standing(&p.a, &ada, &to_bea).await,
        ("paid".into(), 2_000, 0)
    );
    assert_eq!(
        standing(&p.b, &bea, &to_bea).await,
        ("paid".into(), 2_000, 0)
    );

    // The set-offs survive export → import → export.
    let first = export_round_trips(&p.b).await;
    // The real round's two, and the line of the round made up above.
    assert_eq!(first.federation.clearings.invoices.len(), 3);
}

on_both!(
    invoices_owed_across_the_border_are_set_off_by_a_clearing_round,
    the_invoices_page_issues_answers_and_pays_across_districts,
    an_invoice_between_districts_is_answered_and_paid_on_both_sides,
    an_unreachable_district_gets_the_invoice_later_and_changes_nothing_meanwhile,
);
