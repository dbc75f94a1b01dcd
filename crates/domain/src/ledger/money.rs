//! Money: integer counts of minor units, the district currency, and parsing/formatting amounts
//! the way people type them ("12,50", "12.5", "1 200").

use crate::Invalid;

/// The largest amount of one transfer or invoice, in minor units: 10^13 (a hundred billion
/// units at two decimals). Sums of many of them still fit an `i64` balance many times over,
/// and every sum is taken in `i128` or checked anyway.
pub const MAX_AMOUNT_MINOR: i64 = 10_000_000_000_000;

/// The largest balance or limit an account may hold, in minor units.
pub const MAX_BALANCE_MINOR: i64 = 1_000_000_000_000_000;

/// A positive amount of money in minor units, at most [`MAX_AMOUNT_MINOR`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(i64);

impl Amount {
    /// Accepts `1..=MAX_AMOUNT_MINOR`.
    pub fn new(minor: i64) -> Result<Self, Invalid> {
        if minor <= 0 {
            Err(Invalid::new("amount_not_positive", "amount"))
        } else if minor > MAX_AMOUNT_MINOR {
            Err(Invalid::new("amount_too_large", "amount"))
        } else {
            Ok(Self(minor))
        }
    }

    /// The count of minor units.
    pub const fn minor(self) -> i64 {
        self.0
    }
}

/// The district currency: code, name, symbol and how many decimals the minor unit has.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Currency {
    /// Stable code stored on accounts (e.g. `CRD`).
    pub code: String,
    /// Display name (e.g. "Credito").
    pub name: String,
    /// Symbol shown beside amounts (e.g. "Cr").
    pub symbol: String,
    /// Decimals of the minor unit (2: one unit is 100 minor units). At most [`MAX_SCALE`].
    pub scale: u8,
}

/// The most decimals a currency may have.
pub const MAX_SCALE: u8 = 6;

/// The code invoices in euro carry.
pub const EURO: &str = "EUR";

impl Currency {
    /// Checks a configured currency.
    pub fn new(code: &str, name: &str, symbol: &str, scale: u8) -> Result<Self, Invalid> {
        let code = code.trim();
        if code.is_empty()
            || code.len() > 8
            || !code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            || code == EURO
        {
            return Err(Invalid::new("bad_currency_code", "currency_code"));
        }
        if scale > MAX_SCALE {
            return Err(Invalid::new("bad_currency_scale", "currency_scale"));
        }
        Ok(Self {
            code: code.to_owned(),
            name: name.trim().to_owned(),
            symbol: symbol.trim().to_owned(),
            scale,
        })
    }

    /// The euro, for invoices paid outside the ledger.
    pub fn euro() -> Self {
        Self {
            code: EURO.into(),
            name: "Euro".into(),
            symbol: "€".into(),
            scale: 2,
        }
    }

    /// How many minor units one whole unit has.
    pub fn unit_minor(&self) -> i64 {
        10_i64.pow(u32::from(self.scale))
    }

    /// Parses an amount typed by a person (see [`parse_amount`]).
    pub fn parse(&self, text: &str) -> Result<Amount, Invalid> {
        parse_amount(text, self.scale)
    }

    /// Formats minor units with the currency's decimals, e.g. `-1234` → `-12.34`.
    pub fn format(&self, minor: i64, decimal_separator: char) -> String {
        format_minor(minor, self.scale, decimal_separator)
    }
}

/// Parses "12", "12.5", "12,50", "1 200,00" or "1'200.00" into minor units at `scale` decimals.
/// More decimals than the currency has, signs, exponents and anything else are refused rather
/// than rounded: a payment must be exactly what the person typed.
pub fn parse_amount(text: &str, scale: u8) -> Result<Amount, Invalid> {
    let bad = Invalid::new("bad_amount", "amount");
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\''))
        .collect();
    if cleaned.is_empty() || cleaned.len() > 40 {
        return Err(bad);
    }
    let (whole, fraction) = match cleaned.rfind(['.', ',']) {
        Some(i) => (&cleaned[..i], &cleaned[i + 1..]),
        None => (cleaned.as_str(), ""),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(whole) || whole.is_empty() && digits(fraction)) {
        return Err(bad);
    }
    let has_separator = cleaned.contains(['.', ',']);
    if has_separator && !digits(fraction) {
        return Err(bad);
    }
    if fraction.len() > usize::from(scale) {
        return Err(Invalid::new("too_many_decimals", "amount"));
    }
    let unit = 10_i128.pow(u32::from(scale));
    let whole_value: i128 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .map_err(|_| Invalid::new("amount_too_large", "amount"))?
    };
    let mut fraction_value: i128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().map_err(|_| bad)?
    };
    for _ in fraction.len()..usize::from(scale) {
        fraction_value *= 10;
    }
    let minor = whole_value
        .checked_mul(unit)
        .and_then(|w| w.checked_add(fraction_value))
        .ok_or(Invalid::new("amount_too_large", "amount"))?;
    let minor = i64::try_from(minor).map_err(|_| Invalid::new("amount_too_large", "amount"))?;
    Amount::new(minor)
}

/// Formats minor units at `scale` decimals: `format_minor(-1234, 2, ',')` is `-12,34`.
pub fn format_minor(minor: i64, scale: u8, decimal_separator: char) -> String {
    let negative = minor < 0;
    let magnitude = minor.unsigned_abs();
    let unit = 10_u64.pow(u32::from(scale));
    let whole = magnitude / unit;
    let sign = if negative { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{whole}");
    }
    let fraction = magnitude % unit;
    format!(
        "{sign}{whole}{decimal_separator}{fraction:0width$}",
        width = usize::from(scale)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_what_people_type() {
        let ok = |s: &str| parse_amount(s, 2).map(Amount::minor);
        assert_eq!(ok("12"), Ok(1200));
        assert_eq!(ok("12,5"), Ok(1250));
        assert_eq!(ok("12.50"), Ok(1250));
        assert_eq!(ok(" 1 200,00 "), Ok(120_000));
        assert_eq!(ok("1'200.05"), Ok(120_005));
        assert_eq!(ok(",5"), Ok(50));
        assert_eq!(ok("0.01"), Ok(1));
    }

    #[test]
    fn refuses_what_is_not_an_exact_positive_amount() {
        let code = |s: &str| parse_amount(s, 2).unwrap_err().code;
        assert_eq!(code("0"), "amount_not_positive");
        assert_eq!(code("0,00"), "amount_not_positive");
        assert_eq!(code("-5"), "bad_amount");
        assert_eq!(code("1.234"), "too_many_decimals");
        assert_eq!(code("1e3"), "bad_amount");
        assert_eq!(code("12,"), "bad_amount");
        assert_eq!(code(""), "bad_amount");
        assert_eq!(code("99999999999999999999999"), "amount_too_large");
        assert_eq!(code("100000000001"), "amount_too_large");
    }

    #[test]
    fn formats_with_scale() {
        assert_eq!(format_minor(-1234, 2, ','), "-12,34");
        assert_eq!(format_minor(5, 2, '.'), "0.05");
        assert_eq!(format_minor(7, 0, '.'), "7");
        assert_eq!(format_minor(i64::MIN, 2, '.'), "-92233720368547758.08");
    }

    #[test]
    fn currency_codes_are_checked() {
        assert!(Currency::new("CRD", "Credito", "Cr", 2).is_ok());
        assert!(Currency::new("EUR", "Euro", "€", 2).is_err());
        assert!(Currency::new("crd", "x", "x", 2).is_err());
        assert!(Currency::new("CRD", "x", "x", 7).is_err());
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(minor in 1..=MAX_AMOUNT_MINOR, scale in 0u8..=4) {
            let text = format_minor(minor, scale, ',');
            prop_assert_eq!(parse_amount(&text, scale).map(Amount::minor), Ok(minor));
        }
    }
}
