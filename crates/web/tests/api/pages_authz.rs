//! The pages' authorization matrix: every route of every page router (the governance pages
//! have their own, `governance_authz.rs`) for each of the seven roles, with the expected status
//! read from `pages_authz.table`. Each role browses with its own session; forms carry a valid
//! CSRF token of that session, so what is tested is the authorization, not the CSRF check.
//!
//! - Every GET and POST route found in the routers' sources must have a line, so a new page
//!   without one fails this test.
//! - A POST meets fresh objects for each role, and when refused (anything but 303) must leave
//!   the district's export document exactly as it was.
//! - Field level: no page shows the e-mail address of another cast member unless the line
//!   allows `others_email` for that role.
//!
//! The table and its placeholders share the API matrix's cast and objects (`api_authz.rs`);
//! here `{other_org}` is a purchasing group, so the purchasing pages meet a producer (`{org}`),
//! a group (`{other_org}`) and an open order cycle between them.

use crate::api_authz::{self, Line, ROLES, World, day_in};
use crate::harness::{TestApp, browser, csrf_of, page, signed_in};
use crate::on_both;
use distretto_store::purchasing::catalogue::{self as catalogue_store, PickupRow, ProductRow};
use std::collections::HashMap;
use uuid::Uuid;

const TABLE: &str = include_str!("pages_authz.table");

/// The page routers' sources: (file, text). Governance is left to its own matrix; assets are
/// files anyone may fetch.
const ROUTERS: [(&str, &str); 23] = [
    ("audit", include_str!("../../src/audit/pages.rs")),
    ("auth", include_str!("../../src/auth/pages.rs")),
    (
        "clearing coordination",
        include_str!("../../src/clearing/coordination.rs"),
    ),
    ("clearing", include_str!("../../src/clearing/pages.rs")),
    ("directory", include_str!("../../src/directory/pages.rs")),
    (
        "federation invoices",
        include_str!("../../src/federation/invoice_pages.rs"),
    ),
    ("federation", include_str!("../../src/federation/pages.rs")),
    (
        "participation",
        include_str!("../../src/governance/participation.rs"),
    ),
    ("impact", include_str!("../../src/impact/pages.rs")),
    ("planning", include_str!("../../src/impact/planning.rs")),
    (
        "invoices",
        include_str!("../../src/ledger/invoice_pages.rs"),
    ),
    ("ledger", include_str!("../../src/ledger/pages.rs")),
    (
        "listings",
        include_str!("../../src/market/listings/pages.rs"),
    ),
    (
        "resources",
        include_str!("../../src/market/resources/pages.rs"),
    ),
    ("membership", include_str!("../../src/membership/pages.rs")),
    (
        "notifications",
        include_str!("../../src/notifications/pages.rs"),
    ),
    ("ops", include_str!("../../src/ops.rs")),
    ("home", include_str!("../../src/pages/mod.rs")),
    (
        "catalogue",
        include_str!("../../src/purchasing/catalogue.rs"),
    ),
    ("csa", include_str!("../../src/purchasing/csa/mod.rs")),
    (
        "cycles manage",
        include_str!("../../src/purchasing/cycles/manage.rs"),
    ),
    (
        "cycles order",
        include_str!("../../src/purchasing/cycles/order.rs"),
    ),
    ("lib", include_str!("../../src/lib.rs")),
];

/// Every (method, route template) the page routers declare.
fn routes() -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (name, source) in ROUTERS {
        // A test module's routes (at the end of a file) are not the application's.
        let source = source.split("\n#[cfg(test)]").next().unwrap_or(source);
        for call in source.split(".route(").skip(1) {
            let Some(path) = call.split('"').nth(1) else {
                continue;
            };
            if !path.starts_with('/') || path.starts_with("/api") || path.starts_with("/assets") {
                continue;
            }
            // The handlers of this route: up to the end of the router function.
            let handlers = call.split("\n}").next().unwrap_or(call);
            let template = api_authz::template(path);
            if handlers.contains("get(") {
                out.push(("GET", template.clone()));
            }
            if handlers.contains("post(") {
                out.push(("POST", template));
            }
            assert!(
                out.last().is_some(),
                "{name}: a route without handlers: {path}"
            );
        }
    }
    out.sort();
    out.dedup();
    assert!(out.len() > 100, "the routers' routes: {}", out.len());
    out
}

/// Whether the table's `path` is an instance of `route` (where a parameter may be a literal,
/// such as an action's name).
fn covers(route: &str, path: &str) -> bool {
    let path = api_authz::template(path);
    let (r, p): (Vec<&str>, Vec<&str>) = (route.split('/').collect(), path.split('/').collect());
    r.len() == p.len() && r.iter().zip(&p).all(|(r, p)| *r == "{}" || r == p)
}

/// Someone browsing: their session and its CSRF token.
struct Browser {
    client: reqwest::Client,
    csrf: String,
}

/// The routes whose forms change who is signed in.
const SESSION_ROUTES: [&str; 3] = ["/register", "/sign-in", "/sign-out"];

/// A new session of `role` (none for anonymous), with its CSRF token.
async fn browser_of(w: &World, role: &str) -> Browser {
    let (client, first) = match w.cast.emails.get(role) {
        Some(email) => (signed_in(&w.app, email).await, "/me"),
        None => (browser(), "/sign-in"),
    };
    let (s, html) = page(&client, &w.app, first, "en").await;
    assert_eq!(s, 200, "{role} {first}: {html}");
    Browser {
        csrf: csrf_of(&html),
        client,
    }
}

async fn browsers(w: &World) -> HashMap<&'static str, Browser> {
    let mut out = HashMap::new();
    for role in ROLES {
        out.insert(role, browser_of(w, role).await);
    }
    out
}

/// The purchasing objects: products of the farm `{org}`, a pickup point of the group
/// `{other_org}`, and an open order cycle of that group offering the farm's products.
async fn purchasing(w: &World, group_admin: &Browser, shared: &mut HashMap<String, String>) {
    let farm = Uuid::parse_str(&shared["org"]).unwrap();
    let group = Uuid::parse_str(&shared["other_org"]).unwrap();
    let now = distretto_store::now();
    let product = ProductRow {
        id: Uuid::now_v7(),
        producer_id: farm,
        sku: "APL".into(),
        name: "Apples".into(),
        description: String::new(),
        unit: "kg".into(),
        step_milli: 1_000,
        package_size_milli: 1_000,
        price_euro_minor: Some(200),
        price_credit_minor: Some(200),
        vat_basis_points: 400,
        origin: "Aosta".into(),
        certifications: String::new(),
        season_months: 0x0FFF,
        stock_milli: None,
        active: true,
        created_at: now,
        updated_at: now,
    };
    catalogue_store::insert_products(&w.app.db, std::slice::from_ref(&product))
        .await
        .unwrap();
    let pickup = PickupRow {
        id: Uuid::now_v7(),
        group_id: group,
        name: "Casa del quartiere".into(),
        address: "Via Roma 1".into(),
        lat: None,
        lon: None,
        active: true,
        created_at: now,
    };
    catalogue_store::insert_pickup(&w.app.db, &pickup)
        .await
        .unwrap();
    let mut form = vec![("csrf".to_owned(), group_admin.csrf.clone())];
    form.extend(crate::harness::cycle_form("CRD", farm, "", pickup.id));
    let res = group_admin
        .client
        .post(w.app.url(&format!("/purchasing/groups/{group}/cycles")))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(status, 303, "{}", res.text().await.unwrap_or_default());
    let cycle = location.split('/').nth(3).unwrap().to_owned();
    for (k, v) in [
        ("product", product.id.to_string()),
        ("pickup", pickup.id.to_string()),
        ("cycle", cycle),
        ("today", day_in(0)),
    ] {
        shared.insert(k.into(), v);
    }
}

async fn request(
    w: &World,
    b: &Browser,
    method: &str,
    path: &str,
    form: Option<&str>,
) -> (u16, String) {
    let res = if method == "GET" {
        b.client.get(w.app.url(path))
    } else {
        let mut fields: Vec<(String, String)> = vec![("csrf".into(), b.csrf.clone())];
        fields.extend(
            form.unwrap_or_default()
                .split('&')
                .filter(|kv| !kv.is_empty())
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    (k.to_owned(), v.to_owned())
                }),
        );
        b.client.post(w.app.url(path)).form(&fields)
    };
    let res = res.header("accept-language", "en").send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap_or_default())
}

/// Who else's e-mail address the page shows, when the line does not allow it.
fn email_faults(w: &World, line: &Line, role: &str, html: &str) -> Vec<String> {
    let allowed = line
        .fields
        .get("others_email")
        .is_some_and(|r| r.contains(role));
    if allowed {
        return Vec::new();
    }
    w.cast
        .emails
        .iter()
        .filter(|(other, email)| **other != role && html.contains(email.as_str()))
        .map(|(other, _)| format!("shows {other}'s e-mail address"))
        .collect()
}

async fn matrix(app: TestApp) {
    let (cast, mut shared) = api_authz::cast(&app, "purchasing_group").await;
    api_authz::shared_objects(&app, &cast, &mut shared).await;
    let mut w = World {
        app,
        cast,
        shared,
        serial: std::sync::atomic::AtomicU64::new(1),
    };
    let browsers = browsers(&w).await;
    let mut shared = std::mem::take(&mut w.shared);
    purchasing(&w, &browsers["other_org_admin"], &mut shared).await;
    w.shared = shared;

    let lines = api_authz::parse_table(TABLE);
    let mut wrong = Vec::new();
    let mut observed = Vec::new();
    for line in &lines {
        let mut values = None;
        let mut got = Vec::new();
        for (i, role) in ROLES.iter().enumerate() {
            if line.method != "GET" || values.is_none() {
                values = Some(w.values(&line.text()).await);
            }
            let v = values.as_ref().unwrap();
            let path = api_authz::fill(&line.path, v);
            let form = line.body.as_deref().map(|b| api_authz::fill(b, v));
            let before = if line.method == "GET" {
                None
            } else {
                Some(distretto_store::export::export(&w.app.db).await.unwrap())
            };
            // Signing in, out or up changes the browser's session (and so its CSRF token):
            // those lines browse with a session of their own.
            let own;
            let b = if line.method == "POST" && SESSION_ROUTES.contains(&line.path.as_str()) {
                own = browser_of(&w, role).await;
                &own
            } else {
                &browsers[role]
            };
            let (status, html) = request(&w, b, &line.method, &path, form.as_deref()).await;
            got.push(status.to_string());
            let at = format!(
                "line {}: {} {} as {role}",
                line.number, line.method, line.path
            );
            if status != line.statuses[i] {
                let text: String = html.chars().take(120).collect();
                wrong.push(format!(
                    "{at} gave {status}, the table says {}: {text}",
                    line.statuses[i]
                ));
            }
            if status == 200 {
                for fault in email_faults(&w, line, role, &html) {
                    wrong.push(format!("{at}: {fault}"));
                }
            }
            if let Some(before) = before
                && status != 303
                && distretto_store::export::export(&w.app.db).await.unwrap() != before
            {
                wrong.push(format!("{at} was refused ({status}) but changed something"));
            }
        }
        observed.push(format!("{} {} {}", line.method, line.path, got.join(" ")));
    }
    if !wrong.is_empty() {
        eprintln!("observed:\n{}", observed.join("\n"));
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));

    // Every route of the page routers has a line.
    let missing: Vec<String> = routes()
        .into_iter()
        .filter(|(method, route)| {
            !lines
                .iter()
                .any(|l| l.method == *method && covers(route, &l.path))
        })
        .map(|(m, r)| format!("{m} {r}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without a line in pages_authz.table: {missing:?}"
    );
}

on_both!(matrix);
