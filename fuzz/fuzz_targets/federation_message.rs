//! What another district sends: the signed request's headers (RFC 9421 `Signature-Input` and
//! `Signature`, RFC 9530 `Content-Digest`, public keys) read by
//! `federation::signature`, and the clearing messages' JSON (a round's `Plan` checked with
//! `federation::clearing::check`, the mirror balances' `Report`s planned with
//! `federation::clearing::plan`).
//!
//! The inbox message envelope itself (`InboxMessage`, a serde enum) lives in the web crate and
//! is not reached here; its payloads that carry logic are.
//!
//! The first byte picks the mode:
//! - `H`: raw headers. Lines: method, target URI, label, `Signature-Input`, `Signature`,
//!   `Content-Digest`, then the body. Checked with a known key (RFC 9421's
//!   `test-key-ed25519`): never a panic; a signature accepted is one the key made over exactly
//!   that base, so signing the same parameters again gives the same bytes.
//! - `S`: sign, then tamper. Lines: method, target URI, nonce, then the body; the last three
//!   bytes of the input pick a header byte to change and how. The untouched request verifies;
//!   a later clock or another body does not; a tampered one either fails or carries the same
//!   parameters.
//! - `P`: JSON `{"us", "balances", "invoices", "plan"}`: a round's plan checked against our
//!   side. When accepted, our mirrors' moves sum to zero and the legs carry them exactly.
//! - `R`: JSON array of reports: the plan built from them is accepted by every district that
//!   reported honestly.

#![no_main]

use distretto_domain::federation::clearing::{self, Plan, Report};
use distretto_domain::federation::invoice_clearing::InvoiceDebt;
use distretto_domain::federation::signature::{self, Message, SignatureError};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

/// RFC 9421 Appendix B.1.4, `test-key-ed25519`: the seed of the private key.
const RFC_SEED: [u8; 32] = [
    0x9f, 0x83, 0x62, 0xf8, 0x7a, 0x48, 0x4a, 0x95, 0x4e, 0x6e, 0x74, 0x0c, 0x5b, 0x4c, 0x0e, 0x84,
    0x22, 0x91, 0x39, 0xa2, 0x0a, 0xa8, 0xab, 0x56, 0xff, 0x66, 0x58, 0x6f, 0x6a, 0x7d, 0x29, 0xc5,
];
/// The RFC example's `created`; `verify` runs a little after it.
const RFC_CREATED: i64 = 1_618_884_473;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode {
        b'H' => headers(rest),
        b'S' => tampered(rest),
        b'P' => plan_check(rest),
        b'R' => reports(rest),
        m => match m % 4 {
            0 => headers(rest),
            1 => tampered(rest),
            2 => plan_check(rest),
            _ => reports(rest),
        },
    }
});

fn headers(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(7, '\n');
    let mut next = || parts.next().unwrap_or("");
    let (method, uri, label) = (next(), next(), next());
    let (input, sig, digest) = (next(), next(), next());
    let body = next().as_bytes();
    let fields = [
        ("Content-Digest", digest),
        ("Signature-Input", input),
        ("Signature", sig),
        ("Content-Type", "application/json"),
    ];
    let msg = Message {
        method,
        target_uri: uri,
        fields: &fields,
    };
    let key = signature::signing_key(RFC_SEED);
    let public = key.verifying_key();

    // Any key id names the key, so the signature base is always computed.
    match signature::verify_with(&msg, label, input, sig, |_| Some(public)) {
        Ok(params) => {
            // Ed25519 is deterministic and `verify_strict` takes only canonical signatures:
            // signing the base again gives the very bytes that were accepted.
            let again = signature::sign_with(&msg, label, &params, &key).unwrap();
            assert_eq!(
                signature_bytes(label, &again.signature),
                signature_bytes(label, sig)
            );
        }
        Err(e) => assert!(!e.code().is_empty()),
    }
    for now in [RFC_CREATED + 10, i64::MIN, i64::MAX] {
        if let Err(e) = signature::verify(&msg, body, now, |_| Some(public)) {
            assert!(!e.code().is_empty());
        }
    }
    let _ = signature::check_content_digest(digest, body);
    if let Some(k) = signature::decode_public_key(input) {
        assert_eq!(
            signature::decode_public_key(&signature::encode_public_key(&k)),
            Some(k)
        );
    }
}

/// The bytes of the signature labelled `label` in a `Signature` header.
fn signature_bytes(label: &str, header: &str) -> Vec<u8> {
    let dict: sfv::Dictionary = sfv::Parser::new(header).parse().unwrap();
    match dict.get(label) {
        Some(sfv::ListEntry::Item(sfv::Item {
            bare_item: sfv::BareItem::ByteSequence(bytes),
            ..
        })) => bytes.clone(),
        other => panic!("no signature under {label}: {other:?}"),
    }
}

fn tampered(data: &[u8]) {
    let Some((data, tamper)) = data.split_last_chunk::<3>() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(4, '\n');
    let mut next = || parts.next().unwrap_or("");
    let (method, uri, nonce) = (next(), next(), next());
    let body = next().as_bytes();
    let digest = signature::content_digest(body);
    let key = signature::signing_key(RFC_SEED);
    let public = key.verifying_key();
    let keyid = "https://a.example#1";
    let unsigned = [("Content-Digest", digest.as_str())];
    let msg = Message {
        method,
        target_uri: uri,
        fields: &unsigned,
    };
    let Ok(signed) = signature::sign(&msg, &key, keyid, RFC_CREATED, nonce) else {
        // Refused to sign: a method, URI or nonce a signature cannot carry.
        return;
    };
    let lookup = |id: &str| (id == keyid).then_some(public);
    let with = |input: &str, sig: &str, digest: &str| {
        [
            ("Content-Digest", digest.to_owned()),
            ("Signature-Input", input.to_owned()),
            ("Signature", sig.to_owned()),
        ]
    };
    let check = |fields: &[(&str, String); 3], body: &[u8], now: i64| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let msg = Message {
            method,
            target_uri: uri,
            fields: &fields,
        };
        signature::verify(&msg, body, now, lookup)
    };
    let good = with(&signed.signature_input, &signed.signature, &digest);
    let params = check(&good, body, RFC_CREATED + 1).unwrap();
    assert_eq!(params.created, RFC_CREATED);
    assert_eq!(params.nonce.as_deref(), Some(nonce));
    assert_eq!(
        check(&good, body, RFC_CREATED + signature::MAX_AGE_SECS + 1),
        Err(SignatureError::Expired)
    );
    let mut other = body.to_vec();
    other.push(b'x');
    assert_eq!(
        check(&good, &other, RFC_CREATED + 1),
        Err(SignatureError::DigestMismatch)
    );

    // Change one byte of one header (as text: a byte that breaks UTF-8 is skipped).
    let [which, at, by] = *tamper;
    let mut fields = good.clone();
    let value = &mut fields[usize::from(which % 3)].1;
    if value.is_empty() || by == 0 {
        return;
    }
    let mut bytes = value.clone().into_bytes();
    let i = usize::from(at) % bytes.len();
    bytes[i] ^= by;
    let Ok(changed) = String::from_utf8(bytes) else {
        return;
    };
    *value = changed;
    if let Ok(p) = check(&fields, body, RFC_CREATED + 1) {
        assert_eq!(p, params, "a tampered header verified: {fields:?}");
    }
}

/// A round's plan as the initiator sends it, with this district's side.
#[derive(serde::Deserialize)]
struct Prepare {
    us: String,
    #[serde(default)]
    balances: BTreeMap<String, i64>,
    #[serde(default)]
    invoices: Vec<InvoiceDebt>,
    plan: Plan,
}

fn plan_check(data: &[u8]) {
    let Ok(p) = serde_json::from_slice::<Prepare>(data) else {
        return;
    };
    if clearing::check(&p.plan, &p.us, &p.balances, &p.invoices).is_err() {
        return;
    }
    let moves = clearing::moves(&p.plan, &p.us);
    assert_eq!(moves.values().map(|&m| i128::from(m)).sum::<i128>(), 0);
    let mut carried: BTreeMap<String, i128> = BTreeMap::new();
    for leg in clearing::legs(&moves) {
        assert!(leg.amount_minor > 0, "{leg:?}");
        assert_ne!(leg.from, leg.to);
        *carried.entry(leg.from).or_default() -= i128::from(leg.amount_minor);
        *carried.entry(leg.to).or_default() += i128::from(leg.amount_minor);
    }
    let moved: BTreeMap<String, i128> = moves
        .into_iter()
        .filter(|(_, m)| *m != 0)
        .map(|(k, m)| (k, i128::from(m)))
        .collect();
    assert_eq!(carried, moved);
}

fn reports(data: &[u8]) {
    let Ok(reports) = serde_json::from_slice::<Vec<Report>>(data) else {
        return;
    };
    let Ok(plan) = clearing::plan(&reports) else {
        return;
    };
    assert!(plan.set_off_minor() >= 0);
    for arc in &plan.arcs {
        assert!(
            0 < arc.set_off_minor && arc.set_off_minor <= arc.owed_minor,
            "{arc:?}"
        );
    }
    for r in &reports {
        if let Err(e) = clearing::check(&plan, &r.district, &r.balances, &r.invoices) {
            panic!(
                "{} refuses the plan made from its own report: {e}\n{plan:?}",
                r.district
            );
        }
    }
}
