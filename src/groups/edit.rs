//! Changing a group after it was made (its name, moderator, places, meeting link, and while it is
//! still forming its language, affinity and schedule), and taking a member out of a group; each
//! with a reason, audited old → new. The checks a new group shares live here too.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveTime};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Group, GroupStatus, SessionStatus};
use crate::audit::{self, Change, Context, Event};
use crate::auth::Role;
use crate::db::schema::{group_members, support_groups};
use crate::db::{self, DbConn};
use crate::protocol::Protocol;
use crate::service_error::ServiceError;
use crate::sites::Scope;

/// A group's name: one line (it goes into e-mails and calendar feeds, where a line break starts a
/// new property), 1 to 100 characters.
pub fn name(raw: &str) -> Result<String, ServiceError> {
    let name = raw.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ServiceError::validation("name", "must be 1 to 100 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(ServiceError::validation(
            "name",
            "must be one line, without tabs or other control characters",
        ));
    }
    Ok(name)
}

/// A meeting link: an `https` (or `http`) address with a host; empty means none.
pub fn meeting_url(raw: &str) -> Result<Option<String>, ServiceError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match url::Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.host().is_some() && raw.len() <= 500 => {
            Ok(Some(u.to_string()))
        }
        _ => Err(ServiceError::validation(
            "meeting_url",
            "must be a web address such as https://meet.example.org/room",
        )),
    }
}

/// Affinity tags a group may carry: the protocol's.
pub fn tags(protocol: &Protocol, tags: &[String]) -> Result<(), ServiceError> {
    match tags.iter().find(|t| protocol.groups.tag(t).is_none()) {
        Some(t) => {
            let known: Vec<&str> =
                protocol.groups.affinity_tags.iter().map(|t| t.id.get_ref().as_str()).collect();
            let known = if known.is_empty() {
                "none: the protocol defines no affinity tags".to_owned()
            } else {
                known.join(", ")
            };
            Err(ServiceError::validation(
                "affinity_tags",
                format!("`{t}` is not one of the protocol's tags ({known})"),
            ))
        }
        None => Ok(()),
    }
}

/// The moderator of a group: an active moderator account.
pub fn moderator(c: &mut DbConn, id: &str) -> Result<(), ServiceError> {
    let found = crate::auth::users::find(c, id)?;
    if found.is_some_and(|m| m.role() == Role::Moderator && !m.disabled) {
        Ok(())
    } else {
        Err(ServiceError::validation("moderator_id", "must be the id of an active moderator account"))
    }
}

/// What to change on a group; a field left out stays as it is.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupChange {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: Option<String>,
    /// Another active moderator: the rosters of the sessions to come go to them.
    #[schema(min_length = 1)]
    pub moderator_id: Option<String>,
    /// At least the minimum to launch and the members it has; at most 50.
    #[schema(minimum = 1, maximum = 50)]
    pub capacity: Option<i32>,
    /// The video meeting's address; empty removes it.
    pub meeting_url: Option<String>,
    /// While the group has no members.
    pub language: Option<String>,
    /// While the group has no members.
    pub affinity_tags: Option<Vec<String>>,
    /// While the group is forming: Monday = 0 … Sunday = 6.
    #[schema(minimum = 0, maximum = 6)]
    pub weekday: Option<i32>,
    /// While the group is forming: `HH:MM`.
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub local_time: Option<String>,
    /// While the group is forming: an IANA zone.
    pub time_zone: Option<String>,
    /// While the group is forming: `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub start_date: Option<String>,
    /// Why (kept in the audit trail).
    // Absent reads as empty, which the service refuses naming the field (422), as it refuses a
    // blank one; the document still says the field is required.
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
}

/// Applies a change; returns the group as it now is. Nothing changes unless all of it is allowed.
pub fn update(
    conn: &mut DbConn,
    ctx: &Context,
    protocol: &Protocol,
    id: &str,
    change: &GroupChange,
) -> Result<Group, ServiceError> {
    let reason = change.reason.as_str();
    db::write_tx(conn, |c| {
        let old = super::find(c, id)?.ok_or_else(|| ServiceError::NotFound("group".into()))?;
        let mut g = old.clone();
        let members: i64 =
            group_members::table.filter(group_members::group_id.eq(id)).count().get_result(c)?;
        if let Some(n) = &change.name {
            g.name = name(n)?;
            if g.name != old.name && super::find_by_name(c, &g.name)?.is_some() {
                return Err(ServiceError::conflict("name_taken", "a group with this name exists"));
            }
        }
        if let Some(m) = &change.moderator_id {
            moderator(c, m)?;
            g.moderator_id = m.clone();
        }
        if let Some(n) = change.capacity {
            let least = i64::from(g.min_size).max(members);
            if i64::from(n) < least || n > 50 {
                return Err(ServiceError::validation(
                    "capacity",
                    format!("must be {least} to 50 (the minimum to launch, and the members it has)"),
                ));
            }
            g.capacity = n;
        }
        if let Some(u) = &change.meeting_url {
            g.meeting_url = meeting_url(u)?;
        }
        let membership = change.language.is_some() || change.affinity_tags.is_some();
        if membership
            && members > 0
            && (change.language.as_ref().is_some_and(|l| *l != old.language)
                || change
                    .affinity_tags
                    .as_ref()
                    .is_some_and(|t| t.iter().cloned().collect::<BTreeSet<_>>() != old.tags()))
        {
            return Err(ServiceError::conflict(
                "has_members",
                "a group's language and affinity are fixed once it has members: move them first",
            ));
        }
        if let Some(l) = &change.language {
            if !protocol.study.languages.get_ref().iter().any(|x| x.get_ref() == l) {
                return Err(ServiceError::validation("language", "must be one of the study's languages"));
            }
            g.language = l.clone();
        }
        if let Some(t) = &change.affinity_tags {
            tags(protocol, t)?;
            let set: BTreeSet<&String> = t.iter().collect();
            g.affinity_tags = serde_json::to_string(&set).unwrap_or_else(|_| "[]".into());
        }
        schedule(&mut g, change)?;
        if g.status != GroupStatus::Forming
            && (g.weekday, &g.local_time, &g.time_zone, &g.start_date)
                != (old.weekday, &old.local_time, &old.time_zone, &old.start_date)
        {
            return Err(ServiceError::conflict(
                "already_launched",
                "a running group's sessions are moved one at a time",
            ));
        }
        let changes = differences(&old, &g);
        if changes.is_empty() {
            return Ok(g);
        }
        diesel::update(support_groups::table.find(id))
            .set((
                support_groups::name.eq(&g.name),
                support_groups::moderator_id.eq(&g.moderator_id),
                support_groups::capacity.eq(g.capacity),
                support_groups::meeting_url.eq(&g.meeting_url),
                support_groups::language.eq(&g.language),
                support_groups::affinity_tags.eq(&g.affinity_tags),
                support_groups::weekday.eq(g.weekday),
                support_groups::local_time.eq(&g.local_time),
                support_groups::time_zone.eq(&g.time_zone),
                support_groups::start_date.eq(&g.start_date),
            ))
            .execute(c)?;
        if g.moderator_id != old.moderator_id {
            // A departed moderator's sessions must not go silent: the rosters to come follow.
            for s in
                super::attendance::sessions(c, id)?.iter().filter(|s| s.status == SessionStatus::Scheduled)
            {
                crate::outbox::readdress(c, &format!("roster:{}", s.id), &g.moderator_id)?;
            }
        }
        audit::append(
            c,
            ctx,
            Event { action: "update", entity: "group", entity_id: id, changes, reason: Some(reason) },
        )?;
        Ok(g)
    })
}

/// The schedule fields of a change, checked and applied.
fn schedule(g: &mut Group, change: &GroupChange) -> Result<(), ServiceError> {
    if let Some(d) = change.weekday {
        if crate::calendar::weekday_from(d).is_none() {
            return Err(ServiceError::validation("weekday", "must be 0 (Monday) to 6 (Sunday)"));
        }
        g.weekday = d;
    }
    if let Some(t) = &change.local_time {
        let t = NaiveTime::parse_from_str(t, "%H:%M")
            .map_err(|_| ServiceError::validation("local_time", "must be HH:MM"))?;
        g.local_time = t.format("%H:%M").to_string();
    }
    if let Some(z) = &change.time_zone {
        z.parse::<chrono_tz::Tz>().map_err(|_| {
            ServiceError::validation("time_zone", "must be an IANA time zone such as America/Chicago")
        })?;
        g.time_zone = z.clone();
    }
    if let Some(d) = &change.start_date {
        NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| ServiceError::validation("start_date", "must be YYYY-MM-DD"))?;
        g.start_date = d.clone();
    }
    Ok(())
}

/// Each field that differs, old → new.
fn differences(old: &Group, new: &Group) -> Vec<Change> {
    let mut out = Vec::new();
    let mut field = |name: &str, a: String, b: String| {
        if a != b {
            out.push(Change::update(name, a, b));
        }
    };
    field("name", old.name.clone(), new.name.clone());
    field("moderator_id", old.moderator_id.clone(), new.moderator_id.clone());
    field("capacity", old.capacity.to_string(), new.capacity.to_string());
    field(
        "meeting_url",
        old.meeting_url.clone().unwrap_or_default(),
        new.meeting_url.clone().unwrap_or_default(),
    );
    field("language", old.language.clone(), new.language.clone());
    field("affinity_tags", old.affinity_tags.clone(), new.affinity_tags.clone());
    let when =
        |g: &Group| format!("weekday {} {} {} from {}", g.weekday, g.local_time, g.time_zone, g.start_date);
    field("schedule", when(old), when(new));
    out
}

/// Takes a participant out of their group, with a reason: they are back in the queue for
/// another, and their session reminders stop. Attendance already recorded stays.
pub fn remove_member(
    conn: &mut DbConn,
    ctx: &Context,
    participant_id: &str,
    reason: &str,
) -> Result<Group, ServiceError> {
    db::write_tx(conn, |c| {
        let p = crate::enrolment::participants::find(c, &Scope::All, participant_id)?
            .ok_or_else(|| ServiceError::NotFound("participant".into()))?;
        let group_id: String = group_members::table
            .find(&p.id)
            .select(group_members::group_id)
            .first(c)
            .optional()?
            .ok_or_else(|| {
                ServiceError::conflict("not_in_group", format!("{} is not in a group", p.study_id))
            })?;
        let group = super::find(c, &group_id)?.ok_or_else(|| ServiceError::NotFound("group".into()))?;
        if group.status == GroupStatus::Completed {
            return Err(ServiceError::conflict(
                "group_completed",
                "a completed group's members stay as they were",
            ));
        }
        diesel::delete(group_members::table.find(&p.id)).execute(c)?;
        crate::outbox::cancel_to_participant(
            c,
            &p.id,
            Some(crate::outbox::Kind::SessionReminder),
            "left the group",
        )?;
        audit::append(
            c,
            ctx,
            Event {
                action: "leave_group",
                entity: "participant",
                entity_id: &p.id,
                changes: vec![Change::update("group_id", &group.id, None::<String>)],
                reason: Some(reason),
            },
        )?;
        Ok(group)
    })
}
