//! Marketplace: offers and needs (search, matching, take-up, references).

use crate::harness::{TestApp, page, signed_in, submit};
use crate::on_both;
use serde_json::{Value, json};

fn in_days(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

fn listing(side: &str, category: &str, title: &str, place: Option<(f64, f64)>) -> Value {
    let mut v = json!({
        "side": side, "kind": "good", "category": category, "title": title,
        "description": "", "locality": "Aosta", "valid_until": in_days(30),
    });
    if let Some((lat, lon)) = place {
        v["lat"] = json!(lat);
        v["lon"] = json!(lon);
    }
    v
}

async fn publish(app: &TestApp, token: &str, body: &Value) -> String {
    let (s, v) = app.post("/api/v1/market/listings", Some(token), body).await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

const AOSTA: (f64, f64) = (45.737, 7.320);
const SARRE: (f64, f64) = (45.725, 7.290);
const CHATILLON: (f64, f64) = (45.750, 7.615);
const TURIN: (f64, f64) = (45.070, 7.687);

/// Publishing, then finding by accented or unaccented words in fr/it/en, by filters, and
/// around a point nearest first (with the distance), paged with the total.
async fn publish_and_search(app: TestApp) {
    let (_, coord) = app.coordinator().await;
    let (_, anna, _) = app.member(&coord, "anna@market.example").await;
    let near = publish(
        &app,
        &anna,
        &json!({
            "side": "offer", "kind": "service", "category": "repair_maintenance",
            "title": "Réparation de vélos", "description": "Atelier coopératif, pièces d'occasion.",
            "credit_minor": 1500, "locality": "Sarre", "lat": SARRE.0, "lon": SARRE.1,
            "valid_until": in_days(60),
        }),
    )
    .await;
    let far = publish(&app, &anna, &json!({
        "side": "offer", "kind": "service", "category": "repair_maintenance",
        "title": "Riparazione biciclette e VELO cargo", "euro_cents": 2500,
        "locality": "Châtillon", "lat": CHATILLON.0, "lon": CHATILLON.1, "valid_until": in_days(60),
    })).await;
    let need = publish(
        &app,
        &anna,
        &listing(
            "need",
            "fresh_produce",
            "Cerco verdure di stagione",
            Some(AOSTA),
        ),
    )
    .await;

    // Accents and case in either direction.
    for q in [
        "reparation",
        "RÉPAR",
        "vélo",
        "velo",
        "cooperatif",
        "Pièces",
    ] {
        let (s, v) = app
            .get(&format!("/api/v1/market/listings?q={}", urlencode(q)), None)
            .await;
        assert_eq!(s, 200, "{v}");
        assert!(ids(&v).contains(&near), "{q}: {v}");
    }
    let (_, v) = app.get("/api/v1/market/listings?q=velo", None).await;
    assert_eq!(v["total"], 2, "{v}");
    let (_, v) = app.get("/api/v1/market/listings?q=citta", None).await;
    assert_eq!(v["total"], 0);
    // Filters.
    let (_, v) = app.get("/api/v1/market/listings?side=need", None).await;
    assert_eq!(ids(&v), vec![need.clone()]);
    let (_, v) = app
        .get(
            "/api/v1/market/listings?category=repair_maintenance&kind=service",
            None,
        )
        .await;
    assert_eq!(v["total"], 2);
    // Around Aosta: Sarre (3 km) before Châtillon (23 km); 10 km leaves Châtillon out.
    let (_, v) = app
        .get(
            &format!(
                "/api/v1/market/listings?side=offer&lat={}&lon={}&radius_km=40",
                AOSTA.0, AOSTA.1
            ),
            None,
        )
        .await;
    assert_eq!(ids(&v), vec![near.clone(), far.clone()], "{v}");
    let d = v["items"][0]["distance_km"].as_f64().unwrap();
    assert!((1.0..5.0).contains(&d), "{d}");
    let (_, v) = app
        .get(
            &format!(
                "/api/v1/market/listings?side=offer&lat={}&lon={}&radius_km=10",
                AOSTA.0, AOSTA.1
            ),
            None,
        )
        .await;
    assert_eq!(ids(&v), vec![near.clone()]);
    // Words near a point (words and grid cells intersected in the full-text index): both bike
    // repairers within 40 km, nearest first, only Sarre within 10 km, none of them for a word
    // they lack; the second page keeps the total, a page past the end counts them still.
    for (radius_km, expected) in [
        (40, vec![near.clone(), far.clone()]),
        (10, vec![near.clone()]),
    ] {
        let (_, v) = app
            .get(
                &format!(
                    "/api/v1/market/listings?q=VELO&lat={}&lon={}&radius_km={radius_km}",
                    AOSTA.0, AOSTA.1
                ),
                None,
            )
            .await;
        assert_eq!(ids(&v), expected, "{radius_km} km: {v}");
        assert_eq!(v["total"], expected.len(), "{v}");
    }
    let (_, v) = app
        .get(
            &format!(
                "/api/v1/market/listings?q=verdure&side=offer&lat={}&lon={}&radius_km=40",
                AOSTA.0, AOSTA.1
            ),
            None,
        )
        .await;
    assert_eq!(v["total"], 0, "{v}");
    let (_, v) = app
        .get(
            &format!(
                "/api/v1/market/listings?q=velo&lat={}&lon={}&radius_km=40&limit=1&offset=1",
                AOSTA.0, AOSTA.1
            ),
            None,
        )
        .await;
    assert_eq!(
        (ids(&v), v["total"].as_i64()),
        (vec![far.clone()], Some(2)),
        "{v}"
    );
    let (_, v) = app
        .get("/api/v1/market/listings?q=velo&limit=5&offset=10", None)
        .await;
    assert_eq!((ids(&v).len(), v["total"].as_i64()), (0, Some(2)), "{v}");
    // Newest first without a point; paging keeps the total.
    let (_, v) = app.get("/api/v1/market/listings?limit=1", None).await;
    assert_eq!(ids(&v), vec![need.clone()]);
    assert_eq!(v["total"], 3);
    let (_, v) = app
        .get("/api/v1/market/listings?limit=1&offset=2", None)
        .await;
    assert_eq!(ids(&v), vec![near.clone()]);
    // One listing, with its classification.
    let (s, v) = app
        .get(&format!("/api/v1/market/listings/{near}"), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["nace"], "95.2");
    assert_eq!(v["credit_minor"], 1500);
    assert_eq!(v["gift"], false);
    assert_eq!(v["owner"]["kind"], "person");
    // Murmurations.
    let (s, v) = app.get("/api/v1/market/murmurations", None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["total"], 3);
    let wants: Vec<&Value> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["exchange_type"] == "want")
        .collect();
    assert_eq!(wants.len(), 1);
    assert_eq!(wants[0]["linked_schemas"][0], "offers_wants_schema-v0.1.0");
    assert_eq!(
        wants[0]["details_url"],
        format!("{}/market/{need}", app.base)
    );
    // Bad queries.
    let (s, v) = app
        .get("/api/v1/market/listings?category=vegetables", None)
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("market_unknown_category"))
    );
    let (s, v) = app
        .get("/api/v1/market/listings?lat=45&radius_km=5", None)
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("market_bad_position"))
    );
    let (s, _) = app.get("/api/v1/market/listings?limit=501", None).await;
    assert_eq!(s, 422);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Matches of a need on hand-built cases: same category near first, then unlocated, then a
/// related category, then a shared word; unrelated and far listings are left out. Owners of
/// matched listings are notified once per pair.
async fn matching_ranks_and_notifies_once(app: TestApp) {
    let (_, coord) = app.coordinator().await;
    let (bea_id, bea, _) = app.member(&coord, "bea@market.example").await;
    let (_, carl, _) = app.member(&coord, "carl@market.example").await;
    let near = publish(
        &app,
        &bea,
        &listing("offer", "fresh_produce", "Patate", Some(SARRE)),
    )
    .await;
    let unlocated = publish(
        &app,
        &bea,
        &listing("offer", "fresh_produce", "Verdure di stagione", None),
    )
    .await;
    let medium = publish(
        &app,
        &bea,
        &listing(
            "offer",
            "fresh_produce",
            "Verdure dell'orto",
            Some(CHATILLON),
        ),
    )
    .await;
    let related = publish(
        &app,
        &bea,
        &listing("offer", "livestock_dairy", "Formaggio", Some(SARRE)),
    )
    .await;
    let word = publish(
        &app,
        &bea,
        &listing("offer", "bakery_pasta", "Pane con verdure", Some(SARRE)),
    )
    .await;
    let _unrelated = publish(
        &app,
        &bea,
        &listing("offer", "digital_it", "Siti web", Some(SARRE)),
    )
    .await;
    let _far = publish(
        &app,
        &bea,
        &listing("offer", "fresh_produce", "Verdure", Some(TURIN)),
    )
    .await;
    let _other_need = publish(
        &app,
        &bea,
        &listing("need", "fresh_produce", "Verdure", Some(AOSTA)),
    )
    .await;
    let before = app.count("notifications").await;
    let need = publish(
        &app,
        &carl,
        &listing(
            "need",
            "fresh_produce",
            "Cerco VERDURE di stagione",
            Some(AOSTA),
        ),
    )
    .await;

    let (s, v) = app
        .get(&format!("/api/v1/market/listings/{need}/matches"), None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        ids(&v),
        vec![
            near.clone(),
            unlocated.clone(),
            medium.clone(),
            related.clone(),
            word.clone()
        ],
        "{v}"
    );
    assert_eq!(v["items"][0]["score"], 130);
    assert!(v["items"][1].get("distance_km").is_none());
    // Bea owns every match: one notification for her, five notices recorded.
    assert_eq!(app.count("notifications").await, before + 1);
    assert_eq!(app.count("market_match_notices").await, 5);
    let notes = distretto_store::notifications::of_person(&app.db, bea_id.parse().unwrap(), 10)
        .await
        .unwrap();
    assert_eq!(notes[0].kind, "market_match");
    assert_eq!(notes[0].subject_id.to_string(), need);
    // Her notifications page names the new need and links to it, in her language.
    let bea_pages = signed_in(&app, "bea@market.example").await;
    let (s, html) = page(&bea_pages, &app, "/notifications", "it").await;
    assert_eq!(s, 200);
    assert!(html.contains(&format!("href=\"/market/{need}\"")), "{html}");
    assert!(html.contains("Cerco VERDURE di stagione"), "{html}");
    assert!(html.contains("abbinamento"), "{html}");
    // The reverse: the offer's matches include the need.
    let (_, v) = app
        .get(&format!("/api/v1/market/listings/{near}/matches"), None)
        .await;
    assert!(ids(&v).contains(&need));
    // Publishing another matching listing tells only about the new pairs.
    let again = publish(
        &app,
        &carl,
        &listing("need", "fresh_produce", "Patate", Some(AOSTA)),
    )
    .await;
    assert!(app.count("market_match_notices").await > 5);
    let (_, v) = app
        .get(&format!("/api/v1/market/listings/{again}/matches"), None)
        .await;
    assert_eq!(v["items"][0]["id"], near);
}

/// Taking up: a credit offer makes a payment request from its owner to the taker, a euro need
/// an invoice from the taker to its owner, a gift records the take-up only; references once
/// per side; nobody takes up their own or a taken listing.
async fn take_up_and_references(app: TestApp) {
    let (_, coord) = app.coordinator().await;
    let (_, dora, dora_acc) = app.member(&coord, "dora@market.example").await;
    let (_, ezio, ezio_acc) = app.member(&coord, "ezio@market.example").await;
    let (_, _fede, _) = app.member(&coord, "fede@market.example").await;
    let fede = app.token("fede@market.example").await;
    let mut offer = listing("offer", "tools_equipment", "Prestito trapano", None);
    offer["credit_minor"] = json!(1200);
    let offer = publish(&app, &dora, &offer).await;
    let mut need = listing("need", "digital_it", "Sito web per il forno", None);
    need["euro_cents"] = json!(30000);
    let need = publish(&app, &dora, &need).await;
    let gift = publish(
        &app,
        &dora,
        &listing("offer", "second_hand_reuse", "Sedie usate", None),
    )
    .await;

    // Own listing.
    let (s, v) = app
        .post(
            &format!("/api/v1/market/listings/{offer}/takeup"),
            Some(&dora),
            &json!({}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("market_own_listing"))
    );
    // Credit offer → payment request: Dora (payee) asks Ezio (payer).
    let requests = app.count("payment_requests").await;
    let (s, t) = app
        .post(
            &format!("/api/v1/market/listings/{offer}/takeup"),
            Some(&ezio),
            &json!({}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(app.count("payment_requests").await, requests + 1);
    let r = distretto_store::ledger::requests::get(
        &app.db,
        t["payment_request"].as_str().unwrap().parse().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(r.payee.to_string(), dora_acc);
    assert_eq!(r.payer.map(|p| p.to_string()), Some(ezio_acc.clone()));
    assert_eq!(r.amount_minor, 1200);
    assert!(t["invoice"].is_null());
    // Taken: nobody else takes it, and it is no longer listed.
    let (s, v) = app
        .post(
            &format!("/api/v1/market/listings/{offer}/takeup"),
            Some(&fede),
            &json!({}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("market_not_open"))
    );
    let (_, v) = app.get("/api/v1/market/listings?q=trapano", None).await;
    assert_eq!(v["total"], 0);
    // Euro need → invoice: Ezio (provider) invoices Dora.
    let (s, t2) = app
        .post(
            &format!("/api/v1/market/listings/{need}/takeup"),
            Some(&ezio),
            &json!({}),
        )
        .await;
    assert_eq!(s, 201, "{t2}");
    let inv = distretto_store::ledger::invoices::get(
        &app.db,
        t2["invoice"].as_str().unwrap().parse().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        (inv.creditor.to_string(), inv.debtor.to_string()),
        (ezio_acc.clone(), dora_acc.clone())
    );
    assert_eq!((inv.currency.as_str(), inv.amount_minor), ("EUR", 30000));
    // Gift: recorded, nothing asked of the ledger.
    let (requests, invoices) = (
        app.count("payment_requests").await,
        app.count("invoices").await,
    );
    let (s, t3) = app
        .post(
            &format!("/api/v1/market/listings/{gift}/takeup"),
            Some(&fede),
            &json!({}),
        )
        .await;
    assert_eq!(s, 201, "{t3}");
    assert!(t3["payment_request"].is_null() && t3["invoice"].is_null());
    assert_eq!(
        (
            app.count("payment_requests").await,
            app.count("invoices").await
        ),
        (requests, invoices)
    );

    // References: once per side, only the two sides.
    let path = format!("/api/v1/market/listings/{offer}/references");
    let (s, v) = app
        .post(
            &path,
            Some(&ezio),
            &json!({"rating": "positive", "text": "Trapano perfetto, grazie!"}),
        )
        .await;
    assert_eq!((s, v["side"].as_str()), (201, Some("taker")), "{v}");
    let (s, v) = app
        .post(
            &path,
            Some(&ezio),
            &json!({"rating": "negative", "text": "again"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("market_reference_exists"))
    );
    let (s, v) = app
        .post(
            &path,
            Some(&dora),
            &json!({"rating": "neutral", "text": ""}),
        )
        .await;
    assert_eq!((s, v["side"].as_str()), (201, Some("owner")), "{v}");
    let (s, _) = app
        .post(
            &path,
            Some(&fede),
            &json!({"rating": "positive", "text": "x"}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, v) = app
        .post(
            &format!("/api/v1/market/listings/{gift}/references"),
            Some(&fede),
            &json!({"rating": "great"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("market_bad_rating"))
    );
    assert_eq!(app.count("market_references").await, 2);
}

/// Bad input and unauthorised acts answer a stable code and write nothing.
async fn refusals_write_nothing(app: TestApp) {
    let (_, coord) = app.coordinator().await;
    let (_, gino, _) = app.member(&coord, "gino@market.example").await;
    let (_, hana, _) = app.member(&coord, "hana@market.example").await;
    let (org, org_admin) = app
        .admitted_org(&coord, "ivo@farm.example", "Cascina Ivo")
        .await;
    let (_, visitor) = app.person("visitor@market.example", "Visitor").await;
    let good = listing("offer", "fresh_produce", "Mele renette", Some(AOSTA));
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"valid_until": in_days(-1)}),
            422,
            "market_valid_until_past",
        ),
        (
            json!({"valid_until": in_days(400)}),
            422,
            "market_valid_until_too_far",
        ),
        (
            json!({"available_from": in_days(10), "valid_until": in_days(5)}),
            422,
            "market_valid_until_before_start",
        ),
        (
            json!({"credit_minor": -100}),
            422,
            "market_price_not_positive",
        ),
        (json!({"euro_cents": 0}), 422, "market_price_not_positive"),
        (
            json!({"credit_minor": i64::MAX}),
            422,
            "market_price_too_large",
        ),
        (
            json!({"category": "vegetables"}),
            422,
            "market_unknown_category",
        ),
        (json!({"side": "sell"}), 422, "market_unknown_side"),
        (json!({"title": "x"}), 422, "market_title_length"),
        (json!({"lat": 120.0}), 422, "market_bad_position"),
        (json!({"valid_until": "31/12/2026"}), 422, "market_bad_date"),
        (json!({"organization": org}), 403, "market_not_org_admin"),
    ];
    for (patch, status, code) in cases {
        let mut body = good.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, v) = app
            .post("/api/v1/market/listings", Some(&gino), &body)
            .await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
    }
    let (s, _) = app.post("/api/v1/market/listings", None, &good).await;
    assert_eq!(s, 401);
    let (s, v) = app
        .post("/api/v1/market/listings", Some(&visitor), &good)
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("market_not_a_member"))
    );
    assert_eq!(app.count("market_listings").await, 0);

    // The organisation's admin publishes for it; a member cannot withdraw it, nor anonymously.
    let mut for_org = good.clone();
    for_org["organization"] = json!(org);
    let id = publish(&app, &org_admin, &for_org).await;
    let (_, v) = app
        .get(&format!("/api/v1/market/listings/{id}"), None)
        .await;
    assert_eq!(
        (v["owner"]["kind"].as_str(), v["owner"]["id"].as_str()),
        (Some("organization"), Some(org.as_str()))
    );
    let path = format!("/api/v1/market/listings/{id}/withdraw");
    let (s, _) = app.post(&path, None, &json!({})).await;
    assert_eq!(s, 401);
    let (s, _) = app.post(&path, Some(&hana), &json!({})).await;
    assert_eq!(s, 403);
    let (_, v) = app
        .get(&format!("/api/v1/market/listings/{id}"), None)
        .await;
    assert_eq!(v["status"], "open");
    let (s, v) = app.post(&path, Some(&org_admin), &json!({})).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("withdrawn")));
    let (s, v) = app.post(&path, Some(&org_admin), &json!({})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("market_not_open"))
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/market/listings/{id}/takeup"),
            Some(&hana),
            &json!({}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("market_not_open"))
    );
    let (s, _) = app.get("/api/v1/market/listings/not-a-uuid", None).await;
    assert_eq!(s, 404);
    assert_eq!(app.count("market_takeups").await, 0);
}

/// Export → import into a fresh database → export gives the same rows.
async fn export_import_round_trip(app: TestApp) {
    let (_, coord) = app.coordinator().await;
    let (_, lia, _) = app.member(&coord, "lia@market.example").await;
    let (_, max, _) = app.member(&coord, "max@market.example").await;
    let mut priced = listing("offer", "bakery_pasta", "Pane di segale", Some(AOSTA));
    priced["credit_minor"] = json!(450);
    priced["euro_cents"] = json!(300);
    priced["available_from"] = json!(in_days(1));
    let offer = publish(&app, &lia, &priced).await;
    publish(
        &app,
        &max,
        &listing("need", "bakery_pasta", "Pane", Some(SARRE)),
    )
    .await;
    let (s, _) = app
        .post(
            &format!("/api/v1/market/listings/{offer}/takeup"),
            Some(&max),
            &json!({}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = app
        .post(
            &format!("/api/v1/market/listings/{offer}/references"),
            Some(&max),
            &json!({"rating": "positive", "text": "Buono"}),
        )
        .await;
    assert_eq!(s, 201);
    let data = distretto_store::market::listings::export(&app.db)
        .await
        .unwrap();
    assert_eq!(
        (
            data.listings.len(),
            data.takeups.len(),
            data.references.len()
        ),
        (2, 1, 1)
    );
    assert!(!data.match_notices.is_empty());

    // A fresh database of the same backend holding what the market refers to.
    let other = crate::harness::spawn(if app.db.backend() == "sqlite" {
        crate::harness::Backend::Sqlite
    } else {
        crate::harness::Backend::Postgres
    })
    .await;
    // The district document carries the market: export → import → export is the same.
    let whole = distretto_store::export::export(&app.db).await.unwrap();
    assert_eq!(whole.market_listings, data);
    distretto_store::export::import(&other.db, &whole)
        .await
        .unwrap();
    let again = distretto_store::market::listings::export(&other.db)
        .await
        .unwrap();
    assert_eq!(again, data);
    assert_eq!(
        distretto_store::export::export(&other.db).await.unwrap(),
        whole
    );
    let json_a = serde_json::to_string(&data).unwrap();
    let back: distretto_store::market::listings::ListingsData =
        serde_json::from_str(&json_a).unwrap();
    assert_eq!(back, data);
    // The imported listings are searchable.
    let (_, v) = other.get("/api/v1/market/listings?q=segale", None).await;
    assert_eq!(v["total"], 0, "taken up: not listed");
    let (_, v) = other
        .get("/api/v1/market/listings?q=pane&side=need", None)
        .await;
    assert_eq!(v["total"], 1, "{v}");
}

/// In a busy category, matching reads the nearest candidates first: 2,100 offers of the
/// need's category 40 km south (more than matching reads of one kind, and first in the
/// index's latitude order) do not hide the one 2 km away, which shares no word with the need.
async fn a_busy_category_yields_its_nearest_offers(app: TestApp) {
    use distretto_store::market::listings::{ListingRow, insert_listings};
    let (_, coord) = app.coordinator().await;
    let (bea_id, bea, _) = app.member(&coord, "bea@market.example").await;
    let (_, carl, _) = app.member(&coord, "carl@market.example").await;
    let bea_id: uuid::Uuid = bea_id.parse().unwrap();
    let now = time::OffsetDateTime::now_utc();
    let far: Vec<ListingRow> = (0..2_100)
        .map(|i| ListingRow {
            id: uuid::Uuid::now_v7(),
            side: "offer".into(),
            kind: "good".into(),
            category: "fresh_produce".into(),
            title: format!("Cassetta {i}"),
            description: String::new(),
            credit_minor: None,
            euro_cents: None,
            locality: "Ivrea".into(),
            lat: Some(AOSTA.0 - 0.36 + f64::from(i % 50) * 0.0001),
            lon: Some(AOSTA.1 + f64::from(i / 50) * 0.0001),
            available_from: None,
            valid_until: now.date() + time::Duration::days(30),
            owner_person_id: Some(bea_id),
            owner_organization_id: None,
            author_id: bea_id,
            status: "open".into(),
            created_at: now,
            updated_at: now,
        })
        .collect();
    insert_listings(&app.db, &far).await.unwrap();
    let near = publish(
        &app,
        &bea,
        &listing("offer", "fresh_produce", "Patate", Some(SARRE)),
    )
    .await;
    let need = publish(
        &app,
        &carl,
        &listing("need", "fresh_produce", "Cerco verdure", Some(AOSTA)),
    )
    .await;
    let (s, v) = app
        .get(&format!("/api/v1/market/listings/{need}/matches"), None)
        .await;
    assert_eq!(s, 200, "{v}");
    let found = ids(&v);
    assert_eq!(found.len(), 20, "{v}");
    assert_eq!(found[0], near, "{v}");
    // The rest are the far offers, nearest first.
    let km: Vec<f64> = v["items"].as_array().unwrap()[1..]
        .iter()
        .map(|i| i["distance_km"].as_f64().unwrap())
        .collect();
    assert!(km.iter().all(|d| (39.0..41.0).contains(d)), "{km:?}");
    assert!(km.windows(2).all(|w| w[0] <= w[1]), "{km:?}");
}

on_both!(
    publish_and_search,
    a_busy_category_yields_its_nearest_offers,
    matching_ranks_and_notifies_once,
    take_up_and_references,
    refusals_write_nothing,
    export_import_round_trip
);

/// The pages: browse (public), publish with a form (errors in the user's language, nothing
/// written), detail with matches, take up, mine, and the coordinators' unmet needs.
async fn pages_journey(app: TestApp) {
    let (_, coord) = app.coordinator().await;
    app.member(&coord, "nora@market.example").await;
    app.member(&coord, "otto@market.example").await;
    let nora = signed_in(&app, "nora@market.example").await;
    let fields = [
        ("side", "offer"),
        ("kind", "good"),
        ("category", "fresh_produce"),
        ("title", "Confiture d'abricots maison"),
        ("description", "Pots de 300 g"),
        ("credit", "4,50"),
        ("euro", ""),
        ("locality", "Aoste"),
        ("lat", "45.737"),
        ("lon", "7.320"),
        ("available_from", ""),
        ("owner", "self"),
    ];
    let mut bad: Vec<(&str, &str)> = fields.to_vec();
    bad.push(("valid_until", "2020-01-01"));
    let (s, _, body) = submit(&nora, &app, "/market/new", "/market/new", "fr", &bad).await;
    assert_eq!(s, 422);
    assert!(body.contains("passée"), "{body}");
    let (s, _, body) = submit(&nora, &app, "/market/new", "/market/new", "it", &bad).await;
    assert_eq!(s, 422);
    assert!(body.contains("passata"), "{body}");
    assert_eq!(app.count("market_listings").await, 0);
    let until = in_days(20);
    let mut ok: Vec<(&str, &str)> = fields.to_vec();
    ok.push(("valid_until", until.as_str()));
    let (s, location, _) = submit(&nora, &app, "/market/new", "/market/new", "fr", &ok).await;
    assert_eq!(s, 303, "{location}");
    assert!(location.starts_with("/market/"));
    let id = location
        .trim_start_matches("/market/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let row = distretto_store::market::listings::get(&app.db, id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(row.credit_minor, Some(450));

    // Public browse finds it by an unaccented word.
    let anon = crate::harness::browser();
    let (s, body) = page(&anon, &app, "/market?q=abricot", "en").await;
    assert_eq!(s, 200);
    assert!(
        body.contains("abricots maison") && body.contains("1 listing"),
        "{body}"
    );
    let (s, body) = page(&anon, &app, &format!("/market/{id}"), "it").await;
    assert_eq!(s, 200);
    assert!(body.contains("Offerta"), "{body}");
    let (s, _) = page(&anon, &app, "/market/new", "en").await;
    assert!(s == 303 || s == 401, "{s}");

    // Otto takes it up from the page: a payment request waits for him.
    let otto = signed_in(&app, "otto@market.example").await;
    let (s, location, _) = submit(
        &otto,
        &app,
        &format!("/market/{id}"),
        &format!("/market/{id}/takeup"),
        "en",
        &[],
    )
    .await;
    assert_eq!(s, 303, "{location}");
    assert_eq!(app.count("market_takeups").await, 1);
    let (s, location, _) = submit(
        &otto,
        &app,
        &format!("/market/{id}"),
        &format!("/market/{id}/reference"),
        "en",
        &[("rating", "positive"), ("text", "Délicieuse")],
    )
    .await;
    assert_eq!(s, 303, "{location}");
    let (_, body) = page(&otto, &app, &format!("/market/{id}"), "en").await;
    assert!(body.contains("Délicieuse"), "{body}");

    // Mine, and the coordinators' page.
    let (s, body) = page(&nora, &app, "/market/mine", "en").await;
    assert_eq!(s, 200);
    assert!(body.contains("abricots"));
    let (s, _) = page(&nora, &app, "/coordination/market", "en").await;
    assert_eq!(s, 403);
    let coordinator = signed_in(&app, "coord@test.example").await;
    let (_, body_before) = page(&coordinator, &app, "/coordination/market", "en").await;
    submit(
        &nora,
        &app,
        "/market/new",
        "/market/new",
        "en",
        &[
            ("side", "need"),
            ("kind", "service"),
            ("category", "legal_advice"),
            ("title", "Statuts de coopérative"),
            ("description", ""),
            ("credit", ""),
            ("euro", ""),
            ("locality", ""),
            ("lat", ""),
            ("lon", ""),
            ("available_from", ""),
            ("owner", "self"),
            ("valid_until", until.as_str()),
        ],
    )
    .await;
    let (s, body) = page(&coordinator, &app, "/coordination/market", "en").await;
    assert_eq!(s, 200);
    assert!(!body_before.contains("Legal advice"));
    assert!(body.contains("Legal advice"), "{body}");
}

on_both!(pages_journey);
