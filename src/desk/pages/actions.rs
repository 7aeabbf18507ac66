//! The forms that change a participant from their record: consent witnessed by staff,
//! randomisation with a confirmation step, withdrawal, and personal links. Each calls the same
//! service as the API; a refusal shows the form again with the problem beside its field.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::record::{RecordPage, not_found_participant, reason_problems};
use crate::auth::routes::required_reason;
use crate::auth::{Auth, Permission};
use crate::enrolment::{Status, consent, participants};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::page::{Problems, staff_or_return, with_status};
use crate::web::{RespondHtml, csrf_of, redirect};

#[derive(Debug, Deserialize)]
struct ConsentForm {
    csrf_token: String,
    #[serde(default)]
    signature_name: String,
    #[serde(default)]
    language: String,
    /// The version the form showed: a newer one approved since is refused, not signed unseen.
    form_version: Option<String>,
}

#[post("/participants/{id}/consent")]
pub(super) async fn consent_sent(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    form: web::Form<ConsentForm>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::Enrol);
    auth.check_form_csrf(&form.csrf_token)?;
    let form = form.into_inner();
    let (ctx, scope, id) = (auth.context(), auth.scope.clone(), path.into_inner());
    let (name, language, version, target) =
        (form.signature_name.clone(), form.language.clone(), form.form_version.clone(), id.clone());
    let done = state
        .write(move |c| {
            Ok(consent::record(c, &ctx, &scope, &target, &name, version.as_deref(), &language)
                .map_err(AppError::from))
        })
        .await?;
    match done {
        Ok(_) => Ok(redirect(&format!("/participants/{id}?done=consent"))),
        Err(AppError::NotFound(_)) => Ok(not_found_participant(&auth)),
        Err(e) => {
            let (problems, status) = Problems::from_refusal(auth.tr(), e)?;
            let Some(mut page) = RecordPage::load(&state, &auth, id, false).await? else {
                return Ok(not_found_participant(&auth));
            };
            page.problems = problems;
            page.typed_signature = form.signature_name;
            Ok(with_status(page.respond_to_html(), status))
        }
    }
}

#[derive(Debug, Deserialize)]
struct VoidForm {
    csrf_token: String,
    #[serde(default)]
    reason: String,
}

/// Voids a consent recorded in error; it stays on the record, struck through, with the reason.
#[post("/participants/{id}/consents/{consent}/void")]
pub(super) async fn consent_voided(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<(String, String)>,
    form: web::Form<VoidForm>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::Enrol);
    auth.check_form_csrf(&form.csrf_token)?;
    let (ctx, scope) = (auth.context(), auth.scope.clone());
    let (id, consent_id) = path.into_inner();
    let (reason, target) = (form.reason.clone(), id.clone());
    let done = state
        .write(move |c| {
            Ok(required_reason(&reason).and_then(|r| {
                consent::void(c, &ctx, &scope, &target, &consent_id, &r).map_err(AppError::from)
            }))
        })
        .await?;
    match done {
        Ok(_) => Ok(redirect(&format!("/participants/{id}?done=void#consent-h"))),
        Err(AppError::NotFound(_)) => Ok(not_found_participant(&auth)),
        Err(e) => {
            let (found, status) = Problems::from_refusal(auth.tr(), e)?;
            let Some(mut page) = RecordPage::load(&state, &auth, id, false).await? else {
                return Ok(not_found_participant(&auth));
            };
            // Shown under the consents, not beside a link's revocation (also a `reason`).
            page.problems = reason_problems(&found, "void_reason", "void_reason");
            Ok(with_status(page.respond_to_html(), status))
        }
    }
}

#[derive(Template)]
#[template(path = "desk/randomise.html")]
struct RandomisePage {
    tr: Tr,
    role: String,
    csrf_token: String,
    study_id: String,
    site: String,
    /// The strata values the allocation will use, as `(factor, level)`.
    strata: Vec<(String, String)>,
    method: String,
    /// Why randomising is not possible now, when it is not.
    refusal: Option<String>,
}

/// The confirmation step, or why the participant cannot be randomised now: `refusal` is the
/// service's, as its code and its (English) message.
async fn confirm_page(
    state: &AppState,
    auth: &Auth,
    id: String,
    refusal: Option<(&'static str, String)>,
) -> Result<HttpResponse, AppError> {
    let (scope, role, tr) = (auth.scope.clone(), auth.user.role(), auth.tr());
    let found = state
        .run(move |c| {
            let Some(p) = participants::find(c, &scope, &id)? else { return Ok(None) };
            let view = participants::view_now(c, &p, role)?;
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            Ok(Some((p, view, protocol)))
        })
        .await?;
    let Some((p, view, protocol)) = found else { return Ok(not_found_participant(auth)) };
    if view.status == Status::Randomised {
        return Ok(redirect(&format!("/participants/{}/allocation", p.study_id)));
    }
    let strata = crate::randomisation::allocation_strata(&protocol, &p.strata, &p.site);
    // Each factor and level as the protocol words it (the site factor is the site code itself).
    let labels = |factor: &str, level: &str| {
        protocol.stratification.iter().find(|f| f.id.get_ref() == factor).map_or_else(
            || (tr.t("randomise-site"), level.to_owned()),
            |f| (f.label_in(tr.lang()).to_owned(), f.level_label(level, tr.lang())),
        )
    };
    // The service's refusals whose words carry nothing but the study id are said in the page's
    // language; the others name details (criteria, strata) only the service words.
    let refusal = refusal.map(|(code, message)| match code {
        "withdrawn" => tr.a("randomise-conflict-withdrawn", "id", &p.study_id),
        "not_consented" => tr.a("randomise-conflict-not-consented", "id", &p.study_id),
        _ => message,
    });
    let refusal = refusal.or_else(|| match view.status {
        Status::Withdrawn => Some(tr.a("randomise-refused-withdrawn", "id", &p.study_id)),
        Status::Enrolled if view.needs_reconsent => Some(tr.t("randomise-refused-reconsent")),
        Status::Enrolled => Some(tr.t("randomise-refused-no-consent")),
        _ => None,
    });
    let status = if refusal.is_some() {
        actix_web::http::StatusCode::CONFLICT
    } else {
        actix_web::http::StatusCode::OK
    };
    let method = protocol.randomisation.method.get_ref().as_str();
    let page = RandomisePage {
        tr,
        role: role.to_string(),
        csrf_token: csrf_of(auth),
        study_id: p.study_id,
        site: p.site,
        strata: strata.iter().map(|(f, l)| labels(f, l)).collect(),
        method: tr.or(&format!("randomise-method-{method}"), &method.replace('_', " ")),
        refusal,
    };
    Ok(with_status(page.respond_to_html(), status))
}

#[get("/participants/{id}/randomise")]
pub(super) async fn randomise_form(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::Randomise);
    confirm_page(&state, &auth, path.into_inner(), None).await
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf_token: String,
}

#[post("/participants/{id}/randomise")]
pub(super) async fn randomise_sent(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::Randomise);
    auth.check_form_csrf(&form.csrf_token)?;
    let (ctx, id, key, scope) =
        (auth.context(), path.into_inner(), state.study_key.clone(), auth.scope.clone());
    let target = id.clone();
    let done = state
        .write(move |c| {
            let site = scope.participant(c, &target);
            Ok(site
                .and_then(|_| crate::randomisation::randomise(c, &ctx, &key, &target))
                .map_err(AppError::from))
        })
        .await?;
    match done {
        Ok((_, p, _)) => Ok(redirect(&format!("/participants/{}/allocation", p.study_id))),
        // A double click or a second tab: the allocation made the first time, said plainly.
        Err(AppError::Conflict { code: "already_randomised", .. }) => {
            Ok(redirect(&format!("/participants/{id}/allocation?again=1")))
        }
        Err(AppError::NotFound(_)) => Ok(not_found_participant(&auth)),
        Err(AppError::Conflict { code, message }) => {
            confirm_page(&state, &auth, id, Some((code, message))).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "desk/allocation.html")]
struct AllocationPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    study_id: String,
    arm: Option<String>,
    at: String,
    again: bool,
    zone: String,
}

#[derive(Debug, Deserialize)]
struct AllocationQuery {
    again: Option<String>,
}

#[get("/participants/{id}/allocation")]
pub(super) async fn allocation(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    query: web::Query<AllocationQuery>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ReadParticipants);
    let (scope, role, id) = (auth.scope.clone(), auth.user.role(), path.into_inner());
    let found = state
        .run(move |c| {
            let Some(p) = participants::find(c, &scope, &id)? else { return Ok(None) };
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            Ok(Some((participants::view_now(c, &p, role)?, protocol)))
        })
        .await?;
    let Some((v, protocol)) = found else { return Ok(not_found_participant(&auth)) };
    let Some(at) = v.randomised_at else {
        return Ok(redirect(&format!("/participants/{}/randomise", v.study_id)));
    };
    let page = AllocationPage {
        tr: auth.tr(),
        role: role.to_string(),
        csrf_token: csrf_of(&auth),
        arm: v.arm.map(|a| a.in_language(&protocol, auth.tr().lang())).map(|a| {
            let code = a.code;
            a.label.map_or_else(|| code.clone(), |l| format!("{code} ({l})"))
        }),
        at: crate::web::page::study_time(protocol.time_zone(), at),
        zone: protocol.study.time_zone.get_ref().clone(),
        study_id: v.study_id,
        again: query.again.is_some(),
    };
    Ok(page.respond_to_html())
}
