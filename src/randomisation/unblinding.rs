//! Emergency unblinding and the notices it leaves for admins.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{self, Change, Context, Event};
use crate::db::schema::{allocations, notices, unblindings};
use crate::db::text_enum::text_enum;
use crate::db::{self, DbConn};
use crate::enrolment::participants::{self, Participant};
use crate::service_error::ServiceError;
use crate::sites::Scope;

text_enum! {
    /// What a notice for admins is about.
    pub enum NoticeKind {
        /// Someone broke the blind for one participant.
        EmergencyUnblinding = "emergency_unblinding",
    }
}

/// A notice for admins.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = notices)]
pub struct Notice {
    pub id: String,
    pub created_at: NaiveDateTime,
    pub audience: String,
    pub kind: String,
    pub message: String,
    pub entity: String,
    pub entity_id: String,
}

/// Notices for admins, newest first. Every notice kind is about one participant (its entity), so
/// a site-limited admin sees those about their sites' participants.
pub fn list_notices(conn: &mut DbConn, scope: &Scope) -> QueryResult<Vec<Notice>> {
    let all: Vec<Notice> =
        notices::table.select(Notice::as_select()).order(notices::created_at.desc()).limit(500).load(conn)?;
    let Some(visible) = scope.participant_ids(conn)? else { return Ok(all) };
    Ok(all.into_iter().filter(|n| visible.contains(&n.entity_id)).collect())
}

/// Emergency unblinding of one participant: the reason is required, the act is audited, and
/// every admin gets a notice. Returns the arm id.
pub fn unblind(
    conn: &mut DbConn,
    ctx: &Context,
    scope: &Scope,
    participant_id: &str,
    reason: &str,
) -> Result<(Participant, String), ServiceError> {
    db::write_tx(conn, |c| {
        let p = participants::find_or_404(c, scope, participant_id)?;
        let arm: String = allocations::table
            .find(&p.id)
            .select(allocations::arm_id)
            .first(c)
            .optional()?
            .ok_or_else(|| {
                ServiceError::conflict("not_randomised", format!("{} has not been randomised", p.study_id))
            })?;
        let now = db::now();
        let user = ctx.actor.recorder();
        diesel::insert_into(unblindings::table)
            .values((
                unblindings::id.eq(uuid::Uuid::now_v7().to_string()),
                unblindings::participant_id.eq(&p.id),
                unblindings::user_id.eq(&user),
                unblindings::reason.eq(reason),
                unblindings::unblinded_at.eq(now),
            ))
            .execute(c)?;
        diesel::insert_into(notices::table)
            .values(&Notice {
                id: uuid::Uuid::now_v7().to_string(),
                created_at: now,
                audience: "admin".into(),
                kind: NoticeKind::EmergencyUnblinding.as_str().into(),
                message: format!("{} was unblinded in an emergency by user {user}", p.study_id),
                entity: "participant".into(),
                entity_id: p.id.clone(),
            })
            .execute(c)?;
        let admins: Vec<String> = crate::auth::users::list(c)?
            .into_iter()
            .filter(|u| u.role() == crate::auth::Role::Admin && !u.disabled)
            .map(|u| u.id)
            .collect();
        for admin in admins {
            crate::outbox::enqueue(
                c,
                &format!("notice:unblinding:{}:{admin}", p.id),
                crate::outbox::Kind::AdminNotice,
                &crate::outbox::Recipient::User(admin.clone()),
                "en",
                serde_json::json!({"notice": format!("{} was unblinded in an emergency", p.study_id)}),
                now,
            )?;
        }
        audit::append(
            c,
            ctx,
            Event {
                action: "emergency_unblinding",
                entity: "participant",
                entity_id: &p.id,
                changes: vec![Change::set("unblinded_by", &user)],
                reason: Some(reason),
            },
        )?;
        Ok((p, arm))
    })
}
