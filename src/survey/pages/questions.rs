//! One questionnaire, a question per screen: answer, review, send, done.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::{participant_ctx, see_other, visitor};
use crate::assessments;
use crate::assessments::responses::{self, Submitted};
use crate::db;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::instruments::local;
use crate::service_error::ServiceError;
use crate::state::AppState;
use crate::survey::links::SurveyLink;
use crate::survey::text::ui;
use crate::survey::visit::Visit;
use crate::web::RespondHtml;

struct Choice {
    value: i32,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "survey/question.html")]
struct QuestionPage {
    t: Tr,
    token: String,
    here: String,
    instrument: String,
    stem: String,
    text: String,
    progress: String,
    number: usize,
    count: usize,
    choices: Vec<Choice>,
    back: String,
    error: bool,
}

/// The link's participant's visit to one assessment, if it can be answered; otherwise the page to show.
async fn load_visit(
    state: &AppState,
    token: &str,
    aid: String,
) -> Result<Result<(SurveyLink, Visit), HttpResponse>, AppError> {
    let (link, p) = match visitor(state, token.to_owned()).await? {
        Ok(v) => v,
        Err(page) => return Ok(Err(page)),
    };
    let library = state.instruments.clone();
    let visit = state.run(move |c| Ok(Visit::load(c, &library, &p.id, &aid)?)).await?;
    match visit {
        // Another participant's assessment looks exactly like one that does not exist.
        None => Ok(Err(closed(ui(&link.language), token, StatusCode::NOT_FOUND))),
        Some(v) if !v.a.is_answerable(db::now()) => {
            Ok(Err(closed(ui(&link.language), token, StatusCode::CONFLICT)))
        }
        Some(v) => Ok(Ok((link, v))),
    }
}

#[derive(Template)]
#[template(path = "survey/closed.html")]
struct ClosedPage {
    t: Tr,
    token: String,
    here: String,
}

/// The page for a questionnaire that cannot be answered: closed or sent (409), or not this
/// participant's (404, the same page: another participant's assessment reveals nothing).
fn closed(t: Tr, token: &str, status: StatusCode) -> HttpResponse {
    let mut r = ClosedPage { t, token: token.to_owned(), here: format!("/s/{token}") }.respond_to_html();
    *r.status_mut() = status;
    r
}

fn question_page(t: Tr, token: &str, v: &Visit, n: usize, error: bool) -> Result<HttpResponse, AppError> {
    let items = v.items();
    let (inst, item) = *items.get(n - 1).ok_or_else(|| AppError::NotFound("question".into()))?;
    let asked = v.asked();
    let number = asked.iter().position(|&k| k == n - 1).map_or(asked.len(), |p| p + 1);
    let current = v.answer(inst.id(), item.id.get_ref()).flatten();
    let choices = inst
        .options_of(item)
        .iter()
        .map(|o| Choice {
            value: *o.value.get_ref(),
            label: local(o.label.get_ref(), t.lang()).to_owned(),
            checked: current == Some(*o.value.get_ref()),
        })
        .collect();
    let previous = asked.iter().rev().find(|&&k| k < n - 1);
    let base = format!("/s/{token}/a/{}", v.a.id);
    let mut page = QuestionPage {
        t,
        token: token.to_owned(),
        here: format!("{base}/q/{n}"),
        instrument: inst.short_name.clone(),
        stem: local(inst.stem.get_ref(), t.lang()).to_owned(),
        text: local(item.text.get_ref(), t.lang()).to_owned(),
        progress: t.a2("survey-question-of", &("n", number), &("total", asked.len())),
        number,
        count: asked.len(),
        choices,
        back: previous.map_or_else(|| format!("/s/{token}"), |k| format!("{base}/q/{}", k + 1)),
        error,
    }
    .respond_to_html();
    if error {
        *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(page)
}

#[get("/s/{token}/a/{assessment}/q/{n}")]
pub(super) async fn show_question(
    state: web::Data<AppState>,
    path: web::Path<(String, String, usize)>,
) -> Result<HttpResponse, AppError> {
    let (token, aid, n) = path.into_inner();
    let (link, v) = match load_visit(&state, &token, aid).await? {
        Ok(x) => x,
        Err(page) => return Ok(page),
    };
    let items = v.items();
    // A question number the visit does not have (an edited address): back to where it stands.
    let Some((inst, item)) = items.get(n.wrapping_sub(1)) else {
        return Ok(see_other(v.resume_at(&token)));
    };
    if !v.asks(inst, item) {
        return Ok(see_other(next_after(&v, &token, n)));
    }
    question_page(ui(&link.language), &token, &v, n, false)
}

/// The page after position `n`: the next item asked, or the review.
fn next_after(v: &Visit, token: &str, n: usize) -> String {
    match v.asked().into_iter().find(|&k| k >= n) {
        Some(k) => format!("/s/{token}/a/{}/q/{}", v.a.id, k + 1),
        None => format!("/s/{token}/a/{}/review", v.a.id),
    }
}

#[derive(Deserialize)]
struct AnswerForm {
    answer: Option<String>,
    action: Option<String>,
}

#[post("/s/{token}/a/{assessment}/q/{n}")]
pub(super) async fn take_answer(
    state: web::Data<AppState>,
    path: web::Path<(String, String, usize)>,
    form: web::Form<AnswerForm>,
) -> Result<HttpResponse, AppError> {
    let (token, aid, n) = path.into_inner();
    let (link, v) = match load_visit(&state, &token, aid.clone()).await? {
        Ok(x) => x,
        Err(page) => return Ok(page),
    };
    let t = ui(&link.language);
    let given = {
        let items = v.items();
        let Some((inst, item)) = items.get(n.wrapping_sub(1)).copied() else {
            return Ok(see_other(v.resume_at(&token)));
        };
        let value = match (form.action.as_deref(), form.answer.as_deref().map(str::parse::<i32>)) {
            (Some("skip"), _) => None,
            (_, Some(Ok(x))) if inst.options_of(item).iter().any(|o| *o.value.get_ref() == x) => Some(x),
            _ => return question_page(t, &token, &v, n, true),
        };
        responses::Answer { instrument: inst.id().to_owned(), item: item.id.get_ref().clone(), value }
    };
    let ctx = participant_ctx(&link);
    let pid = link.participant_id.clone();
    let to_save = given.clone();
    let library = state.instruments.clone();
    let saved =
        state.write(move |c| Ok(responses::save_answer(c, &ctx, &library, &aid, &pid, &to_save)?)).await?;
    // The visit with this answer in: a conditional item may now be asked.
    let mut v = v;
    v.answers.entry(given.instrument).or_default().insert(given.item, given.value);
    let next = next_after(&v, &token, n);
    if saved.show_crisis_resources {
        return Ok(see_other(format!("/s/{token}/help?next={}", urlencode(&next))));
    }
    Ok(see_other(next))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

struct ReviewRow {
    instrument: String,
    text: String,
    answer: Option<String>,
    change: String,
}

#[derive(Template)]
#[template(path = "survey/review.html")]
struct ReviewPage {
    t: Tr,
    token: String,
    here: String,
    rows: Vec<ReviewRow>,
    action: String,
}

#[get("/s/{token}/a/{assessment}/review")]
pub(super) async fn review(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (token, aid) = path.into_inner();
    let (link, v) = match load_visit(&state, &token, aid).await? {
        Ok(x) => x,
        Err(page) => return Ok(page),
    };
    let t = ui(&link.language);
    let items = v.items();
    let rows = v
        .asked()
        .into_iter()
        .map(|n| {
            let (inst, item) = items[n];
            let chosen = v.answer(inst.id(), item.id.get_ref()).flatten().and_then(|val| {
                inst.options_of(item)
                    .iter()
                    .find(|o| *o.value.get_ref() == val)
                    .map(|o| local(o.label.get_ref(), t.lang()).to_owned())
            });
            ReviewRow {
                instrument: inst.short_name.clone(),
                text: local(item.text.get_ref(), t.lang()).to_owned(),
                answer: chosen,
                change: format!("/s/{token}/a/{}/q/{}", v.a.id, n + 1),
            }
        })
        .collect();
    let base = format!("/s/{token}/a/{}", v.a.id);
    Ok(ReviewPage { t, here: format!("{base}/review"), action: format!("{base}/submit"), token, rows }
        .respond_to_html())
}

#[post("/s/{token}/a/{assessment}/submit")]
pub(super) async fn send(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (token, aid) = path.into_inner();
    // The link is resolved before the write, on a connection of the pool: in the writer's batch
    // every query is a round trip the batch waits for. A participant withdrawn in between finds
    // the questionnaire closed: withdrawal closes what was open, and the write reads its status.
    let (link, p) = match visitor(&state, token.clone()).await? {
        Ok(v) => v,
        Err(page) => return Ok(page),
    };
    let (id, library, ctx) = (aid.clone(), state.instruments.clone(), participant_ctx(&link));
    let result = state.write(move |c| Ok(responses::submit(c, &ctx, &library, &id, &p.id))).await?;
    let language = link.language;
    match result {
        Ok(Submitted::Now { .. } | Submitted::Already) => Ok(see_other(format!("/s/{token}/a/{aid}/done"))),
        Err(ServiceError::Conflict { .. }) => Ok(closed(ui(&language), &token, StatusCode::CONFLICT)),
        Err(ServiceError::NotFound(_)) => Ok(closed(ui(&language), &token, StatusCode::NOT_FOUND)),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "survey/done.html")]
struct DonePage {
    t: Tr,
    token: String,
    here: String,
    crisis: Option<String>,
}

#[get("/s/{token}/a/{assessment}/done")]
pub(super) async fn done(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (token, aid) = path.into_inner();
    let (link, p) = match visitor(&state, token.clone()).await? {
        Ok(v) => v,
        Err(page) => return Ok(page),
    };
    let t = ui(&link.language);
    let here = format!("/s/{token}/a/{aid}/done");
    let crisis = state
        .run(move |c| {
            let Some(a) = assessments::find(c, &aid)?.filter(|a| a.participant_id == p.id) else {
                return Ok(None);
            };
            // Anyone whose answers raised an urgent alert sees the crisis resources again here.
            let urgent = crate::safety::urgent_for_assessment(c, &a.id)?;
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            Ok(Some(urgent.then(|| local(protocol.safety.crisis_resources.get_ref(), t.lang()).to_owned())))
        })
        .await?;
    let Some(crisis) = crisis else { return Ok(closed(t, &token, StatusCode::NOT_FOUND)) };
    Ok(DonePage { t, token, here, crisis }.respond_to_html())
}
