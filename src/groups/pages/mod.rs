//! The groups pages: the list of groups (a moderator's own, or every group), one group with its
//! roster, each member's dose and its sessions, and the attendance form of a session, read back
//! and corrected with a reason. Same services and rules as `groups::routes`.

mod actions;
mod attendance;
mod form;
mod group;
mod list;
mod queue;

use actix_web::{HttpResponse, web};
use chrono::{Datelike, NaiveDateTime};
use chrono_tz::Tz;

use super::Group;
use crate::auth::{Auth, Role};
use crate::i18n::Tr;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // `/groups/new` before `/groups/{id}`, so that it is not read as a group's id.
    cfg.service(list::group_list)
        .service(queue::queue)
        .service(queue::queue_placed)
        .service(form::new_form)
        .service(form::new_sent)
        .service(form::edit_form)
        .service(form::edit_sent)
        .service(group::group)
        .service(actions::launch)
        .service(actions::remove_form)
        .service(actions::remove_sent)
        .service(actions::session_form)
        .service(actions::moved)
        .service(actions::cancelled)
        .service(attendance::attendance_form)
        .service(attendance::attendance_sent);
}

/// A session's time as staff read it: weekday in the reader's language, date, time and the zone's
/// abbreviation (`Tuesday 2031-02-11 18:30 EST`).
pub(super) fn when(tr: Tr, tz: Tz, t: NaiveDateTime) -> String {
    let local = t.and_utc().with_timezone(&tz);
    let day = tr.word("weekday", &local.weekday().to_string().to_lowercase());
    format!("{day} {}", local.format("%Y-%m-%d %H:%M %Z"))
}

/// The zone a group meets in.
pub(super) fn zone(g: &Group) -> Tz {
    g.time_zone.parse().unwrap_or(chrono_tz::UTC)
}

/// Whether the reader may see this group: a moderator only their own.
pub(super) fn may_see(auth: &Auth, g: &Group) -> bool {
    auth.user.role() != Role::Moderator || g.moderator_id == auth.user.id
}

/// The page for a group that does not exist, or is another moderator's (the two look the same).
pub(super) fn no_such_group(auth: &Auth) -> HttpResponse {
    crate::web::not_found_page(auth, "group", "/groups", "Back to the groups")
}

/// The names of a group's members, for the people who meet them (moderators meet their group by
/// name, as the roster e-mail does). Names are contact details, so the read is audited: one entry
/// per page, naming the group and how many names it showed, never the names.
pub(super) fn names(
    c: &mut crate::db::DbConn,
    ctx: &crate::audit::Context,
    group_id: &str,
    members: &[String],
) -> diesel::QueryResult<std::collections::BTreeMap<String, String>> {
    let mut out = std::collections::BTreeMap::new();
    for pid in members {
        if let Some(k) = crate::enrolment::participants::contact(c, pid)? {
            out.insert(pid.clone(), k.full_name);
        }
    }
    if !out.is_empty() {
        crate::audit::append(
            c,
            ctx,
            crate::audit::Event {
                action: "read_roster",
                entity: "group",
                entity_id: group_id,
                changes: vec![crate::audit::Change::set("names_shown", out.len())],
                reason: None,
            },
        )?;
    }
    Ok(out)
}
