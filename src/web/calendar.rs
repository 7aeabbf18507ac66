//! One's personal calendar address on the account page: made (shown once, with a `webcal:` link
//! that opens the calendar app), replaced, and revoked, through `groups::feed`.

use actix_web::{HttpResponse, post, web};
use serde::Deserialize;

use super::account::AccountPage;
use super::page::{staff_or_return, study_time};
use super::{RespondHtml, redirect};
use crate::auth::{Auth, Permission};
use crate::error::AppError;
use crate::groups::feed;
use crate::state::AppState;

/// The account's calendar address as the page describes it: when made, when a calendar app last
/// read it (study's zone).
pub(super) struct FeedRow {
    pub made: String,
    pub last_read: Option<String>,
}

/// The address, if the role may have one and the person made one.
pub(super) async fn row(state: &AppState, auth: &Auth) -> Result<Option<FeedRow>, AppError> {
    if !Permission::ReadGroups.allows(auth.user.role()) {
        return Ok(None);
    }
    let id = auth.user.id.clone();
    let (found, protocol) =
        state.run(move |c| Ok((feed::of(c, &id)?, crate::protocol::store::current_parsed(c)?.0))).await?;
    let tz = protocol.time_zone();
    Ok(found.map(|f| FeedRow {
        made: study_time(tz, f.created_at),
        last_read: f.last_read_at.map(|t| study_time(tz, t)),
    }))
}

/// A form that carries only the CSRF token.
#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf_token: String,
}

/// Makes (or replaces) the address. The answer is the account page showing it this once: the
/// secret must not sit in a redirect's URL.
#[post("/account/calendar")]
pub(super) async fn feed_made(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ReadGroups);
    auth.check_form_csrf(&form.csrf_token)?;
    let (ctx, id) = (auth.context(), auth.user.id.clone());
    let secret = state.write(move |c| Ok(feed::make(c, &ctx, &id)?)).await?;
    let address = format!("{}/calendar/{secret}.ics", state.public_url);
    let mut page = AccountPage::load(&state, &auth, None, None).await?;
    page.new_feed = Some((webcal(&address), address));
    Ok(page.respond_to_html())
}

/// The same address for the `webcal:` scheme, which calendar apps register to subscribe.
fn webcal(address: &str) -> String {
    let rest = address.split_once("://").map_or(address, |(_, rest)| rest);
    format!("webcal://{rest}")
}

#[post("/account/calendar/revoke")]
pub(super) async fn feed_revoked(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ReadGroups);
    auth.check_form_csrf(&form.csrf_token)?;
    let (ctx, id) = (auth.context(), auth.user.id.clone());
    state.write(move |c| Ok(feed::revoke(c, &ctx, &id)?)).await?;
    Ok(redirect("/account?done=calendar-revoked#calendar-h"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_webcal_address_is_the_same_address_under_the_webcal_scheme() {
        assert_eq!(
            super::webcal("https://td.example.org/calendar/ab.ics"),
            "webcal://td.example.org/calendar/ab.ics"
        );
    }
}
