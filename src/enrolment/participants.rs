//! Participants: enrolment from an eligible screening, pseudonymous study ids, contact details
//! apart, and what each role may read.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use super::contacts::{Contact, already_enrolled_as, contact, normalise_phone, read_contact};
use super::contacts::{contact_key, duplicate, given};
use super::screening::{self, Outcome};
use super::{AgeBand, DiseaseCourse, Ethnicity, Race, Sex, Status, enum_text};
use crate::audit::{self, Change, Context, Event};
use crate::auth::Role;
use crate::blinding::{ArmView, Sight};
use crate::db::schema::{allocations, consents, participant_contacts, participants, screenings, unblindings};
use crate::db::{self, DbConn};
use crate::protocol::Protocol;
use crate::service_error::ServiceError;
use crate::sites::Scope;

/// A stored participant (the study record: no contact details).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = participants)]
pub struct Participant {
    pub id: String,
    pub study_id: String,
    pub number: i32,
    pub screening_id: String,
    pub strata: String,
    pub race: String,
    pub ethnicity: String,
    pub sex: String,
    pub age_band: String,
    pub newly_diagnosed: bool,
    pub disease_course: String,
    pub preferred_language: String,
    pub enrolled_at: NaiveDateTime,
    pub enrolled_by: Option<String>,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawal_reason: Option<String>,
    pub withdrawal_keep_data: Option<bool>,
    /// The site the participant belongs to (their screening's, unless transferred since).
    pub site: String,
    /// Their own time zone (IANA name), for the times in their messages; `None`: the study's.
    pub time_zone: Option<String>,
}

/// Who is being enrolled (the API's request body too).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewParticipant {
    #[schema(min_length = 1)]
    pub screening_id: String,
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub full_name: String,
    #[schema(max_length = 254, pattern = r"^$|^[^\s@]+@[^\s@.][^\s@]*\.[^\s@]*[^\s@.]$")]
    pub email: Option<String>,
    #[schema(pattern = r"^$|^[ +\-().]*([0-9][ +\-().]*){7,15}$")]
    pub phone: Option<String>,
    /// The level of every stratification factor of the protocol.
    pub strata: BTreeMap<String, String>,
    pub race: Race,
    pub ethnicity: Ethnicity,
    pub sex: Sex,
    pub age_band: AgeBand,
    pub newly_diagnosed: bool,
    pub disease_course: DiseaseCourse,
    /// One of the study's languages (`en`, `es`).
    pub preferred_language: String,
    /// Their time zone (IANA name, e.g. `America/Chicago`) when it is not the study's.
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// A time zone as typed: blank is none (the study's), anything else must be an IANA name.
pub fn parse_time_zone(raw: Option<&str>) -> Result<Option<String>, ServiceError> {
    match raw.map(str::trim).filter(|z| !z.is_empty()) {
        None => Ok(None),
        Some(z) => match z.parse::<chrono_tz::Tz>() {
            Ok(tz) => Ok(Some(tz.name().to_owned())),
            Err(_) => {
                Err(ServiceError::validation("time_zone", "must be a time zone name such as America/Chicago"))
            }
        },
    }
}

/// Checks strata against the protocol: every factor, each with one of its levels.
pub fn check_strata(protocol: &Protocol, strata: &BTreeMap<String, String>) -> Result<(), ServiceError> {
    for key in strata.keys() {
        if !protocol.stratification.iter().any(|f| f.id.get_ref() == key) {
            return Err(ServiceError::validation(
                format!("strata.{key}"),
                "is not a stratification factor of the protocol",
            ));
        }
    }
    for factor in &protocol.stratification {
        let id = factor.id.get_ref();
        let field = format!("strata.{id}");
        let level = strata.get(id).ok_or_else(|| ServiceError::validation(&field, "is required"))?;
        if !factor.levels.iter().any(|l| l.get_ref() == level) {
            let levels: Vec<&str> = factor.levels.iter().map(|l| l.get_ref().as_str()).collect();
            return Err(ServiceError::validation(
                &field,
                format!("`{level}` is not one of {}", levels.join(", ")),
            ));
        }
    }
    Ok(())
}

/// Enrols an eligible screening: a study id, the study record and, apart, the contact details.
pub fn enrol(
    conn: &mut DbConn,
    ctx: &Context,
    scope: &Scope,
    new: NewParticipant,
) -> Result<Participant, ServiceError> {
    let full_name = new.full_name.trim().to_owned();
    if full_name.is_empty() || full_name.chars().count() > 200 {
        return Err(ServiceError::validation("full_name", "must be 1 to 200 characters"));
    }
    let time_zone = parse_time_zone(new.time_zone.as_deref())?;
    let email = given(new.email.as_deref()).map(crate::auth::users::parse_email).transpose()?;
    let phone = given(new.phone.as_deref()).map(normalise_phone).transpose()?;
    if email.is_none() && phone.is_none() {
        return Err(ServiceError::validation("email", "give an e-mail address, a phone number or both"));
    }
    let email_key = email.as_deref().map(|e| contact_key("email", e));
    let phone_key = phone.as_deref().map(|p| contact_key("phone", p));
    db::write_tx(conn, |c| {
        // The protocol in force, read inside the transaction: an amendment cannot slip in.
        let (protocol, _) = crate::protocol::store::current_parsed(c)?;
        check_strata(&protocol, &new.strata)?;
        if !protocol.study.languages.get_ref().iter().any(|l| *l.get_ref() == new.preferred_language) {
            return Err(ServiceError::validation(
                "preferred_language",
                "must be one of the study's languages",
            ));
        }
        let prefix = protocol.study.id_prefix.get_ref().clone();
        let screening = screening::find(c, scope, &new.screening_id)?
            .ok_or_else(|| ServiceError::validation("screening_id", "no screening has this id"))?;
        // The person is enrolled where they were screened, if that site still recruits.
        let site = crate::sites::recruiting(c, scope, &screening.site, "screening_id")?;
        match screening.outcome() {
            Outcome::Eligible => {}
            Outcome::Enrolled => {
                return Err(ServiceError::conflict(
                    "already_enrolled",
                    "this screening was already enrolled",
                ));
            }
            other => {
                return Err(ServiceError::conflict(
                    "screening_not_eligible",
                    format!(
                        "this screening's outcome is {}; only eligible screenings can be enrolled",
                        enum_text(&other)
                    ),
                ));
            }
        }
        if let Some(existing) = duplicate(c, None, email_key.as_deref(), phone_key.as_deref())? {
            return Err(ServiceError::conflict(
                "duplicate_person",
                format!("this person is already enrolled as {existing} (same e-mail or phone)"),
            ));
        }
        let number: i32 = participants::table
            .select(diesel::dsl::max(participants::number))
            .first::<Option<i32>>(c)?
            .unwrap_or(0)
            + 1;
        let row = Participant {
            id: uuid::Uuid::now_v7().to_string(),
            study_id: format!("{prefix}-{number:04}"),
            number,
            screening_id: new.screening_id.clone(),
            strata: serde_json::to_string(&new.strata).unwrap_or_default(),
            race: enum_text(&new.race),
            ethnicity: enum_text(&new.ethnicity),
            sex: enum_text(&new.sex),
            age_band: enum_text(&new.age_band),
            newly_diagnosed: new.newly_diagnosed,
            disease_course: enum_text(&new.disease_course),
            preferred_language: new.preferred_language.clone(),
            enrolled_at: db::now(),
            enrolled_by: ctx.actor.id.clone(),
            withdrawn_at: None,
            withdrawal_reason: None,
            withdrawal_keep_data: None,
            site: site.code,
            time_zone,
        };
        diesel::insert_into(participants::table).values(&row).execute(c)?;
        diesel::insert_into(participant_contacts::table)
            .values(&Contact {
                participant_id: row.id.clone(),
                full_name: full_name.clone(),
                email: email.clone(),
                phone: phone.clone(),
                email_key: email_key.clone(),
                phone_key: phone_key.clone(),
            })
            .execute(c)?;
        diesel::update(screenings::table.find(&new.screening_id))
            .set(screenings::outcome.eq(enum_text(&Outcome::Enrolled)))
            .execute(c)?;
        audit::append(
            c,
            ctx,
            Event {
                action: "enrol",
                entity: "participant",
                entity_id: &row.id,
                changes: vec![
                    Change::set("study_id", &row.study_id),
                    Change::set("site", &row.site),
                    Change::set("screening_id", &row.screening_id),
                    Change::set("strata", &new.strata),
                    Change::set("race", &row.race),
                    Change::set("ethnicity", &row.ethnicity),
                    Change::set("sex", &row.sex),
                    Change::set("age_band", &row.age_band),
                    Change::set("newly_diagnosed", row.newly_diagnosed),
                    Change::set("disease_course", &row.disease_course),
                    Change::set("preferred_language", &row.preferred_language),
                    Change::set("time_zone", &row.time_zone),
                    Change::redacted("full_name", false),
                    Change::redacted("email", false),
                    Change::redacted("phone", false),
                ],
                reason: None,
            },
        )?;
        Ok(row)
    })
}

/// A participant by id or study id within `scope`, or a 404.
pub fn find_or_404(
    conn: &mut DbConn,
    scope: &Scope,
    id_or_study_id: &str,
) -> Result<Participant, ServiceError> {
    find(conn, scope, id_or_study_id)?.ok_or_else(|| ServiceError::NotFound("participant".into()))
}

/// Which of these participants have withdrawn.
pub fn withdrawn_among(conn: &mut DbConn, ids: &[String]) -> QueryResult<std::collections::BTreeSet<String>> {
    Ok(participants::table
        .filter(participants::id.eq_any(ids))
        .filter(participants::withdrawn_at.is_not_null())
        .select(participants::id)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// One participant by id or study id, if within `scope`: another site's participant is as good
/// as missing.
pub fn find(conn: &mut DbConn, scope: &Scope, id_or_study_id: &str) -> QueryResult<Option<Participant>> {
    let row: Option<Participant> = participants::table
        .filter(participants::id.eq(id_or_study_id).or(participants::study_id.eq(id_or_study_id)))
        .select(Participant::as_select())
        .first(conn)
        .optional()?;
    Ok(row.filter(|p| scope.allows(&p.site)))
}

/// A participant as the API shows them: no contact details, arm as the role may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParticipantView {
    pub id: String,
    pub study_id: String,
    pub status: Status,
    #[schema(value_type = Object)]
    pub strata: serde_json::Value,
    pub race: String,
    pub ethnicity: String,
    pub sex: String,
    pub age_band: String,
    pub newly_diagnosed: bool,
    pub disease_course: String,
    pub preferred_language: String,
    #[serde(serialize_with = "crate::json::utc")]
    pub enrolled_at: NaiveDateTime,
    /// The consent form version last signed.
    pub consent_form_version: Option<String>,
    /// True when the form in force is newer than the one signed.
    pub needs_reconsent: bool,
    /// Absent before randomisation, and for blinded roles that see no arms.
    pub arm: Option<ArmView>,
    #[serde(serialize_with = "crate::json::utc_opt")]
    pub randomised_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::json::utc_opt")]
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawal_keep_data: Option<bool>,
    pub site: String,
    /// Emergency unblindings of this participant: who learnt the arm, and when.
    pub unblinded_for: Vec<UnblindingMark>,
    /// Their own time zone (IANA name); null: the study's.
    pub time_zone: Option<String>,
}

/// One emergency unblinding, as the participant's record marks it (never the arm).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnblindingMark {
    pub user_id: String,
    #[serde(serialize_with = "crate::json::utc")]
    pub at: NaiveDateTime,
}

/// What is known of a participant beyond the study record.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub consent_form_version: Option<String>,
    pub arm_id: Option<String>,
    pub randomised_at: Option<NaiveDateTime>,
    pub unblindings: Vec<UnblindingMark>,
}

/// Consent and allocation facts of every participant (one query each, not one per participant).
pub fn facts(conn: &mut DbConn) -> QueryResult<BTreeMap<String, Facts>> {
    let mut map: BTreeMap<String, Facts> = BTreeMap::new();
    let signed: Vec<(String, String, NaiveDateTime)> = consents::table
        .filter(consents::voided_at.is_null())
        .select((consents::participant_id, consents::form_version, consents::signed_at))
        .order(consents::signed_at.asc())
        .load(conn)?;
    for (pid, version, _) in signed {
        map.entry(pid).or_default().consent_form_version = Some(version);
    }
    let allocated: Vec<(String, String, NaiveDateTime)> = allocations::table
        .select((allocations::participant_id, allocations::arm_id, allocations::allocated_at))
        .load(conn)?;
    for (pid, arm, at) in allocated {
        let f = map.entry(pid).or_default();
        f.arm_id = Some(arm);
        f.randomised_at = Some(at);
    }
    let unblinded: Vec<(String, String, NaiveDateTime)> = unblindings::table
        .select((unblindings::participant_id, unblindings::user_id, unblindings::unblinded_at))
        .order(unblindings::unblinded_at.asc())
        .load(conn)?;
    for (pid, user_id, at) in unblinded {
        map.entry(pid).or_default().unblindings.push(UnblindingMark { user_id, at });
    }
    Ok(map)
}

/// The consent form version a participant signed last.
pub fn latest_consent_version(conn: &mut DbConn, participant_id: &str) -> QueryResult<Option<String>> {
    consents::table
        .filter(consents::participant_id.eq(participant_id))
        .filter(consents::voided_at.is_null())
        .order(consents::signed_at.desc())
        .select(consents::form_version)
        .first(conn)
        .optional()
}

/// Facts of one participant.
pub fn facts_of(conn: &mut DbConn, participant_id: &str) -> QueryResult<Facts> {
    let consent_form_version = latest_consent_version(conn, participant_id)?;
    let allocation: Option<(String, NaiveDateTime)> = allocations::table
        .find(participant_id)
        .select((allocations::arm_id, allocations::allocated_at))
        .first(conn)
        .optional()?;
    let unblindings = unblindings::table
        .filter(unblindings::participant_id.eq(participant_id))
        .order(unblindings::unblinded_at.asc())
        .select((unblindings::user_id, unblindings::unblinded_at))
        .load::<(String, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(user_id, at)| UnblindingMark { user_id, at })
        .collect();
    Ok(Facts {
        consent_form_version,
        arm_id: allocation.as_ref().map(|a| a.0.clone()),
        randomised_at: allocation.map(|a| a.1),
        unblindings,
    })
}

impl Participant {
    /// Where the participant stands, given the consent form in force.
    pub fn status(&self, facts: &Facts, current_form: Option<&str>) -> Status {
        if self.withdrawn_at.is_some() {
            Status::Withdrawn
        } else if facts.arm_id.is_some() {
            Status::Randomised
        } else if facts.consent_form_version.is_some()
            && facts.consent_form_version.as_deref() == current_form
        {
            Status::Consented
        } else {
            Status::Enrolled
        }
    }

    /// The participant as `role` may see them.
    pub fn view(&self, facts: &Facts, protocol: &Protocol, role: Role) -> ParticipantView {
        let current_form = protocol.consent_form_today(&self.site).map(|f| f.version.get_ref().as_str());
        ParticipantView {
            id: self.id.clone(),
            study_id: self.study_id.clone(),
            status: self.status(facts, current_form),
            strata: serde_json::from_str(&self.strata).unwrap_or_default(),
            race: self.race.clone(),
            ethnicity: self.ethnicity.clone(),
            sex: self.sex.clone(),
            age_band: self.age_band.clone(),
            newly_diagnosed: self.newly_diagnosed,
            disease_course: self.disease_course.clone(),
            preferred_language: self.preferred_language.clone(),
            enrolled_at: self.enrolled_at,
            consent_form_version: facts.consent_form_version.clone(),
            needs_reconsent: facts.consent_form_version.is_some()
                && facts.consent_form_version.as_deref() != current_form,
            arm: facts.arm_id.as_deref().and_then(|a| Sight::of(protocol, role).arm(protocol, a)),
            randomised_at: facts.randomised_at,
            withdrawn_at: self.withdrawn_at,
            withdrawal_keep_data: self.withdrawal_keep_data,
            site: self.site.clone(),
            unblinded_for: facts.unblindings.clone(),
            time_zone: self.time_zone.clone(),
        }
    }

    /// The zone the participant's messages give times in: their own, else the study's.
    pub fn zone(&self, protocol: &Protocol) -> chrono_tz::Tz {
        self.time_zone.as_deref().and_then(|z| z.parse().ok()).unwrap_or_else(|| protocol.time_zone())
    }

    /// The stored strata.
    pub fn strata_map(&self) -> BTreeMap<String, String> {
        serde_json::from_str(&self.strata).unwrap_or_default()
    }
}

/// The participant as `role` may see them now: under the protocol in force, with their consent
/// and allocation.
pub fn view_now(conn: &mut DbConn, p: &Participant, role: Role) -> Result<ParticipantView, ServiceError> {
    let (protocol, _) = crate::protocol::store::current_parsed(conn)?;
    Ok(p.view(&facts_of(conn, &p.id)?, &protocol, role))
}

/// Every participant within `scope`, by study number.
pub fn list(conn: &mut DbConn, scope: &Scope) -> QueryResult<Vec<Participant>> {
    let mut q =
        participants::table.select(Participant::as_select()).order(participants::number.asc()).into_boxed();
    if let Some(codes) = scope.codes() {
        q = q.filter(participants::site.eq_any(codes));
    }
    q.load(conn)
}
