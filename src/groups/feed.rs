//! Calendars of sessions: what a person's calendar holds, as iCalendar, and each staff member's
//! personal calendar address, which calendar apps subscribe to without any header (they cannot
//! send one), so the secret is in the address. The feed says only what a calendar needs: group
//! names, session numbers and times; never a participant. Served by `routes::calendar`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use icalendar::{Calendar, Component, EventLike, Property};

use super::attendance::{self, Session};
use super::{Group, SessionStatus};
use crate::audit::{self, Change, Context, Event};
use crate::auth::users::User;
use crate::auth::{Permission, Role};
use crate::db::schema::{calendar_feeds, users};
use crate::db::{self, DbConn};
use crate::service_error::ServiceError;

/// Whose sessions a person's calendar holds: a moderator's own groups', anyone else's every group.
pub fn sessions_for(c: &mut DbConn, user: &User) -> QueryResult<Vec<(Session, Group)>> {
    let me = (user.role() == Role::Moderator).then_some(user.id.as_str());
    attendance::calendar(c, me)
}

/// The sessions as an iCalendar document (RFC 5545). Times are UTC, so every app shows them on
/// its own clock; each session keeps its UID, so a moved one moves in the app too.
pub fn ics(rows: &[(Session, Group)], name: &str) -> String {
    let mut cal = Calendar::new();
    cal.name(name);
    // Ask subscribing apps to look again hourly (Outlook and Apple honour these; Google polls on
    // its own schedule).
    cal.append_property(Property::new("REFRESH-INTERVAL", "PT1H").add_parameter("VALUE", "DURATION").done());
    cal.append_property(Property::new("X-PUBLISHED-TTL", "PT1H"));
    for (s, g) in rows {
        let start = s.starts_at.and_utc();
        let name = g.name.replace(char::is_control, " "); // one stored before names were checked
        let mut event = icalendar::Event::new();
        event
            .uid(&format!("{}@trialdesk", s.id))
            .summary(&format!("{name} — session {}", s.number))
            .starts(start)
            .ends(start + chrono::Duration::minutes(i64::from(s.minutes)));
        if s.status == SessionStatus::Cancelled {
            event.status(icalendar::EventStatus::Cancelled);
        }
        if let Some(link) = &g.meeting_url {
            event.location(link).url(link);
        }
        cal.push(event.done());
    }
    cal.done().to_string()
}

/// One's calendar address as the account page shows it (the secret is shown once, when made).
#[derive(Debug, Clone)]
pub struct Feed {
    pub created_at: NaiveDateTime,
    pub last_read_at: Option<NaiveDateTime>,
}

/// The person's calendar address, if they have one.
pub fn of(c: &mut DbConn, user_id: &str) -> QueryResult<Option<Feed>> {
    calendar_feeds::table
        .find(user_id)
        .select((calendar_feeds::created_at, calendar_feeds::last_read_at))
        .first::<(NaiveDateTime, Option<NaiveDateTime>)>(c)
        .optional()
        .map(|f| f.map(|(created_at, last_read_at)| Feed { created_at, last_read_at }))
}

/// Makes a calendar address for the person, replacing any they had (which stops working).
/// Returns the secret, which is never stored.
pub fn make(c: &mut DbConn, ctx: &Context, user_id: &str) -> Result<String, ServiceError> {
    let secret = crate::auth::random_hex(32)?;
    let now = db::now();
    db::write_tx(c, |c| -> QueryResult<()> {
        let replaced = diesel::delete(calendar_feeds::table.find(user_id)).execute(c)? > 0;
        diesel::insert_into(calendar_feeds::table)
            .values((
                calendar_feeds::user_id.eq(user_id),
                calendar_feeds::secret_hash.eq(crate::auth::sha256_hex(&secret)),
                calendar_feeds::created_at.eq(now),
            ))
            .execute(c)?;
        audit::append(
            c,
            ctx,
            Event {
                action: if replaced { "replace" } else { "create" },
                entity: "calendar_feed",
                entity_id: user_id,
                changes: vec![Change::set("created_at", now)],
                reason: None,
            },
        )?;
        Ok(())
    })?;
    Ok(secret)
}

/// Ends the person's calendar address; `false` when they had none.
pub fn revoke(c: &mut DbConn, ctx: &Context, user_id: &str) -> Result<bool, ServiceError> {
    Ok(db::write_tx(c, |c| -> QueryResult<bool> {
        let Some(feed) = of(c, user_id)? else { return Ok(false) };
        diesel::delete(calendar_feeds::table.find(user_id)).execute(c)?;
        audit::append(
            c,
            ctx,
            Event {
                action: "revoke",
                entity: "calendar_feed",
                entity_id: user_id,
                changes: vec![Change::update("created_at", Some(feed.created_at), None::<NaiveDateTime>)],
                reason: None,
            },
        )?;
        Ok(true)
    })?)
}

/// The person behind a calendar address, while their account is enabled and their role may read
/// groups.
pub fn owner(c: &mut DbConn, secret: &str) -> QueryResult<Option<User>> {
    let found: Option<(User, Option<NaiveDateTime>)> = calendar_feeds::table
        .inner_join(users::table)
        .filter(calendar_feeds::secret_hash.eq(crate::auth::sha256_hex(secret)))
        .select((User::as_select(), calendar_feeds::last_read_at))
        .first(c)
        .optional()?;
    let Some((user, last_read)) = found else { return Ok(None) };
    if user.disabled || !Permission::ReadGroups.allows(user.role()) {
        return Ok(None);
    }
    let now = db::now();
    // Bookkeeping so the person can see the address is in use; apps poll often, so hourly.
    if last_read.is_none_or(|t| now - t > chrono::Duration::hours(1)) {
        diesel::update(calendar_feeds::table.find(&user.id))
            .set(calendar_feeds::last_read_at.eq(now))
            .execute(c)?;
    }
    Ok(Some(user))
}
