//! The audit trail over HTTP (admins): read, verify, export as CSV.

use actix_web::{HttpResponse, get, web};

use super::{Entry, Filter, Verification};
use crate::auth::{Auth, Permission};
use crate::error::{AppError, ErrorBody};
use crate::exports::write::ChannelWriter;
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

/// The whole trail as CSV, streamed as it is read (a page of entries at a time), so a long trail
/// never sits whole in memory.
#[utoipa::path(tag = "audit", responses((status = 200, description = "Success", content_type = "text/csv", body = String), (status = 403, description = "The role may not do this", body = ErrorBody)))]
#[get("/audit/export")]
async fn export(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, AppError> {
    auth.require(Permission::ReadAudit)?;
    auth.require_all_sites("the audit trail")?;
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    let pool = state.pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut out = ChannelWriter::new(sender);
        let result = pool
            .get()
            .map_err(|e| anyhow::anyhow!("{e}"))
            .and_then(|mut conn| super::export_csv(&mut conn, &mut out))
            .and_then(|()| std::io::Write::flush(&mut out).map_err(Into::into));
        if let Err(e) = result {
            // The client sees the download end in an error rather than a file cut short.
            tracing::error!(error.kind = "audit_export", error.detail = %e, "the audit export failed while streaming");
            out.fail(e.to_string());
        }
    });
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"audit-trail.csv\""))
        .streaming(body))
}

/// Checks the hash chain and names the first changed, deleted or reordered entry.
#[utoipa::path(tag = "audit", responses((status = 200, description = "Success", body = Verification), (status = 403, description = "The role may not do this", body = ErrorBody)))]
#[get("/audit/verify")]
async fn verify(state: web::Data<AppState>, auth: Auth) -> Result<web::Json<Verification>, AppError> {
    auth.require(Permission::ReadAudit)?;
    auth.require_all_sites("the audit trail")?;
    Ok(web::Json(state.run(|c| Ok(super::verify(c)?)).await?))
}
