//! The screening log: everyone who comes through the door, eligible or not, and why.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::audit::{self, Change, Context, Event};
use crate::db::schema::screenings;
use crate::db::text_enum::text_enum;
use crate::db::{self, DbConn};
use crate::protocol::{AnswerType, Protocol};
use crate::service_error::ServiceError;
use crate::sites::{self, Scope};

text_enum! {
    /// What became of a screening.
    pub enum Outcome {
        /// Met every criterion; may be enrolled.
        Eligible = "eligible",
        /// Failed at least one criterion (CONSORT: not meeting inclusion criteria).
        Ineligible = "ineligible",
        /// Eligible but declined to take part.
        Declined = "declined",
        /// Eligible but not enrolled for another reason.
        Other = "other",
        /// Became a participant.
        Enrolled = "enrolled",
    }
}

impl Outcome {
    /// Why a screening that ends here was excluded before randomisation, as CONSORT words it
    /// (`None` for an enrolled one, counted further down the flow).
    pub fn exclusion_reason(self) -> Option<&'static str> {
        match self {
            Outcome::Ineligible => Some("Did not meet inclusion criteria"),
            Outcome::Declined => Some("Declined to participate"),
            Outcome::Eligible | Outcome::Other => Some("Not enrolled for other reasons"),
            Outcome::Enrolled => None,
        }
    }
}

/// A stored screening.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = screenings)]
pub struct Screening {
    pub id: String,
    pub screened_at: NaiveDateTime,
    pub referral_source: String,
    pub answers: String,
    pub eligible: bool,
    pub failed_criteria: String,
    pub outcome: Outcome,
    pub outcome_reason: Option<String>,
    pub protocol_version: i32,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub site: String,
}

/// A screening as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScreeningView {
    pub id: String,
    #[serde(serialize_with = "crate::json::utc")]
    pub screened_at: NaiveDateTime,
    pub referral_source: String,
    /// Answers keyed by criterion id.
    #[schema(value_type = Object)]
    pub answers: Value,
    pub eligible: bool,
    /// The criteria that were not met.
    pub failed_criteria: Vec<String>,
    pub outcome: Outcome,
    pub outcome_reason: Option<String>,
    pub protocol_version: i32,
    /// The site that screened the person (and enrols them).
    pub site: String,
}

impl Screening {
    /// The stored outcome.
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// The stored answers.
    pub fn answer_map(&self) -> BTreeMap<String, Value> {
        serde_json::from_str(&self.answers).unwrap_or_default()
    }

    /// The screening as the API shows it.
    pub fn view(&self) -> ScreeningView {
        ScreeningView {
            id: self.id.clone(),
            screened_at: self.screened_at,
            referral_source: self.referral_source.clone(),
            answers: serde_json::from_str(&self.answers).unwrap_or(Value::Null),
            eligible: self.eligible,
            failed_criteria: serde_json::from_str(&self.failed_criteria).unwrap_or_default(),
            outcome: self.outcome(),
            outcome_reason: self.outcome_reason.clone(),
            protocol_version: self.protocol_version,
            site: self.site.clone(),
        }
    }
}

/// Checks answers against the protocol's criteria: a 422 naming `answers.<id>` for an answer of
/// the wrong type or a missing one; otherwise the ids of the criteria not met.
pub fn evaluate(protocol: &Protocol, answers: &BTreeMap<String, Value>) -> Result<Vec<String>, ServiceError> {
    for key in answers.keys() {
        if !protocol.eligibility.iter().any(|c| c.id.get_ref() == key) {
            return Err(ServiceError::validation(
                format!("answers.{key}"),
                "is not an eligibility criterion of the protocol",
            ));
        }
    }
    let mut failed = Vec::new();
    for c in &protocol.eligibility {
        let id = c.id.get_ref();
        let field = format!("answers.{id}");
        let answer = answers.get(id).ok_or_else(|| ServiceError::validation(&field, "has no answer"))?;
        let qualifies = match c.answer {
            AnswerType::Boolean => {
                let b = answer
                    .as_bool()
                    .ok_or_else(|| ServiceError::validation(&field, "must be true or false"))?;
                c.qualifying.as_ref().and_then(|q| q.get_ref().as_bool()) == Some(b)
            }
            AnswerType::Integer => {
                let n = answer
                    .as_i64()
                    .ok_or_else(|| ServiceError::validation(&field, "must be a whole number"))?;
                c.min.as_ref().is_none_or(|m| n >= *m.get_ref())
                    && c.max.as_ref().is_none_or(|m| n <= *m.get_ref())
            }
            AnswerType::Choice => {
                let s = answer
                    .as_str()
                    .ok_or_else(|| ServiceError::validation(&field, "must be one of the options"))?;
                let offered =
                    c.options.as_ref().is_some_and(|o| o.get_ref().iter().any(|x| x.get_ref() == s));
                if !offered {
                    return Err(ServiceError::validation(&field, format!("`{s}` is not one of the options")));
                }
                c.qualifying
                    .as_ref()
                    .and_then(|q| q.get_ref().as_array().map(|a| a.iter().any(|v| v.as_str() == Some(s))))
                    .unwrap_or(false)
            }
        };
        if !qualifies {
            failed.push(id.clone());
        }
    }
    Ok(failed)
}

/// A screening to record.
#[derive(Debug, Clone)]
pub struct NewScreening {
    pub screened_at: NaiveDateTime,
    pub referral_source: String,
    pub answers: BTreeMap<String, Value>,
    /// Eligible but declined at screening, with the reason if given.
    pub declined: Option<Option<String>>,
    /// The site screening; optional when the caller has only one site to use.
    pub site: Option<String>,
}

/// Records a screening against the protocol in force (read inside the transaction, so an
/// amendment cannot slip in between); the outcome follows from the answers and any decline.
pub fn record(
    conn: &mut DbConn,
    ctx: &Context,
    scope: &Scope,
    new: NewScreening,
) -> Result<Screening, ServiceError> {
    db::write_tx(conn, |c| {
        let site = sites::choose(c, scope, new.site.as_deref(), "site")?;
        let (protocol, protocol_version) = crate::protocol::store::current_parsed(c)?;
        let failed = evaluate(&protocol, &new.answers)?;
        let (outcome, reason) = match (&new.declined, failed.is_empty()) {
            (_, false) => (Outcome::Ineligible, None),
            (Some(reason), true) => (Outcome::Declined, reason.clone()),
            (None, true) => (Outcome::Eligible, None),
        };
        let row = Screening {
            id: uuid::Uuid::now_v7().to_string(),
            screened_at: new.screened_at,
            referral_source: new.referral_source.clone(),
            answers: serde_json::to_string(&new.answers).unwrap_or_default(),
            eligible: failed.is_empty(),
            failed_criteria: serde_json::to_string(&failed).unwrap_or_default(),
            outcome,
            outcome_reason: reason,
            protocol_version,
            created_by: ctx.actor.id.clone(),
            created_at: db::now(),
            site: site.code,
        };
        diesel::insert_into(screenings::table).values(&row).execute(c)?;
        audit::append(
            c,
            ctx,
            Event {
                action: "create",
                entity: "screening",
                entity_id: &row.id,
                changes: vec![
                    Change::set("site", &row.site),
                    Change::set("referral_source", &row.referral_source),
                    Change::set("answers", &new.answers),
                    Change::set("eligible", row.eligible),
                    Change::set("failed_criteria", &failed),
                    Change::set("outcome", outcome),
                ],
                reason: None,
            },
        )?;
        Ok(row)
    })
}

/// Records that an eligible person declined (or was not enrolled for another reason).
pub fn close(
    conn: &mut DbConn,
    ctx: &Context,
    scope: &Scope,
    id: &str,
    outcome: Outcome,
    reason: &str,
) -> Result<Screening, ServiceError> {
    db::write_tx(conn, |c| {
        let mut row = find(c, scope, id)?.ok_or_else(|| ServiceError::NotFound("screening".into()))?;
        if row.outcome() != Outcome::Eligible {
            return Err(ServiceError::conflict(
                "screening_closed",
                format!("this screening's outcome is already {}", row.outcome),
            ));
        }
        diesel::update(screenings::table.find(id))
            .set((screenings::outcome.eq(outcome), screenings::outcome_reason.eq(reason)))
            .execute(c)?;
        audit::append(
            c,
            ctx,
            Event {
                action: "update",
                entity: "screening",
                entity_id: id,
                changes: vec![Change::update("outcome", row.outcome(), outcome)],
                reason: Some(reason),
            },
        )?;
        row.outcome = outcome;
        row.outcome_reason = Some(reason.to_owned());
        Ok(row)
    })
}

/// Corrects a screening entered wrongly, with a reason: its answers and referral source are
/// replaced and eligibility judged again against the protocol in force; old → new is audited. A
/// screening already enrolled is refused: the participant's own record is corrected instead.
pub fn correct(
    conn: &mut DbConn,
    ctx: &Context,
    scope: &Scope,
    id: &str,
    referral_source: &str,
    answers: &BTreeMap<String, Value>,
    reason: &str,
) -> Result<Screening, ServiceError> {
    db::write_tx(conn, |c| {
        let row = find(c, scope, id)?.ok_or_else(|| ServiceError::NotFound("screening".into()))?;
        if row.outcome() == Outcome::Enrolled {
            return Err(ServiceError::conflict(
                "already_enrolled",
                "this screening was enrolled; correct the participant's record instead",
            ));
        }
        let (protocol, protocol_version) = crate::protocol::store::current_parsed(c)?;
        let failed = evaluate(&protocol, answers)?;
        let outcome = match (row.outcome(), failed.is_empty()) {
            (_, false) => Outcome::Ineligible,
            (Outcome::Declined | Outcome::Other, true) => row.outcome(),
            _ => Outcome::Eligible,
        };
        let new = Screening {
            referral_source: referral_source.to_owned(),
            answers: serde_json::to_string(answers).unwrap_or_default(),
            eligible: failed.is_empty(),
            failed_criteria: serde_json::to_string(&failed).unwrap_or_default(),
            outcome,
            protocol_version,
            ..row.clone()
        };
        diesel::update(screenings::table.find(id))
            .set((
                screenings::referral_source.eq(&new.referral_source),
                screenings::answers.eq(&new.answers),
                screenings::eligible.eq(new.eligible),
                screenings::failed_criteria.eq(&new.failed_criteria),
                screenings::outcome.eq(new.outcome),
                screenings::protocol_version.eq(new.protocol_version),
            ))
            .execute(c)?;
        let event = Event {
            action: "correct",
            entity: "screening",
            entity_id: id,
            changes: vec![
                Change::update("referral_source", &row.referral_source, &new.referral_source),
                Change::update("answers", row.answer_map(), answers),
                Change::update("eligible", row.eligible, new.eligible),
                Change::update("failed_criteria", &row.view().failed_criteria, &failed),
                Change::update("outcome", row.outcome(), outcome),
            ],
            reason: Some(reason),
        };
        audit::append(c, ctx, event)?;
        Ok(new)
    })
}

/// One screening, if it exists within `scope` (another site's is as good as missing).
pub fn find(conn: &mut DbConn, scope: &Scope, id: &str) -> QueryResult<Option<Screening>> {
    let row: Option<Screening> =
        screenings::table.find(id).select(Screening::as_select()).first(conn).optional()?;
    Ok(row.filter(|r| scope.allows(&r.site)))
}

/// Screenings within `scope`, newest first, optionally of one outcome.
pub fn list(conn: &mut DbConn, scope: &Scope, outcome: Option<Outcome>) -> QueryResult<Vec<Screening>> {
    let mut q =
        screenings::table.select(Screening::as_select()).order(screenings::screened_at.desc()).into_boxed();
    if let Some(o) = outcome {
        q = q.filter(screenings::outcome.eq(o));
    }
    if let Some(codes) = scope.codes() {
        q = q.filter(screenings::site.eq_any(codes));
    }
    q.load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{BUNDLED, check};

    fn answers(age: i64, commit: &str) -> BTreeMap<String, Value> {
        serde_json::from_value(serde_json::json!({
            "age": age, "has_ms": true, "us_resident": true, "video_access": true, "attendance_commitment": commit
        }))
        .unwrap_or_default()
    }

    fn bundled() -> Protocol {
        check(BUNDLED, &crate::instruments::Library::bundled()).expect("the bundled protocol is valid")
    }

    #[test]
    fn answers_that_meet_every_criterion_fail_none() {
        assert_eq!(evaluate(&bundled(), &answers(40, "yes")).ok(), Some(vec![]));
    }

    #[test]
    fn each_failed_criterion_is_named() {
        let p = bundled();
        assert_eq!(
            evaluate(&p, &answers(17, "unsure")).ok(),
            Some(vec!["age".to_owned(), "attendance_commitment".to_owned()])
        );
    }

    #[test]
    fn a_missing_or_mistyped_answer_is_a_422_naming_it() {
        let p = bundled();
        let mut a = answers(40, "yes");
        a.insert("age".into(), serde_json::json!("forty"));
        assert!(
            matches!(evaluate(&p, &a), Err(ServiceError::Validation { field, .. }) if field == "answers.age")
        );
        a.remove("age");
        assert!(
            matches!(evaluate(&p, &a), Err(ServiceError::Validation { field, .. }) if field == "answers.age")
        );
        let mut b = answers(40, "maybe");
        b.insert("shoe_size".into(), serde_json::json!(9));
        assert!(
            matches!(evaluate(&p, &b), Err(ServiceError::Validation { field, .. }) if field == "answers.shoe_size")
        );
    }
}
