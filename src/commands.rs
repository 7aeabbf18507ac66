//! The data commands: `analyze` a file made elsewhere, `export` the trial's datasets and write
//! its `report`; check, anchor and export the `audit` trail; replay, describe (CONSORT 8–10) and
//! simulate the `randomisation`; `copy` a trial into another database.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use trialdesk_analysis::{DfMethod, Options, PrimaryModel, analyze_file_timed};

use crate::audit;
use crate::db;
use crate::exports::write::{File, Outputs};
use crate::exports::{ExportOptions, Source, Spec};
use crate::protocol::{self, Protocol, store};
use crate::randomisation;
use crate::settings::Settings;
use crate::sites;
use crate::startup;

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
    /// The model whose arm effects are the primary analysis, shown first in the report: the MMRM
    /// by default, or the mixed model with --group-effect (its group term is what a partially
    /// nested design needs).
    #[arg(long, value_enum)]
    pub primary_model: Option<Primary>,
    /// Degrees of freedom of the random-intercept mixed model's tests (the MMRM always uses
    /// Satterthwaite's).
    #[arg(long = "df", value_enum, default_value_t = Df::Satterthwaite)]
    pub df: Df,
    /// Print how long each part took (reading, descriptive figures, mixed models, MMRM, report) to stderr.
    #[arg(long)]
    pub timings: bool,
}

/// The primary model, as the command line names it.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Primary {
    Mmrm,
    Mixed,
    Ancova,
}

/// Small-sample degrees of freedom, as the command line names them.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Df {
    Satterthwaite,
    /// With Kenward and Roger's adjusted standard errors.
    KenwardRoger,
}

pub fn analyze(args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let options = Options {
        primary_model: args.primary_model.map(|p| match p {
            Primary::Mmrm => PrimaryModel::Mmrm,
            Primary::Mixed => PrimaryModel::Mixed,
            Primary::Ancova => PrimaryModel::Ancova,
        }),
        mixed_df: match args.df {
            Df::Satterthwaite => DfMethod::Satterthwaite,
            Df::KenwardRoger => DfMethod::KenwardRoger,
        },
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
            "timings: read and check {:.3} s, descriptives/change/ANCOVA/effect sizes/completion {:.3} s, mixed models {:.3} s, MMRM {:.3} s, report and charts {:.3} s",
            timings.read.as_secs_f64(),
            timings.descriptive.as_secs_f64(),
            timings.mixed.as_secs_f64(),
            timings.mmrm.as_secs_f64(),
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
    let mut conn = startup::open(settings)?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let options = ExportOptions { blinded: args.blinded, dates: args.dates };
    let spec = Spec::load(&mut conn, &startup::instruments(settings)?, options, sites::Scope::All)
        .map_err(|e| anyhow::anyhow!("reading the study: {e}"))?;
    // One pass over the trial writes every file (docs/benchmarks.md).
    let mut outputs = Outputs::open(|file| {
        let path = args.out.join(file.name());
        std::fs::File::create(&path)
            .map(std::io::BufWriter::new)
            .with_context(|| format!("creating {}", path.display()))
    })?;
    let mut second =
        if crate::exports::read::reads_beside(&conn) { Some(startup::open(settings)?) } else { None };
    let source = Source::pair(&mut conn, second.as_mut());
    crate::exports::write::write_all(source, &spec, &mut outputs)
        .map_err(|e| anyhow::anyhow!("writing the export to {}: {e}", args.out.display()))?;
    for file in File::ALL {
        println!("wrote {}", args.out.join(file.name()).display());
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
    let mut conn = startup::open(settings)?;
    for written in
        crate::reports::write_report(&mut conn, &startup::instruments(settings)?, &args.out, args.blinded)?
    {
        println!("wrote {written}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `trialdesk site …`: the study's recruiting sites.
#[derive(Debug, clap::Subcommand)]
pub enum SiteCmd {
    /// Add an open site.
    Create {
        /// 1 to 32 lowercase letters, digits, `-` or `_` (used in exports and strata).
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// How many participants the site should enrol.
        #[arg(long)]
        target: Option<i32>,
    },
    /// List the sites, with status and target.
    List,
    /// Rename a site or set its recruitment target.
    Update {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        target: Option<i32>,
        /// Why (kept in the audit trail).
        #[arg(long)]
        reason: String,
    },
    /// Close a site to new screenings and enrolments.
    Close {
        #[arg(long)]
        code: String,
        /// Why (kept in the audit trail).
        #[arg(long)]
        reason: String,
    },
}

/// Runs a `site` command as the command line's actor.
pub fn site(settings: &Settings, ctx: &audit::Context, cmd: SiteCmd) -> anyhow::Result<ExitCode> {
    let mut conn = startup::open(settings)?;
    match cmd {
        SiteCmd::Create { code, name, target } => {
            let new = sites::NewSite { code, name, recruitment_target: target };
            let site = sites::create(&mut conn, ctx, new)?;
            println!("created site {} ({})", site.code, site.name);
        }
        SiteCmd::List => {
            for s in sites::list(&mut conn)? {
                let target =
                    s.recruitment_target.map_or_else(|| "no target".to_owned(), |t| format!("target {t}"));
                println!("{}\t{}\t{}\t{target}", s.code, s.status, s.name);
            }
        }
        SiteCmd::Update { code, name, target, reason } => {
            let reason = crate::auth::routes::required_reason(&reason)
                .map_err(|e| anyhow::anyhow!("--reason: {e}"))?;
            let change = sites::SiteChange { name, recruitment_target: target, reason };
            let site = sites::update(&mut conn, ctx, &code, &change)?;
            println!(
                "site {} is now {} ({})",
                site.code,
                site.name,
                site.recruitment_target.map_or_else(|| "no target".to_owned(), |t| format!("target {t}"))
            );
        }
        SiteCmd::Close { code, reason } => {
            let reason = crate::auth::routes::required_reason(&reason)
                .map_err(|e| anyhow::anyhow!("--reason: {e}"))?;
            sites::close(&mut conn, ctx, &code, &reason)?;
            println!("closed site {code}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The site access `user create` asks for: `--all-sites`, the `--site` codes, or (neither) the
/// study's default, which needs an explicit choice once there are several sites.
pub fn user_access(
    conn: &mut db::DbConn,
    all_sites: bool,
    sites: Vec<String>,
) -> anyhow::Result<sites::Scope> {
    let requested =
        crate::auth::users::requested_access(all_sites.then_some(true), (!sites.is_empty()).then_some(sites))
            .map_err(|e| anyhow::anyhow!("--site: {e}"))?;
    match requested {
        Some(access) => Ok(access),
        None => crate::auth::users::default_access(conn).map_err(|_| {
            anyhow::anyhow!("this study has several sites: give --site CODE (repeatable) or --all-sites")
        }),
    }
}

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Check the hash chain; names the first changed, deleted or reordered entry.
    Verify {
        /// A head recorded earlier with `audit head` (`SEQ:HASH`): the trail up to that entry
        /// must be the one recorded, so a chain rewritten before it is found even with the key.
        #[arg(long, value_name = "SEQ:HASH")]
        expect_head: Option<String>,
    },
    /// Print the chain's head (`SEQ:HASH`), to record outside the database and check later with
    /// `audit verify --expect-head`.
    Head,
    /// Write the audit trail as CSV.
    Export {
        /// File to write (standard output if omitted).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub fn audit_cmd(settings: &Settings, cmd: AuditCmd) -> anyhow::Result<ExitCode> {
    let mut conn = startup::open(settings)?;
    match cmd {
        AuditCmd::Head => {
            let (seq, hash) = audit::chain::head(&mut conn)?;
            println!("{seq}:{hash}");
            Ok(ExitCode::SUCCESS)
        }
        AuditCmd::Verify { expect_head } => {
            let anchor = match expect_head.as_deref().map(|h| h.split_once(':')) {
                None => None,
                Some(Some((seq, hash))) if seq.parse::<i64>().is_ok() && hash.len() == 64 => {
                    Some((seq.parse::<i64>().unwrap_or_default(), hash.to_owned()))
                }
                Some(_) => anyhow::bail!("--expect-head takes SEQ:HASH as `trialdesk audit head` prints it"),
            };
            let result = audit::verify(&mut conn)?;
            if let Some(from) = result.keyed_from_seq.filter(|from| *from > 1) {
                println!("entries 1 to {} were written before the chain was keyed (plain hashes)", from - 1);
            }
            match result.problem {
                None => {
                    if let Some((seq, hash)) = anchor
                        && audit::entry_hash(&mut conn, seq)?.as_deref() != Some(hash.as_str())
                    {
                        eprintln!(
                            "audit trail rewritten: entry {seq} is not the one recorded ({hash}); the trail up to it was changed"
                        );
                        return Ok(ExitCode::FAILURE);
                    }
                    println!("audit trail intact: {} entries verified", result.entries_checked);
                    Ok(ExitCode::SUCCESS)
                }
                Some(p) => {
                    eprintln!("audit trail broken at entry {}: {}", p.seq, p.message);
                    eprintln!("({} entries before it verified)", result.entries_checked);
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        AuditCmd::Export { out } => {
            match out {
                Some(path) => {
                    let file = std::fs::File::create(&path)
                        .with_context(|| format!("creating {}", path.display()))?;
                    audit::export_csv(&mut conn, std::io::BufWriter::new(file))?;
                    println!("wrote {}", path.display());
                }
                None => audit::export_csv(&mut conn, std::io::stdout().lock())?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum RandomisationCmd {
    /// Re-derive every allocation from the secret key and report any that differ (exit 1).
    Replay,
    /// Print CONSORT items 8–10: sequence generation, type, concealment, implementation.
    Describe {
        /// Describe this protocol file instead of the protocol in force.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Run the randomisation many times over simulated participants: the spread of the final
    /// split, the largest imbalances, and how often guessing the arm that is behind is right.
    Simulate {
        /// Simulate this protocol file instead of the protocol in force.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Participants per run (default: the protocol's enrolment target).
        #[arg(long)]
        participants: Option<usize>,
        /// Runs, each with its own key.
        #[arg(long, default_value_t = 1000)]
        runs: usize,
        /// Sites to spread participants over, when the protocol stratifies by site.
        #[arg(long, default_value_t = 3)]
        sites: usize,
    },
}

/// A protocol file, checked as a new version would be.
fn read_file(settings: &Settings, file: &Path) -> anyhow::Result<Protocol> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    protocol::check(&text, &startup::instruments(settings)?)
        .map_err(|e| anyhow::anyhow!("{}: {}", file.display(), e[0]))
}

/// The protocol in force and the algorithm it randomises with.
fn in_force(settings: &Settings) -> anyhow::Result<(Arc<Protocol>, String)> {
    let mut conn = startup::open(settings)?;
    let stored = store::current(&mut conn)?.context("no protocol is stored yet")?;
    let protocol = stored.parsed()?;
    Ok((protocol, stored.randomisation_algorithm))
}

pub fn randomisation(settings: &Settings, cmd: RandomisationCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        RandomisationCmd::Describe { file: Some(file) } => {
            let protocol = read_file(settings, &file)?;
            print!("{}", randomisation::describe(&protocol, protocol::ALGORITHM));
            Ok(ExitCode::SUCCESS)
        }
        RandomisationCmd::Describe { file: None } => {
            let (protocol, algorithm) = in_force(settings)?;
            print!("{}", randomisation::describe(&protocol, &algorithm));
            Ok(ExitCode::SUCCESS)
        }
        RandomisationCmd::Simulate { file, participants, runs, sites } => {
            let (protocol, algorithm) = match file {
                Some(file) => (Arc::new(read_file(settings, &file)?), protocol::ALGORITHM.to_owned()),
                None => in_force(settings)?,
            };
            let participants = participants
                .unwrap_or_else(|| protocol.enrolment.target.get_ref().max(&1).to_owned() as usize);
            let plan = randomisation::Plan { participants, runs, sites };
            print!("{}", randomisation::simulate(&protocol, &algorithm, &plan));
            Ok(ExitCode::SUCCESS)
        }
        RandomisationCmd::Replay => {
            let mut conn = startup::open(settings)?;
            let key = randomisation::StudyKey::derive(&settings.secret_key(false)?);
            let report = randomisation::replay(&mut conn, &key)?;
            if report.mismatches.is_empty() {
                println!("all {} allocations reproduced from the key", report.allocations_checked);
                Ok(ExitCode::SUCCESS)
            } else {
                for m in &report.mismatches {
                    eprintln!("{m}");
                }
                eprintln!(
                    "{} of {} allocations checked do not match",
                    report.mismatches.len(),
                    report.allocations_checked
                );
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The database to copy from (sqlite://PATH or postgres://…); it is only read.
    #[arg(long)]
    pub from: String,
    /// An empty database to copy into; migrated first if it has no tables yet.
    #[arg(long)]
    pub to: String,
}

/// `trialdesk copy`: the whole trial into another database, then both audit heads side by side.
pub fn copy(args: CopyArgs) -> anyhow::Result<ExitCode> {
    let from = db::DatabaseUrl::parse(&args.from).map_err(|e| anyhow::anyhow!("--from: {e}"))?;
    let to = db::DatabaseUrl::parse(&args.to).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
    if from == to {
        anyhow::bail!("--from and --to name the same database");
    }
    // SQLite would create an empty file for a mistyped path, and then copy nothing.
    if from.backend() == db::Backend::Sqlite && !Path::new(from.target()).is_file() {
        anyhow::bail!("--from: no SQLite database at {}", from.target());
    }
    let mut source = db::connect(&from).with_context(|| format!("connecting to {from}"))?;
    let mut target = db::connect(&to).with_context(|| format!("connecting to {to}"))?;
    db::migrate(&mut target).with_context(|| format!("migrating {to}"))?;
    let copied = db::copy::copy(&mut source, &mut target)?;
    for (table, rows) in &copied.rows {
        println!("{table:>22}  {rows}");
    }
    println!("copied {} rows in {} tables from {from} to {to}", copied.total(), copied.rows.len());
    let heads = (audit::chain::head(&mut source)?, audit::chain::head(&mut target)?);
    println!("audit head: {}:{} (source), {}:{} (copy)", heads.0.0, heads.0.1, heads.1.0, heads.1.1);
    if heads.0 != heads.1 {
        eprintln!("the copy's audit head differs from the source's: do not use the copy");
        return Ok(ExitCode::FAILURE);
    }
    println!(
        "Next: with the same secret key file, `trialdesk audit verify` and `trialdesk randomisation replay` on {to}"
    );
    Ok(ExitCode::SUCCESS)
}
