//! Changing a group and taking a member out of one, over HTTP.

use actix_web::{HttpResponse, patch, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::view;
use crate::auth::routes::required_reason;
use crate::auth::{Auth, Permission};
use crate::error::{AppError, ErrorBody};
use crate::groups::GroupView;
use crate::groups::edit::{self, GroupChange};
use crate::json::ApiJson;
use crate::protocol::store;
use crate::state::AppState;

/// Change a group (reason required, audited old → new). Language and affinity are fixed once it
/// has members, the weekly schedule once it has launched; a new moderator gets the rosters to come.
#[utoipa::path(tag = "groups", params(("id" = String, Path, description = "group id")), request_body = GroupChange,
    responses((status = 200, description = "Changed", body = GroupView), (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "Not while it has members, or after launch", body = ErrorBody),
        (status = 422, description = "Validation failed; `field` names the culprit", body = ErrorBody)))]
#[patch("/groups/{id}")]
pub async fn update_group(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<GroupChange>,
) -> Result<web::Json<GroupView>, AppError> {
    let role = auth.require(Permission::ManageGroups)?;
    let mut change = body.parse()?;
    change.reason = required_reason(&change.reason)?;
    let (ctx, id) = (auth.context(), path.into_inner());
    Ok(web::Json(
        state
            .write(move |c| {
                let (protocol, _) = store::current_parsed(c)?;
                let g = edit::update(c, &ctx, &protocol, &id, &change)?;
                let seen = crate::groups::seen_by(c, &auth.scope, role)?;
                view(c, &g, seen.as_ref())
            })
            .await?,
    ))
}

/// Why a member leaves their group.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemovalRequest {
    // Absent reads as empty, which the service refuses naming the field (422), as it refuses a
    // blank one; the document still says the field is required.
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
}

/// Take a participant out of their group (reason required, audited): they wait in the queue again.
#[utoipa::path(tag = "groups", params(("id" = String, Path, description = "participant id or study id")), request_body = RemovalRequest,
    responses((status = 204, description = "Removed"), (status = 409, description = "Not in a group, or the group has completed", body = ErrorBody)))]
#[post("/participants/{id}/group-removal")]
pub async fn remove_member(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<RemovalRequest>,
) -> Result<HttpResponse, AppError> {
    auth.require(Permission::ManageGroups)?;
    let raw = body.parse()?.reason;
    let (ctx, id, scope) = (auth.context(), path.into_inner(), auth.scope.clone());
    state
        .write(move |c| {
            // Another site's participant is not found, before anything about the request is said.
            scope.participant(c, &id)?;
            let reason = required_reason(&raw)?;
            Ok(edit::remove_member(c, &ctx, &id, &reason)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
