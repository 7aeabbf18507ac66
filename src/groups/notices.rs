//! Telling participants about their group, through the outbox (so each message is sent once, and
//! nothing reaches someone who withdrew): "your group is ready" when it starts or when they join
//! it running, a notice when one of their sessions moves or is cancelled, and the end of a
//! waitlist. What the messages say is read when they are sent (`jobs::mail`), from `about`.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use serde_json::json;

use super::{Group, SessionStatus};
use crate::db::{self, DbConn};
use crate::enrolment::participants;
use crate::i18n::{Lang, Tr};
use crate::outbox::{Kind, Message, Recipient, enqueue};
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

/// A session that moved or was cancelled: its id, its start now, and its start before.
pub struct Change<'a> {
    pub session_id: &'a str,
    pub starts_at: NaiveDateTime,
    pub before: NaiveDateTime,
    pub cancelled: bool,
}

/// Queues a notice to each of `members` (those whose session it is, still in the study) that it
/// moved (to its time now) or was cancelled. A session already past tells no one.
pub fn session_changed(c: &mut DbConn, change: &Change<'_>, members: &[String]) -> QueryResult<()> {
    let now = db::now();
    if change.starts_at <= now && change.before <= now {
        return Ok(());
    }
    let (sid, at) = (change.session_id, change.starts_at.and_utc().timestamp());
    for pid in members {
        let lang = language_of(c, pid)?;
        // One notice per move (a second move is a second notice), one per cancellation.
        let key = if change.cancelled {
            format!("cancelled:{sid}:{pid}")
        } else {
            format!("moved:{sid}:{pid}:{at}")
        };
        let payload =
            json!({"session_id": sid, "starts_at": at, "before": change.before.and_utc().timestamp()});
        enqueue(c, &key, Kind::SessionChanged, &Recipient::Participant(pid.clone()), &lang, payload, now)?;
    }
    Ok(())
}

/// The notice that a waitlisted participant's wait is over, for 9:00 on that day in the study's
/// zone (their key is new at allocation: it is queued with the allocation's other messages).
pub fn waitlist_end_message(pid: &str, day: NaiveDate, tz: chrono_tz::Tz, language: &str) -> Message {
    let due = crate::calendar::local_to_utc(day, NaiveTime::MIN + chrono::Duration::hours(9), tz).naive_utc();
    let to = Recipient::Participant(pid.to_owned());
    Message::new(&format!("waitlist:{pid}"), Kind::WaitlistEnded, &to, language, &json!({}), due)
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
    use db::schema::group_sessions as gs;
    let all: Vec<(NaiveDateTime, SessionStatus, i32)> = gs::table
        .filter(gs::group_id.eq(&group.id))
        .order(gs::number.asc())
        .select((gs::starts_at, gs::status, gs::minutes))
        .load(c)?;
    if all.is_empty() {
        return Ok(None);
    }
    let tr = Tr::new(Lang::parse(lang).unwrap_or_default());
    let now = db::now();
    let to_come: Vec<NaiveDateTime> = all
        .iter()
        .filter(|(t, s, _)| *s == SessionStatus::Scheduled && *t > now)
        .map(|(t, _, _)| *t)
        .collect();
    let every: Vec<NaiveDateTime> = all.iter().map(|(t, _, _)| *t).collect();
    // The group's usual day and time on the reader's clock: the most common among its sessions
    // (one moved session is not the rule), named with the zone's abbreviation at its next one.
    let mut usual: std::collections::BTreeMap<(String, String), (usize, String)> = Default::default();
    for t in if to_come.is_empty() { &every } else { &to_come } {
        let local = t.and_utc().with_timezone(&tz);
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
        upcoming: to_come.iter().map(|t| when(tr, tz, *t)).collect(),
        sessions: all.iter().filter(|(_, s, _)| *s == SessionStatus::Scheduled).count(),
        minutes: all[0].2,
        moderator,
        group,
    }))
}
