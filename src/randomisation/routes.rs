//! Randomisation, emergency unblinding and admin notices over HTTP.

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Notice;
use crate::auth::routes::required_reason;
use crate::auth::{Auth, Permission};
use crate::blinding::{ArmView, Sight};
use crate::error::{AppError, ErrorBody};
use crate::json::ApiJson;
use crate::state::AppState;

/// Registers this module's API routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(randomise).service(unblind).service(notices);
}

/// The allocation just made. Nothing here hints at the next one.
#[derive(Debug, Serialize, ToSchema)]
pub struct Randomised {
    pub participant_id: String,
    pub study_id: String,
    /// The arm (roles that randomise are never blinded, so it is always present).
    pub arm: Option<ArmView>,
    #[serde(serialize_with = "crate::json::utc")]
    pub randomised_at: NaiveDateTime,
}

/// Randomise a participant: once only, and only when eligible, consented and not withdrawn.
#[utoipa::path(tag = "randomisation", params(("id" = String, Path, description = "participant id or study id")),
    responses((status = 201, description = "Allocated", body = Randomised),
        (status = 409, description = "Not allowed now; `code` says why: already_randomised, not_consented, reconsent_required, not_eligible, withdrawn", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody)))]
#[post("/participants/{id}/randomisation")]
async fn randomise(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let role = auth.require(Permission::Randomise)?;
    let (ctx, id, key, scope) =
        (auth.context(), path.into_inner(), state.study_key.clone(), auth.scope.clone());
    let (allocation, participant, protocol) = state
        .write(move |c| {
            // A scope of every site sees every participant, and `randomise` answers one that does
            // not exist as the scope would: no query for it in the writer's batch.
            if scope.is_limited() {
                scope.participant(c, &id)?;
            }
            Ok(super::randomise(c, &ctx, &key, &id)?)
        })
        .await?;
    Ok(HttpResponse::Created().json(Randomised {
        arm: Sight::of(&protocol, role).arm(&protocol, &allocation.arm_id),
        participant_id: allocation.participant_id,
        study_id: participant.study_id,
        randomised_at: allocation.allocated_at,
    }))
}

/// Why a participant must be unblinded now.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnblindRequest {
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
}

/// The unblinded arm, shown to the person who asked, this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct Unblinded {
    pub study_id: String,
    pub arm: ArmView,
}

/// Emergency unblinding of one participant, for the clinician a blinded protocol keeps from the
/// arms (or an admin): reason required, audited, every admin and unblinded statistician told.
/// The arm is in this response only; the participant's record marks that this person knows it.
#[utoipa::path(tag = "randomisation", params(("id" = String, Path, description = "participant id or study id")), request_body = UnblindRequest,
    responses((status = 200, description = "Success", body = Unblinded), (status = 409, description = "Not randomised", body = ErrorBody)))]
#[post("/participants/{id}/unblinding")]
async fn unblind(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<UnblindRequest>,
) -> Result<web::Json<Unblinded>, AppError> {
    auth.require(Permission::Unblind)?;
    let reason = required_reason(&body.parse()?.reason)?;
    let (ctx, id, scope) = (auth.context(), path.into_inner(), auth.scope.clone());
    let (p, arm, protocol) = state
        .write(move |c| {
            let (p, arm) = super::unblind(c, &ctx, &scope, &id, &reason)?;
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            Ok((p, arm, protocol))
        })
        .await?;
    Ok(web::Json(Unblinded { study_id: p.study_id, arm: ArmView::unblinded(&protocol, &arm) }))
}

/// Notices for admins (emergency unblindings), newest first.
#[utoipa::path(tag = "randomisation", responses((status = 200, description = "Success", body = Vec<Notice>)))]
#[get("/notices")]
async fn notices(state: web::Data<AppState>, auth: Auth) -> Result<web::Json<Vec<Notice>>, AppError> {
    auth.require(Permission::ReadNotices)?;
    let scope = auth.scope.clone();
    Ok(web::Json(state.run(move |c| Ok(super::list_notices(c, &scope)?)).await?))
}
