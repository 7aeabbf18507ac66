//! `GET /healthz`: is the server up and can it reach its database.

use actix_web::{HttpResponse, get, web};
use diesel::connection::SimpleConnection;
use serde::Serialize;

use crate::state::AppState;

/// Health of the server and its database.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    pub database: &'static str,
    pub version: &'static str,
}

/// Checks the database with a trivial query.
#[utoipa::path(tag = "health", responses((status = 200, description = "Success", body = Health), (status = 503, description = "Unavailable", body = Health)))]
#[get("/healthz")]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let ok = state.run(|c| Ok(c.batch_execute("SELECT 1").is_ok())).await.unwrap_or(false);
    let body = Health {
        status: if ok { "ok" } else { "unavailable" },
        database: if ok { "reachable" } else { "unreachable" },
        version: env!("CARGO_PKG_VERSION"),
    };
    if ok { HttpResponse::Ok().json(body) } else { HttpResponse::ServiceUnavailable().json(body) }
}
