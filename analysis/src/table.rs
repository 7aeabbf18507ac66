//! Column pages from the server turned into data frames: for Parquet files written a page at a
//! time, and for analysing the trial's own data.

use std::io::Write;

use polars::prelude::*;

use crate::columns::Source;
use crate::error::AnalysisError;
use crate::input;
use crate::long::LongData;

/// One column's values on a page; text is borrowed from the rows it came from (a million-row
/// export would otherwise copy every string once more on its way to polars).
#[derive(Debug, Clone)]
pub enum Values<'a> {
    Text(Vec<Option<&'a str>>),
    Integer(Vec<Option<i64>>),
}

/// Named columns of equal length.
pub type Page<'a> = Vec<(String, Values<'a>)>;

pub fn frame(page: Page<'_>) -> Result<DataFrame, AnalysisError> {
    let height = page.first().map_or(0, |(_, v)| match v {
        Values::Text(t) => t.len(),
        Values::Integer(i) => i.len(),
    });
    let columns: Vec<Column> = page
        .into_iter()
        .map(|(name, values)| match values {
            Values::Text(v) => Column::new(name.into(), v),
            Values::Integer(v) => Column::new(name.into(), v),
        })
        .collect();
    Ok(DataFrame::new(height, columns)?)
}

/// Long data built in memory, checked like a file would be.
pub fn long_data(page: Page<'_>, covariates: &[String]) -> Result<LongData, AnalysisError> {
    // Typed columns pass the same checks a file's text does; the conversions are then no-ops.
    input::prepare(frame(page)?, Source::Frame, covariates, true)
}

/// A Parquet file written one page at a time (one row group per page).
pub struct ParquetSink<W: Write> {
    writer: polars::io::parquet::write::BatchedWriter<W>,
}

impl<W: Write> ParquetSink<W> {
    /// Starts a file with these columns: (name, holds integers rather than text).
    pub fn new(out: W, columns: &[(String, bool)]) -> Result<Self, AnalysisError> {
        let schema: Schema = columns
            .iter()
            .map(|(name, integer)| {
                let dtype = if *integer { DataType::Int64 } else { DataType::String };
                Field::new(name.as_str().into(), dtype)
            })
            .collect();
        Ok(ParquetSink { writer: ParquetWriter::new(out).batched(&schema)? })
    }

    pub fn write(&mut self, page: Page<'_>) -> Result<(), AnalysisError> {
        self.writer.write_batch(&frame(page)?)?;
        Ok(())
    }

    pub fn finish(self) -> Result<(), AnalysisError> {
        self.writer.finish()?;
        Ok(())
    }
}
