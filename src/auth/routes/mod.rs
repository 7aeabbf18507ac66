//! Sign-in, one's own account and tokens, and staff account management.

mod api_tokens;
mod sign_in;
mod two_factor;

pub use api_tokens::{CreatedToken, NewToken, token_name};
pub use sign_in::{LoginRequest, SessionInfo, check_credentials, finish_sign_in};
pub use two_factor::confirm_own;

use actix_session::Session;
use actix_web::{HttpResponse, get, patch, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{self, Auth, Via};
use super::users::{self, UserView};
use super::{Permission, Role};
use crate::audit;
use crate::error::{AppError, ErrorBody};
use crate::i18n::Lang;
use crate::json::ApiJson;
use crate::state::AppState;

/// Registers this module's API routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(sign_in::login)
        .service(logout)
        .service(me)
        .service(change_password)
        .service(two_factor::begin)
        .service(two_factor::confirm)
        .service(two_factor::renew_codes)
        .service(two_factor::disable)
        .service(change_language)
        .service(api_tokens::list_tokens)
        .service(api_tokens::create_token)
        .service(api_tokens::revoke_token)
        .service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user)
        .service(reset_password)
        .service(api_tokens::list_user_tokens)
        .service(api_tokens::revoke_user_token)
        .service(two_factor::reset);
}

/// Sign out: ends every session of the account (a copied cookie stops working too).
#[utoipa::path(tag = "auth", responses((status = 204, description = "signed out")))]
#[post("/auth/logout")]
async fn logout(state: web::Data<AppState>, auth: Auth, session: Session) -> Result<HttpResponse, AppError> {
    auth.require(Permission::OwnAccount)?;
    let (ctx, id) = (auth.context(), auth.user.id.clone());
    state.write(move |c| Ok(users::end_sessions(c, &ctx, &id)?)).await?;
    session.purge();
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in account.
#[utoipa::path(tag = "auth", responses((status = 200, description = "Success", body = SessionInfo), (status = 401, description = "Not signed in", body = ErrorBody)))]
#[get("/auth/me")]
async fn me(auth: Auth) -> Result<web::Json<SessionInfo>, AppError> {
    auth.require(Permission::OwnAccount)?;
    Ok(web::Json(SessionInfo {
        user: auth.user.view(&auth.scope, auth.two_factor_on),
        csrf_token: session_csrf(&auth.via),
    }))
}

/// The CSRF token a cookie session's writes need; none for a bearer token.
fn session_csrf(via: &Via) -> Option<String> {
    match via {
        Via::Session { csrf } => Some(csrf.clone()),
        Via::Token { .. } => None,
    }
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 12 characters.
    pub new_password: String,
}

/// Change one's own password (required after a one-time password). Ends other sessions.
#[utoipa::path(tag = "auth", request_body = PasswordChange,
    responses((status = 200, description = "Success", body = SessionInfo), (status = 403, description = "The role may not do this", body = ErrorBody), (status = 422, description = "Validation failed; `field` names the culprit", body = ErrorBody)))]
#[post("/auth/password")]
async fn change_password(
    state: web::Data<AppState>,
    auth: Auth,
    session: Session,
    body: ApiJson<PasswordChange>,
) -> Result<web::Json<SessionInfo>, AppError> {
    auth.require(Permission::OwnAccount)?;
    let body = body.parse()?;
    let user = change_own_password(&state, &auth, body.current_password, body.new_password).await?;
    let csrf_token = match auth.via {
        Via::Session { .. } => Some(extract::start_session(&session, &user)?),
        Via::Token { .. } => None,
    };
    Ok(web::Json(SessionInfo { user: user.view(&auth.scope, auth.two_factor_on), csrf_token }))
}

/// Changes the caller's own password (API and page alike). Problems come back as 422s naming
/// `new_password` or `current_password`; Argon2 runs on the blocking pool.
pub async fn change_own_password(
    state: &AppState,
    auth: &Auth,
    current: String,
    new: String,
) -> Result<users::User, AppError> {
    super::check_new_password(&new).map_err(|m| AppError::validation("new_password", m))?;
    if new == current {
        return Err(AppError::validation("new_password", "must differ from the current password"));
    }
    check_current_password(state, auth, current).await?;
    let hash = hash_password_off_thread(new).await?;
    let (ctx, id) = (auth.context(), auth.user.id.clone());
    state.write(move |c| Ok(users::set_password(c, &ctx, &id, hash, false, "changed by the user")?)).await
}

/// Checks the caller's own password again before a change that needs it (a new password, new
/// recovery codes, turning two-factor off): a 422 naming `current_password` when it is wrong.
pub async fn check_current_password(state: &AppState, auth: &Auth, current: String) -> Result<(), AppError> {
    // Guessing the current password through a stolen session is throttled as sign-in is.
    state.throttle.check(&format!("password change {}", auth.user.id), None)?;
    let stored = auth.user.password_hash.clone();
    if !web::block(move || super::verify_password(&current, &stored)).await? {
        return Err(AppError::validation("current_password", "is wrong"));
    }
    Ok(())
}

/// The language of one's own pages.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LanguageChoice {
    /// `en` or `es`.
    #[schema(pattern = r"^(en|es)$")]
    pub language: String,
}

/// Choose the language of one's own staff pages.
#[utoipa::path(tag = "auth", request_body = LanguageChoice,
    responses((status = 200, description = "Success", body = SessionInfo), (status = 422, description = "Validation failed; `field` names the culprit", body = ErrorBody)))]
#[put("/auth/language")]
async fn change_language(
    state: web::Data<AppState>,
    auth: Auth,
    session: Session,
    body: ApiJson<LanguageChoice>,
) -> Result<web::Json<SessionInfo>, AppError> {
    auth.require(Permission::OwnAccount)?;
    let lang = parse_language(&body.parse()?.language)?;
    let user = set_own_language(&state, &auth, lang).await?;
    let csrf_token = session_csrf(&auth.via);
    if csrf_token.is_some() {
        extract::remember_language(&session, &user)?;
    }
    Ok(web::Json(SessionInfo { user: user.view(&auth.scope, auth.two_factor_on), csrf_token }))
}

/// Sets the caller's own page language (API and page alike), audited like any account change.
pub async fn set_own_language(state: &AppState, auth: &Auth, lang: Lang) -> Result<users::User, AppError> {
    let (ctx, id) = (auth.context(), auth.user.id.clone());
    let update = users::Update { language: Some(lang), ..users::Update::default() };
    state.write(move |c| Ok(users::update(c, &ctx, &id, &update, "chose the language of their pages")?)).await
}

/// Every staff account.
#[utoipa::path(tag = "users", responses((status = 200, description = "Success", body = Vec<UserView>), (status = 403, description = "The role may not do this", body = ErrorBody)))]
#[get("/users")]
async fn list_users(state: web::Data<AppState>, auth: Auth) -> Result<web::Json<Vec<UserView>>, AppError> {
    auth.require(Permission::ManageUsers)?;
    let views = state
        .run(|c| Ok(users::list(c)?.iter().map(|u| users::view(c, u)).collect::<Result<_, _>>()?))
        .await?;
    Ok(web::Json(views))
}

/// A new staff account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(max_length = 254, pattern = r"^[^\s@]+@[^\s@.][^\s@]*\.[^\s@]*[^\s@.]$")]
    pub email: String,
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub display_name: String,
    pub role: Role,
    /// The sites the account may use; an empty list gives it none. Give this or `all_sites`
    /// once the study has more than one site.
    pub sites: Option<Vec<String>>,
    /// Every site, present and future.
    pub all_sites: Option<bool>,
}

/// The new account and its one-time password, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUser {
    pub user: UserView,
    pub one_time_password: String,
}

/// Create a staff account with a one-time password.
#[utoipa::path(tag = "users", request_body = NewUser,
    responses((status = 201, description = "Created", body = CreatedUser), (status = 409, description = "Conflicts with the current state", body = ErrorBody), (status = 422, description = "Validation failed; `field` names the culprit", body = ErrorBody)))]
#[post("/users")]
async fn create_user(
    state: web::Data<AppState>,
    auth: Auth,
    body: ApiJson<NewUser>,
) -> Result<HttpResponse, AppError> {
    auth.require(Permission::ManageUsers)?;
    let body = body.parse()?;
    let email = users::parse_email(&body.email)?;
    let name = body.display_name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::validation("display_name", "must be 1 to 200 characters"));
    }
    let password = super::one_time_password()?;
    let hash = hash_password_off_thread(password.clone()).await?;
    let access = users::requested_access(body.all_sites, body.sites)?;
    let ctx = auth.context();
    let view = state
        .write(move |c| {
            let access = match access {
                Some(access) => access,
                None => users::default_access(c)?,
            };
            let user = users::create(c, &ctx, &email, &name, body.role, hash, &access)?;
            Ok(users::view(c, &user)?)
        })
        .await?;
    Ok(HttpResponse::Created().json(CreatedUser { user: view, one_time_password: password }))
}

/// One staff account.
#[utoipa::path(tag = "users", params(("id" = String, Path, description = "user id")),
    responses((status = 200, description = "Success", body = UserView), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/users/{id}")]
async fn get_user(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<UserView>, AppError> {
    auth.require(Permission::ManageUsers)?;
    let id = path.into_inner();
    let view = state.run(move |c| Ok(users::find(c, &id)?.map(|u| users::view(c, &u)).transpose()?)).await?;
    view.map(web::Json).ok_or_else(|| AppError::NotFound("user".into()))
}

/// A change to an account: role, disabled, display name, with the reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub display_name: Option<String>,
    /// Replaces the sites the account may use (an empty list: none).
    pub sites: Option<Vec<String>>,
    /// `true`: every site, present and future.
    pub all_sites: Option<bool>,
    /// The language of the account's pages: `en` or `es`.
    #[schema(pattern = r"^(en|es)$")]
    pub language: Option<String>,
    /// Why the change is made (kept in the audit trail).
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
}

/// Change a staff account's role or status; ends its sessions when role or status change.
#[utoipa::path(tag = "users", params(("id" = String, Path, description = "user id")), request_body = UserChange,
    responses((status = 200, description = "Success", body = UserView), (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "Validation failed; `field` names the culprit", body = ErrorBody)))]
#[patch("/users/{id}")]
async fn update_user(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<UserChange>,
) -> Result<web::Json<UserView>, AppError> {
    auth.require(Permission::ManageUsers)?;
    let body = body.parse()?;
    let reason = required_reason(&body.reason)?;
    if body.display_name.as_ref().is_some_and(|n| n.trim().is_empty() || n.chars().count() > 200) {
        return Err(AppError::validation("display_name", "must be 1 to 200 characters"));
    }
    let update = users::Update {
        role: body.role,
        disabled: body.disabled,
        display_name: body.display_name.map(|n| n.trim().to_owned()),
        sites: users::requested_access(body.all_sites, body.sites)?,
        language: body.language.as_deref().map(parse_language).transpose()?,
    };
    let (ctx, id) = (auth.context(), path.into_inner());
    let view = state
        .write(move |c| {
            let user = users::update(c, &ctx, &id, &update, &reason)?;
            Ok(users::view(c, &user)?)
        })
        .await?;
    Ok(web::Json(view))
}

/// Why a password is reset.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
}

/// Issue a new one-time password for an account; ends its sessions.
#[utoipa::path(tag = "users", params(("id" = String, Path, description = "user id")), request_body = Reason,
    responses((status = 200, description = "Success", body = CreatedUser), (status = 404, description = "Not found", body = ErrorBody)))]
#[post("/users/{id}/password-reset")]
async fn reset_password(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<Reason>,
) -> Result<web::Json<CreatedUser>, AppError> {
    auth.require(Permission::ManageUsers)?;
    let reason = required_reason(&body.parse()?.reason)?;
    let password = super::one_time_password()?;
    let hash = hash_password_off_thread(password.clone()).await?;
    let (ctx, id) = (auth.context(), path.into_inner());
    let view = state
        .write(move |c| {
            let user = users::set_password(c, &ctx, &id, hash, true, &reason)?;
            Ok(users::view(c, &user)?)
        })
        .await?;
    Ok(web::Json(CreatedUser { user: view, one_time_password: password }))
}

/// A page language an account may choose.
pub fn parse_language(raw: &str) -> Result<Lang, AppError> {
    Lang::parse(raw.trim()).ok_or_else(|| AppError::validation("language", "must be `en` or `es`"))
}

/// A reason for a change: required, trimmed, at most 1000 characters.
pub fn required_reason(raw: &str) -> Result<String, AppError> {
    Ok(audit::reason(raw)?)
}

/// `hash_password` on the blocking pool: Argon2 must not stall the async executor.
pub async fn hash_password_off_thread(password: String) -> Result<String, AppError> {
    Ok(web::block(move || super::hash_password(&password)).await??)
}
