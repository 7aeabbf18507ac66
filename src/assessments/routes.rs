//! Schedules, answers and survey links over HTTP (coordinators and clinicians).
// utoipa's `IntoParams` expansion for `web::Query` names the query type in full, outside the
// handler, where an item-level allow does not reach.
#![allow(unused_qualifications)]

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::responses::{self, StoredScore};
use super::{Filter, Listed};
use crate::auth::routes::required_reason;
use crate::auth::{Auth, Permission};
use crate::enrolment::participants;
use crate::error::{AppError, ErrorBody};
use crate::json::ApiJson;
use crate::protocol::store;
use crate::state::AppState;
use crate::survey::links::{self, SurveyLink};

/// Registers this module's API routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(list_assessments)
        .service(get_assessment)
        .service(correct_answer)
        .service(participant_assessments)
        .service(list_links)
        .service(create_link)
        .service(invite_now)
        .service(revoke_link);
}

/// Which assessments to list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AssessmentFilter {
    /// `open` (default), `overdue`, `missed`, `scheduled`, `completed` or `all`.
    #[param(pattern = r"^(open|overdue|missed|scheduled|completed|all)$")]
    pub status: Option<String>,
}

/// The coordinator's list: what is open, overdue (open and past its target date) or missed; a
/// page at a time (`X-Total-Count`, and `Link` to the next page).
#[utoipa::path(tag = "assessments", params(AssessmentFilter, crate::paging::Page),
    responses((status = 200, description = "Success", body = Vec<Listed>), (status = 400, description = "Unknown status", body = ErrorBody), (status = 422, description = "Validation failed; `field` names the culprit", body = ErrorBody)))]
#[get("/assessments")]
async fn list_assessments(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    query: web::Query<AssessmentFilter>,
    page: web::Query<crate::paging::Page>,
) -> Result<HttpResponse, AppError> {
    auth.require(Permission::ReadAssessments)?;
    page.parse()?;
    let raw = query.into_inner().status.unwrap_or_else(|| Filter::Open.as_str().into());
    let filter = Filter::parse(&raw).ok_or_else(|| AppError::BadRequest {
        field: Some("status".into()),
        message: format!("`{raw}` is not one of open, overdue, missed, scheduled, completed, all"),
    })?;
    let scope = auth.scope.clone();
    let listed = state
        .run(move |c| {
            let (protocol, _) = store::current_parsed(c)?;
            Ok(super::list(c, &protocol, &scope, filter, None)?)
        })
        .await?;
    crate::paging::answer(&req, listed, &page)
}

/// A participant's whole schedule.
#[utoipa::path(tag = "assessments", params(("id" = String, Path, description = "participant id or study id")),
    responses((status = 200, description = "Success", body = Vec<Listed>), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/participants/{id}/assessments")]
async fn participant_assessments(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<Vec<Listed>>, AppError> {
    auth.require(Permission::ReadAssessments)?;
    let (id, scope) = (path.into_inner(), auth.scope.clone());
    Ok(web::Json(
        state
            .run(move |c| {
                let p = participants::find_or_404(c, &scope, &id)?;
                let (protocol, _) = store::current_parsed(c)?;
                Ok(super::list(c, &protocol, &scope, Filter::All, Some(&p.id))?)
            })
            .await?,
    ))
}

/// One answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerView {
    pub instrument: String,
    pub item: String,
    /// Null: skipped.
    pub value: Option<i32>,
}

/// An assessment with its answers and scores.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentDetail {
    pub assessment: super::Assessment,
    pub answers: Vec<AnswerView>,
    pub scores: Vec<StoredScore>,
}

/// One assessment: its answers (final once completed) and scores.
#[utoipa::path(tag = "assessments", params(("id" = String, Path, description = "assessment id")),
    responses((status = 200, description = "Success", body = AssessmentDetail), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/assessments/{id}")]
async fn get_assessment(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<AssessmentDetail>, AppError> {
    auth.require(Permission::ReadAssessments)?;
    let (id, scope) = (path.into_inner(), auth.scope.clone());
    Ok(web::Json(
        state
            .run(move |c| {
                scope.assessment(c, &id)?;
                detail(c, &id)
            })
            .await?,
    ))
}

fn detail(c: &mut crate::db::DbConn, id: &str) -> Result<AssessmentDetail, AppError> {
    let assessment = super::find(c, id)?.ok_or_else(|| AppError::NotFound("assessment".into()))?;
    let answers = responses::answers(c, id)?
        .into_iter()
        .flat_map(|(instrument, items)| {
            items.into_iter().map(move |(item, value)| AnswerView {
                instrument: instrument.clone(),
                item,
                value,
            })
        })
        .collect();
    let scores = responses::scores_of(c, id)?;
    Ok(AssessmentDetail { assessment, answers, scores })
}

/// A correction of one submitted answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    #[schema(min_length = 1)]
    pub instrument: String,
    #[schema(min_length = 1)]
    pub item: String,
    /// The corrected answer; null records the item as unanswered.
    pub value: Option<i32>,
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
}

/// Correct one answer of a submitted assessment (reason required; rescored and audited).
#[utoipa::path(tag = "assessments", params(("id" = String, Path, description = "assessment id")), request_body = Correction,
    responses((status = 200, description = "Corrected; the instrument's new score", body = StoredScore),
        (status = 409, description = "Not submitted yet", body = ErrorBody), (status = 422, description = "Not an item or answer of it", body = ErrorBody)))]
#[post("/assessments/{id}/corrections")]
async fn correct_answer(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<Correction>,
) -> Result<web::Json<StoredScore>, AppError> {
    auth.require(Permission::ManageAssessments)?;
    let body = body.parse()?;
    let reason = required_reason(&body.reason)?;
    let (ctx, id) = (auth.context(), path.into_inner());
    let answer = responses::Answer { instrument: body.instrument, item: body.item, value: body.value };
    let library = state.instruments.clone();
    let scope = auth.scope.clone();
    Ok(web::Json(
        state
            .write(move |c| {
                scope.assessment(c, &id)?;
                Ok(responses::correct(c, &ctx, &library, &id, &answer, &reason)?)
            })
            .await?,
    ))
}

/// A participant's survey links (never their tokens).
#[utoipa::path(tag = "survey links", params(("id" = String, Path, description = "participant id or study id")),
    responses((status = 200, description = "Success", body = Vec<SurveyLink>), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/participants/{id}/survey-links")]
async fn list_links(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<Vec<SurveyLink>>, AppError> {
    auth.require(Permission::ManageAssessments)?;
    let (id, scope) = (path.into_inner(), auth.scope.clone());
    Ok(web::Json(
        state
            .run(move |c| {
                let p = participants::find_or_404(c, &scope, &id)?;
                Ok(links::list_for(c, &p.id)?)
            })
            .await?,
    ))
}

/// A new link: the token appears here once and is never stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewLink {
    pub link: SurveyLink,
    /// The participant's personal address, `{public_url}/s/{token}`.
    pub url: String,
    pub token: String,
}

/// Make a personal survey link for a participant (to send by text message, or read out on a call).
#[utoipa::path(tag = "survey links", params(("id" = String, Path, description = "participant id or study id")),
    responses((status = 201, description = "Created", body = NewLink), (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "Withdrawn", body = ErrorBody)))]
#[post("/participants/{id}/survey-links")]
async fn create_link(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    auth.require(Permission::ManageAssessments)?;
    let (ctx, id, scope) = (auth.context(), path.into_inner(), auth.scope.clone());
    let (link, token) = state
        .write(move |c| {
            let p = participants::find_or_404(c, &scope, &id)?;
            let (protocol, _) = store::current_parsed(c)?;
            Ok(links::create(c, &ctx, &p, *protocol.surveys.link_valid_days.get_ref())?)
        })
        .await?;
    let url = format!("{}/s/{token}", state.public_url);
    Ok(HttpResponse::Created().json(NewLink { link, url, token }))
}

/// An invitation sent now.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationSent {
    pub assessment_id: String,
    pub timepoint: String,
}

/// E-mail the participant an invitation now, with a fresh link, to the questionnaires open for them.
#[utoipa::path(tag = "survey links", params(("id" = String, Path, description = "participant id or study id")),
    responses((status = 202, description = "Queued in the outbox", body = InvitationSent), (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "Withdrawn, nothing open, or no e-mail address on file", body = ErrorBody)))]
#[post("/participants/{id}/invitations")]
async fn invite_now(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    auth.require(Permission::ManageAssessments)?;
    let (ctx, id, scope) = (auth.context(), path.into_inner(), auth.scope.clone());
    let a = state
        .write(move |c| {
            let p = participants::find_or_404(c, &scope, &id)?;
            Ok(links::invite_now(c, &ctx, &p)?)
        })
        .await?;
    Ok(HttpResponse::Accepted().json(InvitationSent { assessment_id: a.id, timepoint: a.timepoint }))
}

/// Why a link is revoked.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
}

/// Revoke a survey link at once (lost phone, link sent to the wrong person).
#[utoipa::path(tag = "survey links", params(("id" = String, Path, description = "survey link id")), request_body = Revocation,
    responses((status = 200, description = "Revoked", body = SurveyLink), (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "Already revoked", body = ErrorBody)))]
#[post("/survey-links/{id}/revocation")]
async fn revoke_link(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<Revocation>,
) -> Result<web::Json<SurveyLink>, AppError> {
    auth.require(Permission::ManageAssessments)?;
    let reason = required_reason(&body.parse()?.reason)?;
    let (ctx, id, scope) = (auth.context(), path.into_inner(), auth.scope.clone());
    Ok(web::Json(
        state
            .write(move |c| {
                scope.survey_link(c, &id)?;
                Ok(links::revoke(c, &ctx, &id, &reason)?)
            })
            .await?,
    ))
}
