//! Pages over plain HTTP (no browser): rendering, language, CSRF, sign-in flow.
//! The browser tests in tests/browser drive the same flows in Chromium.

use crate::harness::{PASSWORD, TestApp, browser, csrf_of};
use crate::on_both;

async fn every_page_speaks_the_negotiated_language(app: TestApp) {
    for (accept, lang, word) in [
        ("it-IT,it;q=0.9", "it", "Elenco"),
        ("fr-FR", "fr", "Annuaire"),
        ("en-GB", "en", "Directory"),
        ("de-DE", "fr", "Annuaire"),
    ] {
        for path in ["/", "/directory", "/map", "/sign-in", "/register"] {
            let res = app
                .client
                .get(app.url(path))
                .header("accept-language", accept)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{path}");
            let html = res.text().await.unwrap();
            assert!(
                html.contains(&format!("<html lang=\"{lang}\">")),
                "{path} in {lang}"
            );
            assert!(html.contains(word), "{path} in {lang} lacks {word}");
        }
    }
}

async fn the_switcher_remembers_the_language(app: TestApp) {
    let b = browser();
    let res = b
        .get(app.url("/lang/it?next=/directory"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/directory");
    let html = b
        .get(app.url("/directory"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"it\">"));
    let res = b
        .get(app.url("/lang/fr?next=//evil.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/", "no open redirect");
}

async fn forms_need_a_valid_csrf_token(app: TestApp) {
    let b = browser();
    let html = b
        .get(app.url("/register"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_of(&html);
    let form = |csrf: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("name", "Lucia".into()),
            ("email", "lucia@example.org".into()),
            ("password", PASSWORD.into()),
        ]
    };
    let res = b
        .post(app.url("/register"))
        .header("accept-language", "fr")
        .form(&form(""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("<html lang=\"fr\">") && page.contains("formulaire"),
        "error page in the user's language: {page}"
    );
    let res = b
        .post(app.url("/register"))
        .form(&form(&"f".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "forged token");
    let res = reqwest::Client::new()
        .post(app.url("/register"))
        .form(&form(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "a token from another browser");
    assert_eq!(app.count("people").await, 0, "refused forms write nothing");
    let res = b
        .post(app.url("/register"))
        .form(&form(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/apply");
    assert_eq!(app.count("people").await, 1);
}

async fn sign_in_rotates_the_session_and_sign_out_ends_it(app: TestApp) {
    app.person("maria@example.org", "Maria").await;
    let b = browser();
    let html = b
        .get(app.url("/sign-in?next=/me"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_of(&html);
    let res = b
        .post(app.url("/sign-in"))
        .form(&[
            ("csrf", token.as_str()),
            ("email", "maria@example.org"),
            ("password", "wrong password"),
            ("next", "/me"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("role=\"alert\""));
    let res = b
        .post(app.url("/sign-in"))
        .form(&[
            ("csrf", token.as_str()),
            ("email", "maria@example.org"),
            ("password", PASSWORD),
            ("next", "/me"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/me");
    let set = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.starts_with("distretto_session=")
            && set.contains("HttpOnly")
            && set.contains("SameSite=Lax"),
        "{set}"
    );
    let me = b.get(app.url("/me")).send().await.unwrap();
    assert_eq!(me.status(), 200);
    let html = me.text().await.unwrap();
    assert!(html.contains("maria@example.org"));
    let token2 = csrf_of(&html);
    assert_ne!(token, token2, "the CSRF token follows the new session");
    let res = b
        .post(app.url("/sign-out"))
        .form(&[("csrf", token2.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = b.get(app.url("/me")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("/sign-in?next="));
}

async fn unknown_pages_and_objects_are_404_pages(app: TestApp) {
    for path in [
        "/nowhere",
        "/organizations/not-a-uuid",
        &format!("/organizations/{}", uuid::Uuid::now_v7()),
    ] {
        let res = app
            .client
            .get(app.url(path))
            .header("accept-language", "it")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains("<html lang=\"it\">"), "{path}");
    }
    let res = app
        .client
        .get(app.url("/directory?limit=9999"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
}

async fn directory_page_lists_filters_and_pages(app: TestApp) {
    let (_, coord) = app.coordinator().await;
    app.admitted_org(&coord, "a@example.org", "Ferme des Écureuils")
        .await;
    let html = app
        .client
        .get(app.url("/directory?q=ecureuils"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Ferme des Écureuils"));
    let html = app
        .client
        .get(app.url("/directory?q=nothing-like-this"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Ferme des Écureuils"));
    let res = app
        .client
        .get(app.url("/directory/points.json?kind=farm"))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["total"], 1);
    assert!(
        v["items"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with("/organizations/")
    );
}

on_both!(
    every_page_speaks_the_negotiated_language,
    the_switcher_remembers_the_language,
    forms_need_a_valid_csrf_token,
    sign_in_rotates_the_session_and_sign_out_ends_it,
    unknown_pages_and_objects_are_404_pages,
    directory_page_lists_filters_and_pages,
);

async fn malformed_and_oversized_forms_get_error_pages(app: TestApp) {
    let b = browser();
    let html = b
        .get(app.url("/register"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_of(&html);
    let res = b
        .post(app.url("/register"))
        .header("content-type", "application/json")
        .header("accept-language", "it")
        .body(format!(
            "csrf={token}&name=Luca&email=x%40example.org&password=abcdefghijkl"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "a form body that is not a form");
    let page = res.text().await.unwrap();
    assert!(
        page.contains("<html lang=\"it\">") && page.contains("role=\"alert\""),
        "{page}"
    );
    let big = format!("csrf={token}&name={}", "x".repeat(100_000));
    let res = b
        .post(app.url("/register"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert!(
        res.text().await.unwrap().contains("role=\"alert\""),
        "an error page, not a bare status"
    );
    assert_eq!(app.count("people").await, 0, "nothing written");
}

on_both!(malformed_and_oversized_forms_get_error_pages);

/// Rendering a directory answer computes its total under a second lock; many distinct pages
/// in a row would hang if the two locks could ever be the same one.
async fn many_distinct_directory_pages_never_hang(app: TestApp) {
    let run = async {
        for i in 0..48 {
            let res = app
                .client
                .get(app.url(&format!("/directory?q=w{i}&offset=1")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let (s, _) = app
                .get(&format!("/api/v1/organizations?q=w{i}&offset=1"), None)
                .await;
            assert_eq!(s, 200);
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), run)
        .await
        .expect("directory requests hung");
}

on_both!(many_distinct_directory_pages_never_hang);
