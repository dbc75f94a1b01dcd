use super::*;
use proptest::prelude::*;
use time::macros::datetime;

fn rules() -> Rules {
    Rules {
        enabled: true,
        fee_minor: 500,
        fee_unit: FeeUnit::Hour,
        windows: parse_windows("mon-fri 08:00-18:00").unwrap(),
        min_minutes: 60,
        max_minutes: 8 * 60,
        max_ahead_days: 60,
        cancellation: Cancellation {
            free_hours: 48,
            kept_percent: 50,
        },
    }
}

// 2026-12-07 is a Monday.
const NOW: OffsetDateTime = datetime!(2026-12-01 09:00 UTC);

fn slot(start: OffsetDateTime, end: OffsetDateTime) -> Slot {
    Slot { start, end }
}

fn code(r: Result<(), Invalid>) -> &'static str {
    r.err().map_or("ok", |e| e.code)
}

#[test]
fn windows_parse_ranges_and_read_back() {
    let w = parse_windows("mon-wed 08:00-12:00; fri 14:00-24:00\nsun 00:00-06:30").unwrap();
    assert_eq!(w.len(), 5);
    assert_eq!(
        format_windows(&w),
        "mon 08:00-12:00\ntue 08:00-12:00\nwed 08:00-12:00\nfri 14:00-24:00\nsun 00:00-06:30"
    );
    assert_eq!(parse_windows(&format_windows(&w)).unwrap(), w);
    assert_eq!(parse_windows("daily 00:00-24:00").unwrap().len(), 7);
    for bad in [
        "mon",
        "mon 18:00-08:00",
        "xyz 08:00-10:00",
        "mon 08:00-25:00",
        "fri-mon 08:00-10:00",
        "mon 08:00-12:00; mon 11:00-13:00",
        "mon 08:61-09:00",
        // Found by fuzzing (fuzz/fuzz_targets/query_strings.rs): an hour over 1092 made
        // `h * 60` overflow before the range check refused it.
        "mon-fri 02128:00-18:00",
        "mon 08:00-65535:00",
    ] {
        assert_eq!(
            parse_windows(bad).unwrap_err().code,
            "bad_availability",
            "{bad}"
        );
    }
}

#[test]
fn a_slot_inside_a_window_is_accepted() {
    let s = slot(
        datetime!(2026-12-07 10:00 UTC),
        datetime!(2026-12-07 12:00 UTC),
    );
    assert_eq!(code(validate_slot(&rules(), &s, NOW)), "ok");
}

#[test]
fn each_refusal_has_its_code() {
    let r = rules();
    let cases = [
        (
            datetime!(2026-11-30 10:00 UTC),
            datetime!(2026-11-30 12:00 UTC),
            "slot_in_past",
        ),
        (
            datetime!(2026-12-07 12:00 UTC),
            datetime!(2026-12-07 10:00 UTC),
            "end_before_start",
        ),
        (
            datetime!(2026-12-07 12:00 UTC),
            datetime!(2026-12-07 12:00 UTC),
            "end_before_start",
        ),
        (
            datetime!(2026-12-07 10:00 UTC),
            datetime!(2026-12-07 10:30 UTC),
            "booking_too_short",
        ),
        (
            datetime!(2026-12-07 08:00 UTC),
            datetime!(2026-12-07 17:00 UTC),
            "booking_too_long",
        ),
        (
            datetime!(2026-12-05 10:00 UTC),
            datetime!(2026-12-05 12:00 UTC),
            "outside_availability",
        ),
        (
            datetime!(2026-12-07 17:00 UTC),
            datetime!(2026-12-07 19:00 UTC),
            "outside_availability",
        ),
        (
            datetime!(2027-03-01 10:00 UTC),
            datetime!(2027-03-01 12:00 UTC),
            "too_far_ahead",
        ),
        (
            datetime!(2026-12-07 10:00:30 UTC),
            datetime!(2026-12-07 12:00 UTC),
            "slot_not_on_minute",
        ),
    ];
    for (start, end, want) in cases {
        assert_eq!(
            code(validate_slot(&r, &slot(start, end), NOW)),
            want,
            "{start}–{end}"
        );
    }
    let disabled = Rules {
        enabled: false,
        ..r
    };
    let s = slot(
        datetime!(2026-12-07 10:00 UTC),
        datetime!(2026-12-07 12:00 UTC),
    );
    assert_eq!(code(validate_slot(&disabled, &s, NOW)), "resource_disabled");
}

#[test]
fn windows_meeting_at_midnight_join() {
    let r = Rules {
        windows: parse_windows("fri 08:00-24:00; sat 00:00-24:00; sun 00:00-12:00").unwrap(),
        max_minutes: 3 * 24 * 60,
        ..rules()
    };
    let weekend = slot(
        datetime!(2026-12-11 18:00 UTC),
        datetime!(2026-12-13 10:00 UTC),
    );
    assert_eq!(code(validate_slot(&r, &weekend, NOW)), "ok");
    let too_late = slot(
        datetime!(2026-12-11 18:00 UTC),
        datetime!(2026-12-13 13:00 UTC),
    );
    assert_eq!(
        code(validate_slot(&r, &too_late, NOW)),
        "outside_availability"
    );
}

#[test]
fn fees_count_started_units() {
    let r = rules();
    let s = |m: i64| {
        slot(
            datetime!(2026-12-07 10:00 UTC),
            datetime!(2026-12-07 10:00 UTC) + Duration::minutes(m),
        )
    };
    assert_eq!(fee_of(&r, &s(60)).unwrap(), 500);
    assert_eq!(fee_of(&r, &s(61)).unwrap(), 1000);
    assert_eq!(fee_of(&r, &s(150)).unwrap(), 1500);
    let daily = Rules {
        fee_unit: FeeUnit::Day,
        fee_minor: 4000,
        ..r.clone()
    };
    assert_eq!(fee_of(&daily, &s(60)).unwrap(), 4000);
    assert_eq!(fee_of(&daily, &s(25 * 60)).unwrap(), 8000);
    let free = Rules {
        fee_minor: 0,
        ..r.clone()
    };
    assert_eq!(fee_of(&free, &s(300)).unwrap(), 0);
    let huge = Rules {
        fee_minor: MAX_AMOUNT_MINOR,
        ..r
    };
    assert_eq!(fee_of(&huge, &s(120)).unwrap_err().code, "fee_too_large");
}

#[test]
fn refunds_follow_the_policy() {
    let p = Cancellation {
        free_hours: 48,
        kept_percent: 30,
    };
    let start = datetime!(2026-12-10 10:00 UTC);
    assert_eq!(
        refund_of(p, 1000, start, start - Duration::hours(48)).unwrap(),
        1000
    );
    assert_eq!(
        refund_of(p, 1000, start, start - Duration::hours(47)).unwrap(),
        700
    );
    // Rounded in the booker's favour: 30 % of 999 is 299.7, 299 kept.
    assert_eq!(
        refund_of(p, 999, start, start - Duration::minutes(1)).unwrap(),
        700
    );
    assert_eq!(
        refund_of(p, 1000, start, start).unwrap_err().code,
        "booking_started"
    );
    assert_eq!(
        refund_of(p, 0, start, start - Duration::hours(1)).unwrap(),
        0
    );
}

#[test]
fn utilisation_counts_booked_over_open_hours() {
    let w = parse_windows("mon-fri 08:00-18:00").unwrap();
    let week = slot(
        datetime!(2026-12-07 00:00 UTC),
        datetime!(2026-12-14 00:00 UTC),
    );
    let booked = [
        slot(
            datetime!(2026-12-07 08:00 UTC),
            datetime!(2026-12-07 18:00 UTC),
        ),
        slot(
            datetime!(2026-12-13 20:00 UTC),
            datetime!(2026-12-14 10:00 UTC),
        ),
    ];
    let u = utilisation(&w, &booked, &week);
    assert_eq!(u.available_minutes, 5 * 600);
    assert_eq!(u.booked_minutes, 600 + 240);
    assert_eq!(u.percent(), 28);
    assert_eq!(Utilisation::default().percent(), 0);
}

#[test]
fn week_view_clips_to_days() {
    let w = parse_windows("mon 08:00-18:00").unwrap();
    let taken = [slot(
        datetime!(2026-12-07 16:00 UTC),
        datetime!(2026-12-08 02:00 UTC),
    )];
    let days = week_view(
        &w,
        &taken,
        monday_of(datetime!(2026-12-09 00:00 UTC).date()),
    );
    assert_eq!(days.len(), 7);
    assert_eq!(days[0].date, datetime!(2026-12-07 00:00 UTC).date());
    assert_eq!(days[0].open, vec![(480, 1080)]);
    assert_eq!(days[0].taken, vec![(960, 1440)]);
    assert_eq!(days[1].taken, vec![(0, 120)]);
    assert!(days[2].taken.is_empty());
}

#[test]
fn texts_are_checked() {
    assert_eq!(
        check_texts(" ", "", "", "").unwrap_err().code,
        "resource_name_required"
    );
    assert_eq!(
        check_texts(&"x".repeat(101), "", "", "").unwrap_err().code,
        "resource_name_too_long"
    );
    assert_eq!(
        check_texts("Van", &"x".repeat(4001), "", "")
            .unwrap_err()
            .code,
        "text_too_long"
    );
    assert_eq!(check_texts(" Van ", "d", " Aosta ", "r").unwrap().0, "Van");
}

#[test]
fn rules_numbers_are_checked() {
    assert!(rules().check().is_ok());
    let bad = |r: Rules| r.check().unwrap_err().code;
    assert_eq!(
        bad(Rules {
            fee_minor: -1,
            ..rules()
        }),
        "bad_fee"
    );
    assert_eq!(
        bad(Rules {
            windows: vec![],
            ..rules()
        }),
        "availability_required"
    );
    assert_eq!(
        bad(Rules {
            min_minutes: 0,
            ..rules()
        }),
        "bad_min_duration"
    );
    assert_eq!(
        bad(Rules {
            max_minutes: 30,
            ..rules()
        }),
        "bad_max_duration"
    );
    assert_eq!(
        bad(Rules {
            max_ahead_days: 0,
            ..rules()
        }),
        "bad_max_ahead"
    );
    let c = Cancellation {
        free_hours: 1,
        kept_percent: 101,
    };
    assert_eq!(
        bad(Rules {
            cancellation: c,
            ..rules()
        }),
        "bad_kept_percent"
    );
}

proptest! {
    #[test]
    fn refund_never_exceeds_the_fee(fee in 0..MAX_AMOUNT_MINOR, kept in 0i64..=100, free in 0i64..200, before in 1i64..20_000) {
        let start = datetime!(2026-12-10 10:00 UTC);
        let p = Cancellation { free_hours: free, kept_percent: kept };
        let r = refund_of(p, fee, start, start - Duration::minutes(before)).unwrap();
        prop_assert!((0..=fee).contains(&r));
        if before >= free * 60 { prop_assert_eq!(r, fee); }
    }

    #[test]
    fn fee_grows_with_length(fee in 0i64..1_000_000, a in 1i64..40_000, b in 1i64..40_000, day in any::<bool>()) {
        let r = Rules { fee_minor: fee, fee_unit: if day { FeeUnit::Day } else { FeeUnit::Hour }, ..rules() };
        let t = datetime!(2026-12-07 00:00 UTC);
        let (short, long) = (a.min(b), a.max(b));
        let f = |m| fee_of(&r, &slot(t, t + Duration::minutes(m))).unwrap();
        prop_assert!(f(short) <= f(long));
        prop_assert!(f(short) >= fee);
    }

    #[test]
    fn accepted_slots_lie_in_windows_and_utilisation_stays_within(start_min in 0i64..(14 * 1440), len in 1i64..(3 * 1440)) {
        let r = Rules { min_minutes: 1, max_minutes: 3 * 1440, ..rules() };
        let s = slot(datetime!(2026-12-07 00:00 UTC) + Duration::minutes(start_min), datetime!(2026-12-07 00:00 UTC) + Duration::minutes(start_min + len));
        if validate_slot(&r, &s, NOW).is_ok() {
            let period = slot(datetime!(2026-12-07 00:00 UTC), datetime!(2026-12-28 00:00 UTC));
            let u = utilisation(&r.windows, &[s], &period);
            prop_assert_eq!(u.booked_minutes, len);
            prop_assert!(u.percent() <= 100);
        }
    }
}
