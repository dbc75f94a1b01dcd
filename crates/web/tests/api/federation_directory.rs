//! Directory federation: members search the offers and needs of linked districts (each a real
//! server with its own database on loopback), with their origin, cached, served stale while a
//! district is stopped, never from unlinked or suspended districts; each district publishes
//! its organisations as Murmurations profiles, checked against the vendored schema, and a
//! paged index of them with their last change.

use crate::federation::{act, another, identity, links, propose};
use crate::harness::TestApp;
use crate::on_both;
use serde_json::{Value, json};

/// `organizations_schema-v1.0.0` with its fields in place (see the file's `$comment`).
const ORGANIZATIONS_SCHEMA: &str =
    include_str!("fixtures/murmurations_organizations_schema-v1.0.0.json");

/// A district of its own and its coordinator's token.
async fn district(like: &TestApp) -> (TestApp, String) {
    let app = another(like).await;
    let (_, coord) = app.coordinator().await;
    (app, coord)
}

/// `a` links with `b` and `b` approves; the link's id at `a`.
async fn link(a: &TestApp, coord_a: &str, b: &TestApp, coord_b: &str) -> String {
    let (s, v) = propose(a, coord_a, &identity(b).await).await;
    assert_eq!(s, 201, "{v}");
    let at_b = links(b, coord_b)
        .await
        .into_iter()
        .find(|l| l["url"] == a.base)
        .unwrap();
    let (s, v) = act(b, coord_b, at_b["id"].as_str().unwrap(), "approve").await;
    assert_eq!((s, v["status"].as_str()), (200, Some("active")), "{v}");
    let at_a = links(a, coord_a)
        .await
        .into_iter()
        .find(|l| l["url"] == b.base)
        .unwrap();
    assert_eq!(at_a["status"], "active");
    at_a["id"].as_str().unwrap().to_owned()
}

fn in_days(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

/// A member of `app` publishes an offer or a need; its id.
async fn publish(app: &TestApp, token: &str, side: &str, title: &str) -> String {
    let body = json!({
        "side": side, "kind": "good", "category": "repair_maintenance", "title": title,
        "description": "Da ritirare in bottega", "credit_minor": 1500, "locality": "Ivrea",
        "lat": 45.46, "lon": 7.87, "valid_until": in_days(30),
    });
    let (s, v) = app
        .post("/api/v1/market/listings", Some(token), &body)
        .await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

async fn federated(a: &TestApp, query: &str) -> Value {
    let (s, v) = a
        .get(&format!("/api/v1/federation/listings?{query}"), None)
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

/// Each district asked and how it answered: (url, freshness).
fn answers(v: &Value) -> Vec<(String, String)> {
    v["districts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let text = |k: &str| d[k].as_str().unwrap().to_owned();
            (text("url"), text("freshness"))
        })
        .collect()
}

/// The items' (id, origin url), sorted.
fn found(v: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let id = i["id"].as_str().unwrap().to_owned();
            (id, i["origin"]["url"].as_str().unwrap().to_owned())
        })
        .collect();
    out.sort();
    assert_eq!(v["total"].as_u64(), Some(out.len() as u64), "{v}");
    out
}

fn sorted(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    v.sort();
    v
}

/// A's members search the marketplaces of B and C (linked) at once: every result names its
/// district and its page there, prices name the origin's credit; a side filter is passed on;
/// answers are cached; C once suspended is no longer asked; D (never linked) and A's own
/// listings never appear; with B stopped its last answer is served, marked stale.
async fn members_see_the_offers_and_needs_of_linked_districts(a: TestApp) {
    let (_, coord_a) = a.coordinator().await;
    let (b, coord_b) = district(&a).await;
    let (c, coord_c) = district(&a).await;
    let (d, coord_d) = district(&a).await;
    link(&a, &coord_a, &b, &coord_b).await;
    let c_at_a = link(&a, &coord_a, &c, &coord_c).await;

    let (_, eva, _) = b.member(&coord_b, "eva@b.example").await;
    let b_offer = publish(&b, &eva, "offer", "Riparazione biciclette segale").await;
    let b_need = publish(&b, &eva, "need", "Cerco telaio bici segale").await;
    let (_, ugo, _) = c.member(&coord_c, "ugo@c.example").await;
    let c_offer = publish(&c, &ugo, "offer", "Biciclette riparate segale").await;
    let (_, ida, _) = d.member(&coord_d, "ida@d.example").await;
    publish(
        &d,
        &ida,
        "offer",
        "Bici segale di un distretto non collegato",
    )
    .await;
    let (_, ada, _) = a.member(&coord_a, "ada@a.example").await;
    publish(&a, &ada, "offer", "Bici segale di casa nostra").await;

    let v = federated(&a, "q=segale").await;
    let want = sorted(vec![
        (b_offer.clone(), b.base.clone()),
        (b_need.clone(), b.base.clone()),
        (c_offer.clone(), c.base.clone()),
    ]);
    assert_eq!(found(&v), want, "{v}");
    assert_eq!(
        sorted(answers(&v)),
        sorted(vec![
            (b.base.clone(), "fresh".into()),
            (c.base.clone(), "fresh".into())
        ])
    );
    let offer = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == b_offer.as_str())
        .unwrap();
    assert_eq!(offer["origin"]["name"], "Distretto Test");
    assert_eq!(offer["url"], format!("{}/market/{b_offer}", b.base));
    assert_eq!(offer["title"], "Riparazione biciclette segale");
    assert_eq!(offer["side"], "offer");
    assert_eq!(offer["credit_minor"], 1500);
    let (_, b_identity) = b.get("/api/v1/federation/district", None).await;
    assert_eq!(offer["credit_currency"], b_identity["currency"]);
    assert_eq!(offer["credit_scale"], b_identity["currency_scale"]);

    // Filters reach the other districts.
    let v = federated(&a, "q=segale&side=need").await;
    assert_eq!(found(&v), vec![(b_need.clone(), b.base.clone())], "{v}");
    // Asked again within five minutes: from the cache.
    let v = federated(&a, "q=segale").await;
    assert_eq!(found(&v), want);
    assert!(answers(&v).iter().all(|(_, f)| f == "cached"), "{v}");

    // C suspended: not asked, even with the cache expired.
    assert_eq!(act(&a, &coord_a, &c_at_a, "suspend").await.0, 200);
    a.state.federation_cache.expire();
    let v = federated(&a, "q=segale").await;
    assert_eq!(answers(&v), vec![(b.base.clone(), "fresh".into())], "{v}");
    assert!(found(&v).iter().all(|(_, origin)| *origin == b.base), "{v}");

    // B stops: its last answer is served, marked stale; a search it never answered finds
    // nothing there and says so.
    b.stop();
    a.state.federation_cache.expire();
    let v = federated(&a, "q=segale").await;
    assert_eq!(answers(&v), vec![(b.base.clone(), "stale".into())], "{v}");
    assert_eq!(
        found(&v),
        sorted(vec![(b_offer, b.base.clone()), (b_need, b.base.clone())])
    );
    let v = federated(&a, "q=telaio").await;
    assert_eq!(answers(&v), vec![(b.base.clone(), "unreachable".into())]);
    assert_eq!(v["total"], 0);
}

/// Bad searches are refused with the CONTRACT error before any district is asked, and the
/// new operations are in the OpenAPI document.
async fn bad_input_gets_the_contract_error(app: TestApp) {
    for (path, status, code) in [
        (
            "/api/v1/federation/listings?side=sideways",
            422,
            "market_unknown_side",
        ),
        (
            "/api/v1/federation/listings?category=nope",
            422,
            "market_unknown_category",
        ),
        (
            "/api/v1/federation/listings?kind=rocket",
            422,
            "market_unknown_kind",
        ),
        ("/api/v1/federation/listings?limit=10", 400, "invalid_query"),
        ("/api/v1/murmurations?limit=501", 422, "invalid_limit"),
        ("/api/v1/murmurations?limit=0", 422, "invalid_limit"),
        ("/api/v1/murmurations?limit=ten", 400, "invalid_query"),
        ("/api/v1/murmurations?offset=-1", 400, "invalid_query"),
        (
            "/api/v1/murmurations/organizations/not-an-id",
            404,
            "not_found",
        ),
    ] {
        let (s, v) = app.get(path, None).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (status, Some(code)),
            "{path}: {v}"
        );
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let (s, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(s, 200);
    let listings = &doc["paths"]["/api/v1/federation/listings"]["get"];
    let params: Vec<&str> = listings["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, vec!["q", "side", "kind", "category"]);
    let schemas = &doc["components"]["schemas"];
    // The listing's own fields come flattened from RemoteListing.
    let federated = schemas["FederatedListing"].to_string();
    for field in ["origin", "\"url\"", "RemoteListing"] {
        assert!(federated.contains(field), "FederatedListing: {field}");
    }
    for field in ["credit_currency", "credit_scale", "title", "side"] {
        assert!(
            schemas["RemoteListing"]["properties"][field].is_object(),
            "RemoteListing.{field}"
        );
    }
    assert!(schemas["Listing"]["properties"]["credit_currency"].is_object());
    assert!(schemas["ProfileLink"]["properties"]["last_updated"].is_object());
    assert!(doc["paths"]["/api/v1/murmurations"]["get"].is_object());
}

/// The checker: the JSON Schema keywords the fixture uses, and nothing else (an unknown
/// keyword fails rather than being skipped). Stricter than JSON Schema in one way: a key
/// outside `properties` is an error, since we publish only the schema's fields.
fn violations(schema: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
    let keywords = schema.as_object().unwrap();
    for (k, rule) in keywords {
        let ok = match k.as_str() {
            "$comment" => true,
            "type" => match rule.as_str().unwrap() {
                "object" => v.is_object(),
                "array" => v.is_array(),
                "string" => v.is_string(),
                "number" => v.is_number(),
                other => panic!("type {other}"),
            },
            "required" => rule
                .as_array()
                .unwrap()
                .iter()
                .all(|r| v.get(r.as_str().unwrap()).is_some()),
            "properties" => {
                let props = rule.as_object().unwrap();
                for (key, value) in v.as_object().into_iter().flatten() {
                    match props.get(key) {
                        Some(p) => violations(p, value, &format!("{at}.{key}"), out),
                        None => out.push(format!("{at}.{key}: not in the schema")),
                    }
                }
                true
            }
            "items" => {
                for (i, item) in v.as_array().into_iter().flatten().enumerate() {
                    violations(rule, item, &format!("{at}[{i}]"), out);
                }
                true
            }
            "enum" => rule.as_array().unwrap().contains(v),
            "minimum" => v.as_f64().is_none_or(|n| n >= rule.as_f64().unwrap()),
            "maximum" => v.as_f64().is_none_or(|n| n <= rule.as_f64().unwrap()),
            "minLength" => v
                .as_str()
                .is_none_or(|s| s.chars().count() as u64 >= rule.as_u64().unwrap()),
            "maxLength" => v
                .as_str()
                .is_none_or(|s| s.chars().count() as u64 <= rule.as_u64().unwrap()),
            "minItems" => v
                .as_array()
                .is_none_or(|a| a.len() as u64 >= rule.as_u64().unwrap()),
            "uniqueItems" => v.as_array().is_none_or(|a| {
                a.iter()
                    .enumerate()
                    .all(|(i, x)| !a.iter().skip(i + 1).any(|y| x == y))
            }),
            "pattern" => v.as_str().is_none_or(|s| match rule.as_str().unwrap() {
                "^https?://.*" => s.starts_with("http://") || s.starts_with("https://"),
                "^[A-Z]{2}$" => s.len() == 2 && s.chars().all(|c| c.is_ascii_uppercase()),
                other => panic!("pattern {other}"),
            }),
            other => panic!("keyword {other} is not checked"),
        };
        if !ok {
            out.push(format!("{at}: {k} {rule}"));
        }
    }
}

fn schema_errors(profile: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(ORGANIZATIONS_SCHEMA).unwrap();
    let mut out = Vec::new();
    violations(&schema, profile, "$", &mut out);
    out
}

/// The checker catches what the schema forbids (so a passing profile means something).
#[test]
fn the_schema_checker_catches_bad_profiles() {
    assert!(
        schema_errors(&json!({"linked_schemas": ["organizations_schema-v1.0.0"], "name": "X"}))
            .is_empty()
    );
    for bad in [
        json!({"name": "X"}),
        json!({"linked_schemas": [], "name": "X"}),
        json!({"linked_schemas": ["a"], "name": 3}),
        json!({"linked_schemas": ["a"], "name": "X", "geolocation": {"lat": 91.0, "lon": 0.0}}),
        json!({"linked_schemas": ["a"], "name": "X", "geolocation": {"lat": 1.0}}),
        json!({"linked_schemas": ["a"], "name": "X", "primary_url": "www.x.example"}),
        json!({"linked_schemas": ["a"], "name": "X", "tags": ["a", "a"]}),
        json!({"linked_schemas": ["a"], "name": "X", "country_iso_3166": "ita"}),
        json!({"linked_schemas": ["a"], "name": "X", "urls": [{"name": "site"}]}),
        json!({"linked_schemas": ["a"], "name": "X", "status": "closed"}),
        json!({"linked_schemas": ["a"], "name": "X", "workers_fte": 3}),
        json!({"linked_schemas": ["a"], "name": "X", "telephone": ""}),
    ] {
        assert!(!schema_errors(&bad).is_empty(), "{bad}");
    }
}

/// The index's `last_updated` of organisation `id`.
fn last_updated(index: &Value, id: &str) -> i64 {
    let items = index["items"].as_array().unwrap();
    let item = items.iter().find(|i| i["id"] == id).unwrap();
    item["last_updated"].as_i64().unwrap()
}

/// Every active organisation has a Murmurations profile at a stable URL that the vendored
/// schema accepts, saying only what its public profile says; pending and suspended ones have
/// none. The index lists them a page at a time with their last change, which moves when the
/// profile is edited.
async fn murmurations_profiles_and_their_index(app: TestApp) {
    let (_, coord) = app.coordinator().await;
    let place = ("Ivrea", "45.46", "7.87");
    let mut active = Vec::new();
    let mut admins = Vec::new();
    for (i, name) in ["Forno di Valle", "Orto Comune", "Ciclofficina Libera"]
        .iter()
        .enumerate()
    {
        let email = format!("admin{i}@orgs.example");
        let (org, token) = app
            .admitted_org_of(&coord, &email, name, "worker_coop", place)
            .await;
        active.push(org);
        admins.push((email, token));
    }
    let (s, v) = app
        .patch(
            &format!("/api/v1/organizations/{}", active[0]),
            Some(&admins[0].1),
            &json!({"website": "https://forno.example", "contact_email": "info@forno.example",
                "phone": "+39 0125 123456", "address": "Via Palestro 1", "postcode": "10015",
                "founded_year": 2019}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // A suspended organisation and a pending one.
    let (suspended, _) = app
        .admitted_org_of(&coord, "admin9@orgs.example", "Sospesa", "farm", place)
        .await;
    let (s, _) = app
        .post(
            &format!("/api/v1/organizations/{suspended}/status"),
            Some(&coord),
            &json!({"decision": "suspend", "reason": "Charter not respected"}),
        )
        .await;
    assert_eq!(s, 204);
    let (_, applicant) = app.person("new@orgs.example", "New").await;
    let (s, application) = app
        .post(
            "/api/v1/applications",
            Some(&applicant),
            &json!({"kind": "new_organization", "message": "Hello",
                "organization": {"name": "In attesa", "kind": "farm", "sector": "agriculture"}}),
        )
        .await;
    assert_eq!(s, 201, "{application}");
    let pending = application["organization_id"].as_str().unwrap().to_owned();

    // The index: every active organisation once, paged, with the CONTRACT list shape.
    let (s, all) = app.get("/api/v1/murmurations?limit=500", None).await;
    assert_eq!(s, 200, "{all}");
    assert_eq!(all["total"], 3, "{all}");
    let mut listed: Vec<String> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    let mut paged = Vec::new();
    for offset in [0, 2] {
        let (_, page) = app
            .get(
                &format!("/api/v1/murmurations?limit=2&offset={offset}"),
                None,
            )
            .await;
        assert_eq!(page["total"], 3);
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), if offset == 0 { 2 } else { 1 }, "{page}");
        paged.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
    }
    assert_eq!(paged, listed, "pages follow the index's order");
    listed.sort();
    let mut want = active.clone();
    want.sort();
    assert_eq!(listed, want, "only active organisations");

    for item in all["items"].as_array().unwrap() {
        let id = item["id"].as_str().unwrap();
        assert_eq!(
            item["profile_url"],
            format!("{}/api/v1/murmurations/organizations/{id}", app.base)
        );
        assert_eq!(
            item["linked_schemas"],
            json!(["organizations_schema-v1.0.0"])
        );
        let row = distretto_store::directory::get(&app.db, id.parse().unwrap())
            .await
            .unwrap();
        assert_eq!(item["last_updated"], row.updated_at.unix_timestamp());

        let path = item["profile_url"]
            .as_str()
            .unwrap()
            .strip_prefix(&app.base)
            .unwrap();
        let (s, profile) = app.get(path, None).await;
        assert_eq!(s, 200, "{profile}");
        assert_eq!(schema_errors(&profile), Vec::<String>::new(), "{profile}");
        // Only what the public profile shows.
        let (s, public) = app.get(&format!("/api/v1/organizations/{id}"), None).await;
        assert_eq!(s, 200);
        assert_eq!(profile["name"], public["name"]);
        assert_eq!(profile["description"], public["description"]);
        assert_eq!(profile["geolocation"]["lat"], public["lat"]);
        assert_eq!(profile["geolocation"]["lon"], public["lon"]);
        let text = profile.to_string();
        for (email, _) in &admins {
            assert!(!text.contains(email.as_str()), "an admin's e-mail: {text}");
        }
        assert!(!text.contains("Org Admin"), "a person's name: {text}");
    }
    let (_, forno) = app
        .get(
            &format!("/api/v1/murmurations/organizations/{}", active[0]),
            None,
        )
        .await;
    assert_eq!(forno["primary_url"], "https://forno.example");
    assert_eq!(forno["contact_details"]["email"], "info@forno.example");
    assert_eq!(forno["telephone"], "+39 0125 123456");
    assert_eq!(forno["full_address"], "Via Palestro 1, 10015 Ivrea");
    assert_eq!(forno["starts_at"], 1_546_300_800); // 1 January 2019, 00:00 UTC
    for hidden in [&suspended, &pending] {
        let (s, v) = app
            .get(
                &format!("/api/v1/murmurations/organizations/{hidden}"),
                None,
            )
            .await;
        assert_eq!((s, v["error"]["code"].as_str()), (404, Some("not_found")));
    }

    // An edit moves `last_updated` (seconds: wait for the next one).
    let before = last_updated(&all, &active[1]);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let (s, _) = app
        .patch(
            &format!("/api/v1/organizations/{}", active[1]),
            Some(&admins[1].1),
            &json!({"description": "Orti condivisi"}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, again) = app.get("/api/v1/murmurations?limit=500", None).await;
    let after = last_updated(&again, &active[1]);
    assert!(after > before, "{before} → {after}");
}

on_both!(
    members_see_the_offers_and_needs_of_linked_districts,
    bad_input_gets_the_contract_error,
    murmurations_profiles_and_their_index
);
