//! Marketplace: shared resources and bookings (no double booking, fees through the ledger).
//! Booking pays the owner once; bad input, someone else's booking, an unknown resource and a
//! fee over the credit limit change nothing; cancellation refunds per policy, once; a retry
//! with the same key is never charged twice; a storm of 100 concurrent clients never leaves
//! two active bookings overlapping; export → import gives the same rows.

use crate::harness::{TestApp, page, signed_in, submit};
use crate::on_both;
use distretto_domain::market::resource::{
    Cancellation, FeeUnit, ResourceKind, Rules, parse_windows,
};
use distretto_domain::membership::Role;
use distretto_store::Db;
use distretto_store::market::resources as store;
use distretto_web::auth::viewer::Actor;
use distretto_web::market::resources::service::{self, ResourceInput};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

struct Setup {
    coord: Actor,
    owner_org: Uuid,
    owner_account: Uuid,
    owner_token: String,
    resource: Uuid,
}

fn rules(fee_minor: i64, free_hours: i64, kept_percent: i64) -> Rules {
    Rules {
        enabled: true,
        fee_minor,
        fee_unit: FeeUnit::Hour,
        windows: parse_windows("daily 00:00-24:00").unwrap(),
        min_minutes: 30,
        max_minutes: 24 * 60,
        max_ahead_days: 60,
        cancellation: Cancellation {
            free_hours,
            kept_percent,
        },
    }
}

fn input(name: &str, rules: Rules) -> ResourceInput {
    ResourceInput {
        kind: ResourceKind::Van,
        name: name.into(),
        description: "A refrigerated van".into(),
        place: "Aosta".into(),
        rules_text: "Return it clean, with a full tank.".into(),
        rules,
    }
}

async fn setup(app: &TestApp) -> Setup {
    let (coord_id, coord_token) = app.coordinator().await;
    let coord = Actor {
        id: Uuid::parse_str(&coord_id).unwrap(),
        email: "coord@test.example".into(),
        name: "Carla Coordinatrice".into(),
        role: Role::Coordinator,
        membership_status: "member".into(),
    };
    let (org, owner_token) = app
        .admitted_org(&coord_token, "owner@coop.example", "Cooperativa Furgoni")
        .await;
    let owner_org = Uuid::parse_str(&org).unwrap();
    let owner_account = distretto_store::accounts::of_owner(&app.db, "organization", owner_org)
        .await
        .unwrap()[0]
        .id;
    let r = service::create(
        &app.state,
        &coord,
        owner_org,
        input("Furgone frigo", rules(500, 48, 50)),
    )
    .await
    .unwrap();
    Setup {
        coord,
        owner_org,
        owner_account,
        owner_token,
        resource: r.id,
    }
}

/// A whole hour `hours` from now.
fn at(hours: i64) -> OffsetDateTime {
    let now = distretto_store::now();
    let t = now + Duration::hours(hours + 1);
    t.replace_minute(0)
        .unwrap()
        .replace_second(0)
        .unwrap()
        .replace_nanosecond(0)
        .unwrap()
}

fn iso(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

fn slot(start: OffsetDateTime, hours: i64) -> Value {
    json!({"start": iso(start), "end": iso(start + Duration::hours(hours))})
}

async fn balance(app: &TestApp, account: Uuid) -> i64 {
    distretto_store::accounts::get(&app.db, account)
        .await
        .unwrap()
        .balance_minor
}

async fn coordinator_token(app: &TestApp) -> String {
    app.token("coord@test.example").await
}

async fn assert_verified(app: &TestApp) {
    let report = distretto_store::ledger::verify::verify(&app.db)
        .await
        .unwrap();
    assert!(report.ok(), "{:?}", report.problems);
}

/// Active bookings of one resource that overlap another: must be none.
async fn overlapping_pairs(db: &Db) -> i64 {
    let sql = |lt: &str| {
        format!(
            "SELECT COUNT(*) FROM market_bookings a JOIN market_bookings b ON a.resource_id = b.resource_id AND a.id < b.id \
             WHERE a.status IN ('held', 'confirmed') AND b.status IN ('held', 'confirmed') AND {lt}"
        )
    };
    match db {
        Db::Sqlite { read, .. } => sqlx::query_scalar(&sql(
            "julianday(a.starts_at) < julianday(b.ends_at) AND julianday(b.starts_at) < julianday(a.ends_at)",
        ))
        .fetch_one(read)
        .await
        .unwrap(),
        Db::Postgres(p) => sqlx::query_scalar(&sql("a.starts_at < b.ends_at AND b.starts_at < a.ends_at"))
            .fetch_one(p)
            .await
            .unwrap(),
    }
}

async fn transfers_of_kind(app: &TestApp, kind: &str) -> i64 {
    let sql = format!("transfers WHERE kind = '{kind}'");
    app.count(&sql).await
}

async fn booking_pays_the_owner_and_takes_the_slot(app: TestApp) {
    let s = setup(&app).await;
    let (_, coord) = (s.coord.id, coordinator_token(&app).await);
    let (_, anna, anna_account) = app.member(&coord, "anna@home.example").await;
    let (_, bruno, _) = app.member(&coord, "bruno@home.example").await;
    let anna_account = Uuid::parse_str(&anna_account).unwrap();
    let path = format!("/api/v1/market/resources/{}/bookings", s.resource);
    let start = at(72);
    // Two hours and a half: three started hours at 5.00.
    let body = json!({"start": iso(start), "end": iso(start + Duration::minutes(150)), "note": "Market day"});
    let (st, b) = app.post(&path, Some(&anna), &body).await;
    assert_eq!(st, 201, "{b}");
    assert_eq!(b["status"], "confirmed");
    assert_eq!(b["fee"], 1500);
    assert_eq!(b["refund_if_cancelled_now"], 1500);
    assert_eq!(balance(&app, anna_account).await, -1500);
    assert_eq!(balance(&app, s.owner_account).await, 1500);
    let transfer = Uuid::parse_str(b["transfer"].as_str().unwrap()).unwrap();
    let t = distretto_store::ledger::transfer(&app.db, transfer)
        .await
        .unwrap();
    assert_eq!(
        (t.kind.as_str(), t.amount_minor, t.payer, t.payee),
        ("booking", 1500, anna_account, s.owner_account)
    );

    // Bruno cannot take an overlapping slot, and nothing changes.
    let (bookings, transfers) = (
        app.count("market_bookings").await,
        app.count("transfers").await,
    );
    let (st, e) = app
        .post(&path, Some(&bruno), &slot(start + Duration::hours(2), 2))
        .await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("slot_taken")),
        "{e}"
    );
    assert_eq!(app.count("market_bookings").await, bookings);
    assert_eq!(app.count("transfers").await, transfers);
    // The slot right after is free.
    let (st, e) = app.post(&path, Some(&bruno), &json!({"start": iso(start + Duration::minutes(150)), "end": iso(start + Duration::hours(4))})).await;
    assert_eq!(st, 201, "{e}");

    // The resource shows both as taken; Anna's list shows hers.
    let (st, r) = app
        .get(
            &format!("/api/v1/market/resources/{}", s.resource),
            Some(&anna),
        )
        .await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["taken"].as_array().unwrap().len(), 2);
    assert_eq!(r["cancellation"]["kept_percent"], 50);
    assert_eq!(r["availability"].as_array().unwrap().len(), 7);
    let (st, list) = app.get("/api/v1/market/bookings", Some(&anna)).await;
    assert_eq!(st, 200);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], b["id"]);
    let (st, list) = app
        .get("/api/v1/market/resources?kind=van&place=aos", Some(&anna))
        .await;
    assert_eq!((st, list["total"].as_i64()), (200, Some(1)), "{list}");
    let (_, list) = app
        .get("/api/v1/market/resources?kind=hall", Some(&anna))
        .await;
    assert_eq!(list["total"], 0);
    let (st, _) = app
        .get("/api/v1/market/resources?kind=boat", Some(&anna))
        .await;
    assert_eq!(st, 400);
    let (st, _) = app.get("/api/v1/market/resources", None).await;
    assert_eq!(st, 401);
    // The owner's admin books its own resource from the organisation's account for free.
    let (st, own) = app
        .post(
            &path,
            Some(&s.owner_token),
            &json!({"start": iso(at(100)), "end": iso(at(101)), "account": s.owner_account}),
        )
        .await;
    assert_eq!((st, own["fee"].as_i64()), (201, Some(0)), "{own}");
    assert_verified(&app).await;
    let _ = s.owner_org;
}

async fn bad_input_changes_nothing(app: TestApp) {
    let s = setup(&app).await;
    let coord = coordinator_token(&app).await;
    let (_, anna, anna_account) = app.member(&coord, "anna@home.example").await;
    let (_, bruno, bruno_account) = app.member(&coord, "bruno@home.example").await;
    let path = format!("/api/v1/market/resources/{}/bookings", s.resource);
    let (bookings, transfers) = (
        app.count("market_bookings").await,
        app.count("transfers").await,
    );
    let past = at(-5);
    let cases = [
        (slot(past, 1), 422, "slot_in_past"),
        (
            json!({"start": iso(at(30)), "end": iso(at(29))}),
            422,
            "end_before_start",
        ),
        (
            json!({"start": iso(at(30)), "end": iso(at(30) + Duration::minutes(10))}),
            422,
            "booking_too_short",
        ),
        (slot(at(30), 25), 422, "booking_too_long"),
        (slot(at(24 * 90), 1), 422, "too_far_ahead"),
        (
            json!({"start": "tomorrow", "end": iso(at(30))}),
            422,
            "bad_time",
        ),
        (
            json!({"start": iso(at(30)), "end": iso(at(31)), "account": bruno_account}),
            403,
            "not_your_account",
        ),
    ];
    for (body, status, code) in cases {
        let (st, e) = app.post(&path, Some(&anna), &body).await;
        assert_eq!(
            (st, e["error"]["code"].as_str()),
            (status, Some(code)),
            "{body} {e}"
        );
    }
    let (st, e) = app
        .post(
            &format!("/api/v1/market/resources/{}/bookings", Uuid::now_v7()),
            Some(&anna),
            &slot(at(30), 1),
        )
        .await;
    assert_eq!((st, e["error"]["code"].as_str()), (404, Some("not_found")));
    let (st, _) = app.post(&path, None, &slot(at(30), 1)).await;
    assert_eq!(st, 401);

    // A kitchen open on weekday mornings only, and disabled.
    let mut closed = rules(100, 24, 0);
    closed.windows = parse_windows("mon 08:00-09:00").unwrap();
    let kitchen = service::create(
        &app.state,
        &s.coord,
        s.owner_org,
        input("Cucina", closed.clone()),
    )
    .await
    .unwrap();
    let kpath = format!("/api/v1/market/resources/{}/bookings", kitchen.id);
    let mut t = at(24);
    while t.weekday() == time::Weekday::Monday {
        t += Duration::days(1);
    }
    let (st, e) = app.post(&kpath, Some(&anna), &slot(t, 1)).await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (422, Some("outside_availability")),
        "{e}"
    );
    closed.enabled = false;
    service::update(&app.state, &s.coord, kitchen.id, input("Cucina", closed))
        .await
        .unwrap();
    let (st, e) = app.post(&kpath, Some(&anna), &slot(t, 1)).await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (422, Some("resource_disabled")),
        "{e}"
    );
    assert_eq!(app.count("market_bookings").await, bookings);
    assert_eq!(app.count("transfers").await, transfers);

    // A fee over Anna's credit limit (100.00): refused, released, nothing paid, slot free.
    let hall = service::create(
        &app.state,
        &s.coord,
        s.owner_org,
        input("Salone", rules(6_000, 24, 0)),
    )
    .await
    .unwrap();
    let hpath = format!("/api/v1/market/resources/{}/bookings", hall.id);
    let (st, e) = app.post(&hpath, Some(&anna), &slot(at(30), 2)).await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (422, Some("credit_limit_exceeded")),
        "{e}"
    );
    assert_eq!(app.count("transfers").await, transfers);
    assert_eq!(
        app.count("market_bookings WHERE status IN ('held', 'confirmed')")
            .await,
        0
    );
    assert_eq!(
        balance(&app, Uuid::parse_str(&anna_account).unwrap()).await,
        0
    );
    let (st, e) = app.post(&hpath, Some(&bruno), &slot(at(30), 1)).await;
    assert_eq!(st, 201, "{e}");

    // Someone else's booking cannot be cancelled by Anna.
    let id = e["id"].as_str().unwrap();
    let (st, e) = app
        .post(
            &format!("/api/v1/market/bookings/{id}/cancel"),
            Some(&anna),
            &json!({}),
        )
        .await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{e}"
    );
    let (st, e) = app
        .post(
            &format!("/api/v1/market/bookings/{}/cancel", Uuid::now_v7()),
            Some(&anna),
            &json!({}),
        )
        .await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{e}"
    );
    assert_eq!(
        store::booking(&app.db, Uuid::parse_str(id).unwrap())
            .await
            .unwrap()
            .status,
        "confirmed"
    );
    assert_verified(&app).await;
}

async fn cancellation_refunds_per_policy_once(app: TestApp) {
    let s = setup(&app).await;
    let coord = coordinator_token(&app).await;
    let (_, anna, anna_account) = app.member(&coord, "anna@home.example").await;
    let anna_account = Uuid::parse_str(&anna_account).unwrap();
    let path = format!("/api/v1/market/resources/{}/bookings", s.resource);
    // Free until 48 hours before: a booking in 3 days is refunded whole.
    let early = at(72);
    let (_, a) = app.post(&path, Some(&anna), &slot(early, 2)).await;
    // A booking in 10 hours: 50 % kept.
    let late = at(10);
    let (_, b) = app.post(&path, Some(&anna), &slot(late, 3)).await;
    assert_eq!(
        (a["fee"].as_i64(), b["fee"].as_i64()),
        (Some(1000), Some(1500))
    );
    assert_eq!(b["refund_if_cancelled_now"], 750);
    assert_eq!(balance(&app, anna_account).await, -2500);

    let (st, c) = app
        .post(
            &format!(
                "/api/v1/market/bookings/{}/cancel",
                a["id"].as_str().unwrap()
            ),
            Some(&anna),
            &json!({}),
        )
        .await;
    assert_eq!(
        (st, c["status"].as_str(), c["refund"].as_i64()),
        (200, Some("cancelled"), Some(1000)),
        "{c}"
    );
    let (st, c) = app
        .post(
            &format!(
                "/api/v1/market/bookings/{}/cancel",
                b["id"].as_str().unwrap()
            ),
            Some(&anna),
            &json!({}),
        )
        .await;
    assert_eq!((st, c["refund"].as_i64()), (200, Some(750)), "{c}");
    assert_eq!(balance(&app, anna_account).await, -750);
    assert_eq!(balance(&app, s.owner_account).await, 750);
    assert_eq!(transfers_of_kind(&app, "booking_refund").await, 2);

    // Twice, or concurrently: refunded once.
    let transfers = app.count("transfers").await;
    let cancel = format!(
        "/api/v1/market/bookings/{}/cancel",
        b["id"].as_str().unwrap()
    );
    let (st, e) = app.post(&cancel, Some(&anna), &json!({})).await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("booking_already_cancelled"))
    );
    assert_eq!(app.count("transfers").await, transfers);

    // The slot is free again; two concurrent cancels of a new booking refund once.
    let (st, again) = app.post(&path, Some(&anna), &slot(early, 2)).await;
    assert_eq!(st, 201, "{again}");
    let cancel = format!(
        "/api/v1/market/bookings/{}/cancel",
        again["id"].as_str().unwrap()
    );
    let empty = json!({});
    let (x, y) = tokio::join!(
        app.post(&cancel, Some(&anna), &empty),
        app.post(&cancel, Some(&anna), &empty)
    );
    let mut statuses = [x.0, y.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    assert_eq!(transfers_of_kind(&app, "booking_refund").await, 3);
    assert_eq!(balance(&app, anna_account).await, -750);

    // A free resource cancels without any transfer.
    let free = service::create(
        &app.state,
        &s.coord,
        s.owner_org,
        input("Trapano", rules(0, 0, 0)),
    )
    .await
    .unwrap();
    let (st, f) = app
        .post(
            &format!("/api/v1/market/resources/{}/bookings", free.id),
            Some(&anna),
            &slot(at(5), 1),
        )
        .await;
    assert_eq!(
        (st, f["fee"].as_i64(), f["transfer"].is_null()),
        (201, Some(0), true),
        "{f}"
    );
    let transfers = app.count("transfers").await;
    let (st, c) = app
        .post(
            &format!(
                "/api/v1/market/bookings/{}/cancel",
                f["id"].as_str().unwrap()
            ),
            Some(&anna),
            &json!({}),
        )
        .await;
    assert_eq!((st, c["refund"].as_i64()), (200, Some(0)), "{c}");
    assert_eq!(app.count("transfers").await, transfers);
    assert_verified(&app).await;
}

async fn a_retry_is_never_charged_twice(app: TestApp) {
    let s = setup(&app).await;
    let coord = coordinator_token(&app).await;
    let (_, anna, anna_account) = app.member(&coord, "anna@home.example").await;
    let url = app.url(&format!("/api/v1/market/resources/{}/bookings", s.resource));
    let send = |body: Value, key: &'static str| {
        app.client
            .post(url.clone())
            .bearer_auth(&anna)
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let body = slot(at(50), 2);
    let first = send(body.clone(), "k-1").await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send(body.clone(), "k-1").await.unwrap();
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(first["id"], again["id"]);
    assert_eq!(first["transfer"], again["transfer"]);
    let other = send(slot(at(55), 2), "k-1").await.unwrap();
    assert_eq!(other.status(), 409);
    let other: Value = other.json().await.unwrap();
    assert_eq!(other["error"]["code"], "idempotency_key_reused");
    // Concurrent retries of a new key: one booking, one charge.
    let body = slot(at(60), 1);
    let (x, y) = tokio::join!(send(body.clone(), "k-2"), send(body.clone(), "k-2"));
    let mut statuses = [x.unwrap().status().as_u16(), y.unwrap().status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 201]);
    assert_eq!(transfers_of_kind(&app, "booking").await, 2);
    assert_eq!(
        balance(&app, Uuid::parse_str(&anna_account).unwrap()).await,
        -1500
    );
    assert_verified(&app).await;
}

/// 100 clients (each a member with their own account) book overlapping slots of one van at
/// once. Afterwards no two active bookings overlap, each accepted booking is stored and paid
/// exactly once, each refused one left no row and no transfer, and the ledger verifies.
async fn storm_of_100_clients_never_double_books(app: TestApp) {
    let s = setup(&app).await;
    let coord = coordinator_token(&app).await;
    let mut clients = Vec::new();
    for i in 0..100 {
        let (_, token, account) = app.member(&coord, &format!("storm-{i}@home.example")).await;
        clients.push((token, Uuid::parse_str(&account).unwrap()));
    }
    let base = at(30);
    let path = format!("/api/v1/market/resources/{}/bookings", s.resource);
    let (bookings_before, transfers_before) = (
        app.count("market_bookings").await,
        app.count("transfers").await,
    );
    let mut tasks = Vec::new();
    for (i, (token, account)) in clients.iter().enumerate() {
        // Starts every half hour over 10 hours, 1 to 3 hours long: plenty of overlaps.
        let i = i as i64;
        let start = base + Duration::minutes(30 * ((i * 7) % 20));
        let body = slot(start, 1 + i % 3);
        let client = app.client.clone();
        let url = app.url(&path);
        let token = token.clone();
        let account = *account;
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let v: Value = res.json().await.unwrap();
            (status, v, account)
        }));
    }
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    for t in tasks {
        let (status, v, account) = t.await.unwrap();
        match status {
            201 => accepted.push((v, account)),
            409 => {
                assert_eq!(v["error"]["code"], "slot_taken", "{v}");
                refused.push(account);
            }
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert!(
        !accepted.is_empty() && !refused.is_empty(),
        "{} accepted",
        accepted.len()
    );
    assert_eq!(overlapping_pairs(&app.db).await, 0);
    let accepted_n = accepted.len() as i64;
    assert_eq!(
        app.count("market_bookings").await - bookings_before,
        accepted_n
    );
    assert_eq!(app.count("transfers").await - transfers_before, accepted_n);
    assert_eq!(transfers_of_kind(&app, "booking").await, accepted_n);
    let mut owner_income = 0;
    for (v, account) in &accepted {
        let b = store::booking(&app.db, Uuid::parse_str(v["id"].as_str().unwrap()).unwrap())
            .await
            .unwrap();
        assert_eq!(b.status, "confirmed");
        let t = distretto_store::ledger::transfer(&app.db, b.transfer_id.unwrap())
            .await
            .unwrap();
        assert_eq!((t.payer, t.amount_minor), (*account, b.fee_minor));
        assert_eq!(balance(&app, *account).await, -b.fee_minor);
        owner_income += b.fee_minor;
    }
    for account in &refused {
        assert_eq!(balance(&app, *account).await, 0);
    }
    assert_eq!(balance(&app, s.owner_account).await, owner_income);
    assert_verified(&app).await;
}

/// The export of the resources tables imports into an empty district unchanged.
async fn export_import_round_trips(app: TestApp) {
    let s = setup(&app).await;
    let coord = coordinator_token(&app).await;
    let (_, anna, _) = app.member(&coord, "anna@home.example").await;
    let path = format!("/api/v1/market/resources/{}/bookings", s.resource);
    let (_, a) = app.post(&path, Some(&anna), &slot(at(80), 2)).await;
    app.post(&path, Some(&anna), &slot(at(90), 2)).await;
    app.post(
        &format!(
            "/api/v1/market/bookings/{}/cancel",
            a["id"].as_str().unwrap()
        ),
        Some(&anna),
        &json!({}),
    )
    .await;
    let district = distretto_store::export::export(&app.db).await.unwrap();
    let first = store::export(&app.db).await.unwrap();
    assert_eq!((first.resources.len(), first.bookings.len()), (1, 2));
    // The district document carries resources and bookings.
    assert_eq!(district.market_resources, first);
    let other = crate::harness::spawn(if app.db.backend() == "sqlite" {
        crate::harness::Backend::Sqlite
    } else {
        crate::harness::Backend::Postgres
    })
    .await;
    distretto_store::export::import(&other.db, &district)
        .await
        .unwrap();
    assert_eq!(
        distretto_store::export::export(&other.db).await.unwrap(),
        district
    );
    let second = store::export(&other.db).await.unwrap();
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap()
    );
}

/// Pages: the list, a resource with its week and booking form, booking and cancelling in
/// each language; an outsider cannot edit.
async fn pages_book_and_cancel(app: TestApp) {
    let s = setup(&app).await;
    let coord = coordinator_token(&app).await;
    app.member(&coord, "anna@home.example").await;
    let anna = signed_in(&app, "anna@home.example").await;
    let (st, html) = page(&anna, &app, "/market/resources", "it").await;
    assert_eq!(st, 200);
    assert!(html.contains("Furgone frigo"), "{html}");
    let here = format!("/market/resources/{}", s.resource);
    let (st, html) = page(&anna, &app, &here, "fr").await;
    assert_eq!(st, 200);
    assert!(html.contains("lang=\"fr\""));
    let start = at(72);
    let day = format!(
        "{:04}-{:02}-{:02}",
        start.year(),
        u8::from(start.month()),
        start.day()
    );
    let time = format!("{:02}:00", start.hour());
    let end_time = format!("{:02}:00", (start + Duration::hours(2)).hour());
    let end_day = (start + Duration::hours(2)).date();
    let end_day = format!(
        "{:04}-{:02}-{:02}",
        end_day.year(),
        u8::from(end_day.month()),
        end_day.day()
    );
    // Bad input: the page again, with the error in the language, and nothing booked.
    let (st, _, html) = submit(
        &anna,
        &app,
        &here,
        &format!("{here}/book"),
        "it",
        &[
            ("start_day", &day),
            ("start_time", &end_time),
            ("end_day", &end_day),
            ("end_time", &time),
        ],
    )
    .await;
    assert_eq!(st, 422, "{html}");
    assert!(html.contains("role=\"alert\""));
    assert_eq!(app.count("market_bookings").await, 0);
    let (st, location, html) = submit(
        &anna,
        &app,
        &here,
        &format!("{here}/book"),
        "en",
        &[
            ("start_day", &day),
            ("start_time", &time),
            ("end_day", &end_day),
            ("end_time", &end_time),
        ],
    )
    .await;
    assert_eq!(st, 303, "{html}");
    assert!(location.starts_with("/market/bookings"), "{location}");
    let (st, html) = page(&anna, &app, "/market/bookings", "en").await;
    assert_eq!(st, 200);
    assert!(html.contains("Furgone frigo"));
    let booking: Uuid = {
        let (rows, _) = store::resources(&app.db, &store::ResourceFilter::default(), 10, 0)
            .await
            .unwrap();
        let r = &rows[0];
        store::taken(
            &app.db,
            r.id,
            start - Duration::hours(1),
            start + Duration::hours(3),
        )
        .await
        .unwrap()[0]
            .id
    };
    let confirm = format!("/market/bookings/{booking}/cancel");
    let (st, html) = page(&anna, &app, &confirm, "it").await;
    assert_eq!(st, 200);
    assert!(
        html.contains("10,00"),
        "the refund before confirming: {html}"
    );
    let (st, location, html) = submit(&anna, &app, &confirm, &confirm, "it", &[]).await;
    assert_eq!(st, 303, "{html}");
    assert!(location.starts_with("/market/bookings"));
    assert_eq!(
        store::booking(&app.db, booking).await.unwrap().status,
        "cancelled"
    );
    // An outsider cannot open the edit form; the owner's admin can.
    let (st, _) = page(&anna, &app, &format!("{here}/edit"), "en").await;
    assert_eq!(st, 403);
    let owner = signed_in(&app, "owner@coop.example").await;
    let (st, html) = page(&owner, &app, &format!("{here}/edit"), "en").await;
    assert_eq!(st, 200, "{html}");
    let _ = s.owner_token;
}

on_both!(
    booking_pays_the_owner_and_takes_the_slot,
    bad_input_changes_nothing,
    cancellation_refunds_per_policy_once,
    a_retry_is_never_charged_twice,
    storm_of_100_clients_never_double_books,
    export_import_round_trips,
    pages_book_and_cancel,
);
