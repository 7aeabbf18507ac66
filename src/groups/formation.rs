//! Forming groups from the queue: a proposed assignment that respects capacity, language and
//! affinity tags and serves the longest-waiting first; accepting it (as proposed or edited);
//! moves with a reason; launching, which creates the sessions.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Group, Phase, Waiting, enter_phase, queue, queue_date};
use super::{GroupStatus, PhaseKind, SessionStatus};
use crate::audit::{self, Change, Context, Event};
use crate::calendar;
use crate::db::schema::{allocations, group_members, group_sessions, support_groups};
use crate::db::{self, DbConn};
use crate::enrolment::participants;
use crate::protocol::Protocol;
use crate::service_error::ServiceError;
use crate::sites::Scope;

/// One participant placed in one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Assignment {
    pub participant_id: String,
    pub group_id: String,
}

/// A proposed assignment of the queue, and who could not be placed (a new group is needed).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Proposal {
    pub assignments: Vec<Assignment>,
    pub unplaced: Vec<Waiting>,
}

/// Why `participant` cannot join `group`, if they cannot.
pub fn misfit(group: &Group, w: &Waiting, size: i32) -> Option<String> {
    if group.status == GroupStatus::Completed {
        Some(format!("{} has finished", group.name))
    } else if group.arm_id != w.arm_id {
        Some(format!("{} is in arm {}, {} in {}", group.name, group.arm_id, w.study_id, w.arm_id))
    } else if group.language != w.language {
        Some(format!("{} meets in {}, {} prefers {}", group.name, group.language, w.study_id, w.language))
    } else if !group.tags().iter().all(|t| w.tags.contains(t)) {
        Some(format!("{} is for {:?}", group.name, group.tags()))
    } else if size >= group.capacity {
        Some(format!("{} is full ({} of {})", group.name, size, group.capacity))
    } else {
        None
    }
}

/// Proposes places for everyone waiting, longest wait first. Among the groups that fit, the most
/// specific (most affinity tags) comes first, then the one closest to launching, so groups fill
/// and start rather than many half-empty ones waiting.
pub fn propose(conn: &mut DbConn, protocol: &Protocol, today: NaiveDate) -> QueryResult<Proposal> {
    let waiting = queue(conn, protocol, today)?;
    let groups: Vec<Group> =
        super::list(conn, None)?.into_iter().filter(|g| g.status.takes_members()).collect();
    let mut sizes: BTreeMap<String, i32> =
        super::members(conn)?.into_iter().map(|(g, m)| (g, m.len() as i32)).collect();
    let (mut assignments, mut unplaced) = (Vec::new(), Vec::new());
    for w in waiting {
        let best = groups
            .iter()
            .filter(|g| misfit(g, &w, sizes.get(&g.id).copied().unwrap_or(0)).is_none())
            .max_by_key(|g| {
                let size = sizes.get(&g.id).copied().unwrap_or(0);
                (g.tags().len(), (g.status == GroupStatus::Forming) && size < g.min_size, size)
            });
        match best {
            Some(g) => {
                *sizes.entry(g.id.clone()).or_default() += 1;
                assignments
                    .push(Assignment { participant_id: w.participant_id.clone(), group_id: g.id.clone() });
            }
            None => unplaced.push(w),
        }
    }
    Ok(Proposal { assignments, unplaced })
}

/// Places participants in groups (a proposal as accepted or edited). Each must be waiting and
/// fit the group; groups that reach their minimum launch. All or nothing.
pub fn assign(
    conn: &mut DbConn,
    ctx: &Context,
    protocol: &Protocol,
    today: NaiveDate,
    assignments: &[Assignment],
) -> Result<Vec<Group>, ServiceError> {
    db::write_tx(conn, |c| {
        let waiting: BTreeMap<String, Waiting> =
            queue(c, protocol, today)?.into_iter().map(|w| (w.participant_id.clone(), w)).collect();
        let mut sizes: BTreeMap<String, i32> =
            super::members(c)?.into_iter().map(|(g, m)| (g, m.len() as i32)).collect();
        let mut touched = BTreeMap::new();
        for (i, a) in assignments.iter().enumerate() {
            let field = format!("assignments[{i}]");
            let w = waiting.get(&a.participant_id).ok_or_else(|| ServiceError::conflict("not_waiting",
                format!("{field}: participant {} is not waiting for a group (not allocated, already placed, withdrawn, or still on the waitlist)", a.participant_id)))?;
            let group = super::find(c, &a.group_id)?.ok_or_else(|| {
                ServiceError::validation(format!("{field}.group_id"), "no group has this id")
            })?;
            let size = sizes.get(&group.id).copied().unwrap_or(0);
            if let Some(why) = misfit(&group, w, size) {
                return Err(ServiceError::conflict("does_not_fit", format!("{field}: {why}")));
            }
            join(c, ctx, &group, w, None)?;
            *sizes.entry(group.id.clone()).or_default() += 1;
            touched
                .entry(group.id.clone())
                .or_insert_with(|| (group, Vec::new()))
                .1
                .push(w.participant_id.clone());
        }
        let mut launched = Vec::new();
        for (id, (group, joined)) in touched {
            if group.status == GroupStatus::Forming && sizes.get(&id).copied().unwrap_or(0) >= group.min_size
            {
                launched.push(launch_in_tx(c, ctx, protocol, &group, None)?);
            } else if group.status == GroupStatus::Active
                && let Some(day) = next_session_day(c, &group)?
            {
                // Back-fill: someone joining a running group starts with its next session.
                for pid in &joined {
                    enter_phase(c, pid, PhaseKind::InGroup, day)?;
                }
                enqueue_session_messages(c, &group, &joined)?;
                super::notices::group_ready(c, &group, &joined)?;
            }
        }
        Ok(launched)
    })
}

fn join(
    c: &mut DbConn,
    ctx: &Context,
    group: &Group,
    w: &Waiting,
    reason: Option<&str>,
) -> Result<(), ServiceError> {
    diesel::insert_into(group_members::table)
        .values((
            group_members::participant_id.eq(&w.participant_id),
            group_members::group_id.eq(&group.id),
            group_members::joined_at.eq(db::now()),
        ))
        .execute(c)?;
    enter_phase(c, &w.participant_id, PhaseKind::Queued, w.queued_on)?;
    audit::append(
        c,
        ctx,
        Event {
            action: "join_group",
            entity: "participant",
            entity_id: &w.participant_id,
            changes: vec![Change::set("group_id", &group.id)],
            reason,
        },
    )?;
    Ok(())
}

fn next_session_day(c: &mut DbConn, group: &Group) -> QueryResult<Option<NaiveDate>> {
    let tz: chrono_tz::Tz = group.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let next: Option<chrono::NaiveDateTime> = group_sessions::table
        .filter(group_sessions::group_id.eq(&group.id))
        .filter(group_sessions::starts_at.ge(db::now()))
        .filter(group_sessions::status.eq(SessionStatus::Scheduled))
        .select(group_sessions::starts_at)
        .order(group_sessions::starts_at.asc())
        .first(c)
        .optional()?;
    Ok(next.map(|t| {
        chrono::DateTime::<chrono::Utc>::from_naive_utc_and_offset(t, chrono::Utc)
            .with_timezone(&tz)
            .date_naive()
    }))
}

/// Moves a participant to another group, with a reason (audited).
pub fn move_member(
    conn: &mut DbConn,
    ctx: &Context,
    participant_id: &str,
    to_group: &str,
    reason: &str,
) -> Result<(), ServiceError> {
    db::write_tx(conn, |c| {
        let p = participants::find(c, &Scope::All, participant_id)?
            .ok_or_else(|| ServiceError::NotFound("participant".into()))?;
        let from: String = group_members::table
            .find(&p.id)
            .select(group_members::group_id)
            .first(c)
            .optional()?
            .ok_or_else(|| {
                ServiceError::conflict("not_in_group", format!("{} is not in a group", p.study_id))
            })?;
        let group = super::find(c, to_group)?
            .ok_or_else(|| ServiceError::validation("group_id", "no group has this id"))?;
        let arm: String = allocations::table.find(&p.id).select(allocations::arm_id).first(c)?;
        let (protocol, _) = crate::protocol::store::current_parsed(c)?;
        let size: i64 =
            group_members::table.filter(group_members::group_id.eq(&group.id)).count().get_result(c)?;
        let w = Waiting {
            participant_id: p.id.clone(),
            study_id: p.study_id.clone(),
            arm_id: arm,
            language: p.preferred_language.clone(),
            tags: super::participant_tags(&protocol, &p).into_iter().collect(),
            queued_on: db::now().date(),
        };
        if let Some(why) = misfit(&group, &w, size as i32) {
            return Err(ServiceError::conflict("does_not_fit", why));
        }
        diesel::update(group_members::table.find(&p.id))
            .set((group_members::group_id.eq(&group.id), group_members::joined_at.eq(db::now())))
            .execute(c)?;
        crate::outbox::cancel_to_participant(
            c,
            &p.id,
            Some(crate::outbox::Kind::SessionReminder),
            "moved to another group",
        )?;
        if group.status == GroupStatus::Active {
            enqueue_session_messages(c, &group, std::slice::from_ref(&p.id))?;
            super::notices::group_ready(c, &group, std::slice::from_ref(&p.id))?;
            if let Some(day) = next_session_day(c, &group)? {
                enter_phase(c, &p.id, PhaseKind::InGroup, day)?;
            }
        }
        audit::append(
            c,
            ctx,
            Event {
                action: "move_group",
                entity: "participant",
                entity_id: &p.id,
                changes: vec![Change::update("group_id", &from, &group.id)],
                reason: Some(reason),
            },
        )?;
        Ok(())
    })
}

/// Launches a forming group now (a coordinator's decision below the minimum needs a reason).
pub fn launch(
    conn: &mut DbConn,
    ctx: &Context,
    protocol: &Protocol,
    group_id: &str,
    reason: Option<&str>,
) -> Result<Group, ServiceError> {
    db::write_tx(conn, |c| {
        let group = super::find(c, group_id)?.ok_or_else(|| ServiceError::NotFound("group".into()))?;
        if group.status != GroupStatus::Forming {
            return Err(ServiceError::conflict(
                "already_launched",
                format!("{} is {}", group.name, group.status),
            ));
        }
        let size: i64 =
            group_members::table.filter(group_members::group_id.eq(&group.id)).count().get_result(c)?;
        if size == 0 {
            return Err(ServiceError::conflict("empty_group", format!("{} has no members", group.name)));
        }
        if size < i64::from(group.min_size) && reason.is_none() {
            return Err(ServiceError::validation(
                "reason",
                format!(
                    "{} has {size} of the {} members needed; say why it should start anyway",
                    group.name, group.min_size
                ),
            ));
        }
        launch_in_tx(c, ctx, protocol, &group, reason)
    })
}

fn launch_in_tx(
    c: &mut DbConn,
    ctx: &Context,
    protocol: &Protocol,
    group: &Group,
    reason: Option<&str>,
) -> Result<Group, ServiceError> {
    let tz: chrono_tz::Tz =
        group.time_zone.parse().map_err(|_| ServiceError::Internal(anyhow::anyhow!("bad stored zone")))?;
    let weekday = calendar::weekday_from(group.weekday)
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("bad stored weekday")))?;
    let time = NaiveTime::parse_from_str(&group.local_time, "%H:%M")
        .map_err(|e| ServiceError::Internal(e.into()))?;
    let start = NaiveDate::parse_from_str(&group.start_date, "%Y-%m-%d")
        .map_err(|e| ServiceError::Internal(e.into()))?;
    // Never schedule in the past: a group launched after its start date (or on its weekday
    // after its hour) begins with the next slot still ahead.
    let sessions = *protocol.groups.sessions.get_ref() as u32;
    let minutes = *protocol.groups.session_minutes.get_ref() as i32;
    let interval = *protocol.groups.interval_days.get_ref();
    let mut start = start.max(protocol.today());
    let mut times = calendar::schedule(start, weekday, time, tz, sessions, interval);
    if times.first().is_some_and(|t| t.naive_utc() <= db::now()) {
        start += chrono::Duration::days(1);
        times = calendar::schedule(start, weekday, time, tz, sessions, interval);
    }
    for (i, t) in times.iter().enumerate() {
        diesel::insert_into(group_sessions::table)
            .values((
                group_sessions::id.eq(uuid::Uuid::now_v7().to_string()),
                group_sessions::group_id.eq(&group.id),
                group_sessions::number.eq(i as i32 + 1),
                group_sessions::starts_at.eq(t.naive_utc()),
                group_sessions::minutes.eq(minutes),
                group_sessions::status.eq(SessionStatus::Scheduled),
            ))
            .execute(c)?;
    }
    let now = db::now();
    diesel::update(support_groups::table.find(&group.id))
        .set((support_groups::status.eq(GroupStatus::Active), support_groups::launched_at.eq(now)))
        .execute(c)?;
    let first_day = times.first().map(|t| t.with_timezone(&tz).date_naive()).unwrap_or(start);
    let members_now: Vec<String> = group_members::table
        .filter(group_members::group_id.eq(&group.id))
        .select(group_members::participant_id)
        .load(c)?;
    enqueue_session_messages(c, group, &members_now)?;
    super::notices::group_ready(c, group, &members_now)?;
    let members: Vec<String> = group_members::table
        .filter(group_members::group_id.eq(&group.id))
        .select(group_members::participant_id)
        .load(c)?;
    for pid in &members {
        enter_phase(c, pid, PhaseKind::InGroup, first_day)?;
    }
    audit::append(
        c,
        ctx,
        Event {
            action: "launch",
            entity: "group",
            entity_id: &group.id,
            changes: vec![
                Change::update("status", GroupStatus::Forming, GroupStatus::Active),
                Change::set("sessions", times.len()),
                Change::set("first_session_utc", times.first().map(|t| t.naive_utc())),
                Change::set("members", members.len()),
            ],
            reason,
        },
    )?;
    let mut g = group.clone();
    g.status = GroupStatus::Active;
    g.launched_at = Some(now);
    Ok(g)
}

/// Queues each member's session-day reminders (in their language) and the moderator's roster
/// for every upcoming session of the group.
pub fn enqueue_session_messages(
    c: &mut DbConn,
    group: &Group,
    members: &[String],
) -> Result<(), ServiceError> {
    use crate::outbox::{Kind, Recipient, enqueue, reminder_due};
    let tz: chrono_tz::Tz = group.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let now = db::now();
    let mut languages = Vec::new();
    for pid in members {
        let lang = participants::find(c, &Scope::All, pid)?
            .map_or_else(|| "en".to_owned(), |p| p.preferred_language);
        languages.push((pid, lang));
    }
    for s in super::attendance::sessions(c, &group.id)?
        .into_iter()
        .filter(|s| s.status == SessionStatus::Scheduled && s.starts_at > now)
    {
        let payload = serde_json::json!({"session_id": s.id});
        for (pid, lang) in &languages {
            let key = format!("reminder:{}:{pid}", s.id);
            enqueue(
                c,
                &key,
                Kind::SessionReminder,
                &Recipient::Participant((*pid).clone()),
                lang,
                payload.clone(),
                reminder_due(s.starts_at, tz),
            )?;
        }
        let key = format!("roster:{}", s.id);
        let to = Recipient::User(group.moderator_id.clone());
        enqueue(
            c,
            &key,
            Kind::ModeratorRoster,
            &to,
            "en",
            payload,
            s.starts_at - chrono::Duration::hours(24),
        )?;
    }
    Ok(())
}

/// The first phase of a newly allocated participant (who has none yet): waitlist arms wait, with
/// the message for the end of their wait; others queue. Not stored: the randomisation writes it
/// with its other rows. `None` for an arm without groups.
pub fn allocation_phase(
    protocol: &Protocol,
    participant_id: &str,
    arm_id: &str,
    today: NaiveDate,
    language: &str,
) -> Option<(Phase, Option<crate::outbox::Message>)> {
    let queued_on = queue_date(protocol, arm_id, today)?;
    let (phase, message) = if queued_on > today {
        let message =
            super::notices::waitlist_end_message(participant_id, queued_on, protocol.time_zone(), language);
        (PhaseKind::Waiting, Some(message))
    } else {
        (PhaseKind::Queued, None)
    };
    let row = Phase {
        participant_id: participant_id.to_owned(),
        phase,
        started_on: today.format("%Y-%m-%d").to_string(),
        ended_on: None,
    };
    Some((row, message))
}
