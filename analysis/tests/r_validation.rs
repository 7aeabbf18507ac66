//! The mixed models' small-sample inference against R, run live.
//! - The MMRM: `analysis/validation/mmrm.R` fits `nlme::gls` with an unstructured covariance
//!   (`corSymm` + `varIdent`, REML) and asks emmeans for the adjusted means and arm contrasts with
//!   Satterthwaite degrees of freedom. Estimates, standard errors and the covariance agree to 1e-4
//!   (relative), degrees of freedom to 1% (emmeans differentiates numerically).
//! - The random-intercept model: `analysis/validation/mixed_df.R` fits `lme4::lmer` and asks
//!   lmerTest for each arm effect's Satterthwaite degrees of freedom, and pbkrtest (through
//!   lmerTest) for Kenward–Roger's adjusted standard error and degrees of freedom: estimates to
//!   1e-4, degrees of freedom and adjusted standard errors to 1%.
//!
//! R and its packages come from Debian (`r-base-core`, `r-cran-nlme`, `r-cran-emmeans`,
//! `r-cran-lmertest`, `r-cran-pbkrtest`), which `scripts/test.sh` installs;
//! `TRIALDESK_TEST_RSCRIPT` names the Rscript to run.

use std::path::PathBuf;
use std::process::Command;

use trialdesk_analysis::{DfMethod, Mmrm, Options, analyze_file};

const ESTIMATE: f64 = 1e-4;
const DF: f64 = 1e-2;

fn path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// R's figures: (instrument, kind, week, arm) → (estimate, se, df).
type RFigures = Vec<(String, String, String, String, f64, f64, f64)>;

fn run_r(script: &str, data: &str, options: &Options) -> RFigures {
    let rscript = std::env::var("TRIALDESK_TEST_RSCRIPT").unwrap_or_else(|_| "/usr/bin/Rscript".into());
    let out = tempfile::Builder::new().suffix(".csv").tempfile().expect("temp file");
    let covariates =
        if options.covariates.is_empty() { "-".to_string() } else { options.covariates.join(",") };
    let mut command = Command::new(&rscript);
    command
        .arg(path(script))
        .arg(path(data))
        .arg(options.baseline_week.to_string())
        .arg(options.reference_arm.as_deref().expect("a reference arm"))
        .arg(covariates);
    if script.ends_with("mixed_df.R") {
        command.arg(if options.group_effect { "groups" } else { "-" });
    }
    let run = command
        .arg(out.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {rscript} (scripts/test.sh installs R): {e}"));
    assert!(run.status.success(), "R failed: {}", String::from_utf8_lossy(&run.stderr));
    let text = std::fs::read_to_string(out.path()).expect("R wrote its figures");
    let number = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<String> = line.split(',').map(|v| v.trim_matches('"').to_string()).collect();
            (
                f[0].clone(),
                f[1].clone(),
                f[2].clone(),
                f[3].clone(),
                number(&f[4]),
                number(&f[5]),
                number(&f[6]),
            )
        })
        .collect()
}

fn close(ours: f64, theirs: f64, relative: f64, at: &str) {
    let allowed = relative * theirs.abs().max(1e-3);
    assert!((ours - theirs).abs() <= allowed, "{at}: ours {ours}, R {theirs} (allowed {allowed:e})");
}

fn compare(data: &str, options: Options) {
    let summary = analyze_file(&path(data), &options).expect("analysis runs");
    let figures = run_r("validation/mmrm.R", data, &options);
    assert!(!figures.is_empty());
    let mut compared = 0;
    for (instrument, kind, week, arm, estimate, se, df) in figures {
        let at = format!("{data} {instrument} {kind} week {week} {arm}");
        let result = &summary.instruments[&instrument];
        let model: &Mmrm =
            result.mmrm.as_ref().unwrap_or_else(|| panic!("{at}: no MMRM ({:?})", result.notes));
        assert!(model.converged, "{at}: {:?}", result.notes);
        let week_number = week.parse::<i64>().ok();
        let (ours_estimate, ours_se, ours_df) = match kind.as_str() {
            "lsmean" => {
                let m = model.lsmeans.iter().find(|m| Some(m.week) == week_number && m.arm == arm);
                let m = m.unwrap_or_else(|| panic!("{at}: no adjusted mean"));
                (m.estimate, m.se, m.df)
            }
            "effect" => {
                let e = model.arm_effect_by_week.iter().find(|e| Some(e.week) == week_number && e.arm == arm);
                let e = e.unwrap_or_else(|| panic!("{at}: no effect"));
                (e.estimate, e.se, e.df)
            }
            "covariance" => {
                let place = |w: i64| model.weeks.iter().position(|&x| x == w).expect("a fitted week");
                let (i, j) = (place(week_number.expect("week")), place(arm.parse().expect("week")));
                close(model.covariance[i][j], estimate, ESTIMATE, &at);
                compared += 1;
                continue;
            }
            "loglik" => {
                let ours = model.reml_log_likelihood.expect("a converged model's likelihood");
                close(ours, estimate, ESTIMATE, &at);
                compared += 1;
                continue;
            }
            other => panic!("{at}: R gave an unknown kind of figure `{other}`"),
        };
        close(ours_estimate, estimate, ESTIMATE, &format!("{at} estimate"));
        close(ours_se, se, ESTIMATE, &format!("{at} se"));
        close(ours_df.expect("Satterthwaite df"), df, DF, &format!("{at} df"));
        compared += 1;
    }
    assert!(compared > 10, "only {compared} figures compared");
}

#[test]
fn mmrm_with_numeric_and_categorical_covariates_matches_nlme_gls_and_emmeans() {
    compare(
        "tests/data/two_arm.csv",
        Options {
            baseline_week: 0,
            reference_arm: Some("control".into()),
            covariates: vec!["site".into(), "age".into()],
            ..Options::default()
        },
    );
}

#[test]
fn mmrm_with_three_arms_and_two_weeks_matches_nlme_gls_and_emmeans() {
    compare(
        "tests/data/three_arm.csv",
        Options {
            baseline_week: 0,
            reference_arm: Some("a_control".into()),
            covariates: vec!["stratum".into()],
            ..Options::default()
        },
    );
}

/// 26 participants from a small demo trial, few of them at week 24: the likelihood's curvature
/// is indefinite at the start, where a line search gives up.
#[test]
fn mmrm_of_a_small_trial_with_a_sparse_last_week_matches_nlme_gls_and_emmeans() {
    compare(
        "tests/data/small_gad7.csv",
        Options {
            baseline_week: 0,
            reference_arm: Some("support_groups".into()),
            covariates: vec!["site".into()],
            ..Options::default()
        },
    );
}

/// The random-intercept model's arm effects against lmerTest, and against pbkrtest with
/// Kenward–Roger (R gives those for the model without a group effect).
fn compare_random_intercept(data: &str, options: Options) {
    let satterthwaite = analyze_file(&path(data), &options).expect("analysis runs");
    let kr_options = Options { mixed_df: DfMethod::KenwardRoger, ..options.clone() };
    let kenward_roger = analyze_file(&path(data), &kr_options).expect("analysis runs");
    let figures = run_r("validation/mixed_df.R", data, &options);
    let mut compared = 0;
    for (instrument, method, week, arm, estimate, se, df) in figures {
        let at = format!("{data} {instrument} {method} week {week} {arm}");
        let summary = if method == "kenward-roger" { &kenward_roger } else { &satterthwaite };
        let result = &summary.instruments[&instrument];
        let model =
            result.mixed_model.as_ref().unwrap_or_else(|| panic!("{at}: no model ({:?})", result.notes));
        let week: i64 = week.parse().expect("a week");
        let effect = model.arm_effect_by_week.iter().find(|e| e.week == week && e.arm == arm);
        let effect = effect.unwrap_or_else(|| panic!("{at}: no effect"));
        assert_eq!(effect.df_method, method, "{at}");
        close(effect.estimate, estimate, ESTIMATE, &format!("{at} estimate"));
        close(effect.df.expect("df"), df, DF, &format!("{at} df"));
        if method == "kenward-roger" {
            close(effect.se, se, DF, &format!("{at} adjusted se"));
        }
        compared += 1;
    }
    assert!(compared >= 4, "only {compared} effects compared");
}

#[test]
fn random_intercept_satterthwaite_and_kenward_roger_df_match_lmertest_and_pbkrtest() {
    compare_random_intercept(
        "tests/data/two_arm.csv",
        Options {
            baseline_week: 0,
            reference_arm: Some("control".into()),
            covariates: vec!["site".into(), "age".into()],
            ..Options::default()
        },
    );
}

#[test]
fn random_intercept_df_with_three_arms_match_lmertest_and_pbkrtest() {
    compare_random_intercept(
        "tests/data/three_arm.csv",
        Options {
            baseline_week: 0,
            reference_arm: Some("a_control".into()),
            covariates: vec!["stratum".into()],
            ..Options::default()
        },
    );
}

#[test]
fn partially_nested_satterthwaite_df_match_lmertest() {
    compare_random_intercept(
        "tests/data/two_arm.csv",
        Options {
            baseline_week: 0,
            reference_arm: Some("control".into()),
            covariates: vec!["age".into()],
            group_effect: true,
            ..Options::default()
        },
    );
}
