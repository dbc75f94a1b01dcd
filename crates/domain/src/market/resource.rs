//! Shared resources (van, tractor, cold room, kitchen, hall): availability, fees, bookings.
//!
//! Every time here is UTC: weekly opening windows are UTC days and times, and slots are UTC
//! instants. The district has no time-zone setting yet, and UTC keeps windows unambiguous
//! across daylight-saving changes; pages say "UTC" beside every time.

use crate::Invalid;
use crate::ledger::money::MAX_AMOUNT_MINOR;
use time::{Duration, OffsetDateTime, Time, Weekday};

/// The longest name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest description or rules text, in characters.
pub const MAX_TEXT_CHARS: usize = 4_000;
/// The longest place, in characters.
pub const MAX_PLACE_CHARS: usize = 120;
/// The most opening windows one resource may have.
pub const MAX_WINDOWS: usize = 28;
/// The longest booking any resource may allow: 31 days, in minutes.
pub const MAX_BOOKING_MINUTES: i64 = 31 * 24 * 60;
/// The furthest ahead any resource may be booked, in days.
pub const MAX_AHEAD_DAYS: i64 = 730;
/// The longest free-cancellation notice, in hours.
pub const MAX_NOTICE_HOURS: i64 = 24 * 90;
/// Minutes in a day.
const DAY_MINUTES: i64 = 24 * 60;

/// What a resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// A van or other vehicle for deliveries.
    Van,
    /// A tractor or farm machine.
    Tractor,
    /// A cold room or refrigerated store.
    ColdRoom,
    /// A kitchen (laboratory, canteen).
    Kitchen,
    /// A hall or meeting room.
    Hall,
    /// A tool or piece of equipment.
    Tool,
    /// Anything else.
    Other,
}

impl ResourceKind {
    /// Every kind, in display order.
    pub const ALL: [Self; 7] = [
        Self::Van,
        Self::Tractor,
        Self::ColdRoom,
        Self::Kitchen,
        Self::Hall,
        Self::Tool,
        Self::Other,
    ];

    /// The stored code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Van => "van",
            Self::Tractor => "tractor",
            Self::ColdRoom => "cold_room",
            Self::Kitchen => "kitchen",
            Self::Hall => "hall",
            Self::Tool => "tool",
            Self::Other => "other",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// What a fee is charged per: each started hour or each started day of a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeUnit {
    /// Per started hour.
    Hour,
    /// Per started day (24 hours from the start).
    Day,
}

impl FeeUnit {
    /// The stored code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Hour => "hour",
            Self::Day => "day",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "hour" => Some(Self::Hour),
            "day" => Some(Self::Day),
            _ => None,
        }
    }

    const fn minutes(self) -> i64 {
        match self {
            Self::Hour => 60,
            Self::Day => DAY_MINUTES,
        }
    }
}

/// A weekly opening window: one UTC weekday from one time to a later one (`to_minute` 1440
/// is midnight at the end of the day). Windows of consecutive days that meet at midnight
/// join, so a booking may run across them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    /// Minutes after midnight UTC, `< to_minute`.
    pub from_minute: u16,
    /// Minutes after midnight UTC, `≤ 1440`.
    pub to_minute: u16,
}

const DAY_CODES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Window {
    /// The weekday's code (`mon` … `sun`).
    pub fn day_code(&self) -> &'static str {
        DAY_CODES
            .get(usize::from(self.weekday))
            .copied()
            .unwrap_or("mon")
    }

    /// `08:00-18:00`.
    pub fn times(&self) -> String {
        format!("{}-{}", hhmm(self.from_minute), hhmm(self.to_minute))
    }

    /// Its length in minutes.
    pub fn minutes(&self) -> i64 {
        i64::from(self.to_minute) - i64::from(self.from_minute)
    }
}

/// `HH:MM` of minutes after midnight.
pub fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn parse_hhmm(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    // Lazily: `h * 60` overflows a `u16` for the large hours a text may hold.
    (h <= 24 && m < 60 && (h < 24 || m == 0)).then(|| h * 60 + m)
}

/// Parses opening windows, one per line or separated by `;`: `mon 08:00-18:00`. Days are
/// `mon`…`sun`; `mon-fri 08:00-18:00` and `daily 00:00-24:00` name several. Sorted, and
/// overlapping windows of one day refused (`bad_availability`).
pub fn parse_windows(text: &str) -> Result<Vec<Window>, Invalid> {
    let bad = Invalid::new("bad_availability", "availability");
    let mut out = Vec::new();
    for item in text
        .split(['\n', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let (days, times) = item.split_once(char::is_whitespace).ok_or(bad.clone())?;
        let (from, to) = times.trim().split_once('-').ok_or(bad.clone())?;
        let (from, to) = (
            parse_hhmm(from).ok_or(bad.clone())?,
            parse_hhmm(to).ok_or(bad.clone())?,
        );
        if from >= to {
            return Err(bad);
        }
        let days = days.to_ascii_lowercase();
        let day = |d: &str| DAY_CODES.iter().position(|c| *c == d);
        let range = match days.as_str() {
            "daily" => 0..=6,
            _ => match days.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (day(a).ok_or(bad.clone())?, day(b).ok_or(bad.clone())?);
                    if a > b {
                        return Err(bad);
                    }
                    a..=b
                }
                None => {
                    let d = day(&days).ok_or(bad.clone())?;
                    d..=d
                }
            },
        };
        for d in range {
            out.push(Window {
                weekday: u8::try_from(d).map_err(|_| bad.clone())?,
                from_minute: from,
                to_minute: to,
            });
        }
        if out.len() > MAX_WINDOWS {
            return Err(Invalid::new("too_many_windows", "availability"));
        }
    }
    out.sort_unstable();
    out.dedup();
    for pair in out.windows(2) {
        if let [a, b] = pair
            && a.weekday == b.weekday
            && b.from_minute < a.to_minute
        {
            return Err(bad);
        }
    }
    Ok(out)
}

/// The canonical text of windows (what [`parse_windows`] reads back), one per line.
pub fn format_windows(windows: &[Window]) -> String {
    windows
        .iter()
        .map(|w| format!("{} {}", w.day_code(), w.times()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Everything that decides whether and at what price a slot may be booked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// A disabled resource takes no booking.
    pub enabled: bool,
    /// Fee per unit in minor units of the district credit; 0 = free.
    pub fee_minor: i64,
    /// What the fee is per.
    pub fee_unit: FeeUnit,
    /// When it may be booked (UTC).
    pub windows: Vec<Window>,
    /// Shortest booking, in minutes.
    pub min_minutes: i64,
    /// Longest booking, in minutes.
    pub max_minutes: i64,
    /// How far ahead the start may be, in days.
    pub max_ahead_days: i64,
    /// The cancellation policy.
    pub cancellation: Cancellation,
}

/// Cancelling is free until `free_hours` before the start; later (and until the start) the
/// owner keeps `kept_percent` of the fee. A booking cannot be cancelled once started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancellation {
    /// Hours of notice for a full refund.
    pub free_hours: i64,
    /// Share of the fee kept on a late cancellation, 0–100.
    pub kept_percent: i64,
}

impl Rules {
    /// Checks the numbers of a resource's rules (`field` names the form field refused).
    pub fn check(&self) -> Result<(), Invalid> {
        if !(0..=MAX_AMOUNT_MINOR).contains(&self.fee_minor) {
            return Err(Invalid::new("bad_fee", "fee"));
        }
        if self.windows.is_empty() {
            return Err(Invalid::new("availability_required", "availability"));
        }
        if self.windows.len() > MAX_WINDOWS {
            return Err(Invalid::new("too_many_windows", "availability"));
        }
        if !(1..=MAX_BOOKING_MINUTES).contains(&self.min_minutes) {
            return Err(Invalid::new("bad_min_duration", "min_hours"));
        }
        if !(self.min_minutes..=MAX_BOOKING_MINUTES).contains(&self.max_minutes) {
            return Err(Invalid::new("bad_max_duration", "max_hours"));
        }
        if !(1..=MAX_AHEAD_DAYS).contains(&self.max_ahead_days) {
            return Err(Invalid::new("bad_max_ahead", "max_ahead_days"));
        }
        if !(0..=MAX_NOTICE_HOURS).contains(&self.cancellation.free_hours) {
            return Err(Invalid::new("bad_free_cancel_hours", "free_cancel_hours"));
        }
        if !(0..=100).contains(&self.cancellation.kept_percent) {
            return Err(Invalid::new("bad_kept_percent", "kept_percent"));
        }
        Ok(())
    }
}

/// A requested time: from `start` (inclusive) to `end` (exclusive), UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// First instant.
    pub start: OffsetDateTime,
    /// The instant after the last.
    pub end: OffsetDateTime,
}

impl Slot {
    /// Its length in whole minutes.
    pub fn minutes(&self) -> i64 {
        (self.end - self.start).whole_minutes()
    }

    /// Whether two slots share an instant (touching ends do not).
    pub fn overlaps(&self, other: &Slot) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// Checks a requested slot against the rules at `now`. Codes, in the order checked:
/// `resource_disabled`, `slot_not_on_minute`, `end_before_start`, `slot_in_past`,
/// `too_far_ahead`, `booking_too_short`, `booking_too_long`, `outside_availability`.
pub fn validate_slot(rules: &Rules, slot: &Slot, now: OffsetDateTime) -> Result<(), Invalid> {
    if !rules.enabled {
        return Err(Invalid::new("resource_disabled", "resource"));
    }
    let on_minute = |t: OffsetDateTime| t.second() == 0 && t.nanosecond() == 0;
    if !on_minute(slot.start) || !on_minute(slot.end) {
        return Err(Invalid::new("slot_not_on_minute", "start"));
    }
    if slot.end <= slot.start {
        return Err(Invalid::new("end_before_start", "end"));
    }
    if slot.start < now {
        return Err(Invalid::new("slot_in_past", "start"));
    }
    if slot.start - now > Duration::days(rules.max_ahead_days) {
        return Err(Invalid::new("too_far_ahead", "start"));
    }
    let minutes = slot.minutes();
    if minutes < rules.min_minutes {
        return Err(Invalid::new("booking_too_short", "end"));
    }
    if minutes > rules.max_minutes.min(MAX_BOOKING_MINUTES) {
        return Err(Invalid::new("booking_too_long", "end"));
    }
    if !covered(&rules.windows, slot) {
        return Err(Invalid::new("outside_availability", "start"));
    }
    Ok(())
}

/// The opening intervals of the UTC days from `first` to `last` (inclusive, at most
/// `MAX_BOOKING_MINUTES / DAY_MINUTES + 2` days are ever asked), merged where they meet.
fn open_intervals(windows: &[Window], first: time::Date, days: i64) -> Vec<Slot> {
    let mut out: Vec<Slot> = Vec::new();
    let mut day = first;
    for _ in 0..days {
        let midnight = day.with_time(Time::MIDNIGHT).assume_utc();
        let weekday = day.weekday().number_days_from_monday();
        for w in windows.iter().filter(|w| w.weekday == weekday) {
            let start = midnight + Duration::minutes(i64::from(w.from_minute));
            let end = midnight + Duration::minutes(i64::from(w.to_minute));
            match out.last_mut() {
                Some(last) if last.end >= start => last.end = last.end.max(end),
                _ => out.push(Slot { start, end }),
            }
        }
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
    }
    out
}

/// Whether the slot lies wholly inside the opening windows (joined across midnight).
fn covered(windows: &[Window], slot: &Slot) -> bool {
    let days = (slot.end.date() - slot.start.date()).whole_days() + 1;
    if days > MAX_BOOKING_MINUTES / DAY_MINUTES + 2 {
        return false;
    }
    open_intervals(windows, slot.start.date(), days)
        .iter()
        .any(|o| o.start <= slot.start && slot.end <= o.end)
}

/// The fee of a slot: the fee per unit times each started unit (hour or day), checked
/// (`fee_too_large` past the largest amount of one transfer).
pub fn fee_of(rules: &Rules, slot: &Slot) -> Result<i64, Invalid> {
    let minutes = slot.minutes().max(0);
    let unit = rules.fee_unit.minutes();
    let units = minutes / unit + i64::from(minutes % unit != 0);
    units
        .checked_mul(rules.fee_minor)
        .filter(|fee| *fee <= MAX_AMOUNT_MINOR)
        .ok_or(Invalid::new("fee_too_large", "end"))
}

/// What a cancellation at `now` gives back of `fee_minor`: all of it until `free_hours`
/// before the start, then the fee less the kept share (rounded in the booker's favour);
/// `booking_started` once the start has come.
pub fn refund_of(
    policy: Cancellation,
    fee_minor: i64,
    start: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<i64, Invalid> {
    if now >= start {
        return Err(Invalid::new("booking_started", "booking"));
    }
    if start - now >= Duration::hours(policy.free_hours) {
        return Ok(fee_minor);
    }
    let kept = i128::from(fee_minor) * i128::from(policy.kept_percent.clamp(0, 100)) / 100;
    let kept = i64::try_from(kept).unwrap_or(fee_minor);
    Ok(fee_minor - kept)
}

/// Hours booked against hours open over a period, in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Utilisation {
    /// Minutes of active bookings inside the period.
    pub booked_minutes: i64,
    /// Minutes the windows open inside the period.
    pub available_minutes: i64,
}

impl Utilisation {
    /// Booked share in percent (0 when nothing was open), at most 100 when bookings stay
    /// inside the windows.
    pub fn percent(&self) -> i64 {
        if self.available_minutes <= 0 {
            return 0;
        }
        let p = i128::from(self.booked_minutes) * 100 / i128::from(self.available_minutes);
        i64::try_from(p).unwrap_or(i64::MAX)
    }
}

/// The longest period utilisation is computed over, in days.
pub const MAX_UTILISATION_DAYS: i64 = 800;

/// Utilisation of `bookings` (active ones) over `period`, at most [`MAX_UTILISATION_DAYS`]
/// long (longer periods are cut at that length).
pub fn utilisation(windows: &[Window], bookings: &[Slot], period: &Slot) -> Utilisation {
    let end = period
        .end
        .min(period.start + Duration::days(MAX_UTILISATION_DAYS));
    if end <= period.start {
        return Utilisation::default();
    }
    let period = Slot {
        start: period.start,
        end,
    };
    let days = (period.end.date() - period.start.date()).whole_days() + 1;
    let clip = |s: &Slot| -> i64 {
        let (a, b) = (s.start.max(period.start), s.end.min(period.end));
        if b > a { (b - a).whole_minutes() } else { 0 }
    };
    let available_minutes = open_intervals(windows, period.start.date(), days)
        .iter()
        .map(clip)
        .sum();
    let booked_minutes = bookings.iter().map(clip).sum();
    Utilisation {
        booked_minutes,
        available_minutes,
    }
}

/// One day of a week view: its opening intervals and taken slots, clipped to the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayView {
    /// The UTC date.
    pub date: time::Date,
    /// Open (from, to) minutes after midnight.
    pub open: Vec<(u16, u16)>,
    /// Taken (from, to) minutes after midnight.
    pub taken: Vec<(u16, u16)>,
}

/// The seven days from `monday` (any date works as the first day) with what is open and taken.
pub fn week_view(windows: &[Window], taken: &[Slot], monday: time::Date) -> Vec<DayView> {
    let mut out = Vec::with_capacity(7);
    let mut day = monday;
    for _ in 0..7 {
        let midnight = day.with_time(Time::MIDNIGHT).assume_utc();
        let next = midnight + Duration::days(1);
        let weekday = day.weekday().number_days_from_monday();
        let minute = |t: OffsetDateTime| {
            u16::try_from((t - midnight).whole_minutes().clamp(0, DAY_MINUTES)).unwrap_or(0)
        };
        let open = windows
            .iter()
            .filter(|w| w.weekday == weekday)
            .map(|w| (w.from_minute, w.to_minute))
            .collect();
        let mut taken: Vec<(u16, u16)> = taken
            .iter()
            .filter(|s| s.start < next && s.end > midnight)
            .map(|s| (minute(s.start), minute(s.end)))
            .collect();
        taken.sort_unstable();
        out.push(DayView {
            date: day,
            open,
            taken,
        });
        match day.next_day() {
            Some(d) => day = d,
            None => break,
        }
    }
    out
}

/// The Monday of `date`'s week.
pub fn monday_of(date: time::Date) -> time::Date {
    let back = i64::from(date.weekday().number_days_from_monday());
    date.checked_sub(Duration::days(back)).unwrap_or(date)
}

/// Checks a resource's texts: name (`resource_name_required`, `resource_name_too_long`),
/// description and rules (`text_too_long`), place (`place_too_long`). Returns them trimmed.
pub fn check_texts(
    name: &str,
    description: &str,
    place: &str,
    rules_text: &str,
) -> Result<(String, String, String, String), Invalid> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Invalid::new("resource_name_required", "name"));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Invalid::new("resource_name_too_long", "name"));
    }
    for (text, field) in [(description, "description"), (rules_text, "rules")] {
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(Invalid::new("text_too_long", field));
        }
    }
    let place = place.trim();
    if place.chars().count() > MAX_PLACE_CHARS || place.chars().any(char::is_control) {
        return Err(Invalid::new("place_too_long", "place"));
    }
    Ok((
        name.to_owned(),
        description.trim().to_owned(),
        place.to_owned(),
        rules_text.trim().to_owned(),
    ))
}

/// `Weekday` of a window's day number (0 = Monday).
pub fn weekday_of(n: u8) -> Weekday {
    match n {
        0 => Weekday::Monday,
        1 => Weekday::Tuesday,
        2 => Weekday::Wednesday,
        3 => Weekday::Thursday,
        4 => Weekday::Friday,
        5 => Weekday::Saturday,
        _ => Weekday::Sunday,
    }
}

#[cfg(test)]
mod tests;
