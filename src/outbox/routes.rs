//! The outbox over HTTP (admins): what was sent, what is waiting, what failed and why; a failed
//! message sent again.
// utoipa's `IntoParams` expansion for `web::Query` names the query type in full, outside the
// handler, where an item-level allow does not reach.
#![allow(unused_qualifications)]

use actix_web::{get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::Message;
use crate::auth::{Auth, Permission};
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;

/// Registers this module's API routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(list_outbox).service(retry);
}

/// Filter for the outbox.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OutboxFilter {
    /// `pending`, `sent`, `failed` or `cancelled`.
    #[param(pattern = r"^(pending|sent|failed|cancelled)$")]
    pub status: Option<String>,
}

/// Outgoing messages, newest first (recipients by id; no addresses or texts are stored).
#[utoipa::path(tag = "outbox", params(OutboxFilter), responses((status = 200, description = "Success", body = Vec<Message>)))]
#[get("/outbox")]
async fn list_outbox(
    state: web::Data<AppState>,
    auth: Auth,
    filter: web::Query<OutboxFilter>,
) -> Result<web::Json<Vec<Message>>, AppError> {
    auth.require(Permission::ReadOutbox)?;
    let status = filter.into_inner().status;
    if let Some(s) = &status
        && super::Status::parse(s).is_none()
    {
        return Err(AppError::validation("status", "must be pending, sent, failed or cancelled"));
    }
    let (scope, me) = (auth.scope.clone(), auth.user.id.clone());
    Ok(web::Json(state.run(move |c| Ok(super::list_visible(c, &scope, &me, status.as_deref())?)).await?))
}

/// Send a failed message again (audited): it goes back to pending, due now, with its attempts
/// counted afresh. A cancelled or pending message is refused.
#[utoipa::path(tag = "outbox", params(("id" = String, Path, description = "message id")),
    responses((status = 200, description = "Success", body = Message), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Conflicts with the current state", body = ErrorBody)))]
#[post("/outbox/{id}/retry")]
async fn retry(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<Message>, AppError> {
    auth.require(Permission::RetryMessages)?;
    let (ctx, scope, id) = (auth.context(), auth.scope.clone(), path.into_inner());
    Ok(web::Json(state.write(move |c| Ok(super::retry(c, &ctx, &scope, &id)?)).await?))
}
