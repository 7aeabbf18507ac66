//! The outbox over HTTP (admins): what was sent, what is waiting, what failed and why.
// utoipa's `IntoParams` expansion for `web::Query` names the query type in full, outside the
// handler, where an item-level allow does not reach.
#![allow(unused_qualifications)]

use actix_web::{get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{Message, RecipientKind};
use crate::auth::{Auth, Permission};
use crate::error::AppError;
use crate::state::AppState;

/// Registers this module's API routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(list_outbox);
}

/// Filter for the outbox.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OutboxFilter {
    /// `pending`, `sent`, `failed` or `cancelled`.
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
    let (scope, me) = (auth.scope.clone(), auth.user.id.clone());
    Ok(web::Json(
        state
            .run(move |c| {
                let all = super::list(c, status.as_deref())?;
                let Some(visible) = scope.participant_ids(c)? else { return Ok(all) };
                // A site-limited admin sees messages to their sites' participants, and their own.
                Ok(all
                    .into_iter()
                    .filter(|m| match m.recipient_kind {
                        RecipientKind::Participant => visible.contains(&m.recipient_id),
                        RecipientKind::User => m.recipient_id == me,
                    })
                    .collect())
            })
            .await?,
    ))
}
