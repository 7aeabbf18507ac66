//! Consent against the form in force (witnessed by staff, or signed by the participant on their own
//! link: `electronic`), re-consent when a newer form is approved, voiding a consent recorded in
//! error, and withdrawal.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::participants::{self, Participant};
use crate::audit::{self, Change, Context, Event};
use crate::db::schema::{consents, participants as participants_table};
use crate::db::{self, DbConn};
use crate::service_error::ServiceError;
use crate::sites::Scope;

/// A signed consent.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = consents)]
pub struct Consent {
    pub id: String,
    #[serde(skip)]
    pub participant_id: String,
    pub form_version: String,
    /// The typed full name; identifying, so never shown outside this record.
    #[serde(skip)]
    pub signature_name: String,
    #[serde(serialize_with = "crate::json::utc")]
    pub signed_at: NaiveDateTime,
    /// The staff member who witnessed it, when staff entered it.
    pub witness_user_id: Option<String>,
    pub language: String,
    /// Set when the consent was recorded in error: it then counts for nothing, but stays.
    #[serde(serialize_with = "crate::json::utc_opt")]
    pub voided_at: Option<NaiveDateTime>,
    pub voided_by: Option<String>,
    pub void_reason: Option<String>,
    /// E-consent: the SHA-256 of what was signed, printed on the participant's copy.
    pub content_hash: Option<String>,
}

impl Consent {
    /// Whether it still counts (not voided).
    pub fn stands(&self) -> bool {
        self.voided_at.is_none()
    }
}

/// Who signed, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signing {
    /// Staff recorded it and witnessed it (the acting user is the witness).
    Witnessed,
    /// The participant read the form on their own link and typed their name.
    Electronic,
}

/// Records staff-witnessed consent to the form in force (read inside the transaction). The typed
/// name must match the name on record.
pub fn record(
    conn: &mut DbConn,
    ctx: &Context,
    scope: &Scope,
    participant_id: &str,
    signature_name: &str,
    form_version: Option<&str>,
    language: &str,
) -> Result<Consent, ServiceError> {
    sign(conn, ctx, scope, participant_id, signature_name, form_version, language, Signing::Witnessed)
}

/// Records consent to the form in force, witnessed or electronic. E-consent also stores the hash of
/// what was signed and queues the participant's PDF copy, in the same transaction.
#[allow(clippy::too_many_arguments)]
pub fn sign(
    conn: &mut DbConn,
    ctx: &Context,
    scope: &Scope,
    participant_id: &str,
    signature_name: &str,
    form_version: Option<&str>,
    language: &str,
    how: Signing,
) -> Result<Consent, ServiceError> {
    db::write_tx(conn, |c| {
        let (protocol, _) = crate::protocol::store::current_parsed(c)?;
        let participant = live_participant(c, scope, participant_id)?;
        // Each site signs the form its own ethics board approved, or else the study's.
        let Some(current) = protocol.consent_form_today(&participant.site) else {
            let first = protocol
                .consent_forms
                .iter()
                .filter(|f| f.site().is_none_or(|s| s == participant.site))
                .map(|f| f.approved_on.get_ref().as_str())
                .min();
            return Err(ServiceError::conflict(
                "no_consent_form_in_force",
                format!(
                    "no consent form is approved yet (the first is approved on {})",
                    first.unwrap_or("?")
                ),
            ));
        };
        let current_version = current.version.get_ref().as_str();
        if let Some(v) = form_version.filter(|v| *v != current_version) {
            return Err(ServiceError::conflict(
                "consent_form_outdated",
                format!("form version {v} is not the one in force ({current_version})"),
            ));
        }
        if !protocol.study.languages.get_ref().iter().any(|l| l.get_ref() == language) {
            return Err(ServiceError::validation("language", "must be one of the study's languages"));
        }
        let contact = participants::contact(c, &participant.id)?
            .ok_or_else(|| ServiceError::NotFound("participant".into()))?;
        if !same_name(&contact.full_name, signature_name) {
            return Err(ServiceError::validation(
                "signature_name",
                "must be the participant's full name as enrolled",
            ));
        }
        if standing(c, &participant.id, current_version)?.is_some() {
            return Err(ServiceError::conflict(
                "already_consented",
                format!("{} already consented to form {current_version}", participant.study_id),
            ));
        }
        let signed_at = db::now();
        let signature_name = signature_name.trim().to_owned();
        let (witness_user_id, content_hash) = match how {
            Signing::Witnessed => (ctx.actor.id.clone(), None),
            Signing::Electronic => {
                let Some(text) = current.text.as_ref().and_then(|t| t.get_ref().get(language)) else {
                    return Err(ServiceError::conflict(
                        "no_consent_text",
                        format!("form {current_version} has no {language} text to sign on a link"),
                    ));
                };
                let signed = super::consent_copy::Signed {
                    study_id: &participant.study_id,
                    form_version: current_version,
                    language,
                    form_text: text,
                    signature_name: &signature_name,
                    signed_at,
                };
                (None, Some(signed.hash()))
            }
        };
        let row = Consent {
            id: uuid::Uuid::now_v7().to_string(),
            participant_id: participant.id.clone(),
            form_version: current_version.to_owned(),
            signature_name,
            signed_at,
            witness_user_id,
            language: language.to_owned(),
            voided_at: None,
            voided_by: None,
            void_reason: None,
            content_hash,
        };
        diesel::insert_into(consents::table).values(&row).execute(c)?;
        if how == Signing::Electronic {
            // The copy is made when it is sent: the typed name is never stored in the outbox.
            crate::outbox::enqueue_fresh(
                c,
                &[crate::outbox::Message::new(
                    &format!("consent-copy:{}", row.id),
                    crate::outbox::Kind::ConsentCopy,
                    &crate::outbox::Recipient::Participant(participant.id.clone()),
                    language,
                    &serde_json::json!({ "consent_id": row.id }),
                    signed_at,
                )],
            )?;
        }
        audit::append(
            c,
            ctx,
            Event {
                action: "consent",
                entity: "participant",
                entity_id: &participant.id,
                changes: vec![
                    Change::set("consent_form_version", &row.form_version),
                    Change::set("consent_language", &row.language),
                    Change::set("witness_user_id", &row.witness_user_id),
                    Change::set("content_hash", &row.content_hash),
                    Change::redacted("signature_name", false),
                ],
                reason: None,
            },
        )?;
        Ok(row)
    })
}

fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    norm(a) == norm(b)
}

/// Voids a consent recorded in error (the wrong person, the wrong form, a signature that was not
/// theirs). It stays on the record, marked, and no longer counts.
pub fn void(
    conn: &mut DbConn,
    ctx: &Context,
    scope: &Scope,
    participant_id: &str,
    consent_id: &str,
    reason: &str,
) -> Result<Consent, ServiceError> {
    db::write_tx(conn, |c| {
        let participant = participants::find_or_404(c, scope, participant_id)?;
        let mut row: Consent = consents::table
            .filter(consents::id.eq(consent_id))
            .filter(consents::participant_id.eq(&participant.id))
            .select(Consent::as_select())
            .first(c)
            .optional()?
            .ok_or_else(|| ServiceError::NotFound("consent".into()))?;
        if let Some(at) = row.voided_at {
            return Err(ServiceError::conflict(
                "already_voided",
                format!("this consent was already voided on {}", at.format("%Y-%m-%d")),
            ));
        }
        let now = db::now();
        diesel::update(consents::table.find(&row.id))
            .set((
                consents::voided_at.eq(now),
                consents::voided_by.eq(&ctx.actor.id),
                consents::void_reason.eq(reason),
            ))
            .execute(c)?;
        audit::append(
            c,
            ctx,
            Event {
                action: "void_consent",
                entity: "participant",
                entity_id: &participant.id,
                changes: vec![
                    Change::set("consent_id", &row.id),
                    Change::set("consent_form_version", &row.form_version),
                    Change::update("consent_voided_at", None::<NaiveDateTime>, now),
                ],
                reason: Some(reason),
            },
        )?;
        row.voided_at = Some(now);
        row.voided_by = ctx.actor.id.clone();
        row.void_reason = Some(reason.to_owned());
        Ok(row)
    })
}

/// The participant's standing (not voided) consent to one form version, if any.
pub fn standing(conn: &mut DbConn, participant_id: &str, version: &str) -> QueryResult<Option<Consent>> {
    consents::table
        .filter(consents::participant_id.eq(participant_id))
        .filter(consents::form_version.eq(version))
        .filter(consents::voided_at.is_null())
        .select(Consent::as_select())
        .first(conn)
        .optional()
}

/// A participant's consents, oldest first.
pub fn list_for(conn: &mut DbConn, participant_id: &str) -> QueryResult<Vec<Consent>> {
    consents::table
        .filter(consents::participant_id.eq(participant_id))
        .order(consents::signed_at.asc())
        .select(Consent::as_select())
        .load(conn)
}

/// The participant, unless withdrawn (a withdrawn participant gets nothing more).
pub fn live_participant(conn: &mut DbConn, scope: &Scope, id: &str) -> Result<Participant, ServiceError> {
    let p = participants::find_or_404(conn, scope, id)?;
    if p.withdrawn_at.is_some() {
        return Err(ServiceError::conflict(
            "withdrawn",
            format!("{} has withdrawn from the study", p.study_id),
        ));
    }
    Ok(p)
}

/// Records withdrawal, with the reason and whether data collected so far may be kept.
pub fn withdraw(
    conn: &mut DbConn,
    ctx: &Context,
    scope: &Scope,
    id: &str,
    reason: &str,
    keep_data: bool,
) -> Result<Participant, ServiceError> {
    db::write_tx(conn, |c| {
        let mut p = live_participant(c, scope, id)?;
        let now = db::now();
        diesel::update(participants_table::table.find(&p.id))
            .set((
                participants_table::withdrawn_at.eq(now),
                participants_table::withdrawal_reason.eq(reason),
                participants_table::withdrawal_keep_data.eq(keep_data),
            ))
            .execute(c)?;
        crate::outbox::cancel_to_participant(c, &p.id, None, "withdrawn")?;
        let not_applicable = crate::assessments::withdraw(c, &p.id)?;
        audit::append(
            c,
            ctx,
            Event {
                action: "withdraw",
                entity: "participant",
                entity_id: &p.id,
                changes: vec![
                    Change::update("withdrawn_at", None::<NaiveDateTime>, now),
                    Change::set("withdrawal_keep_data", keep_data),
                    Change::set("assessments_not_applicable", not_applicable),
                ],
                reason: Some(reason),
            },
        )?;
        p.withdrawn_at = Some(now);
        p.withdrawal_reason = Some(reason.to_owned());
        p.withdrawal_keep_data = Some(keep_data);
        Ok(p)
    })
}

#[cfg(test)]
mod tests {
    use super::same_name;

    #[test]
    fn a_signature_matches_the_name_ignoring_case_and_spacing() {
        assert!(same_name("María  José Ortiz", " maría josé ortiz "));
        assert!(!same_name("María José Ortiz", "Maria Jose Ortiz"));
    }
}
