//! What can go wrong, worded for the person who made the input file.

use polars::prelude::PolarsError;

#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("the input has no column `{0}` (required: participant_id, arm, week, instrument, total_score)")]
    MissingColumn(String),
    #[error("covariate `{0}` is not a column of the input")]
    UnknownCovariate(String),
    #[error("column `{column}`, {location}: {problem}")]
    BadValue { column: String, location: String, problem: String },
    #[error("arm `{arm}` is not in the data (arms: {known})")]
    UnknownArm { arm: String, known: String },
    #[error("instrument `{name}` is not in the data (instruments: {known})")]
    UnknownInstrument { name: String, known: String },
    #[error("the data has {0} arm(s); comparing arms needs at least two")]
    TooFewArms(usize),
    #[error("{0}")]
    Model(String),
    #[error("data frame error: {0}")]
    Frame(#[from] PolarsError),
}
