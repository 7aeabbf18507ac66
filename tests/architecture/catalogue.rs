//! The error catalogue: every `code` a client can receive, with its HTTP status, as listed in
//! `docs/errors.md`. The codes are part of the API; this test fails when the source and the
//! catalogue disagree, so a refactor cannot change one silently.

use std::collections::BTreeSet;
use std::path::Path;

use crate::source::{blank_comments_and_strings, read_tree};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Codes every error kind carries whatever the service (`AppError::code` and its status).
const FIXED: [(&str, u16); 13] = [
    ("unauthenticated", 401),
    ("invalid_credentials", 401),
    ("two_factor_code_required", 401),
    ("invalid_code", 401),
    ("bad_request", 400),
    ("forbidden", 403),
    ("not_found", 404),
    ("method_not_allowed", 405),
    ("payload_too_large", 413),
    ("validation_failed", 422),
    ("too_many_requests", 429),
    ("internal", 500),
    ("unavailable", 503),
];

/// `(code, status)` for each `conflict("code", …)` (409) and `forbidden("code", …)` (403) in `src/`.
fn codes_in_source() -> BTreeSet<(String, u16)> {
    let mut found: BTreeSet<(String, u16)> = FIXED.iter().map(|(c, s)| (c.to_string(), *s)).collect();
    for file in read_tree(&root().join("src")) {
        // Search the text with comments blanked but string contents kept: the code is a literal.
        let blanked = blank_comments_and_strings(&file.text);
        let cut = file.code.len();
        for (constructor, status) in [("conflict(", 409), ("forbidden(", 403)] {
            for (at, _) in blanked[..cut].match_indices(constructor) {
                if blanked[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let after = file.text[at + constructor.len()..].trim_start();
                if let Some(rest) = after.strip_prefix('"') {
                    let code: String = rest.chars().take_while(|c| *c != '"').collect();
                    found.insert((code, status));
                }
            }
        }
    }
    found
}

/// `(code, status)` for each row of the table in `docs/errors.md`.
fn codes_in_catalogue() -> BTreeSet<(String, u16)> {
    let text = std::fs::read_to_string(root().join("docs/errors.md")).expect("docs/errors.md");
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let code = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            let status = cells.get(2)?.parse().ok()?;
            Some((code.to_string(), status))
        })
        .collect()
}

#[test]
fn every_error_code_and_status_in_the_source_is_in_the_catalogue_and_no_other() {
    let source = codes_in_source();
    let catalogue = codes_in_catalogue();
    let missing: Vec<_> = source.difference(&catalogue).collect();
    let stale: Vec<_> = catalogue.difference(&source).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "in the source but not in docs/errors.md: {missing:?}\nin docs/errors.md but not in the source: {stale:?}"
    );
    assert!(source.len() > 40, "the scan found too few codes to be reading the source: {}", source.len());
}
