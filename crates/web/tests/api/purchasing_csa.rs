//! Seasonal subscriptions end to end through the pages: plans with bad input in each language,
//! subscribing up front and in instalments with the exact ledger effects, duplicates (also
//! concurrent), capacity, a household over its credit limit, instalments falling due charged
//! once, skipping with and without notice (a make-up week, no money), euro plans, and
//! strangers who change nothing.

use crate::harness::{TestApp, page, signed_in, submit};
use crate::on_both;
use distretto_domain::membership::Role;
use distretto_store::purchasing::subscriptions as store;
use distretto_web::auth::viewer::Actor;
use distretto_web::i18n::Lang;
use distretto_web::purchasing::csa::service;
use time::{Date, Duration};
use uuid::Uuid;

/// A farm with its admin's browser, and two households with theirs.
struct Setup {
    farm: Uuid,
    farm_account: Uuid,
    farmer: reqwest::Client,
    households: Vec<Household>,
}

struct Household {
    id: Uuid,
    account: Uuid,
    browser: reqwest::Client,
}

const HOUSEHOLDS: [&str; 3] = [
    "anna@home.example",
    "bruno@home.example",
    "carla@home.example",
];

async fn setup(app: &TestApp) -> Setup {
    let (_, coord) = app.coordinator().await;
    let (farm, _) = app
        .admitted_org(&coord, "farmer@orto.example", "Orto del Sole")
        .await;
    let farm = Uuid::parse_str(&farm).unwrap();
    let farm_account = distretto_store::accounts::of_owner(&app.db, "organization", farm)
        .await
        .unwrap()[0]
        .id;
    let mut households = Vec::new();
    for email in HOUSEHOLDS {
        let (id, _, account) = app.member(&coord, email).await;
        households.push(Household {
            id: Uuid::parse_str(&id).unwrap(),
            account: Uuid::parse_str(&account).unwrap(),
            browser: signed_in(app, email).await,
        });
    }
    Setup {
        farm,
        farm_account,
        farmer: signed_in(app, "farmer@orto.example").await,
        households,
    }
}

fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

/// The text of a page without askama's escapes, to look for messages.
fn text(html: &str) -> String {
    html.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

fn lang_of(code: &str) -> Lang {
    Lang::parse(code).unwrap()
}

/// A form field and its value.
type Field = (&'static str, String);

/// A plan's form: eight weekly deliveries from ten days ahead, 7 days' notice, up to 3
/// instalments, at `price` a share, changed by `extra`.
fn plan_fields(price: &str, extra: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    let first = today() + Duration::days(10);
    let mut fields = vec![
        ("name", "Cassetta dell'orto".to_owned()),
        ("description", "Verdure di stagione".to_owned()),
        ("currency", "CRD".to_owned()),
        ("share_price", price.to_owned()),
        ("first_delivery", first.to_string()),
        ("last_delivery", (first + Duration::weeks(7)).to_string()),
        ("every_weeks", "1".to_owned()),
        ("notice_days", "7".to_owned()),
        ("instalments", "3".to_owned()),
        ("pickup", String::new()),
        ("capacity", String::new()),
    ];
    for (k, v) in extra {
        if let Some(f) = fields.iter_mut().find(|(name, _)| name == k) {
            f.1 = v.clone();
        }
    }
    fields
}

/// The farm's admin opens a plan through the form; its id.
async fn new_plan(app: &TestApp, s: &Setup, price: &str, extra: &[(&'static str, String)]) -> Uuid {
    let path = format!("/purchasing/producers/{}/csa", s.farm);
    let fields = plan_fields(price, extra);
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, location, body) = submit(&s.farmer, app, &path, &path, "en", &refs).await;
    assert_eq!(status, 303, "{body}");
    let id = location
        .split('/')
        .next_back()
        .unwrap()
        .split('?')
        .next()
        .unwrap();
    Uuid::parse_str(id).unwrap()
}

/// A household subscribes through the page: (status, location, body).
async fn subscribe(
    app: &TestApp,
    h: &Household,
    plan: Uuid,
    instalments: &str,
    lang: &str,
) -> (u16, String, String) {
    let account = h.account.to_string();
    submit(
        &h.browser,
        app,
        "/purchasing/csa",
        &format!("/purchasing/csa/plans/{plan}/subscribe"),
        lang,
        &[("instalments", instalments), ("account", &account)],
    )
    .await
}

fn subscription_of(location: &str) -> Uuid {
    let id = location
        .trim_start_matches("/purchasing/csa/subscriptions/")
        .split('?')
        .next()
        .unwrap();
    Uuid::parse_str(id).unwrap()
}

async fn balance(app: &TestApp, account: Uuid) -> i64 {
    distretto_store::accounts::get(&app.db, account)
        .await
        .unwrap()
        .balance_minor
}

fn actor(h: &Household) -> Actor {
    Actor {
        id: h.id,
        email: "household@home.example".into(),
        name: "Household".into(),
        role: Role::Person,
        membership_status: "admitted".into(),
    }
}

async fn plans_refuse_bad_input_in_each_language(app: TestApp) {
    let s = setup(&app).await;
    let path = format!("/purchasing/producers/{}/csa", s.farm);
    let first = today() + Duration::days(10);
    let cases: [(&[Field], &str, &str); 8] = [
        (
            &[("last_delivery", (first - Duration::days(7)).to_string())],
            "csa_bad_season_dates",
            "fr",
        ),
        (
            &[("last_delivery", (first + Duration::days(10)).to_string())],
            "csa_last_delivery_off_schedule",
            "it",
        ),
        (&[("name", "  ".into())], "csa_name_required", "en"),
        (
            &[("first_delivery", "next monday".into())],
            "csa_bad_date",
            "fr",
        ),
        (
            &[
                ("first_delivery", (today() - Duration::days(7)).to_string()),
                ("last_delivery", today().to_string()),
            ],
            "csa_first_delivery_past",
            "it",
        ),
        (&[("notice_days", "61".into())], "csa_bad_notice", "en"),
        (&[("capacity", "0".into())], "csa_bad_capacity", "fr"),
        (&[("currency", "USD".into())], "csa_bad_currency", "it"),
    ];
    for (extra, code, lang) in cases {
        let fields = plan_fields("5,00", extra);
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, _, body) = submit(&s.farmer, &app, &path, &path, lang, &refs).await;
        assert_eq!(status, 422, "{code}: {body}");
        let message = lang_of(lang).t(code);
        assert!(text(&body).contains(&message), "{code} in {lang}: {body}");
        assert!(
            body.contains("aria-invalid=\"true\"")
                || body.contains("<fieldset aria-describedby=\"form-error\""),
            "{code}: field marked"
        );
    }
    for (price, code, lang) in [
        ("0", "csa_bad_price", "fr"),
        ("cinque", "csa_bad_price", "it"),
        ("5,001", "csa_too_many_decimals", "en"),
    ] {
        let fields = plan_fields(price, &[]);
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, _, body) = submit(&s.farmer, &app, &path, &path, lang, &refs).await;
        assert_eq!(status, 422, "{price}: {body}");
        assert!(text(&body).contains(&lang_of(lang).t(code)), "{price}");
    }
    assert_eq!(app.count("csa_plans").await, 0);
    // A household is no admin of the farm: refused, nothing made.
    let h = &s.households[0];
    let (status, _) = page(&h.browser, &app, &path, "en").await;
    assert_eq!(status, 403);
    let fields = plan_fields("5,00", &[]);
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, _) = submit(&h.browser, &app, "/purchasing/csa", &path, "en", &refs).await;
    assert_eq!(status, 403);
    assert_eq!(app.count("csa_plans").await, 0);
    // Without its CSRF token the form is refused too.
    let res = s
        .farmer
        .post(app.url(&path))
        .form(&refs)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(app.count("csa_plans").await, 0);
    // A good plan is listed to households with its season total.
    let plan = new_plan(&app, &s, "5,00", &[]).await;
    let (status, html) = page(&h.browser, &app, "/purchasing/csa", "en").await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("/purchasing/csa/plans/{plan}/subscribe")));
    assert!(html.contains("40.00"), "8 deliveries × 5.00: {html}");
}

async fn subscriptions_pay_exactly_once(app: TestApp) {
    let s = setup(&app).await;
    let plan = new_plan(&app, &s, "5,01", &[]).await;
    let [anna, bruno, _] = &s.households[..] else {
        unreachable!()
    };
    let total = 8 * 501;
    // Up front: the whole season at once.
    let (status, location, body) = subscribe(&app, anna, plan, "1", "en").await;
    assert_eq!(status, 303, "{body}");
    let a_sub = subscription_of(&location);
    assert_eq!(balance(&app, anna.account).await, -total);
    assert_eq!(balance(&app, s.farm_account).await, total);
    assert_eq!(app.count("transfers").await, 1);
    let sub = store::subscription(&app.db, a_sub).await.unwrap();
    assert_eq!(sub.status, "active");
    assert_eq!(store::deliveries_of(&app.db, a_sub).await.unwrap().len(), 8);
    // In three instalments: the first now, the sum exactly the season's price.
    let (status, location, _) = subscribe(&app, bruno, plan, "3", "it").await;
    assert_eq!(status, 303);
    let b_sub = subscription_of(&location);
    let instalments = store::instalments_of(&app.db, b_sub).await.unwrap();
    assert_eq!(instalments.len(), 3);
    assert_eq!(
        instalments.iter().map(|i| i.amount_minor).sum::<i64>(),
        total
    );
    assert_eq!(
        instalments
            .iter()
            .map(|i| i.amount_minor)
            .collect::<Vec<_>>(),
        vec![1_336, 1_336, 1_336]
    );
    assert_eq!(instalments[0].due, today());
    assert!(instalments[0].paid_at.is_some() && instalments[1].paid_at.is_none());
    assert_eq!(balance(&app, bruno.account).await, -1_336);
    assert_eq!(app.count("transfers").await, 2);
    let (_, html) = page(
        &bruno.browser,
        &app,
        &format!("/purchasing/csa/subscriptions/{b_sub}"),
        "it",
    )
    .await;
    assert!(html.contains(&Lang::It.t("csa_instalment_paid")));
    assert!(html.contains(&Lang::It.t("csa_instalment_due")));
    // Nothing is due yet; at the season's end both remaining instalments are, once.
    assert_eq!(
        service::charge_due_instalments(&app.state, today())
            .await
            .unwrap(),
        0
    );
    let end = instalments[2].due;
    assert_eq!(
        service::charge_due_instalments(&app.state, end)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        service::charge_due_instalments(&app.state, end)
            .await
            .unwrap(),
        0
    );
    assert_eq!(app.count("transfers").await, 4);
    assert_eq!(balance(&app, bruno.account).await, -total);
    assert_eq!(balance(&app, s.farm_account).await, 2 * total);
    assert!(
        store::instalments_of(&app.db, b_sub)
            .await
            .unwrap()
            .iter()
            .all(|i| i.paid_at.is_some() && i.transfer_id.is_some())
    );
    // The farm sees both subscribers fully paid.
    let (status, html) = page(
        &s.farmer,
        &app,
        &format!("/purchasing/producers/{}/csa/{plan}", s.farm),
        "en",
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("1/1") && html.contains("3/3"), "{html}");
    // Another household cannot read the subscription, nor skip in it.
    let carla = &s.households[2];
    let (status, _) = page(
        &carla.browser,
        &app,
        &format!("/purchasing/csa/subscriptions/{b_sub}"),
        "en",
    )
    .await;
    assert_eq!(status, 404);
    let day = store::deliveries_of(&app.db, b_sub).await.unwrap()[2]
        .day
        .to_string();
    let (status, _, _) = submit(
        &carla.browser,
        &app,
        "/purchasing/csa",
        &format!("/purchasing/csa/subscriptions/{b_sub}/skip"),
        "en",
        &[("day", &day)],
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(app.count("csa_deliveries").await, 16);
    // Nor can a household manage the farm's plan.
    let (status, _) = page(
        &carla.browser,
        &app,
        &format!("/purchasing/producers/{}/csa/{plan}", s.farm),
        "en",
    )
    .await;
    assert_eq!(status, 403);
    let (status, _, _) = submit(
        &carla.browser,
        &app,
        "/purchasing/csa",
        &format!("/purchasing/producers/{}/csa/{plan}/status", s.farm),
        "en",
        &[("open", "0")],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(store::plan(&app.db, plan).await.unwrap().status, "open");
}

async fn duplicates_capacity_and_credit_limits(app: TestApp) {
    let s = setup(&app).await;
    let [anna, bruno, carla] = &s.households[..] else {
        unreachable!()
    };
    let plan = new_plan(&app, &s, "5", &[("capacity", "2".into())]).await;
    // Two requests of the same household at once: one subscription, one charge.
    let (first, second) = tokio::join!(
        subscribe(&app, anna, plan, "1", "en"),
        subscribe(&app, anna, plan, "1", "en")
    );
    let mut statuses = [first.0, second.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 409], "{} / {}", first.2, second.2);
    let refused = if first.0 == 409 { &first.2 } else { &second.2 };
    assert!(text(refused).contains(&Lang::En.t("csa_already_subscribed")));
    assert_eq!(app.count("csa_subscriptions").await, 1);
    assert_eq!(app.count("transfers").await, 1);
    assert_eq!(balance(&app, anna.account).await, -4_000);
    // Again later: refused in French, nothing more.
    let (status, _, body) = subscribe(&app, anna, plan, "1", "fr").await;
    assert_eq!(status, 409);
    assert!(text(&body).contains(&Lang::Fr.t("csa_already_subscribed")));
    // Capacity 2: Bruno takes the last place, Carla finds it full.
    let (status, _, _) = subscribe(&app, bruno, plan, "2", "en").await;
    assert_eq!(status, 303);
    let (status, _, body) = subscribe(&app, carla, plan, "1", "it").await;
    assert_eq!(status, 409, "{body}");
    assert!(text(&body).contains(&Lang::It.t("csa_plan_full")));
    assert_eq!(app.count("csa_subscriptions").await, 2);
    assert_eq!(app.count("transfers").await, 2);
    assert_eq!(balance(&app, carla.account).await, 0);
    // Over the credit limit (people: −100.00): 8 × 20.00 up front is refused, with its reason,
    // and leaves no subscription and no money moved.
    let dear = new_plan(&app, &s, "20", &[]).await;
    let (status, _, body) = subscribe(&app, carla, dear, "1", "fr").await;
    assert_eq!(status, 422, "{body}");
    assert!(text(&body).contains(&Lang::Fr.t("csa_refused_credit_limit")));
    assert_eq!(balance(&app, carla.account).await, 0);
    assert_eq!(app.count("transfers").await, 2);
    assert!(
        store::subscriptions_of_person(&app.db, carla.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store::taken(&app.db, dear).await.unwrap(), 0);
    // In three instalments the first fits; the second falls due and does not: it stays
    // unpaid, shown overdue, and a later run still charges nothing.
    let (status, location, body) = subscribe(&app, carla, dear, "3", "en").await;
    assert_eq!(status, 303, "{body}");
    let sub = subscription_of(&location);
    assert_eq!(balance(&app, carla.account).await, -5_334);
    let due = store::instalments_of(&app.db, sub).await.unwrap()[1].due;
    let before = app.count("transfers").await;
    for _ in 0..2 {
        service::charge_due_instalments(&app.state, due)
            .await
            .unwrap();
    }
    assert_eq!(app.count("transfers").await, before);
    assert!(
        store::instalments_of(&app.db, sub).await.unwrap()[1]
            .paid_at
            .is_none()
    );
    assert_eq!(balance(&app, carla.account).await, -5_334);
}

async fn skipping_postpones_without_money(app: TestApp) {
    let s = setup(&app).await;
    let anna = &s.households[0];
    let plan = new_plan(&app, &s, "5", &[]).await;
    let (status, location, _) = subscribe(&app, anna, plan, "1", "en").await;
    assert_eq!(status, 303);
    let sub = subscription_of(&location);
    let days: Vec<Date> = store::deliveries_of(&app.db, sub)
        .await
        .unwrap()
        .iter()
        .map(|d| d.day)
        .collect();
    let (last, transfers, balance_before) = (
        days[7],
        app.count("transfers").await,
        balance(&app, anna.account).await,
    );
    let path = format!("/purchasing/csa/subscriptions/{sub}");
    // With enough notice (10 days for 7): skipped, a make-up week after the last one.
    let (status, location, body) = submit(
        &anna.browser,
        &app,
        &path,
        &format!("{path}/skip"),
        "en",
        &[("day", &days[0].to_string())],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let make_up = last + Duration::weeks(1);
    assert!(location.contains(&format!("make_up={make_up}")));
    let rows = store::deliveries_of(&app.db, sub).await.unwrap();
    assert_eq!(rows.len(), 9);
    assert_eq!(rows[0].status, "skipped");
    assert_eq!((rows[8].day, rows[8].status.as_str()), (make_up, "planned"));
    let (_, html) = page(&anna.browser, &app, &location, "fr").await;
    assert!(html.contains(&Lang::Fr.t("csa_make_up")));
    // Skipping the same day again, or a day without delivery: refused, nothing changes.
    for (day, code, status_expected) in [
        (days[0], "csa_not_planned", 409),
        (days[0] + Duration::days(1), "csa_not_a_delivery", 422),
    ] {
        let (status, _, body) = submit(
            &anna.browser,
            &app,
            &path,
            &format!("{path}/skip"),
            "it",
            &[("day", &day.to_string())],
        )
        .await;
        assert_eq!(status, status_expected, "{body}");
        assert!(text(&body).contains(&Lang::It.t(code)));
    }
    // Too late: 5 days before the second delivery with 7 days' notice; and once passed.
    let who = actor(anna);
    let late = service::skip(&app.state, &who, sub, days[1], days[1] - Duration::days(5))
        .await
        .unwrap_err();
    assert_eq!(
        (late.status.as_u16(), late.code),
        (422, "csa_skip_too_late")
    );
    let passed = service::skip(&app.state, &who, sub, days[1], days[1] + Duration::days(1))
        .await
        .unwrap_err();
    assert_eq!(passed.code, "csa_delivery_passed");
    assert_eq!(store::deliveries_of(&app.db, sub).await.unwrap(), rows);
    // A make-up week can be skipped too: another week is appended after it.
    let again = service::skip(&app.state, &who, sub, make_up, today())
        .await
        .unwrap();
    assert_eq!(again, make_up + Duration::weeks(1));
    // No money moved on any skip.
    assert_eq!(app.count("transfers").await, transfers);
    assert_eq!(balance(&app, anna.account).await, balance_before);
    // The farm's list of the skipped day marks the share skipped; the day cannot be marked
    // delivered before it comes.
    let day_path = format!(
        "/purchasing/producers/{}/csa/{plan}/days/{}",
        s.farm, days[0]
    );
    let (status, html) = page(&s.farmer, &app, &day_path, "en").await;
    assert_eq!(status, 200);
    assert!(html.contains(&Lang::En.t("csa_delivery_skipped")));
    let (status, _, body) = submit(
        &s.farmer,
        &app,
        &day_path,
        &format!("{day_path}/delivered"),
        "en",
        &[],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(text(&body).contains(&Lang::En.t("csa_day_in_future")));
}

async fn euro_plans_are_recorded_by_the_farm(app: TestApp) {
    let s = setup(&app).await;
    let anna = &s.households[0];
    let plan = new_plan(&app, &s, "12,50", &[("currency", "EUR".into())]).await;
    let (status, location, body) = subscribe(&app, anna, plan, "2", "en").await;
    assert_eq!(status, 303, "{body}");
    let sub = subscription_of(&location);
    // Active at once, nothing in the ledger.
    assert_eq!(
        store::subscription(&app.db, sub).await.unwrap().status,
        "active"
    );
    assert_eq!(app.count("transfers").await, 0);
    assert_eq!(
        service::charge_due_instalments(&app.state, today() + Duration::days(365))
            .await
            .unwrap(),
        0
    );
    let plan_path = format!("/purchasing/producers/{}/csa/{plan}", s.farm);
    let sub_id = sub.to_string();
    let record = |number: &'static str| {
        let sub_id = sub_id.clone();
        let plan_path = plan_path.clone();
        let farmer = s.farmer.clone();
        let app = &app;
        async move {
            submit(
                &farmer,
                app,
                &plan_path,
                &format!("{plan_path}/payments"),
                "fr",
                &[("subscription", &sub_id), ("number", number)],
            )
            .await
        }
    };
    let (status, _, body) = record("1").await;
    assert_eq!(status, 303, "{body}");
    let (status, _, body) = record("1").await;
    assert_eq!(status, 409);
    assert!(text(&body).contains(&Lang::Fr.t("csa_instalment_already_paid")));
    let paid = store::instalments_of(&app.db, sub).await.unwrap();
    assert!(paid[0].paid_at.is_some() && paid[1].paid_at.is_none());
    assert_eq!(app.count("transfers").await, 0);
    // The household cannot record its own payment.
    let (status, _, _) = submit(
        &anna.browser,
        &app,
        "/purchasing/csa",
        &format!("{plan_path}/payments"),
        "en",
        &[("subscription", &sub_id), ("number", "2")],
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        store::instalments_of(&app.db, sub).await.unwrap()[1]
            .paid_at
            .is_none()
    );
    // Closed plans take no new subscription.
    let (status, _, _) = submit(
        &s.farmer,
        &app,
        &plan_path,
        &format!("{plan_path}/status"),
        "en",
        &[("open", "0")],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _, body) = subscribe(&app, &s.households[1], plan, "1", "en").await;
    assert_eq!(status, 409);
    assert!(text(&body).contains(&Lang::En.t("csa_plan_closed")));
}

on_both!(
    plans_refuse_bad_input_in_each_language,
    subscriptions_pay_exactly_once,
    duplicates_capacity_and_credit_limits,
    skipping_postpones_without_money,
    euro_plans_are_recorded_by_the_farm,
);
