//! What every staff page handler shares: the sign-in gate as one line, the problems of a refused
//! form kept beside their fields, statuses on rendered pages, times in the study's zone, and QR
//! codes.

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use chrono::NaiveDateTime;

use crate::error::AppError;
use crate::i18n::{Lang, Tr};
use crate::protocol::Protocol;

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

    /// A service's refusal as a problem of the form, in the reader's language: a validation
    /// error beside its field, a conflict at the top. Anything else is not the user's to fix and
    /// stays an error.
    pub fn from_refusal(tr: Tr, e: AppError) -> Result<(Problems, StatusCode), AppError> {
        let status = actix_web::ResponseError::status_code(&e);
        let mut p = Problems::default();
        match e {
            AppError::Validation { field, message } => {
                let message = refusal_words(tr, &refusal_key(&field, &message), message);
                p.add(field, message)
            }
            AppError::Conflict { code, message } => {
                p.add(Self::FORM, refusal_words(tr, &format!("refusal-{code}"), message))
            }
            other => return Err(other),
        }
        Ok((p, status))
    }
}

/// The key of a service's validation message: by field, and for the fields whose messages differ
/// in kind (no contact at all or an address that is not one; a time in the future or before
/// enrolment), by that too.
fn refusal_key(field: &str, message: &str) -> String {
    let kind = match (field, message) {
        ("email", m) if m.starts_with("give") => return "refusal-contact".to_owned(),
        ("attempted_at", m) if m.contains("future") => "-future",
        ("attempted_at", _) => "-before-enrolment",
        _ => "",
    };
    format!("refusal-{}{kind}", field.replace('_', "-"))
}

/// A service's refusal as the reader reads it. Services write English and name the record
/// ("CON-0007 has withdrawn"), so English readers get those exact words; another language gets
/// the phrase its locale has for the refusal (without the particulars), else the English.
fn refusal_words(tr: Tr, key: &str, english: String) -> String {
    if tr.language() == Lang::En { english } else { tr.or(key, &english) }
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

/// A select of the form: field name, label, options (value, label).
pub struct Select {
    pub name: String,
    pub label: String,
    pub options: Vec<(String, String)>,
}

/// The time zone choice: the study's first (stored as none), then the zones US participants
/// live in. The API takes any IANA name.
pub fn time_zone_select(protocol: &Protocol, tr: Tr) -> Select {
    let zones = [
        ("America/New_York", tr.t("enrol-zone-eastern")),
        ("America/Chicago", tr.t("enrol-zone-central")),
        ("America/Denver", tr.t("enrol-zone-mountain")),
        ("America/Phoenix", tr.t("enrol-zone-arizona")),
        ("America/Los_Angeles", tr.t("enrol-zone-pacific")),
        ("America/Anchorage", tr.t("enrol-zone-alaska")),
        ("Pacific/Honolulu", tr.t("enrol-zone-hawaii")),
        ("America/Puerto_Rico", tr.t("enrol-zone-atlantic")),
    ];
    let study = protocol.study.time_zone.get_ref();
    let mut options = vec![(String::new(), tr.a("enrol-zone-study", "zone", study))];
    options.extend(zones.into_iter().filter(|(z, _)| z != study).map(|(z, l)| (z.to_owned(), l)));
    Select { name: "time_zone".into(), label: tr.t("enrol-zone"), options }
}

/// A QR code as inline SVG: crisp at any size, nothing for the page to fetch.
pub(crate) fn qr_svg(text: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    Ok(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).quiet_zone(true).build())
}
