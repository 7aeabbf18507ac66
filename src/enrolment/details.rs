//! Correcting what is known of a participant after enrolment, always with a reason: contact
//! details (audited without their values, which never enter the trail) and the study record's
//! demographics, language and strata. Strata are frozen once randomised: the allocation used them.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;

use super::contacts::{contact_key, duplicate, given, normalise_phone};
use super::participants::{self, Participant, check_strata};
use super::{AgeBand, DiseaseCourse, Ethnicity, Race, Sex, enum_text};
use crate::audit::{self, Change, Context, Event};
use crate::db::schema::{allocations, participant_contacts, participants as participants_table};
use crate::db::{self, DbConn};
use crate::service_error::ServiceError;
use crate::sites::Scope;

/// New contact details (the API's request body too).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactChange {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub full_name: String,
    #[schema(max_length = 254, pattern = r"^$|^[^\s@]+@[^\s@.][^\s@]*\.[^\s@]*[^\s@.]$")]
    pub email: Option<String>,
    #[schema(pattern = r"^$|^[ +\-().]*([0-9][ +\-().]*){7,15}$")]
    pub phone: Option<String>,
    /// Kept in the audit trail.
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
}

/// Replaces a participant's contact details. The same person enrolled twice is refused, naming
/// the other study id, as at enrolment.
pub fn change_contact(
    conn: &mut DbConn,
    ctx: &Context,
    scope: &Scope,
    id: &str,
    change: &ContactChange,
) -> Result<Participant, ServiceError> {
    let full_name = change.full_name.trim().to_owned();
    if full_name.is_empty() || full_name.chars().count() > 200 {
        return Err(ServiceError::validation("full_name", "must be 1 to 200 characters"));
    }
    let email = given(change.email.as_deref()).map(crate::auth::users::parse_email).transpose()?;
    let phone = given(change.phone.as_deref()).map(normalise_phone).transpose()?;
    if email.is_none() && phone.is_none() {
        return Err(ServiceError::validation("email", "give an e-mail address, a phone number or both"));
    }
    let reason = audit::reason(&change.reason)?;
    let email_key = email.as_deref().map(|e| contact_key("email", e));
    let phone_key = phone.as_deref().map(|p| contact_key("phone", p));
    db::write_tx(conn, |c| {
        let p = participants::find_or_404(c, scope, id)?;
        let old = participants::contact(c, &p.id)?;
        if let Some(other) = duplicate(c, Some(&p.id), email_key.as_deref(), phone_key.as_deref())? {
            return Err(ServiceError::conflict(
                "duplicate_person",
                format!("that e-mail or phone belongs to {other}, already enrolled"),
            ));
        }
        diesel::update(participant_contacts::table.find(&p.id))
            .set((
                participant_contacts::full_name.eq(&full_name),
                participant_contacts::email.eq(&email),
                participant_contacts::phone.eq(&phone),
                participant_contacts::email_key.eq(&email_key),
                participant_contacts::phone_key.eq(&phone_key),
            ))
            .execute(c)?;
        // Which fields changed, never their values.
        let mut changes = Vec::new();
        let before = old.as_ref();
        if before.map(|k| k.full_name.as_str()) != Some(full_name.as_str()) {
            changes.push(Change::redacted("full_name", before.is_some()));
        }
        if before.and_then(|k| k.email.clone()) != email {
            changes.push(Change::redacted("email", before.is_some_and(|k| k.email.is_some())));
        }
        if before.and_then(|k| k.phone.clone()) != phone {
            changes.push(Change::redacted("phone", before.is_some_and(|k| k.phone.is_some())));
        }
        let event = Event {
            action: "change_contact",
            entity: "participant",
            entity_id: &p.id,
            changes,
            reason: Some(&reason),
        };
        audit::append(c, ctx, event)?;
        Ok(p)
    })
}

/// New demographics, language and strata (the API's request body too).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DetailsChange {
    pub race: Race,
    pub ethnicity: Ethnicity,
    pub sex: Sex,
    pub age_band: AgeBand,
    pub newly_diagnosed: bool,
    pub disease_course: DiseaseCourse,
    pub preferred_language: String,
    /// Every stratification factor's level; refused when changed after randomisation.
    pub strata: BTreeMap<String, String>,
    /// Their time zone (IANA name) when it is not the study's; blank or absent: the study's.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Kept in the audit trail.
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
}

/// Replaces a participant's demographics, language and strata, recording old → new.
pub fn change_details(
    conn: &mut DbConn,
    ctx: &Context,
    scope: &Scope,
    id: &str,
    change: &DetailsChange,
) -> Result<Participant, ServiceError> {
    let reason = audit::reason(&change.reason)?;
    let time_zone = participants::parse_time_zone(change.time_zone.as_deref())?;
    db::write_tx(conn, |c| {
        let p = participants::find_or_404(c, scope, id)?;
        let (protocol, _) = crate::protocol::store::current_parsed(c)?;
        check_strata(&protocol, &change.strata)?;
        if !protocol.study.languages.get_ref().iter().any(|l| *l.get_ref() == change.preferred_language) {
            return Err(ServiceError::validation(
                "preferred_language",
                "must be one of the study's languages",
            ));
        }
        let randomised: bool =
            diesel::select(diesel::dsl::exists(allocations::table.find(&p.id))).get_result(c)?;
        let old_strata = p.strata_map();
        if randomised && old_strata != change.strata {
            return Err(ServiceError::conflict(
                "strata_frozen",
                format!("{} is randomised: the strata the allocation used cannot change", p.study_id),
            ));
        }
        let new = Participant {
            strata: serde_json::to_string(&change.strata).unwrap_or_default(),
            race: enum_text(&change.race),
            ethnicity: enum_text(&change.ethnicity),
            sex: enum_text(&change.sex),
            age_band: enum_text(&change.age_band),
            newly_diagnosed: change.newly_diagnosed,
            disease_course: enum_text(&change.disease_course),
            preferred_language: change.preferred_language.clone(),
            time_zone,
            ..p.clone()
        };
        diesel::update(participants_table::table.find(&p.id))
            .set((
                participants_table::strata.eq(&new.strata),
                participants_table::race.eq(&new.race),
                participants_table::ethnicity.eq(&new.ethnicity),
                participants_table::sex.eq(&new.sex),
                participants_table::age_band.eq(&new.age_band),
                participants_table::newly_diagnosed.eq(new.newly_diagnosed),
                participants_table::disease_course.eq(&new.disease_course),
                participants_table::preferred_language.eq(&new.preferred_language),
                participants_table::time_zone.eq(&new.time_zone),
            ))
            .execute(c)?;
        let pairs = [
            ("race", &p.race, &new.race),
            ("ethnicity", &p.ethnicity, &new.ethnicity),
            ("sex", &p.sex, &new.sex),
            ("age_band", &p.age_band, &new.age_band),
            ("disease_course", &p.disease_course, &new.disease_course),
            ("preferred_language", &p.preferred_language, &new.preferred_language),
        ];
        let mut changes: Vec<Change> =
            pairs.iter().filter(|(_, a, b)| a != b).map(|(f, a, b)| Change::update(f, a, b)).collect();
        if p.newly_diagnosed != new.newly_diagnosed {
            changes.push(Change::update("newly_diagnosed", p.newly_diagnosed, new.newly_diagnosed));
        }
        if p.time_zone != new.time_zone {
            changes.push(Change::update("time_zone", &p.time_zone, &new.time_zone));
        }
        if old_strata != change.strata {
            changes.push(Change::update("strata", &old_strata, &change.strata));
        }
        let event = Event {
            action: "change_details",
            entity: "participant",
            entity_id: &p.id,
            changes,
            reason: Some(&reason),
        };
        audit::append(c, ctx, event)?;
        Ok(new)
    })
}
