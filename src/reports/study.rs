//! Study-level figures for the report, read from the database: CONSORT counts, recruitment over
//! time, enrolment against the diversity targets and attendance per group.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use crate::assessments::Status;
use crate::blinding::Sight;
use crate::db::DbConn;
use crate::db::schema::{
    allocations, assessments, attendance, group_members, group_sessions, participants, screenings,
    support_groups,
};
use crate::enrolment::screening::Outcome;
use crate::exports::records::GroupCodes;
use crate::groups::Presence;
use crate::protocol::Protocol;
use crate::service_error::ServiceError;
use crate::sites::Scope;
pub use trialdesk_charts::{ConsortArm, ConsortCounts};

/// The CONSORT flow as far as the database tells it: who was analysed is filled in from the
/// outcome analysis (participants in the primary ANCOVA), so the diagram and the tables agree;
/// until then none are.
pub fn consort(
    conn: &mut DbConn,
    protocol: &Protocol,
    scope: &Scope,
    sight: Sight,
) -> Result<ConsortCounts, ServiceError> {
    let codes = scope.codes();
    let mut q = screenings::table.select(screenings::outcome).into_boxed();
    if let Some(codes) = &codes {
        q = q.filter(screenings::site.eq_any(codes.clone()));
    }
    let outcomes: Vec<Outcome> = q.load(conn)?;
    let mut reasons: BTreeMap<&str, u64> = BTreeMap::new();
    let mut excluded = 0;
    for o in &outcomes {
        let Some(reason) = o.exclusion_reason() else { continue };
        excluded += 1;
        *reasons.entry(reason).or_default() += 1;
    }
    // Enrolled but never randomised are excluded before allocation too.
    let enrolled = crate::enrolment::participants::list(conn, scope)?.len() as i64;
    let mut q = allocations::table
        .inner_join(participants::table)
        .select((allocations::participant_id, allocations::arm_id, participants::withdrawn_at))
        .into_boxed();
    if let Some(codes) = &codes {
        q = q.filter(participants::site.eq_any(codes.clone()));
    }
    let rows: Vec<(String, String, Option<chrono::NaiveDateTime>)> = q.load(conn)?;
    let randomised = rows.len() as i64;
    if enrolled > randomised {
        excluded += (enrolled - randomised) as u64;
        *reasons.entry("Enrolled, not randomised").or_default() += (enrolled - randomised) as u64;
    }
    let primary = protocol.assessments.iter().find(|t| t.primary).map(|t| t.id.get_ref().clone());
    let attended: HashSet<String> = attendance::table
        .filter(attendance::status.eq(Presence::Present))
        .select(attendance::participant_id)
        .distinct()
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let primary_missed: HashSet<String> = match &primary {
        Some(tp) => assessments::table
            .filter(assessments::timepoint.eq(tp))
            .filter(assessments::status.eq(Status::Missed))
            .select(assessments::participant_id)
            .load::<String>(conn)?
            .into_iter()
            .collect(),
        None => HashSet::new(),
    };
    let mut arms = Vec::new();
    for arm in &protocol.arms {
        let id = arm.id.get_ref();
        let members: Vec<&(String, String, Option<chrono::NaiveDateTime>)> =
            rows.iter().filter(|r| &r.1 == id).collect();
        let allocated = members.len() as u64;
        let received = if arm.delivers_groups {
            members.iter().filter(|m| attended.contains(&m.0)).count() as u64
        } else {
            allocated
        };
        // Who has been to a group yet is process data: in a waitlist trial it names the arm.
        let received = sight.shows_process().then_some(received);
        let discontinued = members.iter().filter(|m| m.2.is_some()).count() as u64;
        let lost = members.iter().filter(|m| m.2.is_none() && primary_missed.contains(&m.0)).count() as u64;
        arms.push(ConsortArm {
            arm: sight.arm_name(protocol, id),
            allocated,
            received,
            not_received: received.map(|r| allocated - r),
            lost_to_follow_up: lost,
            discontinued,
            analysed: 0,
            excluded_from_analysis: allocated,
        });
    }
    Ok(ConsortCounts {
        assessed: outcomes.len() as u64,
        excluded,
        exclusion_reasons: reasons.into_iter().map(|(r, n)| (r.to_string(), n)).collect(),
        randomised: randomised as u64,
        arms,
    })
}

/// Cumulative randomisations by week since the first, against the enrolment target.
#[derive(Debug, Clone, Serialize)]
pub struct RecruitmentCurve {
    pub target: u64,
    pub first_randomisation: Option<NaiveDate>,
    /// (weeks since the first randomisation, randomised so far)
    pub cumulative: Vec<(i64, u64)>,
}

pub fn recruitment(
    conn: &mut DbConn,
    protocol: &Protocol,
    scope: &Scope,
    zone: chrono_tz::Tz,
) -> Result<RecruitmentCurve, ServiceError> {
    let mut q =
        allocations::table.inner_join(participants::table).select(allocations::allocated_at).into_boxed();
    if let Some(codes) = scope.codes() {
        q = q.filter(participants::site.eq_any(codes));
    }
    let mut days: Vec<NaiveDate> = q
        .load::<chrono::NaiveDateTime>(conn)?
        .into_iter()
        .map(|t| t.and_utc().with_timezone(&zone).date_naive())
        .collect();
    days.sort_unstable();
    let first = days.first().copied();
    let mut cumulative = Vec::new();
    if let (Some(first), Some(last)) = (first, days.last()) {
        let weeks = (*last - first).num_days() / 7;
        for week in 0..=weeks + 1 {
            let by = first + chrono::Duration::days(7 * week);
            cumulative.push((week, days.iter().filter(|d| **d < by).count() as u64));
        }
    }
    Ok(RecruitmentCurve {
        target: (*protocol.enrolment.target.get_ref()).max(0) as u64,
        first_randomisation: first,
        cumulative,
    })
}

/// Enrolment by race and ethnicity, and each diversity target's share against its minimum.
#[derive(Debug, Clone, Serialize)]
pub struct Diversity {
    pub enrolled: u64,
    pub by_race: Vec<(String, u64)>,
    pub by_ethnicity: Vec<(String, u64)>,
    pub targets: Vec<DiversityRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiversityRow {
    pub label: String,
    pub count: u64,
    pub share: f64,
    pub min_share: f64,
    pub met: bool,
}

pub fn diversity(conn: &mut DbConn, protocol: &Protocol, scope: &Scope) -> Result<Diversity, ServiceError> {
    let people = crate::enrolment::participants::list(conn, scope)?;
    let mut by_race: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_ethnicity: BTreeMap<String, u64> = BTreeMap::new();
    for p in &people {
        *by_race.entry(p.race.clone()).or_default() += 1;
        *by_ethnicity.entry(p.ethnicity.clone()).or_default() += 1;
    }
    let enrolled = people.len() as u64;
    let targets = crate::enrolment::summary::diversity_progress(protocol, &people)
        .into_iter()
        .map(|t| {
            let share = t.share.unwrap_or(0.0);
            // The shared summary gives shares; the report's table also shows the count behind one.
            let count = (share * enrolled as f64).round() as u64;
            DiversityRow { label: t.label, count, share, min_share: t.min_share, met: t.met }
        })
        .collect();
    Ok(Diversity {
        enrolled,
        by_race: by_race.into_iter().collect(),
        by_ethnicity: by_ethnicity.into_iter().collect(),
        targets,
    })
}

/// Attendance per support group: sessions held and the share of member-sessions attended.
#[derive(Debug, Clone, Serialize)]
pub struct GroupAttendance {
    pub group: String,
    pub arm: String,
    pub members: u64,
    pub sessions_held: u64,
    pub attended: u64,
    /// Attended member-sessions over recorded member-sessions.
    pub rate: Option<f64>,
    pub mean_sessions_per_member: Option<f64>,
}

pub fn attendance_by_group(
    conn: &mut DbConn,
    protocol: &Protocol,
    scope: &Scope,
    codes: &GroupCodes,
    sight: Sight,
) -> Result<Vec<GroupAttendance>, ServiceError> {
    if !sight.shows_process() {
        return Ok(Vec::new());
    }
    let groups: Vec<(String, String)> = support_groups::table
        .order(support_groups::created_at.asc())
        .select((support_groups::id, support_groups::arm_id))
        .load(conn)?;
    // A site-limited reader sees their own participants' attendance, in every group they joined.
    let visible = scope.participant_ids(conn)?;
    let seen = |pid: &String| visible.as_ref().is_none_or(|v| v.contains(pid));
    let members: Vec<(String, String)> = group_members::table
        .select((group_members::group_id, group_members::participant_id))
        .load::<(String, String)>(conn)?
        .into_iter()
        .filter(|(_, pid)| seen(pid))
        .collect();
    let records: Vec<(String, String, Presence)> = attendance::table
        .inner_join(group_sessions::table)
        .select((
            group_sessions::group_id,
            attendance::session_id,
            attendance::status,
            attendance::participant_id,
        ))
        .load::<(String, String, Presence, String)>(conn)?
        .into_iter()
        .filter(|(_, _, _, pid)| seen(pid))
        .map(|(g, s, p, _)| (g, s, p))
        .collect();
    let mut out = Vec::new();
    for (id, arm) in groups {
        let n = members.iter().filter(|(g, _)| *g == id).count() as u64;
        if n == 0 && scope.is_limited() {
            continue;
        }
        let recorded: Vec<&(String, String, Presence)> = records.iter().filter(|r| r.0 == id).collect();
        let attended = recorded.iter().filter(|r| r.2 == Presence::Present).count() as u64;
        // A session is held once its attendance is recorded.
        let mut sessions: Vec<&String> = recorded.iter().map(|r| &r.1).collect();
        sessions.sort_unstable();
        sessions.dedup();
        let sessions_held = sessions.len() as u64;
        out.push(GroupAttendance {
            group: codes.group.get(&id).cloned().unwrap_or_default(),
            arm: sight.arm_name(protocol, &arm),
            members: n,
            sessions_held,
            attended,
            rate: (!recorded.is_empty()).then(|| attended as f64 / recorded.len() as f64),
            mean_sessions_per_member: (n > 0).then(|| attended as f64 / n as f64),
        });
    }
    Ok(out)
}
