//! Linking districts: each district's identity and key, a coordinator proposing a link with a
//! district whose URL and key they were given, the other side's approval, suspending, resuming
//! and ending, and the signed messages by which the two sides keep their links in step.
//!
//! A link becomes active only once both coordinators agreed: either each entered the other's
//! URL and key (the second request to arrive activates both), or one proposed and the other
//! approved the request after comparing the key shown with the one given to them.

use super::client::{self, SendError};
use crate::auth::viewer::Actor;
use crate::{AppError, AppState};
use axum::http::StatusCode;
use distretto_domain::federation::signature::{self, Message, SignatureError};
use distretto_store::StoreError;
use distretto_store::federation::{self as store, KeyRow, LinkEventRow, LinkRow, PeerKeyRow};
use ed25519_dalek::SigningKey;
use uuid::Uuid;

/// Where a district receives signed messages from the districts it is linked with.
pub const INBOX_PATH: &str = "/api/v1/federation/inbox";
/// Longest URL, key id or name accepted from another district or a coordinator.
const MAX_TEXT: usize = 300;

/// A message between districts (the JSON body of a signed inbox request).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum InboxMessage {
    /// "Link with us": the sender's URL, name and the key it signs with.
    LinkRequest {
        url: String,
        name: String,
        keyid: String,
        public_key: String,
    },
    /// "Our coordinator approved your request": the approving district's URL and name.
    LinkApproval {
        url: String,
        #[serde(default)]
        name: String,
    },
    /// "We suspended, resumed or ended our link with you."
    LinkStatus {
        url: String,
        status: String,
        note: String,
    },
    /// "Hold this payment of our member to yours" (phase one of a payment between districts):
    /// the amount is in the sender's minor units; `payee` is an account or organisation id
    /// of the receiving district.
    PaymentPrepare {
        url: String,
        payment_id: Uuid,
        payee: String,
        amount_minor: i64,
        currency: String,
        memo: String,
        payer_name: String,
        /// The invoice between districts it pays (absent: none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        invoice_id: Option<Uuid>,
    },
    /// "We replaced our key": the new key id and key. Signed with the key it replaces, which
    /// the receiver then forgets.
    KeyRotation {
        url: String,
        keyid: String,
        public_key: String,
    },
    /// "We committed this payment: post it."
    PaymentCommit { url: String, payment_id: Uuid },
    /// "We aborted this payment: release it."
    PaymentAbort { url: String, payment_id: Uuid },
    /// "How does this payment stand on your side?"
    PaymentQuery { url: String, payment_id: Uuid },
    /// "What are your mirror accounts' balances?" (a clearing round is being planned).
    ClearingPositions { url: String },
    /// "Hold your part of this clearing round" (phase one): the whole plan, the same for
    /// every district of the round.
    ClearingPrepare {
        url: String,
        clearing_id: Uuid,
        plan: distretto_domain::federation::clearing::Plan,
    },
    /// "Every district prepared: post your part."
    ClearingCommit { url: String, clearing_id: Uuid },
    /// "The round is aborted: release your part."
    ClearingAbort { url: String, clearing_id: Uuid },
    /// "How does this round stand?" (asked of the district that started it).
    ClearingQuery { url: String, clearing_id: Uuid },
    /// "Our coordinator proposes clearing rounds this many days apart (0: none)."
    ClearingSchedule { url: String, every_days: i32 },
    /// "Our member invoices yours": the creditor's account id here and name, the debtor's
    /// account or organisation id there; the amount in the sender's (creditor's) minor units.
    InvoiceIssue {
        url: String,
        invoice_id: Uuid,
        creditor: String,
        creditor_name: String,
        debtor: String,
        amount_minor: i64,
        currency: String,
        description: String,
        due_on: String,
    },
    /// "Our member (the debtor) accepted or disputed this invoice."
    InvoiceAnswer {
        url: String,
        invoice_id: Uuid,
        status: String,
        #[serde(default)]
        reason: String,
    },
    /// "Our member (the creditor) cancelled this invoice."
    InvoiceCancel { url: String, invoice_id: Uuid },
}

impl InboxMessage {
    /// Whether it is about a clearing round between districts.
    fn is_clearing(&self) -> bool {
        matches!(
            self,
            Self::ClearingPositions { .. }
                | Self::ClearingPrepare { .. }
                | Self::ClearingCommit { .. }
                | Self::ClearingAbort { .. }
                | Self::ClearingQuery { .. }
                | Self::ClearingSchedule { .. }
        )
    }

    /// Whether it is about an invoice between districts.
    fn is_invoice(&self) -> bool {
        matches!(
            self,
            Self::InvoiceIssue { .. } | Self::InvoiceAnswer { .. } | Self::InvoiceCancel { .. }
        )
    }

    /// Whether it is about a payment between districts.
    fn is_payment(&self) -> bool {
        matches!(
            self,
            Self::PaymentPrepare { .. }
                | Self::PaymentCommit { .. }
                | Self::PaymentAbort { .. }
                | Self::PaymentQuery { .. }
        )
    }
}

/// The sender of a message.
fn sender(m: &InboxMessage) -> &str {
    match m {
        InboxMessage::LinkRequest { url, .. }
        | InboxMessage::LinkApproval { url, .. }
        | InboxMessage::LinkStatus { url, .. }
        | InboxMessage::KeyRotation { url, .. }
        | InboxMessage::PaymentPrepare { url, .. }
        | InboxMessage::PaymentCommit { url, .. }
        | InboxMessage::PaymentAbort { url, .. }
        | InboxMessage::PaymentQuery { url, .. }
        | InboxMessage::ClearingPositions { url }
        | InboxMessage::ClearingPrepare { url, .. }
        | InboxMessage::ClearingCommit { url, .. }
        | InboxMessage::ClearingAbort { url, .. }
        | InboxMessage::ClearingQuery { url, .. }
        | InboxMessage::ClearingSchedule { url, .. }
        | InboxMessage::InvoiceIssue { url, .. }
        | InboxMessage::InvoiceAnswer { url, .. }
        | InboxMessage::InvoiceCancel { url, .. } => url,
    }
}

/// A district's URL as links store it: scheme, host and port, and path without a trailing
/// slash; `None` unless it is an `http` or `https` URL of reasonable length.
pub fn normalize_url(url: &str) -> Option<String> {
    let url = url.trim().trim_end_matches('/');
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= MAX_TEXT
        && !url.contains(['?', '#', ' '])
        && url
            .split_once("://")
            .is_some_and(|(_, rest)| !rest.is_empty());
    ok.then(|| url.to_owned())
}

/// This district's URL as others link with it.
pub fn own_url(state: &AppState) -> String {
    normalize_url(&state.config.public_url).unwrap_or_else(|| state.config.public_url.clone())
}

/// This district's signing key, created the first time it is needed.
pub async fn own_key(state: &AppState) -> Result<(KeyRow, SigningKey), AppError> {
    if let Some(k) = store::current_key(&state.db).await? {
        return Ok(signing(k));
    }
    let seed: [u8; 32] = rand::random();
    let key = signature::signing_key(seed);
    let now = distretto_store::now();
    let row = KeyRow {
        keyid: format!("{}#{}", own_url(state), now.unix_timestamp()),
        public_key: signature::encode_public_key(&key.verifying_key()),
        secret_seed: seed.to_vec(),
        created_at: now,
        retired_at: None,
    };
    match store::insert_key(&state.db, &row).await {
        // Another request created it first: use the stored one.
        Ok(()) | Err(StoreError::Conflict) => {}
        Err(e) => return Err(e.into()),
    }
    let k = store::current_key(&state.db)
        .await?
        .ok_or(AppError::internal())?;
    Ok(signing(k))
}

fn signing(k: KeyRow) -> (KeyRow, SigningKey) {
    let mut seed = [0u8; 32];
    if k.secret_seed.len() == 32 {
        seed.copy_from_slice(&k.secret_seed);
    }
    let key = signature::signing_key(seed);
    (k, key)
}

fn require_coordinator(actor: &Actor) -> Result<(), AppError> {
    if actor.coordinates() {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

fn event(link: Uuid, status: &str, actor: Option<Uuid>, note: &str) -> LinkEventRow {
    LinkEventRow {
        id: Uuid::now_v7(),
        link_id: link,
        status: status.to_owned(),
        actor_id: actor,
        by_peer: actor.is_none(),
        note: note.chars().take(MAX_TEXT).collect(),
        at: distretto_store::now(),
    }
}

/// What a coordinator enters to link with another district.
pub struct Proposal<'a> {
    pub url: &'a str,
    pub keyid: &'a str,
    pub public_key: &'a str,
}

/// A link and whether the other district heard about the last change.
pub struct Linked {
    pub link: LinkRow,
    pub delivered: bool,
}

/// A coordinator links with the district at `p.url` whose key they were given. When that
/// district already asked with this very key, this approves its request.
pub async fn propose(
    state: &AppState,
    actor: &Actor,
    p: &Proposal<'_>,
) -> Result<Linked, AppError> {
    require_coordinator(actor)?;
    let url = normalize_url(p.url).ok_or(AppError::bad_request("federation_bad_url"))?;
    if url == own_url(state) {
        return Err(AppError::bad_request("federation_bad_url"));
    }
    let keyid = p.keyid.trim();
    if keyid.is_empty() || keyid.len() > MAX_TEXT {
        return Err(AppError::bad_request("federation_bad_key"));
    }
    let public_key = signature::decode_public_key(p.public_key)
        .ok_or(AppError::bad_request("federation_bad_key"))?;
    let public_key = signature::encode_public_key(&public_key);
    if let Some(existing) = store::link_by_url(&state.db, &url).await? {
        let keys = store::peer_keys_of(&state.db, existing.id).await?;
        let same_key = keys
            .iter()
            .any(|k| k.keyid == keyid && k.public_key == public_key);
        return if existing.status == "requested" && same_key {
            approve(state, actor, existing.id).await
        } else if existing.status == "requested" {
            Err(AppError::conflict("federation_key_mismatch"))
        } else {
            Err(AppError::conflict("federation_link_exists"))
        };
    }
    let now = distretto_store::now();
    let link = LinkRow {
        id: Uuid::now_v7(),
        peer_url: url.clone(),
        // Until they answer, the district is known by its address.
        peer_name: url.clone(),
        status: "proposed".into(),
        created_at: now,
        updated_at: now,
        exchange_rate_ppm: store::ONE_TO_ONE_PPM,
    };
    let key = PeerKeyRow {
        keyid: keyid.to_owned(),
        link_id: link.id,
        public_key,
        added_at: now,
    };
    match store::create_link(
        &state.db,
        &link,
        &key,
        &event(link.id, "proposed", Some(actor.id), ""),
    )
    .await
    {
        Err(StoreError::Conflict) => return Err(AppError::conflict("federation_link_exists")),
        other => other?,
    }
    let (own, signing_key) = own_key(state).await?;
    let message = InboxMessage::LinkRequest {
        url: own_url(state),
        name: state.config.district_name.clone(),
        keyid: own.keyid.clone(),
        public_key: own.public_key.clone(),
    };
    let answer = send(&url, &message, &signing_key, &own.keyid).await;
    let delivered = answer.is_ok();
    if let Ok(a) = answer
        && a["status"] == "active"
    {
        apply_peer_status(state, link.id, &["proposed"], "active", "").await?;
    }
    Ok(Linked {
        link: store::link(&state.db, link.id).await?,
        delivered,
    })
}

pub(super) async fn send(
    peer_url: &str,
    message: &InboxMessage,
    key: &SigningKey,
    keyid: &str,
) -> Result<serde_json::Value, SendError> {
    let peer_url = store::address(peer_url);
    let body = serde_json::to_value(message).map_err(|_| SendError::Unreachable)?;
    let answer = client::post_signed(&format!("{peer_url}{INBOX_PATH}"), &body, key, keyid).await;
    if let Err(SendError::Refused(status, code)) = &answer {
        tracing::warn!(
            peer_url,
            status,
            code,
            "the other district refused a federation message"
        );
    }
    answer
}

/// Our coordinator approves the request of a district (after comparing its key with the one
/// its coordinator gave them); the district is told.
pub async fn approve(state: &AppState, actor: &Actor, id: Uuid) -> Result<Linked, AppError> {
    require_coordinator(actor)?;
    let link = store::link(&state.db, id).await?;
    match change_status(
        state,
        &["requested"],
        &event(id, "active", Some(actor.id), ""),
    )
    .await
    {
        Err(StoreError::Conflict) => {
            return Err(AppError::conflict("federation_link_not_requested"));
        }
        other => other?,
    }
    let (own, key) = own_key(state).await?;
    let message = InboxMessage::LinkApproval {
        url: own_url(state),
        name: state.config.district_name.clone(),
    };
    let delivered = send(&link.peer_url, &message, &key, &own.keyid)
        .await
        .is_ok();
    Ok(Linked {
        link: store::link(&state.db, id).await?,
        delivered,
    })
}

/// What a coordinator does to an existing link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkAction {
    Suspend,
    Resume,
    End,
}

impl LinkAction {
    /// The statuses it applies to, and the one it leads to.
    fn transition(self) -> (&'static [&'static str], &'static str) {
        match self {
            Self::Suspend => (&["active"], "suspended"),
            Self::Resume => (&["suspended"], "active"),
            Self::End => (&["proposed", "requested", "active", "suspended"], "ended"),
        }
    }
}

/// A coordinator suspends, resumes or ends a link, with a note; the other district is told.
pub async fn change(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    action: LinkAction,
    note: &str,
) -> Result<Linked, AppError> {
    require_coordinator(actor)?;
    let note = note.trim();
    if note.chars().count() > MAX_TEXT {
        return Err(AppError::bad_request("federation_note_too_long"));
    }
    let link = store::link(&state.db, id).await?;
    if action == LinkAction::End
        && distretto_store::federation::payments::open_count(&state.db, id).await? > 0
    {
        // Its payments must end on both sides first (seconds, unless the district is down).
        return Err(AppError::conflict("federation_payments_open"));
    }
    if action == LinkAction::Resume
        && link.status == "suspended"
        && suspended_by_peer(state, id).await?
    {
        return Err(AppError::conflict("federation_suspended_by_peer"));
    }
    let (from, to) = action.transition();
    match change_status(state, from, &event(id, to, Some(actor.id), note)).await {
        Err(StoreError::Conflict) => return Err(AppError::conflict("federation_link_status")),
        other => other?,
    }
    let (own, key) = own_key(state).await?;
    let message = InboxMessage::LinkStatus {
        url: own_url(state),
        status: to.to_owned(),
        note: note.to_owned(),
    };
    let delivered = send(&link.peer_url, &message, &key, &own.keyid)
        .await
        .is_ok();
    Ok(Linked {
        link: store::link(&state.db, id).await?,
        delivered,
    })
}

/// Whether the link's current suspension was made by the other district (a suspension is
/// lifted only by the side that made it).
async fn suspended_by_peer(state: &AppState, link: Uuid) -> Result<bool, AppError> {
    Ok(store::events_of(&state.db, link)
        .await?
        .iter()
        .rev()
        .find(|e| e.status == "suspended")
        .is_some_and(|e| e.by_peer))
}

async fn apply_peer_status(
    state: &AppState,
    link: Uuid,
    from: &[&str],
    to: &str,
    note: &str,
) -> Result<(), AppError> {
    Ok(change_status(state, from, &event(link, to, None, note)).await?)
}

/// Moves a link to `event`'s status if it is in one of `from`. A link that becomes active gets
/// its mirror account here, so that reading the links never has to open one. (Not in the same
/// transaction: if the server stops in between, or the mirror cannot be opened now, the first
/// payment over the link opens it, as it does for links made active before mirrors were
/// opened here. So a failure to open it is logged, not answered: the status has changed, and
/// the caller must still tell the other district.)
async fn change_status(
    state: &AppState,
    from: &[&str],
    event: &LinkEventRow,
) -> Result<(), StoreError> {
    store::change_status(&state.db, from, event).await?;
    if event.status == "active"
        && let Err(e) =
            store::payments::ensure_mirror(&state.db, event.link_id, &state.config.currency.code)
                .await
    {
        tracing::warn!(error = %e, link = %event.link_id, "the mirror account of a link made active was not opened; its first payment will open it");
    }
    Ok(())
}

/// A signed request as it reached the inbox.
pub struct Incoming<'a> {
    pub method: &'a str,
    /// The path and query the request was sent to.
    pub path_and_query: &'a str,
    pub fields: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

fn refused(e: SignatureError) -> AppError {
    let status = match e {
        SignatureError::Malformed
        | SignatureError::ComponentMissing
        | SignatureError::DigestMismatch => StatusCode::BAD_REQUEST,
        _ => StatusCode::UNAUTHORIZED,
    };
    AppError::new(status, e.code())
}

/// Handles a signed message from another district: checks the signature (by a key of a linked
/// district, or, for a first request, by the key the request carries), refuses replays, then
/// acts on the message: moves the link (answering its status here) or takes a payment between
/// districts a step further (see [`super::payments`]).
pub async fn receive(
    state: &AppState,
    incoming: &Incoming<'_>,
) -> Result<serde_json::Value, AppError> {
    let answer = match receive_message(state, incoming).await? {
        Received::Link(status) => serde_json::json!({ "status": status }),
        Received::Linked(link, message) if message.is_clearing() => {
            return super::clearing::receive(state, &link, message).await;
        }
        Received::Linked(link, message) if message.is_invoice() => {
            return super::invoices::receive(state, &link, message).await;
        }
        Received::Linked(link, message) => {
            return super::payments::receive(state, &link, message).await;
        }
    };
    Ok(answer)
}

/// A checked message: a link's new status, or a payment, clearing or invoice message of a
/// linked district.
enum Received {
    Link(String),
    Linked(Box<LinkRow>, InboxMessage),
}

async fn receive_message(state: &AppState, incoming: &Incoming<'_>) -> Result<Received, AppError> {
    let message: InboxMessage = serde_json::from_slice(incoming.body)
        .map_err(|_| AppError::bad_request("federation_bad_message"))?;
    let from =
        normalize_url(sender(&message)).ok_or(AppError::bad_request("federation_bad_message"))?;
    let target_uri = format!("{}{}", own_url(state), incoming.path_and_query);
    let msg = Message {
        method: incoming.method,
        target_uri: &target_uri,
        fields: incoming.fields,
    };
    // The key the signature names: a linked district's, or the one a first request carries.
    let stored = match signature_keyid(incoming.fields) {
        // The keys of an ended link speak for nobody (a new request is checked on its own).
        Some(keyid) => store::peer_key(&state.db, &keyid)
            .await?
            .filter(|(_, l)| l.status != "ended"),
        None => None,
    };
    if let Some((_, link)) = &stored
        && link.peer_url != from
    {
        return Err(AppError::new(
            StatusCode::UNAUTHORIZED,
            "signature_unknown_key",
        ));
    }
    let offered = match (&message, &stored) {
        (
            InboxMessage::LinkRequest {
                keyid, public_key, ..
            },
            None,
        ) => signature::decode_public_key(public_key).map(|k| (keyid.clone(), k)),
        _ => None,
    };
    let now = distretto_store::now();
    let params = signature::verify(&msg, incoming.body, now.unix_timestamp(), |keyid| {
        match (&stored, &offered) {
            (Some((k, _)), _) if k.keyid == keyid => signature::decode_public_key(&k.public_key),
            (None, Some((id, key))) if id == keyid => Some(*key),
            _ => None,
        }
    })
    .map_err(refused)?;
    let nonce = params
        .nonce
        .ok_or(AppError::bad_request("signature_malformed"))?;
    if nonce.len() > MAX_TEXT {
        return Err(AppError::bad_request("signature_malformed"));
    }
    if !store::record_nonce(
        &state.db,
        &params.keyid,
        &nonce,
        now,
        signature::MAX_AGE_SECS * 2,
    )
    .await?
    {
        return Err(AppError::conflict("signature_replayed"));
    }
    if message.is_payment() || message.is_clearing() || message.is_invoice() {
        let (_, link) = stored.ok_or(AppError::new(
            StatusCode::UNAUTHORIZED,
            "signature_unknown_key",
        ))?;
        return Ok(Received::Linked(Box::new(link), message));
    }
    if let InboxMessage::KeyRotation {
        keyid, public_key, ..
    } = &message
    {
        let (old, link) = stored.ok_or(AppError::new(
            StatusCode::UNAUTHORIZED,
            "signature_unknown_key",
        ))?;
        return key_rotated(state, &old, &link, keyid, public_key).await;
    }
    let status = match message {
        InboxMessage::LinkRequest {
            name,
            keyid,
            public_key,
            ..
        } => {
            link_requested(
                state,
                &from,
                &name,
                &keyid,
                &public_key,
                stored.map(|(_, l)| l),
            )
            .await
        }
        InboxMessage::LinkApproval { name, .. } => {
            let (_, link) = stored.ok_or(AppError::new(
                StatusCode::UNAUTHORIZED,
                "signature_unknown_key",
            ))?;
            match link.status.as_str() {
                "active" => Ok(link.status),
                "proposed" => {
                    apply_peer_status(state, link.id, &["proposed"], "active", "").await?;
                    let name: String = name.trim().chars().take(MAX_TEXT).collect();
                    rename(state, &link, &name).await?;
                    Ok("active".into())
                }
                _ => Err(AppError::conflict("federation_link_status")),
            }
        }
        InboxMessage::LinkStatus { status, note, .. } => {
            let (_, link) = stored.ok_or(AppError::new(
                StatusCode::UNAUTHORIZED,
                "signature_unknown_key",
            ))?;
            let (from, to): (&[&str], &str) = match status.as_str() {
                "suspended" => (&["active"], "suspended"),
                "active" => (&["suspended"], "active"),
                "ended" => (&["proposed", "requested", "active", "suspended"], "ended"),
                _ => return Err(AppError::bad_request("federation_bad_message")),
            };
            if link.status == to {
                return Ok(Received::Link(link.status));
            }
            if to == "active"
                && link.status == "suspended"
                && !suspended_by_peer(state, link.id).await?
            {
                // Our coordinator suspended it: only they lift it.
                return Ok(Received::Link(link.status));
            }
            match apply_peer_status(state, link.id, from, to, &note).await {
                Ok(()) => Ok(to.to_owned()),
                Err(e) if e.status == StatusCode::CONFLICT => {
                    Err(AppError::conflict("federation_link_status"))
                }
                Err(e) => Err(e),
            }
        }
        _ => Err(AppError::bad_request("federation_bad_message")),
    }?;
    Ok(Received::Link(status))
}

/// The `keyid` parameter of Distretto's signature, if the headers carry one.
fn signature_keyid(fields: &[(&str, &str)]) -> Option<String> {
    let input = fields
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("signature-input"))?
        .1;
    let dict: sfv::Dictionary = sfv::Parser::new(input).parse().ok()?;
    match dict.get(signature::LABEL)? {
        sfv::ListEntry::InnerList(list) => match list.params.get("keyid")? {
            sfv::BareItem::String(s) => Some(s.as_str().to_owned()),
            _ => None,
        },
        sfv::ListEntry::Item(_) => None,
    }
}

/// A district asks to link (its signature already checked against the key it names).
async fn link_requested(
    state: &AppState,
    from: &str,
    name: &str,
    keyid: &str,
    public_key: &str,
    known: Option<LinkRow>,
) -> Result<String, AppError> {
    let name: String = name.trim().chars().take(MAX_TEXT).collect();
    match known {
        // Our coordinator proposed with this very key: both sides agree.
        Some(link) if link.status == "proposed" => {
            apply_peer_status(state, link.id, &["proposed"], "active", "").await?;
            rename(state, &link, &name).await?;
            Ok("active".into())
        }
        Some(link) if link.status == "requested" || link.status == "active" => Ok(link.status),
        Some(_) => Err(AppError::conflict("federation_link_status")),
        None => {
            if let Some(existing) = store::link_by_url(&state.db, from).await? {
                // A link to that address exists with another key: a coordinator must sort it out.
                return Err(if existing.status == "proposed" {
                    AppError::conflict("federation_key_mismatch")
                } else {
                    AppError::conflict("federation_link_exists")
                });
            }
            let now = distretto_store::now();
            let link = LinkRow {
                id: Uuid::now_v7(),
                peer_url: from.to_owned(),
                peer_name: if name.is_empty() {
                    from.to_owned()
                } else {
                    name
                },
                status: "requested".into(),
                created_at: now,
                updated_at: now,
                exchange_rate_ppm: store::ONE_TO_ONE_PPM,
            };
            let key = PeerKeyRow {
                keyid: keyid.chars().take(MAX_TEXT).collect(),
                link_id: link.id,
                public_key: public_key.to_owned(),
                added_at: now,
            };
            match store::create_link(
                &state.db,
                &link,
                &key,
                &event(link.id, "requested", None, ""),
            )
            .await
            {
                Err(StoreError::Conflict) => Err(AppError::conflict("federation_link_exists")),
                Err(e) => Err(e.into()),
                Ok(()) => Ok("requested".into()),
            }
        }
    }
}

async fn rename(state: &AppState, link: &LinkRow, name: &str) -> Result<(), AppError> {
    if name.is_empty() || name == link.peer_name {
        return Ok(());
    }
    Ok(store::rename(&state.db, link.id, name).await?)
}

/// A linked district replaced the key that signed this message with a new one.
async fn key_rotated(
    state: &AppState,
    old: &PeerKeyRow,
    link: &LinkRow,
    keyid: &str,
    public_key: &str,
) -> Result<Received, AppError> {
    let key = signature::decode_public_key(public_key)
        .ok_or(AppError::bad_request("federation_bad_key"))?;
    let keyid = keyid.trim();
    if keyid.is_empty() || keyid.len() > MAX_TEXT {
        return Err(AppError::bad_request("federation_bad_key"));
    }
    let row = PeerKeyRow {
        keyid: keyid.to_owned(),
        link_id: link.id,
        public_key: signature::encode_public_key(&key),
        added_at: distretto_store::now(),
    };
    match store::replace_peer_key(&state.db, &old.keyid, &row).await {
        Ok(()) => Ok(Received::Link(link.status.clone())),
        Err(StoreError::Conflict) => Err(AppError::conflict("federation_key_exists")),
        Err(e) => Err(e.into()),
    }
}

/// A coordinator replaces this district's signing key: a new key is made, every linked
/// district is told (signed with the old key, which they then forget), and the old key is
/// retired. Returns the new key and, per link told, whether it heard. A district that did not
/// hear refuses this district's messages from then on: end the link and link again.
pub async fn rotate_key(
    state: &AppState,
    actor: &Actor,
) -> Result<(KeyRow, Vec<(LinkRow, bool)>), AppError> {
    require_coordinator(actor)?;
    let (old, old_key) = own_key(state).await?;
    let seed: [u8; 32] = rand::random();
    let key = signature::signing_key(seed);
    let now = distretto_store::now();
    let new = KeyRow {
        keyid: format!("{}#{}", own_url(state), Uuid::now_v7().simple()),
        public_key: signature::encode_public_key(&key.verifying_key()),
        secret_seed: seed.to_vec(),
        created_at: now,
        retired_at: None,
    };
    store::insert_key(&state.db, &new).await?;
    let message = InboxMessage::KeyRotation {
        url: own_url(state),
        keyid: new.keyid.clone(),
        public_key: new.public_key.clone(),
    };
    let mut told = Vec::new();
    for link in store::links(&state.db).await? {
        if link.status == "ended" {
            continue;
        }
        let heard = send(&link.peer_url, &message, &old_key, &old.keyid)
            .await
            .is_ok();
        told.push((link, heard));
    }
    store::retire_key(&state.db, &old.keyid, distretto_store::now()).await?;
    Ok((new, told))
}
