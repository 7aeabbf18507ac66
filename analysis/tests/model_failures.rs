//! Data a model cannot take as they are: every model (ANCOVA, the random-intercept mixed model,
//! the MMRM) gives figures that are right, or leaves a figure out and says why in `notes`, never
//! a wrong figure.

use std::io::Write;

use trialdesk_analysis::{InstrumentSummary, Options, analyze_file};

const WEEKS: [i64; 4] = [0, 4, 8, 12];

/// A deterministic number in [0, 1) from a few integers: the noise of the simulated scores.
fn unit(seed: u64) -> f64 {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Roughly normal noise with SD 1 (a sum of twelve uniforms).
fn noise(seed: u64) -> f64 {
    (0..12).map(|k| unit(seed * 16 + k)).sum::<f64>() - 6.0
}

/// A two-arm trial of `n` participants over `WEEKS`, with covariates `age`, `age_months` (age
/// × 12, so aliased with it) and `code` (the same number everywhere); `keep` decides which
/// (arm, week, instrument) rows are written.
fn trial(n: u64, keep: impl Fn(&str, i64, &str) -> bool) -> tempfile::NamedTempFile {
    let mut text = String::from("participant_id,arm,week,instrument,total_score,age,age_months,code\n");
    for i in 0..n {
        let arm = if i % 2 == 0 { "control" } else { "intervention" };
        let age = 30.0 + (i * 37 % 40) as f64 + 0.5 * (i % 2) as f64;
        let person = 2.0 * noise(i * 7 + 1);
        for (w, &week) in WEEKS.iter().enumerate() {
            for instrument in ["phq9", "who5"] {
                if !keep(arm, week, instrument) {
                    continue;
                }
                let effect = if arm == "intervention" { -0.25 * week as f64 } else { 0.0 };
                let score = 10.0 + 0.05 * age + person + effect + 1.5 * noise(i * 101 + w as u64 * 13 + 5);
                text.push_str(&format!(
                    "P{i:03},{arm},{week},{instrument},{score:.3},{age},{},7\n",
                    age * 12.0
                ));
            }
        }
    }
    let mut file = tempfile::Builder::new().suffix(".csv").tempfile().expect("temp file");
    file.write_all(text.as_bytes()).expect("write");
    file
}

fn analyse(file: &tempfile::NamedTempFile, covariates: &[&str]) -> InstrumentSummary {
    let options = Options {
        baseline_week: 0,
        reference_arm: Some("control".into()),
        covariates: covariates.iter().map(|c| c.to_string()).collect(),
        instruments: vec!["phq9".into()],
        ..Options::default()
    };
    let mut summary = analyze_file(file.path(), &options).expect("analysis runs");
    summary.instruments.remove("phq9").expect("phq9 analysed")
}

fn noted(result: &InstrumentSummary, model: &str, words: &str) -> bool {
    result.notes.iter().any(|n| n.starts_with(model) && n.contains(words))
}

/// Every arm effect of every model in `a` equals the one in `b`.
fn same_effects(a: &InstrumentSummary, b: &InstrumentSummary) {
    let close =
        |x: f64, y: f64, what: &str| assert!((x - y).abs() < 1e-7 * y.abs().max(1.0), "{what}: {x} vs {y}");
    assert_eq!(a.ancova.len(), b.ancova.len());
    for (x, y) in a.ancova.iter().zip(&b.ancova) {
        close(x.estimate, y.estimate, "ANCOVA estimate");
        close(x.se, y.se, "ANCOVA se");
    }
    let (mixed_a, mixed_b) =
        (a.mixed_model.as_ref().expect("mixed model"), b.mixed_model.as_ref().expect("mixed model"));
    assert_eq!(mixed_a.arm_effect_by_week.len(), 3);
    for (x, y) in mixed_a.arm_effect_by_week.iter().zip(&mixed_b.arm_effect_by_week) {
        close(x.estimate, y.estimate, "mixed estimate");
        close(x.se, y.se, "mixed se");
    }
    let (mmrm_a, mmrm_b) = (a.mmrm.as_ref().expect("MMRM"), b.mmrm.as_ref().expect("MMRM"));
    assert!(mmrm_a.converged && mmrm_b.converged);
    assert_eq!(mmrm_a.arm_effect_by_week.len(), 3);
    for (x, y) in mmrm_a.arm_effect_by_week.iter().zip(&mmrm_b.arm_effect_by_week) {
        close(x.estimate, y.estimate, "MMRM estimate");
        close(x.se, y.se, "MMRM se");
    }
}

#[test]
fn an_aliased_covariate_is_dropped_by_name_and_every_model_equals_the_fit_without_it() {
    let file = trial(60, |_, _, _| true);
    let with = analyse(&file, &["age", "age_months"]);
    let without = analyse(&file, &["age"]);
    same_effects(&with, &without);
    for model in ["ANCOVA at week 4", "mixed model", "MMRM"] {
        assert!(noted(&with, model, "dropped `age_months`"), "{model}: {:?}", with.notes);
    }
    assert_eq!(with.mmrm.as_ref().map(|m| m.aliased.clone()), Some(vec!["age_months".to_string()]));
    assert!(without.notes.is_empty(), "{:?}", without.notes);
}

#[test]
fn a_constant_covariate_is_dropped_by_name_and_changes_no_figure() {
    let file = trial(60, |_, _, _| true);
    let with = analyse(&file, &["code"]);
    let without = analyse(&file, &[]);
    same_effects(&with, &without);
    for model in ["ANCOVA at week 12", "mixed model", "MMRM"] {
        assert!(noted(&with, model, "dropped `code`"), "{model}: {:?}", with.notes);
    }
}

#[test]
fn an_arm_without_scores_at_one_week_loses_only_that_weeks_comparisons() {
    let file = trial(80, |arm, week, _| !(arm == "intervention" && week == 8));
    let result = analyse(&file, &["age"]);
    assert!(result.ancova.iter().all(|e| e.week != 8) && result.ancova.len() == 2);
    assert!(noted(&result, "ANCOVA at week 8", "only one arm"), "{:?}", result.notes);
    let mixed = result.mixed_model.as_ref().expect("the mixed model is still fitted");
    assert_eq!(mixed.arm_effect_by_week.iter().map(|e| e.week).collect::<Vec<_>>(), vec![4, 12]);
    assert!(noted(&result, "mixed model", "`intervention` at week 8 is not estimable"), "{:?}", result.notes);
    let mmrm = result.mmrm.as_ref().expect("the MMRM is still fitted");
    assert!(mmrm.converged);
    assert_eq!(mmrm.arm_effect_by_week.iter().map(|e| e.week).collect::<Vec<_>>(), vec![4, 12]);
    assert_eq!(mmrm.lsmeans.len(), 5, "every arm × week but intervention at week 8");
    assert!(noted(&result, "MMRM", "`intervention` has no score at week 8"), "{:?}", result.notes);
    // The simulated effect is −0.25 a week: the estimates that remain are near it.
    let estimates = mmrm.arm_effect_by_week.iter().map(|e| (e.week, e.estimate, e.se));
    for (week, estimate, se) in
        estimates.chain(mixed.arm_effect_by_week.iter().map(|e| (e.week, e.estimate, e.se)))
    {
        let truth = -0.25 * week as f64;
        assert!((estimate - truth).abs() < 3.0 * se, "week {week}: {estimate}");
    }
}

#[test]
fn an_instrument_measured_in_one_arm_only_gets_descriptives_and_a_note_from_every_model() {
    let file = trial(40, |arm, _, instrument| instrument == "phq9" || arm == "control");
    let options = Options { baseline_week: 0, reference_arm: Some("control".into()), ..Options::default() };
    let summary = analyze_file(file.path(), &options).expect("analysis runs");
    let result = &summary.instruments["who5"];
    assert!(!result.descriptives.is_empty());
    assert!(result.ancova.is_empty() && result.mixed_model.is_none() && result.mmrm.is_none());
    for model in ["ANCOVA at week 4", "mixed model", "MMRM"] {
        assert!(noted(result, model, "only"), "{model}: {:?}", result.notes);
    }
}

#[test]
fn too_few_rows_for_a_model_give_a_note_not_a_figure() {
    let file = trial(2, |_, _, _| true);
    let result = analyse(&file, &["age"]);
    assert!(result.ancova.is_empty() && result.mixed_model.is_none() && result.mmrm.is_none());
    assert!(noted(&result, "ANCOVA at week 4", "cannot estimate"), "{:?}", result.notes);
    assert!(noted(&result, "mixed model", "cannot estimate"), "{:?}", result.notes);
    assert!(noted(&result, "MMRM", "cannot estimate"), "{:?}", result.notes);
}

/// 27 participants of a small demo trial with three scores per arm at week 24: REML rises toward a
/// covariance with perfectly correlated weeks and has no maximum (R's gls stops with "false
/// convergence" on the same data). The MMRM says so and reports nothing; the other models stand.
#[test]
fn an_unstructured_covariance_the_data_cannot_support_is_noted_and_no_mmrm_figure_is_reported() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/singular_gad7.csv");
    let options =
        Options { baseline_week: 0, reference_arm: Some("support_groups".into()), ..Options::default() };
    let summary = analyze_file(std::path::Path::new(path), &options).expect("analysis runs");
    let result = &summary.instruments["gad7"];
    let mmrm = result.mmrm.as_ref().expect("the MMRM was tried");
    assert!(!mmrm.converged);
    assert!(
        mmrm.arm_effect_by_week.is_empty() && mmrm.lsmeans.is_empty() && mmrm.reml_log_likelihood.is_none()
    );
    assert!(noted(result, "MMRM", "perfectly correlated"), "{:?}", result.notes);
    assert!(!result.ancova.is_empty() && result.mixed_model.is_some());
}
