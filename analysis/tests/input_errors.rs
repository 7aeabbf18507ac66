//! Bad input is reported with the column and the row, and nothing is computed from it.

use std::io::Write;

use trialdesk_analysis::{AnalysisError, Options, analyze_file};

fn file(contents: &str, suffix: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(suffix).tempfile().expect("temp file");
    f.write_all(contents.as_bytes()).expect("write");
    f
}

const HEADER: &str = "participant_id,arm,week,instrument,total_score,site\n";

fn rows() -> String {
    let mut text = String::from(HEADER);
    for (i, arm) in ["control", "intervention"].iter().cycle().take(8).enumerate() {
        for week in [0, 6] {
            // Scores that no model fits exactly.
            text.push_str(&format!("P{i},{arm},{week},phq9,{},north\n", 5 + (i * 7 + week * 3) % 11));
        }
    }
    text
}

fn error_of(contents: &str, options: &Options) -> String {
    let f = file(contents, ".csv");
    match analyze_file(f.path(), options) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn a_missing_required_column_is_named() {
    let text = rows().replace("total_score", "score");
    let message = error_of(&text, &Options::default());
    assert!(message.contains("no column `total_score`"), "{message}");
}

#[test]
fn a_non_numeric_score_names_the_column_the_row_and_the_line() {
    let mut text = rows();
    text.push_str("P9,control,0,phq9,seven,north\n");
    let message = error_of(&text, &Options::default());
    assert!(message.contains("column `total_score`, row 17 (line 18): `seven` is not a number"), "{message}");
}

#[test]
fn a_fractional_week_is_refused() {
    let text = rows().replacen(",6,phq9", ",6.5,phq9", 1);
    let message = error_of(&text, &Options::default());
    assert!(message.contains("column `week`, row 2 (line 3): `6.5` is not a whole number"), "{message}");
}

#[test]
fn an_unknown_reference_arm_lists_the_arms_there_are() {
    let options = Options { reference_arm: Some("placebo".into()), ..Options::default() };
    let message = error_of(&rows(), &options);
    assert!(message.contains("arm `placebo` is not in the data (arms: control, intervention)"), "{message}");
}

#[test]
fn a_baseline_or_primary_week_without_data_is_refused_with_the_weeks_there_are() {
    let options = Options { primary_week: Some(-3), ..Options::default() };
    let message = error_of(&rows(), &options);
    assert!(message.contains("no row is at the primary week -3 (weeks: 0, 6)"), "{message}");
    let options = Options { baseline_week: 2, primary_week: Some(6), ..Options::default() };
    assert!(error_of(&rows(), &options).contains("no row is at the baseline week 2 (weeks: 0, 6)"));
    let options = Options { primary_week: Some(6), ..Options::default() };
    let f = file(&rows(), ".csv");
    assert!(analyze_file(f.path(), &options).is_ok(), "a week with data is accepted");
}

#[test]
fn an_unknown_covariate_or_instrument_is_named() {
    let options = Options { covariates: vec!["age".into()], ..Options::default() };
    assert!(error_of(&rows(), &options).contains("covariate `age` is not a column"));
    let options = Options { instruments: vec!["gad7".into()], ..Options::default() };
    assert!(error_of(&rows(), &options).contains("instrument `gad7` is not in the data (instruments: phq9)"));
}

#[test]
fn a_second_row_for_the_same_participant_week_and_instrument_is_refused() {
    let mut text = rows();
    text.push_str("P0,control,6,phq9,4,north\n");
    let message = error_of(&text, &Options::default());
    assert!(
        message.contains("row 17 (line 18)")
            && message.contains("already has a phq9 score at week 6 (row 2 (line 3))"),
        "{message}"
    );
}

#[test]
fn the_earliest_repeated_row_is_reported_whichever_instrument_it_belongs_to() {
    let mut text = rows();
    text.push_str("P1,intervention,0,gad7,4,north\n");
    text.push_str("P1,intervention,0,gad7,5,north\n");
    text.push_str("P0,control,6,phq9,4,north\n");
    let message = error_of(&text, &Options::default());
    assert!(
        message.contains("row 18 (line 19)")
            && message.contains("participant `P1` already has a gad7 score at week 0 (row 17 (line 18))"),
        "{message}"
    );
}

#[test]
fn a_covariate_with_any_text_value_is_categorical_wherever_the_text_is() {
    for (first, rest) in [("north", "12"), ("12", "north")] {
        let mut text = String::from(HEADER);
        for (i, line) in rows().lines().skip(1).enumerate() {
            let site = if i < 2 { first } else { rest };
            text.push_str(&format!("{},{site}\n", line.rsplit_once(',').expect("six columns").0));
        }
        let f = file(&text, ".csv");
        let options = Options { covariates: vec!["site".into()], ..Options::default() };
        let summary = analyze_file(f.path(), &options).expect("analysis runs");
        let terms: Vec<&str> =
            summary.instruments["phq9"].ancova_coefficients.iter().map(|c| c.term.as_str()).collect();
        assert!(terms.contains(&"site[north]"), "site first {first}: {terms:?}");
    }
}

#[test]
fn an_empty_week_is_refused_with_its_row() {
    let text = rows().replacen("P1,intervention,6,phq9,", "P1,intervention,,phq9,", 1);
    let message = error_of(&text, &Options::default());
    assert!(message.contains("column `week`, row 4 (line 5): empty"), "{message}");
}

#[test]
fn a_covariate_numeric_in_the_first_thousand_rows_and_text_later_is_categorical() {
    // The typed read guesses from the first 1,000 rows; "north" on row 1,101 proves it wrong.
    let mut text = String::from(HEADER);
    for i in 0..600 {
        let arm = ["control", "intervention"][i % 2];
        for week in [0, 6] {
            let row = 2 * i + week / 6;
            let site = if row < 1100 { ["1", "2"][(i / 2) % 2] } else { "north" };
            text.push_str(&format!("P{i},{arm},{week},phq9,{},{site}\n", 5 + (i * 7 + week * 3) % 11));
        }
    }
    let f = file(&text, ".csv");
    let options = Options { covariates: vec!["site".into()], ..Options::default() };
    let summary = analyze_file(f.path(), &options).expect("analysis runs");
    let terms: Vec<&str> =
        summary.instruments["phq9"].ancova_coefficients.iter().map(|c| c.term.as_str()).collect();
    assert!(terms.contains(&"site[2]") && terms.contains(&"site[north]"), "{terms:?}");
}

#[test]
fn an_empty_score_is_missing_not_an_error() {
    let text = rows().replacen("P0,control,6,phq9,12,", "P0,control,6,phq9,,", 1);
    let f = file(&text, ".csv");
    let summary = analyze_file(f.path(), &Options::default()).expect("analysis runs");
    let completion = &summary.instruments["phq9"].completion;
    assert!(completion.iter().any(|c| c.completed < c.randomised), "{completion:?}");
}

#[test]
fn a_file_that_does_not_exist_is_a_read_error() {
    let missing = std::path::Path::new("/nonexistent/scores.csv");
    assert!(matches!(analyze_file(missing, &Options::default()), Err(AnalysisError::Read { .. })));
}
