//! Sessions after launch (reschedule, cancel, calendars) and attendance, with the dose it gives.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Group, enter_phase};
use super::{GroupStatus, PhaseKind, Presence, SessionStatus};
use crate::audit::{self, Change, Context, Event};
use crate::db::schema::{attendance, group_members, group_sessions, support_groups};
use crate::db::{self, DbConn};
use crate::service_error::ServiceError;

/// A stored session.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = group_sessions)]
pub struct Session {
    pub id: String,
    pub group_id: String,
    pub number: i32,
    /// Start, UTC.
    #[serde(serialize_with = "crate::json::utc")]
    pub starts_at: NaiveDateTime,
    pub minutes: i32,
    /// `scheduled` or `cancelled`.
    #[schema(value_type = String)]
    pub status: SessionStatus,
    pub status_reason: Option<String>,
}

/// A group's sessions in order.
pub fn sessions(conn: &mut DbConn, group_id: &str) -> QueryResult<Vec<Session>> {
    group_sessions::table
        .filter(group_sessions::group_id.eq(group_id))
        .order(group_sessions::number.asc())
        .select(Session::as_select())
        .load(conn)
}

/// One session with its group.
pub fn session(conn: &mut DbConn, id: &str) -> Result<(Session, Group), ServiceError> {
    group_sessions::table
        .inner_join(support_groups::table)
        .filter(group_sessions::id.eq(id))
        .select((Session::as_select(), Group::as_select()))
        .first(conn)
        .optional()?
        .ok_or_else(|| ServiceError::NotFound("session".into()))
}

/// A moderator's sessions (every group's when `moderator` is `None`), with group names.
pub fn calendar(conn: &mut DbConn, moderator: Option<&str>) -> QueryResult<Vec<(Session, Group)>> {
    let mut q = group_sessions::table
        .inner_join(support_groups::table)
        .select((Session::as_select(), Group::as_select()))
        .order(group_sessions::starts_at.asc())
        .into_boxed();
    if let Some(m) = moderator {
        q = q.filter(support_groups::moderator_id.eq(m.to_owned()));
    }
    q.load(conn)
}

/// Moves a session to a new start (UTC), with a reason.
pub fn reschedule(
    conn: &mut DbConn,
    ctx: &Context,
    id: &str,
    starts_at: NaiveDateTime,
    reason: &str,
) -> Result<Session, ServiceError> {
    db::write_tx(conn, |c| {
        let (mut s, _) = session(c, id)?;
        if s.status == SessionStatus::Cancelled {
            return Err(ServiceError::conflict("cancelled", "a cancelled session cannot be moved"));
        }
        diesel::update(group_sessions::table.find(id))
            .set((group_sessions::starts_at.eq(starts_at), group_sessions::status_reason.eq(reason)))
            .execute(c)?;
        let (_, group) = session(c, id)?;
        let tz: chrono_tz::Tz = group.time_zone.parse().unwrap_or(chrono_tz::UTC);
        crate::outbox::reschedule(c, &format!("reminder:{id}:"), crate::outbox::reminder_due(starts_at, tz))?;
        crate::outbox::reschedule(c, &format!("roster:{id}"), starts_at - chrono::Duration::hours(24))?;
        audit::append(
            c,
            ctx,
            Event {
                action: "reschedule",
                entity: "session",
                entity_id: id,
                changes: vec![Change::update("starts_at", s.starts_at, starts_at)],
                reason: Some(reason),
            },
        )?;
        let before = std::mem::replace(&mut s.starts_at, starts_at);
        s.status_reason = Some(reason.to_owned());
        tell(c, &s, &group, before)?;
        Ok(s)
    })
}

/// Cancels a session, with a reason; it no longer counts as delivered.
pub fn cancel(conn: &mut DbConn, ctx: &Context, id: &str, reason: &str) -> Result<Session, ServiceError> {
    db::write_tx(conn, |c| {
        let (mut s, _) = session(c, id)?;
        if s.status == SessionStatus::Cancelled {
            return Ok(s);
        }
        diesel::update(group_sessions::table.find(id))
            .set((
                group_sessions::status.eq(SessionStatus::Cancelled),
                group_sessions::status_reason.eq(reason),
            ))
            .execute(c)?;
        crate::outbox::cancel(c, &format!("reminder:{id}:"), "session cancelled")?;
        crate::outbox::cancel(c, &format!("roster:{id}"), "session cancelled")?;
        let (_, group) = session(c, id)?;
        audit::append(
            c,
            ctx,
            Event {
                action: "cancel",
                entity: "session",
                entity_id: id,
                changes: vec![Change::update("status", s.status, SessionStatus::Cancelled)],
                reason: Some(reason),
            },
        )?;
        complete_if_done(c, ctx, &group)?;
        s.status = SessionStatus::Cancelled;
        s.status_reason = Some(reason.to_owned());
        tell(c, &s, &group, s.starts_at)?;
        Ok(s)
    })
}

/// Tells the members whose session it is, still in the study, that it moved or was cancelled.
fn tell(c: &mut DbConn, s: &Session, group: &Group, before: NaiveDateTime) -> QueryResult<()> {
    let members: Vec<String> =
        roster(c, group, s)?.into_iter().filter(|l| !l.withdrawn).map(|l| l.participant_id).collect();
    let change = super::notices::Change {
        session_id: &s.id,
        starts_at: s.starts_at,
        before,
        cancelled: s.status == SessionStatus::Cancelled,
    };
    super::notices::session_changed(c, &change, &members)
}

/// One participant's attendance at a session.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Mark {
    #[schema(min_length = 1)]
    pub participant_id: String,
    pub status: Presence,
    /// Minutes attended (present only; at most the session's length).
    #[schema(minimum = 0)]
    pub minutes: Option<i32>,
}

/// Records attendance for a session of the group. Changing a mark already recorded is a
/// correction and needs a reason.
pub fn record(
    conn: &mut DbConn,
    ctx: &Context,
    session_id: &str,
    marks: &[Mark],
    reason: Option<&str>,
) -> Result<usize, ServiceError> {
    db::write_tx(conn, |c| {
        let (s, group) = session(c, session_id)?;
        if s.status == SessionStatus::Cancelled {
            return Err(ServiceError::conflict(
                "cancelled",
                "attendance cannot be recorded for a cancelled session",
            ));
        }
        if s.starts_at > db::now() {
            return Err(ServiceError::conflict(
                "not_yet_held",
                "attendance can be recorded once the session has started",
            ));
        }
        let members: Vec<String> = group_members::table
            .filter(group_members::group_id.eq(&group.id))
            .select(group_members::participant_id)
            .load(c)?;
        let user = ctx.actor.recorder();
        for (i, m) in marks.iter().enumerate() {
            if !members.contains(&m.participant_id) {
                return Err(ServiceError::validation(
                    format!("marks[{i}].participant_id"),
                    "is not a member of this group",
                ));
            }
            let minutes = match (m.status, m.minutes) {
                (Presence::Present, Some(n)) if (0..=s.minutes).contains(&n) => Some(n),
                (Presence::Present, None) => Some(s.minutes),
                (Presence::Present, Some(_)) => {
                    return Err(ServiceError::validation(
                        format!("marks[{i}].minutes"),
                        format!("must be 0 to {}", s.minutes),
                    ));
                }
                (_, Some(_)) => {
                    return Err(ServiceError::validation(
                        format!("marks[{i}].minutes"),
                        "applies to present only",
                    ));
                }
                (_, None) => None,
            };
            let previous: Option<(Presence, Option<i32>)> = attendance::table
                .find((session_id, &m.participant_id))
                .select((attendance::status, attendance::minutes))
                .first(c)
                .optional()?;
            let status = m.status;
            match &previous {
                None => {
                    diesel::insert_into(attendance::table)
                        .values((
                            attendance::session_id.eq(session_id),
                            attendance::participant_id.eq(&m.participant_id),
                            attendance::status.eq(&status),
                            attendance::minutes.eq(minutes),
                            attendance::recorded_by.eq(&user),
                            attendance::recorded_at.eq(db::now()),
                        ))
                        .execute(c)?;
                }
                Some((old_status, old_minutes)) if *old_status == status && *old_minutes == minutes => {
                    continue;
                }
                Some(_) if reason.is_none() => {
                    return Err(ServiceError::validation(
                        "reason",
                        "changing attendance already recorded is a correction: say why",
                    ));
                }
                Some(_) => {
                    diesel::update(attendance::table.find((session_id, &m.participant_id)))
                        .set((
                            attendance::status.eq(&status),
                            attendance::minutes.eq(minutes),
                            attendance::recorded_by.eq(&user),
                            attendance::recorded_at.eq(db::now()),
                        ))
                        .execute(c)?;
                }
            }
            audit::append(
                c,
                ctx,
                Event {
                    action: if previous.is_some() { "correct_attendance" } else { "record_attendance" },
                    entity: "session",
                    entity_id: session_id,
                    changes: vec![Change::update(
                        &format!("attendance.{}", m.participant_id),
                        previous.as_ref().map(|p| &p.0),
                        status,
                    )],
                    reason,
                },
            )?;
        }
        complete_if_done(c, ctx, &group)?;
        Ok(marks.len())
    })
}

/// When every session is cancelled or has attendance for every member who owes one, the group
/// has finished and its members enter follow-up the day after the last session. A member who
/// withdrew owes none: otherwise one withdrawal would hold the group open for good, and its
/// members would never reach follow-up.
fn complete_if_done(c: &mut DbConn, ctx: &Context, group: &Group) -> QueryResult<bool> {
    let all = sessions(c, &group.id)?;
    let members = member_joins(c, group)?;
    let marked: Vec<(String, String)> = attendance::table
        .inner_join(group_sessions::table)
        .filter(group_sessions::group_id.eq(&group.id))
        .select((attendance::session_id, attendance::participant_id))
        .load(c)?;
    let done = all.iter().all(|s| {
        s.status == SessionStatus::Cancelled
            || members
                .iter()
                .filter(|m| m.owes_mark(s))
                .all(|m| marked.contains(&(s.id.clone(), m.participant_id.clone())))
    });
    let current: GroupStatus =
        support_groups::table.find(&group.id).select(support_groups::status).first(c)?;
    if !done || current == GroupStatus::Completed {
        return Ok(false);
    }
    let tz: chrono_tz::Tz = group.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let last = all.iter().filter(|s| s.status != SessionStatus::Cancelled).map(|s| s.starts_at).max();
    if let Some(last) = last {
        let day =
            chrono::DateTime::<Utc>::from_naive_utc_and_offset(last, Utc).with_timezone(&tz).date_naive()
                + chrono::Duration::days(1);
        // Someone who withdrew has no follow-up to enter.
        for m in members.iter().filter(|m| m.withdrawn_at.is_none()) {
            enter_phase(c, &m.participant_id, PhaseKind::FollowUp, day)?;
        }
    }
    diesel::update(support_groups::table.find(&group.id))
        .set(support_groups::status.eq(GroupStatus::Completed))
        .execute(c)?;
    audit::append(
        c,
        ctx,
        Event {
            action: "complete",
            entity: "group",
            entity_id: &group.id,
            changes: vec![Change::update("status", current, GroupStatus::Completed)],
            reason: None,
        },
    )?;
    Ok(true)
}

/// Completes every running group that has all it needs: the scheduler's pass. Recording
/// attendance and cancelling a session complete a group at once; this catches the rest, chiefly a
/// member's withdrawal (withdrawal sits below groups, so it cannot call up here), after which the
/// marks they lacked are no longer owed. Returns how many groups completed.
pub fn settle(c: &mut DbConn, ctx: &Context) -> QueryResult<usize> {
    let running: Vec<Group> = support_groups::table
        .filter(support_groups::status.eq(GroupStatus::Active))
        .select(Group::as_select())
        .load(c)?;
    let mut completed = 0;
    for g in running {
        if db::write_tx(c, |c| complete_if_done(c, ctx, &g))? {
            completed += 1;
        }
    }
    Ok(completed)
}

/// A member, when they joined, and when they withdrew from the study.
pub(super) struct Join {
    pub(super) participant_id: String,
    pub(super) study_id: String,
    joined_at: NaiveDateTime,
    founding: bool,
    withdrawn_at: Option<NaiveDateTime>,
}

impl Join {
    /// Whether a session is one of this member's: founding members (placed before launch) have
    /// them all; someone who joined later, those that start after they joined.
    pub(super) fn counts(&self, s: &Session) -> bool {
        self.founding || s.starts_at >= self.joined_at
    }

    /// Whether attendance must be recorded for this member at a session before the group can
    /// complete: one of theirs, while they are in the study. Once someone withdraws, the marks
    /// they lack stay missing (their dose counts them as not attended) but hold nothing up: a
    /// person who stopped coming weeks before saying so is common.
    fn owes_mark(&self, s: &Session) -> bool {
        self.counts(s) && self.withdrawn_at.is_none()
    }
}

pub(super) fn member_joins(c: &mut DbConn, group: &Group) -> QueryResult<Vec<Join>> {
    let rows: Vec<(String, String, NaiveDateTime, Option<NaiveDateTime>)> = group_members::table
        .inner_join(db::schema::participants::table)
        .filter(group_members::group_id.eq(&group.id))
        .select((
            group_members::participant_id,
            db::schema::participants::study_id,
            group_members::joined_at,
            db::schema::participants::withdrawn_at,
        ))
        .order(db::schema::participants::number.asc())
        .load(c)?;
    let launched: Option<NaiveDateTime> =
        support_groups::table.find(&group.id).select(support_groups::launched_at).first(c)?;
    Ok(rows
        .into_iter()
        .map(|(participant_id, study_id, joined_at, withdrawn_at)| Join {
            founding: launched.is_none_or(|l| joined_at <= l),
            participant_id,
            study_id,
            joined_at,
            withdrawn_at,
        })
        .collect())
}

/// A member as a session's attendance form lists them.
#[derive(Debug, Clone)]
pub struct RosterLine {
    pub participant_id: String,
    pub study_id: String,
    pub withdrawn: bool,
    /// The mark recorded, if any: presence and minutes.
    pub mark: Option<(Presence, Option<i32>)>,
}

/// The members whose session this is (founding members, and those who joined before it), by
/// study number, with the marks recorded.
pub fn roster(c: &mut DbConn, group: &Group, session: &Session) -> QueryResult<Vec<RosterLine>> {
    let marks: Vec<(String, Presence, Option<i32>)> = attendance::table
        .filter(attendance::session_id.eq(&session.id))
        .select((attendance::participant_id, attendance::status, attendance::minutes))
        .load(c)?;
    Ok(member_joins(c, group)?
        .into_iter()
        .filter(|m| m.counts(session))
        .map(|m| RosterLine {
            mark: marks.iter().find(|(p, _, _)| *p == m.participant_id).map(|(_, s, n)| (*s, *n)),
            withdrawn: m.withdrawn_at.is_some(),
            participant_id: m.participant_id,
            study_id: m.study_id,
        })
        .collect())
}

/// For each session of the group, by id: the marks recorded, and how many members owe one.
pub fn progress(
    c: &mut DbConn,
    group: &Group,
) -> QueryResult<std::collections::BTreeMap<String, (usize, usize)>> {
    let members = member_joins(c, group)?;
    let marked: Vec<(String, String)> = attendance::table
        .inner_join(group_sessions::table)
        .filter(group_sessions::group_id.eq(&group.id))
        .select((attendance::session_id, attendance::participant_id))
        .load(c)?;
    Ok(sessions(c, &group.id)?
        .into_iter()
        .map(|s| {
            let done = marked.iter().filter(|(sid, _)| *sid == s.id).count();
            let owed = members.iter().filter(|m| m.owes_mark(&s)).count();
            (s.id, (done, owed))
        })
        .collect())
}
