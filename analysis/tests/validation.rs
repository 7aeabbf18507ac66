//! Every figure of the analysis against statsmodels on the data sets built by
//! `analysis/validation/make_expected.py` (its output is committed in `tests/data`).
//! Tolerances: 1e-6 for descriptives, OLS and effect sizes; 1e-4 for the REML mixed model, whose
//! t-based intervals (on Satterthwaite's df) are checked against R in `r_validation.rs`.

use std::path::PathBuf;

use serde_json::Value;
use statrs::distribution::{ContinuousCDF, StudentsT};
use trialdesk_analysis::{Options, Summary, analyze_file};

const EXACT: f64 = 1e-6;
const MIXED: f64 = 1e-4;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// Runs the analysis the expected file describes; returns (ours, statsmodels') as JSON.
fn run(expected_file: &str) -> (Value, Value) {
    let text = std::fs::read_to_string(data(expected_file)).expect("expected values are committed");
    let expected: Value = serde_json::from_str(&text).expect("expected values are JSON");
    let options: Options = serde_json::from_value(expected["options"].clone()).expect("options");
    let input = data(expected["data"].as_str().expect("data file named"));
    let summary: Summary = analyze_file(&input, &options).expect("analysis runs");
    (serde_json::to_value(summary).expect("serialises"), expected)
}

fn close(ours: &Value, theirs: &Value, tolerance: f64, at: &str) {
    match (ours, theirs) {
        (Value::Null, Value::Null) => {}
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap_or(f64::NAN), b.as_f64().unwrap_or(f64::NAN));
            let allowed = tolerance * b.abs().max(1.0);
            assert!((a - b).abs() <= allowed, "{at}: ours {a}, statsmodels {b} (allowed {allowed:e})");
        }
        (a, b) => assert_eq!(a, b, "{at}"),
    }
}

/// Matches rows by their key fields, then compares every field statsmodels gave.
fn compare_rows(ours: &Value, theirs: &Value, keys: &[&str], tolerance: f64, at: &str) {
    let (ours, theirs) = (ours.as_array().expect("rows"), theirs.as_array().expect("rows"));
    assert_eq!(ours.len(), theirs.len(), "{at}: row count");
    for expected in theirs {
        let key: Vec<&Value> = keys.iter().map(|k| &expected[*k]).collect();
        let row = ours
            .iter()
            .find(|r| keys.iter().zip(&key).all(|(k, v)| &r[*k] == *v))
            .unwrap_or_else(|| panic!("{at}: no row for {key:?}"));
        for (field, value) in expected.as_object().expect("row object") {
            close(&row[field], value, tolerance, &format!("{at} {key:?} {field}"));
        }
    }
}

/// statsmodels' estimates and standard errors; its intervals and p-values are normal-based,
/// while ours are on t with Satterthwaite's degrees of freedom (checked against lmerTest in
/// `r_validation.rs`), so here they are checked to follow from the estimate, SE and df.
fn compare_mixed_effects(ours: &Value, theirs: &Value, at: &str) {
    let rows = ours.as_array().expect("rows");
    assert_eq!(rows.len(), theirs.as_array().expect("rows").len(), "{at}: row count");
    for expected in theirs.as_array().expect("rows") {
        let row = rows
            .iter()
            .find(|r| r["week"] == expected["week"] && r["arm"] == expected["arm"])
            .unwrap_or_else(|| panic!("{at}: no row for {expected}"));
        let key = format!("{at} week {} {}", expected["week"], expected["arm"]);
        close(&row["estimate"], &expected["estimate"], MIXED, &format!("{key} estimate"));
        close(&row["se"], &expected["se"], MIXED, &format!("{key} se"));
        let number =
            |field: &str| row[field].as_f64().unwrap_or_else(|| panic!("{key}: {field} is a number"));
        let (estimate, se, df) = (number("estimate"), number("se"), number("df"));
        assert_eq!(row["df_method"], "satterthwaite", "{key}");
        let t = StudentsT::new(0.0, 1.0, df).expect("df > 0");
        let quantile = t.inverse_cdf(0.975);
        assert!((number("ci_high") - (estimate + quantile * se)).abs() < 1e-9, "{key} ci_high");
        assert!((number("ci_low") - (estimate - quantile * se)).abs() < 1e-9, "{key} ci_low");
        assert!((number("p_value") - 2.0 * t.sf((estimate / se).abs())).abs() < 1e-12, "{key} p");
    }
}

fn compare(expected_file: &str) {
    let (ours, expected) = run(expected_file);
    let instruments = expected["instruments"].as_object().expect("instruments");
    assert!(!instruments.is_empty());
    for (name, theirs) in instruments {
        let mine = &ours["instruments"][name];
        let at = |part: &str| format!("{expected_file} {name} {part}");
        compare_rows(
            &mine["descriptives"],
            &theirs["descriptives"],
            &["arm", "week"],
            EXACT,
            &at("descriptives"),
        );
        compare_rows(
            &mine["change_from_baseline"],
            &theirs["change_from_baseline"],
            &["arm", "week"],
            EXACT,
            &at("change"),
        );
        compare_rows(&mine["ancova"], &theirs["ancova"], &["week", "arm"], EXACT, &at("ancova"));
        compare_rows(
            &mine["ancova_coefficients"],
            &theirs["ancova_coefficients"],
            &["week", "term"],
            EXACT,
            &at("ancova coefficients"),
        );
        compare_rows(
            &mine["effect_sizes"],
            &theirs["effect_sizes"],
            &["week", "arm"],
            EXACT,
            &at("effect sizes"),
        );
        compare_rows(&mine["completion"], &theirs["completion"], &["arm", "week"], EXACT, &at("completion"));
        let (model, expected_model) = (&mine["mixed_model"], &theirs["mixed_model"]);
        compare_mixed_effects(
            &model["arm_effect_by_week"],
            &expected_model["arm_effect_by_week"],
            &at("mixed model"),
        );
        for part in ["n_obs", "n_participants", "n_groups", "icc", "reml_log_likelihood"] {
            close(&model[part], &expected_model[part], MIXED, &at(part));
        }
        for part in ["participant", "group", "residual"] {
            let path = format!("variance {part}");
            close(
                &model["variance_components"][part],
                &expected_model["variance_components"][part],
                MIXED,
                &at(&path),
            );
        }
    }
}

#[test]
fn two_arms_with_numeric_and_categorical_covariates_match_statsmodels() {
    compare("expected_two_arm.json");
}

#[test]
fn partially_nested_group_effect_matches_statsmodels() {
    compare("expected_two_arm_groups.json");
}

#[test]
fn three_arms_against_a_named_reference_match_statsmodels() {
    compare("expected_three_arm.json");
}
