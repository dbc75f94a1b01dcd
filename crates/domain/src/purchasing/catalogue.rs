//! A producer's catalogue: products with unit, wholesale package, prices in euro and/or district
//! credit, VAT rate, origin, certifications, seasonal availability and limited stock.

use crate::Invalid;
use crate::ledger::money::MAX_AMOUNT_MINOR;

/// The most products one producer's catalogue holds (and one import takes).
pub const MAX_PRODUCTS: usize = 5_000;
/// The largest quantity of anything, in thousandths of its unit: a million units.
pub const MAX_QUANTITY_MILLI: i64 = 1_000_000_000;
/// Thousandths in one whole unit.
pub const MILLI_PER_UNIT: i64 = 1_000;
/// The highest VAT rate accepted, in basis points (100% would be a typo).
pub const MAX_VAT_BASIS_POINTS: u16 = 5_000;
/// Every month of the year, as a bitmask (bit 0 = January).
pub const ALL_MONTHS: u16 = 0x0FFF;
/// The most certifications on one product.
pub const MAX_CERTIFICATIONS: usize = 8;
/// The longest product name, in characters.
pub const MAX_NAME_CHARS: usize = 120;
/// The longest description or origin, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;

/// The unit a product is sold and priced by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Weighed goods; a household may order fractions (by the product's step).
    Kilogram,
    /// Counted goods: whole pieces only.
    Piece,
    /// Liquids; fractions by the product's step.
    Litre,
    /// Boxes, crates, baskets: whole boxes only.
    Box,
}

impl Unit {
    /// Every unit.
    pub const ALL: [Self; 4] = [Self::Kilogram, Self::Piece, Self::Litre, Self::Box];

    /// The stored code (also used in CSV files).
    pub const fn code(self) -> &'static str {
        match self {
            Self::Kilogram => "kg",
            Self::Piece => "piece",
            Self::Litre => "l",
            Self::Box => "box",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.code() == code)
    }

    /// Whether the unit is only ever ordered whole.
    pub const fn whole_only(self) -> bool {
        matches!(self, Self::Piece | Self::Box)
    }
}

/// A label a product carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Certification {
    /// EU organic (AB, Bio, Biologico).
    Organic,
    /// Biodynamic (Demeter).
    Biodynamic,
    /// A participatory guarantee system (Nature & Progrès, PGS).
    Participatory,
    /// Fair trade.
    FairTrade,
    /// Protected designation of origin (AOP, DOP).
    Designation,
}

impl Certification {
    /// Every certification.
    pub const ALL: [Self; 5] = [
        Self::Organic,
        Self::Biodynamic,
        Self::Participatory,
        Self::FairTrade,
        Self::Designation,
    ];

    /// The stored code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Organic => "organic",
            Self::Biodynamic => "biodynamic",
            Self::Participatory => "participatory",
            Self::FairTrade => "fair_trade",
            Self::Designation => "designation",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// A product as typed or imported, before checking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductDraft {
    /// Name shown to households.
    pub name: String,
    /// Free description.
    pub description: String,
    /// Unit code (see [`Unit::code`]).
    pub unit: String,
    /// Thousandths of the unit in one wholesale package (the producer ships whole packages);
    /// `None` means sold by the step.
    pub package_size_milli: Option<i64>,
    /// The smallest increment a household orders, in thousandths of the unit; `None` means one
    /// whole unit.
    pub step_milli: Option<i64>,
    /// Price of one unit in euro cents, if sold in euro.
    pub price_euro_minor: Option<i64>,
    /// Price of one unit in the district credit's minor units, if sold in credit.
    pub price_credit_minor: Option<i64>,
    /// VAT rate in basis points (1000 = 10%).
    pub vat_basis_points: u16,
    /// Where it comes from (farm, valley, village).
    pub origin: String,
    /// Certification codes.
    pub certifications: Vec<String>,
    /// Months it is available, bit 0 = January; 0 is read as all year.
    pub season_months: u16,
    /// Units left when stock is limited, in thousandths of the unit.
    pub stock_milli: Option<i64>,
}

/// A checked product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// Name shown to households (1..=120 characters).
    pub name: String,
    /// Free description.
    pub description: String,
    /// The unit it is sold by.
    pub unit: Unit,
    /// Thousandths of the unit in one wholesale package; a multiple of `step_milli`. Equal to
    /// `step_milli` when the product is not packaged.
    pub package_size_milli: i64,
    /// The smallest increment a household orders, in thousandths of the unit.
    pub step_milli: i64,
    /// Price of one unit in euro cents.
    pub price_euro_minor: Option<i64>,
    /// Price of one unit in credit minor units.
    pub price_credit_minor: Option<i64>,
    /// VAT rate in basis points.
    pub vat_basis_points: u16,
    /// Where it comes from.
    pub origin: String,
    /// Its certifications, sorted, without duplicates.
    pub certifications: Vec<Certification>,
    /// Months available (bit 0 = January), never 0.
    pub season_months: u16,
    /// Stock left when limited. A product with limited stock is sold by the step (no packages).
    pub stock_milli: Option<i64>,
}

impl Product {
    /// Whether the product ships in packages larger than one step (so the close rounds to
    /// whole packages and tolerances matter).
    pub const fn packaged(&self) -> bool {
        self.package_size_milli > self.step_milli
    }

    /// Whether the product is in season in `month` (1..=12).
    pub fn in_season(&self, month: u8) -> bool {
        (1..=12).contains(&month) && self.season_months & (1 << (month - 1)) != 0
    }

    /// Its price in the given currency (`true` for district credit).
    pub const fn price_minor(&self, in_credit: bool) -> Option<i64> {
        if in_credit {
            self.price_credit_minor
        } else {
            self.price_euro_minor
        }
    }
}

impl ProductDraft {
    /// Checks every field; the first failure is returned with its field name.
    pub fn check(self) -> Result<Product, Invalid> {
        let name = crate::text::clean_line(&self.name);
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(Invalid::new("bad_product_name", "name"));
        }
        let unit = Unit::parse(self.unit.trim()).ok_or(Invalid::new("bad_unit", "unit"))?;
        let step_milli = self.step_milli.unwrap_or(MILLI_PER_UNIT);
        if step_milli <= 0 || step_milli > MAX_QUANTITY_MILLI {
            return Err(Invalid::new("bad_step", "step"));
        }
        if unit.whole_only() && step_milli % MILLI_PER_UNIT != 0 {
            return Err(Invalid::new("step_not_whole", "step"));
        }
        let package_size_milli = self.package_size_milli.unwrap_or(step_milli);
        if package_size_milli <= 0
            || package_size_milli > MAX_QUANTITY_MILLI
            || package_size_milli % step_milli != 0
        {
            return Err(Invalid::new("bad_package_size", "package_size"));
        }
        let price = |p: Option<i64>, field| match p {
            Some(p) if p <= 0 || p > MAX_AMOUNT_MINOR => Err(Invalid::new("bad_price", field)),
            p => Ok(p),
        };
        let price_euro_minor = price(self.price_euro_minor, "price_euro")?;
        let price_credit_minor = price(self.price_credit_minor, "price_credit")?;
        if price_euro_minor.is_none() && price_credit_minor.is_none() {
            return Err(Invalid::new("price_missing", "price_euro"));
        }
        if self.vat_basis_points > MAX_VAT_BASIS_POINTS {
            return Err(Invalid::new("bad_vat_rate", "vat_rate"));
        }
        let description = self.description.trim().to_owned();
        let origin = crate::text::clean_line(&self.origin);
        if description.chars().count() > MAX_TEXT_CHARS || origin.chars().count() > MAX_TEXT_CHARS {
            return Err(Invalid::new("text_too_long", "description"));
        }
        let certifications = certifications(&self.certifications)?;
        let season_months = match self.season_months & ALL_MONTHS {
            0 if self.season_months == 0 => ALL_MONTHS,
            0 => return Err(Invalid::new("bad_season", "season")),
            months => months,
        };
        if self.season_months & !ALL_MONTHS != 0 {
            return Err(Invalid::new("bad_season", "season"));
        }
        let stock_milli = match self.stock_milli {
            Some(s) if !(0..=MAX_QUANTITY_MILLI).contains(&s) => {
                return Err(Invalid::new("bad_stock", "stock"));
            }
            Some(_) if package_size_milli != step_milli => {
                return Err(Invalid::new("stock_with_packages", "stock"));
            }
            s => s,
        };
        Ok(Product {
            name,
            description,
            unit,
            package_size_milli,
            step_milli,
            price_euro_minor,
            price_credit_minor,
            vat_basis_points: self.vat_basis_points,
            origin,
            certifications,
            season_months,
            stock_milli,
        })
    }
}

fn certifications(codes: &[String]) -> Result<Vec<Certification>, Invalid> {
    if codes.len() > MAX_CERTIFICATIONS {
        return Err(Invalid::new("bad_certification", "certifications"));
    }
    let mut out = Vec::with_capacity(codes.len());
    for code in codes {
        let c = Certification::parse(code.trim())
            .ok_or(Invalid::new("bad_certification", "certifications"))?;
        out.push(c);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Checks a quantity a household typed for `product`: positive, a whole number of steps, at
/// most [`MAX_QUANTITY_MILLI`]. Zero is allowed (it removes a line).
pub fn check_quantity(product: &Product, quantity_milli: i64) -> Result<i64, Invalid> {
    if quantity_milli < 0 {
        return Err(Invalid::new("quantity_negative", "quantity"));
    }
    if quantity_milli > MAX_QUANTITY_MILLI {
        return Err(Invalid::new("quantity_too_large", "quantity"));
    }
    if quantity_milli % product.step_milli != 0 {
        return Err(Invalid::new("quantity_not_step", "quantity"));
    }
    Ok(quantity_milli)
}

/// Parses a quantity typed by a person ("1,5", "2", "0.250") into thousandths of a unit.
/// Refuses signs, exponents and more than three decimals rather than rounding.
pub fn parse_quantity(text: &str) -> Result<i64, Invalid> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed == "0" {
        return Ok(0);
    }
    match crate::ledger::money::parse_amount(trimmed, 3) {
        Ok(a) => Ok(a.minor()),
        Err(e) if e.code == "amount_not_positive" => Ok(0),
        Err(e) if e.code == "amount_too_large" => {
            Err(Invalid::new("quantity_too_large", "quantity"))
        }
        Err(_) => Err(Invalid::new("bad_quantity", "quantity")),
    }
}

/// Formats thousandths of a unit for people: `1500` → `1.5`, `2000` → `2`, with the given
/// decimal separator.
pub fn format_quantity(quantity_milli: i64, decimal_separator: char) -> String {
    let text = crate::ledger::money::format_minor(quantity_milli, 3, decimal_separator);
    let trimmed = text.trim_end_matches('0');
    trimmed
        .strip_suffix(decimal_separator)
        .unwrap_or(trimmed)
        .to_owned()
}

/// The amount of `quantity_milli` at `price_minor` per unit, rounded half up to the minor unit.
/// Every charge, payout and fee is a sum of these, so totals agree to the cent.
pub fn line_amount_minor(price_minor: i64, quantity_milli: i64) -> i64 {
    let exact = i128::from(price_minor) * i128::from(quantity_milli);
    let rounded = (exact + i128::from(MILLI_PER_UNIT / 2)).div_euclid(i128::from(MILLI_PER_UNIT));
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> ProductDraft {
        ProductDraft {
            name: "Pecorino".into(),
            unit: "kg".into(),
            step_milli: Some(250),
            package_size_milli: Some(2_000),
            price_euro_minor: Some(1_800),
            vat_basis_points: 400,
            certifications: vec!["organic".into(), "organic".into()],
            ..ProductDraft::default()
        }
    }

    #[test]
    fn a_good_draft_becomes_a_product() {
        let p = draft().check().unwrap();
        assert_eq!(p.unit, Unit::Kilogram);
        assert!(p.packaged());
        assert_eq!(p.certifications, vec![Certification::Organic]);
        assert_eq!(p.season_months, ALL_MONTHS);
        assert!(p.in_season(7));
        assert!(!p.in_season(13));
    }

    #[test]
    fn bad_drafts_are_refused_with_their_field() {
        let code = |d: ProductDraft| d.check().unwrap_err().code;
        assert_eq!(
            code(ProductDraft {
                name: " ".into(),
                ..draft()
            }),
            "bad_product_name"
        );
        assert_eq!(
            code(ProductDraft {
                unit: "ton".into(),
                ..draft()
            }),
            "bad_unit"
        );
        assert_eq!(
            code(ProductDraft {
                package_size_milli: Some(1_100),
                ..draft()
            }),
            "bad_package_size"
        );
        assert_eq!(
            code(ProductDraft {
                price_euro_minor: None,
                ..draft()
            }),
            "price_missing"
        );
        assert_eq!(
            code(ProductDraft {
                price_euro_minor: Some(0),
                ..draft()
            }),
            "bad_price"
        );
        assert_eq!(
            code(ProductDraft {
                vat_basis_points: 9_000,
                ..draft()
            }),
            "bad_vat_rate"
        );
        assert_eq!(
            code(ProductDraft {
                certifications: vec!["magic".into()],
                ..draft()
            }),
            "bad_certification"
        );
        assert_eq!(
            code(ProductDraft {
                season_months: 0x1000,
                ..draft()
            }),
            "bad_season"
        );
        assert_eq!(
            code(ProductDraft {
                stock_milli: Some(5_000),
                ..draft()
            }),
            "stock_with_packages"
        );
        assert_eq!(
            code(ProductDraft {
                unit: "piece".into(),
                step_milli: Some(500),
                package_size_milli: None,
                ..draft()
            }),
            "step_not_whole"
        );
    }

    #[test]
    fn quantities_parse_check_and_format() {
        let p = draft().check().unwrap();
        assert_eq!(parse_quantity("1,5"), Ok(1_500));
        assert_eq!(parse_quantity(""), Ok(0));
        assert_eq!(parse_quantity("0,000"), Ok(0));
        assert_eq!(parse_quantity("-1").unwrap_err().code, "bad_quantity");
        assert_eq!(parse_quantity("1.2345").unwrap_err().code, "bad_quantity");
        assert_eq!(check_quantity(&p, 1_500), Ok(1_500));
        assert_eq!(
            check_quantity(&p, 1_100).unwrap_err().code,
            "quantity_not_step"
        );
        assert_eq!(
            check_quantity(&p, -250).unwrap_err().code,
            "quantity_negative"
        );
        assert_eq!(format_quantity(1_500, ','), "1,5");
        assert_eq!(format_quantity(2_000, '.'), "2");
        assert_eq!(format_quantity(250, '.'), "0.25");
    }

    #[test]
    fn line_amounts_round_half_up() {
        assert_eq!(line_amount_minor(1_800, 1_500), 2_700);
        assert_eq!(line_amount_minor(333, 1_500), 500); // 499.5 → 500
        assert_eq!(line_amount_minor(333, 250), 83); // 83.25 → 83
    }
}
