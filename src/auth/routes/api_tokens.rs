//! API tokens over HTTP: one's own (listed, made, revoked), and, for administrators, anyone's
//! (listed and revoked; the staff pages use the same services): a token that may have leaked, or
//! whose owner left, is stopped here.

use actix_web::{HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::tokens::{self, ApiToken};
use crate::auth::{Auth, Permission, users};
use crate::error::{AppError, ErrorBody};
use crate::json::ApiJson;
use crate::state::AppState;

/// One's own API tokens (the secrets are never shown again).
#[utoipa::path(tag = "tokens", responses((status = 200, description = "Success", body = Vec<ApiToken>)))]
#[get("/tokens")]
pub(super) async fn list_tokens(
    state: web::Data<AppState>,
    auth: Auth,
) -> Result<web::Json<Vec<ApiToken>>, AppError> {
    auth.require(Permission::OwnAccount)?;
    let id = auth.user.id.clone();
    Ok(web::Json(state.run(move |c| Ok(tokens::list(c, Some(&id))?)).await?))
}

/// A new token's name and lifetime.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    /// Days until it expires (1 to 365; 90 when not given): no token works for ever.
    #[schema(minimum = 1, maximum = 365)]
    pub valid_days: Option<i64>,
}

/// A new token; `token` is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: ApiToken,
    pub token_secret: String,
}

/// Create an API token for oneself.
#[utoipa::path(tag = "tokens", request_body = NewToken,
    responses((status = 201, description = "Created", body = CreatedToken), (status = 422, description = "Validation failed; `field` names the culprit", body = ErrorBody)))]
#[post("/tokens")]
pub(super) async fn create_token(
    state: web::Data<AppState>,
    auth: Auth,
    body: ApiJson<NewToken>,
) -> Result<HttpResponse, AppError> {
    auth.require(Permission::OwnAccount)?;
    if auth.user.must_change_password {
        // A one-time password is someone else's knowledge: nothing lasting is made with it.
        return Err(AppError::forbidden(
            "password_change_required",
            "choose your own password first (POST /api/v1/auth/password)",
        ));
    }
    if auth.two_factor_missing() {
        // A token skips the second factor later, so it is made only by one who passed it.
        return Err(AppError::forbidden(
            "two_factor_required",
            "your role signs in with two factors: set up an authenticator app first (POST /api/v1/auth/two-factor)",
        ));
    }
    let body = body.parse()?;
    let name = token_name(&body.name, body.valid_days)?;
    let (ctx, id) = (auth.context(), auth.user.id.clone());
    let (token, token_secret) =
        state.write(move |c| Ok(tokens::create(c, &ctx, &id, &name, body.valid_days)?)).await?;
    Ok(HttpResponse::Created().json(CreatedToken { token, token_secret }))
}

/// A new token's name, trimmed, once it and its lifetime pass the rules (API and page alike).
pub fn token_name(raw: &str, valid_days: Option<i64>) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::validation("name", "must be 1 to 100 characters"));
    }
    if valid_days.is_some_and(|d| !(1..=365).contains(&d)) {
        return Err(AppError::validation("valid_days", "must be between 1 and 365"));
    }
    Ok(name.to_owned())
}

/// Revoke one of one's own API tokens.
#[utoipa::path(tag = "tokens", params(("id" = String, Path, description = "token id")),
    responses((status = 200, description = "Success", body = ApiToken), (status = 404, description = "Not found", body = ErrorBody)))]
#[delete("/tokens/{id}")]
pub(super) async fn revoke_token(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<ApiToken>, AppError> {
    auth.require(Permission::OwnAccount)?;
    let (ctx, owner, id) = (auth.context(), auth.user.id.clone(), path.into_inner());
    Ok(web::Json(state.write(move |c| Ok(tokens::revoke(c, &ctx, &id, Some(&owner))?)).await?))
}

/// A staff account's API tokens, oldest first (the secrets are never shown again).
#[utoipa::path(tag = "users", params(("id" = String, Path, description = "account id")),
    responses((status = 200, description = "Success", body = Vec<ApiToken>), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/users/{id}/tokens")]
pub(super) async fn list_user_tokens(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<Vec<ApiToken>>, AppError> {
    auth.require(Permission::ManageUsers)?;
    let id = path.into_inner();
    Ok(web::Json(
        state
            .run(move |c| {
                users::find(c, &id)?.ok_or_else(|| AppError::NotFound("user".into()))?;
                Ok(tokens::list(c, Some(&id))?)
            })
            .await?,
    ))
}

/// Revoke one of a staff account's API tokens (audited).
#[utoipa::path(tag = "users", params(("id" = String, Path, description = "account id"), ("token" = String, Path, description = "token id")),
    responses((status = 200, description = "Success", body = ApiToken), (status = 404, description = "Not found", body = ErrorBody)))]
#[delete("/users/{id}/tokens/{token}")]
pub(super) async fn revoke_user_token(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<web::Json<ApiToken>, AppError> {
    auth.require(Permission::ManageUsers)?;
    let (ctx, (owner, token)) = (auth.context(), path.into_inner());
    Ok(web::Json(state.write(move |c| Ok(tokens::revoke(c, &ctx, &token, Some(&owner))?)).await?))
}
