//! Emergency unblinding in the browser, for the clinician a blinded protocol keeps from the arms
//! (and admins): a form asking why, then the arm, shown this once. The alert page links here.

use actix_web::{HttpResponse, ResponseError, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::routes::required_reason;
use crate::auth::{Auth, Permission};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::{RespondHtml, csrf_of, not_found_page, staff_page};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(unblinding_form).service(unblinding_sent);
}

#[derive(Template)]
#[template(path = "randomisation/unblinding.html")]
struct UnblindingPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    study_id: String,
    /// The alert the person came from, carried through the form for the way back.
    alert: Option<String>,
    /// Where the person came from (an alert), else the overview.
    back: String,
    back_label: String,
    /// The arm's label, once unblinded.
    arm: Option<String>,
    error: Option<String>,
}

impl UnblindingPage {
    fn new(auth: &Auth, study_id: String, alert: Option<&str>) -> Self {
        let tr = auth.tr();
        let (back, back_label) = match alert {
            Some(id) => (format!("/alerts/{id}"), tr.t("unblind-back-to-alert")),
            None => ("/".to_owned(), tr.t("back-to-overview")),
        };
        UnblindingPage {
            tr,
            role: auth.user.role().to_string(),
            csrf_token: csrf_of(auth),
            study_id,
            alert: alert.map(str::to_owned),
            back,
            back_label,
            arm: None,
            error: None,
        }
    }
}

#[derive(Debug, Deserialize)]
struct Origin {
    /// The alert the person came from, for the way back.
    alert: Option<String>,
}

#[get("/unblinding/{id}")]
async fn unblinding_form(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    from: web::Query<Origin>,
) -> Result<HttpResponse, AppError> {
    let auth = match staff_page(auth, Permission::Unblind)? {
        Ok(a) => a,
        Err(page) => return Ok(page),
    };
    let (id, scope) = (path.into_inner(), auth.scope.clone());
    let found = state.run(move |c| Ok(crate::enrolment::participants::find_or_404(c, &scope, &id)?)).await;
    match found {
        Ok(p) => Ok(UnblindingPage::new(&auth, p.study_id, from.alert.as_deref()).respond_to_html()),
        Err(AppError::NotFound(_)) => {
            Ok(not_found_page(&auth, "participant record", "/", "Back to the overview"))
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
struct ReasonForm {
    csrf_token: String,
    /// Optional here so that a form without it gets the page saying it is required, not a 400.
    reason: Option<String>,
    alert: Option<String>,
}

#[post("/unblinding/{id}")]
async fn unblinding_sent(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    form: web::Form<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let auth = match staff_page(auth, Permission::Unblind)? {
        Ok(a) => a,
        Err(page) => return Ok(page),
    };
    auth.check_form_csrf(&form.csrf_token)?;
    let id = path.into_inner();
    let mut page = UnblindingPage::new(&auth, id.clone(), form.alert.as_deref().filter(|a| !a.is_empty()));
    let done = match required_reason(form.reason.as_deref().unwrap_or_default()) {
        Ok(reason) => {
            let (ctx, scope) = (auth.context(), auth.scope.clone());
            state
                .write(move |c| {
                    let (p, arm) = super::unblind(c, &ctx, &scope, &id, &reason)?;
                    let (protocol, _) = crate::protocol::store::current_parsed(c)?;
                    Ok((p, crate::blinding::ArmView::unblinded(&protocol, &arm)))
                })
                .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok((p, arm)) => {
            page.study_id = p.study_id;
            page.arm = Some(arm.label.unwrap_or(arm.code));
            Ok(page.respond_to_html())
        }
        // No reason, or no allocation yet: the form again, saying why, with the API's status.
        Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. })) => {
            let (status, tr) = (e.status_code(), page.tr);
            page.error = Some(match e {
                AppError::Validation { .. } => tr.t("unblind-problem-reason"),
                AppError::Conflict { code: "not_randomised", .. } => {
                    tr.a("unblind-conflict-not-randomised", "id", &page.study_id)
                }
                other => other.to_string(),
            });
            let mut response = page.respond_to_html();
            *response.status_mut() = status;
            Ok(response)
        }
        Err(AppError::NotFound(_)) => {
            Ok(not_found_page(&auth, "participant record", "/", "Back to the overview"))
        }
        Err(e) => Err(e),
    }
}
