//! One's own API tokens on the account page: made there (the secret shown once, never again)
//! and revoked there, through the same services and rules as `/api/v1/tokens`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};
use serde::Deserialize;

use super::account::AccountPage;
use super::page::{study_time, with_status};
use super::{RespondHtml, redirect, signed_in};
use crate::auth::routes::token_name;
use crate::auth::{Auth, Permission, tokens};
use crate::error::AppError;
use crate::state::AppState;

/// A token as the account page lists it.
pub(super) struct TokenRow {
    pub id: String,
    pub name: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    /// Revoked or expired: shown for the record, with nothing to do.
    pub ended: Option<String>,
}

/// An account's tokens, newest first, times in the study's zone (the reader's own on the account
/// page; anyone's on an administrator's page for that account).
pub(super) async fn rows(
    state: &AppState,
    id: String,
    tr: crate::i18n::Tr,
) -> Result<Vec<TokenRow>, AppError> {
    let (mut list, protocol) = state
        .run(move |c| Ok((tokens::list(c, Some(&id))?, crate::protocol::store::current_parsed(c)?.0)))
        .await?;
    list.sort_by_key(|t| std::cmp::Reverse(t.created_at));
    let (tz, now) = (protocol.time_zone(), crate::db::now());
    let at = |t| study_time(tz, t);
    Ok(list
        .into_iter()
        .map(|t| TokenRow {
            ended: match (t.revoked_at, t.expires_at) {
                (Some(r), _) => Some(tr.a("account-token-revoked-on", "when", at(r))),
                (None, Some(e)) if e <= now => Some(tr.t("account-token-expired")),
                _ => None,
            },
            id: t.id,
            name: t.name,
            created: at(t.created_at),
            expires: t.expires_at.map_or_else(|| tr.t("account-token-never"), at),
            last_used: t.last_used_at.map_or_else(|| tr.t("account-token-unused"), at),
        })
        .collect())
}

/// The token form's fields.
#[derive(Debug, Deserialize)]
struct TokenForm {
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    valid_days: String,
}

#[post("/account/tokens")]
pub(super) async fn token_made(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, AppError> {
    let Some(auth) = signed_in(auth)? else { return Ok(redirect("/login")) };
    auth.check_form_csrf(&form.csrf_token)?;
    auth.require(Permission::OwnAccount)?;
    if auth.user.must_change_password {
        return Ok(redirect("/account/password"));
    }
    if auth.two_factor_missing() {
        return Ok(redirect("/account/two-factor"));
    }
    let tr = auth.tr();
    let TokenForm { name, valid_days, .. } = form.into_inner();
    let days = match valid_days.trim() {
        "" => Ok(None),
        d => d.parse::<i64>().map(Some).map_err(|_| AppError::validation("valid_days", "a whole number")),
    };
    let checked = days.and_then(|days| Ok((token_name(&name, days)?, days)));
    let (clean, days) = match checked {
        Ok(ok) => ok,
        Err(AppError::Validation { field, .. }) => {
            let key =
                if field == "name" { "account-token-problem-name" } else { "account-token-problem-days" };
            let mut page = AccountPage::load(&state, &auth, None, None).await?;
            page.token_problem = Some((field, tr.t(key)));
            page.typed_token = (name, valid_days);
            return Ok(with_status(page.respond_to_html(), StatusCode::UNPROCESSABLE_ENTITY));
        }
        Err(e) => return Err(e),
    };
    let (ctx, id) = (auth.context(), auth.user.id.clone());
    let (_, secret) = state.write(move |c| Ok(tokens::create(c, &ctx, &id, &clean, days)?)).await?;
    // Shown on this answer only, not behind a redirect: the secret must not sit in a URL.
    let mut page = AccountPage::load(&state, &auth, None, None).await?;
    page.new_token = Some(secret);
    Ok(page.respond_to_html())
}

/// A form that carries only the CSRF token.
#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf_token: String,
}

#[post("/account/tokens/{id}/revoke")]
pub(super) async fn token_revoked(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    let Some(auth) = signed_in(auth)? else { return Ok(redirect("/login")) };
    auth.check_form_csrf(&form.csrf_token)?;
    auth.require(Permission::OwnAccount)?;
    let (ctx, owner, id) = (auth.context(), auth.user.id.clone(), path.into_inner());
    // Someone else's token is not found, exactly as a missing one.
    state.write(move |c| Ok(tokens::revoke(c, &ctx, &id, Some(&owner))?)).await?;
    Ok(redirect("/account?done=token-revoked#tokens-h"))
}
