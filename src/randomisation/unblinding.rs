//! Emergency unblinding and the notices it leaves for admins.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{self, Change, Context, Event};
use crate::auth::Role;
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
    #[serde(serialize_with = "crate::json::utc")]
    pub created_at: NaiveDateTime,
    pub audience: String,
    pub kind: String,
    pub message: String,
    pub entity: String,
    pub entity_id: String,
}

/// How many emergency unblindings there have been of participants within `scope` (CONSORT
/// asks for the number).
pub fn count_unblindings(conn: &mut DbConn, scope: &Scope) -> QueryResult<u64> {
    let ids: Vec<String> = unblindings::table.select(unblindings::participant_id).load(conn)?;
    let Some(visible) = scope.participant_ids(conn)? else { return Ok(ids.len() as u64) };
    Ok(ids.iter().filter(|id| visible.contains(*id)).count() as u64)
}

/// Notices for admins, newest first. Every notice kind is about one participant (its entity), so
/// a site-limited admin sees those about their sites' participants.
pub fn list_notices(conn: &mut DbConn, scope: &Scope) -> QueryResult<Vec<Notice>> {
    let all: Vec<Notice> =
        notices::table.select(Notice::as_select()).order(notices::created_at.desc()).limit(500).load(conn)?;
    let Some(visible) = scope.participant_ids(conn)? else { return Ok(all) };
    Ok(all.into_iter().filter(|n| visible.contains(&n.entity_id)).collect())
}

/// Emergency unblinding of one participant: the reason is required, the act is audited, every
/// admin gets a notice, and every admin and unblinded statistician an e-mail through the outbox
/// (the statistician keeps the count CONSORT reports). Returns the arm id, for the caller to
/// show once: the participant's record keeps only that, and when, this person learnt it.
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
        let unblinding_id = uuid::Uuid::now_v7().to_string();
        diesel::insert_into(unblindings::table)
            .values((
                unblindings::id.eq(&unblinding_id),
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
        let told: Vec<String> = crate::auth::users::list(c)?
            .into_iter()
            .filter(|u| matches!(u.role(), Role::Admin | Role::StatisticianUnblinded) && !u.disabled)
            .map(|u| u.id)
            .collect();
        for to in told {
            crate::outbox::enqueue(
                c,
                &format!("notice:unblinding:{unblinding_id}:{to}"),
                crate::outbox::Kind::AdminNotice,
                &crate::outbox::Recipient::User(to.clone()),
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
