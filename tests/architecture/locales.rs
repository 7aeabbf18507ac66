//! The pages' words (`locales/{lang}/*.ftl`, docs/decisions/0005). Fluent keys are strings, so
//! these tests do what the compiler did for the old text tables: every file parses, every
//! language has the same files, keys and placeholders, and every key the code names exists.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use fluent_templates::fluent_bundle::FluentResource;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Each language's folder, by code.
fn languages() -> BTreeMap<String, PathBuf> {
    fs::read_dir(root().join("locales"))
        .expect("locales/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .map(|p| (p.file_name().expect("name").to_string_lossy().into_owned(), p))
        .collect()
}

/// File name → key → the placeholders its message uses (`$n`), for one language.
fn messages(dir: &Path) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(dir).expect("language folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "ftl") {
            continue;
        }
        let text = fs::read_to_string(&path).expect("read .ftl");
        if let Err((_, errors)) = FluentResource::try_new(text.clone()) {
            panic!("{} does not parse: {errors:?}", path.display());
        }
        let mut keys = BTreeMap::new();
        let mut current: Option<String> = None;
        for line in text.lines() {
            if let Some((key, _)) = line.split_once(" =").filter(|(k, _)| is_key(k)) {
                assert!(
                    keys.insert(key.to_owned(), BTreeSet::new()).is_none(),
                    "{key} twice in {}",
                    path.display()
                );
                current = Some(key.to_owned());
            } else if !line.starts_with([' ', '\t']) {
                current = None;
            }
            if let Some(key) = &current {
                let vars = keys.get_mut(key).expect("current key");
                for part in line.split('$').skip(1) {
                    let name: String =
                        part.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                    vars.insert(name);
                }
            }
        }
        files.insert(path.file_name().expect("name").to_string_lossy().into_owned(), keys);
    }
    files
}

fn is_key(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

#[test]
fn every_language_has_the_same_files_keys_and_placeholders_as_english() {
    let langs = languages();
    let english = messages(&langs["en"]);
    assert!(langs.contains_key("es"), "the pages speak Spanish too");
    for (code, dir) in &langs {
        let other = messages(dir);
        assert_eq!(
            other.keys().collect::<Vec<_>>(),
            english.keys().collect::<Vec<_>>(),
            "locales/{code} has other files than locales/en"
        );
        for (file, keys) in &english {
            let theirs = &other[file];
            let missing: Vec<_> = keys.keys().filter(|k| !theirs.contains_key(*k)).collect();
            let extra: Vec<_> = theirs.keys().filter(|k| !keys.contains_key(*k)).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "locales/{code}/{file}: missing {missing:?}, not in English {extra:?}"
            );
            for (key, vars) in keys {
                assert_eq!(
                    &theirs[key], vars,
                    "locales/{code}/{file}: {key} has other placeholders than in English"
                );
            }
        }
    }
}

/// The keys named as a literal first argument of a `Tr` lookup in `text` (`tr.t("…")`, and the
/// participant pages' `t.t("…")`, `en.t("…")`).
fn keys_named(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for call in [".t(\"", ".n(\"", ".a(\"", ".a2(\"", ".args(\""] {
        for (at, _) in text.match_indices(call) {
            let rest = &text[at + call.len()..];
            let key: String = rest.chars().take_while(|c| *c != '"').collect();
            found.push(key);
        }
    }
    found
}

fn files_under(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files_under(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

#[test]
fn every_key_the_templates_and_code_name_is_in_the_english_locale() {
    let english: BTreeSet<String> =
        messages(&languages()["en"]).into_values().flat_map(|keys| keys.into_keys()).collect();
    let mut files = Vec::new();
    files_under(&root().join("templates"), "html", &mut files);
    files_under(&root().join("src"), "rs", &mut files);
    let mut missing = Vec::new();
    let mut named = 0;
    for path in files {
        let text = fs::read_to_string(&path).expect("read");
        for key in keys_named(&text) {
            named += 1;
            if !english.contains(&key) {
                missing.push(format!("{}: {key}", path.strip_prefix(root()).unwrap_or(&path).display()));
            }
        }
    }
    assert!(named > 300, "only {named} lookups found: has the way pages name their words changed?");
    assert!(missing.is_empty(), "keys named but not in locales/en: {missing:#?}");
}

/// Every string literal of `text` shaped like a key (`word-word…`).
fn key_shaped_literals(text: &str) -> Vec<String> {
    text.split('"').skip(1).step_by(2).filter(|s| is_key(s) && s.contains('-')).map(str::to_owned).collect()
}

#[test]
fn every_key_shaped_literal_in_the_code_is_a_key_or_the_prefix_of_some() {
    // Keys chosen in code (`tr.t(if done { "a-b" } else { "a-c" })`, `tr.word("status", …)`)
    // escape the test above; any literal that starts like a key family must be one, or lead to
    // some (`site-status` for `site-status-open`).
    let english: BTreeSet<String> =
        messages(&languages()["en"]).into_values().flat_map(|keys| keys.into_keys()).collect();
    let families: BTreeSet<&str> = english.iter().filter_map(|k| k.split('-').next()).collect();
    let mut files = Vec::new();
    files_under(&root().join("src"), "rs", &mut files);
    let mut stray = Vec::new();
    for path in files {
        let text = fs::read_to_string(&path).expect("read");
        for literal in key_shaped_literals(&text) {
            let family = literal.split('-').next().unwrap_or_default();
            let prefix = format!("{literal}-");
            if families.contains(family)
                && !english.contains(&literal)
                && !english.iter().any(|k| k.starts_with(&prefix))
            {
                stray.push(format!("{}: {literal}", path.strip_prefix(root()).unwrap_or(&path).display()));
            }
        }
    }
    assert!(stray.is_empty(), "key-shaped literals that are no key of locales/en: {stray:#?}");
}
