//! Outcome analysis for a randomised trial, over a tidy long data frame: one row per participant ×
//! week × instrument with `participant_id`, `arm`, `week`, `instrument` and `total_score`, and any
//! covariates, group and moderator ids beside them.
//!
//! It knows nothing of HTTP or databases: the server builds the frame from its tables, and the
//! `analyze` command reads it from a file made elsewhere. Each figure is checked against
//! statsmodels on data sets built by `analysis/validation/make_expected.py`.

mod ancova;
mod coded;
pub mod columns;
mod describe;
mod design;
pub mod error;
pub mod input;
mod long;
mod mixed;
mod mmrm;
mod numeric;
mod ols;
mod rank;
pub mod summary;
pub mod table;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

pub use columns::{Covariate, Source};
pub use describe::mean_ci;
pub use error::AnalysisError;
pub use long::LongData;
pub use summary::*;

use rayon::prelude::*;

use crate::columns::WEEK;
use crate::design::ModelRows;

/// Wall time of each part of an analysis, for benchmarks.
#[derive(Debug, Default, Clone, Copy)]
pub struct Timings {
    /// Reading and checking the input.
    pub read: Duration,
    /// Descriptives, change from baseline, ANCOVA, effect sizes and completion.
    pub descriptive: Duration,
    /// The random-intercept mixed models.
    pub mixed: Duration,
    /// The MMRMs.
    pub mmrm: Duration,
}

/// Reads and checks a long-format CSV or Parquet file, then analyses it.
pub fn analyze_file(path: &Path, options: &Options) -> Result<Summary, AnalysisError> {
    analyze_file_timed(path, options).map(|(summary, _)| summary)
}

/// [`analyze_file`], with how long each part took.
pub fn analyze_file_timed(path: &Path, options: &Options) -> Result<(Summary, Timings), AnalysisError> {
    let start = Instant::now();
    let data = input::load(path, &options.covariates, options.group_effect)?;
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
    let arms = data.arm.levels.to_vec();
    if arms.len() < 2 {
        return Err(AnalysisError::TooFewArms(arms.len()));
    }
    let reference = match &options.reference_arm {
        Some(arm) if arms.contains(arm) => arm.clone(),
        Some(arm) => return Err(AnalysisError::UnknownArm { arm: arm.clone(), known: arms.join(", ") }),
        None => arms[0].clone(),
    };
    // The weeks asked for must be weeks with data: a primary week without any would otherwise
    // give a report with no primary result and no word of why.
    let asked = [("baseline", Some(options.baseline_week)), ("primary", options.primary_week)];
    if let Some((which, week)) = asked
        .into_iter()
        .find_map(|(which, week)| week.filter(|w| !data.weeks.contains(w)).map(|w| (which, w)))
    {
        let known = data.weeks.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        return Err(AnalysisError::BadValue {
            column: WEEK.into(),
            location: "every row".into(),
            problem: format!("no row is at the {which} week {week} (weeks: {known})"),
        });
    }
    let present = &data.instrument.levels;
    let chosen = if options.instruments.is_empty() { present.to_vec() } else { options.instruments.clone() };
    let mut rows = Vec::with_capacity(chosen.len());
    for name in &chosen {
        let Some(code) = data.instrument.code_of(name) else {
            return Err(AnalysisError::UnknownInstrument { name: name.clone(), known: present.join(", ") });
        };
        rows.push(data.rows_by_instrument[code as usize].as_slice());
    }
    // The same denominator for every instrument's completion, counted once.
    let randomised = data.randomised_per_arm();
    // Instruments are independent: each phase works on all of them side by side.
    let figures: Vec<Figures> = rows
        .par_iter()
        .map(|rows| figures(data, rows, &randomised, options, &reference))
        .collect::<Result<_, _>>()?;
    timings.descriptive = start.elapsed();
    let fitting = Instant::now();
    let fits: Vec<_> = figures
        .par_iter()
        .map(|f| {
            let mut notes = Vec::new();
            (mixed::fit(&f.model_rows, &reference, options.group_effect, options.mixed_df, &mut notes), notes)
        })
        .collect();
    timings.mixed = fitting.elapsed();
    let fitting = Instant::now();
    let mmrms: Vec<_> = figures
        .par_iter()
        .map(|f| {
            let mut notes = Vec::new();
            (mmrm::fit(&f.model_rows, &reference, &mut notes), notes)
        })
        .collect();
    timings.mmrm = fitting.elapsed();
    let mut instruments = BTreeMap::new();
    let models = fits.into_iter().zip(mmrms);
    for ((name, Figures { mut summary, .. }), ((fitted, mixed_notes), (mmrm, mmrm_notes))) in
        chosen.into_iter().zip(figures).zip(models)
    {
        summary.mmrm = mmrm;
        summary.notes.extend(mixed_notes);
        summary.notes.extend(mmrm_notes);
        summary.mixed_model = match fitted {
            Err(AnalysisError::Model(why)) => {
                summary.notes.push(why);
                None
            }
            other => other?,
        };
        instruments.insert(name, summary);
    }
    Ok(Summary {
        options: options.clone(),
        reference_arm: reference,
        primary_model: PrimaryModel::for_options(options),
        arms,
        instruments,
    })
}

/// One instrument's figures but the mixed model, and the rows that model is fitted to.
struct Figures {
    summary: InstrumentSummary,
    model_rows: ModelRows,
}

fn figures(
    data: &LongData,
    rows: &[usize],
    randomised: &[u64],
    options: &Options,
    reference: &str,
) -> Result<Figures, AnalysisError> {
    let paired = design::paired(data, rows, options.baseline_week);
    let (descriptives, change_from_baseline) = describe::describe(data, rows, &paired);
    let model_rows = ModelRows::build(data, &paired);
    let mut notes = Vec::new();
    let (ancova, ancova_coefficients) = ancova::ancova(&model_rows, reference, &mut notes)?;
    let summary = InstrumentSummary {
        change_from_baseline,
        ancova,
        ancova_coefficients,
        mixed_model: None,
        mmrm: None,
        notes,
        effect_sizes: describe::effect_sizes(&descriptives, reference, options.baseline_week),
        completion: describe::completion(data, &descriptives, randomised),
        descriptives,
    };
    Ok(Figures { summary, model_rows })
}
