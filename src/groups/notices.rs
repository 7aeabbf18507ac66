//! Telling participants about their group, through the outbox (so each message is sent once, and
//! nothing reaches someone who withdrew): "your group is ready" when it starts or when they join
//! it running, a notice when one of their sessions moves or is cancelled, and the end of a
//! waitlist. What the messages say is read when they are sent (`jobs::mail`), from `about`.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use serde_json::json;

use super::attendance::{self, Session};
use super::{Group, SessionStatus};
use crate::db::{self, DbConn};
use crate::enrolment::participants;
use crate::i18n::{Lang, Tr};
use crate::outbox::{Kind, Recipient, enqueue};
use crate::sites::Scope;

fn language_of(c: &mut DbConn, pid: &str) -> QueryResult<String> {
    Ok(participants::find(c, &Scope::All, pid)?.map_or_else(|| "en".to_owned(), |p| p.preferred_language))
}

/// Queues "your group is ready" for each of `members` (the group started, or they joined it).
pub fn group_ready(c: &mut DbConn, group: &Group, members: &[String]) -> QueryResult<()> {
    for pid in members {
        let lang = language_of(c, pid)?;
        let key = format!("ready:{}:{pid}", group.id);
        let to = Recipient::Participant(pid.clone());
        enqueue(c, &key, Kind::GroupReady, &to, &lang, json!({"group_id": group.id}), db::now())?;
    }
    Ok(())
}

/// Queues a notice to each member whose session this is that it moved (to its time now) or was
/// cancelled. A session already past tells no one.
pub fn session_changed(
    c: &mut DbConn,
    session: &Session,
    group: &Group,
    before: NaiveDateTime,
) -> QueryResult<()> {
    let now = db::now();
    if session.starts_at <= now && before <= now {
        return Ok(());
    }
    let cancelled = session.status == SessionStatus::Cancelled;
    for line in attendance::roster(c, group, session)?.into_iter().filter(|l| !l.withdrawn) {
        let lang = language_of(c, &line.participant_id)?;
        // One notice per move (a second move is a second notice), one per cancellation.
        let key = if cancelled {
            format!("cancelled:{}:{}", session.id, line.participant_id)
        } else {
            format!(
                "moved:{}:{}:{}",
                session.id,
                line.participant_id,
                session.starts_at.and_utc().timestamp()
            )
        };
        let payload = json!({"session_id": session.id, "starts_at": session.starts_at.and_utc().timestamp(),
            "before": before.and_utc().timestamp()});
        let to = Recipient::Participant(line.participant_id.clone());
        enqueue(c, &key, Kind::SessionChanged, &to, &lang, payload, now)?;
    }
    Ok(())
}

/// Queues the notice that a waitlisted participant's wait is over, for 9:00 on that day in the
/// study's zone.
pub fn waitlist_end(c: &mut DbConn, pid: &str, day: NaiveDate, tz: chrono_tz::Tz) -> QueryResult<()> {
    let lang = language_of(c, pid)?;
    let due = crate::calendar::local_to_utc(day, NaiveTime::MIN + chrono::Duration::hours(9), tz).naive_utc();
    let to = Recipient::Participant(pid.to_owned());
    enqueue(c, &format!("waitlist:{pid}"), Kind::WaitlistEnded, &to, &lang, json!({}), due)
}

/// A participant's group as they read it, in their language and on their clock.
#[derive(Debug, Clone)]
pub struct About {
    pub group: Group,
    /// "Tuesdays at 18:30 (EST)".
    pub weekly: String,
    /// The sessions to come, each "Tuesday, February 11, 2031 at 18:30 (EST)".
    pub upcoming: Vec<String>,
    pub sessions: usize,
    pub minutes: i32,
    /// The moderator's first name: how they introduce themselves in the group.
    pub moderator: String,
    /// The sessions still to come, for a calendar file.
    pub to_come: Vec<Session>,
}

/// A time as a participant reads it: "Tuesday, February 11, 2031 at 18:30 (EST)".
pub fn when(tr: Tr, tz: chrono_tz::Tz, t: NaiveDateTime) -> String {
    let local = t.and_utc().with_timezone(&tz);
    let zone = local.format("%H:%M (%Z)").to_string();
    tr.a2("notice-when", &("day", tr.long_day(local.date_naive())), &("time", zone))
}

/// The group `participant_id` is in, as they read it, if they are in one that has sessions.
pub fn about(
    c: &mut DbConn,
    participant_id: &str,
    lang: &str,
    tz: chrono_tz::Tz,
) -> QueryResult<Option<About>> {
    let group_id: Option<String> = db::schema::group_members::table
        .find(participant_id)
        .select(db::schema::group_members::group_id)
        .first(c)
        .optional()?;
    let Some(group) = group_id.map(|g| super::find(c, &g)).transpose()?.flatten() else { return Ok(None) };
    let all = attendance::sessions(c, &group.id)?;
    if all.is_empty() {
        return Ok(None);
    }
    let tr = Tr::new(Lang::parse(lang).unwrap_or_default());
    let now = db::now();
    let to_come: Vec<Session> =
        all.iter().filter(|s| s.status == SessionStatus::Scheduled && s.starts_at > now).cloned().collect();
    // The group's usual day and time on the reader's clock: the most common among its sessions
    // (one moved session is not the rule).
    // (one moved session is not the rule), named with the zone's abbreviation at its next one.
    let mut usual: std::collections::BTreeMap<(String, String), (usize, String)> = Default::default();
    for s in if to_come.is_empty() { &all } else { &to_come } {
        let local = s.starts_at.and_utc().with_timezone(&tz);
        let day = chrono::Datelike::weekday(&local).to_string().to_lowercase();
        let seen = usual
            .entry((day, local.format("%H:%M").to_string()))
            .or_insert((0, local.format("%Z").to_string()));
        seen.0 += 1;
    }
    let ((day, hm), (_, zone)) = usual.into_iter().max_by_key(|(_, (n, _))| *n).unwrap_or_default();
    let time = format!("{hm} ({zone})");
    let moderator = crate::auth::users::find(c, &group.moderator_id)?
        .and_then(|u| u.display_name.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default();
    Ok(Some(About {
        weekly: tr.a2("notice-weekly", &("day", tr.word("weekdays", &day)), &("time", time)),
        upcoming: to_come.iter().map(|s| when(tr, tz, s.starts_at)).collect(),
        sessions: all.iter().filter(|s| s.status == SessionStatus::Scheduled).count(),
        minutes: all[0].minutes,
        moderator,
        to_come,
        group,
    }))
}
