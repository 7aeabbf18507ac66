//! Error answers to a person in a browser: a staff page that fails (a form that cannot be read, a
//! stale CSRF token, a conflict, a fault on our side) answers with a page in the layout, with a
//! title, a language and a way on, instead of the API's JSON body. API routes, the participant's
//! pages (which have their own) and files keep theirs.

use actix_session::SessionExt;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use askama::Template;

use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    tr: Tr,
    title: String,
    message: String,
}

/// The keys of what each status says to the person.
fn words(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "error-400",
        403 => "error-403",
        404 => "error-404",
        409 => "error-409",
        413 => "error-413",
        500..=599 => "error-500",
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
    let Some(key) = words(status.as_u16()).filter(|_| json && is_staff_page(&path)) else {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    };
    // The account is not loaded here; its language rides in the session (or the browser's).
    let tr = super::account::visitor_language(res.request(), &res.request().get_session());
    let (title, message) = (tr.t(&format!("{key}-title")), tr.t(&format!("{key}-text")));
    let html = ErrorPage { tr, message, title: title.clone() }.render().unwrap_or(title);
    let (req, mut res) = res.into_parts();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    let res = res.set_body(BoxBody::new(html));
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, res).map_into_right_body()))
}

/// The middleware: every error status a staff page can answer with.
pub fn pages<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(as_page)
}
