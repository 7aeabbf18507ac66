//! Changes to what is recorded, over HTTP: contact attempts, corrections of contact details,
//! demographics and strata, and of a screening entered wrongly. Each with a reason in the audit
//! trail, through the same services as the pages.

use actix_web::{HttpResponse, get, post, put, web};
use chrono::NaiveDateTime;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::audit::Context;
use crate::auth::{Auth, Permission};
use crate::db;
use crate::db::DbConn;
use crate::enrolment::details::{self, ContactChange, DetailsChange};
use crate::enrolment::participants::{self, Participant, ParticipantView};
use crate::enrolment::screening::{self, ScreeningView};
use crate::error::{AppError, ErrorBody};
use crate::json::ApiJson;
use crate::service_error::ServiceError;
use crate::sites::Scope;
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(record_attempt)
        .service(list_attempts)
        .service(change_contact)
        .service(change_details)
        .service(correct_screening)
        .service(void_consent);
}

/// A contact attempt to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttemptRequest {
    /// When (`2027-03-16T15:00:00Z`, or with another offset); now if omitted.
    #[serde(default, deserialize_with = "crate::json::utc_in_opt")]
    pub attempted_at: Option<NaiveDateTime>,
    pub channel: crate::enrolment::attempts::Channel,
    pub outcome: crate::enrolment::attempts::AttemptOutcome,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// Record a contact attempt (a call, a text, an e-mail) on the participant's timeline.
#[utoipa::path(tag = "participants", params(("id" = String, Path, description = "participant id or study id")), request_body = AttemptRequest,
    responses((status = 201, description = "Recorded", body = crate::enrolment::attempts::Attempt), (status = 404, description = "Not found", body = ErrorBody),
        (status = 422, description = "Validation failed; `field` names the culprit", body = ErrorBody)))]
#[post("/participants/{id}/contact-attempts")]
async fn record_attempt(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<AttemptRequest>,
) -> Result<HttpResponse, AppError> {
    auth.require(Permission::Enrol)?;
    let body = body.parse()?;
    let (ctx, scope, id) = (auth.context(), auth.scope.clone(), path.into_inner());
    let new = crate::enrolment::attempts::NewAttempt {
        attempted_at: body.attempted_at.unwrap_or_else(db::now),
        channel: body.channel,
        outcome: body.outcome,
        note: body.note,
    };
    let row =
        state.write(move |c| Ok(crate::enrolment::attempts::record(c, &ctx, &scope, &id, new)?)).await?;
    Ok(HttpResponse::Created().json(row))
}

/// A participant's contact attempts, newest first (notes may identify: contact readers only).
#[utoipa::path(tag = "participants", params(("id" = String, Path, description = "participant id or study id")),
    responses((status = 200, description = "Success", body = Vec<crate::enrolment::attempts::Attempt>), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/participants/{id}/contact-attempts")]
async fn list_attempts(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<Vec<crate::enrolment::attempts::Attempt>>, AppError> {
    auth.require(Permission::ReadContacts)?;
    let (scope, id) = (auth.scope.clone(), path.into_inner());
    let rows = state
        .run(move |c| {
            let p = participants::find_or_404(c, &scope, &id)?;
            Ok(crate::enrolment::attempts::list_for(c, &p.id)?)
        })
        .await?;
    Ok(web::Json(rows))
}

/// Correct a participant's contact details, with a reason (audited without the values).
#[utoipa::path(tag = "participants", params(("id" = String, Path, description = "participant id or study id")), request_body = ContactChange,
    responses((status = 200, description = "Changed", body = ParticipantView), (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "The e-mail or phone belongs to another participant (`duplicate_person`)", body = ErrorBody),
        (status = 422, description = "Validation failed; `field` names the culprit", body = ErrorBody)))]
#[put("/participants/{id}/contact")]
async fn change_contact(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<ContactChange>,
) -> Result<web::Json<ParticipantView>, AppError> {
    // The role first: a body is judged only for callers who may send it.
    let role = auth.require(Permission::Enrol)?;
    let body = body.parse()?;
    changed(&state, &auth, role, path.into_inner(), move |c, ctx, scope, id| {
        details::change_contact(c, ctx, scope, id, &body)
    })
    .await
}

/// Correct a participant's demographics, language and strata, with a reason; strata are frozen
/// once randomised.
#[utoipa::path(tag = "participants", params(("id" = String, Path, description = "participant id or study id")), request_body = DetailsChange,
    responses((status = 200, description = "Changed", body = ParticipantView), (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "Strata changed after randomisation (`strata_frozen`)", body = ErrorBody),
        (status = 422, description = "Validation failed; `field` names the culprit", body = ErrorBody)))]
#[put("/participants/{id}/details")]
async fn change_details(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<DetailsChange>,
) -> Result<web::Json<ParticipantView>, AppError> {
    // The role first: a body is judged only for callers who may send it.
    let role = auth.require(Permission::Enrol)?;
    let body = body.parse()?;
    changed(&state, &auth, role, path.into_inner(), move |c, ctx, scope, id| {
        details::change_details(c, ctx, scope, id, &body)
    })
    .await
}

/// A correction of participant `id` by `change` (a `details` service), answered with the
/// participant as the caller's role may see them.
async fn changed<F>(
    state: &AppState,
    auth: &Auth,
    role: crate::auth::Role,
    id: String,
    change: F,
) -> Result<web::Json<ParticipantView>, AppError>
where
    F: FnOnce(&mut DbConn, &Context, &Scope, &str) -> Result<Participant, ServiceError> + Send + 'static,
{
    let (ctx, scope) = (auth.context(), auth.scope.clone());
    let view = state
        .write(move |c| {
            let p = change(c, &ctx, &scope, &id)?;
            Ok(participants::view_now(c, &p, role)?)
        })
        .await?;
    Ok(web::Json(view))
}

/// A screening's corrected answers.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreeningCorrection {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub referral_source: String,
    /// Answers keyed by the protocol's criterion ids, all of them.
    #[schema(value_type = Object)]
    pub answers: std::collections::BTreeMap<String, serde_json::Value>,
    /// Kept in the audit trail.
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
}

/// Correct a screening entered wrongly: eligibility is judged again; old → new is audited.
#[utoipa::path(tag = "screening", params(("id" = String, Path, description = "screening id")), request_body = ScreeningCorrection,
    responses((status = 200, description = "Corrected", body = ScreeningView), (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "Already enrolled (`already_enrolled`)", body = ErrorBody),
        (status = 422, description = "Validation failed; `field` names the culprit", body = ErrorBody)))]
#[post("/screenings/{id}/correction")]
async fn correct_screening(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<ScreeningCorrection>,
) -> Result<web::Json<ScreeningView>, AppError> {
    auth.require(Permission::Screen)?;
    let body = body.parse()?;
    let source = body.referral_source.trim().to_owned();
    if source.is_empty() || source.chars().count() > 100 {
        return Err(AppError::validation("referral_source", "must be 1 to 100 characters"));
    }
    let reason = crate::auth::routes::required_reason(&body.reason)?;
    let (ctx, scope, id) = (auth.context(), auth.scope.clone(), path.into_inner());
    let row = state
        .write(move |c| Ok(screening::correct(c, &ctx, &scope, &id, &source, &body.answers, &reason)?))
        .await?;
    Ok(web::Json(row.view()))
}

/// Why a consent is voided.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidRequest {
    /// Kept in the audit trail: what the error was.
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
}

/// Void a consent recorded in error. It stays on the record, marked, and no longer counts: the
/// participant needs consent again before randomisation.
#[utoipa::path(tag = "participants", params(("id" = String, Path, description = "participant id or study id"), ("consent" = String, Path, description = "consent id")),
    request_body = VoidRequest,
    responses((status = 200, description = "Voided", body = crate::enrolment::consent::Consent), (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "Already voided", body = ErrorBody), (status = 422, description = "No reason", body = ErrorBody)))]
#[post("/participants/{id}/consents/{consent}/void")]
async fn void_consent(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
    body: ApiJson<VoidRequest>,
) -> Result<web::Json<crate::enrolment::consent::Consent>, AppError> {
    auth.require(Permission::Enrol)?;
    let reason = crate::auth::routes::required_reason(&body.parse()?.reason)?;
    let (ctx, scope) = (auth.context(), auth.scope.clone());
    let (id, consent) = path.into_inner();
    let row = state
        .write(move |c| Ok(crate::enrolment::consent::void(c, &ctx, &scope, &id, &consent, &reason)?))
        .await?;
    Ok(web::Json(row))
}
