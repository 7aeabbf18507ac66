//! One questionnaire on the participant's record: the answers and scores, entering a whole open
//! questionnaire on the participant's behalf during a phone call (the same checks, scoring and
//! safety rules as their own pages), and correcting a submitted answer with a reason.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::record::not_found_participant;
use crate::assessments::responses::{self, Answer, Submitted};
use crate::assessments::{self, Assessment, status::Status as AssessmentStatus};
use crate::auth::routes::required_reason;
use crate::auth::{Auth, Permission};
use crate::enrolment::participants;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::instruments::Instrument;
use crate::state::AppState;
use crate::web::page::{Problems, staff_or_return, study_time, with_status};
use crate::web::{RespondHtml, csrf_of, redirect};

/// The form's value for "declined to answer" (stored as a skipped item).
const DECLINED: &str = "declined_to_answer";

/// One question as the page shows it: its field name, wording, options and the answer so far.
pub(super) struct Question {
    pub field: String,
    pub instrument: String,
    pub item: String,
    pub text: String,
    pub options: Vec<(i32, String)>,
    /// `Some(Some(v))` answered v, `Some(None)` declined, `None` not yet.
    pub answer: Option<Option<i32>>,
    pub required: bool,
}

impl Question {
    /// The answer as the page shows it, in the page's language (the template passes `&Tr`).
    pub fn answer_text(&self, tr: &Tr) -> String {
        match self.answer {
            Some(Some(v)) => {
                self.options.iter().find(|(o, _)| *o == v).map_or(v.to_string(), |(_, l)| format!("{v}: {l}"))
            }
            Some(None) => tr.t("answers-answer-declined"),
            None => tr.t("answers-answer-none"),
        }
    }

    pub fn is(&self, v: &i32) -> bool {
        self.answer == Some(Some(*v))
    }

    pub fn declined(&self) -> bool {
        self.answer == Some(None)
    }
}

#[derive(Template)]
#[template(path = "desk/answers.html")]
struct AnswersPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    study_id: String,
    assessment_id: String,
    title: String,
    state: String,
    entered_by_staff: bool,
    completed: String,
    questions: Vec<Question>,
    scores: Vec<String>,
    may_enter: bool,
    may_correct: bool,
    problems: Problems,
    notice: Option<String>,
    /// The crisis resources, when the answers entered raised an urgent alert.
    crisis: Option<String>,
    /// The correction form's instruments and their items, for its selects.
    items: Vec<(String, String)>,
    /// The answers each instrument offers, by its short name: the correction's value select.
    values: Vec<(String, Vec<(i32, String)>)>,
}

struct Loaded {
    study_id: String,
    participant_id: String,
    a: Assessment,
    instruments: Vec<Arc<Instrument>>,
    answers: BTreeMap<String, BTreeMap<String, Option<i32>>>,
    scores: Vec<responses::StoredScore>,
    protocol: Arc<crate::protocol::Protocol>,
}

async fn load(state: &AppState, auth: &Auth, id: String, aid: String) -> Result<Option<Loaded>, AppError> {
    let (scope, library) = (auth.scope.clone(), state.instruments.clone());
    state
        .run(move |c| {
            let Some(p) = participants::find(c, &scope, &id)? else { return Ok(None) };
            let Some(a) = assessments::find(c, &aid)?.filter(|a| a.participant_id == p.id) else {
                return Ok(None);
            };
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            Ok(Some(Loaded {
                instruments: responses::instruments_of(&library, &a)?,
                answers: responses::answers(c, &a.id)?,
                scores: responses::scores_of(c, &a.id)?,
                study_id: p.study_id,
                participant_id: p.id,
                protocol,
                a,
            }))
        })
        .await
}

fn page_of(
    auth: &Auth,
    l: &Loaded,
    library: &crate::instruments::Library,
    typed: Option<&BTreeMap<String, String>>,
) -> AnswersPage {
    let (role, tr) = (auth.user.role(), auth.tr());
    let items = crate::instruments::visit_items(&l.instruments);
    let questions: Vec<Question> = items
        .iter()
        .map(|(inst, item)| {
            let field = format!("{}.{}", inst.id(), item.id.get_ref());
            let saved = l.answers.get(inst.id()).and_then(|a| a.get(item.id.get_ref())).copied();
            let answer = match typed.and_then(|t| t.get(&field)) {
                Some(v) if v == DECLINED => Some(None),
                Some(v) => v.parse().ok().map(Some),
                None => saved,
            };
            Question {
                // The instrument's wording in the account's language (English where it has none).
                text: tr.pick(item.text.get_ref()).to_owned(),
                options: inst
                    .options_of(item)
                    .iter()
                    .map(|o| (*o.value.get_ref(), tr.pick(o.label.get_ref()).to_owned()))
                    .collect(),
                required: *item.scored.get_ref(),
                instrument: inst.id().to_owned(),
                item: item.id.get_ref().clone(),
                field,
                answer,
            }
        })
        .collect();
    let tz = l.protocol.time_zone();
    let answerable = l.a.is_answerable(crate::db::now());
    let status = l.a.status.as_str();
    AnswersPage {
        tr,
        role: role.to_string(),
        csrf_token: csrf_of(auth),
        study_id: l.study_id.clone(),
        assessment_id: l.a.id.clone(),
        title: l
            .protocol
            .timepoint(&l.a.timepoint)
            .map_or_else(|| l.a.timepoint.clone(), |t| t.label_in(tr.lang()).to_owned()),
        state: tr.or(&format!("answers-state-{}", status.replace('_', "-")), &status.replace('_', " ")),
        entered_by_staff: l.a.entered_by.is_some(),
        completed: l.a.completed_at.map(|t| study_time(tz, t)).unwrap_or_default(),
        scores: l
            .scores
            .iter()
            .map(|s| {
                let instrument = library.get(&s.instrument);
                let name = instrument.map_or_else(|| s.instrument.clone(), |i| i.short_name.clone());
                let total = s.total.map_or_else(|| tr.t("answers-score-none"), |t| t.to_string());
                // The band is stored in English: shown in the page's language from the instrument.
                let band = s
                    .band
                    .as_ref()
                    .map(|b| {
                        let label = instrument.map_or_else(|| b.clone(), |i| i.band_in(b, tr.lang()));
                        format!(" ({label})")
                    })
                    .unwrap_or_default();
                format!("{name} {total}{band}")
            })
            .collect(),
        may_enter: answerable && Permission::ManageAssessments.allows(role),
        may_correct: l.a.status == AssessmentStatus::Completed && Permission::ManageAssessments.allows(role),
        items: questions
            .iter()
            .map(|q| (q.field.clone(), format!("{} {}: {}", q.instrument.to_uppercase(), q.item, q.text)))
            .collect(),
        values: l
            .instruments
            .iter()
            .map(|i| {
                let options = i
                    .options
                    .get_ref()
                    .iter()
                    .map(|o| (*o.value.get_ref(), tr.pick(o.label.get_ref()).to_owned()));
                (i.short_name.clone(), options.collect())
            })
            .collect(),
        questions,
        problems: Problems::default(),
        notice: None,
        crisis: None,
    }
}

#[derive(Debug, Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

#[get("/participants/{id}/questionnaires/{aid}")]
pub(super) async fn questionnaire(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<(String, String)>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ReadAssessments);
    let (id, aid) = path.into_inner();
    let Some(l) = load(&state, &auth, id, aid).await? else { return Ok(not_found_participant(&auth)) };
    let tr = auth.tr();
    let mut page = page_of(&auth, &l, &state.instruments, None);
    page.notice = match query.done.as_deref() {
        Some("entry") => Some(tr.t("answers-done-entry")),
        Some("correction") => Some(tr.t("answers-done-correction")),
        _ => None,
    };
    Ok(page.respond_to_html())
}

#[post("/participants/{id}/questionnaires/{aid}")]
pub(super) async fn entered(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<(String, String)>,
    form: web::Form<BTreeMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageAssessments);
    let form = form.into_inner();
    auth.check_form_csrf(form.get("csrf_token").map_or("", String::as_str))?;
    let (id, aid) = path.into_inner();
    let Some(l) = load(&state, &auth, id, aid).await? else { return Ok(not_found_participant(&auth)) };
    let tr = auth.tr();
    let mut problems = Problems::default();
    let mut given = Vec::new();
    for (inst, item) in crate::instruments::visit_items(&l.instruments) {
        let field = format!("{}.{}", inst.id(), item.id.get_ref());
        let value = match form.get(&field).map(String::as_str) {
            Some(DECLINED) => None,
            Some(v) => match v.parse::<i32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    problems.add(field, tr.t("answers-problem-choose"));
                    continue;
                }
            },
            None if *item.scored.get_ref() => {
                problems.add(field, tr.t("answers-problem-required"));
                continue;
            }
            None => continue,
        };
        given.push(Answer { instrument: inst.id().to_owned(), item: item.id.get_ref().clone(), value });
    }
    let refuse = |problems: Problems, status| {
        let mut page = page_of(&auth, &l, &state.instruments, Some(&form));
        page.problems = problems;
        Ok(with_status(page.respond_to_html(), status))
    };
    if !problems.is_empty() {
        return refuse(problems, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (ctx, library, aid, pid) =
        (auth.context(), state.instruments.clone(), l.a.id.clone(), l.participant_id.clone());
    let done = state
        .write(move |c| {
            Ok(responses::enter_on_behalf(c, &ctx, &library, &aid, &pid, &given).map_err(AppError::from))
        })
        .await?;
    match done {
        Ok(Submitted::Now { crisis_resources: true }) => {
            let Some(l) = load(&state, &auth, l.study_id.clone(), l.a.id.clone()).await? else {
                return Ok(not_found_participant(&auth));
            };
            let mut page = page_of(&auth, &l, &state.instruments, None);
            page.crisis = Some(tr.pick(l.protocol.safety.crisis_resources.get_ref()).to_owned());
            Ok(page.respond_to_html())
        }
        Ok(_) => Ok(redirect(&format!("/participants/{}/questionnaires/{}?done=entry", l.study_id, l.a.id))),
        Err(e) => {
            let (problems, status) = Problems::from_refusal(tr, e)?;
            refuse(problems, status)
        }
    }
}

#[derive(Debug, Deserialize)]
struct CorrectionForm {
    csrf_token: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    reason: String,
}

#[post("/participants/{id}/questionnaires/{aid}/corrections")]
pub(super) async fn corrected(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<(String, String)>,
    form: web::Form<CorrectionForm>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageAssessments);
    auth.check_form_csrf(&form.csrf_token)?;
    let (id, aid) = path.into_inner();
    let Some(l) = load(&state, &auth, id, aid).await? else { return Ok(not_found_participant(&auth)) };
    let tr = auth.tr();
    let mut problems = Problems::default();
    let target = form.item.split_once('.');
    if target.is_none() {
        problems.add("item", tr.t("answers-problem-item"));
    }
    let value = match form.value.as_str() {
        DECLINED => Some(None),
        v => v.parse::<i32>().ok().map(Some),
    };
    if value.is_none() {
        problems.add("value", tr.t("answers-problem-value"));
    }
    // The service checks the answer too, in English: the page checks it first, in the reader's
    // language (the value select offers every instrument's answers, not only the item's).
    if let (Some((instrument, item)), Some(Some(v))) = (target, value) {
        let options = l
            .instruments
            .iter()
            .find(|i| i.id() == instrument)
            .and_then(|i| i.item(item).map(|it| i.options_of(it)));
        match options {
            None => problems.add("item", tr.t("answers-problem-item")),
            Some(options) if !options.iter().any(|o| *o.value.get_ref() == v) => {
                let allowed =
                    options.iter().map(|o| o.value.get_ref().to_string()).collect::<Vec<_>>().join(", ");
                let args: [(&'static str, &dyn std::fmt::Display); 3] =
                    [("value", &v), ("item", &item), ("allowed", &allowed)];
                problems.add("value", tr.args("answers-problem-not-an-answer", &args));
            }
            Some(_) => {}
        }
    }
    // Its only refusal is the audit trail's rule for a reason.
    let reason = required_reason(&form.reason).map_err(|e| {
        if let AppError::Validation { field, .. } = e {
            problems.add(field, tr.t("answers-problem-reason"));
        }
    });
    let (Some((instrument, item)), Some(value), Ok(reason), true) =
        (target, value, reason, problems.is_empty())
    else {
        let mut page = page_of(&auth, &l, &state.instruments, None);
        page.problems = problems;
        return Ok(with_status(page.respond_to_html(), actix_web::http::StatusCode::UNPROCESSABLE_ENTITY));
    };
    let answer = Answer { instrument: instrument.to_owned(), item: item.to_owned(), value };
    let (ctx, library, aid) = (auth.context(), state.instruments.clone(), l.a.id.clone());
    let done = state
        .write(move |c| {
            Ok(responses::correct(c, &ctx, &library, &aid, &answer, &reason).map_err(AppError::from))
        })
        .await?;
    match done {
        Ok(_) => {
            Ok(redirect(&format!("/participants/{}/questionnaires/{}?done=correction", l.study_id, l.a.id)))
        }
        Err(e) => {
            let (mut problems, status) = Problems::from_refusal(tr, e)?;
            // The service names the item's field by the item; on this form it is `value`.
            if let Some(m) = problems
                .all()
                .iter()
                .find(|(f, _)| *f != Problems::FORM && *f != "reason")
                .map(|(_, m)| m.to_string())
            {
                problems = Problems::default();
                problems.add("value", m);
            }
            let mut page = page_of(&auth, &l, &state.instruments, None);
            page.problems = problems;
            Ok(with_status(page.respond_to_html(), status))
        }
    }
}
