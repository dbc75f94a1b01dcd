//! Mutual-credit pages over plain HTTP (no browser): the account page, paying through the form
//! (once per form, even posted twice), errors in the user's language that write nothing, the
//! CSV statement, payment requests with their QR code, and the coordinators' pages.

use crate::harness::{TestApp, browser, page, signed_in};
use crate::on_both;

/// A coordinator, an admitted member and an admitted farm.
struct District {
    coord: String,
    member_token: String,
    member_account: String,
    farm_token: String,
    farm_account: String,
}

async fn district(app: &TestApp) -> District {
    let (_, coord) = app.coordinator().await;
    let (_, member_token, member_account) = app.member(&coord, "paolo@example.org").await;
    let (org, farm_token) = app
        .admitted_org(&coord, "anna@farm.example", "Orto Anna")
        .await;
    let (s, o) = app.get(&format!("/api/v1/organizations/{org}"), None).await;
    assert_eq!(s, 200, "{o}");
    District {
        coord,
        member_token,
        member_account,
        farm_token,
        farm_account: o["account_id"].as_str().unwrap().to_owned(),
    }
}

/// The value of the first `name="…"` input of a page.
fn input_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// Posts a form; returns status, `Location` and body.
async fn post_form(
    b: &reqwest::Client,
    app: &TestApp,
    path: &str,
    lang: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let res = b
        .post(app.url(path))
        .header("accept-language", lang)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, res.text().await.unwrap())
}

async fn balance(app: &TestApp, token: &str, account: &str) -> i64 {
    let (s, a) = app
        .get(&format!("/api/v1/accounts/{account}"), Some(token))
        .await;
    assert_eq!(s, 200, "{a}");
    a["balance"].as_i64().unwrap()
}

async fn paying_through_the_form_moves_money_once(app: TestApp) {
    let d = district(&app).await;
    let b = signed_in(&app, "paolo@example.org").await;
    let (s, html) = page(&b, &app, "/pay", "en").await;
    assert_eq!(s, 200, "{html}");
    let csrf = input_value(&html, "csrf");
    let key = input_value(&html, "key");
    assert_eq!(key.len(), 36, "a fresh UUID keys the form");
    let form = [
        ("csrf", csrf.as_str()),
        ("key", key.as_str()),
        ("from", d.member_account.as_str()),
        ("to_id", d.farm_account.as_str()),
        ("amount", "12,50"),
        ("memo", "Vegetables"),
    ];
    let (s, location, body) = post_form(&b, &app, "/pay", "en", &form).await;
    assert_eq!(s, 303, "{body}");
    assert_eq!(location, format!("/account/{}?done=paid", d.member_account));
    // The same form posted again (a double tap, a resend after a lost answer) pays once.
    let (s, again, _) = post_form(&b, &app, "/pay", "en", &form).await;
    assert_eq!(s, 303);
    assert_eq!(again, location);
    assert_eq!(app.count("transfers").await, 1);
    assert_eq!(
        balance(&app, &d.member_token, &d.member_account).await,
        -1_250
    );
    assert_eq!(balance(&app, &d.farm_token, &d.farm_account).await, 1_250);

    let (s, html) = page(&b, &app, &location, "en").await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("Payment made."));
    assert!(
        html.contains("\u{2212}12.50\u{a0}Cr"),
        "negative balance shown with a minus"
    );
    assert!(html.contains("Orto Anna"), "the counterparty is named");
    assert!(
        html.contains("role=\"img\"")
            && html.contains("aria-labelledby=\"balance-chart-title balance-chart-desc\"")
    );
    assert!(html.contains(&format!("/account/{}/statement.csv", d.member_account)));
    // The farm sees it coming in; a filter on direction "out" hides it.
    let f = signed_in(&app, "anna@farm.example").await;
    let (s, html) = page(&f, &app, &format!("/account/{}", d.farm_account), "it").await;
    assert_eq!(s, 200);
    assert!(html.contains("12,50\u{a0}Cr") && html.contains("Vegetables"));
    let (_, html) = page(
        &f,
        &app,
        &format!("/account/{}?direction=out", d.farm_account),
        "en",
    )
    .await;
    assert!(!html.contains("Vegetables"));
}

async fn a_bad_amount_is_refused_in_french_and_nothing_is_written(app: TestApp) {
    let d = district(&app).await;
    let b = signed_in(&app, "paolo@example.org").await;
    let (_, html) = page(&b, &app, "/pay", "fr").await;
    let csrf = input_value(&html, "csrf");
    let key = input_value(&html, "key");
    for (amount, message) in [
        ("douze", "Écrivez le montant comme un nombre"),
        ("1,234", "plus de décimales"),
        ("0", "supérieur à zéro"),
    ] {
        let form = [
            ("csrf", csrf.as_str()),
            ("key", key.as_str()),
            ("from", d.member_account.as_str()),
            ("to_id", d.farm_account.as_str()),
            ("amount", amount),
            ("memo", "Légumes du jeudi"),
        ];
        let (s, _, html) = post_form(&b, &app, "/pay", "fr", &form).await;
        assert_eq!(s, 422, "{amount}: {html}");
        assert!(html.contains("<html lang=\"fr\">"));
        assert!(html.contains(message), "{amount}: {html}");
        assert!(html.contains("role=\"alert\""));
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(
            html.contains("value=\"Légumes du jeudi\""),
            "the memo is kept"
        );
        assert!(
            html.contains(&format!("value=\"{amount}\"")),
            "the amount is kept"
        );
        assert!(
            html.contains(&format!("value=\"{}\"", d.farm_account)),
            "the payee is kept"
        );
    }
    // Beyond the credit limit (100 units for a person): refused in French too.
    let form = [
        ("csrf", csrf.as_str()),
        ("key", key.as_str()),
        ("from", d.member_account.as_str()),
        ("to_id", d.farm_account.as_str()),
        ("amount", "100,01"),
        ("memo", ""),
    ];
    let (s, _, html) = post_form(&b, &app, "/pay", "fr", &form).await;
    assert_eq!(s, 422, "{html}");
    assert!(html.contains("limite"), "{html}");
    assert_eq!(app.count("transfers").await, 0);
    assert_eq!(balance(&app, &d.member_token, &d.member_account).await, 0);
}

async fn the_statement_csv_has_its_header_and_lines(app: TestApp) {
    let d = district(&app).await;
    let (s, v) = app
        .client
        .post(app.url("/api/v1/transfers"))
        .bearer_auth(&d.member_token)
        .json(&serde_json::json!({"payer": d.member_account, "payee": d.farm_account, "amount": 2_000, "memo": "=cmd|' /C calc'!A0"}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(s, 201, "{:?}", v.text().await);
    let b = signed_in(&app, "paolo@example.org").await;
    let today = time::OffsetDateTime::now_utc().date();
    let from = (today - time::Duration::days(1)).to_string();
    let until = today.to_string();
    let res = b
        .get(app.url(&format!(
            "/account/{}/statement.csv?from={from}&until={until}",
            d.member_account
        )))
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
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"statement-")
            && disposition.ends_with(&format!("{from}-{until}.csv\"")),
        "{disposition}"
    );
    let text = res.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(
        lines[0],
        "date,transfer_id,kind,counterparty,memo,amount_in,amount_out,balance_after"
    );
    assert_eq!(lines[1], format!("{from},,opening_balance,,,,,0.00"));
    assert!(
        lines[2].contains(",payment,Orto Anna,'=cmd|' /C calc'!A0,,20.00,-20.00"),
        "a formula-looking memo is defused: {}",
        lines[2]
    );
    assert_eq!(lines[3], format!("{until},,closing_balance,,,,,-20.00"));
    // A period before any transfer: opening and closing only, at zero.
    let res = b
        .get(app.url(&format!(
            "/account/{}/statement.csv?from=2020-01-01&until=2020-01-31",
            d.member_account
        )))
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    // A bad date is a 422 page, not a file.
    let res = b
        .get(app.url(&format!(
            "/account/{}/statement.csv?from=yesterday",
            d.member_account
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
}

async fn other_peoples_accounts_are_404_and_coordinators_only_read(app: TestApp) {
    let d = district(&app).await;
    app.member(&d.coord, "giulia@example.org").await;
    let g = signed_in(&app, "giulia@example.org").await;
    for path in [
        format!("/account/{}", d.member_account),
        format!("/account/{}/statement.csv", d.member_account),
        "/account/not-an-id".to_owned(),
    ] {
        let (s, _) = page(&g, &app, &path, "en").await;
        assert_eq!(s, 404, "{path}");
    }
    let anonymous = browser();
    let (s, html) = page(
        &anonymous,
        &app,
        &format!("/account/{}", d.member_account),
        "en",
    )
    .await;
    assert_eq!(s, 401);
    assert!(html.contains("/sign-in?next="));

    // A coordinator reads any account page, but may not pay from a member's account.
    let c = signed_in(&app, "coord@test.example").await;
    let (s, html) = page(&c, &app, &format!("/account/{}", d.member_account), "en").await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("Change the limits"));
    let (_, html) = page(&c, &app, "/pay", "en").await;
    let form = [
        ("csrf", input_value(&html, "csrf")),
        ("key", input_value(&html, "key")),
        ("from", d.member_account.clone()),
        ("to_id", d.farm_account.clone()),
        ("amount", "5".to_owned()),
        ("memo", String::new()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, _, html) = post_form(&c, &app, "/pay", "en", &form).await;
    assert_eq!(s, 403, "{html}");
    assert!(html.contains("You may not pay from this account."));
    assert_eq!(app.count("transfers").await, 0);
    // The coordinators' ledger page is theirs alone.
    let (s, html) = page(&c, &app, "/coordination/ledger", "it").await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("Credito reciproco")
            && html.contains("href=\"/coordination/ledger\" aria-current=\"page\"")
    );
    let (s, _) = page(&g, &app, "/coordination/ledger", "en").await;
    assert_eq!(s, 403);
}

async fn coordinators_change_limits_and_reverse_through_forms(app: TestApp) {
    let d = district(&app).await;
    let c = signed_in(&app, "coord@test.example").await;
    let (_, html) = page(&c, &app, &format!("/account/{}", d.member_account), "en").await;
    let csrf = input_value(&html, "csrf");
    let path = format!("/coordination/accounts/{}/limits", d.member_account);
    let (s, _, html) = post_form(
        &c,
        &app,
        &path,
        "fr",
        &[
            ("csrf", &csrf),
            ("credit_limit", "deux cents"),
            ("upper_limit", ""),
            ("reason", "Plus de marge"),
            ("back", "account"),
        ],
    )
    .await;
    assert_eq!(s, 422, "{html}");
    assert!(html.contains("Le plafond de découvert doit être positif ou nul."));
    assert_eq!(app.count("limit_changes").await, 0);
    let (s, location, _) = post_form(
        &c,
        &app,
        &path,
        "en",
        &[
            ("csrf", &csrf),
            ("credit_limit", "200"),
            ("upper_limit", ""),
            ("reason", "Agreed at the assembly"),
            ("back", "account"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    assert_eq!(
        location,
        format!("/account/{}?done=limits", d.member_account)
    );
    let (_, html) = page(&c, &app, &location, "en").await;
    assert!(
        html.contains("The limits are changed and logged.")
            && html.contains("Agreed at the assembly")
    );
    assert!(html.contains("200.00\u{a0}Cr"));

    // A payment, then its reversal from the history row.
    let (s, t) = app
        .post(
            "/api/v1/transfers",
            Some(&d.member_token),
            &serde_json::json!({"payer": d.member_account, "payee": d.farm_account, "amount": 15_000}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    let (_, html) = page(&c, &app, &format!("/account/{}", d.member_account), "en").await;
    let reversal = format!(
        "/coordination/transfers/{}/reversal",
        t["id"].as_str().unwrap()
    );
    assert!(html.contains(&reversal), "a reverse form on the row");
    let (s, location, html) = post_form(
        &c,
        &app,
        &reversal,
        "en",
        &[
            ("csrf", &csrf),
            ("reason", "Paid twice by mistake"),
            ("back", &d.member_account),
        ],
    )
    .await;
    assert_eq!(s, 303, "{html}");
    assert_eq!(
        location,
        format!("/account/{}?done=reversed", d.member_account)
    );
    assert_eq!(balance(&app, &d.member_token, &d.member_account).await, 0);
    let (s, _, html) = post_form(
        &c,
        &app,
        &reversal,
        "en",
        &[
            ("csrf", &csrf),
            ("reason", "Again"),
            ("back", &d.member_account),
        ],
    )
    .await;
    assert_eq!(s, 409, "{html}");
    assert!(html.contains("already been reversed"));
}

async fn a_payment_request_shows_a_qr_code_and_is_paid_from_the_link(app: TestApp) {
    let d = district(&app).await;
    let f = signed_in(&app, "anna@farm.example").await;
    let (s, html) = page(
        &f,
        &app,
        &format!("/requests/new?payee={}", d.farm_account),
        "en",
    )
    .await;
    assert_eq!(s, 200, "{html}");
    let farm_csrf = input_value(&html, "csrf");
    let (s, location, html) = post_form(
        &f,
        &app,
        "/requests",
        "en",
        &[
            ("csrf", &farm_csrf),
            ("payee", &d.farm_account),
            ("payer", ""),
            ("amount", "7,5"),
            ("memo", "Eggs"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{html}");
    assert!(location.starts_with("/requests/") && location.ends_with("?done=created"));
    let id = location
        .trim_start_matches("/requests/")
        .trim_end_matches("?done=created")
        .to_owned();
    let (s, html) = page(&f, &app, &location, "en").await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("<svg class=\"qr-code\" role=\"img\" aria-label="),
        "{html}"
    );
    assert!(html.contains(&format!("{}/pay/{id}", app.base)));
    assert!(html.contains("7.50\u{a0}Cr"));

    // Scanned by someone not signed in: sign in first, then back to the request.
    let anonymous = browser();
    let res = anonymous
        .get(app.url(&format!("/pay/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/sign-in?next=/pay/{id}")
    );

    let b = signed_in(&app, "paolo@example.org").await;
    let (s, html) = page(&b, &app, &format!("/pay/{id}"), "en").await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("Eggs") && html.contains(&d.member_account));
    let csrf = input_value(&html, "csrf");
    let (s, location, html) = post_form(
        &b,
        &app,
        &format!("/pay/{id}"),
        "en",
        &[("csrf", &csrf), ("from", &d.member_account)],
    )
    .await;
    assert_eq!(s, 303, "{html}");
    assert_eq!(location, format!("/account/{}?done=paid", d.member_account));
    assert_eq!(
        balance(&app, &d.member_token, &d.member_account).await,
        -750
    );
    // Paid: no more code, and paying again is refused without writing.
    let (_, html) = page(&f, &app, &format!("/requests/{id}"), "en").await;
    assert!(!html.contains("qr-code") && html.contains("Paid"));
    // (The payer's side no longer sees a paid request addressed to nobody: 404.)
    let (s, _, _) = post_form(
        &b,
        &app,
        &format!("/pay/{id}"),
        "fr",
        &[("csrf", &csrf), ("from", &d.member_account)],
    )
    .await;
    assert!(s == 404 || s == 409, "{s}");
    assert_eq!(app.count("transfers").await, 1);

    // A request asked of a named account shows up in its list, and can be declined.
    let (s, location, _) = post_form(
        &f,
        &app,
        "/requests",
        "en",
        &[
            ("csrf", &farm_csrf),
            ("payee", &d.farm_account),
            ("payer", &d.member_account),
            ("amount", "3"),
            ("memo", "Bread"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    let named = location
        .trim_start_matches("/requests/")
        .trim_end_matches("?done=created")
        .to_owned();
    let (_, html) = page(&b, &app, "/requests", "en").await;
    assert!(html.contains("Bread") && html.contains(&format!("/requests/{named}/decline")));
    let (s, location, _) = post_form(
        &b,
        &app,
        &format!("/requests/{named}/decline"),
        "en",
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(s, 303);
    assert_eq!(location, "/requests?done=declined");
    let (s, html) = page(&b, &app, "/account", "en").await;
    assert_eq!(s, 303, "one account: straight to it {html}");
}

on_both!(
    paying_through_the_form_moves_money_once,
    a_bad_amount_is_refused_in_french_and_nothing_is_written,
    the_statement_csv_has_its_header_and_lines,
    other_peoples_accounts_are_404_and_coordinators_only_read,
    coordinators_change_limits_and_reverse_through_forms,
    a_payment_request_shows_a_qr_code_and_is_paid_from_the_link,
);
