//! Server-rendered pages for staff: the shell every page shares (sign-in gate, 403 and 404
//! pages, files), with the overview in `home` and sign-in and one's own account in `account`.

mod account;
mod calendar;
pub mod errors;
pub mod health;
mod home;
pub mod nul;
pub mod page;
mod staff;
mod tokens;
mod two_factor;

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::extract::Via;
use crate::auth::{Auth, Permission};
use crate::error::AppError;
use crate::i18n::Tr;

/// Registers the pages and their stylesheet.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(home::home)
        .service(account::login_form)
        .service(account::login_submit)
        .service(account::logout)
        .service(account::account_page)
        .service(account::password_form)
        .service(account::password_submit)
        .service(account::language_submit)
        .service(two_factor::code_form)
        .service(two_factor::code_submit)
        .service(two_factor::setup_page)
        .service(two_factor::setup_begun)
        .service(two_factor::setup_confirmed)
        .service(two_factor::changed)
        .service(staff::staff_list)
        .service(staff::staff_made)
        .service(staff::staff_one)
        .service(staff::staff_token_revoked)
        .service(staff::staff_changed)
        .service(tokens::token_made)
        .service(tokens::token_revoked)
        .service(calendar::feed_made)
        .service(calendar::feed_revoked)
        .service(crate::groups::routes::calendar::personal_feed)
        .service(stylesheet)
        .service(copy_script)
        .configure(crate::desk::pages::routes)
        .configure(crate::groups::pages::routes)
        .configure(crate::safety::pages::routes)
        .configure(crate::assessments::pages::routes)
        .configure(crate::reports::pages::routes)
        .configure(crate::exports::pages::routes)
        .configure(crate::audit::pages::routes)
        .configure(crate::protocol::pages::routes)
        .configure(crate::outbox::pages::routes)
        .configure(crate::randomisation::pages::routes);
}

pub(crate) fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

/// The signed-in user of a page; `None` sends the visitor to the sign-in page.
fn signed_in(auth: Result<Auth, AppError>) -> Result<Option<Auth>, AppError> {
    match auth {
        Ok(a) => Ok(Some(a)),
        Err(AppError::Unauthenticated) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A staff page's signed-in user holding `permission`; `Err` is the page to show instead (sign in,
/// or choose a password first). Without the permission: 403.
pub(crate) fn staff_page(
    auth: Result<Auth, AppError>,
    permission: Permission,
) -> Result<Result<Auth, HttpResponse>, AppError> {
    let Some(auth) = signed_in(auth)? else { return Ok(Err(redirect("/login"))) };
    if auth.user.must_change_password {
        return Ok(Err(redirect("/account/password")));
    }
    if auth.two_factor_missing() {
        return Ok(Err(redirect("/account/two-factor")));
    }
    if !permission.allows(auth.user.role()) {
        // A person who followed a link gets a page in the shell, not the API's JSON body.
        let tr = auth.tr();
        let page = ForbiddenPage {
            role: auth.user.role().to_string(),
            csrf_token: csrf_of(&auth),
            what: tr.or(&format!("permission-{}", permission.name().replace(' ', "-")), permission.name()),
            tr,
        };
        let mut response = page.respond_to_html();
        *response.status_mut() = actix_web::http::StatusCode::FORBIDDEN;
        return Ok(Err(response));
    }
    Ok(Ok(auth))
}

#[derive(Template, WebTemplate)]
#[template(path = "forbidden.html")]
struct ForbiddenPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    what: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "not_found.html")]
struct NotFoundPage<'a> {
    tr: Tr,
    role: String,
    csrf_token: String,
    what: String,
    back: &'a str,
    back_label: String,
}

/// A staff page's answer for a record that does not exist or lies outside the account's sites
/// (the two look the same): a 404 page with the shell and a way back, not the API's JSON body.
pub(crate) fn not_found_page(auth: &Auth, what: &str, back: &str, back_label: &str) -> HttpResponse {
    // Callers name the thing and the way back in English; the reader's language has them as
    // `thing-…` and `way-…` keys (an unknown one shows as given).
    let tr = auth.tr();
    let slug = |s: &str| s.to_lowercase().replace(' ', "-");
    let page = NotFoundPage {
        tr,
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(auth),
        what: tr.or(&format!("thing-{}", slug(what)), what),
        back,
        back_label: tr.or(&format!("way-{}", slug(back_label)), back_label),
    };
    let mut response = page.respond_to_html();
    *response.status_mut() = actix_web::http::StatusCode::NOT_FOUND;
    response
}

pub(crate) fn csrf_of(auth: &Auth) -> String {
    match &auth.via {
        Via::Session { csrf } => csrf.clone(),
        Via::Token { .. } => String::new(),
    }
}

#[get("/static/app.css")]
async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../static/app.css"))
}

/// The copy button's script: a file, so the Content-Security-Policy needs no inline script.
#[get("/static/copy.js")]
async fn copy_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../static/copy.js"))
}

/// Renders a template, or a plain 500 if rendering fails (it cannot for these fixed templates).
pub(crate) trait RespondHtml {
    fn respond_to_html(&self) -> HttpResponse;
}

impl<T: Template> RespondHtml for T {
    fn respond_to_html(&self) -> HttpResponse {
        match self.render() {
            Ok(body) => HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body),
            Err(e) => actix_web::ResponseError::error_response(&AppError::Internal(e.into())),
        }
    }
}
