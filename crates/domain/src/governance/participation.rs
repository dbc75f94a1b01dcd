//! Participation: how many of the frozen electorate cast a ballot, per vote, per group of
//! voters and over time, so a district sees whether its democracy holds as it grows.
//!
//! Integer arithmetic only. A [`Turnout`] is the exact pair (ballots cast, electorate); it is
//! shown in permille (tenths of a percent), rounded half up. Over a period two figures are
//! kept apart because they answer different questions:
//!
//! - the **pooled** turnout, every ballot of the period over every elector of the period
//!   (exact; a vote of 200 electors weighs 50 times one of 4);
//! - the **average per vote**, the mean of the votes' turnouts (each vote weighs the same).
//!   Each vote's share is taken to 10^-9 (truncated) before the mean is rounded to permille.
//!
//! A vote whose electorate is empty has no turnout: it is counted among the period's votes
//! but left out of both turnouts.

use std::collections::BTreeMap;

/// The most votes one aggregation reads; the caller bounds its lists to this.
pub const MAX_VOTES: usize = 100_000;

/// Parts per billion, the precision of one vote's share in an average.
const PPB: u128 = 1_000_000_000;

/// Ballots cast out of an electorate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Turnout {
    /// Voters of the electorate who cast a ballot (in person, for their organisation or by
    /// proxy).
    pub cast: u64,
    /// The frozen electorate.
    pub electorate: u64,
}

impl Turnout {
    /// `cast` out of `electorate`.
    pub const fn new(cast: u64, electorate: u64) -> Self {
        Self { cast, electorate }
    }

    /// Both counts added (saturating: a sum beyond `u64` stays at its maximum).
    #[must_use]
    pub const fn plus(self, other: Self) -> Self {
        Self {
            cast: self.cast.saturating_add(other.cast),
            electorate: self.electorate.saturating_add(other.electorate),
        }
    }

    /// The turnout in permille (tenths of a percent), rounded half up; `None` for an empty
    /// electorate. 3 of 4 is 750; 1 of 3 is 333; 2 of 3 is 667.
    pub fn permille(self) -> Option<u32> {
        if self.electorate == 0 {
            return None;
        }
        let (c, e) = (u128::from(self.cast), u128::from(self.electorate));
        let rounded = (c * 2000 + e) / (2 * e);
        Some(u32::try_from(rounded).unwrap_or(u32::MAX))
    }

    /// The share in parts per billion, truncated; `None` for an empty electorate.
    fn ppb(self) -> Option<u128> {
        (self.electorate > 0).then(|| u128::from(self.cast) * PPB / u128::from(self.electorate))
    }
}

/// A calendar month (UTC), the finest period of the figures over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// The year.
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
}

impl Month {
    /// The month, or `None` when `month` is not in 1..=12.
    pub const fn new(year: i32, month: u8) -> Option<Self> {
        if month >= 1 && month <= 12 {
            Some(Self { year, month })
        } else {
            None
        }
    }

    /// The quarter it belongs to.
    pub const fn quarter(self) -> Quarter {
        Quarter {
            year: self.year,
            quarter: (self.month - 1) / 3 + 1,
        }
    }
}

impl std::fmt::Display for Month {
    /// `2026-03`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// A calendar quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    /// The year.
    pub year: i32,
    /// 1 to 4.
    pub quarter: u8,
}

impl std::fmt::Display for Quarter {
    /// `2026-Q1`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-Q{}", self.year, self.quarter)
    }
}

/// One vote as the figures over time read it: when it closes and its turnout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vote {
    /// The month its vote closes (or closed).
    pub month: Month,
    /// Its turnout.
    pub turnout: Turnout,
}

/// The figures of one period (a month or a quarter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period<P> {
    /// Which period.
    pub period: P,
    /// Votes closing in it.
    pub votes: u64,
    /// Votes with a non-empty electorate (the ones the turnouts read).
    pub measured: u64,
    /// Every ballot over every elector of its measured votes.
    pub pooled: Turnout,
    /// The mean of its measured votes' turnouts, permille; `None` when none was measured.
    pub average_permille: Option<u32>,
}

/// The figures per period, oldest first, of at most [`MAX_VOTES`] votes (more are ignored).
fn per_period<P: Ord + Copy>(votes: &[Vote], key: impl Fn(Month) -> P) -> Vec<Period<P>> {
    // Per period: votes, measured, pooled, sum of shares in ppb.
    let mut acc: BTreeMap<P, (u64, u64, Turnout, u128)> = BTreeMap::new();
    for v in votes.iter().take(MAX_VOTES) {
        let slot = acc
            .entry(key(v.month))
            .or_insert((0, 0, Turnout::default(), 0));
        slot.0 += 1;
        if let Some(share) = v.turnout.ppb() {
            slot.1 += 1;
            slot.2 = slot.2.plus(v.turnout);
            slot.3 += share;
        }
    }
    acc.into_iter()
        .map(|(period, (votes, measured, pooled, shares))| Period {
            period,
            votes,
            measured,
            pooled,
            average_permille: average(shares, measured),
        })
        .collect()
}

/// The mean of `n` shares summing to `shares` ppb, in permille rounded half up.
fn average(shares: u128, n: u64) -> Option<u32> {
    if n == 0 {
        return None;
    }
    // permille = shares / (n · 10^6), rounded half up.
    let unit = u128::from(n) * (PPB / 1000);
    Some(u32::try_from((shares * 2 + unit) / (2 * unit)).unwrap_or(u32::MAX))
}

/// The figures per month, oldest first.
pub fn per_month(votes: &[Vote]) -> Vec<Period<Month>> {
    per_period(votes, |m| m)
}

/// The figures per quarter, oldest first.
pub fn per_quarter(votes: &[Vote]) -> Vec<Period<Quarter>> {
    per_period(votes, Month::quarter)
}

/// The figures of every vote together (`period` is `()`).
pub fn overall(votes: &[Vote]) -> Period<()> {
    per_period(votes, |_| ()).pop().unwrap_or(Period {
        period: (),
        votes: 0,
        measured: 0,
        pooled: Turnout::default(),
        average_permille: None,
    })
}

/// Which way participation went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Up by at least [`STEADY_BAND_PERMILLE`].
    Rising,
    /// Within [`STEADY_BAND_PERMILLE`] either way.
    Steady,
    /// Down by at least [`STEADY_BAND_PERMILLE`].
    Falling,
}

/// A change smaller than this (10 permille: one percentage point) counts as steady.
pub const STEADY_BAND_PERMILLE: i64 = 10;

/// The average turnout per vote of the first measured quarter against the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trend {
    /// The first quarter with a measured vote.
    pub first: Quarter,
    /// Its average turnout per vote, permille.
    pub first_permille: u32,
    /// The last quarter with a measured vote.
    pub last: Quarter,
    /// Its average turnout per vote, permille.
    pub last_permille: u32,
    /// `last_permille - first_permille`.
    pub change_permille: i64,
    /// Which way it went.
    pub direction: Direction,
}

/// The trend from the first to the last quarter with a measured vote; `None` with fewer than
/// two such quarters.
pub fn trend(quarters: &[Period<Quarter>]) -> Option<Trend> {
    let mut measured = quarters
        .iter()
        .filter_map(|q| q.average_permille.map(|p| (q.period, p)));
    let (first, first_permille) = measured.next()?;
    let (last, last_permille) = measured.next_back()?;
    let change_permille = i64::from(last_permille) - i64::from(first_permille);
    let direction = if change_permille >= STEADY_BAND_PERMILLE {
        Direction::Rising
    } else if change_permille <= -STEADY_BAND_PERMILLE {
        Direction::Falling
    } else {
        Direction::Steady
    };
    Some(Trend {
        first,
        first_permille,
        last,
        last_permille,
        change_permille,
        direction,
    })
}

/// Turnouts pooled per group (a college, a kind of member), in key order, from at most
/// [`MAX_VOTES`] `(group, turnout)` rows (one per vote and group).
pub fn per_group<K: Ord>(rows: impl IntoIterator<Item = (K, Turnout)>) -> BTreeMap<K, Turnout> {
    let mut out: BTreeMap<K, Turnout> = BTreeMap::new();
    for (k, t) in rows.into_iter().take(MAX_VOTES) {
        let slot = out.entry(k).or_default();
        *slot = slot.plus(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(year: i32, month: u8) -> Month {
        Month::new(year, month).unwrap()
    }

    fn vote(year: i32, month: u8, cast: u64, electorate: u64) -> Vote {
        Vote {
            month: m(year, month),
            turnout: Turnout::new(cast, electorate),
        }
    }

    #[test]
    fn permille_rounds_half_up() {
        assert_eq!(Turnout::new(3, 4).permille(), Some(750));
        assert_eq!(Turnout::new(1, 3).permille(), Some(333));
        assert_eq!(Turnout::new(2, 3).permille(), Some(667));
        // 1/16 = 62.5 permille exactly: half up.
        assert_eq!(Turnout::new(1, 16).permille(), Some(63));
        // 1/2000 = 0.5 permille: half up; 1/2001 just below.
        assert_eq!(Turnout::new(1, 2000).permille(), Some(1));
        assert_eq!(Turnout::new(1, 2001).permille(), Some(0));
        assert_eq!(Turnout::new(0, 7).permille(), Some(0));
        assert_eq!(Turnout::new(7, 7).permille(), Some(1000));
        assert_eq!(Turnout::new(0, 0).permille(), None);
        // No overflow at the extremes.
        assert_eq!(Turnout::new(u64::MAX, u64::MAX).permille(), Some(1000));
        assert_eq!(Turnout::new(1, u64::MAX).permille(), Some(0));
    }

    #[test]
    fn plus_saturates() {
        let t = Turnout::new(u64::MAX, 1).plus(Turnout::new(5, 2));
        assert_eq!(t, Turnout::new(u64::MAX, 3));
    }

    #[test]
    fn months_and_quarters() {
        assert_eq!(Month::new(2026, 0), None);
        assert_eq!(Month::new(2026, 13), None);
        let quarters: Vec<u8> = (1..=12).map(|k| m(2026, k).quarter().quarter).collect();
        assert_eq!(quarters, [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
        assert_eq!(m(2026, 3).to_string(), "2026-03");
        assert_eq!(m(2026, 11).quarter().to_string(), "2026-Q4");
        assert!(m(2025, 12) < m(2026, 1));
    }

    /// A year of votes, hand-computed:
    /// - 2026-01: 3/4 (750) and 1/3 (333.33…): pooled 4/7 = 571; average (750 + 333.33)/2
    ///   = 541.67 → 542.
    /// - 2026-02: 10/20 (500) and an empty electorate (not measured).
    /// - 2026-05: 1/16 (62.5) → pooled and average 63.
    /// - 2026-11: 9/10 (900) and 4/5 (800): pooled 13/15 = 866.67 → 867; average 850.
    fn year() -> Vec<Vote> {
        vec![
            vote(2026, 11, 9, 10),
            vote(2026, 1, 3, 4),
            vote(2026, 2, 10, 20),
            vote(2026, 1, 1, 3),
            vote(2026, 5, 1, 16),
            vote(2026, 2, 0, 0),
            vote(2026, 11, 4, 5),
        ]
    }

    #[test]
    fn per_month_on_a_hand_computed_year() {
        let months = per_month(&year());
        let got: Vec<_> = months
            .iter()
            .map(|p| {
                (
                    p.period.to_string(),
                    p.votes,
                    p.measured,
                    p.pooled,
                    p.pooled.permille(),
                    p.average_permille,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "2026-01".into(),
                    2,
                    2,
                    Turnout::new(4, 7),
                    Some(571),
                    Some(542)
                ),
                (
                    "2026-02".into(),
                    2,
                    1,
                    Turnout::new(10, 20),
                    Some(500),
                    Some(500)
                ),
                (
                    "2026-05".into(),
                    1,
                    1,
                    Turnout::new(1, 16),
                    Some(63),
                    Some(63)
                ),
                (
                    "2026-11".into(),
                    2,
                    2,
                    Turnout::new(13, 15),
                    Some(867),
                    Some(850)
                ),
            ]
        );
    }

    /// Quarters of the same year: Q1 has 3/4, 1/3, 10/20 (and the empty one): pooled 14/27 =
    /// 518.5 → 519; average (750 + 333.33 + 500)/3 = 527.78 → 528. Q2: 63. Q4: 867 and 850.
    #[test]
    fn per_quarter_and_trend() {
        let quarters = per_quarter(&year());
        let got: Vec<_> = quarters
            .iter()
            .map(|p| {
                (
                    p.period.to_string(),
                    p.votes,
                    p.pooled.permille(),
                    p.average_permille,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("2026-Q1".into(), 4, Some(519), Some(528)),
                ("2026-Q2".into(), 1, Some(63), Some(63)),
                ("2026-Q4".into(), 2, Some(867), Some(850)),
            ]
        );
        let t = trend(&quarters).unwrap();
        assert_eq!(
            (t.first.to_string(), t.first_permille),
            ("2026-Q1".into(), 528)
        );
        assert_eq!(
            (t.last.to_string(), t.last_permille),
            ("2026-Q4".into(), 850)
        );
        assert_eq!((t.change_permille, t.direction), (322, Direction::Rising));
    }

    #[test]
    fn trend_needs_two_measured_quarters_and_has_a_steady_band() {
        assert_eq!(trend(&per_quarter(&[])), None);
        assert_eq!(trend(&per_quarter(&[vote(2026, 1, 1, 2)])), None);
        // A quarter whose only vote has no electorate is not measured.
        assert_eq!(
            trend(&per_quarter(&[vote(2026, 1, 1, 2), vote(2026, 7, 0, 0)])),
            None
        );
        // 500 → 491: down 9 permille, steady; 500 → 490: falling.
        let steady = trend(&per_quarter(&[
            vote(2026, 1, 1, 2),
            vote(2026, 7, 491, 1000),
        ]));
        assert_eq!(
            steady.map(|t| (t.change_permille, t.direction)),
            Some((-9, Direction::Steady))
        );
        let falling = trend(&per_quarter(&[
            vote(2025, 12, 1, 2),
            vote(2026, 1, 49, 100),
        ]));
        assert_eq!(
            falling.map(|t| (t.first.to_string(), t.change_permille, t.direction)),
            Some(("2025-Q4".into(), -10, Direction::Falling))
        );
    }

    /// The average takes each share to 10^-9: (1/3 + 2/3)/2 is 500, and three thirds average
    /// 333, not a value pulled off by truncation.
    #[test]
    fn average_of_repeating_shares() {
        let o = overall(&[vote(2026, 1, 1, 3), vote(2026, 2, 2, 3)]);
        assert_eq!((o.votes, o.average_permille), (2, Some(500)));
        let o = overall(&[
            vote(2026, 1, 1, 3),
            vote(2026, 2, 1, 3),
            vote(2026, 3, 1, 3),
        ]);
        assert_eq!(o.average_permille, Some(333));
        let o = overall(&[]);
        assert_eq!(
            (o.votes, o.pooled.permille(), o.average_permille),
            (0, None, None)
        );
    }

    #[test]
    fn overall_of_the_year() {
        let o = overall(&year());
        // 28 of 58 electors; average of six measured shares:
        // (750 + 333.33 + 500 + 62.5 + 900 + 800) / 6 = 557.64 → 558.
        assert_eq!((o.votes, o.measured), (7, 6));
        assert_eq!(o.pooled, Turnout::new(28, 58));
        assert_eq!(o.pooled.permille(), Some(483));
        assert_eq!(o.average_permille, Some(558));
    }

    #[test]
    fn groups_pool_their_votes() {
        let g = per_group([
            ("person", Turnout::new(3, 4)),
            ("organization:farm", Turnout::new(1, 1)),
            ("person", Turnout::new(2, 4)),
            ("organization:farm", Turnout::new(0, 1)),
        ]);
        let got: Vec<_> = g.iter().map(|(k, t)| (*k, *t, t.permille())).collect();
        assert_eq!(
            got,
            [
                ("organization:farm", Turnout::new(1, 2), Some(500)),
                ("person", Turnout::new(5, 8), Some(625)),
            ]
        );
    }
}
