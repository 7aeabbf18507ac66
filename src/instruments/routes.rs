//! The instrument library over HTTP: what each questionnaire asks, and how it is scored.

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Auth, Permission};
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;

/// Registers this module's API routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(list_instruments).service(get_instrument);
}

/// An instrument in the library, in brief.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstrumentSummary {
    pub id: String,
    pub short_name: String,
    pub name: String,
    pub version: String,
    pub languages: Vec<String>,
    pub items: usize,
    pub scored_items: usize,
    pub min: i32,
    pub max: i32,
    pub licence: String,
    pub citation: String,
}

/// The instruments this server knows (bundled and the study's own).
#[utoipa::path(tag = "instruments", responses((status = 200, description = "Success", body = Vec<InstrumentSummary>)))]
#[get("/instruments")]
async fn list_instruments(
    state: web::Data<AppState>,
    auth: Auth,
) -> Result<web::Json<Vec<InstrumentSummary>>, AppError> {
    auth.require(Permission::ReadProtocol)?;
    let out = state
        .instruments
        .all()
        .map(|i| InstrumentSummary {
            id: i.id().to_owned(),
            short_name: i.short_name.clone(),
            name: super::local(i.name.get_ref(), "en").to_owned(),
            version: i.version.clone(),
            languages: i.languages().map(str::to_owned).collect(),
            items: i.items.get_ref().len(),
            scored_items: i.scored_items().count(),
            min: *i.scoring.min.get_ref(),
            max: *i.scoring.max.get_ref(),
            licence: i.licence.clone(),
            citation: i.citation.clone(),
        })
        .collect();
    Ok(web::Json(out))
}

/// One instrument in full: wording in every language, options, scoring, bands and alert rules.
#[utoipa::path(tag = "instruments", params(("id" = String, Path, description = "instrument id, e.g. phq9")),
    responses((status = 200, description = "The instrument, as in its file", body = Object), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/instruments/{id}")]
async fn get_instrument(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<serde_json::Value>, AppError> {
    auth.require(Permission::ReadProtocol)?;
    let inst =
        state.instruments.get(&path.into_inner()).ok_or_else(|| AppError::NotFound("instrument".into()))?;
    Ok(web::Json(serde_json::to_value(inst.as_ref()).map_err(|e| AppError::Internal(e.into()))?))
}
