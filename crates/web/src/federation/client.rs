//! Signed requests to another district's inbox.

use distretto_domain::federation::signature::{self, Message};
use ed25519_dalek::SigningKey;
use std::sync::OnceLock;
use std::time::Duration;

/// How long another district may take to answer a signed message.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a message was not delivered.
#[derive(Debug)]
pub enum SendError {
    /// No answer (down, unreachable, too slow).
    Unreachable,
    /// An answer refusing it, with the other side's error code.
    Refused(u16, String),
}

/// The one HTTP client of the federation (its connection pool shared by every request to other
/// districts); each request sets its own timeout.
pub(super) fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    })
}

/// POSTs `body` (JSON) to `target_uri`, signed with `key` under `keyid`.
pub async fn post_signed(
    target_uri: &str,
    body: &serde_json::Value,
    key: &SigningKey,
    keyid: &str,
) -> Result<serde_json::Value, SendError> {
    let bytes = serde_json::to_vec(body).map_err(|_| SendError::Unreachable)?;
    let digest = signature::content_digest(&bytes);
    let fields = [
        ("content-type", "application/json"),
        ("content-digest", digest.as_str()),
    ];
    let msg = Message {
        method: "POST",
        target_uri,
        fields: &fields,
    };
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let created = time::OffsetDateTime::now_utc().unix_timestamp();
    let signed =
        signature::sign(&msg, key, keyid, created, &nonce).map_err(|_| SendError::Unreachable)?;
    let res = http()
        .post(target_uri)
        .timeout(TIMEOUT)
        .header("content-type", "application/json")
        .header("content-digest", digest)
        .header("signature-input", signed.signature_input)
        .header("signature", signed.signature)
        .body(bytes)
        .send()
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, target_uri, "federation message not delivered");
            SendError::Unreachable
        })?;
    let status = res.status().as_u16();
    let value: serde_json::Value = res.json().await.unwrap_or(serde_json::Value::Null);
    if (200..300).contains(&status) {
        Ok(value)
    } else {
        let code = value["error"]["code"]
            .as_str()
            .unwrap_or("unknown")
            .to_owned();
        Err(SendError::Refused(status, code))
    }
}
