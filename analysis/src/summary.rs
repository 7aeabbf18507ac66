//! The results, shaped as `summary.json` (and the validation files built by statsmodels).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What to analyse and how: the `analyze` command's flags.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Options {
    /// The week whose score is the baseline covariate and the origin of change scores.
    pub baseline_week: i64,
    /// The week the trial's primary outcome is read at; highlighted in reports.
    pub primary_week: Option<i64>,
    /// Every other arm is compared with this one; the first arm in sorted order when absent.
    pub reference_arm: Option<String>,
    /// Extra columns adjusted for; a column with any non-numeric value is categorical.
    pub covariates: Vec<String>,
    /// A random effect for support group, for participants outside the reference arm who have one.
    pub group_effect: bool,
    /// The model whose arm effects are the primary analysis; by default the MMRM, or the mixed
    /// model when a group effect is asked for (its group term is what a partially nested design
    /// needs, and the MMRM does not have it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_model: Option<PrimaryModel>,
    /// How the random-intercept model's tests find their degrees of freedom.
    #[serde(default)]
    pub mixed_df: DfMethod,
    /// Instruments to analyse; every instrument in the data when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instruments: Vec<String>,
}

/// The models an instrument's arm effects come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrimaryModel {
    /// The mixed model for repeated measures.
    #[default]
    Mmrm,
    /// The random-intercept mixed model (with its group term under `group_effect`).
    Mixed,
    /// ANCOVA at each week.
    Ancova,
}

impl PrimaryModel {
    /// The model a set of options makes primary.
    pub fn for_options(options: &Options) -> Self {
        options.primary_model.unwrap_or(if options.group_effect {
            PrimaryModel::Mixed
        } else {
            PrimaryModel::Mmrm
        })
    }
}

/// Small-sample degrees of freedom for a mixed model's tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DfMethod {
    /// Satterthwaite's approximation, as lmerTest and emmeans compute it.
    #[default]
    Satterthwaite,
    /// Kenward and Roger's, with their adjusted covariance of the fixed effects (pbkrtest).
    KenwardRoger,
}

impl DfMethod {
    pub fn name(self) -> &'static str {
        match self {
            DfMethod::Satterthwaite => "satterthwaite",
            DfMethod::KenwardRoger => "kenward-roger",
        }
    }
}

/// Everything the analysis found, per instrument.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub options: Options,
    /// The reference arm actually used.
    pub reference_arm: String,
    /// The model whose arm effects are the primary analysis; the others are sensitivity analyses.
    #[serde(default)]
    pub primary_model: PrimaryModel,
    pub arms: Vec<String>,
    pub instruments: BTreeMap<String, InstrumentSummary>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstrumentSummary {
    pub descriptives: Vec<Descriptive>,
    pub change_from_baseline: Vec<Descriptive>,
    pub ancova: Vec<ArmEffect>,
    pub ancova_coefficients: Vec<Coefficient>,
    /// Absent when too few participants have a baseline and a later score to fit it.
    pub mixed_model: Option<MixedModel>,
    /// The mixed model for repeated measures; absent, with a note, when it cannot be fitted.
    #[serde(default)]
    pub mmrm: Option<Mmrm>,
    pub effect_sizes: Vec<EffectSize>,
    pub completion: Vec<Completion>,
    /// Why a model is missing or partial (too few participants, a collinear design).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Summary statistics of one arm at one week. Quantiles interpolate linearly (R's type 7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Descriptive {
    pub arm: String,
    pub week: i64,
    pub n: u64,
    pub mean: Option<f64>,
    /// With n − 1 in the denominator; absent below two values.
    pub sd: Option<f64>,
    pub median: Option<f64>,
    pub q1: Option<f64>,
    pub q3: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// An arm's difference from the reference arm at one week, adjusted by ANCOVA.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmEffect {
    pub week: i64,
    pub arm: String,
    pub estimate: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub p_value: f64,
    pub df_resid: f64,
    pub n: u64,
}

/// One coefficient of a week's ANCOVA, named `intercept`, `arm[B]`, `baseline`, `age` or `site[north]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coefficient {
    pub week: i64,
    pub term: String,
    pub estimate: f64,
    pub se: f64,
    pub t_value: f64,
    pub p_value: f64,
}

/// The linear mixed model over every post-baseline week, fitted by REML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixedModel {
    pub n_obs: u64,
    pub n_participants: u64,
    pub n_groups: Option<u64>,
    /// Standard errors as statsmodels reports them with Satterthwaite's degrees of freedom; the
    /// Kenward–Roger adjusted ones with theirs.
    pub arm_effect_by_week: Vec<TEffect>,
    pub variance_components: VarianceComponents,
    /// The share of variance between participants.
    pub icc: f64,
    pub reml_log_likelihood: f64,
}

/// The mixed model for repeated measures: score ~ week + arm × week + baseline × week +
/// covariates, with an unstructured covariance over the post-baseline weeks, fitted by REML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mmrm {
    pub n_obs: u64,
    pub n_participants: u64,
    /// The post-baseline weeks: the rows and columns of `covariance`.
    pub weeks: Vec<i64>,
    /// Each arm's difference from the reference arm at each week (the difference of their
    /// adjusted means).
    pub arm_effect_by_week: Vec<TEffect>,
    /// Adjusted means per arm and week, as emmeans gives them with `weights = "proportional"`:
    /// at the mean baseline, numeric covariates at their means and categorical ones in the
    /// proportions of the rows fitted.
    pub lsmeans: Vec<AdjustedMean>,
    /// The estimated covariance of the scores over `weeks`.
    pub covariance: Vec<Vec<f64>>,
    /// How the degrees of freedom are found: `satterthwaite`.
    pub df_method: String,
    /// Whether the REML search converged. When it did not, `notes` say why, and no estimate,
    /// covariance or likelihood is reported.
    pub converged: bool,
    /// −2ℓ_R / −2 without the constant ½log|X'X| (statsmodels' and lme4's convention).
    pub reml_log_likelihood: Option<f64>,
    /// Terms of the model dropped because the data cannot tell them from the others.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliased: Vec<String>,
}

/// An arm's difference from the reference arm at one week, with a t-based 95% CI and test on
/// `df` degrees of freedom (the normal distribution when `df` is absent: a contrast whose
/// variance does not depend on the covariance parameters).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TEffect {
    pub week: i64,
    pub arm: String,
    pub estimate: f64,
    pub se: f64,
    pub df: Option<f64>,
    /// `satterthwaite` or `kenward-roger`.
    pub df_method: String,
    pub ci_low: f64,
    pub ci_high: f64,
    pub p_value: f64,
}

/// An arm's adjusted mean at one week, with a t-based 95% CI on `df` degrees of freedom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdjustedMean {
    pub week: i64,
    pub arm: String,
    pub estimate: f64,
    pub se: f64,
    pub df: Option<f64>,
    pub ci_low: f64,
    pub ci_high: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VarianceComponents {
    pub participant: f64,
    pub group: Option<f64>,
    pub residual: f64,
}

/// Standardised difference between an arm and the reference arm on one week's scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectSize {
    pub week: i64,
    pub arm: String,
    pub n_arm: u64,
    pub n_reference: u64,
    pub mean_difference: f64,
    pub pooled_sd: f64,
    pub cohens_d: f64,
    pub cohens_d_ci_low: f64,
    pub cohens_d_ci_high: f64,
    pub hedges_g: f64,
    pub hedges_g_ci_low: f64,
    pub hedges_g_ci_high: f64,
}

/// How many of an arm's participants have a score at one week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    pub arm: String,
    pub week: i64,
    pub randomised: u64,
    pub completed: u64,
    pub rate: f64,
}
