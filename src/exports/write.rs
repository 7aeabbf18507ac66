//! Writing exports: CSV and Parquet to any writer, page by page, and a writer that feeds an HTTP
//! response as it fills.

use std::io::Write;

use bytes::Bytes;
use tokio::sync::mpsc;
use trialdesk_analysis::table::{ParquetSink, Values};

use super::codebook;
use super::spec::{Cell, Kind, Spec, Variable, for_each_page, io};
use crate::db::DbConn;
use crate::service_error::ServiceError;

/// The files an export offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum File {
    LongCsv,
    WideCsv,
    LongParquet,
    Codebook,
    RScript,
    StataScript,
}

impl File {
    pub const ALL: [File; 6] =
        [File::LongCsv, File::WideCsv, File::LongParquet, File::Codebook, File::RScript, File::StataScript];

    pub fn name(self) -> &'static str {
        match self {
            File::LongCsv => "long.csv",
            File::WideCsv => "wide.csv",
            File::LongParquet => "long.parquet",
            File::Codebook => "codebook.csv",
            File::RScript => "load.R",
            File::StataScript => "load.do",
        }
    }

    pub fn parse(name: &str) -> Option<File> {
        File::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn media_type(self) -> &'static str {
        match self {
            File::LongCsv | File::WideCsv | File::Codebook => "text/csv; charset=utf-8",
            File::LongParquet => "application/vnd.apache.parquet",
            File::RScript | File::StataScript => "text/plain; charset=utf-8",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            File::LongCsv => "One row per participant × time point × instrument, missed ones included",
            File::WideCsv => "One row per participant",
            File::LongParquet => "The long file as Parquet",
            File::Codebook => "Every variable of both files: type, label, allowed values, derivation",
            File::RScript => "Reads both CSV files in R with factor and variable labels",
            File::StataScript => "Reads the long CSV file in Stata with variable and value labels",
        }
    }
}

/// Writes one file of the export to `out`.
pub fn write(conn: &mut DbConn, spec: &Spec, file: File, out: impl Write) -> Result<(), ServiceError> {
    match file {
        File::LongCsv => csv(conn, spec, &spec.long_variables(), out, |s, r, rows| s.long_rows(r, rows)),
        File::WideCsv => csv(conn, spec, &spec.wide_variables(), out, |s, r, rows| rows.push(s.wide_row(r))),
        File::LongParquet => parquet(conn, spec, out),
        File::Codebook => codebook::csv(spec, out),
        File::RScript => codebook::r_script(spec, out),
        File::StataScript => codebook::stata_script(spec, out),
    }
}

fn csv<W: Write>(
    conn: &mut DbConn,
    spec: &Spec,
    variables: &[Variable],
    out: W,
    rows_of: impl Fn(&Spec, &super::records::Record, &mut Vec<Vec<Cell>>),
) -> Result<(), ServiceError> {
    let mut writer = ::csv::Writer::from_writer(out);
    writer.write_record(variables.iter().map(|v| v.name.as_str())).map_err(io)?;
    let mut rows = Vec::new();
    for_each_page(conn, spec, |page| {
        for record in page {
            rows.clear();
            rows_of(spec, record, &mut rows);
            for row in &rows {
                writer.write_record(row.iter().map(cell_text)).map_err(io)?;
            }
        }
        Ok(())
    })?;
    writer.flush().map_err(io)
}

fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(s) => crate::csv_cell::text(s).into_owned(),
        Cell::Int(v) => v.to_string(),
    }
}

/// Rows turned into columns for one Parquet row group.
pub fn columns(variables: &[Variable], rows: &[Vec<Cell>]) -> Vec<(String, Values)> {
    variables
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let values = match v.kind {
                Kind::Integer => Values::Integer(
                    rows.iter().map(|r| if let Cell::Int(x) = r[i] { Some(x) } else { None }).collect(),
                ),
                Kind::Text => Values::Text(
                    rows.iter()
                        .map(|r| if let Cell::Text(s) = &r[i] { Some(s.clone()) } else { None })
                        .collect(),
                ),
            };
            (v.name.clone(), values)
        })
        .collect()
}

fn parquet(conn: &mut DbConn, spec: &Spec, out: impl Write) -> Result<(), ServiceError> {
    let variables = spec.long_variables();
    let schema: Vec<(String, bool)> =
        variables.iter().map(|v| (v.name.clone(), v.kind == Kind::Integer)).collect();
    let mut sink = ParquetSink::new(out, &schema).map_err(io)?;
    let mut rows = Vec::new();
    for_each_page(conn, spec, |page| {
        rows.clear();
        for record in page {
            spec.long_rows(record, &mut rows);
        }
        sink.write(columns(&variables, &rows)).map_err(io)
    })?;
    sink.finish().map_err(io)
}

/// A writer whose bytes go, in chunks, to an HTTP response body being sent.
pub struct ChannelWriter {
    sender: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buffer: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl ChannelWriter {
    pub fn new(sender: mpsc::Sender<Result<Bytes, std::io::Error>>) -> Self {
        ChannelWriter { sender, buffer: Vec::with_capacity(CHUNK) }
    }

    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK)));
        // Blocks while the client is slower than the database: that is the back-pressure that
        // keeps memory flat.
        self.sender
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))
    }

    /// Ends the body with an error, so the client sees a broken download, not a short file.
    pub fn fail(self, message: String) {
        let _ = self.sender.blocking_send(Err(std::io::Error::other(message)));
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}
