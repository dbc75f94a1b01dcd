//! `/api/v1/federation`: this district's identity (public), its links with other districts
//! (coordinators: propose, approve, suspend, resume, end), and the inbox where linked
//! districts post signed messages.

use super::service::{self, Incoming, LinkAction, Linked, Proposal};
use crate::api::{ApiId, ApiJson, ApiQuery, List};
use crate::auth::ApiCaller;
use crate::{AppError, AppState};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use distretto_store::federation as store;
use time::format_description::well_known::Rfc3339;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(district))
        .routes(routes!(list_links, propose))
        .routes(routes!(approve))
        .routes(routes!(suspend))
        .routes(routes!(resume))
        .routes(routes!(end))
        .routes(routes!(inbox))
        .routes(routes!(rotate_key))
        .routes(routes!(organizations))
        .merge(super::payments_api::router())
        .merge(super::clearing_api::router())
        .merge(super::directory_api::router())
        .merge(super::invoices_api::router())
}

/// A public key of a district.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PublicKey {
    /// What its signatures name in `keyid`.
    pub keyid: String,
    /// The Ed25519 public key: base64 of its 32 bytes.
    pub public_key: String,
    /// Always `ed25519`.
    pub algorithm: String,
}

/// A district as it presents itself to others.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct District {
    pub name: String,
    /// The address other districts link with.
    pub url: String,
    /// The district currency's code and decimals.
    pub currency: String,
    pub currency_scale: u32,
    /// Where linked districts post signed messages.
    pub inbox: String,
    /// The keys its requests are signed with.
    pub keys: Vec<PublicKey>,
}

/// This district's name, address, currency and public keys: what a coordinator gives another
/// district's coordinator to link with.
#[utoipa::path(get, path = "/api/v1/federation/district", tag = "federation",
    responses((status = 200, body = District)))]
async fn district(State(state): State<AppState>) -> Result<Json<District>, AppError> {
    service::own_key(&state).await?;
    let keys = store::published_keys(&state.db)
        .await?
        .into_iter()
        .map(|k| PublicKey {
            keyid: k.keyid,
            public_key: k.public_key,
            algorithm: distretto_domain::federation::signature::ALGORITHM.into(),
        })
        .collect();
    let url = service::own_url(&state);
    Ok(Json(District {
        name: state.config.district_name.clone(),
        inbox: format!("{url}{}", service::INBOX_PATH),
        url,
        currency: state.config.currency.code.clone(),
        currency_scale: u32::from(state.config.currency.scale),
        keys,
    }))
}

/// A link with another district.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Link {
    pub id: Uuid,
    /// The other district's address.
    pub url: String,
    pub name: String,
    /// `proposed` (waiting for their approval), `requested` (waiting for ours), `active`,
    /// `suspended` or `ended`.
    pub status: String,
    /// Their keys (compare them with the ones their coordinator gave you before approving).
    pub keys: Vec<PublicKey>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: String,
    /// Whether the other district heard about this change (only in answers to a change; a
    /// change it did not hear about is told again by the next one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered: Option<bool>,
    /// The other district's account in this district's ledger, once the link is active. Its
    /// limits (`PUT /api/v1/accounts/{id}/limits`) are what this district's assembly allows:
    /// `upper_limit`, how much our members may owe theirs; `credit_limit`, how much theirs
    /// may owe ours. Both start at 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mirror: Option<Mirror>,
    /// Minor units of our currency per 1,000,000 of theirs, for payments from them.
    pub exchange_rate_ppm: i64,
}

/// A linked district's mirror account here.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Mirror {
    pub account: Uuid,
    /// Positive: our members paid theirs more than the reverse (we owe them).
    pub balance: i64,
    pub credit_limit: i64,
    pub upper_limit: Option<i64>,
}

async fn link_json(
    state: &AppState,
    l: store::LinkRow,
    delivered: Option<bool>,
) -> Result<Link, AppError> {
    let keys = store::peer_keys_of(&state.db, l.id)
        .await?
        .into_iter()
        .map(|k| PublicKey {
            keyid: k.keyid,
            public_key: k.public_key,
            algorithm: distretto_domain::federation::signature::ALGORITHM.into(),
        })
        .collect();
    // Read only: the mirror is opened when the link becomes active (or, for a link made active
    // before that, by its first payment).
    let mirror = if l.status == "active" || l.status == "suspended" {
        store::payments::mirror(&state.db, l.id, &state.config.currency.code)
            .await?
            .map(|a| Mirror {
                account: a.id,
                balance: a.balance_minor,
                credit_limit: a.credit_limit_minor,
                upper_limit: a.upper_limit_minor,
            })
    } else {
        None
    };
    Ok(Link {
        id: l.id,
        url: store::address(&l.peer_url).to_owned(),
        name: l.peer_name,
        status: l.status,
        keys,
        updated_at: l.updated_at.format(&Rfc3339).unwrap_or_default(),
        delivered,
        mirror,
        exchange_rate_ppm: l.exchange_rate_ppm,
    })
}

/// The district's links (coordinators).
#[utoipa::path(get, path = "/api/v1/federation/links", tag = "federation", security(("bearer" = [])),
    responses((status = 200, body = List<Link>), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn list_links(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<List<Link>>, AppError> {
    if !caller.actor()?.coordinates() {
        return Err(AppError::forbidden());
    }
    let rows = store::links(&state.db).await?;
    let mut items = Vec::with_capacity(rows.len());
    for l in rows {
        items.push(link_json(&state, l, None).await?);
    }
    let total = items.len() as i64;
    Ok(Json(List { items, total }))
}

/// The other district's address and key, as its coordinator gave them.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalInput {
    pub url: String,
    pub keyid: String,
    pub public_key: String,
}

/// Link with another district (coordinators): the link is `proposed` until the other
/// district's coordinator approves, or `active` at once when they had already asked with this
/// key.
#[utoipa::path(post, path = "/api/v1/federation/links", tag = "federation", request_body = ProposalInput, security(("bearer" = [])),
    responses((status = 201, body = Link), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn propose(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<ProposalInput>,
) -> Result<(StatusCode, Json<Link>), AppError> {
    let p = Proposal {
        url: &input.url,
        keyid: &input.keyid,
        public_key: &input.public_key,
    };
    let Linked { link, delivered } = service::propose(&state, caller.actor()?, &p).await?;
    Ok((
        StatusCode::CREATED,
        Json(link_json(&state, link, Some(delivered)).await?),
    ))
}

/// Approve a district's request to link (coordinators), after comparing its key with the one
/// its coordinator gave you.
#[utoipa::path(post, path = "/api/v1/federation/links/{id}/approve", tag = "federation", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Link), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn approve(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
) -> Result<Json<Link>, AppError> {
    let Linked { link, delivered } = service::approve(&state, caller.actor()?, id).await?;
    Ok(Json(link_json(&state, link, Some(delivered)).await?))
}

/// Why a link is suspended, resumed or ended (up to 300 characters; may be empty).
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    #[serde(default)]
    pub note: String,
}

async fn act(
    state: AppState,
    caller: ApiCaller,
    id: Uuid,
    action: LinkAction,
    note: &str,
) -> Result<Json<Link>, AppError> {
    let Linked { link, delivered } =
        service::change(&state, caller.actor()?, id, action, note).await?;
    Ok(Json(link_json(&state, link, Some(delivered)).await?))
}

/// Suspend an active link (coordinators); the other district is told.
#[utoipa::path(post, path = "/api/v1/federation/links/{id}/suspend", tag = "federation", params(("id" = Uuid, Path)), request_body = NoteInput, security(("bearer" = [])),
    responses((status = 200, body = Link), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn suspend(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    ApiJson(n): ApiJson<NoteInput>,
) -> Result<Json<Link>, AppError> {
    act(state, caller, id, LinkAction::Suspend, &n.note).await
}

/// Resume a suspended link (coordinators); the other district is told.
#[utoipa::path(post, path = "/api/v1/federation/links/{id}/resume", tag = "federation", params(("id" = Uuid, Path)), request_body = NoteInput, security(("bearer" = [])),
    responses((status = 200, body = Link), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn resume(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    ApiJson(n): ApiJson<NoteInput>,
) -> Result<Json<Link>, AppError> {
    act(state, caller, id, LinkAction::Resume, &n.note).await
}

/// End a link for good (coordinators); the other district is told.
#[utoipa::path(post, path = "/api/v1/federation/links/{id}/end", tag = "federation", params(("id" = Uuid, Path)), request_body = NoteInput, security(("bearer" = [])),
    responses((status = 200, body = Link), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn end(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiId(id): ApiId,
    ApiJson(n): ApiJson<NoteInput>,
) -> Result<Json<Link>, AppError> {
    act(state, caller, id, LinkAction::End, &n.note).await
}

/// A new key and whether each linked district heard of it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Rotation {
    pub keyid: String,
    pub public_key: String,
    /// The links told, with whether each district heard (one that did not must be linked
    /// again).
    pub told: Vec<Told>,
}

/// A linked district told of a new key.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Told {
    pub link: Uuid,
    pub url: String,
    pub delivered: bool,
}

/// Replace this district's signing key (coordinators): every linked district is told, signed
/// with the old key, which is then retired.
#[utoipa::path(post, path = "/api/v1/federation/keys/rotate", tag = "federation", security(("bearer" = [])),
    responses((status = 200, body = Rotation), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn rotate_key(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<Rotation>, AppError> {
    let (key, told) = service::rotate_key(&state, caller.actor()?).await?;
    Ok(Json(Rotation {
        keyid: key.keyid,
        public_key: key.public_key,
        told: told
            .into_iter()
            .map(|(l, delivered)| Told {
                link: l.id,
                url: l.peer_url,
                delivered,
            })
            .collect(),
    }))
}

/// The answer to a message: the link's status here after a link message; for a payment
/// message, the payment's status here (`prepared`, with `amount_minor` in this district's
/// units and the payee's `name`; `committed`; `aborted`; `pending`).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct InboxAnswer {
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_minor: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A signed message from another district (RFC 9421 `Signature-Input`/`Signature` with
/// Ed25519 over `@method`, `@target-uri` and `content-digest`, and `Content-Digest`): a link
/// request, an approval, a change of status, or a step of a payment between districts
/// (`payment_prepare`, `payment_commit`, `payment_abort`, `payment_query`). Refused when
/// unsigned, expired (over 5 minutes), replayed, tampered with or signed by an unknown key.
#[utoipa::path(post, path = "/api/v1/federation/inbox", tag = "federation", request_body = serde_json::Value,
    responses((status = 200, body = InboxAnswer), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn inbox(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, AppError> {
    let fields: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str(), v)))
        .take(100)
        .collect();
    let path_and_query = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    let incoming = Incoming {
        method: method.as_str(),
        path_and_query,
        fields: &fields,
        body: &body,
    };
    Ok(Json(service::receive(&state, &incoming).await?))
}

/// A search of the linked districts' directories.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FederatedQuery {
    /// Words, as in the directory's own search.
    #[serde(default)]
    pub q: String,
}

/// Where a result comes from.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Origin {
    pub url: String,
    pub name: String,
}

/// An organisation of a linked district.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct FederatedOrganization {
    pub origin: Origin,
    #[serde(flatten)]
    pub organization: super::directory::RemoteOrganization,
}

/// How each linked district answered.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct DistrictAnswer {
    pub url: String,
    pub name: String,
    /// `fresh` (asked now), `cached` (asked less than 5 minutes ago), `stale` (not answering:
    /// its last answer) or `unreachable` (not answering, nothing cached).
    pub freshness: String,
}

/// The answer of a federated search.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct FederatedOrganizations {
    pub items: Vec<FederatedOrganization>,
    pub total: i64,
    pub districts: Vec<DistrictAnswer>,
}

/// Search the public directories of every linked district at once (up to 50 organisations
/// each); answers are cached for five minutes and served stale while a district is down.
#[utoipa::path(get, path = "/api/v1/federation/organizations", tag = "federation", params(FederatedQuery),
    responses((status = 200, body = FederatedOrganizations), (status = 400, body = crate::error::ErrorBody)))]
async fn organizations(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<FederatedQuery>,
) -> Result<Json<FederatedOrganizations>, AppError> {
    let parts = super::directory::search(&state, &query.q).await?;
    let mut items = Vec::new();
    let mut districts = Vec::with_capacity(parts.len());
    for p in parts {
        districts.push(DistrictAnswer {
            url: p.url.clone(),
            name: p.name.clone(),
            freshness: p.freshness.code().into(),
        });
        items.extend(
            p.items
                .into_iter()
                .map(|organization| FederatedOrganization {
                    origin: Origin {
                        url: p.url.clone(),
                        name: p.name.clone(),
                    },
                    organization,
                }),
        );
    }
    let total = items.len() as i64;
    Ok(Json(FederatedOrganizations {
        items,
        total,
        districts,
    }))
}
