//! The data commands: `analyze` a file made elsewhere, `export` the trial's datasets and write
//! its `report`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use trialdesk_analysis::{Options, analyze_file_timed};

use crate::exports::{ExportOptions, Spec, write::File};
use crate::settings::Settings;

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Long-format CSV or Parquet: participant_id, arm, week, instrument, total_score (+ covariates).
    #[arg(long)]
    pub input: PathBuf,
    /// Folder for summary.json, report.html and the charts (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Analyse only this instrument (repeatable); every instrument in the file by default.
    #[arg(long = "instrument")]
    pub instruments: Vec<String>,
    #[arg(long, default_value_t = 0)]
    pub baseline_week: i64,
    #[arg(long)]
    pub primary_week: Option<i64>,
    /// Every other arm is compared with this one (default: the first in sorted order).
    #[arg(long)]
    pub reference_arm: Option<String>,
    /// Adjust for this column (repeatable); text columns are categorical.
    #[arg(long = "covariate")]
    pub covariates: Vec<String>,
    /// Add a random effect for `group_id` in the non-reference arms (partially nested design).
    #[arg(long)]
    pub group_effect: bool,
    /// Print how long each part took (reading, descriptive figures, mixed models, report) to stderr.
    #[arg(long)]
    pub timings: bool,
}

pub fn analyze(args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let options = Options {
        baseline_week: args.baseline_week,
        primary_week: args.primary_week,
        reference_arm: args.reference_arm,
        covariates: args.covariates,
        group_effect: args.group_effect,
        instruments: args.instruments,
    };
    let (summary, timings) = match analyze_file_timed(&args.input, &options) {
        Ok(done) => done,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let start = std::time::Instant::now();
    let report = crate::reports::from_summary(summary, &args.input.display().to_string());
    for written in crate::reports::write_files(&report, &args.out)? {
        println!("wrote {written}");
    }
    if args.timings {
        eprintln!(
            "timings: read and check {:.3} s, descriptives/change/ANCOVA/effect sizes/completion {:.3} s, mixed models {:.3} s, report and charts {:.3} s",
            timings.read.as_secs_f64(),
            timings.descriptive.as_secs_f64(),
            timings.mixed.as_secs_f64(),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Folder for long.csv, wide.csv, long.parquet, codebook.csv, load.R and load.do.
    #[arg(long)]
    pub out: PathBuf,
    /// Arms as codes (A, B) instead of ids and labels.
    #[arg(long)]
    pub blinded: bool,
    /// A limited data set: calendar dates beside study days.
    #[arg(long)]
    pub dates: bool,
}

pub fn export(settings: &Settings, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let mut conn = crate::startup::open(settings)?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let options = ExportOptions { blinded: args.blinded, dates: args.dates };
    let spec = Spec::load(&mut conn, &crate::startup::instruments(settings)?, options)
        .map_err(|e| anyhow::anyhow!("reading the study: {e}"))?;
    for file in File::ALL {
        let path = args.out.join(file.name());
        let out = std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let mut out = std::io::BufWriter::new(out);
        crate::exports::write::write(&mut conn, &spec, file, &mut out)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
        std::io::Write::flush(&mut out)?;
        println!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Folder for report.html, summary.json and the charts (created if missing).
    #[arg(long, default_value = "report")]
    pub out: PathBuf,
    /// Show arms as codes only (Arm A, Arm B).
    #[arg(long)]
    pub blinded: bool,
}

pub fn report(settings: &Settings, args: ReportArgs) -> anyhow::Result<ExitCode> {
    let mut conn = crate::startup::open(settings)?;
    for written in crate::reports::write_report(
        &mut conn,
        &crate::startup::instruments(settings)?,
        &args.out,
        args.blinded,
    )? {
        println!("wrote {written}");
    }
    Ok(ExitCode::SUCCESS)
}
