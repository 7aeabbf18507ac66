//! The participant register behind the coordinator's record status grid: filtered, sorted and
//! paged in SQL, so that a page of 50 out of 10,000 participants costs a few indexed queries and
//! not a load of everyone.
//!
//! A participant's status is computed in the query: withdrawn, else randomised (`allocated_arm`,
//! kept on the row by randomisation), else consented (a consent to the form in force at their
//! site), else enrolled. Which form is in force is the protocol's answer for each site today, passed in as
//! values, so an amendment that brings a new consent form moves people back to "enrolled" (to be
//! re-consented) with nothing to migrate, exactly as `Participant::status` judges one person.
//! What the common filters ask (the arm, the phase) is kept on the participant row, with indexes
//! that also hold `withdrawn_at` and `number`, so that the count and the page are index searches
//! (docs/benchmarks.md). Rarer conditions on other tables are uncorrelated `id IN (SELECT …)`:
//! SQLite builds each set once per query instead of running a subquery per participant. A sort's tie-break runs the same way as the sort, so that one index
//! (`participants_enrolled` and the like) serves it backwards too.

use std::collections::BTreeMap;

use diesel::dsl::not;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use crate::assessments::status::Status as AssessmentStatus;
use crate::db::DbConn;
use crate::db::schema::{
    allocations, assessments, consents, group_members, participant_contacts, participant_phases,
    participants, safety_alerts, sites, support_groups,
};
use crate::enrolment::Status;
use crate::enrolment::participants::Participant;
use crate::groups::status::PhaseKind;
use crate::protocol::Protocol;
use crate::safety::AlertStatus;
use crate::sites::Scope;

pub use super::cell::Cell;

type Db = <DbConn as Connection>::Backend;
type Condition = Box<dyn BoxableExpression<participants::table, Db, SqlType = Bool>>;

/// Work waiting on the coordinator, as a filter of the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Enrolled but not consented to the form in force (new, or to be re-consented).
    Unconsented,
    /// Consented, not yet randomised.
    AwaitingRandomisation,
    /// Randomised, and in the queue for a group (a waitlist's wait over).
    AwaitingGroup,
    /// A questionnaire open past its target date.
    Overdue,
}

impl Need {
    pub const ALL: [(Need, &'static str, &'static str); 4] = [
        (Need::Unconsented, "unconsented", "Not yet consented"),
        (Need::AwaitingRandomisation, "awaiting_randomisation", "Consented, awaiting randomisation"),
        (Need::AwaitingGroup, "awaiting_group", "Randomised, awaiting a group"),
        (Need::Overdue, "overdue", "Questionnaire past its target date"),
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, n, _)| *n == s).map(|(w, _, _)| *w)
    }

    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(w, _, _)| *w == self).map_or("", |(_, n, _)| n)
    }

    /// The Fluent key of the label (`need-<as_str>`), for pages: `tr.t(need.key())`.
    pub fn key(self) -> &'static str {
        match self {
            Need::Unconsented => "need-unconsented",
            Need::AwaitingRandomisation => "need-awaiting_randomisation",
            Need::AwaitingGroup => "need-awaiting_group",
            Need::Overdue => "need-overdue",
        }
    }
}

/// The register's sort orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    StudyId,
    Site,
    Enrolled,
    Language,
}

impl Sort {
    pub const ALL: [(Sort, &'static str, &'static str); 4] = [
        (Sort::StudyId, "study_id", "Study id"),
        (Sort::Site, "site", "Site"),
        (Sort::Enrolled, "enrolled_at", "Date enrolled"),
        (Sort::Language, "language", "Language"),
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, n, _)| *n == s).map(|(w, _, _)| *w)
    }

    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(w, _, _)| *w == self).map_or("study_id", |(_, n, _)| n)
    }

    /// The Fluent key of the label, for pages: `tr.t(sort.key())`.
    pub fn key(self) -> &'static str {
        match self {
            Sort::StudyId => "grid-sort-study-id",
            Sort::Site => "grid-sort-site",
            Sort::Enrolled => "grid-sort-enrolled",
            Sort::Language => "grid-sort-language",
        }
    }
}

/// What the register shows: every field optional, all combined with AND.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub site: Option<String>,
    pub status: Option<Status>,
    /// An arm id (the caller maps a code to its id, and refuses it to roles that see no arm).
    pub arm: Option<String>,
    /// A stratification factor and level.
    pub stratum: Option<(String, String)>,
    pub language: Option<String>,
    pub group: Option<String>,
    pub need: Option<Need>,
    /// Part of a study id (`CON-00`, `0012`), case-insensitive.
    pub study_id: Option<String>,
    /// Participants whose contact details matched a search (already audited by the caller).
    pub among: Option<Vec<String>>,
    pub sort: Sort,
    pub descending: bool,
}

/// The consent form in force at each site today, grouped by version: `(version, sites)`.
fn forms_in_force(conn: &mut DbConn, protocol: &Protocol) -> QueryResult<Vec<(String, Vec<String>)>> {
    let codes: Vec<String> = sites::table.select(sites::code).load(conn)?;
    let mut by_version: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for code in codes {
        if let Some(form) = protocol.consent_form_today(&code) {
            by_version.entry(form.version.get_ref().clone()).or_default().push(code);
        }
    }
    Ok(by_version.into_iter().collect())
}

/// Consented to the form in force at the participant's own site.
fn consented_now(forms: &[(String, Vec<String>)]) -> Condition {
    let mut cond: Condition = Box::new(diesel::dsl::sql::<Bool>("1 = 0"));
    for (version, codes) in forms {
        let signed = participants::id.eq_any(
            consents::table
                .filter(consents::form_version.eq(version.clone()))
                .filter(consents::voided_at.is_null())
                .select(consents::participant_id),
        );
        cond = Box::new(cond.or(participants::site.eq_any(codes.clone()).and(signed)));
    }
    cond
}

fn allocated() -> Condition {
    Box::new(participants::allocated_arm.is_not_null())
}

fn active() -> Condition {
    Box::new(participants::withdrawn_at.is_null())
}

/// What the filter's conditions need to know from the database first.
struct Facts {
    /// The consent form in force at each site today, by version.
    forms: Vec<(String, Vec<String>)>,
    /// With a stratum filter: the stored strata texts holding that level. They are few (one per
    /// combination of levels) and `participants_strata` lists them without reading a row; then
    /// `strata IN (…)` is an index search, where `LIKE '%…%'` read all 10,000 rows.
    strata: Vec<String>,
}

/// Every distinct strata text, each found by one seek in `participants_strata` past the one
/// before (a loose index scan). `SELECT DISTINCT` read every entry of the index instead: SQLite
/// without planner statistics does not skip, and that was most of a stratum view's time.
fn distinct_strata(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    let mut all: Vec<String> = Vec::new();
    loop {
        let mut next =
            participants::table.select(participants::strata).order(participants::strata.asc()).into_boxed();
        if let Some(last) = all.last() {
            next = next.filter(participants::strata.gt(last.clone()));
        }
        match next.first::<String>(conn).optional()? {
            Some(text) => all.push(text),
            None => return Ok(all),
        }
    }
}

impl Facts {
    fn load(conn: &mut DbConn, protocol: &Protocol, filter: &Filter) -> QueryResult<Facts> {
        let mut strata = Vec::new();
        if let Some((factor, level)) = &filter.stratum {
            strata = distinct_strata(conn)?
                .into_iter()
                .filter(|text| {
                    serde_json::from_str::<BTreeMap<String, String>>(text)
                        .is_ok_and(|s| s.get(factor).is_some_and(|l| l == level))
                })
                .collect();
        }
        Ok(Facts { forms: forms_in_force(conn, protocol)?, strata })
    }
}

/// The filter as one SQL condition (site scope included).
fn condition(filter: &Filter, scope: &Scope, protocol: &Protocol, facts: &Facts) -> Vec<Condition> {
    let forms = &facts.forms;
    let mut all: Vec<Condition> = Vec::new();
    if let Some(codes) = scope.codes() {
        all.push(Box::new(participants::site.eq_any(codes)));
    }
    if let Some(site) = &filter.site {
        all.push(Box::new(participants::site.eq(site.clone())));
    }
    let unconsented = || -> Vec<Condition> {
        vec![active(), Box::new(not(allocated())), Box::new(not(consented_now(forms)))]
    };
    let awaiting_randomisation =
        || -> Vec<Condition> { vec![active(), Box::new(not(allocated())), consented_now(forms)] };
    match filter.status {
        Some(Status::Withdrawn) => all.push(Box::new(participants::withdrawn_at.is_not_null())),
        Some(Status::Randomised) => all.extend([active(), allocated()]),
        Some(Status::Consented) => all.extend(awaiting_randomisation()),
        Some(Status::Enrolled) => all.extend(unconsented()),
        None => {}
    }
    match filter.need {
        Some(Need::Unconsented) => all.extend(unconsented()),
        Some(Need::AwaitingRandomisation) => all.extend(awaiting_randomisation()),
        Some(Need::AwaitingGroup) => {
            // In the queue for a group: a waitlisted participant waiting out their wait is not.
            all.push(active());
            all.push(Box::new(participants::current_phase.assume_not_null().eq(PhaseKind::Queued.as_str())));
        }
        Some(Need::Overdue) => {
            let today = protocol.today().format("%Y-%m-%d").to_string();
            all.push(Box::new(
                participants::id.eq_any(
                    assessments::table
                        .filter(assessments::status.eq(AssessmentStatus::Open))
                        .filter(assessments::target_date.lt(today))
                        .select(assessments::participant_id),
                ),
            ));
        }
        None => {}
    }
    if let Some(arm) = &filter.arm {
        all.push(Box::new(participants::allocated_arm.assume_not_null().eq(arm.clone())));
    }
    if filter.stratum.is_some() {
        all.push(Box::new(participants::strata.eq_any(facts.strata.clone())));
    }
    if let Some(language) = &filter.language {
        all.push(Box::new(participants::preferred_language.eq(language.clone())));
    }
    if let Some(group) = &filter.group {
        all.push(Box::new(
            participants::id.eq_any(
                group_members::table
                    .filter(group_members::group_id.eq(group.clone()))
                    .select(group_members::participant_id),
            ),
        ));
    }
    if let Some(id) = &filter.study_id {
        // Part of a study id: `CON-00` or `12` both find CON-0012 (LIKE ignores case in SQLite;
        // study ids are stored upper-case, as typed ids are made).
        let part = id.trim().to_uppercase().replace(['%', '_', '\\'], "");
        all.push(Box::new(participants::study_id.like(format!("%{part}%"))));
    }
    if let Some(ids) = &filter.among {
        all.push(Box::new(participants::id.eq_any(ids.clone())));
    }
    all
}

fn filtered<'a>(conditions: Vec<Condition>) -> participants::BoxedQuery<'a, Db> {
    let mut q = participants::table.into_boxed();
    for c in conditions {
        q = q.filter(c);
    }
    q
}

/// One row of the grid.
#[derive(Debug, Clone)]
pub struct Row {
    pub participant: Participant,
    pub status: Status,
    pub arm_id: Option<String>,
    pub group: Option<(String, String)>,
    pub phase: Option<String>,
    /// One per time point of the protocol's schedule, in its order.
    pub cells: Vec<Cell>,
    pub open_alerts: usize,
}

/// One page of the register and how many rows match in all.
#[derive(Debug, Clone)]
pub struct Page {
    pub rows: Vec<Row>,
    pub total: i64,
}

/// The rows of `filter` from `offset`, at most `limit`.
pub fn page(
    conn: &mut DbConn,
    protocol: &Protocol,
    scope: &Scope,
    filter: &Filter,
    offset: i64,
    limit: i64,
) -> QueryResult<Page> {
    let facts = Facts::load(conn, protocol, filter)?;
    let total: i64 = filtered(condition(filter, scope, protocol, &facts)).count().get_result(conn)?;
    if limit == 0 {
        return Ok(Page { rows: Vec::new(), total });
    }
    let mut q = filtered(condition(filter, scope, protocol, &facts));
    q = match (filter.sort, filter.descending) {
        (Sort::StudyId, false) => q.order(participants::number.asc()),
        (Sort::StudyId, true) => q.order(participants::number.desc()),
        (Sort::Site, false) => q.order((participants::site.asc(), participants::number.asc())),
        (Sort::Site, true) => q.order((participants::site.desc(), participants::number.desc())),
        (Sort::Enrolled, false) => q.order((participants::enrolled_at.asc(), participants::number.asc())),
        (Sort::Enrolled, true) => q.order((participants::enrolled_at.desc(), participants::number.desc())),
        (Sort::Language, false) => {
            q.order((participants::preferred_language.asc(), participants::number.asc()))
        }
        (Sort::Language, true) => {
            q.order((participants::preferred_language.desc(), participants::number.desc()))
        }
    };
    let q = q.offset(offset).limit(limit);
    let people: Vec<Participant> = if limit <= PAGE_BY_NUMBERS_UP_TO {
        // A page's study numbers first, from an index that holds them (every filter and sort
        // index ends in `number`): sorting and skipping thousands of matches then moves small
        // integers, not whole rows; then the page's rows by number. Measured at 10,000
        // participants, a stratum's last page: 1 ms instead of 6.5.
        let numbers: Vec<i32> = q.select(participants::number).load(conn)?;
        let mut rows: Vec<Participant> = participants::table
            .filter(participants::number.eq_any(&numbers))
            .select(Participant::as_select())
            .load(conn)?;
        rows.sort_by_key(|p| numbers.iter().position(|n| *n == p.number));
        rows
    } else {
        q.select(Participant::as_select()).load(conn)?
    };
    let rows = describe(conn, protocol, people)?;
    Ok(Page { rows, total })
}

/// Pages up to this size are read in two steps (numbers, then rows); a whole view (the CSV)
/// in one, since its numbers would not fit in one statement's parameters.
const PAGE_BY_NUMBERS_UP_TO: i64 = 500;

/// The grid's columns for `people`: a handful of queries for the whole page.
pub fn describe(conn: &mut DbConn, protocol: &Protocol, people: Vec<Participant>) -> QueryResult<Vec<Row>> {
    let ids: Vec<String> = people.iter().map(|p| p.id.clone()).collect();
    let arms: BTreeMap<String, String> = allocations::table
        .filter(allocations::participant_id.eq_any(&ids))
        .select((allocations::participant_id, allocations::arm_id))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let consented: Vec<(String, String)> = consents::table
        .filter(consents::participant_id.eq_any(&ids))
        .filter(consents::voided_at.is_null())
        .select((consents::participant_id, consents::form_version))
        .load(conn)?;
    let groups: BTreeMap<String, (String, String)> = group_members::table
        .inner_join(support_groups::table)
        .filter(group_members::participant_id.eq_any(&ids))
        .select((group_members::participant_id, support_groups::id, support_groups::name))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(p, id, name)| (p, (id, name)))
        .collect();
    let phases: BTreeMap<String, String> = participant_phases::table
        .filter(participant_phases::participant_id.eq_any(&ids))
        .filter(participant_phases::ended_on.is_null())
        .select((participant_phases::participant_id, participant_phases::phase))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let schedule: Vec<(String, String, AssessmentStatus, Option<String>)> = assessments::table
        .filter(assessments::participant_id.eq_any(&ids))
        .select((
            assessments::participant_id,
            assessments::timepoint,
            assessments::status,
            assessments::target_date,
        ))
        .load(conn)?;
    let alerts: Vec<String> = safety_alerts::table
        .filter(safety_alerts::participant_id.eq_any(&ids))
        .filter(safety_alerts::status.ne(AlertStatus::Closed))
        .select(safety_alerts::participant_id)
        .load(conn)?;
    let today = protocol.today().format("%Y-%m-%d").to_string();
    let timepoints: Vec<&str> = protocol.assessments.iter().map(|t| t.id.get_ref().as_str()).collect();
    Ok(people
        .into_iter()
        .map(|p| {
            let form = protocol.consent_form_today(&p.site).map(|f| f.version.get_ref().clone());
            let consent_now = consented.iter().any(|(pid, v)| *pid == p.id && Some(v) == form.as_ref());
            let arm_id = arms.get(&p.id).cloned();
            let status = if p.withdrawn_at.is_some() {
                Status::Withdrawn
            } else if arm_id.is_some() {
                Status::Randomised
            } else if consent_now {
                Status::Consented
            } else {
                Status::Enrolled
            };
            let cells = timepoints
                .iter()
                .map(|tp| {
                    let found = schedule.iter().find(|(pid, t, _, _)| *pid == p.id && t == tp);
                    found.map_or(Cell::NotYet, |(_, _, s, target)| match s {
                        AssessmentStatus::Open if target.as_ref().is_some_and(|t| *t < today) => {
                            Cell::PastTarget
                        }
                        AssessmentStatus::Open => Cell::Open,
                        AssessmentStatus::Scheduled => Cell::Scheduled,
                        AssessmentStatus::Completed => Cell::Completed,
                        AssessmentStatus::Missed => Cell::Missed,
                        AssessmentStatus::NotApplicable => Cell::NotApplicable,
                    })
                })
                .collect();
            Row {
                status,
                arm_id,
                group: groups.get(&p.id).cloned(),
                phase: phases.get(&p.id).cloned(),
                cells,
                open_alerts: alerts.iter().filter(|a| **a == p.id).count(),
                participant: p,
            }
        })
        .collect())
}

/// Participants within `scope` whose name, e-mail or phone contains `text` (case-insensitive).
/// Contact details are stored in clear for the roles that read them; the caller audits the search.
pub fn search_contacts(conn: &mut DbConn, scope: &Scope, text: &str) -> QueryResult<Vec<String>> {
    let needle = text.trim().to_lowercase().replace(['%', '_', '\\'], "");
    let digits: String = needle.chars().filter(char::is_ascii_digit).collect();
    let mut q = participant_contacts::table
        .inner_join(participants::table)
        .select(participant_contacts::participant_id)
        .into_boxed();
    if let Some(codes) = scope.codes() {
        q = q.filter(participants::site.eq_any(codes));
    }
    let name = diesel::dsl::sql::<diesel::sql_types::Text>("lower(participant_contacts.full_name)");
    let email =
        diesel::dsl::sql::<diesel::sql_types::Text>("lower(coalesce(participant_contacts.email, ''))");
    let like = format!("%{needle}%");
    let by_text = name.like(like.clone()).or(email.like(like));
    q = if digits.len() >= 4 {
        // Phones are stored normalised (`+15551234567`): match the digits typed, however spaced.
        let phone = diesel::dsl::sql::<diesel::sql_types::Text>("coalesce(participant_contacts.phone, '')");
        q.filter(by_text.or(phone.like(format!("%{digits}%"))))
    } else {
        q.filter(by_text)
    };
    q.limit(200).load(conn)
}
