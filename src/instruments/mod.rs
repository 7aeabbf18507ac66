//! The instrument library: questionnaires as data files (`instruments/*.toml`), with their
//! wording in each language, answer options, scoring, bands, prorating rule and alerts.
//!
//! The bundled files are compiled in; a study adds its own by putting files of the same format in
//! `instruments_dir`. Parsing and checking live in `check`, scoring and alert rules in `scoring`.

pub mod check;
pub mod routes;
pub mod scoring;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use toml::Spanned;

pub use check::check;

use crate::db::text_enum::text_enum;
use crate::toml_file::LocalText;

/// The instruments shipped with the binary, as (file name, text).
pub const BUNDLED: [(&str, &str); 3] = [
    ("phq9.toml", include_str!("../../instruments/phq9.toml")),
    ("gad7.toml", include_str!("../../instruments/gad7.toml")),
    ("ucla3.toml", include_str!("../../instruments/ucla3.toml")),
];

/// One answer a participant may give.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerOption {
    pub value: Spanned<i32>,
    pub label: Spanned<LocalText>,
}

/// One question.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: Spanned<String>,
    pub text: Spanned<LocalText>,
    pub loinc: Option<String>,
    /// Whether the item counts towards the total.
    #[serde(default = "yes")]
    pub scored: Spanned<bool>,
    /// Never imputed by prorating: when it is missing, there is no total.
    #[serde(default = "no")]
    pub never_impute: Spanned<bool>,
    /// Unscored items only: asked only when some scored item's answer is above this value.
    pub show_if_any_scored_above: Option<Spanned<i32>>,
    /// Left out when any of these instruments is in the same visit (it asks the same question).
    #[serde(default)]
    pub omit_with: Vec<Spanned<String>>,
    /// The item's own options, when they differ from the instrument's.
    pub options: Option<Spanned<Vec<AnswerOption>>>,
}

fn yes() -> Spanned<bool> {
    Spanned::new(0..0, true)
}

fn no() -> Spanned<bool> {
    Spanned::new(0..0, false)
}

/// A severity band of the total.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub min: Spanned<i32>,
    pub max: Spanned<i32>,
    pub label: Spanned<LocalText>,
}

/// How the total is computed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    pub min: Spanned<i32>,
    pub max: Spanned<i32>,
    /// Prorating: with up to this many scored items missing, the total is the answered items'
    /// sum scaled to all items (rounded half up); with more, there is no total.
    pub max_missing: Spanned<i32>,
    pub bands: Spanned<Vec<Band>>,
    /// Which direction of the total is better for the participant; the trial report says so
    /// beside the instrument's outcomes. Absent: the report says nothing about direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub better: Option<Better>,
}

/// The direction of a total that is better for the participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Lower,
    Higher,
}

/// What an alert rule tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// The item's answer (or the total) is at least `value`.
    AtLeast,
    /// The item was not answered.
    Missing,
    /// The total is at least `value` above the participant's baseline total.
    IncreaseFromBaseline,
}

text_enum! {
    /// How urgently someone must act on an alert.
    pub enum Severity {
        /// Recorded with the score; nobody is told.
        Info = "info",
        /// The study clinician is told and must acknowledge within the protocol's notify window.
        Notify = "notify",
        /// Same-day: the clinician is told at once and the alert escalates if unacknowledged.
        Urgent = "urgent",
    }
}

impl Severity {
    /// Same-day alerts, shown first and marked as urgent on every page.
    pub fn is_urgent(self) -> bool {
        self == Severity::Urgent
    }
}

/// An answer or total that needs a person's attention.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    pub id: Spanned<String>,
    /// An item id, or `total`.
    pub item: Spanned<String>,
    pub when: Spanned<Condition>,
    pub value: Option<Spanned<i32>>,
    pub severity: Spanned<Severity>,
    /// Show the participant crisis resources at once.
    #[serde(default)]
    pub crisis_resources: bool,
    pub meaning: String,
}

/// A questionnaire, as parsed from its file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    pub id: Spanned<String>,
    pub short_name: String,
    pub name: Spanned<LocalText>,
    pub version: String,
    pub licence: String,
    pub citation: String,
    pub recall_period: String,
    pub loinc: Option<String>,
    /// Where each language's wording comes from, with its citation.
    pub sources: Spanned<LocalText>,
    pub stem: Spanned<LocalText>,
    pub options: Spanned<Vec<AnswerOption>>,
    pub items: Spanned<Vec<Item>>,
    pub scoring: Scoring,
    #[serde(default)]
    pub alerts: Vec<AlertRule>,
}

impl Instrument {
    /// A stored band (scores keep the band's English label) in `lang`, else as stored.
    pub fn band_in(&self, stored: &str, lang: &str) -> String {
        let band = self
            .scoring
            .bands
            .get_ref()
            .iter()
            .find(|b| b.label.get_ref().get("en").is_some_and(|l| l == stored));
        band.and_then(|b| b.label.get_ref().get(lang)).map_or_else(|| stored.replace('_', " "), String::clone)
    }

    pub fn id(&self) -> &str {
        self.id.get_ref()
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.get_ref().iter().find(|i| *i.id.get_ref() == id)
    }

    /// The scored items, in order.
    pub fn scored_items(&self) -> impl Iterator<Item = &Item> {
        self.items.get_ref().iter().filter(|i| *i.scored.get_ref())
    }

    /// The options an item offers.
    pub fn options_of<'a>(&'a self, item: &'a Item) -> &'a [AnswerOption] {
        item.options.as_ref().unwrap_or(&self.options).get_ref()
    }

    /// The languages the whole instrument is worded in (those of its stem; checked for every text).
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.stem.get_ref().keys().map(String::as_str)
    }
}

/// Text in `lang`, falling back to English.
pub fn local<'a>(text: &'a LocalText, lang: &str) -> &'a str {
    text.get(lang).or_else(|| text.get("en")).map_or("", String::as_str)
}

/// The instruments a deployment knows: the bundled ones and any in `instruments_dir`.
#[derive(Debug, Default)]
pub struct Library {
    by_id: BTreeMap<String, Arc<Instrument>>,
}

impl Library {
    /// The bundled instruments only.
    pub fn bundled() -> Self {
        let mut lib = Library::default();
        for (name, text) in BUNDLED {
            match check(text) {
                Ok(i) => lib.insert(i),
                Err(errors) => unreachable!("bundled {name} is checked by a test: {errors:?}"),
            }
        }
        lib
    }

    /// The bundled instruments plus every `*.toml` file in `dir`. A file whose id is already known
    /// replaces that instrument (a study's own wording of it).
    pub fn load(dir: Option<&Path>) -> anyhow::Result<Self> {
        let mut lib = Self::bundled();
        let Some(dir) = dir else { return Ok(lib) };
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("reading instruments_dir {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let text =
                std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            let instrument = check(&text).map_err(|errors| {
                let lines: Vec<String> = errors.iter().map(|e| format!("{}:{e}", path.display())).collect();
                anyhow::anyhow!("{}", lines.join("\n"))
            })?;
            lib.insert(instrument);
        }
        Ok(lib)
    }

    fn insert(&mut self, i: Instrument) {
        self.by_id.insert(i.id().to_owned(), Arc::new(i));
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Instrument>> {
        self.by_id.get(id)
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.by_id.keys().map(String::as_str)
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<Instrument>> {
        self.by_id.values()
    }
}

/// The items a visit asks, in order: each instrument's items, less those another instrument in
/// the same visit already asks.
pub fn visit_items(instruments: &[Arc<Instrument>]) -> Vec<(&Instrument, &Item)> {
    let ids: Vec<&str> = instruments.iter().map(|i| i.id()).collect();
    instruments
        .iter()
        .flat_map(|inst| inst.items.get_ref().iter().map(move |item| (inst.as_ref(), item)))
        .filter(|(_, item)| !item.omit_with.iter().any(|o| ids.contains(&o.get_ref().as_str())))
        .collect()
}
