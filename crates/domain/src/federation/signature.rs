//! HTTP Message Signatures (RFC 9421) with Ed25519 (RFC 8032), and `Content-Digest` (RFC 9530)
//! with SHA-256: how a district signs its requests to another district and checks theirs.
//!
//! Written here rather than taken from a crate: the RFC 9421 crates on crates.io either pull a
//! second TLS/crypto stack (aws-lc-rs, ring, RSA) or are young; federation needs one algorithm
//! and a handful of components. The pieces that are easy to get subtly wrong are not
//! hand-written: structured fields (RFC 8941) are parsed and serialised by `sfv`, Ed25519 is
//! `ed25519-dalek`, SHA-256 is `sha2`. The RFC's own Ed25519 example (Appendix B.2.6) is a test.
//!
//! What federation requires on top of the RFC ([`verify`]): the signature covers at least
//! [`REQUIRED_COMPONENTS`] (method, target URI and body digest), carries `created` no older than
//! [`MAX_AGE_SECS`] (and not from the future beyond [`CLOCK_SKEW_SECS`]), names a key the
//! district knows, and, when it says, the `ed25519` algorithm. Replays inside that window are
//! the store's to refuse (by `keyid` and `nonce`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sfv::{BareItem, Dictionary, InnerList, ListEntry, Parser};
use sha2::{Digest as _, Sha256};

/// The label of Distretto's signature in `Signature-Input` and `Signature`.
pub const LABEL: &str = "distretto";
/// The `alg` parameter Distretto writes and accepts.
pub const ALGORITHM: &str = "ed25519";
/// Components every federation request signs: the method, the whole target URI and the digest
/// of the body, so none of them can be changed on the way.
pub const REQUIRED_COMPONENTS: [&str; 3] = ["@method", "@target-uri", "content-digest"];
/// How old a signature may be when it arrives, in seconds.
pub const MAX_AGE_SECS: i64 = 300;
/// How far in the future `created` may be (clocks differ a little), in seconds.
pub const CLOCK_SKEW_SECS: i64 = 30;
/// Components one signature may cover at most (a bound on what a stranger makes us compute).
pub const MAX_COMPONENTS: usize = 16;

/// Why a signed request is refused, each with a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `Signature-Input` / `Signature` with Distretto's label.
    #[error("signature_missing")]
    Missing,
    /// The headers are not the structured fields RFC 9421 describes.
    #[error("signature_malformed")]
    Malformed,
    /// A covered component is absent from the message.
    #[error("signature_component_missing")]
    ComponentMissing,
    /// The signature does not cover [`REQUIRED_COMPONENTS`].
    #[error("signature_incomplete")]
    Incomplete,
    /// `created` is older than [`MAX_AGE_SECS`], or `expires` has passed, or `created` lies in
    /// the future.
    #[error("signature_expired")]
    Expired,
    /// An algorithm other than Ed25519.
    #[error("signature_algorithm")]
    Algorithm,
    /// No key of a linked district has this `keyid`.
    #[error("signature_unknown_key")]
    UnknownKey,
    /// The signature does not verify: the message or its parameters were changed, or another
    /// key signed it.
    #[error("signature_invalid")]
    Invalid,
    /// The body's SHA-256 differs from its `Content-Digest`.
    #[error("digest_mismatch")]
    DigestMismatch,
}

impl SignatureError {
    /// The stable error code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Missing => "signature_missing",
            Self::Malformed => "signature_malformed",
            Self::ComponentMissing => "signature_component_missing",
            Self::Incomplete => "signature_incomplete",
            Self::Expired => "signature_expired",
            Self::Algorithm => "signature_algorithm",
            Self::UnknownKey => "signature_unknown_key",
            Self::Invalid => "signature_invalid",
            Self::DigestMismatch => "digest_mismatch",
        }
    }
}

/// The parts of an HTTP request a signature can cover.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// The method as sent (`POST`).
    pub method: &'a str,
    /// The absolute target URI (`https://district.example/api/v1/federation/payments?x=1`).
    pub target_uri: &'a str,
    /// The header fields, names in any case, in the order received.
    pub fields: &'a [(&'a str, &'a str)],
}

impl Message<'_> {
    /// The canonical value of a covered component (RFC 9421 §2): a derived component, or a
    /// header field's values trimmed and joined with `, `.
    fn component(&self, name: &str) -> Result<String, SignatureError> {
        let (authority, path, query) = split_uri(self.target_uri)?;
        match name {
            "@method" => Ok(self.method.to_owned()),
            "@target-uri" => Ok(self.target_uri.to_owned()),
            "@authority" => Ok(authority.to_ascii_lowercase()),
            "@path" => Ok(if path.is_empty() { "/" } else { path }.to_owned()),
            "@query" => Ok(format!("?{}", query.unwrap_or(""))),
            _ if name.starts_with('@') => Err(SignatureError::ComponentMissing),
            _ => {
                let values: Vec<&str> = self
                    .fields
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim())
                    .collect();
                if values.is_empty() {
                    Err(SignatureError::ComponentMissing)
                } else {
                    Ok(values.join(", "))
                }
            }
        }
    }
}

/// `scheme://authority/path?query` → (authority, path, query).
fn split_uri(uri: &str) -> Result<(&str, &str, Option<&str>), SignatureError> {
    let rest = uri
        .split_once("://")
        .map(|(_, rest)| rest)
        .ok_or(SignatureError::Malformed)?;
    let rest = rest.split('#').next().unwrap_or(rest);
    let (authority, path_query) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    Ok(match path_query.split_once('?') {
        Some((path, query)) => (authority, path, Some(query)),
        None => (authority, path_query, None),
    })
}

/// The signature parameters (RFC 9421 §2.3) Distretto reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureParams {
    /// Covered component names, in order (lower case).
    pub components: Vec<String>,
    /// Creation time, Unix seconds.
    pub created: i64,
    /// Expiry time, Unix seconds, when given.
    pub expires: Option<i64>,
    /// The key's identifier.
    pub keyid: String,
    /// A value used once, against replays.
    pub nonce: Option<String>,
    /// The algorithm, when named.
    pub alg: Option<String>,
}

/// A parameter key; only called with the constant names of RFC 9421 §2.3.
fn key(name: &'static str) -> sfv::Key {
    sfv::key_ref(name).to_owned()
}

fn sf_string(value: &str) -> Result<BareItem, SignatureError> {
    sfv::String::from_string(value.to_owned())
        .map(BareItem::String)
        .map_err(|_| SignatureError::Malformed)
}

impl SignatureParams {
    /// As an inner list with parameters, in the order RFC 9421's examples use.
    fn inner_list(&self) -> Result<InnerList, SignatureError> {
        let items = self
            .components
            .iter()
            .map(|c| sf_string(c).map(sfv::Item::new))
            .collect::<Result<Vec<_>, _>>()?;
        let mut params = sfv::Parameters::new();
        params.insert(key("created"), BareItem::Integer(integer(self.created)?));
        if let Some(expires) = self.expires {
            params.insert(key("expires"), BareItem::Integer(integer(expires)?));
        }
        params.insert(key("keyid"), sf_string(&self.keyid)?);
        if let Some(nonce) = &self.nonce {
            params.insert(key("nonce"), sf_string(nonce)?);
        }
        if let Some(alg) = &self.alg {
            params.insert(key("alg"), sf_string(alg)?);
        }
        Ok(InnerList::with_params(items, params))
    }

    /// The serialised inner list: the value of `@signature-params` in the signature base.
    fn serialized(&self) -> Result<String, SignatureError> {
        let mut ser = sfv::ListSerializer::new();
        ser.members(&[ListEntry::InnerList(self.inner_list()?)]);
        ser.finish().ok_or(SignatureError::Malformed)
    }

    fn from_inner_list(list: &InnerList) -> Result<Self, SignatureError> {
        if list.items.len() > MAX_COMPONENTS {
            return Err(SignatureError::Malformed);
        }
        let components = list
            .items
            .iter()
            .map(|i| match (&i.bare_item, i.params.is_empty()) {
                (BareItem::String(s), true) => Ok(s.as_str().to_owned()),
                // Component parameters (`;sf`, `;key`, `;req`…) are not used by federation.
                _ => Err(SignatureError::Malformed),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let int = |name: &str| match list.params.get(name) {
            Some(BareItem::Integer(v)) => Ok(Some(i64::from(*v))),
            None => Ok(None),
            Some(_) => Err(SignatureError::Malformed),
        };
        let text = |name: &str| match list.params.get(name) {
            Some(BareItem::String(v)) => Ok(Some(v.as_str().to_owned())),
            None => Ok(None),
            Some(_) => Err(SignatureError::Malformed),
        };
        Ok(Self {
            components,
            created: int("created")?.ok_or(SignatureError::Malformed)?,
            expires: int("expires")?,
            keyid: text("keyid")?.ok_or(SignatureError::Malformed)?,
            nonce: text("nonce")?,
            alg: text("alg")?,
        })
    }
}

fn integer(v: i64) -> Result<sfv::Integer, SignatureError> {
    sfv::Integer::try_from(v).map_err(|_| SignatureError::Malformed)
}

/// The signature base (RFC 9421 §2.5): one line per covered component, then
/// `@signature-params`. Component names are checked against the message, never trusted.
pub fn signature_base(
    msg: &Message<'_>,
    params: &SignatureParams,
) -> Result<String, SignatureError> {
    let mut base = String::new();
    for (i, name) in params.components.iter().enumerate() {
        if name.chars().any(|c| c.is_ascii_uppercase()) || params.components[..i].contains(name) {
            return Err(SignatureError::Malformed);
        }
        let value = msg.component(name)?;
        if value.contains('\n') {
            return Err(SignatureError::Malformed);
        }
        base.push_str(&format!("\"{name}\": {value}\n"));
    }
    base.push_str(&format!("\"@signature-params\": {}", params.serialized()?));
    Ok(base)
}

/// The two header values of a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeaders {
    /// `Signature-Input`.
    pub signature_input: String,
    /// `Signature`.
    pub signature: String,
}

/// Signs `msg` under `label` with `key`, covering `params.components`.
pub fn sign_with(
    msg: &Message<'_>,
    label: &str,
    params: &SignatureParams,
    key: &SigningKey,
) -> Result<SignatureHeaders, SignatureError> {
    let base = signature_base(msg, params)?;
    let signature = key.sign(base.as_bytes());
    let label = sfv::Key::from_string(label.to_owned()).map_err(|_| SignatureError::Malformed)?;
    let mut input = Dictionary::new();
    input.insert(label.clone(), ListEntry::InnerList(params.inner_list()?));
    let mut sig = Dictionary::new();
    sig.insert(
        label,
        ListEntry::Item(sfv::Item::new(BareItem::ByteSequence(
            signature.to_bytes().to_vec(),
        ))),
    );
    Ok(SignatureHeaders {
        signature_input: serialize_dict(&input)?,
        signature: serialize_dict(&sig)?,
    })
}

fn serialize_dict(dict: &Dictionary) -> Result<String, SignatureError> {
    let mut ser = sfv::DictSerializer::new();
    ser.members(dict);
    ser.finish().ok_or(SignatureError::Malformed)
}

/// Signs a federation request the way [`verify`] expects: [`REQUIRED_COMPONENTS`] (the message
/// must carry its `Content-Digest`), `created`, the key id, a nonce and the algorithm.
pub fn sign(
    msg: &Message<'_>,
    key: &SigningKey,
    keyid: &str,
    created: i64,
    nonce: &str,
) -> Result<SignatureHeaders, SignatureError> {
    let params = SignatureParams {
        components: REQUIRED_COMPONENTS
            .iter()
            .map(|c| (*c).to_owned())
            .collect(),
        created,
        expires: None,
        keyid: keyid.to_owned(),
        nonce: Some(nonce.to_owned()),
        alg: Some(ALGORITHM.to_owned()),
    };
    sign_with(msg, LABEL, &params, key)
}

/// Checks the signature labelled `label` as RFC 9421 defines it, with the key `lookup` gives
/// for its `keyid`; no policy (age, required components): see [`verify`].
pub fn verify_with(
    msg: &Message<'_>,
    label: &str,
    signature_input: &str,
    signature: &str,
    lookup: impl Fn(&str) -> Option<VerifyingKey>,
) -> Result<SignatureParams, SignatureError> {
    let (params, bytes) = read_signature(label, signature_input, signature)?;
    let key = lookup(&params.keyid).ok_or(SignatureError::UnknownKey)?;
    let base = signature_base(msg, &params)?;
    let bytes: [u8; 64] = bytes.try_into().map_err(|_| SignatureError::Invalid)?;
    key.verify_strict(base.as_bytes(), &Signature::from_bytes(&bytes))
        .map_err(|_| SignatureError::Invalid)?;
    Ok(params)
}

/// The parameters and signature bytes under `label`.
fn read_signature(
    label: &str,
    signature_input: &str,
    signature: &str,
) -> Result<(SignatureParams, Vec<u8>), SignatureError> {
    let inputs: Dictionary = Parser::new(signature_input)
        .parse()
        .map_err(|_| SignatureError::Malformed)?;
    let signatures: Dictionary = Parser::new(signature)
        .parse()
        .map_err(|_| SignatureError::Malformed)?;
    let params = match inputs.get(label) {
        Some(ListEntry::InnerList(list)) => SignatureParams::from_inner_list(list)?,
        Some(ListEntry::Item(_)) => return Err(SignatureError::Malformed),
        None => return Err(SignatureError::Missing),
    };
    let bytes = match signatures.get(label) {
        Some(ListEntry::Item(sfv::Item {
            bare_item: BareItem::ByteSequence(bytes),
            ..
        })) => bytes.clone(),
        Some(_) => return Err(SignatureError::Malformed),
        None => return Err(SignatureError::Missing),
    };
    Ok((params, bytes))
}

/// Checks a federation request at `now` (Unix seconds): Distretto's signature, over at least
/// [`REQUIRED_COMPONENTS`], fresh, Ed25519, by a known key, and the body against its
/// `Content-Digest`. Returns the parameters, whose `keyid` and `nonce` the caller records
/// against replays.
pub fn verify(
    msg: &Message<'_>,
    body: &[u8],
    now: i64,
    lookup: impl Fn(&str) -> Option<VerifyingKey>,
) -> Result<SignatureParams, SignatureError> {
    let field = |name: &str| {
        msg.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    };
    let (Some(input), Some(signature)) = (field("signature-input"), field("signature")) else {
        return Err(SignatureError::Missing);
    };
    let (params, _) = read_signature(LABEL, input, signature)?;
    if !REQUIRED_COMPONENTS
        .iter()
        .all(|c| params.components.iter().any(|p| p == c))
    {
        return Err(SignatureError::Incomplete);
    }
    if params.alg.as_deref().is_some_and(|a| a != ALGORITHM) {
        return Err(SignatureError::Algorithm);
    }
    let stale = now.saturating_sub(params.created) > MAX_AGE_SECS;
    let early = params.created.saturating_sub(now) > CLOCK_SKEW_SECS;
    if stale || early || params.expires.is_some_and(|e| e < now) {
        return Err(SignatureError::Expired);
    }
    let params = verify_with(msg, LABEL, input, signature, lookup)?;
    check_content_digest(field("content-digest").unwrap_or(""), body)?;
    Ok(params)
}

/// The `Content-Digest` value of a body (RFC 9530): `sha-256=:…:`.
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", BASE64.encode(Sha256::digest(body)))
}

/// Checks a body against its `Content-Digest` (its `sha-256` member; other algorithms are
/// ignored, and one of them alone is not enough).
pub fn check_content_digest(header: &str, body: &[u8]) -> Result<(), SignatureError> {
    let dict: Dictionary = Parser::new(header)
        .parse()
        .map_err(|_| SignatureError::DigestMismatch)?;
    match dict.get("sha-256") {
        Some(ListEntry::Item(sfv::Item {
            bare_item: BareItem::ByteSequence(digest),
            ..
        })) if digest.as_slice() == Sha256::digest(body).as_slice() => Ok(()),
        _ => Err(SignatureError::DigestMismatch),
    }
}

/// A district's public key as exchanged between coordinators: the 32 raw bytes in base64.
pub fn encode_public_key(key: &VerifyingKey) -> String {
    BASE64.encode(key.as_bytes())
}

/// Reads a public key written by [`encode_public_key`]; `None` when it is not one.
pub fn decode_public_key(text: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = BASE64.decode(text.trim()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// A signing key from 32 secret bytes (the caller draws them from the operating system).
pub fn signing_key(seed: [u8; 32]) -> SigningKey {
    SigningKey::from_bytes(&seed)
}

#[cfg(test)]
mod tests;
