//! Support groups: creating them, the queue of allocated participants waiting for one, forming
//! and launching groups, sessions, attendance and dose, and each participant's phase timeline.

pub mod attendance;
pub mod dose;
pub mod edit;
pub mod feed;
pub mod formation;
pub mod notices;
pub mod pages;
pub mod routes;
pub mod status;

pub use status::{GroupStatus, PhaseKind, Presence, SessionStatus};

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, Change, Context, Event};
use crate::auth::Role;
use crate::calendar;
use crate::db::schema::{allocations, group_members, participant_phases, participants, support_groups};
use crate::db::{self, DbConn};
use crate::enrolment::participants::Participant;
use crate::protocol::{ArmKind, Protocol};
use crate::service_error::ServiceError;
use crate::sites::Scope;

/// A stored group.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = support_groups)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub arm_id: String,
    pub moderator_id: String,
    pub language: String,
    pub affinity_tags: String,
    pub capacity: i32,
    pub min_size: i32,
    pub weekday: i32,
    pub local_time: String,
    pub time_zone: String,
    pub start_date: String,
    pub status: GroupStatus,
    pub launched_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// The video meeting's address.
    pub meeting_url: Option<String>,
}

/// A group as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupView {
    pub id: String,
    pub name: String,
    pub arm_id: String,
    pub moderator_id: String,
    pub language: String,
    pub affinity_tags: Vec<String>,
    pub capacity: i32,
    pub min_size: i32,
    /// Monday = 0 … Sunday = 6.
    pub weekday: i32,
    /// Wall-clock start, `HH:MM`, in `time_zone`.
    pub local_time: String,
    pub time_zone: String,
    pub start_date: String,
    /// `forming`, `active` or `completed`.
    #[schema(value_type = String)]
    pub status: GroupStatus,
    #[serde(serialize_with = "crate::json::utc_opt")]
    pub launched_at: Option<NaiveDateTime>,
    /// The video meeting's address.
    pub meeting_url: Option<String>,
    /// Study ids of the members.
    pub members: Vec<String>,
}

impl Group {
    /// The group's affinity tags.
    pub fn tags(&self) -> BTreeSet<String> {
        serde_json::from_str(&self.affinity_tags).unwrap_or_default()
    }

    /// The group with its members' study ids.
    pub fn view(&self, members: Vec<String>) -> GroupView {
        GroupView {
            id: self.id.clone(),
            name: self.name.clone(),
            arm_id: self.arm_id.clone(),
            moderator_id: self.moderator_id.clone(),
            language: self.language.clone(),
            affinity_tags: self.tags().into_iter().collect(),
            capacity: self.capacity,
            min_size: self.min_size,
            weekday: self.weekday,
            local_time: self.local_time.clone(),
            time_zone: self.time_zone.clone(),
            start_date: self.start_date.clone(),
            status: self.status,
            launched_at: self.launched_at,
            meeting_url: self.meeting_url.clone(),
            members,
        }
    }
}

/// The affinity tags a participant carries: those of the protocol whose enrolment field has one
/// of the tag's values in their record. A group's tags must all be among them.
pub fn participant_tags(protocol: &Protocol, p: &Participant) -> BTreeSet<String> {
    let strata = p.strata_map();
    let value = |field: &str| -> Option<String> {
        Some(match field {
            "newly_diagnosed" => p.newly_diagnosed.to_string(),
            "disease_course" => p.disease_course.clone(),
            "sex" => p.sex.clone(),
            "age_band" => p.age_band.clone(),
            "race" => p.race.clone(),
            "ethnicity" => p.ethnicity.clone(),
            "preferred_language" => p.preferred_language.clone(),
            factor => strata.get(factor)?.clone(),
        })
    };
    protocol
        .groups
        .affinity_tags
        .iter()
        .filter(|t| value(t.field.get_ref()).is_some_and(|v| t.given_by(&v)))
        .map(|t| t.id.get_ref().clone())
        .collect()
}

/// A new group.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    #[schema(min_length = 1)]
    pub arm_id: String,
    /// A moderator account's id.
    #[schema(min_length = 1)]
    pub moderator_id: String,
    pub language: String,
    #[serde(default)]
    pub affinity_tags: Vec<String>,
    /// Monday = 0 … Sunday = 6.
    #[schema(minimum = 0, maximum = 6)]
    pub weekday: i32,
    /// `HH:MM`, wall clock in `time_zone`.
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub local_time: String,
    /// IANA zone; the study's zone if omitted.
    pub time_zone: Option<String>,
    /// `YYYY-MM-DD`: the first session is on the first `weekday` on or after it.
    #[schema(format = Date)]
    pub start_date: String,
    /// Defaults to the protocol's group capacity.
    #[schema(minimum = 1, maximum = 50)]
    pub capacity: Option<i32>,
    /// The video meeting's address (`https://…`).
    pub meeting_url: Option<String>,
}

/// Creates a forming group, checked against the protocol and the moderator's account.
pub fn create(
    conn: &mut DbConn,
    ctx: &Context,
    protocol: &Protocol,
    new: NewGroup,
) -> Result<Group, ServiceError> {
    let name = edit::name(&new.name)?;
    let meeting_url = new.meeting_url.as_deref().map(edit::meeting_url).transpose()?.flatten();
    let arm = protocol
        .arms
        .iter()
        .find(|a| *a.id.get_ref() == new.arm_id)
        .ok_or_else(|| ServiceError::validation("arm_id", "is not an arm of the protocol"))?;
    if !arm.delivers_groups {
        return Err(ServiceError::validation("arm_id", "this arm does not deliver groups"));
    }
    if !protocol.study.languages.get_ref().iter().any(|l| *l.get_ref() == new.language) {
        return Err(ServiceError::validation("language", "must be one of the study's languages"));
    }
    edit::tags(protocol, &new.affinity_tags)?;
    if calendar::weekday_from(new.weekday).is_none() {
        return Err(ServiceError::validation("weekday", "must be 0 (Monday) to 6 (Sunday)"));
    }
    let time = NaiveTime::parse_from_str(&new.local_time, "%H:%M")
        .map_err(|_| ServiceError::validation("local_time", "must be HH:MM"))?;
    let zone = new.time_zone.unwrap_or_else(|| protocol.study.time_zone.get_ref().clone());
    zone.parse::<chrono_tz::Tz>().map_err(|_| {
        ServiceError::validation("time_zone", "must be an IANA time zone such as America/Chicago")
    })?;
    NaiveDate::parse_from_str(&new.start_date, "%Y-%m-%d")
        .map_err(|_| ServiceError::validation("start_date", "must be YYYY-MM-DD"))?;
    let protocol_capacity = *protocol.groups.capacity.get_ref() as i32;
    let capacity = new.capacity.unwrap_or(protocol_capacity);
    let min_size = *protocol.groups.min_to_launch.get_ref() as i32;
    if capacity < min_size || capacity > 50 {
        return Err(ServiceError::validation(
            "capacity",
            format!("must be between the minimum to launch ({min_size}) and 50"),
        ));
    }
    let tags: BTreeSet<String> = new.affinity_tags.into_iter().collect();
    let group = Group {
        id: uuid::Uuid::now_v7().to_string(),
        name,
        arm_id: new.arm_id,
        moderator_id: new.moderator_id,
        language: new.language,
        affinity_tags: serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into()),
        capacity,
        min_size,
        weekday: new.weekday,
        local_time: time.format("%H:%M").to_string(),
        time_zone: zone,
        start_date: new.start_date,
        status: GroupStatus::Forming,
        launched_at: None,
        created_at: db::now(),
        meeting_url,
    };
    db::write_tx(conn, |c| {
        edit::moderator(c, &group.moderator_id)?;
        if find_by_name(c, &group.name)?.is_some() {
            return Err(ServiceError::conflict("name_taken", "a group with this name exists"));
        }
        diesel::insert_into(support_groups::table).values(&group).execute(c)?;
        audit::append(
            c,
            ctx,
            Event {
                action: "create",
                entity: "group",
                entity_id: &group.id,
                changes: vec![
                    Change::set("name", &group.name),
                    Change::set("arm_id", &group.arm_id),
                    Change::set("moderator_id", &group.moderator_id),
                    Change::set("language", &group.language),
                    Change::set("affinity_tags", &tags),
                    Change::set("capacity", group.capacity),
                    Change::set(
                        "schedule",
                        format!(
                            "weekday {} {} {} from {}",
                            group.weekday, group.local_time, group.time_zone, group.start_date
                        ),
                    ),
                ],
                reason: None,
            },
        )?;
        Ok(group.clone())
    })
}

pub(crate) fn find_by_name(conn: &mut DbConn, name: &str) -> QueryResult<Option<Group>> {
    support_groups::table
        .filter(support_groups::name.eq(name))
        .select(Group::as_select())
        .first(conn)
        .optional()
}

/// One group.
pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<Group>> {
    support_groups::table.find(id).select(Group::as_select()).first(conn).optional()
}

/// Every group, or a moderator's own.
pub fn list(conn: &mut DbConn, moderator: Option<&str>) -> QueryResult<Vec<Group>> {
    let mut q =
        support_groups::table.select(Group::as_select()).order(support_groups::name.asc()).into_boxed();
    if let Some(m) = moderator {
        q = q.filter(support_groups::moderator_id.eq(m.to_owned()));
    }
    q.load(conn)
}

/// Members of one group: (participant id, study id), by study number.
pub fn members_of(conn: &mut DbConn, group_id: &str) -> QueryResult<Vec<(String, String)>> {
    group_members::table
        .inner_join(participants::table)
        .filter(group_members::group_id.eq(group_id))
        .select((group_members::participant_id, participants::study_id))
        .order(participants::number.asc())
        .load(conn)
}

/// The participants whose group records someone in `role` with `scope` sees, or `None` for
/// everyone: a moderator sees their whole group (groups meet online and may mix sites); other
/// staff see the members from their own sites.
pub fn seen_by(conn: &mut DbConn, scope: &Scope, role: Role) -> QueryResult<Option<BTreeSet<String>>> {
    if role == Role::Moderator {
        return Ok(None);
    }
    scope.participant_ids(conn)
}

/// Members of each group: group id → (participant id, study id).
pub fn members(conn: &mut DbConn) -> QueryResult<BTreeMap<String, Vec<(String, String)>>> {
    let rows: Vec<(String, String, String)> = group_members::table
        .inner_join(participants::table)
        .select((group_members::group_id, group_members::participant_id, participants::study_id))
        .order(participants::number.asc())
        .load(conn)?;
    let mut map: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (g, p, s) in rows {
        map.entry(g).or_default().push((p, s));
    }
    Ok(map)
}

/// Someone waiting for a group.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Waiting {
    pub participant_id: String,
    pub study_id: String,
    pub arm_id: String,
    pub language: String,
    pub tags: Vec<String>,
    /// The day they joined the queue (randomisation, or the end of a waitlist period).
    pub queued_on: NaiveDate,
}

/// The day a participant allocated on `allocated_on` to `arm` may join a group.
pub fn queue_date(protocol: &Protocol, arm_id: &str, allocated_on: NaiveDate) -> Option<NaiveDate> {
    let arm = protocol.arms.iter().find(|a| *a.id.get_ref() == arm_id)?;
    if !arm.delivers_groups {
        return None;
    }
    let wait = match arm.kind {
        ArmKind::Waitlist => arm.wait_weeks.as_ref().map_or(0, |w| *w.get_ref()),
        _ => 0,
    };
    Some(allocated_on + Duration::weeks(wait))
}

/// Allocated participants not in a group and not withdrawn whose queue date has come, longest
/// waiting first. A waitlisted participant appears on the day their wait ends, not before.
pub fn queue(conn: &mut DbConn, protocol: &Protocol, today: NaiveDate) -> QueryResult<Vec<Waiting>> {
    let tz = protocol.time_zone();
    let rows: Vec<(Participant, String, NaiveDateTime)> = participants::table
        .inner_join(allocations::table)
        .left_join(group_members::table)
        .filter(group_members::participant_id.nullable().is_null())
        .filter(participants::withdrawn_at.is_null())
        .select((Participant::as_select(), allocations::arm_id, allocations::allocated_at))
        .load(conn)?;
    let mut waiting: Vec<Waiting> = rows
        .into_iter()
        .filter_map(|(p, arm, at)| {
            let allocated_on = chrono::DateTime::<chrono::Utc>::from_naive_utc_and_offset(at, chrono::Utc)
                .with_timezone(&tz)
                .date_naive();
            let queued_on = queue_date(protocol, &arm, allocated_on)?;
            (queued_on <= today).then(|| Waiting {
                participant_id: p.id.clone(),
                study_id: p.study_id.clone(),
                arm_id: arm,
                language: p.preferred_language.clone(),
                tags: participant_tags(protocol, &p).into_iter().collect(),
                queued_on,
            })
        })
        .collect();
    waiting.sort_by(|a, b| a.queued_on.cmp(&b.queued_on).then_with(|| a.study_id.cmp(&b.study_id)));
    Ok(waiting)
}

/// One phase of a participant's timeline.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = participant_phases)]
pub struct Phase {
    #[serde(skip)]
    pub participant_id: String,
    /// `waiting`, `queued`, `in_group` or `follow_up`.
    #[schema(value_type = String)]
    pub phase: PhaseKind,
    pub started_on: String,
    pub ended_on: Option<String>,
}

/// Records a phase starting on `on` and closes the one before it, if not already recorded.
pub fn enter_phase(
    conn: &mut DbConn,
    participant_id: &str,
    phase: PhaseKind,
    on: NaiveDate,
) -> QueryResult<()> {
    let existing: Option<String> = participant_phases::table
        .find((participant_id, phase))
        .select(participant_phases::phase)
        .first(conn)
        .optional()?;
    if existing.is_some() {
        return Ok(());
    }
    let day = on.format("%Y-%m-%d").to_string();
    diesel::update(
        participant_phases::table
            .filter(participant_phases::participant_id.eq(participant_id))
            .filter(participant_phases::ended_on.is_null()),
    )
    .set(participant_phases::ended_on.eq(&day))
    .execute(conn)?;
    diesel::insert_into(participant_phases::table)
        .values(&Phase { participant_id: participant_id.to_owned(), phase, started_on: day, ended_on: None })
        .execute(conn)?;
    // The register filters on the row (docs/benchmarks.md); the phases stay the record.
    diesel::update(participants::table.find(participant_id))
        .set(participants::current_phase.eq(phase.as_str()))
        .execute(conn)?;
    if phase == PhaseKind::InGroup {
        // Time points anchored on the group's start are dated now that it is known.
        crate::assessments::resolve_group_start(conn, participant_id, on)?;
    }
    Ok(())
}

/// A participant's phases, in order.
pub fn phases(conn: &mut DbConn, participant_id: &str) -> QueryResult<Vec<Phase>> {
    participant_phases::table
        .filter(participant_phases::participant_id.eq(participant_id))
        .order(participant_phases::started_on.asc())
        .select(Phase::as_select())
        .load(conn)
}
