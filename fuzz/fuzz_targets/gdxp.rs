//! GDXP catalogues (a purchasing group's or a producer's JSON file): `purchasing::gdxp::parse`.
//!
//! Properties: every problem carries a code and a path; every product read passes the
//! product check, skus are parallel to products and unique when not empty; and the suppliers
//! read, written back with `gdxp::write`, read back to the same products, skus and supplier.

#![no_main]

use distretto_domain::purchasing::{Product, gdxp};
use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let suppliers = match gdxp::parse(text) {
        Ok(s) => s,
        Err(e) => {
            assert!(!e.errors.is_empty());
            for error in &e.errors {
                assert!(!error.code.is_empty());
            }
            return;
        }
    };
    assert!(suppliers.len() <= gdxp::MAX_SUPPLIERS);
    let created = time::Date::from_calendar_date(2026, time::Month::March, 7).unwrap();
    for s in &suppliers {
        assert_eq!(s.skus.len(), s.products.len());
        let mut seen = HashSet::new();
        for sku in s.skus.iter().filter(|k| !k.is_empty()) {
            assert!(seen.insert(sku), "duplicate sku {sku:?}");
        }
        let products: Vec<(String, Product)> = s
            .skus
            .iter()
            .cloned()
            .zip(s.products.iter().map(|d| d.clone().check().unwrap()))
            .collect();
        let info = gdxp::SupplierInfo {
            name: s.name.clone(),
            vat_number: s.vat_number.clone(),
            tax_code: s.tax_code.clone(),
            ..gdxp::SupplierInfo::default()
        };
        let written = gdxp::write(&info, &products, created);
        let again = gdxp::parse(&written).unwrap_or_else(|e| panic!("{e:?}\n{written}"));
        assert_eq!(again.len(), 1);
        let again = &again[0];
        assert_eq!(
            (&again.name, &again.vat_number, &again.tax_code),
            (&s.name, &s.vat_number, &s.tax_code)
        );
        assert_eq!(again.skus, s.skus);
        assert_eq!(again.skipped_inactive, 0);
        let reread: Vec<Product> = again
            .products
            .iter()
            .map(|d| d.clone().check().unwrap())
            .collect();
        let before: Vec<Product> = products.into_iter().map(|(_, p)| p).collect();
        assert_eq!(reread, before, "{written}");
    }
});
