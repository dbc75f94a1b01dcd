use crate::harness::TestApp;
use crate::on_both;
use serde_json::{Value, json};

async fn metrics_text(app: &TestApp) -> String {
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    res.text().await.unwrap()
}

async fn ops_endpoints_answer(app: TestApp) {
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    app.get("/api/v1/organizations", None).await;
    let metrics = metrics_text(&app).await;
    assert!(metrics.contains("distretto_http_requests_total{method=\"GET\",route=\"/api/v1/organizations\",status=\"200\"} 1"), "{metrics}");
    assert!(metrics.contains("# TYPE distretto_http_request_duration_seconds histogram"));
    // The pools: a connection this test holds shows in use in the reading pool.
    let (pools, reading): (&[&str], &str) = if app.db.backend() == "sqlite" {
        (&["write", "read"], "read")
    } else {
        (&["main"], "main")
    };
    let held = match &app.db {
        distretto_store::Db::Sqlite { read, .. } => (Some(read.acquire().await.unwrap()), None),
        distretto_store::Db::Postgres(p) => (None, Some(p.acquire().await.unwrap())),
    };
    let metrics = metrics_text(&app).await;
    drop(held);
    let figure = |name: &str, labels: String| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}{{{labels}}} ")))
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or_else(|| panic!("no {name}{{{labels}}} in {metrics}"))
    };
    for pool in pools {
        let in_use = figure(
            "distretto_db_connections",
            format!("pool=\"{pool}\",state=\"in_use\""),
        );
        let idle = figure(
            "distretto_db_connections",
            format!("pool=\"{pool}\",state=\"idle\""),
        );
        let max = figure("distretto_db_connections_max", format!("pool=\"{pool}\""));
        assert!(max >= 1 && in_use + idle <= max, "{pool}: {metrics}");
        if *pool == reading {
            assert!(in_use >= 1, "the held connection is in use: {metrics}");
        }
    }

    let (s, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(s, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/organizations",
        "/api/v1/organizations/{id}",
        "/api/v1/tokens",
        "/api/v1/me",
        "/api/v1/people",
        "/api/v1/applications",
        "/api/v1/applications/{id}/decision",
        "/api/v1/membership-decisions",
        "/api/v1/directory.csv",
        "/api/v1/murmurations/organizations/{id}",
    ] {
        assert!(paths.contains_key(p), "OpenAPI misses {p}");
    }
    assert!(
        paths.keys().all(|p| p.starts_with("/api/v1/")),
        "only /api/v1 operations are documented"
    );
}

async fn security_headers_are_set(app: TestApp) {
    let res = app.client.get(app.url("/")).send().await.unwrap();
    let h = res.headers();
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("https://tile.openstreetmap.org")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    let cookie = h
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        cookie.contains("distretto_csrf=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

async fn bad_bodies_get_clear_errors_and_change_nothing(app: TestApp) {
    let (_, token) = app.person("p@example.org", "P").await;
    let people = app.count("people").await;
    let raw = |body: &'static str, ct: &'static str| {
        app.client
            .post(app.url("/api/v1/people"))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let res = raw("{not json", "application/json").await.unwrap();
    assert_eq!(res.status(), 400);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"]["code"], "invalid_json");
    let res = raw("email=x", "application/x-www-form-urlencoded")
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"]["code"], "unsupported_media_type");
    let res = raw("{\"email\": 5}", "application/json").await.unwrap();
    assert_eq!(res.status(), 422);
    let big = format!(
        "{{\"email\":\"a@b.org\",\"name\":\"{}\",\"password\":\"x\"}}",
        "x".repeat(200_000)
    );
    // A client of its own: the server answers 413 without reading the body and closes the
    // connection, which a pooled connection reused by the next request would trip over.
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/people"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"]["code"], "payload_too_large");
    let res = app
        .client
        .delete(app.url("/api/v1/organizations"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    let (s, v) = app.get("/api/v1/no-such-thing", None).await;
    assert_eq!((s, v["error"]["code"].as_str()), (404, Some("not_found")));
    let (s, v) = app.post("/api/v1/applications", Some(&token), &json!({"kind": "new_organization", "organization": {"name": "X", "kind": "farm", "sector": "agriculture"}})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str(), v["error"]["field"].as_str()),
        (422, Some("invalid_name"), Some("name"))
    );
    assert_eq!(app.count("organizations").await, 0);
    assert_eq!(app.count("applications").await, 0);
    assert_eq!(app.count("people").await, people);
}

async fn errors_speak_the_callers_language(app: TestApp) {
    let res = app
        .client
        .get(app.url("/api/v1/organizations?limit=0"))
        .header("accept-language", "it-IT,it;q=0.9")
        .send()
        .await
        .unwrap();
    let v: Value = res.json().await.unwrap();
    let it = v["error"]["message"].as_str().unwrap().to_owned();
    let res = app
        .client
        .get(app.url("/api/v1/organizations?limit=0"))
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap();
    let v: Value = res.json().await.unwrap();
    let fr = v["error"]["message"].as_str().unwrap().to_owned();
    assert_eq!(v["error"]["code"], "invalid_limit");
    assert_ne!(it, fr);
    assert!(fr.contains("500") && it.contains("500"), "{fr} / {it}");
}

async fn expired_tokens_are_refused(app: TestApp) {
    let (pid, _) = app.person("old@example.org", "Old").await;
    let token = distretto_web::auth::crypto::new_token();
    let past = distretto_store::now() - time::Duration::hours(1);
    distretto_store::auth::insert_session(
        &app.db,
        &distretto_web::auth::crypto::token_hash(&token),
        pid.parse().unwrap(),
        "api",
        past - time::Duration::days(1),
        past,
    )
    .await
    .unwrap();
    let (s, v) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (401, Some("invalid_token"))
    );
}

async fn export_import_round_trips(app: TestApp) {
    let (_, coord) = app.coordinator().await;
    app.admitted_org(&coord, "admin@example.org", "Cantina Sociale")
        .await;
    let (_, t) = app.person("pending@example.org", "Pending").await;
    app.post(
        "/api/v1/applications",
        Some(&t),
        &json!({"kind": "individual", "message": "ciao"}),
    )
    .await;
    let first = distretto_store::export::export(&app.db).await.unwrap();
    assert_eq!(first.organizations.len(), 1);
    assert_eq!(first.people.len(), 3);
    let other = crate::harness::spawn(crate::harness::Backend::Sqlite).await;
    distretto_store::export::import(&other.db, &first)
        .await
        .unwrap();
    let second = distretto_store::export::export(&other.db).await.unwrap();
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap()
    );
    assert!(matches!(
        distretto_store::export::import(&other.db, &first).await,
        Err(distretto_store::export::ImportError::NotEmpty)
    ));
}

/// The OpenAPI document lists every status an operation answers, so that clients (and
/// scripts/schemathesis, which found these gaps) can rely on it: the errors of the shared
/// extractors on every operation that uses them, each with the CONTRACT error body.
async fn openapi_documents_every_error(app: TestApp) {
    let (s, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(s, 200);
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let name = format!("{} {path}", method.to_uppercase());
            let responses = op["responses"].as_object().unwrap();
            let has = |status: &str| responses.contains_key(status);
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let param_in = |place: &str| params.iter().any(|p| p["in"] == place);
            if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                assert!(has("401"), "{name} misses 401");
            }
            if op["requestBody"]["content"]["application/json"].is_object() {
                for status in ["400", "413", "415", "422"] {
                    assert!(has(status), "{name} misses {status}");
                }
            }
            if param_in("query") {
                assert!(has("400"), "{name} misses 400");
            }
            if params
                .iter()
                .any(|p| p["in"] == "query" && (p["name"] == "limit" || p["name"] == "offset"))
            {
                assert!(has("422"), "{name} misses 422");
            }
            if param_in("path") {
                assert!(has("404"), "{name} misses 404");
            }
            for (status, response) in responses {
                if status.starts_with('4') {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{name} {status}"
                    );
                }
            }
        }
    }
    assert!(operations > 90, "{operations} operations");
    // Statuses that handlers answer beyond the shared extractors.
    for (path, method, status) in [
        ("/api/v1/invoices", "get", "403"),
        ("/api/v1/payment-requests", "get", "422"),
        ("/api/v1/market/listings/{id}/takeup", "post", "403"),
    ] {
        assert!(
            doc["paths"][path][method]["responses"][status].is_object(),
            "{method} {path} misses {status}"
        );
    }
}

on_both!(
    openapi_documents_every_error,
    ops_endpoints_answer,
    security_headers_are_set,
    bad_bodies_get_clear_errors_and_change_nothing,
    errors_speak_the_callers_language,
    expired_tokens_are_refused,
    export_import_round_trips
);
