use super::*;
use time::macros::date;

const TODAY: Date = date!(2026 - 11 - 29);

fn input() -> ListingInput {
    ListingInput {
        side: "offer".into(),
        kind: "good".into(),
        category: "fresh_produce".into(),
        title: "  Cavoli   e zucche ".into(),
        description: "Dall'orto, raccolti oggi.\n".into(),
        credit_minor: Some(1_250),
        euro_cents: None,
        locality: "Aosta".into(),
        lat: Some(45.73),
        lon: Some(7.32),
        available_from: String::new(),
        valid_until: "2026-12-31".into(),
    }
}

fn code(i: ListingInput) -> &'static str {
    ListingDraft::parse(&i, TODAY).unwrap_err().code
}

#[test]
fn a_valid_listing_parses_and_is_cleaned() {
    let d = ListingDraft::parse(&input(), TODAY).unwrap();
    assert_eq!(d.title, "Cavoli e zucche");
    assert_eq!(d.description, "Dall'orto, raccolti oggi.");
    assert_eq!(d.side, ListingSide::Offer);
    assert_eq!(d.price.credit_minor, Some(1_250));
    assert_eq!(d.valid_until, date!(2026 - 12 - 31));
    assert_eq!(
        d.search_text(),
        "cavoli e zucche dall'orto, raccolti oggi. aosta"
    );
}

#[test]
fn each_bad_field_has_its_stable_code() {
    assert_eq!(
        code(ListingInput {
            side: "sell".into(),
            ..input()
        }),
        "market_unknown_side"
    );
    assert_eq!(
        code(ListingInput {
            kind: "car".into(),
            ..input()
        }),
        "market_unknown_kind"
    );
    assert_eq!(
        code(ListingInput {
            category: "vegetables".into(),
            ..input()
        }),
        "market_unknown_category"
    );
    assert_eq!(
        code(ListingInput {
            title: " a ".into(),
            ..input()
        }),
        "market_title_length"
    );
    assert_eq!(
        code(ListingInput {
            title: "x".repeat(121),
            ..input()
        }),
        "market_title_length"
    );
    assert_eq!(
        code(ListingInput {
            description: "x".repeat(4001),
            ..input()
        }),
        "market_description_too_long"
    );
    assert_eq!(
        code(ListingInput {
            credit_minor: Some(-5),
            ..input()
        }),
        "market_price_not_positive"
    );
    assert_eq!(
        code(ListingInput {
            euro_cents: Some(0),
            ..input()
        }),
        "market_price_not_positive"
    );
    assert_eq!(
        code(ListingInput {
            euro_cents: Some(i64::MAX),
            ..input()
        }),
        "market_price_too_large"
    );
    assert_eq!(
        code(ListingInput {
            lat: Some(95.0),
            ..input()
        }),
        "market_bad_position"
    );
    assert_eq!(
        code(ListingInput {
            lon: None,
            ..input()
        }),
        "market_bad_position"
    );
    assert_eq!(
        code(ListingInput {
            valid_until: "31/12/2026".into(),
            ..input()
        }),
        "market_bad_date"
    );
    assert_eq!(
        code(ListingInput {
            valid_until: String::new(),
            ..input()
        }),
        "market_valid_until_missing"
    );
    assert_eq!(
        code(ListingInput {
            valid_until: "2026-11-28".into(),
            ..input()
        }),
        "market_valid_until_past"
    );
    assert_eq!(
        code(ListingInput {
            valid_until: "2028-01-01".into(),
            ..input()
        }),
        "market_valid_until_too_far"
    );
    assert_eq!(
        code(ListingInput {
            available_from: "2026-12-10".into(),
            valid_until: "2026-12-05".into(),
            ..input()
        }),
        "market_valid_until_before_start"
    );
}

#[test]
fn today_is_still_valid_and_no_price_is_a_gift() {
    let d = ListingDraft::parse(
        &ListingInput {
            valid_until: "2026-11-29".into(),
            credit_minor: None,
            lat: None,
            lon: None,
            ..input()
        },
        TODAY,
    )
    .unwrap();
    assert!(d.price.is_gift());
    assert!(d.point.is_none());
}

#[test]
fn queries_fold_words_and_check_filters() {
    let q = ListingQuery::parse(&QueryInput {
        q: Some("Épicerie  CAFFÈ".into()),
        side: Some("need".into()),
        lat: Some(45.0),
        lon: Some(7.0),
        ..QueryInput::default()
    })
    .unwrap();
    assert_eq!(q.words, vec!["epicerie", "caffe"]);
    assert_eq!(q.side, Some(ListingSide::Need));
    assert_eq!(q.near.map(|(_, r)| r), Some(DEFAULT_RADIUS_KM));
    let bad = |i: QueryInput| ListingQuery::parse(&i).unwrap_err().code;
    assert_eq!(
        bad(QueryInput {
            category: Some("x".into()),
            ..QueryInput::default()
        }),
        "market_unknown_category"
    );
    assert_eq!(
        bad(QueryInput {
            lat: Some(1.0),
            ..QueryInput::default()
        }),
        "market_bad_position"
    );
    assert_eq!(
        bad(QueryInput {
            lat: Some(1.0),
            lon: Some(1.0),
            radius_km: Some(0.0),
            ..QueryInput::default()
        }),
        "market_bad_radius"
    );
    assert_eq!(
        bad(QueryInput {
            limit: Some(501),
            ..QueryInput::default()
        }),
        "invalid_limit"
    );
    assert_eq!(
        ListingQuery::parse(&QueryInput {
            side: Some(" ".into()),
            ..QueryInput::default()
        })
        .unwrap()
        .side,
        None
    );
}

#[test]
fn sides_are_each_others_counterpart() {
    for s in ListingSide::ALL {
        assert_eq!(s.counterpart().counterpart(), *s);
        assert_ne!(s.counterpart(), *s);
    }
}
