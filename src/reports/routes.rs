//! The report's figures over the API.
// utoipa's `IntoParams` expansion for `web::Query` names the query type in full, outside the
// handler, where an item-level allow does not reach.
#![allow(unused_qualifications)]

use std::sync::Arc;

use actix_web::{get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Auth, Permission, Role};
use crate::blinding::Sight;
use crate::db::DbConn;
use crate::error::{AppError, ErrorBody};
use crate::instruments::Library;
use crate::reports::cache::ReportCache;
use crate::service_error::ServiceError;
use crate::sites::Scope;
use crate::state::AppState;

/// Registers this module's API routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(report_summary);
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ReportQuery {
    /// The blinded copy: arms as codes, and no process data where it would name the arms.
    /// Always on for blinded roles.
    #[serde(default)]
    pub blinded: bool,
}

/// The report `role` may read, blinded when they ask or when the protocol keeps them blind.
pub fn build_for(
    conn: &mut DbConn,
    cache: &ReportCache,
    library: &Library,
    role: Role,
    asked_blinded: bool,
    scope: &Scope,
) -> Result<Arc<super::Report>, ServiceError> {
    let (protocol, _) = crate::protocol::store::current_parsed(conn)?;
    let blinded = Sight::for_output(&protocol, role, asked_blinded).is_blinded();
    cache.get_or_build(conn, library, blinded, scope)
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
    let (library, scope, asked) = (state.instruments.clone(), auth.scope.clone(), query.blinded);
    let cache = state.reports.clone();
    let report = state.read(move |c| Ok(build_for(c, &cache, &library, role, asked, &scope)?)).await?;
    Ok(web::Json(super::Report::clone(&report)))
}
