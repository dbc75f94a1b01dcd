//! The periods indicators are computed over: a run of whole calendar months (UTC).
//!
//! A period is written `2026` (a year), `2026-Q3` (a quarter), `2026-07` (a month) or
//! `2025-11..2026-10` (any run of months, at most [`MAX_MONTHS`]).

use crate::Invalid;
pub use crate::governance::participation::Month;
use time::Date;

/// The longest period (ten years of months): every loop over a period's months is bounded.
pub const MAX_MONTHS: u32 = 120;

/// A run of whole months, `first` to `last` inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    first: Month,
    last: Month,
}

/// How a period's time series is bucketed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// One point a month.
    Month,
    /// One point a quarter (periods longer than two years).
    Quarter,
}

/// The index of a month counted from year 0 (January of year 0 is 0).
pub const fn month_index(m: Month) -> i64 {
    m.year as i64 * 12 + (m.month as i64 - 1)
}

/// The month of an index made by [`month_index`].
pub fn month_of_index(i: i64) -> Option<Month> {
    let year = i32::try_from(i.div_euclid(12)).ok()?;
    Month::new(year, u8::try_from(i.rem_euclid(12) + 1).ok()?)
}

/// The month a date falls in.
pub fn month_of(date: Date) -> Month {
    Month {
        year: date.year(),
        month: u8::from(date.month()),
    }
}

/// The first day of a month, `None` outside `time`'s range.
pub fn first_day(m: Month) -> Option<Date> {
    let month = time::Month::try_from(m.month).ok()?;
    Date::from_calendar_date(m.year, month, 1).ok()
}

impl Period {
    /// `first` to `last` inclusive; `None` when `last` comes first or the run is longer than
    /// [`MAX_MONTHS`].
    pub fn new(first: Month, last: Month) -> Option<Self> {
        let len = month_index(last) - month_index(first) + 1;
        (1..=i64::from(MAX_MONTHS))
            .contains(&len)
            .then_some(Self { first, last })
    }

    /// One month.
    pub const fn month(m: Month) -> Self {
        Self { first: m, last: m }
    }

    /// The twelve whole months before the month of `today`.
    pub fn last_twelve_months(today: Date) -> Self {
        let end = month_index(month_of(today)) - 1;
        let fallback = month_of(today);
        let last = month_of_index(end).unwrap_or(fallback);
        let first = month_of_index(end - 11).unwrap_or(last);
        Self { first, last }
    }

    /// Parses `2026`, `2026-Q3`, `2026-07` or `2025-11..2026-10`.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let bad = Invalid::new("impact_period_invalid", "period");
        let text = text.trim();
        if let Some((a, b)) = text.split_once("..") {
            let first = parse_month(a).ok_or(bad.clone())?;
            let last = parse_month(b).ok_or(bad.clone())?;
            return Self::new(first, last).ok_or(bad);
        }
        if let Some((y, q)) = text.split_once("-Q") {
            let year = parse_year(y).ok_or(bad.clone())?;
            let q: u8 = q
                .parse()
                .ok()
                .filter(|q| (1..=4).contains(q))
                .ok_or(bad.clone())?;
            let first = Month::new(year, q * 3 - 2).ok_or(bad.clone())?;
            let last = Month::new(year, q * 3).ok_or(bad.clone())?;
            return Self::new(first, last).ok_or(bad);
        }
        if text.len() == 4 {
            let year = parse_year(text).ok_or(bad.clone())?;
            let first = Month::new(year, 1).ok_or(bad.clone())?;
            let last = Month::new(year, 12).ok_or(bad.clone())?;
            return Self::new(first, last).ok_or(bad);
        }
        parse_month(text).map(Self::month).ok_or(bad)
    }

    /// The first month.
    pub const fn first(&self) -> Month {
        self.first
    }

    /// The last month.
    pub const fn last(&self) -> Month {
        self.last
    }

    /// How many months it holds (1 to [`MAX_MONTHS`]).
    pub fn len_months(&self) -> u32 {
        u32::try_from(month_index(self.last) - month_index(self.first) + 1).unwrap_or(1)
    }

    /// Its months in order.
    pub fn months(&self) -> impl Iterator<Item = Month> {
        let first = month_index(self.first);
        (first..=month_index(self.last))
            .take(MAX_MONTHS as usize)
            .filter_map(month_of_index)
    }

    /// Whether `m` falls in it.
    pub fn contains(&self, m: Month) -> bool {
        self.first <= m && m <= self.last
    }

    /// The position of `m` in the period (0 for the first month).
    pub fn offset(&self, m: Month) -> Option<usize> {
        self.contains(m)
            .then(|| usize::try_from(month_index(m) - month_index(self.first)).ok())
            .flatten()
    }

    /// The first day of the period.
    pub fn start(&self) -> Option<Date> {
        first_day(self.first)
    }

    /// The first day after the period.
    pub fn end_exclusive(&self) -> Option<Date> {
        first_day(month_of_index(month_index(self.last) + 1)?)
    }

    /// The same length just before it (to compare with).
    pub fn previous(&self) -> Option<Self> {
        let len = i64::from(self.len_months());
        let first = month_of_index(month_index(self.first) - len)?;
        let last = month_of_index(month_index(self.first) - 1)?;
        Self::new(first, last)
    }

    /// Months up to two years, quarters beyond.
    pub fn granularity(&self) -> Granularity {
        if self.len_months() <= 24 {
            Granularity::Month
        } else {
            Granularity::Quarter
        }
    }

    /// The buckets of its time series: each bucket's label and its months' offsets.
    pub fn buckets(&self) -> Vec<(String, Vec<usize>)> {
        let mut out: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, m) in self.months().enumerate() {
            let label = match self.granularity() {
                Granularity::Month => m.to_string(),
                Granularity::Quarter => m.quarter().to_string(),
            };
            match out.last_mut() {
                Some((l, offsets)) if *l == label => offsets.push(i),
                _ => out.push((label, vec![i])),
            }
        }
        out
    }
}

impl std::fmt::Display for Period {
    /// The shortest form [`Period::parse`] reads back.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (a, b) = (self.first, self.last);
        if a == b {
            write!(f, "{a}")
        } else if a.year == b.year && a.month == 1 && b.month == 12 {
            write!(f, "{:04}", a.year)
        } else if a.year == b.year && a.month % 3 == 1 && b.month == a.month + 2 {
            write!(f, "{}", a.quarter())
        } else {
            write!(f, "{a}..{b}")
        }
    }
}

fn parse_year(s: &str) -> Option<i32> {
    (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
        .filter(|y| (1900..=9999).contains(y))
}

fn parse_month(s: &str) -> Option<Month> {
    let (y, m) = s.trim().split_once('-')?;
    let m: u8 = (m.len() == 2).then(|| m.parse().ok()).flatten()?;
    Month::new(parse_year(y)?, m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn m(y: i32, mo: u8) -> Month {
        Month::new(y, mo).unwrap()
    }

    #[test]
    fn parses_and_prints_every_form() {
        for text in ["2026", "2026-Q3", "2026-07", "2025-11..2026-10"] {
            let p = Period::parse(text).unwrap();
            assert_eq!(p.to_string(), text);
        }
        let q = Period::parse("2026-Q3").unwrap();
        assert_eq!((q.first(), q.last()), (m(2026, 7), m(2026, 9)));
        assert_eq!(q.len_months(), 3);
        assert_eq!(
            Period::parse("2026-01..2026-12").unwrap().to_string(),
            "2026"
        );
    }

    #[test]
    fn refuses_bad_periods() {
        for text in [
            "",
            "26",
            "2026-13",
            "2026-Q5",
            "2026-10..2026-01",
            "1990-01..2026-01",
            "2026-7",
            "x",
        ] {
            assert_eq!(
                Period::parse(text).unwrap_err().code,
                "impact_period_invalid",
                "{text}"
            );
        }
    }

    #[test]
    fn months_offsets_and_bounds() {
        let p = Period::parse("2025-11..2026-02").unwrap();
        let months: Vec<String> = p.months().map(|m| m.to_string()).collect();
        assert_eq!(months, ["2025-11", "2025-12", "2026-01", "2026-02"]);
        assert_eq!(p.offset(m(2026, 1)), Some(2));
        assert_eq!(p.offset(m(2026, 3)), None);
        assert_eq!(p.start(), Some(date!(2025 - 11 - 01)));
        assert_eq!(p.end_exclusive(), Some(date!(2026 - 03 - 01)));
        assert_eq!(p.previous().unwrap().to_string(), "2025-07..2025-10");
    }

    #[test]
    fn last_twelve_months_ends_before_this_month() {
        let p = Period::last_twelve_months(date!(2026 - 11 - 29));
        assert_eq!(p.to_string(), "2025-11..2026-10");
        assert_eq!(p.len_months(), 12);
    }

    #[test]
    fn long_periods_are_bucketed_by_quarter() {
        let p = Period::parse("2023-01..2026-12").unwrap();
        let b = p.buckets();
        assert_eq!(b.len(), 16);
        assert_eq!(b[0], ("2023-Q1".to_owned(), vec![0, 1, 2]));
        assert_eq!(Period::parse("2026").unwrap().buckets().len(), 12);
    }
}
