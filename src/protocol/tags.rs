//! Affinity tags: kinds of support group some participants are offered ("newly diagnosed",
//! "later stage"), defined by the protocol, each given by the values of one enrolment field. A
//! tagged group takes only participants who carry all its tags.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::toml_file::LocalText;

/// One affinity tag.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AffinityTag {
    pub id: Spanned<String>,
    /// Its name on staff pages and in the group's description, in every study language.
    pub label: Spanned<LocalText>,
    /// The enrolment field that gives it: one of `FIELDS`, or a stratification factor's id.
    pub field: Spanned<String>,
    /// The values of `field` that give it (`true` or `false` for `newly_diagnosed`).
    pub values: Spanned<Vec<Spanned<toml::Value>>>,
}

/// The participant's enrolment fields a tag may be given by (besides stratification factors and
/// `preferred_language`, whose values are the protocol's own), with the values each takes as the
/// enrolment record stores them. The protocol sits below enrolment, so it keeps its own list; a
/// test in `enrolment` holds it to enrolment's types.
pub const FIELDS: &[(&str, &[&str])] = &[
    ("newly_diagnosed", &["true", "false"]),
    (
        "disease_course",
        &[
            "clinically_isolated",
            "relapsing_remitting",
            "secondary_progressive",
            "primary_progressive",
            "unknown",
        ],
    ),
    ("sex", &["female", "male", "intersex", "prefer_not_to_say"]),
    ("age_band", &["18-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80-89", "90+"]),
    (
        "race",
        &[
            "american_indian_alaska_native",
            "asian",
            "black",
            "native_hawaiian_pacific_islander",
            "white",
            "more_than_one",
            "other",
            "prefer_not_to_say",
        ],
    ),
    ("ethnicity", &["hispanic_latinx", "not_hispanic_latinx", "prefer_not_to_say"]),
];

impl AffinityTag {
    /// Whether a participant whose `field` is `value` (as stored: `true`, `secondary_progressive`)
    /// carries the tag.
    pub fn given_by(&self, value: &str) -> bool {
        self.values.get_ref().iter().any(|v| value_text(v.get_ref()).as_deref() == Some(value))
    }

    /// The tag's name in `lang`, else English, else its id.
    pub fn label_in(&self, lang: &str) -> &str {
        let text = self.label.get_ref();
        text.get(lang).or_else(|| text.get("en")).unwrap_or(self.id.get_ref())
    }
}

/// A value as the enrolment record stores it: booleans as `true`/`false`, text as it is.
pub fn value_text(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::Boolean(b) => Some(b.to_string()),
        toml::Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

impl super::GroupSettings {
    /// A tag by id.
    pub fn tag(&self, id: &str) -> Option<&AffinityTag> {
        self.affinity_tags.iter().find(|t| t.id.get_ref() == id)
    }

    /// A tag's name in `lang` (an id the protocol no longer has shows as itself).
    pub fn tag_label(&self, id: &str, lang: &str) -> String {
        self.tag(id).map_or_else(|| id.replace('_', " "), |t| t.label_in(lang).to_owned())
    }
}
