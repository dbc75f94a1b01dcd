//! GDXP: the JSON catalogue exchange format of Italian purchasing groups (GAS), written and read
//! by GASdotto. A producer exports its catalogue here and a GAS imports it there, and back.
//!
//! The shape follows the GDXP v1 JSON schema and documentation (github.com/madbob/GDXP,
//! `v1/GDXP-1.json`, `DOC.md`) and what GASdotto actually writes and reads
//! (github.com/madbob/GASdottoNG, the supplier export view and
//! `app/Importers/GDXP/{Suppliers,Products}.php`):
//!
//! ```text
//! { "protocolVersion": 1.0, "creationDate": "YYYY-MM-DD", "applicationSignature": "…",
//!   "subject": { name, taxCode, vatNumber, address, contacts },
//!   "blocks": [ { "supplier": { name, taxCode, vatNumber, address, contacts,
//!       "products": [ { name, um, sku, category, description, active,
//!           "orderInfo": { packageQty, maxQty, minQty, mulQty, availableQty,
//!                          umPrice, shippingCost, vatRate } } ] } } ] }
//! ```
//!
//! Field mapping (GDXP → [`ProductDraft`]):
//! - `name` → `name`; `description` → `description`; `sku` → the returned sku (trimmed, may be
//!   empty; a number is read as its digits).
//! - `um` (free text) → `unit` by name, case- and accent-insensitive: see [`unit_from_um`].
//! - `orderInfo.umPrice` (euro per `um`, VAT included per GDXP) → `price_euro_minor` in cents.
//! - `orderInfo.packageQty` (units in one package the supplier ships; 1 = not packaged, as
//!   GASdotto reads it) → `package_size_milli`.
//! - `orderInfo.mulQty` (households order multiples of it; 0 = any) → `step_milli`; 0 leaves
//!   the step at one whole unit.
//! - `orderInfo.availableQty` (0 = unlimited) → `stock_milli`.
//! - `orderInfo.vatRate` (percent, 0 or missing = none) → `vat_basis_points`.
//! - `active: false` (the product is listed but cannot be ordered) → the product is skipped
//!   and counted in [`GdxpSupplier::skipped_inactive`]: GASdotto keeps retired products in its
//!   exports, often with price 0, and importing them as orderable would be wrong.
//! - `minQty`, `maxQty`, `shippingCost`, `category`, `bookingInfo`, `attachments`,
//!   `transformations`: no counterpart in a Distretto product; ignored.
//! - `distretto` (our own extension object, ignored by GASdotto): `origin`, `certifications`
//!   (codes), `seasonMonths` (bitmask) and, for a package of exactly one unit sold by a smaller
//!   step (which `packageQty: 1` cannot say), `packageSizeMilli`; so a Distretto → Distretto
//!   exchange keeps them.
//!
//! Numbers are exact: GDXP writes decimals as JSON numbers, which `serde_json` (without its
//! `arbitrary_precision` feature) reads as `f64`. A decimal is accepted only when the `f64` is
//! (within two units in the last place, to forgive an imprecise parser or a writer printing 17
//! digits such as `7.6500000000000004`) the double nearest to a value with at most 2 decimals
//! (prices, VAT rates) or 3 decimals (quantities). That value is taken exactly, as integer
//! minor units; anything finer (`2.3333` €) is refused, never rounded. Numbers written as JSON
//! strings (`"7,65"`) are read with [`parse_amount`]. The writer emits whole values as JSON
//! integers and others as the shortest decimal that reads back as the same double.

use super::catalogue::{MAX_PRODUCTS, MILLI_PER_UNIT};
use super::catalogue_csv::MAX_SKU_CHARS;
use super::{Product, ProductDraft, Unit};
use crate::ledger::money::parse_amount;
use rustc_hash::FxHashSet;
use serde_json::{Map, Value, json};

/// The most supplier blocks one file may hold.
pub const MAX_SUPPLIERS: usize = 20;
/// The longest supplier name, in characters.
pub const MAX_SUPPLIER_NAME_CHARS: usize = 200;
/// The longest VAT number or tax code, in characters.
pub const MAX_TAX_ID_CHARS: usize = 32;
/// The name written in `applicationSignature`.
pub const APPLICATION_SIGNATURE: &str = "Distretto";
/// The category written on every product: GASdotto's default one, so its import files the
/// products there instead of creating a new category.
pub const DEFAULT_CATEGORY: &str = "Non Specificato";
/// The key of our extension object on a product.
const EXTENSION: &str = "distretto";
/// The largest number read, in minor units, before any domain check: keeps arithmetic in range.
const MAX_MINOR: i64 = 1_000_000_000_000_000;

/// One problem found in a catalogue file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueError {
    /// Where: a JSON path such as `blocks[0].supplier.products[3].orderInfo.umPrice`, empty for
    /// the whole file.
    pub path: String,
    /// Stable snake_case code (also the Fluent message id).
    pub code: &'static str,
}

/// Every problem found in a catalogue file; when returned, nothing was imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} problem(s) in the catalogue file", .errors.len())]
pub struct CatalogueErrors {
    /// The problems, in file order: at most one per product.
    pub errors: Vec<CatalogueError>,
}

impl CatalogueErrors {
    fn one(path: &str, code: &'static str) -> Self {
        Self {
            errors: vec![CatalogueError {
                path: path.to_owned(),
                code,
            }],
        }
    }
}

/// One supplier's catalogue read from a GDXP file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GdxpSupplier {
    /// Business name.
    pub name: String,
    /// VAT number (partita IVA), as written; may be empty.
    pub vat_number: String,
    /// Tax code (codice fiscale), as written; may be empty.
    pub tax_code: String,
    /// The orderable products, each known to pass [`ProductDraft::check`].
    pub products: Vec<ProductDraft>,
    /// The supplier's code of each product, parallel to `products`; empty when the file has
    /// none (the caller generates one). Non-empty codes are unique within a supplier.
    pub skus: Vec<String>,
    /// How many products were listed as not orderable (`active: false`) and skipped.
    pub skipped_inactive: usize,
}

/// The producer a GDXP file is written for. It is also the file's `subject` (who made it):
/// in Distretto a producer exports its own catalogue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SupplierInfo {
    /// Business name.
    pub name: String,
    /// VAT number (partita IVA); GDXP uses it as the supplier's global key.
    pub vat_number: String,
    /// Tax code (codice fiscale).
    pub tax_code: String,
    /// Street and number.
    pub street: String,
    /// Town.
    pub locality: String,
    /// Postcode.
    pub zip_code: String,
    /// E-mail address, empty if none.
    pub email: String,
    /// Phone number, empty if none.
    pub phone: String,
    /// Web site, empty if none.
    pub website: String,
}

/// Reads a GDXP file. All or nothing: any problem (not JSON, not GDXP, an unsupported
/// version, a bad supplier or product) fails the whole file with every bad product listed
/// (its first problem each). The caller bounds the file size.
pub fn parse(json: &str) -> Result<Vec<GdxpSupplier>, CatalogueErrors> {
    let root: Value =
        serde_json::from_str(json).map_err(|_| CatalogueErrors::one("", "not_json"))?;
    let Some(root) = root.as_object() else {
        return Err(CatalogueErrors::one("", "not_gdxp"));
    };
    check_version(root.get("protocolVersion"))?;
    let Some(blocks) = root.get("blocks").and_then(Value::as_array) else {
        return Err(CatalogueErrors::one("blocks", "not_gdxp"));
    };
    if blocks.len() > MAX_SUPPLIERS {
        return Err(CatalogueErrors::one("blocks", "too_many_suppliers"));
    }
    let mut errors = Vec::new();
    let mut suppliers = Vec::with_capacity(blocks.len());
    for (b, block) in blocks.iter().enumerate() {
        let path = format!("blocks[{b}].supplier");
        match block.get("supplier").and_then(Value::as_object) {
            Some(s) => match supplier(&path, s) {
                Ok(s) => suppliers.push(s),
                Err(mut e) => errors.append(&mut e),
            },
            None => errors.push(error(&path, "", "supplier_missing")),
        }
    }
    if errors.is_empty() {
        Ok(suppliers)
    } else {
        Err(CatalogueErrors { errors })
    }
}

/// Accepts GDXP 1.x, whether the version is written as a number (GASdotto, the schema) or a
/// string (the documentation's example).
fn check_version(version: Option<&Value>) -> Result<(), CatalogueErrors> {
    let text = match version {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.trim().to_owned(),
        _ => return Err(CatalogueErrors::one("protocolVersion", "not_gdxp")),
    };
    let major = text.split('.').next().unwrap_or_default();
    if major == "1" {
        Ok(())
    } else {
        Err(CatalogueErrors::one(
            "protocolVersion",
            "unsupported_gdxp_version",
        ))
    }
}

fn error(path: &str, field: &str, code: &'static str) -> CatalogueError {
    let path = if field.is_empty() {
        path.to_owned()
    } else {
        format!("{path}.{field}")
    };
    CatalogueError { path, code }
}

/// Reads one supplier block, or every problem in it.
fn supplier(path: &str, s: &Map<String, Value>) -> Result<GdxpSupplier, Vec<CatalogueError>> {
    let name = crate::text::clean_line(&text(s.get("name")).unwrap_or_default());
    if name.is_empty() || name.chars().count() > MAX_SUPPLIER_NAME_CHARS {
        return Err(vec![error(path, "name", "bad_supplier_name")]);
    }
    let tax_id = |field: &str, code| match text(s.get(field)) {
        Some(t) if t.chars().count() <= MAX_TAX_ID_CHARS => Ok(t),
        _ => Err(vec![error(path, field, code)]),
    };
    let vat_number = tax_id("vatNumber", "bad_vat_number")?;
    let tax_code = tax_id("taxCode", "bad_tax_code")?;
    let Some(list) = s.get("products").and_then(Value::as_array) else {
        return Err(vec![error(path, "products", "products_missing")]);
    };
    if list.len() > MAX_PRODUCTS {
        return Err(vec![error(path, "products", "too_many_products")]);
    }
    let mut out = GdxpSupplier {
        name,
        vat_number,
        tax_code,
        products: Vec::with_capacity(list.len()),
        skus: Vec::with_capacity(list.len()),
        skipped_inactive: 0,
    };
    let mut errors = Vec::new();
    let mut seen = FxHashSet::default();
    for (i, p) in list.iter().enumerate() {
        let path = format!("{path}.products[{i}]");
        match product(&path, p, &mut seen) {
            Ok(None) => out.skipped_inactive += 1,
            Ok(Some((sku, draft))) => {
                out.skus.push(sku);
                out.products.push(draft);
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// A string value; numbers are read as their digits; missing or null is empty.
fn text(value: Option<&Value>) -> Option<String> {
    match value {
        None | Some(Value::Null) => Some(String::new()),
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => None,
    }
}

/// Whether a product is listed as not orderable. GDXP writes a boolean; older exports wrote
/// the text `"false"`.
fn inactive(p: &Map<String, Value>) -> bool {
    match p.get("active") {
        Some(Value::Bool(b)) => !b,
        Some(Value::String(s)) => s.trim().eq_ignore_ascii_case("false"),
        _ => false,
    }
}

/// Reads one product: `None` when it is inactive, else its sku and a draft that passes
/// [`ProductDraft::check`]; the first problem otherwise. `seen` holds the skus read so far in
/// the supplier's list (valid products or not, so that both copies of a code get fixed).
fn product(
    path: &str,
    p: &Value,
    seen: &mut FxHashSet<String>,
) -> Result<Option<(String, ProductDraft)>, CatalogueError> {
    let Some(p) = p.as_object() else {
        return Err(error(path, "", "bad_product"));
    };
    if inactive(p) {
        return Ok(None);
    }
    let name = match p.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => return Err(error(path, "name", "bad_product_name")),
    };
    let unit = match p.get("um") {
        Some(Value::String(um)) => unit_from_um(um),
        _ => None,
    }
    .ok_or_else(|| error(path, "um", "bad_unit"))?;
    let sku = match text(p.get("sku")) {
        Some(s) if s.chars().count() <= MAX_SKU_CHARS => s,
        _ => return Err(error(path, "sku", "bad_sku")),
    };
    if !sku.is_empty() && !seen.insert(sku.clone()) {
        return Err(error(path, "sku", "duplicate_sku"));
    }
    let description =
        text(p.get("description")).ok_or_else(|| error(path, "description", "bad_description"))?;
    let Some(info) = p.get("orderInfo").and_then(Value::as_object) else {
        return Err(error(path, "orderInfo", "price_missing"));
    };
    let order = |field: &str, scale: u8, code: &'static str| {
        optional_decimal(info.get(field), scale)
            .map_err(|()| error(path, &format!("orderInfo.{field}"), code))
    };
    let price = order("umPrice", 2, "bad_price")?.filter(|&p| p > 0);
    let Some(price) = price else {
        return Err(error(path, "orderInfo.umPrice", "price_missing"));
    };
    let package = order("packageQty", 3, "bad_package_size")?;
    let step = order("mulQty", 3, "bad_step")?;
    let stock = order("availableQty", 3, "bad_stock")?;
    let vat = order("vatRate", 2, "bad_vat_rate")?.unwrap_or(0);
    let vat = u16::try_from(vat).map_err(|_| error(path, "orderInfo.vatRate", "bad_vat_rate"))?;
    let mut draft = ProductDraft {
        name,
        description,
        unit: unit.code().to_owned(),
        // GASdotto reads a package of one unit as "not packaged".
        package_size_milli: package.filter(|&q| q != 0 && q != MILLI_PER_UNIT),
        step_milli: step.filter(|&q| q != 0),
        price_euro_minor: Some(price),
        price_credit_minor: None,
        vat_basis_points: vat,
        stock_milli: stock.filter(|&q| q != 0),
        ..ProductDraft::default()
    };
    if let Some(ext) = p.get(EXTENSION) {
        extension(&mut draft, ext).map_err(|field| error(path, field, "bad_extension"))?;
    }
    match draft.clone().check() {
        Ok(_) => Ok(Some((sku, draft))),
        Err(e) => Err(error(path, gdxp_field(e.field), e.code)),
    }
}

/// Reads our extension object into the draft; the path of the bad field otherwise.
fn extension(draft: &mut ProductDraft, ext: &Value) -> Result<(), &'static str> {
    let Some(ext) = ext.as_object() else {
        return Err(EXTENSION);
    };
    match ext.get("origin") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => draft.origin.clone_from(s),
        Some(_) => return Err("distretto.origin"),
    }
    match ext.get("certifications") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) if list.len() <= super::catalogue::MAX_CERTIFICATIONS => {
            for c in list {
                let c = c.as_str().ok_or("distretto.certifications")?;
                draft.certifications.push(c.to_owned());
            }
        }
        Some(_) => return Err("distretto.certifications"),
    }
    match ext.get("packageSizeMilli") {
        None | Some(Value::Null) => {}
        Some(v) => {
            let milli = v.as_i64().ok_or("distretto.packageSizeMilli")?;
            draft.package_size_milli = Some(milli);
        }
    }
    match ext.get("seasonMonths") {
        None | Some(Value::Null) => {}
        Some(v) => {
            let months = v.as_u64().and_then(|m| u16::try_from(m).ok());
            draft.season_months = months.ok_or("distretto.seasonMonths")?;
        }
    }
    Ok(())
}

/// The GDXP path (below the product) of a field [`ProductDraft::check`] names.
fn gdxp_field(field: &str) -> &'static str {
    match field {
        "name" => "name",
        "unit" => "um",
        "step" => "orderInfo.mulQty",
        "package_size" => "orderInfo.packageQty",
        "price_euro" | "price_credit" => "orderInfo.umPrice",
        "vat_rate" => "orderInfo.vatRate",
        "stock" => "orderInfo.availableQty",
        "description" => "description",
        "certifications" => "distretto.certifications",
        "season" => "distretto.seasonMonths",
        _ => "",
    }
}

/// Our unit for a GDXP `um`. GDXP leaves unit names free, so this knows the names GASdotto
/// ships (`Chili`, `Litri`, `Pezzi`, `Non Specificato`, counted as pieces) and the usual
/// Italian, French and English names and abbreviations, compared without case, accents or a
/// final dot. Weights and volumes in other units (grams, centilitres) are not converted: they
/// are refused.
pub fn unit_from_um(um: &str) -> Option<Unit> {
    let folded = crate::text::fold(um);
    let key = folded.trim_end_matches('.');
    let unit = match key {
        "kg" | "kgs" | "chili" | "chilo" | "chilogrammi" | "chilogrammo" | "kilo" | "kili"
        | "kilos" | "kilogrammi" | "kilogrammo" | "kilogram" | "kilograms" | "kilogramme"
        | "kilogrammes" => Unit::Kilogram,
        "l" | "lt" | "lit" | "litri" | "litro" | "litre" | "litres" | "liter" | "liters" => {
            Unit::Litre
        }
        "pz" | "pzz" | "pezzi" | "pezzo" | "pc" | "pcs" | "piece" | "pieces" | "unita" | "unit"
        | "units" | "unite" | "unites" | "n" | "nr" | "num" | "numero" | "non specificato"
        | "bottiglia" | "bottiglie" | "barattolo" | "barattoli" | "vasetto" | "vasetti"
        | "mazzo" | "mazzi" => Unit::Piece,
        "conf" | "confezione" | "confezioni" | "cassetta" | "cassette" | "cassa" | "casse"
        | "scatola" | "scatole" | "box" | "boxes" | "vaschetta" | "vaschette" | "cestino"
        | "cestini" | "cartone" | "cartoni" | "busta" | "buste" | "sacco" | "sacchi" | "pacco"
        | "pacchi" | "colis" | "caisse" | "caisses" | "panier" | "paniers" | "cagette"
        | "cagettes" => Unit::Box,
        _ => return None,
    };
    Some(unit)
}

/// The `um` written for a unit: GASdotto's own measure names where it has one, so its import
/// reuses them.
pub const fn um_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Kilogram => "Chili",
        Unit::Litre => "Litri",
        Unit::Piece => "Pezzi",
        Unit::Box => "Confezioni",
    }
}

/// A non-negative decimal at `scale` decimals as integer minor units; missing, null or an
/// empty string is `None`. See the module documentation for why this is exact.
fn optional_decimal(value: Option<&Value>, scale: u8) -> Result<Option<i64>, ()> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => string_decimal(s, scale).map(Some),
        Some(Value::Number(n)) => number_decimal(n, scale).map(Some),
        Some(_) => Err(()),
    }
}

/// A decimal written as text ("7,65", "0").
fn string_decimal(s: &str, scale: u8) -> Result<i64, ()> {
    match parse_amount(s, scale) {
        Ok(a) => Ok(a.minor()),
        Err(e) if e.code == "amount_not_positive" => Ok(0),
        Err(_) => Err(()),
    }
}

/// A JSON number at `scale` decimals, exactly (see the module documentation).
fn number_decimal(n: &serde_json::Number, scale: u8) -> Result<i64, ()> {
    let unit = 10_i64.pow(u32::from(scale));
    if let Some(whole) = n.as_u64() {
        let whole = i64::try_from(whole).map_err(|_| ())?;
        return whole
            .checked_mul(unit)
            .filter(|&m| m <= MAX_MINOR)
            .ok_or(());
    }
    let f = n.as_f64().ok_or(())?;
    if !f.is_finite() || f < 0.0 {
        return Err(());
    }
    if f == 0.0 {
        return Ok(0);
    }
    #[allow(clippy::cast_precision_loss)]
    let scaled = (f * unit as f64).round();
    #[allow(clippy::cast_precision_loss)]
    let max = MAX_MINOR as f64;
    if scaled > max {
        return Err(());
    }
    #[allow(clippy::cast_possible_truncation)]
    let minor = scaled as i64;
    #[allow(clippy::cast_precision_loss)]
    let nearest = minor as f64 / unit as f64;
    // Both are positive and finite, so their bit patterns are ordered like the values and
    // their difference counts the doubles between them.
    let ulps = i128::from(f.to_bits()) - i128::from(nearest.to_bits());
    if ulps.abs() <= 2 { Ok(minor) } else { Err(()) }
}

/// A JSON number for `minor` units at `scale` decimals: an integer when whole, else the
/// shortest decimal that reads back as the nearest double (exact, as the parser reads it).
fn number(minor: i64, scale: u8) -> Value {
    let unit = 10_i64.pow(u32::from(scale));
    if minor % unit == 0 {
        return Value::from(minor / unit);
    }
    #[allow(clippy::cast_precision_loss)]
    let f = minor as f64 / unit as f64;
    serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// Whether [`write`] can export a product: GDXP prices are in euro, so a product sold only in
/// district credit has no GDXP price and is left out.
pub const fn exportable(product: &Product) -> bool {
    product.price_euro_minor.is_some()
}

/// Writes a GDXP 1.0 file with one supplier block holding `products` (sku, product), at most
/// [`MAX_PRODUCTS`] of them, created on `created`. GASdotto imports it (it reads `contacts` and
/// `products` unconditionally, so both are always present).
///
/// What GDXP cannot carry is left out: products without a euro price (see [`exportable`]) and
/// credit prices (a district's credit means nothing to another). A sold-out product (stock 0)
/// is written as not orderable (`active: false`, since `availableQty` 0 means unlimited), so it
/// is skipped on import. Origin, certifications and season go in the `distretto` extension.
pub fn write(
    supplier: &SupplierInfo,
    products: &[(String, Product)],
    created: time::Date,
) -> String {
    let subject = party(supplier, None);
    let list: Vec<Value> = products
        .iter()
        .filter(|(_, p)| exportable(p))
        .take(MAX_PRODUCTS)
        .map(|(sku, p)| product_json(sku, p))
        .collect();
    let file = json!({
        "protocolVersion": 1.0,
        "creationDate": format!(
            "{:04}-{:02}-{:02}",
            created.year(),
            u8::from(created.month()),
            created.day()
        ),
        "applicationSignature": APPLICATION_SIGNATURE,
        "subject": subject,
        "blocks": [{ "supplier": party(supplier, Some(list)) }],
    });
    format!("{file:#}")
}

/// The subject or supplier object; with products for the supplier.
fn party(s: &SupplierInfo, products: Option<Vec<Value>>) -> Value {
    let contacts: Vec<Value> = [
        ("emailAddress", &s.email),
        ("phoneNumber", &s.phone),
        ("webSite", &s.website),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(kind, v)| json!({ "type": kind, "value": v.trim() }))
    .collect();
    let mut out = json!({
        "name": s.name.trim(),
        "taxCode": s.tax_code.trim(),
        "vatNumber": s.vat_number.trim(),
        "address": {
            "street": s.street.trim(),
            "locality": s.locality.trim(),
            "zipCode": s.zip_code.trim(),
        },
        "contacts": contacts,
    });
    if let (Some(list), Some(obj)) = (products, out.as_object_mut()) {
        obj.insert("products".to_owned(), Value::Array(list));
    }
    out
}

/// One product object.
fn product_json(sku: &str, p: &Product) -> Value {
    let mut info = json!({
        "packageQty": number(if p.packaged() { p.package_size_milli } else { MILLI_PER_UNIT }, 3),
        "maxQty": 0,
        "minQty": 0,
        "mulQty": number(p.step_milli, 3),
        "availableQty": number(p.stock_milli.unwrap_or(0), 3),
        "umPrice": number(p.price_euro_minor.unwrap_or(0), 2),
        "shippingCost": 0,
    });
    if let (true, Some(obj)) = (p.vat_basis_points > 0, info.as_object_mut()) {
        obj.insert(
            "vatRate".to_owned(),
            number(i64::from(p.vat_basis_points), 2),
        );
    }
    let mut out = json!({
        "name": p.name,
        "um": um_name(p.unit),
        "sku": sku.trim(),
        "category": DEFAULT_CATEGORY,
        "description": p.description,
        "orderInfo": info,
        "active": p.stock_milli != Some(0),
    });
    let ext = extension_json(p);
    if let (Some(ext), Some(obj)) = (ext, out.as_object_mut()) {
        obj.insert(EXTENSION.to_owned(), ext);
    }
    out
}

/// Whether the product ships in packages of exactly one unit while households order less:
/// GDXP's `packageQty` 1 means "not packaged" to GASdotto, so the extension says it.
const fn unit_package(p: &Product) -> bool {
    p.packaged() && p.package_size_milli == MILLI_PER_UNIT
}

/// Our extension object, when the product has anything GDXP cannot say.
fn extension_json(p: &Product) -> Option<Value> {
    if p.origin.is_empty()
        && p.certifications.is_empty()
        && p.season_months == super::catalogue::ALL_MONTHS
        && !unit_package(p)
    {
        return None;
    }
    let codes: Vec<&str> = p.certifications.iter().map(|c| c.code()).collect();
    let mut ext = json!({
        "origin": p.origin,
        "certifications": codes,
        "seasonMonths": p.season_months,
    });
    if let (true, Some(obj)) = (unit_package(p), ext.as_object_mut()) {
        obj.insert(
            "packageSizeMilli".to_owned(),
            Value::from(p.package_size_milli),
        );
    }
    Some(ext)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::purchasing::Certification;
    use crate::purchasing::catalogue::ALL_MONTHS;
    use proptest::prelude::*;

    /// A catalogue in the shape GASdotto exports (one supplier block, contacts, categories,
    /// float prices, a retired product with price 0, a VAT rate as text), written for these
    /// tests.
    const GASDOTTO_SAMPLE: &str = r#"{
  "protocolVersion": 1.0,
  "creationDate": "2024-03-11",
  "applicationSignature": "GASdotto",
  "subject": {
    "name": "GAS Borgo Dora",
    "taxCode": "",
    "vatNumber": "",
    "address": { "street": "", "locality": "", "zipCode": "" },
    "contacts": [ { "type": "emailAddress", "value": "gas@example.org" } ]
  },
  "blocks": [
    {
      "supplier": {
        "name": "Cascina Valle Rosa",
        "taxCode": "VLLRSO80A01L219X",
        "vatNumber": "01234560017",
        "address": { "street": "Strada dei Prati 4", "locality": "Pinerolo (TO)", "zipCode": "10064" },
        "contacts": [
          { "type": "emailAddress", "value": "ordini@valle-rosa.example" },
          { "type": "phoneNumber", "value": "0121 000000" }
        ],
        "products": [
          {
            "name": "Patate di montagna",
            "um": "Chili",
            "sku": "PAT-01",
            "category": "Frutta e Verdura",
            "description": "Patate a pasta gialla, raccolte a settembre.",
            "orderInfo": { "packageQty": 10, "maxQty": 0, "minQty": 1, "mulQty": 0.5,
                           "availableQty": 0, "umPrice": 1.35, "shippingCost": 0, "vatRate": 4 },
            "active": true
          },
          {
            "name": "Uova fresche (6)",
            "um": "PZ",
            "sku": 1002,
            "category": "Non Specificato",
            "description": "",
            "orderInfo": { "packageQty": 1, "maxQty": 0, "minQty": 1, "mulQty": 0,
                           "availableQty": 40, "umPrice": 3.2, "shippingCost": 0, "vatRate": "10.00" },
            "active": true
          },
          {
            "name": "Succo di mela",
            "um": "Litri",
            "sku": "",
            "category": "Bevande",
            "description": "Senza zuccheri aggiunti",
            "orderInfo": { "packageQty": 6, "maxQty": 0, "minQty": 1, "mulQty": 1,
                           "availableQty": 0, "umPrice": 7.6500000000000004, "shippingCost": 0, "vatRate": 22 },
            "active": true,
            "attachments": [ { "name": "Immagine", "contents": "" } ]
          },
          {
            "name": "Cassetta mista di stagione",
            "um": "Confezione",
            "sku": "",
            "category": "Frutta e Verdura",
            "description": "",
            "orderInfo": { "packageQty": 1, "maxQty": 0, "minQty": 1, "mulQty": 0,
                           "availableQty": 0, "umPrice": 18, "shippingCost": 0 },
            "active": true
          },
          {
            "name": "Albicocche (fine stagione)",
            "um": "Vaschette",
            "sku": "",
            "category": "Frutta e Verdura",
            "description": "",
            "orderInfo": { "packageQty": 1, "maxQty": 0, "minQty": 1, "mulQty": 1,
                           "availableQty": 0, "umPrice": 0, "shippingCost": 0, "vatRate": 4 },
            "active": false
          }
        ]
      }
    }
  ]
}"#;

    fn product(draft: ProductDraft) -> Product {
        draft.check().unwrap()
    }

    #[test]
    fn reads_a_gasdotto_export() {
        let suppliers = parse(GASDOTTO_SAMPLE).unwrap();
        assert_eq!(suppliers.len(), 1);
        let s = &suppliers[0];
        assert_eq!(s.name, "Cascina Valle Rosa");
        assert_eq!(s.vat_number, "01234560017");
        assert_eq!(s.tax_code, "VLLRSO80A01L219X");
        assert_eq!(s.skus, ["PAT-01", "1002", "", ""]);
        assert_eq!(s.skipped_inactive, 1);
        let p: Vec<Product> = s.products.iter().cloned().map(product).collect();
        assert_eq!(p[0].unit, Unit::Kilogram);
        assert_eq!(p[0].price_euro_minor, Some(135));
        assert_eq!(p[0].step_milli, 500);
        assert_eq!(p[0].package_size_milli, 10_000);
        assert_eq!(p[0].vat_basis_points, 400);
        assert_eq!(p[1].unit, Unit::Piece);
        assert_eq!(p[1].price_euro_minor, Some(320));
        assert_eq!(p[1].stock_milli, Some(40_000));
        assert_eq!(p[1].vat_basis_points, 1_000);
        assert!(!p[1].packaged());
        assert_eq!(p[2].unit, Unit::Litre);
        assert_eq!(p[2].price_euro_minor, Some(765));
        assert_eq!(p[2].package_size_milli, 6_000);
        assert_eq!(p[3].unit, Unit::Box);
        assert_eq!(p[3].price_euro_minor, Some(1_800));
        assert_eq!(p[3].vat_basis_points, 0);
    }

    #[test]
    fn the_version_may_be_a_string_and_must_be_one() {
        let with = |v: &str| GASDOTTO_SAMPLE.replacen("\"protocolVersion\": 1.0", v, 1);
        assert!(parse(&with("\"protocolVersion\": \"1.0\"")).is_ok());
        assert!(parse(&with("\"protocolVersion\": 1")).is_ok());
        let code = |v: &str| parse(&with(v)).unwrap_err().errors[0].code;
        assert_eq!(code("\"protocolVersion\": 2.0"), "unsupported_gdxp_version");
        assert_eq!(code("\"protocolVersio\": 1.0"), "not_gdxp");
    }

    #[test]
    fn what_is_not_gdxp_is_refused() {
        let code = |s: &str| parse(s).unwrap_err().errors[0].code;
        assert_eq!(code("not json"), "not_json");
        assert_eq!(code("[1, 2]"), "not_gdxp");
        assert_eq!(code(r#"{"protocolVersion": 1.0}"#), "not_gdxp");
        assert_eq!(
            code(r#"{"protocolVersion": 1.0, "blocks": {}}"#),
            "not_gdxp"
        );
        assert_eq!(
            code(r#"{"protocolVersion": 1.0, "blocks": [{"order": {}}]}"#),
            "supplier_missing"
        );
        assert_eq!(
            code(r#"{"protocolVersion": 1.0, "blocks": [{"supplier": {"name": "X"}}]}"#),
            "products_missing"
        );
        let many = format!(
            r#"{{"protocolVersion": 1.0, "blocks": [{}]}}"#,
            vec![r#"{"supplier": {"name": "X", "products": []}}"#; MAX_SUPPLIERS + 1].join(",")
        );
        assert_eq!(code(&many), "too_many_suppliers");
        assert_eq!(
            parse(r#"{"protocolVersion": 1.0, "blocks": []}"#),
            Ok(Vec::new())
        );
    }

    #[test]
    fn every_bad_product_is_listed_and_nothing_is_imported() {
        let bad = GASDOTTO_SAMPLE
            .replacen("\"name\": \"Patate di montagna\"", "\"name\": \"  \"", 1)
            .replacen("\"umPrice\": 3.2", "\"umPrice\": 3.205", 1)
            .replacen("\"um\": \"Litri\"", "\"um\": \"Grammi\"", 1)
            .replacen("\"umPrice\": 18", "\"umPrice\": 0", 1);
        let errors = parse(&bad).unwrap_err().errors;
        let got: Vec<(&str, &str)> = errors.iter().map(|e| (e.path.as_str(), e.code)).collect();
        assert_eq!(
            got,
            [
                ("blocks[0].supplier.products[0].name", "bad_product_name"),
                (
                    "blocks[0].supplier.products[1].orderInfo.umPrice",
                    "bad_price"
                ),
                ("blocks[0].supplier.products[2].um", "bad_unit"),
                (
                    "blocks[0].supplier.products[3].orderInfo.umPrice",
                    "price_missing"
                ),
            ]
        );
    }

    #[test]
    fn domain_rules_and_duplicate_skus_are_reported_at_their_gdxp_path() {
        let bad = GASDOTTO_SAMPLE
            .replacen("\"mulQty\": 0.5", "\"mulQty\": 3", 1)
            .replacen("\"sku\": 1002", "\"sku\": \"PAT-01\"", 1)
            .replacen("\"vatRate\": 22", "\"vatRate\": 99", 1);
        let errors = parse(&bad).unwrap_err().errors;
        let got: Vec<(&str, &str)> = errors.iter().map(|e| (e.path.as_str(), e.code)).collect();
        assert_eq!(
            got,
            [
                (
                    "blocks[0].supplier.products[0].orderInfo.packageQty",
                    "bad_package_size"
                ),
                ("blocks[0].supplier.products[1].sku", "duplicate_sku"),
                (
                    "blocks[0].supplier.products[2].orderInfo.vatRate",
                    "bad_vat_rate"
                ),
            ]
        );
    }

    #[test]
    fn numbers_are_read_exactly_or_refused() {
        let n = |s: &str| number_decimal(&serde_json::from_str(s).unwrap(), 2);
        assert_eq!(n("0.84"), Ok(84));
        assert_eq!(n("7.6500000000000004"), Ok(765));
        assert_eq!(n("0.1"), Ok(10));
        assert_eq!(n("12"), Ok(1_200));
        assert_eq!(n("1e2"), Ok(10_000));
        assert_eq!(n("99999999999.99"), Ok(9_999_999_999_999));
        assert_eq!(n("0"), Ok(0));
        assert_eq!(n("2.3333"), Err(()));
        assert_eq!(n("0.005"), Err(()));
        assert_eq!(n("-1"), Err(()));
        assert_eq!(n("1e300"), Err(()));
        assert_eq!(string_decimal("7,65", 2), Ok(765));
        assert_eq!(string_decimal("0", 2), Ok(0));
        assert_eq!(string_decimal("-7", 2), Err(()));
    }

    #[test]
    fn unit_names_are_recognised() {
        for (um, unit) in [
            ("Kg", Unit::Kilogram),
            ("Chili", Unit::Kilogram),
            ("kg.", Unit::Kilogram),
            ("Pezzi", Unit::Piece),
            ("PZ", Unit::Piece),
            ("Non Specificato", Unit::Piece),
            ("Unità", Unit::Piece),
            ("Litri", Unit::Litre),
            ("Confezione", Unit::Box),
            ("Cassette", Unit::Box),
        ] {
            assert_eq!(unit_from_um(um), Some(unit), "{um}");
        }
        assert_eq!(unit_from_um("Grammi"), None);
        for unit in Unit::ALL {
            assert_eq!(unit_from_um(um_name(unit)), Some(unit));
        }
    }

    fn farm() -> SupplierInfo {
        SupplierInfo {
            name: "Cascina Valle Rosa".into(),
            vat_number: "01234560017".into(),
            tax_code: "VLLRSO80A01L219X".into(),
            street: "Strada dei Prati 4".into(),
            locality: "Pinerolo".into(),
            zip_code: "10064".into(),
            email: "ordini@valle-rosa.example".into(),
            ..SupplierInfo::default()
        }
    }

    fn date() -> time::Date {
        time::Date::from_calendar_date(2025, time::Month::March, 7).unwrap()
    }

    #[test]
    fn writes_what_gasdotto_reads() {
        let p = product(ProductDraft {
            name: "Pecorino \"stagionato\"".into(),
            unit: "kg".into(),
            step_milli: Some(250),
            package_size_milli: Some(2_000),
            price_euro_minor: Some(1_884),
            vat_basis_points: 400,
            ..ProductDraft::default()
        });
        let text = write(&farm(), &[("PEC".into(), p)], date());
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["protocolVersion"], json!(1.0));
        assert_eq!(v["creationDate"], "2025-03-07");
        assert_eq!(v["subject"]["name"], "Cascina Valle Rosa");
        let s = &v["blocks"][0]["supplier"];
        assert_eq!(s["vatNumber"], "01234560017");
        assert_eq!(s["contacts"][0]["type"], "emailAddress");
        let p = &s["products"][0];
        assert_eq!(p["um"], "Chili");
        assert_eq!(p["sku"], "PEC");
        assert_eq!(p["active"], true);
        assert!(p.get(EXTENSION).is_none());
        assert!(text.contains("\"umPrice\": 18.84"), "{text}");
        assert!(text.contains("\"mulQty\": 0.25"), "{text}");
        assert!(text.contains("\"packageQty\": 2,"), "{text}");
        assert!(text.contains("\"vatRate\": 4"), "{text}");
    }

    #[test]
    fn a_package_of_one_unit_is_kept_in_the_extension() {
        let olives = product(ProductDraft {
            name: "Olive taggiasche".into(),
            unit: "kg".into(),
            step_milli: Some(250),
            package_size_milli: Some(1_000),
            price_euro_minor: Some(1_200),
            ..ProductDraft::default()
        });
        let text = write(&farm(), &[(String::new(), olives.clone())], date());
        assert!(text.contains("\"packageSizeMilli\": 1000"), "{text}");
        let s = &parse(&text).unwrap()[0];
        assert_eq!(product(s.products[0].clone()), olives);
    }

    #[test]
    fn credit_only_and_sold_out_products_are_not_offered() {
        let credit_only = product(ProductDraft {
            name: "Pane".into(),
            unit: "piece".into(),
            price_credit_minor: Some(300),
            ..ProductDraft::default()
        });
        let sold_out = product(ProductDraft {
            name: "Miele".into(),
            unit: "piece".into(),
            price_euro_minor: Some(900),
            stock_milli: Some(0),
            ..ProductDraft::default()
        });
        let text = write(
            &farm(),
            &[("A".into(), credit_only), ("B".into(), sold_out)],
            date(),
        );
        let s = &parse(&text).unwrap()[0];
        assert!(s.products.is_empty());
        assert_eq!(s.skipped_inactive, 1);
    }

    #[test]
    fn the_sample_survives_a_round_trip() {
        let s = &parse(GASDOTTO_SAMPLE).unwrap()[0];
        let products: Vec<(String, Product)> = s
            .skus
            .iter()
            .cloned()
            .zip(s.products.iter().cloned().map(product))
            .collect();
        let again = &parse(&write(&farm(), &products, date())).unwrap()[0];
        assert_eq!(again.skus, s.skus);
        let again: Vec<Product> = again.products.iter().cloned().map(product).collect();
        let before: Vec<Product> = products.into_iter().map(|(_, p)| p).collect();
        assert_eq!(again, before);
    }

    fn arb_product() -> impl Strategy<Value = Product> {
        (
            "[A-Za-zàèé'\" ]{1,20}",
            "[A-Za-z0-9 ,;\"\n]{0,30}",
            0usize..4,
            (1i64..=4, 1i64..=5, proptest::option::of(0i64..=50_000)),
            (1i64..=MAX_MINOR / 1_000, 0u16..=2_500, "[A-Za-z ]{0,10}"),
            (
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
                    (price, vat, origin),
                    (certs, season),
                )| {
                    let unit = Unit::ALL[unit];
                    let step_milli = if unit.whole_only() {
                        step * 1_000
                    } else {
                        step * 125
                    };
                    let packaged = stock.is_none();
                    ProductDraft {
                        name,
                        description,
                        unit: unit.code().into(),
                        step_milli: Some(step_milli),
                        package_size_milli: packaged.then_some(step_milli * packages),
                        price_euro_minor: Some(price),
                        vat_basis_points: vat,
                        origin,
                        certifications: certs
                            .into_iter()
                            .map(|c| Certification::ALL[c].code().to_owned())
                            .collect(),
                        season_months: season,
                        stock_milli: stock.map(|s| s * step_milli).filter(|&s| s > 0),
                        ..ProductDraft::default()
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
        ) {
            let with_skus: Vec<(String, Product)> = products
                .iter()
                .enumerate()
                .map(|(i, p)| (if i % 3 == 0 { String::new() } else { format!("S{i}") }, p.clone()))
                .collect();
            let text = write(&farm(), &with_skus, date());
            let read = parse(&text).unwrap();
            prop_assert_eq!(read.len(), 1);
            let again: Vec<(String, Product)> = read[0]
                .skus
                .iter()
                .cloned()
                .zip(read[0].products.iter().cloned().map(product))
                .collect();
            prop_assert_eq!(again, with_skus);
        }
    }
}
