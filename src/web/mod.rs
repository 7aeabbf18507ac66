//! Server-rendered pages for staff: sign-in, password change and the study overview.

pub mod errors;
pub mod health;
pub mod page;

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::extract::{self, Via};
use crate::auth::routes::{change_own_password, check_credentials};
use crate::auth::{Auth, Permission, users};
use crate::enrolment::screening::Outcome;
use crate::error::AppError;
use crate::protocol::store;
use crate::safety::AlertStatus;
use crate::state::AppState;

/// Registers the pages and their stylesheet.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(home)
        .service(login_form)
        .service(login_submit)
        .service(logout)
        .service(password_form)
        .service(password_submit)
        .service(stylesheet)
        .service(copy_script)
        .configure(crate::desk::pages::routes)
        .configure(crate::safety::pages::routes)
        .configure(crate::assessments::pages::routes)
        .configure(crate::reports::pages::routes)
        .configure(crate::randomisation::pages::routes);
}

pub(crate) fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

/// The signed-in user of a page; `None` sends the visitor to the sign-in page.
fn signed_in(auth: Result<Auth, AppError>) -> Result<Option<Auth>, AppError> {
    match auth {
        Ok(a) => Ok(Some(a)),
        Err(AppError::Unauthenticated) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A staff page's signed-in user holding `permission`; `Err` is the page to show instead (sign in,
/// or choose a password first). Without the permission: 403.
pub(crate) fn staff_page(
    auth: Result<Auth, AppError>,
    permission: Permission,
) -> Result<Result<Auth, HttpResponse>, AppError> {
    let Some(auth) = signed_in(auth)? else { return Ok(Err(redirect("/login"))) };
    if auth.user.must_change_password {
        return Ok(Err(redirect("/account/password")));
    }
    if !permission.allows(auth.user.role()) {
        // A person who followed a link gets a page in the shell, not the API's JSON body.
        let page = ForbiddenPage {
            role: auth.user.role().to_string(),
            csrf_token: csrf_of(&auth),
            what: permission.name(),
        };
        let mut response = page.respond_to_html();
        *response.status_mut() = actix_web::http::StatusCode::FORBIDDEN;
        return Ok(Err(response));
    }
    Ok(Ok(auth))
}

#[derive(Template, WebTemplate)]
#[template(path = "forbidden.html")]
struct ForbiddenPage {
    role: String,
    csrf_token: String,
    what: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "not_found.html")]
struct NotFoundPage<'a> {
    role: String,
    csrf_token: String,
    what: &'a str,
    back: &'a str,
    back_label: &'a str,
}

/// A staff page's answer for a record that does not exist or lies outside the account's sites
/// (the two look the same): a 404 page with the shell and a way back, not the API's JSON body.
pub(crate) fn not_found_page(auth: &Auth, what: &str, back: &str, back_label: &str) -> HttpResponse {
    let page = NotFoundPage {
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(auth),
        what,
        back,
        back_label,
    };
    let mut response = page.respond_to_html();
    *response.status_mut() = actix_web::http::StatusCode::NOT_FOUND;
    response
}

pub(crate) fn csrf_of(auth: &Auth) -> String {
    match &auth.via {
        Via::Session { csrf } => csrf.clone(),
        Via::Token { .. } => String::new(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    role: String,
    csrf_token: String,
    study_code: String,
    study_name: String,
    protocol_version: i32,
    randomisation_started: Option<String>,
    arms: Vec<(String, String, i64)>,
    /// Who is kept blind, what they see, and whether the reader is one of them.
    blinding: Vec<String>,
    enrolment_target: i64,
    diversity: Vec<String>,
    group_capacity: i64,
    sessions: i64,
    session_minutes: i64,
    timepoints: Vec<String>,
    /// Recruitment lines, for roles that may read participants.
    recruitment: Vec<String>,
    /// What needs attention, for roles that handle it: a sentence and where to act on it.
    attention: Vec<(String, Option<String>)>,
}

#[get("/")]
async fn home(state: web::Data<AppState>, auth: Result<Auth, AppError>) -> Result<HttpResponse, AppError> {
    let auth = match staff_page(auth, Permission::ReadProtocol)? {
        Ok(a) => a,
        Err(page) => return Ok(page),
    };
    let (role, scope) = (auth.user.role(), auth.scope.clone());
    let (stored, started, summary, attention) = state
        .run(move |c| {
            let stored = store::current(c)?.ok_or_else(|| AppError::NotFound("protocol".into()))?;
            let summary = if Permission::ReadParticipants.allows(role) {
                Some(crate::enrolment::summary::recruitment(c, &*stored.parsed()?, &scope, role)?)
            } else {
                None
            };
            let attention = attention_lines(c, &*stored.parsed()?, &scope, role)?;
            Ok((stored, store::randomisation_started(c)?, summary, attention))
        })
        .await?;
    let p = stored.parsed()?;
    let sight = crate::blinding::Sight::of(&p, role);
    let page = HomePage {
        role: role.to_string(),
        csrf_token: csrf_of(&auth),
        study_code: p.study.code.get_ref().clone(),
        study_name: p.study.name.clone(),
        protocol_version: stored.version,
        randomisation_started: started.map(|t| page::study_time(p.time_zone(), t)),
        arms: p
            .arms
            .iter()
            .map(|a| {
                let label = sight.arm_name(&p, a.id.get_ref());
                (a.code.get_ref().clone(), label, *a.ratio.get_ref())
            })
            .collect(),
        blinding: blinding_lines(&p, sight),
        enrolment_target: *p.enrolment.target.get_ref(),
        diversity: p
            .enrolment
            .diversity_targets
            .iter()
            .map(|t| format!("{}: at least {:.0}%", t.label, t.min_share.get_ref() * 100.0))
            .collect(),
        group_capacity: *p.groups.capacity.get_ref(),
        sessions: *p.groups.sessions.get_ref(),
        session_minutes: *p.groups.session_minutes.get_ref(),
        recruitment: summary.map(|r| recruitment_lines(&r)).unwrap_or_default(),
        attention,
        timepoints: p
            .assessments
            .iter()
            .map(|t| {
                format!(
                    "{} (day {}, {})",
                    t.label,
                    t.offset_days.get_ref(),
                    t.instruments
                        .get_ref()
                        .iter()
                        .map(|i| i.get_ref().as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect(),
    };
    Ok(page.respond_to_html())
}

/// The protocol's blinding, in sentences, ending with what it means for the reader.
fn blinding_lines(p: &crate::protocol::Protocol, sight: crate::blinding::Sight) -> Vec<String> {
    let names: Vec<&str> = p.blinded_roles().into_iter().map(crate::auth::Role::as_str).collect();
    let mut lines = vec![format!("Kept blind to allocation: {}.", names.join(", "))];
    lines.push(if p.blinded_see_process() {
        "Process data (groups, sessions, attendance, messages) is shown to them: every arm is delivered alike."
            .to_owned()
    } else {
        "Process data (groups, sessions, attendance, messages) is withheld from them: the arms differ in what \
         or when they deliver, so it would name each arm."
            .to_owned()
    });
    if sight.is_blinded() {
        lines.push(match p.arms.first().and_then(|a| sight.arm(p, a.id.get_ref())) {
            Some(_) => "You are kept blind: you see arms by their codes only.".to_owned(),
            None => {
                "You are kept blind: you see no one's arm. In an emergency, a safety alert's page offers \
                     emergency unblinding of that participant: it is audited and every admin is told."
                    .to_owned()
            }
        });
    }
    lines
}

/// What needs someone today, each line with the page to act on it: safety alerts, the
/// follow-up queues with their counts, questionnaires open and missed.
fn attention_lines(
    c: &mut crate::db::DbConn,
    protocol: &crate::protocol::Protocol,
    scope: &crate::sites::Scope,
    role: crate::auth::Role,
) -> Result<Vec<(String, Option<String>)>, AppError> {
    let mut lines = Vec::new();
    if Permission::HandleAlerts.allows(role) {
        let now = crate::db::now();
        let alerts = crate::safety::list(c, scope, true)?;
        let open = alerts.iter().filter(|(a, _)| a.status == AlertStatus::Open).count();
        let overdue = alerts.iter().filter(|(a, _)| a.status.is_overdue(a.due_at, now)).count();
        let line = format!(
            "Safety alerts: {open} not yet acknowledged ({overdue} overdue), {} acknowledged and not closed",
            alerts.len() - open
        );
        lines.push((line, Some("/alerts".to_owned())));
    }
    if Permission::ReadContacts.allows(role) {
        use crate::desk::register::{self, Filter, Need};
        for need in [Need::Overdue, Need::AwaitingRandomisation, Need::AwaitingGroup] {
            let filter = Filter { need: Some(need), ..Filter::default() };
            let total = register::page(c, protocol, scope, &filter, 0, 0)?.total;
            let label = Need::ALL.iter().find(|(n, _, _)| *n == need).map_or("", |(_, _, l)| l);
            lines.push((format!("{label}: {total}"), Some(format!("/queues/{}", need.as_str()))));
        }
    }
    if Permission::ReadAssessments.allows(role) {
        let (open, overdue, missed) = crate::assessments::counts(c, protocol, scope)?;
        let line = format!("Questionnaires: {open} open ({overdue} past their target date), {missed} missed");
        lines.push((line, Some("/assessments".to_owned())));
    }
    Ok(lines)
}

/// The recruitment summary as sentences for the overview page.
fn recruitment_lines(r: &crate::enrolment::summary::Recruitment) -> Vec<String> {
    let count = |o: Outcome| r.screened.get(o.as_str()).copied().unwrap_or(0);
    let screened: i64 = r.screened.values().sum();
    let mut lines = vec![
        format!(
            "Screened {screened}: {} eligible so far, {} not meeting criteria, {} declined",
            count(Outcome::Eligible) + count(Outcome::Enrolled),
            count(Outcome::Ineligible),
            count(Outcome::Declined)
        ),
        format!(
            "Enrolled {}, randomised {} of the {} targeted ({:.0}%), withdrawn {}",
            r.enrolled,
            r.randomised,
            r.target,
            r.target_share * 100.0,
            r.withdrawn
        ),
    ];
    for a in &r.by_arm {
        let arm = a
            .arm
            .label
            .as_ref()
            .map_or_else(|| format!("Arm {}", a.arm.code), |l| format!("{l} ({})", a.arm.code));
        lines.push(format!("{arm}: {} randomised", a.randomised));
    }
    for d in &r.diversity {
        let now = d
            .share
            .map_or_else(|| "no one enrolled yet".to_owned(), |s| format!("{:.0}% of enrolled", s * 100.0));
        let state = if d.met { "met" } else { "not yet met" };
        lines.push(format!("{}: {now} (target at least {:.0}%, {state})", d.label, d.min_share * 100.0));
    }
    // Per site once there are several, or when the account sees only some of them.
    if r.by_site.len() > 1 || r.by_site.first().is_some_and(|s| s.site != crate::sites::DEFAULT_SITE) {
        for s in &r.by_site {
            let target = s.target.map_or_else(
                || "no target".to_owned(),
                |t| format!("target {t}, {:.0}%", 100.0 * s.randomised as f64 / f64::from(t.max(1))),
            );
            lines.push(format!(
                "Site {} ({}, {}): screened {}, enrolled {}, randomised {} ({target})",
                s.name, s.site, s.status, s.screened, s.enrolled, s.randomised
            ));
        }
    }
    lines
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    error: Option<String>,
    email: String,
}

#[get("/login")]
async fn login_form(auth: Result<Auth, AppError>) -> HttpResponse {
    if auth.is_ok() {
        return redirect("/");
    }
    LoginPage { error: None, email: String::new() }.respond_to_html()
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
struct LoginForm {
    email: String,
    password: String,
}

#[post("/login")]
async fn login_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    // No session exists yet, so there is no token to check: SameSite=Strict cookies and
    // refusing cross-site posts stop a forged sign-in.
    extract::refuse_cross_site(&req)?;
    let LoginForm { email, password } = form.into_inner();
    match check_credentials(&state, &req, &email, password).await {
        Ok(user) => {
            extract::start_session(&session, &user)?;
            Ok(redirect(if user.must_change_password { "/account/password" } else { "/" }))
        }
        Err(e @ (AppError::InvalidCredentials | AppError::TooManyRequests { .. })) => {
            let status = actix_web::ResponseError::status_code(&e);
            let mut resp = LoginPage { error: Some(e.to_string()), email }.respond_to_html();
            *resp.status_mut() = status;
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

/// A form that carries only the CSRF token.
#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf_token: String,
}

#[post("/logout")]
async fn logout(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    session: Session,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    let Some(auth) = signed_in(auth)? else {
        return Ok(redirect("/login"));
    };
    auth.check_form_csrf(&form.csrf_token)?;
    let (ctx, id) = (auth.context(), auth.user.id.clone());
    state.write(move |c| Ok(users::end_sessions(c, &ctx, &id)?)).await?;
    session.purge();
    Ok(redirect("/login"))
}

#[derive(Template, WebTemplate)]
#[template(path = "password.html")]
struct PasswordPage {
    role: String,
    csrf_token: String,
    must_change: bool,
    error: Option<String>,
}

impl PasswordPage {
    fn for_user(auth: &Auth, error: Option<String>) -> Self {
        Self {
            role: auth.user.role().to_string(),
            csrf_token: csrf_of(auth),
            must_change: auth.user.must_change_password,
            error,
        }
    }
}

#[get("/account/password")]
async fn password_form(auth: Result<Auth, AppError>) -> Result<HttpResponse, AppError> {
    Ok(match signed_in(auth)? {
        Some(a) => PasswordPage::for_user(&a, None).respond_to_html(),
        None => redirect("/login"),
    })
}

/// The password form's fields.
#[derive(Debug, Deserialize)]
struct PasswordForm {
    csrf_token: String,
    current_password: String,
    new_password: String,
}

#[post("/account/password")]
async fn password_submit(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    session: Session,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let Some(auth) = signed_in(auth)? else {
        return Ok(redirect("/login"));
    };
    auth.check_form_csrf(&form.csrf_token)?;
    let form = form.into_inner();
    let user = match change_own_password(&state, &auth, form.current_password, form.new_password).await {
        Ok(user) => user,
        Err(AppError::Validation { field, message }) => {
            let message = format!("The {} {message}.", field.replace('_', " "));
            let mut resp = PasswordPage::for_user(&auth, Some(message)).respond_to_html();
            *resp.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(resp);
        }
        Err(e) => return Err(e),
    };
    extract::start_session(&session, &user)?;
    Ok(redirect("/"))
}

#[get("/static/app.css")]
async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../static/app.css"))
}

/// The copy button's script: a file, so the Content-Security-Policy needs no inline script.
#[get("/static/copy.js")]
async fn copy_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../static/copy.js"))
}

/// Renders a template, or a plain 500 if rendering fails (it cannot for these fixed templates).
pub(crate) trait RespondHtml {
    fn respond_to_html(&self) -> HttpResponse;
}

impl<T: Template> RespondHtml for T {
    fn respond_to_html(&self) -> HttpResponse {
        match self.render() {
            Ok(body) => HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body),
            Err(e) => actix_web::ResponseError::error_response(&AppError::Internal(e.into())),
        }
    }
}
