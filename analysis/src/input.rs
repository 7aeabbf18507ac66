//! Reading a long-format file (CSV or Parquet) and checking it before anything is computed.
//!
//! A bad value is reported with its column and row, never a parser's byte offset: when the fast
//! typed read fails, every column is read again as text and converted here.

use std::path::Path;
use std::sync::Arc;

use polars::prelude::*;

use crate::columns::{ARM, Covariate, GROUP, INSTRUMENT, PARTICIPANT, SCORE, Source, WEEK};
use crate::error::AnalysisError;
use crate::long::LongData;

const REQUIRED: [&str; 5] = [PARTICIPANT, ARM, WEEK, INSTRUMENT, SCORE];

/// Reads a `.parquet` file, or CSV otherwise. With `numeric`, the CSV reader parses `week`,
/// `total_score` and the `numeric` columns itself, which is fast but names no row when a value is
/// bad; without it every column is read as text and converted in [`prepare`], which can.
pub fn read(path: &Path, numeric: Option<&[String]>) -> Result<(LazyFrame, Source), AnalysisError> {
    let shown = path.display().to_string();
    let fail = |e: PolarsError| AnalysisError::Read { path: shown.clone(), message: e.to_string() };
    if !path.is_file() {
        return Err(AnalysisError::Read { path: shown, message: "no such file".into() });
    }
    let pl_path = PlRefPath::new(shown.as_str());
    if is_parquet(path) {
        let lf = LazyFrame::scan_parquet(pl_path, ScanArgsParquet::default()).map_err(fail)?;
        return Ok((lf, Source::Parquet));
    }
    let mut reader = LazyCsvReader::new(pl_path).with_infer_schema_length(Some(0));
    if let Some(numeric) = numeric {
        let numbers: Schema =
            [Field::new(WEEK.into(), DataType::Int64), Field::new(SCORE.into(), DataType::Float64)]
                .into_iter()
                .chain(numeric.iter().map(|name| Field::new(name.as_str().into(), DataType::Float64)))
                .collect();
        reader = reader.with_dtype_overwrite(Some(Arc::new(numbers)));
    }
    Ok((reader.finish().map_err(fail)?, Source::Csv))
}

fn is_parquet(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// Reads and checks a file: the fast typed read first, and on a value it cannot parse the text
/// read, whose checks name the column and row. `groups`: whether to read `group_id`, which only
/// a random group effect uses.
pub fn load(path: &Path, covariates: &[String], groups: bool) -> Result<LongData, AnalysisError> {
    let numeric = if is_parquet(path) { Vec::new() } else { numeric_looking(path, covariates) };
    let (lf, source) = read(path, Some(&numeric))?;
    match prepare(lf, source, covariates, groups) {
        Err(AnalysisError::Frame(_)) if source == Source::Csv => {
            let (lf, source) = read(path, None)?;
            prepare(lf, source, covariates, groups)
        }
        done => done,
    }
}

/// Rows a CSV file's covariates are judged on before the typed read.
const SAMPLE_ROWS: usize = 1000;

/// The covariates whose first rows hold numbers and nothing else, for the typed read to parse. A
/// later value that is not a number fails that read, and the text read decides: a wrong guess
/// costs time, never a different result.
fn numeric_looking(path: &Path, covariates: &[String]) -> Vec<String> {
    let sample = LazyCsvReader::new(PlRefPath::new(path.display().to_string().as_str()))
        .with_infer_schema_length(Some(0))
        .with_n_rows(Some(SAMPLE_ROWS))
        .finish()
        .and_then(LazyFrame::collect);
    let Ok(sample) = sample else { return Vec::new() };
    let numbers_only = |name: &String| -> Option<bool> {
        let text = trim(sample.column(name).ok()?).ok()?;
        let numbers = text.cast(&DataType::Float64).ok()?;
        Some(numbers.null_count() == text.null_count() && text.null_count() < text.len())
    };
    covariates.iter().filter(|name| numbers_only(name) == Some(true)).cloned().collect()
}

/// Checks the required columns and converts them: identifiers to text, `week` to whole numbers,
/// `total_score` to numbers (empty = missing), and each covariate to numbers where it can be.
/// `group_id` is kept, where there is one, only when `groups` is set.
pub fn prepare(
    lf: LazyFrame,
    source: Source,
    covariates: &[String],
    groups: bool,
) -> Result<LongData, AnalysisError> {
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
    let has_group = groups && schema.get(GROUP).is_some();
    let mut keep: Vec<Expr> = REQUIRED.iter().map(|c| col(*c)).collect();
    if has_group {
        keep.push(col(GROUP).cast(DataType::String));
    }
    keep.extend(covariates.iter().map(|c| col(c.as_str())));
    let mut frame = lf.select(keep).collect()?;

    for name in [PARTICIPANT, ARM, INSTRUMENT] {
        let text = frame.column(name)?.cast(&DataType::String)?;
        if let Some(row) = first_true(&text.is_null()) {
            return Err(bad(name, source, row, "empty; every row needs one"));
        }
        frame.with_column(text)?;
    }
    convert(&mut frame, source, WEEK, &DataType::Int64, "not a whole number of weeks")?;
    if let Some(row) = first_true(&frame.column(WEEK)?.is_null()) {
        return Err(bad(WEEK, source, row, "empty; every row needs one"));
    }
    convert(&mut frame, source, SCORE, &DataType::Float64, "not a number (leave it empty when missing)")?;
    let mut kinds = Vec::with_capacity(covariates.len());
    for name in covariates {
        let numeric = numeric_where_possible(&mut frame, name)?;
        kinds.push(Covariate { name: name.clone(), categorical: !numeric });
    }
    if !has_group {
        let none = Series::full_null(GROUP.into(), frame.height(), &DataType::String);
        frame.with_column(none.into())?;
    }
    LongData::code(&frame, kinds, source)
}

fn bad(column: &str, source: Source, row: u64, problem: &str) -> AnalysisError {
    AnalysisError::BadValue { column: column.into(), location: source.locate(row), problem: problem.into() }
}

/// The row of the first `true` in `mask`.
fn first_true(mask: &BooleanChunked) -> Option<u64> {
    mask.first_true_idx().map(|row| row as u64)
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
    // Null counts are kept with the data: only a column that lost values needs the row-wise mask.
    if converted.null_count() != trimmed.null_count()
        && let Some(row) = first_true(&(converted.is_null() & !trimmed.is_null()))
    {
        let value = original.as_materialized_series().get(row as usize)?;
        let shown = value.str_value().into_owned();
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
    // Most text covariates show it in their first value: no need to try every row.
    let first = trimmed.str().ok().and_then(|t| t.first_non_null()).map(|row| trimmed.slice(row as i64, 1));
    let text_first = match first {
        Some(value) => value.cast(&DataType::Float64)?.null_count() == 1,
        None => false,
    };
    let converted = if text_first { None } else { Some(trimmed.cast(&DataType::Float64)?) };
    let numeric = converted.as_ref().is_some_and(|c| c.null_count() == trimmed.null_count());
    let column = match converted {
        Some(converted) if numeric => converted,
        _ => trimmed,
    };
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
    let untidy =
        |v: &str| v.is_empty() || v.starts_with(char::is_whitespace) || v.ends_with(char::is_whitespace);
    if !text.iter().flatten().any(untidy) {
        return Ok(series.clone());
    }
    let out: StringChunked = text.iter().map(|v| v.map(str::trim).filter(|v| !v.is_empty())).collect();
    Ok(out.into_series().with_name(series.name().clone()))
}
