//! The report's figures over the API.
// utoipa's `IntoParams` expansion for `web::Query` names the query type in full, outside the
// handler, where an item-level allow does not reach.
#![allow(unused_qualifications)]

use actix_web::{get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Auth, Permission, Role};
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;

/// Registers this module's API routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(report_summary);
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ReportQuery {
    /// Arms as codes only. Always on for blinded statisticians.
    #[serde(default)]
    pub blinded: bool,
}

/// Whether `role` sees the blinded report.
pub fn blinded_for(role: Role, asked: bool) -> bool {
    asked || !role.is_unblinded()
}

/// The report's figures (`summary.json`): CONSORT counts, recruitment, diversity, retention,
/// attendance and the outcome analysis.
#[utoipa::path(tag = "reports", params(ReportQuery), responses((status = 200, description = "Success", content_type = "application/json", body = Object), (status = 403, description = "The role may not do this", body = ErrorBody)))]
#[get("/reports/summary")]
async fn report_summary(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<ReportQuery>,
) -> Result<web::Json<super::Report>, AppError> {
    let role = auth.require(Permission::ReadReports)?;
    let blinded = blinded_for(role, query.blinded);
    let (library, scope) = (state.instruments.clone(), auth.scope.clone());
    Ok(web::Json(state.run(move |c| Ok(super::build(c, &library, blinded, &scope)?)).await?))
}
