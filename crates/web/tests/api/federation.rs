//! Federation: two (and more) districts, each a real server with its own database on loopback,
//! link by exchanging addresses and keys, approve, suspend, resume and end; the signed inbox
//! refuses unsigned, expired, replayed, tampered and unknown-key messages and changes nothing.

use crate::harness::{Backend, TestApp, spawn};
use crate::on_both;
use distretto_domain::federation::signature;
use serde_json::{Value, json};

pub(crate) async fn another(app: &TestApp) -> TestApp {
    spawn(if app.db.backend() == "sqlite" {
        Backend::Sqlite
    } else {
        Backend::Postgres
    })
    .await
}

/// The district's address and first key, as its coordinator would hand them over.
pub(crate) async fn identity(app: &TestApp) -> (String, String, String) {
    let (s, v) = app.get("/api/v1/federation/district", None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["url"], app.base);
    assert_eq!(v["keys"][0]["algorithm"], "ed25519");
    (
        v["url"].as_str().unwrap().to_owned(),
        v["keys"][0]["keyid"].as_str().unwrap().to_owned(),
        v["keys"][0]["public_key"].as_str().unwrap().to_owned(),
    )
}

/// The district's links, as its coordinator sees them.
pub(crate) async fn links(app: &TestApp, coord: &str) -> Vec<Value> {
    let (s, v) = app.get("/api/v1/federation/links", Some(coord)).await;
    assert_eq!(s, 200, "{v}");
    v["items"].as_array().unwrap().clone()
}

pub(crate) async fn propose(
    app: &TestApp,
    coord: &str,
    to: &(String, String, String),
) -> (u16, Value) {
    app.post(
        "/api/v1/federation/links",
        Some(coord),
        &json!({"url": to.0, "keyid": to.1, "public_key": to.2}),
    )
    .await
}

pub(crate) async fn act(app: &TestApp, coord: &str, id: &str, action: &str) -> (u16, Value) {
    app.post(
        &format!("/api/v1/federation/links/{id}/{action}"),
        Some(coord),
        &json!({"note": format!("{action} by assembly decision")}),
    )
    .await
}

/// A links with B, B's coordinator approves after comparing the key; then suspend (A), resume
/// (B), end (A): each side follows the other. Members may not touch links.
async fn two_districts_link_and_follow_each_other(a: TestApp) {
    let b = another(&a).await;
    let (_, coord_a) = a.coordinator().await;
    let (_, coord_b) = b.coordinator().await;
    let (id_a, id_b) = (identity(&a).await, identity(&b).await);

    let (s, v) = propose(&a, &coord_a, &id_b).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (v["status"].as_str(), v["delivered"].as_bool()),
        (Some("proposed"), Some(true)),
        "{v}"
    );
    let at_a = v["id"].as_str().unwrap().to_owned();
    // B sees A's request with A's key, to compare with what A's coordinator gave them.
    let at_b = links(&b, &coord_b).await;
    assert_eq!(at_b.len(), 1);
    assert_eq!(at_b[0]["status"], "requested");
    assert_eq!(at_b[0]["url"], id_a.0);
    assert_eq!(at_b[0]["name"], "Distretto Test");
    assert_eq!(at_b[0]["keys"][0]["public_key"], id_a.2);
    let at_b = at_b[0]["id"].as_str().unwrap().to_owned();
    // Proposing again, or a member approving, changes nothing.
    assert_eq!(
        propose(&a, &coord_a, &id_b).await.1["error"]["code"],
        "federation_link_exists"
    );
    let (_, member, _) = b.member(&coord_b, "mario@b.example").await;
    assert_eq!(act(&b, &member, &at_b, "approve").await.0, 403);
    assert_eq!(
        b.get("/api/v1/federation/links", Some(&member)).await.0,
        403
    );

    let (s, v) = act(&b, &coord_b, &at_b, "approve").await;
    assert_eq!(
        (s, v["status"].as_str(), v["delivered"].as_bool()),
        (200, Some("active"), Some(true)),
        "{v}"
    );
    // Both sides opened the other's mirror account when the link became active: reading the
    // links only reads it (twice, the same account), and writes nothing.
    for (app, coord, id) in [(&a, &coord_a, &at_a), (&b, &coord_b, &at_b)] {
        let link = uuid::Uuid::parse_str(id).unwrap();
        let currency = &app.state.config.currency.code;
        let opened = distretto_store::federation::payments::mirror(&app.db, link, currency)
            .await
            .unwrap()
            .expect("the mirror is opened with the link");
        let mirrors = || distretto_store::accounts::of_owner(&app.db, "federation", link);
        assert_eq!(mirrors().await.unwrap().len(), 1);
        for _ in 0..2 {
            let listed = links(app, coord).await;
            assert_eq!(listed[0]["status"], "active");
            assert_eq!(listed[0]["mirror"]["account"], opened.id.to_string());
        }
        assert_eq!(mirrors().await.unwrap(), vec![opened]);
    }
    assert_eq!(
        act(&b, &coord_b, &at_b, "approve").await.1["error"]["code"],
        "federation_link_not_requested"
    );

    let step = |app: &'static str, action: &'static str, want: &'static str| (app, action, want);
    let steps = [
        step("a", "suspend", "suspended"),
        step("a", "resume", "active"),
        step("b", "suspend", "suspended"),
        step("b", "resume", "active"),
        step("a", "suspend", "suspended"),
    ];
    for (who, action, want) in steps {
        let (app, coord, id) = if who == "a" {
            (&a, &coord_a, &at_a)
        } else {
            (&b, &coord_b, &at_b)
        };
        let (s, v) = act(app, coord, id, action).await;
        assert_eq!(
            (s, v["status"].as_str()),
            (200, Some(want)),
            "{who} {action}: {v}"
        );
        assert_eq!(
            links(&a, &coord_a).await[0]["status"],
            want,
            "{action} at A"
        );
        assert_eq!(
            links(&b, &coord_b).await[0]["status"],
            want,
            "{action} at B"
        );
    }
    // A suspension is lifted only by the side that made it: not by B's coordinator, and not
    // by a (correctly signed) message from B.
    let (s, v) = act(&b, &coord_b, &at_b, "resume").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("federation_suspended_by_peer")),
        "{v}"
    );
    let b_key = distretto_store::federation::current_key(&b.db)
        .await
        .unwrap()
        .unwrap();
    let as_b = Stranger {
        url: b.base.clone(),
        keyid: b_key.keyid.clone(),
        key: signature::signing_key(b_key.secret_seed.clone().try_into().unwrap()),
    };
    let resume = json!({"type": "link_status", "url": b.base, "status": "active", "note": ""});
    let (s, v) = post_inbox(&a, &as_b, &resume, 0, "resume-1", false).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("suspended")), "{v}");
    assert_eq!(links(&a, &coord_a).await[0]["status"], "suspended");
    assert_eq!(links(&b, &coord_b).await[0]["status"], "suspended");
    let (s, v) = act(&a, &coord_a, &at_a, "end").await;
    assert_eq!((s, v["status"].as_str()), (200, Some("ended")), "{v}");
    assert_eq!(links(&b, &coord_b).await[0]["status"], "ended");
    let (s, v) = act(&b, &coord_b, &at_b, "suspend").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("federation_link_status"))
    );

    // The history names who did what: A's coordinator, or B by a signed message.
    let link_a: uuid::Uuid = at_a.parse().unwrap();
    let events = distretto_store::federation::events_of(&a.db, link_a)
        .await
        .unwrap();
    let seen: Vec<(&str, bool)> = events
        .iter()
        .map(|e| (e.status.as_str(), e.by_peer))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("proposed", false),
            ("active", true),
            ("suspended", false),
            ("active", false),
            ("suspended", true),
            ("active", true),
            ("suspended", false),
            ("ended", false)
        ]
    );
    assert_eq!(events[2].note, "suspend by assembly decision");

    // The link, its keys and history travel with the district.
    let first = distretto_store::export::export(&a.db).await.unwrap();
    assert_eq!(first.federation.links.len(), 1);
    assert_eq!(first.federation.keys.len(), 1);
    let moved = another(&a).await;
    // The new server already made a key of its own: the district's identity replaces it.
    identity(&moved).await;
    distretto_store::export::import(&moved.db, &first)
        .await
        .unwrap();
    let second = distretto_store::export::export(&moved.db).await.unwrap();
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap()
    );
}

/// Both coordinators enter each other's address and key: the second request activates both.
/// A coordinator entering a key other than the one the district asked with is refused.
async fn both_sides_proposing_activates_the_link(c: TestApp) {
    let d = another(&c).await;
    let e = another(&c).await;
    let (_, coord_c) = c.coordinator().await;
    let (_, coord_d) = d.coordinator().await;
    let (_, coord_e) = e.coordinator().await;
    let (id_c, id_d, id_e) = (identity(&c).await, identity(&d).await, identity(&e).await);
    assert_eq!(propose(&c, &coord_c, &id_d).await.1["status"], "proposed");
    let (s, v) = propose(&d, &coord_d, &id_c).await;
    assert_eq!((s, v["status"].as_str()), (201, Some("active")), "{v}");
    assert_eq!(links(&c, &coord_c).await[0]["status"], "active");
    // E asks D; D's coordinator enters E's address with C's key by mistake.
    assert_eq!(propose(&e, &coord_e, &id_d).await.1["status"], "proposed");
    let wrong = (id_e.0.clone(), id_c.1.clone(), id_c.2.clone());
    let (s, v) = propose(&d, &coord_d, &wrong).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("federation_key_mismatch")),
        "{v}"
    );
    // Bad input.
    for (url, key, code) in [
        ("ftp://x.example", id_e.2.as_str(), "federation_bad_url"),
        (id_d.0.as_str(), id_e.2.as_str(), "federation_bad_url"),
        ("https://z.example", "not a key", "federation_bad_key"),
    ] {
        let (s, v) = d
            .post(
                "/api/v1/federation/links",
                Some(&coord_d),
                &json!({"url": url, "keyid": "k", "public_key": key}),
            )
            .await;
        assert_eq!((s, v["error"]["code"].as_str()), (400, Some(code)), "{url}");
    }
    assert_eq!(links(&d, &coord_d).await.len(), 2);
}

pub(crate) struct Stranger {
    pub(crate) url: String,
    pub(crate) keyid: String,
    pub(crate) key: ed25519_dalek::SigningKey,
}

fn stranger(seed: u8) -> Stranger {
    Stranger {
        url: format!("http://127.0.0.1:9/district-{seed}"),
        keyid: format!("http://127.0.0.1:9/district-{seed}#1"),
        key: signature::signing_key([seed; 32]),
    }
}

fn link_request(s: &Stranger) -> Value {
    json!({"type": "link_request", "url": s.url, "name": "Altrove",
        "keyid": s.keyid, "public_key": signature::encode_public_key(&s.key.verifying_key())})
}

/// Posts `body` to `app`'s inbox signed by `s` at `created` (seconds from now), with `nonce`;
/// `tamper` changes the body after signing.
pub(crate) async fn post_inbox(
    app: &TestApp,
    s: &Stranger,
    body: &Value,
    created: i64,
    nonce: &str,
    tamper: bool,
) -> (u16, Value) {
    let mut bytes = serde_json::to_vec(body).unwrap();
    let uri = app.url("/api/v1/federation/inbox");
    let digest = signature::content_digest(&bytes);
    let fields = [
        ("content-type", "application/json"),
        ("content-digest", digest.as_str()),
    ];
    let msg = signature::Message {
        method: "POST",
        target_uri: &uri,
        fields: &fields,
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let signed = signature::sign(&msg, &s.key, &s.keyid, now + created, nonce).unwrap();
    if tamper {
        bytes = serde_json::to_vec(
            &json!({"type": "link_request", "url": s.url, "name": "Altrove!",
            "keyid": s.keyid, "public_key": signature::encode_public_key(&s.key.verifying_key())}),
        )
        .unwrap();
    }
    let res = app
        .client
        .post(&uri)
        .header("content-type", "application/json")
        .header("content-digest", digest)
        .header("signature-input", signed.signature_input)
        .header("signature", signed.signature)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The inbox refuses what is not a fresh message signed by the key it names, each with its
/// code, and writes nothing; a first request signed by the key it carries waits for approval.
async fn the_inbox_refuses_bad_messages_and_changes_nothing(app: TestApp) {
    let (_, coord) = app.coordinator().await;
    let s = stranger(41);
    let request = link_request(&s);
    // Unsigned.
    let (st, v) = app.post("/api/v1/federation/inbox", None, &request).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (401, Some("signature_missing")),
        "{v}"
    );
    // In the district's default language (French here).
    assert_eq!(v["error"]["message"], "La requête n’est pas signée.");
    // Older than five minutes.
    let (st, v) = post_inbox(&app, &s, &request, -301, "n1", false).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (401, Some("signature_expired")),
        "{v}"
    );
    // The body changed after signing.
    let (st, v) = post_inbox(&app, &s, &request, 0, "n2", true).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("digest_mismatch")),
        "{v}"
    );
    // An approval or a status change from a district nobody linked with.
    let approval = json!({"type": "link_approval", "url": s.url});
    let (st, v) = post_inbox(&app, &s, &approval, 0, "n3", false).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (401, Some("signature_unknown_key")),
        "{v}"
    );
    // Signed by another key than the one the request carries.
    let mut forged = link_request(&s);
    forged["public_key"] = json!(signature::encode_public_key(
        &stranger(42).key.verifying_key()
    ));
    let (st, v) = post_inbox(&app, &s, &forged, 0, "n4", false).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (401, Some("signature_invalid")),
        "{v}"
    );
    // Not a message.
    let (st, v) = post_inbox(
        &app,
        &s,
        &json!({"type": "transfer", "amount": 5}),
        0,
        "n5",
        false,
    )
    .await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("federation_bad_message")),
        "{v}"
    );
    assert!(links(&app, &coord).await.is_empty(), "nothing written");

    // A good first request waits for our coordinator; replaying it is refused.
    let (st, v) = post_inbox(&app, &s, &request, 0, "n6", false).await;
    assert_eq!((st, v["status"].as_str()), (200, Some("requested")), "{v}");
    let (st, v) = post_inbox(&app, &s, &request, 0, "n6", false).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("signature_replayed")),
        "{v}"
    );
    let now = links(&app, &coord).await;
    assert_eq!(
        (
            now.len(),
            now[0]["status"].as_str(),
            now[0]["name"].as_str()
        ),
        (1, Some("requested"), Some("Altrove"))
    );
    // Another district may not speak for it, even with a valid signature of its own.
    let other = stranger(43);
    let mut impostor = json!({"type": "link_status", "url": s.url, "status": "ended", "note": ""});
    let (st, v) = post_inbox(&app, &other, &impostor, 0, "n7", false).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (401, Some("signature_unknown_key")),
        "{v}"
    );
    // Its own key may: it withdraws the request.
    impostor["note"] = json!("changed our mind");
    let (st, v) = post_inbox(&app, &s, &impostor, 0, "n8", false).await;
    assert_eq!((st, v["status"].as_str()), (200, Some("ended")), "{v}");
    assert_eq!(links(&app, &coord).await[0]["status"], "ended");
}

/// Members search the directories of linked districts: results carry their origin, answers
/// are cached, served stale while a district is down, and an unreachable or suspended
/// district does not hide the others.
async fn members_search_the_directories_of_linked_districts(a: TestApp) {
    use distretto_domain::directory::{OrganizationProfile, ProfileInput};
    let b = another(&a).await;
    let (_, coord_a) = a.coordinator().await;
    let (_, coord_b) = b.coordinator().await;
    let id_b = identity(&b).await;
    let at_a = propose(&a, &coord_a, &id_b).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let at_b = links(&b, &coord_b).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(act(&b, &coord_b, &at_b, "approve").await.0, 200);
    // B's directory.
    let p = OrganizationProfile::parse(&ProfileInput {
        name: "Cooperativa del Pane di Valle".into(),
        kind: "worker_coop".into(),
        sector: "food_processing".into(),
        locality: "Ivrea".into(),
        lat: "45.46".into(),
        lon: "7.87".into(),
        ..ProfileInput::default()
    })
    .unwrap();
    let row = distretto_store::directory::OrganizationRow::from_profile(
        uuid::Uuid::now_v7(),
        &p,
        "active",
        distretto_store::now(),
    );
    distretto_store::directory::insert_organizations(&b.db, std::slice::from_ref(&row))
        .await
        .unwrap();
    // A district linked with A that no longer answers.
    let now = distretto_store::now();
    let gone = distretto_store::federation::LinkRow {
        id: uuid::Uuid::now_v7(),
        peer_url: "http://127.0.0.1:9/gone".into(),
        peer_name: "Gone".into(),
        status: "active".into(),
        created_at: now,
        updated_at: now,
        exchange_rate_ppm: distretto_store::federation::ONE_TO_ONE_PPM,
    };
    let key = distretto_store::federation::PeerKeyRow {
        keyid: "gone#1".into(),
        link_id: gone.id,
        public_key: signature::encode_public_key(&signature::signing_key([5; 32]).verifying_key()),
        added_at: now,
    };
    let event = distretto_store::federation::LinkEventRow {
        id: uuid::Uuid::now_v7(),
        link_id: gone.id,
        status: "active".into(),
        actor_id: None,
        by_peer: true,
        note: String::new(),
        at: now,
    };
    distretto_store::federation::create_link(&a.db, &gone, &key, &event)
        .await
        .unwrap();

    let search = |q: &'static str| {
        let a = &a;
        async move {
            let (s, v) = a
                .get(&format!("/api/v1/federation/organizations?q={q}"), None)
                .await;
            assert_eq!(s, 200, "{v}");
            v
        }
    };
    let freshness = |v: &Value, url: &str| {
        v["districts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["url"] == url)
            .map(|d| d["freshness"].as_str().unwrap().to_owned())
    };
    let v = search("pane").await;
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["items"][0]["name"], "Cooperativa del Pane di Valle");
    assert_eq!(v["items"][0]["id"], row.id.to_string());
    assert_eq!(v["items"][0]["origin"]["url"], b.base);
    assert_eq!(v["items"][0]["origin"]["name"], "Distretto Test");
    assert_eq!(freshness(&v, &b.base).as_deref(), Some("fresh"));
    assert_eq!(
        freshness(&v, "http://127.0.0.1:9/gone").as_deref(),
        Some("unreachable")
    );
    assert_eq!(search("zzz").await["total"], 0);
    // Asked again within five minutes: from the cache.
    assert_eq!(
        freshness(&search("pane").await, &b.base).as_deref(),
        Some("cached")
    );
    // B stops answering (its address changes under A): once old, the last answer is served, marked stale.
    let link_a: uuid::Uuid = at_a.parse().unwrap();
    let sql = if a.db.backend() == "sqlite" {
        "UPDATE federation_links SET peer_url = 'http://127.0.0.1:9/b' WHERE id = ?1"
    } else {
        "UPDATE federation_links SET peer_url = 'http://127.0.0.1:9/b' WHERE id = $1"
    };
    match &a.db {
        distretto_store::Db::Sqlite { write, .. } => {
            sqlx::query(sql).bind(link_a).execute(write).await.unwrap();
        }
        distretto_store::Db::Postgres(pool) => {
            sqlx::query(sql).bind(link_a).execute(pool).await.unwrap();
        }
    }
    a.state.federation_cache.expire();
    let v = search("pane").await;
    assert_eq!(
        freshness(&v, "http://127.0.0.1:9/b").as_deref(),
        Some("stale"),
        "{v}"
    );
    assert_eq!(v["items"][0]["name"], "Cooperativa del Pane di Valle");
    // A suspended link is not searched.
    assert_eq!(act(&a, &coord_a, &at_a, "suspend").await.0, 200);
    let v = search("pane").await;
    assert_eq!(
        (
            v["total"].as_i64(),
            v["districts"].as_array().unwrap().len()
        ),
        (Some(0), 1),
        "{v}"
    );
}

on_both!(
    members_search_the_directories_of_linked_districts,
    two_districts_link_and_follow_each_other,
    both_sides_proposing_activates_the_link,
    the_inbox_refuses_bad_messages_and_changes_nothing
);
