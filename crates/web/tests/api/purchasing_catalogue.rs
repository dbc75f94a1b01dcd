//! Producers' catalogues and groups' pickup points through the pages: adding, editing,
//! withdrawing and restoring products (only by the producer's admins), bad input in each
//! language, photos, CSV and GDXP import (all or nothing, every bad line reported), export
//! round trips, pickup points, and the purchasing entry page.

use crate::harness::{TestApp, answer, csrf_of, page, signed_in, submit};
use crate::on_both;
use distretto_store::purchasing::catalogue as store;
use serde_json::json;
use uuid::Uuid;

const CSV_HEAD: &str = "sku,name,description,unit,step,package_size,price_euro,price_credit,vat_rate,origin,certifications,season,stock";

/// An admitted organisation of `kind` whose admin is a new person `email`; its id.
async fn org(app: &TestApp, coord: &str, email: &str, name: &str, kind: &str) -> Uuid {
    let (_, token) = app.person(email, "Org Admin").await;
    let sector = if kind == "farm" {
        "agriculture"
    } else {
        "retail"
    };
    let (s, a) = app
        .post(
            "/api/v1/applications",
            Some(&token),
            &json!({
                "kind": "new_organization",
                "message": "We join the district",
                "organization": {"name": name, "kind": kind, "sector": sector, "locality": "Aosta", "description": "Member"}
            }),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let (s, v) = app
        .post(
            &format!(
                "/api/v1/applications/{}/decision",
                a["id"].as_str().unwrap()
            ),
            Some(coord),
            &json!({"decision": "admit", "reason": "Signed the charter"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    Uuid::parse_str(a["organization_id"].as_str().unwrap()).unwrap()
}

/// A farm with its admin's browser, a household's browser, and a stranger (another farm's
/// admin) with a browser.
struct World {
    farm: Uuid,
    other_farm: Uuid,
    keeper: reqwest::Client,
    household: reqwest::Client,
    stranger: reqwest::Client,
}

async fn world(app: &TestApp) -> World {
    let (_, coord) = app.coordinator().await;
    let farm = org(app, &coord, "anna@farm.example", "Orto Anna", "farm").await;
    let other_farm = org(app, &coord, "bruno@farm.example", "Cascina Bruno", "farm").await;
    app.member(&coord, "house@home.example").await;
    World {
        farm,
        other_farm,
        keeper: signed_in(app, "anna@farm.example").await,
        household: signed_in(app, "house@home.example").await,
        stranger: signed_in(app, "bruno@farm.example").await,
    }
}

/// Posts a file as a multipart form (the CSRF token first, as the page's form does).
#[allow(clippy::too_many_arguments)]
async fn upload(
    b: &reqwest::Client,
    app: &TestApp,
    form_page: &str,
    action: &str,
    lang: &str,
    field: &str,
    file_name: &str,
    bytes: &[u8],
) -> (u16, String, String) {
    let (_, html) = page(b, app, form_page, lang).await;
    let csrf = csrf_of(&html);
    let boundary = "----DistrettoTestBoundary7MA4YWxk";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let res = b
        .post(app.url(action))
        .header("accept-language", lang)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    answer(res).await
}

fn catalogue(farm: Uuid) -> String {
    format!("/purchasing/producers/{farm}/catalogue")
}

/// A complete product form, with `changes` applied.
fn product_fields<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("sku", "TOM-1"),
        ("name", "Pomodori cuore di bue"),
        ("description", "Raccolti a mano"),
        ("unit", "kg"),
        ("step", "0,5"),
        ("package_size", ""),
        ("price_euro", "3,20"),
        ("price_credit", "2,50"),
        ("vat_rate", "4"),
        ("origin", "Aosta"),
        ("certification", "organic"),
        ("month", "7"),
        ("month", "8"),
        ("stock", "40"),
    ];
    for (k, v) in changes {
        fields.retain(|(f, _)| f != k);
        fields.push((k, v));
    }
    fields
}

/// Adds a product through the form as the farm's keeper; its stored row.
async fn add_product(app: &TestApp, w: &World, changes: &[(&str, &str)]) -> store::ProductRow {
    let path = catalogue(w.farm);
    let (s, location, body) = submit(
        &w.keeper,
        app,
        &format!("{path}/new"),
        &path,
        "en",
        &product_fields(changes),
    )
    .await;
    assert_eq!(s, 303, "{body}");
    assert_eq!(location, format!("{path}?done=added"));
    let rows = store::products_of(&app.db, w.farm, false).await.unwrap();
    let sku = changes
        .iter()
        .find(|(k, _)| *k == "sku")
        .map_or("TOM-1", |(_, v)| *v);
    rows.into_iter().find(|r| r.sku == sku).unwrap()
}

async fn products_added_changed_and_withdrawn_by_keepers_only(app: TestApp) {
    let w = world(&app).await;
    let path = catalogue(w.farm);
    let p = add_product(&app, &w, &[]).await;
    assert_eq!(p.step_milli, 500);
    assert_eq!(p.price_euro_minor, Some(320));
    assert_eq!(p.price_credit_minor, Some(250));
    assert_eq!(p.vat_basis_points, 400);
    assert_eq!(p.certifications, "organic");
    assert_eq!(p.season_months, 0b1100_0000);
    assert_eq!(p.stock_milli, Some(40_000));

    // A household sees it, in its language; it has no keeper's buttons.
    let (s, html) = page(&w.household, &app, &path, "fr").await;
    assert_eq!(s, 200);
    assert!(html.contains("Pomodori cuore di bue"), "{html}");
    assert!(html.contains("3,20"), "euro price in French");
    assert!(html.contains("juillet, août"), "season months");
    assert!(html.contains("Agriculture biologique"));
    assert!(
        !html.contains("/withdraw\""),
        "no keeper's buttons for a household"
    );
    assert!(!html.contains(&format!("{path}/new")));

    // A stranger cannot add, change, withdraw or open the forms; nothing changes.
    let before = app.count("products").await;
    let (s, _, _) = submit(
        &w.stranger,
        &app,
        "/purchasing",
        &path,
        "en",
        &product_fields(&[("sku", "X")]),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _, _) = submit(
        &w.stranger,
        &app,
        "/purchasing",
        &format!("{path}/{}", p.id),
        "en",
        &product_fields(&[("price_euro", "0,01")]),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _, _) = submit(
        &w.stranger,
        &app,
        "/purchasing",
        &format!("{path}/{}/withdraw", p.id),
        "en",
        &[],
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = page(&w.stranger, &app, &format!("{path}/{}/edit", p.id), "en").await;
    assert_eq!(s, 403);
    // Nor through their own catalogue's address with this product.
    let theirs = catalogue(w.other_farm);
    let (s, _, _) = submit(
        &w.stranger,
        &app,
        &format!("{theirs}/new"),
        &format!("{theirs}/{}/withdraw", p.id),
        "en",
        &[],
    )
    .await;
    assert_eq!(s, 404);
    assert_eq!(app.count("products").await, before);
    assert_eq!(store::product(&app.db, p.id).await.unwrap(), p);

    // The keeper changes the price; the form is filled as the keeper types.
    let (s, html) = page(&w.keeper, &app, &format!("{path}/{}/edit", p.id), "it").await;
    assert_eq!(s, 200);
    assert!(html.contains("value=\"3,20\""), "{html}");
    assert!(html.contains("value=\"0,5\""));
    let (s, location, body) = submit(
        &w.keeper,
        &app,
        &format!("{path}/{}/edit", p.id),
        &format!("{path}/{}", p.id),
        "en",
        &product_fields(&[("price_euro", "3,50")]),
    )
    .await;
    assert_eq!(s, 303, "{body}");
    assert_eq!(location, format!("{path}?done=changed"));
    let changed = store::product(&app.db, p.id).await.unwrap();
    assert_eq!(changed.price_euro_minor, Some(350));
    assert_eq!(changed.created_at, p.created_at);

    // Withdrawn: households no longer see it, the keeper does; then restored.
    let (s, location, _) = submit(
        &w.keeper,
        &app,
        &path,
        &format!("{path}/{}/withdraw", p.id),
        "en",
        &[],
    )
    .await;
    assert_eq!(
        (s, location.as_str()),
        (303, format!("{path}?done=withdraw").as_str())
    );
    assert!(!store::product(&app.db, p.id).await.unwrap().active);
    let (_, html) = page(&w.household, &app, &path, "en").await;
    assert!(!html.contains("Pomodori cuore di bue"));
    let (_, html) = page(&w.keeper, &app, &path, "en").await;
    assert!(html.contains("Withdrawn products") && html.contains("Pomodori cuore di bue"));
    let (s, _, _) = submit(
        &w.keeper,
        &app,
        &path,
        &format!("{path}/{}/restore", p.id),
        "en",
        &[],
    )
    .await;
    assert_eq!(s, 303);
    assert!(store::product(&app.db, p.id).await.unwrap().active);

    // A second product with the same code is refused on the code field.
    let (s, _, html) = submit(
        &w.keeper,
        &app,
        &format!("{path}/new"),
        &path,
        "en",
        &product_fields(&[]),
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("Another product of your catalogue already has this code"));
    assert!(html.contains("id=\"sku\"") && html.contains("aria-invalid=\"true\""));
    assert_eq!(app.count("products").await, before);
}

async fn bad_input_is_refused_in_each_language(app: TestApp) {
    let w = world(&app).await;
    let path = catalogue(w.farm);
    let new = format!("{path}/new");
    // (language, changed fields, message, field marked)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: [Case; 6] = [
        (
            "fr",
            vec![("price_euro", "3,205")],
            "Le prix doit être un montant positif",
            "price_euro",
        ),
        (
            "it",
            vec![("unit", "piece"), ("step", "0,5"), ("stock", "")],
            "Pezzi e cassette si ordinano interi",
            "step",
        ),
        (
            "en",
            vec![("package_size", "5")],
            "A product with limited stock cannot also ship in packages",
            "stock",
        ),
        (
            "en",
            vec![("price_euro", ""), ("price_credit", "")],
            "Give a price in euro or in credit",
            "price_euro",
        ),
        (
            "fr",
            vec![("vat_rate", "90")],
            "Le taux de TVA doit être",
            "vat_rate",
        ),
        (
            "it",
            vec![("step", "0,3"), ("package_size", "1"), ("stock", "")],
            "La dimensione della confezione deve essere",
            "package_size",
        ),
    ];
    for (lang, changes, message, field) in cases {
        let (s, _, html) = submit(
            &w.keeper,
            &app,
            &new,
            &path,
            lang,
            &product_fields(&changes),
        )
        .await;
        assert_eq!(s, 422, "{lang} {changes:?}");
        assert!(html.contains(message), "{lang}: {message} in {html}");
        assert!(
            html.contains(&format!("id=\"{field}\"")) && html.contains("aria-invalid=\"true\""),
            "{field} marked"
        );
        assert!(
            html.contains("value=\"Pomodori cuore di bue\""),
            "values are kept"
        );
    }
    let (s, _, html) = submit(
        &w.keeper,
        &app,
        &new,
        &path,
        "en",
        &product_fields(&[("name", "  ")]),
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("Give the product a name"));
    assert_eq!(app.count("products").await, 0);
}

/// The smallest PNG header (enough for the magic-bytes check).
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

async fn photos_are_checked_and_served(app: TestApp) {
    let w = world(&app).await;
    let p = add_product(&app, &w, &[]).await;
    let edit = format!("{}/{}/edit", catalogue(w.farm), p.id);
    let action = format!("{}/{}/photo", catalogue(w.farm), p.id);
    let photo = format!("/purchasing/products/{}/photo", p.id);
    let (s, _) = page(&w.household, &app, &photo, "en").await;
    assert_eq!(s, 404, "no photo yet");

    // Not an image, a GIF, too large, nothing: refused with a clear message, nothing stored.
    let (s, _, html) = upload(
        &w.keeper,
        &app,
        &edit,
        &action,
        "en",
        "photo",
        "x.gif",
        b"GIF89a\x01\0\x01\0",
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        html.contains("This file is not a JPEG, PNG or WebP image"),
        "{html}"
    );
    let mut big = vec![0xFF, 0xD8, 0xFF, 0xE0];
    big.resize(1024 * 1024 + 10, 0);
    let (s, _, html) = upload(
        &w.keeper, &app, &edit, &action, "fr", "photo", "big.jpg", &big,
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("La photo est trop lourde"), "{html}");
    let (s, _, html) = upload(&w.keeper, &app, &edit, &action, "it", "photo", "", b"").await;
    assert_eq!(s, 422);
    assert!(html.contains("Scegliete una foto da caricare"));
    assert!(store::photo(&app.db, p.id).await.unwrap().is_none());

    // A stranger's upload is refused; no token, refused too.
    let (s, _, _) = upload(
        &w.stranger,
        &app,
        "/purchasing",
        &action,
        "en",
        "photo",
        "p.png",
        PNG,
    )
    .await;
    assert_eq!(s, 403);
    let res = w
        .keeper
        .post(app.url(&action))
        .header("content-type", "multipart/form-data; boundary=b")
        .body("--b\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.png\"\r\n\r\nxx\r\n--b--\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "a multipart form without its CSRF token");
    assert!(store::photo(&app.db, p.id).await.unwrap().is_none());

    // A PNG is stored and served with its type and a cache header; the catalogue shows it.
    let (s, location, body) =
        upload(&w.keeper, &app, &edit, &action, "en", "photo", "p.png", PNG).await;
    assert_eq!(s, 303, "{body}");
    assert!(location.ends_with("?done=photo"));
    let res = w.household.get(app.url(&photo)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
    let (_, html) = page(&w.household, &app, &catalogue(w.farm), "en").await;
    assert!(html.contains(&photo));
}

fn good_csv() -> String {
    format!(
        "{CSV_HEAD}\n\
         MEL-1,Mele renette,Dolci,kg,1,,2.40,1.90,4,Gressan,organic,9-12,\n\
         ,Uova,Da galline all'aperto,piece,6,,0.45,,10,,,,120\n\
         MIE-1,Miele di castagno,\"Vasetto, 500 g\",box,,6,8.50,7,10,Valle d'Aosta,organic|participatory,,\n"
    )
}

async fn catalogue_files_import_all_or_nothing(app: TestApp) {
    let w = world(&app).await;
    let path = catalogue(w.farm);
    let import = format!("{path}/import");

    // A good CSV: three products added, the one without a code gets one from its name.
    let (s, location, body) = upload(
        &w.keeper,
        &app,
        &path,
        &import,
        "en",
        "file",
        "c.csv",
        good_csv().as_bytes(),
    )
    .await;
    assert_eq!(s, 303, "{body}");
    assert_eq!(
        location,
        format!("{path}?done=import&added=3&updated=0&skipped=0")
    );
    let rows = store::products_of(&app.db, w.farm, false).await.unwrap();
    assert_eq!(rows.len(), 3);
    let eggs = rows.iter().find(|r| r.name == "Uova").unwrap();
    assert_eq!(eggs.sku, "uova");
    assert_eq!(eggs.step_milli, 6_000);
    assert_eq!(eggs.stock_milli, Some(120_000));
    let (_, html) = page(&w.keeper, &app, &location, "en").await;
    assert!(
        html.contains("Catalogue imported: 3 added, 0 replaced."),
        "{html}"
    );

    // Several bad lines: every one reported with its line, in the user's language; nothing
    // imported, nothing changed.
    let bad = format!(
        "{CSV_HEAD}\n\
         MEL-1,Mele renette,,kg,1,,9.99,,4,,,,\n\
         B-1,Pere,,ton,1,,2,,,,,,\n\
         B-2,Noci,,kg,1,,,,,,,,\n\
         \n\
         B-3,Castagne,,kg,1,,2,,4,,magic,,\n"
    );
    let (s, _, html) = upload(
        &w.keeper,
        &app,
        &path,
        &import,
        "it",
        "file",
        "bad.csv",
        bad.as_bytes(),
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("Il file non è stato importato"), "{html}");
    assert!(
        html.contains("Riga 3 (Venduto a)") && html.contains("chilo, pezzo, litro o cassetta"),
        "{html}"
    );
    assert!(
        html.contains("Riga 4 (Prezzo in euro, per unità)") && html.contains("Indicate un prezzo")
    );
    assert!(
        html.contains("Riga 6 (Certificazioni)") && html.contains("Certificazione sconosciuta")
    );
    let after = store::products_of(&app.db, w.farm, false).await.unwrap();
    assert_eq!(after, rows, "nothing imported, MEL-1 not replaced");

    // JSON that is not GDXP, and a file that is not text.
    let (s, _, html) = upload(
        &w.keeper,
        &app,
        &path,
        &import,
        "fr",
        "file",
        "x.json",
        br#"{"products": []}"#,
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("pas un catalogue GDXP"), "{html}");
    let (s, _, html) = upload(
        &w.keeper,
        &app,
        &path,
        &import,
        "en",
        "file",
        "x.bin",
        &[0xFF, 0xFE, 0x00, 0x80],
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("This file is not text"));

    // A stranger's import is refused.
    let (s, _, _) = upload(
        &w.stranger,
        &app,
        "/purchasing",
        &import,
        "en",
        "file",
        "c.csv",
        good_csv().as_bytes(),
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(
        store::products_of(&app.db, w.farm, false).await.unwrap(),
        rows
    );

    // Importing again replaces by code: one changed price, nothing added.
    let again = good_csv().replace("2.40", "2.60");
    let (s, location, _) = upload(
        &w.keeper,
        &app,
        &path,
        &import,
        "en",
        "file",
        "c.csv",
        again.as_bytes(),
    )
    .await;
    assert_eq!(s, 303);
    assert_eq!(
        location,
        format!("{path}?done=import&added=0&updated=3&skipped=0")
    );
    let apples = store::products_of(&app.db, w.farm, false).await.unwrap();
    let apples = apples.iter().find(|r| r.sku == "MEL-1").unwrap();
    assert_eq!(apples.price_euro_minor, Some(260));
}

/// The fields a catalogue file carries (no ids, producers or dates).
fn comparable(rows: &[store::ProductRow], with_credit: bool) -> Vec<String> {
    let mut out: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{}|{}|{}|{}|{}|{}|{:?}|{:?}|{}|{}|{}|{}|{:?}",
                r.sku,
                r.name,
                r.description,
                r.unit,
                r.step_milli,
                r.package_size_milli,
                r.price_euro_minor,
                if with_credit {
                    r.price_credit_minor
                } else {
                    None
                },
                r.vat_basis_points,
                r.origin,
                r.certifications,
                r.season_months,
                r.stock_milli
            )
        })
        .collect();
    out.sort();
    out
}

async fn exports_import_back_the_same_products(app: TestApp) {
    let w = world(&app).await;
    let path = catalogue(w.farm);
    let (s, _, _) = upload(
        &w.keeper,
        &app,
        &path,
        &format!("{path}/import"),
        "en",
        "file",
        "c.csv",
        good_csv().as_bytes(),
    )
    .await;
    assert_eq!(s, 303);
    add_product(
        &app,
        &w,
        &[
            ("sku", "CRD-1"),
            ("name", "Only in credit"),
            ("price_euro", ""),
        ],
    )
    .await;
    let ours = store::products_of(&app.db, w.farm, false).await.unwrap();

    // CSV: a household downloads it; the other farm imports it and has the same products.
    let res = w
        .household
        .get(app.url(&format!("{path}/export.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"catalogue-orto-anna.csv\""
    );
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with(CSV_HEAD));
    let theirs = catalogue(w.other_farm);
    let (s, location, body) = upload(
        &w.stranger,
        &app,
        &theirs,
        &format!("{theirs}/import"),
        "en",
        "file",
        "c.csv",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(s, 303, "{body}");
    assert!(location.contains("added=4"));
    let copied = store::products_of(&app.db, w.other_farm, false)
        .await
        .unwrap();
    assert_eq!(comparable(&copied, true), comparable(&ours, true));

    // GDXP: euro products only (credit prices are not GDXP's); imported into a third farm.
    let res = w
        .household
        .get(app.url(&format!("{path}/export.json")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"catalogue-orto-anna.gdxp.json\""
    );
    let gdxp = res.text().await.unwrap();
    let doc: serde_json::Value = serde_json::from_str(&gdxp).unwrap();
    assert_eq!(doc["blocks"][0]["supplier"]["name"], "Orto Anna");
    let coord = app.token("coord@test.example").await;
    let third = org(&app, &coord, "carla@farm.example", "Cascina Carla", "farm").await;
    let carla = signed_in(&app, "carla@farm.example").await;
    let theirs = catalogue(third);
    let (s, location, body) = upload(
        &carla,
        &app,
        &theirs,
        &format!("{theirs}/import"),
        "en",
        "file",
        "c.json",
        gdxp.as_bytes(),
    )
    .await;
    assert_eq!(s, 303, "{body}");
    assert!(location.contains("added=3"), "{location}");
    let copied = store::products_of(&app.db, third, false).await.unwrap();
    let euro: Vec<store::ProductRow> = ours
        .iter()
        .filter(|r| r.price_euro_minor.is_some())
        .cloned()
        .collect();
    assert_eq!(comparable(&copied, false), comparable(&euro, false));

    // Re-importing its own GDXP keeps the credit prices GDXP cannot carry.
    let (s, location, _) = upload(
        &w.keeper,
        &app,
        &path,
        &format!("{path}/import"),
        "en",
        "file",
        "c.json",
        gdxp.as_bytes(),
    )
    .await;
    assert_eq!(s, 303);
    assert!(location.contains("added=0&updated=3"), "{location}");
    let after = store::products_of(&app.db, w.farm, false).await.unwrap();
    assert_eq!(comparable(&after, true), comparable(&ours, true));
}

async fn pickup_points_are_kept_by_the_group(app: TestApp) {
    let (_, coord) = app.coordinator().await;
    let gas = org(
        &app,
        &coord,
        "gina@gas.example",
        "GAS Aosta Centro",
        "purchasing_group",
    )
    .await;
    org(
        &app,
        &coord,
        "otto@gas.example",
        "GAS Pont",
        "purchasing_group",
    )
    .await;
    let gina = signed_in(&app, "gina@gas.example").await;
    let otto = signed_in(&app, "otto@gas.example").await;
    let path = format!("/purchasing/groups/{gas}/pickups");

    let fields = [
        ("name", "Bottega del quartiere"),
        ("address", "Via Roma 1, Aosta"),
        ("coordinates", "45,7371 7,3151"),
    ];
    let (s, location, body) = submit(&gina, &app, &path, &path, "en", &fields).await;
    assert_eq!(s, 303, "{body}");
    assert_eq!(location, format!("{path}?done=added"));
    let pickups = store::pickups_of(&app.db, gas).await.unwrap();
    assert_eq!(pickups.len(), 1);
    assert_eq!(
        (pickups[0].lat, pickups[0].lon),
        (Some(45.7371), Some(7.3151))
    );

    // Bad coordinates and a missing name: refused in the user's language, values kept.
    let (s, _, html) = submit(
        &gina,
        &app,
        &path,
        &path,
        "it",
        &[
            ("name", "Scuola"),
            ("address", "Via Monte 2"),
            ("coordinates", "95, 7"),
        ],
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        html.contains("Le coordinate sono latitudine e poi longitudine"),
        "{html}"
    );
    assert!(html.contains("value=\"Via Monte 2\""));
    let (s, _, html) = submit(
        &gina,
        &app,
        &path,
        &path,
        "fr",
        &[("name", ""), ("address", "Via Monte 2")],
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("Donnez un nom au point de retrait"));

    // Another group's admin sees the list but cannot add or withdraw.
    let (s, html) = page(&otto, &app, &path, "en").await;
    assert_eq!(s, 200);
    assert!(html.contains("Bottega del quartiere") && !html.contains("/withdraw\""));
    let (s, _, _) = submit(&otto, &app, "/purchasing", &path, "en", &fields).await;
    assert_eq!(s, 403);
    let withdraw = format!("{path}/{}/withdraw", pickups[0].id);
    let (s, _, _) = submit(&otto, &app, "/purchasing", &withdraw, "en", &[]).await;
    assert_eq!(s, 403);
    assert_eq!(store::pickups_of(&app.db, gas).await.unwrap(), pickups);

    // The group's admin withdraws it.
    let (s, location, _) = submit(&gina, &app, &path, &withdraw, "en", &[]).await;
    assert_eq!((s, location), (303, format!("{path}?done=withdrawn")));
    assert!(store::pickups_of(&app.db, gas).await.unwrap().is_empty());
    assert!(!store::pickup(&app.db, pickups[0].id).await.unwrap().active);

    // A farm has no pickup points page.
    let farm = org(&app, &coord, "fred@farm.example", "Orto Fred", "farm").await;
    let (s, _) = page(
        &gina,
        &app,
        &format!("/purchasing/groups/{farm}/pickups"),
        "en",
    )
    .await;
    assert_eq!(s, 404);
}

async fn the_entry_page_lists_catalogues_and_groups(app: TestApp) {
    let w = world(&app).await;
    let (s, html) = page(&w.household, &app, "/purchasing", "en").await;
    assert_eq!(s, 200);
    assert!(html.contains("No producer has published a catalogue yet."));
    add_product(&app, &w, &[]).await;
    let (_, html) = page(&w.household, &app, "/purchasing", "en").await;
    assert!(
        html.contains(&catalogue(w.farm))
            && html.contains("Orto Anna")
            && html.contains("1 product")
    );
    assert!(
        !html.contains(&catalogue(w.other_farm)),
        "a farm without products is not listed"
    );
    // The keepers find their own catalogue there, even an empty one.
    let (_, html) = page(&w.stranger, &app, "/purchasing", "it").await;
    assert!(html.contains("I listini che gestite") && html.contains(&catalogue(w.other_farm)));
    // Visitors sign in first.
    let (s, _) = page(&crate::harness::browser(), &app, "/purchasing", "en").await;
    assert_ne!(s, 200);
}

on_both!(
    products_added_changed_and_withdrawn_by_keepers_only,
    bad_input_is_refused_in_each_language,
    photos_are_checked_and_served,
    catalogue_files_import_all_or_nothing,
    exports_import_back_the_same_products,
    pickup_points_are_kept_by_the_group,
    the_entry_page_lists_catalogues_and_groups,
);
