//! The alerts queue over HTTP, and who alerts go to.
// utoipa's `IntoParams` expansion for `web::Query` names the query type in full, outside the
// handler, where an item-level allow does not reach.
#![allow(unused_qualifications)]

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Alert, Step};
use crate::auth::{Auth, Permission};
use crate::enrolment::participants::{self, Contact};
use crate::error::{AppError, ErrorBody};
use crate::json::ApiJson;
use crate::sites::Scope;
use crate::state::AppState;

/// Registers this module's API routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(list_alerts)
        .service(get_alert)
        .service(acknowledge_alert)
        .service(record_alert_action)
        .service(close_alert)
        .service(get_contacts)
        .service(put_contacts);
}

/// An alert in the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertView {
    #[serde(flatten)]
    pub alert: Alert,
    pub study_id: String,
    /// Open and past its due time.
    pub overdue: bool,
}

/// Which alerts to list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AlertFilter {
    /// Include closed alerts (default: only open and acknowledged ones).
    pub all: Option<bool>,
}

/// The alerts queue: open ones first, most overdue first; a page at a time (`X-Total-Count`, and
/// `Link` to the next page).
#[utoipa::path(tag = "safety", params(AlertFilter, crate::paging::Page), responses((status = 200, description = "Success", body = Vec<AlertView>), (status = 422, description = "Validation failed; `field` names the culprit", body = ErrorBody)))]
#[get("/alerts")]
async fn list_alerts(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    query: web::Query<AlertFilter>,
    page: web::Query<crate::paging::Page>,
) -> Result<HttpResponse, AppError> {
    auth.require(Permission::HandleAlerts)?;
    page.parse()?;
    let all = query.all.unwrap_or(false);
    let now = crate::db::now();
    let scope = auth.scope.clone();
    let rows = state.run(move |c| Ok(super::list(c, &scope, !all)?)).await?;
    let views: Vec<AlertView> = rows
        .into_iter()
        .map(|(alert, study_id)| AlertView {
            overdue: alert.status.is_overdue(alert.due_at, now),
            alert,
            study_id,
        })
        .collect();
    crate::paging::answer(&req, views, &page)
}

/// An alert with what the clinician needs to reach the participant.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDetail {
    #[serde(flatten)]
    pub alert: Alert,
    pub study_id: String,
    pub preferred_language: String,
    pub contact: Option<Contact>,
}

/// One alert, with the participant's contact details (to call them).
#[utoipa::path(tag = "safety", params(("id" = String, Path, description = "alert id")),
    responses((status = 200, description = "Success", body = AlertDetail), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/alerts/{id}")]
async fn get_alert(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<AlertDetail>, AppError> {
    auth.require(Permission::HandleAlerts)?;
    let (id, scope, ctx) = (path.into_inner(), auth.scope.clone(), auth.context());
    // A write: reading the contact details is audited.
    Ok(web::Json(state.write(move |c| detail(c, &ctx, &scope, &id)).await?))
}

fn detail(
    c: &mut crate::db::DbConn,
    ctx: &crate::audit::Context,
    scope: &Scope,
    id: &str,
) -> Result<AlertDetail, AppError> {
    scope.alert(c, id)?;
    let alert = super::find(c, id)?.ok_or_else(|| AppError::NotFound("alert".into()))?;
    let p = participants::find_or_404(c, scope, &alert.participant_id)?;
    let contact = participants::read_contact(c, ctx, &p.id)?;
    Ok(AlertDetail { alert, study_id: p.study_id, preferred_language: p.preferred_language, contact })
}

/// What was done, or why the alert is closed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepText {
    #[schema(min_length = 1, pattern = r"\S")]
    pub text: String,
}

/// The text of an action or closure, trimmed; empty is refused.
pub(crate) fn required_text(text: &str) -> Result<String, AppError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(AppError::validation("text", "say what was done"));
    }
    Ok(t.to_owned())
}

async fn step(
    state: &AppState,
    auth: &Auth,
    id: String,
    step: Step,
    text: Option<String>,
) -> Result<AlertDetail, AppError> {
    let (ctx, scope) = (auth.context(), auth.scope.clone());
    state
        .write(move |c| {
            scope.alert(c, &id)?;
            super::take_step(c, &ctx, &id, step, text.as_deref())?;
            detail(c, &ctx, &scope, &id)
        })
        .await
}

/// Acknowledge an alert: it stops escalating.
#[utoipa::path(tag = "safety", params(("id" = String, Path, description = "alert id")),
    responses((status = 200, description = "Acknowledged", body = AlertDetail), (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "Already acknowledged", body = ErrorBody)))]
#[post("/alerts/{id}/acknowledgement")]
async fn acknowledge_alert(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<AlertDetail>, AppError> {
    auth.require(Permission::HandleAlerts)?;
    Ok(web::Json(step(&state, &auth, path.into_inner(), Step::Acknowledge, None).await?))
}

/// Record the action taken (e.g. "called; C-SSRS screen negative; safety plan reviewed").
#[utoipa::path(tag = "safety", params(("id" = String, Path, description = "alert id")), request_body = StepText,
    responses((status = 200, description = "Recorded", body = AlertDetail), (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "Not acknowledged yet", body = ErrorBody), (status = 422, description = "Empty text", body = ErrorBody)))]
#[post("/alerts/{id}/action")]
async fn record_alert_action(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<StepText>,
) -> Result<web::Json<AlertDetail>, AppError> {
    auth.require(Permission::HandleAlerts)?;
    let text = required_text(&body.parse()?.text)?;
    Ok(web::Json(step(&state, &auth, path.into_inner(), Step::RecordAction, Some(text)).await?))
}

/// Close an alert once the action is recorded.
#[utoipa::path(tag = "safety", params(("id" = String, Path, description = "alert id")), request_body = StepText,
    responses((status = 200, description = "Closed", body = AlertDetail), (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "No action recorded", body = ErrorBody), (status = 422, description = "Empty text", body = ErrorBody)))]
#[post("/alerts/{id}/closure")]
async fn close_alert(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<StepText>,
) -> Result<web::Json<AlertDetail>, AppError> {
    auth.require(Permission::HandleAlerts)?;
    let text = required_text(&body.parse()?.text)?;
    Ok(web::Json(step(&state, &auth, path.into_inner(), Step::Close, Some(text)).await?))
}

/// Who alerts go to, in order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contacts {
    /// Account ids: the first hears of every alert; the next when it is not acknowledged in time.
    pub user_ids: Vec<String>,
}

/// The safety contacts, first to last.
#[utoipa::path(tag = "safety", params(ContactsOf), responses((status = 200, description = "Success", body = Contacts)))]
#[get("/safety/contacts")]
async fn get_contacts(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<ContactsOf>,
) -> Result<web::Json<Contacts>, AppError> {
    auth.require(Permission::HandleAlerts)?;
    let site = query.into_inner().site;
    Ok(web::Json(Contacts { user_ids: state.run(move |c| Ok(super::contacts(c, site.as_deref())?)).await? }))
}

/// Whose contact list: the study's (no site) or one site's own, which comes first for alerts
/// about that site's participants.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ContactsOf {
    /// A site code.
    pub site: Option<String>,
}

/// Set the safety contacts of the study, or of one site (audited). With none, alerts go to the
/// admins.
#[utoipa::path(tag = "safety", params(ContactsOf), request_body = Contacts,
    responses((status = 200, description = "Set", body = Contacts), (status = 422, description = "Not an active account", body = ErrorBody)))]
#[put("/safety/contacts")]
async fn put_contacts(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<ContactsOf>,
    body: ApiJson<Contacts>,
) -> Result<web::Json<Contacts>, AppError> {
    auth.require(Permission::ConfigureSafety)?;
    let ids = body.parse()?.user_ids;
    let (ctx, site) = (auth.context(), query.into_inner().site);
    Ok(web::Json(Contacts {
        user_ids: state.write(move |c| Ok(super::set_contacts(c, &ctx, site.as_deref(), &ids)?)).await?,
    }))
}
