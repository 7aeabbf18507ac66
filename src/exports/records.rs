//! Reading trial data for exports one page of participants at a time, so memory stays flat
//! however large the trial: each page is a handful of indexed queries.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::assessments::Status;
use crate::db::DbConn;
use crate::db::schema::{
    allocations, assessments, attendance, group_members, participants, responses, scores, support_groups,
};
use crate::enrolment::participants::Participant;
use crate::sites::Scope;

/// One randomised participant and everything measured about them.
#[derive(Debug, Clone)]
pub struct Record {
    /// The study record (never contact details, which live apart).
    pub participant: Participant,
    pub strata: BTreeMap<String, String>,
    pub arm_id: String,
    /// The day of randomisation in the study's zone: study day 0.
    pub randomised_on: NaiveDate,
    pub withdrawn_on: Option<NaiveDate>,
    /// The participant's support group's internal id, if any.
    pub group: Option<String>,
    pub sessions_attended: i64,
    pub visits: Vec<Visit>,
}

/// One scheduled time point.
#[derive(Debug, Clone)]
pub struct Visit {
    pub timepoint: String,
    pub status: Status,
    pub target_date: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub instruments: Vec<String>,
    /// Per instrument: the stored score.
    pub scores: Vec<(String, Score)>,
    /// Per item id, sorted by it: the answer (None = skipped).
    pub answers: Vec<(String, Option<i32>)>,
}

impl Visit {
    pub fn score(&self, instrument: &str) -> Option<&Score> {
        self.scores.iter().find(|(id, _)| id == instrument).map(|(_, score)| score)
    }

    /// The answer to an item; `None` when it was skipped or never asked.
    pub fn answer(&self, item: &str) -> Option<i32> {
        let found = self.answers.binary_search_by(|(id, _)| id.as_str().cmp(item)).ok()?;
        self.answers[found].1
    }
}

#[derive(Debug, Clone)]
pub struct Score {
    pub total: Option<i32>,
    pub prorated: bool,
    pub answered: i32,
    pub band: Option<String>,
}

/// Pseudonymous short ids for groups (G01…) and moderators (M01…), by creation order, so the same
/// group keeps its id across exports and no internal identifier leaves.
pub struct GroupCodes {
    pub group: HashMap<String, String>,
    pub moderator_of: HashMap<String, String>,
}

pub fn group_codes(conn: &mut DbConn) -> QueryResult<GroupCodes> {
    let groups: Vec<(String, String)> = support_groups::table
        .order((support_groups::created_at.asc(), support_groups::id.asc()))
        .select((support_groups::id, support_groups::moderator_id))
        .load(conn)?;
    let mut moderators: Vec<String> = Vec::new();
    let (mut group, mut moderator_of) = (HashMap::new(), HashMap::new());
    for (i, (id, moderator)) in groups.into_iter().enumerate() {
        let m = match moderators.iter().position(|x| *x == moderator) {
            Some(m) => m,
            None => {
                moderators.push(moderator);
                moderators.len() - 1
            }
        };
        group.insert(id.clone(), format!("G{:02}", i + 1));
        moderator_of.insert(id, format!("M{:02}", m + 1));
    }
    Ok(GroupCodes { group, moderator_of })
}

/// The study numbers of the randomised participants an export covers, in order: where its pages
/// start and end.
pub fn numbers(conn: &mut DbConn, scope: &Scope) -> QueryResult<Vec<i32>> {
    let mut q = participants::table
        .inner_join(allocations::table)
        .order(participants::number.asc())
        .select(participants::number)
        .into_boxed();
    if let Some(codes) = scope.codes() {
        q = q.filter(participants::site.eq_any(codes));
    }
    q.load(conn)
}

/// The randomised participants with study numbers `first..=last`, in study-number order, with
/// their item answers when `answers`. Participants who withdrew and asked that their data not be
/// used are left out (a page may then be empty).
pub fn page(
    conn: &mut DbConn,
    scope: &Scope,
    zone: chrono_tz::Tz,
    answers: bool,
    (first, last): (i32, i32),
) -> QueryResult<Vec<Record>> {
    let mut q = participants::table
        .filter(participants::number.between(first, last))
        .order(participants::number.asc())
        .select(Participant::as_select())
        .into_boxed();
    if let Some(codes) = scope.codes() {
        q = q.filter(participants::site.eq_any(codes));
    }
    let people: Vec<Participant> = q.load(conn)?;
    // Not joined in the query above: PostgreSQL then hashes the whole allocations table for
    // each page (a quarter of a million-row export's time), where looking up a page's
    // participants by key takes a few milliseconds.
    let ids: Vec<&str> = people.iter().map(|p| p.id.as_str()).collect();
    let mut allocated: HashMap<String, (String, NaiveDateTime)> = allocations::table
        .filter(allocations::participant_id.eq_any(&ids))
        .select((allocations::participant_id, allocations::arm_id, allocations::allocated_at))
        .load::<(String, String, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(id, arm, at)| (id, (arm, at)))
        .collect();
    let local = |t: NaiveDateTime| t.and_utc().with_timezone(&zone).date_naive();
    let records: Vec<Record> = people
        .into_iter()
        .filter(|p| !(p.withdrawn_at.is_some() && p.withdrawal_keep_data == Some(false)))
        .filter_map(|p| allocated.remove(&p.id).map(|(arm, at)| (p, arm, at)))
        .map(|(participant, arm_id, allocated_at)| Record {
            strata: participant.strata_map(),
            withdrawn_on: participant.withdrawn_at.map(local),
            participant,
            arm_id,
            randomised_on: local(allocated_at),
            group: None,
            sessions_attended: 0,
            visits: Vec::new(),
        })
        .collect();
    if records.is_empty() {
        return Ok(records);
    }
    let ids: Vec<String> = records.iter().map(|r| r.participant.id.clone()).collect();

    let groups: HashMap<String, String> = group_members::table
        .filter(group_members::participant_id.eq_any(&ids))
        .select((group_members::participant_id, group_members::group_id))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let attended: HashMap<String, i64> = attendance::table
        .filter(attendance::participant_id.eq_any(&ids))
        .filter(attendance::status.eq(crate::groups::Presence::Present))
        .group_by(attendance::participant_id)
        .select((attendance::participant_id, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    type VisitRow = (String, String, String, Status, String, Option<String>, Option<NaiveDateTime>);
    let visits: Vec<VisitRow> = assessments::table
        .filter(assessments::participant_id.eq_any(&ids))
        .select((
            assessments::id,
            assessments::participant_id,
            assessments::timepoint,
            assessments::status,
            assessments::instruments,
            assessments::target_date,
            assessments::completed_at,
        ))
        .load(conn)?;
    // Scores and answers come ordered by visit, so each visit's id is looked up once, not once
    // per answer: a million-row export reads seven million answers.
    let visit_at: HashMap<&str, usize> = visits.iter().enumerate().map(|(i, v)| (v.0.as_str(), i)).collect();
    let mut scored: Vec<Vec<(String, Score)>> = vec![Vec::new(); visits.len()];
    let mut answered: Vec<Vec<(String, Option<i32>)>> = vec![Vec::new(); visits.len()];
    let visit_ids: Vec<&str> = visits.iter().map(|v| v.0.as_str()).collect();
    // Bounded batches keep every statement under the backends' parameter limits.
    for chunk in visit_ids.chunks(2000) {
        type ScoreRow = (String, String, Option<i32>, bool, i32, Option<String>);
        let rows: Vec<ScoreRow> = scores::table
            .filter(scores::assessment_id.eq_any(chunk))
            .order(scores::assessment_id)
            .select((
                scores::assessment_id,
                scores::instrument,
                scores::total,
                scores::prorated,
                scores::answered,
                scores::band,
            ))
            .load(conn)?;
        let mut at = Grouped::default();
        for (visit, instrument, total, prorated, answered_items, band) in rows {
            let score = Score { total, prorated, answered: answered_items, band };
            if let Some(i) = at.index(&visit, &visit_at) {
                scored[i].push((instrument, score));
            }
        }
        if !answers {
            continue;
        }
        let rows: Vec<(String, String)> = responses::table
            .filter(responses::assessment_id.eq_any(chunk))
            .group_by(responses::assessment_id)
            .select((responses::assessment_id, diesel::dsl::sql::<diesel::sql_types::Text>(ANSWERS)))
            .load(conn)?;
        for (visit, pairs) in rows {
            if let Some(&i) = visit_at.get(visit.as_str()) {
                answered[i] = parse_answers(&pairs)?;
            }
        }
    }
    let mut records = records;
    let position: HashMap<String, usize> =
        records.iter().enumerate().map(|(i, r)| (r.participant.id.clone(), i)).collect();
    let filled = scored.into_iter().zip(answered);
    for ((_, participant, timepoint, status, instruments, target, completed), (scores, mut answers)) in
        visits.into_iter().zip(filled)
    {
        let Some(&i) = position.get(&participant) else { continue };
        answers.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        records[i].visits.push(Visit {
            timepoint,
            status,
            target_date: target.and_then(|d| d.parse().ok()),
            completed_on: completed.map(local),
            instruments: instruments.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
            scores,
            answers,
        });
    }
    for record in &mut records {
        record.group = groups.get(&record.participant.id).cloned();
        record.sessions_attended = attended.get(&record.participant.id).copied().unwrap_or(0);
    }
    Ok(records)
}

/// A visit's answers as one text: `item=value` pairs joined by commas, a skipped item with no
/// value (item ids are lower-case letters, digits and `_`: `instruments::check`). One row per
/// visit rather than one per answer: a million-row export reads seven million answers, and each
/// row costs the database and diesel far more than the few bytes it holds. `string_agg` is
/// PostgreSQL's and, since 3.44, SQLite's.
const ANSWERS: &str = "string_agg(item || '=' || coalesce(CAST(value AS TEXT), ''), ',')";

fn parse_answers(pairs: &str) -> QueryResult<Vec<(String, Option<i32>)>> {
    // The message never holds the answers themselves: it may reach a log.
    let bad =
        || diesel::result::Error::DeserializationError("a visit's answers are not item=value pairs".into());
    pairs
        .split(',')
        .map(|pair| {
            let (item, value) = pair.rsplit_once('=').ok_or_else(bad)?;
            let value = match value {
                "" => None,
                v => Some(v.parse().map_err(|_| bad())?),
            };
            Ok((item.to_owned(), value))
        })
        .collect()
}

/// The visit a run of rows ordered by visit belongs to, looked up when the visit changes.
#[derive(Default)]
struct Grouped {
    visit: String,
    index: Option<usize>,
}

impl Grouped {
    fn index(&mut self, visit: &str, visit_at: &HashMap<&str, usize>) -> Option<usize> {
        if self.visit != visit {
            visit.clone_into(&mut self.visit);
            self.index = visit_at.get(visit).copied();
        }
        self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visits_stored_answers_read_back_with_skipped_items_as_none() {
        let parsed = parse_answers("phq9_2=3,phq9_1=,gad7_10=0").expect("parse");
        assert_eq!(
            parsed,
            [("phq9_2".to_string(), Some(3)), ("phq9_1".to_string(), None), ("gad7_10".to_string(), Some(0))]
        );
        assert!(parse_answers("phq9_1").is_err() && parse_answers("phq9_1=x").is_err());
    }
}
