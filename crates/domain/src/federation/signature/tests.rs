use super::*;
use proptest::prelude::*;

/// RFC 9421 Appendix B.1.4, `test-key-ed25519`: the private key's 32-byte seed and the
/// public key, as in the RFC's PEM documents.
const RFC_SEED_HEX: &str = "9f8362f87a484a954e6e740c5b4c0e84229139a20aa8ab56ff66586f6a7d29c5";
const RFC_PUBLIC: &str = "JrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=";

fn rfc_key() -> SigningKey {
    signing_key(hex::decode(RFC_SEED_HEX).unwrap().try_into().unwrap())
}

/// RFC 9421 Appendix B.2.6, "Signing a Request Using ed25519": the signature base and the
/// signature, byte for byte (Ed25519 signatures are deterministic).
#[test]
fn rfc_9421_b26_ed25519_example() {
    let fields = [
        ("Host", "example.com"),
        ("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
        ("Content-Type", "application/json"),
        (
            "Content-Digest",
            "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
        ),
        ("Content-Length", "18"),
    ];
    let msg = Message {
        method: "POST",
        target_uri: "https://example.com/foo?param=Value&Pet=dog",
        fields: &fields,
    };
    let params = SignatureParams {
        components: [
            "date",
            "@method",
            "@path",
            "@authority",
            "content-type",
            "content-length",
        ]
        .map(String::from)
        .to_vec(),
        created: 1_618_884_473,
        expires: None,
        keyid: "test-key-ed25519".into(),
        nonce: None,
        alg: None,
    };
    assert_eq!(
        signature_base(&msg, &params).unwrap(),
        "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\
         \"@method\": POST\n\
         \"@path\": /foo\n\
         \"@authority\": example.com\n\
         \"content-type\": application/json\n\
         \"content-length\": 18\n\
         \"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \
         \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\""
    );
    let key = rfc_key();
    assert_eq!(encode_public_key(&key.verifying_key()), RFC_PUBLIC);
    let signed = sign_with(&msg, "sig-b26", &params, &key).unwrap();
    assert_eq!(
        signed.signature_input,
        "sig-b26=(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \
         \"content-length\");created=1618884473;keyid=\"test-key-ed25519\""
    );
    assert_eq!(
        signed.signature,
        "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"
    );
    let public = decode_public_key(RFC_PUBLIC).unwrap();
    let read = verify_with(
        &msg,
        "sig-b26",
        &signed.signature_input,
        &signed.signature,
        |id| (id == "test-key-ed25519").then_some(public),
    )
    .unwrap();
    assert_eq!(read, params);
}

/// RFC 9530 §2's example body `{"hello": "world"}`.
#[test]
fn content_digest_of_the_rfc_example() {
    let body = br#"{"hello": "world"}"#;
    assert_eq!(
        content_digest(body),
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    );
    assert_eq!(check_content_digest(&content_digest(body), body), Ok(()));
    assert_eq!(
        check_content_digest(&content_digest(body), br#"{"hello": "World"}"#),
        Err(SignatureError::DigestMismatch)
    );
    // Another algorithm alone is not enough; garbage is a mismatch, never a panic.
    assert_eq!(
        check_content_digest("sha-512=:AAAA:", body),
        Err(SignatureError::DigestMismatch)
    );
    assert_eq!(
        check_content_digest("((", body),
        Err(SignatureError::DigestMismatch)
    );
}

const NOW: i64 = 1_800_000_000;
const URI: &str = "https://valle.example/api/v1/federation/payments?x=1";

struct Request {
    method: &'static str,
    uri: String,
    fields: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A request from district "valle", signed at `created`.
fn signed(key: &SigningKey, created: i64, body: &[u8]) -> Request {
    let digest = content_digest(body);
    let fields = [
        ("Content-Type", "application/json"),
        ("Content-Digest", digest.as_str()),
    ];
    let msg = Message {
        method: "POST",
        target_uri: URI,
        fields: &fields,
    };
    let s = sign(&msg, key, "valle-2026", created, "n-1").unwrap();
    Request {
        method: "POST",
        uri: URI.to_owned(),
        fields: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Content-Digest".into(), digest),
            ("Signature-Input".into(), s.signature_input),
            ("Signature".into(), s.signature),
        ],
        body: body.to_vec(),
    }
}

fn check(
    r: &Request,
    now: i64,
    known: &[(&str, VerifyingKey)],
) -> Result<SignatureParams, SignatureError> {
    let fields: Vec<(&str, &str)> = r
        .fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let msg = Message {
        method: r.method,
        target_uri: &r.uri,
        fields: &fields,
    };
    verify(&msg, &r.body, now, |id| {
        known.iter().find(|(k, _)| *k == id).map(|(_, v)| *v)
    })
}

fn set(r: &mut Request, name: &str, value: String) {
    if let Some(f) = r.fields.iter_mut().find(|(n, _)| n == name) {
        f.1 = value;
    }
}

#[test]
fn a_signed_request_verifies_and_names_its_key_and_nonce() {
    let key = signing_key([7; 32]);
    let known = [("valle-2026", key.verifying_key())];
    let r = signed(&key, NOW - 10, b"{\"amount\":100}");
    let p = check(&r, NOW, &known).unwrap();
    assert_eq!(p.keyid, "valle-2026");
    assert_eq!(p.nonce.as_deref(), Some("n-1"));
    assert_eq!(p.alg.as_deref(), Some("ed25519"));
    assert_eq!(p.components, REQUIRED_COMPONENTS.map(String::from).to_vec());
}

#[test]
fn tampering_is_caught() {
    let key = signing_key([7; 32]);
    let known = [("valle-2026", key.verifying_key())];
    let base = || signed(&key, NOW - 10, b"{\"amount\":100}");
    // The body changed, its digest kept: the digest check fails.
    let mut r = base();
    r.body = b"{\"amount\":900}".to_vec();
    assert_eq!(check(&r, NOW, &known), Err(SignatureError::DigestMismatch));
    // The body and its digest changed together: the signature covers the digest.
    let mut r = base();
    r.body = b"{\"amount\":900}".to_vec();
    let digest = content_digest(&r.body);
    set(&mut r, "Content-Digest", digest);
    assert_eq!(check(&r, NOW, &known), Err(SignatureError::Invalid));
    // Another method or target.
    let mut r = base();
    r.method = "PUT";
    assert_eq!(check(&r, NOW, &known), Err(SignatureError::Invalid));
    let mut r = base();
    r.uri = URI.replace("x=1", "x=2");
    assert_eq!(check(&r, NOW, &known), Err(SignatureError::Invalid));
    // A parameter changed (the created time moved to look fresh).
    let mut r = base();
    let input = r.fields[2]
        .1
        .replace(&format!("created={}", NOW - 10), &format!("created={NOW}"));
    set(&mut r, "Signature-Input", input);
    assert_eq!(check(&r, NOW, &known), Err(SignatureError::Invalid));
    // Signed by another key under the same id.
    let r = signed(&signing_key([8; 32]), NOW - 10, b"{}");
    assert_eq!(check(&r, NOW, &known), Err(SignatureError::Invalid));
}

#[test]
fn age_keys_and_coverage_are_enforced() {
    let key = signing_key([7; 32]);
    let known = [("valle-2026", key.verifying_key())];
    // Five minutes is the limit; a little clock skew forward is tolerated.
    assert!(check(&signed(&key, NOW - MAX_AGE_SECS, b"{}"), NOW, &known).is_ok());
    assert_eq!(
        check(&signed(&key, NOW - MAX_AGE_SECS - 1, b"{}"), NOW, &known),
        Err(SignatureError::Expired)
    );
    assert!(check(&signed(&key, NOW + CLOCK_SKEW_SECS, b"{}"), NOW, &known).is_ok());
    assert_eq!(
        check(&signed(&key, NOW + CLOCK_SKEW_SECS + 1, b"{}"), NOW, &known),
        Err(SignatureError::Expired)
    );
    // An unknown key; a rotated key known beside the old one.
    let r = signed(&key, NOW, b"{}");
    assert_eq!(check(&r, NOW, &[]), Err(SignatureError::UnknownKey));
    let other = signing_key([9; 32]).verifying_key();
    assert!(
        check(
            &r,
            NOW,
            &[("valle-2027", other), ("valle-2026", key.verifying_key())]
        )
        .is_ok()
    );
    // No signature at all, or a signature leaving the digest out.
    let mut r = signed(&key, NOW, b"{}");
    r.fields.retain(|(n, _)| n != "Signature");
    assert_eq!(check(&r, NOW, &known), Err(SignatureError::Missing));
    let digest = content_digest(b"{}");
    let fields = [("Content-Digest", digest.as_str())];
    let msg = Message {
        method: "POST",
        target_uri: URI,
        fields: &fields,
    };
    let params = SignatureParams {
        components: vec!["@method".into(), "@target-uri".into()],
        created: NOW,
        expires: None,
        keyid: "valle-2026".into(),
        nonce: None,
        alg: None,
    };
    let s = sign_with(&msg, LABEL, &params, &key).unwrap();
    let r = Request {
        method: "POST",
        uri: URI.into(),
        fields: vec![
            ("Content-Digest".into(), digest),
            ("Signature-Input".into(), s.signature_input),
            ("Signature".into(), s.signature),
        ],
        body: b"{}".to_vec(),
    };
    assert_eq!(check(&r, NOW, &known), Err(SignatureError::Incomplete));
}

#[test]
fn malformed_headers_are_refused_with_a_code() {
    let key = signing_key([7; 32]);
    let known = [("valle-2026", key.verifying_key())];
    for (input, signature, want) in [
        ("distretto=(", "distretto=:AA==:", SignatureError::Malformed),
        (
            "other=(\"@method\");created=1;keyid=\"k\"",
            "other=:AA==:",
            SignatureError::Missing,
        ),
        (
            "distretto=(\"@method\" \"@target-uri\" \"content-digest\");keyid=\"valle-2026\"",
            "distretto=:AA==:",
            SignatureError::Malformed,
        ),
        (
            "distretto=(\"@method\" \"@target-uri\" \"content-digest\");created=1800000000;keyid=\"valle-2026\"",
            "distretto=:AA==:",
            SignatureError::Invalid,
        ),
        (
            "distretto=(\"@method\" \"@target-uri\" \"content-digest\");created=1800000000;keyid=\"valle-2026\";alg=\"rsa-pss-sha512\"",
            "distretto=:AA==:",
            SignatureError::Algorithm,
        ),
        (
            "distretto=(\"@method\" \"@target-uri\" \"content-digest\" \"@status\");created=1800000000;keyid=\"valle-2026\"",
            "distretto=:AA==:",
            SignatureError::ComponentMissing,
        ),
        (
            "distretto=(\"@method\" \"@target-uri\" \"content-digest\" \"@method\");created=1800000000;keyid=\"valle-2026\"",
            "distretto=:AA==:",
            SignatureError::Malformed,
        ),
    ] {
        let mut r = signed(&key, NOW, b"{}");
        set(&mut r, "Signature-Input", input.into());
        set(&mut r, "Signature", signature.into());
        assert_eq!(check(&r, NOW, &known), Err(want), "{input}");
        assert!(!want.code().is_empty());
    }
}

#[test]
fn public_keys_round_trip_and_garbage_is_none() {
    let key = signing_key([3; 32]).verifying_key();
    assert_eq!(decode_public_key(&encode_public_key(&key)), Some(key));
    assert_eq!(decode_public_key("not base64!"), None);
    assert_eq!(decode_public_key("AAAA"), None);
}

proptest! {
    // Each case signs and verifies twice; a few dozen cover the shapes of paths and bodies.
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn sign_then_verify_round_trips_and_any_body_change_is_caught(
        seed in any::<[u8; 32]>(),
        body in proptest::collection::vec(any::<u8>(), 0..300),
        flip in any::<usize>(),
        path in "/[a-z0-9/_-]{0,40}",
        query in proptest::option::of("[a-z0-9=&]{1,20}"),
    ) {
        let key = signing_key(seed);
        let known = [("valle-2026", key.verifying_key())];
        let uri = match &query {
            Some(q) => format!("https://valle.example{path}?{q}"),
            None => format!("https://valle.example{path}"),
        };
        let mut r = signed(&key, NOW, &body);
        r.uri = uri.clone();
        // Re-sign for this URI.
        let digest = content_digest(&body);
        let fields = [("Content-Type", "application/json"), ("Content-Digest", digest.as_str())];
        let msg = Message { method: "POST", target_uri: &uri, fields: &fields };
        let s = sign(&msg, &key, "valle-2026", NOW, "n").unwrap();
        set(&mut r, "Signature-Input", s.signature_input);
        set(&mut r, "Signature", s.signature);
        prop_assert!(check(&r, NOW, &known).is_ok());
        if !body.is_empty() {
            let i = flip % body.len();
            r.body[i] ^= 0x01;
            prop_assert_eq!(check(&r, NOW, &known), Err(SignatureError::DigestMismatch));
        }
    }
}
