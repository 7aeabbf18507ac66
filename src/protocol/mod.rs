//! The study protocol: a TOML file that defines arms, strata, randomisation, eligibility, targets,
//! group settings, the schedule of assessments, consent forms and languages.
//!
//! Parsing and checking live in `check`; storing versions and amendments in `store`.

pub mod blinding;
pub mod check;
pub mod pages;
pub mod routes;
pub mod store;
pub mod tags;

use crate::db::text_enum::text_enum;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use toml::Spanned;

pub use blinding::{Blinding, ProcessData};
pub use check::{ProtocolError, check, parse_checked};
pub use tags::AffinityTag;

/// The CONNECT-style protocol shipped with the binary and loaded into an empty database.
pub const BUNDLED: &str = include_str!("../../docs/examples/connect.toml");

/// Text in each of the study's languages, keyed by language code (`en`, `es`).
pub use crate::toml_file::LocalText;

/// A whole protocol, as parsed from its file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    pub study: Study,
    pub arms: Vec<Arm>,
    #[serde(default)]
    pub stratification: Vec<Factor>,
    pub randomisation: Randomisation,
    pub eligibility: Vec<Criterion>,
    pub enrolment: Enrolment,
    pub groups: GroupSettings,
    pub assessments: Vec<TimePoint>,
    pub consent_forms: Vec<ConsentForm>,
    #[serde(default)]
    pub surveys: SurveySettings,
    #[serde(default)]
    pub safety: SafetySettings,
    /// Who is kept blind to allocation, and what they see of process data.
    #[serde(default)]
    pub blinding: Blinding,
}

/// Who the study is and how participants are addressed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Study {
    pub code: Spanned<String>,
    pub name: String,
    /// Prefix of pseudonymous study ids: `CON` gives `CON-0001`.
    pub id_prefix: Spanned<String>,
    pub languages: Spanned<Vec<Spanned<String>>>,
    /// IANA time zone the study's calendar dates are read in.
    pub time_zone: Spanned<String>,
}

/// What an arm delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArmKind {
    Intervention,
    Waitlist,
    Control,
}

/// One arm of the trial.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arm {
    pub id: Spanned<String>,
    /// The code blinded roles see instead of the label (A, B, ...).
    pub code: Spanned<String>,
    /// The arm's name in exports, reports and CONSORT text.
    pub label: String,
    /// The name on staff pages in each study language; `label` if absent.
    #[serde(default)]
    pub label_text: Option<Spanned<LocalText>>,
    pub kind: ArmKind,
    /// Relative allocation weight: 2 and 1 give a 2:1 ratio.
    pub ratio: Spanned<i64>,
    /// Waitlist arms only: weeks before their groups begin.
    pub wait_weeks: Option<Spanned<i64>>,
    /// Whether participants in this arm are placed in support groups.
    #[serde(default)]
    pub delivers_groups: bool,
}

/// A stratification factor and its levels.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Factor {
    pub id: Spanned<String>,
    /// The factor's name as exports, the codebook and CONSORT text give it.
    pub label: String,
    /// The name in every study language, for staff pages (`label_text = { en = …, es = … }`);
    /// without it, pages show `label` whatever their language.
    #[serde(default)]
    pub label_text: Option<Spanned<LocalText>>,
    pub levels: Vec<Spanned<String>>,
    /// Each level's wording in every study language (`[stratification.level_labels]`); without it,
    /// staff read the level ids.
    #[serde(default)]
    pub level_labels: Option<Spanned<std::collections::BTreeMap<String, LocalText>>>,
}

impl Criterion {
    /// An option's wording in `lang` (else English, else the option id itself).
    pub fn option_label(&self, option: &str, lang: &str) -> String {
        wording(self.option_labels.as_ref(), option, lang)
    }
}

impl Arm {
    /// The arm's name in `lang` (else `label`).
    pub fn label_in(&self, lang: &str) -> &str {
        self.label_text.as_ref().and_then(|t| t.get_ref().get(lang)).unwrap_or(&self.label)
    }
}

impl TimePoint {
    /// The staff-facing name in `lang` (else `label`).
    pub fn label_in(&self, lang: &str) -> &str {
        self.label_text.as_ref().and_then(|t| t.get_ref().get(lang)).unwrap_or(&self.label)
    }
}

impl Factor {
    /// The factor's name in `lang` (else `label`).
    pub fn label_in(&self, lang: &str) -> &str {
        self.label_text.as_ref().and_then(|t| t.get_ref().get(lang)).unwrap_or(&self.label)
    }

    /// A level's wording in `lang` (else English, else the level id itself).
    pub fn level_label(&self, level: &str, lang: &str) -> String {
        wording(self.level_labels.as_ref(), level, lang)
    }
}

/// The wording of one value from a table of labels, in `lang` if it has one.
fn wording(
    labels: Option<&Spanned<std::collections::BTreeMap<String, LocalText>>>,
    value: &str,
    lang: &str,
) -> String {
    labels
        .and_then(|l| l.get_ref().get(value))
        .and_then(|t| t.get(lang).or_else(|| t.get("en")))
        .cloned()
        .unwrap_or_else(|| value.replace('_', " "))
}

text_enum! {
    /// How allocations are generated (stored with each allocation).
    pub enum Method {
        Simple = "simple",
        StratifiedBlocks = "stratified_blocks",
        Minimisation = "minimisation",
    }
}

/// How minimisation measures imbalance across arms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Imbalance {
    Range,
    Variance,
}

/// The randomisation method and its parameters.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Randomisation {
    pub method: Spanned<Method>,
    /// Stratified blocks: the block sizes drawn from at random; each a multiple of the ratio sum.
    pub block_sizes: Option<Spanned<Vec<Spanned<i64>>>>,
    /// Minimisation: how imbalance is measured.
    pub imbalance: Option<Imbalance>,
    /// Minimisation: probability of assigning the arm that minimises imbalance (biased coin).
    pub probability: Option<Spanned<f64>>,
    /// Minimisation: how much each factor's imbalance counts (factor id → weight above 0; `site`
    /// under `stratify_by_site`); 1 for a factor not named.
    pub weights: Option<Spanned<std::collections::BTreeMap<String, Spanned<f64>>>>,
    /// The participant's site (at randomisation) is one more stratum factor: blocks run per
    /// site within each stratum, and minimisation balances over sites too.
    #[serde(default)]
    pub stratify_by_site: bool,
}

impl Randomisation {
    /// A factor's minimisation weight.
    pub fn weight(&self, factor: &str) -> f64 {
        self.weights.as_ref().and_then(|w| w.get_ref().get(factor)).map_or(1.0, |w| *w.get_ref())
    }
}

/// The randomisation algorithm a new protocol version records (`randomisation::engine`).
pub const ALGORITHM: &str = "chacha20-hmac-sha256-v2";
/// The algorithm of versions stored before v2, which their allocations keep.
pub const ALGORITHM_V1: &str = "chacha20-hmac-sha256-v1";

/// The stratum factor `stratify_by_site` adds; no protocol factor may take its id.
pub const SITE_FACTOR: &str = "site";

/// The type of answer an eligibility question takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerType {
    Boolean,
    Choice,
    Integer,
}

/// One eligibility question and the answers that qualify.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub id: Spanned<String>,
    pub question: Spanned<LocalText>,
    pub answer: AnswerType,
    /// Choice questions: the options offered.
    pub options: Option<Spanned<Vec<Spanned<String>>>>,
    /// Choice questions: each option's wording, in every study language (`[eligibility.option_labels]`).
    #[serde(default)]
    pub option_labels: Option<Spanned<std::collections::BTreeMap<String, LocalText>>>,
    /// Boolean: the qualifying answer. Choice: the qualifying options.
    pub qualifying: Option<Spanned<toml::Value>>,
    /// Integer questions: the smallest qualifying answer.
    pub min: Option<Spanned<i64>>,
    /// Integer questions: the largest qualifying answer.
    pub max: Option<Spanned<i64>>,
}

/// Recruitment targets.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enrolment {
    pub target: Spanned<i64>,
    #[serde(default)]
    pub diversity_targets: Vec<DiversityTarget>,
}

/// A minimum share of enrolment from some levels of a factor (e.g. ≥ 70% Black or Latinx).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiversityTarget {
    pub label: String,
    pub factor: Spanned<String>,
    pub levels: Vec<Spanned<String>>,
    pub min_share: Spanned<f64>,
}

/// How support groups run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSettings {
    pub capacity: Spanned<i64>,
    pub min_to_launch: Spanned<i64>,
    pub sessions: Spanned<i64>,
    pub session_minutes: Spanned<i64>,
    #[serde(default = "weekly")]
    pub interval_days: Spanned<i64>,
    /// Sessions attended that count as an adequate dose.
    pub adequate_dose: Spanned<i64>,
    /// The kinds of group some participants are offered (`[[groups.affinity_tags]]`).
    #[serde(default)]
    pub affinity_tags: Vec<AffinityTag>,
}

fn weekly() -> Spanned<i64> {
    Spanned::new(0..0, 7)
}

text_enum! {
    /// What an assessment's target date is counted from (stored with each assessment).
    pub enum Anchor {
        Randomisation = "randomisation",
        GroupStart = "group_start",
    }
}

/// One time point of the schedule of assessments.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimePoint {
    pub id: Spanned<String>,
    /// Staff-facing name, as exports and reports give it.
    pub label: String,
    /// The staff-facing name in each study language, for staff pages; `label` if absent.
    #[serde(default)]
    pub label_text: Option<Spanned<LocalText>>,
    /// What participants see (pages, invitations), in each study language; `label` if absent.
    pub title: Option<Spanned<LocalText>>,
    pub anchor: Anchor,
    pub offset_days: Spanned<i64>,
    pub window_before_days: Spanned<i64>,
    pub window_after_days: Spanned<i64>,
    pub instruments: Spanned<Vec<Spanned<String>>>,
    /// The primary endpoint's time point.
    #[serde(default)]
    pub primary: bool,
}

/// An approved version of the consent form.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentForm {
    pub version: Spanned<String>,
    /// Approval date, `YYYY-MM-DD`.
    pub approved_on: Spanned<String>,
    pub title: Spanned<LocalText>,
    /// The form's full text in each study language, for e-consent on the participant's own link
    /// (paragraphs separated by a blank line). Without it, the form is signed on paper and
    /// recorded by staff.
    #[serde(default)]
    pub text: Option<Spanned<LocalText>>,
    /// The site whose ethics board approved this version; none: the whole study's form.
    #[serde(default)]
    pub site: Option<Spanned<String>>,
}

impl ConsentForm {
    /// The site this version belongs to, if it is a site's own.
    pub fn site(&self) -> Option<&str> {
        self.site.as_ref().map(|s| s.get_ref().as_str())
    }
}

/// How participants are invited to their questionnaires.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SurveySettings {
    /// Reminders after the invitation, in days after the window opens (stopped once completed).
    pub reminder_days: Spanned<Vec<Spanned<i64>>>,
    /// How long a personal survey link works.
    pub link_valid_days: Spanned<i64>,
    /// The study-zone wall-clock time invitations and reminders go out, `HH:MM`.
    pub invite_time: Spanned<String>,
}

impl Default for SurveySettings {
    fn default() -> Self {
        Self {
            reminder_days: Spanned::new(0..0, vec![Spanned::new(0..0, 3), Spanned::new(0..0, 7)]),
            link_valid_days: Spanned::new(0..0, 30),
            invite_time: Spanned::new(0..0, "09:00".into()),
        }
    }
}

/// What happens when an answer raises a safety alert.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SafetySettings {
    /// An urgent alert (PHQ-9 item 9) escalates to the next contact if unacknowledged this long.
    pub urgent_acknowledge_minutes: Spanned<i64>,
    /// The same for alerts of `notify` severity.
    pub notify_acknowledge_minutes: Spanned<i64>,
    /// Shown to a participant at once after an answer with crisis resources, in each language.
    pub crisis_resources: Spanned<LocalText>,
}

impl Default for SafetySettings {
    fn default() -> Self {
        let text: LocalText = [
            ("en".to_owned(), "If you are thinking about hurting yourself, or feel you would be better off dead, you can talk to someone now: call or text 988 (the 988 Suicide & Crisis Lifeline, free, 24 hours a day), or chat at 988lifeline.org. If you are in danger right now, call 911. A member of the study team will also contact you soon.".to_owned()),
            ("es".to_owned(), "Si está pensando en hacerse daño, o siente que estaría mejor muerto(a), puede hablar con alguien ahora: llame o envíe un mensaje de texto al 988 (Línea 988 de Prevención del Suicidio y Crisis, gratuita, las 24 horas; oprima 2 para español), o chatee en 988lineadevida.org. Si está en peligro ahora mismo, llame al 911. Alguien del equipo del estudio también se comunicará con usted pronto.".to_owned()),
        ]
        .into_iter()
        .collect();
        Self {
            urgent_acknowledge_minutes: Spanned::new(0..0, 60),
            notify_acknowledge_minutes: Spanned::new(0..0, 3 * 24 * 60),
            crisis_resources: Spanned::new(0..0, text),
        }
    }
}

impl Protocol {
    /// The study's time zone (checked when the protocol was read; UTC if it somehow is not one).
    pub fn time_zone(&self) -> chrono_tz::Tz {
        self.study.time_zone.get_ref().parse().unwrap_or(chrono_tz::UTC)
    }

    /// Today in the study's time zone: the day windows, queues and consent forms are judged by.
    pub fn today(&self) -> NaiveDate {
        crate::db::now().and_utc().with_timezone(&self.time_zone()).date_naive()
    }

    /// A time point of the schedule by id.
    pub fn timepoint(&self, id: &str) -> Option<&TimePoint> {
        self.assessments.iter().find(|t| *t.id.get_ref() == id)
    }

    /// The consent form in force today at `site`, on the study's own day (its time zone).
    pub fn consent_form_today(&self, site: &str) -> Option<&ConsentForm> {
        self.consent_form_in_force(site, self.today())
    }

    /// The consent form in force at `site` on `day`: the most recently approved of the site's
    /// own versions by then (each site's ethics board approves its own), or, while the site has
    /// none approved, of the study's. A form whose approval date is still ahead cannot be signed
    /// yet, and does not yet call for re-consent.
    pub fn consent_form_in_force(&self, site: &str, day: NaiveDate) -> Option<&ConsentForm> {
        // Approval dates are checked to be `YYYY-MM-DD`, which sorts as the dates do.
        let day = day.format("%Y-%m-%d").to_string();
        let latest = |own: Option<&str>| {
            self.consent_forms
                .iter()
                .filter(|f| f.site() == own && *f.approved_on.get_ref() <= day)
                .max_by(|a, b| a.approved_on.get_ref().cmp(b.approved_on.get_ref()))
        };
        latest(Some(site)).or_else(|| latest(None))
    }

    /// The parts that allocations depend on (arms, strata, method), for comparing amendments.
    pub fn allocation_basis(&self) -> serde_json::Value {
        let arms: Vec<_> = self.arms.iter().map(|a| (a.id.get_ref(), a.kind, *a.ratio.get_ref())).collect();
        let strata: Vec<_> = self
            .stratification
            .iter()
            .map(|f| (f.id.get_ref(), f.levels.iter().map(|l| l.get_ref()).collect::<Vec<_>>()))
            .collect();
        let r = &self.randomisation;
        serde_json::json!({
            "arms": arms,
            "stratification": strata,
            "method": r.method.get_ref(),
            "block_sizes": r.block_sizes.as_ref().map(|b| b.get_ref().iter().map(|s| *s.get_ref()).collect::<Vec<_>>()),
            "imbalance": r.imbalance,
            "probability": r.probability.as_ref().map(|p| *p.get_ref()),
            "stratify_by_site": r.stratify_by_site,
            "weights": r.weights.as_ref().map(|w| w.get_ref().iter().map(|(k, v)| (k.clone(), *v.get_ref())).collect::<std::collections::BTreeMap<_, _>>()),
        })
    }
}

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
