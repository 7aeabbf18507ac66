//! Outcome analysis for a randomised trial, over a tidy long data frame: one row per participant ×
//! week × instrument with `participant_id`, `arm`, `week`, `instrument` and `total_score`, and any
//! covariates, group and moderator ids beside them.
//!
//! It knows nothing of HTTP or databases: the server builds the frame from its tables, and the
//! `analyze` command reads it from a file made elsewhere. Each figure is checked against
//! statsmodels on data sets built by `analysis/validation/make_expected.py`.

mod ancova;
mod describe;
mod design;
pub mod error;
pub mod input;
mod mixed;
mod ols;
pub mod summary;
pub mod table;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use polars::prelude::*;

pub use describe::mean_ci;
pub use error::AnalysisError;
pub use input::{Covariate, LongData, Source};
pub use summary::*;

use crate::design::ModelRows;
use crate::input::{ARM, INSTRUMENT, WEEK};

/// Wall time of each part of an analysis, for benchmarks.
#[derive(Debug, Default, Clone, Copy)]
pub struct Timings {
    /// Reading and checking the input.
    pub read: Duration,
    /// Descriptives, change from baseline, ANCOVA, effect sizes and completion.
    pub descriptive: Duration,
    /// The mixed models.
    pub mixed: Duration,
}

/// Reads and checks a long-format CSV or Parquet file, then analyses it.
pub fn analyze_file(path: &Path, options: &Options) -> Result<Summary, AnalysisError> {
    analyze_file_timed(path, options).map(|(summary, _)| summary)
}

/// [`analyze_file`], with how long each part took.
pub fn analyze_file_timed(path: &Path, options: &Options) -> Result<(Summary, Timings), AnalysisError> {
    let start = Instant::now();
    let data = input::load(path, &options.covariates)?;
    let mut timings = Timings { read: start.elapsed(), ..Timings::default() };
    let summary = analyze_timed(&data, options, &mut timings)?;
    Ok((summary, timings))
}

/// Every figure of the summary, per instrument.
pub fn analyze(data: &LongData, options: &Options) -> Result<Summary, AnalysisError> {
    analyze_timed(data, options, &mut Timings::default())
}

fn analyze_timed(
    data: &LongData,
    options: &Options,
    timings: &mut Timings,
) -> Result<Summary, AnalysisError> {
    let start = Instant::now();
    let arms = distinct(&data.frame, ARM)?;
    if arms.len() < 2 {
        return Err(AnalysisError::TooFewArms(arms.len()));
    }
    let reference = match &options.reference_arm {
        Some(arm) if arms.contains(arm) => arm.clone(),
        Some(arm) => return Err(AnalysisError::UnknownArm { arm: arm.clone(), known: arms.join(", ") }),
        None => arms[0].clone(),
    };
    let weeks = data.frame.column(WEEK)?.unique()?;
    let mut known: Vec<i64> = weeks.i64()?.iter().flatten().collect();
    if !known.contains(&options.baseline_week) {
        known.sort_unstable();
        let known = known.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        return Err(AnalysisError::BadValue {
            column: WEEK.into(),
            location: "every row".into(),
            problem: format!("no row is at the baseline week {} (weeks: {known})", options.baseline_week),
        });
    }
    let present = distinct(&data.frame, INSTRUMENT)?;
    let chosen = if options.instruments.is_empty() { present.clone() } else { options.instruments.clone() };
    let all = data.frame.clone().lazy();
    // The same denominator for every instrument's completion, computed once.
    let per_arm = describe::randomised_per_arm(&all).collect()?.lazy();
    let mut instruments = BTreeMap::new();
    for name in chosen {
        if !present.contains(&name) {
            return Err(AnalysisError::UnknownInstrument { name, known: present.join(", ") });
        }
        // Collected once: every figure below reads the same rows.
        let scores = all.clone().filter(col(INSTRUMENT).eq(lit(name.clone()))).collect()?.lazy();
        instruments
            .insert(name, instrument(&scores, &per_arm, data, options, &reference, &mut timings.mixed)?);
    }
    timings.descriptive = start.elapsed().saturating_sub(timings.mixed);
    Ok(Summary { options: options.clone(), reference_arm: reference, arms, instruments })
}

fn instrument(
    scores: &LazyFrame,
    per_arm: &LazyFrame,
    data: &LongData,
    options: &Options,
    reference: &str,
    mixed_time: &mut Duration,
) -> Result<InstrumentSummary, AnalysisError> {
    let descriptives = describe::descriptives(scores)?;
    let paired = design::paired(scores, options.baseline_week)?;
    let rows = ModelRows::build(&paired, &data.covariates)?;
    let mut notes = Vec::new();
    let (ancova, ancova_coefficients) = ancova::ancova(&rows, reference, &mut notes)?;
    let start = Instant::now();
    let fitted = mixed::fit(&rows, reference, options.group_effect);
    *mixed_time += start.elapsed();
    let mixed_model = match fitted {
        Err(AnalysisError::Model(why)) => {
            notes.push(why);
            None
        }
        other => other?,
    };
    Ok(InstrumentSummary {
        change_from_baseline: describe::change_from_baseline(&paired)?,
        ancova,
        ancova_coefficients,
        mixed_model,
        notes,
        effect_sizes: describe::effect_sizes(&descriptives, reference, options.baseline_week),
        completion: describe::completion(scores, per_arm)?,
        descriptives,
    })
}

/// Sorted distinct values of a text column.
fn distinct(frame: &DataFrame, name: &str) -> Result<Vec<String>, AnalysisError> {
    let unique = frame.column(name)?.unique()?;
    let mut values: Vec<String> = unique.str()?.iter().flatten().map(str::to_string).collect();
    values.sort_unstable();
    Ok(values)
}
