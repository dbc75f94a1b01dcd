//! The clearing schedule two linked districts agree: each coordinator proposes a period, the
//! other district is told and answers with its own, the period is agreed when both proposed the
//! same, and only the district whose address sorts first starts the scheduled rounds.

use crate::federation_payments::{Pair, field_of, linked};
use crate::harness::{TestApp, answer, page, signed_in};
use crate::on_both;
use serde_json::{Value, json};

async fn propose(app: &TestApp, token: &str, link: &str, days: i64) -> (u16, Value) {
    app.post(
        &format!("/api/v1/federation/links/{link}/clearing-schedule"),
        Some(token),
        &json!({ "every_days": days }),
    )
    .await
}

async fn schedule(app: &TestApp, token: &str, link: &str) -> Value {
    let (s, v) = app
        .get(
            &format!("/api/v1/federation/links/{link}/clearing-schedule"),
            Some(token),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

fn days(v: &Value) -> (i64, i64, Option<i64>) {
    (
        v["ours_days"].as_i64().unwrap(),
        v["theirs_days"].as_i64().unwrap(),
        v["agreed_days"].as_i64(),
    )
}

async fn rounds(app: &TestApp) -> i64 {
    app.count("federation_clearings").await
}

async fn two_districts_agree_a_clearing_schedule_and_one_of_them_keeps_it(a: TestApp) {
    let p: Pair = linked(a).await;
    let (_, member, _) = p.a.member(&p.coord_a, "ada@a.example").await;
    let (s, _) = propose(&p.a, &member, &p.link_a, 7).await;
    assert_eq!(s, 403);
    let (s, v) = propose(&p.a, &p.coord_a, &p.link_a, 367).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("federation_bad_schedule"))
    );

    let (s, v) = propose(&p.a, &p.coord_a, &p.link_a, 7).await;
    assert_eq!((s, days(&v)), (200, (7, 0, None)), "{v}");
    assert_eq!(
        days(&schedule(&p.b, &p.coord_b, &p.link_b).await),
        (0, 7, None)
    );
    let (_, v) = propose(&p.b, &p.coord_b, &p.link_b, 14).await;
    assert_eq!(days(&v), (14, 7, None), "{v}");
    assert_eq!(
        days(&schedule(&p.a, &p.coord_a, &p.link_a).await),
        (7, 14, None)
    );
    let (_, v) = propose(&p.b, &p.coord_b, &p.link_b, 7).await;
    assert_eq!(days(&v), (7, 7, Some(7)), "{v}");
    let at_a = schedule(&p.a, &p.coord_a, &p.link_a).await;
    assert_eq!(days(&at_a), (7, 7, Some(7)));
    let at_b = schedule(&p.b, &p.coord_b, &p.link_b).await;
    let a_leads = at_a["starts_rounds"].as_bool().unwrap();
    assert_ne!(
        a_leads,
        at_b["starts_rounds"].as_bool().unwrap(),
        "exactly one starts"
    );

    // Only the district that starts the rounds starts one (nothing to set off: recorded, so
    // the schedule waits its period), and not again before the period is over.
    let (leader, follower) = if a_leads { (&p.a, &p.b) } else { (&p.b, &p.a) };
    distretto_web::federation::clearing::resolve(&follower.state)
        .await
        .unwrap();
    assert_eq!(rounds(follower).await, 0);
    distretto_web::federation::clearing::resolve(&leader.state)
        .await
        .unwrap();
    assert_eq!(rounds(leader).await, 1);
    distretto_web::federation::clearing::resolve(&leader.state)
        .await
        .unwrap();
    assert_eq!(rounds(leader).await, 1);

    // The coordinator's page shows the agreed schedule, and refuses a bad period in French.
    let coord = signed_in(&p.a, "coord@test.example").await;
    let (s, html) = page(&coord, &p.a, "/federation", "fr").await;
    assert_eq!(s, 200);
    assert!(html.contains("Une compensation tous les 7 jours"), "{html}");
    let res = coord
        .post(p.a.url(&format!("/federation/links/{}/schedule", p.link_a)))
        .header("accept-language", "fr")
        .form(&[
            ("csrf", field_of(&html, "csrf")),
            ("every_days", "souvent".into()),
        ])
        .send()
        .await
        .unwrap();
    let (s, _, body) = answer(res).await;
    assert_eq!(s, 422);
    assert!(body.contains("nombre entier de jours"), "{body}");
    let res = coord
        .post(p.a.url(&format!("/federation/links/{}/schedule", p.link_a)))
        .form(&[
            ("csrf", field_of(&html, "csrf")),
            ("every_days", "30".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        days(&schedule(&p.b, &p.coord_b, &p.link_b).await),
        (7, 30, None)
    );
}

on_both!(two_districts_agree_a_clearing_schedule_and_one_of_them_keeps_it);
