//! The protocol over HTTP: read the version in force and its history; amend (admins).

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::store::{self, StoredProtocol};
use crate::auth::routes::required_reason;
use crate::auth::{Auth, Permission, Role};
use crate::blinding::Sight;
use crate::error::{AppError, ErrorBody};
use crate::json::ApiJson;
use crate::state::AppState;

/// Registers this module's API routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(current).service(versions).service(version).service(amend);
}

/// A protocol version with its parsed content.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProtocolView {
    #[serde(flatten)]
    pub stored: StoredProtocol,
    /// The protocol as JSON (the same fields as the TOML file).
    #[schema(value_type = Object)]
    pub parsed: serde_json::Value,
    /// When randomisation started; from then on arms, strata and method are frozen.
    #[serde(serialize_with = "crate::json::utc_opt")]
    pub randomisation_started_at: Option<chrono::NaiveDateTime>,
}

/// A version as a reader may see it. `sight` comes from the protocol in force, whichever version
/// is read: an older version's `[blinding]` must not unblind someone the current one keeps blind.
fn view(
    stored: StoredProtocol,
    started: Option<chrono::NaiveDateTime>,
    sight: Sight,
) -> Result<ProtocolView, AppError> {
    let parsed = sight.protocol_json(&*stored.parsed()?).map_err(|e| AppError::Internal(e.into()))?;
    Ok(ProtocolView { stored: text_for(stored, sight), parsed, randomisation_started_at: started })
}

/// What `role` may see under the protocol in force.
fn sight_now(c: &mut crate::db::DbConn, role: Role) -> Result<Sight, crate::service_error::ServiceError> {
    Ok(Sight::of(&store::current_parsed(c)?.0, role))
}

/// The stored version as a reader may see it: blinded readers and recruiters (coordinators) do
/// not get the raw text (it names the arms and holds the block sizes).
fn text_for(mut stored: StoredProtocol, sight: Sight) -> StoredProtocol {
    if !sight.shows_allocation_parameters() {
        stored.content = String::new();
    }
    stored
}

/// The protocol in force.
#[utoipa::path(tag = "protocol", responses((status = 200, description = "Success", body = ProtocolView), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/protocol")]
async fn current(state: web::Data<AppState>, auth: Auth) -> Result<web::Json<ProtocolView>, AppError> {
    let role = auth.require(Permission::ReadProtocol)?;
    let (stored, started, sight) = state
        .run(move |c| Ok((store::current(c)?, store::randomisation_started(c)?, sight_now(c, role)?)))
        .await?;
    let stored = stored.ok_or_else(|| AppError::NotFound("protocol".into()))?;
    Ok(web::Json(view(stored, started, sight)?))
}

/// Every protocol version, oldest first.
#[utoipa::path(tag = "protocol", responses((status = 200, description = "Success", body = Vec<StoredProtocol>)))]
#[get("/protocol/versions")]
async fn versions(
    state: web::Data<AppState>,
    auth: Auth,
) -> Result<web::Json<Vec<StoredProtocol>>, AppError> {
    let role = auth.require(Permission::ReadProtocol)?;
    let (all, sight) = state.run(move |c| Ok((store::list(c)?, sight_now(c, role)?))).await?;
    Ok(web::Json(all.into_iter().map(|s| text_for(s, sight)).collect()))
}

/// One protocol version.
#[utoipa::path(tag = "protocol", params(("version" = i32, Path, description = "version number")),
    responses((status = 200, description = "Success", body = ProtocolView), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/protocol/versions/{version}")]
async fn version(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<ProtocolView>, AppError> {
    let role = auth.require(Permission::ReadProtocol)?;
    // Anything but a version number names no version: 404, as an unknown number does.
    let Ok(number) = path.parse::<i32>() else {
        return Err(AppError::NotFound(format!("protocol version {path}")));
    };
    let (stored, started, sight) = state
        .run(move |c| Ok((store::get(c, number)?, store::randomisation_started(c)?, sight_now(c, role)?)))
        .await?;
    let stored = stored.ok_or_else(|| AppError::NotFound(format!("protocol version {number}")))?;
    Ok(web::Json(view(stored, started, sight)?))
}

/// A protocol amendment: the whole new TOML text and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Amendment {
    #[schema(min_length = 1, pattern = r"\S")]
    pub content: String,
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
}

/// Record an amendment as a new version (refused if it changes arms, strata or method after
/// randomisation has started).
#[utoipa::path(tag = "protocol", request_body = Amendment,
    responses((status = 201, description = "Created", body = StoredProtocol), (status = 409, description = "Conflicts with the current state", body = ErrorBody), (status = 422, description = "the protocol has problems; each with line and column", body = ErrorBody)))]
#[post("/protocol/versions")]
async fn amend(
    state: web::Data<AppState>,
    auth: Auth,
    body: ApiJson<Amendment>,
) -> Result<HttpResponse, AppError> {
    auth.require(Permission::AmendProtocol)?;
    let body = body.parse()?;
    let reason = required_reason(&body.reason)?;
    let ctx = auth.context();
    let library = state.instruments.clone();
    let stored = state.write(move |c| Ok(store::amend(c, &ctx, &library, &body.content, &reason)?)).await?;
    Ok(HttpResponse::Created().json(stored))
}
