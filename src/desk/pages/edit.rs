//! Correcting a participant's record from the browser, always with a reason: contact details
//! (the form is filled from them, an audited read) and the study record's demographics, language
//! and strata (shown but not changeable once randomised).

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::enrol::{contact_fields, demographics, strata_selects};
use super::record::{not_found_participant, visible};
use crate::audit::Context;
use crate::auth::{Auth, Permission};
use crate::db::DbConn;
use crate::enrolment::details::{self, ContactChange, DetailsChange};
use crate::enrolment::participants::{self, Participant};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::service_error::ServiceError;
use crate::sites::Scope;
use crate::state::AppState;
use crate::web::page::{Problems, staff_or_return, with_status};
use crate::web::page::{Select, time_zone_select};
use crate::web::{RespondHtml, csrf_of, redirect};

#[derive(Template)]
#[template(path = "desk/edit.html")]
struct EditPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    study_id: String,
    contact_fields: [(&'static str, String, &'static str); 3],
    selects: Vec<Select>,
    languages: Vec<(String, String)>,
    /// Randomised: the strata the allocation used are shown, not offered.
    strata_frozen: bool,
    /// Which form was refused, and why.
    problems: Problems,
    refused: &'static str,
    /// Each form's values: as stored, or as typed into the refused one.
    contact: BTreeMap<String, String>,
    record: BTreeMap<String, String>,
}

impl EditPage {
    fn contact_value(&self, field: &str) -> &str {
        self.contact.get(field).map_or("", String::as_str)
    }

    fn record_value(&self, field: &str) -> &str {
        self.record.get(field).map_or("", String::as_str)
    }

    fn problem(&self, form: &str, field: &str) -> Option<&str> {
        (self.refused == form).then(|| self.problems.get(field)).flatten()
    }
}

/// The page, with `typed` in place of the stored values of the refused form.
async fn edit_page(
    state: &AppState,
    auth: &Auth,
    id: String,
    refused: (&'static str, Problems, BTreeMap<String, String>),
) -> Result<HttpResponse, AppError> {
    let (scope, ctx) = (auth.scope.clone(), auth.context());
    let found = state
        .write(move |c| {
            let Some(p) = participants::find(c, &scope, &id)? else { return Ok(None) };
            let contact = participants::read_contact(c, &ctx, &p.id)?;
            let randomised = participants::facts_of(c, &p.id)?.arm_id.is_some();
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            Ok(Some((p, contact, randomised, protocol)))
        })
        .await?;
    let Some((p, contact, randomised, protocol)) = found else { return Ok(not_found_participant(auth)) };
    let (form, problems, typed) = refused;
    let stored_contact: BTreeMap<String, String> = contact
        .map(|k| {
            BTreeMap::from([
                ("full_name".to_owned(), k.full_name),
                ("email".to_owned(), k.email.unwrap_or_default()),
                ("phone".to_owned(), k.phone.unwrap_or_default()),
            ])
        })
        .unwrap_or_default();
    let mut stored_record: BTreeMap<String, String> = BTreeMap::from([
        ("race".to_owned(), p.race.clone()),
        ("ethnicity".to_owned(), p.ethnicity.clone()),
        ("sex".to_owned(), p.sex.clone()),
        ("age_band".to_owned(), p.age_band.clone()),
        ("newly_diagnosed".to_owned(), if p.newly_diagnosed { "yes" } else { "no" }.to_owned()),
        ("disease_course".to_owned(), p.disease_course.clone()),
        ("preferred_language".to_owned(), p.preferred_language.clone()),
        ("time_zone".to_owned(), p.time_zone.clone().unwrap_or_default()),
    ]);
    for (factor, level) in p.strata_map() {
        stored_record.insert(format!("strata.{factor}"), level);
    }
    let status = if problems.is_empty() {
        actix_web::http::StatusCode::OK
    } else if problems.get(Problems::FORM).is_some() {
        actix_web::http::StatusCode::CONFLICT
    } else {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let tr = auth.tr();
    let mut selects = demographics(tr);
    selects.extend(strata_selects(&protocol, tr));
    selects.push(time_zone_select(&protocol, tr));
    let page = EditPage {
        tr,
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(auth),
        study_id: p.study_id,
        contact_fields: contact_fields(tr),
        selects,
        languages: super::register::study_languages(&protocol, tr),
        strata_frozen: randomised,
        contact: if form == "contact" { typed.clone() } else { stored_contact },
        record: if form == "record" { typed } else { stored_record },
        problems,
        refused: form,
    };
    Ok(with_status(page.respond_to_html(), status))
}

#[get("/participants/{id}/edit")]
pub(super) async fn edit_form(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::Enrol);
    edit_page(&state, &auth, path.into_inner(), ("", Problems::default(), BTreeMap::new())).await
}

/// A form of this page: checks the token and that the participant is in scope.
async fn received(
    state: &AppState,
    auth: &Auth,
    id: &str,
    form: &BTreeMap<String, String>,
) -> Result<bool, AppError> {
    auth.check_form_csrf(form.get("csrf_token").map_or("", String::as_str))?;
    visible(state, auth, id).await
}

/// Sends one of the page's forms to its `details` service: back to the record when it took, else
/// the page again with the problems beside that form's fields and what was typed.
async fn save<F>(
    state: &AppState,
    auth: &Auth,
    id: String,
    form: BTreeMap<String, String>,
    which: &'static str,
    change: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut DbConn, &Context, &Scope, &str) -> Result<Participant, ServiceError> + Send + 'static,
{
    let (ctx, scope, target) = (auth.context(), auth.scope.clone(), id.clone());
    let done = state.write(move |c| Ok(change(c, &ctx, &scope, &target).map_err(AppError::from))).await?;
    match done {
        Ok(p) => Ok(redirect(&format!("/participants/{}?done=correction", p.study_id))),
        Err(e) => {
            let (problems, _) = Problems::from_refusal(auth.tr(), e)?;
            edit_page(state, auth, id, (which, problems, form)).await
        }
    }
}

#[post("/participants/{id}/contact")]
pub(super) async fn contact_sent(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    form: web::Form<BTreeMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::Enrol);
    let (id, form) = (path.into_inner(), form.into_inner());
    if !received(&state, &auth, &id, &form).await? {
        return Ok(not_found_participant(&auth));
    }
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let change = ContactChange {
        full_name: field("full_name"),
        email: Some(field("email")),
        phone: Some(field("phone")),
        reason: field("reason"),
    };
    save(&state, &auth, id, form, "contact", move |c, ctx, scope, id| {
        details::change_contact(c, ctx, scope, id, &change)
    })
    .await
}

#[post("/participants/{id}/details")]
pub(super) async fn details_sent(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    form: web::Form<BTreeMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::Enrol);
    let (id, form) = (path.into_inner(), form.into_inner());
    if !received(&state, &auth, &id, &form).await? {
        return Ok(not_found_participant(&auth));
    }
    let strata: BTreeMap<String, String> = form
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("strata.").map(|f| (f.to_owned(), v.clone())))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let field = |name: &str| serde_json::Value::String(form.get(name).cloned().unwrap_or_default());
    let body = serde_json::json!({
        "race": field("race"), "ethnicity": field("ethnicity"), "sex": field("sex"), "age_band": field("age_band"),
        "newly_diagnosed": form.get("newly_diagnosed").map(String::as_str) == Some("yes"),
        "disease_course": field("disease_course"), "preferred_language": field("preferred_language"),
        "strata": strata, "reason": field("reason"), "time_zone": field("time_zone"),
    });
    let change: DetailsChange = match serde_json::from_value(body) {
        Ok(c) => c,
        Err(e) => {
            let (tr, mut problems) = (auth.tr(), Problems::default());
            problems.add(Problems::FORM, tr.a("edit-problem-bad-choice", "error", e));
            return edit_page(&state, &auth, id, ("record", problems, form)).await;
        }
    };
    save(&state, &auth, id, form, "record", move |c, ctx, scope, id| {
        details::change_details(c, ctx, scope, id, &change)
    })
    .await
}
