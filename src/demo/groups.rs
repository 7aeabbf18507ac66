//! Groups, as a coordinator runs them: each weekday after lunch the queue is proposed and the
//! proposal accepted; anyone the proposal cannot place gets a new group (their arm, their
//! language, the next moderator in turn), and a group that waited three weeks below its minimum
//! is launched anyway if it has three members, with the reason. Groups launch themselves at six members. Each evening the
//! moderator records attendance of the sessions held that day: about 85% at first, falling
//! through the twelve sessions (about 75% overall), some absences excused.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::Sim;
use crate::db::schema::group_members;
use crate::groups::Presence;
use crate::groups::attendance::{self, Mark};
use crate::groups::{self, NewGroup, formation};

/// The day's group work, at 13:00.
pub fn form(sim: &mut Sim, day: NaiveDate) -> anyhow::Result<()> {
    if !sim.at(sim.local(day, 13, 0)) {
        return Ok(());
    }
    let ctx = sim.as_user(&sim.staff.coordinator.clone());
    let protocol = sim.protocol.clone();
    let today = sim.today();
    for _ in 0..4 {
        let proposal = formation::propose(&mut sim.conn, &protocol, today)?;
        if !proposal.assignments.is_empty() {
            formation::assign(&mut sim.conn, &ctx, &protocol, today, &proposal.assignments)
                .map_err(|e| anyhow::anyhow!("assigning groups: {e}"))?;
        }
        let Some(first) = proposal.unplaced.first() else { break };
        let (arm, language) = (first.arm_id.clone(), first.language.clone());
        create(sim, &arm, &language, today)?;
    }
    // A group stuck below its minimum for three weeks starts anyway: waiting longer loses people.
    for g in groups::list(&mut sim.conn, None)? {
        let waited = g.created_at < crate::db::now() - Duration::weeks(3);
        if g.status == groups::GroupStatus::Forming
            && waited
            && groups::members_of(&mut sim.conn, &g.id)?.len() >= 3
        {
            let reason =
                "Three weeks below the minimum: starting with the members we have rather than losing them";
            formation::launch(&mut sim.conn, &ctx, &protocol, &g.id, Some(reason))
                .map_err(|e| anyhow::anyhow!("launching {}: {e}", g.name))?;
        }
    }
    Ok(())
}

/// A new forming group for one arm and language, starting the week after next at the earliest.
fn create(sim: &mut Sim, arm: &str, language: &str, today: NaiveDate) -> anyhow::Result<()> {
    let ctx = sim.as_user(&sim.staff.coordinator.clone());
    let n = groups::list(&mut sim.conn, None)?.len();
    let moderator = sim.staff.moderators[n % sim.staff.moderators.len()].id.clone();
    let code =
        sim.protocol.arms.iter().find(|a| a.id.get_ref() == arm).map_or("?", |a| a.code.get_ref().as_str());
    let (weekday, day_name) = [(1, "Tuesday"), (3, "Thursday"), (2, "Wednesday")][n % 3];
    let (local_time, language_name) =
        if language == "es" { ("19:00", "Spanish") } else { ("18:30", "English") };
    let new = NewGroup {
        name: format!("{code}{} {day_name} evenings ({language_name})", n + 1),
        arm_id: arm.to_owned(),
        moderator_id: moderator,
        language: language.to_owned(),
        affinity_tags: Vec::new(),
        weekday,
        local_time: local_time.into(),
        time_zone: None,
        start_date: (today + Duration::days(7)).format("%Y-%m-%d").to_string(),
        capacity: None,
        meeting_url: Some(format!("https://meet.example.org/connect-{}{}", code.to_lowercase(), n + 1)),
    };
    let protocol = sim.protocol.clone();
    groups::create(&mut sim.conn, &ctx, &protocol, new)
        .map_err(|e| anyhow::anyhow!("creating a group: {e}"))?;
    Ok(())
}

/// The evening's attendance: every session held today, recorded by its moderator at 22:30.
pub fn attendance(sim: &mut Sim, day: NaiveDate) -> anyhow::Result<()> {
    if !sim.at(sim.local(day, 22, 30)) {
        return Ok(());
    }
    let now = crate::db::now();
    let held: Vec<_> = attendance::calendar(&mut sim.conn, None)?
        .into_iter()
        .filter(|(s, _)| {
            s.status == groups::SessionStatus::Scheduled
                && s.starts_at <= now
                && !sim.sessions_done.contains(&s.id)
        })
        .collect();
    for (session, group) in held {
        let joined: Vec<(String, NaiveDateTime)> = group_members::table
            .filter(group_members::group_id.eq(&group.id))
            .select((group_members::participant_id, group_members::joined_at))
            .load(&mut sim.conn)?;
        let mut marks = Vec::new();
        for (pid, joined_at) in joined {
            // Someone who joined a running group starts with the sessions after they joined.
            if joined_at > session.starts_at && group.launched_at.is_some_and(|l| joined_at > l) {
                continue;
            }
            marks.push(mark(sim, &pid, session.number, session.minutes));
        }
        let moderator = sim.staff.moderators.iter().find(|m| m.id == group.moderator_id).cloned();
        let Some(moderator) = moderator else { continue };
        let ctx = sim.as_user(&moderator);
        attendance::record(&mut sim.conn, &ctx, &session.id, &marks, None)
            .map_err(|e| anyhow::anyhow!("attendance: {e}"))?;
        sim.sessions_done.insert(session.id);
        sim.after_minutes(1, 4);
    }
    Ok(())
}

/// One member's mark for session `number`: the chance of coming falls by 2.5 points a session.
fn mark(sim: &mut Sim, participant_id: &str, number: i32, minutes: i32) -> Mark {
    let (base, withdrawn) = match sim.people.get(participant_id) {
        Some(p) => (p.attendance, p.withdrawal.is_some_and(|w| w.0 <= sim.today())),
        None => (0.8, false),
    };
    let p = (base - 0.025 * f64::from(number - 1)).clamp(0.05, 0.99);
    if !withdrawn && sim.dice.chance(p) {
        let stayed =
            if sim.dice.chance(0.85) { minutes } else { sim.dice.between(20, i64::from(minutes)) as i32 };
        Mark { participant_id: participant_id.to_owned(), status: Presence::Present, minutes: Some(stayed) }
    } else {
        let status = if !withdrawn && sim.dice.chance(0.3) { Presence::Excused } else { Presence::Absent };
        Mark { participant_id: participant_id.to_owned(), status, minutes: None }
    }
}
