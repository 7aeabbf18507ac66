//! Refuses the NUL character anywhere a request carries text: in the address (`%00` in the path
//! or the query string) and in a form's body. PostgreSQL cannot store it in text, so it would
//! otherwise end as a 500 halfway through a write; SQLite would store it, and the two backends
//! must behave alike. JSON bodies are checked where they are parsed (`crate::json`), naming the
//! field.

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use futures_util::StreamExt;

use crate::error::AppError;

/// The largest form body read here; the form extractor's own limit (64 KiB) is lower.
const MAX_FORM_BYTES: usize = 256 * 1024;

fn has_encoded_nul(text: &[u8]) -> bool {
    text.windows(3).any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

fn refused(where_: &str) -> actix_web::Error {
    AppError::BadRequest {
        field: None,
        message: format!("the {where_} contains the NUL character (%00), which nothing here can store"),
    }
    .into()
}

/// The middleware: passes every request on unchanged unless it carries a NUL.
pub async fn refuse_nul(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if has_encoded_nul(req.uri().to_string().as_bytes()) {
        return Err(refused("address"));
    }
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/x-www-form-urlencoded"));
    if form {
        let mut payload = req.take_payload();
        let mut body = bytes::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk?;
            if body.len() + chunk.len() > MAX_FORM_BYTES {
                return Err(AppError::TooLarge.into());
            }
            body.extend_from_slice(&chunk);
        }
        if has_encoded_nul(&body) {
            return Err(refused("form"));
        }
        req.set_payload(Payload::from(body.freeze()));
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_encoded_nul_is_found_and_a_zero_is_not() {
        assert!(has_encoded_nul(b"/api/v1/participants/ab%00c"));
        assert!(has_encoded_nul(b"reason=a%00b"));
        assert!(!has_encoded_nul(b"reason=100%25+sure&n=0"));
        assert!(!has_encoded_nul(b"%2500"));
    }
}
