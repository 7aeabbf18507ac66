//! Personal survey links: `/s/{token}`, a 256-bit random token stored only as its SHA-256,
//! expiring, revocable. A link opens its own participant's questionnaires and nothing else.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{self, Change, Context, Event};
use crate::auth::{random_hex, sha256_hex};
use crate::db::schema::{assessments, participants, survey_links};
use crate::db::{self, DbConn};
use crate::enrolment::participants::Participant;
use crate::service_error::ServiceError;

/// A stored link (never the token itself).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = survey_links)]
pub struct SurveyLink {
    pub id: String,
    pub participant_id: String,
    #[serde(skip)]
    pub token_hash: String,
    /// The language pages open in; the participant can switch.
    pub language: String,
    #[serde(serialize_with = "crate::json::utc")]
    pub created_at: NaiveDateTime,
    /// The staff member who made it; null when made for an invitation.
    pub created_by: Option<String>,
    #[serde(serialize_with = "crate::json::utc")]
    pub expires_at: NaiveDateTime,
    #[serde(serialize_with = "crate::json::utc_opt")]
    pub revoked_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::json::utc_opt")]
    pub last_used_at: Option<NaiveDateTime>,
}

/// Makes a link for a participant; returns it with the token, which is shown once and never
/// stored. Runs inside the caller's transaction.
pub fn issue(
    conn: &mut DbConn,
    participant_id: &str,
    language: &str,
    valid_days: i64,
    created_by: Option<&str>,
) -> Result<(SurveyLink, String), ServiceError> {
    let token = random_hex(32)?;
    let now = db::now();
    let link = SurveyLink {
        id: uuid::Uuid::now_v7().to_string(),
        participant_id: participant_id.to_owned(),
        token_hash: sha256_hex(&token),
        language: language.to_owned(),
        created_at: now,
        created_by: created_by.map(str::to_owned),
        expires_at: now + Duration::days(valid_days),
        revoked_at: None,
        last_used_at: None,
    };
    diesel::insert_into(survey_links::table).values(&link).execute(conn)?;
    Ok((link, token))
}

/// Revokes the participant's earlier links that e-mails carried (made by no one), now that a new
/// one, `keep`, goes out: only the newest e-mail's link works, so an old message found later, or
/// forwarded, opens nothing. A link used in the last hour stays: someone may be answering on it.
pub fn supersede(conn: &mut DbConn, participant_id: &str, keep: &str) -> QueryResult<usize> {
    let now = db::now();
    diesel::update(
        survey_links::table
            .filter(survey_links::participant_id.eq(participant_id))
            .filter(survey_links::id.ne(keep))
            .filter(survey_links::created_by.is_null())
            .filter(survey_links::revoked_at.is_null())
            .filter(survey_links::expires_at.gt(now))
            .filter(
                survey_links::last_used_at
                    .is_null()
                    .or(survey_links::last_used_at.lt(now - Duration::hours(1))),
            ),
    )
    .set(survey_links::revoked_at.eq(now))
    .execute(conn)
}

/// What a token leads to.
pub enum Resolved {
    Valid(Box<(SurveyLink, Participant)>),
    Expired,
    Revoked,
    /// Withdrawn participants' links stop working.
    Withdrawn,
    Unknown,
}

/// Looks a token up. Only well-formed tokens reach the database.
pub fn resolve(conn: &mut DbConn, token: &str) -> QueryResult<Resolved> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(Resolved::Unknown);
    }
    let found: Option<(SurveyLink, Participant)> = survey_links::table
        .inner_join(participants::table)
        .filter(survey_links::token_hash.eq(sha256_hex(token)))
        .select((SurveyLink::as_select(), Participant::as_select()))
        .first(conn)
        .optional()?;
    let Some((link, p)) = found else { return Ok(Resolved::Unknown) };
    Ok(if link.revoked_at.is_some() {
        Resolved::Revoked
    } else if link.expires_at <= db::now() {
        Resolved::Expired
    } else if p.withdrawn_at.is_some() {
        Resolved::Withdrawn
    } else {
        Resolved::Valid(Box::new((link, p)))
    })
}

/// Records the language a participant switched to on their link.
pub fn set_language(conn: &mut DbConn, link_id: &str, language: &str) -> QueryResult<()> {
    diesel::update(survey_links::table.find(link_id))
        .set((survey_links::language.eq(language), survey_links::last_used_at.eq(db::now())))
        .execute(conn)
        .map(|_| ())
}

/// Makes a link at a coordinator's request (audited).
pub fn create(
    conn: &mut DbConn,
    ctx: &Context,
    participant: &Participant,
    valid_days: i64,
) -> Result<(SurveyLink, String), ServiceError> {
    if participant.withdrawn_at.is_some() {
        return Err(ServiceError::conflict("withdrawn", format!("{} has withdrawn", participant.study_id)));
    }
    db::write_tx(conn, |c| {
        let (link, token) =
            issue(c, &participant.id, &participant.preferred_language, valid_days, ctx.actor.id.as_deref())?;
        audit::append(
            c,
            ctx,
            Event {
                action: "create_survey_link",
                entity: "participant",
                entity_id: &participant.id,
                changes: vec![Change::set("link_id", &link.id), Change::set("expires_at", link.expires_at)],
                reason: None,
            },
        )?;
        Ok((link, token))
    })
}

/// E-mails the participant an invitation now to the questionnaires open for them (the earliest
/// first), with a fresh link made when it is sent: for someone who lost the first e-mail or whose
/// link expired. Returns the assessment invited to. Audited.
pub fn invite_now(
    conn: &mut DbConn,
    ctx: &Context,
    participant: &Participant,
) -> Result<crate::assessments::Assessment, ServiceError> {
    use crate::outbox::{Kind, Message, Recipient};
    if participant.withdrawn_at.is_some() {
        return Err(ServiceError::conflict("withdrawn", format!("{} has withdrawn", participant.study_id)));
    }
    db::write_tx(conn, |c| {
        let now = db::now();
        let open: Vec<crate::assessments::Assessment> = assessments::table
            .filter(assessments::participant_id.eq(&participant.id))
            .order(assessments::target_date.asc())
            .select(crate::assessments::Assessment::as_select())
            .load(c)?;
        let Some(a) = open.into_iter().find(|a| a.is_answerable(now)) else {
            return Err(ServiceError::conflict(
                "nothing_open",
                format!("no questionnaire is open for {} now", participant.study_id),
            ));
        };
        let has_email =
            crate::enrolment::participants::contact(c, &participant.id)?.is_some_and(|k| k.email.is_some());
        if !has_email {
            return Err(ServiceError::conflict(
                "no_email",
                format!(
                    "{} has no e-mail address on file: make a link and read it out instead",
                    participant.study_id
                ),
            ));
        }
        // A key of its own each time: asking again sends again, never merged with the scheduled one.
        let key = format!("invite-now:{}:{}", a.id, uuid::Uuid::now_v7());
        let to = Recipient::Participant(participant.id.clone());
        let payload = serde_json::json!({ "assessment_id": a.id });
        crate::outbox::enqueue_fresh(
            c,
            &[Message::new(
                &key,
                Kind::SurveyInvitation,
                &to,
                &participant.preferred_language,
                &payload,
                now,
            )],
        )?;
        audit::append(
            c,
            ctx,
            Event {
                action: "send_invitation",
                entity: "participant",
                entity_id: &participant.id,
                changes: vec![Change::set("assessment_id", &a.id), Change::set("timepoint", &a.timepoint)],
                reason: None,
            },
        )?;
        Ok(a)
    })
}

/// The participant a link belongs to.
pub fn owner(conn: &mut DbConn, link_id: &str) -> QueryResult<Option<String>> {
    survey_links::table.find(link_id).select(survey_links::participant_id).first(conn).optional()
}

/// A participant's links, newest first.
pub fn list_for(conn: &mut DbConn, participant_id: &str) -> QueryResult<Vec<SurveyLink>> {
    survey_links::table
        .filter(survey_links::participant_id.eq(participant_id))
        .order(survey_links::created_at.desc())
        .select(SurveyLink::as_select())
        .load(conn)
}

/// Revokes one link (audited); revoking twice is a conflict.
pub fn revoke(
    conn: &mut DbConn,
    ctx: &Context,
    link_id: &str,
    reason: &str,
) -> Result<SurveyLink, ServiceError> {
    db::write_tx(conn, |c| {
        let link: SurveyLink = survey_links::table
            .find(link_id)
            .select(SurveyLink::as_select())
            .first(c)
            .optional()?
            .ok_or_else(|| ServiceError::NotFound("survey link".into()))?;
        if link.revoked_at.is_some() {
            return Err(ServiceError::conflict("already_revoked", "this link was already revoked"));
        }
        let now = db::now();
        diesel::update(survey_links::table.find(link_id)).set(survey_links::revoked_at.eq(now)).execute(c)?;
        audit::append(
            c,
            ctx,
            Event {
                action: "revoke_survey_link",
                entity: "participant",
                entity_id: &link.participant_id,
                changes: vec![
                    Change::update("revoked_at", None::<NaiveDateTime>, now),
                    Change::set("link_id", link_id),
                ],
                reason: Some(reason),
            },
        )?;
        Ok(SurveyLink { revoked_at: Some(now), ..link })
    })
}
