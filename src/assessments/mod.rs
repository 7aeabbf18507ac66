//! Schedules of assessment: each participant's time points, generated from the protocol when
//! they are randomised, with target dates, windows and states.
//!
//! States: `scheduled` → `open` (the window has opened) → `completed`, or `missed` once the
//! window closes; `not_applicable` after withdrawal, or for a group-anchored time point in an arm
//! without groups. A time point anchored on the group's start has no dates until the
//! participant's group begins (for a waitlist arm, after the wait: their phase timeline).
//!
//! Responses and scoring live in `responses`; the background pass that opens windows and marks
//! missed assessments is `sweep`.

pub mod pages;
pub mod responses;
pub mod routes;
pub mod status;

pub use status::{Filter, Status};

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Change, Context, Event};
use crate::calendar::local_to_utc;
use crate::db::schema::{assessments, participants};
use crate::db::{self, DbConn};
use crate::outbox::{self, Kind, Recipient};
use crate::protocol::{Anchor, Protocol, TimePoint};
use crate::sites::Scope;

/// One time point of one participant's schedule.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = assessments)]
pub struct Assessment {
    pub id: String,
    pub participant_id: String,
    pub timepoint: String,
    /// Instrument ids, comma-separated, in the order they are asked.
    pub instruments: String,
    pub anchor: String,
    /// The target day in the study's zone, `YYYY-MM-DD`; null until the anchor is known.
    pub target_date: Option<String>,
    /// When the window opens and closes (UTC): local midnight in the study's zone.
    #[serde(serialize_with = "crate::json::utc_opt")]
    pub opens_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::json::utc_opt")]
    pub closes_at: Option<NaiveDateTime>,
    /// `scheduled`, `open`, `completed`, `missed` or `not_applicable`.
    #[schema(value_type = String)]
    pub status: Status,
    #[serde(serialize_with = "crate::json::utc_opt")]
    pub completed_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::json::utc")]
    pub created_at: NaiveDateTime,
    /// The staff member who entered the answers on the participant's behalf (a phone call);
    /// null when the participant answered on their own link.
    pub entered_by: Option<String>,
}

impl Assessment {
    pub fn instrument_ids(&self) -> Vec<&str> {
        self.instruments.split(',').filter(|s| !s.is_empty()).collect()
    }

    /// Whether the participant may answer it at `now`: not finished, and inside its window.
    pub fn is_answerable(&self, now: NaiveDateTime) -> bool {
        self.status.is_pending()
            && self.opens_at.is_some_and(|o| o <= now)
            && self.closes_at.is_some_and(|c| now < c)
    }
}

/// A time point's window around `target`: from local midnight `window_before_days` earlier to
/// the end of the local day `window_after_days` later, as UTC instants.
pub fn window(protocol: &Protocol, tp: &TimePoint, target: NaiveDate) -> (NaiveDateTime, NaiveDateTime) {
    let tz = protocol.time_zone();
    let first = target - Duration::days(*tp.window_before_days.get_ref());
    let after_last = target + Duration::days(*tp.window_after_days.get_ref() + 1);
    (
        local_to_utc(first, NaiveTime::MIN, tz).naive_utc(),
        local_to_utc(after_last, NaiveTime::MIN, tz).naive_utc(),
    )
}

/// A newly randomised participant's schedule and the invitations and reminders of each dated time
/// point, not yet stored: the randomisation writes them with its other rows, one multi-row
/// INSERT per table (on PostgreSQL each statement is a round trip made under the write lock).
pub fn plan(
    protocol: &Protocol,
    participant_id: &str,
    arm_id: &str,
    randomised_on: NaiveDate,
    language: &str,
) -> (Vec<Assessment>, Vec<outbox::Message>) {
    let arm = protocol.arms.iter().find(|a| a.id.get_ref() == arm_id);
    let has_groups = arm.is_some_and(|a| a.delivers_groups);
    let now = db::now();
    let mut rows = Vec::new();
    for tp in &protocol.assessments {
        let (anchor, target, status) = match tp.anchor {
            Anchor::Randomisation => (Anchor::Randomisation.as_str(), Some(randomised_on), Status::Scheduled),
            Anchor::GroupStart if has_groups => (Anchor::GroupStart.as_str(), None, Status::Scheduled),
            Anchor::GroupStart => (Anchor::GroupStart.as_str(), None, Status::NotApplicable),
        };
        let mut a = Assessment {
            id: uuid::Uuid::now_v7().to_string(),
            participant_id: participant_id.to_owned(),
            timepoint: tp.id.get_ref().clone(),
            instruments: tp
                .instruments
                .get_ref()
                .iter()
                .map(|i| i.get_ref().as_str())
                .collect::<Vec<_>>()
                .join(","),
            anchor: anchor.into(),
            target_date: None,
            opens_at: None,
            closes_at: None,
            status,
            completed_at: None,
            created_at: now,
            entered_by: None,
        };
        if let Some(anchor_day) = target {
            date(&mut a, protocol, tp, anchor_day, now);
        }
        rows.push(a);
    }
    let messages: Vec<outbox::Message> = rows
        .iter()
        .filter(|a| a.target_date.is_some())
        .flat_map(|a| invitations(protocol, a, language))
        .collect();
    (rows, messages)
}

/// Stores a planned schedule in one statement (its ids are new: no look-ups first).
pub fn insert_planned(conn: &mut DbConn, rows: &[Assessment]) -> QueryResult<()> {
    if !rows.is_empty() {
        db::batch::insert_many!(conn, assessments::table, rows)?;
    }
    Ok(())
}

/// Sets a time point's dates from its anchor day.
fn date(a: &mut Assessment, protocol: &Protocol, tp: &TimePoint, anchor_day: NaiveDate, now: NaiveDateTime) {
    let target = anchor_day + Duration::days(*tp.offset_days.get_ref());
    let (opens, closes) = window(protocol, tp, target);
    a.target_date = Some(target.format("%Y-%m-%d").to_string());
    a.opens_at = Some(opens);
    a.closes_at = Some(closes);
    if opens <= now && now < closes {
        a.status = Status::Open;
    }
}

/// Dates a participant's group-anchored time points once their group begins on `first_day`
/// (called as they enter the `in_group` phase). A later move to another group changes nothing:
/// the anchor is the first group start.
pub fn resolve_group_start(conn: &mut DbConn, participant_id: &str, first_day: NaiveDate) -> QueryResult<()> {
    let pending: Vec<Assessment> = assessments::table
        .filter(assessments::participant_id.eq(participant_id))
        .filter(assessments::anchor.eq(Anchor::GroupStart))
        .filter(assessments::target_date.is_null())
        .filter(assessments::status.eq(Status::Scheduled))
        .select(Assessment::as_select())
        .load(conn)?;
    if pending.is_empty() {
        return Ok(());
    }
    let (protocol, _) = crate::protocol::store::current_parsed(conn)
        .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?;
    let language: String =
        participants::table.find(participant_id).select(participants::preferred_language).first(conn)?;
    let now = db::now();
    for mut a in pending {
        let Some(tp) = protocol.timepoint(&a.timepoint) else { continue };
        date(&mut a, &protocol, tp, first_day, now);
        diesel::update(assessments::table.find(&a.id))
            .set((
                assessments::target_date.eq(&a.target_date),
                assessments::opens_at.eq(a.opens_at),
                assessments::closes_at.eq(a.closes_at),
                assessments::status.eq(&a.status),
            ))
            .execute(conn)?;
        outbox::enqueue_fresh(conn, &invitations(&protocol, &a, &language))?;
    }
    Ok(())
}

/// The invitation (at `invite_time` on the day the window opens, or now if that has passed) and
/// each reminder still inside the window. The worker drops any that are no longer needed when
/// their time comes (completed, missed, withdrawn).
fn invitations(protocol: &Protocol, a: &Assessment, language: &str) -> Vec<outbox::Message> {
    let (Some(opens), Some(closes)) = (a.opens_at, a.closes_at) else { return Vec::new() };
    let tz = protocol.time_zone();
    let time =
        NaiveTime::parse_from_str(protocol.surveys.invite_time.get_ref(), "%H:%M").unwrap_or(NaiveTime::MIN);
    let open_day = opens.and_utc().with_timezone(&tz).date_naive();
    let at = |days: i64| local_to_utc(open_day + Duration::days(days), time, tz).naive_utc();
    let now = db::now();
    let to = Recipient::Participant(a.participant_id.clone());
    let payload = serde_json::json!({ "assessment_id": a.id });
    let keys = message_keys(protocol, &a.id);
    let mut out = Vec::new();
    let invite_at = at(0).max(now);
    if invite_at < closes {
        out.push(outbox::Message::new(&keys[0], Kind::SurveyInvitation, &to, language, &payload, invite_at));
    }
    for (d, key) in protocol.surveys.reminder_days.get_ref().iter().zip(&keys[1..]) {
        let due = at(*d.get_ref());
        if due > now && due < closes {
            out.push(outbox::Message::new(key, Kind::SurveyReminder, &to, language, &payload, due));
        }
    }
    out
}

/// The outbox keys of an assessment's invitation and reminders. Stopping them by exact key
/// uses the unique index; a prefix match (`LIKE`) would read the whole outbox.
pub fn message_keys(protocol: &Protocol, assessment_id: &str) -> Vec<String> {
    std::iter::once(format!("survey:{assessment_id}:invitation"))
        .chain(
            protocol
                .surveys
                .reminder_days
                .get_ref()
                .iter()
                .map(|d| format!("survey:{assessment_id}:reminder:{}", d.get_ref())),
        )
        .collect()
}

/// What one sweep changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sweep {
    pub opened: usize,
    pub missed: usize,
}

/// Opens windows that have opened and marks as missed those that closed unfinished, as of `now`.
/// Runs in the background every minute (and from tests, with any `now`). Each change is audited.
pub fn sweep(conn: &mut DbConn, now: NaiveDateTime) -> Result<Sweep, crate::service_error::ServiceError> {
    db::write_tx(conn, |c| {
        let (protocol, _) = crate::protocol::store::current_parsed(c)?;
        let ctx = Context { actor: Actor::system(), request_id: None };
        let closing: Vec<Assessment> = assessments::table
            .filter(assessments::status.eq_any([Status::Scheduled, Status::Open]))
            .filter(assessments::closes_at.le(now))
            .select(Assessment::as_select())
            .load(c)?;
        for a in &closing {
            set_status(
                c,
                &ctx,
                a,
                Status::Missed,
                "the window closed before the questionnaires were submitted",
            )?;
            outbox::cancel_keys(c, &message_keys(&protocol, &a.id), "window closed")?;
        }
        let opening: Vec<Assessment> = assessments::table
            .filter(assessments::status.eq(Status::Scheduled))
            .filter(assessments::opens_at.le(now))
            .filter(assessments::closes_at.gt(now))
            .select(Assessment::as_select())
            .load(c)?;
        for a in &opening {
            set_status(c, &ctx, a, Status::Open, "the window opened")?;
        }
        Ok(Sweep { opened: opening.len(), missed: closing.len() })
    })
}

fn set_status(c: &mut DbConn, ctx: &Context, a: &Assessment, to: Status, why: &str) -> QueryResult<()> {
    diesel::update(assessments::table.find(&a.id)).set(assessments::status.eq(to)).execute(c)?;
    audit::append(
        c,
        ctx,
        Event {
            action: "assessment_status",
            entity: "assessment",
            entity_id: &a.id,
            changes: vec![Change::update("status", a.status, to)],
            reason: Some(why),
        },
    )?;
    Ok(())
}

/// After a withdrawal: nothing more is asked. Runs in the withdrawal's transaction, which audits it.
pub fn withdraw(conn: &mut DbConn, participant_id: &str) -> QueryResult<usize> {
    diesel::update(
        assessments::table
            .filter(assessments::participant_id.eq(participant_id))
            .filter(assessments::status.eq_any([Status::Scheduled, Status::Open])),
    )
    .set(assessments::status.eq(Status::NotApplicable))
    .execute(conn)
}

/// What participants call a time point, in their language (its `title`, else its `label`).
pub fn participant_title(protocol: &Protocol, timepoint: &str, lang: &str) -> String {
    match protocol.timepoint(timepoint) {
        Some(tp) => match &tp.title {
            Some(title) => crate::instruments::local(title.get_ref(), lang).to_owned(),
            None => tp.label.clone(),
        },
        None => timepoint.to_owned(),
    }
}

/// The last day, in the study's zone, that an assessment can be answered.
pub fn last_day(protocol: &Protocol, a: &Assessment) -> Option<NaiveDate> {
    let tz = protocol.time_zone();
    a.closes_at.map(|t| (t.and_utc().with_timezone(&tz) - Duration::seconds(1)).date_naive())
}

/// A row of the coordinator's list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Listed {
    #[serde(flatten)]
    pub assessment: Assessment,
    pub study_id: String,
    /// Open and past its target date (the window is still open).
    pub overdue: bool,
}

/// Assessments by state, earliest target first, with each participant's study id.
pub fn list(
    conn: &mut DbConn,
    protocol: &Protocol,
    scope: &Scope,
    filter: Filter,
    participant: Option<&str>,
) -> QueryResult<Vec<Listed>> {
    let mut q = assessments::table
        .inner_join(participants::table)
        .select((Assessment::as_select(), participants::study_id))
        .order((assessments::target_date.asc(), participants::study_id.asc()))
        .into_boxed();
    q = match filter {
        Filter::Open | Filter::Overdue => q.filter(assessments::status.eq(Status::Open)),
        Filter::Missed => q.filter(assessments::status.eq(Status::Missed)),
        Filter::Scheduled => q.filter(assessments::status.eq(Status::Scheduled)),
        Filter::Completed => q.filter(assessments::status.eq(Status::Completed)),
        Filter::All => q,
    };
    if let Some(pid) = participant {
        q = q.filter(assessments::participant_id.eq(pid.to_owned()));
    }
    if let Some(codes) = scope.codes() {
        q = q.filter(participants::site.eq_any(codes));
    }
    let today = protocol.today().format("%Y-%m-%d").to_string();
    let rows: Vec<(Assessment, String)> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(a, study_id)| {
            let overdue = a.status == Status::Open && a.target_date.as_ref().is_some_and(|t| *t < today);
            Listed { assessment: a, study_id, overdue }
        })
        .filter(|l| filter != Filter::Overdue || l.overdue)
        .collect())
}

/// The overview's figures: assessments open, open past their target date, and missed.
pub fn counts(conn: &mut DbConn, protocol: &Protocol, scope: &Scope) -> QueryResult<(i64, i64, i64)> {
    let today = protocol.today().format("%Y-%m-%d").to_string();
    let codes = scope.codes();
    let within = || {
        let mut q = assessments::table.inner_join(participants::table).into_boxed();
        if let Some(codes) = &codes {
            q = q.filter(participants::site.eq_any(codes.clone()));
        }
        q
    };
    Ok((
        within().filter(assessments::status.eq(Status::Open)).count().get_result(conn)?,
        within()
            .filter(assessments::status.eq(Status::Open))
            .filter(assessments::target_date.lt(today))
            .count()
            .get_result(conn)?,
        within().filter(assessments::status.eq(Status::Missed)).count().get_result(conn)?,
    ))
}

/// One assessment by id.
pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<Assessment>> {
    assessments::table.find(id).select(Assessment::as_select()).first(conn).optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time")
    }

    #[test]
    fn a_window_runs_from_local_midnight_to_the_end_of_the_last_local_day_across_a_clock_change() {
        let protocol =
            crate::protocol::check(crate::protocol::BUNDLED, &crate::instruments::Library::bundled())
                .expect("bundled");
        let week6 = protocol.assessments.iter().find(|t| t.id.get_ref() == "week6").expect("week6");
        // Target Sunday 2027-03-14, the day New York springs forward; window −7..+7 days.
        let (opens, closes) = window(&protocol, week6, NaiveDate::from_ymd_opt(2027, 3, 14).expect("date"));
        assert_eq!(opens, at("2027-03-07 05:00"), "midnight EST is 05:00 UTC");
        assert_eq!(closes, at("2027-03-22 04:00"), "midnight EDT is 04:00 UTC");
    }
}
