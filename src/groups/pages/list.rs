//! The groups list: for a moderator, their own groups, the sessions waiting for their attendance
//! and the next sessions, in each group's own zone; for coordinators and admins, every group, its
//! next session in the study's zone.

use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::{when, zone};
use crate::auth::{Auth, Permission, Role};
use crate::db;
use crate::error::AppError;
use crate::groups::attendance::{self, Session};
use crate::groups::{self, GroupStatus, SessionStatus};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::page::staff_or_return;
use crate::web::{RespondHtml, csrf_of};

/// A group as the list shows it.
struct Row {
    id: String,
    name: String,
    status: GroupStatus,
    members: usize,
    capacity: i32,
    language: String,
    tags: Vec<String>,
    moderator: String,
    next: Option<String>,
}

/// A session to act on or to come, in words, and where to go.
struct SessionLine {
    text: String,
    href: String,
}

#[derive(Template)]
#[template(path = "groups/list.html")]
struct ListPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    rows: Vec<Row>,
    to_mark: Vec<SessionLine>,
    upcoming: Vec<SessionLine>,
    /// Coordinators and admins form groups: links to the queue and a new group.
    manage: bool,
    /// The zone the list's next sessions are in (the study's), for staff who are not moderators.
    zone: String,
}

fn status_rank(s: GroupStatus) -> u8 {
    match s {
        GroupStatus::Active => 0,
        GroupStatus::Forming => 1,
        GroupStatus::Completed => 2,
    }
}

/// How many upcoming sessions a moderator's page lists.
const UPCOMING: usize = 6;

#[get("/groups")]
pub(super) async fn group_list(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ReadGroups);
    let (tr, role) = (auth.tr(), auth.user.role());
    let me = (role == Role::Moderator).then(|| auth.user.id.clone());
    let (found, protocol) = state
        .run(move |c| {
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            let mut found = Vec::new();
            for g in groups::list(c, me.as_deref())? {
                let members = groups::members_of(c, &g.id)?.len();
                let moderator =
                    crate::auth::users::find(c, &g.moderator_id)?.map(|u| u.display_name).unwrap_or_default();
                let sessions = attendance::sessions(c, &g.id)?;
                let progress = attendance::progress(c, &g)?;
                found.push((g, members, moderator, sessions, progress));
            }
            Ok((found, protocol))
        })
        .await?;
    let now = db::now();
    let study_zone = protocol.time_zone();
    let mut rows = Vec::new();
    let mut to_mark: Vec<(Session, SessionLine)> = Vec::new();
    let mut upcoming: Vec<(Session, SessionLine)> = Vec::new();
    for (g, members, moderator, sessions, progress) in found {
        let next = sessions.iter().find(|s| s.status == SessionStatus::Scheduled && s.starts_at >= now);
        // A moderator reads times in the group's zone, where they run it; the team in the study's.
        let shown_zone = if role == Role::Moderator { zone(&g) } else { study_zone };
        for s in &sessions {
            let (done, owed) = progress.get(&s.id).copied().unwrap_or_default();
            let at = when(tr, zone(&g), s.starts_at);
            let words: [(&'static str, &dyn std::fmt::Display); 5] =
                [("group", &g.name), ("number", &s.number), ("at", &at), ("marked", &done), ("owed", &owed)];
            if s.status == SessionStatus::Scheduled && s.starts_at <= now && done < owed {
                let text = tr.args("groups-to-mark-line", &words);
                to_mark
                    .push((s.clone(), SessionLine { text, href: format!("/sessions/{}/attendance", s.id) }));
            } else if s.status == SessionStatus::Scheduled && s.starts_at > now {
                let text = tr.args("groups-upcoming-line", &words[..3]);
                upcoming.push((s.clone(), SessionLine { text, href: format!("/groups/{}", g.id) }));
            }
        }
        let created = g.created_at;
        rows.push((
            Row {
                next: next.map(|s| when(tr, shown_zone, s.starts_at)),
                tags: g.tags().iter().map(|t| protocol.groups.tag_label(t, tr.lang())).collect(),
                language: tr.word("grid-language", &g.language),
                members,
                capacity: g.capacity,
                moderator,
                status: g.status,
                name: g.name,
                id: g.id,
            },
            created,
        ));
    }
    // Running groups first, then those forming, then the finished; the oldest first within each.
    rows.sort_by_key(|(r, created)| (status_rank(r.status), *created));
    let rows = rows.into_iter().map(|(r, _)| r).collect();
    to_mark.sort_by_key(|(s, _)| s.starts_at);
    upcoming.sort_by_key(|(s, _)| s.starts_at);
    upcoming.truncate(UPCOMING);
    let page = ListPage {
        tr,
        role: role.to_string(),
        csrf_token: csrf_of(&auth),
        rows,
        to_mark: to_mark.into_iter().map(|(_, l)| l).collect(),
        upcoming: if role == Role::Moderator {
            upcoming.into_iter().map(|(_, l)| l).collect()
        } else {
            Vec::new()
        },
        zone: protocol.study.time_zone.get_ref().clone(),
        manage: Permission::ManageGroups.allows(role),
    };
    Ok(page.respond_to_html())
}
