//! `trialdesk copy`, run as an operator runs it: a demo trial on SQLite is copied to the backend
//! under test (PostgreSQL in the PostgreSQL pass) and back into a new SQLite file. Every copy
//! verifies its audit chain, replays its allocations from the same key and gives the same exports
//! as the original, byte for byte, with the same audit head.

use std::path::Path;
use std::process::Output;

use diesel::prelude::*;
use trialdesk::db::schema::participants;

use crate::helpers::{Backend, TestDb, backend};

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

/// The copy's databases use the original's secret key, as the move in docs/deploy.md says.
fn with_key_of(original: &TestDb, copy: &TestDb) {
    std::fs::copy(original.dir.path().join("key"), copy.dir.path().join("key")).expect("copy the key file");
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("export folder")
        .map(|e| {
            let e = e.expect("entry");
            (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).expect("read"))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_demo_trial_copied_to_the_other_backend_and_back_keeps_its_audit_head_allocations_and_exports() {
    let original = TestDb::empty_on(Backend::Sqlite);
    ok(&original.cli(&["demo", "--screened", "70", "--seed", "5", "--out", "report"]));
    let middle = TestDb::empty_on(backend());
    let back = TestDb::empty_on(Backend::Sqlite);
    with_key_of(&original, &middle);
    with_key_of(&original, &back);

    let there = ok(&original.cli(&["copy", "--from", &original.url, "--to", &middle.url]));
    assert!(there.contains("copied") && there.contains("audit_log"), "{there}");
    ok(&middle.cli(&["copy", "--from", &middle.url, "--to", &back.url]));

    let head = ok(&original.cli(&["audit", "head"]));
    let mut exports = Vec::new();
    for db in [&original, &middle, &back] {
        assert_eq!(ok(&db.cli(&["audit", "head"])), head, "{}", db.url);
        let verified = ok(&db.cli(&["audit", "verify", "--expect-head", head.trim()]));
        assert!(verified.contains("audit trail intact"), "{verified}");
        ok(&db.cli(&["randomisation", "replay"]));
        ok(&db.cli(&["export", "--out", "export"]));
        exports.push(files(&db.dir.path().join("export")));
    }
    assert_eq!(exports[0].len(), 6, "six export files");
    assert!(
        exports.iter().all(|e| *e == exports[0]),
        "the exports differ between the original and its copies"
    );
    let people: i64 = participants::table.count().get_result(&mut back.conn()).expect("count");
    assert!(people > 10, "{people}");
}

#[test]
fn a_copy_into_a_database_that_holds_a_trial_is_refused_and_changes_nothing() {
    let original = TestDb::empty_on(Backend::Sqlite);
    ok(&original.cli(&["demo", "--screened", "20", "--seed", "3", "--out", "report"]));
    let target = TestDb::migrated();
    ok(&target.cli(&["user", "create", "--email", "someone@example.org", "--role", "admin"]));
    let head_before = ok(&target.cli(&["audit", "head"]));

    let refused = original.cli(&["copy", "--from", &original.url, "--to", &target.url]);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("not empty") && stderr.contains("table"), "{stderr}");
    assert_eq!(ok(&target.cli(&["audit", "head"])), head_before);
    let people: i64 = participants::table.count().get_result(&mut target.conn()).expect("count");
    assert_eq!(people, 0);
}

#[test]
fn a_copy_from_a_missing_file_or_onto_itself_is_refused_with_the_reason() {
    let db = TestDb::empty_on(Backend::Sqlite);
    let missing = format!("sqlite://{}", db.dir.path().join("nothing-here.db").display());
    let out = db.cli(&["copy", "--from", &missing, "--to", &db.url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no SQLite database at"), "{out:?}");
    assert!(!db.dir.path().join("nothing-here.db").exists(), "a mistyped source is not created");

    let same = db.cli(&["copy", "--from", &db.url, "--to", &db.url]);
    assert_eq!(same.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&same.stderr).contains("same database"), "{same:?}");

    let scheme = db.cli(&["copy", "--from", "mysql://x/y", "--to", &db.url]);
    assert!(String::from_utf8_lossy(&scheme.stderr).contains("--from"), "{scheme:?}");
}
