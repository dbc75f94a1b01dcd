//! Clearing rounds end to end through the pages: consent, opening, proposals, confirmation,
//! atomic application with set-off records and notices, stale proposals, credit-assisted
//! rounds within limits, deadlines, and refusals that change nothing.

use crate::harness::{TestApp, page, signed_in, submit};
use crate::on_both;
use distretto_store::clearing as store;
use serde_json::json;
use uuid::Uuid;

/// Three admitted organisations and the coordinator, each with a signed-in browser.
struct District {
    coord: reqwest::Client,
    tokens: [String; 3],
    accounts: [String; 3],
    browsers: [reqwest::Client; 3],
}

const EMAILS: [&str; 3] = [
    "anna@farm.example",
    "bruno@coop.example",
    "carla@shop.example",
];

async fn district(app: &TestApp) -> District {
    let (_, coord_token) = app.coordinator().await;
    let mut tokens = Vec::new();
    let mut accounts = Vec::new();
    let mut browsers = Vec::new();
    for (email, name) in EMAILS
        .iter()
        .zip(["Orto Anna", "Forno Bruno", "Bottega Carla"])
    {
        let (org, token) = app.admitted_org(&coord_token, email, name).await;
        let id = Uuid::parse_str(&org).unwrap();
        let acc = distretto_store::accounts::of_owner(&app.db, "organization", id)
            .await
            .unwrap();
        accounts.push(acc[0].id.to_string());
        tokens.push(token);
        browsers.push(signed_in(app, email).await);
    }
    District {
        coord: signed_in(app, "coord@test.example").await,
        tokens: tokens.try_into().unwrap(),
        accounts: accounts.try_into().unwrap(),
        browsers: browsers.try_into().unwrap(),
    }
}

/// `creditor` invoices `debtor` (indices into the district) and the debtor accepts.
async fn owes(
    app: &TestApp,
    d: &District,
    debtor: usize,
    creditor: usize,
    amount: i64,
    currency: Option<&str>,
) -> Uuid {
    let mut body = json!({
        "creditor": d.accounts[creditor],
        "debtor": d.accounts[debtor],
        "amount": amount,
        "number": format!("F-{debtor}{creditor}-{amount}"),
        "description": "Goods",
        "due_on": (time::OffsetDateTime::now_utc().date() + time::Duration::days(30)).to_string(),
    });
    if let Some(c) = currency {
        body["currency"] = json!(c);
    }
    let (s, v) = app
        .post("/api/v1/invoices", Some(&d.tokens[creditor]), &body)
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let (s, v) = app
        .post(
            &format!("/api/v1/invoices/{id}/actions"),
            Some(&d.tokens[debtor]),
            &json!({"action": "accept"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    Uuid::parse_str(&id).unwrap()
}

fn today() -> String {
    time::OffsetDateTime::now_utc().date().to_string()
}

fn in_days(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

/// The coordinator opens a round through the form; returns its id.
async fn open_round(
    app: &TestApp,
    d: &District,
    currency: &str,
    policy: &str,
    credit: bool,
) -> Uuid {
    let (s, location, body) = submit(
        &d.coord,
        app,
        "/coordination/clearing",
        "/coordination/clearing",
        "en",
        &[
            ("currency", currency),
            ("cut_off", &today()),
            ("deadline", &in_days(7)),
            ("policy", policy),
            ("credit_assisted", if credit { "1" } else { "0" }),
            ("note", "Monthly round"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{body}");
    let id = location
        .trim_start_matches("/coordination/clearing/")
        .split('?')
        .next()
        .unwrap();
    Uuid::parse_str(id).unwrap()
}

/// Member `i` joins round `r` through its form.
async fn join(app: &TestApp, d: &District, i: usize, r: Uuid) {
    let path = format!("/clearing/rounds/{r}?account={}", d.accounts[i]);
    let (s, _, body) = submit(
        &d.browsers[i],
        app,
        &path,
        &format!("/clearing/rounds/{r}/join"),
        "en",
        &[("account", &d.accounts[i])],
    )
    .await;
    assert_eq!(s, 303, "{body}");
}

/// The coordinator presses an action of the report (compute, apply, cancel).
async fn coordinate(app: &TestApp, d: &District, r: Uuid, action: &str) -> (u16, String) {
    let path = format!("/coordination/clearing/{r}");
    let (s, _, body) = submit(&d.coord, app, &path, &format!("{path}/{action}"), "en", &[]).await;
    (s, body)
}

/// The `proposed_at` of the confirm form on the member's proposal page.
fn proposed_at_of(html: &str) -> String {
    let marker = "name=\"proposed_at\" value=\"";
    let start = html.find(marker).expect("a confirm form") + marker.len();
    let end = html[start..].find('"').unwrap();
    html[start..start + end].to_owned()
}

async fn confirm(app: &TestApp, d: &District, i: usize, r: Uuid) -> (u16, String) {
    let path = format!("/clearing/rounds/{r}?account={}", d.accounts[i]);
    let (_, html) = page(&d.browsers[i], app, &path, "en").await;
    let seen = proposed_at_of(&html);
    let (s, _, body) = submit(
        &d.browsers[i],
        app,
        &path,
        &format!("/clearing/rounds/{r}/confirm"),
        "en",
        &[("account", &d.accounts[i]), ("proposed_at", &seen)],
    )
    .await;
    (s, body)
}

async fn invoice(app: &TestApp, id: Uuid) -> distretto_store::ledger::invoices::InvoiceRow {
    distretto_store::ledger::invoices::get(&app.db, id)
        .await
        .unwrap()
}

async fn assert_verified(app: &TestApp) {
    let report = distretto_store::ledger::verify::verify(&app.db)
        .await
        .unwrap();
    assert!(report.ok(), "{:?}", report.problems);
}

/// Export → import into a fresh SQLite district → export gives the same document, clearing
/// tables included.
async fn assert_round_trips(app: &TestApp) {
    let first = distretto_store::export::export(&app.db).await.unwrap();
    assert!(!first.clearing_rounds.is_empty() && !first.clearing_lines.is_empty());
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

async fn a_triangle_is_cleared_with_consent(app: TestApp) {
    let d = district(&app).await;
    // Bruno owes Anna 100, Carla owes Bruno 70, Anna owes Carla 50: 50 goes round.
    let ba = owes(&app, &d, 1, 0, 10_000, None).await;
    let cb = owes(&app, &d, 2, 1, 7_000, None).await;
    let ac = owes(&app, &d, 0, 2, 5_000, None).await;
    // A euro invoice in the same circle is not a candidate of a credit round.
    let euro = owes(&app, &d, 1, 0, 9_900, Some("EUR")).await;

    // Anna gives standing consent; Bruno and Carla join the round.
    let (s, location, body) = submit(
        &d.browsers[0],
        &app,
        "/clearing",
        "/clearing/consent",
        "en",
        &[("account", &d.accounts[0]), ("standing", "1")],
    )
    .await;
    assert_eq!(
        (s, location.as_str()),
        (303, "/clearing?done=consent"),
        "{body}"
    );
    let r = open_round(&app, &d, "CRD", "all_confirm", false).await;
    join(&app, &d, 1, r).await;
    join(&app, &d, 2, r).await;
    let (s, body) = coordinate(&app, &d, r, "compute").await;
    assert_eq!(s, 303, "{body}");

    let round = store::round(&app.db, r).await.unwrap();
    assert_eq!(round.status, "proposed");
    assert_eq!((round.candidates, round.parties), (3, 3));
    assert_eq!(round.debt_before_minor, 22_000);
    assert_eq!(round.set_off_minor, 15_000);
    let participants = store::participants(&app.db, r).await.unwrap();
    assert_eq!(
        participants.len(),
        3,
        "standing consent joined at compute time"
    );

    // The coordinator's report names the figures and the cycle.
    let (s, html) = page(&d.coord, &app, &format!("/coordination/clearing/{r}"), "en").await;
    assert_eq!(s, 200);
    assert!(html.contains("68.1 %"), "share cleared 150/220");
    assert!(
        html.contains("Orto Anna → Forno Bruno → Bottega Carla → Orto Anna")
            || html.contains("Orto Anna → Bottega Carla"),
        "the cycle is listed"
    );

    // Bruno's proposal: owes 100 → 50, owed 70 → 20, net −30 before and after.
    let (s, html) = page(&d.browsers[1], &app, &format!("/clearing/rounds/{r}"), "en").await;
    assert_eq!(s, 200);
    assert!(
        html.split("id=\"debt-after\">")
            .nth(1)
            .is_some_and(|rest| rest.starts_with("50.00")),
        "{html}"
    );
    assert!(
        html.contains("-30.00") || html.contains("−30.00"),
        "net position shown"
    );

    // A confirmation of an older proposal does not count.
    let (_, old) = page(
        &d.browsers[0],
        &app,
        &format!("/clearing/rounds/{r}?account={}", d.accounts[0]),
        "en",
    )
    .await;
    let old_seen = proposed_at_of(&old);
    let (s, _) = coordinate(&app, &d, r, "compute").await;
    assert_eq!(s, 303);
    let path = format!("/clearing/rounds/{r}?account={}", d.accounts[0]);
    let (s, _, body) = submit(
        &d.browsers[0],
        &app,
        &path,
        &format!("/clearing/rounds/{r}/confirm"),
        "fr",
        &[("account", &d.accounts[0]), ("proposed_at", &old_seen)],
    )
    .await;
    assert_eq!(s, 409, "{body}");
    assert!(
        body.contains("La proposition a changé"),
        "refused in French: {body}"
    );
    assert!(
        store::participants(&app.db, r)
            .await
            .unwrap()
            .iter()
            .all(|p| p.answer.is_none())
    );

    // Everyone confirms; the last confirmation applies the round.
    for i in 0..2 {
        let (s, body) = confirm(&app, &d, i, r).await;
        assert_eq!(s, 303, "{body}");
        assert_eq!(store::round(&app.db, r).await.unwrap().status, "proposed");
    }
    let (s, body) = confirm(&app, &d, 2, r).await;
    assert_eq!(s, 303, "{body}");
    let round = store::round(&app.db, r).await.unwrap();
    assert_eq!(round.status, "applied");

    for (id, set_off, status) in [
        (ba, 5_000, "accepted"),
        (cb, 5_000, "accepted"),
        (ac, 5_000, "paid"),
    ] {
        let inv = invoice(&app, id).await;
        assert_eq!((inv.set_off_minor, inv.status.as_str()), (set_off, status));
    }
    assert_eq!(
        invoice(&app, euro).await.set_off_minor,
        0,
        "euro invoices are cleared apart"
    );
    let events = distretto_store::ledger::invoices::events(&app.db, ba)
        .await
        .unwrap();
    assert!(events.iter().any(|e| e.action == "set_off"
        && e.amount_minor == Some(5_000)
        && e.note == format!("#{}", round.number)));
    assert_eq!(app.count("transfers").await, 0, "a set-off moves no money");
    assert_verified(&app).await;

    // The set-off notice: printable page and CSV.
    let (s, html) = page(
        &d.browsers[1],
        &app,
        &format!("/clearing/rounds/{r}/notice"),
        "it",
    )
    .await;
    assert_eq!(s, 200);
    assert!(html.contains("Orto Anna") && html.contains("Bottega Carla"));
    let res = d.browsers[1]
        .get(app.url(&format!("/clearing/rounds/{r}/notice.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "header and Bruno's two invoices: {csv}");
    assert!(lines[0].starts_with("round,applied_on,currency,kind,invoice_id"));
    assert!(
        csv.contains(&format!("{ba}")) && csv.contains("payable,100.00,50.00,0.00,50.00"),
        "{csv}"
    );
    assert!(csv.contains("receivable,70.00,50.00,0.00,20.00"), "{csv}");

    // Someone outside the round, or a stranger's account, sees nothing of it.
    let (s, _) = page(
        &d.browsers[1],
        &app,
        &format!("/clearing/rounds/{r}/notice?account={}", d.accounts[0]),
        "en",
    )
    .await;
    assert_eq!(s, 404);
    // An applied round takes no more answers.
    let (s, _) = confirm_raw(&app, &d, 1, r).await;
    assert_eq!(s, 409);
    assert_round_trips(&app).await;
}

/// A confirm form posted without reading the page (the round is closed: no form to read).
async fn confirm_raw(app: &TestApp, d: &District, i: usize, r: Uuid) -> (u16, String) {
    let (s, _, body) = submit(
        &d.browsers[i],
        app,
        "/clearing",
        &format!("/clearing/rounds/{r}/confirm"),
        "en",
        &[("account", &d.accounts[i]), ("proposed_at", "")],
    )
    .await;
    (s, body)
}

async fn a_changed_invoice_refuses_the_whole_round(app: TestApp) {
    let d = district(&app).await;
    let ba = owes(&app, &d, 1, 0, 10_000, None).await;
    let cb = owes(&app, &d, 2, 1, 10_000, None).await;
    let ac = owes(&app, &d, 0, 2, 10_000, None).await;
    let r = open_round(&app, &d, "CRD", "all_confirm", false).await;
    for i in 0..3 {
        join(&app, &d, i, r).await;
    }
    coordinate(&app, &d, r, "compute").await;
    assert_eq!(
        store::round(&app.db, r).await.unwrap().set_off_minor,
        30_000
    );
    // Bruno pays 40 of what he owes Anna by transfer: 60 remain, the proposal wanted 100.
    let (s, v) = app
        .post(
            &format!("/api/v1/invoices/{ba}/actions"),
            Some(&d.tokens[1]),
            &json!({"action": "pay", "amount": 4_000}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, body) = coordinate(&app, &d, r, "apply").await;
    assert_eq!(s, 409, "{body}");
    assert!(body.contains("Some invoices changed since the proposal"));
    for id in [ba, cb, ac] {
        assert_eq!(invoice(&app, id).await.set_off_minor, 0, "nothing applied");
    }
    // The proposal was computed again on what remains.
    let round = store::round(&app.db, r).await.unwrap();
    assert_eq!(
        (round.status.as_str(), round.set_off_minor),
        ("proposed", 18_000)
    );
    let (s, body) = coordinate(&app, &d, r, "apply").await;
    assert_eq!(s, 303, "{body}");
    assert_eq!(invoice(&app, ba).await.remaining_minor(), 0);
    assert_eq!(invoice(&app, cb).await.remaining_minor(), 4_000);
    assert_verified(&app).await;
}

async fn credit_settles_a_chain_within_limits(app: TestApp) {
    let d = district(&app).await;
    // Anna owes Bruno 300, Bruno owes Carla 300: no circle, nothing to set off.
    let ab = owes(&app, &d, 0, 1, 30_000, None).await;
    let bc = owes(&app, &d, 1, 2, 30_000, None).await;
    // Anna may go 100 below zero; Bruno may not go below zero (else his own line would settle
    // the rest of what he owes Carla).
    let anna = Uuid::parse_str(&d.accounts[0]).unwrap();
    let bruno = Uuid::parse_str(&d.accounts[1]).unwrap();
    for (account, credit_limit_minor) in [(anna, 10_000), (bruno, 0)] {
        distretto_web::ledger::service::set_limits(
            &app.db,
            account,
            distretto_domain::ledger::Limits {
                credit_limit_minor,
                upper_limit_minor: None,
            },
            "Limit for the test",
            None,
            None,
        )
        .await
        .unwrap();
    }
    let r = open_round(&app, &d, "CRD", "tacit", true).await;
    for i in 0..3 {
        join(&app, &d, i, r).await;
    }
    coordinate(&app, &d, r, "compute").await;
    let round = store::round(&app.db, r).await.unwrap();
    assert_eq!(round.set_off_minor, 0);
    assert_eq!(
        round.credit_settled_minor, 20_000,
        "100 of credit settles 100 on both invoices"
    );
    assert_eq!(round.credit_transferred_minor, 10_000);
    let (_, html) = page(&d.coord, &app, &format!("/coordination/clearing/{r}"), "en").await;
    assert!(html.contains("Cleared in addition with credit"));

    // Tacit consent: nobody answers; the deadline applies it.
    let later = distretto_store::now() + time::Duration::days(8);
    let settled = distretto_web::clearing::service::settle_due(&app.state, later)
        .await
        .unwrap();
    assert_eq!(settled, 1);
    assert_eq!(store::round(&app.db, r).await.unwrap().status, "applied");
    assert_eq!(invoice(&app, ab).await.remaining_minor(), 20_000);
    assert_eq!(invoice(&app, bc).await.remaining_minor(), 20_000);
    let anna_row = distretto_store::accounts::get(&app.db, anna).await.unwrap();
    assert_eq!(
        anna_row.balance_minor, -10_000,
        "Anna paid Carla 100 in credit, at her limit"
    );
    let planned = store::transfers(&app.db, r).await.unwrap();
    assert_eq!(planned.len(), 1);
    assert!(
        planned[0].transfer_id.is_some(),
        "the transfer is linked to the journal"
    );
    assert_eq!(app.count("transfers").await, 1);
    assert_verified(&app).await;
    // Bruno's notice lists the credit settlement.
    let (s, html) = page(
        &d.browsers[1],
        &app,
        &format!("/clearing/rounds/{r}/notice"),
        "en",
    )
    .await;
    assert_eq!(s, 200);
    assert!(html.contains("Settled with credit"));
    assert_round_trips(&app).await;
}

async fn deadlines_lapse_without_consent_and_refusals_change_nothing(app: TestApp) {
    let d = district(&app).await;
    let ba = owes(&app, &d, 1, 0, 10_000, None).await;
    owes(&app, &d, 0, 1, 4_000, None).await;

    // A member may not open a round; bad dates are refused in the viewer's language.
    let (s, _, _) = submit(
        &d.browsers[0],
        &app,
        "/clearing",
        "/coordination/clearing",
        "en",
        &[
            ("currency", "CRD"),
            ("cut_off", &today()),
            ("deadline", &in_days(3)),
            ("policy", "tacit"),
        ],
    )
    .await;
    assert_eq!(s, 403);
    // Each refusal shows its reason in the viewer's language, marks the field, writes nothing.
    let refusals = [
        (
            "fr",
            "CRD",
            in_days(2),
            in_days(3),
            "0",
            "tacit",
            "ne peut pas être dans le futur",
        ),
        (
            "en",
            "CRD",
            today(),
            in_days(200),
            "0",
            "tacit",
            "The deadline must be within 90 days.",
        ),
        (
            "it",
            "EUR",
            today(),
            in_days(3),
            "1",
            "tacit",
            "solo nella moneta del distretto",
        ),
        (
            "en",
            "CRD",
            today(),
            in_days(3),
            "0",
            "whatever",
            "Choose how consent is given.",
        ),
    ];
    for (lang, currency, cut_off, deadline, credit, policy, message) in &refusals {
        let (s, _, body) = submit(
            &d.coord,
            &app,
            "/coordination/clearing",
            "/coordination/clearing",
            lang,
            &[
                ("currency", currency),
                ("cut_off", cut_off),
                ("deadline", deadline),
                ("credit_assisted", credit),
                ("policy", policy),
            ],
        )
        .await;
        assert_eq!(s, 422, "{body}");
        assert!(body.contains(message), "{lang}: {message}");
    }
    let (_, _, body) = submit(
        &d.coord,
        &app,
        "/coordination/clearing",
        "/coordination/clearing",
        "en",
        &[
            ("currency", "CRD"),
            ("cut_off", &in_days(2)),
            ("deadline", &in_days(3)),
            ("policy", "tacit"),
        ],
    )
    .await;
    assert!(
        body.contains("id=\"cut_off\" name=\"cut_off\" type=\"date\" required value=\"")
            && body.contains("aria-invalid=\"true\""),
        "the field is marked"
    );
    assert_eq!(app.count("clearing_rounds").await, 0);

    let r = open_round(&app, &d, "CRD", "all_confirm", false).await;
    // One round per currency at a time.
    let (s, _, body) = submit(
        &d.coord,
        &app,
        "/coordination/clearing",
        "/coordination/clearing",
        "it",
        &[
            ("currency", "CRD"),
            ("cut_off", &today()),
            ("deadline", &in_days(3)),
            ("policy", "tacit"),
        ],
    )
    .await;
    assert_eq!(s, 409, "{body}");
    assert_eq!(app.count("clearing_rounds").await, 1);
    // Nobody joins for someone else's account.
    let path = format!("/clearing/rounds/{r}");
    let (s, _, _) = submit(
        &d.browsers[0],
        &app,
        &path,
        &format!("{path}/join"),
        "en",
        &[("account", &d.accounts[1])],
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(app.count("clearing_participants").await, 0);

    join(&app, &d, 0, r).await;
    join(&app, &d, 1, r).await;
    coordinate(&app, &d, r, "compute").await;
    assert_eq!(store::round(&app.db, r).await.unwrap().set_off_minor, 8_000);
    let (s, _) = confirm(&app, &d, 0, r).await;
    assert_eq!(s, 303);
    // Before the deadline nothing happens; after it, a round short of consent lapses.
    let now = distretto_store::now();
    assert_eq!(
        distretto_web::clearing::service::settle_due(&app.state, now)
            .await
            .unwrap(),
        0
    );
    let later = now + time::Duration::days(8);
    assert_eq!(
        distretto_web::clearing::service::settle_due(&app.state, later)
            .await
            .unwrap(),
        1
    );
    assert_eq!(store::round(&app.db, r).await.unwrap().status, "lapsed");
    assert_eq!(invoice(&app, ba).await.set_off_minor, 0);

    // A closed round can be neither computed nor applied, and its history is listed.
    let (s, body) = coordinate(&app, &d, r, "apply").await;
    assert_eq!(s, 409, "{body}");
    let (s, body) = coordinate(&app, &d, r, "compute").await;
    assert_eq!(s, 409, "{body}");
    assert_eq!(invoice(&app, ba).await.set_off_minor, 0);
    let (s, html) = page(&d.coord, &app, "/coordination/clearing", "en").await;
    assert_eq!(s, 200);
    assert!(html.contains("Lapsed"));
}

async fn two_applies_at_once_apply_once(app: TestApp) {
    let d = district(&app).await;
    let ab = owes(&app, &d, 0, 1, 10_000, None).await;
    owes(&app, &d, 1, 0, 10_000, None).await;
    let r = open_round(&app, &d, "CRD", "tacit", false).await;
    join(&app, &d, 0, r).await;
    join(&app, &d, 1, r).await;
    coordinate(&app, &d, r, "compute").await;
    let later = distretto_store::now() + time::Duration::days(8);
    let (a, b) = tokio::join!(
        distretto_web::clearing::service::settle_due(&app.state, later),
        distretto_web::clearing::service::settle_due(&app.state, later),
    );
    // One applies; the other finds the round applied, or is refused by the writer (a conflict,
    // which the deadline check passes over).
    assert_eq!(a.unwrap() + b.unwrap(), 1, "exactly one application");
    let inv = invoice(&app, ab).await;
    assert_eq!(
        (inv.set_off_minor, inv.status.as_str()),
        (10_000, "paid"),
        "set off once"
    );
    let events = distretto_store::ledger::invoices::events(&app.db, ab)
        .await
        .unwrap();
    assert_eq!(events.iter().filter(|e| e.action == "set_off").count(), 1);
}

on_both!(
    a_triangle_is_cleared_with_consent,
    a_changed_invoice_refuses_the_whole_round,
    credit_settles_a_chain_within_limits,
    deadlines_lapse_without_consent_and_refusals_change_nothing,
    two_applies_at_once_apply_once,
);
