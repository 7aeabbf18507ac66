//! A participant's dose: sessions attended of those delivered, from the attendance recorded.

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::Presence;
use super::SessionStatus;
use super::attendance::{Session, member_joins, sessions};
use crate::db::schema::{attendance, group_sessions};
use crate::db::{self, DbConn};

/// A participant's dose: sessions attended of those delivered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dose {
    pub participant_id: String,
    pub study_id: String,
    pub group_id: Option<String>,
    /// Sessions held so far (not cancelled, already started).
    pub delivered: i64,
    pub attended: i64,
    pub excused: i64,
    pub minutes_attended: i64,
    /// attended / delivered, or null before any session was delivered.
    pub dose: Option<f64>,
    /// Attended at least the protocol's adequate dose.
    pub adequate: bool,
}

/// Dose of every member of `group_id` (or of one participant's group).
pub fn doses(conn: &mut DbConn, group_id: &str, adequate_dose: i64) -> QueryResult<Vec<Dose>> {
    let now = db::now();
    let Some(group) = super::find(conn, group_id)? else { return Ok(Vec::new()) };
    let held: Vec<Session> = sessions(conn, group_id)?
        .into_iter()
        .filter(|s| s.status != SessionStatus::Cancelled && s.starts_at <= now)
        .collect();
    let marks: Vec<(String, String, Presence, Option<i32>)> = attendance::table
        .inner_join(group_sessions::table)
        .filter(group_sessions::group_id.eq(group_id))
        .select((attendance::participant_id, attendance::session_id, attendance::status, attendance::minutes))
        .load(conn)?;
    Ok(member_joins(conn, &group)?
        .into_iter()
        .map(|m| {
            let theirs: Vec<&Session> = held.iter().filter(|s| m.counts(s)).collect();
            let (mut attended, mut excused, mut minutes) = (0, 0, 0);
            for (_, _, status, mins) in marks
                .iter()
                .filter(|(pid, sid, _, _)| *pid == m.participant_id && theirs.iter().any(|s| s.id == *sid))
            {
                match status {
                    Presence::Present => {
                        attended += 1;
                        minutes += i64::from(mins.unwrap_or(0));
                    }
                    Presence::Excused => excused += 1,
                    Presence::Absent => {}
                }
            }
            let n = theirs.len() as i64;
            Dose {
                participant_id: m.participant_id,
                study_id: m.study_id,
                group_id: Some(group_id.to_owned()),
                delivered: n,
                attended,
                excused,
                minutes_attended: minutes,
                dose: (n > 0).then(|| attended as f64 / n as f64),
                adequate: attended >= adequate_dose,
            }
        })
        .collect())
}
