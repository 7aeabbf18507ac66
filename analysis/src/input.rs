//! Reading a long-format file (CSV or Parquet) and checking it before anything is computed.
//!
//! Every column is read as text first and converted here, so a bad value is reported with its
//! column and row instead of a parser's byte offset.

use std::path::Path;
use std::sync::Arc;

use polars::prelude::*;

use crate::error::AnalysisError;

pub const PARTICIPANT: &str = "participant_id";
pub const ARM: &str = "arm";
pub const WEEK: &str = "week";
pub const INSTRUMENT: &str = "instrument";
pub const SCORE: &str = "total_score";
pub const GROUP: &str = "group_id";
const REQUIRED: [&str; 5] = [PARTICIPANT, ARM, WEEK, INSTRUMENT, SCORE];
const ROW: &str = "__row";

/// Where rows came from, to say where a bad one is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Line numbers count the header as line 1.
    Csv,
    Parquet,
    /// Built in memory (the server's own export).
    Frame,
}

impl Source {
    fn locate(self, row: u64) -> String {
        match self {
            Source::Csv => format!("row {} (line {})", row + 1, row + 2),
            Source::Parquet | Source::Frame => format!("row {}", row + 1),
        }
    }
}

/// A covariate column and how it enters a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Covariate {
    pub name: String,
    /// Text columns are categorical, with treatment contrasts against their first level.
    pub categorical: bool,
}

/// Checked long data: one row per participant × week × instrument.
#[derive(Debug, Clone)]
pub struct LongData {
    pub frame: DataFrame,
    pub covariates: Vec<Covariate>,
}

/// Reads a `.parquet` file, or CSV otherwise. `typed` lets the CSV reader parse `week` and
/// `total_score` itself, which is fast but names no row when a value is bad; without it every
/// column is read as text and converted in [`prepare`], which can.
pub fn read(path: &Path, typed: bool) -> Result<(LazyFrame, Source), AnalysisError> {
    let shown = path.display().to_string();
    let fail = |e: PolarsError| AnalysisError::Read { path: shown.clone(), message: e.to_string() };
    if !path.is_file() {
        return Err(AnalysisError::Read { path: shown, message: "no such file".into() });
    }
    let pl_path = PlRefPath::new(shown.as_str());
    let is_parquet = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    if is_parquet {
        let lf = LazyFrame::scan_parquet(pl_path, ScanArgsParquet::default()).map_err(fail)?;
        return Ok((lf, Source::Parquet));
    }
    let mut reader = LazyCsvReader::new(pl_path).with_infer_schema_length(Some(0));
    if typed {
        let numbers: Schema =
            [Field::new(WEEK.into(), DataType::Int64), Field::new(SCORE.into(), DataType::Float64)]
                .into_iter()
                .collect();
        reader = reader.with_dtype_overwrite(Some(Arc::new(numbers)));
    }
    Ok((reader.finish().map_err(fail)?, Source::Csv))
}

/// Reads and checks a file: the fast typed read first, and on a value it cannot parse the text
/// read, whose checks name the column and row.
pub fn load(path: &Path, covariates: &[String]) -> Result<LongData, AnalysisError> {
    let (lf, source) = read(path, true)?;
    match prepare(lf, source, covariates) {
        Err(AnalysisError::Frame(_)) if source == Source::Csv => {
            let (lf, source) = read(path, false)?;
            prepare(lf, source, covariates)
        }
        done => done,
    }
}

/// Checks the required columns and converts them: identifiers to text, `week` to whole numbers,
/// `total_score` to numbers (empty = missing), and each covariate to numbers where it can be.
pub fn prepare(lf: LazyFrame, source: Source, covariates: &[String]) -> Result<LongData, AnalysisError> {
    let mut lf = lf;
    let schema = lf.collect_schema()?;
    for name in REQUIRED {
        if schema.get(name).is_none() {
            return Err(AnalysisError::MissingColumn(name.into()));
        }
    }
    for name in covariates {
        if schema.get(name).is_none() {
            return Err(AnalysisError::UnknownCovariate(name.clone()));
        }
    }
    let has_group = schema.get(GROUP).is_some();
    let mut keep: Vec<Expr> = REQUIRED.iter().map(|c| col(*c)).collect();
    if has_group {
        keep.push(col(GROUP).cast(DataType::String));
    }
    keep.extend(covariates.iter().map(|c| col(c.as_str())));
    keep.push(col(ROW));
    let frame = lf.with_row_index(ROW, None).select(keep).collect()?;

    let mut frame = frame;
    for name in [PARTICIPANT, ARM, INSTRUMENT] {
        let text = frame.column(name)?.cast(&DataType::String)?;
        if let Some(row) = first_row_where(&frame, text.is_null())? {
            return Err(bad(name, source, row, "empty; every row needs one"));
        }
        frame.with_column(text)?;
    }
    convert(&mut frame, source, WEEK, &DataType::Int64, "not a whole number of weeks")?;
    convert(&mut frame, source, SCORE, &DataType::Float64, "not a number (leave it empty when missing)")?;
    let mut kinds = Vec::with_capacity(covariates.len());
    for name in covariates {
        let numeric = numeric_where_possible(&mut frame, name)?;
        kinds.push(Covariate { name: name.clone(), categorical: !numeric });
    }
    check_duplicates(&frame, source)?;
    if !has_group {
        let none = Series::full_null(GROUP.into(), frame.height(), &DataType::String);
        frame.with_column(none.into())?;
    }
    Ok(LongData { frame: frame.drop(ROW)?, covariates: kinds })
}

/// Two rows for the same participant, instrument and week make every statistic ambiguous.
fn check_duplicates(frame: &DataFrame, source: Source) -> Result<(), AnalysisError> {
    let key = || [col(PARTICIPANT), col(INSTRUMENT), col(WEEK)];
    // Counting distinct keys is the cheap test; where the rows are is only worked out on failure.
    let distinct =
        frame.clone().lazy().select(key()).unique(None, UniqueKeepStrategy::Any).collect()?.height();
    if distinct == frame.height() {
        return Ok(());
    }
    let duplicates = frame
        .clone()
        .lazy()
        .group_by(key())
        .agg([col(ROW).min().alias("first"), col(ROW).max().alias("second"), col(ROW).count().alias("rows")])
        .filter(col("rows").gt(lit(1)))
        .sort(["second"], SortMultipleOptions::default())
        .collect()?;
    let text = |name: &str| -> Result<String, AnalysisError> {
        Ok(duplicates.column(name)?.cast(&DataType::String)?.str()?.get(0).unwrap_or_default().to_string())
    };
    let first: u64 = text("first")?.parse().unwrap_or_default();
    let second: u64 = text("second")?.parse().unwrap_or_default();
    Err(AnalysisError::BadValue {
        column: PARTICIPANT.into(),
        location: source.locate(second),
        problem: format!(
            "participant `{}` already has a {} score at week {} ({})",
            text(PARTICIPANT)?,
            text(INSTRUMENT)?,
            text(WEEK)?,
            source.locate(first)
        ),
    })
}

fn bad(column: &str, source: Source, row: u64, problem: &str) -> AnalysisError {
    AnalysisError::BadValue { column: column.into(), location: source.locate(row), problem: problem.into() }
}

/// The source row of the first `true` in `mask`.
fn first_row_where(frame: &DataFrame, mask: BooleanChunked) -> Result<Option<u64>, AnalysisError> {
    let rows = frame.column(ROW)?.as_materialized_series().filter(&mask)?;
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(rows.cast(&DataType::UInt64)?.u64()?.get(0))
}

/// Replaces a text column by `dtype`, failing on the first value that does not convert.
fn convert(
    frame: &mut DataFrame,
    source: Source,
    name: &str,
    dtype: &DataType,
    problem: &str,
) -> Result<(), AnalysisError> {
    let original = frame.column(name)?.clone();
    let trimmed = trim(&original)?;
    let converted = trimmed.cast(dtype)?;
    let lost = converted.is_null() & !trimmed.is_null();
    if let Some(row) = first_row_where(frame, lost)? {
        let value = original.as_materialized_series().filter(&(converted.is_null() & !trimmed.is_null()))?;
        let shown = value.cast(&DataType::String)?.str()?.get(0).unwrap_or_default().to_string();
        return Err(bad(name, source, row, &format!("`{shown}` is {problem}")));
    }
    frame.with_column(converted.with_name(name.into()).into())?;
    Ok(())
}

/// Numbers where every present value is one; otherwise the column stays text (categorical).
fn numeric_where_possible(frame: &mut DataFrame, name: &str) -> Result<bool, AnalysisError> {
    let original = frame.column(name)?.clone();
    if original.dtype().is_primitive_numeric() {
        frame.with_column(original.cast(&DataType::Float64)?)?;
        return Ok(true);
    }
    let trimmed = trim(&original)?;
    let converted = trimmed.cast(&DataType::Float64)?;
    let numeric = (converted.is_null() & !trimmed.is_null()).sum().unwrap_or(0) == 0;
    let column = if numeric { converted } else { trimmed };
    frame.with_column(column.with_name(name.into()).into())?;
    Ok(numeric)
}

/// Text with surrounding spaces removed and empty strings as missing.
fn trim(column: &Column) -> Result<Series, AnalysisError> {
    let series = column.as_materialized_series();
    if series.dtype() != &DataType::String {
        return Ok(series.clone());
    }
    let text = series.str()?;
    let out: StringChunked = text.iter().map(|v| v.map(str::trim).filter(|v| !v.is_empty())).collect();
    Ok(out.into_series().with_name(series.name().clone()))
}
