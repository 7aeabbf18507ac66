//! The protocol's own rules, on the bundled protocol and variations of it.

use chrono::NaiveDate;

use super::{BUNDLED, check::check};
use crate::instruments::Library;

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

#[test]
fn a_consent_form_is_in_force_from_its_approval_day_until_a_later_one_is() {
    let amended = format!(
        "{BUNDLED}\n[[consent_forms]]\nversion = \"2.0\"\napproved_on = \"2027-01-10\"\ntitle = {{ en = \"v2\", es = \"v2\" }}\n"
    );
    let protocol = check(&amended, &Library::bundled()).expect("the amended protocol is valid");
    let in_force =
        |on: &str| protocol.consent_form_in_force("main", day(on)).map(|f| f.version.get_ref().as_str());
    assert_eq!(in_force("2026-03-01"), None);
    assert_eq!(in_force("2026-03-02"), Some("1.0"));
    assert_eq!(in_force("2027-01-09"), Some("1.0"));
    assert_eq!(in_force("2027-01-10"), Some("2.0"));
}

#[test]
fn a_site_with_its_own_approved_form_uses_it_and_other_sites_keep_the_studys() {
    let amended = format!(
        "{BUNDLED}\n[[consent_forms]]\nversion = \"boston-1\"\napproved_on = \"2026-06-01\"\nsite = \"boston\"\ntitle = {{ en = \"Boston\", es = \"Boston\" }}\n\n[[consent_forms]]\nversion = \"2.0\"\napproved_on = \"2027-01-10\"\ntitle = {{ en = \"v2\", es = \"v2\" }}\n"
    );
    let protocol = check(&amended, &Library::bundled()).expect("the amended protocol is valid");
    let at = |site: &str, on: &str| {
        protocol.consent_form_in_force(site, day(on)).map(|f| f.version.get_ref().as_str())
    };
    // Before the site's own approval, the study's form; from it on, the site's, even after
    // the study approves a newer one; another site follows the study's.
    assert_eq!(at("boston", "2026-05-31"), Some("1.0"));
    assert_eq!(at("boston", "2026-06-01"), Some("boston-1"));
    assert_eq!(at("boston", "2027-02-01"), Some("boston-1"));
    assert_eq!(at("main", "2027-02-01"), Some("2.0"));
}

/// The errors `protocol check` reports for a text, joined.
fn problems(text: &str) -> String {
    match check(text, &Library::bundled()) {
        Ok(_) => String::new(),
        Err(errors) => errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"),
    }
}

#[test]
fn choice_options_and_strata_levels_need_a_label_in_every_study_language_and_only_for_real_values() {
    assert_eq!(problems(BUNDLED), "", "the bundled protocol labels everything");
    let unlabelled =
        BUNDLED.replace("unsure = { en = \"Not sure yet\", es = \"Todavía no estoy seguro/a\" }\n", "");
    assert!(problems(&unlabelled).contains("option `unsure` has no label"), "{}", problems(&unlabelled));
    let english_only = BUNDLED.replace(
        "latinx = { en = \"Hispanic or Latinx\", es = \"Hispano(a) o latino(a)\" }",
        "latinx = { en = \"Hispanic or Latinx\" }",
    );
    let found = problems(&english_only);
    assert!(found.contains("level `latinx` has no `es` label") && found.contains(':'), "{found}");
    let stray = BUNDLED.replace(
        "no = { en = \"No\", es = \"No\" }\n\n[randomisation]",
        "no = { en = \"No\", es = \"No\" }\nmaybe = { en = \"Maybe\", es = \"Quizás\" }\n\n[randomisation]",
    );
    assert!(
        problems(&stray).contains("`maybe` is labelled but is not one of the levels"),
        "{}",
        problems(&stray)
    );
}

/// The bundled protocol with minimisation in place of blocks, and `extra` lines in its
/// randomisation section.
fn with_minimisation(extra: &str) -> String {
    BUNDLED.replace(
        "method = \"stratified_blocks\"\nblock_sizes = [2, 4, 6]",
        &format!("method = \"minimisation\"\nimbalance = \"range\"\n{extra}"),
    )
}

#[test]
fn a_new_version_needs_a_minimisation_probability_above_one_over_the_slots_and_below_one() {
    assert_eq!(problems(&with_minimisation("probability = 0.8")), "");
    for bad in ["probability = 1.0", "probability = 0.5", "probability = 0.3"] {
        let found = problems(&with_minimisation(bad));
        assert!(
            found.contains("probability must be above 1/2") && found.contains("below 1"),
            "{bad}: {found:?}"
        );
    }
}

#[test]
fn minimisation_weights_must_name_stratification_factors_and_be_above_zero() {
    let factors: Vec<String> = check(BUNDLED, &Library::bundled())
        .expect("valid")
        .stratification
        .iter()
        .map(|f| f.id.get_ref().clone())
        .collect();
    let good = format!("probability = 0.8\nweights = {{ {} = 2.0 }}", factors[0]);
    assert_eq!(problems(&with_minimisation(&good)), "");
    let unknown = problems(&with_minimisation("probability = 0.8\nweights = { shoe_size = 2.0 }"));
    assert!(unknown.contains("`shoe_size`, which is not a stratification factor"), "{unknown:?}");
    let zero =
        problems(&with_minimisation(&format!("probability = 0.8\nweights = {{ {} = 0.0 }}", factors[0])));
    assert!(zero.contains("must be a number above 0"), "{zero:?}");
    let on_blocks = problems(&BUNDLED.replace(
        "block_sizes = [2, 4, 6]",
        &format!("block_sizes = [2, 4, 6]\nweights = {{ {} = 2.0 }}", factors[0]),
    ));
    assert!(on_blocks.contains("weights apply to minimisation only"), "{on_blocks:?}");
}
