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

/// Up to `limit` randomised participants after study number `after`, in study-number order.
/// Participants who withdrew and asked that their data not be used are left out.
pub fn page(
    conn: &mut DbConn,
    scope: &Scope,
    zone: chrono_tz::Tz,
    after: i32,
    limit: i64,
) -> QueryResult<Vec<Record>> {
    let mut q = participants::table
        .inner_join(allocations::table)
        .filter(participants::number.gt(after))
        .order(participants::number.asc())
        .limit(limit)
        .select((Participant::as_select(), allocations::arm_id, allocations::allocated_at))
        .into_boxed();
    if let Some(codes) = scope.codes() {
        q = q.filter(participants::site.eq_any(codes));
    }
    let rows: Vec<(Participant, String, NaiveDateTime)> = q.load(conn)?;
    let local = |t: NaiveDateTime| t.and_utc().with_timezone(&zone).date_naive();
    let last = rows.last().map(|r| r.0.number);
    let records: Vec<Record> = rows
        .into_iter()
        .filter(|(p, _, _)| !(p.withdrawn_at.is_some() && p.withdrawal_keep_data == Some(false)))
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
        // Every participant on this page asked for their data to be dropped: keep paging.
        return match last {
            Some(number) => page(conn, scope, zone, number, limit),
            None => Ok(records),
        };
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
        let rows: Vec<(String, String, Option<i32>)> = responses::table
            .filter(responses::assessment_id.eq_any(chunk))
            .order(responses::assessment_id)
            .select((responses::assessment_id, responses::item, responses::value))
            .load(conn)?;
        let mut at = Grouped::default();
        for (visit, item, value) in rows {
            if let Some(i) = at.index(&visit, &visit_at) {
                answered[i].push((item, value));
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
