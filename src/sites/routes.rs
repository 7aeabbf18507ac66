//! Sites over HTTP: every staff member may list them; admins create and close them.

use actix_web::{HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{NewSite, Site, SiteChange};
use crate::auth::routes::required_reason;
use crate::auth::{Auth, Permission};
use crate::error::{AppError, ErrorBody};
use crate::json::ApiJson;
use crate::state::AppState;

/// Registers this module's API routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(list_sites).service(create_site).service(update_site).service(close_site);
}

/// Every site of the study, open and closed, by code.
#[utoipa::path(tag = "sites", responses((status = 200, description = "Success", body = Vec<Site>)))]
#[get("/sites")]
async fn list_sites(state: web::Data<AppState>, auth: Auth) -> Result<web::Json<Vec<Site>>, AppError> {
    auth.require(Permission::ReadProtocol)?;
    Ok(web::Json(state.run(|c| Ok(super::list(c)?)).await?))
}

/// Add a recruiting site.
#[utoipa::path(tag = "sites", request_body = NewSite,
    responses((status = 201, description = "Created", body = Site),
        (status = 409, description = "A site with this code exists (`site_exists`)", body = ErrorBody),
        (status = 422, description = "Validation failed; `field` names the culprit", body = ErrorBody)))]
#[post("/sites")]
async fn create_site(
    state: web::Data<AppState>,
    auth: Auth,
    body: ApiJson<NewSite>,
) -> Result<HttpResponse, AppError> {
    auth.require(Permission::ManageSites)?;
    let (ctx, new) = (auth.context(), body.parse()?);
    let site = state.write(move |c| Ok(super::create(c, &ctx, new)?)).await?;
    Ok(HttpResponse::Created().json(site))
}

/// Why a site closes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    /// Kept in the audit trail.
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
}

/// Close a site to new screenings and enrolments; its participants carry on.
#[utoipa::path(tag = "sites", params(("code" = String, Path, description = "site code")), request_body = Closure,
    responses((status = 200, description = "Closed", body = Site),
        (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "Already closed (`site_closed`)", body = ErrorBody)))]
#[post("/sites/{code}/closure")]
async fn close_site(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<Closure>,
) -> Result<web::Json<Site>, AppError> {
    auth.require(Permission::ManageSites)?;
    let reason = required_reason(&body.parse()?.reason)?;
    let (ctx, code) = (auth.context(), path.into_inner());
    Ok(web::Json(state.write(move |c| Ok(super::close(c, &ctx, &code, &reason)?)).await?))
}

/// Rename a site or set its recruitment target (reason required, audited).
#[utoipa::path(tag = "sites", params(("code" = String, Path, description = "site code")), request_body = SiteChange,
    responses((status = 200, description = "Changed", body = Site),
        (status = 404, description = "Not found", body = ErrorBody),
        (status = 422, description = "Validation failed; `field` names the culprit", body = ErrorBody)))]
#[patch("/sites/{code}")]
async fn update_site(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: ApiJson<SiteChange>,
) -> Result<web::Json<Site>, AppError> {
    auth.require(Permission::ManageSites)?;
    let mut change = body.parse()?;
    change.reason = required_reason(&change.reason)?;
    let (ctx, code) = (auth.context(), path.into_inner());
    Ok(web::Json(state.write(move |c| Ok(super::update(c, &ctx, &code, &change)?)).await?))
}
