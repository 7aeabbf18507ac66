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

#[cfg(test)]
mod tests {
    use super::{AgeBand, DiseaseCourse, Ethnicity, Race, Sex};

    /// Every value of `T`, as serde writes it, from an exhaustive match: a new variant fails to
    /// compile here until it is listed, and then fails the test until the protocol lists it too.
    fn names<T: serde::Serialize>(all: &[T]) -> Vec<String> {
        all.iter()
            .map(|v| {
                serde_json::to_value(v).ok().and_then(|j| j.as_str().map(str::to_owned)).unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn the_values_an_affinity_tag_may_name_are_exactly_those_enrolment_records() {
        use DiseaseCourse as D;
        let course = |d: D| match d {
            D::ClinicallyIsolated
            | D::RelapsingRemitting
            | D::SecondaryProgressive
            | D::PrimaryProgressive
            | D::Unknown => d,
        };
        let race = |r: Race| match r {
            Race::AmericanIndianAlaskaNative
            | Race::Asian
            | Race::Black
            | Race::NativeHawaiianPacificIslander
            | Race::White
            | Race::MoreThanOne
            | Race::Other
            | Race::PreferNotToSay => r,
        };
        let sex = |x: Sex| match x {
            Sex::Female | Sex::Male | Sex::Intersex | Sex::PreferNotToSay => x,
        };
        use AgeBand as A;
        let age = |a: A| match a {
            A::From18To29
            | A::From30To39
            | A::From40To49
            | A::From50To59
            | A::From60To69
            | A::From70To79
            | A::From80To89
            | A::From90 => a,
        };
        let ethnicity = |e: Ethnicity| match e {
            Ethnicity::HispanicLatinx | Ethnicity::NotHispanicLatinx | Ethnicity::PreferNotToSay => e,
        };
        let expected: Vec<(&str, Vec<String>)> = vec![
            ("newly_diagnosed", vec!["true".into(), "false".into()]),
            (
                "disease_course",
                names(
                    &[
                        D::ClinicallyIsolated,
                        D::RelapsingRemitting,
                        D::SecondaryProgressive,
                        D::PrimaryProgressive,
                        D::Unknown,
                    ]
                    .map(course),
                ),
            ),
            ("sex", names(&[Sex::Female, Sex::Male, Sex::Intersex, Sex::PreferNotToSay].map(sex))),
            (
                "age_band",
                names(
                    &[
                        AgeBand::From18To29,
                        AgeBand::From30To39,
                        AgeBand::From40To49,
                        AgeBand::From50To59,
                        AgeBand::From60To69,
                        AgeBand::From70To79,
                        AgeBand::From80To89,
                        AgeBand::From90,
                    ]
                    .map(age),
                ),
            ),
            (
                "race",
                names(
                    &[
                        Race::AmericanIndianAlaskaNative,
                        Race::Asian,
                        Race::Black,
                        Race::NativeHawaiianPacificIslander,
                        Race::White,
                        Race::MoreThanOne,
                        Race::Other,
                        Race::PreferNotToSay,
                    ]
                    .map(race),
                ),
            ),
            (
                "ethnicity",
                names(
                    &[Ethnicity::HispanicLatinx, Ethnicity::NotHispanicLatinx, Ethnicity::PreferNotToSay]
                        .map(ethnicity),
                ),
            ),
        ];
        let listed: Vec<(&str, Vec<String>)> = crate::protocol::tags::FIELDS
            .iter()
            .map(|(f, values)| (*f, values.iter().map(|v| (*v).to_owned()).collect()))
            .collect();
        assert_eq!(listed, expected);
    }
}
