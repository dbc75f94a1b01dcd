//! A producer's catalogue as a CSV file a person edits in a spreadsheet.
//!
//! Header (columns in any order, names without case): `sku,name,description,unit,step,
//! package_size,price_euro,price_credit,vat_rate,origin,certifications,season,stock`.
//! - `sku`: the producer's code, may be empty (the caller generates one); non-empty codes are
//!   unique in a file.
//! - `unit`: `kg`, `piece`, `l`, `box` (GDXP names such as `Pezzi` are accepted too).
//! - `step`, `package_size`, `stock`: quantities in units, up to 3 decimals, `.` or `,`; empty
//!   step is one unit, empty package size is "not packaged", empty stock is unlimited.
//! - `price_euro` (2 decimals) and `price_credit` (the credit's decimals): per unit; at least
//!   one.
//! - `vat_rate`: percent, up to 2 decimals (`4`, `10`, `5,5`, `22%`); empty is none.
//! - `certifications`: codes separated by `|` (`organic|fair_trade`).
//! - `season`: months and month ranges separated by commas (`3-6,9`; `11-2` runs from November
//!   to February); empty is all year.
//!
//! Spreadsheet exports are tolerated: a UTF-8 byte-order mark, `;` as delimiter (Italian and
//! French Excel; detected from the header line), CRLF line ends, blank lines, quoted fields
//! holding line breaks. A text cell starting with `=`, `+`, `-` or `@` is written with a leading
//! `'` so a spreadsheet does not run it as a formula; the `'` is removed on reading.

use super::catalogue::{MAX_CERTIFICATIONS, MAX_PRODUCTS};
use super::{Product, ProductDraft, Unit};
use crate::ledger::money::{MAX_SCALE, format_minor, parse_amount};
use rustc_hash::FxHashSet;

/// The columns, in the order [`write`] puts them.
pub const HEADER: [&str; 13] = [
    "sku",
    "name",
    "description",
    "unit",
    "step",
    "package_size",
    "price_euro",
    "price_credit",
    "vat_rate",
    "origin",
    "certifications",
    "season",
    "stock",
];
/// The longest sku, in characters.
pub const MAX_SKU_CHARS: usize = 64;
/// The most month ranges in a season cell.
const MAX_SEASON_PARTS: usize = 12;

/// A bad line of a catalogue file: where, which column, why (its first problem only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number as a spreadsheet shows it; the header is line 1. For a record with a
    /// line break inside a quoted cell, the line it starts on.
    pub line: usize,
    /// The column (see [`HEADER`]), `header` for the header itself, `line` for the whole line.
    pub field: &'static str,
    /// Stable snake_case code (also the Fluent message id).
    pub code: &'static str,
}

impl LineError {
    const fn new(line: usize, field: &'static str, code: &'static str) -> Self {
        Self { line, field, code }
    }
}

/// Reads a catalogue: every product with its sku, in file order. All or nothing: the error
/// lists every bad line (its first problem each), including duplicate skus, or the header's
/// problem alone. `credit_scale` is the district credit's decimals (at most [`MAX_SCALE`]).
pub fn parse(text: &str, credit_scale: u8) -> Result<Vec<(String, Product)>, Vec<LineError>> {
    let credit_scale = credit_scale.min(MAX_SCALE);
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(text))
        .from_reader(text.as_bytes());
    let mut lines = Lines::new(text);
    let mut records = reader.records();
    let columns = match records.next() {
        None => return Err(vec![LineError::new(1, "header", "missing_header")]),
        Some(Err(_)) => return Err(vec![LineError::new(1, "header", "bad_header")]),
        Some(Ok(header)) => {
            let line = lines.of(&header).unwrap_or(1);
            columns(&header).ok_or_else(|| vec![LineError::new(line, "header", "bad_header")])?
        }
    };
    let mut products = Vec::new();
    let mut errors = Vec::new();
    let mut skus = FxHashSet::default();
    let mut count = 0usize;
    let mut last_line = 1;
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(_) => {
                errors.push(LineError::new(last_line + 1, "line", "malformed_line"));
                break;
            }
        };
        let line = lines.of(&record).unwrap_or(last_line + 1);
        last_line = line;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        count += 1;
        if count > MAX_PRODUCTS {
            errors.push(LineError::new(line, "line", "too_many_products"));
            break;
        }
        match row(&record, &columns, credit_scale, line, &mut skus) {
            Ok(product) => products.push(product),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(products)
    } else {
        Err(errors)
    }
}

/// `;` when the first line has more semicolons than commas (the header's names contain
/// neither), else `,`.
fn delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or_default();
    let count = |c: char| first.chars().filter(|&x| x == c).count();
    if count(';') > count(',') { b';' } else { b',' }
}

/// Line numbers from byte offsets. The reader's own line count leaves out blank lines, so lines
/// are counted here: the line breaks before the record's first byte, each counted once because
/// records come in order.
struct Lines<'a> {
    text: &'a [u8],
    byte: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    const fn new(text: &'a str) -> Self {
        Self {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }

    /// The 1-based line a record starts on; `None` if the reader gave no position.
    fn of(&mut self, record: &csv::StringRecord) -> Option<usize> {
        let mut byte = usize::try_from(record.position()?.byte()).ok()?;
        // After blank lines the position is that of the first blank line; a record itself
        // never starts with a line break.
        while matches!(self.text.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        let seen = self.text.get(self.byte..byte)?;
        self.line += seen.iter().filter(|&&b| b == b'\n').count();
        self.byte = byte;
        Some(self.line)
    }
}

/// The index of each column of [`HEADER`] in the file, if the header names each exactly once
/// and nothing else.
fn columns(header: &csv::StringRecord) -> Option<[usize; HEADER.len()]> {
    if header.len() != HEADER.len() {
        return None;
    }
    let mut at = [usize::MAX; HEADER.len()];
    for (i, name) in header.iter().enumerate() {
        let name = name.trim().to_lowercase();
        let column = HEADER.iter().position(|h| *h == name)?;
        if at[column] != usize::MAX {
            return None;
        }
        at[column] = i;
    }
    Some(at)
}

/// Reads one product line: its sku and product, or its first problem. `skus` holds the skus of
/// the lines before (valid or not, so that both copies of a code get fixed).
fn row(
    record: &csv::StringRecord,
    columns: &[usize; HEADER.len()],
    credit_scale: u8,
    line: usize,
    skus: &mut FxHashSet<String>,
) -> Result<(String, Product), LineError> {
    if record.len() != HEADER.len() {
        return Err(LineError::new(line, "line", "wrong_field_count"));
    }
    let cell = |column: usize| record.get(columns[column]).unwrap_or_default().trim();
    let bad = |field, code| LineError::new(line, field, code);
    let sku = unescape(cell(0)).to_owned();
    if sku.chars().count() > MAX_SKU_CHARS {
        return Err(bad("sku", "bad_sku"));
    }
    if !sku.is_empty() && !skus.insert(sku.clone()) {
        return Err(bad("sku", "duplicate_sku"));
    }
    let unit = cell(3).to_lowercase();
    let unit = Unit::parse(&unit)
        .or_else(|| super::gdxp::unit_from_um(&unit))
        .map_or(unit, |u| u.code().to_owned());
    let quantity =
        |column, field, code| optional_decimal(cell(column), 3).map_err(|()| bad(field, code));
    let step_milli = quantity(4, "step", "bad_step")?;
    let package_size_milli = quantity(5, "package_size", "bad_package_size")?;
    let price_euro_minor =
        optional_decimal(cell(6), 2).map_err(|()| bad("price_euro", "bad_price"))?;
    let price_credit_minor =
        optional_decimal(cell(7), credit_scale).map_err(|()| bad("price_credit", "bad_price"))?;
    let vat_basis_points = vat(cell(8)).ok_or(bad("vat_rate", "bad_vat_rate"))?;
    let certifications = cell(10)
        .split('|')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .take(MAX_CERTIFICATIONS + 1)
        .map(str::to_lowercase)
        .collect();
    let season_months = season(cell(11)).ok_or(bad("season", "bad_season"))?;
    let stock_milli = quantity(12, "stock", "bad_stock")?;
    let draft = ProductDraft {
        name: unescape(cell(1)).to_owned(),
        description: unescape(cell(2)).to_owned(),
        unit,
        package_size_milli,
        step_milli,
        price_euro_minor,
        price_credit_minor,
        vat_basis_points,
        origin: unescape(cell(9)).to_owned(),
        certifications,
        season_months,
        stock_milli,
    };
    let product = draft.check().map_err(|e| bad(e.field, e.code))?;
    Ok((sku, product))
}

/// A non-negative decimal with at most `scale` decimals as minor units; empty is `None`.
fn optional_decimal(text: &str, scale: u8) -> Result<Option<i64>, ()> {
    if text.is_empty() {
        return Ok(None);
    }
    match parse_amount(text, scale) {
        Ok(a) => Ok(Some(a.minor())),
        Err(e) if e.code == "amount_not_positive" => Ok(Some(0)),
        Err(_) => Err(()),
    }
}

/// A VAT rate in percent ("22", "5,5", "10%") as basis points; empty is none.
fn vat(text: &str) -> Option<u16> {
    let text = text.strip_suffix('%').unwrap_or(text).trim();
    let points = optional_decimal(text, 2).ok()?.unwrap_or(0);
    u16::try_from(points).ok()
}

/// Months and month ranges ("3-6,9", "11-2") as a bitmask (bit 0 = January); empty is 0,
/// which the product check reads as all year.
fn season(text: &str) -> Option<u16> {
    let parts: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .take(MAX_SEASON_PARTS + 1)
        .collect();
    if parts.len() > MAX_SEASON_PARTS {
        return None;
    }
    let month = |s: &str| s.trim().parse::<u8>().ok().filter(|m| (1..=12).contains(m));
    let mut mask = 0u16;
    for part in parts {
        let (from, to) = match part.split_once('-') {
            Some((a, b)) => (month(a)?, month(b)?),
            None => (month(part)?, month(part)?),
        };
        let mut m = from;
        // At most 12 steps: `m` walks forward from `from` to `to`, wrapping after December.
        for _ in 0..12 {
            mask |= 1 << (m - 1);
            if m == to {
                break;
            }
            m = m % 12 + 1;
        }
    }
    Some(mask)
}

/// A season bitmask as month ranges: `1-12`, `3-6,9`.
fn format_season(months: u16) -> String {
    let mut runs: Vec<String> = Vec::new();
    let mut m = 1u8;
    while m <= 12 {
        if months & (1 << (m - 1)) == 0 {
            m += 1;
            continue;
        }
        let start = m;
        while m < 12 && months & (1 << m) != 0 {
            m += 1;
        }
        runs.push(if start == m {
            start.to_string()
        } else {
            format!("{start}-{m}")
        });
        m += 1;
    }
    runs.join(",")
}

/// Whether a cell starts like a spreadsheet formula.
fn formula_like(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@'])
}

/// Undoes [`escape`]: drops the `'` put before a formula-like text (or before a `'` that
/// itself needed one). Other leading `'`, as in `'Nduja`, are kept.
fn unescape(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if formula_like(rest) || rest.starts_with('\'') => rest,
        _ => text,
    }
}

/// Puts a `'` before a text that a spreadsheet would run as a formula, and before a text that
/// [`unescape`] would otherwise shorten, so that `unescape(escape(s)) == s`.
fn escape(text: &str) -> String {
    let needs = formula_like(text)
        || text
            .strip_prefix('\'')
            .is_some_and(|rest| formula_like(rest) || rest.starts_with('\''));
    if needs {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Appends `field` to `out`, quoted if it holds a comma, a quote, a line break or outer spaces.
fn push_field(out: &mut String, field: &str) {
    if field.contains([',', ';', '"', '\n', '\r']) || field != field.trim() {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// Formats thousandths or hundredths without trailing zeros: `1500` at 3 → `1.5`.
fn format_decimal(minor: i64, scale: u8) -> String {
    let text = format_minor(minor, scale, '.');
    if scale == 0 {
        return text;
    }
    let trimmed = text.trim_end_matches('0');
    trimmed.strip_suffix('.').unwrap_or(trimmed).to_owned()
}

/// Writes a catalogue (at most [`MAX_PRODUCTS`] products) that [`parse`] reads back to the same
/// products: comma-delimited, `.` decimals, LF line ends.
pub fn write(products: &[(String, Product)], credit_scale: u8) -> String {
    let credit_scale = credit_scale.min(MAX_SCALE);
    let mut out = HEADER.join(",");
    out.push('\n');
    for (sku, p) in products.iter().take(MAX_PRODUCTS) {
        let cells = [
            escape(sku.trim()),
            escape(&p.name),
            escape(&p.description),
            p.unit.code().to_owned(),
            format_decimal(p.step_milli, 3),
            if p.packaged() {
                format_decimal(p.package_size_milli, 3)
            } else {
                String::new()
            },
            p.price_euro_minor
                .map_or_else(String::new, |m| format_minor(m, 2, '.')),
            p.price_credit_minor
                .map_or_else(String::new, |m| format_minor(m, credit_scale, '.')),
            format_decimal(i64::from(p.vat_basis_points), 2),
            escape(&p.origin),
            p.certifications
                .iter()
                .map(|c| c.code())
                .collect::<Vec<_>>()
                .join("|"),
            format_season(p.season_months),
            p.stock_milli
                .map_or_else(String::new, |s| format_decimal(s, 3)),
        ];
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_field(&mut out, cell);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::purchasing::Certification;
    use crate::purchasing::catalogue::ALL_MONTHS;
    use proptest::prelude::*;

    const HEAD: &str = "sku,name,description,unit,step,package_size,price_euro,price_credit,vat_rate,origin,certifications,season,stock";

    #[test]
    fn reads_a_catalogue() {
        let text = format!(
            "{HEAD}\nPEC,Pecorino,\"Stagionato, 6 mesi\",kg,0.25,2,18.00,,4,Val Pellice,organic|designation,\"3-6,9\",\n\
             ,Uova,,piece,1,,\"3,20\",2.5,10,,,,40\n"
        );
        let p = parse(&text, 2).unwrap();
        assert_eq!(p.len(), 2);
        let (sku, pec) = &p[0];
        assert_eq!(sku, "PEC");
        assert_eq!(pec.description, "Stagionato, 6 mesi");
        assert_eq!(pec.unit, Unit::Kilogram);
        assert_eq!(pec.step_milli, 250);
        assert_eq!(pec.package_size_milli, 2_000);
        assert_eq!(pec.price_euro_minor, Some(1_800));
        assert_eq!(pec.price_credit_minor, None);
        assert_eq!(pec.vat_basis_points, 400);
        assert_eq!(
            pec.certifications,
            [Certification::Organic, Certification::Designation]
        );
        assert_eq!(pec.season_months, 0b1_0011_1100);
        assert_eq!(pec.stock_milli, None);
        let (sku, eggs) = &p[1];
        assert_eq!(sku, "");
        assert_eq!(eggs.price_euro_minor, Some(320));
        assert_eq!(eggs.price_credit_minor, Some(250));
        assert_eq!(eggs.season_months, ALL_MONTHS);
        assert_eq!(eggs.stock_milli, Some(40_000));
    }

    #[test]
    fn tolerates_excel_exports() {
        let text = "\u{feff}SKU;Name;Description;Unit;Step;Package_size;Price_euro;Price_credit;Vat_rate;Origin;Certifications;Season;Stock\r\n\
             \r\n\
             A1;Zucca;;kg;0,5;;2,40;;5,5%;;;11-2;\r\n\
             ;;;;;;;;;;;;\r\n\
             A2;Miele;\"riga uno\r\nriga due\";Pezzi;1;;9;;;;fair_trade;;0\r\n";
        let p = parse(text, 2).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].1.step_milli, 500);
        assert_eq!(p[0].1.price_euro_minor, Some(240));
        assert_eq!(p[0].1.vat_basis_points, 550);
        assert_eq!(p[0].1.season_months, 0b1100_0000_0011);
        assert_eq!(p[1].1.unit, Unit::Piece);
        assert_eq!(p[1].1.description, "riga uno\r\nriga due");
        assert_eq!(p[1].1.stock_milli, Some(0));
        let twice = text.replace("A2;Miele", "A1;Miele");
        assert_eq!(
            parse(&twice, 2),
            Err(vec![LineError::new(5, "sku", "duplicate_sku")])
        );
    }

    #[test]
    fn every_bad_line_is_reported_with_its_spreadsheet_line() {
        let text = format!(
            "{HEAD}\n\
             A,Mele,,kg,1,,2.50,,4,,,,\n\
             B,,,kg,1,,2.50,,4,,,,\n\
             C,Pere,\"two\nlines\",ton,1,,2.50,,4,,,,\n\
             A,Kiwi,,kg,1,,3,,4,,,,\n\
             D,Noci,,kg,1,,2.555,,4,,,,\n\
             E,Fichi,,kg,1,,2,,4,,,13,\n\
             F,Uva,,kg,1\n\
             \n\
             G,Susine,,kg,1,,2,,4,,magic,,\n\
             H,Cachi,,kg,abc,,2,,4,,,,\n\
             I,Datteri,,kg,1,3,2,,4,,,,5\n\
             ,Ribes,,kg,1,,,,4,,,,\n\
             ,More,,kg,1,,2,,101,,,,\n"
        );
        let errors = parse(&text, 2).unwrap_err();
        assert_eq!(
            errors,
            [
                LineError::new(3, "name", "bad_product_name"),
                LineError::new(4, "unit", "bad_unit"),
                LineError::new(6, "sku", "duplicate_sku"),
                LineError::new(7, "price_euro", "bad_price"),
                LineError::new(8, "season", "bad_season"),
                LineError::new(9, "line", "wrong_field_count"),
                LineError::new(11, "certifications", "bad_certification"),
                LineError::new(12, "step", "bad_step"),
                LineError::new(13, "stock", "stock_with_packages"),
                LineError::new(14, "price_euro", "price_missing"),
                LineError::new(15, "vat_rate", "bad_vat_rate"),
            ]
        );
    }

    #[test]
    fn the_header_must_be_there_and_right() {
        assert_eq!(
            parse("", 2),
            Err(vec![LineError::new(1, "header", "missing_header")])
        );
        assert_eq!(
            parse("sku,name\nA,B\n", 2),
            Err(vec![LineError::new(1, "header", "bad_header")])
        );
        let twice = HEAD.replace("origin", "name");
        assert_eq!(
            parse(&twice, 2),
            Err(vec![LineError::new(1, "header", "bad_header")])
        );
        let shuffled = "name,sku,description,unit,step,package_size,price_euro,price_credit,vat_rate,origin,certifications,season,stock\nMele,A,,kg,1,,2,,,,,,\n";
        assert_eq!(parse(shuffled, 2).unwrap()[0].0, "A");
        assert_eq!(parse(HEAD, 2), Ok(Vec::new()));
    }

    #[test]
    fn too_many_products_stop_the_reading() {
        let mut text = format!("{HEAD}\n");
        for i in 0..=MAX_PRODUCTS {
            text.push_str(&format!(",P{i},,piece,1,,1,,,,,,\n"));
        }
        assert_eq!(
            parse(&text, 2),
            Err(vec![LineError::new(
                MAX_PRODUCTS + 2,
                "line",
                "too_many_products"
            )])
        );
    }

    #[test]
    fn seasons_parse_and_format() {
        assert_eq!(season(""), Some(0));
        assert_eq!(season("1-12"), Some(ALL_MONTHS));
        assert_eq!(season("3-6, 9"), Some(0b1_0011_1100));
        assert_eq!(season("12-1"), Some(0b1000_0000_0001));
        assert_eq!(season("0"), None);
        assert_eq!(season("3-"), None);
        assert_eq!(season("x"), None);
        assert_eq!(format_season(ALL_MONTHS), "1-12");
        assert_eq!(format_season(0b1_0011_1100), "3-6,9");
        assert_eq!(format_season(0b1000_0000_0001), "1,12");
    }

    #[test]
    fn formulas_are_defused_and_restored() {
        for s in [
            "=SUM(A1)", "+39", "-x", "@a", "'=x", "''", "'Nduja", "plain", "",
        ] {
            assert_eq!(unescape(&escape(s)), s, "{s}");
        }
        assert_eq!(escape("=1+1"), "'=1+1");
        assert_eq!(escape("'Nduja"), "'Nduja");
    }

    fn arb_product() -> impl Strategy<Value = Product> {
        (
            "[=+'@A-Za-zàèé\" ,;|-]{1,20}",
            "[=A-Za-z0-9 ,;\"'\n|-]{0,30}",
            0usize..4,
            (1i64..=4_000, 1i64..=5, proptest::option::of(0i64..=50_000)),
            (
                proptest::option::of(1i64..=1_000_000_000),
                proptest::option::of(1i64..=1_000_000_000),
                0u16..=2_500,
            ),
            (
                "[A-Za-z, ]{0,10}",
                proptest::collection::vec(0usize..5, 0..3),
                0u16..=ALL_MONTHS,
            ),
        )
            .prop_filter_map(
                "valid",
                |(
                    name,
                    description,
                    unit,
                    (step, packages, stock),
                    (euro, credit, vat),
                    (origin, certs, season),
                )| {
                    let unit = Unit::ALL[unit];
                    let step_milli = if unit.whole_only() {
                        step * 1_000
                    } else {
                        step
                    };
                    let packaged = stock.is_none();
                    ProductDraft {
                        name,
                        description,
                        unit: unit.code().into(),
                        step_milli: Some(step_milli),
                        package_size_milli: packaged.then_some(step_milli * packages),
                        price_euro_minor: euro,
                        price_credit_minor: credit,
                        vat_basis_points: vat,
                        origin,
                        certifications: certs
                            .into_iter()
                            .map(|c| Certification::ALL[c].code().to_owned())
                            .collect(),
                        season_months: season,
                        stock_milli: stock,
                    }
                    .check()
                    .ok()
                },
            )
    }

    proptest! {
        #[test]
        fn write_then_parse_gives_the_same_products(
            products in proptest::collection::vec(arb_product(), 0..8),
            credit_scale in 0u8..=4,
        ) {
            let products: Vec<(String, Product)> = products
                .into_iter()
                .enumerate()
                .map(|(i, p)| {
                    let sku = match i % 3 { 0 => String::new(), 1 => format!("=S{i}"), _ => format!("S {i}") };
                    (sku, p)
                })
                .collect();
            let text = write(&products, credit_scale);
            prop_assert_eq!(parse(&text, credit_scale), Ok(products));
        }
    }
}
