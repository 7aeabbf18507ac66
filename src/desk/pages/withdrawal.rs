//! Withdrawal from the record, saying first what will stop; and personal survey links: made
//! (shown once, with a QR code to scan from a video call) and revoked.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::record::{RecordPage, not_found_participant, reason_problems, visible};
use crate::auth::routes::required_reason;
use crate::auth::{Auth, Permission};
use crate::enrolment::{consent, participants};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::page::{Problems, qr_svg, staff_or_return, with_status};
use crate::web::{RespondHtml, csrf_of, redirect};

#[derive(Template)]
#[template(path = "desk/withdraw.html")]
struct WithdrawPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    study_id: String,
    /// Questionnaires not yet answered that will become "not applicable".
    pending: i64,
    problems: Problems,
    reason: String,
    keep_data: String,
}

async fn withdraw_page(
    state: &AppState,
    auth: &Auth,
    id: String,
    problems: Problems,
    typed: (String, String),
) -> Result<HttpResponse, AppError> {
    let scope = auth.scope.clone();
    let found = state
        .run(move |c| {
            let Some(p) = participants::find(c, &scope, &id)? else { return Ok(None) };
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            let all =
                crate::assessments::list(c, &protocol, &scope, crate::assessments::Filter::All, Some(&p.id))?;
            Ok(Some((p, all.iter().filter(|a| a.assessment.status.is_pending()).count())))
        })
        .await?;
    let Some((p, pending)) = found else { return Ok(not_found_participant(auth)) };
    if p.withdrawn_at.is_some() {
        return Ok(redirect(&format!("/participants/{}", p.study_id)));
    }
    let status = if problems.is_empty() {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = WithdrawPage {
        tr: auth.tr(),
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(auth),
        study_id: p.study_id,
        pending: i64::try_from(pending).unwrap_or(i64::MAX),
        problems,
        reason: typed.0,
        keep_data: typed.1,
    };
    Ok(with_status(page.respond_to_html(), status))
}

#[get("/participants/{id}/withdraw")]
pub(super) async fn withdraw_form(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::Enrol);
    withdraw_page(&state, &auth, path.into_inner(), Problems::default(), Default::default()).await
}

#[derive(Debug, Deserialize)]
struct WithdrawForm {
    csrf_token: String,
    #[serde(default)]
    reason: String,
    /// `yes` or `no`: whether data collected so far may be kept and analysed.
    #[serde(default)]
    keep_data: String,
}

#[post("/participants/{id}/withdraw")]
pub(super) async fn withdraw_sent(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    form: web::Form<WithdrawForm>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::Enrol);
    auth.check_form_csrf(&form.csrf_token)?;
    let form = form.into_inner();
    let id = path.into_inner();
    if !visible(&state, &auth, &id).await? {
        return Ok(not_found_participant(&auth));
    }
    let tr = auth.tr();
    let mut problems = Problems::default();
    // Its only refusal is the audit trail's rule for a reason.
    let reason = required_reason(&form.reason).map_err(|e| {
        if let AppError::Validation { field, .. } = e {
            problems.add(field, tr.t("record-problem-reason"));
        }
    });
    let keep = match form.keep_data.as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            problems.add("keep_data", tr.t("withdraw-problem-keep-data"));
            None
        }
    };
    let typed = (form.reason.clone(), form.keep_data.clone());
    let (Ok(reason), Some(keep)) = (reason, keep) else {
        return withdraw_page(&state, &auth, id, problems, typed).await;
    };
    let (ctx, scope, target) = (auth.context(), auth.scope.clone(), id.clone());
    let done = state
        .write(
            move |c| Ok(consent::withdraw(c, &ctx, &scope, &target, &reason, keep).map_err(AppError::from)),
        )
        .await?;
    match done {
        Ok(p) => Ok(redirect(&format!("/participants/{}?done=withdrawal", p.study_id))),
        Err(AppError::NotFound(_)) => Ok(not_found_participant(&auth)),
        Err(e) => {
            let (problems, _) = Problems::from_refusal(auth.tr(), e)?;
            withdraw_page(&state, &auth, id, problems, typed).await
        }
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf_token: String,
}

/// A new personal link, shown on the record this once (it is not stored, so the answer to this
/// POST is the page itself rather than a redirect).
#[post("/participants/{id}/survey-links")]
pub(super) async fn link_made(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageAssessments);
    auth.check_form_csrf(&form.csrf_token)?;
    let (ctx, scope, id) = (auth.context(), auth.scope.clone(), path.into_inner());
    let target = id.clone();
    let made = state
        .write(move |c| {
            let Some(p) = participants::find(c, &scope, &target)? else { return Ok(None) };
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            let valid = *protocol.surveys.link_valid_days.get_ref();
            Ok(Some(crate::survey::links::create(c, &ctx, &p, valid).map_err(AppError::from)))
        })
        .await?;
    let Some(made) = made else { return Ok(not_found_participant(&auth)) };
    let Some(mut page) = RecordPage::load(&state, &auth, id, false).await? else {
        return Ok(not_found_participant(&auth));
    };
    match made {
        Ok((_, token)) => {
            let url = format!("{}/s/{token}", state.public_url);
            page.new_link_qr = qr_svg(&url)?;
            page.new_link = Some(url);
            Ok(page.respond_to_html())
        }
        Err(e) => {
            // Shown in the links section, where the button was.
            let (found, status) = Problems::from_refusal(auth.tr(), e)?;
            for (_, message) in found.all() {
                page.problems.add("links", message);
            }
            Ok(with_status(page.respond_to_html(), status))
        }
    }
}

#[derive(Debug, Deserialize)]
struct CsrfOnly {
    csrf_token: String,
}

/// E-mails an invitation with a fresh link now, to the questionnaires open for the participant.
#[post("/participants/{id}/invitations")]
pub(super) async fn invitation_sent(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageAssessments);
    auth.check_form_csrf(&form.csrf_token)?;
    let (ctx, scope, id) = (auth.context(), auth.scope.clone(), path.into_inner());
    let target = id.clone();
    let sent = state
        .write(move |c| {
            let Some(p) = participants::find(c, &scope, &target)? else { return Ok(None) };
            Ok(Some(crate::survey::links::invite_now(c, &ctx, &p).map_err(AppError::from)))
        })
        .await?;
    match sent {
        None => Ok(not_found_participant(&auth)),
        Some(Ok(_)) => Ok(redirect(&format!("/participants/{id}?done=invitation#links-h"))),
        Some(Err(e)) => {
            let (found, status) = Problems::from_refusal(auth.tr(), e)?;
            let Some(mut page) = RecordPage::load(&state, &auth, id, false).await? else {
                return Ok(not_found_participant(&auth));
            };
            for (_, message) in found.all() {
                page.problems.add("links", message);
            }
            Ok(with_status(page.respond_to_html(), status))
        }
    }
}

#[derive(Debug, Deserialize)]
struct RevokeForm {
    csrf_token: String,
    #[serde(default)]
    reason: String,
}

#[post("/survey-links/{id}/revoke")]
pub(super) async fn link_revoked(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    form: web::Form<RevokeForm>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageAssessments);
    auth.check_form_csrf(&form.csrf_token)?;
    let (ctx, scope, link) = (auth.context(), auth.scope.clone(), path.into_inner());
    let reason = form.reason.clone();
    let done = state
        .write(move |c| {
            if let Err(e) = scope.survey_link(c, &link) {
                return Ok(Err(AppError::from(e)));
            }
            let Some(owner) = crate::survey::links::owner(c, &link)? else {
                return Ok(Err(AppError::NotFound("survey link".into())));
            };
            let study_id = participants::find(c, &scope, &owner)?.map(|p| p.study_id).unwrap_or_default();
            let revoked = required_reason(&reason)
                .and_then(|r| crate::survey::links::revoke(c, &ctx, &link, &r).map_err(AppError::from));
            Ok(Ok((study_id, revoked)))
        })
        .await?;
    match done {
        Ok((study_id, Ok(_))) => Ok(redirect(&format!("/participants/{study_id}?done=revocation#links-h"))),
        Ok((study_id, Err(e))) => {
            let (problems, status) = Problems::from_refusal(auth.tr(), e)?;
            let Some(mut page) = RecordPage::load(&state, &auth, study_id, false).await? else {
                return Ok(not_found_participant(&auth));
            };
            page.problems = reason_problems(&problems, "reason", "links");
            Ok(with_status(page.respond_to_html(), status))
        }
        Err(AppError::NotFound(_)) => Ok(not_found_participant(&auth)),
        Err(e) => Err(e),
    }
}
