//! E-consent on the participant's own link: read the form in force, tick that they agree, type
//! their name as a signature. The same service as staff-witnessed consent records it, with the
//! hash of what was signed, and queues their PDF copy.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::{participant_ctx, see_other, visitor};
use crate::enrolment::consent::{self, Signing};
use crate::enrolment::participants::Participant;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::instruments::local;
use crate::protocol::{ConsentForm, Protocol};
use crate::service_error::ServiceError;
use crate::sites::Scope;
use crate::state::AppState;
use crate::survey::text::ui;
use crate::web::RespondHtml;

/// The form the participant is asked to sign now: the one in force at their site, when it has
/// text to read on a link and they have no standing consent to it.
pub(super) fn to_sign<'p>(
    c: &mut crate::db::DbConn,
    protocol: &'p Protocol,
    p: &Participant,
) -> Result<Option<&'p ConsentForm>, ServiceError> {
    let Some(form) = readable_form(protocol, p) else { return Ok(None) };
    Ok(consent::standing(c, &p.id, form.version.get_ref())?.is_none().then_some(form))
}

/// The form in force at the participant's site, when it has text to read on a link.
fn readable_form<'p>(protocol: &'p Protocol, p: &Participant) -> Option<&'p ConsentForm> {
    protocol.consent_form_today(&p.site).filter(|f| f.text.is_some())
}

#[derive(Template)]
#[template(path = "survey/consent.html")]
struct ConsentPage {
    t: Tr,
    token: String,
    here: String,
    title: String,
    version: String,
    paragraphs: Vec<String>,
    typed: String,
    agreed: bool,
    name_error: bool,
    agree_error: bool,
    /// When signed: the day, and whether a copy is on its way.
    signed: Option<(String, bool)>,
}

/// What the page shows for this participant: the form to sign, or that it is signed.
fn page(
    c: &mut crate::db::DbConn,
    t: Tr,
    token: &str,
    p: &Participant,
) -> Result<Option<ConsentPage>, ServiceError> {
    let (protocol, _) = crate::protocol::store::current_parsed(c)?;
    let Some(form) = readable_form(&protocol, p) else { return Ok(None) };
    let text = form.text.as_ref().map(|x| local(x.get_ref(), t.lang()).to_owned()).unwrap_or_default();
    let signed = consent::standing(c, &p.id, form.version.get_ref())?.map(|k| {
        let day = k.signed_at.and_utc().with_timezone(&protocol.time_zone()).date_naive();
        (crate::survey::text::long_date(t.lang(), day), k.content_hash.is_some())
    });
    Ok(Some(ConsentPage {
        t,
        token: token.to_owned(),
        here: format!("/s/{token}/consent"),
        title: local(form.title.get_ref(), t.lang()).to_owned(),
        version: form.version.get_ref().clone(),
        paragraphs: text.split("\n\n").map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()).collect(),
        typed: String::new(),
        agreed: false,
        name_error: false,
        agree_error: false,
        signed,
    }))
}

#[get("/s/{token}/consent")]
pub(super) async fn show(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let (link, p) = match visitor(&state, token.clone()).await? {
        Ok(v) => v,
        Err(page) => return Ok(page),
    };
    let t = ui(&link.language);
    let tk = token.clone();
    match state.run(move |c| Ok(page(c, t, &tk, &p)?)).await? {
        Some(page) => Ok(page.respond_to_html()),
        // Nothing to read here (the study signs on paper): the link's home instead.
        None => Ok(see_other(format!("/s/{token}"))),
    }
}

#[derive(Deserialize)]
pub(super) struct SignForm {
    #[serde(default)]
    name: String,
    agree: Option<String>,
    /// The version the page showed: a newer one approved meanwhile is refused, never signed unseen.
    #[serde(default)]
    version: String,
}

#[post("/s/{token}/consent")]
pub(super) async fn sign(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<SignForm>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let (link, p) = match visitor(&state, token.clone()).await? {
        Ok(v) => v,
        Err(page) => return Ok(page),
    };
    let t = ui(&link.language);
    let form = form.into_inner();
    let (ctx, pid, lang) = (participant_ctx(&link), p.id.clone(), link.language.clone());
    let (agreed, name, version) = (form.agree.is_some(), form.name.clone(), form.version.clone());
    let outcome = if agreed {
        state
            .write(move |c| {
                let shown = Some(version.as_str()).filter(|v| !v.is_empty());
                Ok(consent::sign(c, &ctx, &Scope::All, &pid, &name, shown, &lang, Signing::Electronic)
                    .map(|_| ()))
            })
            .await?
    } else {
        Ok(())
    };
    let name_error = match outcome {
        Ok(()) if agreed => return Ok(see_other(format!("/s/{token}/consent"))),
        Ok(()) => false,
        Err(ServiceError::Validation { field, .. }) if field == "signature_name" => true,
        // Signed already (a second tab, a double click), or a newer form approved meanwhile: the
        // consent page, read again, shows where things stand; never an error in JSON.
        Err(ServiceError::Conflict { .. } | ServiceError::Validation { .. }) => {
            return Ok(see_other(format!("/s/{token}/consent")));
        }
        Err(e) => return Err(e.into()),
    };
    let tk = token.clone();
    let Some(mut again) = state.run(move |c| Ok(page(c, t, &tk, &p)?)).await? else {
        return Ok(see_other(format!("/s/{token}")));
    };
    again.typed = form.name;
    again.agreed = agreed;
    again.name_error = name_error;
    again.agree_error = !agreed;
    let mut r = again.respond_to_html();
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}
