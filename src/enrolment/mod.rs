//! Screening log, enrolment with pseudonymous study ids, contact details kept apart, consent and
//! withdrawal. Randomisation (`crate::randomisation`) builds on the records made here.

pub mod attempts;
pub mod consent;
pub mod consent_copy;
pub mod contacts;
pub mod details;
pub mod participants;
pub mod routes;
pub mod screening;
pub mod summary;
pub mod timeline;
pub mod transfer;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Race, in the categories NIH reporting uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Race {
    AmericanIndianAlaskaNative,
    Asian,
    Black,
    NativeHawaiianPacificIslander,
    White,
    MoreThanOne,
    Other,
    PreferNotToSay,
}

/// Ethnicity, in the categories NIH reporting uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Ethnicity {
    HispanicLatinx,
    NotHispanicLatinx,
    PreferNotToSay,
}

/// Sex recorded for reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    Intersex,
    PreferNotToSay,
}

/// Age band (ages over 89 are never recorded more precisely, as HIPAA Safe Harbor asks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum AgeBand {
    #[serde(rename = "18-29")]
    From18To29,
    #[serde(rename = "30-39")]
    From30To39,
    #[serde(rename = "40-49")]
    From40To49,
    #[serde(rename = "50-59")]
    From50To59,
    #[serde(rename = "60-69")]
    From60To69,
    #[serde(rename = "70-79")]
    From70To79,
    #[serde(rename = "80-89")]
    From80To89,
    #[serde(rename = "90+")]
    From90,
}

/// MS disease course.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiseaseCourse {
    ClinicallyIsolated,
    RelapsingRemitting,
    SecondaryProgressive,
    PrimaryProgressive,
    Unknown,
}

/// Where a participant stands, derived from their records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Enrolled, not yet consented (to the form in force).
    Enrolled,
    Consented,
    Randomised,
    Withdrawn,
}

/// The text form of a serde enum value (`"relapsing_remitting"`), for storing in TEXT columns.
pub fn enum_text<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}
