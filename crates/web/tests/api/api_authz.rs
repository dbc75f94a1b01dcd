//! The API authorization matrix: every operation of `/api/openapi.json`, for each of the seven
//! roles, with the expected status read from `api_authz.table` (kept readable beside this file).
//!
//! - Every operation of the OpenAPI document must have a line, so a new endpoint without one
//!   fails this test.
//! - A line that changes something (any method but GET) runs against fresh objects for each
//!   role, so one role's success cannot change what the next one meets; and a refused request
//!   must leave the whole district (its export document) exactly as it was.
//! - Field level: the sensitive keys (`email`, `balance`, `voter`) may carry a value in an
//!   answer only for the roles the line's `fields` names, and no answer may contain the e-mail
//!   address of anyone else in the cast unless the line allows `others_email` for that role.
//!
//! Denials (401, 403) are logged by `ops::track` at target `distretto::denied`; the CLI test
//! `serve_starts_answers_health_and_stops_on_sigterm` checks that on the real binary.

use crate::governance_authz::{actor_of, body, created, hash, voting};
use crate::harness::{PASSWORD, TestApp};
use crate::on_both;
use distretto_domain::governance::{Choice, Stance};
use distretto_domain::market::resource::{
    Cancellation, FeeUnit, ResourceKind, Rules, parse_windows,
};
use distretto_domain::membership::Role;
use distretto_web::governance::service as governance;
use distretto_web::market::resources::service::{self as resources, ResourceInput};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

const TABLE: &str = include_str!("api_authz.table");

pub(crate) const ROLES: [&str; 7] = [
    "anonymous",
    "person",
    "other_person",
    "org_admin",
    "other_org_admin",
    "coordinator",
    "administrator",
];

/// Keys whose values are private: where they may appear is written in the table.
const SENSITIVE: [&str; 3] = ["email", "balance", "voter"];

/// One line of the table.
#[derive(Debug)]
pub(crate) struct Line {
    pub(crate) number: usize,
    pub(crate) method: String,
    pub(crate) path: String,
    /// Expected status per role, in the order of [`ROLES`].
    pub(crate) statuses: [u16; 7],
    /// The JSON body (API) or the form, `k=v&k=v` (pages).
    pub(crate) body: Option<String>,
    /// Key → the roles allowed to read it (`others_email` included).
    pub(crate) fields: HashMap<String, BTreeSet<String>>,
}

impl Line {
    pub(crate) fn text(&self) -> String {
        format!("{} {}", self.path, self.body.as_deref().unwrap_or_default())
    }
}

fn parse_fields(number: usize, spec: &str) -> HashMap<String, BTreeSet<String>> {
    let mut out = HashMap::new();
    for item in spec.split_whitespace() {
        let (key, roles) = item
            .split_once('=')
            .unwrap_or_else(|| panic!("line {number}: field spec {item}"));
        let roles: BTreeSet<String> = roles
            .split(',')
            .filter(|r| !r.is_empty() && *r != "-")
            .map(str::to_owned)
            .collect();
        for r in &roles {
            assert!(
                ROLES.contains(&r.as_str()),
                "line {number}: unknown role {r}"
            );
        }
        assert!(
            SENSITIVE.contains(&key) || key == "others_email",
            "line {number}: unknown field {key}"
        );
        out.insert(key.to_owned(), roles);
    }
    out
}

fn lines() -> Vec<Line> {
    parse_table(TABLE)
}

/// The lines of a matrix table (this one, or the pages' one).
pub(crate) fn parse_table(table: &str) -> Vec<Line> {
    let mut out = Vec::new();
    for (i, raw) in table.lines().enumerate() {
        let number = i + 1;
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let mut parts = l.split(" | ");
        let head: Vec<&str> = parts
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        assert_eq!(
            head.len(),
            9,
            "line {number}: method, path, 7 statuses: {l}"
        );
        assert!(
            matches!(head[0], "GET" | "POST" | "PUT" | "PATCH" | "DELETE"),
            "line {number}: method {}",
            head[0]
        );
        let mut statuses = [0u16; 7];
        for (s, text) in statuses.iter_mut().zip(&head[2..]) {
            *s = text
                .parse()
                .unwrap_or_else(|_| panic!("line {number}: status {text}"));
        }
        let (mut body, mut fields) = (None, HashMap::new());
        for part in parts {
            if let Some(b) = part
                .strip_prefix("body ")
                .or_else(|| part.strip_prefix("form "))
            {
                body = Some(b.trim().to_owned());
            } else if let Some(f) = part.strip_prefix("fields ") {
                fields = parse_fields(number, f);
            } else {
                panic!("line {number}: unknown column {part}");
            }
        }
        out.push(Line {
            number,
            method: head[0].to_owned(),
            path: head[1].to_owned(),
            statuses,
            body,
            fields,
        });
    }
    out
}

/// An OpenAPI path template with every parameter written `{}`.
pub(crate) fn template(path: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in path.chars() {
        match (c, inside) {
            ('{', _) => {
                inside = true;
                out.push_str("{}");
            }
            ('}', _) => inside = false,
            (c, false) => out.push(c),
            _ => {}
        }
    }
    out
}

/// The people of the matrix: their ids, e-mail addresses and tokens, and what they own.
pub(crate) struct Cast {
    pub(crate) tokens: HashMap<&'static str, String>,
    pub(crate) emails: HashMap<&'static str, String>,
    pub(crate) person: distretto_web::auth::viewer::Actor,
    pub(crate) coordinator: distretto_web::auth::viewer::Actor,
}

pub(crate) struct World {
    pub(crate) app: TestApp,
    pub(crate) cast: Cast,
    pub(crate) shared: HashMap<String, String>,
    /// Makes every fresh object distinct (e-mail addresses, booking slots, link addresses).
    pub(crate) serial: std::sync::atomic::AtomicU64,
}

pub(crate) fn day_in(days: i64) -> String {
    (distretto_store::now().date() + time::Duration::days(days)).to_string()
}

/// A whole hour `hours` from now, as RFC 3339.
pub(crate) fn hour_in(hours: i64) -> String {
    let t = distretto_store::now() + time::Duration::hours(hours + 1);
    t.replace_minute(0)
        .and_then(|t| t.replace_second(0))
        .and_then(|t| t.replace_nanosecond(0))
        .unwrap()
        .format(&Rfc3339)
        .unwrap()
}

impl World {
    pub(crate) fn next(&self) -> u64 {
        self.serial
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn token(&self, role: &str) -> Option<&str> {
        self.cast.tokens.get(role).map(String::as_str)
    }

    pub(crate) async fn created(&self, role: &str, path: &str, body: &Value) -> Value {
        let (s, v) = self.app.post(path, self.token(role), body).await;
        assert!(s == 201 || s == 200, "setup {path} as {role}: {s} {v}");
        v
    }

    pub(crate) fn id_of(v: &Value, key: &str) -> String {
        v[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} in {v}"))
            .to_owned()
    }

    /// The placeholder values a line needs: the shared ones, and fresh objects for those it
    /// names.
    pub(crate) async fn values(&self, text: &str) -> HashMap<String, String> {
        let wants = |k: &str| text.contains(&format!("{{{k}}}"));
        let mut out = self.shared.clone();
        let s = &self.shared;
        if wants("transfer") {
            let v = self
                .created(
                    "person",
                    "/api/v1/transfers",
                    &json!({"payer": s["account"], "payee": s["org_account"], "amount": 100, "memo": "matrix"}),
                )
                .await;
            out.insert("transfer".into(), Self::id_of(&v, "id"));
        }
        if wants("invoice") {
            let v = self
                .created(
                    "org_admin",
                    "/api/v1/invoices",
                    &json!({"creditor": s["org_account"], "debtor": s["account"], "amount": 1000,
                        "description": "Vegetables", "due_on": day_in(30)}),
                )
                .await;
            out.insert("invoice".into(), Self::id_of(&v, "id"));
        }
        if wants("request") {
            let v = self
                .created(
                    "org_admin",
                    "/api/v1/payment-requests",
                    &json!({"payee": s["org_account"], "payer": s["account"], "amount": 500, "memo": "Stall"}),
                )
                .await;
            out.insert("request".into(), Self::id_of(&v, "id"));
        }
        if wants("application") {
            let email = format!("applicant-{}@matrix.example", self.next());
            let (_, token) = self.app.person(&email, "Applicant").await;
            let (st, v) = self
                .app
                .post(
                    "/api/v1/applications",
                    Some(&token),
                    &json!({"kind": "individual", "message": "I live here"}),
                )
                .await;
            assert_eq!(st, 201, "{v}");
            out.insert("application".into(), Self::id_of(&v, "id"));
        }
        if wants("listing") {
            let v = self
                .created(
                    "person",
                    "/api/v1/market/listings",
                    &json!({"side": "offer", "kind": "good", "category": "fresh_produce", "title": "Honey",
                        "description": "", "locality": "Aosta", "valid_until": day_in(30)}),
                )
                .await;
            out.insert("listing".into(), Self::id_of(&v, "id"));
        }
        if wants("start") || wants("booking") {
            let n = i64::try_from(self.next()).unwrap();
            out.insert("start".into(), hour_in(50 + 2 * n));
            out.insert("end".into(), hour_in(51 + 2 * n));
        }
        if wants("booking") {
            let v = self
                .created(
                    "person",
                    &format!("/api/v1/market/resources/{}/bookings", s["resource"]),
                    &json!({"start": out["start"], "end": out["end"]}),
                )
                .await;
            out.insert("booking".into(), Self::id_of(&v, "id"));
            let n = i64::try_from(self.next()).unwrap();
            out.insert("start".into(), hour_in(50 + 2 * n));
            out.insert("end".into(), hour_in(51 + 2 * n));
        }
        if wants("scenario") {
            let v = self
                .created(
                    "coordinator",
                    "/api/v1/impact/scenarios",
                    &json!({"name": "Local energy", "period": s["year"], "sector": "energy", "shift_percent": 20}),
                )
                .await;
            out.insert("scenario".into(), Self::id_of(&v, "id"));
        }
        if wants("invitation") {
            // To an organisation of its own, so those who join change no other line.
            let n = self.next();
            let coord = self.token("coordinator").unwrap();
            let (org, admin) = self
                .app
                .admitted_org(
                    coord,
                    &format!("inviting-{n}@matrix.example"),
                    &format!("Inviting {n}"),
                )
                .await;
            let (st, v) = self
                .app
                .post(
                    &format!("/api/v1/organizations/{org}/invitations"),
                    Some(&admin),
                    &json!({}),
                )
                .await;
            assert_eq!(st, 201, "{v}");
            out.insert("invitation".into(), Self::id_of(&v, "token"));
        }
        if wants("subject") {
            let email = format!("subject-{}@matrix.example", self.next());
            let coord = self.token("coordinator").unwrap();
            let (id, _, _) = self.app.member(coord, &email).await;
            out.insert("subject".into(), id);
        }
        if wants("subject_org") {
            let n = self.next();
            let coord = self.token("coordinator").unwrap();
            let (org, _) = self
                .app
                .admitted_org(
                    coord,
                    &format!("subject-admin-{n}@matrix.example"),
                    &format!("Subject {n}"),
                )
                .await;
            out.insert("subject_org".into(), org);
        }
        if wants("grantee_email") || wants("grant") {
            // Someone outside the cast, so a right given stays out of every other line.
            let email = format!("grantee-{}@matrix.example", self.next());
            let coord = self.token("coordinator").unwrap();
            let (id, _, _) = self.app.member(coord, &email).await;
            if wants("grant") {
                self.created(
                    "person",
                    &format!("/api/v1/accounts/{}/authorizations", s["account"]),
                    &json!({"email": email}),
                )
                .await;
            }
            out.insert("grantee_email".into(), email);
            out.insert("grant".into(), id);
        }
        if wants("peer_url") || wants("link") {
            // A closed port on loopback: a proposal is not delivered, and that is all. Key ids
            // and keys are unique across links: each peer gets its own.
            let n = self.next();
            let mut seed = [7u8; 32];
            seed[..8].copy_from_slice(&n.to_le_bytes());
            let key = distretto_domain::federation::signature::encode_public_key(
                &ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key(),
            );
            out.insert(
                "peer_url".into(),
                format!("http://127.0.0.1:{}", 20_000 + n),
            );
            out.insert("peer_keyid".into(), format!("k{n}"));
            out.insert("peer_key".into(), key);
        }
        if wants("link") {
            let v = self
                .created(
                    "coordinator",
                    "/api/v1/federation/links",
                    &json!({"url": out["peer_url"], "keyid": out["peer_keyid"], "public_key": out["peer_key"]}),
                )
                .await;
            out.insert("link".into(), Self::id_of(&v, "id"));
        }
        if wants("serial") {
            out.insert("serial".into(), self.next().to_string());
        }
        if wants("key") {
            out.insert("key".into(), Uuid::now_v7().to_string());
        }
        if wants("book_day") {
            // A day of its own for each booking form, so none overlaps another.
            let n = i64::try_from(self.next()).unwrap();
            out.insert("book_day".into(), day_in(100 + n));
        }
        if wants("until") {
            out.insert("until".into(), day_in(30));
        }
        if wants("new_email") {
            out.insert(
                "new_email".into(),
                format!("new-{}@matrix.example", self.next()),
            );
        }
        out
    }
}

pub(crate) fn fill(text: &str, values: &HashMap<String, String>) -> String {
    let mut out = text.to_owned();
    for (k, v) in values {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    let placeholder = out.split('{').skip(1).any(|rest| {
        rest.split_once('}').is_some_and(|(name, _)| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        })
    });
    assert!(!placeholder, "unknown placeholder in {out}");
    out
}

/// Whether `key` holds a value (not null) anywhere in `v`.
fn holds(v: &Value, key: &str) -> bool {
    match v {
        Value::Object(m) => m
            .iter()
            .any(|(k, x)| (k == key && !x.is_null()) || holds(x, key)),
        Value::Array(a) => a.iter().any(|x| holds(x, key)),
        _ => false,
    }
}

async fn request(
    w: &World,
    role: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (u16, String) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = w.app.client.request(method.clone(), w.app.url(path));
    if let Some(t) = w.token(role) {
        req = req.bearer_auth(t);
    }
    if method != reqwest::Method::GET {
        req = req.header("idempotency-key", Uuid::now_v7().to_string());
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_owned());
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap_or_default())
}

/// The field-level checks of one answer: what is wrong, if anything.
fn field_faults(w: &World, line: &Line, role: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let allowed = |key: &str| line.fields.get(key).is_some_and(|r| r.contains(role));
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        for key in SENSITIVE {
            let held = holds(&v, key);
            if held != allowed(key) {
                let what = if held { "shows" } else { "lacks" };
                out.push(format!("{what} `{key}`"));
            }
        }
    }
    if !allowed("others_email") {
        for (other, email) in &w.cast.emails {
            if *other != role && text.contains(email.as_str()) {
                out.push(format!("shows {other}'s e-mail address"));
            }
        }
    }
    out
}

/// The cast and the shared placeholder values; `{other_org}` is of `other_org_kind`.
pub(crate) async fn cast(app: &TestApp, other_org_kind: &str) -> (Cast, HashMap<String, String>) {
    let h = hash().await;
    let (coord_id, coord_token) = app.coordinator().await;
    let coordinator = actor_of(app, Uuid::parse_str(&coord_id).unwrap()).await;
    let administrator = created(
        app,
        &h,
        "admin@matrix.example",
        "Adriana Amministratrice",
        Role::Administrator,
    )
    .await;
    let (person_id, person_token, account) = app.member(&coord_token, "paola@matrix.example").await;
    let (other_id, other_token, other_account) =
        app.member(&coord_token, "otto@matrix.example").await;
    let (org, org_token) = app
        .admitted_org(&coord_token, "orga@matrix.example", "Orto Comune")
        .await;
    let (other_org, other_org_token) = app
        .admitted_org_of(
            &coord_token,
            "orgb@matrix.example",
            "Forno Sociale",
            other_org_kind,
            ("Aosta", "45.73", "7.32"),
        )
        .await;
    let account_of_org = |org: &str| {
        let org = Uuid::parse_str(org).unwrap();
        let db = app.db.clone();
        async move {
            distretto_store::accounts::of_owner(&db, "organization", org)
                .await
                .unwrap()[0]
                .id
                .to_string()
        }
    };
    let org_account = account_of_org(&org).await;
    let other_org_account = account_of_org(&other_org).await;
    let person = actor_of(app, Uuid::parse_str(&person_id).unwrap()).await;

    let tokens: HashMap<&'static str, String> = [
        ("person", person_token),
        ("other_person", other_token),
        ("org_admin", org_token),
        ("other_org_admin", other_org_token),
        ("coordinator", coord_token),
        ("administrator", app.token("admin@matrix.example").await),
    ]
    .into_iter()
    .collect();
    let emails: HashMap<&'static str, String> = [
        ("person", "paola@matrix.example"),
        ("other_person", "otto@matrix.example"),
        ("org_admin", "orga@matrix.example"),
        ("other_org_admin", "orgb@matrix.example"),
        ("coordinator", "coord@test.example"),
        ("administrator", "admin@matrix.example"),
    ]
    .into_iter()
    .map(|(r, e)| (r, e.to_owned()))
    .collect();
    let shared: HashMap<String, String> = [
        ("person", person_id),
        ("other_person", other_id),
        ("coordinator", coord_id),
        ("administrator", administrator.id.to_string()),
        ("org", org),
        ("other_org", other_org),
        ("account", account),
        ("other_account", other_account),
        ("org_account", org_account),
        ("other_org_account", other_org_account),
        ("year", distretto_store::now().year().to_string()),
        ("unknown", Uuid::now_v7().to_string()),
        ("password", PASSWORD.to_owned()),
        ("person_email", "paola@matrix.example".to_owned()),
        ("other_person_email", "otto@matrix.example".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    (
        Cast {
            tokens,
            emails,
            person,
            coordinator,
        },
        shared,
    )
}

/// The shared governance and market objects: an open vote, a closed secret and a closed open
/// one, and a van lent by `{org}`.
pub(crate) async fn shared_objects(
    app: &TestApp,
    cast: &Cast,
    shared: &mut HashMap<String, String>,
) {
    let coordinator = &cast.coordinator;
    let assembly = body(app, coordinator, "Assembly", "people").await;
    let open_vote = voting(app, &cast.person, assembly, "Open vote", false).await;
    let secret = voting(app, &cast.person, assembly, "Secret", true).await;
    let open = voting(app, &cast.person, assembly, "Open", false).await;
    for p in [secret, open] {
        governance::vote(
            &app.state,
            &cast.person,
            p,
            cast.person.id,
            &Choice::Majority(Stance::Yes),
        )
        .await
        .unwrap();
        governance::close(&app.state, p).await.unwrap().unwrap();
    }
    let org = Uuid::parse_str(&shared["org"]).unwrap();
    let rules = Rules {
        enabled: true,
        fee_minor: 0,
        fee_unit: FeeUnit::Hour,
        windows: parse_windows("daily 00:00-24:00").unwrap(),
        min_minutes: 30,
        max_minutes: 24 * 60,
        max_ahead_days: 365,
        cancellation: Cancellation {
            free_hours: 0,
            kept_percent: 0,
        },
    };
    let van = resources::create(
        &app.state,
        coordinator,
        org,
        ResourceInput {
            kind: ResourceKind::Van,
            name: "Furgone".into(),
            description: "A van".into(),
            place: "Aosta".into(),
            rules_text: "Return it clean.".into(),
            rules,
        },
    )
    .await
    .unwrap();
    let (st, v) = app
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/impact/surveys/{org}/{}", shared["year"]),
            Some(&cast.tokens["org_admin"]),
            &json!({"outside_total_minor": 1000, "outside_local_minor": 100}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    for (k, v) in [
        ("voting", open_vote),
        ("secret", secret),
        ("open", open),
        ("resource", van.id),
    ] {
        shared.insert(k.into(), v.to_string());
    }
}

async fn matrix(app: TestApp) {
    let (cast, mut shared) = cast(&app, "farm").await;
    shared_objects(&app, &cast, &mut shared).await;
    let (s, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(s, 200);
    let w = World {
        app,
        cast,
        shared,
        serial: std::sync::atomic::AtomicU64::new(1),
    };

    let lines = lines();
    let mut wrong = Vec::new();
    for line in &lines {
        let mut values = None;
        for (i, role) in ROLES.iter().enumerate() {
            if line.method != "GET" || values.is_none() {
                values = Some(w.values(&line.text()).await);
            }
            let v = values.as_ref().unwrap();
            let path = fill(&line.path, v);
            let body = line.body.as_deref().map(|b| fill(b, v));
            let before = if line.method == "GET" {
                None
            } else {
                Some(distretto_store::export::export(&w.app.db).await.unwrap())
            };
            let (status, text) = request(&w, role, &line.method, &path, body.as_deref()).await;
            let at = format!(
                "line {}: {} {} as {role}",
                line.number, line.method, line.path
            );
            if status != line.statuses[i] {
                let text: String = text.chars().take(160).collect();
                wrong.push(format!(
                    "{at} gave {status}, the table says {}: {text}",
                    line.statuses[i]
                ));
            }
            if (200..300).contains(&status) {
                for fault in field_faults(&w, line, role, &text) {
                    wrong.push(format!("{at}: {fault}"));
                }
            }
            if let Some(before) = before
                && status >= 400
                && distretto_store::export::export(&w.app.db).await.unwrap() != before
            {
                wrong.push(format!("{at} was refused ({status}) but changed something"));
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));

    // Every operation of the API has a line.
    let mut missing = Vec::new();
    let paths = doc["paths"].as_object().unwrap();
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            if !matches!(method.as_str(), "GET" | "POST" | "PUT" | "PATCH" | "DELETE") {
                continue;
            }
            let want = template(path);
            if !lines
                .iter()
                .any(|l| l.method == method && template(&l.path) == want)
            {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "operations without a line in api_authz.table:\n{}",
        missing.join("\n")
    );
}

on_both!(matrix);
