//! The safety workflow: an answer that meets an instrument's alert rule (PHQ-9 item 9 ≥ 1 above
//! all) raises an alert at once. The first safety contact is e-mailed; an alert not acknowledged
//! by its due time escalates to the next contact, and past the last one to every admin. A
//! clinician acknowledges it, records the action taken and closes it. Every step is audited.

pub mod pages;
pub mod routes;
pub mod status;

pub use status::AlertStatus;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Change, Context, Event};
use crate::db::schema::{participants, safety_alerts, safety_contacts, site_safety_contacts, users};
use crate::db::{self, DbConn};
use crate::instruments::{AlertRule, Severity};
use crate::outbox::{self, Kind, Recipient};
use crate::protocol::Protocol;
use crate::service_error::ServiceError;
use crate::sites::Scope;

/// A safety alert.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = safety_alerts)]
pub struct Alert {
    pub id: String,
    pub participant_id: String,
    pub assessment_id: String,
    pub instrument: String,
    pub rule_id: String,
    /// `urgent` or `notify`.
    #[schema(value_type = String)]
    pub severity: Severity,
    pub meaning: String,
    #[serde(serialize_with = "crate::json::utc")]
    pub created_at: NaiveDateTime,
    /// Acknowledge by then, or it escalates.
    #[serde(serialize_with = "crate::json::utc")]
    pub due_at: NaiveDateTime,
    /// Which safety contact it has reached: 1 is the first.
    pub level: i32,
    /// `open`, `acknowledged` or `closed`.
    #[schema(value_type = String)]
    pub status: AlertStatus,
    #[serde(serialize_with = "crate::json::utc_opt")]
    pub acknowledged_at: Option<NaiveDateTime>,
    pub acknowledged_by: Option<String>,
    pub action_taken: Option<String>,
    #[serde(serialize_with = "crate::json::utc_opt")]
    pub action_at: Option<NaiveDateTime>,
    pub action_by: Option<String>,
    #[serde(serialize_with = "crate::json::utc_opt")]
    pub closed_at: Option<NaiveDateTime>,
    pub closed_by: Option<String>,
    pub closing_note: Option<String>,
}

fn ack_window(protocol: &Protocol, severity: Severity) -> Duration {
    let minutes = match severity {
        Severity::Urgent => *protocol.safety.urgent_acknowledge_minutes.get_ref(),
        _ => *protocol.safety.notify_acknowledge_minutes.get_ref(),
    };
    Duration::minutes(minutes)
}

/// The safety contacts' user ids, first to last: the study's list, or one site's own.
pub fn contacts(conn: &mut DbConn, site: Option<&str>) -> QueryResult<Vec<String>> {
    match site {
        None => safety_contacts::table
            .order(safety_contacts::position.asc())
            .select(safety_contacts::user_id)
            .load(conn),
        Some(site) => site_safety_contacts::table
            .filter(site_safety_contacts::site.eq(site))
            .order(site_safety_contacts::position.asc())
            .select(site_safety_contacts::user_id)
            .load(conn),
    }
}

/// Who is told of an alert about a participant of `site`, in order: the site's own contacts,
/// then the study's, leaving out anyone whose account does not reach that site.
fn chain(conn: &mut DbConn, site: &str) -> QueryResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for id in contacts(conn, Some(site))?.into_iter().chain(contacts(conn, None)?) {
        if !out.contains(&id) && reaches(conn, &id, site)? {
            out.push(id);
        }
    }
    Ok(out)
}

/// Whether account `user_id` may see participants of `site`.
fn reaches(conn: &mut DbConn, user_id: &str, site: &str) -> QueryResult<bool> {
    let all_sites: Option<bool> =
        users::table.find(user_id).select(users::all_sites).first(conn).optional()?;
    match all_sites {
        None => Ok(false),
        Some(all) => Ok(Scope::of_user(conn, user_id, all)?.allows(site)),
    }
}

/// The site of the participant an alert is about.
fn site_of(conn: &mut DbConn, participant_id: &str) -> QueryResult<String> {
    participants::table.find(participant_id).select(participants::site).first(conn)
}

/// Replaces the contact list of the study (`site` none) or of one site (audited, old → new).
pub fn set_contacts(
    conn: &mut DbConn,
    ctx: &Context,
    site: Option<&str>,
    user_ids: &[String],
) -> Result<Vec<String>, ServiceError> {
    db::write_tx(conn, |c| {
        if let Some(code) = site
            && crate::sites::find(c, code)?.is_none()
        {
            return Err(ServiceError::validation("site", format!("no site has the code `{code}`")));
        }
        for (i, id) in user_ids.iter().enumerate() {
            let active: Option<bool> =
                users::table.find(id).select(users::disabled).first(c).optional()?.map(|d: bool| !d);
            if active != Some(true) {
                return Err(ServiceError::validation(
                    format!("user_ids[{i}]"),
                    "no active account has this id",
                ));
            }
            if user_ids[..i].contains(id) {
                return Err(ServiceError::validation(format!("user_ids[{i}]"), "listed twice"));
            }
        }
        let old = contacts(c, site)?;
        match site {
            None => {
                diesel::delete(safety_contacts::table).execute(c)?;
                for (i, id) in user_ids.iter().enumerate() {
                    diesel::insert_into(safety_contacts::table)
                        .values((safety_contacts::position.eq(i as i32 + 1), safety_contacts::user_id.eq(id)))
                        .execute(c)?;
                }
            }
            Some(code) => {
                diesel::delete(site_safety_contacts::table.filter(site_safety_contacts::site.eq(code)))
                    .execute(c)?;
                for (i, id) in user_ids.iter().enumerate() {
                    if !reaches(c, id, code)? {
                        return Err(ServiceError::validation(
                            format!("user_ids[{i}]"),
                            format!("this account has no access to site `{code}`"),
                        ));
                    }
                    diesel::insert_into(site_safety_contacts::table)
                        .values((
                            site_safety_contacts::site.eq(code),
                            site_safety_contacts::position.eq(i as i32 + 1),
                            site_safety_contacts::user_id.eq(id),
                        ))
                        .execute(c)?;
                }
            }
        }
        audit::append(
            c,
            ctx,
            Event {
                action: "set_safety_contacts",
                entity: if site.is_some() { "site" } else { "study" },
                entity_id: site.unwrap_or("safety_contacts"),
                changes: vec![Change::update("user_ids", &old, user_ids)],
                reason: None,
            },
        )?;
        Ok(user_ids.to_vec())
    })
}

/// The active admins who reach `site`; if none does, every active admin, so that an alert can
/// never go unheard.
fn admins(conn: &mut DbConn, site: &str) -> QueryResult<Vec<String>> {
    let all: Vec<String> = users::table
        .filter(users::role.eq("admin"))
        .filter(users::disabled.eq(false))
        .select(users::id)
        .load(conn)?;
    let mut reaching = Vec::new();
    for id in &all {
        if reaches(conn, id, site)? {
            reaching.push(id.clone());
        }
    }
    Ok(if reaching.is_empty() { all } else { reaching })
}

/// Who hears of an alert at `level`, given the contact chain: that contact; with no contacts
/// set, or past the last one, the admins of the site.
fn recipients_at(conn: &mut DbConn, list: &[String], level: i32, site: &str) -> QueryResult<Vec<String>> {
    match list.get(level as usize - 1) {
        Some(id) => Ok(vec![id.clone()]),
        None => admins(conn, site),
    }
}

fn notify(conn: &mut DbConn, list: &[String], alert: &Alert, site: &str) -> QueryResult<()> {
    for user in recipients_at(conn, list, alert.level, site)? {
        let key = format!("alert:{}:{}:{user}", alert.id, alert.level);
        let payload = serde_json::json!({ "alert_id": alert.id });
        outbox::enqueue(conn, &key, Kind::SafetyAlert, &Recipient::User(user), "en", payload, db::now())?;
    }
    Ok(())
}

/// The questionnaire whose answers met a rule: whose it is, and which assessment.
#[derive(Debug, Clone, Copy)]
pub struct Answered<'a> {
    pub participant_id: &'a str,
    pub assessment_id: &'a str,
}

/// Raises an alert for a rule that held, unless this assessment already has one for the rule.
/// Runs inside the caller's transaction; `info` rules raise nothing.
pub fn raise(
    conn: &mut DbConn,
    ctx: &Context,
    protocol: &Protocol,
    answered: Answered<'_>,
    instrument: &str,
    rule: &AlertRule,
) -> QueryResult<Option<Alert>> {
    let severity = *rule.severity.get_ref();
    if severity == Severity::Info {
        return Ok(None);
    }
    let rule_id = format!("{instrument}.{}", rule.id.get_ref());
    let exists: i64 = safety_alerts::table
        .filter(safety_alerts::assessment_id.eq(answered.assessment_id))
        .filter(safety_alerts::rule_id.eq(&rule_id))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(None);
    }
    let now = db::now();
    let alert = Alert {
        id: uuid::Uuid::now_v7().to_string(),
        participant_id: answered.participant_id.to_owned(),
        assessment_id: answered.assessment_id.to_owned(),
        instrument: instrument.to_owned(),
        rule_id,
        severity,
        meaning: rule.meaning.clone(),
        created_at: now,
        due_at: now + ack_window(protocol, severity),
        level: 1,
        status: AlertStatus::Open,
        acknowledged_at: None,
        acknowledged_by: None,
        action_taken: None,
        action_at: None,
        action_by: None,
        closed_at: None,
        closed_by: None,
        closing_note: None,
    };
    diesel::insert_into(safety_alerts::table).values(&alert).execute(conn)?;
    let site = site_of(conn, &alert.participant_id)?;
    let list = chain(conn, &site)?;
    notify(conn, &list, &alert, &site)?;
    audit::append(
        conn,
        ctx,
        Event {
            action: "raise_alert",
            entity: "safety_alert",
            entity_id: &alert.id,
            changes: vec![
                Change::set("participant_id", &alert.participant_id),
                Change::set("rule", &alert.rule_id),
                Change::set("severity", alert.severity),
                Change::set("due_at", alert.due_at),
            ],
            reason: None,
        },
    )?;
    Ok(Some(alert))
}

/// Escalates every open alert past its due time to the next contact, as of `now`; returns how
/// many escalated. Runs in the background every minute (and from tests, with any `now`).
pub fn escalate_due(conn: &mut DbConn, now: NaiveDateTime) -> anyhow::Result<usize> {
    db::write_tx(conn, |c| {
        let (protocol, _) = crate::protocol::store::current_parsed(c)?;
        let due: Vec<Alert> = safety_alerts::table
            .filter(safety_alerts::status.eq(AlertStatus::Open))
            .filter(safety_alerts::due_at.le(now))
            .select(Alert::as_select())
            .load(c)?;
        let ctx = Context { actor: Actor::system(), request_id: None };
        let mut escalated = 0;
        for mut a in due {
            let site = site_of(c, &a.participant_id)?;
            let list = chain(c, &site)?;
            let last_contact = list.len() as i32;
            // Past the last contact the alert has reached every admin; it stays overdue, and
            // each further window re-sends to them, until someone acknowledges it.
            let level = (a.level + 1).min(last_contact + 1);
            let severity = a.severity;
            let due_at = now + ack_window(&protocol, severity);
            diesel::update(safety_alerts::table.find(&a.id))
                .set((safety_alerts::level.eq(level), safety_alerts::due_at.eq(due_at)))
                .execute(c)?;
            audit::append(
                c,
                &ctx,
                Event {
                    action: "escalate_alert",
                    entity: "safety_alert",
                    entity_id: &a.id,
                    changes: vec![
                        Change::update("level", a.level, level),
                        Change::update("due_at", a.due_at, due_at),
                    ],
                    reason: Some("not acknowledged in time"),
                },
            )?;
            if level == a.level {
                for user in recipients_at(c, &list, level, &site)? {
                    let key = format!("alert:{}:{}:{user}:{}", a.id, level, now.and_utc().timestamp());
                    let payload = serde_json::json!({ "alert_id": a.id });
                    outbox::enqueue(
                        c,
                        &key,
                        Kind::SafetyAlert,
                        &Recipient::User(user),
                        "en",
                        payload,
                        db::now(),
                    )?;
                }
            } else {
                a.level = level;
                notify(c, &list, &a, &site)?;
            }
            escalated += 1;
        }
        Ok::<_, ServiceError>(escalated)
    })
    .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Alerts, open and overdue first, then newest; with each participant's study id.
pub fn list(conn: &mut DbConn, scope: &Scope, only_unclosed: bool) -> QueryResult<Vec<(Alert, String)>> {
    let mut q = safety_alerts::table
        .inner_join(participants::table)
        .select((Alert::as_select(), participants::study_id))
        .into_boxed();
    if only_unclosed {
        q = q.filter(safety_alerts::status.ne(AlertStatus::Closed));
    }
    if let Some(codes) = scope.codes() {
        q = q.filter(participants::site.eq_any(codes));
    }
    let mut rows: Vec<(Alert, String)> = q.load(conn)?;
    // open < acknowledged < closed, whatever the collation.
    rows.sort_by(|a, b| a.0.status.rank().cmp(&b.0.status.rank()).then(a.0.due_at.cmp(&b.0.due_at)));
    Ok(rows)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<Alert>> {
    safety_alerts::table.find(id).select(Alert::as_select()).first(conn).optional()
}

/// A step a clinician takes on an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Acknowledge,
    RecordAction,
    Close,
}

/// Acknowledges, records the action taken, or closes an alert (audited). An alert is
/// acknowledged before anything else, and closed only once an action is recorded.
pub fn take_step(
    conn: &mut DbConn,
    ctx: &Context,
    id: &str,
    step: Step,
    text: Option<&str>,
) -> Result<Alert, ServiceError> {
    let user = ctx.actor.id.clone();
    db::write_tx(conn, |c| {
        let a = find(c, id)?.ok_or_else(|| ServiceError::NotFound("alert".into()))?;
        let now = db::now();
        let (action, changes) = match step {
            Step::Acknowledge => {
                if a.status != AlertStatus::Open {
                    return Err(ServiceError::conflict(
                        "already_acknowledged",
                        format!("the alert is {}", a.status),
                    ));
                }
                diesel::update(safety_alerts::table.find(id))
                    .set((
                        safety_alerts::status.eq(AlertStatus::Acknowledged),
                        safety_alerts::acknowledged_at.eq(now),
                        safety_alerts::acknowledged_by.eq(&user),
                    ))
                    .execute(c)?;
                (
                    "acknowledge_alert",
                    vec![Change::update("status", AlertStatus::Open, AlertStatus::Acknowledged)],
                )
            }
            Step::RecordAction => {
                if a.status != AlertStatus::Acknowledged {
                    return Err(ServiceError::conflict(
                        "not_acknowledged",
                        format!("the alert is {}; acknowledge it first", a.status),
                    ));
                }
                diesel::update(safety_alerts::table.find(id))
                    .set((
                        safety_alerts::action_taken.eq(text),
                        safety_alerts::action_at.eq(now),
                        safety_alerts::action_by.eq(&user),
                    ))
                    .execute(c)?;
                ("record_alert_action", vec![Change::update("action_taken", &a.action_taken, text)])
            }
            Step::Close => {
                if a.status != AlertStatus::Acknowledged || a.action_taken.is_none() {
                    return Err(ServiceError::conflict(
                        "no_action_recorded",
                        "record the action taken before closing the alert",
                    ));
                }
                diesel::update(safety_alerts::table.find(id))
                    .set((
                        safety_alerts::status.eq(AlertStatus::Closed),
                        safety_alerts::closed_at.eq(now),
                        safety_alerts::closed_by.eq(&user),
                        safety_alerts::closing_note.eq(text),
                    ))
                    .execute(c)?;
                (
                    "close_alert",
                    vec![
                        Change::update("status", AlertStatus::Acknowledged, AlertStatus::Closed),
                        Change::set("closing_note", text),
                    ],
                )
            }
        };
        audit::append(
            c,
            ctx,
            Event { action, entity: "safety_alert", entity_id: id, changes, reason: None },
        )?;
        Ok(find(c, id)?.unwrap_or(a))
    })
}

/// Whether any urgent alert came from this assessment (the participant sees crisis resources).
pub fn urgent_for_assessment(conn: &mut DbConn, assessment_id: &str) -> QueryResult<bool> {
    let n: i64 = safety_alerts::table
        .filter(safety_alerts::assessment_id.eq(assessment_id))
        .filter(safety_alerts::severity.eq(Severity::Urgent))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}
