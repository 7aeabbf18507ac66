//! The participant's pages: the link's home, language, help, and the pages shown when a link or
//! questionnaire cannot be used. The question-by-question flow is in `questions.rs`.

mod consent;
mod questions;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::assessments;
use crate::audit::{Actor, Context};
use crate::db;
use crate::enrolment::participants::Participant;
use crate::error::AppError;
use crate::i18n::{Lang, Tr};
use crate::instruments::local;
use crate::sites::Scope;
use crate::state::AppState;
use crate::survey::links::{self, Resolved, SurveyLink};
use crate::survey::text::{self, ui};
use crate::survey::visit::Visit;
use crate::web::RespondHtml;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(home)
        .service(switch_language)
        .service(questions::show_question)
        .service(questions::take_answer)
        .service(questions::review)
        .service(questions::send)
        .service(questions::done)
        .service(consent::show)
        .service(consent::sign)
        .service(help);
}

fn see_other(to: String) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

/// A valid link and its participant, or the page to show instead.
type Visitor = Result<(SurveyLink, Participant), HttpResponse>;

async fn visitor(state: &AppState, token: String) -> Result<Visitor, AppError> {
    Ok(match state.run(move |c| Ok(links::resolve(c, &token)?)).await? {
        Resolved::Valid(valid) => Ok(*valid),
        refused => Err(refused_page(&refused)),
    })
}

/// The page for a link that does not work: 404 when unknown, 410 when it no longer works.
fn refused_page(resolved: &Resolved) -> HttpResponse {
    match resolved {
        Resolved::Unknown => gone(StatusCode::NOT_FOUND, false),
        _ => gone(StatusCode::GONE, true),
    }
}

#[derive(Template)]
#[template(path = "survey/gone.html")]
struct GonePage {
    en: Tr,
    es: Tr,
    expired: bool,
}

/// The page for a link that does not work: both languages, since we cannot know which.
fn gone(status: StatusCode, expired: bool) -> HttpResponse {
    let mut r = GonePage { en: Tr::new(Lang::En), es: Tr::new(Lang::Es), expired }.respond_to_html();
    *r.status_mut() = status;
    r
}

fn participant_ctx(link: &SurveyLink) -> Context {
    Context { actor: Actor::participant(Some(link.id.clone())), request_id: None }
}

struct OpenItem {
    label: String,
    due: String,
    answered: usize,
    total: usize,
    url: String,
    started: bool,
}

#[derive(Template)]
#[template(path = "survey/home.html")]
struct HomePage {
    t: Tr,
    token: String,
    here: String,
    study: String,
    open: Vec<OpenItem>,
    /// The consent form to read and sign first, when there is one.
    consent: Option<String>,
    /// Their group, when it has sessions: its name, day and time, next sessions and meeting link.
    group: Option<crate::groups::notices::About>,
}

#[get("/s/{token}")]
async fn home(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let (link, p) = match visitor(&state, token.clone()).await? {
        Ok(v) => v,
        Err(page) => return Ok(page),
    };
    let t = ui(&link.language);
    let tk = token.clone();
    let library = state.instruments.clone();
    let (study, open, consent, group) = state
        .run(move |c| {
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            let now = db::now();
            let mut open = Vec::new();
            for l in assessments::list(c, &protocol, &Scope::All, assessments::Filter::All, Some(&p.id))? {
                if !l.assessment.is_answerable(now) {
                    continue;
                }
                let v = Visit::of(c, &library, l.assessment)?;
                let answered = v.answered_count();
                open.push(OpenItem {
                    label: assessments::participant_title(&protocol, &v.a.timepoint, t.lang()),
                    due: assessments::last_day(&protocol, &v.a)
                        .map(|d| text::long_date(t.lang(), d))
                        .unwrap_or_default(),
                    answered,
                    total: v.asked().len(),
                    url: v.resume_at(&tk),
                    started: answered > 0,
                });
            }
            let consent = consent::to_sign(c, &protocol, &p)?.map(|_| format!("/s/{tk}/consent"));
            let group = crate::groups::notices::about(c, &p.id, t.lang(), p.zone(&protocol))?;
            Ok((protocol.study.name.clone(), open, consent, group))
        })
        .await?;
    Ok(HomePage { t, here: format!("/s/{token}"), token, study, open, consent, group }.respond_to_html())
}

#[derive(Deserialize)]
struct LanguageForm {
    lang: String,
    back: String,
}

#[post("/s/{token}/language")]
async fn switch_language(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<LanguageForm>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let (link, _) = match visitor(&state, token.clone()).await? {
        Ok(v) => v,
        Err(page) => return Ok(page),
    };
    let lang = if form.lang == "es" { "es" } else { "en" };
    state.write(move |c| Ok(links::set_language(c, &link.id, lang)?)).await?;
    // Back only to a page of this same link: never an open redirect.
    let own = format!("/s/{token}");
    let back =
        if form.back == own || form.back.starts_with(&format!("{own}/")) { form.back.clone() } else { own };
    Ok(see_other(back))
}
#[derive(Template)]
#[template(path = "survey/help.html")]
struct HelpPage {
    t: Tr,
    token: String,
    here: String,
    title: String,
    resources: String,
    next: Option<String>,
}

#[derive(Deserialize)]
struct HelpQuery {
    next: Option<String>,
}

/// Crisis resources: after an answer that calls for them, and from every page's footer.
#[get("/s/{token}/help")]
async fn help(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<HelpQuery>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let (link, _) = match visitor(&state, token.clone()).await? {
        Ok(v) => v,
        Err(page) => return Ok(page),
    };
    let t = ui(&link.language);
    let resources = state
        .run(move |c| {
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            Ok(local(protocol.safety.crisis_resources.get_ref(), t.lang()).to_owned())
        })
        .await?;
    let own = format!("/s/{token}/");
    let next = query.next.clone().filter(|n| n.starts_with(&own));
    let title = t.t(if next.is_some() { "survey-support-title" } else { "survey-help-title" });
    Ok(HelpPage { t, here: format!("/s/{token}/help"), token, title, resources, next }.respond_to_html())
}
