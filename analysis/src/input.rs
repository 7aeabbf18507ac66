//! Reading a long-format file (CSV or Parquet) and checking it before anything is computed.
//!
//! A bad value is reported with its column and row, never a parser's byte offset: when the fast
//! typed read fails, every column is read again as text and converted here.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;

use crate::columns::{ARM, Covariate, GROUP, INSTRUMENT, PARTICIPANT, SCORE, Source, WEEK};
use crate::error::AnalysisError;
use crate::long::LongData;

const REQUIRED: [&str; 5] = [PARTICIPANT, ARM, WEEK, INSTRUMENT, SCORE];

/// Reads a whole `.parquet` file, or a CSV file (every column as text) otherwise.
pub fn read(path: &Path, numeric: Option<&[String]>) -> Result<(DataFrame, Source), AnalysisError> {
    read_columns(path, numeric, None)
}

/// Reads a `.parquet` file, or CSV otherwise, keeping only `columns` when given (all present).
/// With `numeric`, the CSV reader parses `week`, `total_score` and the `numeric` columns itself,
/// which is fast but names no row when a value is bad; without it every column is read as text
/// and converted in [`prepare`], which can.
fn read_columns(
    path: &Path,
    numeric: Option<&[String]>,
    columns: Option<&[String]>,
) -> Result<(DataFrame, Source), AnalysisError> {
    let fail = read_error(path);
    if is_parquet(path) {
        let frame = ParquetReader::new(open(path)?)
            .with_columns(columns.map(<[String]>::to_vec))
            .finish()
            .map_err(fail)?;
        return Ok((frame, Source::Parquet));
    }
    let mut options = CsvReadOptions::default()
        .with_infer_schema_length(Some(0))
        .with_columns(columns.map(|names| names.iter().map(|n| n.as_str().into()).collect()));
    if let Some(numeric) = numeric {
        let numbers: Schema =
            [Field::new(WEEK.into(), DataType::Int64), Field::new(SCORE.into(), DataType::Float64)]
                .into_iter()
                .chain(numeric.iter().map(|name| Field::new(name.as_str().into(), DataType::Float64)))
                .collect();
        options = options.with_schema_overwrite(Some(Arc::new(numbers)));
    }
    let reader = options.try_into_reader_with_file_path(Some(open_path(path)?)).map_err(fail)?;
    // A value the typed read cannot parse is a frame error, which `load` answers with the text read.
    Ok((reader.finish()?, Source::Csv))
}

fn read_error(path: &Path) -> impl Fn(PolarsError) -> AnalysisError {
    let shown = path.display().to_string();
    move |e| AnalysisError::Read { path: shown.clone(), message: e.to_string() }
}

/// The path itself, once it is known to name a file.
fn open_path(path: &Path) -> Result<PathBuf, AnalysisError> {
    if path.is_file() {
        Ok(path.to_path_buf())
    } else {
        Err(AnalysisError::Read { path: path.display().to_string(), message: "no such file".into() })
    }
}

fn open(path: &Path) -> Result<File, AnalysisError> {
    File::open(open_path(path)?)
        .map_err(|e| AnalysisError::Read { path: path.display().to_string(), message: e.to_string() })
}

fn is_parquet(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// The names of a file's columns, from its header or its metadata, without reading its rows.
fn column_names(path: &Path) -> Result<Vec<String>, AnalysisError> {
    let fail = read_error(path);
    if is_parquet(path) {
        let schema = ParquetReader::new(open(path)?).schema().map_err(fail)?;
        return Ok(schema.iter_names().map(ToString::to_string).collect());
    }
    let header = sample(&open_path(path)?, 0).map_err(fail)?;
    Ok(names(&header))
}

fn names(frame: &DataFrame) -> Vec<String> {
    frame.get_column_names().into_iter().map(ToString::to_string).collect()
}

/// The first `rows` rows of a CSV file, every column as text.
fn sample(path: &Path, rows: usize) -> PolarsResult<DataFrame> {
    CsvReadOptions::default()
        .with_infer_schema_length(Some(0))
        .with_n_rows(Some(rows))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))?
        .finish()
}

/// The columns an analysis keeps, in order: the required ones, `group_id` when wanted and
/// present, then the covariates. Fails on a missing required column or an unknown covariate.
fn wanted(present: &[String], covariates: &[String], groups: bool) -> Result<Vec<String>, AnalysisError> {
    let has = |name: &str| present.iter().any(|p| p == name);
    if let Some(name) = REQUIRED.iter().find(|name| !has(name)) {
        return Err(AnalysisError::MissingColumn((*name).into()));
    }
    if let Some(name) = covariates.iter().find(|name| !has(name)) {
        return Err(AnalysisError::UnknownCovariate(name.clone()));
    }
    let mut keep: Vec<String> = REQUIRED.iter().map(|c| (*c).to_string()).collect();
    if groups && has(GROUP) {
        keep.push(GROUP.into());
    }
    keep.extend(covariates.iter().cloned());
    Ok(keep)
}

/// Reads and checks a file: the fast typed read first, and on a value it cannot parse the text
/// read, whose checks name the column and row. `groups`: whether to read `group_id`, which only
/// a random group effect uses.
pub fn load(path: &Path, covariates: &[String], groups: bool) -> Result<LongData, AnalysisError> {
    // Only the columns the analysis uses are read, and a missing one is named before any row is.
    let columns = wanted(&column_names(path)?, covariates, groups)?;
    let numeric = if is_parquet(path) { Vec::new() } else { numeric_looking(path, covariates) };
    let typed = read_columns(path, Some(&numeric), Some(&columns))
        .and_then(|(frame, source)| prepare(frame, source, covariates, groups));
    match typed {
        Err(AnalysisError::Frame(_)) if !is_parquet(path) => {
            let (frame, source) = read_columns(path, None, Some(&columns))?;
            prepare(frame, source, covariates, groups)
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
    let Ok(sample) = sample(path, SAMPLE_ROWS) else { return Vec::new() };
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
    frame: DataFrame,
    source: Source,
    covariates: &[String],
    groups: bool,
) -> Result<LongData, AnalysisError> {
    let keep = wanted(&names(&frame), covariates, groups)?;
    let has_group = keep.iter().any(|name| name == GROUP);
    let mut frame = frame.select(keep.iter().map(String::as_str))?;
    if has_group {
        let group = frame.column(GROUP)?.cast(&DataType::String)?;
        frame.with_column(group)?;
    }

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
