//! Signing in: the password, then (for accounts that use it) a code from an authenticator app or
//! a recovery code. Both steps are throttled; every outcome is in the audit trail.

use actix_session::Session;
use actix_web::{HttpRequest, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, Actor, Context, Event};
use crate::auth::extract;
use crate::auth::two_factor::{self, Proof};
use crate::auth::users::{self, UserView};
use crate::error::{AppError, ErrorBody};
use crate::json::ApiJson;
use crate::state::AppState;

/// Sign-in credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// For an account with two-factor sign-in: the 6-digit code its authenticator app shows now,
    /// or one of its unused recovery codes. Without it such an account gets 401
    /// `two_factor_code_required`.
    #[serde(default)]
    pub code: Option<String>,
}

/// The signed-in account and the CSRF token to send with cookie-authenticated writes.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    pub user: UserView,
    /// Send as `X-CSRF-Token` on POST/PATCH/DELETE when using the session cookie.
    pub csrf_token: Option<String>,
}

/// Checks an e-mail and password, throttled per account and per address; every failure looks the
/// same. The sign-in is not finished: `finish_sign_in` asks for the second factor and records it.
pub async fn check_credentials(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    email: &str,
    password: String,
) -> Result<users::User, AppError> {
    let email = email.trim().to_lowercase();
    state.throttle.check(&email, client_address(req, state.trust_proxy_headers))?;
    let user = state.run(move |c| Ok(users::find_by_email(c, &email)?)).await?;
    // Hash even for unknown e-mails so response time does not reveal which exist. Argon2 takes
    // tens of milliseconds: off the executor, and outside the writer's lock.
    let hash =
        user.as_ref().map_or_else(|| crate::auth::dummy_hash().to_owned(), |u| u.password_hash.clone());
    let ok = web::block(move || crate::auth::verify_password(&password, &hash)).await?;
    let Some(user) = user else { return Err(AppError::InvalidCredentials) };
    let expired = user.one_time_password_expired(state.one_time_password_valid, crate::db::now());
    let refusal = match (ok, user.disabled, expired) {
        (true, false, false) => return Ok(user),
        (true, true, _) => "login_refused_disabled",
        (true, false, true) => "login_refused_expired_password",
        (false, _, _) => "login_failed",
    };
    // A failure for a known account is recorded after the answer, not before it: an unknown
    // e-mail writes nothing, so waiting for the write would tell a guesser which accounts exist.
    record_later(state, req, &user.id, refusal);
    Err(AppError::InvalidCredentials)
}

/// Finishes a sign-in whose password was right: an account with two-factor sign-in needs `code`
/// (from its app, or a recovery code), checked under the sign-in throttle. Records the sign-in.
pub async fn finish_sign_in(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    user: users::User,
    code: Option<String>,
) -> Result<users::User, AppError> {
    let id = user.id.clone();
    let on = state.run(move |c| Ok(two_factor::enabled(c, &id)?)).await?;
    let mut reason = None;
    if on {
        let Some(code) = code.filter(|c| !c.trim().is_empty()) else { return Err(AppError::CodeRequired) };
        // Codes are guessed only after the password; per address, and for the account from any
        // address: a six-digit space must not be shared out across many machines.
        let address = client_address(req, state.trust_proxy_headers);
        state.throttle.check(&format!("second factor {}", user.id), address)?;
        state.throttle.check(&format!("second factor {} from anywhere", user.id), None)?;
        let (id, email) = (user.id.clone(), user.email.clone());
        let now = two_factor::unix_now();
        let proof = state.write(move |c| Ok(two_factor::verify(c, (&id, &email), &code, now)?)).await?;
        match proof {
            None => {
                record_later(state, req, &user.id, "login_failed_code");
                return Err(AppError::InvalidCode);
            }
            Some(Proof::App) => {}
            Some(Proof::RecoveryCode { left }) => {
                reason = Some(format!("signed in with a recovery code; {left} left"));
            }
        }
    }
    let ctx = Context { actor: actor_of(&user), request_id: request_id(req) };
    let id = user.id.clone();
    state
        .write(move |c| {
            let event = Event {
                action: "login",
                entity: "user",
                entity_id: &id,
                changes: vec![],
                reason: reason.as_deref(),
            };
            audit::record(c, &ctx, event)?;
            Ok(())
        })
        .await?;
    Ok(user)
}

fn actor_of(user: &users::User) -> Actor {
    Actor::user(&user.id, user.role().as_str())
}

/// Records a refused sign-in in the background (see `check_credentials` for why not before the
/// answer).
fn record_later(state: &web::Data<AppState>, req: &HttpRequest, user_id: &str, action: &'static str) {
    let (state, id, request_id) = (state.clone(), user_id.to_owned(), request_id(req));
    actix_web::rt::spawn(async move {
        let written = state
            .write(move |c| {
                let ctx = Context { actor: Actor::system(), request_id };
                let event = Event { action, entity: "user", entity_id: &id, changes: vec![], reason: None };
                audit::record(c, &ctx, event)?;
                Ok(())
            })
            .await;
        if let Err(e) = written {
            tracing::error!(error.kind = "audit", error.detail = %e, "a failed sign-in was not recorded");
        }
    });
}

/// The client's address, for the per-address sign-in limit. Behind a proxy every request comes
/// from the proxy, so with `trust_proxy_headers` it is the last `X-Forwarded-For` entry: the one
/// our proxy appended. Everything left of it, and `Forwarded`, came from the client and could say
/// anything. No usable entry: the peer's address, never none (that would skip the limit).
pub(crate) fn client_address(req: &HttpRequest, trust_proxy_headers: bool) -> Option<std::net::IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip());
    if !trust_proxy_headers {
        return peer;
    }
    let appended = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .last()
        .map(str::trim);
    let parsed = appended.and_then(|a| {
        a.parse::<std::net::IpAddr>().ok().or_else(|| a.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
    });
    parsed.or(peer)
}

/// The request's id, for audit entries written off the request's thread.
fn request_id(req: &HttpRequest) -> Option<String> {
    use actix_web::HttpMessage;
    req.extensions().get::<tracing_actix_web::RequestId>().map(ToString::to_string)
}

/// Sign in with e-mail and password (and, for accounts that use it, a code from the
/// authenticator app); sets the session cookie.
#[utoipa::path(tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "Success", body = SessionInfo),
        (status = 401, description = "wrong credentials (`invalid_credentials`), a code needed (`two_factor_code_required`) or a wrong code (`invalid_code`)", body = ErrorBody),
        (status = 429, description = "too many attempts", body = ErrorBody)))]
#[post("/auth/login")]
pub(super) async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    body: ApiJson<LoginRequest>,
) -> Result<web::Json<SessionInfo>, AppError> {
    extract::refuse_cross_site(&req)?;
    let body = body.parse()?;
    let user = check_credentials(&state, &req, &body.email, body.password).await?;
    let user = finish_sign_in(&state, &req, user, body.code).await?;
    let csrf = extract::start_session(&session, &user)?;
    let view = state.run(move |c| Ok(users::view(c, &user)?)).await?;
    Ok(web::Json(SessionInfo { user: view, csrf_token: Some(csrf) }))
}
