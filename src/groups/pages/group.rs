//! One group: what it is, its roster with each member's dose, and its sessions with how far
//! attendance has been recorded, each held session leading to its attendance form.

use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::{may_see, names, no_such_group, when, zone};
use crate::auth::{Auth, Permission};
use crate::db;
use crate::error::AppError;
use crate::groups::attendance::{self, Dose};
use crate::groups::{self, GroupStatus, SessionStatus};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::page::staff_or_return;
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
    status: GroupStatus,
    moderator: String,
    language: String,
    tags: Vec<String>,
    /// "Tuesdays at 18:30 (America/New_York), from 2031-02-11".
    schedule: String,
    /// "8 of 10 places (starts at 6)".
    members_line: String,
    adequate_dose: i64,
    roster: Vec<Member>,
    sessions: Vec<SessionRow>,
    /// Whether the reader may open a member's record (moderators may not).
    records: bool,
    may_mark: bool,
}

#[get("/groups/{id}")]
pub(super) async fn group(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ReadGroups);
    let (tr, role, ctx, scope) = (auth.tr(), auth.user.role(), auth.context(), auth.scope.clone());
    let id = path.into_inner();
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
            let mut doses = attendance::doses(c, &g.id, adequate)?;
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
            Ok(Some((g, all, roster, moderator, sessions, progress, adequate)))
        })
        .await?;
    let Some((g, all, roster, moderator, sessions, progress, adequate)) = found else {
        return Ok(no_such_group(&auth));
    };
    let (now, tz) = (db::now(), zone(&g));
    let weekday =
        crate::calendar::weekday_from(g.weekday).map(|d| d.to_string().to_lowercase()).unwrap_or_default();
    let page = GroupPage {
        tr,
        role: role.to_string(),
        csrf_token: csrf_of(&auth),
        schedule: tr.args(
            "groups-schedule",
            &[
                ("day", &tr.word("weekdays", &weekday)),
                ("time", &g.local_time),
                ("zone", &g.time_zone),
                ("from", &g.start_date),
            ],
        ),
        status: g.status,
        moderator,
        language: tr.word("language", &g.language),
        tags: g.tags().into_iter().map(|t| tr.word("tag", &t)).collect(),
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
        name: g.name,
    };
    Ok(page.respond_to_html())
}
