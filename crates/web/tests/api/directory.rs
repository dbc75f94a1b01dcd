use crate::harness::TestApp;
use crate::on_both;
use distretto_domain::directory::{OrganizationProfile, ProfileInput};
use distretto_store::directory::OrganizationRow;
use serde_json::Value;

async fn seed(app: &TestApp) {
    let now = distretto_store::now();
    let rows: Vec<OrganizationRow> = [
        (
            "Société Coopérative du Pain",
            "worker_coop",
            "food_processing",
            "Châtillon",
            "Pain au levain, farines anciennes",
        ),
        (
            "CAFFÈ Solidale",
            "social_enterprise",
            "hospitality",
            "Aosta",
            "Torrefazione equa",
        ),
        (
            "Ferme du Grand-Paradis",
            "farm",
            "agriculture",
            "Cogne",
            "Fromages et légumes bio",
        ),
        (
            "GAS Aosta Centro",
            "purchasing_group",
            "retail",
            "Aosta",
            "Gruppo di acquisto solidale",
        ),
        (
            "Association Les Amis du Pain",
            "association",
            "culture",
            "Saint-Vincent",
            "Fours communautaires",
        ),
    ]
    .iter()
    .enumerate()
    .map(|(i, (name, kind, sector, place, desc))| {
        let p = OrganizationProfile::parse(&ProfileInput {
            name: (*name).into(),
            kind: (*kind).into(),
            sector: (*sector).into(),
            locality: (*place).into(),
            description: (*desc).into(),
            lat: format!("45.{}", 70 + i),
            lon: "7.3".into(),
            workers_fte: "2.5".into(),
            ..ProfileInput::default()
        })
        .unwrap();
        OrganizationRow::from_profile(uuid::Uuid::now_v7(), &p, "active", now)
    })
    .collect();
    let mut pending = rows[0].clone();
    pending.id = uuid::Uuid::now_v7();
    pending.name = "Coopérative en attente".into();
    pending.status = "pending".into();
    distretto_store::directory::insert_organizations(&app.db, &rows)
        .await
        .unwrap();
    distretto_store::directory::insert_organizations(&app.db, &[pending])
        .await
        .unwrap();
}

fn names(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn lists_and_pages_the_directory(app: TestApp) {
    seed(&app).await;
    let (s, v) = app.get("/api/v1/organizations", None).await;
    assert_eq!(s, 200);
    assert_eq!(v["total"], 5, "pending organisations are not listed");
    let first = &v["items"][0];
    for field in ["id", "name", "kind", "sector", "lat", "lon"] {
        assert!(first.get(field).is_some(), "missing {field}");
    }
    assert_eq!(
        names(&v)[0],
        "Association Les Amis du Pain",
        "sorted by folded name"
    );
    let (_, p1) = app.get("/api/v1/organizations?limit=2", None).await;
    let (_, p2) = app
        .get("/api/v1/organizations?limit=2&offset=2", None)
        .await;
    let (_, p3) = app
        .get("/api/v1/organizations?limit=2&offset=4", None)
        .await;
    assert_eq!(
        (
            p1["total"].as_i64(),
            p2["total"].as_i64(),
            p3["total"].as_i64()
        ),
        (Some(5), Some(5), Some(5))
    );
    let mut all: Vec<String> = [names(&p1), names(&p2), names(&p3)].concat();
    assert_eq!(all.len(), 5);
    all.dedup();
    assert_eq!(all.len(), 5, "pages do not overlap");
}
async fn search_ignores_accents_and_case(app: TestApp) {
    seed(&app).await;
    let (_, v) = app.get("/api/v1/organizations?q=cooperative", None).await;
    assert_eq!(names(&v), vec!["Société Coopérative du Pain"]);
    let (_, v) = app
        .get("/api/v1/organizations?q=caffe%20SOLIDALE", None)
        .await;
    assert_eq!(names(&v), vec!["CAFFÈ Solidale"]);
    let (_, v) = app.get("/api/v1/organizations?q=PAIN", None).await;
    assert_eq!(v["total"], 2);
    let (_, v) = app.get("/api/v1/organizations?q=legumes", None).await;
    assert_eq!(
        names(&v),
        vec!["Ferme du Grand-Paradis"],
        "description is searched"
    );
    let (_, v) = app.get("/api/v1/organizations?q=100%25", None).await;
    assert_eq!(v["total"], 0, "wildcards are literal");
}

async fn filters_by_kind_sector_and_place(app: TestApp) {
    seed(&app).await;
    let (_, v) = app.get("/api/v1/organizations?kind=farm", None).await;
    assert_eq!(names(&v), vec!["Ferme du Grand-Paradis"]);
    let (_, v) = app.get("/api/v1/organizations?sector=retail", None).await;
    assert_eq!(names(&v), vec!["GAS Aosta Centro"]);
    let (_, v) = app.get("/api/v1/organizations?place=chatillon", None).await;
    assert_eq!(names(&v), vec!["Société Coopérative du Pain"]);
    let (_, v) = app
        .get(
            "/api/v1/organizations?place=Aosta&kind=purchasing_group",
            None,
        )
        .await;
    assert_eq!(v["total"], 1);
    let (s, v) = app.get("/api/v1/organizations?kind=bank", None).await;
    assert_eq!(s, 422);
    assert_eq!(v["error"]["code"], "invalid_kind");
    let (s, v) = app.get("/api/v1/organizations?limit=501", None).await;
    assert_eq!(s, 422);
    assert_eq!(v["error"]["code"], "invalid_limit");
    assert!(v["error"]["message"].as_str().unwrap().len() > 5);
    let (s, v) = app.get("/api/v1/organizations?limit=abc", None).await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["code"], "invalid_query");
}

async fn shows_one_profile_and_hides_pending(app: TestApp) {
    seed(&app).await;
    let (_, list) = app.get("/api/v1/organizations?q=ferme", None).await;
    let id = list["items"][0]["id"].as_str().unwrap();
    let (s, v) = app.get(&format!("/api/v1/organizations/{id}"), None).await;
    assert_eq!(s, 200);
    for field in [
        "id",
        "name",
        "kind",
        "sector",
        "lat",
        "lon",
        "description",
        "website",
        "workers_fte",
    ] {
        assert!(v.get(field).is_some(), "missing {field}");
    }
    assert_eq!(v["workers_fte"], 2.5);
    let (s, v) = app
        .get(
            &format!("/api/v1/organizations/{}", uuid::Uuid::now_v7()),
            None,
        )
        .await;
    assert_eq!((s, v["error"]["code"].as_str()), (404, Some("not_found")));
    let (s, _) = app.get("/api/v1/organizations/not-a-uuid", None).await;
    assert_eq!(s, 404);
    let pending: uuid::Uuid = match &app.db {
        distretto_store::Db::Sqlite { read, .. } => {
            sqlx::query_scalar("SELECT id FROM organizations WHERE status = 'pending'")
                .fetch_one(read)
                .await
                .unwrap()
        }
        distretto_store::Db::Postgres(p) => {
            sqlx::query_scalar("SELECT id FROM organizations WHERE status = 'pending'")
                .fetch_one(p)
                .await
                .unwrap()
        }
    };
    let (s, _) = app
        .get(&format!("/api/v1/organizations/{pending}"), None)
        .await;
    assert_eq!(s, 404, "a pending organisation is not public");
}

async fn open_data_csv_and_murmurations(app: TestApp) {
    seed(&app).await;
    let res = app
        .client
        .get(app.url("/api/v1/directory.csv"))
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
    let body = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().take(3).collect::<Vec<_>>(),
        vec!["id", "name", "kind"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5);
    assert!(
        rows.iter().any(|r| &r[1] == "Société Coopérative du Pain"),
        "UTF-8 kept"
    );

    let (_, index) = app.get("/api/v1/murmurations", None).await;
    assert_eq!(index["total"], 5);
    let profile_url = index["items"][0]["profile_url"].as_str().unwrap();
    let path = profile_url.strip_prefix(&app.base).unwrap();
    let (s, p) = app.get(path, None).await;
    assert_eq!(s, 200);
    assert_eq!(
        p["linked_schemas"],
        serde_json::json!(["organizations_schema-v1.0.0"])
    );
    assert!(p["name"].is_string());
    assert!(p["geolocation"]["lat"].is_number());
    assert!(
        p["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t.as_str().unwrap().contains("essglobal") || t == "association")
    );
}

on_both!(
    lists_and_pages_the_directory,
    search_ignores_accents_and_case,
    filters_by_kind_sector_and_place,
    shows_one_profile_and_hides_pending,
    open_data_csv_and_murmurations
);
