//! Screening, enrolment, consent, withdrawal and reading participants back, over HTTP.
// utoipa's `IntoParams` expansion for `web::Query` names the query type in full, outside the
// handler, where an item-level allow does not reach.
#![allow(unused_qualifications)]

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

mod changes;

use crate::enrolment::Status;
use crate::enrolment::consent::{self, Consent};
use crate::enrolment::participants::{self, NewParticipant, ParticipantView};
use crate::enrolment::screening::{self, NewScreening, Outcome, ScreeningView};
use crate::enrolment::timeline::Timeline;

use crate::auth::routes::required_reason;
use crate::auth::{Auth, Permission};
use crate::db::{self};
use crate::error::{AppError, ErrorBody};
use crate::json::ApiJson;
use crate::protocol::store;
use crate::state::AppState;

/// Registers this module's API routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(create_screening)
        .service(list_screenings)
        .service(get_screening)
        .service(close_screening)
        .service(enrol)
        .service(list_participants)
        .service(get_participant)
        .service(timeline)
        .service(contact)
        .service(consent_route)
        .service(withdraw)
        .service(transfer)
        .configure(changes::routes)
        .service(recruitment);
}

/// A screening to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreeningRequest {
    /// Where the person heard of the study (e.g. `national_ms_society`, `clinic`, `social_media`).
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub referral_source: String,
    /// When they were screened (`2027-03-16T15:00:00Z`, or with another offset); now if omitted.
    #[serde(default, deserialize_with = "crate::json::utc_in_opt")]
    pub screened_at: Option<NaiveDateTime>,
    /// Answers keyed by the protocol's criterion ids.
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, Value>,
    /// Eligible, but declined to take part.
    #[serde(default)]
    pub declined: bool,
    pub decline_reason: Option<String>,
    /// The site screening (a site code); optional when the caller has one open site to use.
    #[schema(pattern = r"^[a-z][a-z0-9_-]{0,31}$")]
    pub site: Option<String>,
}

/// Record a screening: eligible, or ineligible with each failed criterion named.
#[utoipa::path(tag = "screening", request_body = ScreeningRequest,
    responses((status = 201, description = "Recorded", body = ScreeningView), (status = 422, description = "An answer is missing or of the wrong type; `field` names it", body = ErrorBody)))]
#[post("/screenings")]
async fn create_screening(
    state: web::Data<AppState>,
    auth: Auth,
    body: ApiJson<ScreeningRequest>,
) -> Result<HttpResponse, AppError> {
    auth.require(Permission::Screen)?;
    let body = body.parse()?;
    let source = body.referral_source.trim().to_owned();
    if source.is_empty() || source.chars().count() > 100 {
        return Err(AppError::validation("referral_source", "must be 1 to 100 characters"));
    }
    let (ctx, scope) = (auth.context(), auth.scope.clone());
    let row = state
        .write(move |c| {
            let new = NewScreening {
                screened_at: body.screened_at.unwrap_or_else(db::now),
                referral_source: source,
                answers: body.answers,
                declined: body.declined.then_some(body.decline_reason),
                site: body.site,
            };
            Ok(screening::record(c, &ctx, &scope, new)?)
        })
        .await?;
    Ok(HttpResponse::Created().json(row.view()))
}

/// Filter for the screening log.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ScreeningFilter {
    pub outcome: Option<Outcome>,
}

/// The screening log, newest first.
#[utoipa::path(tag = "screening", params(ScreeningFilter), responses((status = 200, description = "Success", body = Vec<ScreeningView>)))]
#[get("/screenings")]
async fn list_screenings(
    state: web::Data<AppState>,
    auth: Auth,
    filter: web::Query<ScreeningFilter>,
) -> Result<web::Json<Vec<ScreeningView>>, AppError> {
    auth.require(Permission::Screen)?;
    let (outcome, scope) = (filter.outcome, auth.scope.clone());
    let rows = state.run(move |c| Ok(screening::list(c, &scope, outcome)?)).await?;
    Ok(web::Json(rows.iter().map(screening::Screening::view).collect()))
}

/// One screening.
#[utoipa::path(tag = "screening", params(("id" = String, Path, description = "screening id")),
    responses((status = 200, description = "Success", body = ScreeningView), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/screenings/{id}")]
async fn get_screening(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<ScreeningView>, AppError> {
    auth.require(Permission::Screen)?;
    let (id, scope) = (path.into_inner(), auth.scope.clone());
    let row = state.run(move |c| Ok(screening::find(c, &scope, &id)?)).await?;
    row.map(|r| web::Json(r.view())).ok_or_else(|| AppError::NotFound("screening".into()))
}

/// Why an eligible person was not enrolled.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseScreening {
    /// `declined` or `other`.
    #[schema(value_type = String, pattern = r"^(declined|other)$")]
    pub outcome: Outcome,
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
}

/// Record that an eligible person declined, or was not enrolled for another reason.
#[utoipa::path(tag = "screening", params(("id" = String, Path, description = "screening id")), request_body = CloseScreening,
    responses((status = 200, description = "Success", body = ScreeningView), (status = 409, description = "Not an open eligible screening", body = ErrorBody)))]
#[post("/screenings/{id}/close")]
async fn close_screening(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<CloseScreening>,
) -> Result<web::Json<ScreeningView>, AppError> {
    auth.require(Permission::Screen)?;
    let body = body.parse()?;
    if !matches!(body.outcome, Outcome::Declined | Outcome::Other) {
        return Err(AppError::validation("outcome", "must be declined or other"));
    }
    let reason = required_reason(&body.reason)?;
    let (ctx, scope, id) = (auth.context(), auth.scope.clone(), path.into_inner());
    let row =
        state.write(move |c| Ok(screening::close(c, &ctx, &scope, &id, body.outcome, &reason)?)).await?;
    Ok(web::Json(row.view()))
}

/// Enrol an eligible screening: a pseudonymous study id; contact details are kept apart.
#[utoipa::path(tag = "participants", request_body = NewParticipant,
    responses((status = 201, description = "Enrolled", body = ParticipantView),
        (status = 409, description = "Screening not eligible, already enrolled, or the same person (e-mail or phone) is enrolled already", body = ErrorBody),
        (status = 422, description = "Validation failed; `field` names the culprit", body = ErrorBody)))]
#[post("/participants")]
async fn enrol(
    state: web::Data<AppState>,
    auth: Auth,
    body: ApiJson<NewParticipant>,
) -> Result<HttpResponse, AppError> {
    let role = auth.require(Permission::Enrol)?;
    let new = body.parse()?;
    let (ctx, scope) = (auth.context(), auth.scope.clone());
    let view = state
        .write(move |c| {
            let p = participants::enrol(c, &ctx, &scope, new)?;
            let (protocol, _) = store::current_parsed(c)?;
            Ok(p.view(&participants::Facts::default(), &protocol, role))
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Filters for the participant list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ParticipantFilter {
    pub status: Option<Status>,
    /// Arm code (`A`), or arm id for unblinded roles.
    pub arm: Option<String>,
    /// `factor:level`, e.g. `race_ethnicity:black` (the protocol's factors and levels).
    #[param(pattern = r"^[^:]+:[^:]+$")]
    pub stratum: Option<String>,
    /// A site code: only that site's participants.
    pub site: Option<String>,
}

/// Participants, by study id, a page at a time (`X-Total-Count`, and `Link` to the next page);
/// blinded roles see arm codes only.
#[utoipa::path(tag = "participants", params(ParticipantFilter, crate::paging::Page), responses((status = 200, description = "Success", body = Vec<ParticipantView>), (status = 422, description = "Validation failed; `field` names the culprit", body = ErrorBody)))]
#[get("/participants")]
async fn list_participants(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    filter: web::Query<ParticipantFilter>,
    page: web::Query<crate::paging::Page>,
) -> Result<HttpResponse, AppError> {
    let role = auth.require(Permission::ReadParticipants)?;
    page.parse()?;
    let filter = filter.into_inner();
    let stratum = match filter.stratum.as_deref().map(|s| s.split_once(':')) {
        Some(None) => return Err(AppError::validation("stratum", "write it as factor:level")),
        Some(Some((f, l))) => Some((f.to_owned(), l.to_owned())),
        None => None,
    };
    let scope = auth.scope.clone();
    let views = state
        .run(move |c| {
            let (protocol, _) = store::current_parsed(c)?;
            let facts = participants::facts(c)?;
            let empty = participants::Facts::default();
            Ok(participants::list(c, &scope)?
                .iter()
                .filter(|p| filter.site.as_deref().is_none_or(|s| p.site == s))
                .map(|p| p.view(facts.get(&p.id).unwrap_or(&empty), &protocol, role))
                .filter(|v| filter.status.is_none_or(|s| v.status == s))
                .filter(|v| {
                    filter.arm.as_deref().is_none_or(|a| {
                        v.arm.as_ref().is_some_and(|arm| arm.code == a || arm.id.as_deref() == Some(a))
                    })
                })
                .filter(|v| {
                    stratum
                        .as_ref()
                        .is_none_or(|(f, l)| v.strata.get(f).and_then(Value::as_str) == Some(l.as_str()))
                })
                .collect::<Vec<_>>())
        })
        .await?;
    crate::paging::answer(&req, views, &page)
}

/// One participant.
#[utoipa::path(tag = "participants", params(("id" = String, Path, description = "participant id or study id")),
    responses((status = 200, description = "Success", body = ParticipantView), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/participants/{id}")]
async fn get_participant(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<ParticipantView>, AppError> {
    let role = auth.require(Permission::ReadParticipants)?;
    let (id, scope) = (path.into_inner(), auth.scope.clone());
    let view = state
        .run(move |c| {
            let p = participants::find_or_404(c, &scope, &id)?;
            Ok(participants::view_now(c, &p, role)?)
        })
        .await?;
    Ok(web::Json(view))
}

/// A participant's timeline: screened, enrolled, consented, randomised, withdrawn.
#[utoipa::path(tag = "participants", params(("id" = String, Path, description = "participant id or study id")),
    responses((status = 200, description = "Success", body = Timeline), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/participants/{id}/timeline")]
async fn timeline(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<Timeline>, AppError> {
    let role = auth.require(Permission::ReadParticipants)?;
    let (id, scope) = (path.into_inner(), auth.scope.clone());
    Ok(web::Json(state.run(move |c| Ok(super::timeline::build(c, &scope, &id, role)?)).await?))
}

/// A participant's contact details (roles that contact participants only; every read is audited).
#[utoipa::path(tag = "participants", params(("id" = String, Path, description = "participant id or study id")),
    responses((status = 200, description = "Success", body = participants::Contact), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/participants/{id}/contact")]
async fn contact(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<participants::Contact>, AppError> {
    auth.require(Permission::ReadContacts)?;
    let (ctx, scope, id) = (auth.context(), auth.scope.clone(), path.into_inner());
    let contact = state
        .write(move |c| {
            let p = participants::find_or_404(c, &scope, &id)?;
            let contact = participants::read_contact(c, &ctx, &p.id)?
                .ok_or_else(|| AppError::NotFound("participant".into()))?;
            Ok(contact)
        })
        .await?;
    Ok(web::Json(contact))
}

/// The screening funnel, allocations per arm and progress against the protocol's targets.
#[utoipa::path(tag = "participants", responses((status = 200, description = "Success", body = crate::enrolment::summary::Recruitment)))]
#[get("/recruitment")]
async fn recruitment(
    state: web::Data<AppState>,
    auth: Auth,
) -> Result<web::Json<crate::enrolment::summary::Recruitment>, AppError> {
    let role = auth.require(Permission::ReadParticipants)?;
    let scope = auth.scope.clone();
    Ok(web::Json(
        state
            .run(move |c| {
                let (protocol, _) = store::current_parsed(c)?;
                Ok(crate::enrolment::summary::recruitment(c, &protocol, &scope, role)?)
            })
            .await?,
    ))
}

/// Consent given to the form in force.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// The participant's full name, typed as their signature.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub signature_name: String,
    /// The form version consented to; must be the one in force (checked when given).
    pub form_version: Option<String>,
    /// The language the form was read in.
    #[schema(pattern = r"^(en|es)$")]
    pub language: String,
}

/// Record e-consent (staff-witnessed) to the consent form in force; again after a new version.
#[utoipa::path(tag = "participants", params(("id" = String, Path, description = "participant id or study id")), request_body = ConsentRequest,
    responses((status = 201, description = "Recorded", body = Consent), (status = 409, description = "Withdrawn, already consented, or an outdated form", body = ErrorBody),
        (status = 422, description = "Validation failed; `field` names the culprit", body = ErrorBody)))]
#[post("/participants/{id}/consents")]
async fn consent_route(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<ConsentRequest>,
) -> Result<HttpResponse, AppError> {
    auth.require(Permission::Enrol)?;
    let body = body.parse()?;
    let (ctx, scope, id) = (auth.context(), auth.scope.clone(), path.into_inner());
    let row = state
        .write(move |c| {
            Ok(consent::record(
                c,
                &ctx,
                &scope,
                &id,
                &body.signature_name,
                body.form_version.as_deref(),
                &body.language,
            )?)
        })
        .await?;
    Ok(HttpResponse::Created().json(row))
}

/// A withdrawal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalRequest {
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
    /// Whether data collected so far may be kept and analysed.
    pub keep_data: bool,
}

/// Record withdrawal; a withdrawn participant gets nothing more.
#[utoipa::path(tag = "participants", params(("id" = String, Path, description = "participant id or study id")), request_body = WithdrawalRequest,
    responses((status = 200, description = "Withdrawn", body = ParticipantView), (status = 409, description = "Already withdrawn", body = ErrorBody)))]
#[post("/participants/{id}/withdrawal")]
async fn withdraw(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<WithdrawalRequest>,
) -> Result<web::Json<ParticipantView>, AppError> {
    let role = auth.require(Permission::Enrol)?;
    let body = body.parse()?;
    let reason = required_reason(&body.reason)?;
    let (ctx, scope, id) = (auth.context(), auth.scope.clone(), path.into_inner());
    let view = state
        .write(move |c| {
            let p = consent::withdraw(c, &ctx, &scope, &id, &reason, body.keep_data)?;
            Ok(participants::view_now(c, &p, role)?)
        })
        .await?;
    Ok(web::Json(view))
}

/// A move to another site.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// The code of the site the participant moves to.
    #[schema(pattern = r"^[a-z][a-z0-9_-]{0,31}$")]
    pub site: String,
    /// Kept in the audit trail.
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
}

/// Move a participant to another site; access follows at once for everyone.
#[utoipa::path(tag = "participants", params(("id" = String, Path, description = "participant id or study id")), request_body = TransferRequest,
    responses((status = 200, description = "Moved", body = ParticipantView), (status = 403, description = "The caller may not use the new site (`site_not_granted`)", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Already at that site (`same_site`)", body = ErrorBody),
        (status = 422, description = "No such site, or no reason", body = ErrorBody)))]
#[post("/participants/{id}/transfer")]
async fn transfer(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<TransferRequest>,
) -> Result<web::Json<ParticipantView>, AppError> {
    let role = auth.require(Permission::Enrol)?;
    let body = body.parse()?;
    let reason = required_reason(&body.reason)?;
    let (ctx, scope, id) = (auth.context(), auth.scope.clone(), path.into_inner());
    let view = state
        .write(move |c| {
            let p = crate::enrolment::transfer::transfer(c, &ctx, &scope, &id, &body.site, &reason)?;
            Ok(participants::view_now(c, &p, role)?)
        })
        .await?;
    Ok(web::Json(view))
}
