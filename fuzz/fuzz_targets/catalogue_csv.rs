//! A producer's catalogue as CSV (from a spreadsheet): `purchasing::catalogue_csv::parse`.
//!
//! The first byte is the district credit's scale (decimals, clamped by the parser), the rest
//! the file. Properties: errors point at a line of the file with a field and a code; a file
//! read is at most `MAX_PRODUCTS` products with unique non-empty skus; written back with
//! `catalogue_csv::write` it reads back to the same products; and the products GDXP can carry
//! (a euro price, not sold out) survive a trip through GDXP too (without their credit price).

#![no_main]

use distretto_domain::purchasing::catalogue::MAX_PRODUCTS;
use distretto_domain::purchasing::{Product, catalogue_csv, gdxp};
use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;

fuzz_target!(|data: &[u8]| {
    let Some((&scale, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let scale = scale % 8;
    let products = match catalogue_csv::parse(text, scale) {
        Ok(p) => p,
        Err(errors) => {
            assert!(!errors.is_empty());
            // Line breaks of every kind count: `\r` alone too, as spreadsheets see it.
            let lines = text.split(['\n', '\r']).count() + 1;
            for e in &errors {
                assert!(e.line >= 1 && e.line <= lines, "{e:?} of {lines}");
                assert!(!e.field.is_empty() && !e.code.is_empty(), "{e:?}");
            }
            return;
        }
    };
    assert!(products.len() <= MAX_PRODUCTS);
    let mut seen = HashSet::new();
    for (sku, _) in products.iter().filter(|(s, _)| !s.is_empty()) {
        assert!(seen.insert(sku), "duplicate sku {sku:?}");
    }

    let written = catalogue_csv::write(&products, scale);
    let again = catalogue_csv::parse(&written, scale)
        .unwrap_or_else(|e| panic!("{e:?} reading back\n{written}"));
    assert_eq!(again, products, "{written}");

    // Through GDXP: what it can carry comes back alike.
    let carried: Vec<(String, Product)> = products
        .iter()
        .filter(|(_, p)| gdxp::exportable(p) && p.stock_milli != Some(0))
        .map(|(sku, p)| {
            let mut p = p.clone();
            p.price_credit_minor = None;
            (sku.trim().to_owned(), p)
        })
        .collect();
    let info = gdxp::SupplierInfo {
        name: "Cascina".into(),
        ..gdxp::SupplierInfo::default()
    };
    let created = time::macros::date!(2026 - 03 - 07);
    let file = gdxp::write(&info, &products, created);
    let read = gdxp::parse(&file).unwrap_or_else(|e| panic!("{e:?}\n{file}"));
    let read: Vec<(String, Product)> = read[0]
        .skus
        .iter()
        .cloned()
        .zip(read[0].products.iter().map(|d| d.clone().check().unwrap()))
        .collect();
    assert_eq!(read, carried, "{file}");
});
