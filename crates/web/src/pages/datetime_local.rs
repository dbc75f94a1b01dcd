//! The `YYYY-MM-DDTHH:MM` text of a `datetime-local` form field, in UTC: what the forms
//! (cycles, proposals) fill in and read back.

use crate::AppError;
use time::OffsetDateTime;

const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");

/// `t` as a `datetime-local` field shows it (UTC, to the minute).
pub fn datetime_local(t: OffsetDateTime) -> String {
    t.format(FORMAT).unwrap_or_default()
}

/// A `datetime-local` field's text as a UTC time; 422 `bad_date` on `field` otherwise.
pub(crate) fn parse_datetime_local(
    text: &str,
    field: &'static str,
) -> Result<OffsetDateTime, AppError> {
    time::PrimitiveDateTime::parse(text.trim(), FORMAT)
        .map(|t| t.assume_utc())
        .map_err(|_| crate::ledger::api::unprocessable("bad_date", field))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_time_reads_back_as_written() {
        let t = time::macros::datetime!(2026-03-07 09:05 UTC);
        assert_eq!(datetime_local(t), "2026-03-07T09:05");
        assert_eq!(parse_datetime_local(" 2026-03-07T09:05 ", "at").unwrap(), t);
        let e = parse_datetime_local("2026-03-07 09:05", "at").unwrap_err();
        assert_eq!(e.code, "bad_date");
    }
}
