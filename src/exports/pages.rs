//! The statisticians' exports page: each file with what it holds, blinded and de-identified as
//! the role dictates, downloaded (streamed) through the same endpoint as the API; the codebook as
//! a table; the trial report; and an analysis form that runs what `trialdesk analyze` runs, on
//! the trial's own long file, and shows its report.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use trialdesk_analysis::{DfMethod, PrimaryModel};

use super::write::{File, write};
use super::{ExportOptions, Source, Spec, codebook};
use crate::audit::{self, Change, Event};
use crate::auth::{Auth, Permission};
use crate::blinding::Sight;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::protocol::store;
use crate::state::AppState;
use crate::web::page::{Problems, staff_or_return, with_status};
use crate::web::{RespondHtml, csrf_of};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(exports_page).service(analysis);
}

#[derive(Template)]
#[template(path = "exports/exports.html")]
struct ExportsPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    /// The role only ever gets the blinded copy.
    blind_role: bool,
    blinded: bool,
    dates: bool,
    /// Name, address, what it holds.
    files: Vec<(String, String, String)>,
    codebook: Vec<[String; 7]>,
    instruments: Vec<(String, String)>,
    /// The arm values of the file, with their names.
    arms: Vec<(String, String)>,
    covariates: Vec<(String, String)>,
    /// The weeks of the protocol's schedule, as the long file's `week` holds them, with names.
    weeks: Vec<(String, String)>,
    /// The week of the protocol's primary time point: the primary week until one is chosen.
    primary_week: String,
    reports: bool,
    problems: Problems,
    /// The analysis form as sent: name → values.
    typed: Vec<(String, String)>,
}

impl ExportsPage {
    fn value(&self, name: &str) -> &str {
        self.typed.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    /// Whether `week` is the one chosen in the week list `name`: as sent, or before the form was
    /// sent, the first week for the baseline and the protocol's primary week for the primary.
    fn week_chosen(&self, name: &str, week: &str) -> bool {
        match self.typed.iter().find(|(k, _)| k == name) {
            Some((_, sent)) => sent == week,
            None if name == "primary_week" => self.primary_week == week,
            None => self.weeks.first().is_some_and(|(first, _)| first == week),
        }
    }

    fn ticked(&self, name: &str, value: &str) -> bool {
        self.typed.iter().any(|(k, v)| k == name && v == value)
    }
}

/// The form's values: `blinded`, `dates`, and the analysis options (repeatable ones repeated).
type Typed = Vec<(String, String)>;

fn flag(typed: &Typed, name: &str) -> bool {
    typed.iter().any(|(k, v)| k == name && matches!(v.as_str(), "true" | "on" | "1"))
}

async fn spec_for(state: &AppState, auth: &Auth, typed: &Typed) -> Result<Spec, AppError> {
    let (role, asked, dates) = (auth.user.role(), flag(typed, "blinded"), flag(typed, "dates"));
    let (library, scope) = (state.instruments.clone(), auth.scope.clone());
    state
        .read(move |c| {
            let (protocol, _) = store::current_parsed(c)?;
            let blinded = Sight::for_output(&protocol, role, asked).is_blinded();
            Ok(Spec::load(c, &library, ExportOptions { blinded, dates }, scope)?)
        })
        .await
}

async fn page(
    state: &AppState,
    auth: &Auth,
    typed: Typed,
    problems: Problems,
) -> Result<HttpResponse, AppError> {
    let spec = spec_for(state, auth, &typed).await?;
    let (tr, role) = (auth.tr(), auth.user.role());
    let query = format!("?blinded={}&dates={}", spec.options.blinded, spec.options.dates);
    let p = &spec.protocol;
    let status = if problems.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let covariates: BTreeSet<String> =
        ["age_band", "sex", "race", "ethnicity", "newly_diagnosed", "disease_course", "language", "site"]
            .into_iter()
            .map(str::to_owned)
            .chain(p.stratification.iter().map(|f| format!("stratum_{}", f.id.get_ref())))
            .collect();
    let page = ExportsPage {
        role: role.to_string(),
        csrf_token: csrf_of(auth),
        blind_role: Sight::of(p, role).is_blinded(),
        blinded: spec.options.blinded,
        dates: spec.options.dates,
        files: File::ALL
            .into_iter()
            .map(|f| {
                let key = format!("export-file-{}", f.name().replace('.', "-"));
                (
                    f.name().to_owned(),
                    format!("/api/v1/exports/{}{query}", f.name()),
                    tr.or(&key, f.description()),
                )
            })
            .chain([(
                super::routes::ALL_ZIP.to_owned(),
                format!("/api/v1/exports/{}{query}", super::routes::ALL_ZIP),
                tr.t("export-file-all-zip"),
            )])
            .collect(),
        codebook: codebook::rows(&spec),
        instruments: spec
            .instruments
            .iter()
            .map(|i| (i.id.get_ref().clone(), tr.pick(i.name.get_ref()).to_owned()))
            .collect(),
        arms: p
            .arms
            .iter()
            .map(|a| (spec.arm(a.id.get_ref()), spec.sight.arm_name(p, a.id.get_ref())))
            .collect(),
        covariates: covariates.into_iter().map(|c| (c.clone(), c)).collect(),
        weeks: week_choices(&spec, &tr),
        primary_week: spec.primary_week().map(|w| w.to_string()).unwrap_or_default(),
        reports: Permission::ReadReports.allows(role),
        problems,
        typed,
        tr,
    };
    Ok(with_status(page.respond_to_html(), status))
}

/// Each week of the schedule once, named by its first time point: "Week 0: Baseline", or the
/// time point's name alone when it gives the week already ("Week 12 (primary endpoint)").
fn week_choices(spec: &Spec, tr: &Tr) -> Vec<(String, String)> {
    let mut seen = BTreeSet::new();
    spec.points
        .iter()
        .zip(&spec.protocol.assessments)
        .filter(|(point, _)| seen.insert(point.week))
        .map(|(point, t)| {
            let (week, name) = (
                point.week.to_string(),
                t.label_text.as_ref().map_or(point.label.as_str(), |l| tr.pick(l.get_ref())),
            );
            let shown = if name.split(|c: char| !c.is_ascii_digit()).any(|n| n == week) {
                name.to_owned()
            } else {
                tr.a2("analysis-week", &("week", &week), &("name", name))
            };
            (week, shown)
        })
        .collect()
}

#[get("/exports")]
async fn exports_page(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    query: web::Query<Typed>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ExportData);
    page(&state, &auth, query.into_inner(), Problems::default()).await
}

/// The report's page carries its own styles inline, as the trial report does.
const REPORT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Runs the analysis on the trial's own long file with the options of the form.
#[get("/exports/analysis")]
async fn analysis(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    query: web::Query<Typed>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ExportData);
    let typed = query.into_inner();
    let tr = auth.tr();
    let mut problems = Problems::default();
    let one = |name: &str| typed.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.trim());
    let week = |name: &str, problems: &mut Problems| -> Option<i64> {
        let raw = one(name);
        if raw.is_empty() {
            return None;
        }
        // No time point comes before week 0.
        raw.parse().ok().filter(|w: &i64| *w >= 0).or_else(|| {
            problems.add(name, tr.t("analysis-problem-week"));
            None
        })
    };
    let baseline_week = week("baseline_week", &mut problems).unwrap_or(0);
    let primary_week = week("primary_week", &mut problems);
    let all = |name: &str| {
        typed.iter().filter(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.clone()).collect::<Vec<_>>()
    };
    let options = trialdesk_analysis::Options {
        baseline_week,
        primary_week,
        reference_arm: all("reference_arm").into_iter().next(),
        covariates: all("covariate"),
        group_effect: flag(&typed, "group_effect"),
        instruments: all("instrument"),
        mixed_df: match one("mixed_df") {
            "" | "satterthwaite" => DfMethod::Satterthwaite,
            "kenward-roger" => DfMethod::KenwardRoger,
            _ => {
                problems.add("mixed_df", tr.t("analysis-problem-choice"));
                DfMethod::Satterthwaite
            }
        },
        primary_model: match one("primary_model") {
            "" => None,
            "mmrm" => Some(PrimaryModel::Mmrm),
            "mixed" => Some(PrimaryModel::Mixed),
            "ancova" => Some(PrimaryModel::Ancova),
            _ => {
                problems.add("primary_model", tr.t("analysis-problem-choice"));
                None
            }
        },
    };
    if !problems.is_empty() {
        return page(&state, &auth, typed, problems).await;
    }
    let spec = spec_for(&state, &auth, &typed).await?;
    // Who analysed which data, and in what form: in the audit trail, as a download is.
    let (ctx, blinded, dates) = (auth.context(), spec.options.blinded, spec.options.dates);
    state
        .write(move |c| {
            let changes = vec![Change::set("blinded", blinded), Change::set("dates", dates)];
            let event = Event {
                action: "analyse",
                entity: "dataset",
                entity_id: "long.parquet",
                changes,
                reason: None,
            };
            Ok(audit::record(c, &ctx, event)?)
        })
        .await?;
    let reader = state.reader();
    let done = web::block(move || -> Result<Result<String, String>, AppError> {
        let file = tempfile::Builder::new()
            .suffix(".parquet")
            .tempfile()
            .map_err(|e| AppError::Internal(e.into()))?;
        write(Source::from(&mut *reader.get()?), &spec, File::LongParquet, file.as_file())?;
        let summary = match trialdesk_analysis::analyze_file(file.path(), &options) {
            Ok(s) => s,
            Err(e) => return Ok(Err(e.to_string())),
        };
        let report = crate::reports::from_summary(summary, "the trial's long file");
        let sections = crate::reports::sections::all(&report);
        Ok(Ok(crate::reports::html::render_in(tr, &report, &sections, true)
            .map_err(|e| AppError::Internal(e.into()))?))
    })
    .await??;
    match done {
        Ok(html) => Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header(("Content-Security-Policy", REPORT_CSP))
            .body(html)),
        Err(why) => {
            // The analysis's own words name the option or the data it could not use.
            problems.add(Problems::FORM, tr.a("analysis-problem-refused", "why", why));
            page(&state, &auth, typed, problems).await
        }
    }
}
