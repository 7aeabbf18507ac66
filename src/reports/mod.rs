//! The trial report: CONSORT flow, recruitment and diversity against targets, retention,
//! attendance and the outcome analysis, as a self-contained HTML page with charts and a
//! `summary.json`. The same report is written by `trialdesk report`, at the end of
//! `trialdesk demo`, and served to researchers at `/reports`.

pub mod cache;
pub mod html;
mod methods;
pub mod pages;
pub mod routes;
pub mod sections;
pub mod study;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;
use trialdesk_analysis::{Options, Summary, table};

use crate::db::DbConn;
use crate::exports::{Cell, ExportOptions, Source, Spec, Variable, for_each_page, write::columns};
use crate::instruments::Library;
use crate::protocol::ArmKind;
use crate::service_error::ServiceError;
use crate::sites::Scope;

/// Everything the report shows; serialised as `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub study_code: String,
    pub study_name: String,
    pub generated_at: String,
    /// The blinded copy: arms as codes (Arm A, Arm B), process data as the protocol allows.
    pub blinded: bool,
    /// Arm value in the data → the name shown.
    pub arm_names: BTreeMap<String, String>,
    /// Instrument id → short name.
    pub instrument_names: BTreeMap<String, String>,
    /// Instrument id → which direction of its total is better, as its file says.
    pub instrument_better: BTreeMap<String, crate::instruments::Better>,
    pub primary_week: Option<i64>,
    pub consort: Option<study::ConsortCounts>,
    pub recruitment: Option<study::RecruitmentCurve>,
    pub diversity: Option<study::Diversity>,
    /// Recruitment and diversity at each site, against each site's target.
    pub sites: Vec<crate::enrolment::summary::SiteCount>,
    pub retention: Vec<Retention>,
    /// Per group; empty where the reader is blind to process data.
    pub attendance: Vec<study::GroupAttendance>,
    /// Emergency unblindings so far (CONSORT asks for the number).
    pub emergency_unblindings: u64,
    pub outcomes: Option<Summary>,
    /// Why part of the analysis is missing.
    pub notes: Vec<String>,
}

/// Questionnaires completed of those whose window has closed, per arm × time point.
#[derive(Debug, Clone, Serialize)]
pub struct Retention {
    pub arm: String,
    pub timepoint: String,
    pub week: i64,
    pub due: u64,
    pub completed: u64,
    pub rate: Option<f64>,
}

/// Reads the trial and analyses it.
pub fn build(
    conn: &mut DbConn,
    library: &Library,
    blinded: bool,
    scope: &Scope,
) -> Result<Report, ServiceError> {
    let spec =
        Spec::load(conn, library, ExportOptions { blinded, dates: false }, scope.clone())?.without_answers();
    let protocol = spec.protocol.clone();
    // Only the columns the analysis reads are kept: the long file's other cells (items, dates,
    // demographics) would be held for the whole trial at once.
    // A blinded copy has no group column where groups would name the arms: its model then has
    // no group effect, and says so.
    let keep = ["participant_id", "arm", "week", "instrument", "total_score", "group_id"];
    let sight = spec.sight;
    let (kept, variables): (Vec<usize>, Vec<Variable>) = spec
        .long_variables()
        .into_iter()
        .enumerate()
        .filter(|(_, v)| keep.contains(&v.name.as_str()) || v.name.starts_with("stratum_"))
        .unzip();
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut scratch: Vec<Vec<Cell>> = Vec::new();
    // Retention counts each participant's time point once: (arm, week, time point) → (due, done).
    let mut retention: BTreeMap<(String, i64, String), (u64, u64)> = BTreeMap::new();
    let mut has_groups = false;
    for_each_page(Source::from(&mut *conn), &spec, |page| {
        for record in page {
            spec.long_rows(record, &mut scratch);
            rows.extend(scratch.drain(..).map(|row| kept.iter().map(|&i| row[i].clone()).collect()));
            has_groups |= sight.shows_process() && record.group.is_some();
            for point in &spec.points {
                let visit = record.visits.iter().find(|v| v.timepoint == point.id);
                if visit.map_or(&point.instruments, |v| &v.instruments).is_empty() {
                    continue;
                }
                let status = visit.map(|v| v.status);
                let entry =
                    retention.entry((spec.arm(&record.arm_id), point.week, point.id.clone())).or_default();
                entry.0 += u64::from(status.is_some_and(|s| s.is_due_and_closed()));
                entry.1 += u64::from(status == Some(crate::assessments::Status::Completed));
            }
        }
        Ok(())
    })?;

    let arm_names: BTreeMap<String, String> = protocol
        .arms
        .iter()
        .map(|a| (spec.arm(a.id.get_ref()), sight.arm_name(&protocol, a.id.get_ref())))
        .collect();
    // The comparator: the first control or waitlist arm; blinded reports compare with arm A.
    let reference = if blinded {
        arm_names.keys().next().cloned()
    } else {
        protocol.arms.iter().find(|a| a.kind != ArmKind::Intervention).map(|a| a.id.get_ref().clone())
    };
    let primary_week = spec.primary_week();
    let covariates: Vec<String> =
        variables.iter().filter(|v| v.name.starts_with("stratum_")).map(|v| v.name.clone()).collect();
    let mut notes = Vec::new();
    if !sight.shows_process() {
        notes.push(
            "Blinded: group, session and attendance figures are withheld, since they would name the arms; \
             the outcome model has no group effect."
                .to_string(),
        );
    }
    // The outcome models are arithmetic alone and the rest of the report is queries alone: the
    // two run side by side, each on its own core.
    let analysis = || {
        if rows.is_empty() {
            return Err("No participant has been randomised yet.".to_string());
        }
        let options = Options {
            baseline_week: 0,
            primary_week,
            reference_arm: reference.clone(),
            covariates: covariates.clone(),
            group_effect: has_groups,
            instruments: Vec::new(),
            mixed_df: trialdesk_analysis::DfMethod::default(),
            primary_model: None,
        };
        table::long_data(columns(&variables, &rows), &covariates)
            .and_then(|data| trialdesk_analysis::analyze(&data, &options))
            .map_err(|e| format!("The outcome analysis could not run: {e}"))
    };
    let (outcomes, queried) = std::thread::scope(|threads| {
        let outcomes = threads.spawn(analysis);
        let queried = study_figures(conn, &protocol, scope, sight, &spec);
        (outcomes.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), queried)
    });
    let outcomes = outcomes.map_err(|note| notes.push(note)).ok();
    let Figures { mut consort, recruitment, diversity, sites, attendance, emergency_unblindings } = queried?;
    // Analysed (CONSORT): in the primary week's ANCOVA of the first instrument, per arm.
    if let (Some(summary), Some(week)) = (&outcomes, primary_week)
        && let Some(first) = spec.instruments.first()
        && let Some(result) = summary.instruments.get(first.id())
    {
        for (arm, counts) in protocol.arms.iter().zip(&mut consort.arms) {
            let code = spec.arm(arm.id.get_ref());
            let analysed = result.change_from_baseline.iter().find(|d| d.week == week && d.arm == code);
            counts.analysed = analysed.map_or(0, |d| d.n);
            counts.excluded_from_analysis = counts.allocated.saturating_sub(counts.analysed);
        }
    }
    Ok(Report {
        study_code: protocol.study.code.get_ref().clone(),
        study_name: protocol.study.name.clone(),
        generated_at: crate::db::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        blinded,
        instrument_names: spec
            .instruments
            .iter()
            .map(|i| (i.id().to_string(), i.short_name.clone()))
            .collect(),
        instrument_better: spec
            .instruments
            .iter()
            .filter_map(|i| i.scoring.better.map(|b| (i.id().to_string(), b)))
            .collect(),
        primary_week,
        consort: Some(consort),
        recruitment: Some(recruitment),
        diversity: Some(diversity),
        sites,
        retention: retention
            .into_iter()
            .map(|((arm, week, timepoint), (due, completed))| Retention {
                arm: arm_names.get(&arm).cloned().unwrap_or(arm),
                timepoint,
                week,
                due,
                completed,
                rate: (due > 0).then(|| completed as f64 / due as f64),
            })
            .collect(),
        attendance,
        emergency_unblindings,
        arm_names,
        outcomes,
        notes,
    })
}

/// The report's figures that are counts from the database rather than models.
struct Figures {
    consort: study::ConsortCounts,
    recruitment: study::RecruitmentCurve,
    diversity: study::Diversity,
    sites: Vec<crate::enrolment::summary::SiteCount>,
    attendance: Vec<study::GroupAttendance>,
    emergency_unblindings: u64,
}

fn study_figures(
    conn: &mut DbConn,
    protocol: &crate::protocol::Protocol,
    scope: &Scope,
    sight: crate::blinding::Sight,
    spec: &Spec,
) -> Result<Figures, ServiceError> {
    Ok(Figures {
        // Analysed is filled in from the outcome analysis once it has run.
        consort: study::consort(conn, protocol, scope, sight)?,
        recruitment: study::recruitment(conn, protocol, scope, spec.zone)?,
        diversity: study::diversity(conn, protocol, scope)?,
        sites: crate::enrolment::summary::by_site(conn, protocol, scope)?,
        attendance: study::attendance_by_group(conn, protocol, scope, &spec.codes, sight)?,
        emergency_unblindings: crate::randomisation::count_unblindings(conn, scope)?,
    })
}

/// A report over a file analysed elsewhere (`trialdesk analyze`): outcomes only.
pub fn from_summary(summary: Summary, source: &str) -> Report {
    Report {
        study_code: String::new(),
        study_name: format!("Analysis of {source}"),
        generated_at: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        blinded: false,
        arm_names: summary.arms.iter().map(|a| (a.clone(), a.clone())).collect(),
        instrument_names: summary.instruments.keys().map(|k| (k.clone(), k.clone())).collect(),
        instrument_better: BTreeMap::new(),
        primary_week: summary.options.primary_week,
        consort: None,
        recruitment: None,
        diversity: None,
        sites: Vec::new(),
        retention: Vec::new(),
        attendance: Vec::new(),
        emergency_unblindings: 0,
        outcomes: Some(summary),
        notes: Vec::new(),
    }
}

/// Writes `report.html`, `summary.json` and every chart as PNG and SVG into `dir`.
pub fn write_files(report: &Report, dir: &Path) -> anyhow::Result<Vec<String>> {
    let chart_dir = dir.join("charts");
    std::fs::create_dir_all(&chart_dir).with_context(|| format!("creating {}", chart_dir.display()))?;
    let sections = sections::all(report);
    let figures: Vec<&sections::Figure> = sections.iter().flat_map(|s| &s.figures).collect();
    let mut written = Vec::new();
    for chart in &figures {
        for (ext, bytes) in [("png", chart.rendered.png.as_slice()), ("svg", chart.rendered.svg.as_bytes())] {
            let path = chart_dir.join(format!("{}.{ext}", chart.name));
            std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    let html_path = dir.join("report.html");
    std::fs::write(&html_path, html::render(report, &sections, false)?)
        .with_context(|| format!("writing {}", html_path.display()))?;
    let json_path = dir.join("summary.json");
    std::fs::write(&json_path, serde_json::to_string_pretty(report)?)
        .with_context(|| format!("writing {}", json_path.display()))?;
    written.push(html_path.display().to_string());
    written.push(json_path.display().to_string());
    written.push(format!("{} ({} charts, PNG and SVG)", chart_dir.display(), figures.len()));
    Ok(written)
}

/// The report of the trial in `conn`, written to `dir` (blinded when asked).
pub fn write_report(
    conn: &mut DbConn,
    library: &Library,
    dir: &Path,
    blinded: bool,
) -> anyhow::Result<Vec<String>> {
    // The command line writes the whole study's report.
    let report = build(conn, library, blinded, &Scope::All)
        .map_err(|e| anyhow::anyhow!("building the report: {e}"))?;
    write_files(&report, dir)
}
