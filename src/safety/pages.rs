//! The safety alerts pages for clinicians (and coordinators and admins): the queue, one alert
//! with the participant's contact details, and the forms to acknowledge, record the action taken
//! and close. The e-mail a safety contact receives links here.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::{Auth, Permission};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::safety::{self, Step};
use crate::state::AppState;
use crate::web::page::study_time;
use crate::web::{RespondHtml, csrf_of, not_found_page, redirect, staff_page};
use actix_web::ResponseError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(queue).service(one).service(act).service(contacts).service(contacts_saved);
}

struct Row {
    id: String,
    study_id: String,
    severity: crate::instruments::Severity,
    meaning: String,
    raised: String,
    due: String,
    overdue: bool,
    level: i32,
    status: safety::AlertStatus,
}

impl Row {
    fn new(a: safety::Alert, study_id: String, now: chrono::NaiveDateTime, tz: chrono_tz::Tz) -> Self {
        Row {
            overdue: a.status.is_overdue(a.due_at, now),
            raised: study_time(tz, a.created_at),
            due: study_time(tz, a.due_at),
            id: a.id,
            study_id,
            severity: a.severity,
            meaning: a.meaning,
            level: a.level,
            status: a.status,
        }
    }
}

#[derive(Template)]
#[template(path = "safety/alerts.html")]
struct QueuePage {
    tr: Tr,
    role: String,
    csrf_token: String,
    rows: Vec<Row>,
    /// The study's time zone, named beside the times.
    zone: String,
}

#[get("/alerts")]
async fn queue(state: web::Data<AppState>, auth: Result<Auth, AppError>) -> Result<HttpResponse, AppError> {
    let auth = match staff_page(auth, Permission::HandleAlerts)? {
        Ok(a) => a,
        Err(page) => return Ok(page),
    };
    let now = crate::db::now();
    let scope = auth.scope.clone();
    let (alerts, protocol) = state
        .run(move |c| Ok((safety::list(c, &scope, true)?, crate::protocol::store::current_parsed(c)?.0)))
        .await?;
    let tz = protocol.time_zone();
    let rows = alerts.into_iter().map(|(a, study_id)| Row::new(a, study_id, now, tz)).collect();
    let zone = protocol.study.time_zone.get_ref().clone();
    Ok(QueuePage {
        tr: auth.tr(),
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(&auth),
        rows,
        zone,
    }
    .respond_to_html())
}

#[derive(Template)]
#[template(path = "safety/alert.html")]
struct AlertPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    row: Row,
    language: String,
    name: String,
    phone: String,
    email: String,
    acknowledged: Option<String>,
    action: Option<String>,
    closed: Option<String>,
    /// Why the last step was refused, shown beside the forms.
    error: Option<String>,
    /// The reader is kept blind and may ask for this participant's arm in an emergency.
    may_unblind: bool,
}

#[get("/alerts/{id}")]
async fn one(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let auth = match staff_page(auth, Permission::HandleAlerts)? {
        Ok(a) => a,
        Err(page) => return Ok(page),
    };
    alert_page(&state, &auth, path.into_inner(), None).await
}

/// The alert's page, with the reason a step was refused when there is one: `refusal` is the
/// service's, as its code (`validation` for a missing text) and its (English) message.
async fn alert_page(
    state: &AppState,
    auth: &Auth,
    id: String,
    refusal: Option<(&'static str, String)>,
) -> Result<HttpResponse, AppError> {
    let (scope, role, ctx, tr) = (auth.scope.clone(), auth.user.role(), auth.context(), auth.tr());
    // A write: showing the contact details is audited.
    let found = state
        .write(move |c| {
            scope.alert(c, &id)?;
            let a = safety::find(c, &id)?.ok_or_else(|| AppError::NotFound("alert".into()))?;
            let p = crate::enrolment::participants::find_or_404(c, &scope, &a.participant_id)?;
            let contact = crate::enrolment::participants::read_contact(c, &ctx, &p.id)?;
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            let blind = crate::blinding::Sight::of(&protocol, role).is_blinded();
            Ok((a, p, contact, blind && Permission::Unblind.allows(role), protocol.time_zone()))
        })
        .await;
    let (a, p, contact, may_unblind, tz) = match found {
        Err(AppError::NotFound(_)) => return Ok(not_found_alert(auth)),
        other => other?,
    };
    let by = |at: Option<chrono::NaiveDateTime>, text: Option<&str>| {
        at.map(|t| match text {
            Some(x) => format!("{}: {x}", study_time(tz, t)),
            None => study_time(tz, t),
        })
    };
    // The refusals are said in the page's language, the alert's status as it stands now.
    let error = refusal.map(|(code, message)| {
        let status = tr.word("alert-status", a.status.as_str());
        match code {
            "validation" => tr.t("alert-problem-text"),
            "already_acknowledged" => tr.a("alert-conflict-already-acknowledged", "status", &status),
            "not_acknowledged" => tr.a("alert-conflict-not-acknowledged", "status", &status),
            "no_action_recorded" => tr.t("alert-conflict-no-action-recorded"),
            _ => message,
        }
    });
    let page = AlertPage {
        tr,
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(auth),
        acknowledged: by(a.acknowledged_at, None),
        action: by(a.action_at, a.action_taken.as_deref()),
        closed: by(a.closed_at, a.closing_note.as_deref()),
        language: p.preferred_language,
        name: contact.as_ref().map(|k| k.full_name.clone()).unwrap_or_default(),
        phone: contact.as_ref().and_then(|k| k.phone.clone()).unwrap_or_default(),
        email: contact.as_ref().and_then(|k| k.email.clone()).unwrap_or_default(),
        row: Row::new(a, p.study_id, crate::db::now(), tz),
        error,
        may_unblind,
    };
    Ok(page.respond_to_html())
}

/// A step's form: the CSRF token and, for an action or closure, what was done.
#[derive(Debug, Deserialize)]
struct StepForm {
    csrf_token: String,
    text: Option<String>,
}

#[post("/alerts/{id}/{step}")]
async fn act(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<(String, String)>,
    form: web::Form<StepForm>,
) -> Result<HttpResponse, AppError> {
    let auth = match staff_page(auth, Permission::HandleAlerts)? {
        Ok(a) => a,
        Err(page) => return Ok(page),
    };
    auth.check_form_csrf(&form.csrf_token)?;
    let (id, step) = path.into_inner();
    let step = match step.as_str() {
        "acknowledge" => Step::Acknowledge,
        "action" => Step::RecordAction,
        "close" => Step::Close,
        _ => return Err(AppError::NotFound("page".into())),
    };
    let text = match (step, form.into_inner().text) {
        (Step::Acknowledge, _) => Ok(None),
        (_, text) => safety::routes::required_text(&text.unwrap_or_default()).map(Some),
    };
    let done = match text {
        Ok(text) => {
            let (ctx, target, scope) = (auth.context(), id.clone(), auth.scope.clone());
            state
                .write(move |c| {
                    scope.alert(c, &target)?;
                    Ok(safety::take_step(c, &ctx, &target, step, text.as_deref())?)
                })
                .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => Ok(redirect(&format!("/alerts/{id}"))),
        // A refused step shows the page again with the reason, and the status the API would send.
        Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. })) => {
            let status = e.status_code();
            // A validation refusal here is only a missing text (`required_text`).
            let refusal = match e {
                AppError::Conflict { code, message } => (code, message),
                other => ("validation", other.to_string()),
            };
            let mut page = alert_page(&state, &auth, id, Some(refusal)).await?;
            *page.status_mut() = status;
            Ok(page)
        }
        Err(AppError::NotFound(_)) => Ok(not_found_alert(&auth)),
        Err(e) => Err(e),
    }
}

/// An alert that does not exist, or is about another site's participant.
fn not_found_alert(auth: &Auth) -> HttpResponse {
    not_found_page(auth, "safety alert", "/alerts", "Back to the safety alerts queue")
}

/// How many places the contacts page offers: the first hears of every alert, the next when it is
/// not acknowledged in time, and so on.
const PLACES: usize = 4;

#[derive(Template)]
#[template(path = "safety/contacts.html")]
struct ContactsPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    /// Who may be a contact (active accounts that handle alerts): id and "name (role)".
    people: Vec<(String, String)>,
    /// The account chosen at each place, empty for none.
    chosen: Vec<String>,
    notice: Option<String>,
    problems: crate::web::page::Problems,
}

async fn contacts_page(
    state: &AppState,
    auth: &Auth,
    chosen: Option<Vec<String>>,
    notice: Option<String>,
    problems: crate::web::page::Problems,
) -> Result<HttpResponse, AppError> {
    let tr = auth.tr();
    let (people, now) = state
        .run(move |c| {
            let people = crate::auth::users::list(c)?
                .into_iter()
                .filter(|u| !u.disabled && Permission::HandleAlerts.allows(u.role()))
                .map(|u| {
                    (u.id.clone(), format!("{} ({})", u.display_name, tr.word("role", u.role().as_str())))
                })
                .collect::<Vec<_>>();
            Ok((people, safety::contacts(c, None)?))
        })
        .await?;
    let mut chosen = chosen.unwrap_or(now);
    chosen.resize(PLACES.max(chosen.len()), String::new());
    let status = if problems.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = ContactsPage {
        tr,
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(auth),
        people,
        chosen,
        notice,
        problems,
    };
    let mut response = page.respond_to_html();
    *response.status_mut() = status;
    Ok(response)
}

#[derive(Deserialize)]
struct Saved {
    done: Option<String>,
}

#[get("/safety-contacts")]
async fn contacts(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    query: web::Query<Saved>,
) -> Result<HttpResponse, AppError> {
    let auth = match staff_page(auth, Permission::ConfigureSafety)? {
        Ok(a) => a,
        Err(page) => return Ok(page),
    };
    let notice = query.done.as_ref().map(|_| auth.tr().t("contacts-saved"));
    contacts_page(&state, &auth, None, notice, Default::default()).await
}

/// The places as sent: `place` repeated, in order; empty places are skipped.
#[post("/safety-contacts")]
async fn contacts_saved(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let auth = match staff_page(auth, Permission::ConfigureSafety)? {
        Ok(a) => a,
        Err(page) => return Ok(page),
    };
    let form = form.into_inner();
    auth.check_form_csrf(form.iter().find(|(k, _)| k == "csrf_token").map_or("", |(_, v)| v.as_str()))?;
    let chosen: Vec<String> = form.iter().filter(|(k, _)| k == "place").map(|(_, v)| v.clone()).collect();
    let ids: Vec<String> = chosen.iter().filter(|v| !v.is_empty()).cloned().collect();
    let ctx = auth.context();
    let done =
        state.write(move |c| Ok(safety::set_contacts(c, &ctx, None, &ids).map_err(AppError::from))).await?;
    match done {
        Ok(_) => Ok(redirect("/safety-contacts?done=saved")),
        // Someone chosen twice, or no longer active: said at the top in the reader's words.
        Err(AppError::Validation { message, .. }) => {
            let key = if message.contains("twice") {
                "contacts-problem-twice"
            } else {
                "contacts-problem-inactive"
            };
            let mut problems = crate::web::page::Problems::default();
            problems.add(crate::web::page::Problems::FORM, auth.tr().t(key));
            contacts_page(&state, &auth, Some(chosen), None, problems).await
        }
        Err(e) => Err(e),
    }
}
