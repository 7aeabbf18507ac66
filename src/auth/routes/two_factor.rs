//! Two-factor sign-in over the API: one's own set-up, recovery codes and turning it off, and an
//! admin's reset of someone else's (`auth::two_factor` holds the rules).

use actix_session::Session;
use actix_web::{HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Reason, required_reason};
use crate::auth::extract::{self, Via};
use crate::auth::{Auth, Permission, two_factor};
use crate::error::{AppError, ErrorBody};
use crate::json::ApiJson;
use crate::state::AppState;

/// A secret for an authenticator app, waiting for a code from it (`POST
/// /api/v1/auth/two-factor/confirm`) before it is in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorSetup {
    /// The secret in base32, to type into the app by hand.
    pub secret: String,
    /// The `otpauth://totp/…` address a QR code carries, for the app to scan.
    pub otpauth_uri: String,
}

/// A code from the authenticator app.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeConfirmation {
    /// The 6-digit code the app shows now.
    #[schema(min_length = 1, max_length = 64)]
    pub code: String,
}

/// One's own password again, for a change that weakens or replaces the second factor.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordConfirmation {
    pub current_password: String,
}

/// Single-use codes for signing in without the app (a lost or broken phone).
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Shown this once and stored only as hashes: print them, or keep them in a password manager.
    pub recovery_codes: Vec<String>,
    /// Turning two-step sign-in on ends every session begun before it; a caller signed in with
    /// the session cookie gets a new session, and this is its CSRF token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
}

/// Refuses set-up to an account still on a one-time password: that password is someone else's
/// knowledge, and two-factor would then lock its owner out of their own account.
fn own_password_first(auth: &Auth) -> Result<(), AppError> {
    auth.require(Permission::OwnAccount)?;
    if auth.user.must_change_password {
        return Err(AppError::forbidden(
            "password_change_required",
            "choose your own password first (POST /api/v1/auth/password)",
        ));
    }
    Ok(())
}

/// Start two-factor set-up: a new secret for an authenticator app, in force once confirmed.
#[utoipa::path(tag = "auth",
    responses((status = 201, description = "Created", body = TwoFactorSetup),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "A one-time password must be changed first", body = ErrorBody),
        (status = 409, description = "Two-factor is on already (`two_factor_enabled`)", body = ErrorBody)))]
#[post("/auth/two-factor")]
pub(super) async fn begin(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, AppError> {
    own_password_first(&auth)?;
    let (ctx, id, email) = (auth.context(), auth.user.id.clone(), auth.user.email.clone());
    let setup = state.write(move |c| Ok(two_factor::begin(c, &ctx, &id, &email)?)).await?;
    Ok(HttpResponse::Created().json(TwoFactorSetup { secret: setup.secret, otpauth_uri: setup.uri }))
}

/// Confirm set-up with a code from the app: two-factor is on, and the answer carries the
/// account's recovery codes, shown this once.
#[utoipa::path(tag = "auth", request_body = CodeConfirmation,
    responses((status = 200, description = "Success", body = RecoveryCodes),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "A one-time password must be changed first", body = ErrorBody),
        (status = 409, description = "No set-up was started (`two_factor_not_started`)", body = ErrorBody),
        (status = 422, description = "The code is not the app's current one; `field` is `code`", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody)))]
#[post("/auth/two-factor/confirm")]
pub(super) async fn confirm(
    state: web::Data<AppState>,
    auth: Auth,
    session: Session,
    body: ApiJson<CodeConfirmation>,
) -> Result<web::Json<RecoveryCodes>, AppError> {
    own_password_first(&auth)?;
    let recovery_codes = confirm_own(&state, &auth, body.parse()?.code).await?;
    let csrf_token = match auth.via {
        Via::Session { .. } => Some(extract::start_session(&session, &auth.user)?),
        Via::Token { .. } => None,
    };
    Ok(web::Json(RecoveryCodes { recovery_codes, csrf_token }))
}

/// Confirms the caller's own set-up with `code` (API and page alike): its recovery codes, or a
/// 422 naming `code`, 409 when no set-up waits, 429 when guessed too often.
pub async fn confirm_own(state: &AppState, auth: &Auth, code: String) -> Result<Vec<String>, AppError> {
    let (ctx, id, email) = (auth.context(), auth.user.id.clone(), auth.user.email.clone());
    // Guessing codes through a stolen session is throttled as sign-in is.
    state.throttle.check(&format!("second factor {id}"), None)?;
    let now = two_factor::unix_now();
    state.write(move |c| Ok(two_factor::confirm(c, &ctx, (&id, &email), &code, now)?)).await
}

/// New recovery codes (the old ones stop working), after the password again.
#[utoipa::path(tag = "auth", request_body = PasswordConfirmation,
    responses((status = 200, description = "Success", body = RecoveryCodes),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 409, description = "Two-factor is not on (`two_factor_off`)", body = ErrorBody),
        (status = 422, description = "The password is wrong; `field` is `current_password`", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody)))]
#[post("/auth/two-factor/recovery-codes")]
pub(super) async fn renew_codes(
    state: web::Data<AppState>,
    auth: Auth,
    body: ApiJson<PasswordConfirmation>,
) -> Result<web::Json<RecoveryCodes>, AppError> {
    auth.require(Permission::OwnAccount)?;
    super::check_current_password(&state, &auth, body.parse()?.current_password).await?;
    let (ctx, id) = (auth.context(), auth.user.id.clone());
    let recovery_codes = state.write(move |c| Ok(two_factor::renew_recovery_codes(c, &ctx, &id)?)).await?;
    Ok(web::Json(RecoveryCodes { recovery_codes, csrf_token: None }))
}

/// Turn one's own two-factor sign-in off, after the password again (to move to another app, set
/// it up again after). A role that requires it can then do nothing else until it is set up again.
#[utoipa::path(tag = "auth", request_body = PasswordConfirmation,
    responses((status = 204, description = "Turned off"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 409, description = "Two-factor is not on (`two_factor_off`)", body = ErrorBody),
        (status = 422, description = "The password is wrong; `field` is `current_password`", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody)))]
#[post("/auth/two-factor/disable")]
pub(super) async fn disable(
    state: web::Data<AppState>,
    auth: Auth,
    body: ApiJson<PasswordConfirmation>,
) -> Result<HttpResponse, AppError> {
    auth.require(Permission::OwnAccount)?;
    super::check_current_password(&state, &auth, body.parse()?.current_password).await?;
    let (ctx, id) = (auth.context(), auth.user.id.clone());
    state.write(move |c| Ok(two_factor::turn_off(c, &ctx, &id, None)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Reset another account's two-factor sign-in (its owner lost their phone and their recovery
/// codes): the secret and codes are forgotten and its sessions end; it sets up again at its next
/// sign-in. The reason goes into the audit trail.
#[utoipa::path(tag = "users", params(("id" = String, Path, description = "user id")), request_body = Reason,
    responses((status = 204, description = "Reset"),
        (status = 403, description = "The role may not do this", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "The account does not use two-factor (`two_factor_off`)", body = ErrorBody),
        (status = 422, description = "Validation failed; `field` names the culprit", body = ErrorBody)))]
#[post("/users/{id}/two-factor/reset")]
pub(super) async fn reset(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<Reason>,
) -> Result<HttpResponse, AppError> {
    auth.require(Permission::ManageUsers)?;
    let reason = required_reason(&body.parse()?.reason)?;
    let (ctx, id) = (auth.context(), path.into_inner());
    state.write(move |c| Ok(two_factor::reset(c, &ctx, &id, &reason)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}
