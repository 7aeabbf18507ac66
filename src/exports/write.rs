//! Writing exports: CSV and Parquet to any writer, page by page, and a writer that feeds an HTTP
//! response as it fills.

use std::io::Write;

use bytes::Bytes;
use tokio::sync::mpsc;
use trialdesk_analysis::table::{ParquetSink, Values};

use super::codebook;
use super::read::{Source, for_each_page};
use super::spec::{Cell, Kind, Spec, Variable, io};
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
pub fn write(source: Source<'_>, spec: &Spec, file: File, out: impl Write) -> Result<(), ServiceError> {
    match file {
        File::LongCsv => pass(source, spec, Some(out), None, None),
        File::WideCsv => pass(source, spec, None, Some(out), None),
        File::LongParquet => pass(source, spec, None, None, Some(out)),
        File::Codebook => codebook::csv(spec, out),
        File::RScript => codebook::r_script(spec, out),
        File::StataScript => codebook::stata_script(spec, out),
    }
}

/// One pass over the trial feeding whichever data files are asked for: each page of
/// participants, read once, goes to the long CSV, the wide CSV and the Parquet file.
fn pass<W: Write>(
    source: Source<'_>,
    spec: &Spec,
    long_csv: Option<W>,
    wide_csv: Option<W>,
    long_parquet: Option<W>,
) -> Result<(), ServiceError> {
    let (long_variables, wide_variables) = (spec.long_variables(), spec.wide_variables());
    let mut long = long_csv.map(|out| csv_with_header(out, &long_variables)).transpose()?;
    let mut wide = wide_csv.map(|out| csv_with_header(out, &wide_variables)).transpose()?;
    let schema: Vec<(String, bool)> =
        long_variables.iter().map(|v| (v.name.clone(), v.kind == Kind::Integer)).collect();
    let mut parquet = long_parquet.map(|out| ParquetSink::new(out, &schema).map_err(io)).transpose()?;
    let needs_long_rows = long.is_some() || parquet.is_some();
    let mut rows = Vec::new();
    for_each_page(source, spec, |page| {
        rows.clear();
        for record in page {
            if needs_long_rows {
                spec.long_rows(record, &mut rows);
            }
            if let Some(wide) = &mut wide {
                write_row(wide, &spec.wide_row(record))?;
            }
        }
        if let Some(long) = &mut long {
            for row in &rows {
                write_row(long, row)?;
            }
        }
        match &mut parquet {
            Some(sink) => sink.write(columns(&long_variables, &rows)).map_err(io),
            None => Ok(()),
        }
    })?;
    for csv in [long.as_mut(), wide.as_mut()].into_iter().flatten() {
        csv.flush().map_err(io)?;
    }
    match parquet {
        Some(sink) => sink.finish().map_err(io),
        None => Ok(()),
    }
}

fn csv_with_header<W: Write>(out: W, variables: &[Variable]) -> Result<::csv::Writer<W>, ServiceError> {
    let mut writer = ::csv::Writer::from_writer(out);
    writer.write_record(variables.iter().map(|v| v.name.as_str())).map_err(io)?;
    Ok(writer)
}

/// Where each file of a whole export goes.
pub struct Outputs<W> {
    pub long_csv: W,
    pub wide_csv: W,
    pub long_parquet: W,
    pub codebook: W,
    pub r_script: W,
    pub stata_script: W,
}

impl<W: Write> Outputs<W> {
    /// Flushes every file, so that a full disk is an error, not a short file.
    pub fn flush(&mut self) -> std::io::Result<()> {
        for w in [
            &mut self.long_csv,
            &mut self.wide_csv,
            &mut self.long_parquet,
            &mut self.codebook,
            &mut self.r_script,
            &mut self.stata_script,
        ] {
            w.flush()?;
        }
        Ok(())
    }
}

impl<W> Outputs<W> {
    /// Opens each file's output with `open(file)`.
    pub fn open<E>(mut open: impl FnMut(File) -> Result<W, E>) -> Result<Self, E> {
        Ok(Outputs {
            long_csv: open(File::LongCsv)?,
            wide_csv: open(File::WideCsv)?,
            long_parquet: open(File::LongParquet)?,
            codebook: open(File::Codebook)?,
            r_script: open(File::RScript)?,
            stata_script: open(File::StataScript)?,
        })
    }
}

/// Writes all six files, the three data files in one pass over the trial.
pub fn write_all<W: Write>(
    source: Source<'_>,
    spec: &Spec,
    out: &mut Outputs<W>,
) -> Result<(), ServiceError> {
    pass(source, spec, Some(&mut out.long_csv), Some(&mut out.wide_csv), Some(&mut out.long_parquet))?;
    codebook::csv(spec, &mut out.codebook)?;
    codebook::r_script(spec, &mut out.r_script)?;
    codebook::stata_script(spec, &mut out.stata_script)?;
    out.flush().map_err(io)
}

/// The whole export as one zip file, written to `out` as it goes (`out` need not seek). The three
/// data files are written side by side in one pass over the trial, so they wait in temporary
/// files (on disk: a large trial's long file does not fit comfortably in memory) until the zip
/// takes them in turn.
pub fn zip_all(source: Source<'_>, spec: &Spec, out: impl Write) -> Result<(), ServiceError> {
    use std::io::{Seek, SeekFrom};
    use zip::write::SimpleFileOptions;
    let mut files = Outputs::open(|_| tempfile::tempfile().map(std::io::BufWriter::new)).map_err(io)?;
    write_all(source, spec, &mut files)?;
    // Level 1: most of what deflate saves on CSV, at a fraction of the time of the default.
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1));
    let mut zip = zip::ZipWriter::new_stream(out);
    let Outputs { long_csv, wide_csv, long_parquet, codebook, r_script, stata_script } = files;
    for (file, written) in [
        (File::LongCsv, long_csv),
        (File::WideCsv, wide_csv),
        (File::LongParquet, long_parquet),
        (File::Codebook, codebook),
        (File::RScript, r_script),
        (File::StataScript, stata_script),
    ] {
        let mut written = written.into_inner().map_err(io)?;
        written.seek(SeekFrom::Start(0)).map_err(io)?;
        zip.start_file(file.name(), options).map_err(io)?;
        std::io::copy(&mut written, &mut zip).map_err(io)?;
    }
    zip.finish().map_err(io)?.flush().map_err(io)
}

/// One row of cells as a CSV record. A million-row export writes tens of millions of cells, so
/// each is written from where it lies: no string is made for a cell on its way to the file.
fn write_row<W: Write>(csv: &mut ::csv::Writer<W>, row: &[Cell]) -> Result<(), ServiceError> {
    let mut number = itoa::Buffer::new();
    for cell in row {
        match cell {
            Cell::Empty => csv.write_field(b""),
            Cell::Text(s) => csv.write_field(crate::csv_cell::text(s).as_bytes()),
            Cell::Int(v) => csv.write_field(number.format(*v)),
        }
        .map_err(io)?;
    }
    csv.write_record(None::<&[u8]>).map_err(io)
}

/// Rows turned into columns for one Parquet row group.
pub fn columns<'a>(variables: &[Variable], rows: &'a [Vec<Cell>]) -> Vec<(String, Values<'a>)> {
    variables
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let values = match v.kind {
                Kind::Integer => Values::Integer(
                    rows.iter().map(|r| if let Cell::Int(x) = r[i] { Some(x) } else { None }).collect(),
                ),
                Kind::Text => Values::Text(
                    rows.iter().map(|r| if let Cell::Text(s) = &r[i] { Some(&**s) } else { None }).collect(),
                ),
            };
            (v.name.clone(), values)
        })
        .collect()
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
