//! One group: what it is, its roster with each member's dose, and its sessions with how far
//! attendance has been recorded, each held session leading to its attendance form.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use super::{may_see, names, no_such_group, when, zone};
use crate::auth::{Auth, Permission};
use crate::db;
use crate::error::AppError;
use crate::groups::attendance;
use crate::groups::dose::{self, Dose};
use crate::groups::{self, GroupStatus, SessionStatus};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::page::{Problems, staff_or_return, with_status};
use crate::web::{RespondHtml, csrf_of};

/// A member as the roster shows them.
struct Member {
    study_id: String,
    name: String,
    withdrawn: bool,
    dose: Option<Dose>,
}

/// A session as the group page lists it.
struct SessionRow {
    id: String,
    number: i32,
    at: String,
    /// Scheduled, held or cancelled, in the reader's language.
    state: String,
    /// Held (started, not cancelled): attendance can be recorded.
    held: bool,
    cancelled: bool,
    reason: Option<String>,
    marked: usize,
    owed: usize,
}

#[derive(Template)]
#[template(path = "groups/group.html")]
struct GroupPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    name: String,
    group_status: GroupStatus,
    moderator: String,
    language: String,
    tags: Vec<String>,
    /// "Tuesdays at 18:30 (America/New_York), from 2031-02-11".
    schedule: String,
    status: StatusCode,
    /// "8 of 10 places (starts at 6)".
    members_line: String,
    adequate_dose: i64,
    roster: Vec<Member>,
    sessions: Vec<SessionRow>,
    /// Whether the reader may open a member's record (moderators may not).
    records: bool,
    may_mark: bool,
    /// Coordinators and admins change the group, launch it, take members out, move sessions.
    manage: bool,
    id: String,
    forming: bool,
    meeting_url: Option<String>,
    notice: Option<String>,
    problems: Problems,
    reason: String,
}

/// What `?done=` says after a change.
#[derive(Debug, Deserialize)]
struct Done {
    done: Option<String>,
}

#[get("/groups/{id}")]
pub(super) async fn group(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    query: web::Query<Done>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ReadGroups);
    let tr = auth.tr();
    let notice = query.done.as_deref().and_then(|d| match d {
        "made" => Some(tr.t("group-made")),
        "changed" => Some(tr.t("group-changed")),
        "launched" => Some(tr.t("group-launched")),
        "removed" => Some(tr.t("group-removed")),
        "session" => Some(tr.t("group-session-changed")),
        _ => None,
    });
    render(&state, &auth, path.into_inner(), notice, Problems::default(), String::new()).await
}

/// The group page, with a notice after a change or the problems of a refused launch.
pub(super) async fn render(
    state: &AppState,
    auth: &Auth,
    id: String,
    notice: Option<String>,
    problems: Problems,
    reason: String,
) -> Result<HttpResponse, AppError> {
    let (tr, role, ctx, scope) = (auth.tr(), auth.user.role(), auth.context(), auth.scope.clone());
    let viewer = auth.clone();
    // A write: showing the members' names is audited.
    let found = state
        .write(move |c| {
            let Some(g) = groups::find(c, &id)? else { return Ok(None) };
            if !may_see(&viewer, &g) {
                return Ok(None);
            }
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            let adequate = *protocol.groups.adequate_dose.get_ref();
            let seen = groups::seen_by(c, &scope, role)?;
            let mut doses = dose::doses(c, &g.id, adequate)?;
            let all = doses.len();
            doses.retain(|d| seen.as_ref().is_none_or(|v| v.contains(&d.participant_id)));
            let ids: Vec<String> = doses.iter().map(|d| d.participant_id.clone()).collect();
            let shown = names(c, &ctx, &g.id, &ids)?;
            let withdrawn = crate::enrolment::participants::withdrawn_among(c, &ids)?;
            let moderator =
                crate::auth::users::find(c, &g.moderator_id)?.map(|u| u.display_name).unwrap_or_default();
            let sessions = attendance::sessions(c, &g.id)?;
            let progress = attendance::progress(c, &g)?;
            let roster = doses
                .into_iter()
                .map(|d| Member {
                    name: shown.get(&d.participant_id).cloned().unwrap_or_default(),
                    withdrawn: withdrawn.contains(&d.participant_id),
                    study_id: d.study_id.clone(),
                    dose: Some(d),
                })
                .collect::<Vec<_>>();
            Ok(Some((g, all, roster, moderator, sessions, progress, protocol)))
        })
        .await?;
    let Some((g, all, roster, moderator, sessions, progress, protocol)) = found else {
        return Ok(no_such_group(auth));
    };
    let adequate = *protocol.groups.adequate_dose.get_ref();
    let (now, tz) = (db::now(), zone(&g));
    let weekday =
        crate::calendar::weekday_from(g.weekday).map(|d| d.to_string().to_lowercase()).unwrap_or_default();
    let page = GroupPage {
        tr,
        role: role.to_string(),
        csrf_token: csrf_of(auth),
        schedule: tr.args(
            "groups-schedule",
            &[
                ("day", &tr.word("weekdays", &weekday)),
                ("time", &g.local_time),
                ("zone", &g.time_zone),
                ("from", &g.start_date),
            ],
        ),
        group_status: g.status,
        moderator,
        language: tr.word("grid-language", &g.language),
        tags: g.tags().iter().map(|t| protocol.groups.tag_label(t, tr.lang())).collect(),
        members_line: tr.args(
            "group-members-value",
            &[("members", &all), ("capacity", &g.capacity), ("min", &g.min_size)],
        ),
        adequate_dose: adequate,
        roster,
        sessions: sessions
            .into_iter()
            .map(|s| {
                let (marked, owed) = progress.get(&s.id).copied().unwrap_or_default();
                let held = s.status != SessionStatus::Cancelled && s.starts_at <= now;
                SessionRow {
                    state: tr.t(match s.status {
                        SessionStatus::Cancelled => "groups-session-cancelled",
                        _ if held => "groups-session-held",
                        SessionStatus::Scheduled => "groups-session-scheduled",
                    }),
                    held,
                    cancelled: s.status == SessionStatus::Cancelled,
                    at: when(tr, tz, s.starts_at),
                    reason: s.status_reason,
                    id: s.id,
                    number: s.number,
                    marked,
                    owed,
                }
            })
            .collect(),
        records: Permission::ReadParticipants.allows(role),
        may_mark: Permission::RecordAttendance.allows(role),
        manage: Permission::ManageGroups.allows(role),
        forming: g.status == GroupStatus::Forming,
        meeting_url: g.meeting_url,
        id: g.id,
        name: g.name,
        notice,
        status: problems_status(&problems),
        problems,
        reason,
    };
    Ok(with_status(page.respond_to_html(), page.status))
}

/// A refused launch is 422; a page without problems, 200.
fn problems_status(p: &Problems) -> StatusCode {
    if p.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY }
}
