//! Follow-up work queues — overdue questionnaires, consented but not randomised, randomised but
//! in no group — each row with what to do next: the phone number for the roles that may read it
//! (each shown number audited), a new personal link, randomising, and recording a contact attempt.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use chrono::{NaiveDateTime, TimeZone};
use serde::Deserialize;

use super::record::{not_found_participant, visible};
use crate::auth::{Auth, Permission};
use crate::desk::register::{self, Filter, Need};
use crate::enrolment::attempts::{self, AttemptOutcome, Channel, NewAttempt};
use crate::enrolment::participants;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::page::{Problems, staff_or_return, study_time, with_status};
use crate::web::{RespondHtml, csrf_of, not_found_page, redirect};

const PER_PAGE: i64 = 50;

pub(super) struct QueueRow {
    pub study_id: String,
    pub site: String,
    /// What is due: the overdue time points, or how long they have waited.
    pub due: String,
    pub phone: Option<String>,
    pub last_attempt: String,
}

#[derive(Template)]
#[template(path = "desk/queue.html")]
struct QueuePage {
    tr: Tr,
    role: String,
    csrf_token: String,
    need: &'static str,
    title: String,
    rows: Vec<QueueRow>,
    total: i64,
    page: i64,
    more: bool,
    may_link: bool,
    may_randomise: bool,
    may_record: bool,
    shows_phone: bool,
    zone: String,
    /// A contact attempt was just recorded.
    recorded: bool,
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    page: Option<i64>,
    done: Option<String>,
}

#[get("/queues/{need}")]
pub(super) async fn queue(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ReadParticipants);
    let Some(need) = Need::parse(&path).filter(|n| *n != Need::Unconsented) else {
        return Ok(not_found_page(&auth, "work queue", "/", "Back to the overview"));
    };
    let page_no = query.page.unwrap_or(1).max(1);
    let (scope, role, ctx) = (auth.scope.clone(), auth.user.role(), auth.context());
    let tr = auth.tr();
    let shows_phone = Permission::ReadContacts.allows(role);
    let (rows, total, zone) = state
        .write(move |c| {
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            let filter = Filter { need: Some(need), ..Filter::default() };
            let page = register::page(c, &protocol, &scope, &filter, (page_no - 1) * PER_PAGE, PER_PAGE)?;
            let ids: Vec<String> = page.rows.iter().map(|r| r.participant.id.clone()).collect();
            let latest = attempts::latest_of(c, &ids)?;
            let due = crate::desk::queues::waiting(c, &protocol, need, &ids, tr)?;
            let tz = protocol.time_zone();
            let mut rows = Vec::new();
            for r in page.rows {
                let p = r.participant;
                // Showing a number is reading contact details: audited, one entry per person.
                let phone = if shows_phone {
                    participants::read_contact(c, &ctx, &p.id)?.map(|k| k.phone.unwrap_or_default())
                } else {
                    None
                };
                rows.push(QueueRow {
                    due: due.get(&p.id).cloned().unwrap_or_default(),
                    last_attempt: latest.get(&p.id).map_or_else(
                        || tr.t("queue-no-attempt"),
                        |a| {
                            tr.args(
                                "queue-last-attempt",
                                &[
                                    ("when", &study_time(tz, a.attempted_at)),
                                    ("channel", &tr.word("channel", a.channel.as_str())),
                                    ("outcome", &tr.word("outcome", a.outcome.as_str())),
                                ],
                            )
                        },
                    ),
                    study_id: p.study_id,
                    site: p.site,
                    phone,
                });
            }
            Ok((rows, page.total, protocol.study.time_zone.get_ref().clone()))
        })
        .await?;
    let page = QueuePage {
        tr,
        role: role.to_string(),
        csrf_token: csrf_of(&auth),
        need: need.as_str(),
        title: tr.t(need.key()),
        more: page_no * PER_PAGE < total,
        rows,
        total,
        page: page_no,
        may_link: need == Need::Overdue && Permission::ManageAssessments.allows(role),
        may_randomise: need == Need::AwaitingRandomisation && Permission::Randomise.allows(role),
        may_record: Permission::Enrol.allows(role),
        shows_phone,
        zone,
        recorded: query.done.as_deref() == Some("attempt"),
    };
    Ok(page.respond_to_html())
}

#[derive(Template)]
#[template(path = "desk/attempt.html")]
struct AttemptPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    study_id: String,
    channels: &'static [Channel],
    outcomes: &'static [AttemptOutcome],
    problems: Problems,
    /// What was typed (or the defaults): when, channel, outcome, note.
    attempted_at: String,
    channel: String,
    outcome: String,
    note: String,
    back: String,
    /// The queue the form returns to, carried through it.
    back_need: &'static str,
    zone: String,
}

#[derive(Debug, Default, Deserialize)]
struct AttemptForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    attempted_at: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
    /// The queue to go back to (`overdue`), or the record when empty.
    #[serde(default)]
    back: String,
}

fn back_to(back: &str, study_id: &str) -> String {
    match Need::parse(back) {
        Some(n) => format!("/queues/{}", n.as_str()),
        None => format!("/participants/{study_id}"),
    }
}

async fn attempt_page(
    state: &AppState,
    auth: &Auth,
    id: String,
    form: AttemptForm,
    problems: Problems,
) -> Result<HttpResponse, AppError> {
    let scope = auth.scope.clone();
    let found = state
        .run(move |c| {
            let p = participants::find(c, &scope, &id)?;
            Ok(p.map(|p| (p, crate::protocol::store::current_parsed(c).map(|x| x.0))))
        })
        .await?;
    let Some((p, protocol)) = found else { return Ok(not_found_participant(auth)) };
    let protocol = protocol?;
    let tz = protocol.time_zone();
    let now = crate::db::now().and_utc().with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string();
    let status = if problems.is_empty() {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = AttemptPage {
        tr: auth.tr(),
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(auth),
        back: back_to(&form.back, &p.study_id),
        back_need: Need::parse(&form.back).map_or("", Need::as_str),
        study_id: p.study_id,
        channels: Channel::ALL,
        outcomes: AttemptOutcome::ALL,
        problems,
        attempted_at: if form.attempted_at.is_empty() { now } else { form.attempted_at },
        channel: form.channel,
        outcome: form.outcome,
        note: form.note,
        zone: protocol.study.time_zone.get_ref().clone(),
    };
    Ok(with_status(page.respond_to_html(), status))
}

#[derive(Debug, Deserialize)]
struct BackQuery {
    #[serde(default)]
    back: String,
}

#[get("/participants/{id}/contact-attempts/new")]
pub(super) async fn attempt_form(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    query: web::Query<BackQuery>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::Enrol);
    let form = AttemptForm { back: query.into_inner().back, ..AttemptForm::default() };
    attempt_page(&state, &auth, path.into_inner(), form, Problems::default()).await
}

/// A local date and time typed in the study's zone (`2026-12-03T14:30`), as UTC.
fn parse_local(tz: chrono_tz::Tz, raw: &str) -> Option<NaiveDateTime> {
    let local = NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M").ok()?;
    tz.from_local_datetime(&local).earliest().map(|t| t.naive_utc())
}

#[post("/participants/{id}/contact-attempts")]
pub(super) async fn attempt_sent(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    form: web::Form<AttemptForm>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::Enrol);
    auth.check_form_csrf(&form.csrf_token)?;
    let form = form.into_inner();
    let id = path.into_inner();
    if !visible(&state, &auth, &id).await? {
        return Ok(not_found_participant(&auth));
    }
    let tz = state.run(|c| Ok(crate::protocol::store::current_parsed(c)?.0.time_zone())).await?;
    let tr = auth.tr();
    let mut problems = Problems::default();
    let when = parse_local(tz, &form.attempted_at);
    if when.is_none() {
        problems.add("attempted_at", tr.t("attempt-problem-when"));
    }
    let channel = Channel::parse(&form.channel);
    if channel.is_none() {
        problems.add("channel", tr.t("attempt-problem-channel"));
    }
    let outcome = AttemptOutcome::parse(&form.outcome);
    if outcome.is_none() {
        problems.add("outcome", tr.t("attempt-problem-outcome"));
    }
    let (Some(attempted_at), Some(channel), Some(outcome)) = (when, channel, outcome) else {
        return attempt_page(&state, &auth, id, form, problems).await;
    };
    let new = NewAttempt { attempted_at, channel, outcome, note: Some(form.note.clone()) };
    let (ctx, scope, target) = (auth.context(), auth.scope.clone(), id.clone());
    let done = state
        .write(move |c| Ok(attempts::record(c, &ctx, &scope, &target, new).map_err(AppError::from)))
        .await?;
    match done {
        Ok(_) => Ok(redirect(&format!("{}?done=attempt", back_to(&form.back, &id)))),
        Err(AppError::NotFound(_)) => Ok(not_found_participant(&auth)),
        Err(e) => {
            let (problems, _) = Problems::from_refusal(auth.tr(), e)?;
            attempt_page(&state, &auth, id, form, problems).await
        }
    }
}
