//! File-level rules: small files, and services that know nothing of HTTP.

use std::path::Path;

use crate::source::{is_edge, read_tree};

fn src() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// A file a reader can hold in one sitting; past this, split it along its capabilities.
const MAX_LINES: usize = 500;

#[test]
fn no_source_file_is_over_500_lines() {
    let long: Vec<String> = read_tree(&src())
        .into_iter()
        .map(|f| (f.text.lines().count(), f.relative))
        .filter(|(n, _)| *n > MAX_LINES)
        .map(|(n, f)| format!("{f}: {n} lines"))
        .collect();
    assert!(long.is_empty(), "files over {MAX_LINES} lines:\n{}", long.join("\n"));
}

/// What a service file may not name: the web framework, or the HTTP error it is mapped to.
fn http_words(code: &str) -> Vec<&'static str> {
    ["actix_web", "actix_session", "HttpResponse", "AppError", "StatusCode"]
        .into_iter()
        .filter(|w| {
            code.match_indices(w).any(|(i, _)| {
                let before = code[..i].chars().last();
                let after = code[i + w.len()..].chars().next();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        })
        .collect()
}

#[test]
fn service_files_name_no_http_type() {
    let offenders: Vec<String> = read_tree(&src())
        .into_iter()
        .filter(|f| !is_edge(&f.relative))
        .filter_map(|f| {
            let words = http_words(&f.code);
            (!words.is_empty()).then(|| format!("{}: {}", f.relative, words.join(", ")))
        })
        .collect();
    assert!(offenders.is_empty(), "service files that name HTTP types:\n{}", offenders.join("\n"));
}

#[test]
fn the_http_check_sees_through_comments_but_not_words_in_them() {
    let code = crate::source::blank_comments_and_strings(
        "// returns an AppError\nfn f() -> Result<(), ServiceError> { let s = \"actix_web\"; }\n",
    );
    assert!(http_words(&code).is_empty());
    let code = crate::source::blank_comments_and_strings("use actix_web::web;\nfn f() -> AppError {}\n");
    assert_eq!(http_words(&code), ["actix_web", "AppError"]);
}
