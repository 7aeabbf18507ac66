//! The audit trail over HTTP (admins): read, verify, export as CSV.

use actix_web::{HttpResponse, get, web};

use super::{Entry, Filter, Verification};
use crate::auth::{Auth, Permission};
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;

/// Registers this module's API routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(list).service(export).service(verify);
}

/// Audit entries, oldest first, filtered and paged by `after_seq`.
#[utoipa::path(tag = "audit", params(Filter), responses((status = 200, description = "Success", body = Vec<Entry>), (status = 403, description = "The role may not do this", body = ErrorBody)))]
#[get("/audit")]
async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    filter: web::Query<Filter>,
) -> Result<web::Json<Vec<Entry>>, AppError> {
    auth.require(Permission::ReadAudit)?;
    auth.require_all_sites("the audit trail")?;
    let filter = filter.into_inner();
    Ok(web::Json(state.run(move |c| Ok(super::list(c, &filter)?)).await?))
}

/// The whole trail as CSV.
#[utoipa::path(tag = "audit", responses((status = 200, description = "Success", content_type = "text/csv", body = String), (status = 403, description = "The role may not do this", body = ErrorBody)))]
#[get("/audit/export")]
async fn export(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, AppError> {
    auth.require(Permission::ReadAudit)?;
    auth.require_all_sites("the audit trail")?;
    let csv = state
        .run(|c| {
            let mut out = Vec::new();
            super::export_csv(c, &mut out)?;
            Ok(out)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"audit-trail.csv\""))
        .body(csv))
}

/// Checks the hash chain and names the first changed, deleted or reordered entry.
#[utoipa::path(tag = "audit", responses((status = 200, description = "Success", body = Verification), (status = 403, description = "The role may not do this", body = ErrorBody)))]
#[get("/audit/verify")]
async fn verify(state: web::Data<AppState>, auth: Auth) -> Result<web::Json<Verification>, AppError> {
    auth.require(Permission::ReadAudit)?;
    auth.require_all_sites("the audit trail")?;
    Ok(web::Json(state.run(|c| Ok(super::verify(c)?)).await?))
}
