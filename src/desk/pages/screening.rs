//! Screening a caller in the browser: a form built from the protocol's eligibility criteria (a new
//! protocol changes it without code), the result naming each criterion not met, and the log.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;
use serde_json::Value;

use crate::auth::{Auth, Permission};
use crate::enrolment::screening::{self, NewScreening, Outcome};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::protocol::{AnswerType, Protocol};
use crate::state::AppState;
use crate::web::page::{Problems, staff_or_return, study_time, with_status};
use crate::web::{RespondHtml, csrf_of, not_found_page, redirect};

/// Where callers come from, offered as suggestions (any other source may be typed).
const SOURCES: [&str; 7] = [
    "clinic",
    "national_ms_society",
    "social_media",
    "community_organisation",
    "word_of_mouth",
    "newsletter",
    "other",
];

/// One question of the form, as the protocol defines it.
pub(super) struct Question {
    pub id: String,
    pub text: String,
    pub kind: &'static str,
    /// Choice questions: the options; yes/no questions: `yes`, `no`.
    pub options: Vec<(String, String)>,
    pub typed: String,
}

/// A protocol text in the page's language, else English, else its first language.
fn local(tr: Tr, text: &crate::protocol::LocalText) -> String {
    let picked = tr.pick(text);
    if picked.is_empty() { text.values().next().cloned().unwrap_or_default() } else { picked.to_owned() }
}

fn questions(protocol: &Protocol, typed: &BTreeMap<String, String>, tr: Tr) -> Vec<Question> {
    protocol
        .eligibility
        .iter()
        .map(|c| {
            let id = c.id.get_ref().clone();
            let (kind, options) = match c.answer {
                AnswerType::Boolean => {
                    ("choice", vec![("yes".into(), tr.t("screen-yes")), ("no".into(), tr.t("screen-no"))])
                }
                AnswerType::Choice => (
                    "choice",
                    c.options
                        .as_ref()
                        .map(|o| {
                            o.get_ref()
                                .iter()
                                .map(|x| (x.get_ref().clone(), c.option_label(x.get_ref(), tr.lang())))
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
                AnswerType::Integer => ("integer", Vec::new()),
            };
            Question {
                typed: typed.get(&format!("c-{id}")).cloned().unwrap_or_default(),
                text: local(tr, c.question.get_ref()),
                id,
                kind,
                options,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "desk/screen.html")]
struct ScreenPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    questions: Vec<Question>,
    sites: Vec<(String, String)>,
    sources: [&'static str; 7],
    problems: Problems,
    typed: BTreeMap<String, String>,
    /// The screening being corrected, when this is the correction form.
    correcting: Option<String>,
}

impl ScreenPage {
    fn value(&self, field: &str) -> &str {
        self.typed.get(field).map_or("", String::as_str)
    }
}

async fn screen_page(
    state: &AppState,
    auth: &Auth,
    problems: Problems,
    typed: BTreeMap<String, String>,
    correcting: Option<String>,
) -> Result<HttpResponse, AppError> {
    let scope = auth.scope.clone();
    let (protocol, sites) = state
        .run(move |c| {
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            let sites: Vec<(String, String)> = crate::sites::list(c)?
                .into_iter()
                .filter(|s| scope.allows(&s.code) && s.closed_at.is_none())
                .map(|s| (s.code, s.name))
                .collect();
            Ok((protocol, sites))
        })
        .await?;
    let status = if problems.is_empty() {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ScreenPage {
        tr: auth.tr(),
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(auth),
        questions: questions(&protocol, &typed, auth.tr()),
        sites,
        sources: SOURCES,
        problems,
        typed,
        correcting,
    };
    Ok(with_status(page.respond_to_html(), status))
}

#[get("/screenings/new")]
pub(super) async fn screen_form(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::Screen);
    screen_page(&state, &auth, Problems::default(), BTreeMap::new(), None).await
}

/// The answers as the service takes them, and a problem beside each question left unanswered or
/// answered in a way that is not a number.
fn read_answers(
    protocol: &Protocol,
    form: &BTreeMap<String, String>,
    problems: &mut Problems,
    tr: Tr,
) -> BTreeMap<String, Value> {
    let mut answers = BTreeMap::new();
    for c in &protocol.eligibility {
        let id = c.id.get_ref();
        let field = format!("c-{id}");
        let raw = form.get(&field).map(|s| s.trim()).unwrap_or_default();
        if raw.is_empty() {
            problems.add(field, tr.t("screen-problem-answer"));
            continue;
        }
        let value = match c.answer {
            AnswerType::Boolean => Value::Bool(raw == "yes"),
            AnswerType::Choice => Value::String(raw.to_owned()),
            AnswerType::Integer => match raw.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => {
                    problems.add(field, tr.t("screen-problem-whole-number"));
                    continue;
                }
            },
        };
        answers.insert(id.clone(), value);
    }
    answers
}

#[post("/screenings/new")]
pub(super) async fn screen_sent(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    form: web::Form<BTreeMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::Screen);
    let form = form.into_inner();
    auth.check_form_csrf(form.get("csrf_token").map_or("", String::as_str))?;
    let tr = auth.tr();
    let protocol = state.run(|c| Ok(crate::protocol::store::current_parsed(c)?.0)).await?;
    let mut problems = Problems::default();
    let answers = read_answers(&protocol, &form, &mut problems, tr);
    let field = |name: &str| form.get(name).map(|s| s.trim().to_owned()).unwrap_or_default();
    let source = field("referral_source");
    if source.is_empty() || source.chars().count() > 100 {
        problems.add("referral_source", tr.t("screen-problem-source"));
    }
    let declined = field("declined_at_screening") == "yes";
    if !problems.is_empty() {
        return screen_page(&state, &auth, problems, form, None).await;
    }
    let new = NewScreening {
        screened_at: crate::db::now(),
        referral_source: source,
        answers,
        declined: declined.then(|| Some(field("decline_reason")).filter(|r| !r.is_empty())),
        site: Some(field("site")).filter(|s| !s.is_empty()),
    };
    let (ctx, scope) = (auth.context(), auth.scope.clone());
    let done =
        state.write(move |c| Ok(screening::record(c, &ctx, &scope, new).map_err(AppError::from))).await?;
    match done {
        Ok(row) => Ok(redirect(&format!("/screenings/{}", row.id))),
        Err(e) => {
            let (refused, _) = Problems::from_refusal(auth.tr(), e)?;
            // The service names answers `answers.<id>`; the form's fields are `c-<id>`.
            let mut problems = Problems::default();
            for (f, m) in refused.all() {
                problems
                    .add(f.strip_prefix("answers.").map_or_else(|| f.to_owned(), |id| format!("c-{id}")), m);
            }
            screen_page(&state, &auth, problems, form, None).await
        }
    }
}

#[derive(Template)]
#[template(path = "desk/screening.html")]
struct ResultPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    id: String,
    outcome: Outcome,
    /// The questions not met, in the protocol's words.
    failed: Vec<String>,
    screened: String,
    site: String,
    source: String,
    reason: Option<String>,
    may_enrol: bool,
    /// Not yet enrolled: a wrong entry can still be corrected.
    may_correct: bool,
    corrected: bool,
}

#[get("/screenings/{id}")]
pub(super) async fn screening_result(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::Screen);
    let (scope, id) = (auth.scope.clone(), path.into_inner());
    let found = state
        .run(move |c| {
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            Ok(screening::find(c, &scope, &id)?.map(|s| (s, protocol)))
        })
        .await?;
    let Some((s, protocol)) = found else {
        return Ok(not_found_page(&auth, "screening", "/screenings", "Back to the screening log"));
    };
    let view = s.view();
    let failed = view
        .failed_criteria
        .iter()
        .map(|id| {
            protocol
                .eligibility
                .iter()
                .find(|c| c.id.get_ref() == id)
                .map_or_else(|| id.clone(), |c| local(auth.tr(), c.question.get_ref()))
        })
        .collect();
    let page = ResultPage {
        tr: auth.tr(),
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(&auth),
        may_enrol: view.outcome == Outcome::Eligible && Permission::Enrol.allows(auth.user.role()),
        may_correct: view.outcome != Outcome::Enrolled,
        corrected: query.done.as_deref() == Some("correction"),
        id: view.id,
        outcome: view.outcome,
        failed,
        screened: study_time(protocol.time_zone(), view.screened_at),
        site: view.site,
        source: auth
            .tr()
            .or(&format!("source-{}", view.referral_source), &view.referral_source.replace('_', " ")),
        reason: view.outcome_reason,
    };
    Ok(page.respond_to_html())
}

#[derive(Debug, Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LogQuery {
    outcome: Option<String>,
}

pub(super) struct LogRow {
    pub id: String,
    pub screened: String,
    pub site: String,
    pub source: String,
    pub outcome: String,
    pub failed: usize,
}

#[derive(Template)]
#[template(path = "desk/screenings.html")]
struct LogPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    rows: Vec<LogRow>,
    outcome: String,
    outcomes: Vec<&'static str>,
    /// How many rows, for the count's plural.
    count: i64,
    zone: String,
}

async fn log_rows(
    state: &AppState,
    auth: &Auth,
    outcome: Option<Outcome>,
) -> Result<(Vec<LogRow>, String), AppError> {
    let scope = auth.scope.clone();
    let (rows, protocol) = state
        .run(move |c| {
            Ok((screening::list(c, &scope, outcome)?, crate::protocol::store::current_parsed(c)?.0))
        })
        .await?;
    let tz = protocol.time_zone();
    let rows = rows
        .into_iter()
        .map(|s| {
            let v = s.view();
            LogRow {
                screened: study_time(tz, v.screened_at),
                site: v.site,
                source: v.referral_source,
                outcome: v.outcome.to_string(),
                failed: v.failed_criteria.len(),
                id: v.id,
            }
        })
        .collect();
    Ok((rows, protocol.study.time_zone.get_ref().clone()))
}

fn outcome_of(query: &LogQuery) -> Option<Outcome> {
    query.outcome.as_deref().and_then(Outcome::parse)
}

#[get("/screenings")]
pub(super) async fn screening_log(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    query: web::Query<LogQuery>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::Screen);
    let (rows, zone) = log_rows(&state, &auth, outcome_of(&query)).await?;
    let page = LogPage {
        tr: auth.tr(),
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(&auth),
        count: i64::try_from(rows.len()).unwrap_or(i64::MAX),
        rows,
        outcome: query.outcome.clone().unwrap_or_default(),
        outcomes: Outcome::ALL.iter().map(|o| o.as_str()).collect(),
        zone,
    };
    Ok(page.respond_to_html())
}

#[get("/screenings.csv")]
pub(super) async fn screening_csv(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    query: web::Query<LogQuery>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::Screen);
    let (rows, _) = log_rows(&state, &auth, outcome_of(&query)).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let csv_error = |e: csv::Error| AppError::Internal(e.into());
    out.write_record([
        "screening_id",
        "screened_at",
        "site",
        "referral_source",
        "outcome",
        "criteria_not_met",
    ])
    .map_err(csv_error)?;
    for r in rows {
        let record = [r.id, r.screened, r.site, r.source, r.outcome, r.failed.to_string()];
        out.write_record(record.iter().map(|v| crate::csv_cell::text(v).into_owned())).map_err(csv_error)?;
    }
    let body = out.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!(e.to_string())))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"screening-log.csv\""))
        .body(body))
}

/// The correction form: the screening's answers as recorded, to change, with a reason.
#[get("/screenings/{id}/correct")]
pub(super) async fn correct_form(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::Screen);
    let (scope, id) = (auth.scope.clone(), path.into_inner());
    let found = state.run(move |c| Ok(screening::find(c, &scope, &id)?)).await?;
    let Some(s) = found else {
        return Ok(not_found_page(&auth, "screening", "/screenings", "Back to the screening log"));
    };
    let mut typed: BTreeMap<String, String> = s
        .answer_map()
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                Value::Bool(true) => "yes".to_owned(),
                Value::Bool(false) => "no".to_owned(),
                Value::String(t) => t,
                other => other.to_string(),
            };
            (format!("c-{k}"), text)
        })
        .collect();
    typed.insert("referral_source".into(), s.referral_source.clone());
    screen_page(&state, &auth, Problems::default(), typed, Some(s.id)).await
}

#[post("/screenings/{id}/correct")]
pub(super) async fn correct_sent(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    form: web::Form<BTreeMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::Screen);
    let form = form.into_inner();
    auth.check_form_csrf(form.get("csrf_token").map_or("", String::as_str))?;
    let id = path.into_inner();
    let (scope, target) = (auth.scope.clone(), id.clone());
    if state.run(move |c| Ok(screening::find(c, &scope, &target)?)).await?.is_none() {
        return Ok(not_found_page(&auth, "screening", "/screenings", "Back to the screening log"));
    }
    let tr = auth.tr();
    let protocol = state.run(|c| Ok(crate::protocol::store::current_parsed(c)?.0)).await?;
    let mut problems = Problems::default();
    let answers = read_answers(&protocol, &form, &mut problems, tr);
    let field = |name: &str| form.get(name).map(|s| s.trim().to_owned()).unwrap_or_default();
    let source = field("referral_source");
    if source.is_empty() || source.chars().count() > 100 {
        problems.add("referral_source", tr.t("screen-problem-source"));
    }
    let reason = crate::auth::routes::required_reason(&field("reason")).map_err(|e| {
        if let AppError::Validation { field, message } = e {
            problems.add(field, message);
        }
    });
    let Ok(reason) = reason.and_then(|r| if problems.is_empty() { Ok(r) } else { Err(()) }) else {
        return screen_page(&state, &auth, problems, form, Some(id)).await;
    };
    let (ctx, scope, target) = (auth.context(), auth.scope.clone(), id.clone());
    let done = state
        .write(move |c| {
            Ok(screening::correct(c, &ctx, &scope, &target, &source, &answers, &reason)
                .map_err(AppError::from))
        })
        .await?;
    match done {
        Ok(_) => Ok(redirect(&format!("/screenings/{id}?done=correction"))),
        Err(e) => {
            let (problems, _) = Problems::from_refusal(auth.tr(), e)?;
            screen_page(&state, &auth, problems, form, Some(id)).await
        }
    }
}
