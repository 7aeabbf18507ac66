//! `ApiJson<T>`: a JSON body extractor whose errors name the offending field.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// A JSON request body, parsed only when the handler asks, after it has checked permissions:
/// actix runs extractors side by side, and a caller without the right must get 403 whatever
/// the body holds. Errors carry the path of the offending field (`roles[2]`, `email`).
#[derive(Debug)]
pub struct ApiJson<T> {
    body: Result<web::Bytes, AppError>,
    is_json: bool,
    _type: PhantomData<T>,
}

impl<T: DeserializeOwned> ApiJson<T> {
    /// The parsed body, or a 400/413 naming what is wrong with it.
    pub fn parse(self) -> Result<T, AppError> {
        let bytes = self.body?;
        if !self.is_json {
            return Err(AppError::BadRequest {
                field: None,
                message: "send the body as JSON with Content-Type: application/json".into(),
            });
        }
        parse(&bytes)
    }
}

impl<T: 'static> FromRequest for ApiJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req.content_type() == "application/json";
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body.await.map_err(|e| match e.as_response_error().status_code() {
                actix_web::http::StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
                _ => AppError::BadRequest { field: None, message: format!("could not read the body: {e}") },
            });
            Ok(ApiJson { body, is_json, _type: PhantomData })
        })
    }
}

/// Parses JSON, turning serde's error into a 400 that names the field.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| AppError::BadRequest { field: None, message: format!("the body is not JSON: {e}") })?;
    whole_numbers(&mut value);
    if let Some(field) = nul_at(&value, ".") {
        return Err(AppError::BadRequest {
            field: Some(field),
            message: "contains the NUL character (\\u0000), which nothing here can store".into(),
        });
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        // serde reports a missing field at its parent; the name is in the message.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .map(|name| if path == "." { name.to_owned() } else { format!("{path}.{name}") });
        let field = missing.or_else(|| (path != ".").then_some(path));
        AppError::BadRequest { field, message }
    })
}

/// Writes every number with no fractional part (`3.0`) as the integer it is: JSON has one number
/// type, and JSON Schema's `integer` (what the API document says) includes `3.0`, which serde
/// would refuse for an integer field.
fn whole_numbers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            // Exactly representable range only: beyond 2^53 a float is no longer a whole count.
            if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
                *value = serde_json::Value::from(f as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

/// Where a string or a key holds the NUL character, as a path (`answers.age`, `marks[2].status`):
/// PostgreSQL cannot store it in text, and both backends must answer alike.
fn nul_at(value: &serde_json::Value, path: &str) -> Option<String> {
    let join = |key: &str| if path == "." { key.to_owned() } else { format!("{path}.{key}") };
    match value {
        serde_json::Value::String(s) if s.contains('\0') => Some(path.to_owned()),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_at(v, &format!("{}[{i}]", path.trim_start_matches('.')))),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(k, v)| {
            if k.contains('\0') { Some(join(&k.replace('\0', "\\u0000"))) } else { nul_at(v, &join(k)) }
        }),
        _ => None,
    }
}

/// A time sent to the API, for `#[serde(deserialize_with)]`: RFC 3339 with an offset, as the
/// document's `date-time` says (`2026-12-03T13:48:13Z`, `…-05:00`), kept in UTC; a time without
/// an offset is taken as UTC, as earlier clients sent it.
pub fn utc_in<'de, D: serde::Deserializer<'de>>(d: D) -> Result<chrono::NaiveDateTime, D::Error> {
    let raw = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
    parse_utc(&raw).ok_or_else(|| {
        serde::de::Error::custom(format!("`{raw}` is not a date-time like 2026-12-03T13:48:13Z"))
    })
}

/// The same for a time that may be absent.
pub fn utc_in_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<chrono::NaiveDateTime>, D::Error> {
    let raw = <Option<std::borrow::Cow<'de, str>> as serde::Deserialize>::deserialize(d)?;
    raw.map(|raw| {
        parse_utc(&raw).ok_or_else(|| {
            serde::de::Error::custom(format!("`{raw}` is not a date-time like 2026-12-03T13:48:13Z"))
        })
    })
    .transpose()
}

fn parse_utc(raw: &str) -> Option<chrono::NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| t.naive_utc())
        .ok()
        .or_else(|| raw.parse::<chrono::NaiveDateTime>().ok())
}

/// A stored UTC time as JSON: RFC 3339 with `Z` (`2026-12-03T13:48:13.750361Z`). Times are kept
/// in UTC without an offset; written bare, a JavaScript client reads them as its local time.
pub fn utc<S: serde::Serializer>(t: &chrono::NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&t.and_utc().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

/// The same for a time that may be absent (`null`).
pub fn utc_opt<S: serde::Serializer>(t: &Option<chrono::NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => utc(t, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        count: u32,
    }

    fn field_of(json: &str) -> Option<String> {
        match parse::<Body>(json.as_bytes()) {
            Err(AppError::BadRequest { field, .. }) => field,
            _ => None,
        }
    }

    #[test]
    fn a_missing_field_is_named() {
        assert_eq!(field_of(r#"{"email": "a@b.org"}"#).as_deref(), Some("count"));
    }

    #[test]
    fn a_whole_number_written_with_a_point_is_an_integer() {
        let body: Body = parse(br#"{"email": "a@b.org", "count": 3.0}"#).expect("3.0 is 3");
        assert_eq!(body.count, 3);
        assert_eq!(field_of(r#"{"email": "a@b.org", "count": 3.5}"#).as_deref(), Some("count"));
    }

    #[test]
    fn the_nul_character_is_refused_naming_where_it_is() {
        assert_eq!(field_of(r#"{"email": "a\u0000b@c.org", "count": 1}"#).as_deref(), Some("email"));
        let value: serde_json::Value =
            serde_json::from_str(r#"{"marks": [{"s": "ok"}, {"s": "x\u0000"}]}"#).expect("json");
        assert_eq!(nul_at(&value, ".").as_deref(), Some("marks[1].s"));
    }

    #[test]
    fn times_with_an_offset_are_kept_in_utc_and_bare_ones_taken_as_utc() {
        let at = |raw: &str| parse_utc(raw).map(|t| t.to_string());
        assert_eq!(at("2026-12-03T13:48:13Z").as_deref(), Some("2026-12-03 13:48:13"));
        assert_eq!(at("2026-12-03T08:48:13-05:00").as_deref(), Some("2026-12-03 13:48:13"));
        assert_eq!(at("2026-12-03T13:48:13").as_deref(), Some("2026-12-03 13:48:13"));
        assert_eq!(at("yesterday"), None);
    }

    #[test]
    fn a_field_of_the_wrong_type_is_named() {
        assert_eq!(field_of(r#"{"email": "a@b.org", "count": "three"}"#).as_deref(), Some("count"));
    }
}
