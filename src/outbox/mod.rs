//! The message outbox: messages are rows, written in the same transaction as the change that
//! causes them, and a worker inside `serve` delivers them by SMTP.
//!
//! - Never twice: `dedupe_key` is unique, so enqueuing again is a no-op; a message is claimed
//!   before it is sent and marked sent after, both in the database, so a restart or a second
//!   worker does not send it again. (A crash between the SMTP server's acceptance and the mark
//!   could repeat one message; its Message-ID stays the same, so mail systems can drop it.)
//! - Contact details are read at send time, never stored here; nothing goes to a participant
//!   who has withdrawn.
//! - Failures are retried with exponential backoff, then recorded as failed.

pub mod pages;
pub mod routes;
pub mod status;
pub mod templates;

pub use status::{Kind, RecipientKind, Status};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{self, Change, Context, Event};
use crate::db::batch::Batch;
use crate::db::schema::outbox;
use crate::db::{self, DbConn};
use crate::service_error::ServiceError;
use crate::sites::Scope;

/// Who receives a message: an id, resolved to an address only when sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Participant(String),
    User(String),
}

/// A stored message.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = outbox)]
pub struct Message {
    pub id: String,
    pub dedupe_key: String,
    #[schema(value_type = String)]
    pub kind: Kind,
    #[schema(value_type = String)]
    pub recipient_kind: RecipientKind,
    pub recipient_id: String,
    pub language: String,
    /// Template values (never contact details).
    pub payload: String,
    /// `pending`, `sent`, `failed` or `cancelled`.
    #[schema(value_type = String)]
    pub status: Status,
    #[serde(serialize_with = "crate::json::utc")]
    pub due_at: NaiveDateTime,
    #[serde(serialize_with = "crate::json::utc_opt")]
    pub claimed_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::json::utc_opt")]
    pub sent_at: Option<NaiveDateTime>,
    pub attempts: i32,
    pub last_error: Option<String>,
    #[serde(serialize_with = "crate::json::utc")]
    pub created_at: NaiveDateTime,
}

/// Queues a message unless one with the same key exists. Call inside the write transaction of
/// the change that causes it.
pub fn enqueue(
    conn: &mut DbConn,
    key: &str,
    kind: Kind,
    to: &Recipient,
    language: &str,
    payload: serde_json::Value,
    due_at: NaiveDateTime,
) -> QueryResult<()> {
    let exists: Option<(String, Status)> = outbox::table
        .filter(outbox::dedupe_key.eq(key))
        .select((outbox::id, outbox::status))
        .first(conn)
        .optional()?;
    if let Some((id, status)) = exists {
        // A cancelled message wanted again (moved back to a former group) comes back to life;
        // one pending, sent or failed stays as it is.
        if status == Status::Cancelled {
            diesel::update(outbox::table.filter(outbox::id.eq(id)))
                .set((
                    outbox::status.eq(Status::Pending),
                    outbox::due_at.eq(due_at),
                    outbox::last_error.eq(None::<String>),
                ))
                .execute(conn)?;
        }
        return Ok(());
    }
    diesel::insert_into(outbox::table)
        .values(&Message::new(key, kind, to, language, &payload, due_at))
        .execute(conn)?;
    Ok(())
}

/// Queues messages whose keys are new (made from an id created in this transaction): no look-up
/// for an earlier copy is needed, and all go in one statement.
pub fn enqueue_fresh(conn: &mut DbConn, messages: &[Message]) -> QueryResult<()> {
    if !messages.is_empty() {
        crate::db::batch::insert_many!(conn, outbox::table, messages)?;
    }
    Ok(())
}

impl Message {
    /// A pending message, not yet stored.
    pub fn new(
        key: &str,
        kind: Kind,
        to: &Recipient,
        language: &str,
        payload: &serde_json::Value,
        due_at: NaiveDateTime,
    ) -> Self {
        let (recipient_kind, recipient_id) = match to {
            Recipient::Participant(id) => (RecipientKind::Participant, id.clone()),
            Recipient::User(id) => (RecipientKind::User, id.clone()),
        };
        Message {
            id: uuid::Uuid::now_v7().to_string(),
            dedupe_key: key.to_owned(),
            kind,
            recipient_kind,
            recipient_id,
            language: language.to_owned(),
            payload: payload.to_string(),
            status: Status::Pending,
            due_at,
            claimed_at: None,
            sent_at: None,
            attempts: 0,
            last_error: None,
            created_at: db::now(),
        }
    }
}

/// Moves pending messages whose key starts with `prefix` to a new due time (a rescheduled session).
pub fn reschedule(conn: &mut DbConn, prefix: &str, due_at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::dedupe_key.like(format!("{prefix}%")))
            .filter(outbox::status.eq(Status::Pending)),
    )
    .set(outbox::due_at.eq(due_at))
    .execute(conn)
}

/// Cancels pending messages whose key starts with `prefix` (a cancelled session, a withdrawal).
pub fn cancel(conn: &mut DbConn, prefix: &str, why: &str) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::dedupe_key.like(format!("{prefix}%")))
            .filter(outbox::status.eq(Status::Pending)),
    )
    .set((outbox::status.eq(Status::Cancelled), outbox::last_error.eq(why)))
    .execute(conn)
}

/// Sends the pending messages whose key starts with `prefix` to another staff member instead (a
/// group's new moderator gets the rosters of the sessions to come).
pub fn readdress(conn: &mut DbConn, prefix: &str, user_id: &str) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::dedupe_key.like(format!("{prefix}%")))
            .filter(outbox::status.eq(Status::Pending))
            .filter(outbox::recipient_kind.eq(RecipientKind::User)),
    )
    .set(outbox::recipient_id.eq(user_id))
    .execute(conn)
}

/// Cancels the pending messages with these keys, in one statement that finds them by the unique
/// key. (Written as `IN (…) AND status = 'pending'`, SQLite's planner would pick the status
/// index and read every pending message; here the status is tested per row instead.)
pub fn cancel_keys(conn: &mut DbConn, keys: &[String], why: &str) -> QueryResult<()> {
    db::batch::together(conn, |c, batch| cancel_keys_in(batch, c, keys, why))
}

/// `cancel_keys` as part of a `Batch` (one statement with the request's other writes on
/// PostgreSQL, where the keys are one array parameter: one form to prepare, whatever their number).
pub fn cancel_keys_in<'a>(
    batch: &mut Batch<'a>,
    conn: &mut DbConn,
    keys: &'a [String],
    why: &'a str,
) -> QueryResult<()> {
    use diesel::dsl::case_when;
    use diesel::sql_types::{Nullable, Text};
    if keys.is_empty() {
        return Ok(());
    }
    let pending = || outbox::status.eq(Status::Pending);
    batch.add(
        conn,
        diesel::update(outbox::table.filter(outbox::dedupe_key.eq_any(keys))).set((
            outbox::last_error
                .eq(case_when::<_, _, Nullable<Text>>(pending(), Some(why)).otherwise(outbox::last_error)),
            outbox::status
                .eq(case_when::<_, _, Text>(pending(), Status::Cancelled).otherwise(outbox::status)),
        )),
    )
}

/// Cancels pending messages to a participant, of one kind or all.
pub fn cancel_to_participant(
    conn: &mut DbConn,
    participant_id: &str,
    kind: Option<Kind>,
    why: &str,
) -> QueryResult<usize> {
    let kinds: Vec<Kind> = match kind {
        Some(k) => vec![k],
        None => Kind::ALL.iter().copied().filter(|k| k.is_to_participant()).collect(),
    };
    diesel::update(
        outbox::table
            .filter(outbox::kind.eq_any(kinds))
            .filter(outbox::recipient_kind.eq(RecipientKind::Participant))
            .filter(outbox::recipient_id.eq(participant_id))
            .filter(outbox::status.eq(Status::Pending)),
    )
    .set((outbox::status.eq(Status::Cancelled), outbox::last_error.eq(why)))
    .execute(conn)
}

/// When a participant's session-day reminder goes out: 08:00 on the session's local day, or an
/// hour before the session if that is earlier.
pub fn reminder_due(starts_at: NaiveDateTime, tz: chrono_tz::Tz) -> NaiveDateTime {
    let local_day = starts_at.and_utc().with_timezone(&tz).date_naive();
    let eight =
        crate::calendar::local_to_utc(local_day, chrono::NaiveTime::MIN + Duration::hours(8), tz).naive_utc();
    eight.min(starts_at - Duration::hours(1))
}

/// A claimed message stays claimed this long; after that a crashed worker's claim lapses. One
/// message is claimed at a time and an SMTP attempt times out after 15 s, so a live worker always
/// finishes long before its claim could lapse.
const CLAIM_LEASE: Duration = Duration::minutes(5);

/// Claims the next due message for this worker; another worker cannot claim it too.
pub fn claim_next(conn: &mut DbConn) -> QueryResult<Option<Message>> {
    let now = db::now();
    let candidates: Vec<Message> = outbox::table
        .filter(outbox::status.eq(Status::Pending))
        .filter(outbox::due_at.le(now))
        .filter(outbox::claimed_at.is_null().or(outbox::claimed_at.lt(now - CLAIM_LEASE)))
        .order(outbox::due_at.asc())
        .limit(5)
        .select(Message::as_select())
        .load(conn)?;
    for mut m in candidates {
        // The claim is a conditional update: of two workers, only one changes the row.
        let won = diesel::update(
            outbox::table
                .filter(outbox::id.eq(&m.id))
                .filter(outbox::status.eq(Status::Pending))
                .filter(outbox::claimed_at.is_null().or(outbox::claimed_at.lt(now - CLAIM_LEASE))),
        )
        .set((outbox::claimed_at.eq(now), outbox::attempts.eq(outbox::attempts + 1)))
        .execute(conn)?;
        if won == 1 {
            m.claimed_at = Some(now);
            m.attempts += 1;
            return Ok(Some(m));
        }
    }
    Ok(None)
}

/// Why a delivery attempt failed: temporary (worth retrying) or permanent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Temporary(String),
    Permanent(String),
}

/// Records the outcome of one delivery attempt, only while this worker's claim still holds.
pub fn finish(
    conn: &mut DbConn,
    m: &Message,
    outcome: Result<(), Failure>,
    max_attempts: i32,
    retry_base: Duration,
) -> QueryResult<()> {
    let now = db::now();
    let target = outbox::table.filter(outbox::id.eq(&m.id)).filter(outbox::claimed_at.eq(m.claimed_at));
    match outcome {
        Ok(()) => diesel::update(target)
            .set((
                outbox::status.eq(Status::Sent),
                outbox::sent_at.eq(now),
                outbox::last_error.eq(None::<String>),
            ))
            .execute(conn)?,
        Err(Failure::Permanent(e)) => diesel::update(target)
            .set((outbox::status.eq(Status::Failed), outbox::last_error.eq(e)))
            .execute(conn)?,
        Err(Failure::Temporary(e)) if m.attempts >= max_attempts => diesel::update(target)
            .set((outbox::status.eq(Status::Failed), outbox::last_error.eq(e)))
            .execute(conn)?,
        Err(Failure::Temporary(e)) => {
            let backoff = retry_base * 2i32.pow(u32::try_from(m.attempts - 1).unwrap_or(0).min(10));
            diesel::update(target)
                .set((
                    outbox::claimed_at.eq(None::<NaiveDateTime>),
                    outbox::due_at.eq(now + backoff),
                    outbox::last_error.eq(e),
                ))
                .execute(conn)?
        }
    };
    Ok(())
}

/// Marks a message as not to be sent (its recipient withdrew, or has no address).
pub fn drop_message(conn: &mut DbConn, m: &Message, why: &str) -> QueryResult<()> {
    diesel::update(outbox::table.filter(outbox::id.eq(&m.id)))
        .set((outbox::status.eq(Status::Cancelled), outbox::last_error.eq(why)))
        .execute(conn)?;
    Ok(())
}

/// Messages, newest first (for the admin view).
pub fn list(conn: &mut DbConn, status: Option<&str>) -> QueryResult<Vec<Message>> {
    let mut q =
        outbox::table.select(Message::as_select()).order(outbox::created_at.desc()).limit(500).into_boxed();
    if let Some(s) = status {
        q = q.filter(outbox::status.eq(s.to_owned()));
    }
    q.load(conn)
}

/// The messages `me` may see under `scope`: a site-limited admin sees those to their sites'
/// participants, and their own.
pub fn list_visible(
    conn: &mut DbConn,
    scope: &Scope,
    me: &str,
    status: Option<&str>,
) -> QueryResult<Vec<Message>> {
    let Some(visible) = scope.participant_ids(conn)? else { return list(conn, status) };
    // Filtered before the limit, so that other sites' messages do not crowd the newest out.
    let mut q = outbox::table
        .select(Message::as_select())
        .filter(visible_to(visible, me.to_owned()))
        .order(outbox::created_at.desc())
        .limit(500)
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(outbox::status.eq(s.to_owned()));
    }
    q.load(conn)
}

/// Messages to one of the `visible` participants, or to the account `me`: what a site-limited
/// account sees, as a filter (`sees` is the same rule for one message in memory).
#[diesel::dsl::auto_type]
fn visible_to(visible: std::collections::BTreeSet<String>, me: String) -> _ {
    // auto_type reads the types off the expression: the variants need a declared type.
    let (participant, user): (RecipientKind, RecipientKind) =
        (RecipientKind::Participant, RecipientKind::User);
    outbox::recipient_kind
        .eq(participant)
        .and(outbox::recipient_id.eq_any(visible))
        .or(outbox::recipient_kind.eq(user).and(outbox::recipient_id.eq(me)))
}

fn sees(visible: &std::collections::BTreeSet<String>, me: &str, m: &Message) -> bool {
    match m.recipient_kind {
        RecipientKind::Participant => visible.contains(&m.recipient_id),
        RecipientKind::User => m.recipient_id == me,
    }
}

/// How many of the messages `me` may see are in each state, for the page's filter.
pub fn counts(conn: &mut DbConn, scope: &Scope, me: &str) -> QueryResult<Vec<(Status, i64)>> {
    let Some(visible) = scope.participant_ids(conn)? else {
        return outbox::table
            .group_by(outbox::status)
            .select((outbox::status, diesel::dsl::count_star()))
            .load(conn);
    };
    // The same messages `list_visible` reads, counted by the database.
    outbox::table
        .filter(visible_to(visible, me.to_owned()))
        .group_by(outbox::status)
        .select((outbox::status, diesel::dsl::count_star()))
        .load(conn)
}

/// Sends a failed message again: pending, due now, its attempts counted afresh (audited). Only a
/// failed one: a cancelled message was cancelled for a reason (a withdrawal, a questionnaire
/// already done) that still holds, and a pending one is already on its way.
pub fn retry(conn: &mut DbConn, ctx: &Context, scope: &Scope, id: &str) -> Result<Message, ServiceError> {
    db::write_tx(conn, |c| {
        let mut m: Message = outbox::table
            .find(id)
            .select(Message::as_select())
            .first(c)
            .optional()?
            .ok_or_else(|| ServiceError::NotFound("message".into()))?;
        if let Some(visible) = scope.participant_ids(c)?
            && !sees(&visible, ctx.actor.id.as_deref().unwrap_or_default(), &m)
        {
            return Err(ServiceError::NotFound("message".into()));
        }
        if m.status != Status::Failed {
            return Err(ServiceError::conflict(
                "not_failed",
                format!("only a failed message is sent again; this one is {}", m.status.as_str()),
            ));
        }
        let now = db::now();
        diesel::update(outbox::table.find(id))
            .set((
                outbox::status.eq(Status::Pending),
                outbox::due_at.eq(now),
                outbox::claimed_at.eq(None::<NaiveDateTime>),
                outbox::attempts.eq(0),
                // The audit entry keeps why it failed; the page shows why it fails now, if it does.
                outbox::last_error.eq(None::<String>),
            ))
            .execute(c)?;
        audit::append(
            c,
            ctx,
            Event {
                action: "retry",
                entity: "outbox_message",
                entity_id: id,
                changes: vec![
                    Change::update("status", Status::Failed.as_str(), Status::Pending.as_str()),
                    Change::update("attempts", m.attempts, 0),
                    Change::update("last_error", m.last_error.as_deref(), None::<&str>),
                ],
                reason: None,
            },
        )?;
        (m.status, m.due_at, m.claimed_at, m.attempts, m.last_error) = (Status::Pending, now, None, 0, None);
        Ok(m)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time")
    }

    #[test]
    fn a_reminder_goes_out_at_eight_local_or_an_hour_before_an_earlier_session() {
        let ny: chrono_tz::Tz = "America/New_York".parse().expect("zone");
        // 19:00 EST is 00:00 UTC the next day; 08:00 EST is 13:00 UTC.
        assert_eq!(reminder_due(at("2027-02-24 00:00"), ny), at("2027-02-23 13:00"));
        // 08:15 EST (13:15 UTC): an hour before is earlier than 08:00.
        assert_eq!(reminder_due(at("2027-02-23 13:15"), ny), at("2027-02-23 12:15"));
    }
}
