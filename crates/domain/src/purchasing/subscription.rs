//! Seasonal subscriptions to a farm (CSA, AMAP contract): a share delivered every week or
//! fortnight of a season, paid ahead in one or several instalments, with deliveries a
//! household may skip given enough notice.

use crate::Invalid;
use crate::ledger::money::MAX_AMOUNT_MINOR;
use time::{Date, Duration};

/// The longest season, in weeks from the first delivery to the last.
pub const MAX_SEASON_WEEKS: i64 = 53;
/// The most deliveries of one season (weekly over the longest season).
pub const MAX_DELIVERIES: usize = MAX_SEASON_WEEKS as usize + 1;
/// The most instalments a season is paid in.
pub const MAX_INSTALMENTS: u8 = 12;
/// The longest notice a farm may ask before a skipped delivery, in days.
pub const MAX_NOTICE_DAYS: u8 = 60;

const DAYS_PER_WEEK: i64 = 7;

/// A season's plan as typed by the farm or the coordinator, before checking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanDraft {
    /// The first delivery day.
    pub first_delivery: Date,
    /// The last delivery day: a whole number of periods after the first.
    pub last_delivery: Date,
    /// Weeks between deliveries: 1 (weekly) or 2 (fortnightly).
    pub every_weeks: u8,
    /// The price of one delivery's share, in minor units.
    pub share_price_minor: i64,
    /// Days of notice before a delivery to skip it.
    pub notice_days: u8,
    /// Instalments the season is paid in, 1..=12.
    pub instalments: u8,
}

/// A checked season's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    first_delivery: Date,
    last_delivery: Date,
    every_weeks: u8,
    share_price_minor: i64,
    notice_days: u8,
    instalments: u8,
    deliveries: usize,
}

impl PlanDraft {
    /// Checks the season's dates, frequency, price, notice and instalments.
    pub fn check(self) -> Result<Plan, Invalid> {
        if self.last_delivery < self.first_delivery {
            return Err(Invalid::new("bad_season_dates", "last_delivery"));
        }
        let span_days = (self.last_delivery - self.first_delivery).whole_days();
        if span_days > MAX_SEASON_WEEKS * DAYS_PER_WEEK {
            return Err(Invalid::new("season_too_long", "last_delivery"));
        }
        if !(1..=2).contains(&self.every_weeks) {
            return Err(Invalid::new("bad_frequency", "every_weeks"));
        }
        let period_days = i64::from(self.every_weeks) * DAYS_PER_WEEK;
        if span_days % period_days != 0 {
            return Err(Invalid::new("last_delivery_off_schedule", "last_delivery"));
        }
        if self.share_price_minor <= 0 || self.share_price_minor > MAX_AMOUNT_MINOR {
            return Err(Invalid::new("bad_price", "share_price"));
        }
        if self.notice_days > MAX_NOTICE_DAYS {
            return Err(Invalid::new("bad_notice", "notice_days"));
        }
        if !(1..=MAX_INSTALMENTS).contains(&self.instalments) {
            return Err(Invalid::new("bad_instalments", "instalments"));
        }
        // span ≤ 371 days: at most 54 deliveries.
        let deliveries = usize::try_from(span_days / period_days + 1)
            .map_err(|_| Invalid::new("season_too_long", "last_delivery"))?;
        let total = i128::from(self.share_price_minor) * deliveries as i128;
        if total > i128::from(MAX_AMOUNT_MINOR) {
            return Err(Invalid::new("amount_too_large", "share_price"));
        }
        Ok(Plan {
            first_delivery: self.first_delivery,
            last_delivery: self.last_delivery,
            every_weeks: self.every_weeks,
            share_price_minor: self.share_price_minor,
            notice_days: self.notice_days,
            instalments: self.instalments,
            deliveries,
        })
    }
}

impl Plan {
    /// The first delivery day.
    pub const fn first_delivery(&self) -> Date {
        self.first_delivery
    }

    /// The last delivery day.
    pub const fn last_delivery(&self) -> Date {
        self.last_delivery
    }

    /// Weeks between deliveries (1 or 2).
    pub const fn every_weeks(&self) -> u8 {
        self.every_weeks
    }

    /// The price of one delivery's share.
    pub const fn share_price_minor(&self) -> i64 {
        self.share_price_minor
    }

    /// Days of notice to skip a delivery.
    pub const fn notice_days(&self) -> u8 {
        self.notice_days
    }

    /// Instalments the season is paid in.
    pub const fn instalments(&self) -> u8 {
        self.instalments
    }

    /// How many deliveries the season has.
    pub const fn delivery_count(&self) -> usize {
        self.deliveries
    }

    /// The season's price: one share per delivery (at most [`MAX_AMOUNT_MINOR`], checked).
    pub const fn total_minor(&self) -> i64 {
        self.share_price_minor * self.deliveries as i64
    }

    /// The season's instalments, the first due on `first_due`; see [`instalment_schedule`].
    pub fn schedule(&self, first_due: Date) -> Result<Vec<Instalment>, Invalid> {
        instalment_schedule(
            self.total_minor(),
            self.instalments,
            first_due,
            self.last_delivery,
        )
    }

    /// Whether a household may still skip `delivery` on `today`: it must be one of the
    /// season's deliveries, and [`check_skip`] must allow it.
    pub fn check_skip(&self, delivery: Date, today: Date) -> Result<(), Invalid> {
        if !deliveries(self).contains(&delivery) {
            return Err(Invalid::new("not_a_delivery", "delivery"));
        }
        check_skip(delivery, today, self.notice_days)
    }
}

/// The season's delivery days: every one or two weeks from the first delivery to the last,
/// both included (at most [`MAX_DELIVERIES`]).
pub fn deliveries(plan: &Plan) -> Vec<Date> {
    let period = Duration::weeks(i64::from(plan.every_weeks));
    let mut days = Vec::with_capacity(plan.deliveries.min(MAX_DELIVERIES));
    let mut day = Some(plan.first_delivery);
    while let Some(d) = day {
        if d > plan.last_delivery || days.len() == MAX_DELIVERIES {
            break;
        }
        days.push(d);
        day = d.checked_add(period);
    }
    days
}

/// One payment of a season.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instalment {
    /// The day it is due.
    pub due: Date,
    /// What it is, in minor units.
    pub amount_minor: i64,
}

/// Splits `total_minor` into `count` instalments whose amounts add up to it exactly (the
/// remainder's minor units go one each to the first ones). One instalment is everything up
/// front on `first_due`; more are due on days spread evenly from `first_due` to before
/// `last_delivery`, at least a day apart.
pub fn instalment_schedule(
    total_minor: i64,
    count: u8,
    first_due: Date,
    last_delivery: Date,
) -> Result<Vec<Instalment>, Invalid> {
    if !(1..=MAX_INSTALMENTS).contains(&count) {
        return Err(Invalid::new("bad_instalments", "instalments"));
    }
    if total_minor <= 0 || total_minor > MAX_AMOUNT_MINOR {
        return Err(Invalid::new("bad_price", "total"));
    }
    let parts = i64::from(count);
    if total_minor < parts {
        // A zero instalment would be a payment of nothing.
        return Err(Invalid::new("bad_instalments", "instalments"));
    }
    let span_days = (last_delivery - first_due).whole_days();
    if span_days < 0 || count > 1 && span_days == 0 {
        return Err(Invalid::new("bad_instalment_dates", "first_due"));
    }
    if count > 1 && span_days < parts {
        return Err(Invalid::new("too_many_instalments", "instalments"));
    }
    let (base, extra) = (total_minor / parts, total_minor % parts);
    let mut schedule = Vec::with_capacity(usize::from(count));
    for k in 0..parts {
        // ⌊k·span/count⌋ < span: before the last delivery; increasing since span ≥ count.
        let due = first_due
            .checked_add(Duration::days(k * span_days / parts))
            .ok_or(Invalid::new("bad_instalment_dates", "first_due"))?;
        let amount_minor = base + i64::from(k < extra);
        schedule.push(Instalment { due, amount_minor });
    }
    Ok(schedule)
}

/// Whether a delivery may still be skipped on `today` with `notice_days` of notice: refused as
/// `delivery_passed` once its day is gone, `skip_too_late` when fewer than `notice_days` days
/// remain before it.
pub fn check_skip(delivery: Date, today: Date, notice_days: u8) -> Result<(), Invalid> {
    if delivery < today {
        return Err(Invalid::new("delivery_passed", "delivery"));
    }
    if (delivery - today).whole_days() < i64::from(notice_days) {
        return Err(Invalid::new("skip_too_late", "delivery"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    fn draft() -> PlanDraft {
        PlanDraft {
            first_delivery: date!(2025 - 04 - 02),
            last_delivery: date!(2025 - 10 - 29),
            every_weeks: 1,
            share_price_minor: 1_850,
            notice_days: 7,
            instalments: 3,
        }
    }

    #[test]
    fn a_weekly_season() {
        let plan = draft().check().unwrap();
        let days = deliveries(&plan);
        assert_eq!(days.len(), 31);
        assert_eq!(plan.delivery_count(), 31);
        assert_eq!(days.first(), Some(&date!(2025 - 04 - 02)));
        assert_eq!(days.last(), Some(&date!(2025 - 10 - 29)));
        assert_eq!(plan.total_minor(), 57_350);
        let schedule = plan.schedule(date!(2025 - 03 - 15)).unwrap();
        // 57 350 / 3 = 19 116 rest 2; 228 days from 15 March to 29 October, every 76 days.
        assert_eq!(
            schedule,
            vec![
                Instalment {
                    due: date!(2025 - 03 - 15),
                    amount_minor: 19_117
                },
                Instalment {
                    due: date!(2025 - 05 - 30),
                    amount_minor: 19_117
                },
                Instalment {
                    due: date!(2025 - 08 - 14),
                    amount_minor: 19_116
                },
            ]
        );
    }

    #[test]
    fn a_fortnightly_season_paid_up_front() {
        let plan = PlanDraft {
            every_weeks: 2,
            instalments: 1,
            ..draft()
        }
        .check()
        .unwrap();
        let days = deliveries(&plan);
        assert_eq!(days.len(), 16);
        assert_eq!(days[1], date!(2025 - 04 - 16));
        let schedule = plan.schedule(date!(2025 - 03 - 15)).unwrap();
        assert_eq!(
            schedule,
            vec![Instalment {
                due: date!(2025 - 03 - 15),
                amount_minor: 16 * 1_850
            }]
        );
    }

    #[test]
    fn a_single_delivery_is_a_season() {
        let plan = PlanDraft {
            last_delivery: date!(2025 - 04 - 02),
            instalments: 1,
            ..draft()
        }
        .check()
        .unwrap();
        assert_eq!(deliveries(&plan), vec![date!(2025 - 04 - 02)]);
        // Paying on the day of the only delivery is still paying up front.
        assert!(plan.schedule(date!(2025 - 04 - 02)).is_ok());
    }

    #[test]
    fn bad_plans_are_refused_with_their_field() {
        let code = |d: PlanDraft| {
            let e = d.check().unwrap_err();
            (e.code, e.field)
        };
        assert_eq!(
            code(PlanDraft {
                last_delivery: date!(2025 - 04 - 01),
                ..draft()
            }),
            ("bad_season_dates", "last_delivery")
        );
        assert_eq!(
            code(PlanDraft {
                last_delivery: date!(2026 - 04 - 15),
                ..draft()
            }),
            ("season_too_long", "last_delivery")
        );
        // 53 weeks exactly is the longest season: 54 deliveries.
        let longest = PlanDraft {
            last_delivery: date!(2026 - 04 - 08),
            ..draft()
        }
        .check()
        .unwrap();
        assert_eq!(deliveries(&longest).len(), MAX_DELIVERIES);
        assert_eq!(
            code(PlanDraft {
                every_weeks: 3,
                ..draft()
            }),
            ("bad_frequency", "every_weeks")
        );
        assert_eq!(
            code(PlanDraft {
                every_weeks: 2,
                last_delivery: date!(2025 - 10 - 22),
                ..draft()
            }),
            ("last_delivery_off_schedule", "last_delivery")
        );
        assert_eq!(
            code(PlanDraft {
                share_price_minor: 0,
                ..draft()
            }),
            ("bad_price", "share_price")
        );
        assert_eq!(
            code(PlanDraft {
                share_price_minor: MAX_AMOUNT_MINOR,
                ..draft()
            }),
            ("amount_too_large", "share_price")
        );
        assert_eq!(
            code(PlanDraft {
                notice_days: 61,
                ..draft()
            }),
            ("bad_notice", "notice_days")
        );
        for instalments in [0, 13] {
            assert_eq!(
                code(PlanDraft {
                    instalments,
                    ..draft()
                }),
                ("bad_instalments", "instalments")
            );
        }
    }

    #[test]
    fn bad_schedules_are_refused() {
        let code = |total, count, first_due, last| {
            instalment_schedule(total, count, first_due, last)
                .unwrap_err()
                .code
        };
        let last = date!(2025 - 10 - 29);
        assert_eq!(code(1_000, 0, last, last), "bad_instalments");
        assert_eq!(code(1_000, 13, last, last), "bad_instalments");
        assert_eq!(code(0, 1, last, last), "bad_price");
        assert_eq!(code(5, 6, date!(2025 - 01 - 01), last), "bad_instalments");
        assert_eq!(
            code(1_000, 1, date!(2025 - 10 - 30), last),
            "bad_instalment_dates"
        );
        assert_eq!(code(1_000, 2, last, last), "bad_instalment_dates");
        assert_eq!(
            code(1_000, 12, date!(2025 - 10 - 20), last),
            "too_many_instalments"
        );
        // Twelve instalments over twelve days: one a day.
        let s = instalment_schedule(1_000, 12, date!(2025 - 10 - 17), last).unwrap();
        assert_eq!(s.last().map(|i| i.due), Some(date!(2025 - 10 - 28)));
    }

    #[test]
    fn skips_need_notice() {
        let delivery = date!(2025 - 05 - 07);
        assert_eq!(check_skip(delivery, date!(2025 - 04 - 30), 7), Ok(()));
        assert_eq!(
            check_skip(delivery, date!(2025 - 05 - 01), 7)
                .unwrap_err()
                .code,
            "skip_too_late"
        );
        assert_eq!(check_skip(delivery, delivery, 0), Ok(()));
        assert_eq!(
            check_skip(delivery, date!(2025 - 05 - 08), 0)
                .unwrap_err()
                .code,
            "delivery_passed"
        );
        let plan = draft().check().unwrap();
        assert_eq!(plan.check_skip(delivery, date!(2025 - 04 - 01)), Ok(()));
        assert_eq!(
            plan.check_skip(date!(2025 - 05 - 08), date!(2025 - 04 - 01))
                .unwrap_err()
                .code,
            "not_a_delivery"
        );
    }

    fn day(offset: i64) -> Date {
        date!(2025 - 01 - 01) + Duration::days(offset)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn schedules_add_up_exactly(
            total in 1_i64..=MAX_AMOUNT_MINOR,
            count in 1_u8..=MAX_INSTALMENTS,
            start in 0_i64..400,
            span in 0_i64..400,
        ) {
            let (first_due, last) = (day(start), day(start + span));
            match instalment_schedule(total, count, first_due, last) {
                Ok(s) => {
                    prop_assert_eq!(s.len(), usize::from(count));
                    prop_assert_eq!(s.iter().map(|i| i128::from(i.amount_minor)).sum::<i128>(), i128::from(total));
                    prop_assert_eq!(s[0].due, first_due);
                    prop_assert!(s.windows(2).all(|w| w[0].due < w[1].due));
                    prop_assert!(s.windows(2).all(|w| w[0].amount_minor >= w[1].amount_minor));
                    prop_assert!(s.iter().all(|i| i.amount_minor > 0 && i.amount_minor - s[s.len() - 1].amount_minor <= 1));
                    if count > 1 {
                        prop_assert!(s.iter().all(|i| i.due < last));
                    }
                }
                Err(e) => {
                    let too_short = i64::from(count) > 1 && span < i64::from(count);
                    prop_assert!(too_short || total < i64::from(count), "{:?}", e);
                }
            }
        }

        #[test]
        fn deliveries_follow_the_period(
            start in 0_i64..400,
            periods in 0_i64..=53,
            every_weeks in 1_u8..=2,
        ) {
            let periods = periods / i64::from(every_weeks);
            let plan = PlanDraft {
                first_delivery: day(start),
                last_delivery: day(start + periods * 7 * i64::from(every_weeks)),
                every_weeks,
                ..draft()
            }
            .check()
            .unwrap();
            let days = deliveries(&plan);
            prop_assert_eq!(days.len(), usize::try_from(periods + 1).unwrap());
            prop_assert_eq!(days.len(), plan.delivery_count());
            prop_assert_eq!(days.last(), Some(&plan.last_delivery()));
            prop_assert!(days.windows(2).all(|w| (w[1] - w[0]).whole_days() == 7 * i64::from(every_weeks)));
            prop_assert_eq!(plan.total_minor(), plan.share_price_minor() * i64::try_from(days.len()).unwrap());
        }
    }
}
