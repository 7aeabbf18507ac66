//! Who is calling: a session cookie (pages, browser API calls) or a bearer token (scripts).
//!
//! Cookie-authenticated writes to the API must carry the session's CSRF token in `X-CSRF-Token`
//! and must not come from another site (`Origin` / `Sec-Fetch-Site`); pages check the token in
//! their form. Bearer-token calls need neither: browsers never attach them on their own.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use chrono::{DateTime, Utc};
use subtle::ConstantTimeEq;
use tracing_actix_web::RequestId;

use super::users::{self, User};
use super::{Permission, Role, tokens};
use crate::audit::{Actor, Context};
use crate::error::AppError;
use crate::i18n::{Lang, Tr};
use crate::sites::Scope;
use crate::state::AppState;

/// Session keys.
pub const SESSION_USER: &str = "uid";
pub const SESSION_CSRF: &str = "csrf";
/// Sign-in time in milliseconds: compared with `sessions_valid_after`, which a password change,
/// role change or sign-out moves forward, so whole seconds would let a session survive them.
pub const SESSION_ISSUED: &str = "iat_ms";
pub const SESSION_SEEN: &str = "seen";
/// The account's page language (`i18n::Lang` code).
pub const SESSION_LANGUAGE: &str = "lang";
/// A sign-in whose password was right, waiting for its second step: the account and when
/// (milliseconds). Not a session: nothing but `/login/code` reads it.
pub const SESSION_PENDING_USER: &str = "pending_uid";
pub const SESSION_PENDING_AT: &str = "pending_ms";
/// How long the second step may take after the password.
const SECOND_STEP_MS: i64 = 5 * 60 * 1000;
/// The header browser clients send the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    Session { csrf: String },
    Token { token_id: String },
}

/// A signed-in staff member.
#[derive(Debug, Clone)]
pub struct Auth {
    pub user: User,
    /// The sites the caller reaches, read with the account on every request: a grant or a
    /// participant's transfer takes effect at once.
    pub scope: Scope,
    pub via: Via,
    pub request_id: Option<String>,
    /// The account signs in with an authenticator app's code as well as its password.
    pub two_factor_on: bool,
    /// The account's role must sign in with two factors (`Settings::two_factor_roles`).
    pub two_factor_required: bool,
}

impl Auth {
    /// The caller's role if it holds `permission`; a 403 naming the rule otherwise.
    /// The account's role must use two-factor sign-in and the account has not set it up: it may
    /// do nothing but that, and the rest of its own account.
    pub fn two_factor_missing(&self) -> bool {
        self.two_factor_required && !self.two_factor_on
    }

    pub fn require(&self, permission: Permission) -> Result<Role, AppError> {
        if self.user.must_change_password && permission != Permission::OwnAccount {
            return Err(AppError::forbidden(
                "password_change_required",
                "change your one-time password first (POST /api/v1/auth/password)",
            ));
        }
        if self.two_factor_missing() && permission != Permission::OwnAccount {
            return Err(AppError::forbidden(
                "two_factor_required",
                "your role signs in with two factors: set up an authenticator app first (POST /api/v1/auth/two-factor)",
            ));
        }
        let role = self.user.role();
        if permission.allows(role) {
            Ok(role)
        } else {
            Err(AppError::forbidden("forbidden", format!("the {role} role may not {}", permission.name())))
        }
    }

    /// Refuses a site-limited account: for what spans every site's participants at once and
    /// cannot be cut by site (the audit trail's hash chain).
    pub fn require_all_sites(&self, what: &str) -> Result<(), AppError> {
        if self.scope.is_limited() {
            return Err(AppError::forbidden(
                "all_sites_required",
                format!("{what} spans every site; your account is limited to some sites"),
            ));
        }
        Ok(())
    }

    /// The audit context for changes this caller makes.
    /// The account's page language.
    pub fn tr(&self) -> Tr {
        Tr::new(Lang::parse(&self.user.language).unwrap_or_default())
    }

    pub fn context(&self) -> Context {
        Context {
            actor: Actor::user(&self.user.id, self.user.role().as_str()),
            request_id: self.request_id.clone(),
        }
    }

    /// Checks a CSRF token submitted in a page form.
    pub fn check_form_csrf(&self, submitted: &str) -> Result<(), AppError> {
        match &self.via {
            Via::Session { csrf } if bool::from(csrf.as_bytes().ct_eq(submitted.as_bytes())) => Ok(()),
            Via::Session { .. } => {
                Err(AppError::forbidden("csrf", "the form is out of date; reload the page and try again"))
            }
            Via::Token { .. } => Ok(()),
        }
    }
}

impl FromRequest for Auth {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

async fn authenticate(req: &HttpRequest) -> Result<Auth, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?
        .clone();
    let request_id = req.extensions().get::<RequestId>().map(ToString::to_string);
    let roles = state.two_factor_roles.clone();
    if let Some(secret) = bearer(req) {
        let found = state
            .run(move |c| {
                let Some((token, user, on)) = tokens::authenticate(c, &secret)? else { return Ok(None) };
                let scope = user.scope(c)?;
                Ok(Some((token, user, scope, on)))
            })
            .await?;
        let (token, user, scope, two_factor_on) = found.ok_or(AppError::Unauthenticated)?;
        let via = Via::Token { token_id: token.id };
        let two_factor_required = roles.contains(&user.role());
        return Ok(Auth { user, scope, via, request_id, two_factor_on, two_factor_required });
    }
    let session = req.get_session();
    let user_id: String = session.get(SESSION_USER).ok().flatten().ok_or(AppError::Unauthenticated)?;
    let issued: i64 = session.get(SESSION_ISSUED).ok().flatten().unwrap_or(0);
    let seen: i64 = session.get(SESSION_SEEN).ok().flatten().unwrap_or(0);
    let csrf: String = session.get(SESSION_CSRF).ok().flatten().unwrap_or_default();
    let now = Utc::now().timestamp();
    let expired = Utc::now().timestamp_millis() - issued > state.session_max.as_millis() as i64
        || now - seen > state.session_idle.as_secs() as i64;
    if expired || csrf.is_empty() {
        session.purge();
        return Err(AppError::Unauthenticated);
    }
    let found = state
        .run(move |c| {
            let Some((user, on)) = users::find_signed_in(c, &user_id)? else { return Ok(None) };
            let scope = user.scope(c)?;
            Ok(Some((user, scope, on)))
        })
        .await?;
    let (user, scope, two_factor_on) = match found {
        Some((u, scope, on)) if !u.disabled && issued >= valid_after(&u) => (u, scope, on),
        _ => {
            session.purge();
            return Err(AppError::Unauthenticated);
        }
    };
    if !is_safe(req.method()) {
        // Every cookie-authenticated write is checked, page or API: pages check their form's
        // token themselves, API calls send it in a header.
        refuse_cross_site(req)?;
        if is_api(req) {
            check_api_csrf(req, &csrf)?;
        }
    }
    if now - seen > 60 {
        // Sliding idle expiry; rewriting the cookie on every request would be wasted work.
        let _ = session.insert(SESSION_SEEN, now);
    }
    let two_factor_required = roles.contains(&user.role());
    Ok(Auth { user, scope, via: Via::Session { csrf }, request_id, two_factor_on, two_factor_required })
}

fn valid_after(user: &User) -> i64 {
    DateTime::<Utc>::from_naive_utc_and_offset(user.sessions_valid_after, Utc).timestamp_millis()
}

/// Whether the request reached an API route. Judged by the route the router matched, never by the
/// raw path: the router matches the percent-decoded path, so `/%61pi/v1/...` reaches the API too.
fn is_api(req: &HttpRequest) -> bool {
    req.match_pattern().is_some_and(|pattern| pattern.starts_with("/api/"))
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses cross-site writes and writes without the session's CSRF token.
pub fn check_api_csrf(req: &HttpRequest, expected: &str) -> Result<(), AppError> {
    refuse_cross_site(req)?;
    let sent = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    if sent.is_empty() || !bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) {
        return Err(AppError::forbidden("csrf", "send the session's CSRF token in the X-CSRF-Token header"));
    }
    Ok(())
}

/// Refuses requests a browser marks as coming from another site.
pub fn refuse_cross_site(req: &HttpRequest) -> Result<(), AppError> {
    let fetch_site = req.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if fetch_site == Some("cross-site") {
        return Err(AppError::forbidden("cross_site", "requests from other sites are refused"));
    }
    if let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        // The host the browser addressed: the request's own `Host`, or, behind a proxy we were
        // told to trust, what it forwards (`connection_info` reads `X-Forwarded-Host` and
        // `Forwarded` whoever sent them).
        let trusted = req.app_data::<web::Data<AppState>>().is_some_and(|s| s.trust_proxy_headers);
        let host = if trusted {
            req.connection_info().host().to_owned()
        } else {
            req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default().to_owned()
        };
        let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
        // `null` is what a sandboxed frame or a data: page sends, and also what Chromium sends
        // for our own forms under `Referrer-Policy: no-referrer`: it passes only when the browser
        // itself vouches that the request is same-origin.
        let vouched = origin == "null" && fetch_site == Some("same-origin");
        if !vouched && origin_host != host {
            return Err(AppError::forbidden("cross_site", "requests from other sites are refused"));
        }
    }
    Ok(())
}

/// Starts a session for `user` after a successful sign-in; returns its CSRF token.
pub fn start_session(session: &Session, user: &User) -> Result<String, AppError> {
    let csrf = super::random_hex(32)?;
    let now = Utc::now().timestamp();
    // A new session id on sign-in prevents session fixation.
    session.renew();
    let insert = |k: &str, v: serde_json::Value| {
        session.insert(k, v).map_err(|e| AppError::Internal(anyhow::anyhow!("session: {e}")))
    };
    session.remove(SESSION_PENDING_USER);
    session.remove(SESSION_PENDING_AT);
    insert(SESSION_USER, user.id.clone().into())?;
    insert(SESSION_CSRF, csrf.clone().into())?;
    insert(SESSION_ISSUED, Utc::now().timestamp_millis().into())?;
    insert(SESSION_SEEN, now.into())?;
    remember_language(session, user)?;
    Ok(csrf)
}

/// Remembers a sign-in whose password was right until its second step (`/login/code`), in a new
/// cookie that signs nobody in.
pub fn begin_second_step(session: &Session, user: &User) -> Result<(), AppError> {
    session.clear();
    session.renew();
    let insert = |k: &str, v: serde_json::Value| {
        session.insert(k, v).map_err(|e| AppError::Internal(anyhow::anyhow!("session: {e}")))
    };
    insert(SESSION_PENDING_USER, user.id.clone().into())?;
    insert(SESSION_PENDING_AT, Utc::now().timestamp_millis().into())?;
    remember_language(session, user)
}

/// The account waiting for its second sign-in step, if the password was given lately enough.
pub fn pending_second_step(session: &Session) -> Option<String> {
    let at: i64 = session.get(SESSION_PENDING_AT).ok().flatten()?;
    if Utc::now().timestamp_millis() - at > SECOND_STEP_MS {
        return None;
    }
    session.get(SESSION_PENDING_USER).ok().flatten()
}

/// Keeps the account's page language in the session too, for the pages drawn where the account
/// is not loaded: the error pages and the sign-in page after the session ends.
pub fn remember_language(session: &Session, user: &User) -> Result<(), AppError> {
    session
        .insert(SESSION_LANGUAGE, user.language.clone())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("session: {e}")))
}

/// The page language kept in a request's session, if any.
pub fn session_language(session: &Session) -> Option<Lang> {
    session.get::<String>(SESSION_LANGUAGE).ok().flatten().and_then(|l| Lang::parse(&l))
}
