//! The trial report page for researchers: the same HTML `trialdesk report` writes.

use actix_web::{HttpResponse, get, web};

use crate::auth::{Auth, Permission};
use crate::error::AppError;
use crate::reports::{
    self,
    routes::{ReportQuery, build_for},
};
use crate::state::AppState;
use crate::web::staff_page;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(report_page).service(report_json);
}

/// The report's page carries its own styles inline (it is also a file that must stand alone),
/// so it relaxes style-src for itself only; scripts stay forbidden.
const REPORT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The report as the signed-in researcher may see it, or the page to send them to instead.
async fn report_for(
    state: &AppState,
    auth: Result<Auth, AppError>,
    query: &ReportQuery,
) -> Result<Result<std::sync::Arc<reports::Report>, HttpResponse>, AppError> {
    let auth = match staff_page(auth, Permission::ReadReports)? {
        Ok(a) => a,
        Err(page) => return Ok(Err(page)),
    };
    let (role, asked) = (auth.user.role(), query.blinded);
    let (library, scope) = (state.instruments.clone(), auth.scope.clone());
    let cache = state.reports.clone();
    Ok(Ok(state.read(move |c| Ok(build_for(c, &cache, &library, role, asked, &scope)?)).await?))
}

#[get("/reports")]
async fn report_page(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    // The page's own words in the reader's language; the report's body is an English document.
    let tr = auth.as_ref().map_or_else(|_| crate::i18n::Tr::default(), Auth::tr);
    let report = match report_for(&state, auth, &query).await? {
        Ok(report) => report,
        Err(page) => return Ok(page),
    };
    // Drawing is CPU work: off the async workers.
    let html = web::block(move || {
        let sections = reports::sections::all(&report);
        reports::html::render_in(tr, &report, &sections, true)
    })
    .await?
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", REPORT_CSP))
        .body(html))
}

#[get("/reports/summary.json")]
async fn report_json(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let report = match report_for(&state, auth, &query).await? {
        Ok(report) => report,
        Err(page) => return Ok(page),
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Content-Disposition", "attachment; filename=\"summary.json\""))
        .json(&*report))
}
