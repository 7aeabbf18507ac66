//! Contact attempts: the calls, texts and e-mails of retention work (most of a coordinator's week),
//! each a small record on the participant's timeline, audited like every change.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{self, Change, Context, Event};
use crate::db::schema::contact_attempts;
use crate::db::text_enum::text_enum;
use crate::db::{self, DbConn};
use crate::service_error::ServiceError;
use crate::sites::Scope;

text_enum! {
    /// How the participant was contacted.
    pub enum Channel {
        Call = "call",
        TextMessage = "text_message",
        Mail = "mail",
        Video = "video",
        InPerson = "in_person",
    }
}

text_enum! {
    /// What came of an attempt.
    pub enum AttemptOutcome {
        Reached = "reached",
        LeftMessage = "left_message",
        NoAnswer = "no_answer",
        WrongNumber = "wrong_number",
        AskedNotToBeContacted = "asked_not_to_be_contacted",
    }
}

impl Channel {
    pub fn label(self) -> &'static str {
        match self {
            Channel::Call => "Phone call",
            Channel::TextMessage => "Text message",
            Channel::Mail => "E-mail",
            Channel::Video => "Video call",
            Channel::InPerson => "In person",
        }
    }
}

impl AttemptOutcome {
    pub fn label(self) -> &'static str {
        match self {
            AttemptOutcome::Reached => "Reached them",
            AttemptOutcome::LeftMessage => "Left a message",
            AttemptOutcome::NoAnswer => "No answer",
            AttemptOutcome::WrongNumber => "Wrong number or address",
            AttemptOutcome::AskedNotToBeContacted => "Asked not to be contacted",
        }
    }
}

/// A recorded attempt.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = contact_attempts)]
pub struct Attempt {
    pub id: String,
    #[serde(skip)]
    pub participant_id: String,
    #[serde(serialize_with = "crate::json::utc")]
    pub attempted_at: NaiveDateTime,
    pub channel: Channel,
    pub outcome: AttemptOutcome,
    /// Free text: what was said or agreed (never logged).
    pub note: Option<String>,
    pub recorded_by: Option<String>,
    #[serde(serialize_with = "crate::json::utc")]
    pub created_at: NaiveDateTime,
}

/// What a new attempt says.
#[derive(Debug, Clone)]
pub struct NewAttempt {
    pub attempted_at: NaiveDateTime,
    pub channel: Channel,
    pub outcome: AttemptOutcome,
    pub note: Option<String>,
}

/// Records an attempt for participant `id` (id or study id) within `scope`. An attempt in the
/// future, or before the participant was enrolled, is refused: it would misplace the timeline.
pub fn record(
    conn: &mut DbConn,
    ctx: &Context,
    scope: &Scope,
    id: &str,
    new: NewAttempt,
) -> Result<Attempt, ServiceError> {
    let note = new.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(ServiceError::validation("note", "must be at most 2000 characters"));
    }
    db::write_tx(conn, |c| {
        let p = super::participants::find_or_404(c, scope, id)?;
        let now = db::now();
        if new.attempted_at > now + chrono::Duration::minutes(5) {
            return Err(ServiceError::validation("attempted_at", "is in the future"));
        }
        if new.attempted_at < p.enrolled_at - chrono::Duration::days(1) {
            return Err(ServiceError::validation("attempted_at", "is before the participant was enrolled"));
        }
        let row = Attempt {
            id: uuid::Uuid::now_v7().to_string(),
            participant_id: p.id.clone(),
            attempted_at: new.attempted_at,
            channel: new.channel,
            outcome: new.outcome,
            note,
            recorded_by: ctx.actor.id.clone(),
            created_at: now,
        };
        diesel::insert_into(contact_attempts::table).values(&row).execute(c)?;
        audit::append(
            c,
            ctx,
            Event {
                action: "record_contact_attempt",
                entity: "participant",
                entity_id: &p.id,
                changes: vec![
                    Change::set("attempt_id", &row.id),
                    Change::set("attempted_at", row.attempted_at),
                    Change::set("channel", row.channel),
                    Change::set("outcome", row.outcome),
                    Change::set("note", &row.note),
                ],
                reason: None,
            },
        )?;
        Ok(row)
    })
}

/// A participant's attempts, newest first.
pub fn list_for(conn: &mut DbConn, participant_id: &str) -> QueryResult<Vec<Attempt>> {
    contact_attempts::table
        .filter(contact_attempts::participant_id.eq(participant_id))
        .order(contact_attempts::attempted_at.desc())
        .select(Attempt::as_select())
        .load(conn)
}

/// The latest attempt of each of `ids`, for a queue's "last contact" column.
pub fn latest_of(
    conn: &mut DbConn,
    ids: &[String],
) -> QueryResult<std::collections::BTreeMap<String, Attempt>> {
    let rows: Vec<Attempt> = contact_attempts::table
        .filter(contact_attempts::participant_id.eq_any(ids))
        .order(contact_attempts::attempted_at.asc())
        .select(Attempt::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(|a| (a.participant_id.clone(), a)).collect())
}
