//! Error answers to a person in a browser: a staff page that fails (a form that cannot be read, a
//! stale CSRF token, a conflict, a fault on our side) answers with a page in the layout, with a
//! title, a language and a way on, instead of the API's JSON body. API routes, the participant's
//! pages (which have their own) and files keep theirs.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use askama::Template;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    title: &'static str,
    message: &'static str,
}

/// What each status says to the person.
fn words(status: u16) -> Option<(&'static str, &'static str)> {
    Some(match status {
        400 => (
            "The form could not be read",
            "Something in what was sent was not understood. Go back, check the form and send it again.",
        ),
        403 => (
            "The form had expired",
            "For your safety a form works only from the page it came from, for a limited time. Go back, reload the page and send it again.",
        ),
        404 => (
            "Not found",
            "There is nothing at this address. The link may be mistyped, or the page has moved.",
        ),
        409 => (
            "That cannot be done now",
            "The record changed since the page was shown. Go back and reload it to see where it stands.",
        ),
        413 => ("Too much was sent", "The form was larger than the server accepts."),
        500..=599 => (
            "Something went wrong on our side",
            "Nothing you did caused this, and nothing half-done was kept. The fault has been logged; try again in a moment, and tell the study's administrator if it happens again.",
        ),
        _ => return None,
    })
}

/// Whether a path is a staff page (not the API, a participant's page, a file or the health check).
fn is_staff_page(path: &str) -> bool {
    !["/api/", "/s/", "/static/", "/healthz"].iter().any(|p| path.starts_with(p))
}

fn as_page<B: MessageBody + 'static>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let status = res.status();
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    // Judged by the path as the router reads it, decoded: `/%61pi/…` reaches the API too.
    let path = percent_encoding::percent_decode_str(res.request().path()).decode_utf8_lossy().into_owned();
    let Some((title, message)) = words(status.as_u16()).filter(|_| json && is_staff_page(&path)) else {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    };
    let html = ErrorPage { title, message }.render().unwrap_or_else(|_| title.to_owned());
    let (req, mut res) = res.into_parts();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    let res = res.set_body(BoxBody::new(html));
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, res).map_into_right_body()))
}

/// The middleware: every error status a staff page can answer with.
pub fn pages<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(as_page)
}
