//! The district export document (`distretto import FILE`): the JSON read into
//! `distretto_store::export::DistrictDocument`, as the command reads it (the checks that follow
//! need a database).
//!
//! Properties: reading never panics (hex hashes and keys, RFC 3339 times, dates, uuids, photos
//! as base64 text), and a document read writes back to JSON that reads back to the same
//! document (what export → import → export relies on).

#![no_main]

use distretto_store::export::DistrictDocument;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<DistrictDocument>(data) else {
        return;
    };
    let text = serde_json::to_vec(&doc).unwrap();
    let again: DistrictDocument = serde_json::from_slice(&text)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&text)));
    assert!(again == doc, "the document changed on its way through JSON");
});
