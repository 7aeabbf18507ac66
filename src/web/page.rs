//! What every staff page handler shares: the sign-in gate as one line, the problems of a refused
//! form kept beside their fields, statuses on rendered pages, and times in the study's zone.

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use chrono::NaiveDateTime;

use crate::error::AppError;

/// The page's signed-in user holding the permission, or return the page to show instead (sign
/// in, choose a password, or 403).
macro_rules! staff_or_return {
    ($auth:expr, $permission:expr) => {
        match crate::web::staff_page($auth, $permission)? {
            Ok(a) => a,
            Err(page) => return Ok(page),
        }
    };
}
pub(crate) use staff_or_return;

/// Why a form was refused, by field; `FORM` holds what concerns the whole form.
#[derive(Debug, Clone, Default)]
pub struct Problems(BTreeMap<String, String>);

impl Problems {
    /// The key for a problem that belongs to no one field (a conflict, say).
    pub const FORM: &'static str = "_form";

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    /// Whether `field` has a problem (for `aria-invalid`).
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every problem, for the summary at the top of the form.
    pub fn all(&self) -> Vec<(&str, &str)> {
        self.0.iter().map(|(f, m)| (f.as_str(), m.as_str())).collect()
    }

    /// A service's refusal as a problem of the form: a validation error beside its field, a
    /// conflict at the top. Anything else is not the user's to fix and stays an error.
    pub fn from_refusal(e: AppError) -> Result<(Problems, StatusCode), AppError> {
        let status = actix_web::ResponseError::status_code(&e);
        let mut p = Problems::default();
        match e {
            AppError::Validation { field, message } => p.add(field, message),
            AppError::Conflict { message, .. } => p.add(Self::FORM, message),
            other => return Err(other),
        }
        Ok((p, status))
    }
}

/// A rendered page with another status (a refused form: 422 or 409).
pub fn with_status(mut response: HttpResponse, status: StatusCode) -> HttpResponse {
    *response.status_mut() = status;
    response
}

/// A UTC time as the study team reads it: in the study's zone, named (`2026-12-03 09:00 EST`).
pub fn study_time(tz: chrono_tz::Tz, t: NaiveDateTime) -> String {
    t.and_utc().with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// The day of a UTC time in the study's zone.
pub fn study_day(tz: chrono_tz::Tz, t: NaiveDateTime) -> String {
    t.and_utc().with_timezone(&tz).format("%Y-%m-%d").to_string()
}
