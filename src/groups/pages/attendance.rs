//! A session's attendance form: each member present (with minutes), absent or excused. Recorded
//! marks are read back in the same form; changing one is a correction and needs a reason, as the
//! API requires. Members who withdrew are listed but not asked about.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::{may_see, names, no_such_group, when, zone};
use crate::auth::{Auth, Permission};
use crate::db;
use crate::error::AppError;
use crate::groups::attendance::{self, Mark, RosterLine};
use crate::groups::{Presence, SessionStatus};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::page::{Problems, staff_or_return, with_status};
use crate::web::{RespondHtml, csrf_of, redirect};

/// A member's line on the form: what is recorded, or what was typed into a refused form.
struct Line {
    participant_id: String,
    study_id: String,
    name: String,
    withdrawn: bool,
    /// `present`, `absent`, `excused` or empty.
    status: String,
    minutes: String,
    /// A mark is already recorded (changing it is a correction).
    recorded: bool,
}

#[derive(Template)]
#[template(path = "groups/attendance.html")]
struct AttendancePage {
    tr: Tr,
    role: String,
    csrf_token: String,
    group_id: String,
    group: String,
    session_id: String,
    number: i32,
    at: String,
    length: i32,
    cancelled: Option<String>,
    /// Not yet started: the form is not offered.
    upcoming: bool,
    lines: Vec<Line>,
    /// Some mark is already recorded, so the reason field is shown.
    corrections: bool,
    may_mark: bool,
    problems: Problems,
    reason: String,
    saved: bool,
}

impl AttendancePage {
    /// The form's choices, in order, with their words.
    fn choices(&self) -> [(&'static str, String); 3] {
        [Presence::Present, Presence::Absent, Presence::Excused]
            .map(|p| (p.as_str(), self.tr.word("presence", p.as_str())))
    }
}

/// What a refused form had typed: field name → value.
type Typed = BTreeMap<String, String>;

/// The page for a session, or `None` when the reader may not see it (another moderator's group,
/// a missing session). Names are shown, so it is a write (the read is audited).
async fn load(
    state: &AppState,
    auth: &Auth,
    id: String,
    typed: Option<&Typed>,
) -> Result<Option<AttendancePage>, AppError> {
    let (ctx, scope, role, viewer) = (auth.context(), auth.scope.clone(), auth.user.role(), auth.clone());
    let found = state
        .write(move |c| {
            let Ok((s, g)) = attendance::session(c, &id) else { return Ok(None) };
            if !may_see(&viewer, &g) {
                return Ok(None);
            }
            let seen = crate::groups::seen_by(c, &scope, role)?;
            let mut roster = attendance::roster(c, &g, &s)?;
            roster.retain(|l| seen.as_ref().is_none_or(|v| v.contains(&l.participant_id)));
            let ids: Vec<String> = roster.iter().map(|l| l.participant_id.clone()).collect();
            let shown = names(c, &ctx, &g.id, &ids)?;
            Ok(Some((s, g, roster, shown)))
        })
        .await?;
    let Some((s, g, roster, shown)) = found else { return Ok(None) };
    let tr = auth.tr();
    let line = |l: RosterLine| {
        let field =
            |prefix: &str| typed.and_then(|t| t.get(&format!("{prefix}-{}", l.participant_id)).cloned());
        let (stored_status, stored_minutes) = match l.mark {
            Some((p, m)) => (p.as_str().to_owned(), m.map(|m| m.to_string()).unwrap_or_default()),
            None => (String::new(), String::new()),
        };
        Line {
            status: field("status").unwrap_or(stored_status),
            minutes: field("minutes").unwrap_or(stored_minutes),
            recorded: l.mark.is_some(),
            name: shown.get(&l.participant_id).cloned().unwrap_or_default(),
            withdrawn: l.withdrawn,
            participant_id: l.participant_id,
            study_id: l.study_id,
        }
    };
    let lines: Vec<Line> = roster.into_iter().map(line).collect();
    Ok(Some(AttendancePage {
        role: role.to_string(),
        csrf_token: csrf_of(auth),
        group_id: g.id.clone(),
        at: when(tr, zone(&g), s.starts_at),
        group: g.name,
        number: s.number,
        length: s.minutes,
        cancelled: (s.status == SessionStatus::Cancelled)
            .then(|| s.status_reason.clone().unwrap_or_default()),
        upcoming: s.starts_at > db::now(),
        corrections: lines.iter().any(|l| l.recorded),
        session_id: s.id,
        lines,
        may_mark: Permission::RecordAttendance.allows(role),
        problems: Problems::default(),
        reason: typed.and_then(|t| t.get("reason").cloned()).unwrap_or_default(),
        saved: false,
        tr,
    }))
}

/// What `?done=` says after a change.
#[derive(Debug, Deserialize)]
struct Done {
    done: Option<String>,
}

#[get("/sessions/{id}/attendance")]
pub(super) async fn attendance_form(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    query: web::Query<Done>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ReadGroups);
    let Some(mut page) = load(&state, &auth, path.into_inner(), None).await? else {
        return Ok(no_such_group(&auth));
    };
    page.saved = query.done.as_deref() == Some("saved");
    Ok(page.respond_to_html())
}

#[post("/sessions/{id}/attendance")]
pub(super) async fn attendance_sent(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::RecordAttendance);
    let typed: Typed = form.into_inner().into_iter().collect();
    auth.check_form_csrf(typed.get("csrf_token").map_or("", String::as_str))?;
    let id = path.into_inner();
    let Some(page) = load(&state, &auth, id.clone(), None).await? else { return Ok(no_such_group(&auth)) };
    let tr = auth.tr();
    let mut problems = Problems::default();
    let mut marks = Vec::new();
    for l in page.lines.iter().filter(|l| !l.withdrawn) {
        let get = |prefix: &str| typed.get(&format!("{prefix}-{}", l.participant_id)).map(|v| v.trim());
        let Some(status) = get("status").filter(|v| !v.is_empty()) else { continue };
        let Some(status) = Presence::parse(status) else {
            problems.add(format!("status-{}", l.participant_id), tr.t("attendance-problem-choice"));
            continue;
        };
        let minutes = match (status, get("minutes").unwrap_or("")) {
            (Presence::Present, "") | (Presence::Absent | Presence::Excused, _) => None,
            // The service's own rule, checked here so the words are the page's.
            (Presence::Present, m) => match m.parse::<i32>() {
                Ok(n) if (0..=page.length).contains(&n) => Some(n),
                _ => {
                    problems.add(
                        format!("minutes-{}", l.participant_id),
                        tr.a("attendance-problem-minutes", "length", page.length),
                    );
                    continue;
                }
            },
        };
        marks.push(Mark { participant_id: l.participant_id.clone(), status, minutes });
    }
    if marks.is_empty() && problems.is_empty() {
        problems.add(Problems::FORM, tr.t("attendance-problem-none"));
    }
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    let reason = typed.get("reason").map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    if problems.is_empty() {
        let (ctx, scope, role, sid) = (auth.context(), auth.scope.clone(), auth.user.role(), id.clone());
        let pids: Vec<String> = marks.iter().map(|m| m.participant_id.clone()).collect();
        let sent = marks.clone();
        let done = state
            .write(move |c| {
                if role != crate::auth::Role::Moderator
                    && let Err(e) = scope.all_participants(c, pids)
                {
                    return Ok(Err(AppError::from(e)));
                }
                let reason =
                    match reason.map(|r| crate::auth::routes::required_reason(r.as_str())).transpose() {
                        Ok(r) => r,
                        Err(e) => return Ok(Err(e)),
                    };
                Ok(attendance::record(c, &ctx, &sid, &sent, reason.as_deref()).map_err(AppError::from))
            })
            .await?;
        match done {
            Ok(_) => return Ok(redirect(&format!("/sessions/{id}/attendance?done=saved"))),
            Err(e) => {
                let (found, refused) = Problems::from_refusal(tr, e)?;
                status = refused;
                for (field, message) in found.all() {
                    // `marks[3].minutes` is the fourth mark sent: put it beside that member.
                    let field = field
                        .strip_prefix("marks[")
                        .and_then(|rest| rest.split_once(']'))
                        .and_then(|(i, what)| {
                            let mark = marks.get(i.parse::<usize>().ok()?)?;
                            Some(format!("{}-{}", what.trim_start_matches('.'), mark.participant_id))
                        })
                        .unwrap_or_else(|| field.to_owned());
                    problems.add(field, message);
                }
            }
        }
    }
    let Some(mut page) = load(&state, &auth, id, Some(&typed)).await? else {
        return Ok(no_such_group(&auth));
    };
    page.problems = problems;
    Ok(with_status(page.respond_to_html(), status))
}
