//! What a coordinator does to a running or forming group from its page: start it (early, with a
//! reason), take a member out (with a reason), and move or cancel one session (with a reason).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use chrono::{NaiveDate, NaiveTime};
use serde::Deserialize;

use super::group::render;
use super::{no_such_group, when, zone};
use crate::auth::routes::required_reason;
use crate::auth::{Auth, Permission};
use crate::error::AppError;
use crate::groups::{attendance, edit, formation};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::page::{Problems, staff_or_return, with_status};
use crate::web::{RespondHtml, csrf_of, redirect};

/// A form with a reason.
#[derive(Debug, Deserialize)]
struct ReasonForm {
    csrf_token: String,
    #[serde(default)]
    reason: String,
}

#[post("/groups/{id}/launch")]
pub(super) async fn launch(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    form: web::Form<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageGroups);
    auth.check_form_csrf(&form.csrf_token)?;
    let (id, typed) = (path.into_inner(), form.reason.clone());
    let reason = match form.reason.trim() {
        "" => Ok(None),
        r => required_reason(r).map(Some),
    };
    let (ctx, target) = (auth.context(), id.clone());
    let done = state
        .write(move |c| {
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            Ok(reason.and_then(|r| {
                formation::launch(c, &ctx, &protocol, &target, r.as_deref()).map_err(AppError::from)
            }))
        })
        .await?;
    match done {
        Ok(_) => Ok(redirect(&format!("/groups/{id}?done=launched"))),
        Err(AppError::NotFound(_)) => Ok(no_such_group(&auth)),
        Err(e) => {
            let (problems, _) = Problems::from_refusal(auth.tr(), e)?;
            render(&state, &auth, id, None, problems, typed).await
        }
    }
}

#[derive(Template)]
#[template(path = "groups/remove.html")]
struct RemovePage {
    tr: Tr,
    role: String,
    csrf_token: String,
    group_id: String,
    group: String,
    study_id: String,
    problems: Problems,
    reason: String,
}

async fn remove_page(
    state: &AppState,
    auth: &Auth,
    (group_id, study_id): (String, String),
    problems: Problems,
    reason: String,
) -> Result<HttpResponse, AppError> {
    let (scope, gid, sid) = (auth.scope.clone(), group_id.clone(), study_id.clone());
    let found = state
        .run(move |c| {
            let Some(g) = crate::groups::find(c, &gid)? else { return Ok(None) };
            let Some(p) = crate::enrolment::participants::find(c, &scope, &sid)? else { return Ok(None) };
            let member = crate::groups::members_of(c, &g.id)?.into_iter().any(|(pid, _)| pid == p.id);
            Ok(member.then_some((g, p.study_id)))
        })
        .await?;
    let Some((g, study_id)) = found else { return Ok(no_such_group(auth)) };
    let status = if problems.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = RemovePage {
        tr: auth.tr(),
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(auth),
        group_id: g.id,
        group: g.name,
        study_id,
        problems,
        reason,
    };
    Ok(with_status(page.respond_to_html(), status))
}

#[get("/groups/{id}/members/{member}/remove")]
pub(super) async fn remove_form(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageGroups);
    remove_page(&state, &auth, path.into_inner(), Problems::default(), String::new()).await
}

#[post("/groups/{id}/members/{member}/remove")]
pub(super) async fn remove_sent(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<(String, String)>,
    form: web::Form<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageGroups);
    auth.check_form_csrf(&form.csrf_token)?;
    let (group_id, member) = path.into_inner();
    let (ctx, scope, typed) = (auth.context(), auth.scope.clone(), form.reason.clone());
    let (gid, who) = (group_id.clone(), member.clone());
    let done = state
        .write(move |c| {
            // The member must be in this group, and visible to the reader.
            let Some(p) = crate::enrolment::participants::find(c, &scope, &who)? else {
                return Ok(Err(AppError::NotFound("participant".into())));
            };
            if !crate::groups::members_of(c, &gid)?.iter().any(|(pid, _)| *pid == p.id) {
                return Ok(Err(AppError::NotFound("participant".into())));
            }
            Ok(required_reason(&typed)
                .and_then(|r| edit::remove_member(c, &ctx, &p.id, &r).map_err(AppError::from)))
        })
        .await?;
    match done {
        Ok(_) => Ok(redirect(&format!("/groups/{group_id}?done=removed"))),
        Err(AppError::NotFound(_)) => Ok(no_such_group(&auth)),
        Err(e) => {
            let (problems, _) = Problems::from_refusal(auth.tr(), e)?;
            remove_page(&state, &auth, (group_id, member), problems, form.reason.clone()).await
        }
    }
}

#[derive(Template)]
#[template(path = "groups/session.html")]
struct SessionPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    session_id: String,
    group_id: String,
    group: String,
    number: i32,
    at: String,
    zone: String,
    problems: Problems,
    /// What was typed: date, time, the move's reason, the cancellation's reason.
    typed: (String, String, String, String),
}

async fn session_page(
    state: &AppState,
    auth: &Auth,
    id: String,
    problems: Problems,
    typed: Option<(String, String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let Ok((s, g)) = state.run(move |c| Ok(attendance::session(c, &id)?)).await else {
        return Ok(no_such_group(auth));
    };
    let (tr, tz) = (auth.tr(), zone(&g));
    let local = s.starts_at.and_utc().with_timezone(&tz);
    let status = if problems.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = SessionPage {
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(auth),
        at: when(tr, tz, s.starts_at),
        typed: typed.unwrap_or_else(|| {
            (
                local.format("%Y-%m-%d").to_string(),
                local.format("%H:%M").to_string(),
                String::new(),
                String::new(),
            )
        }),
        session_id: s.id,
        group_id: g.id,
        group: g.name,
        number: s.number,
        zone: g.time_zone,
        problems,
        tr,
    };
    Ok(with_status(page.respond_to_html(), status))
}

#[get("/sessions/{id}/change")]
pub(super) async fn session_form(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageGroups);
    session_page(&state, &auth, path.into_inner(), Problems::default(), None).await
}

/// A move: the new day and time on the group's clock, and why.
#[derive(Debug, Deserialize)]
struct MoveForm {
    csrf_token: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    time: String,
    #[serde(default)]
    reason: String,
}

#[post("/sessions/{id}/reschedule")]
pub(super) async fn moved(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageGroups);
    auth.check_form_csrf(&form.csrf_token)?;
    let (id, tr) = (path.into_inner(), auth.tr());
    let form = form.into_inner();
    let typed = (form.date.clone(), form.time.clone(), form.reason.clone(), String::new());
    let mut problems = Problems::default();
    let date = NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d")
        .map_err(|_| problems.add("date", tr.t("refusal-start-date")))
        .ok();
    let time = NaiveTime::parse_from_str(form.time.trim(), "%H:%M")
        .map_err(|_| problems.add("time", tr.t("refusal-local-time")))
        .ok();
    let reason =
        required_reason(&form.reason).map_err(|_| problems.add("reason", tr.t("record-problem-reason"))).ok();
    let (Some(date), Some(time), Some(reason)) = (date, time, reason) else {
        return session_page(&state, &auth, id, problems, Some(typed)).await;
    };
    let (ctx, target) = (auth.context(), id.clone());
    let done = state
        .write(move |c| {
            let (_, g) = attendance::session(c, &target)?;
            // The new time is read on the group's clock, as the page shows it.
            let at = crate::calendar::local_to_utc(date, time, zone(&g)).naive_utc();
            Ok(attendance::reschedule(c, &ctx, &target, at, &reason).map(|_| g.id).map_err(AppError::from))
        })
        .await;
    match done {
        Ok(Ok(group)) => Ok(redirect(&format!("/groups/{group}?done=session"))),
        Err(AppError::NotFound(_)) | Ok(Err(AppError::NotFound(_))) => Ok(no_such_group(&auth)),
        Ok(Err(e)) => {
            let (problems, _) = Problems::from_refusal(tr, e)?;
            session_page(&state, &auth, id, problems, Some(typed)).await
        }
        Err(e) => Err(e),
    }
}

#[post("/sessions/{id}/cancel")]
pub(super) async fn cancelled(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    form: web::Form<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageGroups);
    auth.check_form_csrf(&form.csrf_token)?;
    let (id, tr) = (path.into_inner(), auth.tr());
    let Ok(reason) = required_reason(&form.reason) else {
        let mut problems = Problems::default();
        problems.add("cancel_reason", tr.t("record-problem-reason"));
        let typed = (String::new(), String::new(), String::new(), form.reason.clone());
        return session_page(&state, &auth, id, problems, Some(typed)).await;
    };
    let (ctx, target) = (auth.context(), id.clone());
    let done = state.write(move |c| Ok(attendance::cancel(c, &ctx, &target, &reason)?)).await;
    match done {
        Ok(s) => Ok(redirect(&format!("/groups/{}?done=session", s.group_id))),
        Err(AppError::NotFound(_)) => Ok(no_such_group(&auth)),
        Err(e) => Err(e),
    }
}
