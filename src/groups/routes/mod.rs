//! Groups, the queue, forming and launching, sessions, calendars and attendance over HTTP.

pub mod calendar;
pub mod changes;

use std::collections::BTreeSet;

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::attendance::{self, Mark, Session};
use super::dose::{self, Dose};
use super::formation::{self, Assignment, Proposal};
use super::{Group, GroupView, NewGroup, Phase, Waiting};
use crate::auth::routes::required_reason;
use crate::auth::{Auth, Permission, Role};
use crate::db::DbConn;
use crate::enrolment::participants;
use crate::error::{AppError, ErrorBody};
use crate::json::ApiJson;
use crate::protocol::store;
use crate::state::AppState;

/// Registers this module's API routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(create_group)
        .service(list_groups)
        .service(group_queue)
        .service(proposal)
        .service(assign)
        .service(get_group)
        .service(changes::update_group)
        .service(changes::remove_member)
        .service(launch)
        .service(move_member)
        .service(group_sessions)
        .service(reschedule)
        .service(cancel)
        .service(calendar::calendar_json)
        .service(calendar::calendar_ics)
        .service(record_attendance)
        .service(group_attendance)
        .service(participant_dose);
}

/// A moderator may only see and act on their own groups.
fn own_group(auth: &Auth, role: Role, group: &Group) -> Result<(), AppError> {
    if role == Role::Moderator && group.moderator_id != auth.user.id {
        return Err(AppError::forbidden("not_your_group", "moderators act on their own groups only"));
    }
    Ok(())
}

fn view(c: &mut DbConn, g: &Group, seen: Option<&BTreeSet<String>>) -> Result<GroupView, AppError> {
    let members = super::members_of(c, &g.id)?;
    Ok(g.view(
        members.into_iter().filter(|(pid, _)| seen.is_none_or(|v| v.contains(pid))).map(|(_, s)| s).collect(),
    ))
}

/// Create a forming group.
#[utoipa::path(tag = "groups", request_body = NewGroup,
    responses((status = 201, description = "Created", body = GroupView), (status = 422, description = "Validation failed; `field` names the culprit", body = ErrorBody)))]
#[post("/groups")]
async fn create_group(
    state: web::Data<AppState>,
    auth: Auth,
    body: ApiJson<NewGroup>,
) -> Result<HttpResponse, AppError> {
    auth.require(Permission::ManageGroups)?;
    let new = body.parse()?;
    let ctx = auth.context();
    let v = state
        .write(move |c| {
            let (protocol, _) = store::current_parsed(c)?;
            let g = super::create(c, &ctx, &protocol, new)?;
            view(c, &g, None)
        })
        .await?;
    Ok(HttpResponse::Created().json(v))
}

/// Groups (a moderator sees their own).
#[utoipa::path(tag = "groups", responses((status = 200, description = "Success", body = Vec<GroupView>)))]
#[get("/groups")]
async fn list_groups(state: web::Data<AppState>, auth: Auth) -> Result<web::Json<Vec<GroupView>>, AppError> {
    let role = auth.require(Permission::ReadGroups)?;
    let me = (role == Role::Moderator).then(|| auth.user.id.clone());
    Ok(web::Json(
        state
            .run(move |c| {
                let seen = super::seen_by(c, &auth.scope, role)?;
                super::list(c, me.as_deref())?.iter().map(|g| view(c, g, seen.as_ref())).collect()
            })
            .await?,
    ))
}

/// Allocated participants waiting for a group, longest wait first.
#[utoipa::path(tag = "groups", responses((status = 200, description = "Success", body = Vec<Waiting>)))]
#[get("/groups/queue")]
async fn group_queue(state: web::Data<AppState>, auth: Auth) -> Result<web::Json<Vec<Waiting>>, AppError> {
    let role = auth.require(Permission::ManageGroups)?;
    Ok(web::Json(
        state
            .run(move |c| {
                let (protocol, _) = store::current_parsed(c)?;
                let seen = super::seen_by(c, &auth.scope, role)?;
                let queue = super::queue(c, &protocol, protocol.today())?;
                Ok(queue
                    .into_iter()
                    .filter(|w| seen.as_ref().is_none_or(|v| v.contains(&w.participant_id)))
                    .collect())
            })
            .await?,
    ))
}

/// A proposed assignment of the queue to forming and running groups.
#[utoipa::path(tag = "groups", responses((status = 200, description = "Success", body = Proposal)))]
#[get("/groups/proposal")]
async fn proposal(state: web::Data<AppState>, auth: Auth) -> Result<web::Json<Proposal>, AppError> {
    let role = auth.require(Permission::ManageGroups)?;
    Ok(web::Json(
        state
            .run(move |c| {
                let (protocol, _) = store::current_parsed(c)?;
                let seen = super::seen_by(c, &auth.scope, role)?;
                // Groups are formed across sites; a site-limited coordinator sees (and may accept)
                // the placements of their own participants.
                let mut p = formation::propose(c, &protocol, protocol.today())?;
                if let Some(v) = seen {
                    p.assignments.retain(|a| v.contains(&a.participant_id));
                    p.unplaced.retain(|w| v.contains(&w.participant_id));
                }
                Ok(p)
            })
            .await?,
    ))
}

/// Placements to make: a proposal as accepted or edited.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignments {
    pub assignments: Vec<Assignment>,
}

/// Place participants in groups; groups reaching their minimum launch.
#[utoipa::path(tag = "groups", request_body = Assignments,
    responses((status = 200, description = "Groups launched by these placements", body = Vec<GroupView>),
        (status = 409, description = "Someone is not waiting, or does not fit the group (capacity, language, arm, tags)", body = ErrorBody)))]
#[post("/groups/assignments")]
async fn assign(
    state: web::Data<AppState>,
    auth: Auth,
    body: ApiJson<Assignments>,
) -> Result<web::Json<Vec<GroupView>>, AppError> {
    let role = auth.require(Permission::ManageGroups)?;
    let body = body.parse()?;
    let ctx = auth.context();
    Ok(web::Json(
        state
            .write(move |c| {
                let (protocol, _) = store::current_parsed(c)?;
                auth.scope.all_participants(c, body.assignments.iter().map(|a| a.participant_id.clone()))?;
                let launched = formation::assign(c, &ctx, &protocol, protocol.today(), &body.assignments)?;
                let seen = super::seen_by(c, &auth.scope, role)?;
                launched.iter().map(|g| view(c, g, seen.as_ref())).collect()
            })
            .await?,
    ))
}

/// One group.
#[utoipa::path(tag = "groups", params(("id" = String, Path, description = "group id")),
    responses((status = 200, description = "Success", body = GroupView), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/groups/{id}")]
async fn get_group(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<GroupView>, AppError> {
    let role = auth.require(Permission::ReadGroups)?;
    let (id, who) = (path.into_inner(), auth.clone());
    let (g, v) = state
        .run(move |c| {
            let g = super::find(c, &id)?.ok_or_else(|| AppError::NotFound("group".into()))?;
            let seen = super::seen_by(c, &who.scope, role)?;
            let v = view(c, &g, seen.as_ref())?;
            Ok((g, v))
        })
        .await?;
    own_group(&auth, role, &g)?;
    Ok(web::Json(v))
}

/// Why a group starts below its minimum.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LaunchRequest {
    /// Required when the group has fewer members than its minimum.
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: Option<String>,
}

/// Launch a forming group now: creates its sessions.
#[utoipa::path(tag = "groups", params(("id" = String, Path, description = "group id")), request_body = LaunchRequest,
    responses((status = 200, description = "Launched", body = GroupView), (status = 409, description = "Already launched or empty", body = ErrorBody)))]
#[post("/groups/{id}/launch")]
async fn launch(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<LaunchRequest>,
) -> Result<web::Json<GroupView>, AppError> {
    let role = auth.require(Permission::ManageGroups)?;
    let reason = body.parse()?.reason.map(|r| required_reason(&r)).transpose()?;
    let (ctx, id) = (auth.context(), path.into_inner());
    Ok(web::Json(
        state
            .write(move |c| {
                let (protocol, _) = store::current_parsed(c)?;
                let g = formation::launch(c, &ctx, &protocol, &id, reason.as_deref())?;
                let seen = super::seen_by(c, &auth.scope, role)?;
                view(c, &g, seen.as_ref())
            })
            .await?,
    ))
}

/// A move to another group.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    #[schema(min_length = 1)]
    pub group_id: String,
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
}

/// Move a participant to another group (reason required, audited).
#[utoipa::path(tag = "groups", params(("id" = String, Path, description = "participant id or study id")), request_body = MoveRequest,
    responses((status = 204, description = "Moved"), (status = 409, description = "Not in a group, or does not fit", body = ErrorBody)))]
#[post("/participants/{id}/group-move")]
async fn move_member(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<MoveRequest>,
) -> Result<HttpResponse, AppError> {
    auth.require(Permission::ManageGroups)?;
    let body = body.parse()?;
    let reason = required_reason(&body.reason)?;
    let (ctx, id, scope) = (auth.context(), path.into_inner(), auth.scope.clone());
    state
        .write(move |c| {
            scope.participant(c, &id)?;
            Ok(formation::move_member(c, &ctx, &id, &body.group_id, &reason)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A group's sessions.
#[utoipa::path(tag = "sessions", params(("id" = String, Path, description = "group id")),
    responses((status = 200, description = "Success", body = Vec<Session>), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/groups/{id}/sessions")]
async fn group_sessions(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<Vec<Session>>, AppError> {
    let role = auth.require(Permission::ReadGroups)?;
    let id = path.into_inner();
    let (g, s) = state
        .run(move |c| {
            let g = super::find(c, &id)?.ok_or_else(|| AppError::NotFound("group".into()))?;
            let s = attendance::sessions(c, &g.id)?;
            Ok((g, s))
        })
        .await?;
    own_group(&auth, role, &g)?;
    Ok(web::Json(s))
}

/// A session's new start.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleRequest {
    /// New start (`2027-03-16T22:30:00Z`, or with another offset).
    #[serde(deserialize_with = "crate::json::utc_in")]
    pub starts_at: NaiveDateTime,
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
}

/// Move a session (reason required, audited).
#[utoipa::path(tag = "sessions", params(("id" = String, Path, description = "session id")), request_body = RescheduleRequest,
    responses((status = 200, description = "Success", body = Session), (status = 404, description = "Not found", body = ErrorBody)))]
#[post("/sessions/{id}/reschedule")]
async fn reschedule(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<RescheduleRequest>,
) -> Result<web::Json<Session>, AppError> {
    auth.require(Permission::ManageGroups)?;
    let body = body.parse()?;
    let reason = required_reason(&body.reason)?;
    let (ctx, id) = (auth.context(), path.into_inner());
    Ok(web::Json(
        state.write(move |c| Ok(attendance::reschedule(c, &ctx, &id, body.starts_at, &reason)?)).await?,
    ))
}

/// Why a session is cancelled.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
}

/// Cancel a session (reason required, audited); it no longer counts as delivered.
#[utoipa::path(tag = "sessions", params(("id" = String, Path, description = "session id")), request_body = CancelRequest,
    responses((status = 200, description = "Success", body = Session), (status = 404, description = "Not found", body = ErrorBody)))]
#[post("/sessions/{id}/cancel")]
async fn cancel(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<CancelRequest>,
) -> Result<web::Json<Session>, AppError> {
    auth.require(Permission::ManageGroups)?;
    let reason = required_reason(&body.parse()?.reason)?;
    let (ctx, id) = (auth.context(), path.into_inner());
    Ok(web::Json(state.write(move |c| Ok(attendance::cancel(c, &ctx, &id, &reason)?)).await?))
}

/// Attendance to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceRequest {
    pub marks: Vec<Mark>,
    /// Required to change a mark already recorded.
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: Option<String>,
}

/// Record attendance (a moderator for their own groups).
#[utoipa::path(tag = "sessions", params(("id" = String, Path, description = "session id")), request_body = AttendanceRequest,
    responses((status = 204, description = "Recorded"), (status = 403, description = "Not the group's moderator", body = ErrorBody),
        (status = 409, description = "Cancelled or not yet held", body = ErrorBody)))]
#[post("/sessions/{id}/attendance")]
async fn record_attendance(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<AttendanceRequest>,
) -> Result<HttpResponse, AppError> {
    let role = auth.require(Permission::RecordAttendance)?;
    let id = path.into_inner();
    let check_id = id.clone();
    let (_, group) = state.run(move |c| Ok(attendance::session(c, &check_id)?)).await?;
    own_group(&auth, role, &group)?;
    let body = body.parse()?;
    let reason = body.reason.map(|r| required_reason(&r)).transpose()?;
    let ctx = auth.context();
    state
        .write(move |c| {
            if role != Role::Moderator {
                auth.scope.all_participants(c, body.marks.iter().map(|m| m.participant_id.clone()))?;
            }
            Ok(attendance::record(c, &ctx, &id, &body.marks, reason.as_deref())?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A group's attendance: each member's dose.
#[utoipa::path(tag = "sessions", params(("id" = String, Path, description = "group id")),
    responses((status = 200, description = "Success", body = Vec<Dose>), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/groups/{id}/attendance")]
async fn group_attendance(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<Vec<Dose>>, AppError> {
    let role = auth.require(Permission::ReadGroups)?;
    let (id, who) = (path.into_inner(), auth.clone());
    let (g, d) = state
        .run(move |c| {
            let (protocol, _) = store::current_parsed(c)?;
            let g = super::find(c, &id)?.ok_or_else(|| AppError::NotFound("group".into()))?;
            let seen = super::seen_by(c, &who.scope, role)?;
            let mut d = dose::doses(c, &g.id, *protocol.groups.adequate_dose.get_ref())?;
            d.retain(|d| seen.as_ref().is_none_or(|v| v.contains(&d.participant_id)));
            Ok((g, d))
        })
        .await?;
    own_group(&auth, role, &g)?;
    Ok(web::Json(d))
}

/// A participant's dose and phase timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantDose {
    pub dose: Option<Dose>,
    pub phases: Vec<Phase>,
}

/// One participant's dose (sessions attended of those delivered) and phases.
#[utoipa::path(tag = "sessions", params(("id" = String, Path, description = "participant id or study id")),
    responses((status = 200, description = "Success", body = ParticipantDose), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/participants/{id}/dose")]
async fn participant_dose(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<ParticipantDose>, AppError> {
    auth.require(Permission::ManageGroups)?;
    let (id, scope) = (path.into_inner(), auth.scope.clone());
    Ok(web::Json(
        state
            .run(move |c| {
                use diesel::prelude::*;
                let (protocol, _) = store::current_parsed(c)?;
                let p = participants::find_or_404(c, &scope, &id)?;
                let group: Option<String> = crate::db::schema::group_members::table
                    .find(&p.id)
                    .select(crate::db::schema::group_members::group_id)
                    .first(c)
                    .optional()?;
                let dose = match group {
                    Some(g) => dose::doses(c, &g, *protocol.groups.adequate_dose.get_ref())?
                        .into_iter()
                        .find(|d| d.participant_id == p.id),
                    None => None,
                };
                Ok(ParticipantDose { dose, phases: super::phases(c, &p.id)? })
            })
            .await?,
    ))
}
