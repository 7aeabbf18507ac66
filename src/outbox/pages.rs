//! The outbox page for administrators: messages by state (waiting, sent, failed, cancelled), who
//! each is for (a study id or a staff member, never an address), why one failed or was cancelled,
//! and a button that sends a failed one again.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use super::{Message, RecipientKind, Status};
use crate::auth::{Auth, Permission};
use crate::db::schema::{participants, users};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::page::{Problems, staff_or_return, study_time, with_status};
use crate::web::{RespondHtml, csrf_of, redirect};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(outbox_page).service(retry);
}

/// A message as the page shows it.
struct Row {
    id: String,
    created: String,
    kind: String,
    to: String,
    language: String,
    due: String,
    attempts: i32,
    status: Status,
    /// Failed: it may be sent again.
    retryable: bool,
    sent: String,
    why: String,
}

#[derive(Template)]
#[template(path = "outbox/outbox.html")]
struct OutboxPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    /// The state shown ("" for every state), and each state with its count.
    shown: String,
    states: Vec<(String, i64)>,
    rows: Vec<Row>,
    may_retry: bool,
    notice: Option<String>,
    problems: Problems,
    zone: String,
}

#[derive(Deserialize)]
struct Query {
    #[serde(default)]
    status: String,
    retried: Option<String>,
}

#[get("/outbox")]
async fn outbox_page(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    query: web::Query<Query>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ReadOutbox);
    let query = query.into_inner();
    let notice = query.retried.as_ref().map(|_| auth.tr().t("outbox-retried"));
    render(&state, &auth, query.status, notice, Problems::default()).await
}

async fn render(
    state: &AppState,
    auth: &Auth,
    shown: String,
    notice: Option<String>,
    problems: Problems,
) -> Result<HttpResponse, AppError> {
    let tr = auth.tr();
    // An unknown state shows every message, as the page's "all" does.
    let status = Status::parse(&shown);
    let shown = status.map(|s| s.as_str().to_owned()).unwrap_or_default();
    let (scope, me) = (auth.scope.clone(), auth.user.id.clone());
    let (messages, counts, study_ids, names, tz) = state
        .run(move |c| {
            let messages = super::list_visible(c, &scope, &me, status.map(Status::as_str))?;
            let ids: Vec<&String> = messages
                .iter()
                .filter(|m| m.recipient_kind == RecipientKind::Participant)
                .map(|m| &m.recipient_id)
                .collect();
            let study_ids: HashMap<String, String> = participants::table
                .filter(participants::id.eq_any(ids))
                .select((participants::id, participants::study_id))
                .load(c)?
                .into_iter()
                .collect();
            let staff: Vec<&String> = messages
                .iter()
                .filter(|m| m.recipient_kind == RecipientKind::User)
                .map(|m| &m.recipient_id)
                .collect();
            let names: HashMap<String, String> = users::table
                .filter(users::id.eq_any(staff))
                .select((users::id, users::display_name))
                .load(c)?
                .into_iter()
                .collect();
            let tz = crate::protocol::store::current_parsed(c)?.0.time_zone();
            Ok((messages, super::counts(c, &scope, &me)?, study_ids, names, tz))
        })
        .await?;
    let count = |s: Status| counts.iter().find(|(x, _)| *x == s).map_or(0, |(_, n)| *n);
    let mut states = vec![(String::new(), counts.iter().map(|(_, n)| n).sum())];
    states.extend(
        [Status::Pending, Status::Failed, Status::Sent, Status::Cancelled]
            .map(|s| (s.as_str().to_owned(), count(s))),
    );
    let rows = messages
        .into_iter()
        .map(|m: Message| Row {
            to: match m.recipient_kind {
                RecipientKind::Participant => study_ids.get(&m.recipient_id).cloned().unwrap_or_default(),
                RecipientKind::User => names.get(&m.recipient_id).cloned().unwrap_or_default(),
            },
            created: study_time(tz, m.created_at),
            kind: tr.word("outbox-kind", m.kind.as_str()),
            language: tr.word("record-language", &m.language),
            due: study_time(tz, m.due_at),
            sent: m.sent_at.map(|t| study_time(tz, t)).unwrap_or_default(),
            why: m.last_error.unwrap_or_default(),
            attempts: m.attempts,
            retryable: m.status == Status::Failed,
            status: m.status,
            id: m.id,
        })
        .collect();
    let status = if problems.is_empty() {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::CONFLICT
    };
    let page = OutboxPage {
        tr,
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(auth),
        shown,
        states,
        rows,
        may_retry: Permission::RetryMessages.allows(auth.user.role()),
        notice,
        problems,
        zone: tz.name().to_owned(),
    };
    Ok(with_status(page.respond_to_html(), status))
}

#[derive(Deserialize)]
struct RetryForm {
    csrf_token: String,
    /// The state the page was showing, to return to it.
    #[serde(default)]
    shown: String,
}

#[post("/outbox/{id}/retry")]
async fn retry(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    form: web::Form<RetryForm>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::RetryMessages);
    auth.check_form_csrf(&form.csrf_token)?;
    let (ctx, scope, id) = (auth.context(), auth.scope.clone(), path.into_inner());
    let done = state.write(move |c| Ok(super::retry(c, &ctx, &scope, &id).map_err(AppError::from))).await?;
    let shown = Status::parse(&form.shown).map(Status::as_str).unwrap_or_default();
    match done {
        Ok(_) => Ok(redirect(&format!("/outbox?status={shown}&retried=1"))),
        // Sent or cancelled meanwhile (another admin, the worker): the page as it is now, saying so.
        Err(e @ AppError::Conflict { .. }) => {
            let (problems, _) = Problems::from_refusal(auth.tr(), e)?;
            render(&state, &auth, shown.to_owned(), None, problems).await
        }
        Err(AppError::NotFound(_)) => {
            Ok(crate::web::not_found_page(&auth, "message", "/outbox", "Back to the outbox"))
        }
        Err(e) => Err(e),
    }
}
