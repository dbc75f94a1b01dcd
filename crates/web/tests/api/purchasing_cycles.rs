//! Order cycles end to end through the pages: opening, households ordering (with tolerances,
//! friends, stock), the close with whole packages, purchase orders and distribution lists,
//! delivery with real weights and substitutes, settlement on the ledger (once, to the cent),
//! a storm of households ordering the last units, and refusals that change nothing.

use crate::harness::{PASSWORD, TestApp, csrf_of, local, page, signed_in};
use crate::on_both;
use distretto_store::purchasing::catalogue::{self as catalogue_store, PickupRow, ProductRow};
use distretto_store::purchasing::cycles as store;
use time::OffsetDateTime;
use uuid::Uuid;

/// An admitted organisation of `kind` whose admin is a new person.
async fn admitted(
    app: &TestApp,
    coord: &str,
    email: &str,
    name: &str,
    kind: &str,
    lat: &str,
    lon: &str,
) -> Uuid {
    let place = ("Torino", lat, lon);
    let (org, _) = app.admitted_org_of(coord, email, name, kind, place).await;
    Uuid::parse_str(&org).unwrap()
}

/// A product of `farm`: `size` is (step, package) in thousandths of the unit.
fn product(
    farm: Uuid,
    sku: &str,
    name: &str,
    unit: &str,
    size: (i64, i64),
    price_credit: i64,
    stock: Option<i64>,
) -> ProductRow {
    let now = distretto_store::now();
    ProductRow {
        id: Uuid::now_v7(),
        producer_id: farm,
        sku: sku.into(),
        name: name.into(),
        description: String::new(),
        unit: unit.into(),
        step_milli: size.0,
        package_size_milli: size.1,
        price_euro_minor: Some(price_credit),
        price_credit_minor: Some(price_credit),
        vat_basis_points: 400,
        origin: "Val Pellice".into(),
        certifications: "organic".into(),
        season_months: 0x0FFF,
        stock_milli: stock,
        active: true,
        created_at: now,
        updated_at: now,
    }
}

struct Setup {
    group: Uuid,
    farm: Uuid,
    pickup: Uuid,
    apples: Uuid,
    cheese: Uuid,
    honey: Uuid,
    butter: Uuid,
    admin: reqwest::Client,
}

async fn setup(app: &TestApp) -> (Setup, String) {
    let (_, coord) = app.coordinator().await;
    let group = admitted(
        app,
        &coord,
        "gas@test.example",
        "GAS Borgo",
        "purchasing_group",
        "45.07",
        "7.68",
    )
    .await;
    let farm = admitted(
        app,
        &coord,
        "farm@test.example",
        "Cascina Verde",
        "farm",
        "44.90",
        "7.30",
    )
    .await;
    let apples = product(farm, "APL", "Apples", "kg", (1_000, 6_000), 200, None);
    let cheese = product(farm, "CHS", "Toma", "kg", (250, 250), 1_800, None);
    let honey = product(
        farm,
        "HNY",
        "Honey",
        "piece",
        (1_000, 1_000),
        900,
        Some(3_000),
    );
    let butter = product(farm, "BTR", "Butter", "piece", (1_000, 1_000), 400, None);
    catalogue_store::insert_products(
        &app.db,
        &[
            apples.clone(),
            cheese.clone(),
            honey.clone(),
            butter.clone(),
        ],
    )
    .await
    .unwrap();
    let pickup = PickupRow {
        id: Uuid::now_v7(),
        group_id: group,
        name: "Casa del quartiere".into(),
        address: "Via Morgari 14".into(),
        lat: Some(45.05),
        lon: Some(7.68),
        active: true,
        created_at: distretto_store::now(),
    };
    catalogue_store::insert_pickup(&app.db, &pickup)
        .await
        .unwrap();
    let admin = signed_in(app, "gas@test.example").await;
    (
        Setup {
            group,
            farm,
            pickup: pickup.id,
            apples: apples.id,
            cheese: cheese.id,
            honey: honey.id,
            butter: butter.id,
            admin,
        },
        coord,
    )
}

/// Posts a form taken from `path` (for its CSRF token) to `action`, in English.
async fn submit(
    b: &reqwest::Client,
    app: &TestApp,
    path: &str,
    action: &str,
    fields: &[(String, String)],
) -> (u16, String, String) {
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    crate::harness::submit(b, app, path, action, "en", &fields).await
}

fn f(k: &str, v: impl ToString) -> (String, String) {
    (k.to_owned(), v.to_string())
}

async fn open_cycle(app: &TestApp, s: &Setup, currency: &str, minimum: &str) -> Uuid {
    let mut fields = crate::harness::cycle_form(currency, s.farm, minimum, s.pickup);
    fields.push(f("note", "Bring your bags"));
    let path = format!("/purchasing/groups/{}/cycles", s.group);
    let (status, location, body) = submit(&s.admin, app, &path, &path, &fields).await;
    assert_eq!(status, 303, "{body}");
    let id = location.split('/').nth(3).unwrap();
    Uuid::parse_str(id).unwrap()
}

async fn household(app: &TestApp, coord: &str, email: &str) -> (reqwest::Client, Uuid) {
    let (_, _, account) = app.member(coord, email).await;
    (
        signed_in(app, email).await,
        Uuid::parse_str(&account).unwrap(),
    )
}

async fn order(
    app: &TestApp,
    b: &reqwest::Client,
    cycle: Uuid,
    lines: &[(Uuid, &str, &str)],
    friend: &str,
) -> (u16, String) {
    let mut fields = vec![f("for", friend)];
    for (product, q, t) in lines {
        fields.push(f(&format!("q_{product}"), q));
        fields.push(f(&format!("t_{product}"), t));
    }
    let path = format!("/purchasing/cycles/{cycle}");
    let (status, _, body) = submit(b, app, &path, &format!("{path}/order"), &fields).await;
    (status, body)
}

async fn balance(app: &TestApp, account: Uuid) -> i64 {
    distretto_store::accounts::get(&app.db, account)
        .await
        .unwrap()
        .balance_minor
}

async fn org_account(app: &TestApp, org: Uuid) -> Uuid {
    distretto_store::accounts::of_owner(&app.db, "organization", org)
        .await
        .unwrap()[0]
        .id
}

async fn whole_journey(app: TestApp) {
    let (s, coord) = setup(&app).await;
    let cycle = open_cycle(&app, &s, "CRD", "").await;
    let (anna, anna_account) = household(&app, &coord, "anna@test.example").await;
    let (bruno, bruno_account) = household(&app, &coord, "bruno@test.example").await;
    // Anna: 4 kg of apples (up to 2 kg more to fill a crate of 6) and half a kilo of toma.
    let (status, body) = order(
        &app,
        &anna,
        cycle,
        &[(s.apples, "4", "2"), (s.cheese, "0,5", "")],
        "",
    )
    .await;
    assert_eq!(status, 303, "{body}");
    // Bruno: 1 kg of apples, and a honey for his neighbour.
    assert_eq!(
        order(&app, &bruno, cycle, &[(s.apples, "1", "")], "")
            .await
            .0,
        303
    );
    assert_eq!(
        order(&app, &bruno, cycle, &[(s.honey, "1", "")], "Giulia")
            .await
            .0,
        303
    );
    let (_, html) = page(&bruno, &app, &format!("/purchasing/cycles/{cycle}"), "it").await;
    assert!(
        html.contains("Giulia") && html.contains("Ordini per amici"),
        "{html}"
    );
    assert_eq!(
        catalogue_store::product(&app.db, s.honey)
            .await
            .unwrap()
            .stock_milli,
        Some(2_000)
    );

    // Close: 5 kg ordered, 2 kg tolerated → one crate of 6; the extra kilo goes to Anna.
    let (status, location, _) = submit(
        &s.admin,
        &app,
        &format!("/purchasing/cycles/{cycle}/manage"),
        &format!("/purchasing/cycles/{cycle}/action/close"),
        &[],
    )
    .await;
    assert_eq!((status, location.contains("done=closed")), (303, true));
    let lines = store::lines(&app.db, cycle).await.unwrap();
    let apples: Vec<i64> = lines
        .iter()
        .filter(|l| l.product_id == s.apples)
        .map(|l| l.allocated_milli.unwrap())
        .collect();
    assert_eq!(apples.iter().sum::<i64>(), 6_000);
    assert!(
        apples.contains(&5_000) && apples.contains(&1_000),
        "{apples:?}"
    );
    let offered = store::products(&app.db, cycle).await.unwrap();
    assert_eq!(
        offered
            .iter()
            .find(|p| p.product_id == s.apples)
            .unwrap()
            .packages,
        Some(1)
    );

    // Ordering after the close is refused and changes nothing.
    let before = store::lines(&app.db, cycle).await.unwrap();
    let (status, body) = order(&app, &anna, cycle, &[(s.apples, "9", "")], "").await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("This cycle is not open for orders."));
    assert_eq!(store::lines(&app.db, cycle).await.unwrap(), before);

    // Purchase order for the farm: as a page for the farm's admin, and as CSV.
    let farmer = signed_in(&app, "farm@test.example").await;
    let (status, html) = page(
        &farmer,
        &app,
        &format!("/purchasing/producers/{}/orders", s.farm),
        "fr",
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Weekly order #1") && html.contains("GAS Borgo"),
        "{html}"
    );
    let res = farmer
        .get(app.url(&format!(
            "/purchasing/cycles/{cycle}/purchase-orders/{}/csv",
            s.farm
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    assert!(
        csv.starts_with("sku,product,unit,quantity,packages,price,amount,currency"),
        "{csv}"
    );
    assert!(csv.contains("APL,Apples,kg,6,1,2.00,12.00,CRD"), "{csv}");
    assert!(csv.contains("HNY,Honey,piece,1,,9.00,9.00,CRD"), "{csv}");
    // Distribution list by pickup point and household.
    let (status, html) = page(
        &s.admin,
        &app,
        &format!("/purchasing/cycles/{cycle}/distribution"),
        "en",
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Casa del quartiere") && html.contains("for Giulia"),
        "{html}"
    );

    // Delivery: Anna's toma weighed 620 g; Bruno gets butter in place of the honey.
    let anna_cheese = lines.iter().find(|l| l.product_id == s.cheese).unwrap();
    let field = format!(
        "d_{}_{}_{}",
        anna_cheese.order_id.simple(),
        s.cheese.simple(),
        ""
    );
    let (status, _, body) = submit(
        &s.admin,
        &app,
        &format!("/purchasing/cycles/{cycle}/delivery"),
        &format!("/purchasing/cycles/{cycle}/delivery"),
        &[f(&field, "0,62")],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let honey_line = lines.iter().find(|l| l.product_id == s.honey).unwrap();
    let line_field = format!(
        "d_{}_{}_{}",
        honey_line.order_id.simple(),
        s.honey.simple(),
        hex_of("Giulia")
    );
    let (status, _, body) = submit(
        &s.admin,
        &app,
        &format!("/purchasing/cycles/{cycle}/delivery"),
        &format!("/purchasing/cycles/{cycle}/delivery"),
        &[f(&line_field, "0")],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let (status, _, body) = submit(
        &s.admin,
        &app,
        &format!("/purchasing/cycles/{cycle}/delivery"),
        &format!("/purchasing/cycles/{cycle}/substitute"),
        &[
            f("line", &line_field),
            f("product", s.butter),
            f("quantity", "1"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let deliveries = store::deliveries(&app.db, cycle).await.unwrap();
    assert_eq!(deliveries.len(), 1);
    let km = deliveries[0].distance_m.unwrap();
    assert!(
        (34_000..34_500).contains(&km),
        "haversine farm → pickup: {km} m"
    );
    assert_eq!(deliveries[0].weight_g, 6_000 + 620);

    // Settlement, to the cent. Anna: apples 5 kg × 2.00 = 10.00 + 3% transport 0.30 + 2% fee
    // 0.20; toma 0.62 kg × 18.00 = 11.16 + 0.33 + 0.22 → 22.21. Bruno: apples 2.00 + 0.06 +
    // 0.04, butter 4.00 + 0.12 + 0.08 → 6.30. Farm: 10.30 + 11.49 + 2.06 + 4.12 = 27.97.
    // Group fee: 0.20 + 0.22 + 0.04 + 0.08 = 0.54.
    let farm_account = org_account(&app, s.farm).await;
    let group_account = org_account(&app, s.group).await;
    let transfers_before = app.count("transfers").await;
    let (status, location, body) = submit(
        &s.admin,
        &app,
        &format!("/purchasing/cycles/{cycle}/manage"),
        &format!("/purchasing/cycles/{cycle}/action/settle"),
        &[],
    )
    .await;
    assert_eq!(
        (status, location.contains("done=settled")),
        (303, true),
        "{body}"
    );
    assert_eq!(balance(&app, anna_account).await, -2_221);
    assert_eq!(balance(&app, bruno_account).await, -630);
    assert_eq!(balance(&app, farm_account).await, 2_797);
    assert_eq!(balance(&app, group_account).await, 54);
    assert_eq!(app.count("transfers").await, transfers_before + 3);
    assert_eq!(
        store::cycle(&app.db, cycle).await.unwrap().status,
        "settled"
    );
    // A retried settlement posts nothing more.
    let (status, _, _) = submit(
        &s.admin,
        &app,
        &format!("/purchasing/cycles/{cycle}/manage"),
        &format!("/purchasing/cycles/{cycle}/action/settle"),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(app.count("transfers").await, transfers_before + 3);
    assert_eq!(balance(&app, anna_account).await, -2_221);
    let rows = store::settlement(&app.db, cycle).await.unwrap();
    assert!(
        rows.iter()
            .filter(|r| r.role != "group")
            .all(|r| r.transfer_id.is_some()),
        "{rows:?}"
    );
    catalogue_store::set_photo(&app.db, s.apples, "image/png", PHOTO)
        .await
        .unwrap();
    assert_round_trips(&app).await;
}

const PHOTO: &[u8] = b"\x89PNG\r\n\x1a\nnot really";

/// Export → import into a fresh SQLite district → export gives the same document, purchasing
/// tables (photos included) with it.
async fn assert_round_trips(app: &TestApp) {
    let first = distretto_store::export::export(&app.db).await.unwrap();
    let p = &first.purchasing;
    assert!(
        !p.order_cycles.is_empty() && !p.order_lines.is_empty() && !p.cycle_settlements.is_empty()
    );
    assert!(!p.deliveries.is_empty() && p.product_photos.len() == 1);
    let other = crate::harness::spawn(crate::harness::Backend::Sqlite).await;
    distretto_store::export::import(&other.db, &first)
        .await
        .unwrap();
    let second = distretto_store::export::export(&other.db).await.unwrap();
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap()
    );
    let apples = p.products.iter().find(|x| x.sku == "APL").unwrap().id;
    assert_eq!(
        catalogue_store::photo(&other.db, apples)
            .await
            .unwrap()
            .unwrap()
            .1,
        PHOTO
    );
}

fn hex_of(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

async fn refusals_change_nothing(app: TestApp) {
    let (s, coord) = setup(&app).await;
    let cycle = open_cycle(&app, &s, "CRD", "").await;
    let (anna, _) = household(&app, &coord, "anna@test.example").await;
    // Typing mistakes: each line says what is wrong, in the reader's language, nothing saved.
    for (q, t, lang_text) in [
        ("-1", "", "Type a quantity like 2 or 1,5."),
        ("1,3", "", "The quantity must be a whole number of steps."),
        ("2", "7", "The tolerance must be less than one package"),
    ] {
        let (status, body) = order(&app, &anna, cycle, &[(s.apples, q, t)], "").await;
        assert_eq!(status, 422, "{q} {t}: {body}");
        assert!(body.contains(lang_text), "{q} {t}: {body}");
    }
    assert_eq!(app.count("order_lines").await, 0);
    // Stock: three honeys left; asking for four says how many are left and takes none.
    let (status, body) = order(&app, &anna, cycle, &[(s.honey, "4", "")], "").await;
    assert_eq!(status, 422);
    assert!(
        body.contains("Not enough left.") && body.contains("Left: 3"),
        "{body}"
    );
    assert_eq!(
        catalogue_store::product(&app.db, s.honey)
            .await
            .unwrap()
            .stock_milli,
        Some(3_000)
    );
    // Someone who does not run the group cannot open, close or see the report.
    let (status, _) = page(
        &anna,
        &app,
        &format!("/purchasing/cycles/{cycle}/manage"),
        "en",
    )
    .await;
    assert_eq!(status, 403);
    let (status, _, _) = submit(
        &anna,
        &app,
        &format!("/purchasing/cycles/{cycle}"),
        &format!("/purchasing/cycles/{cycle}/action/close"),
        &[],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(store::cycle(&app.db, cycle).await.unwrap().status, "open");
    // Anna cannot read the farm's purchase orders either.
    let res = anna
        .get(app.url(&format!(
            "/purchasing/cycles/{cycle}/purchase-orders/{}/csv",
            s.farm
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // A cycle closing before it opens is refused in Italian, and nothing is opened.
    let now = OffsetDateTime::now_utc();
    let path = format!("/purchasing/groups/{}/cycles", s.group);
    let (_, html) = page(&s.admin, &app, &path, "it").await;
    let res = s
        .admin
        .post(app.url(&path))
        .header("accept-language", "it")
        .form(&[
            ("csrf", csrf_of(&html)),
            ("name", "Sbagliato".into()),
            ("currency", "CRD".into()),
            ("opens_at", local(now + time::Duration::days(2))),
            ("closes_at", local(now + time::Duration::days(1))),
            ("fee", "0".into()),
            (&format!("producer_{}", s.farm), "1".into()),
            (&format!("pickup_{}", s.pickup), "1".into()),
            ("pickup_starts_at", local(now + time::Duration::days(3))),
            ("pickup_ends_at", local(now + time::Duration::days(4))),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("deve chiudere dopo"));
    assert_eq!(app.count("order_cycles").await, 1);
    // A product stored past the catalogue's checks (an import, a rule tightened since) makes
    // opening a cycle with its producer say so, in the reader's language, and open nothing.
    let changed = app
        .execute("UPDATE products SET unit = 'parsec' WHERE sku = 'BTR'")
        .await
        .unwrap();
    assert_eq!(changed, 1);
    let fields = crate::harness::cycle_form("CRD", s.farm, "", s.pickup);
    let (status, _, body) = submit(&s.admin, &app, &path, &path, &fields).await;
    // The form comes back with the reason above it (the page answers 422 for every refusal).
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("The producer must correct it in the catalogue"),
        "{body}"
    );
    assert_eq!(app.count("order_cycles").await, 1);
}

async fn minimum_and_shortfall(app: TestApp) {
    let (s, coord) = setup(&app).await;
    // Minimum of 500.00 credits: 60 kg of apples (120.00) does not reach it… so raise the
    // price side: one household orders 300 kg → 600.00, above its own credit limit (100.00).
    let cycle = open_cycle(&app, &s, "CRD", "500").await;
    let (anna, anna_account) = household(&app, &coord, "anna@test.example").await;
    assert_eq!(
        order(&app, &anna, cycle, &[(s.apples, "300", "")], "")
            .await
            .0,
        303
    );
    let (status, _, _) = submit(
        &s.admin,
        &app,
        &format!("/purchasing/cycles/{cycle}/manage"),
        &format!("/purchasing/cycles/{cycle}/action/close"),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    let producers = store::producers(&app.db, cycle).await.unwrap();
    assert_eq!(producers[0].minimum_met, Some(true));
    let (status, _, _) = submit(
        &s.admin,
        &app,
        &format!("/purchasing/cycles/{cycle}/delivery"),
        &format!("/purchasing/cycles/{cycle}/delivery"),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    // Settling: Anna's 618.00 exceed her credit: listed, and nothing moves.
    let transfers = app.count("transfers").await;
    let (status, _, body) = submit(
        &s.admin,
        &app,
        &format!("/purchasing/cycles/{cycle}/manage"),
        &format!("/purchasing/cycles/{cycle}/action/settle"),
        &[],
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body.contains("Some households do not have enough credit"),
        "{body}"
    );
    assert_eq!(app.count("transfers").await, transfers);
    assert_eq!(balance(&app, anna_account).await, 0);
    // Recorded as paid in euro, the rest settles: the group pays the farm from its own credit.
    let (status, _, body) = submit(
        &s.admin,
        &app,
        &format!("/purchasing/cycles/{cycle}/manage"),
        &format!("/purchasing/cycles/{cycle}/action/settle"),
        &[f(&format!("euro_{anna_account}"), "1")],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(balance(&app, anna_account).await, 0);
    assert_eq!(balance(&app, org_account(&app, s.farm).await).await, 61_800);
    assert_eq!(
        balance(&app, org_account(&app, s.group).await).await,
        -61_800
    );

    // A second cycle with the same minimum: 10 kg do not reach it, so the farm is cut.
    let second = open_cycle(&app, &s, "CRD", "500").await;
    assert_eq!(
        order(&app, &anna, second, &[(s.apples, "10", "")], "")
            .await
            .0,
        303
    );
    let (status, _, _) = submit(
        &s.admin,
        &app,
        &format!("/purchasing/cycles/{second}/manage"),
        &format!("/purchasing/cycles/{second}/action/close"),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        store::producers(&app.db, second).await.unwrap()[0].minimum_met,
        Some(false)
    );
    assert!(
        store::lines(&app.db, second)
            .await
            .unwrap()
            .iter()
            .all(|l| l.allocated_milli == Some(0))
    );
    let (_, html) = page(&anna, &app, &format!("/purchasing/cycles/{second}"), "fr").await;
    assert!(
        html.contains("La commande minimale du producteur"),
        "{html}"
    );
}

/// 200 households order the last 50 jars at once: exactly 50 are sold, each accepted order is
/// in the database, and stock never goes below zero.
async fn storm_never_oversells(app: TestApp) {
    let (s, _) = setup(&app).await;
    let cycle = open_cycle(&app, &s, "CRD", "").await;
    let now = distretto_store::now();
    let mut rows = store::products(&app.db, cycle).await.unwrap();
    rows.retain(|p| p.product_id == s.honey);
    catalogue_store::update_product(
        &app.db,
        &ProductRow {
            stock_milli: Some(50_000),
            updated_at: now,
            ..catalogue_store::product(&app.db, s.honey).await.unwrap()
        },
    )
    .await
    .unwrap();
    let hash = distretto_web::auth::crypto::hash_password(PASSWORD.into())
        .await
        .unwrap();
    let mut actors = Vec::new();
    for i in 0..200 {
        let email = format!("h{i}@storm.example");
        let id = distretto_web::membership::service::create_member(
            &app.db,
            &email,
            "Household",
            &hash,
            distretto_domain::membership::Role::Person,
            &distretto_web::WebConfig::default().currency,
        )
        .await
        .unwrap();
        actors.push(distretto_web::auth::viewer::Actor {
            id,
            email,
            name: "Household".into(),
            role: distretto_domain::membership::Role::Person,
            membership_status: "member".into(),
        });
    }
    let mut tasks = Vec::new();
    for actor in actors {
        let state = app.state.clone();
        let honey = s.honey;
        tasks.push(tokio::spawn(async move {
            let line = distretto_web::purchasing::cycles::service::LineInput {
                product: honey,
                quantity_milli: 1_000,
                tolerance_milli: 0,
            };
            distretto_web::purchasing::cycles::service::set_lines(
                &state,
                &actor,
                cycle,
                "",
                None,
                &[line],
            )
            .await
            .unwrap()
        }));
    }
    let mut accepted = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap()[0].1 {
            distretto_web::purchasing::cycles::service::LineOutcome::Saved => accepted += 1,
            distretto_web::purchasing::cycles::service::LineOutcome::Refused(code, left) => {
                assert_eq!((code, left), ("out_of_stock", Some(0)));
                refused += 1;
            }
        }
    }
    assert_eq!((accepted, refused), (50, 150));
    assert_eq!(
        catalogue_store::product(&app.db, s.honey)
            .await
            .unwrap()
            .stock_milli,
        Some(0)
    );
    let lines = store::lines(&app.db, cycle).await.unwrap();
    assert_eq!(lines.len(), 50);
    assert_eq!(lines.iter().map(|l| l.quantity_milli).sum::<i64>(), 50_000);
    // A close whose plan the rules refuse writes nothing: the cycle stays open, its lines and
    // the stock as they were.
    assert!(
        !store::close(&app.db, cycle, distretto_store::now(), |_, _, _| None)
            .await
            .unwrap()
    );
    assert_eq!(store::cycle(&app.db, cycle).await.unwrap().status, "open");
    let kept = store::lines(&app.db, cycle).await.unwrap();
    assert_eq!(kept.len(), 50);
    assert!(kept.iter().all(|l| l.allocated_milli.is_none()));
    assert_eq!(
        catalogue_store::product(&app.db, s.honey)
            .await
            .unwrap()
            .stock_milli,
        Some(0)
    );
    // The close honours every accepted order.
    assert!(
        distretto_web::purchasing::cycles::service::close(&app.state, cycle)
            .await
            .unwrap()
    );
    assert!(
        store::lines(&app.db, cycle)
            .await
            .unwrap()
            .iter()
            .all(|l| l.allocated_milli == Some(1_000))
    );
    assert!(
        !distretto_web::purchasing::cycles::service::close(&app.state, cycle)
            .await
            .unwrap(),
        "a second close does nothing"
    );
}

on_both!(
    whole_journey,
    refusals_change_nothing,
    minimum_and_shortfall,
    storm_never_oversells
);
