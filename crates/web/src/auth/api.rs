//! `POST /api/v1/tokens`, `POST /api/v1/people`, `GET`/`PATCH /api/v1/me`.

use crate::api::ApiJson;
use crate::auth::ApiCaller;
use crate::auth::service::{Registration, check_credentials, open_session, register};
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::{ConnectInfo, State};

use axum::http::StatusCode;
use std::net::SocketAddr;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_token))
        .routes(routes!(create_person))
        .routes(routes!(me, update_me))
}

/// Credentials for an API token.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    /// Login e-mail.
    pub email: String,
    /// Password.
    pub password: String,
}

/// A new API token.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer TOKEN`.
    pub token: String,
}

/// The client's address for throttling and the audit log: the socket's peer, or, when the peer
/// is one of the configured `trusted_proxies`, the address its `X-Forwarded-For` names.
pub struct ClientAddr(pub String);

impl axum::extract::FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|a| a.0.ip())
        else {
            return Ok(Self("unknown".into()));
        };
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        let trusted = &state.config.trusted_proxies;
        Ok(Self(client_behind(peer, &forwarded, trusted).to_string()))
    }
}

/// The client of a request from `peer` carrying `forwarded` (`X-Forwarded-For`, every header
/// joined): walking from the right, the first address that is not a trusted proxy. An untrusted
/// peer's header is ignored (anyone can send one), and so is an unreadable entry, which stops
/// the walk at the last address a trusted proxy vouched for. Bounded at 32 hops.
pub fn client_behind(
    peer: std::net::IpAddr,
    forwarded: &str,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    let mut client = peer;
    if !trusted.contains(&peer) {
        return client;
    }
    for hop in forwarded.rsplit(',').take(32) {
        match hop.trim().parse::<std::net::IpAddr>() {
            Ok(addr) => {
                client = addr;
                if !trusted.contains(&addr) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::client_behind;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_client_is_the_first_untrusted_hop_from_the_right() {
        let proxy = [ip("127.0.0.1"), ip("10.0.0.2")];
        let peer = ip("127.0.0.1");
        assert_eq!(client_behind(peer, "", &proxy), peer);
        assert_eq!(
            client_behind(peer, "203.0.113.7", &proxy),
            ip("203.0.113.7")
        );
        // A client's own forged entries sit to the left of what the proxy appended.
        assert_eq!(
            client_behind(peer, "1.2.3.4, 203.0.113.7", &proxy),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_behind(peer, "203.0.113.7, 10.0.0.2", &proxy),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_behind(peer, " 2001:db8::1 ", &proxy),
            ip("2001:db8::1")
        );
        // Garbage stops the walk at the last vouched-for address.
        assert_eq!(client_behind(peer, "203.0.113.7, nonsense", &proxy), peer);
    }

    #[test]
    fn an_untrusted_peer_cannot_choose_its_address() {
        let peer = ip("198.51.100.9");
        assert_eq!(client_behind(peer, "127.0.0.1", &[ip("127.0.0.1")]), peer);
        assert_eq!(client_behind(peer, "203.0.113.7", &[]), peer);
    }
}

/// Exchange e-mail and password for an API token.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "auth", request_body = TokenRequest,
    responses((status = 201, body = TokenResponse), (status = 401, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<(StatusCode, Json<TokenResponse>), AppError> {
    let person = check_credentials(&state, &req.email, &req.password, &client).await?;
    let token = open_session(&state, person.id, "api").await?;
    Ok((StatusCode::CREATED, Json(TokenResponse { token })))
}

/// The new person's id.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Created {
    /// Id of what was created.
    pub id: Uuid,
}

/// Register a person (then apply to join with `POST /api/v1/applications`).
#[utoipa::path(post, path = "/api/v1/people", tag = "auth", request_body = Registration,
    responses((status = 201, body = Created), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_person(
    State(state): State<AppState>,
    ApiJson(r): ApiJson<Registration>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let id = register(&state, r).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// An organisation the person belongs to.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MyOrganization {
    /// Organisation id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// `admin` or `member`.
    pub role: String,
    /// The organisation's status.
    pub status: String,
}

/// An account the person may pay from: their own first, then their organisations' (as
/// admin) and those they are authorised on.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MyAccount {
    /// Account id.
    pub id: Uuid,
    /// Currency code.
    pub currency: String,
    /// `person`, `organization` or `district`.
    pub owner_kind: String,
    /// The owning person or organisation.
    pub owner_id: Option<Uuid>,
    /// Balance in minor units.
    pub balance: i64,
}

/// The signed-in person.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Me {
    /// Person id.
    pub id: Uuid,
    /// Login e-mail.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role names: `person`, `organization_admin`, `coordinator`, `administrator`.
    pub roles: Vec<String>,
    /// Individual membership: `registered`, `pending`, `member`, `rejected`.
    pub membership_status: String,
    /// Preferred language.
    pub locale: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Short presentation.
    pub bio: String,
    /// Where the person lives.
    pub locality: String,
    /// Organisations and role in each.
    pub organizations: Vec<MyOrganization>,
    /// Accounts the person may pay from, their personal account first.
    pub accounts: Vec<MyAccount>,
}

/// Loads what `/api/v1/me` and the profile page show.
pub(crate) async fn load_me(state: &AppState, person_id: Uuid) -> Result<Me, AppError> {
    let p = distretto_store::membership::person(&state.db, person_id).await?;
    let orgs = distretto_store::membership::organizations_of(&state.db, person_id).await?;
    let accounts = distretto_store::ledger::spendable_accounts(&state.db, person_id).await?;
    let mut roles = vec!["person".to_owned()];
    if orgs.iter().any(|o| o.role == "admin") {
        roles.push("organization_admin".into());
    }
    if p.role == "coordinator" || p.role == "administrator" {
        roles.push("coordinator".into());
    }
    if p.role == "administrator" {
        roles.push("administrator".into());
    }
    Ok(Me {
        id: p.id,
        email: p.email,
        name: p.name,
        roles,
        membership_status: p.membership_status,
        locale: p.locale,
        phone: p.phone,
        bio: p.bio,
        locality: p.locality,
        organizations: orgs
            .into_iter()
            .map(|o| MyOrganization {
                id: o.organization_id,
                name: o.name,
                role: o.role,
                status: o.status,
            })
            .collect(),
        accounts: accounts
            .into_iter()
            .map(|a| MyAccount {
                id: a.id,
                currency: a.currency,
                owner_kind: a.owner_kind,
                owner_id: a.owner_id,
                balance: a.balance_minor,
            })
            .collect(),
    })
}

/// The signed-in person.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = crate::error::ErrorBody)))]
async fn me(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Me>, AppError> {
    Ok(Json(load_me(&state, caller.actor()?.id).await?))
}

/// The fields a person edits on their profile; absent fields keep their value.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProfileUpdate {
    /// Display name.
    pub name: Option<String>,
    /// `fr`, `it` or `en`.
    pub locale: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Short presentation (≤ 2,000 characters).
    pub bio: Option<String>,
    /// Where the person lives.
    pub locality: Option<String>,
}

/// Applies a profile update for a person (shared by the API and the page).
pub(crate) async fn update_profile(
    state: &AppState,
    person_id: Uuid,
    u: ProfileUpdate,
) -> Result<(), AppError> {
    let p = distretto_store::membership::person(&state.db, person_id).await?;
    let name =
        distretto_domain::membership::parse_person_name(u.name.as_deref().unwrap_or(&p.name))?;
    let locale = match u.locale.as_deref().map(str::trim) {
        None => p.locale,
        Some("") => None,
        Some(l) => Some(
            crate::i18n::Lang::parse(l)
                .ok_or(AppError {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: "invalid_locale",
                    field: Some("locale"),
                })?
                .code()
                .to_owned(),
        ),
    };
    let phone = match u.phone.as_deref().map(str::trim) {
        None => p.phone,
        Some("") => None,
        Some(ph) => Some(distretto_domain::directory::parse_phone(ph)?),
    };
    let bio = u.bio.map(|b| b.trim().to_owned()).unwrap_or(p.bio);
    if bio.chars().count() > 2_000 {
        return Err(AppError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_bio",
            field: Some("bio"),
        });
    }
    let locality = u
        .locality
        .map(|l| l.trim().to_owned())
        .unwrap_or(p.locality);
    if locality.chars().count() > 200 {
        return Err(AppError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_locality",
            field: Some("locality"),
        });
    }
    let profile = distretto_store::membership::PersonProfile {
        name,
        locale,
        phone,
        bio,
        locality,
    };
    distretto_store::membership::update_person_profile(
        &state.db,
        person_id,
        &profile,
        distretto_store::now(),
    )
    .await?;
    Ok(())
}

/// Edit the signed-in person's profile.
#[utoipa::path(patch, path = "/api/v1/me", tag = "auth", security(("bearer" = [])), request_body = ProfileUpdate,
    responses((status = 200, body = Me), (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn update_me(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(u): ApiJson<ProfileUpdate>,
) -> Result<Json<Me>, AppError> {
    let id = caller.actor()?.id;
    update_profile(&state, id, u).await?;
    Ok(Json(load_me(&state, id).await?))
}
