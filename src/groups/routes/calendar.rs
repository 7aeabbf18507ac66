//! The calendars over HTTP: the signed-in API's (`/api/v1/calendar`, `.ics`), and the personal
//! calendar address (`/calendar/{secret}.ics`), which needs no sign-in: the secret is the key.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Auth, Permission};
use crate::error::AppError;
use crate::groups::Group;
use crate::groups::attendance::Session;
use crate::groups::feed::{ics, owner, sessions_for};
use crate::state::AppState;

/// A session in a calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarEntry {
    #[serde(flatten)]
    pub session: Session,
    pub group_name: String,
    pub time_zone: String,
    /// The start on the group's wall clock, `YYYY-MM-DD HH:MM`.
    pub local_start: String,
}

/// Sessions of one's own groups (moderators) or of every group.
#[utoipa::path(tag = "sessions", responses((status = 200, description = "Success", body = Vec<CalendarEntry>)))]
#[get("/calendar")]
pub async fn calendar_json(
    state: web::Data<AppState>,
    auth: Auth,
) -> Result<web::Json<Vec<CalendarEntry>>, AppError> {
    auth.require(Permission::ReadGroups)?;
    let user = auth.user.clone();
    let rows = state.run(move |c| Ok(sessions_for(c, &user)?)).await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|(s, g)| {
                let tz: chrono_tz::Tz = g.time_zone.parse().unwrap_or(chrono_tz::UTC);
                CalendarEntry {
                    local_start: s
                        .starts_at
                        .and_utc()
                        .with_timezone(&tz)
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                    group_name: g.name,
                    time_zone: g.time_zone,
                    session: s,
                }
            })
            .collect(),
    ))
}

/// The same calendar as an iCalendar feed (RFC 5545), for scripts holding a token. Calendar apps
/// subscribe to the personal calendar address instead.
#[utoipa::path(tag = "sessions", responses((status = 200, description = "iCalendar", content_type = "text/calendar", body = String)))]
#[get("/calendar.ics")]
pub async fn calendar_ics(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, AppError> {
    auth.require(Permission::ReadGroups)?;
    let user = auth.user.clone();
    let rows = state.run(move |c| Ok(sessions_for(c, &user)?)).await?;
    Ok(calendar_response(&rows))
}

fn calendar_response(rows: &[(Session, Group)]) -> HttpResponse {
    HttpResponse::Ok().content_type("text/calendar; charset=utf-8").body(ics(rows, "trialdesk sessions"))
}

/// A personal calendar address: the secret in the path is the key. An unknown, replaced or
/// revoked address, or one of a disabled account, is 404.
#[get("/calendar/{secret}.ics")]
pub async fn personal_feed(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let secret = path.into_inner();
    let roles = state.two_factor_roles.clone();
    let rows = state
        .run(move |c| {
            let Some(user) = owner(c, &secret)? else { return Ok(None) };
            // An account whose role needs two-step sign-in reaches nothing but its own account
            // until it has set it up (after an admin's reset, say): its calendar neither.
            if roles.contains(&user.role()) && !crate::auth::two_factor::enabled(c, &user.id)? {
                return Ok(None);
            }
            Ok(Some(sessions_for(c, &user)?))
        })
        .await?;
    match rows {
        Some(rows) => Ok(calendar_response(&rows)),
        None => Err(AppError::NotFound("calendar address".into())),
    }
}
