//! Answers and scores: saved one answer at a time as the participant goes, final on submission
//! (idempotent, scored, audited), corrected afterwards only by a coordinator with a reason.

use std::collections::BTreeMap;
use std::sync::Arc;

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::Assessment;
use super::Status;
use crate::audit::{self, Change, Context, Event};
use crate::db::schema::{assessments, responses, scores};
use crate::db::{self, DbConn};
use crate::instruments::scoring::{self, Answers};
use crate::instruments::{Instrument, Library, Severity};
use crate::protocol::Protocol;
use crate::safety;
use crate::service_error::ServiceError;

/// A stored score.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = scores)]
pub struct StoredScore {
    pub assessment_id: String,
    pub instrument: String,
    pub total: Option<i32>,
    pub prorated: bool,
    pub answered: i32,
    pub band: Option<String>,
    #[serde(serialize_with = "crate::json::utc")]
    pub scored_at: chrono::NaiveDateTime,
}

/// Every answer of an assessment, per instrument.
pub fn answers(conn: &mut DbConn, assessment_id: &str) -> QueryResult<BTreeMap<String, Answers>> {
    let rows: Vec<StoredAnswer> = responses::table
        .filter(responses::assessment_id.eq(assessment_id))
        .select((responses::instrument, responses::item, responses::value))
        .load(conn)?;
    Ok(by_instrument(rows))
}

/// A stored answer as read: instrument, item, value.
type StoredAnswer = (String, String, Option<i32>);

/// Answers grouped by instrument.
fn by_instrument(rows: impl IntoIterator<Item = StoredAnswer>) -> BTreeMap<String, Answers> {
    let mut out: BTreeMap<String, Answers> = BTreeMap::new();
    for (inst, item, value) in rows {
        out.entry(inst).or_default().insert(item, value);
    }
    out
}

pub fn scores_of(conn: &mut DbConn, assessment_id: &str) -> QueryResult<Vec<StoredScore>> {
    scores::table.filter(scores::assessment_id.eq(assessment_id)).select(StoredScore::as_select()).load(conn)
}

/// The instruments of an assessment, from the library.
pub fn instruments_of(library: &Library, a: &Assessment) -> Result<Vec<Arc<Instrument>>, ServiceError> {
    a.instrument_ids()
        .into_iter()
        .map(|id| {
            library.get(id).cloned().ok_or_else(|| {
                ServiceError::Internal(anyhow::anyhow!("instrument {id} is not in the library"))
            })
        })
        .collect()
}

fn check_answer(inst: &Instrument, item: &str, value: Option<i32>, field: &str) -> Result<(), ServiceError> {
    let it = inst
        .item(item)
        .ok_or_else(|| ServiceError::validation(field, format!("{} has no item `{item}`", inst.id())))?;
    if let Some(v) = value
        && !inst.options_of(it).iter().any(|o| *o.value.get_ref() == v)
    {
        let allowed: Vec<String> =
            inst.options_of(it).iter().map(|o| o.value.get_ref().to_string()).collect();
        return Err(ServiceError::validation(
            field,
            format!("{v} is not an answer to {item}; allowed: {}", allowed.join(", ")),
        ));
    }
    Ok(())
}

/// One answer to one item; `None` is an item skipped.
#[derive(Debug, Clone)]
pub struct Answer {
    pub instrument: String,
    pub item: String,
    pub value: Option<i32>,
}

/// What saving an answer did.
#[derive(Debug, Clone, Default)]
pub struct Saved {
    /// Urgent alerts the answer raised that come with crisis resources: show them now.
    pub show_crisis_resources: bool,
}

/// Saves (or changes) one answer of an assessment still being answered. An answer that meets
/// an urgent rule raises its alert at once, before the questionnaire is submitted.
pub fn save_answer(
    conn: &mut DbConn,
    ctx: &Context,
    library: &Library,
    assessment_id: &str,
    participant_id: &str,
    answer: &Answer,
) -> Result<Saved, ServiceError> {
    let (instrument, item, value) = (answer.instrument.as_str(), answer.item.as_str(), answer.value);
    db::write_tx(conn, |c| {
        let a = answerable(c, assessment_id, participant_id)?;
        let inst = instruments_of(library, &a)?
            .into_iter()
            .find(|i| i.id() == instrument)
            .ok_or_else(|| ServiceError::validation("instrument", "not part of this assessment"))?;
        check_answer(&inst, item, value, "answer")?;
        put(c, &a.id, answer)?;
        let mut saved = Saved::default();
        let (protocol, _) = crate::protocol::store::current_parsed(c)?;
        for rule in inst.alerts.iter().filter(|r| *r.severity.get_ref() == Severity::Urgent) {
            if scoring::item_rule_holds(rule, item, value) {
                safety::raise(c, ctx, &protocol, answered(&a), instrument, rule)?;
                saved.show_crisis_resources |= rule.crisis_resources;
            }
        }
        Ok(saved)
    })
}

/// Stores one answer, replacing an earlier answer to the same item.
fn put(c: &mut DbConn, assessment_id: &str, answer: &Answer) -> QueryResult<()> {
    diesel::delete(
        responses::table
            .filter(responses::assessment_id.eq(assessment_id))
            .filter(responses::instrument.eq(&answer.instrument))
            .filter(responses::item.eq(&answer.item)),
    )
    .execute(c)?;
    diesel::insert_into(responses::table)
        .values((
            responses::assessment_id.eq(assessment_id),
            responses::instrument.eq(&answer.instrument),
            responses::item.eq(&answer.item),
            responses::value.eq(answer.value),
            responses::answered_at.eq(db::now()),
        ))
        .execute(c)?;
    Ok(())
}

/// The assessment, if this participant may still answer it now.
fn answerable(c: &mut DbConn, assessment_id: &str, participant_id: &str) -> Result<Assessment, ServiceError> {
    let a = super::find(c, assessment_id)?
        .filter(|a| a.participant_id == participant_id)
        .ok_or_else(|| ServiceError::NotFound("questionnaire".into()))?;
    if !a.is_answerable(db::now()) {
        return Err(ServiceError::conflict("not_open", "this questionnaire is no longer open"));
    }
    Ok(a)
}

/// The result of a submission.
#[derive(Debug, Clone)]
pub enum Submitted {
    /// Scored and stored now.
    Now { crisis_resources: bool },
    /// It had been submitted before: nothing changed (a double submit stores one).
    Already,
}

/// The participant's baseline totals by instrument (the protocol's first time point), in one
/// query; none when `a` is the baseline.
fn baseline_totals(
    c: &mut DbConn,
    protocol: &Protocol,
    a: &Assessment,
) -> QueryResult<BTreeMap<String, i32>> {
    let Some(first) = protocol.assessments.first().map(|t| t.id.get_ref().clone()) else {
        return Ok(BTreeMap::new());
    };
    if first == a.timepoint {
        return Ok(BTreeMap::new());
    }
    let totals: Vec<(String, Option<i32>)> = scores::table
        .inner_join(assessments::table)
        .filter(assessments::participant_id.eq(&a.participant_id))
        .filter(assessments::timepoint.eq(first))
        .select((scores::instrument, scores::total))
        .load(c)?;
    Ok(totals.into_iter().filter_map(|(i, t)| Some((i, t?))).collect())
}

/// A score as stored, made now.
fn stored(a: &Assessment, inst: &Instrument, s: &scoring::Score) -> StoredScore {
    StoredScore {
        assessment_id: a.id.clone(),
        instrument: inst.id().to_owned(),
        total: s.total,
        prorated: s.prorated,
        answered: s.answered,
        band: s.band.clone(),
        scored_at: db::now(),
    }
}

/// Raises the alerts the rules of `inst` call for; true when one shows crisis resources.
fn alert(
    c: &mut DbConn,
    ctx: &Context,
    protocol: &Protocol,
    a: &Assessment,
    (inst, given, s): (&Instrument, &Answers, &scoring::Score),
    baseline: Option<i32>,
) -> Result<bool, ServiceError> {
    let mut crisis = false;
    for rule in scoring::triggered(inst, given, s, baseline) {
        safety::raise(c, ctx, protocol, answered(a), inst.id(), rule)?;
        crisis |= rule.crisis_resources;
    }
    Ok(crisis)
}

/// Scores one instrument, stores the score (replacing the earlier one when `rescore`, for a
/// correction), and raises the alerts its rules call for.
fn score_and_alert(
    c: &mut DbConn,
    ctx: &Context,
    protocol: &Protocol,
    a: &Assessment,
    inst: &Instrument,
    given: &Answers,
    rescore: bool,
) -> Result<(scoring::Score, bool), ServiceError> {
    let s = scoring::score(inst, given);
    if rescore {
        diesel::delete(
            scores::table.filter(scores::assessment_id.eq(&a.id)).filter(scores::instrument.eq(inst.id())),
        )
        .execute(c)?;
    }
    diesel::insert_into(scores::table).values(&stored(a, inst, &s)).execute(c)?;
    let baseline = baseline_totals(c, protocol, a)?.get(inst.id()).copied();
    let crisis = alert(c, ctx, protocol, a, (inst, given, &s), baseline)?;
    Ok((s, crisis))
}

/// Submits an assessment: final, scored and audited. Submitting again changes nothing.
pub fn submit(
    conn: &mut DbConn,
    ctx: &Context,
    library: &Library,
    assessment_id: &str,
    participant_id: &str,
) -> Result<Submitted, ServiceError> {
    db::write_tx(conn, |c| submit_in(c, ctx, library, assessment_id, participant_id, "submit_assessment"))
}

/// `submit` inside the caller's transaction; `action` names the audit entry.
fn submit_in(
    c: &mut DbConn,
    ctx: &Context,
    library: &Library,
    assessment_id: &str,
    participant_id: &str,
    action: &str,
) -> Result<Submitted, ServiceError> {
    use crate::protocol::store;
    // The questionnaire, the protocol version in force and the answers in one query (one row per
    // answer): each query is a round trip in the writer's batch on PostgreSQL.
    let rows: Vec<(Assessment, store::InForce, Option<StoredAnswer>)> = assessments::table
        .left_join(responses::table)
        .filter(assessments::id.eq(assessment_id))
        .select((
            Assessment::as_select(),
            store::in_force(),
            (responses::instrument, responses::item, responses::value).nullable(),
        ))
        .load(c)?;
    let mut found = None;
    let mut answered = Vec::with_capacity(rows.len());
    for (a, in_force, answer) in rows {
        answered.extend(answer);
        found.get_or_insert((a, in_force));
    }
    let given = by_instrument(answered);
    let (a, (version, sha256)) = found
        .filter(|(a, _)| a.participant_id == participant_id)
        .ok_or_else(|| ServiceError::NotFound("questionnaire".into()))?;
    if a.status == Status::Completed {
        return Ok(Submitted::Already);
    }
    if !a.is_answerable(db::now()) {
        return Err(ServiceError::conflict("not_open", "this questionnaire is no longer open"));
    }
    let (Some(version), Some(sha256)) = (version, sha256) else {
        return Err(ServiceError::NotFound("protocol".into()));
    };
    let protocol = store::resolve(c, version, &sha256)?;
    let empty = Answers::new();
    let instruments = instruments_of(library, &a)?;
    // Every instrument scored first and stored in one statement (each statement is a round trip
    // under the write lock on PostgreSQL); then the alerts, against the baseline read once.
    let scored: Vec<(&Arc<Instrument>, &Answers, scoring::Score)> = instruments
        .iter()
        .map(|inst| {
            let answers = given.get(inst.id()).unwrap_or(&empty);
            (inst, answers, scoring::score(inst, answers))
        })
        .collect();
    let rows: Vec<StoredScore> = scored.iter().map(|(inst, _, s)| stored(&a, inst, s)).collect();
    let baselines = baseline_totals(c, &protocol, &a)?;
    let mut changes = Vec::new();
    let mut crisis = false;
    for (inst, answers, s) in scored {
        crisis |= alert(c, ctx, &protocol, &a, (inst, answers, &s), baselines.get(inst.id()).copied())?;
        for item in inst.items.get_ref() {
            let v = answers.get(item.id.get_ref()).copied().flatten();
            changes.push(Change::set(item.id.get_ref(), v));
        }
        changes.push(Change::set(&format!("{}_total", inst.id()), s.total));
    }
    let now = db::now();
    changes.insert(0, Change::update("status", a.status, Status::Completed));
    let keys = super::message_keys(&protocol, &a.id);
    // The scores, the status, the reminders' cancellation and the audit entry: one statement on
    // PostgreSQL. The alerts above read none of them.
    db::batch::together(c, |c, batch| {
        db::batch::insert_many_in!(batch, c, scores::table, &rows)?;
        batch.add(
            c,
            diesel::update(assessments::table.find(&a.id))
                .set((assessments::status.eq(Status::Completed), assessments::completed_at.eq(now))),
        )?;
        crate::outbox::cancel_keys_in(batch, c, &keys, "questionnaires sent")?;
        audit::append_in(
            batch,
            c,
            ctx,
            Event { action, entity: "assessment", entity_id: &a.id, changes, reason: None },
        )
    })?;
    Ok(Submitted::Now { crisis_resources: crisis })
}

/// A staff member enters a whole open questionnaire on the participant's behalf (read out on a
/// phone call) and submits it, in one transaction: every answer checked as on the participant's
/// own pages, the same urgent rules raised as each answer lands, the same scoring and alerts at
/// submission. The assessment records who entered it.
pub fn enter_on_behalf(
    conn: &mut DbConn,
    ctx: &Context,
    library: &Library,
    assessment_id: &str,
    participant_id: &str,
    given: &[Answer],
) -> Result<Submitted, ServiceError> {
    db::write_tx(conn, |c| {
        let a = answerable(c, assessment_id, participant_id)?;
        let (protocol, _) = crate::protocol::store::current_parsed(c)?;
        let instruments = instruments_of(library, &a)?;
        for answer in given {
            let inst = instruments
                .iter()
                .find(|i| i.id() == answer.instrument)
                .ok_or_else(|| ServiceError::validation("instrument", "not part of this assessment"))?;
            check_answer(inst, &answer.item, answer.value, &answer.item)?;
            put(c, &a.id, answer)?;
            for rule in inst.alerts.iter().filter(|r| *r.severity.get_ref() == Severity::Urgent) {
                if scoring::item_rule_holds(rule, &answer.item, answer.value) {
                    safety::raise(c, ctx, &protocol, answered(&a), inst.id(), rule)?;
                }
            }
        }
        diesel::update(assessments::table.find(&a.id))
            .set(assessments::entered_by.eq(&ctx.actor.id))
            .execute(c)?;
        submit_in(c, ctx, library, assessment_id, participant_id, "enter_on_behalf")
    })
}

/// A coordinator's correction of one answer of a completed assessment, with a reason: the
/// instrument is scored again and any alert the new answer calls for is raised.
pub fn correct(
    conn: &mut DbConn,
    ctx: &Context,
    library: &Library,
    assessment_id: &str,
    answer: &Answer,
    reason: &str,
) -> Result<StoredScore, ServiceError> {
    let (instrument, item, value) = (answer.instrument.as_str(), answer.item.as_str(), answer.value);
    db::write_tx(conn, |c| {
        let a = super::find(c, assessment_id)?.ok_or_else(|| ServiceError::NotFound("assessment".into()))?;
        if a.status != Status::Completed {
            return Err(ServiceError::conflict(
                "not_completed",
                "only a submitted assessment is corrected; the participant can still change their answers",
            ));
        }
        let inst = instruments_of(library, &a)?
            .into_iter()
            .find(|i| i.id() == instrument)
            .ok_or_else(|| ServiceError::validation("instrument", "not part of this assessment"))?;
        check_answer(&inst, item, value, "item")?;
        let mut given = answers(c, &a.id)?.remove(instrument).unwrap_or_default();
        let old = given.get(item).copied().flatten();
        given.insert(item.to_owned(), value);
        put(c, &a.id, answer)?;
        let old_total: Option<i32> =
            scores_of(c, &a.id)?.into_iter().find(|s| s.instrument == instrument).and_then(|s| s.total);
        let (protocol, _) = crate::protocol::store::current_parsed(c)?;
        let (s, _) = score_and_alert(c, ctx, &protocol, &a, &inst, &given, true)?;
        audit::append(
            c,
            ctx,
            Event {
                action: "correct_answer",
                entity: "assessment",
                entity_id: &a.id,
                changes: vec![
                    Change::update(item, old, value),
                    Change::update(&format!("{instrument}_total"), old_total, s.total),
                ],
                reason: Some(reason),
            },
        )?;
        Ok(scores_of(c, &a.id)?
            .into_iter()
            .find(|s| s.instrument == instrument)
            .unwrap_or_else(|| unreachable!("just stored")))
    })
}

/// The assessment as the safety capability names it.
fn answered(a: &Assessment) -> safety::Answered<'_> {
    safety::Answered { participant_id: &a.participant_id, assessment_id: &a.id }
}
